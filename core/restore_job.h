/**
 * @file restore_job.h
 * @brief The restore job every restore kind shares (core/ only): the job
 * struct, the walk over the rows of the part restored and the members of
 * a restore kind (core/restore_job.c); core/kind_restore.c runs the
 * steps of a file restore, core/kind_restore_end.c its done step and the
 * report of a failure; core/kind_rel.c restores a table with the same
 * job struct and members (RESTORE_KIND_OPS).
 */
#ifndef RFS_CORE_RESTORE_JOB_H
#define RFS_CORE_RESTORE_JOB_H

#include "backends/backend.h"
#include "core/engine.h"
#include "core/restore.h"
#include "model/entry.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/** Rows handled per batch. */
#define RESTORE_BATCH 256

struct present;
struct rfs_copy_links;

/** A running restore (a kind of core/engine.h); a relational restore
 * uses base, r, e and dst only. */
struct rjob {
	struct rfs_engine_job base;   /**< idx, id, options, error, pool size */
	struct rfs_restore r;	      /**< the restore's row */
	struct rfs_entry e;	      /**< the entry restored */
	struct rfs_backend *bin;      /**< the entry's recycle storage */
	struct rfs_backend *dst;      /**< the target */
	int64_t n_conflicts;	      /**< files that differ at the target */
	struct rfs_buf conflicts;     /**< the first of them, for the message */
	struct rfs_copy_links *links; /**< while the copy notes hard links */
	struct present *present; /**< rfs_restore_describe_target()'s count */
};

/** One row's work. */
struct rtask {
	struct rfs_entry_file f; /**< the row, with its own path and link */
	char *path;		 /**< f.path, malloc'ed */
	char *link;		 /**< f.link, malloc'ed or NULL */
	char bkey[4096];	 /**< the recycle copy's key */
	char tkey[4096];	 /**< the key at the target */
	int r;			 /**< 0 or the task's -errno */
	bool conflict;		 /**< differs at (check), is at (report) */
	char *why;		 /**< the reason of a failure, malloc'ed */
};

/** A batch of rows and their tasks. */
struct rbatch {
	struct rjob *j;		       /**< the restore */
	struct rtask t[RESTORE_BATCH]; /**< the tasks, n of them */
	int n;			       /**< how many tasks */
	char *last; /**< the last row path seen, for the next batch */
	int type;   /**< only rows of this type, or 0 */
};

/** @return @p path (a row of the entry) relative to the part restored */
static inline const char *rel_of(const struct rjob *j, const char *path)
{
	size_t sl = strlen(j->r.sub);

	return path + sl + (sl && path[sl] == '/');
}

/**
 * A special file the target cannot hold (an object store): it is not
 * restored, and the restore says so (rfs_restore_step_done()).
 */
static inline bool not_kept(const struct rjob *j,
			    const struct rfs_entry_file *f)
{
	return rfs_file_type_special(f->type) &&
	       !rfs_backend_has(j->dst, RFS_BACKEND_CAP_SPECIAL);
}

/** How rfs_restore_for_rows() walks the rows. */
enum rfs_restore_rows_flags {
	/** After each batch's tasks, before its @p done, make what they
	 * wrote at the target durable (rfs_backend_sync()): for the steps
	 * that write, not for those that only read. */
	RFS_RESTORE_ROWS_SYNC = (1 << 0),
};

/**
 * Run @p fn over the rows of the part restored (of type @p type, or
 * all when 0), a batch at a time on the job's helper threads; then
 * @p done per batch on this thread, when not NULL.
 * @param j     the restore
 * @param type  an enum rfs_file_type, or 0 for rows of every type
 * @param flags RFS_RESTORE_ROWS_SYNC bits
 * @param fn    the task of row @p i of a batch (a struct rbatch *)
 * @param done  run per batch after its tasks, or NULL
 * @return 0, -EINTR when the job was asked to stop, or -errno (with
 * the reason in the job's error)
 */
int rfs_restore_for_rows(struct rjob *j, int type, unsigned int flags,
			 void (*fn)(void *ctx, int i),
			 int (*done)(struct rjob *j, struct rbatch *b));

/**
 * Remove the temporaries a killed copy left at the target.
 * @return how many are left (they could not be listed or removed), 0
 * when none
 */
int64_t rfs_restore_cleanup_tmp(struct rjob *j);

/**
 * The done step: note the special files the target did not get, then
 * record, in one transaction, where the entry was restored and that the
 * restore is done.
 * @return 0 or -errno (with the reason in the job's error)
 */
int rfs_restore_step_done(struct rjob *j);

/**
 * After a failure once data may have been written: remove our
 * temporaries and say in the restore's reason which files are at the
 * target.
 */
void rfs_restore_describe_target(struct rjob *j);

/**
 * Record in the index, in one transaction, that the restore is done: the
 * entry's restored_to, the history's "restore.done", the restore's state
 * done with its counters full; then the catalog journal.
 * @return 0 or -errno (with the reason in the job's error; nothing is
 * recorded)
 */
int rfs_restore_record_done(struct rjob *j);

/** The failure's part every restore kind shares: failed_step, state
 * failed and the reason from the job's error (not yet saved). */
void rfs_restore_mark_failed(struct rjob *j);

/* The members of every restore kind (struct rjob, row in restores). */

/** Load restore b->id and its entry: -ECANCELED when done or failed. */
int rfs_restore_kind_load(struct rfs_engine_job *b);
/** The restore's state. */
int rfs_restore_kind_state(const struct rfs_engine_job *b);
/** Commit state @p s, counters reset. */
int rfs_restore_kind_save(struct rfs_engine_job *b, int s);
/** Write progress to the index. */
void rfs_restore_kind_progress(struct rfs_engine_job *b, int64_t files,
			       int64_t bytes);
/** The restore's lease owner and its end. */
const char *rfs_restore_kind_lease_owner(const struct rfs_engine_job *b,
					 int64_t *until_ns);
/** "the restore to 'target'". */
const char *rfs_restore_kind_describe(const struct rfs_engine_job *b, char *buf,
				      size_t size);
/** Free the storages, the conflicts, the restore and the entry. */
void rfs_restore_kind_release(struct rfs_engine_job *b);

/** The members of a restore kind that are the same for all: all but
 * name, steps, open and fail. */
#define RESTORE_KIND_OPS                                                       \
	.claim_sign = -1, .lease = rfs_index_restore_lease,                    \
	.load = rfs_restore_kind_load, .state = rfs_restore_kind_state,        \
	.save = rfs_restore_kind_save, .progress = rfs_restore_kind_progress,  \
	.lease_owner = rfs_restore_kind_lease_owner,                           \
	.describe = rfs_restore_kind_describe,                                 \
	.release = rfs_restore_kind_release

#endif
