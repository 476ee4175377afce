/*
 * Answers about many files in few requests, for the steps of an archive
 * that must see what the server holds now: refresh() lists the folders
 * of a batch of keys (ListObjectsV2 from just before the first key of
 * each folder, 1,000 keys a page), and the stat() and attest() calls that
 * follow within FRESH_SEC take their answer from that listing: its ETag,
 * size and Last-Modified name the version, and the attribute store
 * (attrs.c) gives that version's metadata and, for a version whose bytes
 * recyclefs read, their SHA-256 and MD5. A version the store does not
 * know is asked for with a HEAD, as before.
 *
 * unlink_checked() removes a batch with DeleteObjects (up to 1,000 keys a
 * request) after one such listing: a file is removed only while the
 * listing shows the ETag and size of the version whose SHA-256 the
 * caller gives (recorded when its bytes were read for the copy); a file
 * whose version the store has no digests for is compared by size and
 * mtime, as a HEAD would show them. S3 has no conditional delete: a
 * write that lands between the listing and the DeleteObjects request is
 * lost with it (docs/recyclebin.md says so).
 *
 * What a refresh saw is kept, and looked up, by seen.c.
 */
#include "backends/s3/s3_ops.h"
#include "backends/s3/seen.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/** The most keys of one DeleteObjects request. */
#define DELETE_MAX 1000

/* The objects listed, while windows are fetched. */
struct seen {
	struct rfs_s3_fentry *e;
	size_t n, alloc;
};

static int seen_add(struct seen *s, const struct rfs_s3_object *o)
{
	struct rfs_s3_fentry *e;

	if (s->n == s->alloc) {
		size_t na = s->alloc ? 2 * s->alloc : 256;

		e = realloc(s->e, na * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->e = e;
		s->alloc = na;
	}
	e = &s->e[s->n];
	e->full = strdup(o->key);
	if (!e->full)
		return -ENOMEM;
	e->listed = !o->time_out_of_range;
	memcpy(e->etag, o->etag, sizeof(e->etag));
	e->size = o->size;
	e->lm_ns = o->mtime_ns;
	s->n++;
	return 0;
}

/* One listed range of a folder: keys in [lo, hi] (hi NULL: to its end). */
struct window {
	char *dir, *lo, *hi;
};

static bool covers(const struct window *w, const char *dir, const char *full)
{
	return !strcmp(w->dir, dir) && strcmp(full, w->lo) >= 0 &&
	       (!w->hi || strcmp(full, w->hi) <= 0);
}

/* List the folder @p dir of @p full from just before it. */
static int fetch_window(struct rfs_s3_backend *b, const char *dir,
			const char *full, struct seen *s, struct window *w)
{
	struct rfs_s3_listing l = { 0 };
	char *after = strndup(full, strlen(full) - 1);
	const char *hi = NULL;
	int r = after ? 0 : -ENOMEM;

	if (!r)
		r = rfs_s3_list_page(b, dir, true, 0, after, NULL, &l);
	for (size_t i = 0; !r && i < l.n_objects; i++)
		r = seen_add(s, &l.objects[i]);
	if (!r && l.truncated) {
		/* the page ends at its greatest name */
		if (l.n_objects)
			hi = l.objects[l.n_objects - 1].key;
		if (l.n_prefixes &&
		    (!hi || strcmp(l.prefixes[l.n_prefixes - 1], hi) > 0))
			hi = l.prefixes[l.n_prefixes - 1];
		if (!hi)
			r = -EIO;
	}
	if (!r) {
		w->dir = strdup(dir);
		w->lo = strdup(full);
		w->hi = hi ? strdup(hi) : NULL;
		if (!w->dir || !w->lo || (hi && !w->hi))
			r = -ENOMEM;
	}
	rfs_s3_listing_release(&l);
	free(after);
	return r;
}

/* The full keys of @p keys, sorted, with what listings say of them now:
 * one listing per folder and 1,000 names. */
static int build(struct rfs_s3_backend *b, const char *const *keys, size_t n,
		 struct rfs_s3_fresh **out)
{
	struct rfs_s3_fresh *f = calloc(1, sizeof(*f));
	struct window *w = calloc(n ? n : 1, sizeof(*w));
	struct seen s = { 0 };
	struct rfs_buf full = RFS_BUF_INIT;
	size_t nw = 0, i, k;
	int r = f && w ? 0 : -ENOMEM;

	if (!r)
		f->e = calloc(n ? n : 1, sizeof(*f->e));
	if (!r && !f->e)
		r = -ENOMEM;
	if (f)
		f->at_ns = rfs_time_now_ns();
	for (i = 0; !r && i < n; i++) {
		if (!*keys[i] || !rfs_path_is_clean(keys[i]))
			continue;
		rfs_buf_reset(&full);
		r = rfs_s3_full_key(b, keys[i], &full);
		if (!r && !(f->e[f->n].full = strdup(rfs_buf_str(&full))))
			r = -ENOMEM;
		if (!r)
			f->n++;
	}
	if (!r && f->n > 1)
		qsort(f->e, f->n, sizeof(*f->e), rfs_s3_fentry_cmp);
	for (i = 0; !r && i < f->n; i++) {
		const char *fk = f->e[i].full;
		size_t dl = strrchr(fk, '/')
				    ? (size_t)(strrchr(fk, '/') - fk) + 1
				    : 0;
		char *dir = strndup(fk, dl);

		if (!dir) {
			r = -ENOMEM;
			break;
		}
		for (k = 0; k < nw && !covers(&w[k], dir, fk); k++)
			;
		if (k == nw)
			r = fetch_window(b, dir, fk, &s, &w[nw++]);
		free(dir);
	}
	if (!r && s.n > 1)
		qsort(s.e, s.n, sizeof(*s.e), rfs_s3_fentry_cmp);
	for (i = 0; !r && i < f->n; i++) {
		struct rfs_s3_fentry *hit = bsearch(
			&f->e[i], s.e, s.n, sizeof(*s.e), rfs_s3_fentry_cmp);

		if (hit) {
			f->e[i].listed = hit->listed;
			memcpy(f->e[i].etag, hit->etag, sizeof(hit->etag));
			f->e[i].size = hit->size;
			f->e[i].lm_ns = hit->lm_ns;
		}
	}
	for (i = 0; i < nw; i++) {
		free(w[i].dir);
		free(w[i].lo);
		free(w[i].hi);
	}
	free(w);
	for (i = 0; i < s.n; i++)
		free(s.e[i].full);
	free(s.e);
	rfs_buf_release(&full);
	if (r < 0) {
		rfs_s3_fresh_free(f);
		return r;
	}
	*out = f;
	return 0;
}

void rfs_s3_refresh(struct rfs_backend *rb, const char *const *keys, size_t n)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_s3_fresh *f = NULL, *old;
	int r;

	/* what the caches knew goes first, as forget() */
	for (size_t i = 0; i < n; i++)
		if (rfs_path_is_clean(keys[i]))
			rfs_s3_invalidate(b, keys[i]);
	r = build(b, keys, n, &f);
	if (r < 0)
		rfs_log(LOG_DEBUG,
			"storage '%s': no listing for a batch of %zu keys "
			"(%s): each is asked for alone",
			b->name, n, strerror(-r));
	pthread_mutex_lock(&b->fresh_lock);
	old = b->fresh;
	b->fresh = f;
	pthread_mutex_unlock(&b->fresh_lock);
	rfs_s3_fresh_free(old);
}

