#include "util/path.h"

#include "util/buf.h"

#include <string.h>

bool rfs_path_is_clean(const char *p)
{
	const char *c = p;

	if (*p == '\0')
		return true;
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0)
			return false;
		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (c[n] == '\0')
			return true;
		c += n + 1;
	}
}

int rfs_path_join(struct rfs_buf *out, const char *a, const char *b)
{
	size_t len = out->len;
	int r = rfs_buf_addstr(out, a);

	if (r == 0 && *a && *b)
		r = rfs_buf_addch(out, '/');
	if (r == 0)
		r = rfs_buf_addstr(out, b);
	if (r < 0)
		rfs_buf_truncate(out, len); /* as rfs_buf_add(): unchanged */
	return r;
}

size_t rfs_path_first(const char *p, const char **rest)
{
	size_t n = strcspn(p, "/");

	*rest = p[n] ? p + n + 1 : p + n;
	return n;
}

const char *rfs_path_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

size_t rfs_path_dirlen(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? (size_t)(s - p) : 0;
}

const char *rfs_path_skip_root(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

bool rfs_path_is_under(const char *p, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return true;
	if (strncmp(p, prefix, n))
		return false;
	return p[n] == '\0' || p[n] == '/';
}
