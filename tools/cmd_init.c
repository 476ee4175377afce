/*
 * recyclefs init: create the index (and its missing parent directories,
 * mode 0700). Running it on an existing index changes nothing.
 */
#include "tools/cli.h"

#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"usage: recyclefs init [--index PATH]\n"
	"\n"
	"Create the recyclefs index, with any missing parent directories\n"
	"(mode 0700); the index file gets mode 0600. On an existing index it\n"
	"says so and changes nothing. An empty (0-byte) file counts as no\n"
	"index: init writes a new one in it.\n";

/* mkdir -p of the directory that holds @p path, new levels mode 0700. */
static int make_parents(const char *path, struct rfs_error *err)
{
	char *dir = strdup(path);
	char *slash, *s;
	int r = 0;

	if (!dir)
		return rfs_error_set(err, ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (s = dir + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			r = rfs_error_set(err, errno,
					  "cannot create directory '%s': %s",
					  dir, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(dir);
	return r;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = { RFS_CLI_COMMON_OPTIONS };
	struct rfs_cli_getopt g = { .cmd = "init",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx = NULL;
	char *path = NULL;
	struct stat st;
	bool was_empty;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1)
		if (c == RFS_CLI_STOP)
			return g.status;
	status = rfs_cli_operands(&g, argc, argv, 0, 0, "nothing");
	if (status)
		return status;
	r = rfs_cli_index_path(&path, &err);
	was_empty = r == 0 && stat(path, &st) == 0 && st.st_size == 0;
	if (r == 0)
		r = make_parents(path, &err);
	if (r == 0)
		r = rfs_index_open(path, RFS_INDEX_CREATE, &idx, &err);
	if (r < 0) {
		free(path);
		return rfs_cli_fail(&err, r);
	}
	if (rfs_index_was_created(idx))
		printf("initialized empty recyclefs index at %s%s\n", path,
		       was_empty ? " (the file was empty)" : "");
	else
		printf("index already exists at %s\n", path);
	rfs_index_free(idx);
	free(path);
	return RFS_EXIT_OK;
}
