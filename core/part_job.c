/*
 * The queued purge of parts of an archived entry (core/part_job.h): one
 * kind of job on the engine, whose only step purges every queued part of
 * the entry with one manifest rewrite. The entry stays archived: the
 * job's state is the entry's, and a failure is kept in the queue rows
 * (not in the entry), so the entry stays restorable meanwhile.
 */
#include "core/part_job.h"

#include "backends/backend.h"
#include "core/archive.h"
#include "core/job_priv.h"
#include "core/ports.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/parts.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/** The most a failed batch waits before its retry. */
#define PART_RETRY_MAX_S 60

/* A batch: the entry (struct job, for the entry kinds' helpers) and its
 * queued paths. */
struct part_job {
	struct job j;
	char **paths;
	size_t n, cap;
};

int rfs_part_queue(struct rfs_index *idx, int64_t id, const char *sub,
		   struct rfs_error *err)
{
	struct rfs_entry e = { 0 };
	struct rfs_entry_file row;
	char *left = NULL;
	int r;

	if (!sub || !*sub)
		return rfs_error_set(err, EINVAL,
				     "a part of an entry is named by a path "
				     "below it");
	r = rfs_index_begin(idx, err);
	if (r < 0)
		return r;
	r = rfs_index_entry_get(idx, id, &e, err);
	if (r == 0 && e.state != RFS_ENTRY_ARCHIVED)
		r = rfs_error_set(err, EBUSY,
				  "'.recyclebin/%s' is %s: only an archived "
				  "entry loses a part",
				  e.bin_path, rfs_entry_state_name(e.state));
	if (r == 0 && rfs_index_part_queued(idx, id, sub, err) == 1)
		r = rfs_error_set(err, ENOENT,
				  "'.recyclebin/%s/%s' is being purged already",
				  e.bin_path, sub);
	if (r == 0 && rfs_index_file_get(idx, id, sub, &row, NULL) == 0 &&
	    row.type == RFS_FILE_DIR) {
		r = rfs_index_part_blocked(idx, id, sub, &left, err);
		if (r == 1)
			r = rfs_error_set(err, ENOTEMPTY,
					  "'.recyclebin/%s/%s' is not empty: "
					  "'%s' is left",
					  e.bin_path, sub, left);
	}
	if (r == 0)
		r = rfs_index_part_queue(idx, id, sub, err);
	if (r == -EEXIST)
		r = rfs_error_set(err, ENOENT,
				  "'.recyclebin/%s/%s' is being purged already",
				  e.bin_path, sub);
	if (r == 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
	free(left);
	rfs_entry_release(&e);
	return r;
}

static int add_path(void *ctx, const char *path)
{
	struct part_job *p = ctx;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->paths, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->paths = v;
		p->cap = cap;
	}
	p->paths[p->n] = strdup(path);
	return p->paths[p->n++] ? 0 : -ENOMEM;
}

static void drop_paths(struct part_job *p)
{
	while (p->n)
		free(p->paths[--p->n]);
	free(p->paths);
	p->paths = NULL;
	p->cap = 0;
}

static int parts_load(struct rfs_engine_job *b)
{
	struct part_job *p = (struct part_job *)b;
	int r = rfs_index_entry_get(b->idx, b->id, &p->j.e, b->err);

	if (r < 0)
		return r;
	if (p->j.e.state != RFS_ENTRY_ARCHIVED) {
		/* A whole purge took the parts over (or will). */
		if (p->j.e.state == RFS_ENTRY_PURGING ||
		    p->j.e.state == RFS_ENTRY_PURGED)
			rfs_index_part_drop(b->idx, b->id, NULL, 0, NULL);
		return -ECANCELED;
	}
	drop_paths(p);
	r = rfs_index_part_list(b->idx, b->id, add_path, p, b->err);
	if (r < 0)
		return r == -ENOMEM
			       ? rfs_error_set(b->err, ENOMEM, "out of memory")
			       : r;
	return p->n ? 0 : -ECANCELED;
}

static int parts_save(struct rfs_engine_job *b, int s)
{
	(void)b;
	(void)s;
	return 0; /* the step commits itself; the entry stays archived */
}

