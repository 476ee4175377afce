/**
 * @file archive_steps.h
 * @brief The steps of archiving and restoring one PostgreSQL table or
 *        partition, for the job engine's PostgreSQL kind.
 *
 * Archive: rfs_pg_snapshot(), rfs_pg_sync(), rfs_pg_verify(),
 * rfs_pg_unpublish(), rfs_pg_delete(), rfs_pg_manifest(); restore:
 * rfs_pg_restore_check(), rfs_pg_restore_copy(), rfs_pg_restore_verify(),
 * rfs_pg_restore_attach(); then rfs_pg_purge(). The recycle copy lives in
 * a schema of the same database ("recyclebin" by default), beside a
 * manifest table `rfs_manifest` holding, per copy, the origin, the bound,
 * the DDL, the row count, the content hash and the state the archive
 * reached; rfs_pg_item_load() reads it back, so a job resumes from the
 * storage alone.
 *
 * Every step is idempotent: run again after it succeeded, it does nothing
 * and returns 0; interrupted (the connection lost, the server restarted),
 * it either committed or left nothing, and running it again completes it.
 * The content hash is computed by the server in one sequential scan
 * ("hte128:", see rfs_pg_count_hash()), in a session with fixed output
 * settings (UTC, ISO dates); a manifest row written with an older
 * algorithm ("sum128:", or the ordered md5: 32 hex digits, no prefix) is
 * checked with that algorithm. After the snapshot, the source is proven
 * unchanged by its stamp (rfs_pg_item::stamp), else by its hash.
 *
 * Errors: -EIO (connection lost: run the step again), -ESTALE (the source
 * changed since its snapshot: the archive stops, the source untouched and
 * attached), -EEXIST (a name or bound taken), -EINVAL (refused: the
 * reason in @p err), -ENOENT, -EBUSY. Functions take a connection used by
 * one thread at a time; they may run in several threads on several
 * connections.
 */
#ifndef RFS_BACKENDS_PG_ARCHIVE_STEPS_H
#define RFS_BACKENDS_PG_ARCHIVE_STEPS_H

#include <libpq-fe.h>
#include <stdint.h>

/** The prefix of a content hash made by the current algorithm: the sums
 * of hashtextextended() of each row's text with two seeds. */
#define RFS_PG_HASH_HTE128 "hte128:"
/** The seeds of the two hashtextextended() values of "hte128:". */
#define RFS_PG_HTE128_SEED1 "6148914691236517205"
/** The second seed (see RFS_PG_HTE128_SEED1). */
#define RFS_PG_HTE128_SEED2 "-3074457345618258603"
/** The prefix of a content hash made by the earlier order-free algorithm
 * (sums of the md5 halves of each row's text). */
#define RFS_PG_HASH_SUM128 "sum128:"
/** Room for a content hash and its NUL. */
#define RFS_PG_HASH_MAX 48
/** Room for a source stamp (see rfs_pg_item::stamp) and its NUL. */
#define RFS_PG_STAMP_MAX 96

struct rfs_error;

/** The snapshot of one relation, as the manifest keeps it. Strings are
 * owned; release with rfs_pg_item_release(). */
struct rfs_pg_item {
	char *schema;	     /**< the relation's schema */
	char *name;	     /**< the relation's name */
	char *parent_schema; /**< its partitioned parent's schema, or NULL */
	char *parent;	     /**< its partitioned parent, or NULL */
	char *bound;	     /**< "FOR VALUES ..." or "DEFAULT"; NULL */
	char *ddl;	     /**< its DDL, as schema.sql shows it */
	int64_t rows;	     /**< its row count */
	/** its content hash: "hte128:" and 32 hex digits; or, written by
	 * an earlier version, "sum128:" and 32 hex digits, or 32 hex digits
	 * alone (the ordered md5) */
	char hash[RFS_PG_HASH_MAX];
	/** what proves cheaply that the source still holds the snapshot's
	 * rows: "xmin oid filenode columns-md5" taken in the snapshot's
	 * transaction; "" (older manifest rows): the hash is used */
	char stamp[RFS_PG_STAMP_MAX];
	char *bin_schema; /**< the recycle schema */
	char *bin_name;	  /**< the copy's name there */
	char *origin;	  /**< the origin path given to the snapshot */
	char *state;	  /**< loaded, copied, verified, unpublished, deleted,
			       archived; NULL before rfs_pg_sync() */
	/** The connection to the recycle location when it is another
	 * database than the source's (copy_stream.h); NULL: the source's.
	 * Borrowed, not released with the item. */
	PGconn *mc;
};

