/*
 * recyclefs resume: run waiting recycle jobs to completion in this
 * process. Without a mount nothing else runs them: after `archive
 * --no-wait`, an interrupted command or a crash, this finishes the work.
 */
#include "tools/cli.h"
#include "tools/cli_job.h"

#include "model/entry.h"
#include "core/jobs.h"
#include "core/part_job.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/parts.h"
#include "index/restores.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs resume [PATH...]\n"
	"\n"
	"Run recycle jobs (archives and purges, the parts removed with rm\n"
	"inside archived entries, then restores) in this process until each\n"
	"is archived, purged, restored or failed.\n"
	"Without PATH: every job that no live process runs (its lease is\n"
	"free: no mount daemon took it, or the process that ran it died).\n"
	"With PATHs (bin paths, origin paths, or paths in a mount): those\n"
	"entries only. A failed archive is not resumed: 'recyclefs retry'\n"
	"restarts it; a failed restore is not either: run 'recyclefs\n"
	"restore' again.\n"
	"\n"
	"SIGINT or SIGTERM stops the running job at a safe point (exit 130).\n"
	"Exit status 1 when a job failed or a PATH could not be resumed.\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

/* The ids of the runnable entries, collected before running any. */
struct ids {
	int64_t *v;
	size_t n, cap;
	int64_t now;
	size_t busy;
};

static int add(struct ids *ids, int64_t id)
{
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? 2 * ids->cap : 16;
		int64_t *v = realloc(ids->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = id;
	return 0;
}

static int collect(const struct rfs_entry *e, void *ctx)
{
	struct ids *ids = ctx;

	if (!rfs_job_lease_free(e, ids->now)) {
		printf("skipped '.recyclebin/%s': run by process %s\n",
		       rfs_cli_esc(e->bin_path), e->lease_owner);
		ids->busy++;
		return 0;
	}
	return add(ids, e->id);
}

static int collect_parts(void *ctx, int64_t id)
{
	return add(ctx, id);
}

/* Claim and run one entry, reporting the outcome. */
static int run_one(struct rfs_index *idx, const struct rfs_entry *e)
{
	struct rfs_error err = { 0 };
	int r;

	r = rfs_cli_job_claim(idx, e, &err);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("resuming '.recyclebin/%s' (%s)\n", rfs_cli_esc(e->bin_path),
	       rfs_entry_state_name(e->state));
	fflush(stdout);
	return rfs_cli_job_run(idx, e->id, 0, NULL, &err);
}

static int already(const struct rfs_entry *e)
{
	printf("'%s' is archived already, as '.recyclebin/%s'\n",
	       rfs_cli_esc(e->origin_path), rfs_cli_esc(e->bin_path));
	return RFS_EXIT_OK;
}

/*
 * Purge here the parts removed with rm inside archived entry @p e that
 * are still queued (core/part_job.h), whether or not their batch is due:
 * resume is asked for now. Sets @p ran when there were any.
 */
static int run_parts(struct rfs_index *idx, const struct rfs_entry *e,
		     bool *ran)
{
	struct rfs_job_opts o = { .stop = rfs_cli_job_stop_flag() };
	struct rfs_index_part_status ps = { 0 };
	struct rfs_error err = { 0 };
	int r, status = RFS_EXIT_OK;
	int64_t n;

	r = rfs_index_part_status(idx, e->id, &ps, &err);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	free(ps.reason);
	n = ps.queued;
	*ran = n > 0;
	if (!n)
		return RFS_EXIT_OK;
	if (!rfs_job_lease_free(e, rfs_time_now_ns())) {
		printf("skipped the parts queued in '.recyclebin/%s': run by "
		       "process %s\n",
		       rfs_cli_esc(e->bin_path), e->lease_owner);
		return RFS_EXIT_OK;
	}
	printf("purging the %" PRId64 " part%s queued in '.recyclebin/%s'\n", n,
	       n == 1 ? "" : "s", rfs_cli_esc(e->bin_path));
	fflush(stdout);
	r = rfs_part_job_run(idx, e->id, &o, &err);
	if (r == 0) {
		printf("purged the %" PRId64 " part%s queued in "
		       "'.recyclebin/%s'\n",
		       n, n == 1 ? "" : "s", rfs_cli_esc(e->bin_path));
	} else if (r == -EINTR) {
		rfs_cli_failf("interrupted; the parts queued in "
			      "'.recyclebin/%s' stay queued",
			      e->bin_path);
		status = RFS_EXIT_INTERRUPTED;
	} else if (r == -EBUSY) {
		printf("the parts queued in '.recyclebin/%s' are purged by "
		       "another process\n",
		       rfs_cli_esc(e->bin_path));
	} else if (r == -ECANCELED) {
		printf("the parts queued in '.recyclebin/%s' are gone already\n",
		       rfs_cli_esc(e->bin_path));
	} else {
		status = rfs_cli_failf("purge of the %" PRId64 " part%s queued "
				       "in '.recyclebin/%s' failed: %s; they "
				       "stay queued for a mount or 'recyclefs "
				       "resume'",
				       n, n == 1 ? "" : "s", e->bin_path,
				       err.msg);
	}
	return status;
}

/* A named entry: run it when it has a job, else say why not. */
static int resume_path(struct rfs_index *idx, const char *path)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };
	int r, status;

	r = rfs_cli_entry_find(idx, path, &e, &err);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	if (rfs_entry_state_runnable(e.state)) {
		status = run_one(idx, &e);
	} else if (e.state == RFS_ENTRY_ARCHIVED) {
		bool ran = false;

		status = run_parts(idx, &e, &ran);
		if (!ran)
			status = already(&e);
	} else if (e.state == RFS_ENTRY_FAILED) {
		status = rfs_cli_failf(
			"'.recyclebin/%s' failed at %s: %s; "
			"'recyclefs retry .recyclebin/%s' "
			"restarts it",
			e.bin_path, rfs_entry_state_name(e.failed_step),
			e.reason ? e.reason : "unknown reason", e.bin_path);
	} else {
		status = rfs_cli_failf("'.recyclebin/%s' is %s: it has no job "
				       "to resume",
				       e.bin_path,
				       rfs_entry_state_name(e.state));
	}
	rfs_entry_release(&e);
	return status;
}

