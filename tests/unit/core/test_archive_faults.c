/*
 * The archive and purge kinds under faults, through the sweep harness
 * (sweep.h): every kind of storage call the job makes fails once at each
 * of its first 30 calls, on a bin sharing the source's store (server-side
 * copies) and on a bin of its own (streamed copies, faults on either
 * store); and a crash (every call failing from the Nth on) is simulated
 * at points spread over a whole run. After every run no file may be
 * lost, and the resumed job must end archived (or purged) with
 * everything in its place.
 */
#include "sweep.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/archive.h"
#include "core/manifest.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/clock.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

TestSuite(core_archive_faults, .timeout = 240);

static const struct sweep_target targets[] = {
	{ AFX_SHARED, false, "shared store" },
	{ AFX_SPLIT, true, "bin store" },
};

static const char *store_of(const struct afx *f, const struct sweep_target *t)
{
	return t->on_bin ? f->bin_store : f->store;
}

/* A fixture with the standard partition and a neighbour, and the
 * partition's archive begun. */
static void prepare(struct afx *f, const struct sweep_target *t,
		    struct rfs_entry *e)
{
	afx_open(f, t->layout);
	afx_tree(f, "dt=1");
	afx_specials(f, "dt=1"); /* mknod in the sweeps too */
	afx_dir(f, "dt=2", 0755);
	afx_file(f, "dt=2/part-00000.parquet", 2000, 0644);
	afx_settle(f);
	afx_begin(f, "dt=1", e);
}

/* ---------------------------------------------------------- the archive */

static void archive_prepare(struct sweep_job *j)
{
	prepare(&j->f, j->t, &j->e);
	j->id = j->e.id;
}

static int job_run(struct sweep_job *j)
{
	return afx_run(&j->f, j->id, NULL);
}

static void archive_failed(struct sweep_job *j, int r, const char *when)
{
	enum rfs_entry_state s = afx_state(&j->f, j->id);

	cr_assert_eq(s, RFS_ENTRY_FAILED, "%s: %d gave state %s", when, r,
		     rfs_entry_state_name(s));
	cr_assert_neq(j->f.err.msg[0], '\0', "%s: no reason", when);
	afx_check_no_loss(&j->f, "dt=1", j->e.bin_path, when);
	afx_check_source(&j->f, "dt=2");
}

static void archive_finish(struct sweep_job *j, const char *when)
{
	afx_finish(&j->f, j->id);
	afx_check_no_loss(&j->f, "dt=1", j->e.bin_path, when);
	afx_check_archived_id(&j->f, j->id);
	afx_check_source(&j->f, "dt=2");
}

static const struct sweep_kind archive_kind = {
	.name = "archive",
	.targets = targets,
	.n_targets = sizeof(targets) / sizeof(targets[0]),
	.prepare = archive_prepare,
	.run = job_run,
	.failed = archive_failed,
	.finish = archive_finish,
};

Test(core_archive_faults, survives_failing_stat)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_STAT);
}

Test(core_archive_faults, survives_failing_list)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_LIST);
}

Test(core_archive_faults, survives_failing_open)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_OPEN);
}

Test(core_archive_faults, survives_failing_read)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_READ);
}

Test(core_archive_faults, survives_failing_write)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_WRITE);
}

Test(core_archive_faults, survives_failing_close)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_CLOSE);
}

Test(core_archive_faults, survives_failing_mkdir)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_MKDIR);
}

Test(core_archive_faults, survives_failing_rmdir)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_RMDIR);
}

Test(core_archive_faults, survives_failing_unlink)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_UNLINK);
}

Test(core_archive_faults, survives_failing_rename)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_RENAME);
}

Test(core_archive_faults, survives_failing_meta)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_META);
}

Test(core_archive_faults, survives_failing_copy)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_COPY);
}

/* A failed sync (syncfs) of a batch of copies: the batch is not recorded
 * as done, and a retry makes it durable. */
