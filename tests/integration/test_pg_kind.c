/*
 * The PostgreSQL job kinds end to end, against a real server (a private
 * cluster of scripts/pg.sh, once for the suite, unless RFS_TEST_PG_PORT
 * names one): `mv` into the mount's recycle bin, `recyclefs wait`,
 * `status`, `restore` (to the origin, --to another epoch, --to-uri a
 * table), purge by `rm -rf` and by the command; reruns; a SIGKILL of the
 * command at every storage call of each kind; rows written during an
 * archive. Every check of rows is a psql query written here.
 */
#include "tests/support/cmd.h"
#include "tests/support/kill_sweep.h"
#include "tests/support/mount.h"
#include "tests/support/pg.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
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
	rfs_test_pg_setup("k");
}

TestSuite(pg_kind, .init = setup, .fini = rfs_test_pg_teardown, .timeout = 600);

/* The parent and bound of public.NAME, "" when it is no partition, "-"
 * when there is no such table. */
static char *attachment(const char *name)
{
	return PSQL("SELECT coalesce((SELECT p.relname || ' ' || "
		    "pg_get_expr(c.relpartbound, c.oid) FROM pg_class c JOIN "
		    "pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON "
		    "p.oid = i.inhparent WHERE c.oid = "
		    "to_regclass('public.%s')), CASE WHEN "
		    "to_regclass('public.%s') IS NULL THEN '-' ELSE '' END)",
		    name, name);
}

/* The recycle copy of origin ...NAME: "recyclebin.<copy> <state>", or
 * "" when there is none. */
static char *copy_of(const char *name)
{
	char *s = PSQL("SELECT to_regclass('recyclebin.rfs_manifest') IS "
		       "NULL");
	bool none = !strcmp(s, "t");

	free(s);
	if (none)
		return strdup("");
	return PSQL("SELECT coalesce((SELECT 'recyclebin.' || "
		    "quote_ident(bin_name) || ' ' || state FROM "
		    "recyclebin.rfs_manifest WHERE origin LIKE '%%/%s'), '')",
		    name);
}

#define E_ "sales.orders/bronze/2013-01-01..now"
static const char *E = E_;

/* The catalog: sales.orders/bronze on public.orders, silver on an empty
 * partitioned table public.orders2 of the same columns. */
static void catalog(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_mount_init(m), 0);
	free(PSQL("CREATE TABLE public.orders2 (LIKE public.orders) "
		  "PARTITION BY RANGE (created)"));
	cr_assert_eq(rfs_test_sh(m, &out,
				 "recyclefs table add sales.orders && "
				 "recyclefs lifecycle add sales.orders bronze "
				 "&& recyclefs lifecycle add sales.orders "
				 "silver && recyclefs storage add pg '%s' && "
				 "recyclefs epoch add sales.orders bronze "
				 "--from 2013-01-01 --storage pg --path "
				 "public.orders && recyclefs epoch add "
				 "sales.orders silver --from 2013-01-01 "
				 "--storage pg --path public.orders2",
				 rfs_test_pg_uri("")),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
}

static void expect_bin_folder(struct rfs_test_mount *m, const char *bin,
			      const char *d, const char *copy,
			      const char *saved);
static void save_epoch_folder(struct rfs_test_mount *m, const char *item,
			      const char *saved);

static const char *BOUND01 =
	"orders FOR VALUES FROM ('2013-01-01') TO ('2013-02-01')";

Test(pg_kind, mv_wait_restore_purge_through_the_mount)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before = NULL, *s, *copy, *cp;
	char state[64] = "";
	struct timespec t0, t1;
	double took;

	catalog(&m);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	before = rfs_test_pg_content("public.orders_2013_01");
	s = attachment("orders_2013_01");
	cr_expect_str_eq(s, BOUND01);
	free(s);

	/* mv records the job and returns; the mount's workers run it */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "mv mnt/%s/orders_2013_01 mnt/.recyclebin/",
				 E),
		     0, "%s", out.err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_expect_lt(took, 5.0);
	cr_expect_neq(
		rfs_test_sh(&m, NULL, "ls mnt/%s | grep -qx orders_2013_01", E),
		0, "the item left its origin at once");
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs wait %s/orders_2013_01", E), 0,
		"%s%s", out.out, out.err);
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status --all"), 0);
	cr_expect(strstr(out.out, "orders_2013_01  archived"), "%s", out.out);

	/* psql: detached and dropped; the copy holds the same rows */
	s = attachment("orders_2013_01");
	cr_expect_str_eq(s, "-", "the partition is dropped");
	free(s);
	s = PSQL("SELECT count(*) FROM public.orders WHERE created >= "
		 "'2013-01-01' AND created < '2013-02-01'");
	cr_expect_str_eq(s, "0", "readers of the parent see none of it");
	free(s);
	copy = copy_of("orders_2013_01");
	cp = strchr(copy, ' ');
	cr_assert(cp, "no recycle copy: '%s'", copy);
	*cp = '\0';
	cr_expect_str_eq(cp + 1, "archived");
	s = rfs_test_pg_content(copy);
	cr_expect_str_eq(s, before, "the copy's rows are the partition's");
	free(s);
	cr_expect(getxattr(rfs_test_mnt(&m, ".recyclebin/%s/orders_2013_01", E),
			   "user.recyclefs.state", state,
			   sizeof(state) - 1) > 0);
	cr_expect_str_eq(state, "archived");

	/* a rerun of the archive changes nothing */
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_01", E),
		0, "%s", out.err);
	cr_expect(strstr(out.out, "archived already"), "%s", out.out);
	s = rfs_test_pg_content(copy);
	cr_expect_str_eq(s, before);
	free(s);

	/* restore to the origin: attached again with the same bound */
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_01", E),
		0, "%s", out.err);
	s = attachment("orders_2013_01");
	cr_expect_str_eq(s, BOUND01);
	free(s);
	s = rfs_test_pg_content("public.orders_2013_01");
	cr_expect_str_eq(s, before, "restored rows are the archived rows");
	free(s);
	cr_expect(rfs_test_sh_until(&m, 30,
				    "ls mnt/%s | grep -qx orders_2013_01", E));
	/* ... and a rerun changes nothing */
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_01", E),
		0, "%s", out.err);
	s = attachment("orders_2013_01");
	cr_expect_str_eq(s, BOUND01);
	free(s);
	s = rfs_test_pg_content("public.orders");
	free(s);
	s = PSQL("SELECT count(*) FROM public.orders WHERE created >= "
		 "'2013-01-01' AND created < '2013-02-01'");
	cr_expect_str_eq(s, strtok(before, " "));
	free(s);

	/* rm -rf in the bin purges: the copy is dropped, the restored
	 * table stays */
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "rm -rf mnt/.recyclebin/%s/orders_2013_01", E),
		     0, "%s", out.err);
	cr_expect(rfs_test_sh_until(&m, 30,
				    "recyclefs status --all | grep -q "
				    "'orders_2013_01  purged'"));
	s = PSQL("SELECT count(*) FROM recyclebin.rfs_manifest");
	cr_expect_str_eq(s, "0");
	free(s);
	s = PSQL("SELECT to_regclass('%s') IS NULL", copy);
	cr_expect_str_eq(s, "t", "the recycle copy is gone");
	free(s);
	s = attachment("orders_2013_01");
	cr_expect_str_eq(s, BOUND01);
	free(s);
	/* the purge command once more: nothing to do, nothing changes */
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs purge %s/orders_2013_01", E),
		0, "%s", out.err);
	s = rfs_test_pg_content("public.orders_2013_01");
	free(s);
	free(copy);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

