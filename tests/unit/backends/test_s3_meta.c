/*
 * backends/s3: response headers (http.c's header callback) read into an
 * object's attributes (s3.c), without a server. Times from outside go
 * through util/timestamp.h: a time recyclefs cannot hold is an error for
 * the object with its reason, never a wrapped value (issue 17).
 */
#include "backends/s3/s3.h"
#include "backends/s3/s3_ops.h"
#include "backends/s3/s3_priv.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Feed "Name: value" lines to a fresh response, as curl would. */
static void answer(struct rfs_s3_request *r, const char *const *lines)
{
	rfs_s3_req_init(r, "HEAD", "lake/part-0.parquet");
	rfs_s3_take_header(r, "HTTP/1.1 200 OK\r\n", 17);
	for (; *lines; lines++) {
		char line[256];
		int n = snprintf(line, sizeof(line), "%s\r\n", *lines);

		rfs_s3_take_header(r, line, (size_t)n);
	}
}

static int meta_of(const char *const *lines, struct rfs_s3_meta *m)
{
	struct rfs_s3_request r;

	answer(&r, lines);
	return rfs_s3_meta_from(NULL, &r, false, m);
}

Test(s3_meta, times_size_mode_and_owner)
{
	const char *h[] = { "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT",
			    "Content-Length: 12",
			    "x-amz-meta-mtime: 1600000000.5",
			    "x-amz-meta-atime: -0.25",
			    "x-amz-meta-mode: 33261",
			    "x-amz-meta-uid: 1000",
			    "ETag: \"abc\"",
			    NULL };
	struct rfs_s3_meta m;

	cr_assert_eq(meta_of(h, &m), 0);
	cr_assert_eq(m.server_ns, 1700000000000000000LL);
	cr_assert_eq(m.mtime_ns, 1600000000500000000LL);
	cr_assert(m.has_mtime);
	cr_assert_eq(m.atime_ns, -250000000);
	cr_assert_eq(m.size, 12);
	cr_assert_eq(m.mode, S_IFREG | 0755);
	cr_assert_eq(m.uid, 1000);
	cr_assert_str_eq(m.etag, "abc");
}

Test(s3_meta, exponent_form_and_many_fraction_digits)
{
	const char *h[] = { "x-amz-meta-mtime: 1.7e9",
			    "x-amz-meta-atime: 1700000000.1234567891234",
			    NULL };
	struct rfs_s3_meta m;

	cr_assert_eq(meta_of(h, &m), 0);
	cr_assert_eq(m.mtime_ns, 1700000000000000000LL);
	cr_assert_eq(m.atime_ns, 1700000000123456789LL);
}

Test(s3_meta, a_time_that_is_not_a_number_is_ignored)
{
	const char *h[] = { "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT",
			    "x-amz-meta-mtime: yesterday",
			    "x-amz-meta-atime: 12abc", NULL };
	struct rfs_s3_meta m;

	cr_assert_eq(meta_of(h, &m), 0);
	cr_assert_not(m.has_mtime);
	cr_assert_eq(m.mtime_ns, 1700000000000000000LL);
	cr_assert_eq(m.atime_ns, m.mtime_ns);
}

/* The range's last whole second, and its first, are accepted. */
Test(s3_meta, the_ends_of_the_range_are_accepted)
{
	const char *hi[] = { "x-amz-meta-mtime: 9223372035.999999999", NULL };
	const char *lo[] = { "x-amz-meta-mtime: -9223372036", NULL };
	struct rfs_s3_meta m;

	cr_assert_eq(meta_of(hi, &m), 0);
	cr_assert_eq(m.mtime_ns, 9223372035999999999LL);
	cr_assert_eq(meta_of(lo, &m), 0);
	cr_assert_eq(m.mtime_ns, -9223372036000000000LL);
}

static void assert_impossible(const char *header, const char *value)
{
	char line[128];
	const char *h[] = { line, NULL };
	struct rfs_s3_meta m;

	snprintf(line, sizeof(line), "%s: %s", header, value);
	cr_assert_eq(meta_of(h, &m), -EIO, "%s", line);
	cr_assert(strstr(rfs_s3_last_error(), header), "%s",
		  rfs_s3_last_error());
	cr_assert(strstr(rfs_s3_last_error(), value), "%s",
		  rfs_s3_last_error());
	cr_assert(strstr(rfs_s3_last_error(), "lake/part-0.parquet"), "%s",
		  rfs_s3_last_error());
}

/* Issue 17, row 3: the old guard let 9223372039 s through, then
 * sec * 1e9 + frac overflowed. */
Test(s3_meta, mtime_9223372039_is_an_error)
{
	assert_impossible("x-amz-meta-mtime", "9223372039");
}

Test(s3_meta, mtime_9223372036_999999999_is_an_error)
{
	assert_impossible("x-amz-meta-mtime", "9223372036.999999999");
}

Test(s3_meta, mtime_minus_9223372036_854775808_is_an_error)
{
	assert_impossible("x-amz-meta-mtime", "-9223372036.854775808");
}

Test(s3_meta, huge_atime_is_an_error)
{
	assert_impossible("x-amz-meta-atime",
			  "99999999999999999999999999999999");
}

/* Issue 17, row 4: (int64_t)(v * 1e9L) for an exponent form. */
Test(s3_meta, mtime_1e40_is_an_error)
{
	assert_impossible("x-amz-meta-mtime", "1e40");
	assert_impossible("x-amz-meta-mtime", "-1e40");
	assert_impossible("x-amz-meta-atime", "1e400000");
}

/* Issue 17, row 5: Last-Modified's time_t * 1000000000 after
 * curl_getdate(). */
Test(s3_meta, last_modified_in_year_9999_is_an_error)
{
	const char *v = "Fri, 31 Dec 9999 23:59:59 GMT";
	struct rfs_s3_request r;
	const char *h[] = { "Last-Modified: Fri, 31 Dec 9999 23:59:59 GMT",
			    NULL };

	answer(&r, h);
	cr_assert(r.last_modified_bad);
	cr_assert_eq(r.last_modified_ns, 0, "no wrapped time");
	assert_impossible("Last-Modified", v);
}

/* A new response (after 100 Continue) forgets the previous one's. */
Test(s3_meta, a_status_line_resets_the_response)
{
	const char *h[] = { "Last-Modified: Fri, 31 Dec 9999 23:59:59 GMT",
			    "x-amz-meta-mtime: 1e40", NULL };
	struct rfs_s3_request r;

	answer(&r, h);
	rfs_s3_take_header(&r, "HTTP/1.1 200 OK\r\n", 17);
	cr_assert_not(r.last_modified_bad);
	cr_assert_str_eq(r.meta_mtime, "");
}
