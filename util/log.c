#include "util/log.h"

#include "util/buf.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_level = LOG_INFO;
static rfs_log_fn log_sink;
static void *log_ctx;
static char log_ident[64] = "recyclefs";
static FILE *log_file;

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void sink_stderr(int level, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(level), msg);
}

static void sink_syslog(int level, const char *msg, void *ctx)
{
	(void)ctx;
	syslog(level, "%s", msg);
}

static void sink_file(int level, const char *msg, void *ctx)
{
	FILE *f = ctx;
	char when[32];

	rfs_time_format(rfs_time_now_ns(), when, sizeof(when));
	fprintf(f, "%s %s[%s]: %s\n", when, log_ident, level_name(level), msg);
	fflush(f);
}

void rfs_vlog(int level, const char *fmt, va_list ap)
{
	struct rfs_buf esc = RFS_BUF_INIT;
	const char *line;
	char msg[2048];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Names are data: a newline in one must not start a log line. */
	line = rfs_buf_add_escaped(&esc, msg) == 0 ? rfs_buf_str(&esc) : msg;
	pthread_mutex_lock(&log_lock);
	if (log_sink)
		log_sink(level, line, log_ctx);
	else
		sink_stderr(level, line, NULL);
	pthread_mutex_unlock(&log_lock);
	rfs_buf_release(&esc);
}

void rfs_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	rfs_vlog(level, fmt, ap);
	va_end(ap);
}

void rfs_log_set_level(int level)
{
	log_level = level;
}

int rfs_log_enabled(int level)
{
	return level <= log_level;
}

void rfs_log_set_sink(rfs_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_sink = fn;
	log_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}

void rfs_log_set_ident(const char *ident)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
}

void rfs_log_to_syslog(void)
{
	openlog(log_ident, LOG_PID, LOG_DAEMON);
	rfs_log_set_sink(sink_syslog, NULL);
}

int rfs_log_to_file(const char *path)
{
	FILE *f = fopen(path, "ae");

	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	rfs_log_set_sink(sink_file, f);
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = f;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int rfs_log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "err", LOG_ERR },	    { "error", LOG_ERR },
		{ "warning", LOG_WARNING }, { "warn", LOG_WARNING },
		{ "info", LOG_INFO },	    { "debug", LOG_DEBUG },
	};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(name, levels[i].name))
			return levels[i].level;
	return -1;
}
