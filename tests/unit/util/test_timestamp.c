/*
 * util/timestamp: the one checked conversion of times read from outside,
 * its range (1677-09-21T00:12:44Z to 2262-04-11T23:47:15.999999999Z) and
 * the calendar arithmetic behind it.
 */
#include "util/timestamp.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <time.h>

Test(util_timestamp, seconds_and_nanoseconds)
{
	int64_t ns = 42;

	cr_assert_eq(rfs_time_from_sec(0, 0, &ns), 0);
	cr_assert_eq(ns, 0);
	cr_assert_eq(rfs_time_from_sec(1700000000, 123456789, &ns), 0);
	cr_assert_eq(ns, 1700000000123456789LL);
	cr_assert_eq(rfs_time_from_sec(-1, 999999999, &ns), 0);
	cr_assert_eq(ns, -1);
}

Test(util_timestamp, range_ends_are_accepted)
{
	int64_t ns;

	cr_assert_eq(rfs_time_from_sec(RFS_TIME_SEC_MAX, 999999999, &ns), 0);
	cr_assert_eq(ns, 9223372035999999999LL);
	cr_assert_eq(rfs_time_from_sec(RFS_TIME_SEC_MIN, 0, &ns), 0);
	cr_assert_eq(ns, -9223372036000000000LL);
}

Test(util_timestamp, beyond_the_range_is_erange_and_untouched)
{
	const int64_t bad[] = { RFS_TIME_SEC_MAX + 1,
				RFS_TIME_SEC_MIN - 1,
				9223372039LL,
				INT64_MAX,
				INT64_MIN,
				253402300799LL };
	int64_t ns = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(rfs_time_from_sec(bad[i], 0, &ns), -ERANGE,
			     "%lld s", (long long)bad[i]);
		cr_assert_eq(ns, 7, "untouched on failure");
	}
}

Test(util_timestamp, nanoseconds_out_of_a_second_are_einval)
{
	int64_t ns = 7;

	cr_assert_eq(rfs_time_from_sec(0, -1, &ns), -EINVAL);
	cr_assert_eq(rfs_time_from_sec(0, 1000000000, &ns), -EINVAL);
	cr_assert_eq(rfs_time_from_sec(0, INT64_MIN, &ns), -EINVAL);
	cr_assert_eq(ns, 7);
}

Test(util_timestamp, civil_agrees_with_timegm)
{
	const int dates[][6] = {
		{ 1970, 1, 1, 0, 0, 0 },      { 2009, 10, 12, 17, 50, 30 },
		{ 2000, 2, 29, 23, 59, 59 },  { 1900, 3, 1, 0, 0, 0 },
		{ 1678, 1, 1, 0, 0, 0 },      { 2262, 4, 11, 23, 47, 15 },
		{ 1969, 12, 31, 23, 59, 59 },
	};

	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		struct tm tm = { .tm_year = dates[i][0] - 1900,
				 .tm_mon = dates[i][1] - 1,
				 .tm_mday = dates[i][2],
				 .tm_hour = dates[i][3],
				 .tm_min = dates[i][4],
				 .tm_sec = dates[i][5] };
		int64_t ns;

		cr_assert_eq(rfs_time_from_civil(dates[i][0], dates[i][1],
						 dates[i][2], dates[i][3],
						 dates[i][4], dates[i][5], 5, 0,
						 &ns),
			     0, "date %zu", i);
		cr_assert_eq(ns, (int64_t)timegm(&tm) * 1000000000 + 5,
			     "date %zu", i);
	}
}

Test(util_timestamp, civil_zone_offset_and_leap_second)
{
	int64_t a, b;

	/* 12:00+02:00 is 10:00Z */
	cr_assert_eq(rfs_time_from_civil(2020, 6, 1, 12, 0, 0, 0, 7200, &a), 0);
	cr_assert_eq(rfs_time_from_civil(2020, 6, 1, 10, 0, 0, 0, 0, &b), 0);
	cr_assert_eq(a, b);
	/* 23:59:60 reads as the next day's first second */
	cr_assert_eq(rfs_time_from_civil(2016, 12, 31, 23, 59, 60, 0, 0, &a),
		     0);
	cr_assert_eq(rfs_time_from_civil(2017, 1, 1, 0, 0, 0, 0, 0, &b), 0);
	cr_assert_eq(a, b);
}

