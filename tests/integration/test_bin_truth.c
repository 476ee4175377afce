/*
 * What the recycle bin answers on the side roads: several versions of one
 * path, epochs that would reach the bin, a partial purge followed by a
 * reindex, names with any byte, and small mistakes of input. Run through
 * the real program and a real mount, checked against the bytes underneath.
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
#define EP  "sales.orders/bronze/2001-01-01..2010-01-01"
#define SRC "data/orders/b1"
#define P   EP "/dt=2001-01-01"

#define RUN(...)    rfs_test_cli(&m, &out, __VA_ARGS__)
#define sh(...)	    rfs_test_sh_ok(&m, __VA_ARGS__)
#define ok(r, what) rfs_test_ok(&out, (r), (what))
#define has	    rfs_test_has

static void fails(int r, const char *what)
{
	cr_assert_neq(r, 0, "%s: should fail; stdout: %s", what, out.out);
}

static void lacks(const char *text, const char *bad)
{
	cr_assert_null(strstr(text, bad), "'%s' should not be in: %s", bad,
		       text);
}

/* Exactly one line (a report that a newline in a name cannot split). */
static void one_line(const char *text)
{
	const char *nl = strchr(text, '\n');

	cr_assert(nl && !nl[1], "want exactly one line: [%s]", text);
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);

	cr_assert_not_null(doc, "bad JSON (%s): %s", e.text, text);
	return doc;
}

/* The entry at @p bin_path in `status --all --json`, or NULL; the
 * document is returned in @p doc for the caller to free. */
static json_t *entry_at(const char *bin_path, json_t **doc)
{
	json_t *arr, *e;
	size_t i;

	ok(RUN("status", "--all", "--json"), "status --all --json");
	*doc = parse(out.out);
	arr = json_object_get(*doc, "entries");
	cr_assert(json_is_array(arr));
	json_array_foreach(arr, i, e)
	{
		json_t *v = json_object_get(e, "bin_path");
		const char *b = json_string_value(v);
		char bytes[512] = "";

		/* A name that is not UTF-8 comes as {"hex": ...}. */
		if (!b && (b = json_string_value(json_object_get(v, "hex")))) {
			for (size_t k = 0; b[2 * k] && k + 1 < sizeof(bytes);
			     k++)
				sscanf(b + 2 * k, "%2hhx", &bytes[k]);
			b = bytes;
		}
		if (b && !strcmp(b, bin_path))
			return e;
	}
	return NULL;
}

static void assert_state(const char *bin_path, const char *want)
{
	json_t *doc, *e = entry_at(bin_path, &doc);

	cr_assert_not_null(e, "no entry at '%s': %s", bin_path, out.out);
	cr_assert_str_eq(json_string_value(json_object_get(e, "state")), want,
			 "'%s': %s", bin_path, out.out);
	json_decref(doc);
}

static long long int_of(const char *bin_path, const char *key)
{
	json_t *doc, *e = entry_at(bin_path, &doc);
	long long v;

	cr_assert_not_null(e, "no entry at '%s': %s", bin_path, out.out);
	v = json_integer_value(json_object_get(e, key));
	json_decref(doc);
	return v;
}

/*
 * sales.orders/bronze: a closed epoch on local:orders/b1 and an open one
 * on local:orders/b2. Not mounted.
 */
static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	ok(RUN("table", "add", "sales.orders"), "table add");
	rfs_test_add_bronze(&m);
}

static void teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

