/*
 * What a user does in .recyclebin: rm (purge: recorded here, run by the
 * mount's job workers), setfattr user.recyclefs.restore (a restore), the
 * user.recyclefs.* attributes of entries, and the archive a rename into
 * the bin starts. The bin's kind of node.
 */
#include "fs/bin.h"

#include "backends/backend.h"
#include "core/archive.h"
#include "model/catalog.h"
#include "model/entry.h"
#include "core/jobs.h"
#include "core/part_job.h"
#include "core/restore.h"
#include "index/restores.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/parts.h"
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
#include <time.h>

/* Purge a whole entry, what rm -rf ends with: recorded here (one index
 * transaction), run by the mount's job workers. The entry leaves the
 * bin's view at once: a snapshot without it is swapped in on this thread
 * (a purging entry is not shown), and the watcher reloads the catalog and
 * tells the kernel; no reload and no step of the purge runs here. Its
 * recycle data goes in the background, and a purge that fails shows it
 * again with state failed. */
static int purge_now(struct req *q, const struct fs_bin_entry *e,
		     const char *path)
{
	struct rfs_error err = { 0 };
	int r;

	pthread_mutex_lock(&q->st->wlock);
	r = rfs_purge_begin(q->st->widx, e->id, &err);
	pthread_mutex_unlock(&q->st->wlock);
	if (r == -EBUSY)
		rfs_log(LOG_WARNING, "purge of '%s' refused: %s", path,
			err.msg);
	else if (r < 0)
		rfs_log(LOG_ERR, "purge of '%s' failed: %s", path, err.msg);
	else
		rfs_log(LOG_INFO, "purge of '%s' started", path);
	if (r == 0) {
		rfs_fs_snap_drop_entry(q->st, e->id);
		rfs_jobs_kick(q->st->jobs);
	}
	return r;
}

/* rm or rmdir of a part of an archived entry: queued here (one short index
 * transaction), purged by the mount's job workers with the entry's other
 * queued parts, in one manifest rewrite. The part is gone from the mount
 * as soon as this returns. */
static int queue_part(struct req *q, const struct fs_bin_entry *e,
		      const char *sub, const char *op, const char *path)
{
	struct rfs_error err = { 0 };
	int r;

	pthread_mutex_lock(&q->st->wlock);
	r = rfs_part_queue(q->st->widx, e->id, sub, &err);
	pthread_mutex_unlock(&q->st->wlock);
	if (r == 0) {
		rfs_fs_parts_add(q->st, e->id, sub);
		if (q->st->jobs)
			rfs_jobs_kick(q->st->jobs);
	} else if (r == -EBUSY) {
		rfs_log(LOG_WARNING, "%s of '%s' refused: %s", op, path,
			err.msg);
	} else if (r != -ENOENT && r != -ENOTEMPTY) {
		rfs_log(LOG_ERR, "%s of '%s' failed: %s", op, path, err.msg);
	}
	return r;
}

static int busy(enum rfs_entry_state state, const char *op, const char *path)
{
	rfs_log(LOG_WARNING,
		"%s of '%s' refused: it is still being archived (state %s)", op,
		path, rfs_entry_state_name(state));
	return -EBUSY;
}

/*
 * The state of entry @p e a change is decided on: the snapshot's, unless
 * it still says the entry is being archived. The snapshot follows the
 * index a reload later, and the attributes and `recyclefs wait` read the
 * index: an entry they already call archived must not be refused as
 * still archiving, so the index is asked then.
 */
static enum rfs_entry_state state_now(struct req *q,
				      const struct fs_bin_entry *e)
{
	enum rfs_entry_state state = e->state;
	struct rfs_entry now = { 0 };

	if (!rfs_entry_state_archiving(state))
		return state;
	pthread_mutex_lock(&q->st->wlock);
	if (rfs_index_entry_get(q->st->widx, e->id, &now, NULL) == 0)
		state = now.state;
	pthread_mutex_unlock(&q->st->wlock);
	rfs_entry_release(&now);
	return state;
}

/*
 * Deleting recycle data (rm, rm -rf) while the entry's restore runs, or
 * after its latest restore failed or stopped half way, could delete the
 * only complete copy: EBUSY, with the reason logged.
 */
