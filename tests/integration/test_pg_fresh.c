/*
 * What a mount shows of a PostgreSQL epoch follows recyclefs's own jobs
 * at once, against a real server: right after an archive or a restore run
 * by the `recyclefs` command (another process) or by a worker of the
 * mount, a partition's folder is gone from (or back in) the listing, and
 * its data.csv is what the server holds now, not the file generated
 * before the job (which the mount keeps a few seconds). Every expected
 * byte comes from psql, written here; no check waits or retries.
 */
#include "tests/support/cmd.h"
#include "tests/support/mount.h"
#include "tests/support/pg.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	rfs_test_pg_start();
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	rfs_test_pg_stop();
}

static void setup(void)
{
	rfs_test_pg_setup("f");
}

TestSuite(pg_fresh, .init = setup, .fini = rfs_test_pg_teardown,
	  .timeout = 600);

#define E "sales.orders/bronze/2013-01-01..now"
#define P "orders_2013_01"

/* The catalog: sales.orders/bronze on public.orders; then the mount. */
static void mounted(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_mount_init(m), 0);
	cr_assert_eq(rfs_test_sh(m, &out,
				 "recyclefs table add sales.orders && "
				 "recyclefs lifecycle add sales.orders bronze "
				 "&& recyclefs storage add pg '%s' && "
				 "recyclefs epoch add sales.orders bronze "
				 "--from 2013-01-01 --storage pg --path "
				 "public.orders",
				 rfs_test_pg_uri("")),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_mount_start(m, NULL), 0);
}

/* want.csv: the partition's rows by psql's own COPY, in primary key order
 * with a header, as data.csv shows them. */
static void want_csv(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_sh(m, &out,
				 "\"$RFS_TEST_PG_BIN/psql\" -X -q -v "
				 "ON_ERROR_STOP=1 -h \"$RFS_TEST_PG_SOCKDIR\" "
				 "-p \"$RFS_TEST_PG_PORT\" -U postgres -d %s "
				 "-c 'COPY (SELECT * FROM public." P
				 " ORDER BY id, created) TO STDOUT WITH "
				 "(FORMAT csv, HEADER)' > want.csv",
				 rfs_test_pg_db),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
}

/* Read the folder the way a user does before a job: the listing, the
 * attributes, both files (the mount and the kernel keep what they can). */
static void look(struct rfs_test_mount *m, const char *copy)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_sh(m, &out,
				 "ls mnt/" E " | grep -qx " P " && ls -l mnt/" E
				 "/" P " && getfattr -d mnt/" E "/" P
				 " && cat mnt/" E "/" P "/schema.sql "
				 ">/dev/null && cat mnt/" E "/" P
				 "/data.csv > %s",
				 copy),
		     0, "%s%s", out.out, out.err);
	rfs_test_out_release(&out);
}

/* Gone at once: not listed, its files and attributes ENOENT. */
static void expect_gone(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };
	char v[64];

	cr_expect_neq(rfs_test_sh(m, NULL, "ls mnt/" E " | grep -qx " P), 0,
		      "the archived partition is still listed");
	cr_expect_neq(rfs_test_sh(m, &out, "cat mnt/" E "/" P "/data.csv"), 0,
		      "data.csv of an archived partition read: %.80s", out.out);
	cr_expect(strstr(out.err, "No such file or directory"), "%s", out.err);
	cr_expect_neq(rfs_test_sh(m, NULL, "cat mnt/" E "/" P "/schema.sql"), 0,
		      "schema.sql of an archived partition read");
	cr_expect_lt(getxattr(rfs_test_mnt(m, E "/" P), "user.pg.rows", v,
			      sizeof(v)),
		     0, "attributes of an archived partition read");
	rfs_test_out_release(&out);
}

/* Back at once: listed, data.csv the server's rows, the rows attribute
 * the server's count, ls -l the size cat reads. */
static void expect_back(struct rfs_test_mount *m, const char *before)
{
	struct rfs_test_out out = { 0 };
	char v[64] = "", *rows;
	ssize_t n;

	cr_expect_eq(rfs_test_sh(m, NULL, "ls mnt/" E " | grep -qx " P), 0,
		     "the restored partition is not listed");
	want_csv(m);
	cr_expect_eq(
		rfs_test_sh(m, &out, "cmp want.csv mnt/" E "/" P "/data.csv"),
		0, "data.csv is not the restored rows: %s%s", out.out, out.err);
	cr_expect_neq(rfs_test_sh(m, NULL, "cmp -s want.csv %s", before), 0,
		      "the test changed no row: it proves nothing");
	cr_expect_eq(rfs_test_sh(m, &out,
				 "test \"$(stat -c %%s mnt/" E "/" P
				 "/data.csv)\" = \"$(wc -c < want.csv)\""),
		     0, "ls -l shows another size than cat reads");
	rows = PSQL("SELECT count(*) FROM public." P);
	n = getxattr(rfs_test_mnt(m, E "/" P), "user.pg.rows", v,
		     sizeof(v) - 1);
	cr_expect_gt(n, 0);
	if (n > 0)
		v[n] = '\0';
	cr_expect_str_eq(v, rows);
	free(rows);
	rfs_test_out_release(&out);
}

