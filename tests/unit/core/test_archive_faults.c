/*
 * core/job under faults: every kind of storage call the archive job makes
 * fails once at each of its first 30 calls, on a bin sharing the source's
 * store (server-side copies) and on a bin of its own (streamed copies,
 * faults on either store); purges fail the same way; and a crash (every
 * call failing from the Nth on) is simulated at points spread over a
 * whole run. After every run no file may be lost, and the resumed job
 * must end archived with everything in the bin.
 */
#include "archive_fixture.h"

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

/* Faults are tried at calls 1..MAX_NTH of a kind. */
#define MAX_NTH 30

static const char *const op_names[RFS_MEM_OP_COUNT] = {
	"stat",	 "list",  "open",   "read",   "write", "close",
	"mkdir", "rmdir", "unlink", "rename", "meta",  "copy", "sync",
};

/* Where faults go: the layout and which store. */
struct target {
	enum afx_layout layout;
	bool on_bin; /* the bin's own store (AFX_SPLIT) */
	const char *name;
};

static const struct target targets[] = {
	{ AFX_SHARED, false, "shared store" },
	{ AFX_SPLIT, true, "bin store" },
};

static const char *store_of(const struct afx *f, const struct target *t)
{
	return t->on_bin ? f->bin_store : f->store;
}

/* A fixture with the standard partition and a neighbour, and the
 * partition's archive begun. */
static void prepare(struct afx *f, const struct target *t, struct rfs_entry *e)
{
	afx_open(f, t->layout);
	afx_tree(f, "dt=1");
	afx_dir(f, "dt=2", 0755);
	afx_file(f, "dt=2/part-00000.parquet", 2000, 0644);
	afx_settle(f);
	afx_begin(f, "dt=1", e);
}

/* Calls of kind @p op a clean archive makes on @p t's store. */
static unsigned long clean_calls(const struct target *t, enum rfs_mem_op op)
{
	struct rfs_entry e = { 0 };
	unsigned long before, n;
	struct afx f;

	prepare(&f, t, &e);
	before = rfs_mem_calls(store_of(&f, t), op);
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	n = rfs_mem_calls(store_of(&f, t), op) - before;
	afx_check_archived_id(&f, e.id);
	rfs_entry_release(&e);
	afx_close(&f);
	return n;
}

/* Fail the @p nth call of kind @p op once; check; resume; check. */
static void one_fault(const struct target *t, enum rfs_mem_op op,
		      unsigned long nth)
{
	struct rfs_entry e = { 0 };
	enum rfs_entry_state s;
	char when[160];
	struct afx f;
	int r;

	snprintf(when, sizeof(when), "%s #%lu failing on the %s", op_names[op],
		 nth, t->name);
	prepare(&f, t, &e);
	rfs_mem_fail_nth(store_of(&f, t), op, nth, EIO);
	r = afx_run(&f, e.id, NULL);
	s = afx_state(&f, e.id);
	if (r == 0) {
		/* an ignorable call: nothing may be missing though */
		cr_assert_eq(s, RFS_ENTRY_ARCHIVED, "%s", when);
		afx_check_archived_id(&f, e.id);
	} else {
		cr_assert_eq(s, RFS_ENTRY_FAILED, "%s: %d gave state %s", when,
			     r, rfs_entry_state_name(s));
		cr_assert_neq(f.err.msg[0], '\0', "%s: no reason", when);
	}
	rfs_mem_recover(store_of(&f, t));
	afx_check_no_loss(&f, "dt=1", e.bin_path, when);
	afx_check_source(&f, "dt=2");
	afx_finish(&f, e.id);
	afx_check_no_loss(&f, "dt=1", e.bin_path, when);
	afx_check_archived_id(&f, e.id);
	afx_check_source(&f, "dt=2");
	rfs_entry_release(&e);
	afx_close(&f);
}

/* Steps through 1..n that make at most MAX_NTH points. */
static unsigned long step_of(unsigned long n)
{
	return n > MAX_NTH ? (n + MAX_NTH - 1) / MAX_NTH : 1;
}

static void faults_of(enum rfs_mem_op op)
{
	int runs = 0;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		unsigned long n = clean_calls(&targets[i], op);

		for (unsigned long nth = 1; nth <= n; nth += step_of(n), runs++)
			one_fault(&targets[i], op, nth);
	}
	cr_log_info("%s: %d faulty runs", op_names[op], runs);
}

Test(core_archive_faults, survives_failing_stat)
{
	faults_of(RFS_MEM_OP_STAT);
}

Test(core_archive_faults, survives_failing_list)
{
	faults_of(RFS_MEM_OP_LIST);
}

Test(core_archive_faults, survives_failing_open)
{
	faults_of(RFS_MEM_OP_OPEN);
}

Test(core_archive_faults, survives_failing_read)
{
	faults_of(RFS_MEM_OP_READ);
}

Test(core_archive_faults, survives_failing_write)
{
	faults_of(RFS_MEM_OP_WRITE);
}

