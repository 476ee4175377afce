/*
 * core/manifest: writing and reading manifests through the memory and
 * local backends, rewrites, removal and injected faults.
 */
#include "core/manifest.h"
#include "core/manifest_priv.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "manifest_helpers.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <jansson.h>

static void assert_round_trip(struct rfs_backend *b)
{
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { .e = &back };
	struct rfs_error err = { 0 };
	char key[96];

	mf_sample_entry(&e);
	mf_write_sample(b, &e);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err), 0,
		     "%s", err.msg);
	mf_assert_entry_eq(&e, &back);
	cr_assert_eq(back.state, RFS_ENTRY_ARCHIVED);
	cr_assert(g.saw_entry, "the entry is filled before the rows");
	cr_assert_eq(g.n, MF_N_SAMPLE);
	for (size_t i = 0; i < MF_N_SAMPLE; i++) {
		mf_assert_row_eq(&mf_sample_rows[i], &g.f[i]);
		cr_assert_eq(g.f[i].state, RFS_FILE_DELETED);
	}
	mf_got_free(&g);
	rfs_entry_release(&back);
}

Test(core_manifest, key_names_the_uuid)
{
	char key[96];

	cr_assert_str_eq(rfs_manifest_key(MF_UUID, key, sizeof(key)),
			 ".recyclefs/manifests/" MF_UUID ".json");
}

Test(core_manifest, round_trips_every_field_in_memory)
{
	struct rfs_backend *b = mf_open_mem("mf-rt");

	assert_round_trip(b);
	rfs_backend_free(b);
}

Test(core_manifest, round_trips_every_field_on_local_storage,
     .fini = mf_remove_local)
{
	struct rfs_backend *b = mf_open_local();

	assert_round_trip(b);
	rfs_backend_free(b);
}

Test(core_manifest, the_file_is_valid_json_in_the_documented_form,
     .fini = mf_remove_local)
{
	struct rfs_backend *b = mf_open_local();
	struct rfs_entry e;
	json_error_t jerr;
	json_t *root, *rows, *row;
	char path[256];

	mf_sample_entry(&e);
	mf_write_sample(b, &e);
	snprintf(path, sizeof(path), "%s/" RFS_MANIFEST_DIR "/" MF_UUID ".json",
		 mf_tmpdir);
	root = json_load_file(path, 0, &jerr);
	cr_assert_not_null(root, "%s", jerr.text);
	cr_assert_str_eq(json_string_value(json_object_get(root, "format")),
			 "recyclefs-manifest");
	cr_assert_eq(json_integer_value(json_object_get(root, "version")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(root, "state")),
			 "archived");
	cr_assert_str_eq(json_string_value(json_object_get(root, "kind")),
			 "dir");
	cr_assert_str_eq(json_string_value(json_object_get(root, "created_at")),
			 "2023-11-14T22:13:20.123456789Z");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(root, "origin"), "table")),
			 "sales.orders");
	rows = json_object_get(root, "files");
	cr_assert_eq(json_array_size(rows), MF_N_SAMPLE);

	row = json_array_get(rows, 1);
	cr_assert_str_eq(json_string_value(json_object_get(row, "mtime")),
			 "1700000000.123456789");
	cr_assert_str_eq(json_string_value(json_object_get(row, "atime")),
			 "-0.000000001");
	cr_assert_str_eq(json_string_value(json_object_get(row, "mode")),
			 "0644");
	cr_assert_str_eq(json_string_value(json_object_get(row, "type")),
			 "file");
	cr_assert_eq(json_integer_value(json_object_get(row, "uid")),
		     4000000000LL);
	cr_assert_null(json_object_get(row, "target"));

	row = json_array_get(rows, 2);
	cr_assert_str_eq(json_string_value(json_object_get(row, "mtime")),
			 "-1.500000000");
	cr_assert_str_eq(json_string_value(json_object_get(row, "atime")),
			 "-9223372036.854775808");
	cr_assert_str_eq(json_string_value(json_object_get(row, "mode")),
			 "7777");
	cr_assert_null(json_object_get(row, "sha256"), "\"\" is left out");

	row = json_array_get(rows, 3);
	cr_assert_str_eq(json_string_value(json_object_get(row, "type")),
			 "symlink");
	cr_assert_str_eq(json_string_value(json_object_get(row, "target")),
			 "part-0001.parquet");

	row = json_array_get(rows, 4);
	cr_assert_str_eq(json_string_value(json_object_get(row, "mode")),
			 "0000");
	json_decref(root);
	rfs_backend_free(b);
}

