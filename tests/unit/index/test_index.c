/*
 * The index handle: creating and opening files, recognising what is not a
 * recyclefs index, read-only opens, transactions and data_version.
 */
#include "index/index.h"
#include "index/internal.h"
#include "util/error.h"

#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

TestSuite(index, .init = test_dir_setup, .fini = test_dir_teardown);

static struct rfs_index *open_ok(const char *path, unsigned flags)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;
	int ret = rfs_index_open(path, flags, &idx, &err);

	cr_assert_eq(ret, 0, "open %s: %d %s", path, ret, err.msg);
	cr_assert_not_null(idx);
	return idx;
}

/* Open must fail with -code and leave *out alone; returns the reason. */
static struct rfs_error open_fails(const char *path, unsigned flags, int code)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx = (struct rfs_index *)&err; /* a marker */
	int ret = rfs_index_open(path, flags, &idx, &err);

	cr_assert_eq(ret, -code, "open %s: got %d (%s), want %d", path, ret,
		     err.msg, -code);
	cr_assert_eq(err.code, code);
	cr_assert_eq(idx, (struct rfs_index *)&err, "*out was changed");
	return err;
}

Test(index, create_makes_a_file_with_mode_0600)
{
	struct rfs_index *idx;

	umask(0);
	idx = open_ok(test_db, RFS_INDEX_CREATE);
	cr_assert(rfs_index_was_created(idx));
	cr_assert_str_eq(rfs_index_path(idx), test_db);
	cr_assert_eq(file_mode(test_db), 0600);
	rfs_index_free(idx);
	cr_assert_eq(raw_int(test_db, "PRAGMA application_id"),
		     RFS_INDEX_APPLICATION_ID);
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"),
		     RFS_INDEX_SCHEMA_VERSION);
}

Test(index, mode_is_0600_whatever_the_umask)
{
	struct rfs_index *idx;

	umask(0277);
	idx = open_ok(test_db, RFS_INDEX_CREATE);
	cr_assert_eq(file_mode(test_db), 0600);
	rfs_index_free(idx);
}

Test(index, wal_and_shm_files_are_0600_too)
{
	char wal[160], shm[160];
	struct rfs_index *idx;

	umask(0);
	idx = open_ok(test_db, RFS_INDEX_CREATE);
	cr_assert_eq(rfs_index_config_set(idx, "k", "v", NULL), 0);
	snprintf(wal, sizeof(wal), "%s-wal", test_db);
	snprintf(shm, sizeof(shm), "%s-shm", test_db);
	cr_assert_eq(file_mode(wal), 0600);
	cr_assert_eq(file_mode(shm), 0600);
	rfs_index_free(idx);
}

Test(index, files_use_wal_mode)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);
	sqlite3_stmt *st;
	sqlite3 *db;

	rfs_index_free(idx);
	cr_assert_eq(sqlite3_open(test_db, &db), SQLITE_OK);
	cr_assert_eq(
		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
		SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

Test(index, reopen_keeps_data)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);
	char *value = NULL;

	cr_assert_eq(rfs_index_config_set(idx, "bin.keep", "30d", NULL), 0);
	rfs_index_free(idx);

	idx = open_ok(test_db, 0);
	cr_assert_not(rfs_index_was_created(idx));
	cr_assert_eq(rfs_index_config_get(idx, "bin.keep", &value, NULL), 0);
	cr_assert_str_eq(value, "30d");
	free(value);
	rfs_index_free(idx);

	/* CREATE on an existing index opens it and creates nothing. */
	idx = open_ok(test_db, RFS_INDEX_CREATE);
	cr_assert_not(rfs_index_was_created(idx));
	cr_assert_eq(rfs_index_config_get(idx, "bin.keep", &value, NULL), 0);
	free(value);
	rfs_index_free(idx);
}

Test(index, missing_file_without_create_is_enoent)
{
	char want[256];
	struct rfs_error err = open_fails(test_db, 0, ENOENT);

	snprintf(want, sizeof(want),
		 "no recyclefs index at '%s'; run 'recyclefs init'", test_db);
	cr_assert_str_eq(err.msg, want);
	cr_assert_neq(access(test_db, F_OK), 0, "open created the file");
	open_fails(test_db, RFS_INDEX_READONLY, ENOENT);
}

