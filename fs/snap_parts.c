/*
 * The parts of bin entries queued for purging, as the mount shows them:
 * gone. `rm` of a path inside an entry queues it in the index and adds
 * it here before it returns, so the very next lookup or listing no longer
 * shows it, although its copy stays in recycle storage until a job worker
 * purges it. A mount also takes over what the index still queues when it
 * starts (a daemon killed with parts queued). A part leaves this set once
 * the index no longer queues it (rfs_fs_parts_prune(), after each batch):
 * by then its copy is gone too.
 */
#include "fs/internal.h"

#include "index/index.h"
#include "index/parts.h"
#include "util/error.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct part_node {
	struct part_node *next;
	int64_t id;
	uint64_t seq; /* when it was added: prune keeps later ones */
	char path[];
};

struct fs_parts {
	pthread_mutex_t lock;
	struct part_node **b;
	size_t n_b, n;
	uint64_t seq;
};

static uint64_t hash(int64_t id, const char *path, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)id;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)path[i]) * 1099511628211ULL;
	return h;
}

int rfs_fs_parts_new(struct fs_parts **out)
{
	struct fs_parts *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->n_b = 64;
	p->b = calloc(p->n_b, sizeof(*p->b));
	if (!p->b) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void rfs_fs_parts_free(struct fs_parts *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_b; i++)
		while (p->b[i]) {
			struct part_node *n = p->b[i];

			p->b[i] = n->next;
			free(n);
		}
	free(p->b);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Under lock: the node of (@p id, @p path[0..len)), or NULL. */
static struct part_node *find(struct fs_parts *p, int64_t id, const char *path,
			      size_t len)
{
	struct part_node *n = p->b[hash(id, path, len) & (p->n_b - 1)];

	for (; n; n = n->next)
		if (n->id == id && !strncmp(n->path, path, len) &&
		    !n->path[len])
			return n;
	return NULL;
}

static void grow(struct fs_parts *p)
{
	size_t n_b = p->n_b * 2, i;
	struct part_node **b = calloc(n_b, sizeof(*b));

	if (!b)
		return; /* longer chains, still right */
	for (i = 0; i < p->n_b; i++)
		while (p->b[i]) {
			struct part_node *n = p->b[i];
			size_t k = hash(n->id, n->path, strlen(n->path)) &
				   (n_b - 1);

			p->b[i] = n->next;
			n->next = b[k];
			b[k] = n;
		}
	free(p->b);
	p->b = b;
	p->n_b = n_b;
}

int rfs_fs_parts_add(struct rfs_fs_state *st, int64_t id, const char *path)
{
	struct fs_parts *p = st->parts;
	size_t len = strlen(path);
	struct part_node *n;
	size_t k;

	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	if (find(p, id, path, len)) {
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	n = malloc(sizeof(*n) + len + 1);
	if (!n) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	memcpy(n->path, path, len + 1);
	n->id = id;
	n->seq = ++p->seq;
	if (p->n >= p->n_b)
		grow(p);
	k = hash(id, path, len) & (p->n_b - 1);
	n->next = p->b[k];
	p->b[k] = n;
	p->n++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

bool rfs_fs_parts_hidden(struct rfs_fs_state *st, int64_t id, const char *sub)
{
	struct fs_parts *p = st->parts;
	size_t len = strlen(sub);
	bool hidden = false;

	if (!p || !*sub)
		return false;
	pthread_mutex_lock(&p->lock);
	/* The path, then each folder above it inside the entry. */
	while (p->n && len > 0 && !hidden) {
		hidden = find(p, id, sub, len) != NULL;
		while (len > 0 && sub[--len] != '/')
			;
	}
	pthread_mutex_unlock(&p->lock);
	return hidden;
}

/* The queued paths of one entry, sorted (the index lists them so). */
struct queued {
	char **v;
	size_t n, cap;
};

static int add_queued(void *ctx, const char *path)
{
	struct queued *q = ctx;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		char **v = realloc(q->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		q->v = v;
		q->cap = cap;
	}
	q->v[q->n] = strdup(path);
	return q->v[q->n++] ? 0 : -ENOMEM;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(a, *(char *const *)b);
}

void rfs_fs_parts_prune(struct rfs_fs_state *st, struct rfs_index *idx,
			int64_t id)
{
	struct fs_parts *p = st->parts;
	struct queued q = { 0 };
	uint64_t seq;
	size_t i;
	int r;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	seq = p->seq; /* later ones may be queued after the read below */
	r = p->n ? 0 : 1;
	pthread_mutex_unlock(&p->lock);
	if (r)
		return;
	r = rfs_index_part_list(idx, id, add_queued, &q, NULL);
	if (r == 0) {
		pthread_mutex_lock(&p->lock);
		for (i = 0; i < p->n_b; i++) {
			struct part_node **at = &p->b[i], *n;

			while ((n = *at)) {
				if (n->id != id || n->seq > seq ||
				    (q.n && bsearch(n->path, q.v, q.n,
						    sizeof(*q.v), str_cmp))) {
					at = &n->next;
					continue;
				}
				*at = n->next;
				free(n);
				p->n--;
			}
		}
		pthread_mutex_unlock(&p->lock);
	}
	for (i = 0; i < q.n; i++)
		free(q.v[i]);
	free(q.v);
}

/* Every entry with queued parts: their paths join the set. */
struct load_ctx {
	int64_t *ids;
	size_t n, cap;
};

static int add_entry(void *ctx, int64_t id)
{
	struct load_ctx *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *v = realloc(l->ids, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->ids = v;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
	return 0;
}

struct add_ctx {
	struct rfs_fs_state *st;
	int64_t id;
};

static int add_one(void *ctx, const char *path)
{
	struct add_ctx *a = ctx;

	return rfs_fs_parts_add(a->st, a->id, path);
}

int rfs_fs_parts_load(struct rfs_fs_state *st, struct rfs_index *idx)
{
	struct load_ctx l = { 0 };
	struct rfs_error err = { 0 };
	size_t i;
	int r;

	/* Due or not: a batch waiting for its retry is hidden too. */
	r = rfs_index_part_entries(idx, INT64_MAX, add_entry, &l, &err);
	for (i = 0; r == 0 && i < l.n; i++) {
		struct add_ctx a = { st, l.ids[i] };

		r = rfs_index_part_list(idx, l.ids[i], add_one, &a, &err);
	}
	free(l.ids);
	return r;
}
