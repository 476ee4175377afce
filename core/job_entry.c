/*
 * What the entry's kinds of job (archive, purge) share: the keys of a
 * manifest row, progress and state, and the engine members that load,
 * save, lease and open an entry (RFS_JOB_ENTRY_KIND in core/job_priv.h).
 */
#include "core/job_priv.h"

#include "backends/backend.h"
#include "core/journal.h"
#include "core/ports.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rfs_job_src_key(const struct job *j, const char *rel, struct rfs_buf *out)
{
	rfs_buf_reset(out);
	return rfs_path_join(out, j->e.item_key, rel);
}

int rfs_job_bin_key(const struct job *j, const char *rel, struct rfs_buf *out)
{
	rfs_buf_reset(out);
	return rfs_path_join(out, j->e.bin_path, rel);
}

void rfs_job_progress(struct job *j, int64_t files, int64_t bytes, bool force)
{
	j->e.files_done = files;
	j->e.bytes_done = bytes;
	rfs_engine_progress(&j->base, files, bytes, force);
}

int rfs_job_set_state(struct job *j, enum rfs_entry_state s)
{
	j->e.state = s;
	j->e.files_done = j->e.bytes_done = 0;
	return rfs_index_entry_update(j->base.idx, &j->e, j->base.err);
}

/* ------------------------------------------------- the entry's kinds */

int rfs_job_entry_load(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;
	int r = rfs_index_entry_get(b->idx, b->id, &j->e, b->err);
	int i;

	if (r < 0)
		return r;
	if (!rfs_entry_state_runnable(j->e.state))
		return -ECANCELED;
	for (i = 0; i < b->kind->n_steps; i++)
		if (b->kind->steps[i].state == (int)j->e.state)
			return 0;
	return -ECANCELED; /* a state of the other kind */
}

int rfs_job_entry_state(const struct rfs_engine_job *b)
{
	return ((const struct job *)b)->e.state;
}

int rfs_job_entry_save(struct rfs_engine_job *b, int s)
{
	int r = rfs_job_set_state((struct job *)b, s);

	if (r == 0 && s == RFS_ENTRY_PURGED) /* the purge record, journaled */
		rfs_journal_write(b->idx, NULL);
	return r;
}

void rfs_job_entry_progress(struct rfs_engine_job *b, int64_t files,
			    int64_t bytes)
{
	struct job *j = (struct job *)b;
	struct rfs_error ignore = { 0 };

	rfs_index_entry_progress(b->idx, j->e.id, files, bytes, &ignore);
	if (b->o && b->o->progress)
		b->o->progress(b->o->progress_ctx, &j->e);
}

const char *rfs_job_entry_lease_owner(const struct rfs_engine_job *b,
				      int64_t *until_ns)
{
	const struct job *j = (const struct job *)b;

	*until_ns = j->e.lease_until_ns;
	return j->e.lease_owner;
}

void rfs_job_entry_leased(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;

	free(j->e.lease_owner);
	j->e.lease_owner = strdup(rfs_job_owner_self());
}

int rfs_job_entry_open(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;
	int r = rfs_ports_open(j->e.src_uri, &j->src, b->err);

	if (r == 0)
		r = rfs_ports_open(j->e.bin_root_uri, &j->bin, b->err);
	if (r == 0)
		b->parallel =
			rfs_engine_parallel_files(b->idx, b->o, j->src, j->bin);
	return r;
}

const char *rfs_job_entry_describe(const struct rfs_engine_job *b, char *buf,
				   size_t size)
{
	snprintf(buf, size, "'%s'", ((const struct job *)b)->e.bin_path);
	return buf;
}

void rfs_job_entry_release(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;

	rfs_backend_free(j->src);
	rfs_backend_free(j->bin);
	j->src = j->bin = NULL;
	rfs_entry_release(&j->e);
}

void rfs_job_entry_fail_archive(struct rfs_engine_job *b, int r)
{
	struct job *j = (struct job *)b;
	struct rfs_error ignore = { 0 };

	(void)r;
	j->e.failed_step = j->e.state;
	j->e.state = RFS_ENTRY_FAILED;
	free(j->e.reason);
	j->e.reason = strdup(b->err->msg);
	rfs_index_entry_update(b->idx, &j->e, &ignore);
}

void rfs_job_entry_fail_purge(struct rfs_engine_job *b, int r)
{
	struct job *j = (struct job *)b;
	struct rfs_error ignore = { 0 };

	(void)r;
	free(j->e.reason);
	j->e.reason = strdup(b->err->msg);
	rfs_index_entry_update(b->idx, &j->e, &ignore);
}
