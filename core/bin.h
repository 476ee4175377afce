/**
 * @file bin.h
 * @brief Rules of the recycle bin's layout: bin paths and partitions.
 *
 * The bin mirrors original paths, as HDFS trash does: archiving
 * "T/L/E/dt=1" puts it at ".recyclebin/T/L/E/dt=1". When another live
 * entry already holds that place (the same path, a folder above it or one
 * below it), the clashing component gets GNU's numbered-backup suffix
 * ".~N~" with the smallest N >= 2 that clears every clash:
 * "T/L/E/dt=1.~2~". The rule is deterministic and both entries stay
 * restorable. All functions are pure and thread-safe.
 */
#ifndef RFS_CORE_BIN_H
#define RFS_CORE_BIN_H

#include <stdbool.h>
#include <stddef.h>

struct rfs_buf;

/**
 * Choose the bin path of an item archived from @p origin.
 * @param origin  the item's clean catalog path, "T/L/E/dt=1"
 * @param taken   the bin paths of live entries that may clash
 * @param n_taken the number of paths in @p taken
 * @param out     set to a malloc'ed path the caller frees
 * @return 0 or -ENOMEM
 */
int rfs_bin_path_alloc(const char *origin, const char *const *taken,
		       size_t n_taken, char **out);

/** True when @p name is a Hive-style partition folder name "key=value"
 * (a non-empty key). */
bool rfs_partition_name(const char *name, size_t len);

/**
 * The partition spec of a path below an epoch root: its "key=value"
 * components joined by '/' ("x/dt=1/hour=2" -> "dt=1/hour=2").
 * @return 0 (an empty @p out when it has none) or -ENOMEM
 */
int rfs_partition_spec(const char *path, struct rfs_buf *out);

#endif
