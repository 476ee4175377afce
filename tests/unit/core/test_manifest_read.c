/*
 * core/manifest: reading manifests that are not JSON, not ours, newer,
 * corrupt, or carry members this version does not know.
 */
#include "core/manifest.h"

#include "backends/backend.h"
#include "manifest_helpers.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/*
 * Write the sample, let @p edit change its JSON, store it again and read
 * it. @return the result; the reason is in @p err
 */
static int read_edited(const char *store, void (*edit)(json_t *root),
		       struct rfs_error *err, size_t *rows_seen)
{
	struct rfs_backend *b = mf_open_mem(store);
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { 0 };
	json_error_t jerr;
	json_t *root;
	char key[96], *text;
	int r;

	mf_sample_entry(&e);
	mf_write_sample(b, &e);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	text = mf_slurp(b, key);
	root = json_loads(text, 0, &jerr);
	cr_assert_not_null(root, "%s", jerr.text);
	free(text);
	edit(root);
	text = json_dumps(root, 0);
	json_decref(root);
	mf_put(b, key, text);
	free(text);
	r = rfs_manifest_read(b, key, &back, mf_got_fn, &g, err);
	if (rows_seen)
		*rows_seen = g.n;
	if (r < 0) {
		cr_assert_null(back.origin_path, "entry untouched on failure");
		cr_assert_eq(g.n, 0, "no row is handed out on failure");
	}
	mf_got_free(&g);
	rfs_entry_release(&back);
	rfs_backend_free(b);
	return r;
}

static void set_format(json_t *root)
{
	json_object_set_new(root, "format", json_string("something-else"));
}

static void set_version_3(json_t *root)
{
	json_object_set_new(root, "version", json_integer(3));
	json_object_del(root, "uuid"); /* a newer version may change all */
}

static void set_version_string(json_t *root)
{
	json_object_set_new(root, "version", json_string("1"));
}

static void drop_uuid(json_t *root)
{
	json_object_del(root, "uuid");
}

static void set_row_path(json_t *root, size_t i, const char *path)
{
	json_object_set_new(json_array_get(json_object_get(root, "files"), i),
			    "path", json_string(path));
}

static void dotdot_path(json_t *root)
{
	set_row_path(root, 3, "../x");
}

static void absolute_path(json_t *root)
{
	set_row_path(root, 1, "/etc/passwd");
}

static void inner_dotdot_path(json_t *root)
{
	set_row_path(root, 1, "a/../../b");
}

static void bad_bin_path(json_t *root)
{
	json_object_set_new(json_object_get(root, "bin"), "path",
			    json_string("../../elsewhere"));
}

static void bad_mtime(json_t *root)
{
	json_object_set_new(json_array_get(json_object_get(root, "files"), 1),
			    "mtime", json_string("1700000000.1234567891"));
}

static void bad_mode(json_t *root)
{
	json_object_set_new(json_array_get(json_object_get(root, "files"), 1),
			    "mode", json_string("0999"));
}

static void bad_sha(json_t *root)
{
	json_object_set_new(json_array_get(json_object_get(root, "files"), 1),
			    "sha256", json_string("xyz"));
}

static void link_without_target(json_t *root)
{
	json_object_del(json_array_get(json_object_get(root, "files"), 3),
			"target");
}

static void bad_state(json_t *root)
{
	json_object_set_new(root, "state", json_string("exploded"));
}

static void negative_size(json_t *root)
{
	json_object_set_new(json_array_get(json_object_get(root, "files"), 1),
			    "size", json_integer(-1));
}

static void files_not_array(json_t *root)
{
	json_object_set_new(root, "files", json_object());
}

static void add_unknown_fields(json_t *root)
{
	json_object_set_new(root, "future", json_pack("{s:[i,i]}", "x", 1, 2));
	json_object_set_new(json_object_get(root, "origin"), "cluster",
			    json_string("eu-1"));
	json_object_set_new(json_array_get(json_object_get(root, "files"), 1),
			    "xattrs", json_pack("{s:s}", "user.a", "b"));
}

static void short_fraction_and_mode(json_t *root)
{
	json_t *row = json_array_get(json_object_get(root, "files"), 1);

	json_object_set_new(row, "mtime", json_string("12.5"));
	json_object_set_new(row, "atime", json_string("-7"));
	json_object_set_new(row, "mode", json_string("644"));
	json_object_set_new(root, "created_at",
			    json_string("2001-01-01T00:00:00Z"));
}

