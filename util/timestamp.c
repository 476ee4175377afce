/*
 * Checked conversion of times read from outside: the rule is in
 * timestamp.h. Calendar arithmetic counts in eras of 400 years (146097
 * days) that start on March 1st, so leap days fall last (H. Hinnant's
 * days_from_civil), in 64 bits so that no year or day count an `int`
 * holds can overflow.
 */
#include "util/timestamp.h"

#include "util/clock.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

int rfs_time_from_sec(int64_t sec, int64_t nsec, int64_t *ns)
{
	int64_t v;

	if (nsec < 0 || nsec >= RFS_NSEC_PER_SEC)
		return -EINVAL;
	if (sec < RFS_TIME_SEC_MIN || sec > RFS_TIME_SEC_MAX)
		return -ERANGE;
	/* cannot fail within the range; checked all the same */
	if (__builtin_mul_overflow(sec, RFS_NSEC_PER_SEC, &v) ||
	    __builtin_add_overflow(v, nsec, &v))
		return -ERANGE;
	*ns = v;
	return 0;
}

int64_t rfs_days_from_civil(int64_t year, int mon, int day)
{
	int64_t y = year - (mon <= 2), era, yoe, doy, doe;

	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void rfs_civil_from_days(int64_t days, int64_t *year, int *mon, int *day)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon = (int)(mp + (mp < 10 ? 3 : -9));
	*year = yoe + era * 400 + (*mon <= 2);
}

int rfs_days_in_month(int64_t year, int mon)
{
	static const int dm[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (mon < 1 || mon > 12)
		return 0;
	return mon == 2 && leap ? 29 : dm[mon - 1];
}

int rfs_time_from_civil(int64_t year, int mon, int day, int hour, int min,
			int sec, int64_t nsec, int64_t offset, int64_t *ns)
{
	int64_t s;

	if (day < 1 || day > rfs_days_in_month(year, mon) || hour < 0 ||
	    hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60 ||
	    offset <= -86400 || offset >= 86400)
		return -EINVAL;
	/* years beyond this are out of range whatever the rest says, and
	 * the arithmetic below stays far from overflowing */
	if (year < -1000000 || year > 1000000)
		return -ERANGE;
	s = rfs_days_from_civil(year, mon, day) * 86400 + hour * 3600 +
	    min * 60 + sec - offset;
	return rfs_time_from_sec(s, nsec, ns);
}

int rfs_time_from_float(long double sec, int64_t *ns)
{
	long double whole, frac;
	int64_t n;

	if (isnan(sec))
		return -EINVAL;
	/* the comparisons are false for infinities, too */
	if (!(sec >= (long double)RFS_TIME_SEC_MIN &&
	      sec < (long double)RFS_TIME_SEC_MAX + 1))
		return -ERANGE;
	whole = floorl(sec);
	frac = sec - whole;
	n = (int64_t)roundl(frac * 1e9L); /* 0 to 1e9 */
	if (n == RFS_NSEC_PER_SEC) {
		whole += 1;
		n = 0;
	}
	return rfs_time_from_sec((int64_t)whole, n, ns);
}
