/*
 * The low-level FUSE entry points: take the node by its id, build its
 * path, resolve it in the current snapshot and call the operation of its
 * kind. What the kernel may keep is said here: entry and attribute
 * timeouts (none for live kinds), listings kept (cache_readdir) and kept
 * across opens while a folder's attributes and the snapshot are unchanged
 * (keep_cache), pages kept across opens while a file's size and mtime are
 * unchanged.
 */
#include "fs/ll.h"

#include "backends/backend.h"
#include "rfs_config.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void rfs_fs_op_end(struct op *o)
{
	if (o->path)
		rfs_fs_req_end(&o->q);
	free(o->path);
	rfs_fs_inode_put(o->st, o->n);
	o->path = NULL;
	o->n = NULL;
}

/* Take node @p ino; with @p need_path, its path resolved too (a node that
 * lost its name is then ENOENT). @return 0 or -errno */
int rfs_fs_op_begin(fuse_req_t fr, fuse_ino_t ino, struct op *o, bool need_path)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(fr);
	int r;

	memset(o, 0, sizeof(*o));
	o->st = fuse_req_userdata(fr);
	o->n = rfs_fs_inode_get(o->st, ino);
	if (!o->n)
		return -ESTALE;
	o->path = rfs_fs_inode_path(o->st, o->n, &r);
	if (o->path) {
		r = rfs_fs_req_begin(&o->q, o->st, o->path);
		if (r < 0) {
			free(o->path);
			o->path = NULL;
		}
	}
	if (r < 0 && (need_path || r != -ENOENT)) {
		rfs_fs_op_end(o);
		return r;
	}
	o->q.uid = ctx->uid;
	o->q.gid = ctx->gid;
	o->q.pid = ctx->pid;
	o->q.st = o->st;
	return 0;
}

struct fs_fh *rfs_fs_fh_of(const struct fuse_file_info *fi)
{
	return fi ? (struct fs_fh *)(uintptr_t)fi->fh : NULL;
}

/* An open file of @p n (for a node without a name), or NULL. The file
 * stays open while the caller's request runs: a release waits on the
 * node's lock. */
static struct rfs_file *any_open_locked(struct fs_inode *n)
{
	return n->opens ? n->opens->f : NULL;
}

double rfs_fs_entry_timeout(const struct rfs_fs_state *st,
			    const struct fs_kind *k)
{
	return k->live ? 0 : st->entry_timeout;
}

double rfs_fs_attr_timeout(const struct rfs_fs_state *st,
			   const struct fs_kind *k)
{
	return k->live ? 0 : st->attr_timeout;
}

/* Look @p name up in folder @p dir: its attributes and its node (one
 * more lookup). @return 0 or -errno */
int rfs_fs_entry_of(struct op *dir, const char *name,
		    struct fuse_entry_param *e)
{
	char path[4096 + 256];
	const struct fs_kind *k;
	struct fs_inode *n;
	struct req cq;
	int r;

	memset(e, 0, sizeof(*e));
	r = rfs_fs_path_join(path, sizeof(path), dir->path, name);
	if (r == 0)
		r = rfs_fs_req_begin(&cq, dir->st, path);
	if (r < 0)
		return r;
	cq.uid = dir->q.uid;
	cq.gid = dir->q.gid;
	cq.pid = dir->q.pid;
	k = rfs_fs_kind_of(&cq);
	r = k->getattr(&cq, &e->attr);
	rfs_fs_req_end(&cq);
	if (r < 0)
		return r;
	rfs_fs_set_ino(&e->attr, path, NULL);
	n = rfs_fs_inode_lookup(dir->st, dir->n, name, k, &e->attr);
	if (!n)
		return -ENOMEM;
	e->ino = n->id;
	e->generation = dir->st->generation;
	e->entry_timeout = rfs_fs_entry_timeout(dir->st, k);
	e->attr_timeout = rfs_fs_attr_timeout(dir->st, k);
	rfs_fs_inode_put(dir->st, n);
	return 0;
}

static void reply_entry(fuse_req_t fr, struct op *dir, const char *name, int r)
{
	struct fuse_entry_param e;

	if (r == 0)
		r = rfs_fs_entry_of(dir, name, &e);
	rfs_fs_op_end(dir);
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_entry(fr, &e);
}

/*
 * Passthrough (a build with libfuse >= 3.17): the kernel reads and writes
 * opened local files itself when it offers it and -o passthrough=off does
 * not say otherwise. Said once in the log, with the reason when it is off.
 */
