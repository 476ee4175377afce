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
#include "util/error.h"

#include <pthread.h>
#include <stdbool.h>

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

/** The stamp of relation @p oid (see rfs_pg_item::stamp), read in the
 * transaction that hashes it. @return 0, -ENOENT, -EIO */
int rfs_pg_stamp(PGconn *c, const char *oid, char stamp[RFS_PG_STAMP_MAX],
		 struct rfs_error *err);

/** The source (relation @p oid) still holds the snapshot's rows: proved
 * by one scan against the item's stamp (the same row count, no row
 * version written by a transaction not older than the snapshot, the same
 * file node and columns), else by rfs_pg_same() (its count and hash).
 * @return 0, -ESTALE with "table ... changed since its snapshot" */
int rfs_pg_source_same(PGconn *c, const char *oid, const struct rfs_pg_item *it,
		       struct rfs_error *err);

/** Work running on a second connection (par.c). */
struct rfs_pg_par {
	pthread_t th;		      /**< the thread, when running */
	bool running;		      /**< joined by rfs_pg_par_join() */
	PGconn *c;		      /**< the connection it uses */
	const char *snap;	      /**< the snapshot to hash at */
	char oid[16];		      /**< the relation */
	const struct rfs_pg_item *it; /**< what to compare with */
	int64_t rows;		      /**< the hash's row count */
	char hash[RFS_PG_HASH_MAX];   /**< the hash */
	char stamp[RFS_PG_STAMP_MAX]; /**< the stamp */
	int r;			      /**< the result */
	struct rfs_error err;	      /**< its reason */
};

/** Start hashing relation @p oid on @p c, in a transaction importing
 * snapshot @p snap (pg_export_snapshot() of a transaction kept open
 * until the join); rows, hash and stamp land in @p p. */
void rfs_pg_par_hash(struct rfs_pg_par *p, PGconn *c, const char *snap,
		     const char *oid);

/** Start rfs_pg_source_same() of relation @p oid against @p it on @p c. */
void rfs_pg_par_same(struct rfs_pg_par *p, PGconn *c, const char *oid,
		     const struct rfs_pg_item *it);

/** Wait for the work @p p started. @return its result; its reason in
 * @p err when it failed */
int rfs_pg_par_join(struct rfs_pg_par *p, struct rfs_error *err);

/** A strdup() of a result's value, NULL for a NULL (or no memory). */
char *rfs_pg_dup_or_null(PGresult *res, int row, int col);

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
