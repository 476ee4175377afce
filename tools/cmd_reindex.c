/*
 * recyclefs reindex: rebuild the recycle bin's entries in the index from
 * the manifests kept beside the data in every storage's recycle location.
 */
#include "tools/cli.h"

#include "core/json_name.h"
#include "core/archive.h"
#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs reindex [--json]\n"
	"\n"
	"Read the manifests in the recycle location of every storage\n"
	"(.recyclefs/manifests/UUID.json) and add the entries the index does\n"
	"not have, e.g. after the index was lost: 'recyclefs init', add the\n"
	"storages again with the same URIs, then reindex. Entries already\n"
	"indexed are left alone; corrupt manifests and manifests of a newer\n"
	"format are reported and skipped. One line per manifest, then a\n"
	"summary.\n"
	"\n"
	"  --json  print {\"manifests\":[...],\"added\":N,...} instead (see\n"
	"          docs/cli.md)\n"
	"\n"
	"Exit status 0 even when manifests were skipped; 1 only when the\n"
	"index could not be read or written.\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

struct tally {
	json_t *arr; /**< --json */
	int added, already, skipped;
	int r; /**< the first out-of-memory */
};

static void reported(void *ctx, const struct rfs_reindex_report *rep)
{
	struct tally *t = ctx;
	const char *result = rep->result == 0	      ? "added"
			     : rep->result == -EEXIST ? "already_indexed"
						      : "skipped";
	const char *reason = rep->reason && *rep->reason
				     ? rep->reason
				     : strerror(-rep->result);

	if (rep->result == 0)
		t->added++;
	else if (rep->result == -EEXIST)
		t->already++;
	else
		t->skipped++;
	if (t->arr) {
		json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:o?}", "storage",
				      rep->storage, "manifest", rep->manifest,
				      "bin_path", rfs_json_name(rep->bin_path),
				      "result", result, "reason",
				      rep->result && rep->result != -EEXIST
					      ? rfs_json_text(reason)
					      : NULL);

		if (json_array_append_new(t->arr, o) && !t->r)
			t->r = -ENOMEM;
		return;
	}
	if (rep->result == 0)
		printf("added '.recyclebin/%s'\n", rfs_cli_esc(rep->bin_path));
	else if (rep->result == -EEXIST)
		printf("already indexed '.recyclebin/%s'\n",
		       rfs_cli_esc(rep->bin_path));
	else
		printf("skipped '%s' in storage '%s': %s\n", rep->manifest,
		       rep->storage, rfs_cli_esc(reason));
}

int cmd_reindex(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "reindex",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct tally t = { 0 };
	struct rfs_index *idx;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'j' && !t.arr && !(t.arr = json_array()))
			return rfs_cli_fail(NULL, -ENOMEM);
	}
	status = rfs_cli_operands(&g, argc, argv, 0, 0, "no operand");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status) {
		json_decref(t.arr);
		return status;
	}
	r = rfs_reindex(idx, reported, &t, NULL, &err);
	rfs_index_free(idx);
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	else if (t.r < 0)
		status = rfs_cli_fail(NULL, t.r);
	else if (t.arr)
		status = rfs_cli_print_json(
			json_pack("{s:O, s:i, s:i, s:i}", "manifests", t.arr,
				  "added", t.added, "already_indexed",
				  t.already, "skipped", t.skipped));
	else
		printf("%d entr%s added, %d already indexed, %d skipped\n",
		       t.added, t.added == 1 ? "y" : "ies", t.already,
		       t.skipped);
	json_decref(t.arr);
	return status;
}
