/*
 * Restore: `recyclefs restore` and the mount's setfattr and cp -a, checked
 * against the bytes, modes and times the data had before it was archived:
 * to the original place, into another epoch or a folder of it, to a URI;
 * family refusals, conflicts and --overwrite, corruption, the metastore
 * hook's add_partitions order, and a restore killed at every backend call.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/fixture.h"
#include "tests/support/kill_sweep.h"

static struct rfs_test_mount m;
static struct rfs_test_out out;

/* The closed bronze epoch, on local:orders/b1, and its partitions. */
#define EP     "sales.orders/bronze/2001-01-01..2010-01-01"
#define P1     EP "/dt=2001-01-01"
#define P2     EP "/dt=2005-03-01"
#define B2     "sales.orders/bronze/2010-01-01..now"
#define SILVER "sales.orders/silver/2013-01-01..now"
#define GOLD   "sales.orders/gold/2013-01-01..now"
#define SRC    "data/orders/b1"

#define RUN(...)    rfs_test_cli(&m, &out, __VA_ARGS__)
#define sh(...)	    rfs_test_sh_ok(&m, __VA_ARGS__)
#define ok(r, what) rfs_test_ok(&out, (r), (what))
#define has	    rfs_test_has

/* The trees of both partitions before anything was archived. */
static char *before_p1, *before_p2;

static bool sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool sh_ok(const char *fmt, ...)
{
	char line[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return rfs_test_sh(&m, NULL, "%s", line) == 0;
}

/* The shell line's stdout is @p want. */
static void sh_is(const char *want, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sh_is(const char *want, const char *fmt, ...)
{
	char line[8192], *have;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	have = sh("%s", line);
	cr_assert_str_eq(have, want, "'%s' printed '%s', want '%s'", line, have,
			 want);
	free(have);
}

/* The command failed with status 1 and one line on stderr. */
static void fails(int r, const char *what)
{
	cr_assert_eq(r, 1, "%s: status %d, stdout: %s, stderr: %s", what, r,
		     out.out, out.err);
	cr_assert_eq(strncmp(out.err, "recyclefs: ", 11), 0, "%s: %s", what,
		     out.err);
	cr_assert_eq(strchr(out.err, '\n'), out.err + strlen(out.err) - 1,
		     "%s: not one line: %s", what, out.err);
}

/* Every file, folder and symlink below @p dir (relative to the test's
 * directory): type, mode, mtime to the nanosecond, each file's SHA-256
 * and each symlink's target. Names 'extra.txt' are left out. */
static char *tree(const char *dir)
{
	return sh("cd '%s' && find . ! -name extra.txt | LC_ALL=C sort | "
		  "while read -r f; do stat -c '%%n %%F %%a %%y' \"$f\"; "
		  "if test -L \"$f\"; then readlink \"$f\"; "
		  "elif test -f \"$f\"; then sha256sum \"$f\"; fi; done",
		  dir);
}

static void same_tree(const char *before, const char *dir)
{
	char *now = tree(dir);

	cr_assert_str_eq(now, before, "'%s' differs from the original", dir);
	free(now);
}

/* Everything under data/ but the bin, with sizes and mtimes. */
static char *outside_bin(void)
{
	return sh("cd data && find . -path ./.recyclebin -prune -o -printf "
		  "'%%p %%y %%s %%T@\\n' | LC_ALL=C sort");
}

/* Nothing changed outside the bin since @p before (frees it). */
static void same_outside(char *before)
{
	char *now = outside_bin();

	cr_assert_str_eq(now, before, "something was written");
	free(now);
	free(before);
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);

	cr_assert_not_null(doc, "bad JSON (%s): %s", e.text, text);
	return doc;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "'%s' is not a string", key);
	return json_string_value(v);
}

/* The entry at @p bin_path in `status --all --json`: its state. */
static char *entry_state(const char *bin_path)
{
	json_t *doc, *e;
	char *s = NULL;
	size_t i;

	ok(RUN("status", "--all", "--json"), "status");
	doc = parse(out.out);
	json_array_foreach(json_object_get(doc, "entries"), i, e)
	{
		if (!strcmp(str(e, "bin_path"), bin_path))
			s = strdup(str(e, "state"));
	}
	json_decref(doc);
	cr_assert_not_null(s, "no entry '%s'", bin_path);
	return s;
}

static void entry_is(const char *bin_path, const char *want)
{
	char *s = entry_state(bin_path);

	cr_assert_str_eq(s, want, "'%s' is %s", bin_path, s);
	free(s);
}

/* `restore --status --json`, parsed: its array of restores. */
static json_t *restores(void)
{
	ok(RUN("restore", "--status", "--json"), "restore --status");
	return parse(out.out);
}

static size_t n_restores(void)
{
	json_t *doc = restores();
	size_t n = json_array_size(json_object_get(doc, "restores"));

	json_decref(doc);
	return n;
}

