/*
 * Restores in the index (index/restores.h): inserting and reading them,
 * their state and progress, leases as compare-and-swap, and walks by id.
 *
 * Each call prepares its own statement and finalizes it before returning:
 * restores change a few times a second at most, and a walk's statement
 * stays in progress while the callback runs. Values are always bound,
 * never formatted into SQL.
 */
#include "index/restores.h"
#include "index/index.h"
#include "index/internal.h"
#include "index/jobs.h"

#include "model/restore.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns read_restore() reads, in its order. */
#define RESTORE_COLUMNS                                                        \
	"id, entry_id, sub, target_uri, target_key, target,"                   \
	" target_epoch_id, target_table, target_lifecycle, target_epoch,"      \
	" overwrite, state, failed_step, reason, files_total, bytes_total,"    \
	" files_done, bytes_done, created_ns, updated_ns, lease_owner,"        \
	" lease_until_ns"

/* Keep in step with the states rfs_restore_run() runs. */
#define RUNNABLE_STATES "('check', 'copy', 'verify', 'publish')"

/*
 * Prepare @p sql, a statement of this file; the caller finalizes it.
 * @return 0 or a negative errno
 */
static int prepare(struct rfs_index *idx, const char *sql, sqlite3_stmt **st,
		   struct rfs_error *err)
{
	int rc = sqlite3_prepare_v3(idx->db, sql, -1, 0, st, NULL);

	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err,
				      "index '%s': cannot prepare a query",
				      idx->path);
	return 0;
}

/*
 * Run a bound statement that returns no rows, then finalize it.
 * @param rc    the result of binding it: the statement runs only when OK
 * @param what  the context of an error message, "cannot lease restore 7"
 * @param xrc   set to the extended result code of the failure (may be NULL)
 * @return 0 or a negative errno
 */
static int run(struct rfs_index *idx, sqlite3_stmt *st, int rc,
	       const char *what, int *xrc, struct rfs_error *err)
{
	int ret = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		if (xrc)
			*xrc = sqlite3_extended_errcode(idx->db);
		ret = rfs_index_fail(idx, rc, err, "%s", what);
	}
	sqlite3_finalize(st);
	return ret;
}

/* Parse a state column; NULL (a failed_step never set) is check. */
static int col_state(struct rfs_index *idx, sqlite3_stmt *st, int col,
		     int64_t id, enum rfs_restore_state *s,
		     struct rfs_error *err)
{
	const char *name;

	*s = RFS_RESTORE_CHECK;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	name = (const char *)sqlite3_column_text(st, col);
	if (!name)
		return -ENOMEM;
	if (rfs_restore_state_parse(name, s) < 0)
		return rfs_error_set(
			err, EIO,
			"index '%s' is inconsistent: restore %" PRId64
			" has an unknown %s '%s'",
			idx->path, id, sqlite3_column_name(st, col), name);
	return 0;
}

/* Copy the strings of a row of RESTORE_COLUMNS. @return 0 or -ENOMEM */
static int restore_strings(sqlite3_stmt *st, struct rfs_restore *r)
{
	struct {
		int col;
		char **dst;
	} const strings[] = {
		{ 2, &r->sub },		 { 3, &r->target_uri },
		{ 4, &r->target_key },	 { 5, &r->target },
		{ 7, &r->target_table }, { 8, &r->target_lifecycle },
		{ 9, &r->target_epoch }, { 13, &r->reason },
		{ 20, &r->lease_owner },
	};
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < sizeof(strings) / sizeof(strings[0]); i++)
		ret = rfs_index_col_dup(st, strings[i].col, strings[i].dst);
	return ret;
}

/*
 * Read a row of RESTORE_COLUMNS into @p out (owned copies).
 * @return 0, -ENOMEM, -EIO (a state the index should not hold)
 */
static int read_restore(struct rfs_index *idx, sqlite3_stmt *st,
			struct rfs_restore *out, struct rfs_error *err)
{
	struct rfs_restore r = { 0 };
	int ret;

