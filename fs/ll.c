/*
 * The low-level FUSE entry points: take the node by its id, build its
 * path, resolve it in the current snapshot and call the operation of its
 * kind. What the kernel may keep is said here: entry and attribute
 * timeouts (none for live kinds), listings kept (cache_readdir) and kept
 * across opens while a folder's attributes and the snapshot are unchanged
 * (keep_cache), pages kept across opens while a file's size and mtime are
 * unchanged.
 */
#include "fs/internal.h"

#include "backends/backend.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A request on one node. */
struct op {
	struct rfs_fs_state *st;
	struct fs_inode *n; /* a reference */
	char *path;	    /* its mount path; NULL without a name */
	struct req q;	    /* resolved when path is set */
};

static void op_end(struct op *o)
{
	if (o->path)
		fs_req_end(&o->q);
	free(o->path);
	fs_inode_put(o->st, o->n);
	o->path = NULL;
	o->n = NULL;
}

/* Take node @p ino; with @p need_path, its path resolved too (a node that
 * lost its name is then ENOENT). @return 0 or -errno */
static int op_begin(fuse_req_t fr, fuse_ino_t ino, struct op *o, bool need_path)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(fr);
	int r;

	memset(o, 0, sizeof(*o));
	o->st = fuse_req_userdata(fr);
	o->n = fs_inode_get(o->st, ino);
	if (!o->n)
		return -ESTALE;
	o->path = fs_inode_path(o->st, o->n, &r);
	if (o->path) {
		r = fs_req_begin(&o->q, o->st, o->path);
		if (r < 0) {
			free(o->path);
			o->path = NULL;
		}
	}
	if (r < 0 && (need_path || r != -ENOENT)) {
		op_end(o);
		return r;
	}
	o->q.uid = ctx->uid;
	o->q.gid = ctx->gid;
	o->q.st = o->st;
	return 0;
}

static struct fs_fh *fh_of(const struct fuse_file_info *fi)
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

static double entry_timeout(const struct rfs_fs_state *st,
			    const struct fs_kind *k)
{
	return k->live ? 0 : st->entry_timeout;
}

static double attr_timeout(const struct rfs_fs_state *st,
			   const struct fs_kind *k)
{
	return k->live ? 0 : st->attr_timeout;
}

/* Look @p name up in folder @p dir: its attributes and its node (one
 * more lookup). @return 0 or -errno */
static int entry_of(struct op *dir, const char *name,
		    struct fuse_entry_param *e)
{
	char path[4096 + 256];
	const struct fs_kind *k;
	struct fs_inode *n;
	struct req cq;
	int r;

	memset(e, 0, sizeof(*e));
	r = fs_path_join(path, sizeof(path), dir->path, name);
	if (r == 0)
		r = fs_req_begin(&cq, dir->st, path);
	if (r < 0)
		return r;
	cq.uid = dir->q.uid;
	cq.gid = dir->q.gid;
	k = fs_kind_of(&cq);
	r = k->getattr(&cq, &e->attr);
	fs_req_end(&cq);
	if (r < 0)
		return r;
	fs_set_ino(&e->attr, path, NULL);
	n = fs_inode_lookup(dir->st, dir->n, name, k);
	if (!n)
		return -ENOMEM;
	e->ino = n->id;
	e->generation = dir->st->generation;
	e->entry_timeout = entry_timeout(dir->st, k);
	e->attr_timeout = attr_timeout(dir->st, k);
	fs_inode_put(dir->st, n);
	return 0;
}

static void reply_entry(fuse_req_t fr, struct op *dir, const char *name, int r)
{
	struct fuse_entry_param e;

	if (r == 0)
		r = entry_of(dir, name, &e);
	op_end(dir);
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_entry(fr, &e);
}

