/**
 * @file sweep.h
 * @brief One harness for the fault and crash sweeps of every kind of job
 *        (archive, purge, restore) on the memory backend.
 *
 * A kind tells the harness how to record a job, run it once, check it
 * after a failure and bring it to its end; the harness does the sweeping:
 * - fault sweep: every kind of storage call fails once, at each of the
 *   first calls of that kind a clean run makes (at most SWEEP_MAX_NTH
 *   points spread over them), on each of the kind's targets;
 * - crash sweep: from call N on every call of a store fails (a process
 *   that died there, its writes in flight lost), N spread over a whole
 *   clean run; then the job is brought to its end.
 * After every run nothing may be lost, and the job must end as a clean
 * run would.
 */
#ifndef RFS_TESTS_UNIT_CORE_SWEEP_H
#define RFS_TESTS_UNIT_CORE_SWEEP_H

#include "archive_fixture.h"

#include "backends/memory/memory.h"

#include <stdbool.h>
#include <stddef.h>

/** Faults are tried at calls 1..SWEEP_MAX_NTH of a kind (or that many
 * points spread over its calls). */
#define SWEEP_MAX_NTH 30

/** Where faults go: a layout and which of its stores. */
struct sweep_target {
	enum afx_layout layout;
	bool on_bin; /**< the bin's own store (AFX_SPLIT) */
	const char *name;
};

/** One job under a sweep. */
struct sweep_job {
	struct afx f;
	struct rfs_entry e;	      /**< its entry */
	int64_t id;		      /**< the job's id: entry or restore */
	const struct sweep_target *t; /**< where the faults go */
};

/** A kind of job as the sweeps see it. */
struct sweep_kind {
	const char *name; /**< "archive", "purge", "restore" */
	const struct sweep_target *targets;
	size_t n_targets;
	/** Open j->f with j->t's layout and record the job (j->e, j->id). */
	void (*prepare)(struct sweep_job *j);
	/** Run the job once. @return its result */
	int (*run)(struct sweep_job *j);
	/** After a run that returned @p r < 0, the store recovered: the
	 * job's recorded state and reason, nothing lost. */
	void (*failed)(struct sweep_job *j, int r, const char *when);
	/** After a simulated crash, the store recovered (may be NULL): what
	 * must hold before anything resumes (nothing lost). A crashed
	 * process records nothing reliable and cleans nothing up. */
	void (*crashed)(struct sweep_job *j, const char *when);
	/** Bring the job to its end (retry, rerun) and check everything a
	 * clean run leaves. */
	void (*finish)(struct sweep_job *j, const char *when);
};

/** "stat", "list", ... */
const char *sweep_op_name(enum rfs_mem_op op);

/** The store of @p j's target. */
const char *sweep_store(const struct sweep_job *j);

/**
 * Fail each point of the calls of kind @p op, once per run, on each
 * target of @p k. @return the faulty runs made
 */
int sweep_faults(const struct sweep_kind *k, enum rfs_mem_op op);

/**
 * Crash the store of @p k's target @p t at points spread over a clean
 * run (every call, or about 50), then finish the job.
 * @return the crash points run
 */
int sweep_crashes(const struct sweep_kind *k, const struct sweep_target *t);

/** The calls of each kind a clean run of @p k makes, over its targets. */
void sweep_clean_calls(const struct sweep_kind *k,
		       unsigned long n[RFS_MEM_OP_COUNT]);

#endif
