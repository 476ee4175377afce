/*
 * The PostgreSQL adapter against a real server (scripts/pg.sh starts a
 * private cluster once for the suite, unless RFS_TEST_PG_PORT names one):
 * the read-only tree, the archive and restore steps with their reruns and
 * faults, and a real mount. Every check of rows is a query written here
 * and run with psql, not recyclefs's own hash.
 */
#include "backends/backend.h"
#include "backends/rel.h"
#include "backends/pg/archive_steps.h"
#include "tests/support/cmd.h"
#include "tests/support/mount.h"
#include "tests/support/pg.h"
#include "util/error.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
	rfs_test_pg_setup("t");
}

TestSuite(pg, .init = setup, .fini = rfs_test_pg_teardown, .timeout = 300);

static PGconn *conn(void)
{
	struct rfs_error err = { 0 };
	PGconn *c = NULL;

	cr_assert_eq(rfs_pg_connect(rfs_test_pg_uri(""), &c, &err), 0, "%s",
		     err.msg);
	return c;
}

static const char *P01 = "public.orders_2013_01";

#define STEP(call)                                                             \
	do {                                                                   \
		struct rfs_error e_ = { 0 };                                   \
		int r_ = (call);                                               \
		(void)e_;                                                      \
		cr_assert_eq(r_, 0, "%s: %d %s", #call, r_, err.msg);          \
	} while (0)

static void snapshot(PGconn *c, const char *name, struct rfs_pg_item *it,
		     struct rfs_error *err)
{
	cr_assert_eq(rfs_pg_snapshot(c, "public", name, "public.orders", NULL,
				     NULL, "sales.orders/bronze/x", it, err),
		     0, "%s", err->msg);
}

/* The archive steps, each run twice. */
static void archive(PGconn *c, struct rfs_pg_item *it)
{
	struct rfs_error err = { 0 };

	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_sync(c, it, &err));
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_verify(c, it, &err));
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_unpublish(c, it, &err));
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_delete(c, it, &err));
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_manifest(c, it, &err));
}

static bool attached(const char *name)
{
	char *s = PSQL("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
		       "to_regclass('public.%s') AND inhparent = "
		       "'public.orders'::regclass",
		       name);
	bool yes = !strcmp(s, "1");

	free(s);
	return yes;
}

Test(pg, archive_restore_purge_each_step_twice)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 }, back = { 0 };
	PGconn *c = conn();
	char *before = rfs_test_pg_content(P01), *s;

	snapshot(c, "orders_2013_01", &it, &err);
	cr_expect_str_eq(it.bound,
			 "FOR VALUES FROM ('2013-01-01') TO ('2013-02-01')");
	s = PSQL("SELECT count(*) FROM %s", P01);
	cr_expect_eq(it.rows, atoll(s));
	free(s);
	cr_expect_str_eq(it.parent, "orders");
	cr_expect(strstr(it.ddl, "PRIMARY KEY (id, created)"), "%s", it.ddl);
	cr_expect(strstr(it.ddl, "CHECK ((amount >= (0)::numeric))"), "%s",
		  it.ddl);
	cr_expect(strstr(it.ddl, "OWNER TO postgres"), "%s", it.ddl);
	cr_expect(strstr(it.ddl, "GRANT SELECT ON public.orders_2013_01 TO "
				 "rfs_reader"),
		  "%s", it.ddl);
	cr_expect(strstr(it.ddl, "COMMENT ON TABLE public.orders_2013_01 IS "
				 "'January'"),
		  "%s", it.ddl);
	cr_expect(strstr(it.ddl, "CREATE INDEX orders_2013_01_customer_idx"),
		  "%s", it.ddl);
	archive(c, &it);

	/* detached, dropped, and the copy holds the same rows */
	s = PSQL("SELECT to_regclass('public.orders_2013_01') IS NULL");
	cr_expect_str_eq(s, "t");
	free(s);
	s = rfs_test_pg_content("recyclebin.orders_2013_01");
	cr_expect_str_eq(s, before);
	free(s);
	s = PSQL("SELECT count(*) FROM public.orders WHERE created < "
		 "'2013-02-01'");
	cr_expect_str_eq(s, "0");
	free(s);
	s = PSQL("SELECT state || '|' || bound || '|' || rows FROM "
		 "recyclebin.rfs_manifest WHERE bin_name = 'orders_2013_01'");
	cr_expect(!strncmp(s, "archived|FOR VALUES FROM ('2013-01-01')", 39),
		  "%s", s);
	free(s);

	/* restore from the manifest alone */
	STEP(rfs_pg_item_load(c, "recyclebin", "orders_2013_01", &back, &err));
	cr_expect_str_eq(back.hash, it.hash);
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_restore_check(c, &back, NULL, &err));
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_restore_copy(c, &back, NULL, &err));
	STEP(rfs_pg_restore_verify(c, &back, NULL, &err));
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_restore_attach(c, &back, NULL, &err));
	cr_expect(attached("orders_2013_01"));
	s = rfs_test_pg_content(P01);
	cr_expect_str_eq(s, before);
	free(s);
	s = PSQL("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE "
		 "oid = 'public.orders_2013_01'::regclass");
	cr_expect_str_eq(s, it.bound);
	free(s);
	s = PSQL("SELECT count(*) FROM public.orders WHERE created < "
		 "'2013-02-01'");
	cr_expect_eq(atoll(s), it.rows);
	free(s);

	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_purge(c, &back, &err));
	s = PSQL("SELECT to_regclass('recyclebin.orders_2013_01') IS NULL, "
		 "(SELECT count(*) FROM recyclebin.rfs_manifest)");
	cr_expect_str_eq(s, "t|0");
	free(s);
	free(before);
	rfs_pg_item_release(&it);
	rfs_pg_item_release(&back);
	PQfinish(c);
}

