/*
 * Schema migrations: an old index is brought up to date, each migration in
 * its own transaction, and a failing one leaves the previous version.
 */
#include "index/index.h"
#include "index/internal.h"
#include "util/error.h"

#include "helpers.h"

#include <errno.h>

TestSuite(index_schema, .init = test_dir_setup, .fini = test_dir_teardown);

static const char *const v1_tables[] = {
	"storages", "tables",  "classifications", "lifecycles",
	"epochs",   "history", "config",
};

static const char *const v2_tables[] = { "entries", "entry_files" };

static const char *const v3_tables[] = { "restores" };

static long long count_table(const char *path, const char *name)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sqlite_master"
		 " WHERE type = 'table' AND name = '%s'",
		 name);
	return raw_int(path, sql);
}

static int64_t query(struct rfs_index *idx, const char *sql)
{
	int64_t v = -1;

	cr_assert_eq(rfs_index_query_int(idx, sql, &v, NULL), 0, "%s", sql);
	return v;
}

/* The schema version of this build, V below. */
#define V RFS_INDEX_SCHEMA_VERSION

/* Room for this build's migrations and a test's own after them. */
#define MAX_STEPS (V + 4)

/*
 * Fill @p out with this build's migrations followed by @p n_extra test
 * ones, so that a test's steps are the next versions whatever V is.
 * @return the number of steps
 */
static size_t steps_after_current(struct rfs_index_migration *out,
				  const struct rfs_index_migration *extra,
				  size_t n_extra)
{
	size_t i;

	cr_assert_leq(V + n_extra, MAX_STEPS);
	for (i = 0; i < V; i++)
		out[i] = rfs_index_migrations[i];
	for (i = 0; i < n_extra; i++)
		out[V + i] = extra[i];
	return V + n_extra;
}

Test(index_schema, version_0_index_is_migrated_on_open)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;
	size_t i;

	/* What a crash right after claiming a new file leaves behind. */
	raw_exec(test_db, "PRAGMA application_id = 1380340529;");
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"), 0);

	cr_assert_eq(rfs_index_open(test_db, 0, &idx, &err), 0, "%s", err.msg);
	cr_assert_not(rfs_index_was_created(idx));
	cr_assert_eq(query(idx, "PRAGMA foreign_keys"), 1,
		     "migration left foreign keys off");
	cr_assert_eq(rfs_index_table_insert(idx, "sales.orders", NULL, NULL),
		     0);
	rfs_index_free(idx);

	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"),
		     RFS_INDEX_SCHEMA_VERSION);
	for (i = 0; i < sizeof(v1_tables) / sizeof(v1_tables[0]); i++)
		cr_assert_eq(count_table(test_db, v1_tables[i]), 1,
			     "table %s missing", v1_tables[i]);
	for (i = 0; i < sizeof(v2_tables) / sizeof(v2_tables[0]); i++)
		cr_assert_eq(count_table(test_db, v2_tables[i]), 1,
			     "table %s missing", v2_tables[i]);
	for (i = 0; i < sizeof(v3_tables) / sizeof(v3_tables[0]); i++)
		cr_assert_eq(count_table(test_db, v3_tables[i]), 1,
			     "table %s missing", v3_tables[i]);
}