/* True while a live process holds the restore's lease. */
static bool restore_held(const struct rfs_restore *r, int64_t now)
{
	return r->lease_owner && r->lease_until_ns >= now &&
	       rfs_job_owner_alive(r->lease_owner);
}

static int collect_restore(const struct rfs_restore *r, void *ctx)
{
	struct ids *ids = ctx;

	if (restore_held(r, ids->now)) {
		printf("skipped the restore to '%s': run by process %s\n",
		       rfs_cli_esc(r->target), r->lease_owner);
		ids->busy++;
		return 0;
	}
	return add(ids, r->id);
}

/* Run one waiting restore (core/restore.h) here, reporting the outcome. */
static int run_restore(struct rfs_index *idx, int64_t id)
{
	struct rfs_job_opts o = { .stop = rfs_cli_job_stop_flag() };
	struct rfs_error err = { 0 }, ignore = { 0 };
	struct rfs_restore r = { 0 };
	char size[16];
	int rc, status = RFS_EXIT_OK;

	rc = rfs_index_restore_get(idx, id, &r, &err);
	if (rc < 0)
		return rfs_cli_fail(&err, rc);
	/* Re-read: a daemon may have taken or finished it. */
	if (r.state == RFS_RESTORE_DONE || r.state == RFS_RESTORE_FAILED ||
	    restore_held(&r, rfs_time_now_ns())) {
		rfs_restore_release(&r);
		return RFS_EXIT_OK;
	}
	printf("resuming the restore to '%s' (%s)\n", rfs_cli_esc(r.target),
	       rfs_restore_state_name(r.state));
	fflush(stdout);
	rc = rfs_restore_run(idx, id, &o, &err);
	rfs_restore_release(&r);
	rfs_index_restore_get(idx, id, &r, &ignore);
	if (rc == 0)
		printf("restored to '%s' (%" PRId64 " file%s, %s)\n",
		       rfs_cli_esc(r.target), r.files_total,
		       r.files_total == 1 ? "" : "s",
		       rfs_cli_size_format(r.bytes_total, size, sizeof(size)));
	else if (rc == -EINTR)
		status = rfs_cli_failf("interrupted; the restore to '%s' "
				       "stays in state %s",
				       r.target,
				       rfs_restore_state_name(r.state));
	else if (rc != -EBUSY && rc != -ECANCELED)
		status = rfs_cli_failf("restore to '%s' failed: %s", r.target,
				       r.reason ? r.reason : err.msg);
	rfs_restore_release(&r);
	return rc == -EINTR ? RFS_EXIT_INTERRUPTED : status;
}

