/*
 * The catalog journal (docs/catalog-journal.md): every change is kept in
 * each storage's recycle area, and one 'recyclefs reindex --from URI'
 * rebuilds a lost index so that every command answers as before. Run as
 * a program on file storage, checked against the bytes underneath and
 * the JSON of every listing command; and on S3, on a private moto_server
 * and on the Ceph RGW that scripts/servers.sh starts (the RGW case needs
 * RFS_TEST_S3_ENDPOINT and fails saying so without it, as test_s3.c).
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/fixture.h"
#include "tests/support/kill_sweep.h"
#include "tests/support/s3.h"

static struct rfs_test_mount m;
static struct rfs_test_out out;

#define EP	"sales.orders/bronze/2001-01-01..2010-01-01"
#define SRC	"data/orders/b1"
#define JOURNAL "data/.recyclebin/.recyclefs/catalog"

#define RUN(...)    rfs_test_cli(&m, &out, __VA_ARGS__)
#define sh(...)	    rfs_test_sh_ok(&m, __VA_ARGS__)
#define ok(r, what) rfs_test_ok(&out, (r), (what))
#define has	    rfs_test_has
/* A recyclefs command line run in the test's directory. */
#define RUN_HERE(...)                                                          \
	(rfs_test_out_release(&out), rfs_test_sh(&m, &out, __VA_ARGS__))

/* "file://DIR/@p sub" for the test's directory (caller frees). */
static char *uri_of(const char *sub)
{
	char *u;

	cr_assert_geq(asprintf(&u, "file://%s/%s", m.dir, sub), 0);
	return u;
}

/* The stdout of a recyclefs command that must succeed (caller frees). */
#define OUT(...)                                                               \
	({                                                                     \
		ok(RUN(__VA_ARGS__), #__VA_ARGS__);                            \
		strdup(out.out);                                               \
	})

/*
 * A catalog with two storages, two tables, classifications, two
 * lifecycles, an epoch closed, one re-pointed, a configuration key; two
 * partitions and a file archived, one partition restored, the file
 * purged.
 */
static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	free(sh("mkdir -p " SRC "/dt=2001-01-01 " SRC "/dt=2001-01-02 "
		"other && "
		"printf 'alpha\\n' > " SRC "/dt=2001-01-01/part-0.parquet && "
		"printf 'gamma gamma\\n' > " SRC
		"/dt=2001-01-02/part-0.parquet && "
		"printf 'old\\n' > " SRC "/notes.txt"));
	{
		char *other = uri_of("other");

		ok(RUN("storage", "add", "other", other), "storage add other");
		free(other);
	}
	ok(RUN("table", "add", "sales.orders", "-c", "pii", "-c", "finance"),
	   "table add");
	ok(RUN("table", "add", "sales.items"), "table add items");
	ok(RUN("table", "classify", "sales.items", "finance"), "classify");
	ok(RUN("lifecycle", "add", "sales.orders", "raw"), "lifecycle raw");
	rfs_test_add_bronze(&m);
	ok(RUN("epoch", "close", "sales.orders", "bronze", "--at",
	       "2013-01-01"),
	   "epoch close");
	ok(RUN("epoch", "add", "sales.orders", "bronze", "--from", "2013-01-01",
	       "--storage", "other", "--path", "b3", "--create"),
	   "epoch b3");
	ok(RUN("epoch", "repoint", "sales.orders", "bronze", "2013-01-01..now",
	       "--storage", "other", "--path", "b3"),
	   "repoint");
	ok(RUN("config", "set", "jobs.parallel_files", "3"), "config set");
	ok(RUN("archive", EP "/dt=2001-01-01"), "archive 1");
	ok(RUN("archive", EP "/dt=2001-01-02"), "archive 2");
	ok(RUN("archive", EP "/notes.txt"), "archive 3");
	ok(RUN("restore", EP "/dt=2001-01-01"), "restore");
	ok(RUN("purge", EP "/notes.txt"), "purge");
}

static void teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

TestSuite(catalog_journal, .init = setup, .fini = teardown, .timeout = 120);

