/*
 * The schema of the index: how a file is recognised as a recyclefs index
 * (PRAGMA application_id), its version (PRAGMA user_version) and the
 * ordered migrations that bring an older index up to date.
 *
 * A migration is appended, never edited once released: migration i brings
 * user_version from i - 1 to i. Later features add their tables in new
 * migrations.
 */
#include "index/index.h"
#include "index/internal.h"

#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

/*
 * Version 1: the catalog, its history and the configuration.
 *
 * Times are nanoseconds since the Unix epoch (UTC); days are days since
 * 1970-01-01, with to_day = 2147483647 (RFS_DATE_NOW) for the open epoch.
 * Lifecycles and epochs are not deleted with their owner: removing a table
 * or storage still in use is refused by the foreign keys.
 */
static const char schema_v1[] =
	"CREATE TABLE storages (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	name TEXT NOT NULL UNIQUE,\n"
	"	uri TEXT NOT NULL,\n"
	"	bin_uri TEXT,\n"
	"	class TEXT NOT NULL,\n"
	"	created_ns INTEGER NOT NULL\n"
	") STRICT;\n"
	"CREATE TABLE tables (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	name TEXT NOT NULL UNIQUE,\n"
	"	created_ns INTEGER NOT NULL\n"
	") STRICT;\n"
	"CREATE TABLE classifications (\n"
	"	table_id INTEGER NOT NULL\n"
	"		REFERENCES tables (id) ON DELETE CASCADE,\n"
	"	name TEXT NOT NULL,\n"
	"	created_ns INTEGER NOT NULL,\n"
	"	PRIMARY KEY (table_id, name)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE INDEX classifications_by_name ON classifications (name);\n"
	"CREATE TABLE lifecycles (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	table_id INTEGER NOT NULL REFERENCES tables (id),\n"
	"	name TEXT NOT NULL,\n"
	"	ord INTEGER NOT NULL,\n"
	"	created_ns INTEGER NOT NULL,\n"
	"	UNIQUE (table_id, name)\n"
	") STRICT;\n"
	"CREATE TABLE epochs (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	lifecycle_id INTEGER NOT NULL REFERENCES lifecycles (id),\n"
	"	from_day INTEGER NOT NULL,\n"
	"	to_day INTEGER NOT NULL,\n"
	"	storage_id INTEGER NOT NULL REFERENCES storages (id),\n"
	"	path TEXT NOT NULL DEFAULT '',\n"
	"	created_ns INTEGER NOT NULL,\n"
	"	updated_ns INTEGER NOT NULL,\n"
	"	CHECK (to_day > from_day)\n"
	") STRICT;\n"
	"CREATE INDEX epochs_by_lifecycle ON epochs (lifecycle_id, from_day);\n"
	"CREATE INDEX epochs_by_storage ON epochs (storage_id);\n"
	"CREATE TABLE history (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	at_ns INTEGER NOT NULL,\n"
	"	action TEXT NOT NULL,\n"
	"	subject TEXT NOT NULL,\n"
	"	detail TEXT\n"
	") STRICT;\n"
	"CREATE INDEX history_by_subject ON history (subject);\n"
	"CREATE TABLE config (\n"
	"	key TEXT PRIMARY KEY,\n"
	"	value TEXT NOT NULL\n"
	") STRICT, WITHOUT ROWID;\n";

/*
 * Version 2: recycle entries (model/entry.h) and their manifest rows.
 *
 * States are stored by name (rfs_entry_state_name()). A live entry (any
 * state but purged) owns its bin path; a purged one is kept as history and
 * gives its place up. Times are nanoseconds since the Unix epoch; NULL in
 * deleted_ns and purged_ns means "not yet", 0 in lease_until_ns "no
 * lease". epoch_id is not a foreign key: an entry outlives the catalog row
 * it was archived from (0 when unknown). A manifest row's sha256 is NULL
 * until known; its state is an enum rfs_file_state.
 */