Test(index_schema, version_1_index_migrates_with_its_data)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;
	char *value = NULL;

	/* A version 1 index as a release with only migration 1 left it. */
	raw_exec(test_db, "PRAGMA application_id = 1380340529;");
	raw_exec(test_db, rfs_index_migrations[0].sql);
	raw_exec(
		test_db,
		"PRAGMA user_version = 1;"
		"INSERT INTO storages (name, uri, class, created_ns)"
		" VALUES ('nfs', 'file:///srv/nfs', 'file', 1);"
		"INSERT INTO tables (name, created_ns)"
		" VALUES ('sales.orders', 2);"
		"INSERT INTO classifications (table_id, name, created_ns)"
		" VALUES (1, 'pii', 3);"
		"INSERT INTO lifecycles (table_id, name, ord, created_ns)"
		" VALUES (1, 'bronze', 1, 4);"
		"INSERT INTO epochs (lifecycle_id, from_day, to_day,"
		" storage_id, path, created_ns, updated_ns)"
		" VALUES (1, 11323, 14610, 1, 'orders', 5, 6);"
		"INSERT INTO history (at_ns, action, subject)"
		" VALUES (7, 'table.add', 'sales.orders');"
		"INSERT INTO config (key, value) VALUES ('worker.threads', '4');");

	cr_assert_eq(rfs_index_open(test_db, 0, &idx, &err), 0, "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), V);
	cr_assert_eq(query(idx, "SELECT count(*) FROM entries"), 0);
	cr_assert_eq(query(idx, "SELECT count(*) FROM entry_files"), 0);
	cr_assert_eq(query(idx, "SELECT count(*) FROM storages"
				" WHERE name = 'nfs' AND created_ns = 1"),
		     1);
	cr_assert_eq(query(idx, "SELECT count(*) FROM classifications"
				" WHERE name = 'pii' AND table_id = 1"),
		     1);
	cr_assert_eq(query(idx, "SELECT to_day FROM epochs"
				" WHERE path = 'orders'"),
		     14610);
	cr_assert_eq(query(idx, "SELECT at_ns FROM history"), 7);
	cr_assert_eq(rfs_index_config_get(idx, "worker.threads", &value, &err),
		     0, "%s", err.msg);
	cr_assert_str_eq(value, "4");
	free(value);
	cr_assert_eq(query(idx, "PRAGMA foreign_keys"), 1);
	rfs_index_free(idx);
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"), V);
}

Test(index_schema, version_2_index_migrates_to_3_with_its_entries)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;

	/* A version 2 index as a release with migrations 1 and 2 left it. */
	raw_exec(test_db, "PRAGMA application_id = 1380340529;");
	raw_exec(test_db, rfs_index_migrations[0].sql);
	raw_exec(test_db, rfs_index_migrations[1].sql);
	raw_exec(test_db,
		 "PRAGMA user_version = 2;"
		 "INSERT INTO tables (name, created_ns)"
		 " VALUES ('sales.orders', 2);"
		 "INSERT INTO entries (uuid, bin_path, origin_path,"
		 " table_name, lifecycle_name, epoch_name, storage_name,"
		 " src_uri, bin_root_uri, is_dir, state, failed_step,"
		 " created_ns, updated_ns, lease_owner, lease_until_ns)"
		 " VALUES ('00000000000000000000000000000abc', 't/l/e/x',"
		 " 't/l/e/x', 't', 'l', 'e', 'nfs', 'file:///srv',"
		 " 'file:///srv/.bin', 1, 'archived', 'snapshot', 10, 20,"
		 " 'host:1', 30);"
		 "INSERT INTO entry_files (entry_id, path, type, size)"
		 " VALUES (1, 'a.parquet', 'f', 1234);");

	cr_assert_eq(rfs_index_open(test_db, 0, &idx, &err), 0, "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), V);
	cr_assert_eq(query(idx, "SELECT count(*) FROM restores"), 0);
	cr_assert_eq(query(idx, "SELECT count(*) FROM entries"
				" WHERE bin_path = 't/l/e/x'"
				" AND state = 'archived' AND created_ns = 10"
				" AND updated_ns = 20 AND lease_until_ns = 30"),
		     1);
	cr_assert_eq(query(idx, "SELECT size FROM entry_files"
				" WHERE entry_id = 1 AND path = 'a.parquet'"),
		     1234);
	cr_assert_eq(query(idx, "SELECT count(*) FROM tables"), 1);
	/* The new table refers to the old rows. */
	cr_assert_eq(rfs_index_exec(idx,
				    "INSERT INTO restores (entry_id, sub,"
				    " target_uri, target_key, target,"
				    " overwrite, state, created_ns,"
				    " updated_ns) VALUES (1, '', 'file:///t',"
				    " 'x', 'file:///t/x', 0, 'check', 1, 1)",
				    &err),
		     0, "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA foreign_keys"), 1);
	rfs_index_free(idx);
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"), V);
	cr_assert_eq(raw_int(test_db, "SELECT count(*) FROM sqlite_master"
				      " WHERE type = 'index' AND name IN"
				      " ('restores_by_state',"
				      " 'restores_by_entry')"),
		     2);
}

/* Run SQL on @p path with plain SQLite. @return SQLite's result code */
static int raw_try(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	return rc;
}

/* Version 5 lets manifest rows be special files with a device number:
 * the rows of a version 4 index come through whole, with rdev 0. */
