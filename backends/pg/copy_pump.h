/**
 * @file copy_pump.h
 * @brief Rows streamed between two connections: one `COPY ... TO STDOUT`
 *        into one `COPY ... FROM STDIN`.
 */
#ifndef RFS_BACKENDS_PG_COPY_PUMP_H
#define RFS_BACKENDS_PG_COPY_PUMP_H

#include "util/error.h"

#include <libpq-fe.h>

/**
 * Stream the rows of @p out_sql (a `COPY ... TO STDOUT`) on @p from into
 * @p in_sql (a `COPY ... FROM STDIN` of the same format) on @p to, both
 * running at once. Rows are never changed on the way.
 * @return 0; on failure both connections are idle again (or lost), the
 *         reason in @p err
 */
int rfs_pg_copy_pump(PGconn *from, const char *out_sql, PGconn *to,
		     const char *in_sql, struct rfs_error *err);

#endif
