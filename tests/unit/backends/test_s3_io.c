/*
 * The S3 adapter's transfers and HTTP layer: multipart uploads and
 * copies, ranged and random reads against Ceph RGW; retries, backoff and
 * servers that fail or go away against tests/support/flaky_s3.py and a
 * private moto_server.
 *
 * Objects above 5 GiB (multipart copies, more than 10,000 parts) do not
 * fit a unit test on RGW's in-memory store: the same code paths run here
 * with 5 MiB parts and a lowered single-copy limit
 * (rfs_s3_single_copy_max), which is what decides between them.
 */
#include "backends/s3/s3.h"
#include "backends/s3/s3_ops.h"
#include "tests/support/cmd.h"
#include "tests/support/s3.h"
#include "tests/unit/backends/helpers.h"
#include "tests/unit/backends/s3_fixture.h"
#include "util/buf.h"
#include "util/error.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TestSuite(backends_s3_io, .init = s3fx_setup, .fini = s3fx_teardown,
	  .timeout = 300);

#define MIB ((size_t)1 << 20)

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Write @p len bytes of pattern @p seed to @p key in 1 MiB writes. */
static void put_pattern(struct rfs_backend *b, const char *key, size_t len,
			unsigned int seed)
{
	unsigned char *buf = malloc(MIB);
	struct rfs_file *f = NULL;
	size_t off, n;

	cr_assert_not_null(buf);
	cr_assert_eq(rfs_backend_open_file(b, key, O_CREAT | O_TRUNC | O_WRONLY,
					   0644, &f),
		     0);
	for (off = 0; off < len; off += n) {
		n = len - off < MIB ? len - off : MIB;
		bk_pattern(buf, n, seed, (off_t)off);
		cr_assert_eq(rfs_file_write(f, buf, n, (off_t)off), (ssize_t)n);
	}
	cr_assert_eq(rfs_file_close(f), 0, "%s", rfs_s3_last_error());
	free(buf);
}

static unsigned long long pattern_sum(size_t len, unsigned int seed)
{
	unsigned long long h = 1469598103934665603ULL;
	unsigned char *buf = malloc(MIB);
	size_t off, n, i;

	cr_assert_not_null(buf);
	for (off = 0; off < len; off += n) {
		n = len - off < MIB ? len - off : MIB;
		bk_pattern(buf, n, seed, (off_t)off);
		for (i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 1099511628211ULL;
		}
	}
	free(buf);
	return h;
}

static void head(struct rfs_backend *b, const char *key, struct rfs_s3_meta *m)
{
	struct rfs_buf full = RFS_BUF_INIT;

	cr_assert_eq(rfs_s3_full_key(rfs_s3_of(b), key, &full), 0);
	cr_assert_eq(rfs_s3_head(rfs_s3_of(b), rfs_buf_str(&full), m), 0);
	rfs_buf_release(&full);
}

/* PUT @p len bytes as @p full the way another tool would: no
 * x-amz-meta-*, and behind the backend's caches. */
static int put_raw(struct rfs_s3_backend *b, const char *full, const char *data,
		   size_t len)
{
	struct rfs_s3_request r;

	rfs_s3_req_init(&r, "PUT", full);
	r.body = data;
	r.body_len = len;
	return rfs_s3_do(b, &r);
}

/* ---------------------------------------------------------- multipart */

Test(backends_s3_io, multipart_upload_of_40_mib)
{
	const size_t len = 40 * MIB;
	struct rfs_test_out out = { 0 };
	struct rfs_s3_meta m;
	struct stat st;

	put_pattern(S3.b, "big", len, 11);
	head(S3.b, "big", &m);
	/* eight parts of 5 MiB: the ETag of a multipart upload says so */
	cr_assert_not_null(strstr(m.etag, "-8"), "ETag %s", m.etag);
	cr_assert_eq(m.size, (int64_t)len);
	cr_assert_eq(bk_checksum(S3.b, "big"), pattern_sum(len, 11));
	cr_assert_eq(rfs_backend_stat(S3.b, "big", &st), 0);
	cr_assert_eq(st.st_size, (off_t)len);
	cr_assert_eq(st.st_mode, S_IFREG | 0644);
	/* RGW agrees, seen by another client */
	cr_assert_eq(rfs_test_aws(&out, S3.endpoint, "s3api", "head-object",
				  "--bucket", S3.bucket, "--key", "t/big",
				  NULL),
		     0, "aws: %s", out.err);
	cr_assert_not_null(strstr(out.out, "-8\\\""), "%s", out.out);
	cr_assert_not_null(strstr(out.out, "\"ContentLength\": 41943040"), "%s",
			   out.out);
	rfs_test_out_release(&out);
}