/* A manifest row written before "sum128:" holds the old hash: md5 of the
 * concatenated md5 of each row's text in primary key order, 32 hex
 * digits without a prefix. Such a copy still verifies, restores and
 * purges, checked with that algorithm. */
Test(pg, old_format_manifest_row_still_restores)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 }, back = { 0 };
	PGconn *c = conn();
	char *before = rfs_test_pg_content("public.orders_2013_04"), *old, *s;

	snapshot(c, "orders_2013_04", &it, &err);
	cr_expect(!strncmp(it.hash, "hte128:", 7), "%s", it.hash);
	archive(c, &it);
	old = PSQL("SELECT md5(coalesce(string_agg(md5(t::text), '' ORDER BY "
		   "t.id, t.created), '')) FROM ONLY "
		   "recyclebin.orders_2013_04 t");
	cr_assert_eq(strlen(old), 32, "%s", old);

	/* a wrong old-format hash is caught: the old algorithm runs */
	free(PSQL("UPDATE recyclebin.rfs_manifest SET hash = "
		  "'00000000000000000000000000000000' WHERE bin_name = "
		  "'orders_2013_04'"));
	STEP(rfs_pg_item_load(c, "recyclebin", "orders_2013_04", &back, &err));
	STEP(rfs_pg_restore_check(c, &back, NULL, &err));
	STEP(rfs_pg_restore_copy(c, &back, NULL, &err));
	cr_expect_eq(rfs_pg_restore_verify(c, &back, NULL, &err), -ESTALE, "%s",
		     err.msg);
	cr_expect(!attached("orders_2013_04"));
	rfs_pg_item_release(&back);

	/* the right one restores */
	free(PSQL("UPDATE recyclebin.rfs_manifest SET hash = '%s' WHERE "
		  "bin_name = 'orders_2013_04'",
		  old));
	STEP(rfs_pg_item_load(c, "recyclebin", "orders_2013_04", &back, &err));
	cr_expect_str_eq(back.hash, old);
	STEP(rfs_pg_restore_check(c, &back, NULL, &err));
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_restore_copy(c, &back, NULL, &err));
	STEP(rfs_pg_restore_verify(c, &back, NULL, &err));
	STEP(rfs_pg_restore_attach(c, &back, NULL, &err));
	cr_expect(attached("orders_2013_04"));
	s = rfs_test_pg_content("public.orders_2013_04");
	cr_expect_str_eq(s, before);
	free(s);
	STEP(rfs_pg_purge(c, &back, &err));
	s = PSQL("SELECT to_regclass('recyclebin.orders_2013_04') IS NULL");
	cr_expect_str_eq(s, "t");
	free(s);
	free(old);
	free(before);
	rfs_pg_item_release(&it);
	rfs_pg_item_release(&back);
	PQfinish(c);
}

Test(pg, rows_written_during_the_archive_stop_it_and_touch_nothing)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 };
	PGconn *c = conn();
	char *s, *after;

	/* written between snapshot and sync: the sync copies the new rows
	 * (it does not hash), verify finds them, abort cleans */
	snapshot(c, "orders_2013_02", &it, &err);
	free(PSQL("INSERT INTO public.orders VALUES (900001, '2013-02-03', "
		  "'late', 1, NULL)"));
	after = rfs_test_pg_content("public.orders_2013_02");
	STEP(rfs_pg_sync(c, &it, &err));
	cr_expect_eq(rfs_pg_verify(c, &it, &err), -ESTALE);
	cr_expect(strstr(err.msg, "changed since its snapshot"), "%s", err.msg);
	cr_expect_eq(rfs_pg_unpublish(c, &it, &err), -EINVAL);
	cr_expect(attached("orders_2013_02"));
	STEP(rfs_pg_abort(c, &it, &err));
	s = rfs_test_pg_content("public.orders_2013_02");
	cr_expect_str_eq(s, after);
	free(s);
	s = PSQL("SELECT to_regclass('recyclebin.orders_2013_02') IS NULL");
	cr_expect_str_eq(s, "t");
	free(s);
	rfs_pg_item_release(&it);
	free(after);

	/* written between sync and verify: verify fails, abort cleans */
	rfs_error_clear(&err);
	snapshot(c, "orders_2013_02", &it, &err);
	STEP(rfs_pg_sync(c, &it, &err));
	free(PSQL("DELETE FROM public.orders WHERE id = 900001"));
	after = rfs_test_pg_content("public.orders_2013_02");
	cr_expect_eq(rfs_pg_verify(c, &it, &err), -ESTALE);
	cr_expect_eq(rfs_pg_unpublish(c, &it, &err), -EINVAL);
	cr_expect(attached("orders_2013_02"));
	STEP(rfs_pg_abort(c, &it, &err));
	STEP(rfs_pg_abort(c, &it, &err));
	s = PSQL("SELECT to_regclass('recyclebin.orders_2013_02') IS NULL, "
		 "(SELECT count(*) FROM recyclebin.rfs_manifest)");
	cr_expect_str_eq(s, "t|0");
	free(s);
	s = rfs_test_pg_content("public.orders_2013_02");
	cr_expect_str_eq(s, after);
	free(s);
	rfs_pg_item_release(&it);

	/* written into the detached table before the drop: attached again */
	rfs_error_clear(&err);
	snapshot(c, "orders_2013_02", &it, &err);
	STEP(rfs_pg_sync(c, &it, &err));
	STEP(rfs_pg_verify(c, &it, &err));
	STEP(rfs_pg_unpublish(c, &it, &err));
	cr_expect_not(attached("orders_2013_02"));
	free(PSQL("UPDATE public.orders_2013_02 SET note = 'x' WHERE id = "
		  "(SELECT min(id) FROM public.orders_2013_02)"));
	free(after);
	after = rfs_test_pg_content("public.orders_2013_02");
	cr_expect_eq(rfs_pg_delete(c, &it, &err), -ESTALE);
	cr_expect(strstr(err.msg, "attached again"), "%s", err.msg);
	cr_expect(attached("orders_2013_02"));
	s = rfs_test_pg_content("public.orders_2013_02");
	cr_expect_str_eq(s, after);
	free(s);
	free(after);
	rfs_pg_item_release(&it);
	PQfinish(c);
}

