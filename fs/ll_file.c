/*
 * The low-level entry points of open files and folders: open, create,
 * read and write (spliced from and to the storage's file where it has a
 * descriptor, or done by the kernel itself with passthrough), release;
 * opendir (the whole listing, taken at once), readdir and readdirplus with
 * attributes.
 */
#include "fs/ll.h"

#include "backends/backend.h"
#include "rfs_config.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef RFS_HAVE_PASSTHROUGH
#include <linux/fuse.h>
#include <sys/ioctl.h>
#endif

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

/*
 * Passthrough (built with libfuse >= 3.17, on when the kernel offers it):
 * an opened file with a kernel descriptor (a local storage's) is read and
 * written by the kernel itself, from the storage's file, without a request
 * to the daemon. Nothing recyclefs keeps depends on seeing those reads and
 * writes: what it tracks of an open file (archive's check for files open
 * for writing, the size and mtime that decide keep_cache) is taken at open
 * and release, which still come here, as do the kernel's stat, setattr,
 * flush and fsync; the kernel updates the size it shows after a write
 * and asks for the attributes again. So writes pass through too.
 *
 * The kernel refuses two backing files, or a passthrough open beside one
 * with the daemon, on one node: every open of a node takes what its other
 * opens took (under the node's lock). The first open registers its file's
 * descriptor; the kernel opens a backing file of its own for each open
 * file, with that file's flags. The last release closes the backing id.
 * When the kernel refuses to register a descriptor (a daemon without
 * CAP_SYS_ADMIN, a storage on a stacked filesystem such as overlayfs),
 * the mount logs it once and serves its files itself from then on.
 */
#ifdef RFS_HAVE_PASSTHROUGH
/*
 * The kernel takes every open of a node in passthrough mode with the node's
 * one backing file, whatever file of the storage the node's name names by
 * then (a file replaced behind the mount's back while open through it):
 * such an open reads the file the node's open files have, until the last
 * of them is closed.
 */
static void passthrough_open_locked(fuse_req_t fr, struct fs_inode *n,
				    struct fs_fh *fh, struct fuse_file_info *fi)
{
	struct rfs_fs_state *st = fuse_req_userdata(fr);
	int fd = rfs_file_fd(fh->f);

	if (n->opens) {
		fh->backing_id = n->opens->backing_id;
	} else if (fd >= 0 &&
		   __atomic_load_n(&st->passthrough, __ATOMIC_RELAXED)) {
		fh->backing_id = fuse_passthrough_open(fr, fd);
		if (fh->backing_id <= 0 &&
		    __atomic_exchange_n(&st->passthrough, 0, __ATOMIC_RELAXED))
			rfs_log(LOG_WARNING,
				"the kernel refused a passthrough backing "
				"file: local files are read and written "
				"through the daemon from now on");
		if (fh->backing_id < 0)
			fh->backing_id = 0;
	}
	if (fh->backing_id > 0) {
		fi->backing_id = fh->backing_id;
		/* no page of an earlier open without passthrough stays */
		fi->keep_cache = 0;
	}
}

/* @p fh leaves node @p n (under its lock): the last open with its backing
 * id closes it, through request @p fr, or (@p fr NULL: the open's reply
 * failed, and its request is gone) on the session's device. */
static void passthrough_release_locked(struct rfs_fs_state *st, fuse_req_t fr,
				       struct fs_inode *n, struct fs_fh *fh)
{
	for (struct fs_fh *o = n->opens; o; o = o->next)
		if (o->backing_id == fh->backing_id)
			return;
	if (fr) {
		fuse_passthrough_close(fr, fh->backing_id);
		return;
	}
#ifdef FUSE_DEV_IOC_BACKING_CLOSE
	uint32_t id = (uint32_t)fh->backing_id;

	if (ioctl(fuse_session_fd(st->se), FUSE_DEV_IOC_BACKING_CLOSE, &id) < 0)
		rfs_log(LOG_WARNING, "closing a passthrough backing file: %s",
			strerror(errno));
#else
	(void)st; /* closed at unmount */
#endif
}
#endif

