/**
 * @file sql.h
 * @brief Statement helpers of the PostgreSQL steps (sql.c).
 */
#ifndef RFS_BACKENDS_PG_SQL_H
#define RFS_BACKENDS_PG_SQL_H

#include "backends/pg/archive_steps.h"
#include "backends/pg/pg_priv.h"
#include "util/buf.h"
#include "util/error.h"

/** A statement built in a buffer, run, the buffer released.
 * @return as rfs_pg_query() */
int rfs_pg_run(PGconn *c, struct rfs_buf *sql, PGresult **res,
	       struct rfs_error *err);

/** Run @p r through ROLLBACK when it failed, else COMMIT. */
int rfs_pg_end(PGconn *c, int r, struct rfs_error *err);

/** Compare relation @p oid's count and hash with the item's.
 * @return 0, -ESTALE with "@p what changed since ..." in @p err */
int rfs_pg_same(PGconn *c, const char *oid, const struct rfs_pg_item *it,
		const char *what, struct rfs_error *err);

/** A strdup() of a result's value, NULL for a NULL (or no memory). */
char *rfs_pg_dup_or_null(PGresult *res, int row, int col);

/** The copy's quoted name, "bin_schema"."bin_name". */
int rfs_pg_add_bin(struct rfs_buf *b, const struct rfs_pg_item *it);

#endif
