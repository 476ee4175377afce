/*
 * Requests over libcurl for the S3 adapter: signing with rfs_s3_sign(),
 * Content-MD5 and payload hashes, response headers into the request,
 * retries with exponential backoff and jitter, and the one place where
 * HTTP and S3 outcomes become errno values and messages.
 *
 * The Authorization header and the keys are never logged and never
 * formatted into a message; CURLOPT_VERBOSE stays off.
 */
#include "backends/s3/http_priv.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/timestamp.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/** The receive buffer of large ranged GETs (of RECV_BIG_GET or more). */
#define RECV_BUFFER  (256L << 10)
#define RECV_BIG_GET ((size_t)1 << 20)

/** Attempts of one request, the first included. */
#define ATTEMPTS 5
/** The first backoff; each retry doubles it. */
#define BACKOFF_MS 100
/** The most of an error body kept for its code and message. */
#define ERR_BODY_MAX ((size_t)16 << 10)
/** A hash pass over a file body reads this much at a time. */
#define HASH_CHUNK ((size_t)1 << 20)

/* -------------------------------------------------------------- hashes */

/* SHA-256 (hex) and MD5 (base64) of a request body. */
struct body_sums {
	char sha256[RFS_SHA256_HEX];
	char md5[32];
};

static int sums_update(struct rfs_sha256 *sha, EVP_MD_CTX *md5, const void *p,
		       size_t n)
{
	if (rfs_sha256_update(sha, p, n) < 0 || !EVP_DigestUpdate(md5, p, n))
		return -EIO;
	return 0;
}

/* Hash the memory body or the file range of @p r in one pass. */
static int body_sums(const struct rfs_s3_request *r, struct body_sums *s)
{
	struct rfs_sha256 sha = { 0 };
	EVP_MD_CTX *md5 = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char *chunk = NULL;
	size_t done = 0;
	int e = md5 ? rfs_sha256_init(&sha) : -ENOMEM;

	if (!e && !EVP_DigestInit_ex(md5, EVP_md5(), NULL))
		e = -EIO;
	if (!e && r->body_fd < 0 && r->body_len)
		e = sums_update(&sha, md5, r->body, r->body_len);
	if (!e && r->body_fd >= 0 && r->body_len &&
	    !(chunk = malloc(HASH_CHUNK)))
		e = -ENOMEM;
	while (!e && r->body_fd >= 0 && done < r->body_len) {
		size_t want = r->body_len - done;
		ssize_t n;

		if (want > HASH_CHUNK)
			want = HASH_CHUNK;
		n = pread(r->body_fd, chunk, want, r->body_off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -errno : -EIO; /* the file shrank */
			break;
		}
		e = sums_update(&sha, md5, chunk, (size_t)n);
		done += (size_t)n;
	}
	if (!e)
		e = rfs_sha256_final(&sha, s->sha256);
	if (!e && !EVP_DigestFinal_ex(md5, digest, &dlen))
		e = -EIO;
	if (!e)
		EVP_EncodeBlock((unsigned char *)s->md5, digest, (int)dlen);
	rfs_sha256_release(&sha);
	EVP_MD_CTX_free(md5);
	free(chunk);
	return e;
}

/* ------------------------------------------------------------ transfer */

/* What the curl callbacks of one attempt share. */
struct xfer {
	struct rfs_s3_request *r;
	CURL *h;
	size_t pos;	    /* body bytes sent */
	int read_errno;	    /* a failed pread of the body */
	size_t out_start;   /* r->out's length before the request */
	bool failed_status; /* the response is an error: body to errbody */
	bool status_known;
	bool overflow; /* out_mem or out was too small */
	struct rfs_buf errbody;
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct xfer *x = ctx;
	struct rfs_s3_request *r = x->r;
	size_t want = size * nitems, left = r->body_len - x->pos;
	ssize_t n;

	if (want > left)
		want = left;
	if (!want)
		return 0;
	if (r->body_fd < 0) {
		memcpy(buf, (const char *)r->body + x->pos, want);
		x->pos += want;
		return want;
	}
	do
		n = pread(r->body_fd, buf, want, r->body_off + (off_t)x->pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		x->read_errno = n < 0 ? errno : EIO;
		return CURL_READFUNC_ABORT;
	}
	x->pos += (size_t)n;
	return (size_t)n;
}