static int restore_guard(struct req *q, const struct fs_bin_entry *e,
			 const char *op, const char *path)
{
	struct rfs_error err = { 0 };
	int r;

	pthread_mutex_lock(&q->st->wlock);
	r = rfs_restore_purge_check(q->st->widx, e->id, e->bin_path, false,
				    &err);
	pthread_mutex_unlock(&q->st->wlock);
	if (r == -EBUSY)
		rfs_log(LOG_WARNING, "%s of '%s' refused: %s", op, path,
			err.msg);
	else if (r < 0)
		rfs_log(LOG_ERR, "%s of '%s' failed: %s", op, path, err.msg);
	return r;
}

static int bin_unlink_path(struct req *q, const char *path)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_error err = { 0 };
	struct rfs_backend *b;
	struct bin_node bn;
	enum rfs_entry_state state;
	int r;

	r = rfs_fs_bin_resolve(q, &bn);
	if (r < 0)
		return r;
	if (bn.kind != BIN_ENTRY)
		return -EISDIR;
	state = state_now(q, bn.e);
	if (rfs_entry_state_archiving(state))
		return busy(state, "unlink", path);
	r = restore_guard(q, bn.e, "unlink", path);
	if (r < 0)
		return r;
	if (!*bn.sub)
		return purge_now(q, bn.e, path);
	/* One file of an entry: deleted from recycle storage for good. */
	r = rfs_fs_bin_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0 && b->ops->rel) {
		/* A relational copy is one table, its files two views of it:
		 * removing one purges the entry (what rm -rf starts with). */
		rfs_buf_release(&key);
		return purge_now(q, bn.e, path);
	}
	if (r == 0 && state == RFS_ENTRY_ARCHIVED) {
		/* With its manifest row and its share of the counts, by a
		 * worker. */
		rfs_buf_release(&key);
		return queue_part(q, bn.e, bn.sub, "unlink", path);
	}
	if (r == 0)
		r = rfs_backend_unlink(b, rfs_buf_str(&key));
	if (r == 0) {
		pthread_mutex_lock(&q->st->wlock);
		rfs_index_file_update(q->st->widx, bn.e->id, bn.sub, NULL,
				      RFS_FILE_PURGED, &err);
		pthread_mutex_unlock(&q->st->wlock);
	}
	rfs_buf_release(&key);
	return r;
}

static int bin_rmdir_path(struct req *q, const char *path)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_error err = { 0 };
	struct rfs_backend *b;
	struct bin_node bn;
	enum rfs_entry_state state;
	int r;

	r = rfs_fs_bin_resolve(q, &bn);
	if (r < 0)
		return r;
	switch (bn.kind) {
	case BIN_ROOT:
		return rfs_fs_refuse(
			"rmdir", path,
			"the recycle bin itself cannot be removed");
	case BIN_DIR:
		return -ENOTEMPTY;
	case BIN_GHOST:
		return 0; /* nothing is there */
	case BIN_ENTRY:
		break;
	}
	state = state_now(q, bn.e);
	if (rfs_entry_state_archiving(state))
		return busy(state, "rmdir", path);
	r = restore_guard(q, bn.e, "rmdir", path);
	if (r == 0)
		r = rfs_fs_bin_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0 && *bn.sub && state == RFS_ENTRY_ARCHIVED) {
		r = queue_part(q, bn.e, bn.sub, "rmdir", path);
	} else if (r == 0 && *bn.sub) {
		r = rfs_backend_rmdir(b, rfs_buf_str(&key));
	} else if (r == 0 && state == RFS_ENTRY_ARCHIVED) {
		/* The entry's root: like any folder, only once empty, its
		 * parts purged or queued; the purge of the whole entry then
		 * takes the queued ones over. */
		pthread_mutex_lock(&q->st->wlock);
		r = rfs_index_part_blocked(q->st->widx, bn.e->id, "", NULL,
					   &err);
		pthread_mutex_unlock(&q->st->wlock);
		if (r == 1)
			r = -ENOTEMPTY;
		else if (r < 0)
			rfs_log(LOG_ERR, "rmdir of '%s' failed: %s", path,
				err.msg);
		else
			r = purge_now(q, bn.e, path);
	} else if (r == 0) {
		/* The entry's root: like any folder, only once empty. */
		struct stat st;

		r = rfs_backend_stat(b, rfs_buf_str(&key), &st);
		if (r == 0 && S_ISDIR(st.st_mode))
			r = rfs_backend_rmdir(b, rfs_buf_str(&key));
		if (r == -ENOENT)
			r = 0;
		if (r == 0)
			r = purge_now(q, bn.e, path);
	}
	rfs_buf_release(&key);
	return r;
}

