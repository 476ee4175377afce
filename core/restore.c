/*
 * Restore: plan a copy out of the recycle bin (target, families), then run
 * it as a job: check, copy, verify, publish, done.
 */
#include "core/restore.h"

#include "backends/backend.h"
#include "core/archive.h"
#include "core/catalog.h"
#include "core/copy.h"
#include "core/entry.h"
#include "core/hook.h"
#include "core/json_name.h"
#include "core/job_priv.h"
#include "core/jobs.h"
#include "core/journal.h"
#include "core/names.h"
#include "core/namespace.h"
#include "core/partitions.h"
#include "core/storage.h"
#include "core/uri.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ planning */

/* The entry at @p path or above it, and the part of it @p path names. */
static int find_entry(struct rfs_index *idx, const char *path,
		      struct rfs_entry *e, char **sub, struct rfs_error *err)
{
	return rfs_entry_find_at(idx, path, e, sub, err);
}

static const struct rfs_storage_class *class_of_uri(const char *uri)
{
	char scheme[32];
	size_t n = strcspn(uri, ":");

	if (n >= sizeof(scheme))
		return NULL;
	memcpy(scheme, uri, n);
	scheme[n] = '\0';
	return rfs_storage_class_by_scheme(scheme);
}

/* Data goes only into a storage of its family, with a data path. */
static int family_check(const struct rfs_entry *e, const char *item,
			const struct rfs_storage_class *to, const char *to_name,
			struct rfs_error *err)
{
	const struct rfs_storage_class *from = class_of_uri(e->bin_root_uri);

	if (!from)
		return rfs_error_set(err, EINVAL,
				     "the recycle storage of '%s' has an "
				     "unknown class",
				     item);
	if (from->family != to->family)
		return rfs_error_set(
			err, EXDEV,
			"restore refused: '%s' is %s data (%s) and cannot be "
			"restored into %s storage '%s'; choose a %s storage "
			"with --to or --to-uri",
			item, rfs_family_name(from->family), from->name,
			rfs_family_name(to->family), to_name,
			rfs_family_name(from->family));
	if (!rfs_backend_scheme_supported(to->schemes[0]))
		return rfs_error_set(err, EPERM,
				     "restore refused: storage '%s' (%s) has "
				     "no data path in this build",
				     to_name, to->name);
	return 0;
}

static const struct rfs_epoch *epoch_by_id(const struct rfs_catalog *cat,
					   int64_t id)
{
	for (size_t i = 0; i < cat->n_tables; i++) {
		const struct rfs_table *t = cat->tables[i];

		for (size_t j = 0; j < t->n_lifecycles; j++) {
			const struct rfs_lifecycle *lc = t->lifecycles[j];

			for (size_t k = 0; k < lc->n_epochs; k++)
				if (lc->epochs[k]->id == id)
					return lc->epochs[k];
		}
	}
	return NULL;
}

/* The same table, lifecycle and start date in today's catalog. */
static const struct rfs_epoch *epoch_like(const struct rfs_catalog *cat,
					  const struct rfs_entry *e)
{
	const struct rfs_table *t = rfs_catalog_table(cat, e->table);
	const struct rfs_lifecycle *lc =
		t ? rfs_table_lifecycle(t, e->lifecycle) : NULL;
	int32_t from, to;

	if (!lc || rfs_epoch_range_parse(e->epoch, &from, &to) < 0)
		return NULL;
	for (size_t k = 0; k < lc->n_epochs; k++)
		if (lc->epochs[k]->from == from)
			return lc->epochs[k];
	return NULL;
}

static int set_epoch_target(struct rfs_restore *r, const struct rfs_epoch *ep,
			    const char *key)
{
	const struct rfs_lifecycle *lc = ep->lifecycle;

	r->target_uri = strdup(ep->uri);
	r->target_key = strdup(key);
	r->target_epoch_id = ep->id;
	r->target_table = strdup(lc->table->name);
	r->target_lifecycle = strdup(lc->name);
	r->target_epoch = strdup(ep->name);
	if (asprintf(&r->target, "%s/%s/%s%s%s", lc->table->name, lc->name,
		     ep->name, *key ? "/" : "", key) < 0)
		r->target = NULL;
	if (!r->target_uri || !r->target_key || !r->target_table ||
	    !r->target_lifecycle || !r->target_epoch || !r->target)
		return -ENOMEM;
	return 0;
}

