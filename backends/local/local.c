/*
 * The local adapter: path operations, the ops table and opening from a
 * "file:///abs/path" URI. Each operation resolves its key to a directory
 * fd and one last component (resolve.c), then makes one *at() call that
 * does not follow that component.
 */
#include "backends/local/internal.h"

#include "util/uri.h"
#include "util/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int local_stat(struct rfs_backend *b, const char *key, struct stat *st)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	r = fstatat(at.dirfd, at.name, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno
								    : 0;
	return rfs_local_at_end(l, &at, r);
}

/* Open the directory @p key for reading, not following it if a symlink.
 * Listing leaves the folder's access time as it was (O_NOATIME, where the
 * kernel allows it), so that archiving and restoring keep it. */
static int open_dir(struct rfs_local *l, const char *key)
{
	struct rfs_local_at at;
	int fd, r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	/* O_DIRECTORY | O_NOFOLLOW fails with ENOTDIR on a symlink */
	fd = openat(at.dirfd, at.name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC |
			    O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(at.dirfd, at.name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return rfs_local_at_end(l, &at, fd < 0 ? -errno : fd);
}

static int local_list(struct rfs_backend *b, const char *key,
		      rfs_backend_list_fn fn, void *ctx)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = open_dir(rfs_local_of(b), key), r = 0;

	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = -errno;
			break;
		}
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] ||
		     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			/* removed since readdir() saw it */
			if (errno == ENOENT)
				continue;
			r = -errno;
			break;
		}
		r = fn(ctx, de->d_name, &st);
		if (r)
			break;
	}
	closedir(d);
	return r;
}

static int local_mkdir(struct rfs_backend *b, const char *key, mode_t mode)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r;

	if (!*key) {
		/* the root itself: make it when it is missing */
		r = rfs_local_root(l);
		if (r >= 0)
			return -EEXIST;
		if (r != -ENOENT)
			return r;
		return mkdir(l->root, mode & 07777) < 0 ? -errno : 0;
	}
	r = rfs_local_at(l, key, &at);
	if (r < 0)
		return r;
	r = mkdirat(at.dirfd, at.name, mode & 07777) < 0 ? -errno : 0;
	return rfs_local_at_end(l, &at, r);
}

/* unlinkat(2) of @p key; the root cannot be removed through itself. */
static int remove_key(struct rfs_backend *b, const char *key, int flags)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	if (!*key)
		r = -EBUSY;
	else
		r = unlinkat(at.dirfd, at.name, flags) < 0 ? -errno : 0;
	return rfs_local_at_end(l, &at, r);
}

static int local_rmdir(struct rfs_backend *b, const char *key)
{
	return remove_key(b, key, AT_REMOVEDIR);
}

static int local_unlink(struct rfs_backend *b, const char *key)
{
	return remove_key(b, key, 0);
}

/* Resolve two keys (rename, link). On success both need releasing. */
static int at_pair(struct rfs_local *l, const char *from, const char *to,
		   struct rfs_local_at *a, struct rfs_local_at *b)
{
	int r = rfs_local_at(l, from, a);

	if (r < 0)
		return r;
	r = rfs_local_at(l, to, b);
	if (r < 0)
		rfs_local_at_release(a);
	return r;
}

static int local_rename(struct rfs_backend *b, const char *from, const char *to,
			unsigned int flags)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at a, c;
	int r = at_pair(l, from, to, &a, &c);

	if (r < 0)
		return r;
	if (!*from || !*to)
		r = -EBUSY;
	else
		r = rfs_local_renameat(a.dirfd, a.name, c.dirfd, c.name, flags);
	rfs_local_at_release(&a);
	return rfs_local_at_end(l, &c, r);
}

static int local_link(struct rfs_backend *b, const char *from, const char *to)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at a, c;
	int r = at_pair(l, from, to, &a, &c);

	if (r < 0)
		return r;
	r = linkat(a.dirfd, a.name, c.dirfd, c.name, 0) < 0 ? -errno : 0;
	rfs_local_at_release(&a);
	return rfs_local_at_end(l, &c, r);
}

static int local_symlink(struct rfs_backend *b, const char *target,
			 const char *key)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	r = symlinkat(target, at.dirfd, at.name) < 0 ? -errno : 0;
	return rfs_local_at_end(l, &at, r);
}

static int local_mknod(struct rfs_backend *b, const char *key, mode_t mode,
		       dev_t rdev)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r;

	if (!S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISCHR(mode) &&
	    !S_ISBLK(mode))
		return -EINVAL;
	r = rfs_local_at(l, key, &at);
	if (r < 0)
		return r;
	r = mknodat(at.dirfd, at.name, mode & (S_IFMT | 07777), rdev) < 0
		    ? -errno
		    : 0;
	return rfs_local_at_end(l, &at, r);
}

static int local_readlink(struct rfs_backend *b, const char *key, char *buf,
			  size_t size)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	ssize_t n;
	int r;

	if (!size)
		return -EINVAL;
	r = rfs_local_at(l, key, &at);
	if (r < 0)
		return r;
	n = readlinkat(at.dirfd, at.name, buf, size - 1);
	if (n < 0) {
		r = -errno;
	} else {
		buf[n] = '\0';
		r = 0;
	}
	return rfs_local_at_end(l, &at, r);
}

