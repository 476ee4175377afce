/*
 * S3 listings through the mount, against moto: a folder listed in many
 * pages (the test hook RECYCLEFS_TEST_S3_LIST_MAX_KEYS makes pages of a
 * few keys; each next page is requested while the one before is handled)
 * shows every object once with its kept mtime; a page that fails
 * mid-listing fails the listing with EIO (the hook
 * RECYCLEFS_TEST_S3_LIST_BAD_TOKEN sends a page a token the server
 * refuses); the epochs' storages are opened when the mount starts, and a
 * storage whose server is down neither stops the mount nor hides the
 * others.
 *
 * Needs RFS_TEST_MOTO_ENDPOINT (scripts/servers.sh) and a test build
 * (-Dtest_hooks=true).
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

#define E   "sales.orders/bronze/2013-01-01..now"
#define PFX "orders/bronze"

static void setup(void)
{
	endpoint = rfs_test_moto_endpoint();
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	bucket = rfs_test_s3_bucket_new(endpoint);
	uri = rfs_test_s3_uri(endpoint, bucket, "orders", NULL);
	setenv("B", bucket, 1);
	rfs_test_aws_env("AWSX", endpoint);
	/* this test's own attribute store, as a fresh machine has it */
	setenv("RECYCLEFS_S3_ATTR_CACHE", rfs_test_data(&m, "attrs"), 1);
	rfs_test_add_epoch_on(&m, "s3o", uri, "sales.orders", "bronze",
			      "2013-01-01", "bronze");
	m.verbose = true;
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
	if (bucket)
		rfs_test_s3_bucket_drop(endpoint, bucket);
	free(bucket);
	free(uri);
	bucket = uri = NULL;
	unsetenv("RECYCLEFS_TEST_S3_LIST_MAX_KEYS");
	unsetenv("RECYCLEFS_TEST_S3_LIST_BAD_TOKEN");
}

TestSuite(s3_list, .init = setup, .fini = teardown, .timeout = 600);

/* Run a shell line; fail the test with its output when it fails. */
#define SH_OK(...) free(rfs_test_sh_ok(&m, __VA_ARGS__))

/* Lines of the daemon's log matching the extended regex RE. */
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

/* The last lines of the daemon's log, for a failure's message. */
static const char *log_tail(void)
{
	static char tail[4096];
	struct rfs_test_out o = { 0 };

	rfs_test_sh(&m, &o, "tail -n 8 '%s' | cut -c1-400", m.log);
	snprintf(tail, sizeof(tail), "%s", o.out ? o.out : "");
	rfs_test_out_release(&o);
	return tail;
}

/* The listing requests of the folder PFX/many/ sent so far. */
#define MANY_PAGES "s3 GET '' \\?list-type=2.*prefix=orders%2Fbronze%2Fmany%2F&"

/* 300 objects many/part-NNN, those of each hundred with their own
 * x-amz-meta-mtime (981173106.2 for 0xx, .1 for 1xx and 300, .3 for
 * 2xx), a folder many/sub/ and an object many/a beside a folder many/a/. */
static void put_many(void)
{
	SH_OK("mkdir -p many && for i in $(seq -w 1 300); do echo $i > "
	      "many/part-$i; done && echo a > a");
	SH_OK("$AWSX s3 cp --only-show-errors --recursive --exclude '*' "
	      "--include 'part-0*' --metadata mtime=981173106.2 many s3://$B/" PFX
	      "/many/ && $AWSX s3 cp --only-show-errors --recursive --exclude "
	      "'*' --include 'part-1*' --include 'part-300' --metadata "
	      "mtime=981173106.1 many s3://$B/" PFX "/many/ && $AWSX s3 cp "
	      "--only-show-errors --recursive --exclude '*' --include 'part-2*' "
	      "--metadata mtime=981173106.3 many s3://$B/" PFX "/many/");
	SH_OK("$AWSX s3 cp --only-show-errors a s3://$B/" PFX "/many/sub/x && "
	      "$AWSX s3 cp --only-show-errors a s3://$B/" PFX "/many/a && "
	      "$AWSX s3 cp --only-show-errors a s3://$B/" PFX "/many/a/inner");
}

/* The mtime put_many() gave part-I. */
#define MANY_MTIME                                                             \
	"case $i in 0*) t=981173106.200000000;; 2*) t=981173106.300000000;; "  \
	"*) t=981173106.100000000;; esac"

/* ls -l of the folder shows the 300 objects once each with their mtimes,
 * "a" once (as the file) and "sub" once. */
static void check_many(const char *file)
{
	SH_OK("ls -l --time-style=+%%s.%%N mnt/" E "/many > %s", file);
	SH_OK("test $(grep -c ' part-' %s) -eq 300 && test $(awk '{print "
	      "$NF}' %s | sort | uniq -d | wc -l) -eq 0 && test $(grep -c ' "
	      "a$' %s) -eq 1 && grep -q '^-.* a$' %s && grep -q '^d.* sub$' "
	      "%s && test $(wc -l < %s) -eq 303",
	      file, file, file, file, file, file);
	SH_OK("for i in $(seq -w 1 300); do " MANY_MTIME "; grep -q \" $t "
	      "part-$i$\" %s || { echo \"part-$i: $(grep part-$i %s)\"; exit "
	      "1; }; done",
	      file, file);
}

