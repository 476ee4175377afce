/*
 * rm inside a bin entry through a real mount: rm -rf of a folder of an
 * archived entry returns at once, the parts are gone from the mount at
 * once, and the mount's workers purge them in batches (one manifest
 * write each); the manifest, the index and a reindex agree after; a
 * daemon killed with parts queued finishes them when mounted again; a
 * restore after rm restores exactly what is left; without a mount,
 * `recyclefs resume` purges what a killed daemon left queued.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/mount.h"

static struct rfs_test_mount m;

/* The partition archived, and how many files its sub-folder holds. */
#define B     RFS_TEST_EPOCH "/dt=1"
#define N_SUB 2000

static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_mount_epoch(&m), 0);
	/* dt=1: a, b, c (random bytes), sub/ with N_SUB small files and a
	 * folder with one more; a copy to compare with after. */
	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "set -e; d=data/e/dt=1; mkdir -p $d/sub/deep; "
			    "for f in a b c; do head -c 30000 /dev/urandom "
			    "> $d/$f; done; i=0; while [ $i -lt %d ]; do "
			    "echo $i > $d/sub/f$i; i=$((i + 1)); done; "
			    "echo deep > $d/sub/deep/x; cp -a $d orig",
			    N_SUB),
		0);
}

static void teardown(void)
{
	unsetenv("RECYCLEFS_TEST_PART_DELAY_MS");
	unsetenv("RECYCLEFS_TEST_PART_HOLD");
	rfs_test_mount_cleanup(&m);
}

TestSuite(bin_parts, .init = setup, .fini = teardown, .timeout = 600);

static void archive(void)
{
	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/" B " mnt/.recyclebin/"), 0);
	cr_assert(rfs_test_sh_until(&m, 60,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.state mnt/.recyclebin/" B
				    " 2>/dev/null)\" = archived"),
		  "not archived");
}

/* rm -rf of the sub-folder: it succeeds (the parts are queued, the
 * purge is left to the workers). */
static void rm_sub(void)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_sh(&m, &out, "rm -rf mnt/.recyclebin/" B "/sub"),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
}

/* The mount shows sub/ gone, and a second rm finds nothing. */
static void expect_sub_gone_from_the_mount(void)
{
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test ! -e mnt/.recyclebin/" B "/sub && "
				 "test \"$(ls mnt/.recyclebin/" B
				 " | tr '\\n' ' ')\" = 'a b c '"),
		     0);
	cr_expect_neq(rfs_test_sh(&m, NULL,
				  "rm mnt/.recyclebin/" B
				  "/sub/f1 2>/dev/null"),
		      0);
}

/* The storage and the manifest agree: sub/ is gone, a, b and c are
 * left with their bytes. */
static void expect_sub_gone_from_storage(void)
{
	cr_expect_eq(
		rfs_test_sh(&m, NULL, "test ! -e data/.recyclebin/" B "/sub"),
		0, "sub/ is still in recycle storage");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "! grep -q 'sub/' "
				 "data/.recyclebin/.recyclefs/manifests/*"),
		     0, "the manifest still lists sub/");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "for f in a b c; do cmp orig/$f "
				 "data/.recyclebin/" B "/$f || exit 1; done"),
		     0);
}

/* The storage, the manifest and the mount agree once the workers are
 * done. */
static void expect_purged(void)
{
	/* Final once nothing is queued: the last batch committed. */
	cr_assert(rfs_test_sh_until(&m, 120,
				    "! getfattr -n user.recyclefs.parts_queued "
				    "mnt/.recyclebin/" B " >/dev/null 2>&1"),
		  "the workers did not purge the parts");
	expect_sub_gone_from_storage();
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test \"$(getfattr --only-values -n "
				 "user.recyclefs.files mnt/.recyclebin/" B
				 ")\" = 3"),
		     0);
}

/* How many batches the workers ran (one manifest write each). */
static int batches(void)
{
	struct rfs_test_out out = { 0 };
	int n;

	rfs_test_sh(&m, &out,
		    "grep -c 'purged the queued parts' log.txt || true");
	n = atoi(out.out);
	rfs_test_out_release(&out);
	return n;
}

Test(bin_parts, rm_rf_of_a_folder_is_queued_and_purged_in_batches)
{
	struct rfs_test_out out = { 0 };
	char uri[160];
	int n, r;

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	archive();
	rm_sub();
	expect_sub_gone_from_the_mount();
	expect_purged();
	n = batches();
	fprintf(stderr,
		"bin_parts: %d parts purged in %d batches (manifest writes)\n",
		N_SUB + 2, n);
	/* One manifest write per batch, and batches take many parts
	 * each: far fewer writes than parts (the first rm's batch may start
	 * before the next rm, so not exactly one). */
	cr_expect(n >= 1 && n <= (N_SUB + 2) / 10, "%d batches", n);
	/* The index lost: a reindex from the storage gives the same entry. */
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "rm -f index.db*"), 0);
	snprintf(uri, sizeof(uri), "file://%s", m.data);
	r = rfs_test_cli(&m, &out, "init");
	r = r ?: rfs_test_cli(&m, &out, "storage", "add", "local", uri);
	r = r ?: rfs_test_cli(&m, &out, "reindex");
	cr_assert_eq(r, 0, "%s", out.err);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test \"$(getfattr --only-values -n "
				 "user.recyclefs.files mnt/.recyclebin/" B
				 ")\" = 3 && test \"$(ls mnt/.recyclebin/" B
				 " | tr '\\n' ' ')\" = 'a b c ' && cmp orig/b "
				 "mnt/.recyclebin/" B "/b"),
		     0);
}

