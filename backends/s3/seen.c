/*
 * What the last refresh of an S3 backend saw (fresh.c makes it): the
 * answers the stat() and attest() calls within FRESH_SEC of a refresh
 * take from it, and the entries that our own writes drop.
 */
#include "backends/s3/seen.h"

#include "util/clock.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/** How long a refresh answers stat() and attest(), in seconds. */
#define FRESH_SEC 30

void rfs_s3_fresh_free(struct rfs_s3_fresh *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->e[i].full);
	free(f->e);
	free(f);
}

int rfs_s3_fentry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rfs_s3_fentry *)a)->full,
		      ((const struct rfs_s3_fentry *)b)->full);
}

/* The last refresh's entry of @p full while it is fresh, copied to
 * @p out. Called with fresh_lock held. */
bool rfs_s3_fresh_find(struct rfs_s3_backend *b, const char *full,
		       struct rfs_s3_fentry *out)
{
	struct rfs_s3_fentry key = { .full = (char *)full }, *e;

	if (!b->fresh ||
	    rfs_time_now_ns() - b->fresh->at_ns > FRESH_SEC * RFS_NSEC_PER_SEC)
		return false;
	e = bsearch(&key, b->fresh->e, b->fresh->n, sizeof(*e),
		    rfs_s3_fentry_cmp);
	if (!e)
		return false;
	*out = *e;
	out->full = NULL;
	return true;
}

/* The metadata of the listed version @p e of @p full. */
bool rfs_s3_listed_meta(struct rfs_s3_backend *b, const char *full,
			const struct rfs_s3_fentry *e, struct rfs_s3_meta *m)
{
	if (!e->listed || !*e->etag)
		return false;
	if (b->conf->attrs_listing) {
		rfs_s3_meta_new(m, S_IFREG | 0644);
		m->size = e->size;
		m->mtime_ns = m->atime_ns = m->ctime_ns = e->lm_ns;
		m->server_ns = e->lm_ns;
		memcpy(m->etag, e->etag, sizeof(m->etag));
		return true;
	}
	return rfs_s3_attrs_get(b->attrs, full, e->etag, e->size, e->lm_ns, m);
}

/* rfs_s3_fresh_find() under the refresh lock. */
static bool find_locked(struct rfs_s3_backend *b, const char *full,
			struct rfs_s3_fentry *e)
{
	bool ok;

	pthread_mutex_lock(&b->fresh_lock);
	ok = rfs_s3_fresh_find(b, full, e);
	pthread_mutex_unlock(&b->fresh_lock);
	return ok;
}

bool rfs_s3_fresh_stat(struct rfs_s3_backend *b, const char *full,
		       struct stat *st)
{
	struct rfs_s3_meta m;
	struct rfs_s3_fentry e;
	bool ok;

	ok = find_locked(b, full, &e);
	if (!ok || !rfs_s3_listed_meta(b, full, &e, &m))
		return false;
	rfs_s3_meta_to_stat(b, full, &m, st);
	return true;
}

bool rfs_s3_fresh_attest(struct rfs_s3_backend *b, const char *full,
			 const char *sha)
{
	struct rfs_s3_meta m;
	struct rfs_s3_fentry e;
	bool ok;

	ok = find_locked(b, full, &e);
	/* a single-part ETag is the MD5 the server computed of the bytes;
	 * a multipart one, the MD5 of its parts' MD5s, was checked against
	 * those of the bytes read when the copy was made (attest.c); the
	 * ETag the server gave a copy whose SHA-256 it stated names that
	 * very version (no MD5 is known of it then) */
	return ok && e.listed && *e.etag &&
	       rfs_s3_attrs_find(b->attrs, full, &m) &&
	       !strcasecmp(m.etag, e.etag) && m.size == e.size && *m.sha256 &&
	       !strcasecmp(m.sha256, sha) &&
	       (m.sha256_server || strchr(e.etag, '-') ||
		!strcasecmp(m.md5, e.etag));
}

void rfs_s3_fresh_drop(struct rfs_s3_backend *b, const char *full)
{
	struct rfs_s3_fentry key = { .full = (char *)full }, *e;

	pthread_mutex_lock(&b->fresh_lock);
	if (b->fresh) {
		e = bsearch(&key, b->fresh->e, b->fresh->n, sizeof(*e),
			    rfs_s3_fentry_cmp);
		if (e)
			e->etag[0] = '\0'; /* asked for again */
	}
	pthread_mutex_unlock(&b->fresh_lock);
}
