/*
 * What the recycle bin's commands share: finding the entry a user means,
 * claiming and releasing job leases, running a job in this process with a
 * progress bar and a clean stop on SIGINT/SIGTERM, and showing entries.
 */
#include "tools/cli_job.h"

#include "core/archive.h"
#include "model/entry.h"
#include "core/jobs.h"
#include "core/json_name.h"
#include "index/entries.h"
#include "index/index.h"
#include "tools/cli.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char *rfs_cli_size_format(int64_t bytes, char *out, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(out, size, "%d B", (int)bytes);
		return out;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, "%.1f %s", v, units[u]);
	return out;
}

json_t *rfs_cli_entry_json(const struct rfs_entry *e)
{
	char created[32], deleted[32], purged[32];
	bool held = !rfs_job_lease_free(e, rfs_time_now_ns());

	rfs_time_format(e->created_ns, created, sizeof(created));
	rfs_time_format(e->deleted_ns, deleted, sizeof(deleted));
	rfs_time_format(e->purged_ns, purged, sizeof(purged));
	return json_pack(
		"{s:o, s:o, s:s, s:s?, s:o?, s:I, s:I, s:I, s:I, s:s, s:s?, "
		"s:s?, s:s, s:s, s:s?}",
		"bin_path", rfs_json_name(e->bin_path), "origin",
		rfs_json_name(e->origin_path), "state",
		rfs_entry_state_name(e->state), "failed_step",
		e->state == RFS_ENTRY_FAILED
			? rfs_entry_state_name(e->failed_step)
			: NULL,
		"reason", e->reason ? rfs_json_text(e->reason) : NULL,
		"files_total", (json_int_t)e->files_total, "files_done",
		(json_int_t)e->files_done, "bytes_total",
		(json_int_t)e->bytes_total, "bytes_done",
		(json_int_t)e->bytes_done, "created_at", created, "deleted_at",
		e->deleted_ns ? deleted : NULL, "purged_at",
		e->purged_ns ? purged : NULL, "uuid", e->uuid, "storage",
		e->storage, "lease_owner", held ? e->lease_owner : NULL);
}

int rfs_cli_result_add(json_t *results, const char *path, const char *result,
		       const char *reason, const struct rfs_entry *e)
{
	json_t *ej = NULL, *o;

	if (!results)
		return 0;
	if (e && e->id && !(ej = rfs_cli_entry_json(e)))
		return -ENOMEM;
	o = json_pack("{s:o, s:s, s:o?, s:o?}", "path", rfs_json_name(path),
		      "result", result, "reason",
		      reason && *reason ? rfs_json_text(reason) : NULL, "entry",
		      ej);
	return json_array_append_new(results, o) ? -ENOMEM : 0;
}

struct find {
	struct rfs_index *idx;
	struct rfs_entry *out;
};

static int find_one(void *ctx, const char *path, struct rfs_error *err)
{
	struct find *f = ctx;

	return rfs_entry_find(f->idx, path, f->out, err);
}

int rfs_cli_entry_find(struct rfs_index *idx, const char *path,
		       struct rfs_entry *out, struct rfs_error *err)
{
	struct find f = { idx, out };

	return rfs_cli_catalog_path(idx, path, find_one, &f, err);
}

int rfs_cli_job_claim(struct rfs_index *idx, const struct rfs_entry *e,
		      struct rfs_error *err)
{
	const char *self = rfs_job_owner_self();
	int64_t now = rfs_time_now_ns();
	bool taken = false;
	int r;

	if (e->lease_owner && !strcmp(e->lease_owner, self))
		return 0;
	if (!rfs_job_lease_free(e, now))
		return rfs_error_set(err, EBUSY,
				     "'.recyclebin/%s' is being run by another "
				     "process (%s); 'recyclefs wait' follows "
				     "it",
				     e->bin_path, e->lease_owner);
	r = rfs_index_entry_lease(idx, e->id, e->lease_owner, self,
				  now + RFS_LEASE_TTL_NS, &taken, err);
	if (r == 0 && !taken)
		r = rfs_error_set(err, EBUSY,
				  "'.recyclebin/%s' was just taken by another "
				  "process; 'recyclefs wait' follows it",
				  e->bin_path);
	return r;
}

