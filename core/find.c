/*
 * Finding the entry a user means by a path: a bin path names exactly one
 * entry, an origin path the newest of its live versions.
 */
#include "core/archive.h"

#include "model/entry.h"
#include "util/names.h"
#include "index/entries.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The newest live entry whose origin is exactly @p origin. */
struct by_origin {
	const char *origin;
	struct rfs_entry found;
};

/* Newer: archived later, or on a tie the one inserted later. */
static bool newer(const struct rfs_entry *a, const struct rfs_entry *b)
{
	if (a->created_ns != b->created_ns)
		return a->created_ns > b->created_ns;
	return a->id > b->id;
}

static int match_origin(const struct rfs_entry *e, void *ctx)
{
	struct by_origin *b = ctx;

	if (strcmp(e->origin_path, b->origin) ||
	    (b->found.id && !newer(e, &b->found)))
		return 0;
	rfs_entry_release(&b->found);
	return rfs_entry_copy(&b->found, e);
}

/* The newest live entry from origin @p origin: 0, -ENOENT (no reason
 * set), or an index error. */
static int newest_from(struct rfs_index *idx, const char *origin,
		       struct rfs_entry *out, struct rfs_error *err)
{
	struct by_origin b = { .origin = origin };
	int r;

	r = rfs_index_entry_list_overlapping(idx, origin, match_origin, &b,
					     err);
	if (r < 0) {
		rfs_entry_release(&b.found);
		return r;
	}
	if (!b.found.id)
		return -ENOENT;
	*out = b.found;
	return 0;
}

/* True when a component of @p p is "." or "..". */
static bool has_dot_component(const char *p)
{
	const char *rest;
	size_t n;

	for (;;) {
		n = rfs_path_first(p, &rest);
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		if (!*rest)
			return false;
		p = rest;
	}
}

int rfs_entry_path_check(const char *path, struct rfs_error *err)
{
	if (has_dot_component(path))
		return rfs_error_set(err, EINVAL,
				     "path '%s' has a '.' or '..' component: "
				     "name the entry by its own path",
				     path);
	return 0;
}

/* @p path normalized, with a leading ".recyclebin/" dropped (then
 * *in_bin is set). NULL when out of memory. */
static char *catalog_path(const char *path, bool *in_bin)
{
	char *p = strdup(rfs_path_skip_root(path));

	*in_bin = false;
	if (!p)
		return NULL;
	rfs_relpath_normalize(p);
	if (rfs_path_is_under(p, ".recyclebin")) {
		size_t skip = strlen(".recyclebin") + (p[11] == '/');

		memmove(p, p + skip, strlen(p) - skip + 1);
		*in_bin = true;
	}
	return p;
}

int rfs_entry_find(struct rfs_index *idx, const char *path,
		   struct rfs_entry *out, struct rfs_error *err)
{
	bool in_bin;
	char *p;
	int r;

	r = rfs_entry_path_check(path, err);
	if (r < 0)
		return r;
	p = catalog_path(path, &in_bin);
	if (!p)
		return -ENOMEM;
	/* An origin path first: a later version's origin is the first
	 * version's bin path, and the user means the newest. */
	r = in_bin ? -ENOENT : newest_from(idx, p, out, err);
	if (r == -ENOENT)
		r = rfs_index_entry_by_bin_path(idx, p, out, err);
	if (r == -ENOENT) {
		rfs_error_clear(err);
		r = rfs_error_set(err, ENOENT,
				  "nothing in the recycle bin at or from '%s'",
				  p);
	}
	free(p);
	return r;
}

int rfs_entry_find_at(struct rfs_index *idx, const char *path,
		      struct rfs_entry *out, char **sub, struct rfs_error *err)
{
	struct rfs_error ignore = { 0 };
	char *p, *cand = NULL;
	bool in_bin;
	int r, pass;

	r = rfs_entry_path_check(path, err);
	if (r < 0)
		return r;
	p = catalog_path(path, &in_bin);
	if (!p)
		return -ENOMEM;
	/* The path itself or its nearest ancestor: as an origin path (the
	 * newest live version) unless it went through the bin, then as a
	 * bin path (exactly one entry). */
	r = -ENOENT;
	for (pass = in_bin; r == -ENOENT && pass <= 1; pass++) {
		free(cand);
		cand = strdup(p);
		if (!cand) {
			r = -ENOMEM;
			break;
		}
		while (*cand) {
			r = pass ? rfs_index_entry_by_bin_path(idx, cand, out,
							       &ignore)
				 : newest_from(idx, cand, out, &ignore);
			if (r != -ENOENT)
				break;
			cand[rfs_path_dirlen(cand)] = '\0';
		}
	}
	if (r == 0) {
		size_t n = strlen(cand);

		*sub = strdup(p[n] ? p + n + 1 : "");
		if (!*sub) {
			rfs_entry_release(out);
			r = -ENOMEM;
		}
	} else if (r == -ENOENT) {
		r = rfs_error_set(err, ENOENT,
				  "nothing in the recycle bin at or from '%s'",
				  p);
	} else if (r < 0 && ignore.msg[0]) {
		r = rfs_error_set(err, -r, "%s", ignore.msg);
	}
	free(cand);
	free(p);
	return r;
}
