/*
 * The restore kind of job (core/engine.h): check, copy, verify, publish,
 * done. Planning a restore is core/restore.c's.
 */
#include "core/restore.h"

#include "backends/backend.h"
#include "core/ports.h"
#include "core/copy.h"
#include "core/engine.h"
#include "model/entry.h"
#include "core/hook.h"
#include "core/jobs.h"
#include "core/journal.h"
#include "core/partitions.h"
#include "core/restore_priv.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/parallel.h"
#include "util/path.h"
#include "util/sha256.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

/* Rows handled per batch. */
#define RESTORE_BATCH 256

struct rjob {
	struct rfs_engine_job base; /* idx, id, options, error, pool size */
	struct rfs_restore r;
	struct rfs_entry e;
	struct rfs_backend *bin;      /* the entry's recycle storage */
	struct rfs_backend *dst;      /* the target */
	int64_t n_conflicts;	      /* files that differ at the target */
	struct rfs_buf conflicts;     /* the first of them, for the message */
	struct rfs_copy_links *links; /* while the copy notes hard links */
	struct present *present;      /* describe_target()'s count, or NULL */
};

/* One row's work. */
struct rtask {
	struct rfs_entry_file f;
	char *path, *link;
	char bkey[4096], tkey[4096];
	int r;
	bool conflict;
	char *why; /* the reason of a failure, malloc'ed */
};

struct rbatch {
	struct rjob *j;
	struct rtask t[RESTORE_BATCH];
	int n;
	char *last; /* the last row path seen, for the next batch */
	int type;   /* only rows of this type, or 0 */
};

