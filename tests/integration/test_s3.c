/*
 * S3 end to end: a catalog whose storage is a bucket of the Ceph RGW test
 * server, mounted for real, checked with the aws command line. Objects
 * written by other tools read through the mount, files written through
 * the mount land as objects with their times, mv into .recyclebin
 * archives on S3 (server-side copies, manifest beside the data),
 * restores go back to S3 or out to a local folder, big folders list
 * completely, odd names survive, and failures (wrong keys, a missing
 * bucket, a bin server dying, an object changed during an archive) fail
 * cleanly with the source intact and no secret in the log.
 *
 * Needs RFS_TEST_S3_ENDPOINT (scripts/servers.sh starts RGW); without it
 * every test fails saying so. moto_server is started privately where a
 * server is killed.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/s3/s3_priv.h"
#include "tests/support/fixture.h"
#include "tests/support/mount.h"
#include "tests/support/s3.h"
#include "util/error.h"

static struct rfs_test_mount m;
static const char *endpoint;
static char *bucket, *uri;

/* The epoch lives under "orders/bronze" of the bucket; the storage's bin
 * under "orders/.recyclebin". */
#define E      "sales.orders/bronze/2013-01-01..now"
#define PFX    "orders/bronze"
#define BINPFX "orders/.recyclebin"

static void setup(void)
{
	endpoint = rfs_test_s3_endpoint();
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	bucket = rfs_test_s3_bucket_new(endpoint);
	uri = rfs_test_s3_uri(endpoint, bucket, "orders", NULL);
	setenv("B", bucket, 1);
	rfs_test_aws_env("AWSX", endpoint);
	rfs_test_add_epoch_on(&m, "s3o", uri, "sales.orders", "bronze",
			      "2013-01-01", "bronze");
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
	if (bucket)
		rfs_test_s3_bucket_drop(endpoint, bucket);
	free(bucket);
	free(uri);
	bucket = uri = NULL;
}

TestSuite(s3, .init = setup, .fini = teardown, .timeout = 600);

/* Run a shell line; fail the test with its output when it fails. */
#define SH_OK(...) free(rfs_test_sh_ok(&m, __VA_ARGS__))

static void mount_up(void)
{
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
}

/* A local tree "tree/NAME" with known bytes and nanosecond mtimes:
 * part-0.parquet (200 KB), part-1.parquet (3 MB), sub/nested. */
static void make_tree(const char *name)
{
	SH_OK("mkdir -p tree/%s/sub && head -c 200000 /dev/urandom > "
	      "tree/%s/part-0.parquet && head -c 3000000 /dev/urandom > "
	      "tree/%s/part-1.parquet && echo nested > tree/%s/sub/nested && "
	      "touch -d '2001-02-03 04:05:06.123456789' tree/%s/part-0.parquet "
	      "&& touch -d '2002-03-04 05:06:07.987654321' "
	      "tree/%s/part-1.parquet && touch -d '2003-01-01 "
	      "00:00:00.000000001' tree/%s/sub/nested && (cd tree/%s && "
	      "find . -type f -exec sha256sum {} + | sort -k2) > %s.sum",
	      name, name, name, name, name, name, name, name, name);
}

