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
#include "index/parts.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One path going, and what the index knows of it. */
struct part {
	const char *sub;
	enum rfs_file_type type;
	int64_t size;
	bool listed; /* a row not purged yet */
	bool gone;   /* out of recycle storage (or never there) */
};

/* The manifest's rows: the index's, without the purged ones and without
 * the parts in @p skip (sorted by path) that @p gone_only leaves out. */
struct rows {
	struct rfs_index *idx;
	int64_t id;
	struct part **skip;
	size_t n_skip;
	bool gone_only;
	int (*emit)(void *wctx, const struct rfs_entry_file *f);
	void *wctx;
};

static int part_cmp(const void *a, const void *b)
{
	return strcmp((*(struct part *const *)a)->sub,
		      (*(struct part *const *)b)->sub);
}

static int key_cmp(const void *k, const void *b)
{
	return strcmp(k, (*(struct part *const *)b)->sub);
}

static int emit_kept(const struct rfs_entry_file *f, void *ctx)
{
	struct rows *r = ctx;
	struct part **hit;

	if (f->state == RFS_FILE_PURGED)
		return 0;
	hit = r->n_skip ? bsearch(f->path, r->skip, r->n_skip, sizeof(*r->skip),
				  key_cmp)
			: NULL;
	if (hit && (!r->gone_only || (*hit)->gone))
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

/* Mark the gone rows purged and take them out of the entry's counts (and,
 * with @p dequeue, drop their rows from the queue of parts), in one
 * transaction. */
static int forget_rows(struct rfs_index *idx, struct rfs_entry *e,
		       struct part *const *parts, size_t n, bool dequeue,
		       struct rfs_error *err)
{
	int64_t id = e->id;
	struct rfs_entry now = { 0 };
	bool counted = false;
	size_t i;
	int r = rfs_index_begin(idx, err);

	if (r < 0)
		return r;
	/* A whole purge begun meanwhile (by another process) owns the
	 * entry's state and counts now: only the rows are marked. */
	r = rfs_index_entry_get(idx, e->id, &now, err);
	if (r == 0 && now.state != e->state)
		e = NULL;
	rfs_entry_release(&now);
	for (i = 0; r == 0 && i < n; i++) {
		if (dequeue && parts[i]->gone)
			r = rfs_index_part_drop(idx, id, &parts[i]->sub, 1,
						err);
		if (r < 0 || !parts[i]->listed || !parts[i]->gone)
			continue;
		r = rfs_index_file_update(idx, id, parts[i]->sub, NULL,
					  RFS_FILE_PURGED, err);
		counted |= e && parts[i]->type != RFS_FILE_DIR;
	}
	if (r == 0 && counted)
		r = rfs_index_entry_update(idx, e, err);
	if (r == 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
	return r;
}

/* Remove one part's copy; folders only once empty. */
static int remove_copy(struct rfs_backend *bin, const char *bin_path,
		       struct part *p, struct rfs_buf *key, bool missing_ok,
		       struct rfs_error *err)
{
	int r;

	rfs_buf_reset(key);
	r = rfs_path_join(key, bin_path, p->sub);
	if (r < 0)
		return rfs_error_set(err, -r, "out of memory");
	r = p->type == RFS_FILE_DIR ? rfs_backend_rmdir(bin, rfs_buf_str(key))
				    : rfs_backend_unlink(bin, rfs_buf_str(key));
	if (r == -ENOENT &&
	    (missing_ok || p->listed || p->type == RFS_FILE_DIR))
		r = 0;
	if (r < 0)
		return rfs_error_set(err, -r, "cannot remove '%s': %s",
				     rfs_buf_str(key), strerror(-r));
	p->gone = true;
	return 0;
}

int rfs_purge_parts(struct rfs_index *idx, struct rfs_backend *bin, int64_t id,
		    const char *const *subs, size_t n, struct rfs_error *err)
{
	return rfs_purge_parts_queued(idx, bin, id, subs, n, false, err);
}

int rfs_purge_parts_queued(struct rfs_index *idx, struct rfs_backend *bin,
			   int64_t id, const char *const *subs, size_t n,
			   bool dequeue, struct rfs_error *err)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_entry e = { 0 };
	struct rfs_entry_file row;
	struct part *parts = NULL, **sorted = NULL;
	struct rows rows = { idx, id, NULL, 0, false, NULL, NULL };
	bool any_listed = false;
	size_t i, k;
	int r, first = 0;

	for (i = 0; i < n; i++)
		if (!*subs[i])
			return rfs_error_set(err, EINVAL,
					     "a part of an entry is named by "
					     "a path below it");
	if (n == 0)
		return 0;
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
	parts = calloc(n, sizeof(*parts));
	sorted = calloc(n, sizeof(*sorted));
	if (!parts || !sorted) {
		r = rfs_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		parts[i].sub = subs[i];
		parts[i].type = RFS_FILE_REG;
		r = rfs_index_file_get(idx, id, subs[i], &row, err);
		if (r == 0) {
			parts[i].type = row.type;
			parts[i].size = row.size;
			parts[i].listed = row.state != RFS_FILE_PURGED;
		} else if (r != -ENOENT) {
			goto out;
		}
		rfs_error_clear(err);
		r = 0;
		any_listed |= parts[i].listed;
		sorted[i] = &parts[i];
	}
	qsort(sorted, n, sizeof(*sorted), part_cmp);
	rows.skip = sorted;
	rows.n_skip = n;
	for (i = 0; i < n; i++) {
		if (!parts[i].listed || parts[i].type == RFS_FILE_DIR)
			continue;
		e.files_total--;
		e.bytes_total -= parts[i].size;
	}
	e.files_done = e.files_total;
	e.bytes_done = e.bytes_total;
	/* The manifest first, once for every part: a crash after it leaves
	 * copies the manifest no longer claims, which a second rm removes;
	 * never a manifest that claims a copy gone. */
	if (any_listed) {
		r = rfs_manifest_write(bin, &e, kept_rows, &rows, err);
		if (r < 0)
			goto out;
	}
	/* Files, then folders deepest first (a child sorts after its
	 * parent), so that a folder whose content goes too is empty. */
	for (i = 0; i < n; i++) {
		if (sorted[i]->type == RFS_FILE_DIR)
			continue;
		r = remove_copy(bin, e.bin_path, sorted[i], &key, dequeue, err);
		if (r < 0 && !first)
			first = r;
	}
	for (k = n; k-- > 0;) {
		if (sorted[k]->type != RFS_FILE_DIR)
			continue;
		r = remove_copy(bin, e.bin_path, sorted[k], &key, dequeue,
				first ? NULL : err);
		if (r < 0 && !first)
			first = r;
	}
	if (first) {
		/* Some copies stay: the manifest lists them again, and the
		 * counts keep them. */
		for (i = 0; i < n; i++) {
			if (parts[i].gone || !parts[i].listed ||
			    parts[i].type == RFS_FILE_DIR)
				continue;
			e.files_total++;
			e.bytes_total += parts[i].size;
		}
		e.files_done = e.files_total;
		e.bytes_done = e.bytes_total;
		rows.gone_only = true;
		if (any_listed)
			rfs_manifest_write(bin, &e, kept_rows, &rows, NULL);
	}
	r = forget_rows(idx, &e, sorted, n, dequeue, first ? NULL : err);
	if (first)
		r = first;
out:
	free(parts);
	free(sorted);
	rfs_buf_release(&key);
	rfs_entry_release(&e);
	return r;
}

int rfs_purge_part(struct rfs_index *idx, struct rfs_backend *bin, int64_t id,
		   const char *sub, struct rfs_error *err)
{
	return rfs_purge_parts(idx, bin, id, &sub, 1, err);
}
