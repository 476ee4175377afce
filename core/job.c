/*
 * Running a recycle job: the lease and its heartbeat, the state machine,
 * and the steps that do not copy data (snapshot, delete, finish, purge).
 */
#include "core/job_priv.h"
#include "core/journal.h"

#include "backends/backend.h"
#include "core/bin.h"
#include "core/hook.h"
#include "core/partitions.h"
#include "core/manifest.h"
#include "core/uri.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int job_src_key(const struct job *j, const char *rel, struct rfs_buf *out)
{
	rfs_buf_reset(out);
	return rfs_path_join(out, j->e.item_key, rel);
}

int job_bin_key(const struct job *j, const char *rel, struct rfs_buf *out)
{
	rfs_buf_reset(out);
	return rfs_path_join(out, j->e.bin_path, rel);
}

bool job_stopped(const struct job *j)
{
	return j->o && j->o->stop && *j->o->stop;
}

void job_progress(struct job *j, int64_t files, int64_t bytes, bool force)
{
	int64_t now = rfs_time_mono_ns();
	struct rfs_error ignore = { 0 };

	j->e.files_done = files;
	j->e.bytes_done = bytes;
	if (!force && now < j->next_progress_ns)
		return;
	j->next_progress_ns = now + RFS_NSEC_PER_SEC;
	rfs_index_entry_progress(j->idx, j->e.id, files, bytes, &ignore);
	if (j->o && j->o->progress)
		j->o->progress(j->o->progress_ctx, &j->e);
}

int job_set_state(struct job *j, enum rfs_entry_state s)
{
	j->e.state = s;
	j->e.files_done = j->e.bytes_done = 0;
	return rfs_index_entry_update(j->idx, &j->e, j->err);
}

struct walk_dir {
	char *path;
	struct walk_dir *next;
};

struct walk {
	const char *base; /* the key walked */
	const char *dir;  /* relative path of the directory being listed */
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
	if (r == JOB_WALK_PRUNE)
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

int job_walk(struct rfs_backend *b, const char *key,
	     int (*fn)(void *ctx, const char *rel, const struct stat *st),
	     void *ctx)
{
	struct walk w = { key, "", NULL, fn, ctx, RFS_BUF_INIT };
	struct rfs_buf k = RFS_BUF_INIT;
	struct walk_dir *d = NULL;
	int r;

	r = rfs_backend_list(b, key, walk_entry, &w);
	while (r == 0 && w.todo) {
		d = w.todo;
		w.todo = d->next;
		rfs_buf_reset(&k);
		r = rfs_path_join(&k, key, d->path);
		w.dir = d->path;
		if (r == 0)
			r = rfs_backend_list(b, rfs_buf_str(&k), walk_entry,
					     &w);
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

struct par {
	int n;
	int next; /* guarded by lock */
	pthread_mutex_t lock;
	void (*fn)(void *ctx, int i);
	void *ctx;
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	int i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		p->fn(p->ctx, i);
	}
}

int job_parallel(int threads, int n, void (*fn)(void *ctx, int i), void *ctx)
{
	struct par p = { n, 0, PTHREAD_MUTEX_INITIALIZER, fn, ctx };
	pthread_t th[64];
	int started = 0, t;

	if (threads > 64)
		threads = 64;
	if (threads > n)
		threads = n;
	for (t = 1; t < threads; t++)
		if (pthread_create(&th[started], NULL, par_worker, &p) == 0)
			started++;
	par_worker(&p); /* this thread works too */
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&p.lock);
	return 0;
}

/** The bin's key relative to the item when the item holds it (an epoch
 * at its storage's root holds the default bin), else NULL in @p out. */
int job_bin_inside(const struct job *j, char **out);

int job_bin_inside(const struct job *j, char **out)
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
};

