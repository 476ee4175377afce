/**
 * @file sha256.h
 * @brief SHA-256 of byte streams, in hex, over OpenSSL's EVP interface.
 *
 * One `struct rfs_sha256` hashes one stream; it is used by one thread at a
 * time. Different objects may be used from different threads.
 */
#ifndef RFS_UTIL_SHA256_H
#define RFS_UTIL_SHA256_H

#include <stddef.h>

/** Length of a SHA-256 in hex, with the NUL. */
#define RFS_SHA256_HEX 65

/** A running hash. */
struct rfs_sha256 {
	void *ctx; /**< the OpenSSL digest context */
};

/**
 * Start a hash.
 * @return 0 or -ENOMEM
 */
int rfs_sha256_init(struct rfs_sha256 *h);

/** Add @p n bytes. @return 0 or -EIO (the digest failed) */
int rfs_sha256_update(struct rfs_sha256 *h, const void *data, size_t n);

/**
 * Finish: write the digest as 64 lower-case hex digits and a NUL, and
 * free the context (rfs_sha256_release() is then a no-op).
 * @return 0 or -EIO
 */
int rfs_sha256_final(struct rfs_sha256 *h, char out[RFS_SHA256_HEX]);

/** Free an unfinished hash. Safe after rfs_sha256_final() and twice. */
void rfs_sha256_release(struct rfs_sha256 *h);

/**
 * Hash a buffer in one call.
 * @return 0, -ENOMEM, -EIO
 */
int rfs_sha256_buf(const void *data, size_t n, char out[RFS_SHA256_HEX]);

#endif