/* The mtime of a local file as "SEC.NSEC" (nine digits). */
static void mtime_of(const char *path, char *out, size_t size)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "stat '%s': %s", path,
		     strerror(errno));
	snprintf(out, size, "%lld.%09ld", (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
}

/* Field QUERY of the head-object answer for KEY, as the aws command
 * line shows it (its first line). */
static void head_object(const char *key, const char *query, char *out,
			size_t size)
{
	struct rfs_test_out o = { 0 };
	int r;

	setenv("KEY", key, 1);
	setenv("QUERY", query, 1);
	r = rfs_test_sh(&m, &o,
			"$AWSX s3api head-object --bucket $B --key \"$KEY\" "
			"--query \"$QUERY\" --output text");
	cr_assert_eq(r, 0, "head-object '%s': %s", key, o.err);
	snprintf(out, size, "%.*s", (int)strcspn(o.out, "\n"), o.out);
	rfs_test_out_release(&o);
}

/* x-amz-meta-mtime of object KEY, as the aws command line shows it. */
static void meta_mtime(const char *key, char *out, size_t size)
{
	head_object(key, "Metadata.mtime", out, size);
}

static bool nine_digits(const char *t)
{
	const char *dot = strchr(t, '.');

	return dot && dot > t && strlen(dot + 1) == 9 &&
	       strspn(t, "0123456789") == (size_t)(dot - t) &&
	       strspn(dot + 1, "0123456789") == 9;
}

/* How many objects are below PREFIX (a "dir/" prefix) of the bucket. */
static int count_objects(const char *prefix)
{
	struct rfs_test_out o = { 0 };
	int r, n;

	setenv("P", prefix, 1);
	r = rfs_test_sh(&m, &o,
			"$AWSX s3api list-objects-v2 --bucket $B --prefix "
			"\"$P\" --query 'length(Contents || `[]`)' --output "
			"text");
	cr_assert_eq(r, 0, "listing '%s': %s", prefix, o.err);
	n = atoi(o.out);
	rfs_test_out_release(&o);
	return n;
}

static void wait_state(const char *bin_path, const char *state, double secs)
{
	struct rfs_test_out o = { 0 };

	if (rfs_test_sh_until(&m, secs,
			      "test \"$(getfattr --only-values -n "
			      "user.recyclefs.state 'mnt/.recyclebin/%s' "
			      "2>/dev/null)\" = %s",
			      bin_path, state))
		return;
	rfs_test_sh(&m, &o,
		    "getfattr -d 'mnt/.recyclebin/%s'; recyclefs status --all",
		    bin_path);
	cr_assert_fail("'%s' did not become %s:\n%s%s", bin_path, state, o.out,
		       o.err);
}

/* A field of the entry at BIN_PATH in `recyclefs status --all --json`. */
static char *entry_field(const char *bin_path, const char *field)
{
	struct rfs_test_out o = { 0 };
	char *v;
	int r;

	r = rfs_test_sh(&m, &o,
			"recyclefs status --all --json | python3 -c 'import "
			"json, sys\n"
			"for e in json.load(sys.stdin)[\"entries\"]:\n"
			"    if e[\"bin_path\"] == sys.argv[1]:\n"
			"        print(e[sys.argv[2]])' '%s' '%s'",
			bin_path, field);
	cr_assert_eq(r, 0, "status: %s", o.err);
	o.out[strcspn(o.out, "\n")] = '\0';
	v = strdup(o.out);
	rfs_test_out_release(&o);
	return v;
}

/* ------------------------------------------------------------- data path */

Test(s3, objects_of_the_aws_cli_list_and_read_through_the_mount)
{
	struct rfs_test_out o = { 0 };
	struct stat st;

	SH_OK("mkdir -p src/dt=2013-01-01/sub && head -c 3000000 "
	      "/dev/urandom > src/dt=2013-01-01/big.bin && echo small > "
	      "src/dt=2013-01-01/sub/small.txt && : > src/dt=2013-01-01/empty "
	      "&& (cd src && find . -type f -exec sha256sum {} + | sort -k2) > "
	      "src.sum && $AWSX s3 cp --only-show-errors --recursive src "
	      "s3://$B/" PFX "/");
	mount_up();
	cr_assert_eq(rfs_test_sh(&m, &o, "ls -l mnt/" E "/dt=2013-01-01"), 0,
		     "%s", o.err);
	cr_expect(strstr(o.out, " 3000000 ") && strstr(o.out, "big.bin"), "%s",
		  o.out);
	cr_expect(strstr(o.out, " 0 ") && strstr(o.out, "empty"), "%s", o.out);
	cr_expect(strstr(o.out, "sub"), "%s", o.out);
	cr_assert_eq(stat(rfs_test_mnt(&m, E "/dt=2013-01-01/sub"), &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	cr_assert_eq(stat(rfs_test_mnt(&m, E "/dt=2013-01-01/big.bin"), &st),
		     0);
	cr_expect(S_ISREG(st.st_mode));
	cr_expect_eq(st.st_size, 3000000);
	rfs_test_out_release(&o);
	SH_OK("D=$PWD && cd mnt/" E " && sha256sum -c --quiet $D/src.sum");
}

/* An object of many read-ahead windows reads whole through the mount, by
 * the kernel's requests and by reads of odd sizes at odd offsets across
 * the 2 MiB parts of its windows. */
Test(s3, a_large_object_reads_whole_and_at_odd_offsets_through_the_mount)
{
	SH_OK("head -c 100003001 /dev/urandom > big.bin && "
	      "$AWSX s3 cp --only-show-errors big.bin s3://$B/" PFX "/big.bin");
	mount_up();
	SH_OK("test \"$(sha256sum < mnt/" E "/big.bin)\" = "
	      "\"$(sha256sum < big.bin)\"");
	SH_OK("dd if=mnt/" E "/big.bin bs=1M iflag=direct status=none | "
	      "cmp - big.bin");
	SH_OK("python3 - mnt/" E "/big.bin big.bin <<'EOF'\n"
	      "import sys\n"
	      "a = open(sys.argv[1], 'rb', buffering=0)\n"
	      "b = open(sys.argv[2], 'rb', buffering=0)\n"
	      "M = 1 << 20\n"
	      "for at, n in [(2 * M - 1, 2), (4 * M - 7, 3 * M + 11),\n"
	      "              (17 * M + 1, 1), (33 * M - 4093, 5 * M),\n"
	      "              (100003001 - 5, 100), (64 * M - 1, 2 * M + 1),\n"
	      "              (1, 7 * M - 2)]:\n"
	      "    a.seek(at); b.seek(at)\n"
	      "    x = b''\n"
	      "    while len(x) < n:\n"
	      "        y = a.read(n - len(x))\n"
	      "        if not y: break\n"
	      "        x += y\n"
	      "    assert x == b.read(n), (at, n)\n"
	      "EOF");
}

/* An object rewritten by another client while it is read through the mount
 * reads as the version the read began with, or fails: never as a mix. */
Test(s3, an_object_rewritten_mid_read_reads_old_bytes_or_fails)
{
	SH_OK("head -c 60000000 /dev/urandom > v1 && "
	      "head -c 60000000 /dev/urandom > v2 && "
	      "$AWSX s3 cp --only-show-errors v1 s3://$B/" PFX "/v.bin");
	mount_up();
	SH_OK("python3 - mnt/" E "/v.bin v1 v2 <<'EOF'\n"
	      "import os, subprocess, sys\n"
	      "f = os.open(sys.argv[1], os.O_RDONLY)\n"
	      "old = open(sys.argv[2], 'rb').read()\n"
	      "got = b''\n"
	      "try:\n"
	      "    while len(got) < len(old):\n"
	      "        if len(got) >= 20 << 20 and not os.environ.get('DONE'):\n"
	      "            os.environ['DONE'] = '1'\n"
	      "            subprocess.check_call(os.environ['AWSX'].split() +\n"
	      "                ['s3', 'cp', '--only-show-errors', sys.argv[3],\n"
	      "                 's3://' + os.environ['B'] + '/" PFX
	      "/v.bin'])\n"
	      "        y = os.read(f, 1 << 20)\n"
	      "        if not y: break\n"
	      "        got += y\n"
	      "except OSError as e:\n"
	      "    print('read failed at', len(got), e)\n"
	      "assert len(got) >= 20 << 20, len(got)\n"
	      "assert got == old[:len(got)], 'a mix of two versions'\n"
	      "EOF");
}

Test(s3, files_written_through_the_mount_land_as_objects_with_their_mtime)
{
	const char *files[] = { "part-0.parquet", "part-1.parquet",
				"sub/nested" };
	char want[40], got[40], key[256];
	size_t i;

	make_tree("dt=2013-01-02");
	mount_up();
	SH_OK("cp -a tree/dt=2013-01-02 mnt/" E "/");
	for (i = 0; i < 3; i++) {
		mtime_of(
			rfs_test_data(&m, "../tree/dt=2013-01-02/%s", files[i]),
			want, sizeof(want));
		snprintf(key, sizeof(key), PFX "/dt=2013-01-02/%s", files[i]);
		meta_mtime(key, got, sizeof(got));
		cr_expect(nine_digits(got), "x-amz-meta-mtime of '%s' is '%s'",
			  key, got);
		cr_expect_str_eq(got, want, "x-amz-meta-mtime of '%s'", key);
		mtime_of(rfs_test_mnt(&m, E "/dt=2013-01-02/%s", files[i]), got,
			 sizeof(got));
		cr_expect_str_eq(got, want, "mtime through the mount of '%s'",
				 files[i]);
	}
	/* The bytes on the server, and again through a fresh mount. */
	SH_OK("$AWSX s3 cp --only-show-errors --recursive s3://$B/" PFX
	      "/dt=2013-01-02/ got/ && (cd got && sha256sum -c --quiet "
	      "../dt=2013-01-02.sum)");
	rfs_test_mount_stop(&m);
	mount_up();
	for (i = 0; i < 3; i++) {
		mtime_of(
			rfs_test_data(&m, "../tree/dt=2013-01-02/%s", files[i]),
			want, sizeof(want));
		mtime_of(rfs_test_mnt(&m, E "/dt=2013-01-02/%s", files[i]), got,
			 sizeof(got));
		cr_expect_str_eq(got, want, "mtime after a remount of '%s'",
				 files[i]);
	}
	SH_OK("cd mnt/" E "/dt=2013-01-02 && sha256sum -c --quiet "
	      "$OLDPWD/dt=2013-01-02.sum");
}

/* Archive tree/dt=2013-01-01, written through the mount, into the bin. */
static void archive_partition(void)
{
	make_tree("dt=2013-01-01");
	mount_up();
	SH_OK("cp -a tree/dt=2013-01-01 mnt/" E "/");
	SH_OK("mv mnt/" E "/dt=2013-01-01 mnt/.recyclebin/");
	wait_state(E "/dt=2013-01-01", "archived", 120);
}

Test(s3, mv_into_the_bin_archives_on_s3)
{
	const char *files[] = { "part-0.parquet", "part-1.parquet",
				"sub/nested" };
	char want[40], got[40], key[512], *uuid;
	struct stat st;
	size_t i;

	archive_partition();
	/* Gone from the source prefix, whole under the bin prefix. */
	cr_expect_eq(count_objects(PFX "/dt=2013-01-01/"), 0);
	cr_expect_geq(count_objects(BINPFX "/" E "/dt=2013-01-01/"), 3);
	SH_OK("$AWSX s3 cp --only-show-errors --recursive s3://$B/" BINPFX "/" E
	      "/dt=2013-01-01/ bin/ && (cd bin && sha256sum -c --quiet "
	      "../dt=2013-01-01.sum)");
	for (i = 0; i < 3; i++) {
		mtime_of(
			rfs_test_data(&m, "../tree/dt=2013-01-01/%s", files[i]),
			want, sizeof(want));
		snprintf(key, sizeof(key), BINPFX "/" E "/dt=2013-01-01/%s",
			 files[i]);
		meta_mtime(key, got, sizeof(got));
		cr_expect_str_eq(got, want, "x-amz-meta-mtime of '%s'", key);
	}
	/* The manifest beside the data. */
	uuid = entry_field(E "/dt=2013-01-01", "uuid");
	cr_assert_eq(strlen(uuid), 32, "uuid '%s'", uuid);
	SH_OK("$AWSX s3api head-object --bucket $B --key " BINPFX
	      "/.recyclefs/manifests/%s.json > /dev/null",
	      uuid);
	free(uuid);
	/* The origin is gone through the mount; the bin shows the entry. */
	cr_expect_eq(stat(rfs_test_mnt(&m, E "/dt=2013-01-01"), &st), -1);
	SH_OK("ls -lR mnt/.recyclebin/" E "/dt=2013-01-01 > bin.ls && grep -q "
	      "' 3000000 .* part-1.parquet$' bin.ls && grep -q nested bin.ls");
	SH_OK("cd mnt/.recyclebin/" E "/dt=2013-01-01 && sha256sum -c --quiet "
	      "$OLDPWD/dt=2013-01-01.sum");
	mtime_of(rfs_test_mnt(&m, ".recyclebin/" E "/dt=2013-01-01/%s",
			      files[1]),
		 got, sizeof(got));
	mtime_of(rfs_test_data(&m, "../tree/dt=2013-01-01/%s", files[1]), want,
		 sizeof(want));
	cr_expect_str_eq(got, want);
}

Test(s3, restore_back_to_s3_and_out_to_a_local_folder)
{
	const char *files[] = { "part-0.parquet", "part-1.parquet",
				"sub/nested" };
	struct rfs_test_out o = { 0 };
	char want[40], got[40], key[256];
	size_t i;
	int r;

	archive_partition();
	/* To where it was. */
	r = rfs_test_cli(&m, &o, "restore", E "/dt=2013-01-01");
	cr_assert_eq(r, 0, "%s%s", o.out, o.err);
	SH_OK("$AWSX s3 cp --only-show-errors --recursive s3://$B/" PFX
	      "/dt=2013-01-01/ back/ && (cd back && sha256sum -c --quiet "
	      "../dt=2013-01-01.sum)");
	for (i = 0; i < 3; i++) {
		mtime_of(
			rfs_test_data(&m, "../tree/dt=2013-01-01/%s", files[i]),
			want, sizeof(want));
		snprintf(key, sizeof(key), PFX "/dt=2013-01-01/%s", files[i]);
		meta_mtime(key, got, sizeof(got));
		cr_expect_str_eq(got, want, "x-amz-meta-mtime of '%s'", key);
	}
	cr_expect(rfs_test_sh_until(&m, 30,
				    "cd mnt/" E "/dt=2013-01-01 && sha256sum "
				    "-c --quiet $OLDPWD/dt=2013-01-01.sum"),
		  "the restored partition does not read back through the "
		  "mount");

	/* Out of S3 into a local folder: the same family. */
	SH_OK("mkdir out");
	r = rfs_test_sh(&m, &o,
			"recyclefs restore '" E "/dt=2013-01-01' --to-uri "
			"\"file://$PWD/out\"");
	cr_assert_eq(r, 0, "%s%s", o.out, o.err);
	SH_OK("cd out/dt=2013-01-01 && sha256sum -c --quiet "
	      "../../dt=2013-01-01.sum");
	for (i = 0; i < 3; i++) {
		mtime_of(
			rfs_test_data(&m, "../tree/dt=2013-01-01/%s", files[i]),
			want, sizeof(want));
		mtime_of(rfs_test_data(&m, "../out/dt=2013-01-01/%s", files[i]),
			 got, sizeof(got));
		cr_expect_str_eq(got, want, "mtime of out/%s", files[i]);
	}

	/* Into a relational epoch: refused, naming both sides. */
	r = rfs_test_cli(&m, &o, "storage", "add", "pg",
			 "postgres://db.internal/lake");
	r = r
		    ?: rfs_test_cli(&m, &o, "lifecycle", "add", "sales.orders",
				    "gold");
	r = r
		    ?: rfs_test_cli(&m, &o, "epoch", "add", "sales.orders",
				    "gold", "--from", "2013-01-01", "--storage",
				    "pg");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_cli(&m, &o, "restore", E "/dt=2013-01-01", "--to",
			 "sales.orders/gold/2013-01-01..now");
	cr_expect_eq(r, 1);
	cr_expect(strstr(o.err, "is blob data (s3) and cannot be restored "
				"into relational storage 'pg'"),
		  "%s", o.err);
	rfs_test_out_release(&o);
}

/* ------------------------------------------------------------ big folder */

struct putter {
	struct rfs_s3_client *c;
	pthread_mutex_t lock;
	const char *prefix; /* the objects go below PREFIX/big/ */
	int next, n, failed;
	char why[sizeof(((struct rfs_error *)0)->msg)];
};

static void *put_some(void *arg)
{
	struct putter *p = arg;
	struct rfs_error err = { 0 };
	struct rfs_s3_request r;
	char key[128], body[32];
	int i, e;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->failed ? p->n : p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		snprintf(key, sizeof(key), "%s/big/part-%05d.parquet",
			 p->prefix, i);
		snprintf(body, sizeof(body), "%d\n", i);
		memset(&r, 0, sizeof(r));
		r.method = "PUT";
		r.key = key;
		r.body = body;
		r.body_len = strlen(body);
		r.body_fd = -1;
		r.idempotent = true;
		e = rfs_s3_perform(p->c, &r, &err);
		if (e < 0) {
			pthread_mutex_lock(&p->lock);
			p->failed = e;
			snprintf(p->why, sizeof(p->why), "%s", err.msg);
			pthread_mutex_unlock(&p->lock);
		}
	}
}

/* Write @p n small objects below @p prefix/big/ with 16 threads. */
static void put_many(const char *prefix, int n)
{
	struct putter p = { .n = n, .prefix = prefix };
	struct rfs_error err = { 0 };
	struct rfs_s3_conf conf = { 0 };
	pthread_t t[16];
	int i, r;

	r = rfs_s3_conf_load("s3", bucket, "", strchr(uri, '?') + 1, uri, &conf,
			     &err);
	cr_assert_eq(r, 0, "%s", err.msg);
	r = rfs_s3_client_new(&conf, uri, &p.c, &err);
	cr_assert_eq(r, 0, "%s", err.msg);
	rfs_s3_conf_release(&conf);
	pthread_mutex_init(&p.lock, NULL);
	for (i = 0; i < 16; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, put_some, &p), 0);
	for (i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	rfs_s3_client_free(p.c);
	cr_assert_eq(p.failed, 0, "PUT failed: %s", p.why);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(s3, a_folder_of_ten_thousand_objects_lists_completely)
{
	struct rfs_test_out o = { 0 };
	double t0 = now_s(), t1, t2;

	put_many(PFX, 10000);
	t1 = now_s();
	mount_up();
	cr_assert_eq(rfs_test_sh(&m, &o, "ls mnt/" E "/big | wc -l"), 0, "%s",
		     o.err);
	cr_expect_eq(atoi(o.out), 10000, "ls shows %s entries", o.out);
	cr_assert_eq(rfs_test_sh(&m, &o,
				 "ls -l mnt/" E "/big | grep -c "
				 "' part-[0-9]*\\.parquet$'"),
		     0, "%s", o.err);
	cr_expect_eq(atoi(o.out), 10000, "ls -l shows %s files", o.out);
	cr_assert_eq(
		rfs_test_sh(&m, &o, "ls mnt/" E "/big | sed -n '1p;10000p'"),
		0);
	cr_expect_str_eq(o.out, "part-00000.parquet\npart-09999.parquet\n");
	t2 = now_s();
	cr_log_info("10,000 objects: written in %.1f s, listed in %.1f s",
		    t1 - t0, t2 - t1);
	cr_expect_lt(t2 - t1, 90, "listing took %.0f s", t2 - t1);
	rfs_test_out_release(&o);
}

/* ------------------------------------------------------------------ names */

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	cr_assert_geq(fd, 0, "create '%s': %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	cr_assert_eq(close(fd), 0, "close '%s': %s", path, strerror(errno));
}

static void expect_content(const char *path, const char *data)
{
	char buf[512];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0, "open '%s': %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	cr_expect_str_eq(buf, data, "content of '%s'", path);
}

Test(s3, names_with_spaces_plus_equals_unicode_and_255_bytes)
{
	char longname[256], toolong[257], key[600];
	const char *names[] = {
		"a b.parquet",
		"a+b.parquet",
		"k=v x+y",
		"dt=2013 01+02",
		"h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac.txt",
		"%41 %2F ~!@#$&()[]{}';,",
		longname,
	};
	size_t i, n = sizeof(names) / sizeof(names[0]);
	struct rfs_test_out o = { 0 };
	struct stat st;
	DIR *d;
	struct dirent *de;
	size_t seen = 0;

	memset(longname, 'n', 251);
	strcpy(longname + 251, ".txt");
	cr_assert_eq(strlen(longname), 255);
	memset(toolong, 'n', 252);
	strcpy(toolong + 252, ".txt");
	mount_up();
	cr_assert_eq(mkdir(rfs_test_mnt(&m, E "/odd"), 0755), 0);
	for (i = 0; i < n; i++)
		write_file(rfs_test_mnt(&m, E "/odd/%s", names[i]), names[i]);
	errno = 0;
	cr_expect_eq(open(rfs_test_mnt(&m, E "/odd/%s", toolong),
			  O_WRONLY | O_CREAT, 0644),
		     -1);
	cr_expect_eq(errno, ENAMETOOLONG, "%s", strerror(errno));
	/* Each name is its object's key, byte for byte. */
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), PFX "/odd/%s", names[i]);
		setenv("KEY", key, 1);
		cr_expect_eq(rfs_test_sh(&m, &o,
					 "$AWSX s3 cp --only-show-errors "
					 "\"s3://$B/$KEY\" -"),
			     0, "no object '%s': %s", key, o.err);
		cr_expect_str_eq(o.out, names[i], "object '%s'", key);
	}
	/* An object of another tool with such a name reads through. */
	setenv("KEY", PFX "/odd/from aws+cli=\xc3\xa9 x.txt", 1);
	SH_OK("printf 'from aws' | $AWSX s3 cp --only-show-errors - "
	      "\"s3://$B/$KEY\"");
	/* A fresh mount lists and reads them all. */
	rfs_test_mount_stop(&m);
	mount_up();
	d = opendir(rfs_test_mnt(&m, E "/odd"));
	cr_assert_not_null(d, "%s", strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		seen++;
	}
	closedir(d);
	cr_expect_eq(seen, n + 1);
	for (i = 0; i < n; i++) {
		cr_expect_eq(stat(rfs_test_mnt(&m, E "/odd/%s", names[i]), &st),
			     0, "'%s': %s", names[i], strerror(errno));
		expect_content(rfs_test_mnt(&m, E "/odd/%s", names[i]),
			       names[i]);
	}
	expect_content(rfs_test_mnt(&m, E "/odd/from aws+cli=\xc3\xa9 x.txt"),
		       "from aws");
	/* Renames between such names stay exact too. */
	cr_expect_eq(rename(rfs_test_mnt(&m, E "/odd/%s", names[0]),
			    rfs_test_mnt(&m, E "/odd/%s", names[4])),
		     0, "%s", strerror(errno));
	expect_content(rfs_test_mnt(&m, E "/odd/%s", names[4]), names[0]);
	rfs_test_out_release(&o);
}

