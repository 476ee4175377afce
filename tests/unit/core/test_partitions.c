/*
 * The metastore hook's document (core/partitions.h): locations a
 * metastore stores (decoded path, no options, the configured scheme), the
 * partition's pairs decoded as Hive reads folder names and Hive's escaped
 * name; and the DDL examples/hive-metastore-hook.sh makes from it,
 * compared with golden files (tests/unit/core/golden/).
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "model/date.h"
#include "core/edit.h"
#include "model/entry.h"
#include "core/partitions.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct rfs_index *idx;
static char tmp[64];

static void setup(void)
{
	strcpy(tmp, "/tmp/rfs-parts-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
}

static void teardown(void)
{
	char cmd[128];

	rfs_index_free(idx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(core_partitions, .init = setup, .fini = teardown);

/* Folders of the archived epoch, as they are named on storage: spaces;
 * '=' raw and Hive-escaped; '/' Hive-escaped; a lone '%'; a quote;
 * unicode; an upper-case key; a file beside them. */
static const char *const folders[] = {
	"dt=2024 06 01 space",
	"dt=2024-06-02",
	"dt=2024-06-02/country=a%2Fb",
	"dt=2024-06-03",
	"dt=2024-06-03/city=Zürich",
	"dt=2024-06-04",
	"dt=2024-06-04/pct=100%",
	"dt=2024-06-05",
	"dt=2024-06-05/eq=x=y",
	"dt=2024-06-06",
	"dt=2024-06-06/eq=x%3Dy",
	"dt=2024-06-07",
	"dt=2024-06-07/q=it's \"q\"",
	"Region=EU",
	"misc",
};

/* An archived entry of the whole epoch with folders @p v. */
static int64_t add_entry_of(const char *const *v, size_t n);

/* An archived entry of the whole epoch with the folders above. */
static int64_t add_entry(void)
{
	return add_entry_of(folders, sizeof(folders) / sizeof(folders[0]));
}

static int64_t add_entry_of(const char *const *v, size_t n)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };
	int64_t id;

	snprintf(e.uuid, sizeof(e.uuid), "%032x", 7);
	e.bin_path = "sales.orders/gold/2024-01-01..now";
	e.origin_path = e.bin_path;
	e.table = "sales.orders";
	e.lifecycle = "gold";
	e.epoch = "2024-01-01..now";
	e.item_key = "";
	e.storage = "lake";
	e.src_uri = "s3://lake/orders/gold";
	e.bin_root_uri = "s3://lake/.recyclebin";
	e.is_dir = true;
	e.state = RFS_ENTRY_ARCHIVED;
	cr_assert_eq(rfs_index_entry_insert(idx, &e, &err), 0, "%s", err.msg);
	id = e.id;
	for (size_t i = 0; i < n; i++) {
		struct rfs_entry_file f = { .path = v[i],
					    .type = RFS_FILE_DIR,
					    .mode = 0755 };

		cr_assert_eq(rfs_index_file_insert(idx, id, &f, &err), 0, "%s",
			     err.msg);
	}
	return id;
}

static json_t *call(int64_t id, const char *action, const char *location,
		    const char *storage, char **text)
{
	struct rfs_part_call c = {
		.action = action,
		.table = "sales.orders",
		.lifecycle = "gold",
		.epoch = "2024-01-01..now",
		.location = location,
		.storage = storage,
		.base = "",
		.sub = "",
	};
	json_error_t jerr;
	json_t *doc;

	cr_assert_eq(rfs_partitions_json(idx, id, &c, text), 0);
	cr_assert_not_null(*text);
	doc = json_loads(*text, 0, &jerr);
	cr_assert_not_null(doc, "%s: %s", jerr.text, *text);
	return doc;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	cr_assert_not_null(s, "no string '%s'", key);
	return s;
}

/* The partition with Hive name @p name. */
static json_t *part(json_t *doc, const char *name)
{
	json_t *parts = json_object_get(doc, "partitions");
	char *all;

	for (size_t i = 0; i < json_array_size(parts); i++) {
		json_t *p = json_array_get(parts, i);

		if (!strcmp(str(p, "name"), name))
			return p;
	}
	all = json_dumps(parts, 0);
	cr_assert_fail("no partition named '%s' in %s", name, all);
	free(all);
	return NULL;
}

static void config(const char *key, const char *value)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_edit_config_set(idx, key, value, &err), 0, "%s",
		     err.msg);
}