Test(backends_s3_io, server_side_copy_keeps_bytes_and_metadata)
{
	struct timespec ts[2] = { { 1300000000, 3 }, { 1310000000, 4 } };
	const size_t len = 12 * MIB;
	struct rfs_backend *other = s3fx_open("other/place", "part_size=5");
	struct rfs_s3_meta m;
	struct stat a, c;

	put_pattern(S3.b, "src", len, 5);
	cr_assert_eq(rfs_backend_chmod(S3.b, "src", 0604), 0);
	cr_assert_eq(rfs_backend_utimens(S3.b, "src", ts), 0);
	cr_assert_eq(rfs_backend_stat(S3.b, "src", &a), 0);

	/* one CopyObject, to another storage of the same endpoint */
	cr_assert_eq(rfs_backend_copy(S3.b, "src", other, "one", 0), 0, "%s",
		     rfs_s3_last_error());
	cr_assert_eq(rfs_backend_stat(other, "one", &c), 0);
	cr_assert_eq(c.st_mode, a.st_mode);
	cr_assert_eq(c.st_mtim.tv_sec, 1310000000);
	cr_assert_eq(c.st_mtim.tv_nsec, 4);
	cr_assert_eq(c.st_atim.tv_nsec, 3);
	cr_assert_eq(bk_checksum(other, "one"), pattern_sum(len, 5));

	/* the multipart path (UploadPartCopy), used above 5 GiB */
	rfs_s3_single_copy_max = 8 << 20;
	cr_assert_eq(rfs_backend_copy(S3.b, "src", other, "parts", 0), 0, "%s",
		     rfs_s3_last_error());
	head(other, "parts", &m);
	cr_assert_not_null(strstr(m.etag, "-3"), "ETag %s", m.etag);
	cr_assert_eq(rfs_backend_stat(other, "parts", &c), 0);
	cr_assert_eq(c.st_mode, a.st_mode);
	cr_assert_eq(c.st_mtim.tv_nsec, 4);
	cr_assert_eq(c.st_size, (off_t)len);
	cr_assert_eq(bk_checksum(other, "parts"), pattern_sum(len, 5));
	/* metadata changes and renames of big objects take the same path */
	cr_assert_eq(rfs_backend_chmod(other, "parts", 0600), 0);
	cr_assert_eq(rfs_backend_rename(other, "parts", "moved", 0), 0);
	cr_assert_eq(rfs_backend_stat(other, "moved", &c), 0);
	cr_assert_eq(c.st_mode, S_IFREG | 0600);
	cr_assert_eq(c.st_mtim.tv_nsec, 4);
	cr_assert_eq(bk_checksum(other, "moved"), pattern_sum(len, 5));
	rfs_s3_single_copy_max = RFS_S3_MAX_SINGLE;

	cr_assert_eq(rfs_backend_copy(S3.b, "src", other, "one",
				      RFS_BACKEND_COPY_NOREPLACE),
		     -EEXIST);
}

/* A server-side copy names the version it copies (copy-source-if-match):
 * a source replaced since it was looked at fails the copy with ESTALE,
 * on both paths, instead of copying the new version under the old one's
 * attributes. */
