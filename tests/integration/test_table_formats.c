/*
 * Transactional table formats: a folder inside a Delta, Iceberg or Hudi
 * table is never archived alone (recyclefs archive and mv into the bin of
 * a mount are refused before anything is copied, with the format and the
 * table root named); the whole table root is archived, and restored with
 * its log and its data.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/mount.h"

static struct rfs_test_mount m;
static struct rfs_test_out out;

#define EP  "t/l/2001-01-01..2010-01-01"
#define SRC "data/orders/b1"

#define RUN(...) rfs_test_cli(&m, &out, __VA_ARGS__)

static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell line in the test's directory; it must exit 0. @return its
 * stdout (caller frees). */
static char *sh(const char *fmt, ...)
{
	struct rfs_test_out o = { 0 };
	char line[8192], *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r = rfs_test_sh(&m, &o, "%s", line);
	cr_assert_eq(r, 0, "'%s' exited %d: %s%s", line, r, o.out, o.err);
	s = strdup(o.out);
	rfs_test_out_release(&o);
	return s;
}

static void ok(int r, const char *what)
{
	cr_assert_eq(r, 0, "%s: status %d, stdout: %s, stderr: %s", what, r,
		     out.out, out.err);
}

static void has(const char *text, const char *want)
{
	cr_assert_not_null(strstr(text, want), "want '%s' in: %s", want, text);
}

/* The command failed with status 1 and one line on stderr. */
static void fails(int r, const char *what)
{
	cr_assert_eq(r, 1, "%s: status %d, stdout: %s, stderr: %s", what, r,
		     out.out, out.err);
	cr_assert_eq(strchr(out.err, '\n'), out.err + strlen(out.err) - 1,
		     "%s: not one line: %s", what, out.err);
}

/* Every file below @p dir with its checksum, and every folder. */
static char *tree(const char *dir)
{
	return sh("cd '%s' && find . | LC_ALL=C sort | while read -r f; do "
		  "if test -f \"$f\"; then sha256sum \"$f\"; else echo \"$f\"; "
		  "fi; done",
		  dir);
}

static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	free(sh("mkdir -p " SRC));
	ok(RUN("table", "add", "t"), "table add");
	ok(RUN("lifecycle", "add", "t", "l"), "lifecycle add");
	ok(RUN("epoch", "add", "t", "l", "--from", "2001-01-01", "--to",
	       "2010-01-01", "--storage", "local", "--path", "orders/b1"),
	   "epoch add");
}

static void teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

TestSuite(table_formats, .init = setup, .fini = teardown, .timeout = 600);

/* A table "tbl" of @p format in the epoch, with two partitions. */
static void make_table(const char *format)
{
	const char *log;

	if (!strcmp(format, "Delta"))
		log = "mkdir -p tbl/_delta_log && "
		      "echo '{\"add\":{}}' > tbl/_delta_log/"
		      "00000000000000000000.json && "
		      "echo '{\"add\":{}}' > tbl/_delta_log/"
		      "00000000000000000001.json";
	else if (!strcmp(format, "Iceberg"))
		log = "mkdir -p tbl/metadata && "
		      "echo '{}' > tbl/metadata/v1.metadata.json && "
		      "echo x > tbl/metadata/snap-1-1-abc.avro";
	else
		log = "mkdir -p tbl/.hoodie && "
		      "echo 'hoodie.table.name=tbl' > "
		      "tbl/.hoodie/hoodie.properties && "
		      "echo '{}' > tbl/.hoodie/20200101000000.commit";
	free(sh("cd " SRC " && rm -rf tbl && %s && "
		"mkdir -p tbl/dt=2020-01-01 tbl/dt=2020-01-02 && "
		"head -c 5000 /dev/urandom > tbl/dt=2020-01-01/part-0.parquet && "
		"head -c 5000 /dev/urandom > tbl/dt=2020-01-02/part-0.parquet",
		log));
}

/* A part is refused with the format and root named, nothing recorded,
 * nothing moved; the whole root archives and restores with its log. */
