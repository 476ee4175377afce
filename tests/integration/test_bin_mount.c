/*
 * The recycle bin through a real mount: mv into .recyclebin archives (an
 * epoch, a partition, one file), the bin shows entries at their mirrored
 * paths with their attributes, rm -rf purges, reindex rebuilds the view,
 * and everything that is not a move in is refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/support/mount.h"

static struct rfs_test_mount m;

#define E  "sales.orders/bronze/2001-01-01..2010-01-01"
#define E2 "sales.orders/bronze/2010-01-01..now"

static void setup(void)
{
	struct rfs_test_out out = { 0 };
	int r;

	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "for d in b1/dt=2001-01-01 b1/dt=2005-03-01 "
			    "b2/dt=2013-01-01; do mkdir -p data/orders/$d/"
			    "sub; for i in 0 1 2; do head -c $((20000 + i "
			    "* 777)) /dev/urandom > "
			    "data/orders/$d/part-$i.parquet; done; echo x > "
			    "data/orders/$d/sub/nested; chmod 0640 "
			    "data/orders/$d/part-1.parquet; touch -d "
			    "'2003-04-05 06:07:08.123456789' "
			    "data/orders/$d/part-* data/orders/$d; done && "
			    "mkdir data/orders/b1/empty && ln -s "
			    "part-0.parquet data/orders/b1/dt=2001-01-01/"
			    "link"),
		0);
	r = rfs_test_cli(&m, &out, "table", "add", "sales.orders");
	r = r
		    ?: rfs_test_cli(&m, &out, "lifecycle", "add",
				    "sales.orders", "bronze");
	r = r
		    ?: rfs_test_cli(&m, &out, "epoch", "add", "sales.orders",
				    "bronze", "--from", "2001-01-01", "--to",
				    "2010-01-01", "--storage", "local",
				    "--path", "orders/b1");
	r = r
		    ?: rfs_test_cli(&m, &out, "epoch", "add", "sales.orders",
				    "bronze", "--from", "2010-01-01",
				    "--storage", "local", "--path",
				    "orders/b2");
	cr_assert_eq(r, 0, "%s", out.err);
	rfs_test_out_release(&out);
	/* What the bytes, modes and times were, to compare after. */
	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "cd data/orders && find . -type f -exec stat "
			    "-c '%%n %%s %%a %%y' {} + | sort > "
			    "../../before.stat && find . -type f -exec "
			    "sha256sum {} + | sort -k2 > ../../before.sum"),
		0);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
}

TestSuite(bin_mount, .init = setup, .fini = teardown);

static void wait_archived(const char *bin_path)
{
	cr_assert(rfs_test_sh_until(&m, 30,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.state 'mnt/.recyclebin/%s' "
				    "2>/dev/null)\" = archived",
				    bin_path),
		  "'%s' was not archived", bin_path);
}

/* The bin copy of origin folder @p rel (under data/orders) has the bytes,
 * sizes, modes and mtimes it had. */
static void expect_same_as_before(const char *rel, const char *bin)
{
	struct rfs_test_out out = { 0 };
	int r = rfs_test_sh(
		&m, &out,
		"cd 'data/.recyclebin/%s' && find . -type f -exec sha256sum {} "
		"+ | sed 's|  \\./|  ./%s/|' | sort -k2 > $OLDPWD/after.sum && "
		"find . -type f -exec stat -c '%%n %%s %%a %%y' {} + | sed "
		"'s|^\\./|./%s/|' | sort > $OLDPWD/after.stat && cd $OLDPWD && "
		"grep ' \\./%s/' before.sum | diff - after.sum && grep '^\\./%s/' "
		"before.stat | diff - after.stat",
		bin, rel, rel, rel, rel);

	cr_assert_eq(r, 0, "%s differs:\n%s%s", rel, out.out, out.err);
	rfs_test_out_release(&out);
}

