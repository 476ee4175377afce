#include "model/storage.h"

#include <stddef.h>
#include <string.h>

static const char *const file_schemes[] = { "file", NULL };
static const char *const nfs_schemes[] = { "nfs", NULL };
static const char *const hdfs_schemes[] = { "hdfs", "webhdfs", NULL };
static const char *const s3_schemes[] = { "s3", "s3a", NULL };
static const char *const gs_schemes[] = { "gs", NULL };
static const char *const mem_schemes[] = { "mem", NULL };
static const char *const memrel_schemes[] = { "memrel", NULL };
static const char *const pg_schemes[] = { "postgres", "postgresql", NULL };
static const char *const es_schemes[] = { "elasticsearch", "es", NULL };
static const char *const kafka_schemes[] = { "kafka", NULL };

static const struct rfs_storage_class classes[] = {
	{ "file", RFS_FAMILY_BLOB, file_schemes, true },
	{ "nfs", RFS_FAMILY_BLOB, nfs_schemes },
	{ "hdfs", RFS_FAMILY_BLOB, hdfs_schemes },
	{ "s3", RFS_FAMILY_BLOB, s3_schemes },
	{ "gs", RFS_FAMILY_BLOB, gs_schemes },
	{ "mem", RFS_FAMILY_BLOB, mem_schemes },
	{ "postgres", RFS_FAMILY_RELATIONAL, pg_schemes },
	{ "memrel", RFS_FAMILY_RELATIONAL, memrel_schemes },
	{ "elasticsearch", RFS_FAMILY_SEARCH, es_schemes },
	{ "kafka", RFS_FAMILY_STREAM, kafka_schemes },
};

#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

const struct rfs_storage_class *rfs_storage_class_by_scheme(const char *scheme)
{
	size_t i, j;

	for (i = 0; i < N_CLASSES; i++)
		for (j = 0; classes[i].schemes[j]; j++)
			if (!strcmp(classes[i].schemes[j], scheme))
				return &classes[i];
	return NULL;
}

const struct rfs_storage_class *rfs_storage_class_of_uri(const char *uri)
{
	char scheme[32];
	size_t n = strcspn(uri, ":");

	if (n >= sizeof(scheme) || uri[n] != ':')
		return NULL;
	memcpy(scheme, uri, n);
	scheme[n] = '\0';
	return rfs_storage_class_by_scheme(scheme);
}

const struct rfs_storage_class *rfs_storage_class_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < N_CLASSES; i++)
		if (!strcmp(classes[i].name, name))
			return &classes[i];
	return NULL;
}

const char *rfs_family_name(enum rfs_family f)
{
	switch (f) {
	case RFS_FAMILY_BLOB:
		return "blob";
	case RFS_FAMILY_RELATIONAL:
		return "relational";
	case RFS_FAMILY_SEARCH:
		return "search";
	case RFS_FAMILY_STREAM:
		return "stream";
	}
	return "unknown";
}

const char *rfs_storage_schemes(void)
{
	return "file, nfs, hdfs, webhdfs, s3, s3a, gs, mem, postgres, "
	       "postgresql, memrel, elasticsearch, es, kafka";
}