/* ------------------------------------------------------- batch delete */

/* Is @p u (object @p full, listed as @p e when @p have) still the
 * version it was verified as? The version pinned when its bytes were
 * read, when there is one, decides by ETag, size and SHA-256; else its
 * size and mtime. @return 1 yes, 0 no, -ENOENT gone, or -errno */
static int still_same(struct rfs_s3_backend *b, const char *full,
		      const struct rfs_backend_unlink *u,
		      const struct rfs_s3_fentry *e, bool have)
{
	struct rfs_s3_meta pin, m;
	struct stat st;
	bool pinned, headed = false;
	int r;

	if (have && !e->listed && !*e->etag)
		return -ENOENT; /* in the folder's listing, it is not */
	if (u->size < 0)
		return 1;
	/* looked up before any HEAD, which may bring the new version */
	pinned = u->sha256 && rfs_s3_attrs_pinned(b->attrs, full, &pin);
	/* the version there now: the listing's, else a HEAD's */
	if (have && e->listed) {
		memset(&m, 0, sizeof(m));
		memcpy(m.etag, e->etag, sizeof(m.etag));
		m.size = e->size;
	} else {
		r = rfs_s3_head(b, full, &m);
		if (r < 0)
			return r;
		headed = true;
	}
	/* the pin of this archive's copy: that very version, or kept */
	if (pinned && !strcasecmp(pin.sha256, u->sha256))
		return !strcasecmp(pin.etag, m.etag) && pin.size == m.size &&
		       m.size == u->size;
	/* the pin of other bytes (an earlier archive of the key) */
	if (pinned && !strcasecmp(pin.etag, m.etag))
		return 0;
	/* no pin: its size and mtime, as a HEAD shows them */
	if (!headed && !rfs_s3_listed_meta(b, full, e, &m)) {
		r = rfs_s3_head(b, full, &m);
		if (r < 0)
			return r;
	}
	/* as stat() shows them, which the caller recorded (attrs=listing:
	 * Last-Modified to the second) */
	rfs_s3_meta_to_stat(b, full, &m, &st);
	return st.st_size == u->size &&
	       st.st_mtim.tv_sec * RFS_NSEC_PER_SEC + st.st_mtim.tv_nsec ==
		       u->mtime_ns;
}

