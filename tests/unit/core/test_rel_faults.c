/*
 * The relational kinds (core/kind_rel.c: archive, restore and purge of a
 * table whose storage runs the steps) under faults and crashes, through
 * the sweep harness (sweep.h), on the memory relational backend
 * (memrel://, backends/memory/rel.c): every kind of store call the steps
 * make fails once at each of its first calls, and a crash (every call
 * failing from the Nth on) is simulated at points spread over a run.
 * After every run the rows are never lost: the source table holds its
 * rows or the verified copy does (never neither), no table is half
 * made, the job's recorded state is true, and the rerun ends with the
 * very rows the table had.
 */
#include "sweep.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/archive.h"
#include "core/edit.h"
#include "model/date.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/sha256.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Steps cut by a fault are run again at once, not after a second. */
__attribute__((constructor)) static void fast_retries(void)
{
	setenv("RECYCLEFS_TEST_REL_PAUSE_MS", "0", 1);
}

static void need_hooks(void)
{
#ifndef RFS_TEST_HOOKS
	cr_skip_test("the relational sweeps need a build with "
		     "-Dtest_hooks=true (a retried step waits 1 s otherwise)");
#endif
}

TestSuite(core_rel_faults, .init = need_hooks, .timeout = 600);

#define ITEM  "p1"
#define OTHER "p2"
#define ROWS  200

static const struct sweep_target targets[] = {
	{ AFX_SHARED, false, "store" },
};

static unsigned int fixtures;

/* Runs that ended in a recorded failure (the rest were finished by the
 * retry of the step cut short, or never reached the failing call). */
static int failures;

/* The rows of table @p name, as made. */
static char *rows_of(const char *name)
{
	size_t cap = ROWS * 64, len = 0;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	for (int i = 0; i < ROWS; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"%d\t%s\t2013-01-%02d\t%d.50\n", i,
					name, 1 + i % 28, i * 7);
	return s;
}

/* File @p key of @p b, or NULL when there is none. */
static char *slurp(struct rfs_backend *b, const char *key)
{
	struct rfs_file *f;
	struct stat st;
	char *buf;
	ssize_t n;

	if (rfs_backend_open_file(b, key, O_RDONLY, 0, &f) < 0)
		return NULL;
	cr_assert_eq(rfs_file_stat(f, &st), 0);
	buf = calloc(1, (size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	n = st.st_size ? rfs_file_read(f, buf, (size_t)st.st_size, 0) : 0;
	cr_assert_eq(n, st.st_size, "read %s", key);
	rfs_file_close(f);
	return buf;
}

static void spill(struct rfs_backend *b, const char *key, const char *text)
{
	struct rfs_file *f;

	cr_assert_eq(
		rfs_backend_open_file(b, key, O_WRONLY | O_CREAT, 0644, &f), 0,
		"%s", key);
	cr_assert_eq(rfs_file_write(f, text, strlen(text), 0),
		     (ssize_t)strlen(text));
	cr_assert_eq(rfs_file_close(f), 0);
}

/* A partition of the parent "orders", attached, with its rows. */
static void make_table(struct afx *f, const char *name, int month)
{
	char key[128], bound[128], *rows = rows_of(name);

	cr_assert_eq(rfs_backend_mkdir(f->src, name, 0755), 0);
	snprintf(key, sizeof(key), "%s/rows", name);
	spill(f->src, key, rows);
	snprintf(key, sizeof(key), "%s/ddl", name);
	spill(f->src, key,
	      "CREATE TABLE (id int, who text, day date, "
	      "amount numeric)\n");
	snprintf(key, sizeof(key), "%s/parent", name);
	spill(f->src, key, "orders\n");
	snprintf(key, sizeof(key), "%s/bound", name);
	snprintf(bound, sizeof(bound),
		 "FOR VALUES FROM ('2013-%02d-01') TO ('2013-%02d-01')\n",
		 month, month + 1);
	spill(f->src, key, bound);
	snprintf(key, sizeof(key), "%s/attached", name);
	spill(f->src, key, "orders\n");
	free(rows);
}

static struct rfs_backend *open_uri(const char *uri)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_mem_opener.open(uri, &b, &err), 0, "%s: %s", uri,
		     err.msg);
	return b;
}

