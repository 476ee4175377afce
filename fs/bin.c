/*
 * The .recyclebin directory of the mount: a view of the live recycle
 * entries at their mirrored paths, the archive started by a rename into
 * it, and purge by rm inside it.
 */
#include "fs/internal.h"

#include "backends/backend.h"
#include "core/archive.h"
#include "core/catalog.h"
#include "core/entry.h"
#include "core/jobs.h"
#include "core/restore.h"
#include "index/restores.h"
#include "index/entries.h"
#include "index/index.h"
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

struct load {
	struct fs_snap *s;
	size_t cap;
};

static int load_entry(const struct rfs_entry *e, void *ctx)
{
	struct load *l = ctx;
	struct fs_bin_entry *b;

	/* Being purged: gone for the user, the workers finish it. */
	if (e->state == RFS_ENTRY_PURGING)
		return 0;
	if (l->s->n_bin == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct fs_bin_entry *v = realloc(l->s->bin, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->s->bin = v;
		l->cap = cap;
	}
	b = &l->s->bin[l->s->n_bin];
	memset(b, 0, sizeof(*b));
	b->id = e->id;
	b->epoch_id = e->epoch_id;
	b->state = e->state;
	b->is_dir = e->is_dir;
	b->restored = e->restored_to != NULL;
	b->created_ns = e->created_ns;
	b->bin_path = strdup(e->bin_path);
	b->item_key = strdup(e->item_key);
	b->src_uri = strdup(e->src_uri);
	b->bin_root_uri = strdup(e->bin_root_uri);
	l->s->n_bin++;
	if (!b->bin_path || !b->item_key || !b->src_uri || !b->bin_root_uri)
		return -ENOMEM;
	return 0;
}

/* Whether an entry keeps its origin out of view. */
static bool hides_origin(const struct fs_bin_entry *b)
{
	if (rfs_entry_state_archiving(b->state))
		return true;
	/* A whole epoch in the bin leaves its lifecycle until restored. */
	return !*b->item_key && b->state == RFS_ENTRY_ARCHIVED && !b->restored;
}

int fs_bin_load(struct rfs_index *idx, struct fs_snap *s)
{
	struct load l = { s, 0 };
	struct rfs_error err = { 0 };
	size_t i, n = 0;
	int r;

	r = rfs_index_entry_list(idx, RFS_INDEX_ENTRIES_LIVE, NULL, load_entry,
				 &l, &err);
	if (r < 0) {
		fs_bin_release(s);
		return r;
	}
	for (i = 0; i < s->n_bin; i++)
		n += hides_origin(&s->bin[i]);
	if (n) {
		s->hide = calloc(n, sizeof(*s->hide));
		if (!s->hide) {
			fs_bin_release(s);
			return -ENOMEM;
		}
		for (i = 0; i < s->n_bin; i++)
			if (hides_origin(&s->bin[i]))
				s->hide[s->n_hide++] = &s->bin[i];
	}
	return 0;
}

void fs_bin_release(struct fs_snap *s)
{
	size_t i;

	for (i = 0; i < s->n_bin; i++) {
		free(s->bin[i].bin_path);
		free(s->bin[i].item_key);
		free(s->bin[i].src_uri);
		free(s->bin[i].bin_root_uri);
	}
	free(s->bin);
	free(s->hide);
	s->bin = NULL;
	s->hide = NULL;
	s->n_bin = s->n_hide = 0;
}

bool fs_bin_hides(const struct fs_snap *s, int64_t epoch_id, const char *key)
{
	size_t i;

	for (i = 0; i < s->n_hide; i++) {
		const struct fs_bin_entry *b = s->hide[i];

		if (b->epoch_id != epoch_id)
			continue;
		if (!*b->item_key ? rfs_entry_state_archiving(b->state) || !*key
				  : rfs_path_is_under(key, b->item_key))
			return true;
	}
	return false;
}

/* What a path below .recyclebin names. */
enum bin_kind {
	BIN_ROOT,  /* .recyclebin itself */
	BIN_DIR,   /* a mirrored folder above entries */
	BIN_ENTRY, /* an entry's root or something below it */
	BIN_GHOST, /* a catalog place with nothing in the bin: an empty
		    * folder, so that mv can name mirrored paths */
};

struct bin_node {
	enum bin_kind kind;
	const struct fs_bin_entry *e;
	const char *sub; /* below the entry root */
};

/* The first entry whose bin_path is >= key. */
static size_t lower_bound(const struct fs_snap *s, const char *key)
{
	size_t lo = 0, hi = s->n_bin;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->bin[mid].bin_path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct fs_bin_entry *exact(const struct fs_snap *s,
					const char *key)
{
	size_t i = lower_bound(s, key);

	return i < s->n_bin && !strcmp(s->bin[i].bin_path, key) ? &s->bin[i]
								: NULL;
}

/* True when some entry lies below folder @p dir. */
static bool has_below(const struct fs_snap *s, const char *dir)
{
	char key[4096];
	size_t i;

	snprintf(key, sizeof(key), "%s/", dir);
	i = lower_bound(s, key);
	return i < s->n_bin && rfs_path_is_under(s->bin[i].bin_path, dir);
}

/* A ghost: the mirrored place of a table, lifecycle, epoch or folder. */
static bool ghost(struct req *q, const char *rest)
{
	struct rfs_node n;
	struct rfs_backend *b;
	struct stat st;

	if (rfs_namespace_resolve(q->snap->cat, rest, &n) < 0)
		return false;
	switch (n.kind) {
	case RFS_NODE_TABLE:
	case RFS_NODE_LIFECYCLE:
		return true;
	case RFS_NODE_EPOCH:
		if (!*n.rest)
			return true;
		return fs_epoch_backend(q->st, n.epoch, &b) == 0 &&
		       rfs_backend_stat(b, n.rest, &st) == 0 &&
		       S_ISDIR(st.st_mode);
	default:
		return false;
	}
}

static int bin_resolve(struct req *q, struct bin_node *bn)
{
	const char *rest = q->node.rest;
	const struct fs_bin_entry *e;
	char prefix[4096];
	size_t len;

	memset(bn, 0, sizeof(*bn));
	if (!*rest) {
		bn->kind = BIN_ROOT;
		return 0;
	}
	/* An entry at rest or above it (entries never nest). */
	for (len = strlen(rest);; len = rfs_path_dirlen(prefix)) {
		if (len >= sizeof(prefix))
			return -ENAMETOOLONG;
		memcpy(prefix, rest, len);
		prefix[len] = '\0';
		e = exact(q->snap, prefix);
		if (e) {
			bn->kind = BIN_ENTRY;
			bn->e = e;
			bn->sub = rest[len] ? rest + len + 1 : "";
			return 0;
		}
		if (!strchr(prefix, '/'))
			break;
	}
	if (has_below(q->snap, rest)) {
		bn->kind = BIN_DIR;
		return 0;
	}
	if (ghost(q, rest)) {
		bn->kind = BIN_GHOST;
		return 0;
	}
	return -ENOENT;
}

static bool state_at_source(enum rfs_entry_state s)
{
	return s == RFS_ENTRY_SNAPSHOT || s == RFS_ENTRY_SYNC ||
	       s == RFS_ENTRY_VERIFY || s == RFS_ENTRY_UNPUBLISH;
}

/*
 * Where an entry's bytes are now: the source while it is being copied and
 * checked, the recycle copy from then on. The snapshot's state may be
 * older than the job's (it is reloaded at most every
 * FS_RELOAD_INTERVAL_NS): while it says "at the source", the index is
 * asked, so a reader told "archived" never reads a source already
 * deleted.
 */
static int entry_location(struct req *q, const struct fs_bin_entry *e,
			  const char *sub, struct rfs_backend **b,
			  struct rfs_buf *key)
{
	bool at_source = state_at_source(e->state);
	int r;

	if (at_source) {
		struct rfs_entry now = { 0 };

		pthread_mutex_lock(&q->st->wlock);
		r = rfs_index_entry_get(q->st->widx, e->id, &now, NULL);
		pthread_mutex_unlock(&q->st->wlock);
		if (r == 0)
			at_source = state_at_source(now.state);
		rfs_entry_release(&now);
	}

	rfs_buf_reset(key);
	r = fs_backend_for(q->st, at_source ? e->src_uri : e->bin_root_uri, b);
	if (r == 0)
		r = rfs_path_join(key, at_source ? e->item_key : e->bin_path,
				  sub);
	return r;
}

static int bin_getattr(struct req *q, struct stat *st)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct bin_node bn;
	int r;

	r = bin_resolve(q, &bn);
	if (r < 0)
		return r;
	if (bn.kind != BIN_ENTRY) {
		fs_dir_stat(q->st, q->st->mounted_ns, st);
		return 0;
	}
	r = entry_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0)
		r = rfs_backend_stat(b, rfs_buf_str(&key), st);
	if (r < 0 && r != -ENOENT && !*bn.sub) {
		/* The recycle storage cannot answer (a server down, keys
		 * refused): the entry's folder still shows, from the index,
		 * so that its user.recyclefs.* attributes say what happened;
		 * listing it gives the storage's error. */
		rfs_log(LOG_DEBUG,
			"recycle storage of '.recyclebin/%s' cannot be "
			"reached: %s",
			bn.e->bin_path, strerror(-r));
		r = -ENOENT;
	}
	if (r == -ENOENT && !*bn.sub) {
		/* A failed entry whose copy never started: empty. */
		fs_dir_stat(q->st, bn.e->created_ns, st);
		st->st_mode = S_IFDIR | 0555;
		r = 0;
	}
	rfs_buf_release(&key);
	return r;
}

