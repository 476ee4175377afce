/*
 * Catalog snapshots and the watcher thread.
 *
 * A request takes a reference on the current snapshot under a short lock
 * and never waits on a reload: the watcher thread checks the index every
 * FS_RELOAD_INTERVAL_NS, loads a new snapshot without any lock the
 * requests take, and swaps it in. After every swap it tells the kernel
 * what it may keep no more (the kernel keeps names, attributes, pages and
 * listings for the entry and attribute timeouts, -o cache_timeout):
 *
 * - every catalog node, every epoch root and everything in the bin: their
 *   attributes and listings (fuse_lowlevel_notify_inval_inode), and the
 *   names that no longer resolve (fuse_lowlevel_notify_inval_entry);
 * - when the recycle bin changed (an archive, a restore, a purge, a job
 *   that ended), every node inside the epochs too, and the names the bin
 *   now hides, since an archive deletes files and a restore writes them
 *   behind the kernel's back.
 *
 * Notifications are sent by the watcher only: a request that sent one
 * could wait on a folder lock its own system call holds.
 */
#include "fs/internal.h"

#include "model/catalog.h"
#include "index/index.h"
#include "model/entry.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the kernel must drop after a swap from @p old to @p s. */
struct sweep {
	struct rfs_fs_state *st;
	struct fs_snap *s;
	bool bin_changed;
};

static bool resolves(const struct sweep *w, const struct fs_inode *n,
		     const char *path)
{
	struct rfs_node node;

	if (rfs_namespace_resolve(w->s->cat, path, &node) < 0)
		return false;
	if (node.kind == RFS_NODE_EPOCH &&
	    (rfs_fs_key_hidden(node.epoch, node.rest) ||
	     rfs_fs_bin_hides(w->s, node.epoch->id, node.rest)))
		return false;
	/* An epoch root stays one; a catalog node stays what it was. */
	if (n->kind == &rfs_fs_kind_epoch_entry)
		return node.kind == RFS_NODE_EPOCH && *node.rest;
	return true;
}

static void sweep_one(struct fs_inode *n, const char *path, void *ctx)
{
	struct sweep *w = ctx;
	bool inside = n->kind == &rfs_fs_kind_epoch_entry;

	if (inside && !w->bin_changed)
		return;
	if (n->parent && n->name && !resolves(w, n, path))
		rfs_fs_notify_entry(w->st, n->parent->id, n->name);
	rfs_fs_notify_inode(w->st, n->id);
}

/* True when the current snapshot @p cur was derived with an entry that
 * @p s lacks (or without one that @p s has), while that entry is pinned:
 * @p s is older than the change. */
static bool older(const struct fs_snap *cur, const struct fs_snap *s)
{
	return cur && cur->pin_id && rfs_time_mono_ns() < cur->pin_until_ns &&
	       rfs_fs_snap_has_entry(s, cur->pin_id) == cur->pin_gone;
}

/* Swap in @p s (its reference moves to the state); with @p all (a change
 * of our own, a job that ended), the kernel drops what it keeps inside the
 * epochs whatever the bin shows. @return false (nothing done) when @p s
 * is older than the current snapshot's own change */
static bool swap_in(struct rfs_fs_state *st, struct fs_snap *s, bool all)
{
	struct sweep w = { st, s, true };
	struct fs_snap *old;

	pthread_mutex_lock(&st->snap_lock);
	old = st->snap;
	if (older(old, s)) {
		pthread_mutex_unlock(&st->snap_lock);
		return false;
	}
	st->snap = s;
	pthread_mutex_unlock(&st->snap_lock);
	if (old) {
		w.bin_changed = all || old->bin_print != s->bin_print;
		rfs_fs_snap_put(st, old);
	}
	if (st->se)
		rfs_fs_inodes_each(st, sweep_one, &w);
	return true;
}

#ifdef RFS_TEST_HOOKS
/* RECYCLEFS_TEST_RELOAD_DELAY_MS (test builds only): every reload, on
 * whatever thread, waits that long first, as a reload behind a slow index
 * would; a request that waited on a reload would be seen to. */
static void test_delay(void)
{
	const char *v = getenv("RECYCLEFS_TEST_RELOAD_DELAY_MS");
	struct timespec ts;
	long ms = v ? strtol(v, NULL, 10) : 0;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}
#else
static void test_delay(void)
{
}
#endif