static const char schema_v2[] =
	"CREATE TABLE entries (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	uuid TEXT NOT NULL UNIQUE,\n"
	"	bin_path TEXT NOT NULL,\n"
	"	origin_path TEXT NOT NULL,\n"
	"	table_name TEXT NOT NULL,\n"
	"	lifecycle_name TEXT NOT NULL,\n"
	"	epoch_name TEXT NOT NULL,\n"
	"	epoch_id INTEGER NOT NULL DEFAULT 0,\n"
	"	item_key TEXT NOT NULL DEFAULT '',\n"
	"	storage_name TEXT NOT NULL,\n"
	"	src_uri TEXT NOT NULL,\n"
	"	bin_root_uri TEXT NOT NULL,\n"
	"	is_dir INTEGER NOT NULL CHECK (is_dir IN (0, 1)),\n"
	"	state TEXT NOT NULL CHECK (state IN ('snapshot', 'sync',\n"
	"		'verify', 'unpublish', 'delete', 'archived', 'failed',\n"
	"		'purging', 'purged')),\n"
	"	failed_step TEXT CHECK (failed_step IN ('snapshot', 'sync',\n"
	"		'verify', 'unpublish', 'delete', 'archived', 'failed',\n"
	"		'purging', 'purged')),\n"
	"	reason TEXT,\n"
	"	files_total INTEGER NOT NULL DEFAULT 0,\n"
	"	bytes_total INTEGER NOT NULL DEFAULT 0,\n"
	"	files_done INTEGER NOT NULL DEFAULT 0,\n"
	"	bytes_done INTEGER NOT NULL DEFAULT 0,\n"
	"	created_ns INTEGER NOT NULL,\n"
	"	updated_ns INTEGER NOT NULL,\n"
	"	deleted_ns INTEGER,\n"
	"	purged_ns INTEGER,\n"
	"	lease_owner TEXT,\n"
	"	lease_until_ns INTEGER NOT NULL DEFAULT 0,\n"
	"	restored_to TEXT\n"
	") STRICT;\n"
	"CREATE UNIQUE INDEX entries_live_bin_path ON entries (bin_path)\n"
	"	WHERE state <> 'purged';\n"
	"CREATE INDEX entries_by_origin ON entries (origin_path);\n"
	"CREATE INDEX entries_by_state ON entries (state);\n"
	"CREATE TABLE entry_files (\n"
	"	entry_id INTEGER NOT NULL\n"
	"		REFERENCES entries (id) ON DELETE CASCADE,\n"
	"	path TEXT NOT NULL,\n"
	"	type TEXT NOT NULL CHECK (type IN ('f', 'd', 'l')),\n"
	"	size INTEGER NOT NULL DEFAULT 0,\n"
	"	mtime_ns INTEGER NOT NULL DEFAULT 0,\n"
	"	atime_ns INTEGER NOT NULL DEFAULT 0,\n"
	"	mode INTEGER NOT NULL DEFAULT 0,\n"
	"	uid INTEGER NOT NULL DEFAULT 0,\n"
	"	gid INTEGER NOT NULL DEFAULT 0,\n"
	"	link TEXT,\n"
	"	sha256 TEXT,\n"
	"	state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 4),\n"
	"	PRIMARY KEY (entry_id, path)\n"
	") STRICT, WITHOUT ROWID;\n";

/*
 * Version 3: restores (model/restore.h), copies back out of the bin.
 *
 * States are stored by name (rfs_restore_state_name()). A restore goes
 * with its entry. target_epoch_id, target_table, target_lifecycle and
 * target_epoch are NULL for a target outside the catalog (a URI);
 * target_epoch_id is not a foreign key, as entries' epoch_id. Times are
 * nanoseconds since the Unix epoch, 0 in lease_until_ns "no lease".
 */
