/*
 * The epochs' kinds of node: an epoch's root (the storage's own folder,
 * but part of the catalog: it cannot be removed or renamed), what lies
 * inside an epoch (everything goes to the epoch's backend), and the root
 * of an epoch without files (a catalog-only storage, or one that cannot
 * be opened).
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

/* The key of a new @p name in folder @p q, or a refusal of the names the
 * mount reserves. @return 0, -EBUSY, -EPERM or -ENAMETOOLONG */
static int new_key(struct req *q, const char *name, const char *op, char *key,
		   size_t size)
{
	int n = snprintf(key, size, "%s%s%s", q->node.rest,
			 *q->node.rest ? "/" : "", name);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (rfs_fs_key_hidden(q->node.epoch, key)) {
		rfs_log(LOG_WARNING,
			"%s of '%s/%s' refused: the name is reserved for the "
			"storage's recycle bin",
			op, q->path, name);
		return -EPERM;
	}
	if (rfs_fs_bin_hides(q->snap, q->node.epoch->id, key)) {
		rfs_log(LOG_WARNING,
			"%s of '%s/%s' refused: it is being archived", op,
			q->path, name);
		return -EBUSY;
	}
	return 0;
}

/* The key of an existing @p name in folder @p q. */
static int old_key(struct req *q, const char *name, char *key, size_t size)
{
	int n = snprintf(key, size, "%s%s%s", q->node.rest,
			 *q->node.rest ? "/" : "", name);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (rfs_fs_key_hidden(q->node.epoch, key) ||
	    rfs_fs_bin_hides(q->snap, q->node.epoch->id, key))
		return -ENOENT;
	return 0;
}

#define KEY_MAX (4096 + 256)

static int in_getattr(struct req *q, struct stat *st)
{
	if (!q->b)
		return q->berr == -EPROTONOSUPPORT ? -ENOENT : q->berr;
	return rfs_backend_stat(q->b, q->node.rest, st);
}

static int in_setattr(struct req *q, const struct stat *a, int to_set)
{
	const char *k = q->node.rest;
	struct timespec tv[2];
	int r = 0;

	if (to_set & FUSE_SET_ATTR_MODE)
		r = rfs_fs_attr_failed(
			q->b, "chmod", q->path,
			rfs_backend_chmod(q->b, k, a->st_mode & 07777));
	if (r == 0 && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		r = rfs_fs_attr_failed(
			q->b, "chown", q->path,
			rfs_backend_chown(
				q->b, k,
				to_set & FUSE_SET_ATTR_UID ? a->st_uid
							   : (uid_t)-1,
				to_set & FUSE_SET_ATTR_GID ? a->st_gid
							   : (gid_t)-1));
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE))
		r = rfs_fs_storage_failed(
			q->b, "truncate", q->path,
			rfs_backend_truncate(q->b, k, a->st_size));
	if (r == 0 &&
	    (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		       FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW))) {
		tv[0].tv_nsec = tv[1].tv_nsec = UTIME_OMIT;
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			tv[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			tv[0] = a->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			tv[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			tv[1] = a->st_mtim;
		r = rfs_fs_attr_failed(q->b, "utimens", q->path,
				       rfs_backend_utimens(q->b, k, tv));
	}
	return r;
}

static int in_readlink(struct req *q, char *buf, size_t size)
{
	return rfs_backend_readlink(q->b, q->node.rest, buf, size);
}

/* A listing of an epoch folder: the backend's entries, less the bin. */
struct list_ctx {
	struct req *q;
	struct dirlist *d;
	const char *hide; /* a name to leave out, or NULL */
	char key[KEY_MAX];
};

static int list_entry(void *ctx, const char *name, const struct stat *st)
{
	struct list_ctx *l = ctx;

	if (l->hide && !strcmp(name, l->hide))
		return 0;
	if (l->q->snap->n_hide) {
		/* Items being archived have left their origin. */
		snprintf(l->key, sizeof(l->key), "%s%s%s", l->q->node.rest,
			 *l->q->node.rest ? "/" : "", name);
		if (rfs_fs_bin_hides(l->q->snap, l->q->node.epoch->id, l->key))
			return 0;
	}
	return rfs_fs_dir_add(l->d, name, st,
			      st ? &rfs_fs_kind_epoch_entry : NULL)
		       ? -ENOBUFS
		       : 0;
}

static int in_list(struct req *q, struct dirlist *d)
{
	const struct rfs_epoch *e = q->node.epoch;
	const char *rest = q->node.rest;
	struct list_ctx l = { q, d, NULL, "" };
	size_t dl;
	int r = rfs_fs_kind_dir_begin(q, d);

	if (r < 0)
		return r;
	/* Hide the bin when it is a direct child of this directory. */
	if (e->bin_key) {
		dl = rfs_path_dirlen(e->bin_key);
		if (dl == strlen(rest) && !strncmp(e->bin_key, rest, dl))
			l.hide = rfs_path_basename(e->bin_key);
	}
	r = rfs_backend_list(q->b, rest, list_entry, &l);
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
	}
	return rfs_fs_storage_failed(q->b, "readdir", q->path, r);
}