Test(backends_s3_io, a_copy_of_a_replaced_source_is_estale)
{
	struct rfs_s3_backend *b = rfs_s3_of(S3.b);
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	const size_t len = 12 * MIB;
	struct rfs_s3_meta m;
	int r;

	put_pattern(S3.b, "src", len, 5);
	head(S3.b, "src", &m);
	put_pattern(S3.b, "src", len, 6); /* another version, same size */
	cr_assert_eq(rfs_s3_full_key(b, "src", &src), 0);
	cr_assert_eq(rfs_s3_full_key(b, "dst", &dst), 0);
	r = rfs_s3_copy_object(b, rfs_buf_str(&src), b, rfs_buf_str(&dst), &m,
			       NULL, NULL);
	cr_assert_eq(r, -ESTALE, "copy: %d, ETag '%s': %s", r, m.etag,
		     rfs_s3_last_error());
	cr_assert_not_null(strstr(rfs_s3_last_error(), "changed while it was "
						       "copied"),
			   "%s", rfs_s3_last_error());
	rfs_s3_single_copy_max = 8 << 20;
	cr_assert_eq(rfs_s3_copy_object(b, rfs_buf_str(&src), b,
					rfs_buf_str(&dst), &m, NULL, NULL),
		     -ESTALE);
	rfs_s3_single_copy_max = RFS_S3_MAX_SINGLE;
	cr_assert_eq(rfs_backend_stat(S3.b, "dst", &(struct stat){ 0 }),
		     -ENOENT);
	/* the current version copies */
	head(S3.b, "src", &m);
	cr_assert_eq(rfs_s3_copy_object(b, rfs_buf_str(&src), b,
					rfs_buf_str(&dst), &m, NULL, NULL),
		     0, "%s", rfs_s3_last_error());
	/* made behind the backend's caches, which saw "dst" absent */
	rfs_backend_forget(S3.b, "dst");
	cr_assert_eq(bk_checksum(S3.b, "dst"), pattern_sum(len, 6));
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
}

/* What the answer of a CopyObject tells of the copy (kept in the caches
 * so that no HEAD follows) is what a HEAD of it says, with and without
 * x-amz-meta-mtime on the source. */
Test(backends_s3_io, a_copy_knows_its_attributes_without_a_head)
{
	struct rfs_s3_backend *b = rfs_s3_of(S3.b);
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	struct rfs_s3_meta m, made, got;
	int bare;

	for (bare = 0; bare < 2; bare++) {
		rfs_buf_reset(&src);
		rfs_buf_reset(&dst);
		cr_assert_eq(rfs_s3_full_key(b, "src", &src), 0);
		cr_assert_eq(rfs_s3_full_key(b, "dst", &dst), 0);
		if (bare) /* as another tool writes it: no x-amz-meta-* */
			cr_assert_eq(
				put_raw(b, rfs_buf_str(&src), "bare bytes", 10),
				0, "%s", rfs_s3_last_error());
		else
			put_pattern(S3.b, "src", MIB, 7);
		head(S3.b, "src", &m);
		cr_assert_eq(m.has_mtime, !bare);
		sleep(1); /* the copy gets a Last-Modified of its own */
		cr_assert_eq(rfs_s3_copy_object(b, rfs_buf_str(&src), b,
						rfs_buf_str(&dst), &m, NULL,
						&made),
			     0, "%s", rfs_s3_last_error());
		head(S3.b, "dst", &got);
		cr_assert_str_eq(made.etag, got.etag);
		cr_assert_eq(made.server_ns, got.server_ns, "%lld != %lld",
			     (long long)made.server_ns,
			     (long long)got.server_ns);
		cr_assert_eq(made.mtime_ns, got.mtime_ns);
		cr_assert_eq(made.atime_ns, got.atime_ns);
		cr_assert_eq(made.ctime_ns, got.ctime_ns);
		cr_assert_eq(made.size, got.size);
		cr_assert_eq(made.mode, got.mode);
		cr_assert_eq(made.uid, got.uid);
		cr_assert_eq(made.has_mtime, got.has_mtime);
		if (bare)
			cr_assert_gt(made.mtime_ns, m.mtime_ns);
	}
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
}

/* A server-side copy of an object written by another tool (no
 * x-amz-meta-*) shows the times, mode and owner its source shows, in the
 * caches and on the server, with no further request to set them. */
Test(backends_s3_io, a_copy_of_a_foreign_object_keeps_its_times)
{
	struct rfs_s3_backend *b = rfs_s3_of(S3.b);
	struct rfs_buf src = RFS_BUF_INIT;
	struct stat s, cached, fresh;
	struct rfs_s3_meta m;

	cr_assert_eq(rfs_s3_full_key(b, "foreign", &src), 0);
	cr_assert_eq(put_raw(b, rfs_buf_str(&src), "made elsewhere", 14), 0);
	rfs_backend_forget(S3.b, "foreign");
	cr_assert_eq(rfs_backend_stat(S3.b, "foreign", &s), 0);
	sleep(1); /* a copy made now has a later Last-Modified */
	cr_assert_eq(rfs_backend_copy(S3.b, "foreign", S3.b, "kept",
				      RFS_BACKEND_COPY_NOREPLACE),
		     0, "%s", rfs_s3_last_error());
	cr_assert_eq(rfs_backend_stat(S3.b, "kept", &cached), 0);
	rfs_backend_forget(S3.b, "kept");
	cr_assert_eq(rfs_backend_stat(S3.b, "kept", &fresh), 0);
	cr_assert_eq(cached.st_mtim.tv_sec, s.st_mtim.tv_sec);
	cr_assert_eq(fresh.st_mtim.tv_sec, s.st_mtim.tv_sec);
	cr_assert_eq(fresh.st_mtim.tv_nsec, s.st_mtim.tv_nsec);
	cr_assert_eq(fresh.st_mode, s.st_mode);
	cr_assert_eq(fresh.st_uid, s.st_uid);
	cr_assert_eq(cached.st_ctim.tv_sec, fresh.st_ctim.tv_sec);
	head(S3.b, "kept", &m);
	cr_assert(m.has_mtime);
	cr_assert_eq(bk_checksum(S3.b, "kept"), bk_checksum(S3.b, "foreign"));
	rfs_buf_release(&src);
}

