/**
 * @file internal.h
 * @brief Internals of the local adapter, shared by its source files.
 *
 * Keys are turned into a directory fd and a single last component
 * (struct rfs_local_at), so that every system call acts on one name in a
 * directory already opened below the root. All functions are thread-safe.
 */
#ifndef RFS_BACKENDS_LOCAL_INTERNAL_H
#define RFS_BACKENDS_LOCAL_INTERNAL_H

#include "backends/backend.h"
#include "backends/local/local.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

/** A local backend. */
struct rfs_local {
	struct rfs_backend base; /**< what callers see */
	char *root;		 /**< absolute path of the root directory */
	int rootfd;		 /**< O_PATH fd of the root, -1 while missing */
	pthread_mutex_t lock;	 /**< guards opening rootfd and retired[] */
	int *retired;		 /**< stale root fds, closed by free */
	size_t nretired;	 /**< entries in retired[] */
};

/** An open file. */
struct rfs_local_file {
	struct rfs_file base; /**< what callers see */
	int fd;		      /**< the kernel fd, owned */
};

/** The directory holding a key's last component. */
struct rfs_local_at {
	int dirfd;	  /**< the directory, borrowed or owned */
	const char *name; /**< the last component; "." for the root itself */
	bool own;	  /**< dirfd is closed by rfs_local_at_release() */
};

/** @return the local backend behind @p b. */
static inline struct rfs_local *rfs_local_of(struct rfs_backend *b)
{
	return (struct rfs_local *)b;
}

/* resolve.c */

/**
 * The root directory fd, opened now if it was missing.
 * @return the fd (borrowed, valid until the backend is freed), or
 *         -ENOENT, -ENOTDIR, -EACCES
 */
int rfs_local_root(struct rfs_local *l);

/**
 * Open @p path below @p dirfd with @p flags, never leaving @p dirfd and
 * following no symlink (a symlink anywhere gives -ELOOP).
 * @return the new fd (caller closes) or -errno
 */
int rfs_local_openat(int dirfd, const char *path, int flags, mode_t mode);

/**
 * Resolve @p key to its parent directory and last component.
 * @return 0 (release @p at with rfs_local_at_release()) or -EINVAL (not a
 *         clean key), -ENAMETOOLONG, -ENOENT, -ENOTDIR, -ELOOP, -EACCES
 */
int rfs_local_at(struct rfs_local *l, const char *key, struct rfs_local_at *at);

/**
 * Release @p at and pass @p r through. A -ESTALE result retires the root
 * fd so that the next call opens the root again (NFS).
 * @return @p r
 */
int rfs_local_at_end(struct rfs_local *l, struct rfs_local_at *at, int r);

/** Release @p at (close its fd when owned). */
void rfs_local_at_release(struct rfs_local_at *at);

/**
 * renameat2(2) that also works where the filesystem refuses flags (NFS):
 * RENAME_NOREPLACE is then done with link and unlink for files, and with
 * a check before a plain rename for directories.
 * @return 0 or -errno
 */
int rfs_local_renameat(int fromfd, const char *from, int tofd, const char *to,
		       unsigned int flags);

/** @return -errno of the last failed call, -EIO when errno is 0. */
int rfs_local_errno(void);

/* file.c */

/** The open-file operations of the local adapter (see backend.h). */
int rfs_local_open_file(struct rfs_backend *b, const char *key, int flags,
			mode_t mode, struct rfs_file **out);
/** @see rfs_local_open_file */
ssize_t rfs_local_read(struct rfs_file *f, void *buf, size_t size, off_t off);
/** @see rfs_local_open_file */
ssize_t rfs_local_write(struct rfs_file *f, const void *buf, size_t size,
			off_t off);
/** @see rfs_local_open_file */
int rfs_local_fstat(struct rfs_file *f, struct stat *st);
/** @see rfs_local_open_file */
int rfs_local_ftruncate(struct rfs_file *f, off_t size);
/** @see rfs_local_open_file */
int rfs_local_fsync(struct rfs_file *f, int datasync);
/** @see rfs_local_open_file */
int rfs_local_flush(struct rfs_file *f);
/** @see rfs_local_open_file */
int rfs_local_fallocate(struct rfs_file *f, int mode, off_t off, off_t len);
/** @see rfs_local_open_file */
int rfs_local_file_fd(struct rfs_file *f);
/** @see rfs_local_open_file */
int rfs_local_close(struct rfs_file *f);

/**
 * Open the last component of @p at as a regular file, without following
 * a symlink and without blocking on a FIFO.
 * @return the fd or -EISDIR, -ELOOP, -EINVAL (not a regular file), -errno
 */
int rfs_local_open_regular(const struct rfs_local_at *at, int flags,
			   mode_t mode);

/* copy.c */

/** The copy operation of the local adapter (see backend.h). */
int rfs_local_copy(struct rfs_backend *src, const char *src_key,
		   struct rfs_backend *dst, const char *dst_key,
		   unsigned int flags);

/* xattr.c */

/** The xattr operations of the local adapter (see backend.h). */
ssize_t rfs_local_getxattr(struct rfs_backend *b, const char *key,
			   const char *name, void *value, size_t size);
/** @see rfs_local_getxattr */
int rfs_local_setxattr(struct rfs_backend *b, const char *key, const char *name,
		       const void *value, size_t size, int flags);
/** @see rfs_local_getxattr */
ssize_t rfs_local_listxattr(struct rfs_backend *b, const char *key, char *list,
			    size_t size);
/** @see rfs_local_getxattr */
int rfs_local_removexattr(struct rfs_backend *b, const char *key,
			  const char *name);

/**
 * Copy the extended attributes of the open file @p from to @p to. Names
 * the destination cannot store (-EOPNOTSUPP, or a privileged namespace
 * refused with -EPERM/-EACCES) are skipped.
 * @return 0 or -errno
 */
int rfs_local_copy_xattrs(int from, int to);

#endif