Test(core_manifest, a_verified_entry_without_deletion_time)
{
	struct rfs_backend *b = mf_open_mem("mf-verified");
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { 0 };
	struct rfs_error err = { 0 };
	char key[96], *text;

	mf_sample_entry(&e);
	e.state = RFS_ENTRY_DELETE;
	e.deleted_ns = 0;
	e.is_dir = false;
	e.created_ns = -1; /* before 1970, to the nanosecond */
	mf_write_sample(b, &e);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	text = mf_slurp(b, key);
	cr_assert_not_null(strstr(text, "\"deleted_at\":null"), "%s", text);
	cr_assert_not_null(strstr(text, "\"state\":\"verified\""));
	cr_assert_not_null(strstr(text, "1969-12-31T23:59:59.999999999Z"));
	free(text);
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err), 0,
		     "%s", err.msg);
	mf_assert_entry_eq(&e, &back);
	cr_assert_eq(back.state, RFS_ENTRY_VERIFY);
	cr_assert_eq(g.f[1].state, RFS_FILE_VERIFIED);
	mf_got_free(&g);
	rfs_entry_release(&back);
	rfs_backend_free(b);
}

Test(core_manifest, fifty_thousand_rows)
{
	struct rfs_backend *b = mf_open_mem("mf-big");
	size_t n = 50000;
	struct rfs_entry_file *rows = calloc(n, sizeof(*rows));
	char(*paths)[48] = calloc(n, sizeof(*paths));
	struct mf_rows r = { rows, n, 0 };
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { 0 };
	struct rfs_error err = { 0 };
	char key[96];

	cr_assert(rows && paths);
	for (size_t i = 0; i < n; i++) {
		snprintf(paths[i], sizeof(paths[i]),
			 "dt=%zu/part-%05zu.parquet", i / 1000, i);
		rows[i].path = paths[i];
		rows[i].type = RFS_FILE_REG;
		rows[i].size = (int64_t)i * 1000;
		rows[i].mtime_ns = 1700000000000000000LL + (int64_t)i;
		rows[i].atime_ns = rows[i].mtime_ns;
		rows[i].mode = 0640;
		snprintf(rows[i].sha256, sizeof(rows[i].sha256), "%064zx", i);
	}
	mf_sample_entry(&e);
	e.files_total = (int64_t)n;
	cr_assert_eq(rfs_manifest_write(b, &e, mf_rows_fn, &r, &err), 0, "%s",
		     err.msg);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(g.n, n);
	cr_assert_eq(back.files_total, (int64_t)n);
	for (size_t i = 0; i < n; i += 997)
		mf_assert_row_eq(&rows[i], &g.f[i]);
	mf_assert_row_eq(&rows[n - 1], &g.f[n - 1]);
	mf_got_free(&g);
	rfs_entry_release(&back);
	free(rows);
	free(paths);
	rfs_backend_free(b);
}

Test(core_manifest, reading_without_a_row_callback)
{
	struct rfs_backend *b = mf_open_mem("mf-nofn");
	struct rfs_entry e, back = { 0 };
	struct rfs_error err = { 0 };
	char key[96];

	mf_sample_entry(&e);
	mf_write_sample(b, &e);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &back, NULL, NULL, &err), 0,
		     "%s", err.msg);
	mf_assert_entry_eq(&e, &back);
	rfs_entry_release(&back);
	rfs_backend_free(b);
}

