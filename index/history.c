/*
 * The history of catalog changes and the configuration keys kept in the
 * index.
 */
#include "index/index.h"
#include "index/internal.h"

#include "util/error.h"
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int rfs_index_history_add(struct rfs_index *idx, const char *action,
			  const char *subject, const char *detail,
			  struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(
		idx, RFS_INDEX_STMT_HISTORY_ADD,
		"INSERT INTO history (at_ns, action, subject, detail)"
		" VALUES (?1, ?2, ?3, ?4)",
		&st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, rfs_time_now_ns());
	if (!rc)
		rc = rfs_index_bind_text(st, 2, action);
	if (!rc)
		rc = rfs_index_bind_text(st, 3, subject);
	if (!rc)
		rc = rfs_index_bind_text(st, 4, detail);
	return rfs_index_run(idx, st, rc, err,
			     "cannot record '%s' of '%s' in the history",
			     action, subject);
}

int rfs_index_history_list(struct rfs_index *idx, rfs_index_history_fn fn,
			   void *ctx, struct rfs_error *err)
{
	struct rfs_history_record rec;
	sqlite3_stmt *st;
	int rc, ret = 0;

	/*
	 * Not cached: the callback may use the handle, even list the
	 * history again, while this statement is still stepping.
	 */
	rc = sqlite3_prepare_v3(idx->db,
				"SELECT id, at_ns, action, subject, detail"
				" FROM history ORDER BY id",
				-1, 0, &st, NULL);
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err,
				      "cannot read the history of index '%s'",
				      idx->path);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rec.id = sqlite3_column_int64(st, 0);
		rec.at_ns = sqlite3_column_int64(st, 1);
		rec.action = (const char *)sqlite3_column_text(st, 2);
		rec.subject = (const char *)sqlite3_column_text(st, 3);
		rec.detail = (const char *)sqlite3_column_text(st, 4);
		if (!rec.action || !rec.subject ||
		    (!rec.detail &&
		     sqlite3_column_type(st, 4) != SQLITE_NULL)) {
			ret = rfs_error_set(
				err, ENOMEM,
				"cannot read the history of index '%s': %s",
				idx->path, strerror(ENOMEM));
			break;
		}
		if (!rec.detail)
			rec.detail = "";
		ret = fn(&rec, ctx);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = rfs_index_fail(idx, rc, err,
				     "cannot read the history of index '%s'",
				     idx->path);
	sqlite3_finalize(st);
	return ret;
}

int rfs_index_config_get(struct rfs_index *idx, const char *key, char **value,
			 struct rfs_error *err)
{
	const unsigned char *text;
	sqlite3_stmt *st;
	char *copy;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_CONFIG_GET,
			     "SELECT value FROM config WHERE key = ?1", &st,
			     err);
	if (ret < 0)
		return ret;
	rc = rfs_index_bind_text(st, 1, key);
	if (!rc)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = rfs_error_set(err, ENOENT,
				    "configuration key '%s' is not set", key);
	} else if (rc == SQLITE_ROW) {
		text = sqlite3_column_text(st, 0);
		copy = text ? strdup((const char *)text) : NULL;
		if (copy)
			*value = copy;
		else
			ret = rfs_error_set(
				err, ENOMEM,
				"cannot read configuration key '%s': %s", key,
				strerror(ENOMEM));
	} else {
		ret = rfs_index_fail(idx, rc, err,
				     "cannot read configuration key '%s'", key);
	}
	rfs_index_stmt_done(st);
	return ret;
}

int rfs_index_config_set(struct rfs_index *idx, const char *key,
			 const char *value, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (value)
		ret = rfs_index_stmt(idx, RFS_INDEX_STMT_CONFIG_SET,
				     "INSERT INTO config (key, value)"
				     " VALUES (?1, ?2)"
				     " ON CONFLICT (key)"
				     " DO UPDATE SET value = excluded.value",
				     &st, err);
	else
		ret = rfs_index_stmt(idx, RFS_INDEX_STMT_CONFIG_DEL,
				     "DELETE FROM config WHERE key = ?1", &st,
				     err);
	if (ret < 0)
		return ret;
	rc = rfs_index_bind_text(st, 1, key);
	if (!rc && value)
		rc = rfs_index_bind_text(st, 2, value);
	return rfs_index_run(idx, st, rc, err,
			     "cannot %s configuration key '%s'",
			     value ? "set" : "unset", key);
}
