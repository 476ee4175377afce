/**
 * @file s3_file.h
 * @brief The S3 adapter's open file, and what the files that handle it
 *        share (io.c, the handle's operations; io_read.c, the reads of an
 *        object by ranged GETs with read-ahead and prefetch; stat.c, the
 *        attributes of a file open for writing; backends/s3/ only).
 *
 * Every function here is called with the file's lock held.
 */
#ifndef RFS_BACKENDS_S3_FILE_H
#define RFS_BACKENDS_S3_FILE_H

#include "backends/s3/s3_ops.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct prefetch;

/** An open file of the S3 adapter. */
struct rfs_s3_file {
	struct rfs_file base;	  /**< first: what backend.h knows */
	struct rfs_s3_file *next; /**< in the backend's list */
	pthread_mutex_t lock;	  /**< guards the handle */
	char *full;		  /**< the object's full key */
	int accmode;		  /**< O_RDONLY, O_WRONLY or O_RDWR */
	/** its name was removed: never uploaded; changes, as full does,
	 * under the list's lock and its own */
	bool unlinked;
	struct rfs_s3_meta meta; /**< the object's attributes */
	int fd;			 /**< the staging file, -1 until staged */
	bool dirty; /**< the staging file differs from the object */
	/** meta is a cached HEAD answer not yet confirmed by a read */
	bool hinted;
	char *ra;	/**< read-ahead of an unstaged file: its buffer */
	size_t ra_cap;	/**< ra's size */
	size_t ra_len;	/**< bytes in ra */
	off_t ra_off;	/**< the offset of ra's first byte */
	off_t next_off; /**< where the last read ended */
	size_t window;	/**< the read-ahead window, 0 when not sequential */
	struct prefetch *pf; /**< the next window, being fetched; or NULL */
	/** a window's buffer kept for the next prefetch (its pages already
	 * mapped), or NULL: with ra and pf, two buffers at most */
	char *spare;
	size_t spare_cap; /**< spare's size */
};

/** @return the S3 file of handle @p f */
static inline struct rfs_s3_file *file_of(struct rfs_file *f)
{
	return (struct rfs_s3_file *)f;
}

/** @return the backend of file @p f */
static inline struct rfs_s3_backend *backend_of(struct rfs_s3_file *f)
{
	return rfs_s3_of(f->base.backend);
}

/** Wait for the prefetch of @p f, if any, and drop it. */
void rfs_s3_prefetch_drop(struct rfs_s3_file *f);

/**
 * Look at the object again when its metadata came from the cache and
 * a read found it changed.
 * @return 0, -ESTALE when it went away or is a folder now, or -errno
 */
int rfs_s3_rehead(struct rfs_s3_file *f);

/**
 * Read up to @p size bytes at @p off of the object of unstaged file
 * @p f, through its read-ahead window; one opened from a cached HEAD's
 * answer that turns out to be out of date is looked at again and read
 * as it is now.
 * @return bytes read (0 at the end), -ESTALE when the object changed
 * while open, or -errno
 */
ssize_t rfs_s3_remote_read(struct rfs_s3_file *f, char *buf, size_t size,
			   off_t off);

#endif
