/*
 * Copying one row between backends: the backend's own copy when it can,
 * else a hashing stream into a temporary renamed into place.
 */
#include "core/copy.h"

#include "backends/backend.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/path.h"
#include "util/sha256.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int rfs_copy_hash(struct rfs_backend *b, const char *key,
		  char out[RFS_SHA256_HEX_LEN], int64_t *size)
{
	const size_t bufsize = 1 << 20;
	struct rfs_sha256 h;
	struct rfs_file *f;
	int64_t total = 0;
	char *buf;
	ssize_t n = 0;
	int r;

	buf = malloc(bufsize);
	if (!buf)
		return -ENOMEM;
	r = rfs_backend_open_file(b, key, O_RDONLY, 0, &f);
	if (r < 0) {
		free(buf);
		return r;
	}
	r = rfs_sha256_init(&h);
	while (r == 0 && (n = rfs_file_read(f, buf, bufsize, total)) > 0) {
		r = rfs_sha256_update(&h, buf, (size_t)n);
		total += n;
	}
	if (r == 0 && n < 0)
		r = (int)n;
	if (r == 0)
		r = rfs_sha256_final(&h, out);
	rfs_sha256_release(&h);
	rfs_file_close(f);
	free(buf);
	if (r == 0 && size)
		*size = total;
	return r;
}

int64_t rfs_copy_ns(const struct timespec *ts)
{
	return ts->tv_sec * RFS_NSEC_PER_SEC + ts->tv_nsec;
}

static void to_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / RFS_NSEC_PER_SEC;
	ts->tv_nsec = ns % RFS_NSEC_PER_SEC;
	if (ts->tv_nsec < 0) {
		ts->tv_nsec += RFS_NSEC_PER_SEC;
		ts->tv_sec--;
	}
}

/* Copy extended attributes of one key to another; what a backend does not
 * store is skipped. */
static void copy_xattrs(struct rfs_backend *src, const char *skey,
			struct rfs_backend *dst, const char *dkey)
{
	char list[4096], value[65536];
	ssize_t n, v;

	n = rfs_backend_listxattr(src, skey, list, sizeof(list));
	for (ssize_t i = 0; n > 0 && i < n;
	     i += (ssize_t)strlen(list + i) + 1) {
		v = rfs_backend_getxattr(src, skey, list + i, value,
					 sizeof(value));
		if (v >= 0)
			rfs_backend_setxattr(dst, dkey, list + i, value,
					     (size_t)v, 0);
	}
}

/* Metadata the copy keeps: mode, owner (when we may), times. Only what
 * differs is changed: on an object store each change rewrites the object
 * (a copy onto itself), and a server-side copy already kept them all. */
int rfs_copy_meta(struct rfs_backend *b, const char *key,
		  const struct rfs_entry_file *f)
{
	struct timespec ts[2];
	struct stat st;
	bool have = rfs_backend_stat(b, key, &st) == 0;
	int r = 0;

	if (geteuid() == 0 &&
	    !(have && st.st_uid == f->uid && st.st_gid == f->gid))
		rfs_backend_chown(b, key, f->uid, f->gid);
	if (f->type != RFS_FILE_LINK &&
	    !(have && (st.st_mode & 07777) == (f->mode & 07777)))
		r = rfs_backend_chmod(b, key, f->mode);
	if (have && rfs_copy_ns(&st.st_mtim) == f->mtime_ns &&
	    rfs_copy_ns(&st.st_atim) == f->atime_ns)
		return r == -ENOSYS ? 0 : r;
	to_ts(f->atime_ns, &ts[0]);
	to_ts(f->mtime_ns, &ts[1]);
	if (r == 0 || r == -ENOSYS)
		r = rfs_backend_utimens(b, key, ts);
	return r == -ENOSYS ? 0 : r;
}

/* Stream a file: read the source once, hash it, write a temporary beside
 * the destination (".rfs-tmp.<name, cut to 229 bytes>.<hex>": within
 * NAME_MAX for any name), then rename it into place. */
