/**
 * @file backend.h
 * @brief The storage port: one struct of function pointers per adapter.
 *
 * A backend is one storage location opened from a URI ("file:///srv/x",
 * "mem://store/prefix", "s3://bucket/prefix"). Keys are paths relative to
 * that location: "" is the location itself, "a/b" a file below it; keys
 * are clean (rfs_path_is_clean()) and never contain "." or ".."
 * components. Adapters embed `struct rfs_backend` first.
 *
 * Every call returns >= 0 on success and -errno on failure, as the FUSE
 * operations do, so the mount passes results through unchanged. Optional
 * members may be NULL: call them through the rfs_backend_*() wrappers,
 * which return -ENOSYS then. Capabilities (RFS_BACKEND_CAP_*) tell the
 * services what an adapter does well.
 *
 * Thread safety: every operation of a backend may be called from several
 * threads at once, on the same or different keys. One `struct rfs_file`
 * is used by one thread at a time, except read() and write() at distinct
 * offsets, which may run concurrently.
 */
#ifndef RFS_BACKENDS_BACKEND_H
#define RFS_BACKENDS_BACKEND_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>

struct rfs_error;

/** Capabilities of a backend. */
enum rfs_backend_caps {
	/** rfs_backend_file_fd() gives a kernel fd (for splice,
	 * copy_file_range). */
	RFS_BACKEND_CAP_FD = (1 << 0),
	/** Extended attributes are stored. */
	RFS_BACKEND_CAP_XATTR = (1 << 1),
	/** Symbolic links are stored. */
	RFS_BACKEND_CAP_SYMLINK = (1 << 2),
	/** copy() can copy between two backends of this adapter without
	 * streaming the bytes through recyclefs (reflink, server-side). */
	RFS_BACKEND_CAP_COPY = (1 << 3),
	/** Writes may land anywhere in an existing file. */
	RFS_BACKEND_CAP_RANDOM_WRITE = (1 << 4),
	/** Hard links are supported. */
	RFS_BACKEND_CAP_HARDLINK = (1 << 5),
	/** list() gives each entry's exact attributes, as stat() would;
	 * without it (object stores, whose listings carry no user metadata)
	 * callers that need exact times stat each file. */
	RFS_BACKEND_CAP_LIST_EXACT = (1 << 6),
	/** Each call is a network round trip (object stores): jobs handle
	 * more files at once on it. */
	RFS_BACKEND_CAP_REMOTE = (1 << 7),
	/** Special files (FIFOs, UNIX sockets, character and block
	 * devices) are stored: mknod() makes them and stat() gives their
	 * type and device number. Without it (object stores) an archive
	 * into it refuses them at its snapshot and a restore to it refuses
	 * them up front. */
	RFS_BACKEND_CAP_SPECIAL = (1 << 8),
};

/** Flags of rfs_backend_copy(). */
enum rfs_backend_copy_flags {
	/** Fail with -EEXIST when the destination exists. */
	RFS_BACKEND_COPY_NOREPLACE = (1 << 0),
	/** Do not make the copy durable now: the caller calls
	 * rfs_backend_sync() once for a batch of copies. */
	RFS_BACKEND_COPY_NOSYNC = (1 << 1),
};

struct rfs_backend_ops;
struct rfs_backend_rel_ops;

/** One file of rfs_backend_unlink_checked(): what it must still be. */
struct rfs_backend_unlink {
	const char *key; /**< the file's key */
	/** Its size when it was verified, or -1 to remove it whatever it
	 * holds (a symlink) */
	int64_t size;
	int64_t mtime_ns;   /**< its modification time then */
	const char *sha256; /**< the SHA-256 of its bytes then, or NULL */
	/** Set by the call: 0 removed (or already absent), 1 kept (it is
	 * no longer the file verified), or -errno */
	int res;
};

/** One opened storage location. Adapters embed it first. */
struct rfs_backend {
	const struct rfs_backend_ops *ops; /**< the adapter's operations */
	char *uri; /**< the URI it was opened with, owned by the adapter */
};

/** One open file of a backend. Adapters embed it first. */
struct rfs_file {
	struct rfs_backend *backend; /**< the backend it was opened on */
};

