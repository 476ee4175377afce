/**
 * @file log.h
 * @brief One logging function with syslog levels and a swappable sink.
 *
 * Library layers (core, index, backends) log at LOG_DEBUG only; the entry
 * points (fs, tools) log each error they return, once. Messages are lower
 * case, without a final full stop, with the subject quoted. Secrets are
 * never formatted into a message. All functions may be called from any
 * thread; the sink is called under a lock.
 */
#ifndef RFS_UTIL_LOG_H
#define RFS_UTIL_LOG_H

#include <stdarg.h>
#include <syslog.h>

/** A log sink: receives every message at or above the current level. */
typedef void (*rfs_log_fn)(int level, const char *msg, void *ctx);

/**
 * Log a message at a syslog level (LOG_ERR, LOG_WARNING, LOG_INFO,
 * LOG_DEBUG). Messages below the current level are dropped cheaply.
 */
void rfs_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** va_list form of rfs_log(). */
void rfs_vlog(int level, const char *fmt, va_list ap);

/** Set the most verbose level that is emitted (default LOG_INFO). */
void rfs_log_set_level(int level);

/** @return true when messages at @p level would be emitted. */
int rfs_log_enabled(int level);

/**
 * Replace the sink; NULL restores the default (stderr, prefixed with the
 * program name given to rfs_log_set_ident()).
 */
void rfs_log_set_sink(rfs_log_fn fn, void *ctx);

/** Name used by the stderr and syslog sinks (default "recyclefs"). */
void rfs_log_set_ident(const char *ident);

/** Send messages to syslog(3) (facility LOG_DAEMON). */
void rfs_log_to_syslog(void);

/**
 * Append messages to a file, one line each with an ISO 8601 timestamp.
 * @return 0 or -errno when the file cannot be opened (the sink is then
 *         unchanged)
 */
int rfs_log_to_file(const char *path);

/** Parse "err", "warning", "info", "debug". @return the level or -1. */
int rfs_log_level_parse(const char *name);

#endif
