/*
 * The catalog snapshot's data: loading it from the index (the sealed
 * catalog and the live recycle entries), its reference counts, what it
 * hides in the epochs (items being archived, the storages' own bins), and
 * a snapshot derived from another with one recycle entry more (an archive)
 * or less (a purge), so that a change of the mount's own shows at once
 * without a reload on the FUSE thread that made it. No FUSE call here: the
 * watcher (fs/snap.c) swaps snapshots in and tells the kernel.
 */
#include "fs/internal.h"

#include "index/entries.h"
#include "index/index.h"
#include "model/catalog.h"
#include "model/entry.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool rfs_fs_key_hidden(const struct rfs_epoch *e, const char *key)
{
	return e->bin_key && rfs_path_is_under(key, e->bin_key);
}

struct load {
	struct fs_snap *s;
	size_t cap;
};

/* A new, zeroed entry at the end of @p l's snapshot, or NULL. */
static struct fs_bin_entry *grow(struct load *l)
{
	struct fs_bin_entry *b;

	if (l->s->n_bin == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct fs_bin_entry *v = realloc(l->s->bin, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->s->bin = v;
		l->cap = cap;
	}
	b = &l->s->bin[l->s->n_bin++];
	memset(b, 0, sizeof(*b));
	return b;
}

/* Own copies of the strings entry @p b borrows (from @p e). */
static int own_strings(struct fs_bin_entry *b, const char *bin_path,
		       const char *item_key, const char *src_uri,
		       const char *bin_root_uri)
{
	b->bin_path = strdup(bin_path);
	b->item_key = strdup(item_key);
	b->src_uri = strdup(src_uri);
	b->bin_root_uri = strdup(bin_root_uri);
	if (!b->bin_path || !b->item_key || !b->src_uri || !b->bin_root_uri)
		return -ENOMEM;
	return 0;
}

static int load_entry(const struct rfs_entry *e, void *ctx)
{
	struct load *l = ctx;
	struct fs_bin_entry *b;

	/* Being purged: gone for the user, the workers finish it. */
	if (e->state == RFS_ENTRY_PURGING)
		return 0;
	b = grow(l);
	if (!b)
		return -ENOMEM;
	b->id = e->id;
	b->epoch_id = e->epoch_id;
	b->state = e->state;
	b->is_dir = e->is_dir;
	b->restored = e->restored_to != NULL;
	b->created_ns = e->created_ns;
	snprintf(b->uuid, sizeof(b->uuid), "%s", e->uuid);
	return own_strings(b, e->bin_path, e->item_key, e->src_uri,
			   e->bin_root_uri);
}

/* A copy of entry @p e of another snapshot, at the end of @p l's. */
static int copy_entry(struct load *l, const struct fs_bin_entry *e)
{
	struct fs_bin_entry *b = grow(l);

	if (!b)
		return -ENOMEM;
	*b = *e;
	return own_strings(b, e->bin_path, e->item_key, e->src_uri,
			   e->bin_root_uri);
}

/* Whether an entry keeps its origin out of view. */
static bool hides_origin(const struct fs_bin_entry *b)
{
	if (rfs_entry_state_archiving(b->state))
		return true;
	/* A whole epoch in the bin leaves its lifecycle until restored. */
	return !*b->item_key && b->state == RFS_ENTRY_ARCHIVED && !b->restored;
}

/* The entries of @p s that hide their origin. @return 0 or -ENOMEM */
static int hide_build(struct fs_snap *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_bin; i++)
		n += hides_origin(&s->bin[i]);
	if (!n)
		return 0;
	s->hide = calloc(n, sizeof(*s->hide));
	if (!s->hide)
		return -ENOMEM;
	for (i = 0; i < s->n_bin; i++)
		if (hides_origin(&s->bin[i]))
			s->hide[s->n_hide++] = &s->bin[i];
	return 0;
}

int rfs_fs_bin_load(struct rfs_index *idx, struct fs_snap *s)
{
	struct load l = { s, 0 };
	struct rfs_error err = { 0 };
	int r;

	r = rfs_index_entry_list(idx, RFS_INDEX_ENTRIES_LIVE, NULL, load_entry,
				 &l, &err);
	if (r < 0) {
		rfs_fs_bin_release(s);
		return r;
	}
	r = hide_build(s);
	if (r < 0)
		rfs_fs_bin_release(s);
	return r;
}

void rfs_fs_bin_release(struct fs_snap *s)
{
	size_t i;

	for (i = 0; i < s->n_bin; i++) {
		free(s->bin[i].bin_path);
		free(s->bin[i].item_key);
		free(s->bin[i].src_uri);
		free(s->bin[i].bin_root_uri);
	}
	free(s->bin);
	free(s->hide);
	s->bin = NULL;
	s->hide = NULL;
	s->n_bin = s->n_hide = 0;
}

bool rfs_fs_bin_hides(const struct fs_snap *s, int64_t epoch_id,
		      const char *key)
{
	size_t i;

	for (i = 0; i < s->n_hide; i++) {
		const struct fs_bin_entry *b = s->hide[i];

		if (b->epoch_id != epoch_id)
			continue;
		if (!*b->item_key ? rfs_entry_state_archiving(b->state) || !*key
				  : rfs_path_is_under(key, b->item_key))
			return true;
	}
	return false;
}

