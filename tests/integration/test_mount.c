/*
 * The mount's catalog levels through a real FUSE mount: what ls, stat,
 * getfattr and the shell see, catalog changes while mounted, refusals at
 * catalog levels, and mount errors.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/support/mount.h"

static struct rfs_test_mount m;

static void cli_ok(const char *what, int r, struct rfs_test_out *out)
{
	cr_assert_eq(r, 0, "%s failed (%d): %s", what, r, out->err);
}

/* sales.orders: raw (open epoch on data/orders/raw), bronze with two
 * epochs; a postgres storage for silver; tags pii, finance. */
static void setup(void)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(
		rfs_test_sh(
			&m, NULL,
			"mkdir -p data/orders/raw data/orders/b1/dt=2001-01-01 "
			"data/orders/b2 && echo hello > "
			"data/orders/b1/dt=2001-01-01/part-0.parquet"),
		0);
	cli_ok("table add",
	       rfs_test_cli(&m, &out, "table", "add", "sales.orders", "-c",
			    "pii", "-c", "finance"),
	       &out);
	cli_ok("storage add pg",
	       rfs_test_cli(&m, &out, "storage", "add", "pg-main",
			    "postgres://db.internal/lake"),
	       &out);
	for (int i = 0; i < 3; i++) {
		const char *lc[] = { "raw", "bronze", "silver" };

		cli_ok("lifecycle add",
		       rfs_test_cli(&m, &out, "lifecycle", "add",
				    "sales.orders", lc[i]),
		       &out);
	}
	cli_ok("epoch raw",
	       rfs_test_cli(&m, &out, "epoch", "add", "sales.orders", "raw",
			    "--from", "2024-01-01", "--storage", "local",
			    "--path", "orders/raw"),
	       &out);
	cli_ok("epoch b1",
	       rfs_test_cli(&m, &out, "epoch", "add", "sales.orders", "bronze",
			    "--from", "2001-01-01", "--to", "2010-01-01",
			    "--storage", "local", "--path", "orders/b1"),
	       &out);
	cli_ok("epoch b2",
	       rfs_test_cli(&m, &out, "epoch", "add", "sales.orders", "bronze",
			    "--from", "2010-01-01", "--storage", "local",
			    "--path", "orders/b2"),
	       &out);
	cli_ok("epoch silver",
	       rfs_test_cli(&m, &out, "epoch", "add", "sales.orders", "silver",
			    "--from", "2013-01-01", "--storage", "pg-main",
			    "--path", "orders"),
	       &out);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
}

TestSuite(mount, .init = setup, .fini = teardown);

static char *sh_out(const char *fmt, const char *arg)
{
	struct rfs_test_out out = { 0 };
	char *s;
	int r = rfs_test_sh(&m, &out, fmt, arg);

	cr_assert_eq(r, 0, "'%s' failed: %s", fmt, out.err);
	s = strdup(out.out);
	rfs_test_out_release(&out);
	return s;
}

Test(mount, lists_tables_lifecycles_and_epochs)
{
	char *s;

	s = sh_out("ls -a %s | tr '\\n' ' '", m.mnt);
	cr_expect_str_eq(s, ". .. .classifications .recyclebin sales.orders ");
	free(s);
	s = sh_out("ls %s/sales.orders | tr '\\n' ' '", m.mnt);
	cr_expect_str_eq(s, "bronze raw silver ");
	free(s);
	s = sh_out("ls %s/sales.orders/bronze | tr '\\n' ' '", m.mnt);
	cr_expect_str_eq(s, "2001-01-01..2010-01-01 2010-01-01..now ");
	free(s);
	s = sh_out("cat %s/sales.orders/bronze/2001-01-01..2010-01-01/"
		   "dt=2001-01-01/part-0.parquet",
		   m.mnt);
	cr_expect_str_eq(s, "hello\n");
	free(s);
	s = sh_out("ls -A %s/.recyclebin | wc -l", m.mnt);
	cr_expect_str_eq(s, "0\n");
	free(s);
}

