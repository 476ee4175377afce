/**
 * @file engine.h
 * @brief The job engine: one runner for every kind of job (archive,
 *        restore, purge), core/ only.
 *
 * A job kind is a table of steps plus how to load, save and fail its
 * state (struct rfs_engine_kind). The engine owns what every kind shares:
 * the process-local claim (one thread of a process runs a job), the
 * index lease and its heartbeat, the bounded pool of helper threads
 * (util/parallel.h), throttled progress, the failure record and the
 * removal of temporaries a killed copy left behind. See
 * docs/internals/engine.md.
 *
 * A job runs in one thread with one index handle; its steps may hand
 * file work to rfs_parallel_for(), whose tasks never touch the index.
 */
#ifndef RFS_CORE_ENGINE_H
#define RFS_CORE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct rfs_backend;
struct rfs_error;
struct rfs_index;
struct rfs_job_opts;

/** A step's rfs_engine_step::next when the step commits the end itself. */
#define RFS_ENGINE_END (-1)

struct rfs_engine_job;

/** One step of a kind's state machine. */
struct rfs_engine_step {
	int state;	  /**< the state in which this step runs */
	const char *name; /**< for people: "snapshot", "copy", ... */
	/**
	 * Run the step. It must be idempotent: run again after a crash or a
	 * failure, it redoes only what is not done. NULL for a final state
	 * (the job ends there with 0).
	 * @return 0, or -errno with the reason in the job's error
	 */
	int (*run)(struct rfs_engine_job *j);
	/** The state committed once @p run returned 0, or RFS_ENGINE_END
	 * when @p run committed the final state itself. */
	int next;
	/** Where a retry of a job failed in this step starts again
	 * (rfs_engine_retry_state()). */
	int resume;
};

/** What a lease compare-and-swap of the index looks like (entries and
 * restores: rfs_index_entry_lease(), rfs_index_restore_lease()). */
typedef int (*rfs_engine_lease_fn)(struct rfs_index *idx, int64_t id,
				   const char *expected, const char *owner,
				   int64_t until_ns, bool *taken,
				   struct rfs_error *err);

/** A kind of job: its steps and its state's persistence. */
struct rfs_engine_kind {
	const char *name; /**< "archive", "restore", "purge" */
	/** Jobs of kinds with the same id space share a claim sign: +1 for
	 * entries (archive, purge), -1 for restores. */
	int claim_sign;
	const struct rfs_engine_step *steps; /**< the state machine */
	int n_steps;			     /**< entries of @p steps */
	rfs_engine_lease_fn lease;	     /**< the index's lease CAS */
	/**
	 * Load the job's state from the index into @p j.
	 * @return 0; -ECANCELED when it is in no runnable state of this
	 *         kind; -ENOENT, -EIO
	 */
	int (*load)(struct rfs_engine_job *j);
	/** The job's current state (one of the steps' states). */
	int (*state)(const struct rfs_engine_job *j);
	/** Commit state @p s with the progress counters reset. */
	int (*save)(struct rfs_engine_job *j, int s);
	/** Write progress counters to the index (and tell the caller). */
	void (*progress)(struct rfs_engine_job *j, int64_t files,
			 int64_t bytes);
	/** Who holds the lease now (NULL for none) and until when. */
	const char *(*lease_owner)(const struct rfs_engine_job *j,
				   int64_t *until_ns);
	/** Called once the lease is taken (may be NULL). */
	void (*leased)(struct rfs_engine_job *j);
	/** Open the storages the steps use. @return 0 or -errno */
	int (*open)(struct rfs_engine_job *j);
	/** Record a failure of the current step (the index transaction is
	 * rolled back and the job's error set already). */
	void (*fail)(struct rfs_engine_job *j, int r);
	/** For messages: "'X'" or "the restore to 'T'" (borrowed). */
	const char *(*describe)(const struct rfs_engine_job *j, char *buf,
				size_t size);
	/** Free what load and open made. */
	void (*release)(struct rfs_engine_job *j);
};

/** What the engine keeps of a running job; a kind's job embeds it
 * first. */
