/**
 * @file internal.h
 * @brief What the files of index/ share: the handle, the statement cache,
 *        the one SQLite-to-errno mapping and the migration runner.
 *
 * Not installed and not for use outside index/ (the unit tests excepted).
 * Everything here has the thread rules of index.h: a handle is used by one
 * thread at a time.
 */
#ifndef RFS_INDEX_INTERNAL_H
#define RFS_INDEX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct rfs_error;

/**
 * Slots of the per-handle statement cache. Each slot holds one statement,
 * prepared on first use with the SQL its caller passes to rfs_index_stmt().
 */
enum rfs_index_stmt_id {
	RFS_INDEX_STMT_DATA_VERSION,
	RFS_INDEX_STMT_EPOCH_GEN,
	RFS_INDEX_STMT_STORAGE_INSERT,
	RFS_INDEX_STMT_TABLE_INSERT,
	RFS_INDEX_STMT_CLASSIFICATION_ADD,
	RFS_INDEX_STMT_CLASSIFICATION_DEL,
	RFS_INDEX_STMT_LIFECYCLE_INSERT,
	RFS_INDEX_STMT_EPOCH_INSERT,
	RFS_INDEX_STMT_EPOCH_UPDATE,
	RFS_INDEX_STMT_HISTORY_ADD,
	RFS_INDEX_STMT_CONFIG_GET,
	RFS_INDEX_STMT_CONFIG_SET,
	RFS_INDEX_STMT_CONFIG_DEL,
	RFS_INDEX_STMT_LOAD_STORAGES,
	RFS_INDEX_STMT_LOAD_TABLES,
	RFS_INDEX_STMT_LOAD_CLASSIFICATIONS,
	RFS_INDEX_STMT_LOAD_LIFECYCLES,
	RFS_INDEX_STMT_LOAD_EPOCHS,
	RFS_INDEX_STMT_ENTRY_INSERT,
	RFS_INDEX_STMT_ENTRY_GET,
	RFS_INDEX_STMT_ENTRY_BY_UUID,
	RFS_INDEX_STMT_ENTRY_BY_BIN_PATH,
	RFS_INDEX_STMT_ENTRY_EXISTS,
	RFS_INDEX_STMT_ENTRY_UPDATE,
	RFS_INDEX_STMT_ENTRY_PROGRESS,
	RFS_INDEX_STMT_ENTRY_LEASE,
	RFS_INDEX_STMT_ENTRY_RENEW_ALL,
	RFS_INDEX_STMT_RESTORE_LEASE,
	RFS_INDEX_STMT_RESTORE_PROGRESS,
	RFS_INDEX_STMT_RESTORE_EXISTS,
	RFS_INDEX_STMT_FILE_INSERT,
	RFS_INDEX_STMT_FILE_UPDATE,
	RFS_INDEX_STMT_FILE_GET,
	RFS_INDEX_STMT_FILE_COUNT,
	RFS_INDEX_STMT_FILE_DELETE_ALL,
	RFS_INDEX_STMT_FILE_SET_ATTRS,
	RFS_INDEX_STMT_PART_QUEUE,
	RFS_INDEX_STMT_PART_QUEUED,
	RFS_INDEX_STMT_PART_BLOCKED,
	RFS_INDEX_STMT_PART_LIST,
	RFS_INDEX_STMT_PART_ENTRIES,
	RFS_INDEX_STMT_PART_DROP_ALL,
	RFS_INDEX_STMT_PART_DROP,
	RFS_INDEX_STMT_PART_FAILED,
	RFS_INDEX_STMT_PART_STATUS,
	RFS_INDEX_STMT_COUNT
};

/** An open index: one SQLite connection. */
struct rfs_index {
	sqlite3 *db;   /**< the connection, owned */
	char *path;    /**< as given to rfs_index_open() */
	bool created;  /**< this open created the file (always for memory) */
	bool readonly; /**< opened with RFS_INDEX_READONLY */
	sqlite3_stmt *stmts[RFS_INDEX_STMT_COUNT]; /**< lazily prepared */
	/** Strings a getter returns "until the next call on the handle"
	 * (rfs_index_file_get()); malloc'ed, freed with the handle. */
	char *scratch;
	/** Inside rfs_index_group_begin(): begin/commit/rollback work on
	 *  a savepoint of the group's transaction. */
	bool group;
	bool group_step; /**< a step's savepoint is open */
};

/**
 * One schema migration: SQL that brings user_version from its position in
 * the array to the next (the first entry makes version 1).
 */
struct rfs_index_migration {
	const char *what; /**< a short description, for the log */
	const char *sql;  /**< one or more statements; no bound values */
};

