/*
 * The inode table: every node the kernel was told about, by node id, with
 * the kernel's lookup count, its parent and its name, and the operations
 * of its kind. A node lives while the kernel has lookups on it, while it
 * has named children, and while a request uses it.
 *
 * Node ids are given out in increasing order and never reused in one
 * mount; the generation is the mount's start time, so that a node id of
 * an earlier mount (an NFS file handle) never names a node of this one.
 * The inode number a user sees (st_ino) is another thing: the storage's
 * own, so that hard links agree (rfs_fs_set_ino()).
 *
 * Each name of a hard-linked file is a node of its own, so the kernel
 * keeps a link count per name for the attribute timeout. The table keeps
 * each file node's st_ino and the link count it last gave the kernel, in
 * a third hash by st_ino; when a name goes (unlink, a rename over it) or
 * comes (link), the other names' nodes are invalidated at once.
 *
 * Those invalidations are attribute-only (fuse_lowlevel_notify_inval_inode
 * with a negative offset) and are sent from the request's own thread
 * before its reply, with no lock of the table held: the kernel takes no
 * inode or folder lock for them (it bumps the inode's attribute version
 * under a spin lock and marks its attributes stale), so they cannot wait
 * on the locks the request's system call holds, and the caller's next
 * stat() of another name already asks the daemon. Invalidations that
 * drop names or pages, which take such locks, go through the watcher
 * thread (fs/snap.c).
 */
#include "fs/internal.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_id(const struct rfs_fs_state *st, fuse_ino_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) &
	       (st->n_buckets - 1);
}

static size_t hash_name(const struct rfs_fs_state *st, fuse_ino_t parent,
			const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ parent;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return (size_t)h & (st->n_buckets - 1);
}

static size_t hash_ino(const struct rfs_fs_state *st, uint64_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ULL) >> 20) &
	       (st->n_buckets - 1);
}

static void link_ino(struct rfs_fs_state *st, struct fs_inode *n)
{
	size_t i = hash_ino(st, n->st_ino);

	n->next_ino = st->by_ino[i];
	st->by_ino[i] = n;
}

static void unlink_ino(struct rfs_fs_state *st, struct fs_inode *n)
{
	struct fs_inode **p;

	if (!n->st_ino)
		return;
	p = &st->by_ino[hash_ino(st, n->st_ino)];
	while (*p && *p != n)
		p = &(*p)->next_ino;
	if (*p)
		*p = n->next_ino;
}

static void link_id(struct rfs_fs_state *st, struct fs_inode *n)
{
	size_t i = hash_id(st, n->id);

	n->next_id = st->by_id[i];
	st->by_id[i] = n;
}

static void link_name(struct rfs_fs_state *st, struct fs_inode *n)
{
	size_t i = hash_name(st, n->parent->id, n->name);

	n->next_name = st->by_name[i];
	st->by_name[i] = n;
}

static void unlink_id(struct rfs_fs_state *st, struct fs_inode *n)
{
	struct fs_inode **p = &st->by_id[hash_id(st, n->id)];

	while (*p && *p != n)
		p = &(*p)->next_id;
	if (*p)
		*p = n->next_id;
}

static void unlink_name(struct rfs_fs_state *st, struct fs_inode *n)
{
	struct fs_inode **p;

	if (!n->name || !n->parent)
		return;
	p = &st->by_name[hash_name(st, n->parent->id, n->name)];
	while (*p && *p != n)
		p = &(*p)->next_name;
	if (*p)
		*p = n->next_name;
}

/* Double both hashes when the table is as full as its buckets. */
static void maybe_grow_locked(struct rfs_fs_state *st)
{
	struct fs_inode **old_id = st->by_id, **id2, **name2, **ino2, *n, *next;
	size_t old = st->n_buckets, i;

	if (st->n_inodes < st->n_buckets)
		return;
	id2 = calloc(old * 2, sizeof(*id2));
	name2 = calloc(old * 2, sizeof(*name2));
	ino2 = calloc(old * 2, sizeof(*ino2));
	if (!id2 || !name2 || !ino2) {
		free(id2);
		free(name2);
		free(ino2);
		return; /* longer chains, nothing worse */
	}
	free(st->by_name);
	free(st->by_ino);
	st->by_id = id2;
	st->by_name = name2;
	st->by_ino = ino2;
	st->n_buckets = old * 2;
	for (i = 0; i < old; i++)
		for (n = old_id[i]; n; n = next) {
			next = n->next_id;
			link_id(st, n);
			if (n->name && n->parent)
				link_name(st, n);
			if (n->st_ino)
				link_ino(st, n);
		}
	free(old_id);
}