Test(bin_mount, mv_of_a_partition_archives_it)
{
	const char *bin = E "/dt=2001-01-01";
	struct stat st;
	char v[256];
	ssize_t n;

	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2001-01-01 "
				 "mnt/.recyclebin/"),
		     0);
	/* Gone from its origin at once, whatever the job's progress. */
	cr_expect_eq(stat(rfs_test_mnt(&m, E "/dt=2001-01-01"), &st), -1);
	cr_expect_eq(errno, ENOENT);
	wait_archived(bin);
	cr_expect_eq(stat(rfs_test_data(&m, "orders/b1/dt=2001-01-01"), &st),
		     -1, "source still on storage");
	expect_same_as_before("b1/dt=2001-01-01", bin);
	n = readlink(rfs_test_data(&m, ".recyclebin/%s/link", bin), v,
		     sizeof(v) - 1);
	cr_assert_eq(n, 14);
	/* The bin view through the mount. */
	cr_expect_eq(
		rfs_test_sh(&m, NULL,
			    "test \"$(ls mnt/.recyclebin)\" = sales.orders "
			    "&& test \"$(ls mnt/.recyclebin/%s | tr '\\n' "
			    "' ')\" = 'link part-0.parquet part-1.parquet "
			    "part-2.parquet sub '",
			    bin),
		0);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "cmp mnt/.recyclebin/%s/part-2.parquet "
				 "data/.recyclebin/%s/part-2.parquet",
				 bin, bin),
		     0);
	n = getxattr(rfs_test_mnt(&m, ".recyclebin/%s", bin),
		     "user.recyclefs.origin", v, sizeof(v) - 1);
	cr_assert_gt(n, 0);
	v[n] = '\0';
	cr_expect_str_eq(v, bin);
	n = getxattr(rfs_test_mnt(&m, ".recyclebin/%s", bin),
		     "user.recyclefs.files", v, sizeof(v) - 1);
	cr_assert_gt(n, 0);
	v[n] = '\0';
	cr_expect_str_eq(v, "5"); /* 3 parts, the nested file, the link */
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "getfattr -d mnt/.recyclebin/%s | grep -q "
				 "'user.recyclefs.deleted_at=\"20' && "
				 "getfattr -d mnt/.recyclebin/%s | grep -q "
				 "'user.recyclefs.bytes_done=\"62333\"'",
				 bin, bin),
		     0);
}

Test(bin_mount, mv_to_the_mirrored_path_archives_too)
{
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2005-03-01 mnt/.recyclebin/" E
				 "/dt=2005-03-01"),
		     0);
	wait_archived(E "/dt=2005-03-01");
	expect_same_as_before("b1/dt=2005-03-01", E "/dt=2005-03-01");
	/* Into the mirrored parent folder. */
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E2
				 "/dt=2013-01-01 mnt/.recyclebin/" E2 "/"),
		     0);
	wait_archived(E2 "/dt=2013-01-01");
}

Test(bin_mount, mv_of_one_file_archives_it)
{
	const char *bin = E2 "/dt=2013-01-01/part-1.parquet";
	struct stat st;

	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/%s mnt/.recyclebin/", bin),
		     0);
	wait_archived(bin);
	cr_assert_eq(stat(rfs_test_data(&m, ".recyclebin/%s", bin), &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0640);
	cr_expect_eq(st.st_mtim.tv_nsec, 123456789);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test ! -e data/orders/b2/dt=2013-01-01/"
				 "part-1.parquet && test -e "
				 "data/orders/b2/dt=2013-01-01/part-0.parquet"),
		     0);
	cr_expect_eq(
		rfs_test_sh(&m, NULL,
			    "grep ' ./b2/dt=2013-01-01/part-1.parquet' "
			    "before.sum | cut -d' ' -f1 > a && sha256sum < "
			    "mnt/.recyclebin/%s | cut -d' ' -f1 | diff - a",
			    bin),
		0);
}

Test(bin_mount, mv_of_a_whole_epoch_hides_it_and_archives_it)
{
	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/" E " mnt/.recyclebin/"), 0);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test \"$(ls mnt/sales.orders/bronze)\" = "
				 "2010-01-01..now"),
		     0);
	wait_archived(E);
	expect_same_as_before("b1/dt=2001-01-01", E "/dt=2001-01-01");
	expect_same_as_before("b1/dt=2005-03-01", E "/dt=2005-03-01");
	/* The epoch's own folder stays on storage, empty; empty folders of
	 * the epoch were kept in the bin. */
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test -d data/orders/b1 && test -z \"$(ls -A "
				 "data/orders/b1)\" && test -d "
				 "data/.recyclebin/" E "/empty"),
		     0);
}