	r.id = sqlite3_column_int64(st, 0);
	r.entry_id = sqlite3_column_int64(st, 1);
	r.target_epoch_id = sqlite3_column_int64(st, 6); /* NULL reads 0 */
	r.overwrite = sqlite3_column_int(st, 10) != 0;
	r.files_total = sqlite3_column_int64(st, 14);
	r.bytes_total = sqlite3_column_int64(st, 15);
	r.files_done = sqlite3_column_int64(st, 16);
	r.bytes_done = sqlite3_column_int64(st, 17);
	r.created_ns = sqlite3_column_int64(st, 18);
	r.updated_ns = sqlite3_column_int64(st, 19);
	r.lease_until_ns = sqlite3_column_int64(st, 21);
	ret = col_state(idx, st, 11, r.id, &r.state, err);
	if (!ret)
		ret = col_state(idx, st, 12, r.id, &r.failed_step, err);
	if (!ret)
		ret = restore_strings(st, &r);
	if (ret == -ENOMEM)
		ret = rfs_error_set(err, ENOMEM,
				    "cannot read restore %" PRId64 ": %s", r.id,
				    strerror(ENOMEM));
	if (ret < 0) {
		rfs_restore_release(&r);
		return ret;
	}
	*out = r;
	return 0;
}

static bool valid_states(const struct rfs_restore *r)
{
	return (unsigned)r->state < RFS_RESTORE_STATE_COUNT &&
	       (unsigned)r->failed_step < RFS_RESTORE_STATE_COUNT;
}

/* The fields a restore cannot be stored without, and valid states. */
static int check_restore(const struct rfs_restore *r, struct rfs_error *err)
{
	const char *missing = NULL;

	if (!r->sub)
		missing = "part of its entry";
	else if (!r->target_uri || !r->target_key)
		missing = "target URI or key";
	else if (!r->target)
		missing = "target";
	if (missing)
		return rfs_error_set(err, EINVAL,
				     "restore of entry %" PRId64 " has no %s",
				     r->entry_id, missing);
	if (!valid_states(r))
		return rfs_error_set(err, EINVAL,
				     "restore of entry %" PRId64
				     " has an invalid state",
				     r->entry_id);
	return 0;
}

/* Bind an id that 0 means "none" as NULL. */
static int bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	return id ? sqlite3_bind_int64(st, i, id) : sqlite3_bind_null(st, i);
}

static int bind_insert(sqlite3_stmt *st, const struct rfs_restore *r,
		       int64_t created, int64_t updated)
{
	int rc;

	rc = sqlite3_bind_int64(st, 1, r->entry_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, r->sub);
	if (!rc)
		rc = rfs_index_bind_text(st, 3, r->target_uri);
	if (!rc)
		rc = rfs_index_bind_text(st, 4, r->target_key);
	if (!rc)
		rc = rfs_index_bind_text(st, 5, r->target);
	if (!rc)
		rc = bind_id(st, 6, r->target_epoch_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 7, r->target_table);
	if (!rc)
		rc = rfs_index_bind_text(st, 8, r->target_lifecycle);
	if (!rc)
		rc = rfs_index_bind_text(st, 9, r->target_epoch);
	if (!rc)
		rc = sqlite3_bind_int(st, 10, r->overwrite ? 1 : 0);
	if (!rc)
		rc = rfs_index_bind_text(st, 11,
					 rfs_restore_state_name(r->state));
	if (!rc)
		rc = rfs_index_bind_text(
			st, 12, rfs_restore_state_name(r->failed_step));
	if (!rc)
		rc = rfs_index_bind_text(st, 13, r->reason);
	if (!rc)
		rc = sqlite3_bind_int64(st, 14, r->files_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 15, r->bytes_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 16, r->files_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 17, r->bytes_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 18, created);
	if (!rc)
		rc = sqlite3_bind_int64(st, 19, updated);
	if (!rc)
		rc = rfs_index_bind_text(st, 20, r->lease_owner);
	if (!rc)
		rc = sqlite3_bind_int64(st, 21, r->lease_until_ns);
	return rc;
}