static int local_truncate(struct rfs_backend *b, const char *key, off_t size)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int fd, r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	fd = rfs_local_open_regular(&at, O_WRONLY, 0);
	if (fd < 0)
		return rfs_local_at_end(l, &at, fd);
	r = ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	return rfs_local_at_end(l, &at, r);
}

/*
 * chmod without following a symlink. The C library may need /proc for
 * AT_SYMLINK_NOFOLLOW and says EOPNOTSUPP without it; an entry that is
 * not a symlink is then opened without following and changed by fd.
 */
static int chmod_at(const struct rfs_local_at *at, mode_t mode)
{
	struct stat st;
	int fd, r;

	if (!fchmodat(at->dirfd, at->name, mode, AT_SYMLINK_NOFOLLOW))
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	if (fstatat(at->dirfd, at->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	/* the mode of a symlink cannot change: -EOPNOTSUPP, as Linux says */
	if (S_ISLNK(st.st_mode))
		return -EOPNOTSUPP;
	fd = openat(at->dirfd, at->name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EOPNOTSUPP : -errno;
	r = fchmod(fd, mode) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int local_chmod(struct rfs_backend *b, const char *key, mode_t mode)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	return rfs_local_at_end(l, &at, chmod_at(&at, mode & 07777));
}

static int local_chown(struct rfs_backend *b, const char *key, uid_t uid,
		       gid_t gid)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	r = fchownat(at.dirfd, at.name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0
		    ? -errno
		    : 0;
	return rfs_local_at_end(l, &at, r);
}

static int local_utimens(struct rfs_backend *b, const char *key,
			 const struct timespec ts[2])
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	r = utimensat(at.dirfd, at.name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno
								      : 0;
	return rfs_local_at_end(l, &at, r);
}

/* One syncfs(2) makes a batch of copies durable at once. */
static int local_sync(struct rfs_backend *b)
{
	int root = rfs_local_root(rfs_local_of(b)), fd, r;

	if (root < 0)
		return root;
	fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syncfs(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int local_statfs(struct rfs_backend *b, const char *key,
			struct statvfs *st)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	int fd, r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	fd = openat(at.dirfd, at.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rfs_local_at_end(l, &at, -errno);
	r = fstatvfs(fd, st) < 0 ? -errno : 0;
	close(fd);
	return rfs_local_at_end(l, &at, r);
}

static void local_free(struct rfs_backend *b)
{
	struct rfs_local *l = rfs_local_of(b);
	size_t i;

	if (l->rootfd >= 0)
		close(l->rootfd);
	for (i = 0; i < l->nretired; i++)
		close(l->retired[i]);
	free(l->retired);
	pthread_mutex_destroy(&l->lock);
	free(l->root);
	free(l->base.uri);
	free(l);
}

static const struct rfs_backend_ops local_ops = {
	.scheme = "file",
	.caps = RFS_BACKEND_CAP_FD | RFS_BACKEND_CAP_XATTR |
		RFS_BACKEND_CAP_SYMLINK | RFS_BACKEND_CAP_COPY |
		RFS_BACKEND_CAP_RANDOM_WRITE | RFS_BACKEND_CAP_HARDLINK |
		RFS_BACKEND_CAP_LIST_EXACT | RFS_BACKEND_CAP_SPECIAL,
	.stat = local_stat,
	.list = local_list,
	.open = rfs_local_open_file,
	.read = rfs_local_read,
	.write = rfs_local_write,
	.fstat = rfs_local_fstat,
	.ftruncate = rfs_local_ftruncate,
	.fsync = rfs_local_fsync,
	.flush = rfs_local_flush,
	.fallocate = rfs_local_fallocate,
	.file_fd = rfs_local_file_fd,
	.close = rfs_local_close,
	.mkdir = local_mkdir,
	.rmdir = local_rmdir,
	.unlink = local_unlink,
	.rename = local_rename,
	.link = local_link,
	.symlink = local_symlink,
	.mknod = local_mknod,
	.readlink = local_readlink,
	.truncate = local_truncate,
	.chmod = local_chmod,
	.chown = local_chown,
	.utimens = local_utimens,
	.statfs = local_statfs,
	.sync = local_sync,
	.getxattr = rfs_local_getxattr,
	.setxattr = rfs_local_setxattr,
	.listxattr = rfs_local_listxattr,
	.removexattr = rfs_local_removexattr,
	.copy = rfs_local_copy,
	.free = local_free,
};

int rfs_local_open(const struct rfs_uri *u, const char *uri,
		   struct rfs_backend **out, struct rfs_error *err)
{
	struct rfs_local *l;
	int r;

	if (*u->authority)
		return rfs_error_set(err, EINVAL,
				     "'%s' names a host; local storage URIs "
				     "are file:///absolute/path",
				     uri);
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->base.ops = &local_ops;
	l->rootfd = -1;
	l->base.uri = strdup(uri);
	if (!l->base.uri || asprintf(&l->root, "/%s", u->path) < 0) {
		l->root = NULL;
		r = -ENOMEM;
		goto free_local;
	}
	if (pthread_mutex_init(&l->lock, NULL)) {
		r = -ENOMEM;
		goto free_local;
	}
	/* a missing root is fine: each call tries again */
	rfs_local_root(l);
	*out = &l->base;
	return 0;

free_local:
	free(l->root);
	free(l->base.uri);
	free(l);
	return r;
}