struct seen {
	char names[8][32];
	struct stat st[8];
	int n;
};

static int seen_add(void *ctx, const char *name, const struct stat *st)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 8);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
	s->st[s->n++] = *st;
	return 0;
}

static void copy_into_listed(struct rfs_backend *b, bool listing)
{
	struct seen cached = { 0 }, fresh = { 0 };
	struct stat st;
	int i;

	put_pattern(b, "src", MIB, 3);
	if (!listing)
		cr_assert_eq(rfs_backend_utimens(b, "src",
						 (struct timespec[2]){
							 { 1, 2 }, { 5, 6 } }),
			     0);
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0750), 0);
	cr_assert_eq(rfs_backend_stat(b, "d/b", &st), -ENOENT);
	cr_assert_eq(rfs_backend_list(b, "d", seen_add, &cached), 0);
	cr_assert_eq(cached.n, 0);
	sleep(1); /* copies a second younger than their source */
	cr_assert_eq(rfs_backend_copy(b, "src", b, "d/b",
				      RFS_BACKEND_COPY_NOREPLACE),
		     0, "%s", rfs_s3_last_error());
	cr_assert_eq(rfs_backend_copy(b, "src", b, "d/a",
				      RFS_BACKEND_COPY_NOREPLACE),
		     0, "%s", rfs_s3_last_error());
	cr_assert_eq(rfs_backend_list(b, "d", seen_add, &cached), 0);
	rfs_backend_forget(b, "d");
	rfs_backend_forget(b, "d/a");
	rfs_backend_forget(b, "d/b");
	cr_assert_eq(rfs_backend_list(b, "d", seen_add, &fresh), 0);
	cr_assert_eq(cached.n, 2);
	cr_assert_eq(fresh.n, 2);
	for (i = 0; i < 2; i++) {
		cr_assert_str_eq(cached.names[i], fresh.names[i]);
		cr_assert_eq(cached.st[i].st_size, (off_t)MIB);
		cr_assert_eq(cached.st[i].st_mode, fresh.st[i].st_mode);
		cr_assert_eq(cached.st[i].st_size, fresh.st[i].st_size);
		if (!listing) {
			cr_assert_eq(cached.st[i].st_mtim.tv_sec, 5);
			cr_assert_eq(cached.st[i].st_mtim.tv_nsec, 6);
		}
		cr_assert_eq(cached.st[i].st_mtim.tv_sec,
			     fresh.st[i].st_mtim.tv_sec);
		cr_assert_eq(cached.st[i].st_mtim.tv_nsec,
			     fresh.st[i].st_mtim.tv_nsec);
		cr_assert_eq(cached.st[i].st_ctim.tv_sec,
			     fresh.st[i].st_ctim.tv_sec);
		cr_assert_eq(cached.st[i].st_uid, fresh.st[i].st_uid);
		cr_assert_eq(cached.st[i].st_ino, fresh.st[i].st_ino,
			     "%d: %llu %llu", listing,
			     (unsigned long long)cached.st[i].st_ino,
			     (unsigned long long)fresh.st[i].st_ino);
	}
	cr_assert_str_eq(cached.names[0], "a");
	cr_assert_neq(fresh.st[0].st_ino, fresh.st[1].st_ino);
}

/* A folder just made is known to be empty, and copies into it enter its
 * cached listing with the attributes a fresh listing gives them, with
 * attributes from metadata and from listings. */