Test(pg, refusals_before_anything_changes)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 };
	PGconn *c = conn();
	char *s;

	free(PSQL("CREATE TABLE public.items (order_id bigint, created date, "
		  "FOREIGN KEY (order_id, created) REFERENCES public.orders "
		  "(id, created)) ; CREATE TABLE public.plain (a int)"));
	s = PSQL("SELECT conname FROM pg_constraint WHERE conrelid = "
		 "'public.items'::regclass AND contype = 'f' AND "
		 "conparentid = 0");
	cr_expect_eq(rfs_pg_snapshot(c, "public", "orders_2013_03", NULL, NULL,
				     NULL, NULL, &it, &err),
		     -EINVAL);
	cr_expect(strstr(err.msg, s), "'%s' not in: %s", s, err.msg);
	cr_expect(strstr(err.msg, "public.items"), "%s", err.msg);
	free(s);
	rfs_error_clear(&err);
	cr_expect_eq(rfs_pg_snapshot(c, "public", "plain", "public.orders",
				     NULL, NULL, NULL, &it, &err),
		     -EINVAL);
	cr_expect_str_eq(err.msg, "public.plain is not a partition of "
				  "public.orders");
	rfs_error_clear(&err);
	cr_expect_eq(rfs_pg_snapshot(c, "public", "orders", NULL, NULL, NULL,
				     NULL, &it, &err),
		     -EINVAL);
	cr_expect(strstr(err.msg, "partitioned table"), "%s", err.msg);
	rfs_error_clear(&err);
	cr_expect_eq(rfs_pg_snapshot(c, "public", "nosuch", NULL, NULL, NULL,
				     NULL, &it, &err),
		     -ENOENT);
	s = PSQL("SELECT count(*) FROM pg_namespace WHERE nspname = "
		 "'recyclebin'");
	cr_expect_str_eq(s, "0");
	free(s);
	PQfinish(c);
}

Test(pg, restore_refuses_overlap_and_other_columns_before_rows_move)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 };
	struct rfs_pg_target_table other = { .schema = "public",
					     .name = "orders_jan_again" };
	PGconn *c = conn();
	char *s;

	snapshot(c, "orders_2013_04", &it, &err);
	archive(c, &it);
	/* a new partition now holds April */
	free(PSQL("CREATE TABLE public.april PARTITION OF public.orders FOR "
		  "VALUES FROM ('2013-04-10') TO ('2013-04-20')"));
	cr_expect_eq(rfs_pg_restore_check(c, &it, &other, &err), -EEXIST);
	cr_expect_str_eq(err.msg,
			 "restore refused: bound FOR VALUES FROM "
			 "('2013-04-01') TO ('2013-05-01') of public.orders: "
			 "would overlap partition \"april\"");
	s = PSQL("SELECT to_regclass('public.orders_jan_again') IS NULL");
	cr_expect_str_eq(s, "t");
	free(s);
	free(PSQL("DROP TABLE public.april"));
	/* a parent whose columns changed */
	free(PSQL("ALTER TABLE public.orders ADD COLUMN region text"));
	rfs_error_clear(&err);
	cr_expect_eq(rfs_pg_restore_check(c, &it, &other, &err), -EINVAL);
	cr_expect(strstr(err.msg, "\"region\""), "%s", err.msg);
	s = PSQL("SELECT to_regclass('public.orders_jan_again') IS NULL");
	cr_expect_str_eq(s, "t");
	free(s);
	/* purge of an archive not finished is refused */
	rfs_pg_item_release(&it);
	PQfinish(c);
}

Test(pg, default_partition_uses_plain_detach)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 };
	PGconn *c = conn();
	char *before, *s;

	free(PSQL("CREATE TABLE public.orders_other PARTITION OF "
		  "public.orders DEFAULT"));
	before = rfs_test_pg_content("public.orders_2013_05");
	snapshot(c, "orders_2013_05", &it, &err);
	archive(c, &it);
	cr_expect_not(attached("orders_2013_05"));
	s = rfs_test_pg_content("recyclebin.orders_2013_05");
	cr_expect_str_eq(s, before);
	free(s);
	free(before);
	rfs_pg_item_release(&it);
	PQfinish(c);
}