/* ---------------------------------------------------------------- failures */

Test(s3, wrong_credentials_fail_with_eacces_and_no_secret_in_the_log)
{
	char *log;
	struct stat st;
	int fd;

	SH_OK("printf data | $AWSX s3 cp --only-show-errors - s3://$B/" PFX
	      "/dt=2013-01-01/part-0.parquet");
	setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
	mount_up();
	setenv("AWS_SECRET_ACCESS_KEY", "TESTSECRET", 1);
	errno = 0;
	cr_expect_null(opendir(rfs_test_mnt(&m, E)));
	cr_expect_eq(errno, EACCES, "opendir: %s", strerror(errno));
	errno = 0;
	cr_expect_eq(
		stat(rfs_test_mnt(&m, E "/dt=2013-01-01/part-0.parquet"), &st),
		-1);
	cr_expect_eq(errno, EACCES, "stat: %s", strerror(errno));
	errno = 0;
	fd = open(rfs_test_mnt(&m, E "/new"), O_WRONLY | O_CREAT, 0644);
	cr_expect_eq(fd, -1);
	cr_expect_eq(errno, EACCES, "create: %s", strerror(errno));
	rfs_test_mount_stop(&m);
	log = rfs_test_mount_log(&m);
	cr_expect(strstr(log, "access denied"), "log:\n%s", log);
	cr_expect(strstr(log, bucket), "the log does not name the storage:\n%s",
		  log);
	cr_expect_null(strstr(log, "wrong"), "a secret in the log:\n%s", log);
	cr_expect_null(strstr(log, "TESTSECRET"), "a secret in the log:\n%s",
		       log);
	free(log);
}

Test(s3, an_unknown_bucket_fails_and_the_log_says_so)
{
	struct rfs_test_out o = { 0 };
	char *nob =
		rfs_test_s3_uri(endpoint, "rfs-no-such-bucket-here", "x", NULL);
	char *log;
	DIR *d;
	int r;

	r = rfs_test_cli(&m, &o, "storage", "add", "nob", nob);
	r = r ?: rfs_test_cli(&m, &o, "table", "add", "t.nob");
	r = r ?: rfs_test_cli(&m, &o, "lifecycle", "add", "t.nob", "raw");
	r = r
		    ?: rfs_test_cli(&m, &o, "epoch", "add", "t.nob", "raw",
				    "--from", "2020-01-01", "--storage", "nob");
	cr_assert_eq(r, 0, "%s", o.err);
	rfs_test_out_release(&o);
	free(nob);
	mount_up();
	errno = 0;
	d = opendir(rfs_test_mnt(&m, "t.nob/raw/2020-01-01..now"));
	cr_expect_null(d, "the epoch of a missing bucket lists");
	if (d)
		closedir(d);
	cr_expect(errno == ENOENT || errno == EIO, "opendir: %s",
		  strerror(errno));
	cr_expect_neq(rfs_test_sh(&m, NULL, "ls mnt/t.nob/raw/2020-01-01..now"),
		      0);
	rfs_test_mount_stop(&m);
	log = rfs_test_mount_log(&m);
	cr_expect(
		strstr(log, "bucket 'rfs-no-such-bucket-here' does not exist"),
		"log:\n%s", log);
	free(log);
}

/* Start moto_server on @p port of 127.0.0.1 and wait until it answers. */
static pid_t moto_on(int port)
{
	char p[16];
	pid_t pid;
	int i;

	snprintf(p, sizeof(p), "%d", port);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("moto_server", "moto_server", "-H", "127.0.0.1", "-p", p,
		       (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		if (rfs_test_sh(&m, NULL,
				"curl -s -o /dev/null --max-time 1 "
				"http://127.0.0.1:%d/",
				port) == 0)
			return pid;
		cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0,
			     "moto_server exited at once");
		usleep(50000);
	}
	cr_assert_fail("moto_server does not answer on port %d", port);
	return -1;
}

#define MIXED "t.mixed/raw/2020-01-01..now"

Test(s3, a_bin_server_dying_mid_archive_fails_the_job_and_retry_ends_it)
{
	struct rfs_test_server moto = { 0 };
	struct rfs_test_out o = { 0 };
	char *mb, *bin_uri, *v, src[200];
	int r, port;
	pid_t again;

	rfs_test_moto_start(&moto);
	port = atoi(strrchr(moto.endpoint, ':') + 1);
	mb = rfs_test_s3_bucket_new(moto.endpoint);
	bin_uri = rfs_test_s3_uri(moto.endpoint, mb, "bin", NULL);
	rfs_test_aws_env("AWSM", moto.endpoint);
	setenv("MB", mb, 1);
	/* A local source, 400 files of 12 KiB (4.7 MiB), its bin on moto. */
	SH_OK("mkdir -p data/mixed/p/dt=2020-01-01 && cd "
	      "data/mixed/p/dt=2020-01-01 && for i in $(seq 1 400); do head "
	      "-c 12288 /dev/urandom > part-$i.parquet; done && sha256sum * "
	      "| sort -k2 > $OLDPWD/mixed.sum");
	snprintf(src, sizeof(src), "file://%s/data/mixed", m.dir);
	r = rfs_test_cli(&m, &o, "storage", "add", "mixed", src, "--bin",
			 bin_uri);
	r = r ?: rfs_test_cli(&m, &o, "table", "add", "t.mixed");
	r = r ?: rfs_test_cli(&m, &o, "lifecycle", "add", "t.mixed", "raw");
	r = r
		    ?: rfs_test_cli(&m, &o, "epoch", "add", "t.mixed", "raw",
				    "--from", "2020-01-01", "--storage",
				    "mixed", "--path", "p");
	cr_assert_eq(r, 0, "%s", o.err);
	mount_up();
	SH_OK("mv mnt/" MIXED "/dt=2020-01-01 mnt/.recyclebin/");
	/* The server goes away once copies have started landing. */
	cr_assert(rfs_test_sh_until(&m, 60,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.files_done "
				    "mnt/.recyclebin/" MIXED
				    "/dt=2020-01-01)\" -ge 1"),
		  "no copy landed");
	kill(moto.pid, SIGKILL);
	waitpid(moto.pid, NULL, 0);
	moto.pid = 0;
	wait_state(MIXED "/dt=2020-01-01", "failed", 120);
	v = entry_field(MIXED "/dt=2020-01-01", "failed_step");
	cr_expect_str_eq(v, "sync");
	free(v);
	v = entry_field(MIXED "/dt=2020-01-01", "reason");
	cr_expect(strstr(v, "dt=2020-01-01/part-") && strstr(v, "failed"),
		  "reason: %s", v);
	cr_expect(strstr(v, "cannot reach"), "reason: %s", v);
	cr_expect_null(strstr(v, "TESTSECRET"));
	free(v);
	/* Nothing of the source was deleted: every byte is where it was, and
	 * the mount shows it at its origin again. */
	SH_OK("cd data/mixed/p/dt=2020-01-01 && sha256sum -c --quiet "
	      "$OLDPWD/mixed.sum && test $(ls | wc -l) = 400");
	SH_OK("test $(ls mnt/" MIXED "/dt=2020-01-01 | wc -l) = 400");
	/* With the bin's server still down and nothing cached any more
	 * (cache_ttl is 10 s), the entry still shows and tells its state. */
	sleep(11);
	wait_state(MIXED "/dt=2020-01-01", "failed", 30);

	/* The server comes back (empty: moto keeps nothing); retry ends it. */
	again = moto_on(port);
	SH_OK("$AWSM s3 mb s3://$MB > /dev/null");
	r = rfs_test_cli(&m, &o, "retry", MIXED "/dt=2020-01-01");
	cr_expect_eq(r, 0, "retry: %s%s", o.out, o.err);
	wait_state(MIXED "/dt=2020-01-01", "archived", 60);
	SH_OK("test ! -e data/mixed/p/dt=2020-01-01");
	SH_OK("$AWSM s3 cp --only-show-errors --recursive s3://$MB/bin/" MIXED
	      "/dt=2020-01-01/ moto-got/ && cd moto-got && sha256sum -c "
	      "--quiet ../mixed.sum");
	rfs_test_mount_stop(&m);
	kill(again, SIGTERM);
	waitpid(again, NULL, 0);
	rfs_test_out_release(&o);
	free(mb);
	free(bin_uri);
}

