/**
 * @file jobs.h
 * @brief Running recycle jobs: leases, one job at a time, a worker pool.
 *
 * A job (archive or purge of one entry) is run by the process holding its
 * lease in the index. A lease names its owner ("host:pid:start") and
 * lasts RFS_LEASE_TTL_NS; the runner renews it from a heartbeat thread.
 * Another process takes a job over only when the lease expired or its
 * owner, on this host, is dead: two processes never run a job at once,
 * and a crashed daemon's jobs resume as soon as anyone looks.
 */
#ifndef RFS_CORE_JOBS_H
#define RFS_CORE_JOBS_H

#include <stdbool.h>
#include <stdint.h>

struct rfs_entry;
struct rfs_error;
struct rfs_index;

/** How long a lease lasts without renewal. */
#define RFS_LEASE_TTL_NS (30LL * 1000 * 1000 * 1000)

/** @return this process's lease owner id, "host:pid:start" (static). */
const char *rfs_job_owner_self(void);

/**
 * True when the process named by @p owner may still be running: always
 * for owners on another host (their leases expire instead).
 */
bool rfs_job_owner_alive(const char *owner);

/** True when @p e's lease is free, expired, or held by a dead owner. */
bool rfs_job_lease_free(const struct rfs_entry *e, int64_t now_ns);

/** Progress callback of a running job; called from the job's thread. */
typedef void (*rfs_job_progress_fn)(void *ctx, const struct rfs_entry *e);

/** How to run a job. Zero means the default. */
struct rfs_job_opts {
	/** files copied or hashed at once; 0: jobs.parallel_files, else 4
	 * (16 with an object store on either side) */
	int parallel_files;
	int hook_timeout; /**< metastore hook timeout, seconds */
	/** Set non-zero (from any thread) to stop at the next safe point. */
	volatile int *stop;
	rfs_job_progress_fn progress; /**< optional */
	void *progress_ctx;	      /**< passed to @p progress */
};

/**
 * Run the job of entry @p id in this thread until it is archived, purged
 * or failed, taking its lease first (the caller may already hold it) and
 * renewing it meanwhile.
 * @param idx a handle used by this thread only; its path is used to open
 *            the heartbeat's own connection
 * @param id  the entry's index row id
 * @param o   how to run it, or NULL for the defaults; without
 *            parallel_files the "jobs.parallel_files" configuration key
 *            decides (else 4)
 * @param err receives the reason on failure; must not be NULL
 * @return 0 when the job reached archived or purged; -EBUSY when another
 *         live process holds the lease; -EINTR when stopped through
 *         @p o->stop; -ECANCELED when the entry is in no runnable state;
 *         otherwise the failure (the entry is then failed, the reason in
 *         @p err and in the index)
 */
int rfs_job_run(struct rfs_index *idx, int64_t id, const struct rfs_job_opts *o,
		struct rfs_error *err);

struct rfs_jobs;

/** Called by a worker after each job it ran, from the worker's thread. */
typedef void (*rfs_jobs_notify_fn)(void *ctx, int64_t id);

/**
 * Start @p workers threads that run every runnable job of the index whose
 * lease is free, each with its own index connection, polling every second
 * and at once after rfs_jobs_kick(). Restores waiting in the index are run
 * too, when no archive or purge is runnable. A worker that cannot open
 * the index logs why and tries again every second; failed jobs are
 * logged, not returned.
 * @param index_path the index file each worker opens; copied
 * @param workers    the number of threads; less than 1 means 1
 * @param notify     called after each job run (may be NULL), from the
 *                   worker's thread, with the entry id, or with minus the
 *                   restore id after a restore
 * @param ctx        passed to @p notify
 * @param out        set to the pool; stop it with rfs_jobs_stop()
 * @param err        receives the reason on failure; may be NULL
 * @return 0, -ENOMEM, -EAGAIN (no worker thread could be started)
 */
int rfs_jobs_start(const char *index_path, int workers,
		   rfs_jobs_notify_fn notify, void *ctx, struct rfs_jobs **out,
		   struct rfs_error *err);

/** Wake the workers: a job was queued. Thread-safe. */
void rfs_jobs_kick(struct rfs_jobs *j);

/** Stop the workers at their next safe point, join them and free. */
void rfs_jobs_stop(struct rfs_jobs *j);

#endif