/* A step run in a thread while the test interrupts it. */
struct bg {
	PGconn *c;
	struct rfs_pg_item *it;
	int (*fn)(PGconn *, struct rfs_pg_item *, struct rfs_error *);
	int r;
	struct rfs_error err;
};

static void *bg_run(void *p)
{
	struct bg *b = p;

	b->r = b->fn(b->c, b->it, &b->err);
	return NULL;
}

/* The sync sync_cut() cuts: rfs_pg_sync(), or the streamed one. */
static int (*cut_sync)(PGconn *, struct rfs_pg_item *,
		       struct rfs_error *) = rfs_pg_sync;

/* Sync blocked after its copy (on the manifest insert), then cut: by a
 * terminated backend, or a restarted server. A rerun completes it. */
static void sync_cut(bool restart)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 }, other = { 0 };
	PGconn *c = conn(), *hold = conn();
	struct bg b = { .c = c, .it = &it, .fn = cut_sync };
	pthread_t t;
	char *before = rfs_test_pg_content("public.orders_2013_06"), *s;

	/* the manifest table exists: another partition archived */
	snapshot(c, "orders_2013_07", &other, &err);
	archive(c, &other);
	snapshot(c, "orders_2013_06", &it, &err);
	PQclear(PQexec(hold, "BEGIN; LOCK TABLE recyclebin.rfs_manifest IN "
			     "SHARE MODE"));
	pthread_create(&t, NULL, bg_run, &b);
	int pid = rfs_test_pg_blocked(
		hold, "INSERT INTO \"recyclebin\".\"rfs_manifest\"%", 15);
	if (restart) {
		cr_assert_eq(rfs_test_pg_sh(NULL, "pg_restart"), 0);
	} else {
		s = PSQL("SELECT pg_terminate_backend(%d)", pid);
		free(s);
	}
	pthread_join(t, NULL);
	/* A terminated backend fails the sync. A restart stops the holder
	 * and the sync's backend in an order of the server's: the sync may
	 * commit first, whole. Either way nothing is half done. */
	if (!restart)
		cr_expect_eq(b.r, -EIO, "%d %s", b.r, b.err.msg);
	PQfinish(hold);
	PQfinish(c);
	if (b.r < 0) { /* no copy at all */
		s = PSQL("SELECT to_regclass('recyclebin.orders_2013_06') "
			 "IS NULL");
		cr_expect_str_eq(s, "t");
	} else { /* the whole copy */
		cr_expect_eq(b.r, 0, "%d %s", b.r, b.err.msg);
		s = rfs_test_pg_content("recyclebin.orders_2013_06");
		cr_expect_str_eq(s, before);
	}
	free(s);
	/* the partition attached and intact */
	cr_expect(attached("orders_2013_06"));
	s = rfs_test_pg_content("public.orders_2013_06");
	cr_expect_str_eq(s, before);
	free(s);
	/* the rerun completes */
	c = conn();
	archive(c, &it);
	s = rfs_test_pg_content("recyclebin.orders_2013_06");
	cr_expect_str_eq(s, before);
	free(s);
	cr_expect_not(attached("orders_2013_06"));
	free(before);
	rfs_pg_item_release(&it);
	rfs_pg_item_release(&other);
	PQfinish(c);
}

Test(pg, connection_dropped_mid_copy_then_rerun)
{
	sync_cut(false);
}

/* The streamed sync (rfs_pg_sync3()) on two more connections. */
static PGconn *s3_c2, *s3_rd;

static int sync3(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	return rfs_pg_sync3(c, s3_c2, s3_rd, it, err);
}

Test(pg, streamed_sync_cut_after_its_copy_leaves_nothing_then_rerun)
{
	s3_c2 = conn();
	s3_rd = conn();
	cut_sync = sync3;
	sync_cut(false);
	PQfinish(s3_c2);
	PQfinish(s3_rd);
}

/* The indexes, index constraints and their comments of @p qname, its own
 * name written T (names LIKE derives from the table's compare equal). */
static char *index_sig(const char *qname)
{
	return PSQL(
		"SELECT string_agg(x, ' | ' ORDER BY x) FROM (SELECT "
		"replace(regexp_replace(pg_get_indexdef(i.indexrelid), ' ON "
		"\\S+ USING ', ' ON T USING '), c.relname, 'T') || ' ' || "
		"coalesce(obj_description(i.indexrelid, 'pg_class'), '') AS x "
		"FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE "
		"i.indrelid = '%s'::regclass UNION ALL SELECT replace("
		"k.conname, c.relname, 'T') || ' ' || pg_get_constraintdef("
		"k.oid) || ' ' || coalesce(obj_description(k.oid, "
		"'pg_constraint'), '') FROM pg_constraint k JOIN pg_class c ON "
		"c.oid = k.conrelid WHERE k.conrelid = '%s'::regclass) s",
		qname, qname);
}

