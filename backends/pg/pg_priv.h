/**
 * @file pg_priv.h
 * @brief Internals of the PostgreSQL adapter: connections, queries with
 *        their errors mapped to errno in one place, identifiers, and the
 *        DDL, order and hash of a relation.
 *
 * Shared by the read-only tree (pg.c) and the archive and restore steps
 * (steps.c, restore.c). A PGconn is used by one thread at a time.
 */
#ifndef RFS_BACKENDS_PG_PG_PRIV_H
#define RFS_BACKENDS_PG_PG_PRIV_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct rfs_buf;
struct rfs_error;
struct rfs_uri;

/** Where a postgres:// URI points: the connection settings and the path
 * inside the database (an epoch's --path: "schema.table" or "schema"). */
struct rfs_pg_target {
	char *host;    /**< NULL: libpq's default (PGHOST, the socket) */
	char *port;    /**< NULL: libpq's default */
	char *db;      /**< the first path component; NULL: the default */
	char *where;   /**< the rest of the path, "" for none */
	char **keys;   /**< the query's libpq settings: keywords */
	char **values; /**< their values */
	int nkeys;     /**< how many */
	char *display; /**< the URI without its query, for messages */
	char *table;   /**< the query's "table=schema.name" (a restore's
			    target), not a libpq setting; or NULL */
	char *schema;  /**< the query's "schema=name" (a recycle
			    location's schema), not a libpq setting; or
			    NULL */
};

#include <pthread.h>
#include <time.h>

#include "backends/backend.h"
#include "backends/pg/archive_steps.h"
#include "util/error.h"

struct rfs_backend_rel_ops;

/** How long a generated file is reused, in ns. */
#define GEN_TTL_NS (10LL * 1000 * 1000 * 1000)
/** How many generated files are kept. */
#define GEN_SLOTS 8

/** A generated file (schema.sql, data.csv) kept for a few seconds. */
struct gen {
	char *key;    /**< "F/schema.sql" */
	int fd;	      /**< a memfd holding the bytes */
	off_t size;   /**< their size */
	int64_t born; /**< when they were made, ns */
};

/** The backend: one connection shared under a lock, the generated files
 * kept a few seconds. */
struct rfs_pg {
	struct rfs_backend base;    /**< the port's part, first */
	struct rfs_pg_target t;	    /**< where the URI points */
	char *schema;		    /**< the epoch's schema */
	char *table;		    /**< its table, NULL for a schema */
	pthread_mutex_t lock;	    /**< guards c, gens, changes, shown_ns */
	PGconn *c;		    /**< the tree's connection */
	struct gen gens[GEN_SLOTS]; /**< generated files */
	/** How many times the mount said the storage changed (forget). */
	uint64_t changes;
	/** The time every node shows (ns since the Unix epoch): when the
	 * backend was opened, or when it was last told of a change of the
	 * whole storage (a forget of ""). */
	int64_t shown_ns;
	/** A hash of the epoch's relations (oids and names) when they were
	 * last listed, and since when they are so (0: since shown_ns): the
	 * epoch folder's time, so a listing the kernel kept is not reused
	 * once a table was added or removed by anyone. */
	uint64_t list_print;
	int64_t listed_ns;     /**< see list_print */
	bool listed;	       /**< list_print is set */
	struct rfs_error last; /**< the last failure's reason */
};

/** A generated file @p key kept and not expired: a new descriptor in
 * @p fd and its size; @p changes gets the changes counted so far, to
 * give rfs_pg_gen_keep_locked() (gen.c). @return 0, -ENOENT (none) */
int rfs_pg_gen_find(struct rfs_pg *p, const char *key, int *fd, off_t *size,
		    uint64_t *changes);

/** Keep the file @p key generated in @p mfd (a descriptor of its own is
 * taken), unless a change was counted since rfs_pg_gen_find() gave
 * @p changes. Called with the lock held; nothing is kept out of memory. */
void rfs_pg_gen_keep_locked(struct rfs_pg *p, const char *key, int mfd,
			    off_t size, uint64_t changes);

/** rfs_backend_ops::forget: drop the generated files under @p key (every
 * one, and the times shown become now, for ""), and count a change. */
void rfs_pg_gen_forget(struct rfs_backend *b, const char *key);

/** Drop every generated file (the backend's free). */
void rfs_pg_gen_release(struct rfs_pg *p);

/** The time every node shows (rfs_pg::shown_ns); with @p root, the
 * epoch folder's (the later of it and rfs_pg::listed_ns). */
struct timespec rfs_pg_shown(struct rfs_pg *p, bool root);

/** Note the epoch's relations as just listed (@p res: oid and name in
 * its first two columns): when they differ from the last listing, the
 * epoch folder's time becomes now. */
void rfs_pg_note_listing(struct rfs_pg *p, const PGresult *res);

/** Write the rows of relation @p oid (relkind @p kind) as CSV with a
 * header into @p fd, streaming COPY on the tree's connection. Called with
 * the lock held and the connection made. @return 0 or -errno */
int rfs_pg_gen_csv(struct rfs_pg *p, const char *oid, char kind, int fd);

/** The relational steps of the port (backends/rel.h), in rel.c. */
extern const struct rfs_backend_rel_ops rfs_pg_rel_ops;

