/*
 * Names of the S3 adapter: mkdir, rmdir, unlink, rename, link.
 *
 * S3 has no rename: a file moves by CopyObject (metadata kept) and then
 * DELETE; a directory moves object by object, every copy first, then
 * every delete. A directory rename is therefore not atomic: a crash in
 * the middle leaves both names, each complete or partly copied, and
 * nothing lost (the sources go last). RENAME_EXCHANGE is refused with
 * -EINVAL, since two names cannot be swapped at once.
 */
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/parallel.h"
#include "util/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Threads for the copies and deletes of a directory rename. */
#define MOVE_THREADS 8

/* Names longer than a directory entry or keys longer than S3 allows. */
static int check_name(struct rfs_s3_backend *b, const char *key)
{
	struct rfs_buf full = RFS_BUF_INIT;
	int r;

	if (strlen(rfs_path_basename(key)) > 255)
		return -ENAMETOOLONG;
	r = rfs_s3_full_key(b, key, &full);
	if (!r && full.len + 1 > 1024)
		r = -ENAMETOOLONG;
	rfs_buf_release(&full);
	return r;
}

int rfs_s3_mkdir(struct rfs_backend *rb, const char *key, mode_t mode)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_buf marker = RFS_BUF_INIT;
	struct rfs_s3_meta m;
	struct stat st;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	if (!*key)
		return -EEXIST;
	r = rfs_s3_stat_key(b, key, &st);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	r = rfs_s3_check_parent(b, key);
	if (!r)
		r = check_name(b, key);
	if (!r)
		r = rfs_s3_dir_prefix(b, key, &marker);
	if (!r) {
		rfs_s3_meta_new(&m, S_IFDIR | (mode & 07777));
		r = rfs_s3_put(b, rfs_buf_str(&marker), "", 0, &m, true);
	}
	if (!r) {
		rfs_s3_invalidate(b, key);
		rfs_buf_truncate(&marker, marker.len - 1);
		if (rfs_s3_meta_to_stat(b, rfs_buf_str(&marker), &m, &st))
			rfs_s3_cache_stat_put(b->cache, rfs_buf_str(&marker),
					      &st, true);
		/* nothing was below it a moment ago (the stat above), and
		 * our own writes into it update this listing */
		rfs_s3_cache_list_put(b->cache, rfs_buf_str(&marker), NULL, 0);
	}
	rfs_buf_release(&marker);
	return r;
}

int rfs_s3_rmdir(struct rfs_backend *rb, const char *key)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_buf marker = RFS_BUF_INIT;
	struct stat st;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	if (!*key)
		return -EBUSY;
	r = rfs_s3_stat_key(b, key, &st);
	if (!r && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (!r)
		r = rfs_s3_dir_has_children(b, key, NULL);
	if (r > 0)
		r = -ENOTEMPTY;
	if (!r)
		r = rfs_s3_dir_prefix(b, key, &marker);
	if (!r)
		r = rfs_s3_delete(b, rfs_buf_str(&marker));
	if (!r) {
		rfs_buf_truncate(&marker, marker.len - 1);
		rfs_s3_cache_drop_tree(b->cache, rfs_buf_str(&marker));
		rfs_s3_invalidate(b, key);
		rfs_s3_keep_parent(b, key);
	}
	rfs_buf_release(&marker);
	return r;
}

int rfs_s3_unlink(struct rfs_backend *rb, const char *key)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_buf full = RFS_BUF_INIT;
	struct stat st;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	if (!*key)
		return -EBUSY;
	/* through the caches: a stat just before (ls, the archive's delete
	 * step) makes it one request, the DELETE */
	r = rfs_s3_stat_key(b, key, &st);
	if (!r && S_ISDIR(st.st_mode))
		r = -EISDIR;
	if (!r)
		r = rfs_s3_full_key(b, key, &full);
	if (!r)
		r = rfs_s3_files_moving(b, key, NULL);
	if (!r)
		r = rfs_s3_delete(b, rfs_buf_str(&full));
	if (!r) {
		rfs_s3_invalidate(b, key);
		rfs_s3_keep_parent(b, key);
	}
	rfs_buf_release(&full);
	return r;
}

int rfs_s3_link(struct rfs_backend *rb, const char *from, const char *to)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct stat st;
	int r;

	if (!rfs_path_is_clean(from) || !rfs_path_is_clean(to))
		return -EINVAL;
	r = rfs_s3_stat_key(b, from, &st);
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode))
		return -EPERM;
	r = rfs_s3_check_parent(b, to);
	if (r < 0)
		return r;
	r = !*to ? 0 : rfs_s3_stat_key(b, to, &st);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	return rfs_s3_fail(EPERM, "storage '%s': S3 has no hard links",
			   b->name);
}

/* ------------------------------------------------------------- rename */

static int move_file(struct rfs_s3_backend *b, const char *from, const char *to)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	struct rfs_s3_meta m;
	int r = rfs_s3_full_key(b, from, &src);

	if (!r)
		r = rfs_s3_full_key(b, to, &dst);
	if (!r)
		r = rfs_s3_head(b, rfs_buf_str(&src), &m);
	if (!r)
		r = rfs_s3_copy_object(b, rfs_buf_str(&src), b,
				       rfs_buf_str(&dst), &m, NULL, NULL);
	rfs_s3_invalidate(b, to);
	if (!r)
		r = rfs_s3_files_moving(b, from, to);
	if (!r)
		r = rfs_s3_delete(b, rfs_buf_str(&src));
	rfs_s3_invalidate(b, from);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	return r;
}

