/*
 * The `recyclefs` command line, run as a program: exit statuses, messages,
 * text and JSON output, and that a refused command changes nothing.
 * Each test has its own directory, index and file:// storages.
 */
#include "rfs_config.h"
#include "tests/support/cmd.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];	   /* this test's directory */
static char index_db[128]; /* its index */
static char nfs[128];	   /* a storage root: DIR/nfs */
static char other[128];	   /* another: DIR/other */
static char nfs_uri[160], other_uri[160];

static void setup(void)
{
	cr_assert_eq(rfs_test_tmpdir(dir, sizeof(dir)), 0);
	snprintf(index_db, sizeof(index_db), "%s/index.db", dir);
	snprintf(nfs, sizeof(nfs), "%s/nfs", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(nfs_uri, sizeof(nfs_uri), "file://%s", nfs);
	snprintf(other_uri, sizeof(other_uri), "file://%s", other);
	cr_assert_eq(mkdir(nfs, 0755), 0);
	cr_assert_eq(mkdir(other, 0755), 0);
}

static void teardown(void)
{
	rfs_test_rm_rf(dir);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* Run `recyclefs --index INDEX ARGS...`; out is released first. */
static int run_args(struct rfs_test_out *out, const char *index,
		    const char *const *args)
{
	const char *argv[32];
	size_t n = 0;

	argv[n++] = getenv("RECYCLEFS_BIN");
	cr_assert_not_null(argv[0], "RECYCLEFS_BIN is not set");
	if (index) {
		argv[n++] = "--index";
		argv[n++] = index;
	}
	for (; *args; args++) {
		cr_assert_lt(n, 31);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	return rfs_test_run(out, argv);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Run a command that must succeed; returns its stdout (caller frees). */
static char *ok_args(const char *const *args)
{
	struct rfs_test_out out = { 0 };
	int status = run_args(&out, index_db, args);
	char *s;

	cr_assert_eq(status, 0, "recyclefs %s %s: status %d, stderr: %s",
		     args[0], args[1] ? args[1] : "", status, out.err);
	s = strdup(out.out);
	rfs_test_out_release(&out);
	return s;
}

#define OK(...)	    free(ok_args(ARGS(__VA_ARGS__)))
#define OK_OUT(...) ok_args(ARGS(__VA_ARGS__))

/* Everything a command can change, as text. */
static char *snapshot(void)
{
	char *ls = OK_OUT("ls", "--json");
	char *hist = OK_OUT("history", "--json");
	char *conf = OK_OUT("config", "list");
	char *s;

	cr_assert_gt(asprintf(&s, "%s\n%s\n%s", ls, hist, conf), 0);
	free(ls);
	free(hist);
	free(conf);
	return s;
}

/* A failure report: "recyclefs: ...", one line. */
static void assert_one_line(const char *err)
{
	cr_assert_eq(strncmp(err, "recyclefs: ", 11), 0, "stderr: %s", err);
	cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1,
		     "not exactly one line: %s", err);
}

/* Run a command that must be refused with @p status and a message holding
 * @p what, and check that the index did not change. */
static void refused_args(int status, const char *what, const char *const *args)
{
	struct rfs_test_out out = { 0 };
	char *before = snapshot(), *after;
	int got = run_args(&out, index_db, args);

	cr_assert_eq(got, status, "recyclefs %s %s: status %d, want %d (%s)",
		     args[0], args[1] ? args[1] : "", got, status, out.err);
	cr_assert_not_null(strstr(out.err, what), "want '%s' in: %s", what,
			   out.err);
	if (status == 1)
		assert_one_line(out.err);
	else
		cr_assert_not_null(strstr(out.err, "--help'"), "%s", out.err);
	after = snapshot();
	cr_assert_str_eq(before, after, "the index changed");
	free(before);
	free(after);
	rfs_test_out_release(&out);
}

#define REFUSED(status, what, ...) refused_args(status, what, ARGS(__VA_ARGS__))

static json_t *parse_json(char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);

	cr_assert_not_null(doc, "bad JSON (%s): %s", e.text, text);
	free(text);
	return doc;
}

static const char *str_at(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "'%s' is not a string", key);
	return json_string_value(v);
}

/* The keys of @p o, in order, must be exactly @p keys. */
static void assert_keys(json_t *o, const char *const *keys)
{
	void *it = json_object_iter(o);

	for (; *keys; keys++, it = json_object_iter_next(o, it)) {
		cr_assert_not_null(it, "missing key '%s'", *keys);
		cr_assert_str_eq(json_object_iter_key(it), *keys);
	}
	cr_assert_null(it, "extra key '%s'", json_object_iter_key(it));
}

/* storage nfs, table t with lifecycle bronze */
static void basics(void)
{
	OK("init");
	OK("storage", "add", "nfs", nfs_uri);
	OK("table", "add", "t");
	OK("lifecycle", "add", "t", "bronze");
}

static bool is_dir(const char *fmt, const char *arg)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), fmt, arg);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

