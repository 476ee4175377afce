/*
 * Attributes, symlinks, truncate and server-side copies of the S3
 * adapter.
 *
 * Object metadata cannot be edited in place: chmod, chown and utimens
 * copy the object onto itself with "x-amz-metadata-directive: REPLACE"
 * and the new x-amz-meta-* headers (its Content-Type kept). A directory's
 * attributes live on its marker object, which is written when the
 * directory was only implied. A symlink is an object holding its target,
 * with mode S_IFLNK|0777, as s3fs stores them.
 */
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/path.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------- attribute changes */

/* attrs=listing shows the server's attributes only: a change to what is
 * shown is impossible (-ENOSYS, which the mount reports as EPERM and a
 * copy's metadata step skips); asking for what is shown is a no-op. */
static int fixed_attrs(struct rfs_s3_backend *b, const char *what)
{
	return rfs_s3_fail(ENOSYS,
			   "storage '%s' shows the attributes of its listings "
			   "(attrs=listing): %s cannot be changed",
			   b->name, what);
}

/* The object holding the attributes of @p key: the key itself, or the
 * marker of a directory. */
static int attr_object(struct rfs_s3_backend *b, const char *key,
		       const struct stat *st, struct rfs_buf *full)
{
	if (!S_ISDIR(st->st_mode))
		return rfs_s3_full_key(b, key, full);
	if (!*key && !*b->conf->prefix)
		return -EPERM; /* the bucket itself has no marker */
	return rfs_s3_dir_prefix(b, key, full);
}

/* Apply @p apply to the attributes of @p key and store them. */
static int change_meta(struct rfs_s3_backend *b, const char *key,
		       void (*apply)(struct rfs_s3_meta *m, const void *arg),
		       const void *arg)
{
	struct rfs_buf full = RFS_BUF_INIT;
	struct rfs_s3_meta m, old, made;
	struct stat st;
	int r;

	made.etag[0] = '\0';
	if (!rfs_path_is_clean(key))
		return -EINVAL;
	r = rfs_s3_stat_key(b, key, &st);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode) && rfs_s3_files_update(b, key, apply, arg))
		return 0; /* the pending upload carries the change */
	r = attr_object(b, key, &st, &full);
	if (!r)
		r = rfs_s3_head(b, rfs_buf_str(&full), &old);
	if (r == -ENOENT && S_ISDIR(st.st_mode)) {
		/* an implied directory: give it a marker */
		rfs_s3_meta_new(&m, S_IFDIR | 0755);
		m.mtime_ns = m.atime_ns = st.st_mtim.tv_sec * RFS_NSEC_PER_SEC +
					  st.st_mtim.tv_nsec;
		apply(&m, arg);
		r = rfs_s3_put(b, rfs_buf_str(&full), "", 0, &m, false);
	} else if (!r) {
		m = old;
		apply(&m, arg);
		r = rfs_s3_copy_object(b, rfs_buf_str(&full), b,
				       rfs_buf_str(&full), &old, &m, &made);
	}
	/* the object was there: only its own entry changes */
	rfs_s3_cache_made(b, key, rfs_buf_str(&full),
			  r || S_ISDIR(st.st_mode) ? NULL : &made);
	rfs_buf_release(&full);
	return r;
}

static void apply_mode(struct rfs_s3_meta *m, const void *arg)
{
	mode_t mode = *(const mode_t *)arg;

	m->mode = (m->mode & S_IFMT) | (mode & 07777);
	m->ctime_ns = rfs_time_now_ns();
}

int rfs_s3_chmod(struct rfs_backend *rb, const char *key, mode_t mode)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct stat st;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	r = rfs_s3_stat_key(b, key, &st);
	if (r < 0)
		return r;
	if (S_ISLNK(st.st_mode))
		return -EOPNOTSUPP;
	if (b->conf->attrs_listing)
		return (st.st_mode & 07777) == (mode & 07777)
			       ? 0
			       : fixed_attrs(b, "the mode");
	return change_meta(b, key, apply_mode, &mode);
}

struct owner {
	uid_t uid;
	gid_t gid;
};