Test(bin_parts, a_folder_with_parts_left_is_not_removed)
{
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	archive();
	cr_expect_neq(rfs_test_sh(&m, NULL,
				  "rmdir mnt/.recyclebin/" B
				  "/sub 2>/dev/null"),
		      0);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "rm mnt/.recyclebin/" B "/sub/deep/x && "
				 "rmdir mnt/.recyclebin/" B "/sub/deep && "
				 "test -e mnt/.recyclebin/" B "/sub/f1 && "
				 "test ! -e mnt/.recyclebin/" B "/sub/deep"),
		     0);
	cr_assert(rfs_test_sh_until(
		&m, 60, "test ! -e data/.recyclebin/" B "/sub/deep"));
	cr_expect_eq(
		rfs_test_sh(&m, NULL, "test -e data/.recyclebin/" B "/sub/f1"),
		0);
}

Test(bin_parts, a_daemon_killed_with_parts_queued_finishes_them_on_remount)
{
	/* Each batch waits a minute first: the kill comes before it. */
	setenv("RECYCLEFS_TEST_PART_DELAY_MS", "60000", 1);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	archive();
	rm_sub();
	expect_sub_gone_from_the_mount();
	cr_expect_eq(
		rfs_test_sh(&m, NULL, "test -e data/.recyclebin/" B "/sub/f1"),
		0, "purged although every batch waits");
	kill(m.pid, SIGKILL);
	rfs_test_mount_stop(&m);
	unsetenv("RECYCLEFS_TEST_PART_DELAY_MS");
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	/* Still queued, so still gone from the mount, then purged. */
	expect_sub_gone_from_the_mount();
	expect_purged();
}

Test(bin_parts, a_restore_after_rm_restores_exactly_what_is_left)
{
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	archive();
	rm_sub();
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "rm mnt/.recyclebin/" B "/b && setfattr -n "
				 "user.recyclefs.restore -v origin "
				 "mnt/.recyclebin/" B),
		     0);
	cr_assert(rfs_test_sh_until(&m, 60,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.restore_state "
				    "mnt/.recyclebin/" B " 2>/dev/null)\" = "
				    "done"),
		  "the restore did not end");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test \"$(cd data/e/dt=1 && find . | sort | "
				 "tr '\\n' ' ')\" = '. ./a ./c ' && cmp orig/a "
				 "data/e/dt=1/a && cmp orig/c data/e/dt=1/c"),
		     0);
}

/* `status --json`'s entry of B passes the jq test @p check. */
static void expect_status_json(const char *check)
{
	struct rfs_test_out out = { 0 };

	cr_expect_eq(
		rfs_test_sh(&m, &out,
			    "$RECYCLEFS_BIN --index index.db status "
			    "--json | jq -e '.entries[0] | %s' || "
			    "$RECYCLEFS_BIN --index index.db status --json",
			    check),
		0, "%s: %s%s", check, out.out, out.err);
	rfs_test_out_release(&out);
}

/* Mount with the workers' batches held while the file "hold" exists (the
 * test hook RECYCLEFS_TEST_PART_HOLD), and archive the folder. */
static void mount_held_and_archive(void)
{
	char hold[4096];

	snprintf(hold, sizeof(hold), "%s/hold", m.dir);
	cr_assert_eq(rfs_test_sh(&m, NULL, "touch hold"), 0);
	setenv("RECYCLEFS_TEST_PART_HOLD", hold, 1);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	archive();
}

