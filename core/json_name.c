/*
 * Names as JSON, byte for byte: valid UTF-8 as a string, anything else as
 * {"hex": "..."}.
 */
#include "core/json_name.h"

#include "util/names.h"
#include "util/buf.h"
#include "util/hex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *rfs_json_name(const char *s)
{
	size_t n;
	json_t *v;
	char *hex;

	if (!s)
		return json_null();
	n = strlen(s);
	if (rfs_utf8_valid(s, n))
		return json_stringn(s, n);
	hex = malloc(2 * n + 1);
	if (!hex)
		return NULL;
	rfs_hex_encode(s, n, hex);
	v = json_pack("{s:s}", "hex", hex);
	free(hex);
	return v;
}

json_t *rfs_json_text(const char *s)
{
	struct rfs_buf b = RFS_BUF_INIT;
	json_t *v;

	if (!s)
		return json_null();
	if (rfs_utf8_valid(s, strlen(s)))
		return json_string(s);
	v = rfs_buf_add_escaped(&b, s) == 0 ? json_string(rfs_buf_str(&b))
					    : NULL;
	rfs_buf_release(&b);
	return v;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The bytes of {"hex": "..."}, as a new string; NULL when @p v is not
 * one (*oom set when memory ran out). */
static json_t *decode(json_t *v, bool *oom)
{
	const char *hex;
	size_t n, i;
	json_t *s;
	char *b;

	if (!json_is_object(v) || json_object_size(v) != 1)
		return NULL;
	hex = json_string_value(json_object_get(v, "hex"));
	if (!hex || (n = strlen(hex)) % 2)
		return NULL;
	b = malloc(n / 2 + 1);
	if (!b) {
		*oom = true;
		return NULL;
	}
	for (i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(b);
			return NULL;
		}
		b[i] = (char)(hi << 4 | lo);
	}
	b[n / 2] = '\0';
	s = json_stringn_nocheck(b, n / 2);
	free(b);
	*oom = !s;
	return s;
}

int rfs_json_unwrap_names(json_t *v)
{
	bool oom = false;
	const char *key;
	json_t *m, *s;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, m)
		{
			s = decode(m, &oom);
			if (s && json_object_set_new(v, key, s) < 0)
				return -ENOMEM;
			if (oom)
				return -ENOMEM;
			if (!s && rfs_json_unwrap_names(m) < 0)
				return -ENOMEM;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
		{
			s = decode(m, &oom);
			if (s && json_array_set_new(v, i, s) < 0)
				return -ENOMEM;
			if (oom)
				return -ENOMEM;
			if (!s && rfs_json_unwrap_names(m) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}