Test(pg_kind, restore_to_another_epoch_and_to_a_uri_and_refusals)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s;

	catalog(&m);
	before = rfs_test_pg_content("public.orders_2013_02");
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_02", E),
		0, "%s", out.err);

	/* blob into relational, relational into blob: one line, before
	 * any row moves */
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "mkdir -p data/x && echo hi > data/x/f && "
				 "recyclefs table add t && recyclefs "
				 "lifecycle add t raw && recyclefs epoch add "
				 "t raw --from 2020-01-01 --storage local && "
				 "recyclefs archive t/raw/2020-01-01..now/x"),
		     0, "%s", out.err);
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "recyclefs restore t/raw/2020-01-01..now/x "
				  "--to sales.orders/silver/2013-01-01..now"),
		      0);
	cr_expect(strstr(out.err, "restore refused: 't/raw/2020-01-01..now/x' "
				  "is blob data (file) and cannot be restored "
				  "into relational storage 'pg'"),
		  "%s", out.err);
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "recyclefs restore %s/orders_2013_02 "
				  "--to t/raw/2020-01-01..now",
				  E),
		      0);
	cr_expect(strstr(out.err, "is relational data (postgres) and cannot "
				  "be restored into blob storage 'local'"),
		  "%s", out.err);
	cr_expect_eq(rfs_test_sh(&m, NULL, "test ! -e data/orders_2013_02"), 0);

	/* --to another postgres epoch: attached to its table */
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs restore %s/orders_2013_02 --to "
				 "sales.orders/silver/2013-01-01..now",
				 E),
		     0, "%s", out.err);
	s = PSQL("SELECT p.relname || ' ' || pg_get_expr(c.relpartbound, "
		 "c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = "
		 "i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE "
		 "p.relname = 'orders2'");
	cr_expect_str_eq(
		s, "orders2 FOR VALUES FROM ('2013-02-01') TO ('2013-03-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_02");
	cr_expect_str_eq(s, before);
	free(s);

	/* --to-uri ...?table=schema.name: a plain table of that name */
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs restore %s/orders_2013_02 "
				 "--to-uri '%s?table=public.feb_copy'",
				 E, rfs_test_pg_uri("")),
		     0, "%s", out.err);
	cr_expect(strstr(out.out, "?table=public.feb_copy' (1 file"), "%s",
		  out.out);
	s = attachment("feb_copy");
	cr_expect_str_eq(s, "", "a table of no parent");
	free(s);
	s = rfs_test_pg_content("public.feb_copy");
	cr_expect_str_eq(s, before);
	free(s);

	/* the origin's bound is free again: the restore there works, and a
	 * second restore into the same place is refused while it holds
	 * other rows */
	free(PSQL("DELETE FROM public.feb_copy WHERE id IN (SELECT id FROM "
		  "public.feb_copy LIMIT 1)"));
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "recyclefs restore %s/orders_2013_02 "
				  "--to-uri '%s?table=public.feb_copy'",
				  E, rfs_test_pg_uri("")),
		      0);
	cr_expect(strstr(out.err, "public.feb_copy exists and holds other "
				  "rows"),
		  "%s", out.err);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

Test(pg_kind, rows_written_during_the_archive_fail_it_and_keep_the_partition)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *s, *after;

	catalog(&m);
	/* stopped once the copy is made and before it is verified */
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "RECYCLEFS_TEST_STOP_AFTER=archive:verify "
				  "recyclefs archive %s/orders_2013_04",
				  E),
		      0);
	free(PSQL("INSERT INTO public.orders (id, created, customer, amount) "
		  "VALUES (999999, '2013-04-15', 1, 1)"));
	after = rfs_test_pg_content("public.orders_2013_04");
	rfs_test_sh(&m, &out, "recyclefs resume"); /* the job fails */
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status"), 0);
	cr_expect(strstr(out.out, "failed") &&
			  strstr(out.out, "changed since its snapshot"),
		  "%s", out.out);
	s = attachment("orders_2013_04");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-04-01') TO ('2013-05-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_04");
	cr_expect_str_eq(s, after, "the partition is untouched");
	free(s);
	/* purging the failed entry drops the copy, never the partition */
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs purge %s/orders_2013_04", E),
		0, "%s", out.err);
	s = copy_of("orders_2013_04");
	cr_expect_str_eq(s, "");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_04");
	cr_expect_str_eq(s, after);
	free(s);
	free(after);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* A fresh database and catalog for one kill point: the template's
 * database again, the index of catalog(). */
static void fresh(struct rfs_test_mount *m)
{
	free(rfs_test_psql("postgres",
			   "DROP DATABASE IF EXISTS %s WITH (FORCE)",
			   rfs_test_pg_db));
	free(rfs_test_psql("postgres",
			   "CREATE DATABASE %s TEMPLATE rfs_fixture",
			   rfs_test_pg_db));
	free(PSQL("CREATE TABLE public.orders2 (LIKE public.orders) "
		  "PARTITION BY RANGE (created)"));
	cr_assert_eq(rfs_test_sh(m, NULL,
				 "cp index.template index.db && rm -f "
				 "index.db-wal index.db-shm"),
		     0);
}

/* After a kill: the rows are whole in the partition or in the copy. */
static void expect_nothing_lost(const char *item, const char *before,
				const char *when)
{
	char qname[128], *s, *copy = copy_of(item), *cp = strchr(copy, ' ');
	bool found = false;

	snprintf(qname, sizeof(qname), "public.%s", item);
	s = attachment(item);
	if (strcmp(s, "-")) {
		free(s);
		s = rfs_test_pg_content(qname);
		found = !strcmp(s, before);
	}
	free(s);
	if (cp) {
		*cp = '\0';
		s = rfs_test_pg_content(copy);
		found = found || !strcmp(s, before);
		free(s);
	}
	free(copy);
	cr_assert(found, "%s: the rows are neither in %s nor in a copy", when,
		  item);
}

/* One verb of the sweep over the storage calls. */
struct sweep {
	struct rfs_test_mount *m;
	int k; /* 0 archive, 1 restore, 2 purge */
	const char *item, *bound, *before;
};

/* Back to the start: the template's database and catalog, archived
 * first for a restore or a purge. */
static void sweep_reset(void *ctx, const char *when)
{
	struct sweep *w = ctx;
	struct rfs_test_out out = { 0 };

	fresh(w->m);
	if (w->k > 0)
		cr_assert_eq(rfs_test_sh(w->m, &out, "recyclefs archive %s/%s",
					 E, w->item),
			     0, "%s: %s", when, out.err);
	rfs_test_out_release(&out);
}

/* Right after a kill: nothing lost (a purge removes the rows for good). */
static void sweep_killed(void *ctx, const char *when)
{
	struct sweep *w = ctx;

	if (w->k < 2)
		expect_nothing_lost(w->item, w->before, when);
}

/* After the rerun: the verb's end state, in the database and the index. */
static void sweep_done(void *ctx, const char *when)
{
	struct sweep *w = ctx;
	struct rfs_test_out out = { 0 };
	char qname[128], *s, *copy;

	s = attachment(w->item);
	cr_assert_str_eq(s, w->k == 1 ? w->bound : "-", "%s", when);
	free(s);
	copy = copy_of(w->item);
	if (w->k == 2) {
		cr_assert_str_eq(copy, "", "%s", when);
	} else {
		char *cp = strchr(copy, ' ');

		cr_assert(cp, "%s: no copy", when);
		cr_assert_str_eq(cp + 1, "archived", "%s", when);
		*cp = '\0';
		s = rfs_test_pg_content(copy);
		cr_assert_str_eq(s, w->before, "%s: the copy", when);
		free(s);
	}
	free(copy);
	if (w->k == 1) {
		snprintf(qname, sizeof(qname), "public.%s", w->item);
		s = rfs_test_pg_content(qname);
		cr_assert_str_eq(s, w->before, "%s: restored", when);
		free(s);
	}
	/* the entry's record agrees */
	cr_assert_eq(rfs_test_sh(w->m, &out, "recyclefs status --all"), 0);
	cr_assert(strstr(out.out, w->k == 2 ? "purged" : "archived"), "%s: %s",
		  when, out.out);
	rfs_test_out_release(&out);
}

