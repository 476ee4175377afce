/*
 * recyclefs: the command line. Parses the global options, then runs the
 * command named by the first operand from the commands[] table; each
 * command parses the rest of the line itself (tools/cmd_<verb>.c).
 */
#include "rfs_config.h"
#include "backends/backend.h"
#include "core/ports.h"
#include "tools/cli.h"

#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const struct rfs_cli_command commands[] = {
	{ "init", cmd_init, "create the index" },
	{ "storage", cmd_storage, "register and list storages" },
	{ "table", cmd_table, "add, classify and list tables" },
	{ "lifecycle", cmd_lifecycle, "add a lifecycle to a table" },
	{ "epoch", cmd_epoch,
	  "add, close and re-point the storage epochs of a lifecycle" },
	{ "ls", cmd_ls, "show the catalog as a tree" },
	{ "config", cmd_config, "set, get, unset and list configuration" },
	{ "history", cmd_history, "show the catalog's change log" },
	{ "catalog", cmd_catalog, "export the catalog, apply a catalog file" },
	{ "mount", cmd_mount, "mount the catalog as a filesystem" },
	{ "archive", cmd_archive, "move items into the recycle bin" },
	{ "status", cmd_status, "show the recycle bin's entries and jobs" },
	{ "wait", cmd_wait, "wait for recycle jobs to end" },
	{ "retry", cmd_retry, "restart failed archives" },
	{ "resume", cmd_resume, "run waiting recycle jobs here" },
	{ "purge", cmd_purge, "delete recycle entries for good" },
	{ "reindex", cmd_reindex, "rebuild the bin's entries from manifests" },
	{ "restore", cmd_restore, "copy items out of the recycle bin" },
	{ "complete", cmd_complete,
	  "print catalog names for shell completion" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	const struct rfs_cli_command *c;

	fputs("usage: recyclefs [--index PATH] [-v|--verbose] COMMAND [ARGS]\n"
	      "       recyclefs --version\n"
	      "       recyclefs COMMAND --help\n"
	      "\n"
	      "commands:\n",
	      f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\n"
	      "The index is --index PATH, else $RECYCLEFS_INDEX, else\n"
	      "$XDG_DATA_HOME/recyclefs/index.db, else\n"
	      "~/.local/share/recyclefs/index.db.\n"
	      "\n"
	      "Exit status: 0 success, 1 error, 2 usage error, 130 a job\n"
	      "stopped by SIGINT or SIGTERM at a safe point.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "index", required_argument, NULL, RFS_CLI_OPT_INDEX },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct rfs_cli_command *c;
	int opt;

	rfs_log_set_ident("recyclefs");
	/* Core's use cases open storages with every adapter of this build. */
	rfs_ports_set_backends(&rfs_backend_registry);
	opterr = 0;
	/* '+': stop at the command name, whose options are its own. */
	while ((opt = getopt_long(argc, argv, "+:hv", opts, NULL)) != -1) {
		switch (opt) {
		case RFS_CLI_OPT_INDEX:
			rfs_cli_set_index(optarg);
			break;
		case 'v':
			rfs_cli_set_verbose();
			break;
		case 'h':
			usage(stdout);
			return rfs_cli_finish(RFS_EXIT_OK);
		case 'V':
			printf("recyclefs %s\nbuilt with %s\n", RFS_VERSION,
			       RFS_BUILT_WITH);
			return rfs_cli_finish(RFS_EXIT_OK);
		case ':':
			return rfs_cli_usage_error(NULL,
						   "option '%s' needs a value",
						   argv[optind - 1]);
		default:
			return rfs_cli_usage_error(NULL, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return RFS_EXIT_USAGE;
	}
	for (c = commands; c->name; c++)
		if (!strcmp(c->name, argv[optind]))
			return rfs_cli_finish(
				c->fn(argc - optind, argv + optind));
	return rfs_cli_usage_error(NULL, "unknown command '%s'", argv[optind]);
}
