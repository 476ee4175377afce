/*
 * The local adapter beyond the contract: a root that appears later, large
 * and sparse copies, xattr copies, the openat2 fallback, FIFOs, kernel
 * fds and listing speed.
 */
#include "backends/backend.h"
#include "backends/local/local.h"
#include "tests/unit/backends/helpers.h"
#include "util/log.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MIB ((off_t)1 << 20)
#define GIB ((off_t)1 << 30)

static char *base, *root;
static struct rfs_backend *B;

static void setup(void)
{
	base = bk_mkdtemp("local");
	cr_assert(asprintf(&root, "%s/root", base) > 0);
	cr_assert_eq(mkdir(root, 0755), 0);
	B = bk_open_local(root);
}

static void teardown(void)
{
	rfs_backend_free(B);
	bk_rmtree(base);
	free(root);
	free(base);
}

TestSuite(backends_local, .init = setup, .fini = teardown);

static char *path_of(const char *key)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s", root, key) > 0);
	return p;
}

static int count_entries(void *ctx, const char *name, const struct stat *st)
{
	int *n = ctx;

	cr_assert(strncmp(name, ".rfs-tmp.", 9), "temporary left: %s", name);
	(void)st;
	++*n;
	return 0;
}

Test(backends_local, root_missing_at_open_then_created)
{
	struct rfs_backend *later;
	struct rfs_file *f = NULL;
	struct stat st;
	char *dir = NULL, buf[4] = { 0 };
	int n = 0;

	cr_assert(asprintf(&dir, "%s/later", base) > 0);
	later = bk_open_local(dir);
	cr_assert_eq(rfs_backend_stat(later, "", &st), -ENOENT);
	cr_assert_eq(
		rfs_backend_open_file(later, "f", O_CREAT | O_WRONLY, 0644, &f),
		-ENOENT);
	cr_assert_eq(rfs_backend_list(later, "", count_entries, &n), -ENOENT);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(rfs_backend_stat(later, "", &st), 0);
	cr_assert_eq(st.st_mode, S_IFDIR | 0700);
	bk_put(later, "f", "abc", 3);
	cr_assert_eq(bk_get(later, "f", buf, 3), 3);
	cr_assert_arr_eq(buf, "abc", 3);
	rfs_backend_free(later);
	free(dir);
}

Test(backends_local, mkdir_of_the_root_creates_it)
{
	struct rfs_backend *later;
	struct stat st;
	char *dir = NULL;

	cr_assert(asprintf(&dir, "%s/made", base) > 0);
	later = bk_open_local(dir);
	cr_assert_eq(rfs_backend_mkdir(later, "", 0750), 0);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(rfs_backend_mkdir(later, "", 0750), -EEXIST);
	rfs_backend_free(later);
	free(dir);
}

Test(backends_local, keys_map_to_paths_under_the_root)
{
	struct stat st;
	char *p;

	cr_assert_eq(rfs_backend_mkdir(B, "a", 0711), 0);
	bk_put(B, "a/f", "xyz", 3);
	p = path_of("a/f");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_size, 3);
	cr_assert_eq(st.st_mode, S_IFREG | 0644);
	free(p);
	p = path_of("a");
	cr_assert_eq(lstat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0711);
	free(p);
}

/* Log sink that remembers the adapter's copy messages. */
static void remember(int level, const char *msg, void *ctx)
{
	char *last = ctx;

	(void)level;
	if (strstr(msg, "local copy"))
		snprintf(last, 512, "%s", msg);
}