static const char schema_v3[] =
	"CREATE TABLE restores (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	entry_id INTEGER NOT NULL\n"
	"		REFERENCES entries (id) ON DELETE CASCADE,\n"
	"	sub TEXT NOT NULL,\n"
	"	target_uri TEXT NOT NULL,\n"
	"	target_key TEXT NOT NULL,\n"
	"	target TEXT NOT NULL,\n"
	"	target_epoch_id INTEGER,\n"
	"	target_table TEXT,\n"
	"	target_lifecycle TEXT,\n"
	"	target_epoch TEXT,\n"
	"	overwrite INTEGER NOT NULL CHECK (overwrite IN (0, 1)),\n"
	"	state TEXT NOT NULL CHECK (state IN ('check', 'copy', 'verify',\n"
	"		'publish', 'done', 'failed')),\n"
	"	failed_step TEXT CHECK (failed_step IN ('check', 'copy',\n"
	"		'verify', 'publish', 'done', 'failed')),\n"
	"	reason TEXT,\n"
	"	files_total INTEGER NOT NULL DEFAULT 0,\n"
	"	bytes_total INTEGER NOT NULL DEFAULT 0,\n"
	"	files_done INTEGER NOT NULL DEFAULT 0,\n"
	"	bytes_done INTEGER NOT NULL DEFAULT 0,\n"
	"	created_ns INTEGER NOT NULL,\n"
	"	updated_ns INTEGER NOT NULL,\n"
	"	lease_owner TEXT,\n"
	"	lease_until_ns INTEGER NOT NULL DEFAULT 0\n"
	") STRICT;\n"
	"CREATE INDEX restores_by_state ON restores (state);\n"
	"CREATE INDEX restores_by_entry ON restores (entry_id);\n";

/*
 * Version 4: at most one restore per entry and target at a time. A
 * restore in check, copy, verify or publish holds its (entry, target)
 * pair; a second one for the same pair cannot be inserted, so two
 * processes can never both start one (core/restore.c joins the first).
 * Pairs that an older build let run twice keep their oldest restore; the
 * others become failed, with the reason.
 */
static const char schema_v4[] =
	"UPDATE restores SET failed_step = state, state = 'failed',\n"
	"	reason = 'a second restore of the same item to the same target:'\n"
	"		|| ' the first one (restore ' || (\n"
	"		SELECT min(o.id) FROM restores o\n"
	"		WHERE o.entry_id = restores.entry_id\n"
	"		AND o.target_uri = restores.target_uri\n"
	"		AND o.target_key = restores.target_key\n"
	"		AND o.state IN ('check', 'copy', 'verify', 'publish'))\n"
	"		|| ') carries on'\n"
	"WHERE state IN ('check', 'copy', 'verify', 'publish')\n"
	"AND EXISTS (SELECT 1 FROM restores o\n"
	"	WHERE o.entry_id = restores.entry_id\n"
	"	AND o.target_uri = restores.target_uri\n"
	"	AND o.target_key = restores.target_key\n"
	"	AND o.state IN ('check', 'copy', 'verify', 'publish')\n"
	"	AND o.id < restores.id);\n"
	"CREATE UNIQUE INDEX restores_one_per_target\n"
	"	ON restores (entry_id, target_uri, target_key)\n"
	"	WHERE state IN ('check', 'copy', 'verify', 'publish');\n";

/*
 * Version 5: special files in manifests. A row may be a FIFO ('p'), a
 * UNIX socket ('s'), a character ('c') or a block device ('b'); rdev is
 * a device's number (st_rdev), 0 for every other row. SQLite cannot
 * change a CHECK constraint in place: the table is copied into a new one.
 */
static const char schema_v5[] =
	"CREATE TABLE entry_files_v5 (\n"
	"	entry_id INTEGER NOT NULL\n"
	"		REFERENCES entries (id) ON DELETE CASCADE,\n"
	"	path TEXT NOT NULL,\n"
	"	type TEXT NOT NULL CHECK (type IN ('f', 'd', 'l', 'p', 's',\n"
	"		'c', 'b')),\n"
	"	size INTEGER NOT NULL DEFAULT 0,\n"
	"	mtime_ns INTEGER NOT NULL DEFAULT 0,\n"
	"	atime_ns INTEGER NOT NULL DEFAULT 0,\n"
	"	mode INTEGER NOT NULL DEFAULT 0,\n"
	"	uid INTEGER NOT NULL DEFAULT 0,\n"
	"	gid INTEGER NOT NULL DEFAULT 0,\n"
	"	link TEXT,\n"
	"	sha256 TEXT,\n"
	"	state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 4),\n"
	"	rdev INTEGER NOT NULL DEFAULT 0,\n"
	"	PRIMARY KEY (entry_id, path)\n"
	") STRICT, WITHOUT ROWID;\n"
	"INSERT INTO entry_files_v5 (entry_id, path, type, size, mtime_ns,\n"
	"	atime_ns, mode, uid, gid, link, sha256, state)\n"
	"	SELECT entry_id, path, type, size, mtime_ns, atime_ns, mode,\n"
	"	uid, gid, link, sha256, state FROM entry_files;\n"
	"DROP TABLE entry_files;\n"
	"ALTER TABLE entry_files_v5 RENAME TO entry_files;\n";