/** Free what @p it owns; NULL-safe fields. */
void rfs_pg_item_release(struct rfs_pg_item *it);

/**
 * Connect to the database a postgres:// URI names (its path after the
 * database is ignored), with libpq's credentials and a session whose
 * output settings make hashes reproducible.
 * @param uri a postgres:// or postgresql:// URI
 * @param out set to the connection; PQfinish() it
 * @param err the reason of a failure, naming the storage, never a secret
 * @return 0, -EINVAL, -EACCES (authentication), -EIO
 */
int rfs_pg_connect(const char *uri, PGconn **out, struct rfs_error *err);

/**
 * Step 1: read what the archive will prove: the bound (from
 * pg_get_expr(relpartbound)), the DDL, the row count and the hash.
 * Refused before anything changes: a relation that is not a plain table
 * or partition (a partitioned table: archive its partitions), one that is
 * not a partition of @p parent when it is given, and one a foreign key
 * references (named in the message).
 * @param c          a connection to the relation's database
 * @param schema     the relation's schema
 * @param name       the relation's name
 * @param parent     "schema.table" it must be a partition of, or NULL
 * @param bin_schema the recycle schema ("recyclebin" when NULL)
 * @param bin_name   the copy's name there (@p name when NULL); at most 63
 *                   bytes
 * @param origin     the origin path to keep in the manifest, or NULL
 * @param out        filled on success; release with rfs_pg_item_release()
 * @param err        the reason of a refusal or failure
 * @return 0, -ENOENT, -EINVAL (refused), -ENAMETOOLONG, -EIO
 */
int rfs_pg_snapshot(PGconn *c, const char *schema, const char *name,
		    const char *parent, const char *bin_schema,
		    const char *bin_name, const char *origin,
		    struct rfs_pg_item *out, struct rfs_error *err);

/**
 * Step 1 without the rows: the refusals, the bound and the DDL of
 * rfs_pg_snapshot(), no row count, hash or stamp (a sync takes them in
 * the snapshot it copies). What the archive job's snapshot step runs.
 * @return as rfs_pg_snapshot()
 */
int rfs_pg_precheck(PGconn *c, const char *schema, const char *name,
		    const char *parent, const char *bin_schema,
		    const char *bin_name, const char *origin,
		    struct rfs_pg_item *out, struct rfs_error *err);

/**
 * Read the item of copy @p bin_name back from the manifest table.
 * @return 0, -ENOENT (no such copy), -EIO
 */
int rfs_pg_item_load(PGconn *c, const char *bin_schema, const char *bin_name,
		     struct rfs_pg_item *out, struct rfs_error *err);

/**
 * Step 2: copy into the recycle schema, server-side, in one transaction:
 * CREATE TABLE (LIKE ... INCLUDING ALL), INSERT ... SELECT, and the
 * manifest row (state "copied") with the item's count, hash and stamp;
 * an item without a hash (rfs_pg_precheck()) is hashed in the snapshot
 * the copy reads. The source is never moved.
 * @return 0, -ESTALE, -EEXIST (the copy's name holds another archive),
 *         -EIO
 */
int rfs_pg_sync(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err);

/**
 * rfs_pg_sync() with a second connection @p c2 to the same database (or
 * NULL): an item of rfs_pg_precheck() (no hash yet) is hashed there, at
 * the snapshot the copy reads (pg_export_snapshot()), while @p c copies.
 */
int rfs_pg_sync2(PGconn *c, PGconn *c2, struct rfs_pg_item *it,
		 struct rfs_error *err);

/**
 * rfs_pg_sync2() with a third connection @p rd to the same database (or
 * NULL: rfs_pg_sync2()): @p rd reads the source in one REPEATABLE READ
 * snapshot, exported so that @p c2 hashes the source at it; the rows are
 * streamed from `COPY (SELECT ...) TO STDOUT` on @p rd into
 * `COPY ... FROM STDIN (FREEZE)` on @p c, into the copy made by
 * `CREATE TABLE ... (LIKE ... INCLUDING ALL)` whose indexes and index
 * constraints are dropped before the rows and made again (same names,
 * same definitions, same comments) after them. Without @p c2, the copy,
 * its indexes and the manifest row commit in one transaction of @p c: a
 * sync cut short leaves nothing. With @p c2, the copy's rows and the
 * manifest row ("loaded") commit first; then the indexes are built and
 * the state made "copied" in a second transaction, while @p c2 hashes
 * the committed copy and checks the source's stamp: both agreeing, the
 * state is "verified" and rfs_pg_verify2() has nothing left to do. A
 * sync cut between the two leaves a "loaded" copy, which no other step
 * takes for an archive; the rerun (any rfs_pg_sync*()) drops it and its
 * manifest row and copies again, keeping the item's hash and stamp.
 * @return as rfs_pg_sync()
 */