/* An index with one memrel storage, the fixture's table, lifecycle and
 * epoch (the partitioned table "orders" of schema "public"), and two
 * partitions in it. */
static void rel_open(struct afx *f)
{
	char uri[160];
	int32_t from;

	memset(f, 0, sizeof(*f));
	fixtures++;
	snprintf(f->store, sizeof(f->store), "rel%d-%u", (int)getpid(),
		 fixtures);
	snprintf(f->db, sizeof(f->db), ":memory:%s", f->store);
	snprintf(f->bin_uri, sizeof(f->bin_uri), "memrel://%s/recyclebin",
		 f->store);
	cr_assert_eq(rfs_index_open(f->db, RFS_INDEX_CREATE, &f->idx, &f->err),
		     0, "%s", f->err.msg);
	snprintf(uri, sizeof(uri), "memrel://%s/public", f->store);
	cr_assert_eq(rfs_edit_storage_add(f->idx, "pg", uri, NULL, &f->err), 0,
		     "%s", f->err.msg);
	cr_assert_eq(rfs_edit_table_add(f->idx, AFX_TABLE, NULL, 0, &f->err), 0,
		     "%s", f->err.msg);
	cr_assert_eq(
		rfs_edit_lifecycle_add(f->idx, AFX_TABLE, AFX_LC, -1, &f->err),
		0, "%s", f->err.msg);
	cr_assert_eq(rfs_date_parse("from", "2013-01-01", &from, &f->err), 0);
	snprintf(uri, sizeof(uri), "memrel://%s/public/orders", f->store);
	f->src = open_uri(uri);
	cr_assert_eq(rfs_edit_epoch_add(f->idx, AFX_TABLE, AFX_LC, from,
					RFS_DATE_NOW, "pg", "orders", 0,
					&f->err),
		     0, "%s", f->err.msg);
	f->bin = open_uri(f->bin_uri);
	make_table(f, ITEM, 1);
	make_table(f, OTHER, 2);
}

/* The copy's folder in the recycle location. */
static const char *copy_of(const struct rfs_entry *e)
{
	static char name[64];

	snprintf(name, sizeof(name), ITEM "_%.8s", e->uuid);
	return name;
}

/* True when folder @p dir of @p b holds the rows of @p name as made. */
static bool holds_rows(struct rfs_backend *b, const char *dir, const char *name)
{
	char key[160], *have, *want = rows_of(name);
	bool same;

	snprintf(key, sizeof(key), "%s/rows", dir);
	have = slurp(b, key);
	same = have && !strcmp(have, want);
	free(have);
	free(want);
	return same;
}

/* The state of the copy's manifest row, "" when it has none. */
static void manifest_state(struct afx *f, const struct rfs_entry *e, char *out,
			   size_t n)
{
	char key[160], *m, *s;

	snprintf(key, sizeof(key), "%s/manifest", copy_of(e));
	m = slurp(f->bin, key);
	s = m ? strstr(m, "state=") : NULL;
	snprintf(out, n, "%.*s", s ? (int)strcspn(s + 6, "\n") : 0,
		 s ? s + 6 : "");
	free(m);
}

/* @p b's folder @p dir exists. */
static bool has(struct rfs_backend *b, const char *dir)
{
	struct stat st;
	int r = rfs_backend_stat(b, dir, &st);

	cr_assert(r == 0 || r == -ENOENT, "stat %s: %d", dir, r);
	return r == 0;
}

/* A table as made: its rows, attached to its parent. */
static void check_table(struct rfs_backend *b, const char *dir,
			const char *name, const char *when)
{
	char key[160];

	cr_assert(holds_rows(b, dir, name), "%s: table %s lost rows", when,
		  dir);
	snprintf(key, sizeof(key), "%s/attached", dir);
	cr_assert(has(b, key), "%s: %s is not attached", when, dir);
}

/* The guarantee: the rows are in the source or in a verified copy. */
static void check_no_loss(struct afx *f, const struct rfs_entry *e,
			  const char *when)
{
	char state[32];

	manifest_state(f, e, state, sizeof(state));
	if (holds_rows(f->src, ITEM, ITEM))
		return;
	cr_assert(!has(f->src, ITEM), "%s: a partial source table", when);
	cr_assert(holds_rows(f->bin, copy_of(e), ITEM),
		  "%s: the source is gone and the copy lacks its rows", when);
	cr_assert(strcmp(state, "") && strcmp(state, "copied"),
		  "%s: the source is gone and the copy is %s", when,
		  *state ? state : "without a manifest");
}