Test(core_manifest, rewriting_replaces_it_and_leaves_no_temporary)
{
	struct rfs_backend *b = mf_open_mem("mf-rewrite");
	struct mf_rows r = { mf_sample_rows, 2, 0 };
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { 0 };
	struct rfs_error err = { 0 };
	char key[96];

	mf_sample_entry(&e);
	mf_write_sample(b, &e);
	e.state = RFS_ENTRY_SYNC;
	cr_assert_eq(rfs_manifest_write(b, &e, mf_rows_fn, &r, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(mf_count_manifests(b), 1);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err), 0);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(back.state, RFS_ENTRY_VERIFY);
	mf_got_free(&g);
	rfs_entry_release(&back);
	rfs_backend_free(b);
}

Test(core_manifest, remove_is_idempotent)
{
	struct rfs_backend *b = mf_open_mem("mf-remove");
	struct rfs_entry e, back = { 0 };
	struct rfs_error err = { 0 };
	char key[96];

	mf_sample_entry(&e);
	mf_write_sample(b, &e);
	cr_assert_eq(rfs_manifest_remove(b, MF_UUID, &err), 0, "%s", err.msg);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &back, NULL, NULL, &err),
		     -ENOENT);
	cr_assert_eq(rfs_manifest_remove(b, MF_UUID, &err), 0);
	cr_assert_eq(mf_count_manifests(b), 0);
	rfs_backend_free(b);
}

Test(core_manifest, a_missing_manifest_is_enoent)
{
	struct rfs_backend *b = mf_open_mem("mf-missing");
	struct rfs_entry back = { 0 };
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_manifest_read(b, RFS_MANIFEST_DIR "/nope.json", &back,
				       NULL, NULL, &err),
		     -ENOENT);
	cr_assert_eq(err.code, ENOENT);
	rfs_backend_free(b);
}

Test(core_manifest, a_row_callback_error_stops_the_read)
{
	struct rfs_backend *b = mf_open_mem("mf-cb");
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { .fail_at = 3 };
	struct rfs_error err = { 0 };
	char key[96];

	mf_sample_entry(&e);
	mf_write_sample(b, &e);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err),
		     -ECANCELED);
	cr_assert_eq(g.n, 2);
	cr_assert_null(back.origin_path, "the entry is released");
	mf_got_free(&g);
	rfs_backend_free(b);
}

/* A write through the memory backend failing as @p op's @p nth call. */
static void assert_fault_leaves_nothing(const char *store, enum rfs_mem_op op,
					unsigned long nth, size_t n_rows)
{
	struct rfs_backend *b = mf_open_mem(store);
	struct rfs_entry_file *rows = calloc(n_rows, sizeof(*rows));
	struct mf_rows r = { rows, n_rows, 0 };
	struct rfs_entry e;
	struct rfs_error err = { 0 };
	char key[96];
	int rc;

	cr_assert_not_null(rows);
	for (size_t i = 0; i < n_rows; i++) {
		rows[i].path =
			"a-rather-long-file-name-to-fill-the-buffer-quickly"
			".parquet";
		rows[i].type = RFS_FILE_REG;
		rows[i].mode = 0644;
	}
	mf_sample_entry(&e);
	rfs_mem_fail_nth(store, op, nth, EIO);
	rc = rfs_manifest_write(b, &e, mf_rows_fn, &r, &err);
	cr_assert_lt(rc, 0, "%s call %lu", store, nth);
	cr_assert_neq(err.code, 0);
	cr_assert_neq(err.msg[0], '\0');
	rfs_mem_fail_nth(store, op, 0, 0);
	cr_assert_eq(mf_count_manifests(b), 0, "nothing left in %s", store);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &e, NULL, NULL, &err), -ENOENT);
	free(rows);
	rfs_backend_free(b);
}

