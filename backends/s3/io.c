/*
 * Open files of the S3 adapter.
 *
 * Reads go to the object by ranged GETs (If-Match its ETag, so a
 * replaced object reads as -ESTALE rather than a mix of two versions).
 * Sequential reads grow a read-ahead window kept in the handle, from
 * 1 MiB up to 16 MiB; a read elsewhere fetches only what it asks for.
 * Once the window is 4 MiB or more, the next window is fetched on a
 * thread of its own while the current one is read (a prefetch), so the
 * reader and the network overlap; at most one per handle, 2 windows of
 * memory in all. A prefetch fetches its window by 2 MiB parts, 4 GETs in
 * flight, each If-Match the one ETag.
 *
 * The first write or truncate stages the file: an unlinked temporary
 * file in $TMPDIR (default /tmp) receives the object's bytes, and every
 * later read and write of the handle goes there. flush, fsync and close
 * upload a modified staging file as a whole (rfs_s3_upload_fd()), with
 * the handle's attributes. Writes become visible to other opens when
 * they are uploaded. A new file is created at open time as an empty
 * object written with If-None-Match: *, which makes O_EXCL exact and the
 * name visible at once.
 *
 * The backends of a bucket share a list of their open files (by full
 * key) so that, as on POSIX filesystems, an open file stays readable
 * after its name is unlinked (the rest of the object is fetched before
 * the DELETE), a file written after its name was unlinked is not
 * uploaded, a renamed file is uploaded under its new name, and attribute
 * changes reach pending uploads.
 *
 * Lock order: the list's lock, then a file's lock. No function called
 * with a file's lock held takes the list's lock.
 */
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/path.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
/** S3's largest object. */
#define MAX_OBJECT ((int64_t)5 << 40)

struct rfs_s3_file {
	struct rfs_file base;
	struct rfs_s3_file *next; /* in the backend's list */
	pthread_mutex_t lock;
	char *full; /* the object's full key */
	int accmode;
	bool unlinked; /* its name was removed: never uploaded; changes, as
			* full does, under the list's lock and its own */
	struct rfs_s3_meta meta;
	int fd;	    /* the staging file, -1 until staged */
	bool dirty; /* the staging file differs from the object */
	/* meta is a cached HEAD answer not yet confirmed by a read */
	bool hinted;
	/* read-ahead of an unstaged file */
	char *ra;
	size_t ra_cap, ra_len;
	off_t ra_off, next_off;
	size_t window;
	struct prefetch *pf; /* the next window, being fetched; or NULL */
};

/* A window fetched on its own thread. The thread reads only this (its
 * own copies of the key and ETag), never the handle. */
struct prefetch {
	pthread_t tid;
	struct rfs_s3_backend *b;
	char *full;
	char etag[sizeof(((struct rfs_s3_meta *)0)->etag)];
	char *buf;
	off_t off;
	size_t want;
	ssize_t got; /* bytes, or -errno; set by the thread */
};

static void prefetch_drop(struct rfs_s3_file *f);
static int rehead(struct rfs_s3_file *f);

static struct rfs_s3_file *file_of(struct rfs_file *f)
{
	return (struct rfs_s3_file *)f;
}

static struct rfs_s3_backend *backend_of(struct rfs_s3_file *f)
{
	return rfs_s3_of(f->base.backend);
}

/* ---------------------------------------------------------- opening */

