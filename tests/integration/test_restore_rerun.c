/*
 * One restore per target: a rerun of a restore joins the one that runs or
 * waits to resume, through a real mount killed with SIGKILL in the middle
 * of it and between two commands started at once; a failed restore cleans
 * its temporaries and says which files are at the target; purge (and rm
 * -rf in a mount) refuses an entry whose latest restore failed or is
 * unfinished, unless --force.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/fixture.h"
#include "tests/support/kill_sweep.h"

static struct rfs_test_mount m;
static struct rfs_test_out out;

#define EP   "t/l/2001-01-01..2010-01-01"
#define P    EP "/dt=1"
#define BIN  ".recyclebin/" P
#define SRC  "data/orders/b1/dt=1"
#define P2   EP "/dt=2"
#define BIN2 ".recyclebin/" P2
#define SRC2 "data/orders/b1/dt=2"
#define SILV "t/s/2013-01-01..now"
#define SIL  "data/orders/s1/dt=1"

#define RUN(...)    rfs_test_cli(&m, &out, __VA_ARGS__)
#define sh(...)	    rfs_test_sh_ok(&m, __VA_ARGS__)
#define ok(r, what) rfs_test_ok(&out, (r), (what))
#define has	    rfs_test_has

/* Every file listed in @p sums is at @p dir with its checksum, and no
 * temporary of ours is there. */
static void all_in(const char *dir, const char *sums, const char *when)
{
	struct rfs_test_out o = { 0 };
	int r;

	r = rfs_test_sh(&m, &o, "cd '%s' && sha256sum -c --quiet %s/%s", dir,
			m.dir, sums);
	cr_assert_eq(r, 0, "%s: files missing or different at %s: %s%s", when,
		     dir, o.out, o.err);
	r = rfs_test_sh(&m, &o, "test -z \"$(find '%s' -name '.rfs-tmp.*')\"",
			dir);
	cr_assert_eq(r, 0, "%s: temporary files left at %s", when, dir);
	rfs_test_out_release(&o);
}

/* Every file of dt=1 is at @p dir, as all_in(). */
static void all_at(const char *dir, const char *when)
{
	all_in(dir, "item.sums", when);
}

/* The number of restores the index holds that are done. */
static int n_done(void)
{
	char *s = sh("recyclefs restore --status --json | "
		     "grep -Ec '\"state\": ?\"done\"' || true");
	int n = atoi(s);

	free(s);
	return n;
}

/* The number of restores the index holds. */
static int n_restores(void)
{
	char *s = sh("recyclefs restore --status --json | "
		     "grep -c '\"id\":' || true");
	int n = atoi(s);

	free(s);
	return n;
}

/*
 * Table t: lifecycle l with a closed epoch on local:orders/b1 holding
 * dt=1, 3,000 files of 1 KB in three folders; lifecycle s with an open
 * epoch on local:orders/s1. dt=1 is archived; data and index are kept as
 * templates for fresh().
 */
static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	free(sh("mkdir -p " SRC "/a " SRC "/b " SRC "/c data/orders/s1 && "
		"cd " SRC " && for d in a b c; do (cd $d && head -c 1000000 "
		"/dev/urandom | split -b 1000 -a 3 - part-); done && "
		"find . -type f -exec sha256sum {} + > ../../../../item.sums && "
		"mkdir -p ../dt=2/sub/deeper ../dt=2/empty && cd ../dt=2 && "
		"for f in p0 p1 sub/a sub/deeper/b; do head -c 70000 "
		"/dev/urandom > $f; done && ln -s p0 latest && "
		"find . -type f -exec sha256sum {} + > ../../../../small.sums"));
	ok(RUN("table", "add", "t"), "table add");
	ok(RUN("lifecycle", "add", "t", "l"), "lifecycle l");
	ok(RUN("lifecycle", "add", "t", "s"), "lifecycle s");
	ok(RUN("epoch", "add", "t", "l", "--from", "2001-01-01", "--to",
	       "2010-01-01", "--storage", "local", "--path", "orders/b1"),
	   "epoch l");
	ok(RUN("epoch", "add", "t", "s", "--from", "2013-01-01", "--storage",
	       "local", "--path", "orders/s1"),
	   "epoch s");
	ok(RUN("archive", P), "archive");
	ok(RUN("archive", P2), "archive dt=2");
	free(sh("test ! -e " SRC " && cp -a data data.template && "
		"cp index.db index.template && rm -f index.template-wal && "
		"(test ! -e index.db-wal || cp index.db-wal "
		"index.template-wal)"));
}

