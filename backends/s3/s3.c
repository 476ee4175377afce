/*
 * The S3 adapter's backend: opening from a URI, the ops table, keys,
 * attributes (stat through the caches) and the small requests the other
 * files build on (HEAD, PUT from memory, DELETE).
 *
 * Layout in the bucket: a key K of a storage with prefix P is the object
 * "P/K". A directory is a "P/K/" marker object (written by mkdir, with
 * its mode in x-amz-meta-mode, as s3fs writes them) or only implied by
 * objects below "P/K/" (as other tools leave them). Attributes travel in
 * x-amz-meta-mtime ("SEC.NSEC"), -atime, -mode (decimal st_mode), -uid and
 * -gid, the conventions of s3fs, which rclone reads too. An object without
 * them is a regular file of mode 0644, owned by the caller, modified at
 * its Last-Modified time; an implied directory has mode 0755 and the
 * times of the moment the storage was opened.
 *
 * Not supported: extended attributes (no xattr methods: the port's
 * wrappers give -ENOTSUP), hard links (-EPERM), RENAME_EXCHANGE (-EINVAL:
 * S3 cannot swap two names atomically).
 */
#include "backends/s3/s3.h"
#include "backends/s3/s3_ops.h"

#include "util/uri.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"
#include "util/timestamp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The reason of the calling thread's last failed request. */
static __thread struct rfs_error last_error;

const char *rfs_s3_last_error(void)
{
	return last_error.msg;
}

static void s3_forget(struct rfs_backend *rb, const char *key)
{
	rfs_s3_invalidate(rfs_s3_of(rb), key);
}

static const char *s3_last_error(struct rfs_backend *rb, int err)
{
	(void)rb;
	return last_error.code == err ? last_error.msg : "";
}

int rfs_s3_fail(int code, const char *fmt, ...)
{
	va_list ap;

	last_error.code = code;
	va_start(ap, fmt);
	vsnprintf(last_error.msg, sizeof(last_error.msg), fmt, ap);
	va_end(ap);
	return -code;
}

void rfs_s3_req_init(struct rfs_s3_request *r, const char *method,
		     const char *full_key)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->key = full_key;
	r->body_fd = -1;
	r->idempotent = strcmp(method, "POST") != 0;
}

int rfs_s3_do(struct rfs_s3_backend *b, struct rfs_s3_request *r)
{
	struct rfs_error err = { 0 };
	int e = rfs_s3_perform(b->client, r, &err);

	if (e < 0 && err.code)
		last_error = err;
	return e;
}

int rfs_s3_full_key(struct rfs_s3_backend *b, const char *key,
		    struct rfs_buf *out)
{
	return rfs_path_join(out, b->conf->prefix, key);
}

int rfs_s3_dir_prefix(struct rfs_s3_backend *b, const char *key,
		      struct rfs_buf *out)
{
	size_t len = out->len;
	int r = rfs_s3_full_key(b, key, out);

	if (!r && out->len > len)
		r = rfs_buf_addch(out, '/');
	return r;
}

/* ------------------------------------------------------------ metadata */

/*
 * Parse "SEC[.FRACTION]" as a true decimal (any number of fraction digits,
 * the first nine count), or a float in exponent form ("1.7e9"), into
 * nanoseconds through the checked conversion of util/timestamp.h.
 * @return 0, -EINVAL (not a number: ignored), -ERANGE (a time outside the
 *         range recyclefs holds)
 */
static int parse_time(const char *s, int64_t *ns)
{
	int64_t sec = 0, frac = 0;
	bool neg = false, big = false;
	int digits = 0;

	if (!*s)
		return -EINVAL;
	if (strpbrk(s, "eE")) { /* a float in exponent form */
		char *end;
		long double v = strtold(s, &end);

		if (end == s || *end)
			return -EINVAL;
		return rfs_time_from_float(v, ns);
	}
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (sec > RFS_TIME_SEC_MAX)
			big = true; /* read on: it may still not be a number */
		else
			sec = sec * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (digits < 9) {
				frac = frac * 10 + (*s - '0');
				digits++;
			}
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	if (big)
		return -ERANGE;
	while (digits++ < 9)
		frac *= 10;
	if (neg && frac) { /* -1.25 is -2 s + 0.75 s */
		sec = -sec - 1;
		frac = RFS_NSEC_PER_SEC - frac;
	} else if (neg) {
		sec = -sec;
	}
	return rfs_time_from_sec(sec, frac, ns);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v <= max;
}

