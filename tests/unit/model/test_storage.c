/*
 * model/storage: URI schemes -> storage classes -> families.
 */
#include "model/storage.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *scheme, *cls;
	enum rfs_family family;
} known[] = {
	{ "file", "file", RFS_FAMILY_BLOB },
	{ "nfs", "nfs", RFS_FAMILY_BLOB },
	{ "hdfs", "hdfs", RFS_FAMILY_BLOB },
	{ "webhdfs", "hdfs", RFS_FAMILY_BLOB },
	{ "s3", "s3", RFS_FAMILY_BLOB },
	{ "s3a", "s3", RFS_FAMILY_BLOB },
	{ "gs", "gs", RFS_FAMILY_BLOB },
	{ "mem", "mem", RFS_FAMILY_BLOB },
	{ "postgres", "postgres", RFS_FAMILY_RELATIONAL },
	{ "postgresql", "postgres", RFS_FAMILY_RELATIONAL },
	{ "memrel", "memrel", RFS_FAMILY_RELATIONAL },
	{ "elasticsearch", "elasticsearch", RFS_FAMILY_SEARCH },
	{ "es", "elasticsearch", RFS_FAMILY_SEARCH },
	{ "kafka", "kafka", RFS_FAMILY_STREAM },
};

#define N_KNOWN (sizeof(known) / sizeof(known[0]))

Test(model_storage, every_scheme_maps_to_its_class_and_family)
{
	for (size_t i = 0; i < N_KNOWN; i++) {
		const struct rfs_storage_class *c =
			rfs_storage_class_by_scheme(known[i].scheme);

		cr_assert_not_null(c, "%s", known[i].scheme);
		cr_assert_str_eq(c->name, known[i].cls, "%s", known[i].scheme);
		cr_assert_eq(c->family, known[i].family, "%s", known[i].scheme);
	}
}

Test(model_storage, a_class_lists_the_schemes_that_map_to_it)
{
	for (size_t i = 0; i < N_KNOWN; i++) {
		const struct rfs_storage_class *c =
			rfs_storage_class_by_scheme(known[i].scheme);
		bool listed = false;

		for (size_t j = 0; c->schemes[j]; j++)
			if (!strcmp(c->schemes[j], known[i].scheme))
				listed = true;
		cr_assert(listed, "%s", known[i].scheme);
	}
}

Test(model_storage, unknown_schemes_have_no_class)
{
	static const char *const unknown[] = {
		"", "ftp", "http", "S3", "File", "s3 ", "postgre", "blob",
	};

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		cr_assert_null(rfs_storage_class_by_scheme(unknown[i]), "'%s'",
			       unknown[i]);
}

Test(model_storage, classes_by_name)
{
	const struct rfs_storage_class *pg =
		rfs_storage_class_by_name("postgres");

	cr_assert_not_null(pg);
	cr_assert_eq(pg, rfs_storage_class_by_scheme("postgresql"));
	cr_assert_eq(rfs_storage_class_by_name("s3"),
		     rfs_storage_class_by_scheme("s3a"));
	cr_assert_eq(rfs_storage_class_by_name("hdfs"),
		     rfs_storage_class_by_scheme("webhdfs"));
	/* A scheme alias is not a class name. */
	cr_assert_null(rfs_storage_class_by_name("postgresql"));
	cr_assert_null(rfs_storage_class_by_name("s3a"));
	cr_assert_null(rfs_storage_class_by_name(""));
}

Test(model_storage, family_names)
{
	cr_assert_str_eq(rfs_family_name(RFS_FAMILY_BLOB), "blob");
	cr_assert_str_eq(rfs_family_name(RFS_FAMILY_RELATIONAL), "relational");
	cr_assert_str_eq(rfs_family_name(RFS_FAMILY_SEARCH), "search");
	cr_assert_str_eq(rfs_family_name(RFS_FAMILY_STREAM), "stream");
}

Test(model_storage, the_scheme_list_names_exactly_the_known_schemes)
{
	char *list = strdup(rfs_storage_schemes()), *save = NULL, *tok;
	size_t n = 0;

	cr_assert_not_null(list);
	for (tok = strtok_r(list, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		cr_assert_not_null(rfs_storage_class_by_scheme(tok), "'%s'",
				   tok);
		n++;
	}
	cr_assert_eq(n, N_KNOWN);
	free(list);
}

Test(model_storage, a_uri_gives_its_class_by_its_scheme)
{
	const struct rfs_storage_class *c;

	c = rfs_storage_class_of_uri("s3a://bucket/p");
	cr_assert(c && !strcmp(c->name, "s3"));
	c = rfs_storage_class_of_uri("postgresql://h:5432/db/public.t");
	cr_assert(c && !strcmp(c->name, "postgres"));
	c = rfs_storage_class_of_uri("file:///srv/lake");
	cr_assert(c && !strcmp(c->name, "file"));
	cr_assert_null(rfs_storage_class_of_uri("ftp://h/p"));
	cr_assert_null(rfs_storage_class_of_uri("file"), "no ':'");
	cr_assert_null(rfs_storage_class_of_uri(""));
	cr_assert_null(rfs_storage_class_of_uri(
		"averyveryveryveryverylongschemename://x"));
}

Test(model_storage, only_file_storage_has_folders_to_check_at_add_time)
{
	cr_assert(rfs_storage_class_by_name("file")->dirs);
	cr_assert_not(rfs_storage_class_by_name("s3")->dirs);
	cr_assert_not(rfs_storage_class_by_name("gs")->dirs);
	cr_assert_not(rfs_storage_class_by_name("postgres")->dirs);
	cr_assert_not(rfs_storage_class_by_name("mem")->dirs);
}
