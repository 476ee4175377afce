/*
 * Bulk transfers of the S3 adapter: uploads from a file (one PUT, or a
 * multipart upload whose parts go out on parallel threads), downloads
 * into a file by ranges, and server-side copies (CopyObject, or
 * UploadPartCopy above 5 GiB).
 *
 * A multipart upload that fails is aborted, so no parts are left behind
 * to be billed. Parts are at least the configured part size; the size
 * doubles until the object fits in S3's 10,000 parts, so objects of any
 * size S3 takes (5 TiB) can be written.
 */
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/parallel.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** Parallel part uploads and range downloads of one transfer. */
#define PART_THREADS 4
/** Ranges of a download into a file. */
#define FETCH_CHUNK ((size_t)8 << 20)

int64_t rfs_s3_single_copy_max = RFS_S3_MAX_SINGLE;

int rfs_s3_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char *path = NULL;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	/* no O_TMPFILE on this filesystem: create and unlink at once */
	if (asprintf(&path, "%s/recyclefs-s3-XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	else
		unlink(path);
	free(path);
	return fd;
}

/* The header naming the source of a server-side copy. */
static int copy_source(struct rfs_s3_backend *sb, const char *src_full,
		       struct rfs_buf *out)
{
	int r = rfs_buf_addstr(out, "x-amz-copy-source: /");

	if (!r)
		r = rfs_s3_uri_encode(out, sb->conf->bucket, false);
	if (!r)
		r = rfs_buf_addch(out, '/');
	if (!r)
		r = rfs_s3_uri_encode(out, src_full, true);
	return r;
}

/* The condition that the source is still the version @p etag, as two
 * header lines in @p out: AWS's name, and the one Ceph RGW reads. Nothing
 * when the ETag is unknown. @return the number of lines (0 or 2) */
static size_t copy_if_match(const char *etag, char out[2][128],
			    const char *lines[2])
{
	if (!etag || !*etag)
		return 0;
	snprintf(out[0], 128, "x-amz-copy-source-if-match: \"%s\"", etag);
	snprintf(out[1], 128, "x-amz-copy-if-match: \"%s\"", etag);
	lines[0] = out[0];
	lines[1] = out[1];
	return 2;
}

/* A copy whose source no longer matches (412) fails as a read does. */
static int copy_stale(struct rfs_s3_backend *sb, const char *src_full, int e)
{
	if (e != -EEXIST)
		return e;
	return rfs_s3_fail(ESTALE,
			   "storage '%s': '%s' changed while it was copied",
			   sb->name, src_full);
}

/* CopyObject and CompleteMultipartUpload may answer 200 with an error. */
static int check_body(struct rfs_s3_backend *b, const char *what,
		      const char *key, const struct rfs_buf *body)
{
	char code[64] = "", msg[256] = "";

	if (!body->len || !strstr(body->data, "<Error>"))
		return 0;
	if (rfs_s3_parse_error(body->data, body->len, code, sizeof(code), msg,
			       sizeof(msg)) < 0 ||
	    !*code)
		return 0;
	return rfs_s3_fail(EIO, "storage '%s': %s of '%s' failed (%s: %s)",
			   b->name, what, key, code, msg);
}

int64_t rfs_s3_copy_max(const struct rfs_s3_backend *db)
{
	int64_t m = (int64_t)db->conf->copy_max;

	return m && m < rfs_s3_single_copy_max ? m : rfs_s3_single_copy_max;
}

size_t rfs_s3_part_size_for(const struct rfs_s3_backend *b, int64_t size)
{
	size_t p = b->conf->part_size;

	if (p < RFS_S3_MIN_PART)
		p = RFS_S3_MIN_PART;
	while ((uint64_t)(size + (int64_t)p - 1) / p > RFS_S3_MAX_PARTS)
		p *= 2;
	return p;
}

/* ---------------------------------------------------------- multipart */

/* One multipart upload or copy. */
struct mpu {
	struct rfs_s3_backend *b;
	const char *full;
	char *id;
	int64_t size;
	size_t psize, nparts;
	char (*etags)[72];
	int fd;			   /* upload: the data */
	struct rfs_s3_backend *sb; /* copy: the source */
	const char *src_full;
	const char *src_etag; /* copy: the version copied, "" when unknown */
	const char *const *extra; /* more header lines of the create */
	size_t n_extra;
};

static int upload_query(const struct mpu *u, size_t part, struct rfs_buf *q)
{
	int r = part ? rfs_buf_addf(q, "partNumber=%zu&uploadId=", part)
		     : rfs_buf_addstr(q, "uploadId=");

	if (!r)
		r = rfs_s3_uri_encode(q, u->id, false);
	return r;
}

static int mpu_create(struct mpu *u, const struct rfs_s3_meta *m)
{
	struct rfs_buf body = RFS_BUF_INIT;
	struct rfs_s3_request r;
	const char *lines[6 + RFS_S3_COPY_EXTRA_MAX];
	char store[6][160];
	size_t n = rfs_s3_meta_headers(m, store, lines);
	int e;

	for (size_t i = 0; i < u->n_extra; i++)
		lines[n++] = u->extra[i];
	rfs_s3_req_init(&r, "POST", u->full);
	r.query = "uploads";
	r.headers = lines;
	r.n_headers = n;
	r.out = &body;
	e = rfs_s3_do(u->b, &r);
	if (!e) {
		e = rfs_s3_parse_value(body.data ? body.data : "", body.len,
				       "UploadId", &u->id);
		if (e == -ENOENT || e == -EBADMSG)
			e = rfs_s3_fail(EIO,
					"storage '%s': no upload id for '%s'",
					u->b->name, u->full);
	}
	rfs_buf_release(&body);
	return e;
}

static void mpu_abort(struct mpu *u)
{
	struct rfs_buf q = RFS_BUF_INIT;
	struct rfs_s3_request r;

	if (upload_query(u, 0, &q) == 0) {
		rfs_s3_req_init(&r, "DELETE", u->full);
		r.query = rfs_buf_str(&q);
		rfs_s3_do(u->b, &r); /* best effort: the error is the cause's */
	}
	rfs_buf_release(&q);
}

static int mpu_complete(struct mpu *u, char etag[72])
{
	struct rfs_buf xml = RFS_BUF_INIT, body = RFS_BUF_INIT;
	struct rfs_buf q = RFS_BUF_INIT;
	struct rfs_s3_request r;
	char *v = NULL;
	size_t i;
	int e = rfs_buf_addstr(&xml, "<CompleteMultipartUpload>");

	for (i = 0; !e && i < u->nparts; i++)
		e = rfs_buf_addf(&xml,
				 "<Part><PartNumber>%zu</PartNumber>"
				 "<ETag>\"%s\"</ETag></Part>",
				 i + 1, u->etags[i]);
	if (!e)
		e = rfs_buf_addstr(&xml, "</CompleteMultipartUpload>");
	if (!e)
		e = upload_query(u, 0, &q);
	if (!e) {
		static const char *const type[] = {
			"Content-Type: application/xml"
		};

		rfs_s3_req_init(&r, "POST", u->full);
		r.query = rfs_buf_str(&q);
		r.headers = type;
		r.n_headers = 1;
		r.body = xml.data;
		r.body_len = xml.len;
		r.out = &body;
		r.idempotent = true; /* completing twice changes nothing */
		e = rfs_s3_do(u->b, &r);
	}
	if (!e)
		e = check_body(u->b, "the multipart upload", u->full, &body);
	if (!e && etag) {
		etag[0] = '\0';
		if (rfs_s3_parse_value(body.data ? body.data : "", body.len,
				       "ETag", &v) == 0) {
			size_t n = strlen(v);

			if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
				snprintf(etag, 72, "%.*s", (int)n - 2, v + 1);
			else
				snprintf(etag, 72, "%s", v);
		}
		free(v);
	}
	rfs_buf_release(&xml);
	rfs_buf_release(&body);
	rfs_buf_release(&q);
	return e;
}

static int part_range(const struct mpu *u, size_t i, int64_t *off, int64_t *len)
{
	*off = (int64_t)i * (int64_t)u->psize;
	*len = u->size - *off < (int64_t)u->psize ? u->size - *off
						  : (int64_t)u->psize;
	return 0;
}

static int part_upload(void *ctx, size_t i)
{
	struct mpu *u = ctx;
	struct rfs_buf q = RFS_BUF_INIT;
	struct rfs_s3_request r;
	int64_t off, len;
	int e = upload_query(u, i + 1, &q);

	part_range(u, i, &off, &len);
	if (!e) {
		rfs_s3_req_init(&r, "PUT", u->full);
		r.query = rfs_buf_str(&q);
		r.body_fd = u->fd;
		r.body_off = off;
		r.body_len = (size_t)len;
		e = rfs_s3_do(u->b, &r);
	}
	if (!e && !*r.etag)
		e = rfs_s3_fail(EIO,
				"storage '%s': part %zu of '%s' has no ETag",
				u->b->name, i + 1, u->full);
	if (!e)
		snprintf(u->etags[i], sizeof(u->etags[i]), "%s", r.etag);
	rfs_buf_release(&q);
	return e;
}

static int part_copy(void *ctx, size_t i)
{
	struct mpu *u = ctx;
	struct rfs_buf q = RFS_BUF_INIT, src = RFS_BUF_INIT;
	struct rfs_buf body = RFS_BUF_INIT;
	char range[96], match[2][128], *v = NULL;
	const char *lines[4];
	struct rfs_s3_request r;
	int64_t off, len;
	int e = upload_query(u, i + 1, &q);

	part_range(u, i, &off, &len);
	if (!e)
		e = copy_source(u->sb, u->src_full, &src);
	if (!e) {
		snprintf(range, sizeof(range),
			 "x-amz-copy-source-range: bytes=%lld-%lld",
			 (long long)off, (long long)(off + len - 1));
		lines[0] = rfs_buf_str(&src);
		lines[1] = range;
		rfs_s3_req_init(&r, "PUT", u->full);
		r.query = rfs_buf_str(&q);
		r.headers = lines;
		r.n_headers = 2 + copy_if_match(u->src_etag, match, lines + 2);
		r.out = &body;
		e = copy_stale(u->sb, u->src_full, rfs_s3_do(u->b, &r));
	}
	if (!e)
		e = check_body(u->b, "a part copy", u->full, &body);
	if (!e && rfs_s3_parse_value(body.data ? body.data : "", body.len,
				     "ETag", &v) < 0)
		e = rfs_s3_fail(EIO,
				"storage '%s': part %zu of '%s' has no ETag",
				u->b->name, i + 1, u->full);
	if (!e) {
		size_t n = strlen(v);

		if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
			snprintf(u->etags[i], 72, "%.*s", (int)n - 2, v + 1);
		else
			snprintf(u->etags[i], 72, "%s", v);
	}
	free(v);
	rfs_buf_release(&q);
	rfs_buf_release(&src);
	rfs_buf_release(&body);
	return e;
}

/* Create, send the parts with @p part, complete; abort on failure. */
static int mpu_run(struct mpu *u, const struct rfs_s3_meta *m,
		   int (*part)(void *ctx, size_t i), char etag[72])
{
	int e;

	u->psize = rfs_s3_part_size_for(u->b, u->size);
	u->nparts =
		(size_t)((u->size + (int64_t)u->psize - 1) / (int64_t)u->psize);
	if (!u->nparts)
		u->nparts = 1;
	u->etags = calloc(u->nparts, sizeof(*u->etags));
	if (!u->etags)
		return -ENOMEM;
	e = mpu_create(u, m);
	if (!e) {
		e = rfs_parallel_try(PART_THREADS, u->nparts, part, u);
		if (!e)
			e = mpu_complete(u, etag);
		if (e < 0)
			mpu_abort(u);
	}
	free(u->etags);
	free(u->id);
	return e;
}

/* ------------------------------------------------------------- upload */

int rfs_s3_upload_fd(struct rfs_s3_backend *b, const char *full, int fd,
		     int64_t size, const struct rfs_s3_meta *m, char etag[72])
{
	struct mpu u = { 0 };
	struct rfs_s3_request r;
	const char *lines[6];
	char store[6][160];
	int e;

	if (size <= (int64_t)b->conf->part_size ||
	    size < (int64_t)RFS_S3_MIN_PART) {
		rfs_s3_req_init(&r, "PUT", full);
		r.headers = lines;
		r.n_headers = rfs_s3_meta_headers(m, store, lines);
		r.body_fd = fd;
		r.body_len = (size_t)size;
		e = rfs_s3_do(b, &r);
		if (!e && etag)
			snprintf(etag, 72, "%s", r.etag);
		return e;
	}
	u.b = b;
	u.full = full;
	u.size = size;
	u.fd = fd;
	return mpu_run(&u, m, part_upload, etag);
}

/* ----------------------------------------------------------- download */

struct fetch {
	struct rfs_s3_backend *b;
	const char *full, *etag;
	int fd;
	int64_t size;
};

static int fetch_chunk(void *ctx, size_t i)
{
	struct fetch *f = ctx;
	int64_t off = (int64_t)i * (int64_t)FETCH_CHUNK;
	size_t len = f->size - off < (int64_t)FETCH_CHUNK
			     ? (size_t)(f->size - off)
			     : FETCH_CHUNK;
	char range[64], match[96], *buf = malloc(len);
	const char *lines[2] = { range, match };
	struct rfs_s3_request r;
	size_t done = 0;
	ssize_t n;
	int e = buf ? 0 : -ENOMEM;

	snprintf(range, sizeof(range), "Range: bytes=%lld-%lld", (long long)off,
		 (long long)(off + (int64_t)len - 1));
	snprintf(match, sizeof(match), "If-Match: \"%s\"", f->etag);
	if (!e) {
		rfs_s3_req_init(&r, "GET", f->full);
		r.headers = lines;
		r.n_headers = *f->etag ? 2 : 1;
		r.out_mem = buf;
		r.out_mem_size = len;
		e = rfs_s3_do(f->b, &r);
		if (e == -EEXIST || e == -ENOENT) /* 412: replaced; 404 */
			e = rfs_s3_fail(ESTALE,
					"storage '%s': '%s' changed or went "
					"away while it was read",
					f->b->name, f->full);
	}
	if (!e && r.out_mem_len != len)
		e = rfs_s3_fail(EIO, "storage '%s': short read of '%s'",
				f->b->name, f->full);
	while (!e && done < len) {
		n = pwrite(f->fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			e = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	free(buf);
	return e;
}

int rfs_s3_download_fd(struct rfs_s3_backend *b, const char *full,
		       const char *etag, int fd, int64_t size)
{
	struct fetch f = { b, full, etag ? etag : "", fd, size };
	size_t n = (size_t)((size + (int64_t)FETCH_CHUNK - 1) /
			    (int64_t)FETCH_CHUNK);

	return rfs_parallel_try(PART_THREADS, n, fetch_chunk, &f);
}

/* --------------------------------------------------------------- copy */

/* The attributes of a copy made by one CopyObject, from its answer. */
static void copy_made(const struct rfs_buf *body, const struct rfs_s3_meta *src,
		      const struct rfs_s3_meta *replace,
		      struct rfs_s3_meta *made)
{
	int64_t t;

	*made = replace ? *replace : *src;
	made->has_mtime = made->has_mtime || replace; /* REPLACE sends it */
	made->etag[0] = '\0';
	made->server_sha256[0] = '\0';
	/* a SHA-256 the server stated for the source is no word on this
	 * copy: the caller that asked for one sets it (attest.c) */
	if (made->sha256_server) {
		made->sha256[0] = '\0';
		made->sha256_server = false;
	}
	if (rfs_s3_parse_copy_checksum(body->data ? body->data : "", body->len,
				       made->server_sha256) < 0)
		made->server_sha256[0] = '\0';
	if (rfs_s3_parse_copy_result(body->data ? body->data : "", body->len,
				     made->etag, sizeof(made->etag), &t) < 0) {
		made->etag[0] = '\0';
		return;
	}
	/* as a HEAD would say it: Last-Modified in whole seconds */
	t -= ((t % RFS_NSEC_PER_SEC) + RFS_NSEC_PER_SEC) % RFS_NSEC_PER_SEC;
	made->ctime_ns = made->server_ns = t;
	if (!made->has_mtime) {
		/* no x-amz-meta-mtime: the times are the copy's own */
		if (made->atime_ns == made->mtime_ns)
			made->atime_ns = t;
		made->mtime_ns = t;
	}
}

int rfs_s3_copy_object(struct rfs_s3_backend *sb, const char *src_full,
		       struct rfs_s3_backend *db, const char *dst_full,
		       const struct rfs_s3_meta *src,
		       const struct rfs_s3_meta *replace,
		       struct rfs_s3_meta *made)
{
	return rfs_s3_copy_object_with(sb, src_full, db, dst_full, src, replace,
				       NULL, 0, made);
}

int rfs_s3_copy_object_with(struct rfs_s3_backend *sb, const char *src_full,
			    struct rfs_s3_backend *db, const char *dst_full,
			    const struct rfs_s3_meta *src,
			    const struct rfs_s3_meta *replace,
			    const char *const *extra, size_t n_extra,
			    struct rfs_s3_meta *made)
{
	struct rfs_buf hdr = RFS_BUF_INIT, body = RFS_BUF_INIT;
	const char *lines[11 + RFS_S3_COPY_EXTRA_MAX];
	char store[6][160], match[2][128];
	struct rfs_s3_request r;
	struct mpu u = { 0 };
	size_t n = 0;
	int e;

	if (made)
		made->etag[0] = '\0';
	if (n_extra > RFS_S3_COPY_EXTRA_MAX || (n_extra && !replace))
		return -EINVAL;
	if (src->size > rfs_s3_copy_max(db)) {
		u.b = db;
		u.full = dst_full;
		u.size = src->size;
		u.sb = sb;
		u.src_full = src_full;
		u.src_etag = src->etag;
		u.extra = extra;
		u.n_extra = n_extra;
		e = mpu_run(&u, replace ? replace : src, part_copy, NULL);
		if (!e && *src->etag) {
			/* RGW ignores the condition on part copies: check
			 * the source once more, and drop a mixed copy */
			struct rfs_s3_meta now;

			e = rfs_s3_head(sb, src_full, &now);
			if (!e && strcmp(now.etag, src->etag))
				e = -EEXIST;
			if (e < 0)
				rfs_s3_delete(db, dst_full);
			if (e == -ENOENT)
				e = -EEXIST; /* gone: changed as well */
			e = copy_stale(sb, src_full, e);
		}
		/* the copy as the server holds it: its multipart ETag */
		if (!e && made && n_extra)
			e = rfs_s3_head(db, dst_full, made);
		return e;
	}
	e = copy_source(sb, src_full, &hdr);
	if (e < 0)
		return e;
	lines[n++] = rfs_buf_str(&hdr);
	n += copy_if_match(src->etag, match, lines + n);
	if (replace) {
		lines[n++] = "x-amz-metadata-directive: REPLACE";
		n += rfs_s3_meta_headers(replace, store, lines + n);
		for (size_t i = 0; i < n_extra; i++)
			lines[n++] = extra[i];
	} else {
		lines[n++] = "x-amz-metadata-directive: COPY";
	}
	rfs_s3_req_init(&r, "PUT", dst_full);
	r.headers = lines;
	r.n_headers = n;
	r.out = &body;
	e = copy_stale(sb, src_full, rfs_s3_do(db, &r));
	if (!e)
		e = check_body(db, "the copy", dst_full, &body);
	if (!e && made)
		copy_made(&body, src, replace, made);
	rfs_buf_release(&hdr);
	rfs_buf_release(&body);
	return e;
}