/*
 * Version 6: a generation per epoch, which every job that changes what the
 * epoch holds bumps: an entry archived from it (added, each change of its
 * state or of where it was restored to, removed), a restore into it (added,
 * each change of its state). The triggers bump it, so every writer does,
 * whatever process runs the job. A mount compares it with the one it last
 * saw before it answers from what it keeps of a storage it cannot watch
 * (the files a relational epoch generates): the next request after a job
 * step sees what the step did. Epochs never changed by a job have no row
 * (generation 0).
 */
static const char schema_v6[] =
	"CREATE TABLE epoch_gens (\n"
	"	epoch_id INTEGER PRIMARY KEY,\n"
	"	gen INTEGER NOT NULL\n"
	") STRICT;\n"
	"CREATE TRIGGER epoch_gens_entry_insert AFTER INSERT ON entries\n"
	"BEGIN\n"
	"	INSERT OR IGNORE INTO epoch_gens VALUES (NEW.epoch_id, 0);\n"
	"	UPDATE epoch_gens SET gen = gen + 1 WHERE epoch_id = NEW.epoch_id;\n"
	"END;\n"
	"CREATE TRIGGER epoch_gens_entry_update\n"
	"	AFTER UPDATE OF state, restored_to ON entries\n"
	"	WHEN OLD.state IS NOT NEW.state\n"
	"	OR OLD.restored_to IS NOT NEW.restored_to\n"
	"BEGIN\n"
	"	INSERT OR IGNORE INTO epoch_gens VALUES (NEW.epoch_id, 0);\n"
	"	UPDATE epoch_gens SET gen = gen + 1 WHERE epoch_id = NEW.epoch_id;\n"
	"END;\n"
	"CREATE TRIGGER epoch_gens_entry_delete AFTER DELETE ON entries\n"
	"BEGIN\n"
	"	INSERT OR IGNORE INTO epoch_gens VALUES (OLD.epoch_id, 0);\n"
	"	UPDATE epoch_gens SET gen = gen + 1 WHERE epoch_id = OLD.epoch_id;\n"
	"END;\n"
	"CREATE TRIGGER epoch_gens_restore_insert AFTER INSERT ON restores\n"
	"	WHEN NEW.target_epoch_id IS NOT NULL\n"
	"BEGIN\n"
	"	INSERT OR IGNORE INTO epoch_gens VALUES (NEW.target_epoch_id, 0);\n"
	"	UPDATE epoch_gens SET gen = gen + 1 WHERE epoch_id = NEW.target_epoch_id;\n"
	"END;\n"
	"CREATE TRIGGER epoch_gens_restore_update\n"
	"	AFTER UPDATE OF state ON restores\n"
	"	WHEN NEW.target_epoch_id IS NOT NULL\n"
	"	AND OLD.state IS NOT NEW.state\n"
	"BEGIN\n"
	"	INSERT OR IGNORE INTO epoch_gens VALUES (NEW.target_epoch_id, 0);\n"
	"	UPDATE epoch_gens SET gen = gen + 1 WHERE epoch_id = NEW.target_epoch_id;\n"
	"END;\n";

/*
 * Version 7: parts of archived entries queued for purging (rm of a path
 * inside a bin entry). The mount records a row and returns; a job worker
 * purges every queued part of an entry at once and drops the rows. A
 * failed batch keeps its rows with the attempt count, the reason and when
 * to try again.
 */
