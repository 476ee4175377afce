/*
 * The FUSE operations: resolve the path in the current catalog snapshot,
 * serve catalog levels from the snapshot, and pass everything inside an
 * epoch to the epoch's backend.
 */
#include "fs/internal.h"

#include "backends/backend.h"
#include "model/catalog.h"
#include "model/storage.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* True when the request names something inside an epoch with a backend. */
static bool in_epoch(const struct req *q)
{
	return q->node.kind == RFS_NODE_EPOCH && *q->node.rest && q->b;
}

static const char *kind_name(enum rfs_node_kind k)
{
	switch (k) {
	case RFS_NODE_ROOT:
		return "the catalog root";
	case RFS_NODE_TABLE:
		return "a table";
	case RFS_NODE_LIFECYCLE:
		return "a lifecycle";
	case RFS_NODE_EPOCH:
		return "an epoch";
	case RFS_NODE_BIN:
		return "the recycle bin";
	case RFS_NODE_CLASSES:
	case RFS_NODE_CLASS:
	case RFS_NODE_CLASS_LINK:
		return "the classifications";
	}
	return "the catalog";
}

/* Why a change at @p q is refused, logged; -EPERM. */
static int refuse(const struct req *q, const char *op, const char *path)
{
	char why[512];

	if (q->node.kind == RFS_NODE_EPOCH && !q->b) {
		const struct rfs_storage *s = q->node.epoch->storage;

		snprintf(why, sizeof(why),
			 "storage '%s' is %s (%s) and holds no files", s->name,
			 rfs_family_name(s->cls->family), s->cls->name);
	} else if (q->node.kind == RFS_NODE_EPOCH) {
		snprintf(why, sizeof(why),
			 "an epoch's root is part of the catalog; archive it "
			 "with mv into .recyclebin");
	} else if (q->node.kind == RFS_NODE_BIN) {
		snprintf(why, sizeof(why),
			 "the recycle bin only takes items moved in from an "
			 "epoch");
	} else {
		snprintf(why, sizeof(why),
			 "'%s' is %s; tables, lifecycles and epochs come from "
			 "the catalog (recyclefs table/lifecycle/epoch add)",
			 path, kind_name(q->node.kind));
	}
	return fs_refuse(op, path, why);
}

/* Give a new file to the caller, as a local filesystem would, when the
 * daemon runs as root for someone else. */
static void own_by_caller(struct rfs_backend *b, const char *key)
{
	struct fuse_context *ctx = fuse_get_context();

	if (geteuid() == 0 && (ctx->uid != 0 || ctx->gid != 0))
		rfs_backend_chown(b, key, ctx->uid, ctx->gid);
}

static struct rfs_file *fh_file(const struct fuse_file_info *fi)
{
	return fi ? (struct rfs_file *)(uintptr_t)fi->fh : NULL;
}

/* Log a failure of the storage itself (access denied, I/O, a server
 * gone, an object replaced while read), not the ordinary answers of file
 * calls, with the adapter's reason; @return @p r. */
static int storage_failed(struct rfs_backend *b, const char *op,
			  const char *path, int r)
{
	const char *why;

	if (!b || (r != -EACCES && r != -EIO && r != -ESTALE))
		return r;
	why = rfs_backend_last_error(b, -r);
	rfs_log(LOG_ERR, "%s of '%s' failed: %s", op, path ? path : "a file",
		*why ? why : strerror(-r));
	return r;
}

/* chmod, chown, utimens: a storage that cannot keep an attribute says
 * -ENOSYS (S3 with attrs=listing); the caller is told EPERM, the log
 * says why. Other failures as storage_failed(). */
static int attr_failed(struct rfs_backend *b, const char *op, const char *path,
		       int r)
{
	const char *why;

	if (r != -ENOSYS)
		return storage_failed(b, op, path, r);
	why = rfs_backend_last_error(b, ENOSYS);
	rfs_log(LOG_INFO, "%s of '%s' refused: %s", op, path,
		*why ? why : "the storage cannot keep it");
	return -EPERM;
}

static int file_failed(struct rfs_file *f, const char *op, const char *path,
		       int r)
{
	return f ? storage_failed(f->backend, op, path, r) : r;
}

/*
 * Inode numbers (the mount runs with use_ino): the storage's own where it
 * has them, so that hard links show one number, with 15 bits of the
 * storage's device above bit 48 so that two filesystems' numbers do not
 * meet; for what the storage numbers not (catalog levels, the bin's
 * folders, object stores) an FNV-1a hash of the mount path with the top
 * bit set. @p dir and @p name together are the mount path ("/a" and "b"
 * for "/a/b"); @p name may be NULL.
 */
