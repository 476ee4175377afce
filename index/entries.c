/*
 * Recycle entries in the index (index/entries.h): inserting and reading
 * them, their state and progress, leases as compare-and-swap, and walks by
 * bin path and by origin path. Manifest rows are in entry_files.c.
 *
 * Walks prepare their own statement, finalized at the end: its SQL depends
 * on the filter, and the statement stays in progress while the callback
 * runs. Values are always bound, never formatted into SQL.
 */
#include "index/entries.h"
#include "index/index.h"
#include "index/internal.h"
#include "index/jobs.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns read_entry() reads, in its order. */
#define ENTRY_COLUMNS                                                          \
	"id, uuid, bin_path, origin_path, table_name, lifecycle_name,"         \
	" epoch_name, epoch_id, item_key, storage_name, src_uri,"              \
	" bin_root_uri, is_dir, state, failed_step, reason, files_total,"      \
	" bytes_total, files_done, bytes_done, created_ns, updated_ns,"        \
	" deleted_ns, purged_ns, lease_owner, lease_until_ns, restored_to"

/*
 * Paths equal to ?N or under it, component-wise: "a/b" is under "a", "a/bc"
 * and "ab" are not. '0' is the byte after '/': the texts in [?N, ?N '0')
 * are ?N and those that continue it with a byte below '0' ("a.b", "a/b");
 * of these, the ones from ?N '/' on continue it with '/'. One range, so
 * an index on the column serves it; and unlike LIKE, '%' and '_' in names
 * are plain characters.
 */
#define AT_OR_UNDER(col, n)                                                    \
	"(" col " >= ?" n " AND " col " < ?" n " || '0' AND (" col " = ?" n    \
	" OR " col " >= ?" n " || '/'))"

/* Keep in step with rfs_entry_state_runnable(). */
#define RUNNABLE_STATES                                                        \
	"('snapshot', 'sync', 'verify', 'unpublish', 'delete', 'purging')"

static int inconsistent(struct rfs_index *idx, int64_t id, const char *col,
			const char *value, struct rfs_error *err)
{
	return rfs_error_set(err, EIO,
			     "index '%s' is inconsistent: entry %" PRId64
			     " has an unknown %s '%s'",
			     idx->path, id, col, value);
}

/* Parse a state column; NULL (a failed_step never set) is snapshot. */
static int col_state(struct rfs_index *idx, sqlite3_stmt *st, int col,
		     int64_t id, enum rfs_entry_state *s, struct rfs_error *err)
{
	const char *name;

	*s = RFS_ENTRY_SNAPSHOT;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	name = (const char *)sqlite3_column_text(st, col);
	if (!name)
		return -ENOMEM;
	if (rfs_entry_state_parse(name, s) < 0)
		return inconsistent(idx, id, sqlite3_column_name(st, col), name,
				    err);
	return 0;
}

/* Copy the strings of a row of ENTRY_COLUMNS. @return 0 or -ENOMEM */
static int entry_strings(sqlite3_stmt *st, struct rfs_entry *e)
{
	const unsigned char *uuid = sqlite3_column_text(st, 1);
	int ret;

	if (!uuid)
		return -ENOMEM;
	snprintf(e->uuid, sizeof(e->uuid), "%s", (const char *)uuid);
	ret = rfs_index_col_dup(st, 2, &e->bin_path);
	if (!ret)
		ret = rfs_index_col_dup(st, 3, &e->origin_path);
	if (!ret)
		ret = rfs_index_col_dup(st, 4, &e->table);
	if (!ret)
		ret = rfs_index_col_dup(st, 5, &e->lifecycle);
	if (!ret)
		ret = rfs_index_col_dup(st, 6, &e->epoch);
	if (!ret)
		ret = rfs_index_col_dup(st, 8, &e->item_key);
	if (!ret)
		ret = rfs_index_col_dup(st, 9, &e->storage);
	if (!ret)
		ret = rfs_index_col_dup(st, 10, &e->src_uri);
	if (!ret)
		ret = rfs_index_col_dup(st, 11, &e->bin_root_uri);
	if (!ret)
		ret = rfs_index_col_dup(st, 15, &e->reason);
	if (!ret)
		ret = rfs_index_col_dup(st, 24, &e->lease_owner);
	if (!ret)
		ret = rfs_index_col_dup(st, 26, &e->restored_to);
	return ret;
}