Test(cli, init_creates_a_private_index_once)
{
	struct rfs_test_out out = { 0 };
	char path[256], parent[128];
	struct stat st;

	snprintf(parent, sizeof(parent), "%s/a/b", dir);
	snprintf(path, sizeof(path), "%s/index.db", parent);
	cr_assert_eq(run_args(&out, path, ARGS("init")), 0, "%s", out.err);
	cr_assert_not_null(strstr(out.out, "initialized"));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
	cr_assert_eq(stat(parent, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "mode %o", st.st_mode & 0777);

	cr_assert_eq(run_args(&out, path, ARGS("init")), 0, "%s", out.err);
	cr_assert_not_null(strstr(out.out, "index already exists at"));
	cr_assert_not_null(strstr(out.out, path));
	rfs_test_out_release(&out);
}

Test(cli, missing_index_is_reported)
{
	struct rfs_test_out out = { 0 };
	struct stat st;

	cr_assert_eq(run_args(&out, index_db, ARGS("ls")), 1);
	cr_assert_not_null(strstr(out.err, "no recyclefs index at"));
	cr_assert_not_null(strstr(out.err, "run 'recyclefs init'"));
	assert_one_line(out.err);
	cr_assert_neq(stat(index_db, &st), 0, "the index was created");
	rfs_test_out_release(&out);
}

Test(cli, index_location_from_the_environment)
{
	struct rfs_test_out out = { 0 };
	char path[256];

	snprintf(path, sizeof(path), "%s/env.db", dir);
	setenv("RECYCLEFS_INDEX", path, 1);
	cr_assert_eq(run_args(&out, NULL, ARGS("init")), 0, "%s", out.err);
	cr_assert(!is_dir("%s", path) && access(path, F_OK) == 0);

	unsetenv("RECYCLEFS_INDEX");
	snprintf(path, sizeof(path), "%s/xdg", dir);
	setenv("XDG_DATA_HOME", path, 1);
	cr_assert_eq(run_args(&out, NULL, ARGS("init")), 0, "%s", out.err);
	cr_assert(is_dir("%s/xdg/recyclefs", dir));

	unsetenv("XDG_DATA_HOME");
	snprintf(path, sizeof(path), "%s/home", dir);
	setenv("HOME", path, 1);
	cr_assert_eq(run_args(&out, NULL, ARGS("init")), 0, "%s", out.err);
	cr_assert(is_dir("%s/home/.local/share/recyclefs", dir));
	cr_assert_not_null(strstr(out.out, "/home/.local/share/recyclefs/"));
	rfs_test_out_release(&out);
}

Test(cli, usage_errors_exit_2)
{
	struct rfs_test_out out = { 0 };

	OK("init");
	REFUSED(2, "unknown command 'frob'", "frob");
	REFUSED(2, "unknown option '--frob'", "--frob", "ls");
	REFUSED(2, "unknown option '--frob'", "ls", "--frob");
	REFUSED(2, "unknown sub-command 'frob'", "storage", "frob");
	REFUSED(2, "missing sub-command", "table");
	REFUSED(2, "missing operand", "storage", "add", "x");
	REFUSED(2, "unexpected operand 'extra'", "table", "add", "t", "extra");
	REFUSED(2, "needs a value", "table", "add", "t", "-c");
	REFUSED(2, "--from DATE is required", "epoch", "add", "t", "l",
		"--storage", "nfs");
	REFUSED(2, "--order", "lifecycle", "add", "t", "l", "--order", "x");
	REFUSED(2, "see 'recyclefs storage --help'", "storage", "add");
	cr_assert_eq(run_args(&out, index_db, ARGS(NULL)), 2);
	rfs_test_out_release(&out);
}

Test(cli, help_and_version)
{
	static const char *const cmds[] = { "init",	 "storage", "table",
					    "lifecycle", "epoch",   "ls",
					    "config",	 "history", "mount" };
	char *s = OK_OUT("--help"), want[64];

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		cr_assert_not_null(strstr(s, cmds[i]), "%s", cmds[i]);
	free(s);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		s = OK_OUT(cmds[i], "--help");
		snprintf(want, sizeof(want), "usage: recyclefs %s", cmds[i]);
		cr_assert_eq(strncmp(s, want, strlen(want)), 0, "%s", s);
		free(s);
	}
	free(OK_OUT("storage", "add", "--help"));
	free(OK_OUT("epoch", "close", "-h"));
	/* The version, then the libraries it was built with, as pkg-config
	 * names them: what a bug report needs. */
	s = OK_OUT("--version");
	cr_assert_str_eq(s, "recyclefs " RFS_VERSION "\n"
			    "built with " RFS_BUILT_WITH "\n");
	for (size_t i = 0; i < 4; i++) {
		static const char *const libs[] = { "libfuse 3.", "SQLite 3.",
						    "libcurl ", "OpenSSL " };

		cr_assert_not_null(strstr(s, libs[i]), "%s: %s", libs[i], s);
	}
	free(s);
}