static int in_open(struct req *q, int flags, struct rfs_file **f)
{
	int r;

	flags &= ~(O_NOCTTY | O_NONBLOCK | O_CREAT | O_EXCL);
	r = rfs_fs_storage_failed(
		q->b, "open", q->path,
		rfs_backend_open_file(q->b, q->node.rest, flags, 0, f));
	if (r == 0)
		rfs_fs_writer_add(q->st, *f, q->node.epoch->id, q->node.rest,
				  (flags & O_ACCMODE) != O_RDONLY);
	return r;
}

static int in_create(struct req *q, const char *name, mode_t mode, int flags,
		     struct rfs_file **f)
{
	char key[KEY_MAX];
	int r = new_key(q, name, "create", key, sizeof(key));

	if (r < 0)
		return r;
	flags &= ~(O_NOCTTY | O_NONBLOCK);
	r = rfs_backend_open_file(q->b, key, flags | O_CREAT, mode & 07777, f);
	if (r == 0) {
		rfs_fs_own_by_caller(q, q->b, key);
		rfs_fs_writer_add(q->st, *f, q->node.epoch->id, key,
				  (flags & O_ACCMODE) != O_RDONLY);
	}
	return rfs_fs_storage_failed(q->b, "create", q->path, r);
}

/* A FIFO, a socket or a device node: made on the storage, as mknod(2)
 * makes it there; a storage that keeps only files, folders and symlinks
 * refuses it with its reason. */
static int in_mknod(struct req *q, const char *name, mode_t mode, dev_t rdev)
{
	const struct rfs_storage *s = q->node.epoch->storage;
	char key[KEY_MAX], why[512], path[KEY_MAX];
	struct rfs_file *f;
	int r = new_key(q, name, "mknod", key, sizeof(key));

	if (r < 0)
		return r;
	if (S_ISREG(mode)) {
		r = rfs_backend_open_file(q->b, key,
					  O_CREAT | O_EXCL | O_WRONLY,
					  mode & 07777, &f);
		if (r == 0)
			r = rfs_file_close(f);
	} else {
		r = rfs_backend_mknod(q->b, key, mode, rdev);
	}
	if (r == -ENOSYS) {
		snprintf(why, sizeof(why),
			 "storage '%s' (%s) keeps only regular files, "
			 "directories and symlinks",
			 s->name, s->cls->name);
		rfs_fs_path_join(path, sizeof(path), q->path, name);
		return rfs_fs_refuse("mknod", path, why);
	}
	if (r == 0)
		rfs_fs_own_by_caller(q, q->b, key);
	return rfs_fs_storage_failed(q->b, "mknod", q->path, r);
}

static int in_mkdir(struct req *q, const char *name, mode_t mode)
{
	char key[KEY_MAX];
	int r = new_key(q, name, "mkdir", key, sizeof(key));

	if (r < 0)
		return r;
	r = rfs_backend_mkdir(q->b, key, mode);
	if (r == 0)
		rfs_fs_own_by_caller(q, q->b, key);
	return rfs_fs_storage_failed(q->b, "mkdir", q->path, r);
}

static int in_symlink(struct req *q, const char *target, const char *name)
{
	char key[KEY_MAX];
	int r = new_key(q, name, "symlink", key, sizeof(key));

	if (r < 0)
		return r;
	r = rfs_backend_symlink(q->b, target, key);
	if (r == 0)
		rfs_fs_own_by_caller(q, q->b, key);
	return rfs_fs_storage_failed(q->b, "symlink", q->path, r);
}

static int in_unlink(struct req *q, const char *name)
{
	char key[KEY_MAX];
	int r = old_key(q, name, key, sizeof(key));

	if (r < 0)
		return r;
	return rfs_fs_storage_failed(q->b, "unlink", q->path,
				     rfs_backend_unlink(q->b, key));
}

static int in_rmdir(struct req *q, const char *name)
{
	char key[KEY_MAX];
	int r = old_key(q, name, key, sizeof(key));

	if (r < 0)
		return r;
	return rfs_fs_storage_failed(q->b, "rmdir", q->path,
				     rfs_backend_rmdir(q->b, key));
}

static int in_getxattr(struct req *q, const char *name, char *value,
		       size_t size)
{
	return (int)rfs_backend_getxattr(q->b, q->node.rest, name, value, size);
}

static int in_listxattr(struct req *q, char *list, size_t size)
{
	return (int)rfs_backend_listxattr(q->b, q->node.rest, list, size);
}

static int in_setxattr(struct req *q, const char *name, const char *value,
		       size_t size, int flags)
{
	/* recyclefs's own names (those `cp -a` copies out of the bin) never
	 * reach a storage; ENOTSUP, which cp ignores */
	if (rfs_fs_is_rfs_attr(name))
		return rfs_fs_unsupported("setxattr", q->path, name);
	return rfs_backend_setxattr(q->b, q->node.rest, name, value, size,
				    flags);
}