/** Close the connections rel.c keeps for backend @p p between steps (its
 * free calls this). */
void rfs_pg_rel_forget(const struct rfs_pg *p);

/** A folder name to a relation name: undo %25, %2F and %2E (names.c).
 * @return 0, -ENOENT (not a name rfs_pg_name_encode() gives), -ENOMEM */
int rfs_pg_name_decode(const char *in, size_t n, char **out);

/** The name of an archive's recycle copy: the table of @p origin's last
 * part (a folder name, decoded), cut to fit 63 bytes on a character
 * boundary, "_" and the first 8 characters of @p id (names.c).
 * @return 0, -EINVAL (no table's folder name, in @p err) */
int rfs_pg_copy_name(const char *origin, const char *id, char out[64],
		     struct rfs_error *err);

/** rfs_backend_rel_ops::bin_key: the folder of rfs_pg_copy_name()
 * (names.c). */
int rfs_pg_bin_key(struct rfs_backend *b, const char *item, const char *id,
		   char **out);

/** Parse @p u (scheme postgres or postgresql) into @p t. A password in
 * the query is refused (the URI parser already refuses user:password@).
 * @return 0, -EINVAL (one line in @p err), -ENOMEM */
int rfs_pg_target_parse(const struct rfs_uri *u, const char *uri,
			struct rfs_pg_target *t, struct rfs_error *err);

/** Free what @p t owns. */
void rfs_pg_target_release(struct rfs_pg_target *t);

/** Connect, libpq reading the credentials (PGUSER, PGPASSWORD, ~/.pgpass,
 * PGSERVICE, sslmode). The session is made deterministic: UTC, ISO dates,
 * exact floats, UTF8. @return 0, -EACCES (authentication), -EIO */
int rfs_pg_target_connect(const struct rfs_pg_target *t, PGconn **out,
			  struct rfs_error *err);

/** Run @p sql with text parameters. On success *res (when not NULL) holds
 * the result, which the caller PQclear()s. Errors map to errno here:
 * a lost connection -EIO, a missing relation -ENOENT, a duplicate
 * -EEXIST, a lock or serialization conflict -EBUSY, privileges -EACCES,
 * anything else -EINVAL; the server's one-line message goes to @p err. */
int rfs_pg_query(PGconn *c, PGresult **res, struct rfs_error *err,
		 const char *sql, int n, const char *const *params);

/** The error of a failed statement (@p pr, may be NULL) mapped to errno
 * as rfs_pg_query() maps it, its one-line message in @p err; clears @p pr.
 * @return the negative errno */
int rfs_pg_fail(PGconn *c, PGresult *pr, struct rfs_error *err);

/** As rfs_pg_query() for statements whose result is not needed. */
int rfs_pg_exec(PGconn *c, struct rfs_error *err, const char *sql);

/** Append @p id quoted as an SQL identifier ("a""b"). @return 0, -ENOMEM */
int rfs_pg_add_ident(struct rfs_buf *b, const char *id);

/** Append schema.name, both quoted. @return 0, -ENOMEM */
int rfs_pg_add_qname(struct rfs_buf *b, const char *schema, const char *name);

/** Split "schema.table" or "schema" into its parts: a part in double
 * quotes may hold dots ("a""b" for a quote); an unquoted part is taken as
 * it is, without case folding. *table is NULL for a schema alone.
 * @return 0, -EINVAL (malformed, in @p err), -ENOMEM */
int rfs_pg_split_path(const char *path, char **schema, char **table,
		      struct rfs_error *err);

/** The DDL of relation @p oid (text): CREATE TABLE with columns, defaults
 * and constraints, indexes, owner, grants, comments, and the bound of a
 * partition as a comment with its ATTACH statement. Caller frees *out.
 * @return 0 or -errno */
int rfs_pg_ddl(PGconn *c, const char *oid, char **out, struct rfs_error *err);

/** The ORDER BY list that makes a relation's rows deterministic: its
 * primary key columns, or the whole row as text when it has none.
 * Appended to @p b, in terms of the alias "t". @return 0 or -errno */
int rfs_pg_add_order(PGconn *c, const char *oid, struct rfs_buf *b,
		     struct rfs_error *err);

/** Row count and content hash of relation @p oid computed on the server,
 * by the algorithm that made @p like (a hash read from a manifest), or by
 * the current one when @p like is NULL. Current ("hte128:" and 32 hex
 * digits): md5 of the row count and the exact sums of
 * hashtextextended(row::text) with the two seeds RFS_PG_HTE128_SEED1
 * and RFS_PG_HTE128_SEED2, in one sequential scan. Earlier: "sum128:"
 * (the same with the two 64-bit halves of each row's md5(row::text)),
 * and 32 hex digits with no prefix (md5 of the concatenated md5 of each
 * row's text in rfs_pg_add_order() order). @return 0 or -errno */
int rfs_pg_count_hash(PGconn *c, const char *oid, const char *like,
		      int64_t *rows, char hash[RFS_PG_HASH_MAX],
		      struct rfs_error *err);

/** The oid (as text, in @p oid) of schema.name when it is a table,
 * partitioned or not, else -ENOENT. @p kind gets pg_class.relkind. */
int rfs_pg_lookup(PGconn *c, const char *schema, const char *name, char oid[16],
		  char *kind, struct rfs_error *err);

#endif
