/*
 * util/log: the file sink writes one line per message, stamped in UTC
 * ISO 8601 with milliseconds, with the program's name and the level.
 */
#include "util/log.h"

#include <criterion/criterion.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

TestSuite(util_log);

Test(util_log, a_file_line_is_stamped_in_utc_iso_8601)
{
	char path[] = "/tmp/rfs-log-XXXXXX", line[512], want_day[16];
	int fd = mkstemp(path);
	time_t now = time(NULL);
	struct tm tm;
	regex_t re;
	FILE *f;

	cr_assert(fd >= 0);
	close(fd);
	rfs_log_set_ident("rfs-test");
	rfs_log_set_level(LOG_INFO);
	cr_assert_eq(rfs_log_to_file(path), 0);
	rfs_log(LOG_WARNING, "disk %s is %d%% full", "b", 97);
	rfs_log_set_sink(NULL, NULL);

	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_null(fgets(line + strlen(line), 16, f), "one line only");
	fclose(f);
	unlink(path);

	cr_assert_eq(regcomp(&re,
			     "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
			     "[0-9]{2}\\.[0-9]{3}Z rfs-test\\[warning\\]: "
			     "disk b is 97% full\n$",
			     REG_EXTENDED | REG_NOSUB),
		     0);
	cr_assert_eq(regexec(&re, line, 0, NULL, 0), 0, "line: %s", line);
	regfree(&re);
	gmtime_r(&now, &tm);
	strftime(want_day, sizeof(want_day), "%Y-%m-%d", &tm);
	/* the day in UTC (a run across midnight may see the next one) */
	cr_assert(!strncmp(line, want_day, 10) || now % 86400 > 86390,
		  "line %s, today %s", line, want_day);
}
