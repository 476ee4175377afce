#include "model/date.h"

#include "util/error.h"
#include "util/timestamp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date, counted in eras of
 * 400 years (146097 days) that start on March 1st, so leap days fall last. */
static int32_t days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

static int parse_fixed(const char *s, int32_t *days)
{
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1000 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -EINVAL;
	*days = days_from_civil(y, m, d);
	return 0;
}

int rfs_date_parse(const char *what, const char *s, int32_t *days,
		   struct rfs_error *err)
{
	if (parse_fixed(s, days) < 0)
		return rfs_error_set(err, EINVAL,
				     "%s '%s' is not a date (YYYY-MM-DD)", what,
				     s);
	return 0;
}

char *rfs_date_format(int32_t days, char out[RFS_DATE_STRLEN])
{
	int64_t y;
	int m, d;

	if (days == RFS_DATE_NOW) {
		memcpy(out, "now", 4);
		return out;
	}
	/* 64-bit arithmetic: a day count read from a tampered index, such
	 * as INT32_MAX - 1, prints as some date, never overflows */
	rfs_civil_from_days(days, &y, &m, &d);
	snprintf(out, RFS_DATE_STRLEN, "%04u-%02u-%02u",
		 (unsigned)((uint64_t)y % 10000u), (unsigned)m % 100u,
		 (unsigned)d % 100u);
	return out;
}

int32_t rfs_date_today(void)
{
	return (int32_t)(time(NULL) / 86400);
}

char *rfs_epoch_range_format(int32_t from, int32_t to,
			     char out[RFS_RANGE_STRLEN])
{
	char a[RFS_DATE_STRLEN], b[RFS_DATE_STRLEN];

	snprintf(out, RFS_RANGE_STRLEN, "%s..%s", rfs_date_format(from, a),
		 rfs_date_format(to, b));
	return out;
}

int rfs_epoch_range_parse(const char *s, int32_t *from, int32_t *to)
{
	char a[RFS_DATE_STRLEN];

	if (strlen(s) < 13 || memcmp(s + 10, "..", 2))
		return -EINVAL;
	memcpy(a, s, 10);
	a[10] = '\0';
	if (parse_fixed(a, from) < 0)
		return -EINVAL;
	if (!strcmp(s + 12, "now")) {
		*to = RFS_DATE_NOW;
		return 0;
	}
	if (parse_fixed(s + 12, to) < 0 || *to <= *from)
		return -EINVAL;
	return 0;
}

bool rfs_date_ranges_overlap(int32_t a_from, int32_t a_to, int32_t b_from,
			     int32_t b_to)
{
	return a_from < b_to && b_from < a_to;
}