Test(mount, catalog_directories_are_directories_owned_by_the_mounter)
{
	struct stat st;

	cr_assert_eq(stat(rfs_test_mnt(&m, "sales.orders/bronze"), &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0755);
	cr_expect_eq(st.st_uid, getuid());
	cr_assert_eq(stat(rfs_test_mnt(&m, "nope"), &st), -1);
	cr_expect_eq(errno, ENOENT);
	cr_assert_eq(stat(rfs_test_mnt(&m, "sales.orders/gold"), &st), -1);
	cr_expect_eq(errno, ENOENT);
}

Test(mount, epoch_root_shows_the_storage_directory_attributes)
{
	struct stat a, b;

	cr_assert_eq(chmod(rfs_test_data(&m, "orders/b1"), 0750), 0);
	cr_assert_eq(stat(rfs_test_data(&m, "orders/b1"), &b), 0);
	/* The attribute timeout is one second: wait it out. */
	cr_assert(rfs_test_sh_until(&m, 30,
				    "test \"$(stat -c %%a "
				    "mnt/sales.orders/bronze/"
				    "2001-01-01..2010-01-01)\" = 750"));
	cr_assert_eq(stat(rfs_test_mnt(&m, "sales.orders/bronze/"
					   "2001-01-01..2010-01-01"),
			  &a),
		     0);
	cr_expect_eq(a.st_mode, b.st_mode);
	cr_expect_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	cr_expect_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
}

static char *xattr(const char *path, const char *name)
{
	char buf[4096];
	ssize_t n = getxattr(path, name, buf, sizeof(buf) - 1);

	cr_assert_geq(n, 0, "getxattr %s %s: %s", path, name, strerror(errno));
	buf[n] = '\0';
	return strdup(buf);
}

Test(mount, xattrs_describe_catalog_nodes)
{
	const char *e = rfs_test_mnt(&m, "sales.orders/bronze/2010-01-01..now");
	char *v, uri[256];

	snprintf(uri, sizeof(uri), "file://%s/orders/b2", m.data);
	v = xattr(e, "user.recyclefs.storage_uri");
	cr_expect_str_eq(v, uri);
	free(v);
	v = xattr(e, "user.recyclefs.storage_class");
	cr_expect_str_eq(v, "file");
	free(v);
	v = xattr(e, "user.recyclefs.storage_family");
	cr_expect_str_eq(v, "blob");
	free(v);
	v = xattr(e, "user.recyclefs.from");
	cr_expect_str_eq(v, "2010-01-01");
	free(v);
	v = xattr(e, "user.recyclefs.to");
	cr_expect_str_eq(v, "now");
	free(v);
	v = xattr(e, "user.recyclefs.classifications");
	cr_expect_str_eq(v, "finance,pii");
	free(v);
	v = xattr(rfs_test_mnt(&m, "sales.orders"), "user.recyclefs.kind");
	cr_expect_str_eq(v, "table");
	free(v);
	v = xattr(rfs_test_mnt(&m, "sales.orders"),
		  "user.recyclefs.lifecycles");
	cr_expect_str_eq(v, "raw,bronze,silver");
	free(v);
	v = xattr(rfs_test_mnt(&m, "sales.orders/silver/2013-01-01..now"),
		  "user.recyclefs.storage_family");
	cr_expect_str_eq(v, "relational");
	free(v);
}

Test(mount, getfattr_dumps_the_attributes)
{
	char *s = sh_out("getfattr -d --absolute-names "
			 "%s/sales.orders/bronze/2001-01-01..2010-01-01",
			 m.mnt);

	cr_expect(strstr(s, "user.recyclefs.kind=\"epoch\"") != NULL, "%s", s);
	cr_expect(strstr(s, "user.recyclefs.epoch=\"2001-01-01..2010-01-01\""),
		  "%s", s);
	cr_expect(strstr(s, "user.recyclefs.storage=\"local\""), "%s", s);
	free(s);
}

Test(mount, catalog_attributes_are_read_only)
{
	const char *t = rfs_test_mnt(&m, "sales.orders");

	cr_expect_eq(setxattr(t, "user.recyclefs.kind", "x", 1, 0), -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(setxattr(t, "user.other", "x", 1, 0), -1);
	cr_expect_eq(errno, EPERM);
}

Test(mount, classifications_link_to_tables)
{
	char buf[256];
	ssize_t n;
	char *s;

	n = readlink(rfs_test_mnt(&m, ".classifications/pii/sales.orders"), buf,
		     sizeof(buf) - 1);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	cr_expect_str_eq(buf, "../../sales.orders");
	s = sh_out("ls %s/.classifications | tr '\\n' ' '", m.mnt);
	cr_expect_str_eq(s, "finance pii ");
	free(s);
	s = sh_out("ls %s/.classifications/pii/sales.orders/ | tr '\\n' ' '",
		   m.mnt);
	cr_expect_str_eq(s, "bronze raw silver ");
	free(s);
}

Test(mount, catalog_changes_show_up_while_mounted)
{
	struct rfs_test_out out = { 0 };

	cli_ok("table add",
	       rfs_test_cli(&m, &out, "table", "add", "crm.customers", "-c",
			    "pii"),
	       &out);
	cr_expect(rfs_test_sh_until(&m, 30, "test -d mnt/crm.customers"));
	cr_expect(rfs_test_sh_until(
		&m, 30, "test -L mnt/.classifications/pii/crm.customers"));
	cli_ok("epoch close",
	       rfs_test_cli(&m, &out, "epoch", "close", "sales.orders", "raw",
			    "--at", "2025-01-01"),
	       &out);
	cr_expect(rfs_test_sh_until(
		&m, 30, "test -d mnt/sales.orders/raw/2024-01-01..2025-01-01"));
	cr_expect(rfs_test_sh_until(
		&m, 30, "! test -e mnt/sales.orders/raw/2024-01-01..now"));
	rfs_test_out_release(&out);
}

static void expect_log(const char *what)
{
	char *log = rfs_test_mount_log(&m);

	cr_expect(strstr(log, what) != NULL, "log lacks '%s':\n%s", what, log);
	free(log);
}

/* A storage that cannot be opened (here an S3 URI naming a profile that
 * exists nowhere: no credentials) lists as an I/O error with the reason
 * in the log, not as an empty folder a user would take for lost data. */
Test(mount, an_epoch_whose_storage_cannot_be_opened_is_eio)
{
	struct rfs_test_out out = { 0 };

	cli_ok("storage add",
	       rfs_test_cli(&m, &out, "storage", "add", "badopt",
			    "s3://lake/orders?endpoint=http://127.0.0.1:9&"
			    "profile=rfs-test-no-such-profile"),
	       &out);
	cli_ok("epoch add",
	       rfs_test_cli(&m, &out, "epoch", "add", "sales.orders", "silver",
			    "--from", "2001-01-01", "--to", "2013-01-01",
			    "--storage", "badopt", "--path", "silver"),
	       &out);
	cr_assert(rfs_test_sh_until(
		&m, 30,
		"test -d 'mnt/sales.orders/silver/2001-01-01..2013-01-01'"));
	cr_expect_neq(
		rfs_test_sh(&m, &out,
			    "ls "
			    "'mnt/sales.orders/silver/2001-01-01..2013-01-01'"),
		0);
	cr_expect(strstr(out.err, "Input/output error") != NULL, "ls: %s",
		  out.err);
	expect_log("rfs-test-no-such-profile");
	/* a catalog-only storage stays an empty folder */
	cr_expect_eq(
		rfs_test_sh(&m, &out,
			    "test -z \"$(ls "
			    "'mnt/sales.orders/silver/2013-01-01..now')\""),
		0, "%s", out.err);
	rfs_test_out_release(&out);
}

Test(mount, catalog_levels_refuse_changes_with_eperm)
{
	const char *dirs[] = { "", "sales.orders", "sales.orders/bronze",
			       ".classifications" };
	char path[512];
	int fd;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/newfile", m.mnt, dirs[i]);
		fd = open(path, O_CREAT | O_WRONLY, 0644);
		cr_expect_eq(fd, -1, "create in '%s' worked", dirs[i]);
		cr_expect_eq(errno, EPERM, "create in '%s': %s", dirs[i],
			     strerror(errno));
		snprintf(path, sizeof(path), "%s/%s/newdir", m.mnt, dirs[i]);
		cr_expect_eq(mkdir(path, 0755), -1);
		cr_expect_eq(errno, EPERM, "mkdir in '%s': %s", dirs[i],
			     strerror(errno));
	}
	cr_expect_eq(rmdir(rfs_test_mnt(&m, "sales.orders/bronze")), -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(rmdir(rfs_test_mnt(&m, "sales.orders/bronze/"
					    "2010-01-01..now")),
		     -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(rename(rfs_test_mnt(&m, "sales.orders/raw"),
			    rfs_test_mnt(&m, "sales.orders/gold")),
		     -1);
	cr_expect_eq(errno, EPERM);
	expect_log("refused");
	/* Nothing reached the storage. */
	cr_expect_eq(
		rfs_test_sh(&m, NULL, "test -z \"$(find data -name 'new*')\""),
		0);
}

Test(mount, moving_a_file_to_a_catalog_level_is_refused)
{
	const char *src =
		rfs_test_mnt(&m, "sales.orders/bronze/"
				 "2001-01-01..2010-01-01/dt=2001-01-01/"
				 "part-0.parquet");

	cr_expect_eq(rename(src, rfs_test_mnt(&m, "sales.orders/x.parquet")),
		     -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(rename(src, rfs_test_mnt(&m, "x.parquet")), -1);
	cr_expect_eq(errno, EPERM);
	cr_expect_eq(access(rfs_test_data(&m, "orders/b1/dt=2001-01-01/"
					      "part-0.parquet"),
			    F_OK),
		     0);
}

Test(mount, rename_between_epochs_is_exdev_and_mv_copies)
{
	const char *b1 = "sales.orders/bronze/2001-01-01..2010-01-01";
	const char *b2 = "sales.orders/bronze/2010-01-01..now";

	cr_expect_eq(rename(rfs_test_mnt(&m, "%s/dt=2001-01-01", b1),
			    rfs_test_mnt(&m, "%s/dt=2001-01-01", b2)),
		     -1);
	cr_expect_eq(errno, EXDEV);
	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/%s/dt=2001-01-01 mnt/%s/",
				 b1, b2),
		     0);
	cr_expect_eq(access(rfs_test_data(&m, "orders/b2/dt=2001-01-01/"
					      "part-0.parquet"),
			    F_OK),
		     0);
	cr_expect_eq(access(rfs_test_data(&m, "orders/b1/dt=2001-01-01"), F_OK),
		     -1);
}

Test(mount, catalog_only_epoch_is_an_empty_read_only_directory)
{
	const char *e = rfs_test_mnt(&m, "sales.orders/gold/2013-01-01..now");
	struct rfs_test_out out = { 0 };
	struct stat st;
	char path[512];

	/* kafka has no data path in this build (postgres has one now) */
	cli_ok("storage add stream",
	       rfs_test_cli(&m, &out, "storage", "add", "stream",
			    "kafka://broker.internal/orders"),
	       &out);
	cli_ok("lifecycle gold",
	       rfs_test_cli(&m, &out, "lifecycle", "add", "sales.orders",
			    "gold"),
	       &out);
	cli_ok("epoch gold",
	       rfs_test_cli(&m, &out, "epoch", "add", "sales.orders", "gold",
			    "--from", "2013-01-01", "--storage", "stream"),
	       &out);
	rfs_test_out_release(&out);
	cr_assert(rfs_test_sh_until(&m, 30, "test -d '%s'", e));
	cr_assert_eq(stat(e, &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	cr_expect_eq(st.st_mode & 0777, 0555);
	cr_expect_eq(rfs_test_sh(&m, NULL, "test -z \"$(ls -A '%s')\"", e), 0);
	snprintf(path, sizeof(path), "%s/x.csv", e);
	cr_expect_eq(open(path, O_CREAT | O_WRONLY, 0644), -1);
	cr_expect_eq(errno, EPERM);
	expect_log("stream");
}

Test(mount, the_storage_bin_is_hidden_in_an_epoch_at_the_storage_root)
{
	struct rfs_test_out out = { 0 };
	char uri[160];

	/* A storage of its own: an epoch at the root of "local" would
	 * contain the other epochs' folders. */
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "mkdir -p whole/.recyclebin/x whole/orders"),
		     0);
	snprintf(uri, sizeof(uri), "file://%s/whole", m.dir);
	cli_ok("storage whole",
	       rfs_test_cli(&m, &out, "storage", "add", "whole", uri), &out);
	cli_ok("epoch root",
	       rfs_test_cli(&m, &out, "epoch", "add", "sales.orders", "silver",
			    "--from", "2000-01-01", "--to", "2013-01-01",
			    "--storage", "whole"),
	       &out);
	rfs_test_out_release(&out);
	cr_assert(rfs_test_sh_until(
		&m, 30,
		"test -d mnt/sales.orders/silver/2000-01-01..2013-01-01"));
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "ls -A mnt/sales.orders/silver/"
				 "2000-01-01..2013-01-01 | grep -q orders"),
		     0);
	cr_expect_neq(
		rfs_test_sh(&m, NULL,
			    "ls -A mnt/sales.orders/silver/"
			    "2000-01-01..2013-01-01 | grep -q recyclebin"),
		0);
	cr_expect_neq(rfs_test_sh(&m, NULL,
				  "test -e mnt/sales.orders/silver/"
				  "2000-01-01..2013-01-01/.recyclebin"),
		      0);
}

