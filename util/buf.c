#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rfs_buf_init(struct rfs_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap ? cap : RFS_BUF_DEFAULT_CAP;
}

static int grow(struct rfs_buf *b, size_t extra)
{
	size_t need, n;
	char *p;

	if (extra > b->cap || b->len > b->cap - extra)
		return -E2BIG;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n / 2 * 3 + 16;
	p = realloc(b->data, n);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->alloc = n;
	return 0;
}

int rfs_buf_add(struct rfs_buf *b, const void *data, size_t len)
{
	int r = grow(b, len);

	if (r < 0)
		return r;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int rfs_buf_addstr(struct rfs_buf *b, const char *s)
{
	return rfs_buf_add(b, s, strlen(s));
}

int rfs_buf_addch(struct rfs_buf *b, char c)
{
	return rfs_buf_add(b, &c, 1);
}

int rfs_buf_vaddf(struct rfs_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	r = grow(b, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int rfs_buf_addf(struct rfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = rfs_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void rfs_buf_truncate(struct rfs_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

void rfs_buf_reset(struct rfs_buf *b)
{
	rfs_buf_truncate(b, 0);
}

const char *rfs_buf_str(const struct rfs_buf *b)
{
	return b->data ? b->data : "";
}

char *rfs_buf_detach(struct rfs_buf *b)
{
	char *p = b->data;

	if (!p)
		p = strdup("");
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

void rfs_buf_release(struct rfs_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

/* The length of the valid UTF-8 sequence at @p s (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int cp;
	size_t len, k;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls, U+0080 to U+009F. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return len;
}

int rfs_buf_add_escaped(struct rfs_buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = b->len, n, k;
	int r = 0;

	while (*s && r == 0) {
		n = utf8_len(s);
		if (*s == '\n')
			r = rfs_buf_addstr(b, "\\n");
		else if (*s == '\t')
			r = rfs_buf_addstr(b, "\\t");
		else if (*s == '\r')
			r = rfs_buf_addstr(b, "\\r");
		else if (*s < 0x20 || *s == 0x7f)
			r = rfs_buf_addf(b, "\\x%02x", *s);
		else if (n)
			r = rfs_buf_add(b, s, n);
		else
			/* A byte of bad UTF-8, or a C1 control: its bytes. */
			for (k = 0,
			    n = *s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f ? 2
									   : 1;
			     k < n && r == 0; k++)
				r = rfs_buf_addf(b, "\\x%02x", s[k]);
		s += n ? n : 1;
	}
	if (r < 0)
		rfs_buf_truncate(b, start);
	return r;
}