Test(pg_kind, killed_at_every_storage_call_then_rerun)
{
	static const char *const verbs[] = { "archive", "restore", "purge" };
	static const int min_points[] = { 8, 5, 2 };
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char command[256], rerun[300];
	struct sweep w = { .m = &m,
			   .item = "orders_2013_05",
			   .bound = "orders FOR VALUES FROM ('2013-05-01') TO "
				    "('2013-06-01')" };
	int points[3];
	char *before;

	RFS_TEST_NEEDS_HOOKS();
	catalog(&m);
	/* no file storage: every storage call counted is the table's (the
	 * catalog journal goes to file storages' bins) */
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs storage remove local && cp "
				 "index.db index.template"),
		     0, "%s", out.err);
	before = rfs_test_pg_content("public.orders_2013_05");
	w.before = before;
	for (int k = 0; k < 3; k++) {
		struct rfs_test_kill_sweep ks = {
			.m = &m,
			.what = verbs[k],
			.command = command,
			.rerun = rerun,
			.reset = sweep_reset,
			.killed = sweep_killed,
			.done = sweep_done,
			.ctx = &w,
			.max_calls = 200,
			.min_points = min_points[k],
		};

		w.k = k;
		snprintf(command, sizeof(command), "recyclefs %s %s/%s",
			 verbs[k], E, w.item);
		snprintf(rerun, sizeof(rerun), "recyclefs resume && %s",
			 command);
		points[k] = rfs_test_kill_sweep_run(&ks);
	}
	cr_log_info("kill points: archive %d, restore %d, purge %d", points[0],
		    points[1], points[2]);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* Lose the index of @p m, make the catalog again by hand and run
 * reindex, which must succeed; its output is left in @p out. */
static void lose_index_and_reindex(struct rfs_test_mount *m,
				   struct rfs_test_out *out)
{
	cr_assert_eq(rfs_test_sh(m, out,
				 "rm -f index.db index.db-wal index.db-shm && "
				 "recyclefs init && recyclefs table add "
				 "sales.orders && recyclefs lifecycle add "
				 "sales.orders bronze && recyclefs storage add "
				 "pg '%s' && recyclefs epoch add sales.orders "
				 "bronze --from 2013-01-01 --storage pg --path "
				 "public.orders",
				 rfs_test_pg_uri("")),
		     0, "%s", out->err);
	cr_assert_eq(rfs_test_sh(m, out, "recyclefs reindex"), 0, "%s",
		     out->err);
}

Test(pg_kind, reindex_rebuilds_entries_from_the_manifest_table)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s;

	catalog(&m);
	before = rfs_test_pg_content("public.orders_2013_07");
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs archive %s/orders_2013_07 && "
				 "recyclefs archive %s/orders_2013_08",
				 E, E),
		     0, "%s", out.err);
	/* the index is lost; the catalog is made again by hand */
	lose_index_and_reindex(&m, &out);
	cr_expect(strstr(out.out, "2 entries added"), "%s", out.out);
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status --all"), 0);
	cr_expect(strstr(out.out, "orders_2013_07  archived") &&
			  strstr(out.out, "orders_2013_08  archived"),
		  "%s", out.out);
	/* a second reindex adds nothing */
	cr_assert_eq(rfs_test_sh(&m, &out, "recyclefs reindex"), 0, "%s",
		     out.err);
	cr_expect(strstr(out.out, "0 entries added, 2 already indexed"), "%s",
		  out.out);
	/* the rebuilt entry restores the same rows, with the same bound */
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_07", E),
		0, "%s", out.err);
	s = attachment("orders_2013_07");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-07-01') TO ('2013-08-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_07");
	cr_expect_str_eq(s, before);
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* A job's sync cut between its rows and its indexes
 * (RECYCLEFS_TEST_PG_SYNC_CUT, as a kill there) leaves the manifest row
 * "loaded", the partition attached. With the index lost and rebuilt by
 * reindex, the entry is failed at the sync; the retry makes the copy
 * again and finishes the archive with every row. */
Test(pg_kind, sync_cut_after_its_rows_is_rebuilt_by_reindex_and_retried)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s, *cp;

	catalog(&m);
	before = rfs_test_pg_content("public.orders_2013_09");
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "RECYCLEFS_TEST_PG_SYNC_CUT=1 "
				  "RECYCLEFS_TEST_REL_ATTEMPTS=1 recyclefs "
				  "archive %s/orders_2013_09",
				  E),
		      0);
	s = copy_of("orders_2013_09");
	cr_expect(strstr(s, " loaded"), "%s", s);
	free(s);
	s = attachment("orders_2013_09");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-09-01') TO ('2013-10-01')");
	free(s);
	lose_index_and_reindex(&m, &out);
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status --all"), 0);
	cr_expect(strstr(out.out, "failed") &&
			  strstr(out.out, "which stands at loaded"),
		  "%s", out.out);
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs retry %s/orders_2013_09", E),
		0, "%s", out.err);
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status --all"), 0);
	cr_expect(strstr(out.out, "orders_2013_09  archived"), "%s", out.out);
	s = attachment("orders_2013_09");
	cr_expect_str_eq(s, "-", "the partition is dropped");
	free(s);
	s = copy_of("orders_2013_09");
	cp = strchr(s, ' ');
	cr_assert(cp, "no recycle copy: '%s'", s);
	*cp = '\0';
	cr_expect_str_eq(cp + 1, "archived");
	{
		char *rows = rfs_test_pg_content(s);

		cr_expect_str_eq(rows, before);
		free(rows);
	}
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

Test(pg_kind, a_partition_a_foreign_key_references_is_refused_untouched)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s;

	catalog(&m);
	free(PSQL("CREATE TABLE public.items (order_id bigint, created date, "
		  "CONSTRAINT items_fk FOREIGN KEY (order_id, created) "
		  "REFERENCES public.orders_2013_03 (id, created))"));
	before = rfs_test_pg_content("public.orders_2013_03");
	cr_expect_neq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_03", E),
		0);
	cr_expect(strstr(out.err, "foreign key \"items_fk\""), "%s", out.err);
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status"), 0);
	cr_expect(strstr(out.out, "failed"), "%s", out.out);
	s = attachment("orders_2013_03");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-03-01') TO ('2013-04-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_03");
	cr_expect_str_eq(s, before);
	free(s);
	s = copy_of("orders_2013_03");
	cr_expect_str_eq(s, "", "nothing was copied");
	free(s);
	/* the failed entry is purged; the partition stays */
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs purge %s/orders_2013_03", E),
		0, "%s", out.err);
	s = rfs_test_pg_content("public.orders_2013_03");
	cr_expect_str_eq(s, before);
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* The rows of the copy of origin ...NAME in database D's schema
 * "archive", by the test's own query; "" when there is none. */
