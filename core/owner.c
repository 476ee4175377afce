/*
 * Who runs a job: this process's lease owner id ("host:pid:start") and
 * whether the process an owner id names is alive.
 */
#include "core/jobs.h"

#include "model/entry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The start time of a process, in clock ticks since boot, or 0. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* Field 22, counted after the command's closing parenthesis; a
	 * zombie (state Z, field 3) is gone already. */
	p = strrchr(buf, ')');
	if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
		return 0;
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static pthread_once_t self_once = PTHREAD_ONCE_INIT;
static char self[300];

static void self_init(void)
{
	char host[256] = "localhost";

	gethostname(host, sizeof(host) - 1);
	snprintf(self, sizeof(self), "%s:%d:%llu", host, (int)getpid(),
		 start_time(getpid()));
}

const char *rfs_job_owner_self(void)
{
	pthread_once(&self_once, self_init);
	return self;
}

bool rfs_job_owner_alive(const char *owner)
{
	char host[256] = "localhost";
	unsigned long long start;
	const char *p, *q;
	long pid;

	if (!owner)
		return false;
	gethostname(host, sizeof(host) - 1);
	p = strchr(owner, ':');
	if (!p || strncmp(owner, host, (size_t)(p - owner)) ||
	    host[p - owner] != '\0')
		return true; /* another host: its lease expires instead */
	pid = strtol(p + 1, NULL, 10);
	q = strchr(p + 1, ':');
	start = q ? strtoull(q + 1, NULL, 10) : 0;
	if (pid <= 0)
		return false;
	return start_time((pid_t)pid) == start && start != 0;
}

bool rfs_job_lease_free(const struct rfs_entry *e, int64_t now_ns)
{
	return !e->lease_owner || e->lease_until_ns < now_ns ||
	       !rfs_job_owner_alive(e->lease_owner);
}