Test(mount, statfs_of_an_epoch_is_its_storage)
{
	struct statvfs a, b;

	cr_assert_eq(statvfs(rfs_test_mnt(&m, "sales.orders/raw/"
					      "2024-01-01..now"),
			     &a),
		     0);
	cr_assert_eq(statvfs(m.data, &b), 0);
	cr_expect_eq(a.f_blocks, b.f_blocks);
	cr_expect_eq(a.f_bsize, b.f_bsize);
}

/* Run as root, the mount reads ahead more than the 128 KiB the kernel
 * gives a FUSE mount (its kernel device's read_ahead_kb), as far as its
 * read requests (twice the read-ahead) still fit a pipe of
 * fs.pipe-max-size, so that libfuse splices them. */
Test(mount, reads_ahead_more_when_mounted_by_root)
{
	char path[96], *kb, *pipe_max;
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("only root may set a mount's read-ahead");
	cr_assert_eq(stat(m.mnt, &st), 0);
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
		 major(st.st_dev), minor(st.st_dev));
	kb = sh_out("cat '%s'", path);
	pipe_max = sh_out("cat %s", "/proc/sys/fs/pipe-max-size");
	cr_expect_gt(atoi(kb), 128, "read_ahead_kb %s", kb);
	cr_expect_leq(2 * atol(kb) + 64, atol(pipe_max) / 1024,
		      "read_ahead_kb %s, pipe-max-size %s", kb, pipe_max);
	free(pipe_max);
	free(kb);
}

