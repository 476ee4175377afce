/*
 * A parallel-for: tasks are handed out one index at a time from an atomic
 * counter, so a slow task never holds up the others; the first failure
 * stops the handing out.
 */
#include "util/parallel.h"

#include <pthread.h>
#include <stdbool.h>

struct par {
	size_t n;
	size_t next; /* atomic */
	int err;     /* atomic: the first negative result */
	rfs_parallel_try_fn fn;
	void *ctx;
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	size_t i;
	int r, zero;

	while (!__atomic_load_n(&p->err, __ATOMIC_ACQUIRE)) {
		i = __atomic_fetch_add(&p->next, 1, __ATOMIC_ACQ_REL);
		if (i >= p->n)
			break;
		r = p->fn(p->ctx, i);
		zero = 0;
		if (r < 0)
			__atomic_compare_exchange_n(&p->err, &zero, r, false,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
	}
	return NULL;
}

int rfs_parallel_try(int threads, size_t n, rfs_parallel_try_fn fn, void *ctx)
{
	struct par p = { n, 0, 0, fn, ctx };
	pthread_t th[RFS_PARALLEL_MAX];
	int started = 0, t;

	if (threads > RFS_PARALLEL_MAX)
		threads = RFS_PARALLEL_MAX;
	if ((size_t)(threads > 0 ? threads : 1) > n)
		threads = (int)n;
	for (t = 1; t < threads; t++)
		if (pthread_create(&th[started], NULL, par_worker, &p) == 0)
			started++;
	par_worker(&p); /* this thread works too */
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	return p.err;
}

struct each {
	rfs_parallel_fn fn;
	void *ctx;
};

static int run_each(void *ctx, size_t i)
{
	struct each *e = ctx;

	e->fn(e->ctx, (int)i);
	return 0;
}

int rfs_parallel_for(int threads, int n, rfs_parallel_fn fn, void *ctx)
{
	struct each e = { fn, ctx };

	return n > 0 ? rfs_parallel_try(threads, (size_t)n, run_each, &e) : 0;
}
