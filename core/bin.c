#include "core/bin.h"

#include "util/buf.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Number of components of a relative path ("" has none). */
static size_t depth(const char *p)
{
	size_t n = *p ? 1 : 0;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

/* Which component of @p cand clashes with @p t, or -1 when none does:
 * t equal to cand or above it clashes at t's last component; t below cand
 * clashes at cand's last component. */
static long clash(const char *cand, const char *t)
{
	if (rfs_path_is_under(cand, t))
		return (long)depth(t) - 1;
	if (rfs_path_is_under(t, cand))
		return (long)depth(cand) - 1;
	return -1;
}

/* Rebuild cand from origin with component @p at suffixed ".~n~". */
static int suffixed(const char *origin, long at, unsigned n,
		    struct rfs_buf *out)
{
	const char *p = origin;
	long i = 0;
	int r = 0;

	rfs_buf_reset(out);
	while (!r) {
		size_t len = strcspn(p, "/");

		r = rfs_buf_add(out, p, len);
		if (!r && i == at)
			r = rfs_buf_addf(out, ".~%u~", n);
		if (r || !p[len])
			break;
		r = rfs_buf_addch(out, '/');
		p += len + 1;
		i++;
	}
	return r;
}

int rfs_bin_path_alloc(const char *origin, const char *const *taken,
		       size_t n_taken, char **out)
{
	struct rfs_buf cand = RFS_BUF_INIT;
	long at = -1;
	unsigned n = 1;
	size_t i;

	if (rfs_buf_addstr(&cand, origin) < 0)
		return -ENOMEM;
	for (;;) {
		long c = -1;

		for (i = 0; i < n_taken && c < 0; i++)
			c = clash(rfs_buf_str(&cand), taken[i]);
		if (c < 0)
			break;
		/* Suffix the shallowest clashing component, counting up. */
		if (at < 0 || c < at) {
			at = c;
			n = 1;
		}
		if (suffixed(origin, at, ++n, &cand) < 0) {
			rfs_buf_release(&cand);
			return -ENOMEM;
		}
	}
	*out = rfs_buf_detach(&cand);
	return *out ? 0 : -ENOMEM;
}

bool rfs_partition_name(const char *name, size_t len)
{
	const char *eq = memchr(name, '=', len);

	return eq && eq != name;
}

int rfs_partition_spec(const char *path, struct rfs_buf *out)
{
	const char *p = path;

	rfs_buf_reset(out);
	while (*p) {
		size_t len = strcspn(p, "/");

		if (rfs_partition_name(p, len) &&
		    ((out->len && rfs_buf_addch(out, '/') < 0) ||
		     rfs_buf_add(out, p, len) < 0))
			return -ENOMEM;
		p += len;
		if (*p == '/')
			p++;
	}
	return 0;
}
