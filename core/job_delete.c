/*
 * The delete step of an archive (core/job.c): the source's files and
 * links, each checked still the one verified, then its folders deepest
 * first.
 *
 * Files go in batches of JOB_BATCH rows, in path order. A source that
 * removes many files a request (rfs_backend_ops.unlink_checked: an object
 * store's DeleteObjects) has up to DELETE_AT_ONCE batches in flight, each
 * checked and removed by its own call exactly as a batch alone would be;
 * a source that removes one file a call has one batch at a time, its
 * files on the job's helper threads. After each round the source is
 * synced once and every file a batch removed is recorded deleted, also
 * when another batch of the round failed: a retry resumes with the files
 * still there.
 */
#include "core/job_priv.h"

#include "backends/backend.h"
#include "core/copy.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/parallel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/** The most batches being removed at once. */
#define DELETE_AT_ONCE 4

/* Rows of one batch, copied out of the index for work off its thread. */
struct batch {
	int n;
	struct rfs_entry_file f[JOB_BATCH];
	char *paths[JOB_BATCH];
	int64_t sizes_done;
};

static int batch_add(const struct rfs_entry_file *f, void *ctx)
{
	struct batch *b = ctx;

	b->paths[b->n] = strdup(f->path);
	if (!b->paths[b->n])
		return -ENOMEM;
	b->f[b->n] = *f;
	b->f[b->n].path = b->paths[b->n];
	b->f[b->n].link = NULL;
	b->n++;
	return 0;
}

static void batch_release(struct batch *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->paths[i]);
	b->n = 0;
}

/* One batch's removals. */
struct unlinks {
	struct job *j;
	struct batch b;
	int no;		    /* its number in the step, from 1 */
	int res[JOB_BATCH]; /* 0 deleted, 1 kept (changed), or -errno */
};

static void unlink_task(void *ctx, int i)
{
	struct unlinks *u = ctx;
	const struct rfs_entry_file *f = &u->b.f[i];
	struct rfs_buf key = RFS_BUF_INIT;
	struct stat st;
	int r;

	if (f->type == RFS_FILE_DIR) {
		u->res[i] = 1;
		return;
	}
	r = rfs_job_src_key(u->j, f->path, &key);
	if (r == 0) {
		/* the storage's answer, not a cache's: another client may
		 * have written the file since it was verified */
		rfs_backend_forget(u->j->src, rfs_buf_str(&key));
		r = rfs_backend_stat(u->j->src, rfs_buf_str(&key), &st);
	}
	if (r == 0 && f->type == RFS_FILE_REG &&
	    (st.st_size != f->size ||
	     st.st_mtim.tv_sec * RFS_NSEC_PER_SEC + st.st_mtim.tv_nsec !=
		     f->mtime_ns)) {
		/* Written since it was verified: the bin holds the version
		 * before, the source keeps the new one. Nothing is lost. */
		u->res[i] = 1;
		rfs_buf_release(&key);
		return;
	}
	if (r == 0 && rfs_file_type_special(f->type) &&
	    !rfs_copy_special_same(&st, f)) {
		/* Not the special file verified any more: another file took
		 * its name, and the source keeps it. */
		u->res[i] = 1;
		rfs_buf_release(&key);
		return;
	}
	if (r == 0)
		r = rfs_backend_unlink(u->j->src, rfs_buf_str(&key));
	u->res[i] = r == -ENOENT ? 0 : r;
	rfs_buf_release(&key);
}

/* The batch in as few requests as the source allows, each file checked
 * still the one verified (rfs_backend_ops.unlink_checked, which the
 * source has). */
