/*
 * Between-step tests on local storage through the CLI: every job kind
 * (archive, restore, purge) is stopped right after it committed each of its
 * states (RECYCLEFS_TEST_STOP_AFTER, a test-build hook of the engine), the
 * test changes the world (rewrites a source with the same size and a new
 * mtime, corrupts a bin copy, puts a file at a restore target, tampers with
 * a restored file), resumes with `recyclefs resume` or `retry`, and checks
 * the outcome and every file's bytes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
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

/* What `recyclefs` exits with when a job was stopped (resumable). */
#define INTERRUPTED 130

static const char *files[] = {
	"part-0.parquet", "part-1.parquet",   "sub/a.bin",
	"sub/b.bin",	  "sub/deeper/c.bin",
};
#define N_FILES (sizeof(files) / sizeof(files[0]))
static char sums[N_FILES][RFS_SHA256_HEX];

static const char *archive_states[] = { "snapshot", "sync", "verify",
					"unpublish", "delete" };
static const char *restore_states[] = { "check", "copy", "verify", "publish" };

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

/* The checksum of @p rel below data/@p dir, or "" when unreadable. */
static const char *sum_of(const char *dir, const char *rel)
{
	static char have[RFS_SHA256_HEX];
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", m.data, dir, rel);
	if (hash_file(path, have) < 0)
		have[0] = '\0';
	return have;
}

static int file_index(const char *rel)
{
	for (size_t i = 0; i < N_FILES; i++)
		if (!strcmp(files[i], rel))
			return (int)i;
	cr_assert_fail("%s is no file of the item", rel);
	return -1;
}

/* Run a shell line in the test's folder; @return its status. */
static int sh(struct rfs_test_out *out, const char *line)
{
	return rfs_test_sh(&m, out, "%s", line);
}

static void ok(const char *line)
{
	struct rfs_test_out out = { 0 };
	int r = sh(&out, line);

	cr_assert_eq(r, 0, "'%s' exited %d: %s%s", line, r, out.out, out.err);
	rfs_test_out_release(&out);
}

/* Run `recyclefs @p args` stopped once @p state of its job is committed. */
static void stopped_at(const char *state, const char *args)
{
	struct rfs_test_out out = { 0 };
	int r;

	RFS_TEST_NEEDS_HOOKS();
	r = rfs_test_sh(&m, &out, "RECYCLEFS_TEST_STOP_AFTER=%s recyclefs %s",
			state, args);
	cr_assert_eq(r, INTERRUPTED, "%s: status %d, not stopped: %s%s", state,
		     r, out.out, out.err);
	cr_assert(strstr(out.err, "interrupted"), "%s: %s", state, out.err);
	rfs_test_out_release(&out);
}

/* Rewrite @p path (below data/) with other bytes of the same size and a
 * new mtime. */
static void rewrite_same_size(const char *path)
{
	char line[1024];

	snprintf(line, sizeof(line),
		 "f=data/%s && n=$(stat -c %%s $f) && head -c $n /dev/urandom "
		 "> $f.new && touch -d '2020-05-06 07:08:09.123456789' $f.new "
		 "&& mv $f.new $f",
		 path);
	ok(line);
}

/* Flip the first byte of @p path (below data/) in place: same size, same
 * mtime (the damage a disk does, not a writer). */
static void corrupt_in_place(const char *path)
{
	char line[1024];

	snprintf(line, sizeof(line),
		 "f=data/%s && t=$(stat -c %%y \"$f\") && "
		 "b=$(od -An -tu1 -N1 $f | tr -d ' ') && "
		 "if [ \"$b\" = 0 ]; then c='\\001'; else c='\\000'; fi && "
		 "printf \"$c\" | dd of=$f bs=1 count=1 conv=notrunc "
		 "status=none && touch -d \"$t\" $f",
		 path);
	ok(line);
}

static void make_source(void)
{
	ok("rm -rf data/orders data/.recyclebin && mkdir -p data/" SRC
	   "/sub/deeper && cd data/" SRC " && for f in part-0.parquet "
	   "part-1.parquet sub/a.bin sub/b.bin sub/deeper/c.bin; do head -c "
	   "70000 /dev/urandom > $f; done && touch -d '2001-02-03 "
	   "04:05:06.5' * sub/* sub/deeper/*");
	for (size_t i = 0; i < N_FILES; i++)
		strcpy(sums[i], sum_of(SRC, files[i]));
}