Test(backends_s3_io, copies_into_a_listed_folder_show_at_once_and_exactly)
{
	copy_into_listed(S3.b, false);
	copy_into_listed(s3fx_open("l", "attrs=listing"), true);
}

/* An object opened for reading from a HEAD's answer kept in the cache
 * (no HEAD of its own) and replaced behind the caches reads as its new
 * version, whole, not as -ESTALE and not cut at the old size. */
Test(backends_s3_io, an_open_from_the_cache_reads_the_current_version)
{
	struct rfs_s3_backend *b = rfs_s3_of(S3.b);
	struct rfs_buf full = RFS_BUF_INIT;
	const char *now = "the new version, longer than the old one";
	struct rfs_s3_meta m, hint;
	struct rfs_file *f = NULL;
	char buf[256];
	ssize_t n;

	cr_assert_eq(rfs_s3_full_key(b, "h", &full), 0);
	cr_assert_eq(put_raw(b, rfs_buf_str(&full), "old", 3), 0);
	head(S3.b, "h", &m);
	cr_assert(rfs_s3_cache_head_get(b->cache, rfs_buf_str(&full), &hint));
	cr_assert_str_eq(hint.etag, m.etag);
	/* replaced behind the caches */
	cr_assert_eq(put_raw(b, rfs_buf_str(&full), now, strlen(now)), 0);
	cr_assert_eq(rfs_backend_open_file(S3.b, "h", O_RDONLY, 0, &f), 0);
	n = rfs_file_read(f, buf, sizeof(buf), 0);
	cr_assert_eq(n, (ssize_t)strlen(now), "read %zd: %s", n,
		     rfs_s3_last_error());
	cr_assert_arr_eq(buf, now, strlen(now));
	cr_assert_eq(rfs_file_close(f), 0);
	/* and gone behind the caches: the read says so */
	cr_assert(rfs_s3_cache_head_get(b->cache, rfs_buf_str(&full), &hint));
	cr_assert_eq(rfs_s3_delete(b, rfs_buf_str(&full)), 0);
	cr_assert_eq(rfs_backend_open_file(S3.b, "h", O_RDONLY, 0, &f), 0);
	cr_assert_eq(rfs_file_read(f, buf, sizeof(buf), 0), -ESTALE);
	cr_assert_eq(rfs_file_close(f), 0);
	rfs_buf_release(&full);
}

Test(backends_s3_io, copies_to_another_endpoint_are_exdev)
{
	char *uri =
		rfs_test_s3_uri("http://127.0.0.1:9", "elsewhere", "x", NULL);
	struct rfs_backend *far = bk_open(uri);

	bk_put(S3.b, "f", "1", 1);
	cr_assert_eq(rfs_backend_copy(S3.b, "f", far, "f", 0), -EXDEV);
	rfs_backend_free(far);
	free(uri);
}

/* -------------------------------------------------------------- reads */

Test(backends_s3_io, sequential_and_random_reads)
{
	const size_t len = 21 * MIB + 123;
	unsigned char *want = malloc(len), *got = malloc(2 * MIB);
	struct rfs_file *f = NULL;
	unsigned int seed = 42;
	off_t off;
	int i;

	cr_assert(want && got);
	put_pattern(S3.b, "r", len, 9);
	bk_pattern(want, len, 9, 0);
	cr_assert_eq(rfs_backend_open_file(S3.b, "r", O_RDONLY, 0, &f), 0);
	/* as the kernel reads: 128 KiB at a time, the window grows */
	for (off = 0; off < (off_t)len; off += 128 << 10) {
		ssize_t n = rfs_file_read(f, got, 128 << 10, off);
		size_t expect = len - (size_t)off < (128 << 10)
					? len - (size_t)off
					: (128 << 10);

		cr_assert_eq(n, (ssize_t)expect, "at %lld", (long long)off);
		cr_assert_arr_eq(got, want + off, expect);
	}
	/* anywhere, any size, across the read-ahead window's edges */
	for (i = 0; i < 200; i++) {
		size_t n = (size_t)rand_r(&seed) % (2 * MIB);

		off = (off_t)((size_t)rand_r(&seed) % len);
		if ((size_t)off + n > len)
			n = len - (size_t)off;
		cr_assert_eq(rfs_file_read(f, got, n, off), (ssize_t)n);
		cr_assert_arr_eq(got, want + off, n, "read %d at %lld", i,
				 (long long)off);
	}
	cr_assert_eq(rfs_file_read(f, got, 10, (off_t)len), 0);
	cr_assert_eq(rfs_file_read(f, got, 1000, (off_t)len - 10), 10);
	cr_assert_arr_eq(got, want + len - 10, 10);
	cr_assert_eq(rfs_file_close(f), 0);
	free(want);
	free(got);
}

