/**
 * @file helpers.h
 * @brief Fixtures shared by the backend tests: scratch directories and
 *        backends opened on them or on a fresh memory store.
 */
#ifndef RFS_TESTS_UNIT_BACKENDS_HELPERS_H
#define RFS_TESTS_UNIT_BACKENDS_HELPERS_H

#include "backends/backend.h"

#include <stddef.h>
#include <sys/types.h>

/**
 * Make a fresh directory under /tmp.
 * @return its malloc'ed path; aborts the test on failure
 */
char *bk_mkdtemp(const char *tag);

/** Remove @p path and everything below it, without following symlinks. */
void bk_rmtree(const char *path);

/** Open @p uri with rfs_backend_open(), failing the test on error. */
struct rfs_backend *bk_open(const char *uri);

/** Open "file://@p dir". */
struct rfs_backend *bk_open_local(const char *dir);

/** Create @p key holding @p len bytes of @p data (mode 0644). */
void bk_put(struct rfs_backend *b, const char *key, const void *data,
	    size_t len);

/**
 * Read all of @p key (at most @p size bytes) into @p buf.
 * @return the bytes read, or -errno
 */
ssize_t bk_get(struct rfs_backend *b, const char *key, void *buf, size_t size);

/** Fill @p buf with a pattern that depends on @p seed and the offset. */
void bk_pattern(void *buf, size_t len, unsigned int seed, off_t off);

/** @return FNV-1a 64 of every byte of @p key, read in 1 MiB pieces. */
unsigned long long bk_checksum(struct rfs_backend *b, const char *key);

#endif