Test(mount, refuses_a_mountpoint_in_use_or_not_a_directory)
{
	struct rfs_test_out out = { 0 };
	char file[128];
	int r;

	r = rfs_test_cli(&m, &out, "mount", m.mnt);
	cr_expect_eq(r, 1);
	cr_expect(strstr(out.err, "in use"), "%s", out.err);
	snprintf(file, sizeof(file), "%s/plain", m.dir);
	cr_assert_eq(rfs_test_sh(&m, NULL, "touch plain"), 0);
	r = rfs_test_cli(&m, &out, "mount", file);
	cr_expect_eq(r, 1);
	cr_expect(strstr(out.err, "not a directory"), "%s", out.err);
	r = rfs_test_cli(&m, &out, "mount", "/nonexistent/dir");
	cr_expect_eq(r, 1);
	rfs_test_out_release(&out);
}

Test(mount, refuses_a_missing_index)
{
	struct rfs_test_out out = { 0 };
	char other[128];
	int r;

	snprintf(other, sizeof(other), "%s/other", m.dir);
	cr_assert_eq(mkdir(other, 0755), 0);
	r = rfs_test_run_recyclefs(&out, "/nonexistent/index.db", "mount",
				   other, NULL);
	cr_expect_eq(r, 1);
	cr_expect(strstr(out.err, "recyclefs init"), "%s", out.err);
	rfs_test_out_release(&out);
}