static int snap_row(void *ctx, const char *rel, const struct stat *st)
{
	struct snap *s = ctx;
	struct job *j = s->j;
	struct rfs_entry_file f = { 0 };
	int r = 0;

	if (s->skip && rfs_path_is_under(rel, s->skip))
		return JOB_WALK_PRUNE; /* never archive the bin into itself */
	if (S_ISREG(st->st_mode) &&
	    !rfs_backend_has(j->src, RFS_BACKEND_CAP_LIST_EXACT)) {
		/* A listing's times are not the file's own (object stores
		 * keep them in metadata): ask for each file. */
		r = job_src_key(j, rel, &s->key);
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
		r = job_src_key(j, rel, &s->key);
		if (r == 0)
			r = rfs_backend_readlink(j->src, rfs_buf_str(&s->key),
						 s->link, sizeof(s->link));
		f.link = s->link;
	} else if (S_ISREG(st->st_mode)) {
		f.type = RFS_FILE_REG;
	} else {
		return rfs_error_set(j->err, EPERM,
				     "'%s/%s' is a device, socket or pipe: "
				     "only files, folders and symlinks can be "
				     "archived",
				     j->e.origin_path, rel);
	}
	if (r == 0 && s->batch == 0)
		r = rfs_index_begin(j->idx, j->err);
	if (r == 0)
		r = rfs_index_file_insert(j->idx, j->e.id, &f, j->err);
	if (r < 0)
		return r;
	s->files += f.type != RFS_FILE_DIR;
	s->bytes += f.size;
	if (++s->batch >= 1000) {
		s->batch = 0;
		r = rfs_index_commit(j->idx, j->err);
		job_progress(j, s->files, s->bytes, false);
	}
	return r;
}

