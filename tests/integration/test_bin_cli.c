/*
 * The recycle bin's commands, run as a program without a mount: archive,
 * status, wait, resume, retry, purge and reindex, checked against the
 * bytes, modes and times in the storage underneath, the manifests, the
 * metastore hook's input and the exit statuses and messages.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/fixture.h"

static struct rfs_test_mount m;
static struct rfs_test_out out;

/* The closed bronze epoch of sales.orders, on storage "local". */
#define EP "sales.orders/bronze/2001-01-01..2010-01-01"
/* Its root and the bin's mirror of it, below the test's directory. */
#define SRC	  "data/orders/b1"
#define BIN	  "data/.recyclebin/" EP
#define MANIFESTS "data/.recyclebin/.recyclefs/manifests"

#define RUN(...)    rfs_test_cli(&m, &out, __VA_ARGS__)
#define sh(...)	    rfs_test_sh_ok(&m, __VA_ARGS__)
#define ok(r, what) rfs_test_ok(&out, (r), (what))
#define has	    rfs_test_has

/* True when the shell line exits 0. */
static bool sh_ok(const char *line)
{
	return rfs_test_sh(&m, NULL, "%s", line) == 0;
}

/*
 * sales.orders: bronze has the closed epoch on local:orders/b1 with two
 * partitions of known bytes, modes and times, and an open epoch on
 * local:orders/b2; silver lives on postgres. Not mounted.
 */
static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	free(sh("mkdir -p " SRC "/dt=2001-01-01 " SRC "/dt=2001-01-02 "
		"&& "
		"printf 'alpha\\n' > " SRC "/dt=2001-01-01/part-0.parquet && "
		"head -c 100000 /dev/zero | tr '\\0' x > " SRC
		"/dt=2001-01-01/part-1.parquet && "
		"printf 'gamma gamma\\n' > " SRC
		"/dt=2001-01-02/part-0.parquet && "
		"chmod 0640 " SRC "/dt=2001-01-01/part-0.parquet && "
		"chmod 0600 " SRC "/dt=2001-01-01/part-1.parquet && "
		"chmod 0750 " SRC "/dt=2001-01-01 && "
		"touch -d @946684800 " SRC "/dt=2001-01-01/part-0.parquet && "
		"touch -d @978307200 " SRC "/dt=2001-01-01/part-1.parquet && "
		"touch -d @1009843200 " SRC "/dt=2001-01-02/part-0.parquet && "
		"touch -d @1041379200 " SRC "/dt=2001-01-01 " SRC
		"/dt=2001-01-02"));
	ok(RUN("table", "add", "sales.orders"), "table add");
	rfs_test_add_bronze(&m);
	ok(RUN("storage", "add", "pg", "postgres://127.0.0.1:1/lake"),
	   "storage add pg");
	ok(RUN("lifecycle", "add", "sales.orders", "silver"), "lifecycle");
	ok(RUN("epoch", "add", "sales.orders", "silver", "--from", "2013-01-01",
	       "--storage", "pg", "--path", "orders"),
	   "epoch silver");
}

static void teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

TestSuite(bin_cli, .init = setup, .fini = teardown, .timeout = 120);

/* Every file and folder below @p dir (relative to the test's
 * directory): path, mode and mtime, and each file's SHA-256. */
static char *tree(const char *dir)
{
	return sh("cd '%s' && find . | LC_ALL=C sort | while read -r f; do "
		  "stat -c '%%n %%a %%Y' \"$f\"; "
		  "if test -f \"$f\"; then sha256sum \"$f\"; fi; done",
		  dir);
}

/* The same for one file. */
static char *file_sums(const char *path)
{
	return sh("cd \"$(dirname '%s')\" && f=$(basename '%s') && "
		  "stat -c '%%n %%a %%Y' \"$f\" && sha256sum \"$f\"",
		  path, path);
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);

	cr_assert_not_null(doc, "bad JSON (%s): %s", e.text, text);
	return doc;
}

/* `status --json` (with --all when @p all), parsed. */
static json_t *status_json(bool all)
{
	if (all)
		ok(RUN("status", "--all", "--json"), "status --all --json");
	else
		ok(RUN("status", "--json"), "status --json");
	return parse(out.out);
}

