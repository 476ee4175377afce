/*
 * recyclefs catalog export|apply: the catalog as a file to keep in git and
 * review, and the changes that bring the index to such a file.
 */
#include "tools/cli.h"

#include "core/journal_file.h"
#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs catalog export [--format json]\n"
	"       recyclefs catalog apply FILE [--dry-run]\n"
	"\n"
	"export  print the whole catalog as JSON: storages (URIs, never a\n"
	"        secret), tables with classifications, lifecycles in order\n"
	"        with their epochs, and the configuration (see\n"
	"        docs/catalog-file.md).\n"
	"apply   make the catalog match FILE ('-' for stdin). The file is\n"
	"        checked whole first (unknown keys, wrong types, bad names or\n"
	"        dates, overlapping epochs, credentials in a URI, a newer\n"
	"        version, removals that would orphan bin entries: refused,\n"
	"        nothing changed); then the plan is printed (add / change /\n"
	"        remove), then made in one transaction: a failure or a kill\n"
	"        leaves the old catalog, never a part of the plan. A second\n"
	"        apply of the same file changes nothing. --dry-run prints\n"
	"        the plan only.\n"
	"\n"
	"Every sub-command also takes --index PATH, -v and -h.\n";

static int catalog_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "catalog export",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	json_t *doc = NULL;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'f' && strcmp(optarg, "json"))
			return rfs_cli_usage_error(g.cmd,
						   "--format '%s': only json "
						   "is supported",
						   optarg);
	}
	status = rfs_cli_operands(&g, argc, argv, 0, 0, "no operand");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_catalog_file_export(idx, &doc, &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	return rfs_cli_print_json(doc);
}

static int catalog_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "catalog apply",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_catalog_plan plan = { 0 };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	json_error_t jerr;
	json_t *doc;
	bool dry = false;
	size_t i, done = 0;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'n')
			dry = true;
	}
	status = rfs_cli_operands(&g, argc, argv, 1, 1, "FILE");
	if (status)
		return status;
	doc = strcmp(argv[optind], "-")
		      ? json_load_file(argv[optind], JSON_REJECT_DUPLICATES,
				       &jerr)
		      : json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		rfs_error_set(&err, EINVAL, "'%s': %s (line %d)", argv[optind],
			      jerr.text, jerr.line);
		return rfs_cli_fail(&err, -EINVAL);
	}
	status = rfs_cli_open_index(&idx);
	if (status) {
		json_decref(doc);
		return status;
	}
	r = rfs_catalog_file_plan(idx, doc, &plan, &err);
	json_decref(doc);
	if (r < 0) {
		rfs_index_free(idx);
		return rfs_cli_fail(&err, r);
	}
	for (i = 0; i < plan.n; i++)
		printf("%s\n", rfs_cli_esc(rfs_catalog_step_text(&plan, i)));
	if (!plan.n)
		printf("nothing to change: the catalog matches '%s'\n",
		       argv[optind]);
	else if (dry)
		printf("%zu change%s planned (dry run: nothing changed)\n",
		       plan.n, plan.n == 1 ? "" : "s");
	r = dry ? 0 : rfs_catalog_plan_apply(idx, &plan, &done, &err);
	if (!dry && plan.n && r == 0)
		printf("%zu change%s made\n", done, done == 1 ? "" : "s");
	rfs_catalog_plan_release(&plan);
	rfs_index_free(idx);
	if (r < 0) {
		rfs_error_prefix(&err, "nothing was changed");
		return rfs_cli_fail(&err, r);
	}
	return RFS_EXIT_OK;
}

int cmd_catalog(int argc, char **argv)
{
	static const struct rfs_cli_command verbs[] = {
		{ "export", catalog_export, "print the catalog as a file" },
		{ "apply", catalog_apply, "make the catalog match a file" },
		{ NULL, NULL, NULL },
	};

	return rfs_cli_dispatch("catalog", usage, verbs, argc, argv);
}