/**
 * Called by list() for each entry of a directory, "." and ".." left out.
 * @param ctx  the ctx argument of list(), passed through
 * @param name the entry's name (one component, not the whole key);
 *             borrowed, valid only during the call
 * @param st   the entry's attributes as stat() would give them; borrowed
 * @return 0 to go on; any other value stops the listing and is returned
 */
typedef int (*rfs_backend_list_fn)(void *ctx, const char *name,
				   const struct stat *st);

/** The operations of an adapter. */
struct rfs_backend_ops {
	const char *scheme; /**< "file", "mem", "s3" */
	unsigned int caps;  /**< enum rfs_backend_caps bits */

	/** Attributes of @p key, not following a final symlink.
	 * @return 0, -ENOENT, -ENOTDIR, -EACCES, -EIO */
	int (*stat)(struct rfs_backend *b, const char *key, struct stat *st);
	/** Walk the directory @p key, calling @p fn per entry (any order).
	 * @return 0, the callback's non-zero value, -ENOENT, -ENOTDIR */
	int (*list)(struct rfs_backend *b, const char *key,
		    rfs_backend_list_fn fn, void *ctx);
	/** Open (or with O_CREAT create, honouring O_EXCL and O_TRUNC) a
	 * regular file. O_NOFOLLOW is implied. @p out is set on success.
	 * @return 0, -ENOENT, -EEXIST, -EISDIR, -ELOOP, -EACCES */
	int (*open)(struct rfs_backend *b, const char *key, int flags,
		    mode_t mode, struct rfs_file **out);
	/** Read up to @p size bytes at @p off. @return bytes read, 0 at end */
	ssize_t (*read)(struct rfs_file *f, void *buf, size_t size, off_t off);
	/** Write @p size bytes at @p off. @return bytes written */
	ssize_t (*write)(struct rfs_file *f, const void *buf, size_t size,
			 off_t off);
	/** Attributes of an open file. @return 0 or -errno */
	int (*fstat)(struct rfs_file *f, struct stat *st);
	/** Set the size of an open file. @return 0 or -errno */
	int (*ftruncate)(struct rfs_file *f, off_t size);
	/** Make written data durable. @return 0 or -errno */
	int (*fsync)(struct rfs_file *f, int datasync);
	/** Push buffered writes to storage (close(2) of one descriptor);
	 * optional. @return 0 or -errno */
	int (*flush)(struct rfs_file *f);
	/** Allocate or punch space (fallocate(2) modes); optional. */
	int (*fallocate)(struct rfs_file *f, int mode, off_t off, off_t len);
	/** @return a kernel fd of the open file, borrowed, or -ENOSYS */
	int (*file_fd)(struct rfs_file *f);
	/** Close and free @p f, writing back what is buffered.
	 * @return 0, or the error of the final write-back (@p f is freed
	 *         anyway) */
	int (*close)(struct rfs_file *f);

