/*
 * Open files and copies of the memory backend. An open file holds its
 * node (node->opens), so it stays readable after an unlink, as on POSIX
 * filesystems.
 */
#include "backends/memory/mem_priv.h"

#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>

static struct rfs_mem_store *file_store(struct rfs_file *f)
{
	return rfs_mem_of(f->backend)->store;
}

/* Create the regular file @p name in @p dir. */
static int create_file(struct rfs_mem_store *s, struct rfs_mem_node *dir,
		       const char *name, mode_t mode, struct rfs_mem_node **out)
{
	struct rfs_mem_node *n;
	char *copy;

	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (rfs_mem_dir_reserve(dir) < 0)
		return -ENOMEM;
	copy = strdup(name);
	n = rfs_mem_node_new(s, S_IFREG | (mode & 07777));
	if (!copy || !n) {
		free(copy);
		if (n)
			rfs_mem_node_put(s, n);
		return -ENOMEM;
	}
	rfs_mem_dir_add(dir, copy, n);
	*out = n;
	return 0;
}

/* Find or create the node @p key as open(2) with @p flags would. */
static int open_node(struct rfs_mem_backend *m, const char *key, int flags,
		     mode_t mode, struct rfs_mem_node **out)
{
	struct rfs_mem_store *s = m->store;
	struct rfs_mem_node *dir, *n;
	const char *name;
	int r;

	if (!*key) {
		r = rfs_mem_lookup(s, m->prefix, key, &n);
		if (r < 0)
			return r;
		return (flags & O_CREAT) && (flags & O_EXCL) ? -EEXIST
							     : -EISDIR;
	}
	r = rfs_mem_lookup_parent(s, m->prefix, key, &dir, &name);
	if (r < 0)
		return r;
	n = rfs_mem_dir_find(dir, name, strlen(name));
	if (!n) {
		if (!(flags & O_CREAT))
			return -ENOENT;
		return create_file(s, dir, name, mode, out);
	}
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (S_ISLNK(n->mode))
		return -ELOOP;
	if (!S_ISREG(n->mode))
		return -ENXIO; /* a FIFO, socket or device: no bytes here */
	if (flags & O_TRUNC && n->size) {
		rfs_mem_data_truncate(s, n, 0);
		n->mtime = n->ctime = rfs_mem_now();
	}
	*out = n;
	return 0;
}

int rfs_mem_open_file(struct rfs_backend *b, const char *key, int flags,
		      mode_t mode, struct rfs_file **out)
{
	struct rfs_mem_backend *m = rfs_mem_of(b);
	struct rfs_mem_file *f;
	struct rfs_mem_node *n = NULL;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&m->store->lock);
	r = rfs_mem_gate(m->store, RFS_MEM_OP_OPEN);
	if (!r)
		r = open_node(m, key, flags, mode, &n);
	if (!r)
		n->opens++;
	pthread_mutex_unlock(&m->store->lock);
	if (r < 0) {
		free(f);
		return r;
	}
	f->base.backend = b;
	f->node = n;
	f->flags = flags & O_ACCMODE;
	*out = &f->base;
	return 0;
}

ssize_t rfs_mem_file_read(struct rfs_file *f, void *buf, size_t size, off_t off)
{
	struct rfs_mem_file *mf = (struct rfs_mem_file *)f;
	struct rfs_mem_store *s = file_store(f);
	ssize_t r;

	if (mf->flags == O_WRONLY)
		return -EBADF;
	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_READ);
	if (!r)
		r = rfs_mem_data_read(mf->node, buf, size, off);
	pthread_mutex_unlock(&s->lock);
	return r;
}

ssize_t rfs_mem_file_write(struct rfs_file *f, const void *buf, size_t size,
			   off_t off)
{
	struct rfs_mem_file *mf = (struct rfs_mem_file *)f;
	struct rfs_mem_store *s = file_store(f);
	ssize_t r;

	if (mf->flags == O_RDONLY)
		return -EBADF;
	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_WRITE);
	if (!r)
		r = rfs_mem_data_write(s, mf->node, buf, size, off);
	if (r > 0)
		mf->node->mtime = mf->node->ctime = rfs_mem_now();
	pthread_mutex_unlock(&s->lock);
	return r;
}

int rfs_mem_file_fstat(struct rfs_file *f, struct stat *st)
{
	struct rfs_mem_file *mf = (struct rfs_mem_file *)f;
	struct rfs_mem_store *s = file_store(f);
	int r;

	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_CLOSE);
	if (!r)
		rfs_mem_fill_stat(s, mf->node, st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int rfs_mem_file_ftruncate(struct rfs_file *f, off_t size)
{
	struct rfs_mem_file *mf = (struct rfs_mem_file *)f;
	struct rfs_mem_store *s = file_store(f);
	int r;

	if (mf->flags == O_RDONLY)
		return -EBADF;
	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_CLOSE);
	if (!r)
		r = rfs_mem_data_truncate(s, mf->node, size);
	if (!r)
		mf->node->mtime = mf->node->ctime = rfs_mem_now();
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* flush has nothing to write back: it counts and can fail. */
static int file_sync_call(struct rfs_file *f)
{
	struct rfs_mem_store *s = file_store(f);
	int r;

	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_CLOSE);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int rfs_mem_file_fsync(struct rfs_file *f, int datasync)
{
	struct rfs_mem_store *s = file_store(f);
	int r;

	(void)datasync;
	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_CLOSE);
	if (!r)
		r = rfs_mem_power_fsync(s, ((struct rfs_mem_file *)f)->node);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int rfs_mem_file_flush(struct rfs_file *f)
{
	return file_sync_call(f);
}

static int do_fallocate(struct rfs_mem_store *s, struct rfs_mem_node *n,
			int mode, off_t off, off_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (off > RFS_MEM_MAX_SIZE - len)
		return -EFBIG;
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return rfs_mem_data_punch(s, n, off, len);
	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	/* space is never short here: only the size can change */
	if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > n->size)
		return rfs_mem_data_truncate(s, n, off + len);
	return 0;
}