static uint64_t path_hash(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void fs_set_ino(struct stat *st, const char *dir, const char *name)
{
	const uint64_t low = (1ULL << 48) - 1, top = 1ULL << 63;
	uint64_t ino = (uint64_t)st->st_ino, h;

	if (ino) {
		h = ((uint64_t)st->st_dev * 0x9e3779b97f4a7c15ULL) >> 49;
		st->st_ino = ino <= low ? (ino | (h << 48)) : (ino & ~top);
		return;
	}
	if (!dir)
		return;
	h = path_hash(1469598103934665603ULL, dir);
	if (name) {
		if (strcmp(dir, "/"))
			h = path_hash(h, "/");
		h = path_hash(h, name);
	}
	st->st_ino = (ino_t)(h | top);
}

/*
 * Unlinked open files. The mount runs without hard_remove: when a file
 * still open loses its last name, libfuse renames it to
 * ".fuse_hidden<16 hex digits>" in its folder and unlinks that name after
 * the last close. recyclefs turns that rename into the unlink itself (the
 * name is gone from the storage at once, as on a local filesystem) and
 * keeps a read-only descriptor of the file under the hidden name, for
 * fstat, fchmod, fchown and futimens, which the kernel sends by name.
 */
static bool is_hidden_name(const char *path)
{
	const char *b = path ? rfs_path_basename(path) : "";

	if (strncmp(b, ".fuse_hidden", 12) || strlen(b) != 28)
		return false;
	for (b += 12; *b; b++)
		if (!((*b >= '0' && *b <= '9') || (*b >= 'a' && *b <= 'f')))
			return false;
	return true;
}

/* The descriptor kept for @p path (dup'ed: the caller closes it), or -1. */
static int hidden_fd(const char *path)
{
	struct rfs_fs_state *st = fs_state();
	struct fs_hidden *h;
	int fd = -1;

	if (!is_hidden_name(path))
		return -1;
	pthread_mutex_lock(&st->lock);
	for (h = st->hidden; h; h = h->next)
		if (!strcmp(h->path, path)) {
			fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
			break;
		}
	pthread_mutex_unlock(&st->lock);
	return fd;
}

/* libfuse's last unlink of a hidden name: drop its descriptor.
 * @return true when @p path was one */
static bool hidden_forget(const char *path)
{
	struct rfs_fs_state *st = fs_state();
	struct fs_hidden **p, *h = NULL;

	if (!is_hidden_name(path))
		return false;
	pthread_mutex_lock(&st->lock);
	for (p = &st->hidden; *p; p = &(*p)->next)
		if (!strcmp((*p)->path, path)) {
			h = *p;
			*p = h->next;
			break;
		}
	pthread_mutex_unlock(&st->lock);
	if (!h)
		return false;
	close(h->fd);
	free(h->path);
	free(h);
	return true;
}

static int op_unlink(const char *path);
static int op_rmdir(const char *path);

/* libfuse hides @p from as @p to: remove it now, keep a descriptor. */
static int hide(const char *from, const char *to)
{
	struct rfs_fs_state *st = fs_state();
	struct stat sb = { 0 };
	struct fs_hidden *h;
	struct rfs_file *f;
	struct req q;
	int fd = -1, r;

	r = fs_req_begin(&q, from);
	if (r < 0)
		return r;
	/* Only libfuse renames an open file to such a name; a user's
	 * rename of a file not open is a rename. */
	if (!fs_is_open(q.st, in_epoch(&q) ? q.node.epoch->id : 0,
			in_epoch(&q) ? q.node.rest : from)) {
		fs_req_end(&q);
		return 1;
	}
	if (in_epoch(&q) && rfs_backend_stat(q.b, q.node.rest, &sb) == 0 &&
	    S_ISREG(sb.st_mode) && rfs_backend_has(q.b, RFS_BACKEND_CAP_FD) &&
	    rfs_backend_open_file(q.b, q.node.rest, O_RDONLY | O_NOATIME, 0,
				  &f) == 0) {
		fd = fcntl(rfs_file_fd(f), F_DUPFD_CLOEXEC, 0);
		rfs_file_close(f);
	}
	fs_req_end(&q);
	r = S_ISDIR(sb.st_mode) ? op_rmdir(from) : op_unlink(from);
	if (r < 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->path = strdup(to))) {
		free(h);
		close(fd);
		return 0; /* unlinked; fstat by name then fails, nothing else */
	}
	h->fd = fd;
	pthread_mutex_lock(&st->lock);
	h->next = st->hidden;
	st->hidden = h;
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->nullpath_ok = 1;
	cfg->hard_remove = 0; /* see hide() */
	cfg->auto_cache = 1;
	if (conn->capable & FUSE_CAP_READDIRPLUS) {
		conn->want |= FUSE_CAP_READDIRPLUS;
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	}
	conn->want |=
		conn->capable & (FUSE_CAP_PARALLEL_DIROPS |
				 FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE |
				 FUSE_CAP_SPLICE_READ | FUSE_CAP_ASYNC_DIO);
	/* Writes of up to 1 MiB in one request (libfuse asks the kernel for
	 * max_pages to match). */
	conn->max_write = 1 << 20;
	return fuse_get_context()->private_data;
}

static void link_stat(const struct req *q, struct stat *st)
{
	fs_dir_stat(q->st, q->node.table->created_ns, st);
	st->st_mode = S_IFLNK | 0777;
	st->st_nlink = 1;
	st->st_size = (off_t)strlen(q->node.table->name) + 6;
}