/**
 * Map a SQLite result code to a negative errno, in this one place.
 *
 * SQLITE_BUSY and SQLITE_LOCKED -> -EBUSY, SQLITE_FULL -> -ENOSPC, a
 * UNIQUE or PRIMARY KEY constraint -> -EEXIST, SQLITE_NOTADB -> -EINVAL,
 * SQLITE_READONLY -> -EROFS, SQLITE_NOMEM -> -ENOMEM, SQLITE_PERM,
 * SQLITE_AUTH and a file that cannot be opened for lack of permission ->
 * -EACCES, everything else -> -EIO. The SQLite message and raw code go to
 * the debug log; "CONTEXT: MESSAGE" goes to @p err.
 *
 * @param idx the handle whose connection produced @p rc; its last message
 *            is the one reported
 * @param rc  a (possibly extended) SQLite result code, not SQLITE_OK
 * @param err where to put the reason; may be NULL
 * @param fmt printf-style context, "cannot insert storage 'x'"
 * @return the negative errno
 */
int rfs_index_fail(struct rfs_index *idx, int rc, struct rfs_error *err,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * Get the cached statement of slot @p id, preparing it from @p sql the
 * first time. The statement is reset and has no bindings.
 * @param idx the handle whose cache holds the slot
 * @param id  the slot, one per call site
 * @param sql the slot's SQL, always the same text for one slot
 * @param out set to the statement (borrowed: the handle owns it); give it
 *            back with rfs_index_stmt_done() after the last step
 * @param err where to put the reason of a failed prepare; may be NULL
 * @return 0, or a negative errno from rfs_index_fail()
 */
int rfs_index_stmt(struct rfs_index *idx, enum rfs_index_stmt_id id,
		   const char *sql, sqlite3_stmt **out, struct rfs_error *err);

/** Reset @p st and clear its bindings, so it holds no lock. NULL is fine. */
void rfs_index_stmt_done(sqlite3_stmt *st);

/**
 * Bind a C string to parameter @p i (1-based) of @p st, or SQL NULL when
 * @p s is NULL. The string must stay valid until the statement is reset.
 * @return a SQLite result code
 */
int rfs_index_bind_text(sqlite3_stmt *st, int i, const char *s);

/**
 * Run a statement that returns no rows, then give it back with
 * rfs_index_stmt_done().
 * @param idx     the handle @p st belongs to
 * @param st      a statement from rfs_index_stmt(), its parameters bound
 * @param bind_rc SQLITE_OK, or the first error of binding its parameters:
 *                the statement then does not run and that error is
 *                reported
 * @param err     where to put the reason; may be NULL
 * @param fmt     printf-style context for the error message
 * @return 0, or a negative errno from rfs_index_fail()
 */
int rfs_index_run(struct rfs_index *idx, sqlite3_stmt *st, int bind_rc,
		  struct rfs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/**
 * Run SQL without values (DDL, PRAGMA, BEGIN) statement by statement,
 * without caching it. Rows the statements return are ignored.
 * @return 0, or a negative errno from rfs_index_fail() with "index
 *         'PATH'" as context
 */
int rfs_index_exec(struct rfs_index *idx, const char *sql,
		   struct rfs_error *err);

/**
 * Run SQL without values that returns one integer ("PRAGMA user_version").
 * @return 0 and set @p value, or a negative errno from rfs_index_fail()
 */
int rfs_index_query_int(struct rfs_index *idx, const char *sql, int64_t *value,
			struct rfs_error *err);

/**
 * Check the identity of a freshly opened connection and claim an empty
 * database (set its application_id) when @p create allows it. Called by
 * rfs_index_open() before anything else touches the file, so a file that
 * is not a recyclefs index is left unchanged.
 * @param idx    the freshly opened handle
 * @param create the caller asked for RFS_INDEX_CREATE (or the index is in
 *               memory)
 * @param err    where to put the reason; may be NULL
 * @return 0; -ENOENT (an empty database and no @p create), -EINVAL (not
 *         a recyclefs index), -EPROTO (schema newer than this build, or
 *         older on a read-only handle), or an errno from rfs_index_fail()
 */
int rfs_index_schema_check(struct rfs_index *idx, bool create,
			   struct rfs_error *err);

/**
 * Apply the migrations of @p steps that are newer than the index's
 * user_version, each in its own BEGIN IMMEDIATE transaction that also sets
 * user_version to the migration's number. Foreign keys are not enforced
 * while a migration runs (so it may rebuild tables) but are checked before
 * its commit. A migration that fails is rolled back and leaves the index
 * at the previous version. Two processes migrating at once are
 * serialised; the second finds nothing to do.
 * @param idx   a writable handle, with no transaction open
 * @param steps migration i (0-based) brings the version from i to i + 1
 * @param n     number of steps: the version this brings the index to
 * @param err   where to put the reason; may be NULL
 * @return 0, -EPROTO (the index is newer than @p n), or a negative errno
 *         from rfs_index_fail()
 */
int rfs_index_migrate(struct rfs_index *idx,
		      const struct rfs_index_migration *steps, size_t n,
		      struct rfs_error *err);

/** The migrations of this build; there are RFS_INDEX_SCHEMA_VERSION. */
extern const struct rfs_index_migration rfs_index_migrations[];

#endif