static const char schema_v7[] =
	"CREATE TABLE part_purges (\n"
	"	entry_id INTEGER NOT NULL\n"
	"		REFERENCES entries (id) ON DELETE CASCADE,\n"
	"	path TEXT NOT NULL,\n"
	"	queued_ns INTEGER NOT NULL,\n"
	"	attempts INTEGER NOT NULL DEFAULT 0,\n"
	"	retry_ns INTEGER NOT NULL DEFAULT 0,\n"
	"	reason TEXT,\n"
	"	PRIMARY KEY (entry_id, path)\n"
	") STRICT, WITHOUT ROWID;\n";

const struct rfs_index_migration rfs_index_migrations[] = {
	{ "catalog, history and configuration", schema_v1 },
	{ "recycle entries and their manifests", schema_v2 },
	{ "restores", schema_v3 },
	{ "one restore per target", schema_v4 },
	{ "special files in manifests", schema_v5 },
	{ "a generation per epoch", schema_v6 },
	{ "queued purges of parts of entries", schema_v7 },
};

_Static_assert(sizeof(rfs_index_migrations) / sizeof(rfs_index_migrations[0]) ==
		       RFS_INDEX_SCHEMA_VERSION,
	       "one migration per schema version");

/* What the header of a database says about it. */
struct identity {
	int64_t app_id;
	int64_t version;
	int64_t n_objects; /* tables, indices, views, triggers */
};

static int read_identity(struct rfs_index *idx, struct identity *id,
			 struct rfs_error *err)
{
	int ret;

	ret = rfs_index_query_int(idx, "PRAGMA application_id", &id->app_id,
				  err);
	if (!ret)
		ret = rfs_index_query_int(idx, "PRAGMA user_version",
					  &id->version, err);
	if (!ret)
		ret = rfs_index_query_int(idx,
					  "SELECT count(*) FROM sqlite_master",
					  &id->n_objects, err);
	return ret;
}

static bool is_empty(const struct identity *id)
{
	return id->app_id == 0 && id->version == 0 && id->n_objects == 0;
}

static int not_an_index(struct rfs_index *idx, struct rfs_error *err)
{
	return rfs_error_set(err, EINVAL, "'%s' is not a recyclefs index",
			     idx->path);
}

static int too_new(struct rfs_index *idx, int64_t version, size_t n,
		   struct rfs_error *err)
{
	return rfs_error_set(err, EPROTO,
			     "index '%s' has schema version %" PRId64
			     "; this recyclefs supports up to %zu",
			     idx->path, version, n);
}

/*
 * Mark an empty database as a recyclefs index. Done under the write lock,
 * so that of two processes creating the same index one claims it and the
 * other finds it claimed.
 */
static int claim(struct rfs_index *idx, struct rfs_error *err)
{
	char sql[64];
	struct identity id;
	int ret;

	ret = rfs_index_exec(idx, "BEGIN IMMEDIATE", err);
	if (ret < 0)
		return ret;
	ret = read_identity(idx, &id, err);
	if (ret < 0)
		goto rollback;
	if (is_empty(&id)) {
		/* A constant, not a value from outside: PRAGMA takes none. */
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
			 (int)RFS_INDEX_APPLICATION_ID);
		ret = rfs_index_exec(idx, sql, err);
		if (ret < 0)
			goto rollback;
		idx->created = true; /* a shared in-memory index, too */
	}
	ret = rfs_index_exec(idx, "COMMIT", err);
	if (ret < 0)
		goto rollback;
	return 0;

rollback:
	rfs_index_rollback(idx);
	return ret;
}

int rfs_index_schema_check(struct rfs_index *idx, bool create,
			   struct rfs_error *err)
{
	struct identity id;
	int ret;