Test(cli, storage_add_and_list)
{
	json_t *doc, *arr, *s;
	char bin[256], *text;

	OK("init");
	OK("storage", "add", "nfs", nfs_uri);
	OK("storage", "add", "other", other_uri, "--bin", nfs_uri);
	text = OK_OUT("storage", "list");
	cr_assert_not_null(strstr(text, "NAME"));
	cr_assert_not_null(strstr(text, nfs_uri));
	cr_assert_not_null(strstr(text, "blob"));
	free(text);

	doc = parse_json(OK_OUT("storage", "list", "--json"));
	assert_keys(doc, ARGS("storages"));
	arr = json_object_get(doc, "storages");
	cr_assert_eq(json_array_size(arr), 2);
	s = json_array_get(arr, 0);
	assert_keys(s, ARGS("name", "uri", "bin_uri", "class", "family"));
	cr_assert_str_eq(str_at(s, "name"), "nfs");
	cr_assert_str_eq(str_at(s, "uri"), nfs_uri);
	snprintf(bin, sizeof(bin), "%s/.recyclebin", nfs_uri);
	cr_assert_str_eq(str_at(s, "bin_uri"), bin);
	cr_assert_str_eq(str_at(s, "class"), "file");
	cr_assert_str_eq(str_at(s, "family"), "blob");
	s = json_array_get(arr, 1);
	cr_assert_str_eq(str_at(s, "name"), "other");
	cr_assert_str_eq(str_at(s, "bin_uri"), nfs_uri);
	json_decref(doc);
}

Test(cli, storage_add_refusals)
{
	char missing[256];
	struct rfs_test_out out = { 0 };

	OK("init");
	OK("storage", "add", "nfs", nfs_uri);
	snprintf(missing, sizeof(missing), "%s/nope", nfs_uri);
	REFUSED(1, "unknown scheme", "storage", "add", "x", "foo://h/p");
	REFUSED(1, "not a storage URI", "storage", "add", "x", "notauri");
	REFUSED(1, "credentials", "storage", "add", "x",
		"s3://user:hunter2@bucket/p");
	REFUSED(1, "does not exist", "storage", "add", "x", missing);
	REFUSED(1, "already exists", "storage", "add", "nfs", other_uri);
	REFUSED(1, "one family", "storage", "add", "x", other_uri, "--bin",
		"postgres://h/db");
	REFUSED(1, "contains '/'", "storage", "add", "a/b", other_uri);
	/* The secret is never echoed. */
	run_args(&out, index_db,
		 ARGS("storage", "add", "x", "s3://user:hunter2@bucket/p"));
	cr_assert_null(strstr(out.err, "hunter2"), "%s", out.err);
	rfs_test_out_release(&out);
}

