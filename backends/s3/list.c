/*
 * Listings of the S3 adapter: ListObjectsV2 with delimiter "/", paginated
 * with continuation tokens, keys URL-encoded on the wire (encoding-type=url)
 * so that any byte survives the XML.
 *
 * Listings carry no user metadata, only sizes and Last-Modified times, so
 * each entry whose attributes are not cached yet gets one HEAD (on up to
 * head_parallel threads, 32 by default: the client's pool keeps that
 * many connections alive): list() then reports the same mode, owner and
 * preserved mtime that stat() does, and symlinks as symlinks. The attributes go
 * to the stat cache, so the stat() calls that follow a readdir (`ls -l`) cost
 * nothing, and a folder is listed with 1 + its entries requests once per
 * cache_ttl, then from the cache. With attrs=listing the listing's own sizes
 * and times are the attributes (stat() reports the same), and a folder costs
 * one request per 1,000 entries.
 *
 * The pages of a folder are a pipeline: a thread requests page n+1 as soon
 * as the raw answer of page n shows its token, while the caller parses
 * page n and HEADs its entries; a page that fails fails the listing (EIO).
 */
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/log.h"
#include "util/parallel.h"
#include "util/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The raw answer of one ListObjectsV2 request into @p body. */
static int page_fetch(struct rfs_s3_backend *b, const char *prefix, bool delim,
		      int max_keys, const char *start_after, const char *token,
		      struct rfs_buf *body)
{
	struct rfs_buf q = RFS_BUF_INIT;
	struct rfs_s3_request r;
	int e;

	e = rfs_buf_addstr(&q, "list-type=2&encoding-type=url&prefix=");
	if (!e)
		e = rfs_s3_uri_encode(&q, prefix, false);
	if (!e && delim)
		e = rfs_buf_addstr(&q, "&delimiter=%2F");
	if (!e && max_keys)
		e = rfs_buf_addf(&q, "&max-keys=%d", max_keys);
	if (!e && start_after && !token) {
		e = rfs_buf_addstr(&q, "&start-after=");
		if (!e)
			e = rfs_s3_uri_encode(&q, start_after, false);
	}
	if (!e && token) {
		e = rfs_buf_addstr(&q, "&continuation-token=");
		if (!e)
			e = rfs_s3_uri_encode(&q, token, false);
	}
	if (!e) {
		rfs_s3_req_init(&r, "GET", NULL);
		r.query = rfs_buf_str(&q);
		r.out = body;
		e = rfs_s3_do(b, &r);
	}
	rfs_buf_release(&q);
	return e;
}

/* Parse the answer @p body of a listing of @p prefix. */
static int page_parse(struct rfs_s3_backend *b, const char *prefix,
		      const struct rfs_buf *body, struct rfs_s3_listing *out)
{
	int e = rfs_s3_parse_listing(body->data ? body->data : "", body->len,
				     out);

	if (e == -EBADMSG)
		e = rfs_s3_fail(EIO,
				"storage '%s': the listing of '%s' is "
				"not valid XML",
				b->name, prefix);
	else if (!e && out->truncated && !out->next_token) {
		/* following it is impossible, ending it would hide the rest */
		rfs_s3_listing_release(out);
		e = rfs_s3_fail(EIO,
				"storage '%s': the listing of '%s' is "
				"cut short without a continuation token",
				b->name, prefix);
	}
	return e;
}

int rfs_s3_list_page(struct rfs_s3_backend *b, const char *prefix, bool delim,
		     int max_keys, const char *start_after, const char *token,
		     struct rfs_s3_listing *out)
{
	struct rfs_buf body = RFS_BUF_INIT;
	int e = page_fetch(b, prefix, delim, max_keys, start_after, token,
			   &body);

	if (!e)
		e = page_parse(b, prefix, &body, out);
	rfs_buf_release(&body);
	return e;
}