static struct fs_inode *find_id_locked(struct rfs_fs_state *st, fuse_ino_t id)
{
	struct fs_inode *n = st->by_id[hash_id(st, id)];

	while (n && n->id != id)
		n = n->next_id;
	return n;
}

static struct fs_inode *find_name_locked(struct rfs_fs_state *st,
					 const struct fs_inode *parent,
					 const char *name)
{
	struct fs_inode *n = st->by_name[hash_name(st, parent->id, name)];

	while (n && !(n->parent == parent && !strcmp(n->name, name)))
		n = n->next_name;
	return n;
}

/* Drop a node no one holds any more, and what it held of its parent. */
static void maybe_free_locked(struct rfs_fs_state *st, struct fs_inode *n)
{
	struct fs_inode *parent;

	while (n && n->nlookup == 0 && n->refs == 0 && n != st->root) {
		parent = n->parent;
		unlink_name(st, n);
		unlink_id(st, n);
		unlink_ino(st, n);
		st->n_inodes--;
		pthread_mutex_destroy(&n->lock);
		free(n->name);
		free(n->gone);
		free(n);
		n = parent;
		if (n)
			n->refs--;
	}
}

/* Take @p n out of its folder: it keeps living for the kernel's lookups
 * and its open files, without a name. */
static void detach_locked(struct rfs_fs_state *st, struct fs_inode *n)
{
	struct fs_inode *parent = n->parent;

	unlink_name(st, n);
	free(n->name);
	n->name = NULL;
	n->parent = NULL;
	if (parent) {
		parent->refs--;
		maybe_free_locked(st, parent);
	}
}

/* The other names of a file whose attributes the kernel is to drop, sent
 * once the table lock is released (siblings_send()). */
#define SIBLINGS_MAX 16

struct siblings {
	fuse_ino_t id[SIBLINGS_MAX];
	size_t n;
};

/* Under the table lock: every node but @p n with @p n's st_ino whose
 * link count in the kernel is not @p nlink (each one when @p all) now has
 * it, and goes into @p s. Past SIBLINGS_MAX (a file with that many names
 * in the kernel) the watcher tells the kernel. */
static void siblings_locked(struct rfs_fs_state *st, const struct fs_inode *n,
			    nlink_t nlink, bool all, struct siblings *s)
{
	struct fs_inode *o;

	for (o = st->by_ino[hash_ino(st, n->st_ino)]; o; o = o->next_ino) {
		if (o == n || o->st_ino != n->st_ino ||
		    (!all && o->nlink == nlink))
			continue;
		o->nlink = nlink;
		if (s->n < SIBLINGS_MAX)
			s->id[s->n++] = o->id;
		else
			rfs_fs_notify_inode(st, o->id);
	}
}

/* Tell the kernel that the attributes of @p s are stale (attributes
 * only: see the top of this file), with no lock held. */
static void siblings_send(struct rfs_fs_state *st, const struct siblings *s)
{
	for (size_t i = 0; st->se && i < s->n; i++)
		fuse_lowlevel_notify_inval_inode(st->se, s->id[i], -1, 0);
}

/* Under the table lock: keep the inode number and link count the kernel
 * is given for @p n; the other names of the file with another link count
 * (a name was added) go into @p s. Folders and what the storage numbers
 * not (the top bit set, see rfs_fs_set_ino()) have no other names. */
static void saw_locked(struct rfs_fs_state *st, struct fs_inode *n,
		       const struct stat *attr, struct siblings *s)
{
	uint64_t ino = attr ? (uint64_t)attr->st_ino : 0;

	if (!ino || S_ISDIR(attr->st_mode) || (ino >> 63))
		return;
	if (n->st_ino != ino) {
		unlink_ino(st, n);
		n->st_ino = ino;
		link_ino(st, n);
	}
	n->nlink = attr->st_nlink;
	siblings_locked(st, n, n->nlink, false, s);
}

/* Under the table lock: the name of @p n goes; its file's other names
 * have one link less (each of them goes into @p s). */
static void name_gone_locked(struct rfs_fs_state *st, const struct fs_inode *n,
			     struct siblings *s)
{
	if (n->st_ino)
		siblings_locked(st, n, n->nlink > 1 ? n->nlink - 1 : 0, true,
				s);
}