Test(cli, storage_add_checks_s3_settings_without_credentials)
{
	char *text;

	/* no keys anywhere: storage add needs none, it reads only the URI */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	OK("init");
	OK("storage", "add", "lake",
	   "s3://lake-bucket/orders?region=eu-west-1&attrs=listing");
	REFUSED(1, "unknown option 'regoin'", "storage", "add", "x",
		"s3://lake-bucket/o?regoin=eu-west-1");
	REFUSED(1, "attrs must be 'meta' or 'listing'", "storage", "add", "x",
		"s3://lake-bucket/o?attrs=fast");
	REFUSED(1, "cache_ttl must be 0 to", "storage", "add", "x",
		"s3://lake-bucket/o?cache_ttl=-1");
	REFUSED(1, "is not an http:// or https:// URL", "storage", "add", "x",
		"s3://lake-bucket/o?endpoint=ftp%3A%2F%2Fhost");
	REFUSED(1, "is not a valid bucket name", "storage", "add", "x",
		"s3://lake_bucket/o");
	REFUSED(1, "region 'a/b' is not valid", "storage", "add", "x",
		"s3://lake-bucket/o?region=a%2Fb");
	REFUSED(1, "part_size must be 5 to 5120", "storage", "add", "x",
		nfs_uri, "--bin", "s3://lake-bucket/r?part_size=1");
	text = OK_OUT("storage", "list");
	cr_assert_not_null(strstr(text, "lake"), "%s", text);
	cr_assert_null(strstr(text, "\nx "), "%s", text);
	free(text);
}

Test(cli, catalog_only_storage)
{
	json_t *doc, *s;

	OK("init");
	OK("storage", "add", "pg", "postgres://host/db");
	doc = parse_json(OK_OUT("storage", "list", "--json"));
	s = json_array_get(json_object_get(doc, "storages"), 0);
	cr_assert_str_eq(str_at(s, "class"), "postgres");
	cr_assert_str_eq(str_at(s, "family"), "relational");
	cr_assert(json_is_null(json_object_get(s, "bin_uri")));
	json_decref(doc);
}

Test(cli, bad_names_are_refused)
{
	static const char *const bad[] = { "a/b", "..",	  "a..b", ".hidden",
					   "",	  "x\ny", "\xff", "tab\there" };

	OK("init");
	OK("table", "add", "t");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REFUSED(1, "table name", "table", "add", bad[i]);
		REFUSED(1, "lifecycle name", "lifecycle", "add", "t", bad[i]);
		REFUSED(1, "classification name", "table", "add", "u", "-c",
			bad[i]);
	}
}

Test(cli, lifecycles_in_order)
{
	static const char *const names[] = { "raw", "bronze", "staging",
					     "silver" };
	static const int orders[] = { 0, 1, 3, 5 };
	json_t *doc, *lcs, *t;

	OK("init");
	OK("table", "add", "t");
	OK("lifecycle", "add", "t", "raw");
	OK("lifecycle", "add", "t", "bronze");
	OK("lifecycle", "add", "t", "silver", "--order", "5");
	OK("lifecycle", "add", "t", "staging", "--order", "3");
	REFUSED(1, "already has lifecycle", "lifecycle", "add", "t", "raw");
	REFUSED(1, "no table 'u'", "lifecycle", "add", "u", "raw");
	doc = parse_json(OK_OUT("ls", "--json"));
	t = json_array_get(json_object_get(doc, "tables"), 0);
	assert_keys(t, ARGS("name", "classifications", "lifecycles"));
	lcs = json_object_get(t, "lifecycles");
	cr_assert_eq(json_array_size(lcs), 4);
	for (size_t i = 0; i < 4; i++) {
		json_t *lc = json_array_get(lcs, i);

		assert_keys(lc, ARGS("name", "order", "epochs"));
		cr_assert_str_eq(str_at(lc, "name"), names[i]);
		cr_assert_eq(json_integer_value(json_object_get(lc, "order")),
			     orders[i]);
	}
	json_decref(doc);
}