static void setup(void)
{
	struct rfs_test_out out = { 0 };
	int r;

	cr_assert_eq(rfs_test_mount_init(&m), 0);
	ok("mkdir -p data/orders/b1");
	r = rfs_test_cli(&m, &out, "table", "add", "t");
	r = r ?: rfs_test_cli(&m, &out, "lifecycle", "add", "t", "l");
	r = r
		    ?: rfs_test_cli(&m, &out, "epoch", "add", "t", "l",
				    "--from", "2001-01-01", "--to",
				    "2010-01-01", "--storage", "local",
				    "--path", "orders/b1");
	cr_assert_eq(r, 0, "%s", out.err);
	rfs_test_out_release(&out);
	ok("cp index.db index.template");
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
}

TestSuite(between, .init = setup, .fini = teardown, .timeout = 600);

/* Start from the template catalog and a fresh source. */
static void fresh(void)
{
	ok("cp index.template index.db && rm -f index.db-wal index.db-shm");
	make_source();
}

/* The entry is in @p state (status --json). */
static void entry_is(const char *when, const char *state)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs status --all --json | grep -q "
				 "'\"state\": \"%s\"'",
				 state),
		     0, "%s: the entry is not %s", when, state);
	rfs_test_out_release(&out);
}

/* Every file but @p except (NULL: none) is in the bin with its bytes and
 * gone from the source; no temporaries are left. */
static void expect_archived(const char *when, const char *except)
{
	char src[512];
	struct stat st;

	for (size_t i = 0; i < N_FILES; i++) {
		if (except && !strcmp(files[i], except))
			continue;
		cr_assert_str_eq(sum_of(BIN, files[i]), sums[i],
				 "%s: %s in the bin", when, files[i]);
		snprintf(src, sizeof(src), "%s/" SRC "/%s", m.data, files[i]);
		cr_assert_eq(stat(src, &st), -1, "%s: %s still at the source",
			     when, files[i]);
	}
	ok("test -z \"$(find data -name '.rfs-tmp.*')\"");
}

/* Every file is at the source with its bytes. */
static void expect_at_source(const char *when)
{
	for (size_t i = 0; i < N_FILES; i++)
		cr_assert_str_eq(sum_of(SRC, files[i]), sums[i],
				 "%s: %s at the source", when, files[i]);
}

Test(between, archive_stopped_after_each_state_resumes)
{
	char state[64];

	for (size_t s = 0; s < sizeof(archive_states) / sizeof(char *); s++) {
		fresh();
		snprintf(state, sizeof(state), "archive:%s", archive_states[s]);
		stopped_at(state, "archive " ORIGIN);
		entry_is(state, archive_states[s]);
		/* stopped before the step ran: the source is whole */
		expect_at_source(state);
		ok("recyclefs resume");
		entry_is(state, "archived");
		expect_archived(state, NULL);
	}
}

/* A bin copy damaged after sync: verify fails the archive naming the
 * file, the source untouched; a retry copies again. */
Test(between, archive_bin_copy_corrupted_before_verify_fails_then_retries)
{
	struct rfs_test_out out = { 0 };
	int r;

	fresh();
	stopped_at("archive:verify", "archive " ORIGIN);
	corrupt_in_place(BIN "/part-1.parquet");
	r = sh(&out, "recyclefs resume");
	cr_assert_neq(r, 0, "a corrupt bin copy passed verify: %s", out.out);
	cr_assert(strstr(out.err, "part-1.parquet"), "not named: %s", out.err);
	entry_is("after verify", "failed");
	expect_at_source("after the failed verify");
	rfs_test_out_release(&out);
	ok("recyclefs retry " BIN);
	entry_is("after the retry", "archived");
	expect_archived("after the retry", NULL);
}

/* A source file rewritten with the same size and a new mtime at any point
 * after the snapshot: its new bytes survive, at the source or in the bin,
 * and every other file is archived. */
Test(between, archive_source_rewritten_with_same_size_keeps_the_new_bytes)
{
	char state[64], new_sum[RFS_SHA256_HEX];
	int i = file_index("sub/a.bin");

	for (size_t s = 1; s < sizeof(archive_states) / sizeof(char *); s++) {
		fresh();
		snprintf(state, sizeof(state), "archive:%s", archive_states[s]);
		stopped_at(state, "archive " ORIGIN);
		rewrite_same_size(SRC "/sub/a.bin");
		strcpy(new_sum, sum_of(SRC, "sub/a.bin"));
		cr_assert_str_neq(new_sum, sums[i]);
		/* resume; a failed archive is retried once */
		if (sh(NULL, "recyclefs resume") != 0)
			ok("recyclefs retry " BIN);
		cr_assert(!strcmp(sum_of(SRC, "sub/a.bin"), new_sum) ||
				  !strcmp(sum_of(BIN, "sub/a.bin"), new_sum),
			  "%s: the rewritten sub/a.bin is lost", state);
		if (!strcmp(archive_states[s], "delete"))
			/* after verify: the bin holds the old bytes, the
			 * source keeps the new ones */
			cr_assert_str_eq(sum_of(BIN, "sub/a.bin"), sums[i],
					 "%s", state);
		expect_archived(state, "sub/a.bin");
	}
}