/* The entry at @p bin_path in a status document, or NULL. */
static json_t *entry_at(json_t *doc, const char *bin_path)
{
	json_t *arr = json_object_get(doc, "entries"), *e;
	size_t i;

	cr_assert(json_is_array(arr));
	json_array_foreach(
		arr, i,
		e) if (!strcmp(json_string_value(json_object_get(e,
								 "bin_path")),
			       bin_path)) return e;
	return NULL;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "'%s' is not a string", key);
	return json_string_value(v);
}

/* The state of the entry at @p bin_path (from status --all). */
static char *state_of(const char *bin_path)
{
	json_t *doc = status_json(true), *e = entry_at(doc, bin_path);
	char *s;

	cr_assert_not_null(e, "no entry at '%s': %s", bin_path, out.out);
	s = strdup(str(e, "state"));
	json_decref(doc);
	return s;
}

static void assert_state(const char *bin_path, const char *want)
{
	char *s = state_of(bin_path);

	cr_assert_str_eq(s, want, "'%s' is %s, want %s", bin_path, s, want);
	free(s);
}

/* The uuid of the entry at @p bin_path. */
static char *uuid_of(const char *bin_path)
{
	json_t *doc = status_json(true), *e = entry_at(doc, bin_path);
	char *s;

	cr_assert_not_null(e, "no entry at '%s'", bin_path);
	s = strdup(str(e, "uuid"));
	json_decref(doc);
	return s;
}

/* The manifest of @p uuid is valid JSON and lists every regular file of
 * the bin copy at @p bin_dir with its SHA-256. */
static void assert_manifest(const char *uuid, const char *bin_dir)
{
	char *listed, *actual;

	free(sh("python3 -m json.tool " MANIFESTS "/%s.json > /dev/null",
		uuid));
	listed =
		sh("python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))"
		   "; [print(f[\"sha256\"], f[\"path\"]) for f in "
		   "sorted(m[\"files\"], key=lambda f: f[\"path\"]) "
		   "if f[\"type\"] == \"file\"]' " MANIFESTS "/%s.json",
		   uuid);
	actual = sh("cd '%s' && find . -type f | LC_ALL=C sort | "
		    "while read -r f; do sha256sum \"$f\"; done | "
		    "sed 's#  \\./#  #; s#  # #'",
		    bin_dir);
	cr_assert_str_eq(listed, actual, "manifest rows differ from the bin");
	free(listed);
	free(actual);
}

Test(bin_cli, archives_a_partition_folder)
{
	char *before = tree(SRC "/dt=2001-01-01"), *after, *uuid;
	json_t *doc, *e;

	ok(RUN("archive", EP "/dt=2001-01-01"), "archive");
	cr_assert_str_eq(out.out,
			 "archived '" EP "/dt=2001-01-01' to "
			 "'.recyclebin/" EP "/dt=2001-01-01' (2 files, "
			 "97.7 KiB)\n");
	cr_assert_str_eq(out.err, "");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"), "source remains");
	cr_assert(sh_ok("test -d " SRC "/dt=2001-01-02"), "neighbour gone");
	after = tree(BIN "/dt=2001-01-01");
	cr_assert_str_eq(before, after, "bytes, modes or mtimes differ");

	doc = status_json(false);
	e = entry_at(doc, EP "/dt=2001-01-01");
	cr_assert_not_null(e, "%s", out.out);
	cr_assert_str_eq(str(e, "state"), "archived");
	cr_assert_str_eq(str(e, "origin"), EP "/dt=2001-01-01");
	cr_assert_str_eq(str(e, "storage"), "local");
	cr_assert(json_is_null(json_object_get(e, "failed_step")));
	cr_assert(json_is_null(json_object_get(e, "lease_owner")));
	cr_assert(json_is_null(json_object_get(e, "purged_at")));
	cr_assert(json_is_string(json_object_get(e, "deleted_at")));
	cr_assert_eq(json_integer_value(json_object_get(e, "files_total")), 2);
	cr_assert_eq(json_integer_value(json_object_get(e, "bytes_total")),
		     100006);
	json_decref(doc);

	uuid = uuid_of(EP "/dt=2001-01-01");
	free(sh("test \"$(ls " MANIFESTS ")\" = %s.json", uuid));
	assert_manifest(uuid, BIN "/dt=2001-01-01");
	free(uuid);
	free(before);
	free(after);
}

