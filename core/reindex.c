/*
 * recyclefs reindex: rebuild the index's bin entries from the manifests in
 * every storage's recycle location.
 */
#include "core/archive.h"

#include "backends/backend.h"
#include "core/catalog.h"
#include "core/entry.h"
#include "core/manifest.h"
#include "core/storage.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct found {
	char **keys;
	size_t n, cap;
};

static int add_manifest(void *ctx, const char *name, const struct stat *st)
{
	struct found *f = ctx;
	size_t len = strlen(name);
	char *key;

	if (!S_ISREG(st->st_mode) || len < 6 || name[0] == '.' ||
	    strcmp(name + len - 5, ".json"))
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		char **k = realloc(f->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		f->keys = k;
		f->cap = cap;
	}
	if (asprintf(&key, RFS_MANIFEST_DIR "/%s", name) < 0)
		return -ENOMEM;
	f->keys[f->n++] = key;
	return 0;
}

struct import {
	struct rfs_index *idx;
	int64_t id;
	bool archived;
	struct rfs_error *err;
};

static int import_row(void *ctx, const struct rfs_entry_file *f)
{
	struct import *im = ctx;
	struct rfs_entry_file row = *f;

	row.state = im->archived ? RFS_FILE_DELETED : RFS_FILE_VERIFIED;
	return rfs_index_file_insert(im->idx, im->id, &row, im->err);
}

/* Import one manifest: the entry and its rows in one transaction. */
static int import(struct rfs_index *idx, struct rfs_backend *bin,
		  const char *key, struct rfs_entry *e, struct rfs_error *why)
{
	struct rfs_entry have = { 0 };
	struct import im = { idx, 0, false, why };
	struct rfs_error ignore = { 0 };
	int r;

	r = rfs_manifest_read(bin, key, e, NULL, NULL, why);
	if (r < 0)
		return r;
	if (rfs_index_entry_by_uuid(idx, e->uuid, &have, &ignore) == 0) {
		rfs_entry_release(&have);
		return -EEXIST;
	}
	im.archived = e->state == RFS_ENTRY_ARCHIVED;
	if (!im.archived) {
		/* Written before its source was deleted: let a retry finish
		 * the deletion, which checks the source first. */
		e->failed_step = RFS_ENTRY_DELETE;
		e->state = RFS_ENTRY_FAILED;
		free(e->reason);
		e->reason = strdup("rebuilt from a manifest written before "
				   "the source was removed; run 'recyclefs "
				   "retry' to finish");
	}
	free(e->lease_owner);
	e->lease_owner = NULL;
	r = rfs_index_begin(idx, why);
	if (r < 0)
		return r;
	r = rfs_index_entry_insert(idx, e, why);
	if (r == -EEXIST)
		rfs_error_set(why, EEXIST,
			      "its bin path '%s' is held by another entry",
			      e->bin_path);
	im.id = e->id;
	if (r == 0) {
		struct rfs_entry again = { 0 };

		r = rfs_manifest_read(bin, key, &again, import_row, &im, why);
		rfs_entry_release(&again);
	}
	if (r == 0)
		r = rfs_index_history_add(idx, "reindex", e->origin_path, NULL,
					  why);
	if (r == 0)
		r = rfs_index_commit(idx, why);
	if (r < 0) {
		rfs_index_rollback(idx);
		return r == -EEXIST ? -EADDRINUSE : r;
	}
	return 0;
}

static void scan_storage(struct rfs_index *idx, const struct rfs_storage *s,
			 rfs_reindex_fn fn, void *ctx, int *added)
{
	struct rfs_reindex_report rep = { .storage = s->name };
	struct rfs_backend *bin = NULL;
	struct rfs_error err = { 0 };
	struct found f = { 0 };
	size_t i;
	int r;

	if (!s->bin_uri || !rfs_backend_scheme_supported(s->cls->schemes[0]))
		return;
	r = rfs_backend_open(s->bin_uri, &bin, &err);
	if (r == 0)
		r = rfs_backend_list(bin, RFS_MANIFEST_DIR, add_manifest, &f);
	if (r < 0 && r != -ENOENT) {
		rep.manifest = RFS_MANIFEST_DIR;
		rep.result = r;
		rep.reason = err.msg[0] ? err.msg : strerror(-r);
		if (fn)
			fn(ctx, &rep);
	}
	for (i = 0; i < f.n; i++) {
		struct rfs_entry e = { 0 };

		rfs_error_clear(&err);
		r = import(idx, bin, f.keys[i], &e, &err);
		rep.manifest = f.keys[i];
		rep.bin_path = e.bin_path;
		rep.result = r;
		rep.reason = r < 0 && r != -EEXIST ? err.msg : NULL;
		if (r == 0 && added)
			++*added;
		if (fn)
			fn(ctx, &rep);
		rfs_entry_release(&e);
		free(f.keys[i]);
	}
	free(f.keys);
	rfs_backend_free(bin);
}

int rfs_reindex(struct rfs_index *idx, rfs_reindex_fn fn, void *ctx, int *added,
		struct rfs_error *err)
{
	struct rfs_catalog *cat;
	size_t i;
	int r;

	if (added)
		*added = 0;
	r = rfs_index_load_catalog(idx, &cat, err);
	if (r < 0)
		return r;
	for (i = 0; i < cat->n_storages; i++)
		scan_storage(idx, cat->storages[i], fn, ctx, added);
	rfs_catalog_free(cat);
	return 0;
}
