/*
 * The attribute and listing caches of the S3 adapter: two hash tables,
 * keyed by relative key, whose entries live for cache_ttl seconds. Our
 * own writes drop what they change (rfs_s3_invalidate()); changes made
 * by other clients show once the entries expire. A TTL of 0 turns both
 * off. When a table grows past its cap, expired entries are swept, and
 * if that is not enough the table is emptied: the caches only save
 * requests, they never decide an outcome on their own.
 */
#include "backends/s3/s3_ops.h"

#include "util/clock.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS	  4096
#define MAX_STATS 200000
#define MAX_LISTS 2000

struct centry {
	struct centry *next;
	char *key;
	int64_t expires;
	struct stat st;
	bool marker;
	struct rfs_s3_entry *ents; /* listings */
	size_t n;
};

struct table {
	struct centry *b[BUCKETS];
	size_t count, cap;
};

struct rfs_s3_cache {
	pthread_mutex_t lock;
	int64_t ttl_ns;
	struct table stats, lists;
};

static unsigned int hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h % BUCKETS;
}

void rfs_s3_entries_free(struct rfs_s3_entry *e, size_t n)
{
	size_t i;

	for (i = 0; e && i < n; i++)
		free(e[i].name);
	free(e);
}

static void centry_free(struct centry *e)
{
	free(e->key);
	rfs_s3_entries_free(e->ents, e->n);
	free(e);
}

/* Unlink and free the entries for which @p drop says so. */
static void sweep(struct table *t, bool (*drop)(struct centry *, void *),
		  void *ctx)
{
	struct centry **p, *e;
	size_t i;

	for (i = 0; i < BUCKETS; i++) {
		p = &t->b[i];
		while ((e = *p)) {
			if (drop(e, ctx)) {
				*p = e->next;
				centry_free(e);
				t->count--;
			} else {
				p = &e->next;
			}
		}
	}
}

static bool drop_all(struct centry *e, void *ctx)
{
	(void)e;
	(void)ctx;
	return true;
}

static bool drop_expired(struct centry *e, void *ctx)
{
	return e->expires <= *(int64_t *)ctx;
}

static bool drop_under(struct centry *e, void *ctx)
{
	return rfs_path_is_under(e->key, ctx);
}

static struct centry *find(struct table *t, const char *key, int64_t now,
			   struct centry ***where)
{
	struct centry **p = &t->b[hash(key)], *e;

	while ((e = *p)) {
		if (!strcmp(e->key, key)) {
			if (e->expires <= now) {
				*p = e->next;
				centry_free(e);
				t->count--;
				break;
			}
			if (where)
				*where = p;
			return e;
		}
		p = &e->next;
	}
	return NULL;
}

static void remove_key(struct table *t, const char *key)
{
	struct centry **p = &t->b[hash(key)], *e;

	while ((e = *p)) {
		if (!strcmp(e->key, key)) {
			*p = e->next;
			centry_free(e);
			t->count--;
			return;
		}
		p = &e->next;
	}
}

/* Insert @p e (replacing an entry of the same key); call locked. */
static void insert(struct table *t, struct centry *e, int64_t now)
{
	unsigned int h = hash(e->key);

	remove_key(t, e->key);
	if (t->count >= t->cap) {
		sweep(t, drop_expired, &now);
		if (t->count >= t->cap)
			sweep(t, drop_all, NULL);
	}
	e->next = t->b[h];
	t->b[h] = e;
	t->count++;
}

struct rfs_s3_cache *rfs_s3_cache_new(int ttl)
{
	struct rfs_s3_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->ttl_ns = ttl > 0 ? (int64_t)ttl * RFS_NSEC_PER_SEC : 0;
	c->stats.cap = MAX_STATS;
	c->lists.cap = MAX_LISTS;
	return c;
}