static void ll_init(void *data, struct fuse_conn_info *conn)
{
	(void)data;
	if (conn->capable & FUSE_CAP_READDIRPLUS) {
		conn->want |= FUSE_CAP_READDIRPLUS;
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	}
	conn->want |= conn->capable &
		      (FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_SPLICE_WRITE |
		       FUSE_CAP_SPLICE_MOVE | FUSE_CAP_SPLICE_READ |
		       FUSE_CAP_ASYNC_DIO | FUSE_CAP_CACHE_SYMLINKS |
		       FUSE_CAP_AUTO_INVAL_DATA | FUSE_CAP_EXPORT_SUPPORT);
	/* Writes of up to 1 MiB in one request (libfuse asks the kernel for
	 * max_pages to match). */
	conn->max_write = 1 << 20;
}

static void ll_lookup(fuse_req_t fr, fuse_ino_t parent, const char *name)
{
	struct op dir;
	int r = op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	reply_entry(fr, &dir, name, 0);
}

static void ll_forget(fuse_req_t fr, fuse_ino_t ino, uint64_t nlookup)
{
	fs_inode_forget(fuse_req_userdata(fr), ino, nlookup);
	fuse_reply_none(fr);
}

static void ll_forget_multi(fuse_req_t fr, size_t count,
			    struct fuse_forget_data *v)
{
	for (size_t i = 0; i < count; i++)
		fs_inode_forget(fuse_req_userdata(fr), v[i].ino, v[i].nlookup);
	fuse_reply_none(fr);
}

/* The attributes of node @p o (through @p fh when given). */
static int stat_node(struct op *o, struct fs_fh *fh, struct stat *st)
{
	struct rfs_file *f;
	int r;

	if (fh) {
		r = fs_storage_failed(fh->f->backend, "stat", o->path,
				      rfs_file_stat(fh->f, st));
	} else if (o->path) {
		r = fs_storage_failed(o->q.b, "stat", o->path,
				      o->n->kind->getattr(&o->q, st));
	} else {
		pthread_mutex_lock(&o->n->lock);
		f = any_open_locked(o->n);
		r = f ? rfs_file_stat(f, st) : -ENOENT;
		pthread_mutex_unlock(&o->n->lock);
	}
	if (r == 0)
		fs_set_ino(st, o->path, NULL);
	return r;
}

static void reply_attr(fuse_req_t fr, struct op *o, struct fs_fh *fh)
{
	struct stat st;
	int r = stat_node(o, fh, &st);
	double t = attr_timeout(o->st, o->n->kind);

	op_end(o);
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_attr(fr, &st, t);
}

static void ll_getattr(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct op o;
	int r = op_begin(fr, ino, &o, false);

	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		reply_attr(fr, &o, fh_of(fi));
}

static void ll_setattr(fuse_req_t fr, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct fs_fh *fh = fh_of(fi);
	struct rfs_file *f = fh ? fh->f : NULL;
	struct op o;
	int r = op_begin(fr, ino, &o, false);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	pthread_mutex_lock(&o.n->lock);
	if (!f && !o.path)
		f = any_open_locked(o.n);
	if (f &&
	    (rfs_file_fd(f) >= 0 || !o.path || to_set == FUSE_SET_ATTR_SIZE))
		r = fs_file_setattr(f, attr, to_set);
	else if (o.path)
		r = o.n->kind->setattr(&o.q, attr, to_set);
	else
		r = -ENOENT;
	pthread_mutex_unlock(&o.n->lock);
	if (r < 0) {
		op_end(&o);
		fuse_reply_err(fr, -r);
		return;
	}
	reply_attr(fr, &o, fh);
}

static void ll_readlink(fuse_req_t fr, fuse_ino_t ino)
{
	char buf[4097];
	struct op o;
	int r = op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->readlink(&o.q, buf, sizeof(buf));
		op_end(&o);
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
	int r = op_begin(fr, parent, &dir, true);

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
	int r = op_begin(fr, parent, &dir, true);

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
	int r = op_begin(fr, parent, &dir, true);

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
	int r = op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = op_begin(fr, ino, &src, true);
	if (r == 0) {
		r = dir.n->kind->link(&dir.q, name, &src.q);
		op_end(&src);
	}
	reply_entry(fr, &dir, name, r);
}

