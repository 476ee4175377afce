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

#include "tests/support/mount.h"
#include "util/sha256.h"

static struct rfs_test_mount m;

#define ORIGIN "t/l/2001-01-01..2010-01-01/dt=1"
#define SRC    "orders/b1/dt=1"
#define BIN    ".recyclebin/t/l/2001-01-01..2010-01-01/dt=1"

/* The files of the item, relative to it, with their checksums. */
static const char *files[] = {
	"part-0.parquet", "part-1.parquet",   "part-2.parquet", "sub/a.bin",
	"sub/b.bin",	  "sub/deeper/c.bin", "big.bin",
};
#define N_FILES (sizeof(files) / sizeof(files[0]))
static char sums[N_FILES][RFS_SHA256_HEX];

static int hash_file(const char *path, char out[RFS_SHA256_HEX])
{
	char buf[65536];
	struct rfs_sha256 h;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	rfs_sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		rfs_sha256_update(&h, buf, (size_t)n);
	close(fd);
	return rfs_sha256_final(&h, out);
}

static void make_source(void)
{
	char path[512];

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
			    "link && touch -d '2001-02-03 04:05:06' * sub/*"),
		0);
	for (size_t i = 0; i < N_FILES; i++) {
		snprintf(path, sizeof(path), "%s/" SRC "/%s", m.data, files[i]);
		cr_assert_eq(hash_file(path, sums[i]), 0, "%s", path);
	}
}

/* Every file is in its source or its bin place, with its checksum. */
static void expect_nothing_lost(const char *when)
{
	char src[512], bin[512], have[RFS_SHA256_HEX];

	for (size_t i = 0; i < N_FILES; i++) {
		bool found = false;

		snprintf(src, sizeof(src), "%s/" SRC "/%s", m.data, files[i]);
		snprintf(bin, sizeof(bin), "%s/" BIN "/%s", m.data, files[i]);
		if (hash_file(src, have) == 0) {
			cr_assert_str_eq(have, sums[i], "%s: source %s changed",
					 when, files[i]);
			found = true;
		}
		if (hash_file(bin, have) == 0 && !strcmp(have, sums[i]))
			found = true;
		cr_assert(found, "%s: %s is lost", when, files[i]);
	}
}

static void expect_archived(const char *when)
{
	char bin[512], have[RFS_SHA256_HEX];
	struct stat st;

	for (size_t i = 0; i < N_FILES; i++) {
		snprintf(bin, sizeof(bin), "%s/" BIN "/%s", m.data, files[i]);
		cr_assert_eq(hash_file(bin, have), 0, "%s: %s not in the bin",
			     when, files[i]);
		cr_assert_str_eq(have, sums[i], "%s: %s", when, files[i]);
	}
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

/* Run recyclefs killed at call @p n; @return its status. */
static int killed_at(long n, const char *args)
{
	struct rfs_test_out out = { 0 };
	int r;

	RFS_TEST_NEEDS_HOOKS();
	r = rfs_test_sh(&m, &out, "RECYCLEFS_TEST_KILL_AFTER=%ld recyclefs %s",
			n, args);

	cr_assert(r == 0 || r == 128 + SIGKILL, "status %d at %ld: %s", r, n,
		  out.err);
	rfs_test_out_release(&out);
	return r;
}

/* What a script does after a crash: resume what was recorded, then run
 * the command again (a no-op when it already completed). */
static void resume(const char *when, const char *again)
{
	struct rfs_test_out out = { 0 };
	int r = rfs_test_sh(&m, &out, "recyclefs resume && recyclefs %s",
			    again);

	cr_assert_eq(r, 0, "%s: resume failed (%d): %s%s", when, r, out.out,
		     out.err);
	rfs_test_out_release(&out);
}

Test(crash, archive_killed_at_every_backend_call_loses_nothing)
{
	char when[64];
	long n;
	int points = 0;

	/* Every call at first, then every third: the steps repeat per
	 * file. */
	for (n = 1; n < 5000; n += n < 100 ? 1 : 3) {
		fresh();
		snprintf(when, sizeof(when), "archive killed at call %ld", n);
		if (killed_at(n, "archive " ORIGIN) == 0)
			break; /* the run needs fewer calls: all points done */
		points++;
		expect_nothing_lost(when);
		resume(when, "archive " ORIGIN);
		expect_archived(when);
	}
	cr_expect_geq(points, 50, "only %d kill points", points);
	cr_log_info("archive: %d kill points", points);
}

Test(crash, purge_killed_at_every_backend_call_finishes)
{
	struct rfs_test_out out = { 0 };
	char when[64];
	long n;
	int points = 0;

	for (n = 1; n < 5000; n += n < 60 ? 1 : 3) {
		fresh();
		cr_assert_eq(rfs_test_sh(&m, &out, "recyclefs archive " ORIGIN),
			     0, "%s", out.err);
		snprintf(when, sizeof(when), "purge killed at call %ld", n);
		if (killed_at(n, "purge " ORIGIN) == 0)
			break;
		points++;
		resume(when, "purge " ORIGIN);
		cr_assert_eq(rfs_test_sh(&m, &out,
					 "recyclefs status --all --json | "
					 "grep -q '\"state\": \"purged\"'"),
			     0, "%s: not purged: %s", when, out.out);
		cr_assert_eq(rfs_test_sh(&m, NULL,
					 "test ! -e data/" BIN " && test -z "
					 "\"$(ls data/.recyclebin/.recyclefs/"
					 "manifests)\""),
			     0, "%s: recycle data left", when);
	}
	rfs_test_out_release(&out);
	cr_expect_geq(points, 20, "only %d kill points", points);
	cr_log_info("purge: %d kill points", points);
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