/* The objects of a directory being moved. */
struct move {
	struct rfs_s3_backend *b;
	size_t from_len; /* of the source's full prefix */
	const char *to;	 /* the destination's full prefix */
	char **keys;
	int64_t *sizes;
	size_t n, alloc;
};

static int move_collect(void *ctx, const char *full, int64_t size)
{
	struct move *mv = ctx;

	if (mv->n == mv->alloc) {
		size_t na = mv->alloc ? mv->alloc * 2 : 64;
		char **k = realloc(mv->keys, na * sizeof(*k));
		int64_t *s;

		if (!k)
			return -ENOMEM;
		mv->keys = k;
		s = realloc(mv->sizes, na * sizeof(*s));
		if (!s)
			return -ENOMEM;
		mv->sizes = s;
		mv->alloc = na;
	}
	mv->keys[mv->n] = strdup(full);
	if (!mv->keys[mv->n])
		return -ENOMEM;
	mv->sizes[mv->n++] = size;
	return 0;
}

static int move_copy_one(void *ctx, size_t i)
{
	struct move *mv = ctx;
	struct rfs_buf dst = RFS_BUF_INIT;
	struct rfs_s3_meta m = { 0 };
	int r = rfs_buf_addf(&dst, "%s%s", mv->to, mv->keys[i] + mv->from_len);

	m.size = mv->sizes[i];
	if (!r && m.size > rfs_s3_copy_max(mv->b)) /* multipart: metadata */
		r = rfs_s3_head(mv->b, mv->keys[i], &m);
	if (!r)
		r = rfs_s3_copy_object(mv->b, mv->keys[i], mv->b,
				       rfs_buf_str(&dst), &m, NULL, NULL);
	rfs_buf_release(&dst);
	return r;
}

static int move_delete_one(void *ctx, size_t i)
{
	struct move *mv = ctx;

	return rfs_s3_delete(mv->b, mv->keys[i]);
}

static int move_dir(struct rfs_s3_backend *b, const char *from, const char *to,
		    bool to_exists)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	struct move mv = { 0 };
	size_t i;
	int r = rfs_s3_dir_prefix(b, from, &src);

	if (!r)
		r = rfs_s3_dir_prefix(b, to, &dst);
	if (!r && to_exists) /* the empty directory it replaces */
		r = rfs_s3_delete(b, rfs_buf_str(&dst));
	mv.b = b;
	mv.from_len = src.len;
	mv.to = rfs_buf_str(&dst);
	if (!r)
		r = rfs_s3_walk(b, from, move_collect, &mv);
	if (!r)
		r = rfs_parallel_try(MOVE_THREADS, mv.n, move_copy_one, &mv);
	if (!r)
		r = rfs_parallel_try(MOVE_THREADS, mv.n, move_delete_one, &mv);
	rfs_buf_truncate(&src, src.len - 1);
	rfs_buf_truncate(&dst, dst.len - 1);
	rfs_s3_cache_drop_tree(b->cache, rfs_buf_str(&src));
	rfs_s3_cache_drop_tree(b->cache, rfs_buf_str(&dst));
	rfs_s3_invalidate(b, from);
	rfs_s3_invalidate(b, to);
	for (i = 0; i < mv.n; i++)
		free(mv.keys[i]);
	free(mv.keys);
	free(mv.sizes);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	return r;
}

int rfs_s3_rename(struct rfs_backend *rb, const char *from, const char *to,
		  unsigned int flags)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct stat fst, tst;
	bool to_exists;
	int r;

	if (!rfs_path_is_clean(from) || !rfs_path_is_clean(to))
		return -EINVAL;
	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_EXCHANGE)
		return rfs_s3_fail(EINVAL,
				   "storage '%s': S3 cannot exchange two names "
				   "atomically",
				   b->name);
	if (!*from || !*to)
		return -EBUSY;
	r = rfs_s3_stat_key(b, from, &fst);
	if (r < 0)
		return r;
	if (!strcmp(from, to))
		return flags & RENAME_NOREPLACE ? -EEXIST : 0;
	if (rfs_path_is_under(to, from))
		return -EINVAL;
	r = rfs_s3_check_parent(b, to);
	if (!r)
		r = check_name(b, to);
	if (r < 0)
		return r;
	r = rfs_s3_stat_key(b, to, &tst);
	if (r < 0 && r != -ENOENT)
		return r;
	to_exists = r == 0;
	if (to_exists) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (S_ISDIR(fst.st_mode) && !S_ISDIR(tst.st_mode))
			return -ENOTDIR;
		if (!S_ISDIR(fst.st_mode) && S_ISDIR(tst.st_mode))
			return -EISDIR;
		if (S_ISDIR(tst.st_mode)) {
			r = rfs_s3_dir_has_children(b, to, NULL);
			if (r)
				return r > 0 ? -ENOTEMPTY : r;
		}
	}
	if (S_ISDIR(fst.st_mode))
		r = move_dir(b, from, to, to_exists);
	else
		r = move_file(b, from, to);
	if (!r)
		rfs_s3_keep_parent(b, from);
	return r;
}