	ret = read_identity(idx, &id, err);
	if (ret == -EINVAL) /* SQLITE_NOTADB */
		return not_an_index(idx, err);
	if (ret < 0)
		return ret;
	if (is_empty(&id)) {
		if (!create)
			return rfs_error_set(
				err, ENOENT,
				"no recyclefs index at '%s'; run 'recyclefs init'",
				idx->path);
		ret = claim(idx, err);
		if (!ret)
			ret = read_identity(idx, &id, err);
		if (ret < 0)
			return ret;
	}
	if (id.app_id != RFS_INDEX_APPLICATION_ID || id.version < 0)
		return not_an_index(idx, err);
	if (id.version > RFS_INDEX_SCHEMA_VERSION)
		return too_new(idx, id.version, RFS_INDEX_SCHEMA_VERSION, err);
	if (idx->readonly && id.version < RFS_INDEX_SCHEMA_VERSION)
		return rfs_error_set(
			err, EPROTO,
			"index '%s' has schema version %" PRId64
			"; this recyclefs needs %d: open it read-write once to upgrade it",
			idx->path, id.version, RFS_INDEX_SCHEMA_VERSION);
	return 0;
}

/* Fail when the open transaction left a reference dangling. */
static int check_foreign_keys(struct rfs_index *idx, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	rc = sqlite3_prepare_v3(idx->db, "PRAGMA foreign_key_check", -1, 0, &st,
				NULL);
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err, "index '%s'", idx->path);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = rfs_error_set(
			err, EIO,
			"index '%s': a row of '%s' refers to a missing row",
			idx->path, (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		ret = rfs_index_fail(idx, rc, err, "index '%s'", idx->path);
	sqlite3_finalize(st);
	return ret;
}

/* Apply the next migration, if any; set *done when there is none. */
static int migrate_one(struct rfs_index *idx,
		       const struct rfs_index_migration *steps, size_t n,
		       bool *done, struct rfs_error *err)
{
	const struct rfs_index_migration *step;
	int64_t version;
	char sql[64];
	int ret;

	ret = rfs_index_exec(idx, "BEGIN IMMEDIATE", err);
	if (ret < 0)
		return ret;
	/* Read again under the lock: another process may have migrated. */
	ret = rfs_index_query_int(idx, "PRAGMA user_version", &version, err);
	if (ret < 0)
		goto rollback;
	if (version < 0 || (uint64_t)version >= n) {
		rfs_index_rollback(idx);
		*done = true;
		return (uint64_t)version > n ? too_new(idx, version, n, err)
					     : 0;
	}
	step = &steps[version];
	ret = rfs_index_exec(idx, step->sql, err);
	if (!ret)
		ret = check_foreign_keys(idx, err);
	if (ret < 0)
		goto failed;
	/* The version is a number of ours, not a value from outside. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %" PRId64,
		 version + 1);
	ret = rfs_index_exec(idx, sql, err);
	if (!ret)
		ret = rfs_index_exec(idx, "COMMIT", err);
	if (ret < 0)
		goto failed;
	rfs_log(LOG_DEBUG,
		"index '%s': migrated to schema version %" PRId64 " (%s)",
		idx->path, version + 1, step->what);
	return 0;

failed:
	rfs_error_prefix(err,
			 "migration to schema version %" PRId64 " (%s) failed",
			 version + 1, step->what);
rollback:
	rfs_index_rollback(idx);
	return ret;
}

int rfs_index_migrate(struct rfs_index *idx,
		      const struct rfs_index_migration *steps, size_t n,
		      struct rfs_error *err)
{
	bool done = false;
	int64_t version;
	int ret, ret2;

	/* The common case, an index already up to date, takes no lock. */
	ret = rfs_index_query_int(idx, "PRAGMA user_version", &version, err);
	if (ret < 0)
		return ret;
	if (version >= 0 && (uint64_t)version == n)
		return 0;
	if (version > 0 && (uint64_t)version > n)
		return too_new(idx, version, n, err);

	/* Has no effect inside a transaction, so it is set around them. */
	ret = rfs_index_exec(idx, "PRAGMA foreign_keys = OFF", err);
	if (ret < 0)
		return ret;
	while (!ret && !done)
		ret = migrate_one(idx, steps, n, &done, err);
	ret2 = rfs_index_exec(idx, "PRAGMA foreign_keys = ON",
			      ret < 0 ? NULL : err);
	return ret < 0 ? ret : ret2;
}
