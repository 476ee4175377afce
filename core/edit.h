/**
 * @file edit.h
 * @brief Use cases that change the catalog: storages, tables,
 *        classifications, lifecycles, epochs, configuration.
 *
 * Each call validates its input, then runs in one index transaction
 * (BEGIN IMMEDIATE): it loads the current catalog, checks the rules
 * (unique names, epochs that never overlap, one open epoch), writes the
 * change and a history record, and commits. On any error nothing is
 * written and the reason is in @p err. The index handle must not be used
 * by two threads at once.
 */
#ifndef RFS_CORE_EDIT_H
#define RFS_CORE_EDIT_H

#include <stdbool.h>
#include <stdint.h>

struct rfs_index;
struct rfs_error;

/**
 * Register a storage.
 * @param name    a catalog name (see rfs_name_check())
 * @param uri     its root; the scheme decides the class
 * @param bin_uri its recycle storage, or NULL for `<uri>/.recyclebin`
 *                (catalog-only classes such as postgres get none)
 * @return 0; -EINVAL (bad name or URI, unknown scheme, a bin of another
 *         family), -EEXIST (name taken)
 */
int rfs_edit_storage_add(struct rfs_index *idx, const char *name,
			 const char *uri, const char *bin_uri,
			 struct rfs_error *err);

/**
 * Add a table with optional classifications.
 * @return 0; -EINVAL (bad name), -EEXIST (exists)
 */
int rfs_edit_table_add(struct rfs_index *idx, const char *name,
		       const char *const *classifications, int n,
		       struct rfs_error *err);

/**
 * Tag (@p on) or untag a table. Tagging twice or untagging a missing tag
 * changes nothing and succeeds.
 * @return 0; -ENOENT (no such table), -EINVAL (bad classification name)
 */
int rfs_edit_table_classify(struct rfs_index *idx, const char *table,
			    const char *const *classifications, int n, bool on,
			    struct rfs_error *err);

/**
 * Add a lifecycle to a table.
 * @param order its rank among the table's lifecycles; -1 for last
 * @return 0; -ENOENT (no such table), -EINVAL, -EEXIST
 */
int rfs_edit_lifecycle_add(struct rfs_index *idx, const char *table,
			   const char *name, int order, struct rfs_error *err);

/** Flags of rfs_edit_epoch_add(). */
enum rfs_edit_epoch_flags {
	/** Create the epoch's directory when it does not exist yet. */
	RFS_EDIT_EPOCH_CREATE = (1 << 0),
};

/**
 * Add an epoch [from, to) to a lifecycle on a storage.
 * @param to   RFS_DATE_NOW for an open epoch
 * @param path under the storage root ("" for the root); normalised and
 *             checked, so it cannot escape the root
 * @param flags enum rfs_edit_epoch_flags
 * @return 0; -ENOENT (no such table, lifecycle or storage, or a missing
 *         directory on file storage without RFS_EDIT_EPOCH_CREATE),
 *         -EINVAL (to not after from, bad path), -EEXIST (overlap, a
 *         second open epoch)
 */
int rfs_edit_epoch_add(struct rfs_index *idx, const char *table,
		       const char *lifecycle, int32_t from, int32_t to,
		       const char *storage, const char *path, unsigned flags,
		       struct rfs_error *err);

/**
 * End a lifecycle's open epoch at @p at (exclusive), so that the next
 * epoch can start there.
 * @return 0; -ENOENT (no such table or lifecycle, or no open epoch),
 *         -EINVAL (@p at not after the epoch's start)
 */
int rfs_edit_epoch_close(struct rfs_index *idx, const char *table,
			 const char *lifecycle, int32_t at,
			 struct rfs_error *err);

/**
 * Point an existing epoch at another storage or path (the data was moved
 * there by other means). The old location is kept in the history.
 * @param epoch its directory name, "2001-01-01..2010-01-01"
 * @param path  NULL keeps the current sub-path
 * @return 0; -ENOENT, -EINVAL
 */
int rfs_edit_epoch_repoint(struct rfs_index *idx, const char *table,
			   const char *lifecycle, const char *epoch,
			   const char *storage, const char *path,
			   struct rfs_error *err);

/**
 * Set (or with @p value NULL, unset) a configuration key. Known keys are
 * listed in docs/cli.md; unknown keys are refused.
 * @return 0; -EINVAL (unknown key or bad value)
 */
int rfs_edit_config_set(struct rfs_index *idx, const char *key,
			const char *value, struct rfs_error *err);

#endif
