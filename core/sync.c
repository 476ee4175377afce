/*
 * The data steps of an archive: sync (copy every row to recycle storage
 * with the cheapest safe primitive, keeping metadata) and verify (the
 * source is unchanged and every copy's SHA-256 equals the source's).
 * Files are handled in batches on a few helper threads; only the job's
 * thread writes to the index.
 */
#include "core/job_priv.h"

#include "backends/backend.h"
#include "core/copy.h"
#include "core/manifest.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/parallel.h"
#include "util/path.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/** Write the entry's manifest in its current state (core/job.c). */
int rfs_job_write_manifest(struct job *j);

/* One row's work and result. */
struct task {
	struct rfs_entry_file f;
	char *path, *link;
	char sha[RFS_SHA256_HEX_LEN];
	int r;
	char why[512];
	/* the row's attributes were completed from the storage (a late
	 * snapshot's row): the index records them with its state */
	bool attrs;
	bool copied; /* the copy is made (by copy_hashed_stat()) */
};

struct tasks {
	struct job *j;
	struct task t[JOB_BATCH];
	int n;
	bool verify; /* verify instead of copy */
	void (*fn)(void *ctx, int i);
	int failed; /* a task of the batch failed: start no more (atomic) */
};

static int copy_row(const struct rfs_entry_file *f, void *ctx)
{
	struct tasks *ts = ctx;
	struct task *t = &ts->t[ts->n];

	memset(t, 0, sizeof(*t));
	t->f = *f;
	t->path = strdup(f->path);
	t->link = f->link ? strdup(f->link) : NULL;
	if (!t->path || (f->link && !t->link)) {
		free(t->path);
		free(t->link);
		return -ENOMEM;
	}
	t->f.path = t->path;
	t->f.link = t->link;
	ts->n++;
	return 0;
}

static void tasks_release(struct tasks *ts)
{
	for (int i = 0; i < ts->n; i++) {
		free(ts->t[i].path);
		free(ts->t[i].link);
	}
	ts->n = 0;
}

/* The storage's own reason for error @p r of a call on this thread
 * (the bin's or the source's), or "". */
static const char *storage_why(struct job *j, int r)
{
	const char *why = rfs_backend_last_error(j->bin, -r);

	return *why ? why : rfs_backend_last_error(j->src, -r);
}

/* Complete a row of a late snapshot (rfs_job_src_late()) from @p st,
 * what the storage holds under its name: the version copied, or a
 * stat() before another copy. */
static int complete_row(struct tasks *ts, struct task *t, const char *skey,
			const struct stat *st)
{
	char link[4096];
	int r;

	if (S_ISLNK(st->st_mode)) {
		/* an object store's symlink, which its listing shows as a
		 * file */
		r = rfs_backend_readlink(ts->j->src, skey, link, sizeof(link));
		if (r < 0)
			return r;
		free(t->link);
		t->link = strdup(link);
		if (!t->link)
			return -ENOMEM;
		t->f.type = RFS_FILE_LINK;
		t->f.link = t->link;
		t->f.size = 0;
	} else if (!S_ISREG(st->st_mode) || st->st_size != t->f.size) {
		snprintf(t->why, sizeof(t->why),
			 "source '%s/%s' changed since the snapshot (its size "
			 "or type); it was left untouched",
			 ts->j->e.origin_path, t->f.path);
		return -EBUSY;
	}
	t->f.mtime_ns = rfs_copy_ns(&st->st_mtim);
	t->f.atime_ns = rfs_copy_ns(&st->st_atim);
	t->f.mode = st->st_mode & 07777;
	t->f.uid = st->st_uid;
	t->f.gid = st->st_gid;
	t->attrs = true;
	return 0;
}

/* A regular file of a late snapshot: copied with the attributes of the
 * version read, else (another pair of storages) its row completed from a
 * stat() before it is copied another way. */