int rfs_mem_file_fallocate(struct rfs_file *f, int mode, off_t off, off_t len)
{
	struct rfs_mem_file *mf = (struct rfs_mem_file *)f;
	struct rfs_mem_store *s = file_store(f);
	int r;

	if (mf->flags == O_RDONLY)
		return -EBADF;
	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_WRITE);
	if (!r)
		r = do_fallocate(s, mf->node, mode, off, len);
	if (!r)
		mf->node->mtime = mf->node->ctime = rfs_mem_now();
	pthread_mutex_unlock(&s->lock);
	return r;
}

int rfs_mem_file_close(struct rfs_file *f)
{
	struct rfs_mem_file *mf = (struct rfs_mem_file *)f;
	struct rfs_mem_store *s = file_store(f);
	int r;

	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_CLOSE);
	mf->node->opens--;
	rfs_mem_node_put(s, mf->node);
	pthread_mutex_unlock(&s->lock);
	free(mf);
	return r;
}

/* A new node with the contents, mode, owner, times and xattrs of @p src. */
static int clone_node(struct rfs_mem_store *s, const struct rfs_mem_node *src,
		      struct rfs_mem_node **out)
{
	struct rfs_mem_node *n = rfs_mem_node_new(s, src->mode);
	int r;

	if (!n)
		return -ENOMEM;
	r = rfs_mem_data_copy(s, n, src);
	if (!r)
		r = rfs_mem_xattr_copy(n, src);
	if (r < 0) {
		rfs_mem_node_put(s, n);
		return r;
	}
	n->uid = src->uid;
	n->gid = src->gid;
	n->atime = src->atime;
	n->mtime = src->mtime;
	*out = n;
	return 0;
}

static int do_copy(struct rfs_mem_store *s, struct rfs_mem_backend *from,
		   const char *src_key, struct rfs_mem_backend *to,
		   const char *dst_key, unsigned int flags)
{
	struct rfs_mem_node *src, *dir, *old, *n;
	const char *name;
	char *copy;
	int r;

	r = rfs_mem_lookup(s, from->prefix, src_key, &src);
	if (r < 0)
		return r;
	if (S_ISDIR(src->mode))
		return -EISDIR;
	if (S_ISLNK(src->mode))
		return -ELOOP;
	if (!S_ISREG(src->mode))
		return -EINVAL;
	if (!*dst_key)
		return -EISDIR;
	r = rfs_mem_lookup_parent(s, to->prefix, dst_key, &dir, &name);
	if (r < 0)
		return r;
	old = rfs_mem_dir_find(dir, name, strlen(name));
	if (old && (flags & RFS_BACKEND_COPY_NOREPLACE))
		return -EEXIST;
	if (old && S_ISDIR(old->mode))
		return -EISDIR;
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (!old && rfs_mem_dir_reserve(dir) < 0)
		return -ENOMEM;
	r = clone_node(s, src, &n);
	if (r < 0)
		return r;
	if (old) {
		rfs_mem_dir_replace(dir, name, n);
		n->links++;
		old->links--;
		old->ctime = rfs_mem_now();
		rfs_mem_node_put(s, old);
		return 0;
	}
	copy = strdup(name);
	if (!copy) {
		rfs_mem_node_put(s, n);
		return -ENOMEM;
	}
	rfs_mem_dir_add(dir, copy, n);
	return 0;
}

int rfs_mem_copy(struct rfs_backend *src, const char *src_key,
		 struct rfs_backend *dst, const char *dst_key,
		 unsigned int flags)
{
	struct rfs_mem_backend *from = rfs_mem_of(src), *to = rfs_mem_of(dst);
	struct rfs_mem_store *s = from->store;
	int r;

	if (from->store != to->store)
		return -EXDEV;
	if (!rfs_path_is_clean(src_key) || !rfs_path_is_clean(dst_key))
		return -EINVAL;
	if (flags & ~(unsigned int)(RFS_BACKEND_COPY_NOREPLACE |
				    RFS_BACKEND_COPY_NOSYNC))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, RFS_MEM_OP_COPY);
	if (!r)
		r = do_copy(s, from, src_key, to, dst_key, flags);
	if (!r && !(flags & RFS_BACKEND_COPY_NOSYNC))
		r = rfs_mem_power_durable(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}
