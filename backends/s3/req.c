/*
 * The request primitives of the S3 adapter, which every other file of it
 * builds on: the calling thread's last error, a request's setup and
 * performance, full keys, the x-amz-meta-* attributes of an object
 * (parsed from an answer, made into headers, made into a struct stat)
 * and the small requests (HEAD, PUT from memory, DELETE). It calls no
 * backend operation: s3.c holds the ops table, stat.c the attributes
 * through the caches.
 *
 * Attributes travel in x-amz-meta-mtime ("SEC.NSEC"), -atime, -mode
 * (decimal st_mode), -uid and -gid, the conventions of s3fs, which
 * rclone reads too. An object without them is a regular file of mode
 * 0644, owned by the caller, modified at its Last-Modified time.
 */
#include "backends/s3/s3.h"
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
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

const char *rfs_s3_last_error_for(int err)
{
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

uint64_t rfs_s3_fnv1a(const char *s)
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
