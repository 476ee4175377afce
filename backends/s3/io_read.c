/*
 * Reads of the S3 adapter's open files that are not staged (io.c):
 * ranged GETs of the object, If-Match its ETag, through a read-ahead
 * window that grows while reads are sequential, with the next window
 * fetched on a thread of its own (a prefetch) once it is large enough.
 * Every function is called with the file's lock held.
 */
#include "backends/s3/s3_file.h"

#include "util/buf.h"
#include "util/parallel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MIN ((size_t)1 << 20)
/** The largest window: 16 MiB, or read_part x read_parallel when more
 * (at most 64 MiB, creds.c). */
#define WINDOW_MAX_MIN ((size_t)16 << 20)
/** The window from which the next one is fetched in the background. */
#define PREFETCH_MIN ((size_t)4 << 20)
/* A prefetched window is fetched by parts of the storage's read_part
 * (2 MiB by default), read_parallel GETs at once (4). */

/* The read part and parallelism of @p b. */
static size_t read_part(const struct rfs_s3_backend *b)
{
	return b->conf->read_part;
}

static unsigned int read_parallel(const struct rfs_s3_backend *b)
{
	return b->conf->read_parallel;
}

/* The largest read-ahead window of the files of @p b. */
static size_t window_max(const struct rfs_s3_backend *b)
{
	size_t w = read_part(b) * read_parallel(b);

	return w > WINDOW_MAX_MIN ? w : WINDOW_MAX_MIN;
}
/** How far from the last read a read still counts as sequential. */
#define SEQ_SLACK ((off_t)1 << 20)

/* A window fetched on its own thread. The thread reads only this (its
 * own copies of the key and ETag), never the handle. */
struct prefetch {
	pthread_t tid;
	struct rfs_s3_backend *b;
	char *full;
	char etag[sizeof(((struct rfs_s3_meta *)0)->etag)];
	char *buf;
	size_t cap; /* buf's size */
	off_t off;
	size_t want;
	ssize_t got; /* bytes, or -errno; set by the thread */
};

/* GET [off, off + len) of object @p full, if its ETag is still @p etag
 * ("" for any), into @p dst. @return bytes got */
static ssize_t get_range_of(struct rfs_s3_backend *b, const char *full,
			    const char *etag, char *dst, off_t off, size_t len)
{
	char range[64], match[96];
	const char *lines[2] = { range, match };
	struct rfs_s3_request r;
	int e = 0;

	snprintf(range, sizeof(range), "Range: bytes=%lld-%lld", (long long)off,
		 (long long)off + (long long)len - 1);
	snprintf(match, sizeof(match), "If-Match: \"%s\"", etag);
	if (!e) {
		rfs_s3_req_init(&r, "GET", full);
		r.headers = lines;
		r.n_headers = *etag ? 2 : 1;
		r.out_mem = dst;
		r.out_mem_size = len;
		e = rfs_s3_do(b, &r);
	}
	if (e == -ERANGE) /* the object shrank below off */
		e = 0, r.out_mem_len = 0;
	else if (e == -EEXIST || e == -ENOENT)
		e = rfs_s3_fail(ESTALE,
				"storage '%s': '%s' changed or went away "
				"while it was open",
				b->name, full);
	else if (!e && r.status == 200 && off != 0)
		e = rfs_s3_fail(EIO,
				"storage '%s': the server ignored the range "
				"of a read of '%s'",
				b->name, full);
	return e < 0 ? e : (ssize_t)r.out_mem_len;
}

/* Look at the object again when its metadata came from the cache and
 * a read found it changed; call locked. @return 0 or -errno */
int rfs_s3_rehead(struct rfs_s3_file *f)
{
	struct rfs_s3_meta m;
	int r;

	f->hinted = false;
	rfs_s3_invalidate_full(backend_of(f), f->full);
	r = rfs_s3_head(backend_of(f), f->full, &m);
	if (r == 0 && S_ISDIR(m.mode))
		r = -ESTALE;
	if (r == 0)
		f->meta = m;
	return r == -ENOENT ? -ESTALE : r;
}

static ssize_t get_range(struct rfs_s3_file *f, char *dst, off_t off,
			 size_t len)
{
	ssize_t n = get_range_of(backend_of(f), f->full, f->meta.etag, dst, off,
				 len);

	if (n >= 0)
		f->hinted = false; /* the ETag is the object's */
	return n;
}

