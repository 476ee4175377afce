/**
 * @file date.h
 * @brief Calendar dates of storage epochs: parsing, formatting, ranges.
 *
 * A date is a count of days since 1970-01-01 (proleptic Gregorian, UTC).
 * Epochs are half-open ranges [from, to): 2001-01-01..2010-01-01 ends where
 * 2010-01-01..2013-01-01 begins. The open end is RFS_DATE_NOW. All
 * functions are pure and thread-safe.
 */
#ifndef RFS_MODEL_DATE_H
#define RFS_MODEL_DATE_H

#include <stdint.h>
#include <stdbool.h>

struct rfs_error;

/** The open end of the current epoch, shown as "now". */
#define RFS_DATE_NOW INT32_MAX

/** Bytes needed by rfs_date_format(), with the NUL. */
#define RFS_DATE_STRLEN 11

/** Bytes needed by rfs_epoch_range_format(), with the NUL. */
#define RFS_RANGE_STRLEN 24

/**
 * Parse "YYYY-MM-DD" (a real calendar date, years 1000 to 9999).
 * @param what what the date is, for the message ("--from")
 * @param s    the text, exactly ten characters; "now" is not accepted
 * @param days set to the day count on success; untouched on failure
 * @param err  receives the reason on failure; may be NULL
 * @return 0 and the day count in @p days, or -EINVAL with the reason
 */
int rfs_date_parse(const char *what, const char *s, int32_t *days,
		   struct rfs_error *err);

/** Format @p days as "YYYY-MM-DD", or "now" for RFS_DATE_NOW. */
char *rfs_date_format(int32_t days, char out[RFS_DATE_STRLEN]);

/** @return today's date (UTC). */
int32_t rfs_date_today(void);

/** Format an epoch range as its directory name: "FROM..TO" / "FROM..now". */
char *rfs_epoch_range_format(int32_t from, int32_t to,
			     char out[RFS_RANGE_STRLEN]);

/**
 * Parse an epoch directory name ("2001-01-01..2010-01-01", "...now").
 * @return 0, or -EINVAL when @p s is not an epoch name
 */
int rfs_epoch_range_parse(const char *s, int32_t *from, int32_t *to);

/** True when [a_from, a_to) and [b_from, b_to) share at least one day. */
bool rfs_date_ranges_overlap(int32_t a_from, int32_t a_to, int32_t b_from,
			     int32_t b_to);

#endif
