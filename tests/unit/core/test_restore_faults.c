/*
 * core/restore under faults, as core/job for archives: every kind of
 * storage call a restore makes fails once at each of its first calls (up
 * to 30 points per kind), on a bin sharing the target's store, on a bin
 * of its own (reads fail) and on the target's store when the bin has its
 * own (writes fail). After every failed run the recycle copy is intact,
 * every file at the target is absent or complete with its checksum, no
 * temporary is left and the reason says what is at the target; a rerun
 * of the restore then finishes it, every file restored with its bytes,
 * mode and mtime. A rerun while the restore waits to resume joins it.
 */
#include "archive_fixture.h"

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

#define MAX_NTH 30
#define ITEM	"dt=1"

static const char *const op_names[RFS_MEM_OP_COUNT] = {
	"stat",	 "list",  "open",   "read",   "write", "close",
	"mkdir", "rmdir", "unlink", "rename", "meta",  "copy", "sync",
};

/* Where faults go. */
struct target {
	enum afx_layout layout;
	bool on_bin; /* the bin's own store (AFX_SPLIT) */
	const char *name;
};

static const struct target targets[] = {
	{ AFX_SHARED, false, "shared store" },
	{ AFX_SPLIT, true, "bin store" },
	{ AFX_SPLIT, false, "target store" },
};

static const char *store_of(const struct afx *f, const struct target *t)
{
	return t->on_bin ? f->bin_store : f->store;
}

/* A fixture with ITEM archived. */
static void prepare(struct afx *f, const struct target *t, struct rfs_entry *e)
{
	afx_open(f, t->layout);
	afx_tree(f, ITEM);
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

/* After a failure: the recycle copy whole, the target partial at most. */
static void check_failed(struct afx *f, const struct rfs_entry *e,
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
	no_tmp(f->src, when);
}

/* Fail the @p nth call of kind @p op once; check; rerun; check. */
static void one_fault(const struct target *t, enum rfs_mem_op op,
		      unsigned long nth)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	char when[160];
	struct afx f;
	int64_t id;
	int rc;

	snprintf(when, sizeof(when), "%s #%lu failing on the %s", op_names[op],
		 nth, t->name);
	prepare(&f, t, &e);
	id = begin(&f, NULL);
	rfs_mem_fail_nth(store_of(&f, t), op, nth, EIO);
	rc = run(&f, id);
	rfs_mem_recover(store_of(&f, t));
	cr_assert_eq(rfs_index_restore_get(f.idx, id, &r, &f.err), 0);
	if (rc == 0) {
		cr_assert_eq(r.state, RFS_RESTORE_DONE, "%s", when);
	} else {
		cr_assert_eq(r.state, RFS_RESTORE_FAILED, "%s: %d gave %s",
			     when, rc, rfs_restore_state_name(r.state));
		cr_assert_not_null(r.reason, "%s: no reason", when);
		if (r.failed_step >= RFS_RESTORE_COPY)
			cr_assert_not_null(strstr(r.reason, "at the target: "),
					   "%s: %s", when, r.reason);
		check_failed(&f, &e, when);
		/* The rerun: a new restore, as the first one failed. */
		id = begin(&f, NULL);
		cr_assert_eq(run(&f, id), 0, "%s, then rerun: %s", when,
			     f.err.msg);
	}
	rfs_restore_release(&r);
	afx_check_source(&f, ITEM);
	no_tmp(f.src, when);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* Calls of kind @p op a clean restore makes on @p t's store. */
static unsigned long clean_calls(const struct target *t, enum rfs_mem_op op)
{
	struct rfs_entry e = { 0 };
	unsigned long before, n;
	struct afx f;
	int64_t id;

	prepare(&f, t, &e);
	id = begin(&f, NULL);
	before = rfs_mem_calls(store_of(&f, t), op);
	cr_assert_eq(run(&f, id), 0, "%s", f.err.msg);
	n = rfs_mem_calls(store_of(&f, t), op) - before;
	afx_check_source(&f, ITEM);
	rfs_entry_release(&e);
	afx_close(&f);
	return n;
}

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
	cr_log_info("restore, %s: %d faulty runs", op_names[op], runs);
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

/* A restore recorded and left (its process died: a lease of a dead
 * owner) is joined by the same restore run again, never doubled; a
 * restore of the same entry elsewhere is its own. */
Test(core_restore_faults, a_rerun_joins_the_restore_left_waiting)
{
	const struct target *t = &targets[0];
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