static void init_passthrough(struct rfs_fs_state *st,
			     struct fuse_conn_info *conn)
{
	const char *off = "this build's libfuse has no passthrough";

#ifdef RFS_HAVE_PASSTHROUGH
	if (st->passthrough_off) {
		off = "-o passthrough=off";
	} else if (!(conn->capable & FUSE_CAP_PASSTHROUGH)) {
		off = "the kernel does not offer it";
	} else {
		conn->want |= FUSE_CAP_PASSTHROUGH;
		__atomic_store_n(&st->passthrough, 1, __ATOMIC_RELAXED);
		rfs_log(LOG_INFO, "passthrough of local files: on");
		return;
	}
#else
	(void)conn;
#endif
	st->passthrough = 0;
	rfs_log(LOG_INFO, "passthrough of local files: off (%s)", off);
}

/* The kernel's device number of the FUSE mount on @p mnt, from
 * /proc/self/mountinfo (its last mount there). @return 0 or -errno */
static int mount_dev(const char *mnt, unsigned int *maj, unsigned int *min)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], point[4096];
	unsigned int a, b;
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *dash = strstr(line, " - ");
		char *w = point;

		if (!dash || strncmp(dash + 3, "fuse", 4) ||
		    sscanf(line, "%*u %*u %u:%u %*s %4095s", &a, &b, point) !=
			    3)
			continue;
		/* the kernel writes space, tab, newline and backslash as
		 * octal escapes */
		for (const char *c = point; *c; c++) {
			if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' &&
			    c[2] >= '0' && c[2] <= '7' && c[3] >= '0' &&
			    c[3] <= '7') {
				*w++ = (char)((c[1] - '0') << 6 |
					      (c[2] - '0') << 3 | (c[3] - '0'));
				c += 3;
			} else {
				*w++ = *c;
			}
		}
		*w = '\0';
		if (!strcmp(point, mnt)) {
			*maj = a;
			*min = b;
			r = 0;
		}
	}
	fclose(f);
	return r;
}

/*
 * The read-ahead to set (KiB). The kernel reads a file ahead in requests of
 * up to twice its read-ahead, and libfuse splices a reply from the
 * storage's file only when the reply, its header and a few pages besides
 * fit its pipe, which it grows to at most fs.pipe-max-size (1 MiB by
 * default) without CAP_SYS_RESOURCE; a larger reply it copies through the
 * daemon, which is slower than more requests. So: the largest multiple of
 * 128 KiB whose requests fit, at most 1 MiB (one request of max_pages).
 */
static unsigned int read_ahead_kb(void)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
	unsigned long max = 0;
	unsigned long kb;

	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 0;
		fclose(f);
	}
	if (max < (1 << 20))
		max = 1 << 20;
	kb = (max / 1024 - 64) / 2 / 128 * 128;
	return kb > 1024 ? 1024 : (unsigned int)kb;
}

/*
 * Read-ahead. The kernel reads ahead 128 KiB on a FUSE mount (the default
 * of its backing device), in requests of 256 KiB, and the daemon's
 * max_readahead at init can only lower that. As root, the mount raises its
 * device's read_ahead_kb (/sys/class/bdi/MAJOR:MINOR) to read_ahead_kb()
 * before it answers the kernel's init, and asks for as much. Without the
 * right to (not root), it stays as the kernel set it; a larger value set
 * by the administrator stays too.
 */
static void init_read_ahead(struct rfs_fs_state *st,
			    struct fuse_conn_info *conn)
{
	unsigned int maj, min, kb = 0, want = read_ahead_kb();
	char path[64];
	FILE *f;
	int r = st->mountpoint ? mount_dev(st->mountpoint, &maj, &min)
			       : -ENOENT;

	if (r == 0) {
		snprintf(path, sizeof(path),
			 "/sys/class/bdi/%u:%u/read_ahead_kb", maj, min);
		f = fopen(path, "r+e");
		if (!f)
			r = -errno;
		else if (fscanf(f, "%u", &kb) != 1)
			r = -EIO;
		else if (kb < want && (fseek(f, 0, SEEK_SET) < 0 ||
				       fprintf(f, "%u\n", want) < 0))
			r = -errno;
		if (f && fclose(f) != 0 && r == 0)
			r = -errno;
	}
	if (r < 0) {
		rfs_log(LOG_DEBUG, "read-ahead left at the kernel's: %s",
			strerror(-r));
		return;
	}
	if (kb < want)
		kb = want;
	conn->max_readahead = kb * 1024;
	rfs_log(LOG_DEBUG, "read-ahead: %u KiB", kb);
}

