/*
 * The tree of a memory store: nodes, directory hash tables and path
 * lookup. Every function runs with the store's lock held.
 */
#include "backends/memory/mem_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct timespec rfs_mem_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

struct rfs_mem_node *rfs_mem_node_new(struct rfs_mem_store *s, mode_t mode)
{
	struct rfs_mem_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->mode = mode;
	n->uid = geteuid();
	n->gid = getegid();
	n->ino = s->next_ino++;
	n->atime = n->mtime = n->ctime = rfs_mem_now();
	s->nodes++;
	return n;
}

void rfs_mem_xattr_free(struct rfs_mem_node *n)
{
	size_t i;

	for (i = 0; i < n->nxattrs; i++) {
		free(n->xattrs[i].name);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	n->xattrs = NULL;
	n->nxattrs = 0;
}

void rfs_mem_node_put(struct rfs_mem_store *s, struct rfs_mem_node *n)
{
	if (n->links || n->opens)
		return;
	if (S_ISDIR(n->mode)) {
		rfs_mem_dir_clear(s, n);
		free(n->slots);
	}
	rfs_mem_data_free(s, n);
	rfs_mem_xattr_free(n);
	free(n->target);
	free(n);
	s->nodes--;
}

void rfs_mem_dir_clear(struct rfs_mem_store *s, struct rfs_mem_node *dir)
{
	size_t i;

	for (i = 0; i < dir->nslots; i++) {
		struct rfs_mem_dirent *e = &dir->slots[i];

		if (!e->name)
			continue;
		free(e->name);
		e->name = NULL;
		e->node->links--;
		rfs_mem_node_put(s, e->node);
	}
	dir->nents = 0;
	dir->nsubdirs = 0;
}

/* FNV-1a */
static size_t name_hash(const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The slot holding @p name, or the free slot where it would go. */
static size_t dir_slot(const struct rfs_mem_node *dir, const char *name,
		       size_t len)
{
	size_t mask = dir->nslots - 1;
	size_t i = name_hash(name, len) & mask;

	for (;;) {
		const char *n = dir->slots[i].name;

		if (!n || (!strncmp(n, name, len) && n[len] == '\0'))
			return i;
		i = (i + 1) & mask;
	}
}

struct rfs_mem_node *rfs_mem_dir_find(const struct rfs_mem_node *dir,
				      const char *name, size_t len)
{
	size_t i;

	if (!dir->nents)
		return NULL;
	i = dir_slot(dir, name, len);
	return dir->slots[i].name ? dir->slots[i].node : NULL;
}

int rfs_mem_dir_reserve(struct rfs_mem_node *dir)
{
	struct rfs_mem_dirent *old = dir->slots;
	size_t oldn = dir->nslots, i, n;

	/* keep the load factor at or below 1/2 */
	if ((dir->nents + 1) * 2 <= dir->nslots)
		return 0;
	n = oldn ? oldn * 2 : 8;
	dir->slots = calloc(n, sizeof(*dir->slots));
	if (!dir->slots) {
		dir->slots = old;
		return -ENOMEM;
	}
	dir->nslots = n;
	for (i = 0; i < oldn; i++) {
		if (old[i].name) {
			size_t j =
				dir_slot(dir, old[i].name, strlen(old[i].name));

			dir->slots[j] = old[i];
		}
	}
	free(old);
	return 0;
}

static void dir_touch(struct rfs_mem_node *dir)
{
	dir->mtime = dir->ctime = rfs_mem_now();
}

void rfs_mem_dir_add(struct rfs_mem_node *dir, char *name,
		     struct rfs_mem_node *n)
{
	size_t i = dir_slot(dir, name, strlen(name));

	dir->slots[i].name = name;
	dir->slots[i].node = n;
	dir->nents++;
	if (S_ISDIR(n->mode))
		dir->nsubdirs++;
	n->links++;
	dir_touch(dir);
}

struct rfs_mem_node *rfs_mem_dir_del(struct rfs_mem_node *dir, const char *name)
{
	size_t mask = dir->nslots - 1;
	size_t i = dir_slot(dir, name, strlen(name)), j;
	struct rfs_mem_node *n = dir->slots[i].node;

	free(dir->slots[i].name);
	dir->slots[i].name = NULL;
	dir->slots[i].node = NULL;
	/* backward-shift the entries that probed past the freed slot */
	for (j = (i + 1) & mask; dir->slots[j].name; j = (j + 1) & mask) {
		size_t home = name_hash(dir->slots[j].name,
					strlen(dir->slots[j].name)) &
			      mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			dir->slots[i] = dir->slots[j];
			dir->slots[j].name = NULL;
			dir->slots[j].node = NULL;
			i = j;
		}
	}
	dir->nents--;
	if (S_ISDIR(n->mode))
		dir->nsubdirs--;
	n->links--;
	dir_touch(dir);
	return n;
}

void rfs_mem_dir_replace(struct rfs_mem_node *dir, const char *name,
			 struct rfs_mem_node *n)
{
	size_t i = dir_slot(dir, name, strlen(name));
	struct rfs_mem_node *old = dir->slots[i].node;

	if (S_ISDIR(old->mode))
		dir->nsubdirs--;
	if (S_ISDIR(n->mode))
		dir->nsubdirs++;
	dir->slots[i].node = n;
	dir_touch(dir);
}

/* Walk the components of @p path[0..len) from @p n; every node reached,
 * including the last, must be a directory. */
static int walk(struct rfs_mem_node **n, const char *path, size_t len)
{
	const char *p = path, *end = path + len;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t clen = slash ? (size_t)(slash - p) : (size_t)(end - p);
		struct rfs_mem_node *next = rfs_mem_dir_find(*n, p, clen);

		if (!next)
			return -ENOENT;
		if (S_ISLNK(next->mode))
			return -ELOOP;
		if (!S_ISDIR(next->mode))
			return -ENOTDIR;
		*n = next;
		p += clen + 1;
	}
	return 0;
}