Test(core_manifest, a_failed_write_leaves_no_file)
{
	assert_fault_leaves_nothing("mf-w1", RFS_MEM_OP_WRITE, 1, 3);
	/* 5000 rows take several 64 KiB writes: fail a later one. */
	assert_fault_leaves_nothing("mf-w3", RFS_MEM_OP_WRITE, 3, 5000);
	assert_fault_leaves_nothing("mf-open", RFS_MEM_OP_OPEN, 1, 3);
	assert_fault_leaves_nothing("mf-rename", RFS_MEM_OP_RENAME, 1, 3);
	assert_fault_leaves_nothing("mf-close", RFS_MEM_OP_CLOSE, 1, 3);
}

Test(core_manifest, a_failing_row_source_leaves_no_file)
{
	struct rfs_backend *b = mf_open_mem("mf-rowsfail");
	struct mf_rows r = { mf_sample_rows, MF_N_SAMPLE, 2 };
	struct rfs_entry e;
	struct rfs_error err = { 0 };

	mf_sample_entry(&e);
	cr_assert_eq(rfs_manifest_write(b, &e, mf_rows_fn, &r, &err), -EIO);
	cr_assert_neq(err.msg[0], '\0');
	cr_assert_eq(mf_count_manifests(b), 0);
	rfs_backend_free(b);
}

/* Names are data: bytes that are not UTF-8, and control characters,
 * survive a write and a read exactly. */
Test(core_manifest, names_that_are_not_utf8_round_trip)
{
	struct rfs_backend *b = mf_open_mem("mf-utf8");
	struct rfs_entry_file rows[] = {
		{ .path = "bad\xff"
			  "name",
		  .type = RFS_FILE_REG,
		  .mode = 0644 },
		{ .path = "new\nline\x1b", .type = RFS_FILE_REG, .mode = 0644 },
	};
	struct mf_rows r = { rows, 2, 0 };
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { .e = &back };
	struct rfs_error err = { 0 };
	char key[96], *text;

	mf_sample_entry(&e);
	e.bin_path = "T/L/E/dt=\xfe";
	cr_assert_eq(rfs_manifest_write(b, &e, mf_rows_fn, &r, &err), 0, "%s",
		     err.msg);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	text = mf_slurp(b, key);
	cr_assert_not_null(strstr(text, "{\"hex\":\"626164ff6e616d65\"}"), "%s",
			   text);
	cr_assert_not_null(strcasestr(text, "\"new\\nline\\u001b\""), "%s",
			   text);
	free(text);
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err), 0,
		     "%s", err.msg);
	cr_assert_str_eq(back.bin_path, "T/L/E/dt=\xfe");
	cr_assert_eq(g.n, 2);
	cr_assert_str_eq(g.f[0].path, "bad\xff"
				      "name");
	cr_assert_str_eq(g.f[1].path, "new\nline\x1b");
	mf_got_free(&g);
	rfs_entry_release(&back);
	rfs_backend_free(b);
}

Test(core_manifest, a_bad_uuid_is_refused)
{
	struct rfs_backend *b = mf_open_mem("mf-baduuid");
	struct rfs_entry e;
	struct rfs_error err = { 0 };

	mf_sample_entry(&e);
	snprintf(e.uuid, sizeof(e.uuid), "../../x");
	cr_assert_eq(rfs_manifest_write(b, &e, NULL, NULL, &err), -EINVAL);
	cr_assert_eq(rfs_manifest_remove(b, "a/b", &err), -EINVAL);
	rfs_backend_free(b);
}

Test(core_manifest, a_manifest_with_no_rows)
{
	struct rfs_backend *b = mf_open_mem("mf-norows");
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { 0 };
	struct rfs_error err = { 0 };
	char key[96];

	mf_sample_entry(&e);
	cr_assert_eq(rfs_manifest_write(b, &e, NULL, NULL, &err), 0, "%s",
		     err.msg);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(g.n, 0);
	mf_got_free(&g);
	rfs_entry_release(&back);
	rfs_backend_free(b);
}

