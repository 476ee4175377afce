/*
 * The job kinds of the relational family (core/engine.h): archive,
 * restore and purge of one table whose storage runs the steps itself
 * (backends/rel.h: PostgreSQL). The entry, its states, its lease and its
 * records are those of a file archive; each step is one relational call.
 */
#include "core/job_priv.h"
#include "core/restore_job.h"

#include "backends/backend.h"
#include "backends/rel.h"
#include "core/archive.h"
#include "model/catalog.h"
#include "core/hook.h"
#include "util/names.h"
#include "core/journal.h"
#include "core/partitions.h"
#include "core/restore.h"
#include "core/restore_priv.h"
#include "model/storage.h"
#include "util/uri.h"
#include "core/ports.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often a step cut by a lost connection is run again at once. */
#define REL_ATTEMPTS 5

bool rfs_rel_uri(const char *uri)
{
	char scheme[32];
	size_t n = strcspn(uri ? uri : "", ":");
	const struct rfs_storage_class *cls;

	if (!uri || n >= sizeof(scheme) || uri[n] != ':')
		return false;
	memcpy(scheme, uri, n);
	scheme[n] = '\0';
	cls = rfs_storage_class_by_scheme(scheme);
	return cls && cls->family == RFS_FAMILY_RELATIONAL;
}

#ifdef RFS_TEST_HOOKS
/* A number from the environment (test builds only), or @p dflt. */
static long test_env(const char *name, long dflt)
{
	const char *v = getenv(name);
	long n = v && *v ? strtol(v, NULL, 10) : dflt;

	return n < 0 ? 0 : n;
}

/* RECYCLEFS_TEST_REL_PAUSE_MS: the pause before a step cut by a lost
 * connection runs again, instead of a second, so that the fault sweeps
 * of the relational kinds run in seconds. */
static struct timespec rel_pause(void)
{
	long ms = test_env("RECYCLEFS_TEST_REL_PAUSE_MS", 1000);

	return (struct timespec){ ms / 1000, (ms % 1000) * 1000000L };
}

/* RECYCLEFS_TEST_REL_ATTEMPTS: how often a step is run before the job
 * fails (1: a lost connection fails the job at once, so that the sweeps
 * reach the failure and its retry). */
static int rel_attempts(void)
{
	long n = test_env("RECYCLEFS_TEST_REL_ATTEMPTS", REL_ATTEMPTS);

	return n < 1 ? 1 : n > 100 ? 100 : (int)n;
}
#else
static struct timespec rel_pause(void)
{
	return (struct timespec){ 1, 0 };
}

static int rel_attempts(void)
{
	return REL_ATTEMPTS;
}
#endif

/* Run one step; a connection lost (a server restarting) is retried: every
 * step is idempotent. */
static int rel_call(struct rfs_engine_job *b, struct rfs_backend *be,
		    enum rfs_rel_step s, struct rfs_rel_item *it)
{
	const struct timespec pause = rel_pause();
	const int attempts = rel_attempts();
	int r;

	for (int i = 1;; i++) {
		rfs_error_clear(b->err);
		r = rfs_backend_rel_step(be, s, it, b->err);
		if (r != -EIO || i >= attempts || rfs_engine_stopped(b))
			break;
		rfs_log(LOG_DEBUG, "relational step %d: %s; again", (int)s,
			b->err->msg);
		nanosleep(&pause, NULL);
	}
	if (r == -ENOSYS)
		rfs_error_set(b->err, ENOSYS,
			      "storage '%s' runs no relational steps", be->uri);
	else if (r < 0 && !b->err->code)
		rfs_error_set(b->err, -r, "%s", strerror(-r));
	return r;
}

/* The item of an entry: its table in the source, its copy in the bin. */
static void entry_item(const struct rfs_entry *e, struct rfs_rel_item *it)
{
	memset(it, 0, sizeof(*it));
	it->key = e->item_key;
	it->bin_uri = e->bin_root_uri;
	it->id = e->uuid;
	it->origin = e->origin_path;
}

/*
 * The metastore hook's document for one table (docs/postgres.md): the
 * members of a file partition's call, the partition named by its
 * relation, with its parent and bound.
 */