/* The queued parts of each entry in @p pids, once its own job is done. */
static int resume_parts(struct rfs_index *idx, const struct ids *pids)
{
	struct rfs_error err = { 0 };
	int status = RFS_EXIT_OK, s, r;
	bool ran;
	size_t i;

	for (i = 0; i < pids->n && status != RFS_EXIT_INTERRUPTED; i++) {
		struct rfs_entry e = { 0 };

		rfs_error_clear(&err);
		r = rfs_index_entry_get(idx, pids->v[i], &e, &err);
		if (rfs_cli_job_interrupted())
			s = RFS_EXIT_INTERRUPTED;
		else if (r < 0)
			s = rfs_cli_fail(&err, r);
		else if (e.state != RFS_ENTRY_ARCHIVED)
			s = RFS_EXIT_OK; /* a whole purge took them over */
		else
			s = run_parts(idx, &e, &ran);
		rfs_entry_release(&e);
		if (s > status)
			status = s;
	}
	return status;
}

/* Every runnable entry whose lease is free, the queued parts of archived
 * entries, then every runnable restore. */
static int resume_all(struct rfs_index *idx)
{
	struct ids ids = { .now = rfs_time_now_ns() };
	struct ids rids = { .now = ids.now }, pids = { .now = ids.now };
	struct rfs_error err = { 0 };
	int status = RFS_EXIT_OK, s, r;
	size_t i;

	r = rfs_index_entry_list(idx, RFS_INDEX_ENTRIES_RUNNABLE, NULL, collect,
				 &ids, &err);
	if (r == 0) /* due or not: resume is asked for now */
		r = rfs_index_part_entries(idx, INT64_MAX, collect_parts, &pids,
					   &err);
	if (r == 0)
		r = rfs_index_restore_list(idx, RFS_INDEX_RESTORES_RUNNABLE, 0,
					   collect_restore, &rids, &err);
	if (r < 0) {
		free(ids.v);
		free(rids.v);
		free(pids.v);
		return rfs_cli_fail(&err, r);
	}
	if (ids.n == 0 && ids.busy == 0 && rids.n == 0 && rids.busy == 0 &&
	    pids.n == 0)
		puts("nothing to resume");
	for (i = 0; i < ids.n; i++) {
		struct rfs_entry e = { 0 };

		if (rfs_cli_job_interrupted()) {
			status = RFS_EXIT_INTERRUPTED;
			break;
		}
		/* Re-read: a daemon may have taken or finished it. */
		rfs_error_clear(&err);
		r = rfs_index_entry_get(idx, ids.v[i], &e, &err);
		if (r < 0) {
			s = rfs_cli_fail(&err, r);
		} else if (!rfs_entry_state_runnable(e.state) ||
			   !rfs_job_lease_free(&e, rfs_time_now_ns())) {
			s = RFS_EXIT_OK; /* someone else got there first */
		} else {
			s = run_one(idx, &e);
		}
		rfs_entry_release(&e);
		if (s > status)
			status = s;
		if (s == RFS_EXIT_INTERRUPTED)
			break;
	}
	if (status != RFS_EXIT_INTERRUPTED) {
		s = resume_parts(idx, &pids);
		if (s > status)
			status = s;
	}
	for (i = 0; status != RFS_EXIT_INTERRUPTED && i < rids.n; i++) {
		s = rfs_cli_job_interrupted() ? RFS_EXIT_INTERRUPTED
					      : run_restore(idx, rids.v[i]);
		if (s > status)
			status = s;
	}
	free(ids.v);
	free(rids.v);
	free(pids.v);
	return status;
}

int cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "resume",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_index *idx;
	int c, i, s, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1)
		if (c == RFS_CLI_STOP)
			return g.status;
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	if (optind == argc)
		status = resume_all(idx);
	for (i = optind; i < argc; i++) {
		if (rfs_cli_job_interrupted()) {
			status = RFS_EXIT_INTERRUPTED;
			break;
		}
		s = resume_path(idx, argv[i]);
		if (s > status)
			status = s;
		if (s == RFS_EXIT_INTERRUPTED)
			break;
	}
	rfs_index_free(idx);
	return status;
}