/* Write an executable script at DIR/@p name. */
static void write_script(const char *name, const char *body)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", m.dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, 0755), 0);
}

/*
 * The metastore hook: keeps each document as hook.<action>.json and, on
 * add_partitions, whether every file listed in sums.now was then in place
 * with its bytes under the folder named by the file 'hook.root'
 * ("present" or "absent" appended to hook.log).
 */
static void install_hook(void)
{
	char body[2048], hook[160];

	snprintf(body, sizeof(body),
		 "cd %s || exit 9\n"
		 "doc=$(cat)\n"
		 "action=$(printf '%%s' \"$doc\" | sed -n "
		 "'s/.*\"action\": \"\\([a-z_]*\\)\".*/\\1/p')\n"
		 "printf '%%s\\n' \"$doc\" > hook.$action.json\n"
		 "test \"$action\" = add_partitions || exit 0\n"
		 "if (cd \"$(cat hook.root)\" && sha256sum -c --quiet "
		 "%s/sums.now) > /dev/null 2>&1\n"
		 "then echo present; else echo absent; fi >> hook.log\n",
		 m.dir, m.dir);
	write_script("hook.sh", body);
	snprintf(hook, sizeof(hook), "%s/hook.sh", m.dir);
	ok(RUN("config", "set", "metastore.hook", hook), "config set hook");
}

/* A hook that waits (up to a minute) for the file 'go'; set it with
 * `config set metastore.hook "$PWD/slow.sh"`. */
static void slow_hook(void)
{
	write_script("slow.sh", "cat > /dev/null\ni=0\n"
				"while [ ! -e \"$(dirname \"$0\")/go\" ] && "
				"[ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); "
				"done\n");
}

/* What the hook checks on add_partitions: the files of @p which
 * (all.sums, p1.sums or p2.sums) under @p root. */
static void hook_expects(const char *which, const char *root)
{
	free(sh("cp %s sums.now && printf '%%s/%%s' \"$PWD\" '%s' > hook.root",
		which, root));
}

/*
 * sales.orders: bronze 2001-01-01..2010-01-01 on local:orders/b1 holding
 * two partitions of known bytes, modes and nanosecond mtimes (a nested
 * folder and a symlink in the first), bronze 2010-01-01..now on
 * local:orders/b2, silver 2013-01-01..now on local:orders/s1, and gold
 * on postgres storage 'pg-main'. Not mounted.
 */
static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	free(sh("mkdir -p " SRC "/dt=2001-01-01/nested/deeper " SRC
		"/dt=2005-03-01 data/orders/b2 data/orders/s1 && cd " SRC
		" && printf 'alpha\\n' > dt=2001-01-01/part-0.parquet && "
		"head -c 100000 /dev/urandom > dt=2001-01-01/part-1.parquet && "
		"printf 'deep\\n' > dt=2001-01-01/nested/deeper/c.bin && "
		"ln -s part-0.parquet dt=2001-01-01/link && "
		"printf 'march\\n' > dt=2005-03-01/part-0.parquet && "
		"head -c 70000 /dev/urandom > dt=2005-03-01/part-1.parquet && "
		"chmod 0640 dt=2001-01-01/part-0.parquet && "
		"chmod 0600 dt=2001-01-01/part-1.parquet && "
		"chmod 0444 dt=2005-03-01/part-0.parquet && "
		"chmod 0750 dt=2001-01-01/nested && "
		"touch -h -d '2001-02-03 04:05:06.123456789' "
		"dt=2001-01-01/part-0.parquet dt=2001-01-01/link "
		"dt=2001-01-01/nested/deeper/c.bin && "
		"touch -d '2001-01-01 00:00:01.000000001' "
		"dt=2001-01-01/part-1.parquet && "
		"touch -d '2005-03-01 12:00:00.5' dt=2005-03-01/part-0.parquet "
		"dt=2005-03-01/part-1.parquet && "
		"touch -d '2002-02-02 02:02:02.222222222' "
		"dt=2001-01-01/nested/deeper dt=2001-01-01/nested && "
		"touch -d '2003-03-03 03:03:03.333333333' dt=2001-01-01 "
		"dt=2005-03-01 && "
		"find . -type f -exec sha256sum {} + | LC_ALL=C sort "
		"> ../../../all.sums && "
		"cd dt=2001-01-01 && find . -type f -exec sha256sum {} + "
		"> ../../../../p1.sums && cd ../dt=2005-03-01 && "
		"find . -type f -exec sha256sum {} + > ../../../../p2.sums"));
	before_p1 = tree(SRC "/dt=2001-01-01");
	before_p2 = tree(SRC "/dt=2005-03-01");
	ok(RUN("storage", "add", "pg-main", "postgres://db.internal/lake"),
	   "storage add pg-main");
	ok(RUN("table", "add", "sales.orders"), "table add");
	rfs_test_add_bronze(&m);
	ok(RUN("lifecycle", "add", "sales.orders", "silver"), "lifecycle");
	ok(RUN("lifecycle", "add", "sales.orders", "gold"), "lifecycle");
	ok(RUN("epoch", "add", "sales.orders", "silver", "--from", "2013-01-01",
	       "--storage", "local", "--path", "orders/s1"),
	   "epoch s1");
	ok(RUN("epoch", "add", "sales.orders", "gold", "--from", "2013-01-01",
	       "--storage", "pg-main", "--path", "orders"),
	   "epoch gold");
}

