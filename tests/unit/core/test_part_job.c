/*
 * core/part_job: rm of parts of an archived entry, queued in the index
 * (rfs_part_queue()) and purged by a worker in batches
 * (rfs_part_job_run()): one manifest write per batch, rows kept and
 * retried when storage fails, taken over by a whole purge, never run
 * beside another holder of the entry's lease.
 */
#include "archive_fixture.h"
#include "sweep.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/archive.h"
#include "core/manifest.h"
#include "core/part_job.h"
#include "core/restore.h"
#include "model/restore.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/parts.h"
#include "util/clock.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(core_part_job, .timeout = 300);

static struct afx f;

/* How many files dt=1/sub holds (fewer in the fault sweep). */
#define N_SUB 200
static int n_sub = N_SUB;

/* dt=1 with a (100 B), sub/ with N_SUB files of 10 B and an empty
 * folder e, archived on a bin of its own store (for its faults). */
static void archived(struct rfs_entry *e)
{
	char p[64];

	afx_open(&f, AFX_SPLIT);
	afx_dir(&f, "dt=1", 0755);
	afx_file(&f, "dt=1/a", 100, 0644);
	afx_dir(&f, "dt=1/sub", 0755);
	for (int i = 0; i < n_sub; i++) {
		snprintf(p, sizeof(p), "dt=1/sub/f%03d", i);
		afx_file(&f, p, 10, 0644);
	}
	afx_dir(&f, "dt=1/e", 0755);
	afx_settle(&f);
	afx_archive(&f, "dt=1", e);
	cr_assert_eq(e->files_total, 1 + n_sub);
}

/* The manifest's rows and totals. */
struct listed {
	int rows;
	bool has_sub, has_a;
	int64_t files, bytes;
};

static int add_listed(void *ctx, const struct rfs_entry_file *row)
{
	struct listed *l = ctx;

	if (!*row->path)
		return 0;
	l->rows++;
	l->has_sub |= !strncmp(row->path, "sub", 3);
	l->has_a |= !strcmp(row->path, "a");
	return 0;
}

static void manifest_of(const struct rfs_entry *e, struct listed *l)
{
	memset(l, 0, sizeof(*l));
	afx_manifest_rows(&f, e, add_listed, l, &l->files, &l->bytes);
}

/* rm -rf dt=1/sub as the mount does it: every file, then the folder. */
static void queue_sub(const struct rfs_entry *e)
{
	char p[64];

	for (int i = 0; i < n_sub; i++) {
		snprintf(p, sizeof(p), "sub/f%03d", i);
		cr_assert_eq(rfs_part_queue(f.idx, e->id, p, &f.err), 0, "%s",
			     f.err.msg);
	}
	cr_assert_eq(rfs_part_queue(f.idx, e->id, "sub", &f.err), 0, "%s",
		     f.err.msg);
}

static int64_t queued(int64_t id)
{
	struct rfs_index_part_status s = { 0 };
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_part_status(f.idx, id, &s, &err), 0, "%s",
		     err.msg);
	free(s.reason);
	return s.queued;
}

static bool in_bin(const char *rel)
{
	char key[256];
	struct stat st;

	snprintf(key, sizeof(key), AFX_E "/dt=1/%s", rel);
	return rfs_backend_stat(f.bin, key, &st) == 0;
}

/* The worker's side, as the mount's pool runs it. */
static int run_batch(int64_t id)
{
	rfs_error_clear(&f.err);
	return rfs_part_job_run(f.idx, id, NULL, &f.err);
}

static void check_sub_purged(const struct rfs_entry *e)
{
	struct rfs_entry now = { 0 };
	struct listed l;

	cr_assert_not(in_bin("sub"));
	cr_assert_not(in_bin("sub/f000"));
	cr_assert(in_bin("a"));
	manifest_of(e, &l);
	cr_assert_not(l.has_sub, "the manifest still lists sub/");
	cr_assert(l.has_a);
	cr_assert_eq(l.rows, 2, "a and e are left: %d", l.rows);
	cr_assert_eq(l.files, 1);
	cr_assert_eq(l.bytes, 100);
	afx_get(&f, e->id, &now);
	cr_assert_eq(now.state, RFS_ENTRY_ARCHIVED);
	cr_assert_eq(now.files_total, 1);
	cr_assert_eq(now.bytes_total, 100);
	cr_assert_null(now.lease_owner, "the lease was not released");
	rfs_entry_release(&now);
	cr_assert_eq(queued(e->id), 0);
}