static void unlink_checked(struct unlinks *u)
{
	struct rfs_backend_unlink *w = calloc(JOB_BATCH, sizeof(*w));
	struct rfs_buf key = RFS_BUF_INIT;
	int at[JOB_BATCH], n = 0, i, r = w ? 0 : -ENOMEM;

	for (i = 0; r == 0 && i < u->b.n; i++) {
		const struct rfs_entry_file *f = &u->b.f[i];

		u->res[i] = 1; /* folders: removed after */
		if (f->type == RFS_FILE_DIR)
			continue;
		r = rfs_job_src_key(u->j, f->path, &key);
		if (r == 0 && !(w[n].key = strdup(rfs_buf_str(&key))))
			r = -ENOMEM;
		if (r < 0)
			break;
		w[n].size = f->type == RFS_FILE_REG ? f->size : -1;
		w[n].mtime_ns = f->mtime_ns;
		w[n].sha256 = f->type == RFS_FILE_REG && *f->sha256 ? f->sha256
								    : NULL;
		at[n++] = i;
	}
	if (r == 0 && n)
		r = rfs_backend_unlink_checked(u->j->src, w, (size_t)n);
	for (i = 0; i < n; i++) {
		u->res[at[i]] = r < 0 ? r : w[i].res == -ENOENT ? 0 : w[i].res;
		free((char *)w[i].key);
	}
	if (r < 0)
		for (i = 0; i < u->b.n; i++)
			if (u->b.f[i].type != RFS_FILE_DIR)
				u->res[i] = r;
	free(w);
	rfs_buf_release(&key);
}

#ifdef RFS_TEST_HOOKS
/* A number from the environment (test builds only), or @p dflt. */
static long test_env(const char *name, long dflt)
{
	const char *v = getenv(name);
	long n = v && *v ? strtol(v, NULL, 10) : dflt;

	return n < 0 ? 0 : n;
}

/* RECYCLEFS_TEST_DELETE_BATCH: files per batch instead of JOB_BATCH, so
 * that a few files make many batches. */
static int batch_rows(void)
{
	long n = test_env("RECYCLEFS_TEST_DELETE_BATCH", JOB_BATCH);

	return n < 1 || n > JOB_BATCH ? JOB_BATCH : (int)n;
}

/* RECYCLEFS_TEST_DELETE_DELAY_MS: each batch waits so long before its
 * removals, so that the batches of a round are seen in flight together. */
static void test_delay(void)
{
	long ms = test_env("RECYCLEFS_TEST_DELETE_DELAY_MS", 0);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms)
		nanosleep(&ts, NULL);
}

/* RECYCLEFS_TEST_DELETE_FAIL=N: batch N of the step fails part-way: the
 * first half of its files is removed, the rest fails with EIO untried.
 * @return how many files of @p u to remove (all but a failing batch's) */
static int test_fail(struct unlinks *u)
{
	if (test_env("RECYCLEFS_TEST_DELETE_FAIL", 0) != u->no)
		return u->b.n;
	return u->b.n / 2;
}
#else
#define batch_rows() JOB_BATCH
#define test_delay() ((void)0)
#define test_fail(u) ((u)->b.n)
#endif

/* The batches of one round. */
struct round {
	struct job *j;
	struct unlinks *u[DELETE_AT_ONCE];
	int n;	       /* batches listed */
	int in_flight; /* being removed now */
};

/* Remove batch @p k of the round (a task of rfs_parallel_for()). */
static void batch_task(void *ctx, int k)
{
	struct round *rd = ctx;
	struct unlinks *u = rd->u[k];
	struct job *j = rd->j;
	int now = __atomic_add_fetch(&rd->in_flight, 1, __ATOMIC_RELAXED);
	int all = u->b.n, go = test_fail(u), i;

	rfs_log(LOG_DEBUG,
		"archive of '%s': removing batch %d (%d files), %d at once",
		j->e.origin_path, u->no, all, now);
	test_delay();
	u->b.n = go; /* a failing batch (test hook): its first files only */
	if (j->src->ops->unlink_checked)
		unlink_checked(u);
	else
		rfs_parallel_for(j->base.parallel, u->b.n, unlink_task, u);
	u->b.n = all;
	for (i = go; i < all; i++)
		u->res[i] = u->b.f[i].type == RFS_FILE_DIR ? 1 : -EIO;
	__atomic_sub_fetch(&rd->in_flight, 1, __ATOMIC_RELAXED);
}