int rfs_s3_dir_has_children(struct rfs_s3_backend *b, const char *key,
			    bool *marker)
{
	struct rfs_buf dir = RFS_BUF_INIT;
	struct rfs_s3_listing l = { 0 };
	bool mk = false, kids = false;
	size_t i;
	int r = rfs_s3_dir_prefix(b, key, &dir);

	if (!r)
		r = rfs_s3_list_page(b, rfs_buf_str(&dir), false, 2, NULL, NULL,
				     &l);
	if (!r) {
		for (i = 0; i < l.n_objects; i++) {
			if (!strcmp(l.objects[i].key, rfs_buf_str(&dir)))
				mk = true;
			else
				kids = true;
		}
		kids |= l.n_prefixes > 0;
		r = kids;
	}
	if (marker)
		*marker = mk;
	rfs_s3_listing_release(&l);
	rfs_buf_release(&dir);
	return r;
}

int rfs_s3_walk(struct rfs_s3_backend *b, const char *key,
		int (*fn)(void *ctx, const char *full, int64_t size), void *ctx)
{
	struct rfs_buf dir = RFS_BUF_INIT;
	char *token = NULL;
	size_t i;
	int r = rfs_s3_dir_prefix(b, key, &dir);

	while (!r) {
		struct rfs_s3_listing l = { 0 };

		r = rfs_s3_list_page(b, rfs_buf_str(&dir), false, 0, NULL,
				     token, &l);
		for (i = 0; !r && i < l.n_objects; i++)
			r = fn(ctx, l.objects[i].key, l.objects[i].size);
		free(token);
		token = NULL;
		if (!r && l.truncated && l.next_token) {
			token = l.next_token;
			l.next_token = NULL;
		}
		rfs_s3_listing_release(&l);
		if (!token)
			break;
	}
	free(token);
	rfs_buf_release(&dir);
	return r;
}

/* ------------------------------------------------------------- listing */

/* The entries of one directory while they are gathered. */
struct gather {
	struct rfs_s3_backend *b;
	const char *full; /* the directory's full key */
	struct rfs_s3_entry *e;
	size_t n, alloc;
	/* fill_attrs()'s page, from entry @c from on, kept between pages
	 * (grown to @c cap entries): */
	size_t from, cap;
	bool *gone;   /* its entries that vanished before their HEAD */
	size_t *todo; /* its entries still needing a HEAD */
	size_t n_todo;
	/* list_late(): a file's attributes are the listing's, no HEAD */
	bool late;
	size_t listed; /* entries gathered, those gone since included */
};

static bool name_ok(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") &&
	       !strchr(name, '/') && strlen(name) <= 255;
}

static int gather_add(struct gather *g, const char *name, size_t len, bool dir,
		      int64_t size, int64_t mtime_ns, const char *etag)
{
	struct rfs_buf key = RFS_BUF_INIT;
	struct rfs_s3_entry *e;
	struct rfs_s3_meta m;

	if (g->n == g->alloc) {
		size_t na = g->alloc ? g->alloc * 2 : 64;

		e = realloc(g->e, na * sizeof(*e));
		if (!e)
			return -ENOMEM;
		g->e = e;
		g->alloc = na;
	}
	e = &g->e[g->n];
	e->name = strndup(name, len);
	if (!e->name)
		return -ENOMEM;
	if (!name_ok(e->name)) {
		free(e->name);
		return 0;
	}
	rfs_s3_meta_new(&m, dir ? S_IFDIR | 0755 : S_IFREG | 0644);
	m.size = size;
	m.mtime_ns = m.atime_ns = m.ctime_ns = mtime_ns;
	m.server_ns = dir ? 0 : mtime_ns;
	/* the entry's own key: its inode number comes from it */
	if (rfs_path_join(&key, g->full, e->name) < 0) {
		free(e->name);
		rfs_buf_release(&key);
		return -ENOMEM;
	}
	/* what a HEAD of this very object said, kept: no HEAD now */
	e->known = !dir && !g->b->conf->attrs_listing &&
		   rfs_s3_attrs_get(g->b->attrs, rfs_buf_str(&key), etag, size,
				    mtime_ns, &m);
	/* the version listed now, with its kept attributes, is what a HEAD
	 * would say: a copy of it (copy_hashed(), whose reads are
	 * conditional on this ETag) needs no HEAD of its own */
	if (e->known)
		rfs_s3_cache_head_put(g->b->cache, rfs_buf_str(&key), &m);
	if (!e->known && !dir && g->late) {
		/* the version listed, for the copy that reads it */
		m.has_mtime = false;
		snprintf(m.etag, sizeof(m.etag), "%s", etag);
		rfs_s3_cache_listed_put(g->b->cache, rfs_buf_str(&key), &m);
	}
	rfs_s3_meta_to_stat(g->b, rfs_buf_str(&key), &m, &e->st);
	rfs_buf_release(&key);
	g->n++;
	g->listed++;
	return 0;
}