Test(core_archive_faults, survives_failing_sync)
{
	sweep_faults(&archive_kind, RFS_MEM_OP_SYNC);
}

/* Every kind is exercised: a clean run makes calls of each (on one of
 * the targets), so none of the sweeps above runs empty. */
Test(core_archive_faults, a_clean_run_makes_every_kind_of_call)
{
	unsigned long n[RFS_MEM_OP_COUNT];

	sweep_clean_calls(&archive_kind, n);
	for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
		cr_assert_gt(n[op], 0, "no %s calls",
			     sweep_op_name((enum rfs_mem_op)op));
}

/* ------------------------------------------------------------ the purge */

/* An archived entry with its purge begun. */
static void purge_prepare(struct sweep_job *j)
{
	struct rfs_error err = { 0 };

	archive_prepare(j);
	cr_assert_eq(afx_run(&j->f, j->id, NULL), 0, "%s", j->f.err.msg);
	cr_assert_eq(rfs_purge_begin(j->f.idx, j->id, &err), 0, "%s", err.msg);
}

/* A failed purge stays a purge, with its reason, for the next worker. */
static void purge_failed(struct sweep_job *j, int r, const char *when)
{
	struct rfs_entry got = { 0 };

	afx_get(&j->f, j->id, &got);
	cr_assert_eq(got.state, RFS_ENTRY_PURGING, "%s: %d, state %s", when, r,
		     rfs_entry_state_name(got.state));
	cr_assert_not_null(got.reason, "%s: no reason", when);
	rfs_entry_release(&got);
}

static void purge_finish(struct sweep_job *j, const char *when)
{
	struct afx *f = &j->f;
	char key[128];
	struct stat st;
	int r;

	if (afx_state(f, j->id) == RFS_ENTRY_PURGING) {
		r = afx_run(f, j->id, NULL);
		cr_assert_eq(r, 0, "%s: rerun %d %s", when, r, f->err.msg);
	}
	cr_assert_eq(afx_state(f, j->id), RFS_ENTRY_PURGED, "%s", when);
	cr_assert_eq(rfs_backend_stat(f->bin, j->e.bin_path, &st), -ENOENT,
		     "%s", when);
	rfs_manifest_key(j->e.uuid, key, sizeof(key));
	cr_assert_eq(rfs_backend_stat(f->bin, key, &st), -ENOENT, "%s", when);
	/* the source stays gone, its neighbour untouched */
	cr_assert_eq(rfs_backend_stat(f->src, "dt=1", &st), -ENOENT);
	afx_check_source(f, "dt=2");
}

/* A crashed purge leaves the source gone and its neighbour as it was. */
static void purge_crashed(struct sweep_job *j, const char *when)
{
	struct stat st;

	cr_assert_eq(rfs_backend_stat(j->f.src, "dt=1", &st), -ENOENT, "%s",
		     when);
	afx_check_source(&j->f, "dt=2");
}

static const struct sweep_kind purge_kind = {
	.name = "purge",
	.targets = targets,
	.n_targets = sizeof(targets) / sizeof(targets[0]),
	.prepare = purge_prepare,
	.run = job_run,
	.failed = purge_failed,
	.crashed = purge_crashed,
	.finish = purge_finish,
};

Test(core_archive_faults, purge_survives_failing_calls)
{
	int runs = 0;

	for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
		runs += sweep_faults(&purge_kind, (enum rfs_mem_op)op);
	cr_log_info("purge: %d faulty runs", runs);
	cr_assert_gt(runs, 10);
}

Test(core_archive_faults, purge_resumes_after_a_crash_at_any_call)
{
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		cr_assert_gt(sweep_crashes(&purge_kind, &targets[i]), 10);
}

/*
 * Crashes: from call N on, every call of the store fails, as if the
 * process died there with its writes in flight lost. The restart is
 * simulated two ways, alternately:
 *  - the failure was recorded (the job's own error path ran): the entry
 *    is failed; a retry resumes it;
 *  - the process died before recording anything: the entry keeps the
 *    state its last committed step left, with the lease of a dead owner,
 *    and is resumed only if a worker would pick it (a runnable state).
 * Either way the job must end archived, with its final manifest.
 */
