/*
 * Copying one row between backends: the backend's own copy when it can,
 * else a hashing stream into a temporary renamed into place; extended
 * attributes; names of one file linked again after the copy.
 */
#include "core/copy.h"

#include "backends/backend.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/path.h"
#include "util/sha256.h"
#include "util/uri.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
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
	/* Reading leaves the access time as it is: the copy keeps it. */
	r = rfs_backend_open_file(b, key, O_RDONLY | O_NOATIME, 0, &f);
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

/* The names recyclefs gives its own nodes; never copied onto data. */
static bool own_attr(const char *name)
{
	return !strncmp(name, "user.recyclefs.", 15);
}

/* Read @p key's attribute names into a malloc'ed list. @return its size,
 * 0 when there are none (or the backend keeps none), or -errno */
static ssize_t xattr_names(struct rfs_backend *b, const char *key, char **out)
{
	for (int tries = 0; tries < 8; tries++) {
		ssize_t n = rfs_backend_listxattr(b, key, NULL, 0), m;
		char *list;

		if (n == -ENOSYS || n == -EOPNOTSUPP || n == 0)
			return 0;
		if (n < 0)
			return n;
		list = malloc((size_t)n);
		if (!list)
			return -ENOMEM;
		m = rfs_backend_listxattr(b, key, list, (size_t)n);
		if (m >= 0) {
			*out = list;
			return m;
		}
		free(list);
		if (m != -ERANGE)
			return m;
	}
	return -ERANGE;
}

/* Copy one attribute; one gone meanwhile is skipped. */
static int copy_xattr(struct rfs_backend *src, const char *skey,
		      struct rfs_backend *dst, const char *dkey,
		      const char *name)
{
	ssize_t n = rfs_backend_getxattr(src, skey, name, NULL, 0), m;
	char *value;
	int r;

	if (n < 0)
		return n == -ENODATA ? 0 : (int)n;
	value = malloc(n ? (size_t)n : 1);
	if (!value)
		return -ENOMEM;
	m = rfs_backend_getxattr(src, skey, name, value, (size_t)n);
	if (m < 0)
		r = m == -ENODATA ? 0 : (int)m;
	else
		r = rfs_backend_setxattr(dst, dkey, name, value, (size_t)m, 0);
	free(value);
	return r;
}

int rfs_copy_xattrs(struct rfs_backend *src, const char *skey,
		    struct rfs_backend *dst, const char *dkey)
{
	char *list = NULL;
	ssize_t n = xattr_names(src, skey, &list);
	int r = n < 0 ? (int)n : 0;

	for (ssize_t i = 0; r == 0 && i < n;
	     i += (ssize_t)strlen(list + i) + 1) {
		const char *name = list + i;

		if (own_attr(name))
			continue;
		r = copy_xattr(src, skey, dst, dkey, name);
		/* What the destination cannot store (a namespace it does
		 * not keep, a name or value too long for it, system.*
		 * without privilege) is left behind. */
		if (r == -ENOSYS || r == -EOPNOTSUPP || r == -EINVAL ||
		    r == -E2BIG || r == -ERANGE ||
		    ((r == -EPERM || r == -EACCES) &&
		     strncmp(name, "user.", 5)))
			r = 0;
	}
	free(list);
	return r;
}

/* Metadata the copy keeps: mode, owner (when we may), times. Only what
 * differs is changed: on an object store each change rewrites the object
 * (a copy onto itself), and a server-side copy already kept them all. */