Test(mount, unmounts_cleanly)
{
	cr_expect_eq(rfs_test_mount_stop(&m), 0);
	cr_expect_eq(
		rfs_test_sh(&m, NULL, "! grep -q ' %s ' /proc/mounts", m.mnt),
		0);
}

/* user.recyclefs.history on a lifecycle is the document of `recyclefs
 * history TABLE LIFECYCLE --json`; on an epoch, only that epoch's
 * changes. */
Test(mount, history_attribute_shows_how_a_lifecycle_changed)
{
	struct rfs_test_out out = { 0 };
	char *s;

	cli_ok("epoch close",
	       rfs_test_cli(&m, &out, "epoch", "close", "sales.orders",
			    "bronze", "--at", "2012-01-01"),
	       &out);
	rfs_test_out_release(&out);
	s = sh_out("getfattr --only-values -n user.recyclefs.history "
		   "%s/sales.orders/bronze > lc.json && "
		   "recyclefs history sales.orders bronze --json > cli.json && "
		   "python3 -c 'import json; a=json.load(open(\"lc.json\")); "
		   "b=json.load(open(\"cli.json\")); assert a==b, (a, b); "
		   "print(\" \".join(h[\"action\"] for h in a[\"history\"]))'",
		   m.mnt);
	cr_expect_str_eq(s, "lifecycle.add epoch.add epoch.add epoch.close\n");
	free(s);
	s = sh_out("getfattr --only-values -n user.recyclefs.history "
		   "%s/sales.orders/bronze/2001-01-01..2010-01-01 | "
		   "python3 -c 'import json,sys; a=json.load(sys.stdin); "
		   "print(a[\"epoch\"], [(h[\"action\"], h[\"epoch\"], "
		   "h[\"detail\"][\"path\"]) for h in a[\"history\"]])'",
		   m.mnt);
	cr_expect_str_eq(s, "2001-01-01..2010-01-01 [('epoch.add', "
			    "'2001-01-01..2010-01-01', 'orders/b1')]\n");
	free(s);
	s = sh_out("getfattr -d --absolute-names %s/sales.orders/raw", m.mnt);
	cr_expect(strstr(s, "user.recyclefs.history="), "%s", s);
	free(s);
}

