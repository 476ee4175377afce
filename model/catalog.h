/**
 * @file catalog.h
 * @brief An immutable snapshot of the catalog: storages, tables,
 *        classifications, lifecycles and epochs.
 *
 * The index loads a snapshot with rfs_index_load_catalog(); readers (the
 * mount, `recyclefs ls`) then walk it without touching SQLite. A snapshot
 * is built with the rfs_catalog_add_*() calls, then sealed with
 * rfs_catalog_seal(), which sorts and links it. After sealing it never
 * changes, so any number of threads may read it at once; the mount swaps
 * in a new one when the index changes.
 *
 * Order: tables by name; lifecycles by order, then name; epochs by start
 * date; storages by name; classifications by name.
 */
#ifndef RFS_MODEL_CATALOG_H
#define RFS_MODEL_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "model/date.h"

struct rfs_storage_class;
struct rfs_error;

/** A named location on one backend. */
struct rfs_storage {
	int64_t id;    /**< its row id in the index */
	char *name;    /**< its catalog name, unique among storages */
	char *uri;     /**< the storage root */
	char *bin_uri; /**< its recycle storage; NULL for catalog-only classes
			*/
	const struct rfs_storage_class *cls; /**< never NULL once sealed */
	int64_t created_ns; /**< when it was registered, Unix epoch ns */
};

struct rfs_lifecycle;

/** Where one lifecycle's data lived for a date range [from, to). */
struct rfs_epoch {
	int64_t id;   /**< its row id in the index */
	int32_t from; /**< first day */
	int32_t to;   /**< day after the last, or RFS_DATE_NOW */
	const struct rfs_storage *storage; /**< borrowed from the snapshot */
	char *path; /**< under the storage root; "" for the root */
	char *uri;  /**< storage URI joined with path */
	/** The key of the storage's recycle bin below this epoch's root when
	 * the bin lives inside it (a storage whose root is the epoch keeps its
	 * bin at ".recyclebin" there); NULL otherwise. The mount hides it. */
	char *bin_key;
	char name[RFS_RANGE_STRLEN];	       /**< "2001-01-01..2010-01-01" */
	const struct rfs_lifecycle *lifecycle; /**< its owner */
	int64_t created_ns; /**< when it was added, Unix epoch ns */
};

struct rfs_table;

/** A stage of a table's data. */
struct rfs_lifecycle {
	int64_t id; /**< its row id in the index */
	char *name; /**< unique within its table */
	int order;  /**< its rank among the table's lifecycles, lowest first */
	const struct rfs_table *table; /**< its owner */
	struct rfs_epoch **epochs;     /**< by start date */
	size_t n_epochs;	       /**< the number of @p epochs */
	int64_t created_ns;	       /**< when it was added, Unix epoch ns */
};

/** A named dataset. */
struct rfs_table {
	int64_t id;		  /**< its row id in the index */
	char *name;		  /**< its catalog name, unique among tables */
	char **classifications;	  /**< sorted names */
	size_t n_classifications; /**< the number of @p classifications */
	struct rfs_lifecycle **lifecycles; /**< by order, then name */
	size_t n_lifecycles;		   /**< the number of @p lifecycles */
	int64_t created_ns; /**< when it was added, Unix epoch ns */
};

/** A classification with the tables that carry it. */
struct rfs_classification {
	char *name;			 /**< the classification, "pii" */
	const struct rfs_table **tables; /**< sorted by name */
	size_t n_tables;		 /**< the number of @p tables */
};

/** A sealed snapshot. */
struct rfs_catalog {
	struct rfs_storage **storages; /**< by name; owned by the catalog */
	size_t n_storages;	       /**< the number of @p storages */
	struct rfs_table **tables;     /**< by name; owned by the catalog */
	size_t n_tables;	       /**< the number of @p tables */
	/** By name; built by rfs_catalog_seal() from the tables' tags. */
	struct rfs_classification **classifications;
	size_t n_classifications; /**< the number of @p classifications */
	int64_t updated_ns;	  /**< time of the newest change it holds */
};