	/** Make a directory. @return 0, -EEXIST, -ENOENT */
	int (*mkdir)(struct rfs_backend *b, const char *key, mode_t mode);
	/** Remove an empty directory. @return 0, -ENOTEMPTY, -ENOENT */
	int (*rmdir)(struct rfs_backend *b, const char *key);
	/** Remove a file or symlink. @return 0, -ENOENT, -EISDIR */
	int (*unlink)(struct rfs_backend *b, const char *key);
	/** Rename within the backend; flags as renameat2(2)
	 * (RENAME_NOREPLACE, RENAME_EXCHANGE). @return 0 or -errno */
	int (*rename)(struct rfs_backend *b, const char *from, const char *to,
		      unsigned int flags);
	/** Hard link; optional. @return 0 or -errno */
	int (*link)(struct rfs_backend *b, const char *from, const char *to);
	/** Create symlink @p key pointing at @p target; optional. */
	int (*symlink)(struct rfs_backend *b, const char *target,
		       const char *key);
	/** Create the special file @p key as mknod(2) does: a FIFO, a UNIX
	 * socket, a character or a block device (@p mode holds the type and
	 * the permission bits, @p rdev the device number); optional: NULL
	 * where the storage keeps only files, folders and symlinks.
	 * @return 0, -EEXIST, -EPERM (no CAP_MKNOD for a device), -EINVAL */
	int (*mknod)(struct rfs_backend *b, const char *key, mode_t mode,
		     dev_t rdev);
	/** Read a symlink into @p buf, NUL-terminated (truncated to fit);
	 * optional. @return 0, -EINVAL (not a link) */
	int (*readlink)(struct rfs_backend *b, const char *key, char *buf,
			size_t size);
	/** Set the size of @p key. @return 0 or -errno */
	int (*truncate)(struct rfs_backend *b, const char *key, off_t size);
	/** Change permission bits. @return 0 or -errno */
	int (*chmod)(struct rfs_backend *b, const char *key, mode_t mode);
	/** Change owner; (uid_t)-1 / (gid_t)-1 keep it; optional. */
	int (*chown)(struct rfs_backend *b, const char *key, uid_t uid,
		     gid_t gid);
	/** Set atime and mtime (UTIME_NOW, UTIME_OMIT allowed), not following
	 * a final symlink. @return 0 or -errno */
	int (*utimens)(struct rfs_backend *b, const char *key,
		       const struct timespec ts[2]);
	/** Filesystem statistics. @return 0 or -errno */
	int (*statfs)(struct rfs_backend *b, const char *key,
		      struct statvfs *st);
	/** Extended attributes, as getxattr(2) and friends (not following
	 * symlinks); optional. @return size, 0 or -errno (-ENODATA) */
	ssize_t (*getxattr)(struct rfs_backend *b, const char *key,
			    const char *name, void *value, size_t size);
	/** @see getxattr */
	int (*setxattr)(struct rfs_backend *b, const char *key,
			const char *name, const void *value, size_t size,
			int flags);
	/** @see getxattr */
	ssize_t (*listxattr)(struct rfs_backend *b, const char *key, char *list,
			     size_t size);
	/** @see getxattr */
	int (*removexattr)(struct rfs_backend *b, const char *key,
			   const char *name);
	/** Copy the regular file @p src_key of @p src to @p dst_key of
	 * @p dst (both of this adapter) without streaming through recyclefs,
	 * keeping mode and times; optional.
	 * @return 0; -EXDEV when these two backends cannot copy directly (the
	 *         caller then streams); -EEXIST with NOREPLACE */
	int (*copy)(struct rfs_backend *src, const char *src_key,
		    struct rfs_backend *dst, const char *dst_key,
		    unsigned int flags);
	/** Make everything written through this backend durable (syncfs(2)
	 * for a local filesystem); optional: NULL where writes are durable
	 * when they return (object stores). @return 0 or -errno */
	int (*sync)(struct rfs_backend *b);
	/** Forget what the adapter keeps cached about @p key (its
	 * attributes, the listings that hold it), so that the next call
	 * asks the storage itself: the check a job makes just before it
	 * deletes a source must see another client's write. Optional: NULL
	 * where nothing is cached. */
	void (*forget)(struct rfs_backend *b, const char *key);
	/** Why the calling thread's last failed call of this adapter failed,
	 * when it failed with @p err (a positive errno): naming the storage,
	 * never a secret, for the message of an error the caller reports;
	 * optional. @return a borrowed string valid until the thread's next
	 * call, or "" when the adapter has no reason for @p err */
	const char *(*last_error)(struct rfs_backend *b, int err);
	/** Copy the regular file @p src_key of @p src to @p dst_key of
	 * @p dst (both of this adapter) on the storage, reading the source
	 * once on the way: @p sha receives the SHA-256 of the bytes read,
	 * the copy is made of the version read (the request is conditional
	 * on it), the storage's answer for the copy is checked against
	 * digests of those same bytes, and the copy records them so that
	 * attest() can prove it later without reading it. The copy keeps
	 * the source's mode and times; a file already at @p dst_key is
	 * replaced. Optional.
	 * @return 0; -EXDEV or -ENOSYS when this pair cannot (the caller
	 *         copies another way); -ESTALE (the source changed while it
	 *         was read or copied); -EBADMSG (the storage's copy is not
	 *         the bytes read); -ENOENT, -EIO, ... */
	int (*copy_hashed)(struct rfs_backend *src, const char *src_key,
			   struct rfs_backend *dst, const char *dst_key,
			   char sha[65]);
	/** Prove, from what the storage itself states about the file
	 * @p key (a checksum it computed from the stored bytes) and without
	 * reading it, that it holds the bytes whose SHA-256 is @p sha.
	 * Optional.
	 * @return 0 (proven); -EBADMSG (the storage states other bytes);
	 *         -ENODATA (nothing to prove it by, or the storage is set to
	 *         verify by reading: the caller hashes the file); -ENOENT,
	 *         -EIO, ... */
	int (*attest)(struct rfs_backend *b, const char *key, const char *sha);
	/** The steps of a storage that keeps tables (backends/rel.h), or
	 * NULL for a storage of files. */
	const struct rfs_backend_rel_ops *rel;
	/** Ask the storage now about the files @p keys (in path order), in
	 * as few requests as it can (a listing of their folders), so that
	 * the stat() and attest() of each that follow answer what it holds
	 * now, as after forget(). Optional: the wrapper forgets each key. */
	void (*refresh)(struct rfs_backend *b, const char *const *keys,
			size_t n);
	/** Remove the files @p u[i].key, in as few requests as the storage
	 * allows, each only while it is still the version described (its
	 * size, and its SHA-256 where the adapter knows the digests of the
	 * version it holds, else its mtime), setting @p u[i].res. The
	 * folders left empty are not kept (the caller removes them).
	 * Optional: callers unlink one by one.
	 * @return 0 (each result in @p u), or -errno when none was tried */
	int (*unlink_checked)(struct rfs_backend *b,
			      struct rfs_backend_unlink *u, size_t n);
	/** As list(), without a request per entry: a regular file's name,
	 * type and size are exact, but its times, mode and owner may be what
	 * the listing alone shows (an object store keeps the real ones in
	 * metadata it does not list), and an object the listing shows as a
	 * file may turn out to be a symlink. A snapshot that lists so takes
	 * the real attributes from copy_hashed_stat(), or from stat() before
	 * another copy. Optional: only with copy_hashed_stat(). */
	int (*list_late)(struct rfs_backend *b, const char *key,
			 rfs_backend_list_fn fn, void *ctx);
	/** As copy_hashed(), and @p st receives the attributes of the
	 * version copied, as stat() would give them, from the same reads
	 * (no request of its own). Optional.
	 * @return as copy_hashed(); -EXDEV too when the source is not a
	 *         regular file (the caller stats it and copies another way) */
	int (*copy_hashed_stat)(struct rfs_backend *src, const char *src_key,
				struct rfs_backend *dst, const char *dst_key,
				char sha[65], struct stat *st);
	/** Free the backend. Mandatory. */
	void (*free)(struct rfs_backend *b);
};

