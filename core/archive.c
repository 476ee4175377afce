/*
 * The recycle bin's use cases that only touch the index: starting an
 * archive, retrying, starting a purge, finding an entry.
 */
#include "core/archive.h"

#include "backends/backend.h"
#include "backends/rel.h"
#include "core/ports.h"
#include "core/bin.h"
#include "core/copy.h"
#include "model/catalog.h"
#include "model/entry.h"
#include "core/json_name.h"
#include "core/job_priv.h"
#include "core/jobs.h"
#include "util/names.h"
#include "model/storage.h"
#include "core/tableformat.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/restores.h"
#include "index/index.h"
#include "index/parts.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* The parts of an origin path, resolved in the catalog. */
struct origin {
	char *path; /* normalised "T/L/E[/item]" */
	const struct rfs_epoch *epoch;
	const char *item; /* points into path: "" for the whole epoch */
};

static int resolve_origin(const struct rfs_catalog *cat, const char *in,
			  struct origin *o, struct rfs_error *err)
{
	const struct rfs_table *t;
	const struct rfs_lifecycle *lc;
	char name[RFS_NAME_MAX + 1];
	const char *p, *rest;
	size_t n;
	int r;

	o->path = strdup(rfs_path_skip_root(in));
	if (!o->path)
		return -ENOMEM;
	rfs_relpath_normalize(o->path);
	r = rfs_datapath_check("path", o->path, err);
	if (r < 0)
		return r;
	if (!*o->path)
		return rfs_error_set(err, EPERM,
				     "the catalog root cannot be archived");
	p = o->path;
	n = rfs_path_first(p, &rest);
	snprintf(name, sizeof(name), "%.*s", (int)n, p);
	t = rfs_catalog_table(cat, name);
	if (!t)
		return rfs_error_set(err, ENOENT, "no table '%s'", name);
	if (!*rest)
		return rfs_error_set(err, EPERM,
				     "'%s' is a table: only items under an "
				     "epoch can be archived (archive its "
				     "epochs one by one)",
				     o->path);
	p = rest;
	n = rfs_path_first(p, &rest);
	snprintf(name, sizeof(name), "%.*s", (int)n, p);
	lc = rfs_table_lifecycle(t, name);
	if (!lc)
		return rfs_error_set(err, ENOENT,
				     "table '%s' has no lifecycle '%s'",
				     t->name, name);
	if (!*rest)
		return rfs_error_set(err, EPERM,
				     "'%s' is a lifecycle: only items under an "
				     "epoch can be archived (archive its "
				     "epochs one by one)",
				     o->path);
	p = rest;
	n = rfs_path_first(p, &rest);
	snprintf(name, sizeof(name), "%.*s", (int)n, p);
	o->epoch = rfs_lifecycle_epoch(lc, name);
	if (!o->epoch)
		return rfs_error_set(err, ENOENT,
				     "lifecycle '%s/%s' has no epoch '%s'",
				     t->name, lc->name, name);
	o->item = rest;
	if (o->epoch->bin_key && rfs_path_is_under(o->item, o->epoch->bin_key))
		return rfs_error_set(err, EPERM,
				     "'%s' is the storage's recycle bin", in);
	return 0;
}

/*
 * A part of a transactional table (Delta, Iceberg, Hudi) is never archived
 * alone: its table's log names its files. Looks at the folders above the
 * item up to the storage's root; the whole table root may be archived.
 */