int rfs_pg_sync3(PGconn *c, PGconn *c2, PGconn *rd, struct rfs_pg_item *it,
		 struct rfs_error *err);

/**
 * Step 3: the copy has the snapshot's row count and hash, and the source
 * still holds the snapshot's rows (by its stamp, else its count and
 * hash); state "verified".
 * @return 0, -ESTALE (the source changed; the copy differs), -EIO
 */
int rfs_pg_verify(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err);

/** rfs_pg_verify() checking the source on a second connection @p c2 (or
 * NULL) while @p c hashes the copy. */
int rfs_pg_verify2(PGconn *c, PGconn *c2, struct rfs_pg_item *it,
		   struct rfs_error *err);

/**
 * Step 4: detach the partition from its parent (the parent is the
 * metastore): DETACH PARTITION ... CONCURRENTLY when the parent has no
 * default partition, FINALIZE of one left pending by an interrupted run,
 * a plain DETACH (in a transaction that locks the partition and checks
 * its hash) when the parent has a default partition. Nothing for a plain
 * table. State "unpublished".
 * @return 0, -ESTALE, -EIO
 */
int rfs_pg_unpublish(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err);

/**
 * Step 5: DROP TABLE of the detached source, in a transaction that locks
 * it and checks its hash once more; when it changed, the partition is
 * attached again with its bound and -ESTALE returned. State "deleted".
 * @return 0, -ESTALE, -EBUSY (still attached), -EIO
 */
int rfs_pg_delete(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err);

/**
 * Step 6: mark the manifest row "archived" with its time.
 * @return 0, -EINVAL (the source is not deleted yet), -EIO
 */
int rfs_pg_manifest(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err);

/**
 * Undo a failed archive that deleted nothing: attach the source again if
 * it was detached, then drop the copy and its manifest row.
 * @return 0, -EBUSY (the source is deleted: the copy is the data), -EIO
 */
int rfs_pg_abort(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err);

/** Where a restore goes; NULL fields take the item's origin. */
struct rfs_pg_target_table {
	const char *schema;	   /**< the restored table's schema */
	const char *name;	   /**< its name */
	const char *parent_schema; /**< the parent to attach to */
	const char *parent;	   /**< NULL with parent_schema NULL: the
					origin's parent, if any */
	int no_parent; /**< non-zero: a table attached to no parent */
};

/**
 * Restore step 1, before any row moves: the target name is free (or holds
 * this restore's own copy), the parent is partitioned and has the copy's
 * columns (same names and types), and the saved bound overlaps no
 * partition (tried with a probe table in a transaction rolled back).
 * @return 0, -EEXIST (the name or the bound is taken), -EINVAL (columns
 *         differ: the first one named), -ENOENT, -EIO
 */
int rfs_pg_restore_check(PGconn *c, const struct rfs_pg_item *it,
			 const struct rfs_pg_target_table *to,
			 struct rfs_error *err);

/** Restore step 2: copy the recycle copy to the target table in one
 * transaction. @return 0, -EEXIST, -EIO */
int rfs_pg_restore_copy(PGconn *c, const struct rfs_pg_item *it,
			const struct rfs_pg_target_table *to,
			struct rfs_error *err);

/** Restore step 3: the target has the manifest's row count and hash.
 * @return 0, -ESTALE, -EIO */
int rfs_pg_restore_verify(PGconn *c, const struct rfs_pg_item *it,
			  const struct rfs_pg_target_table *to,
			  struct rfs_error *err);

/** Restore step 4: ATTACH PARTITION ... with the saved bound (nothing
 * for a plain table, or when already attached). @return 0, -EEXIST,
 * -EIO */
int rfs_pg_restore_attach(PGconn *c, const struct rfs_pg_item *it,
			  const struct rfs_pg_target_table *to,
			  struct rfs_error *err);

/**
 * Purge: drop the recycle copy and its manifest row, in one transaction.
 * @return 0 (also when already purged), -EBUSY (the archive is not
 *         finished), -EIO
 */
int rfs_pg_purge(PGconn *c, const struct rfs_pg_item *it,
		 struct rfs_error *err);

#endif