static char *remote_copy(const char *d, const char *name, char **state)
{
	char *q = rfs_test_psql(
		d,
		"SELECT coalesce((SELECT 'archive.' || "
		"quote_ident(bin_name) || ' ' || state FROM "
		"archive.rfs_manifest WHERE origin LIKE '%%/%s'), "
		"'')",
		name);
	char *sp = strchr(q, ' '), *r;

	if (!sp) {
		*state = q;
		return strdup("");
	}
	*sp = '\0';
	*state = strdup(sp + 1);
	r = rfs_test_psql(
		d,
		"SELECT count(*) || ' ' || md5(coalesce(string_agg("
		"t::text, E'\\n' ORDER BY t::text COLLATE \"C\"), '')) "
		"FROM ONLY %s t",
		q);
	free(q);
	return r;
}

Test(pg_kind, bin_in_another_database_streams_archive_restore_purge)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char bindb[40], binuri[256], *before, *s, *st;

	snprintf(bindb, sizeof(bindb), "%sb", rfs_test_pg_db);
	free(rfs_test_psql("postgres", "CREATE DATABASE %s", bindb));
	snprintf(binuri, sizeof(binuri),
		 "postgres://127.0.0.1:%s/%s?schema=archive",
		 getenv("RFS_TEST_PG_PORT"), bindb);
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs table add sales.orders && "
				 "recyclefs lifecycle add sales.orders bronze "
				 "&& recyclefs storage add pg '%s' --bin '%s' "
				 "&& recyclefs epoch add sales.orders bronze "
				 "--from 2013-01-01 --storage pg --path "
				 "public.orders",
				 rfs_test_pg_uri(""), binuri),
		     0, "%s", out.err);
	cr_expect(!strstr(out.err, "warning"),
		  "no catalog journal in a "
		  "relational bin: %s",
		  out.err);
	/* a schema named twice is refused in one line */
	cr_expect_neq(
		rfs_test_sh(&m, &out,
			    "recyclefs storage add pg2 '%s' --bin "
			    "'postgres://127.0.0.1:%s/%s/x?schema=archive'",
			    rfs_test_pg_uri(""), getenv("RFS_TEST_PG_PORT"),
			    bindb),
		0);
	cr_expect(strstr(out.err, "schema=archive and the path 'x' both name "
				  "a schema"),
		  "%s", out.err);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	before = rfs_test_pg_content("public.orders_2013_05");
	save_epoch_folder(&m, "orders_2013_05", "may");

	/* archive through the mount: the rows land in the other database */
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "mv mnt/%s/orders_2013_05 mnt/.recyclebin/",
				 E),
		     0, "%s", out.err);
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs wait %s/orders_2013_05", E), 0,
		"%s%s", out.out, out.err);
	s = attachment("orders_2013_05");
	cr_expect_str_eq(s, "-", "the partition is dropped");
	free(s);
	s = copy_of("orders_2013_05");
	cr_expect_str_eq(s, "", "nothing in the source database's bin");
	free(s);
	s = remote_copy(bindb, "orders_2013_05", &st);
	cr_expect_str_eq(st, "archived");
	cr_expect_str_eq(s, before, "the other database holds the rows");
	free(s);
	free(st);
	/* ls in the bin shows the copy there */
	s = rfs_test_psql(bindb, "SELECT 'archive.' || quote_ident(bin_name) "
				 "FROM archive.rfs_manifest");
	{
		char bin[256];

		snprintf(bin, sizeof(bin), "mnt/.recyclebin/%s/orders_2013_05",
			 E);
		expect_bin_folder(&m, bin, bindb, s, "may");
	}
	free(s);
	s = rfs_test_psql(bindb,
			  "SELECT count(*) FROM pg_class c JOIN pg_index i "
			  "ON i.indrelid = c.oid WHERE c.relnamespace = "
			  "'archive'::regnamespace AND i.indisprimary AND "
			  "c.relname <> 'rfs_manifest'");
	cr_expect_str_eq(s, "1", "the copy keeps the primary key");
	free(s);

	/* the manifest table there rebuilds a lost index */
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "rm -f index.db "
				 "index.db-wal index.db-shm && recyclefs init "
				 "&& recyclefs table add sales.orders && "
				 "recyclefs lifecycle add sales.orders bronze "
				 "&& recyclefs storage add pg '%s' --bin '%s' "
				 "&& recyclefs epoch add sales.orders bronze "
				 "--from 2013-01-01 --storage pg --path "
				 "public.orders && recyclefs reindex",
				 rfs_test_pg_uri(""), binuri),
		     0, "%s", out.err);
	cr_expect(strstr(out.out, "1 entries added") ||
			  strstr(out.out, "1 entry added"),
		  "%s", out.out);
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status --all"), 0);
	cr_expect(strstr(out.out, "orders_2013_05  archived"), "%s", out.out);

	/* restore streams the rows back, attached with the saved bound */
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_05", E),
		0, "%s", out.err);
	s = attachment("orders_2013_05");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-05-01') TO ('2013-06-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_05");
	cr_expect_str_eq(s, before, "restored rows are the archived rows");
	free(s);
	/* a rerun changes nothing */
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_05", E),
		0, "%s", out.err);
	s = rfs_test_pg_content("public.orders_2013_05");
	cr_expect_str_eq(s, before);
	free(s);

	/* purge drops the copy and its manifest row there */
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs purge %s/orders_2013_05", E),
		0, "%s", out.err);
	s = rfs_test_psql(bindb, "SELECT count(*) FROM archive.rfs_manifest");
	cr_expect_str_eq(s, "0");
	free(s);
	s = rfs_test_psql(bindb,
			  "SELECT count(*) FROM pg_class WHERE relnamespace "
			  "= 'archive'::regnamespace AND relkind = 'r' AND "
			  "relname <> 'rfs_manifest'");
	cr_expect_str_eq(s, "0", "the recycle copy is gone");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_05");
	cr_expect_str_eq(s, before, "the restored table stays");
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

Test(pg_kind, wrong_password_is_one_line_naming_the_storage)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s, *nl;

	catalog(&m);
	before = rfs_test_pg_content("public.orders_2013_09");
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "PGPASSWORD=wrong-secret-42 recyclefs "
				  "archive %s/orders_2013_09",
				  E),
		      0);
	cr_expect(strstr(out.err, "password authentication failed"), "%s",
		  out.err);
	cr_expect(strstr(out.err, rfs_test_pg_uri("")),
		  "the storage is named: %s", out.err);
	cr_expect_null(strstr(out.err, "wrong-secret-42"));
	cr_expect_null(strstr(out.out, "wrong-secret-42"));
	nl = strchr(out.err, '\n');
	cr_expect(nl && !nl[1], "one line: '%s'", out.err);
	/* nothing changed; the right password finishes the job */
	s = attachment("orders_2013_09");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-09-01') TO ('2013-10-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_09");
	cr_expect_str_eq(s, before);
	free(s);
	cr_expect_eq(rfs_test_sh(&m, &out, "grep -c wrong-secret-42 index.db"),
		     1, "the secret is not in the index");
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs retry %s/orders_2013_09 || "
				 "recyclefs archive %s/orders_2013_09",
				 E, E),
		     0, "%s", out.err);
	s = copy_of("orders_2013_09");
	cr_expect(strstr(s, " archived"), "%s", s);
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