static void ll_unlink(fuse_req_t fr, fuse_ino_t parent, const char *name)
{
	struct op dir;
	int r = op_begin(fr, parent, &dir, true);

	if (r == 0) {
		r = dir.n->kind->unlink(&dir.q, name);
		if (r == 0)
			fs_inode_unlink(dir.st, dir.n, name);
		op_end(&dir);
	}
	fuse_reply_err(fr, -r);
}

static void ll_rmdir(fuse_req_t fr, fuse_ino_t parent, const char *name)
{
	struct op dir;
	int r = op_begin(fr, parent, &dir, true);

	if (r == 0) {
		r = dir.n->kind->rmdir(&dir.q, name);
		if (r == 0)
			fs_inode_unlink(dir.st, dir.n, name);
		op_end(&dir);
	}
	fuse_reply_err(fr, -r);
}

static void ll_rename(fuse_req_t fr, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct op a, b;
	int r = op_begin(fr, parent, &a, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = op_begin(fr, newparent, &b, true);
	if (r < 0) {
		op_end(&a);
		fuse_reply_err(fr, -r);
		return;
	}
	r = a.n->kind->rename(&a.q, name, &b.q, newname, flags);
	if (r == 1) {
		/* Archived: the item left its origin for the bin, where it
		 * shows at its mirrored path, not under @p newname. */
		fs_inode_unlink(a.st, a.n, name);
		fs_notify_entry(b.st, b.n->id, newname);
		r = 0;
	} else if (r == 0 && (flags & RENAME_EXCHANGE)) {
		fs_inode_unlink(a.st, a.n, name);
		fs_inode_unlink(b.st, b.n, newname);
	} else if (r == 0) {
		fs_inode_rename(a.st, a.n, name, b.n, newname);
	}
	op_end(&b);
	op_end(&a);
	fuse_reply_err(fr, -r);
}

/* Keep the pages of a file whose size and mtime did not change since its
 * last open (a change through the mount updated them as it went). */
static bool keep_pages(struct fs_inode *n, const struct stat *st)
{
	bool keep;

	pthread_mutex_lock(&n->lock);
	keep = n->seen && n->size == st->st_size &&
	       n->mtim.tv_sec == st->st_mtim.tv_sec &&
	       n->mtim.tv_nsec == st->st_mtim.tv_nsec;
	n->seen = true;
	n->size = st->st_size;
	n->mtim = st->st_mtim;
	pthread_mutex_unlock(&n->lock);
	return keep;
}

/* Wrap an opened file @p f of node @p o in a handle in @p fi. */
static int open_fh(struct op *o, struct rfs_file *f, struct fuse_file_info *fi)
{
	struct fs_fh *fh = calloc(1, sizeof(*fh));
	struct stat st;

	if (!fh) {
		rfs_file_close(f);
		return -ENOMEM;
	}
	fh->f = f;
	fh->ino = o->n;
	pthread_mutex_lock(&o->st->table_lock);
	o->n->refs++;
	pthread_mutex_unlock(&o->st->table_lock);
	if (!o->n->kind->live && rfs_file_stat(f, &st) == 0)
		fi->keep_cache = keep_pages(o->n, &st);
	pthread_mutex_lock(&o->n->lock);
	fh->next = o->n->opens;
	o->n->opens = fh;
	pthread_mutex_unlock(&o->n->lock);
	fi->fh = (uintptr_t)fh;
	return 0;
}

static void ll_open(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rfs_file *f;
	struct op o;
	int r = op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->open(&o.q, fi->flags, &f);
		if (r == 0)
			r = open_fh(&o, f, fi);
		op_end(&o);
	}
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_open(fr, fi);
}