TestSuite(bin_truth, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------- 1. several versions */

/* Fill the partition with @p n files of new bytes. */
static void fill(int n)
{
	free(sh("mkdir -p " SRC "/dt=2001-01-01 && for i in $(seq %d); do "
		"head -c $((1000 * i + %d)) /dev/urandom > " SRC
		"/dt=2001-01-01/part-$i; done",
		n, n));
}

/*
 * Archive dt=2001-01-01 three times, with new data each time: the first
 * two run to the end, the third is only recorded (no process runs it),
 * as a mount's worker that has not reached it yet.
 */
static void three_versions(void)
{
	fill(1);
	ok(RUN("archive", P), "archive 1");
	fill(2);
	ok(RUN("archive", P), "archive 2");
	has(out.out, "dt=2001-01-01.~2~");
	fill(3);
	ok(RUN("archive", "--no-wait", P), "archive 3");
	free(sh("sha256sum " SRC "/dt=2001-01-01/* | sed 's| .*/| |' > "
		"v3.sum"));
	assert_state(P ".~3~", "snapshot");
}

Test(bin_truth, wait_follows_the_newest_version)
{
	three_versions();
	/* The third is still to run: wait must not report the first. */
	fails(RUN("wait", "--timeout", "1", P), "wait while .~3~ runs");
	has(out.err, "dt=2001-01-01.~3~' is still snapshot");
	lacks(out.out, "archived");
	/* A bin path names exactly one entry: the first is archived. */
	ok(RUN("wait", ".recyclebin/" P), "wait on the first's bin path");
	has(out.out, "to '.recyclebin/" P "' (1 file,");
	ok(RUN("wait", P ".~2~"), "wait on .~2~");
	has(out.out, "(2 files,");
	ok(RUN("resume"), "resume");
	ok(RUN("wait", P), "wait after resume");
	has(out.out, "to '.recyclebin/" P ".~3~' (3 files,");
	/* What the bin holds for it is the third data set. */
	free(sh("cd data/.recyclebin/" EP "/dt=2001-01-01.~3~ && "
		"sha256sum * | sed 's| .*/| |;s|  | |' > ../../../../../../v3.bin && "
		"cd ../../../../../.. && sed 's|  | |' v3.sum | diff - v3.bin"));
}

Test(bin_truth, wait_draws_a_bar_on_a_terminal)
{
	char *tty;

	three_versions();
	tty = sh("script -qec 'recyclefs wait --timeout 1 " P
		 "' /dev/null 2>&1 | od -c | tr -s ' ' | tr -d '\\n' ; true");
	/* The bar: a carriage return and an erase of the line, the state. */
	has(tty, "\\r 033 [ K s n a p s h o t");
	free(tty);
	/* Not on a pipe. */
	fails(RUN("wait", "--timeout", "1", P), "wait on a pipe");
	lacks(out.err, "\033[K");
}

Test(bin_truth, restore_purge_retry_pick_the_newest)
{
	json_t *doc, *r0;

	three_versions();
	/* Restore of a still-archiving newest version is refused, naming it. */
	fails(RUN("restore", P, "--dry-run"), "restore while .~3~ runs");
	has(out.err, "dt=2001-01-01.~3~' is still being archived");
	/* retry by origin path acts on the third (runnable): queued. */
	ok(RUN("retry", "--no-wait", "--json", P), "retry --no-wait");
	doc = parse(out.out);
	r0 = json_array_get(json_object_get(doc, "results"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(r0, "entry"), "bin_path")),
			 P ".~3~", "%s", out.out);
	json_decref(doc);
	ok(RUN("resume"), "resume");
	ok(RUN("restore", P, "--dry-run"), "restore --dry-run");
	has(out.out, "dt=2001-01-01.~3~");
	has(out.out, "3 files");
	/* The bin path of the first still names the first. */
	ok(RUN("restore", ".recyclebin/" P, "--dry-run"), "restore 1st");
	has(out.out, "1 file");
	lacks(out.out, ".~3~");
	/* purge by origin: the newest not purged, one at a time. */
	ok(RUN("purge", P), "purge newest");
	has(out.out, "purged '.recyclebin/" P ".~3~'");
	assert_state(P ".~3~", "purged");
	assert_state(P ".~2~", "archived");
	assert_state(P, "archived");
	ok(RUN("purge", P), "purge next");
	has(out.out, "purged '.recyclebin/" P ".~2~'");
	assert_state(P, "archived");
	ok(RUN("restore", P, "--dry-run"), "restore after two purges");
	has(out.out, "1 file");
}

Test(bin_truth, getfattr_names_the_newest_version)
{
	char *v;

	three_versions();
	ok(RUN("resume"), "resume");
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	v = sh("getfattr --only-values -n user.recyclefs.newest "
	       "mnt/.recyclebin/" P);
	cr_assert_str_eq(v, P ".~3~");
	free(v);
	v = sh("getfattr --only-values -n user.recyclefs.files "
	       "mnt/.recyclebin/" P " mnt/.recyclebin/" P ".~3~");
	cr_assert_str_eq(v, "13");
	free(v);
	/* setfattr on a version's bin path restores that version. */
	free(sh("setfattr -n user.recyclefs.restore -v '' "
		"mnt/.recyclebin/" P));
	cr_assert(rfs_test_sh_until(&m, 30,
				    "test \"$(ls " SRC "/dt=2001-01-01 | wc "
				    "-l)\" = 1 && test -s " SRC
				    "/dt=2001-01-01/part-1"),
		  "the first version (1 file) was not restored");
}

/* ------------------------------------------ 3. the bin is not an epoch */

