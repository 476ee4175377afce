/**
 * @file clock.h
 * @brief Clocks and timestamp formatting. All functions are thread-safe.
 */
#ifndef RFS_UTIL_CLOCK_H
#define RFS_UTIL_CLOCK_H

#include <stdint.h>
#include <stddef.h>

/** Nanoseconds in one second. */
#define RFS_NSEC_PER_SEC 1000000000LL

/** @return wall-clock time in nanoseconds since the Unix epoch. */
int64_t rfs_time_now_ns(void);

/** @return a monotonic clock in nanoseconds, for intervals and timeouts. */
int64_t rfs_time_mono_ns(void);

/**
 * Format @p ns (Unix epoch nanoseconds) as UTC ISO 8601 with milliseconds,
 * "2026-11-24T10:00:00.123Z". Negative values are rounded down to the
 * previous millisecond, not toward zero.
 * @param ns    the instant, in nanoseconds since the Unix epoch
 * @param out   receives the NUL-terminated text; at least 32 bytes
 * @param size  size of @p out in bytes; the text is truncated to fit
 * @return @p out
 */
char *rfs_time_format(int64_t ns, char *out, size_t size);

/**
 * Parse a duration such as "30d", "12h", "90m", "45s" or "2w".
 * @return 0 and store nanoseconds in @p ns, or -EINVAL
 */
int rfs_time_parse_duration(const char *s, int64_t *ns);

#endif
