/*
 * The source's stamp: what proves, in one scan without hashing, that a
 * table still holds exactly the rows of its snapshot. Taken in the
 * snapshot's transaction: the snapshot's xmin (every transaction older
 * than it had ended when the snapshot was taken), the table's oid and
 * file node, and an md5 of its columns. The check later counts the rows
 * and looks for a row version whose inserting transaction is not older
 * than that xmin: with none, the same count, the same file node and the
 * same columns, every row now visible is a row version the snapshot saw
 * (an insert, an update, a COPY, even COPY FREEZE, writes a version
 * stamped with its own transaction), and as many as it saw: the same
 * rows. Anything else falls back to the full content hash.
 */
#include "backends/pg/stamp.h"
#include "backends/pg/sql.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The relation part of a stamp ($1: the oid): "oid filenode md5". */
#define REL_SQL                                                                \
	"(SELECT c.oid || ' ' || coalesce(pg_relation_filenode(c.oid), 0) "    \
	"|| ' ' || (SELECT md5(string_agg(concat_ws(' ', a.attnum, "           \
	"quote_ident(a.attname), a.atttypid, a.atttypmod, a.attisdropped, "    \
	"a.attgenerated, a.atthasmissing, a.attmissingval), ',' ORDER BY "     \
	"a.attnum)) FROM pg_attribute a WHERE a.attrelid = c.oid AND "         \
	"a.attnum > 0) FROM pg_class c WHERE c.oid = $1::oid)"

int rfs_pg_stamp(PGconn *c, const char *oid, char stamp[RFS_PG_STAMP_MAX],
		 struct rfs_error *err)
{
	const char *p[] = { oid };
	PGresult *res;
	int r = rfs_pg_query(c, &res, err,
			     "SELECT pg_snapshot_xmin(pg_current_snapshot()) "
			     "|| ' ' || " REL_SQL,
			     1, p);

	if (r < 0)
		return r;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		r = rfs_error_set(err, ENOENT, "relation %s is gone", oid);
	else
		snprintf(stamp, RFS_PG_STAMP_MAX, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

/* One scan of the source: its rows, how many were written by a
 * transaction not older than @p xmin, and its relation part now. */
static int stamp_scan(PGconn *c, const char *oid, const struct rfs_pg_item *it,
		      const char *xmin, int64_t *rows, int64_t *newer,
		      char **rel, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	const char *p[] = { oid, xmin };
	PGresult *res;
	int r;

	/* age(xid) is the distance from the transaction's own id (or the
	 * next one) back to xid, exact for every xid of the last 2^31: so
	 * a row's inserting transaction is not older than the snapshot's
	 * xmin when its age is not greater than the xmin's. A row's xmin
	 * made 64-bit as text by each row costs the scan three times what
	 * this does. An xmin 2e9 transactions old or more (which vacuum's
	 * wraparound limits forbid a live row to be) compares every row
	 * as newer: the hash decides. 0, 1 and 2 (invalid, bootstrap,
	 * frozen) have the age 2^31 - 1: old. */
	rfs_buf_addstr(&sql,
		       "WITH s AS MATERIALIZED (SELECT CASE WHEN "
		       "pg_snapshot_xmax(pg_current_snapshot())::text::bigint "
		       "- $2::bigint BETWEEN 0 AND 2000000000 THEN age(("
		       "$2::bigint % 4294967296)::text::xid) ELSE 2147483647 "
		       "END AS d, " REL_SQL " AS rel) SELECT count(*), "
		       "count(*) FILTER (WHERE age(t.xmin) <= (SELECT d FROM "
		       "s)), (SELECT rel FROM s) FROM ONLY ");
	rfs_pg_add_qname(&sql, it->schema, it->name);
	rfs_buf_addstr(&sql, " t");
	if (!sql.data)
		return -ENOMEM;
	r = rfs_pg_query(c, &res, err, rfs_buf_str(&sql), 2, p);
	rfs_buf_release(&sql);
	if (r < 0)
		return r;
	*rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*newer = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	*rel = strdup(PQgetvalue(res, 0, 2));
	PQclear(res);
	return *rel ? 0 : -ENOMEM;
}

int rfs_pg_source_same(PGconn *c, const char *oid, const struct rfs_pg_item *it,
		       struct rfs_error *err)
{
	const char *sp = strchr(it->stamp, ' ');
	char xmin[24], *rel = NULL;
	int64_t rows, newer;
	size_t n = sp ? (size_t)(sp - it->stamp) : 0;
	int r;

	if (!n || n >= sizeof(xmin)) /* no stamp: an older manifest row */
		return rfs_pg_same(c, oid, it, "table", err);
	memcpy(xmin, it->stamp, n);
	xmin[n] = '\0';
	r = stamp_scan(c, oid, it, xmin, &rows, &newer, &rel, err);
	if (r < 0)
		return r;
	if (rows != it->rows)
		r = rfs_error_set(err, ESTALE,
				  "table %s.%s changed since its snapshot "
				  "(%" PRId64 " rows; snapshot %" PRId64
				  " rows)",
				  it->schema, it->name, rows, it->rows);
	else if (newer == 0 && !strcmp(rel, sp + 1))
		r = 0;
	else {
		/* written to (maybe with the same rows), rewritten, or its
		 * columns changed: the content hash decides */
		rfs_log(LOG_DEBUG,
			"%s.%s: %" PRId64 " row versions newer than its "
			"snapshot%s: hashing it",
			it->schema, it->name, newer,
			strcmp(rel, sp + 1) ? ", its file or columns changed"
					    : "");
		r = rfs_pg_same(c, oid, it, "table", err);
	}
	free(rel);
	return r;
}