/* Where the restore goes: the original place, a catalog path, or a URI. */
static int plan_target(const struct rfs_catalog *cat, const struct rfs_entry *e,
		       const char *full, const struct rfs_restore_target *to,
		       struct rfs_restore *r, struct rfs_error *err)
{
	const char *name = *full ? rfs_path_basename(full) : "";
	const struct rfs_epoch *ep;
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_node n;
	struct rfs_uri u;
	int rc;

	if (to && to->to) {
		char *p = strdup(to->to);

		if (!p)
			return -ENOMEM;
		rfs_relpath_normalize(p);
		rc = rfs_relpath_check("--to", p, err);
		if (rc == 0 && (rfs_namespace_resolve(cat, p, &n) < 0 ||
				n.kind != RFS_NODE_EPOCH))
			rc = rfs_error_set(err, EINVAL,
					   "--to '%s' is not an epoch path "
					   "(TABLE/LIFECYCLE/EPOCH[/FOLDER])",
					   to->to);
		if (rc == 0 && n.epoch->bin_key &&
		    rfs_path_is_under(n.rest, n.epoch->bin_key))
			rc = rfs_error_set(err, EINVAL,
					   "--to '%s' is the storage's recycle "
					   "bin",
					   to->to);
		if (rc == 0)
			rc = family_check(e, e->origin_path,
					  n.epoch->storage->cls,
					  n.epoch->storage->name, err);
		if (rc == 0)
			rc = rfs_path_join(&key, n.rest, name);
		if (rc == 0)
			rc = set_epoch_target(r, n.epoch, rfs_buf_str(&key));
		rfs_buf_release(&key);
		free(p);
		return rc;
	}
	if (to && to->to_uri) {
		const struct rfs_storage_class *cls;
		char *shown;

		rc = rfs_uri_parse(to->to_uri, &u, err);
		if (rc < 0)
			return rc;
		cls = rfs_storage_class_by_scheme(u.scheme);
		if (!cls)
			rc = rfs_error_set(err, EINVAL,
					   "--to-uri '%s' has unknown scheme "
					   "'%s' (known: %s)",
					   to->to_uri, u.scheme,
					   rfs_storage_schemes());
		shown = rfs_uri_strip_query(to->to_uri);
		if (rc == 0)
			rc = family_check(e, e->origin_path, cls,
					  shown ? shown : to->to_uri, err);
		free(shown);
		if (rc == 0)
			rc = rfs_uri_format(&u, &r->target_uri);
		rfs_uri_release(&u);
		if (rc < 0)
			return rc;
		r->target_key = strdup(name);
		if (asprintf(&r->target, "%s%s%s", r->target_uri,
			     *name ? "/" : "", name) < 0)
			r->target = NULL;
		return r->target_key && r->target ? 0 : -ENOMEM;
	}
	/* The original place, as today's catalog has it. */
	ep = epoch_by_id(cat, e->epoch_id);
	if (!ep)
		ep = epoch_like(cat, e);
	if (!ep)
		return rfs_error_set(err, ENOENT,
				     "epoch '%s/%s/%s' is no longer in the "
				     "catalog; restore with --to or --to-uri",
				     e->table, e->lifecycle, e->epoch);
	rc = family_check(e, e->origin_path, ep->storage->cls,
			  ep->storage->name, err);
	if (rc == 0)
		rc = set_epoch_target(r, ep, full);
	return rc;
}

static int check_entry(const struct rfs_entry *e, struct rfs_error *err)
{
	if (rfs_entry_state_archiving(e->state))
		return rfs_error_set(err, EBUSY,
				     "'%s' is still being archived (state %s); "
				     "restore it once it is archived",
				     e->bin_path,
				     rfs_entry_state_name(e->state));
	if (e->state == RFS_ENTRY_PURGED || e->state == RFS_ENTRY_PURGING)
		return rfs_error_set(err, EINVAL,
				     "'%s' was purged: there is nothing left "
				     "to restore",
				     e->bin_path);
	if (e->state == RFS_ENTRY_FAILED)
		return rfs_error_set(err, EINVAL,
				     "the archive of '%s' failed: its data is "
				     "still at '%s' (retry or purge the entry)",
				     e->bin_path, e->origin_path);
	return 0;
}

/* The rows of the part restored: totals. */
struct totals {
	const char *sub;
	int64_t files, bytes;
	bool found;
};

