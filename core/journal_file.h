/**
 * @file journal_file.h
 * @brief The declarative catalog: `recyclefs catalog export` writes the
 *        catalog as a JSON document, `recyclefs catalog apply` plans and
 *        makes the changes that bring the index to a document
 *        (docs/catalog-file.md).
 *
 * A handle is used by one thread at a time.
 */
#ifndef RFS_CORE_JOURNAL_FILE_H
#define RFS_CORE_JOURNAL_FILE_H

#include <jansson.h>

struct rfs_index;
struct rfs_error;

/** The catalog file version this build writes and reads up to. */
#define RFS_CATALOG_FILE_VERSION 1

/**
 * The catalog and configuration as a catalog file document.
 * @param idx the index
 * @param out set to a new object the caller frees with json_decref()
 * @param err receives the reason on failure
 * @return 0, -ENOMEM, the index's errors
 */
int rfs_catalog_file_export(struct rfs_index *idx, json_t **out,
			    struct rfs_error *err);

/** One change of a plan. */
struct rfs_catalog_step;

/** The changes that bring the index to a catalog file. */
struct rfs_catalog_plan {
	struct rfs_catalog_step *steps; /**< in the order they are made */
	size_t n;			/**< the number of @p steps */
};

/**
 * Check a catalog file document whole and plan the changes: storages,
 * tables, classifications, lifecycles and epochs to add, change (epoch
 * close, re-point, classify, config set) or remove. Nothing is changed.
 * @return 0; -EINVAL (an unknown key, a wrong type, a bad name, date or
 *         URI, credentials in a URI, overlapping epochs, a change that has
 *         no command such as a storage's URI), -EPROTO (a newer version),
 *         -EBUSY (a removal that would orphan bin entries), the index's
 *         errors; the reason in @p err
 */
int rfs_catalog_file_plan(struct rfs_index *idx, const json_t *doc,
			  struct rfs_catalog_plan *plan, struct rfs_error *err);

/** @return the plan's step @p i as one line ("add table 'x'") */
const char *rfs_catalog_step_text(const struct rfs_catalog_plan *plan,
				  size_t i);

/**
 * Make the planned changes in order, each checked as its command checks
 * it (core/edit.h) and recorded in the history, all in one index
 * transaction, then write one journal snapshot. The first failure stops
 * and undoes every step: the catalog is the old one or the new one.
 * @param idx  the index
 * @param plan from rfs_catalog_file_plan()
 * @param done set to the number of steps made (all or none); may be NULL
 * @param err  receives the reason of the failed step
 * @return 0, or the failed step's error with its reason in @p err
 */
int rfs_catalog_plan_apply(struct rfs_index *idx,
			   const struct rfs_catalog_plan *plan, size_t *done,
			   struct rfs_error *err);

/** Free the plan's steps. */
void rfs_catalog_plan_release(struct rfs_catalog_plan *plan);

#endif