static int on_seek(void *ctx, curl_off_t offset, int origin)
{
	struct xfer *x = ctx;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > x->r->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	struct rfs_s3_request *r = x->r;
	size_t n = size * nmemb;

	if (!x->status_known) {
		long code = 0;

		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		x->failed_status = code >= 300;
		x->status_known = true;
	}
	if (x->failed_status) {
		if (x->errbody.len + n <= ERR_BODY_MAX)
			rfs_buf_add(&x->errbody, data, n);
		return n;
	}
	if (r->out_mem) {
		size_t room = r->out_mem_size - r->out_mem_len;

		if (n > room) {
			x->overflow = true;
			return 0;
		}
		memcpy((char *)r->out_mem + r->out_mem_len, data, n);
		r->out_mem_len += n;
		return n;
	}
	if (r->out && rfs_buf_add(r->out, data, n) < 0) {
		x->overflow = true;
		return 0;
	}
	return n;
}

/* Copy a header value into a fixed field, trimmed. */
static void take_value(char *dst, size_t size, const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' ||
		     v[n - 1] == '\t'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static void reset_response(struct rfs_s3_request *r)
{
	r->status = 0;
	r->etag[0] = '\0';
	r->content_length = -1;
	r->last_modified_ns = 0;
	r->last_modified[0] = '\0';
	r->last_modified_bad = false;
	r->meta_mtime[0] = r->meta_mode[0] = r->meta_uid[0] = '\0';
	r->meta_gid[0] = r->meta_sha256[0] = r->meta_atime[0] = '\0';
	r->meta_md5[0] = r->checksum_sha256[0] = '\0';
	r->content_type[0] = r->s3_code[0] = '\0';
}

/* The response headers kept in fixed fields of the request. */
static const struct {
	const char *name;
	size_t off, size;
} kept_headers[] = {
#define KEEP(name, field)                                                      \
	{                                                                      \
		name, offsetof(struct rfs_s3_request, field),                  \
			sizeof(((struct rfs_s3_request *)0)->field)            \
	}
	KEEP("x-amz-meta-mtime", meta_mtime),
	KEEP("x-amz-meta-atime", meta_atime),
	KEEP("x-amz-meta-mode", meta_mode),
	KEEP("x-amz-meta-uid", meta_uid),
	KEEP("x-amz-meta-gid", meta_gid),
	KEEP("x-amz-meta-sha256", meta_sha256),
	KEEP("x-amz-meta-md5", meta_md5),
	KEEP("x-amz-checksum-sha256", checksum_sha256),
	KEEP("content-type", content_type),
	KEEP("etag", etag),
#undef KEEP
};

static void strip_quotes(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

void rfs_s3_take_header(struct rfs_s3_request *r, const char *data, size_t n)
{
	const char *colon = memchr(data, ':', n), *v;
	size_t nl, vl, i;
	char tmp[64];

	if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
		reset_response(r); /* a new response (after 100 Continue) */
		return;
	}
	if (!colon)
		return;
	nl = (size_t)(colon - data);
	v = colon + 1;
	vl = n - nl - 1;
	for (i = 0; i < sizeof(kept_headers) / sizeof(kept_headers[0]); i++) {
		if (strlen(kept_headers[i].name) != nl ||
		    strncasecmp(data, kept_headers[i].name, nl))
			continue;
		take_value((char *)r + kept_headers[i].off,
			   kept_headers[i].size, v, vl);
		if (!strcmp(kept_headers[i].name, "etag"))
			strip_quotes(r->etag);
		return;
	}
	if (nl == 14 && !strncasecmp(data, "content-length", nl)) {
		take_value(tmp, sizeof(tmp), v, vl);
		r->content_length = strtoll(tmp, NULL, 10);
	} else if (nl == 13 && !strncasecmp(data, "last-modified", nl)) {
		time_t t;
		int64_t ns;

		take_value(r->last_modified, sizeof(r->last_modified), v, vl);
		t = curl_getdate(r->last_modified, NULL);
		r->last_modified_ns = 0;
		r->last_modified_bad = false;
		/* -1: not a date (as if absent); before 1970: absent too */
		if (t != -1 && rfs_time_from_sec(t, 0, &ns) < 0)
			r->last_modified_bad = true;
		else if (t > 0)
			r->last_modified_ns = ns;
	}
}

static size_t on_header(char *data, size_t size, size_t nitems, void *ctx)
{
	struct xfer *x = ctx;

	rfs_s3_take_header(x->r, data, size * nitems);
	return size * nitems;
}

/* The headers of one attempt, the signature included. */
static int build_headers(struct rfs_s3_client *c, struct rfs_s3_request *r,
			 const char *path, const char *sha,
			 const struct body_sums *sums, struct curl_slist **out)
{
	struct rfs_buf auth = RFS_BUF_INIT, line = RFS_BUF_INIT;
	const char **signed_h = NULL;
	struct rfs_s3_sigreq sr = { 0 };
	struct curl_slist *l = NULL, *t;
	char amzdate[17], md5_line[64];
	bool has_type = false;
	size_t i, n = 0;
	int e = 0;

	signed_h = calloc(r->n_headers + 2, sizeof(*signed_h));
	if (!signed_h)
		return -ENOMEM;
	for (i = 0; i < r->n_headers; i++) {
		signed_h[n++] = r->headers[i];
		has_type |= !strncasecmp(r->headers[i], "content-type:", 13);
	}
	if (sums) {
		snprintf(md5_line, sizeof(md5_line), "Content-MD5: %s",
			 sums->md5);
		signed_h[n++] = md5_line;
	}
	if (c->conf.session_token) {
		e = rfs_buf_addf(&line, "x-amz-security-token: %s",
				 c->conf.session_token);
		signed_h[n++] = rfs_buf_str(&line);
	}
	sr.method = r->method;
	sr.host = c->host;
	sr.path = path;
	sr.query = r->query ? r->query : "";
	sr.headers = signed_h;
	sr.n_headers = n;
	sr.payload_sha256 = sha;
	sr.when = time(NULL);
	if (!e)
		e = rfs_s3_sign(&sr, c->conf.access_key, c->conf.secret_key,
				c->conf.region, &auth, amzdate);
#define ADD(s)                                                                 \
	do {                                                                   \
		if (!e) {                                                      \
			t = curl_slist_append(l, (s));                         \
			if (!t)                                                \
				e = -ENOMEM;                                   \
			else                                                   \
				l = t;                                         \
		}                                                              \
	} while (0)
	for (i = 0; i < n; i++)
		ADD(signed_h[i]);
	rfs_buf_reset(&line);
	if (!e)
		e = rfs_buf_addf(&line, "Host: %s", c->host);
	ADD(rfs_buf_str(&line));
	rfs_buf_reset(&line);
	if (!e)
		e = rfs_buf_addf(&line, "x-amz-date: %s", amzdate);
	ADD(rfs_buf_str(&line));
	rfs_buf_reset(&line);
	if (!e)
		e = rfs_buf_addf(&line, "x-amz-content-sha256: %s", sha);
	ADD(rfs_buf_str(&line));
	rfs_buf_reset(&line);
	if (!e)
		e = rfs_buf_addf(&line, "Authorization: %s",
				 rfs_buf_str(&auth));
	ADD(rfs_buf_str(&line));
	ADD("Expect:");
	if (!has_type)
		ADD("Content-Type:");
	ADD("Accept:");
#undef ADD
	/* the signature and token lines are wiped before they are freed */
	if (auth.data)
		explicit_bzero(auth.data, auth.len);
	if (line.data)
		explicit_bzero(line.data, line.len);
	rfs_buf_release(&auth);
	rfs_buf_release(&line);
	free(signed_h);
	if (e < 0) {
		curl_slist_free_all(l);
		return e;
	}
	*out = l;
	return 0;
}

static void set_method(CURL *h, struct rfs_s3_request *r, struct xfer *x)
{
	bool has_body = r->body_len || !strcmp(r->method, "PUT") ||
			!strcmp(r->method, "POST");

	if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(r->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)r->body_len);
	} else if (!strcmp(r->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->body_len);
	} else if (strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	}
	if (has_body) {
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
	}
}