int rfs_copy_meta(struct rfs_backend *b, const char *key,
		  const struct rfs_entry_file *f)
{
	struct timespec ts[2];
	struct stat st;
	bool have = rfs_backend_stat(b, key, &st) == 0, chowned = false;
	int r = 0;

	if (geteuid() == 0 &&
	    !(have && st.st_uid == f->uid && st.st_gid == f->gid)) {
		/* A storage that keeps no owner, or refuses root (a squashed
		 * NFS export), leaves it; any other failure (EIO) fails the
		 * copy, to be made again, rather than lose the owner. */
		r = rfs_backend_chown(b, key, f->uid, f->gid);
		chowned = r == 0;
		if (r == -ENOSYS || r == -EOPNOTSUPP || r == -EPERM)
			r = 0;
		if (r < 0)
			return r;
	}
	/* A change of owner clears the set-user-ID and set-group-ID bits:
	 * the mode is then set again. */
	if (f->type != RFS_FILE_LINK &&
	    (chowned || !(have && (st.st_mode & 07777) == (f->mode & 07777))))
		r = rfs_backend_chmod(b, key, f->mode & 07777);
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
		r = rfs_backend_open_file(src, skey, O_RDONLY | O_NOATIME, 0,
					  &in);
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
	if (r == 0)
		r = rfs_copy_xattrs(src, skey, dst, rfs_buf_str(&tmp));
	if (r == 0)
		r = rfs_copy_meta(dst, rfs_buf_str(&tmp), f);
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

enum rfs_file_type rfs_copy_special_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return RFS_FILE_FIFO;
	case S_IFSOCK:
		return RFS_FILE_SOCK;
	case S_IFCHR:
		return RFS_FILE_CHR;
	case S_IFBLK:
		return RFS_FILE_BLK;
	}
	return 0;
}

const char *rfs_copy_special_name(enum rfs_file_type t)
{
	switch (t) {
	case RFS_FILE_FIFO:
		return "FIFO";
	case RFS_FILE_SOCK:
		return "socket";
	case RFS_FILE_CHR:
		return "character device";
	case RFS_FILE_BLK:
		return "block device";
	default:
		return "file";
	}
}

int rfs_copy_special_refuse(struct rfs_error *err, const char *path,
			    enum rfs_file_type t, const char *role,
			    const char *uri)
{
	char *shown = rfs_uri_strip_query(uri);
	int r;

	r = rfs_error_set(err, EPERM,
			  "'%s' is a %s: %s '%s' keeps no special files "
			  "(FIFOs, sockets, devices: it is an object store); "
			  "nothing was changed",
			  path, rfs_copy_special_name(t), role,
			  shown ? shown : "?");
	free(shown);
	return r;
}

static mode_t special_ifmt(enum rfs_file_type t)
{
	switch (t) {
	case RFS_FILE_FIFO:
		return S_IFIFO;
	case RFS_FILE_SOCK:
		return S_IFSOCK;
	case RFS_FILE_CHR:
		return S_IFCHR;
	case RFS_FILE_BLK:
		return S_IFBLK;
	default:
		return 0;
	}
}

bool rfs_copy_special_same(const struct stat *st,
			   const struct rfs_entry_file *f)
{
	if (!rfs_file_type_special(f->type) ||
	    rfs_copy_special_type(st->st_mode) != f->type)
		return false;
	return (f->type != RFS_FILE_CHR && f->type != RFS_FILE_BLK) ||
	       (uint64_t)st->st_rdev == f->rdev;
}

int rfs_copy_special(struct rfs_backend *dst, const char *dkey,
		     const struct rfs_entry_file *f)
{
	bool dev = f->type == RFS_FILE_CHR || f->type == RFS_FILE_BLK;
	struct stat st;
	int r;

	if (!rfs_file_type_special(f->type))
		return -EINVAL;
	if (!rfs_backend_has(dst, RFS_BACKEND_CAP_SPECIAL))
		return -ENOSYS;
	r = rfs_backend_stat(dst, dkey, &st);
	if (r == 0 && rfs_copy_special_same(&st, f))
		return rfs_copy_meta(dst, dkey, f);
	if (r == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	if (r == 0) /* another file there: replaced, as a copy replaces */
		r = rfs_backend_unlink(dst, dkey);
	if (r < 0 && r != -ENOENT)
		return r;
	r = rfs_backend_mknod(dst, dkey, special_ifmt(f->type) | 0600,
			      dev ? (dev_t)f->rdev : 0);
	if (r == 0)
		r = rfs_copy_meta(dst, dkey, f);
	return r;
}

/* One copied name of a source file that has several. */
struct rfs_copy_link_name {
	dev_t dev;
	ino_t ino;
	char *dkey;
};

void rfs_copy_links_init(struct rfs_copy_links *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
}

void rfs_copy_links_release(struct rfs_copy_links *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].dkey);
	free(l->v);
	pthread_mutex_destroy(&l->lock);
	memset(l, 0, sizeof(*l));
}