Test(pg_kind, identifiers_needing_quotes_archive_and_restore)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	const char *Q = "q.t/bronze/2020-01-01..now";
	char *before, *s, *copy;

	free(PSQL("CREATE SCHEMA \"Mixed Case\"; CREATE TABLE \"Mixed "
		  "Case\".\"Ord.ers\" (\"Id \"\"1\"\"\" int PRIMARY KEY, "
		  "\"Wert ü\" text) PARTITION BY RANGE (\"Id \"\"1\"\"\"); "
		  "CREATE TABLE \"Mixed Case\".\"Ünï/x %%\" PARTITION OF "
		  "\"Mixed Case\".\"Ord.ers\" FOR VALUES FROM (0) TO (100); "
		  "INSERT INTO \"Mixed Case\".\"Ord.ers\" SELECT g, 'wert ' "
		  "|| g FROM generate_series(0, 99) g"));
	before = rfs_test_pg_content("\"Mixed Case\".\"Ünï/x %\"");
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs table add q.t && recyclefs "
				 "lifecycle add q.t bronze && recyclefs "
				 "storage add pg '%s' && recyclefs epoch add "
				 "q.t bronze --from 2020-01-01 --storage pg "
				 "--path '\"Mixed Case\".\"Ord.ers\"'",
				 rfs_test_pg_uri("")),
		     0, "%s", out.err);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_assert_eq(rfs_test_sh(&m, &out, "ls mnt/%s", Q), 0, "%s", out.err);
	cr_expect_str_eq(out.out, "Ünï%2Fx %25\n");
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "mv 'mnt/%s/Ünï%%2Fx %%25' mnt/.recyclebin/ "
				 "&& recyclefs wait '%s/Ünï%%2Fx %%25'",
				 Q, Q),
		     0, "%s", out.err);
	s = PSQL("SELECT to_regclass('\"Mixed Case\".\"Ünï/x %%\"') IS NULL");
	cr_expect_str_eq(s, "t", "the partition is dropped");
	free(s);
	s = PSQL(
		"SELECT bin_name || ' ' || state FROM recyclebin.rfs_manifest");
	cr_expect(!strncmp(s, "Ünï/x %_", strlen("Ünï/x %_")) &&
			  strstr(s, " archived"),
		  "%s", s);
	free(s);
	s = PSQL("SELECT 'recyclebin.' || quote_ident(bin_name) FROM "
		 "recyclebin.rfs_manifest");
	copy = rfs_test_pg_content(s);
	cr_expect_str_eq(copy, before, "the copy holds the rows");
	free(copy);
	free(s);
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs restore '%s/Ünï%%2Fx %%25'", Q),
		     0, "%s", out.err);
	s = PSQL("SELECT p.relname || ' ' || pg_get_expr(c.relpartbound, "
		 "c.oid) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = "
		 "c.oid JOIN pg_class p ON p.oid = i.inhparent WHERE c.oid = "
		 "'\"Mixed Case\".\"Ünï/x %%\"'::regclass");
	cr_expect_str_eq(s, "Ord.ers FOR VALUES FROM (0) TO (100)");
	free(s);
	s = rfs_test_pg_content("\"Mixed Case\".\"Ünï/x %\"");
	cr_expect_str_eq(s, before, "restored rows are the archived rows");
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* Archive partition NAME stopped before verify (the copy made and
 * verified by the sync), run SQL then SQL2 (two transactions; either may
 * be NULL), resume: @return the status output after the job ended. */
static char *archive_changed_at_verify(struct rfs_test_mount *m,
				       const char *name, const char *sql,
				       const char *sql2)
{
	struct rfs_test_out out = { 0 };
	char *s;

	cr_expect_neq(rfs_test_sh(m, &out,
				  "RECYCLEFS_TEST_STOP_AFTER=archive:verify "
				  "recyclefs archive %s/%s",
				  E, name),
		      0);
	/* the sync verified its copy against the source already: the
	 * change below is caught by the checks before the detach and the
	 * drop */
	s = copy_of(name);
	cr_expect(strstr(s, " verified"), "%s", s);
	free(s);
	if (sql)
		free(PSQL("%s", sql));
	if (sql2)
		free(PSQL("%s", sql2));
	rfs_test_sh(m, &out, "recyclefs resume");
	cr_expect_eq(rfs_test_sh(m, &out, "recyclefs status --all"), 0);
	s = strdup(out.out);
	rfs_test_out_release(&out);
	return s;
}

/* Changes that keep the row count and write no new row version, or that
 * swap rows one for one, are still found: the source's stamp covers its
 * columns, and a row version newer than the snapshot means the hash
 * decides. The partition stays attached and as it was after the change. */
Test(pg_kind, same_count_changes_during_the_archive_fail_it)
{
	struct rfs_test_mount m = { 0 };
	char *s, *after;

	catalog(&m);
	/* a column with a default: no row is rewritten, every row's text
	 * changes */
	s = archive_changed_at_verify(&m, "orders_2013_05",
				      "ALTER TABLE public.orders ADD COLUMN "
				      "region text NOT NULL DEFAULT 'eu'",
				      NULL);
	cr_expect(strstr(s, "failed") && strstr(s, "changed since its "
						   "snapshot"),
		  "%s", s);
	free(s);
	s = attachment("orders_2013_05");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-05-01') TO ('2013-06-01')");
	free(s);
	s = PSQL("SELECT count(*) FROM public.orders_2013_05 WHERE region = "
		 "'eu'");
	cr_expect_neq(strcmp(s, "0"), 0, "%s", s);
	free(s);

	/* one row deleted, one inserted: the same count */
	s = archive_changed_at_verify(
		&m, "orders_2013_06",
		"DELETE FROM public.orders WHERE id = (SELECT min(id) FROM "
		"public.orders_2013_06); INSERT INTO public.orders (id, "
		"created, customer, amount) VALUES (999998, '2013-06-15', 1, "
		"1)",
		NULL);
	cr_expect(strstr(s, "orders_2013_06") && strstr(s, "changed since "
							   "its snapshot"),
		  "%s", s);
	free(s);
	after = PSQL("SELECT count(*) FROM public.orders_2013_06 WHERE id = "
		     "999998");
	cr_expect_str_eq(after, "1", "the partition keeps the new row");
	free(after);
	s = attachment("orders_2013_06");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-06-01') TO ('2013-07-01')");
	free(s);
	rfs_test_mount_cleanup(&m);
}

/* Rows rewritten with the same content (an UPDATE setting a column to
 * itself, VACUUM FULL) are not a change: the hash decides, and the
 * archive ends with a copy equal to the partition. */
Test(pg_kind, rows_rewritten_with_the_same_content_still_archive)
{
	struct rfs_test_mount m = { 0 };
	char *s, *before, *copy, *cp;

	catalog(&m);
	before = rfs_test_pg_content("public.orders_2013_07");
	s = archive_changed_at_verify(
		&m, "orders_2013_07",
		"UPDATE public.orders_2013_07 SET note = note WHERE id % 10 = "
		"0",
		"VACUUM FULL public.orders_2013_07");
	cr_expect(strstr(s, "orders_2013_07  archived"), "%s", s);
	free(s);
	s = attachment("orders_2013_07");
	cr_expect_str_eq(s, "-", "the partition is dropped");
	free(s);
	copy = copy_of("orders_2013_07");
	cp = strchr(copy, ' ');
	cr_assert(cp, "no recycle copy: '%s'", copy);
	*cp = '\0';
	s = rfs_test_pg_content(copy);
	cr_expect_str_eq(s, before);
	free(s);
	free(copy);
	free(before);
	rfs_test_mount_cleanup(&m);
}

/* A manifest table made before the stamp column gets it; a row without a
 * stamp is verified by the hash of the source; a row whose hash is of the
 * earlier "sum128:" algorithm still restores. Hashes here are computed
 * by queries of the test's own. */