Test(core_archive_faults, survives_failing_close)
{
	faults_of(RFS_MEM_OP_CLOSE);
}

Test(core_archive_faults, survives_failing_mkdir)
{
	faults_of(RFS_MEM_OP_MKDIR);
}

Test(core_archive_faults, survives_failing_rmdir)
{
	faults_of(RFS_MEM_OP_RMDIR);
}

Test(core_archive_faults, survives_failing_unlink)
{
	faults_of(RFS_MEM_OP_UNLINK);
}

Test(core_archive_faults, survives_failing_rename)
{
	faults_of(RFS_MEM_OP_RENAME);
}

Test(core_archive_faults, survives_failing_meta)
{
	faults_of(RFS_MEM_OP_META);
}

Test(core_archive_faults, survives_failing_copy)
{
	faults_of(RFS_MEM_OP_COPY);
}

/* A failed sync (syncfs) of a batch of copies: the batch is not recorded
 * as done, and a retry makes it durable. */
Test(core_archive_faults, survives_failing_sync)
{
	faults_of(RFS_MEM_OP_SYNC);
}

/* Every kind is exercised: a clean run makes calls of each (on one of
 * the targets), so none of the loops above runs empty. */
Test(core_archive_faults, a_clean_run_makes_every_kind_of_call)
{
	unsigned long before[RFS_MEM_OP_COUNT], n[RFS_MEM_OP_COUNT] = { 0 };

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct rfs_entry e = { 0 };
		struct afx f;

		prepare(&f, &targets[i], &e);
		for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
			before[op] = rfs_mem_calls(store_of(&f, &targets[i]),
						   (enum rfs_mem_op)op);
		cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
		for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
			n[op] += rfs_mem_calls(store_of(&f, &targets[i]),
					       (enum rfs_mem_op)op) -
				 before[op];
		rfs_entry_release(&e);
		afx_close(&f);
	}
	for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
		cr_assert_gt(n[op], 0, "no %s calls", op_names[op]);
}

/* Purge: an archived entry, then its purge under one fault. */
static void purge_fault(const struct target *t, enum rfs_mem_op op,
			unsigned long nth, unsigned long *calls)
{
	struct rfs_entry e = { 0 };
	struct rfs_error err = { 0 };
	char key[128], when[160];
	unsigned long before;
	struct stat st;
	struct afx f;
	int r;

	snprintf(when, sizeof(when), "purge with %s #%lu failing on the %s",
		 op_names[op], nth, t->name);
	prepare(&f, t, &e);
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	cr_assert_eq(rfs_purge_begin(f.idx, e.id, &err), 0, "%s", err.msg);
	before = rfs_mem_calls(store_of(&f, t), op);
	if (nth)
		rfs_mem_fail_nth(store_of(&f, t), op, nth, EIO);
	r = afx_run(&f, e.id, NULL);
	if (calls)
		*calls = rfs_mem_calls(store_of(&f, t), op) - before;
	if (r < 0) {
		struct rfs_entry got = { 0 };

		afx_get(&f, e.id, &got);
		cr_assert_eq(got.state, RFS_ENTRY_PURGING, "%s: state %s", when,
			     rfs_entry_state_name(got.state));
		cr_assert_not_null(got.reason, "%s: no reason", when);
		rfs_entry_release(&got);
		rfs_mem_recover(store_of(&f, t));
		r = afx_run(&f, e.id, NULL);
		cr_assert_eq(r, 0, "%s: rerun %d %s", when, r, f.err.msg);
	}
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_PURGED, "%s", when);
	cr_assert_eq(rfs_backend_stat(f.bin, e.bin_path, &st), -ENOENT, "%s",
		     when);
	rfs_manifest_key(e.uuid, key, sizeof(key));
	cr_assert_eq(rfs_backend_stat(f.bin, key, &st), -ENOENT, "%s", when);
	/* the source stays gone, its neighbour untouched */
	cr_assert_eq(rfs_backend_stat(f.src, "dt=1", &st), -ENOENT);
	afx_check_source(&f, "dt=2");
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive_faults, purge_survives_failing_calls)
{
	static const enum rfs_mem_op ops[] = { RFS_MEM_OP_STAT, RFS_MEM_OP_LIST,
					       RFS_MEM_OP_UNLINK,
					       RFS_MEM_OP_RMDIR,
					       RFS_MEM_OP_META };
	int runs = 0;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			unsigned long n = 0;

			purge_fault(&targets[i], ops[k], 0, &n);
			for (unsigned long nth = 1; nth <= n;
			     nth += step_of(n), runs++)
				purge_fault(&targets[i], ops[k], nth, NULL);
		}
	}
	cr_log_info("purge: %d faulty runs", runs);
	cr_assert_gt(runs, 10);
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
static void crash_at(const struct target *t, unsigned long n, bool recorded)
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
static int crashes(const struct target *t)
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
