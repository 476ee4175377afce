/*
 * The memory backend: path operations, the ops table and opening from a
 * "mem://STORE/prefix" URI. Every operation locks the store, passes the
 * fault-injection gate (store.c) and then acts on the tree (tree.c).
 *
 * No permission checks are made (every caller may do everything), reads
 * do not update atime (as a noatime mount) and the process umask is not
 * applied to new modes.
 */
#include "backends/memory/mem_priv.h"

#include "util/uri.h"
#include "util/error.h"
#include "util/path.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lock the store of @p b and count a call of kind @p op. On success the
 * store stays locked; the caller ends with mem_leave(). */
static int mem_enter(struct rfs_backend *b, enum rfs_mem_op op, const char *key)
{
	struct rfs_mem_store *s = rfs_mem_of(b)->store;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = rfs_mem_gate(s, op);
	if (r < 0)
		pthread_mutex_unlock(&s->lock);
	return r;
}

static int mem_leave(struct rfs_backend *b, int r)
{
	pthread_mutex_unlock(&rfs_mem_of(b)->store->lock);
	return r;
}

/* Find @p key of @p b; call between mem_enter() and mem_leave(). */
static int mem_find(struct rfs_backend *b, const char *key,
		    struct rfs_mem_node **n)
{
	struct rfs_mem_backend *m = rfs_mem_of(b);

	return rfs_mem_lookup(m->store, m->prefix, key, n);
}

static int mem_stat(struct rfs_backend *b, const char *key, struct stat *st)
{
	struct rfs_mem_node *n;
	int r = mem_enter(b, RFS_MEM_OP_STAT, key);

	if (r < 0)
		return r;
	r = mem_find(b, key, &n);
	if (!r)
		rfs_mem_fill_stat(rfs_mem_of(b)->store, n, st);
	return mem_leave(b, r);
}

/* A copy of one directory entry, taken so the callback runs unlocked. */
struct mem_listed {
	char *name;
	struct stat st;
};

static int list_snapshot(struct rfs_backend *b, const char *key,
			 struct mem_listed **out, size_t *count)
{
	struct rfs_mem_store *s = rfs_mem_of(b)->store;
	struct rfs_mem_node *dir;
	struct mem_listed *l;
	size_t i, n = 0;
	int r = mem_find(b, key, &dir);

	if (r < 0)
		return r;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	l = calloc(dir->nents ? dir->nents : 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (i = 0; i < dir->nslots; i++) {
		const struct rfs_mem_dirent *e = &dir->slots[i];

		if (!e->name)
			continue;
		l[n].name = strdup(e->name);
		if (!l[n].name)
			goto nomem;
		rfs_mem_fill_stat(s, e->node, &l[n].st);
		n++;
	}
	*out = l;
	*count = n;
	return 0;

nomem:
	while (n--)
		free(l[n].name);
	free(l);
	return -ENOMEM;
}

static int mem_list(struct rfs_backend *b, const char *key,
		    rfs_backend_list_fn fn, void *ctx)
{
	struct mem_listed *l = NULL;
	size_t i, n = 0;
	int r = mem_enter(b, RFS_MEM_OP_LIST, key);

	if (r < 0)
		return r;
	r = mem_leave(b, list_snapshot(b, key, &l, &n));
	for (i = 0; i < n; i++) {
		if (!r)
			r = fn(ctx, l[i].name, &l[i].st);
		free(l[i].name);
	}
	free(l);
	return r;
}

/* Find the parent of @p key for making a new entry there. */
static int parent_for_new(struct rfs_backend *b, const char *key,
			  struct rfs_mem_node **dir, const char **name)
{
	struct rfs_mem_backend *m = rfs_mem_of(b);
	int r;

