/**
 * @file names.h
 * @brief Validation of catalog names, relative paths and UTF-8 text.
 *
 * Every name a user gives (table, lifecycle, storage, classification) and
 * every relative path (an epoch's sub-path, an item under an epoch) passes
 * through these checks before anything is written. All functions are pure
 * and thread-safe.
 */
#ifndef RFS_UTIL_NAMES_H
#define RFS_UTIL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct rfs_error;

/** Longest name in bytes (a path component on Linux). */
#define RFS_NAME_MAX 255

/** True when the @p n bytes at @p s are well-formed UTF-8 (no overlongs,
 * no surrogates, nothing above U+10FFFF). */
bool rfs_utf8_valid(const char *s, size_t n);

/**
 * Check a catalog name: non-empty, at most RFS_NAME_MAX bytes, valid
 * UTF-8, no '/', no "..", no control characters (newline, tab, ...), and
 * no leading '.' (names starting with a dot are reserved for the mount's
 * own directories, such as .recyclebin).
 * @param kind what the name is, for the message: "table", "lifecycle", ...
 * @param name the name to check, NUL-terminated
 * @param err  receives the reason on failure; may be NULL
 * @return 0, or -EINVAL with the reason in @p err
 */
int rfs_name_check(const char *kind, const char *name, struct rfs_error *err);

/**
 * Check a relative path given by a user, such as an epoch's `--path`:
 * valid UTF-8, no control characters, no absolute path, no empty, "." or
 * ".." component (so it cannot escape its root), each component at most
 * RFS_NAME_MAX bytes. "" (the root itself) is accepted.
 * @param what what the path is, for the message ("epoch path")
 * @param path the path to check, already normalised with
 *             rfs_relpath_normalize()
 * @param err  receives the reason on failure; may be NULL
 * @return 0, or -EINVAL with the reason in @p err
 */
int rfs_relpath_check(const char *what, const char *path,
		      struct rfs_error *err);

/**
 * Check the path of data under an epoch (what archive and restore take):
 * its names are data and may hold any byte but '/' and NUL (newlines,
 * other control characters, bytes that are not UTF-8), but it must be
 * relative, with no empty, "." or ".." component, each at most
 * RFS_NAME_MAX bytes.
 * @param what what the path is, for the message ("path")
 * @param path the path, normalised with rfs_relpath_normalize()
 * @param err  receives the reason on failure; may be NULL
 * @return 0, or -EINVAL with the reason in @p err
 */
int rfs_datapath_check(const char *what, const char *path,
		       struct rfs_error *err);

/**
 * Normalise a user's relative path in place: drop leading, trailing and
 * doubled slashes ("/a//b/" -> "a/b"). Run rfs_relpath_check() after.
 * @return @p path
 */
char *rfs_relpath_normalize(char *path);

#endif
