/*
 * core/reindex: rebuilding the index's bin entries from the manifests that
 * archive jobs leave in recycle storage.
 */
#include "archive_fixture.h"

#include "backends/backend.h"
#include "core/archive.h"
#include "model/date.h"
#include "core/edit.h"
#include "core/manifest.h"
#include "index/entries.h"
#include "index/index.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(core_reindex, .timeout = 60);

static struct afx f;

struct reports {
	int n, added, exist, skipped;
	char skipped_names[4][128];
	int skipped_codes[4];
};

static void on_report(void *ctx, const struct rfs_reindex_report *r)
{
	struct reports *rp = ctx;

	rp->n++;
	if (r->result == 0) {
		rp->added++;
	} else if (r->result == -EEXIST) {
		rp->exist++;
	} else {
		cr_assert_not_null(r->reason, "%s skipped without a reason",
				   r->manifest);
		if (rp->skipped < 4) {
			snprintf(rp->skipped_names[rp->skipped], 128, "%s",
				 r->manifest);
			rp->skipped_codes[rp->skipped] = r->result;
		}
		rp->skipped++;
	}
}

/* Put @p text at @p key of the bin. */
static void put_bin(const char *key, const char *text)
{
	struct rfs_file *out;

	cr_assert_eq(rfs_backend_open_file(f.bin, key,
					   O_CREAT | O_TRUNC | O_WRONLY, 0644,
					   &out),
		     0);
	cr_assert_eq(rfs_file_write(out, text, strlen(text), 0),
		     (ssize_t)strlen(text));
	cr_assert_eq(rfs_file_close(out), 0);
}

/* A copy of @p e's manifest, as version 99 under another uuid. */
static void put_newer_manifest(const struct rfs_entry *e)
{
	struct rfs_file *in;
	char key[128], buf[1 << 16];
	json_error_t jerr;
	json_t *doc;
	ssize_t n;
	char *text;

	rfs_manifest_key(e->uuid, key, sizeof(key));
	cr_assert_eq(rfs_backend_open_file(f.bin, key, O_RDONLY, 0, &in), 0);
	n = rfs_file_read(in, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	rfs_file_close(in);
	doc = json_loads(buf, 0, &jerr);
	cr_assert_not_null(doc, "%s", jerr.text);
	json_object_set_new(doc, "version", json_integer(99));
	json_object_set_new(doc, "uuid",
			    json_string("99999999999999999999999999999999"));
	text = json_dumps(doc, 0);
	put_bin(RFS_MANIFEST_DIR "/99999999999999999999999999999999.json",
		text);
	free(text);
	json_decref(doc);
}

static int64_t rows_of(struct rfs_index *idx, int64_t id)
{
	struct rfs_error err = { 0 };
	int64_t files = -1;

	cr_assert_eq(rfs_index_file_count(idx, id, -1, &files, NULL, &err), 0);
	return files;
}

Test(core_reindex, rebuilds_entries_and_skips_bad_manifests)
{
	struct rfs_entry a = { 0 }, b = { 0 }, got = { 0 };
	struct reports rp = { 0 };
	struct rfs_index *idx2 = NULL;
	struct rfs_entry_file row;
	char db2[160], uri[128];
	int32_t from;
	int added = -1;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_dir(&f, "dt=2", 0755);
	afx_file(&f, "dt=2/x.parquet", 2048, 0644);
	afx_settle(&f);
	afx_archive(&f, "dt=1", &a);
	afx_archive(&f, "dt=2/x.parquet", &b);
	put_bin(RFS_MANIFEST_DIR "/00000000000000000000000000000001.json",
		"{\"format\": \"recyclefs-manifest\", \"version\": 1, \"uu");
	put_newer_manifest(&a);

	/* a new index with the same catalog */
	snprintf(db2, sizeof(db2), "%s-2", f.db);
	cr_assert_eq(rfs_index_open(db2, RFS_INDEX_CREATE, &idx2, &f.err), 0);
	snprintf(uri, sizeof(uri), "mem://%s/data", f.store);
	cr_assert_eq(rfs_edit_storage_add(idx2, "m", uri, NULL, &f.err), 0);
	cr_assert_eq(rfs_edit_table_add(idx2, AFX_TABLE, NULL, 0, &f.err), 0);
	cr_assert_eq(
		rfs_edit_lifecycle_add(idx2, AFX_TABLE, AFX_LC, -1, &f.err), 0);
	cr_assert_eq(rfs_date_parse("from", "2013-01-01", &from, &f.err), 0);
	cr_assert_eq(rfs_edit_epoch_add(idx2, AFX_TABLE, AFX_LC, from,
					RFS_DATE_NOW, "m", "orders/b1", 0,
					&f.err),
		     0);

	cr_assert_eq(rfs_reindex(idx2, on_report, &rp, &added, &f.err), 0, "%s",
		     f.err.msg);
	cr_assert_eq(added, 2);
	cr_assert_eq(rp.added, 2);
	cr_assert_eq(rp.skipped, 2, "%d skipped", rp.skipped);
	for (int i = 0; i < 2; i++) {
		if (strstr(rp.skipped_names[i], "9999"))
			cr_assert_eq(rp.skipped_codes[i], -EPROTO);
		else
			cr_assert_eq(rp.skipped_codes[i], -EBADMSG, "%s: %d",
				     rp.skipped_names[i], rp.skipped_codes[i]);
	}

	cr_assert_eq(rfs_index_entry_by_uuid(idx2, a.uuid, &got, &f.err), 0);
	cr_assert_eq(got.state, RFS_ENTRY_ARCHIVED);
	cr_assert_str_eq(got.bin_path, a.bin_path);
	cr_assert_str_eq(got.origin_path, a.origin_path);
	cr_assert_eq(got.files_total, a.files_total);
	cr_assert_eq(got.bytes_total, a.bytes_total);
	cr_assert_eq(rows_of(idx2, got.id), rows_of(f.idx, a.id));
	cr_assert_eq(
		rfs_index_file_get(idx2, got.id, "sub/a.bin", &row, &f.err), 0);
	cr_assert_str_eq(row.sha256, afx_node(&f, "dt=1/sub/a.bin")->sha);
	rfs_entry_release(&got);
	cr_assert_eq(rfs_index_entry_by_uuid(idx2, b.uuid, &got, &f.err), 0);
	cr_assert_eq(got.state, RFS_ENTRY_ARCHIVED);
	cr_assert_not(got.is_dir);
	cr_assert_eq(rows_of(idx2, got.id), 1);
	rfs_entry_release(&got);

	/* again: nothing new, the bad ones reported again */
	memset(&rp, 0, sizeof(rp));
	cr_assert_eq(rfs_reindex(idx2, on_report, &rp, &added, &f.err), 0);
	cr_assert_eq(added, 0);
	cr_assert_eq(rp.exist, 2);
	cr_assert_eq(rp.skipped, 2);
	rfs_index_free(idx2);
	rfs_entry_release(&a);
	rfs_entry_release(&b);
	afx_close(&f);
}
