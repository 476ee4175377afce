/**
 * @file path.h
 * @brief Relative slash-separated paths: checks and joins.
 *
 * recyclefs keys are relative paths without a leading slash, "" meaning the
 * root. All functions are pure and thread-safe.
 */
#ifndef RFS_UTIL_PATH_H
#define RFS_UTIL_PATH_H

#include <stdbool.h>
#include <stddef.h>

struct rfs_buf;

/**
 * True when @p p is "" or a relative path whose components are non-empty
 * and none is "." or ".."; no leading or trailing slash, no NUL inside.
 */
bool rfs_path_is_clean(const char *p);

/**
 * Append "a/b" to @p out, leaving out the slash when either part is "".
 * @return as rfs_buf_add()
 */
int rfs_path_join(struct rfs_buf *out, const char *a, const char *b);

/**
 * Split off the first component of @p p.
 * @param p     a relative path, without a leading slash
 * @param rest  set to what follows the first slash, or to "" at the end;
 *              borrowed, points into @p p
 * @return the length of the first component
 */
size_t rfs_path_first(const char *p, const char **rest);

/** @return the last component of @p p (borrowed, points into @p p). */
const char *rfs_path_basename(const char *p);

/**
 * Length of the parent of @p p: "a/b/c" -> 3 ("a/b"), "a" -> 0.
 */
size_t rfs_path_dirlen(const char *p);

/** Skip leading slashes: "/a/b" -> "a/b". @return borrowed pointer */
const char *rfs_path_skip_root(const char *p);

/**
 * True when @p prefix equals @p p or is a parent of it, component-wise:
 * "a/b" is under "a" but not under "a/bc"; everything is under "".
 */
bool rfs_path_is_under(const char *p, const char *prefix);

#endif