int rfs_fs_inodes_init(struct rfs_fs_state *st)
{
	struct fs_inode *root = calloc(1, sizeof(*root));

	pthread_mutex_init(&st->table_lock, NULL);
	st->n_buckets = 1024;
	st->by_id = calloc(st->n_buckets, sizeof(*st->by_id));
	st->by_name = calloc(st->n_buckets, sizeof(*st->by_name));
	st->by_ino = calloc(st->n_buckets, sizeof(*st->by_ino));
	if (!root || !st->by_id || !st->by_name || !st->by_ino) {
		free(root);
		return -ENOMEM;
	}
	root->id = FUSE_ROOT_ID;
	root->kind = &rfs_fs_kind_root;
	root->nlookup = 1;
	pthread_mutex_init(&root->lock, NULL);
	st->root = root;
	st->next_id = FUSE_ROOT_ID + 1;
	st->n_inodes = 1;
	link_id(st, root);
	return 0;
}

void rfs_fs_inodes_release(struct rfs_fs_state *st)
{
	struct fs_inode *n, *next;
	size_t i;

	for (i = 0; st->by_id && i < st->n_buckets; i++)
		for (n = st->by_id[i]; n; n = next) {
			next = n->next_id;
			pthread_mutex_destroy(&n->lock);
			free(n->name);
			free(n);
		}
	free(st->by_id);
	free(st->by_name);
	free(st->by_ino);
	st->by_id = st->by_name = st->by_ino = NULL;
	st->root = NULL;
	pthread_mutex_destroy(&st->table_lock);
}

struct fs_inode *rfs_fs_inode_get(struct rfs_fs_state *st, fuse_ino_t id)
{
	struct fs_inode *n;

	pthread_mutex_lock(&st->table_lock);
	n = find_id_locked(st, id);
	if (n)
		n->refs++;
	pthread_mutex_unlock(&st->table_lock);
	return n;
}

void rfs_fs_inode_put(struct rfs_fs_state *st, struct fs_inode *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&st->table_lock);
	n->refs--;
	maybe_free_locked(st, n);
	pthread_mutex_unlock(&st->table_lock);
}

struct fs_inode *rfs_fs_inode_lookup(struct rfs_fs_state *st,
				     struct fs_inode *parent, const char *name,
				     const struct fs_kind *kind,
				     const struct stat *attr)
{
	struct siblings s = { .n = 0 };
	struct fs_inode *n;

	pthread_mutex_lock(&st->table_lock);
	n = find_name_locked(st, parent, name);
	if (n && n->kind != kind) {
		/* The catalog changed what the name is: a new node. */
		detach_locked(st, n);
		n = NULL;
	}
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n || !(n->name = strdup(name))) {
			free(n);
			pthread_mutex_unlock(&st->table_lock);
			return NULL;
		}
		pthread_mutex_init(&n->lock, NULL);
		n->id = st->next_id++;
		n->kind = kind;
		n->parent = parent;
		parent->refs++;
		link_id(st, n);
		link_name(st, n);
		st->n_inodes++;
		maybe_grow_locked(st);
	}
	n->nlookup++;
	n->refs++;
	saw_locked(st, n, attr, &s);
	pthread_mutex_unlock(&st->table_lock);
	siblings_send(st, &s);
	return n;
}

void rfs_fs_inode_forget(struct rfs_fs_state *st, fuse_ino_t id, uint64_t count)
{
	struct fs_inode *n;

	pthread_mutex_lock(&st->table_lock);
	n = find_id_locked(st, id);
	if (n && n != st->root) {
		n->nlookup = count < n->nlookup ? n->nlookup - count : 0;
		maybe_free_locked(st, n);
	}
	pthread_mutex_unlock(&st->table_lock);
}

void rfs_fs_inode_unlink(struct rfs_fs_state *st, struct fs_inode *parent,
			 const char *name)
{
	struct siblings s = { .n = 0 };
	struct fs_inode *n;

	pthread_mutex_lock(&st->table_lock);
	n = find_name_locked(st, parent, name);
	if (n) {
		name_gone_locked(st, n, &s);
		n->refs++;
		detach_locked(st, n);
		n->refs--;
		maybe_free_locked(st, n);
	}
	pthread_mutex_unlock(&st->table_lock);
	siblings_send(st, &s);
}

const struct fs_kind *rfs_fs_inode_known(struct rfs_fs_state *st,
					 struct fs_inode *parent,
					 const char *name)
{
	const struct fs_kind *k;
	struct fs_inode *n;

	pthread_mutex_lock(&st->table_lock);
	n = find_name_locked(st, parent, name);
	k = n ? n->kind : NULL;
	pthread_mutex_unlock(&st->table_lock);
	return k;
}