struct rfs_engine_job {
	const struct rfs_engine_kind *kind; /**< what it is */
	struct rfs_index *idx;	      /**< the caller's; this thread only */
	int64_t id;		      /**< the row id of its kind */
	const struct rfs_job_opts *o; /**< the caller's options, or NULL */
	struct rfs_error *err;	      /**< never NULL; gets the reason */
	int parallel;		      /**< helper threads for file work */
	int64_t next_progress_ns;     /**< when progress is written again */
};

/**
 * Run job @p j (kind, idx, id, o and err set; the rest zero) in this
 * thread until it ends or fails: claim it in this process, load it, take
 * its lease (unless this process holds it) and renew it from a heartbeat
 * thread, open its storages, run its steps in order committing each next
 * state, and on failure record it through the kind. The lease is released
 * at the end.
 * @return 0 when the job reached a final state; -EBUSY when it runs in
 *         this process already or another live process holds its lease;
 *         -EINTR when stopped through o->stop; -ECANCELED when it is in
 *         no runnable state; otherwise the failure (recorded, the reason
 *         in err)
 */
int rfs_engine_run(struct rfs_engine_job *j);

/**
 * The state a retry of a job of @p k that failed in @p failed_step starts
 * from (its step's resume rule); @p failed_step itself when no step runs
 * in it.
 */
int rfs_engine_retry_state(const struct rfs_engine_kind *k, int failed_step);

/** True when the caller asked the job to stop (through o->stop). */
bool rfs_engine_stopped(const struct rfs_engine_job *j);

/**
 * Note progress: through the kind's progress call at most once a second,
 * unless @p force.
 */
void rfs_engine_progress(struct rfs_engine_job *j, int64_t files, int64_t bytes,
			 bool force);

/**
 * How many files a job handles at once: @p o's parallel_files, else the
 * index's jobs.parallel_files, else 16 when @p a or @p b is a remote
 * store (RFS_BACKEND_CAP_REMOTE: each file costs round trips, not disk
 * time), else 4.
 */
int rfs_engine_parallel_files(struct rfs_index *idx,
			      const struct rfs_job_opts *o,
			      struct rfs_backend *a, struct rfs_backend *b);

/** What an rfs_engine_walk() callback returns to skip a folder's inside. */
#define RFS_ENGINE_WALK_PRUNE 1

/**
 * Walk a tree of @p b below @p key depth-first, calling @p fn with each
 * path relative to @p key (not "" itself) and its attributes.
 * @return 0, the callback's non-zero value (but RFS_ENGINE_WALK_PRUNE),
 *         or -errno
 */
int rfs_engine_walk(struct rfs_backend *b, const char *key,
		    int (*fn)(void *ctx, const char *rel,
			      const struct stat *st),
		    void *ctx);

/**
 * As rfs_engine_walk(), listing with rfs_backend_list_late(): a regular
 * file's attributes but its type and size may be provisional (see
 * rfs_backend_ops.list_late).
 */
int rfs_engine_walk_late(struct rfs_backend *b, const char *key,
			 int (*fn)(void *ctx, const char *rel,
				   const struct stat *st),
			 void *ctx);

/** Called after a temporary beside @p rel (relative to the walked key)
 * was removed from a folder. */
typedef void (*rfs_engine_tmp_fn)(void *ctx, const char *rel);

/**
 * Remove the temporaries ".rfs-tmp.<name>.<hex>" that a killed copy left
 * at @p key of @p b: every one below it when it is a folder, and those of
 * its own name beside it.
 * @param b       the storage
 * @param key     the item's key in @p b
 * @param dropped called after each removal inside @p key (may be NULL)
 * @param ctx     passed to @p dropped
 * @return how many could not be listed or removed (0 when none is left)
 */
int64_t rfs_engine_drop_tmps(struct rfs_backend *b, const char *key,
			     rfs_engine_tmp_fn dropped, void *ctx);

/** True when @p name is one of our temporaries, ".rfs-tmp.<name>.<hex>". */
bool rfs_engine_is_tmp(const char *name);

/**
 * Note that job @p key runs in this process (restores use -id).
 * @return false when it runs here already, or too many run here
 */
bool rfs_engine_claim_local(int64_t key);

/** Forget a job noted with rfs_engine_claim_local(). */
void rfs_engine_release_local(int64_t key);

#endif