/*
 * Read a row of ENTRY_COLUMNS into @p out (owned copies).
 * @return 0, -ENOMEM, -EIO (a state the index should not hold)
 */
static int read_entry(struct rfs_index *idx, sqlite3_stmt *st,
		      struct rfs_entry *out, struct rfs_error *err)
{
	struct rfs_entry e = { 0 };
	int ret;

	e.id = sqlite3_column_int64(st, 0);
	e.epoch_id = sqlite3_column_int64(st, 7);
	e.is_dir = sqlite3_column_int(st, 12) != 0;
	e.files_total = sqlite3_column_int64(st, 16);
	e.bytes_total = sqlite3_column_int64(st, 17);
	e.files_done = sqlite3_column_int64(st, 18);
	e.bytes_done = sqlite3_column_int64(st, 19);
	e.created_ns = sqlite3_column_int64(st, 20);
	e.updated_ns = sqlite3_column_int64(st, 21);
	e.deleted_ns = sqlite3_column_int64(st, 22); /* NULL reads 0 */
	e.purged_ns = sqlite3_column_int64(st, 23);
	e.lease_until_ns = sqlite3_column_int64(st, 25);
	ret = col_state(idx, st, 13, e.id, &e.state, err);
	if (!ret)
		ret = col_state(idx, st, 14, e.id, &e.failed_step, err);
	if (!ret)
		ret = entry_strings(st, &e);
	if (ret == -ENOMEM)
		ret = rfs_error_set(err, ENOMEM,
				    "cannot read entry %" PRId64 ": %s", e.id,
				    strerror(ENOMEM));
	if (ret < 0) {
		rfs_entry_release(&e);
		return ret;
	}
	*out = e;
	return 0;
}

/*
 * Step a bound statement that returns at most one entry, then give it
 * back. @p what names the entry for messages: "entry 7".
 * @return 0, -ENOENT, or a negative errno
 */
static int fetch_entry(struct rfs_index *idx, sqlite3_stmt *st, int rc,
		       struct rfs_entry *out, const char *what,
		       struct rfs_error *err)
{
	int ret;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = read_entry(idx, st, out, err);
	else if (rc == SQLITE_DONE)
		ret = rfs_error_set(err, ENOENT, "no %s", what);
	else
		ret = rfs_index_fail(idx, rc, err, "cannot read %s", what);
	rfs_index_stmt_done(st);
	return ret;
}

/* The fields an entry cannot be stored without, and a valid state. */
static int check_entry(const struct rfs_entry *e, struct rfs_error *err)
{
	const char *missing = NULL;
	size_t i;

	for (i = 0; e->uuid[i]; i++)
		if (!strchr("0123456789abcdef", e->uuid[i]))
			break;
	if (e->uuid[i] || i != RFS_ENTRY_UUID_LEN - 1)
		return rfs_error_set(
			err, EINVAL,
			"entry id '%s' is not 32 lower-case hex digits",
			e->uuid);
	if (!e->bin_path)
		missing = "bin path";
	else if (!e->origin_path)
		missing = "origin path";
	else if (!e->table || !e->lifecycle || !e->epoch)
		missing = "table, lifecycle or epoch";
	else if (!e->storage || !e->src_uri || !e->bin_root_uri)
		missing = "storage or its URIs";
	if (missing)
		return rfs_error_set(err, EINVAL, "entry %s has no %s", e->uuid,
				     missing);
	if ((unsigned)e->state >= RFS_ENTRY_STATE_COUNT ||
	    (unsigned)e->failed_step >= RFS_ENTRY_STATE_COUNT)
		return rfs_error_set(err, EINVAL,
				     "entry %s has an invalid state", e->uuid);
	return 0;
}