Test(core_part_job, queued_parts_stay_until_one_batch_purges_them)
{
	struct rfs_entry e = { 0 };
	struct listed l;
	unsigned long renames, unlinks;

	archived(&e);
	renames = rfs_mem_calls(f.bin_store, RFS_MEM_OP_RENAME);
	unlinks = rfs_mem_calls(f.bin_store, RFS_MEM_OP_UNLINK);
	queue_sub(&e);
	/* Queuing touches no storage. */
	cr_assert_eq(rfs_mem_calls(f.bin_store, RFS_MEM_OP_RENAME), renames);
	cr_assert_eq(rfs_mem_calls(f.bin_store, RFS_MEM_OP_UNLINK), unlinks);
	cr_assert(in_bin("sub/f000"));
	manifest_of(&e, &l);
	cr_assert(l.has_sub);
	cr_assert_eq(queued(e.id), N_SUB + 1);
	cr_assert_eq(run_batch(e.id), 0, "%s", f.err.msg);
	/* One manifest write (a temporary renamed into place) for the
	 * whole batch, one removal per part. */
	cr_assert_eq(rfs_mem_calls(f.bin_store, RFS_MEM_OP_RENAME) - renames,
		     1);
	cr_assert_eq(rfs_mem_calls(f.bin_store, RFS_MEM_OP_UNLINK) - unlinks,
		     N_SUB);
	check_sub_purged(&e);
	/* Nothing queued: nothing to run. */
	cr_assert_eq(run_batch(e.id), -ECANCELED);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_part_job, queue_refuses_what_rm_must_refuse)
{
	struct rfs_entry e = { 0 };

	archived(&e);
	/* A folder with something left in it. */
	cr_assert_eq(rfs_part_queue(f.idx, e.id, "sub", &f.err), -ENOTEMPTY);
	cr_assert(strstr(f.err.msg, "sub/f000"), "%s", f.err.msg);
	cr_assert_eq(queued(e.id), 0);
	/* An empty folder goes. */
	cr_assert_eq(rfs_part_queue(f.idx, e.id, "e", &f.err), 0, "%s",
		     f.err.msg);
	/* Queued already: gone, as a second rm finds it. */
	cr_assert_eq(rfs_part_queue(f.idx, e.id, "e", &f.err), -ENOENT);
	cr_assert_eq(rfs_part_queue(f.idx, e.id, "", &f.err), -EINVAL);
	cr_assert_eq(queued(e.id), 1);
	rfs_entry_release(&e);
	afx_close(&f);
}

static int count_due(void *ctx, int64_t id)
{
	(void)id;
	++*(int64_t *)ctx;
	return 0;
}

