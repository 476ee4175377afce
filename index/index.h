/**
 * @file index.h
 * @brief The SQLite index: catalog, configuration and history (recycle
 *        entries: index/entries.h; restores: index/restores.h).
 *
 * The repository and unit of work of recyclefs. One `struct rfs_index` is
 * one SQLite connection (WAL mode, busy timeout, foreign keys on; a new
 * file is created with mode 0600). A handle must not be used by two
 * threads at once: each thread opens its own, or callers guard it with a
 * lock. Several processes may use one index file at the same time.
 *
 * Writes outside rfs_index_begin()/rfs_index_commit() run in their own
 * implicit transaction. Errors map to errno in one place: SQLITE_BUSY ->
 * -EBUSY, SQLITE_FULL -> -ENOSPC, a UNIQUE constraint -> -EEXIST,
 * SQLITE_NOTADB -> -EINVAL, SQLITE_READONLY -> -EROFS, SQLITE_NOMEM ->
 * -ENOMEM, others -EIO; the SQLite message goes to the debug log and,
 * with context, to @p err.
 *
 * This header includes no SQLite header: core/ may call it.
 */
#ifndef RFS_INDEX_INDEX_H
#define RFS_INDEX_INDEX_H

#include <stdbool.h>
#include <stdint.h>

struct rfs_catalog;
struct rfs_epoch;
struct rfs_error;

/** The schema version this build writes (PRAGMA user_version). */
#define RFS_INDEX_SCHEMA_VERSION 7

/** PRAGMA application_id of a recyclefs index ("RFS1"). */
#define RFS_INDEX_APPLICATION_ID 0x52465331

/** Flags of rfs_index_open(). */
enum rfs_index_flags {
	/** Create the file (mode 0600) and its schema when missing. */
	RFS_INDEX_CREATE = (1 << 0),
	/** Open read-only; no migration runs. */
	RFS_INDEX_READONLY = (1 << 1),
};

struct rfs_index;

/**
 * Open the index at @p path and bring its schema up to date.
 * @param path  a file path; ":memory:" for a private in-memory index; or
 *              ":memory:NAME" for an in-memory index that every
 *              connection of this process opening the same NAME shares
 *              (with the locks and busy waits of a file: the engine's
 *              heartbeat and the mount's workers open their own
 *              connections by rfs_index_path()). NAME is 1 to 128
 *              letters, digits, '.', '_' or '-'. A shared index is made
 *              by an open with RFS_INDEX_CREATE and is gone when its
 *              last connection closes. Tests use the in-memory forms.
 * @param flags enum rfs_index_flags
 * @param out   set to the new handle on success; free with rfs_index_free()
 * @param err   receives the reason on failure; may be NULL
 * @return 0; -ENOENT (missing and not RFS_INDEX_CREATE: "no recyclefs
 *         index at '...'; run 'recyclefs init'"; for ":memory:NAME": no
 *         connection holds it), -EINVAL (not a recyclefs index; or
 *         RFS_INDEX_READONLY with RFS_INDEX_CREATE or ":memory:"; or a
 *         NAME with other characters), -EPROTO (schema newer than this
 *         build), -EACCES, -EIO
 */
int rfs_index_open(const char *path, unsigned flags, struct rfs_index **out,
		   struct rfs_error *err);

/** Close and free. NULL does nothing. */
void rfs_index_free(struct rfs_index *idx);

/** @return the path the index was opened with (borrowed). */
const char *rfs_index_path(const struct rfs_index *idx);

/** @return true when the index was created by this open. */
bool rfs_index_was_created(const struct rfs_index *idx);

/**
 * Start a write transaction (BEGIN IMMEDIATE), waiting for the busy
 * timeout if another process writes. Not nestable.
 * @return 0, -EBUSY, -EIO
 */
int rfs_index_begin(struct rfs_index *idx, struct rfs_error *err);

/** Commit the transaction. @return 0, -EBUSY, -ENOSPC, -EIO */
int rfs_index_commit(struct rfs_index *idx, struct rfs_error *err);

/** Roll back the open transaction, if any. Never fails. */
void rfs_index_rollback(struct rfs_index *idx);

/**
 * Start one write transaction that holds several changes, each made with
 * rfs_index_begin()/rfs_index_commit() as usual: inside a group those
 * open and release a savepoint (rfs_index_rollback() undoes only the
 * current change), and nothing is durable or visible to other connections
 * until rfs_index_group_end() commits all of it at once. Not nestable.
 * @return 0, -EINVAL (a group is open already), -EBUSY, -EIO
 */
