/*
 * The archive kind of job (core/engine.h): its state machine, and the
 * steps that do not copy data (snapshot, unpublish, finish); the copying
 * steps are in core/sync.c, the delete step in core/job_delete.c. What
 * the archive and purge kinds share (the entry's load, save, lease and
 * storages) is in core/job_entry.c.
 */
#include "core/job_priv.h"
#include "core/journal.h"

#include "backends/backend.h"
#include "core/ports.h"
#include "core/bin.h"
#include "core/copy.h"
#include "core/hook.h"
#include "core/partitions.h"
#include "core/manifest.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** The bin's key relative to the item when the item holds it (an epoch
 * at its storage's root holds the default bin), else NULL in @p out. */
int rfs_job_bin_inside(const struct job *j, char **out);

int rfs_job_bin_inside(const struct job *j, char **out)
{
	const char *src = j->e.src_uri, *bin = j->e.bin_root_uri;
	size_t slen = strcspn(src, "?"), blen = strcspn(bin, "?");
	size_t sep = slen && src[slen - 1] == '/' ? 0 : 1;
	size_t ilen = strlen(j->e.item_key);
	char *key;

	*out = NULL;
	if (blen <= slen + sep || strncmp(src, bin, slen) ||
	    (sep && bin[slen] != '/'))
		return 0;
	key = strndup(bin + slen + sep, blen - slen - sep);
	if (!key)
		return -ENOMEM;
	if (!rfs_path_is_under(key, j->e.item_key) || strlen(key) == ilen) {
		free(key);
		return 0;
	}
	if (ilen)
		memmove(key, key + ilen + 1, strlen(key + ilen + 1) + 1);
	*out = key;
	return 0;
}

bool rfs_job_src_late(const struct job *j)
{
	return rfs_backend_lists_late(j->src);
}

/* Snapshot: the manifest rows, written in batches. */
struct snap {
	struct job *j;
	struct stat exact; /* a file's own attributes, when listings lack
			    * them */
	int batch;
	int64_t files, bytes;
	struct rfs_buf key;
	char link[4096];
	char *skip; /* the bin, when the item holds it */
	/* the listing's attributes of a regular file are provisional: the
	 * sync step completes its row (core/sync.c) */
	bool late;
};

/* The special file @p rel of the item, which the bin cannot keep. */
static int special_refused(struct job *j, const char *rel, enum rfs_file_type t)
{
	struct rfs_buf path = RFS_BUF_INIT;
	int r = rfs_path_join(&path, j->e.origin_path, rel);

	if (r == 0)
		r = rfs_copy_special_refuse(j->base.err, rfs_buf_str(&path), t,
					    "the recycle storage",
					    j->e.bin_root_uri);
	rfs_buf_release(&path);
	return r;
}

static int snap_row(void *ctx, const char *rel, const struct stat *st)
{
	struct snap *s = ctx;
	struct job *j = s->j;
	struct rfs_entry_file f = { 0 };
	int r = 0;

	if (s->skip && rfs_path_is_under(rel, s->skip))
		return RFS_ENGINE_WALK_PRUNE; /* never archive the bin into
						 itself */
	if (S_ISREG(st->st_mode) && !s->late &&
	    !rfs_backend_has(j->src, RFS_BACKEND_CAP_LIST_EXACT)) {
		/* A listing's times are not the file's own (object stores
		 * keep them in metadata): ask for each file. */
		r = rfs_job_src_key(j, rel, &s->key);
		if (r == 0)
			r = rfs_backend_stat(j->src, rfs_buf_str(&s->key),
					     &s->exact);
		if (r < 0)
			return r;
		st = &s->exact;
	}
	f.path = rel;
	f.size = S_ISREG(st->st_mode) ? st->st_size : 0;
	f.mtime_ns =
		st->st_mtim.tv_sec * RFS_NSEC_PER_SEC + st->st_mtim.tv_nsec;
	f.atime_ns =
		st->st_atim.tv_sec * RFS_NSEC_PER_SEC + st->st_atim.tv_nsec;
	f.mode = st->st_mode & 07777;
	f.uid = st->st_uid;
	f.gid = st->st_gid;
	if (S_ISDIR(st->st_mode)) {
		f.type = RFS_FILE_DIR;
	} else if (S_ISLNK(st->st_mode)) {
		f.type = RFS_FILE_LINK;
		r = rfs_job_src_key(j, rel, &s->key);
		if (r == 0)
			r = rfs_backend_readlink(j->src, rfs_buf_str(&s->key),
						 s->link, sizeof(s->link));
		f.link = s->link;
	} else if (S_ISREG(st->st_mode)) {
		f.type = RFS_FILE_REG;
	} else if (rfs_copy_special_type(st->st_mode)) {
		/* a FIFO, socket or device: kept as the storage keeps it,
		 * and refused before anything is copied where the bin
		 * cannot keep it (an object store) */
		f.type = rfs_copy_special_type(st->st_mode);
		if (!rfs_backend_has(j->bin, RFS_BACKEND_CAP_SPECIAL))
			return special_refused(j, rel, f.type);
		if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
			f.rdev = (uint64_t)st->st_rdev;
	} else {
		return rfs_error_set(j->base.err, EPERM,
				     "'%s/%s' has a file type recyclefs does "
				     "not know (mode %o): it cannot be "
				     "archived",
				     j->e.origin_path, rel,
				     (unsigned int)st->st_mode);
	}
	if (r == 0 && s->batch == 0)
		r = rfs_index_begin(j->base.idx, j->base.err);
	if (r == 0)
		r = rfs_index_file_insert(j->base.idx, j->e.id, &f,
					  j->base.err);
	if (r < 0)
		return r;
	s->files += f.type != RFS_FILE_DIR;
	s->bytes += f.size;
	if (++s->batch >= 1000) {
		s->batch = 0;
		r = rfs_index_commit(j->base.idx, j->base.err);
		rfs_job_progress(j, s->files, s->bytes, false);
	}
	return r;
}

