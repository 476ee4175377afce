#include "core/config.h"

#include "util/names.h"
#include "util/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int check_executable(const char *value, struct rfs_error *err)
{
	if (value[0] != '/')
		return rfs_error_set(err, EINVAL,
				     "metastore hook '%s' must be an absolute "
				     "path to an executable",
				     value);
	return 0;
}

/* A URI scheme as RFC 3986 spells one, such as "s3a" or "abfss". */
static int check_scheme(const char *value, struct rfs_error *err)
{
	size_t n = strspn(value, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	bool letter = (*value >= 'a' && *value <= 'z') ||
		      (*value >= 'A' && *value <= 'Z');

	if (!letter || value[n] || n > 32)
		return rfs_error_set(err, EINVAL,
				     "'%s' is not a URI scheme (a letter, then "
				     "letters, digits, '+', '-' or '.'; such "
				     "as s3a)",
				     value);
	return 0;
}

static int check_workers(const char *value, struct rfs_error *err)
{
	char *end;
	long n = strtol(value, &end, 10);

	if (*value == '\0' || *end || n < 1 || n > 64)
		return rfs_error_set(err, EINVAL,
				     "'%s' is not a worker count (1 to 64)",
				     value);
	return 0;
}

static const struct rfs_config_key keys[] = {
	{ "metastore.hook",
	  "executable called with JSON on stdin to drop and add partitions",
	  check_executable },
	{ "metastore.hook.*",
	  "the metastore hook of one table (metastore.hook.TABLE)",
	  check_executable },
	{ "metastore.scheme.*",
	  "the URI scheme the metastore hook's locations of one storage use "
	  "(metastore.scheme.STORAGE, such as s3a; unset: the storage's)",
	  check_scheme },
	{ "jobs.workers", "archive and restore jobs run at once (1-64)",
	  check_workers },
	{ "jobs.parallel_files",
	  "files copied at once within one job (1-64; unset: 4, 16 on S3)",
	  check_workers },
};

const struct rfs_config_key *rfs_config_keys(size_t *n)
{
	*n = sizeof(keys) / sizeof(keys[0]);
	return keys;
}

static const struct rfs_config_key *find(const char *key, struct rfs_error *err)
{
	size_t i, n = sizeof(keys) / sizeof(keys[0]);

	for (i = 0; i < n; i++) {
		size_t len = strlen(keys[i].key);

		if (len > 2 && !strcmp(keys[i].key + len - 2, ".*")) {
			if (!strncmp(key, keys[i].key, len - 1) &&
			    rfs_name_check("table", key + len - 1, NULL) == 0)
				return &keys[i];
		} else if (!strcmp(key, keys[i].key)) {
			return &keys[i];
		}
	}
	rfs_error_set(err, EINVAL,
		      "unknown configuration key '%s' (see 'recyclefs config "
		      "list')",
		      key);
	return NULL;
}

int rfs_config_check(const char *key, const char *value, struct rfs_error *err)
{
	const struct rfs_config_key *k = find(key, err);

	if (!k)
		return -EINVAL;
	if (!value)
		return 0;
	return k->check(value, err);
}
