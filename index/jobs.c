/*
 * The job columns entries and restores share: lease, progress, existence.
 */
#include "index/jobs.h"

#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* IS, not =: a NULL expected owner matches a free row. */
const struct rfs_index_jobs rfs_index_jobs_entries = {
	.noun = "entry",
	.lease_stmt = RFS_INDEX_STMT_ENTRY_LEASE,
	.lease_sql = "UPDATE entries SET lease_owner = ?3, lease_until_ns = ?4"
		     " WHERE id = ?1 AND lease_owner IS ?2",
	.progress_stmt = RFS_INDEX_STMT_ENTRY_PROGRESS,
	.progress_sql = "UPDATE entries SET files_done = ?2, bytes_done = ?3,"
			" updated_ns = ?4 WHERE id = ?1",
	.exists_stmt = RFS_INDEX_STMT_ENTRY_EXISTS,
	.exists_sql = "SELECT 1 FROM entries WHERE id = ?1",
};

const struct rfs_index_jobs rfs_index_jobs_restores = {
	.noun = "restore",
	.lease_stmt = RFS_INDEX_STMT_RESTORE_LEASE,
	.lease_sql = "UPDATE restores SET lease_owner = ?3, lease_until_ns = ?4"
		     " WHERE id = ?1 AND lease_owner IS ?2",
	.progress_stmt = RFS_INDEX_STMT_RESTORE_PROGRESS,
	/* a restore's updated_ns marks its steps only: no ?4 */
	.progress_sql = "UPDATE restores SET files_done = ?2, bytes_done = ?3"
			" WHERE id = ?1",
	.exists_stmt = RFS_INDEX_STMT_RESTORE_EXISTS,
	.exists_sql = "SELECT 1 FROM restores WHERE id = ?1",
};

int rfs_index_jobs_missing(const struct rfs_index_jobs *t, int64_t id,
			   struct rfs_error *err)
{
	return rfs_error_set(err, ENOENT, "no %s %" PRId64, t->noun, id);
}

int rfs_index_jobs_exists(struct rfs_index *idx, const struct rfs_index_jobs *t,
			  int64_t id, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, t->exists_stmt, t->exists_sql, &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = 0;
	else if (rc == SQLITE_DONE)
		ret = rfs_index_jobs_missing(t, id, err);
	else
		ret = rfs_index_fail(idx, rc, err, "cannot read %s %" PRId64,
				     t->noun, id);
	rfs_index_stmt_done(st);
	return ret;
}

int rfs_index_jobs_progress(struct rfs_index *idx,
			    const struct rfs_index_jobs *t, int64_t id,
			    int64_t files_done, int64_t bytes_done,
			    struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, t->progress_stmt, t->progress_sql, &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, id);
	if (!rc)
		rc = sqlite3_bind_int64(st, 2, files_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 3, bytes_done);
	if (!rc && sqlite3_bind_parameter_count(st) >= 4)
		rc = sqlite3_bind_int64(st, 4, rfs_time_now_ns());
	ret = rfs_index_run(idx, st, rc, err,
			    "cannot record the progress of %s %" PRId64,
			    t->noun, id);
	if (!ret && sqlite3_changes(idx->db) == 0)
		return rfs_index_jobs_missing(t, id, err);
	return ret;
}

int rfs_index_jobs_lease(struct rfs_index *idx, const struct rfs_index_jobs *t,
			 int64_t id, const char *expected, const char *owner,
			 int64_t until_ns, bool *taken, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, t->lease_stmt, t->lease_sql, &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, expected);
	if (!rc)
		rc = rfs_index_bind_text(st, 3, owner);
	if (!rc)
		rc = sqlite3_bind_int64(st, 4, until_ns);
	ret = rfs_index_run(idx, st, rc, err, "cannot lease %s %" PRId64,
			    t->noun, id);
	if (ret < 0)
		return ret;
	if (sqlite3_changes(idx->db) == 1) {
		*taken = true;
		return 0;
	}
	ret = rfs_index_jobs_exists(idx, t, id, err);
	if (!ret)
		*taken = false;
	return ret;
}

int rfs_index_col_dup(sqlite3_stmt *st, int col, char **out)
{
	const unsigned char *s;

	*out = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	s = sqlite3_column_text(st, col);
	if (!s)
		return -ENOMEM;
	*out = strdup((const char *)s);
	return *out ? 0 : -ENOMEM;
}
