/*
 * recyclefs epoch add|close|repoint: where a lifecycle's data lived over
 * time. Epochs are half-open date ranges [from, to) that never overlap;
 * at most one per lifecycle is open (..now).
 */
#include "tools/cli.h"

#include "model/date.h"
#include "core/edit.h"
#include "index/index.h"
#include "util/error.h"

#include <stdlib.h>

static const char usage[] =
	"usage: recyclefs epoch add TABLE LIFECYCLE --from DATE [--to DATE]\n"
	"                 --storage NAME [--path SUBPATH] [--create]\n"
	"       recyclefs epoch close TABLE LIFECYCLE --at DATE\n"
	"       recyclefs epoch repoint TABLE LIFECYCLE EPOCH --storage NAME\n"
	"                 [--path SUBPATH]\n"
	"       recyclefs epoch remove TABLE LIFECYCLE EPOCH\n"
	"\n"
	"add      add the epoch [--from, --to) of TABLE/LIFECYCLE, stored on\n"
	"         storage NAME under SUBPATH (default: its root). Without\n"
	"         --to (or with --to now) the epoch is open. It must not\n"
	"         overlap another epoch of the lifecycle, which may have only\n"
	"         one open epoch. Its folder must not be inside or contain\n"
	"         another epoch's folder or a recycle storage (other than its\n"
	"         own storage's bin, which a mount hides). On file storage\n"
	"         the directory must exist; --create makes it.\n"
	"close    end the lifecycle's open epoch at DATE (exclusive): the\n"
	"         next epoch may start at DATE.\n"
	"repoint  point EPOCH (its name, 2001-01-01..2010-01-01) at another\n"
	"         storage or sub-path, after its data was moved there; without\n"
	"         --path the sub-path is kept.\n"
	"remove   remove EPOCH from the catalog; refused while bin entries\n"
	"         archived from it are not purged, a restore into it runs,\n"
	"         or its folder holds files (its data is never deleted).\n"
	"\n"
	"Dates are YYYY-MM-DD. Every sub-command also takes --index PATH, -v\n"
	"and -h.\n";

/* Options shared by the three verbs. */
enum {
	OPT_FROM = 'f',
	OPT_TO = 't',
	OPT_AT = 'a',
	OPT_STORAGE = 's',
	OPT_PATH = 'p',
	OPT_CREATE = 'C',
};

static int epoch_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "storage", required_argument, NULL, OPT_STORAGE },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "create", no_argument, NULL, OPT_CREATE },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "epoch add",
				    .usage = usage,
				    .longopts = opts };
	const char *from_s = NULL, *to_s = NULL, *storage = NULL, *path = "";
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	unsigned flags = 0;
	int32_t from, to = RFS_DATE_NOW;
	char name[RFS_RANGE_STRLEN];
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		switch (c) {
		case RFS_CLI_STOP:
			return g.status;
		case OPT_FROM:
			from_s = optarg;
			break;
		case OPT_TO:
			to_s = optarg;
			break;
		case OPT_STORAGE:
			storage = optarg;
			break;
		case OPT_PATH:
			path = optarg;
			break;
		case OPT_CREATE:
			flags |= RFS_EDIT_EPOCH_CREATE;
			break;
		}
	}
	status = rfs_cli_operands(&g, argc, argv, 2, 2, "TABLE LIFECYCLE");
	if (status)
		return status;
	if (!from_s)
		return rfs_cli_usage_error(g.cmd, "--from DATE is required");
	if (!storage)
		return rfs_cli_usage_error(g.cmd, "--storage NAME is required");
	r = rfs_cli_parse_date("--from", from_s, false, &from, &err);
	if (r == 0 && to_s)
		r = rfs_cli_parse_date("--to", to_s, true, &to, &err);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_edit_epoch_add(idx, argv[optind], argv[optind + 1], from, to,
			       storage, path, flags, &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("added epoch '%s/%s/%s' on storage '%s'\n", argv[optind],
	       argv[optind + 1], rfs_epoch_range_format(from, to, name),
	       storage);
	return RFS_EXIT_OK;
}

static int epoch_close(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, OPT_AT },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "epoch close",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	const char *at_s = NULL;
	int32_t at;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == OPT_AT)
			at_s = optarg;
	}
	status = rfs_cli_operands(&g, argc, argv, 2, 2, "TABLE LIFECYCLE");
	if (status)
		return status;
	if (!at_s)
		return rfs_cli_usage_error(g.cmd, "--at DATE is required");
	r = rfs_cli_parse_date("--at", at_s, false, &at, &err);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_edit_epoch_close(idx, argv[optind], argv[optind + 1], at, &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("closed the open epoch of '%s/%s' at %s\n", argv[optind],
	       argv[optind + 1], at_s);
	return RFS_EXIT_OK;
}

static int epoch_repoint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "storage", required_argument, NULL, OPT_STORAGE },
		{ "path", required_argument, NULL, OPT_PATH },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "epoch repoint",
				    .usage = usage,
				    .longopts = opts };
	const char *storage = NULL, *path = NULL;
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == OPT_STORAGE)
			storage = optarg;
		else if (c == OPT_PATH)
			path = optarg;
	}
	status =
		rfs_cli_operands(&g, argc, argv, 3, 3, "TABLE LIFECYCLE EPOCH");
	if (status)
		return status;
	if (!storage)
		return rfs_cli_usage_error(g.cmd, "--storage NAME is required");
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_edit_epoch_repoint(idx, argv[optind], argv[optind + 1],
				   argv[optind + 2], storage, path, &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("re-pointed epoch '%s/%s/%s' to storage '%s'\n", argv[optind],
	       argv[optind + 1], argv[optind + 2], storage);
	return RFS_EXIT_OK;
}

static int epoch_remove_edit(struct rfs_index *idx, char *const *names,
			     struct rfs_error *err)
{
	return rfs_edit_epoch_remove(idx, names[0], names[1], names[2], err);
}

static int epoch_remove(int argc, char **argv)
{
	return rfs_cli_remove(argc, argv, "epoch", usage,
			      "TABLE LIFECYCLE EPOCH", 3, epoch_remove_edit);
}

int cmd_epoch(int argc, char **argv)
{
	static const struct rfs_cli_command verbs[] = {
		{ "add", epoch_add, "add an epoch" },
		{ "close", epoch_close, "close the open epoch" },
		{ "repoint", epoch_repoint, "move an epoch to another place" },
		{ "remove", epoch_remove,
		  "remove an epoch nothing depends on" },
		{ NULL, NULL, NULL },
	};

	return rfs_cli_dispatch("epoch", usage, verbs, argc, argv);
}
