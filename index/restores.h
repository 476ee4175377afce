/**
 * @file restores.h
 * @brief Restores in the index (schema version 3): the repository of
 *        model/restore.h's struct rfs_restore.
 *
 * Same rules as index.h and entries.h: one thread per handle, errors
 * mapped to -errno in one place, callers group calls in transactions.
 */
#ifndef RFS_INDEX_RESTORES_H
#define RFS_INDEX_RESTORES_H

#include <stdbool.h>
#include <stdint.h>

#include "model/restore.h"

struct rfs_error;
struct rfs_index;

/**
 * Insert a restore (every field but id).
 * @param idx the index
 * @param r   its id is set on success, and a zero created_ns (updated_ns)
 *            to now (created_ns)
 * @param err receives the reason on failure; may be NULL
 * @return 0, -ENOENT (no such entry), -EEXIST (a restore of the same
 *         entry to the same target_uri and target_key is running or
 *         resumable: see rfs_index_restore_active()), -EINVAL (sub,
 *         target_uri, target_key or target NULL, or an invalid state),
 *         -EIO
 */
int rfs_index_restore_insert(struct rfs_index *idx, struct rfs_restore *r,
			     struct rfs_error *err);

/**
 * Find the restore of entry @p entry_id to one target that is running or
 * resumable (state check, copy, verify or publish). There is at most one:
 * the index refuses a second (rfs_index_restore_insert() gives -EEXIST).
 * @param idx        the index
 * @param entry_id   the entry restored from
 * @param target_uri the target's root URI, as stored
 * @param target_key where the item lands under it
 * @param out        filled when found; release with rfs_restore_release()
 * @param err        receives the reason of an index error; may be NULL
 * @return 0, -ENOENT (none, with no reason set), -ENOMEM, -EIO
 */
int rfs_index_restore_active(struct rfs_index *idx, int64_t entry_id,
			     const char *target_uri, const char *target_key,
			     struct rfs_restore *out, struct rfs_error *err);

/**
 * Read the newest restore of an entry (the highest id), whatever its
 * state or target.
 * @param idx      the index
 * @param entry_id the entry
 * @param out      filled when found; release with rfs_restore_release()
 * @param err      receives the reason of an index error; may be NULL
 * @return 0, -ENOENT (the entry was never restored; no reason set),
 *         -ENOMEM, -EIO
 */
int rfs_index_restore_latest(struct rfs_index *idx, int64_t entry_id,
			     struct rfs_restore *out, struct rfs_error *err);

/**
 * Read a restore.
 * @param idx the index
 * @param id  the restore's row id
 * @param out filled on success; release with rfs_restore_release()
 * @param err receives the reason on failure; may be NULL
 * @return 0, -ENOENT, -EIO
 */
int rfs_index_restore_get(struct rfs_index *idx, int64_t id,
			  struct rfs_restore *out, struct rfs_error *err);

/**
 * Write the mutable fields: state, failed_step, reason, the counters,
 * updated_ns (now).
 * @return 0, -ENOENT, -EEXIST (made runnable while another restore of the
 *         same entry and target is), -EIO
 */
int rfs_index_restore_update(struct rfs_index *idx, const struct rfs_restore *r,
			     struct rfs_error *err);

/** Write the progress counters only. @return 0, -ENOENT, -EIO */
int rfs_index_restore_progress(struct rfs_index *idx, int64_t id,
			       int64_t files_done, int64_t bytes_done,
			       struct rfs_error *err);

/**
 * Compare-and-swap a restore's lease, as rfs_index_entry_lease().
 * @return 0, -ENOENT, -EIO
 */
int rfs_index_restore_lease(struct rfs_index *idx, int64_t id,
			    const char *expected, const char *owner,
			    int64_t until_ns, bool *taken,
			    struct rfs_error *err);

/** Which restores rfs_index_restore_list() walks. */
enum rfs_index_restore_filter {
	RFS_INDEX_RESTORES_ALL,	     /**< every restore */
	RFS_INDEX_RESTORES_RUNNABLE, /**< check, copy, verify, publish */
};

/** Called per restore; a non-zero return stops the walk. */
typedef int (*rfs_index_restore_fn)(const struct rfs_restore *r, void *ctx);

/**
 * Walk restores by id (oldest first).
 * @param idx      the index
 * @param filter   which restores to walk
 * @param entry_id only those of this entry, or 0 for all
 * @param fn       gets a restore valid during the call only
 * @param ctx      passed to @p fn
 * @param err      receives the reason on failure; may be NULL
 * @return 0, the callback's value, -EINVAL (unknown filter), -ENOMEM,
 *         -EIO
 */
int rfs_index_restore_list(struct rfs_index *idx,
			   enum rfs_index_restore_filter filter,
			   int64_t entry_id, rfs_index_restore_fn fn, void *ctx,
			   struct rfs_error *err);

#endif
