/*
 * recyclefs wait: follow recycle jobs run elsewhere (a mount's workers,
 * another command) until they end, for scripts that archive with
 * --no-wait or through a mount.
 */
#include "tools/cli.h"
#include "tools/cli_job.h"

#include "model/entry.h"
#include "core/jobs.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/parts.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: recyclefs wait PATH... [--timeout SECONDS]\n"
	"\n"
	"Wait until the entry of each PATH (a bin path, an origin path, or a\n"
	"path in a mount) is archived, with no part removed by rm still queued\n"
	"for purging (exit 0), failed or purged (exit 1, with the reason),\n"
	"checking every 200 ms. An origin path names its newest\n"
	"live version (the latest archived); a bin path (.recyclebin/X or\n"
	"X.~2~) names exactly that entry. On a terminal a progress bar shows\n"
	"the job's state and progress. When no process runs a job (no\n"
	"mount, and no command running it), it says so once on stderr and\n"
	"keeps waiting: 'recyclefs resume' or a mount will run it.\n"
	"\n"
	"  --timeout SECONDS  give up after this long (exit 1); default:\n"
	"                     wait forever\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

/** How often the index is read. */
#define POLL_NS (200LL * 1000 * 1000)
/** How long a job's lease must stay free before it counts as orphaned
 * (a mount's worker takes a new job within about a second). */
#define ORPHAN_NS (2LL * RFS_NSEC_PER_SEC)

/* One entry followed. */
struct follow {
	int64_t id;
	bool done;
	int64_t free_since; /**< monotonic time its lease was seen free */
	int64_t attempts;   /**< failed batches of queued parts reported */
};

/*
 * An archived entry with parts removed by rm still queued: -1 (it runs)
 * after saying once on stderr why their last batch failed, or that no
 * process purges them; RFS_EXIT_OK when none is queued. @p ps is filled.
 */
static int check_parts(struct rfs_index *idx, const struct rfs_entry *e,
		       struct follow *f, bool *warned,
		       struct rfs_index_part_status *ps)
{
	struct rfs_error err = { 0 };
	int64_t now = rfs_time_now_ns(), mono = rfs_time_mono_ns();
	int r = rfs_index_part_status(idx, e->id, ps, &err);

	if (r < 0)
		return rfs_cli_fail(&err, r);
	if (!ps->queued)
		return RFS_EXIT_OK;
	if (ps->reason && ps->attempts > f->attempts) {
		rfs_cli_failf("purge of the %" PRId64 " part%s queued in "
			      "'.recyclebin/%s' failed (%" PRId64
			      " attempt%s): %s (tried again; still waiting)",
			      ps->queued, ps->queued == 1 ? "" : "s",
			      e->bin_path, ps->attempts,
			      ps->attempts == 1 ? "" : "s", ps->reason);
		f->attempts = ps->attempts;
	}
	/* A mount's worker takes a due batch within about a second. */
	if (!rfs_job_lease_free(e, now) || ps->retry_ns > now) {
		f->free_since = 0;
	} else if (!f->free_since) {
		f->free_since = mono;
	} else if (mono - f->free_since >= ORPHAN_NS && !*warned) {
		rfs_cli_failf("no process is purging the parts queued in "
			      "'.recyclebin/%s'; run 'recyclefs resume' or "
			      "mount the catalog (still waiting)",
			      e->bin_path);
		*warned = true;
	}
	return -1;
}

/* Check one entry: -1 while it runs, else its exit status (reported).
 * A running entry's bar is drawn when @p show. */
static int check(struct rfs_index *idx, struct follow *f, bool *warned,
		 struct rfs_cli_progress *pg, bool show)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };
	int64_t mono = rfs_time_mono_ns();
	int r, status = -1;

	r = rfs_index_entry_get(idx, f->id, &e, &err);
	if (r < 0) {
		rfs_cli_progress_clear(pg);
		return rfs_cli_fail(&err, r);
	}
	if (!rfs_entry_state_runnable(e.state))
		rfs_cli_progress_clear(pg);
	switch (e.state) {
	case RFS_ENTRY_ARCHIVED: {
		/* Archived, and what rm asked in it done too. */
		struct rfs_index_part_status ps = { 0 };

		status = check_parts(idx, &e, f, warned, &ps);
		free(ps.reason);
		if (status == RFS_EXIT_OK)
			rfs_cli_print_archived(&e);
		break;
	}
	case RFS_ENTRY_FAILED:
		status = rfs_cli_failf(
			"archive of '%s' failed at %s: %s; "
			"'recyclefs retry .recyclebin/%s' "
			"resumes it",
			e.origin_path, rfs_entry_state_name(e.failed_step),
			e.reason ? e.reason : "unknown reason", e.bin_path);
		break;
	case RFS_ENTRY_PURGED:
		status = rfs_cli_failf("'.recyclebin/%s' was purged",
				       e.bin_path);
		break;
	default:
		if (!rfs_job_lease_free(&e, rfs_time_now_ns())) {
			f->free_since = 0;
		} else if (!f->free_since) {
			f->free_since = mono;
		} else if (mono - f->free_since >= ORPHAN_NS && !*warned) {
			rfs_cli_progress_clear(pg);
			rfs_cli_failf("no process is running '.recyclebin/%s'; "
				      "run 'recyclefs resume' or mount the "
				      "catalog (still waiting)",
				      e.bin_path);
			*warned = true;
		}
		if (show)
			rfs_cli_progress_draw(pg, &e);
		break;
	}
	rfs_entry_release(&e);
	return status;
}

