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
 * Register a storage. Both URIs are stored in canonical form; a file
 * storage's root must exist as a directory.
 * @param idx     the index, with no transaction open
 * @param name    a catalog name (see rfs_name_check())
 * @param uri     its root; the scheme decides the class
 * @param bin_uri its recycle storage, or NULL for `<uri>/.recyclebin`
 *                (a relational class such as postgres gets none:
 *                its recycle copies live in its own database)
 * @param err     receives the reason on failure; may be NULL
 * @return 0; -EINVAL (bad name or URI, unknown scheme, a bin of another
 *         family), -EEXIST (name taken), -ENOENT or -ENOTDIR (a file
 *         storage's root is missing or not a directory), or the index's
 *         errors (-EBUSY, -EIO, ...)
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
 * @param idx   the index, with no transaction open
 * @param table the name of an existing table
 * @param name  the new lifecycle's name (see rfs_name_check()), unique in
 *              @p table
 * @param order its rank among the table's lifecycles; -1 for last
 * @param err   receives the reason on failure; may be NULL
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
 * Add an epoch [from, to) to a lifecycle on a storage. On file storage
 * the epoch's directory must exist (or is created with
 * RFS_EDIT_EPOCH_CREATE); the range rules are checked before anything is
 * created.
 * @param idx       the index, with no transaction open
 * @param table     the name of an existing table
 * @param lifecycle the name of one of its lifecycles
 * @param from      the epoch's first day
 * @param to        the day after its last; RFS_DATE_NOW for an open epoch
 * @param storage   the name of the storage holding its data
 * @param path      under the storage root ("" or NULL for the root);
 *                  normalised and checked, so it cannot escape the root
 * @param flags     enum rfs_edit_epoch_flags
 * @param err       receives the reason on failure; may be NULL
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
 * there by other means). The old location is kept in the history. On
 * file storage the new location must exist as a directory.
 * @param idx       the index, with no transaction open
 * @param table     the name of an existing table
 * @param lifecycle the name of one of its lifecycles
 * @param epoch     its directory name, "2001-01-01..2010-01-01"
 * @param storage   the name of the storage now holding the data (may be
 *                  the current one)
 * @param path      the new path under that storage's root; NULL keeps the
 *                  current sub-path
 * @param err       receives the reason on failure; may be NULL
 * @return 0; -ENOENT (no such table, lifecycle, epoch or storage, or a
 *         missing directory), -EINVAL (bad path)
 */
int rfs_edit_epoch_repoint(struct rfs_index *idx, const char *table,
			   const char *lifecycle, const char *epoch,
			   const char *storage, const char *path,
			   struct rfs_error *err);

/**
 * Remove an epoch from its lifecycle. Refused while anything depends on
 * it: bin entries archived from it and not purged, a restore into it
 * running or waiting to resume (-EBUSY), or files in its location other
 * than its storage's bin (-ENOTEMPTY; a location this build cannot list
 * counts as empty). The location is listed before the transaction, the
 * entries checked again inside it. The epoch's data and its history stay.
 * @return 0; -ENOENT (no such table, lifecycle or epoch), -EBUSY,
 *         -ENOTEMPTY, the backend's errors
 */
int rfs_edit_epoch_remove(struct rfs_index *idx, const char *table,
			  const char *lifecycle, const char *epoch,
			  struct rfs_error *err);

/**
 * Remove a lifecycle without epochs (-ENOTEMPTY otherwise) and without
 * bin entries that are not purged (-EBUSY).
 * @return 0, -ENOENT, -ENOTEMPTY, -EBUSY
 */
int rfs_edit_lifecycle_remove(struct rfs_index *idx, const char *table,
			      const char *lifecycle, struct rfs_error *err);

/**
 * Remove a table without lifecycles (-ENOTEMPTY otherwise) and without
 * bin entries that are not purged (-EBUSY); its classifications go with
 * it.
 * @return 0, -ENOENT, -ENOTEMPTY, -EBUSY
 */
int rfs_edit_table_remove(struct rfs_index *idx, const char *table,
			  struct rfs_error *err);

/**
 * Remove a storage that no epoch uses and no bin entry that is not
 * purged lives in (-EBUSY otherwise). Its recycle area keeps the catalog
 * snapshots written up to the removal.
 * @return 0, -ENOENT, -EBUSY
 */
int rfs_edit_storage_remove(struct rfs_index *idx, const char *name,
			    struct rfs_error *err);

/**
 * Set (or with @p value NULL, unset) a configuration key. Known keys are
 * listed in docs/cli.md; unknown keys are refused.
 * @return 0; -EINVAL (unknown key or bad value)
 */
int rfs_edit_config_set(struct rfs_index *idx, const char *key,
			const char *value, struct rfs_error *err);

#endif