static void ll_create(fuse_req_t fr, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct rfs_file *f;
	struct op dir, o;
	int r = op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = dir.n->kind->create(&dir.q, name, mode, fi->flags, &f);
	if (r == 0) {
		r = entry_of(&dir, name, &e);
		if (r < 0)
			rfs_file_close(f);
	}
	op_end(&dir);
	if (r == 0) {
		r = op_begin(fr, e.ino, &o, false);
		if (r == 0) {
			r = open_fh(&o, f, fi);
			op_end(&o);
		} else {
			rfs_file_close(f);
		}
	}
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		fuse_reply_create(fr, &e, fi);
}

static void ll_read(fuse_req_t fr, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_of(fi)->f;
	struct fuse_bufvec v = FUSE_BUFVEC_INIT(size);
	int fd = rfs_file_fd(f);
	ssize_t n;

	(void)ino;
	if (fd >= 0) {
		/* libfuse splices from the file: no copy through us. */
		v.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		v.buf[0].fd = fd;
		v.buf[0].pos = off;
		fuse_reply_data(fr, &v, FUSE_BUF_SPLICE_MOVE);
		return;
	}
	v.buf[0].mem = malloc(size ? size : 1);
	if (!v.buf[0].mem) {
		fuse_reply_err(fr, ENOMEM);
		return;
	}
	n = rfs_file_read(f, v.buf[0].mem, size, off);
	if (n < 0)
		fuse_reply_err(fr, -fs_storage_failed(f->backend, "read", NULL,
						      (int)n));
	else
		fuse_reply_buf(fr, v.buf[0].mem, (size_t)n);
	free(v.buf[0].mem);
}

static void ll_write_buf(fuse_req_t fr, fuse_ino_t ino, struct fuse_bufvec *in,
			 off_t off, struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_of(fi)->f;
	size_t size = fuse_buf_size(in);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
	int fd = rfs_file_fd(f);
	ssize_t n;

	(void)ino;
	if (fd >= 0) {
		dst.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		dst.buf[0].fd = fd;
		dst.buf[0].pos = off;
		n = fuse_buf_copy(&dst, in, FUSE_BUF_SPLICE_NONBLOCK);
	} else if (in->count == 1 && !(in->buf[0].flags & FUSE_BUF_IS_FD)) {
		n = rfs_file_write(f, in->buf[0].mem, size, off);
	} else {
		dst.buf[0].mem = malloc(size ? size : 1);
		if (!dst.buf[0].mem) {
			fuse_reply_err(fr, ENOMEM);
			return;
		}
		n = fuse_buf_copy(&dst, in, 0);
		if (n >= 0)
			n = rfs_file_write(f, dst.buf[0].mem, (size_t)n, off);
		free(dst.buf[0].mem);
	}
	if (n < 0)
		fuse_reply_err(fr, -fs_storage_failed(f->backend, "write", NULL,
						      (int)n));
	else
		fuse_reply_write(fr, (size_t)n);
}

static void ll_flush(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_of(fi)->f;

	(void)ino;
	fuse_reply_err(fr, -fs_storage_failed(f->backend, "flush", NULL,
					      rfs_file_flush(f)));
}

static void ll_release(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rfs_fs_state *st = fuse_req_userdata(fr);
	struct fs_fh *fh = fh_of(fi), **p;
	struct rfs_backend *b = fh->f->backend;
	struct fs_inode *n = fh->ino;
	int r;

	(void)ino;
	pthread_mutex_lock(&n->lock);
	for (p = &n->opens; *p && *p != fh; p = &(*p)->next)
		;
	if (*p)
		*p = fh->next;
	pthread_mutex_unlock(&n->lock);
	fs_writer_remove(st, fh->f);
	r = fs_storage_failed(b, "close", NULL, rfs_file_close(fh->f));
	free(fh);
	fs_inode_put(st, n);
	fuse_reply_err(fr, -r);
}

static void ll_fsync(fuse_req_t fr, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_of(fi)->f;

	(void)ino;
	fuse_reply_err(fr, -fs_storage_failed(f->backend, "fsync", NULL,
					      rfs_file_fsync(f, datasync)));
}

