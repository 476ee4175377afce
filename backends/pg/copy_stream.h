/**
 * @file copy_stream.h
 * @brief A recycle copy in another database (or on another server) than
 *        its table: the rows streamed with COPY between two connections.
 *
 * An item whose rfs_pg_item::mc is set keeps its copy and manifest table
 * on that connection; the table is on the connection the steps get. The
 * other steps of archive_steps.h route their manifest reads and writes to
 * rfs_pg_item::mc themselves; sync and the restore's check and copy are
 * here. Every function is idempotent as the steps are: cut short, it
 * committed or left nothing. A connection is used by one thread at a
 * time.
 */
#ifndef RFS_BACKENDS_PG_COPY_STREAM_H
#define RFS_BACKENDS_PG_COPY_STREAM_H

#include "backends/pg/archive_steps.h"

#include <stdbool.h>

/**
 * Archive step 2 into another database: in one transaction of the
 * recycle connection it->mc, CREATE TABLE of the copy (the source's
 * columns in their order with their types and NOT NULL, and its primary
 * key), the rows streamed from `COPY (SELECT ...) TO STDOUT` on @p c into
 * `COPY ... FROM STDIN` there, and the manifest row ("copied"). The
 * source is hashed (when the snapshot did not) and read in one
 * REPEATABLE READ snapshot on @p c.
 * @param c   the source's connection
 * @param it  the snapshot; it->mc set
 * @param err the reason on failure
 * @return 0 (also when copied already), -EEXIST (the name holds another
 *         archive or a table not in the manifest), -EINVAL (a column type
 *         the recycle database lacks: the server's reason), -ENOENT, -EIO
 */
int rfs_pg_sync_stream(PGconn *c, struct rfs_pg_item *it,
		       struct rfs_error *err);

/**
 * Restore step 2 from another database: CREATE TABLE @p schema.@p name
 * with the copy's columns (in their order: the content hash reads them
 * so) and primary key, the CHECK constraints of parent @p pschema.@p
 * parent when given (ATTACH PARTITION requires them; its indexes come
 * with the attach), and the rows streamed from the copy on it->mc. Run
 * inside the caller's transaction on @p c; the caller has checked that
 * the name is free.
 * @return 0, -EEXIST, -EIO
 */
int rfs_pg_restore_stream(PGconn *c, const struct rfs_pg_item *it,
			  const char *schema, const char *name,
			  const char *pschema, const char *parent,
			  struct rfs_error *err);

/** The columns of relation @p oid on @p c as two text arrays
 * ("{a,b}" literals of names and of format_type()), for comparing
 * relations of two databases. Caller frees both. @return 0 or -errno */
int rfs_pg_column_arrays(PGconn *c, const char *oid, char **names, char **types,
			 struct rfs_error *err);

#endif
