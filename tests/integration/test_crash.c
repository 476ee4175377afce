/*
 * Crash safety: the archive and purge jobs are killed (SIGKILL) at every
 * backend call of a run, then resumed; after every kill, every file must
 * exist with its checksum in its source or its bin location (or both), and
 * the resumed job must finish. A mounted daemon is also killed while it
 * archives, and remounted.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/kill_sweep.h"

static struct rfs_test_mount m;

#define ORIGIN "t/l/2001-01-01..2010-01-01/dt=1"
#define SRC    "orders/b1/dt=1"
#define BIN    ".recyclebin/t/l/2001-01-01..2010-01-01/dt=1"

/* A new item of random bytes; item.sums lists its seven files. */
static void make_source(void)
{
	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "rm -rf data/orders data/.recyclebin && "
			    "mkdir -p data/" SRC "/sub/deeper data/" SRC
			    "/empty && cd data/" SRC " && "
			    "for f in part-0.parquet part-1.parquet "
			    "part-2.parquet sub/a.bin sub/b.bin "
			    "sub/deeper/c.bin; do head -c 70000 "
			    "/dev/urandom > $f; done && head -c 2500000 "
			    "/dev/urandom > big.bin && ln -s part-0.parquet "
			    "link && touch -d '2001-02-03 04:05:06' * sub/* && "
			    "find . -type f -exec sha256sum {} + > "
			    "\"$OLDPWD/item.sums\" && "
			    "test $(wc -l < \"$OLDPWD/item.sums\") = 7"),
		0);
}

/* Every file of item.sums is in its source or its bin place with its
 * checksum, the source unchanged; no partial file in the bin. */
static void expect_nothing_lost(const char *when)
{
	rfs_test_sums_check(&m, "item.sums", "data/" BIN, "data/" SRC, false,
			    when);
}

/* Every file of item.sums is in the bin, the source gone, no temporary
 * left. */
static void expect_archived(const char *when)
{
	struct stat st;

	rfs_test_sums_check(&m, "item.sums", "data/" BIN, NULL, true, when);
	cr_assert_eq(stat(rfs_test_data(&m, SRC), &st), -1,
		     "%s: the source is still there", when);
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "test -z \"$(find data/.recyclebin -name "
				 "'.rfs-tmp.*')\""),
		     0, "%s: temporary files left in the bin", when);
}

static void setup(void)
{
	struct rfs_test_out out = { 0 };
	int r;

	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "mkdir -p data/orders/b1"), 0);
	r = rfs_test_cli(&m, &out, "table", "add", "t");
	r = r ?: rfs_test_cli(&m, &out, "lifecycle", "add", "t", "l");
	r = r
		    ?: rfs_test_cli(&m, &out, "epoch", "add", "t", "l",
				    "--from", "2001-01-01", "--to",
				    "2010-01-01", "--storage", "local",
				    "--path", "orders/b1");
	cr_assert_eq(r, 0, "%s", out.err);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_sh(&m, NULL, "cp index.db index.template"), 0);
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
}

TestSuite(crash, .init = setup, .fini = teardown);

/* Start from the template catalog and a fresh source. */
static void fresh(void)
{
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "cp index.template index.db && rm -f "
				 "index.db-wal index.db-shm"),
		     0);
	make_source();
}

static void reset_archive(void *ctx, const char *when)
{
	(void)ctx;
	(void)when;
	fresh();
}

static void reset_purge(void *ctx, const char *when)
{
	struct rfs_test_out out = { 0 };

	(void)ctx;
	fresh();
	cr_assert_eq(rfs_test_sh(&m, &out, "recyclefs archive " ORIGIN), 0,
		     "%s: %s", when, out.err);
	rfs_test_out_release(&out);
}

static void archived(void *ctx, const char *when)
{
	(void)ctx;
	expect_archived(when);
}

static void purged(void *ctx, const char *when)
{
	struct rfs_test_out out = { 0 };

	(void)ctx;
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs status --all --json | "
				 "grep -q '\"state\": \"purged\"'"),
		     0, "%s: not purged: %s", when, out.out);
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "test ! -e data/" BIN " && test -z "
				 "\"$(ls data/.recyclebin/.recyclefs/"
				 "manifests)\""),
		     0, "%s: recycle data left", when);
	rfs_test_out_release(&out);
}

/* After each kill, what a script does after a crash: resume what was
 * recorded, then run the command again (a no-op when it already
 * completed). Every call at first, then every third: the steps repeat
 * per file. */
Test(crash, archive_killed_at_every_backend_call_loses_nothing)
{
	const struct rfs_test_kill_sweep s = {
		.m = &m,
		.what = "archive",
		.command = "recyclefs archive " ORIGIN,
		.rerun = "recyclefs resume && recyclefs archive " ORIGIN,
		.reset = reset_archive,
		.done = archived,
		.sums = "item.sums",
		.sums_at = "data/" BIN,
		.sums_from = "data/" SRC,
		.dense = 100,
		.step = 3,
		.min_points = 50,
	};

	rfs_test_kill_sweep_run(&s);
}

Test(crash, purge_killed_at_every_backend_call_finishes)
{
	const struct rfs_test_kill_sweep s = {
		.m = &m,
		.what = "purge",
		.command = "recyclefs purge " ORIGIN,
		.rerun = "recyclefs resume && recyclefs purge " ORIGIN,
		.reset = reset_purge,
		.done = purged,
		.dense = 60,
		.step = 3,
		.min_points = 20,
	};

	rfs_test_kill_sweep_run(&s);
}

Test(crash, mounted_daemon_killed_while_archiving_resumes_after_remount)
{
	struct rfs_test_out out = { 0 };
	const int delays_ms[] = { 0, 5, 20, 60, 150 };
	char when[64];

	for (size_t i = 0; i < sizeof(delays_ms) / sizeof(delays_ms[0]); i++) {
		fresh();
		cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
		cr_assert_eq(
			rfs_test_sh(&m, NULL,
				    "mv mnt/t/l/2001-01-01..2010-01-01/dt=1 "
				    "mnt/.recyclebin/"),
			0);
		usleep((useconds_t)delays_ms[i] * 1000);
		kill(m.pid, SIGKILL);
		rfs_test_mount_stop(&m); /* reaps it, clears the dead mount */
		snprintf(when, sizeof(when), "daemon killed after %d ms",
			 delays_ms[i]);
		expect_nothing_lost(when);
		cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
		cr_assert_eq(rfs_test_sh(&m, &out,
					 "recyclefs wait --timeout 60 " ORIGIN),
			     0, "%s: %s%s", when, out.out, out.err);
		expect_archived(when);
		cr_assert_eq(rfs_test_mount_stop(&m), 0);
	}
	rfs_test_out_release(&out);
}
