/*
 * recyclefs mount MOUNTPOINT [-f] [-d] [-o OPTS] [--log FILE] [--threads N]
 */
#include "tools/cli.h"

#include "fs/fs.h"
#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: recyclefs mount MOUNTPOINT [-f] [-d] [-o OPTIONS] "
	"[--log FILE] [--threads N]\n"
	"\n"
	"Mount the catalog at MOUNTPOINT, an existing directory on which\n"
	"nothing is mounted. Runs in the background unless -f is given;\n"
	"unmount with 'fusermount3 -u MOUNTPOINT'.\n"
	"\n"
	"  -f, --foreground   stay in the foreground, log to stderr\n"
	"  -d, --debug        FUSE debug output and debug logging (implies -f)\n"
	"  -o OPTIONS         FUSE mount options, comma-separated: allow_other,\n"
	"                     cache_timeout=S (default 60), passthrough=off\n"
	"                     (no FUSE passthrough of local files), ro, ...;\n"
	"                     may be given more than once\n"
	"  --log FILE         log to FILE when in the background (default:\n"
	"                     syslog)\n"
	"  --threads N        most FUSE worker threads (default 16)\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

enum { OPT_LOG = 0x200, OPT_THREADS };

/* The daemon runs in "/": keep paths given relative to the caller. */
static char *absolute(const char *path)
{
	char cwd[4096], *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

int cmd_mount(int argc, char **argv)
{
	static const struct option longopts[] = {
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
				    .longopts = longopts };
	struct rfs_fs_options o = { 0 };
	struct rfs_buf opts = RFS_BUF_INIT;
	struct rfs_error err = { 0 };
	char *index = NULL, *log_file = NULL, *end;
	int c, r;
	long n;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		switch (c) {
		case RFS_CLI_STOP:
			r = g.status;
			goto out;
		case 'f':
			o.foreground = true;
			break;
		case 'd':
			o.debug = o.foreground = true;
			break;
		case 'o':
			if ((opts.len && rfs_buf_addch(&opts, ',') < 0) ||
			    rfs_buf_addstr(&opts, optarg) < 0) {
				r = rfs_cli_fail(NULL, -ENOMEM);
				goto out;
			}
			break;
		case OPT_LOG:
			free(log_file);
			log_file = absolute(optarg);
			if (!log_file) {
				r = rfs_cli_fail(NULL, -ENOMEM);
				goto out;
			}
			break;
		case OPT_THREADS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || n < 1 || n > 1024) {
				r = rfs_cli_usage_error(
					g.cmd,
					"--threads '%s' is not a number "
					"from 1 to 1024",
					optarg);
				goto out;
			}
			o.threads = (int)n;
			break;
		}
	}
	r = rfs_cli_operands(&g, argc, argv, 1, 1, "MOUNTPOINT");
	if (r != RFS_EXIT_OK)
		goto out;
	r = rfs_cli_index_path(&index, &err);
	if (r < 0) {
		r = rfs_cli_fail(&err, r);
		goto out;
	}
	o.index_path = index;
	o.mountpoint = argv[optind];
	o.fuse_opts = opts.len ? rfs_buf_str(&opts) : NULL;
	o.log_file = log_file;
	r = rfs_fs_main(&o) == 0 ? RFS_EXIT_OK : RFS_EXIT_FAILURE;
out:
	rfs_buf_release(&opts);
	free(index);
	free(log_file);
	return r;
}