/* Add the entries of one page; @p marker is set when the directory's own
 * marker object is listed. */
static int gather_page(struct gather *g, const struct rfs_s3_listing *l,
		       const char *dir, bool *marker)
{
	size_t dl = strlen(dir), i, len;
	int r = 0;

	for (i = 0; !r && i < l->n_objects; i++) {
		const struct rfs_s3_object *o = &l->objects[i];

		if (strncmp(o->key, dir, dl))
			continue;
		if (!o->key[dl]) {
			*marker = true;
			continue;
		}
		if (o->time_out_of_range) {
			/* no wrapped time: left out; a HEAD of it fails */
			rfs_log(LOG_DEBUG,
				"storage '%s': '%s' left out of the listing: "
				"its LastModified is outside 1677-09-21.."
				"2262-04-11",
				g->b->name, o->key);
			continue;
		}
		r = gather_add(g, o->key + dl, strlen(o->key + dl), false,
			       o->size, o->mtime_ns, o->etag);
	}
	for (i = 0; !r && i < l->n_prefixes; i++) {
		const char *p = l->prefixes[i];

		if (strncmp(p, dir, dl))
			continue;
		len = strlen(p + dl);
		if (len && p[dl + len - 1] == '/')
			len--;
		r = gather_add(g, p + dl, len, true, 0, g->b->opened_ns, "");
	}
	return r;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct rfs_s3_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* a file sorts before a directory of the same name */
	return c ? c
		 : (int)S_ISDIR(x->st.st_mode) - (int)S_ISDIR(y->st.st_mode);
}

/* Sort, and keep one entry per name (the file, as stat() sees it). */
static void sort_unique(struct gather *g)
{
	size_t i, k = 0;

	if (g->n > 1)
		qsort(g->e, g->n, sizeof(*g->e), entry_cmp);
	for (i = 0; i < g->n; i++) {
		if (k && !strcmp(g->e[k - 1].name, g->e[i].name)) {
			free(g->e[i].name);
			continue;
		}
		g->e[k++] = g->e[i];
	}
	g->n = k;
}

static int head_entry(void *ctx, size_t i)
{
	struct gather *g = ctx;
	size_t at = g->todo[i];
	struct rfs_s3_entry *e = &g->e[at];
	struct rfs_buf key = RFS_BUF_INIT, obj = RFS_BUF_INIT;
	bool dir = S_ISDIR(e->st.st_mode), marker = false;
	struct rfs_s3_meta m;
	int r = rfs_path_join(&key, g->full, e->name);

	if (!r)
		r = rfs_buf_addf(&obj, "%s%s", rfs_buf_str(&key),
				 dir ? "/" : "");
	if (!r)
		r = rfs_s3_head(g->b, rfs_buf_str(&obj), &m);
	if (!r) {
		marker = dir;
	} else if (r == -ENOENT && dir) {
		rfs_s3_meta_new(&m, S_IFDIR | 0755);
		m.mtime_ns = m.atime_ns = m.ctime_ns = g->b->opened_ns;
		r = 0;
	} else if (r == -ENOENT) {
		g->gone[at - g->from] = true;
		r = 0;
		goto out;
	}
	if (!r) {
		if (rfs_s3_meta_to_stat(g->b, rfs_buf_str(&key), &m, &e->st))
			rfs_s3_cache_stat_put(g->b->cache, rfs_buf_str(&key),
					      &e->st, marker);
	}
out:
	rfs_buf_release(&key);
	rfs_buf_release(&obj);
	return r;
}

/* attrs=listing: the listing's attributes are the answer; keep them for
 * the stat() calls that follow. */
