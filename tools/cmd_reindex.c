/*
 * recyclefs reindex: rebuild the recycle bin's entries in the index from
 * the manifests kept beside the data in every storage's recycle location.
 */
#include "tools/cli.h"

#include "core/json_name.h"
#include "core/archive.h"
#include "core/journal.h"
#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs reindex [--from URI] [--json]\n"
	"\n"
	"With --from, rebuild a lost index from one storage or recycle URI\n"
	"recyclefs wrote to: 'recyclefs init', then 'recyclefs reindex --from\n"
	"URI' reads the newest complete catalog snapshot there\n"
	"(.recyclefs/catalog/, docs/catalog-journal.md) and brings back the\n"
	"storages, tables, classifications, lifecycles, epochs, history,\n"
	"configuration, purged entries and restores, then the entries of\n"
	"every storage's manifests. A URI with no catalog is refused and\n"
	"nothing is written. An index that has a catalog keeps it.\n"
	"\n"
	"Without --from, read the manifests in the recycle location of\n"
	"every storage (.recyclefs/manifests/UUID.json) and add the entries\n"
	"the index does not have, e.g. after the index was lost:\n"
	"'recyclefs init', add the storages again with the same URIs, then\n"
	"reindex. Entries already\n"
	"indexed are left alone; corrupt manifests and manifests of a newer\n"
	"format are reported and skipped. One line per manifest, then a\n"
	"summary.\n"
	"\n"
	"  --from URI  rebuild the catalog from the snapshot under URI first\n"
	"  --json  print {\"manifests\":[...],\"added\":N,...} instead (see\n"
	"          docs/cli.md)\n"
	"\n"
	"Exit status 0 even when manifests were skipped; 1 only when the\n"
	"index could not be read or written.\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

struct tally {
	json_t *arr;  /**< --json */
	json_t *torn; /**< --json: snapshots skipped */
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

static void skipped_snapshot(void *ctx, const char *key, const char *reason)
{
	struct tally *t = ctx;

	if (t->torn) {
		if (json_array_append_new(t->torn,
					  json_pack("{s:s, s:s}", "snapshot",
						    key, "reason", reason)) &&
		    !t->r)
			t->r = -ENOMEM;
		return;
	}
	fprintf(stderr,
		"recyclefs: catalog snapshot '%s' skipped: %s; using the one "
		"before it\n",
		key, reason);
}

int cmd_reindex(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "from", required_argument, NULL, 'f' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "reindex",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct tally t = { 0 };
	struct rfs_reindex_from_report rep = { 0 };
	struct rfs_index *idx;
	const char *from = NULL;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'j' && !t.arr &&
		    (!(t.arr = json_array()) || !(t.torn = json_array())))
			return rfs_cli_fail(NULL, -ENOMEM);
		if (c == 'f')
			from = optarg;
	}
	status = rfs_cli_operands(&g, argc, argv, 0, 0, "no operand");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status) {
		json_decref(t.torn);
		json_decref(t.arr);
		return status;
	}
	if (from)
		r = rfs_reindex_from(idx, from, reported, skipped_snapshot, &t,
				     &rep, &err);
	else
		r = rfs_reindex(idx, reported, &t, NULL, &err);
	rfs_index_free(idx);
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	else if (t.r < 0)
		status = rfs_cli_fail(NULL, t.r);
	else if (t.arr && from)
		status = rfs_cli_print_json(json_pack(
			"{s:{s:s?, s:b, s:O, s:i}, s:O, s:i, s:i, s:i}",
			"catalog", "snapshot", rep.snapshot, "loaded",
			rep.catalog_loaded, "skipped_snapshots", t.torn,
			"restores_not_restored", rep.restores_skipped,
			"manifests", t.arr, "added", t.added, "already_indexed",
			t.already, "skipped", t.skipped));
	else if (t.arr)
		status = rfs_cli_print_json(
			json_pack("{s:O, s:i, s:i, s:i}", "manifests", t.arr,
				  "added", t.added, "already_indexed",
				  t.already, "skipped", t.skipped));
	else {
		if (from && rep.catalog_loaded)
			printf("catalog rebuilt from '%s'\n",
			       rfs_cli_esc(rep.snapshot));
		else if (from)
			printf("the index has a catalog already: kept it; "
			       "entries only\n");
		if (rep.restores_skipped)
			printf("%d restore record%s left out: %s entr%s did "
			       "not come back\n",
			       rep.restores_skipped,
			       rep.restores_skipped == 1 ? "" : "s",
			       rep.restores_skipped == 1 ? "its" : "their",
			       rep.restores_skipped == 1 ? "y" : "ies");
		printf("%d entr%s added, %d already indexed, %d skipped\n",
		       t.added, t.added == 1 ? "y" : "ies", t.already,
		       t.skipped);
	}
	free(rep.snapshot);
	json_decref(t.torn);
	json_decref(t.arr);
	return status;
}