struct dots {
	char found[128];
};

static int find_dot(void *ctx, const char *name, const struct stat *st)
{
	struct dots *d = ctx;

	(void)st;
	if (*name == '.' && !*d->found)
		snprintf(d->found, sizeof(d->found), "%s", name);
	return 0;
}

/* No temporary of a step left in the recycle location or the schema. */
static void no_tmp(struct afx *f, const char *when)
{
	struct dots d = { { 0 } };
	int r = rfs_backend_list(f->bin, "", find_dot, &d);

	cr_assert(r == 0 || r == -ENOENT);
	cr_assert_eq(rfs_backend_list(f->src, "", find_dot, &d), 0);
	cr_assert_eq(*d.found, '\0', "%s: temporary %s left", when, d.found);
}

/* ----------------------------------------------------------- the archive */

static void archive_prepare(struct sweep_job *j)
{
	rel_open(&j->f);
	afx_begin(&j->f, ITEM, &j->e);
	j->id = j->e.id;
}

static int archive_run(struct sweep_job *j)
{
	return afx_run(&j->f, j->id, NULL);
}

static void archive_failed(struct sweep_job *j, int r, const char *when)
{
	struct rfs_entry got = { 0 };
	failures++;

	afx_get(&j->f, j->id, &got);
	cr_assert_eq(got.state, RFS_ENTRY_FAILED, "%s: %d gave state %s", when,
		     r, rfs_entry_state_name(got.state));
	cr_assert_not_null(got.reason, "%s: no reason", when);
	cr_assert_null(got.lease_owner, "%s: lease kept", when);
	rfs_entry_release(&got);
	check_no_loss(&j->f, &j->e, when);
	check_table(j->f.src, OTHER, OTHER, when);
}

static void archive_crashed(struct sweep_job *j, const char *when)
{
	check_no_loss(&j->f, &j->e, when);
	check_table(j->f.src, OTHER, OTHER, when);
}

static void archive_finish(struct sweep_job *j, const char *when)
{
	char state[32];

	afx_finish(&j->f, j->id);
	cr_assert(!has(j->f.src, ITEM), "%s: the source is left", when);
	cr_assert(holds_rows(j->f.bin, copy_of(&j->e), ITEM),
		  "%s: the copy lacks rows", when);
	manifest_state(&j->f, &j->e, state, sizeof(state));
	cr_assert_str_eq(state, "archived", "%s", when);
	check_table(j->f.src, OTHER, OTHER, when);
	no_tmp(&j->f, when);
}

static const struct sweep_kind archive_kind = {
	.name = "relational archive",
	.targets = targets,
	.n_targets = 1,
	.prepare = archive_prepare,
	.run = archive_run,
	.failed = archive_failed,
	.crashed = archive_crashed,
	.finish = archive_finish,
};

/* ------------------------------------------------------------ the restore */

static void restore_prepare(struct sweep_job *j)
{
	struct rfs_restore r = { 0 };

	archive_prepare(j);
	cr_assert_eq(afx_run(&j->f, j->id, NULL), 0, "%s", j->f.err.msg);
	cr_assert_eq(rfs_restore_begin(j->f.idx, AFX_E "/" ITEM, NULL, false,
				       NULL, &r, &j->f.err),
		     0, "%s", j->f.err.msg);
	j->id = r.id;
	rfs_restore_release(&r);
}

static int restore_run(struct sweep_job *j)
{
	rfs_error_clear(&j->f.err);
	return rfs_restore_run(j->f.idx, j->id, NULL, &j->f.err);
}

/* The copy whole and archived; the target absent or whole. */
static void restore_crashed(struct sweep_job *j, const char *when)
{
	char state[32];

	cr_assert(holds_rows(j->f.bin, copy_of(&j->e), ITEM),
		  "%s: the copy lost rows", when);
	manifest_state(&j->f, &j->e, state, sizeof(state));
	cr_assert_str_eq(state, "archived", "%s", when);
	if (has(j->f.src, ITEM))
		cr_assert(holds_rows(j->f.src, ITEM, ITEM),
			  "%s: a partial table at the target", when);
	check_table(j->f.src, OTHER, OTHER, when);
}

