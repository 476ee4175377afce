/*
 * The catalog in the index: inserting and changing storages, tables,
 * classifications, lifecycles and epochs, and loading them all as one
 * sealed snapshot (model/catalog.h).
 */
#include "index/index.h"
#include "index/internal.h"

#include "model/catalog.h"
#include "util/error.h"
#include "util/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int rfs_index_storage_insert(struct rfs_index *idx, const char *name,
			     const char *uri, const char *bin_uri,
			     const char *class_name, int64_t *id,
			     struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_STORAGE_INSERT,
			     "INSERT INTO storages"
			     " (name, uri, bin_uri, class, created_ns)"
			     " VALUES (?1, ?2, ?3, ?4, ?5)",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = rfs_index_bind_text(st, 1, name);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, uri);
	if (!rc)
		rc = rfs_index_bind_text(st, 3, bin_uri);
	if (!rc)
		rc = rfs_index_bind_text(st, 4, class_name);
	if (!rc)
		rc = sqlite3_bind_int64(st, 5, rfs_time_now_ns());
	ret = rfs_index_run(idx, st, rc, err, "cannot add storage '%s'", name);
	if (ret == -EEXIST)
		return rfs_error_set(err, EEXIST, "storage '%s' already exists",
				     name);
	if (!ret && id)
		*id = sqlite3_last_insert_rowid(idx->db);
	return ret;
}

int rfs_index_table_insert(struct rfs_index *idx, const char *name, int64_t *id,
			   struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_TABLE_INSERT,
			     "INSERT INTO tables (name, created_ns)"
			     " VALUES (?1, ?2)",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = rfs_index_bind_text(st, 1, name);
	if (!rc)
		rc = sqlite3_bind_int64(st, 2, rfs_time_now_ns());
	ret = rfs_index_run(idx, st, rc, err, "cannot add table '%s'", name);
	if (ret == -EEXIST)
		return rfs_error_set(err, EEXIST, "table '%s' already exists",
				     name);
	if (!ret && id)
		*id = sqlite3_last_insert_rowid(idx->db);
	return ret;
}

int rfs_index_classification_set(struct rfs_index *idx, int64_t table_id,
				 const char *name, bool on,
				 struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (on)
		ret = rfs_index_stmt(idx, RFS_INDEX_STMT_CLASSIFICATION_ADD,
				     "INSERT INTO classifications"
				     " (table_id, name, created_ns)"
				     " VALUES (?1, ?2, ?3)"
				     " ON CONFLICT DO NOTHING",
				     &st, err);
	else
		ret = rfs_index_stmt(idx, RFS_INDEX_STMT_CLASSIFICATION_DEL,
				     "DELETE FROM classifications"
				     " WHERE table_id = ?1 AND name = ?2",
				     &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, table_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, name);
	if (!rc && on)
		rc = sqlite3_bind_int64(st, 3, rfs_time_now_ns());
	return rfs_index_run(idx, st, rc, err,
			     "cannot %s classification '%s' of table %" PRId64,
			     on ? "add" : "remove", name, table_id);
}

int rfs_index_lifecycle_insert(struct rfs_index *idx, int64_t table_id,
			       const char *name, int order, int64_t *id,
			       struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_LIFECYCLE_INSERT,
			     "INSERT INTO lifecycles"
			     " (table_id, name, ord, created_ns)"
			     " VALUES (?1, ?2, ?3, ?4)",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, table_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, name);
	if (!rc)
		rc = sqlite3_bind_int(st, 3, order);
	if (!rc)
		rc = sqlite3_bind_int64(st, 4, rfs_time_now_ns());
	ret = rfs_index_run(idx, st, rc, err, "cannot add lifecycle '%s'",
			    name);
	if (ret == -EEXIST)
		return rfs_error_set(
			err, EEXIST,
			"lifecycle '%s' already exists in that table", name);
	if (!ret && id)
		*id = sqlite3_last_insert_rowid(idx->db);
	return ret;
}

int rfs_index_epoch_insert(struct rfs_index *idx, int64_t lifecycle_id,
			   int32_t from, int32_t to, int64_t storage_id,
			   const char *path, int64_t *id, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int64_t now = rfs_time_now_ns();
	char range[RFS_RANGE_STRLEN];
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_EPOCH_INSERT,
			     "INSERT INTO epochs"
			     " (lifecycle_id, from_day, to_day, storage_id,"
			     " path, created_ns, updated_ns)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, lifecycle_id);
	if (!rc)
		rc = sqlite3_bind_int(st, 2, from);
	if (!rc)
		rc = sqlite3_bind_int(st, 3, to);
	if (!rc)
		rc = sqlite3_bind_int64(st, 4, storage_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 5, path ? path : "");
	if (!rc)
		rc = sqlite3_bind_int64(st, 6, now);
	ret = rfs_index_run(idx, st, rc, err, "cannot add epoch '%s'",
			    rfs_epoch_range_format(from, to, range));
	if (!ret && id)
		*id = sqlite3_last_insert_rowid(idx->db);
	return ret;
}