/* The attributes of @p key for opening, creating it when asked. */
static int lookup(struct rfs_s3_backend *b, const char *key, int flags,
		  mode_t mode, struct rfs_s3_meta *m, bool *created,
		  bool *hinted)
{
	struct rfs_buf full = RFS_BUF_INIT;
	struct stat st;
	int r, tries;

	r = rfs_s3_full_key(b, key, &full);
	if (!r && (flags & O_ACCMODE) == O_RDONLY &&
	    !(flags & (O_CREAT | O_TRUNC)) &&
	    rfs_s3_cache_head_get(b->cache, rfs_buf_str(&full), m) &&
	    S_ISREG(m->mode) && m->size > 0) {
		/* a recent HEAD's answer: reads are conditional on its ETag,
		 * and look again if the object changed (get_range()) */
		*hinted = true;
		rfs_buf_release(&full);
		return 0;
	}
	for (tries = 0; !r && tries < 3; tries++) {
		r = rfs_s3_stat_key(b, key, &st);
		if (!r) {
			if ((flags & O_CREAT) && (flags & O_EXCL))
				r = -EEXIST;
			else if (S_ISDIR(st.st_mode))
				r = -EISDIR;
			else if (S_ISLNK(st.st_mode))
				r = -ELOOP;
			else
				r = rfs_s3_head(b, rfs_buf_str(&full), m);
			if (r != -ENOENT)
				break;
			rfs_s3_invalidate(b, key); /* gone since cached */
			r = 0;
			continue;
		}
		if (r != -ENOENT)
			break;
		r = rfs_s3_check_parent(b, key);
		if (r < 0 || !(flags & O_CREAT)) {
			if (r != -ENOTDIR && (r == 0 || r == -ENOENT))
				r = -ENOENT;
			break;
		}
		if (strlen(rfs_path_basename(key)) > 255 || full.len >= 1024) {
			r = -ENAMETOOLONG;
			break;
		}
		rfs_s3_meta_new(m, S_IFREG | (mode & 07777));
		r = rfs_s3_put(b, rfs_buf_str(&full), "", 0, m, true);
		rfs_s3_invalidate(b, key);
		if (!r) {
			*created = true;
			if (rfs_s3_meta_to_stat(b, rfs_buf_str(&full), m, &st))
				rfs_s3_cache_stat_put(b->cache,
						      rfs_buf_str(&full), &st,
						      false);
			break;
		}
		if (r != -EEXIST || (flags & O_EXCL))
			break;
		r = 0; /* made by someone else meanwhile: open theirs */
	}
	rfs_buf_release(&full);
	return r;
}

