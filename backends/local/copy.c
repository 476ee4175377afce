/*
 * Copies of the local adapter.
 *
 * A copy is written to a temporary name in the destination directory
 * (".rfs-tmp.<name>.<random>"), given the source's mode, owner (when
 * permitted), xattrs and times, made durable with fsync(2), then renamed
 * into place, so the destination name only ever shows a complete copy.
 * The temporary is removed on any failure; the source is only read.
 *
 * The bytes move by the cheapest means the filesystems allow: a reflink
 * (FICLONE), else copy_file_range(2) per data extent (which NFS 4.2 turns
 * into a server-side copy), else a read/write loop. Holes found with
 * SEEK_DATA/SEEK_HOLE are kept.
 */
#include "backends/local/internal.h"

#include "util/log.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes moved per copy_file_range() or read/write round. */
#define COPY_CHUNK ((size_t)1 << 30)
#define RW_BUF	   ((size_t)1 << 20)

/* How the bytes of one copy moved, for the debug log. */
enum copy_how { COPY_CLONE, COPY_CFR, COPY_RW };

static const char *const how_names[] = { "reflink", "copy_file_range",
					 "read/write" };

/* State of one data copy. */
struct copy_ctx {
	int in, out;
	enum copy_how how; /**< the most expensive means used so far */
	char *buf;	   /**< RW_BUF bytes, once the read/write loop runs */
};