Test(backends_local, copy_64m_same_bytes_without_streaming)
{
	const size_t piece = (size_t)1 << 20;
	unsigned char *buf = malloc(piece);
	char msg[512] = "";
	struct rfs_file *f = NULL;
	struct stat a, c;
	int i, n = 0;

	cr_assert_not_null(buf);
	cr_assert_eq(
		rfs_backend_open_file(B, "big", O_CREAT | O_WRONLY, 0600, &f),
		0);
	for (i = 0; i < 64; i++) {
		bk_pattern(buf, piece, 11, (off_t)i * MIB);
		cr_assert_eq(rfs_file_write(f, buf, piece, (off_t)i * MIB),
			     (ssize_t)piece);
	}
	cr_assert_eq(rfs_file_close(f), 0);
	free(buf);

	rfs_log_set_level(LOG_DEBUG);
	rfs_log_set_sink(remember, msg);
	cr_assert_eq(rfs_backend_mkdir(B, "bin", 0755), 0);
	cr_assert_eq(rfs_backend_copy(B, "big", B, "bin/big", 0), 0);
	rfs_log_set_sink(NULL, NULL);
	rfs_log_set_level(LOG_INFO);

	cr_assert_eq(bk_checksum(B, "big"), bk_checksum(B, "bin/big"));
	cr_assert_eq(rfs_backend_stat(B, "big", &a), 0);
	cr_assert_eq(rfs_backend_stat(B, "bin/big", &c), 0);
	cr_assert_eq(c.st_size, 64 * MIB);
	cr_assert_eq(c.st_mode, a.st_mode);
	cr_assert_eq(c.st_mtim.tv_sec, a.st_mtim.tv_sec);
	cr_assert_eq(c.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
	/* on one filesystem the kernel moves the bytes */
	cr_assert(strstr(msg, "reflink") || strstr(msg, "copy_file_range"),
		  "copy went: '%s'", msg);
	cr_assert_eq(rfs_backend_list(B, "bin", count_entries, &n), 0);
	cr_assert_eq(n, 1);
}

Test(backends_local, copy_keeps_xattrs_across_backends)
{
	char big[4000], v[4096], *other = NULL;
	struct rfs_backend *dst;
	struct stat st;

	cr_assert(asprintf(&other, "%s/other", base) > 0);
	cr_assert_eq(mkdir(other, 0755), 0);
	dst = bk_open_local(other);
	memset(big, 'q', sizeof(big));
	bk_put(B, "f", "payload", 7);
	cr_assert_eq(rfs_backend_setxattr(B, "f", "user.a", "1", 1, 0), 0);
	cr_assert_eq(rfs_backend_setxattr(B, "f", "user.empty", "", 0, 0), 0);
	cr_assert_eq(
		rfs_backend_setxattr(B, "f", "user.big", big, sizeof(big), 0),
		0);
	cr_assert_eq(rfs_backend_copy(B, "f", dst, "g", 0), 0);
	cr_assert_eq(rfs_backend_getxattr(dst, "g", "user.a", v, sizeof(v)), 1);
	cr_assert_eq(v[0], '1');
	cr_assert_eq(rfs_backend_getxattr(dst, "g", "user.empty", v, sizeof(v)),
		     0);
	cr_assert_eq(rfs_backend_getxattr(dst, "g", "user.big", v, sizeof(v)),
		     (ssize_t)sizeof(big));
	cr_assert_arr_eq(v, big, sizeof(big));
	cr_assert_eq(rfs_backend_stat(dst, "g", &st), 0);
	cr_assert_eq(st.st_size, 7);
	rfs_backend_free(dst);
	free(other);
}

Test(backends_local, sparse_copy_over_4g_keeps_bytes_and_holes)
{
	unsigned char *a = malloc((size_t)MIB), *c = malloc((size_t)MIB);
	struct rfs_file *f = NULL;
	struct stat st;

	cr_assert(a && c);
	cr_assert_eq(rfs_backend_open_file(B, "sparse", O_CREAT | O_WRONLY,
					   0644, &f),
		     0);
	bk_pattern(a, (size_t)MIB, 5, 0);
	cr_assert_eq(rfs_file_write(f, a, (size_t)MIB, 0), MIB);
	bk_pattern(a, (size_t)MIB, 5, 6 * GIB);
	cr_assert_eq(rfs_file_write(f, a, (size_t)MIB, 6 * GIB), MIB);
	cr_assert_eq(rfs_file_close(f), 0);

	cr_assert_eq(rfs_backend_copy(B, "sparse", B, "copy", 0), 0);
	cr_assert_eq(rfs_backend_stat(B, "copy", &st), 0);
	cr_assert_eq(st.st_size, 6 * GIB + MIB);
	cr_assert_lt(st.st_blocks * 512, 64 * MIB, "holes were filled: %lld",
		     (long long)st.st_blocks * 512);

	cr_assert_eq(rfs_backend_open_file(B, "copy", O_RDONLY, 0, &f), 0);
	cr_assert_eq(rfs_file_read(f, c, (size_t)MIB, 6 * GIB), MIB);
	cr_assert_arr_eq(a, c, (size_t)MIB);
	bk_pattern(a, (size_t)MIB, 5, 0);
	cr_assert_eq(rfs_file_read(f, c, (size_t)MIB, 0), MIB);
	cr_assert_arr_eq(a, c, (size_t)MIB);
	memset(a, 0, (size_t)MIB);
	cr_assert_eq(rfs_file_read(f, c, (size_t)MIB, 4 * GIB + 7), MIB);
	cr_assert_arr_eq(a, c, (size_t)MIB);
	cr_assert_eq(rfs_file_close(f), 0);
	free(a);
	free(c);
}

Test(backends_local, fallback_resolution_is_confined)
{
	struct rfs_file *f = NULL;
	struct stat st;
	char buf[4] = { 0 };
	char *outside = NULL;
	int r;

	rfs_local_force_fallback(true);
	cr_assert_eq(rfs_backend_mkdir(B, "a", 0755), 0);
	cr_assert_eq(rfs_backend_mkdir(B, "a/b", 0755), 0);
	bk_put(B, "a/b/f", "deep", 4);
	cr_assert_eq(bk_get(B, "a/b/f", buf, 4), 4);
	cr_assert_arr_eq(buf, "deep", 4);
	cr_assert_eq(rfs_backend_stat(B, "a/b/missing", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(B, "a/b/f/x", &st), -ENOTDIR);

	cr_assert(asprintf(&outside, "%s/outside", base) > 0);
	cr_assert_eq(mkdir(outside, 0755), 0);
	cr_assert_eq(rfs_backend_symlink(B, "../outside", "up"), 0);
	cr_assert_eq(rfs_backend_symlink(B, "/", "a/abs"), 0);
	r = rfs_backend_open_file(B, "up/new", O_CREAT | O_WRONLY, 0644, &f);
	cr_assert_eq(r, -ELOOP);
	cr_assert_eq(rfs_backend_stat(B, "a/abs/etc", &st), -ELOOP);
	cr_assert_eq(rfs_backend_mkdir(B, "up/d", 0755), -ELOOP);
	free(outside);
	cr_assert(asprintf(&outside, "%s/outside/new", base) > 0);
	cr_assert_eq(access(outside, F_OK), -1);
	free(outside);
	rfs_local_force_fallback(false);
}

Test(backends_local, fifo_is_refused_without_blocking)
{
	struct rfs_file *f = NULL;
	char *p = path_of("fifo");

	cr_assert_eq(mkfifo(p, 0644), 0);
	cr_assert_eq(rfs_backend_open_file(B, "fifo", O_RDONLY, 0, &f),
		     -EINVAL);
	cr_assert_eq(rfs_backend_copy(B, "fifo", B, "copy", 0), -EINVAL);
	cr_assert_eq(rfs_backend_truncate(B, "fifo", 0), -EINVAL);
	free(p);
}

Test(backends_local, file_fd_is_the_open_file)
{
	struct rfs_file *f = NULL;
	struct stat a, c;
	char buf[4] = { 0 };
	int fd;

	cr_assert(rfs_backend_has(B, RFS_BACKEND_CAP_FD));
	bk_put(B, "f", "abc", 3);
	cr_assert_eq(rfs_backend_open_file(B, "f", O_RDWR, 0, &f), 0);
	fd = rfs_file_fd(f);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &a), 0);
	cr_assert_eq(rfs_backend_stat(B, "f", &c), 0);
	cr_assert_eq(a.st_ino, c.st_ino);
	cr_assert_eq(pwrite(fd, "Z", 1, 1), 1);
	cr_assert_eq(rfs_file_read(f, buf, 3, 0), 3);
	cr_assert_arr_eq(buf, "aZc", 3);
	cr_assert_eq(rfs_file_fallocate(f, 0, 0, 4096), 0);
	cr_assert_eq(rfs_file_stat(f, &a), 0);
	cr_assert_eq(a.st_size, 4096);
	cr_assert_eq(rfs_file_close(f), 0);
}