static void teardown(void)
{
	free(before_p1);
	free(before_p2);
	before_p1 = before_p2 = NULL;
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

/* One timeout for the suite, long enough for the kill-point sweep: a test
 * of its own overriding it makes Criterion 2.4 leak its timer at exit,
 * which LeakSanitizer reports. */
TestSuite(restore, .init = setup, .fini = teardown, .timeout = 1500);

static void archive(const char *path)
{
	ok(RUN("archive", path), "archive");
}

/* ------------------------------------------------------ where it goes */

Test(restore, to_the_original_place_keeps_the_bin_entry)
{
	json_t *doc, *r;

	archive(P1);
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"));
	ok(RUN("restore", ".recyclebin/" P1), "restore");
	cr_assert_str_eq(out.out, "restored '.recyclebin/" P1 "' to '" P1
				  "' (4 files, 97.7 KiB)\n");
	cr_assert_str_eq(out.err, "");
	same_tree(before_p1, SRC "/dt=2001-01-01");
	/* The entry stays in the bin, archived, with its data. */
	entry_is(P1, "archived");
	cr_assert(sh_ok("cd data/.recyclebin/" P1 " && sha256sum -c --quiet "
			"../../../../../../p1.sums"));
	doc = restores();
	cr_assert_eq(json_array_size(json_object_get(doc, "restores")), 1);
	r = json_array_get(json_object_get(doc, "restores"), 0);
	cr_assert_str_eq(str(r, "state"), "done");
	cr_assert_str_eq(str(r, "entry"), P1);
	cr_assert_str_eq(str(r, "sub"), "");
	cr_assert_str_eq(str(r, "target"), P1);
	has(str(r, "target_uri"), "/data/orders/b1/dt=2001-01-01");
	cr_assert_eq(json_integer_value(json_object_get(r, "files_total")), 4);
	cr_assert(json_is_null(json_object_get(r, "reason")));
	json_decref(doc);
	/* The text form. */
	ok(RUN("restore", "--status"), "restore --status");
	has(out.out, "ID  ENTRY");
	has(out.out, ".recyclebin/" P1);
	has(out.out, "done");
}

Test(restore, paths_are_bin_origin_or_mount_paths)
{
	archive(P1);
	archive(P2);
	/* An origin path. */
	ok(RUN("restore", P2), "restore by origin");
	same_tree(before_p2, SRC "/dt=2005-03-01");
	/* A path through a mount that is not mounted here. */
	ok(RUN("restore", "/mnt/lake/.recyclebin/" P1 "/"), "through a mount");
	same_tree(before_p1, SRC "/dt=2001-01-01");
}

Test(restore, a_partition_out_of_an_archived_epoch_then_the_whole_epoch)
{
	archive(EP);
	cr_assert(sh_ok("test -z \"$(ls -A " SRC ")\""), "epoch not emptied");
	/* A path below the entry's root: that partition only. */
	ok(RUN("restore", ".recyclebin/" P2), "restore one partition");
	cr_assert_str_eq(out.out, "restored '.recyclebin/" P2 "' to '" P2
				  "' (2 files, 68.4 KiB)\n");
	same_tree(before_p2, SRC "/dt=2005-03-01");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"),
		  "too much restored");
	/* Then all of it: the partition already back is skipped. */
	ok(RUN("restore", EP), "restore the epoch");
	cr_assert_str_eq(out.out, "restored '.recyclebin/" EP "' to '" EP
				  "' (6 files, 166.0 KiB)\n");
	same_tree(before_p1, SRC "/dt=2001-01-01");
	same_tree(before_p2, SRC "/dt=2005-03-01");
	entry_is(EP, "archived");
}

Test(restore, into_another_epoch_and_a_folder_of_it)
{
	archive(P1);
	ok(RUN("restore", P1, "--to", SILVER), "restore --to silver");
	cr_assert_str_eq(out.out, "restored '.recyclebin/" P1 "' to '" SILVER
				  "/dt=2001-01-01' (4 files, 97.7 KiB)\n");
	same_tree(before_p1, "data/orders/s1/dt=2001-01-01");
	ok(RUN("restore", P1, "--to", SILVER "/sub"),
	   "restore --to silver/sub");
	same_tree(before_p1, "data/orders/s1/sub/dt=2001-01-01");
	/* The original place was left alone. */
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"));
	/* A folder of the item, into the open bronze epoch. */
	ok(RUN("restore", ".recyclebin/" P1 "/nested", "--to", B2),
	   "restore a folder");
	cr_assert(sh_ok("cmp data/orders/b2/nested/deeper/c.bin "
			"data/.recyclebin/" P1 "/nested/deeper/c.bin"));
}