int rfs_index_group_begin(struct rfs_index *idx, struct rfs_error *err);

/**
 * End the group: commit every change made in it (@p commit), or roll all
 * of them back. A change still open is rolled back first.
 * @return 0, or the commit's error (then nothing of the group is kept)
 */
int rfs_index_group_end(struct rfs_index *idx, bool commit,
			struct rfs_error *err);

/** @return true between rfs_index_group_begin() and its end */
bool rfs_index_in_group(const struct rfs_index *idx);

/**
 * A number that changes whenever another connection commits a change
 * (PRAGMA data_version), so a reader can tell cheaply when to reload.
 * @return 0 and set @p version, or -EIO
 */
int rfs_index_data_version(struct rfs_index *idx, int64_t *version);

/**
 * The generation of epoch @p epoch_id: a number that every job step
 * changing what the epoch holds increases (an entry archived from it, a
 * restore into it: their rows added, their state changed, removed), in
 * whatever process it runs; 0 for an epoch no job changed.
 * @return 0 and set @p gen, or -EIO
 */
int rfs_index_epoch_gen(struct rfs_index *idx, int64_t epoch_id, int64_t *gen);

/**
 * Load the whole catalog as a sealed snapshot. Inside a transaction it
 * sees that transaction's changes.
 * @param idx the index
 * @param out set to a catalog the caller frees with rfs_catalog_free()
 * @param err receives the reason on failure; may be NULL
 * @return 0, -ENOMEM, -EIO
 */
int rfs_index_load_catalog(struct rfs_index *idx, struct rfs_catalog **out,
			   struct rfs_error *err);

/**
 * Check that epoch @p ep of a catalog snapshot loaded earlier is still
 * what the index holds: the same row, date range, path, storage and
 * storage root. What a caller that planned with an older snapshot (the
 * mount's) checks inside its transaction before it writes.
 * @param idx the index
 * @param ep  the epoch as the snapshot has it
 * @param err receives "the catalog changed: ..." when it differs
 * @return 0, -ESTALE (changed or gone), -EIO
 */
int rfs_index_epoch_current(struct rfs_index *idx, const struct rfs_epoch *ep,
			    struct rfs_error *err);

/**
 * Insert a storage, stamped with the current time. Nothing is checked
 * but the name's uniqueness: the caller (core/edit.h) validates.
 * @param idx        the index
 * @param name       the storage's catalog name
 * @param uri        its root URI, canonical
 * @param bin_uri    its recycle URI; may be NULL
 * @param class_name its storage class, "s3", "postgres", ...
 * @param id         set to the new row id (may be NULL)
 * @param err        receives the reason on failure; may be NULL
 * @return 0, -EEXIST (name taken), -EIO
 */
int rfs_index_storage_insert(struct rfs_index *idx, const char *name,
			     const char *uri, const char *bin_uri,
			     const char *class_name, int64_t *id,
			     struct rfs_error *err);

/** Insert a table. @return 0, -EEXIST, -EIO */
int rfs_index_table_insert(struct rfs_index *idx, const char *name, int64_t *id,
			   struct rfs_error *err);

/**
 * Add (@p on) or remove a classification of a table; idempotent.
 * @return 0, -EIO
 */
int rfs_index_classification_set(struct rfs_index *idx, int64_t table_id,
				 const char *name, bool on,
				 struct rfs_error *err);

/** Insert a lifecycle. @return 0, -EEXIST (name taken in that table), -EIO */
int rfs_index_lifecycle_insert(struct rfs_index *idx, int64_t table_id,
			       const char *name, int order, int64_t *id,
			       struct rfs_error *err);

/**
 * Insert an epoch. The caller has checked the range rules.
 * @param idx          the index
 * @param lifecycle_id the row id of its lifecycle
 * @param from         its first day
 * @param to           the day after its last; RFS_DATE_NOW for an open
 *                     epoch
 * @param storage_id   the row id of the storage holding its data
 * @param path         under the storage root, normalised; NULL or "" for
 *                     the root
 * @param id           set to the new row id (may be NULL)
 * @param err          receives the reason on failure; may be NULL
 * @return 0, -EIO
 */