Test(bin_cli, archive_again_is_success_and_a_new_item_gets_a_suffix)
{
	char *first, *second;

	ok(RUN("archive", EP "/dt=2001-01-01"), "archive");
	first = tree(BIN "/dt=2001-01-01");

	ok(RUN("archive", EP "/dt=2001-01-01"), "archive again");
	cr_assert_str_eq(out.out,
			 "'" EP "/dt=2001-01-01' is archived "
			 "already, as '.recyclebin/" EP "/dt=2001-01-01'\n");

	/* The same name again, with new data: both stay. */
	free(sh("mkdir " SRC "/dt=2001-01-01 && printf 'new\\n' > " SRC
		"/dt=2001-01-01/part-9.parquet"));
	second = tree(SRC "/dt=2001-01-01");
	ok(RUN("archive", EP "/dt=2001-01-01"), "archive the new one");
	has(out.out, "to '.recyclebin/" EP "/dt=2001-01-01.~2~' (1 file, 4 B)");
	{
		char *a = tree(BIN "/dt=2001-01-01");
		char *b = tree(BIN "/dt=2001-01-01.~2~");

		cr_assert_str_eq(a, first, "the first copy changed");
		cr_assert_str_eq(b, second);
		free(a);
		free(b);
	}
	assert_state(EP "/dt=2001-01-01", "archived");
	assert_state(EP "/dt=2001-01-01.~2~", "archived");
	cr_assert(sh_ok("test $(ls " MANIFESTS " | wc -l) = 2"));
	free(first);
	free(second);
}

Test(bin_cli, archives_a_single_file)
{
	char *before = file_sums(SRC "/dt=2001-01-02/part-0.parquet"), *after;
	char *uuid;

	ok(RUN("archive", EP "/dt=2001-01-02/part-0.parquet"), "archive");
	cr_assert_str_eq(out.out, "archived '" EP "/dt=2001-01-02/part-0."
				  "parquet' to '.recyclebin/" EP
				  "/dt=2001-01-02/part-0.parquet' (1 file, "
				  "12 B)\n");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-02/part-0.parquet"));
	after = file_sums(BIN "/dt=2001-01-02/part-0.parquet");
	cr_assert_str_eq(before, after);
	uuid = uuid_of(EP "/dt=2001-01-02/part-0.parquet");
	free(sh("python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); "
		"assert len(m[\"files\"]) == 1, m; "
		"assert m[\"files\"][0][\"sha256\"] == sys.argv[2], m' " MANIFESTS
		"/%s.json $(sha256sum " BIN
		"/dt=2001-01-02/part-0.parquet | cut -d\" \" -f1)",
		uuid));
	free(uuid);
	free(before);
	free(after);
}

Test(bin_cli, archives_a_whole_epoch)
{
	char *before = tree(SRC), *after;

	ok(RUN("archive", EP), "archive the epoch");
	has(out.out, "archived '" EP "' to '.recyclebin/" EP "' (3 files, ");
	/* The epoch's own root stays: it is the catalog's location. */
	cr_assert(sh_ok("test -d " SRC " && test -z \"$(ls -A " SRC ")\""));
	after = tree(BIN);
	/* The root's own mtime changed when its children left. */
	cr_assert_str_eq(strchr(before, '\n'), strchr(after, '\n'));
	free(before);
	free(after);
}

Test(bin_cli, paths_through_a_mount_are_understood)
{
	ok(RUN("archive", "/mnt/lake/" EP "/dt=2001-01-01"), "archive");
	has(out.out, "archived '" EP "/dt=2001-01-01'");
	ok(RUN("wait", "/mnt/lake/.recyclebin/" EP "/dt=2001-01-01"), "wait");
	ok(RUN("wait", "/mnt/lake/" EP "/dt=2001-01-01"), "wait by origin");
	ok(RUN("archive", "/mnt/lake/" EP "/dt=2001-01-01"), "again");
	has(out.out, "is archived already");

	cr_assert_eq(
		RUN("archive", "/mnt/lake/.recyclebin/" EP "/dt=2001-01-01"),
		1);
	has(out.err, "is in the recycle bin already");
	cr_assert_eq(RUN("archive", "/mnt/lake/sales.orders/bronze"), 1);
	has(out.err, "'sales.orders/bronze' is a lifecycle");
}