/* Report the entries still running when the time is up. */
static int timed_out(struct rfs_index *idx, struct follow *f, int n,
		     const char *timeout)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		if (f[i].done)
			continue;
		struct rfs_index_part_status ps = { 0 };

		if (rfs_index_entry_get(idx, f[i].id, &e, &err) < 0) {
			rfs_entry_release(&e);
			continue;
		}
		if (e.state == RFS_ENTRY_ARCHIVED &&
		    rfs_index_part_status(idx, e.id, &ps, &err) == 0 &&
		    ps.queued)
			rfs_cli_failf("'.recyclebin/%s' still has %" PRId64
				      " part%s queued for purging after %s s",
				      e.bin_path, ps.queued,
				      ps.queued == 1 ? "" : "s", timeout);
		else
			rfs_cli_failf("'.recyclebin/%s' is still %s after %s s",
				      e.bin_path, rfs_entry_state_name(e.state),
				      timeout);
		free(ps.reason);
		rfs_entry_release(&e);
	}
	return RFS_EXIT_FAILURE;
}

static int follow_all(struct rfs_index *idx, struct follow *f, int n,
		      double timeout, const char *timeout_s)
{
	int64_t deadline = rfs_time_mono_ns() + (int64_t)(timeout * 1e9);
	struct timespec ts = { 0, POLL_NS };
	int status = RFS_EXIT_OK, left = 0, i, s;
	struct rfs_cli_progress pg;
	bool warned = false, shown;

	rfs_cli_progress_init(&pg);
	for (i = 0; i < n; i++)
		left += !f[i].done;
	for (;;) {
		shown = false;
		for (i = 0; i < n; i++) {
			if (f[i].done)
				continue;
			/* One bar: the first entry still running. */
			s = check(idx, &f[i], &warned, &pg, !shown);
			shown = shown || s < 0;
			if (s < 0)
				continue;
			f[i].done = true;
			left--;
			if (s > status)
				status = s;
		}
		fflush(stdout);
		if (!left)
			return status;
		if (timeout >= 0 && rfs_time_mono_ns() >= deadline) {
			rfs_cli_progress_clear(&pg);
			return timed_out(idx, f, n, timeout_s);
		}
		nanosleep(&ts, NULL);
	}
}

static int parse_timeout(const char *s, double *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	*out = strtod(s, &end);
	return *end || !isfinite(*out) || *out > 1e9 ? -EINVAL : 0;
}

int cmd_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "wait",
				    .usage = usage,
				    .longopts = opts };
	const char *timeout_s = NULL;
	struct rfs_index *idx;
	struct follow *f;
	double timeout = -1;
	int c, i, n, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 't')
			timeout_s = optarg;
	}
	status = rfs_cli_operands(&g, argc, argv, 1, -1, "PATH...");
	if (status)
		return status;
	if (timeout_s && parse_timeout(timeout_s, &timeout) < 0)
		return rfs_cli_usage_error(g.cmd,
					   "--timeout wants a number of "
					   "seconds, not '%s'",
					   timeout_s);
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	n = argc - optind;
	f = calloc((size_t)n, sizeof(*f));
	if (!f) {
		rfs_index_free(idx);
		return rfs_cli_fail(NULL, -ENOMEM);
	}
	for (i = 0; i < n; i++) {
		struct rfs_error err = { 0 };
		struct rfs_entry e = { 0 };
		int r = rfs_cli_entry_find(idx, argv[optind + i], &e, &err);

		f[i].id = e.id;
		f[i].done = r < 0;
		if (r < 0)
			status = rfs_cli_fail(&err, r);
		rfs_entry_release(&e);
	}
	i = follow_all(idx, f, n, timeout, timeout_s);
	if (i > status)
		status = i;
	free(f);
	rfs_index_free(idx);
	return status;
}