int job_snapshot(struct job *j)
{
	struct snap s = { .j = j, .key = RFS_BUF_INIT };
	struct stat st;
	int r;

	r = rfs_index_file_delete_all(j->idx, j->e.id, j->err);
	if (r == 0)
		r = job_bin_inside(j, &s.skip);
	if (r == 0)
		r = rfs_backend_stat(j->src, j->e.item_key, &st);
	if (r < 0) {
		rfs_buf_release(&s.key);
		free(s.skip);
		return rfs_error_set(j->err, -r, "cannot read '%s': %s",
				     j->e.origin_path, strerror(-r));
	}
	r = snap_row(&s, "", &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = job_walk(j->src, j->e.item_key, snap_row, &s);
	if (r == 0 && s.batch)
		r = rfs_index_commit(j->idx, j->err);
	rfs_buf_release(&s.key);
	free(s.skip);
	if (r < 0) {
		rfs_index_rollback(j->idx);
		if (!j->err->code)
			rfs_error_set(j->err, -r, "listing '%s' failed: %s",
				      j->e.origin_path, strerror(-r));
		return r;
	}
	j->e.files_total = s.files;
	j->e.bytes_total = s.bytes;
	return job_set_state(j, RFS_ENTRY_SYNC);
}

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

/* Delete: the source, files and links first (each checked unchanged since
 * its verification), then folders deepest first. */
/* One batch's deletions, run on the job's helper threads. */
struct unlinks {
	struct job *j;
	struct batch *b;
	int res[JOB_BATCH]; /* 0 deleted, 1 kept (changed), or -errno */
};

static void unlink_task(void *ctx, int i)
{
	struct unlinks *u = ctx;
	const struct rfs_entry_file *f = &u->b->f[i];
	struct rfs_buf key = RFS_BUF_INIT;
	struct stat st;
	int r;

	if (f->type == RFS_FILE_DIR) {
		u->res[i] = 1;
		return;
	}
	r = job_src_key(u->j, f->path, &key);
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
	if (r == 0)
		r = rfs_backend_unlink(u->j->src, rfs_buf_str(&key));
	u->res[i] = r == -ENOENT ? 0 : r;
	rfs_buf_release(&key);
}

static int delete_files(struct job *j, int64_t *files, struct rfs_buf *kept)
{
	struct rfs_index_file_query q = { .state = RFS_FILE_VERIFIED,
					  .limit = JOB_BATCH };
	struct unlinks *u = calloc(1, sizeof(*u));
	struct batch *b = calloc(1, sizeof(*b));
	char *cursor = NULL;
	int r = 0, i;

	if (!u || !b) {
		free(u);
		free(b);
		return -ENOMEM;
	}
	u->j = j;
	u->b = b;
	for (;;) {
		q.after = cursor;
		r = rfs_index_file_list(j->idx, j->e.id, &q, batch_add, b,
					j->err);
		if (r < 0 || b->n == 0)
			break;
		job_parallel(j->parallel, b->n, unlink_task, u);
		r = rfs_index_begin(j->idx, j->err);
		for (i = 0; r == 0 && i < b->n; i++) {
			const struct rfs_entry_file *f = &b->f[i];

			if (u->res[i] < 0) {
				r = rfs_error_set(j->err, -u->res[i],
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
					j->idx, j->e.id, f->path, NULL,
					RFS_FILE_DELETED, j->err);
				++*files;
			}
		}
		/* What was removed is recorded, even when a later file
		 * failed: the index must not think them still there. */
		if (r < 0) {
			int fail = r;

			rfs_index_rollback(j->idx);
			r = rfs_index_begin(j->idx, j->err);
			for (i = 0; r == 0 && i < b->n; i++)
				if (u->res[i] == 0)
					r = rfs_index_file_update(
						j->idx, j->e.id, b->f[i].path,
						NULL, RFS_FILE_DELETED, j->err);
			if (r == 0)
				r = rfs_index_commit(j->idx, j->err);
			else
				rfs_index_rollback(j->idx);
			r = r < 0 ? r : fail;
		} else {
			r = rfs_index_commit(j->idx, j->err);
			if (r < 0)
				rfs_index_rollback(j->idx);
		}
		free(cursor);
		cursor = strdup(b->paths[b->n - 1]);
		batch_release(b);
		if (r == 0 && !cursor)
			r = -ENOMEM;
		if (r < 0)
			break;
		job_progress(j, *files, 0, false);
		if (job_stopped(j)) {
			r = -EINTR;
			break;
		}
	}
	batch_release(b);
	free(cursor);
	free(b);
	free(u);
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
	r = job_src_key(j, f->path, &d->key);
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

int job_delete(struct job *j)
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
		r = rfs_index_file_list(j->idx, j->e.id, &q, rmdir_row, &d,
					j->err);
	if (r < 0 && !j->err->code)
		rfs_error_set(j->err, -r, "removing '%s' failed: %s",
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
	return job_finish(j);
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
	return rfs_index_file_list(j->idx, j->e.id, &q, emit_row, &r, &ignore);
}

/** Write the entry's manifest in its current state. */
int job_write_manifest(struct job *j);

int job_write_manifest(struct job *j)
{
	return rfs_manifest_write(j->bin, &j->e, manifest_rows, j, j->err);
}

/* Temporaries a crash left beside the copies (".rfs-tmp.<name>.<rnd>"). */
struct tmps {
	struct job *j;
	const char *dir;  /* the bin key listed */
	const char *only; /* ".rfs-tmp.<name>." for a file entry, or NULL */
	struct rfs_buf key;
};

/* The folder that held the temporary @p rel lost its times to the unlink:
 * give it back those of its manifest row. */
static void keep_dir_times(struct tmps *t, const char *rel)
{
	char *dir = strndup(rel, rfs_path_dirlen(rel));
	struct rfs_error ignore = { 0 };
	struct rfs_entry_file row;
	struct timespec ts[2];

	if (dir &&
	    rfs_index_file_get(t->j->idx, t->j->e.id, dir, &row, &ignore) ==
		    0 &&
	    row.type == RFS_FILE_DIR && job_bin_key(t->j, dir, &t->key) == 0) {
		for (int i = 0; i < 2; i++) {
			int64_t ns = i ? row.mtime_ns : row.atime_ns;
			int64_t rem = ns % RFS_NSEC_PER_SEC;

			rem += rem < 0 ? RFS_NSEC_PER_SEC : 0;
			ts[i].tv_sec = (ns - rem) / RFS_NSEC_PER_SEC;
			ts[i].tv_nsec = rem;
		}
		rfs_backend_utimens(t->j->bin, rfs_buf_str(&t->key), ts);
	}
	free(dir);
}

static int drop_tmp(void *ctx, const char *rel, const struct stat *st)
{
	struct tmps *t = ctx;
	const char *name = rfs_path_basename(rel);

	if (S_ISDIR(st->st_mode) || strncmp(name, ".rfs-tmp.", 9) ||
	    (t->only && strncmp(name, t->only, strlen(t->only))))
		return 0;
	rfs_buf_reset(&t->key);
	if (rfs_path_join(&t->key, t->dir, rel) == 0 &&
	    rfs_backend_unlink(t->j->bin, rfs_buf_str(&t->key)) == 0 &&
	    !t->only)
		keep_dir_times(t, rel);
	return 0;
}

static int list_tmp(void *ctx, const char *name, const struct stat *st)
{
	return drop_tmp(ctx, name, st);
}

static void cleanup_tmp(struct job *j)
{
	struct tmps t = { j, j->e.bin_path, NULL, RFS_BUF_INIT };
	char *dir = NULL, *only = NULL;

	if (j->e.is_dir) {
		job_walk(j->bin, j->e.bin_path, drop_tmp, &t);
	} else {
		dir = strndup(j->e.bin_path, rfs_path_dirlen(j->e.bin_path));
		if (dir && asprintf(&only, ".rfs-tmp.%.229s.",
				    rfs_path_basename(j->e.bin_path)) >= 0) {
			t.dir = dir;
			t.only = only;
			rfs_backend_list(j->bin, dir, list_tmp, &t);
		}
	}
	free(dir);
	free(only);
	rfs_buf_release(&t.key);
}

int job_finish(struct job *j)
{
	enum rfs_entry_state was = j->e.state;
	int r;

	cleanup_tmp(j);
	j->e.state = RFS_ENTRY_ARCHIVED;
	j->e.deleted_ns = rfs_time_now_ns();
	j->e.files_done = j->e.files_total;
	j->e.bytes_done = j->e.bytes_total;
	r = job_write_manifest(j);
	if (r == 0)
		r = rfs_index_entry_update(j->idx, &j->e, j->err);
	if (r < 0)
		j->e.state = was; /* a failure is recorded at that step */
	else /* its archive history, into the catalog journal */
		rfs_journal_write(j->idx, NULL);
	return r;
}

/* Purge: remove everything below the entry's bin path, then the path,
 * then the folders above it that it leaves empty. */
struct purge {
	struct job *j;
	struct rfs_buf key;
	char **dirs;
	size_t n_dirs, cap;
	int64_t files;
};

static int purge_entry(void *ctx, const char *rel, const struct stat *st)
{
	struct purge *p = ctx;
	struct job *j = p->j;
	int r;

	r = job_bin_key(j, rel, &p->key);
	if (r < 0)
		return r;
	if (S_ISDIR(st->st_mode)) {
		if (p->n_dirs == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;
			char **d = realloc(p->dirs, cap * sizeof(*d));

			if (!d)
				return -ENOMEM;
			p->dirs = d;
			p->cap = cap;
		}
		p->dirs[p->n_dirs] = strdup(rfs_buf_str(&p->key));
		return p->dirs[p->n_dirs++] ? 0 : -ENOMEM;
	}
	r = rfs_backend_unlink(j->bin, rfs_buf_str(&p->key));
	if (r == -ENOENT)
		r = 0;
	if (r == 0 && ++p->files % 100 == 0)
		job_progress(j, p->files, 0, false);
	return r;
}

int job_purge(struct job *j)
{
	struct purge p = { .j = j, .key = RFS_BUF_INIT };
	struct stat st;
	size_t len;
	char *up;
	int r;

	r = rfs_backend_stat(j->bin, j->e.bin_path, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = job_walk(j->bin, j->e.bin_path, purge_entry, &p);
	/* Folders were found parents first: remove them in reverse. */
	while (r == 0 && p.n_dirs) {
		char *dir = p.dirs[--p.n_dirs];

		r = rfs_backend_rmdir(j->bin, dir);
		free(dir);
		if (r == -ENOENT)
			r = 0;
	}
	if (r == 0)
		r = S_ISDIR(st.st_mode)
			    ? rfs_backend_rmdir(j->bin, j->e.bin_path)
			    : rfs_backend_unlink(j->bin, j->e.bin_path);
	if (r == -ENOENT)
		r = 0;
	while (p.n_dirs)
		free(p.dirs[--p.n_dirs]);
	free(p.dirs);
	rfs_buf_release(&p.key);
	if (r == 0)
		r = rfs_manifest_remove(j->bin, j->e.uuid, j->err);
	if (r < 0) {
		if (!j->err->code)
			rfs_error_set(j->err, -r, "purging '%s' failed: %s",
				      j->e.bin_path, strerror(-r));
		return r;
	}
	/* Tidy the mirrored folders above it; a busy one stays. */
	up = strdup(j->e.bin_path);
	while (up && (len = rfs_path_dirlen(up)) > 0) {
		up[len] = '\0';
		if (rfs_backend_rmdir(j->bin, up) < 0)
			break;
	}
	free(up);
	j->e.purged_ns = rfs_time_now_ns();
	r = job_set_state(j, RFS_ENTRY_PURGED);
	if (r == 0) /* the purge record, into the catalog journal */
		rfs_journal_write(j->idx, NULL);
	return r;
}

int job_unpublish(struct job *j)
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

	r = rfs_hook_find(j->idx, j->e.table, &hook);
	if (r == -ENOENT) {
		r = 0; /* no metastore to tell */
		goto done;
	}
	if (r == 0)
		r = rfs_partitions_json(j->idx, j->e.id, &c, &json);
	if (r == 0 && json) {
		rfs_log(LOG_DEBUG, "archive of '%s': dropping partitions",
			j->e.origin_path);
		r = rfs_hook_run(hook, json, j->o ? j->o->hook_timeout : 0,
				 j->err);
		if (r < 0)
			rfs_error_prefix(j->err,
					 "partitions of '%s' were not dropped, "
					 "nothing was deleted",
					 j->e.origin_path);
	}
done:
	if (r == 0)
		r = job_set_state(j, RFS_ENTRY_DELETE);
	free(hook);
	free(json);
	return r;
}

static int take_lease(struct rfs_index *idx, struct rfs_entry *e,
		      struct rfs_error *err)
{
	const char *self = rfs_job_owner_self();
	bool taken = false;
	int r;

	if (e->lease_owner && !strcmp(e->lease_owner, self))
		return 0;
	if (!rfs_job_lease_free(e, rfs_time_now_ns()))
		return rfs_error_set(err, EBUSY,
				     "'%s' is being run by another process "
				     "(%s)",
				     e->bin_path, e->lease_owner);
	r = rfs_index_entry_lease(idx, e->id, e->lease_owner, self,
				  rfs_time_now_ns() + RFS_LEASE_TTL_NS, &taken,
				  err);
	if (r == 0 && !taken)
		r = rfs_error_set(err, EBUSY,
				  "'%s' was taken by another process",
				  e->bin_path);
	return r;
}

static int run_steps(struct job *j)
{
	int r = 0;

	while (r == 0) {
		if (job_stopped(j))
			return -EINTR;
		switch (j->e.state) {
		case RFS_ENTRY_SNAPSHOT:
			r = job_snapshot(j);
			break;
		case RFS_ENTRY_SYNC:
			r = job_sync(j);
			break;
		case RFS_ENTRY_VERIFY:
			r = job_verify(j);
			break;
		case RFS_ENTRY_UNPUBLISH:
			r = job_unpublish(j);
			break;
		case RFS_ENTRY_DELETE:
			return job_delete(j); /* and finish */
		case RFS_ENTRY_ARCHIVED:
			return 0;
		case RFS_ENTRY_PURGING:
			r = job_purge(j);
			break;
		case RFS_ENTRY_PURGED:
			return 0;
		default:
			return -ECANCELED;
		}
	}
	return r;
}

/* Record a failure: the state that failed, the reason. */
static void fail(struct job *j, int r)
{
	struct rfs_error ignore = { 0 };

	if (!j->err->code)
		rfs_error_set(j->err, -r, "%s", strerror(-r));
	if (j->e.state == RFS_ENTRY_PURGING) {
		/* A purge stays a purge: retried by the next worker. */
		free(j->e.reason);
		j->e.reason = strdup(j->err->msg);
	} else {
		j->e.failed_step = j->e.state;
		j->e.state = RFS_ENTRY_FAILED;
		free(j->e.reason);
		j->e.reason = strdup(j->err->msg);
	}
	rfs_index_rollback(j->idx);
	rfs_index_entry_update(j->idx, &j->e, &ignore);
}

static int open_backends(struct job *j)
{
	int r = rfs_backend_open(j->e.src_uri, &j->src, j->err);

	if (r == 0)
		r = rfs_backend_open(j->e.bin_root_uri, &j->bin, j->err);
	return r;
}

static bool object_store(const char *uri)
{
	return !strncmp(uri, "s3://", 5) || !strncmp(uri, "s3a://", 6) ||
	       !strncmp(uri, "gs://", 5);
}

int job_parallel_files(struct rfs_index *idx, const struct rfs_job_opts *o,
		       const char *a, const char *b)
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
	/* a file on an object store costs a dozen round trips, not the
	 * disk's time: more of them at once */
	return object_store(a) || object_store(b) ? 16 : 4;
}

static int run_claimed(struct rfs_index *idx, int64_t id,
		       const struct rfs_job_opts *o, struct rfs_error *err);

int rfs_job_run(struct rfs_index *idx, int64_t id, const struct rfs_job_opts *o,
		struct rfs_error *err)
{
	int r;

	if (!job_claim_local(id))
		return rfs_error_set(err, EBUSY,
				     "the job is already running here");
	r = run_claimed(idx, id, o, err);
	job_release_local(id);
	return r;
}

static int run_claimed(struct rfs_index *idx, int64_t id,
		       const struct rfs_job_opts *o, struct rfs_error *err)
{
	struct job j = { .idx = idx, .o = o, .err = err };
	struct job_heartbeat hb;
	bool taken;
	int r;

	r = rfs_index_entry_get(idx, id, &j.e, err);
	if (r < 0)
		return r;
	if (!rfs_entry_state_runnable(j.e.state)) {
		rfs_entry_release(&j.e);
		return -ECANCELED;
	}
	r = take_lease(idx, &j.e, err);
	if (r < 0) {
		rfs_entry_release(&j.e);
		return r;
	}
	free(j.e.lease_owner);
	j.e.lease_owner = strdup(rfs_job_owner_self());
	j.parallel = job_parallel_files(idx, o, j.e.src_uri, j.e.bin_root_uri);
	r = job_heartbeat_start(&hb, idx, id, rfs_index_entry_lease);
	if (r == 0) {
		r = open_backends(&j);
		if (r == 0)
			r = run_steps(&j);
		if (r < 0 && r != -EINTR)
			fail(&j, r);
		job_heartbeat_stop(&hb);
	}
	rfs_index_entry_lease(idx, id, rfs_job_owner_self(), NULL, 0, &taken,
			      &(struct rfs_error){ 0 });
	if (r < 0 && r != -EINTR)
		rfs_log(LOG_DEBUG, "job '%s' failed: %s", j.e.bin_path,
			err->msg);
	rfs_backend_free(j.src);
	rfs_backend_free(j.bin);
	rfs_entry_release(&j.e);
	return r;
}
