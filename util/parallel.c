/*
 * A parallel-for: tasks are handed out one index at a time from a counter
 * under a lock, so a slow task never holds up the others.
 */
#include "util/parallel.h"

#include <pthread.h>

struct par {
	int n;
	int next; /* guarded by lock */
	pthread_mutex_t lock;
	rfs_parallel_fn fn;
	void *ctx;
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	int i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		p->fn(p->ctx, i);
	}
}

int rfs_parallel_for(int threads, int n, rfs_parallel_fn fn, void *ctx)
{
	struct par p = { n, 0, PTHREAD_MUTEX_INITIALIZER, fn, ctx };
	pthread_t th[RFS_PARALLEL_MAX];
	int started = 0, t;

	if (threads > RFS_PARALLEL_MAX)
		threads = RFS_PARALLEL_MAX;
	if (threads > n)
		threads = n;
	for (t = 1; t < threads; t++)
		if (pthread_create(&th[started], NULL, par_worker, &p) == 0)
			started++;
	par_worker(&p); /* this thread works too */
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&p.lock);
	return 0;
}
