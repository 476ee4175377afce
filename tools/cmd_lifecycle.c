/*
 * recyclefs lifecycle add: add a stage (raw, bronze, silver, ...) to a
 * table, ranked by --order.
 */
#include "tools/cli.h"

#include "core/edit.h"
#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: recyclefs lifecycle add TABLE NAME [--order N]\n"
	"       recyclefs lifecycle remove TABLE NAME\n"
	"\n"
	"add  add lifecycle NAME to TABLE. Lifecycles are listed by --order\n"
	"     (an integer from 0), then by name; without --order the new\n"
	"     lifecycle comes after the existing ones.\n"
	"remove  remove lifecycle NAME of TABLE; refused while it has\n"
	"     epochs or bin entries that are not purged.\n"
	"\n"
	"Every sub-command also takes --index PATH, -v and -h.\n";

static int lifecycle_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "order", required_argument, NULL, 'o' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "lifecycle add",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	int order = -1, c, r, status;
	char *end;
	long n;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c != 'o')
			continue;
		errno = 0;
		n = strtol(optarg, &end, 10);
		if (!*optarg || *end || errno || n < 0 || n > INT_MAX)
			return rfs_cli_usage_error(g.cmd,
						   "--order '%s' is not a "
						   "number from 0",
						   optarg);
		order = (int)n;
	}
	status = rfs_cli_operands(&g, argc, argv, 2, 2, "TABLE NAME");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_edit_lifecycle_add(idx, argv[optind], argv[optind + 1], order,
				   &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("added lifecycle '%s/%s'\n", argv[optind], argv[optind + 1]);
	return RFS_EXIT_OK;
}

static int lifecycle_remove_edit(struct rfs_index *idx, char *const *names,
				 struct rfs_error *err)
{
	return rfs_edit_lifecycle_remove(idx, names[0], names[1], err);
}

static int lifecycle_remove(int argc, char **argv)
{
	return rfs_cli_remove(argc, argv, "lifecycle", usage, "TABLE NAME", 2,
			      lifecycle_remove_edit);
}

int cmd_lifecycle(int argc, char **argv)
{
	static const struct rfs_cli_command verbs[] = {
		{ "add", lifecycle_add, "add a lifecycle to a table" },
		{ "remove", lifecycle_remove,
		  "remove a lifecycle without epochs" },
		{ NULL, NULL, NULL },
	};

	return rfs_cli_dispatch("lifecycle", usage, verbs, argc, argv);
}