Test(restore, to_a_uri)
{
	char uri[160];

	archive(P1);
	snprintf(uri, sizeof(uri), "file://%s/elsewhere", m.dir);
	ok(RUN("restore", P1, "--to-uri", uri), "restore --to-uri");
	has(out.out, "to 'file://");
	has(out.out, "/elsewhere/dt=2001-01-01' (4 files, 97.7 KiB)");
	same_tree(before_p1, "elsewhere/dt=2001-01-01");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"));
}

Test(restore, the_original_place_follows_closed_and_repointed_epochs)
{
	char *before;

	/* An item of the open epoch, which is closed meanwhile. */
	free(sh("cp -a " SRC "/dt=2005-03-01 data/orders/b2/"));
	before = tree("data/orders/b2/dt=2005-03-01");
	archive(B2 "/dt=2005-03-01");
	ok(RUN("epoch", "close", "sales.orders", "bronze", "--at",
	       "2013-01-01"),
	   "epoch close");
	ok(RUN("restore", B2 "/dt=2005-03-01"), "restore");
	has(out.out, "to 'sales.orders/bronze/2010-01-01..2013-01-01/"
		     "dt=2005-03-01'");
	same_tree(before, "data/orders/b2/dt=2005-03-01");
	free(before);
	/* An epoch re-pointed to another place: restored there. */
	archive(P1);
	free(sh("mkdir -p data/orders/b1new"));
	ok(RUN("epoch", "repoint", "sales.orders", "bronze",
	       "2001-01-01..2010-01-01", "--storage", "local", "--path",
	       "orders/b1new"),
	   "epoch repoint");
	ok(RUN("restore", P1), "restore after repoint");
	same_tree(before_p1, "data/orders/b1new/dt=2001-01-01");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"));
}

/* Folders are made in parallel batches: a folder must never be made
 * before the folder that holds it. */
Test(restore, folders_are_made_before_what_they_hold)
{
	ok(RUN("config", "set", "jobs.parallel_files", "4"), "config set");
	archive(P1);
	for (int i = 0; i < 25; i++) {
		free(sh("rm -rf data/orders/s1/dt=2001-01-01"));
		ok(RUN("restore", P1, "--to", SILVER), "restore");
		same_tree(before_p1, "data/orders/s1/dt=2001-01-01");
	}
}

/* -------------------------------------------------------- refusals */

Test(restore, another_family_or_a_bad_target_is_refused_before_any_byte)
{
	char *before;

	archive(P1);
	before = outside_bin();
	fails(RUN("restore", P1, "--to", GOLD), "--to gold");
	has(out.err, "blob data");
	has(out.err, "relational");
	has(out.err, "'pg-main'");
	fails(RUN("restore", P1, "--to-uri", "postgres://h/db"), "postgres");
	has(out.err, "blob data");
	has(out.err, "relational");
	fails(RUN("restore", P1, "--to-uri", "foo://x"), "foo://");
	has(out.err, "unknown scheme");
	fails(RUN("restore", P1, "--to", "sales.orders/silver"), "lifecycle");
	has(out.err, "not an epoch path");
	fails(RUN("restore", P1, "--to", "sales.orders/nope/2013-01-01..now"),
	      "unknown lifecycle");
	/* Nothing written anywhere, nothing recorded. */
	same_outside(before);
	cr_assert_eq(n_restores(), 0, "a refused restore was recorded");
	cr_assert(sh_ok("test ! -e h && test ! -e x"));
	/* Usage errors. */
	cr_assert_eq(
		RUN("restore", P1, "--to", SILVER, "--to-uri", "file:///x"), 2);
	cr_assert_eq(RUN("restore"), 2);
	cr_assert_eq(RUN("restore", "--status", "--to", SILVER), 2);
}