static int keep_listed(struct gather *g, size_t from)
{
	struct rfs_buf key = RFS_BUF_INIT;
	size_t i;
	int r = 0;

	for (i = from; !r && i < g->n; i++) {
		rfs_buf_reset(&key);
		r = rfs_path_join(&key, g->full, g->e[i].name);
		if (!r)
			rfs_s3_cache_stat_put(g->b->cache, rfs_buf_str(&key),
					      &g->e[i].st, false);
	}
	rfs_buf_release(&key);
	return r;
}

/* The entries from @p from on (one page's): take cached attributes, HEAD
 * the rest in parallel, drop the vanished. */
static int fill_attrs(struct gather *g, size_t from)
{
	struct rfs_buf key = RFS_BUF_INIT;
	size_t i, k = from, n = g->n - from;
	int r = 0;

	if (g->b->conf->attrs_listing)
		return keep_listed(g, from);

	if (n > g->cap) {
		bool *gone = realloc(g->gone, n * sizeof(*gone));
		size_t *todo;

		if (gone)
			g->gone = gone;
		todo = gone ? realloc(g->todo, n * sizeof(*todo)) : NULL;
		if (!todo)
			return -ENOMEM;
		g->todo = todo;
		g->cap = n;
	}
	if (n)
		memset(g->gone, 0, n * sizeof(*g->gone));
	g->from = from;
	g->n_todo = 0;
	for (i = from; !r && i < g->n; i++) {
		struct stat st;

		rfs_buf_reset(&key);
		r = rfs_path_join(&key, g->full, g->e[i].name);
		if (!r && g->e[i].known)
			rfs_s3_cache_stat_put(g->b->cache, rfs_buf_str(&key),
					      &g->e[i].st, false);
		else if (!r &&
			 rfs_s3_cache_stat_get(g->b->cache, rfs_buf_str(&key),
					       &st, NULL) &&
			 S_ISDIR(st.st_mode) == S_ISDIR(g->e[i].st.st_mode))
			g->e[i].st = st;
		else if (!r && !(g->late && !S_ISDIR(g->e[i].st.st_mode)))
			g->todo[g->n_todo++] = i;
	}
	rfs_buf_release(&key);
	if (!r)
		r = rfs_parallel_try(g->b->conf->head_parallel, g->n_todo,
				     head_entry, g);
	for (i = from; !r && i < g->n; i++) {
		if (g->gone[i - from]) {
			free(g->e[i].name);
			continue;
		}
		g->e[k++] = g->e[i];
	}
	if (!r)
		g->n = k;
	return r;
}

/* RECYCLEFS_TEST_S3_LIST_MAX_KEYS=N (test builds only): the listings of
 * folders ask for pages of N keys, so that tests list a few hundred
 * objects in many pages. */
static int page_keys(void)
{
#ifdef RFS_TEST_HOOKS
	const char *v = getenv("RECYCLEFS_TEST_S3_LIST_MAX_KEYS");

	if (v && atoi(v) > 0)
		return atoi(v);
#endif
	return 0;
}

/* RECYCLEFS_TEST_S3_LIST_BAD_TOKEN=N (test builds only): the request of
 * the folder listing's page N (from 1) carries a continuation token the
 * server does not know, which it refuses. */
static char *test_token(char *token, int page)
{
#ifdef RFS_TEST_HOOKS
	const char *v = getenv("RECYCLEFS_TEST_S3_LIST_BAD_TOKEN");
	char *bad;

	if (v && atoi(v) == page && (bad = strdup("recyclefs-bad-token"))) {
		free(token);
		return bad;
	}
#else
	(void)page;
#endif
	return token;
}

/* ------------------------------------------------------ pages ahead */

/*
 * The pages of a folder's listing after its first, requested one after
 * the other on a thread of their own: each request is sent as soon as
 * the answer before it shows its token (a look for the token in the raw
 * answer, before any parsing), while the caller parses the pages it has
 * and HEADs their entries. The caller checks each page's parsed token
 * against the one the thread followed.
 */
struct page {
	struct page *next;
	struct rfs_buf body; /* the raw answer */
	char *token;	     /* the token it was asked with, owned */
};