/* The newest restore of an entry, for its attributes. */
static int last_restore(const struct rfs_restore *r, void *ctx)
{
	struct rfs_restore *last = ctx;

	rfs_restore_release(last);
	last->id = r->id;
	last->state = r->state;
	last->target = strdup(r->target);
	last->reason = r->reason ? strdup(r->reason) : NULL;
	return 0;
}

/* The user.recyclefs.* attributes of a bin path. */
static int entry_attrs(struct req *q, const struct bin_node *bn,
		       struct rfs_buf *names, const char *want,
		       struct rfs_buf *value)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };
	char when[40], num[32];
	int r;

#define ATTR(n, v)                                                             \
	do {                                                                   \
		if (!want) {                                                   \
			rfs_buf_addstr(names, "user.recyclefs." n);            \
			rfs_buf_addch(names, '\0');                            \
		} else if (!strcmp(want, "user.recyclefs." n)) {               \
			rfs_buf_addstr(value, (v));                            \
			r = 1;                                                 \
		}                                                              \
	} while (0)

	r = 0;
	if (bn->kind != BIN_ENTRY) {
		ATTR("kind", "recyclebin");
		return r;
	}
	if (*bn->sub)
		return 0;
	pthread_mutex_lock(&q->st->wlock);
	r = rfs_index_entry_get(q->st->widx, bn->e->id, &e, &err);
	pthread_mutex_unlock(&q->st->wlock);
	if (r < 0)
		return r;
	ATTR("kind", "recycled");
	ATTR("state", rfs_entry_state_name(e.state));
	ATTR("origin", e.origin_path);
	ATTR("uuid", e.uuid);
	ATTR("storage", e.storage);
	ATTR("source_uri", e.src_uri);
	ATTR("bin_uri", e.bin_root_uri);
	ATTR("bin_path", e.bin_path);
	{
		/* The version a command by origin path acts on. */
		struct rfs_entry nw = { 0 };

		pthread_mutex_lock(&q->st->wlock);
		if (rfs_entry_find(q->st->widx, e.origin_path, &nw, NULL) < 0)
			nw.bin_path = NULL;
		pthread_mutex_unlock(&q->st->wlock);
		if (nw.bin_path)
			ATTR("newest", nw.bin_path);
		rfs_entry_release(&nw);
	}
	ATTR("archived_at", rfs_time_format(e.created_ns, when, sizeof(when)));
	if (e.deleted_ns)
		ATTR("deleted_at",
		     rfs_time_format(e.deleted_ns, when, sizeof(when)));
	snprintf(num, sizeof(num), "%lld", (long long)e.files_total);
	ATTR("files", num);
	snprintf(num, sizeof(num), "%lld", (long long)e.files_done);
	ATTR("files_done", num);
	snprintf(num, sizeof(num), "%lld", (long long)e.bytes_total);
	ATTR("bytes_total", num);
	snprintf(num, sizeof(num), "%lld", (long long)e.bytes_done);
	ATTR("bytes_done", num);
	if (e.reason)
		ATTR("reason", e.reason);
	if (e.state == RFS_ENTRY_FAILED)
		ATTR("failed_step", rfs_entry_state_name(e.failed_step));
	if (e.restored_to)
		ATTR("restored_to", e.restored_to);
	{
		struct rfs_restore last = { 0 };

		pthread_mutex_lock(&q->st->wlock);
		rfs_index_restore_list(q->st->widx, RFS_INDEX_RESTORES_ALL,
				       e.id, last_restore, &last, &err);
		pthread_mutex_unlock(&q->st->wlock);
		if (last.id) {
			ATTR("restore_state",
			     rfs_restore_state_name(last.state));
			ATTR("restore_target", last.target ? last.target : "");
			if (last.reason)
				ATTR("restore_reason", last.reason);
		}
		rfs_restore_release(&last);
	}
	{
		/* Parts queued by rm, not purged yet, and why a batch
		 * failed. */
		struct rfs_index_part_status ps = { 0 };

		pthread_mutex_lock(&q->st->wlock);
		rfs_index_part_status(q->st->widx, e.id, &ps, &err);
		pthread_mutex_unlock(&q->st->wlock);
		if (ps.queued) {
			snprintf(num, sizeof(num), "%lld",
				 (long long)ps.queued);
			ATTR("parts_queued", num);
			if (ps.reason)
				ATTR("parts_reason", ps.reason);
		}
		free(ps.reason);
	}