/* Reload when the index changed since the last load (or @p force). */
static void reload(struct rfs_fs_state *st, bool force)
{
	struct fs_snap *s;
	int64_t v;

	test_delay();
	pthread_mutex_lock(&st->reload_lock);
	force = force || st->reload_force;
	if (!st->idx || rfs_index_data_version(st->idx, &v) < 0 ||
	    (!force && v == st->data_version)) {
		pthread_mutex_unlock(&st->reload_lock);
		return;
	}
	if (rfs_fs_snap_load(st, st->idx, &s) == 0) {
		if (!swap_in(st, s, force)) {
			/* Read before the mount's own change was committed,
			 * or the change undone at once (a purge that failed
			 * while its entry is pinned out): the snapshot that
			 * shows the change stays. The watcher loads again at
			 * its next check, not at once: no busy loop while
			 * the pin holds. */
			rfs_fs_snap_free(s);
			st->reload_force = true;
			pthread_mutex_unlock(&st->reload_lock);
			return;
		}
		st->reload_force = false;
		st->data_version = v;
		rfs_fs_rel_sweep(st);
		rfs_log(LOG_DEBUG, "catalog reloaded (data version %lld)",
			(long long)v);
	}
	pthread_mutex_unlock(&st->reload_lock);
}

void rfs_fs_snap_invalidate(struct rfs_fs_state *st)
{
	reload(st, true);
}

/* How long a derived snapshot's entry must show in what replaces it. */
#define PIN_NS (5 * RFS_NSEC_PER_SEC)

/* Ask the watcher to reload from the index and tell the kernel. */
static void want_reload(struct rfs_fs_state *st)
{
	pthread_mutex_lock(&st->notice_lock);
	st->reload_wanted = true;
	pthread_cond_signal(&st->notice_cond);
	pthread_mutex_unlock(&st->notice_lock);
}

void rfs_fs_snap_changed(struct rfs_fs_state *st)
{
	want_reload(st);
}

/* Swap in a snapshot derived from the current one with entry @p e added,
 * or (@p e NULL) without entry @p id; then the watcher reloads. */
static void derive(struct rfs_fs_state *st, const struct rfs_entry *e,
		   int64_t id)
{
	struct fs_snap *cur, *s;
	bool swapped = false;
	int tries, r;

	for (tries = 0; tries < 8 && !swapped; tries++) {
		cur = rfs_fs_snap_get(st);
		if (e)
			r = rfs_fs_snap_with_entry(
				cur, e, rfs_time_mono_ns() + PIN_NS, &s);
		else
			r = rfs_fs_snap_without_entry(
				cur, id, rfs_time_mono_ns() + PIN_NS, &s);
		if (r < 0) {
			/* It shows (or is gone) already, or out of memory:
			 * the watcher's reload shows it. */
			rfs_fs_snap_put(st, cur);
			break;
		}
		pthread_mutex_lock(&st->snap_lock);
		if (st->snap == cur) {
			/* The state's reference moves to @p s; ours on @p cur
			 * keeps it alive until the put below. */
			st->snap = s;
			cur->refs--;
			swapped = true;
		}
		pthread_mutex_unlock(&st->snap_lock);
		rfs_fs_snap_put(st, cur);
		if (!swapped)
			rfs_fs_snap_free(s);
	}
	/* The watcher reloads from the index and tells the kernel. */
	want_reload(st);
}

void rfs_fs_snap_add_entry(struct rfs_fs_state *st, const struct rfs_entry *e)
{
	derive(st, e, e->id);
}

void rfs_fs_snap_drop_entry(struct rfs_fs_state *st, int64_t id)
{
	derive(st, NULL, id);
}

static void *watch(void *arg)
{
	struct rfs_fs_state *st = arg;
	struct fs_notice *todo;
	struct timespec until;
	bool stop, force;

	for (;;) {
		pthread_mutex_lock(&st->notice_lock);
		force = st->reload_wanted;
		st->reload_wanted = false;
		pthread_mutex_unlock(&st->notice_lock);
		reload(st, force);
		pthread_mutex_lock(&st->notice_lock);
		if (!st->notices && !st->stop && !st->reload_wanted) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += FS_RELOAD_INTERVAL_NS;
			until.tv_sec += until.tv_nsec / RFS_NSEC_PER_SEC;
			until.tv_nsec %= RFS_NSEC_PER_SEC;
			pthread_cond_timedwait(&st->notice_cond,
					       &st->notice_lock, &until);
		}
		todo = st->notices;
		st->notices = NULL;
		stop = st->stop;
		pthread_mutex_unlock(&st->notice_lock);
		rfs_fs_notify_send(st, todo);
		if (stop)
			return NULL;
	}
}

int rfs_fs_watch_start(struct rfs_fs_state *st)
{
	int r = pthread_create(&st->watcher, NULL, watch, st);

	if (r)
		return -r;
	st->watching = true;
	return 0;
}

void rfs_fs_watch_stop(struct rfs_fs_state *st)
{
	struct fs_notice *n;

	if (st->watching) {
		pthread_mutex_lock(&st->notice_lock);
		st->stop = true;
		pthread_cond_signal(&st->notice_cond);
		pthread_mutex_unlock(&st->notice_lock);
		pthread_join(st->watcher, NULL);
		st->watching = false;
	}
	while ((n = st->notices)) {
		st->notices = n->next;
		free(n);
	}
}
