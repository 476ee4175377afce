/**
 * @file pg.h
 * @brief The PostgreSQL adapter: a read-only tree of tables, through libpq.
 *
 * `postgres://host:port/DB/PATH` (or `postgresql://`) opens a backend on
 * database DB, where PATH (an epoch's `--path`) names a partitioned table
 * ("schema.table": one folder per partition), a plain table (one folder)
 * or a schema ("schema": one folder per table that is not a partition).
 * Each folder holds `schema.sql` (the DDL) and `data.csv` (the rows as
 * CSV with a header, in primary key order, streamed with COPY); the
 * folder's extended attributes are `user.pg.relation`, `user.pg.bound`
 * (FOR VALUES ..., partitions only), `user.pg.rows` and `user.pg.size`.
 * Every change is refused with -EROFS. docs/postgres.md has the naming.
 *
 * Credentials come the libpq way (PGUSER, PGPASSWORD, ~/.pgpass,
 * PGSERVICE); the query may carry libpq settings such as `user`,
 * `sslmode`, `service` or `host` (a socket directory), never `password`.
 * Every operation may be called from several threads: one connection is
 * shared under a lock, and remade when the server drops it.
 */
#ifndef RFS_BACKENDS_PG_PG_H
#define RFS_BACKENDS_PG_PG_H

struct rfs_backend;
struct rfs_error;
struct rfs_uri;

/**
 * Open a PostgreSQL backend; the registry calls this for "postgres://"
 * and "postgresql://" URIs (use rfs_backend_open()). Connects at once, so
 * that a wrong password or an unreachable server is one clear line now.
 * @param u   the parsed @p uri
 * @param uri the URI as given, kept as rfs_backend.uri
 * @param out set to the new backend on success
 * @param err the reason of a failure, naming the storage, never a secret
 * @return 0, -EINVAL (a password or an unknown option in the URI, a bad
 *         path), -EACCES (authentication refused), -EIO (unreachable),
 *         -ENOMEM
 */
int rfs_pg_open(const struct rfs_uri *u, const char *uri,
		struct rfs_backend **out, struct rfs_error *err);

/**
 * Check a postgres:// URI without connecting: its options (a password
 * is refused) and its path.
 * @return 0, -EINVAL (with the reason in @p err), -ENOMEM
 */
int rfs_pg_check_uri(const struct rfs_uri *u, const char *uri,
		     struct rfs_error *err);

/**
 * The folder name of a relation named @p name: the name as it is, with
 * '%' written "%25", '/' "%2F" and a leading '.' "%2E".
 * @param name the relation's name
 * @param out  set to a malloc'ed string the caller frees
 * @return 0 or -ENOMEM
 */
int rfs_pg_name_encode(const char *name, char **out);

#endif
