/**
 * @file par.h
 * @brief Hashing and checks on a second connection, in parallel (par.c).
 */
#ifndef RFS_BACKENDS_PG_PAR_H
#define RFS_BACKENDS_PG_PAR_H

#include "backends/pg/archive_steps.h"
#include "util/error.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/** Work running on a second connection (par.c). */
struct rfs_pg_par {
	pthread_t th;	  /**< the thread, when running */
	bool running;	  /**< joined by rfs_pg_par_join() */
	PGconn *c;	  /**< the connection it uses */
	const char *snap; /**< the snapshot to hash at */
	char oid[16];	  /**< the relation */
	char copy[16];	  /**< rfs_pg_par_check(): the copy, hashed first */
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

/** Start the checks of verify on @p c: the copy (relation @p copy)
 * holds the item's count and hash (rfs_pg_same()), then the source
 * (relation @p oid) is unchanged (rfs_pg_source_same()). */
void rfs_pg_par_check(struct rfs_pg_par *p, PGconn *c, const char *copy,
		      const char *oid, const struct rfs_pg_item *it);

/** Wait for the work @p p started. @return its result; its reason in
 * @p err when it failed */
int rfs_pg_par_join(struct rfs_pg_par *p, struct rfs_error *err);

#endif