/* Issue 17, row 1: the ISO times of manifests go through the checked
 * conversion: 0000-9999 used to be accepted and overflowed. */
Test(core_manifest, iso_times_beyond_int64_nanoseconds_are_erange)
{
	const char *bad[] = { "9999-01-01T00:00:00Z", "2263-01-01T00:00:00Z",
			      "1677-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
			      "1000-01-01T00:00:00.5Z" };
	int64_t ns = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(rfs_manifest_parse_iso(bad[i], &ns), -ERANGE, "%s",
			     bad[i]);
	cr_assert_eq(ns, 7);
	cr_assert_eq(
		rfs_manifest_parse_iso("2262-04-11T23:47:15.999999999Z", &ns),
		0);
	cr_assert_eq(ns, 9223372035999999999LL);
	cr_assert_eq(rfs_manifest_parse_iso("2023-02-29T00:00:00Z", &ns),
		     -EINVAL);
}

/* Special files: their rows round-trip with type and device number, and
 * make the manifest version 2; a device row without "rdev" is corrupt. */
Test(core_manifest, round_trips_special_files_as_version_2)
{
	const struct rfs_entry_file rows[] = {
		{ .path = "", .type = RFS_FILE_DIR, .mode = 0755 },
		{ .path = "q",
		  .type = RFS_FILE_FIFO,
		  .mode = 0640,
		  .uid = 7,
		  .gid = 8,
		  .mtime_ns = 1700000000123456789LL,
		  .atime_ns = 1700000001000000000LL },
		{ .path = "s", .type = RFS_FILE_SOCK, .mode = 0755 },
		{ .path = "tty",
		  .type = RFS_FILE_CHR,
		  .mode = 0620,
		  .gid = 5,
		  .rdev = makedev(4, 64) },
		{ .path = "big",
		  .type = RFS_FILE_BLK,
		  .mode = 0660,
		  .rdev = makedev(259, 1048575) },
	};
	struct mf_rows r = { rows, sizeof(rows) / sizeof(rows[0]), 0 };
	struct rfs_backend *b = mf_open_mem("mf-special");
	struct rfs_entry e, back = { 0 };
	struct mf_got g = { 0 };
	struct rfs_error err = { 0 };
	char key[96], *text, *at;

	mf_sample_entry(&e);
	cr_assert_eq(rfs_manifest_write(b, &e, mf_rows_fn, &r, &err), 0, "%s",
		     err.msg);
	rfs_manifest_key(MF_UUID, key, sizeof(key));
	text = mf_slurp(b, key);
	cr_assert_not_null(strstr(text, "\"version\":2,"), "%.120s", text);
	cr_assert_not_null(strstr(text, "\"rdev\":{\"major\":259,"
					"\"minor\":1048575}"),
			   "%s", text);
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(g.n, r.n);
	for (size_t i = 0; i < r.n; i++)
		mf_assert_row_eq(&rows[i], &g.f[i]);
	mf_got_free(&g);
	rfs_entry_release(&back);
	/* the device's row loses its number: corrupt, nothing handed out */
	at = strstr(text, ",\"rdev\":{\"major\":4,\"minor\":64}");
	cr_assert_not_null(at, "%s", text);
	memmove(at, at + strlen(",\"rdev\":{\"major\":4,\"minor\":64}"),
		strlen(at + strlen(",\"rdev\":{\"major\":4,\"minor\":64}")) +
			1);
	mf_put(b, key, text);
	g = (struct mf_got){ 0 };
	cr_assert_eq(rfs_manifest_read(b, key, &back, mf_got_fn, &g, &err),
		     -EBADMSG);
	cr_assert_not_null(strstr(err.msg, "device 'tty' has no \"rdev\""),
			   "%s", err.msg);
	cr_assert_eq(g.n, 0);
	free(text);
	rfs_backend_free(b);
}