void rfs_fs_inode_set_gone(struct rfs_fs_state *st, struct fs_inode *parent,
			   const char *name, const struct stat *last)
{
	struct stat *copy = malloc(sizeof(*copy));
	struct fs_inode *n;

	if (!copy)
		return; /* fstat of it is ENOENT, as before */
	*copy = *last;
	copy->st_nlink = S_ISDIR(last->st_mode) || last->st_nlink < 1
				 ? 0
				 : last->st_nlink - 1;
	pthread_mutex_lock(&st->table_lock);
	n = find_name_locked(st, parent, name);
	if (n) {
		pthread_mutex_lock(&n->lock);
		free(n->gone);
		n->gone = copy;
		copy = NULL;
		pthread_mutex_unlock(&n->lock);
	}
	pthread_mutex_unlock(&st->table_lock);
	free(copy);
}

void rfs_fs_inode_rename(struct rfs_fs_state *st, struct fs_inode *parent,
			 const char *name, struct fs_inode *newparent,
			 const char *newname)
{
	struct siblings s = { .n = 0 };
	struct fs_inode *n, *over;
	char *copy = strdup(newname);

	pthread_mutex_lock(&st->table_lock);
	n = find_name_locked(st, parent, name);
	over = find_name_locked(st, newparent, newname);
	if (over && over != n) {
		name_gone_locked(st, over, &s);
		over->refs++;
		detach_locked(st, over);
		over->refs--;
		maybe_free_locked(st, over);
	}
	if (n && copy) {
		n->refs++;
		unlink_name(st, n);
		newparent->refs++;
		free(n->name);
		n->name = copy;
		copy = NULL;
		n->parent->refs--;
		maybe_free_locked(st, n->parent);
		n->parent = newparent;
		link_name(st, n);
		n->refs--;
	} else if (n) {
		n->refs++;
		detach_locked(st, n);
		n->refs--;
		maybe_free_locked(st, n);
	}
	pthread_mutex_unlock(&st->table_lock);
	siblings_send(st, &s);
	free(copy);
}

/* The path of @p n into @p buf (from its end); NULL without a name. */
static char *path_locked(struct rfs_fs_state *st, const struct fs_inode *n,
			 char *buf, size_t size)
{
	char *p = buf + size - 1;
	size_t len;

	*p = '\0';
	if (n == st->root) {
		*--p = '/';
		return p;
	}
	for (; n != st->root; n = n->parent) {
		if (!n->name || !n->parent)
			return NULL;
		len = strlen(n->name);
		if ((size_t)(p - buf) < len + 1)
			return NULL;
		p -= len;
		memcpy(p, n->name, len);
		*--p = '/';
	}
	return p;
}

char *rfs_fs_inode_path(struct rfs_fs_state *st, struct fs_inode *n, int *err)
{
	char buf[4096 + 256], *p, *out = NULL;

	pthread_mutex_lock(&st->table_lock);
	p = path_locked(st, n, buf, sizeof(buf));
	if (p)
		out = strdup(p);
	pthread_mutex_unlock(&st->table_lock);
	*err = !p ? -ENOENT : out ? 0 : -ENOMEM;
	return out;
}

void rfs_fs_inodes_each(struct rfs_fs_state *st,
			void (*fn)(struct fs_inode *n, const char *path,
				   void *ctx),
			void *ctx)
{
	char buf[4096 + 256], *p;
	struct fs_inode *n;
	size_t i;

	pthread_mutex_lock(&st->table_lock);
	for (i = 0; i < st->n_buckets; i++)
		for (n = st->by_id[i]; n; n = n->next_id) {
			p = path_locked(st, n, buf, sizeof(buf));
			if (p)
				fn(n, p, ctx);
		}
	pthread_mutex_unlock(&st->table_lock);
}

int rfs_fs_path_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			 name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Inode numbers (st_ino): the storage's own where it has them, so that
 * hard links show one number, with 15 bits of the storage's device above
 * bit 48 so that two filesystems' numbers do not meet; for what the
 * storage numbers not (catalog levels, the bin's folders, object stores)
 * an FNV-1a hash of the mount path with the top bit set. @p dir and
 * @p name together are the mount path ("/a" and "b" for "/a/b"); @p name
 * may be NULL.
 */
static uint64_t path_hash(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void rfs_fs_set_ino(struct stat *st, const char *dir, const char *name)
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
