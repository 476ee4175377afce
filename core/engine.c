/*
 * The job engine: claims, leases and heartbeats, the step loop, failure,
 * progress, tree walks and temporary cleanup, for every kind of job.
 */
#include "core/engine.h"

#include "backends/backend.h"
#include "core/jobs.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------ claims in this process */

/* Jobs running in this process: a lease names the process, so two of
 * its threads must not both think they hold it. */
static pthread_mutex_t local_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t local_ids[256];
static size_t local_n; /* guarded by local_lock */

bool rfs_engine_claim_local(int64_t id)
{
	bool ok;
	size_t i;

	pthread_mutex_lock(&local_lock);
	ok = local_n < sizeof(local_ids) / sizeof(local_ids[0]);
	for (i = 0; ok && i < local_n; i++)
		if (local_ids[i] == id)
			ok = false;
	if (ok)
		local_ids[local_n++] = id;
	pthread_mutex_unlock(&local_lock);
	return ok;
}

void rfs_engine_release_local(int64_t id)
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

/* ------------------------------------------------------------ heartbeat */

/* Renews one lease from its own index connection while a job runs. */
struct heartbeat {
	pthread_t th;
	pthread_mutex_t lock; /* guards done */
	pthread_cond_t cond;  /* signalled to stop early */
	bool done;
	char *path; /* the index file */
	int64_t id;
	rfs_engine_lease_fn renew;
};