Test(pg_kind, older_manifest_rows_still_verify_and_restore)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *s, *before, *copy, *cp, *sum;

	catalog(&m);
	free(PSQL("CREATE SCHEMA recyclebin; CREATE TABLE "
		  "recyclebin.rfs_manifest (bin_name text PRIMARY KEY, "
		  "origin_schema text NOT NULL, origin_name text NOT NULL, "
		  "parent_schema text, parent_name text, bound text, ddl text "
		  "NOT NULL, rows bigint NOT NULL, hash text NOT NULL, origin "
		  "text, state text NOT NULL, copied_at timestamptz NOT NULL "
		  "DEFAULT now(), archived_at timestamptz)"));
	before = rfs_test_pg_content("public.orders_2013_08");
	/* a row of then: no stamp, standing at copied (so verify runs) */
	s = archive_changed_at_verify(&m, "orders_2013_08",
				      "UPDATE recyclebin.rfs_manifest SET "
				      "stamp = NULL, state = 'copied'",
				      NULL);
	cr_expect(strstr(s, "orders_2013_08  archived"), "%s", s);
	free(s);
	copy = copy_of("orders_2013_08");
	cp = strchr(copy, ' ');
	cr_assert(cp, "no recycle copy: '%s'", copy);
	*cp = '\0';
	s = rfs_test_pg_content(copy);
	cr_expect_str_eq(s, before);
	free(s);

	/* the sum128 hash of the copy, as that algorithm defines it */
	sum = PSQL("SELECT 'sum128:' || md5(n || ':' || coalesce(a, 0) || ':' "
		   "|| coalesce(b, 0)) FROM (SELECT count(*) AS n, sum(('x' || "
		   "substr(h, 1, 16))::bit(64)::bigint) AS a, sum(('x' || "
		   "substr(h, 17, 16))::bit(64)::bigint) AS b FROM (SELECT "
		   "md5(t::text) AS h FROM ONLY %s t) r) s",
		   copy);
	free(PSQL("UPDATE recyclebin.rfs_manifest SET hash = '%s'", sum));
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_08", E),
		0, "%s%s", out.out, out.err);
	s = attachment("orders_2013_08");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-08-01') TO ('2013-09-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_08");
	cr_expect_str_eq(s, before);
	free(s);
	free(sum);
	free(copy);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* Start `recyclefs archive E/ITEM` in the background: its exit status
 * lands in arch.rc, its output in arch.out. */
static void archive_in_background(struct rfs_test_mount *m, const char *item)
{
	cr_assert_eq(rfs_test_sh(m, NULL,
				 "rm -f arch.rc arch.out; (recyclefs archive "
				 "%s/%s >arch.out 2>&1; echo $? >arch.rc) "
				 "</dev/null >/dev/null 2>&1 &",
				 E, item),
		     0);
}

/* Wait for the archive archive_in_background() started. @return its exit
 * status; its output in @p out */
static int archive_end(struct rfs_test_mount *m, struct rfs_test_out *out)
{
	cr_assert(rfs_test_sh_until(m, 180, "test -s arch.rc"),
		  "the archive did not end");
	cr_assert_eq(rfs_test_sh(m, out, "cat arch.out"), 0);
	return rfs_test_sh(m, NULL, "exit $(cat arch.rc)");
}

/* The relations in the recycle schema: copies and the manifest table. */
static char *bin_tables(void)
{
	return PSQL("SELECT count(*) FROM pg_class WHERE relnamespace = "
		    "to_regnamespace('recyclebin') AND relkind = 'r'");
}

/* After a cut job and its rerun: ITEM is dropped from the parent, its
 * one copy archived with the rows of @p before. */
static void expect_archived(const char *item, const char *before)
{
	char *s = attachment(item), *copy, *sp;

	cr_expect_str_eq(s, "-", "the partition is dropped");
	free(s);
	copy = copy_of(item);
	sp = strchr(copy, ' ');
	cr_assert(sp, "no recycle copy of %s: '%s'", item, copy);
	*sp = '\0';
	cr_expect_str_eq(sp + 1, "archived");
	s = rfs_test_pg_content(copy);
	cr_expect_str_eq(s, before, "the copy holds every row once");
	free(s);
	free(copy);
}

/*
 * The job's sync cut while it has made the copy in its transaction and
 * waits to write the manifest row (a session of the test holds the
 * manifest table): by the server restarted (pg_ctl restart -m fast), or
 * by its backend terminated. The transaction is lost whole; the job runs
 * the step again once the server answers (or fails, and `recyclefs
 * retry` finishes it); one copy with every row, the partition dropped.
 */
static void cut_while_the_job_copies(bool restart)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s;
	PGconn *hold;
	int r, pid;

	catalog(&m);
	before = rfs_test_pg_content("public.orders_2013_10");
	/* the manifest table exists: another partition archived */
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_11", E),
		0, "%s", out.err);
	hold = rfs_test_pg_hold("BEGIN; LOCK TABLE recyclebin.rfs_manifest "
				"IN SHARE MODE");
	archive_in_background(&m, "orders_2013_10");
	/* the sync's manifest row waits: its copy is made, not committed */
	pid = rfs_test_pg_blocked(hold, "%INSERT INTO%rfs_manifest%", 120);
	cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status"), 0);
	cr_expect(strstr(out.out, "orders_2013_10") && strstr(out.out, "sync"),
		  "the job is in its sync: %s", out.out);
	if (restart) {
		cr_assert_eq(rfs_test_pg_sh(&out, "pg_restart"), 0, "%s",
			     out.err);
	} else {
		s = PSQL("SELECT pg_terminate_backend(%d)", pid);
		cr_assert_str_eq(s, "t");
		free(s);
	}
	rfs_test_pg_release(hold);
	r = archive_end(&m, &out);
	if (r != 0) {
		/* failed cleanly: the partition attached and whole */
		cr_expect_eq(rfs_test_sh(&m, &out, "recyclefs status"), 0);
		cr_expect(strstr(out.out, "failed"), "%s", out.out);
		s = attachment("orders_2013_10");
		cr_expect_str_eq(s, "orders FOR VALUES FROM ('2013-10-01') TO "
				    "('2013-11-01')");
		free(s);
		s = rfs_test_pg_content("public.orders_2013_10");
		cr_expect_str_eq(s, before);
		free(s);
		cr_assert_eq(rfs_test_sh(&m, &out,
					 "recyclefs retry %s/orders_2013_10",
					 E),
			     0, "%s%s", out.out, out.err);
	}
	cr_log_info("after the cut the job %s",
		    r ? "failed; the retry finished it" : "went on and ended");
	expect_archived("orders_2013_10", before);
	s = PSQL("SELECT count(*) FROM recyclebin.rfs_manifest");
	cr_expect_str_eq(s, "2", "one manifest row per archive");
	free(s);
	s = bin_tables();
	cr_expect_str_eq(s, "3", "two copies and the manifest, nothing else");
	free(s);
	/* a rerun changes nothing */
	cr_expect_eq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_10", E),
		0, "%s", out.err);
	expect_archived("orders_2013_10", before);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

Test(pg_kind, server_restarted_while_the_job_copies)
{
	/* a cluster of its own: the restart would cut the other tests */
	rfs_test_pg_private();
	cut_while_the_job_copies(true);
}

Test(pg_kind, connection_cut_while_the_job_copies)
{
	cut_while_the_job_copies(false);
}

/* The job's backend cut while DETACH ... CONCURRENTLY waits for a reader
 * of the parent: the detach stays pending; the step runs again and
 * finishes it with FINALIZE once the reader ends; nothing is dropped
 * before that, and the copy holds every row. */
