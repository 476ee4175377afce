/*
 * Rows of the index as JSON and back, for the catalog journal.
 */
#include "index/journal.h"
#include "index/index.h"
#include "index/internal.h"

#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tables of a dump, in the order they are inserted (references
 * first), each with the rows it keeps. */
static const struct {
	const char *name;
	const char *where; /* which rows a load inserts; NULL: all */
} tables[] = {
	{ "storages", NULL },	     { "tables", NULL },
	{ "classifications", NULL }, { "lifecycles", NULL },
	{ "epochs", NULL },	     { "history", NULL },
	{ "config", NULL },	     { "entries", NULL },
	{ "restores", NULL },
};

#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

static int dump_table(struct rfs_index *idx, const char *table, json_t *out,
		      struct rfs_error *err)
{
	char sql[96];
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int rc, i, n, ret = 0;

	if (!arr || json_object_set_new(out, table, arr))
		return -ENOMEM;
	/* A name of the fixed list above, never a value from outside. */
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY 1, 2", table);
	rc = sqlite3_prepare_v3(idx->db, sql, -1, 0, &st, NULL);
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err, "cannot read table '%s'",
				      table);
	n = sqlite3_column_count(st);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();

		if (!row || json_array_append_new(arr, row)) {
			ret = -ENOMEM;
			break;
		}
		for (i = 0; i < n && ret == 0; i++) {
			const char *col = sqlite3_column_name(st, i);
			json_t *v;

			if (!strcmp(table, "entries") &&
			    (!strcmp(col, "lease_owner") ||
			     !strcmp(col, "lease_until_ns")))
				continue; /* a lease is this host's business */
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(st, i));
				break;
			case SQLITE_NULL:
				v = json_null();
				break;
			default:
				v = json_string(
					(const char *)sqlite3_column_text(st,
									  i));
				break;
			}
			if (!v || json_object_set_new(row, col, v))
				ret = -ENOMEM;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = rfs_index_fail(idx, rc, err, "cannot read table '%s'",
				     table);
	sqlite3_finalize(st);
	return ret;
}

int rfs_index_journal_dump(struct rfs_index *idx, json_t **out, int64_t *seq,
			   struct rfs_error *err)
{
	json_t *d = json_object();
	size_t i;
	int ret;

	if (!d)
		return -ENOMEM;
	ret = rfs_index_exec(idx, "BEGIN", err);
	for (i = 0; ret == 0 && i < N_TABLES; i++)
		ret = dump_table(idx, tables[i].name, d, err);
	if (ret == 0)
		ret = rfs_index_query_int(
			idx, "SELECT coalesce(max(id), 0) FROM history", seq,
			err);
	rfs_index_exec(idx, "COMMIT", NULL);
	if (ret < 0) {
		json_decref(d);
		return ret;
	}
	*out = d;
	return 0;
}

bool rfs_index_journal_empty(struct rfs_index *idx)
{
	int64_t n = 1;

	if (rfs_index_query_int(idx,
				"SELECT (SELECT count(*) FROM storages) +"
				" (SELECT count(*) FROM tables) +"
				" (SELECT count(*) FROM history)",
				&n, NULL) < 0)
		return false;
	return n == 0;
}

/* Is @p col a column of @p table? */
static int has_column(struct rfs_index *idx, const char *table, const char *col,
		      struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	rc = sqlite3_prepare_v3(idx->db,
				"SELECT 1 FROM pragma_table_info(?1)"
				" WHERE name = ?2",
				-1, 0, &st, NULL);
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err, "cannot read table '%s'",
				      table);
	rc = sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (!rc)
		rc = sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
	if (!rc)
		rc = sqlite3_step(st);
	found = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Insert one row object into @p table; each key must be its column. */