/* Everything the catalog and the history hold, to compare. */
static char *catalog_dump(void)
{
	char *s;

	ok(RUN("ls", "--json"), "ls --json");
	s = strdup(out.out);
	ok(RUN("history", "--json"), "history --json");
	s = realloc(s, strlen(s) + strlen(out.out) + 1);
	strcat(s, out.out);
	return s;
}

Test(bin_truth, an_epoch_never_reaches_the_bin_or_another_epoch)
{
	char *before, *after, *bin_uri;

	/* A first archive makes the bin and its manifests folder. */
	fill(1);
	ok(RUN("archive", P), "archive");
	ok(RUN("lifecycle", "add", "sales.orders", "gold"), "lifecycle gold");
	before = catalog_dump();
	fails(RUN("epoch", "add", "sales.orders", "gold", "--from",
		  "2001-01-01", "--storage", "local", "--path", ".recyclebin"),
	      "epoch at the bin");
	one_line(out.err);
	has(out.err, "is inside the recycle storage of 'local'");
	fails(RUN("epoch", "add", "sales.orders", "gold", "--from",
		  "2001-01-01", "--storage", "local", "--path",
		  ".recyclebin/.recyclefs/manifests"),
	      "epoch at the manifests");
	one_line(out.err);
	fails(RUN("epoch", "add", "sales.orders", "gold", "--from",
		  "2001-01-01", "--storage", "local", "--path",
		  "orders/b1/dt=2001-01-01x", "--create"),
	      "epoch below another");
	/* orders/b1/dt=... is below the bronze epoch's orders/b1. */
	has(out.err, "is inside the location of epoch "
		     "'sales.orders/bronze/2001-01-01..2010-01-01'");
	one_line(out.err);
	cr_assert_neq(rfs_test_sh(&m, NULL, "test -e " SRC "/dt=2001-01-01x"),
		      0, "a refused epoch made its folder");
	fails(RUN("epoch", "add", "sales.orders", "gold", "--from",
		  "2001-01-01", "--storage", "local", "--path", "orders"),
	      "epoch above two");
	has(out.err, "contains the location of epoch");
	fails(RUN("epoch", "repoint", "sales.orders", "bronze",
		  "2001-01-01..2010-01-01", "--storage", "local", "--path",
		  ".recyclebin/" EP),
	      "repoint into the bin");
	has(out.err, "is inside the recycle storage of 'local'");
	one_line(out.err);
	fails(RUN("epoch", "repoint", "sales.orders", "bronze",
		  "2001-01-01..2010-01-01", "--storage", "local", "--path",
		  "orders/b2"),
	      "repoint onto the other epoch");
	has(out.err, "is the location of epoch "
		     "'sales.orders/bronze/2010-01-01..now'");
	bin_uri = malloc(256);
	snprintf(bin_uri, 256, "file://%s", rfs_test_data(&m, "orders/b2/bin"));
	fails(RUN("storage", "add", "tape", "file:///tmp", "--bin", bin_uri),
	      "a bin inside an epoch");
	has(out.err, "is inside epoch 'sales.orders/bronze/2010-01-01..now'");
	one_line(out.err);
	snprintf(bin_uri, 256, "file://%s", rfs_test_data(&m, "orders"));
	fails(RUN("storage", "add", "tape", "file:///tmp", "--bin", bin_uri),
	      "a bin around two epochs");
	has(out.err, "contains epoch");
	after = catalog_dump();
	cr_assert_str_eq(before, after, "a refusal changed the catalog");
	free(before);
	free(after);
	free(bin_uri);
	/* A folder beside the others is fine. */
	ok(RUN("epoch", "add", "sales.orders", "gold", "--from", "2001-01-01",
	       "--storage", "local", "--path", "orders/gold", "--create"),
	   "epoch beside");
}

/* ------------------------------------------------- 9. smaller mistakes */

Test(bin_truth, an_empty_index_file_is_no_index)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/empty.db", m.dir);
	free(sh("touch empty.db"));
	fails(rfs_test_run_recyclefs(&out, path, "ls", NULL), "ls");
	one_line(out.err);
	has(out.err, "run 'recyclefs init'");
	fails(rfs_test_run_recyclefs(&out, path, "status", NULL), "status");
	has(out.err, "run 'recyclefs init'");
	ok(rfs_test_run_recyclefs(&out, path, "init", NULL), "init");
	has(out.out, "initialized empty recyclefs index at");
	has(out.out, "(the file was empty)");
	ok(rfs_test_run_recyclefs(&out, path, "ls", NULL), "ls after init");
	has(out.out, "0 tables");
	ok(rfs_test_run_recyclefs(&out, path, "init", NULL), "init again");
	has(out.out, "index already exists");
	/* The reason says why a file that is there is no index. */
	free(sh("rm empty.db && touch empty.db"));
	fails(rfs_test_run_recyclefs(&out, path, "history", NULL), "history");
	has(out.err, "(the file is empty); run 'recyclefs init'");
}