int rfs_index_epoch_update(struct rfs_index *idx, int64_t epoch_id, int32_t to,
			   int64_t storage_id, const char *path,
			   struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	/* A NULL path keeps the current one. */
	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_EPOCH_UPDATE,
			     "UPDATE epochs SET to_day = ?2, storage_id = ?3,"
			     " path = coalesce(?4, path), updated_ns = ?5"
			     " WHERE id = ?1",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, epoch_id);
	if (!rc)
		rc = sqlite3_bind_int(st, 2, to);
	if (!rc)
		rc = sqlite3_bind_int64(st, 3, storage_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 4, path);
	if (!rc)
		rc = sqlite3_bind_int64(st, 5, rfs_time_now_ns());
	ret = rfs_index_run(idx, st, rc, err, "cannot change epoch %" PRId64,
			    epoch_id);
	if (!ret && sqlite3_changes(idx->db) == 0)
		return rfs_error_set(err, ENOENT, "no epoch with id %" PRId64,
				     epoch_id);
	return ret;
}

/*
 * Loading. The builder's own errors become -ENOMEM, or -EIO for rows it
 * refuses: the foreign keys should have prevented those, so the index was
 * changed by other means.
 */
static int builder_fail(struct rfs_index *idx, int ret, struct rfs_error *err,
			const char *what)
{
	if (ret == -ENOMEM)
		return rfs_error_set(
			err, ENOMEM,
			"cannot load the catalog of index '%s': %s", idx->path,
			strerror(ENOMEM));
	return rfs_error_set(err, EIO, "index '%s' is inconsistent: %s: %s",
			     idx->path, what, strerror(-ret));
}

/* Text of a NOT NULL column; NULL only when SQLite ran out of memory. */
static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static void newer(int64_t *newest, int64_t ns)
{
	if (ns > *newest)
		*newest = ns;
}

/* The state of one SELECT walked by the loaders below. */
struct load {
	struct rfs_index *idx;
	struct rfs_catalog *cat;
	struct rfs_error *err;
	int64_t newest;
	char what[256]; /* the row being added, for messages */
};

typedef int (*load_row_fn)(struct load *l, sqlite3_stmt *st);

static int load_rows(struct load *l, enum rfs_index_stmt_id id, const char *sql,
		     load_row_fn fn)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(l->idx, id, sql, &st, l->err);
	if (ret < 0)
		return ret;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = fn(l, st);
		if (ret < 0)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = rfs_index_fail(l->idx, rc, l->err,
				     "cannot load the catalog of index '%s'",
				     l->idx->path);
	rfs_index_stmt_done(st);
	return ret;
}

static int storage_row(struct load *l, sqlite3_stmt *st)
{
	const char *name = col_text(st, 1), *uri = col_text(st, 2);
	const char *bin_uri = col_text(st, 3), *cls = col_text(st, 4);
	int64_t created = sqlite3_column_int64(st, 5);
	int ret;

	if (!name || !uri || !cls ||
	    (!bin_uri && sqlite3_column_type(st, 3) != SQLITE_NULL))
		return builder_fail(l->idx, -ENOMEM, l->err, "");
	ret = rfs_catalog_add_storage(l->cat, sqlite3_column_int64(st, 0), name,
				      uri, bin_uri, cls, created);
	if (ret == -EINVAL) {
		snprintf(l->what, sizeof(l->what),
			 "storage '%s' has unknown class '%s'", name, cls);
		return rfs_error_set(l->err, EIO, "index '%s': %s",
				     l->idx->path, l->what);
	}
	if (ret < 0) {
		snprintf(l->what, sizeof(l->what), "storage '%s'", name);
		return builder_fail(l->idx, ret, l->err, l->what);
	}
	newer(&l->newest, created);
	return 0;
}

static int table_row(struct load *l, sqlite3_stmt *st)
{
	const char *name = col_text(st, 1);
	int64_t created = sqlite3_column_int64(st, 2);
	int ret;

	if (!name)
		return builder_fail(l->idx, -ENOMEM, l->err, "");
	ret = rfs_catalog_add_table(l->cat, sqlite3_column_int64(st, 0), name,
				    created);
	if (ret < 0) {
		snprintf(l->what, sizeof(l->what), "table '%s'", name);
		return builder_fail(l->idx, ret, l->err, l->what);
	}
	newer(&l->newest, created);
	return 0;
}

