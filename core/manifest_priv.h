/**
 * @file manifest_priv.h
 * @brief What the manifest writer (manifest.c) and reader
 *        (manifest_read.c) share: the codecs of the format's values.
 *
 * All functions are pure and thread-safe. Not part of core's interface.
 */
#ifndef RFS_CORE_MANIFEST_PRIV_H
#define RFS_CORE_MANIFEST_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "model/entry.h"

/** The "format" string of every manifest. */
#define RFS_MANIFEST_FORMAT "recyclefs-manifest"

/** Room for a manifest key or its temporary's key, with the NUL. */
#define RFS_MANIFEST_KEY_LEN 96

/** Room for rfs_manifest_format_ns(): sign, 19 digits, '.', 9, NUL. */
#define RFS_MANIFEST_NS_LEN 32

/** Room for rfs_manifest_format_iso(). */
#define RFS_MANIFEST_ISO_LEN 48

/** Room for rfs_manifest_format_mode(): 4 octal digits and the NUL. */
#define RFS_MANIFEST_MODE_LEN 8

/** True when @p uuid is 1 to 32 hex digits (safe inside a key). */
bool rfs_manifest_uuid_ok(const char *uuid);

/**
 * Format nanoseconds since the Unix epoch as seconds with a 9-digit
 * fraction: "1700000000.123456789", "-0.000000001".
 * @return @p out
 */
char *rfs_manifest_format_ns(int64_t ns, char out[RFS_MANIFEST_NS_LEN]);

/**
 * Parse what rfs_manifest_format_ns() writes; the fraction may have 1 to
 * 9 digits or be left out.
 * @return 0, -EINVAL (malformed), -ERANGE (beyond int64 nanoseconds)
 */
int rfs_manifest_parse_ns(const char *s, int64_t *ns);

/**
 * Format nanoseconds as UTC ISO 8601 with a 9-digit fraction:
 * "2023-11-14T22:13:20.123456789Z".
 * @return @p out
 */
char *rfs_manifest_format_iso(int64_t ns, char out[RFS_MANIFEST_ISO_LEN]);

/**
 * Parse "YYYY-MM-DDTHH:MM:SS[.f]Z" (0 to 9 fraction digits), through the
 * checked conversion of util/timestamp.h.
 * @return 0, -EINVAL (malformed, or not a calendar date), -ERANGE (a
 *         date outside 1677-09-21T00:12:44Z..2262-04-11T23:47:15Z)
 */
int rfs_manifest_parse_iso(const char *s, int64_t *ns);

/** Format permission bits as 4 octal digits, "0644". @return @p out */
char *rfs_manifest_format_mode(uint32_t mode, char out[RFS_MANIFEST_MODE_LEN]);

/** Parse 1 to 4 octal digits. @return 0 or -EINVAL */
int rfs_manifest_parse_mode(const char *s, uint32_t *mode);

/** @return "file", "dir", "symlink", "fifo", "socket", "chardev",
 *  "blockdev", or NULL for an unknown type */
const char *rfs_manifest_type_name(enum rfs_file_type t);

#endif
