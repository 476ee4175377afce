/*
 * The restore kind under faults, through the sweep harness (sweep.h) as
 * archives and purges: every kind of storage call a restore makes fails
 * once at each of its first calls (up to 30 points per kind), on a bin sharing
 * the target's store, on a bin of its own (reads fail) and on the target's
 * store when the bin has its own (writes fail). After every failed run the
 * recycle copy is intact, every file at the target is absent or complete with
 * its checksum, no temporary is left and the reason says what is at the target;
 * a rerun of the restore then finishes it, every file restored with its bytes,
 * mode and mtime. A crash at any call is survived the same way. A rerun
 * while the restore waits to resume joins it.
 */
#include "sweep.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/restore.h"
#include "index/restores.h"
#include "util/path.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

TestSuite(core_restore_faults, .timeout = 600);

#define ITEM "dt=1"

/* Where faults go. */
static const struct sweep_target targets[] = {
	{ AFX_SHARED, false, "shared store" },
	{ AFX_SPLIT, true, "bin store" },
	{ AFX_SPLIT, false, "target store" },
};

/* A fixture with ITEM archived. */
static void prepare(struct afx *f, const struct sweep_target *t,
		    struct rfs_entry *e)
{
	afx_open(f, t->layout);
	afx_tree(f, ITEM);
	afx_specials(f, ITEM); /* made again by the restore */
	afx_settle(f);
	afx_archive(f, ITEM, e);
}

/* Record a restore of ITEM to its original place. @return its id */
static int64_t begin(struct afx *f, bool *joined)
{
	struct rfs_restore r = { 0 };
	int64_t id;

	cr_assert_eq(rfs_restore_begin(f->idx, AFX_E "/" ITEM, NULL, false,
				       NULL, &r, &f->err),
		     0, "%s", f->err.msg);
	id = r.id;
	if (joined)
		*joined = r.joined;
	rfs_restore_release(&r);
	return id;
}

static int run(struct afx *f, int64_t id)
{
	rfs_error_clear(&f->err);
	return rfs_restore_run(f->idx, id, NULL, &f->err);
}

/* No ".rfs-tmp.*" below @p key of @p b. */
static int find_tmp(void *ctx, const char *name, const struct stat *st);

struct walk {
	struct rfs_backend *b;
	char dir[256];
	char found[256];
};

static void walk_dir(struct walk *w)
{
	int r = rfs_backend_list(w->b, w->dir, find_tmp, w);

	cr_assert(r == 0 || r == -ENOENT, "list '%s': %d", w->dir, r);
}

static int find_tmp(void *ctx, const char *name, const struct stat *st)
{
	struct walk *w = ctx;
	struct walk sub = { .b = w->b };

	if (!strncmp(name, ".rfs-tmp.", 9) && !*w->found)
		snprintf(w->found, sizeof(w->found), "%.120s/%.120s", w->dir,
			 name);
	if (S_ISDIR(st->st_mode)) {
		snprintf(sub.dir, sizeof(sub.dir), "%.120s%s%.120s", w->dir,
			 *w->dir ? "/" : "", name);
		walk_dir(&sub);
		if (!*w->found)
			memcpy(w->found, sub.found, sizeof(w->found));
	}
	return 0;
}

static void no_tmp(struct rfs_backend *b, const char *when)
{
	struct walk w = { .b = b };

	walk_dir(&w);
	cr_assert_eq(w.found[0], '\0', "%s: temporary '%s' left", when,
		     w.found);
}

/* After a failure or a crash: the recycle copy whole, each file at the
 * target absent or complete. */
static void check_partial(struct afx *f, const struct rfs_entry *e,
			  const char *when)
{
	char have[RFS_SHA256_HEX_LEN], key[512];
	struct stat st;

	for (size_t i = 0; i < f->n; i++) {
		const struct afx_node *n = &f->nodes[i];

		if (n->type != RFS_FILE_REG ||
		    !rfs_path_is_under(n->path, ITEM))
			continue;
		snprintf(key, sizeof(key), "%s/%s", e->bin_path,
			 n->path + strlen(ITEM) + 1);
		cr_assert_eq(afx_hash(f->bin, key, have), 0,
			     "%s: recycle copy '%s' unreadable", when, key);
		cr_assert_str_eq(have, n->sha, "%s: recycle copy '%s'", when,
				 key);
		if (rfs_backend_stat(f->src, n->path, &st) == -ENOENT)
			continue;
		cr_assert_eq(afx_hash(f->src, n->path, have), 0, "%s: %s", when,
			     n->path);
		cr_assert_str_eq(have, n->sha,
				 "%s: a partial '%s' at the target", when,
				 n->path);
	}
}

/* After a failure: also no temporary left (the job removed its own). */
static void check_failed(struct afx *f, const struct rfs_entry *e,
			 const char *when)
{
	check_partial(f, e, when);
	no_tmp(f->src, when);
}

static void restore_prepare(struct sweep_job *j)
{
	prepare(&j->f, j->t, &j->e);
	j->id = begin(&j->f, NULL);
}

static int restore_run(struct sweep_job *j)
{
	return run(&j->f, j->id);
}