/* A refused archive: status 1, one line holding @p what, nothing
 * changed in the index or the storage. */
static void refused(const char *path, const char *what)
{
	char *before = tree("data"), *after;

	cr_assert_eq(RUN("archive", path), 1, "archive '%s': %s", path,
		     out.err);
	has(out.err, what);
	cr_assert_eq(strncmp(out.err, "recyclefs: ", 11), 0);
	cr_assert_eq(strchr(out.err, '\n'), out.err + strlen(out.err) - 1,
		     "not one line: %s", out.err);
	cr_assert_str_eq(out.out, "");
	after = tree("data");
	cr_assert_str_eq(before, after, "the storage changed");
	ok(RUN("status", "--all", "--json"), "status");
	has(out.out, "\"entries\": []");
	free(before);
	free(after);
}

Test(bin_cli, refuses_what_is_not_under_an_epoch)
{
	refused("sales.orders", "is a table: only items under an epoch");
	refused("sales.orders/bronze", "is a lifecycle: only items under an "
				       "epoch");
	refused("/", "the catalog root cannot be archived");
	refused(EP "/dt=1999-01-01", "no '" EP "/dt=1999-01-01' in storage "
				     "'local'");
	/* a table of a server that does not answer: nothing is recorded */
	refused("sales.orders/silver/2013-01-01..now/x",
		"storage 'postgres://127.0.0.1:1/lake/orders': cannot connect");
	refused("nosuch.table/bronze", "no table 'nosuch.table'");
	refused(EP "/../b2", "..");
	cr_assert_eq(RUN("archive"), 2);
	has(out.err, "see 'recyclefs archive --help'");
}

Test(bin_cli, several_paths_go_on_after_a_failure)
{
	cr_assert_eq(RUN("archive", EP "/dt=1999-01-01", EP "/dt=2001-01-02"),
		     1);
	has(out.err, "no '" EP "/dt=1999-01-01'");
	has(out.out, "archived '" EP "/dt=2001-01-02'");
	assert_state(EP "/dt=2001-01-02", "archived");
}

Test(bin_cli, archive_json)
{
	json_t *doc, *r;

	ok(RUN("archive", "--json", EP "/dt=2001-01-02"), "archive --json");
	doc = parse(out.out);
	r = json_array_get(json_object_get(doc, "results"), 0);
	cr_assert_str_eq(str(r, "path"), EP "/dt=2001-01-02");
	cr_assert_str_eq(str(r, "result"), "archived");
	cr_assert(json_is_null(json_object_get(r, "reason")));
	cr_assert_str_eq(str(json_object_get(r, "entry"), "state"), "archived");
	json_decref(doc);
}

Test(bin_cli, no_wait_leaves_the_job_for_a_process)
{
	json_t *doc, *e;

	ok(RUN("archive", "--no-wait", EP "/dt=2001-01-02"), "--no-wait");
	cr_assert_str_eq(out.out, "archiving '" EP "/dt=2001-01-02' as "
				  "'.recyclebin/" EP "/dt=2001-01-02' "
				  "('recyclefs wait .recyclebin/" EP
				  "/dt=2001-01-02' follows it)\n");
	cr_assert(sh_ok("test -f " SRC "/dt=2001-01-02/part-0.parquet"));
	doc = status_json(false);
	e = entry_at(doc, EP "/dt=2001-01-02");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "state"), "snapshot");
	cr_assert(json_is_null(json_object_get(e, "lease_owner")));
	json_decref(doc);
	ok(RUN("status"), "status");
	has(out.out, "snapshot (waiting)");
	has(out.out, "1 job waits for a process");

	cr_assert_eq(RUN("wait", "--timeout", "3", EP "/dt=2001-01-02"), 1);
	has(out.err, "no process is running '.recyclebin/" EP
		     "/dt=2001-01-02'; run 'recyclefs resume' or mount");
	has(out.err, "'.recyclebin/" EP "/dt=2001-01-02' is still snapshot "
		     "after 3 s");

	ok(RUN("resume"), "resume");
	has(out.out, "resuming '.recyclebin/" EP "/dt=2001-01-02' (snapshot)");
	has(out.out, "archived '" EP "/dt=2001-01-02'");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-02/part-0.parquet"));
	ok(RUN("resume"), "resume again");
	cr_assert_str_eq(out.out, "nothing to resume\n");
	ok(RUN("wait", ".recyclebin/" EP "/dt=2001-01-02"), "wait");
	has(out.out, "archived '" EP "/dt=2001-01-02' to '.recyclebin/" EP
		     "/dt=2001-01-02' (1 file, 12 B)");
}