Test(restore, differing_files_are_refused_unless_overwrite)
{
	char *ino;

	archive(P1);
	free(sh("mkdir -p " SRC "/dt=2001-01-01 && printf 'changed\\n' > " SRC
		"/dt=2001-01-01/part-0.parquet && printf 'mine\\n' > " SRC
		"/dt=2001-01-01/extra.txt"));
	fails(RUN("restore", P1), "restore onto a differing file");
	has(out.err, "part-0.parquet");
	has(out.err, "--overwrite");
	has(out.err, "nothing was restored");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01/part-1.parquet && "
			"test ! -e " SRC "/dt=2001-01-01/nested && "
			"test \"$(cat " SRC "/dt=2001-01-01/part-0.parquet)\" "
			"= changed"),
		  "something was copied");
	/* --overwrite replaces it and deletes nothing. */
	ok(RUN("restore", P1, "--overwrite"), "restore --overwrite");
	same_tree(before_p1, SRC "/dt=2001-01-01");
	cr_assert(sh_ok("test \"$(cat " SRC "/dt=2001-01-01/extra.txt)\" = "
			"mine"),
		  "an extra file was touched");
	/* Again: identical files are skipped, nothing changes. */
	ino = sh("stat -c %%i " SRC "/dt=2001-01-01/part-1.parquet");
	ok(RUN("restore", P1), "second restore");
	has(out.out, "restored '.recyclebin/" P1 "'");
	same_tree(before_p1, SRC "/dt=2001-01-01");
	cr_assert(sh_ok("test \"$(stat -c %%i " SRC
			"/dt=2001-01-01/part-1.parquet)\" = %s",
			ino),
		  "an identical file was rewritten");
	free(ino);
}

Test(restore, a_corrupt_recycle_copy_restores_nothing)
{
	archive(P1);
	free(sh("printf 'Z' | dd of=data/.recyclebin/" P1
		"/part-1.parquet bs=1 seek=5000 conv=notrunc 2>/dev/null"));
	fails(RUN("restore", P1), "restore of a corrupt copy");
	has(out.err, "corrupt");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"),
		  "data was restored");
	ok(RUN("restore", "--status"), "status");
	has(out.out, "failed (check)");
}

Test(restore, unknown_archiving_and_purged_entries_are_refused)
{
	char *before;

	fails(RUN("restore", EP "/dt=1999-01-01"), "unknown entry");
	has(out.err, "nothing in the recycle bin");
	fails(RUN("restore", ".recyclebin/nothing/here"), "unknown bin path");
	/* Purged. */
	archive(P2);
	ok(RUN("purge", P2), "purge");
	fails(RUN("restore", ".recyclebin/" P2), "purged entry");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2005-03-01"));
	/* Still archiving: the hook holds it in unpublish. */
	slow_hook();
	free(sh("recyclefs config set metastore.hook \"$PWD/slow.sh\" && "
		"(recyclefs archive " P1 " > bg.log 2>&1 &)"));
	cr_assert(rfs_test_sh_until(&m, 30,
				    "recyclefs status --json | grep -q "
				    "'\"state\": \"unpublish\"'"));
	before = outside_bin();
	fails(RUN("restore", P1), "archiving entry");
	has(out.err, "still being archived");
	same_outside(before);
	free(sh("touch go"));
	ok(RUN("wait", "--timeout", "60", P1), "wait");
	/* Once archived it restores. */
	ok(RUN("restore", P1), "restore after the archive");
	same_tree(before_p1, SRC "/dt=2001-01-01");
}

/* A purge while a restore runs: whatever wins, the index never says an
 * entry is archived once its recycle copy is gone. */
Test(restore, a_purge_during_a_restore_never_leaves_an_archived_entry_empty)
{
	bool archived, purged;
	char *state;

	archive(P2);
	slow_hook();
	free(sh("recyclefs config set metastore.hook \"$PWD/slow.sh\" && "
		"(recyclefs restore " P2 " --to " SILVER " > bg.log 2>&1 &)"));
	/* The restore waits in publish, its data copied. */
	cr_assert(rfs_test_sh_until(&m, 30,
				    "recyclefs restore --status | grep -q "
				    "' publish '"));
	RUN("purge", P2); /* refused or done: both are fine */
	free(sh("touch go"));
	cr_assert(rfs_test_sh_until(&m, 30,
				    "recyclefs restore --status --json | grep "
				    "-qE '\"state\": \"(done|failed)\"'"));
	state = entry_state(P2);
	archived = !strcmp(state, "archived");
	purged = !strcmp(state, "purged");
	free(state);
	if (archived)
		cr_assert(sh_ok("cd data/.recyclebin/" P2 " && sha256sum -c "
				"--quiet ../../../../../../p2.sums"),
			  "the entry says archived but its recycle copy is "
			  "gone");
	else
		cr_assert(purged, "the entry is neither archived nor purged");
}

/* ------------------------------------------------------- many at once */