int rfs_index_epoch_insert(struct rfs_index *idx, int64_t lifecycle_id,
			   int32_t from, int32_t to, int64_t storage_id,
			   const char *path, int64_t *id,
			   struct rfs_error *err);

/**
 * Change an epoch's end, storage and path.
 * @param idx        the index
 * @param epoch_id   the epoch's row id
 * @param to         its new end: the day after its last, or RFS_DATE_NOW
 * @param storage_id the row id of the storage now holding its data
 * @param path       the new path under the storage root, or NULL to keep
 *                   it
 * @param err        receives the reason on failure; may be NULL
 * @return 0, -ENOENT (no such epoch), -EIO
 */
int rfs_index_epoch_update(struct rfs_index *idx, int64_t epoch_id, int32_t to,
			   int64_t storage_id, const char *path,
			   struct rfs_error *err);

/**
 * Delete a storage, table (with its classifications), lifecycle or epoch
 * row. The caller (core/edit.h) has checked that nothing depends on it;
 * the foreign keys refuse a row still referenced (-EIO).
 * @return 0, -ENOENT (no such row), -EIO
 */
int rfs_index_storage_delete(struct rfs_index *idx, int64_t id,
			     struct rfs_error *err);
/** @copydoc rfs_index_storage_delete */
int rfs_index_table_delete(struct rfs_index *idx, int64_t id,
			   struct rfs_error *err);
/** @copydoc rfs_index_storage_delete */
int rfs_index_lifecycle_delete(struct rfs_index *idx, int64_t id,
			       struct rfs_error *err);
/** @copydoc rfs_index_storage_delete */
int rfs_index_epoch_delete(struct rfs_index *idx, int64_t id,
			   struct rfs_error *err);

/**
 * Count what depends on a part of the catalog: the bin entries not purged
 * whose storage, table, lifecycle and epoch names match the ones given
 * (NULL matches any), plus, with @p epoch_id > 0, the restores into that
 * epoch still running or waiting to resume.
 * @param idx       the index
 * @param storage   a storage name, or NULL
 * @param table     a table name, or NULL
 * @param lifecycle a lifecycle name, or NULL
 * @param epoch     an epoch name, or NULL
 * @param epoch_id  an epoch's row id for its restores, or 0
 * @param n   set to the count
 * @param err       receives the reason on failure
 * @return 0, -EIO
 */
int rfs_index_entries_depending(struct rfs_index *idx, const char *storage,
				const char *table, const char *lifecycle,
				const char *epoch, int64_t epoch_id, int64_t *n,
				struct rfs_error *err);

/**
 * Append a history record of a catalog change, stamped with the current
 * time.
 * @param idx     the index
 * @param action  "storage.add", "epoch.close", ...
 * @param subject what changed, "sales.orders/bronze/2001-01-01..now"
 * @param detail  a JSON object with the change, or NULL
 * @param err     receives the reason on failure; may be NULL
 * @return 0, -EIO
 */
int rfs_index_history_add(struct rfs_index *idx, const char *action,
			  const char *subject, const char *detail,
			  struct rfs_error *err);

/** One history record, as passed to an rfs_index_history_fn. */
struct rfs_history_record {
	int64_t id;	     /**< its row id; increases with each record */
	int64_t at_ns;	     /**< when it was recorded, ns since the epoch */
	const char *action;  /**< "storage.add", "epoch.close", ... */
	const char *subject; /**< what changed */
	const char *detail;  /**< JSON or "" */
};

/** Called for each history record; a non-zero return stops the walk. */
typedef int (*rfs_index_history_fn)(const struct rfs_history_record *rec,
				    void *ctx);

/**
 * Walk the history, oldest first.
 * @return 0, the callback's non-zero value, or -EIO
 */
int rfs_index_history_list(struct rfs_index *idx, rfs_index_history_fn fn,
			   void *ctx, struct rfs_error *err);

/**
 * Read a configuration value.
 * @param idx   the index
 * @param key   the configuration key, "jobs.parallel_files", ...
 * @param value set to a malloc'ed string the caller frees
 * @param err   receives the reason on failure; may be NULL
 * @return 0, -ENOENT (unset), -EIO
 */
int rfs_index_config_get(struct rfs_index *idx, const char *key, char **value,
			 struct rfs_error *err);

/** Set a configuration value; NULL unsets it. @return 0, -EIO */
int rfs_index_config_set(struct rfs_index *idx, const char *key,
			 const char *value, struct rfs_error *err);

#endif
