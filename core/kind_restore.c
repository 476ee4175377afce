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
#include "core/restore_job.h"
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
	int r = rfs_restore_for_rows(j, 0, 0, check_task, check_done);

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
	if (t->r == -EPERM &&
	    (t->f.type == RFS_FILE_CHR || t->f.type == RFS_FILE_BLK))
		set_why(t,
			"restoring '%s' failed: %s: making a %s needs the "
			"privilege to (CAP_MKNOD): run the restore as root",
			t->tkey, strerror(-t->r),
			rfs_copy_special_name(t->f.type));
	else if (t->r < 0)
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
	r = rfs_restore_for_rows(j, RFS_FILE_REG, RFS_RESTORE_ROWS_SYNC,
				 link_task, batch_errors);
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

static int step_copy(struct rjob *j)
{
	int r;

	/* Temporaries a killed run left go first: removed after the
	 * folders got their times, they would change those times. */
	rfs_restore_cleanup_tmp(j);
	r = make_parents(j);

	if (r == 0) {
		/* Folders in path order on one thread: parents first. */
		int parallel = j->base.parallel;

		j->base.parallel = 1;
		r = rfs_restore_for_rows(j, RFS_FILE_DIR, RFS_RESTORE_ROWS_SYNC,
					 mkdir_task, batch_errors);
		j->base.parallel = parallel;
	}
	if (r == 0)
		r = rfs_restore_for_rows(j, 0, RFS_RESTORE_ROWS_SYNC, copy_task,
					 batch_errors);
	if (r == 0)
		r = link_copies(j);
	/* Folder metadata: any order works once every file is in; a folder
	 * left with its temporary mode 0700 is a failure too. */
	if (r == 0)
		r = rfs_restore_for_rows(j, RFS_FILE_DIR, RFS_RESTORE_ROWS_SYNC,
					 dirmeta_task, batch_errors);
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

/* ------------------------------------------------------ the restore kind */

static void restore_fail(struct rfs_engine_job *b, int r)
{
	struct rjob *j = (struct rjob *)b;
	struct rfs_error ignore = { 0 };

	(void)r;
	rfs_restore_mark_failed(j);
	rfs_restore_describe_target(j);
	rfs_index_restore_update(b->idx, &j->r, &ignore);
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
	return rfs_restore_for_rows((struct rjob *)b, 0, RFS_RESTORE_ROWS_SYNC,
				    verify_task, batch_errors);
}

/* Publish commits done with the entry's restored_to
 * (rfs_restore_step_done()). */
static int restore_publish(struct rfs_engine_job *b)
{
	int r = step_publish((struct rjob *)b);

	return r < 0 ? r : rfs_restore_step_done((struct rjob *)b);
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
	.steps = restore_steps,
	.n_steps = sizeof(restore_steps) / sizeof(restore_steps[0]),
	.open = restore_open,
	.fail = restore_fail,
	RESTORE_KIND_OPS,
};

int rfs_restore_files_run(struct rfs_index *idx, int64_t id,
			  const struct rfs_job_opts *o, struct rfs_error *err)
{
	struct rjob j = { .base = { .kind = &rfs_restore_kind,
				    .idx = idx,
				    .id = id,
				    .o = o,
				    .err = err } };

	rfs_buf_init(&j.conflicts, 0);
	return rfs_engine_run(&j.base);
}