/* Bind a time that 0 means "not yet" as NULL. */
static int bind_time(sqlite3_stmt *st, int i, int64_t ns)
{
	return ns ? sqlite3_bind_int64(st, i, ns) : sqlite3_bind_null(st, i);
}

static int bind_insert(sqlite3_stmt *st, const struct rfs_entry *e,
		       int64_t created, int64_t updated)
{
	int rc;

	rc = rfs_index_bind_text(st, 1, e->uuid);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, e->bin_path);
	if (!rc)
		rc = rfs_index_bind_text(st, 3, e->origin_path);
	if (!rc)
		rc = rfs_index_bind_text(st, 4, e->table);
	if (!rc)
		rc = rfs_index_bind_text(st, 5, e->lifecycle);
	if (!rc)
		rc = rfs_index_bind_text(st, 6, e->epoch);
	if (!rc)
		rc = sqlite3_bind_int64(st, 7, e->epoch_id);
	if (!rc)
		rc = rfs_index_bind_text(st, 8, e->item_key ? e->item_key : "");
	if (!rc)
		rc = rfs_index_bind_text(st, 9, e->storage);
	if (!rc)
		rc = rfs_index_bind_text(st, 10, e->src_uri);
	if (!rc)
		rc = rfs_index_bind_text(st, 11, e->bin_root_uri);
	if (!rc)
		rc = sqlite3_bind_int(st, 12, e->is_dir ? 1 : 0);
	if (!rc)
		rc = rfs_index_bind_text(st, 13,
					 rfs_entry_state_name(e->state));
	if (!rc)
		rc = rfs_index_bind_text(st, 14,
					 rfs_entry_state_name(e->failed_step));
	if (!rc)
		rc = rfs_index_bind_text(st, 15, e->reason);
	if (!rc)
		rc = sqlite3_bind_int64(st, 16, e->files_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 17, e->bytes_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 18, e->files_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 19, e->bytes_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 20, created);
	if (!rc)
		rc = sqlite3_bind_int64(st, 21, updated);
	if (!rc)
		rc = bind_time(st, 22, e->deleted_ns);
	if (!rc)
		rc = bind_time(st, 23, e->purged_ns);
	if (!rc)
		rc = rfs_index_bind_text(st, 24, e->lease_owner);
	if (!rc)
		rc = sqlite3_bind_int64(st, 25, e->lease_until_ns);
	if (!rc)
		rc = rfs_index_bind_text(st, 26, e->restored_to);
	return rc;
}

int rfs_index_entry_insert(struct rfs_index *idx, struct rfs_entry *e,
			   struct rfs_error *err)
{
	int64_t created = e->created_ns, updated = e->updated_ns;
	sqlite3_stmt *st;
	int ret;

	ret = check_entry(e, err);
	if (ret < 0)
		return ret;
	if (!created)
		created = rfs_time_now_ns();
	if (!updated)
		updated = created;
	ret = rfs_index_stmt(
		idx, RFS_INDEX_STMT_ENTRY_INSERT,
		"INSERT INTO entries (uuid, bin_path, origin_path, table_name,"
		" lifecycle_name, epoch_name, epoch_id, item_key, storage_name,"
		" src_uri, bin_root_uri, is_dir, state, failed_step, reason,"
		" files_total, bytes_total, files_done, bytes_done, created_ns,"
		" updated_ns, deleted_ns, purged_ns, lease_owner,"
		" lease_until_ns, restored_to)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,"
		" ?25, ?26)",
		&st, err);
	if (ret < 0)
		return ret;
	ret = rfs_index_run(idx, st, bind_insert(st, e, created, updated), err,
			    "cannot add entry '%s'", e->bin_path);
	if (ret == -EEXIST) {
		if (strstr(sqlite3_errmsg(idx->db), "entries.uuid"))
			return rfs_error_set(err, EEXIST,
					     "entry %s already exists",
					     e->uuid);
		return rfs_error_set(
			err, EEXIST,
			"'%s' is already in the recycle bin as another entry",
			e->bin_path);
	}
	if (ret < 0)
		return ret;
	e->id = sqlite3_last_insert_rowid(idx->db);
	e->created_ns = created;
	e->updated_ns = updated;
	return 0;
}