static void restore_failed(struct sweep_job *j, int rc, const char *when)
{
	struct rfs_restore r = { 0 };
	failures++;

	cr_assert_eq(rfs_index_restore_get(j->f.idx, j->id, &r, &j->f.err), 0);
	cr_assert_eq(r.state, RFS_RESTORE_FAILED, "%s: %d gave %s", when, rc,
		     rfs_restore_state_name(r.state));
	cr_assert_not_null(r.reason, "%s: no reason", when);
	cr_assert_null(r.lease_owner, "%s: lease kept", when);
	rfs_restore_release(&r);
	restore_crashed(j, when);
}

/* A failed restore is run again as a new one: it finishes. */
static void restore_finish(struct sweep_job *j, const char *when)
{
	struct rfs_restore r = { 0 };

	cr_assert_eq(rfs_index_restore_get(j->f.idx, j->id, &r, &j->f.err), 0);
	if (r.state != RFS_RESTORE_DONE) {
		cr_assert_eq(r.state, RFS_RESTORE_FAILED, "%s: %s", when,
			     rfs_restore_state_name(r.state));
		rfs_restore_release(&r);
		cr_assert_eq(rfs_restore_begin(j->f.idx, AFX_E "/" ITEM, NULL,
					       false, NULL, &r, &j->f.err),
			     0, "%s: %s", when, j->f.err.msg);
		j->id = r.id;
		cr_assert_eq(restore_run(j), 0, "%s, then rerun: %s", when,
			     j->f.err.msg);
	}
	rfs_restore_release(&r);
	check_table(j->f.src, ITEM, ITEM, when);
	cr_assert(holds_rows(j->f.bin, copy_of(&j->e), ITEM),
		  "%s: the copy lost rows", when);
	check_table(j->f.src, OTHER, OTHER, when);
	no_tmp(&j->f, when);
}

static const struct sweep_kind restore_kind = {
	.name = "relational restore",
	.targets = targets,
	.n_targets = 1,
	.prepare = restore_prepare,
	.run = restore_run,
	.failed = restore_failed,
	.crashed = restore_crashed,
	.finish = restore_finish,
};

/* -------------------------------------------------------------- the purge */

static void purge_prepare(struct sweep_job *j)
{
	struct rfs_error err = { 0 };

	archive_prepare(j);
	cr_assert_eq(afx_run(&j->f, j->id, NULL), 0, "%s", j->f.err.msg);
	cr_assert_eq(rfs_purge_begin(j->f.idx, j->id, &err), 0, "%s", err.msg);
}

/* The copy is whole or gone, never half; the source stays gone. */
static void purge_crashed(struct sweep_job *j, const char *when)
{
	char state[32];

	manifest_state(&j->f, &j->e, state, sizeof(state));
	if (*state) {
		cr_assert_str_eq(state, "archived", "%s", when);
		cr_assert(holds_rows(j->f.bin, copy_of(&j->e), ITEM),
			  "%s: a listed copy lost rows", when);
	} else {
		cr_assert(!has(j->f.bin, copy_of(&j->e)),
			  "%s: a copy without its manifest", when);
	}
	cr_assert(!has(j->f.src, ITEM), "%s: the source is back", when);
	check_table(j->f.src, OTHER, OTHER, when);
}

static void purge_failed(struct sweep_job *j, int r, const char *when)
{
	struct rfs_entry got = { 0 };
	failures++;

	afx_get(&j->f, j->id, &got);
	cr_assert_eq(got.state, RFS_ENTRY_PURGING, "%s: %d, state %s", when, r,
		     rfs_entry_state_name(got.state));
	cr_assert_not_null(got.reason, "%s: no reason", when);
	rfs_entry_release(&got);
	purge_crashed(j, when);
}

