/*
 * The fixture of the S3 adapter's own tests.
 */
#include "tests/unit/backends/s3_fixture.h"

#include "tests/support/s3.h"
#include "tests/unit/backends/helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>

struct s3fx S3;

static struct rfs_backend *extra_backends[8];
static int n_extra;

void s3fx_setup(void)
{
	S3.endpoint = rfs_test_s3_endpoint();
	S3.bucket = rfs_test_s3_bucket_new(S3.endpoint);
	S3.b = s3fx_open("t", "part_size=5");
}

struct rfs_backend *s3fx_open(const char *prefix, const char *extra)
{
	char *uri = rfs_test_s3_uri(S3.endpoint, S3.bucket, prefix, extra);
	struct rfs_backend *b = bk_open(uri);

	free(uri);
	cr_assert_lt(n_extra, 8);
	extra_backends[n_extra++] = b;
	return b;
}

void s3fx_teardown(void)
{
	while (n_extra > 0)
		rfs_backend_free(extra_backends[--n_extra]);
	if (S3.bucket)
		rfs_test_s3_bucket_drop(S3.endpoint, S3.bucket);
	free(S3.bucket);
	S3.bucket = NULL;
	S3.b = NULL;
}