Test(bin_mount, a_second_archive_of_a_path_gets_a_numbered_suffix)
{
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2001-01-01 "
				 "mnt/.recyclebin/"),
		     0);
	wait_archived(E "/dt=2001-01-01");
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mkdir mnt/" E
				 "/dt=2001-01-01 && echo again > "
				 "mnt/" E "/dt=2001-01-01/part-9.parquet && mv "
				 "mnt/" E "/dt=2001-01-01 mnt/.recyclebin/"),
		     0);
	wait_archived(E "/dt=2001-01-01.~2~");
	cr_expect_eq(
		rfs_test_sh(&m, NULL,
			    "test \"$(cat mnt/.recyclebin/" E
			    "/dt=2001-01-01.~2~/part-9.parquet)\" = again && "
			    "test -e mnt/.recyclebin/" E
			    "/dt=2001-01-01/part-0.parquet"),
		0);
}

/* A file written and closed just before the mv: close() returns before
 * the kernel's RELEASE of it reaches the daemon, which still notes it as
 * open for writing. The mv waits for it rather than refuse with EBUSY. */
Test(bin_mount, a_file_closed_just_before_the_mv_does_not_block_it)
{
	rfs_test_mount_stop(&m);
	setenv("RECYCLEFS_TEST_RELEASE_DELAY_MS", "300", 1);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	unsetenv("RECYCLEFS_TEST_RELEASE_DELAY_MS");
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "echo late > mnt/" E
				 "/dt=2001-01-01/part-9.parquet && mv mnt/" E
				 "/dt=2001-01-01 mnt/.recyclebin/"),
		     0, "the mv was refused: the closed file was still noted");
	wait_archived(E "/dt=2001-01-01");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test \"$(cat mnt/.recyclebin/" E
				 "/dt=2001-01-01/part-9.parquet)\" = late"),
		     0);
}

Test(bin_mount, rm_rf_in_the_bin_purges)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2001-01-01 "
				 "mnt/.recyclebin/"),
		     0);
	wait_archived(E "/dt=2001-01-01");
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "rm -rf mnt/.recyclebin/" E "/dt=2001-01-01"),
		     0, "%s", out.err);
	/* Gone from the bin at once; the mount's workers delete the recycle
	 * data in the background (rm never waits on a purge). */
	cr_expect_eq(
		rfs_test_sh(&m, NULL, "test -z \"$(ls -A mnt/.recyclebin)\""),
		0);
	cr_expect(rfs_test_sh_until(&m, 30,
				    "recyclefs status --all --json | grep -q "
				    "'\"state\": \"purged\"'"));
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test ! -e data/.recyclebin/" E
				 "/dt=2001-01-01 && test -z \"$(ls "
				 "data/.recyclebin/.recyclefs/manifests)\""),
		     0);
	rfs_test_out_release(&out);
}

Test(bin_mount, reindex_after_losing_the_index_restores_the_bin)
{
	struct rfs_test_out out = { 0 };
	char uri[160];
	int r;

	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "mv mnt/" E "/dt=2001-01-01 mnt/.recyclebin/ && "
			    "mv mnt/" E2 "/dt=2013-01-01 mnt/.recyclebin/"),
		0);
	wait_archived(E "/dt=2001-01-01");
	wait_archived(E2 "/dt=2013-01-01");
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "rm -f index.db*"), 0);
	snprintf(uri, sizeof(uri), "file://%s", m.data);
	r = rfs_test_cli(&m, &out, "init");
	r = r ?: rfs_test_cli(&m, &out, "storage", "add", "local", uri);
	r = r ?: rfs_test_cli(&m, &out, "reindex");
	cr_assert_eq(r, 0, "%s", out.err);
	cr_expect(strstr(out.out, "2 entries added"), "%s", out.out);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test \"$(getfattr --only-values -n "
				 "user.recyclefs.state mnt/.recyclebin/" E
				 "/dt=2001-01-01)\" = archived && cmp "
				 "mnt/.recyclebin/" E2 "/dt=2013-01-01/"
				 "part-0.parquet data/.recyclebin/" E2
				 "/dt=2013-01-01/part-0.parquet"),
		     0);
}

