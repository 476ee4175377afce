/*
 * recyclefs status: the recycle bin's entries, their jobs' states and
 * progress, and why the failed ones failed.
 */
#include "tools/cli.h"
#include "tools/cli_job.h"

#include "model/entry.h"
#include "core/jobs.h"
#include "core/json_name.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/parts.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs status [--all] [--json]\n"
	"\n"
	"Show the recycle bin's entries: bin path, state, progress, when the\n"
	"source was removed (archived at) and, for failed ones, why. By\n"
	"default: every job not finished (archiving, failed, purging) and the\n"
	"entries archived in the last 24 hours, and those with parts removed\n"
	"by rm still queued for purging (how many, since when, and why their\n"
	"last batch failed). A job marked (waiting) has no process running it:\n"
	"'recyclefs resume' or a mount runs it.\n"
	"\n"
	"  --all   every entry, purged ones included\n"
	"  --json  print {\"entries\":[...]} instead (see docs/cli.md)\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

/** Archived entries younger than this are shown without --all. */
#define RECENT_NS (24LL * 3600 * RFS_NSEC_PER_SEC)

struct walk {
	bool all;
	int64_t now;
	struct rfs_index *idx;
	json_t *arr;		  /**< --json */
	struct rfs_cli_table *tb; /**< text */
	size_t shown, waiting, queueing;
};

static bool shown(const struct walk *w, const struct rfs_entry *e,
		  const struct rfs_index_part_status *ps)
{
	if (w->all || e->state != RFS_ENTRY_ARCHIVED || ps->queued)
		return true;
	return e->deleted_ns >= w->now - RECENT_NS;
}

/* "; N parts queued since T" after the progress of an entry whose parts
 * removed with rm are not purged yet. */
static void add_parts_progress(char *progress, size_t size,
			       const struct rfs_index_part_status *ps)
{
	size_t n = strlen(progress);
	char since[32];

	if (!ps->queued || n >= size)
		return;
	rfs_time_format(ps->oldest_ns, since, sizeof(since));
	snprintf(progress + n, size - n,
		 "; %" PRId64 " part%s queued for purging since %s", ps->queued,
		 ps->queued == 1 ? "" : "s", since);
}

/* The entry's reason, and why the last batch of its queued parts
 * failed; malloc'ed, or NULL when neither. */
static char *row_reason(const struct rfs_entry *e,
			const struct rfs_index_part_status *ps)
{
	char at[32], *out = NULL;

	if (!ps->reason)
		return e->reason ? strdup(e->reason) : NULL;
	rfs_time_format(ps->retry_ns, at, sizeof(at));
	if (asprintf(&out,
		     "%s%spurge of the queued parts failed (%" PRId64
		     " attempt%s, next at %s): %s",
		     e->reason ? e->reason : "", e->reason ? "; " : "",
		     ps->attempts, ps->attempts == 1 ? "" : "s", at,
		     ps->reason) < 0)
		out = NULL;
	return out;
}

static void add_row(struct walk *w, const struct rfs_entry *e,
		    const struct rfs_index_part_status *ps)
{
	char state[48], progress[192], at[32], dn[16], tot[16];
	bool waiting = rfs_entry_state_runnable(e->state) &&
		       rfs_job_lease_free(e, w->now);
	char *reason = row_reason(e, ps);
	const char *row[] = { e->bin_path, state, progress,
			      e->deleted_ns ? at : NULL,
			      reason ? reason : e->reason };

	if (e->state == RFS_ENTRY_FAILED)
		snprintf(state, sizeof(state), "failed (%s)",
			 rfs_entry_state_name(e->failed_step));
	else
		snprintf(state, sizeof(state), "%s%s",
			 rfs_entry_state_name(e->state),
			 waiting ? " (waiting)" : "");
	w->waiting += waiting;
	rfs_cli_size_format(e->bytes_done, dn, sizeof(dn));
	rfs_cli_size_format(e->bytes_total, tot, sizeof(tot));
	if (e->state == RFS_ENTRY_SYNC || e->state == RFS_ENTRY_VERIFY)
		snprintf(progress, sizeof(progress),
			 "%" PRId64 "/%" PRId64 " files, %s/%s", e->files_done,
			 e->files_total, dn, tot);
	else if (rfs_entry_state_runnable(e->state))
		snprintf(progress, sizeof(progress),
			 "%" PRId64 "/%" PRId64 " files, %s", e->files_done,
			 e->files_total, tot);
	else
		snprintf(progress, sizeof(progress), "%" PRId64 " file%s, %s",
			 e->files_total, e->files_total == 1 ? "" : "s", tot);
	add_parts_progress(progress, sizeof(progress), ps);
	rfs_time_format(e->deleted_ns, at, sizeof(at));
	rfs_cli_table_add(w->tb, row);
	free(reason);
}