static int classification_row(struct load *l, sqlite3_stmt *st)
{
	const char *name = col_text(st, 1);
	int64_t table_id = sqlite3_column_int64(st, 0);
	int ret;

	if (!name)
		return builder_fail(l->idx, -ENOMEM, l->err, "");
	ret = rfs_catalog_add_classification(l->cat, table_id, name);
	if (ret < 0) {
		snprintf(l->what, sizeof(l->what),
			 "classification '%s' of table %" PRId64, name,
			 table_id);
		return builder_fail(l->idx, ret, l->err, l->what);
	}
	newer(&l->newest, sqlite3_column_int64(st, 2));
	return 0;
}

static int lifecycle_row(struct load *l, sqlite3_stmt *st)
{
	const char *name = col_text(st, 2);
	int64_t created = sqlite3_column_int64(st, 4);
	int ret;

	if (!name)
		return builder_fail(l->idx, -ENOMEM, l->err, "");
	ret = rfs_catalog_add_lifecycle(l->cat, sqlite3_column_int64(st, 0),
					sqlite3_column_int64(st, 1), name,
					sqlite3_column_int(st, 3), created);
	if (ret < 0) {
		snprintf(l->what, sizeof(l->what), "lifecycle '%s'", name);
		return builder_fail(l->idx, ret, l->err, l->what);
	}
	newer(&l->newest, created);
	return 0;
}

static int epoch_row(struct load *l, sqlite3_stmt *st)
{
	const char *path = col_text(st, 5);
	int64_t id = sqlite3_column_int64(st, 0);
	int ret;

	if (!path)
		return builder_fail(l->idx, -ENOMEM, l->err, "");
	ret = rfs_catalog_add_epoch(
		l->cat, id, sqlite3_column_int64(st, 1),
		sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
		sqlite3_column_int64(st, 4), path, sqlite3_column_int64(st, 6));
	if (ret < 0) {
		snprintf(l->what, sizeof(l->what), "epoch %" PRId64, id);
		return builder_fail(l->idx, ret, l->err, l->what);
	}
	newer(&l->newest, sqlite3_column_int64(st, 6));
	newer(&l->newest, sqlite3_column_int64(st, 7));
	return 0;
}

static int load_all(struct load *l)
{
	int ret;

	ret = load_rows(l, RFS_INDEX_STMT_LOAD_STORAGES,
			"SELECT id, name, uri, bin_uri, class, created_ns"
			" FROM storages ORDER BY id",
			storage_row);
	if (!ret)
		ret = load_rows(l, RFS_INDEX_STMT_LOAD_TABLES,
				"SELECT id, name, created_ns"
				" FROM tables ORDER BY id",
				table_row);
	if (!ret)
		ret = load_rows(l, RFS_INDEX_STMT_LOAD_CLASSIFICATIONS,
				"SELECT table_id, name, created_ns"
				" FROM classifications ORDER BY table_id, name",
				classification_row);
	if (!ret)
		ret = load_rows(l, RFS_INDEX_STMT_LOAD_LIFECYCLES,
				"SELECT id, table_id, name, ord, created_ns"
				" FROM lifecycles ORDER BY id",
				lifecycle_row);
	if (!ret)
		ret = load_rows(l, RFS_INDEX_STMT_LOAD_EPOCHS,
				"SELECT id, lifecycle_id, from_day, to_day,"
				" storage_id, path, created_ns, updated_ns"
				" FROM epochs ORDER BY id",
				epoch_row);
	if (!ret) {
		ret = rfs_catalog_seal(l->cat);
		if (ret < 0)
			ret = builder_fail(l->idx, ret, l->err,
					   "a row refers to a missing row");
	}
	return ret;
}

int rfs_index_load_catalog(struct rfs_index *idx, struct rfs_catalog **out,
			   struct rfs_error *err)
{
	struct load l = { .idx = idx, .err = err };
	bool own_txn = sqlite3_get_autocommit(idx->db);
	int ret;

	l.cat = rfs_catalog_new();
	if (!l.cat)
		return builder_fail(idx, -ENOMEM, err, "");
	/*
	 * One read transaction for all the SELECTs, so the snapshot is
	 * consistent; inside the caller's transaction when there is one.
	 */
	if (own_txn) {
		ret = rfs_index_exec(idx, "BEGIN", err);
		if (ret < 0)
			goto fail;
	}
	ret = load_all(&l);
	if (own_txn)
		rfs_index_rollback(idx);
	if (ret < 0)
		goto fail;
	if (l.newest > l.cat->updated_ns)
		l.cat->updated_ns = l.newest;
	*out = l.cat;
	return 0;

fail:
	rfs_catalog_free(l.cat);
	return ret;
}

/* Run one uncached statement with up to four bound values: integers for
 * a NULL text and a non-negative @p ints, text otherwise. */