static int fill(void *ctx, const char *name, const struct stat *st)
{
	return fs_dir_add(ctx, name, st, NULL) ? -ENOBUFS : 0;
}

/* The next component of each entry below folder @p dir, once each. */
static int list_mirrored(struct req *q, const char *dir, struct dirlist *d)
{
	char key[4096], last[256] = "";
	struct stat st;
	size_t i, dl = strlen(dir);

	snprintf(key, sizeof(key), "%s%s", dir, dl ? "/" : "");
	memset(&st, 0, sizeof(st));
	for (i = lower_bound(q->snap, key); i < q->snap->n_bin; i++) {
		const char *p = q->snap->bin[i].bin_path;
		size_t n;

		if (dl && !rfs_path_is_under(p, dir))
			break;
		p += dl ? dl + 1 : 0;
		n = strcspn(p, "/");
		if (n >= sizeof(last) || (!strncmp(last, p, n) && !last[n]))
			continue;
		memcpy(last, p, n);
		last[n] = '\0';
		st.st_mode = p[n] || q->snap->bin[i].is_dir ? S_IFDIR : S_IFREG;
		fs_dir_add(d, last, &st, NULL);
	}
	return 0;
}

static int bin_list(struct req *q, struct dirlist *d)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct bin_node bn;
	int r;

	r = bin_resolve(q, &bn);
	if (r == 0)
		r = fs_kind_dir_begin(q, d);
	if (r < 0)
		return r;
	if (bn.kind == BIN_GHOST)
		return 0;
	if (bn.kind != BIN_ENTRY)
		return list_mirrored(q, q->node.rest, d);
	r = entry_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0)
		r = rfs_backend_list(b, rfs_buf_str(&key), fill, d);
	if (r == -ENOBUFS || (r == -ENOENT && !*bn.sub))
		r = 0;
	rfs_buf_release(&key);
	return r;
}

