/*
 * recyclefs archive: move items under an epoch into the recycle bin, as a
 * rename into .recyclebin does in a mount, and (unless --no-wait) run the
 * job here until the data is verified in the bin and gone from its source.
 */
#include "tools/cli.h"
#include "tools/cli_job.h"

#include "core/archive.h"
#include "model/entry.h"
#include "core/jobs.h"
#include "index/index.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs archive PATH... [--no-wait] [--json]\n"
	"\n"
	"Archive each PATH: a folder or file under an epoch, or a whole\n"
	"epoch, named by its catalog path (sales.orders/bronze/\n"
	"2001-01-01..2010-01-01/dt=2001-01-01) or by its path in a mount.\n"
	"The intent is recorded at once; the job then snapshots the item,\n"
	"copies it to the recycle storage, verifies every checksum, drops\n"
	"its partitions through the metastore hook and deletes the source.\n"
	"It runs in this command, with a progress bar on a terminal; SIGINT\n"
	"or SIGTERM stops it at a safe point (exit 130), and it resumes in a\n"
	"mount or with 'recyclefs resume'.\n"
	"\n"
	"  --no-wait  only record the intent and leave the job to a mount's\n"
	"             workers ('recyclefs wait PATH' follows it)\n"
	"  --json     print {\"results\":[...]} instead (see docs/cli.md)\n"
	"\n"
	"An item archived already is reported and counts as success. Exit\n"
	"status 1 when any PATH was refused or failed (the others still\n"
	"run).\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

/* One rfs_archive_begin() of a reading of the user's path. */
struct begin {
	struct rfs_index *idx;
	const char *owner;
	struct rfs_entry *out;
};

static int begin_one(void *ctx, const char *path, struct rfs_error *err)
{
	struct begin *b = ctx;

	if (rfs_path_is_under(path, ".recyclebin"))
		return rfs_error_set(err, EPERM,
				     "'%s' is in the recycle bin already: "
				     "restore or purge it instead",
				     path);
	return rfs_archive_begin(b->idx, path, b->owner, b->out, err);
}

static int archive_one(struct rfs_index *idx, const char *path, bool no_wait,
		       json_t *results)
{
	const char *self = rfs_job_owner_self();
	struct rfs_entry e = { 0 }, done = { 0 };
	struct begin b = { idx, self, &e };
	struct rfs_error err = { 0 };
	const char *result;
	int r, status;

	r = rfs_cli_catalog_path(idx, path, begin_one, &b, &err);
	if (r == -EALREADY) {
		if (!results)
			printf("'%s' is archived already, as '.recyclebin/%s'\n",
			       rfs_cli_esc(e.origin_path),
			       rfs_cli_esc(e.bin_path));
		r = rfs_cli_result_add(results, path, "already_archived", NULL,
				       &e);
		rfs_entry_release(&e);
		return r < 0 ? rfs_cli_fail(NULL, r) : RFS_EXIT_OK;
	}
	if (r < 0) {
		rfs_cli_result_add(results, path, "refused", err.msg, NULL);
		return rfs_cli_failf("cannot archive '%s': %s", path,
				     err.msg[0] ? err.msg : strerror(-r));
	}
	if (no_wait) {
		r = rfs_cli_job_release(idx, e.id, &err);
		if (r < 0) {
			rfs_entry_release(&e);
			return rfs_cli_fail(&err, r);
		}
		if (!results)
			printf("archiving '%s' as '.recyclebin/%s' ('recyclefs "
			       "wait .recyclebin/%s' follows it)\n",
			       rfs_cli_esc(e.origin_path),
			       rfs_cli_esc(e.bin_path),
			       rfs_cli_esc(e.bin_path));
		free(e.lease_owner);
		e.lease_owner = NULL;
		r = rfs_cli_result_add(results, path, "queued", NULL, &e);
		rfs_entry_release(&e);
		return r < 0 ? rfs_cli_fail(NULL, r) : RFS_EXIT_OK;
	}
	status = rfs_cli_job_run(idx, e.id, results ? RFS_CLI_JOB_QUIET : 0,
				 &done, &err);
	result = status == RFS_EXIT_OK		  ? "archived"
		 : status == RFS_EXIT_INTERRUPTED ? "interrupted"
						  : "failed";
	r = rfs_cli_result_add(results, path, result,
			       status == RFS_EXIT_OK ? NULL
			       : done.reason	     ? done.reason
						     : err.msg,
			       done.id ? &done : &e);
	rfs_entry_release(&e);
	rfs_entry_release(&done);
	if (r < 0 && status == RFS_EXIT_OK)
		status = rfs_cli_fail(NULL, r);
	return status;
}

int cmd_archive(int argc, char **argv)
{
	return rfs_cli_job_each("archive", usage, argc, argv, archive_one);
}