Test(s3, an_object_changed_during_an_archive_fails_it_with_the_source_intact)
{
	struct rfs_test_out o = { 0 };
	char *state = NULL, *v;
	int k, r;

	RFS_TEST_NEEDS_HOOKS();
	/* Objects with preserved times, as recyclefs or s3fs leave them. */
	SH_OK("mkdir -p src && head -c 500000 /dev/urandom > src/part-0.parquet "
	      "&& head -c 700000 /dev/urandom > src/part-1.parquet && "
	      "for f in part-0.parquet part-1.parquet; do $AWSX s3 cp "
	      "--only-show-errors --metadata mtime=981173106.123456789 "
	      "src/$f s3://$B/" PFX "/dt=2013-01-05/$f || exit 1; done");
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-05");
	cr_assert_eq(r, 0, "%s", o.err);
	/* Stop a run of the job at its k-th storage call, k growing, until it
	 * stops after the snapshot is committed, before anything is
	 * verified. */
	for (k = 1; k < 200; k++) {
		r = rfs_test_sh(&m, &o,
				"RECYCLEFS_TEST_KILL_AFTER=%d recyclefs resume",
				k);
		free(state);
		state = entry_field(E "/dt=2013-01-05", "state");
		if (!strcmp(state, "sync"))
			break;
		cr_assert_str_eq(state, "snapshot",
				 "run %d left it %s (exit %d): %s%s", k, state,
				 r, o.out, o.err);
	}
	cr_assert_str_eq(state, "sync");
	free(state);
	/* Another client rewrites one object between snapshot and verify. */
	SH_OK("head -c 700001 /dev/urandom > changed && $AWSX s3 cp "
	      "--only-show-errors changed s3://$B/" PFX
	      "/dt=2013-01-05/part-1.parquet");
	r = rfs_test_cli(&m, &o, "resume");
	cr_expect_neq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(E "/dt=2013-01-05", "state");
	cr_expect_str_eq(v, "failed");
	free(v);
	/* the resumed sync copies the version it finds (the snapshot took
	 * no HEAD) and sees the size the snapshot listed is not its size */
	v = entry_field(E "/dt=2013-01-05", "failed_step");
	cr_expect_str_eq(v, "sync");
	free(v);
	v = entry_field(E "/dt=2013-01-05", "reason");
	cr_expect(strstr(v, "dt=2013-01-05/part-1.parquet") &&
			  strstr(v, "changed"),
		  "reason: %s", v);
	free(v);
	/* The source is intact: the untouched object, the new version. */
	SH_OK("$AWSX s3 cp --only-show-errors s3://$B/" PFX
	      "/dt=2013-01-05/part-0.parquet - | cmp - src/part-0.parquet && "
	      "$AWSX s3 cp --only-show-errors s3://$B/" PFX
	      "/dt=2013-01-05/part-1.parquet - | cmp - changed");
	rfs_test_out_release(&o);
}

/* ------------------------------------------------------- attrs=listing */

/* Epoch "silver" shows the objects below LPFX through storage "s3l",
 * whose attributes come from listings. The same prefix as "bronze" read
 * that way is the same place, which one folder cannot be twice. */
#define EL   "sales.orders/silver/2013-01-01..now"
#define LPFX "orders-l/silver"

static void listing_epoch(void)
{
	struct rfs_test_out o = { 0 };
	char *same =
		rfs_test_s3_uri(endpoint, bucket, "orders", "attrs=listing");
	char *u =
		rfs_test_s3_uri(endpoint, bucket, "orders-l", "attrs=listing");
	int r;

	r = rfs_test_cli(&m, &o, "storage", "add", "s3same", same);
	r = r ?: rfs_test_cli(&m, &o, "storage", "add", "s3l", u);
	r = r
		    ?: rfs_test_cli(&m, &o, "lifecycle", "add", "sales.orders",
				    "silver");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_cli(&m, &o, "epoch", "add", "sales.orders", "silver",
			 "--from", "2013-01-01", "--storage", "s3same",
			 "--path", "bronze");
	cr_assert_eq(r, 1,
		     "the prefix of epoch bronze was accepted again "
		     "through attrs=listing");
	cr_assert(strstr(o.err, "one folder cannot be two epochs"), "%s",
		  o.err);
	r = rfs_test_cli(&m, &o, "epoch", "add", "sales.orders", "silver",
			 "--from", "2013-01-01", "--storage", "s3l", "--path",
			 "silver");
	cr_assert_eq(r, 0, "%s", o.err);
	rfs_test_out_release(&o);
	free(same);
	free(u);
}

/* Lines of the daemon's debug log that match the extended regex RE. */
static int log_count(const char *re)
{
	struct rfs_test_out o = { 0 };

	int n;

	setenv("RE", re, 1);
	rfs_test_sh(&m, &o, "grep -cE \"$RE\" '%s'", m.log);
	n = atoi(o.out);
	rfs_test_out_release(&o);
	return n;
}

/* Last-Modified of object KEY in seconds since the epoch, as the aws
 * command line shows it. */
static long last_modified(const char *key)
{
	char when[64];
	struct tm tm = { 0 };

	head_object(key, "LastModified", when, sizeof(when));
	/* "Tue, 24 Nov 2026 15:05:16 GMT" (or ISO 8601), in UTC */
	cr_assert(strptime(when, "%a, %d %b %Y %H:%M:%S", &tm) ||
			  strptime(when, "%Y-%m-%dT%H:%M:%S", &tm),
		  "%s", when);
	return (long)timegm(&tm);
}

static long stat_field(const char *path, const char *fmt)
{
	struct rfs_test_out o = { 0 };
	long v;

	cr_assert_eq(rfs_test_sh(&m, &o, "stat -c '%s' '%s'", fmt, path), 0,
		     "stat '%s': %s", path, o.err);
	v = strtol(o.out, NULL, strcmp(fmt, "%a") ? 10 : 8);
	rfs_test_out_release(&o);
	return v;
}

Test(s3, attrs_listing_lists_with_a_request_per_thousand_names_no_heads)
{
	struct rfs_test_out o = { 0 };
	const char *f = "mnt/" EL "/big/part-00007.parquet";

	put_many(LPFX, 1100);
	put_many(PFX, 1100);
	listing_epoch();
	m.verbose = true;
	mount_up();
	cr_assert_eq(rfs_test_sh(&m, &o,
				 "ls -l mnt/" EL "/big | grep -c "
				 "' part-[0-9]*\\.parquet$'"),
		     0, "%s", o.err);
	cr_expect_eq(atoi(o.out), 1100, "ls -l shows %s files", o.out);
	cr_expect_eq(log_count("s3 HEAD '" LPFX "/big/"), 0,
		     "objects were HEADed one by one");
	cr_expect_leq(log_count("s3 GET '' \\?list-type=2.*prefix=orders-l%2F"
				"silver%2Fbig%2F&delimiter"),
		      2, "more than two listing pages for 1,100 names");
	/* stat agrees with the listing and with the server */
	cr_expect_eq(stat_field(f, "%Y"),
		     last_modified(LPFX "/big/part-00007.parquet"));
	cr_expect_eq(stat_field(f, "%a"), 0644);
	cr_expect_eq(stat_field(f, "%s"), 2);
	/* the same folder through a storage that reads x-amz-meta-*: a
	 * HEAD per object, the count above can tell them apart */
	SH_OK("ls -l mnt/" E "/big > /dev/null");
	cr_expect_geq(log_count("s3 HEAD '" PFX "/big/"), 1100);
	rfs_test_out_release(&o);
}

Test(s3, attrs_listing_shows_server_times_and_refuses_other_ones)
{
	struct rfs_test_out o = { 0 };
	const char *f = "mnt/" EL "/w/new", *key = LPFX "/w/new";
	long before;
	int r;

	listing_epoch();
	mount_up();
	SH_OK("mkdir mnt/" EL "/w && echo hello > %s", f);
	cr_expect_eq(stat_field(f, "%Y"), last_modified(key));
	cr_expect_eq(stat_field(f, "%a"), 0644);
	expect_content(rfs_test_mnt(&m, EL "/w/new"), "hello\n");
	/* what is shown may be asked for; anything else is refused */
	SH_OK("chmod 644 %s", f);
	r = rfs_test_sh(&m, &o, "chmod 600 %s", f);
	cr_expect_neq(r, 0);
	cr_expect(strstr(o.err, "Operation not permitted"), "%s", o.err);
	r = rfs_test_sh(&m, &o, "touch -d '2001-02-03 04:05:06' %s", f);
	cr_expect_neq(r, 0);
	cr_expect(strstr(o.err, "Operation not permitted"), "%s", o.err);
	r = rfs_test_sh(&m, &o, "ln -s new mnt/" EL "/w/link");
	cr_expect_neq(r, 0);
	cr_expect(strstr(o.err, "Operation not permitted"), "%s", o.err);
	cr_expect_eq(count_objects(LPFX "/w/link"), 0);
	cr_expect(log_count("chmod of .*attrs=listing") >= 1,
		  "the log does not say why chmod was refused");
	/* "now" rewrites the object: Last-Modified moves */
	before = stat_field(f, "%Y");
	sleep(1);
	SH_OK("touch %s", f);
	cr_expect_gt(stat_field(f, "%Y"), before);
	cr_expect_eq(stat_field(f, "%Y"), last_modified(key));
	expect_content(rfs_test_mnt(&m, EL "/w/new"), "hello\n");
	rfs_test_out_release(&o);
}

Test(s3, attrs_listing_archives_and_restores_the_same_bytes)
{
	struct rfs_test_out o = { 0 };
	int r;

	listing_epoch();
	make_tree("dt=2013-01-06");
	SH_OK("$AWSX s3 cp --only-show-errors --recursive tree/dt=2013-01-06 "
	      "s3://$B/" LPFX "/dt=2013-01-06/");
	mount_up();
	SH_OK("mv mnt/" EL "/dt=2013-01-06 mnt/.recyclebin/");
	wait_state(EL "/dt=2013-01-06", "archived", 120);
	cr_expect_eq(count_objects(LPFX "/dt=2013-01-06/"), 0);
	SH_OK("cd mnt/.recyclebin/" EL "/dt=2013-01-06 && sha256sum -c "
	      "--quiet $OLDPWD/dt=2013-01-06.sum");
	r = rfs_test_cli(&m, &o, "restore", EL "/dt=2013-01-06");
	cr_assert_eq(r, 0, "%s%s", o.out, o.err);
	SH_OK("$AWSX s3 cp --only-show-errors --recursive s3://$B/" LPFX
	      "/dt=2013-01-06/ back/ && (cd back && sha256sum -c --quiet "
	      "../dt=2013-01-06.sum)");
	cr_expect(rfs_test_sh_until(&m, 30,
				    "cd mnt/" EL "/dt=2013-01-06 && sha256sum "
				    "-c --quiet $OLDPWD/dt=2013-01-06.sum"),
		  "the restored partition does not read back through the "
		  "mount");
	rfs_test_out_release(&o);
}

/* ------------------------------------------- verify by what S3 attests */

/* Objects "part-1.parquet" .. "part-N.parquet" of SIZE random bytes in
 * the local folder NAME and below PREFIX/NAME/, with preserved times;
 * their SHA-256 in NAME.sum. */