/* Record what the round @p rd removed (its source synced with result
 * @p sync_r): deleted rows, and the files kept into @p kept. @return 0,
 * or the first failure, after the files removed are recorded all the
 * same */
static int record(struct round *rd, int sync_r, int64_t *files,
		  struct rfs_buf *kept)
{
	struct job *j = rd->j;
	int r, i, k, fail;

	r = rfs_index_begin(j->base.idx, j->base.err);
	if (r == 0 && sync_r < 0)
		r = rfs_error_set(j->base.err, -sync_r,
				  "syncing the source of '%s' after removing "
				  "files failed: %s",
				  j->e.origin_path, strerror(-sync_r));
	for (k = 0; r == 0 && k < rd->n; k++) {
		struct unlinks *u = rd->u[k];

		for (i = 0; r == 0 && i < u->b.n; i++) {
			const struct rfs_entry_file *f = &u->b.f[i];

			if (u->res[i] < 0) {
				r = rfs_error_set(j->base.err, -u->res[i],
						  "removing '%s/%s' failed: %s",
						  j->e.origin_path, f->path,
						  strerror(-u->res[i]));
			} else if (u->res[i] == 1) {
				if (f->type != RFS_FILE_DIR && kept->len < 512)
					rfs_buf_addf(kept, "%s'%s'",
						     kept->len ? ", " : "",
						     f->path);
			} else {
				r = rfs_index_file_update(
					j->base.idx, j->e.id, f->path, NULL,
					RFS_FILE_DELETED, j->base.err);
				++*files;
			}
		}
	}
	if (r == 0) {
		r = rfs_index_commit(j->base.idx, j->base.err);
		if (r < 0)
			rfs_index_rollback(j->base.idx);
		return r;
	}
	/* What was removed is recorded, even when a file of the round
	 * failed: the index must not think them still there. */
	fail = r;
	rfs_index_rollback(j->base.idx);
	r = rfs_index_begin(j->base.idx, j->base.err);
	for (k = 0; r == 0 && k < rd->n; k++)
		for (i = 0; r == 0 && i < rd->u[k]->b.n; i++)
			if (rd->u[k]->res[i] == 0)
				r = rfs_index_file_update(
					j->base.idx, j->e.id,
					rd->u[k]->b.f[i].path, NULL,
					RFS_FILE_DELETED, j->base.err);
	if (r == 0)
		r = rfs_index_commit(j->base.idx, j->base.err);
	else
		rfs_index_rollback(j->base.idx);
	return r < 0 ? r : fail;
}

/* The last path of batch @p u (not empty). */
static const char *last_path(const struct unlinks *u)
{
	return u->b.paths[u->b.n - 1];
}

static int delete_files(struct job *j, int64_t *files, struct rfs_buf *kept)
{
	struct rfs_index_file_query q = { .state = RFS_FILE_VERIFIED,
					  .limit = batch_rows() };
	struct round rd = { .j = j };
	int at_once = j->src->ops->unlink_checked ? DELETE_AT_ONCE : 1;
	int r = 0, k, no = 0, sync_r;
	char *cursor = NULL;

	if (at_once > j->base.parallel)
		at_once = j->base.parallel > 1 ? j->base.parallel : 1;
	for (k = 0; r == 0 && k < at_once; k++) {
		rd.u[k] = calloc(1, sizeof(*rd.u[k]));
		if (!rd.u[k])
			r = -ENOMEM;
		else
			rd.u[k]->j = j;
	}
	while (r == 0) {
		/* the round: up to at_once batches, in path order */
		for (rd.n = 0; rd.n < at_once; rd.n++) {
			struct unlinks *u = rd.u[rd.n];

			q.after = rd.n ? last_path(rd.u[rd.n - 1]) : cursor;
			r = rfs_index_file_list(j->base.idx, j->e.id, &q,
						batch_add, &u->b, j->base.err);
			if (r < 0 || u->b.n == 0)
				break;
			u->no = ++no;
			if (u->b.n < (int)q.limit) {
				rd.n++; /* the last */
				break;
			}
		}
		if (r < 0 || rd.n == 0)
			break;
		rfs_parallel_for(rd.n, rd.n, batch_task, &rd);
		/* The removals are made durable before they are recorded:
		 * after a power cut no file the index calls deleted comes
		 * back. When the sync fails, what was removed is recorded
		 * all the same and the job fails: a retry syncs again. */
		sync_r = rfs_backend_sync(j->src);
		r = record(&rd, sync_r, files, kept);
		free(cursor);
		cursor = strdup(last_path(rd.u[rd.n - 1]));
		for (k = 0; k < rd.n; k++)
			batch_release(&rd.u[k]->b);
		if (r == 0 && !cursor)
			r = -ENOMEM;
		if (r < 0)
			break;
		rfs_job_progress(j, *files, 0, false);
		if (rfs_engine_stopped(&j->base))
			r = -EINTR;
	}
	for (k = 0; k < at_once; k++) {
		if (rd.u[k])
			batch_release(&rd.u[k]->b);
		free(rd.u[k]);
	}
	free(cursor);
	return r;
}