static int run_one(struct rfs_index *idx, const char *sql,
		   const char *const text[4], const int64_t ints[4],
		   int64_t *count, struct rfs_error *err, const char *what)
{
	sqlite3_stmt *st;
	int rc, i;

	rc = sqlite3_prepare_v3(idx->db, sql, -1, 0, &st, NULL);
	for (i = 0;
	     rc == SQLITE_OK && i < 4 && i < sqlite3_bind_parameter_count(st);
	     i++) {
		if (text && text[i])
			rc = sqlite3_bind_text(st, i + 1, text[i], -1,
					       SQLITE_STATIC);
		else if (ints)
			rc = sqlite3_bind_int64(st, i + 1, ints[i]);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && count) {
		*count = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rfs_index_fail(idx, rc, err, "%s", what);
	return 0;
}

static int delete_row(struct rfs_index *idx, const char *sql, int64_t id,
		      const char *what, struct rfs_error *err)
{
	const int64_t ints[4] = { id, 0, 0, 0 };
	int r = run_one(idx, sql, NULL, ints, NULL, err, what);

	if (r == 0 && sqlite3_changes(idx->db) == 0)
		return rfs_error_set(err, ENOENT, "no %s with id %" PRId64,
				     what, id);
	return r;
}

int rfs_index_storage_delete(struct rfs_index *idx, int64_t id,
			     struct rfs_error *err)
{
	return delete_row(idx, "DELETE FROM storages WHERE id = ?1", id,
			  "storage", err);
}

int rfs_index_table_delete(struct rfs_index *idx, int64_t id,
			   struct rfs_error *err)
{
	return delete_row(idx, "DELETE FROM tables WHERE id = ?1", id, "table",
			  err);
}

int rfs_index_lifecycle_delete(struct rfs_index *idx, int64_t id,
			       struct rfs_error *err)
{
	return delete_row(idx, "DELETE FROM lifecycles WHERE id = ?1", id,
			  "lifecycle", err);
}

int rfs_index_epoch_delete(struct rfs_index *idx, int64_t id,
			   struct rfs_error *err)
{
	return delete_row(idx, "DELETE FROM epochs WHERE id = ?1", id, "epoch",
			  err);
}

int rfs_index_entries_depending(struct rfs_index *idx, const char *storage,
				const char *table, const char *lifecycle,
				const char *epoch, int64_t epoch_id, int64_t *n,
				struct rfs_error *err)
{
	const char *const text[4] = { storage, table, lifecycle, epoch };
	int64_t live = 0, restores = 0;
	int r;

	r = run_one(idx,
		    "SELECT count(*) FROM entries WHERE state <> 'purged'"
		    " AND (?1 IS NULL OR storage_name = ?1)"
		    " AND (?2 IS NULL OR table_name = ?2)"
		    " AND (?3 IS NULL OR lifecycle_name = ?3)"
		    " AND (?4 IS NULL OR epoch_name = ?4)",
		    text, NULL, &live, err, "cannot count bin entries");
	if (r == 0 && epoch_id > 0) {
		const int64_t ints[4] = { epoch_id, 0, 0, 0 };

		r = run_one(idx,
			    "SELECT count(*) FROM restores WHERE"
			    " target_epoch_id = ?1 AND state IN ('check',"
			    " 'copy', 'verify', 'publish')",
			    NULL, ints, &restores, err,
			    "cannot count restores");
	}
	if (r == 0)
		*n = live + restores;
	return r;
}

int rfs_index_epoch_current(struct rfs_index *idx, const struct rfs_epoch *ep,
			    struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, r = 0;
	bool same = false;

	rc = sqlite3_prepare_v2(idx->db,
				"SELECT e.from_day, e.to_day, e.path,"
				" e.storage_id, s.uri FROM epochs e"
				" JOIN storages s ON s.id = e.storage_id"
				" WHERE e.id = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err,
				      "cannot read epoch %" PRId64, ep->id);
	rc = sqlite3_bind_int64(st, 1, ep->id);
	if (!rc)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 2);
		const char *uri = (const char *)sqlite3_column_text(st, 4);

		same = sqlite3_column_int(st, 0) == ep->from &&
		       sqlite3_column_int(st, 1) == ep->to && path &&
		       !strcmp(path, ep->path) &&
		       sqlite3_column_int64(st, 3) == ep->storage->id && uri &&
		       !strcmp(uri, ep->storage->uri);
	} else if (rc != SQLITE_DONE) {
		r = rfs_index_fail(idx, rc, err, "cannot read epoch %" PRId64,
				   ep->id);
	}
	sqlite3_finalize(st);
	if (r == 0 && !same)
		r = rfs_error_set(err, ESTALE,
				  "the catalog changed: epoch '%s' of '%s/%s' "
				  "was edited or removed meanwhile; try again",
				  ep->name, ep->lifecycle->table->name,
				  ep->lifecycle->name);
	return r;
}