void rfs_s3_cache_free(struct rfs_s3_cache *c)
{
	if (!c)
		return;
	sweep(&c->stats, drop_all, NULL);
	sweep(&c->lists, drop_all, NULL);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool rfs_s3_cache_stat_get(struct rfs_s3_cache *c, const char *key,
			   struct stat *st, bool *marker)
{
	struct centry *e;

	if (!c->ttl_ns)
		return false;
	pthread_mutex_lock(&c->lock);
	e = find(&c->stats, key, rfs_time_mono_ns(), NULL);
	if (e) {
		*st = e->st;
		if (marker)
			*marker = e->marker;
	}
	pthread_mutex_unlock(&c->lock);
	return e != NULL;
}

void rfs_s3_cache_stat_put(struct rfs_s3_cache *c, const char *key,
			   const struct stat *st, bool marker)
{
	int64_t now = rfs_time_mono_ns();
	struct centry *e;

	if (!c->ttl_ns)
		return;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return; /* the cache is an optimisation: no error */
	}
	e->st = *st;
	e->marker = marker;
	e->expires = now + c->ttl_ns;
	pthread_mutex_lock(&c->lock);
	insert(&c->stats, e, now);
	pthread_mutex_unlock(&c->lock);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rfs_s3_entry *)a)->name,
		      ((const struct rfs_s3_entry *)b)->name);
}

int rfs_s3_cache_lookup(struct rfs_s3_cache *c, const char *key,
			struct stat *st)
{
	size_t dl = rfs_path_dirlen(key);
	struct rfs_s3_entry probe, *hit;
	struct centry *e;
	char *dir;
	int r = -1;

	if (!c->ttl_ns || !*key)
		return -1;
	dir = strndup(key, dl);
	if (!dir)
		return -1;
	probe.name = (char *)rfs_path_basename(key);
	pthread_mutex_lock(&c->lock);
	e = find(&c->lists, dir, rfs_time_mono_ns(), NULL);
	if (e) {
		hit = bsearch(&probe, e->ents, e->n, sizeof(*e->ents),
			      entry_cmp);
		r = hit ? 1 : 0;
		if (hit)
			*st = hit->st;
	}
	pthread_mutex_unlock(&c->lock);
	free(dir);
	return r;
}

static struct rfs_s3_entry *entries_dup(const struct rfs_s3_entry *e, size_t n)
{
	struct rfs_s3_entry *d = calloc(n ? n : 1, sizeof(*d));
	size_t i;

	if (!d)
		return NULL;
	for (i = 0; i < n; i++) {
		d[i].st = e[i].st;
		d[i].name = strdup(e[i].name);
		if (!d[i].name) {
			rfs_s3_entries_free(d, i);
			return NULL;
		}
	}
	return d;
}

int rfs_s3_cache_list_get(struct rfs_s3_cache *c, const char *dir,
			  struct rfs_s3_entry **out, size_t *n)
{
	struct rfs_s3_entry *copy = NULL;
	struct centry *e;
	int r = 0;

	if (!c->ttl_ns)
		return 0;
	pthread_mutex_lock(&c->lock);
	e = find(&c->lists, dir, rfs_time_mono_ns(), NULL);
	if (e) {
		copy = entries_dup(e->ents, e->n);
		r = copy ? 1 : -ENOMEM;
		*n = e->n;
	}
	pthread_mutex_unlock(&c->lock);
	if (r == 1)
		*out = copy;
	return r;
}

void rfs_s3_cache_list_put(struct rfs_s3_cache *c, const char *dir,
			   const struct rfs_s3_entry *ents, size_t n)
{
	int64_t now = rfs_time_mono_ns();
	struct centry *e;

	if (!c->ttl_ns)
		return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->key = strdup(dir);
	e->ents = entries_dup(ents, n);
	if (!e->key || !e->ents) {
		free(e->key);
		free(e->ents);
		free(e);
		return;
	}
	e->n = n;
	e->expires = now + c->ttl_ns;
	pthread_mutex_lock(&c->lock);
	insert(&c->lists, e, now);
	pthread_mutex_unlock(&c->lock);
}

void rfs_s3_cache_drop(struct rfs_s3_cache *c, const char *key)
{
	pthread_mutex_lock(&c->lock);
	remove_key(&c->stats, key);
	remove_key(&c->lists, key);
	pthread_mutex_unlock(&c->lock);
}

void rfs_s3_cache_drop_list(struct rfs_s3_cache *c, const char *dir)
{
	pthread_mutex_lock(&c->lock);
	remove_key(&c->lists, dir);
	pthread_mutex_unlock(&c->lock);
}

void rfs_s3_cache_drop_tree(struct rfs_s3_cache *c, const char *key)
{
	pthread_mutex_lock(&c->lock);
	sweep(&c->stats, drop_under, (void *)key);
	sweep(&c->lists, drop_under, (void *)key);
	pthread_mutex_unlock(&c->lock);
}
