/*
 * Key resolution of the local adapter: the root fd, opening below it
 * without escaping, and the rename fallbacks NFS needs.
 *
 * openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_SYMLINKS makes the kernel refuse any path that would leave
 * the directory fd or go through a symlink. Where openat2 is missing
 * (ENOSYS, kernels before 5.6) each component is opened in turn with
 * O_NOFOLLOW; keys never hold "." or "..", so that walk cannot leave the
 * root either.
 */
#include "backends/local/internal.h"

#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* 0: try openat2; 1: it is missing or the fallback is forced */
static int use_fallback;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

void rfs_local_force_fallback(bool use)
{
	__atomic_store_n(&use_fallback, use ? 1 : 0, __ATOMIC_RELAXED);
}

int rfs_local_errno(void)
{
	return errno ? -errno : -EIO;
}

int rfs_local_root(struct rfs_local *l)
{
	int fd = __atomic_load_n(&l->rootfd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&l->lock);
	fd = l->rootfd;
	if (fd < 0) {
		fd = open(l->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = rfs_local_errno();
		else
			__atomic_store_n(&l->rootfd, fd, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&l->lock);
	return fd;
}

/* Forget a stale root fd; it stays open (other threads may use it) until
 * the backend is freed. */
static void root_retire(struct rfs_local *l, int fd)
{
	int *r;

	pthread_mutex_lock(&l->lock);
	if (l->rootfd == fd) {
		r = realloc(l->retired, (l->nretired + 1) * sizeof(*r));
		if (r) {
			l->retired = r;
			r[l->nretired++] = fd;
			__atomic_store_n(&l->rootfd, -1, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&l->lock);
}

static int openat2_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)flags | O_CLOEXEC,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_SYMLINKS,
	};
	int tries = 0;
	long fd;

	do {
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	} while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 16);
	return fd < 0 ? -errno : (int)fd;
}

/* Tell -ELOOP from -ENOTDIR when O_NOFOLLOW met a component. */
static int walk_error(int dirfd, const char *name, int err)
{
	struct stat st;

	if (err == ENOTDIR && !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISLNK(st.st_mode))
		return -ELOOP;
	return -err;
}

static int open_walk(int dirfd, const char *path, int flags, mode_t mode)
{
	char comp[NAME_MAX + 1];
	int cur = dirfd, fd;

	for (;;) {
		const char *rest;
		size_t len = rfs_path_first(path, &rest);
		bool last = *rest == '\0';
		int f = last ? flags | O_NOFOLLOW
			     : O_PATH | O_DIRECTORY | O_NOFOLLOW;

		if (len > NAME_MAX) {
			fd = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, path, len);
		comp[len] = '\0';
		fd = openat(cur, comp, f | O_CLOEXEC, mode);
		if (fd < 0)
			fd = walk_error(cur, comp, errno);
		if (cur != dirfd)
			close(cur);
		if (fd < 0 || last)
			break;
		cur = fd;
		path = rest;
	}
	return fd;
}

/* Some container sandboxes refuse syscalls they do not know with EPERM
 * rather than ENOSYS: try openat2 once on "/" to tell. */
static void probe_openat2(void)
{
	int fd = openat2_beneath(AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0);

	if (fd == -ENOSYS || fd == -EPERM)
		__atomic_store_n(&use_fallback, 1, __ATOMIC_RELAXED);
	else if (fd >= 0)
		close(fd);
}

int rfs_local_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	int fd;

	pthread_once(&probe_once, probe_openat2);
	if (!__atomic_load_n(&use_fallback, __ATOMIC_RELAXED)) {
		fd = openat2_beneath(dirfd, path, flags, mode);
		if (fd != -ENOSYS)
			return fd;
		__atomic_store_n(&use_fallback, 1, __ATOMIC_RELAXED);
	}
	/* "." (the directory itself) cannot be a symlink */
	if (!strcmp(path, ".")) {
		fd = openat(dirfd, path, flags | O_CLOEXEC, mode);
		return fd < 0 ? -errno : fd;
	}
	return open_walk(dirfd, path, flags, mode);
}

int rfs_local_at(struct rfs_local *l, const char *key, struct rfs_local_at *at)
{
	char parent[PATH_MAX];
	size_t dirlen;
	int root, fd;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	root = rfs_local_root(l);
	if (root < 0)
		return root;
	at->dirfd = root;
	at->own = false;
	if (!*key) {
		at->name = ".";
		return 0;
	}
	dirlen = rfs_path_dirlen(key);
	at->name = key + (dirlen ? dirlen + 1 : 0);
	if (!dirlen)
		return 0;
	if (dirlen >= sizeof(parent))
		return -ENAMETOOLONG;
	memcpy(parent, key, dirlen);
	parent[dirlen] = '\0';
	fd = rfs_local_openat(root, parent, O_PATH | O_DIRECTORY, 0);
	if (fd == -ESTALE) {
		root_retire(l, root);
		root = rfs_local_root(l);
		if (root < 0)
			return root;
		fd = rfs_local_openat(root, parent, O_PATH | O_DIRECTORY, 0);
	}
	if (fd < 0)
		return fd;
	at->dirfd = fd;
	at->own = true;
	return 0;
}

void rfs_local_at_release(struct rfs_local_at *at)
{
	if (at->own && at->dirfd >= 0)
		close(at->dirfd);
	at->dirfd = -1;
	at->own = false;
}

int rfs_local_at_end(struct rfs_local *l, struct rfs_local_at *at, int r)
{
	rfs_local_at_release(at);
	if (r == -ESTALE) {
		int root = __atomic_load_n(&l->rootfd, __ATOMIC_ACQUIRE);

		if (root >= 0)
			root_retire(l, root);
	}
	return r;
}

/* RENAME_NOREPLACE where renameat2 flags are refused. */
static int rename_noreplace(int fromfd, const char *from, int tofd,
			    const char *to)
{
	struct stat st;

	if (fstatat(fromfd, from, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		/* link(2) fails with EEXIST atomically, as NOREPLACE does */
		if (!linkat(fromfd, from, tofd, to, 0)) {
			if (unlinkat(fromfd, from, 0) < 0)
				return -errno;
			return 0;
		}
		if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK)
			return -errno;
	}
	if (!fstatat(tofd, to, &st, AT_SYMLINK_NOFOLLOW))
		return -EEXIST;
	if (errno != ENOENT)
		return -errno;
	return renameat(fromfd, from, tofd, to) < 0 ? -errno : 0;
}

int rfs_local_renameat(int fromfd, const char *from, int tofd, const char *to,
		       unsigned int flags)
{
	if (!flags)
		return renameat(fromfd, from, tofd, to) < 0 ? -errno : 0;
	if (!renameat2(fromfd, from, tofd, to, flags))
		return 0;
	if ((errno == EINVAL || errno == ENOSYS) && flags == RENAME_NOREPLACE)
		return rename_noreplace(fromfd, from, tofd, to);
	return -errno;
}