/* What every listing command answers, one block per command. */
static char *answers(void)
{
	static const char *const cmds[][4] = {
		{ "ls", "--json" },
		{ "history", "--json" },
		{ "status", "--all", "--json" },
		{ "restore", "--status" },
		{ "restore", "--status", "--json" },
		{ "storage", "list", "--json" },
		{ "table", "list", "--json" },
		{ "config", "list" },
		{ "status", "--all" },
	};
	size_t i, len = 0;
	char *all = NULL;
	FILE *f = open_memstream(&all, &len);

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int r = cmds[i][2] ? RUN(cmds[i][0], cmds[i][1], cmds[i][2])
				   : RUN(cmds[i][0], cmds[i][1]);

		ok(r, cmds[i][0]);
		fprintf(f, "== %s %s %s\n%s", cmds[i][0], cmds[i][1],
			cmds[i][2] ? cmds[i][2] : "", out.out);
	}
	fclose(f);
	return all;
}

/* Lose the index and start a new one. */
static void lose_index(void)
{
	free(sh("rm -f index.db index.db-wal index.db-shm"));
	ok(RUN("init"), "init");
}

/* Lose the index and rebuild it from @p uri alone: every answer is
 * @p before. */
static void rebuilds_same(const char *uri, const char *before)
{
	char *after, *said;

	lose_index();
	ok(RUN("reindex", "--from", uri), "reindex --from");
	/* it names the snapshot it read, on @p uri's scheme */
	cr_assert_geq(asprintf(&said, "catalog rebuilt from '%.*s",
			       (int)(strstr(uri, "://") - uri + 3), uri),
		      0);
	has(out.out, said);
	free(said);
	after = answers();
	cr_assert_str_eq(after, before);
	free(after);
}

static void rebuilt_from(const char *sub)
{
	char *before = answers(), *uri = uri_of(sub);

	rebuilds_same(uri, before);
	/* and the other partition goes back to its original place */
	ok(RUN("restore", EP "/dt=2001-01-02"), "restore after reindex");
	free(sh("test \"$(cat " SRC "/dt=2001-01-02/part-0.parquet)\" = "
		"'gamma gamma'"));
	free(before);
	free(uri);
}

Test(catalog_journal, one_storage_uri_rebuilds_every_answer)
{
	rebuilt_from("data");
}

Test(catalog_journal, the_other_storage_rebuilds_it_too)
{
	rebuilt_from("other");
}

Test(catalog_journal, a_recycle_uri_rebuilds_it_too)
{
	rebuilt_from("data/.recyclebin");
}

Test(catalog_journal, a_second_reindex_changes_nothing)
{
	char *uri = uri_of("data"), *once, *twice;

	lose_index();
	ok(RUN("reindex", "--from", uri), "reindex --from");
	once = answers();
	ok(RUN("reindex", "--from", uri), "reindex --from again");
	has(out.out, "kept it");
	has(out.out, "0 entries added, 2 already indexed");
	twice = answers();
	cr_assert_str_eq(twice, once);
	free(uri);
	free(once);
	free(twice);
}

Test(catalog_journal, a_uri_without_catalog_is_refused_and_nothing_written)
{
	char *uri = uri_of("empty");
	char *before;

	free(sh("mkdir -p empty"));
	lose_index();
	before = answers();
	cr_assert_eq(RUN("reindex", "--from", uri), 1);
	has(out.err, "no recyclefs catalog at");
	{
		char *after = answers();

		cr_assert_str_eq(after, before);
		free(after);
	}
	free(sh("test -z \"$(ls -A empty)\""));
	cr_assert_eq(RUN("reindex", "--from", "file:///nonexistent/x"), 1);
	has(out.err, "no recyclefs catalog at");
	free(uri);
	free(before);
}

Test(catalog_journal, a_torn_last_snapshot_gives_the_one_before)
{
	char *uri = uri_of("data"), *newest;

	/* the last change: unset the key; its snapshot is then torn */
	ok(RUN("config", "unset", "jobs.parallel_files"), "config unset");
	newest = sh("ls " JOURNAL " | sort | tail -1 | tr -d '\\n'");
	free(sh("cd " JOURNAL " && head -c 100 %s > t && mv t %s && "
		"cd ../../../../other/.recyclebin/.recyclefs/catalog && "
		"head -c 100 %s > t && mv t %s",
		newest, newest, newest, newest));
	lose_index();
	ok(RUN("reindex", "--from", uri), "reindex --from");
	has(out.err, newest);
	has(out.err, "skipped: torn or not JSON");
	ok(RUN("config", "get", "jobs.parallel_files"), "config get");
	has(out.out, "3");
	/* its checksum caught a changed byte as well */
	free(sh("f=$(ls " JOURNAL " | sort | tail -2 | head -1) && "
		"sed -i 's/\"finance\"/\"fINance\"/' " JOURNAL "/$f"));
	lose_index();
	ok(RUN("reindex", "--from", uri), "reindex --from");
	has(out.err, "checksum does not match");
	free(uri);
	free(newest);
}

