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
	static const struct rfs_index_migration steps[] = {
		{ "unused: the index is at version 1 already", "SELECT 1" },
		{ "jobs", "CREATE TABLE jobs (id INTEGER PRIMARY KEY,"
			  " state TEXT NOT NULL) STRICT;"
			  "INSERT INTO jobs (state) VALUES ('archiving');" },
		{ "job progress", "ALTER TABLE jobs ADD COLUMN done INTEGER"
				  " NOT NULL DEFAULT 0;"
				  "UPDATE jobs SET done = 7;" },
	};
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;

	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
	cr_assert_eq(rfs_index_migrate(idx, steps, 3, &err), 0, "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), 3);
	cr_assert_eq(query(idx, "SELECT done FROM jobs WHERE state ="
				" 'archiving'"),
		     7);
	/* Running again finds nothing to do. */
	cr_assert_eq(rfs_index_migrate(idx, steps, 3, &err), 0);
	cr_assert_eq(query(idx, "SELECT count(*) FROM jobs"), 1);
	rfs_index_free(idx);
}

Test(index_schema, failing_migration_keeps_the_previous_version)
{
	static const struct rfs_index_migration steps[] = {
		{ "v1", "SELECT 1" },
		{ "good", "CREATE TABLE jobs (id INTEGER PRIMARY KEY);" },
		{ "bad", "CREATE TABLE parts (id INTEGER PRIMARY KEY);"
			 "INSERT INTO no_such_table VALUES (1);" },
	};
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;

	cr_assert_eq(rfs_index_open(test_db, RFS_INDEX_CREATE, &idx, NULL), 0);
	cr_assert_eq(rfs_index_migrate(idx, steps, 3, &err), -EIO);
	cr_assert_eq(err.code, EIO);
	cr_assert(strstr(err.msg, "migration to schema version 3 (bad)"), "%s",
		  err.msg);
	cr_assert(strstr(err.msg, "no_such_table"), "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), 2);
	cr_assert_eq(query(idx, "PRAGMA foreign_keys"), 1);
	rfs_index_free(idx);
	cr_assert_eq(count_table(test_db, "jobs"), 1);
	cr_assert_eq(count_table(test_db, "parts"), 0, "not rolled back");
}

Test(index_schema, migration_leaving_a_dangling_reference_fails)
{
	static const struct rfs_index_migration steps[] = {
		{ "v1", "SELECT 1" },
		{ "orphan", "INSERT INTO lifecycles"
			    " (table_id, name, ord, created_ns)"
			    " VALUES (42, 'raw', 0, 0);" },
	};
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;

	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
	cr_assert_eq(rfs_index_migrate(idx, steps, 2, &err), -EIO);
	cr_assert(strstr(err.msg, "lifecycles"), "%s", err.msg);
	cr_assert_eq(query(idx, "PRAGMA user_version"), 1);
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