Test(backends_local, copy_failures_leave_no_temporary)
{
	int n = 0;

	bk_put(B, "f", "abc", 3);
	bk_put(B, "g", "xyz", 3);
	cr_assert_eq(rfs_backend_mkdir(B, "d", 0755), 0);
	cr_assert_eq(rfs_backend_copy(B, "f", B, "d", 0), -EISDIR);
	cr_assert_eq(
		rfs_backend_copy(B, "f", B, "g", RFS_BACKEND_COPY_NOREPLACE),
		-EEXIST);
	cr_assert_eq(rfs_backend_copy(B, "f", B, "", 0), -EISDIR);
	cr_assert_eq(rfs_backend_list(B, "", count_entries, &n), 0);
	cr_assert_eq(n, 3);
}

/* Count regular files of one byte, as `ls -l` would look at them. */
static int count_files(void *ctx, const char *name, const struct stat *st)
{
	(void)name;
	if (S_ISREG(st->st_mode) && st->st_size == 1)
		++*(int *)ctx;
	return 0;
}

Test(backends_local, list_of_20000_entries)
{
	struct timespec t0, t1;
	char name[4096];
	int i, n = 0, fd;

	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "%s/f%05d", root, i);
		fd = open(name, O_CREAT | O_WRONLY, 0644);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, "x", 1), 1);
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(rfs_backend_list(B, "", count_files, &n), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(n, 20000);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 5, "listing took %lds",
		     (long)(t1.tv_sec - t0.tv_sec));
}
