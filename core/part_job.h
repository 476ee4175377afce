/**
 * @file part_job.h
 * @brief The queued purge of parts of an archived entry, a kind of job
 *        on the engine (core/engine.h).
 *
 * `rm` of a path inside a bin entry only queues the part in the index
 * (index/parts.h) and returns. A worker then takes every queued part of
 * the entry at once, under the entry's lease, and purges them with one
 * manifest rewrite (rfs_purge_parts_queued()); the queue rows go in the
 * same transaction as the manifest rows. A failed batch keeps its rows,
 * records the reason and is tried again later (after 1, 2, 4 ... at most
 * 60 seconds).
 */
#ifndef RFS_CORE_PART_JOB_H
#define RFS_CORE_PART_JOB_H

#include <stdint.h>

struct rfs_error;
struct rfs_index;
struct rfs_job_opts;

/**
 * Queue part @p sub of entry @p id for purging: refused unless the entry
 * is archived, and, for a folder, unless everything below it is purged or
 * queued already. One index transaction; no storage is touched.
 * @param idx the index (this thread's handle), with no transaction open
 * @param id  the entry's row id
 * @param sub the path below the entry (not "")
 * @param err receives the reason on failure; may be NULL
 * @return 0; -EBUSY (the entry is not archived), -ENOTEMPTY (something
 *         below the folder is left), -ENOENT (queued already), -EINVAL,
 *         the index's error
 */
int rfs_part_queue(struct rfs_index *idx, int64_t id, const char *sub,
		   struct rfs_error *err);

/**
 * Purge every queued part of entry @p id in this thread, as one batch
 * under the entry's lease (taken and renewed as any job's).
 * @param idx a handle used by this thread only
 * @param id  the entry's row id
 * @param o   how to run it (its stop flag), or NULL
 * @param err receives the reason on failure; must not be NULL
 * @return 0 when the batch was purged; -ECANCELED when nothing is queued
 *         or the entry is not archived (a whole purge took the parts
 *         over: their rows are dropped); -EBUSY when another thread or
 *         process runs the entry's job; otherwise the failure (recorded
 *         in the queue rows, which stay for a retry)
 */
int rfs_part_job_run(struct rfs_index *idx, int64_t id,
		     const struct rfs_job_opts *o, struct rfs_error *err);

#endif
