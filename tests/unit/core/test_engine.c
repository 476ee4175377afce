/*
 * core/engine: a kind is a table of steps. A kind made here, of three
 * steps over a state kept in memory, shows what the engine promises every
 * kind: steps in order, each next state committed, a failure recorded
 * through the kind with the step and the reason, a stop honoured between
 * steps, a job busy when its lease is held; and the shared parts: claims
 * in this process, resume rules, temporaries, pool sizes.
 */
#include "archive_fixture.h"

#include "backends/backend.h"
#include "core/engine.h"
#include "core/job_priv.h"
#include "core/restore.h"
#include "core/restore_priv.h"
#include "index/index.h"
#include "util/clock.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

TestSuite(core_engine, .timeout = 60);

/* ------------------------------------------------------ a kind of three */

enum { T_ONE, T_TWO, T_THREE, T_END, T_FAILED };

struct tjob {
	struct rfs_engine_job base;
	int state;
	int saved[8], n_saved; /* states committed, in order */
	char ran[8];	       /* steps run, in order: "12" */
	int fail_in;	       /* the state whose step fails, or -1 */
	int failed_step;
	char reason[1100];
	char *lease_owner;
	int64_t lease_until;
	bool opened, released;
	volatile int *stop_after_one;
};

static struct tjob *tj(struct rfs_engine_job *b)
{
	return (struct tjob *)b;
}

static int t_step(struct rfs_engine_job *b, char name)
{
	struct tjob *j = tj(b);

	j->ran[strlen(j->ran)] = name;
	if (j->state == j->fail_in)
		return rfs_error_set(b->err, EIO, "step %c broke", name);
	if (name == '1' && j->stop_after_one)
		*j->stop_after_one = 1;
	return 0;
}

static int t_one(struct rfs_engine_job *b)
{
	return t_step(b, '1');
}

static int t_two(struct rfs_engine_job *b)
{
	return t_step(b, '2');
}

static int t_three(struct rfs_engine_job *b)
{
	int r = t_step(b, '3');

	if (r == 0)
		tj(b)->state = T_END; /* commits its end itself */
	return r;
}

static const struct rfs_engine_step t_steps[] = {
	{ T_ONE, "one", t_one, T_TWO, T_ONE },
	{ T_TWO, "two", t_two, T_THREE, T_ONE },
	{ T_THREE, "three", t_three, RFS_ENGINE_END, T_THREE },
	{ T_END, "end", NULL, RFS_ENGINE_END, T_END },
};

static int t_load(struct rfs_engine_job *b)
{
	return tj(b)->state == T_FAILED ? -ECANCELED : 0;
}

static int t_state(const struct rfs_engine_job *b)
{
	return ((const struct tjob *)b)->state;
}

static int t_save(struct rfs_engine_job *b, int s)
{
	struct tjob *j = tj(b);

	j->state = s;
	j->saved[j->n_saved++] = s;
	return 0;
}

static void t_progress(struct rfs_engine_job *b, int64_t files, int64_t bytes)
{
	(void)b;
	(void)files;
	(void)bytes;
}

static const char *t_owner(const struct rfs_engine_job *b, int64_t *until)
{
	*until = ((const struct tjob *)b)->lease_until;
	return ((const struct tjob *)b)->lease_owner;
}

static struct tjob *leasing; /* the one job of a test */

static int t_lease(struct rfs_index *idx, int64_t id, const char *expected,
		   const char *owner, int64_t until_ns, bool *taken,
		   struct rfs_error *err)
{
	(void)idx;
	(void)id;
	(void)err;
	*taken = (!expected && !leasing->lease_owner) ||
		 (expected && leasing->lease_owner &&
		  !strcmp(expected, leasing->lease_owner));
	if (*taken) {
		free(leasing->lease_owner);
		leasing->lease_owner = owner ? strdup(owner) : NULL;
		leasing->lease_until = until_ns;
	}
	return 0;
}

static int t_open(struct rfs_engine_job *b)
{
	tj(b)->opened = true;
	return 0;
}

static void t_fail(struct rfs_engine_job *b, int r)
{
	struct tjob *j = tj(b);

	(void)r;
	j->failed_step = j->state;
	j->state = T_FAILED;
	snprintf(j->reason, sizeof(j->reason), "%s", b->err->msg);
}

static const char *t_describe(const struct rfs_engine_job *b, char *buf,
			      size_t size)
{
	snprintf(buf, size, "test job %lld", (long long)b->id);
	return buf;
}

static void t_release(struct rfs_engine_job *b)
{
	tj(b)->released = true;
}

static const struct rfs_engine_kind t_kind = {
	.name = "test",
	.claim_sign = 1,
	.steps = t_steps,
	.n_steps = sizeof(t_steps) / sizeof(t_steps[0]),
	.lease = t_lease,
	.load = t_load,
	.state = t_state,
	.save = t_save,
	.progress = t_progress,
	.lease_owner = t_owner,
	.open = t_open,
	.fail = t_fail,
	.describe = t_describe,
	.release = t_release,
};