Test(restore, a_table_needs_a_lifecycle_which_restores_each_item)
{
	archive(P1);
	archive(P2);
	fails(RUN("restore", "sales.orders"), "a whole table");
	has(out.err, "--lifecycle");
	has(out.err, "rarely wanted");
	fails(RUN("restore", "sales.orders/bronze"), "a lifecycle");
	has(out.err, "--lifecycle bronze");
	cr_assert_eq(n_restores(), 0);
	fails(RUN("restore", "sales.orders", "--lifecycle", "nope"),
	      "unknown lifecycle");
	fails(RUN("restore", "nope", "--lifecycle", "bronze"), "unknown table");
	ok(RUN("restore", "sales.orders", "--lifecycle", "silver"), "none");
	has(out.out, "nothing to restore");
	ok(RUN("restore", "sales.orders", "--lifecycle", "bronze"),
	   "restore --lifecycle bronze");
	has(out.out, "restored '.recyclebin/" P1 "' to '" P1 "'");
	has(out.out, "restored '.recyclebin/" P2 "' to '" P2 "'");
	same_tree(before_p1, SRC "/dt=2001-01-01");
	same_tree(before_p2, SRC "/dt=2005-03-01");
	/* --to EPOCH means an epoch of that lifecycle. */
	ok(RUN("restore", "sales.orders", "--lifecycle", "bronze", "--to",
	       "2010-01-01..now"),
	   "restore --lifecycle --to EPOCH");
	same_tree(before_p1, "data/orders/b2/dt=2001-01-01");
	same_tree(before_p2, "data/orders/b2/dt=2005-03-01");
}

Test(restore, dry_run_json_and_no_wait)
{
	json_t *doc, *r;
	char *before;

	archive(P1);
	before = outside_bin();
	ok(RUN("restore", P1, "--to", SILVER, "--dry-run"), "dry run");
	cr_assert_str_eq(out.out,
			 "would restore '.recyclebin/" P1 "' to '" SILVER
			 "/dt=2001-01-01' (4 files, 97.7 KiB)\n");
	ok(RUN("restore", P1, "--dry-run", "--json"), "dry run --json");
	doc = parse(out.out);
	r = json_array_get(json_object_get(doc, "restores"), 0);
	cr_assert(json_is_null(json_object_get(r, "id")));
	cr_assert_str_eq(str(r, "state"), "planned");
	cr_assert_str_eq(str(r, "target"), P1);
	cr_assert_eq(json_integer_value(json_object_get(r, "bytes_total")),
		     100011);
	json_decref(doc);
	same_outside(before);
	cr_assert_eq(n_restores(), 0, "a dry run was recorded");
	/* A refusal in JSON. */
	cr_assert_eq(RUN("restore", P1, "--to", GOLD, "--json"), 1);
	doc = parse(out.out);
	r = json_array_get(json_object_get(doc, "restores"), 0);
	cr_assert_str_eq(str(r, "state"), "refused");
	has(str(r, "reason"), "relational");
	cr_assert_str_eq(str(r, "path"), P1);
	json_decref(doc);
	/* --no-wait records it for a mount's workers; resume runs it. */
	ok(RUN("restore", P1, "--no-wait"), "--no-wait");
	has(out.out, "restoring '.recyclebin/" P1 "' to '" P1 "'");
	cr_assert(sh_ok("test ! -e " SRC "/dt=2001-01-01"));
	ok(RUN("restore", "--status"), "status");
	has(out.out, "check (waiting)");
	has(out.out, "1 restore waits for a process");
	ok(RUN("resume"), "resume");
	has(out.out, "restored to '" P1 "'");
	same_tree(before_p1, SRC "/dt=2001-01-01");
	/* The JSON of a restore run here. */
	ok(RUN("restore", P1, "--json"), "restore --json");
	doc = parse(out.out);
	r = json_array_get(json_object_get(doc, "restores"), 0);
	cr_assert(json_is_integer(json_object_get(r, "id")));
	cr_assert_str_eq(str(r, "state"), "done");
	cr_assert_str_eq(str(r, "entry"), P1);
	json_decref(doc);
}

/* ---------------------------------------------------- metastore hook */

/* The last add_partitions document the hook got. */
static json_t *hook_doc(void)
{
	char *text = sh("cat hook.add_partitions.json");
	json_t *doc = parse(text);

	free(text);
	return doc;
}