/* A header value for a message: non-printable bytes shown as '?'. */
static const char *shown(const char *v, char *out, size_t size)
{
	size_t i;

	for (i = 0; v[i] && i + 1 < size; i++)
		out[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	out[i] = '\0';
	return out;
}

/* An impossible time in header @p name of @p r's object. @return -EIO */
static int bad_time(struct rfs_s3_backend *b, const struct rfs_s3_request *r,
		    const char *name, const char *value)
{
	char v[48];

	return rfs_s3_fail(EIO,
			   "storage '%s': '%s' has an impossible %s '%s' "
			   "(recyclefs holds times from 1677-09-21 to "
			   "2262-04-11)",
			   b ? b->name : "s3", r->key ? r->key : "", name,
			   shown(value, v, sizeof(v)));
}

int rfs_s3_meta_from(struct rfs_s3_backend *b, const struct rfs_s3_request *r,
		     bool dir, struct rfs_s3_meta *m)
{
	unsigned long v;
	int e;

	memset(m, 0, sizeof(*m));
	m->mode = dir ? S_IFDIR | 0755 : S_IFREG | 0644;
	if (parse_uint(r->meta_mode, 0177777, &v)) {
		if (dir)
			m->mode = S_IFDIR | (v & 07777);
		else if (S_ISLNK(v))
			m->mode = S_IFLNK | (v & 07777);
		else
			m->mode = S_IFREG | (v & 07777);
	}
	m->uid = parse_uint(r->meta_uid, UINT32_MAX - 1, &v) ? (uid_t)v
							     : geteuid();
	m->gid = parse_uint(r->meta_gid, UINT32_MAX - 1, &v) ? (gid_t)v
							     : getegid();
	if (r->last_modified_bad)
		return bad_time(b, r, "Last-Modified", r->last_modified);
	m->ctime_ns = m->server_ns = r->last_modified_ns;
	e = parse_time(r->meta_mtime, &m->mtime_ns);
	if (e == -ERANGE)
		return bad_time(b, r, "x-amz-meta-mtime", r->meta_mtime);
	m->has_mtime = e == 0;
	if (!m->has_mtime)
		m->mtime_ns = r->last_modified_ns;
	e = parse_time(r->meta_atime, &m->atime_ns);
	if (e == -ERANGE)
		return bad_time(b, r, "x-amz-meta-atime", r->meta_atime);
	if (e < 0)
		m->atime_ns = m->mtime_ns;
	m->size = r->content_length > 0 ? r->content_length : 0;
	snprintf(m->content_type, sizeof(m->content_type), "%s",
		 r->content_type);
	snprintf(m->etag, sizeof(m->etag), "%s", r->etag);
	return 0;
}

void rfs_s3_meta_new(struct rfs_s3_meta *m, mode_t mode)
{
	memset(m, 0, sizeof(*m));
	m->mode = mode;
	m->uid = geteuid();
	m->gid = getegid();
	m->mtime_ns = m->atime_ns = m->ctime_ns = rfs_time_now_ns();
	m->has_mtime = true;
	snprintf(m->content_type, sizeof(m->content_type), "%s",
		 S_ISDIR(mode) ? "application/x-directory"
			       : "application/octet-stream");
}

static void fmt_time(char *out, size_t size, const char *name, int64_t ns)
{
	uint64_t a = ns < 0 ? (uint64_t) - (ns + 1) + 1 : (uint64_t)ns;

	snprintf(out, size, "%s: %s%llu.%09llu", name, ns < 0 ? "-" : "",
		 (unsigned long long)(a / RFS_NSEC_PER_SEC),
		 (unsigned long long)(a % RFS_NSEC_PER_SEC));
}

size_t rfs_s3_meta_headers(const struct rfs_s3_meta *m, char store[6][160],
			   const char *lines[6])
{
	size_t i;

	fmt_time(store[0], 160, "x-amz-meta-mtime", m->mtime_ns);
	fmt_time(store[1], 160, "x-amz-meta-atime", m->atime_ns);
	snprintf(store[2], 160, "x-amz-meta-mode: %u", (unsigned int)m->mode);
	snprintf(store[3], 160, "x-amz-meta-uid: %u", (unsigned int)m->uid);
	snprintf(store[4], 160, "x-amz-meta-gid: %u", (unsigned int)m->gid);
	snprintf(store[5], 160, "Content-Type: %s",
		 *m->content_type ? m->content_type
				  : "application/octet-stream");
	for (i = 0; i < 6; i++)
		lines[i] = store[i];
	return 6;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t key_ino(struct rfs_s3_backend *b, const char *full)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[3] = { b->conf->bucket, "/", full };
	const char *p;
	int i;

	for (i = 0; i < 3; i++)
		for (p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
	return h ? h : 1;
}

static struct timespec ts_of(int64_t ns)
{
	struct timespec t;

	t.tv_sec = (time_t)(ns / RFS_NSEC_PER_SEC);
	t.tv_nsec = (long)(ns % RFS_NSEC_PER_SEC);
	if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += RFS_NSEC_PER_SEC;
	}
	return t;
}

/* What a listing can tell of @p m: see rfs_s3_meta_to_stat(). */
static bool listing_attrs(struct rfs_s3_backend *b, struct rfs_s3_meta *m)
{
	bool dir = S_ISDIR(m->mode), known = dir || m->server_ns;
	int64_t t = dir ? b->opened_ns : known ? m->server_ns : m->mtime_ns;

	m->mode = dir ? S_IFDIR | 0755 : S_IFREG | 0644;
	m->uid = geteuid();
	m->gid = getegid();
	/* listings give milliseconds, HEAD whole seconds: agree on those */
	t -= ((t % RFS_NSEC_PER_SEC) + RFS_NSEC_PER_SEC) % RFS_NSEC_PER_SEC;
	m->mtime_ns = m->atime_ns = m->ctime_ns = t;
	return known;
}

bool rfs_s3_meta_to_stat(struct rfs_s3_backend *b, const char *full,
			 const struct rfs_s3_meta *meta, struct stat *st)
{
	struct rfs_s3_meta copy, *m = &copy;
	bool exact = true;

	copy = *meta;
	if (b->conf->attrs_listing)
		exact = listing_attrs(b, m);
	memset(st, 0, sizeof(*st));
	st->st_mode = m->mode;
	st->st_nlink = S_ISDIR(m->mode) ? 2 : 1;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_size = S_ISDIR(m->mode) ? 0 : (off_t)m->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((st->st_size + 511) / 512);
	st->st_ino = (ino_t)key_ino(b, full);
	st->st_mtim = ts_of(m->mtime_ns);
	st->st_atim = ts_of(m->atime_ns);
	st->st_ctim =
		ts_of(m->ctime_ns > m->mtime_ns ? m->ctime_ns : m->mtime_ns);
	return exact;
}

/* ----------------------------------------------------- simple requests */

int rfs_s3_head(struct rfs_s3_backend *b, const char *full,
		struct rfs_s3_meta *m)
{
	struct rfs_s3_request r;
	size_t len = strlen(full);
	int e;

	rfs_s3_req_init(&r, "HEAD", full);
	e = rfs_s3_do(b, &r);
	if (!e)
		e = rfs_s3_meta_from(b, &r, len && full[len - 1] == '/', m);
	if (!e)
		rfs_s3_cache_head_put(b->cache, full, m);
	if (!e && len && full[len - 1] != '/')
		rfs_s3_attrs_put(b->attrs, full, m);
	return e;
}

int rfs_s3_put(struct rfs_s3_backend *b, const char *full, const void *data,
	       size_t len, const struct rfs_s3_meta *m, bool exclusive)
{
	const char *lines[7];
	char store[6][160];
	struct rfs_s3_request r;
	size_t n = rfs_s3_meta_headers(m, store, lines);

	if (exclusive)
		lines[n++] = "If-None-Match: *";
	rfs_s3_req_init(&r, "PUT", full);
	r.headers = lines;
	r.n_headers = n;
	r.body = data;
	r.body_len = len;
	/* a retried conditional PUT would find its own first attempt */
	r.idempotent = !exclusive;
	return rfs_s3_do(b, &r);
}

int rfs_s3_delete(struct rfs_s3_backend *b, const char *full)
{
	struct rfs_s3_request r;
	int e;

	rfs_s3_req_init(&r, "DELETE", full);
	e = rfs_s3_do(b, &r);
	return e == -ENOENT && !strcmp(r.s3_code, "NoSuchKey") ? 0 : e;
}

/* ---------------------------------------------------------- attributes */

static void root_stat(struct rfs_s3_backend *b, struct stat *st)
{
	struct rfs_s3_meta m;

	rfs_s3_meta_new(&m, S_IFDIR | 0755);
	m.mtime_ns = m.atime_ns = m.ctime_ns = b->opened_ns;
	rfs_s3_meta_to_stat(b, b->conf->prefix, &m, st);
}

/* @p key (object @p full) is no object: is it a directory (a marker or
 * objects below)? */
static int stat_dir(struct rfs_s3_backend *b, const char *key, const char *full,
		    struct stat *st)
{
	struct rfs_buf dir = RFS_BUF_INIT;
	struct rfs_s3_meta m;
	bool marker = false;
	int r = rfs_s3_dir_has_children(b, key, &marker);

	if (r == 0 && !marker) {
		/* neither object nor directory: remembered until a write of
		 * ours drops it, or cache_ttl */
		rfs_s3_cache_absent_put(b->cache, full);
		r = -ENOENT;
	}
	if (r < 0)
		goto out;
	if (marker) {
		r = rfs_buf_addf(&dir, "%s/", full);
		if (!r)
			r = rfs_s3_head(b, rfs_buf_str(&dir), &m);
		if (r == -ENOENT) /* deleted in between: still implied? */
			marker = false;
		else if (r < 0)
			goto out;
	}
	if (!marker) {
		rfs_s3_meta_new(&m, S_IFDIR | 0755);
		m.mtime_ns = m.atime_ns = m.ctime_ns = b->opened_ns;
	}
	r = 0;
	if (rfs_s3_meta_to_stat(b, full, &m, st))
		rfs_s3_cache_stat_put(b->cache, full, st, marker);
out:
	rfs_buf_release(&dir);
	return r;
}

int rfs_s3_stat_key(struct rfs_s3_backend *b, const char *key, struct stat *st)
{
	struct rfs_buf full = RFS_BUF_INIT;
	struct rfs_s3_meta m;
	const char *f;
	int r;

	if (!*key) {
		root_stat(b, st);
		return 0;
	}
	r = rfs_s3_full_key(b, key, &full);
	if (r < 0)
		return r;
	f = rfs_buf_str(&full);
	if (rfs_s3_files_stat(b, f, st) || rfs_s3_fresh_stat(b, f, st))
		goto out;
	r = rfs_s3_cache_stat_find(b->cache, f, st, NULL);
	if (r >= 0) {
		r = r ? 0 : -ENOENT;
		goto out;
	}
	r = rfs_s3_cache_lookup(b->cache, f, st);
	if (r >= 0) {
		r = r ? 0 : -ENOENT;
		goto out;
	}
	r = rfs_s3_head(b, f, &m);
	if (!r) {
		if (rfs_s3_meta_to_stat(b, f, &m, st))
			rfs_s3_cache_stat_put(b->cache, f, st, false);
	} else if (r == -ENOENT) {
		r = stat_dir(b, key, f, st);
	}
out:
	rfs_buf_release(&full);
	return r;
}

int rfs_s3_check_parent(struct rfs_s3_backend *b, const char *key)
{
	size_t dl = rfs_path_dirlen(key);
	struct stat st;
	char *parent;
	int r;

	if (!dl)
		return 0;
	parent = strndup(key, dl);
	if (!parent)
		return -ENOMEM;
	r = rfs_s3_stat_key(b, parent, &st);
	if (!r && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	free(parent);
	return r;
}

void rfs_s3_invalidate_full(struct rfs_s3_backend *b, const char *full)
{
	char *dir = strdup(full);
	size_t dl;

	rfs_s3_fresh_drop(b, full);
	rfs_s3_cache_drop(b->cache, full);
	if (!dir) { /* cannot tell the ancestors: forget everything */
		rfs_s3_cache_drop_tree(b->cache, "");
		return;
	}
	for (;;) {
		dl = rfs_path_dirlen(dir);
		dir[dl] = '\0';
		rfs_s3_cache_drop_list(b->cache, dir);
		if (!dl)
			break;
	}
	/* An implied parent may have come: drop what was known of it,
	 * unless it was a directory already. It does not go when its last
	 * entry does: unlink, rmdir and rename give it a marker
	 * (rfs_s3_keep_parent()). */
	dl = rfs_path_dirlen(full);
	memcpy(dir, full, dl);
	dir[dl] = '\0';
	if (dl)
		rfs_s3_cache_drop_unless_dir(b->cache, dir);
	free(dir);
}

void rfs_s3_cache_made(struct rfs_s3_backend *b, const char *key,
		       const char *full, const struct rfs_s3_meta *made)
{
	struct stat st;

	if (!made || !*made->etag || !rfs_s3_meta_to_stat(b, full, made, &st)) {
		rfs_s3_invalidate(b, key);
		return;
	}
	rfs_s3_cache_drop(b->cache, full);
	rfs_s3_cache_head_put(b->cache, full, made);
	rfs_s3_attrs_put(b->attrs, full, made);
	rfs_s3_cache_stat_put(b->cache, full, &st, false);
	rfs_s3_cache_list_set(b->cache, full, &st);
}

void rfs_s3_invalidate(struct rfs_s3_backend *b, const char *key)
{
	struct rfs_buf full = RFS_BUF_INIT;

	if (rfs_s3_full_key(b, key, &full) == 0)
		rfs_s3_invalidate_full(b, rfs_buf_str(&full));
	else
		rfs_s3_cache_drop_tree(b->cache, "");
	rfs_buf_release(&full);
}

void rfs_s3_keep_parent(struct rfs_s3_backend *b, const char *key)
{
	struct rfs_buf marker = RFS_BUF_INIT;
	size_t dl = rfs_path_dirlen(key);
	struct rfs_s3_meta m;
	struct stat st;
	bool has_marker = false;
	char *parent;
	int r;

	if (!dl)
		return;
	parent = strndup(key, dl);
	if (!parent)
		return;
	r = rfs_s3_dir_prefix(b, parent, &marker);
	if (r < 0)
		goto out;
	rfs_buf_truncate(&marker, marker.len - 1); /* the directory's key */
	if (rfs_s3_cache_stat_get(b->cache, rfs_buf_str(&marker), &st,
				  &has_marker) &&
	    has_marker)
		goto out;
	rfs_buf_reset(&marker);
	r = rfs_s3_dir_has_children(b, parent, &has_marker);
	if (r != 0 || has_marker)
		goto out;
	/* the directory was only implied by what was just removed */
	rfs_s3_meta_new(&m, S_IFDIR | 0755);
	r = rfs_s3_dir_prefix(b, parent, &marker);
	if (!r)
		r = rfs_s3_put(b, rfs_buf_str(&marker), "", 0, &m, false);
	if (r < 0)
		rfs_log(LOG_DEBUG, "s3 '%s': cannot keep directory '%s': %s",
			b->name, parent, strerror(-r));
	rfs_s3_invalidate(b, parent);
out:
	rfs_buf_release(&marker);
	free(parent);
}

/* ----------------------------------------------------------- backend */

static int s3_stat(struct rfs_backend *rb, const char *key, struct stat *st)
{
	if (!rfs_path_is_clean(key))
		return -EINVAL;
	return rfs_s3_stat_key(rfs_s3_of(rb), key, st);
}

static int s3_statfs(struct rfs_backend *rb, const char *key,
		     struct statvfs *st)
{
	const fsblkcnt_t blocks = (fsblkcnt_t)1 << 40; /* 4 PiB of 4 KiB */
	struct stat s;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	r = rfs_s3_stat_key(rfs_s3_of(rb), key, &s);
	if (r < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->f_bsize = st->f_frsize = 4096;
	st->f_blocks = st->f_bfree = st->f_bavail = blocks;
	st->f_files = st->f_ffree = st->f_favail = (fsfilcnt_t)1 << 40;
	st->f_namemax = 255;
	return 0;
}

static void s3_free(struct rfs_backend *rb)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);

	rfs_s3_cache_close(b->cache);
	rfs_s3_attrs_close(b->attrs);
	rfs_s3_fresh_free(b->fresh);
	pthread_mutex_destroy(&b->fresh_lock);
	rfs_s3_client_free(b->client);
	free(b->base.uri);
	free(b);
}

static const struct rfs_backend_ops s3_ops = {
	.scheme = "s3",
	/* list() HEADs what it has not cached: its attributes are exact */
	.caps = RFS_BACKEND_CAP_COPY | RFS_BACKEND_CAP_SYMLINK |
		RFS_BACKEND_CAP_RANDOM_WRITE | RFS_BACKEND_CAP_LIST_EXACT |
		RFS_BACKEND_CAP_REMOTE,
	.stat = s3_stat,
	.list = rfs_s3_list,
	.open = rfs_s3_open_file,
	.read = rfs_s3_file_read,
	.write = rfs_s3_file_write,
	.fstat = rfs_s3_file_fstat,
	.ftruncate = rfs_s3_file_ftruncate,
	.fsync = rfs_s3_file_fsync,
	.flush = rfs_s3_file_flush,
	.close = rfs_s3_file_close,
	.mkdir = rfs_s3_mkdir,
	.rmdir = rfs_s3_rmdir,
	.unlink = rfs_s3_unlink,
	.rename = rfs_s3_rename,
	.link = rfs_s3_link,
	.symlink = rfs_s3_symlink,
	.readlink = rfs_s3_readlink,
	.truncate = rfs_s3_truncate,
	.chmod = rfs_s3_chmod,
	.chown = rfs_s3_chown,
	.utimens = rfs_s3_utimens,
	.statfs = s3_statfs,
	.copy = rfs_s3_copy,
	.copy_hashed = rfs_s3_copy_hashed,
	.attest = rfs_s3_attest,
	.forget = s3_forget,
	.refresh = rfs_s3_refresh,
	.unlink_checked = rfs_s3_unlink_checked,
	.last_error = s3_last_error,
	.free = s3_free,
};

int rfs_s3_check_uri(const struct rfs_uri *u, const char *uri,
		     struct rfs_error *err)
{
	if (!rfs_path_is_clean(u->path))
		return rfs_error_set(err, EINVAL, "'%s' has an unclean path",
				     uri);
	return rfs_s3_conf_check(u->scheme, u->authority, u->query, uri, err);
}

int rfs_s3_open(const struct rfs_uri *u, const char *uri,
		struct rfs_backend **out, struct rfs_error *err)
{
	struct rfs_s3_conf conf = { 0 };
	struct rfs_s3_backend *b;
	char *name = NULL;
	int r;

	if (!rfs_path_is_clean(u->path))
		return rfs_error_set(err, EINVAL, "'%s' has an unclean path",
				     uri);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->base.ops = &s3_ops;
	pthread_mutex_init(&b->fresh_lock, NULL);
	r = rfs_s3_conf_load(u->scheme, u->authority, u->path, u->query, uri,
			     &conf, err);
	if (r < 0)
		goto fail;
	name = rfs_uri_strip_query(uri);
	b->base.uri = strdup(uri);
	if (!name || !b->base.uri) {
		r = -ENOMEM;
		goto fail;
	}
	r = rfs_s3_client_new(&conf, name, &b->client, err);
	if (r < 0)
		goto fail;
	b->conf = rfs_s3_client_conf(b->client);
	b->name = rfs_s3_client_name(b->client);
	free(name);
	name = NULL;
	/* storages share a cache when they see a bucket alike: the same
	 * server, keys and attribute source (the key id only hashed) */
	if (asprintf(&name, "%s %s %s %016llx", b->conf->endpoint,
		     b->conf->bucket,
		     b->conf->attrs_listing ? "listing" : "meta",
		     (unsigned long long)fnv1a(b->conf->access_key)) < 0) {
		name = NULL;
		r = -ENOMEM;
		goto fail;
	}
	b->cache = rfs_s3_cache_open(name, b->conf->cache_ttl);
	if (!b->cache) {
		r = -ENOMEM;
		goto fail;
	}
	b->files = rfs_s3_cache_files(b->cache);
	/* attrs=listing reads no x-amz-meta-*: nothing to keep */
	if (!b->conf->attrs_listing)
		b->attrs = rfs_s3_attrs_open(name);
	b->opened_ns = rfs_time_now_ns();
	rfs_s3_conf_release(&conf);
	free(name);
	*out = &b->base;
	return 0;

fail:
	rfs_s3_conf_release(&conf);
	free(name);
	s3_free(&b->base);
	return r;
}
