/**
 * @file entries.h
 * @brief Recycle entries and their manifest rows in the index.
 *
 * The repository of model/entry.h's types (schema version 2). Same rules as
 * index.h: a handle is used by one thread at a time; errors map to -errno
 * in one place; the caller groups calls in rfs_index_begin()/commit() when
 * they must land together. Iterations stream rows from SQLite: memory does
 * not grow with the number of files. A callback must not use the same
 * handle (open another one for nested work).
 */
#ifndef RFS_INDEX_ENTRIES_H
#define RFS_INDEX_ENTRIES_H

#include <stdbool.h>
#include <stdint.h>

#include "model/entry.h"

struct rfs_index;
struct rfs_error;

/**
 * Insert an entry (all its fields but id; lease fields may be set).
 * @param idx the index
 * @param e   its id is set on success, and a zero created_ns (updated_ns)
 *            to now (created_ns)
 * @param err receives the reason on failure; may be NULL
 * @return 0, -EEXIST (uuid taken, or bin_path taken by a live entry),
 *         -EINVAL (uuid not 32 lower-case hex digits, a required string
 *         NULL, or an invalid state), -EIO
 */
int rfs_index_entry_insert(struct rfs_index *idx, struct rfs_entry *e,
			   struct rfs_error *err);

/**
 * Read an entry by row id.
 * @param idx the index
 * @param id  the entry's row id
 * @param out filled on success; release with rfs_entry_release()
 * @param err receives the reason on failure; may be NULL
 * @return 0, -ENOENT, -EIO
 */
int rfs_index_entry_get(struct rfs_index *idx, int64_t id,
			struct rfs_entry *out, struct rfs_error *err);

/** Read an entry by uuid. @return as rfs_index_entry_get() */
int rfs_index_entry_by_uuid(struct rfs_index *idx, const char *uuid,
			    struct rfs_entry *out, struct rfs_error *err);

/**
 * Read the live (not purged) entry at a bin path.
 * @return as rfs_index_entry_get()
 */
int rfs_index_entry_by_bin_path(struct rfs_index *idx, const char *bin_path,
				struct rfs_entry *out, struct rfs_error *err);

/**
 * Write an entry's mutable fields: state, failed_step, reason, the four
 * counters, deleted_ns, purged_ns, restored_to and updated_ns (set to now).
 * @return 0, -ENOENT, -EEXIST (leaving purged while another live entry
 *         holds the bin path), -EINVAL (invalid state), -EIO
 */
int rfs_index_entry_update(struct rfs_index *idx, const struct rfs_entry *e,
			   struct rfs_error *err);

/**
 * Write only the progress counters (files_done, bytes_done) and updated_ns:
 * cheap enough to call every second from a running job.
 * @return 0, -ENOENT, -EIO
 */
int rfs_index_entry_progress(struct rfs_index *idx, int64_t id,
			     int64_t files_done, int64_t bytes_done,
			     struct rfs_error *err);

/**
 * Take, renew or hand over a lease, as a compare-and-swap: the lease is
 * set to (@p owner, @p until_ns) only when the current owner is
 * @p expected (NULL: no owner).
 * @param idx      the index
 * @param id       the entry's row id
 * @param expected the owner the lease must have now, or NULL for none
 * @param owner    the new owner, "host:pid:start" (rfs_job_owner_self()),
 *                 or NULL to release the lease
 * @param until_ns when the new lease expires, ns since the Unix epoch
 * @param taken    set to whether the swap happened
 * @param err      receives the reason on failure; may be NULL
 * @return 0, -ENOENT (no such entry), -EIO
 */
int rfs_index_entry_lease(struct rfs_index *idx, int64_t id,
			  const char *expected, const char *owner,
			  int64_t until_ns, bool *taken, struct rfs_error *err);

/**
 * Renew every lease held by @p owner until @p until_ns.
 * @return the number of entries renewed, or -EIO
 */
int rfs_index_entry_renew_all(struct rfs_index *idx, const char *owner,
			      int64_t until_ns, struct rfs_error *err);

/** Which entries rfs_index_entry_list() walks. */
enum rfs_index_entry_filter {
	RFS_INDEX_ENTRIES_LIVE,	    /**< every state but purged */
	RFS_INDEX_ENTRIES_ALL,	    /**< purged ones too */
	RFS_INDEX_ENTRIES_RUNNABLE, /**< states a worker runs */
};

/** Called per entry; a non-zero return stops the walk and is returned. */
typedef int (*rfs_index_entry_fn)(const struct rfs_entry *e, void *ctx);

/**
 * Walk entries in bin_path order (then id).
 * @param idx    the index
 * @param filter which entries to walk
 * @param prefix only entries whose bin_path equals it or lies under it
 *               (component-wise; trailing slashes ignored), or NULL or ""
 *               for all
 * @param fn     gets an entry valid during the call only; it must not use
 *               @p idx, whose statement is in progress
 * @param ctx    passed to @p fn
 * @param err    receives the reason on failure; may be NULL
 * @return 0, the callback's value, -EINVAL (unknown filter), -ENOMEM, -EIO
 */
