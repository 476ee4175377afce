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
 * flight, each If-Match the one ETag. These reads are in io_read.c.
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
#include "backends/s3/s3_file.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/path.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** S3's largest object. */
#define MAX_OBJECT ((int64_t)5 << 40)

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
		r = rfs_s3_rehead(f);
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
	rfs_s3_prefetch_drop(f);
	/* every later read goes to the staging file */
	free(f->ra);
	free(f->spare);
	f->ra = f->spare = NULL;
	f->ra_cap = f->ra_len = f->spare_cap = 0;
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
		n = rfs_s3_remote_read(f, buf, size, off);
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
	rfs_s3_prefetch_drop(f);
	pthread_mutex_destroy(&f->lock);
	free(f->ra);
	free(f->spare);
	free(f->full);
	free(f);
	return r;
}

/* ------------------------------------------------ the open-file list */

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