static void set_why(struct rtask *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_why(struct rtask *t, const char *fmt, ...)
{
	va_list ap;

	free(t->why);
	va_start(ap, fmt);
	if (vasprintf(&t->why, fmt, ap) < 0)
		t->why = NULL;
	va_end(ap);
}

static const char *rel_of(const struct rjob *j, const char *path)
{
	size_t sl = strlen(j->r.sub);

	return path + sl + (sl && path[sl] == '/');
}

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
static void check_task(void *ctx, int i);
static void present_task(void *ctx, int i);

static int for_rows(struct rjob *j, int type, void (*fn)(void *ctx, int i),
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
		if (r == 0 && done && fn != check_task && fn != present_task)
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

/* Check: the recycle copy is sound and nothing differs at the target. */
static bool same_as_row(struct rfs_backend *b, const char *key,
			const struct rfs_entry_file *f)
{
	char have[RFS_SHA256_HEX_LEN], link[4096];
	struct stat st;

	if (rfs_backend_stat(b, key, &st) < 0)
		return false;
	if (rfs_file_type_special(f->type))
		return rfs_copy_special_same(&st, f);
	switch (f->type) {
	case RFS_FILE_DIR:
		return S_ISDIR(st.st_mode);
	case RFS_FILE_LINK:
		return S_ISLNK(st.st_mode) &&
		       rfs_backend_readlink(b, key, link, sizeof(link)) == 0 &&
		       !strcmp(link, f->link);
	default:
		return S_ISREG(st.st_mode) && st.st_size == f->size &&
		       rfs_copy_hash(b, key, have, NULL) == 0 &&
		       !strcmp(have, f->sha256);
	}
}

/* A special file the target cannot hold (an object store): it is not
 * restored, and the restore says so (special_note()). */
static bool not_kept(const struct rjob *j, const struct rfs_entry_file *f)
{
	return rfs_file_type_special(f->type) &&
	       !rfs_backend_has(j->dst, RFS_BACKEND_CAP_SPECIAL);
}

static void check_task(void *ctx, int i)
{
	struct rbatch *b = ctx;
	struct rtask *t = &b->t[i];
	struct rjob *j = b->j;
	char have[RFS_SHA256_HEX_LEN];
	struct stat st;

	if (t->f.type == RFS_FILE_REG) {
		t->r = rfs_copy_hash(j->bin, t->bkey, have, NULL);
		if (t->r == 0 && strcmp(have, t->f.sha256)) {
			t->r = -EBADMSG;
			set_why(t,
				"the recycle copy of '%s' no longer matches "
				"its manifest checksum: the bin is corrupt, "
				"nothing was restored",
				t->bkey);
			return;
		}
		if (t->r < 0) {
			set_why(t, "cannot read the recycle copy '%s': %s",
				t->bkey, strerror(-t->r));
			return;
		}
	}
	if (t->f.type != RFS_FILE_DIR && !not_kept(j, &t->f) &&
	    rfs_backend_stat(j->dst, t->tkey, &st) == 0 &&
	    !same_as_row(j->dst, t->tkey, &t->f))
		t->conflict = true;
}

static int check_done(struct rjob *j, struct rbatch *b)
{
	for (int i = 0; i < b->n; i++) {
		struct rtask *t = &b->t[i];

		if (t->r < 0)
			return rfs_error_set(j->base.err, -t->r, "%s",
					     t->why ? t->why : strerror(-t->r));
		if (t->conflict && !j->r.overwrite) {
			if (j->n_conflicts++ < 10)
				rfs_buf_addf(&j->conflicts, "%s'%s'",
					     j->conflicts.len ? ", " : "",
					     t->tkey);
		}
	}
	return 0;
}

static int step_check(struct rjob *j)
{
	int r = for_rows(j, 0, check_task, check_done);

	if (r == 0 && j->n_conflicts)
		r = rfs_error_set(j->base.err, EEXIST,
				  "restore refused: %lld file%s exist%s at the "
				  "target: %s%s; nothing was restored (use "
				  "--overwrite to replace them)",
				  (long long)j->n_conflicts,
				  j->n_conflicts > 1 ? "s" : "",
				  j->n_conflicts > 1 ? "" : "s",
				  rfs_buf_str(&j->conflicts),
				  j->n_conflicts > 10 ? ", ..." : "");
	return r;
}

/* Copy: folders first (the part's root, then each), files next, the
 * folders' modes and times last. */
static void copy_task(void *ctx, int i)
{
	struct rbatch *b = ctx;
	struct rtask *t = &b->t[i];
	struct rjob *j = b->j;
	char sha[RFS_SHA256_HEX_LEN];
	struct stat st;

	if (t->f.type == RFS_FILE_DIR || not_kept(j, &t->f))
		return;
	if (!j->r.overwrite && rfs_backend_stat(j->dst, t->tkey, &st) == 0 &&
	    !same_as_row(j->dst, t->tkey, &t->f)) {
		t->r = -EEXIST;
		set_why(t,
			"'%s' appeared at the target during the restore; it "
			"was left alone",
			t->tkey);
		return;
	}
	if (t->f.type == RFS_FILE_LINK)
		t->r = rfs_copy_link(j->dst, t->tkey, &t->f);
	else if (rfs_file_type_special(t->f.type))
		/* made from the manifest's row: the bin may hold none */
		t->r = rfs_copy_special(j->dst, t->tkey, &t->f);
	else
		t->r = rfs_copy_reg(j->bin, t->bkey, j->dst, t->tkey, &t->f,
				    t->f.sha256, sha);
	if (t->r < 0)
		set_why(t, "restoring '%s' failed: %s", t->tkey,
			strerror(-t->r));
}

static int batch_errors(struct rjob *j, struct rbatch *b)
{
	for (int i = 0; i < b->n; i++)
		if (b->t[i].r < 0)
			return rfs_error_set(j->base.err, -b->t[i].r, "%s",
					     b->t[i].why
						     ? b->t[i].why
						     : strerror(-b->t[i].r));
	return 0;
}

static void mkdir_task(void *ctx, int i)
{
	struct rbatch *b = ctx;
	struct rtask *t = &b->t[i];

	t->r = rfs_backend_mkdir(b->j->dst, t->tkey, 0700);
	if (t->r == -EEXIST)
		t->r = 0;
	if (t->r < 0)
		set_why(t, "cannot make '%s': %s", t->tkey, strerror(-t->r));
}

static void dirmeta_task(void *ctx, int i)
{
	struct rbatch *b = ctx;
	struct rtask *t = &b->t[i];

	t->r = rfs_copy_xattrs(b->j->bin, t->bkey, b->j->dst, t->tkey);
	if (t->r == 0)
		t->r = rfs_copy_meta(b->j->dst, t->tkey, &t->f);
	if (t->r < 0)
		set_why(t,
			"cannot set the mode, times and attributes of '%s': %s",
			t->tkey, strerror(-t->r));
}

static void link_task(void *ctx, int i)
{
	struct rbatch *b = ctx;
	struct rtask *t = &b->t[i];

	t->r = rfs_copy_links_note(b->j->links, b->j->bin, t->bkey, t->tkey);
	if (t->r < 0)
		set_why(t, "cannot read the recycle copy '%s': %s", t->bkey,
			strerror(-t->r));
}

/* Names of one file in the bin become names of one file at the target
 * (as rsync -H). */
static int link_copies(struct rjob *j)
{
	struct rfs_copy_links l;
	int r;

	if (!rfs_copy_links_possible(j->bin, j->dst))
		return 0;
	rfs_copy_links_init(&l);
	j->links = &l;
	r = for_rows(j, RFS_FILE_REG, link_task, batch_errors);
	if (r == 0)
		r = rfs_copy_links_apply(&l, j->dst);
	if (r < 0 && !j->base.err->code)
		rfs_error_set(j->base.err, -r,
			      "linking the names of one file at "
			      "'%s' failed: %s",
			      j->r.target, strerror(-r));
	j->links = NULL;
	rfs_copy_links_release(&l);
	return r;
}

/* mkdir -p of the folders above the target key. */
static int make_parents(struct rjob *j)
{
	char *p = strdup(j->r.target_key);
	int r;

	if (!p)
		return -ENOMEM;
	r = rfs_backend_mkdir(j->dst, "", 0755);
	if (r == -EEXIST || r == -ENOSYS)
		r = 0;
	for (char *s = p; r == 0 && (s = strchr(s, '/')); s++) {
		*s = '\0';
		r = rfs_backend_mkdir(j->dst, p, 0755);
		if (r == -EEXIST)
			r = 0;
		*s = '/';
	}
	free(p);
	return r;
}

static int64_t cleanup_tmp(struct rjob *j);

static int step_copy(struct rjob *j)
{
	int r;

	/* Temporaries a killed run left go first: removed after the
	 * folders got their times, they would change those times. */
	cleanup_tmp(j);
	r = make_parents(j);

	if (r == 0) {
		/* Folders in path order on one thread: parents first. */
		int parallel = j->base.parallel;

		j->base.parallel = 1;
		r = for_rows(j, RFS_FILE_DIR, mkdir_task, batch_errors);
		j->base.parallel = parallel;
	}
	if (r == 0)
		r = for_rows(j, 0, copy_task, batch_errors);
	if (r == 0)
		r = link_copies(j);
	/* Folder metadata: any order works once every file is in; a folder
	 * left with its temporary mode 0700 is a failure too. */
	if (r == 0)
		r = for_rows(j, RFS_FILE_DIR, dirmeta_task, batch_errors);
	return r;
}

/* Verify: every restored file's checksum is the manifest's. */
static void verify_task(void *ctx, int i)
{
	struct rbatch *b = ctx;
	struct rtask *t = &b->t[i];
	struct rjob *j = b->j;
	char sha[RFS_SHA256_HEX_LEN];

	if (not_kept(j, &t->f) || same_as_row(j->dst, t->tkey, &t->f))
		return;
	/* One more copy, then it must match. */
	if (t->f.type == RFS_FILE_LINK)
		t->r = rfs_copy_link(j->dst, t->tkey, &t->f);
	else if (rfs_file_type_special(t->f.type))
		t->r = rfs_copy_special(j->dst, t->tkey, &t->f);
	else if (t->f.type == RFS_FILE_REG)
		t->r = rfs_copy_reg(j->bin, t->bkey, j->dst, t->tkey, &t->f,
				    NULL, sha);
	if (t->r == 0 && !same_as_row(j->dst, t->tkey, &t->f))
		t->r = -EBADMSG;
	if (t->r < 0)
		set_why(t,
			"the restored '%s' does not match its manifest "
			"checksum, even after a second copy",
			t->tkey);
}

/* Publish: add the restored partitions, the data being in place. */
static int step_publish(struct rjob *j)
{
	struct rfs_part_call c = {
		.action = "add_partitions",
		.table = j->r.target_table,
		.lifecycle = j->r.target_lifecycle,
		.epoch = j->r.target_epoch,
		.location = j->r.target_uri,
		.base = j->r.target_key,
		.sub = j->r.sub,
	};
	char *hook = NULL, *json = NULL;
	int r;

	if (!j->r.target_table)
		return 0; /* a location outside the catalog */
	r = rfs_hook_find(j->base.idx, j->r.target_table, &hook);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = rfs_partitions_json(j->base.idx, j->e.id, &c, &json);
	if (r == 0 && json) {
		r = rfs_hook_run(hook, json,
				 j->base.o ? j->base.o->hook_timeout : 0,
				 j->base.err);
		if (r < 0)
			rfs_error_prefix(j->base.err,
					 "the data of '%s' is restored but its "
					 "partitions were not added",
					 j->r.target);
	}
	free(hook);
	free(json);
	return r;
}

/* Temporaries a killed copy left at the target. @return how many are
 * left (they could not be listed or removed), 0 when none */
static int64_t cleanup_tmp(struct rjob *j)
{
	return rfs_engine_drop_tmps(j->dst, j->r.target_key, NULL, NULL);
}

/* The special files a target without them did not get, one line each. */
struct unkept {
	struct rjob *j;
	int64_t n;
	struct rfs_buf lines, key, esc;
};

/* Lines of the status; the log names every one. */
#define UNKEPT_LINES 100

static int unkept_row(const struct rfs_entry_file *f, void *ctx)
{
	struct unkept *u = ctx;
	char dev[48] = "";
	int r;

	if (!rfs_path_is_under(f->path, u->j->r.sub) ||
	    f->state == RFS_FILE_PURGED || !not_kept(u->j, f))
		return 0;
	rfs_buf_reset(&u->key);
	rfs_buf_reset(&u->esc);
	r = rfs_path_join(&u->key, u->j->r.target_key, rel_of(u->j, f->path));
	if (r == 0) /* a name on one line whatever it holds */
		r = rfs_buf_add_escaped(&u->esc, rfs_buf_str(&u->key));
	if (r < 0)
		return r;
	if (f->type == RFS_FILE_CHR || f->type == RFS_FILE_BLK)
		snprintf(dev, sizeof(dev), " %u:%u", major((dev_t)f->rdev),
			 minor((dev_t)f->rdev));
	rfs_log(LOG_WARNING,
		"restore to '%s': '%s' (%s%s) not restored: the target keeps "
		"no special files",
		u->j->r.target, rfs_buf_str(&u->esc),
		rfs_copy_special_name(f->type), dev);
	if (u->n++ >= UNKEPT_LINES)
		return 0;
	return rfs_buf_addf(&u->lines, "\n'%s' (%s%s)", rfs_buf_str(&u->esc),
			    rfs_copy_special_name(f->type), dev);
}

/*
 * A target that keeps no special files (an object store) did not get the
 * FIFOs, sockets and devices of the part restored: say which in the
 * restore's reason, one line each, and in the log.
 * @return 0 or -errno
 */
static int special_note(struct rjob *j)
{
	struct rfs_index_file_query q = { .state = -1 };
	struct unkept u = { j, 0, RFS_BUF_INIT, RFS_BUF_INIT, RFS_BUF_INIT };
	char *why = NULL;
	int r = 0;

	if (rfs_backend_has(j->dst, RFS_BACKEND_CAP_SPECIAL))
		return 0;
	r = rfs_index_file_list(j->base.idx, j->e.id, &q, unkept_row, &u,
				j->base.err);
	if (r == 0 && u.n &&
	    asprintf(&why,
		     "%lld special file%s not restored: '%s' keeps no FIFOs, "
		     "sockets or devices; the manifest keeps them, and a "
		     "restore to a file:// target makes them:%s%s",
		     (long long)u.n, u.n > 1 ? "s" : "", j->r.target,
		     rfs_buf_str(&u.lines),
		     u.n > UNKEPT_LINES ? "\n... (each one is named in the log)"
					: "") < 0)
		r = -ENOMEM;
	if (why) {
		free(j->r.reason);
		j->r.reason = why;
	}
	rfs_buf_release(&u.lines);
	rfs_buf_release(&u.key);
	rfs_buf_release(&u.esc);
	return r;
}

static int step_done(struct rjob *j)
{
	struct rfs_error ignore = { 0 };
	struct rfs_entry now = { 0 };
	int r;

	cleanup_tmp(j);
	r = special_note(j);
	if (r < 0)
		return r;
	r = rfs_index_begin(j->base.idx, j->base.err);
	/* The entry as it is now: only where it was restored changes. */
	if (r == 0)
		r = rfs_index_entry_get(j->base.idx, j->e.id, &now,
					j->base.err);
	if (r == 0) {
		free(now.restored_to);
		now.restored_to = strdup(j->r.target);
		r = now.restored_to ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = rfs_index_entry_update(j->base.idx, &now, j->base.err);
	rfs_entry_release(&now);
	if (r == 0)
		r = rfs_restore_history(j->base.idx, "restore.done", &j->e,
					&j->r, &ignore);
	if (r == 0) {
		j->r.state = RFS_RESTORE_DONE;
		j->r.files_done = j->r.files_total;
		j->r.bytes_done = j->r.bytes_total;
		r = rfs_index_restore_update(j->base.idx, &j->r, j->base.err);
	}
	if (r == 0)
		r = rfs_index_commit(j->base.idx, j->base.err);
	if (r < 0)
		rfs_index_rollback(j->base.idx);
	else /* the restore record, into the catalog journal */
		rfs_journal_write(j->base.idx, NULL);
	return r;
}

/* What a failed restore left at its target: files present, missing. */
struct present {
	int64_t files, bytes, missing;
	struct rfs_buf first; /* the first missing ones, quoted */
};

static void present_task(void *ctx, int i)
{
	struct rbatch *b = ctx;
	struct rtask *t = &b->t[i];
	struct stat st;

	t->conflict = false; /* here: "is at the target" */
	if (t->f.type == RFS_FILE_DIR)
		return;
	if (rfs_backend_stat(b->j->dst, t->tkey, &st) < 0)
		return;
	if (t->f.type == RFS_FILE_LINK)
		t->conflict = S_ISLNK(st.st_mode);
	else if (rfs_file_type_special(t->f.type))
		t->conflict = rfs_copy_special_same(&st, &t->f);
	else
		t->conflict = S_ISREG(st.st_mode) && st.st_size == t->f.size;
}

static int present_done(struct rjob *j, struct rbatch *b)
{
	struct present *p = j->present;

	for (int i = 0; i < b->n; i++) {
		struct rtask *t = &b->t[i];

		if (t->f.type == RFS_FILE_DIR)
			continue;
		if (t->conflict) {
			p->files++;
			p->bytes += t->f.size;
		} else if (p->missing++ < 5) {
			rfs_buf_addf(&p->first, "%s'%s'",
				     p->first.len ? ", " : "", t->tkey);
		}
	}
	return 0;
}

/*
 * After a failure once data may have been written: remove our
 * temporaries and say in the reason which files are at the target.
 */
static void describe_target(struct rjob *j)
{
	struct present p = { 0 };
	struct rfs_error scratch = { 0 }, *err = j->base.err;
	const struct rfs_job_opts *o = j->base.o;
	int64_t left;
	int r;

	if (!j->dst || j->r.failed_step < RFS_RESTORE_COPY)
		return;
	left = cleanup_tmp(j);
	if (left)
		left = cleanup_tmp(j); /* once more: a fault may be passing */
	rfs_buf_init(&p.first, 0);
	j->present = &p;
	j->base.err = &scratch;
	j->base.o = NULL; /* a stop request does not cut the count short */
	r = for_rows(j, 0, present_task, present_done);
	j->base.err = err;
	j->base.o = o;
	j->present = NULL;
	if (r == 0) {
		char *why = NULL;

		if (asprintf(&why,
			     "%s; at the target: %lld of %lld files (each "
			     "complete: a file is renamed into place only once "
			     "copied whole), %s%s%s%s",
			     err->msg, (long long)p.files,
			     (long long)(p.files + p.missing),
			     left ? "some temporary files .rfs-tmp.* could "
				    "not be removed"
				  : "no temporary files",
			     p.missing ? "; missing: " : "",
			     rfs_buf_str(&p.first),
			     p.missing > 5 ? ", ..." : "") >= 0) {
			free(j->r.reason);
			j->r.reason = why;
		}
		j->r.files_done = p.files;
		j->r.bytes_done = p.bytes;
	}
	rfs_buf_release(&p.first);
}

/* ------------------------------------------------------ the restore kind */

static void restore_fail(struct rfs_engine_job *b, int r)
{
	struct rjob *j = (struct rjob *)b;
	struct rfs_error ignore = { 0 };

	(void)r;
	j->r.failed_step = j->r.state;
	j->r.state = RFS_RESTORE_FAILED;
	free(j->r.reason);
	j->r.reason = strdup(b->err->msg);
	describe_target(j);
	rfs_index_restore_update(b->idx, &j->r, &ignore);
}

static int restore_load(struct rfs_engine_job *b)
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

static int restore_state(const struct rfs_engine_job *b)
{
	return ((const struct rjob *)b)->r.state;
}

static int restore_save(struct rfs_engine_job *b, int s)
{
	struct rjob *j = (struct rjob *)b;

	j->r.state = s;
	j->r.files_done = j->r.bytes_done = 0;
	return rfs_index_restore_update(b->idx, &j->r, b->err);
}

static void restore_progress(struct rfs_engine_job *b, int64_t files,
			     int64_t bytes)
{
	struct rfs_error ignore = { 0 };

	rfs_index_restore_progress(b->idx, b->id, files, bytes, &ignore);
}

static const char *restore_lease_owner(const struct rfs_engine_job *b,
				       int64_t *until_ns)
{
	const struct rjob *j = (const struct rjob *)b;

	*until_ns = j->r.lease_until_ns;
	return j->r.lease_owner;
}

static int restore_open(struct rfs_engine_job *b)
{
	struct rjob *j = (struct rjob *)b;
	int r = rfs_ports_open(j->e.bin_root_uri, &j->bin, b->err);

	if (r == 0)
		r = rfs_ports_open(j->r.target_uri, &j->dst, b->err);
	if (r == 0)
		b->parallel =
			rfs_engine_parallel_files(b->idx, b->o, j->bin, j->dst);
	return r;
}

static const char *restore_describe(const struct rfs_engine_job *b, char *buf,
				    size_t size)
{
	snprintf(buf, size, "the restore to '%s'",
		 ((const struct rjob *)b)->r.target);
	return buf;
}

static void restore_release(struct rfs_engine_job *b)
{
	struct rjob *j = (struct rjob *)b;

	rfs_backend_free(j->bin);
	rfs_backend_free(j->dst);
	j->bin = j->dst = NULL;
	rfs_buf_release(&j->conflicts);
	rfs_restore_release(&j->r);
	rfs_entry_release(&j->e);
}

static int restore_check(struct rfs_engine_job *b)
{
	return step_check((struct rjob *)b);
}

static int restore_copy(struct rfs_engine_job *b)
{
	return step_copy((struct rjob *)b);
}

static int restore_verify(struct rfs_engine_job *b)
{
	return for_rows((struct rjob *)b, 0, verify_task, batch_errors);
}

/* Publish commits done with the entry's restored_to (step_done). */
static int restore_publish(struct rfs_engine_job *b)
{
	int r = step_publish((struct rjob *)b);

	return r < 0 ? r : step_done((struct rjob *)b);
}

/* A retry starts from check: the bin and the target may have changed. */
static const struct rfs_engine_step restore_steps[] = {
	{ RFS_RESTORE_CHECK, "check", restore_check, RFS_RESTORE_COPY,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_COPY, "copy", restore_copy, RFS_RESTORE_VERIFY,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_VERIFY, "verify", restore_verify, RFS_RESTORE_PUBLISH,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_PUBLISH, "publish", restore_publish, RFS_ENGINE_END,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_DONE, "done", NULL, RFS_ENGINE_END, RFS_RESTORE_DONE },
};

const struct rfs_engine_kind rfs_restore_kind = {
	.name = "restore",
	.claim_sign = -1,
	.steps = restore_steps,
	.n_steps = sizeof(restore_steps) / sizeof(restore_steps[0]),
	.lease = rfs_index_restore_lease,
	.load = restore_load,
	.state = restore_state,
	.save = restore_save,
	.progress = restore_progress,
	.lease_owner = restore_lease_owner,
	.open = restore_open,
	.fail = restore_fail,
	.describe = restore_describe,
	.release = restore_release,
};

int rfs_restore_run(struct rfs_index *idx, int64_t id,
		    const struct rfs_job_opts *o, struct rfs_error *err)
{
	struct rjob j = { .base = { .kind = &rfs_restore_kind,
				    .idx = idx,
				    .id = id,
				    .o = o,
				    .err = err } };

	if (rfs_rel_restore_wanted(idx, id)) /* a table: core/kind_rel.c */
		return rfs_rel_restore_run(idx, id, o, err);
	rfs_buf_init(&j.conflicts, 0);
	return rfs_engine_run(&j.base);
}
