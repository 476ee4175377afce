/**
 * @file copy.h
 * @brief Copying one manifest row between two backends, the way recycle
 *        jobs do it (core/ only).
 *
 * A regular file is copied with the cheapest safe primitive: the backend's
 * own copy (reflink, copy_file_range, server-side copy) when both sides
 * allow it, else a stream that hashes what it reads and writes a temporary
 * beside the destination, renamed into place when complete. A destination
 * already holding the same bytes is kept. The copy gets the row's mode,
 * owner (when running as root), times and, when streamed, extended
 * attributes. Source data is never renamed or modified. Copies are not
 * made durable one by one: callers call rfs_backend_sync() on the
 * destination once per batch, before they record the batch as copied.
 * Thread-safe.
 */
#ifndef RFS_CORE_COPY_H
#define RFS_CORE_COPY_H

#include <stdint.h>
#include <time.h>

#include "core/entry.h"

struct rfs_backend;

/**
 * Hash a stored file with SHA-256, reading it once from start to end.
 * @param b    the backend holding the file
 * @param key  the file's key in @p b
 * @param out  receives the digest as 64 lower-case hex digits and a NUL
 * @param size set to the bytes read (may be NULL)
 * @return 0; -ENOMEM; or the backend's -errno from opening or reading
 *         (-ENOENT, -EISDIR, -EIO, ...)
 */
int rfs_copy_hash(struct rfs_backend *b, const char *key,
		  char out[RFS_SHA256_HEX_LEN], int64_t *size);

/**
 * Copy the regular file @p skey of @p src to @p dkey of @p dst.
 * @param src    the backend to read from; never modified
 * @param skey   the source file's key in @p src
 * @param dst    the backend to write to
 * @param dkey   the destination key in @p dst; its parent must exist; a
 *               different file already there is replaced
 * @param f      the row: size, mode, owner, times to give the copy
 * @param expect the source's known SHA-256, or NULL (then the source is
 *               hashed): a destination with this size and checksum is kept
 * @param sha    receives the SHA-256 of the source as read (or @p expect
 *               when an existing destination matched it)
 * @return 0, or the -errno of the backend call that failed (-ENOENT,
 *         -ENOSPC, -EIO, ...), or -ENOMEM
 */
int rfs_copy_reg(struct rfs_backend *src, const char *skey,
		 struct rfs_backend *dst, const char *dkey,
		 const struct rfs_entry_file *f, const char *expect,
		 char sha[RFS_SHA256_HEX_LEN]);

/**
 * Make @p dkey of @p dst the symlink of row @p f (kept when it is one
 * already with that target).
 * @return 0 or -errno
 */
int rfs_copy_link(struct rfs_backend *dst, const char *dkey,
		  const struct rfs_entry_file *f);

/**
 * Give @p key the mode, owner (when running as root) and times of @p f,
 * changing only those that differ (one stat first).
 * @return 0 or -errno
 */
int rfs_copy_meta(struct rfs_backend *b, const char *key,
		  const struct rfs_entry_file *f);

/**
 * Nanoseconds since the epoch of a timespec.
 * @return the count
 */
int64_t rfs_copy_ns(const struct timespec *ts);

#endif