static void purge_finish(struct sweep_job *j, const char *when)
{
	struct stat st;
	int r;

	if (afx_state(&j->f, j->id) == RFS_ENTRY_PURGING) {
		r = afx_run(&j->f, j->id, NULL);
		cr_assert_eq(r, 0, "%s: rerun %d %s", when, r, j->f.err.msg);
	}
	cr_assert_eq(afx_state(&j->f, j->id), RFS_ENTRY_PURGED, "%s", when);
	cr_assert_eq(rfs_backend_stat(j->f.bin, copy_of(&j->e), &st), -ENOENT,
		     "%s: the copy is left", when);
	cr_assert(!has(j->f.src, ITEM), "%s: the source is back", when);
	check_table(j->f.src, OTHER, OTHER, when);
	no_tmp(&j->f, when);
}

static const struct sweep_kind purge_kind = {
	.name = "relational purge",
	.targets = targets,
	.n_targets = 1,
	.prepare = purge_prepare,
	.run = archive_run,
	.failed = purge_failed,
	.crashed = purge_crashed,
	.finish = purge_finish,
};

/* ------------------------------------------------------------- the sweeps */

/* Every kind of call a clean run makes, failed at each point, twice:
 * with the step cut short run again at once (as after a lost
 * connection), and with the job failing there (recorded, then retried).
 * At least @p least runs each way. */
static int sweep_all(const struct sweep_kind *k, int least)
{
	unsigned long n[RFS_MEM_OP_COUNT];
	int runs[2] = { 0, 0 }, failed = 0;

	sweep_clean_calls(k, n);
	for (int once = 0; once < 2; once++) {
		setenv("RECYCLEFS_TEST_REL_ATTEMPTS", once ? "1" : "5", 1);
		failures = 0;
		for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
			if (n[op])
				runs[once] +=
					sweep_faults(k, (enum rfs_mem_op)op);
		failed += failures;
		cr_assert_geq(runs[once], least, "%s: only %d faulty runs",
			      k->name, runs[once]);
	}
	unsetenv("RECYCLEFS_TEST_REL_ATTEMPTS");
	fprintf(stderr,
		"%s: %d faulty runs (%d with the step retried, %d with the "
		"job failing there: %d failed and were retried)\n",
		k->name, runs[0] + runs[1], runs[0], runs[1], failed);
	cr_assert_geq(failed, runs[1] / 2, "%s: the faults failed only %d jobs",
		      k->name, failed);
	return runs[0] + runs[1];
}

static int crash_all(const struct sweep_kind *k)
{
	int points;

	failures = 0;
	points = sweep_crashes(k, &targets[0]);
	fprintf(stderr, "%s: %d crash points\n", k->name, points);
	cr_assert_gt(points, 20, "%s: only %d crash points", k->name, points);
	return points;
}

Test(core_rel_faults, archive_survives_failing_calls)
{
	sweep_all(&archive_kind, 90);
}

Test(core_rel_faults, archive_resumes_after_a_crash_at_any_call)
{
	crash_all(&archive_kind);
}

Test(core_rel_faults, restore_survives_failing_calls)
{
	sweep_all(&restore_kind, 70);
}

Test(core_rel_faults, restore_resumes_after_a_crash_at_any_call)
{
	crash_all(&restore_kind);
}

Test(core_rel_faults, purge_survives_failing_calls)
{
	sweep_all(&purge_kind, 20);
}

Test(core_rel_faults, purge_resumes_after_a_crash_at_any_call)
{
	crash_all(&purge_kind);
}

/* A clean archive makes reads, writes, renames and removals, so the
 * sweeps above cut the steps at every kind of change they make. */
Test(core_rel_faults, a_clean_archive_makes_every_kind_of_change)
{
	static const enum rfs_mem_op ops[] = {
		RFS_MEM_OP_STAT,   RFS_MEM_OP_LIST,  RFS_MEM_OP_OPEN,
		RFS_MEM_OP_READ,   RFS_MEM_OP_WRITE, RFS_MEM_OP_CLOSE,
		RFS_MEM_OP_MKDIR,  RFS_MEM_OP_RMDIR, RFS_MEM_OP_UNLINK,
		RFS_MEM_OP_RENAME,
	};
	unsigned long n[RFS_MEM_OP_COUNT];

	sweep_clean_calls(&archive_kind, n);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		cr_assert_gt(n[ops[i]], 0, "no %s calls",
			     sweep_op_name(ops[i]));
}