Test(pg, streamed_sync_copies_at_its_snapshot_with_the_indexes_like_gives)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 }, snap = { 0 };
	PGconn *c = conn(), *c2 = conn(), *rd = conn();
	char *before, *s, *want, line[256];

	free(PSQL("ALTER TABLE public.orders_2013_08 ADD CONSTRAINT "
		  "o8_unique UNIQUE (id, created, amount); COMMENT ON "
		  "CONSTRAINT o8_unique ON public.orders_2013_08 IS "
		  "'u ''8'''; CREATE INDEX o8_partial ON "
		  "public.orders_2013_08 (amount) WHERE amount > 10; COMMENT "
		  "ON INDEX public.o8_partial IS 'partial'; CREATE TABLE "
		  "public.o8like (LIKE public.orders_2013_08 INCLUDING ALL)"));
	before = rfs_test_pg_content("public.orders_2013_08");
	want = index_sig("public.o8like");
	cr_assert(strstr(want, "PRIMARY KEY") && strstr(want, "partial"), "%s",
		  want);
	/* the job's item: no hash yet, taken by the sync at its snapshot */
	STEP(rfs_pg_precheck(c, "public", "orders_2013_08", "public.orders",
			     "recyclebin", "o8copy", "sales.orders/bronze/x",
			     &it, &err));
	cr_assert_str_eq(it.hash, "");
	for (int i = 0; i < 2; i++)
		STEP(rfs_pg_sync3(c, c2, rd, &it, &err));
	s = rfs_test_pg_content("recyclebin.o8copy");
	cr_expect_str_eq(s, before);
	free(s);
	s = index_sig("recyclebin.o8copy");
	cr_expect_str_eq(s, want);
	free(s);
	/* the hash taken at the sync's snapshot is the source's */
	snapshot(c, "orders_2013_08", &snap, &err);
	cr_expect_eq(it.rows, snap.rows);
	cr_expect_str_eq(it.hash, snap.hash);
	s = PSQL("SELECT rows || ' ' || hash || ' ' || state FROM "
		 "recyclebin.rfs_manifest WHERE bin_name = 'o8copy'");
	/* the rows committed first, the indexes built while the copy was
	 * hashed and the source checked: the sync ends verified */
	snprintf(line, sizeof(line), "%lld %s verified", (long long)snap.rows,
		 snap.hash);
	cr_expect_str_eq(s, line);
	free(s);
	STEP(rfs_pg_verify2(c, c2, &it, &err));
	/* every connection idle again */
	cr_expect_eq(PQtransactionStatus(c), PQTRANS_IDLE);
	cr_expect_eq(PQtransactionStatus(c2), PQTRANS_IDLE);
	cr_expect_eq(PQtransactionStatus(rd), PQTRANS_IDLE);
	free(before);
	free(want);
	rfs_pg_item_release(&it);
	rfs_pg_item_release(&snap);
	PQfinish(c);
	PQfinish(c2);
	PQfinish(rd);
}

/* The streamed sync commits its rows ("loaded") before it builds the
 * indexes ("copied"). Cut between the two (RECYCLEFS_TEST_PG_SYNC_CUT, as
 * a kill there), the copy without its indexes is no archive: verify and
 * unpublish refuse it, the partition stays attached and whole. The rerun
 * of the sync, with the item the manifest gives (as a resumed job has),
 * drops that copy and makes it again, indexes and all; a row written
 * into the source meanwhile is not lost: the manifest keeps the first
 * snapshot's hash, so the copy of the rerun is not verified against it
 * and the partition stays. */
static void sync_cut_between(const char *name, bool write)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 }, again = { 0 };
	PGconn *c = conn(), *c2 = conn(), *rd = conn();
	char qname[64], copy[64], *before, *want, *s;
	int r;

	snprintf(qname, sizeof(qname), "public.%s", name);
	snprintf(copy, sizeof(copy), "recyclebin.%s", name);
	free(PSQL("CREATE TABLE public.olike (LIKE %s INCLUDING ALL)", qname));
	want = index_sig("public.olike");
	cr_assert(strstr(want, "PRIMARY KEY"), "%s", want);
	before = rfs_test_pg_content(qname);
	STEP(rfs_pg_precheck(c, "public", name, "public.orders", "recyclebin",
			     name, "sales.orders/bronze/x", &it, &err));
	setenv("RECYCLEFS_TEST_PG_SYNC_CUT", "1", 1);
	r = rfs_pg_sync3(c, c2, rd, &it, &err);
	unsetenv("RECYCLEFS_TEST_PG_SYNC_CUT");
	cr_assert_eq(r, -EIO, "%d %s", r, err.msg);
	s = PSQL("SELECT state FROM recyclebin.rfs_manifest WHERE bin_name = "
		 "'%s'",
		 name);
	cr_expect_str_eq(s, "loaded");
	free(s);
	s = index_sig(copy);
	cr_expect(!strstr(s, "PRIMARY KEY") && !strstr(s, "INDEX"),
		  "the copy has no index yet: %s", s);
	free(s);
	rfs_pg_item_release(&it);
	cr_assert_eq(rfs_pg_item_load(c, "recyclebin", name, &it, &err), 0,
		     "%s", err.msg);
	cr_expect_eq(rfs_pg_verify2(c, c2, &it, &err), -EINVAL);
	cr_expect(strstr(err.msg, "not copied yet"), "%s", err.msg);
	cr_expect_eq(rfs_pg_unpublish(c, &it, &err), -EINVAL);
	cr_expect(attached(name));
	s = rfs_test_pg_content(qname);
	cr_expect_str_eq(s, before);
	free(s);
	if (write) {
		free(PSQL("INSERT INTO public.orders (id, created, customer, "
			  "amount) SELECT max(id) + 1, min(created), 1, 1 FROM "
			  "%s",
			  qname));
		free(before);
		before = rfs_test_pg_content(qname);
	}
	/* the rerun, as a resumed job runs it: the item from the manifest */
	cr_assert_eq(rfs_pg_item_load(c, "recyclebin", name, &again, &err), 0,
		     "%s", err.msg);
	STEP(rfs_pg_sync3(c, c2, rd, &again, &err));
	s = rfs_test_pg_content(copy);
	cr_expect_str_eq(s, before);
	free(s);
	s = index_sig(copy);
	cr_expect_str_eq(s, want);
	free(s);
	s = PSQL("SELECT state FROM recyclebin.rfs_manifest WHERE bin_name = "
		 "'%s'",
		 name);
	cr_expect_str_eq(s, write ? "copied" : "verified");
	free(s);
	r = rfs_pg_verify2(c, c2, &again, &err);
	if (write) {
		cr_expect_eq(r, -ESTALE, "%d %s", r, err.msg);
		cr_expect_eq(rfs_pg_unpublish(c, &again, &err), -EINVAL);
		cr_expect(attached(name));
		s = rfs_test_pg_content(qname);
		cr_expect_str_eq(s, before);
		free(s);
	} else {
		cr_expect_eq(r, 0, "%d %s", r, err.msg);
	}
	cr_expect_eq(PQtransactionStatus(c), PQTRANS_IDLE);
	cr_expect_eq(PQtransactionStatus(c2), PQTRANS_IDLE);
	cr_expect_eq(PQtransactionStatus(rd), PQTRANS_IDLE);
	free(before);
	free(want);
	rfs_pg_item_release(&it);
	rfs_pg_item_release(&again);
	PQfinish(c);
	PQfinish(c2);
	PQfinish(rd);
}