int rfs_index_restore_insert(struct rfs_index *idx, struct rfs_restore *r,
			     struct rfs_error *err)
{
	int64_t created = r->created_ns, updated = r->updated_ns;
	char what[96];
	sqlite3_stmt *st;
	int ret, xrc = 0;

	ret = check_restore(r, err);
	if (ret < 0)
		return ret;
	/* As entries: a zero time is now, and updated defaults to created. */
	if (!created)
		created = rfs_time_now_ns();
	if (!updated)
		updated = created;
	ret = prepare(idx,
		      "INSERT INTO restores (entry_id, sub, target_uri,"
		      " target_key, target, target_epoch_id, target_table,"
		      " target_lifecycle, target_epoch, overwrite, state,"
		      " failed_step, reason, files_total, bytes_total,"
		      " files_done, bytes_done, created_ns, updated_ns,"
		      " lease_owner, lease_until_ns)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		      " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
		      &st, err);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "cannot add a restore of entry %" PRId64,
		 r->entry_id);
	ret = run(idx, st, bind_insert(st, r, created, updated), what, &xrc,
		  err);
	if (ret < 0 && xrc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return rfs_error_set(err, ENOENT, "no entry %" PRId64,
				     r->entry_id);
	if (ret < 0 && xrc == SQLITE_CONSTRAINT_UNIQUE)
		return rfs_error_set(err, EEXIST,
				     "a restore of entry %" PRId64
				     " to '%s' is already running or resumable",
				     r->entry_id, r->target);
	if (ret < 0)
		return ret;
	r->id = sqlite3_last_insert_rowid(idx->db);
	r->created_ns = created;
	r->updated_ns = updated;
	return 0;
}