static int epoch_root_stat(const struct req *q, struct stat *st)
{
	int r;

	if (q->b) {
		r = rfs_backend_stat(q->b, "", st);
		if (r != -ENOENT)
			return r;
		/* The location is gone or not made yet: an empty directory. */
	}
	fs_dir_stat(q->st, q->node.epoch->created_ns, st);
	if (!q->b)
		st->st_mode = S_IFDIR | 0555;
	return 0;
}

static int node_stat(const struct req *q, struct stat *st)
{
	const struct rfs_node *n = &q->node;

	switch (n->kind) {
	case RFS_NODE_ROOT:
		fs_dir_stat(q->st, q->snap->cat->updated_ns, st);
		st->st_nlink = 4 + (nlink_t)q->snap->cat->n_tables;
		return 0;
	case RFS_NODE_TABLE:
		fs_dir_stat(q->st, n->table->created_ns, st);
		st->st_nlink = 2 + (nlink_t)n->table->n_lifecycles;
		return 0;
	case RFS_NODE_LIFECYCLE:
		fs_dir_stat(q->st, n->lifecycle->created_ns, st);
		st->st_nlink = 2 + (nlink_t)n->lifecycle->n_epochs;
		return 0;
	case RFS_NODE_BIN:
		return fs_bin_getattr((struct req *)q, st);
	case RFS_NODE_CLASSES:
		fs_dir_stat(q->st, q->snap->cat->updated_ns, st);
		return 0;
	case RFS_NODE_CLASS:
		fs_dir_stat(q->st, q->snap->cat->updated_ns, st);
		return 0;
	case RFS_NODE_CLASS_LINK:
		link_stat(q, st);
		return 0;
	case RFS_NODE_EPOCH:
		if (!*n->rest)
			return epoch_root_stat(q, st);
		if (!q->b)
			return q->berr == -EPROTONOSUPPORT ? -ENOENT : q->berr;
		return rfs_backend_stat(q->b, n->rest, st);
	}
	return -ENOENT;
}

static int op_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	struct req q;
	int fd, r;

	if (fh_file(fi)) {
		r = file_failed(fh_file(fi), "stat", path,
				rfs_file_stat(fh_file(fi), st));
		if (r == 0)
			fs_set_ino(st, path, NULL);
		return r;
	}
	fd = hidden_fd(path);
	if (fd >= 0) {
		r = fstat(fd, st) < 0 ? -errno : 0;
		close(fd);
		if (r == 0)
			fs_set_ino(st, path, NULL);
		return r;
	}
	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	r = storage_failed(q.b, "stat", path, node_stat(&q, st));
	fs_req_end(&q);
	if (r == 0)
		fs_set_ino(st, path, NULL);
	return r;
}

static int op_readlink(const char *path, char *buf, size_t size)
{
	struct req q;
	int r;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (q.node.kind == RFS_NODE_CLASS_LINK) {
		snprintf(buf, size, "../../%s", q.node.table->name);
		r = 0;
	} else if (q.node.kind == RFS_NODE_BIN) {
		r = fs_bin_readlink(&q, buf, size);
	} else if (in_epoch(&q)) {
		r = rfs_backend_readlink(q.b, q.node.rest, buf, size);
	} else {
		r = -EINVAL;
	}
	fs_req_end(&q);
	return r;
}

/* readdir of an epoch directory: the backend's entries, less the bin. */
struct list_ctx {
	void *buf;
	fuse_fill_dir_t filler;
	enum fuse_fill_dir_flags plus;
	const char *hide; /* a name to leave out, or NULL */
	const struct req *q;
	char key[4096];
};

static int list_entry(void *ctx, const char *name, const struct stat *st)
{
	struct list_ctx *l = ctx;

	if (l->hide && !strcmp(name, l->hide))
		return 0;
	if (l->q && l->q->snap->n_hide) {
		/* Items being archived have left their origin. */
		snprintf(l->key, sizeof(l->key), "%s%s%s", l->q->node.rest,
			 *l->q->node.rest ? "/" : "", name);
		if (fs_bin_hides(l->q->snap, l->q->node.epoch->id, l->key))
			return 0;
	}
	return l->filler(l->buf, name, st, 0, l->plus) ? -ENOBUFS : 0;
}

static int list_epoch(const struct req *q, struct list_ctx *l)
{
	const struct rfs_epoch *e = q->node.epoch;
	const char *rest = q->node.rest;
	size_t dl;
	int r;

	/* A catalog-only storage (no data path here) is an empty directory;
	 * one that could not be opened is an error, never an empty listing
	 * that looks like lost data. The reason is in the log. */
	if (!q->b)
		return q->berr == -EIO ? -EIO : 0;
	l->q = q;
	/* Hide the bin when it is a direct child of this directory. */
	if (e->bin_key) {
		dl = rfs_path_dirlen(e->bin_key);
		if (dl == strlen(rest) && !strncmp(e->bin_key, rest, dl))
			l->hide = rfs_path_basename(e->bin_key);
	}
	r = rfs_backend_list(q->b, rest, list_entry, l);
	if (r == -ENOBUFS)
		r = 0;
	if (r == -ENOENT && !*rest) {
		struct stat st;
		const char *why = rfs_backend_last_error(q->b, ENOENT);

		/* The location is not there yet: empty. But a storage whose
		 * root exists and cannot be listed (an object store's missing
		 * bucket) is an error. */
		if (rfs_backend_stat(q->b, "", &st) == -ENOENT)
			return 0;
		rfs_log(LOG_ERR, "listing epoch '%s/%s/%s' failed: %s",
			e->lifecycle->table->name, e->lifecycle->name, e->name,
			*why ? why : strerror(ENOENT));
		return r;
	}
	return r;
}