static int copy_late(struct tasks *ts, struct task *t, const char *skey,
		     const char *dkey)
{
	struct stat st;
	int r;

	r = rfs_backend_copy_hashed_stat(ts->j->src, skey, ts->j->bin, dkey,
					 t->sha, &st);
	t->copied = r == 0;
	if (r == -EXDEV || r == -ENOSYS)
		r = rfs_backend_stat(ts->j->src, skey, &st);
	return r < 0 ? r : complete_row(ts, t, skey, &st);
}

static void copy_task(void *ctx, int i)
{
	struct tasks *ts = ctx;
	struct task *t = &ts->t[i];
	struct rfs_buf skey = RFS_BUF_INIT, dkey = RFS_BUF_INIT;

	t->r = rfs_job_src_key(ts->j, t->f.path, &skey);
	if (t->r == 0)
		t->r = rfs_job_bin_key(ts->j, t->f.path, &dkey);
	if (t->r == 0 && t->f.type == RFS_FILE_REG && rfs_job_src_late(ts->j))
		t->r = copy_late(ts, t, rfs_buf_str(&skey), rfs_buf_str(&dkey));
	if (t->r == 0 && t->copied) {
		/* made with the attributes of the version read */
	} else if (t->r == 0 && t->f.type == RFS_FILE_REG) {
		/* a copy the storage proves, else the cheapest safe one */
		t->r = rfs_backend_copy_hashed(ts->j->src, rfs_buf_str(&skey),
					       ts->j->bin, rfs_buf_str(&dkey),
					       t->sha);
		if (t->r == -EXDEV || t->r == -ENOSYS)
			t->r = rfs_copy_reg(ts->j->src, rfs_buf_str(&skey),
					    ts->j->bin, rfs_buf_str(&dkey),
					    &t->f, NULL, t->sha);
	} else if (t->r == 0 && t->f.type == RFS_FILE_LINK) {
		t->r = rfs_copy_link(ts->j->bin, rfs_buf_str(&dkey), &t->f);
	} else if (t->r == 0 && rfs_file_type_special(t->f.type)) {
		/* A FIFO, socket or device is made again in the bin; a bin
		 * that keeps none (an object store) refused it at the
		 * snapshot (core/job.c). */
		t->r = rfs_copy_special(ts->j->bin, rfs_buf_str(&dkey), &t->f);
		if (t->r == -ENOSYS)
			t->r = 0;
		if (t->r == -EPERM &&
		    (t->f.type == RFS_FILE_CHR || t->f.type == RFS_FILE_BLK))
			snprintf(t->why, sizeof(t->why),
				 "copy of '%s/%s' failed: %s: making a %s "
				 "needs the privilege to (CAP_MKNOD): run the "
				 "archive as root",
				 ts->j->e.origin_path, t->f.path,
				 strerror(-t->r),
				 rfs_copy_special_name(t->f.type));
	}
	if (t->r < 0 && !*t->why)
		snprintf(t->why, sizeof(t->why),
			 "copy of '%s/%s' failed: %s%s%s", ts->j->e.origin_path,
			 t->f.path, strerror(-t->r),
			 *storage_why(ts->j, t->r) ? ": " : "",
			 storage_why(ts->j, t->r));
	rfs_buf_release(&skey);
	rfs_buf_release(&dkey);
}

/* mkdir -p of the bin folders above the entry and of its own folders. */
static int make_dirs(struct job *j)
{
	struct rfs_buf key = RFS_BUF_INIT;
	const char *p = j->e.bin_path;
	int r;

	/* The bin root itself first: a new storage has none yet. */
	r = rfs_backend_mkdir(j->bin, "", 0755);
	if (r < 0 && r != -EEXIST)
		return r;
	r = 0;
	for (;;) {
		size_t len = strcspn(p, "/");
		bool last = !p[len];

		if (last && !j->e.is_dir)
			break;
		rfs_buf_reset(&key);
		r = rfs_buf_add(&key, j->e.bin_path,
				(size_t)(p - j->e.bin_path) + len);
		if (r == 0)
			r = rfs_backend_mkdir(j->bin, rfs_buf_str(&key),
					      last ? 0700 : 0755);
		if (r == -EEXIST)
			r = 0;
		if (r < 0 || last)
			break;
		p += len + 1;
	}
	rfs_buf_release(&key);
	return r;
}