/* One attempt. @return the curl result; the status is in r->status. */
static CURLcode attempt(struct rfs_s3_client *c, struct rfs_s3_request *r,
			const char *url, struct curl_slist *hdrs,
			struct xfer *x, bool *keep)
{
	CURL *h = rfs_s3_handle_get(c);
	CURLcode rc;

	if (!h)
		return CURLE_OUT_OF_MEMORY;
	x->h = h;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->conf.ca_bundle && *c->conf.ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->conf.ca_bundle);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	/* A large ranged GET (a read's window or part) receives in fewer,
	 * larger recv() calls than curl's default 16 KiB allow; the buffer
	 * goes back to the default with the handle's next reset. */
	if (r->out_mem && r->out_mem_size >= RECV_BIG_GET)
		curl_easy_setopt(h, CURLOPT_BUFFERSIZE, (long)RECV_BUFFER);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	set_method(h, r, x);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	/* a handle whose transfer failed midway may hold a broken link */
	*keep = rc == CURLE_OK;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	rfs_s3_handle_put(c, h, *keep);
	return rc;
}

/* ------------------------------------------------------ errors, retries */

static bool curl_retryable(CURLcode rc, bool idempotent)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return true; /* nothing was sent */
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return idempotent;
	default:
		return false;
	}
}