bool rfs_copy_links_possible(struct rfs_backend *src, struct rfs_backend *dst)
{
	return rfs_backend_has(src, RFS_BACKEND_CAP_HARDLINK) &&
	       rfs_backend_has(dst, RFS_BACKEND_CAP_HARDLINK);
}

int rfs_copy_links_note(struct rfs_copy_links *l, struct rfs_backend *src,
			const char *skey, const char *dkey)
{
	struct rfs_copy_link_name *v;
	struct stat st;
	int r;

	r = rfs_backend_stat(src, skey, &st);
	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode) || st.st_nlink < 2)
		return 0;
	pthread_mutex_lock(&l->lock);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&l->lock);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	v = &l->v[l->n];
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->dkey = strdup(dkey);
	r = v->dkey ? 0 : -ENOMEM;
	if (r == 0)
		l->n++;
	pthread_mutex_unlock(&l->lock);
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	const struct rfs_copy_link_name *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->dkey, y->dkey);
}

/* Make @p key a name of the file @p first is, replacing the copy that is
 * there by a rename of a new link over it (atomic: @p key always shows
 * the same bytes). */
static int link_over(struct rfs_backend *dst, const char *first,
		     const char *key)
{
	struct rfs_buf tmp = RFS_BUF_INIT;
	struct stat a, b;
	unsigned int rnd = 0;
	int r;

	r = rfs_backend_stat(dst, first, &a);
	if (r == 0)
		r = rfs_backend_stat(dst, key, &b);
	if (r < 0)
		return r;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0; /* linked already (a rerun) */
	if (!S_ISREG(a.st_mode) || !S_ISREG(b.st_mode) ||
	    a.st_size != b.st_size)
		return -EBADMSG;
	getrandom(&rnd, sizeof(rnd), 0);
	r = rfs_buf_add(&tmp, key, rfs_path_dirlen(key));
	if (r == 0)
		r = rfs_buf_addf(&tmp, "%s.rfs-tmp.%.229s.%08x",
				 rfs_path_dirlen(key) ? "/" : "",
				 rfs_path_basename(key), rnd);
	if (r == 0)
		r = rfs_backend_link(dst, first, rfs_buf_str(&tmp));
	if (r == 0) {
		r = rfs_backend_rename(dst, rfs_buf_str(&tmp), key, 0);
		if (r < 0)
			rfs_backend_unlink(dst, rfs_buf_str(&tmp));
	}
	rfs_buf_release(&tmp);
	return r;
}

int rfs_copy_links_apply(struct rfs_copy_links *l, struct rfs_backend *dst)
{
	size_t i, first = 0;
	int r = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_names);
	for (i = 1; r == 0 && i < l->n; i++) {
		if (l->v[i].dev != l->v[first].dev ||
		    l->v[i].ino != l->v[first].ino) {
			first = i;
			continue;
		}
		r = link_over(dst, l->v[first].dkey, l->v[i].dkey);
		/* A storage that cannot link keeps separate copies. */
		if (r == -ENOSYS || r == -EOPNOTSUPP || r == -EPERM ||
		    r == -EXDEV || r == -EMLINK)
			r = 0;
	}
	return r;
}