Test(catalog_journal, a_newer_format_is_refused)
{
	char *uri = uri_of("data");

	free(sh("printf '{\"kind\":\"recyclefs.catalog\",\"format\":99}\\n' > " JOURNAL
		"/99999999999999999999-0-0.json"));
	lose_index();
	cr_assert_eq(RUN("reindex", "--from", uri), 1);
	has(out.err, "newer recyclefs (format 99");
	ok(RUN("storage", "list", "--json"), "storage list");
	has(out.out, "\"storages\": []");
	free(uri);
}

Test(catalog_journal, a_snapshot_with_credentials_in_a_uri_is_refused)
{
	char *uri = uri_of("data");

	/* a forged snapshot whose storage URI carries user:secret@ */
	free(sh("cd " JOURNAL " && f=$(ls | sort | tail -1) && "
		"python3 -c 'import json,hashlib,sys\n"
		"d=json.load(open(sys.argv[1]))\n"
		"d[\"catalog\"][\"storages\"][1][\"uri\"]=\"s3://AKIA:hunter2@lake/x\"\n"
		"c=json.dumps(d[\"catalog\"],sort_keys=True,separators=(\",\",\":\"),ensure_ascii=False)\n"
		"d[\"sha256\"]=hashlib.sha256(c.encode()).hexdigest()\n"
		"open(\"99999999999999999999-0-0.json\",\"w\").write(json.dumps(d))' $f"));
	lose_index();
	cr_assert_eq(RUN("reindex", "--from", uri), 1);
	has(out.err, "must not hold credentials");
	cr_assert_null(strstr(out.err, "hunter2"), "%s", out.err);
	ok(RUN("storage", "list", "--json"), "storage list");
	has(out.out, "\"storages\": []");
	free(uri);
}

Test(catalog_journal, every_storage_keeps_the_newest_snapshots_only)
{
	char *n = sh("ls " JOURNAL " | wc -l");

	cr_assert_eq(atoi(n), 8, "%s", n);
	free(n);
	n = sh("ls -A " JOURNAL " | grep -c tmp || true");
	cr_assert_eq(atoi(n), 0, "%s", n);
	free(n);
}

/* ------------------------------------------------------------- on S3 */

static struct rfs_test_server moto;
static const char *s3ep; /* moto's or RGW's endpoint */
static char *bucket, *s3uri;

#define S3EP "sales.orders/bronze/2013-01-01..now"

static void aws_put(const char *body, const char *key)
{
	char *dst, *src = NULL;

	cr_assert_geq(asprintf(&dst, "s3://%s/%s", bucket, key), 0);
	free(sh("printf '%s' > put.tmp", body));
	cr_assert_geq(asprintf(&src, "%s/put.tmp", m.dir), 0);
	ok(rfs_test_aws(&out, s3ep, "s3", "cp", src, dst, NULL), "aws s3 cp");
	free(src);
	free(dst);
}

/* sales.orders/bronze on a bucket of @p ep: two partitions archived, one
 * restored, one purged, one left in the bin. */
