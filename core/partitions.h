/**
 * @file partitions.h
 * @brief The partitions a recycle job tells the metastore about, and the
 *        hook that tells it (core/ only).
 *
 * Partitions are Hive-style "key=value" folders. A job reports the leaf
 * ones (those with no partition folder below them) among the folders of
 * an entry's manifest: archiving drops them before any data is deleted,
 * restoring adds them once the data is in place. Thread-safe.
 */
#ifndef RFS_CORE_PARTITIONS_H
#define RFS_CORE_PARTITIONS_H

#include <stdint.h>

struct rfs_index;

/** What to tell the hook. */
struct rfs_part_call {
	const char *action;    /**< "drop_partitions" or "add_partitions" */
	const char *table;     /**< table name */
	const char *lifecycle; /**< lifecycle name */
	const char *epoch;     /**< epoch directory name */
	const char *location;  /**< the epoch's root URI */
	/** The storage holding it (for metastore.scheme.STORAGE), or NULL
	 * to find it in the catalog from table, lifecycle and epoch. */
	const char *storage;
	/** Where the rows' root lies under the epoch root: an archived
	 * item's key, or where a restore puts it. */
	const char *base;
	/** Only rows at or below this row path ("" for all); paths are
	 * then taken relative to it. */
	const char *sub;
};

/**
 * Build the hook's JSON document for the leaf partitions among the folder
 * rows of entry @p entry_id (with the item itself when it is one).
 * @param idx      the index holding the entry's manifest rows; used by
 *                 this thread only during the call
 * @param entry_id the entry's index row id
 * @param c        what to tell: the action and where the partitions lie
 * @param json     set to a malloc'ed document, or NULL when there are no
 *                 partitions (nothing to tell)
 * @return 0, -ENOMEM, -EIO
 */
int rfs_partitions_json(struct rfs_index *idx, int64_t entry_id,
			const struct rfs_part_call *c, char **json);

/**
 * The hook configured for @p table: metastore.hook.TABLE, else
 * metastore.hook.
 * @param idx   the index holding the configuration
 * @param table the table's name
 * @param hook  set to a malloc'ed path the caller frees
 * @return 0, -ENOENT (none configured), -EIO
 */
int rfs_hook_find(struct rfs_index *idx, const char *table, char **hook);

#endif