Test(index, empty_file_is_no_index_until_created)
{
	struct rfs_index *idx;

	write_all(test_db, "", 0);
	open_fails(test_db, 0, ENOENT);
	open_fails(test_db, RFS_INDEX_READONLY, ENOENT);
	idx = open_ok(test_db, RFS_INDEX_CREATE);
	cr_assert_eq(rfs_index_table_insert(idx, "sales.orders", NULL, NULL),
		     0);
	rfs_index_free(idx);
	cr_assert_eq(raw_int(test_db, "PRAGMA application_id"),
		     RFS_INDEX_APPLICATION_ID);
}

Test(index, text_file_is_einval_and_unchanged)
{
	static const char text[] =
		"# not a database\nthis file holds some notes, not SQLite\n"
		"and it is long enough to have a header of sorts...........\n"
		"...........................................................\n";
	struct rfs_error err;
	char want[256], *after;
	size_t len;

	write_all(test_db, text, sizeof(text) - 1);
	err = open_fails(test_db, 0, EINVAL);
	snprintf(want, sizeof(want), "'%s' is not a recyclefs index", test_db);
	cr_assert_str_eq(err.msg, want);
	/* CREATE must not claim, nor delete, a file it did not create. */
	open_fails(test_db, RFS_INDEX_CREATE, EINVAL);
	open_fails(test_db, RFS_INDEX_READONLY, EINVAL);
	after = read_all(test_db, &len);
	cr_assert_eq(len, sizeof(text) - 1);
	cr_assert_eq(memcmp(after, text, len), 0);
	free(after);
}

Test(index, other_sqlite_file_is_einval_and_unchanged)
{
	char *before, *after;
	size_t n_before, n_after;
	struct rfs_error err;
	char want[256];

	raw_exec(test_db, "CREATE TABLE notes (body TEXT);"
			  "INSERT INTO notes VALUES ('keep me');");
	before = read_all(test_db, &n_before);
	err = open_fails(test_db, 0, EINVAL);
	snprintf(want, sizeof(want), "'%s' is not a recyclefs index", test_db);
	cr_assert_str_eq(err.msg, want);
	open_fails(test_db, RFS_INDEX_CREATE, EINVAL);
	open_fails(test_db, RFS_INDEX_READONLY, EINVAL);
	after = read_all(test_db, &n_after);
	cr_assert_eq(n_after, n_before);
	cr_assert_eq(memcmp(before, after, n_before), 0);
	free(before);
	free(after);
	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM notes"), 1);
}

Test(index, other_application_id_is_einval)
{
	raw_exec(test_db, "PRAGMA application_id = 305419896;");
	open_fails(test_db, RFS_INDEX_CREATE, EINVAL);
	cr_assert_eq(raw_int(test_db, "PRAGMA application_id"), 305419896);
}

Test(index, newer_schema_is_eproto_and_unchanged)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);
	char *before, *after;
	size_t n_before, n_after;
	struct rfs_error err;
	char want[256];

	rfs_index_free(idx);
	raw_exec(test_db, "PRAGMA user_version = 99;");
	before = read_all(test_db, &n_before);
	err = open_fails(test_db, 0, EPROTO);
	snprintf(
		want, sizeof(want),
		"index '%s' has schema version 99; this recyclefs supports up to %d",
		test_db, RFS_INDEX_SCHEMA_VERSION);
	cr_assert_str_eq(err.msg, want);
	open_fails(test_db, RFS_INDEX_READONLY, EPROTO);
	open_fails(test_db, RFS_INDEX_CREATE, EPROTO);
	after = read_all(test_db, &n_after);
	cr_assert_eq(n_after, n_before);
	cr_assert_eq(memcmp(before, after, n_before), 0);
	free(before);
	free(after);
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"), 99);
}

Test(index, read_only_open_does_not_migrate)
{
	struct rfs_error err;

	raw_exec(test_db, "PRAGMA application_id = 1380340529;");
	err = open_fails(test_db, RFS_INDEX_READONLY, EPROTO);
	cr_assert(strstr(err.msg, "has schema version 0"), "%s", err.msg);
	cr_assert(strstr(err.msg, "read-write"), "%s", err.msg);
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"), 0);
	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM sqlite_master"), 0);
}

Test(index, read_only_handle_reads_and_refuses_writes)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);
	struct rfs_error err = { 0 };
	char *value = NULL;

	cr_assert_eq(rfs_index_config_set(idx, "k", "v", NULL), 0);
	rfs_index_free(idx);

	idx = open_ok(test_db, RFS_INDEX_READONLY);
	cr_assert_eq(rfs_index_config_get(idx, "k", &value, NULL), 0);
	cr_assert_str_eq(value, "v");
	free(value);
	cr_assert_eq(rfs_index_config_set(idx, "k", "w", &err), -EROFS);
	cr_assert_eq(err.code, EROFS);
	cr_assert(strstr(err.msg, "cannot set configuration key 'k'"), "%s",
		  err.msg);
	rfs_index_free(idx);
}