/* The command's restore shows at once (the rows as before.csv had them);
 * then the daemon ends cleanly (under ASan: without a leak). */
static void restore_then_stop(struct rfs_test_mount *m,
			      struct rfs_test_out *out)
{
	cr_assert_eq(rfs_test_sh(m, out, "recyclefs restore " E "/" P), 0, "%s",
		     out->err);
	expect_back(m, "before.csv");
	rfs_test_out_release(out);
	cr_expect_eq(rfs_test_mount_stop(m), 0);
	rfs_test_mount_cleanup(m);
}

/* The recyclefs command archives and restores in its own process: the
 * mount shows each at once. Rows were changed by SQL after data.csv was
 * read, so a data.csv kept from before the jobs shows the old rows. */
Test(pg_fresh, command_archive_and_restore_show_at_once)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *s;

	mounted(&m);
	look(&m, "before.csv");
	want_csv(&m);
	cr_assert_eq(rfs_test_sh(&m, NULL, "cmp want.csv before.csv"), 0,
		     "data.csv is not psql's COPY of the partition");
	free(PSQL("UPDATE public." P " SET note = 'changed' WHERE id = "
		  "(SELECT min(id) FROM public." P ")"));

	cr_assert_eq(rfs_test_sh(&m, &out, "recyclefs archive " E "/" P), 0,
		     "%s", out.err);
	s = PSQL("SELECT to_regclass('public." P "') IS NULL");
	cr_assert_str_eq(s, "t", "the archive did not drop the partition");
	free(s);
	expect_gone(&m);

	restore_then_stop(&m, &out);
}

/* mv into the bin through the mount: gone from the listing at once, and
 * still gone (its files ENOENT) once the mount's worker dropped it; the
 * command's restore shows at once. */
Test(pg_fresh, mount_archive_then_command_restore_show_at_once)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };

	mounted(&m);
	look(&m, "before.csv");
	free(PSQL("DELETE FROM public." P " WHERE id = (SELECT max(id) FROM "
		  "public." P ")"));

	cr_assert_eq(
		rfs_test_sh(&m, &out, "mv mnt/" E "/" P " mnt/.recyclebin/"), 0,
		"%s", out.err);
	expect_gone(&m);
	cr_assert_eq(rfs_test_sh(&m, &out, "recyclefs wait " E "/" P), 0,
		     "%s%s", out.out, out.err);
	expect_gone(&m);

	restore_then_stop(&m, &out);
}

/* Rows and partitions changed by SQL outside recyclefs leave no trace in
 * the index: what was generated before shows until it expires (10 s),
 * then the server's rows; a partition created by SQL is listed. */
Test(pg_fresh, changes_by_sql_show_once_generated_files_expire)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };

	mounted(&m);
	look(&m, "before.csv");
	free(PSQL("INSERT INTO public." P " SELECT id + 1000000, created, "
		  "customer, amount, note FROM public." P " WHERE id < 1000"));
	free(PSQL("CREATE TABLE public.orders_2014_01 PARTITION OF "
		  "public.orders FOR VALUES FROM ('2014-01-01') TO "
		  "('2014-02-01')"));
	sleep(11);
	cr_expect_eq(
		rfs_test_sh(&m, NULL, "ls mnt/" E " | grep -qx orders_2014_01"),
		0, "a partition created by SQL is not listed");
	want_csv(&m);
	cr_expect_eq(
		rfs_test_sh(&m, &out, "cmp want.csv mnt/" E "/" P "/data.csv"),
		0, "data.csv is not the server's rows: %s%s", out.out, out.err);
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "test \"$(stat -c %%s mnt/" E "/" P
				 "/data.csv)\" = \"$(wc -c < want.csv)\""),
		     0, "ls -l shows another size than cat reads");
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "ls -l mnt/" E "/" P " | grep data.csv | grep "
				 "-q \" $(wc -c < want.csv) \""),
		     0, "ls -l shows another size than cat reads");
	rfs_test_out_release(&out);
	/* the daemon ends cleanly (under ASan: without a leak) */
	cr_expect_eq(rfs_test_mount_stop(&m), 0);
	rfs_test_mount_cleanup(&m);
}