struct dirs {
	struct job *j;
	struct rfs_buf key, skey;
	bool fix; /* set the final xattrs, modes and times */
};

static int dir_row(const struct rfs_entry_file *f, void *ctx)
{
	struct dirs *d = ctx;
	int r;

	r = rfs_job_bin_key(d->j, f->path, &d->key);
	if (r == 0 && d->fix)
		r = rfs_job_src_key(d->j, f->path, &d->skey);
	if (r == 0 && d->fix)
		r = rfs_copy_xattrs(d->j->src, rfs_buf_str(&d->skey), d->j->bin,
				    rfs_buf_str(&d->key));
	if (r < 0 || d->fix)
		return r < 0 ? r
			     : rfs_copy_meta(d->j->bin, rfs_buf_str(&d->key),
					     f);
	r = rfs_backend_mkdir(d->j->bin, rfs_buf_str(&d->key), 0700);
	return r == -EEXIST ? 0 : r;
}

/* One task; none starts once another of its batch failed (a storage
 * gone away fails each call only after its retries). */
static void run_task(void *ctx, int i)
{
	struct tasks *ts = ctx;

	if (__atomic_load_n(&ts->failed, __ATOMIC_ACQUIRE)) {
		ts->t[i].r = -ECANCELED;
		return;
	}
	ts->fn(ctx, i);
	if (ts->t[i].r < 0)
		__atomic_store_n(&ts->failed, 1, __ATOMIC_RELEASE);
}

/* Before a batch is verified: both storages are asked about its files
 * at once (a listing each, where they can), so that the checks of each
 * file see what they hold now. */
static int refresh_batch(struct tasks *ts)
{
	struct rfs_buf key = RFS_BUF_INIT;
	char **src = calloc((size_t)ts->n, sizeof(*src));
	char **bin = calloc((size_t)ts->n, sizeof(*bin));
	size_t ns = 0, nb = 0;
	int r = src && bin ? 0 : -ENOMEM, i;

	for (i = 0; r == 0 && i < ts->n; i++) {
		const struct rfs_entry_file *f = &ts->t[i].f;

		r = rfs_job_src_key(ts->j, f->path, &key);
		if (r == 0 && f->type == RFS_FILE_DIR)
			rfs_backend_forget(ts->j->src, rfs_buf_str(&key));
		else if (r == 0 && !(src[ns++] = strdup(rfs_buf_str(&key))))
			r = -ENOMEM;
		if (r == 0 && f->type == RFS_FILE_REG)
			r = rfs_job_bin_key(ts->j, f->path, &key);
		if (r == 0 && f->type == RFS_FILE_REG &&
		    !(bin[nb++] = strdup(rfs_buf_str(&key))))
			r = -ENOMEM;
	}
	if (r == 0) {
		rfs_backend_refresh(ts->j->src, (const char *const *)src, ns);
		rfs_backend_refresh(ts->j->bin, (const char *const *)bin, nb);
	}
	while (ns)
		free(src[--ns]);
	while (nb)
		free(bin[--nb]);
	free(src);
	free(bin);
	rfs_buf_release(&key);
	return r;
}

/* Run the rows of one state through @p fn in batches; move each to
 * @p next with its checksum. */