Test(bin_parts, status_and_wait_show_queued_parts_until_they_are_purged)
{
	struct rfs_test_out out = { 0 };
	RFS_TEST_NEEDS_HOOKS();
	mount_held_and_archive();
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "rm mnt/.recyclebin/" B "/a mnt/.recyclebin/" B
				 "/sub/deep/x && rmdir mnt/.recyclebin/" B
				 "/sub/deep"),
		     0);
	/* Queued: status says how many and since when, the copies are
	 * still there, and wait does not return. */
	cr_assert_eq(rfs_test_cli(&m, &out, "status"), 0, "%s", out.err);
	cr_expect(strstr(out.out, " archived  2004 files, 96.6 KiB; 3 parts "
				  "queued for purging since 20"),
		  "%s", out.out);
	cr_expect(strstr(out.out, "1 entry has parts removed with rm not "
				  "purged yet"),
		  "%s", out.out);
	expect_status_json(".parts_queued == 3 and (.parts_queued_since | "
			   "startswith(\"20\")) and .parts_reason == null "
			   "and .parts_attempts == 0 and .state == "
			   "\"archived\"");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test -e data/.recyclebin/" B "/a && test -e "
				 "data/.recyclebin/" B "/sub/deep/x"),
		     0, "purged while the batch is held");
	cr_expect_eq(rfs_test_cli(&m, &out, "wait", B, "--timeout", "1"), 1);
	cr_expect(strstr(out.err, "'.recyclebin/" B "' still has 3 parts "
				  "queued for purging after 1 s"),
		  "%s", out.err);
	/* Let the batch go: wait returns once the parts are purged. */
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "($RECYCLEFS_BIN --index index.db wait " B
				 " > wait.out 2>&1; echo $? > wait.rc) "
				 "</dev/null >/dev/null 2>&1 &"),
		     0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "rm hold"), 0);
	cr_assert(rfs_test_sh_until(&m, 60, "test -s wait.rc"),
		  "wait did not return");
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "cat wait.out; test \"$(cat wait.rc)\" = 0 && "
				 "test ! -e data/.recyclebin/" B "/a && test ! "
				 "-e data/.recyclebin/" B "/sub/deep"),
		     0, "%s", out.out);
	cr_assert_eq(rfs_test_cli(&m, &out, "status"), 0, "%s", out.err);
	cr_expect(!strstr(out.out, "queued"), "%s", out.out);
	expect_status_json(".parts_queued == 0 and .parts_queued_since == "
			   "null");
	rfs_test_out_release(&out);
}

Test(bin_parts, a_failed_batch_shows_why_in_status_and_wait)
{
	struct rfs_test_out out = { 0 };
	RFS_TEST_NEEDS_HOOKS();
	mount_held_and_archive();
	/* The copy of a, queued, is replaced in recycle storage by a
	 * folder with a file in it: its removal fails. */
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "rm mnt/.recyclebin/" B "/a && rm data/"
				 ".recyclebin/" B "/a && mkdir -p data/"
				 ".recyclebin/" B "/a/in && rm hold"),
		     0);
	cr_assert(rfs_test_sh_until(&m, 60,
				    "$RECYCLEFS_BIN --index index.db status "
				    "| grep -q 'purge of the queued parts "
				    "failed (1 attempt, next at 20'"),
		  "status shows no failed batch");
	expect_status_json(".parts_queued == 1 and .parts_attempts >= 1 and "
			   "(.parts_reason | length > 0) and "
			   "(.parts_retry_at | startswith(\"20\"))");
	cr_expect_eq(rfs_test_cli(&m, &out, "wait", B, "--timeout", "1"), 1);
	cr_expect(strstr(out.err,
			 "purge of the 1 part queued in '.recyclebin/" B
			 "' failed ("),
		  "%s", out.err);
	cr_expect(strstr(out.err, "'.recyclebin/" B "' still has 1 part "
				  "queued for purging after 1 s"),
		  "%s", out.err);
	/* Once the folder is gone, a retry purges it, and wait returns. */
	cr_assert_eq(rfs_test_sh(&m, NULL, "rm -r data/.recyclebin/" B "/a"),
		     0);
	cr_expect_eq(rfs_test_cli(&m, &out, "wait", B, "--timeout", "120"), 0,
		     "%s", out.err);
	expect_status_json(".parts_queued == 0 and .parts_reason == null");
	rfs_test_out_release(&out);
}

/* A daemon killed with parts queued, and no mount after it: wait points
 * to `recyclefs resume`, which purges them here (their batch not due
 * yet), and a second resume finds nothing left. */
Test(bin_parts, resume_purges_the_parts_a_killed_daemon_left_queued)
{
	struct rfs_test_out out = { 0 };

	setenv("RECYCLEFS_TEST_PART_DELAY_MS", "60000", 1);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	archive();
	rm_sub();
	kill(m.pid, SIGKILL);
	rfs_test_mount_stop(&m);
	unsetenv("RECYCLEFS_TEST_PART_DELAY_MS");
	cr_assert_eq(
		rfs_test_sh(&m, NULL, "test -e data/.recyclebin/" B "/sub/f1"),
		0, "purged although every batch waits");
	cr_expect_eq(rfs_test_cli(&m, &out, "wait", B, "--timeout", "6"), 1);
	cr_expect(strstr(out.err, "no process is purging the parts queued in "
				  "'.recyclebin/" B "'; run 'recyclefs "
				  "resume' or mount the catalog"),
		  "%s", out.err);
	cr_assert_eq(rfs_test_cli(&m, &out, "resume"), 0, "%s", out.err);
	cr_expect(strstr(out.out, "purging the "), "%s", out.out);
	cr_expect(strstr(out.out, " parts queued in '.recyclebin/" B "'\n"
				  "purged the "),
		  "%s", out.out);
	expect_status_json(".parts_queued == 0 and .files_total == 3 and "
			   ".state == \"archived\"");
	expect_sub_gone_from_storage();
	cr_assert_eq(rfs_test_cli(&m, &out, "resume"), 0, "%s", out.err);
	cr_expect(strstr(out.out, "nothing to resume"), "%s", out.out);
	cr_expect_eq(rfs_test_cli(&m, &out, "wait", B, "--timeout", "60"), 0,
		     "%s", out.err);
	rfs_test_out_release(&out);
}
