/*
 * recyclefs reindex: rebuild the index's bin entries from the manifests in
 * every storage's recycle location.
 */
#include "core/archive.h"

#include "backends/backend.h"
#include "core/ports.h"
#include "model/catalog.h"
#include "model/entry.h"
#include "core/job_priv.h"
#include "core/journal.h"
#include "core/manifest.h"
#include "model/storage.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/journal.h"
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

/* What a catalog snapshot says about entries (rfs_reindex_from()). */
struct known {
	json_t *ids;	/* uuid -> the entry's row id in the snapshot */
	int64_t max_id; /* the highest of them */
};

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
		  const char *key, const struct known *kn, struct rfs_entry *e,
		  struct rfs_error *why)
{
	json_t *want = NULL;
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
	/* Known to the snapshot: its row id again, and no new history (the
	 * snapshot's history has its archive). Unknown: after them all. */
	if (r == 0 && kn)
		want = json_object_get(kn->ids, e->uuid);
	if (r == 0 && want) {
		r = rfs_index_journal_renumber_entry(
			idx, e->id, json_integer_value(want), why);
		e->id = json_integer_value(want);
	} else if (r == 0 && kn && e->id <= kn->max_id) {
		r = rfs_index_journal_renumber_entry(idx, e->id,
						     kn->max_id + e->id, why);
		e->id = kn->max_id + e->id;
	}
	im.id = e->id;
	if (r == 0) {
		struct rfs_entry again = { 0 };

		r = rfs_manifest_read(bin, key, &again, import_row, &im, why);
		rfs_entry_release(&again);
	}
	if (r == 0 && !want)
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
			 const struct known *kn, rfs_reindex_fn fn, void *ctx,
			 int *added)
{
	struct rfs_reindex_report rep = { .storage = s->name };
	struct rfs_backend *bin = NULL;
	struct rfs_error err = { 0 };
	struct found f = { 0 };
	size_t i;
	int r;

	if (s->cls->family == RFS_FAMILY_RELATIONAL &&
	    rfs_ports_supported(s->cls->schemes[0])) {
		/* tables: the manifest table (core/kind_rel.c) */
		rfs_rel_reindex_storage(idx, s, fn, ctx, added);
		return;
	}
	if (!s->bin_uri || !rfs_ports_supported(s->cls->schemes[0]))
		return;
	r = rfs_ports_open(s->bin_uri, &bin, &err);
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
		r = import(idx, bin, f.keys[i], kn, &e, &err);
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
	int r, n = 0;

	if (added)
		*added = 0;
	r = rfs_index_load_catalog(idx, &cat, err);
	if (r < 0)
		return r;
	for (i = 0; i < cat->n_storages; i++)
		scan_storage(idx, cat->storages[i], NULL, fn, ctx, &n);
	rfs_catalog_free(cat);
	if (n) /* their reindex history, into the catalog journal */
		rfs_journal_write(idx, NULL);
	if (added)
		*added = n;
	return 0;
}

/* uuid -> id of every entry in a snapshot's dump. */
static int known_of(const json_t *dump, struct known *kn)
{
	const json_t *row;
	size_t i;

	kn->ids = json_object();
	kn->max_id = 0;
	if (!kn->ids)
		return -ENOMEM;
	json_array_foreach(json_object_get(dump, "entries"), i, row)
	{
		const char *uuid =
			json_string_value(json_object_get(row, "uuid"));
		json_int_t id = json_integer_value(json_object_get(row, "id"));

		if (!uuid || id <= 0)
			continue;
		if (json_object_set_new(kn->ids, uuid, json_integer(id)))
			return -ENOMEM;
		if (id > kn->max_id)
			kn->max_id = id;
	}
	return 0;
}

int rfs_reindex_from(struct rfs_index *idx, const char *uri, rfs_reindex_fn fn,
		     rfs_journal_skip_fn skip, void *ctx,
		     struct rfs_reindex_from_report *rep, struct rfs_error *err)
{
	struct rfs_reindex_from_report none = { 0 };
	struct known kn = { 0 };
	struct rfs_catalog *cat = NULL;
	json_t *dump = NULL;
	size_t i;
	int r;

	if (!rep)
		rep = &none;
	memset(rep, 0, sizeof(*rep));
	r = rfs_journal_read(uri, &dump, &rep->snapshot, skip, ctx, err);
	if (r < 0)
		return r;
	r = known_of(dump, &kn);
	if (r < 0)
		goto out;
	if (rfs_index_journal_empty(idx)) {
		r = rfs_index_begin(idx, err);
		if (r == 0)
			r = rfs_index_journal_load(idx, dump, err);
		if (r == 0)
			r = rfs_index_load_catalog(idx, &cat, err);
		/* A snapshot is outside input: its URIs are checked as
		 * 'storage add' checks them (no credentials, good options). */
		for (i = 0; r == 0 && i < cat->n_storages; i++) {
			r = rfs_ports_check_uri(cat->storages[i]->uri, err);
			if (r == 0 && cat->storages[i]->bin_uri)
				r = rfs_ports_check_uri(
					cat->storages[i]->bin_uri, err);
		}
		if (r == 0)
			r = rfs_index_commit(idx, err);
		if (r < 0) {
			rfs_index_rollback(idx);
			rfs_error_prefix(err, "catalog snapshot '%s'",
					 rep->snapshot);
			goto out;
		}
		rep->catalog_loaded = true;
	} else {
		r = rfs_index_load_catalog(idx, &cat, err);
		if (r < 0)
			goto out;
	}
	for (i = 0; i < cat->n_storages; i++)
		scan_storage(idx, cat->storages[i], &kn, fn, ctx, &rep->added);
	if (rep->catalog_loaded) {
		r = rfs_index_begin(idx, err);
		if (r == 0)
			r = rfs_index_journal_load_restores(
				idx, dump, &rep->restores_skipped, err);
		if (r == 0)
			r = rfs_index_commit(idx, err);
		if (r < 0) {
			rfs_index_rollback(idx);
			goto out;
		}
	}
	/* The rebuilt state goes back into every storage's journal. */
	rfs_journal_write(idx, NULL);
out:
	json_decref(kn.ids);
	json_decref(dump);
	rfs_catalog_free(cat);
	if (rep == &none)
		free(none.snapshot);
	return r;
}