static int check_table_format(const struct origin *o, struct rfs_error *err)
{
	const struct rfs_epoch *ep = o->epoch;
	struct rfs_buf key = RFS_BUF_INIT, root = RFS_BUF_INIT;
	enum rfs_table_format fmt = RFS_TABLE_FORMAT_NONE;
	size_t root_len = 0, ep_len = strlen(ep->path);
	struct rfs_backend *b = NULL;
	int r;

	r = rfs_path_join(&key, ep->path, o->item);
	if (r < 0 || !*rfs_buf_str(&key))
		goto out; /* the storage's root has nothing above it */
	r = rfs_ports_open(ep->storage->uri, &b, err);
	if (r == 0)
		r = rfs_table_format_above(b, rfs_buf_str(&key), &fmt,
					   &root_len);
	if (r < 0) {
		r = rfs_error_set(err, -r,
				  "cannot look for a table log above '%s': %s",
				  o->path, strerror(-r));
		goto out;
	}
	if (fmt == RFS_TABLE_FORMAT_NONE)
		goto out;
	/* Name the root as the user sees it: in the epoch, or else in the
	 * storage (a root above the epoch's folder). */
	if (root_len >= ep_len) {
		size_t at = ep_len + (ep_len && root_len > ep_len);

		r = rfs_buf_add(&root, o->path,
				strlen(o->path) - strlen(o->item) -
					(*o->item ? 1 : 0));
		if (r == 0 && root_len > at)
			r = rfs_buf_addf(&root, "/%.*s", (int)(root_len - at),
					 rfs_buf_str(&key) + at);
	} else
		r = rfs_buf_addf(&root, "%.*s in storage '%s'", (int)root_len,
				 rfs_buf_str(&key), ep->storage->name);
	if (r == 0)
		r = rfs_error_set(
			err, EPERM,
			"archive refused: '%s' is part of the %s table at "
			"'%s' (its log, %s, names the table's files): "
			"archiving a part would leave the log pointing at "
			"missing files; archive the whole table root, or "
			"remove old partitions with %s's own tools (see "
			"docs/recyclebin.md)",
			o->path, rfs_table_format_name(fmt), rfs_buf_str(&root),
			rfs_table_format_marker(fmt),
			rfs_table_format_name(fmt));
out:
	rfs_backend_free(b);
	rfs_buf_release(&key);
	rfs_buf_release(&root);
	return r;
}

/* A table of relational storage: its recycle location is the storage's
 * bin, or the default one its adapter names (a schema of its database). */
static int check_rel_item(const struct origin *o, char **bin,
			  struct rfs_error *err)
{
	const struct rfs_storage *s = o->epoch->storage;
	struct rfs_backend *b;
	int r;

	if (s->bin_uri) {
		*bin = strdup(s->bin_uri);
		return *bin ? 0 : -ENOMEM;
	}
	r = rfs_ports_open(o->epoch->uri, &b, err);
	if (r < 0)
		return r;
	r = rfs_backend_rel_bin_uri(b, bin);
	rfs_backend_free(b);
	if (r < 0)
		return rfs_error_set(err, -r,
				     "storage '%s' has no recycle location "
				     "for '%s': %s",
				     s->name, o->path, strerror(-r));
	return 0;
}

/* Check the item on its storage: it must exist, reached without leaving
 * the storage. */
/* The item is a special file: refused at once where the bin keeps none
 * (a folder's are refused by the job's snapshot, core/job.c). */
static int check_special(const struct origin *o, enum rfs_file_type t,
			 struct rfs_error *err)
{
	const char *uri = o->epoch->storage->bin_uri;
	struct rfs_backend *bin;
	bool keeps;
	int r;

	r = rfs_ports_open(uri, &bin, err);
	if (r < 0)
		return r;
	keeps = rfs_backend_has(bin, RFS_BACKEND_CAP_SPECIAL);
	rfs_backend_free(bin);
	return keeps ? 0
		     : rfs_copy_special_refuse(err, o->path, t,
					       "the recycle storage", uri);
}

static int check_item(const struct origin *o, bool *is_dir, char **rel_bin,
		      struct rfs_error *err)
{
	const struct rfs_storage *s = o->epoch->storage;
	bool rel = s->cls->family == RFS_FAMILY_RELATIONAL;
	struct rfs_backend *b;
	struct stat st;
	int r;

	if (rel && !*o->item)
		return rfs_error_set(err, EPERM,
				     "'%s' is an epoch of relational storage "
				     "'%s': archive its tables one by one",
				     o->path, s->name);
	if ((!s->bin_uri && !rel) || !rfs_ports_supported(s->cls->schemes[0]))
		return rfs_error_set(err, EPERM,
				     "storage '%s' is %s (%s): recyclefs has "
				     "no data path to archive '%s'",
				     s->name, rfs_family_name(s->cls->family),
				     s->cls->name, o->path);
	r = rfs_ports_open(o->epoch->uri, &b, err);
	if (r < 0)
		return r;
	r = rfs_backend_stat(b, o->item, &st);
	rfs_backend_free(b);
	if (rel && r == 0 && (!S_ISDIR(st.st_mode) || strchr(o->item, '/')))
		return rfs_error_set(err, EPERM,
				     "'%s' is a file inside a table of "
				     "relational storage '%s': archive the "
				     "table's folder",
				     o->path, s->name);
	if (r == -ELOOP || r == -EXDEV)
		return rfs_error_set(err, EPERM,
				     "'%s' goes through a symbolic link that "
				     "leaves its storage",
				     o->path);
	if (r == -ENOENT || r == -ENOTDIR)
		return rfs_error_set(err, ENOENT, "no '%s' in storage '%s'",
				     o->path, s->name);
	if (r < 0)
		return rfs_error_set(err, -r, "cannot read '%s': %s", o->path,
				     strerror(-r));
	*is_dir = S_ISDIR(st.st_mode);
	if (!rel && rfs_copy_special_type(st.st_mode)) {
		r = check_special(o, rfs_copy_special_type(st.st_mode), err);
		if (r < 0)
			return r;
	}
	if (rel) /* a table: its storage runs the steps (core/kind_rel.c) */
		return check_rel_item(o, rel_bin, err);
	return check_table_format(o, err);
}