Test(bin_cli, wait_reports_unknown_paths)
{
	cr_assert_eq(RUN("wait", EP "/dt=1999-01-01"), 1);
	cr_assert_str_eq(out.err, "recyclefs: nothing in the recycle bin at "
				  "or from '" EP "/dt=1999-01-01'\n");
	cr_assert_eq(RUN("wait", "--timeout", "soon", EP), 2);
	has(out.err, "--timeout wants a number of seconds");
}

Test(bin_cli, purge_deletes_the_copy_and_the_manifest)
{
	char *uuid;
	json_t *doc, *e;

	ok(RUN("archive", EP "/dt=2001-01-01"), "archive");
	uuid = uuid_of(EP "/dt=2001-01-01");
	cr_assert(sh_ok("test -f " MANIFESTS "/$(ls " MANIFESTS ")"));

	ok(RUN("purge", ".recyclebin/" EP "/dt=2001-01-01"), "purge");
	cr_assert_str_eq(out.out, "purged '.recyclebin/" EP "/dt=2001-01-01' "
				  "(2 files, 97.7 KiB)\n");
	cr_assert(sh_ok("test ! -e " BIN "/dt=2001-01-01"), "copy remains");
	cr_assert(sh_ok("test -z \"$(ls " MANIFESTS ")\""), "manifest stays");
	cr_assert(sh_ok("test -d " SRC "/dt=2001-01-02"));

	doc = status_json(true);
	e = entry_at(doc, EP "/dt=2001-01-01");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "state"), "purged");
	cr_assert_str_eq(str(e, "uuid"), uuid);
	cr_assert(json_is_string(json_object_get(e, "purged_at")));
	json_decref(doc);
	doc = status_json(false);
	cr_assert_null(entry_at(doc, EP "/dt=2001-01-01"));
	json_decref(doc);

	ok(RUN("purge", EP "/dt=2001-01-01"), "purge again");
	cr_assert_str_eq(out.out, "'.recyclebin/" EP "/dt=2001-01-01' is "
				  "already purged\n");
	cr_assert_eq(RUN("purge", EP "/dt=1999-01-01"), 1);
	has(out.err, "nothing in the recycle bin at or from");
	free(uuid);
}