static void teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

TestSuite(restore_rerun, .init = setup, .fini = teardown, .timeout = 1500);

/* Back to the templates: dt=1 archived, never restored. */
static void fresh(void)
{
	free(sh("rm -rf data index.db-wal index.db-shm && "
		"cp -a data.template data && cp index.template index.db && "
		"(test ! -e index.template-wal || "
		"cp index.template-wal index.db-wal)"));
}

/*
 * The case of issue 11: the mount's worker runs a restore, the daemon is
 * killed (SIGKILL) in the middle of the copy, the catalog is mounted
 * again and the user reruns `recyclefs restore` at once. The rerun joins
 * the restore the worker resumes (never a second one at the same
 * target), and the restore completes with every file's checksum.
 */
Test(restore_rerun, daemon_killed_mid_restore_then_rerun_at_once)
{
	const int after[] = { 30, 300, 900, 1500, 2200, 2800 };
	char when[96];

	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		snprintf(when, sizeof(when), "killed after %d files", after[i]);
		fresh();
		cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
		ok(RUN("restore", "--no-wait", BIN), "restore --no-wait");
		cr_assert(rfs_test_sh_until(&m, 60,
					    "test \"$(find " SRC
					    " -type f 2>/dev/null | "
					    "wc -l)\" -ge %d",
					    after[i]),
			  "%s: the mount's worker did not restore", when);
		kill(m.pid, SIGKILL);
		rfs_test_mount_stop(&m); /* reaps it, clears the dead mount */
		cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
		ok(RUN("restore", BIN), when);
		has(out.out, "restored '" BIN "' to '" P "' (3000 files");
		all_at(SRC, when);
		cr_assert_eq(n_restores(), 1, "%s: a second restore was made",
			     when);
		ok(RUN("restore", "--status", "--json"), "status");
		has(out.out, "\"state\": \"done\"");
		/* The worker, if it ran it, left nothing behind either. */
		cr_assert_eq(rfs_test_mount_stop(&m), 0);
		all_at(SRC, when);
	}
}

/* The same command started twice at once (no mount): one restore is
 * recorded, the second command joins and waits for it, both succeed; a
 * restore of the same entry to another target runs beside them. */
Test(restore_rerun, two_restores_of_one_target_at_once_make_one_job)
{
	struct rfs_test_out o = { 0 };
	int r;

	for (int round = 0; round < 3; round++) {
		fresh();
		r = rfs_test_sh(
			&m, &o,
			"(recyclefs restore " BIN " > a.log 2>&1 & a=$!; "
			"recyclefs restore " BIN " > b.log 2>&1 & b=$!; "
			"recyclefs restore " BIN " --to " SILV
			" > c.log 2>&1 & c=$!; "
			"wait $a; ra=$?; wait $b; rb=$?; wait $c; rc=$?; "
			"cat a.log b.log c.log; test $ra = 0 && test $rb = 0 "
			"&& test $rc = 0)");
		cr_assert_eq(r, 0, "round %d: %s%s", round, o.out, o.err);
		all_at(SRC, "two at once");
		all_at(SIL, "another target beside them");
		cr_assert_eq(n_restores(), 2,
			     "round %d: not one restore per target", round);
		has(o.out, "restored '" BIN "' to '" SILV "/dt=1'");
	}
	rfs_test_out_release(&o);
}

/* A restore that fails half way: its temporaries go, its reason says how
 * many files are at the target and which are missing, and the entry
 * cannot be purged (command or rm -rf in a mount) until the restore is
 * finished, or with --force. */
