/*
 * What the mount keeps of relational epochs, made to follow recyclefs's
 * own jobs at once.
 *
 * A relational storage generates its files (schema.sql, data.csv) and
 * keeps them a few seconds; the kernel keeps names, attributes, listings
 * and pages for the entry and attribute timeouts. A job (an archive that
 * drops a partition, a restore that attaches one) may run in another
 * process, or in a worker of the mount on a connection of its own, so
 * neither sees it. Every job step bumps its epoch's generation in the
 * index (index/schema.c, version 6). Two things compare it with what they
 * last saw:
 *
 * - every request on a node of a relational epoch, before it answers
 *   (rfs_fs_rel_check()): on a change, the storage forgets what it
 *   generated and shows a new time on every node, so the open, lookup,
 *   listing or attribute that follows a job step is taken from the
 *   server again, and a listing the kernel kept is not reused (its
 *   folder's time changed);
 * - the watcher, when the index changed (rfs_fs_rel_sweep()): the same,
 *   and it tells the kernel to drop what it keeps of every node of the
 *   epoch (attributes, listings, pages, and names below the epoch), for
 *   what the kernel would answer without asking (a stat within the
 *   attribute timeout).
 *
 * Changes made to the tables by other clients are not in the index: the
 * storage's own expiry bounds how long they go unseen (docs/postgres.md).
 */
#include "fs/internal.h"

#include "backends/backend.h"
#include "index/index.h"
#include "model/catalog.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/** One relational epoch the mount answered for. */
struct rel_epoch {
	int64_t id;	       /**< its catalog id */
	struct rfs_backend *b; /**< its storage (kept for the mount's life) */
	int64_t seen;	       /**< the generation its storage forgot up to */
	int64_t told;	       /**< the generation the kernel was told of */
};

/** The relational epochs of a mount: rfs_fs_state::rel. */
struct fs_rel {
	pthread_mutex_t lock;  /**< guards what follows */
	struct rfs_index *idx; /**< the requests' reader, opened at first use
				* (after the daemon forked) */
	int64_t retry_ns;      /**< when to try opening idx again */
	struct rel_epoch *v;   /**< the epochs seen */
	size_t n, cap;	       /**< in use, allocated */
};

int rfs_fs_rel_init(struct rfs_fs_state *st)
{
	st->rel = calloc(1, sizeof(*st->rel));
	if (!st->rel)
		return -ENOMEM;
	pthread_mutex_init(&st->rel->lock, NULL);
	return 0;
}

void rfs_fs_rel_release(struct rfs_fs_state *st)
{
	if (!st->rel)
		return;
	rfs_index_free(st->rel->idx);
	pthread_mutex_destroy(&st->rel->lock);
	free(st->rel->v);
	free(st->rel);
	st->rel = NULL;
}

/* The record of epoch @p id, added when new; NULL when out of memory.
 * Called with the lock held. */
static struct rel_epoch *find_locked(struct fs_rel *rl, int64_t id, bool add)
{
	struct rel_epoch *v;