struct pages {
	struct rfs_s3_backend *b;
	const char *dir;
	int max_keys;
	int no;	     /* the number of the last page requested */
	char *token; /* the token of the next request, owned */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct page *head, **tail; /* answers not taken yet */
	bool running;		   /* under lock: the thread requests */
	bool stop;		   /* under lock: request no more */
	int r;			   /* the failure that ended the thread */
	char why[512];		   /* its message */
	pthread_t tid;
	bool joinable;
};

/* The NextContinuationToken of a raw ListObjectsV2 answer marked
 * truncated, or NULL (none, or one this look cannot read: the caller's
 * parse then gives it). */
static char *token_look(const struct rfs_buf *body)
{
	static const char open[] = "<NextContinuationToken>";
	const char *d = body->data ? body->data : "", *t, *end;
	char *out;

	if (!strstr(d, "<IsTruncated>true</IsTruncated>"))
		return NULL;
	t = strstr(d, open);
	if (!t)
		return NULL;
	t += sizeof(open) - 1;
	end = strchr(t, '<');
	if (!end || strncmp(end, "</NextContinuationToken>", 24) ||
	    memchr(t, '&', (size_t)(end - t)))
		return NULL; /* entities: left to the parser */
	out = strndup(t, (size_t)(end - t));
	return out;
}

/* A page to fill, or NULL. */
static struct page *page_new(void)
{
	struct page *pg = calloc(1, sizeof(*pg));

	if (pg)
		pg->body = (struct rfs_buf)RFS_BUF_INIT;
	return pg;
}

static void *pages_run(void *arg)
{
	struct pages *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->token) {
		struct page *pg = page_new();
		char *token = p->token;
		int r;

		p->token = NULL;
		p->no++;
		token = test_token(token, p->no);
		pthread_mutex_unlock(&p->lock);
		r = pg ? page_fetch(p->b, p->dir, true, p->max_keys, NULL,
				    token, &pg->body)
		       : -ENOMEM;
		pthread_mutex_lock(&p->lock);
		if (r < 0) {
			snprintf(p->why, sizeof(p->why), "%s",
				 rfs_s3_last_error_for(-r));
			p->r = r;
			if (pg)
				rfs_buf_release(&pg->body);
			free(pg);
			free(token);
			break;
		}
		pg->token = token;
		p->token = token_look(&pg->body);
		*p->tail = pg;
		p->tail = &pg->next;
		pthread_cond_broadcast(&p->cond);
	}
	p->running = false;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Request the pages from the one of @p token (owned) on, in the thread. */
static void pages_follow(struct pages *p, char *token)
{
	if (p->joinable)
		pthread_join(p->tid, NULL);
	p->joinable = false;
	p->token = token;
	p->running = true;
	if (pthread_create(&p->tid, NULL, pages_run, p) == 0)
		p->joinable = true;
	else
		pages_run(p); /* no thread: the next page now */
}

/* The next page's answer, in order; the caller frees it. @return 0, or
 * the failure that ended the requests */
