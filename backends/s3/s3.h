/**
 * @file s3.h
 * @brief The S3 adapter: epochs and recycle storage on S3-compatible
 *        object stores (AWS S3, Ceph RGW, MinIO, GCS's XML API).
 *
 * URIs: `s3://BUCKET[/PREFIX][?OPTIONS]` and `gs://BUCKET[/PREFIX]`.
 * Options (all optional): `region=`, `endpoint=` (http(s)://host[:port]),
 * `path_style=1`, `profile=` (a profile of ~/.aws/credentials and
 * ~/.aws/config), `cache_ttl=` (seconds listings and attributes are kept,
 * default 10), `part_size=` (MiB, default 16), `verify=download|etag`,
 * `checksum=auto|read`. Credentials are never part of a URI: they come from the
 * environment or the AWS files (see creds.h). Thread-safe like every backend.
 */
#ifndef RFS_BACKENDS_S3_H
#define RFS_BACKENDS_S3_H

struct rfs_backend;
struct rfs_error;
struct rfs_uri;

/**
 * Open an S3 backend (the registry's open function for "s3" and "gs").
 * Makes no request: a missing bucket or wrong credentials show on first
 * use, with a message naming the storage.
 * @return 0, -EINVAL (bad options), -ENOMEM
 */
int rfs_s3_open(const struct rfs_uri *u, const char *uri,
		struct rfs_backend **out, struct rfs_error *err);

/**
 * Check what an S3 URI says by itself (its path, options and bucket
 * name), reading no environment, file or server: the registry's check
 * for "s3", "s3a" and "gs", run by `storage add`.
 * @return 0, -EINVAL (with the reason in @p err), -ENOMEM
 */
int rfs_s3_check_uri(const struct rfs_uri *u, const char *uri,
		     struct rfs_error *err);

/**
 * The reason of the calling thread's last failed S3 request, for a
 * message after an operation of an S3 backend returned an error: names
 * the storage, the S3 error code and message, never a secret ("storage
 * 's3://b/p': access denied (InvalidAccessKeyId: ...)"). Operations
 * return only an errno, as the port requires.
 * @return a borrowed string, "" when no request failed yet; valid until
 *         the thread's next S3 request
 */
const char *rfs_s3_last_error(void);

#endif