Test(pg_kind, connection_cut_during_detach_finalizes_on_resume)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s;
	PGconn *hold;
	int pid, r;

	catalog(&m);
	before = rfs_test_pg_content("public.orders_2013_12");
	/* a reader of the parent: the detach's second phase waits for it */
	hold = rfs_test_pg_hold("BEGIN; SELECT count(*) FROM public.orders");
	archive_in_background(&m, "orders_2013_12");
	pid = rfs_test_pg_blocked(hold, "%DETACH PARTITION%CONCURRENTLY", 120);
	s = PSQL("SELECT pg_terminate_backend(%d)", pid);
	cr_assert_str_eq(s, "t");
	free(s);
	/* the step runs again: FINALIZE, waiting for the same reader */
	rfs_test_pg_blocked(hold, "%DETACH PARTITION%FINALIZE", 60);
	s = PSQL("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = "
		 "'public.orders_2013_12'::regclass");
	cr_expect_str_eq(s, "t", "the cut detach is pending");
	free(s);
	/* (no read of its rows here: they would queue behind FINALIZE's
	 * lock, which waits for this test's own reader) */
	s = PSQL("SELECT to_regclass('public.orders_2013_12') IS NOT NULL");
	cr_expect_str_eq(s, "t", "nothing is dropped while it is pending");
	free(s);
	rfs_test_pg_release(hold);
	r = archive_end(&m, &out);
	cr_expect_eq(r, 0, "the resumed job ends archived: %s", out.out);
	if (r != 0)
		cr_assert_eq(rfs_test_sh(&m, &out,
					 "recyclefs retry %s/orders_2013_12",
					 E),
			     0, "%s%s", out.out, out.err);
	s = PSQL("SELECT count(*) FROM pg_inherits WHERE inhdetachpending");
	cr_expect_str_eq(s, "0", "no detach left pending");
	free(s);
	expect_archived("orders_2013_12", before);
	s = PSQL("SELECT count(*) FROM public.orders WHERE created >= "
		 "'2013-12-01'");
	cr_expect_str_eq(s, "0", "readers of the parent see none of it");
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* md5sum's line for the rows of @p qname in database @p d, by psql's own
 * COPY in primary key order, as CSV with a header. */
static char *copy_md5(const char *d, const char *qname)
{
	struct rfs_test_out ref = { 0 };
	char line[1024], *r;

	snprintf(line, sizeof(line),
		 "pg_psql -d %s -c \"COPY (SELECT * FROM %s ORDER BY id, "
		 "created) TO STDOUT WITH (FORMAT csv, HEADER)\" | md5sum",
		 d, qname);
	cr_assert_eq(rfs_test_pg_sh(&ref, line), 0, "%s", ref.err);
	r = strdup(ref.out);
	rfs_test_out_release(&ref);
	return r;
}

/* What `ls -l`, cat and getfattr show of bin folder @p bin: the two
 * files, the rows of @p copy (database @p d) as psql's COPY writes them,
 * the size stat gives is the size cat reads, the DDL and bound the epoch
 * showed (saved as @p saved.sql and .attrs before the archive). */
static void expect_bin_folder(struct rfs_test_mount *m, const char *bin,
			      const char *d, const char *copy,
			      const char *saved)
{
	struct rfs_test_out out = { 0 };
	char *want;

	cr_assert_eq(rfs_test_sh(m, &out, "ls '%s'", bin), 0, "%s", out.err);
	cr_expect_str_eq(out.out, "data.csv\nschema.sql\n");
	cr_expect_eq(rfs_test_sh(m, &out, "cat '%s/data.csv' | md5sum", bin), 0,
		     "%s", out.err);
	want = copy_md5(d, copy);
	cr_expect_str_eq(out.out, want, "data.csv is the copy's rows");
	free(want);
	cr_expect_eq(rfs_test_sh(m, &out,
				 "test $(stat -c %%s '%s/data.csv') -eq $(cat "
				 "'%s/data.csv' | wc -c) && test $(stat -c "
				 "%%s '%s/schema.sql') -eq $(cat "
				 "'%s/schema.sql' | wc -c)",
				 bin, bin, bin, bin),
		     0, "ls -l shows the sizes cat reads");
	cr_expect_eq(rfs_test_sh(m, &out,
				 "grep -q '^CREATE TABLE' '%s/schema.sql' && "
				 "{ test ! -e %s.sql || diff '%s/schema.sql' "
				 "%s.sql; }",
				 bin, saved, bin, saved),
		     0, "schema.sql is what the epoch showed: %s", out.out);
	cr_expect_eq(rfs_test_sh(m, &out,
				 "getfattr --absolute-names --only-values -n "
				 "user.pg.bound '%s' | cmp - %s.bound",
				 bin, saved),
		     0, "the bound the epoch showed: %s%s", out.out, out.err);
	cr_expect_eq(rfs_test_sh(m, &out,
				 "getfattr --absolute-names --only-values -n "
				 "user.pg.rows '%s'",
				 bin),
		     0, "%s", out.err);
	want = rfs_test_psql(d, "SELECT count(*) FROM %s", copy);
	cr_expect_str_eq(out.out, want);
	free(want);
	cr_expect_neq(rfs_test_sh(m, &out, "touch '%s/x'", bin), 0);
	cr_expect_neq(rfs_test_sh(m, &out, "echo x > '%s/data.csv'", bin), 0);
	cr_expect_eq(rfs_test_sh(m, &out, "test -s '%s/data.csv'", bin), 0,
		     "the copy is still there");
	rfs_test_out_release(&out);
}

/* Save what the epoch shows of partition @p item as @p saved.sql and
 * .bound. */
static void save_epoch_folder(struct rfs_test_mount *m, const char *item,
			      const char *saved)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_sh(m, &out,
				 "cat mnt/%s/%s/schema.sql > %s.sql && "
				 "getfattr --absolute-names --only-values -n "
				 "user.pg.bound mnt/%s/%s > %s.bound && test "
				 "-s %s.sql && test -s %s.bound",
				 E, item, saved, E, item, saved, saved, saved),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
}

/* `ls` of an archived partition in .recyclebin shows, read-only, what its
 * epoch folder showed: schema.sql (the DDL the archive saved), data.csv
 * (the copy's rows streamed with COPY), the bound; a second archive of
 * the same partition (.~2~) shows its own copy. */
Test(pg_kind, ls_in_the_bin_shows_the_archived_partition)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char bin[256], bin2[300], *copy, *copy2, *sp, *s;

	catalog(&m);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	save_epoch_folder(&m, "orders_2013_01", "jan");
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "mv mnt/%s/orders_2013_01 mnt/.recyclebin/ "
				 "&& recyclefs wait %s/orders_2013_01",
				 E, E),
		     0, "%s%s", out.out, out.err);
	copy = copy_of("orders_2013_01");
	sp = strchr(copy, ' ');
	cr_assert(sp, "no recycle copy: '%s'", copy);
	*sp = '\0';
	snprintf(bin, sizeof(bin), "mnt/.recyclebin/%s/orders_2013_01", E);
	expect_bin_folder(&m, bin, rfs_test_pg_db, copy, "jan");

	/* restored, one row changed, archived again: the second entry shows
	 * its own copy, the first still its own */
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_01", E),
		0, "%s", out.err);
	free(PSQL("UPDATE public.orders_2013_01 SET note = 'changed' WHERE "
		  "id = (SELECT min(id) FROM public.orders_2013_01)"));
	/* the restored partition shows at once, with the DDL it has now */
	save_epoch_folder(&m, "orders_2013_01", "jan2");
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_01", E),
		0, "%s", out.err);
	s = PSQL("SELECT 'recyclebin.' || quote_ident(bin_name) FROM "
		 "recyclebin.rfs_manifest WHERE bin_name <> '%s'",
		 copy + strlen("recyclebin."));
	copy2 = s;
	snprintf(bin2, sizeof(bin2), "%s.~2~", bin);
	cr_assert(rfs_test_sh_until(&m, 30, "test -d '%s'", bin2));
	expect_bin_folder(&m, bin2, rfs_test_pg_db, copy2, "jan2");
	expect_bin_folder(&m, bin, rfs_test_pg_db, copy, "jan");
	cr_expect_neq(
		rfs_test_sh(&m, NULL, "cmp %s/data.csv %s/data.csv", bin, bin2),
		0, "two archives, two contents");
	/* rm of one file purges that entry: its copy is one table */
	cr_expect_eq(rfs_test_sh(&m, &out, "rm '%s/data.csv'", bin2), 0, "%s",
		     out.err);
	cr_expect(rfs_test_sh_until(&m, 30, "test ! -e '%s'", bin2));
	cr_expect(rfs_test_sh_until(&m, 30,
				    "recyclefs status --all | grep -q "
				    "'orders_2013_01.~2~  purged'"));
	s = PSQL("SELECT to_regclass('%s') IS NULL", copy2);
	cr_expect_str_eq(s, "t", "the second copy is dropped");
	free(s);
	expect_bin_folder(&m, bin, rfs_test_pg_db, copy, "jan");
	free(copy2);
	free(copy);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* A table that is no partition of the epoch's table, given where one is
 * expected, and a partitioned table given as one table: each refused in
 * one line naming it, before anything changes. */