Test(index, read_only_cannot_create)
{
	open_fails(test_db, RFS_INDEX_READONLY | RFS_INDEX_CREATE, EINVAL);
	cr_assert_neq(access(test_db, F_OK), 0);
	open_fails(":memory:", RFS_INDEX_READONLY, EINVAL);
	open_fails(":memory:shared", RFS_INDEX_READONLY | RFS_INDEX_CREATE,
		   EINVAL);
}

Test(index, memory_index_is_created_and_usable)
{
	struct rfs_index *idx = open_ok(":memory:", 0);
	int64_t id = 0;

	cr_assert(rfs_index_was_created(idx));
	cr_assert_str_eq(rfs_index_path(idx), ":memory:");
	cr_assert_eq(rfs_index_table_insert(idx, "sales.orders", &id, NULL), 0);
	cr_assert_gt(id, 0);
	rfs_index_free(idx);
}

Test(index, path_starting_with_file_colon_is_a_file)
{
	struct rfs_index *idx;

	cr_assert_eq(chdir(test_dir), 0);
	idx = open_ok("file:index.db", RFS_INDEX_CREATE);
	rfs_index_free(idx);
	cr_assert_eq(access("file:index.db", F_OK), 0);
	cr_assert_eq(file_mode("file:index.db"), 0600);
}

Test(index, missing_parent_directory_is_enoent)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/no/such/dir/index.db", test_dir);
	open_fails(path, RFS_INDEX_CREATE, ENOENT);
}

Test(index, unreadable_file_is_eacces)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);
	struct rfs_error err;

	rfs_index_free(idx);
	cr_assert_eq(chmod(test_db, 0), 0);
	if (geteuid() == 0) {
		/* Root reads anything: become nobody, owning the files. */
		cr_assert_eq(chown(test_dir, 65534, 65534), 0);
		cr_assert_eq(chown(test_db, 65534, 65534), 0);
		if (setgid(65534) != 0 || setuid(65534) != 0)
			cr_skip_test("cannot drop root privileges");
	}
	err = open_fails(test_db, 0, EACCES);
	cr_assert(strstr(err.msg, test_db), "%s", err.msg);
	open_fails(test_db, RFS_INDEX_READONLY, EACCES);
}

Test(index, free_null_does_nothing)
{
	rfs_index_free(NULL);
}

Test(index, rollback_leaves_nothing)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);
	char *value = NULL;

	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(idx, "sales.orders", NULL, NULL),
		     0);
	cr_assert_eq(rfs_index_config_set(idx, "k", "v", NULL), 0);
	cr_assert_eq(rfs_index_history_add(idx, "table.add", "sales.orders",
					   NULL, NULL),
		     0);
	rfs_index_rollback(idx);
	cr_assert_eq(rfs_index_config_get(idx, "k", &value, NULL), -ENOENT);
	rfs_index_free(idx);

	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM tables"), 0);
	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM history"), 0);
	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM config"), 0);
}

Test(index, commit_keeps_everything)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);

	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(idx, "a", NULL, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(idx, "b", NULL, NULL), 0);
	cr_assert_eq(rfs_index_commit(idx, NULL), 0);
	rfs_index_rollback(idx); /* nothing open: no effect */
	rfs_index_free(idx);
	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM tables"), 2);
}

Test(index, failed_write_in_a_transaction_keeps_the_rest)
{
	struct rfs_index *idx = open_ok(":memory:", 0);

	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(idx, "a", NULL, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(idx, "a", NULL, NULL), -EEXIST);
	cr_assert_eq(rfs_index_table_insert(idx, "b", NULL, NULL), 0);
	cr_assert_eq(rfs_index_commit(idx, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(idx, "b", NULL, NULL), -EEXIST);
	rfs_index_free(idx);
}

/* A group holds several changes, each begin/commit a savepoint: a change
 * rolled back inside it is undone alone; nothing is on disk until the
 * group commits, and a group rolled back keeps nothing. */
Test(index, a_group_commits_or_rolls_back_every_change_at_once)
{
	struct rfs_index *idx = open_ok(test_db, RFS_INDEX_CREATE);
	int pass;

	for (pass = 0; pass < 2; pass++) {
		cr_assert_eq(rfs_index_group_begin(idx, NULL), 0);
		cr_assert(rfs_index_in_group(idx));
		cr_assert_lt(rfs_index_group_begin(idx, NULL), 0);
		cr_assert_eq(rfs_index_begin(idx, NULL), 0);
		cr_assert_eq(rfs_index_table_insert(idx, "a", NULL, NULL), 0);
		cr_assert_eq(rfs_index_commit(idx, NULL), 0);
		cr_assert_eq(rfs_index_begin(idx, NULL), 0);
		cr_assert_eq(rfs_index_table_insert(idx, "b", NULL, NULL), 0);
		rfs_index_rollback(idx);
		rfs_index_rollback(idx); /* nothing open: no effect */
		cr_assert_eq(rfs_index_begin(idx, NULL), 0);
		cr_assert_eq(rfs_index_table_insert(idx, "c", NULL, NULL), 0);
		cr_assert_eq(rfs_index_commit(idx, NULL), 0);
		/* not committed yet: another connection sees nothing */
		cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM tables"),
			     0);
		cr_assert_eq(rfs_index_group_end(idx, pass == 1, NULL), 0);
		cr_assert_not(rfs_index_in_group(idx));
		cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM tables"),
			     pass == 1 ? 2 : 0);
	}
	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM tables "
				      "WHERE name = 'b'"),
		     0);
	rfs_index_free(idx);
}