static int copy_rw(struct copy_ctx *c, off_t off, off_t len)
{
	if (!c->buf) {
		c->buf = malloc(RW_BUF);
		if (!c->buf)
			return -ENOMEM;
	}
	c->how = COPY_RW;
	while (len > 0) {
		size_t want = (uint64_t)len < RW_BUF ? (size_t)len : RW_BUF;
		ssize_t n = pread(c->in, c->buf, want, off), w;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the source shrank */
		for (w = 0; w < n;) {
			ssize_t k = pwrite(c->out, c->buf + w, (size_t)(n - w),
					   off + w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			w += k;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/* Copy [off, off+len) with copy_file_range(), falling back when the
 * filesystems cannot. */
static int copy_range(struct copy_ctx *c, off_t off, off_t len)
{
	while (len > 0 && c->how != COPY_RW) {
		size_t want =
			(uint64_t)len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;
		loff_t in = off, out = off;
		ssize_t n = copy_file_range(c->in, &in, c->out, &out, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 &&
		    (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
		     errno == EOPNOTSUPP || errno == EBADF))
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0; /* the source shrank */
		c->how = COPY_CFR;
		off += n;
		len -= n;
	}
	return len > 0 ? copy_rw(c, off, len) : 0;
}

/* Copy the data extents of @p size bytes, leaving holes as holes. */
static int copy_data(struct copy_ctx *c, off_t size)
{
	off_t off = 0, data, hole;
	int r;

	if (!ioctl(c->out, FICLONE, c->in)) {
		c->how = COPY_CLONE;
		return 0;
	}
	c->how = COPY_CFR;
	while (off < size) {
		data = lseek(c->in, off, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0) {
			/* no SEEK_DATA here: all of it is data */
			data = off;
			hole = size;
		} else {
			hole = lseek(c->in, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		if (data >= size)
			break;
		r = copy_range(c, data, hole - data);
		if (r < 0)
			return r;
		off = hole;
	}
	/* the size, and a final hole */
	return ftruncate(c->out, size) < 0 ? -errno : 0;
}

/* Give @p fd the owner, mode and times of @p st and, unless the caller
 * syncs a whole batch later, make it durable. */
static int copy_meta(int fd, const struct stat *st, bool sync)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	/* keeping the owner needs privilege; without it the caller owns */
	if (fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EPERM &&
	    errno != EINVAL)
		return -errno;
	if (fchmod(fd, st->st_mode & 07777) < 0)
		return -errno;
	if (futimens(fd, ts) < 0)
		return -errno;
	if (!sync)
		return 0;
	return fsync(fd) < 0 ? -errno : 0;
}

static int open_source(struct rfs_backend *b, const char *key, struct stat *st)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int fd, r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	fd = rfs_local_at_end(
		l, &at, rfs_local_open_regular(&at, O_RDONLY | O_NOATIME, 0));
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Open the directory that will hold @p key, readable so it can be synced. */
static int open_dest_dir(struct rfs_backend *b, const char *key,
			 const char **name)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int fd, r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	fd = openat(at.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*name = at.name;
	return rfs_local_at_end(l, &at, fd < 0 ? -errno : fd);
}

/* Refuse early what the final rename would refuse, before moving bytes. */
static int check_dest(int dir, const char *name, unsigned int flags)
{
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flags & RFS_BACKEND_COPY_NOREPLACE)
		return -EEXIST;
	return S_ISDIR(st.st_mode) ? -EISDIR : 0;
}

static int make_temp(int dir, const char *name, char *tmp, size_t size)
{
	uint64_t rnd;
	int tries, fd = -EEXIST;

	for (tries = 0; tries < 16 && fd == -EEXIST; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint64_t)getpid() * 2654435761u +
			      (uint64_t)tries;
		/* 9 + 229 + 1 + 16 bytes: within NAME_MAX */
		snprintf(tmp, size, ".rfs-tmp.%.229s.%016llx", name,
			 (unsigned long long)rnd);
		fd = openat(dir, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0600);
		if (fd < 0)
			fd = -errno;
	}
	return fd;
}

static int copy_into(int in, const struct stat *st, int dir, const char *name,
		     unsigned int flags, enum copy_how *how)
{
	char tmp[NAME_MAX + 1];
	struct copy_ctx c = { .in = in };
	int r;

	c.out = make_temp(dir, name, tmp, sizeof(tmp));
	if (c.out < 0)
		return c.out;
	r = copy_data(&c, st->st_size);
	if (!r)
		r = rfs_local_copy_xattrs(in, c.out);
	if (!r)
		r = copy_meta(c.out, st, !(flags & RFS_BACKEND_COPY_NOSYNC));
	if (close(c.out) < 0 && !r && errno != EINTR)
		r = -errno;
	if (!r)
		r = rfs_local_renameat(dir, tmp, dir, name,
				       (flags & RFS_BACKEND_COPY_NOREPLACE)
					       ? RENAME_NOREPLACE
					       : 0);
	if (r < 0)
		unlinkat(dir, tmp, 0);
	else if (!(flags & RFS_BACKEND_COPY_NOSYNC))
		fsync(dir); /* the new name; some filesystems cannot */
	free(c.buf);
	*how = c.how;
	return r;
}

int rfs_local_copy(struct rfs_backend *src, const char *src_key,
		   struct rfs_backend *dst, const char *dst_key,
		   unsigned int flags)
{
	enum copy_how how = COPY_RW;
	const char *name;
	struct stat st;
	int in, dir, r;

	if (flags & ~(unsigned int)(RFS_BACKEND_COPY_NOREPLACE |
				    RFS_BACKEND_COPY_NOSYNC))
		return -EINVAL;
	in = open_source(src, src_key, &st);
	if (in < 0)
		return in;
	if (!*dst_key) {
		r = -EISDIR;
		goto close_in;
	}
	dir = open_dest_dir(dst, dst_key, &name);
	if (dir < 0) {
		r = dir;
		goto close_in;
	}
	r = check_dest(dir, name, flags);
	if (!r)
		r = copy_into(in, &st, dir, name, flags, &how);
	close(dir);
	rfs_log(LOG_DEBUG, "local copy of '%s' to '%s' (%lld bytes, %s): %s",
		src_key, dst_key, (long long)st.st_size, how_names[how],
		r < 0 ? strerror(-r) : "done");
close_in:
	close(in);
	return r;
}