/* Double the window of @p f, up to window_max(). */
static void grow(struct rfs_s3_file *f)
{
	size_t max = window_max(backend_of(f));

	f->window = f->window * 2 < max ? f->window * 2 : max;
}

/* One part of a prefetched window: its bytes got, or -errno. */
struct pf_part {
	struct prefetch *p;
	size_t part;
	ssize_t *got;
};

static int prefetch_part(void *ctx, size_t i)
{
	struct pf_part *pp = ctx;
	struct prefetch *p = pp->p;
	size_t at = i * pp->part;
	size_t len = p->want - at < pp->part ? p->want - at : pp->part;

	pp->got[i] = get_range_of(p->b, p->full, p->etag, p->buf + at,
				  p->off + (off_t)at, len);
	return 0;
}

/* Fetch the window by parts of read_part, read_parallel GETs in flight
 * (each If-Match the one ETag): what is got is the parts in a row from
 * the start that came whole, or the first part's error. */
static void *prefetch_run(void *arg)
{
	struct prefetch *p = arg;
	struct pf_part pp = { .p = p, .part = read_part(p->b) };
	size_t n = (p->want + pp.part - 1) / pp.part, i;

	pp.got = calloc(n ? n : 1, sizeof(*pp.got));
	if (!pp.got) {
		p->got = -ENOMEM;
		return NULL;
	}
	rfs_parallel_try(read_parallel(p->b), n, prefetch_part, &pp);
	p->got = pp.got[0];
	for (i = 0; p->got >= 0 && i < n; i++) {
		size_t len = p->want - i * pp.part < pp.part
				     ? p->want - i * pp.part
				     : pp.part;

		if (i)
			p->got = pp.got[i] < 0
					 ? (ssize_t)(i * pp.part)
					 : (ssize_t)(i * pp.part) + pp.got[i];
		if (pp.got[i] < 0 || (size_t)pp.got[i] < len)
			break;
	}
	free(pp.got);
	return NULL;
}

/* Keep @p buf (@p cap bytes) as the spare buffer of @p f, the larger of it
 * and the spare already kept; free the other. */
static void keep_spare(struct rfs_s3_file *f, char *buf, size_t cap)
{
	if (buf && cap > f->spare_cap) {
		free(f->spare);
		f->spare = buf;
		f->spare_cap = cap;
	} else {
		free(buf);
	}
}

/* A buffer of @p want bytes for a prefetch: the spare one when it is large
 * enough (no new pages to fault in: the copies into a fresh buffer of
 * 16 MiB cost more than the copies themselves), else a new one. */
static char *take_spare(struct rfs_s3_file *f, size_t want, size_t *cap)
{
	char *p = f->spare;

	if (p && f->spare_cap >= want) {
		*cap = f->spare_cap;
		f->spare = NULL;
		f->spare_cap = 0;
		return p;
	}
	free(f->spare);
	f->spare = NULL;
	f->spare_cap = 0;
	*cap = want;
	return malloc(want);
}

/* Wait for the prefetch of @p f, if any, and drop it. */
void rfs_s3_prefetch_drop(struct rfs_s3_file *f)
{
	if (!f->pf)
		return;
	pthread_join(f->pf->tid, NULL);
	keep_spare(f, f->pf->buf, f->pf->cap);
	free(f->pf->full);
	free(f->pf);
	f->pf = NULL;
}

/* Start fetching the window after the read-ahead buffer. A prefetch that
 * cannot start is no error: the read then fetches it itself. */
static void prefetch_start(struct rfs_s3_file *f)
{
	off_t next = f->ra_off + (off_t)f->ra_len;
	struct prefetch *p;

	if (f->pf || f->window < PREFETCH_MIN || !f->ra_len ||
	    next >= f->meta.size)
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->b = backend_of(f);
	p->off = next;
	p->want = f->window;
	if ((int64_t)p->want > f->meta.size - next)
		p->want = (size_t)(f->meta.size - next);
	snprintf(p->etag, sizeof(p->etag), "%s", f->meta.etag);
	p->full = strdup(f->full);
	p->buf = take_spare(f, p->want, &p->cap);
	if (!p->full || !p->buf ||
	    pthread_create(&p->tid, NULL, prefetch_run, p) != 0) {
		free(p->full);
		keep_spare(f, p->buf, p->cap);
		free(p);
		return;
	}
	f->pf = p;
}