static void ll_init(void *data, struct fuse_conn_info *conn)
{
	init_passthrough(data, conn);
	init_read_ahead(data, conn);
	if (conn->capable & FUSE_CAP_READDIRPLUS) {
		conn->want |= FUSE_CAP_READDIRPLUS;
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	}
	conn->want |= conn->capable &
		      (FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_SPLICE_WRITE |
		       FUSE_CAP_SPLICE_MOVE | FUSE_CAP_SPLICE_READ |
		       FUSE_CAP_ASYNC_DIO | FUSE_CAP_CACHE_SYMLINKS |
		       FUSE_CAP_AUTO_INVAL_DATA);
	/* The kernel clears the set-user-ID and set-group-ID bits itself,
	 * with a setattr of the mode, on a write or truncate by a caller
	 * without CAP_FSETID: the daemon writes as root, so the storage
	 * would keep them (docs/guide.md). */
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
#ifdef FUSE_CAP_HANDLE_KILLPRIV_V2
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV_V2;
#endif
	/* Writes of up to 1 MiB in one request (libfuse asks the kernel for
	 * max_pages to match). */
	conn->max_write = 1 << 20;
}

static void ll_lookup(fuse_req_t fr, fuse_ino_t parent, const char *name)
{
	struct op dir;
	int r = rfs_fs_op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	reply_entry(fr, &dir, name, 0);
}

static void ll_forget(fuse_req_t fr, fuse_ino_t ino, uint64_t nlookup)
{
	rfs_fs_inode_forget(fuse_req_userdata(fr), ino, nlookup);
	fuse_reply_none(fr);
}

static void ll_forget_multi(fuse_req_t fr, size_t count,
			    struct fuse_forget_data *v)
{
	for (size_t i = 0; i < count; i++)
		rfs_fs_inode_forget(fuse_req_userdata(fr), v[i].ino,
				    v[i].nlookup);
	fuse_reply_none(fr);
}

/* The attributes of node @p o (through @p fh when given). */
static int stat_node(struct op *o, struct fs_fh *fh, struct stat *st)
{
	struct rfs_file *f;
	int r;

	if (fh) {
		r = rfs_fs_storage_failed(fh->f->backend, "stat", o->path,
					  rfs_file_stat(fh->f, st));
	} else if (o->path) {
		r = rfs_fs_storage_failed(o->q.b, "stat", o->path,
					  o->n->kind->getattr(&o->q, st));
	} else {
		pthread_mutex_lock(&o->n->lock);
		f = any_open_locked(o->n);
		r = f ? rfs_file_stat(f, st) : -ENOENT;
		if (!f && o->n->gone) {
			*st = *o->n->gone;
			r = 0;
		}
		pthread_mutex_unlock(&o->n->lock);
	}
	if (r == 0)
		rfs_fs_set_ino(st, o->path, NULL);
	return r;
}

static void reply_attr(fuse_req_t fr, struct op *o, struct fs_fh *fh)
{
	struct stat st;
	int r = stat_node(o, fh, &st);
	double t = rfs_fs_attr_timeout(o->st, o->n->kind);

	rfs_fs_op_end(o);
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_attr(fr, &st, t);
}

static void ll_getattr(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct op o;
	int r = rfs_fs_op_begin(fr, ino, &o, false);

	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		reply_attr(fr, &o, rfs_fs_fh_of(fi));
}

/* fchmod, fchown and futimens of a node without a name that is not an
 * open file of the storage's (a folder, a FIFO, a device): on the
 * attributes it had, as the storage does with an unlinked inode. */
static int gone_setattr(struct stat *g, const struct stat *a, int to_set)
{
	struct timespec now;

	if (to_set & FUSE_SET_ATTR_SIZE)
		return -ENOENT;
	clock_gettime(CLOCK_REALTIME, &now);
	if (to_set & FUSE_SET_ATTR_MODE)
		g->st_mode = (g->st_mode & S_IFMT) | (a->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		g->st_uid = a->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		g->st_gid = a->st_gid;
	if (to_set & FUSE_SET_ATTR_ATIME)
		g->st_atim =
			to_set & FUSE_SET_ATTR_ATIME_NOW ? now : a->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME)
		g->st_mtim =
			to_set & FUSE_SET_ATTR_MTIME_NOW ? now : a->st_mtim;
	g->st_ctim = now;
	return 0;
}

