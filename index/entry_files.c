/*
 * The manifest rows of recycle entries in the index (index/entries.h):
 * one row per file, folder or symlink of an archived item, with its
 * metadata, checksum and progress through the job.
 *
 * Paths compare as bytes (SQLite's BINARY collation), so that in
 * descending order a folder's children come before the folder: "a/b" >
 * "a". Walks stream rows from their own statement, finalized at the end.
 */
#include "index/entries.h"
#include "index/index.h"
#include "index/internal.h"

#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns read_file() reads, in its order. */
#define FILE_COLUMNS                                                           \
	"path, type, size, mtime_ns, atime_ns, mode, uid, gid, link, sha256,"  \
	" state, rdev"

static bool valid_type(int type)
{
	return type == RFS_FILE_REG || type == RFS_FILE_DIR ||
	       type == RFS_FILE_LINK ||
	       rfs_file_type_special((enum rfs_file_type)type);
}

static bool valid_state(int state)
{
	return state >= RFS_FILE_PENDING && state <= RFS_FILE_PURGED;
}

/*
 * Read a row of FILE_COLUMNS into @p f; its strings point into the row.
 * @return 0, or -ENOMEM when SQLite could not give a text column
 */
static int read_file(sqlite3_stmt *st, struct rfs_entry_file *f)
{
	const char *type, *sha;

	memset(f, 0, sizeof(*f));
	f->path = (const char *)sqlite3_column_text(st, 0);
	type = (const char *)sqlite3_column_text(st, 1);
	if (!f->path || !type)
		return -ENOMEM;
	f->type = (enum rfs_file_type)type[0];
	f->size = sqlite3_column_int64(st, 2);
	f->mtime_ns = sqlite3_column_int64(st, 3);
	f->atime_ns = sqlite3_column_int64(st, 4);
	f->mode = (uint32_t)sqlite3_column_int64(st, 5);
	f->uid = (uint32_t)sqlite3_column_int64(st, 6);
	f->gid = (uint32_t)sqlite3_column_int64(st, 7);
	if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
		f->link = (const char *)sqlite3_column_text(st, 8);
		if (!f->link)
			return -ENOMEM;
	}
	if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
		sha = (const char *)sqlite3_column_text(st, 9);
		if (!sha)
			return -ENOMEM;
		snprintf(f->sha256, sizeof(f->sha256), "%s", sha);
	}
	f->state = (enum rfs_file_state)sqlite3_column_int(st, 10);
	f->rdev = (uint64_t)sqlite3_column_int64(st, 11);
	return 0;
}

static int no_memory(struct rfs_error *err, int64_t entry_id)
{
	return rfs_error_set(err, ENOMEM,
			     "cannot read the manifest of entry %" PRId64
			     ": %s",
			     entry_id, strerror(ENOMEM));
}

/* Bind what an insert and a change of a row share: ?1 the entry, ?2 the
 * path, ?3 to ?10 the type, size, times, mode, owner and link. */
static int bind_row(sqlite3_stmt *st, int64_t entry_id,
		    const struct rfs_entry_file *f)
{
	int rc;

	rc = sqlite3_bind_int64(st, 1, entry_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, f->path);
	if (!rc)
		rc = sqlite3_bind_text(st, 3, (const char[]){ (char)f->type },
				       1, SQLITE_TRANSIENT);
	if (!rc)
		rc = sqlite3_bind_int64(st, 4, f->size);
	if (!rc)
		rc = sqlite3_bind_int64(st, 5, f->mtime_ns);
	if (!rc)
		rc = sqlite3_bind_int64(st, 6, f->atime_ns);
	if (!rc)
		rc = sqlite3_bind_int64(st, 7, f->mode);
	if (!rc)
		rc = sqlite3_bind_int64(st, 8, f->uid);
	if (!rc)
		rc = sqlite3_bind_int64(st, 9, f->gid);
	if (!rc)
		rc = rfs_index_bind_text(st, 10, f->link);
	return rc;
}