static struct afx fx;
static struct tjob job;

static int t_run(const struct rfs_job_opts *o)
{
	job.base = (struct rfs_engine_job){ .kind = &t_kind,
					    .idx = fx.idx,
					    .id = 4242,
					    .o = o,
					    .err = &fx.err };
	rfs_error_clear(&fx.err);
	leasing = &job;
	return rfs_engine_run(&job.base);
}

static void setup(void)
{
	afx_open(&fx, AFX_SHARED);
	memset(&job, 0, sizeof(job));
	job.fail_in = -1;
}

static void teardown(void)
{
	free(job.lease_owner);
	afx_close(&fx);
}

Test(core_engine, runs_the_steps_in_order_and_commits_each_next_state,
     .init = setup, .fini = teardown)
{
	cr_assert_eq(t_run(NULL), 0, "%s", fx.err.msg);
	cr_assert_str_eq(job.ran, "123");
	cr_assert_eq(job.n_saved, 2);
	cr_assert_eq(job.saved[0], T_TWO);
	cr_assert_eq(job.saved[1], T_THREE);
	cr_assert_eq(job.state, T_END);
	cr_assert(job.opened && job.released);
	cr_assert_null(job.lease_owner, "the lease is given back");
	/* a final state runs nothing */
	memset(job.ran, 0, sizeof(job.ran));
	cr_assert_eq(t_run(NULL), 0);
	cr_assert_str_eq(job.ran, "");
}

Test(core_engine, a_failed_step_is_recorded_through_the_kind, .init = setup,
     .fini = teardown)
{
	job.fail_in = T_TWO;
	cr_assert_eq(t_run(NULL), -EIO);
	cr_assert_str_eq(job.ran, "12");
	cr_assert_eq(job.state, T_FAILED);
	cr_assert_eq(job.failed_step, T_TWO);
	cr_assert_str_eq(job.reason, "step 2 broke");
	cr_assert_null(job.lease_owner);
	/* not runnable any more */
	cr_assert_eq(t_run(NULL), -ECANCELED);
	/* its resume rule: a retry starts again at one */
	cr_assert_eq(rfs_engine_retry_state(&t_kind, job.failed_step), T_ONE);
}

Test(core_engine, a_stop_is_honoured_between_steps, .init = setup,
     .fini = teardown)
{
	volatile int stop = 0;
	struct rfs_job_opts o = { .stop = &stop };

	job.stop_after_one = &stop;
	cr_assert_eq(t_run(&o), -EINTR);
	cr_assert_str_eq(job.ran, "1");
	cr_assert_eq(job.state, T_TWO, "one's next state is committed");
	cr_assert_null(job.lease_owner);
	job.stop_after_one = NULL;
	stop = 0;
	cr_assert_eq(t_run(&o), 0);
	cr_assert_str_eq(job.ran, "123");
}

Test(core_engine, a_lease_held_by_a_live_process_makes_it_busy, .init = setup,
     .fini = teardown)
{
	job.lease_owner = strdup("elsewhere.invalid:1:1");
	job.lease_until = rfs_time_now_ns() + RFS_LEASE_TTL_NS;
	cr_assert_eq(t_run(NULL), -EBUSY);
	cr_assert_str_eq(fx.err.msg, "test job 4242 is being run by another "
				     "process (elsewhere.invalid:1:1)");
	cr_assert_str_eq(job.ran, "");
	cr_assert_str_eq(job.lease_owner, "elsewhere.invalid:1:1");
	/* expired: taken over */
	job.lease_until = rfs_time_now_ns() - 1;
	cr_assert_eq(t_run(NULL), 0, "%s", fx.err.msg);
	cr_assert_str_eq(job.ran, "123");
}

Test(core_engine, a_job_runs_once_in_a_process, .init = setup, .fini = teardown)
{
	cr_assert(rfs_engine_claim_local(4242));
	cr_assert_eq(t_run(NULL), -EBUSY);
	cr_assert_str_eq(fx.err.msg, "the test is already running here");
	cr_assert_str_eq(job.ran, "");
	rfs_engine_release_local(4242);
	cr_assert_eq(t_run(NULL), 0);
}

/* ------------------------------------------------------------- claims */

#define CLAIMERS 16
#define PER	 32 /* 16 x 32 = 512 tries for 256 places */

static atomic_int claimed;

static void *claimer(void *arg)
{
	int64_t base = (intptr_t)arg * 1000;

	for (int i = 0; i < PER; i++)
		if (rfs_engine_claim_local(base + i))
			atomic_fetch_add(&claimed, 1);
	return NULL;
}

/* Threads claiming at once never get more places than there are: the
 * count is read under the lock. */