Test(pg_kind, a_table_that_is_no_partition_is_refused_untouched)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *orders, *s;

	catalog(&m);
	free(PSQL("CREATE TABLE public.plain (a int PRIMARY KEY); INSERT INTO "
		  "public.plain SELECT generate_series(1, 50)"));
	before = rfs_test_pg_content("public.plain");
	cr_expect_neq(rfs_test_sh(&m, &out, "recyclefs archive %s/plain", E),
		      0);
	cr_expect(strstr(out.err, "cannot archive '" E_ "/plain': no '" E_
				  "/plain' in storage 'pg'"),
		  "%s", out.err);
	s = strchr(out.err, '\n');
	cr_expect(s && !s[1], "one line: %s", out.err);
	s = rfs_test_pg_content("public.plain");
	cr_expect_str_eq(s, before);
	free(s);
	s = PSQL("SELECT to_regnamespace('recyclebin') IS NULL");
	cr_expect_str_eq(s, "t", "nothing was made");
	free(s);

	/* an epoch on the schema shows the partitioned table as one folder:
	 * archiving it whole is refused (its partitions are the items) */
	orders = rfs_test_pg_content("public.orders");
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "recyclefs purge %s/plain; recyclefs table "
				 "add s.all && recyclefs lifecycle add s.all "
				 "raw && recyclefs epoch add s.all raw --from "
				 "2013-01-01 --storage pg --path public",
				 E),
		     0, "%s", out.err);
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "recyclefs archive "
				  "s.all/raw/2013-01-01..now/orders"),
		      0);
	cr_expect(strstr(out.err, "partitioned table"), "%s", out.err);
	s = rfs_test_pg_content("public.orders");
	cr_expect_str_eq(s, orders);
	free(s);
	s = PSQL("SELECT count(*) FROM pg_inherits WHERE inhparent = "
		 "'public.orders'::regclass");
	cr_expect_str_eq(s, "12", "every partition still attached");
	free(s);
	free(orders);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* A parent with a default partition: DETACH ... CONCURRENTLY is not
 * allowed, the job detaches with the plain DETACH (after a SHARE lock and
 * the source checked) and ends archived; the default partition keeps its
 * rows. */
Test(pg_kind, default_partition_archives_with_a_plain_detach)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *before, *s;

	catalog(&m);
	free(PSQL("CREATE TABLE public.orders_other PARTITION OF "
		  "public.orders DEFAULT; INSERT INTO public.orders (id, "
		  "created, customer, amount) VALUES (777777, '2014-06-01', "
		  "'x', 1)"));
	before = rfs_test_pg_content("public.orders_2013_06");
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_06", E),
		0, "%s%s", out.out, out.err);
	expect_archived("orders_2013_06", before);
	s = PSQL("SELECT count(*) FROM public.orders_other");
	cr_expect_str_eq(s, "1", "the default partition keeps its rows");
	free(s);
	s = PSQL("SELECT count(*) FROM public.orders WHERE created >= "
		 "'2013-06-01' AND created < '2013-07-01'");
	cr_expect_str_eq(s, "0");
	free(s);
	/* restored with its bound, beside the default partition */
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_06", E),
		0, "%s", out.err);
	s = attachment("orders_2013_06");
	cr_expect_str_eq(
		s, "orders FOR VALUES FROM ('2013-06-01') TO ('2013-07-01')");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_06");
	cr_expect_str_eq(s, before);
	free(s);
	free(before);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* The owner, a grant to a role and the comments of a partition come back
 * with its restore, as the DDL saved in the manifest gives them; a grant
 * to a role dropped since the archive is skipped. */
Test(pg_kind, restore_brings_back_owner_grants_and_comments)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	char *s;

	free(PSQL("DO $$ BEGIN CREATE ROLE rfs_reader; EXCEPTION WHEN "
		  "duplicate_object THEN NULL; END $$; DO $$ BEGIN CREATE "
		  "ROLE rfs_owner; EXCEPTION WHEN duplicate_object THEN NULL; "
		  "END $$; DO $$ BEGIN CREATE ROLE \"rfs gone\"; EXCEPTION "
		  "WHEN duplicate_object THEN NULL; END $$"));
	free(PSQL("ALTER TABLE public.orders_2013_03 OWNER TO rfs_owner; "
		  "GRANT SELECT ON public.orders_2013_03 TO rfs_reader; "
		  "GRANT INSERT ON public.orders_2013_03 TO \"rfs gone\"; "
		  "COMMENT ON TABLE public.orders_2013_03 IS E'March''s "
		  "rows; kept\\nfor audit;'; COMMENT ON COLUMN "
		  "public.orders_2013_03.note IS 'free text'"));
	catalog(&m);
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs archive %s/orders_2013_03", E),
		0, "%s", out.err);
	s = attachment("orders_2013_03");
	cr_assert_str_eq(s, "-", "the partition is dropped");
	free(s);
	/* a role of the saved grants dropped since: skipped, the rest
	 * applied */
	free(PSQL("DROP ROLE \"rfs gone\""));
	cr_assert_eq(
		rfs_test_sh(&m, &out, "recyclefs restore %s/orders_2013_03", E),
		0, "%s", out.err);
	s = attachment("orders_2013_03");
	cr_expect_str_eq(s, "orders FOR VALUES FROM ('2013-03-01') TO "
			    "('2013-04-01')");
	free(s);
	s = PSQL("SELECT has_table_privilege('rfs_reader', "
		 "'public.orders_2013_03', 'SELECT')::text || ' ' || "
		 "has_table_privilege('rfs_reader', 'public.orders_2013_03', "
		 "'INSERT')::text || ' ' || pg_get_userbyid(relowner) FROM "
		 "pg_class "
		 "WHERE oid = 'public.orders_2013_03'::regclass");
	cr_expect_str_eq(s, "true false rfs_owner", "owner and grants");
	free(s);
	s = PSQL("SELECT obj_description('public.orders_2013_03'::regclass, "
		 "'pg_class') = E'March''s rows; kept\\nfor audit;'");
	cr_expect_str_eq(s, "t", "the table's comment");
	free(s);
	s = PSQL("SELECT col_description('public.orders_2013_03'::regclass, "
		 "(SELECT attnum FROM pg_attribute WHERE attrelid = "
		 "'public.orders_2013_03'::regclass AND attname = 'note'))");
	cr_expect_str_eq(s, "free text", "the column's comment");
	free(s);
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}
