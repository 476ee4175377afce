/**
 * @file job_priv.h
 * @brief What the files of a recycle job share (core/ only).
 *
 * A job runs in one thread with one index handle; its file copies and
 * checksums run on a few helper threads that never touch the index.
 */
#ifndef RFS_CORE_JOB_PRIV_H
#define RFS_CORE_JOB_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/entry.h"
#include "core/jobs.h"

struct rfs_backend;
struct rfs_buf;
struct rfs_error;
struct rfs_index;

/** Rows handled per batch (and per index transaction). */
#define JOB_BATCH 256

/** A running job. */
struct job {
	struct rfs_index *idx;
	struct rfs_entry e;
	const struct rfs_job_opts *o;
	struct rfs_backend *src; /**< the epoch root (e.src_uri) */
	struct rfs_backend *bin; /**< the bin root (e.bin_root_uri) */
	struct rfs_error *err;
	int parallel;		  /**< helper threads for files */
	int64_t next_progress_ns; /**< when to write progress again */
};

/** The source key of manifest row @p rel: item_key joined with it. */
int job_src_key(const struct job *j, const char *rel, struct rfs_buf *out);

/** The bin key of manifest row @p rel: bin_path joined with it. */
int job_bin_key(const struct job *j, const char *rel, struct rfs_buf *out);

/** True when the caller asked the job to stop. */
bool job_stopped(const struct job *j);

/** Record progress (files_done, bytes_done); written at most once a
 * second unless @p force. */
void job_progress(struct job *j, int64_t files, int64_t bytes, bool force);

/** Commit a new state (and counters) of the entry. @return 0 or -errno */
int job_set_state(struct job *j, enum rfs_entry_state s);

/**
 * Hash a stored file. @param size set to the bytes read (may be NULL)
 * @return 0 or -errno
 */
int job_hash(struct rfs_backend *b, const char *key,
	     char out[RFS_SHA256_HEX_LEN], int64_t *size);

/** Snapshot: list the source into the manifest rows. */
int job_snapshot(struct job *j);
/** Sync: copy every row to recycle storage, keeping metadata. */
int job_sync(struct job *j);
/** Verify: check the source is unchanged and every copy's checksum. */
int job_verify(struct job *j);
/** Unpublish: drop the item's partitions through the metastore hook. */
int job_unpublish(struct job *j);
/** Delete: remove the verified source, files first, then folders. */
int job_delete(struct job *j);
/** Finish: write the final manifest and mark the entry archived. */
int job_finish(struct job *j);
/** Purge: delete the recycle copy and manifest; mark the entry purged. */
int job_purge(struct job *j);

/**
 * Walk a tree of @p b below @p key depth-first, calling @p fn with each
 * path relative to @p key (not "" itself) and its attributes.
 * @return 0, the callback's non-zero value, or -errno
 */
int job_walk(struct rfs_backend *b, const char *key,
	     int (*fn)(void *ctx, const char *rel, const struct stat *st),
	     void *ctx);

/**
 * Run @p fn(ctx, i) for i in [0, n) on up to @p threads threads.
 * @return 0 (the tasks record their own results)
 */
int job_parallel(int threads, int n, void (*fn)(void *ctx, int i), void *ctx);

#endif
