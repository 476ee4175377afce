/**
 * @file job_priv.h
 * @brief What the files of a recycle job share (core/ only).
 *
 * A job runs on the engine (core/engine.h) in one thread with one index
 * handle; its file copies and checksums run on a few helper threads that
 * never touch the index.
 */
#ifndef RFS_CORE_JOB_PRIV_H
#define RFS_CORE_JOB_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/engine.h"
#include "model/entry.h"
#include "core/jobs.h"
#include "core/archive.h"

struct rfs_backend;
struct rfs_buf;
struct rfs_error;
struct rfs_index;

/** Rows handled per batch (and per index transaction). */
#define JOB_BATCH 256

/** A running archive or purge of one entry (kinds of core/engine.h). */
struct job {
	struct rfs_engine_job base; /**< idx, id, options, error, pool size */
	struct rfs_entry e;	    /**< the entry as last committed, owned */
	struct rfs_backend *src;    /**< the epoch root (e.src_uri) */
	struct rfs_backend *bin;    /**< the bin root (e.bin_root_uri) */
};

/**
 * True when the snapshot of @p j takes a regular file's times, mode and
 * owner from the listing of an object store provisionally (without a
 * request per file), and the sync step completes each row with those of
 * the version it reads (rfs_backend_lists_late(); core/sync.c).
 */
bool rfs_job_src_late(const struct job *j);

/** The archive kind: snapshot, sync, verify, unpublish, delete. */
extern const struct rfs_engine_kind rfs_job_kind_archive;
/** The purge kind: purging, purged. */
extern const struct rfs_engine_kind rfs_job_kind_purge;

/** The archive kind of a table on relational storage (core/kind_rel.c):
 * the same states, each step run by the storage (backends/rel.h). */
extern const struct rfs_engine_kind rfs_job_kind_rel_archive;
/** The purge kind of a table's recycle copy on relational storage. */
extern const struct rfs_engine_kind rfs_job_kind_rel_purge;

/** True when @p uri is of a storage class of the relational family
 * (postgres://): its jobs are the relational kinds. */
bool rfs_rel_uri(const char *uri);

struct rfs_storage;

/**
 * Rebuild the entries of relational storage @p s from the manifest table
 * of its recycle location (for rfs_reindex()); each row is reported to
 * @p fn as a file manifest is, and entries already indexed are left.
 */
void rfs_rel_reindex_storage(struct rfs_index *idx, const struct rfs_storage *s,
			     rfs_reindex_fn fn, void *ctx, int *added);

/** The source key of manifest row @p rel: item_key joined with it. */
int rfs_job_src_key(const struct job *j, const char *rel, struct rfs_buf *out);

/** The bin key of manifest row @p rel: bin_path joined with it. */
int rfs_job_bin_key(const struct job *j, const char *rel, struct rfs_buf *out);

/** True when the caller asked the job to stop. */
bool rfs_job_stopped(const struct job *j);

/** Record progress (files_done, bytes_done); written at most once a
 * second unless @p force. */
void rfs_job_progress(struct job *j, int64_t files, int64_t bytes, bool force);

/** Commit a new state (and counters) of the entry. @return 0 or -errno */
int rfs_job_set_state(struct job *j, enum rfs_entry_state s);

/** Snapshot: list the source into the manifest rows. */
int rfs_job_snapshot(struct job *j);
/** Sync: copy every row to recycle storage, keeping metadata. */
int rfs_job_sync(struct job *j);
/** Verify: check the source is unchanged and every copy's checksum. */
int rfs_job_verify(struct job *j);
/** Unpublish: drop the item's partitions through the metastore hook. */
int rfs_job_unpublish(struct job *j);
/** Delete: remove the verified source, files first, then folders. */
int rfs_job_delete(struct job *j);
/** Finish: write the final manifest and mark the entry archived. */
int rfs_job_finish(struct job *j);

/* What the archive and purge kinds share (core/job.c). */

/** Load entry j->base.id: -ECANCELED unless in a state of j's kind. */
int rfs_job_entry_load(struct rfs_engine_job *j);
/** The entry's state. */
int rfs_job_entry_state(const struct rfs_engine_job *j);
/** Commit state @p s (rfs_job_set_state()). */
int rfs_job_entry_save(struct rfs_engine_job *j, int s);
/** Write progress to the index and the caller's progress callback. */
void rfs_job_entry_progress(struct rfs_engine_job *j, int64_t files,
			    int64_t bytes);
/** The entry's lease owner and its end. */
const char *rfs_job_entry_lease_owner(const struct rfs_engine_job *j,
				      int64_t *until_ns);
/** Note that this process holds the entry's lease. */
void rfs_job_entry_leased(struct rfs_engine_job *j);
/** Open the epoch's and the bin's storages; size the pool. */
int rfs_job_entry_open(struct rfs_engine_job *j);
/** An archive's failure: the entry failed, with the step that failed
 * and the reason, for `recyclefs retry` (before delete the source is
 * intact). */
void rfs_job_entry_fail_archive(struct rfs_engine_job *j, int r);
/** A purge's failure: the entry stays purging with the reason, and the
 * next worker retries it. */
void rfs_job_entry_fail_purge(struct rfs_engine_job *j, int r);
/** The members of a kind of job over an entry (archive, purge) that
 * are the same for both: all but name, steps and fail. */
#define JOB_ENTRY_KIND_OPS                                                     \
	.claim_sign = 1, .lease = rfs_index_entry_lease,                       \
	.load = rfs_job_entry_load, .state = rfs_job_entry_state,              \
	.save = rfs_job_entry_save, .progress = rfs_job_entry_progress,        \
	.lease_owner = rfs_job_entry_lease_owner,                              \
	.leased = rfs_job_entry_leased, .open = rfs_job_entry_open,            \
	.describe = rfs_job_entry_describe, .release = rfs_job_entry_release

/** "'bin_path'". */
const char *rfs_job_entry_describe(const struct rfs_engine_job *j, char *buf,
				   size_t size);
/** Free the storages and the entry. */
void rfs_job_entry_release(struct rfs_engine_job *j);

#endif