void rfs_fs_snap_free(struct fs_snap *s)
{
	if (!s)
		return;
	if (s->cat_refs &&
	    !__atomic_sub_fetch(s->cat_refs, 1, __ATOMIC_ACQ_REL)) {
		rfs_catalog_free(s->cat);
		free(s->cat_refs);
	}
	rfs_fs_bin_release(s);
	free(s);
}

static uint64_t bin_print(const struct fs_snap *s)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < s->n_bin; i++) {
		h = (h ^ (uint64_t)s->bin[i].id) * 1099511628211ULL;
		h = (h ^ (uint64_t)s->bin[i].state) * 1099511628211ULL;
		h = (h ^ (uint64_t)s->bin[i].restored) * 1099511628211ULL;
	}
	return h ^ s->n_bin;
}

/* Counts the snapshots of the process. */
static uint64_t gens;

int rfs_fs_snap_load(struct rfs_fs_state *st, struct rfs_index *idx,
		     struct fs_snap **out)
{
	struct rfs_error err = { 0 };
	struct fs_snap *s = calloc(1, sizeof(*s));
	int r;

	if (!s || !(s->cat_refs = malloc(sizeof(*s->cat_refs)))) {
		free(s);
		return -ENOMEM;
	}
	*s->cat_refs = 1;
	r = rfs_index_load_catalog(idx, &s->cat, &err);
	if (r < 0) {
		rfs_log(LOG_ERR, "reload of the catalog from '%s' failed: %s",
			st->index_path, err.msg);
		free(s->cat_refs);
		free(s);
		return r;
	}
	r = rfs_fs_bin_load(idx, s);
	if (r < 0) {
		rfs_log(LOG_ERR, "reload of the recycle bin from '%s' failed",
			st->index_path);
		rfs_catalog_free(s->cat);
		free(s->cat_refs);
		free(s);
		return r;
	}
	s->refs = 1;
	s->gen = __atomic_add_fetch(&gens, 1, __ATOMIC_RELAXED);
	s->bin_print = bin_print(s);
	*out = s;
	return 0;
}

bool rfs_fs_snap_has_entry(const struct fs_snap *s, int64_t id)
{
	for (size_t i = 0; i < s->n_bin; i++)
		if (s->bin[i].id == id)
			return true;
	return false;
}

/* The end of a snapshot derived from @p base, its bin entries copied
 * into @p s with result @p r: the hidden names built, the catalog shared
 * with @p base, entry @p pin_id pinned (as gone when @p gone) until
 * @p pin_until_ns. On failure @p s is freed. */
static int derived_end(struct fs_snap *base, struct fs_snap *s, int r,
		       int64_t pin_id, bool gone, int64_t pin_until_ns,
		       struct fs_snap **out)
{
	if (r == 0)
		r = hide_build(s);
	if (r < 0) {
		rfs_fs_bin_release(s);
		free(s);
		return r;
	}
	s->cat = base->cat;
	s->cat_refs = base->cat_refs;
	__atomic_add_fetch(s->cat_refs, 1, __ATOMIC_RELAXED);
	s->refs = 1;
	s->gen = __atomic_add_fetch(&gens, 1, __ATOMIC_RELAXED);
	s->bin_print = bin_print(s);
	s->pin_id = pin_id;
	s->pin_gone = gone;
	s->pin_until_ns = pin_until_ns;
	*out = s;
	return 0;
}

int rfs_fs_snap_with_entry(struct fs_snap *base, const struct rfs_entry *e,
			   int64_t pin_until_ns, struct fs_snap **out)
{
	struct fs_snap *s;
	struct load l;
	size_t i, at;
	int r = 0;

	if (rfs_fs_snap_has_entry(base, e->id))
		return -EEXIST;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	l.s = s;
	l.cap = 0;
	/* In bin_path order, as the index lists them. */
	for (at = 0; at < base->n_bin &&
		     strcmp(base->bin[at].bin_path, e->bin_path) <= 0;
	     at++)
		;
	for (i = 0; r == 0 && i <= base->n_bin; i++) {
		if (i == at)
			r = load_entry(e, &l);
		if (r == 0 && i < base->n_bin)
			r = copy_entry(&l, &base->bin[i]);
	}
	return derived_end(base, s, r, e->id, false, pin_until_ns, out);
}

int rfs_fs_snap_without_entry(struct fs_snap *base, int64_t id,
			      int64_t pin_until_ns, struct fs_snap **out)
{
	struct fs_snap *s;
	struct load l;
	size_t i;
	int r = 0;

	if (!rfs_fs_snap_has_entry(base, id))
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	l.s = s;
	l.cap = 0;
	for (i = 0; r == 0 && i < base->n_bin; i++)
		if (base->bin[i].id != id)
			r = copy_entry(&l, &base->bin[i]);
	return derived_end(base, s, r, id, true, pin_until_ns, out);
}

struct fs_snap *rfs_fs_snap_get(struct rfs_fs_state *st)
{
	struct fs_snap *s;

	pthread_mutex_lock(&st->snap_lock);
	s = st->snap;
	s->refs++;
	pthread_mutex_unlock(&st->snap_lock);
	return s;
}

void rfs_fs_snap_put(struct rfs_fs_state *st, struct fs_snap *snap)
{
	bool last;

	pthread_mutex_lock(&st->snap_lock);
	last = --snap->refs == 0;
	pthread_mutex_unlock(&st->snap_lock);
	if (last)
		rfs_fs_snap_free(snap);
}
