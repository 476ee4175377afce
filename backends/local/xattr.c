/*
 * Extended attributes of the local adapter.
 *
 * The f*xattr() calls do not work on O_PATH fds and opening the entry
 * could block (FIFOs) or be refused (mode 000), so the l*xattr() calls
 * are made on "/proc/self/fd/<dirfd>/<name>": the kernel follows the
 * magic link to the directory already opened below the root, then looks
 * up the one last component without following it. Without /proc the
 * entry is opened O_RDONLY | O_NOFOLLOW | O_NONBLOCK and the f*xattr()
 * calls are used (symlinks then have none).
 */
#include "backends/local/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

enum xattr_call { XA_GET, XA_SET, XA_LIST, XA_REMOVE };

/* The arguments of one xattr call. */
struct xattr_args {
	enum xattr_call call;
	const char *name;
	void *value;
	size_t size;
	int flags;
};

static pthread_once_t proc_once = PTHREAD_ONCE_INIT;
static bool proc_ok;

static void proc_check(void)
{
	proc_ok = access("/proc/self/fd", X_OK) == 0;
}

static ssize_t xattr_path(const char *path, const struct xattr_args *a)
{
	ssize_t r;

	switch (a->call) {
	case XA_GET:
		r = lgetxattr(path, a->name, a->value, a->size);
		break;
	case XA_SET:
		r = lsetxattr(path, a->name, a->value, a->size, a->flags);
		break;
	case XA_LIST:
		r = llistxattr(path, a->value, a->size);
		break;
	default:
		r = lremovexattr(path, a->name);
		break;
	}
	return r < 0 ? -errno : r;
}

static ssize_t xattr_fd(int fd, const struct xattr_args *a)
{
	ssize_t r;

	switch (a->call) {
	case XA_GET:
		r = fgetxattr(fd, a->name, a->value, a->size);
		break;
	case XA_SET:
		r = fsetxattr(fd, a->name, a->value, a->size, a->flags);
		break;
	case XA_LIST:
		r = flistxattr(fd, a->value, a->size);
		break;
	default:
		r = fremovexattr(fd, a->name);
		break;
	}
	return r < 0 ? -errno : r;
}

static ssize_t xattr_at(const struct rfs_local_at *at,
			const struct xattr_args *a)
{
	char path[PATH_MAX];
	ssize_t r;
	int fd;

	pthread_once(&proc_once, proc_check);
	if (proc_ok) {
		if (snprintf(path, sizeof(path), "/proc/self/fd/%d/%s",
			     at->dirfd, at->name) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		return xattr_path(path, a);
	}
	fd = openat(at->dirfd, at->name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EOPNOTSUPP : -errno;
	r = xattr_fd(fd, a);
	close(fd);
	return r;
}

static ssize_t xattr_key(struct rfs_backend *b, const char *key,
			 const struct xattr_args *a)
{
	struct rfs_local *l = rfs_local_of(b);
	struct rfs_local_at at;
	ssize_t r = rfs_local_at(l, key, &at);

	if (r < 0)
		return r;
	r = xattr_at(&at, a);
	rfs_local_at_end(l, &at, r < 0 ? (int)r : 0);
	return r;
}

ssize_t rfs_local_getxattr(struct rfs_backend *b, const char *key,
			   const char *name, void *value, size_t size)
{
	struct xattr_args a = { XA_GET, name, value, size, 0 };

	return xattr_key(b, key, &a);
}

int rfs_local_setxattr(struct rfs_backend *b, const char *key, const char *name,
		       const void *value, size_t size, int flags)
{
	struct xattr_args a = { XA_SET, name, (void *)value, size, flags };

	return (int)xattr_key(b, key, &a);
}

ssize_t rfs_local_listxattr(struct rfs_backend *b, const char *key, char *list,
			    size_t size)
{
	struct xattr_args a = { XA_LIST, NULL, list, size, 0 };

	return xattr_key(b, key, &a);
}

int rfs_local_removexattr(struct rfs_backend *b, const char *key,
			  const char *name)
{
	struct xattr_args a = { XA_REMOVE, name, NULL, 0, 0 };

	return (int)xattr_key(b, key, &a);
}

/* Read every name of @p fd into a malloc'ed list. @return its size */
static ssize_t list_names(int fd, char **out)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		ssize_t n = flistxattr(fd, NULL, 0), m;
		char *list;

		if (n <= 0)
			return n < 0 ? -errno : 0;
		list = malloc((size_t)n);
		if (!list)
			return -ENOMEM;
		m = flistxattr(fd, list, (size_t)n);
		if (m >= 0) {
			*out = list;
			return m;
		}
		free(list);
		if (errno != ERANGE)
			return -errno;
	}
	return -ERANGE;
}

/* Copy one attribute. Skipped (0): gone meanwhile, or not storable. */
static int copy_one(int from, int to, const char *name)
{
	ssize_t n = fgetxattr(from, name, NULL, 0), m;
	void *value;
	int r = 0;

	if (n < 0)
		return errno == ENODATA ? 0 : -errno;
	value = malloc(n ? (size_t)n : 1);
	if (!value)
		return -ENOMEM;
	m = fgetxattr(from, name, value, (size_t)n);
	if (m < 0)
		r = errno == ENODATA ? 0 : -errno;
	else if (fsetxattr(to, name, value, (size_t)m, 0) < 0)
		r = -errno;
	free(value);
	if (r == -EOPNOTSUPP)
		return 0;
	if ((r == -EPERM || r == -EACCES) && strncmp(name, "user.", 5))
		return 0;
	return r;
}

int rfs_local_copy_xattrs(int from, int to)
{
	char *list = NULL, *p;
	ssize_t n = list_names(from, &list);
	int r = 0;

	if (n == -EOPNOTSUPP)
		return 0;
	if (n < 0)
		return (int)n;
	for (p = list; p < list + n && !r; p += strlen(p) + 1)
		r = copy_one(from, to, p);
	free(list);
	return r;
}