static int hook_call(struct rfs_engine_job *b, const char *action,
		     const char *table, const char *lifecycle,
		     const char *epoch, const char *storage, const char *uri,
		     const char *item, const struct rfs_rel_item *it)
{
	char *hook = NULL, *json = NULL, *loc = NULL;
	json_t *d = NULL, *p;
	int r;

	r = rfs_hook_find(b->idx, table, &hook);
	if (r == -ENOENT)
		return 0; /* no metastore to tell */
	if (r < 0)
		return r;
	loc = rfs_uri_strip_query(uri);
	p = json_pack("{s:s, s:s?, s:s, s:s, s:{}, s:[], s:s, s:s?, s:s?}",
		      "spec", item, "location", loc, "uri", uri, "name",
		      it->relation ? it->relation : item, "values", "pairs",
		      "relation", it->relation ? it->relation : item, "parent",
		      it->parent, "bound", it->bound);
	if (p)
		d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, "
			      "s:[o]}",
			      "action", action, "table", table, "lifecycle",
			      lifecycle, "epoch", epoch, "storage",
			      storage ? storage : "", "storage_uri", uri,
			      "location", loc, "item", item, "partitions", p);
	json = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	r = json ? rfs_hook_run(hook, json, b->o ? b->o->hook_timeout : 0,
				b->err)
		 : -ENOMEM;
	free(json);
	free(loc);
	free(hook);
	return r;
}

/* ------------------------------------------------------------- archive */

static int arch_step(struct rfs_engine_job *b, enum rfs_rel_step s,
		     struct rfs_rel_item *it)
{
	struct job *j = (struct job *)b;
	int r;

	entry_item(&j->e, it);
	r = rel_call(b, j->src, s, it);
	if (r < 0)
		rfs_error_prefix(b->err, "archive of '%s'", j->e.origin_path);
	return r;
}

/* Snapshot: what the archive will prove; the entry gets one row (the
 * table, its size on the server) for the records a file archive keeps. */
static int rel_snapshot(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;
	struct rfs_rel_item it;
	struct rfs_entry_file f = { .path = "", .type = RFS_FILE_REG };
	int r = arch_step(b, RFS_REL_SNAPSHOT, &it);

	f.mode = 0644;
	f.mtime_ns = f.atime_ns = rfs_time_now_ns();
	f.size = it.bytes;
	if (r == 0)
		r = rfs_index_begin(b->idx, b->err);
	if (r == 0) {
		r = rfs_index_file_delete_all(b->idx, j->e.id, b->err);
		if (r == 0)
			r = rfs_index_file_insert(b->idx, j->e.id, &f, b->err);
		r = r == 0 ? rfs_index_commit(b->idx, b->err) : r;
		if (r < 0)
			rfs_index_rollback(b->idx);
	}
	if (r == 0) {
		j->e.files_total = 1;
		j->e.bytes_total = it.bytes;
		rfs_log(LOG_DEBUG, "archive of '%s': %s, %lld rows",
			j->e.origin_path, it.relation, (long long)it.rows);
	}
	rfs_rel_item_release(&it);
	return r;
}

static int rel_sync(struct rfs_engine_job *b)
{
	struct rfs_rel_item it;
	int r = arch_step(b, RFS_REL_SYNC, &it);

	rfs_rel_item_release(&it);
	return r;
}

static int rel_verify(struct rfs_engine_job *b)
{
	struct rfs_rel_item it;
	int r = arch_step(b, RFS_REL_VERIFY, &it);

	rfs_rel_item_release(&it);
	return r;
}

/* Unpublish: the metastore hook, then the detach from the parent (the
 * database's own metastore); both before anything is dropped. */
static int rel_unpublish(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;
	struct rfs_rel_item it;
	int r = arch_step(b, RFS_REL_DESCRIBE, &it);

	if (r == 0) {
		r = hook_call(b, "drop_partitions", j->e.table, j->e.lifecycle,
			      j->e.epoch, j->e.storage, j->e.src_uri,
			      j->e.item_key, &it);
		if (r < 0)
			rfs_error_prefix(b->err,
					 "partitions of '%s' were not dropped, "
					 "nothing was deleted",
					 j->e.origin_path);
	}
	rfs_rel_item_release(&it);
	if (r == 0)
		r = arch_step(b, RFS_REL_UNPUBLISH, &it);
	rfs_rel_item_release(&it);
	return r;
}