Test(util_timestamp, civil_fields_out_of_the_calendar_are_einval)
{
	int64_t ns = 7;

	cr_assert_eq(rfs_time_from_civil(2021, 2, 29, 0, 0, 0, 0, 0, &ns),
		     -EINVAL);
	cr_assert_eq(rfs_time_from_civil(2021, 13, 1, 0, 0, 0, 0, 0, &ns),
		     -EINVAL);
	cr_assert_eq(rfs_time_from_civil(2021, 0, 1, 0, 0, 0, 0, 0, &ns),
		     -EINVAL);
	cr_assert_eq(rfs_time_from_civil(2021, 1, 0, 0, 0, 0, 0, 0, &ns),
		     -EINVAL);
	cr_assert_eq(rfs_time_from_civil(2021, 1, 1, 24, 0, 0, 0, 0, &ns),
		     -EINVAL);
	cr_assert_eq(rfs_time_from_civil(2021, 1, 1, 0, 60, 0, 0, 0, &ns),
		     -EINVAL);
	cr_assert_eq(rfs_time_from_civil(2021, 1, 1, 0, 0, 61, 0, 0, &ns),
		     -EINVAL);
	cr_assert_eq(rfs_time_from_civil(2021, 1, 1, 0, 0, 0, 0, 86400, &ns),
		     -EINVAL);
	cr_assert_eq(ns, 7);
}

Test(util_timestamp, civil_years_beyond_the_range_are_erange)
{
	const int64_t years[] = { 9999, 2263,  1677 - 1,  1000,
				  0,	-4713, INT32_MAX, INT32_MIN };
	int64_t ns = 7;

	for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++)
		cr_assert_eq(
			rfs_time_from_civil(years[i], 1, 1, 0, 0, 0, 0, 0, &ns),
			-ERANGE, "year %lld", (long long)years[i]);
	/* the first and last whole seconds of the range */
	cr_assert_eq(rfs_time_from_civil(1677, 9, 21, 0, 12, 43, 0, 0, &ns),
		     -ERANGE);
	cr_assert_eq(rfs_time_from_civil(1677, 9, 21, 0, 12, 44, 0, 0, &ns), 0);
	cr_assert_eq(ns, RFS_TIME_SEC_MIN * 1000000000);
	cr_assert_eq(rfs_time_from_civil(2262, 4, 11, 23, 47, 16, 0, 0, &ns),
		     -ERANGE);
	cr_assert_eq(
		rfs_time_from_civil(2262, 4, 11, 23, 47, 15, 999999999, 0, &ns),
		0);
	cr_assert_eq(ns, RFS_TIME_SEC_MAX * 1000000000 + 999999999);
}

Test(util_timestamp, floats_round_to_the_nanosecond)
{
	int64_t ns;

	cr_assert_eq(rfs_time_from_float(1.7e9L, &ns), 0);
	cr_assert_eq(ns, 1700000000000000000LL);
	cr_assert_eq(rfs_time_from_float(-0.5L, &ns), 0);
	cr_assert_eq(ns, -500000000);
	cr_assert_eq(rfs_time_from_float(1.0000000016L, &ns), 0);
	cr_assert_eq(ns, 1000000002); /* nearest, not truncated */
	cr_assert_eq(rfs_time_from_float(0.9999999999L, &ns), 0);
	cr_assert_eq(ns, 1000000000); /* rounding carries into the second */
}

Test(util_timestamp, floats_beyond_the_range_are_rejected)
{
	const long double bad[] = { 1e40L,  -1e40L,  HUGE_VALL,	   -HUGE_VALL,
				    9.3e9L, -9.3e9L, 9223372036.0L };
	int64_t ns = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(rfs_time_from_float(bad[i], &ns), -ERANGE,
			     "value %zu", i);
	cr_assert_eq(rfs_time_from_float(NAN, &ns), -EINVAL);
	cr_assert_eq(ns, 7);
}

Test(util_timestamp, days_round_trip_without_overflow)
{
	const int64_t days[] = { 0,	  -1,	     10957,	-719468,
				 2932896, INT32_MAX, INT32_MIN, INT32_MAX - 1 };

	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		int64_t y;
		int m, d;

		rfs_civil_from_days(days[i], &y, &m, &d);
		cr_assert(m >= 1 && m <= 12 && d >= 1 &&
			  d <= rfs_days_in_month(y, m));
		cr_assert_eq(rfs_days_from_civil(y, m, d), days[i], "day %lld",
			     (long long)days[i]);
	}
}

Test(util_timestamp, days_in_month)
{
	cr_assert_eq(rfs_days_in_month(2000, 2), 29);
	cr_assert_eq(rfs_days_in_month(1900, 2), 28);
	cr_assert_eq(rfs_days_in_month(2024, 2), 29);
	cr_assert_eq(rfs_days_in_month(2023, 4), 30);
	cr_assert_eq(rfs_days_in_month(2023, 0), 0);
	cr_assert_eq(rfs_days_in_month(2023, 13), 0);
}