int rfs_cli_job_release(struct rfs_index *idx, int64_t id,
			struct rfs_error *err)
{
	bool taken;

	return rfs_index_entry_lease(idx, id, rfs_job_owner_self(), NULL, 0,
				     &taken, err);
}

static volatile int stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

volatile int *rfs_cli_job_stop_flag(void)
{
	static bool installed;
	struct sigaction sa;

	if (!installed) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop_signal;
		/* A second signal gets the default action: the state is
		 * safe in the index either way. */
		sa.sa_flags = SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		installed = true;
	}
	return &stop_flag;
}

bool rfs_cli_job_interrupted(void)
{
	return stop_flag != 0;
}

static int percent(const struct rfs_entry *e)
{
	int64_t p = -1;

	if ((e->state == RFS_ENTRY_SYNC || e->state == RFS_ENTRY_VERIFY) &&
	    e->bytes_total > 0)
		p = e->bytes_done * 100 / e->bytes_total;
	else if (e->state != RFS_ENTRY_SNAPSHOT && e->files_total > 0)
		p = e->files_done * 100 / e->files_total;
	return p > 100 ? 100 : (int)p;
}

void rfs_cli_progress_init(struct rfs_cli_progress *pg)
{
	pg->tty = isatty(STDERR_FILENO) == 1;
	pg->drawn = false;
}

void rfs_cli_progress_draw(struct rfs_cli_progress *pg,
			   const struct rfs_entry *e)
{
	char done[16], total[16], bar[21];
	bool bytes = e->state == RFS_ENTRY_SYNC || e->state == RFS_ENTRY_VERIFY;
	int pct = percent(e), i;

	if (!pg->tty)
		return;
	rfs_cli_size_format(e->bytes_done, done, sizeof(done));
	rfs_cli_size_format(e->bytes_total, total, sizeof(total));
	fprintf(stderr, "\r\033[K%-9s ", rfs_entry_state_name(e->state));
	if (pct < 0) {
		/* Listing: the totals are not known yet. */
		fprintf(stderr, "%" PRId64 " files, %s listed", e->files_done,
			done);
	} else {
		for (i = 0; i < 20; i++)
			bar[i] = i < pct / 5 ? '#' : '.';
		bar[20] = '\0';
		fprintf(stderr, "[%s] %3d%% %" PRId64 "/%" PRId64 " files", bar,
			pct, e->files_done, e->files_total);
		/* Deleting and purging count files only. */
		if (bytes)
			fprintf(stderr, ", %s/%s", done, total);
	}
	fflush(stderr);
	pg->drawn = true;
}

void rfs_cli_progress_clear(struct rfs_cli_progress *pg)
{
	if (pg->drawn)
		fputs("\r\033[K", stderr);
	pg->drawn = false;
}

static void draw(void *ctx, const struct rfs_entry *e)
{
	rfs_cli_progress_draw(ctx, e);
}

static void files_and_size(const struct rfs_entry *e, char *out, size_t size)
{
	char sz[16];

	snprintf(out, size, "%" PRId64 " file%s, %s", e->files_total,
		 e->files_total == 1 ? "" : "s",
		 rfs_cli_size_format(e->bytes_total, sz, sizeof(sz)));
}

void rfs_cli_print_archived(const struct rfs_entry *e)
{
	char what[64];

	files_and_size(e, what, sizeof(what));
	printf("archived '%s' to '.recyclebin/%s' (%s)\n",
	       rfs_cli_esc(e->origin_path), rfs_cli_esc(e->bin_path), what);
	if (e->reason)
		printf("note: %s\n", rfs_cli_esc(e->reason));
}

