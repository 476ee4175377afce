/**
 * @file job_priv.h
 * @brief What the files of a recycle job share (core/ only).
 *
 * A job runs in one thread with one index handle; its file copies and
 * checksums run on a few helper threads that never touch the index.
 */
#ifndef RFS_CORE_JOB_PRIV_H
#define RFS_CORE_JOB_PRIV_H

#include <pthread.h>
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
	struct rfs_index *idx; /**< the caller's handle; this thread only */
	struct rfs_entry e;    /**< the entry as last committed, owned */
	const struct rfs_job_opts *o; /**< the caller's options, or NULL */
	struct rfs_backend *src;      /**< the epoch root (e.src_uri) */
	struct rfs_backend *bin;      /**< the bin root (e.bin_root_uri) */
	struct rfs_error *err; /**< the caller's, never NULL; gets the reason */
	int parallel;	       /**< helper threads for files */
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

/** What a job_walk() callback returns to skip what a folder holds. */
#define JOB_WALK_PRUNE 1

/**
 * Walk a tree of @p b below @p key depth-first, calling @p fn with each
 * path relative to @p key (not "" itself) and its attributes.
 * @return 0, the callback's non-zero value (but JOB_WALK_PRUNE), or -errno
 */
int job_walk(struct rfs_backend *b, const char *key,
	     int (*fn)(void *ctx, const char *rel, const struct stat *st),
	     void *ctx);

/**
 * Run @p fn(ctx, i) for i in [0, n) on up to @p threads threads.
 * @return 0 (the tasks record their own results)
 */
int job_parallel(int threads, int n, void (*fn)(void *ctx, int i), void *ctx);

/**
 * How many files a job handles at once: @p o's parallel_files, else the
 * index's jobs.parallel_files, else 16 when @p a or @p b (the job's two
 * storage URIs) is an object store (s3, s3a, gs), else 4.
 */
int job_parallel_files(struct rfs_index *idx, const struct rfs_job_opts *o,
		       const char *a, const char *b);

/** A lease compare-and-swap of the index (entries or restores). */
typedef int (*job_lease_fn)(struct rfs_index *idx, int64_t id,
			    const char *expected, const char *owner,
			    int64_t until_ns, bool *taken,
			    struct rfs_error *err);

/** Renews one lease from its own index connection while a job runs. */
struct job_heartbeat {
	pthread_t th;	      /**< the renewing thread */
	pthread_mutex_t lock; /**< guards @p done */
	pthread_cond_t cond;  /**< signalled to stop early */
	bool done;	      /**< set by job_heartbeat_stop() */
	char *path;	      /**< the index file */
	int64_t id;	      /**< the entry or restore whose lease it renews */
	job_lease_fn renew;   /**< the index's lease call for that kind */
};

/** Start renewing the lease of @p id every third of its time to live.
 * @return 0, -ENOMEM, -EAGAIN */
int job_heartbeat_start(struct job_heartbeat *h, struct rfs_index *idx,
			int64_t id, job_lease_fn renew);

/** Stop renewing and free what the heartbeat holds. */
void job_heartbeat_stop(struct job_heartbeat *h);

/**
 * Note that job @p key runs in this process (restores use -id).
 * @return false when it runs here already
 */
bool job_claim_local(int64_t key);

/** Forget a job noted with job_claim_local(). */
void job_release_local(int64_t key);

#endif