Test(backends_s3_io, a_replaced_object_reads_as_estale)
{
	struct rfs_backend *other = s3fx_open("t", NULL);
	struct rfs_file *f = NULL;
	char *buf = malloc(4 * MIB);

	cr_assert_not_null(buf);
	put_pattern(S3.b, "v", 4 * MIB, 1);
	cr_assert_eq(rfs_backend_open_file(S3.b, "v", O_RDONLY, 0, &f), 0);
	cr_assert_eq(rfs_file_read(f, buf, 4096, 0), 4096);
	put_pattern(other, "v", 4 * MIB, 2);
	/* beyond the read-ahead window: the old version is gone */
	cr_assert_eq(rfs_file_read(f, buf, 4096, 3 * MIB), -ESTALE);
	cr_assert_eq(rfs_file_close(f), 0);
	free(buf);
}

/* A sequential read fetches the next window while the current one is
 * read: replaced after that fetch, the object still reads as the version
 * the read began with, past the current window, and then as -ESTALE,
 * never as a mix of both. */
Test(backends_s3_io, a_sequential_read_fetches_the_next_window_ahead)
{
	struct rfs_backend *other = s3fx_open("t", NULL);
	const size_t len = 40 * MIB, chunk = 128 << 10;
	unsigned char *want = malloc(len), *got = malloc(chunk);
	struct rfs_file *f = NULL;
	off_t off;
	ssize_t n = 0;

	cr_assert(want && got);
	put_pattern(S3.b, "seq", len, 3);
	bk_pattern(want, len, 3, 0);
	cr_assert_eq(rfs_backend_open_file(S3.b, "seq", O_RDONLY, 0, &f), 0);
	for (off = 0; off < 12 * (off_t)MIB; off += (off_t)chunk) {
		cr_assert_eq(rfs_file_read(f, got, chunk, off), (ssize_t)chunk);
		cr_assert_arr_eq(got, want + off, chunk);
	}
	sleep(2); /* the fetch ahead is done by now */
	put_pattern(other, "seq", len, 4);
	for (; off < (off_t)len; off += (off_t)chunk) {
		n = rfs_file_read(f, got, chunk, off);
		if (n < 0)
			break;
		cr_assert_eq(n, (ssize_t)chunk);
		cr_assert_arr_eq(got, want + off, chunk, "at %lld",
				 (long long)off);
	}
	cr_expect_geq(off, 20 * (off_t)MIB,
		      "read the old version only to %lld: nothing was "
		      "fetched ahead",
		      (long long)off);
	cr_expect_eq(n, -ESTALE, "the read ended with %zd at %lld", n,
		     (long long)off);
	cr_assert_eq(rfs_file_close(f), 0);
	free(want);
	free(got);
}

/* A read of many windows, in requests of 1 MiB and odd sizes as the kernel
 * sends them, across the windows and the 2 MiB parts: the window buffers
 * are used again from one prefetch to the next (from the fifth window on),
 * and a read elsewhere in the middle drops a prefetch whose buffer is kept
 * too; every byte is the object's. */
Test(backends_s3_io, a_long_read_reads_every_window_right_through_kept_buffers)
{
	const size_t len = 90 * MIB + 4097, big = MIB + 4093;
	unsigned char *want = malloc(len), *got = malloc(big);
	struct rfs_file *f = NULL;
	size_t sizes[] = { MIB, big, 131072, 1, MIB - 1, 393216 };
	off_t off = 0;
	int i = 0;

	cr_assert(want && got);
	put_pattern(S3.b, "long", len, 7);
	bk_pattern(want, len, 7, 0);
	cr_assert_eq(rfs_backend_open_file(S3.b, "long", O_RDONLY, 0, &f), 0);
	while (off < (off_t)len) {
		size_t n = sizes[i++ % 6];
		size_t expect = len - (size_t)off < n ? len - (size_t)off : n;

		if (off >= 60 * (off_t)MIB && off < 61 * (off_t)MIB) {
			/* elsewhere, once: the prefetch in flight is dropped */
			cr_assert_eq(
				rfs_file_read(f, got, 4096, 5 * (off_t)MIB + 3),
				4096);
			cr_assert_arr_eq(got, want + 5 * MIB + 3, 4096);
			off = 61 * (off_t)MIB;
			continue;
		}
		cr_assert_eq(rfs_file_read(f, got, n, off), (ssize_t)expect,
			     "at %lld: %s", (long long)off,
			     rfs_s3_last_error());
		cr_assert_arr_eq(got, want + off, expect, "at %lld",
				 (long long)off);
		off += (off_t)expect;
	}
	cr_assert_eq(rfs_file_read(f, got, 10, (off_t)len), 0);
	cr_assert_eq(rfs_file_close(f), 0);
	free(want);
	free(got);
}

