/*
 * The queue of parts of archived entries waiting to be purged: rows of
 * part_purges (schema version 7), written by the mount's rm and drained
 * by a job worker.
 */
#include "index/parts.h"

#include "index/index.h"
#include "index/internal.h"
#include "model/entry.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int rfs_index_part_queue(struct rfs_index *idx, int64_t id, const char *path,
			 struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, r;

	if (!path || !*path)
		return rfs_error_set(err, EINVAL,
				     "a part of an entry is named by a path "
				     "below it");
	r = rfs_index_stmt(idx, RFS_INDEX_STMT_PART_QUEUE,
			   "INSERT INTO part_purges (entry_id, path, queued_ns)"
			   " VALUES (?1, ?2, ?3)",
			   &st, err);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, path);
	if (!rc)
		rc = sqlite3_bind_int64(st, 3, rfs_time_now_ns());
	r = rfs_index_run(idx, st, rc, err,
			  "cannot queue the purge of a part of entry %" PRId64,
			  id);
	if (r == -EIO &&
	    sqlite3_extended_errcode(idx->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		r = rfs_error_set(err, ENOENT, "no entry %" PRId64, id);
	return r;
}

int rfs_index_part_queued(struct rfs_index *idx, int64_t id, const char *path,
			  struct rfs_error *err)
{
	sqlite3_stmt *st;
	size_t len = strlen(path);
	int rc, r, found = 0;

	r = rfs_index_stmt(idx, RFS_INDEX_STMT_PART_QUEUED,
			   "SELECT 1 FROM part_purges WHERE entry_id = ?1"
			   " AND path = ?2",
			   &st, err);
	if (r < 0)
		return r;
	/* The path, then each folder above it inside the entry. */
	while (len > 0 && !found) {
		sqlite3_reset(st);
		rc = sqlite3_bind_int64(st, 1, id);
		if (!rc)
			rc = sqlite3_bind_text(st, 2, path, (int)len,
					       SQLITE_STATIC);
		if (!rc)
			rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			found = 1;
		} else if (rc != SQLITE_DONE) {
			r = rfs_index_fail(idx, rc, err,
					   "cannot read the queue of parts of "
					   "entry %" PRId64,
					   id);
			break;
		}
		while (len > 0 && path[--len] != '/')
			;
	}
	rfs_index_stmt_done(st);
	return r < 0 ? r : found;
}

int rfs_index_part_blocked(struct rfs_index *idx, int64_t id, const char *dir,
			   char **first, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, r;

	if (first)
		*first = NULL;
	/* Every part below a queued folder was queued itself (a folder is
	 * queued only once nothing below it is left): an exact match is
	 * enough. '0' follows '/' in byte order. */
	r = rfs_index_stmt(
		idx, RFS_INDEX_STMT_PART_BLOCKED,
		"SELECT f.path FROM entry_files f WHERE f.entry_id = ?1"
		" AND f.path <> '' AND (?2 = '' OR"
		" (f.path > ?2 || '/' AND f.path < ?2 || '0'))"
		" AND f.state <> ?3 AND NOT EXISTS (SELECT 1 FROM"
		" part_purges p WHERE p.entry_id = f.entry_id"
		" AND p.path = f.path) ORDER BY f.path LIMIT 1",
		&st, err);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, dir);
	if (!rc)
		rc = sqlite3_bind_int(st, 3, RFS_FILE_PURGED);
	if (!rc)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = 1;
		if (first) {
			const char *p =
				(const char *)sqlite3_column_text(st, 0);

			*first = p ? strdup(p) : NULL;
			if (!*first)
				r = rfs_error_set(err, ENOMEM, "out of memory");
		}
	} else if (rc != SQLITE_DONE) {
		r = rfs_index_fail(idx, rc, err,
				   "cannot read the manifest of entry %" PRId64,
				   id);
	}
	rfs_index_stmt_done(st);
	return r;
}

int rfs_index_part_list(struct rfs_index *idx, int64_t id, rfs_index_part_fn fn,
			void *ctx, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, r;

	r = rfs_index_stmt(idx, RFS_INDEX_STMT_PART_LIST,
			   "SELECT path FROM part_purges WHERE entry_id = ?1"
			   " ORDER BY path",
			   &st, err);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, id);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);

		if (!p) {
			r = rfs_error_set(err, ENOMEM, "out of memory");
			break;
		}
		r = fn(ctx, p);
		if (r)
			break;
		rc = 0;
	}
	if (!r && rc != SQLITE_DONE)
		r = rfs_index_fail(idx, rc, err,
				   "cannot read the queue of parts of entry "
				   "%" PRId64,
				   id);
	rfs_index_stmt_done(st);
	return r;
}