int rfs_index_entry_get(struct rfs_index *idx, int64_t id,
			struct rfs_entry *out, struct rfs_error *err)
{
	char what[64];
	sqlite3_stmt *st;
	int ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_ENTRY_GET,
			     "SELECT " ENTRY_COLUMNS " FROM entries"
			     " WHERE id = ?1",
			     &st, err);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "entry %" PRId64, id);
	return fetch_entry(idx, st, sqlite3_bind_int64(st, 1, id), out, what,
			   err);
}

int rfs_index_entry_by_uuid(struct rfs_index *idx, const char *uuid,
			    struct rfs_entry *out, struct rfs_error *err)
{
	char what[128];
	sqlite3_stmt *st;
	int ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_ENTRY_BY_UUID,
			     "SELECT " ENTRY_COLUMNS " FROM entries"
			     " WHERE uuid = ?1",
			     &st, err);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "entry %s", uuid);
	return fetch_entry(idx, st, rfs_index_bind_text(st, 1, uuid), out, what,
			   err);
}

int rfs_index_entry_by_bin_path(struct rfs_index *idx, const char *bin_path,
				struct rfs_entry *out, struct rfs_error *err)
{
	char what[RFS_ERROR_MSG_MAX / 2];
	sqlite3_stmt *st;
	int ret;

	/* The condition of the partial index, word for word, so it is used. */
	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_ENTRY_BY_BIN_PATH,
			     "SELECT " ENTRY_COLUMNS " FROM entries"
			     " WHERE bin_path = ?1 AND state <> 'purged'",
			     &st, err);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "entry at '%s' in the recycle bin",
		 bin_path);
	return fetch_entry(idx, st, rfs_index_bind_text(st, 1, bin_path), out,
			   what, err);
}