Test(bin_cli, purge_older_than_with_dry_run_changes_nothing)
{
	char *before, *after;
	json_t *doc, *res;

	ok(RUN("archive", EP "/dt=2001-01-01", EP "/dt=2001-01-02"), "archive");
	before = tree("data");

	ok(RUN("purge", "--older-than", "0s", "--dry-run"), "dry run");
	has(out.out, EP "/dt=2001-01-01 ");
	has(out.out, EP "/dt=2001-01-02 ");
	has(out.out, "2 entries, 97.7 KiB would be purged (dry run: nothing "
		     "changed)");
	ok(RUN("purge", "--older-than", "0s", "--dry-run", "--json"), "json");
	doc = parse(out.out);
	cr_assert(json_is_true(json_object_get(doc, "dry_run")));
	res = json_object_get(doc, "results");
	cr_assert_eq(json_array_size(res), 2);
	cr_assert_str_eq(str(json_array_get(res, 0), "result"), "would_purge");
	json_decref(doc);
	ok(RUN("purge", "--dry-run", EP "/dt=2001-01-01"), "dry run by path");
	has(out.out, "1 entry, ");
	after = tree("data");
	cr_assert_str_eq(before, after, "a dry run changed the storage");
	assert_state(EP "/dt=2001-01-01", "archived");
	assert_state(EP "/dt=2001-01-02", "archived");

	ok(RUN("purge", "--older-than", "1d"), "nothing that old");
	has(out.out, "nothing archived before ");
	free(after);
	after = tree("data");
	cr_assert_str_eq(before, after);

	ok(RUN("purge", "--older-than", "0s"), "purge by age");
	has(out.out, "purged '.recyclebin/" EP "/dt=2001-01-01'");
	has(out.out, "purged '.recyclebin/" EP "/dt=2001-01-02'");
	assert_state(EP "/dt=2001-01-01", "purged");
	assert_state(EP "/dt=2001-01-02", "purged");
	cr_assert(sh_ok("test ! -e data/.recyclebin/sales.orders"));

	cr_assert_eq(RUN("purge", "--older-than", "soon"), 2);
	cr_assert_eq(RUN("purge", "--older-than", "1d", EP), 2);
	cr_assert_eq(RUN("purge"), 2);
	free(before);
	free(after);
}

/* Lose the index: a new one with the same storage URI. */
static void new_index(void)
{
	rfs_test_new_index(&m);
}

Test(bin_cli, reindex_rebuilds_a_lost_index)
{
	char *u1, *u2, *s;
	json_t *doc, *e;

	ok(RUN("archive", EP "/dt=2001-01-01",
	       EP "/dt=2001-01-02/part-0."
		  "parquet"),
	   "archive");
	u1 = uuid_of(EP "/dt=2001-01-01");
	u2 = uuid_of(EP "/dt=2001-01-02/part-0.parquet");
	new_index();
	ok(RUN("status", "--all"), "status");
	cr_assert_str_eq(out.out, "the recycle bin is empty\n");

	ok(RUN("reindex"), "reindex");
	has(out.out, "added '.recyclebin/" EP "/dt=2001-01-01'\n");
	has(out.out,
	    "added '.recyclebin/" EP "/dt=2001-01-02/part-0.parquet'\n");
	has(out.out, "2 entries added, 0 already indexed, 0 skipped\n");
	doc = status_json(false);
	e = entry_at(doc, EP "/dt=2001-01-01");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "state"), "archived");
	cr_assert_str_eq(str(e, "uuid"), u1);
	e = entry_at(doc, EP "/dt=2001-01-02/part-0.parquet");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "state"), "archived");
	cr_assert_str_eq(str(e, "uuid"), u2);
	json_decref(doc);

	ok(RUN("reindex"), "reindex again");
	has(out.out, "already indexed '.recyclebin/" EP "/dt=2001-01-01'\n");
	has(out.out, "0 entries added, 2 already indexed, 0 skipped\n");

	/* The rebuilt entries work: purge one. */
	ok(RUN("purge", EP "/dt=2001-01-01"), "purge");
	cr_assert(sh_ok("test ! -e " BIN "/dt=2001-01-01"));
	s = tree(BIN);
	has(s, "part-0.parquet");
	free(s);
	free(u1);
	free(u2);
}

