/*
 * The names of the PostgreSQL adapter shared by its tree (pg.c) and its
 * relational operations (rel.c): a relation's folder name ('%' and '/'
 * written %25 and %2F, a leading '.' %2E) and the name of a recycle copy.
 */
#include "backends/pg/pg.h"
#include "backends/pg/pg_priv.h"

#include "backends/backend.h"
#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rfs_pg_name_decode(const char *in, size_t n, char **out)
{
	char *s = malloc(n + 1), *o = s;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '%' && i + 2 < n) {
			if (!strncmp(in + i, "%25", 3))
				*o++ = '%';
			else if (!strncasecmp(in + i, "%2F", 3))
				*o++ = '/';
			else if (!strncasecmp(in + i, "%2E", 3))
				*o++ = '.';
			else
				goto bad;
			i += 2;
		} else if (in[i] == '%') {
			goto bad;
		} else if (in[i] == '/') {
			goto bad;
		} else {
			*o++ = in[i];
		}
	}
	*o = '\0';
	*out = s;
	return 0;
bad:
	free(s);
	return -ENOENT;
}

int rfs_pg_name_encode(const char *name, char **out)
{
	struct rfs_buf b = RFS_BUF_INIT;
	int r = 0;

	for (const char *s = name; r == 0 && *s; s++) {
		if (*s == '%')
			r = rfs_buf_addstr(&b, "%25");
		else if (*s == '/')
			r = rfs_buf_addstr(&b, "%2F");
		else if (*s == '.' && s == name)
			r = rfs_buf_addstr(&b, "%2E");
		else
			r = rfs_buf_addch(&b, *s);
	}
	if (r < 0) {
		rfs_buf_release(&b);
		return r;
	}
	*out = rfs_buf_detach(&b);
	return *out ? 0 : -ENOMEM;
}

int rfs_pg_bin_key(struct rfs_backend *b, const char *item, const char *id,
		   char **out)
{
	struct rfs_error err = { 0 };
	char name[64];

	(void)b;
	if (rfs_pg_copy_name(item, id, name, &err) < 0)
		return -ENOENT;
	return rfs_pg_name_encode(name, out);
}

int rfs_pg_copy_name(const char *origin, const char *id, char out[64],
		     struct rfs_error *err)
{
	const char *base = strrchr(origin ? origin : "", '/');
	char *name = NULL;
	size_t n;
	int r;

	base = base ? base + 1 : (origin ? origin : "");
	r = rfs_pg_name_decode(base, strlen(base), &name);
	if (r < 0)
		return rfs_error_set(err, EINVAL, "'%s' names no table",
				     origin ? origin : "");
	n = strlen(name);
	if (n > 54)
		n = 54;
	while (n > 0 && (name[n] & 0xc0) == 0x80)
		n--; /* not inside a UTF-8 character */
	snprintf(out, 64, "%.*s_%.8s", (int)n, name, id ? id : "");
	free(name);
	return 0;
}