/** @return an empty catalog to add to, or NULL on out-of-memory. */
struct rfs_catalog *rfs_catalog_new(void);

/**
 * Add a storage. The class is looked up from @p class_name.
 * @return 0, -EINVAL for an unknown class, -ENOMEM
 */
int rfs_catalog_add_storage(struct rfs_catalog *cat, int64_t id,
			    const char *name, const char *uri,
			    const char *bin_uri, const char *class_name,
			    int64_t created_ns);

/** Add a table. @return 0 or -ENOMEM */
int rfs_catalog_add_table(struct rfs_catalog *cat, int64_t id, const char *name,
			  int64_t created_ns);

/** Tag table @p table_id (checked by rfs_catalog_seal()). @return 0, -ENOMEM */
int rfs_catalog_add_classification(struct rfs_catalog *cat, int64_t table_id,
				   const char *name);

/** Add a lifecycle to table @p table_id (checked by rfs_catalog_seal()).
 * @return 0, -ENOMEM */
int rfs_catalog_add_lifecycle(struct rfs_catalog *cat, int64_t id,
			      int64_t table_id, const char *name, int order,
			      int64_t created_ns);

/**
 * Add an epoch to lifecycle @p lifecycle_id on storage @p storage_id (both
 * checked by rfs_catalog_seal()).
 * @return 0, -ENOMEM
 */
int rfs_catalog_add_epoch(struct rfs_catalog *cat, int64_t id,
			  int64_t lifecycle_id, int32_t from, int32_t to,
			  int64_t storage_id, const char *path,
			  int64_t created_ns);

/**
 * Sort, link and freeze. After a failure the catalog can only be freed.
 * @return 0; -ENOENT when a row refers to a table, lifecycle or storage id
 *         that was not added; -ENOMEM
 */
int rfs_catalog_seal(struct rfs_catalog *cat);

/** Free a catalog, sealed or not. NULL does nothing. */
void rfs_catalog_free(struct rfs_catalog *cat);

/** @return the table of that name, or NULL (borrowed) */
const struct rfs_table *rfs_catalog_table(const struct rfs_catalog *cat,
					  const char *name);

/** @return the lifecycle of that name in @p t, or NULL (borrowed) */
const struct rfs_lifecycle *rfs_table_lifecycle(const struct rfs_table *t,
						const char *name);

/** @return the epoch whose directory name is @p name, or NULL (borrowed) */
const struct rfs_epoch *rfs_lifecycle_epoch(const struct rfs_lifecycle *lc,
					    const char *name);

/** @return the open epoch (to == now) of @p lc, or NULL (borrowed) */
const struct rfs_epoch *
rfs_lifecycle_open_epoch(const struct rfs_lifecycle *lc);

/** @return the storage of that name, or NULL (borrowed) */
const struct rfs_storage *rfs_catalog_storage(const struct rfs_catalog *cat,
					      const char *name);

/** @return the classification of that name, or NULL (borrowed) */
const struct rfs_classification *
rfs_catalog_classification(const struct rfs_catalog *cat, const char *name);

/**
 * Check that a new range [from, to) may join lifecycle @p lc: @p to after
 * @p from, no overlap with another epoch, at most one open epoch.
 * @param lc        the lifecycle, from a sealed snapshot
 * @param from      the first day of the range
 * @param to        the day after its last, or RFS_DATE_NOW for an open
 *                  epoch
 * @param ignore_id an epoch to leave out (the one being changed), or 0
 * @param err       receives the reason on failure; may be NULL
 * @return 0; -EINVAL when @p to is not after @p from; -EEXIST when the
 *         range overlaps another epoch or would be a second open one
 */
int rfs_lifecycle_check_range(const struct rfs_lifecycle *lc, int32_t from,
			      int32_t to, int64_t ignore_id,
			      struct rfs_error *err);

#endif
