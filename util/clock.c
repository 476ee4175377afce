#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * RFS_NSEC_PER_SEC + ts.tv_nsec;
}

int64_t rfs_time_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t rfs_time_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

char *rfs_time_format(int64_t ns, char *out, size_t size)
{
	time_t sec = (time_t)(ns / RFS_NSEC_PER_SEC);
	int64_t rem = ns % RFS_NSEC_PER_SEC;
	long ms;
	struct tm tm;
	char base[24];

	if (rem < 0) { /* round down, not toward zero */
		rem += RFS_NSEC_PER_SEC;
		sec--;
	}
	ms = (long)(rem / 1000000);
	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, size, "%s.%03ldZ", base, ms);
	return out;
}

int rfs_time_parse_duration(const char *s, int64_t *ns)
{
	char *end;
	long long n;
	int64_t unit;

	if (*s < '0' || *s > '9') /* strtoll would take " ", "+" and "-0" */
		return -EINVAL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || n < 0)
		return -EINVAL;
	switch (*end) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -EINVAL;
	}
	if (end[1] != '\0')
		return -EINVAL;
	if (n > INT64_MAX / RFS_NSEC_PER_SEC / unit)
		return -EINVAL;
	*ns = (int64_t)n * unit * RFS_NSEC_PER_SEC;
	return 0;
}