static int pages_next(struct pages *p, struct page **out)
{
	int r = 0;

	pthread_mutex_lock(&p->lock);
	while (!p->head && p->running)
		pthread_cond_wait(&p->cond, &p->lock);
	*out = p->head;
	if (p->head) {
		p->head = p->head->next;
		if (!p->head)
			p->tail = &p->head;
	} else {
		r = p->r ? p->r : -EIO;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static void page_free(struct page *pg)
{
	if (pg) {
		rfs_buf_release(&pg->body);
		free(pg->token);
		free(pg);
	}
}

/* Stop the requests, wait for the thread, drop the answers not taken. */
static void pages_end(struct pages *p)
{
	struct page *pg;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_mutex_unlock(&p->lock);
	if (p->joinable)
		pthread_join(p->tid, NULL);
	while ((pg = p->head)) {
		p->head = pg->next;
		page_free(pg);
	}
	free(p->token);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

/* The listing failed at page @p no: the listing fails with EIO (a page
 * missing is no listing), saying why. */
static int page_failed(struct rfs_s3_backend *b, const char *dir, int no, int r,
		       const char *why)
{
	if (r == -ENOMEM)
		return r;
	return rfs_s3_fail(EIO,
			   "storage '%s': the listing of '%s' failed at page "
			   "%d%s%s",
			   b->name, dir, no, *why ? ": " : "", why);
}

/* List the directory @p key from the server: its first page, then the
 * others as the thread of struct pages brings them, each page's entries
 * HEADed while the next pages are requested. */
static int fetch(struct rfs_s3_backend *b, const char *key, struct gather *g)
{
	struct rfs_buf dir = RFS_BUF_INIT, full = RFS_BUF_INIT;
	struct pages p = { 0 };
	struct page *pg = NULL;
	bool marker = false;
	int no = 1, r = rfs_s3_dir_prefix(b, key, &dir);

	p.b = b;
	p.dir = rfs_buf_str(&dir);
	p.max_keys = page_keys();
	p.no = 1; /* the first page is this thread's */
	p.tail = &p.head;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	pg = page_new();
	if (!pg)
		r = -ENOMEM;
	if (!r) {
		/* the first page on this thread: its error is the listing's
		 * as it is (EACCES, ENOENT of a bucket) */
		pg->token = test_token(NULL, no);
		r = page_fetch(b, p.dir, true, p.max_keys, NULL, pg->token,
			       &pg->body);
	}
	while (!r) {
		struct rfs_s3_listing l = { 0 };
		size_t from = g->n;
		char *seen = token_look(&pg->body);
		bool looked = seen != NULL;

		/* the next page requested before this one is parsed (the
		 * thread itself follows the pages after it) */
		if (seen && no == 1)
			pages_follow(&p, seen);
		else
			free(seen);
		r = page_parse(b, p.dir, &pg->body, &l);
		if (!r && l.truncated && !looked)
			/* a token the look could not read (the thread
			 * stopped at it): the parsed one */
			pages_follow(&p, strdup(l.next_token));
		if (!r)
			r = gather_page(g, &l, p.dir, &marker);
		if (!r)
			r = fill_attrs(g, from);
		page_free(pg);
		pg = NULL;
		if (!r && l.truncated) {
			r = pages_next(&p, &pg);
			no++;
			if (r)
				r = page_failed(b, p.dir, no, r, p.why);
			else if (!pg->token || strcmp(pg->token, l.next_token))
				r = page_failed(b, p.dir, no, -EIO,
						"the token followed is not the "
						"one the page before gave");
		}
		rfs_s3_listing_release(&l);
		if (!r && !pg)
			break;
	}
	page_free(pg);
	pages_end(&p);
	if (!r && !g->listed && !marker && *key) {
		struct rfs_s3_meta m;

		/* nothing below: a file, or nothing at all */
		r = rfs_s3_full_key(b, key, &full);
		if (!r)
			r = rfs_s3_head(b, rfs_buf_str(&full), &m);
		if (!r)
			r = -ENOTDIR;
	}
	if (!r)
		sort_unique(g);
	rfs_buf_release(&dir);
	rfs_buf_release(&full);
	return r;
}

static int list(struct rfs_backend *rb, const char *key, bool late,
		rfs_backend_list_fn fn, void *ctx)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct gather g = { .b = b, .late = late };
	struct rfs_buf full = RFS_BUF_INIT;
	size_t i;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	r = rfs_s3_full_key(b, key, &full);
	g.full = rfs_buf_str(&full);
	if (!r)
		r = rfs_s3_cache_list_get(b->cache, g.full, &g.e, &g.n);
	if (r == 0) {
		r = fetch(b, key, &g);
		/* a late listing's files have provisional attributes */
		if (!r && !late)
			rfs_s3_cache_list_put(b->cache, g.full, g.e, g.n);
	} else if (r == 1) {
		r = 0;
	}
	for (i = 0; !r && i < g.n; i++)
		r = fn(ctx, g.e[i].name, &g.e[i].st);
	rfs_s3_entries_free(g.e, g.n);
	free(g.gone);
	free(g.todo);
	rfs_buf_release(&full);
	return r;
}

int rfs_s3_list(struct rfs_backend *rb, const char *key, rfs_backend_list_fn fn,
		void *ctx)
{
	return list(rb, key, false, fn, ctx);
}

int rfs_s3_list_late(struct rfs_backend *rb, const char *key,
		     rfs_backend_list_fn fn, void *ctx)
{
	return list(rb, key, true, fn, ctx);
}
