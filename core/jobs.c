/*
 * The worker pool of the mount daemon: threads that run every runnable
 * job whose lease is free. Who owns a lease is core/owner.c's.
 */
#include "core/jobs.h"

#include "model/entry.h"
#include "core/part_job.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/parts.h"
#include "index/restores.h"
#include "index/index.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rfs_jobs {
	char *index_path;
	rfs_jobs_notify_fn notify;
	void *notify_ctx;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kicked;
	volatile int stop;
	int n;
	pthread_t th[];
};

struct pick {
	int64_t now;
	int64_t id;
};

/* Entries with queued parts, due now: a few at a time. */
#define PART_PICK 16

struct part_pick {
	int64_t ids[PART_PICK];
	int n;
};

static int pick_part(void *ctx, int64_t id)
{
	struct part_pick *p = ctx;

	p->ids[p->n++] = id;
	return p->n == PART_PICK;
}

/*
 * Purge the queued parts of one entry whose lease is free and whose batch
 * is due.
 * @return 1 when a batch ran (or failed), 0 when none could
 */
static int run_parts(struct rfs_jobs *j, struct rfs_index *idx,
		     const struct rfs_job_opts *o)
{
	struct part_pick pp = { .n = 0 };
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };
	int i, r, ran = 0;

	if (rfs_index_part_entries(idx, rfs_time_now_ns(), pick_part, &pp,
				   &err) < 0)
		return 0;
	for (i = 0; i < pp.n && !ran; i++) {
		rfs_error_clear(&err);
		if (rfs_index_entry_get(idx, pp.ids[i], &e, &err) < 0)
			continue;
		r = rfs_job_lease_free(&e, rfs_time_now_ns());
		rfs_entry_release(&e);
		if (!r)
			continue;
		r = rfs_part_job_run(idx, pp.ids[i], o, &err);
		if (r == -ECANCELED || r == -EBUSY)
			continue;
		if (r < 0 && r != -EINTR)
			rfs_log(LOG_ERR,
				"purge of parts of recycle entry %lld failed "
				"(they stay queued and are tried again): %s",
				(long long)pp.ids[i], err.msg);
		else if (r == 0)
			rfs_log(LOG_INFO,
				"purged the queued parts of recycle entry "
				"%lld in one batch",
				(long long)pp.ids[i]);
		if (j->notify)
			j->notify(j->notify_ctx, pp.ids[i]);
		ran = 1;
	}
	return ran;
}

static int pick_free(const struct rfs_entry *e, void *ctx)
{
	struct pick *p = ctx;

	if (!rfs_job_lease_free(e, p->now))
		return 0;
	p->id = e->id;
	return 1;
}

static int pick_restore(const struct rfs_restore *r, void *ctx)
{
	struct pick *p = ctx;

	if (r->lease_owner && r->lease_until_ns >= p->now &&
	    rfs_job_owner_alive(r->lease_owner))
		return 0;
	p->id = r->id;
	return 1;
}

/* Wait for a kick or a second, whichever comes first. */
static void idle(struct rfs_jobs *j)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&j->lock);
	if (!j->kicked && !j->stop)
		pthread_cond_timedwait(&j->cond, &j->lock, &until);
	j->kicked = false;
	pthread_mutex_unlock(&j->lock);
}

static void *worker(void *arg)
{
	struct rfs_jobs *j = arg;
	struct rfs_job_opts o = { .stop = &j->stop };
	struct rfs_index *idx = NULL;
	struct rfs_error err = { 0 };
	struct pick p;
	int r;

	while (!j->stop && !idx) {
		if (rfs_index_open(j->index_path, 0, &idx, &err) < 0) {
			rfs_log(LOG_ERR, "job worker cannot open '%s': %s",
				j->index_path, err.msg);
			idle(j);
		}
	}
	while (!j->stop) {
		rfs_error_clear(&err);
		p = (struct pick){ rfs_time_now_ns(), 0 };
		r = rfs_index_entry_list(idx, RFS_INDEX_ENTRIES_RUNNABLE, NULL,
					 pick_free, &p, &err);
		if ((r <= 0 || !p.id) && run_parts(j, idx, &o) > 0)
			continue; /* parts of an entry, queued by rm */
		if (r <= 0 || !p.id) {
			/* No archive or purge waits: a restore? */
			r = rfs_index_restore_list(idx,
						   RFS_INDEX_RESTORES_RUNNABLE,
						   0, pick_restore, &p, &err);
			if (r > 0 && p.id) {
				r = rfs_restore_run(idx, p.id, &o, &err);
				if (r < 0 && r != -EBUSY && r != -EINTR &&
				    r != -ECANCELED)
					rfs_log(LOG_ERR,
						"restore %lld failed: %s",
						(long long)p.id, err.msg);
				if (j->notify)
					j->notify(j->notify_ctx, -p.id);
				if (r == -EBUSY) /* e.g. its entry's parts */
					idle(j);
				continue;
			}
			idle(j);
			continue;
		}
		r = rfs_job_run(idx, p.id, &o, &err);
		if (r < 0 && r != -EBUSY && r != -EINTR && r != -ECANCELED)
			rfs_log(LOG_ERR, "recycle job %lld failed: %s",
				(long long)p.id, err.msg);
		if (j->notify)
			j->notify(j->notify_ctx, p.id);
	}
	rfs_index_free(idx);
	return NULL;
}

int rfs_jobs_start(const char *index_path, int workers,
		   rfs_jobs_notify_fn notify, void *ctx, struct rfs_jobs **out,
		   struct rfs_error *err)
{
	struct rfs_jobs *j;
	int i;

	if (workers < 1)
		workers = 1;
	j = calloc(1, sizeof(*j) + (size_t)workers * sizeof(pthread_t));
	if (!j || !(j->index_path = strdup(index_path))) {
		free(j);
		return rfs_error_set(err, ENOMEM, "out of memory");
	}
	j->notify = notify;
	j->notify_ctx = ctx;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	for (i = 0; i < workers; i++) {
		if (pthread_create(&j->th[i], NULL, worker, j))
			break;
		j->n++;
	}
	if (j->n == 0) {
		rfs_jobs_stop(j);
		return rfs_error_set(err, EAGAIN, "cannot start job workers");
	}
	*out = j;
	return 0;
}

void rfs_jobs_kick(struct rfs_jobs *j)
{
	pthread_mutex_lock(&j->lock);
	j->kicked = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

void rfs_jobs_stop(struct rfs_jobs *j)
{
	int i;

	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	j->stop = 1;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	for (i = 0; i < j->n; i++)
		pthread_join(j->th[i], NULL);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j->index_path);
	free(j);
}