static void crash_at(const struct sweep_target *t, unsigned long n,
		     bool recorded)
{
	struct rfs_entry e = { 0 }, got = { 0 };
	struct rfs_error err = { 0 };
	char when[160];
	bool taken = false, resumed;
	struct afx f;
	int r;

	snprintf(when, sizeof(when), "crash after %lu calls on the %s (%s)", n,
		 t->name, recorded ? "recorded" : "unrecorded");
	prepare(&f, t, &e);
	rfs_mem_crash_after(store_of(&f, t), n);
	r = afx_run(&f, e.id, NULL);
	rfs_mem_recover(store_of(&f, t));
	afx_check_no_loss(&f, "dt=1", e.bin_path, when);
	afx_get(&f, e.id, &got);
	cr_assert(r == 0 ? got.state == RFS_ENTRY_ARCHIVED
			 : got.state == RFS_ENTRY_FAILED,
		  "%s: %d, state %s", when, r, rfs_entry_state_name(got.state));
	if (got.state == RFS_ENTRY_FAILED && !recorded) {
		got.state = got.failed_step;
		free(got.reason);
		got.reason = NULL;
		cr_assert_eq(rfs_index_entry_update(f.idx, &got, &err), 0);
	}
	/* the process is dead: its lease names a pid that is gone */
	cr_assert_eq(rfs_index_entry_lease(f.idx, e.id, NULL, afx_dead_owner(),
					   rfs_time_now_ns() + RFS_LEASE_TTL_NS,
					   &taken, &err),
		     0);
	cr_assert(taken, "%s: the lease was not released", when);
	if (got.state == RFS_ENTRY_FAILED)
		cr_assert_eq(rfs_archive_retry(f.idx, e.id, &err), 0, "%s",
			     err.msg);
	rfs_entry_release(&got);
	afx_get(&f, e.id, &got);
	resumed = rfs_entry_state_runnable(got.state);
	if (resumed) {
		r = afx_run(&f, e.id, NULL);
		cr_assert_eq(r, 0, "%s: resume %d %s", when, r, f.err.msg);
	}
	rfs_entry_release(&got);
	afx_check_no_loss(&f, "dt=1", e.bin_path, when);
	afx_get(&f, e.id, &got);
	cr_assert_eq(got.state, RFS_ENTRY_ARCHIVED, "%s: state %s", when,
		     rfs_entry_state_name(got.state));
	afx_check_archived(&f, &got);
	if (resumed)
		cr_assert_null(got.lease_owner, "%s: lease kept", when);
	rfs_entry_release(&got);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* Points 0..total+1 of a clean run's calls, every call or about 50 of
 * them spread evenly. @return the points run */
static int crashes(const struct sweep_target *t)
{
	struct rfs_entry e = { 0 };
	unsigned long total, step, n;
	struct afx f;
	int points = 0;

	prepare(&f, t, &e);
	n = rfs_mem_calls(store_of(&f, t), RFS_MEM_OP_ANY);
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	total = rfs_mem_calls(store_of(&f, t), RFS_MEM_OP_ANY) - n;
	rfs_entry_release(&e);
	afx_close(&f);
	step = total >= 100 ? total / 50 : 1;
	for (n = 0; n <= total + 1; n += step, points++)
		crash_at(t, n, points % 2);
	cr_log_info("%s: %d crash points over %lu calls", t->name, points,
		    total);
	cr_assert_geq(points, 50, "only %d crash points", points);
	return points;
}

/* A clean run makes 145 calls on the shared store (74 crash points, one
 * every 2 calls) and 100 on the bin's own store (51 points). */
Test(core_archive_faults, resumes_after_a_crash_at_any_call)
{
	crashes(&targets[0]);
}

Test(core_archive_faults, resumes_after_a_crash_of_the_bin_store)
{
	crashes(&targets[1]);
}