static int stream_copy(struct rfs_backend *src, const char *skey,
		       struct rfs_backend *dst, const char *dkey,
		       const struct rfs_entry_file *f, char *sha)
{
	const size_t bufsize = 1 << 20;
	struct rfs_file *in = NULL, *out = NULL;
	struct rfs_buf tmp = RFS_BUF_INIT;
	struct rfs_sha256 h = { 0 };
	unsigned int rnd = 0;
	off_t off = 0;
	char *buf;
	ssize_t n = 0;
	int r;

	buf = malloc(bufsize);
	if (!buf)
		return -ENOMEM;
	getrandom(&rnd, sizeof(rnd), 0);
	r = rfs_buf_add(&tmp, dkey, rfs_path_dirlen(dkey));
	if (r == 0)
		r = rfs_buf_addf(&tmp, "%s.rfs-tmp.%.229s.%08x",
				 rfs_path_dirlen(dkey) ? "/" : "",
				 rfs_path_basename(dkey), rnd);
	if (r == 0)
		r = rfs_backend_open_file(src, skey, O_RDONLY, 0, &in);
	if (r == 0)
		r = rfs_backend_open_file(dst, rfs_buf_str(&tmp),
					  O_CREAT | O_EXCL | O_WRONLY, 0600,
					  &out);
	if (r == 0)
		r = rfs_sha256_init(&h);
	while (r == 0 && (n = rfs_file_read(in, buf, bufsize, off)) > 0) {
		r = rfs_sha256_update(&h, buf, (size_t)n);
		for (ssize_t w = 0, got; r == 0 && w < n; w += got) {
			got = rfs_file_write(out, buf + w, (size_t)(n - w),
					     off + w);
			if (got <= 0)
				r = got < 0 ? (int)got : -EIO;
		}
		off += n;
	}
	if (r == 0 && n < 0)
		r = (int)n;
	if (r == 0)
		r = rfs_sha256_final(&h, sha);
	rfs_sha256_release(&h);
	if (in)
		rfs_file_close(in);
	if (out) {
		int c = rfs_file_close(out);

		if (r == 0)
			r = c;
	}
	if (r == 0) {
		copy_xattrs(src, skey, dst, rfs_buf_str(&tmp));
		r = rfs_copy_meta(dst, rfs_buf_str(&tmp), f);
	}
	if (r == 0)
		r = rfs_backend_rename(dst, rfs_buf_str(&tmp), dkey, 0);
	if (r < 0 && out)
		rfs_backend_unlink(dst, rfs_buf_str(&tmp));
	rfs_buf_release(&tmp);
	free(buf);
	return r;
}

int rfs_copy_reg(struct rfs_backend *src, const char *skey,
		 struct rfs_backend *dst, const char *dkey,
		 const struct rfs_entry_file *f, const char *expect,
		 char sha[RFS_SHA256_HEX_LEN])
{
	char have[RFS_SHA256_HEX_LEN];
	struct stat st;
	int r;

	r = rfs_backend_stat(dst, dkey, &st);
	if (r == 0 && S_ISREG(st.st_mode) && st.st_size == f->size) {
		/* Present from an earlier run: keep it if it matches. */
		r = rfs_copy_hash(dst, dkey, have, NULL);
		if (r == 0 && expect)
			memcpy(sha, expect, RFS_SHA256_HEX_LEN);
		else if (r == 0)
			r = rfs_copy_hash(src, skey, sha, NULL);
		if (r == 0 && !strcmp(have, sha))
			return rfs_copy_meta(dst, dkey, f);
	}
	if (r == 0) {
		/* A stale or different file: replace it. */
		r = rfs_backend_unlink(dst, dkey);
	}
	if (r == -ENOENT)
		r = 0;
	if (r < 0)
		return r;
	r = rfs_backend_copy(src, skey, dst, dkey,
			     RFS_BACKEND_COPY_NOREPLACE |
				     RFS_BACKEND_COPY_NOSYNC);
	if (r == 0) {
		/* Copied without us: hash the source; the copy itself is
		 * checked by the caller's verify step. */
		r = rfs_copy_hash(src, skey, sha, NULL);
		if (r == 0)
			r = rfs_copy_meta(dst, dkey, f);
		return r;
	}
	if (r != -EXDEV && r != -ENOSYS && r != -EOPNOTSUPP)
		return r;
	return stream_copy(src, skey, dst, dkey, f, sha);
}

int rfs_copy_link(struct rfs_backend *dst, const char *dkey,
		  const struct rfs_entry_file *f)
{
	char have[4096];
	int r;

	r = rfs_backend_readlink(dst, dkey, have, sizeof(have));
	if (r == 0 && !strcmp(have, f->link))
		return rfs_copy_meta(dst, dkey, f);
	if (r == 0 || r == -EINVAL)
		rfs_backend_unlink(dst, dkey);
	r = rfs_backend_symlink(dst, f->link, dkey);
	if (r == 0)
		r = rfs_copy_meta(dst, dkey, f);
	return r;
}