static void fill_dir(struct list_ctx *l, const char *name,
		     const struct stat *st)
{
	l->filler(l->buf, name, st, 0, l->plus);
}

/* The whole listing of a directory, taken at opendir and served to
 * readdir with offsets: libfuse passes entries' attributes to the kernel
 * (readdirplus) only for fillers given offsets, so the kernel needs no
 * lookup per entry afterwards. */
struct dent {
	char *name;
	struct stat st;
	bool plus; /* st holds the entry's attributes */
};

struct dirlist {
	struct dent *v;
	size_t n, cap;
	bool oom;
};

static int collect(void *buf, const char *name, const struct stat *st,
		   off_t off, enum fuse_fill_dir_flags flags)
{
	struct dirlist *d = buf;
	struct dent *e;

	(void)off;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct dent *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			d->oom = true;
			return 1;
		}
		d->v = v;
		d->cap = cap;
	}
	e = &d->v[d->n];
	e->name = strdup(name);
	if (!e->name) {
		d->oom = true;
		return 1;
	}
	e->plus = st && (flags & FUSE_FILL_DIR_PLUS);
	if (st)
		e->st = *st;
	else
		memset(&e->st, 0, sizeof(e->st));
	d->n++;
	return 0;
}

static void dirlist_free(struct dirlist *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d);
}

static int list_dir(const char *path, struct dirlist *d);

static int op_opendir(const char *path, struct fuse_file_info *fi)
{
	struct dirlist *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	r = list_dir(path, d);
	if (r == 0 && d->oom)
		r = -ENOMEM;
	if (r < 0) {
		dirlist_free(d);
		return r;
	}
	for (size_t i = 0; i < d->n; i++) {
		struct dent *e = &d->v[i];

		if (!strcmp(e->name, "..")) {
			/* readdir shows ".." a number, as getattr would not
			 * know it from here: its path's hash */
			char *up = strndup(path, rfs_path_dirlen(path));

			fs_set_ino(&e->st, up && *up ? up : "/", NULL);
			free(up);
		} else {
			fs_set_ino(&e->st, path,
				   strcmp(e->name, ".") ? e->name : NULL);
		}
	}
	fi->fh = (uintptr_t)d;
	return 0;
}

static int op_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	dirlist_free((struct dirlist *)(uintptr_t)fi->fh);
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	size_t i;

	(void)path;
	for (i = off > 0 ? (size_t)off : 0; i < d->n; i++) {
		const struct dent *e = &d->v[i];
		bool plus = e->plus && (flags & FUSE_READDIR_PLUS);

		if (filler(buf, e->name, &e->st, (off_t)(i + 1),
			   plus ? FUSE_FILL_DIR_PLUS : 0))
			break;
	}
	return 0;
}

/* Everything a directory holds, into @p d (always with PLUS flags where
 * attributes are known; readdir decides what to pass on). */
