/**
 * @file history.h
 * @brief How a table's lifecycles and their epochs changed, gathered from
 *        the catalog's history as one JSON document.
 *
 * `recyclefs history TABLE [LIFECYCLE] --json` prints the document and
 * the mount's `user.recyclefs.history` attribute holds it, so both are
 * built here. A gathering is used by one thread at a time.
 */
#ifndef RFS_CORE_HISTORY_H
#define RFS_CORE_HISTORY_H

#include <jansson.h>

struct rfs_history_record;

/**
 * Called for each change rfs_history_lc_record() keeps.
 * @param ctx       as set in struct rfs_history_lc
 * @param rec       the history record
 * @param lifecycle the lifecycle it changed
 * @param epoch     the epoch it changed ("FROM..TO"; for `epoch.close`
 *                  the open epoch it was), or NULL for a lifecycle change
 * @param detail    the record's detail as JSON (borrowed), or NULL
 * @return 0, or -errno to stop the walk
 */
typedef int (*rfs_history_change_fn)(void *ctx,
				     const struct rfs_history_record *rec,
				     const char *lifecycle, const char *epoch,
				     json_t *detail);

/**
 * What rfs_history_lc_record() gathers: the changes of one table's
 * lifecycles. Set the first three members and @p arr or @p each; zero
 * the others.
 */
struct rfs_history_lc {
	const char *table;	    /**< the table */
	const char *lifecycle;	    /**< only this lifecycle, or NULL for all */
	const char *from;	    /**< only the epoch beginning "FROM..", or
					 NULL for every epoch */
	json_t *arr;		    /**< receives each change as an object
					 {id, at, action, lifecycle, epoch?,
					 detail?}, or NULL */
	rfs_history_change_fn each; /**< called for each change, or NULL */
	void *ctx;		    /**< passed to @p each */
	int n;			    /**< changes kept so far */
};

/**
 * An rfs_index_history_fn: keep @p rec when it changed a lifecycle or an
 * epoch of the gathering's table (and lifecycle, and epoch, when set).
 * @param rec the record
 * @param ctx a struct rfs_history_lc
 * @return 0; -ENOMEM; or what its @p each returned
 */
int rfs_history_lc_record(const struct rfs_history_record *rec, void *ctx);

/**
 * The document of a gathering: {"table", "lifecycle" (null when NULL),
 * "epoch" (only when @p epoch is given), "history": [...]}.
 * @param h     a gathering with its @p arr
 * @param epoch the epoch's name when the gathering is of one epoch, or NULL
 * @return a new reference, or NULL when out of memory
 */
json_t *rfs_history_lc_doc(const struct rfs_history_lc *h, const char *epoch);

#endif