Test(index, begin_does_not_nest)
{
	struct rfs_index *idx = open_ok(":memory:", 0);
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	cr_assert_lt(rfs_index_begin(idx, &err), 0);
	cr_assert(strstr(err.msg, "cannot start a transaction"), "%s", err.msg);
	rfs_index_rollback(idx);
	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	cr_assert_eq(rfs_index_commit(idx, NULL), 0);
	rfs_index_free(idx);
}

Test(index, second_writer_gets_ebusy)
{
	struct rfs_index *a = open_ok(test_db, RFS_INDEX_CREATE);
	struct rfs_index *b = open_ok(test_db, 0);
	struct rfs_error err = { 0 };

	/* Keep the test short: wait 50 ms, not the default 10 s. */
	sqlite3_busy_timeout(b->db, 50);
	cr_assert_eq(rfs_index_begin(a, NULL), 0);
	cr_assert_eq(rfs_index_begin(b, &err), -EBUSY);
	cr_assert_eq(err.code, EBUSY);
	cr_assert_eq(rfs_index_table_insert(b, "t", NULL, NULL), -EBUSY);
	rfs_index_rollback(a);
	cr_assert_eq(rfs_index_table_insert(b, "t", NULL, NULL), 0);
	rfs_index_free(a);
	rfs_index_free(b);
}