static void put_parts_in(const char *prefix, const char *name, int n, int size)
{
	SH_OK("mkdir -p %s && for i in $(seq 1 %d); do head -c %d "
	      "/dev/urandom > %s/part-$i.parquet || exit 1; done && (cd %s "
	      "&& sha256sum * | sort -k2) > %s.sum && $AWSX s3 cp "
	      "--only-show-errors --recursive --metadata "
	      "mtime=981173106.123456789 %s s3://$B/%s/%s/",
	      name, n, size, name, name, name, name, prefix, name);
}

static void put_parts(const char *name, int n, int size)
{
	put_parts_in(PFX, name, n, size);
}

/* Requests of the debug log FILE whose line matches the extended regex
 * RE ("s3 GET 'KEY'..."). */
static int requests_in(const char *file, const char *re)
{
	struct rfs_test_out o = { 0 };
	int n;

	setenv("RE", re, 1);
	rfs_test_sh(&m, &o, "grep -cE \"$RE\" '%s'", file);
	n = atoi(o.out);
	rfs_test_out_release(&o);
	return n;
}

/* Print the requests of the debug log FILE by method and key (numbers
 * of parts as N), for the figures of docs/performance.md. */
static void print_requests(const char *file)
{
	struct rfs_test_out o = { 0 };

	rfs_test_sh(&m, &o,
		    "sed -nE \"s/.*s3 ([A-Z]+) '([^']*)'( \\?[a-z-]*)?.*/\\1 "
		    "\\2\\3/p\" '%s' | sed -E 's/part-[0-9]+/part-N/' | sort | "
		    "uniq -c",
		    file);
	fprintf(stderr, "%s", o.out);
	rfs_test_out_release(&o);
}

/* HEADs of sources a run whose debug log is FILE may send beyond the
 * reading path's: none, on a server that states no SHA-256 (Ceph RGW:
 * each source's GET gives its x-amz-meta-*); on one that does (moto, the
 * suite run against it), a HEAD of each of the N sources the attribute
 * store did not know, which then are not read (checksum=auto,
 * docs/s3.md), but the run's first copy. */
static int heads_allowed(const char *file, int n)
{
	return requests_in(file, "states additional checksums") > 0 ? n : 0;
}

/* Run the job of the entry at E/NAME until it stops in state STATE (a
 * run killed at its k-th storage call, k growing). */
static void run_until(const char *name, const char *state)
{
	struct rfs_test_out o = { 0 };
	char *now = NULL;
	int k, r;

	for (k = 1; k < 400; k++) {
		r = rfs_test_sh(&m, &o,
				"RECYCLEFS_TEST_KILL_AFTER=%d recyclefs resume",
				k);
		free(now);
		now = entry_field(name, "state");
		if (!strcmp(now, state))
			break;
		cr_assert(r != 0, "the job ended (%s) before %s: %s%s", now,
			  state, o.out, o.err);
	}
	cr_assert_str_eq(now, state);
	free(now);
	rfs_test_out_release(&o);
}

Test(s3, server_side_copies_are_proven_by_the_server_without_reading_them)
{
	struct rfs_test_out o = { 0 };
	char sum[80], md5[80], etag[80], key[256];
	int r, i, total;
	bool stating;
	char *v;

	put_parts("dt=2013-01-07", 20, 300000);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-07");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> arch.log");
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(E "/dt=2013-01-07", "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	/* the bin holds the bytes, each copy its digests */
	SH_OK("$AWSX s3 cp --only-show-errors --recursive s3://$B/" BINPFX "/" E
	      "/dt=2013-01-07/ bin/ && (cd bin && sha256sum -c --quiet "
	      "../dt=2013-01-07.sum)");
	/* a server stating SHA-256s (moto) made the copies after the first
	 * one without reading their sources, and records no digests on
	 * them (the suite's checksum_* tests check that path) */
	stating = heads_allowed("arch.log", 1) > 0;
	for (i = 1; !stating && i <= 20; i += 19) {
		snprintf(key, sizeof(key),
			 BINPFX "/" E "/dt=2013-01-07/part-%d.parquet", i);
		head_object(key, "Metadata.sha256", sum, sizeof(sum));
		head_object(key, "Metadata.md5", md5, sizeof(md5));
		head_object(key, "ETag", etag, sizeof(etag));
		SH_OK("grep -q '^%s  part-%d.parquet$' dt=2013-01-07.sum", sum,
		      i);
		cr_expect(strlen(etag) == 34 && !strncmp(etag + 1, md5, 32),
			  "ETag %s, x-amz-meta-md5 %s", etag, md5);
	}
	/* each source read once, no copy read back */
	cr_expect_eq(
		requests_in("arch.log", "s3 GET '" PFX "/dt=2013-01-07/part-"),
		stating ? 1 : 20);
	cr_expect_eq(requests_in("arch.log", "s3 GET '" BINPFX "/" E
					     "/dt=2013-01-07/part-"),
		     0, "copies were read back");
	total = requests_in("arch.log", "s3 (GET|HEAD|PUT|POST|DELETE) '");
	cr_log_info("archive of 20 objects: %d requests, %.1f per file", total,
		    total / 20.0);
	fprintf(stderr, "requests per archived file: %.2f\n", total / 20.0);
	rfs_test_sh(&m, &o,
		    "cp arch.log /tmp/rfs-s3-arch.log; sed -nE "
		    "\"s/.*s3 ([A-Z]+) '([^']*)'.*/\\1 \\2/p\" arch.log | "
		    "sed -E 's/part-[0-9]+/part-N/' | sort | uniq -c");
	fprintf(stderr, "%s", o.out);
	rfs_test_out_release(&o);
}

/* Epoch "gold" shows the objects below FPFX through storage "s3f",
 * whose copies are verified by reading them back (verify=full). */
#define EF   "sales.orders/gold/2013-01-01..now"
#define FPFX "orders-f/gold"
#define FBIN "orders-f/.recyclebin"

static void full_epoch(void)
{
	struct rfs_test_out o = { 0 };
	char *u = rfs_test_s3_uri(endpoint, bucket, "orders-f", "verify=full");
	int r;

	r = rfs_test_cli(&m, &o, "storage", "add", "s3f", u);
	r = r
		    ?: rfs_test_cli(&m, &o, "lifecycle", "add", "sales.orders",
				    "gold");
	r = r
		    ?: rfs_test_cli(&m, &o, "epoch", "add", "sales.orders",
				    "gold", "--from", "2013-01-01", "--storage",
				    "s3f", "--path", "gold");
	cr_assert_eq(r, 0, "%s", o.err);
	rfs_test_out_release(&o);
	free(u);
}

/* Archive ENTRY (whose objects are below SRC and whose copies will be
 * below BIN) up to its verify step; write other bytes under the copy of
 * part-1 (with KEEP_META, the metadata the copy had, as a tool that
 * rewrites an object keeping its x-amz-meta-* would; part-2 when the
 * copy of part-1 records none, its SHA-256 stated by the server); PART
 * names the one rewritten; resume into verify.log: the job fails at
 * verify, the source intact. */
static void corrupt_copy_before_verify(const char *entry, const char *name,
				       const char *src, const char *bin,
				       bool keep_meta, char part[32])
{
	struct rfs_test_out o = { 0 };
	char meta[400] = "", sum[80], md5[80], key[512];
	char *v;
	int r;

	put_parts_in(src, name, 2, 200000);
	snprintf(key, sizeof(key), "%s/%s", entry, name);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", key);
	cr_assert_eq(r, 0, "%s", o.err);
	run_until(key, "verify");
	snprintf(part, 32, "part-1");
	snprintf(key, sizeof(key), "%s/%s/%s/part-1.parquet", bin, entry, name);
	if (keep_meta) {
		head_object(key, "Metadata.sha256", sum, sizeof(sum));
		head_object(key, "Metadata.md5", md5, sizeof(md5));
		/* a copy whose SHA-256 the server stated (moto) records
		 * none: the other copy does (the run's first, read) */
		if (strlen(sum) != 64) {
			snprintf(part, 32, "part-2");
			snprintf(key, sizeof(key), "%s/%s/%s/part-2.parquet",
				 bin, entry, name);
			head_object(key, "Metadata.sha256", sum, sizeof(sum));
			head_object(key, "Metadata.md5", md5, sizeof(md5));
		}
		cr_assert_eq(strlen(sum), 64, "x-amz-meta-sha256 '%s'", sum);
		snprintf(meta, sizeof(meta),
			 "--metadata mtime=981173106.123456789,sha256=%s,"
			 "md5=%s",
			 sum, md5);
	}
	SH_OK("head -c 200000 /dev/urandom > bad && $AWSX s3 cp "
	      "--only-show-errors %s bad \"s3://$B/%s\"",
	      meta, key);
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> verify.log");
	cr_expect_neq(r, 0, "resume: %s%s", o.out, o.err);
	snprintf(key, sizeof(key), "%s/%s", entry, name);
	v = entry_field(key, "state");
	cr_expect_str_eq(v, "failed");
	free(v);
	v = entry_field(key, "failed_step");
	cr_expect_str_eq(v, "verify");
	free(v);
	v = entry_field(key, "reason");
	cr_expect(strstr(v, part) && strstr(v, "does not match"), "reason: %s",
		  v);
	free(v);
	/* the source is whole */
	SH_OK("rm -rf got && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/%s/%s/ got/ && (cd got && sha256sum -c --quiet "
	      "../%s.sum) && test $(ls got | wc -l) = 2",
	      src, name, name);
	rfs_test_out_release(&o);
}

Test(s3, a_copy_rewritten_before_verify_fails_the_job_in_every_verify_mode)
{
	char part[32], re[512];

	/* verify=attest (the default): the server's ETag of the copy is not
	 * the MD5 recorded with the SHA-256 when the source was read; no
	 * copy is read back */
	corrupt_copy_before_verify(E, "dt=2013-01-08", PFX, BINPFX, true, part);
	cr_expect_eq(requests_in("verify.log", "s3 GET '" BINPFX "/" E
					       "/dt=2013-01-08/part-"),
		     0, "a copy was read back");
	snprintf(re, sizeof(re), "s3 HEAD '" BINPFX "/" E "/dt=2013-01-08/%s",
		 part);
	cr_expect_geq(requests_in("verify.log", re), 1);
	/* a copy without the recorded digests is read back and hashed */
	corrupt_copy_before_verify(E, "dt=2013-01-09", PFX, BINPFX, false,
				   part);
	snprintf(re, sizeof(re), "s3 GET '" BINPFX "/" E "/dt=2013-01-09/%s",
		 part);
	cr_expect_geq(requests_in("verify.log", re), 1);
	/* verify=full: every copy read back, whatever it records */
	full_epoch();
	corrupt_copy_before_verify(EF, "dt=2013-01-10", FPFX, FBIN, true, part);
	snprintf(re, sizeof(re), "s3 GET '" FBIN "/" EF "/dt=2013-01-10/%s",
		 part);
	cr_expect_geq(requests_in("verify.log", re), 1,
		      "verify=full did not read the copy back");
}

/* ---------------------------------------------- kept object attributes */