/**
 * Open the backend for @p uri, chosen by its scheme from the registry.
 * The location itself need not exist yet (stat "" tells).
 * @param uri the storage URI, such as "file:///srv/x"; copied
 * @param out set to the new backend; free with rfs_backend_free()
 * @param err receives the reason on failure; may be NULL
 * @return 0; -EINVAL (malformed URI), -EPROTONOSUPPORT (a scheme with no
 *         data path in this build, such as hdfs), -ENOMEM
 */
int rfs_backend_open(const char *uri, struct rfs_backend **out,
		     struct rfs_error *err);

/**
 * Check what @p uri says by itself, as its adapter will read it when it
 * opens (for S3: the options and the bucket name), without touching the
 * storage, the environment or any credentials. A scheme whose adapter
 * has nothing to check, or none in this build, passes.
 * @return 0, -EINVAL (with the reason in @p err), -ENOMEM
 */
int rfs_backend_check_uri(const char *uri, struct rfs_error *err);

/** True when @p scheme has an adapter in this build. */
bool rfs_backend_scheme_supported(const char *scheme);

/** Free a backend; NULL does nothing. */
static inline void rfs_backend_free(struct rfs_backend *b)
{
	if (b)
		b->ops->free(b);
}

/**
 * A way to open storages, as the use cases of core/ receive it
 * (core/ports.h): the registry of this build's adapters
 * (rfs_backend_registry), or one adapter alone (rfs_mem_opener, for
 * tests). Every method may be called from any thread.
 */