static void part_refused_root_allowed(const char *format, const char *marker)
{
	char want[256], *before, *now, *log;

	make_table(format);
	before = tree(SRC "/tbl");
	snprintf(want, sizeof(want), "is part of the %s table at '" EP "/tbl'",
		 format);
	fails(RUN("archive", EP "/tbl/dt=2020-01-01"), "archive a partition");
	has(out.err, want);
	has(out.err, marker);
	fails(RUN("archive", EP "/tbl/dt=2020-01-01/part-0.parquet"),
	      "archive one file of a partition");
	has(out.err, want);
	ok(RUN("status", "--all", "--json"), "status");
	cr_assert_null(strstr(out.out, "\"bin_path\""),
		       "an entry was recorded: %s", out.out);

	/* mv in a mount: EPERM, the reason in the log. */
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_assert_neq(rfs_test_sh(&m, &out,
				  "mv mnt/" EP "/tbl/dt=2020-01-02 "
				  "mnt/.recyclebin/"),
		      0);
	has(out.err, "Operation not permitted");
	log = rfs_test_mount_log(&m);
	has(log, want);
	free(log);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	now = tree(SRC "/tbl");
	cr_assert_str_eq(now, before, "the table changed");
	free(now);

	/* The whole table root: archived, then restored with its log. */
	ok(RUN("archive", EP "/tbl"), "archive the table root");
	free(sh("test ! -e " SRC "/tbl"));
	ok(RUN("restore", EP "/tbl"), "restore the table root");
	now = tree(SRC "/tbl");
	cr_assert_str_eq(now, before, "the restored table differs");
	free(now);
	free(before);
}

Test(table_formats, delta_part_refused_root_allowed)
{
	part_refused_root_allowed("Delta", "_delta_log/");
}

Test(table_formats, iceberg_part_refused_root_allowed)
{
	part_refused_root_allowed("Iceberg", "metadata/");
}

Test(table_formats, hudi_part_refused_root_allowed)
{
	part_refused_root_allowed("Hudi", ".hoodie/");
}

/* The log folder itself is a part too; a folder named metadata without
 * Iceberg metadata files is a plain folder. */
Test(table_formats, the_log_is_a_part_and_lookalikes_are_plain)
{
	make_table("Delta");
	fails(RUN("archive", EP "/tbl/_delta_log"), "archive the log");
	has(out.err, "Delta table at '" EP "/tbl'");
	free(sh("mkdir -p " SRC "/plain/metadata " SRC "/plain/dt=1 && "
		"echo '{}' > " SRC "/plain/metadata/notes.json && "
		"echo x > " SRC "/plain/dt=1/a"));
	ok(RUN("archive", EP "/plain/dt=1"), "archive a plain partition");
}

/* An epoch whose root is a table: its partitions are parts, the whole
 * epoch may go; a table root above the epoch's folder is named in its
 * storage, and the epoch is a part of that table. */
Test(table_formats, an_epoch_that_is_a_table_or_in_one)
{
	free(sh("for t in dtbl etbl; do mkdir -p data/lake/$t/_delta_log "
		"data/lake/$t/y=1/m=1 && echo '{}' > "
		"data/lake/$t/_delta_log/0.json && echo x > "
		"data/lake/$t/y=1/m=1/a.parquet; done"));
	ok(RUN("lifecycle", "add", "t", "d"), "lifecycle add");
	ok(RUN("epoch", "add", "t", "d", "--from", "2001-01-01", "--to",
	       "2005-01-01", "--storage", "local", "--path", "lake/dtbl"),
	   "epoch on a table root");
	ok(RUN("epoch", "add", "t", "d", "--from", "2005-01-01", "--to",
	       "2006-01-01", "--storage", "local", "--path", "lake/etbl/y=1"),
	   "epoch inside a table");
	fails(RUN("archive", "t/d/2001-01-01..2005-01-01/y=1"),
	      "a partition of the epoch's table");
	has(out.err, "Delta table at 't/d/2001-01-01..2005-01-01'");
	fails(RUN("archive", "t/d/2005-01-01..2006-01-01/m=1"),
	      "a folder of an epoch inside a table");
	has(out.err, "Delta table at 'lake/etbl in storage 'local''");
	fails(RUN("archive", "t/d/2005-01-01..2006-01-01"),
	      "an epoch inside a table");
	has(out.err, "Delta table at 'lake/etbl in storage 'local''");
	ok(RUN("archive", "t/d/2001-01-01..2005-01-01"), "the whole epoch");
	free(sh("test ! -e data/lake/dtbl/_delta_log/0.json"));
}