/* An archived item for the restore and purge tests. */
static void archived(void)
{
	fresh();
	ok("recyclefs archive " ORIGIN);
	expect_archived("archived", NULL);
}

/* The restore is in @p state. */
static void restore_is(const char *when, const char *state)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs restore --status --json | grep -q "
				 "'\"state\": \"%s\"'",
				 state),
		     0, "%s: the restore is not %s", when, state);
	rfs_test_out_release(&out);
}

Test(between, restore_stopped_after_each_state_resumes)
{
	char state[64];

	for (size_t s = 0; s < sizeof(restore_states) / sizeof(char *); s++) {
		archived();
		snprintf(state, sizeof(state), "restore:%s", restore_states[s]);
		stopped_at(state, "restore " BIN);
		restore_is(state, restore_states[s]);
		ok("recyclefs resume");
		restore_is(state, "done");
		expect_at_source(state);
		ok("test -z \"$(find data -name '.rfs-tmp.*')\"");
		/* the bin copy stays */
		for (size_t i = 0; i < N_FILES; i++)
			cr_assert_str_eq(sum_of(BIN, files[i]), sums[i],
					 "%s: %s", state, files[i]);
	}
}

/* A file put at a restore target after the check: the copy leaves it
 * alone and the restore fails naming it. */
Test(between, restore_target_written_after_check_is_left_alone)
{
	struct rfs_test_out out = { 0 };
	char foreign[RFS_SHA256_HEX];
	int r;

	archived();
	stopped_at("restore:copy", "restore " BIN);
	ok("mkdir -p data/" SRC " && head -c 123 /dev/urandom > data/" SRC
	   "/part-1.parquet");
	strcpy(foreign, sum_of(SRC, "part-1.parquet"));
	r = sh(&out, "recyclefs resume");
	cr_assert_neq(r, 0, "the restore went on: %s", out.out);
	cr_assert(strstr(out.err, "part-1.parquet"), "not named: %s", out.err);
	rfs_test_out_release(&out);
	cr_assert_str_eq(sum_of(SRC, "part-1.parquet"), foreign,
			 "the file that appeared was overwritten");
	restore_is("after the copy", "failed");
	for (size_t i = 0; i < N_FILES; i++)
		cr_assert_str_eq(sum_of(BIN, files[i]), sums[i], "%s",
				 files[i]);
}

/* A restored file tampered with before verify: verify copies it again. */
Test(between, restore_file_tampered_before_verify_is_copied_again)
{
	archived();
	stopped_at("restore:verify", "restore " BIN);
	corrupt_in_place(SRC "/sub/deeper/c.bin");
	cr_assert_str_neq(sum_of(SRC, "sub/deeper/c.bin"),
			  sums[file_index("sub/deeper/c.bin")]);
	ok("recyclefs resume");
	restore_is("after verify", "done");
	expect_at_source("after verify");
}

/* A bin copy damaged after the restore's check: the copy carries the damage
 * and verify refuses it; the restore fails, and is not reported restored. */
Test(between, restore_bin_copy_corrupted_after_check_fails)
{
	struct rfs_test_out out = { 0 };
	int r;

	archived();
	stopped_at("restore:copy", "restore " BIN);
	corrupt_in_place(BIN "/sub/b.bin");
	r = sh(&out, "recyclefs resume");
	cr_assert_neq(r, 0, "a corrupt copy was restored: %s", out.out);
	rfs_test_out_release(&out);
	restore_is("after the copy", "failed");
}

Test(between, purge_stopped_before_its_step_resumes)
{
	archived();
	stopped_at("purge:purge", "purge " ORIGIN);
	entry_is("stopped", "purging");
	for (size_t i = 0; i < N_FILES; i++)
		cr_assert_str_eq(sum_of(BIN, files[i]), sums[i], "stopped: %s",
				 files[i]);
	ok("recyclefs resume");
	entry_is("resumed", "purged");
	ok("test ! -e data/" BIN " && test -z \"$(ls "
	   "data/.recyclebin/.recyclefs/manifests)\"");
}