int rfs_mem_lookup(struct rfs_mem_store *s, const char *prefix, const char *key,
		   struct rfs_mem_node **out)
{
	struct rfs_mem_node *dir;
	const char *name;
	int r;

	if (!*key) {
		dir = s->root;
		r = walk(&dir, prefix, strlen(prefix));
		if (r < 0)
			return r;
		*out = dir;
		return 0;
	}
	r = rfs_mem_lookup_parent(s, prefix, key, &dir, &name);
	if (r < 0)
		return r;
	*out = rfs_mem_dir_find(dir, name, strlen(name));
	return *out ? 0 : -ENOENT;
}

int rfs_mem_lookup_parent(struct rfs_mem_store *s, const char *prefix,
			  const char *key, struct rfs_mem_node **dir,
			  const char **name)
{
	struct rfs_mem_node *n = s->root;
	const char *slash = strrchr(key, '/');
	int r;

	r = walk(&n, prefix, strlen(prefix));
	if (r < 0)
		return r;
	if (slash) {
		r = walk(&n, key, (size_t)(slash - key));
		if (r < 0)
			return r;
	}
	*dir = n;
	*name = slash ? slash + 1 : key;
	return 0;
}

void rfs_mem_fill_stat(const struct rfs_mem_store *s,
		       const struct rfs_mem_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = s->dev;
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_nlink = S_ISDIR(n->mode) ? 2 + n->nsubdirs : n->links;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_blksize = 4096;
	if (S_ISREG(n->mode)) {
		st->st_size = n->size;
		st->st_blocks = (blkcnt_t)(n->nchunks * (RFS_MEM_CHUNK / 512));
	} else if (S_ISLNK(n->mode)) {
		st->st_size = (off_t)strlen(n->target);
	} else if (!S_ISDIR(n->mode)) {
		st->st_rdev = n->rdev; /* a FIFO, socket or device */
	} else {
		st->st_size = 4096;
		st->st_blocks = 8;
	}
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}