static void restore_failed(struct sweep_job *j, int rc, const char *when)
{
	struct rfs_restore r = { 0 };

	cr_assert_eq(rfs_index_restore_get(j->f.idx, j->id, &r, &j->f.err), 0);
	cr_assert_eq(r.state, RFS_RESTORE_FAILED, "%s: %d gave %s", when, rc,
		     rfs_restore_state_name(r.state));
	cr_assert_not_null(r.reason, "%s: no reason", when);
	if (r.failed_step >= RFS_RESTORE_COPY)
		cr_assert_not_null(strstr(r.reason, "at the target: "),
				   "%s: %s", when, r.reason);
	cr_assert_null(r.lease_owner, "%s: lease kept", when);
	rfs_restore_release(&r);
	check_failed(&j->f, &j->e, when);
}

/* A failed restore is run again as a new one: it finishes. */
static void restore_finish(struct sweep_job *j, const char *when)
{
	struct rfs_restore r = { 0 };

	cr_assert_eq(rfs_index_restore_get(j->f.idx, j->id, &r, &j->f.err), 0);
	if (r.state == RFS_RESTORE_FAILED) {
		j->id = begin(&j->f, NULL);
		cr_assert_eq(run(&j->f, j->id), 0, "%s, then rerun: %s", when,
			     j->f.err.msg);
	} else {
		cr_assert_eq(r.state, RFS_RESTORE_DONE, "%s: %s", when,
			     rfs_restore_state_name(r.state));
	}
	rfs_restore_release(&r);
	afx_check_source(&j->f, ITEM);
	no_tmp(j->f.src, when);
}

static void restore_crashed(struct sweep_job *j, const char *when)
{
	check_partial(&j->f, &j->e, when);
}

static const struct sweep_kind restore_kind = {
	.name = "restore",
	.targets = targets,
	.n_targets = sizeof(targets) / sizeof(targets[0]),
	.prepare = restore_prepare,
	.run = restore_run,
	.failed = restore_failed,
	.crashed = restore_crashed,
	.finish = restore_finish,
};

static void faults_of(enum rfs_mem_op op)
{
	sweep_faults(&restore_kind, op);
}

Test(core_restore_faults, survives_failing_stat)
{
	faults_of(RFS_MEM_OP_STAT);
}

Test(core_restore_faults, survives_failing_list)
{
	faults_of(RFS_MEM_OP_LIST);
}

Test(core_restore_faults, survives_failing_open)
{
	faults_of(RFS_MEM_OP_OPEN);
}

Test(core_restore_faults, survives_failing_read)
{
	faults_of(RFS_MEM_OP_READ);
}

Test(core_restore_faults, survives_failing_write)
{
	faults_of(RFS_MEM_OP_WRITE);
}

Test(core_restore_faults, survives_failing_close)
{
	faults_of(RFS_MEM_OP_CLOSE);
}

Test(core_restore_faults, survives_failing_mkdir)
{
	faults_of(RFS_MEM_OP_MKDIR);
}

Test(core_restore_faults, survives_failing_unlink)
{
	faults_of(RFS_MEM_OP_UNLINK);
}

Test(core_restore_faults, survives_failing_rename)
{
	faults_of(RFS_MEM_OP_RENAME);
}

Test(core_restore_faults, survives_failing_meta)
{
	faults_of(RFS_MEM_OP_META);
}

Test(core_restore_faults, survives_failing_copy)
{
	faults_of(RFS_MEM_OP_COPY);
}

/* A failed sync (syncfs) of a batch of copies: the batch is not recorded
 * as done, and a retry makes it durable. */
Test(core_restore_faults, survives_failing_sync)
{
	faults_of(RFS_MEM_OP_SYNC);
}

Test(core_restore_faults, resumes_after_a_crash_at_any_call)
{
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		cr_assert_gt(sweep_crashes(&restore_kind, &targets[i]), 10);
}

/* A restore recorded and left (its process died: a lease of a dead
 * owner) is joined by the same restore run again, never doubled; a
 * restore of the same entry elsewhere is its own. */
Test(core_restore_faults, a_rerun_joins_the_restore_left_waiting)
{
	const struct sweep_target *t = &targets[0];
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	struct rfs_restore_target to = { .to = AFX_E "/elsewhere" };
	bool taken = false, joined = false;
	struct afx f;
	int64_t id, again;

	prepare(&f, t, &e);
	id = begin(&f, &joined);
	cr_assert_not(joined);
	cr_assert_eq(rfs_index_restore_lease(f.idx, id, NULL, afx_dead_owner(),
					     INT64_MAX, &taken, &f.err),
		     0);
	cr_assert(taken);
	again = begin(&f, &joined);
	cr_assert(joined, "a second restore of one target was recorded");
	cr_assert_eq(again, id);
	cr_assert_eq(rfs_restore_attach(f.idx, again, NULL, &f.err), 0, "%s",
		     f.err.msg);
	afx_check_source(&f, ITEM);
	cr_assert_eq(rfs_index_restore_get(f.idx, id, &r, &f.err), 0);
	cr_assert_eq(r.state, RFS_RESTORE_DONE);
	rfs_restore_release(&r);
	/* Another target: recorded beside it. */
	afx_dir(&f, "elsewhere", 0755);
	cr_assert_eq(rfs_restore_begin(f.idx, AFX_E "/" ITEM, &to, false, NULL,
				       &r, &f.err),
		     0, "%s", f.err.msg);
	cr_assert_not(r.joined);
	cr_assert_neq(r.id, id);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	afx_close(&f);
}
