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

/** The schema and manifest table of it's recycle location, made when
 * missing on @p c (manifest.c). @return 0 or as rfs_pg_query() */
int rfs_pg_ensure_bin(PGconn *c, const struct rfs_pg_item *it,
		      struct rfs_error *err);

/** The manifest row's state into it->state (NULL: none), read on it->mc
 * or @p c, locked FOR UPDATE when @p lock (manifest.c). -EEXIST: the name
 * holds another archive. */
int rfs_pg_read_state(PGconn *c, struct rfs_pg_item *it, bool lock,
		      struct rfs_error *err);

/** The source's row count, content hash and stamp into @p it, read on
 * @p c in the snapshot of its open transaction (steps.c).
 * @return 0 or as rfs_pg_query() */
int rfs_pg_source_hash(PGconn *c, const char *oid, struct rfs_pg_item *it,
		       struct rfs_error *err);

/** INSERT the item's manifest row, state "copied", with its count, hash
 * and stamp, on @p c (manifest.c). */
int rfs_pg_manifest_add(PGconn *c, struct rfs_pg_item *it,
			struct rfs_error *err);

/** rfs_pg_manifest_add() with the state @p state: "loaded" for the
 * rows of a sync whose indexes are built in a second transaction
 * (sync.c), which make it "copied" (manifest.c). */
int rfs_pg_manifest_add_as(PGconn *c, struct rfs_pg_item *it, const char *state,
			   struct rfs_error *err);

/** Set the manifest row's state to @p state (archived_at too for
 * "archived"), on it->mc or @p c, and keep it in it->state (manifest.c).
 * @return 0 or as rfs_pg_query() */
int rfs_pg_set_state(PGconn *c, struct rfs_pg_item *it, const char *state,
		     struct rfs_error *err);

/** How far the archive went by state @p s: 1 copied, 2 verified,
 * 3 unpublished, 4 deleted, 5 archived; 0 for NULL or another value
 * (manifest.c). */
int rfs_pg_state_rank(const char *s);

#endif