Test(pg, streamed_sync_cut_between_its_rows_and_indexes_is_made_again)
{
	sync_cut_between("orders_2013_09", false);
}

Test(pg, row_written_after_a_cut_sync_is_not_lost_by_its_rerun)
{
	sync_cut_between("orders_2013_10", true);
}

Test(pg, server_restarted_mid_copy_then_rerun)
{
	/* a cluster of its own: the restart would cut the other tests */
	rfs_test_pg_private();
	sync_cut(true);
}

/* The steps of one archive through the port, a server restart between
 * two of them: the connections the storage kept from the first step are
 * dead, found so by their probe and made anew; the archive completes. */
Test(pg, kept_connections_dropped_by_a_restart_are_made_anew)
{
	static const enum rfs_rel_step steps[] = {
		RFS_REL_SNAPSHOT,  RFS_REL_SYNC,   RFS_REL_VERIFY,
		RFS_REL_UNPUBLISH, RFS_REL_DELETE, RFS_REL_FINISH
	};
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;
	char *bin = NULL, *before, *s;

	/* a cluster of its own: the restarts would cut the other tests */
	rfs_test_pg_private();
	before = rfs_test_pg_content("public.orders_2013_09");
	cr_assert_eq(
		rfs_backend_open(rfs_test_pg_uri("public.orders"), &b, &err), 0,
		"%s", err.msg);
	cr_assert_eq(rfs_backend_rel_bin_uri(b, &bin), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct rfs_rel_item it = { .key = "orders_2013_09",
					   .bin_uri = bin,
					   .id = "0123456789abcdef",
					   .origin = "sales.orders/bronze/x/"
						     "orders_2013_09" };

		if (i == 2 || i == 4) /* kept ones from the step before */
			cr_assert_eq(rfs_test_pg_sh(NULL, "pg_restart"), 0);
		cr_assert_eq(rfs_backend_rel_step(b, steps[i], &it, &err), 0,
			     "step %d: %s", (int)steps[i], err.msg);
		rfs_rel_item_release(&it);
	}
	s = rfs_test_pg_content("recyclebin.orders_2013_09_01234567");
	cr_expect_str_eq(s, before);
	free(s);
	cr_expect_not(attached("orders_2013_09"));
	rfs_backend_free(b);
	free(bin);
	free(before);
}