	if (!*key)
		return -EEXIST;
	r = rfs_mem_lookup_parent(m->store, m->prefix, key, dir, name);
	if (r < 0)
		return r;
	if (rfs_mem_dir_find(*dir, *name, strlen(*name)))
		return -EEXIST;
	if (strlen(*name) > 255)
		return -ENAMETOOLONG;
	return rfs_mem_dir_reserve(*dir);
}

/* Link a new node of @p mode at @p key. */
static int make_node(struct rfs_backend *b, const char *key, mode_t mode,
		     struct rfs_mem_node **out)
{
	struct rfs_mem_store *s = rfs_mem_of(b)->store;
	struct rfs_mem_node *dir, *n;
	const char *name;
	char *copy;
	int r = parent_for_new(b, key, &dir, &name);

	if (r < 0)
		return r;
	copy = strdup(name);
	n = rfs_mem_node_new(s, mode);
	if (!copy || !n) {
		free(copy);
		if (n)
			rfs_mem_node_put(s, n);
		return -ENOMEM;
	}
	rfs_mem_dir_add(dir, copy, n);
	if (out)
		*out = n;
	return 0;
}

static int mem_mkdir(struct rfs_backend *b, const char *key, mode_t mode)
{
	int r = mem_enter(b, RFS_MEM_OP_MKDIR, key);

	if (r < 0)
		return r;
	return mem_leave(b, make_node(b, key, S_IFDIR | (mode & 07777), NULL));
}

/* Remove the entry @p key, which must be a directory or must not be. */
static int remove_entry(struct rfs_backend *b, const char *key, bool dir)
{
	struct rfs_mem_backend *m = rfs_mem_of(b);
	struct rfs_mem_node *parent, *n;
	const char *name;
	int r;

	if (!*key)
		return -EBUSY;
	r = rfs_mem_lookup_parent(m->store, m->prefix, key, &parent, &name);
	if (r < 0)
		return r;
	n = rfs_mem_dir_find(parent, name, strlen(name));
	if (!n)
		return -ENOENT;
	if (dir && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!dir && S_ISDIR(n->mode))
		return -EISDIR;
	if (dir && n->nents)
		return -ENOTEMPTY;
	rfs_mem_dir_del(parent, name);
	n->ctime = rfs_mem_now();
	rfs_mem_node_put(m->store, n);
	return 0;
}

static int mem_rmdir(struct rfs_backend *b, const char *key)
{
	int r = mem_enter(b, RFS_MEM_OP_RMDIR, key);

	if (r < 0)
		return r;
	return mem_leave(b, remove_entry(b, key, true));
}

static int mem_unlink(struct rfs_backend *b, const char *key)
{
	int r = mem_enter(b, RFS_MEM_OP_UNLINK, key);

	if (r < 0)
		return r;
	return mem_leave(b, remove_entry(b, key, false));
}

/* Both ends of a rename. */
struct mem_ends {
	struct rfs_mem_node *fdir, *from, *tdir, *to;
	const char *fname, *tname;
};

static int rename_ends(struct rfs_backend *b, const char *from, const char *to,
		       struct mem_ends *e)
{
	struct rfs_mem_backend *m = rfs_mem_of(b);
	int r;

