/**
 * @file s3_fixture.h
 * @brief The fixture of the S3 adapter's own tests: a fresh bucket on
 *        Ceph RGW per test and a backend on it.
 */
#ifndef RFS_TESTS_UNIT_BACKENDS_S3_FIXTURE_H
#define RFS_TESTS_UNIT_BACKENDS_S3_FIXTURE_H

#include "backends/backend.h"

/** The test's bucket, its endpoint and the backend on "s3://BUCKET/t". */
struct s3fx {
	const char *endpoint;
	char *bucket;
	struct rfs_backend *b; /**< part_size=5 (MiB) */
};

/** The fixture of the running test. */
extern struct s3fx S3;

/** Criterion .init: a bucket on RGW and S3.b; fails without RGW. */
void s3fx_setup(void);

/** Criterion .fini: frees the backends, drops the bucket. */
void s3fx_teardown(void);

/**
 * Open another backend on the test's bucket: "s3://BUCKET/@p prefix"
 * with @p extra options (or NULL); freed by s3fx_teardown().
 */
struct rfs_backend *s3fx_open(const char *prefix, const char *extra);

#endif