Test(restore_rerun, a_failed_restore_keeps_the_bin_until_forced)
{
	char *s;

	fresh();
	/* A file where the restore needs folder c: copying c/ fails with
	 * ENOTDIR after a/ and b/ are in place. */
	free(sh("mkdir -p " SRC " && echo x > " SRC "/c"));
	cr_assert_eq(RUN("restore", BIN), 1, "%s%s", out.out, out.err);
	has(out.err, "failed at copy");
	has(out.err, "at the target: 2000 of 3000 files");
	has(out.err, "no temporary files; missing: '"
		     "dt=1/c/part-aaa'");
	s = sh("find " SRC " -name '.rfs-tmp.*' | wc -l; find " SRC "/a " SRC
	       "/b -type f | wc -l");
	cr_assert_str_eq(s, "0\n2000\n", "temporaries or files: %s", s);
	free(s);

	/* Purge is refused with the reason, and nothing is deleted. */
	cr_assert_eq(RUN("purge", BIN), 1, "%s%s", out.out, out.err);
	has(out.err, "its latest restore, to '" P "', failed at copy");
	has(out.err, "--force");
	all_at("data/" BIN, "after a refused purge");
	cr_assert_eq(RUN("purge", "--dry-run", BIN), 1, "%s%s", out.out,
		     out.err);
	has(out.err, "failed at copy");

	/* Through a mount: rm -rf gets EBUSY, the reason is logged. */
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_assert_neq(rfs_test_sh(&m, &out, "rm -rf mnt/" BIN), 0);
	has(out.err, "Device or resource busy");
	s = rfs_test_mount_log(&m);
	has(s, "refused: '" BIN "' is not purged");
	free(s);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	all_at("data/" BIN, "after a refused rm -rf");

	/* Finished (the file out of the way), it can be purged. */
	free(sh("rm " SRC "/c"));
	ok(RUN("restore", BIN), "restore again");
	all_at(SRC, "restored again");
	ok(RUN("purge", "--dry-run", BIN), "purge --dry-run");
}

Test(restore_rerun, purge_force_purges_after_a_failed_restore)
{
	fresh();
	free(sh("mkdir -p " SRC " && echo x > " SRC "/c"));
	cr_assert_eq(RUN("restore", BIN), 1, "%s%s", out.out, out.err);
	ok(RUN("purge", "--force", BIN), "purge --force");
	free(sh("test ! -e data/" BIN));
}

/* A restore recorded but not run (no mount, --no-wait) is unfinished:
 * purge refuses it; --force purges and marks the restore abandoned. */
Test(restore_rerun, purge_refuses_an_unfinished_restore_unless_forced)
{
	fresh();
	ok(RUN("restore", "--no-wait", BIN), "restore --no-wait");
	cr_assert_eq(RUN("purge", BIN), 1, "%s%s", out.out, out.err);
	has(out.err, "is unfinished (state check, waiting to resume)");
	all_at("data/" BIN, "after a refused purge");
	ok(RUN("purge", "--force", BIN), "purge --force");
	free(sh("test ! -e data/" BIN));
	ok(RUN("restore", "--status"), "status");
	has(out.out, "abandoned: the entry was purged with --force");
}

/* Whether the restore was recorded done when the command was killed. */
static int done_before;

/* Only dt=2's target and the index go back: a restore never changes the
 * bin, and copying the whole data each time would take minutes. */
static void reset_rerun(void *ctx, const char *when)
{
	(void)ctx;
	(void)when;
	done_before = 0;
	free(sh("rm -rf " SRC2 " index.db-wal index.db-shm && "
		"cp index.template index.db && "
		"(test ! -e index.template-wal || "
		"cp index.template-wal index.db-wal)"));
}

static void killed_rerun(void *ctx, const char *when)
{
	(void)ctx;
	(void)when;
	done_before = n_done();
}

/* Killed after the restore was recorded done (while its record went
 * into the catalog journal): the rerun is a new restore of files already
 * in place, done too. Killed before: the rerun joins the one left, never
 * a second. */
static void one_restore(void *ctx, const char *when)
{
	(void)ctx;
	if (done_before)
		cr_assert_eq(n_done(), 2, "%s: rerun after done", when);
	else
		cr_assert_eq(n_restores(), 1, "%s: a second restore was made",
			     when);
	cr_assert_eq(n_restores(), n_done(), "%s: one not done", when);
}

/* The restore command killed (SIGKILL) at every backend call, then run
 * again at once, without 'recyclefs resume': the rerun joins the restore
 * the killed command left (never a second one) and finishes it; every
 * file is at the target with its checksum, no temporary is left. */
Test(restore_rerun, killed_at_every_backend_call_then_rerun)
{
	const struct rfs_test_kill_sweep s = {
		.m = &m,
		.what = "restore rerun",
		.command = "recyclefs restore " BIN2,
		.rerun = "recyclefs restore " BIN2,
		.reset = reset_rerun,
		.killed = killed_rerun,
		.done = one_restore,
		.sums = "small.sums",
		.sums_at = SRC2,
		.dense = 100,
		.step = 3,
		.min_points = 20,
	};

	rfs_test_kill_sweep_run(&s);
}