Test(bin_mount, only_items_under_an_epoch_can_be_moved_in)
{
	cr_expect_neq(
		rfs_test_sh(&m, NULL,
			    "mv mnt/sales.orders/bronze mnt/.recyclebin/"),
		0);
	cr_expect_neq(
		rfs_test_sh(&m, NULL, "mv mnt/sales.orders mnt/.recyclebin/"),
		0);
	cr_expect_eq(rename(rfs_test_mnt(&m, "sales.orders"),
			    rfs_test_mnt(&m, ".recyclebin/sales.orders")),
		     -1);
	cr_expect_eq(errno, EPERM);
	/* A name that is neither its own nor its mirrored path. */
	cr_expect_eq(rename(rfs_test_mnt(&m, E "/dt=2001-01-01"),
			    rfs_test_mnt(&m, ".recyclebin/elsewhere")),
		     -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test -d data/orders/b1/dt=2001-01-01 && test "
				 "-z \"$(ls -A mnt/.recyclebin)\""),
		     0);
}

Test(bin_mount, the_bin_refuses_writes_creates_and_renames)
{
	const char *f = ".recyclebin/" E "/dt=2001-01-01/part-0.parquet";

	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2001-01-01 "
				 "mnt/.recyclebin/"),
		     0);
	wait_archived(E "/dt=2001-01-01");
	cr_expect_eq(open(rfs_test_mnt(&m, "%s", f), O_WRONLY), -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(open(rfs_test_mnt(&m, ".recyclebin/new"),
			  O_CREAT | O_WRONLY, 0644),
		     -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(mkdir(rfs_test_mnt(&m, ".recyclebin/" E "/x"), 0755), -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(rename(rfs_test_mnt(&m, "%s", f),
			    rfs_test_mnt(&m, ".recyclebin/" E
					     "/dt=2001-01-01/moved")),
		     -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(rename(rfs_test_mnt(&m, "%s", f),
			    rfs_test_mnt(&m, E2 "/moved")),
		     -1);
	cr_expect_eq(errno, EPERM);
}

/* A hook that holds the job in unpublish until a file appears. */
static void slow_hook(void)
{
	struct rfs_test_out out = { 0 };
	char hook[160];

	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "printf '#!/bin/sh\\ncat > /dev/null\\nwhile "
				 "[ ! -e %s/go ]; do sleep 0.05; done\\n' > "
				 "hook.sh && chmod +x hook.sh",
				 m.dir),
		     0);
	cr_assert_eq(
		rfs_test_cli(&m, &out, "config", "set", "metastore.hook", hook),
		0, "%s", out.err);
	rfs_test_out_release(&out);
}

Test(bin_mount, an_archiving_entry_is_read_only_and_cannot_be_purged)
{
	const char *bin = ".recyclebin/" E "/dt=2001-01-01";

	slow_hook();
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2001-01-01 "
				 "mnt/.recyclebin/"),
		     0);
	cr_assert(
		rfs_test_sh_until(&m, 20,
				  "test \"$(getfattr --only-values -n "
				  "user.recyclefs.state mnt/%s)\" = unpublish",
				  bin));
	/* Served from wherever its bytes are, read-only. */
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "cmp mnt/%s/part-1.parquet "
				 "data/orders/b1/dt=2001-01-01/part-1.parquet",
				 bin),
		     0);
	cr_expect_eq(unlink(rfs_test_mnt(&m, "%s/part-1.parquet", bin)), -1);
	cr_expect_eq(errno, EBUSY);
	cr_expect_neq(rfs_test_sh(&m, NULL, "rm -rf mnt/%s", bin), 0);
	cr_expect_neq(rfs_test_sh(&m, NULL, "recyclefs purge %s", bin), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "touch go"), 0);
	wait_archived(E "/dt=2001-01-01");
	expect_same_as_before("b1/dt=2001-01-01", E "/dt=2001-01-01");
}

Test(bin_mount, a_file_open_for_writing_blocks_the_move)
{
	int fd = open(rfs_test_mnt(&m, E "/dt=2001-01-01/sub/nested"),
		      O_WRONLY | O_APPEND);

	cr_assert_geq(fd, 0);
	cr_expect_eq(rename(rfs_test_mnt(&m, E "/dt=2001-01-01"),
			    rfs_test_mnt(&m, ".recyclebin/dt=2001-01-01")),
		     -1);
	cr_expect_eq(errno, EBUSY);
	close(fd);
	cr_expect_eq(rename(rfs_test_mnt(&m, E "/dt=2001-01-01"),
			    rfs_test_mnt(&m, ".recyclebin/dt=2001-01-01")),
		     0);
	wait_archived(E "/dt=2001-01-01");
}