Test(bin_cli, reindex_skips_corrupt_and_newer_manifests)
{
	json_t *doc;
	char *u1;

	ok(RUN("archive", EP "/dt=2001-01-01"), "archive");
	u1 = uuid_of(EP "/dt=2001-01-01");
	free(sh("printf 'garbage{' > " MANIFESTS
		"/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.json && "
		"python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); "
		"m[\"version\"]=99; m[\"uuid\"]=\"c\"*32; "
		"m[\"bin\"][\"path\"]+=\".~9~\"; "
		"json.dump(m, open(sys.argv[2], \"w\"))' " MANIFESTS
		"/%s.json " MANIFESTS "/cccccccccccccccccccccccccccccccc.json",
		u1));
	new_index();

	ok(RUN("reindex"), "reindex");
	has(out.out, "added '.recyclebin/" EP "/dt=2001-01-01'\n");
	has(out.out, "skipped '.recyclefs/manifests/"
		     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.json' in storage "
		     "'local': ");
	has(out.out, "skipped '.recyclefs/manifests/"
		     "cccccccccccccccccccccccccccccccc.json' in storage "
		     "'local': ");
	has(out.out, "newer");
	has(out.out, "1 entry added, 0 already indexed, 2 skipped\n");
	cr_assert_str_eq(out.err, "");

	ok(RUN("reindex", "--json"), "reindex --json");
	doc = parse(out.out);
	cr_assert_eq(json_integer_value(json_object_get(doc, "added")), 0);
	cr_assert_eq(
		json_integer_value(json_object_get(doc, "already_indexed")), 1);
	cr_assert_eq(json_integer_value(json_object_get(doc, "skipped")), 2);
	cr_assert_eq(json_array_size(json_object_get(doc, "manifests")), 3);
	json_decref(doc);
	assert_state(EP "/dt=2001-01-01", "archived");
	free(u1);
}

/* Write the hook: records its stdin, whether the partition's data was
 * still there, and exits @p status with @p msg on stderr. */
static void write_hook(int status, const char *msg)
{
	free(sh("printf '#!/bin/sh\\n"
		"cat > %s/hook.json\\n"
		"if test -e %s/" SRC "/dt=2001-01-01/part-0.parquet; "
		"then echo present; else echo absent; fi > %s/hook.data\\n"
		"echo \"%s\" >&2\\n"
		"exit %d\\n' > hook.sh && chmod +x hook.sh",
		m.dir, m.dir, m.dir, msg, status));
}

Test(bin_cli, metastore_hook_drops_partitions_before_the_data_goes)
{
	char hook[128], *data, *json;
	json_t *doc, *parts, *p;

	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	write_hook(0, "ok");
	ok(RUN("config", "set", "metastore.hook", hook), "config set");
	ok(RUN("archive", EP "/dt=2001-01-01"), "archive");
	data = sh("cat hook.data");
	cr_assert_str_eq(data, "present\n", "data gone before the drop");
	json = sh("cat hook.json");
	doc = parse(json);
	cr_assert_str_eq(str(doc, "action"), "drop_partitions");
	cr_assert_str_eq(str(doc, "table"), "sales.orders");
	cr_assert_str_eq(str(doc, "lifecycle"), "bronze");
	cr_assert_str_eq(str(doc, "epoch"), "2001-01-01..2010-01-01");
	parts = json_object_get(doc, "partitions");
	cr_assert_eq(json_array_size(parts), 1, "%s", json);
	p = json_array_get(parts, 0);
	cr_assert_str_eq(str(p, "spec"), "dt=2001-01-01");
	cr_assert_eq(json_object_size(json_object_get(p, "values")), 1);
	cr_assert_str_eq(str(json_object_get(p, "values"), "dt"), "2001-01-01");
	json_decref(doc);
	assert_state(EP "/dt=2001-01-01", "archived");
	free(data);
	free(json);
}

Test(bin_cli, failing_hook_keeps_the_source_and_retry_finishes)
{
	char hook[128], *before, *after;
	json_t *doc, *e;

	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	write_hook(3, "metastore down");
	ok(RUN("config", "set", "metastore.hook", hook), "config set");
	before = tree(SRC "/dt=2001-01-01");

	cr_assert_eq(RUN("archive", EP "/dt=2001-01-01"), 1, "%s", out.out);
	has(out.err, "metastore down");
	has(out.err, "archive of '" EP "/dt=2001-01-01' failed at unpublish");
	has(out.err, "recyclefs retry .recyclebin/" EP "/dt=2001-01-01");
	cr_assert_eq(strchr(out.err, '\n'), out.err + strlen(out.err) - 1);
	after = tree(SRC "/dt=2001-01-01");
	cr_assert_str_eq(before, after, "the source changed");
	free(after);

	doc = status_json(false);
	e = entry_at(doc, EP "/dt=2001-01-01");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "state"), "failed");
	cr_assert_str_eq(str(e, "failed_step"), "unpublish");
	has(str(e, "reason"), "metastore down");
	json_decref(doc);
	ok(RUN("status"), "status");
	has(out.out, "failed (unpublish)");

	/* Refused while the failed one waits; wait reports the failure. */
	cr_assert_eq(RUN("archive", EP "/dt=2001-01-01"), 1);
	has(out.err, "recyclefs retry");
	cr_assert_eq(RUN("wait", EP "/dt=2001-01-01"), 1);
	has(out.err, "metastore down");
	cr_assert_eq(RUN("resume", EP "/dt=2001-01-01"), 1);
	has(out.err, "'recyclefs retry .recyclebin/" EP "/dt=2001-01-01'");

	write_hook(0, "ok");
	ok(RUN("retry", EP "/dt=2001-01-01"), "retry");
	has(out.out, "archived '" EP "/dt=2001-01-01' to '.recyclebin/" EP
		     "/dt=2001-01-01' (2 files, 97.7 KiB)");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"));
	after = tree(BIN "/dt=2001-01-01");
	cr_assert_str_eq(before, after);
	assert_state(EP "/dt=2001-01-01", "archived");
	ok(RUN("retry", EP "/dt=2001-01-01"), "retry an archived one");
	has(out.out, "is archived already");
	free(before);
	free(after);
}