int rfs_index_entry_list(struct rfs_index *idx,
			 enum rfs_index_entry_filter filter, const char *prefix,
			 rfs_index_entry_fn fn, void *ctx,
			 struct rfs_error *err);

/**
 * Walk the live entries whose origin_path equals @p origin or lies under
 * it or above it (component-wise): the entries an archive of @p origin
 * could clash with.
 * @return as rfs_index_entry_list()
 */
int rfs_index_entry_list_overlapping(struct rfs_index *idx, const char *origin,
				     rfs_index_entry_fn fn, void *ctx,
				     struct rfs_error *err);

/**
 * Insert a manifest row of entry @p entry_id. An empty sha256 is stored as
 * unknown.
 * @return 0, -EEXIST (path already listed), -ENOENT (no such entry),
 *         -EINVAL (invalid type or state), -EIO
 */
int rfs_index_file_insert(struct rfs_index *idx, int64_t entry_id,
			  const struct rfs_entry_file *f,
			  struct rfs_error *err);

/**
 * Record a row's checksum (NULL keeps it, "" forgets it) and state.
 * @return 0, -ENOENT, -EINVAL (invalid state), -EIO
 */
int rfs_index_file_update(struct rfs_index *idx, int64_t entry_id,
			  const char *path, const char *sha256,
			  enum rfs_file_state state, struct rfs_error *err);

/**
 * Record what a row's file is, when the snapshot took provisional
 * attributes (an object store's listing) and the copy read the real ones:
 * its type, size, times, mode, owner, link target and device number from
 * @p f (its path names the row; its checksum and state are kept).
 * @return 0, -ENOENT (no such row), -EINVAL (invalid type), -EIO
 */
int rfs_index_file_set_attrs(struct rfs_index *idx, int64_t entry_id,
			     const struct rfs_entry_file *f,
			     struct rfs_error *err);

/**
 * Read one manifest row.
 * @param idx      the index
 * @param entry_id the entry's row id
 * @param path     the row's path, relative to the item root ("" for the
 *                 item itself)
 * @param out      filled on success; its strings are valid until the next
 *                 call on @p idx
 * @param err      receives the reason on failure; may be NULL
 * @return 0, -ENOENT, -EIO
 */
int rfs_index_file_get(struct rfs_index *idx, int64_t entry_id,
		       const char *path, struct rfs_entry_file *out,
		       struct rfs_error *err);

/** Called per manifest row; strings valid during the call only. */
typedef int (*rfs_index_file_fn)(const struct rfs_entry_file *f, void *ctx);

/** Which manifest rows rfs_index_file_list() walks, and in what order. */
struct rfs_index_file_query {
	/** Rows whose path sorts after this one (byte order), or NULL for
	 * all; in descending order, rows before it. */
	const char *after;
	int type;  /**< an enum rfs_file_type, or 0 for all */
	int state; /**< an enum rfs_file_state, or -1 for all */
	int limit; /**< at most this many rows, or 0 for all */
	/** Descending path order: children before their parents. */
	bool desc;
};

/**
 * Walk the rows of an entry in path (byte) order, ascending unless
 * @p q->desc. Batches: pass the last path seen as @p q->after.
 * @param idx      the index
 * @param entry_id the entry's row id; an unknown one has no rows
 * @param q        the query, or NULL for every row ascending
 * @param fn       must not use @p idx, whose statement is in progress
 *                 (another handle may be used, even to write)
 * @param ctx      passed to @p fn
 * @param err      receives the reason on failure; may be NULL
 * @return 0, the callback's value, -EINVAL (invalid type or state in
 *         @p q), -ENOMEM, -EIO
 */
int rfs_index_file_list(struct rfs_index *idx, int64_t entry_id,
			const struct rfs_index_file_query *q,
			rfs_index_file_fn fn, void *ctx, struct rfs_error *err);

/**
 * Count rows and bytes of an entry, optionally only in one state.
 * @param idx      the index
 * @param entry_id the entry's row id; an unknown one has no rows
 * @param state    an enum rfs_file_state, or -1 for all
 * @param files    set to the number of rows (may be NULL)
 * @param bytes    set to the sum of their sizes (may be NULL)
 * @param err      receives the reason on failure; may be NULL
 * @return 0, -EIO
 */
int rfs_index_file_count(struct rfs_index *idx, int64_t entry_id, int state,
			 int64_t *files, int64_t *bytes, struct rfs_error *err);

/** Delete every row of an entry. @return 0, -EIO */
int rfs_index_file_delete_all(struct rfs_index *idx, int64_t entry_id,
			      struct rfs_error *err);

#endif