Test(bin_mount, the_metastore_hook_drops_partitions_while_data_exists)
{
	struct rfs_test_out out = { 0 };
	char hook[160];

	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "printf '#!/bin/sh\\ncat > %s/hook.json\\n"
			    "test -e %s/orders/b1/dt=2005-03-01/"
			    "part-0.parquet && echo present > %s/hook.saw "
			    "|| echo absent > %s/hook.saw\\n' > hook.sh && "
			    "chmod +x hook.sh",
			    m.dir, m.data, m.dir, m.dir),
		0);
	cr_assert_eq(
		rfs_test_cli(&m, &out, "config", "set", "metastore.hook", hook),
		0);
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2005-03-01 "
				 "mnt/.recyclebin/"),
		     0);
	wait_archived(E "/dt=2005-03-01");
	cr_expect_eq(
		rfs_test_sh(&m, &out,
			    "test \"$(cat hook.saw)\" = present && "
			    "python3 -c 'import json,sys; d=json.load(open("
			    "\"hook.json\")); assert d[\"action\"]==\"drop_"
			    "partitions\", d; assert d[\"table\"]==\"sales."
			    "orders\"; p=d[\"partitions\"]; assert "
			    "[x[\"spec\"] for x in p]==[\"dt=2005-03-01\"], "
			    "p; assert p[0][\"values\"]=={\"dt\":\"2005-03-"
			    "01\"}, p'"),
		0, "%s%s", out.out, out.err);
	rfs_test_out_release(&out);
}

Test(bin_mount, a_failing_hook_keeps_the_source_and_shows_it_again)
{
	struct rfs_test_out out = { 0 };
	char hook[160];

	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "printf '#!/bin/sh\\necho metastore down >&2\\n"
			    "exit 3\\n' > hook.sh && chmod +x hook.sh"),
		0);
	cr_assert_eq(
		rfs_test_cli(&m, &out, "config", "set", "metastore.hook", hook),
		0);
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mv mnt/" E "/dt=2005-03-01 "
				 "mnt/.recyclebin/"),
		     0);
	cr_assert(rfs_test_sh_until(&m, 20,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.state mnt/.recyclebin/" E
				    "/dt=2005-03-01)\" = failed"));
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "getfattr --only-values -n "
				 "user.recyclefs.reason mnt/.recyclebin/" E
				 "/dt=2005-03-01 | grep -q 'metastore down' && "
				 "cd data/orders && sha256sum -c --quiet "
				 "../../before.sum"),
		     0, "%s%s", out.out, out.err);
	/* Visible at its origin again. */
	cr_expect(rfs_test_sh_until(
		&m, 30, "test -e mnt/" E "/dt=2005-03-01/part-0.parquet"));
	rfs_test_out_release(&out);
}

Test(bin_mount, a_daemonized_mount_shares_the_index_with_the_command_line)
{
	struct rfs_test_out out = { 0 };

	/* The fixture's daemon runs in the foreground: use a forked one. */
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, &out, "recyclefs mount mnt --log %s/d.log",
				 m.dir),
		     0, "%s", out.err);
	for (int i = 0; i < 2; i++) {
		const char *p = i ? E "/dt=2005-03-01" : E "/dt=2001-01-01";

		cr_assert_eq(rfs_test_sh(&m, &out,
					 "mv mnt/%s mnt/.recyclebin/ && "
					 "recyclefs wait --timeout 30 %s && "
					 "recyclefs status --json > /dev/null",
					 p, p),
			     0, "%s%s", out.out, out.err);
	}
	/* Both seen by a new process, and the daemon's WAL is the file's. */
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "recyclefs status --all --json | grep -c "
				 "'\"state\": \"archived\"' | grep -qx 2 && "
				 "! ls -l /proc/$(pgrep -n -f 'recyclefs mount "
				 "mnt')/fd | grep -q 'index.db-wal (deleted)'"),
		     0, "%s%s", out.out, out.err);
	cr_expect_eq(rfs_test_sh(&m, NULL, "fusermount3 -u mnt"), 0);
	rfs_test_out_release(&out);
}