static int bin_readlink(struct req *q, char *buf, size_t size)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct bin_node bn;
	int r;

	r = bin_resolve(q, &bn);
	if (r == 0 && bn.kind != BIN_ENTRY)
		r = -EINVAL;
	if (r == 0)
		r = entry_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0)
		r = rfs_backend_readlink(b, rfs_buf_str(&key), buf, size);
	rfs_buf_release(&key);
	return r;
}

static int bin_open(struct req *q, int flags, struct rfs_file **out)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct rfs_file *f;
	struct bin_node bn;
	int r;

	if ((flags & O_ACCMODE) != O_RDONLY)
		return fs_kind_refuse(q, "open for writing", q->path);
	r = bin_resolve(q, &bn);
	if (r == 0 && bn.kind != BIN_ENTRY)
		r = -EISDIR;
	if (r == 0)
		r = entry_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0)
		r = rfs_backend_open_file(b, rfs_buf_str(&key), O_RDONLY, 0,
					  &f);
	if (r == 0)
		*out = f;
	rfs_buf_release(&key);
	return r;
}

/* Purge a whole entry, what rm -rf ends with: recorded here, run by the
 * mount's job workers. The entry leaves the bin's view at once (a purging
 * entry is not shown); its recycle data goes in the background, and a
 * purge that fails shows it again with state failed. */
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
	if (r == 0)
		rfs_jobs_kick(q->st->jobs);
	fs_snap_invalidate(q->st);
	return r;
}

