/*
 * recyclefs retry: restart failed archives (after fixing what stopped
 * them) and run them here, as `recyclefs archive` does.
 */
#include "tools/cli.h"
#include "tools/cli_job.h"

#include "core/archive.h"
#include "model/entry.h"
#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs retry PATH... [--no-wait] [--json]\n"
	"\n"
	"Restart the failed archive of each PATH (a bin path, the origin\n"
	"path, or a path in a mount) and run it in this process, as\n"
	"'recyclefs archive' does. An archive that failed before its copies\n"
	"were verified starts over from a fresh snapshot, reusing the copies\n"
	"already in the bin; a later failure resumes at the step that\n"
	"failed. A job that was interrupted (not failed) is simply resumed;\n"
	"an archived entry is reported and counts as success.\n"
	"\n"
	"  --no-wait  make the job runnable and leave it to a mount's workers\n"
	"  --json     print {\"results\":[...]} instead (see docs/cli.md)\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

/* The entry is runnable and its lease ours: hand it over or run it. */
static int run_or_queue(struct rfs_index *idx, const char *path,
			struct rfs_entry *e, bool no_wait, json_t *results)
{
	struct rfs_entry done = { 0 };
	struct rfs_error err = { 0 };
	const char *result;
	int r, status;

	if (no_wait) {
		r = rfs_cli_job_release(idx, e->id, &err);
		if (r < 0)
			return rfs_cli_fail(&err, r);
		if (!results)
			printf("retrying '%s' as '.recyclebin/%s' ('recyclefs "
			       "wait .recyclebin/%s' follows it)\n",
			       rfs_cli_esc(e->origin_path),
			       rfs_cli_esc(e->bin_path),
			       rfs_cli_esc(e->bin_path));
		free(e->lease_owner);
		e->lease_owner = NULL;
		r = rfs_cli_result_add(results, path, "queued", NULL, e);
		return r < 0 ? rfs_cli_fail(NULL, r) : RFS_EXIT_OK;
	}
	status = rfs_cli_job_run(idx, e->id, results ? RFS_CLI_JOB_QUIET : 0,
				 &done, &err);
	result = status == RFS_EXIT_OK		  ? "archived"
		 : status == RFS_EXIT_INTERRUPTED ? "interrupted"
						  : "failed";
	if (status == RFS_EXIT_OK && done.state == RFS_ENTRY_PURGED)
		result = "purged";
	r = rfs_cli_result_add(results, path, result,
			       status == RFS_EXIT_OK ? NULL
			       : done.reason	     ? done.reason
						     : err.msg,
			       done.id ? &done : e);
	rfs_entry_release(&done);
	if (r < 0 && status == RFS_EXIT_OK)
		status = rfs_cli_fail(NULL, r);
	return status;
}

static int retry_one(struct rfs_index *idx, const char *path, bool no_wait,
		     json_t *results)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };
	int r, status;

	r = rfs_cli_entry_find(idx, path, &e, &err);
	if (r < 0) {
		rfs_cli_result_add(results, path, "refused", err.msg, NULL);
		return rfs_cli_fail(&err, r);
	}
	if (e.state == RFS_ENTRY_ARCHIVED) {
		if (!results)
			printf("'%s' is archived already, as '.recyclebin/%s'\n",
			       e.origin_path, e.bin_path);
		r = rfs_cli_result_add(results, path, "already_archived", NULL,
				       &e);
		rfs_entry_release(&e);
		return r < 0 ? rfs_cli_fail(NULL, r) : RFS_EXIT_OK;
	}
	/* Hold the lease first: a mount daemon must not start the job
	 * between the retry and our run. */
	r = rfs_cli_job_claim(idx, &e, &err);
	if (r == 0 && e.state == RFS_ENTRY_FAILED) {
		r = rfs_archive_retry(idx, e.id, &err);
		if (r < 0)
			rfs_cli_job_release(idx, e.id,
					    &(struct rfs_error){ 0 });
	} else if (r == 0 && !rfs_entry_state_runnable(e.state)) {
		rfs_cli_job_release(idx, e.id, &(struct rfs_error){ 0 });
		r = rfs_error_set(&err, EINVAL,
				  "'.recyclebin/%s' is %s: nothing to retry",
				  e.bin_path, rfs_entry_state_name(e.state));
	}
	if (r < 0) {
		rfs_cli_result_add(results, path, "refused", err.msg, &e);
		rfs_entry_release(&e);
		return rfs_cli_fail(&err, r);
	}
	status = run_or_queue(idx, path, &e, no_wait, results);
	rfs_entry_release(&e);
	return status;
}

int cmd_retry(int argc, char **argv)
{
	return rfs_cli_job_each("retry", usage, argc, argv, retry_one);
}