Test(cli, epoch_refusals)
{
	basics();
	OK("epoch", "add", "t", "bronze", "--from", "2001-01-01", "--to",
	   "2010-01-01", "--storage", "nfs", "--path", "a", "--create");
	REFUSED(1, "overlaps", "epoch", "add", "t", "bronze", "--from",
		"2005-01-01", "--to", "2012-01-01", "--storage", "nfs");
	/* One folder is never two epochs, nor one inside another's. */
	REFUSED(1, "one folder cannot be two epochs", "epoch", "add", "t",
		"bronze", "--from", "2010-01-01", "--storage", "nfs", "--path",
		"a");
	REFUSED(1, "contains the location of epoch", "epoch", "add", "t",
		"bronze", "--from", "2010-01-01", "--storage", "nfs");
	OK("epoch", "add", "t", "bronze", "--from", "2010-01-01", "--storage",
	   "nfs", "--path", "b", "--create");
	REFUSED(1, "open epoch", "epoch", "add", "t", "bronze", "--from",
		"2020-01-01", "--storage", "nfs");
	REFUSED(1, "", "epoch", "add", "t", "bronze", "--from", "2000-06-01",
		"--to", "2000-01-01", "--storage", "nfs");
	REFUSED(1, "2023-02-30", "epoch", "add", "t", "bronze", "--from",
		"2023-02-30", "--to", "2023-03-01", "--storage", "nfs");
	REFUSED(1, "no storage 'nope'", "epoch", "add", "t", "bronze", "--from",
		"1990-01-01", "--to", "1991-01-01", "--storage", "nope");
	REFUSED(1, "escapes", "epoch", "add", "t", "bronze", "--from",
		"1990-01-01", "--to", "1991-01-01", "--storage", "nfs",
		"--path", "../x");
	REFUSED(1, "no lifecycle 'gold'", "epoch", "add", "t", "gold", "--from",
		"1990-01-01", "--to", "1991-01-01", "--storage", "nfs");
}

Test(cli, epoch_path_must_exist_unless_created)
{
	json_t *doc, *e;

	basics();
	REFUSED(1, "does not exist", "epoch", "add", "t", "bronze", "--from",
		"2001-01-01", "--storage", "nfs", "--path", "orders/bronze");
	cr_assert(!is_dir("%s/orders", nfs));
	OK("epoch", "add", "t", "bronze", "--from", "2001-01-01", "--storage",
	   "nfs", "--path", "orders/bronze", "--create");
	cr_assert(is_dir("%s/orders/bronze", nfs));

	doc = parse_json(OK_OUT("ls", "--json"));
	e = json_array_get(
		json_object_get(
			json_array_get(
				json_object_get(
					json_array_get(
						json_object_get(doc, "tables"),
						0),
					"lifecycles"),
				0),
			"epochs"),
		0);
	assert_keys(e, ARGS("name", "from", "to", "storage", "uri", "path"));
	cr_assert_str_eq(str_at(e, "name"), "2001-01-01..now");
	cr_assert_str_eq(str_at(e, "from"), "2001-01-01");
	cr_assert(json_is_null(json_object_get(e, "to")));
	cr_assert_str_eq(str_at(e, "storage"), "nfs");
	cr_assert_str_eq(str_at(e, "path"), "orders/bronze");
	cr_assert_not_null(strstr(str_at(e, "uri"), "/nfs/orders/bronze"));
	json_decref(doc);
}

/* The epochs of t/bronze from `ls --json`, as "name@storage@path;". */
static char *epochs(void)
{
	json_t *doc = parse_json(OK_OUT("ls", "--json")), *eps, *e;
	char *s = strdup(""), *t;
	size_t i;

	eps = json_object_get(
		json_array_get(
			json_object_get(
				json_array_get(json_object_get(doc, "tables"),
					       0),
				"lifecycles"),
			0),
		"epochs");
	json_array_foreach(eps, i, e)
	{
		cr_assert_gt(asprintf(&t, "%s%s@%s@%s;", s, str_at(e, "name"),
				      str_at(e, "storage"), str_at(e, "path")),
			     0);
		free(s);
		s = t;
	}
	json_decref(doc);
	return s;
}