/* Append @p s to @p x, escaped for XML text. */
static int xml_add(struct rfs_buf *x, const char *s)
{
	int r = 0;

	for (; !r && *s; s++) {
		switch (*s) {
		case '&':
			r = rfs_buf_addstr(x, "&amp;");
			break;
		case '<':
			r = rfs_buf_addstr(x, "&lt;");
			break;
		case '>':
			r = rfs_buf_addstr(x, "&gt;");
			break;
		case '"':
			r = rfs_buf_addstr(x, "&quot;");
			break;
		case '\'':
			r = rfs_buf_addstr(x, "&apos;");
			break;
		default:
			r = rfs_buf_add(x, s, 1);
		}
	}
	return r;
}

static bool xml_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

/* DeleteObjects of @p n keys (Quiet: only failures are answered). */
static int delete_objects(struct rfs_s3_backend *b, char **full, size_t n)
{
	struct rfs_buf x = RFS_BUF_INIT, body = RFS_BUF_INIT;
	struct rfs_s3_request r;
	int e = rfs_buf_addstr(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
				   "<Delete><Quiet>true</Quiet>");

	for (size_t i = 0; !e && i < n; i++) {
		e = rfs_buf_addstr(&x, "<Object><Key>");
		if (!e)
			e = xml_add(&x, full[i]);
		if (!e)
			e = rfs_buf_addstr(&x, "</Key></Object>");
	}
	if (!e)
		e = rfs_buf_addstr(&x, "</Delete>");
	if (!e) {
		rfs_s3_req_init(&r, "POST", NULL);
		r.query = "delete";
		r.body = x.data;
		r.body_len = x.len;
		r.body_fd = -1;
		r.idempotent = true; /* deleting twice is deleting */
		r.out = &body;
		e = rfs_s3_do(b, &r);
	}
	/* a key that failed: the caller deletes the batch one by one */
	if (!e && body.data && strstr(body.data, "<Error>"))
		e = -EIO;
	rfs_buf_release(&x);
	rfs_buf_release(&body);
	return e;
}

int rfs_s3_unlink_checked(struct rfs_backend *rb, struct rfs_backend_unlink *u,
			  size_t n)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	char **go = calloc(n ? n : 1, sizeof(*go));
	size_t *at = calloc(n ? n : 1, sizeof(*at));
	struct rfs_s3_fresh *f = NULL;
	struct rfs_buf full = RFS_BUF_INIT;
	size_t i, ngo = 0;
	int r = keys && go && at ? 0 : -ENOMEM;

	for (i = 0; !r && i < n; i++)
		keys[i] = u[i].key;
	/* one listing of their folders: the versions there now */
	if (!r && build(b, keys, n, &f) < 0)
		f = NULL; /* each is asked for with a HEAD */
	for (i = 0; !r && i < n; i++) {
		struct rfs_s3_fentry key = { 0 }, *e = NULL;
		int same;

		if (!*u[i].key || !rfs_path_is_clean(u[i].key)) {
			u[i].res = -EINVAL;
			continue;
		}
		rfs_buf_reset(&full);
		r = rfs_s3_full_key(b, u[i].key, &full);
		if (r < 0)
			break;
		key.full = (char *)rfs_buf_str(&full);
		if (f)
			e = bsearch(&key, f->e, f->n, sizeof(*e),
				    rfs_s3_fentry_cmp);
		same = still_same(b, rfs_buf_str(&full), &u[i], e ? e : &key,
				  e != NULL);
		if (same == -ENOENT) {
			u[i].res = 0;
		} else if (same <= 0) {
			u[i].res = same < 0 ? same : 1;
		} else {
			/* readers of it fetch what they have not read */
			u[i].res = rfs_s3_files_moving(b, u[i].key, NULL);
			if (u[i].res == 0) {
				go[ngo] = strdup(rfs_buf_str(&full));
				if (!go[ngo])
					r = -ENOMEM;
				else
					at[ngo++] = i;
			}
		}
	}
	for (i = 0; !r && i < ngo; i += DELETE_MAX) {
		size_t k, m = ngo - i < DELETE_MAX ? ngo - i : DELETE_MAX;
		bool safe = true;

		for (k = 0; k < m; k++)
			safe &= xml_safe(go[i + k]);
		if (!safe || delete_objects(b, go + i, m) < 0)
			for (k = 0; k < m; k++)
				u[at[i + k]].res = rfs_s3_delete(b, go[i + k]);
		for (k = 0; k < m; k++)
			rfs_s3_invalidate_full(b, go[i + k]);
	}
	if (r < 0)
		for (i = 0; i < n; i++)
			u[i].res = r; /* none was removed */
	for (i = 0; i < ngo; i++)
		free(go[i]);
	free(go);
	free(at);
	free(keys);
	rfs_s3_fresh_free(f);
	rfs_buf_release(&full);
	return r;
}