#undef ATTR
	rfs_entry_release(&e);
	return r;
}

static int copy_out(const struct rfs_buf *b, char *out, size_t size)
{
	if (size == 0)
		return (int)b->len;
	if (size < b->len)
		return -ERANGE;
	memcpy(out, b->data, b->len);
	return (int)b->len;
}

/*
 * The attributes a relational recycle copy shows of its table (user.pg.*,
 * as its epoch did): getxattr of @p name, or listxattr with @p name NULL.
 * @return as the backend's call; -ENODATA (or 0 names) for other entries
 */
static int rel_attrs(struct req *q, const struct bin_node *bn, const char *name,
		     char *value, size_t size)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	int r;

	if (bn->kind != BIN_ENTRY)
		return name ? -ENODATA : 0;
	r = rfs_fs_bin_location(q, bn->e, bn->sub, &b, &key);
	if (r == 0 && !b->ops->rel)
		r = -ENOSYS; /* files: the entry's attributes only */
	else if (r == 0 && name)
		r = (int)rfs_backend_getxattr(b, rfs_buf_str(&key), name, value,
					      size);
	else if (r == 0)
		r = (int)rfs_backend_listxattr(b, rfs_buf_str(&key), value,
					       size);
	if (r == -ENOENT || r == -ENOSYS)
		r = name ? -ENODATA : 0;
	rfs_buf_release(&key);
	return r;
}

static int bin_getxattr(struct req *q, const char *name, char *value,
			size_t size)
{
	struct rfs_buf v = RFS_BUF_INIT;
	struct bin_node bn;
	int r;

	r = rfs_fs_bin_resolve(q, &bn);
	if (r == 0)
		r = entry_attrs(q, &bn, NULL, name, &v);
	if (r == 0)
		r = rel_attrs(q, &bn, name, value, size);
	else if (r > 0)
		r = copy_out(&v, value, size);
	rfs_buf_release(&v);
	return r;
}

static int bin_listxattr(struct req *q, char *list, size_t size)
{
	struct rfs_buf names = RFS_BUF_INIT;
	struct bin_node bn;
	int r;

	r = rfs_fs_bin_resolve(q, &bn);
	if (r == 0)
		r = entry_attrs(q, &bn, &names, NULL, NULL);
	if (r >= 0) {
		/* and a relational copy's own, after them */
		int n = rel_attrs(q, &bn, NULL, NULL, 0);
		char *more = n > 0 ? malloc(n) : NULL;

		if (more && rel_attrs(q, &bn, NULL, more, n) == n)
			rfs_buf_add(&names, more, n);
		free(more);
		r = copy_out(&names, list, size);
	}
	rfs_buf_release(&names);
	return r;
}

/* Any file open for writing under the item? */
static bool has_writer(struct rfs_fs_state *st, int64_t epoch_id,
		       const char *item)
{
	struct fs_writer *w;
	bool found = false;

	pthread_mutex_lock(&st->lock);
	for (w = st->writers; w && !found; w = w->next)
		found = w->writing && w->epoch_id == epoch_id &&
			rfs_path_is_under(w->key, item);
	pthread_mutex_unlock(&st->lock);
	return found;
}

/*
 * A file closed just before the mv may still be noted as open: close()
 * returns before the kernel's RELEASE of it reaches the daemon (files of
 * local storage send no FLUSH). So a writer under the item gets up to
 * WRITER_GRACE_NS to go before the archive is refused; a file really held
 * open for writing is refused after that wait.
 */
