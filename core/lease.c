/*
 * Leases of recycle jobs within one process: the set of jobs running here
 * and the heartbeat that renews a lease while its job runs.
 */
#include "core/job_priv.h"

#include "index/index.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Jobs running in this process: a lease names the process, so two of
 * its threads must not both think they hold it. */
static pthread_mutex_t local_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t local_ids[256];
static size_t local_n;

bool job_claim_local(int64_t id)
{
	bool ok = local_n < sizeof(local_ids) / sizeof(local_ids[0]);
	size_t i;

	pthread_mutex_lock(&local_lock);
	for (i = 0; ok && i < local_n; i++)
		if (local_ids[i] == id)
			ok = false;
	if (ok)
		local_ids[local_n++] = id;
	pthread_mutex_unlock(&local_lock);
	return ok;
}

void job_release_local(int64_t id)
{
	size_t i;

	pthread_mutex_lock(&local_lock);
	for (i = 0; i < local_n; i++) {
		if (local_ids[i] == id) {
			local_ids[i] = local_ids[--local_n];
			break;
		}
	}
	pthread_mutex_unlock(&local_lock);
}

static void *heartbeat_main(void *arg)
{
	struct job_heartbeat *h = arg;
	struct rfs_index *idx = NULL;
	struct rfs_error ignore = { 0 };
	const char *self = rfs_job_owner_self();
	struct timespec until;
	bool taken;

	rfs_index_open(h->path, 0, &idx, &ignore);
	pthread_mutex_lock(&h->lock);
	while (!h->done) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RFS_LEASE_TTL_NS / RFS_NSEC_PER_SEC / 3;
		pthread_cond_timedwait(&h->cond, &h->lock, &until);
		if (h->done || !idx)
			continue;
		pthread_mutex_unlock(&h->lock);
		h->renew(idx, h->id, self, self,
			 rfs_time_now_ns() + RFS_LEASE_TTL_NS, &taken, &ignore);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	rfs_index_free(idx);
	return NULL;
}

int job_heartbeat_start(struct job_heartbeat *h, struct rfs_index *idx,
			int64_t id, job_lease_fn renew)
{
	memset(h, 0, sizeof(*h));
	h->path = strdup(rfs_index_path(idx));
	h->id = id;
	h->renew = renew;
	if (!h->path)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->th, NULL, heartbeat_main, h)) {
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->cond);
		free(h->path);
		return -EAGAIN;
	}
	return 0;
}

void job_heartbeat_stop(struct job_heartbeat *h)
{
	pthread_mutex_lock(&h->lock);
	h->done = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->th, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h->path);
}
