/*
 * The restore job every restore kind shares (core/restore_job.h): the
 * walk over the rows of the part restored, the cleanup of the
 * temporaries a killed copy left, the failure's common part and the
 * members of a restore kind (RESTORE_KIND_OPS). The steps of a file
 * restore are core/kind_restore.c's, its end core/kind_restore_end.c's.
 */
#include "core/restore_job.h"

#include "backends/backend.h"
#include "core/engine.h"
#include "index/entries.h"
#include "index/restores.h"
#include "model/entry.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/parallel.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int take_row(const struct rfs_entry_file *f, void *ctx)
{
	struct rbatch *b = ctx;
	struct rjob *j = b->j;
	struct rtask *t;
	struct rfs_buf k = RFS_BUF_INIT;
	int r;

	free(b->last);
	b->last = strdup(f->path);
	if (!b->last)
		return -ENOMEM;
	if (!rfs_path_is_under(f->path, j->r.sub) ||
	    f->state == RFS_FILE_PURGED || (b->type && (int)f->type != b->type))
		return 0;
	t = &b->t[b->n];
	memset(t, 0, sizeof(*t));
	t->f = *f;
	t->path = strdup(f->path);
	t->link = f->link ? strdup(f->link) : NULL;
	t->f.path = t->path;
	t->f.link = t->link;
	r = rfs_path_join(&k, j->e.bin_path, f->path);
	if (r == 0)
		snprintf(t->bkey, sizeof(t->bkey), "%s", rfs_buf_str(&k));
	rfs_buf_reset(&k);
	if (r == 0)
		r = rfs_path_join(&k, j->r.target_key, rel_of(j, f->path));
	if (r == 0)
		snprintf(t->tkey, sizeof(t->tkey), "%s", rfs_buf_str(&k));
	rfs_buf_release(&k);
	b->n++;
	if (!t->path || (f->link && !t->link))
		return -ENOMEM;
	return r;
}

static void rbatch_release(struct rbatch *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->t[i].path);
		free(b->t[i].link);
		free(b->t[i].why);
	}
	b->n = 0;
}

static void rprogress(struct rjob *j, int64_t files, int64_t bytes)
{
	j->r.files_done = files;
	j->r.bytes_done = bytes;
	rfs_engine_progress(&j->base, files, bytes, false);
}

/*
 * Run @p fn over the rows of the part restored, a batch at a time on the
 * job's helper threads; then @p done per batch on this thread.
 */
int rfs_restore_for_rows(struct rjob *j, int type, unsigned int flags,
			 void (*fn)(void *ctx, int i),
			 int (*done)(struct rjob *j, struct rbatch *b))
{
	struct rfs_index_file_query q = { .state = -1, .limit = RESTORE_BATCH };
	struct rbatch *b = calloc(1, sizeof(*b));
	int64_t files = 0, bytes = 0;
	char *cursor = NULL;
	int r = 0;

	if (!b)
		return -ENOMEM;
	b->j = j;
	b->type = type;
	for (;;) {
		free(b->last);
		b->last = NULL;
		q.after = cursor;
		r = rfs_index_file_list(j->base.idx, j->e.id, &q, take_row, b,
					j->base.err);
		if (r < 0 || !b->last)
			break;
		if (b->n)
			rfs_parallel_for(j->base.parallel, b->n, fn, b);
		for (int i = 0; r == 0 && i < b->n; i++) {
			files += b->t[i].f.type != RFS_FILE_DIR;
			bytes += b->t[i].f.size;
		}
		if (r == 0 && done && (flags & RFS_RESTORE_ROWS_SYNC))
			r = rfs_backend_sync(j->dst); /* durable, then on */
		if (r == 0 && done)
			r = done(j, b);
		rbatch_release(b);
		free(cursor);
		cursor = b->last;
		b->last = NULL;
		if (r < 0)
			break;
		rprogress(j, files, bytes);
		if (rfs_engine_stopped(&j->base)) {
			r = -EINTR;
			break;
		}
	}
	rbatch_release(b);
	free(b->last);
	free(b);
	free(cursor);
	return r;
}

/* Temporaries a killed copy left at the target. @return how many are
 * left (they could not be listed or removed), 0 when none */
int64_t rfs_restore_cleanup_tmp(struct rjob *j)
{
	return rfs_engine_drop_tmps(j->dst, j->r.target_key, NULL, NULL);
}

/* ---------------------------------------- the members of a restore kind
 */

void rfs_restore_mark_failed(struct rjob *j)
{
	j->r.failed_step = j->r.state;
	j->r.state = RFS_RESTORE_FAILED;
	free(j->r.reason);
	j->r.reason = strdup(j->base.err->msg);
}

int rfs_restore_kind_load(struct rfs_engine_job *b)
{
	struct rjob *j = (struct rjob *)b;
	int r = rfs_index_restore_get(b->idx, b->id, &j->r, b->err);

	if (r == 0 && (j->r.state == RFS_RESTORE_DONE ||
		       j->r.state == RFS_RESTORE_FAILED))
		return -ECANCELED;
	if (r == 0)
		r = rfs_index_entry_get(b->idx, j->r.entry_id, &j->e, b->err);
	return r;
}

int rfs_restore_kind_state(const struct rfs_engine_job *b)
{
	return ((const struct rjob *)b)->r.state;
}

int rfs_restore_kind_save(struct rfs_engine_job *b, int s)
{
	struct rjob *j = (struct rjob *)b;

	j->r.state = s;
	j->r.files_done = j->r.bytes_done = 0;
	return rfs_index_restore_update(b->idx, &j->r, b->err);
}

void rfs_restore_kind_progress(struct rfs_engine_job *b, int64_t files,
			       int64_t bytes)
{
	struct rfs_error ignore = { 0 };

	rfs_index_restore_progress(b->idx, b->id, files, bytes, &ignore);
}

const char *rfs_restore_kind_lease_owner(const struct rfs_engine_job *b,
					 int64_t *until_ns)
{
	const struct rjob *j = (const struct rjob *)b;

	*until_ns = j->r.lease_until_ns;
	return j->r.lease_owner;
}

const char *rfs_restore_kind_describe(const struct rfs_engine_job *b, char *buf,
				      size_t size)
{
	snprintf(buf, size, "the restore to '%s'",
		 ((const struct rjob *)b)->r.target);
	return buf;
}

void rfs_restore_kind_release(struct rfs_engine_job *b)
{
	struct rjob *j = (struct rjob *)b;

	rfs_backend_free(j->bin);
	rfs_backend_free(j->dst);
	j->bin = j->dst = NULL;
	rfs_buf_release(&j->conflicts);
	rfs_restore_release(&j->r);
	rfs_entry_release(&j->e);
}