/* Delete: drop the source; then the manifest row and the entry become
 * archived (the entry last: a crash before resumes here). */
static int rel_delete(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;
	struct rfs_rel_item it;
	int r = arch_step(b, RFS_REL_DELETE, &it);

	rfs_rel_item_release(&it);
	if (r == 0) /* the bin holds the only copy now */
		r = rfs_index_file_update(b->idx, j->e.id, "", NULL,
					  RFS_FILE_DELETED, b->err);
	if (r == 0)
		r = arch_step(b, RFS_REL_FINISH, &it);
	rfs_rel_item_release(&it);
	if (r < 0)
		return r;
	j->e.state = RFS_ENTRY_ARCHIVED;
	j->e.deleted_ns = rfs_time_now_ns();
	j->e.files_done = j->e.files_total;
	j->e.bytes_done = j->e.bytes_total;
	r = rfs_index_entry_update(b->idx, &j->e, b->err);
	if (r < 0)
		j->e.state = RFS_ENTRY_DELETE;
	else
		rfs_journal_write(b->idx, NULL);
	return r;
}

/* The states and resume rules of a file archive. */
static const struct rfs_engine_step rel_archive_steps[] = {
	{ RFS_ENTRY_SNAPSHOT, "snapshot", rel_snapshot, RFS_ENTRY_SYNC,
	  RFS_ENTRY_SNAPSHOT },
	{ RFS_ENTRY_SYNC, "sync", rel_sync, RFS_ENTRY_VERIFY,
	  RFS_ENTRY_SNAPSHOT },
	{ RFS_ENTRY_VERIFY, "verify", rel_verify, RFS_ENTRY_UNPUBLISH,
	  RFS_ENTRY_SNAPSHOT },
	{ RFS_ENTRY_UNPUBLISH, "unpublish", rel_unpublish, RFS_ENTRY_DELETE,
	  RFS_ENTRY_UNPUBLISH },
	{ RFS_ENTRY_DELETE, "delete", rel_delete, RFS_ENGINE_END,
	  RFS_ENTRY_DELETE },
	{ RFS_ENTRY_ARCHIVED, "archived", NULL, RFS_ENGINE_END,
	  RFS_ENTRY_ARCHIVED },
};

/* A failure is recorded as a file archive's: the entry failed with its
 * step and reason; before delete the table is still in the database
 * (attached again by a delete that found it changed), and `recyclefs
 * retry` resumes. */
const struct rfs_engine_kind rfs_job_kind_rel_archive = {
	.name = "archive",
	.steps = rel_archive_steps,
	.n_steps = sizeof(rel_archive_steps) / sizeof(rel_archive_steps[0]),
	.fail = rfs_job_entry_fail_archive,
	JOB_ENTRY_KIND_OPS,
};

/* --------------------------------------------------------------- purge */

static int rel_purge(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;
	struct rfs_rel_item it;
	int r;

	entry_item(&j->e, &it);
	it.key = "";
	r = rel_call(b, j->bin, RFS_REL_PURGE, &it);
	rfs_rel_item_release(&it);
	if (r < 0) {
		rfs_error_prefix(b->err, "purging '%s' failed", j->e.bin_path);
		return r;
	}
	j->e.purged_ns = rfs_time_now_ns();
	return 0;
}

static const struct rfs_engine_step rel_purge_steps[] = {
	{ RFS_ENTRY_PURGING, "purge", rel_purge, RFS_ENTRY_PURGED,
	  RFS_ENTRY_PURGING },
	{ RFS_ENTRY_PURGED, "purged", NULL, RFS_ENGINE_END, RFS_ENTRY_PURGED },
};

const struct rfs_engine_kind rfs_job_kind_rel_purge = {
	.name = "purge",
	.steps = rel_purge_steps,
	.n_steps = sizeof(rel_purge_steps) / sizeof(rel_purge_steps[0]),
	.fail = rfs_job_entry_fail_purge,
	JOB_ENTRY_KIND_OPS,
};

/* ------------------------------------------------------------- restore */

