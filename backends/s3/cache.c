/*
 * The attribute and listing caches of the S3 adapter: hash tables keyed
 * by full object key, whose entries live for cache_ttl seconds, and the
 * answers of HEADs, kept longer for opening objects for reading only
 * (reads are conditional on the ETag: a stale one costs a second look,
 * never wrong bytes).
 * They are shared by every backend of the process on the same endpoint
 * and bucket (a mount and the jobs it runs open their own backends), as
 * is the list of open files, so that what one backend writes, the others
 * see at once. Our own writes drop what they change
 * (rfs_s3_invalidate()); changes made by other clients show once the
 * entries expire. A backend with a TTL of 0 neither reads nor fills
 * them, but its writes still drop what others cached. When a table grows
 * past its cap, expired entries are swept, and if that is not enough the
 * table is emptied: the caches only save requests, they never decide an
 * outcome on their own.
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
#define MAX_HEADS 50000

struct centry {
	struct centry *next;
	char *key;
	int64_t expires;
	struct stat st;
	bool marker;
	struct rfs_s3_entry *ents; /* listings */
	size_t n;
	struct rfs_s3_meta *meta; /* HEAD answers */
};

struct table {
	struct centry *b[BUCKETS];
	size_t count, cap;
};

/* What the backends of one endpoint and bucket share. */
struct shared {
	struct shared *next; /* in the process's list */
	char *id;
	int refs;
	pthread_mutex_t lock;
	struct table stats, lists, heads;
	struct table listed; /* versions a late listing showed */
	struct rfs_s3_files files;
};

/* One backend's handle: the shared state and its own TTL. */
struct rfs_s3_cache {
	struct shared *s;
	int64_t ttl_ns;
};

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared *shared_list;

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
	free(e->meta);
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

static struct shared *shared_new(const char *id)
{
	struct shared *s = calloc(1, sizeof(*s));

	if (!s || !(s->id = strdup(id))) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->files.lock, NULL);
	s->stats.cap = MAX_STATS;
	s->lists.cap = MAX_LISTS;
	s->heads.cap = MAX_HEADS;
	s->listed.cap = MAX_HEADS;
	return s;
}

static void shared_free(struct shared *s)
{
	sweep(&s->stats, drop_all, NULL);
	sweep(&s->lists, drop_all, NULL);
	sweep(&s->heads, drop_all, NULL);
	sweep(&s->listed, drop_all, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->files.lock);
	free(s->id);
	free(s);
}

struct rfs_s3_cache *rfs_s3_cache_open(const char *id, int ttl)
{
	struct rfs_s3_cache *c = calloc(1, sizeof(*c));
	struct shared *s;

	if (!c)
		return NULL;
	pthread_mutex_lock(&shared_lock);
	for (s = shared_list; s && strcmp(s->id, id); s = s->next)
		;
	if (!s && (s = shared_new(id))) {
		s->next = shared_list;
		shared_list = s;
	}
	if (s)
		s->refs++;
	pthread_mutex_unlock(&shared_lock);
	if (!s) {
		free(c);
		return NULL;
	}
	c->s = s;
	c->ttl_ns = ttl > 0 ? (int64_t)ttl * RFS_NSEC_PER_SEC : 0;
	return c;
}

void rfs_s3_cache_close(struct rfs_s3_cache *c)
{
	struct shared **p, *s;

	if (!c)
		return;
	s = c->s;
	pthread_mutex_lock(&shared_lock);
	if (--s->refs == 0) {
		for (p = &shared_list; *p != s; p = &(*p)->next)
			;
		*p = s->next;
	} else {
		s = NULL;
	}
	pthread_mutex_unlock(&shared_lock);
	if (s)
		shared_free(s);
	free(c);
}

struct rfs_s3_files *rfs_s3_cache_files(struct rfs_s3_cache *c)
{
	return &c->s->files;
}

/* An entry of mode 0 records a name known to be absent. */
int rfs_s3_cache_stat_find(struct rfs_s3_cache *c, const char *key,
			   struct stat *st, bool *marker)
{
	struct centry *e;
	int r = -1;

	if (!c->ttl_ns)
		return -1;
	pthread_mutex_lock(&c->s->lock);
	e = find(&c->s->stats, key, rfs_time_mono_ns(), NULL);
	if (e && e->st.st_mode) {
		*st = e->st;
		if (marker)
			*marker = e->marker;
		r = 1;
	} else if (e) {
		r = 0;
	}
	pthread_mutex_unlock(&c->s->lock);
	return r;
}

bool rfs_s3_cache_stat_get(struct rfs_s3_cache *c, const char *key,
			   struct stat *st, bool *marker)
{
	return rfs_s3_cache_stat_find(c, key, st, marker) == 1;
}

void rfs_s3_cache_absent_put(struct rfs_s3_cache *c, const char *key)
{
	struct stat none;

	memset(&none, 0, sizeof(none));
	rfs_s3_cache_stat_put(c, key, &none, false);
}

void rfs_s3_cache_drop_unless_dir(struct rfs_s3_cache *c, const char *key)
{
	struct centry *e;

	pthread_mutex_lock(&c->s->lock);
	e = find(&c->s->stats, key, rfs_time_mono_ns(), NULL);
	if (!e || !S_ISDIR(e->st.st_mode))
		remove_key(&c->s->stats, key);
	remove_key(&c->s->lists, key);
	remove_key(&c->s->heads, key);
	remove_key(&c->s->listed, key);
	pthread_mutex_unlock(&c->s->lock);
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
	pthread_mutex_lock(&c->s->lock);
	insert(&c->s->stats, e, now);
	pthread_mutex_unlock(&c->s->lock);
}