static bool status_retryable(long status, const char *code)
{
	return status >= 500 ? status != 501
			     : status == 429 || status == 408 ||
				       !strcmp(code, "RequestTimeout") ||
				       !strcmp(code, "SlowDown");
}

static void backoff(int n)
{
	static __thread unsigned int seed;
	long ms = (long)BACKOFF_MS << n, wait;
	struct timespec ts;

	if (!seed)
		seed = (unsigned int)time(NULL) ^ (unsigned int)getpid() ^
		       (unsigned int)(uintptr_t)&seed;
	/* half fixed, half random ("equal jitter") */
	wait = ms / 2 + (long)(rand_r(&seed) % (ms / 2 + 1));
	ts.tv_sec = wait / 1000;
	ts.tv_nsec = (wait % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int map_status(long status, const char *code)
{
	if (status >= 200 && status < 300)
		return 0;
	switch (status) {
	case 404:
		return -ENOENT;
	case 403:
		return -EACCES;
	case 409:
		return !strcmp(code, "BucketAlreadyExists") ||
				       !strcmp(code, "BucketAlreadyOwnedByYou")
			       ? -EEXIST
			       : -EBUSY;
	case 412:
		return -EEXIST;
	case 416:
		return -ERANGE;
	case 400:
		if (!strcmp(code, "EntityTooLarge"))
			return -EFBIG;
		if (!strcmp(code, "KeyTooLongError"))
			return -ENAMETOOLONG;
		if (!strcmp(code, "RequestTimeout"))
			return -EIO;
		return -EINVAL;
	case 405:
	case 501:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

/* The message of a failed request: names the storage, never a secret. */
static int fail_message(struct rfs_s3_client *c, struct rfs_s3_request *r,
			int e, const char *msg, int tries,
			struct rfs_error *err)
{
	const char *what = r->key ? r->key : c->conf.bucket;
	const char *code = *r->s3_code ? r->s3_code : NULL;
	char extra[48] = "";

	if (code && !strcmp(code, "NoSuchBucket"))
		return rfs_error_set(err, -e,
				     "storage '%s': bucket '%s' does not exist",
				     c->name, c->conf.bucket);
	if (tries > 1)
		snprintf(extra, sizeof(extra), " (after %d attempts)", tries);
	if (e == -EACCES)
		return rfs_error_set(
			err, -e,
			"storage '%s': access denied (%s%s%s) on %s '%s'; check "
			"the credentials%s%s%s",
			c->name, code ? code : "HTTP 403", *msg ? ": " : "",
			msg, r->method, what,
			c->conf.profile ? " of profile '" : "",
			c->conf.profile ? c->conf.profile : "",
			c->conf.profile ? "'" : "");
	return rfs_error_set(
		err, -e, "storage '%s': %s '%s' failed: HTTP %ld%s%s%s%s%s%s",
		c->name, r->method, what, r->status, code ? " (" : "",
		code ? code : "", *msg ? ": " : "", msg, code ? ")" : "",
		extra);
}

/* The URL and the signed path of @p r. */
static int build_url(struct rfs_s3_client *c, const struct rfs_s3_request *r,
		     struct rfs_buf *path, struct rfs_buf *url)
{
	int e = rfs_buf_addstr(path, c->path_root);

	if (!e && r->key) {
		e = rfs_buf_addch(path, '/');
		if (!e)
			e = rfs_s3_uri_encode(path, r->key, true);
	}
	if (!e && !path->len)
		e = rfs_buf_addch(path, '/');
	if (!e)
		e = rfs_buf_addf(url, "%s%s", c->base, rfs_buf_str(path));
	if (!e && r->query && *r->query)
		e = rfs_buf_addf(url, "?%s", r->query);
	return e;
}

int rfs_s3_perform(struct rfs_s3_client *c, struct rfs_s3_request *r,
		   struct rfs_error *err)
{
	struct rfs_buf path = RFS_BUF_INIT, url = RFS_BUF_INIT;
	struct body_sums sums;
	struct xfer x;
	CURLcode rc = CURLE_OK;
	char code[64] = "", msg[512] = "";
	bool has_body = r->body_len > 0, keep;
	int e, tries = 0;
	int64_t t0 = rfs_time_mono_ns();

	e = build_url(c, r, &path, &url);
	if (!e)
		e = body_sums(r, &sums);
	if (e < 0)
		goto out;
	for (;;) {
		struct curl_slist *hdrs = NULL;

		memset(&x, 0, sizeof(x));
		x.r = r;
		rfs_buf_init(&x.errbody, ERR_BODY_MAX + 1);
		if (r->out) {
			x.out_start = r->out->len;
		}
		r->out_mem_len = 0;
		reset_response(r);
		e = build_headers(c, r, rfs_buf_str(&path), sums.sha256,
				  has_body ? &sums : NULL, &hdrs);
		if (e < 0) {
			rfs_buf_release(&x.errbody);
			goto out;
		}
		rc = attempt(c, r, rfs_buf_str(&url), hdrs, &x, &keep);
		curl_slist_free_all(hdrs);
		tries++;
		code[0] = msg[0] = '\0';
		if (rc == CURLE_OK && r->status >= 300 && x.errbody.len)
			rfs_s3_parse_error(x.errbody.data, x.errbody.len, code,
					   sizeof(code), msg, sizeof(msg));
		rfs_buf_release(&x.errbody);
		snprintf(r->s3_code, sizeof(r->s3_code), "%s", code);
		if (tries < ATTEMPTS &&
		    ((rc != CURLE_OK && curl_retryable(rc, r->idempotent)) ||
		     (rc == CURLE_OK && r->idempotent &&
		      status_retryable(r->status, code)))) {
			rfs_log(LOG_DEBUG,
				"s3 %s '%s' %s: attempt %d failed (%s), "
				"retrying",
				r->method, r->key ? r->key : "", c->name, tries,
				rc != CURLE_OK ? curl_easy_strerror(rc) : code);
			if (r->out)
				rfs_buf_truncate(r->out, x.out_start);
			backoff(tries - 1);
			continue;
		}
		break;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && x.read_errno) {
		e = rfs_error_set(
			err, x.read_errno,
			"storage '%s': cannot read the data to upload "
			"for '%s': %s",
			c->name, r->key ? r->key : "", strerror(x.read_errno));
	} else if (rc == CURLE_WRITE_ERROR && x.overflow) {
		e = rfs_error_set(err, EIO,
				  "storage '%s': the response to %s '%s' is "
				  "larger than expected",
				  c->name, r->method, r->key ? r->key : "");
	} else if (rc != CURLE_OK) {
		e = rfs_error_set(err, rc == CURLE_OUT_OF_MEMORY ? ENOMEM : EIO,
				  "storage '%s': cannot reach %s: %s%s",
				  c->name, c->conf.endpoint,
				  curl_easy_strerror(rc),
				  tries > 1 ? " (after retries)" : "");
	} else {
		e = map_status(r->status, code);
		if (e < 0)
			fail_message(c, r, e, msg, tries, err);
	}
	/* the time from the first attempt to the answer (retries and
	 * backoff included), for profiles: bench/s3.sh PROFILE=1 */
	t0 = (rfs_time_mono_ns() - t0) / 1000;
	if (e < 0)
		rfs_log(LOG_DEBUG,
			"s3 %s '%s' on '%s': HTTP %ld %s: %s (%lld us)",
			r->method, r->key ? r->key : "", c->name, r->status,
			code, msg, (long long)t0);
	else
		rfs_log(LOG_DEBUG, "s3 %s '%s'%s%s on '%s': HTTP %ld (%lld us)",
			r->method, r->key ? r->key : "", r->query ? " ?" : "",
			r->query ? r->query : "", c->name, r->status,
			(long long)t0);
out:
	rfs_buf_release(&path);
	rfs_buf_release(&url);
	return e;
}
