/*
 * recyclefs history: the change log of the catalog, oldest first.
 */
#include "tools/cli.h"

#include "core/history.h"
#include "core/json_name.h"
#include "index/index.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs history [--json]\n"
	"       recyclefs history TABLE [LIFECYCLE] [--json]\n"
	"\n"
	"Show every change made to the catalog and the configuration, oldest\n"
	"first: its number, time (UTC), action, subject and details. --json\n"
	"prints {\"history\":[...]} (see docs/cli.md).\n"
	"\n"
	"With TABLE: how its lifecycles and their epochs changed over time\n"
	"(lifecycles added and removed; epochs added, closed, re-pointed and\n"
	"removed, with dates and locations), of one LIFECYCLE if given.\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

/* What the walk of every record builds: a JSON array or text rows. */
struct walk {
	json_t *arr;		  /**< --json */
	struct rfs_cli_table *tb; /**< text */
	int n;			  /**< records kept */
};

/* One change of a table's lifecycles as a text row of `history TABLE`. */
static int add_lifecycle_row(void *ctx, const struct rfs_history_record *rec,
			     const char *lc, const char *ep, json_t *d)
{
	const char *was = json_string_value(json_object_get(d, "was"));
	const char *now = json_string_value(json_object_get(d, "now"));
	const char *st = json_string_value(json_object_get(d, "storage"));
	const char *path = json_string_value(json_object_get(d, "path"));
	char id[24], at[32], change[1024];

	if (!strcmp(rec->action, "epoch.add"))
		snprintf(change, sizeof(change), "on storage '%s' at '%s'",
			 st ? st : "?", path ? path : "");
	else if (!strcmp(rec->action, "epoch.close"))
		snprintf(change, sizeof(change), "now %s", now ? now : "?");
	else if (!strcmp(rec->action, "epoch.repoint"))
		snprintf(change, sizeof(change), "from %s to %s",
			 was ? was : "?", now ? now : "?");
	else if (!strcmp(rec->action, "epoch.remove"))
		snprintf(change, sizeof(change), "was %s", was ? was : "?");
	else
		change[0] = '\0';
	snprintf(id, sizeof(id), "%" PRId64, rec->id);
	rfs_time_format(rec->at_ns, at, sizeof(at));
	{
		const char *row[] = { id,
				      at,
				      rec->action,
				      lc,
				      ep ? ep : "-",
				      change[0] ? change : NULL };

		rfs_cli_table_add(ctx, row);
	}
	return 0;
}

static int add_json(const struct rfs_history_record *rec, json_t *arr)
{
	char at[32];
	json_t *detail = NULL, *o;

	if (rec->detail && rec->detail[0]) {
		/* Recorded by core as a JSON object; keep text otherwise. */
		detail = json_loads(rec->detail, 0, NULL);
		if (!detail)
			detail = json_string(rec->detail);
		if (!detail)
			return -ENOMEM;
	}
	rfs_time_format(rec->at_ns, at, sizeof(at));
	o = json_pack("{s:I, s:s, s:s, s:o, s:o?}", "id", (json_int_t)rec->id,
		      "at", at, "action", rec->action, "subject",
		      rfs_json_name(rec->subject), "detail", detail);
	return json_array_append_new(arr, o) < 0 ? -ENOMEM : 0;
}

static int add_row(const struct rfs_history_record *rec,
		   struct rfs_cli_table *tb)
{
	char id[24], at[32];
	const char *row[] = { id, at, rec->action, rec->subject,
			      rec->detail && rec->detail[0] ? rec->detail
							    : NULL };

	snprintf(id, sizeof(id), "%" PRId64, rec->id);
	rfs_time_format(rec->at_ns, at, sizeof(at));
	rfs_cli_table_add(tb, row);
	return 0;
}

static int record(const struct rfs_history_record *rec, void *ctx)
{
	struct walk *w = ctx;

	w->n++;
	return w->arr ? add_json(rec, w->arr) : add_row(rec, w->tb);
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		RFS_CLI_COMMON_OPTIONS,
	};
	static const char *const header[] = { "ID", "AT", "ACTION", "SUBJECT",
					      "DETAIL" };
	static const char *const lc_header[] = {
		"ID", "AT", "ACTION", "LIFECYCLE", "EPOCH", "CHANGE"
	};
	struct rfs_cli_getopt g = { .cmd = "history",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_cli_table tb;
	struct walk w = { NULL, &tb, 0 };
	struct rfs_history_lc lc = { .each = add_lifecycle_row, .ctx = &tb };
	struct rfs_index *idx;
	bool json = false;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'j')
			json = true;
	}
	status = rfs_cli_operands(&g, argc, argv, 0, 2, "[TABLE [LIFECYCLE]]");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	if (optind < argc)
		lc.table = argv[optind];
	if (optind + 1 < argc)
		lc.lifecycle = argv[optind + 1];
	rfs_cli_table_init(&tb, lc.table ? 6 : 5);
	rfs_cli_table_add(&tb, lc.table ? lc_header : header);
	if (json && !(w.arr = lc.arr = json_array())) {
		rfs_index_free(idx);
		rfs_cli_table_release(&tb);
		return rfs_cli_fail(NULL, -ENOMEM);
	}
	if (json)
		lc.each = NULL;
	r = lc.table ? rfs_index_history_list(idx, rfs_history_lc_record, &lc,
					      &err)
		     : rfs_index_history_list(idx, record, &w, &err);
	rfs_index_free(idx);
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	else if (lc.table && !lc.n) {
		if (lc.lifecycle)
			rfs_error_set(&err, ENOENT,
				      "no history of lifecycle '%s/%s'",
				      lc.table, lc.lifecycle);
		else
			rfs_error_set(&err, ENOENT,
				      "no history of the lifecycles of table "
				      "'%s'",
				      lc.table);
		status = rfs_cli_fail(&err, -ENOENT);
	} else if (json && lc.table)
		status = rfs_cli_print_json(rfs_history_lc_doc(&lc, NULL));
	else if (json)
		status = rfs_cli_print_json(
			json_pack("{s:O}", "history", w.arr));
	else if (tb.ncells > tb.ncols)
		status = rfs_cli_table_print(&tb, stdout);
	else
		puts("no changes yet");
	json_decref(w.arr);
	rfs_cli_table_release(&tb);
	return status;
}
