/*
 * The catalog's kinds of node: the root, tables, lifecycles, the
 * classifications and their links. They are served from the snapshot and
 * refuse every change with EPERM and a logged reason. Also what the kinds
 * share: refusals, storage failures, listings, renames by path.
 */
#include "fs/internal.h"

#include "backends/backend.h"
#include "model/catalog.h"
#include "model/storage.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rfs_fs_kind_refuse(const struct req *q, const char *op, const char *path)
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
			 path, rfs_fs_kind_catalog(q)->what);
	}
	return rfs_fs_refuse(op, path, why);
}

int rfs_fs_storage_failed(struct rfs_backend *b, const char *op,
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

int rfs_fs_attr_failed(struct rfs_backend *b, const char *op, const char *path,
		       int r)
{
	const char *why;

	if (r != -ENOSYS)
		return rfs_fs_storage_failed(b, op, path, r);
	why = rfs_backend_last_error(b, ENOSYS);
	rfs_log(LOG_INFO, "%s of '%s' refused: %s", op, path,
		*why ? why : "the storage cannot keep it");
	return -EPERM;
}

void rfs_fs_own_by_caller(const struct req *q, struct rfs_backend *b,
			  const char *key)
{
	if (geteuid() == 0 && (q->uid != 0 || q->gid != 0))
		rfs_backend_chown(b, key, q->uid, q->gid);
}

/* The times of a setattr as utimensat(2) takes them. */
static void set_times(const struct stat *a, int to_set, struct timespec tv[2])
{
	tv[0].tv_nsec = tv[1].tv_nsec = UTIME_OMIT;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		tv[0] = a->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		tv[1] = a->st_mtim;
}

int rfs_fs_file_setattr(struct rfs_file *f, const struct stat *a, int to_set)
{
	struct timespec tv[2];
	int fd = rfs_file_fd(f), r = 0;

	if (fd < 0 && (to_set & ~FUSE_SET_ATTR_SIZE))
		return -ENOSYS;
	if (to_set & FUSE_SET_ATTR_MODE)
		r = fchmod(fd, a->st_mode & 07777) < 0 ? -errno : 0;
	if (r == 0 && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		r = fchown(fd,
			   to_set & FUSE_SET_ATTR_UID ? a->st_uid : (uid_t)-1,
			   to_set & FUSE_SET_ATTR_GID ? a->st_gid : (gid_t)-1) <
				    0
			    ? -errno
			    : 0;
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE))
		r = rfs_fs_storage_failed(f->backend, "truncate", NULL,
					  rfs_file_truncate(f, a->st_size));
	if (r == 0 &&
	    (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		       FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW))) {
		set_times(a, to_set, tv);
		r = futimens(fd, tv) < 0 ? -errno : 0;
	}
	return r;
}

/* Listings. */

int rfs_fs_dir_add(struct dirlist *d, const char *name, const struct stat *st,
		   const struct fs_kind *kind)
{
	struct dent *e;

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
	e->plus = st && kind;
	e->kind = kind;
	if (st)
		e->st = *st;
	else
		memset(&e->st, 0, sizeof(e->st));
	d->n++;
	return 0;
}

void rfs_fs_dir_free(struct dirlist *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d->path);
	free(d);
}

/* "." (with the folder's own attributes) and "..". */
int rfs_fs_kind_dir_begin(struct req *q, struct dirlist *d)
{
	struct stat self;
	int r = d->kind->getattr(q, &self);

	if (r < 0)
		return r;
	if (!S_ISDIR(self.st_mode))
		return -ENOTDIR;
	rfs_fs_dir_add(d, ".", &self, NULL);
	rfs_fs_dir_add(d, "..", NULL, NULL);
	d->v[1].st.st_mode = S_IFDIR;
	return 0;
}