/* ----------------------------------------------- retries and failures */

/* A client of bucket "b" on @p endpoint, for requests made by hand. */
static struct rfs_s3_client *client_on(const char *endpoint)
{
	struct rfs_error err = { 0 };
	struct rfs_s3_conf conf = { 0 };
	struct rfs_s3_client *c = NULL;
	char *uri = rfs_test_s3_uri(endpoint, "bkt", NULL, NULL);

	cr_assert_eq(rfs_s3_conf_load("s3", "bkt", "", strchr(uri, '?') + 1,
				      uri, &conf, &err),
		     0, "%s", err.msg);
	cr_assert_eq(rfs_s3_client_new(&conf, uri, &c, &err), 0, "%s", err.msg);
	rfs_s3_conf_release(&conf);
	free(uri);
	return c;
}

static int call(struct rfs_s3_client *c, const char *method, const char *key,
		struct rfs_error *err)
{
	struct rfs_s3_request r;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.key = key;
	r.body_fd = -1;
	r.idempotent = strcmp(method, "POST") != 0;
	return rfs_s3_perform(c, &r, err);
}

/* How many requests the flaky server got for b/@p key. */
static int count(const char *endpoint, const char *key)
{
	struct rfs_error err = { 0 };
	struct rfs_s3_client *c;
	struct rfs_buf body = RFS_BUF_INIT;
	struct rfs_buf path = RFS_BUF_INIT;
	struct rfs_s3_request r;
	int n;
	char *uri = rfs_test_s3_uri(endpoint, "count", NULL, NULL);
	struct rfs_s3_conf conf = { 0 };

	cr_assert_eq(rfs_s3_conf_load("s3", "count", "", strchr(uri, '?') + 1,
				      uri, &conf, &err),
		     0, "%s", err.msg);
	cr_assert_eq(rfs_s3_client_new(&conf, uri, &c, &err), 0);
	cr_assert_eq(rfs_buf_addf(&path, "bkt/%s", key), 0);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.key = rfs_buf_str(&path);
	r.body_fd = -1;
	r.out = &body;
	cr_assert_eq(rfs_s3_perform(c, &r, &err), 0, "%s", err.msg);
	n = atoi(rfs_buf_str(&body));
	rfs_s3_client_free(c);
	rfs_s3_conf_release(&conf);
	rfs_buf_release(&body);
	rfs_buf_release(&path);
	free(uri);
	return n;
}

Test(backends_s3_io, retries_with_backoff_then_gives_up)
{
	struct rfs_test_server srv = { 0 };
	struct rfs_error err = { 0 };
	struct rfs_s3_client *c;
	double t;

	rfs_test_flaky_start(&srv);
	c = client_on(srv.endpoint);

	/* two 500s, then success: 3 requests, at least 50 + 100 ms waited */
	t = now_s();
	cr_assert_eq(call(c, "GET", "fail-2/x", &err), 0, "%s", err.msg);
	cr_assert_geq(now_s() - t, 0.15);
	cr_assert_eq(count(srv.endpoint, "fail-2/x"), 3);
	cr_assert_eq(call(c, "HEAD", "slowdown-3/x", &err), 0, "%s", err.msg);
	cr_assert_eq(count(srv.endpoint, "slowdown-3/x"), 4);

	/* always failing: five attempts, then -EIO, in bounded time */
	t = now_s();
	cr_assert_eq(call(c, "GET", "always/x", &err), -EIO);
	t = now_s() - t;
	cr_assert_geq(t, 0.7, "backoff too short: %.2f s", t);
	cr_assert_leq(t, 5.0, "backoff too long: %.2f s", t);
	cr_assert_eq(count(srv.endpoint, "always/x"), 5);
	cr_assert_not_null(strstr(err.msg, "InternalError"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "after 5 attempts"), "%s", err.msg);

	/* a POST is not idempotent: never repeated */
	cr_assert_eq(call(c, "POST", "fail-1/x", &err), -EIO);
	cr_assert_eq(count(srv.endpoint, "fail-1/x"), 1);
	/* access denied is an answer, not a failure to retry */
	cr_assert_eq(call(c, "GET", "denied/x", &err), -EACCES);
	cr_assert_eq(count(srv.endpoint, "denied/x"), 1);
	rfs_s3_client_free(c);
	rfs_test_server_stop(&srv);
}

