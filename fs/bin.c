/*
 * The .recyclebin directory of the mount: a view of the live recycle
 * entries at their mirrored paths, the archive started by a rename into
 * it, and purge by rm inside it.
 */
#include "fs/bin.h"

#include "backends/backend.h"
#include "backends/rel.h"
#include "core/archive.h"
#include "model/catalog.h"
#include "model/entry.h"
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
		return rfs_fs_epoch_backend(q->st, n.epoch, &b) == 0 &&
		       rfs_backend_stat(b, n.rest, &st) == 0 &&
		       S_ISDIR(st.st_mode);
	default:
		return false;
	}
}

int rfs_fs_bin_resolve(struct req *q, struct bin_node *bn)
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
			/* A part queued for purging is gone already. */
			if (rfs_fs_parts_hidden(q->st, e->id, bn->sub))
				return -ENOENT;
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
int rfs_fs_bin_location(struct req *q, const struct fs_bin_entry *e,
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
	r = rfs_fs_backend_for(q->st, at_source ? e->src_uri : e->bin_root_uri,
			       b);
	if (r == 0 && !at_source) {
		/* A relational recycle location names its copy itself. */
		char *folder = NULL;
		int k = rfs_backend_rel_bin_key(
			*b, rfs_path_basename(e->item_key), e->uuid, &folder);

		if (k != -ENOSYS) {
			if (k == 0)
				k = rfs_path_join(key, folder, sub);
			free(folder);
			return k;
		}
	}
	if (r == 0)
		r = rfs_path_join(key, at_source ? e->item_key : e->bin_path,
				  sub);
	return r;
}

int rfs_fs_bin_getattr(struct req *q, struct stat *st)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct bin_node bn;
	int r;

	r = rfs_fs_bin_resolve(q, &bn);
	if (r < 0)
		return r;
	if (bn.kind != BIN_ENTRY) {
		/* The bin's own folders are shared as /tmp is (drwxrwxrwt),
		 * so that the kernel lets anyone who may delete an item at
		 * its origin move it in (its check on the source's folder
		 * is the rule); the daemon refuses every other new name in
		 * them (rfs_fs_kind_bin), and the sticky bit leaves an
		 * entry's removal to its owner. */
		rfs_fs_dir_stat(q->st, q->st->mounted_ns, st);
		st->st_mode = S_IFDIR | S_ISVTX | 0777;
		return 0;
	}
	r = rfs_fs_bin_location(q, bn.e, bn.sub, &b, &key);
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
		rfs_fs_dir_stat(q->st, bn.e->created_ns, st);
		st->st_mode = S_IFDIR | 0555;
		r = 0;
	}
	rfs_buf_release(&key);
	return r;
}

/* A listing inside an entry, without the parts queued for purging. */
struct fill_ctx {
	struct dirlist *d;
	struct rfs_fs_state *st;
	const struct fs_bin_entry *e;
	const char *sub;
	char path[4096];
};

static int fill(void *ctx, const char *name, const struct stat *st)
{
	struct fill_ctx *f = ctx;
	int n = snprintf(f->path, sizeof(f->path), "%s%s%s", f->sub,
			 *f->sub ? "/" : "", name);

	if (n > 0 && (size_t)n < sizeof(f->path) &&
	    rfs_fs_parts_hidden(f->st, f->e->id, f->path))
		return 0;
	return rfs_fs_dir_add(f->d, name, st, NULL) ? -ENOBUFS : 0;
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
		rfs_fs_dir_add(d, last, &st, NULL);
	}
	return 0;
}

int rfs_fs_bin_list(struct req *q, struct dirlist *d)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct bin_node bn;
	int r;

	r = rfs_fs_bin_resolve(q, &bn);
	if (r == 0)
		r = rfs_fs_kind_dir_begin(q, d);
	if (r < 0)
		return r;
	if (bn.kind == BIN_GHOST)
		return 0;
	if (bn.kind != BIN_ENTRY)
		return list_mirrored(q, q->node.rest, d);
	r = rfs_fs_bin_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0) {
		struct fill_ctx f = { d, q->st, bn.e, bn.sub, "" };

		r = rfs_backend_list(b, rfs_buf_str(&key), fill, &f);
	}
	if (r == -ENOBUFS || (r == -ENOENT && !*bn.sub))
		r = 0;
	rfs_buf_release(&key);
	return r;
}

int rfs_fs_bin_readlink(struct req *q, char *buf, size_t size)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct bin_node bn;
	int r;

	r = rfs_fs_bin_resolve(q, &bn);
	if (r == 0 && bn.kind != BIN_ENTRY)
		r = -EINVAL;
	if (r == 0)
		r = rfs_fs_bin_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0)
		r = rfs_backend_readlink(b, rfs_buf_str(&key), buf, size);
	rfs_buf_release(&key);
	return r;
}

int rfs_fs_bin_open(struct req *q, int flags, struct rfs_file **out)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_backend *b;
	struct rfs_file *f;
	struct bin_node bn;
	int r;

	if ((flags & O_ACCMODE) != O_RDONLY)
		return rfs_fs_kind_refuse(q, "open for writing", q->path);
	r = rfs_fs_bin_resolve(q, &bn);
	if (r == 0 && bn.kind != BIN_ENTRY)
		r = -EISDIR;
	if (r == 0)
		r = rfs_fs_bin_location(q, bn.e, bn.sub, &b, &key);
	if (r == 0)
		r = rfs_backend_open_file(b, rfs_buf_str(&key), O_RDONLY, 0,
					  &f);
	if (r == 0)
		*out = f;
	rfs_buf_release(&key);
	return r;
}