/* The entry as in every --json answer, with its queue of parts. */
static json_t *entry_json(const struct rfs_entry *e,
			  const struct rfs_index_part_status *ps)
{
	json_t *o = rfs_cli_entry_json(e);
	char since[32], retry[32];

	if (!o)
		return NULL;
	rfs_time_format(ps->oldest_ns, since, sizeof(since));
	rfs_time_format(ps->retry_ns, retry, sizeof(retry));
	if (json_object_set_new(o, "parts_queued",
				json_integer((json_int_t)ps->queued)) ||
	    json_object_set_new(o, "parts_queued_since",
				ps->queued ? json_string(since)
					   : json_null()) ||
	    json_object_set_new(o, "parts_attempts",
				json_integer((json_int_t)ps->attempts)) ||
	    json_object_set_new(o, "parts_reason",
				ps->reason ? rfs_json_text(ps->reason)
					   : json_null()) ||
	    json_object_set_new(o, "parts_retry_at",
				ps->reason ? json_string(retry)
					   : json_null())) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int visit(const struct rfs_entry *e, void *ctx)
{
	struct rfs_index_part_status ps = { 0 };
	struct rfs_error err = { 0 };
	struct walk *w = ctx;
	int r = 0;

	/* Parts are queued (by rm in a mount) in archived entries only. */
	if (e->state == RFS_ENTRY_ARCHIVED)
		r = rfs_index_part_status(w->idx, e->id, &ps, &err);
	if (r < 0)
		return r;
	if (shown(w, e, &ps)) {
		w->shown++;
		w->queueing += ps.queued > 0;
		if (w->arr)
			r = json_array_append_new(w->arr, entry_json(e, &ps))
				    ? -ENOMEM
				    : 0;
		else
			add_row(w, e, &ps);
	}
	free(ps.reason);
	return r;
}

static int print_text(struct walk *w)
{
	int status;

	if (!w->shown) {
		puts(w->all ? "the recycle bin is empty"
			    : "no running or failed jobs, nothing archived in "
			      "the last 24 h ('recyclefs status --all' lists "
			      "every entry)");
		return RFS_EXIT_OK;
	}
	status = rfs_cli_table_print(w->tb, stdout);
	if (status == RFS_EXIT_OK && w->waiting)
		printf("%zu job%s wait%s for a process: run 'recyclefs "
		       "resume' or mount the catalog\n",
		       w->waiting, w->waiting == 1 ? "" : "s",
		       w->waiting == 1 ? "s" : "");
	if (status == RFS_EXIT_OK && w->queueing)
		printf("%zu entr%s ha%s parts removed with rm not purged yet: "
		       "a mount's workers or 'recyclefs resume' purge them "
		       "('recyclefs wait' waits for them)\n",
		       w->queueing, w->queueing == 1 ? "y" : "ies",
		       w->queueing == 1 ? "s" : "ve");
	return status;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		RFS_CLI_COMMON_OPTIONS,
	};
	static const char *const header[] = { "BIN PATH", "STATE", "PROGRESS",
					      "ARCHIVED AT", "REASON" };
	struct rfs_cli_getopt g = { .cmd = "status",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_cli_table tb;
	struct walk w = { .tb = &tb };
	struct rfs_index *idx;
	bool json = false;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'a')
			w.all = true;
		else if (c == 'j')
			json = true;
	}
	status = rfs_cli_operands(&g, argc, argv, 0, 0, "no operand");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	rfs_cli_table_init(&tb, 5);
	rfs_cli_table_add(&tb, header);
	if (json && !(w.arr = json_array())) {
		rfs_index_free(idx);
		return rfs_cli_fail(NULL, -ENOMEM);
	}
	w.now = rfs_time_now_ns();
	w.idx = idx;
	r = rfs_index_entry_list(
		idx, w.all ? RFS_INDEX_ENTRIES_ALL : RFS_INDEX_ENTRIES_LIVE,
		NULL, visit, &w, &err);
	rfs_index_free(idx);
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	else if (json)
		status = rfs_cli_print_json(
			json_pack("{s:O}", "entries", w.arr));
	else
		status = print_text(&w);
	json_decref(w.arr);
	rfs_cli_table_release(&tb);
	return status;
}
