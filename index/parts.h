/**
 * @file parts.h
 * @brief The queue of parts of archived entries waiting to be purged
 *        (rm of a path inside a bin entry).
 *
 * The mount records a part here in one short transaction and returns;
 * a job worker takes every queued part of an entry at once, purges them
 * with one manifest rewrite (rfs_purge_parts()) and drops the rows. A
 * failed batch keeps its rows, with the number of attempts, the reason
 * and when to try again. A handle is used by one thread at a time.
 */
#ifndef RFS_INDEX_PARTS_H
#define RFS_INDEX_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rfs_error;
struct rfs_index;

/**
 * Queue part @p path of entry @p id (its own transaction unless one is
 * open on the handle).
 * @param idx  the index
 * @param id   the entry's row id
 * @param path the part's path below the entry (not "")
 * @param err  receives the reason on failure; may be NULL
 * @return 0, -EEXIST (queued already), -ENOENT (no such entry), -EINVAL,
 *         -EBUSY, -EIO
 */
int rfs_index_part_queue(struct rfs_index *idx, int64_t id, const char *path,
			 struct rfs_error *err);

/**
 * Whether @p path of entry @p id, or a folder above it inside the entry,
 * is queued.
 * @return 1 (queued), 0 (not), or -errno
 */
int rfs_index_part_queued(struct rfs_index *idx, int64_t id, const char *path,
			  struct rfs_error *err);

/**
 * A row of entry @p id's manifest below folder @p dir that is neither
 * purged nor queued: what keeps @p dir from being removed.
 * @param idx   the index
 * @param id    the entry's row id
 * @param dir   a folder below the entry, or "" for the entry's root
 * @param first set to the first such path (malloc'ed; the caller frees
 *              it) when there is one, else NULL; may be NULL
 * @param err   receives the reason on failure; may be NULL
 * @return 1 (there is one), 0 (the folder is empty or all of it queued),
 *         or -errno
 */
int rfs_index_part_blocked(struct rfs_index *idx, int64_t id, const char *dir,
			   char **first, struct rfs_error *err);

/** Called per queued path; non-zero stops the walk and is returned. */
typedef int (*rfs_index_part_fn)(void *ctx, const char *path);

/**
 * Walk the queued paths of entry @p id in path order. The callback must
 * not use @p idx.
 * @return 0, the callback's value, or -errno
 */
int rfs_index_part_list(struct rfs_index *idx, int64_t id, rfs_index_part_fn fn,
			void *ctx, struct rfs_error *err);

/** Called per entry with queued parts; non-zero stops the walk. */
typedef int (*rfs_index_part_entry_fn)(void *ctx, int64_t id);

/**
 * Walk the entries with queued parts that are due at @p now_ns (never
 * tried, or their retry time passed), oldest queued first. The callback
 * must not use @p idx.
 * @return 0, the callback's value, or -errno
 */
int rfs_index_part_entries(struct rfs_index *idx, int64_t now_ns,
			   rfs_index_part_entry_fn fn, void *ctx,
			   struct rfs_error *err);

/**
 * Drop queued rows of entry @p id: the @p n paths of @p paths, or all of
 * the entry's when @p paths is NULL (a whole purge takes them over).
 * @return 0 or -errno
 */
int rfs_index_part_drop(struct rfs_index *idx, int64_t id,
			const char *const *paths, size_t n,
			struct rfs_error *err);

/**
 * Record that a batch of entry @p id failed: every queued row of it
 * counts one more attempt, keeps @p reason and waits until @p retry_ns.
 * @return 0 or -errno
 */
int rfs_index_part_failed(struct rfs_index *idx, int64_t id, const char *reason,
			  int64_t retry_ns, struct rfs_error *err);

/** What the queue holds for one entry. */
struct rfs_index_part_status {
	int64_t queued;	   /**< rows queued */
	int64_t attempts;  /**< the most attempts of any row */
	int64_t oldest_ns; /**< when the oldest row was queued; 0 if none */
	int64_t retry_ns;  /**< the latest time a failed row is retried at
			     (0 when none failed) */
	char *reason;	   /**< the last failure, or NULL; owned */
};

/**
 * The queue of entry @p id; release @p out's reason with free().
 * @return 0 or -errno
 */
int rfs_index_part_status(struct rfs_index *idx, int64_t id,
			  struct rfs_index_part_status *out,
			  struct rfs_error *err);

#endif
