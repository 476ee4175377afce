/*
 * util/parallel: every index of the range runs exactly once, on at most
 * the threads asked for, the calling thread one of them; with
 * rfs_parallel_try(), a failed task stops the handing out of the others.
 */
#include "util/parallel.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

TestSuite(util_parallel);

struct count {
	atomic_int ran[1000];
	atomic_int running, most;
};

static void task(void *ctx, int i)
{
	struct count *c = ctx;
	int now = atomic_fetch_add(&c->running, 1) + 1;
	int most = atomic_load(&c->most);

	while (now > most &&
	       !atomic_compare_exchange_weak(&c->most, &most, now))
		;
	atomic_fetch_add(&c->ran[i], 1);
	usleep(200);
	atomic_fetch_sub(&c->running, 1);
}

Test(util_parallel, runs_every_index_once)
{
	static struct count c;

	cr_assert_eq(rfs_parallel_for(8, 1000, task, &c), 0);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(atomic_load(&c.ran[i]), 1, "index %d", i);
	cr_assert_leq(atomic_load(&c.most), 8);
	cr_assert_geq(atomic_load(&c.most), 2, "it ran in parallel");
}

Test(util_parallel, never_more_threads_than_asked_or_tasks)
{
	static struct count c, d;

	rfs_parallel_for(1, 50, task, &c);
	cr_assert_eq(atomic_load(&c.most), 1);
	rfs_parallel_for(RFS_PARALLEL_MAX * 4, 3, task, &d);
	cr_assert_leq(atomic_load(&d.most), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(atomic_load(&d.ran[i]), 1);
}

static pthread_t caller;
static atomic_int on_caller;

static void note_thread(void *ctx, int i)
{
	(void)ctx;
	(void)i;
	if (pthread_equal(pthread_self(), caller))
		atomic_fetch_add(&on_caller, 1);
}

Test(util_parallel, an_empty_range_runs_nothing_and_one_thread_is_the_caller)
{
	caller = pthread_self();
	cr_assert_eq(rfs_parallel_for(4, 0, note_thread, NULL), 0);
	cr_assert_eq(atomic_load(&on_caller), 0);
	rfs_parallel_for(1, 10, note_thread, NULL);
	cr_assert_eq(atomic_load(&on_caller), 10);
}

struct failing {
	atomic_int ran[1000];
	int fail_at;
};

static int fail_one(void *ctx, size_t i)
{
	struct failing *f = ctx;

	atomic_fetch_add(&f->ran[i], 1);
	return (int)i == f->fail_at ? -EIO : 0;
}

Test(util_parallel, a_failed_task_stops_the_others_and_is_returned)
{
	static struct failing one = { .fail_at = 10 }, many = { .fail_at = 5 };
	int i, ran = 0;

	/* On one thread: everything up to the failure, nothing after. */
	cr_assert_eq(rfs_parallel_try(1, 1000, fail_one, &one), -EIO);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(atomic_load(&one.ran[i]), i <= 10, "index %d", i);
	/* On 8: the failure is returned, no index runs twice, and the
	 * handing out stopped well before the end. */
	cr_assert_eq(rfs_parallel_try(8, 1000, fail_one, &many), -EIO);
	for (i = 0; i < 1000; i++) {
		cr_assert_leq(atomic_load(&many.ran[i]), 1, "index %d", i);
		ran += atomic_load(&many.ran[i]);
	}
	cr_assert_lt(ran, 1000);
}

static int succeed(void *ctx, size_t i)
{
	atomic_int *ran = ctx;

	atomic_fetch_add(&ran[i], 1);
	return 1; /* zero or more is success */
}

Test(util_parallel, try_runs_every_index_once_when_none_fails)
{
	static atomic_int ran[300];

	cr_assert_eq(rfs_parallel_try(16, 300, succeed, ran), 0);
	for (int i = 0; i < 300; i++)
		cr_assert_eq(atomic_load(&ran[i]), 1, "index %d", i);
	cr_assert_eq(rfs_parallel_try(0, 0, succeed, ran), 0);
}