static void *heartbeat_main(void *arg)
{
	struct heartbeat *h = arg;
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

static int heartbeat_start(struct heartbeat *h, struct rfs_index *idx,
			   int64_t id, rfs_engine_lease_fn renew)
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

static void heartbeat_stop(struct heartbeat *h)
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

/* ---------------------------------------------------------------- steps */

bool rfs_engine_stopped(const struct rfs_engine_job *j)
{
	return j->o && j->o->stop && *j->o->stop;
}

void rfs_engine_progress(struct rfs_engine_job *j, int64_t files, int64_t bytes,
			 bool force)
{
	int64_t now = rfs_time_mono_ns();

	if (!force && now < j->next_progress_ns)
		return;
	j->next_progress_ns = now + RFS_NSEC_PER_SEC;
	j->kind->progress(j, files, bytes);
}

static const struct rfs_engine_step *step_of(const struct rfs_engine_kind *k,
					     int state)
{
	for (int i = 0; i < k->n_steps; i++)
		if (k->steps[i].state == state)
			return &k->steps[i];
	return NULL;
}

int rfs_engine_retry_state(const struct rfs_engine_kind *k, int failed_step)
{
	const struct rfs_engine_step *s = step_of(k, failed_step);

	return s && s->run ? s->resume : failed_step;
}

#ifdef RFS_TEST_HOOKS
/* RECYCLEFS_TEST_STOP_AFTER=[<kind>:]<state> (test builds only): stop a
 * job as if asked to (-EINTR, resumable) once state <state> of it is
 * committed, before that state's step runs. */
static bool test_stop_at(const struct rfs_engine_kind *k,
			 const struct rfs_engine_step *s)
{
	const char *v = getenv("RECYCLEFS_TEST_STOP_AFTER");
	const char *colon = v ? strchr(v, ':') : NULL;

	if (!v || !s->name)
		return false;
	if (colon) {
		if (strncmp(v, k->name, (size_t)(colon - v)) ||
		    k->name[colon - v] != '\0')
			return false;
		v = colon + 1;
	}
	return strcmp(v, s->name) == 0;
}
#else
#define test_stop_at(k, s) false
#endif

static int run_steps(struct rfs_engine_job *j)
{
	const struct rfs_engine_kind *k = j->kind;
	const struct rfs_engine_step *s;
	int r = 0;

	while (r == 0) {
		if (rfs_engine_stopped(j))
			return -EINTR;
		s = step_of(k, k->state(j));
		if (!s)
			return -ECANCELED;
		if (!s->run)
			return 0; /* a final state */
		if (test_stop_at(k, s))
			return -EINTR;
		r = s->run(j);
		if (r == 0 && s->next == RFS_ENGINE_END)
			return 0;
		if (r == 0)
			r = k->save(j, s->next);
	}
	return r;
}

static void fail(struct rfs_engine_job *j, int r)
{
	if (!j->err->code)
		rfs_error_set(j->err, -r, "%s", strerror(-r));
	rfs_index_rollback(j->idx);
	j->kind->fail(j, r);
}

/* The lease: free, expired, or held by a dead process of this host. */
static int take_lease(struct rfs_engine_job *j)
{
	const char *self = rfs_job_owner_self();
	int64_t now = rfs_time_now_ns(), until = 0;
	const char *owner = j->kind->lease_owner(j, &until);
	char what[512];
	bool taken = false;
	int r;

	if (owner && !strcmp(owner, self))
		return 0;
	if (owner && until >= now && rfs_job_owner_alive(owner))
		return rfs_error_set(j->err, EBUSY,
				     "%s is being run by another process (%s)",
				     j->kind->describe(j, what, sizeof(what)),
				     owner);
	r = j->kind->lease(j->idx, j->id, owner, self, now + RFS_LEASE_TTL_NS,
			   &taken, j->err);
	if (r == 0 && !taken)
		r = rfs_error_set(j->err, EBUSY,
				  "%s was taken by another process",
				  j->kind->describe(j, what, sizeof(what)));
	if (r == 0 && j->kind->leased)
		j->kind->leased(j);
	return r;
}

static int run_claimed(struct rfs_engine_job *j)
{
	const struct rfs_engine_kind *k = j->kind;
	struct heartbeat hb;
	bool taken;
	int r;

	r = k->load(j);
	if (r < 0)
		return r;
	r = take_lease(j);
	if (r < 0)
		return r;
	r = heartbeat_start(&hb, j->idx, j->id, k->lease);
	if (r == 0) {
		r = k->open(j);
		if (r == 0)
			r = run_steps(j);
		if (r < 0 && r != -EINTR)
			fail(j, r);
		heartbeat_stop(&hb);
	}
	k->lease(j->idx, j->id, rfs_job_owner_self(), NULL, 0, &taken,
		 &(struct rfs_error){ 0 });
	return r;
}

int rfs_engine_run(struct rfs_engine_job *j)
{
	const struct rfs_engine_kind *k = j->kind;
	int64_t key = k->claim_sign * j->id;
	int r;

	if (!rfs_engine_claim_local(key))
		return rfs_error_set(j->err, EBUSY,
				     "the %s is already running here", k->name);
	r = run_claimed(j);
	if (r < 0 && r != -EINTR && r != -ECANCELED)
		rfs_log(LOG_DEBUG, "%s %lld failed: %s", k->name,
			(long long)j->id, j->err->msg);
	k->release(j);
	rfs_engine_release_local(key);
	return r;
}

int rfs_engine_parallel_files(struct rfs_index *idx,
			      const struct rfs_job_opts *o,
			      struct rfs_backend *a, struct rfs_backend *b)
{
	struct rfs_error ignore = { 0 };
	char *v = NULL;
	int n = o && o->parallel_files > 0 ? o->parallel_files : 0;

	if (n == 0 &&
	    rfs_index_config_get(idx, "jobs.parallel_files", &v, &ignore) == 0)
		n = atoi(v);
	free(v);
	if (n > 0)
		return n;
	/* a file on a remote store costs a dozen round trips, not the
	 * disk's time: more of them at once */
	return (a && rfs_backend_has(a, RFS_BACKEND_CAP_REMOTE)) ||
			       (b && rfs_backend_has(b, RFS_BACKEND_CAP_REMOTE))
		       ? 16
		       : 4;
}

/* ----------------------------------------------------------------- walk */

struct walk_dir {
	char *path;
	struct walk_dir *next;
};

struct walk {
	const char *dir; /* relative path of the directory being listed */
	struct walk_dir *todo;
	int (*fn)(void *ctx, const char *rel, const struct stat *st);
	void *ctx;
	struct rfs_buf rel;
};

static int walk_entry(void *ctx, const char *name, const struct stat *st)
{
	struct walk *w = ctx;
	struct walk_dir *d;
	int r;

	rfs_buf_reset(&w->rel);
	r = rfs_path_join(&w->rel, w->dir, name);
	if (r < 0)
		return r;
	r = w->fn(w->ctx, rfs_buf_str(&w->rel), st);
	if (r == RFS_ENGINE_WALK_PRUNE)
		return 0;
	if (r != 0 || !S_ISDIR(st->st_mode))
		return r;
	d = malloc(sizeof(*d));
	if (!d || !(d->path = strdup(rfs_buf_str(&w->rel)))) {
		free(d);
		return -ENOMEM;
	}
	d->next = w->todo;
	w->todo = d;
	return 0;
}

static int walk(struct rfs_backend *b, const char *key, bool late,
		int (*fn)(void *ctx, const char *rel, const struct stat *st),
		void *ctx)
{
	int (*list)(struct rfs_backend *, const char *, rfs_backend_list_fn,
		    void *) = late ? rfs_backend_list_late : rfs_backend_list;
	struct walk w = { "", NULL, fn, ctx, RFS_BUF_INIT };
	struct rfs_buf k = RFS_BUF_INIT;
	struct walk_dir *d = NULL;
	int r;

	r = list(b, key, walk_entry, &w);
	while (r == 0 && w.todo) {
		d = w.todo;
		w.todo = d->next;
		rfs_buf_reset(&k);
		r = rfs_path_join(&k, key, d->path);
		w.dir = d->path;
		if (r == 0)
			r = list(b, rfs_buf_str(&k), walk_entry, &w);
		free(d->path);
		free(d);
	}
	while (w.todo) {
		d = w.todo;
		w.todo = d->next;
		free(d->path);
		free(d);
	}
	rfs_buf_release(&w.rel);
	rfs_buf_release(&k);
	return r;
}

int rfs_engine_walk(struct rfs_backend *b, const char *key,
		    int (*fn)(void *ctx, const char *rel,
			      const struct stat *st),
		    void *ctx)
{
	return walk(b, key, false, fn, ctx);
}

int rfs_engine_walk_late(struct rfs_backend *b, const char *key,
			 int (*fn)(void *ctx, const char *rel,
				   const struct stat *st),
			 void *ctx)
{
	return walk(b, key, true, fn, ctx);
}

/* ---------------------------------------------------------- temporaries */

/* ".rfs-tmp.<name>.<hex>": core/copy.c and the local backend's copy name
 * them so. */
bool rfs_engine_is_tmp(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t n;

	if (strncmp(name, ".rfs-tmp.", 9) || !dot || dot < name + 9)
		return false;
	n = strspn(dot + 1, "0123456789abcdef");
	return n >= 8 && dot[1 + n] == '\0';
}

struct tmps {
	struct rfs_backend *b;
	const char *dir;  /* the key listed */
	const char *only; /* ".rfs-tmp.<name>." beside the key, or NULL */
	rfs_engine_tmp_fn dropped;
	void *ctx;
	struct rfs_buf key;
	int64_t left; /* temporaries that could not be removed */
};

static int drop_tmp(void *ctx, const char *rel, const struct stat *st)
{
	struct tmps *t = ctx;
	const char *name = rfs_path_basename(rel);
	int r;

	if (S_ISDIR(st->st_mode) || !rfs_engine_is_tmp(name) ||
	    (t->only && strncmp(name, t->only, strlen(t->only))))
		return 0;
	rfs_buf_reset(&t->key);
	r = rfs_path_join(&t->key, t->dir, rel);
	if (r == 0)
		r = rfs_backend_unlink(t->b, rfs_buf_str(&t->key));
	if (r == 0 && !t->only && t->dropped)
		t->dropped(t->ctx, rel);
	if (r < 0 && r != -ENOENT)
		t->left++;
	return 0;
}

static int drop_tmp_here(void *ctx, const char *name, const struct stat *st)
{
	return drop_tmp(ctx, name, st);
}

int64_t rfs_engine_drop_tmps(struct rfs_backend *b, const char *key,
			     rfs_engine_tmp_fn dropped, void *ctx)
{
	struct tmps t = { b, key, NULL, dropped, ctx, RFS_BUF_INIT, 0 };
	char *parent = strndup(key, rfs_path_dirlen(key)), *only = NULL;
	struct stat st;
	int r;

	r = rfs_backend_stat(b, key, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = rfs_engine_walk(b, key, drop_tmp, &t);
	if (r < 0 && r != -ENOENT)
		t.left++; /* unknown: say so */
	if (*key && parent &&
	    asprintf(&only, ".rfs-tmp.%.229s.", rfs_path_basename(key)) >= 0) {
		t.dir = parent;
		t.only = only;
		r = rfs_backend_list(b, parent, drop_tmp_here, &t);
		if (r < 0 && r != -ENOENT)
			t.left++;
	}
	free(parent);
	free(only);
	rfs_buf_release(&t.key);
	return t.left;
}
