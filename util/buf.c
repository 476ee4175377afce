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
