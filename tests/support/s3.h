/**
 * @file s3.h
 * @brief Test helpers for the S3 adapter: the test servers' endpoints,
 *        throw-away buckets, storage URIs and the aws command line.
 *
 * scripts/servers.sh starts Ceph RGW and moto before the tests and
 * exports RFS_TEST_S3_ENDPOINT and RFS_TEST_MOTO_ENDPOINT with the keys
 * (AWS_ACCESS_KEY_ID=TESTAK, AWS_SECRET_ACCESS_KEY=TESTSECRET). A test
 * that needs a server which is not there fails, saying why; it is never
 * skipped silently. These helpers fail the calling Criterion test on
 * error; call them from the test's own thread.
 */
#ifndef RFS_TESTS_SUPPORT_S3_H
#define RFS_TESTS_SUPPORT_S3_H

#include <stddef.h>
#include <sys/types.h>

struct rfs_test_out;

/** A server process started by a test. */
struct rfs_test_server {
	pid_t pid;	   /**< its process, 0 once stopped */
	char endpoint[64]; /**< "http://127.0.0.1:PORT" */
};

/**
 * The Ceph RGW endpoint ("http://127.0.0.1:PORT"); fails the test when
 * RFS_TEST_S3_ENDPOINT is not set, with the reason servers.sh left.
 * @return a borrowed string
 */
const char *rfs_test_s3_endpoint(void);

/** The moto endpoint, as rfs_test_s3_endpoint() (RFS_TEST_MOTO_*). */
const char *rfs_test_moto_endpoint(void);

/**
 * Create a bucket with a new unique name on @p endpoint.
 * @return its malloc'ed name, which the caller frees
 */
char *rfs_test_s3_bucket_new(const char *endpoint);

/** Delete every object of @p bucket, then the bucket (best effort). */
void rfs_test_s3_bucket_drop(const char *endpoint, const char *bucket);

/**
 * The URI of a storage on @p endpoint:
 * "s3://BUCKET/PREFIX?endpoint=E&path_style=1&region=us-east-1" plus
 * @p extra options ("part_size=5", or NULL).
 * @return a malloc'ed string the caller frees
 */
char *rfs_test_s3_uri(const char *endpoint, const char *bucket,
		      const char *prefix, const char *extra);

/**
 * Run the aws command line against @p endpoint with the test keys:
 * `aws --endpoint-url E ARGS...` (AWS_CA_BUNDLE unset, checksums only
 * when required, as Ceph RGW 16 needs).
 * @param out      as for rfs_test_run()
 * @param endpoint the S3 endpoint
 * @param ...      the arguments, each a `const char *`, ended by NULL
 * @return as rfs_test_run()
 */
int rfs_test_aws(struct rfs_test_out *out, const char *endpoint, ...);

/**
 * Set the environment variable @p var to the command line
 * rfs_test_aws() runs, up to and with @p endpoint, for shell lines that
 * call the aws command line as `$VAR s3 ...`.
 */
void rfs_test_aws_env(const char *var, const char *endpoint);

/**
 * Start a private moto_server on a free port and wait until it answers
 * (a test that kills it must not take the shared one down).
 */
void rfs_test_moto_start(struct rfs_test_server *s);

/**
 * Start tests/support/flaky_s3.py (found through RFS_TEST_SUPPORT_DIR),
 * an S3-shaped server that fails on purpose (see the script).
 */
void rfs_test_flaky_start(struct rfs_test_server *s);

/** Kill a server a test started and reap it; a stopped one is ignored. */
void rfs_test_server_stop(struct rfs_test_server *s);

#endif