Test(pg, detach_cut_is_finalized_on_resume)
{
	struct rfs_error err = { 0 };
	struct rfs_pg_item it = { 0 };
	PGconn *c = conn(), *hold = conn();
	struct bg b = { .c = c, .it = &it, .fn = rfs_pg_unpublish };
	char *before = rfs_test_pg_content("public.orders_2013_08"), *s;
	pthread_t t;
	int pid;

	snapshot(c, "orders_2013_08", &it, &err);
	STEP(rfs_pg_sync(c, &it, &err));
	STEP(rfs_pg_verify(c, &it, &err));
	/* an old snapshot that DETACH CONCURRENTLY waits for */
	PQclear(PQexec(hold, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
	PQclear(PQexec(hold, "SELECT count(*) FROM public.orders"));
	pthread_create(&t, NULL, bg_run, &b);
	pid = rfs_test_pg_blocked(
		hold, "ALTER TABLE%DETACH PARTITION%CONCURRENTLY", 15);
	free(PSQL("SELECT pg_terminate_backend(%d)", pid));
	pthread_join(t, NULL);
	cr_expect_eq(b.r, -EIO, "%d %s", b.r, b.err.msg);
	PQfinish(hold);
	PQfinish(c);
	s = PSQL("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = "
		 "'public.orders_2013_08'::regclass");
	cr_expect_str_eq(s, "t");
	free(s);
	c = conn();
	STEP(rfs_pg_unpublish(c, &it, &err));
	cr_expect_not(attached("orders_2013_08"));
	STEP(rfs_pg_delete(c, &it, &err));
	STEP(rfs_pg_manifest(c, &it, &err));
	s = rfs_test_pg_content("recyclebin.orders_2013_08");
	cr_expect_str_eq(s, before);
	free(s);
	free(before);
	rfs_pg_item_release(&it);
	PQfinish(c);
}

Test(pg, credentials_never_in_uri_or_messages)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;
	char bad[256];

	setenv("PGPASSWORD", "wrong-secret-42", 1);
	cr_expect_eq(
		rfs_backend_open(rfs_test_pg_uri("public.orders"), &b, &err),
		-EACCES);
	cr_expect(strstr(err.msg, "password authentication failed"), "%s",
		  err.msg);
	cr_expect(strstr(err.msg, rfs_test_pg_uri("public.orders")), "%s",
		  err.msg);
	cr_expect_null(strstr(err.msg, "wrong-secret-42"));
	cr_expect_null(strchr(err.msg, '\n'));
	rfs_error_clear(&err);
	snprintf(bad, sizeof(bad), "%s?password=hunter2",
		 rfs_test_pg_uri("public"));
	cr_expect_eq(rfs_backend_open(bad, &b, &err), -EINVAL);
	cr_expect(strstr(err.msg, "password may not be part of the URI"), "%s",
		  err.msg);
	cr_expect_null(strstr(err.msg, "hunter2"));
	cr_expect_eq(rfs_backend_check_uri(bad, NULL), -EINVAL);
	cr_expect_null(b);
}

static char *read_all(struct rfs_backend *b, const char *key, size_t *len)
{
	struct rfs_file *f;
	struct stat st;
	char *buf;
	ssize_t n;

	cr_assert_eq(rfs_backend_stat(b, key, &st), 0, "%s", key);
	cr_assert_eq(rfs_backend_open_file(b, key, O_RDONLY, 0, &f), 0);
	buf = malloc(st.st_size + 1);
	n = rfs_file_read(f, buf, st.st_size + 1, 0);
	cr_assert_eq(n, st.st_size);
	buf[n] = '\0';
	rfs_file_close(f);
	*len = n;
	return buf;
}

static int collect(void *ctx, const char *name, const struct stat *st)
{
	(void)st;
	strcat(ctx, name);
	strcat(ctx, "|");
	return 0;
}

Test(pg, read_only_tree_of_a_partitioned_table)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b;
	char names[2048] = "", val[256], *csv, *want;
	size_t len;
	ssize_t n;
	FILE *p;
	struct rfs_file *f;

	cr_assert_eq(
		rfs_backend_open(rfs_test_pg_uri("public.orders"), &b, &err), 0,
		"%s", err.msg);
	cr_assert_eq(rfs_backend_list(b, "", collect, names), 0);
	cr_expect(!strncmp(names, "orders_2013_01|orders_2013_02|", 30), "%s",
		  names);
	cr_expect(strstr(names, "orders_2013_12|"), "%s", names);
	names[0] = '\0';
	cr_assert_eq(rfs_backend_list(b, "orders_2013_01", collect, names), 0);
	cr_expect_str_eq(names, "schema.sql|data.csv|");
	csv = read_all(b, "orders_2013_01/data.csv", &len);
	/* byte for byte what psql's COPY gives */
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
			 "'%s/psql' -X -h '%s' -p %s -U postgres -d %s -c "
			 "\"COPY (SELECT * FROM public.orders_2013_01 ORDER BY "
			 "id, created) TO STDOUT WITH (FORMAT csv, HEADER)\"",
			 getenv("RFS_TEST_PG_BIN"),
			 getenv("RFS_TEST_PG_SOCKDIR"),
			 getenv("RFS_TEST_PG_PORT"), rfs_test_pg_db);
		p = popen(cmd, "r");
		want = malloc(len + 2);
		n = fread(want, 1, len + 1, p);
		pclose(p);
	}
	cr_expect_eq((size_t)n, len);
	cr_expect_eq(memcmp(csv, want, len), 0);
	cr_expect(!strncmp(csv, "id,created,customer,amount,note\n", 32));
	free(want);
	free(csv);
	csv = read_all(b, "orders_2013_01/schema.sql", &len);
	cr_expect(strstr(csv, "CREATE TABLE public.orders_2013_01"), "%s", csv);
	free(csv);
	n = rfs_backend_getxattr(b, "orders_2013_01", "user.pg.bound", val,
				 sizeof(val));
	cr_assert_gt(n, 0);
	val[n] = '\0';
	cr_expect_str_eq(val,
			 "FOR VALUES FROM ('2013-01-01') TO ('2013-02-01')");
	n = rfs_backend_getxattr(b, "orders_2013_01", "user.pg.rows", val,
				 sizeof(val));
	val[n > 0 ? n : 0] = '\0';
	want = PSQL("SELECT count(*) FROM public.orders_2013_01");
	cr_expect_str_eq(val, want);
	free(want);
	cr_expect_eq(rfs_backend_open_file(b, "orders_2013_01/data.csv",
					   O_WRONLY, 0, &f),
		     -EROFS);
	cr_expect_eq(rfs_backend_unlink(b, "orders_2013_01/data.csv"), -EROFS);
	cr_expect_eq(rfs_backend_mkdir(b, "x", 0755), -EROFS);
	cr_expect_eq(rfs_backend_stat(b, "nosuch", &(struct stat){ 0 }),
		     -ENOENT);
	rfs_backend_free(b);
}

