/**
 * @file timestamp.h
 * @brief Checked conversion of times read from outside into nanoseconds.
 *
 * recyclefs keeps every instant as an `int64_t` count of nanoseconds since
 * the Unix epoch (UTC). Times read from outside (S3 replies and headers,
 * object metadata, manifests) come as seconds and a fraction, or as a
 * calendar date and time; every parser turns them into nanoseconds through
 * rfs_time_from_sec() (directly, or through rfs_time_from_civil() and
 * rfs_time_from_float()), never by its own multiplication.
 *
 * The rule: an instant is accepted when its whole second lies in
 * [RFS_TIME_SEC_MIN, RFS_TIME_SEC_MAX], that is from
 * 1677-09-21T00:12:44Z to 2262-04-11T23:47:15.999999999Z. Anything else
 * is rejected with -ERANGE (never wrapped, never clamped). The range is a
 * little narrower than `int64_t` nanoseconds so that rounding an accepted
 * instant down to its whole second, or down to a millisecond, stays
 * representable. All functions are pure and thread-safe.
 */
#ifndef RFS_UTIL_TIMESTAMP_H
#define RFS_UTIL_TIMESTAMP_H

#include <stdint.h>

/** The earliest whole second accepted: 1677-09-21T00:12:44Z. */
#define RFS_TIME_SEC_MIN (-9223372036LL)

/** The latest whole second accepted: 2262-04-11T23:47:15Z. */
#define RFS_TIME_SEC_MAX 9223372035LL

/**
 * Seconds and nanoseconds since the epoch to nanoseconds, checked.
 * @param sec  whole seconds since the epoch (negative before 1970)
 * @param nsec nanoseconds after @p sec, 0 to 999999999
 * @param ns   receives the instant; untouched on failure
 * @return 0; -ERANGE when @p sec is outside [RFS_TIME_SEC_MIN,
 *         RFS_TIME_SEC_MAX]; -EINVAL when @p nsec is not in [0, 1e9)
 */
int rfs_time_from_sec(int64_t sec, int64_t nsec, int64_t *ns);

/**
 * A proleptic Gregorian date and time of day to nanoseconds, checked.
 * Each field must be in its calendar range (the day within its month, a
 * second of 60 for a leap second is read as the next minute's first).
 * @param year   the year (any; the range check is on the instant)
 * @param mon    1 to 12
 * @param day    1 to the days of that month
 * @param hour   0 to 23
 * @param min    0 to 59
 * @param sec    0 to 60
 * @param nsec   0 to 999999999
 * @param offset the zone's offset east of UTC in seconds, -86399 to
 *               86399 ("+02:00" is 7200); 0 for "Z"
 * @param ns     receives the instant; untouched on failure
 * @return 0; -EINVAL (a field out of its calendar range); -ERANGE (a
 *         real date outside the range of timestamp.h)
 */
int rfs_time_from_civil(int64_t year, int mon, int day, int hour, int min,
			int sec, int64_t nsec, int64_t offset, int64_t *ns);

/**
 * Seconds as a floating-point number ("1.7e9" in metadata written by
 * other tools) to nanoseconds, rounded to the nearest nanosecond.
 * @param sec the value
 * @param ns  receives the instant; untouched on failure
 * @return 0; -EINVAL for NaN; -ERANGE for an infinity or a value outside
 *         the range of timestamp.h
 */
int rfs_time_from_float(long double sec, int64_t *ns);

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, for any year an
 * `int` holds (no overflow: the result fits easily in 64 bits).
 * @param year the year
 * @param mon  1 to 12
 * @param day  1 to 31
 * @return the day count (negative before 1970)
 */
int64_t rfs_days_from_civil(int64_t year, int mon, int day);

/**
 * The date of a day count since 1970-01-01, computed in 64 bits, so that
 * every 32-bit day count (INT32_MIN and INT32_MAX included) converts
 * without overflow.
 * @param days the day count, of magnitude below 2^40
 * @param year receives the year
 * @param mon  receives the month, 1 to 12
 * @param day  receives the day, 1 to 31
 */
void rfs_civil_from_days(int64_t days, int64_t *year, int *mon, int *day);

/** @return the days of month @p mon (1 to 12) of @p year, 0 when invalid */
int rfs_days_in_month(int64_t year, int mon);

#endif
