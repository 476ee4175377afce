/**
 * @file seen.h
 * @brief What the last refresh of an S3 backend saw (seen.c), and the
 *        lookups of it that stat(), attest() and the delete step make;
 *        fresh.c makes refreshes (backends/s3/ only).
 *
 * The refresh of a backend is guarded by its fresh_lock.
 */
#ifndef RFS_BACKENDS_S3_SEEN_H
#define RFS_BACKENDS_S3_SEEN_H

#include "backends/s3/s3_ops.h"

#include <stdbool.h>
#include <stdint.h>

/** One key of a refresh, as its listing showed it. */
struct rfs_s3_fentry {
	char *full;    /**< the full key, owned */
	bool listed;   /**< the listing showed it; else it is absent */
	char etag[72]; /**< the listed ETag */
	int64_t size;  /**< the listed size */
	int64_t lm_ns; /**< the listed Last-Modified, ns */
};

/** A refresh: the keys of one batch, as listings showed them. */
struct rfs_s3_fresh {
	int64_t at_ns;		 /**< when the listings were asked for */
	struct rfs_s3_fentry *e; /**< sorted by full */
	size_t n;		 /**< entries in e */
};

/** Order entries by full key (qsort(), bsearch()). */
int rfs_s3_fentry_cmp(const void *a, const void *b);

/**
 * The last refresh's entry of @p full while it is fresh (30 seconds),
 * copied to @p out (its full left NULL). Call with fresh_lock held.
 * @return true when there is one
 */
bool rfs_s3_fresh_find(struct rfs_s3_backend *b, const char *full,
		       struct rfs_s3_fentry *out);

/**
 * The metadata of the listed version @p e of @p full: the listing's own
 * with attrs=listing, else the attribute store's for that version.
 * @return true when known
 */
bool rfs_s3_listed_meta(struct rfs_s3_backend *b, const char *full,
			const struct rfs_s3_fentry *e, struct rfs_s3_meta *m);

#endif