static void parts_progress(struct rfs_engine_job *b, int64_t files,
			   int64_t bytes)
{
	(void)b;
	(void)files;
	(void)bytes;
}

static int parts_open(struct rfs_engine_job *b)
{
	struct part_job *p = (struct part_job *)b;

	return rfs_ports_open(p->j.e.bin_root_uri, &p->j.bin, b->err);
}

#ifdef RFS_TEST_HOOKS
/* RECYCLEFS_TEST_PART_DELAY_MS (test builds only): a batch waits that long
 * before it touches storage, its lease held, as a batch behind a slow
 * store would; a daemon killed meanwhile leaves its parts queued.
 * RECYCLEFS_TEST_PART_HOLD=FILE: a batch waits there, likewise, for as
 * long as FILE exists (a test removes it to let the batch go). */
static void test_delay(void)
{
	const char *v = getenv("RECYCLEFS_TEST_PART_DELAY_MS");
	const char *hold = getenv("RECYCLEFS_TEST_PART_HOLD");
	long ms = v ? strtol(v, NULL, 10) : 0;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	const struct timespec poll = { 0, 50 * 1000 * 1000 };

	if (ms > 0)
		nanosleep(&ts, NULL);
	while (hold && *hold && access(hold, F_OK) == 0)
		nanosleep(&poll, NULL);
}
#else
static void test_delay(void)
{
}
#endif

static int parts_run(struct rfs_engine_job *b)
{
	struct part_job *p = (struct part_job *)b;
	int r;

	test_delay();
	r = rfs_purge_parts_queued(b->idx, p->j.bin, b->id,
				   (const char *const *)p->paths, p->n, true,
				   b->err);
	if (r == 0)
		rfs_log(LOG_DEBUG, "purged %zu parts of '.recyclebin/%s'", p->n,
			p->j.e.bin_path);
	return r;
}

/* A failed batch: its rows stay, with the reason, until a retry time
 * that doubles with each attempt. */
static void parts_fail(struct rfs_engine_job *b, int r)
{
	struct rfs_index_part_status s = { 0 };
	struct rfs_error ignore = { 0 };
	int64_t wait = 1;

	(void)r;
	if (rfs_index_part_status(b->idx, b->id, &s, &ignore) == 0)
		while (s.attempts-- > 0 && wait < PART_RETRY_MAX_S)
			wait *= 2;
	free(s.reason);
	if (wait > PART_RETRY_MAX_S)
		wait = PART_RETRY_MAX_S;
	rfs_index_part_failed(b->idx, b->id, b->err->msg,
			      rfs_time_now_ns() + wait * RFS_NSEC_PER_SEC,
			      &ignore);
}

static void parts_release(struct rfs_engine_job *b)
{
	drop_paths((struct part_job *)b);
	rfs_job_entry_release(b);
}

static const struct rfs_engine_step part_steps[] = {
	{ RFS_ENTRY_ARCHIVED, "purge parts", parts_run, RFS_ENGINE_END,
	  RFS_ENTRY_ARCHIVED },
};

static const struct rfs_engine_kind part_kind = {
	.name = "purge of parts",
	.claim_sign = 1, /* the entry's: never beside its other jobs */
	.steps = part_steps,
	.n_steps = 1,
	.lease = rfs_index_entry_lease,
	.load = parts_load,
	.state = rfs_job_entry_state,
	.save = parts_save,
	.progress = parts_progress,
	.lease_owner = rfs_job_entry_lease_owner,
	.leased = rfs_job_entry_leased,
	.open = parts_open,
	.fail = parts_fail,
	.describe = rfs_job_entry_describe,
	.release = parts_release,
};

int rfs_part_job_run(struct rfs_index *idx, int64_t id,
		     const struct rfs_job_opts *o, struct rfs_error *err)
{
	struct part_job p = {
		.j = { .base = { .kind = &part_kind,
				 .idx = idx,
				 .id = id,
				 .o = o,
				 .err = err } },
	};

	return rfs_engine_run(&p.j.base);
}
