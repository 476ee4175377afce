/**
 * @file storage.h
 * @brief Storage classes and the families that decide compatibility.
 *
 * Every storage has a class, taken from its URI scheme, and every class a
 * family: blob (file, nfs, hdfs, s3, gs, mem), relational (postgres,
 * memrel: the memory backend's tables, for tests),
 * search (elasticsearch), stream (kafka). Data is restored only into a
 * storage of the same family. The table is static and thread-safe.
 */
#ifndef RFS_MODEL_STORAGE_H
#define RFS_MODEL_STORAGE_H

#include <stdbool.h>

/** The families of storage classes. */
enum rfs_family {
	RFS_FAMILY_BLOB,       /**< files and objects */
	RFS_FAMILY_RELATIONAL, /**< SQL tables */
	RFS_FAMILY_SEARCH,     /**< search indices */
	RFS_FAMILY_STREAM,     /**< topics */
};

/** One storage class. */
struct rfs_storage_class {
	const char *name;	    /**< "s3", "postgres", ... */
	enum rfs_family family;	    /**< what its data can be restored into */
	const char *const *schemes; /**< URI schemes, NULL-terminated */
	/** Its locations are folders that exist apart from the files in
	 * them, so a storage root or an epoch path is checked (and made on
	 * request) when it is added. Object stores make prefixes on write. */
	bool dirs;
};

/**
 * @return the class a URI scheme belongs to ("postgresql" -> postgres), or
 *         NULL for an unknown scheme (borrowed, static)
 */
const struct rfs_storage_class *rfs_storage_class_by_scheme(const char *scheme);

/**
 * @return the class of a URI ("s3://b/p" -> s3), by the scheme before its
 *         ':', or NULL for an unknown or missing scheme (borrowed, static)
 */
const struct rfs_storage_class *rfs_storage_class_of_uri(const char *uri);

/** @return the class of that name, or NULL (borrowed, static) */
const struct rfs_storage_class *rfs_storage_class_by_name(const char *name);

/** @return "blob", "relational", "search" or "stream" */
const char *rfs_family_name(enum rfs_family f);

/**
 * A comma-separated list of every known scheme, for error messages.
 * @return a static string
 */
const char *rfs_storage_schemes(void);

#endif