Test(core_partitions, file_locations_are_decoded_paths)
{
	char *text;
	json_t *doc, *p, *pairs;

	doc = call(add_entry(), "drop_partitions",
		   "file:///srv/lake/orders%20gold", "nfs", &text);
	cr_assert_str_eq(str(doc, "location"), "file:///srv/lake/orders gold");
	cr_assert_str_eq(str(doc, "storage_uri"),
			 "file:///srv/lake/orders%20gold");
	cr_assert_str_eq(str(doc, "storage"), "nfs");
	p = part(doc, "dt=2024 06 01 space");
	cr_assert_str_eq(str(p, "location"),
			 "file:///srv/lake/orders gold/dt=2024 06 01 space");
	cr_assert_str_eq(str(p, "uri"), "file:///srv/lake/orders%20gold/"
					"dt=2024%2006%2001%20space");
	cr_assert_str_eq(str(p, "spec"), "dt=2024 06 01 space");
	cr_assert_str_eq(str(json_object_get(p, "values"), "dt"),
			 "2024 06 01 space");
	/* Hive-escaped folder names are decoded in values, kept in the
	 * location (the folder is named so). */
	p = part(doc, "dt=2024-06-02/country=a%2Fb");
	cr_assert_str_eq(str(json_object_get(p, "values"), "country"), "a/b");
	cr_assert_str_eq(str(p, "location"),
			 "file:///srv/lake/orders gold/dt=2024-06-02/"
			 "country=a%2Fb");
	pairs = json_object_get(p, "pairs");
	cr_assert_eq(json_array_size(pairs), 2);
	cr_assert_str_eq(str(json_array_get(pairs, 0), "key"), "dt");
	cr_assert_str_eq(str(json_array_get(pairs, 1), "value"), "a/b");
	/* A raw '=' in a value and its escaped form are one value. */
	cr_assert_str_eq(str(json_object_get(part(doc, "dt=2024-06-05/"
						       "eq=x%3Dy"),
					     "values"),
			     "eq"),
			 "x=y");
	cr_assert_str_eq(str(part(doc, "dt=2024-06-06/eq=x%3Dy"), "spec"),
			 "dt=2024-06-06/eq=x%3Dy");
	cr_assert_str_eq(str(json_object_get(part(doc, "dt=2024-06-04/"
						       "pct=100%25"),
					     "values"),
			     "pct"),
			 "100%");
	cr_assert_str_eq(str(json_object_get(part(doc, "dt=2024-06-03/"
						       "city=Zürich"),
					     "values"),
			     "city"),
			 "Zürich");
	/* makePartName writes column names in lower case */
	cr_assert_str_eq(str(json_object_get(part(doc, "region=EU"), "values"),
			     "Region"),
			 "EU");
	cr_assert_eq(json_array_size(json_object_get(doc, "partitions")), 8);
	json_decref(doc);
	free(text);
}

Test(core_partitions, names_are_escaped_and_values_decoded_as_hive_does)
{
	static const char *const v[] = { "dt=", "k=a%C3%A9", "K#1=v:1\x01",
					 "p=%zz%4" };
	char *text;
	json_t *doc;

	doc = call(add_entry_of(v, 4), "drop_partitions", "file:///x", "nfs",
		   &text);
	/* an empty value is Hive's default partition */
	cr_assert_str_eq(str(json_object_get(part(doc, "dt=__HIVE_DEFAULT_"
						       "PARTITION__"),
					     "values"),
			     "dt"),
			 "");
	/* %XX is one character U+00XX, as unescapePathName reads it */
	cr_assert_str_eq(
		str(json_object_get(part(doc, "k=a\xc3\x83\xc2\xa9"), "values"),
		    "k"),
		"a\xc3\x83\xc2\xa9");
	cr_assert_str_eq(
		str(json_object_get(part(doc, "k%231=v%3A1%01"), "values"),
		    "K#1"),
		"v:1\x01");
	/* no two hex digits: as is */
	cr_assert_str_eq(
		str(json_object_get(part(doc, "p=%25zz%254"), "values"), "p"),
		"%zz%4");
	json_decref(doc);
	free(text);
}