Test(index_schema, version_4_index_migrates_to_5_keeping_manifest_rows)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;

	raw_exec(test_db, "PRAGMA application_id = 1380340529;");
	for (int i = 0; i < 4; i++)
		raw_exec(test_db, rfs_index_migrations[i].sql);
	raw_exec(
		test_db,
		"PRAGMA user_version = 4;"
		"INSERT INTO entries (uuid, bin_path, origin_path,"
		" table_name, lifecycle_name, epoch_name, storage_name,"
		" src_uri, bin_root_uri, is_dir, state, created_ns,"
		" updated_ns) VALUES ('00000000000000000000000000000abc',"
		" 't/l/e/x', 't/l/e/x', 't', 'l', 'e', 'nfs', 'file:///srv',"
		" 'file:///srv/.bin', 1, 'archived', 10, 20);"
		"INSERT INTO entry_files (entry_id, path, type, size, mtime_ns,"
		" atime_ns, mode, uid, gid, link, sha256, state)"
		" VALUES (1, 'a.parquet', 'f', 1234, 5, 6, 420, 7, 8, NULL,"
		" 'ab', 3), (1, 'l', 'l', 0, 1, 2, 511, 0, 0, 'a.parquet',"
		" NULL, 3), (1, '', 'd', 0, 1, 2, 493, 0, 0, NULL, NULL, 3);");
	/* version 4 refuses a FIFO row */
	cr_assert_neq(raw_try(test_db, "INSERT INTO entry_files (entry_id,"
				       " path, type) VALUES (1, 'p', 'p')"),
		      0);

	cr_assert_eq(rfs_index_open(test_db, 0, &idx, &err), 0, "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), V);
	cr_assert_eq(query(idx, "SELECT count(*) FROM entry_files"), 3);
	cr_assert_eq(query(idx, "SELECT count(*) FROM entry_files"
				" WHERE path = 'a.parquet' AND type = 'f'"
				" AND size = 1234 AND mtime_ns = 5"
				" AND atime_ns = 6 AND mode = 420 AND uid = 7"
				" AND gid = 8 AND sha256 = 'ab' AND state = 3"
				" AND rdev = 0"),
		     1);
	cr_assert_eq(query(idx, "SELECT count(*) FROM entry_files"
				" WHERE path = 'l' AND link = 'a.parquet'"),
		     1);
	/* special files with their device numbers go in now */
	cr_assert_eq(rfs_index_exec(idx,
				    "INSERT INTO entry_files (entry_id, path,"
				    " type, rdev) VALUES (1, 'p', 'p', 0),"
				    " (1, 's', 's', 0), (1, 'c', 'c', 259),"
				    " (1, 'b', 'b', 1793)",
				    &err),
		     0, "%s", err.msg);
	/* the rows still go with their entry */
	cr_assert_eq(rfs_index_exec(idx, "DELETE FROM entries", &err), 0);
	cr_assert_eq(query(idx, "SELECT count(*) FROM entry_files"), 0);
	rfs_index_free(idx);
}

Test(index_schema, memory_index_has_the_current_schema)
{
	struct rfs_index *idx = NULL;

	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
	cr_assert_eq(query(idx, "PRAGMA user_version"),
		     RFS_INDEX_SCHEMA_VERSION);
	cr_assert_eq(query(idx, "PRAGMA application_id"),
		     RFS_INDEX_APPLICATION_ID);
	cr_assert_eq(query(idx, "PRAGMA foreign_keys"), 1);
	rfs_index_free(idx);
}

Test(index_schema, file_settings)
{
	struct rfs_index *idx = NULL;

	cr_assert_eq(rfs_index_open(test_db, RFS_INDEX_CREATE, &idx, NULL), 0);
	/* synchronous NORMAL is 1 */
	cr_assert_eq(query(idx, "PRAGMA synchronous"), 1);
	cr_assert_eq(query(idx, "PRAGMA busy_timeout"), 10000);
	cr_assert_eq(query(idx, "PRAGMA foreign_keys"), 1);
	rfs_index_free(idx);
}