static void s3_setup_on(const char *ep)
{
	s3ep = ep;
	bucket = rfs_test_s3_bucket_new(s3ep);
	s3uri = rfs_test_s3_uri(s3ep, bucket, "orders", NULL);
	aws_put("alpha", "orders/bronze/dt=1/part-0.parquet");
	aws_put("beta", "orders/bronze/dt=2/part-0.parquet");
	aws_put("gamma", "orders/bronze/dt=3/part-0.parquet");
	ok(RUN("storage", "add", "s3o", s3uri), "storage add");
	ok(RUN("table", "add", "sales.orders", "-c", "pii"), "table add");
	ok(RUN("lifecycle", "add", "sales.orders", "bronze"), "lifecycle");
	ok(RUN("epoch", "add", "sales.orders", "bronze", "--from", "2001-01-01",
	       "--to", "2013-01-01", "--storage", "local", "--path", "b1",
	       "--create"),
	   "epoch b1");
	ok(RUN("epoch", "add", "sales.orders", "bronze", "--from", "2013-01-01",
	       "--storage", "s3o", "--path", "bronze"),
	   "epoch s3");
	ok(RUN("archive", S3EP "/dt=1"), "archive 1");
	ok(RUN("archive", S3EP "/dt=2"), "archive 2");
	ok(RUN("archive", S3EP "/dt=3"), "archive 3");
	ok(RUN("restore", S3EP "/dt=1"), "restore");
	ok(RUN("purge", S3EP "/dt=3"), "purge");
}

static void s3_env(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	setenv("AWS_ACCESS_KEY_ID", "TESTAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "TESTSECRET", 1);
}

/* On a private moto_server. */
static void s3_setup(void)
{
	s3_env();
	rfs_test_moto_start(&moto);
	s3_setup_on(moto.endpoint);
}

static void s3_teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
	rfs_test_server_stop(&moto);
	free(bucket);
	free(s3uri);
}

/* On the Ceph RGW that scripts/servers.sh starts (RFS_TEST_S3_ENDPOINT). */
static void rgw_setup(void)
{
	s3_env();
	s3_setup_on(rfs_test_s3_endpoint());
}

static void rgw_teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
	if (bucket)
		rfs_test_s3_bucket_drop(s3ep, bucket);
	free(bucket);
	free(s3uri);
	bucket = s3uri = NULL;
}

TestSuite(catalog_journal_s3, .init = s3_setup, .fini = s3_teardown,
	  .timeout = 300);
TestSuite(catalog_journal_rgw, .init = rgw_setup, .fini = rgw_teardown,
	  .timeout = 300);

/* The snapshots are objects beside the manifests; the S3 storage URI
 * alone rebuilds every answer, and a restore works after it. */
static void s3_uri_rebuilds_every_answer(void)
{
	char *before = answers();

	/* the snapshots are objects beside the manifests */
	ok(rfs_test_aws(&out, s3ep, "s3", "ls", "--recursive", bucket, NULL),
	   "aws s3 ls");
	has(out.out, "orders/.recyclebin/.recyclefs/catalog/");
	rebuilds_same(s3uri, before);
	ok(RUN("restore", S3EP "/dt=2"), "restore after reindex");
	{
		char *src =
			sh("printf s3://%s/orders/bronze/dt=2/part-0.parquet",
			   bucket);

		ok(rfs_test_aws(&out, s3ep, "s3", "cp", src, "-", NULL),
		   "aws s3 cp back");
		free(src);
	}
	cr_assert_str_eq(out.out, "beta");
	free(before);
}

Test(catalog_journal_s3, the_s3_storage_uri_rebuilds_every_answer)
{
	s3_uri_rebuilds_every_answer();
}

Test(catalog_journal_rgw, the_rgw_storage_uri_rebuilds_every_answer)
{
	s3_uri_rebuilds_every_answer();
}

/* ls, history, config and status of an index rebuilt from storage @p sub alone
 * (caller frees); the index is put back afterwards. */
static char *rebuilt_answers(const char *sub)
{
	char *uri = uri_of(sub), *a;

	free(sh("mv index.db kept.db && rm -f index.db-wal index.db-shm"));
	ok(RUN("init"), "init");
	ok(RUN("reindex", "--from", uri), "reindex --from");
	/* The new catalog's last change was made at another time in each
	 * run: times are masked (the other tests compare them). */
	a = sh("{ recyclefs ls --json && recyclefs history --json && "
	       "recyclefs config list && recyclefs status --all --json; } | "
	       "sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/TIME/g'");
	free(sh("rm -f index.db index.db-wal index.db-shm && "
		"mv kept.db index.db"));
	free(uri);
	return a;
}

/* The catalogs rebuilt from each storage before and after a change. */
struct old_or_new {
	char *old[2], *new[2];
};

static void reset_pre(void *ctx, const char *when)
{
	(void)ctx;
	(void)when;
	free(sh("rm -rf index.db* data other && tar xf pre.tar"));
}

