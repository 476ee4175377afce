/*
 * Work on threads of the S3 adapter: rfs_s3_parallel() runs one function
 * over N items on up to 64 threads, the caller's among them (the HEADs of
 * a listing's entries, see list.c).
 */
#include "backends/s3/s3_ops.h"

#include <pthread.h>

struct par {
	int (*fn)(void *ctx, size_t i);
	void *ctx;
	size_t n, next;
	int err;
};

static void *par_run(void *arg)
{
	struct par *p = arg;
	size_t i;
	int r;

	while (!__atomic_load_n(&p->err, __ATOMIC_ACQUIRE)) {
		i = __atomic_fetch_add(&p->next, 1, __ATOMIC_ACQ_REL);
		if (i >= p->n)
			break;
		r = p->fn(p->ctx, i);
		if (r < 0) {
			int zero = 0;

			__atomic_compare_exchange_n(&p->err, &zero, r, false,
						    __ATOMIC_ACQ_REL,
						    __ATOMIC_ACQUIRE);
		}
	}
	return NULL;
}

int rfs_s3_parallel(size_t n, int (*fn)(void *ctx, size_t i), void *ctx,
		    unsigned int threads)
{
	struct par p = { fn, ctx, n, 0, 0 };
	pthread_t tid[64];
	unsigned int k, started = 0;

	if (threads > 64)
		threads = 64;
	if (threads > n)
		threads = (unsigned int)n;
	/* the calling thread works too */
	for (k = 1; k < threads; k++) {
		if (pthread_create(&tid[started], NULL, par_run, &p) != 0)
			break;
		started++;
	}
	par_run(&p);
	for (k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	return p.err;
}