static void apply_owner(struct rfs_s3_meta *m, const void *arg)
{
	const struct owner *o = arg;

	if (o->uid != (uid_t)-1)
		m->uid = o->uid;
	if (o->gid != (gid_t)-1)
		m->gid = o->gid;
	/* as Linux: a change of owner drops the set-id bits of a file */
	if (S_ISREG(m->mode)) {
		m->mode &= ~(mode_t)S_ISUID;
		if (m->mode & S_IXGRP)
			m->mode &= ~(mode_t)S_ISGID;
	}
	m->ctime_ns = rfs_time_now_ns();
}

int rfs_s3_chown(struct rfs_backend *rb, const char *key, uid_t uid, gid_t gid)
{
	struct owner o = { uid, gid };

	if (uid == (uid_t)-1 && gid == (gid_t)-1) {
		struct stat st;

		if (!rfs_path_is_clean(key))
			return -EINVAL;
		return rfs_s3_stat_key(rfs_s3_of(rb), key, &st);
	}
	if (rfs_s3_of(rb)->conf->attrs_listing) {
		struct stat st;
		int r;

		if (!rfs_path_is_clean(key))
			return -EINVAL;
		r = rfs_s3_stat_key(rfs_s3_of(rb), key, &st);
		if (r == 0 && ((uid != (uid_t)-1 && uid != st.st_uid) ||
			       (gid != (gid_t)-1 && gid != st.st_gid)))
			r = fixed_attrs(rfs_s3_of(rb), "the owner");
		return r;
	}
	return change_meta(rfs_s3_of(rb), key, apply_owner, &o);
}

struct times {
	struct timespec ts[2];
	int64_t now;
};

static void set_one(int64_t *t, const struct timespec *v, int64_t now)
{
	if (v->tv_nsec == UTIME_OMIT)
		return;
	if (v->tv_nsec == UTIME_NOW)
		*t = now;
	else
		*t = (int64_t)v->tv_sec * RFS_NSEC_PER_SEC + v->tv_nsec;
}

static void apply_times(struct rfs_s3_meta *m, const void *arg)
{
	const struct times *t = arg;

	set_one(&m->atime_ns, &t->ts[0], t->now);
	set_one(&m->mtime_ns, &t->ts[1], t->now);
	m->ctime_ns = t->now;
}

/* utimens with attrs=listing: a file's times are its Last-Modified, which
 * only a rewrite moves, to now. @return 1: rewrite (the times asked are
 * "now"), 0: nothing to do (they are the times shown), < 0: refused. */
static int listing_times(struct rfs_s3_backend *b, const char *key,
			 const struct timespec ts[2])
{
	struct stat st;
	bool now = false, same = true;
	int i, r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	r = rfs_s3_stat_key(b, key, &st);
	if (r < 0)
		return r;
	for (i = 0; i < 2; i++) {
		const struct timespec *shown = i ? &st.st_mtim : &st.st_atim;

		if (ts[i].tv_nsec == UTIME_NOW)
			now = true;
		else if (ts[i].tv_nsec != UTIME_OMIT &&
			 (ts[i].tv_sec != shown->tv_sec ||
			  ts[i].tv_nsec != shown->tv_nsec))
			same = false;
	}
	if (!same)
		return fixed_attrs(b, "times other than now");
	if (!now)
		return 0;
	/* a directory's times are those of the mount's start: nothing
	 * moves them */
	return S_ISDIR(st.st_mode) ? 0 : 1;
}

int rfs_s3_utimens(struct rfs_backend *rb, const char *key,
		   const struct timespec ts[2])
{
	struct times t;
	int i;

	t.now = rfs_time_now_ns();
	for (i = 0; i < 2; i++) {
		if (!ts) {
			t.ts[i].tv_sec = 0;
			t.ts[i].tv_nsec = UTIME_NOW;
			continue;
		}
		if ((ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000L) &&
		    ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT)
			return -EINVAL;
		t.ts[i] = ts[i];
	}
	if (t.ts[0].tv_nsec == UTIME_OMIT && t.ts[1].tv_nsec == UTIME_OMIT) {
		struct stat st;

		if (!rfs_path_is_clean(key))
			return -EINVAL;
		return rfs_s3_stat_key(rfs_s3_of(rb), key, &st);
	}
	if (rfs_s3_of(rb)->conf->attrs_listing) {
		int r = listing_times(rfs_s3_of(rb), key, t.ts);

		if (r <= 0)
			return r;
	}
	return change_meta(rfs_s3_of(rb), key, apply_times, &t);
}

