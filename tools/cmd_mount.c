/*
 * recyclefs mount: serve the catalog as a filesystem (fs/fs.h).
 */
#include "tools/cli.h"

#include "fs/fs.h"
#include "util/error.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

static const char usage[] =
	"usage: recyclefs mount MOUNTPOINT [-f] [-d] [-o OPTS] [--log FILE]\n"
	"                       [--threads N]\n"
	"\n"
	"Mount the catalog on MOUNTPOINT (an existing empty directory) and\n"
	"serve it until unmounted with 'fusermount3 -u MOUNTPOINT'.\n"
	"\n"
	"  -f, --foreground  stay in the foreground, logging to stderr\n"
	"  -d, --debug       FUSE debug output and debug logging (implies -f)\n"
	"  -o OPTS           comma-separated FUSE mount options\n"
	"  --log FILE        log to FILE when in the background (default:\n"
	"                    syslog)\n"
	"  --threads N       FUSE worker threads (default: libfuse's)\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

enum { OPT_LOG = 0x200, OPT_THREADS };

int cmd_mount(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "options", required_argument, NULL, 'o' },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "threads", required_argument, NULL, OPT_THREADS },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "mount",
				    .usage = usage,
				    .shortopts = "fdo:",
				    .longopts = opts };
	struct rfs_fs_options fo = { 0 };
	struct rfs_error err = { 0 };
	char *index = NULL, *end;
	int c, r, status;
	long n;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		switch (c) {
		case RFS_CLI_STOP:
			return g.status;
		case 'f':
			fo.foreground = true;
			break;
		case 'd':
			fo.debug = true;
			fo.foreground = true;
			break;
		case 'o':
			fo.fuse_opts = optarg;
			break;
		case OPT_LOG:
			fo.log_file = optarg;
			break;
		case OPT_THREADS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || n < 1 || n > 1024)
				return rfs_cli_usage_error(
					g.cmd,
					"--threads '%s' is not a number "
					"from 1 to 1024",
					optarg);
			fo.threads = (int)n;
			break;
		}
	}
	status = rfs_cli_operands(&g, argc, argv, 1, 1, "MOUNTPOINT");
	if (status)
		return status;
	r = rfs_cli_index_path(&index, &err);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	fo.index_path = index;
	fo.mountpoint = argv[optind];
	status = rfs_fs_main(&fo);
	free(index);
	return status;
}
