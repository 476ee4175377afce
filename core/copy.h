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
 * owner (when running as root), times and extended attributes (but never
 * recyclefs's own `user.recyclefs.*` names). Source data is never renamed or
 * modified. Copies are not made durable one by one: callers call
 * rfs_backend_sync() on the destination once per batch, before they record the
 * batch as copied. Thread-safe.
 */
#ifndef RFS_CORE_COPY_H
#define RFS_CORE_COPY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "model/entry.h"

struct rfs_backend;
struct rfs_error;
struct rfs_copy_link_name;

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
 * The type of a special file's stat mode.
 * @return RFS_FILE_FIFO, RFS_FILE_SOCK, RFS_FILE_CHR or RFS_FILE_BLK, or
 *         0 when @p mode is not a special file's
 */
enum rfs_file_type rfs_copy_special_type(mode_t mode);

/**
 * True when @p st is the special file of row @p f: the same type and, for
 * a device, the same device number.
 */
bool rfs_copy_special_same(const struct stat *st,
			   const struct rfs_entry_file *f);

/**
 * Make @p dkey of @p dst the special file (FIFO, socket, device) of row
 * @p f, as mknod(2), with the row's mode, owner (when running as root)
 * and times; one that is that special file already is kept (only its
 * metadata is set again where it differs), any other file there is
 * replaced. A directory there is left and fails the call.
 * @return 0; -ENOSYS (@p dst keeps no special files); -EPERM (a device
 *         without the privilege to make it); -EISDIR; or the -errno of the
 *         call that failed
 */
int rfs_copy_special(struct rfs_backend *dst, const char *dkey,
		     const struct rfs_entry_file *f);

/**
 * The name of a special file's type for messages: "FIFO", "socket",
 * "character device", "block device"; "file" for the other types.
 * @return a static string
 */
const char *rfs_copy_special_name(enum rfs_file_type t);

/**
 * Refuse a special file that a storage without RFS_BACKEND_CAP_SPECIAL
 * (an object store) would have to keep: sets @p err to one line naming
 * the file, its type and the storage, "'T/L/E/a/q' is a FIFO: the
 * recycle storage 's3://b/bin' keeps no special files (FIFOs, sockets,
 * devices: it is an object store); nothing was changed".
 * @param err  receives the reason; may be NULL
 * @param path the special file, as the user names it
 * @param t    its type (RFS_FILE_FIFO, _SOCK, _CHR or _BLK)
 * @param role what the storage is to the job: "the recycle storage",
 *             "the restore target"
 * @param uri  the storage's URI; shown without its query
 * @return -EPERM
 */
int rfs_copy_special_refuse(struct rfs_error *err, const char *path,
			    enum rfs_file_type t, const char *role,
			    const char *uri);

/**
 * Give @p key the mode, owner (when running as root) and times of @p f,
 * changing only those that differ (one stat first).
 * @return 0 or -errno
 */
int rfs_copy_meta(struct rfs_backend *b, const char *key,
		  const struct rfs_entry_file *f);

/**
 * Copy the extended attributes of @p skey to @p dkey (a file or folder),
 * all but recyclefs's own names (those starting "user.recyclefs."). What
 * the destination cannot store (no xattrs at all, a namespace it does not
 * keep such as the POSIX ACLs without ACL support, "system." names
 * without privilege, a name or value too large) is left behind; "user."
 * names it refuses for permission fail the copy. Source reads leave its
 * access time.
 * @return 0, -ENOMEM, or the -errno of the read or write that failed
 */
int rfs_copy_xattrs(struct rfs_backend *src, const char *skey,
		    struct rfs_backend *dst, const char *dkey);

/**
 * Hard links among the files of one copy: each name whose source file
 * has several is noted with the source's inode; once every file is
 * copied, rfs_copy_links_apply() makes the copies of one source inode
 * names of one file at the destination, as `rsync -H` does. Names of the
 * inode outside the copy are not followed. Members are private.
 */
struct rfs_copy_links {
	pthread_mutex_t lock;	      /**< guards the names */
	struct rfs_copy_link_name *v; /**< the noted names */
	size_t n;		      /**< names used */
	size_t cap;		      /**< names allocated */
};

/** Set up an empty set of names (nothing allocated). */
void rfs_copy_links_init(struct rfs_copy_links *l);

/** Free the names and the lock; NULL does nothing. */
void rfs_copy_links_release(struct rfs_copy_links *l);

/** True when both backends keep hard links, so that noting is worth it. */
bool rfs_copy_links_possible(struct rfs_backend *src, struct rfs_backend *dst);

/**
 * Note that @p skey of @p src was copied to @p dkey (of the destination
 * given to rfs_copy_links_apply()): one stat of the source; remembered
 * only when it is a regular file with more than one name. Thread-safe.
 * @return 0, -ENOMEM, or the stat's -errno (-ENOENT, ...)
 */
int rfs_copy_links_note(struct rfs_copy_links *l, struct rfs_backend *src,
			const char *skey, const char *dkey);

/**
 * Make the noted copies of each source inode names of one file of @p dst:
 * the first name (in byte order) is kept and each other one is replaced
 * by a hard link to it, made under a temporary name and renamed over the
 * copy, so every name always shows the same bytes. Names linked already
 * are left alone (running it again changes nothing). A destination that
 * cannot link (-ENOSYS, -EOPNOTSUPP, -EPERM, -EXDEV, -EMLINK) keeps the
 * separate copies. Not thread-safe with rfs_copy_links_note().
 * @return 0; -EBADMSG when two copies of one source differ in size; or
 *         the -errno of a stat, link or rename
 */
int rfs_copy_links_apply(struct rfs_copy_links *l, struct rfs_backend *dst);

/**
 * Nanoseconds since the epoch of a timespec.
 * @return the count
 */
int64_t rfs_copy_ns(const struct timespec *ts);

#endif
