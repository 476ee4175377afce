/**
 * @file stamp.h
 * @brief The source's stamp: proof in one scan that it is unchanged (stamp.c).
 */
#ifndef RFS_BACKENDS_PG_STAMP_H
#define RFS_BACKENDS_PG_STAMP_H

#include "backends/pg/archive_steps.h"
#include "util/error.h"

#include <libpq-fe.h>

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

#endif
