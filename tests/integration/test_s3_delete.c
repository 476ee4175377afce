/*
 * The delete step of an archive whose source is an object store (moto):
 * its DeleteObjects batches run several at once, each checked as a batch
 * alone is, and a batch that fails part-way leaves the job failed with
 * every source not removed intact, which a retry then ends.
 *
 * Needs a test build (-Dtest_hooks=true): RECYCLEFS_TEST_DELETE_BATCH
 * makes batches of a few files, RECYCLEFS_TEST_DELETE_DELAY_MS makes each
 * batch wait before its removals, RECYCLEFS_TEST_DELETE_FAIL=N makes
 * batch N fail after removing half its files (core/job_delete.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/fixture.h"
#include "tests/support/mount.h"
#include "tests/support/s3.h"

static struct rfs_test_mount m;
static const char *endpoint;
static char *bucket, *uri;

/* The epoch lives under "d/raw" of the bucket, its bin under
 * "d/.recyclebin". */
#define E   "t.d/raw/2020-01-01..now"
#define DIR "dt=2020-01-01"
#define N   40

static void setup(void)
{
	endpoint = rfs_test_moto_endpoint();
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	bucket = rfs_test_s3_bucket_new(endpoint);
	uri = rfs_test_s3_uri(endpoint, bucket, "d", NULL);
	setenv("B", bucket, 1);
	rfs_test_aws_env("AWSX", endpoint);
	rfs_test_add_epoch_on(&m, "s3d", uri, "t.d", "raw", "2020-01-01",
			      "raw");
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

TestSuite(s3_delete, .init = setup, .fini = teardown, .timeout = 600);

/* Run a shell line; fail the test with its output when it fails. */
#define SH_OK(...) free(rfs_test_sh_ok(&m, __VA_ARGS__))

/* A number a shell line prints. */
static int sh_int(const char *line)
{
	struct rfs_test_out o = { 0 };
	int r = rfs_test_sh(&m, &o, "%s", line), n;

	cr_assert_eq(r, 0, "%s: %s%s", line, o.out, o.err);
	n = atoi(o.out);
	rfs_test_out_release(&o);
	return n;
}

/* A field of the entry E/DIR in `recyclefs status --all --json`. */
static char *entry_field(const char *field)
{
	struct rfs_test_out o = { 0 };
	char *v;
	int r;

	r = rfs_test_sh(&m, &o,
			"recyclefs status --all --json | python3 -c 'import "
			"json, sys\n"
			"for e in json.load(sys.stdin)[\"entries\"]:\n"
			"    if e[\"bin_path\"] == sys.argv[1]:\n"
			"        print(e[sys.argv[2]])' '" E "/" DIR "' '%s'",
			field);
	cr_assert_eq(r, 0, "status: %s", o.err);
	o.out[strcspn(o.out, "\n")] = '\0';
	v = strdup(o.out);
	rfs_test_out_release(&o);
	return v;
}

static void expect_state(const char *want)
{
	char *v = entry_field("state");

	cr_expect_str_eq(v, want);
	free(v);
}

/* N objects of random bytes under "d/raw/DIR/", put there by the aws
 * cli; their SHA-256s in d.sum. Then the archive of E/DIR is asked for,
 * to run in `recyclefs resume`. */
static void put_and_ask(void)
{
	struct rfs_test_out o = { 0 };
	int r;

	SH_OK("mkdir -p src && for i in $(seq 1 %d); do head -c 3000 "
	      "/dev/urandom > src/part-$i.parquet || exit 1; done && (cd src "
	      "&& sha256sum * | sort -k2) > d.sum && $AWSX s3 cp "
	      "--only-show-errors --recursive --metadata "
	      "mtime=1580515200.123456789 src s3://$B/d/raw/" DIR "/",
	      N);
	r = rfs_test_cli(&m, &o, "archive", "--no-wait", E "/" DIR);
	cr_assert_eq(r, 0, "%s", o.err);
	rfs_test_out_release(&o);
}

/* The bin holds every file's bytes. */
static void bin_holds_all(void)
{
	SH_OK("rm -rf got && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/d/.recyclebin/" E "/" DIR "/ got/ && cd got && "
	      "sha256sum -c --quiet ../d.sum && test $(ls | wc -l) = %d",
	      N);
}

/* How many sources are left. */
static int sources_left(void)
{
	return sh_int("$AWSX s3api list-objects-v2 --bucket $B --prefix "
		      "d/raw/" DIR "/ --query 'length(Contents || `[]`)' "
		      "--output text");
}

/* Batches of 4 files, each waiting 300 ms: several are in flight at once
 * (the debug log says how many), and all of them are removed. */
Test(s3_delete, overlapping_batches_all_delete_and_the_entry_is_archived)
{
	struct rfs_test_out o = { 0 };
	int r, most, batches;

	put_and_ask();
	r = rfs_test_sh(&m, &o,
			"RECYCLEFS_TEST_DELETE_BATCH=4 "
			"RECYCLEFS_TEST_DELETE_DELAY_MS=300 recyclefs -v "
			"resume 2> del.log");
	cr_assert_eq(r, 0, "resume: %s%s", o.out, o.err);
	expect_state("archived");
	batches = sh_int("grep -c 'removing batch [0-9]* (' del.log");
	most = sh_int("sed -n 's/.*removing batch .*, \\([0-9]*\\) at "
		      "once/\\1/p' del.log | sort -n | tail -n 1");
	fprintf(stderr, "%d batches, at most %d at once\n", batches, most);
	/* the folder's row and 40 files, 4 a batch */
	cr_expect_eq(batches, 11);
	cr_expect_geq(most, 2, "batches did not overlap: at most %d", most);
	cr_expect_leq(most, 4);
	cr_expect_eq(sources_left(), 0);
	bin_holds_all();
	rfs_test_out_release(&o);
}

/* Batch 2 of the first round fails after removing half its files: the job
 * fails in its delete step, every source not removed is there with its
 * bytes, and a retry (without the fault) removes the rest and archives
 * the entry. */
Test(s3_delete, a_failed_batch_fails_the_job_and_retry_ends_it)
{
	struct rfs_test_out o = { 0 };
	char *v;
	int r, left;

	put_and_ask();
	rfs_test_sh(
		&m, &o,
		"RECYCLEFS_TEST_DELETE_BATCH=4 RECYCLEFS_TEST_DELETE_FAIL=2 "
		"recyclefs -v resume 2> fail.log");
	expect_state("failed");
	v = entry_field("failed_step");
	cr_expect_str_eq(v, "delete");
	free(v);
	v = entry_field("reason");
	cr_expect(strstr(v, "removing '") && strstr(v, "failed"), "reason: %s",
		  v);
	free(v);
	/* the other batches of the round were removed, not those after it,
	 * nor the failed half of batch 2; each left has its bytes */
	left = sources_left();
	cr_expect(left >= 2 && left < N, "%d sources left", left);
	SH_OK("rm -rf left && $AWSX s3 cp --only-show-errors --recursive "
	      "s3://$B/d/raw/" DIR "/ left/ && cd left && ls | awk "
	      "'FNR == NR { have[$1] = 1; next } ($2 in have)' - ../d.sum > "
	      "../left.sum && test $(wc -l < ../left.sum) = %d && "
	      "sha256sum -c --quiet ../left.sum",
	      left);
	bin_holds_all();

	r = rfs_test_cli(&m, &o, "retry", E "/" DIR);
	cr_assert_eq(r, 0, "retry: %s%s", o.out, o.err);
	expect_state("archived");
	cr_expect_eq(sources_left(), 0);
	bin_holds_all();
	rfs_test_out_release(&o);
}