/* After a write that changed nothing: -ENOENT, the entry does not exist. */
int rfs_index_entry_update(struct rfs_index *idx, const struct rfs_entry *e,
			   struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	if ((unsigned)e->state >= RFS_ENTRY_STATE_COUNT ||
	    (unsigned)e->failed_step >= RFS_ENTRY_STATE_COUNT)
		return rfs_error_set(err, EINVAL,
				     "entry %" PRId64 " has an invalid state",
				     e->id);
	ret = rfs_index_stmt(
		idx, RFS_INDEX_STMT_ENTRY_UPDATE,
		"UPDATE entries SET state = ?2, failed_step = ?3, reason = ?4,"
		" files_total = ?5, bytes_total = ?6, files_done = ?7,"
		" bytes_done = ?8, deleted_ns = ?9, purged_ns = ?10,"
		" restored_to = ?11, updated_ns = ?12"
		" WHERE id = ?1",
		&st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_int64(st, 1, e->id);
	if (!rc)
		rc = rfs_index_bind_text(st, 2, rfs_entry_state_name(e->state));
	if (!rc)
		rc = rfs_index_bind_text(st, 3,
					 rfs_entry_state_name(e->failed_step));
	if (!rc)
		rc = rfs_index_bind_text(st, 4, e->reason);
	if (!rc)
		rc = sqlite3_bind_int64(st, 5, e->files_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 6, e->bytes_total);
	if (!rc)
		rc = sqlite3_bind_int64(st, 7, e->files_done);
	if (!rc)
		rc = sqlite3_bind_int64(st, 8, e->bytes_done);
	if (!rc)
		rc = bind_time(st, 9, e->deleted_ns);
	if (!rc)
		rc = bind_time(st, 10, e->purged_ns);
	if (!rc)
		rc = rfs_index_bind_text(st, 11, e->restored_to);
	if (!rc)
		rc = sqlite3_bind_int64(st, 12, rfs_time_now_ns());
	ret = rfs_index_run(idx, st, rc, err, "cannot change entry %" PRId64,
			    e->id);
	if (ret == -EEXIST)
		return rfs_error_set(
			err, EEXIST,
			"cannot change entry %" PRId64
			": another live entry holds its place in the recycle bin",
			e->id);
	if (!ret && sqlite3_changes(idx->db) == 0)
		return rfs_index_jobs_missing(&rfs_index_jobs_entries, e->id,
					      err);
	return ret;
}

int rfs_index_entry_progress(struct rfs_index *idx, int64_t id,
			     int64_t files_done, int64_t bytes_done,
			     struct rfs_error *err)
{
	return rfs_index_jobs_progress(idx, &rfs_index_jobs_entries, id,
				       files_done, bytes_done, err);
}

int rfs_index_entry_lease(struct rfs_index *idx, int64_t id,
			  const char *expected, const char *owner,
			  int64_t until_ns, bool *taken, struct rfs_error *err)
{
	return rfs_index_jobs_lease(idx, &rfs_index_jobs_entries, id, expected,
				    owner, until_ns, taken, err);
}

int rfs_index_entry_renew_all(struct rfs_index *idx, const char *owner,
			      int64_t until_ns, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	ret = rfs_index_stmt(idx, RFS_INDEX_STMT_ENTRY_RENEW_ALL,
			     "UPDATE entries SET lease_until_ns = ?2"
			     " WHERE lease_owner = ?1",
			     &st, err);
	if (ret < 0)
		return ret;
	rc = rfs_index_bind_text(st, 1, owner);
	if (!rc)
		rc = sqlite3_bind_int64(st, 2, until_ns);
	ret = rfs_index_run(idx, st, rc, err, "cannot renew the leases of '%s'",
			    owner ? owner : "");
	if (ret < 0)
		return ret;
	return sqlite3_changes(idx->db);
}

/*
 * Prepare @p sql (a walk's own statement, finalized by walk_entries()).
 * @return 0 or a negative errno
 */
static int prepare_walk(struct rfs_index *idx, const char *sql,
			sqlite3_stmt **st, struct rfs_error *err)
{
	int rc = sqlite3_prepare_v3(idx->db, sql, -1, 0, st, NULL);

	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err,
				      "index '%s': cannot prepare a query",
				      idx->path);
	return 0;
}

/*
 * Step a bound walk statement of ENTRY_COLUMNS, calling @p fn per row,
 * then finalize it. @p rc is the result of binding it.
 * @return 0, the callback's non-zero value, or a negative errno
 */
static int walk_entries(struct rfs_index *idx, sqlite3_stmt *st, int rc,
			rfs_index_entry_fn fn, void *ctx, struct rfs_error *err)
{
	struct rfs_entry e;
	int ret = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		ret = read_entry(idx, st, &e, err);
		if (ret < 0)
			break;
		ret = fn(&e, ctx);
		rfs_entry_release(&e);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = rfs_index_fail(idx, rc, err,
				     "cannot list the entries of index '%s'",
				     idx->path);
	sqlite3_finalize(st);
	return ret;
}

/* Length of @p p without trailing slashes. */
static size_t trimmed_len(const char *p)
{
	size_t n = strlen(p);

	while (n > 0 && p[n - 1] == '/')
		n--;
	return n;
}