/* ----------------------------------------------------------- symlinks */

int rfs_s3_symlink(struct rfs_backend *rb, const char *target, const char *key)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_buf full = RFS_BUF_INIT;
	size_t len = strlen(target);
	struct rfs_s3_meta m;
	struct stat st;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	if (!len)
		return -ENOENT;
	if (b->conf->attrs_listing)
		return rfs_s3_fail(EPERM,
				   "storage '%s' shows the attributes of its "
				   "listings (attrs=listing): a symlink would "
				   "read as a file",
				   b->name);
	if (len >= RFS_S3_LINK_MAX)
		return -ENAMETOOLONG;
	if (!*key)
		return -EEXIST;
	r = rfs_s3_stat_key(b, key, &st);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	r = rfs_s3_check_parent(b, key);
	if (!r && strlen(rfs_path_basename(key)) > 255)
		r = -ENAMETOOLONG;
	if (!r)
		r = rfs_s3_full_key(b, key, &full);
	if (!r) {
		rfs_s3_meta_new(&m, S_IFLNK | 0777);
		m.size = (int64_t)len;
		r = rfs_s3_put(b, rfs_buf_str(&full), target, len, &m, true);
	}
	if (!r) {
		rfs_s3_invalidate(b, key);
		if (rfs_s3_meta_to_stat(b, rfs_buf_str(&full), &m, &st))
			rfs_s3_cache_stat_put(b->cache, rfs_buf_str(&full), &st,
					      false);
	}
	rfs_buf_release(&full);
	return r;
}

int rfs_s3_readlink(struct rfs_backend *rb, const char *key, char *buf,
		    size_t size)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_buf full = RFS_BUF_INIT;
	struct rfs_s3_request req;
	char target[RFS_S3_LINK_MAX];
	struct stat st;
	size_t n;
	int r;

	if (!rfs_path_is_clean(key) || !size)
		return -EINVAL;
	r = rfs_s3_stat_key(b, key, &st);
	if (!r && !S_ISLNK(st.st_mode))
		r = -EINVAL;
	if (!r)
		r = rfs_s3_full_key(b, key, &full);
	if (!r) {
		rfs_s3_req_init(&req, "GET", rfs_buf_str(&full));
		req.out_mem = target;
		req.out_mem_size = sizeof(target) - 1;
		r = rfs_s3_do(b, &req);
	}
	if (!r) {
		n = req.out_mem_len;
		if (n >= size)
			n = size - 1;
		memcpy(buf, target, n);
		buf[n] = '\0';
	}
	rfs_buf_release(&full);
	return r;
}

/* ---------------------------------------------------------- truncate */

int rfs_s3_truncate(struct rfs_backend *rb, const char *key, off_t size)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_file *f = NULL;
	struct stat st;
	int r, c;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	if (size < 0)
		return -EINVAL;
	r = rfs_s3_stat_key(b, key, &st);
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	/* staged like a write: fetched, cut or grown, uploaded */
	r = rfs_s3_open_file(rb, key, O_WRONLY, 0, &f);
	if (r < 0)
		return r;
	r = rfs_s3_file_ftruncate(f, size);
	c = rfs_s3_file_close(f);
	return r < 0 ? r : c;
}

/* --------------------------------------------------------------- copy */

/* HEAD the source of a copy; no object there: a directory, or nothing. */
static int copy_source_meta(struct rfs_s3_backend *sb, const char *src_key,
			    const char *full, struct rfs_s3_meta *m)
{
	struct stat st;
	int r = rfs_s3_head(sb, full, m);

	if (r == -ENOENT) {
		r = rfs_s3_stat_key(sb, src_key, &st);
		if (!r)
			r = S_ISDIR(st.st_mode) ? -EISDIR : -ENOENT;
	}
	if (!r && S_ISLNK(m->mode) && !sb->conf->attrs_listing)
		r = -ELOOP;
	return r;
}

/* Copy on the server with the source's metadata. A source without
 * x-amz-meta-mtime (written by another tool) shows its Last-Modified as
 * its times, which its copy would not have: the copy gets them, and the
 * mode and owner stat shows, as headers, in the same request. */
