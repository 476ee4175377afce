/**
 * @file location.h
 * @brief Where catalog locations may lie: an epoch never reaches a
 *        recycle storage, nor another epoch's data.
 *
 * Locations are storage URIs (an epoch's is its storage's URI joined with
 * its path). One lies within another when it is the same location or a
 * folder below it; URIs with different options (after `?`) are different
 * endpoints and never overlap.
 */
#ifndef RFS_CORE_LOCATION_H
#define RFS_CORE_LOCATION_H

#include <stdbool.h>
#include <stdint.h>

struct rfs_catalog;
struct rfs_error;
struct rfs_storage;

/**
 * True when location @p a is @p b or lies below it ("s3://b/x/y" within
 * "s3://b/x", not within "s3://b/xy"). Trailing slashes do not count. Of
 * the options, only the server (`endpoint=`) makes another place: the
 * same prefix read with `attrs=listing` or another region is the same
 * place.
 */
bool rfs_location_within(const char *a, const char *b);

/**
 * Check the location an epoch would get: refused when it is inside a
 * recycle storage, when it contains one (except its own storage's bin,
 * which the mount hides below the epoch), or when it is inside or
 * contains another epoch's location.
 * @param cat     the catalog as it is
 * @param s       the epoch's storage
 * @param uri     the epoch's location (storage URI joined with its path)
 * @param self_id the epoch's own id when it is re-pointed (skipped), else 0
 * @param err     receives one line naming what it overlaps
 * @return 0 or -EINVAL
 */
int rfs_location_check_epoch(const struct rfs_catalog *cat,
			     const struct rfs_storage *s, const char *uri,
			     int64_t self_id, struct rfs_error *err);

/**
 * Check a new storage's recycle location @p bin_uri against every epoch:
 * refused when an epoch lies inside it or it lies inside an epoch (unless
 * it is that epoch's own storage's bin, which the mount hides).
 * @param cat     the catalog as it is
 * @param bin_uri the recycle URI the storage would get
 * @param err     receives one line naming the epoch
 * @return 0 or -EINVAL
 */
int rfs_location_check_bin(const struct rfs_catalog *cat, const char *bin_uri,
			   struct rfs_error *err);

#endif