#define WRITER_GRACE_NS (1000 * 1000 * 1000LL)

static bool writer_stays(struct rfs_fs_state *st, int64_t epoch_id,
			 const char *item)
{
	int64_t until = rfs_time_mono_ns() + WRITER_GRACE_NS;
	const struct timespec pause = { 0, 10 * 1000 * 1000 };

	while (has_writer(st, epoch_id, item)) {
		if (rfs_time_mono_ns() >= until)
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static int bin_restore(struct req *q, const char *path, const char *value,
		       size_t size, bool overwrite)
{
	struct rfs_restore_target to = { .overwrite = overwrite };
	struct rfs_error err = { 0 };
	struct rfs_restore out = { 0 };
	char *v = strndup(value, size);
	int r;

	if (!v)
		return -ENOMEM;
	/* Strip what echo and shells leave at the end. */
	while (*v && (v[strlen(v) - 1] == '\n' || v[strlen(v) - 1] == ' '))
		v[strlen(v) - 1] = '\0';
	if (strstr(v, "://"))
		to.to_uri = v;
	else if (*v && strcmp(v, ".") && strcmp(v, "origin"))
		to.to = v;
	r = rfs_fs_bin_restore_allowed(q, path, &to);
	if (r < 0) {
		free(v);
		return r;
	}
	pthread_mutex_lock(&q->st->wlock);
	/* The full path: through .recyclebin/ it names exactly this entry,
	 * not the newest version of its origin. The target is planned on
	 * the request's catalog snapshot (no catalog load under the lock). */
	r = rfs_restore_begin_cat(q->st->widx, q->snap->cat, path, &to, false,
				  NULL, &out, &err);
	pthread_mutex_unlock(&q->st->wlock);
	if (r < 0) {
		rfs_log(LOG_WARNING, "restore of '%s': %s", path, err.msg);
	} else {
		rfs_log(LOG_INFO, "restoring '%s' to '%s'", path, out.target);
		if (q->st->jobs)
			rfs_jobs_kick(q->st->jobs);
	}
	rfs_restore_release(&out);
	free(v);
	return r;
}

int rfs_fs_bin_archive(struct req *src, const char *from, const char *dst_rest)
{
	const struct rfs_epoch *e = src->node.epoch;
	struct rfs_archive_plan *plan = NULL;
	struct rfs_buf origin = RFS_BUF_INIT;
	struct rfs_error err = { 0 };
	struct rfs_entry out = { 0 };
	const char *o;
	int r;

	r = rfs_buf_addf(&origin, "%s/%s/%s", e->lifecycle->table->name,
			 e->lifecycle->name, e->name);
	if (r == 0 && *src->node.rest)
		r = rfs_buf_addf(&origin, "/%s", src->node.rest);
	if (r < 0)
		return r;
	o = rfs_buf_str(&origin);
	/* mv X .recyclebin/ names the item's own name; mv X to its mirrored
	 * path names the whole origin, or, as the mirrored place shows as a
	 * folder, the origin with the item's name once more. */
	if (strcmp(dst_rest, rfs_path_basename(o)) && strcmp(dst_rest, o) &&
	    !(rfs_path_is_under(dst_rest, o) && dst_rest[strlen(o)] == '/' &&
	      !strcmp(dst_rest + strlen(o) + 1, rfs_path_basename(o)))) {
		r = rfs_fs_refuse("rename", from,
				  "move it to .recyclebin/ or to its mirrored "
				  "path in .recyclebin");
		goto out;
	}
	if (writer_stays(src->st, e->id, src->node.rest)) {
		rfs_log(LOG_WARNING,
			"archive of '%s' refused: a file under it is open for "
			"writing",
			o);
		r = -EBUSY;
		goto out;
	}
	/* Planned on the request's catalog snapshot, the item checked in
	 * its storage, with no lock held; only the index transaction (which
	 * refuses a snapshot older than a change of the item's epoch) runs
	 * under the lock. */
	r = rfs_archive_plan(src->snap->cat, o, &plan, &err);
	if (r == 0) {
		pthread_mutex_lock(&src->st->wlock);
		r = rfs_archive_commit(src->st->widx, plan, NULL, &out, &err);
		pthread_mutex_unlock(&src->st->wlock);
	}
	rfs_archive_plan_free(plan);
	if (r < 0) {
		rfs_log(LOG_WARNING, "archive of '%s' refused: %s", o, err.msg);
		if (r == -EALREADY)
			r = -ENOENT;
		goto out;
	}
	rfs_log(LOG_INFO, "archiving '%s' to '.recyclebin/%s'", o,
		out.bin_path);
	rfs_fs_snap_add_entry(src->st, &out);
	if (src->st->jobs)
		rfs_jobs_kick(src->st->jobs);
out:
	rfs_entry_release(&out);
	rfs_buf_release(&origin);
	return r;
}

/* The bin's kind: a live view (the kernel keeps nothing of it), read-only
 * but for rm (purge) and the restore attributes. */

static int bin_create(struct req *q, const char *name, mode_t mode, int flags,
		      struct rfs_file **f)
{
	(void)name;
	(void)mode;
	(void)flags;
	(void)f;
	return rfs_fs_bin_refuse_new(q, "create", q->path);
}

static int bin_mknod(struct req *q, const char *name, mode_t mode, dev_t rdev)
{
	(void)name;
	(void)mode;
	(void)rdev;
	return rfs_fs_bin_refuse_new(q, "mknod", q->path);
}

static int bin_mkdir(struct req *q, const char *name, mode_t mode)
{
	(void)name;
	(void)mode;
	return rfs_fs_bin_refuse_new(q, "mkdir", q->path);
}

static int bin_symlink(struct req *q, const char *target, const char *name)
{
	(void)target;
	(void)name;
	return rfs_fs_bin_refuse_new(q, "symlink", q->path);
}

/* The request of @p name in folder @p q, for a path-based operation. */
static int child(struct req *q, const char *name, char *path, size_t size,
		 struct req *c)
{
	int r = rfs_fs_path_join(path, size, q->path, name);

	return r < 0 ? r : rfs_fs_req_begin(c, q->st, path);
}

static int bin_unlink(struct req *q, const char *name)
{
	char path[4096 + 256];
	struct req c;
	int r = child(q, name, path, sizeof(path), &c);

	if (r < 0)
		return r;
	r = bin_unlink_path(&c, path);
	rfs_fs_req_end(&c);
	return r;
}

static int bin_rmdir(struct req *q, const char *name)
{
	char path[4096 + 256];
	struct req c;
	int r = child(q, name, path, sizeof(path), &c);

	if (r < 0)
		return r;
	r = bin_rmdir_path(&c, path);
	rfs_fs_req_end(&c);
	return r;
}

static int bin_setattr(struct req *q, const struct stat *a, int to_set)
{
	(void)a;
	(void)to_set;
	return rfs_fs_kind_refuse(q, "setattr", q->path);
}

static int bin_setxattr(struct req *q, const char *name, const char *value,
			size_t size, int flags)
{
	(void)flags;
	if (!strcmp(name, "user.recyclefs.restore") ||
	    !strcmp(name, "user.recyclefs.restore_overwrite"))
		return bin_restore(q, q->path, value, size,
				   !strcmp(name, "user.recyclefs.restore_"
						 "overwrite"));
	if (rfs_fs_is_rfs_attr(name))
		return rfs_fs_refuse(
			"setxattr", q->path,
			"user.recyclefs.* attributes are read-only");
	return rfs_fs_kind_refuse(q, "setxattr", q->path);
}

const struct fs_kind rfs_fs_kind_bin = {
	.what = "the recycle bin",
	.live = true,
	.getattr = rfs_fs_bin_getattr,
	.setattr = bin_setattr,
	.readlink = rfs_fs_bin_readlink,
	.list = rfs_fs_bin_list,
	.open = rfs_fs_bin_open,
	.create = bin_create,
	.mknod = bin_mknod,
	.mkdir = bin_mkdir,
	.symlink = bin_symlink,
	.unlink = bin_unlink,
	.rmdir = bin_rmdir,
	.getxattr = bin_getxattr,
	.listxattr = bin_listxattr,
	.setxattr = bin_setxattr,
	.removexattr = rfs_fs_refuse_removexattr,
	.statfs = rfs_fs_index_statfs,
};