Test(pg, identifiers_needing_quotes)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b;
	char names[2048] = "", *csv;
	size_t len;

	free(PSQL("CREATE SCHEMA \"Mixed Case\"; CREATE TABLE \"Mixed "
		  "Case\".\"Ünïcode tbl/x\" (\"Col \"\"1\"\"\" int); INSERT "
		  "INTO \"Mixed Case\".\"Ünïcode tbl/x\" VALUES (7); CREATE "
		  "TABLE \"Mixed Case\".\"a.b%%\" (v text); CREATE TABLE "
		  "\"Mixed Case\".\"Upper\" (v text)"));
	cr_assert_eq(rfs_backend_open(rfs_test_pg_uri("%22Mixed%20Case%22"), &b,
				      &err),
		     0, "%s", err.msg);
	cr_assert_eq(rfs_backend_list(b, "", collect, names), 0);
	cr_expect_str_eq(names, "Upper|a.b%25|Ünïcode tbl%2Fx|");
	csv = read_all(b, "Ünïcode tbl%2Fx/data.csv", &len);
	cr_expect_str_eq(csv, "\"Col \"\"1\"\"\"\n7\n");
	free(csv);
	rfs_backend_free(b);
	/* one table by its quoted name */
	cr_assert_eq(rfs_backend_open(
			     rfs_test_pg_uri("%22Mixed%20Case%22.%22a.b%25%22"),
			     &b, &err),
		     0, "%s", err.msg);
	names[0] = '\0';
	cr_assert_eq(rfs_backend_list(b, "", collect, names), 0);
	cr_expect_str_eq(names, "a.b%25|");
	rfs_backend_free(b);
}

Test(pg, mount_shows_partitions_as_folders)
{
	struct rfs_test_mount m = { 0 };
	struct rfs_test_out out = { 0 };
	const char *e = "mnt/sales.orders/bronze/2013-01-01..now";
	char *want;

	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_cli(&m, &out, "table", "add", "sales.orders"), 0,
		     "%s", out.err);
	cr_assert_eq(rfs_test_cli(&m, &out, "lifecycle", "add", "sales.orders",
				  "bronze"),
		     0, "%s", out.err);
	cr_assert_eq(rfs_test_cli(&m, &out, "storage", "add", "pg",
				  rfs_test_pg_uri("")),
		     0, "%s", out.err);
	cr_assert_eq(rfs_test_cli(&m, &out, "epoch", "add", "sales.orders",
				  "bronze", "--from", "2013-01-01", "--storage",
				  "pg", "--path", "public.orders"),
		     0, "%s", out.err);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_expect_eq(rfs_test_sh(&m, &out, "ls %s | head -3", e), 0, "%s",
		     out.err);
	cr_expect_str_eq(out.out,
			 "orders_2013_01\norders_2013_02\norders_2013_03\n");
	cr_expect_eq(rfs_test_sh(&m, &out, "ls %s/orders_2013_01", e), 0);
	cr_expect_str_eq(out.out, "data.csv\nschema.sql\n");
	/* ls -l shows the size cat reads */
	cr_expect_eq(
		rfs_test_sh(&m, &out,
			    "ls -l %s/orders_2013_03/ >/dev/null && "
			    "test $(stat -c %%s %s/orders_2013_03/data.csv) "
			    "-eq $(cat %s/orders_2013_03/data.csv | wc -c) "
			    "&& test -s %s/orders_2013_03/data.csv && "
			    "head -c 200 %s/orders_2013_03/data.csv | "
			    "grep -q '^id,created'",
			    e, e, e, e, e),
		0, "%s", out.err);
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "cat %s/orders_2013_03/data.csv | md5sum", e),
		     0);
	want = PSQL("SELECT 1");
	free(want);
	{
		struct rfs_test_out ref = { 0 };
		char line[1024];

		snprintf(line, sizeof(line),
			 "pg_psql -d %s -c \"COPY (SELECT * FROM "
			 "public.orders_2013_03 ORDER BY id, created) TO "
			 "STDOUT WITH (FORMAT csv, HEADER)\" | md5sum",
			 rfs_test_pg_db);
		cr_assert_eq(rfs_test_pg_sh(&ref, line), 0, "%s", ref.err);
		cr_expect_str_eq(out.out, ref.out);
		rfs_test_out_release(&ref);
	}
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "grep -c 'CREATE TABLE public.orders_2013_03' "
				 "%s/orders_2013_03/schema.sql",
				 e),
		     0);
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "getfattr -d --absolute-names "
				 "%s/orders_2013_03",
				 e),
		     0, "%s", out.err);
	cr_expect(strstr(out.out, "user.pg.bound=\"FOR VALUES FROM "
				  "('2013-03-01') TO ('2013-04-01')\""),
		  "%s", out.out);
	want = PSQL("SELECT count(*) FROM public.orders_2013_03");
	{
		char rows[64];

		snprintf(rows, sizeof(rows), "user.pg.rows=\"%s\"", want);
		cr_expect(strstr(out.out, rows), "%s", out.out);
	}
	free(want);
	cr_expect_neq(rfs_test_sh(&m, &out, "touch %s/orders_2013_03/x", e), 0);
	cr_expect(strstr(out.err, "Read-only file system"), "%s", out.err);
	cr_expect_neq(rfs_test_sh(&m, &out, "rm %s/orders_2013_03/data.csv", e),
		      0);
	cr_expect(strstr(out.err, "Read-only file system"), "%s", out.err);
	/* mv into .recyclebin archives it: tests/integration/test_pg_kind.c */
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}