/* After a read or write that found nothing: the restore does not exist. */
int rfs_index_restore_get(struct rfs_index *idx, int64_t id,
			  struct rfs_restore *out, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = prepare(idx,
		      "SELECT " RESTORE_COLUMNS " FROM restores WHERE id = ?1",
		      &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = read_restore(idx, st, out, err);
	else if (rc == SQLITE_DONE)
		ret = rfs_index_jobs_missing(&rfs_index_jobs_restores, id, err);
	else
		ret = rfs_index_fail(idx, rc, err,
				     "cannot read restore %" PRId64, id);
	sqlite3_finalize(st);
	return ret;
}

int rfs_index_restore_update(struct rfs_index *idx, const struct rfs_restore *r,
			     struct rfs_error *err)
{
	char what[64];
	sqlite3_stmt *st;
	int rc, ret, xrc = 0;

	if (!valid_states(r))
		return rfs_error_set(err, EINVAL,
				     "restore %" PRId64 " has an invalid state",
				     r->id);
	ret = prepare(idx,
		      "UPDATE restores SET state = ?2, failed_step = ?3,"
		      " reason = ?4, files_total = ?5, bytes_total = ?6,"
		      " files_done = ?7, bytes_done = ?8, updated_ns = ?9"
		      " WHERE id = ?1",
		      &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, r->id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2,
					 rfs_restore_state_name(r->state));
	if (!rc)
		rc = rfs_index_bind_text(
			st, 3, rfs_restore_state_name(r->failed_step));
	if (!rc)
		rc = rfs_index_bind_text(st, 4, r->reason);
	if (!rc)
		rc = sqlite3_bind_int64(st, 5, r->files_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 6, r->bytes_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 7, r->files_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 8, r->bytes_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 9, rfs_time_now_ns());
	snprintf(what, sizeof(what), "cannot change restore %" PRId64, r->id);
	ret = run(idx, st, rc, what, &xrc, err);
	if (ret < 0 && xrc == SQLITE_CONSTRAINT_UNIQUE)
		return rfs_error_set(err, EEXIST,
				     "another restore of entry %" PRId64
				     " to '%s' is running or resumable",
				     r->entry_id, r->target);
	if (!ret && sqlite3_changes(idx->db) == 0)
		return rfs_index_jobs_missing(&rfs_index_jobs_restores, r->id,
					      err);
	return ret;
}

int rfs_index_restore_progress(struct rfs_index *idx, int64_t id,
			       int64_t files_done, int64_t bytes_done,
			       struct rfs_error *err)
{
	return rfs_index_jobs_progress(idx, &rfs_index_jobs_restores, id,
				       files_done, bytes_done, err);
}

int rfs_index_restore_lease(struct rfs_index *idx, int64_t id,
			    const char *expected, const char *owner,
			    int64_t until_ns, bool *taken,
			    struct rfs_error *err)
{
	return rfs_index_jobs_lease(idx, &rfs_index_jobs_restores, id, expected,
				    owner, until_ns, taken, err);
}

int rfs_index_restore_list(struct rfs_index *idx,
			   enum rfs_index_restore_filter filter,
			   int64_t entry_id, rfs_index_restore_fn fn, void *ctx,
			   struct rfs_error *err)
{
	struct rfs_restore r;
	const char *where;
	sqlite3_stmt *st;
	char sql[512];
	int rc, ret = 0;

	switch (filter) {
	case RFS_INDEX_RESTORES_ALL:
		where = " WHERE 1";
		break;
	case RFS_INDEX_RESTORES_RUNNABLE:
		where = " WHERE state IN " RUNNABLE_STATES;
		break;
	default:
		return rfs_error_set(err, EINVAL, "unknown restore filter %d",
				     (int)filter);
	}
	/* Only fixed text goes into the SQL; the entry id is bound. */
	snprintf(sql, sizeof(sql),
		 "SELECT " RESTORE_COLUMNS " FROM restores%s%s ORDER BY id",
		 where, entry_id ? " AND entry_id = ?1" : "");
	ret = prepare(idx, sql, &st, err);
	if (ret < 0)
		return ret;
	rc = entry_id ? sqlite3_bind_int64(st, 1, entry_id) : SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		ret = read_restore(idx, st, &r, err);
		if (ret < 0)
			break;
		ret = fn(&r, ctx);
		rfs_restore_release(&r);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = rfs_index_fail(idx, rc, err,
				     "cannot list the restores of index '%s'",
				     idx->path);
	sqlite3_finalize(st);
	return ret;
}

/*
 * Step @p st (bound, @p rc the result of binding) and read its first row
 * into @p out; finalizes @p st.
 * @return 0, -ENOENT (no row), or the failure, naming @p entry_id
 */
static int first_of_entry(struct rfs_index *idx, sqlite3_stmt *st, int rc,
			  int64_t entry_id, struct rfs_restore *out,
			  struct rfs_error *err)
{
	int ret;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = read_restore(idx, st, out, err);
	else if (rc == SQLITE_DONE)
		ret = -ENOENT;
	else
		ret = rfs_index_fail(
			idx, rc, err,
			"cannot read the restores of entry %" PRId64, entry_id);
	sqlite3_finalize(st);
	return ret;
}

int rfs_index_restore_active(struct rfs_index *idx, int64_t entry_id,
			     const char *target_uri, const char *target_key,
			     struct rfs_restore *out, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	/* The same states as the unique index restores_one_per_target. */
	ret = prepare(idx,
		      "SELECT " RESTORE_COLUMNS " FROM restores"
		      " WHERE entry_id = ?1 AND target_uri = ?2"
		      " AND target_key = ?3 AND state IN " RUNNABLE_STATES
		      " ORDER BY id LIMIT 1",
		      &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, entry_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, target_uri);
	if (!rc)
		rc = rfs_index_bind_text(st, 3, target_key);
	return first_of_entry(idx, st, rc, entry_id, out, err);
}

int rfs_index_restore_latest(struct rfs_index *idx, int64_t entry_id,
			     struct rfs_restore *out, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = prepare(idx,
		      "SELECT " RESTORE_COLUMNS " FROM restores"
		      " WHERE entry_id = ?1 ORDER BY id DESC LIMIT 1",
		      &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, entry_id);
	return first_of_entry(idx, st, rc, entry_id, out, err);
}
