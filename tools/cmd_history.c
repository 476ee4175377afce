/*
 * recyclefs history: the change log of the catalog, oldest first.
 */
#include "tools/cli.h"

#include "core/json_name.h"
#include "index/index.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>

static const char usage[] =
	"usage: recyclefs history [--json]\n"
	"\n"
	"Show every change made to the catalog and the configuration, oldest\n"
	"first: its number, time (UTC), action, subject and details. --json\n"
	"prints {\"history\":[...]} (see docs/cli.md).\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

/* What the walk builds: a JSON array or text rows. */
struct walk {
	json_t *arr;		  /**< --json */
	struct rfs_cli_table *tb; /**< text */
};

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
	struct rfs_cli_getopt g = { .cmd = "history",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_cli_table tb;
	struct walk w = { NULL, &tb };
	struct rfs_index *idx;
	bool json = false;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'j')
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
		rfs_cli_table_release(&tb);
		return rfs_cli_fail(NULL, -ENOMEM);
	}
	r = rfs_index_history_list(idx, record, &w, &err);
	rfs_index_free(idx);
	if (r < 0)
		status = rfs_cli_fail(&err, r);
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