/* The catalog rebuilt from either storage is the old or the new one. */
static void old_or_new(void *ctx, const char *when)
{
	struct old_or_new *c = ctx;

	for (int i = 0; i < 2; i++) {
		char *a = rebuilt_answers(i ? "other" : "data");

		if (strcmp(a, c->old[i]) && strcmp(a, c->new[i])) {
			FILE *f = fopen(rfs_test_data(&m, "../a.txt"), "w");

			fputs(a, f);
			fclose(f);
			f = fopen(rfs_test_data(&m, "../old.txt"), "w");
			fputs(c->old[i], f);
			fclose(f);
			cr_assert_fail("%s, rebuilt from %s: neither the old "
				       "nor the new catalog:\n%s",
				       when, i ? "other" : "data",
				       sh("diff old.txt a.txt || true"));
		}
		free(a);
	}
}

/* Kill 'recyclefs @p args' at each backend call in turn (the journal's
 * writes into both storages); after each kill, the catalog rebuilt from
 * either storage is the one before the change or the one after it. */
static void kill_sweep(const char *args)
{
	struct old_or_new c;
	char command[512];
	const struct rfs_test_kill_sweep s = {
		.m = &m,
		.what = args,
		.command = command,
		.reset = reset_pre,
		.killed = old_or_new,
		.done = old_or_new,
		.ctx = &c,
		.max_calls = 500,
		.min_points = 3,
	};

	snprintf(command, sizeof(command), "recyclefs %s", args);
	free(sh("tar cf pre.tar index.db data other"));
	c.old[0] = rebuilt_answers("data");
	c.old[1] = rebuilt_answers("other");
	free(sh("recyclefs %s", args));
	c.new[0] = rebuilt_answers("data");
	c.new[1] = rebuilt_answers("other");
	cr_assert_str_neq(c.old[0], c.new[0]);
	rfs_test_kill_sweep_run(&s);
	for (int i = 0; i < 2; i++) {
		free(c.old[i]);
		free(c.new[i]);
	}
}

Test(catalog_journal, killed_at_every_call_of_epoch_close_old_or_new,
     .timeout = 600)
{
	kill_sweep("epoch close sales.orders bronze --at 2020-01-01");
}

Test(catalog_journal, killed_at_every_call_of_config_set_old_or_new,
     .timeout = 600)
{
	kill_sweep("config set jobs.parallel_files 5");
}

/* ------------------------------------------------------------ removes */

/* A refused command line: exit 1, one line with @p why on stderr, every
 * answer unchanged. */
static void refused(const char *why, const char *args)
{
	struct rfs_test_out o = { 0 };
	char *before = answers(), *after;
	int r = rfs_test_sh(&m, &o, "recyclefs %s", args);

	cr_assert_eq(r, 1, "%s: status %d", args, r);
	has(o.err, why);
	cr_assert_null(strchr(o.err, '\n')
			       ? strchr(strchr(o.err, '\n') + 1, '\n')
			       : NULL,
		       "more than one line: %s", o.err);
	after = answers();
	cr_assert_str_eq(after, before);
	rfs_test_out_release(&o);
	free(before);
	free(after);
}