static void ll_fallocate(fuse_req_t fr, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(fr, -rfs_file_fallocate(fh_of(fi)->f, mode, off, len));
}

static void ll_lseek(fuse_req_t fr, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct rfs_file *f = fh_of(fi)->f;
	struct stat st;
	int fd = rfs_file_fd(f), r;
	off_t o;

	(void)ino;
	if (fd >= 0) {
		o = lseek(fd, off, whence);
		if (o < 0)
			fuse_reply_err(fr, errno);
		else
			fuse_reply_lseek(fr, o);
		return;
	}
	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		fuse_reply_err(fr, EINVAL);
		return;
	}
	r = rfs_file_stat(f, &st);
	if (r < 0)
		fuse_reply_err(fr, -r);
	else if (off >= st.st_size)
		fuse_reply_err(fr, ENXIO);
	else
		fuse_reply_lseek(fr, whence == SEEK_DATA ? off : st.st_size);
}

static void ll_copy_file_range(fuse_req_t fr, fuse_ino_t ino_in, off_t oin,
			       struct fuse_file_info *fin, fuse_ino_t ino_out,
			       off_t oout, struct fuse_file_info *fout,
			       size_t len, int flags)
{
	int in = rfs_file_fd(fh_of(fin)->f), out = rfs_file_fd(fh_of(fout)->f);
	ssize_t n;

	(void)ino_in;
	(void)ino_out;
	if (in < 0 || out < 0) {
		fuse_reply_err(fr, EOPNOTSUPP);
		return;
	}
	n = copy_file_range(in, &oin, out, &oout, len, (unsigned int)flags);
	if (n < 0)
		fuse_reply_err(fr, errno);
	else
		fuse_reply_write(fr, (size_t)n);
}

static void ll_statfs(fuse_req_t fr, fuse_ino_t ino)
{
	struct statvfs out;
	struct op o;
	int r = op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->statfs(&o.q, &out);
		op_end(&o);
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
	int r = size && !buf ? -ENOMEM : op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->getxattr(&o.q, name, buf, size);
		op_end(&o);
	}
	reply_xattr(fr, r, buf, size);
	free(buf);
}

static void ll_listxattr(fuse_req_t fr, fuse_ino_t ino, size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	struct op o;
	int r = size && !buf ? -ENOMEM : op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->listxattr(&o.q, buf, size);
		op_end(&o);
	}
	reply_xattr(fr, r, buf, size);
	free(buf);
}

static void ll_setxattr(fuse_req_t fr, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct op o;
	int r = op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->setxattr(&o.q, name, value, size, flags);
		op_end(&o);
	}
	fuse_reply_err(fr, -r);
}

static void ll_removexattr(fuse_req_t fr, fuse_ino_t ino, const char *name)
{
	struct op o;
	int r = op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->removexattr(&o.q, name);
		op_end(&o);
	}
	fuse_reply_err(fr, -r);
}

/* opendir: the whole listing, taken now and served with offsets; the
 * kernel keeps it (cache_readdir) and keeps it across opens while the
 * folder's attributes and the catalog snapshot are unchanged. */