Test(bin_cli, purge_of_a_failed_entry_keeps_the_source)
{
	char hook[128], *before, *after;

	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	write_hook(3, "metastore down");
	ok(RUN("config", "set", "metastore.hook", hook), "config set");
	before = tree(SRC);
	cr_assert_eq(RUN("archive", EP "/dt=2001-01-01"), 1);
	ok(RUN("purge", EP "/dt=2001-01-01"), "purge the failed one");
	has(out.out, "purged '.recyclebin/" EP "/dt=2001-01-01'");
	cr_assert(sh_ok("test ! -e " BIN "/dt=2001-01-01"));
	after = tree(SRC);
	cr_assert_str_eq(before, after);
	assert_state(EP "/dt=2001-01-01", "purged");
	free(before);
	free(after);
}

Test(bin_cli, sigint_stops_at_a_safe_point_and_resume_finishes)
{
	char hook[128], *before, *after;
	json_t *doc, *e;

	/* The hook interrupts the command that runs it, then succeeds: the
	 * job stops before the delete step. */
	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	free(sh("printf '#!/bin/sh\\ncat > /dev/null\\nkill -INT $PPID\\n"
		"exit 0\\n' > hook.sh && chmod +x hook.sh"));
	ok(RUN("config", "set", "metastore.hook", hook), "config set");
	before = tree(SRC "/dt=2001-01-01");

	cr_assert_eq(RUN("archive", EP "/dt=2001-01-01", EP "/dt=2001-01-02"),
		     130, "%s", out.err);
	cr_assert_str_eq(out.err, "recyclefs: interrupted; '.recyclebin/" EP
				  "/dt=2001-01-01' stays in state delete and "
				  "resumes in a mount or with 'recyclefs "
				  "resume'\n");
	cr_assert_str_eq(out.out, "");
	after = tree(SRC "/dt=2001-01-01");
	cr_assert_str_eq(before, after, "the source changed");
	free(after);
	doc = status_json(true);
	e = entry_at(doc, EP "/dt=2001-01-01");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "state"), "delete", "not failed: %s", out.out);
	cr_assert(json_is_null(json_object_get(e, "lease_owner")));
	/* The second path was not started. */
	cr_assert_null(entry_at(doc, EP "/dt=2001-01-02"));
	json_decref(doc);

	ok(RUN("config", "unset", "metastore.hook"), "config unset");
	ok(RUN("resume"), "resume");
	has(out.out, "resuming '.recyclebin/" EP "/dt=2001-01-01' (delete)\n");
	has(out.out, "archived '" EP "/dt=2001-01-01' to '.recyclebin/" EP
		     "/dt=2001-01-01' (2 files, 97.7 KiB)\n");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"));
	after = tree(BIN "/dt=2001-01-01");
	cr_assert_str_eq(before, after);
	assert_state(EP "/dt=2001-01-01", "archived");
	cr_assert(sh_ok("test -f " SRC "/dt=2001-01-02/part-0.parquet"));
	free(before);
	free(after);
}
