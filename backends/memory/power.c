/*
 * Simulated power loss of the memory backend: a durable image of each
 * store in power-loss mode, updated by the syncs a disk would honour and
 * put back in place by a power cut.
 */
#include "backends/memory/mem_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Clones already made while copying one tree, so hard links stay one
 * node: the source node and its clone. */
struct clones {
	const struct rfs_mem_node **from;
	struct rfs_mem_node **to;
	size_t n, alloc;
};

static struct rfs_mem_node *clone_seen(const struct clones *c,
				       const struct rfs_mem_node *n)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->from[i] == n)
			return c->to[i];
	return NULL;
}

static int clone_note(struct clones *c, const struct rfs_mem_node *from,
		      struct rfs_mem_node *to)
{
	if (c->n == c->alloc) {
		size_t alloc = c->alloc ? c->alloc * 2 : 64;
		const struct rfs_mem_node **f =
			realloc(c->from, alloc * sizeof(*f));

		if (!f)
			return -ENOMEM;
		c->from = f;
		struct rfs_mem_node **t = realloc(c->to, alloc * sizeof(*t));
		if (!t)
			return -ENOMEM;
		c->to = t;
		c->alloc = alloc;
	}
	c->from[c->n] = from;
	c->to[c->n++] = to;
	return 0;
}

/* Give @p dst (fresh, no contents) what @p src holds: bytes, target,
 * owner, mode, times and xattrs; its inode number too. */
static int copy_node(struct rfs_mem_store *s, struct rfs_mem_node *dst,
		     const struct rfs_mem_node *src)
{
	int r = 0;

	dst->mode = src->mode;
	dst->uid = src->uid;
	dst->gid = src->gid;
	dst->ino = src->ino;
	dst->atime = src->atime;
	dst->mtime = src->mtime;
	dst->ctime = src->ctime;
	dst->rdev = src->rdev;
	if (S_ISREG(src->mode))
		r = rfs_mem_data_copy(s, dst, src);
	if (r == 0 && src->target) {
		dst->target = strdup(src->target);
		if (!dst->target)
			r = -ENOMEM;
	}
	if (r == 0)
		r = rfs_mem_xattr_copy(dst, src);
	return r;
}

static int clone_tree(struct rfs_mem_store *s, const struct rfs_mem_node *src,
		      struct clones *c, struct rfs_mem_node **out);

/* The entries of directory @p src, cloned into the new directory @p dst. */
static int clone_entries(struct rfs_mem_store *s, struct rfs_mem_node *dst,
			 const struct rfs_mem_node *src, struct clones *c)
{
	for (size_t i = 0; i < src->nslots; i++) {
		const struct rfs_mem_dirent *e = &src->slots[i];
		struct rfs_mem_node *n;
		char *name;
		int r;

		if (!e->name)
			continue;
		r = clone_tree(s, e->node, c, &n);
		if (r < 0)
			return r;
		name = strdup(e->name);
		if (!name || rfs_mem_dir_reserve(dst) < 0) {
			free(name);
			rfs_mem_node_put(s, n);
			return -ENOMEM;
		}
		rfs_mem_dir_add(dst, name, n);
	}
	return 0;
}

static int clone_tree(struct rfs_mem_store *s, const struct rfs_mem_node *src,
		      struct clones *c, struct rfs_mem_node **out)
{
	struct rfs_mem_node *n = clone_seen(c, src);
	struct timespec mtime = src->mtime, ctime = src->ctime;
	int r;

	if (n) {
		*out = n;
		return 0;
	}
	n = rfs_mem_node_new(s, src->mode);
	if (!n)
		return -ENOMEM;
	s->next_ino--; /* the clone keeps the source's number */
	r = copy_node(s, n, src);
	if (r == 0 && !S_ISDIR(src->mode))
		r = clone_note(c, src, n);
	if (r == 0 && S_ISDIR(src->mode))
		r = clone_entries(s, n, src, c);
	if (r < 0) {
		rfs_mem_node_put(s, n);
		return r;
	}
	/* adding entries touched the folder */
	n->mtime = mtime;
	n->ctime = ctime;
	*out = n;
	return 0;
}

/* A deep copy of the tree at @p root, or NULL (out of memory). */
static struct rfs_mem_node *clone_root(struct rfs_mem_store *s,
				       const struct rfs_mem_node *root)
{
	struct clones c = { 0 };
	struct rfs_mem_node *n = NULL;

	if (clone_tree(s, root, &c, &n) < 0)
		n = NULL;
	if (n)
		n->links = 1;
	free(c.from);
	free(c.to);
	return n;
}

static void drop_root(struct rfs_mem_store *s, struct rfs_mem_node *root)
{
	if (!root)
		return;
	root->links = 0;
	rfs_mem_node_put(s, root);
}

int rfs_mem_power_durable(struct rfs_mem_store *s)
{
	struct rfs_mem_node *image;

	if (!s->image)
		return 0;
	image = clone_root(s, s->root);
	if (!image)
		return -ENOMEM;
	drop_root(s, s->image);
	s->image = image;
	return 0;
}

/* The node numbered @p ino below @p dir in the image, or NULL. */
static struct rfs_mem_node *find_ino(struct rfs_mem_node *dir, ino_t ino)
{
	if (dir->ino == ino)
		return dir;
	for (size_t i = 0; S_ISDIR(dir->mode) && i < dir->nslots; i++) {
		struct rfs_mem_node *n;

		if (!dir->slots[i].name)
			continue;
		n = find_ino(dir->slots[i].node, ino);
		if (n)
			return n;
	}
	return NULL;
}

int rfs_mem_power_fsync(struct rfs_mem_store *s, const struct rfs_mem_node *n)
{
	struct rfs_mem_node *old;

	if (!s->image || !S_ISREG(n->mode))
		return 0;
	old = find_ino(s->image, n->ino);
	if (!old || !S_ISREG(old->mode))
		return 0; /* a new name is durable only after a sync */
	rfs_mem_data_free(s, old);
	rfs_mem_xattr_free(old);
	return copy_node(s, old, n);
}

/* Find @p name and return it locked, or NULL. */
static struct rfs_mem_store *locked(const char *name)
{
	struct rfs_mem_store *s = rfs_mem_store_get(name);

	if (s)
		pthread_mutex_lock(&s->lock);
	return s;
}

static void unlocked(struct rfs_mem_store *s)
{
	pthread_mutex_unlock(&s->lock);
	rfs_mem_store_put(s);
}

int rfs_mem_power_loss_begin(const char *store)
{
	struct rfs_mem_store *s = locked(store);
	int r = 0;

	if (!s)
		return -ENOMEM;
	if (!s->image) {
		s->image = clone_root(s, s->root);
		if (!s->image)
			r = -ENOMEM;
	}
	unlocked(s);
	return r;
}

int rfs_mem_power_cut(const char *store)
{
	struct rfs_mem_store *s = locked(store);
	struct rfs_mem_node *root;
	int r = 0;

	if (!s)
		return -ENOMEM;
	if (!s->image) {
		r = -ENOENT;
	} else if (!(root = clone_root(s, s->image))) {
		r = -ENOMEM;
	} else {
		drop_root(s, s->root);
		s->root = root;
		rfs_mem_rules_clear(s);
	}
	unlocked(s);
	return r;
}
