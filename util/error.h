/**
 * @file error.h
 * @brief An errno with a human-readable reason, for messages users read.
 *
 * Functions that can fail for reasons a user must understand take a
 * `struct rfs_error *err` (which may be NULL) and return `-errno`. The
 * reason is one line, lower case, without a final full stop, and never
 * contains credentials.
 */
#ifndef RFS_UTIL_ERROR_H
#define RFS_UTIL_ERROR_H

/** Longest reason kept, including the NUL. */
#define RFS_ERROR_MSG_MAX 1024

/** An error code with its reason. Zero-initialise before use. */
struct rfs_error {
	int code;		     /**< positive errno, 0 when none */
	char msg[RFS_ERROR_MSG_MAX]; /**< the reason, "" when none */
};

/**
 * Record an error.
 * @param err  where to record it; may be NULL, then only the code returns
 * @param code a positive errno value
 * @param fmt  printf-style reason
 * @return -code, so callers can write `return rfs_error_set(...)`
 */
int rfs_error_set(struct rfs_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Record @p code with strerror() as the reason, unless @p err already holds
 * an error (the first, most specific reason wins).
 * @return -code
 */
int rfs_error_errno(struct rfs_error *err, int code, const char *what);

/**
 * Put context before an existing reason: "what: reason".
 * Does nothing when @p err is NULL or holds no error.
 */
void rfs_error_prefix(struct rfs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Clear @p err (may be NULL). */
void rfs_error_clear(struct rfs_error *err);

#endif