/* A table's restore: the job and the members of a file restore
 * (core/restore_job.h: RESTORE_KIND_OPS); its steps, storage and
 * failure are its own. */

static int rest_step(struct rfs_engine_job *b, enum rfs_rel_step s,
		     struct rfs_rel_item *it)
{
	struct rjob *j = (struct rjob *)b;
	int r;

	entry_item(&j->e, it);
	it->key = j->r.target_key;
	r = rel_call(b, j->dst, s, it);
	if (r < 0)
		rfs_error_prefix(b->err, "restore of '%s' to '%s'",
				 j->e.bin_path, j->r.target);
	return r;
}

#define REST_STEP(fn, step)                                                    \
	static int fn(struct rfs_engine_job *b)                                \
	{                                                                      \
		struct rfs_rel_item it;                                        \
		int r = rest_step(b, step, &it);                               \
		rfs_rel_item_release(&it);                                     \
		return r;                                                      \
	}

REST_STEP(rest_check, RFS_REL_RESTORE_CHECK)
REST_STEP(rest_copy, RFS_REL_RESTORE_COPY)
REST_STEP(rest_verify, RFS_REL_RESTORE_VERIFY)

/* Publish: attach with the saved bound, then the hook's add_partitions,
 * then done (rfs_restore_record_done()). */
static int rest_publish(struct rfs_engine_job *b)
{
	struct rjob *j = (struct rjob *)b;
	struct rfs_rel_item it;
	int r = rest_step(b, RFS_REL_RESTORE_ATTACH, &it);

	if (r == 0 && j->r.target_table) {
		r = hook_call(b, "add_partitions", j->r.target_table,
			      j->r.target_lifecycle, j->r.target_epoch, NULL,
			      j->r.target_uri, j->r.target_key, &it);
		if (r < 0)
			rfs_error_prefix(b->err,
					 "the data of '%s' is restored but its "
					 "partitions were not added",
					 j->r.target);
	}
	rfs_rel_item_release(&it);
	return r < 0 ? r : rfs_restore_record_done(j);
}

/* No file of ours to report at the target: the server copies the rows
 * in one transaction. */
static void rest_fail(struct rfs_engine_job *b, int r)
{
	struct rjob *j = (struct rjob *)b;
	struct rfs_error ignore = { 0 };

	(void)r;
	rfs_restore_mark_failed(j);
	rfs_index_restore_update(b->idx, &j->r, &ignore);
}

/* The target's storage only: its server reads the copy itself. */
static int rest_open(struct rfs_engine_job *b)
{
	struct rjob *j = (struct rjob *)b;

	b->parallel = 1;
	return rfs_ports_open(j->r.target_uri, &j->dst, b->err);
}

/* The states and resume rules of a file restore. */
static const struct rfs_engine_step rel_restore_steps[] = {
	{ RFS_RESTORE_CHECK, "check", rest_check, RFS_RESTORE_COPY,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_COPY, "copy", rest_copy, RFS_RESTORE_VERIFY,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_VERIFY, "verify", rest_verify, RFS_RESTORE_PUBLISH,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_PUBLISH, "publish", rest_publish, RFS_ENGINE_END,
	  RFS_RESTORE_CHECK },
	{ RFS_RESTORE_DONE, "done", NULL, RFS_ENGINE_END, RFS_RESTORE_DONE },
};

static const struct rfs_engine_kind rel_kind_restore = {
	.name = "restore",
	.steps = rel_restore_steps,
	.n_steps = sizeof(rel_restore_steps) / sizeof(rel_restore_steps[0]),
	.open = rest_open,
	.fail = rest_fail,
	RESTORE_KIND_OPS,
};

bool rfs_rel_restore_wanted(struct rfs_index *idx, int64_t id)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	bool yes = false;

	if (rfs_index_restore_get(idx, id, &r, NULL) == 0 &&
	    rfs_index_entry_get(idx, r.entry_id, &e, NULL) == 0)
		yes = rfs_rel_uri(e.bin_root_uri);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	return yes;
}

int rfs_rel_restore_run(struct rfs_index *idx, int64_t id,
			const struct rfs_job_opts *o, struct rfs_error *err)
{
	struct rjob j = { .base = { .kind = &rel_kind_restore,
				    .idx = idx,
				    .id = id,
				    .o = o,
				    .err = err } };

	return rfs_engine_run(&j.base);
}

