/*
 * Restore: plan a copy out of the recycle bin (target, families) and
 * record it; core/kind_restore.c runs it as a job.
 */
#include "core/restore.h"

#include "backends/backend.h"
#include "core/ports.h"
#include "core/archive.h"
#include "model/catalog.h"
#include "core/copy.h"
#include "model/entry.h"
#include "core/hook.h"
#include "core/job_priv.h"
#include "core/json_name.h"
#include "core/restore_priv.h"
#include "core/jobs.h"
#include "util/names.h"
#include "core/namespace.h"
#include "core/part_job.h"
#include "core/partitions.h"
#include "model/storage.h"
#include "util/uri.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/parts.h"
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

/* Data goes only into a storage of its family, with a data path. */
static int family_check(const struct rfs_entry *e, const char *item,
			const struct rfs_storage_class *to, const char *to_name,
			struct rfs_error *err)
{
	const struct rfs_storage_class *from =
		rfs_storage_class_of_uri(e->bin_root_uri);

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
	if (!rfs_ports_supported(to->schemes[0]))
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
		if (rfs_rel_uri(r->target_uri) &&
		    strstr(r->target_uri, "table=")) {
			/* the URI names the table itself */
			r->target = strdup(r->target_uri);
		} else if (asprintf(&r->target, "%s%s%s", r->target_uri,
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
	char *special; /* the first special file's path, or NULL */
	enum rfs_file_type special_type;
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
	if (!t->special && rfs_file_type_special(f->type)) {
		t->special = strdup(f->path);
		t->special_type = f->type;
		if (!t->special)
			return -ENOMEM;
	}
	return 0;
}

/* The part restored holds special files: refused up front where the
 * target keeps none (an object store). */
static int check_special(const struct rfs_entry *e, const struct totals *t,
			 const struct rfs_restore *r, struct rfs_error *err)
{
	struct rfs_buf path = RFS_BUF_INIT;
	struct rfs_backend *dst;
	bool keeps;
	int rc;

	if (!t->special)
		return 0;
	rc = rfs_ports_open(r->target_uri, &dst, err);
	if (rc < 0)
		return rc;
	keeps = rfs_backend_has(dst, RFS_BACKEND_CAP_SPECIAL);
	rfs_backend_free(dst);
	if (keeps)
		return 0;
	rc = rfs_path_join(&path, e->origin_path, t->special);
	if (rc == 0)
		rc = rfs_copy_special_refuse(
			err, rfs_buf_str(&path), t->special_type,
			"the restore target", r->target_uri);
	rfs_buf_release(&path);
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
		  const struct rfs_epoch *check, struct rfs_restore *r,
		  struct rfs_error *err)
{
	int rc;

	rc = rfs_index_begin(idx, err);
	if (rc == 0 && check) /* planned on an older snapshot */
		rc = rfs_index_epoch_current(idx, check, err);
	if (rc == 0)
		rc = join_active(idx, r, err);
	if (rc == 0 && !r->joined) {
		rc = rfs_index_restore_insert(idx, r, err);
		if (rc == 0)
			rc = rfs_restore_history(idx, "restore", e, r, err);
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
	return rfs_restore_begin_cat(idx, NULL, path, to, dry_run, owner, out,
				     err);
}

int rfs_restore_begin_cat(struct rfs_index *idx, const struct rfs_catalog *snap,
			  const char *path, const struct rfs_restore_target *to,
			  bool dry_run, const char *owner,
			  struct rfs_restore *out, struct rfs_error *err)
{
	struct rfs_index_file_query q = { .state = -1 };
	struct rfs_restore r = { 0 };
	const struct rfs_epoch *check = NULL;
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
	if (rc == 0 && !snap)
		rc = rfs_index_load_catalog(idx, &cat, err);
	if (rc == 0)
		rc = plan_target(snap ? snap : cat, &e, rfs_buf_str(&full), to,
				 &r, err);
	if (rc == 0)
		rc = check_special(&e, &t, &r, err);
	if (rc < 0)
		goto out;
	if (snap && r.target_epoch_id)
		check = epoch_by_id(snap, r.target_epoch_id);
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
		rc = record(idx, &e, check, &r, err);
out:
	if (rc == 0 && out)
		*out = r;
	else
		rfs_restore_release(&r);
	rfs_buf_release(&full);
	rfs_catalog_free(cat);
	rfs_entry_release(&e);
	free(t.special);
	return rc;
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

/* The kind is chosen by the entry's recycle copy: a table is restored by
 * its storage (core/kind_rel.c), files by the restore kind. */
/* Parts of the entry queued by rm go before its restore starts copying,
 * so that it restores what is left; a batch run elsewhere makes it
 * wait (-EBUSY), a batch that fails leaves its parts listed, restored. */
static int purge_queued_first(struct rfs_index *idx, int64_t id,
			      const struct rfs_job_opts *o,
			      struct rfs_error *err)
{
	struct rfs_index_part_status ps = { 0 };
	struct rfs_restore r = { 0 };
	struct rfs_error ignore = { 0 };
	int rc = rfs_index_restore_get(idx, id, &r, &ignore);

	if (rc == 0 && r.state == RFS_RESTORE_CHECK &&
	    rfs_index_part_status(idx, r.entry_id, &ps, &ignore) == 0 &&
	    ps.queued > 0) {
		rc = rfs_part_job_run(idx, r.entry_id, o, &ignore);
		if (rc == -EBUSY)
			rc = rfs_error_set(err, EBUSY,
					   "the restore waits for the purge of "
					   "%lld parts of its entry queued by "
					   "rm",
					   (long long)ps.queued);
		else
			rc = 0;
	} else {
		rc = 0;
	}
	free(ps.reason);
	rfs_restore_release(&r);
	return rc;
}

int rfs_restore_run(struct rfs_index *idx, int64_t id,
		    const struct rfs_job_opts *o, struct rfs_error *err)
{
	int rc = purge_queued_first(idx, id, o, err);

	if (rc < 0)
		return rc;
	if (rfs_rel_restore_wanted(idx, id))
		return rfs_rel_restore_run(idx, id, o, err);
	return rfs_restore_files_run(idx, id, o, err);
}
