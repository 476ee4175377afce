/**
 * @file config.h
 * @brief The configuration keys recyclefs knows, with their checks.
 *
 * Configuration lives in the index (`recyclefs config set KEY VALUE`).
 * Unknown keys and bad values are refused before anything is written.
 * The table is static and thread-safe.
 */
#ifndef RFS_CORE_CONFIG_H
#define RFS_CORE_CONFIG_H

#include <stddef.h>

struct rfs_error;

/** One known key. */
struct rfs_config_key {
	const char *key;  /**< "metastore.hook"; a trailing ".*" matches any
			       catalog name (a table, a storage):
			       "metastore.hook.*" */
	const char *help; /**< one line for `recyclefs config list` */
	/** Check a value. @return 0 or -EINVAL with the reason */
	int (*check)(const char *value, struct rfs_error *err);
};

/**
 * Every known key.
 * @param n set to the number of keys
 * @return a static array
 */
const struct rfs_config_key *rfs_config_keys(size_t *n);

/**
 * Check that @p key is known and @p value (NULL: unset) fits it.
 * @return 0, or -EINVAL with the reason in @p err
 */
int rfs_config_check(const char *key, const char *value, struct rfs_error *err);

#endif