static void meta_put(struct rfs_s3_cache *c, struct table *t, const char *key,
		     const struct rfs_s3_meta *m)
{
	int64_t now = rfs_time_mono_ns(), keep = RFS_S3_HEAD_HINT_SEC;
	struct centry *e;

	if (!c->ttl_ns || !*m->etag || S_ISDIR(m->mode))
		return;
	keep *= RFS_NSEC_PER_SEC;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key)) || !(e->meta = malloc(sizeof(*m)))) {
		if (e)
			free(e->key);
		free(e);
		return;
	}
	*e->meta = *m;
	e->expires = now + (c->ttl_ns > keep ? c->ttl_ns : keep);
	pthread_mutex_lock(&c->s->lock);
	insert(t, e, now);
	pthread_mutex_unlock(&c->s->lock);
}

void rfs_s3_cache_head_put(struct rfs_s3_cache *c, const char *key,
			   const struct rfs_s3_meta *m)
{
	meta_put(c, &c->s->heads, key, m);
}

void rfs_s3_cache_listed_put(struct rfs_s3_cache *c, const char *key,
			     const struct rfs_s3_meta *m)
{
	meta_put(c, &c->s->listed, key, m);
}

static bool meta_get(struct rfs_s3_cache *c, struct table *t, const char *key,
		     struct rfs_s3_meta *m)
{
	struct centry *e;

	if (!c->ttl_ns)
		return false;
	pthread_mutex_lock(&c->s->lock);
	e = find(t, key, rfs_time_mono_ns(), NULL);
	if (e)
		*m = *e->meta;
	pthread_mutex_unlock(&c->s->lock);
	return e != NULL;
}

bool rfs_s3_cache_head_get(struct rfs_s3_cache *c, const char *key,
			   struct rfs_s3_meta *m)
{
	return meta_get(c, &c->s->heads, key, m);
}

bool rfs_s3_cache_listed_get(struct rfs_s3_cache *c, const char *key,
			     struct rfs_s3_meta *m)
{
	return meta_get(c, &c->s->listed, key, m);
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
	pthread_mutex_lock(&c->s->lock);
	e = find(&c->s->lists, dir, rfs_time_mono_ns(), NULL);
	if (e) {
		hit = bsearch(&probe, e->ents, e->n, sizeof(*e->ents),
			      entry_cmp);
		r = hit ? 1 : 0;
		if (hit)
			*st = hit->st;
	}
	pthread_mutex_unlock(&c->s->lock);
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
	pthread_mutex_lock(&c->s->lock);
	e = find(&c->s->lists, dir, rfs_time_mono_ns(), NULL);
	if (e) {
		copy = entries_dup(e->ents, e->n);
		r = copy ? 1 : -ENOMEM;
		*n = e->n;
	}
	pthread_mutex_unlock(&c->s->lock);
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
	pthread_mutex_lock(&c->s->lock);
	insert(&c->s->lists, e, now);
	pthread_mutex_unlock(&c->s->lock);
}

bool rfs_s3_cache_list_set(struct rfs_s3_cache *c, const char *key,
			   const struct stat *st)
{
	size_t dl = rfs_path_dirlen(key), lo = 0, hi, mid;
	const char *name = rfs_path_basename(key);
	struct rfs_s3_entry *grown;
	struct centry *e;
	bool done = false;
	char *dir, *copy;
	int cmp = 1;

	if (!c->ttl_ns || !*key)
		return false;
	dir = strndup(key, dl);
	copy = strdup(name);
	if (!dir || !copy) {
		if (dir)
			rfs_s3_cache_drop_list(c, dir);
		goto out;
	}
	pthread_mutex_lock(&c->s->lock);
	e = find(&c->s->lists, dir, rfs_time_mono_ns(), NULL);
	if (e) {
		for (hi = e->n; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			cmp = strcmp(e->ents[mid].name, name);
			if (!cmp) {
				lo = mid;
				break;
			}
			if (cmp < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!cmp) {
			e->ents[lo].st = *st;
			done = true;
		} else if ((grown = realloc(e->ents,
					    (e->n + 1) * sizeof(*grown)))) {
			e->ents = grown;
			memmove(grown + lo + 1, grown + lo,
				(e->n - lo) * sizeof(*grown));
			grown[lo].name = copy;
			grown[lo].st = *st;
			e->n++;
			copy = NULL;
			done = true;
		} else {
			remove_key(&c->s->lists, dir);
		}
	}
	pthread_mutex_unlock(&c->s->lock);
out:
	free(dir);
	free(copy);
	return done;
}

void rfs_s3_cache_drop(struct rfs_s3_cache *c, const char *key)
{
	pthread_mutex_lock(&c->s->lock);
	remove_key(&c->s->stats, key);
	remove_key(&c->s->lists, key);
	remove_key(&c->s->heads, key);
	remove_key(&c->s->listed, key);
	pthread_mutex_unlock(&c->s->lock);
}

void rfs_s3_cache_drop_list(struct rfs_s3_cache *c, const char *dir)
{
	pthread_mutex_lock(&c->s->lock);
	remove_key(&c->s->lists, dir);
	pthread_mutex_unlock(&c->s->lock);
}

void rfs_s3_cache_drop_tree(struct rfs_s3_cache *c, const char *key)
{
	pthread_mutex_lock(&c->s->lock);
	sweep(&c->s->stats, drop_under, (void *)key);
	sweep(&c->s->lists, drop_under, (void *)key);
	sweep(&c->s->heads, drop_under, (void *)key);
	sweep(&c->s->listed, drop_under, (void *)key);
	pthread_mutex_unlock(&c->s->lock);
}
