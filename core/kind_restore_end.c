/*
 * The end of a restore (core/restore_job.h): its done step, with
 * the note of the special files a target cannot hold, and the report of
 * what a failed restore left at its target.
 */
#include "core/restore_job.h"

#include "backends/backend.h"
#include "core/copy.h"
#include "core/engine.h"
#include "model/entry.h"
#include "core/journal.h"
#include "core/restore_priv.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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

int rfs_restore_step_done(struct rjob *j)
{
	int r;

	rfs_restore_cleanup_tmp(j);
	r = special_note(j);
	return r < 0 ? r : rfs_restore_record_done(j);
}

int rfs_restore_record_done(struct rjob *j)
{
	struct rfs_error ignore = { 0 };
	struct rfs_entry now = { 0 };
	int r;

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

/* rfs_restore_for_rows() task of the report: is row @p i of batch
 * @p ctx at the target (its rtask::conflict)? */
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
void rfs_restore_describe_target(struct rjob *j)
{
	struct present p = { 0 };
	struct rfs_error scratch = { 0 }, *err = j->base.err;
	const struct rfs_job_opts *o = j->base.o;
	int64_t left;
	int r;

	if (!j->dst || j->r.failed_step < RFS_RESTORE_COPY)
		return;
	left = rfs_restore_cleanup_tmp(j);
	if (left)
		left = rfs_restore_cleanup_tmp(
			j); /* once more: a fault may be passing */
	rfs_buf_init(&p.first, 0);
	j->present = &p;
	j->base.err = &scratch;
	j->base.o = NULL; /* a stop request does not cut the count short */
	r = rfs_restore_for_rows(j, 0, 0, present_task, present_done);
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