/* Wrap an opened file @p f of node @p o in a handle in @p fi. */
static int open_fh(fuse_req_t fr, struct op *o, struct rfs_file *f,
		   struct fuse_file_info *fi)
{
	struct fs_fh *fh = calloc(1, sizeof(*fh));
	struct stat st;

	if (!fh) {
		rfs_file_close(f);
		return -ENOMEM;
	}
	fh->f = f;
	fh->ino = o->n;
	/* A file with a kernel descriptor has nothing to flush at close (its
	 * writes went to the storage's file in write): no FLUSH request. */
	if (rfs_file_fd(f) >= 0)
		fi->noflush = 1;
	pthread_mutex_lock(&o->st->table_lock);
	o->n->refs++;
	pthread_mutex_unlock(&o->st->table_lock);
	if (!o->n->kind->live && rfs_file_stat(f, &st) == 0)
		fi->keep_cache = keep_pages(o->n, &st);
	pthread_mutex_lock(&o->n->lock);
#ifdef RFS_HAVE_PASSTHROUGH
	passthrough_open_locked(fr, o->n, fh, fi);
#else
	(void)fr;
#endif
	fh->next = o->n->opens;
	o->n->opens = fh;
	pthread_mutex_unlock(&o->n->lock);
	fi->fh = (uintptr_t)fh;
	return 0;
}

/* Close open file @p fh, at its release (request @p fr) or (@p fr NULL)
 * when the reply to its open failed. @return 0 or -errno */
static int close_fh(struct rfs_fs_state *st, fuse_req_t fr, struct fs_fh *fh)
{
	struct rfs_backend *b = fh->f->backend;
	struct fs_inode *n = fh->ino;
	struct fs_fh **p;
	int r;

	pthread_mutex_lock(&n->lock);
	for (p = &n->opens; *p && *p != fh; p = &(*p)->next)
		;
	if (*p)
		*p = fh->next;
#ifdef RFS_HAVE_PASSTHROUGH
	if (fh->backing_id > 0)
		passthrough_release_locked(st, fr, n, fh);
#else
	(void)fr;
#endif
	pthread_mutex_unlock(&n->lock);
	rfs_fs_writer_remove(st, fh->f);
	r = rfs_fs_storage_failed(b, "close", NULL, rfs_file_close(fh->f));
	free(fh);
	rfs_fs_inode_put(st, n);
	return r;
}

#ifdef RFS_TEST_HOOKS
/* RECYCLEFS_TEST_OPEN_REPLY_FAILS=NAME (test builds only): the reply to an
 * open or create of a file named NAME fails as the reply to an interrupted
 * request does (the caller gets EINTR). */
static bool test_reply_fails(struct rfs_fs_state *st, struct fs_fh *fh)
{
	const char *v = getenv("RECYCLEFS_TEST_OPEN_REPLY_FAILS");
	bool yes;

	if (!v || !*v)
		return false;
	pthread_mutex_lock(&st->table_lock);
	yes = fh->ino->name && !strcmp(fh->ino->name, v);
	pthread_mutex_unlock(&st->table_lock);
	return yes;
}
#else
static bool test_reply_fails(struct rfs_fs_state *st, struct fs_fh *fh)
{
	(void)st;
	(void)fh;
	return false;
}
#endif

/*
 * Reply to an open (@p e NULL) or a create with handle @p fi. When the
 * reply fails (the request was interrupted: the kernel never saw the
 * handle and will send no release), the handle is closed here at once:
 * its storage file, its passthrough backing file, and its place among the
 * files open for writing that an archive checks.
 */
static void reply_open(fuse_req_t fr, const struct fuse_entry_param *e,
		       struct fuse_file_info *fi)
{
	struct rfs_fs_state *st = fuse_req_userdata(fr);
	struct fs_fh *fh = rfs_fs_fh_of(fi);
	int r;