static int count_row(const struct rfs_entry_file *f, void *ctx)
{
	struct totals *t = ctx;

	if (!rfs_path_is_under(f->path, t->sub))
		return 0;
	t->found = true;
	if (f->state == RFS_FILE_PURGED || f->type == RFS_FILE_DIR)
		return 0;
	t->files++;
	t->bytes += f->size;
	return 0;
}

static int history(struct rfs_index *idx, const char *action,
		   const struct rfs_entry *e, const struct rfs_restore *r,
		   struct rfs_error *err)
{
	json_t *d = json_pack(
		"{s:o, s:o, s:o}", "entry", rfs_json_name(e->bin_path), "sub",
		rfs_json_name(r->sub), "target", rfs_json_name(r->target));
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	int rc;

	json_decref(d);
	if (!text)
		return -ENOMEM;
	rc = rfs_index_history_add(idx, action, e->origin_path, text, err);
	free(text);
	return rc;
}

/*
 * The restore of the same entry to the same target that runs or waits to
 * resume, if any, replaces @p r (which is released), with joined set.
 * @return 0 (joined or not), or an index error
 */
static int join_active(struct rfs_index *idx, struct rfs_restore *r,
		       struct rfs_error *err)
{
	struct rfs_restore have = { 0 };
	int rc;

	rc = rfs_index_restore_active(idx, r->entry_id, r->target_uri,
				      r->target_key, &have, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	rfs_restore_release(r);
	*r = have;
	r->joined = true;
	return 0;
}

/* Record @p r, or join the restore to its target that runs already, in
 * one transaction. */
static int record(struct rfs_index *idx, const struct rfs_entry *e,
		  struct rfs_restore *r, struct rfs_error *err)
{
	int rc;

	rc = rfs_index_begin(idx, err);
	if (rc == 0)
		rc = join_active(idx, r, err);
	if (rc == 0 && !r->joined) {
		rc = rfs_index_restore_insert(idx, r, err);
		if (rc == 0)
			rc = history(idx, "restore", e, r, err);
	}
	if (rc == 0)
		rc = rfs_index_commit(idx, err);
	if (rc < 0)
		rfs_index_rollback(idx);
	return rc;
}

int rfs_restore_begin(struct rfs_index *idx, const char *path,
		      const struct rfs_restore_target *to, bool dry_run,
		      const char *owner, struct rfs_restore *out,
		      struct rfs_error *err)
{
	struct rfs_index_file_query q = { .state = -1 };
	struct rfs_restore r = { 0 };
	struct rfs_catalog *cat = NULL;
	struct rfs_entry e = { 0 };
	struct rfs_buf full = RFS_BUF_INIT;
	struct totals t = { 0 };
	int rc;

	if (to && to->to && to->to_uri)
		return rfs_error_set(err, EINVAL,
				     "--to and --to-uri cannot both be given");
	rc = find_entry(idx, path, &e, &r.sub, err);
	if (rc == 0)
		rc = check_entry(&e, err);
	if (rc == 0) {
		t.sub = r.sub;
		rc = rfs_index_file_list(idx, e.id, &q, count_row, &t, err);
		if (rc == 0 && !t.found)
			rc = rfs_error_set(
				err, ENOENT,
				"'%s' has no '%s' in the recycle bin",
				e.bin_path, r.sub);
	}
	if (rc == 0)
		rc = rfs_path_join(&full, e.item_key, r.sub);
	if (rc == 0)
		rc = rfs_index_load_catalog(idx, &cat, err);
	if (rc == 0)
		rc = plan_target(cat, &e, rfs_buf_str(&full), to, &r, err);
	if (rc < 0)
		goto out;
	r.entry_id = e.id;
	r.overwrite = to && to->overwrite;
	r.state = RFS_RESTORE_CHECK;
	r.files_total = t.files;
	r.bytes_total = t.bytes;
	r.created_ns = r.updated_ns = rfs_time_now_ns();
	if (owner) {
		r.lease_owner = strdup(owner);
		r.lease_until_ns = r.created_ns + RFS_LEASE_TTL_NS;
		if (!r.lease_owner) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (dry_run)
		rc = join_active(idx, &r, err);
	else
		rc = record(idx, &e, &r, err);
out:
	if (rc == 0 && out)
		*out = r;
	else
		rfs_restore_release(&r);
	rfs_buf_release(&full);
	rfs_catalog_free(cat);
	rfs_entry_release(&e);
	return rc;
}

int rfs_restore_retry(struct rfs_index *idx, int64_t id, struct rfs_error *err)
{
	struct rfs_restore r = { 0 };
	int rc;

	rc = rfs_index_restore_get(idx, id, &r, err);
	if (rc == 0 && r.state != RFS_RESTORE_FAILED)
		rc = rfs_error_set(err, EINVAL,
				   "the restore to '%s' is %s, not failed",
				   r.target, rfs_restore_state_name(r.state));
	if (rc == 0) {
		r.state = RFS_RESTORE_CHECK;
		free(r.reason);
		r.reason = NULL;
		r.files_done = r.bytes_done = 0;
		rc = rfs_index_restore_update(idx, &r, err);
		if (rc == -EEXIST)
			rc = rfs_error_set(err, EBUSY,
					   "another restore to '%s' runs or "
					   "waits to resume; it is not retried "
					   "beside it",
					   r.target);
	}
	rfs_restore_release(&r);
	return rc;
}

/* ------------------------------------------------------------- running */

struct rjob {
	struct rfs_index *idx;
	struct rfs_restore r;
	struct rfs_entry e;
	const struct rfs_job_opts *o;
	struct rfs_backend *bin; /* the entry's recycle storage */
	struct rfs_backend *dst; /* the target */
	struct rfs_error *err;
	int parallel;
	int64_t next_progress_ns;
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
	struct rtask t[JOB_BATCH];
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
	struct rfs_error ignore = { 0 };
	int64_t now = rfs_time_mono_ns();