static int copy_keeping_times(struct rfs_s3_backend *sb, const char *sfull,
			      struct rfs_s3_backend *db, const char *dfull,
			      const struct rfs_s3_meta *m,
			      struct rfs_s3_meta *made)
{
	struct rfs_s3_meta rep;

	if (m->has_mtime || sb->conf->attrs_listing)
		return rfs_s3_copy_object(sb, sfull, db, dfull, m, NULL, made);
	rep = *m;
	rep.has_mtime = true;
	return rfs_s3_copy_object(sb, sfull, db, dfull, m, &rep, made);
}

int rfs_s3_copy(struct rfs_backend *src, const char *src_key,
		struct rfs_backend *dst, const char *dst_key,
		unsigned int flags)
{
	struct rfs_s3_backend *sb = rfs_s3_of(src), *db = rfs_s3_of(dst);
	struct rfs_buf sfull = RFS_BUF_INIT, dfull = RFS_BUF_INIT;
	struct rfs_s3_meta m, got, made;
	struct stat st;
	bool hinted;
	int r;

	made.etag[0] = '\0';
	if (!rfs_path_is_clean(src_key) || !rfs_path_is_clean(dst_key))
		return -EINVAL;
	if (flags & ~(unsigned int)(RFS_BACKEND_COPY_NOREPLACE |
				    RFS_BACKEND_COPY_NOSYNC))
		return -EINVAL;
	if (!rfs_s3_client_same_account(sb->client, db->client))
		return -EXDEV;
	if (!*src_key)
		return -EISDIR;
	/* the source's metadata and ETag, from a recent HEAD or a fresh
	 * one: the copy is conditional on that ETag, and looks again when
	 * a remembered one is out of date */
	r = rfs_s3_full_key(sb, src_key, &sfull);
	hinted = !r &&
		 rfs_s3_cache_head_get(sb->cache, rfs_buf_str(&sfull), &m) &&
		 S_ISREG(m.mode);
	if (!r && !hinted)
		r = copy_source_meta(sb, src_key, rfs_buf_str(&sfull), &m);
	if (!r && !*dst_key)
		r = -EISDIR;
	if (r < 0)
		goto out;
	r = rfs_s3_check_parent(db, dst_key);
	if (r < 0)
		goto out;
	r = rfs_s3_stat_key(db, dst_key, &st);
	if (r == 0 && (flags & RFS_BACKEND_COPY_NOREPLACE))
		r = -EEXIST;
	else if (r == 0 && S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (r == -ENOENT || r == 0)
		r = rfs_s3_full_key(db, dst_key, &dfull);
	if (r < 0)
		goto out;
	if (!strcmp(sb->conf->bucket, db->conf->bucket) &&
	    !strcmp(rfs_buf_str(&sfull), rfs_buf_str(&dfull)))
		goto out; /* the same object */
	if (!r)
		r = copy_keeping_times(sb, rfs_buf_str(&sfull), db,
				       rfs_buf_str(&dfull), &m, &made);
	if ((r == -ESTALE || r == -ENOENT) && hinted) {
		rfs_s3_invalidate(sb, src_key);
		r = copy_source_meta(sb, src_key, rfs_buf_str(&sfull), &m);
		if (!r)
			r = copy_keeping_times(sb, rfs_buf_str(&sfull), db,
					       rfs_buf_str(&dfull), &m, &made);
	}
	/* its parent is a directory already (checked above): only its
	 * own entry changes */
	rfs_s3_cache_made(db, dst_key, rfs_buf_str(&dfull), r ? NULL : &made);
	/* a plain MD5 ETag must come through a copy unchanged */
	if (!r && db->conf->verify_etag && !strchr(m.etag, '-')) {
		r = rfs_s3_head(db, rfs_buf_str(&dfull), &got);
		if (!r && strcmp(got.etag, m.etag))
			r = rfs_s3_fail(EIO,
					"storage '%s': the copy of '%s' has "
					"ETag %s, the source %s",
					db->name, dst_key, got.etag, m.etag);
	}
out:
	rfs_buf_release(&sfull);
	rfs_buf_release(&dfull);
	return r;
}