Test(core_manifest, a_file_that_is_not_json_is_ebadmsg)
{
	struct rfs_backend *b = mf_open_mem("mf-notjson");
	struct rfs_entry back = { 0 };
	struct rfs_error err = { 0 };
	char key[96];

	rfs_manifest_key(MF_UUID, key, sizeof(key));
	mf_put(b, key, "{\"format\": \"recyclefs-manifest\", \"version\": 1,");
	cr_assert_eq(rfs_manifest_read(b, key, &back, NULL, NULL, &err),
		     -EBADMSG);
	cr_assert_not_null(strstr(err.msg, "not valid JSON"), "%s", err.msg);
	mf_put(b, key, "");
	cr_assert_eq(rfs_manifest_read(b, key, &back, NULL, NULL, &err),
		     -EBADMSG);
	mf_put(b, key, "[1, 2]");
	cr_assert_eq(rfs_manifest_read(b, key, &back, NULL, NULL, &err),
		     -EBADMSG);
	rfs_backend_free(b);
}

Test(core_manifest, a_wrong_format_string_is_ebadmsg)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(read_edited("mf-format", set_format, &err, NULL),
		     -EBADMSG);
	cr_assert_not_null(strstr(err.msg, "not a recyclefs manifest"), "%s",
			   err.msg);
}

Test(core_manifest, a_newer_version_is_eproto)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(read_edited("mf-v3", set_version_3, &err, NULL), -EPROTO);
	cr_assert_eq(err.code, EPROTO);
	cr_assert_not_null(strstr(err.msg, "newer"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "version 3"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "reads (2)"), "%s", err.msg);
}

Test(core_manifest, a_version_that_is_no_integer_is_ebadmsg)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(read_edited("mf-vstr", set_version_string, &err, NULL),
		     -EBADMSG);
}

Test(core_manifest, a_missing_uuid_is_ebadmsg)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(read_edited("mf-uuid", drop_uuid, &err, NULL), -EBADMSG);
	cr_assert_not_null(strstr(err.msg, "uuid"), "%s", err.msg);
}

Test(core_manifest, paths_leaving_the_item_are_ebadmsg)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(read_edited("mf-dotdot", dotdot_path, &err, NULL),
		     -EBADMSG);
	cr_assert_not_null(strstr(err.msg, "file row 4"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "'../x'"), "%s", err.msg);
	cr_assert_eq(read_edited("mf-abs", absolute_path, &err, NULL),
		     -EBADMSG);
	cr_assert_eq(read_edited("mf-inner", inner_dotdot_path, &err, NULL),
		     -EBADMSG);
	cr_assert_eq(read_edited("mf-bin", bad_bin_path, &err, NULL), -EBADMSG);
}

Test(core_manifest, malformed_values_are_ebadmsg)
{
	void (*edits[])(json_t *) = { bad_mtime,      bad_mode,
				      bad_sha,	      link_without_target,
				      bad_state,      negative_size,
				      files_not_array };
	char store[32];

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct rfs_error err = { 0 };

		snprintf(store, sizeof(store), "mf-bad-%zu", i);
		cr_assert_eq(read_edited(store, edits[i], &err, NULL), -EBADMSG,
			     "edit %zu: %s", i, err.msg);
		cr_assert_not_null(strstr(err.msg, "is corrupt"), "%s",
				   err.msg);
	}
}

Test(core_manifest, unknown_fields_are_ignored)
{
	struct rfs_error err = { 0 };
	size_t n = 0;

	cr_assert_eq(read_edited("mf-unknown", add_unknown_fields, &err, &n), 0,
		     "%s", err.msg);
	cr_assert_eq(n, MF_N_SAMPLE);
}

Test(core_manifest, short_fractions_and_modes_are_read)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(
		read_edited("mf-short", short_fraction_and_mode, &err, NULL), 0,
		"%s", err.msg);
}

static void created_in_9999(json_t *root)
{
	json_object_set_new(root, "created_at",
			    json_string("9999-01-01T00:00:00Z"));
}

static void deleted_in_1000(json_t *root)
{
	json_object_set_new(root, "deleted_at",
			    json_string("1000-01-01T00:00:00.5Z"));
}

/* Issue 17, row 1: (int64_t)t * NS overflowed for years >= 2263 or
 * < 1678 (UB, then a wrapped time in the index after `reindex`). */
Test(core_manifest, created_at_in_year_9999_is_ebadmsg)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(read_edited("mf-9999", created_in_9999, &err, NULL),
		     -EBADMSG, "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "created_at '9999-01-01T00:00:00Z' "
					   "is outside the times"),
			   "%s", err.msg);
}

Test(core_manifest, deleted_at_in_year_1000_is_ebadmsg)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(read_edited("mf-1000", deleted_in_1000, &err, NULL),
		     -EBADMSG, "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "deleted_at"), "%s", err.msg);
}