static int new_uuid(char out[RFS_ENTRY_UUID_LEN])
{
	unsigned char raw[16];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Live entries around an origin: what a new archive clashes with. */
struct around {
	const char *origin;
	struct rfs_buf bins; /* NUL-separated bin paths */
	size_t n;
	struct rfs_entry busy;	  /* an archiving or failed one, if any */
	struct rfs_entry already; /* an archived one at exactly origin */
};

static int collect_around(const struct rfs_entry *e, void *ctx)
{
	struct around *a = ctx;
	int r;

	r = rfs_buf_add(&a->bins, e->bin_path, strlen(e->bin_path) + 1);
	if (r < 0)
		return r;
	a->n++;
	if ((rfs_entry_state_archiving(e->state) ||
	     e->state == RFS_ENTRY_FAILED) &&
	    !a->busy.id)
		return rfs_entry_copy(&a->busy, e);
	if (e->state == RFS_ENTRY_ARCHIVED &&
	    !strcmp(e->origin_path, a->origin))
		return a->already.id ? 0 : rfs_entry_copy(&a->already, e);
	return 0;
}

static int busy_error(const struct around *a, const char *origin,
		      struct rfs_error *err)
{
	const struct rfs_entry *b = &a->busy;

	if (b->state == RFS_ENTRY_FAILED)
		return rfs_error_set(err, EBUSY,
				     "a failed archive of '%s' is in the bin "
				     "as '%s'; run 'recyclefs retry %s' or "
				     "purge it first",
				     b->origin_path, b->bin_path, b->bin_path);
	return rfs_error_set(err, EBUSY,
			     "'%s' is being archived already (as '%s', state "
			     "%s); it cannot be archived again until that ends",
			     strcmp(b->origin_path, origin) ? b->origin_path
							    : origin,
			     b->bin_path, rfs_entry_state_name(b->state));
}

static int fill_entry(struct rfs_entry *e, const struct origin *o, bool is_dir,
		      const char *rel_bin, char *bin_path, const char *owner)
{
	const struct rfs_epoch *ep = o->epoch;
	int64_t now = rfs_time_now_ns();
	int r;

	memset(e, 0, sizeof(*e));
	r = new_uuid(e->uuid);
	if (r < 0)
		return r;
	e->bin_path = bin_path;
	e->origin_path = strdup(o->path);
	e->table = strdup(ep->lifecycle->table->name);
	e->lifecycle = strdup(ep->lifecycle->name);
	e->epoch = strdup(ep->name);
	e->epoch_id = ep->id;
	e->item_key = strdup(o->item);
	e->storage = strdup(ep->storage->name);
	e->src_uri = strdup(ep->uri);
	e->bin_root_uri = strdup(rel_bin ? rel_bin : ep->storage->bin_uri);
	e->is_dir = is_dir;
	e->state = RFS_ENTRY_SNAPSHOT;
	e->created_ns = e->updated_ns = now;
	if (owner) {
		e->lease_owner = strdup(owner);
		e->lease_until_ns = now + RFS_LEASE_TTL_NS;
	}
	if (!e->origin_path || !e->table || !e->lifecycle || !e->epoch ||
	    !e->item_key || !e->storage || !e->src_uri || !e->bin_root_uri ||
	    (owner && !e->lease_owner))
		return -ENOMEM;
	return 0;
}

static int history(struct rfs_index *idx, const char *action,
		   const struct rfs_entry *e, struct rfs_error *err)
{
	json_t *d = json_pack("{s:s, s:o, s:s}", "uuid", e->uuid, "bin_path",
			      rfs_json_name(e->bin_path), "state",
			      rfs_entry_state_name(e->state));
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	int r;

	json_decref(d);
	if (!text)
		return -ENOMEM;
	r = rfs_index_history_add(idx, action, e->origin_path, text, err);
	free(text);
	return r;
}

/* Inside the transaction: recheck the neighbours, allocate, insert. */
static int insert_locked(struct rfs_index *idx, const struct origin *o,
			 bool is_dir, const char *rel_bin, const char *owner,
			 struct rfs_entry *out, struct rfs_error *err)
{
	struct around a = { .origin = o->path, .bins = RFS_BUF_INIT };
	const char **taken = NULL;
	struct rfs_entry e = { 0 };
	char *bin_path = NULL;
	const char *p;
	size_t i;
	int r;

	r = rfs_index_entry_list_overlapping(idx, o->path, collect_around, &a,
					     err);
	if (r < 0)
		goto out;
	if (a.busy.id) {
		r = busy_error(&a, o->path, err);
		goto out;
	}
	taken = calloc(a.n + 1, sizeof(*taken));
	if (!taken) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0, p = rfs_buf_str(&a.bins); i < a.n; i++, p += strlen(p) + 1)
		taken[i] = p;
	r = rfs_bin_path_alloc(o->path, taken, a.n, &bin_path);
	if (r == 0)
		r = fill_entry(&e, o, is_dir, rel_bin, bin_path, owner);
	else
		free(bin_path);
	if (r == 0)
		r = rfs_index_entry_insert(idx, &e, err);
	if (r == 0)
		r = history(idx, "archive", &e, err);
	if (r == 0 && out)
		*out = e;
	else
		rfs_entry_release(&e);
out:
	free(taken);
	rfs_buf_release(&a.bins);
	rfs_entry_release(&a.busy);
	rfs_entry_release(&a.already);
	return r;
}