static void ll_setattr(fuse_req_t fr, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct fs_fh *fh = rfs_fs_fh_of(fi);
	struct rfs_file *f = fh ? fh->f : NULL;
	struct op o;
	int r = rfs_fs_op_begin(fr, ino, &o, false);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	pthread_mutex_lock(&o.n->lock);
	if (!f && !o.path)
		f = any_open_locked(o.n);
	if (f &&
	    (rfs_file_fd(f) >= 0 || !o.path || to_set == FUSE_SET_ATTR_SIZE))
		r = rfs_fs_file_setattr(f, attr, to_set);
	else if (o.path)
		r = o.n->kind->setattr(&o.q, attr, to_set);
	else if (o.n->gone)
		r = gone_setattr(o.n->gone, attr, to_set);
	else
		r = -ENOENT;
	pthread_mutex_unlock(&o.n->lock);
	if (r < 0) {
		rfs_fs_op_end(&o);
		fuse_reply_err(fr, -r);
		return;
	}
	reply_attr(fr, &o, fh);
}

static void ll_readlink(fuse_req_t fr, fuse_ino_t ino)
{
	char buf[4097];
	struct op o;
	int r = rfs_fs_op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->readlink(&o.q, buf, sizeof(buf));
		rfs_fs_op_end(&o);
	}
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_readlink(fr, buf);
}

static void ll_mknod(fuse_req_t fr, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct op dir;
	int r = rfs_fs_op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = dir.n->kind->mknod(&dir.q, name, mode, rdev);
	reply_entry(fr, &dir, name, r);
}

static void ll_mkdir(fuse_req_t fr, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct op dir;
	int r = rfs_fs_op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = dir.n->kind->mkdir(&dir.q, name, mode);
	reply_entry(fr, &dir, name, r);
}

static void ll_symlink(fuse_req_t fr, const char *target, fuse_ino_t parent,
		       const char *name)
{
	struct op dir;
	int r = rfs_fs_op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = dir.n->kind->symlink(&dir.q, target, name);
	reply_entry(fr, &dir, name, r);
}

static void ll_link(fuse_req_t fr, fuse_ino_t ino, fuse_ino_t parent,
		    const char *name)
{
	struct op dir, src;
	int r = rfs_fs_op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = rfs_fs_op_begin(fr, ino, &src, true);
	if (r == 0) {
		r = rfs_fs_kind_link(&dir.q, name, &src.q);
		rfs_fs_op_end(&src);
	}
	/* The new name is a node of its own: the kernel keeps the old
	 * node's link count until told (by the watcher, at once). */
	if (r == 0)
		rfs_fs_notify_inode(dir.st, ino);
	reply_entry(fr, &dir, name, r);
}

/*
 * The attributes of @p name in folder @p dir before it goes, when the
 * kernel holds a node of it on a storage that keeps inodes (local): a
 * descriptor still open on it (a folder, a FIFO, a path descriptor) asks
 * for them after. An open file of the storage answers for itself.
 * @return true when @p last is set
 */
static bool last_attrs(struct op *dir, const char *name, struct stat *last)
{
	const struct fs_kind *k;
	char path[4096 + 256];
	struct req c;
	bool ok;

	if (!dir->q.b || !rfs_backend_has(dir->q.b, RFS_BACKEND_CAP_SPECIAL))
		return false;
	k = rfs_fs_inode_known(dir->st, dir->n, name);
	if (!k || !k->getattr ||
	    rfs_fs_path_join(path, sizeof(path), dir->path, name) < 0 ||
	    rfs_fs_req_begin(&c, dir->st, path) < 0)
		return false;
	ok = k->getattr(&c, last) == 0;
	if (ok)
		rfs_fs_set_ino(last, path, NULL);
	rfs_fs_req_end(&c);
	return ok;
}

/* unlink and rmdir. */
static void remove_name(fuse_req_t fr, fuse_ino_t parent, const char *name,
			bool folder)
{
	struct stat last;
	struct op dir;
	bool kept;
	int r = rfs_fs_op_begin(fr, parent, &dir, true);

	if (r == 0) {
		kept = last_attrs(&dir, name, &last);
		r = folder ? dir.n->kind->rmdir(&dir.q, name)
			   : dir.n->kind->unlink(&dir.q, name);
		if (r == 0 && kept)
			rfs_fs_inode_set_gone(dir.st, dir.n, name, &last);
		if (r == 0)
			rfs_fs_inode_unlink(dir.st, dir.n, name);
		rfs_fs_op_end(&dir);
	}
	fuse_reply_err(fr, -r);
}

static void ll_unlink(fuse_req_t fr, fuse_ino_t parent, const char *name)
{
	remove_name(fr, parent, name, false);
}

static void ll_rmdir(fuse_req_t fr, fuse_ino_t parent, const char *name)
{
	remove_name(fr, parent, name, true);
}