	if (!*from || !*to)
		return -EBUSY;
	r = rfs_mem_lookup_parent(m->store, m->prefix, from, &e->fdir,
				  &e->fname);
	if (r < 0)
		return r;
	e->from = rfs_mem_dir_find(e->fdir, e->fname, strlen(e->fname));
	if (!e->from)
		return -ENOENT;
	r = rfs_mem_lookup_parent(m->store, m->prefix, to, &e->tdir, &e->tname);
	if (r < 0)
		return r;
	e->to = rfs_mem_dir_find(e->tdir, e->tname, strlen(e->tname));
	return 0;
}

static int rename_exchange(struct mem_ends *e)
{
	struct timespec now = rfs_mem_now();

	if (!e->to)
		return -ENOENT;
	rfs_mem_dir_replace(e->fdir, e->fname, e->to);
	rfs_mem_dir_replace(e->tdir, e->tname, e->from);
	e->from->ctime = e->to->ctime = now;
	return 0;
}

static int rename_move(struct rfs_mem_store *s, struct mem_ends *e)
{
	char *name;

	if (e->to) {
		if (S_ISDIR(e->from->mode) && !S_ISDIR(e->to->mode))
			return -ENOTDIR;
		if (!S_ISDIR(e->from->mode) && S_ISDIR(e->to->mode))
			return -EISDIR;
		if (S_ISDIR(e->to->mode) && e->to->nents)
			return -ENOTEMPTY;
	} else {
		if (strlen(e->tname) > 255)
			return -ENAMETOOLONG;
		if (rfs_mem_dir_reserve(e->tdir) < 0)
			return -ENOMEM;
	}
	name = strdup(e->tname);
	if (!name)
		return -ENOMEM;
	if (e->to) {
		struct rfs_mem_node *old = rfs_mem_dir_del(e->tdir, e->tname);

		old->ctime = rfs_mem_now();
		rfs_mem_node_put(s, old);
	}
	/* the deletion left room: adding cannot fail */
	rfs_mem_dir_del(e->fdir, e->fname);
	rfs_mem_dir_add(e->tdir, name, e->from);
	e->from->ctime = rfs_mem_now();
	return 0;
}

static int do_rename(struct rfs_backend *b, const char *from, const char *to,
		     unsigned int flags)
{
	struct mem_ends e;
	int r;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	r = rename_ends(b, from, to, &e);
	if (r < 0)
		return r;
	if (e.from == e.to)
		return flags & RENAME_NOREPLACE ? -EEXIST : 0;
	/* a directory cannot move below itself */
	if (rfs_path_is_under(to, from) ||
	    ((flags & RENAME_EXCHANGE) && rfs_path_is_under(from, to)))
		return -EINVAL;
	if (flags & RENAME_EXCHANGE)
		return rename_exchange(&e);
	if (e.to && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	return rename_move(rfs_mem_of(b)->store, &e);
}

static int mem_rename(struct rfs_backend *b, const char *from, const char *to,
		      unsigned int flags)
{
	int r;

	if (!rfs_path_is_clean(to))
		return -EINVAL;
	r = mem_enter(b, RFS_MEM_OP_RENAME, from);
	if (r < 0)
		return r;
	return mem_leave(b, do_rename(b, from, to, flags));
}

static int do_link(struct rfs_backend *b, const char *from, const char *to)
{
	struct rfs_mem_node *n, *dir;
	const char *name;
	char *copy;
	int r = mem_find(b, from, &n);

	if (r < 0)
		return r;
	if (S_ISDIR(n->mode))
		return -EPERM;
	r = parent_for_new(b, to, &dir, &name);
	if (r < 0)
		return r;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	rfs_mem_dir_add(dir, copy, n);
	n->ctime = rfs_mem_now();
	return 0;
}

static int mem_link(struct rfs_backend *b, const char *from, const char *to)
{
	int r;

	if (!rfs_path_is_clean(to))
		return -EINVAL;
	r = mem_enter(b, RFS_MEM_OP_META, from);
	if (r < 0)
		return r;
	return mem_leave(b, do_link(b, from, to));
}

static int mem_symlink(struct rfs_backend *b, const char *target,
		       const char *key)
{
	struct rfs_mem_node *n = NULL;
	char *copy;
	int r;

	if (!*target)
		return -ENOENT;
	if (strlen(target) >= 4096)
		return -ENAMETOOLONG;
	copy = strdup(target);
	if (!copy)
		return -ENOMEM;
	r = mem_enter(b, RFS_MEM_OP_META, key);
	if (r < 0) {
		free(copy);
		return r;
	}
	r = make_node(b, key, S_IFLNK | 0777, &n);
	if (r < 0)
		free(copy);
	else
		n->target = copy;
	return mem_leave(b, r);
}

/* A FIFO, socket or device node, as mknod(2); counted as a META call. */
static int mem_mknod(struct rfs_backend *b, const char *key, mode_t mode,
		     dev_t rdev)
{
	struct rfs_mem_node *n = NULL;
	bool dev = S_ISCHR(mode) || S_ISBLK(mode);
	int r;

	if (!dev && !S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EINVAL;
	r = mem_enter(b, RFS_MEM_OP_META, key);
	if (r < 0)
		return r;
	r = make_node(b, key, mode & (S_IFMT | 07777), &n);
	if (r == 0)
		n->rdev = dev ? rdev : 0;
	return mem_leave(b, r);
}

static int mem_readlink(struct rfs_backend *b, const char *key, char *buf,
			size_t size)
{
	struct rfs_mem_node *n;
	int r;

	if (!size)
		return -EINVAL;
	r = mem_enter(b, RFS_MEM_OP_META, key);
	if (r < 0)
		return r;
	r = mem_find(b, key, &n);
	if (!r && !S_ISLNK(n->mode))
		r = -EINVAL;
	if (!r) {
		size_t len = strlen(n->target);

		if (len >= size)
			len = size - 1;
		memcpy(buf, n->target, len);
		buf[len] = '\0';
	}
	return mem_leave(b, r);
}

static int do_truncate(struct rfs_backend *b, const char *key, off_t size)
{
	struct rfs_mem_node *n;
	int r = mem_find(b, key, &n);

	if (r < 0)
		return r;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (S_ISLNK(n->mode))
		return -ELOOP;
	r = rfs_mem_data_truncate(rfs_mem_of(b)->store, n, size);
	if (!r)
		n->mtime = n->ctime = rfs_mem_now();
	return r;
}

static int mem_truncate(struct rfs_backend *b, const char *key, off_t size)
{
	int r = mem_enter(b, RFS_MEM_OP_META, key);

	if (r < 0)
		return r;
	return mem_leave(b, do_truncate(b, key, size));
}

static int mem_chmod(struct rfs_backend *b, const char *key, mode_t mode)
{
	struct rfs_mem_node *n;
	int r = mem_enter(b, RFS_MEM_OP_META, key);

	if (r < 0)
		return r;
	r = mem_find(b, key, &n);
	if (!r && S_ISLNK(n->mode))
		r = -EOPNOTSUPP;
	if (!r) {
		n->mode = (n->mode & S_IFMT) | (mode & 07777);
		n->ctime = rfs_mem_now();
	}
	return mem_leave(b, r);
}

static int mem_chown(struct rfs_backend *b, const char *key, uid_t uid,
		     gid_t gid)
{
	struct rfs_mem_node *n;
	int r = mem_enter(b, RFS_MEM_OP_META, key);

	if (r < 0)
		return r;
	r = mem_find(b, key, &n);
	if (!r) {
		if (uid != (uid_t)-1)
			n->uid = uid;
		if (gid != (gid_t)-1)
			n->gid = gid;
		/* as Linux: a change of owner drops set-id bits */
		if (S_ISREG(n->mode) &&
		    (uid != (uid_t)-1 || gid != (gid_t)-1)) {
			n->mode &= ~(mode_t)S_ISUID;
			if (n->mode & S_IXGRP)
				n->mode &= ~(mode_t)S_ISGID;
		}
		n->ctime = rfs_mem_now();
	}
	return mem_leave(b, r);
}

static int set_time(struct timespec *t, const struct timespec *v,
		    struct timespec now)
{
	if (v->tv_nsec == UTIME_OMIT)
		return 0;
	if (v->tv_nsec == UTIME_NOW) {
		*t = now;
		return 1;
	}
	*t = *v;
	return 1;
}

static int mem_utimens(struct rfs_backend *b, const char *key,
		       const struct timespec ts[2])
{
	struct timespec now = rfs_mem_now();
	struct rfs_mem_node *n;
	int i, r;

	for (i = 0; ts && i < 2; i++)
		if ((ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000L) &&
		    ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT)
			return -EINVAL;
	r = mem_enter(b, RFS_MEM_OP_META, key);
	if (r < 0)
		return r;
	r = mem_find(b, key, &n);
	if (!r && !ts) {
		n->atime = n->mtime = n->ctime = now;
	} else if (!r) {
		int changed = set_time(&n->atime, &ts[0], now);

		changed += set_time(&n->mtime, &ts[1], now);
		if (changed)
			n->ctime = now;
	}
	return mem_leave(b, r);
}

static int mem_statfs(struct rfs_backend *b, const char *key,
		      struct statvfs *st)
{
	const uint64_t blocks = (uint64_t)1 << 28, files = (uint64_t)1 << 24;
	struct rfs_mem_store *s = rfs_mem_of(b)->store;
	struct rfs_mem_node *n;
	uint64_t used;
	int r = mem_enter(b, RFS_MEM_OP_STAT, key);

	if (r < 0)
		return r;
	r = mem_find(b, key, &n);
	if (!r) {
		/* a nominal 1 TiB, less what the chunks take */
		used = s->chunks * (RFS_MEM_CHUNK / 4096);
		memset(st, 0, sizeof(*st));
		st->f_bsize = st->f_frsize = 4096;
		st->f_blocks = blocks;
		st->f_bfree = st->f_bavail = used < blocks ? blocks - used : 0;
		st->f_files = files;
		st->f_ffree = st->f_favail =
			s->nodes < files ? files - s->nodes : 0;
		st->f_fsid = (unsigned long)s->dev;
		st->f_namemax = 255;
	}
	return mem_leave(b, r);
}

/* syncfs(2): in power-loss mode the whole store becomes durable. */
static int mem_sync(struct rfs_backend *b)
{
	int r = mem_enter(b, RFS_MEM_OP_SYNC, "");

	if (r < 0)
		return r;
	return mem_leave(b, rfs_mem_power_durable(rfs_mem_of(b)->store));
}

static void mem_free(struct rfs_backend *b)
{
	struct rfs_mem_backend *m = rfs_mem_of(b);

	rfs_mem_store_put(m->store);
	free(m->prefix);
	free(m->base.uri);
	free(m);
}

static const struct rfs_backend_ops mem_ops = {
	.scheme = "mem",
	.caps = RFS_BACKEND_CAP_XATTR | RFS_BACKEND_CAP_SYMLINK |
		RFS_BACKEND_CAP_COPY | RFS_BACKEND_CAP_RANDOM_WRITE |
		RFS_BACKEND_CAP_HARDLINK | RFS_BACKEND_CAP_LIST_EXACT |
		RFS_BACKEND_CAP_SPECIAL,
	.stat = mem_stat,
	.list = mem_list,
	.open = rfs_mem_open_file,
	.read = rfs_mem_file_read,
	.write = rfs_mem_file_write,
	.fstat = rfs_mem_file_fstat,
	.ftruncate = rfs_mem_file_ftruncate,
	.fsync = rfs_mem_file_fsync,
	.flush = rfs_mem_file_flush,
	.fallocate = rfs_mem_file_fallocate,
	.close = rfs_mem_file_close,
	.mkdir = mem_mkdir,
	.rmdir = mem_rmdir,
	.unlink = mem_unlink,
	.rename = mem_rename,
	.link = mem_link,
	.symlink = mem_symlink,
	.mknod = mem_mknod,
	.readlink = mem_readlink,
	.truncate = mem_truncate,
	.chmod = mem_chmod,
	.chown = mem_chown,
	.utimens = mem_utimens,
	.statfs = mem_statfs,
	.getxattr = rfs_mem_getxattr,
	.setxattr = rfs_mem_setxattr,
	.listxattr = rfs_mem_listxattr,
	.removexattr = rfs_mem_removexattr,
	.copy = rfs_mem_copy,
	.sync = mem_sync,
	.free = mem_free,
};

/* The operations of "mem://STORE/prefix?special=no": a store that keeps no
 * special files (no mknod, no RFS_BACKEND_CAP_SPECIAL), as an object
 * store's, for the tests of what jobs do then. */
static struct rfs_backend_ops mem_plain_ops;
static pthread_once_t mem_plain_once = PTHREAD_ONCE_INIT;

static void mem_plain_init(void)
{
	mem_plain_ops = mem_ops;
	mem_plain_ops.caps &= ~(unsigned int)RFS_BACKEND_CAP_SPECIAL;
	mem_plain_ops.mknod = NULL;
}

/* True when the query @p q ("a=b&c=d") holds "special=no". */
static bool no_special(const char *q)
{
	for (size_t len; *q; q += len + (q[len] == '&')) {
		len = strcspn(q, "&");
		if (len == 10 && !strncmp(q, "special=no", 10))
			return true;
	}
	return false;
}

/* mkdir -p the prefix of @p m; call with the store locked. */
static int make_prefix(struct rfs_mem_backend *m, const char *uri,
		       struct rfs_error *err)
{
	struct rfs_mem_store *s = m->store;
	struct rfs_mem_node *dir = s->root, *n;
	const char *p = m->prefix;

	while (*p) {
		const char *rest;
		size_t len = rfs_path_first(p, &rest);
		char *name;

		n = rfs_mem_dir_find(dir, p, len);
		if (n && !S_ISDIR(n->mode))
			return rfs_error_set(err, ENOTDIR,
					     "'%s': '%.*s' is not a directory",
					     uri, (int)len, p);
		if (!n) {
			name = strndup(p, len);
			n = rfs_mem_node_new(s, S_IFDIR | 0755);
			if (!name || !n || rfs_mem_dir_reserve(dir) < 0) {
				free(name);
				if (n)
					rfs_mem_node_put(s, n);
				return -ENOMEM;
			}
			rfs_mem_dir_add(dir, name, n);
		}
		dir = n;
		p = rest;
	}
	return 0;
}

int rfs_mem_open(const struct rfs_uri *u, const char *uri,
		 struct rfs_backend **out, struct rfs_error *err)
{
	struct rfs_mem_backend *m;
	int r;

	if (!*u->authority)
		return rfs_error_set(err, EINVAL,
				     "'%s' names no store (mem://STORE/prefix)",
				     uri);
	if (!rfs_path_is_clean(u->path))
		return rfs_error_set(err, EINVAL, "'%s' has an unclean path",
				     uri);
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->base.ops = &mem_ops;
	if (no_special(u->query)) {
		pthread_once(&mem_plain_once, mem_plain_init);
		m->base.ops = &mem_plain_ops;
	}
	if (!strcmp(u->scheme, "memrel"))
		m->base.ops = rfs_memrel_ops(&mem_ops);
	m->base.uri = strdup(uri);
	m->prefix = strdup(u->path);
	if (!m->base.uri || !m->prefix) {
		r = -ENOMEM;
		goto free_backend;
	}
	m->store = rfs_mem_store_get(u->authority);
	if (!m->store) {
		r = -ENOMEM;
		goto free_backend;
	}
	pthread_mutex_lock(&m->store->lock);
	r = make_prefix(m, uri, err);
	pthread_mutex_unlock(&m->store->lock);
	if (r < 0)
		goto put_store;
	*out = &m->base;
	return 0;

put_store:
	rfs_mem_store_put(m->store);
free_backend:
	free(m->prefix);
	free(m->base.uri);
	free(m);
	return r;
}

static int opener_open(const char *uri, struct rfs_backend **out,
		       struct rfs_error *err)
{
	struct rfs_uri u;
	int r;

	r = rfs_uri_parse(uri, &u, err);
	if (r < 0)
		return r;
	if (strcmp(u.scheme, "mem") && strcmp(u.scheme, "memrel"))
		r = rfs_error_set(err, EPROTONOSUPPORT,
				  "storage scheme '%s' has no data path here "
				  "(only mem:// and memrel://)",
				  u.scheme);
	else
		r = rfs_mem_open(&u, uri, out, err);
	rfs_uri_release(&u);
	return r;
}

static int opener_check_uri(const char *uri, struct rfs_error *err)
{
	struct rfs_uri u;
	int r;

	r = rfs_uri_parse(uri, &u, err);
	if (r == 0)
		rfs_uri_release(&u);
	return r;
}

static bool opener_supported(const char *scheme)
{
	return scheme && (!strcmp(scheme, "mem") || !strcmp(scheme, "memrel"));
}

const struct rfs_backend_opener rfs_mem_opener = {
	.open = opener_open,
	.check_uri = opener_check_uri,
	.scheme_supported = opener_supported,
};