static int run_batches(struct job *j, enum rfs_file_state from,
		       enum rfs_file_state next, bool verify,
		       void (*fn)(void *ctx, int i))
{
	struct rfs_index_file_query q = { .state = from, .limit = JOB_BATCH };
	struct tasks *ts = calloc(1, sizeof(*ts));
	int64_t files = 0, bytes = 0;
	char *cursor = NULL;
	int r = 0, i;

	if (!ts)
		return -ENOMEM;
	ts->j = j;
	ts->verify = verify;
	ts->fn = fn;
	for (;;) {
		q.after = cursor;
		r = rfs_index_file_list(j->base.idx, j->e.id, &q, copy_row, ts,
					j->base.err);
		if (r < 0 || ts->n == 0)
			break;
		ts->failed = 0;
		if (verify)
			r = refresh_batch(ts);
		if (r < 0)
			break;
		rfs_parallel_for(j->base.parallel, ts->n, run_task, ts);
		/* Durable before recorded: one sync for the whole batch. */
		r = rfs_backend_sync(j->bin);
		if (r < 0)
			rfs_error_set(
				j->base.err, -r,
				"making the copies of '%s' durable failed: "
				"%s",
				j->e.origin_path, strerror(-r));
		if (r == 0)
			r = rfs_index_begin(j->base.idx, j->base.err);
		for (i = 0; r == 0 && i < ts->n; i++) {
			struct task *t = &ts->t[i];

			if (t->r < 0) {
				/* the failure, not a task skipped after it */
				for (int k = i; t->r == -ECANCELED && k < ts->n;
				     k++)
					if (ts->t[k].r < 0 &&
					    ts->t[k].r != -ECANCELED)
						t = &ts->t[k];
				r = rfs_error_set(j->base.err, -t->r, "%s",
						  t->why);
				break;
			}
			if (t->attrs)
				r = rfs_index_file_set_attrs(j->base.idx,
							     j->e.id, &t->f,
							     j->base.err);
			if (r == 0)
				r = rfs_index_file_update(
					j->base.idx, j->e.id, t->f.path,
					t->f.type == RFS_FILE_REG ? t->sha
								  : NULL,
					next, j->base.err);
			files += t->f.type != RFS_FILE_DIR;
			bytes += t->f.size;
		}
		if (r == 0)
			r = rfs_index_commit(j->base.idx, j->base.err);
		else
			rfs_index_rollback(j->base.idx);
		free(cursor);
		cursor = strdup(ts->t[ts->n - 1].path);
		tasks_release(ts);
		if (r == 0 && !cursor)
			r = -ENOMEM;
		if (r < 0)
			break;
		rfs_job_progress(j, files, bytes, false);
		if (rfs_engine_stopped(&j->base)) {
			r = -EINTR;
			break;
		}
	}
	tasks_release(ts);
	free(ts);
	free(cursor);
	return r;
}

/* Names of one source file become names of one copy (rsync -H). */
struct links {
	struct job *j;
	struct rfs_copy_links l;
	struct rfs_buf skey, dkey;
};

static int link_row(const struct rfs_entry_file *f, void *ctx)
{
	struct links *k = ctx;
	int r;

	r = rfs_job_src_key(k->j, f->path, &k->skey);
	if (r == 0)
		r = rfs_job_bin_key(k->j, f->path, &k->dkey);
	if (r == 0)
		r = rfs_copy_links_note(&k->l, k->j->src, rfs_buf_str(&k->skey),
					rfs_buf_str(&k->dkey));
	return r;
}

/* Every file row is noted, those copied by an earlier run too, so a
 * resumed sync links them all. */
static int link_copies(struct job *j)
{
	struct rfs_index_file_query q = { .type = RFS_FILE_REG, .state = -1 };
	struct links k = { .j = j, .skey = RFS_BUF_INIT, .dkey = RFS_BUF_INIT };
	int r;

	if (!j->e.is_dir || !rfs_copy_links_possible(j->src, j->bin))
		return 0;
	rfs_copy_links_init(&k.l);
	r = rfs_index_file_list(j->base.idx, j->e.id, &q, link_row, &k,
				j->base.err);
	if (r == 0)
		r = rfs_copy_links_apply(&k.l, j->bin);
	if (r == 0)
		r = rfs_backend_sync(j->bin);
	rfs_copy_links_release(&k.l);
	rfs_buf_release(&k.skey);
	rfs_buf_release(&k.dkey);
	return r;
}