Test(restore, the_hook_adds_partitions_once_the_data_is_in_place)
{
	json_t *doc, *parts, *p;
	char loc[256];

	install_hook();
	archive(EP);
	hook_expects("all.sums", SRC);
	ok(RUN("restore", EP), "restore");
	sh_is("present\n", "cat hook.log");
	doc = hook_doc();
	cr_assert_str_eq(str(doc, "action"), "add_partitions");
	cr_assert_str_eq(str(doc, "table"), "sales.orders");
	cr_assert_str_eq(str(doc, "lifecycle"), "bronze");
	cr_assert_str_eq(str(doc, "epoch"), "2001-01-01..2010-01-01");
	parts = json_object_get(doc, "partitions");
	cr_assert_eq(json_array_size(parts), 2);
	p = json_array_get(parts, 0);
	cr_assert_str_eq(str(p, "spec"), "dt=2001-01-01");
	snprintf(loc, sizeof(loc), "file://%s/" SRC "/dt=2001-01-01", m.dir);
	cr_assert_str_eq(str(p, "location"), loc);
	p = json_array_get(parts, 1);
	cr_assert_str_eq(str(p, "spec"), "dt=2005-03-01");
	cr_assert_str_eq(str(json_object_get(p, "values"), "dt"), "2005-03-01");
	json_decref(doc);

	/* Into silver: the partitions are silver's, at their new place. */
	hook_expects("p1.sums", "data/orders/s1/dt=2001-01-01");
	ok(RUN("restore", P1, "--to", SILVER), "restore --to silver");
	sh_is("present\npresent\n", "cat hook.log");
	doc = hook_doc();
	cr_assert_str_eq(str(doc, "lifecycle"), "silver");
	cr_assert_str_eq(str(doc, "epoch"), "2013-01-01..now");
	parts = json_object_get(doc, "partitions");
	cr_assert_eq(json_array_size(parts), 1);
	snprintf(loc, sizeof(loc), "file://%s/data/orders/s1/dt=2001-01-01",
		 m.dir);
	cr_assert_str_eq(str(json_array_get(parts, 0), "location"), loc);
	json_decref(doc);

	/* A failing hook fails the restore at publish, data in place. */
	write_script("hook.sh", "cat > /dev/null\necho 'metastore down' >&2\n"
				"exit 3\n");
	fails(RUN("restore", P2, "--to", SILVER), "failing hook");
	has(out.err, "failed at publish");
	has(out.err, "metastore down");
	cr_assert(sh_ok("cd data/orders/s1/dt=2005-03-01 && sha256sum -c "
			"--quiet ../../../../p2.sums"));
}

/* ------------------------------------------------------ through a mount */

Test(restore, through_a_mount_cp_a_and_setfattr)
{
	char *before;

	archive(P1);
	archive(P2);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	/* cp -a out of the bin is a plain copy, bytes, modes and times. */
	free(sh("cp -a mnt/.recyclebin/" P2 " mnt/" B2 "/"));
	same_tree(before_p2, "data/orders/b2/dt=2005-03-01");
	/* setfattr starts a restore the mount's workers run. */
	free(sh("setfattr -n user.recyclefs.restore -v " SILVER
		" mnt/.recyclebin/" P1));
	cr_assert(rfs_test_sh_until(&m, 30,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.restore_state "
				    "mnt/.recyclebin/" P1 ")\" = done"),
		  "restore not done");
	same_tree(before_p1, "data/orders/s1/dt=2001-01-01");
	sh_is(SILVER "/dt=2001-01-01",
	      "getfattr --only-values -n user.recyclefs.restored_to "
	      "mnt/.recyclebin/" P1);
	sh_is("archived", "getfattr --only-values -n user.recyclefs.state "
			  "mnt/.recyclebin/" P1);
	/* An empty value: back to the original place. */
	free(sh("setfattr -n user.recyclefs.restore -v '' mnt/.recyclebin/" P2));
	cr_assert(rfs_test_sh_until(&m, 30,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.restored_to "
				    "mnt/.recyclebin/" P2 ")\" = " P2));
	cr_assert(rfs_test_sh_until(&m, 30,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.restore_state "
				    "mnt/.recyclebin/" P2 ")\" = done"));
	same_tree(before_p2, SRC "/dt=2005-03-01");
	/* Into postgres: refused with an error, nothing written. */
	before = outside_bin();
	cr_assert_neq(rfs_test_sh(&m, &out,
				  "setfattr -n user.recyclefs.restore -v " GOLD
				  " mnt/.recyclebin/" P1),
		      0, "setfattr to gold worked");
	cr_assert_neq(out.err[0], '\0');
	same_outside(before);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
}

/* ----------------------------------------------------------- crashes */

static void all_restored(const char *when)
{
	char *p1 = tree(SRC "/dt=2001-01-01"), *p2 = tree(SRC "/dt=2005-03-01");

	cr_assert_str_eq(p1, before_p1, "%s: dt=2001-01-01 differs", when);
	cr_assert_str_eq(p2, before_p2, "%s: dt=2005-03-01 differs", when);
	free(p1);
	free(p2);
	cr_assert(sh_ok("! grep -q absent hook.log"),
		  "%s: partitions added before the data was in place", when);
	cr_assert(sh_ok("test -z \"$(find " SRC " -name '.rfs-tmp.*')\""),
		  "%s: temporaries left at the target", when);
}

/* Runs the restore of dt=2009-09-09 in the background of a shell that
 * writes its pid to restore.pid and waits for it; @p arg is the
 * struct rfs_test_out for its output, the status is its exit status. */
static void *restore_in_background(void *arg)
{
	struct rfs_test_out *o = arg;

	return (void *)(intptr_t)rfs_test_sh(
		&m, o,
		"{ recyclefs restore " EP "/dt=2009-09-09 & } && p=$! && "
		"echo $p > restore.pid && wait $p");
}