Test(core_part_job, a_failing_batch_keeps_its_rows_and_is_retried)
{
	struct rfs_index_part_status s = { 0 };
	struct rfs_entry e = { 0 };
	int64_t due = 0;

	archived(&e);
	queue_sub(&e);
	rfs_mem_fail_nth(f.bin_store, RFS_MEM_OP_UNLINK, 5, EIO);
	cr_assert_lt(run_batch(e.id), 0);
	rfs_mem_recover(f.bin_store);
	/* Every part not gone is still queued, with the reason. */
	cr_assert_eq(rfs_index_part_status(f.idx, e.id, &s, &f.err), 0);
	cr_assert_gt(s.queued, 0);
	cr_assert_eq(s.attempts, 1);
	cr_assert(s.reason && *s.reason);
	free(s.reason);
	cr_assert(in_bin("sub"));
	/* The entry itself stays archived and its lease free. */
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_ARCHIVED);
	/* Not due again at once; due after its wait. */
	cr_assert_eq(rfs_index_part_entries(f.idx, rfs_time_now_ns(), count_due,
					    &due, &f.err),
		     0);
	cr_assert_eq(due, 0);
	cr_assert_eq(rfs_index_part_entries(
			     f.idx, rfs_time_now_ns() + 61 * RFS_NSEC_PER_SEC,
			     count_due, &due, &f.err),
		     0);
	cr_assert_eq(due, 1);
	cr_assert_eq(run_batch(e.id), 0, "%s", f.err.msg);
	check_sub_purged(&e);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_part_job, a_whole_purge_takes_the_queued_parts_over)
{
	struct rfs_entry e = { 0 };

	archived(&e);
	queue_sub(&e);
	cr_assert_eq(rfs_purge_begin(f.idx, e.id, &f.err), 0, "%s", f.err.msg);
	cr_assert_eq(queued(e.id), 0);
	cr_assert_eq(run_batch(e.id), -ECANCELED);
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_PURGED);
	cr_assert_not(in_bin("a"));
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_part_job, never_runs_beside_another_holder_of_the_lease)
{
	struct rfs_entry e = { 0 };
	bool taken = false;

	archived(&e);
	queue_sub(&e);
	cr_assert_eq(rfs_index_entry_lease(f.idx, e.id, NULL, "elsewhere:1:1",
					   rfs_time_now_ns() + RFS_LEASE_TTL_NS,
					   &taken, &f.err),
		     0);
	cr_assert(taken);
	cr_assert_eq(run_batch(e.id), -EBUSY);
	cr_assert(in_bin("sub/f000"));
	cr_assert_eq(queued(e.id), N_SUB + 1);
	/* Its owner gone (the lease expired): the batch runs. */
	cr_assert_eq(rfs_index_entry_lease(f.idx, e.id, "elsewhere:1:1",
					   "elsewhere:1:1", 1, &taken, &f.err),
		     0);
	cr_assert_eq(run_batch(e.id), 0, "%s", f.err.msg);
	check_sub_purged(&e);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* A crash after the manifest was written but before the rows went (the
 * index write fails): the rerun finishes, and the entry is the same. */
Test(core_part_job, a_rerun_after_a_half_done_batch_finishes_it)
{
	struct rfs_entry e = { 0 };

	archived(&e);
	queue_sub(&e);
	/* Half of it purged by hand, as a killed batch leaves it: the
	 * copies gone, the rows still queued. */
	for (int i = 0; i < N_SUB / 2; i++) {
		char key[256];

		snprintf(key, sizeof(key), AFX_E "/dt=1/sub/f%03d", i);
		cr_assert_eq(rfs_backend_unlink(f.bin, key), 0);
	}
	cr_assert_eq(run_batch(e.id), 0, "%s", f.err.msg);
	check_sub_purged(&e);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* rm of parts, then a restore of the entry before any worker ran: the
 * restore purges the queued parts first and restores what is left. */
Test(core_part_job, a_restore_purges_the_queued_parts_first)
{
	struct rfs_restore_target to = { 0 };
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	struct stat st;

	archived(&e);
	queue_sub(&e);
	cr_assert_eq(rfs_restore_begin(f.idx, AFX_E "/dt=1", &to, false, NULL,
				       &r, &f.err),
		     0, "%s", f.err.msg);
	cr_assert_eq(rfs_restore_run(f.idx, r.id, NULL, &f.err), 0, "%s",
		     f.err.msg);
	check_sub_purged(&e);
	cr_assert(afx_holds(f.src, "dt=1/a", afx_node(&f, "dt=1/a")));
	cr_assert_eq(rfs_backend_stat(f.src, "dt=1/sub", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(f.src, "dt=1/sub/f000", &st), -ENOENT);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	afx_close(&f);
}

static int count_missing(void *ctx, const struct rfs_entry_file *row)
{
	if (*row->path && !in_bin(row->path))
		++*(int *)ctx;
	return 0;
}

/* How many rows of the manifest of @p e name nothing in storage. */
static int listed_missing(const struct rfs_entry *e)
{
	int n = 0;

	afx_manifest_rows(&f, e, count_missing, &n, NULL, NULL);
	return n;
}

/*
 * The engine's sweeps (sweep.h), as every other kind has them: every kind
 * of storage call of a batch failed at each of its calls, and the bin's
 * store crashed at every call of a batch. A sweep job owns its fixture
 * (j->f); the helpers above work on the file's f, so each callback takes
 * the fixture over for its span and hands it back.
 */
static const struct sweep_target part_targets[] = {
	{ AFX_SPLIT, true, "bin store" },
};

static void take(struct sweep_job *j)
{
	f = j->f;
}

static void give(struct sweep_job *j)
{
	j->f = f;
}

/* An archived entry with dt=1/sub (20 files and the folder) queued. */
static void parts_prepare(struct sweep_job *j)
{
	n_sub = 20;
	archived(&j->e);
	queue_sub(&j->e);
	j->id = j->e.id;
	give(j);
}

static int parts_run(struct sweep_job *j)
{
	int r;

	take(j);
	r = run_batch(j->id);
	give(j);
	return r;
}

/* A batch that failed or died: its rows are still queued, and every part
 * the manifest lists is still in recycle storage (nothing claimed that
 * is gone). */
static void parts_failed(struct sweep_job *j, int r, const char *when)
{
	take(j);
	cr_assert_gt(queued(j->id), 0, "%s: failed (%d) with nothing queued",
		     when, r);
	cr_assert_eq(listed_missing(&j->e), 0,
		     "%s: the manifest lists parts "
		     "no longer stored",
		     when);
	give(j);
}

static void parts_crashed(struct sweep_job *j, const char *when)
{
	take(j);
	cr_assert_eq(listed_missing(&j->e), 0,
		     "%s: the manifest lists parts "
		     "no longer stored",
		     when);
	give(j);
}

/* The next batch ends where a batch without faults ends. */
static void parts_finish(struct sweep_job *j, const char *when)
{
	int r;

	take(j);
	if (queued(j->id) > 0) {
		r = run_batch(j->id);
		cr_assert_eq(r, 0, "%s: rerun %d %s", when, r, f.err.msg);
	}
	check_sub_purged(&j->e);
	give(j);
}

static const struct sweep_kind parts_kind = {
	.name = "purge of parts",
	.targets = part_targets,
	.n_targets = sizeof(part_targets) / sizeof(part_targets[0]),
	.prepare = parts_prepare,
	.run = parts_run,
	.failed = parts_failed,
	.crashed = parts_crashed,
	.finish = parts_finish,
};

Test(core_part_job, a_batch_failed_at_any_storage_call_ends_the_same)
{
	int runs = 0;

	for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
		runs += sweep_faults(&parts_kind, (enum rfs_mem_op)op);
	fprintf(stderr, "purge of parts: %d faulty runs\n", runs);
	cr_assert_gt(runs, 10);
}

Test(core_part_job, a_batch_resumes_after_a_crash_at_any_call)
{
	int points = sweep_crashes(&parts_kind, &part_targets[0]);

	fprintf(stderr, "purge of parts: %d crash points\n", points);
	cr_assert_gt(points, 10);
}
