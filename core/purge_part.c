/*
 * Purging one file or folder of an archived entry (what `rm` of a path
 * inside a bin entry does): the data, the manifest and the index's rows
 * and counts move together, so that a reindex gives the same entry.
 */
#include "core/archive.h"

#include "backends/backend.h"
#include "model/entry.h"
#include "core/manifest.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The manifest's rows: the index's, without the purged ones and without
 * @p skip (the row going now, or NULL). */
struct rows {
	struct rfs_index *idx;
	int64_t id;
	const char *skip;
	int (*emit)(void *wctx, const struct rfs_entry_file *f);
	void *wctx;
};

static int emit_kept(const struct rfs_entry_file *f, void *ctx)
{
	struct rows *r = ctx;

	if (f->state == RFS_FILE_PURGED ||
	    (r->skip && !strcmp(f->path, r->skip)))
		return 0;
	return r->emit(r->wctx, f);
}

static int kept_rows(void *ctx,
		     int (*emit)(void *wctx, const struct rfs_entry_file *f),
		     void *wctx)
{
	struct rows *r = ctx;
	struct rfs_index_file_query q = { .state = -1 };
	struct rfs_error ignore = { 0 };

	r->emit = emit;
	r->wctx = wctx;
	return rfs_index_file_list(r->idx, r->id, &q, emit_kept, r, &ignore);
}

/* Mark the row purged and take it out of the entry's counts. */
static int forget_row(struct rfs_index *idx, struct rfs_entry *e,
		      const char *sub, bool counted, struct rfs_error *err)
{
	int r = rfs_index_begin(idx, err);

	if (r < 0)
		return r;
	r = rfs_index_file_update(idx, e->id, sub, NULL, RFS_FILE_PURGED, err);
	if (r == 0 && counted)
		r = rfs_index_entry_update(idx, e, err);
	if (r == 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
	return r;
}

int rfs_purge_part(struct rfs_index *idx, struct rfs_backend *bin, int64_t id,
		   const char *sub, struct rfs_error *err)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_entry e = { 0 }, was = { 0 };
	struct rfs_entry_file row;
	enum rfs_file_type type = RFS_FILE_REG;
	struct rows rows = { idx, id, sub, NULL, NULL };
	bool listed, counted;
	int64_t size = 0;
	int r;

	if (!*sub)
		return rfs_error_set(err, EINVAL,
				     "a part of an entry is named by a path "
				     "below it");
	r = rfs_index_entry_get(idx, id, &e, err);
	if (r < 0)
		return r;
	if (e.state != RFS_ENTRY_ARCHIVED) {
		r = rfs_error_set(err, EBUSY,
				  "'.recyclebin/%s' is %s: only an archived "
				  "entry loses a part",
				  e.bin_path, rfs_entry_state_name(e.state));
		goto out;
	}
	r = rfs_index_file_get(idx, id, sub, &row, err);
	listed = r == 0 && row.state != RFS_FILE_PURGED;
	if (r == 0) {
		type = row.type;
		size = row.size;
	} else if (r != -ENOENT) {
		goto out;
	}
	rfs_error_clear(err);
	r = rfs_path_join(&key, e.bin_path, sub);
	if (r < 0)
		goto out;
	counted = listed && type != RFS_FILE_DIR;
	r = rfs_entry_copy(&was, &e);
	if (r < 0)
		goto out;
	if (counted) {
		e.files_total--;
		e.bytes_total -= size;
		e.files_done = e.files_total;
		e.bytes_done = e.bytes_total;
	}
	if (type == RFS_FILE_DIR) {
		/* Only an empty folder goes: nothing of it is left to
		 * describe, and a non-empty one stays as it was. */
		r = rfs_backend_rmdir(bin, rfs_buf_str(&key));
		if (r == -ENOENT)
			r = 0;
		if (r < 0) {
			rfs_error_set(err, -r, "cannot remove '%s': %s",
				      rfs_buf_str(&key), strerror(-r));
			goto out;
		}
	}
	/* The manifest first: a crash after it leaves a file the manifest
	 * no longer claims, which a second rm removes; never a manifest
	 * that claims a file gone. */
	if (listed) {
		r = rfs_manifest_write(bin, &e, kept_rows, &rows, err);
		if (r < 0)
			goto out;
	}
	if (type != RFS_FILE_DIR) {
		r = rfs_backend_unlink(bin, rfs_buf_str(&key));
		if (r == -ENOENT && listed)
			r = 0;
		if (r < 0) {
			rfs_error_set(err, -r, "cannot remove '%s': %s",
				      rfs_buf_str(&key), strerror(-r));
			/* Put the manifest back as the data still is. */
			rows.skip = NULL;
			if (listed)
				rfs_manifest_write(bin, &was, kept_rows, &rows,
						   NULL);
			goto out;
		}
	}
	if (listed)
		r = forget_row(idx, &e, sub, counted, err);
out:
	rfs_buf_release(&key);
	rfs_entry_release(&e);
	rfs_entry_release(&was);
	return r;
}