int rfs_s3_open_file(struct rfs_backend *rb, const char *key, int flags,
		     mode_t mode, struct rfs_file **out)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);
	struct rfs_s3_file *f;
	bool created = false;
	int r;

	if (!rfs_path_is_clean(key) || (flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (!*key)
		return (flags & O_CREAT) && (flags & O_EXCL) ? -EEXIST
							     : -EISDIR;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	{
		struct rfs_buf full = RFS_BUF_INIT;

		if (rfs_s3_full_key(b, key, &full) < 0 ||
		    !(f->full = rfs_buf_detach(&full))) {
			rfs_buf_release(&full);
			free(f);
			return -ENOMEM;
		}
	}
	f->base.backend = rb;
	f->accmode = flags & O_ACCMODE;
	f->fd = -1;
	r = lookup(b, key, flags, mode, &f->meta, &created, &f->hinted);
	if (!r && (flags & O_TRUNC) && !created && f->meta.size > 0) {
		r = rfs_s3_tmpfile();
		if (r >= 0) {
			f->fd = r;
			r = 0;
			f->dirty = true;
			f->meta.size = 0;
			f->meta.mtime_ns = f->meta.ctime_ns = rfs_time_now_ns();
			f->meta.server_ns = 0;
		}
	}
	if (r < 0) {
		free(f->full);
		free(f);
		return r;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_lock(&b->files->lock);
	f->next = b->files->head;
	b->files->head = f;
	pthread_mutex_unlock(&b->files->lock);
	*out = &f->base;
	return 0;
}

/* ------------------------------------------------------------ staging */

/* Give @p f its staging file, with the object's bytes; call locked. */
static int stage(struct rfs_s3_file *f, bool fetch)
{
	int fd, r = 0;

	if (f->fd >= 0)
		return 0;
	if (fetch && f->hinted) {
		r = rehead(f);
		if (r < 0)
			return r;
	}
	fd = rfs_s3_tmpfile();
	if (fd < 0)
		return fd;
	if (fetch && f->meta.size > 0) {
		r = rfs_s3_download_fd(backend_of(f), f->full, f->meta.etag, fd,
				       f->meta.size);
		if (!r && ftruncate(fd, f->meta.size) < 0)
			r = -errno;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	f->fd = fd;
	f->ra_len = 0;
	prefetch_drop(f);
	return 0;
}

static int staged_size(struct rfs_s3_file *f, int64_t *size)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return -errno;
	*size = st.st_size;
	return 0;
}

/* Upload a modified staging file; call locked. */
static int upload(struct rfs_s3_file *f)
{
	struct rfs_s3_backend *b = backend_of(f);
	struct rfs_s3_meta m;
	struct stat st;
	char etag[72] = "";
	int64_t size = 0;
	int r;

	if (!f->dirty || f->unlinked)
		return 0;
	r = staged_size(f, &size);
	if (!r) {
		m = f->meta;
		m.size = size;
		m.ctime_ns = rfs_time_now_ns();
		m.server_ns = 0;
		r = rfs_s3_upload_fd(b, f->full, f->fd, size, &m, etag);
	}
	rfs_s3_invalidate_full(b, f->full);
	if (!r) {
		f->dirty = false;
		f->meta = m;
		snprintf(f->meta.etag, sizeof(f->meta.etag), "%s", etag);
		if (rfs_s3_meta_to_stat(b, f->full, &m, &st))
			rfs_s3_cache_stat_put(b->cache, f->full, &st, false);
	}
	return r;
}

/* -------------------------------------------------------------- reads */

static ssize_t pread_full(int fd, char *buf, size_t size, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		n = pread(fd, buf + done, size - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

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
static int rehead(struct rfs_s3_file *f)
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
	rfs_s3_parallel(n, prefetch_part, &pp, read_parallel(p->b));
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

/* Wait for the prefetch of @p f, if any, and drop it. */
static void prefetch_drop(struct rfs_s3_file *f)
{
	if (!f->pf)
		return;
	pthread_join(f->pf->tid, NULL);
	free(f->pf->buf);
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
	p->buf = malloc(p->want);
	if (!p->full || !p->buf ||
	    pthread_create(&p->tid, NULL, prefetch_run, p) != 0) {
		free(p->full);
		free(p->buf);
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

		f->ra = p->buf;
		f->ra_cap = p->want;
		f->ra_off = p->off;
		f->ra_len = (size_t)p->got;
		p->buf = old;
		took = true;
		grow(f); /* still sequential */
	}
	/* a failure is reported by the read that fetches it again */
	free(p->buf);
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
static ssize_t remote_read(struct rfs_s3_file *f, char *buf, size_t size,
			   off_t off)
{
	bool hinted = f->hinted;
	ssize_t n = remote_read_at(f, buf, size, off);

	if (n == -ESTALE && hinted) {
		n = rehead(f);
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

ssize_t rfs_s3_file_read(struct rfs_file *rf, void *buf, size_t size, off_t off)
{
	struct rfs_s3_file *f = file_of(rf);
	ssize_t n;

	if (f->accmode == O_WRONLY)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	if (f->fd >= 0)
		n = pread_full(f->fd, buf, size, off);
	else
		n = remote_read(f, buf, size, off);
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* ------------------------------------------------------------- writes */

static void touch(struct rfs_s3_file *f)
{
	f->dirty = true;
	f->meta.mtime_ns = f->meta.ctime_ns = rfs_time_now_ns();
	f->meta.server_ns = 0; /* the server's time comes with the upload */
}

ssize_t rfs_s3_file_write(struct rfs_file *rf, const void *buf, size_t size,
			  off_t off)
{
	struct rfs_s3_file *f = file_of(rf);
	size_t done = 0;
	ssize_t n = 0;
	int r;

	if (f->accmode == O_RDONLY)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	if (off > MAX_OBJECT || (int64_t)size > MAX_OBJECT - off)
		return -EFBIG;
	pthread_mutex_lock(&f->lock);
	r = stage(f, true);
	while (!r && done < size) {
		n = pwrite(f->fd, (const char *)buf + done, size - done,
			   off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			done += (size_t)n;
	}
	if (done)
		touch(f);
	pthread_mutex_unlock(&f->lock);
	return done ? (ssize_t)done : r;
}

int rfs_s3_file_ftruncate(struct rfs_file *rf, off_t size)
{
	struct rfs_s3_file *f = file_of(rf);
	int r;

	if (f->accmode == O_RDONLY)
		return -EBADF;
	if (size < 0)
		return -EINVAL;
	if (size > MAX_OBJECT)
		return -EFBIG;
	pthread_mutex_lock(&f->lock);
	/* cutting to nothing needs none of the old bytes */
	r = stage(f, size > 0);
	if (!r && ftruncate(f->fd, size) < 0)
		r = -errno;
	if (!r)
		touch(f);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int rfs_s3_file_fstat(struct rfs_file *rf, struct stat *st)
{
	struct rfs_s3_file *f = file_of(rf);
	struct rfs_s3_meta m;
	int64_t size = 0;
	int r = 0;

	pthread_mutex_lock(&f->lock);
	m = f->meta;
	if (f->fd >= 0) {
		r = staged_size(f, &size);
		m.size = size;
	}
	if (!r)
		rfs_s3_meta_to_stat(backend_of(f), f->full, &m, st);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int rfs_s3_file_fsync(struct rfs_file *rf, int datasync)
{
	(void)datasync;
	return rfs_s3_file_flush(rf);
}

int rfs_s3_file_flush(struct rfs_file *rf)
{
	struct rfs_s3_file *f = file_of(rf);
	int r;

	pthread_mutex_lock(&f->lock);
	r = upload(f);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int rfs_s3_file_close(struct rfs_file *rf)
{
	struct rfs_s3_file *f = file_of(rf);
	struct rfs_s3_backend *b = backend_of(f);
	struct rfs_s3_file **p;
	int r = rfs_s3_file_flush(rf);

	pthread_mutex_lock(&b->files->lock);
	for (p = &b->files->head; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			break;
		}
	}
	pthread_mutex_unlock(&b->files->lock);
	if (f->fd >= 0)
		close(f->fd);
	prefetch_drop(f);
	pthread_mutex_destroy(&f->lock);
	free(f->ra);
	free(f->full);
	free(f);
	return r;
}

/* ------------------------------------------------ the open-file list */

bool rfs_s3_files_stat(struct rfs_s3_backend *b, const char *full,
		       struct stat *st)
{
	struct rfs_s3_file *f;
	bool found = false;

	pthread_mutex_lock(&b->files->lock);
	for (f = b->files->head; f && !found; f = f->next) {
		struct rfs_s3_meta m;
		int64_t size = 0;

		/* full and unlinked change under the list's lock too: only
		 * the file asked for waits for its own lock */
		if (f->unlinked || strcmp(f->full, full))
			continue;
		pthread_mutex_lock(&f->lock);
		if (f->dirty && staged_size(f, &size) == 0) {
			m = f->meta;
			m.size = size;
			rfs_s3_meta_to_stat(b, full, &m, st);
			found = true;
		}
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&b->files->lock);
	return found;
}

/* Re-point or release the open files of @p full; call with the list
 * locked. */
static int moving(struct rfs_s3_files *files, const char *full, const char *to)
{
	struct rfs_s3_file *f;
	int r = 0;

	for (f = files->head; f && !r; f = f->next) {
		char *name;

		if (f->unlinked || strcmp(f->full, full))
			continue;
		pthread_mutex_lock(&f->lock);
		if (to) {
			name = strdup(to);
			if (name) {
				free(f->full);
				f->full = name;
				/* a copy may carry another ETag */
				f->meta.etag[0] = '\0';
			} else {
				r = -ENOMEM;
			}
		} else {
			/* keep the bytes readable once the name is gone */
			r = stage(f, true);
			if (!r)
				f->unlinked = true;
		}
		pthread_mutex_unlock(&f->lock);
	}
	return r;
}

int rfs_s3_files_moving(struct rfs_s3_backend *b, const char *key,
			const char *to)
{
	struct rfs_buf from = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	int r = rfs_s3_full_key(b, key, &from);

	if (!r && to)
		r = rfs_s3_full_key(b, to, &dst);
	if (!r) {
		pthread_mutex_lock(&b->files->lock);
		r = moving(b->files, rfs_buf_str(&from),
			   to ? rfs_buf_str(&dst) : NULL);
		pthread_mutex_unlock(&b->files->lock);
	}
	rfs_buf_release(&from);
	rfs_buf_release(&dst);
	return r;
}

bool rfs_s3_files_update(struct rfs_s3_backend *b, const char *key,
			 void (*apply)(struct rfs_s3_meta *m, const void *arg),
			 const void *arg)
{
	struct rfs_buf full = RFS_BUF_INIT;
	struct rfs_s3_file *f;
	bool pending = false;

	if (rfs_s3_full_key(b, key, &full) < 0)
		return false;
	pthread_mutex_lock(&b->files->lock);
	for (f = b->files->head; f; f = f->next) {
		if (f->unlinked || strcmp(f->full, rfs_buf_str(&full)))
			continue;
		pthread_mutex_lock(&f->lock);
		apply(&f->meta, arg);
		pending |= f->dirty;
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&b->files->lock);
	rfs_buf_release(&full);
	return pending;
}