	if (test_reply_fails(st, fh)) {
		fuse_reply_err(fr, EINTR);
		r = -ENOENT;
	} else {
		r = e ? fuse_reply_create(fr, e, fi) : fuse_reply_open(fr, fi);
	}
	if (r < 0) {
		rfs_log(LOG_DEBUG, "an open's reply failed (%s): handle closed",
			strerror(-r));
		close_fh(st, NULL, fh);
	}
}

void rfs_fs_ll_open(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rfs_file *f;
	struct op o;
	int r = rfs_fs_op_begin(fr, ino, &o, true);

	if (r == 0) {
		r = o.n->kind->open(&o.q, fi->flags, &f);
		if (r == 0)
			r = open_fh(fr, &o, f, fi);
		rfs_fs_op_end(&o);
	}
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		reply_open(fr, NULL, fi);
}

void rfs_fs_ll_create(fuse_req_t fr, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct rfs_file *f;
	struct op dir, o;
	int r = rfs_fs_op_begin(fr, parent, &dir, true);

	if (r < 0) {
		fuse_reply_err(fr, -r);
		return;
	}
	r = dir.n->kind->create(&dir.q, name, mode, fi->flags, &f);
	if (r == 0) {
		r = rfs_fs_entry_of(&dir, name, &e);
		if (r < 0)
			rfs_file_close(f);
	}
	rfs_fs_op_end(&dir);
	if (r == 0) {
		r = rfs_fs_op_begin(fr, e.ino, &o, false);
		if (r == 0) {
			r = open_fh(fr, &o, f, fi);
			rfs_fs_op_end(&o);
		} else {
			rfs_file_close(f);
		}
	}
	if (r < 0)
		fuse_reply_err(fr, -r);
	else
		reply_open(fr, &e, fi);
}

/* The reply buffer of reads from storages without a descriptor, one per
 * thread of the FUSE loop, kept from one read to the next: a new buffer of
 * a request's size (up to 1 MiB) is a new mapping whose pages the copy into
 * it faults in, which costs more than the copy. Freed when its thread
 * ends. */
static pthread_key_t reply_key;
static pthread_once_t reply_once = PTHREAD_ONCE_INIT;

struct reply_buf {
	char *mem;
	size_t cap;
};

static void reply_buf_free(void *p)
{
	struct reply_buf *rb = p;

	free(rb->mem);
	free(rb);
}

static void reply_key_make(void)
{
	if (pthread_key_create(&reply_key, reply_buf_free) != 0)
		abort();
}

/* @return this thread's reply buffer of at least @p size bytes, or NULL */
static char *reply_buf(size_t size)
{
	struct reply_buf *rb;

	pthread_once(&reply_once, reply_key_make);
	rb = pthread_getspecific(reply_key);
	if (!rb) {
		rb = calloc(1, sizeof(*rb));
		if (!rb || pthread_setspecific(reply_key, rb) != 0) {
			free(rb);
			return NULL;
		}
	}
	if (rb->cap < size) {
		char *m = malloc(size);

		if (!m)
			return NULL;
		free(rb->mem);
		rb->mem = m;
		rb->cap = size;
	}
	return rb->mem;
}

void rfs_fs_ll_read(fuse_req_t fr, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct rfs_file *f = rfs_fs_fh_of(fi)->f;
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
	v.buf[0].mem = reply_buf(size ? size : 1);
	if (!v.buf[0].mem) {
		fuse_reply_err(fr, ENOMEM);
		return;
	}
	n = rfs_file_read(f, v.buf[0].mem, size, off);
	if (n < 0)
		fuse_reply_err(fr, -rfs_fs_storage_failed(f->backend, "read",
							  NULL, (int)n));
	else
		fuse_reply_buf(fr, v.buf[0].mem, (size_t)n);
}