int rfs_index_entry_list(struct rfs_index *idx,
			 enum rfs_index_entry_filter filter, const char *prefix,
			 rfs_index_entry_fn fn, void *ctx,
			 struct rfs_error *err)
{
	const char *where;
	size_t len = prefix ? trimmed_len(prefix) : 0;
	sqlite3_stmt *st;
	char sql[1024];
	int rc, ret;

	switch (filter) {
	case RFS_INDEX_ENTRIES_LIVE:
		where = " WHERE state <> 'purged'";
		break;
	case RFS_INDEX_ENTRIES_ALL:
		where = " WHERE 1";
		break;
	case RFS_INDEX_ENTRIES_RUNNABLE:
		where = " WHERE state IN " RUNNABLE_STATES;
		break;
	default:
		return rfs_error_set(err, EINVAL, "unknown entry filter %d",
				     (int)filter);
	}
	/* Only fixed text goes into the SQL; the prefix is bound. */
	snprintf(sql, sizeof(sql),
		 "SELECT " ENTRY_COLUMNS " FROM entries%s%s"
		 " ORDER BY bin_path, id",
		 where, len ? " AND " AT_OR_UNDER("bin_path", "1") : "");
	ret = prepare_walk(idx, sql, &st, err);
	if (ret < 0)
		return ret;
	/* An empty prefix (the bin itself) holds every entry. */
	rc = len ? sqlite3_bind_text(st, 1, prefix, (int)len, SQLITE_STATIC)
		 : SQLITE_OK;
	return walk_entries(idx, st, rc, fn, ctx, err);
}

/*
 * The SQL of rfs_index_entry_list_overlapping() for an origin with
 * @p n_above ancestors, bound as ?2 to ?(n_above + 1).
 */
static int overlapping_sql(struct rfs_buf *sql, size_t n_above)
{
	size_t i;
	int ret;

	ret = rfs_buf_addstr(sql, "SELECT " ENTRY_COLUMNS " FROM entries"
				  " WHERE state <> 'purged' AND"
				  " (" AT_OR_UNDER("origin_path", "1"));
	if (!ret && n_above) {
		ret = rfs_buf_addstr(sql, " OR origin_path IN (");
		for (i = 0; !ret && i < n_above; i++)
			ret = rfs_buf_addf(sql, "%s?%zu", i ? ", " : "", i + 2);
		if (!ret)
			ret = rfs_buf_addch(sql, ')');
	}
	if (!ret)
		ret = rfs_buf_addstr(sql, ") ORDER BY bin_path, id");
	return ret;
}

/* True when @p p[i] ends an ancestor of @p p: "a/b/c" has "a" and "a/b". */
static bool ends_ancestor(const char *p, size_t i)
{
	return p[i] == '/' && i > 0 && p[i - 1] != '/';
}

int rfs_index_entry_list_overlapping(struct rfs_index *idx, const char *origin,
				     rfs_index_entry_fn fn, void *ctx,
				     struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	size_t len = trimmed_len(origin), i, n_above = 0;
	sqlite3_stmt *st;
	int rc, ret;

	for (i = 0; i < len; i++)
		if (ends_ancestor(origin, i))
			n_above++;
	ret = overlapping_sql(&sql, n_above);
	if (ret < 0) {
		rfs_buf_release(&sql);
		return rfs_error_set(err, -ret,
				     "cannot list the entries at '%s': %s",
				     origin, strerror(-ret));
	}
	ret = prepare_walk(idx, rfs_buf_str(&sql), &st, err);
	rfs_buf_release(&sql);
	if (ret < 0)
		return ret;
	rc = sqlite3_bind_text(st, 1, origin, (int)len, SQLITE_STATIC);
	for (i = 0, n_above = 0; rc == SQLITE_OK && i < len; i++)
		if (ends_ancestor(origin, i))
			rc = sqlite3_bind_text(st, (int)(++n_above + 1), origin,
					       (int)i, SQLITE_STATIC);
	return walk_entries(idx, st, rc, fn, ctx, err);
}