int rfs_job_snapshot(struct job *j)
{
	struct snap s = { .j = j, .key = RFS_BUF_INIT };
	struct stat st;
	int r;

	r = rfs_index_file_delete_all(j->base.idx, j->e.id, j->base.err);
	if (r == 0)
		r = rfs_job_bin_inside(j, &s.skip);
	if (r == 0)
		r = rfs_backend_stat(j->src, j->e.item_key, &st);
	if (r < 0) {
		rfs_buf_release(&s.key);
		free(s.skip);
		return rfs_error_set(j->base.err, -r, "cannot read '%s': %s",
				     j->e.origin_path, strerror(-r));
	}
	r = snap_row(&s, "", &st);
	s.late = rfs_job_src_late(j);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = s.late ? rfs_engine_walk_late(j->src, j->e.item_key,
						  snap_row, &s)
			   : rfs_engine_walk(j->src, j->e.item_key, snap_row,
					     &s);
	if (r == 0 && s.batch)
		r = rfs_index_commit(j->base.idx, j->base.err);
	rfs_buf_release(&s.key);
	free(s.skip);
	if (r < 0) {
		rfs_index_rollback(j->base.idx);
		if (!j->base.err->code)
			rfs_error_set(j->base.err, -r,
				      "listing '%s' failed: %s",
				      j->e.origin_path, strerror(-r));
		return r;
	}
	j->e.files_total = s.files;
	j->e.bytes_total = s.bytes;
	return 0;
}

/* The manifest's rows, streamed from the index. */
struct rows {
	struct job *j;
	int (*emit)(void *wctx, const struct rfs_entry_file *f);
	void *wctx;
};

static int emit_row(const struct rfs_entry_file *f, void *ctx)
{
	struct rows *r = ctx;

	return r->emit(r->wctx, f);
}

static int manifest_rows(void *ctx,
			 int (*emit)(void *wctx,
				     const struct rfs_entry_file *f),
			 void *wctx)
{
	struct job *j = ctx;
	struct rfs_index_file_query q = { 0 };
	struct rows r = { j, emit, wctx };
	struct rfs_error ignore = { 0 };

	q.state = -1;
	return rfs_index_file_list(j->base.idx, j->e.id, &q, emit_row, &r,
				   &ignore);
}

/** Write the entry's manifest in its current state. */
int rfs_job_write_manifest(struct job *j);

int rfs_job_write_manifest(struct job *j)
{
	return rfs_manifest_write(j->bin, &j->e, manifest_rows, j, j->base.err);
}

/* The folder that held the temporary @p rel lost its times to the unlink:
 * give it back those of its manifest row. */
static void keep_dir_times(void *ctx, const char *rel)
{
	struct job *j = ctx;
	char *dir = strndup(rel, rfs_path_dirlen(rel));
	struct rfs_error ignore = { 0 };
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_entry_file row;
	struct timespec ts[2];

	if (dir &&
	    rfs_index_file_get(j->base.idx, j->e.id, dir, &row, &ignore) == 0 &&
	    row.type == RFS_FILE_DIR && rfs_job_bin_key(j, dir, &key) == 0) {
		for (int i = 0; i < 2; i++) {
			int64_t ns = i ? row.mtime_ns : row.atime_ns;
			int64_t rem = ns % RFS_NSEC_PER_SEC;

			rem += rem < 0 ? RFS_NSEC_PER_SEC : 0;
			ts[i].tv_sec = (ns - rem) / RFS_NSEC_PER_SEC;
			ts[i].tv_nsec = rem;
		}
		rfs_backend_utimens(j->bin, rfs_buf_str(&key), ts);
	}
	rfs_buf_release(&key);
	free(dir);
}

