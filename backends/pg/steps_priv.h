/**
 * @file steps_priv.h
 * @brief Helpers shared by the archive steps (steps.c) and restore
 *        (restore.c).
 */
#ifndef RFS_BACKENDS_PG_STEPS_PRIV_H
#define RFS_BACKENDS_PG_STEPS_PRIV_H

#include "backends/pg/archive_steps.h"
#include "backends/pg/par.h"
#include "backends/pg/pg_priv.h"
#include "backends/pg/sql.h"
#include "backends/pg/stamp.h"
#include "util/buf.h"
#include "util/error.h"

#include <stdbool.h>

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
