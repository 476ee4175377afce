/*
 * Open files of the local adapter: one kernel fd each, read and written
 * with pread/pwrite at the offsets the caller gives.
 */
#include "backends/local/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* open(2) flags passed through; O_APPEND is left out because every write
 * names its offset, and O_NOFOLLOW, O_NONBLOCK, O_CLOEXEC are added.
 * O_NOATIME is dropped again where the kernel refuses it (EPERM: neither
 * the file's owner nor privileged). */
#define LOCAL_OPEN_FLAGS                                                       \
	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_SYNC | O_DSYNC | O_NOATIME)

int rfs_local_open_regular(const struct rfs_local_at *at, int flags,
			   mode_t mode)
{
	struct stat st;
	int fd, fl;

	/* O_NONBLOCK: a FIFO must not hang the caller */
	fd = openat(at->dirfd, at->name,
		    (flags & LOCAL_OPEN_FLAGS) | O_NOFOLLOW | O_NONBLOCK |
			    O_CLOEXEC,
		    mode & 07777);
	if (fd < 0 && errno == EPERM && (flags & O_NOATIME))
		fd = openat(at->dirfd, at->name,
			    (flags & LOCAL_OPEN_FLAGS & ~O_NOATIME) |
				    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			    mode & 07777);
	/* ENXIO: a FIFO without a reader, a socket or a device */
	if (fd < 0)
		return errno == ENXIO ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int rfs_local_open_file(struct rfs_backend *b, const char *key, int flags,
			mode_t mode, struct rfs_file **out)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_file *f;
	struct rfs_local_at at;
	int fd, r;

	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	r = rfs_local_at(l, key, &at);
	if (r < 0)
		goto free_file;
	fd = rfs_local_at_end(l, &at, rfs_local_open_regular(&at, flags, mode));
	if (fd < 0) {
		r = fd;
		goto free_file;
	}
	f->base.backend = b;
	f->fd = fd;
	*out = &f->base;
	return 0;

free_file:
	free(f);
	return r;
}

static int file_fd(struct rfs_file *f)
{
	return ((struct rfs_local_file *)f)->fd;
}

ssize_t rfs_local_read(struct rfs_file *f, void *buf, size_t size, off_t off)
{
	char *p = buf;
	size_t done = 0;

	if (off < 0)
		return -EINVAL;
	while (done < size) {
		ssize_t n = pread(file_fd(f), p + done, size - done,
				  off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t rfs_local_write(struct rfs_file *f, const void *buf, size_t size,
			off_t off)
{
	const char *p = buf;
	size_t done = 0;

	if (off < 0)
		return -EINVAL;
	while (done < size) {
		ssize_t n = pwrite(file_fd(f), p + done, size - done,
				   off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -errno;
		if (n == 0)
			return done ? (ssize_t)done : -EIO;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int rfs_local_fstat(struct rfs_file *f, struct stat *st)
{
	return fstat(file_fd(f), st) < 0 ? -errno : 0;
}

int rfs_local_ftruncate(struct rfs_file *f, off_t size)
{
	return ftruncate(file_fd(f), size) < 0 ? -errno : 0;
}

int rfs_local_fsync(struct rfs_file *f, int datasync)
{
	int r = datasync ? fdatasync(file_fd(f)) : fsync(file_fd(f));

	return r < 0 ? -errno : 0;
}

int rfs_local_flush(struct rfs_file *f)
{
	(void)f;
	return 0;
}

int rfs_local_fallocate(struct rfs_file *f, int mode, off_t off, off_t len)
{
	return fallocate(file_fd(f), mode, off, len) < 0 ? -errno : 0;
}

int rfs_local_file_fd(struct rfs_file *f)
{
	return file_fd(f);
}

int rfs_local_close(struct rfs_file *f)
{
	/* NFS reports write-back errors (EIO, ENOSPC, EDQUOT) at close */
	int r = close(file_fd(f)) < 0 && errno != EINTR ? -errno : 0;

	free(f);
	return r;
}