	for (size_t i = 0; i < rl->n; i++)
		if (rl->v[i].id == id)
			return &rl->v[i];
	if (!add)
		return NULL;
	if (rl->n == rl->cap) {
		size_t cap = rl->cap ? rl->cap * 2 : 8;

		v = realloc(rl->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		rl->v = v;
		rl->cap = cap;
	}
	v = &rl->v[rl->n++];
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->seen = v->told = -1;
	return v;
}

/* Make storage @p b of epoch @p id forget what it generated, then note
 * that it did at generation @p gen (compared for equality only: an index
 * made again counts from 0). Until then every request on the
 * epoch sees the change too, and forgets as well: none answers from what
 * was generated before the change. */
static void forgotten(struct fs_rel *rl, int64_t id, struct rfs_backend *b,
		      int64_t gen)
{
	struct rel_epoch *e;

	rfs_backend_forget(b, "");
	pthread_mutex_lock(&rl->lock);
	e = find_locked(rl, id, false);
	if (e)
		e->seen = gen;
	pthread_mutex_unlock(&rl->lock);
}

void rfs_fs_rel_check(struct req *q)
{
	struct fs_rel *rl = q->st->rel;
	struct rfs_error err = { 0 };
	struct rel_epoch *e;
	int64_t id = q->node.epoch->id, gen;
	bool changed = false;
	int r = 0;

	if (!rl || !q->b || !q->b->ops->rel)
		return;
	pthread_mutex_lock(&rl->lock);
	if (!rl->idx && rfs_time_mono_ns() < rl->retry_ns)
		r = -EIO; /* opening failed a moment ago */
	else if (!rl->idx &&
		 (r = rfs_index_open(q->st->index_path, 0, &rl->idx, &err)) < 0)
		rl->retry_ns = rfs_time_mono_ns() + RFS_NSEC_PER_SEC;
	if (r == 0)
		r = rfs_index_epoch_gen(rl->idx, id, &gen);
	e = r == 0 ? find_locked(rl, id, true) : NULL;
	if (e) {
		e->b = q->b;
		if (e->seen < 0)
			/* the first request on it: nothing kept is older */
			e->seen = e->told = gen;
		else
			changed = gen != e->seen;
	}
	pthread_mutex_unlock(&rl->lock);
	if (r < 0)
		rfs_log(LOG_DEBUG, "epoch %lld: generation unknown: %s",
			(long long)id, err.msg[0] ? err.msg : "index error");
	if (changed)
		forgotten(rl, id, q->b, gen);
}

/* What the watcher tells the kernel: the nodes of the changed epochs. */
struct sweep {
	struct rfs_fs_state *st;
	struct fs_snap *s;
	const int64_t *ids; /* the changed epochs */
	size_t n;
};

static void sweep_one(struct fs_inode *n, const char *path, void *ctx)
{
	struct sweep *w = ctx;
	struct rfs_node node;

	if (rfs_namespace_resolve(w->s->cat, path, &node) < 0 ||
	    node.kind != RFS_NODE_EPOCH)
		return;
	for (size_t i = 0; i < w->n; i++) {
		if (w->ids[i] != node.epoch->id)
			continue;
		/* a name below the epoch may name nothing now (a partition
		 * archived) or something else (restored): looked up again */
		if (*node.rest && n->parent && n->name)
			rfs_fs_notify_entry(w->st, n->parent->id, n->name);
		rfs_fs_notify_inode(w->st, n->id);
		return;
	}
}

void rfs_fs_rel_sweep(struct rfs_fs_state *st)
{
	struct fs_rel *rl = st->rel;
	struct sweep w = { st, NULL, NULL, 0 };
	struct rfs_backend **forget = NULL;
	int64_t *ids = NULL, *gens = NULL, gen;
	size_t nf = 0;

	if (!rl || !st->idx)
		return;
	pthread_mutex_lock(&rl->lock);
	if (rl->n) {
		ids = calloc(rl->n, sizeof(*ids));
		gens = calloc(rl->n, sizeof(*gens));
		forget = calloc(rl->n, sizeof(*forget));
	}
	for (size_t i = 0; ids && gens && forget && i < rl->n; i++) {
		struct rel_epoch *e = &rl->v[i];

		if (rfs_index_epoch_gen(st->idx, e->id, &gen) < 0 ||
		    gen == e->told)
			continue;
		if (gen != e->seen)
			forget[nf] = e->b;
		e->told = gen;
		gens[nf] = gen;
		ids[nf++] = e->id;
	}
	pthread_mutex_unlock(&rl->lock);
	for (size_t i = 0; i < nf; i++)
		if (forget[i])
			forgotten(rl, ids[i], forget[i], gens[i]);
	if (nf && st->se) {
		w.s = rfs_fs_snap_get(st);
		w.ids = ids;
		w.n = nf;
		rfs_fs_inodes_each(st, sweep_one, &w);
		rfs_fs_snap_put(st, w.s);
	}
	free(ids);
	free(gens);
	free(forget);
}