Test(index_schema, later_migrations_apply_in_order)
{
	static const struct rfs_index_migration extra[] = {
		{ "jobs", "CREATE TABLE jobs (id INTEGER PRIMARY KEY,"
			  " state TEXT NOT NULL) STRICT;"
			  "INSERT INTO jobs (state) VALUES ('archiving');" },
		{ "job progress", "ALTER TABLE jobs ADD COLUMN done INTEGER"
				  " NOT NULL DEFAULT 0;"
				  "UPDATE jobs SET done = 7;" },
	};
	struct rfs_index_migration steps[MAX_STEPS];
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;
	size_t n = steps_after_current(steps, extra, 2);

	/* The index is at version V already: its migrations do not run. */
	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
	cr_assert_eq(rfs_index_migrate(idx, steps, n, &err), 0, "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), V + 2);
	cr_assert_eq(query(idx, "SELECT done FROM jobs WHERE state ="
				" 'archiving'"),
		     7);
	/* Running again finds nothing to do. */
	cr_assert_eq(rfs_index_migrate(idx, steps, n, &err), 0);
	cr_assert_eq(query(idx, "SELECT count(*) FROM jobs"), 1);
	rfs_index_free(idx);
}

Test(index_schema, failing_migration_keeps_the_previous_version)
{
	static const struct rfs_index_migration extra[] = {
		{ "good", "CREATE TABLE jobs (id INTEGER PRIMARY KEY);" },
		{ "bad", "CREATE TABLE parts (id INTEGER PRIMARY KEY);"
			 "INSERT INTO no_such_table VALUES (1);" },
	};
	struct rfs_index_migration steps[MAX_STEPS];
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;
	size_t n = steps_after_current(steps, extra, 2);
	char want[64];

	cr_assert_eq(rfs_index_open(test_db, RFS_INDEX_CREATE, &idx, NULL), 0);
	cr_assert_eq(rfs_index_migrate(idx, steps, n, &err), -EIO);
	cr_assert_eq(err.code, EIO);
	snprintf(want, sizeof(want), "migration to schema version %d (bad)",
		 V + 2);
	cr_assert(strstr(err.msg, want), "%s", err.msg);
	cr_assert(strstr(err.msg, "no_such_table"), "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), V + 1);
	cr_assert_eq(query(idx, "PRAGMA foreign_keys"), 1);
	rfs_index_free(idx);
	cr_assert_eq(count_table(test_db, "jobs"), 1);
	cr_assert_eq(count_table(test_db, "parts"), 0, "not rolled back");
}

Test(index_schema, migration_leaving_a_dangling_reference_fails)
{
	static const struct rfs_index_migration extra[] = {
		{ "orphan", "INSERT INTO lifecycles"
			    " (table_id, name, ord, created_ns)"
			    " VALUES (42, 'raw', 0, 0);" },
	};
	struct rfs_index_migration steps[MAX_STEPS];
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;
	size_t n = steps_after_current(steps, extra, 1);

	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
	cr_assert_eq(rfs_index_migrate(idx, steps, n, &err), -EIO);
	cr_assert(strstr(err.msg, "lifecycles"), "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), V);
	cr_assert_eq(query(idx, "SELECT count(*) FROM lifecycles"), 0);
	rfs_index_free(idx);
}

Test(index_schema, migrating_to_an_older_version_is_eproto)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;

	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
	cr_assert_eq(rfs_index_migrate(idx, rfs_index_migrations, 0, &err),
		     -EPROTO);
	cr_assert(strstr(err.msg, "supports up to 0"), "%s", err.msg);
	rfs_index_free(idx);
}

Test(index_schema, negative_user_version_is_not_an_index)
{
	struct rfs_index *idx = NULL;

	raw_exec(test_db, "PRAGMA application_id = 1380340529;"
			  "PRAGMA user_version = -1;");
	cr_assert_eq(rfs_index_open(test_db, 0, &idx, NULL), -EINVAL);
	cr_assert_null(idx);
}

Test(index_schema, epochs_need_a_real_range)
{
	struct rfs_index *idx = NULL;
	int64_t t, l, s;

	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
	cr_assert_eq(rfs_index_storage_insert(idx, "nfs", "file:///srv", NULL,
					      "file", &s, NULL),
		     0);
	cr_assert_eq(rfs_index_table_insert(idx, "t", &t, NULL), 0);
	cr_assert_eq(rfs_index_lifecycle_insert(idx, t, "raw", 0, &l, NULL), 0);
	cr_assert_eq(
		rfs_index_epoch_insert(idx, l, 100, 100, s, "", NULL, NULL),
		-EIO);
	cr_assert_eq(rfs_index_epoch_insert(idx, l, 100, 50, s, "", NULL, NULL),
		     -EIO);
	cr_assert_eq(query(idx, "SELECT count(*) FROM epochs"), 0);
	rfs_index_free(idx);
}