Test(backends_s3_io, nothing_listening_is_eio_in_bounded_time)
{
	struct rfs_s3_client *c = client_on("http://127.0.0.1:9");
	struct rfs_error err = { 0 };
	double t = now_s();

	cr_assert_eq(call(c, "HEAD", "x", &err), -EIO);
	cr_assert_leq(now_s() - t, 5.0);
	cr_assert_not_null(strstr(err.msg, "cannot reach"), "%s", err.msg);
	rfs_s3_client_free(c);
}

Test(backends_s3_io, a_server_that_goes_away_is_eio)
{
	struct rfs_test_server moto = { 0 };
	struct rfs_backend *b;
	struct rfs_file *r = NULL, *w = NULL;
	char *bucket, *uri, buf[4096];
	struct stat st;
	double t;

	rfs_test_moto_start(&moto);
	bucket = rfs_test_s3_bucket_new(moto.endpoint);
	uri = rfs_test_s3_uri(moto.endpoint, bucket, "p", NULL);
	b = bk_open(uri);
	put_pattern(b, "f", 3 * MIB, 3);
	cr_assert_eq(rfs_backend_open_file(b, "f", O_RDONLY, 0, &r), 0);
	cr_assert_eq(rfs_file_read(r, buf, sizeof(buf), 0), 4096);
	cr_assert_eq(
		rfs_backend_open_file(b, "w", O_CREAT | O_WRONLY, 0644, &w), 0);
	cr_assert_eq(rfs_file_write(w, "pending", 7, 0), 7);

	rfs_test_server_stop(&moto);
	t = now_s();
	cr_assert_eq(rfs_file_read(r, buf, sizeof(buf), 2 * MIB + 5), -EIO);
	cr_assert_eq(rfs_backend_stat(b, "g", &st), -EIO);
	cr_assert_eq(rfs_file_close(w), -EIO);
	cr_assert_eq(rfs_file_close(r), 0);
	cr_assert_leq(now_s() - t, 15.0);
	cr_assert_not_null(strstr(rfs_s3_last_error(), "cannot reach"), "%s",
			   rfs_s3_last_error());
	rfs_backend_free(b);
	free(uri);
	free(bucket);
}

/* ------------------------------------------------------------- moto */

Test(backends_s3_io, works_on_moto_too)
{
	const char *e = rfs_test_moto_endpoint();
	char *bucket = rfs_test_s3_bucket_new(e);
	char *uri = rfs_test_s3_uri(e, bucket, "m", "part_size=5");
	struct rfs_backend *b = bk_open(uri);
	struct rfs_file *f = NULL;
	char buf[16] = { 0 };
	struct stat st;

	cr_assert_eq(rfs_backend_mkdir(b, "d", 0700), 0);
	bk_put(b, "d/f", "moto", 4);
	cr_assert_eq(rfs_backend_open_file(
			     b, "d/f", O_CREAT | O_EXCL | O_WRONLY, 0644, &f),
		     -EEXIST);
	cr_assert_eq(rfs_backend_rename(b, "d/f", "d/g", 0), 0);
	cr_assert_eq(bk_get(b, "d/g", buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "moto");
	put_pattern(b, "mp", 11 * MIB, 8);
	cr_assert_eq(bk_checksum(b, "mp"), pattern_sum(11 * MIB, 8));
	cr_assert_eq(rfs_backend_stat(b, "d", &st), 0);
	cr_assert_eq(st.st_mode, S_IFDIR | 0700);
	cr_assert_eq(rfs_backend_unlink(b, "d/g"), 0);
	cr_assert_eq(rfs_backend_rmdir(b, "d"), 0);
	rfs_backend_free(b);
	rfs_test_s3_bucket_drop(e, bucket);
	free(uri);
	free(bucket);
}