Test(s3_list, a_folder_of_many_pages_shows_every_object_once_with_its_mtime)
{
	int pages, heads;

	put_many();
	setenv("RECYCLEFS_TEST_S3_LIST_MAX_KEYS", "7", 1);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	check_many("first.ls");
	pages = log_count(MANY_PAGES);
	/* 303 keys and prefixes (the a/ and sub/ prefixes) in pages of
	 * 7 */
	cr_expect_geq(pages, 43, "the folder was listed in %d pages", pages);
	heads = log_count("s3 HEAD '" PFX "/many/part-");
	cr_expect_eq(heads, 300, "%d HEADs of the 300 objects", heads);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);

	/* a second mount lists from the kept attributes, page by page
	 */
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	check_many("second.ls");
	heads = log_count("s3 HEAD '" PFX "/many/part-");
	cr_expect_eq(heads, 300, "the second mount HEADed %d objects",
		     heads - 300);
	cr_expect_geq(log_count(MANY_PAGES), 2 * pages);
}

Test(s3_list, a_page_that_fails_mid_listing_fails_the_listing_with_eio)
{
	struct rfs_test_out o = { 0 };
	int r;

	SH_OK("for i in $(seq -w 1 40); do echo $i > p-$i; done && $AWSX s3 "
	      "cp --only-show-errors --recursive --exclude '*' --include "
	      "'p-*' . s3://$B/" PFX "/cut/");
	setenv("RECYCLEFS_TEST_S3_LIST_MAX_KEYS", "7", 1);
	/* the server refuses the token of page 3 (moto: HTTP 500) */
	setenv("RECYCLEFS_TEST_S3_LIST_BAD_TOKEN", "3", 1);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	r = rfs_test_sh(&m, &o, "ls mnt/" E "/cut");
	cr_expect_neq(r, 0, "a short listing was shown:\n%s", o.out);
	cr_expect(strstr(o.err, "Input/output error"), "ls: %s", o.err);
	cr_expect_eq(strlen(o.out), 0, "ls printed names:\n%s", o.out);
	rfs_test_out_release(&o);
	cr_expect_geq(log_count("readdir of '/?" E "/cut' failed: storage "
				"'s3://[^']*': the listing of '" PFX
				"/cut/' failed at page 3"),
		      1, "%s", log_tail());
	/* the next listing is tried again, and fails again: nothing of
	 * the cut listing was kept as the folder's */
	r = rfs_test_sh(&m, &o, "ls mnt/" E "/cut");
	cr_expect_neq(r, 0, "the second ls showed:\n%s", o.out);
	rfs_test_out_release(&o);
}

Test(s3_list, the_storages_are_opened_when_the_mount_starts)
{
	struct rfs_test_out o = { 0 };
	struct rfs_test_server dead;
	char *dead_uri, *dead_bucket;
	int r;

	/* a second table on a storage whose server is down (named
	 * first: opened first) */
	rfs_test_moto_start(&dead);
	dead_bucket = rfs_test_s3_bucket_new(dead.endpoint);
	dead_uri = rfs_test_s3_uri(dead.endpoint, dead_bucket, "gone", NULL);
	rfs_test_server_stop(&dead);
	r = rfs_test_cli(&m, &o, "storage", "add", "down", dead_uri);
	r = r ?: rfs_test_cli(&m, &o, "table", "add", "a.down");
	r = r ?: rfs_test_cli(&m, &o, "lifecycle", "add", "a.down", "bronze");
	r = r
		    ?: rfs_test_cli(&m, &o, "epoch", "add", "a.down", "bronze",
				    "--from", "2013-01-01", "--storage",
				    "down");
	cr_assert_eq(r, 0, "catalog setup: %s", o.err);
	rfs_test_out_release(&o);
	SH_OK("echo x > x && $AWSX s3 cp --only-show-errors x s3://$B/" PFX
	      "/x");

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	/* both opened without any request into the mount */
	cr_assert(rfs_test_sh_until(&m, 30,
				    "grep -q \"opened the storage 's3://%s/"
				    "orders/bronze'\" '%s'",
				    bucket, m.log),
		  "the storage was not opened at mount start");
	cr_expect_eq(log_count("opened the storage 's3://[^']*/gone'"), 1);
	cr_expect_eq(log_count("s3 (GET|HEAD)"), 0, "opening sent requests");

	/* the first ls pays for no opening */
	SH_OK("test \"$(cat mnt/" E "/x)\" = x");
	cr_expect_eq(log_count("opened the storage"), 2,
		     "a storage was opened again");

	/* the storage whose server is down: EIO, one line naming it */
	r = rfs_test_sh(&m, &o, "ls mnt/a.down/bronze/2013-01-01..now");
	cr_expect_neq(r, 0);
	cr_expect(strstr(o.err, "Input/output error"), "ls: %s", o.err);
	rfs_test_out_release(&o);
	cr_expect_geq(log_count("readdir of '/?a.down/bronze/2013-01-01..now' "
				"failed: .*'s3://[^']*/gone'"),
		      1, "no log line names the storage that is down:\n%s",
		      log_tail());
	cr_expect_eq(log_count("TESTSECRET"), 0, "the log shows the secret");
	/* the other storage still serves */
	SH_OK("ls mnt/" E " | grep -qx x");
	free(dead_uri);
	free(dead_bucket);
}