struct rfs_backend_opener {
	/** Open the storage at @p uri; as rfs_backend_open(). */
	int (*open)(const char *uri, struct rfs_backend **out,
		    struct rfs_error *err);
	/** Check what @p uri says by itself; as rfs_backend_check_uri(). */
	int (*check_uri)(const char *uri, struct rfs_error *err);
	/** True when @p scheme can be opened; as
	 * rfs_backend_scheme_supported(). */
	bool (*scheme_supported)(const char *scheme);
};

/** The registry of this build's adapters as an opener: rfs_backend_open(),
 * rfs_backend_check_uri(), rfs_backend_scheme_supported(). */
extern const struct rfs_backend_opener rfs_backend_registry;

/** True when @p b has every capability in @p caps. */
static inline bool rfs_backend_has(const struct rfs_backend *b,
				   unsigned int caps)
{
	return (b->ops->caps & caps) == caps;
}

/** @see rfs_backend_ops.stat */
static inline int rfs_backend_stat(struct rfs_backend *b, const char *key,
				   struct stat *st)
{
	return b->ops->stat ? b->ops->stat(b, key, st) : -ENOSYS;
}

/** @see rfs_backend_ops.list */
static inline int rfs_backend_list(struct rfs_backend *b, const char *key,
				   rfs_backend_list_fn fn, void *ctx)
{
	return b->ops->list ? b->ops->list(b, key, fn, ctx) : -ENOSYS;
}

/** @see rfs_backend_ops.open */
static inline int rfs_backend_open_file(struct rfs_backend *b, const char *key,
					int flags, mode_t mode,
					struct rfs_file **out)
{
	return b->ops->open ? b->ops->open(b, key, flags, mode, out) : -ENOSYS;
}

/** @see rfs_backend_ops.read */
static inline ssize_t rfs_file_read(struct rfs_file *f, void *buf, size_t size,
				    off_t off)
{
	return f->backend->ops->read(f, buf, size, off);
}

/** @see rfs_backend_ops.write */
static inline ssize_t rfs_file_write(struct rfs_file *f, const void *buf,
				     size_t size, off_t off)
{
	return f->backend->ops->write
		       ? f->backend->ops->write(f, buf, size, off)
		       : -ENOSYS;
}

/** @see rfs_backend_ops.fstat */
static inline int rfs_file_stat(struct rfs_file *f, struct stat *st)
{
	return f->backend->ops->fstat ? f->backend->ops->fstat(f, st) : -ENOSYS;
}

/** @see rfs_backend_ops.ftruncate */
static inline int rfs_file_truncate(struct rfs_file *f, off_t size)
{
	return f->backend->ops->ftruncate ? f->backend->ops->ftruncate(f, size)
					  : -ENOSYS;
}

/** @see rfs_backend_ops.fsync */
static inline int rfs_file_fsync(struct rfs_file *f, int datasync)
{
	return f->backend->ops->fsync ? f->backend->ops->fsync(f, datasync) : 0;
}

/** @see rfs_backend_ops.flush; 0 when the adapter buffers nothing */
static inline int rfs_file_flush(struct rfs_file *f)
{
	return f->backend->ops->flush ? f->backend->ops->flush(f) : 0;
}

/** @see rfs_backend_ops.fallocate */
static inline int rfs_file_fallocate(struct rfs_file *f, int mode, off_t off,
				     off_t len)
{
	return f->backend->ops->fallocate
		       ? f->backend->ops->fallocate(f, mode, off, len)
		       : -EOPNOTSUPP;
}

/** @see rfs_backend_ops.file_fd */
static inline int rfs_file_fd(struct rfs_file *f)
{
	return f->backend->ops->file_fd ? f->backend->ops->file_fd(f) : -ENOSYS;
}

/** @see rfs_backend_ops.close */
static inline int rfs_file_close(struct rfs_file *f)
{
	return f->backend->ops->close(f);
}

/** @see rfs_backend_ops.mkdir */
static inline int rfs_backend_mkdir(struct rfs_backend *b, const char *key,
				    mode_t mode)
{
	return b->ops->mkdir ? b->ops->mkdir(b, key, mode) : -ENOSYS;
}