/* ------------------------------------------------------------- reindex */

struct rel_scan {
	struct rfs_index *idx;
	const struct rfs_catalog *cat;
	const struct rfs_storage *s;
	const char *bin_uri;
	rfs_reindex_fn fn;
	void *ctx;
	int *added;
};

/* The epoch of origin "T/L/E/item" on storage @p s, and the item. */
static const struct rfs_epoch *origin_epoch(const struct rfs_catalog *cat,
					    const struct rfs_storage *s,
					    const char *origin,
					    const char **item)
{
	char part[3][RFS_NAME_MAX + 1];
	const struct rfs_table *t;
	const struct rfs_lifecycle *lc;
	const struct rfs_epoch *ep;
	const char *p = origin;

	for (int i = 0; i < 3; i++) {
		size_t n = strcspn(p, "/");

		if (!p[n] || n > RFS_NAME_MAX)
			return NULL;
		snprintf(part[i], sizeof(part[i]), "%.*s", (int)n, p);
		p += n + 1;
	}
	t = rfs_catalog_table(cat, part[0]);
	lc = t ? rfs_table_lifecycle(t, part[1]) : NULL;
	ep = lc ? rfs_lifecycle_epoch(lc, part[2]) : NULL;
	if (!ep || strcmp(ep->storage->name, s->name) || !*p || strchr(p, '/'))
		return NULL;
	*item = p;
	return ep;
}

/* An entry for a manifest row: the copy's name ends with 8 hex digits of
 * the entry's uuid, so the rebuilt entry names the same copy. */
static int rel_entry(const struct rel_scan *sc, const struct rfs_epoch *ep,
		     const char *item, const struct rfs_rel_manifest *m,
		     struct rfs_entry *e)
{
	const char *us = strrchr(m->copy, '_');
	char *bin = NULL;
	int r = 0;

	memset(e, 0, sizeof(*e));
	if (!us || strlen(us + 1) != 8 ||
	    strspn(us + 1, "0123456789abcdef") != 8)
		return -EINVAL;
	snprintf(e->uuid, sizeof(e->uuid), "%.8s%024d", us + 1, 0);
	for (unsigned int n = 1; r == 0 && n < 1000; n++) {
		struct rfs_entry other = { 0 };

		free(bin);
		if ((n == 1 ? asprintf(&bin, "%s", m->origin)
			    : asprintf(&bin, "%s.~%u~", m->origin, n)) < 0)
			return -ENOMEM;
		if (rfs_index_entry_by_bin_path(sc->idx, bin, &other, NULL) < 0)
			break; /* free */
		rfs_entry_release(&other);
	}
	e->bin_path = bin;
	e->origin_path = strdup(m->origin);
	e->table = strdup(ep->lifecycle->table->name);
	e->lifecycle = strdup(ep->lifecycle->name);
	e->epoch = strdup(ep->name);
	e->epoch_id = ep->id;
	e->item_key = strdup(item);
	e->storage = strdup(sc->s->name);
	e->src_uri = strdup(ep->uri);
	e->bin_root_uri = strdup(sc->bin_uri);
	e->is_dir = true;
	e->files_total = e->files_done = 1;
	e->bytes_total = e->bytes_done = m->bytes;
	e->created_ns = m->copied_ns;
	e->updated_ns = rfs_time_now_ns();
	e->deleted_ns = m->archived_ns;
	if (!strcmp(m->state, "archived")) {
		e->state = RFS_ENTRY_ARCHIVED;
	} else {
		/* Rebuilt before the archive finished: a retry goes on from
		 * where its manifest stands (each step checks first). */
		e->state = RFS_ENTRY_FAILED;
		e->failed_step =
			!strcmp(m->state, "loaded")	? RFS_ENTRY_SYNC
			: !strcmp(m->state, "copied")	? RFS_ENTRY_VERIFY
			: !strcmp(m->state, "verified") ? RFS_ENTRY_UNPUBLISH
							: RFS_ENTRY_DELETE;
		if (asprintf(&e->reason,
			     "rebuilt from the manifest of %s, which stands "
			     "at %s; run 'recyclefs retry' to finish",
			     m->copy, m->state) < 0)
			e->reason = NULL;
	}
	if (!e->bin_path || !e->origin_path || !e->table || !e->lifecycle ||
	    !e->epoch || !e->item_key || !e->storage || !e->src_uri ||
	    !e->bin_root_uri)
		return -ENOMEM;
	return 0;
}