Test(bin_truth, bad_mount_options_get_one_line)
{
	fails(RUN("mount", m.mnt, "-f", "-o", "bogusopt"), "mount -o bogusopt");
	one_line(out.err);
	has(out.err, "bad mount options 'bogusopt': unknown option");
	cr_assert_neq(rfs_test_sh(&m, NULL, "mountpoint -q mnt"), 0);
}

Test(bin_truth, dot_dot_in_a_path_is_refused)
{
	fill(1);
	ok(RUN("archive", P), "archive");
	fails(RUN("restore", EP "/../x", "--dry-run"), "restore ..");
	one_line(out.err);
	has(out.err, "has a '.' or '..' component");
	fails(RUN("restore", EP "/dt=2001-01-01/../dt=2001-01-01"),
	      "restore .. back");
	has(out.err, "'..' component");
	fails(RUN("wait", EP "/x/../dt=2001-01-01"), "wait ..");
	has(out.err, "'..' component");
	fails(RUN("purge", ".recyclebin/" EP "/../" EP "/dt=2001-01-01"),
	      "purge ..");
	has(out.err, "'..' component");
	fails(RUN("retry", EP "/./dt=2001-01-01"), "retry .");
	has(out.err, "'.' or '..' component");
	/* Nothing changed: the entry is still archived and in the bin. */
	assert_state(P, "archived");
	free(sh("test -s data/.recyclebin/" P "/part-1"));
	/* A ".." before the mount's table name is the shell's, not ours. */
	ok(RUN("wait", "../x/../" P), "wait through a mount-like path");
}

/* -------------------------------------------------- 5. a partial purge */

/* Lose the index: a new one with the same storage and catalog. */
static void new_index(void)
{
	rfs_test_new_index(&m);
	ok(RUN("table", "add", "sales.orders"), "table add");
	rfs_test_add_bronze(&m);
}

Test(bin_truth, a_partial_purge_keeps_manifest_and_counts_true)
{
	char *s, *uuid;
	json_t *doc, *e;

	/* 1003, 2003 and 3003 bytes. */
	fill(3);
	free(sh("cd " SRC "/dt=2001-01-01 && sha256sum part-1 part-3 > "
		"../../../../kept.sum"));
	ok(RUN("archive", P), "archive");
	e = entry_at(P, &doc);
	uuid = strdup(json_string_value(json_object_get(e, "uuid")));
	json_decref(doc);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	free(sh("rm mnt/.recyclebin/" P "/part-2"));
	/* The index's counts, as status, the attributes and ls say them. */
	cr_assert_eq(int_of(P, "files_total"), 2);
	cr_assert_eq(int_of(P, "bytes_total"), 1003 + 3003);
	ok(RUN("status"), "status");
	has(out.out, "2 files, 3.9 KiB");
	s = sh("getfattr --only-values -n user.recyclefs.files "
	       "mnt/.recyclebin/" P);
	cr_assert_str_eq(s, "2");
	free(s);
	s = sh("ls mnt/.recyclebin/" P);
	cr_assert_str_eq(s, "part-1\npart-3\n");
	free(s);
	/* The manifest was rewritten without it, and no temporary is left. */
	s = sh("cat data/.recyclebin/.recyclefs/manifests/%s.json", uuid);
	lacks(s, "part-2");
	has(s, "part-3");
	has(s, "\"files_total\":2,\"bytes_total\":4006");
	free(s);
	free(sh("test -z \"$(ls -A data/.recyclebin/.recyclefs/manifests | "
		"grep tmp)\""));
	cr_assert_eq(rfs_test_mount_stop(&m), 0);

	/* Lose the index: the manifest alone rebuilds the same entry. */
	new_index();
	ok(RUN("reindex"), "reindex");
	has(out.out, "1 entry added");
	cr_assert_eq(int_of(P, "files_total"), 2);
	cr_assert_eq(int_of(P, "bytes_total"), 4006);
	ok(RUN("restore", P), "restore after reindex");
	has(out.out, "2 files");
	free(sh("cd " SRC "/dt=2001-01-01 && sha256sum -c ../../../../kept.sum"
		" && test ! -e part-2 && test \"$(ls | wc -l)\" = 2"));
	free(uuid);
}