void rfs_fs_ll_write_buf(fuse_req_t fr, fuse_ino_t ino, struct fuse_bufvec *in,
			 off_t off, struct fuse_file_info *fi)
{
	struct rfs_file *f = rfs_fs_fh_of(fi)->f;
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
		fuse_reply_err(fr, -rfs_fs_storage_failed(f->backend, "write",
							  NULL, (int)n));
	else
		fuse_reply_write(fr, (size_t)n);
}

void rfs_fs_ll_flush(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct rfs_file *f = rfs_fs_fh_of(fi)->f;

	(void)ino;
	fuse_reply_err(fr, -rfs_fs_storage_failed(f->backend, "flush", NULL,
						  rfs_file_flush(f)));
}

void rfs_fs_ll_release(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
#ifdef RFS_TEST_HOOKS
	/* RECYCLEFS_TEST_RELEASE_DELAY_MS (test builds only): a RELEASE
	 * handled that much later, as on a busy daemon. */
	{
		const char *v = getenv("RECYCLEFS_TEST_RELEASE_DELAY_MS");
		long ms = v ? strtol(v, NULL, 10) : 0;

		if (ms > 0) {
			struct timespec d = { ms / 1000,
					      (ms % 1000) * 1000 * 1000 };

			nanosleep(&d, NULL);
		}
	}
#endif
	fuse_reply_err(fr,
		       -close_fh(fuse_req_userdata(fr), fr, rfs_fs_fh_of(fi)));
}

void rfs_fs_ll_fsync(fuse_req_t fr, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct rfs_file *f = rfs_fs_fh_of(fi)->f;

	(void)ino;
	fuse_reply_err(fr, -rfs_fs_storage_failed(f->backend, "fsync", NULL,
						  rfs_file_fsync(f, datasync)));
}

void rfs_fs_ll_fallocate(fuse_req_t fr, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(
		fr, -rfs_file_fallocate(rfs_fs_fh_of(fi)->f, mode, off, len));
}