/* Resolve the parent of a new name; refuse names the mount reserves. */
int rfs_fs_req_begin_new(struct req *q, struct rfs_fs_state *st,
			 const char *path, const char *op)
{
	int r = rfs_fs_req_begin(q, st, path);

	if (r == -ENOENT) {
		/* The name may be taken: by something being archived, by the
		 * storage's bin, or by the catalog itself. */
		struct fs_snap *snap = rfs_fs_snap_get(st);
		struct rfs_node n, self;
		char *parent = strndup(path, rfs_path_dirlen(path));

		if (parent &&
		    rfs_namespace_resolve(snap->cat, *parent ? parent : "/",
					  &n) == 0) {
			if (n.kind == RFS_NODE_EPOCH &&
			    rfs_namespace_resolve(snap->cat, path, &self) ==
				    0 &&
			    rfs_fs_bin_hides(snap, self.epoch->id, self.rest)) {
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
		rfs_fs_snap_put(st, snap);
	}
	return r;
}

/* What kinds that take no new names, and only recyclefs's own attributes,
 * share (the catalog, the bin, an epoch without files). */

int rfs_fs_refuse_create(struct req *q, const char *name, mode_t mode,
			 int flags, struct rfs_file **f)
{
	(void)name;
	(void)mode;
	(void)flags;
	(void)f;
	return rfs_fs_kind_refuse(q, "create", q->path);
}

int rfs_fs_refuse_mknod(struct req *q, const char *name, mode_t mode,
			dev_t rdev)
{
	(void)name;
	(void)mode;
	(void)rdev;
	return rfs_fs_kind_refuse(q, "mknod", q->path);
}

int rfs_fs_refuse_mkdir(struct req *q, const char *name, mode_t mode)
{
	(void)name;
	(void)mode;
	return rfs_fs_kind_refuse(q, "mkdir", q->path);
}

int rfs_fs_refuse_symlink(struct req *q, const char *target, const char *name)
{
	(void)target;
	(void)name;
	return rfs_fs_kind_refuse(q, "symlink", q->path);
}

int rfs_fs_own_getxattr(struct req *q, const char *name, char *value,
			size_t size)
{
	return rfs_fs_node_getxattr(q->st, &q->node, name, value, size);
}

int rfs_fs_own_listxattr(struct req *q, char *list, size_t size)
{
	return rfs_fs_node_listxattr(q->st, &q->node, list, size);
}

int rfs_fs_refuse_removexattr(struct req *q, const char *name)
{
	if (rfs_fs_is_rfs_attr(name))
		return rfs_fs_refuse(
			"removexattr", q->path,
			"user.recyclefs.* attributes are read-only");
	return rfs_fs_kind_refuse(q, "removexattr", q->path);
}

/* What the catalog kinds share. */

static int cat_setattr(struct req *q, const struct stat *a, int to_set)
{
	(void)a;
	return rfs_fs_kind_refuse(
		q,
		to_set & FUSE_SET_ATTR_MODE			   ? "chmod"
		: to_set & FUSE_SET_ATTR_SIZE			   ? "truncate"
		: to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) ? "chown"
								   : "utimens",
		q->path);
}

int rfs_fs_no_readlink(struct req *q, char *buf, size_t size)
{
	(void)q;
	(void)buf;
	(void)size;
	return -EINVAL;
}

static int cat_open(struct req *q, int flags, struct rfs_file **f)
{
	(void)f;
	return (flags & O_ACCMODE) != O_RDONLY
		       ? rfs_fs_kind_refuse(q, "open", q->path)
		       : -EISDIR;
}

/* A new name in a catalog folder. */
static int cat_new(struct req *q, const char *name, const char *op)
{
	char path[4096 + 256];
	struct req c;
	int r;

	if (rfs_fs_path_join(path, sizeof(path), q->path, name) < 0)
		return -ENAMETOOLONG;
	r = rfs_fs_req_begin_new(&c, q->st, path, op);
	if (r == 0) {
		r = -EEXIST;
		rfs_fs_req_end(&c);
	}
	return r;
}

static int cat_create(struct req *q, const char *name, mode_t mode, int flags,
		      struct rfs_file **f)
{
	(void)mode;
	(void)flags;
	(void)f;
	return cat_new(q, name, "create");
}

static int cat_mknod(struct req *q, const char *name, mode_t mode, dev_t rdev)
{
	(void)mode;
	(void)rdev;
	return cat_new(q, name, "mknod");
}

static int cat_mkdir(struct req *q, const char *name, mode_t mode)
{
	(void)mode;
	return cat_new(q, name, "mkdir");
}

static int cat_symlink(struct req *q, const char *target, const char *name)
{
	(void)target;
	return cat_new(q, name, "symlink");
}

/* A removal of a name in a catalog folder: refused as its kind says. */
static int cat_remove(struct req *q, const char *name, const char *op)
{
	char path[4096 + 256];
	struct req c;
	int r;

	if (rfs_fs_path_join(path, sizeof(path), q->path, name) < 0)
		return -ENAMETOOLONG;
	r = rfs_fs_req_begin(&c, q->st, path);
	if (r < 0)
		return r;
	r = rfs_fs_kind_refuse(&c, op, path);
	rfs_fs_req_end(&c);
	return r;
}

static int cat_unlink(struct req *q, const char *name)
{
	return cat_remove(q, name, "unlink");
}

static int cat_rmdir(struct req *q, const char *name)
{
	return cat_remove(q, name, "rmdir");
}

bool rfs_fs_is_rfs_attr(const char *name)
{
	return !strncmp(name, "user.recyclefs.", 15);
}

static int cat_setxattr(struct req *q, const char *name, const char *value,
			size_t size, int flags)
{
	(void)value;
	(void)size;
	(void)flags;
	if (rfs_fs_is_rfs_attr(name))
		return rfs_fs_refuse(
			"setxattr", q->path,
			"user.recyclefs.* attributes are read-only");
	return rfs_fs_kind_refuse(q, "setxattr", q->path);
}

int rfs_fs_index_statfs(struct req *q, struct statvfs *out)
{
	return statvfs(q->st->index_path, out) < 0 ? -errno : 0;
}

/* The root. */

static int root_getattr(struct req *q, struct stat *st)
{
	rfs_fs_dir_stat(q->st, q->snap->cat->updated_ns, st);
	st->st_nlink = 4 + (nlink_t)q->snap->cat->n_tables;
	return 0;
}

static int root_list(struct req *q, struct dirlist *d)
{
	const struct rfs_catalog *cat = q->snap->cat;
	struct stat st;
	size_t i;
	int r = rfs_fs_kind_dir_begin(q, d);

	if (r < 0)
		return r;
	rfs_fs_dir_stat(q->st, q->st->mounted_ns, &st);
	rfs_fs_dir_add(d, RFS_BIN_DIR, &st, NULL); /* live: looked up */
	rfs_fs_dir_stat(q->st, cat->updated_ns, &st);
	rfs_fs_dir_add(d, RFS_CLASSES_DIR, &st, &rfs_fs_kind_classes);
	for (i = 0; i < cat->n_tables; i++) {
		rfs_fs_dir_stat(q->st, cat->tables[i]->created_ns, &st);
		st.st_nlink = 2 + (nlink_t)cat->tables[i]->n_lifecycles;
		rfs_fs_dir_add(d, cat->tables[i]->name, &st,
			       &rfs_fs_kind_table);
	}
	return 0;
}

#define CATALOG_KIND(w, get, lst, rdl)                                         \
	{                                                                      \
		.what = (w), .getattr = (get), .setattr = cat_setattr,         \
		.readlink = (rdl), .list = (lst), .open = cat_open,            \
		.create = cat_create, .mknod = cat_mknod, .mkdir = cat_mkdir,  \
		.symlink = cat_symlink, .unlink = cat_unlink,                  \
		.rmdir = cat_rmdir, .getxattr = rfs_fs_own_getxattr,           \
		.listxattr = rfs_fs_own_listxattr, .setxattr = cat_setxattr,   \
		.removexattr = rfs_fs_refuse_removexattr,                      \
		.statfs = rfs_fs_index_statfs,                                 \
	}

const struct fs_kind rfs_fs_kind_root = CATALOG_KIND(
	"the catalog root", root_getattr, root_list, rfs_fs_no_readlink);

/* Tables. */

static int table_getattr(struct req *q, struct stat *st)
{
	rfs_fs_dir_stat(q->st, q->node.table->created_ns, st);
	st->st_nlink = 2 + (nlink_t)q->node.table->n_lifecycles;
	return 0;
}

static int table_list(struct req *q, struct dirlist *d)
{
	struct stat st;
	size_t i;
	int r = rfs_fs_kind_dir_begin(q, d);

	for (i = 0; r == 0 && i < q->node.table->n_lifecycles; i++) {
		const struct rfs_lifecycle *lc = q->node.table->lifecycles[i];

		rfs_fs_dir_stat(q->st, lc->created_ns, &st);
		st.st_nlink = 2 + (nlink_t)lc->n_epochs;
		rfs_fs_dir_add(d, lc->name, &st, &rfs_fs_kind_lifecycle);
	}
	return r;
}

const struct fs_kind rfs_fs_kind_table =
	CATALOG_KIND("a table", table_getattr, table_list, rfs_fs_no_readlink);

/* Lifecycles. */

static int lifecycle_getattr(struct req *q, struct stat *st)
{
	rfs_fs_dir_stat(q->st, q->node.lifecycle->created_ns, st);
	st->st_nlink = 2 + (nlink_t)q->node.lifecycle->n_epochs;
	return 0;
}

/* Epoch roots are the storages' own directories: the kernel looks them
 * up when it needs their attributes. */
static int lifecycle_list(struct req *q, struct dirlist *d)
{
	struct stat st;
	size_t i;
	int r = rfs_fs_kind_dir_begin(q, d);

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	for (i = 0; r == 0 && i < q->node.lifecycle->n_epochs; i++) {
		const struct rfs_epoch *e = q->node.lifecycle->epochs[i];

		if (!rfs_fs_bin_hides(q->snap, e->id, ""))
			rfs_fs_dir_add(d, e->name, &st, NULL);
	}
	return r;
}

const struct fs_kind rfs_fs_kind_lifecycle = CATALOG_KIND(
	"a lifecycle", lifecycle_getattr, lifecycle_list, rfs_fs_no_readlink);

/* The classifications. */

static int classes_getattr(struct req *q, struct stat *st)
{
	rfs_fs_dir_stat(q->st, q->snap->cat->updated_ns, st);
	return 0;
}

static int classes_list(struct req *q, struct dirlist *d)
{
	const struct rfs_catalog *cat = q->snap->cat;
	struct stat st;
	size_t i;
	int r = rfs_fs_kind_dir_begin(q, d);

	for (i = 0; r == 0 && i < cat->n_classifications; i++) {
		rfs_fs_dir_stat(q->st, cat->updated_ns, &st);
		rfs_fs_dir_add(d, cat->classifications[i]->name, &st,
			       &rfs_fs_kind_class);
	}
	return r;
}

const struct fs_kind rfs_fs_kind_classes =
	CATALOG_KIND("the classifications", classes_getattr, classes_list,
		     rfs_fs_no_readlink);

static void link_stat(struct rfs_fs_state *st, const struct rfs_table *t,
		      struct stat *out)
{
	rfs_fs_dir_stat(st, t->created_ns, out);
	out->st_mode = S_IFLNK | 0777;
	out->st_nlink = 1;
	out->st_size = (off_t)strlen(t->name) + 6;
}

static int class_list(struct req *q, struct dirlist *d)
{
	struct stat st;
	size_t i;
	int r = rfs_fs_kind_dir_begin(q, d);

	for (i = 0; r == 0 && i < q->node.cls->n_tables; i++) {
		link_stat(q->st, q->node.cls->tables[i], &st);
		rfs_fs_dir_add(d, q->node.cls->tables[i]->name, &st,
			       &rfs_fs_kind_class_link);
	}
	return r;
}

const struct fs_kind rfs_fs_kind_class = CATALOG_KIND(
	"the classifications", classes_getattr, class_list, rfs_fs_no_readlink);

/* A table's link in a classification. */

static int class_link_getattr(struct req *q, struct stat *st)
{
	link_stat(q->st, q->node.table, st);
	return 0;
}

static int class_link_readlink(struct req *q, char *buf, size_t size)
{
	snprintf(buf, size, "../../%s", q->node.table->name);
	return 0;
}

static int not_a_dir(struct req *q, struct dirlist *d)
{
	(void)q;
	(void)d;
	return -ENOTDIR;
}

const struct fs_kind rfs_fs_kind_class_link =
	CATALOG_KIND("the classifications", class_link_getattr, not_a_dir,
		     class_link_readlink);

const struct fs_kind *rfs_fs_kind_catalog(const struct req *q)
{
	switch (q->node.kind) {
	case RFS_NODE_TABLE:
		return &rfs_fs_kind_table;
	case RFS_NODE_LIFECYCLE:
		return &rfs_fs_kind_lifecycle;
	case RFS_NODE_CLASSES:
		return &rfs_fs_kind_classes;
	case RFS_NODE_CLASS:
		return &rfs_fs_kind_class;
	case RFS_NODE_CLASS_LINK:
		return &rfs_fs_kind_class_link;
	default:
		return &rfs_fs_kind_root;
	}
}