static void ll_opendir(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirlist *d = calloc(1, sizeof(*d));
	struct op o;
	int r = d ? op_begin(fr, ino, &o, true) : -ENOMEM;

	if (r < 0) {
		free(d);
		fuse_reply_err(fr, -r);
		return;
	}
	r = o.n->kind->list(&o.q, d);
	if (r == 0 && d->oom)
		r = -ENOMEM;
	if (r == 0 && !(d->path = strdup(o.path)))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < d->n; i++) {
		struct dent *e = &d->v[i];

		if (!strcmp(e->name, "..")) {
			/* readdir shows ".." a number (a listing skips a
			 * zero): its path's hash */
			char *up = strndup(o.path, rfs_path_dirlen(o.path));

			fs_set_ino(&e->st, up && *up ? up : "/", NULL);
			free(up);
		} else
			fs_set_ino(&e->st, o.path,
				   strcmp(e->name, ".") ? e->name : NULL);
	}
	if (r == 0 && !o.n->kind->live) {
		const struct stat *self = d->n ? &d->v[0].st : NULL;
		struct fs_inode *n = o.n;

		fi->cache_readdir = 1;
		pthread_mutex_lock(&n->lock);
		fi->keep_cache = self && n->seen &&
				 n->snap_gen == o.q.snap->gen &&
				 n->mtim.tv_sec == self->st_mtim.tv_sec &&
				 n->mtim.tv_nsec == self->st_mtim.tv_nsec &&
				 n->size == self->st_size;
		if (self) {
			n->seen = true;
			n->snap_gen = o.q.snap->gen;
			n->mtim = self->st_mtim;
			n->size = self->st_size;
		}
		pthread_mutex_unlock(&n->lock);
	}
	op_end(&o);
	if (r < 0) {
		fs_dir_free(d);
		fuse_reply_err(fr, -r);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(fr, fi) == -ENOENT)
		fs_dir_free(d);
}

static void ll_releasedir(fuse_req_t fr, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	fs_dir_free((struct dirlist *)(uintptr_t)fi->fh);
	fuse_reply_err(fr, 0);
}

/* readdir and readdirplus: entries from @p off on; with @p plus, the
 * attributes and a node of each entry whose attributes are known. */
static void readdir_common(fuse_req_t fr, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi, bool plus)
{
	struct rfs_fs_state *st = fuse_req_userdata(fr);
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	struct fs_inode *dir = plus ? fs_inode_get(st, ino) : NULL;
	char *buf = malloc(size), *p = buf;
	size_t rem = size, len, i;

	if (!buf || (plus && !dir)) {
		free(buf);
		fs_inode_put(st, dir);
		fuse_reply_err(fr, buf ? ESTALE : ENOMEM);
		return;
	}
	for (i = off > 0 ? (size_t)off : 0; i < d->n; i++) {
		const struct dent *e = &d->v[i];
		struct fuse_entry_param ep = { 0 };
		struct fs_inode *n = NULL;

		if (!plus) {
			len = fuse_add_direntry(fr, p, rem, e->name, &e->st,
						(off_t)(i + 1));
			if (len > rem)
				break;
			p += len;
			rem -= len;
			continue;
		}
		ep.attr = e->st;
		if (e->plus && e->kind) {
			n = fs_inode_lookup(st, dir, e->name, e->kind);
			if (n) {
				ep.ino = n->id;
				ep.generation = st->generation;
				ep.entry_timeout = entry_timeout(st, e->kind);
				ep.attr_timeout = attr_timeout(st, e->kind);
			}
		}
		len = fuse_add_direntry_plus(fr, p, rem, e->name, &ep,
					     (off_t)(i + 1));
		if (n) {
			if (len > rem)
				fs_inode_forget(st, n->id, 1);
			fs_inode_put(st, n);
		}
		if (len > rem)
			break;
		p += len;
		rem -= len;
	}
	fs_inode_put(st, dir);
	fuse_reply_buf(fr, buf, size - rem);
	free(buf);
}

static void ll_readdir(fuse_req_t fr, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir_common(fr, ino, size, off, fi, false);
}

static void ll_readdirplus(fuse_req_t fr, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	readdir_common(fr, ino, size, off, fi, true);
}

const struct fuse_lowlevel_ops fs_ll_ops = {
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
	.open = ll_open,
	.read = ll_read,
	.write_buf = ll_write_buf,
	.flush = ll_flush,
	.release = ll_release,
	.fsync = ll_fsync,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.readdirplus = ll_readdirplus,
	.releasedir = ll_releasedir,
	.statfs = ll_statfs,
	.setxattr = ll_setxattr,
	.getxattr = ll_getxattr,
	.listxattr = ll_listxattr,
	.removexattr = ll_removexattr,
	.create = ll_create,
	.fallocate = ll_fallocate,
	.lseek = ll_lseek,
	.copy_file_range = ll_copy_file_range,
};