/* Take the prefetched window into the read-ahead buffer when it holds
 * @p o; drop it otherwise. @return true when it was taken */
static bool prefetch_take(struct rfs_s3_file *f, off_t o)
{
	struct prefetch *p = f->pf;
	bool took = false;

	if (!p)
		return false;
	pthread_join(p->tid, NULL);
	f->pf = NULL;
	if (p->got > 0 && o >= p->off && o < p->off + (off_t)p->got) {
		char *old = f->ra;
		size_t old_cap = f->ra_cap;

		f->ra = p->buf;
		f->ra_cap = p->cap;
		f->ra_off = p->off;
		f->ra_len = (size_t)p->got;
		p->buf = old;
		p->cap = old_cap;
		took = true;
		grow(f); /* still sequential */
	}
	/* a failure is reported by the read that fetches it again */
	keep_spare(f, p->buf, p->cap);
	free(p->full);
	free(p);
	return took;
}

/* Fill the read-ahead buffer with up to @p want bytes at @p off. */
static ssize_t read_ahead(struct rfs_s3_file *f, off_t off, size_t want)
{
	ssize_t n;

	if (f->ra_cap < want) {
		char *p = realloc(f->ra, want);

		if (!p)
			return -ENOMEM;
		f->ra = p;
		f->ra_cap = want;
	}
	f->ra_len = 0;
	n = get_range(f, f->ra, off, want);
	if (n > 0) {
		f->ra_off = off;
		f->ra_len = (size_t)n;
	}
	return n;
}

static ssize_t remote_read_at(struct rfs_s3_file *f, char *buf, size_t size,
			      off_t off);

/* Read from the object; one opened from a cached HEAD's answer that
 * turns out to be out of date is looked at again and read as it is now
 * (nothing was read from it before). */
ssize_t rfs_s3_remote_read(struct rfs_s3_file *f, char *buf, size_t size,
			   off_t off)
{
	bool hinted = f->hinted;
	ssize_t n = remote_read_at(f, buf, size, off);

	if (n == -ESTALE && hinted) {
		n = rfs_s3_rehead(f);
		if (n == 0)
			n = remote_read_at(f, buf, size, off);
	}
	return n;
}

static ssize_t remote_read_at(struct rfs_s3_file *f, char *buf, size_t size,
			      off_t off)
{
	int64_t fsize = f->meta.size;
	size_t done = 0, n;
	ssize_t got;

	if (off >= fsize)
		return 0;
	if ((int64_t)size > fsize - off)
		size = (size_t)(fsize - off);
	while (done < size) {
		off_t o = off + (off_t)done;
		size_t want = size - done;
		bool seq;

		if (f->ra_len && o >= f->ra_off &&
		    o < f->ra_off + (off_t)f->ra_len) {
			n = (size_t)(f->ra_off + (off_t)f->ra_len - o);
			n = n < want ? n : want;
			memcpy(buf + done, f->ra + (o - f->ra_off), n);
			done += n;
			prefetch_start(f);
			continue;
		}
		if (prefetch_take(f, o))
			continue;
		/* The kernel's read-ahead sends neighbouring reads on
		 * several threads, in any order: near the last read is
		 * still sequential. */
		seq = (o >= f->next_off - SEQ_SLACK &&
		       o <= f->next_off + SEQ_SLACK) ||
		      (f->ra_len && o == f->ra_off + (off_t)f->ra_len);
		if (!seq)
			f->window = 0;
		else if (!f->window)
			f->window = WINDOW_MIN;
		else
			grow(f);
		if (f->window > want) {
			size_t ahead = f->window;

			if ((int64_t)ahead > fsize - o)
				ahead = (size_t)(fsize - o);
			got = read_ahead(f, o, ahead);
		} else {
			got = get_range(f, buf + done, o, want);
			if (got > 0)
				done += (size_t)got;
		}
		if (got < 0)
			return got;
		if (got == 0)
			break;
	}
	f->next_off = off + (off_t)done;
	return (ssize_t)done;
}