Test(s3, a_second_mount_lists_from_kept_attributes_and_sees_a_rewrite)
{
	struct rfs_test_out o = { 0 };
	int first, second;

	/* the store of this test's own, as a fresh machine has it */
	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	SH_OK("mkdir -p kept && for i in $(seq 1 40); do echo $i > "
	      "kept/part-$i.parquet; done && $AWSX s3 cp --only-show-errors "
	      "--recursive --metadata mtime=981173106.123456789 kept "
	      "s3://$B/" PFX "/kept/");
	m.verbose = true;
	mount_up();
	SH_OK("ls -l mnt/" E "/kept > /dev/null");
	first = log_count("s3 HEAD '" PFX "/kept/part-");
	cr_expect_geq(first, 40, "the first listing HEADs each object");
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	/* another client rewrites one object, with another mtime */
	SH_OK("echo changed > new && $AWSX s3 cp --only-show-errors --metadata "
	      "mtime=1000000000.5 new s3://$B/" PFX "/kept/part-7.parquet");
	mount_up();
	SH_OK("ls -l --time-style=+%%s.%%N mnt/" E "/kept > second.ls");
	second = log_count("s3 HEAD '" PFX "/kept/part-") - first;
	cr_expect_eq(second, 1,
		     "the second mount sent %d HEADs, not only "
		     "the rewritten object's",
		     second);
	/* the kept times show; the rewrite's new one too */
	SH_OK("grep -q ' 981173106.123456789 part-1.parquet$' second.ls && "
	      "grep -q ' 981173106.123456789 part-40.parquet$' second.ls && "
	      "grep -q ' 1000000000.500000000 part-7.parquet$' second.ls");
	rfs_test_out_release(&o);
}

/* ------------------------------ a source rewritten during an archive */

Test(s3, a_source_rewritten_after_its_copy_or_its_verify_is_never_lost)
{
	struct rfs_test_out o = { 0 };
	char *v;
	int r;

	/* between copy and verify: the job fails, the source as it is now */
	put_parts("dt=2013-01-11", 2, 100000);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-11");
	cr_assert_eq(r, 0, "%s", o.err);
	run_until(E "/dt=2013-01-11", "verify");
	SH_OK("head -c 100000 /dev/urandom > new1 && $AWSX s3 cp "
	      "--only-show-errors --metadata mtime=1000000000.5 new1 s3://$B/" PFX
	      "/dt=2013-01-11/part-1.parquet");
	r = rfs_test_sh(&m, &o, "recyclefs resume");
	cr_expect_neq(r, 0);
	v = entry_field(E "/dt=2013-01-11", "state");
	cr_expect_str_eq(v, "failed");
	free(v);
	v = entry_field(E "/dt=2013-01-11", "reason");
	cr_expect(strstr(v, "part-1.parquet") && strstr(v, "changed"),
		  "reason: %s", v);
	free(v);
	SH_OK("$AWSX s3 cp --only-show-errors s3://$B/" PFX
	      "/dt=2013-01-11/part-1.parquet - | cmp - new1 && $AWSX s3 cp "
	      "--only-show-errors s3://$B/" PFX
	      "/dt=2013-01-11/part-2.parquet - "
	      "| cmp - dt=2013-01-11/part-2.parquet");

	/* between verify and delete (the metastore hook, which runs
	 * there, rewrites it): the new version stays at the source, the
	 * bin holds the verified one, the entry says so */
	put_parts("dt=2013-01-12", 2, 100000);
	SH_OK("head -c 100000 /dev/urandom > new2 && { echo '#!/bin/sh'; echo "
	      "'cat > /dev/null'; echo \"$AWSX s3 cp --only-show-errors "
	      "--metadata mtime=1000000000.5 $PWD/new2 s3://$B/" PFX
	      "/dt=2013-01-12/part-1.parquet\"; } > hook.sh && chmod +x "
	      "hook.sh && recyclefs config set metastore.hook $PWD/hook.sh");
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-12");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs resume");
	cr_expect_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(E "/dt=2013-01-12", "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	v = entry_field(E "/dt=2013-01-12", "reason");
	cr_expect(strstr(v, "part-1.parquet") && strstr(v, "kept"),
		  "reason: %s", v);
	free(v);
	SH_OK("$AWSX s3 cp --only-show-errors s3://$B/" PFX
	      "/dt=2013-01-12/part-1.parquet - | cmp - new2");
	cr_expect_eq(count_objects(PFX "/dt=2013-01-12/"), 1);
	SH_OK("rm -rf got && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/" BINPFX "/" E "/dt=2013-01-12/ got/ && (cd got && "
	      "sha256sum -c --quiet ../dt=2013-01-12.sum)");
	rfs_test_out_release(&o);
}

/* ------------------------------------------- requests per archived file */

/* The snapshot lists without a HEAD per object; the sync's GET of each
 * object gives its x-amz-meta-* and completes its manifest row: GET and
 * CopyObject per file, the listings, DeleteObjects and the folders, the
 * manifest and the journal besides. The copies, and the objects
 * restored from them, carry the original mtime. */
Test(s3, an_archive_costs_at_most_two_and_a_half_requests_per_file)
{
	struct rfs_test_out o = { 0 };
	int r, total, deletes, batches, heads;
	char t[64], key[256];
	char *v;

	/* the attribute store of this test's own, as a fresh machine has */
	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	put_parts("dt=2013-01-13", 200, 2000);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-13");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> arch.log");
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(E "/dt=2013-01-13", "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	SH_OK("rm -rf bin && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/" BINPFX "/" E "/dt=2013-01-13/ bin/ && (cd bin && "
	      "sha256sum -c --quiet ../dt=2013-01-13.sum)");
	cr_expect_eq(count_objects(PFX "/dt=2013-01-13/"), 0);
	/* every request of the run, from the per-request debug log */
	total = requests_in("arch.log", "s3 (GET|HEAD|PUT|POST|DELETE) '");
	deletes = requests_in("arch.log",
			      "s3 DELETE '" PFX "/dt=2013-01-13/part-");
	batches = requests_in("arch.log", "s3 POST ''");
	fprintf(stderr,
		"archive of 200 objects: %d requests, %.2f per file (HEAD "
		"%d, GET %d of them LIST %d, PUT %d, POST %d, DELETE %d)\n",
		total, total / 200.0, requests_in("arch.log", "s3 HEAD '"),
		requests_in("arch.log", "s3 GET '"),
		requests_in("arch.log", "s3 GET '' \\?list-type"),
		requests_in("arch.log", "s3 PUT '"),
		requests_in("arch.log", "s3 POST '"),
		requests_in("arch.log", "s3 DELETE '"));
	cr_expect_leq(total, 5 * 200 / 2, "%d requests for 200 files", total);
	/* no HEAD of a source: the snapshot took the listing */
	heads = requests_in("arch.log", "s3 HEAD '" PFX "/dt=2013-01-13/part-");
	cr_expect_leq(heads, heads_allowed("arch.log", 200),
		      "%d HEADs of the sources", heads);
	/* the sources go in one DeleteObjects, not one DELETE each */
	cr_expect_eq(deletes, 0);
	cr_expect_geq(batches, 1);
	/* verify takes the copies' ETags from a listing: no HEAD of them */
	cr_expect_eq(requests_in("arch.log", "s3 HEAD '" BINPFX "/" E
					     "/dt=2013-01-13/part-"),
		     0);
	/* the copies carry the sources' own mtime, not Last-Modified */
	snprintf(key, sizeof(key), "%s/%s/dt=2013-01-13/part-7.parquet", BINPFX,
		 E);
	meta_mtime(key, t, sizeof(t));
	cr_expect_str_eq(t, "981173106.123456789", "the copy's mtime");
	/* and so does what a restore puts back */
	r = rfs_test_cli(&m, &o, "restore", E "/dt=2013-01-13");
	cr_assert_eq(r, 0, "%s%s", o.out, o.err);
	SH_OK("rm -rf back && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/" PFX "/dt=2013-01-13/ back/ && (cd back && "
	      "sha256sum -c --quiet ../dt=2013-01-13.sum)");
	meta_mtime(PFX "/dt=2013-01-13/part-1.parquet", t, sizeof(t));
	cr_expect_str_eq(t, "981173106.123456789", "part-1's restored mtime");
	meta_mtime(PFX "/dt=2013-01-13/part-200.parquet", t, sizeof(t));
	cr_expect_str_eq(t, "981173106.123456789", "part-200's restored mtime");
	rfs_test_out_release(&o);
}

/* A snapshot without HEADs takes from the listing what it can, and the
 * sync the rest: an object's mode and mtime from the GET of its bytes,
 * an empty object's (no GET) from a HEAD, and a symlink, which the
 * listing shows as a file, is found out and archived as a symlink. */
Test(s3, a_snapshot_without_heads_keeps_modes_links_and_empty_objects)
{
	struct rfs_test_out o = { 0 };
	char t[64], key[256];
	int r, heads;
	char *v;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	put_parts("dt=2013-01-17", 3, 1000);
	SH_OK(": > empty && $AWSX s3 cp --only-show-errors --metadata "
	      "mtime=1000000000.5 empty s3://$B/" PFX "/dt=2013-01-17/empty && "
	      "$AWSX s3 cp --only-show-errors --metadata "
	      "mtime=1000000001.25,mode=33216 dt=2013-01-17/part-1.parquet "
	      "s3://$B/" PFX "/dt=2013-01-17/part-1.parquet");
	mount_up();
	SH_OK("ln -s part-2.parquet mnt/" E "/dt=2013-01-17/link");
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	/* another machine: nothing kept of these objects */
	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs2"), 1);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-17");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> late.log");
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(E "/dt=2013-01-17", "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	heads = requests_in("late.log", "s3 HEAD '" PFX "/dt=2013-01-17/");
	fprintf(stderr, "late snapshot of 5 objects: %d HEADs of sources\n",
		heads);
	cr_expect_leq(heads, 2 + heads_allowed("late.log", 3),
		      "%d HEADs: more than the empty object's and "
		      "the link's",
		      heads);
	snprintf(key, sizeof(key), "%s/%s/dt=2013-01-17/part-1.parquet", BINPFX,
		 E);
	meta_mtime(key, t, sizeof(t));
	cr_expect_str_eq(t, "1000000001.250000000");
	head_object(key, "Metadata.mode", t, sizeof(t));
	cr_expect_str_eq(t, "33216", "part-1's mode");
	snprintf(key, sizeof(key), "%s/%s/dt=2013-01-17/part-3.parquet", BINPFX,
		 E);
	meta_mtime(key, t, sizeof(t));
	cr_expect_str_eq(t, "981173106.123456789");
	snprintf(key, sizeof(key), "%s/%s/dt=2013-01-17/empty", BINPFX, E);
	meta_mtime(key, t, sizeof(t));
	cr_expect_str_eq(t, "1000000000.500000000");
	/* the link, as a link, and the manifest's rows as the mount shows */
	mount_up();
	SH_OK("test \"$(readlink mnt/.recyclebin/" E
	      "/dt=2013-01-17/link)\" = part-2.parquet");
	SH_OK("stat -c '%%a %%Y' mnt/.recyclebin/" E
	      "/dt=2013-01-17/part-1.parquet | grep -qx '700 1000000001'");
	rfs_test_out_release(&o);
}

/* The snapshot takes each object's attributes from the store of kept
 * attributes when the listing shows the version they were read from, so
 * a folder listed before is archived without a HEAD per object; an
 * object another client rewrote since (new bytes: a new ETag; the same
 * bytes with other metadata: a new Last-Modified) is a miss, whose
 * attributes the copy's GET reads, and archived with its new mtime,
 * never the kept one. */