Test(catalog_journal, removes_are_refused_while_anything_depends_on_them,
     .timeout = 600)
{
	refused("2 bin entries or running restores depend on it",
		"epoch remove sales.orders bronze "
		"2001-01-01..2010-01-01");
	ok(RUN("epoch", "remove", "sales.orders", "bronze",
	       "2010-01-01..2013-01-01"),
	   "remove empty epoch");
	free(sh("printf x > other/b3/part.parquet"));
	refused("still holds data at",
		"epoch remove sales.orders bronze 2013-01-01..now");
	refused("('part.parquet', ...)",
		"epoch remove sales.orders bronze 2013-01-01..now");
	refused("it has 2 epochs; remove them first",
		"lifecycle remove sales.orders bronze");
	refused("it has 2 lifecycles; remove them first",
		"table remove sales.orders");
	refused("1 epoch uses it; remove or re-point them first",
		"storage remove other");
	refused("no table 'nope'", "table remove nope");
	refused("has no epoch '2099-01-01..now'",
		"epoch remove sales.orders bronze 2099-01-01..now");
	free(sh("rm other/b3/part.parquet"));
	ok(RUN("epoch", "remove", "sales.orders", "bronze", "2013-01-01..now"),
	   "remove b3");
	ok(RUN("storage", "remove", "other"), "remove other");
	ok(RUN("lifecycle", "remove", "sales.orders", "raw"), "remove raw");
	ok(RUN("table", "remove", "sales.items"), "remove items");
	/* the bin entries of the first epoch: purge them, then its restored
	 * partition still holds data there */
	ok(RUN("purge", EP "/dt=2001-01-01"), "purge 1");
	ok(RUN("purge", EP "/dt=2001-01-02"), "purge 2");
	refused("still holds data at",
		"epoch remove sales.orders bronze 2001-01-01..2010-01-01");
	free(sh("rm -r " SRC "/dt=2001-01-01"));
	ok(RUN("epoch", "remove", "sales.orders", "bronze",
	       "2001-01-01..2010-01-01"),
	   "remove b1");
	ok(RUN("lifecycle", "remove", "sales.orders", "bronze"), "remove lc");
	ok(RUN("table", "remove", "sales.orders"), "remove table");
	ok(RUN("ls", "--json"), "ls");
	has(out.out, "\"tables\": []");
	ok(RUN("history", "--json"), "history");
	has(out.out, "\"epoch.remove\"");
	has(out.out, "\"storage.remove\"");
	/* the journal has the removals: a rebuild from 'local' agrees */
	{
		char *before = answers(), *uri = uri_of("data");

		rebuilds_same(uri, before);
		free(before);
		free(uri);
	}
}

/* ------------------------------------------------- history of a table */

Test(catalog_journal, history_of_a_lifecycle_shows_its_epochs_over_time)
{
	json_t *doc, *h;
	json_error_t e;

	ok(RUN("history", "sales.orders", "bronze"), "history T L");
	has(out.out, "epoch.add      bronze     2001-01-01..2010-01-01  "
		     "on storage 'local' at 'orders/b1'");
	has(out.out, "epoch.close    bronze     2010-01-01..now         "
		     "now 2010-01-01..2013-01-01");
	has(out.out, "epoch.repoint");
	cr_assert_null(strstr(out.out, "raw"), "%s", out.out);
	cr_assert_null(strstr(out.out, "config"), "%s", out.out);
	ok(RUN("history", "sales.orders", "--json"), "history T --json");
	doc = json_loads(out.out, 0, &e);
	cr_assert_not_null(doc, "%s", e.text);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "table")),
			 "sales.orders");
	h = json_object_get(doc, "history");
	/* raw and bronze added, three epochs added, one closed, one
	 * re-pointed */
	cr_assert_eq(json_array_size(h), 7, "%s", out.out);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 5),
							   "action")),
			 "epoch.add");
	json_decref(doc);
	cr_assert_eq(RUN("history", "sales.orders", "gold"), 1);
	has(out.err, "no history of lifecycle 'sales.orders/gold'");
	cr_assert_eq(RUN("history", "a", "b", "c"), 2);
}

/* ------------------------------------------------------- catalog file */

/* Write @p py (python, with the exported document as d) to FILE. */
static void edit_export(const char *file, const char *py)
{
	free(sh("recyclefs catalog export > exported.json && python3 -c '"
		"import json\n"
		"d=json.load(open(\"exported.json\"))\n"
		"%s\n"
		"json.dump(d,open(\"%s\",\"w\"))'",
		py, file));
}

Test(catalog_journal, export_then_apply_on_a_new_index_gives_the_same_catalog)
{
	char *ls, *cfg;

	free(sh("recyclefs catalog export > cat.json"));
	ok(RUN("ls", "--json"), "ls");
	ls = strdup(out.out);
	ok(RUN("config", "list"), "config list");
	cfg = strdup(out.out);
	/* the same file on the same index: nothing to do */
	ok(RUN_HERE("recyclefs catalog apply cat.json"), "apply same");
	has(out.out, "nothing to change");
	free(sh("mv index.db kept.db && rm -f index.db-wal index.db-shm && "
		"recyclefs init"));
	ok(RUN_HERE("recyclefs catalog apply cat.json --dry-run"), "dry run");
	has(out.out, "add storage 'local'");
	has(out.out, "add epoch 'sales.orders/bronze/2013-01-01..now' on "
		     "storage 'other' path 'b3'");
	has(out.out, "(dry run: nothing changed)");
	ok(RUN("storage", "list", "--json"), "storage list");
	has(out.out, "\"storages\": []");
	ok(RUN_HERE("recyclefs catalog apply cat.json"), "apply");
	has(out.out, "changes made");
	ok(RUN("ls", "--json"), "ls");
	cr_assert_str_eq(out.out, ls);
	ok(RUN("config", "list"), "config list");
	cr_assert_str_eq(out.out, cfg);
	ok(RUN_HERE("recyclefs catalog apply cat.json"), "apply again");
	has(out.out, "nothing to change");
	free(ls);
	free(cfg);
}

