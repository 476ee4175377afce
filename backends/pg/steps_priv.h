/**
 * @file steps_priv.h
 * @brief Helpers shared by the archive steps (steps.c) and restore
 *        (restore.c).
 */
#ifndef RFS_BACKENDS_PG_STEPS_PRIV_H
#define RFS_BACKENDS_PG_STEPS_PRIV_H

#include "backends/pg/archive_steps.h"
#include "backends/pg/pg_priv.h"
#include "util/buf.h"

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

/** The copy's quoted name, "bin_schema"."bin_name". */
int rfs_pg_add_bin(struct rfs_buf *b, const struct rfs_pg_item *it);

/** CREATE TABLE @p dst (LIKE @p src INCLUDING ALL) and INSERT ... SELECT
 * of every column not generated; both names quoted in the buffers.
 * @return 0 or as rfs_pg_query() */
int rfs_pg_copy_table(PGconn *c, const char *src_oid, struct rfs_buf *src,
		      struct rfs_buf *dst, struct rfs_error *err);

/** ALTER TABLE parent ATTACH PARTITION schema.name @p bound. */
int rfs_pg_attach(PGconn *c, const char *parent_schema, const char *parent,
		  const char *schema, const char *name, const char *bound,
		  struct rfs_error *err);

#endif