/** @see rfs_backend_ops.rmdir */
static inline int rfs_backend_rmdir(struct rfs_backend *b, const char *key)
{
	return b->ops->rmdir ? b->ops->rmdir(b, key) : -ENOSYS;
}

/** @see rfs_backend_ops.unlink */
static inline int rfs_backend_unlink(struct rfs_backend *b, const char *key)
{
	return b->ops->unlink ? b->ops->unlink(b, key) : -ENOSYS;
}

/** @see rfs_backend_ops.rename */
static inline int rfs_backend_rename(struct rfs_backend *b, const char *from,
				     const char *to, unsigned int flags)
{
	return b->ops->rename ? b->ops->rename(b, from, to, flags) : -ENOSYS;
}

/** @see rfs_backend_ops.link */
static inline int rfs_backend_link(struct rfs_backend *b, const char *from,
				   const char *to)
{
	return b->ops->link ? b->ops->link(b, from, to) : -ENOSYS;
}

/** @see rfs_backend_ops.symlink */
static inline int rfs_backend_symlink(struct rfs_backend *b, const char *target,
				      const char *key)
{
	return b->ops->symlink ? b->ops->symlink(b, target, key) : -ENOSYS;
}

/** @see rfs_backend_ops.mknod */
static inline int rfs_backend_mknod(struct rfs_backend *b, const char *key,
				    mode_t mode, dev_t rdev)
{
	return b->ops->mknod ? b->ops->mknod(b, key, mode, rdev) : -ENOSYS;
}

/** @see rfs_backend_ops.readlink */
static inline int rfs_backend_readlink(struct rfs_backend *b, const char *key,
				       char *buf, size_t size)
{
	return b->ops->readlink ? b->ops->readlink(b, key, buf, size) : -ENOSYS;
}

/** @see rfs_backend_ops.truncate */
static inline int rfs_backend_truncate(struct rfs_backend *b, const char *key,
				       off_t size)
{
	return b->ops->truncate ? b->ops->truncate(b, key, size) : -ENOSYS;
}

/** @see rfs_backend_ops.chmod */
static inline int rfs_backend_chmod(struct rfs_backend *b, const char *key,
				    mode_t mode)
{
	return b->ops->chmod ? b->ops->chmod(b, key, mode) : -ENOSYS;
}

/** @see rfs_backend_ops.chown */
static inline int rfs_backend_chown(struct rfs_backend *b, const char *key,
				    uid_t uid, gid_t gid)
{
	return b->ops->chown ? b->ops->chown(b, key, uid, gid) : -ENOSYS;
}

/** @see rfs_backend_ops.utimens */
static inline int rfs_backend_utimens(struct rfs_backend *b, const char *key,
				      const struct timespec ts[2])
{
	return b->ops->utimens ? b->ops->utimens(b, key, ts) : -ENOSYS;
}

/** @see rfs_backend_ops.statfs */
static inline int rfs_backend_statfs(struct rfs_backend *b, const char *key,
				     struct statvfs *st)
{
	return b->ops->statfs ? b->ops->statfs(b, key, st) : -ENOSYS;
}

/** @see rfs_backend_ops.getxattr; -ENOTSUP when not stored */
static inline ssize_t rfs_backend_getxattr(struct rfs_backend *b,
					   const char *key, const char *name,
					   void *value, size_t size)
{
	return b->ops->getxattr ? b->ops->getxattr(b, key, name, value, size)
				: -ENOTSUP;
}

/** @see rfs_backend_ops.setxattr; -ENOTSUP when not stored */
static inline int rfs_backend_setxattr(struct rfs_backend *b, const char *key,
				       const char *name, const void *value,
				       size_t size, int flags)
{
	return b->ops->setxattr
		       ? b->ops->setxattr(b, key, name, value, size, flags)
		       : -ENOTSUP;
}

/** @see rfs_backend_ops.listxattr; 0 (none) when not stored */
static inline ssize_t rfs_backend_listxattr(struct rfs_backend *b,
					    const char *key, char *list,
					    size_t size)
{
	return b->ops->listxattr ? b->ops->listxattr(b, key, list, size) : 0;
}