int rfs_job_finish(struct job *j)
{
	enum rfs_entry_state was = j->e.state;
	int r;

	rfs_engine_drop_tmps(j->bin, j->e.bin_path, keep_dir_times, j);
	j->e.state = RFS_ENTRY_ARCHIVED;
	j->e.deleted_ns = rfs_time_now_ns();
	j->e.files_done = j->e.files_total;
	j->e.bytes_done = j->e.bytes_total;
	r = rfs_job_write_manifest(j);
	if (r == 0)
		r = rfs_index_entry_update(j->base.idx, &j->e, j->base.err);
	if (r < 0)
		j->e.state = was; /* a failure is recorded at that step */
	else /* its archive history, into the catalog journal */
		rfs_journal_write(j->base.idx, NULL);
	return r;
}

int rfs_job_unpublish(struct job *j)
{
	struct rfs_part_call c = {
		.action = "drop_partitions",
		.table = j->e.table,
		.lifecycle = j->e.lifecycle,
		.epoch = j->e.epoch,
		.location = j->e.src_uri,
		.storage = j->e.storage,
		.base = j->e.item_key,
		.sub = "",
	};
	char *hook = NULL, *json = NULL;
	int r;

	r = rfs_hook_find(j->base.idx, j->e.table, &hook);
	if (r == -ENOENT) {
		r = 0; /* no metastore to tell */
		goto done;
	}
	if (r == 0)
		r = rfs_partitions_json(j->base.idx, j->e.id, &c, &json);
	if (r == 0 && json) {
		rfs_log(LOG_DEBUG, "archive of '%s': dropping partitions",
			j->e.origin_path);
		r = rfs_hook_run(hook, json,
				 j->base.o ? j->base.o->hook_timeout : 0,
				 j->base.err);
		if (r < 0)
			rfs_error_prefix(j->base.err,
					 "partitions of '%s' were not dropped, "
					 "nothing was deleted",
					 j->e.origin_path);
	}
done:
	free(hook);
	free(json);
	return r;
}

/* ------------------------------------------------------ the archive kind */

/* A failed archive stops in failed, the step and the reason kept: the
 * source is intact, `recyclefs retry` resumes it. */
#define JOB_STEP(fn)                                                           \
	static int step_##fn(struct rfs_engine_job *b)                         \
	{                                                                      \
		return rfs_job_##fn((struct job *)b);                          \
	}

JOB_STEP(snapshot)
JOB_STEP(sync)
JOB_STEP(verify)
JOB_STEP(unpublish)
JOB_STEP(delete)

/* Before the data was verified, a retry starts over from a fresh listing
 * (copies already made are reused); after, from the step that failed. */
static const struct rfs_engine_step archive_steps[] = {
	{ RFS_ENTRY_SNAPSHOT, "snapshot", step_snapshot, RFS_ENTRY_SYNC,
	  RFS_ENTRY_SNAPSHOT },
	{ RFS_ENTRY_SYNC, "sync", step_sync, RFS_ENTRY_VERIFY,
	  RFS_ENTRY_SNAPSHOT },
	{ RFS_ENTRY_VERIFY, "verify", step_verify, RFS_ENTRY_UNPUBLISH,
	  RFS_ENTRY_SNAPSHOT },
	{ RFS_ENTRY_UNPUBLISH, "unpublish", step_unpublish, RFS_ENTRY_DELETE,
	  RFS_ENTRY_UNPUBLISH },
	/* delete commits archived with the final manifest (rfs_job_finish) */
	{ RFS_ENTRY_DELETE, "delete", step_delete, RFS_ENGINE_END,
	  RFS_ENTRY_DELETE },
	{ RFS_ENTRY_ARCHIVED, "archived", NULL, RFS_ENGINE_END,
	  RFS_ENTRY_ARCHIVED },
};

const struct rfs_engine_kind rfs_job_kind_archive = {
	.name = "archive",
	.steps = archive_steps,
	.n_steps = sizeof(archive_steps) / sizeof(archive_steps[0]),
	.fail = rfs_job_entry_fail_archive,
	JOB_ENTRY_KIND_OPS,
};

int rfs_job_run(struct rfs_index *idx, int64_t id, const struct rfs_job_opts *o,
		struct rfs_error *err)
{
	struct job j = { .base = { .idx = idx, .id = id, .o = o, .err = err } };
	struct rfs_entry now = { 0 };
	int r;

	/* The entry's state says which kind runs: a purge, or an archive. */
	r = rfs_index_entry_get(idx, id, &now, err);
	if (r < 0)
		return r;
	j.base.kind = now.state == RFS_ENTRY_PURGING ? &rfs_job_kind_purge
						     : &rfs_job_kind_archive;
	if (rfs_rel_uri(now.src_uri)) /* a table: core/kind_rel.c */
		j.base.kind = now.state == RFS_ENTRY_PURGING
				      ? &rfs_job_kind_rel_purge
				      : &rfs_job_kind_rel_archive;
	rfs_entry_release(&now);
	return rfs_engine_run(&j.base);
}
