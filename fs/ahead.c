/*
 * The epochs' storages, opened when the mount starts: on a thread of its
 * own, one storage after the other, while the mount already serves. The
 * first request into an epoch then finds its storage open (its settings
 * and keys read, its kept attributes loaded) instead of paying for it.
 * A storage that cannot be opened is logged here and retried by the
 * first request that needs it, as without the opening ahead; a storage
 * whose server is down opens (opening sends no request) and its first
 * request fails.
 */
#include "fs/internal.h"

#include "model/catalog.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

static bool stopping(struct rfs_fs_state *st)
{
	return __atomic_load_n(&st->ahead_stop, __ATOMIC_ACQUIRE);
}

static void *open_ahead(void *arg)
{
	struct rfs_fs_state *st = arg;
	struct fs_snap *snap = rfs_fs_snap_get(st);
	const struct rfs_catalog *cat = snap->cat;
	struct rfs_backend *b;
	size_t t, l, e;

	for (t = 0; t < cat->n_tables && !stopping(st); t++) {
		const struct rfs_table *tb = cat->tables[t];

		for (l = 0; l < tb->n_lifecycles && !stopping(st); l++) {
			const struct rfs_lifecycle *lc = tb->lifecycles[l];

			for (e = 0; e < lc->n_epochs && !stopping(st); e++)
				(void)rfs_fs_epoch_backend(st, lc->epochs[e],
							   &b);
		}
	}
	rfs_fs_snap_put(st, snap);
	return NULL;
}

void rfs_fs_open_ahead_start(struct rfs_fs_state *st)
{
	st->ahead_stop = false;
	st->ahead_on = pthread_create(&st->ahead, NULL, open_ahead, st) == 0;
	if (!st->ahead_on)
		rfs_log(LOG_INFO, "storages are opened on first use: no "
				  "thread to open them ahead");
}

void rfs_fs_open_ahead_stop(struct rfs_fs_state *st)
{
	if (!st->ahead_on)
		return;
	__atomic_store_n(&st->ahead_stop, true, __ATOMIC_RELEASE);
	pthread_join(st->ahead, NULL);
	st->ahead_on = false;
}