Test(core_partitions, s3_locations_drop_options_and_take_the_scheme)
{
	char *text;
	json_t *doc;
	int64_t id = add_entry();

	doc = call(id, "add_partitions",
		   "s3://lake/orders/gold?endpoint=http://127.0.0.1:7611",
		   "lake", &text);
	cr_assert_str_eq(str(doc, "location"), "s3://lake/orders/gold");
	cr_assert_str_eq(str(part(doc, "region=EU"), "location"),
			 "s3://lake/orders/gold/Region=EU");
	cr_assert_str_eq(str(part(doc, "region=EU"), "uri"),
			 "s3://lake/orders/gold/Region=EU"
			 "?endpoint=http://127.0.0.1:7611");
	json_decref(doc);
	free(text);

	config("metastore.scheme.lake", "s3a");
	doc = call(id, "add_partitions",
		   "s3://lake/orders/gold?endpoint=http://127.0.0.1:7611",
		   "lake", &text);
	cr_assert_str_eq(str(doc, "location"), "s3a://lake/orders/gold");
	cr_assert_str_eq(
		str(part(doc, "dt=2024-06-02/country=a%2Fb"), "location"),
		"s3a://lake/orders/gold/dt=2024-06-02/country=a%2Fb");
	json_decref(doc);
	free(text);
	/* another storage keeps its own scheme */
	doc = call(id, "add_partitions", "s3://other/x", "other", &text);
	cr_assert_str_eq(str(doc, "location"), "s3://other/x");
	json_decref(doc);
	free(text);
}

Test(core_partitions, the_storage_comes_from_the_catalog_when_not_given)
{
	struct rfs_error err = { 0 };
	char uri[128], *text;
	json_t *doc;

	snprintf(uri, sizeof(uri), "file://%s", tmp);
	cr_assert_eq(rfs_edit_storage_add(idx, "nfs", uri, NULL, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(rfs_edit_table_add(idx, "sales.orders", NULL, 0, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(
		rfs_edit_lifecycle_add(idx, "sales.orders", "gold", -1, &err),
		0, "%s", err.msg);
	cr_assert_eq(rfs_edit_epoch_add(idx, "sales.orders", "gold", 19723,
					RFS_DATE_NOW, "nfs", "gold",
					RFS_EDIT_EPOCH_CREATE, &err),
		     0, "%s", err.msg);
	config("metastore.scheme.nfs", "hdfs");
	doc = call(add_entry(), "add_partitions", "file:///srv/gold", NULL,
		   &text);
	cr_assert_str_eq(str(doc, "storage"), "nfs", "%s", text);
	cr_assert_str_eq(str(doc, "location"), "hdfs:///srv/gold");
	json_decref(doc);
	free(text);
}

Test(core_partitions, a_scheme_setting_must_be_a_scheme)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_edit_config_set(idx, "metastore.scheme.lake", "s3a://",
					 &err),
		     -EINVAL);
	cr_assert(strstr(err.msg, "not a URI scheme"), "%s", err.msg);
	cr_assert_eq(
		rfs_edit_config_set(idx, "metastore.scheme.lake", "3a", &err),
		-EINVAL);
}

/* Run the example hook on @p doc (dry run) and compare with golden file
 * @p golden. */
static void ddl_is_golden(const char *doc, const char *golden)
{
	const char *src = getenv("RFS_SOURCE_ROOT");
	char cmd[1024], in[128];
	FILE *f;
	int r;

	cr_assert_not_null(src, "RFS_SOURCE_ROOT is not set");
	snprintf(in, sizeof(in), "%s/doc.json", tmp);
	f = fopen(in, "w");
	cr_assert_not_null(f);
	fputs(doc, f);
	cr_assert_eq(fclose(f), 0);
	snprintf(
		cmd, sizeof(cmd),
		"HIVE_HOOK_DRY_RUN=1 PATH=/nonexistent:$PATH "
		"sh '%s/examples/hive-metastore-hook.sh' < '%s' > '%s/ddl.sql' "
		"&& diff -u '%s/tests/unit/core/golden/%s' '%s/ddl.sql' >&2",
		src, in, tmp, src, golden, tmp);
	r = system(cmd);
	cr_assert_eq(r, 0, "the DDL differs from golden/%s (see the diff)",
		     golden);
}

Test(core_partitions, example_hook_ddl_matches_the_golden_files)
{
	char *text;
	json_t *doc;
	int64_t id = add_entry();

	config("metastore.scheme.lake", "s3a");
	doc = call(id, "add_partitions",
		   "s3://lake/orders/gold?endpoint=http://127.0.0.1:7611",
		   "lake", &text);
	ddl_is_golden(text, "hive-hook-add.sql");
	json_decref(doc);
	free(text);
	doc = call(id, "drop_partitions", "file:///srv/lake/orders%20gold",
		   "nfs", &text);
	ddl_is_golden(text, "hive-hook-drop.sql");
	json_decref(doc);
	free(text);
}