Test(cli, close_then_add_the_next_epoch)
{
	char *s;

	basics();
	OK("epoch", "add", "t", "bronze", "--from", "2001-01-01", "--storage",
	   "nfs", "--path", "a", "--create");
	REFUSED(1, "", "epoch", "close", "t", "bronze", "--at", "2000-01-01");
	OK("epoch", "close", "t", "bronze", "--at", "2010-01-01");
	REFUSED(1, "no open epoch", "epoch", "close", "t", "bronze", "--at",
		"2011-01-01");
	OK("epoch", "add", "t", "bronze", "--from", "2010-01-01", "--storage",
	   "nfs", "--path", "b", "--create");
	s = epochs();
	cr_assert_str_eq(s, "2001-01-01..2010-01-01@nfs@a;"
			    "2010-01-01..now@nfs@b;");
	free(s);
	s = OK_OUT("ls");
	cr_assert_not_null(strstr(s, "2010-01-01..now"));
	cr_assert_not_null(strstr(s, "1 table, 1 lifecycle, 2 epochs"));
	free(s);
}

Test(cli, repoint)
{
	char moved[256], *s;

	basics();
	OK("storage", "add", "other", other_uri);
	OK("epoch", "add", "t", "bronze", "--from", "2001-01-01", "--to",
	   "2010-01-01", "--storage", "nfs", "--path", "a", "--create");
	REFUSED(1, "does not exist", "epoch", "repoint", "t", "bronze",
		"2001-01-01..2010-01-01", "--storage", "other", "--path",
		"moved");
	REFUSED(1, "no epoch", "epoch", "repoint", "t", "bronze",
		"2001-01-01..2011-01-01", "--storage", "other");
	REFUSED(1, "no storage", "epoch", "repoint", "t", "bronze",
		"2001-01-01..2010-01-01", "--storage", "nope");
	snprintf(moved, sizeof(moved), "%s/moved", other);
	cr_assert_eq(mkdir(moved, 0755), 0);
	OK("epoch", "repoint", "t", "bronze", "2001-01-01..2010-01-01",
	   "--storage", "other", "--path", "moved");
	s = epochs();
	cr_assert_str_eq(s, "2001-01-01..2010-01-01@other@moved;");
	free(s);
}

Test(cli, classify_and_unclassify)
{
	json_t *doc, *t, *c;

	OK("init");
	OK("table", "add", "t", "-c", "pii", "--classification", "hr");
	OK("table", "classify", "t", "finance", "gdpr");
	OK("table", "classify", "t", "finance");
	OK("table", "unclassify", "t", "pii", "absent");
	REFUSED(1, "no table 'u'", "table", "classify", "u", "pii");
	REFUSED(1, "contains '/'", "table", "classify", "t", "a/b");
	REFUSED(2, "missing operand", "table", "unclassify", "t");
	doc = parse_json(OK_OUT("table", "list", "--json"));
	t = json_array_get(json_object_get(doc, "tables"), 0);
	assert_keys(t, ARGS("name", "classifications"));
	c = json_object_get(t, "classifications");
	cr_assert_eq(json_array_size(c), 3);
	cr_assert_str_eq(json_string_value(json_array_get(c, 0)), "finance");
	cr_assert_str_eq(json_string_value(json_array_get(c, 1)), "gdpr");
	cr_assert_str_eq(json_string_value(json_array_get(c, 2)), "hr");
	json_decref(doc);
}

Test(cli, config)
{
	struct rfs_test_out out = { 0 };
	char *s;

	OK("init");
	OK("table", "add", "t");
	REFUSED(1, "unknown configuration key 'nope'", "config", "set", "nope",
		"1");
	REFUSED(1, "absolute path", "config", "set", "metastore.hook",
		"bin/hook");
	REFUSED(1, "worker count", "config", "set", "jobs.workers", "0");
	REFUSED(1, "config key 'jobs.workers' is not set", "config", "get",
		"jobs.workers");
	OK("config", "set", "metastore.hook", "/usr/local/bin/hook");
	OK("config", "set", "metastore.hook.t", "/opt/t-hook");
	s = OK_OUT("config", "get", "metastore.hook");
	cr_assert_str_eq(s, "/usr/local/bin/hook\n");
	free(s);
	s = OK_OUT("config", "list");
	cr_assert_not_null(strstr(s, "/usr/local/bin/hook"));
	cr_assert_not_null(strstr(s, "metastore.hook.t"));
	cr_assert_not_null(strstr(s, "jobs.workers"));
	free(s);
	OK("config", "unset", "metastore.hook");
	cr_assert_eq(run_args(&out, index_db,
			      ARGS("config", "get", "metastore.hook")),
		     1);
	cr_assert_not_null(strstr(out.err, "is not set"));
	rfs_test_out_release(&out);
}