static int list_dir(const char *path, struct dirlist *d)
{
	struct list_ctx l = { d, collect, FUSE_FILL_DIR_PLUS, NULL, NULL, "" };
	const struct rfs_catalog *cat;
	struct stat st, self;
	fuse_fill_dir_t filler = collect;
	void *buf = d;
	struct req q;
	size_t i;
	int r;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	cat = q.snap->cat;
	r = node_stat(&q, &self);
	if (r < 0 || !S_ISDIR(self.st_mode)) {
		fs_req_end(&q);
		return r < 0 ? r : -ENOTDIR;
	}
	filler(buf, ".", &self, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	switch (q.node.kind) {
	case RFS_NODE_ROOT:
		fs_dir_stat(q.st, q.st->mounted_ns, &st);
		fill_dir(&l, RFS_BIN_DIR, &st);
		fs_dir_stat(q.st, cat->updated_ns, &st);
		fill_dir(&l, RFS_CLASSES_DIR, &st);
		for (i = 0; i < cat->n_tables; i++) {
			fs_dir_stat(q.st, cat->tables[i]->created_ns, &st);
			st.st_nlink = 2 + (nlink_t)cat->tables[i]->n_lifecycles;
			fill_dir(&l, cat->tables[i]->name, &st);
		}
		break;
	case RFS_NODE_TABLE:
		for (i = 0; i < q.node.table->n_lifecycles; i++) {
			const struct rfs_lifecycle *lc =
				q.node.table->lifecycles[i];

			fs_dir_stat(q.st, lc->created_ns, &st);
			st.st_nlink = 2 + (nlink_t)lc->n_epochs;
			fill_dir(&l, lc->name, &st);
		}
		break;
	case RFS_NODE_LIFECYCLE:
		/* Epoch roots are the storages' own directories: let the
		 * kernel look them up when it needs their attributes. */
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFDIR;
		for (i = 0; i < q.node.lifecycle->n_epochs; i++) {
			const struct rfs_epoch *e = q.node.lifecycle->epochs[i];

			if (!fs_bin_hides(q.snap, e->id, ""))
				filler(buf, e->name, &st, 0, 0);
		}
		break;
	case RFS_NODE_CLASSES:
		for (i = 0; i < cat->n_classifications; i++) {
			fs_dir_stat(q.st, cat->updated_ns, &st);
			fill_dir(&l, cat->classifications[i]->name, &st);
		}
		break;
	case RFS_NODE_CLASS:
		for (i = 0; i < q.node.cls->n_tables; i++) {
			struct req lq = q;

			lq.node.table = q.node.cls->tables[i];
			link_stat(&lq, &st);
			fill_dir(&l, lq.node.table->name, &st);
		}
		break;
	case RFS_NODE_EPOCH:
		r = storage_failed(q.b, "readdir", path, list_epoch(&q, &l));
		break;
	case RFS_NODE_BIN:
		r = fs_bin_readdir(&q, buf, filler, l.plus);
		break;
	case RFS_NODE_CLASS_LINK:
		break;
	}
	fs_req_end(&q);
	return r;
}

/* Resolve the parent of a new name; refuse names the mount reserves. */
static int req_begin_new(struct req *q, const char *path, const char *op)
{
	int r = fs_req_begin(q, path);

	if (r == -ENOENT) {
		/* The name may be taken: by something being archived, by the
		 * storage's bin, or by the catalog itself. */
		struct rfs_fs_state *st = fs_state();
		struct fs_snap *snap = fs_snap_get(st);
		struct rfs_node n, self;
		char *parent = strndup(path, rfs_path_dirlen(path));

		if (parent &&
		    rfs_namespace_resolve(snap->cat, *parent ? parent : "/",
					  &n) == 0) {
			if (n.kind == RFS_NODE_EPOCH &&
			    rfs_namespace_resolve(snap->cat, path, &self) ==
				    0 &&
			    fs_bin_hides(snap, self.epoch->id, self.rest)) {
				rfs_log(LOG_WARNING,
					"%s of '%s' refused: it is being "
					"archived",
					op, path);
				r = -EBUSY;
			} else {
				rfs_log(LOG_WARNING, "%s of '%s' refused: %s",
					op, path,
					n.kind == RFS_NODE_EPOCH
						? "the name is reserved for "
						  "the storage's recycle bin"
						: "tables, lifecycles and "
						  "epochs come from the "
						  "catalog (recyclefs "
						  "table/lifecycle/epoch add)");
				r = -EPERM;
			}
		}
		free(parent);
		fs_snap_put(st, snap);
	}
	return r;
}

static int op_mkdir(const char *path, mode_t mode)
{
	struct req q;
	int r;

	r = req_begin_new(&q, path, "mkdir");
	if (r < 0)
		return r;
	if (in_epoch(&q)) {
		r = storage_failed(q.b, "mkdir", path,
				   rfs_backend_mkdir(q.b, q.node.rest, mode));
		if (r == 0)
			own_by_caller(q.b, q.node.rest);
	} else {
		r = refuse(&q, "mkdir", path);
	}
	fs_req_end(&q);
	return r;
}

/* A FIFO, a socket or a device node: made on the storage, as mknod(2)
 * makes it there; a storage that keeps only files, folders and symlinks
 * refuses it with its reason. */
static int mknod_special(struct req *q, const char *path, mode_t mode,
			 dev_t rdev)
{
	const struct rfs_storage *s = q->node.epoch->storage;
	char why[512];
	int r;

	r = rfs_backend_mknod(q->b, q->node.rest, mode, rdev);
	if (r == -ENOSYS) {
		snprintf(why, sizeof(why),
			 "storage '%s' (%s) keeps only regular files, "
			 "directories and symlinks",
			 s->name, s->cls->name);
		return fs_refuse("mknod", path, why);
	}
	if (r == 0)
		own_by_caller(q->b, q->node.rest);
	return storage_failed(q->b, "mknod", path, r);
}

static int op_mknod(const char *path, mode_t mode, dev_t rdev)
{
	struct req q;
	int r;

	r = req_begin_new(&q, path, "mknod");
	if (r < 0)
		return r;
	if (!in_epoch(&q)) {
		r = refuse(&q, "mknod", path);
	} else if (!S_ISREG(mode)) {
		r = mknod_special(&q, path, mode, rdev);
	} else {
		struct rfs_file *f;

		r = rfs_backend_open_file(q.b, q.node.rest,
					  O_CREAT | O_EXCL | O_WRONLY,
					  mode & 07777, &f);
		if (r == 0) {
			r = rfs_file_close(f);
			own_by_caller(q.b, q.node.rest);
		}
	}
	fs_req_end(&q);
	return r;
}

static int op_unlink(const char *path)
{
	struct req q;
	int r;

	if (hidden_forget(path))
		return 0;
	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (q.node.kind == RFS_NODE_BIN)
		r = fs_bin_unlink(&q, path);
	else
		r = in_epoch(&q) ? storage_failed(
					   q.b, "unlink", path,
					   rfs_backend_unlink(q.b, q.node.rest))
				 : refuse(&q, "unlink", path);
	fs_req_end(&q);
	return r;
}

static int op_rmdir(const char *path)
{
	struct req q;
	int r;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (q.node.kind == RFS_NODE_BIN)
		r = fs_bin_rmdir(&q, path);
	else
		r = in_epoch(&q) ? storage_failed(
					   q.b, "rmdir", path,
					   rfs_backend_rmdir(q.b, q.node.rest))
				 : refuse(&q, "rmdir", path);
	fs_req_end(&q);
	return r;
}

static int op_symlink(const char *target, const char *path)
{
	struct req q;
	int r;

	r = req_begin_new(&q, path, "symlink");
	if (r < 0)
		return r;
	if (in_epoch(&q)) {
		r = rfs_backend_symlink(q.b, target, q.node.rest);
		if (r == 0)
			own_by_caller(q.b, q.node.rest);
	} else {
		r = refuse(&q, "symlink", path);
	}
	fs_req_end(&q);
	return r;
}

/* Two paths in the same epoch: for rename and link. */
static int two_in_epoch(const char *op, const char *from, const char *to,
			struct req *a, struct req *b)
{
	int r = fs_req_begin(a, from);

	if (r < 0)
		return r;
	r = req_begin_new(b, to, op);
	if (r == -ENOENT) {
		fs_req_end(a);
		return r;
	}
	if (r < 0) {
		fs_req_end(a);
		return r;
	}
	if (b->node.kind == RFS_NODE_BIN && a->node.kind == RFS_NODE_EPOCH &&
	    a->b && !strcmp(op, "rename"))
		r = 1; /* archive: the caller hands it to the bin */
	else if (!in_epoch(a))
		r = refuse(a, op, from);
	else if (!in_epoch(b))
		r = refuse(b, op, to);
	else if (a->node.epoch != b->node.epoch)
		r = -EXDEV; /* mv then copies, which is right between epochs */
	if (r < 0) {
		fs_req_end(b);
		fs_req_end(a);
	}
	return r;
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	struct req a, b;
	int r;

	if (is_hidden_name(to) && !flags && (r = hide(from, to)) <= 0)
		return r;
	r = two_in_epoch("rename", from, to, &a, &b);
	if (r < 0)
		return r;
	if (r == 1)
		r = flags & RENAME_EXCHANGE
			    ? fs_refuse("rename", to,
					"the recycle bin cannot exchange "
					"items")
			    : fs_bin_archive(&a, from, b.node.rest);
	else
		r = storage_failed(a.b, "rename", from,
				   rfs_backend_rename(a.b, a.node.rest,
						      b.node.rest, flags));
	fs_req_end(&b);
	fs_req_end(&a);
	return r;
}

static int op_link(const char *from, const char *to)
{
	struct req a, b;
	int r;

	r = two_in_epoch("link", from, to, &a, &b);
	if (r < 0)
		return r;
	r = rfs_backend_link(a.b, a.node.rest, b.node.rest);
	fs_req_end(&b);
	fs_req_end(&a);
	return r;
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_file(fi);
	struct req q;
	int fd, r;

	if (f && rfs_file_fd(f) >= 0)
		return fchmod(rfs_file_fd(f), mode) < 0 ? -errno : 0;
	if (!path)
		return -ENOENT;
	fd = hidden_fd(path);
	if (fd >= 0) {
		r = fchmod(fd, mode) < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	r = in_epoch(&q)
		    ? attr_failed(q.b, "chmod", path,
				  rfs_backend_chmod(q.b, q.node.rest, mode))
		    : refuse(&q, "chmod", path);
	fs_req_end(&q);
	return r;
}

static int op_chown(const char *path, uid_t uid, gid_t gid,
		    struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_file(fi);
	struct req q;
	int fd, r;

	if (f && rfs_file_fd(f) >= 0)
		return fchown(rfs_file_fd(f), uid, gid) < 0 ? -errno : 0;
	if (!path)
		return -ENOENT;
	fd = hidden_fd(path);
	if (fd >= 0) {
		r = fchown(fd, uid, gid) < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	r = in_epoch(&q)
		    ? attr_failed(q.b, "chown", path,
				  rfs_backend_chown(q.b, q.node.rest, uid, gid))
		    : refuse(&q, "chown", path);
	fs_req_end(&q);
	return r;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct req q;
	int r;

	if (fh_file(fi))
		return file_failed(fh_file(fi), "truncate", path,
				   rfs_file_truncate(fh_file(fi), size));
	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	r = in_epoch(&q) ? storage_failed(
				   q.b, "truncate", path,
				   rfs_backend_truncate(q.b, q.node.rest, size))
			 : refuse(&q, "truncate", path);
	fs_req_end(&q);
	return r;
}

static int op_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_file(fi);
	struct req q;
	int fd, r;

	if (f && rfs_file_fd(f) >= 0)
		return futimens(rfs_file_fd(f), tv) < 0 ? -errno : 0;
	if (!path)
		return -ENOENT;
	fd = hidden_fd(path);
	if (fd >= 0) {
		r = futimens(fd, tv) < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	r = in_epoch(&q)
		    ? attr_failed(q.b, "utimens", path,
				  rfs_backend_utimens(q.b, q.node.rest, tv))
		    : refuse(&q, "utimens", path);
	fs_req_end(&q);
	return r;
}

static int open_common(const char *path, mode_t mode, struct fuse_file_info *fi,
		       bool create)
{
	struct rfs_file *f;
	struct req q;
	int flags, r;

	r = create ? req_begin_new(&q, path, "create") : fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (!create && q.node.kind == RFS_NODE_BIN) {
		r = (fi->flags & O_ACCMODE) == O_RDONLY
			    ? fs_bin_open(&q, fi)
			    : refuse(&q, "open for writing", path);
		if (r == 0)
			fs_writer_add(q.st, fh_file(fi), 0, path, false);
		fs_req_end(&q);
		return r;
	}
	if (!in_epoch(&q)) {
		r = create || (fi->flags & O_ACCMODE) != O_RDONLY
			    ? refuse(&q, create ? "create" : "open", path)
			    : -EISDIR;
		fs_req_end(&q);
		return r;
	}
	flags = fi->flags & ~(O_NOCTTY | O_NONBLOCK);
	if (!create)
		flags &= ~(O_CREAT | O_EXCL);
	r = rfs_backend_open_file(q.b, q.node.rest, flags, mode & 07777, &f);
	storage_failed(q.b, create ? "create" : "open", path, r);
	if (r == 0) {
		fi->fh = (uintptr_t)f;
		if (create)
			own_by_caller(q.b, q.node.rest);
		fs_writer_add(q.st, f, q.node.epoch->id, q.node.rest,
			      (flags & O_ACCMODE) != O_RDONLY);
	}
	fs_req_end(&q);
	return r;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	return open_common(path, 0, fi, false);
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_common(path, mode, fi, true);
}

static int op_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_file(fi);
	struct fuse_bufvec *v;
	int fd = rfs_file_fd(f);
	ssize_t n;

	(void)path;
	v = malloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	*v = FUSE_BUFVEC_INIT(size);
	if (fd >= 0) {
		/* Let libfuse splice from the file: no copy through us. */
		v->buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		v->buf[0].fd = fd;
		v->buf[0].pos = off;
		*bufp = v;
		return 0;
	}
	v->buf[0].mem = malloc(size ? size : 1);
	if (!v->buf[0].mem) {
		free(v);
		return -ENOMEM;
	}
	n = rfs_file_read(f, v->buf[0].mem, size, off);
	if (n < 0) {
		free(v->buf[0].mem);
		free(v);
		return file_failed(f, "read", path, (int)n);
	}
	v->buf[0].size = (size_t)n;
	*bufp = v;
	return 0;
}

static int op_write_buf(const char *path, struct fuse_bufvec *buf, off_t off,
			struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_file(fi);
	size_t size = fuse_buf_size(buf);
	int fd = rfs_file_fd(f);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
	ssize_t n;

	if (fd >= 0) {
		dst.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		dst.buf[0].fd = fd;
		dst.buf[0].pos = off;
		return (int)fuse_buf_copy(&dst, buf, FUSE_BUF_SPLICE_NONBLOCK);
	}
	if (buf->count == 1 && !(buf->buf[0].flags & FUSE_BUF_IS_FD))
		return file_failed(
			f, "write", path,
			(int)rfs_file_write(f, buf->buf[0].mem, size, off));
	dst.buf[0].mem = malloc(size ? size : 1);
	if (!dst.buf[0].mem)
		return -ENOMEM;
	n = fuse_buf_copy(&dst, buf, 0);
	if (n >= 0)
		n = file_failed(
			f, "write", path,
			(int)rfs_file_write(f, dst.buf[0].mem, (size_t)n, off));
	free(dst.buf[0].mem);
	return (int)n;
}

static int op_statfs(const char *path, struct statvfs *out)
{
	struct req q;
	int r;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (q.node.kind == RFS_NODE_EPOCH && q.b)
		r = rfs_backend_statfs(q.b, q.node.rest, out);
	else
		r = statvfs(q.st->index_path, out) < 0 ? -errno : 0;
	fs_req_end(&q);
	return r;
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	return file_failed(fh_file(fi), "flush", path,
			   rfs_file_flush(fh_file(fi)));
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	struct rfs_backend *b = fh_file(fi)->backend;

	fs_writer_remove(fs_state(), fh_file(fi));
	return storage_failed(b, "close", path, rfs_file_close(fh_file(fi)));
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	return file_failed(fh_file(fi), "fsync", path,
			   rfs_file_fsync(fh_file(fi), datasync));
}

static int op_fallocate(const char *path, int mode, off_t off, off_t len,
			struct fuse_file_info *fi)
{
	(void)path;
	return rfs_file_fallocate(fh_file(fi), mode, off, len);
}

static off_t op_lseek(const char *path, off_t off, int whence,
		      struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_file(fi);
	struct stat st;
	int fd = rfs_file_fd(f), r;
	off_t o;

	(void)path;
	if (fd >= 0) {
		o = lseek(fd, off, whence);
		return o < 0 ? -errno : o;
	}
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	r = rfs_file_stat(f, &st);
	if (r < 0)
		return r;
	if (off >= st.st_size)
		return -ENXIO;
	return whence == SEEK_DATA ? off : st.st_size;
}

static ssize_t op_copy_file_range(const char *pin, struct fuse_file_info *fin,
				  off_t oin, const char *pout,
				  struct fuse_file_info *fout, off_t oout,
				  size_t len, int flags)
{
	int in = rfs_file_fd(fh_file(fin)), out = rfs_file_fd(fh_file(fout));
	ssize_t n;

	(void)pin;
	(void)pout;
	if (in < 0 || out < 0)
		return -EOPNOTSUPP;
	n = copy_file_range(in, &oin, out, &oout, len, (unsigned int)flags);
	return n < 0 ? -errno : n;
}

static bool is_rfs_attr(const char *name)
{
	return !strncmp(name, "user.recyclefs.", 15);
}

static int op_getxattr(const char *path, const char *name, char *value,
		       size_t size)
{
	struct req q;
	int r;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (q.node.kind == RFS_NODE_BIN)
		r = fs_bin_getxattr(&q, name, value, size);
	else if (in_epoch(&q))
		r = (int)rfs_backend_getxattr(q.b, q.node.rest, name, value,
					      size);
	else if (is_rfs_attr(name) || q.node.kind != RFS_NODE_EPOCH || !q.b)
		r = fs_node_getxattr(q.st, &q.node, name, value, size);
	else
		r = (int)rfs_backend_getxattr(q.b, "", name, value, size);
	fs_req_end(&q);
	return r;
}

static int op_listxattr(const char *path, char *list, size_t size)
{
	struct req q;
	int r, n;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (q.node.kind == RFS_NODE_BIN) {
		r = fs_bin_listxattr(&q, list, size);
	} else if (in_epoch(&q)) {
		r = (int)rfs_backend_listxattr(q.b, q.node.rest, list, size);
	} else {
		r = fs_node_listxattr(q.st, &q.node, list, size);
		if (r >= 0 && q.node.kind == RFS_NODE_EPOCH && q.b) {
			n = (int)rfs_backend_listxattr(
				q.b, "", size ? list + r : NULL,
				size ? size - (size_t)r : 0);
			r = n < 0 ? (n == -ENOTSUP ? r : n) : r + n;
		}
	}
	fs_req_end(&q);
	return r;
}

static int op_setxattr(const char *path, const char *name, const char *value,
		       size_t size, int flags)
{
	struct req q;
	int r;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (q.node.kind == RFS_NODE_BIN &&
	    (!strcmp(name, "user.recyclefs.restore") ||
	     !strcmp(name, "user.recyclefs.restore_overwrite")))
		r = fs_bin_restore(&q, path, value, size,
				   !strcmp(name, "user.recyclefs.restore_"
						 "overwrite"));
	else if (is_rfs_attr(name) &&
		 (in_epoch(&q) || q.node.kind == RFS_NODE_EPOCH))
		/* recyclefs's own names (those `cp -a` copies out of the
		 * bin) never reach a storage; ENOTSUP, which cp ignores */
		r = fs_unsupported("setxattr", path, name);
	else if (in_epoch(&q))
		r = rfs_backend_setxattr(q.b, q.node.rest, name, value, size,
					 flags);
	else if (is_rfs_attr(name))
		r = fs_refuse("setxattr", path,
			      "user.recyclefs.* attributes are read-only");
	else if (q.node.kind == RFS_NODE_EPOCH && q.b)
		r = rfs_backend_setxattr(q.b, "", name, value, size, flags);
	else
		r = refuse(&q, "setxattr", path);
	fs_req_end(&q);
	return r;
}

static int op_removexattr(const char *path, const char *name)
{
	struct req q;
	int r;

	r = fs_req_begin(&q, path);
	if (r < 0)
		return r;
	if (in_epoch(&q))
		r = rfs_backend_removexattr(q.b, q.node.rest, name);
	else if (is_rfs_attr(name))
		r = fs_refuse("removexattr", path,
			      "user.recyclefs.* attributes are read-only");
	else if (q.node.kind == RFS_NODE_EPOCH && q.b)
		r = rfs_backend_removexattr(q.b, "", name);
	else
		r = refuse(&q, "removexattr", path);
	fs_req_end(&q);
	return r;
}

const struct fuse_operations rfs_fs_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.chmod = op_chmod,
	.chown = op_chown,
	.truncate = op_truncate,
	.utimens = op_utimens,
	.open = op_open,
	.create = op_create,
	.read_buf = op_read_buf,
	.write_buf = op_write_buf,
	.statfs = op_statfs,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.fallocate = op_fallocate,
	.lseek = op_lseek,
	.copy_file_range = op_copy_file_range,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
};