int rfs_index_file_insert(struct rfs_index *idx, int64_t entry_id,
			  const struct rfs_entry_file *f, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!f->path || !valid_type(f->type) || !valid_state(f->state))
		return rfs_error_set(
			err, EINVAL,
			"invalid manifest row '%s' of entry %" PRId64,
			f->path ? f->path : "", entry_id);
	ret = rfs_index_stmt(
		idx, RFS_INDEX_STMT_FILE_INSERT,
		"INSERT INTO entry_files (entry_id, path, type, size, mtime_ns,"
		" atime_ns, mode, uid, gid, link, sha256, state, rdev)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" nullif(?11, ''), ?12, ?13)",
		&st, err);
	if (ret < 0)
		return ret;
	rc = bind_row(st, entry_id, f);
	if (!rc)
		rc = rfs_index_bind_text(st, 11, f->sha256);
	if (!rc)
		rc = sqlite3_bind_int(st, 12, f->state);
	if (!rc)
		rc = sqlite3_bind_int64(st, 13, (sqlite3_int64)f->rdev);
	ret = rfs_index_run(idx, st, rc, err,
			    "cannot add '%s' to the manifest of entry %" PRId64,
			    f->path, entry_id);
	if (ret == -EEXIST)
		return rfs_error_set(err, EEXIST,
				     "'%s' is already in the manifest of entry "
				     "%" PRId64,
				     f->path, entry_id);
	if (ret < 0 &&
	    sqlite3_extended_errcode(idx->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		return rfs_error_set(err, ENOENT, "no entry %" PRId64,
				     entry_id);
	return ret;
}

int rfs_index_file_update(struct rfs_index *idx, int64_t entry_id,
			  const char *path, const char *sha256,
			  enum rfs_file_state state, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!valid_state(state))
		return rfs_error_set(
			err, EINVAL,
			"invalid state %d for '%s' of entry %" PRId64,
			(int)state, path, entry_id);
	/* NULL keeps the checksum; "" forgets it. */
	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_FILE_UPDATE,
			     "UPDATE entry_files"
			     " SET sha256 = CASE WHEN ?3 IS NULL THEN sha256"
			     " ELSE nullif(?3, '') END, state = ?4"
			     " WHERE entry_id = ?1 AND path = ?2",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, entry_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, path);
	if (!rc)
		rc = rfs_index_bind_text(st, 3, sha256);
	if (!rc)
		rc = sqlite3_bind_int(st, 4, state);
	ret = rfs_index_run(
		idx, st, rc, err,
		"cannot change '%s' in the manifest of entry %" PRId64, path,
		entry_id);
	if (!ret && sqlite3_changes(idx->db) == 0)
		return rfs_error_set(
			err, ENOENT,
			"'%s' is not in the manifest of entry %" PRId64, path,
			entry_id);
	return ret;
}

int rfs_index_file_set_attrs(struct rfs_index *idx, int64_t entry_id,
			     const struct rfs_entry_file *f,
			     struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!f->path || !valid_type(f->type))
		return rfs_error_set(
			err, EINVAL,
			"invalid manifest row '%s' of entry %" PRId64,
			f->path ? f->path : "", entry_id);
	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_FILE_SET_ATTRS,
			     "UPDATE entry_files SET type = ?3, size = ?4,"
			     " mtime_ns = ?5, atime_ns = ?6, mode = ?7,"
			     " uid = ?8, gid = ?9, link = ?10, rdev = ?11"
			     " WHERE entry_id = ?1 AND path = ?2",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = bind_row(st, entry_id, f);
	if (!rc)
		rc = sqlite3_bind_int64(st, 11, (sqlite3_int64)f->rdev);
	ret = rfs_index_run(
		idx, st, rc, err,
		"cannot change '%s' in the manifest of entry %" PRId64, f->path,
		entry_id);
	if (!ret && sqlite3_changes(idx->db) == 0)
		return rfs_error_set(
			err, ENOENT,
			"'%s' is not in the manifest of entry %" PRId64,
			f->path, entry_id);
	return ret;
}

/*
 * Keep the strings of @p f in the handle's scratch space, so that they
 * outlive the statement's row until the next call on the handle.
 */
static int keep_strings(struct rfs_index *idx, struct rfs_entry_file *f)
{
	size_t path_len = strlen(f->path) + 1;
	size_t link_len = f->link ? strlen(f->link) + 1 : 0;
	char *scratch = malloc(path_len + link_len);

	if (!scratch)
		return -ENOMEM;
	memcpy(scratch, f->path, path_len);
	f->path = scratch;
	if (f->link) {
		memcpy(scratch + path_len, f->link, link_len);
		f->link = scratch + path_len;
	}
	free(idx->scratch);
	idx->scratch = scratch;
	return 0;
}

