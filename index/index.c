/*
 * The index handle: closing the connection, transactions, the statement
 * cache and the one place where SQLite result codes become errno values
 * (opening it: open.c).
 */
#include "index/index.h"
#include "index/internal.h"

#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int map_rc(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		return -EIO;
	case SQLITE_NOTADB:
		return -EINVAL;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		sys = db ? sqlite3_system_errno(db) : 0;
		if (sys == EACCES || sys == EPERM)
			return -EACCES;
		return -EIO;
	default:
		return -EIO;
	}
}

static int vfail(struct rfs_index *idx, int rc, struct rfs_error *err,
		 const char *fmt, va_list ap)
{
	sqlite3 *db = idx ? idx->db : NULL;
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	char what[RFS_ERROR_MSG_MAX];
	int ret = map_rc(db, rc);

	vsnprintf(what, sizeof(what), fmt, ap);
	rfs_log(LOG_DEBUG, "%s: sqlite error %d: %s", what, rc, msg);
	rfs_error_set(err, -ret, "%s: %s", what, msg);
	return ret;
}

int rfs_index_fail(struct rfs_index *idx, int rc, struct rfs_error *err,
		   const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(idx, rc, err, fmt, ap);
	va_end(ap);
	return ret;
}

int rfs_index_stmt(struct rfs_index *idx, enum rfs_index_stmt_id id,
		   const char *sql, sqlite3_stmt **out, struct rfs_error *err)
{
	int rc;

	if (!idx->stmts[id]) {
		rc = sqlite3_prepare_v3(idx->db, sql, -1,
					SQLITE_PREPARE_PERSISTENT,
					&idx->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return rfs_index_fail(
				idx, rc, err,
				"index '%s': cannot prepare a query",
				idx->path);
	}
	*out = idx->stmts[id];
	return 0;
}

void rfs_index_stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int rfs_index_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int rfs_index_run(struct rfs_index *idx, sqlite3_stmt *st, int bind_rc,
		  struct rfs_error *err, const char *fmt, ...)
{
	va_list ap;
	int rc, ret = 0;

	rc = bind_rc == SQLITE_OK ? sqlite3_step(st) : bind_rc;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		va_start(ap, fmt);
		ret = vfail(idx, rc, err, fmt, ap);
		va_end(ap);
	}
	rfs_index_stmt_done(st);
	return ret;
}

int rfs_index_exec(struct rfs_index *idx, const char *sql,
		   struct rfs_error *err)
{
	const char *tail = sql;
	sqlite3_stmt *st;
	int rc;

	while (*tail) {
		rc = sqlite3_prepare_v3(idx->db, tail, -1, 0, &st, &tail);
		if (rc != SQLITE_OK)
			return rfs_index_fail(idx, rc, err, "index '%s'",
					      idx->path);
		if (!st) /* only blanks or comments were left */
			break;
		do
			rc = sqlite3_step(st);
		while (rc == SQLITE_ROW);
		if (rc != SQLITE_DONE) {
			rc = rfs_index_fail(idx, rc, err, "index '%s'",
					    idx->path);
			sqlite3_finalize(st);
			return rc;
		}
		sqlite3_finalize(st);
	}
	return 0;
}

int rfs_index_query_int(struct rfs_index *idx, const char *sql, int64_t *value,
			struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	rc = sqlite3_prepare_v3(idx->db, sql, -1, 0, &st, NULL);
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err, "index '%s'", idx->path);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*value = 0;
	else
		ret = rfs_index_fail(idx, rc, err, "index '%s'", idx->path);
	sqlite3_finalize(st);
	return ret;
}

void rfs_index_free(struct rfs_index *idx)
{
	size_t i;

	if (!idx)
		return;
	for (i = 0; i < RFS_INDEX_STMT_COUNT; i++)
		sqlite3_finalize(idx->stmts[i]);
	sqlite3_close_v2(idx->db);
	free(idx->scratch);
	free(idx->path);
	free(idx);
}

const char *rfs_index_path(const struct rfs_index *idx)
{
	return idx->path;
}

bool rfs_index_was_created(const struct rfs_index *idx)
{
	return idx->created;
}

int rfs_index_begin(struct rfs_index *idx, struct rfs_error *err)
{
	int ret;

	if (idx->group) {
		ret = rfs_index_exec(idx, "SAVEPOINT rfs_group_step", err);
		idx->group_step = ret == 0;
	} else {
		ret = rfs_index_exec(idx, "BEGIN IMMEDIATE", err);
	}
	if (ret < 0)
		rfs_error_prefix(err, "cannot start a transaction");
	return ret;
}

int rfs_index_commit(struct rfs_index *idx, struct rfs_error *err)
{
	int ret;

	if (idx->group) {
		ret = idx->group_step
			      ? rfs_index_exec(idx, "RELEASE rfs_group_step",
					       err)
			      : 0;
		if (ret == 0)
			idx->group_step = false;
	} else {
		ret = rfs_index_exec(idx, "COMMIT", err);
	}
	if (ret < 0)
		rfs_error_prefix(err, "cannot commit");
	return ret;
}

void rfs_index_rollback(struct rfs_index *idx)
{
	if (idx->group) {
		if (idx->group_step) {
			rfs_index_exec(idx, "ROLLBACK TO rfs_group_step", NULL);
			rfs_index_exec(idx, "RELEASE rfs_group_step", NULL);
			idx->group_step = false;
		}
		return;
	}
	if (!sqlite3_get_autocommit(idx->db))
		rfs_index_exec(idx, "ROLLBACK", NULL);
}

int rfs_index_group_begin(struct rfs_index *idx, struct rfs_error *err)
{
	int ret;

	if (idx->group)
		return rfs_error_set(err, EINVAL,
				     "index: a group is open already");
	ret = rfs_index_begin(idx, err);
	if (ret == 0) {
		idx->group = true;
		idx->group_step = false;
	}
	return ret;
}

int rfs_index_group_end(struct rfs_index *idx, bool commit,
			struct rfs_error *err)
{
	int ret = 0;

	if (!idx->group)
		return 0;
	rfs_index_rollback(idx);
	idx->group = false;
	if (commit)
		ret = rfs_index_commit(idx, err);
	rfs_index_rollback(idx);
	return ret;
}

bool rfs_index_in_group(const struct rfs_index *idx)
{
	return idx->group;
}

int rfs_index_data_version(struct rfs_index *idx, int64_t *version)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_DATA_VERSION,
			     "PRAGMA data_version", &st, NULL);
	if (ret < 0)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		ret = 0;
	} else {
		ret = rfs_index_fail(idx, rc, NULL,
				     "index '%s': cannot read data_version",
				     idx->path);
	}
	rfs_index_stmt_done(st);
	return ret;
}

int rfs_index_epoch_gen(struct rfs_index *idx, int64_t epoch_id, int64_t *gen)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_EPOCH_GEN,
			     "SELECT gen FROM epoch_gens WHERE epoch_id = ?1",
			     &st, NULL);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, epoch_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*gen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		ret = 0;
	} else {
		ret = rfs_index_fail(idx, rc, NULL,
				     "index '%s': cannot read the generation "
				     "of epoch %lld",
				     idx->path, (long long)epoch_id);
	}
	rfs_index_stmt_done(st);
	return ret;
}