static void ll_rename(fuse_req_t fr, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct op a, b;
	int r = rfs_fs_op_begin(fr, parent, &a, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = rfs_fs_op_begin(fr, newparent, &b, true);
	if (r < 0) {
		rfs_fs_op_end(&a);
		fuse_reply_err(fr, -r);
		return;
	}
	r = rfs_fs_kind_rename(&a.q, name, &b.q, newname, flags);
	if (r == 1) {
		/* Archived: the item left its origin for the bin, where it
		 * shows at its mirrored path, not under @p newname. */
		rfs_fs_inode_unlink(a.st, a.n, name);
		rfs_fs_notify_entry(b.st, b.n->id, newname);
		r = 0;
	} else if (r == 0 && (flags & RENAME_EXCHANGE)) {
		rfs_fs_inode_unlink(a.st, a.n, name);
		rfs_fs_inode_unlink(b.st, b.n, newname);
	} else if (r == 0) {
		rfs_fs_inode_rename(a.st, a.n, name, b.n, newname);
	}
	rfs_fs_op_end(&b);
	rfs_fs_op_end(&a);
	fuse_reply_err(fr, -r);
}

static void ll_statfs(fuse_req_t fr, fuse_ino_t ino)
{
	struct statvfs out;
	struct op o;
	int r = rfs_fs_op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->statfs(&o.q, &out);
		rfs_fs_op_end(&o);
	}
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_statfs(fr, &out);
}

/* getxattr and listxattr: a size query, or the value. */
static void reply_xattr(fuse_req_t fr, int r, const char *buf, size_t size)
{
	if (r < 0)
		fuse_reply_err(fr, -r);
	else if (size == 0)
		fuse_reply_xattr(fr, (size_t)r);
	else
		fuse_reply_buf(fr, buf, (size_t)r);
}

static void ll_getxattr(fuse_req_t fr, fuse_ino_t ino, const char *name,
			size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	struct op o;
	int r = size && !buf ? -ENOMEM : rfs_fs_op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->getxattr(&o.q, name, buf, size);
		rfs_fs_op_end(&o);
	}
	reply_xattr(fr, r, buf, size);
	free(buf);
}

static void ll_listxattr(fuse_req_t fr, fuse_ino_t ino, size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	struct op o;
	int r = size && !buf ? -ENOMEM : rfs_fs_op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->listxattr(&o.q, buf, size);
		rfs_fs_op_end(&o);
	}
	reply_xattr(fr, r, buf, size);
	free(buf);
}

static void ll_setxattr(fuse_req_t fr, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct op o;
	int r = rfs_fs_op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->setxattr(&o.q, name, value, size, flags);
		rfs_fs_op_end(&o);
	}
	fuse_reply_err(fr, -r);
}

static void ll_removexattr(fuse_req_t fr, fuse_ino_t ino, const char *name)
{
	struct op o;
	int r = rfs_fs_op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->removexattr(&o.q, name);
		rfs_fs_op_end(&o);
	}
	fuse_reply_err(fr, -r);
}

const struct fuse_lowlevel_ops rfs_fs_ll_ops = {
	.init = ll_init,
	.lookup = ll_lookup,
	.forget = ll_forget,
	.forget_multi = ll_forget_multi,
	.getattr = ll_getattr,
	.setattr = ll_setattr,
	.readlink = ll_readlink,
	.mknod = ll_mknod,
	.mkdir = ll_mkdir,
	.unlink = ll_unlink,
	.rmdir = ll_rmdir,
	.symlink = ll_symlink,
	.rename = ll_rename,
	.link = ll_link,
	.open = rfs_fs_ll_open,
	.read = rfs_fs_ll_read,
	.write_buf = rfs_fs_ll_write_buf,
	.flush = rfs_fs_ll_flush,
	.release = rfs_fs_ll_release,
	.fsync = rfs_fs_ll_fsync,
	.opendir = rfs_fs_ll_opendir,
	.readdir = rfs_fs_ll_readdir,
	.readdirplus = rfs_fs_ll_readdirplus,
	.releasedir = rfs_fs_ll_releasedir,
	.statfs = ll_statfs,
	.setxattr = ll_setxattr,
	.getxattr = ll_getxattr,
	.listxattr = ll_listxattr,
	.removexattr = ll_removexattr,
	.create = rfs_fs_ll_create,
	.fallocate = rfs_fs_ll_fallocate,
	.lseek = rfs_fs_ll_lseek,
	.copy_file_range = rfs_fs_ll_copy_file_range,
};