struct rmdirs {
	struct job *j;
	struct rfs_buf key;
	struct rfs_buf kept;
	int r;
};

static int rmdir_row(const struct rfs_entry_file *f, void *ctx)
{
	struct rmdirs *d = ctx;
	struct job *j = d->j;
	int r;

	/* An epoch's own root stays: it is the catalog's location. */
	if (!*f->path && !*j->e.item_key)
		return 0;
	r = rfs_job_src_key(j, f->path, &d->key);
	if (r == 0)
		r = rfs_backend_rmdir(j->src, rfs_buf_str(&d->key));
	if (r == -ENOENT)
		return 0;
	if (r == -ENOTEMPTY || r == -EEXIST) {
		/* Something new arrived there: keep it. */
		if (d->kept.len < 512)
			rfs_buf_addf(&d->kept, "%s'%s'",
				     d->kept.len ? ", " : "",
				     rfs_buf_str(&d->key));
		return 0;
	}
	return r;
}

int rfs_job_delete(struct job *j)
{
	struct rfs_index_file_query q = { .type = RFS_FILE_DIR,
					  .state = -1,
					  .desc = true };
	struct rmdirs d = { j, RFS_BUF_INIT, RFS_BUF_INIT, 0 };
	struct rfs_buf kept = RFS_BUF_INIT;
	int64_t files = 0;
	int r;

	r = delete_files(j, &files, &kept);
	if (r == 0)
		r = rfs_index_file_list(j->base.idx, j->e.id, &q, rmdir_row, &d,
					j->base.err);
	if (r < 0 && !j->base.err->code)
		rfs_error_set(j->base.err, -r, "removing '%s' failed: %s",
			      j->e.origin_path, strerror(-r));
	if (r == 0 && (d.kept.len || kept.len)) {
		free(j->e.reason);
		j->e.reason = NULL;
		if (asprintf(&j->e.reason, "%s%s%s%s%s",
			     kept.len ? "kept files written after they were "
					"verified (the bin holds the version "
					"before): "
				      : "",
			     rfs_buf_str(&kept),
			     kept.len && d.kept.len ? "; " : "",
			     d.kept.len ? "kept folders that gained new files "
					  "since the snapshot: "
					: "",
			     rfs_buf_str(&d.kept)) < 0)
			j->e.reason = NULL;
		rfs_log(LOG_DEBUG, "archive of '%s': %s", j->e.origin_path,
			j->e.reason ? j->e.reason : "kept folders");
	}
	rfs_buf_release(&d.key);
	rfs_buf_release(&d.kept);
	rfs_buf_release(&kept);
	if (r < 0)
		return r;
	/* Archived is committed with the final manifest in place: a crash
	 * before leaves the entry in delete, which resumes. */
	return rfs_job_finish(j);
}
