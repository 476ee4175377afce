/*
 * The rows of one COPY ... TO STDOUT on one connection streamed into a
 * COPY ... FROM STDIN on another (libpq's PQgetCopyData() and
 * PQputCopyData()), both running at once. Used by the archive steps
 * (steps.c) and by the copies into another database (copy_stream.c).
 */
#include "backends/pg/copy_pump.h"
#include "backends/pg/pg_priv.h"

#include <errno.h>

/* Stop the COPY TO STDOUT running on @p c and read what is left. */
static void drain_out(PGconn *c)
{
	PGcancel *k = PQgetCancel(c);
	char why[256];
	char *buf;
	PGresult *res;

	if (k) {
		PQcancel(k, why, sizeof(why));
		PQfreeCancel(k);
	}
	for (int n; (n = PQgetCopyData(c, &buf, 0)) >= 0;)
		PQfreemem(buf);
	while ((res = PQgetResult(c)))
		PQclear(res);
}

/* The result of a COPY that ended on @p c: 0 or its error. */
static int copy_result(PGconn *c, struct rfs_error *err)
{
	PGresult *res = PQgetResult(c), *more;
	int r = 0;

	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		r = rfs_pg_fail(c, res, err);
	else
		PQclear(res);
	while ((more = PQgetResult(c)))
		PQclear(more);
	return r;
}

int rfs_pg_copy_pump(PGconn *from, const char *out_sql, PGconn *to,
		     const char *in_sql, struct rfs_error *err)
{
	PGresult *res = PQexec(to, in_sql);
	char *buf;
	int n, r;

	if (!res || PQresultStatus(res) != PGRES_COPY_IN)
		return rfs_pg_fail(to, res, err);
	PQclear(res);
	res = PQexec(from, out_sql);
	if (!res || PQresultStatus(res) != PGRES_COPY_OUT) {
		r = rfs_pg_fail(from, res, err);
		PQputCopyEnd(to, "the source's COPY failed");
		copy_result(to, NULL);
		return r;
	}
	PQclear(res);
	while ((n = PQgetCopyData(from, &buf, 0)) > 0) {
		r = PQputCopyData(to, buf, n);
		PQfreemem(buf);
		if (r != 1) {
			/* the recycle side is lost: stop reading */
			r = rfs_pg_fail(to, NULL, err);
			drain_out(from);
			return r < 0 ? r : -EIO;
		}
	}
	/* -1: the source's COPY ended (its result says how); -2: lost */
	r = copy_result(from, err);
	if (r < 0) {
		PQputCopyEnd(to, "the source's COPY failed");
		copy_result(to, NULL);
		return r;
	}
	if (PQputCopyEnd(to, NULL) != 1)
		return rfs_pg_fail(to, NULL, err);
	return copy_result(to, err);
}
