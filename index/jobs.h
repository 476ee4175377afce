/**
 * @file jobs.h
 * @brief The job columns every kind's table shares (index/ only): the
 *        lease compare-and-swap, the progress counters, a row's
 *        existence and the copy of text columns.
 *
 * Entries (archive and purge jobs) and restores keep their jobs in rows
 * with the same lease_owner, lease_until_ns, files_done and bytes_done
 * columns; struct rfs_index_jobs names one such table and its statements.
 * Calls use the handle's statement cache: one thread at a time.
 */
#ifndef RFS_INDEX_JOBS_H
#define RFS_INDEX_JOBS_H

#include "index/internal.h"

#include <stdbool.h>
#include <stdint.h>

/** A table of jobs and its statements. */
struct rfs_index_jobs {
	const char *noun; /**< "entry", "restore": for messages */
	enum rfs_index_stmt_id lease_stmt;    /**< slot of @p lease_sql */
	const char *lease_sql;		      /**< ?1 id ?2 expected ?3 ?4 */
	enum rfs_index_stmt_id progress_stmt; /**< slot of @p progress_sql */
	const char *progress_sql; /**< ?1 id ?2 files ?3 bytes [?4 now] */
	enum rfs_index_stmt_id exists_stmt; /**< slot of @p exists_sql */
	const char *exists_sql;		    /**< ?1 id */
};

/** Entries: archives and purges. */
extern const struct rfs_index_jobs rfs_index_jobs_entries;
/** Restores. */
extern const struct rfs_index_jobs rfs_index_jobs_restores;

/** Set "no <noun> <id>" in @p err. @return -ENOENT */
int rfs_index_jobs_missing(const struct rfs_index_jobs *t, int64_t id,
			   struct rfs_error *err);

/** @return 0 when row @p id exists, -ENOENT when not, or an errno */
int rfs_index_jobs_exists(struct rfs_index *idx, const struct rfs_index_jobs *t,
			  int64_t id, struct rfs_error *err);

/**
 * Write the progress counters of row @p id (and, for entries, its
 * updated_ns). @return 0, -ENOENT, -EIO
 */
int rfs_index_jobs_progress(struct rfs_index *idx,
			    const struct rfs_index_jobs *t, int64_t id,
			    int64_t files_done, int64_t bytes_done,
			    struct rfs_error *err);

/**
 * Compare-and-swap the lease of row @p id: set to @p owner until
 * @p until_ns when it is @p expected now (NULL matching none).
 * @param idx      the index
 * @param t        the kind's table and columns
 * @param id       the row
 * @param expected the owner it must have now, or NULL for none
 * @param owner    the new owner, or NULL to release
 * @param until_ns the lease's end
 * @param taken set to whether the swap happened
 * @param err      receives the reason on failure
 * @return 0 (see @p taken), -ENOENT, -EIO
 */
int rfs_index_jobs_lease(struct rfs_index *idx, const struct rfs_index_jobs *t,
			 int64_t id, const char *expected, const char *owner,
			 int64_t until_ns, bool *taken, struct rfs_error *err);

/** Copy text column @p col into @p out, NULL staying NULL.
 * @return 0 or -ENOMEM */
int rfs_index_col_dup(sqlite3_stmt *st, int col, char **out);

#endif