void rfs_fs_ll_lseek(fuse_req_t fr, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct rfs_file *f = rfs_fs_fh_of(fi)->f;
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

void rfs_fs_ll_copy_file_range(fuse_req_t fr, fuse_ino_t ino_in, off_t oin,
			       struct fuse_file_info *fin, fuse_ino_t ino_out,
			       off_t oout, struct fuse_file_info *fout,
			       size_t len, int flags)
{
	int in = rfs_file_fd(rfs_fs_fh_of(fin)->f),
	    out = rfs_file_fd(rfs_fs_fh_of(fout)->f);
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

/* opendir: the whole listing, taken now and served with offsets; the
 * kernel keeps it (cache_readdir) and keeps it across opens while the
 * folder's attributes and the catalog snapshot are unchanged. */
/* The listing of @p d, taken at its first readdir (or at opendir). */
static int list_now(struct rfs_fs_state *st, struct dirlist *d)
{
	struct req q;
	int r;

	d->listed = true;
	r = rfs_fs_req_begin(&q, st, d->path);
	if (r < 0)
		return r;
	r = d->kind->list(&q, d);
	rfs_fs_req_end(&q);
	if (r == 0 && d->oom)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < d->n; i++) {
		struct dent *e = &d->v[i];

		if (!strcmp(e->name, "..")) {
			/* readdir shows ".." a number (a listing skips a
			 * zero): its path's hash */
			char *up = strndup(d->path, rfs_path_dirlen(d->path));

			rfs_fs_set_ino(&e->st, up && *up ? up : "/", NULL);
			free(up);
		} else {
			rfs_fs_set_ino(&e->st, d->path,
				       strcmp(e->name, ".") ? e->name : NULL);
		}
	}
	return r;
}

/*
 * opendir. The kernel keeps listings (cache_readdir) and keeps them across
 * opens (keep_cache) while the folder's size and mtime and the catalog
 * snapshot are unchanged: then the listing is taken only if the kernel
 * still asks for it (at its first readdir), which it does not while its
 * copy is whole. Otherwise the whole listing is taken now and served with
 * offsets.
 */
void rfs_fs_ll_opendir(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirlist *d = calloc(1, sizeof(*d));
	struct fs_inode *n;
	struct stat self;
	struct op o;
	int r = d ? rfs_fs_op_begin(fr, ino, &o, true) : -ENOMEM;

	if (r < 0) {
		free(d);
		fuse_reply_err(fr, -r);
		return;
	}
	n = o.n;
	d->kind = n->kind;
	d->path = strdup(o.path);
	r = d->path ? n->kind->getattr(&o.q, &self) : -ENOMEM;
	if (r == 0 && !S_ISDIR(self.st_mode))
		r = -ENOTDIR;
	if (r == 0 && !n->kind->live) {
		fi->cache_readdir = 1;
		pthread_mutex_lock(&n->lock);
		fi->keep_cache = n->seen && n->snap_gen == o.q.snap->gen &&
				 n->mtim.tv_sec == self.st_mtim.tv_sec &&
				 n->mtim.tv_nsec == self.st_mtim.tv_nsec &&
				 n->size == self.st_size;
		/* Remembered once a listing is taken: a folder that could
		 * not be listed is listed again at its next open. */
		n->seen = false;
		pthread_mutex_unlock(&n->lock);
	}
	if (r == 0 && !fi->keep_cache)
		r = list_now(fuse_req_userdata(fr), d);
	if (r == 0 && !n->kind->live) {
		pthread_mutex_lock(&n->lock);
		n->seen = true;
		n->snap_gen = o.q.snap->gen;
		n->mtim = self.st_mtim;
		n->size = self.st_size;
		pthread_mutex_unlock(&n->lock);
	}
	rfs_fs_op_end(&o);
	if (r < 0) {
		rfs_fs_dir_free(d);
		fuse_reply_err(fr, -r);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(fr, fi) == -ENOENT)
		rfs_fs_dir_free(d);
}

void rfs_fs_ll_releasedir(fuse_req_t fr, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	rfs_fs_dir_free((struct dirlist *)(uintptr_t)fi->fh);
	fuse_reply_err(fr, 0);
}

/* readdir and readdirplus: entries from @p off on; with @p plus, the
 * attributes and a node of each entry whose attributes are known. */
static void readdir_common(fuse_req_t fr, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi, bool plus)
{
	struct rfs_fs_state *st = fuse_req_userdata(fr);
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	struct fs_inode *dir = plus ? rfs_fs_inode_get(st, ino) : NULL;
	char *buf = malloc(size), *p = buf;
	size_t rem = size, len, i;

	if (!d->listed) {
		int r = list_now(st, d);

		if (r < 0) {
			free(buf);
			rfs_fs_inode_put(st, dir);
			fuse_reply_err(fr, -r);
			return;
		}
	}
	if (!buf || (plus && !dir)) {
		free(buf);
		rfs_fs_inode_put(st, dir);
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
			n = rfs_fs_inode_lookup(st, dir, e->name, e->kind,
						&e->st);
			if (n) {
				ep.ino = n->id;
				ep.generation = st->generation;
				ep.entry_timeout =
					rfs_fs_entry_timeout(st, e->kind);
				ep.attr_timeout =
					rfs_fs_attr_timeout(st, e->kind);
			}
		}
		len = fuse_add_direntry_plus(fr, p, rem, e->name, &ep,
					     (off_t)(i + 1));
		if (n) {
			if (len > rem)
				rfs_fs_inode_forget(st, n->id, 1);
			rfs_fs_inode_put(st, n);
		}
		if (len > rem)
			break;
		p += len;
		rem -= len;
	}
	rfs_fs_inode_put(st, dir);
	fuse_reply_buf(fr, buf, size - rem);
	free(buf);
}

void rfs_fs_ll_readdir(fuse_req_t fr, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir_common(fr, ino, size, off, fi, false);
}

void rfs_fs_ll_readdirplus(fuse_req_t fr, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	readdir_common(fr, ino, size, off, fi, true);
}