static int rel_import(void *ctx, const struct rfs_rel_manifest *m)
{
	const struct rel_scan *sc = ctx;
	struct rfs_reindex_report rep = { .storage = sc->s->name,
					  .manifest = m->copy };
	struct rfs_entry_file f = { .path = "", .type = RFS_FILE_REG };
	struct rfs_entry e = { 0 }, have = { 0 };
	struct rfs_error why = { 0 };
	const struct rfs_epoch *ep;
	const char *item = NULL;
	int r;

	ep = m->origin ? origin_epoch(sc->cat, sc->s, m->origin, &item) : NULL;
	if (!ep) {
		r = rfs_error_set(&why, ENOENT,
				  "its origin '%s' is no epoch of storage '%s' "
				  "in the catalog",
				  m->origin ? m->origin : "", sc->s->name);
		goto report;
	}
	r = rel_entry(sc, ep, item, m, &e);
	if (r == -EINVAL)
		rfs_error_set(&why, EINVAL,
			      "'%s' is not a name recyclefs gives", m->copy);
	if (r == 0 &&
	    rfs_index_entry_by_uuid(sc->idx, e.uuid, &have, NULL) == 0) {
		r = -EEXIST; /* indexed already, at its own bin path */
		goto report;
	}
	if (r == 0)
		r = rfs_index_begin(sc->idx, &why);
	if (r == 0) {
		f.size = m->bytes;
		f.mode = 0644;
		f.mtime_ns = f.atime_ns = m->copied_ns;
		f.state = e.state == RFS_ENTRY_ARCHIVED ? RFS_FILE_DELETED
							: RFS_FILE_VERIFIED;
		r = rfs_index_entry_insert(sc->idx, &e, &why);
		if (r == 0)
			r = rfs_index_file_insert(sc->idx, e.id, &f, &why);
		if (r == 0)
			r = rfs_index_history_add(sc->idx, "reindex",
						  e.origin_path, NULL, &why);
		if (r == 0)
			r = rfs_index_commit(sc->idx, &why);
		if (r < 0)
			rfs_index_rollback(sc->idx);
	}
	if (r == 0 && sc->added)
		++*sc->added;
report:
	rep.bin_path = have.bin_path ? have.bin_path : e.bin_path;
	rep.result = r;
	rep.reason = r < 0 && r != -EEXIST ? why.msg : NULL;
	if (sc->fn)
		sc->fn(sc->ctx, &rep);
	rfs_entry_release(&have);
	rfs_entry_release(&e);
	return 0;
}

void rfs_rel_reindex_storage(struct rfs_index *idx, const struct rfs_storage *s,
			     rfs_reindex_fn fn, void *ctx, int *added)
{
	struct rfs_reindex_report rep = { .storage = s->name,
					  .manifest = "rfs_manifest" };
	struct rel_scan sc = { idx, NULL, s, NULL, fn, ctx, added };
	struct rfs_catalog *cat = NULL;
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };
	char *bin = NULL;
	int r;

	r = rfs_index_load_catalog(idx, &cat, &err);
	if (r == 0)
		r = rfs_ports_open(s->uri, &b, &err);
	if (r == 0 && s->bin_uri)
		bin = strdup(s->bin_uri);
	else if (r == 0)
		r = rfs_backend_rel_bin_uri(b, &bin);
	if (r == 0 && !bin)
		r = -ENOMEM;
	sc.cat = cat;
	sc.bin_uri = bin;
	if (r == 0)
		r = rfs_backend_rel_manifests(b, bin, rel_import, &sc, &err);
	if (r < 0 && fn) {
		rep.result = r;
		rep.reason = err.msg[0] ? err.msg : strerror(-r);
		fn(ctx, &rep);
	}
	free(bin);
	rfs_backend_free(b);
	rfs_catalog_free(cat);
}