Test(index, data_version_changes_when_another_connection_commits)
{
	struct rfs_index *a = open_ok(test_db, RFS_INDEX_CREATE);
	struct rfs_index *b = open_ok(test_db, 0);
	int64_t v1 = -1, v2 = -1, v3 = -1;

	cr_assert_eq(rfs_index_data_version(a, &v1), 0);
	cr_assert_eq(rfs_index_data_version(a, &v2), 0);
	cr_assert_eq(v1, v2, "no change, yet data_version moved");
	cr_assert_eq(rfs_index_table_insert(b, "sales.orders", NULL, NULL), 0);
	cr_assert_eq(rfs_index_data_version(a, &v3), 0);
	cr_assert_neq(v3, v2);

	/* A rolled-back transaction of b changes nothing a can see. */
	cr_assert_eq(rfs_index_begin(b, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(b, "x", NULL, NULL), 0);
	rfs_index_rollback(b);
	cr_assert_eq(rfs_index_data_version(a, &v1), 0);
	cr_assert_eq(v1, v3);
	rfs_index_free(a);
	rfs_index_free(b);
}

/* How many names test_dir holds ("." and ".." aside). */
static int dir_entries(void)
{
	struct dirent *de;
	DIR *d = opendir(test_dir);
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

Test(index, shared_memory_index_is_one_index_for_its_connections)
{
	struct rfs_index *a, *b;
	char *value = NULL;

	cr_assert_eq(chdir(test_dir), 0);
	a = open_ok(":memory:shared-1", RFS_INDEX_CREATE);
	cr_assert(rfs_index_was_created(a));
	cr_assert_str_eq(rfs_index_path(a), ":memory:shared-1");
	b = open_ok(rfs_index_path(a), 0);
	cr_assert_not(rfs_index_was_created(b));
	cr_assert_eq(rfs_index_config_set(a, "k", "v", NULL), 0);
	cr_assert_eq(rfs_index_config_get(b, "k", &value, NULL), 0);
	cr_assert_str_eq(value, "v");
	free(value);
	cr_assert_eq(rfs_index_table_insert(b, "t", NULL, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(a, "t", NULL, NULL), -EEXIST);

	/* Another name is another index. */
	open_fails(":memory:shared-2", 0, ENOENT);
	/* Nothing on disk: not here, not under the name. */
	cr_assert_eq(dir_entries(), 0);
	cr_assert_neq(access("/rfs-index/shared-1", F_OK), 0);

	/* Gone with its last connection. */
	rfs_index_free(a);
	value = NULL;
	cr_assert_eq(rfs_index_config_get(b, "k", &value, NULL), 0);
	cr_assert_str_eq(value, "v");
	free(value);
	rfs_index_free(b);
	open_fails(":memory:shared-1", 0, ENOENT);
	a = open_ok(":memory:shared-1", RFS_INDEX_CREATE);
	cr_assert(rfs_index_was_created(a));
	cr_assert_eq(rfs_index_table_insert(a, "t", NULL, NULL), 0);
	rfs_index_free(a);
}

Test(index, shared_memory_index_without_create_is_enoent)
{
	struct rfs_error err = open_fails(":memory:none", 0, ENOENT);

	cr_assert(strstr(err.msg, "no recyclefs index at ':memory:none'"), "%s",
		  err.msg);
}

Test(index, shared_memory_index_name_is_checked)
{
	char name[200];

	open_fails(":memory:a/b", RFS_INDEX_CREATE, EINVAL);
	open_fails(":memory:a?vfs=unix", RFS_INDEX_CREATE, EINVAL);
	memset(name, 'x', sizeof(name));
	memcpy(name, ":memory:", 8);
	name[8 + 129] = '\0';
	open_fails(name, RFS_INDEX_CREATE, EINVAL);
	name[8 + 128] = '\0';
	rfs_index_free(open_ok(name, RFS_INDEX_CREATE));
}

Test(index, shared_memory_index_read_only_handle_refuses_writes)
{
	struct rfs_index *a = open_ok(":memory:ro", RFS_INDEX_CREATE);
	struct rfs_index *b = open_ok(":memory:ro", RFS_INDEX_READONLY);
	struct rfs_error err = { 0 };
	char *value = NULL;

	cr_assert_eq(rfs_index_config_set(a, "k", "v", NULL), 0);
	cr_assert_eq(rfs_index_config_get(b, "k", &value, NULL), 0);
	cr_assert_str_eq(value, "v");
	free(value);
	cr_assert_eq(rfs_index_config_set(b, "k", "w", &err), -EROFS);
	rfs_index_free(b);
	rfs_index_free(a);
}

Test(index, shared_memory_second_writer_gets_ebusy)
{
	struct rfs_index *a = open_ok(":memory:busy", RFS_INDEX_CREATE);
	struct rfs_index *b = open_ok(":memory:busy", 0);
	struct rfs_error err = { 0 };

	sqlite3_busy_timeout(b->db, 50);
	cr_assert_eq(rfs_index_begin(a, NULL), 0);
	cr_assert_eq(rfs_index_begin(b, &err), -EBUSY);
	cr_assert_eq(err.code, EBUSY);
	rfs_index_rollback(a);
	cr_assert_eq(rfs_index_table_insert(b, "t", NULL, NULL), 0);
	rfs_index_free(a);
	rfs_index_free(b);
}

struct late_commit {
	struct rfs_index *idx;
	int ret;
};

static void *commit_later(void *arg)
{
	struct late_commit *c = arg;
	const struct timespec pause = { 0, 200 * 1000 * 1000 };

	nanosleep(&pause, NULL);
	c->ret = rfs_index_commit(c->idx, NULL);
	return NULL;
}

/* The heartbeat's case: a second connection waits out a writer (the busy
 * timeout), it is not refused at once. */
Test(index, shared_memory_second_writer_waits_for_the_first)
{
	struct rfs_index *a = open_ok(":memory:wait", RFS_INDEX_CREATE);
	struct rfs_index *b = open_ok(":memory:wait", 0);
	struct late_commit c = { a, -1 };
	pthread_t th;

	cr_assert_eq(rfs_index_begin(a, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(a, "t", NULL, NULL), 0);
	cr_assert_eq(pthread_create(&th, NULL, commit_later, &c), 0);
	cr_assert_eq(rfs_index_table_insert(b, "t", NULL, NULL), -EEXIST,
		     "b did not wait for a's commit");
	cr_assert_eq(rfs_index_table_insert(b, "u", NULL, NULL), 0);
	pthread_join(th, NULL);
	cr_assert_eq(c.ret, 0);
	rfs_index_free(a);
	rfs_index_free(b);
}