/* An edit of the export (for edit_export()) that closes bronze's open
 * epoch, re-points the one before, adds one on 'other', changes the
 * classifications and removes lifecycle raw; the caller sets
 * d["tables"] from t. */
#define CHANGES_AND_REMOVES                                                    \
	"t=[x for x in d[\"tables\"] if x[\"name\"]==\"sales.orders\"][0]\n"   \
	"b=t[\"lifecycles\"][1][\"epochs\"]\n"                                 \
	"b[2][\"to\"]=\"2020-01-01\"\n"                                        \
	"b[1][\"path\"]=\"orders/b2new\"\n"                                    \
	"b.append(dict(zip((\"from\",\"to\",\"storage\",\"path\"),"            \
	"(\"2020-01-01\",\"now\",\"other\",\"b20\"))))\n"                      \
	"t[\"classifications\"]=[\"gdpr\",\"pii\"]\n"                          \
	"t[\"lifecycles\"].pop(0)\n"

Test(catalog_journal, apply_adds_changes_and_removes_in_one_plan)
{
	free(sh("mkdir -p other/b20 data/orders/b2new"));
	edit_export("new.json", CHANGES_AND_REMOVES
		    "d[\"tables\"]=[t]\n"
		    "d[\"config\"]={\"jobs.workers\":\"2\"}");
	ok(RUN_HERE("recyclefs catalog apply new.json"), "apply");
	has(out.out,
	    "unclassify 'sales.orders' as 'finance'\n"
	    "classify 'sales.orders' as 'gdpr'\n"
	    "change epoch 'sales.orders/bronze/2013-01-01..now': "
	    "close at 2020-01-01\n"
	    "change epoch 'sales.orders/bronze/2010-01-01..2013-01-01': "
	    "re-point to storage 'local' path 'orders/b2new'\n"
	    "add epoch 'sales.orders/bronze/2020-01-01..now' on storage "
	    "'other' path 'b20'\n"
	    "remove lifecycle 'sales.orders/raw'\n"
	    "remove table 'sales.items'\n"
	    "change config 'jobs.workers' = '2'\n"
	    "remove config 'jobs.parallel_files'\n"
	    "9 changes made");
	ok(RUN_HERE("recyclefs catalog apply new.json"), "apply again");
	has(out.out, "nothing to change");
	free(sh("recyclefs catalog export > again.json && "
		"python3 -c 'import json; a=json.load(open(\"again.json\")); "
		"b=json.load(open(\"new.json\")); assert a==b, (a, b)'"));
}