/* ----------------------------------------------------- 8. names are data */

/* A partition whose name holds a newline, a tab, an escape and a byte
 * that is not UTF-8, with a file named with a newline too. */
#define ODD_SH	"dt=a$(printf '\\nb\\t\\033c\\377')"
#define ODD	"dt=a\nb\t\033c\377"
#define ODD_ESC "dt=a\\nb\\t\\x1bc\\xff"

static void odd_partition(const char *root)
{
	free(sh("d=\"%s/" ODD_SH "\" && mkdir -p \"$d\" && "
		"head -c 5000 /dev/urandom > \"$d/part-0\" && "
		"head -c 7000 /dev/urandom > \"$d/$(printf 'x\\ny')\" && "
		"cd \"$d\" && sha256sum part-0 > \"$OLDPWD/odd.sum\" && "
		"cat \"$(printf 'x\\ny')\" | sha256sum >> \"$OLDPWD/odd.sum\"",
		root));
}

static void odd_restored(void)
{
	free(sh("d=\"" SRC "/" ODD_SH "\" && cd \"$d\" && "
		"{ sha256sum part-0; cat \"$(printf 'x\\ny')\" | sha256sum; } "
		"| diff - \"$OLDPWD/odd.sum\" && test \"$(ls -A | wc -l)\" = 3"));
}

Test(bin_truth, names_with_any_byte_archive_restore_and_purge)
{
	json_t *doc, *e, *r0;

	odd_partition(SRC);
	ok(RUN("archive", EP "/" ODD), "archive an odd name");
	one_line(out.out);
	has(out.out, "archived '" EP "/" ODD_ESC "' to '.recyclebin/" EP
		     "/" ODD_ESC "' (2 files,");
	free(sh("test ! -e \"" SRC "/" ODD_SH "\" && test -d "
		"\"data/.recyclebin/" EP "/" ODD_SH "\""));
	/* Reports stay one line a name; --json carries the exact bytes. */
	ok(RUN("status"), "status");
	has(out.out, ODD_ESC);
	lacks(out.out, "\033");
	ok(RUN("status", "--json"), "status --json");
	doc = parse(out.out);
	e = json_array_get(json_object_get(doc, "entries"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(e, "bin_path"), "hex")),
			 "73616c65732e6f72646572732f62726f6e7a652f323030312d"
			 "30312d30312e2e323031302d30312d30312f64743d610a62"
			 "091b63ff",
			 "%s", out.out);
	json_decref(doc);
	/* Lose the index: the manifest keeps the bytes too. */
	new_index();
	ok(RUN("reindex"), "reindex");
	has(out.out, "1 entry added");
	ok(RUN("restore", EP "/" ODD, "--json"), "restore");
	doc = parse(out.out);
	cr_assert_not_null(doc);
	json_decref(doc);
	odd_restored();
	ok(RUN("purge", "--json", EP "/" ODD), "purge");
	doc = parse(out.out);
	r0 = json_array_get(json_object_get(doc, "results"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(r0, "result")),
			 "purged", "%s", out.out);
	json_decref(doc);
	free(sh("test ! -e \"data/.recyclebin/" EP "/" ODD_SH "\""));
}

Test(bin_truth, names_with_any_byte_through_the_mount)
{
	char *log;

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	odd_partition("mnt/" EP);
	free(sh("mv \"mnt/" EP "/" ODD_SH "\" mnt/.recyclebin/"));
	ok(RUN("wait", EP "/" ODD), "wait");
	one_line(out.out);
	has(out.out, ODD_ESC);
	free(sh("cmp \"mnt/.recyclebin/" EP "/" ODD_SH "/part-0\" "
		"\"data/.recyclebin/" EP "/" ODD_SH "/part-0\""));
	/* cp -a back out, then rm -rf purges. */
	free(sh("cp -a \"mnt/.recyclebin/" EP "/" ODD_SH "\" mnt/" EP "/"));
	odd_restored();
	free(sh("rm -rf \"mnt/.recyclebin/" EP "/" ODD_SH "\""));
	/* the mount's workers run the purge */
	cr_expect(rfs_test_sh_until(&m, 30,
				    "recyclefs status --all --json | grep -q "
				    "'\"state\": \"purged\"'"));
	assert_state(EP "/" ODD, "purged");
	free(sh("test ! -e \"data/.recyclebin/" EP "/" ODD_SH "\""));
	/* The daemon's log has no line broken by a name. */
	log = rfs_test_mount_log(&m);
	lacks(log, "\nb\t");
	free(log);
}