static int busy(const struct fs_bin_entry *e, const char *op, const char *path)
{
	rfs_log(LOG_WARNING,
		"%s of '%s' refused: it is still being archived (state %s)", op,
		path, rfs_entry_state_name(e->state));
	return -EBUSY;
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
	int r;

	r = bin_resolve(q, &bn);
	if (r < 0)
		return r;
	if (bn.kind != BIN_ENTRY)
		return -EISDIR;
	if (rfs_entry_state_archiving(bn.e->state))
		return busy(bn.e, "unlink", path);
	r = restore_guard(q, bn.e, "unlink", path);
	if (r < 0)
		return r;
	if (!*bn.sub)
		return purge_now(q, bn.e, path);
	/* One file of an entry: deleted from recycle storage for good. */
	r = entry_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0 && bn.e->state == RFS_ENTRY_ARCHIVED) {
		/* With its manifest row and its share of the counts. */
		pthread_mutex_lock(&q->st->wlock);
		r = rfs_purge_part(q->st->widx, b, bn.e->id, bn.sub, &err);
		pthread_mutex_unlock(&q->st->wlock);
		if (r < 0)
			rfs_log(LOG_ERR, "purge of '%s' failed: %s", path,
				err.msg);
		fs_snap_invalidate(q->st);
		rfs_buf_release(&key);
		return r;
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
	int r;

	r = bin_resolve(q, &bn);
	if (r < 0)
		return r;
	switch (bn.kind) {
	case BIN_ROOT:
		return fs_refuse("rmdir", path,
				 "the recycle bin itself cannot be removed");
	case BIN_DIR:
		return -ENOTEMPTY;
	case BIN_GHOST:
		return 0; /* nothing is there */
	case BIN_ENTRY:
		break;
	}
	if (rfs_entry_state_archiving(bn.e->state))
		return busy(bn.e, "rmdir", path);
	r = restore_guard(q, bn.e, "rmdir", path);
	if (r == 0)
		r = entry_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0 && *bn.sub && bn.e->state == RFS_ENTRY_ARCHIVED) {
		pthread_mutex_lock(&q->st->wlock);
		r = rfs_purge_part(q->st->widx, b, bn.e->id, bn.sub, &err);
		pthread_mutex_unlock(&q->st->wlock);
		if (r < 0 && r != -ENOTEMPTY)
			rfs_log(LOG_ERR, "purge of '%s' failed: %s", path,
				err.msg);
	} else if (r == 0 && *bn.sub) {
		r = rfs_backend_rmdir(b, rfs_buf_str(&key));
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

static int bin_getxattr(struct req *q, const char *name, char *value,
			size_t size)
{
	struct rfs_buf v = RFS_BUF_INIT;
	struct bin_node bn;
	int r;

	r = bin_resolve(q, &bn);
	if (r == 0)
		r = entry_attrs(q, &bn, NULL, name, &v);
	if (r == 0)
		r = -ENODATA;
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

	r = bin_resolve(q, &bn);
	if (r == 0)
		r = entry_attrs(q, &bn, &names, NULL, NULL);
	if (r >= 0)
		r = copy_out(&names, list, size);
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
	pthread_mutex_lock(&q->st->wlock);
	/* The full path: through .recyclebin/ it names exactly this entry,
	 * not the newest version of its origin. */
	r = rfs_restore_begin(q->st->widx, path, &to, false, NULL, &out, &err);
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

int fs_bin_archive(struct req *src, const char *from, const char *dst_rest)
{
	const struct rfs_epoch *e = src->node.epoch;
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
		r = fs_refuse("rename", from,
			      "move it to .recyclebin/ or to its mirrored "
			      "path in .recyclebin");
		goto out;
	}
	if (has_writer(src->st, e->id, src->node.rest)) {
		rfs_log(LOG_WARNING,
			"archive of '%s' refused: a file under it is open for "
			"writing",
			o);
		r = -EBUSY;
		goto out;
	}
	pthread_mutex_lock(&src->st->wlock);
	r = rfs_archive_begin(src->st->widx, o, NULL, &out, &err);
	pthread_mutex_unlock(&src->st->wlock);
	if (r < 0) {
		rfs_log(LOG_WARNING, "archive of '%s' refused: %s", o, err.msg);
		if (r == -EALREADY)
			r = -ENOENT;
		goto out;
	}
	rfs_log(LOG_INFO, "archiving '%s' to '.recyclebin/%s'", o,
		out.bin_path);
	fs_snap_invalidate(src->st);
	if (src->st->jobs)
		rfs_jobs_kick(src->st->jobs);
out:
	rfs_entry_release(&out);
	rfs_buf_release(&origin);
	return r;
}

/* The bin's kind: a live view (the kernel keeps nothing of it), read-only
 * but for rm (purge) and the restore attributes. */

/* The request of @p name in folder @p q, for a path-based operation. */
static int child(struct req *q, const char *name, char *path, size_t size,
		 struct req *c)
{
	int r = fs_path_join(path, size, q->path, name);

	return r < 0 ? r : fs_req_begin(c, q->st, path);
}

static int bin_unlink(struct req *q, const char *name)
{
	char path[4096 + 256];
	struct req c;
	int r = child(q, name, path, sizeof(path), &c);

	if (r < 0)
		return r;
	r = bin_unlink_path(&c, path);
	fs_req_end(&c);
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
	fs_req_end(&c);
	return r;
}

static int bin_setattr(struct req *q, const struct stat *a, int to_set)
{
	(void)a;
	(void)to_set;
	return fs_kind_refuse(q, "setattr", q->path);
}

static int bin_create(struct req *q, const char *name, mode_t mode, int flags,
		      struct rfs_file **f)
{
	(void)name;
	(void)mode;
	(void)flags;
	(void)f;
	return fs_kind_refuse(q, "create", q->path);
}

static int bin_mknod(struct req *q, const char *name, mode_t mode, dev_t rdev)
{
	(void)name;
	(void)mode;
	(void)rdev;
	return fs_kind_refuse(q, "mknod", q->path);
}

static int bin_mkdir(struct req *q, const char *name, mode_t mode)
{
	(void)name;
	(void)mode;
	return fs_kind_refuse(q, "mkdir", q->path);
}

static int bin_symlink(struct req *q, const char *target, const char *name)
{
	(void)target;
	(void)name;
	return fs_kind_refuse(q, "symlink", q->path);
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
	if (fs_is_rfs_attr(name))
		return fs_refuse("setxattr", q->path,
				 "user.recyclefs.* attributes are read-only");
	return fs_kind_refuse(q, "setxattr", q->path);
}

static int bin_removexattr(struct req *q, const char *name)
{
	if (fs_is_rfs_attr(name))
		return fs_refuse("removexattr", q->path,
				 "user.recyclefs.* attributes are read-only");
	return fs_kind_refuse(q, "removexattr", q->path);
}

const struct fs_kind fs_kind_bin = {
	.what = "the recycle bin",
	.live = true,
	.getattr = bin_getattr,
	.setattr = bin_setattr,
	.readlink = bin_readlink,
	.list = bin_list,
	.open = bin_open,
	.create = bin_create,
	.mknod = bin_mknod,
	.mkdir = bin_mkdir,
	.symlink = bin_symlink,
	.unlink = bin_unlink,
	.rmdir = bin_rmdir,
	.link = fs_kind_link,
	.rename = fs_kind_rename,
	.getxattr = bin_getxattr,
	.listxattr = bin_listxattr,
	.setxattr = bin_setxattr,
	.removexattr = bin_removexattr,
	.statfs = fs_index_statfs,
};