int rfs_index_file_get(struct rfs_index *idx, int64_t entry_id,
		       const char *path, struct rfs_entry_file *out,
		       struct rfs_error *err)
{
	struct rfs_entry_file f;
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_FILE_GET,
			     "SELECT " FILE_COLUMNS " FROM entry_files"
			     " WHERE entry_id = ?1 AND path = ?2",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, entry_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, path);
	if (!rc)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = read_file(st, &f);
		if (!ret)
			ret = keep_strings(idx, &f);
		if (ret < 0)
			ret = no_memory(err, entry_id);
		else
			*out = f;
	} else if (rc == SQLITE_DONE) {
		ret = rfs_error_set(
			err, ENOENT,
			"'%s' is not in the manifest of entry %" PRId64, path,
			entry_id);
	} else {
		ret = rfs_index_fail(
			idx, rc, err,
			"cannot read '%s' in the manifest of entry "
			"%" PRId64,
			path, entry_id);
	}
	rfs_index_stmt_done(st);
	return ret;
}

/*
 * The SQL of a walk: only fixed text, each condition present only when the
 * query asks for it (so the primary key serves the range and the order).
 */
static void list_sql(char *sql, size_t size,
		     const struct rfs_index_file_query *q)
{
	snprintf(sql, size,
		 "SELECT " FILE_COLUMNS " FROM entry_files"
		 " WHERE entry_id = ?1%s%s%s ORDER BY path%s%s",
		 !q->after ? ""
		 : q->desc ? " AND path < ?2"
			   : " AND path > ?2",
		 q->type ? " AND type = ?3" : "",
		 q->state >= 0 ? " AND state = ?4" : "", q->desc ? " DESC" : "",
		 q->limit > 0 ? " LIMIT ?5" : "");
}

static int bind_query(sqlite3_stmt *st, int64_t entry_id,
		      const struct rfs_index_file_query *q)
{
	int rc;

	rc = sqlite3_bind_int64(st, 1, entry_id);
	if (!rc && q->after)
		rc = rfs_index_bind_text(st, 2, q->after);
	if (!rc && q->type)
		rc = sqlite3_bind_text(st, 3, (const char[]){ (char)q->type },
				       1, SQLITE_TRANSIENT);
	if (!rc && q->state >= 0)
		rc = sqlite3_bind_int(st, 4, q->state);
	if (!rc && q->limit > 0)
		rc = sqlite3_bind_int(st, 5, q->limit);
	return rc;
}

int rfs_index_file_list(struct rfs_index *idx, int64_t entry_id,
			const struct rfs_index_file_query *q,
			rfs_index_file_fn fn, void *ctx, struct rfs_error *err)
{
	static const struct rfs_index_file_query all = { .state = -1 };
	struct rfs_entry_file f;
	sqlite3_stmt *st;
	char sql[512];
	int rc, ret = 0;

	if (!q)
		q = &all;
	if ((q->type && !valid_type(q->type)) ||
	    (q->state >= 0 && !valid_state(q->state)))
		return rfs_error_set(err, EINVAL,
				     "invalid manifest query on entry %" PRId64,
				     entry_id);
	list_sql(sql, sizeof(sql), q);
	rc = sqlite3_prepare_v3(idx->db, sql, -1, 0, &st, NULL);
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err,
				      "index '%s': cannot prepare a query",
				      idx->path);
	rc = bind_query(st, entry_id, q);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		ret = read_file(st, &f);
		if (ret < 0) {
			ret = no_memory(err, entry_id);
			break;
		}
		ret = fn(&f, ctx);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = rfs_index_fail(
			idx, rc, err,
			"cannot list the manifest of entry %" PRId64, entry_id);
	sqlite3_finalize(st);
	return ret;
}

int rfs_index_file_count(struct rfs_index *idx, int64_t entry_id, int state,
			 int64_t *files, int64_t *bytes, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_FILE_COUNT,
			     "SELECT count(*), coalesce(sum(size), 0)"
			     " FROM entry_files"
			     " WHERE entry_id = ?1 AND (?2 < 0 OR state = ?2)",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, entry_id);
	if (!rc)
		rc = sqlite3_bind_int(st, 2, state);
	if (!rc)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (files)
			*files = sqlite3_column_int64(st, 0);
		if (bytes)
			*bytes = sqlite3_column_int64(st, 1);
	} else {
		ret = rfs_index_fail(
			idx, rc, err,
			"cannot count the manifest of entry %" PRId64,
			entry_id);
	}
	rfs_index_stmt_done(st);
	return ret;
}

int rfs_index_file_delete_all(struct rfs_index *idx, int64_t entry_id,
			      struct rfs_error *err)
{
	sqlite3_stmt *st;
	int ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_FILE_DELETE_ALL,
			     "DELETE FROM entry_files WHERE entry_id = ?1", &st,
			     err);
	if (ret < 0)
		return ret;
	return rfs_index_run(idx, st, sqlite3_bind_int64(st, 1, entry_id), err,
			     "cannot delete the manifest of entry %" PRId64,
			     entry_id);
}