/* The item is gone: already archived by an earlier run? */
static int already(struct rfs_index *idx, const struct origin *o,
		   struct rfs_entry *out, struct rfs_error *err)
{
	struct around a = { .origin = o->path, .bins = RFS_BUF_INIT };
	struct rfs_error ignore = { 0 };
	int r;

	r = rfs_index_entry_list_overlapping(idx, o->path, collect_around, &a,
					     &ignore);
	rfs_buf_release(&a.bins);
	rfs_entry_release(&a.busy);
	if (r < 0 || !a.already.id)
		return -ENOENT;
	rfs_error_clear(err);
	rfs_error_set(err, EALREADY, "'%s' is archived already, as '%s'",
		      o->path, a.already.bin_path);
	if (out)
		*out = a.already;
	else
		rfs_entry_release(&a.already);
	return -EALREADY;
}

int rfs_archive_begin(struct rfs_index *idx, const char *origin,
		      const char *owner, struct rfs_entry *out,
		      struct rfs_error *err)
{
	struct rfs_catalog *cat = NULL;
	struct origin o = { 0 };
	char *rel_bin = NULL;
	bool is_dir = false;
	int r;

	r = rfs_index_load_catalog(idx, &cat, err);
	if (r == 0)
		r = resolve_origin(cat, origin, &o, err);
	if (r == 0)
		r = check_item(&o, &is_dir, &rel_bin, err);
	if (r == -ENOENT && o.epoch && already(idx, &o, out, err) == -EALREADY)
		r = -EALREADY;
	if (r < 0)
		goto out;
	r = rfs_index_begin(idx, err);
	if (r < 0)
		goto out;
	r = insert_locked(idx, &o, is_dir, rel_bin, owner, out, err);
	if (r == 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
out:
	free(rel_bin);
	free(o.path);
	rfs_catalog_free(cat);
	return r;
}

/* An archive planned on a catalog snapshot (rfs_archive_plan()). */
struct rfs_archive_plan {
	struct origin o;
	bool is_dir;
	char *rel_bin;
};

void rfs_archive_plan_free(struct rfs_archive_plan *p)
{
	if (!p)
		return;
	free(p->rel_bin);
	free(p->o.path);
	free(p);
}

int rfs_archive_plan(const struct rfs_catalog *cat, const char *origin,
		     struct rfs_archive_plan **out, struct rfs_error *err)
{
	struct rfs_archive_plan *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return rfs_error_set(err, ENOMEM, "out of memory");
	r = resolve_origin(cat, origin, &p->o, err);
	if (r == 0)
		r = check_item(&p->o, &p->is_dir, &p->rel_bin, err);
	if (r < 0) {
		rfs_archive_plan_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int rfs_archive_commit(struct rfs_index *idx, const struct rfs_archive_plan *p,
		       const char *owner, struct rfs_entry *out,
		       struct rfs_error *err)
{
	int r = rfs_index_begin(idx, err);

	if (r < 0)
		return r;
	r = rfs_index_epoch_current(idx, p->o.epoch, err);
	if (r == 0)
		r = insert_locked(idx, &p->o, p->is_dir, p->rel_bin, owner, out,
				  err);
	if (r == 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
	return r;
}

int rfs_archive_retry(struct rfs_index *idx, int64_t id, struct rfs_error *err)
{
	struct rfs_entry e = { 0 };
	int r;

	r = rfs_index_begin(idx, err);
	if (r < 0)
		return r;
	r = rfs_index_entry_get(idx, id, &e, err);
	if (r == 0 && e.state != RFS_ENTRY_FAILED)
		r = rfs_error_set(err, EINVAL,
				  "'%s' is %s, not failed: nothing to retry",
				  e.bin_path, rfs_entry_state_name(e.state));
	if (r == 0) {
		/* Where the failed step's resume rule says: before the
		 * data was verified, a fresh listing (copies already made
		 * are reused). */
		e.state = rfs_engine_retry_state(&rfs_job_kind_archive,
						 e.failed_step);
		free(e.reason);
		e.reason = NULL;
		e.files_done = e.bytes_done = 0;
		r = rfs_index_entry_update(idx, &e, err);
	}
	if (r == 0)
		r = history(idx, "archive.retry", &e, err);
	if (r == 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
	rfs_entry_release(&e);
	return r;
}

int rfs_purge_begin(struct rfs_index *idx, int64_t id, struct rfs_error *err)
{
	return rfs_purge_begin_flags(idx, id, 0, err);
}

int rfs_purge_begin_flags(struct rfs_index *idx, int64_t id,
			  enum rfs_purge_flags flags, struct rfs_error *err)
{
	struct rfs_entry e = { 0 };
	int r;

	r = rfs_index_begin(idx, err);
	if (r < 0)
		return r;
	r = rfs_index_entry_get(idx, id, &e, err);
	if (r == 0 && rfs_entry_state_archiving(e.state))
		r = rfs_error_set(err, EBUSY,
				  "'%s' is still being archived (state %s); "
				  "it can be purged once it is archived or "
				  "failed",
				  e.bin_path, rfs_entry_state_name(e.state));
	if (r == 0 && e.state != RFS_ENTRY_PURGED &&
	    e.state != RFS_ENTRY_PURGING) {
		/* A restore reading from the bin must end first, and one
		 * that failed or waits to resume keeps the bin's copy. */
		r = rfs_restore_purge_check(idx, id, e.bin_path,
					    flags & RFS_PURGE_FORCE, err);
	}
	if (r == 0 && e.state == RFS_ENTRY_FAILED) {
		/* A failure while deleting the source leaves files whose only
		 * copy is in the bin: those are not purged. */
		int64_t gone = 0;

		r = rfs_index_file_count(idx, id, RFS_FILE_DELETED, &gone, NULL,
					 err);
		if (r == 0 && gone > 0)
			r = rfs_error_set(err, EBUSY,
					  "'%s' failed after %lld of its files "
					  "were removed from the source: the "
					  "bin holds their only copy; retry "
					  "the archive or restore it before "
					  "purging",
					  e.bin_path, (long long)gone);
	}
	if (r == 0 && e.state != RFS_ENTRY_PURGED &&
	    e.state != RFS_ENTRY_PURGING) {
		e.state = RFS_ENTRY_PURGING;
		e.files_done = e.bytes_done = 0;
		r = rfs_index_entry_update(idx, &e, err);
		if (r == 0) /* its queued parts go with it */
			r = rfs_index_part_drop(idx, id, NULL, 0, err);
		if (r == 0)
			r = history(idx, "purge", &e, err);
	}
	if (r == 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
	rfs_entry_release(&e);
	return r;
}