	j->r.files_done = files;
	j->r.bytes_done = bytes;
	if (now < j->next_progress_ns)
		return;
	j->next_progress_ns = now + RFS_NSEC_PER_SEC;
	rfs_index_restore_progress(j->idx, j->r.id, files, bytes, &ignore);
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
	struct rfs_index_file_query q = { .state = -1, .limit = JOB_BATCH };
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
		r = rfs_index_file_list(j->idx, j->e.id, &q, take_row, b,
					j->err);
		if (r < 0 || !b->last)
			break;
		if (b->n)
			job_parallel(j->parallel, b->n, fn, b);
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
		if (j->o && j->o->stop && *j->o->stop) {
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
	if (t->f.type != RFS_FILE_DIR &&
	    rfs_backend_stat(j->dst, t->tkey, &st) == 0 &&
	    !same_as_row(j->dst, t->tkey, &t->f))
		t->conflict = true;
}

static int check_done(struct rjob *j, struct rbatch *b)
{
	for (int i = 0; i < b->n; i++) {
		struct rtask *t = &b->t[i];

		if (t->r < 0)
			return rfs_error_set(j->err, -t->r, "%s",
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
		r = rfs_error_set(j->err, EEXIST,
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

	if (t->f.type == RFS_FILE_DIR)
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
			return rfs_error_set(j->err, -b->t[i].r, "%s",
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
	if (r < 0 && !j->err->code)
		rfs_error_set(j->err, -r,
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
	int r = make_parents(j);

	if (r == 0) {
		/* Folders in path order on one thread: parents first. */
		int parallel = j->parallel;

		j->parallel = 1;
		r = for_rows(j, RFS_FILE_DIR, mkdir_task, batch_errors);
		j->parallel = parallel;
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

	if (same_as_row(j->dst, t->tkey, &t->f))
		return;
	/* One more copy, then it must match. */
	if (t->f.type == RFS_FILE_LINK)
		t->r = rfs_copy_link(j->dst, t->tkey, &t->f);
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
	r = rfs_hook_find(j->idx, j->r.target_table, &hook);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = rfs_partitions_json(j->idx, j->e.id, &c, &json);
	if (r == 0 && json) {
		r = rfs_hook_run(hook, json, j->o ? j->o->hook_timeout : 0,
				 j->err);
		if (r < 0)
			rfs_error_prefix(j->err,
					 "the data of '%s' is restored but its "
					 "partitions were not added",
					 j->r.target);
	}
	free(hook);
	free(json);
	return r;
}

/* A temporary of ours: ".rfs-tmp.<name>.<hex>" (core/copy.c and the
 * local backend's copy name them so). */
static bool is_tmp(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t n;

	if (strncmp(name, ".rfs-tmp.", 9) || !dot || dot < name + 9)
		return false;
	n = strspn(dot + 1, "0123456789abcdef");
	return n >= 8 && dot[1 + n] == '\0';
}

struct tmp_walk {
	struct rjob *j;
	const char *dir;
	struct rfs_buf key;
	int64_t left; /* temporaries that could not be removed */
};

static int drop_tmp(void *ctx, const char *rel, const struct stat *st)
{
	struct tmp_walk *t = ctx;
	int r;

	if (S_ISDIR(st->st_mode) || !is_tmp(rfs_path_basename(rel)))
		return 0;
	rfs_buf_reset(&t->key);
	r = rfs_path_join(&t->key, t->dir, rel);
	if (r == 0)
		r = rfs_backend_unlink(t->j->dst, rfs_buf_str(&t->key));
	if (r < 0 && r != -ENOENT)
		t->left++;
	return 0;
}

static int drop_tmp_here(void *ctx, const char *name, const struct stat *st)
{
	return drop_tmp(ctx, name, st);
}

/* Temporaries a killed copy left at the target. @return how many are
 * left (they could not be listed or removed), 0 when none */
static int64_t cleanup_tmp(struct rjob *j)
{
	struct tmp_walk t = { j, j->r.target_key, RFS_BUF_INIT, 0 };
	char *parent =
		strndup(j->r.target_key, rfs_path_dirlen(j->r.target_key));
	struct stat st;
	int r;

	r = rfs_backend_stat(j->dst, j->r.target_key, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = job_walk(j->dst, j->r.target_key, drop_tmp, &t);
	if (r < 0 && r != -ENOENT)
		t.left++; /* unknown: say so */
	if (parent) {
		t.dir = parent;
		r = rfs_backend_list(j->dst, parent, drop_tmp_here, &t);
		if (r < 0 && r != -ENOENT)
			t.left++;
	}
	free(parent);
	rfs_buf_release(&t.key);
	return t.left;
}

static int step_done(struct rjob *j)
{
	struct rfs_error ignore = { 0 };
	struct rfs_entry now = { 0 };
	int r;

	cleanup_tmp(j);
	r = rfs_index_begin(j->idx, j->err);
	/* The entry as it is now: only where it was restored changes. */
	if (r == 0)
		r = rfs_index_entry_get(j->idx, j->e.id, &now, j->err);
	if (r == 0) {
		free(now.restored_to);
		now.restored_to = strdup(j->r.target);
		r = now.restored_to ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = rfs_index_entry_update(j->idx, &now, j->err);
	rfs_entry_release(&now);
	if (r == 0)
		r = history(j->idx, "restore.done", &j->e, &j->r, &ignore);
	if (r == 0) {
		j->r.state = RFS_RESTORE_DONE;
		j->r.files_done = j->r.files_total;
		j->r.bytes_done = j->r.bytes_total;
		r = rfs_index_restore_update(j->idx, &j->r, j->err);
	}
	if (r == 0)
		r = rfs_index_commit(j->idx, j->err);
	if (r < 0)
		rfs_index_rollback(j->idx);
	else /* a restore record for the catalog journal */
		rfs_journal_write(j->idx, NULL);
	return r;
}

static int set_state(struct rjob *j, enum rfs_restore_state s)
{
	j->r.state = s;
	j->r.files_done = j->r.bytes_done = 0;
	return rfs_index_restore_update(j->idx, &j->r, j->err);
}

static int run_steps(struct rjob *j)
{
	int r = 0;

	while (r == 0) {
		if (j->o && j->o->stop && *j->o->stop)
			return -EINTR;
		switch (j->r.state) {
		case RFS_RESTORE_CHECK:
			r = step_check(j);
			if (r == 0)
				r = set_state(j, RFS_RESTORE_COPY);
			break;
		case RFS_RESTORE_COPY:
			r = step_copy(j);
			if (r == 0)
				r = set_state(j, RFS_RESTORE_VERIFY);
			break;
		case RFS_RESTORE_VERIFY:
			r = for_rows(j, 0, verify_task, batch_errors);
			if (r == 0)
				r = set_state(j, RFS_RESTORE_PUBLISH);
			break;
		case RFS_RESTORE_PUBLISH:
			r = step_publish(j);
			if (r == 0)
				return step_done(j);
			break;
		case RFS_RESTORE_DONE:
			return 0;
		default:
			return -ECANCELED;
		}
	}
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
	struct rfs_error scratch = { 0 }, *err = j->err;
	const struct rfs_job_opts *o = j->o;
	int64_t left;
	int r;

	if (!j->dst || j->r.failed_step < RFS_RESTORE_COPY)
		return;
	left = cleanup_tmp(j);
	if (left)
		left = cleanup_tmp(j); /* once more: a fault may be passing */
	rfs_buf_init(&p.first, 0);
	j->present = &p;
	j->err = &scratch;
	j->o = NULL; /* a stop request does not cut the count short */
	r = for_rows(j, 0, present_task, present_done);
	j->err = err;
	j->o = o;
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

static void fail(struct rjob *j, int r)
{
	struct rfs_error ignore = { 0 };

	if (!j->err->code)
		rfs_error_set(j->err, -r, "%s", strerror(-r));
	rfs_index_rollback(j->idx);
	j->r.failed_step = j->r.state;
	j->r.state = RFS_RESTORE_FAILED;
	free(j->r.reason);
	j->r.reason = strdup(j->err->msg);
	describe_target(j);
	rfs_index_restore_update(j->idx, &j->r, &ignore);
}

static int take_lease(struct rjob *j)
{
	const char *self = rfs_job_owner_self();
	int64_t now = rfs_time_now_ns();
	bool taken = false;
	int r;

	if (j->r.lease_owner && !strcmp(j->r.lease_owner, self))
		return 0;
	if (j->r.lease_owner && j->r.lease_until_ns >= now &&
	    rfs_job_owner_alive(j->r.lease_owner))
		return rfs_error_set(j->err, EBUSY,
				     "the restore to '%s' is being run by "
				     "another process (%s)",
				     j->r.target, j->r.lease_owner);
	r = rfs_index_restore_lease(j->idx, j->r.id, j->r.lease_owner, self,
				    now + RFS_LEASE_TTL_NS, &taken, j->err);
	if (r == 0 && !taken)
		r = rfs_error_set(j->err, EBUSY,
				  "the restore to '%s' was taken by another "
				  "process",
				  j->r.target);
	return r;
}

static int run_claimed(struct rjob *j, int64_t id)
{
	struct job_heartbeat hb;
	bool taken;
	int r;

	r = rfs_index_restore_get(j->idx, id, &j->r, j->err);
	if (r == 0 && (j->r.state == RFS_RESTORE_DONE ||
		       j->r.state == RFS_RESTORE_FAILED))
		return -ECANCELED;
	if (r == 0)
		r = rfs_index_entry_get(j->idx, j->r.entry_id, &j->e, j->err);
	if (r == 0)
		r = take_lease(j);
	if (r < 0)
		return r;
	r = job_heartbeat_start(&hb, j->idx, id, rfs_index_restore_lease);
	if (r < 0)
		return r;
	r = rfs_backend_open(j->e.bin_root_uri, &j->bin, j->err);
	if (r == 0)
		r = rfs_backend_open(j->r.target_uri, &j->dst, j->err);
	j->parallel = job_parallel_files(j->idx, j->o, j->e.bin_root_uri,
					 j->r.target_uri);
	if (r == 0)
		r = run_steps(j);
	if (r < 0 && r != -EINTR)
		fail(j, r);
	job_heartbeat_stop(&hb);
	rfs_index_restore_lease(j->idx, id, rfs_job_owner_self(), NULL, 0,
				&taken, &(struct rfs_error){ 0 });
	return r;
}

int rfs_restore_run(struct rfs_index *idx, int64_t id,
		    const struct rfs_job_opts *o, struct rfs_error *err)
{
	struct rjob j = { .idx = idx, .o = o, .err = err };
	int r;

	if (!job_claim_local(-id))
		return rfs_error_set(err, EBUSY,
				     "the restore is already running here");
	rfs_buf_init(&j.conflicts, 0);
	r = run_claimed(&j, id);
	if (r < 0 && r != -EINTR && r != -ECANCELED)
		rfs_log(LOG_DEBUG, "restore %lld failed: %s", (long long)id,
			err->msg);
	rfs_backend_free(j.bin);
	rfs_backend_free(j.dst);
	rfs_buf_release(&j.conflicts);
	rfs_restore_release(&j.r);
	rfs_entry_release(&j.e);
	job_release_local(-id);
	return r;
}

int rfs_restore_attach(struct rfs_index *idx, int64_t id,
		       const struct rfs_job_opts *o, struct rfs_error *err)
{
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	struct rfs_error local = { 0 };
	int rc;

	if (!err)
		err = &local;
	for (;;) {
		struct rfs_restore now = { 0 };

		rfs_error_clear(err);
		rc = rfs_restore_run(idx, id, o, err);
		if (rc != -EBUSY && rc != -ECANCELED)
			return rc;
		/* Run by another process, or ended: where does it stand? */
		rfs_error_clear(err);
		rc = rfs_index_restore_get(idx, id, &now, err);
		if (rc == 0 && now.state == RFS_RESTORE_FAILED)
			rc = rfs_error_set(err, EIO, "%s",
					   now.reason ? now.reason : "failed");
		else if (rc == 0 && now.state != RFS_RESTORE_DONE)
			rc = -EBUSY;
		rfs_restore_release(&now);
		if (rc != -EBUSY)
			return rc;
		if (o && o->stop && *o->stop)
			return -EINTR;
		nanosleep(&tick, NULL);
	}
}

/* The restores of an entry that run now, and those waiting to resume. */
struct busy {
	int64_t now;
	int64_t running;
	char *running_to; /* the target of the first running one */
	int64_t *waiting; /* ids of those waiting to resume */
	size_t n_waiting, cap;
};

static int busy_restore(const struct rfs_restore *r, void *ctx)
{
	struct busy *b = ctx;

	if (r->lease_owner && r->lease_until_ns >= b->now &&
	    rfs_job_owner_alive(r->lease_owner)) {
		if (!b->running++)
			b->running_to = strdup(r->target);
		return 0;
	}
	if (b->n_waiting == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4;
		int64_t *v = realloc(b->waiting, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->waiting = v;
		b->cap = cap;
	}
	b->waiting[b->n_waiting++] = r->id;
	return 0;
}

/* Mark a restore waiting to resume failed: its entry is being purged. */
static int abandon(struct rfs_index *idx, int64_t id, struct rfs_error *err)
{
	struct rfs_restore r = { 0 };
	int rc;

	rc = rfs_index_restore_get(idx, id, &r, err);
	if (rc == 0) {
		r.failed_step = r.state;
		r.state = RFS_RESTORE_FAILED;
		free(r.reason);
		r.reason = strdup("abandoned: the entry was purged with "
				  "--force");
		rc = r.reason ? rfs_index_restore_update(idx, &r, err)
			      : -ENOMEM;
	}
	rfs_restore_release(&r);
	return rc;
}

int rfs_restore_purge_check(struct rfs_index *idx, int64_t entry_id,
			    const char *bin_path, bool force,
			    struct rfs_error *err)
{
	struct busy b = { .now = rfs_time_now_ns() };
	struct rfs_restore last = { 0 };
	int rc;

	rc = rfs_index_restore_list(idx, RFS_INDEX_RESTORES_RUNNABLE, entry_id,
				    busy_restore, &b, err);
	if (rc == 0 && b.running)
		rc = rfs_error_set(err, EBUSY,
				   "'.recyclebin/%s' is being restored to "
				   "'%s'; purge it once the restore has ended",
				   bin_path, b.running_to ? b.running_to : "?");
	free(b.running_to);
	if (rc == 0)
		rc = rfs_index_restore_latest(idx, entry_id, &last, err);
	if (rc == -ENOENT)
		last.state = RFS_RESTORE_DONE; /* never restored */
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0 && !force && last.state == RFS_RESTORE_FAILED)
		rc = rfs_error_set(
			err, EBUSY,
			"'.recyclebin/%s' is not purged: its latest restore, to "
			"'%s', failed at %s (%s); the recycle bin may hold the "
			"only complete copy: rerun the restore to finish it, or "
			"purge with --force",
			bin_path, last.target,
			rfs_restore_state_name(last.failed_step),
			last.reason ? last.reason : "no reason recorded");
	else if (rc == 0 && !force && last.state != RFS_RESTORE_DONE)
		rc = rfs_error_set(
			err, EBUSY,
			"'.recyclebin/%s' is not purged: its latest restore, to "
			"'%s', is unfinished (state %s, waiting to resume); the "
			"recycle bin may hold the only complete copy: rerun the "
			"restore to finish it, or purge with --force",
			bin_path, last.target,
			rfs_restore_state_name(last.state));
	rfs_restore_release(&last);
	for (size_t i = 0; rc == 0 && force && i < b.n_waiting; i++)
		rc = abandon(idx, b.waiting[i], err);
	free(b.waiting);
	return rc;
}