int rfs_index_part_entries(struct rfs_index *idx, int64_t now_ns,
			   rfs_index_part_entry_fn fn, void *ctx,
			   struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, r;

	r = rfs_index_stmt(
		idx, RFS_INDEX_STMT_PART_ENTRIES,
		"SELECT entry_id FROM part_purges GROUP BY entry_id"
		" HAVING max(retry_ns) <= ?1 ORDER BY min(queued_ns)",
		&st, err);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, now_ns);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(ctx, sqlite3_column_int64(st, 0));
		if (r)
			break;
		rc = 0;
	}
	if (!r && rc != SQLITE_DONE)
		r = rfs_index_fail(idx, rc, err,
				   "cannot read the queue of parts of index "
				   "'%s'",
				   idx->path);
	rfs_index_stmt_done(st);
	return r;
}

int rfs_index_part_drop(struct rfs_index *idx, int64_t id,
			const char *const *paths, size_t n,
			struct rfs_error *err)
{
	sqlite3_stmt *st;
	size_t i;
	int rc, r;

	if (!paths) {
		r = rfs_index_stmt(
			idx, RFS_INDEX_STMT_PART_DROP_ALL,
			"DELETE FROM part_purges WHERE entry_id = ?1", &st,
			err);
		if (r < 0)
			return r;
		return rfs_index_run(
			idx, st, sqlite3_bind_int64(st, 1, id), err,
			"cannot drop the queued parts of entry %" PRId64, id);
	}
	r = rfs_index_stmt(idx, RFS_INDEX_STMT_PART_DROP,
			   "DELETE FROM part_purges WHERE entry_id = ?1"
			   " AND path = ?2",
			   &st, err);
	for (i = 0; r == 0 && i < n; i++) {
		sqlite3_reset(st);
		rc = sqlite3_bind_int64(st, 1, id);
		if (!rc)
			rc = rfs_index_bind_text(st, 2, paths[i]);
		if (!rc)
			rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			r = rfs_index_fail(idx, rc, err,
					   "cannot drop a queued part of entry "
					   "%" PRId64,
					   id);
	}
	rfs_index_stmt_done(st);
	return r;
}

int rfs_index_part_failed(struct rfs_index *idx, int64_t id, const char *reason,
			  int64_t retry_ns, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, r;

	r = rfs_index_stmt(idx, RFS_INDEX_STMT_PART_FAILED,
			   "UPDATE part_purges SET attempts = attempts + 1,"
			   " reason = ?2, retry_ns = ?3 WHERE entry_id = ?1",
			   &st, err);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, reason);
	if (!rc)
		rc = sqlite3_bind_int64(st, 3, retry_ns);
	return rfs_index_run(
		idx, st, rc, err,
		"cannot record the failed purge of parts of entry %" PRId64,
		id);
}

int rfs_index_part_status(struct rfs_index *idx, int64_t id,
			  struct rfs_index_part_status *out,
			  struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, r;

	memset(out, 0, sizeof(*out));
	r = rfs_index_stmt(
		idx, RFS_INDEX_STMT_PART_STATUS,
		"SELECT count(*), coalesce(max(attempts), 0),"
		" (SELECT reason FROM part_purges WHERE entry_id = ?1"
		" AND reason IS NOT NULL LIMIT 1),"
		" coalesce(min(queued_ns), 0), coalesce(max(retry_ns), 0)"
		" FROM part_purges WHERE entry_id = ?1",
		&st, err);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, id);
	if (!rc)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *why = (const char *)sqlite3_column_text(st, 2);

		out->queued = sqlite3_column_int64(st, 0);
		out->attempts = sqlite3_column_int64(st, 1);
		out->oldest_ns = sqlite3_column_int64(st, 3);
		out->retry_ns = sqlite3_column_int64(st, 4);
		if (why && !(out->reason = strdup(why)))
			r = rfs_error_set(err, ENOMEM, "out of memory");
	} else {
		r = rfs_index_fail(idx, rc, err,
				   "cannot read the queue of parts of entry "
				   "%" PRId64,
				   id);
	}
	rfs_index_stmt_done(st);
	return r;
}