Test(cli, history_lists_changes_in_order)
{
	static const char *const actions[] = {
		"storage.add", "table.add",  "lifecycle.add", "epoch.add",
		"epoch.close", "config.set", "config.unset",
	};
	json_t *doc, *h, *rec;
	json_int_t last = 0;
	size_t i;
	char *s;

	basics();
	OK("epoch", "add", "t", "bronze", "--from", "2001-01-01", "--storage",
	   "nfs");
	OK("epoch", "close", "t", "bronze", "--at", "2002-01-01");
	OK("config", "set", "jobs.workers", "4");
	OK("config", "unset", "jobs.workers");
	doc = parse_json(OK_OUT("history", "--json"));
	h = json_object_get(doc, "history");
	cr_assert_eq(json_array_size(h), 7);
	json_array_foreach(h, i, rec)
	{
		const char *at = str_at(rec, "at");

		assert_keys(rec,
			    ARGS("id", "at", "action", "subject", "detail"));
		cr_assert_gt(json_integer_value(json_object_get(rec, "id")),
			     last);
		last = json_integer_value(json_object_get(rec, "id"));
		cr_assert_eq(strlen(at), 24, "%s", at);
		cr_assert_eq(at[10], 'T');
		cr_assert_eq(at[23], 'Z');
		cr_assert_str_eq(str_at(rec, "action"), actions[i]);
	}
	cr_assert_str_eq(str_at(json_array_get(h, 0), "subject"), "nfs");
	cr_assert(json_is_object(
		json_object_get(json_array_get(h, 0), "detail")));
	cr_assert(
		json_is_null(json_object_get(json_array_get(h, 6), "detail")));
	json_decref(doc);
	s = OK_OUT("history");
	cr_assert_not_null(strstr(s, "epoch.close"));
	free(s);
}

/* Read a whole file; caller frees. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;

	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	*len = (size_t)ftell(f);
	rewind(f);
	s = malloc(*len + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, *len, f), *len);
	fclose(f);
	return s;
}

/* Every command refuses @p path, which is not a recyclefs index, and
 * leaves it as it was. */
static void assert_not_an_index(const char *path)
{
	const char *const *const cmds[] = {
		ARGS("init"),
		ARGS("ls"),
		ARGS("storage", "add", "x", "postgres://h/db"),
		ARGS("config", "set", "jobs.workers", "2"),
	};
	struct rfs_test_out out = { 0 };
	size_t len, len2;
	char *before = slurp(path, &len), *after;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cr_assert_eq(run_args(&out, path, cmds[i]), 1, "%s: %s",
			     cmds[i][0], out.err);
		cr_assert_not_null(strstr(out.err, "is not a recyclefs index"),
				   "%s", out.err);
		assert_one_line(out.err);
		after = slurp(path, &len2);
		cr_assert(len == len2 && !memcmp(before, after, len),
			  "'%s' changed the file", cmds[i][0]);
		free(after);
	}
	free(before);
	rfs_test_out_release(&out);
}

Test(cli, text_file_is_not_an_index)
{
	FILE *f = fopen(index_db, "w");

	cr_assert_not_null(f);
	fputs("shopping list\nmilk\n", f);
	fclose(f);
	assert_not_an_index(index_db);
}

Test(cli, other_sqlite_database_is_not_an_index)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(index_db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
				  "CREATE TABLE notes(body TEXT);"
				  "INSERT INTO notes VALUES ('hello');",
				  NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(db);
	assert_not_an_index(index_db);
}