Test(core_engine, claims_from_many_threads_stop_at_the_limit)
{
	pthread_t th[CLAIMERS];

	for (int round = 0; round < 20; round++) {
		atomic_store(&claimed, 0);
		for (intptr_t t = 0; t < CLAIMERS; t++)
			pthread_create(&th[t], NULL, claimer, (void *)(t + 1));
		for (int t = 0; t < CLAIMERS; t++)
			pthread_join(th[t], NULL);
		cr_assert_eq(atomic_load(&claimed), 256, "round %d", round);
		for (int64_t t = 1; t <= CLAIMERS; t++)
			for (int i = 0; i < PER; i++)
				rfs_engine_release_local(t * 1000 + i);
	}
	cr_assert(rfs_engine_claim_local(7));
	cr_assert_not(rfs_engine_claim_local(7), "twice");
	rfs_engine_release_local(7);
}

/* -------------------------------------------------------- the kinds' rules */

Test(core_engine, the_kinds_resume_rules)
{
	const struct rfs_engine_kind *a = &rfs_job_kind_archive;

	cr_assert_eq(rfs_engine_retry_state(a, RFS_ENTRY_SNAPSHOT),
		     RFS_ENTRY_SNAPSHOT);
	cr_assert_eq(rfs_engine_retry_state(a, RFS_ENTRY_SYNC),
		     RFS_ENTRY_SNAPSHOT);
	cr_assert_eq(rfs_engine_retry_state(a, RFS_ENTRY_VERIFY),
		     RFS_ENTRY_SNAPSHOT);
	cr_assert_eq(rfs_engine_retry_state(a, RFS_ENTRY_UNPUBLISH),
		     RFS_ENTRY_UNPUBLISH);
	cr_assert_eq(rfs_engine_retry_state(a, RFS_ENTRY_DELETE),
		     RFS_ENTRY_DELETE);
	cr_assert_eq(
		rfs_engine_retry_state(&rfs_job_kind_purge, RFS_ENTRY_PURGING),
		RFS_ENTRY_PURGING);
	cr_assert_eq(
		rfs_engine_retry_state(&rfs_restore_kind, RFS_RESTORE_VERIFY),
		RFS_RESTORE_CHECK);
}

/* ---------------------------------------------------------- temporaries */

static void put(struct rfs_backend *b, const char *key)
{
	struct rfs_file *fh;

	cr_assert_eq(
		rfs_backend_open_file(b, key, O_CREAT | O_WRONLY, 0644, &fh), 0,
		"%s", key);
	cr_assert_eq(rfs_file_write(fh, "x", 1, 0), 1);
	cr_assert_eq(rfs_file_close(fh), 0);
}

static bool there(struct rfs_backend *b, const char *key)
{
	struct stat st;

	return rfs_backend_stat(b, key, &st) == 0;
}

static int n_dropped;

static void dropped(void *ctx, const char *rel)
{
	(void)ctx;
	(void)rel;
	n_dropped++;
}

Test(core_engine, drops_only_our_temporaries, .init = setup, .fini = teardown)
{
	struct rfs_backend *b = fx.src;

	cr_assert_eq(rfs_backend_mkdir(b, "p", 0755), 0);
	cr_assert_eq(rfs_backend_mkdir(b, "p/item", 0755), 0);
	cr_assert_eq(rfs_backend_mkdir(b, "p/item/sub", 0755), 0);
	put(b, "p/item/a");
	put(b, "p/item/.rfs-tmp.a.0123abcd");
	put(b, "p/item/sub/.rfs-tmp.b.0123456789abcdef");
	put(b, "p/item/.rfs-tmp.notes");     /* a user's file */
	put(b, "p/.rfs-tmp.item.89abcdef");  /* beside it, of its name */
	put(b, "p/.rfs-tmp.other.89abcdef"); /* another item's */
	cr_assert_eq(rfs_engine_drop_tmps(b, "p/item", dropped, NULL), 0);
	cr_assert_eq(n_dropped, 2, "called for those inside only");
	cr_assert_not(there(b, "p/item/.rfs-tmp.a.0123abcd"));
	cr_assert_not(there(b, "p/item/sub/.rfs-tmp.b.0123456789abcdef"));
	cr_assert_not(there(b, "p/.rfs-tmp.item.89abcdef"));
	cr_assert(there(b, "p/item/a"));
	cr_assert(there(b, "p/item/.rfs-tmp.notes"));
	cr_assert(there(b, "p/.rfs-tmp.other.89abcdef"));
	/* nothing there: nothing left, no error */
	cr_assert_eq(rfs_engine_drop_tmps(b, "p/gone", NULL, NULL), 0);
}

Test(core_engine, pool_size_from_options_configuration_and_capabilities,
     .init = setup, .fini = teardown)
{
	struct rfs_job_opts o = { .parallel_files = 3 };

	/* the memory store is not remote */
	cr_assert_eq(rfs_engine_parallel_files(fx.idx, NULL, fx.src, fx.bin),
		     4);
	cr_assert_eq(rfs_index_config_set(fx.idx, "jobs.parallel_files", "7",
					  &fx.err),
		     0);
	cr_assert_eq(rfs_engine_parallel_files(fx.idx, NULL, fx.src, fx.bin),
		     7);
	cr_assert_eq(rfs_engine_parallel_files(fx.idx, &o, fx.src, fx.bin), 3);
}