static int report(const struct rfs_entry *e, int r, unsigned flags,
		  const struct rfs_error *err)
{
	char what[64];

	if (r == 0 && !(flags & RFS_CLI_JOB_QUIET)) {
		if (e->state == RFS_ENTRY_PURGED) {
			files_and_size(e, what, sizeof(what));
			printf("purged '.recyclebin/%s' (%s)\n",
			       rfs_cli_esc(e->bin_path), what);
		} else {
			rfs_cli_print_archived(e);
		}
	}
	if (r == 0)
		return RFS_EXIT_OK;
	if (r == -EINTR) {
		rfs_cli_failf("interrupted; '.recyclebin/%s' stays in state %s "
			      "and resumes in a mount or with 'recyclefs "
			      "resume'",
			      e->bin_path, rfs_entry_state_name(e->state));
		return RFS_EXIT_INTERRUPTED;
	}
	if (e->state == RFS_ENTRY_FAILED)
		return rfs_cli_failf(
			"archive of '%s' failed at %s: %s; the "
			"source is intact, 'recyclefs retry "
			".recyclebin/%s' resumes it",
			e->origin_path, rfs_entry_state_name(e->failed_step),
			e->reason ? e->reason : err->msg, e->bin_path);
	if (e->state == RFS_ENTRY_PURGING)
		return rfs_cli_failf("purge of '.recyclebin/%s' failed: %s; "
				     "'recyclefs resume' tries again",
				     e->bin_path, err->msg);
	if (r == -ECANCELED)
		return rfs_cli_failf("'.recyclebin/%s' is %s: it has no job "
				     "to run",
				     e->bin_path,
				     rfs_entry_state_name(e->state));
	return rfs_cli_fail(err, r);
}

int rfs_cli_job_run(struct rfs_index *idx, int64_t id, unsigned flags,
		    struct rfs_entry *out, struct rfs_error *err)
{
	struct rfs_cli_progress pg;
	struct rfs_job_opts o = { .stop = rfs_cli_job_stop_flag(),
				  .progress = draw,
				  .progress_ctx = &pg };
	struct rfs_error local = { 0 }, ignore = { 0 };
	struct rfs_entry e = { 0 };
	int r, status;

	rfs_cli_progress_init(&pg);
	if (!err)
		err = &local;
	if (out)
		memset(out, 0, sizeof(*out));
	r = rfs_job_run(idx, id, &o, err);
	rfs_cli_progress_clear(&pg);
	if (rfs_index_entry_get(idx, id, &e, &ignore) < 0) {
		status = rfs_cli_fail(err, r < 0 ? r : -EIO);
		return r == -EINTR ? RFS_EXIT_INTERRUPTED : status;
	}
	status = report(&e, r, flags, err);
	if (out)
		*out = e;
	else
		rfs_entry_release(&e);
	return status;
}

int rfs_cli_job_each(const char *cmd, const char *usage, int argc, char **argv,
		     rfs_cli_job_one_fn one)
{
	enum { OPT_NO_WAIT = 'W', OPT_JSON = 'j' };
	static const struct option opts[] = {
		{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
		{ "json", no_argument, NULL, OPT_JSON },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = cmd,
				    .usage = usage,
				    .longopts = opts };
	bool no_wait = false, json = false;
	json_t *results = NULL;
	struct rfs_index *idx;
	int c, i, s, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == OPT_NO_WAIT)
			no_wait = true;
		else if (c == OPT_JSON)
			json = true;
	}
	status = rfs_cli_operands(&g, argc, argv, 1, -1, "PATH...");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	if (json && !(results = json_array())) {
		rfs_index_free(idx);
		return rfs_cli_fail(NULL, -ENOMEM);
	}
	for (i = optind; i < argc; i++) {
		if (rfs_cli_job_interrupted()) {
			status = RFS_EXIT_INTERRUPTED;
			break;
		}
		s = one(idx, argv[i], no_wait, results);
		if (s > status)
			status = s;
		if (s == RFS_EXIT_INTERRUPTED)
			break;
	}
	rfs_index_free(idx);
	if (json) {
		s = rfs_cli_print_json(json_pack("{s:o}", "results", results));
		if (status == RFS_EXIT_OK)
			status = s;
	}
	return status;
}