Test(catalog_journal, a_bad_catalog_file_is_refused_before_any_change,
     .timeout = 600)
{
	static const char *const cases[][2] = {
		{ "d[\"bogus\"]=1", "catalog file: unknown key 'bogus'" },
		{ "d[\"tables\"][0][\"name\"]=5",
		  "tables[0]: 'name' has the wrong type (want a string)" },
		{ "d[\"tables\"][1][\"lifecycles\"][1][\"epochs\"][0][\"to\"]="
		  "\"2015-01-01\"",
		  "epochs 2001-01-01..2015-01-01 and 2010-01-01..2013-01-01 "
		  "overlap" },
		{ "d[\"storages\"][0][\"uri\"]=\"s3://AK:hunter2@b/x\"",
		  "must not hold credentials" },
		{ "d[\"recyclefs_catalog\"]=2",
		  "catalog file has version 2; this recyclefs reads up to 1" },
		{ "d[\"tables\"][1][\"lifecycles\"][1][\"epochs\"].pop(0)",
		  "the file removes epoch "
		  "'sales.orders/bronze/2001-01-01..2010-01-01', but 2 bin "
		  "entries or running restores depend on it: refused" },
		{ "d[\"storages\"].pop(1)",
		  "is on storage 'other', which the file does not have" },
		{ "d[\"config\"][\"jobs.nope\"]=\"1\"", "jobs.nope" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *before = answers(), *after;

		edit_export("bad.json", cases[i][0]);
		cr_assert_eq(RUN_HERE("recyclefs catalog apply bad.json"), 1,
			     "%s", cases[i][0]);
		has(out.err, cases[i][1]);
		cr_assert_null(strstr(out.err, "hunter2"));
		after = answers();
		cr_assert_str_eq(after, before, "%s", cases[i][0]);
		free(before);
		free(after);
	}
}

/* A step that fails at apply time (an epoch folder that still holds data)
 * undoes the steps before it: the index and the journal keep the old
 * catalog, and the one line says nothing was changed. */
Test(catalog_journal, a_failed_step_undoes_the_whole_apply, .timeout = 600)
{
	char *before, *after, *uri = uri_of("other");

	free(sh("printf x > data/orders/b2/part.parquet"));
	edit_export(
		"new.json",
		"d[\"tables\"].append(dict(name=\"sales.new\","
		"classifications=[\"pii\"],lifecycles=[]))\n"
		"t=[x for x in d[\"tables\"] if x[\"name\"]==\"sales.orders\"][0]\n"
		"t[\"lifecycles\"][1][\"epochs\"].pop(1)\n"
		"d[\"config\"][\"jobs.workers\"]=\"3\"");
	before = answers();
	cr_assert_eq(RUN_HERE("recyclefs catalog apply new.json"), 1, "%s",
		     out.out);
	has(out.out, "add table 'sales.new'");
	has(out.err, "nothing was changed: step ");
	has(out.err, "(remove epoch 'sales.orders/bronze/"
		     "2010-01-01..2013-01-01'): ");
	has(out.err, "still holds data at");
	cr_assert_null(strchr(out.err, '\n')
			       ? strchr(strchr(out.err, '\n') + 1, '\n')
			       : NULL,
		       "more than one line: %s", out.err);
	after = answers();
	cr_assert_str_eq(after, before);
	free(after);
	/* the journal too: a rebuild from 'other' has no 'sales.new' */
	rebuilds_same(uri, before);
	free(before);
	free(uri);
}

Test(catalog_journal, killed_at_every_call_of_catalog_apply_old_or_new,
     .timeout = 900)
{
	free(sh("mkdir -p other/b20 data/orders/b2new"));
	edit_export("new.json", CHANGES_AND_REMOVES
		    "d[\"tables\"]=[t, dict(name=\"sales.new\","
		    "classifications=[\"pii\"],lifecycles=[])]\n"
		    "d[\"config\"]={\"jobs.workers\":\"2\"}");
	kill_sweep("catalog apply new.json");
}

/* A temporary a killed snapshot write left in .recyclefs/catalog/ goes
 * with the next write once it is older than RFS_JOURNAL_TMP_AGE_S; a
 * fresh one (a write under way) stays, and so do the snapshots. */
Test(catalog_journal, a_killed_writes_temporary_goes_with_the_next_write)
{
	char *s;

	free(sh("cd " JOURNAL " && "
		"printf '{\"kind\":' > .00000000000000000099-1-0000abcd.json.tmp && "
		"touch -d '-11 minutes' .00000000000000000099-1-0000abcd.json.tmp && "
		"printf '{' > .00000000000000000099-2-0000abce.json.tmp && "
		"touch -d '-1 minute' .00000000000000000099-2-0000abce.json.tmp && "
		"printf x > .keep.tmp && touch -d '-1 hour' .keep.tmp"));
	ok(RUN("config", "set", "jobs.parallel_files", "7"), "config set");
	s = sh("ls -A " JOURNAL " | grep tmp");
	cr_assert_str_eq(s, ".00000000000000000099-2-0000abce.json.tmp\n"
			    ".keep.tmp\n");
	free(s);
	/* the newest snapshot is the new one, read whole */
	{
		char *before = answers(), *uri = uri_of("data");

		has(before, "jobs.parallel_files");
		rebuilds_same(uri, before);
		free(before);
		free(uri);
	}
}
