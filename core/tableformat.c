/*
 * Transactional table formats: a table root is known by its log's folder.
 */
#include "core/tableformat.h"

#include "backends/backend.h"
#include "util/buf.h"
#include "util/path.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *rfs_table_format_name(enum rfs_table_format f)
{
	switch (f) {
	case RFS_TABLE_FORMAT_DELTA:
		return "Delta";
	case RFS_TABLE_FORMAT_ICEBERG:
		return "Iceberg";
	case RFS_TABLE_FORMAT_HUDI:
		return "Hudi";
	default:
		return "plain";
	}
}

const char *rfs_table_format_marker(enum rfs_table_format f)
{
	switch (f) {
	case RFS_TABLE_FORMAT_DELTA:
		return "_delta_log/";
	case RFS_TABLE_FORMAT_ICEBERG:
		return "metadata/";
	case RFS_TABLE_FORMAT_HUDI:
		return ".hoodie/";
	default:
		return "";
	}
}

/* Is @p name below @p dir a folder? @return 1, 0, or a -errno */
static int is_dir(struct rfs_backend *b, const char *dir, const char *name)
{
	struct rfs_buf k = RFS_BUF_INIT;
	struct stat st;
	int r;

	r = rfs_path_join(&k, dir, name);
	if (r == 0)
		r = rfs_backend_stat(b, rfs_buf_str(&k), &st);
	rfs_buf_release(&k);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	return r < 0 ? r : S_ISDIR(st.st_mode);
}

/* Iceberg's table metadata: "v3.metadata.json",
 * "00001-<uuid>.metadata.json", optionally compressed (".gz"). */
static int metadata_json(void *ctx, const char *name, const struct stat *st)
{
	(void)ctx;
	if (!S_ISREG(st->st_mode))
		return 0;
	return strstr(name, ".metadata.json") != NULL;
}

static int has_iceberg_metadata(struct rfs_backend *b, const char *dir)
{
	struct rfs_buf k = RFS_BUF_INIT;
	int r;

	r = rfs_path_join(&k, dir, "metadata");
	if (r == 0)
		r = rfs_backend_list(b, rfs_buf_str(&k), metadata_json, NULL);
	rfs_buf_release(&k);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	return r;
}

int rfs_table_format_at(struct rfs_backend *b, const char *key,
			enum rfs_table_format *out)
{
	int r;

	*out = RFS_TABLE_FORMAT_NONE;
	r = is_dir(b, key, "_delta_log");
	if (r > 0)
		*out = RFS_TABLE_FORMAT_DELTA;
	if (r == 0) {
		r = is_dir(b, key, ".hoodie");
		if (r > 0)
			*out = RFS_TABLE_FORMAT_HUDI;
	}
	if (r == 0) {
		r = has_iceberg_metadata(b, key);
		if (r > 0)
			*out = RFS_TABLE_FORMAT_ICEBERG;
	}
	return r < 0 ? r : 0;
}

int rfs_table_format_above(struct rfs_backend *b, const char *key,
			   enum rfs_table_format *fmt, size_t *root_len)
{
	char *s = strdup(key);
	size_t n;
	int r = 0;

	*fmt = RFS_TABLE_FORMAT_NONE;
	if (!s)
		return -ENOMEM;
	/* "a/b/c": "a/b", then "a", then the root "". */
	for (n = strlen(s); r == 0 && n > 0;) {
		n = rfs_path_dirlen(s);
		s[n] = '\0';
		r = rfs_table_format_at(b, s, fmt);
		if (r == 0 && *fmt != RFS_TABLE_FORMAT_NONE) {
			*root_len = n;
			break;
		}
	}
	free(s);
	return r;
}