/* The pid in restore.pid, once the shell has written it. */
static pid_t restore_pid(void)
{
	char path[128];
	long pid = 0;

	snprintf(path, sizeof(path), "%s/restore.pid", m.dir);
	for (int i = 0; i < 10000 && pid <= 0; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (fscanf(f, "%ld", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid <= 0)
			usleep(1000);
	}
	return (pid_t)pid;
}

/* Wait for a temporary of ours to be made in @p fd's folder (inotify).
 * @return true when one was, false when the restore ended first */
static bool temporary_made(int fd, pthread_t *t)
{
	char ev[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) == 0) {
			if (pthread_tryjoin_np(*t, NULL) == 0) {
				*t = 0;
				return false;
			}
			continue;
		}
		n = read(fd, ev, sizeof(ev));
		for (char *p = ev; n > 0 && p < ev + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			if (e->len && !strncmp(e->name, ".rfs-tmp.", 9))
				return true;
			p += sizeof(*e) + e->len;
		}
	}
}

/* A copy killed in the middle leaves a temporary at the target; resuming
 * must finish the restore and leave no temporary behind. The restore is
 * killed the moment its temporary is made (inotify), so the kill lands
 * during the copy of the 100 MB file whatever the speed of the machine. */
Test(restore, a_copy_killed_midway_leaves_no_temporary_after_resume)
{
	struct rfs_test_out o = { 0 };
	char dir[160];
	bool seen = false;

	free(sh("mkdir -p " SRC "/dt=2009-09-09 && head -c 100000000 "
		"/dev/urandom > " SRC "/dt=2009-09-09/big.bin && cd " SRC
		" && sha256sum dt=2009-09-09/big.bin > ../../../big.sums"));
	archive(EP "/dt=2009-09-09");
	snprintf(dir, sizeof(dir), "%s/" SRC "/dt=2009-09-09", m.dir);
	for (int attempt = 0; attempt < 5 && !seen; attempt++) {
		pthread_t t;
		void *status;
		int fd;

		/* an empty folder to watch; the restore fills it */
		free(sh("rm -rf " SRC "/dt=2009-09-09 restore.pid && mkdir " SRC
			"/dt=2009-09-09"));
		fd = inotify_init1(IN_CLOEXEC);
		cr_assert_geq(fd, 0);
		cr_assert_geq(inotify_add_watch(fd, dir, IN_CREATE), 0);
		cr_assert_eq(
			pthread_create(&t, NULL, restore_in_background, &o), 0);
		seen = temporary_made(fd, &t);
		if (seen) {
			pid_t pid = restore_pid();

			cr_assert_gt(pid, 1, "no pid in restore.pid");
			kill(pid, SIGKILL);
		}
		close(fd);
		if (t) {
			pthread_join(t, &status);
			/* the copy may still have won the race: then retry */
			seen = (intptr_t)status == 128 + SIGKILL;
			cr_assert(seen || (intptr_t)status == 0,
				  "status %d: %s", (int)(intptr_t)status,
				  o.err);
		}
		if (seen)
			cr_assert(sh_ok("test -n \"$(find " SRC
					"/dt=2009-09-09 -name '.rfs-tmp.*')\""),
				  "the kill left no temporary to clean up");
		ok(rfs_test_sh(&m, &o, "recyclefs resume"), "resume");
	}
	rfs_test_out_release(&o);
	cr_assert(seen, "no restore was caught in the middle of its copy");
	cr_assert(sh_ok("cd " SRC " && sha256sum -c --quiet ../../../big.sums"),
		  "not restored");
	cr_assert(sh_ok("test -z \"$(find " SRC " -name '.rfs-tmp.*')\""),
		  "a temporary is left at the target after resume");
}

static void reset_restore(void *ctx, const char *when)
{
	(void)ctx;
	(void)when;
	free(sh("rm -rf data index.db-wal index.db-shm && "
		"cp -a data.template data && cp index.template index.db && "
		"(test ! -e index.template-wal || "
		"cp index.template-wal index.db-wal)"));
}

static void restored(void *ctx, const char *when)
{
	(void)ctx;
	all_restored(when);
}

/* After each kill, every file at the target is absent or whole; resumed
 * and run again, the restore puts every file in place. */
Test(restore, killed_at_every_backend_call_then_resumed)
{
	/* One file at a time (the fixture's setting) also makes call N the
	 * same point in every run. */
	const struct rfs_test_kill_sweep s = {
		.m = &m,
		.what = "restore",
		.command = "recyclefs restore " EP,
		.rerun = "recyclefs resume && recyclefs restore " EP,
		.reset = reset_restore,
		.done = restored,
		.sums = "all.sums",
		.sums_at = SRC,
		.dense = 100,
		.step = 3,
		.min_points = 20,
	};

	install_hook();
	archive(EP);
	hook_expects("all.sums", SRC);
	free(sh("rm -f hook.log && cp -a data data.template && "
		"cp index.db index.template && rm -f index.template-wal && "
		"(test ! -e index.db-wal || cp index.db-wal "
		"index.template-wal)"));
	rfs_test_kill_sweep_run(&s);
	entry_is(EP, "archived");
}