/* Give the bin's folders their final xattrs, modes and times, deepest
 * first: their modes may forbid writing and their times change as files
 * arrive. */
static int fix_dirs(struct job *j)
{
	struct rfs_index_file_query q = { .type = RFS_FILE_DIR,
					  .state = -1,
					  .desc = true };
	struct dirs d = { j, RFS_BUF_INIT, RFS_BUF_INIT, true };
	int r = rfs_index_file_list(j->base.idx, j->e.id, &q, dir_row, &d,
				    j->base.err);

	rfs_buf_release(&d.key);
	rfs_buf_release(&d.skey);
	return r;
}

int rfs_job_sync(struct job *j)
{
	struct rfs_index_file_query q = { .type = RFS_FILE_DIR, .state = -1 };
	struct dirs d = { j, RFS_BUF_INIT, RFS_BUF_INIT, false };
	int r;

	r = make_dirs(j);
	if (r == 0)
		r = rfs_index_file_list(j->base.idx, j->e.id, &q, dir_row, &d,
					j->base.err);
	if (r == 0)
		r = run_batches(j, RFS_FILE_PENDING, RFS_FILE_COPIED, false,
				copy_task);
	if (r == 0)
		r = link_copies(j);
	if (r == 0)
		r = fix_dirs(j); /* folders last */
	rfs_buf_release(&d.key);
	rfs_buf_release(&d.skey);
	if (r < 0) {
		if (!j->base.err->code)
			rfs_error_set(j->base.err, -r,
				      "copying '%s' to the recycle bin failed: "
				      "%s",
				      j->e.origin_path, strerror(-r));
		return r;
	}
	return 0;
}

/* Verify one row: the source as listed, the copy's checksum equal to the
 * source's (one fresh copy is tried when it is not). */