Test(s3, a_snapshot_takes_kept_attributes_and_the_new_mtime_of_a_rewrite)
{
	struct rfs_test_out o = { 0 };
	char t[64], key[256];
	int r, heads, total;
	char *v;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	put_parts("dt=2013-01-16", 50, 2000);
	/* a listing through the mount keeps what its HEADs said */
	mount_up();
	SH_OK("ls -l mnt/" E "/dt=2013-01-16 > /dev/null");
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	/* another client, a second later: part-2 the same bytes with
	 * another mtime (same ETag), part-3 new bytes (new ETag) */
	SH_OK("sleep 1 && $AWSX s3 cp --only-show-errors --metadata "
	      "mtime=1000000000.5 dt=2013-01-16/part-2.parquet s3://$B/" PFX
	      "/dt=2013-01-16/part-2.parquet && head -c 2000 /dev/urandom > "
	      "dt=2013-01-16/part-3.parquet && $AWSX s3 cp --only-show-errors "
	      "--metadata mtime=1000000001.25 dt=2013-01-16/part-3.parquet "
	      "s3://$B/" PFX "/dt=2013-01-16/part-3.parquet && (cd "
	      "dt=2013-01-16 && sha256sum * | sort -k2) > dt=2013-01-16.sum");
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-16");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> snap.log");
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(E "/dt=2013-01-16", "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	/* none was asked for: the kept ones are known, the two rewritten
	 * get their attributes from the copy's GET of their bytes */
	heads = requests_in("snap.log", "s3 HEAD '" PFX "/dt=2013-01-16/part-");
	total = requests_in("snap.log", "s3 (GET|HEAD|PUT|POST|DELETE) '");
	fprintf(stderr,
		"archive of 50 listed objects: %d requests, %.2f per file, "
		"%d HEADs of sources\n",
		total, total / 50.0, heads);
	cr_expect_leq(heads, heads_allowed("snap.log", 2),
		      "%d HEADs of the sources", heads);
	/* the copies: the bytes, and each one's own mtime */
	SH_OK("rm -rf bin && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/" BINPFX "/" E "/dt=2013-01-16/ bin/ && (cd bin && "
	      "sha256sum -c --quiet ../dt=2013-01-16.sum)");
	snprintf(key, sizeof(key), "%s/%s/dt=2013-01-16/part-1.parquet", BINPFX,
		 E);
	meta_mtime(key, t, sizeof(t));
	cr_expect_str_eq(t, "981173106.123456789");
	snprintf(key, sizeof(key), "%s/%s/dt=2013-01-16/part-2.parquet", BINPFX,
		 E);
	meta_mtime(key, t, sizeof(t));
	cr_expect_str_eq(t, "1000000000.500000000",
			 "part-2 (same bytes, new mtime) kept the old one");
	snprintf(key, sizeof(key), "%s/%s/dt=2013-01-16/part-3.parquet", BINPFX,
		 E);
	meta_mtime(key, t, sizeof(t));
	cr_expect_str_eq(t, "1000000001.250000000",
			 "part-3 (new bytes) kept the old mtime");
	rfs_test_out_release(&o);
}

Test(s3, a_source_rewritten_alike_between_verify_and_delete_is_kept)
{
	struct rfs_test_out o = { 0 };
	char *v;
	int r;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	/* the metastore hook, which runs between verify and delete,
	 * rewrites part-1 with other bytes of the same size and the same
	 * x-amz-meta-mtime: only its ETag tells */
	put_parts("dt=2013-01-14", 3, 100000);
	SH_OK("head -c 100000 /dev/urandom > new3 && { echo '#!/bin/sh'; echo "
	      "'cat > /dev/null'; echo \"$AWSX s3 cp --only-show-errors "
	      "--metadata mtime=981173106.123456789 $PWD/new3 s3://$B/" PFX
	      "/dt=2013-01-14/part-1.parquet\"; } > hook.sh && chmod +x "
	      "hook.sh && recyclefs config set metastore.hook $PWD/hook.sh");
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/dt=2013-01-14");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs resume");
	cr_expect_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(E "/dt=2013-01-14", "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	v = entry_field(E "/dt=2013-01-14", "reason");
	cr_expect(strstr(v, "part-1.parquet") && strstr(v, "kept"),
		  "reason: %s", v);
	free(v);
	/* the new bytes stay at the source; the bin holds the verified */
	SH_OK("$AWSX s3 cp --only-show-errors s3://$B/" PFX
	      "/dt=2013-01-14/part-1.parquet - | cmp - new3");
	cr_expect_eq(count_objects(PFX "/dt=2013-01-14/"), 1);
	SH_OK("rm -rf got && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/" BINPFX "/" E "/dt=2013-01-14/ got/ && (cd got && "
	      "sha256sum -c --quiet ../dt=2013-01-14.sum)");
	rfs_test_out_release(&o);
}

/* ------------------------------------------- copies in parts (copy_max) */

Test(s3, a_copy_above_copy_max_goes_in_parts_and_is_proven_by_its_etag)
{
	struct rfs_test_out o = { 0 };
	char *u = rfs_test_s3_uri(endpoint, bucket, "orders-m",
				  "copy_max=5&part_size=5");
	char sum[80], etag[80], key[256];
	int r, i;
	char *v;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	r = rfs_test_cli(&m, &o, "storage", "add", "s3m", u);
	r = r
		    ?: rfs_test_cli(&m, &o, "lifecycle", "add", "sales.orders",
				    "silver");
	r = r
		    ?: rfs_test_cli(&m, &o, "epoch", "add", "sales.orders",
				    "silver", "--from", "2013-01-01",
				    "--storage", "s3m", "--path", "silver");
	cr_assert_eq(r, 0, "%s", o.err);
	free(u);
	/* 12,000,000 bytes: three parts of 5 MiB, 5 MiB and the rest */
	put_parts_in("orders-m/silver", "dt=2013-01-15", 2, 12000000);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait",
			 "sales.orders/silver/2013-01-01..now/dt=2013-01-15");
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> arch.log");
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field("sales.orders/silver/2013-01-01..now/dt=2013-01-15",
			"state");
	cr_expect_str_eq(v, "archived");
	free(v);
	SH_OK("rm -rf bin && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/orders-m/.recyclebin/sales.orders/silver/"
	      "2013-01-01..now/dt=2013-01-15/ bin/ && (cd bin && sha256sum -c "
	      "--quiet ../dt=2013-01-15.sum)");
	for (i = 1; i <= 2; i++) {
		snprintf(key, sizeof(key),
			 "orders-m/.recyclebin/sales.orders/silver/"
			 "2013-01-01..now/dt=2013-01-15/part-%d.parquet",
			 i);
		head_object(key, "ETag", etag, sizeof(etag));
		head_object(key, "Metadata.sha256", sum, sizeof(sum));
		cr_expect(strstr(etag, "-3\"") != NULL,
			  "part-%d's copy has ETag %s, not one of 3 parts", i,
			  etag);
		SH_OK("grep -q '^%s  part-%d.parquet$' dt=2013-01-15.sum", sum,
		      i);
	}
	/* copied server-side in parts, not streamed; proven unread */
	cr_expect_eq(requests_in("arch.log",
				 "s3 PUT 'orders-m/.recyclebin/[^']*/"
				 "part-1.parquet' \\?partNumber="),
		     3);
	cr_expect_eq(requests_in("arch.log",
				 "s3 GET 'orders-m/.recyclebin/[^']*part-"),
		     0, "copies were read back");
	cr_expect_eq(requests_in("arch.log", "s3 PUT 'orders-m/.recyclebin/"
					     "[^']*\\.rfs-tmp"),
		     0, "a copy was streamed");
	cr_expect_eq(count_objects("orders-m/silver/dt=2013-01-15/"), 0);
	rfs_test_out_release(&o);
}

/* ------------------------------------------ the server's SHA-256 (moto) */

#define MO "t.mo/raw/2020-01-01..now"

/* A table whose epoch is on a bucket of a private moto_server (which
 * states the SHA-256 of a copy's bytes), storage "mo" with URI options
 * OPTS; $AWSM and $MB name them for the aws cli. */
static void moto_epoch(struct rfs_test_server *mo, const char *opts)
{
	struct rfs_test_out o = { 0 };
	char *mb, *muri;
	int r;

	rfs_test_moto_start(mo);
	mb = rfs_test_s3_bucket_new(mo->endpoint);
	muri = rfs_test_s3_uri(mo->endpoint, mb, "mo", opts);
	rfs_test_aws_env("AWSM", mo->endpoint);
	setenv("MB", mb, 1);
	r = rfs_test_cli(&m, &o, "storage", "add", "mo", muri);
	r = r ?: rfs_test_cli(&m, &o, "table", "add", "t.mo");
	r = r ?: rfs_test_cli(&m, &o, "lifecycle", "add", "t.mo", "raw");
	r = r
		    ?: rfs_test_cli(&m, &o, "epoch", "add", "t.mo", "raw",
				    "--from", "2020-01-01", "--storage", "mo",
				    "--path", "raw");
	cr_assert_eq(r, 0, "%s", o.err);
	free(mb);
	free(muri);
	rfs_test_out_release(&o);
}

/* N objects of SIZE random bytes, part-1.parquet ..., under
 * "mo/raw/DIR/" put there by the aws cli (with an x-amz-meta-mtime);
 * their SHA-256s in DIR.sum. */
static void moto_put(const char *dir, int n, int size)
{
	SH_OK("mkdir -p %s && for i in $(seq 1 %d); do head -c %d "
	      "/dev/urandom > %s/part-$i.parquet || exit 1; done && (cd %s "
	      "&& sha256sum * | sort -k2) > %s.sum && $AWSM s3 cp "
	      "--only-show-errors --recursive --metadata "
	      "mtime=981173106.123456789 %s s3://$MB/mo/raw/%s/",
	      dir, n, size, dir, dir, dir, dir, dir);
}

/* Archive MO/DIR by `recyclefs -v resume` into the debug log LOG; check
 * that the bin holds the bytes, that the manifest records the SHA-256 of
 * each as sha256sum computed it here, and that the sources are gone. */