static int insert_row(struct rfs_index *idx, const char *table,
		      const json_t *row, struct rfs_error *err)
{
	struct rfs_buf cols = RFS_BUF_INIT, vals = RFS_BUF_INIT;
	const char *key;
	json_t *v;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_OK, i = 0, ret = 0;

	if (!json_is_object(row))
		return rfs_error_set(err, EINVAL,
				     "catalog journal: a row of '%s' is not "
				     "an object",
				     table);
	json_object_foreach((json_t *)row, key, v)
	{
		if (!json_is_integer(v) && !json_is_string(v) &&
		    !json_is_null(v))
			return rfs_error_set(
				err, EINVAL,
				"catalog journal: '%s.%s' is neither an "
				"integer, a string nor null",
				table, key);
		ret = has_column(idx, table, key, err);
		if (ret < 0)
			goto out;
		if (!ret) {
			ret = rfs_error_set(err, EINVAL,
					    "catalog journal: table '%s' has "
					    "no column '%s'",
					    table, key);
			goto out;
		}
		/* A checked column name: no quoting needed, none given. */
		ret = rfs_buf_addf(&cols, "%s%s", i ? ", " : "", key);
		if (ret == 0)
			ret = rfs_buf_addf(&vals, "%s?", i ? ", " : "");
		if (ret < 0)
			goto out;
		i++;
	}
	if (!i)
		goto out;
	{
		char *sql;

		if (asprintf(&sql, "INSERT INTO %s (%s) VALUES (%s)", table,
			     cols.data, vals.data) < 0) {
			ret = -ENOMEM;
			goto out;
		}
		rc = sqlite3_prepare_v3(idx->db, sql, -1, 0, &st, NULL);
		free(sql);
	}
	i = 0;
	json_object_foreach((json_t *)row, key, v)
	{
		if (rc != SQLITE_OK)
			break;
		i++;
		if (json_is_integer(v))
			rc = sqlite3_bind_int64(st, i, json_integer_value(v));
		else if (json_is_string(v))
			rc = sqlite3_bind_text(st, i, json_string_value(v), -1,
					       SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(st, i);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		ret = rfs_index_fail(idx, rc, err,
				     "catalog journal: cannot insert a row "
				     "of '%s'",
				     table);
	sqlite3_finalize(st);
out:
	rfs_buf_release(&cols);
	rfs_buf_release(&vals);
	return ret < 0 ? ret : 0;
}

static int load_table(struct rfs_index *idx, const json_t *dump,
		      const char *table, struct rfs_error *err)
{
	const json_t *arr = json_object_get(dump, table), *row;
	size_t i;
	int r;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return rfs_error_set(err, EINVAL,
				     "catalog journal: '%s' is not an array",
				     table);
	json_array_foreach(arr, i, row)
	{
		if (!strcmp(table, "entries")) {
			const char *s = json_string_value(
				json_object_get(row, "state"));

			if (!s || strcmp(s, "purged"))
				continue; /* live: from its manifest */
		}
		r = insert_row(idx, table, row, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int rfs_index_journal_load(struct rfs_index *idx, const json_t *dump,
			   struct rfs_error *err)
{
	const char *key;
	json_t *v;
	size_t i;
	int r;

	if (!json_is_object(dump))
		return rfs_error_set(err, EINVAL,
				     "catalog journal: the catalog is not an "
				     "object");
	json_object_foreach((json_t *)dump, key, v)
	{
		for (i = 0; i < N_TABLES; i++)
			if (!strcmp(key, tables[i].name))
				break;
		if (i == N_TABLES)
			return rfs_error_set(err, EINVAL,
					     "catalog journal: unknown table "
					     "'%s'",
					     key);
	}
	for (i = 0; i < N_TABLES; i++) {
		if (!strcmp(tables[i].name, "restores"))
			continue;
		r = load_table(idx, dump, tables[i].name, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The uuid of entry @p id in the dump, or NULL. */
static const char *dump_uuid(const json_t *dump, json_int_t id)
{
	const json_t *row;
	size_t i;

	json_array_foreach(
		json_object_get(dump, "entries"), i,
		row) if (json_integer_value(json_object_get(row, "id")) ==
			 id) return json_string_value(json_object_get(row,
								      "uuid"));
	return NULL;
}

/* Does the index hold entry @p id with @p uuid? */
static bool index_has(struct rfs_index *idx, json_int_t id, const char *uuid)
{
	sqlite3_stmt *st;
	bool same = false;

	if (sqlite3_prepare_v3(idx->db,
			       "SELECT uuid FROM entries WHERE id = ?1", -1, 0,
			       &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_bind_int64(st, 1, id) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		same = !strcmp((const char *)sqlite3_column_text(st, 0), uuid);
	sqlite3_finalize(st);
	return same;
}

int rfs_index_journal_load_restores(struct rfs_index *idx, const json_t *dump,
				    int *skipped, struct rfs_error *err)
{
	const json_t *arr = json_object_get(dump, "restores"), *row;
	size_t i;
	int r, n = 0;

	if (arr && !json_is_array(arr))
		return rfs_error_set(err, EINVAL,
				     "catalog journal: 'restores' is not an "
				     "array");
	json_array_foreach(arr, i, row)
	{
		json_int_t eid =
			json_integer_value(json_object_get(row, "entry_id"));
		const char *uuid = dump_uuid(dump, eid);

		if (!uuid || !index_has(idx, eid, uuid)) {
			n++;
			continue;
		}
		r = insert_row(idx, "restores", row, err);
		if (r < 0)
			return r;
	}
	if (skipped)
		*skipped = n;
	return 0;
}

int rfs_index_journal_renumber_entry(struct rfs_index *idx, int64_t from,
				     int64_t to, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (from == to)
		return 0;
	rc = sqlite3_prepare_v3(idx->db,
				"UPDATE entries SET id = ?2 WHERE id = ?1", -1,
				0, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, from);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, to);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rfs_index_fail(idx, rc, err,
				      "cannot give entry %lld the id %lld",
				      (long long)from, (long long)to);
	return 0;
}