static void verify_task(void *ctx, int i)
{
	struct tasks *ts = ctx;
	struct task *t = &ts->t[i];
	struct job *j = ts->j;
	struct rfs_buf skey = RFS_BUF_INIT, dkey = RFS_BUF_INIT;
	char have[RFS_SHA256_HEX_LEN], link[4096];
	struct stat st;

	t->r = rfs_job_src_key(j, t->f.path, &skey);
	if (t->r == 0)
		t->r = rfs_job_bin_key(j, t->f.path, &dkey);
	if (t->r == 0) /* refreshed with its batch (refresh_batch) */
		t->r = rfs_backend_stat(j->src, rfs_buf_str(&skey), &st);
	if (t->r == 0 && t->f.type == RFS_FILE_REG &&
	    (st.st_size != t->f.size ||
	     rfs_copy_ns(&st.st_mtim) != t->f.mtime_ns)) {
		t->r = -EBUSY;
		snprintf(t->why, sizeof(t->why),
			 "source '%s/%s' changed since the snapshot (size or "
			 "modification time); it was left untouched",
			 j->e.origin_path, t->f.path);
		goto out;
	}
	if (t->r == 0 && rfs_file_type_special(t->f.type) &&
	    !rfs_copy_special_same(&st, &t->f)) {
		t->r = -EBUSY;
		snprintf(t->why, sizeof(t->why),
			 "source '%s/%s' changed since the snapshot (it is no "
			 "longer that %s); it was left untouched",
			 j->e.origin_path, t->f.path,
			 rfs_copy_special_name(t->f.type));
		goto out;
	}
	if (t->r == 0 && rfs_file_type_special(t->f.type) &&
	    rfs_backend_has(j->bin, RFS_BACKEND_CAP_SPECIAL)) {
		/* the copy: the same type and device number */
		t->r = rfs_backend_stat(j->bin, rfs_buf_str(&dkey), &st);
		if (t->r == 0 && !rfs_copy_special_same(&st, &t->f)) {
			snprintf(t->why, sizeof(t->why),
				 "the copy of '%s/%s' is not the %s of its "
				 "source; the source was left untouched",
				 j->e.origin_path, t->f.path,
				 rfs_copy_special_name(t->f.type));
			t->r = -EBADMSG;
			goto out;
		}
	}
	if (t->r == 0 && t->f.type == RFS_FILE_LINK) {
		t->r = rfs_backend_readlink(j->bin, rfs_buf_str(&dkey), link,
					    sizeof(link));
		if (t->r == 0 && strcmp(link, t->f.link))
			t->r = -EBADMSG;
	}
	if (t->r == 0 && t->f.type == RFS_FILE_REG) {
		/* What the storage attests of the copy, else its bytes. */
		memcpy(t->sha, t->f.sha256, sizeof(t->sha));
		memcpy(have, t->sha, sizeof(have));
		t->r = rfs_backend_attest(j->bin, rfs_buf_str(&dkey), t->sha);
		if (t->r == -ENODATA)
			t->r = rfs_copy_hash(j->bin, rfs_buf_str(&dkey), have,
					     NULL);
		if (t->r == -EBADMSG || (t->r == 0 && strcmp(have, t->sha))) {
			snprintf(t->why, sizeof(t->why),
				 "the copy of '%s/%s' does not match its "
				 "source's checksum%s%s; the source was left "
				 "untouched",
				 j->e.origin_path, t->f.path, t->r ? ": " : "",
				 t->r ? storage_why(j, t->r) : "");
			t->r = -EBADMSG;
			goto out;
		}
	}
	if (t->r < 0)
		snprintf(t->why, sizeof(t->why),
			 "verifying '%s/%s' failed: %s%s%s", j->e.origin_path,
			 t->f.path, strerror(-t->r),
			 *storage_why(j, t->r) ? ": " : "",
			 storage_why(j, t->r));
out:
	rfs_buf_release(&skey);
	rfs_buf_release(&dkey);
}

/** The bin's key below the item, when the item holds it (core/job.c). */
int rfs_job_bin_inside(const struct job *j, char **out);

/* Nothing may have appeared in the source since the snapshot. */
struct fresh {
	struct job *j;
	struct rfs_index *idx;
	char *skip; /* the bin, when the item holds it */
};

static int check_known(void *ctx, const char *rel, const struct stat *st)
{
	struct fresh *f = ctx;
	struct rfs_entry_file row;
	struct rfs_error ignore = { 0 };
	int r;

	(void)st;
	if (f->skip && rfs_path_is_under(rel, f->skip))
		return RFS_ENGINE_WALK_PRUNE;
	r = rfs_index_file_get(f->idx, f->j->e.id, rel, &row, &ignore);
	if (r == -ENOENT)
		return rfs_error_set(f->j->base.err, EBUSY,
				     "source changed since the snapshot: "
				     "'%s/%s' appeared; it was left untouched",
				     f->j->e.origin_path, rel);
	return r;
}

int rfs_job_verify(struct job *j)
{
	struct fresh f = { j, j->base.idx, NULL };
	int r = 0;

	if (j->e.is_dir)
		r = rfs_job_bin_inside(j, &f.skip);
	if (r == 0 && j->e.is_dir)
		r = rfs_engine_walk(j->src, j->e.item_key, check_known, &f);
	free(f.skip);
	if (r == 0)
		r = run_batches(j, RFS_FILE_COPIED, RFS_FILE_VERIFIED, true,
				verify_task);
	if (r == 0)
		r = rfs_job_write_manifest(j);
	if (r < 0) {
		if (!j->base.err->code)
			rfs_error_set(j->base.err, -r,
				      "verifying '%s' failed: %s",
				      j->e.origin_path, strerror(-r));
		return r;
	}
	return 0;
}