static int in_removexattr(struct req *q, const char *name)
{
	return rfs_backend_removexattr(q->b, q->node.rest, name);
}

static int in_statfs(struct req *q, struct statvfs *out)
{
	return rfs_backend_statfs(q->b, q->node.rest, out);
}

const struct fs_kind rfs_fs_kind_epoch_entry = {
	.what = "a file in an epoch",
	.getattr = in_getattr,
	.setattr = in_setattr,
	.readlink = in_readlink,
	.list = in_list,
	.open = in_open,
	.create = in_create,
	.mknod = in_mknod,
	.mkdir = in_mkdir,
	.symlink = in_symlink,
	.unlink = in_unlink,
	.rmdir = in_rmdir,
	.getxattr = in_getxattr,
	.listxattr = in_listxattr,
	.setxattr = in_setxattr,
	.removexattr = in_removexattr,
	.statfs = in_statfs,
};

/* An epoch's root with a backend. */

static int root_getattr(struct req *q, struct stat *st)
{
	int r;

	if (q->b) {
		r = rfs_backend_stat(q->b, "", st);
		if (r != -ENOENT)
			return r;
		/* The location is gone or not made yet: an empty directory. */
	}
	rfs_fs_dir_stat(q->st, q->node.epoch->created_ns, st);
	if (!q->b)
		st->st_mode = S_IFDIR | 0555;
	return 0;
}

static int root_setattr(struct req *q, const struct stat *a, int to_set)
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

static int dir_open(struct req *q, int flags, struct rfs_file **f)
{
	(void)f;
	return (flags & O_ACCMODE) != O_RDONLY
		       ? rfs_fs_kind_refuse(q, "open", q->path)
		       : -EISDIR;
}

static int root_getxattr(struct req *q, const char *name, char *value,
			 size_t size)
{
	if (rfs_fs_is_rfs_attr(name))
		return rfs_fs_node_getxattr(q->st, &q->node, name, value, size);
	return (int)rfs_backend_getxattr(q->b, "", name, value, size);
}

static int root_listxattr(struct req *q, char *list, size_t size)
{
	int r = rfs_fs_node_listxattr(q->st, &q->node, list, size), n;

	if (r < 0)
		return r;
	n = (int)rfs_backend_listxattr(q->b, "", size ? list + r : NULL,
				       size ? size - (size_t)r : 0);
	return n < 0 ? (n == -ENOTSUP ? r : n) : r + n;
}

static int root_removexattr(struct req *q, const char *name)
{
	if (rfs_fs_is_rfs_attr(name))
		return rfs_fs_refuse(
			"removexattr", q->path,
			"user.recyclefs.* attributes are read-only");
	return rfs_backend_removexattr(q->b, "", name);
}

const struct fs_kind rfs_fs_kind_epoch_root = {
	.what = "an epoch",
	.getattr = root_getattr,
	.setattr = root_setattr,
	.readlink = rfs_fs_no_readlink,
	.list = in_list,
	.open = dir_open,
	.create = in_create,
	.mknod = in_mknod,
	.mkdir = in_mkdir,
	.symlink = in_symlink,
	.unlink = in_unlink,
	.rmdir = in_rmdir,
	.getxattr = root_getxattr,
	.listxattr = root_listxattr,
	.setxattr = in_setxattr,
	.removexattr = root_removexattr,
	.statfs = in_statfs,
};

/* An epoch's root without a backend: catalog-only storage, or one that
 * cannot be opened (then listing it is an I/O error, never an empty
 * listing that looks like lost data). */

static int none_list(struct req *q, struct dirlist *d)
{
	int r = rfs_fs_kind_dir_begin(q, d);

	return r < 0 ? r : q->berr == -EIO ? -EIO : 0;
}

static int none_remove(struct req *q, const char *name)
{
	(void)q;
	(void)name;
	return -ENOENT;
}

static int none_setxattr(struct req *q, const char *name, const char *value,
			 size_t size, int flags)
{
	(void)value;
	(void)size;
	(void)flags;
	if (rfs_fs_is_rfs_attr(name))
		return rfs_fs_unsupported("setxattr", q->path, name);
	return rfs_fs_kind_refuse(q, "setxattr", q->path);
}

const struct fs_kind rfs_fs_kind_epoch_none = {
	.what = "an epoch",
	.live = true, /* a storage that comes back is seen at once */
	.getattr = root_getattr,
	.setattr = root_setattr,
	.readlink = rfs_fs_no_readlink,
	.list = none_list,
	.open = dir_open,
	.create = rfs_fs_refuse_create,
	.mknod = rfs_fs_refuse_mknod,
	.mkdir = rfs_fs_refuse_mkdir,
	.symlink = rfs_fs_refuse_symlink,
	.unlink = none_remove,
	.rmdir = none_remove,
	.getxattr = rfs_fs_own_getxattr,
	.listxattr = rfs_fs_own_listxattr,
	.setxattr = none_setxattr,
	.removexattr = rfs_fs_refuse_removexattr,
	.statfs = rfs_fs_index_statfs,
};