/** @see rfs_backend_ops.removexattr; -ENOTSUP when not stored */
static inline int rfs_backend_removexattr(struct rfs_backend *b,
					  const char *key, const char *name)
{
	return b->ops->removexattr ? b->ops->removexattr(b, key, name)
				   : -ENOTSUP;
}

/** @see rfs_backend_ops.sync; 0 when the adapter needs none */
static inline int rfs_backend_sync(struct rfs_backend *b)
{
	return b->ops->sync ? b->ops->sync(b) : 0;
}

/** @see rfs_backend_ops.forget; nothing where the adapter caches nothing */
static inline void rfs_backend_forget(struct rfs_backend *b, const char *key)
{
	if (b->ops->forget)
		b->ops->forget(b, key);
}

/** @see rfs_backend_ops.last_error; "" when the adapter keeps none */
static inline const char *rfs_backend_last_error(struct rfs_backend *b, int err)
{
	return b->ops->last_error ? b->ops->last_error(b, err) : "";
}

/** @see rfs_backend_ops.copy_hashed; -EXDEV when the caller must copy
 * another way */
static inline int rfs_backend_copy_hashed(struct rfs_backend *src,
					  const char *src_key,
					  struct rfs_backend *dst,
					  const char *dst_key, char sha[65])
{
	if (src->ops != dst->ops || !src->ops->copy_hashed)
		return -EXDEV;
	return src->ops->copy_hashed(src, src_key, dst, dst_key, sha);
}

/** @see rfs_backend_ops.refresh; forget() of each key without it */
static inline void rfs_backend_refresh(struct rfs_backend *b,
				       const char *const *keys, size_t n)
{
	if (b->ops->refresh)
		b->ops->refresh(b, keys, n);
	else
		for (size_t i = 0; i < n; i++)
			rfs_backend_forget(b, keys[i]);
}

/** @see rfs_backend_ops.unlink_checked; -ENOSYS without it */
static inline int rfs_backend_unlink_checked(struct rfs_backend *b,
					     struct rfs_backend_unlink *u,
					     size_t n)
{
	return b->ops->unlink_checked ? b->ops->unlink_checked(b, u, n)
				      : -ENOSYS;
}

/** True when a snapshot of @p b may list with rfs_backend_list_late()
 * and complete its rows from rfs_backend_copy_hashed_stat(). */
static inline bool rfs_backend_lists_late(const struct rfs_backend *b)
{
	return b->ops->list_late && b->ops->copy_hashed_stat;
}

/** @see rfs_backend_ops.list_late; list() without it */
static inline int rfs_backend_list_late(struct rfs_backend *b, const char *key,
					rfs_backend_list_fn fn, void *ctx)
{
	return b->ops->list_late ? b->ops->list_late(b, key, fn, ctx)
				 : rfs_backend_list(b, key, fn, ctx);
}

/** @see rfs_backend_ops.copy_hashed_stat; -EXDEV when the caller must
 * copy another way */
static inline int rfs_backend_copy_hashed_stat(struct rfs_backend *src,
					       const char *src_key,
					       struct rfs_backend *dst,
					       const char *dst_key,
					       char sha[65], struct stat *st)
{
	if (src->ops != dst->ops || !src->ops->copy_hashed_stat)
		return -EXDEV;
	return src->ops->copy_hashed_stat(src, src_key, dst, dst_key, sha, st);
}

/** @see rfs_backend_ops.attest; -ENODATA when the adapter cannot */
static inline int rfs_backend_attest(struct rfs_backend *b, const char *key,
				     const char *sha)
{
	return b->ops->attest ? b->ops->attest(b, key, sha) : -ENODATA;
}

/**
 * Copy without streaming when @p src and @p dst share an adapter that can.
 * @return as rfs_backend_ops.copy; -EXDEV when the caller must stream
 */
static inline int rfs_backend_copy(struct rfs_backend *src, const char *src_key,
				   struct rfs_backend *dst, const char *dst_key,
				   unsigned int flags)
{
	if (src->ops != dst->ops || !src->ops->copy)
		return -EXDEV;
	return src->ops->copy(src, src_key, dst, dst_key, flags);
}

#endif
