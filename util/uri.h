/**
 * @file uri.h
 * @brief Storage URIs: "file:///srv/nfs/orders", "s3://bucket/prefix?region=x".
 *
 * A storage URI names one location on one backend: a scheme, an authority
 * (a bucket or host, empty for file://), a path and an optional query of
 * backend options. Credentials are never part of a URI: a user:password
 * part is refused. All functions are thread-safe.
 */
#ifndef RFS_UTIL_URI_H
#define RFS_UTIL_URI_H

#include <stdbool.h>

struct rfs_error;

/** A parsed URI. Every string is owned by the struct. */
struct rfs_uri {
	char *scheme;	 /**< lower case: "file", "s3", ... */
	char *authority; /**< host[:port] or bucket; "" for file:// */
	char *path;	 /**< decoded, without leading or trailing '/'; "" */
	char *query;	 /**< raw query without '?'; "" when none */
};

/**
 * Parse @p s. The scheme must be letters, digits, '+', '-', '.'; the URI
 * must have "//"; file:// URIs must have an empty authority and an
 * absolute path; "%XX" in the path is decoded; paths with "..", "." or
 * control characters are refused; so is user:password@.
 * @param s   the URI text
 * @param out filled on success; release with rfs_uri_release()
 * @param err receives the reason on failure; may be NULL
 * @return 0, -EINVAL (malformed, with the reason) or -ENOMEM
 */
int rfs_uri_parse(const char *s, struct rfs_uri *out, struct rfs_error *err);

/**
 * Format @p u canonically: "scheme://authority/path?query", the path
 * %-encoded where needed, no trailing slash ("file:///srv/x").
 * @param u   a parsed URI
 * @param out set to a malloc'ed string the caller frees
 * @return 0 or -ENOMEM
 */
int rfs_uri_format(const struct rfs_uri *u, char **out);

/** Free what @p u owns; @p u may then be parsed into again. */
void rfs_uri_release(struct rfs_uri *u);

/**
 * Look up a query parameter, percent-decoded ('+' means a space). The
 * first occurrence wins; "key" without '=' has the value "".
 * @param u     a parsed URI
 * @param key   the parameter's name, matched exactly
 * @param value set to a malloc'ed copy the caller frees when found
 * @return 1 when found, 0 when not, -EINVAL (a malformed %-escape in the
 *         value), -ENOMEM
 */
int rfs_uri_query_get(const struct rfs_uri *u, const char *key, char **value);

/**
 * Append a relative path to a URI's path, keeping its query:
 * ("s3://b/p?region=x", "a/b") -> "s3://b/p/a/b?region=x". Characters
 * that would end the path ('%', '?', '#') and spaces are percent-encoded.
 * @param uri     a URI, canonical or not; trailing slashes of its path are
 *                dropped
 * @param relpath a clean relative path; "" returns @p uri without trailing
 *                slashes
 * @param out     set to a malloc'ed string the caller frees
 * @return 0 or -ENOMEM
 */
int rfs_uri_join(const char *uri, const char *relpath, char **out);

/** The URI without its query, for display (the query may name endpoints
 * but never secrets; this is for short messages). Caller frees.
 * @return a malloc'ed string or NULL on out-of-memory */
char *rfs_uri_strip_query(const char *uri);

#endif
