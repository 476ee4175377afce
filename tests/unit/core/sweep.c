/*
 * The sweep harness: faults and crashes at every point of a job's storage
 * calls, for any kind of job (sweep.h).
 */
#include "sweep.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const op_names[RFS_MEM_OP_COUNT] = {
	"stat",	 "list",   "open",   "read", "write", "close", "mkdir",
	"rmdir", "unlink", "rename", "meta", "copy",  "sync",
};

const char *sweep_op_name(enum rfs_mem_op op)
{
	return op < RFS_MEM_OP_COUNT ? op_names[op] : "any";
}

const char *sweep_store(const struct sweep_job *j)
{
	return j->t->on_bin ? j->f.bin_store : j->f.store;
}

static void job_open(const struct sweep_kind *k, const struct sweep_target *t,
		     struct sweep_job *j)
{
	memset(j, 0, sizeof(*j));
	j->t = t;
	k->prepare(j);
}

static void job_close(struct sweep_job *j)
{
	rfs_entry_release(&j->e);
	afx_close(&j->f);
}

/* Calls of kind @p op (or RFS_MEM_OP_ANY) a clean run makes on @p t. */
static unsigned long clean_run(const struct sweep_kind *k,
			       const struct sweep_target *t, enum rfs_mem_op op)
{
	struct sweep_job j;
	unsigned long before, n;
	int r;

	job_open(k, t, &j);
	before = rfs_mem_calls(sweep_store(&j), op);
	r = k->run(&j);
	cr_assert_eq(r, 0, "a clean %s: %d %s", k->name, r, j.f.err.msg);
	n = rfs_mem_calls(sweep_store(&j), op) - before;
	k->finish(&j, "a clean run");
	job_close(&j);
	return n;
}

void sweep_clean_calls(const struct sweep_kind *k,
		       unsigned long n[RFS_MEM_OP_COUNT])
{
	memset(n, 0, sizeof(n[0]) * RFS_MEM_OP_COUNT);
	for (size_t i = 0; i < k->n_targets; i++) {
		struct sweep_job j;
		unsigned long before[RFS_MEM_OP_COUNT];

		job_open(k, &k->targets[i], &j);
		for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
			before[op] = rfs_mem_calls(sweep_store(&j),
						   (enum rfs_mem_op)op);
		cr_assert_eq(k->run(&j), 0, "%s", j.f.err.msg);
		for (int op = 0; op < RFS_MEM_OP_COUNT; op++)
			n[op] += rfs_mem_calls(sweep_store(&j),
					       (enum rfs_mem_op)op) -
				 before[op];
		job_close(&j);
	}
}

/* Steps through 1..n that make at most SWEEP_MAX_NTH points. */
static unsigned long step_of(unsigned long n)
{
	return n > SWEEP_MAX_NTH ? (n + SWEEP_MAX_NTH - 1) / SWEEP_MAX_NTH : 1;
}

static void one_fault(const struct sweep_kind *k, const struct sweep_target *t,
		      enum rfs_mem_op op, unsigned long nth)
{
	struct sweep_job j;
	char when[160];
	int r;

	snprintf(when, sizeof(when), "%s with %s #%lu failing on the %s",
		 k->name, op_names[op], nth, t->name);
	job_open(k, t, &j);
	rfs_error_clear(&j.f.err);
	rfs_mem_fail_nth(sweep_store(&j), op, nth, EIO);
	r = k->run(&j);
	rfs_mem_recover(sweep_store(&j));
	if (r < 0)
		k->failed(&j, r, when);
	k->finish(&j, when);
	job_close(&j);
}

int sweep_faults(const struct sweep_kind *k, enum rfs_mem_op op)
{
	int runs = 0;

	for (size_t i = 0; i < k->n_targets; i++) {
		unsigned long n = clean_run(k, &k->targets[i], op);

		for (unsigned long nth = 1; nth <= n; nth += step_of(n), runs++)
			one_fault(k, &k->targets[i], op, nth);
	}
	cr_log_info("%s, %s: %d faulty runs", k->name, op_names[op], runs);
	return runs;
}

int sweep_crashes(const struct sweep_kind *k, const struct sweep_target *t)
{
	unsigned long total = clean_run(k, t, RFS_MEM_OP_ANY), step, n;
	int points = 0;

	step = total >= 100 ? total / 50 : 1;
	for (n = 0; n <= total + 1; n += step, points++) {
		struct sweep_job j;
		char when[160];
		int r;

		snprintf(when, sizeof(when),
			 "%s crashed after %lu calls on the %s", k->name, n,
			 t->name);
		job_open(k, t, &j);
		rfs_error_clear(&j.f.err);
		rfs_mem_crash_after(sweep_store(&j), n);
		r = k->run(&j);
		rfs_mem_recover(sweep_store(&j));
		if (r < 0 && k->crashed)
			k->crashed(&j, when);
		k->finish(&j, when);
		job_close(&j);
	}
	cr_log_info("%s: %d crash points over %lu calls on the %s", k->name,
		    points, total, t->name);
	return points;
}