/* The pid of the recyclefs daemon serving @p mnt, or 0. */
static pid_t daemon_of(const char *mnt)
{
	struct rfs_test_out out = { 0 };
	pid_t pid = 0;

	if (rfs_test_sh(&m, &out,
			"for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline "
			"2>/dev/null | grep -q 'recyclefs.* mount %s' && "
			"echo ${p#/proc/}; done | head -1",
			mnt) == 0 &&
	    *out.out)
		pid = (pid_t)atoi(out.out);
	rfs_test_out_release(&out);
	return pid;
}

/*
 * A mount that goes to the background stays in the caller's session (so
 * in its scheduler autogroup: a session of its own waits, for every
 * request, for the scheduler to reach it), in a process group of its own
 * (a terminal's Ctrl-C does not reach it), and a hangup (SIGHUP) leaves
 * it mounted; fusermount3 -u ends it.
 */
Test(mount, a_background_mount_stays_in_the_callers_session_and_ignores_hup)
{
	struct rfs_test_out out = { 0 };
	pid_t pid;
	int i;

	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, &out, "recyclefs mount %s --log %s/bg.log",
				 m.mnt, m.dir),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_sh(&m, NULL, "test -d mnt/sales.orders"), 0);
	pid = daemon_of(m.mnt);
	cr_assert_gt(pid, 0, "no daemon found");
	cr_expect_eq(getsid(pid), getsid(0),
		     "the daemon has session %d, not %d", (int)getsid(pid),
		     (int)getsid(0));
	cr_expect_eq(getpgid(pid), pid, "the daemon's process group");
	cr_assert_eq(kill(pid, SIGHUP), 0);
	usleep(500000);
	cr_expect_eq(kill(pid, 0), 0, "SIGHUP ended the daemon");
	cr_expect_eq(rfs_test_sh(&m, NULL, "test -d mnt/sales.orders"), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "fusermount3 -u mnt"), 0);
	for (i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(100000);
	cr_expect_neq(kill(pid, 0), 0, "the daemon outlived fusermount3 -u");
}