static void moto_archive(const char *dir, const char *log)
{
	struct rfs_test_out o = { 0 };
	char entry[128];
	char *v;
	int r;

	snprintf(entry, sizeof(entry), MO "/%s", dir);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", entry);
	cr_assert_eq(r, 0, "%s", o.err);
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> %s", log);
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(entry, "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	v = entry_field(entry, "uuid");
	setenv("D", dir, 1);
	SH_OK("rm -rf mo-bin && $AWSM s3 cp --only-show-errors --recursive "
	      "s3://$MB/mo/.recyclebin/" MO "/$D/ mo-bin/ && (cd mo-bin && "
	      "sha256sum -c --quiet ../$D.sum) && $AWSM s3 cp "
	      "--only-show-errors s3://$MB/mo/.recyclebin/.recyclefs/"
	      "manifests/%s.json mo-manifest.json && python3 -c 'import "
	      "json, sys\n"
	      "want = dict(l.split()[::-1] for l in open(sys.argv[1]))\n"
	      "got = {}\n"
	      "def walk(x):\n"
	      "    if isinstance(x, dict):\n"
	      "        s = [v for v in x.values() if isinstance(v, str) and "
	      "len(v) == 64 and v in want.values()]\n"
	      "        n = [v for v in x.values() if isinstance(v, str) and "
	      "v.split(\"/\")[-1] in want]\n"
	      "        if s and n:\n"
	      "            got[n[0].split(\"/\")[-1]] = s[0]\n"
	      "        for v in x.values(): walk(v)\n"
	      "    elif isinstance(x, list):\n"
	      "        for v in x: walk(v)\n"
	      "walk(json.load(open(\"mo-manifest.json\")))\n"
	      "sys.exit(0 if got == want else \"manifest %%s, sha256sum %%s\" "
	      "%% (got, want))' $D.sum",
	      v);
	free(v);
	SH_OK("test -z \"$($AWSM s3 ls s3://$MB/mo/raw/$D/)\"");
	rfs_test_out_release(&o);
}

/* moto_epoch(), 12 objects of 50 KB in "dt=2020-01-01", their archive
 * into arch.log. */
static void archive_on_moto(struct rfs_test_server *mo, const char *opts)
{
	moto_epoch(mo, opts);
	moto_put("dt=2020-01-01", 12, 50000);
	moto_archive("dt=2020-01-01", "arch.log");
}

/* A server that states the SHA-256 of a copy's bytes: the storage's
 * first copy reads its source (and checks the server's SHA-256 against
 * the bytes read); every later copy takes the server's, and no byte of
 * those sources is read. The manifest's SHA-256s are those of the
 * bytes. */
Test(s3, a_server_stating_sha256_is_copied_without_reading_the_sources)
{
	struct rfs_test_server mo = { 0 };
	int gets, heads, total;

	archive_on_moto(&mo, NULL);
	gets = requests_in("arch.log", "s3 GET 'mo/raw/dt=2020-01-01/part-");
	heads = requests_in("arch.log", "s3 HEAD 'mo/raw/dt=2020-01-01/part-");
	total = requests_in("arch.log", "s3 (GET|HEAD|PUT|POST|DELETE) '");
	fprintf(stderr,
		"moto, 12 objects: %d requests, %.2f per file (HEAD %d, "
		"GET %d of them GETs of sources %d, PUT %d, POST %d, DELETE "
		"%d)\n",
		total, total / 12.0, requests_in("arch.log", "s3 HEAD '"),
		requests_in("arch.log", "s3 GET '"), gets,
		requests_in("arch.log", "s3 PUT '"),
		requests_in("arch.log", "s3 POST '"),
		requests_in("arch.log", "s3 DELETE '"));
	print_requests("arch.log");
	cr_expect_eq(gets, 1, "%d GETs of the sources", gets);
	cr_expect_leq(heads, 11, "%d HEADs of the sources", heads);
	/* no copy read back: the server's SHA-256 of each copy attests it */
	cr_expect_eq(
		requests_in("arch.log", "s3 GET 'mo/.recyclebin/" MO "/dt=20"),
		0);
	rfs_test_server_stop(&mo);
}

/* The same server, as if it stated no SHA-256 (a test hook drops it from
 * its answers): every source is read, and the manifest records the same
 * SHA-256s; and with checksum=read the same. */
Test(s3, a_server_stating_no_sha256_reads_the_sources)
{
	struct rfs_test_server mo = { 0 };
	int gets;

	setenv("RECYCLEFS_TEST_S3_NO_CHECKSUM", "1", 1);
	archive_on_moto(&mo, NULL);
	unsetenv("RECYCLEFS_TEST_S3_NO_CHECKSUM");
	gets = requests_in("arch.log", "s3 GET 'mo/raw/dt=2020-01-01/part-");
	cr_expect_eq(gets, 12, "%d GETs of the sources", gets);
	rfs_test_server_stop(&mo);
}

Test(s3, checksum_read_reads_every_source)
{
	struct rfs_test_server mo = { 0 };
	int gets;

	archive_on_moto(&mo, "checksum=read");
	gets = requests_in("arch.log", "s3 GET 'mo/raw/dt=2020-01-01/part-");
	cr_expect_eq(gets, 12, "%d GETs of the sources", gets);
	rfs_test_server_stop(&mo);
}

/* Requests per archived file with the server's SHA-256, counted from the
 * per-request debug log, 200 objects a folder: on a fresh machine (the
 * attribute store empty) a HEAD of each source gives its x-amz-meta-*
 * for the manifest and the CopyObject, which states the SHA-256; the
 * verify step takes the copies' ETags from one listing (no HEAD of a
 * copy, no byte read back). A folder listed through the mount before
 * (its attributes kept) needs no request of its own but its copy (and
 * the run's first copy, which reads its source to check the server). */
Test(s3, checksum_auto_costs_no_more_requests_than_reading_none_read)
{
	struct rfs_test_server mo = { 0 };
	int total, heads, gets, copies;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	moto_epoch(&mo, NULL);
	moto_put("dt=2020-01-02", 200, 2000);
	moto_put("dt=2020-01-03", 200, 2000);
	moto_archive("dt=2020-01-02", "fresh.log");
	print_requests("fresh.log");
	total = requests_in("fresh.log", "s3 (GET|HEAD|PUT|POST|DELETE) '");
	heads = requests_in("fresh.log", "s3 HEAD 'mo/raw/dt=2020-01-02/part-");
	gets = requests_in("fresh.log", "s3 GET 'mo/raw/dt=2020-01-02/part-");
	copies = requests_in("fresh.log",
			     "s3 HEAD 'mo/.recyclebin/" MO "/dt=2020-01-02/p");
	fprintf(stderr,
		"moto, checksum=auto, 200 objects never listed: %d requests, "
		"%.2f per file (HEADs of sources %d, GETs of sources %d, "
		"HEADs of copies %d)\n",
		total, total / 200.0, heads, gets, copies);
	cr_expect_leq(total, 4 * 200, "%.2f requests per file", total / 200.0);
	cr_expect_leq(gets, 1, "%d sources read", gets);
	cr_expect_eq(copies, 0, "%d HEADs of copies", copies);
	cr_expect_eq(requests_in("fresh.log", "s3 GET 'mo/.recyclebin/" MO
					      "/dt=2020-01-02/p"),
		     0, "copies were read back");

	/* the second folder, listed through the mount first */
	mount_up();
	SH_OK("ls -l 'mnt/" MO "/dt=2020-01-03' | grep -c part- | grep -qx "
	      "200");
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	moto_archive("dt=2020-01-03", "known.log");
	print_requests("known.log");
	total = requests_in("known.log", "s3 (GET|HEAD|PUT|POST|DELETE) '");
	heads = requests_in("known.log",
			    "s3 (HEAD|GET) 'mo/raw/dt=2020-01-03/p");
	fprintf(stderr,
		"moto, checksum=auto, 200 objects listed before: %d requests, "
		"%.2f per file (HEADs and GETs of sources %d)\n",
		total, total / 200.0, heads);
	/* the run's first copy reads its source, to check the server's
	 * SHA-256 against the bytes once per process */
	cr_expect_leq(heads, 1, "%d HEADs or GETs of the sources", heads);
	cr_expect_leq(total, 3 * 200 / 2, "%.2f requests per file",
		      total / 200.0);
	rfs_test_server_stop(&mo);
}

/* The server's SHA-256 of a copy is kept in the attribute store's file:
 * a verify step run by another process (the first one killed before it)
 * takes the copies' ETags from a listing too, no HEAD of a copy. */
Test(s3, checksum_auto_verify_in_another_process_needs_no_head)
{
	struct rfs_test_server mo = { 0 };
	struct rfs_test_out o = { 0 };
	char *v;
	int r, copies;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	moto_epoch(&mo, NULL);
	moto_put("dt=2020-01-04", 4, 2000);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", MO "/dt=2020-01-04");
	cr_assert_eq(r, 0, "%s", o.err);
	run_until(MO "/dt=2020-01-04", "verify");
	r = rfs_test_sh(&m, &o, "recyclefs -v resume 2> verify.log");
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	v = entry_field(MO "/dt=2020-01-04", "state");
	cr_expect_str_eq(v, "archived");
	free(v);
	print_requests("verify.log");
	copies = requests_in("verify.log", "s3 (HEAD|GET) 'mo/.recyclebin/" MO
					   "/dt=2020-01-04/p");
	cr_expect_eq(copies, 0, "%d HEADs or GETs of copies", copies);
	SH_OK("rm -rf mo-bin && $AWSM s3 cp --only-show-errors --recursive "
	      "s3://$MB/mo/.recyclebin/" MO "/dt=2020-01-04/ mo-bin/ && (cd "
	      "mo-bin && sha256sum -c --quiet ../dt=2020-01-04.sum)");
	rfs_test_out_release(&o);
	rfs_test_server_stop(&mo);
}

/* The reading path on the same server, for the figures: a GET of each
 * source (its bytes for the SHA-256, its x-amz-meta-*) and its copy. */
Test(s3, checksum_read_costs_a_get_and_a_copy_per_file)
{
	struct rfs_test_server mo = { 0 };
	int total, gets;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	moto_epoch(&mo, "checksum=read");
	moto_put("dt=2020-01-02", 200, 2000);
	moto_archive("dt=2020-01-02", "read.log");
	print_requests("read.log");
	total = requests_in("read.log", "s3 (GET|HEAD|PUT|POST|DELETE) '");
	gets = requests_in("read.log", "s3 GET 'mo/raw/dt=2020-01-02/part-");
	fprintf(stderr,
		"moto, checksum=read, 200 objects never listed: %d requests, "
		"%.2f per file (GETs of sources %d)\n",
		total, total / 200.0, gets);
	cr_expect_eq(gets, 200);
	cr_expect_leq(total, 5 * 200 / 2, "%.2f requests per file",
		      total / 200.0);
	rfs_test_server_stop(&mo);
}

/* Above copy_max a copy goes in parts (UploadPartCopy), whose composite
 * checksum is no SHA-256 of the whole object: with checksum=auto such an
 * object is read for its SHA-256 (and the MD5s of its parts, which its
 * multipart ETag must match), while the small objects beside it are
 * not. copy_max=5 and part_size=5 (MiB) reach the path with 11 MB. */
Test(s3, checksum_auto_reads_objects_copied_in_parts)
{
	struct rfs_test_server mo = { 0 };
	char etag[80];
	int big, small, parts;

	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	moto_epoch(&mo, "copy_max=5&part_size=5");
	SH_OK("mkdir -p dt=2020-01-05 && head -c 11000000 /dev/urandom > "
	      "dt=2020-01-05/part-0.parquet && $AWSM s3 cp --only-show-errors "
	      "--metadata mtime=981173106.123456789 dt=2020-01-05/part-0.parquet "
	      "s3://$MB/mo/raw/dt=2020-01-05/part-0.parquet");
	moto_put("dt=2020-01-05", 6, 2000); /* the sums of all seven */
	moto_archive("dt=2020-01-05", "parts.log");
	print_requests("parts.log");
	big = requests_in("parts.log", "s3 GET 'mo/raw/dt=2020-01-05/part-0");
	small = requests_in("parts.log",
			    "s3 GET 'mo/raw/dt=2020-01-05/part-[1-9]");
	parts = requests_in("parts.log", "s3 PUT 'mo/.recyclebin/[^']*/"
					 "part-0.parquet' \\?partNumber=");
	cr_expect_geq(big, 1, "the object copied in parts was not read");
	cr_expect_leq(small, 1, "%d small objects read", small);
	cr_expect_eq(parts, 3, "%d part copies, not 3", parts);
	cr_expect_eq(requests_in("parts.log", "s3 GET 'mo/.recyclebin/" MO
					      "/dt=2020-01-05/p"),
		     0, "copies were read back");
	setenv("AWSX", getenv("AWSM"), 1);
	setenv("B", getenv("MB"), 1);
	head_object("mo/.recyclebin/" MO "/dt=2020-01-05/part-0.parquet",
		    "ETag", etag, sizeof(etag));
	cr_expect(strstr(etag, "-3\"") != NULL, "the copy's ETag %s", etag);
	rfs_test_server_stop(&mo);
}
