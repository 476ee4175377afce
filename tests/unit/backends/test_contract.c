/*
 * The backend contract: the same expectations for every adapter. Each
 * check is a function taking the backend under test (B) and, for the
 * confinement checks, a second backend on a sibling location (OUT); the
 * CONTRACT() macro registers it once per adapter, and once more for the
 * local adapter with its openat2-less key resolution.
 *
 * The S3 adapter runs against Ceph RGW (RFS_TEST_S3_ENDPOINT, started by
 * scripts/servers.sh), one fresh bucket per test; without the server
 * its tests fail, saying why. Where object storage differs by design the
 * checks branch on what the setup declares, not on the adapter's name:
 * capabilities it lacks (xattrs, hard links: the calls must then fail
 * cleanly), no atomic RENAME_EXCHANGE (-EINVAL; the swaps are made with
 * three renames instead), and no holes (a sparse file is stored in full,
 * so the far offsets shrink from gigabytes to tens of megabytes: the
 * test server keeps objects in RAM, and the multipart path is covered
 * all the same).
 */
#include "backends/backend.h"
#include "backends/local/local.h"
#include "backends/memory/memory.h"
#include "tests/support/s3.h"
#include "tests/unit/backends/helpers.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define GIB ((off_t)1 << 30)

static struct rfs_backend *B, *OUT;
static char *base;

/* What the backend under test is expected to do; set by each setup. */
static unsigned int want_caps; /* the capabilities it must have */
static bool exchange = true;   /* RENAME_EXCHANGE works */
static bool holes = true;      /* sparse files store no holes */
static off_t far = 5 * GIB;    /* the far offset of the sparse checks */

static void posix_expectations(void)
{
	want_caps = RFS_BACKEND_CAP_XATTR | RFS_BACKEND_CAP_SYMLINK |
		    RFS_BACKEND_CAP_COPY | RFS_BACKEND_CAP_RANDOM_WRITE |
		    RFS_BACKEND_CAP_HARDLINK | RFS_BACKEND_CAP_LIST_EXACT |
		    RFS_BACKEND_CAP_SPECIAL;
	exchange = holes = true;
	far = 5 * GIB;
}

static void local_setup(void)
{
	char *data = NULL, *out = NULL;

	posix_expectations();
	base = bk_mkdtemp("contract");
	cr_assert(asprintf(&data, "%s/data", base) > 0);
	cr_assert(asprintf(&out, "%s/outside", base) > 0);
	cr_assert_eq(mkdir(data, 0755), 0);
	cr_assert_eq(mkdir(out, 0755), 0);
	B = bk_open_local(data);
	OUT = bk_open_local(out);
	free(data);
	free(out);
}

static void local_teardown(void)
{
	rfs_backend_free(B);
	rfs_backend_free(OUT);
	bk_rmtree(base);
	free(base);
}

/* The local adapter with its portable resolution instead of openat2. */
static void local_walk_setup(void)
{
	rfs_local_force_fallback(true);
	local_setup();
}

static void memory_setup(void)
{
	char uri[64];

	posix_expectations();
	snprintf(uri, sizeof(uri), "mem://contract%d/data", (int)getpid());
	B = bk_open(uri);
	snprintf(uri, sizeof(uri), "mem://contract%d/outside", (int)getpid());
	OUT = bk_open(uri);
}

static void memory_teardown(void)
{
	rfs_backend_free(B);
	rfs_backend_free(OUT);
	rfs_mem_reset(NULL);
}

static char *s3_bucket;

/* A fresh bucket on Ceph RGW: "data" under test, "outside" beside it. */
static void s3_setup(void)
{
	const char *e = rfs_test_s3_endpoint();
	char *uri;

	want_caps = RFS_BACKEND_CAP_SYMLINK | RFS_BACKEND_CAP_COPY |
		    RFS_BACKEND_CAP_RANDOM_WRITE | RFS_BACKEND_CAP_LIST_EXACT |
		    RFS_BACKEND_CAP_REMOTE;
	exchange = holes = false;
	far = 40 << 20;
	s3_bucket = rfs_test_s3_bucket_new(e);
	uri = rfs_test_s3_uri(e, s3_bucket, "run/data", "part_size=5");
	B = bk_open(uri);
	free(uri);
	uri = rfs_test_s3_uri(e, s3_bucket, "run/outside", NULL);
	OUT = bk_open(uri);
	free(uri);
}

static void s3_teardown(void)
{
	rfs_backend_free(B);
	rfs_backend_free(OUT);
	if (s3_bucket)
		rfs_test_s3_bucket_drop(rfs_test_s3_endpoint(), s3_bucket);
	free(s3_bucket);
}

#define CONTRACT(name)                                                         \
	Test(backends_contract, local_##name, .init = local_setup,             \
	     .fini = local_teardown)                                           \
	{                                                                      \
		ct_##name(B);                                                  \
	}                                                                      \
	Test(backends_contract, local_walk_##name, .init = local_walk_setup,   \
	     .fini = local_teardown)                                           \
	{                                                                      \
		ct_##name(B);                                                  \
	}                                                                      \
	Test(backends_contract, memory_##name, .init = memory_setup,           \
	     .fini = memory_teardown)                                          \
	{                                                                      \
		ct_##name(B);                                                  \
	}                                                                      \
	Test(backends_contract, s3_##name, .init = s3_setup,                   \
	     .fini = s3_teardown)                                              \
	{                                                                      \
		ct_##name(B);                                                  \
	}

static struct rfs_file *open_ok(struct rfs_backend *b, const char *key,
				int flags)
{
	struct rfs_file *f = NULL;
	int r = rfs_backend_open_file(b, key, flags, 0644, &f);

	cr_assert_eq(r, 0, "open '%s': %d", key, r);
	return f;
}

static void ct_stat_missing(struct rfs_backend *b)
{
	struct stat st;

	cr_assert_eq(rfs_backend_stat(b, "nope", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(b, "nope/deeper", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(b, "", &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
}
CONTRACT(stat_missing)

static void ct_write_read(struct rfs_backend *b)
{
	struct rfs_file *f = open_ok(b, "f", O_CREAT | O_RDWR);
	struct stat st;
	char buf[16] = { 0 };

	cr_assert_eq(rfs_file_write(f, "hello world", 11, 0), 11);
	cr_assert_eq(rfs_file_write(f, "W", 1, 6), 1);
	cr_assert_eq(rfs_file_read(f, buf, sizeof(buf), 0), 11);
	cr_assert_str_eq(buf, "hello World");
	cr_assert_eq(rfs_file_read(f, buf, sizeof(buf), 11), 0);
	cr_assert_eq(rfs_file_stat(f, &st), 0);
	cr_assert_eq(st.st_size, 11);
	cr_assert_eq(rfs_file_fsync(f, 0), 0);
	cr_assert_eq(rfs_file_flush(f), 0);
	cr_assert_eq(rfs_file_close(f), 0);

	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(st.st_size, 11);
	cr_assert_eq(st.st_nlink, 1);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(bk_get(b, "f", buf, sizeof(buf)), 11);
	cr_assert_str_eq(buf, "hello World");
}
CONTRACT(write_read)

static void ct_big_buffer(struct rfs_backend *b)
{
	const size_t len = (size_t)3 << 20;
	unsigned char *in = malloc(len), *out = malloc(len);
	struct rfs_file *f;

	cr_assert(in && out);
	bk_pattern(in, len, 7, 0);
	bk_put(b, "big", in, len);
	cr_assert_eq(bk_get(b, "big", out, len + 10), (ssize_t)len);
	cr_assert_arr_eq(in, out, len);

	/* a read across chunk boundaries, at an odd offset */
	f = open_ok(b, "big", O_RDONLY);
	memset(out, 0, len);
	cr_assert_eq(rfs_file_read(f, out, 200000, 65531), 200000);
	cr_assert_arr_eq(in + 65531, out, 200000);
	/* a short read at the end */
	cr_assert_eq(rfs_file_read(f, out, 4096, (off_t)len - 100), 100);
	cr_assert_arr_eq(in + len - 100, out, 100);
	cr_assert_eq(rfs_file_close(f), 0);
	free(in);
	free(out);
}
CONTRACT(big_buffer)

static void ct_sparse_5g(struct rfs_backend *b)
{
	struct rfs_file *f = open_ok(b, "sparse", O_CREAT | O_RDWR);
	char zero[4096] = { 0 }, buf[4096];
	struct stat st;

	cr_assert_eq(rfs_file_write(f, "head", 4, 0), 4);
	cr_assert_eq(rfs_file_write(f, "tail", 4, far), 4);
	cr_assert_eq(rfs_file_stat(f, &st), 0);
	cr_assert_eq(st.st_size, far + 4);
	/* the hole reads as zeros, in the middle and right before the end */
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(rfs_file_read(f, buf, sizeof(buf), far / 5 * 3),
		     (ssize_t)sizeof(buf));
	cr_assert_arr_eq(buf, zero, sizeof(buf));
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(rfs_file_read(f, buf, 8, far - 4), 8);
	cr_assert_arr_eq(buf, "\0\0\0\0tail", 8);
	cr_assert_eq(rfs_file_read(f, buf, 8, far + 4), 0);
	cr_assert_eq(rfs_file_read(f, buf, 4, 0), 4);
	cr_assert_arr_eq(buf, "head", 4);
	cr_assert_eq(rfs_file_close(f), 0);
	cr_assert_eq(rfs_backend_stat(b, "sparse", &st), 0);
	cr_assert_eq(st.st_size, far + 4);
	/* no adapter may store the hole, but object stores have no holes */
	if (holes)
		cr_assert_lt(st.st_blocks * 512, 64 << 20);
	/* what was stored reads back, across the gap */
	f = open_ok(b, "sparse", O_RDONLY);
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(rfs_file_read(f, buf, 8, far - 4), 8);
	cr_assert_arr_eq(buf, "\0\0\0\0tail", 8);
	cr_assert_eq(rfs_file_read(f, buf, 4, 0), 4);
	cr_assert_arr_eq(buf, "head", 4);
	cr_assert_eq(rfs_file_close(f), 0);
}
CONTRACT(sparse_5g)

static void ct_open_flags(struct rfs_backend *b)
{
	struct rfs_file *f = NULL;

	cr_assert_eq(rfs_backend_open_file(b, "missing", O_RDONLY, 0, &f),
		     -ENOENT);
	cr_assert_eq(rfs_backend_open_file(b, "no/such/dir", O_CREAT | O_WRONLY,
					   0644, &f),
		     -ENOENT);
	bk_put(b, "f", "abc", 3);
	cr_assert_eq(rfs_backend_open_file(b, "f", O_CREAT | O_EXCL | O_WRONLY,
					   0644, &f),
		     -EEXIST);
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0755), 0);
	cr_assert_eq(rfs_backend_open_file(b, "d", O_RDONLY, 0, &f), -EISDIR);
	cr_assert_eq(rfs_backend_open_file(b, "", O_RDONLY, 0, &f), -EISDIR);
	cr_assert_eq(rfs_backend_open_file(b, "f/x", O_RDONLY, 0, &f),
		     -ENOTDIR);
	cr_assert_eq(rfs_backend_open_file(b, "../f", O_RDONLY, 0, &f),
		     -EINVAL);
	cr_assert_eq(rfs_backend_open_file(b, "/f", O_RDONLY, 0, &f), -EINVAL);
	cr_assert_eq(rfs_backend_open_file(b, "a//f", O_RDONLY, 0, &f),
		     -EINVAL);

	/* O_TRUNC empties, the access mode is enforced */
	f = open_ok(b, "f", O_WRONLY | O_TRUNC);
	{
		char c;

		cr_assert_eq(rfs_file_read(f, &c, 1, 0), -EBADF);
	}
	cr_assert_eq(rfs_file_close(f), 0);
	f = open_ok(b, "f", O_RDONLY);
	cr_assert_eq(rfs_file_write(f, "x", 1, 0), -EBADF);
	cr_assert_eq(rfs_file_close(f), 0);
	{
		struct stat st;

		cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
		cr_assert_eq(st.st_size, 0);
	}
}
CONTRACT(open_flags)

static void ct_truncate(struct rfs_backend *b)
{
	char buf[32], zero[32] = { 0 };
	struct rfs_file *f;
	struct stat st;

	bk_put(b, "t", "hello world", 11);
	cr_assert_eq(rfs_backend_truncate(b, "t", 2), 0);
	cr_assert_eq(rfs_backend_stat(b, "t", &st), 0);
	cr_assert_eq(st.st_size, 2);
	/* growing again must show zeros, not the cut bytes */
	cr_assert_eq(rfs_backend_truncate(b, "t", 20), 0);
	cr_assert_eq(bk_get(b, "t", buf, sizeof(buf)), 20);
	cr_assert_arr_eq(buf, "he", 2);
	cr_assert_arr_eq(buf + 2, zero, 18);

	f = open_ok(b, "t", O_RDWR);
	cr_assert_eq(rfs_file_truncate(f, 1), 0);
	cr_assert_eq(rfs_file_stat(f, &st), 0);
	cr_assert_eq(st.st_size, 1);
	cr_assert_eq(rfs_file_truncate(f, far / 5 * 3), 0);
	cr_assert_eq(rfs_file_read(f, buf, 4, far / 5 * 3 - 2), 2);
	cr_assert_arr_eq(buf, zero, 2);
	cr_assert_eq(rfs_file_close(f), 0);

	cr_assert_eq(rfs_backend_truncate(b, "missing", 0), -ENOENT);
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0755), 0);
	cr_assert_eq(rfs_backend_truncate(b, "d", 0), -EISDIR);
}
CONTRACT(truncate)

/* What list() reported, by name. */
struct listed {
	int count;
	int seen_b, seen_f1, seen_f2, seen_l;
	int dots;
};

static int collect(void *ctx, const char *name, const struct stat *st)
{
	struct listed *l = ctx;

	l->count++;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		l->dots++;
	else if (!strcmp(name, "b"))
		l->seen_b = S_ISDIR(st->st_mode);
	else if (!strcmp(name, "f1"))
		l->seen_f1 = S_ISREG(st->st_mode) && st->st_size == 3;
	else if (!strcmp(name, "f2"))
		l->seen_f2 = S_ISREG(st->st_mode) && st->st_size == 0 &&
			     (st->st_mode & 07777) == 0644;
	else if (!strcmp(name, "l"))
		l->seen_l = S_ISLNK(st->st_mode);
	return 0;
}

static int stop_at_first(void *ctx, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	++*(int *)ctx;
	return 7;
}

static void ct_list(struct rfs_backend *b)
{
	struct listed l = { 0 };
	int calls = 0;

	cr_assert_eq(rfs_backend_mkdir(b, "a", 0755), 0);
	cr_assert_eq(rfs_backend_mkdir(b, "a/b", 0700), 0);
	bk_put(b, "a/f1", "abc", 3);
	bk_put(b, "a/f2", "", 0);
	cr_assert_eq(rfs_backend_symlink(b, "f1", "a/l"), 0);
	cr_assert_eq(rfs_backend_list(b, "a", collect, &l), 0);
	cr_assert_eq(l.count, 4);
	cr_assert_eq(l.dots, 0);
	cr_assert(l.seen_b && l.seen_f1 && l.seen_f2 && l.seen_l);

	memset(&l, 0, sizeof(l));
	cr_assert_eq(rfs_backend_list(b, "a/b", collect, &l), 0);
	cr_assert_eq(l.count, 0);
	cr_assert_eq(rfs_backend_list(b, "a", stop_at_first, &calls), 7);
	cr_assert_eq(calls, 1);
	cr_assert_eq(rfs_backend_list(b, "a/f1", collect, &l), -ENOTDIR);
	cr_assert_eq(rfs_backend_list(b, "a/l", collect, &l), -ENOTDIR);
	cr_assert_eq(rfs_backend_list(b, "zz", collect, &l), -ENOENT);

	memset(&l, 0, sizeof(l));
	cr_assert_eq(rfs_backend_list(b, "", collect, &l), 0);
	cr_assert_eq(l.count, 1);
}
CONTRACT(list)

static void ct_mkdir_rmdir(struct rfs_backend *b)
{
	struct stat st;

	cr_assert_eq(rfs_backend_mkdir(b, "d", 0750), 0);
	cr_assert_eq(rfs_backend_stat(b, "d", &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0750);
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0755), -EEXIST);
	cr_assert_eq(rfs_backend_mkdir(b, "", 0755), -EEXIST);
	cr_assert_eq(rfs_backend_mkdir(b, "x/y", 0755), -ENOENT);
	bk_put(b, "d/f", "1", 1);
	cr_assert_eq(rfs_backend_mkdir(b, "d/f/g", 0755), -ENOTDIR);
	cr_assert_eq(rfs_backend_rmdir(b, "d"), -ENOTEMPTY);
	cr_assert_eq(rfs_backend_rmdir(b, "d/f"), -ENOTDIR);
	cr_assert_eq(rfs_backend_unlink(b, "d"), -EISDIR);
	cr_assert_eq(rfs_backend_rmdir(b, ""), -EBUSY);
	cr_assert_eq(rfs_backend_unlink(b, "d/f"), 0);
	cr_assert_eq(rfs_backend_stat(b, "d/f", &st), -ENOENT);
	cr_assert_eq(rfs_backend_unlink(b, "d/f"), -ENOENT);
	cr_assert_eq(rfs_backend_rmdir(b, "d"), 0);
	cr_assert_eq(rfs_backend_stat(b, "d", &st), -ENOENT);
	cr_assert_eq(rfs_backend_rmdir(b, "d"), -ENOENT);
}
CONTRACT(mkdir_rmdir)

static void ct_unlink_open(struct rfs_backend *b)
{
	struct rfs_file *f;
	char buf[8] = { 0 };

	bk_put(b, "f", "data", 4);
	f = open_ok(b, "f", O_RDONLY);
	cr_assert_eq(rfs_backend_unlink(b, "f"), 0);
	/* an open file stays readable after its name is gone */
	cr_assert_eq(rfs_file_read(f, buf, sizeof(buf), 0), 4);
	cr_assert_str_eq(buf, "data");
	cr_assert_eq(rfs_file_close(f), 0);
	cr_assert_eq(bk_get(b, "f", buf, sizeof(buf)), -ENOENT);
}
CONTRACT(unlink_open)

/* Swap @p x and @p y: at once, or with three renames where the backend
 * cannot (after checking that it refuses RENAME_EXCHANGE). */
static void swap(struct rfs_backend *b, const char *x, const char *y)
{
	if (exchange) {
		cr_assert_eq(rfs_backend_rename(b, x, y, RENAME_EXCHANGE), 0);
		return;
	}
	cr_assert_eq(rfs_backend_rename(b, x, y, RENAME_EXCHANGE), -EINVAL);
	cr_assert_eq(rfs_backend_rename(b, x, "swap.tmp", RENAME_NOREPLACE), 0);
	cr_assert_eq(rfs_backend_rename(b, y, x, 0), 0);
	cr_assert_eq(rfs_backend_rename(b, "swap.tmp", y, 0), 0);
}

static void ct_rename(struct rfs_backend *b)
{
	char buf[16] = { 0 };
	struct stat st;

	bk_put(b, "a", "AAA", 3);
	bk_put(b, "b", "BB", 2);
	cr_assert_eq(rfs_backend_rename(b, "a", "a2", 0), 0);
	cr_assert_eq(rfs_backend_stat(b, "a", &st), -ENOENT);
	cr_assert_eq(bk_get(b, "a2", buf, sizeof(buf)), 3);
	cr_assert_eq(rfs_backend_rename(b, "a2", "b", RENAME_NOREPLACE),
		     -EEXIST);
	swap(b, "a2", "b");
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(bk_get(b, "b", buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "AAA");
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(bk_get(b, "a2", buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "BB");
	/* plain rename replaces */
	cr_assert_eq(rfs_backend_rename(b, "a2", "b", 0), 0);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(bk_get(b, "b", buf, sizeof(buf)), 2);
	cr_assert_str_eq(buf, "BB");
	cr_assert_eq(rfs_backend_rename(b, "a2", "c", 0), -ENOENT);
	cr_assert_eq(rfs_backend_rename(b, "b", "no/c", 0), -ENOENT);

	/* directories, with what they hold */
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0755), 0);
	cr_assert_eq(rfs_backend_mkdir(b, "d/sub", 0755), 0);
	bk_put(b, "d/sub/f", "x", 1);
	cr_assert_eq(rfs_backend_rename(b, "d", "d/sub/in", 0), -EINVAL);
	cr_assert_eq(rfs_backend_rename(b, "d", "e", 0), 0);
	cr_assert_eq(rfs_backend_stat(b, "e/sub/f", &st), 0);
	cr_assert_eq(st.st_size, 1);
	cr_assert_eq(rfs_backend_stat(b, "d", &st), -ENOENT);
	cr_assert_eq(rfs_backend_mkdir(b, "full", 0755), 0);
	bk_put(b, "full/f", "", 0);
	cr_assert_eq(rfs_backend_rename(b, "e", "full", 0), -ENOTEMPTY);
	cr_assert_eq(rfs_backend_rename(b, "b", "full", 0), -EISDIR);
	cr_assert_eq(rfs_backend_rename(b, "e", "b", 0), -ENOTDIR);
	cr_assert_eq(rfs_backend_rename(b, "", "z", 0), -EBUSY);
	/* a directory over an empty one */
	cr_assert_eq(rfs_backend_mkdir(b, "empty", 0755), 0);
	cr_assert_eq(rfs_backend_rename(b, "e", "empty", 0), 0);
	cr_assert_eq(rfs_backend_stat(b, "empty/sub/f", &st), 0);
	/* exchange a directory with a file */
	swap(b, "empty", "b");
	cr_assert_eq(rfs_backend_stat(b, "b/sub/f", &st), 0);
	cr_assert_eq(rfs_backend_stat(b, "empty", &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(rfs_backend_rename(b, "b", "nothere", RENAME_EXCHANGE),
		     exchange ? -ENOENT : -EINVAL);
}
CONTRACT(rename)

static void ct_hardlink(struct rfs_backend *b)
{
	struct stat a, c;

	bk_put(b, "f", "12345", 5);
	if (!(want_caps & RFS_BACKEND_CAP_HARDLINK)) {
		/* no hard links: refused after the names are checked */
		cr_assert_not(rfs_backend_has(b, RFS_BACKEND_CAP_HARDLINK));
		cr_assert_eq(rfs_backend_link(b, "f", "g"), -EPERM);
		cr_assert_eq(rfs_backend_link(b, "nope", "g"), -ENOENT);
		cr_assert_eq(rfs_backend_link(b, "f", "f"), -EEXIST);
		cr_assert_eq(rfs_backend_stat(b, "g", &c), -ENOENT);
		return;
	}
	cr_assert_eq(rfs_backend_link(b, "f", "g"), 0);
	cr_assert_eq(rfs_backend_stat(b, "f", &a), 0);
	cr_assert_eq(rfs_backend_stat(b, "g", &c), 0);
	cr_assert_eq(a.st_ino, c.st_ino);
	cr_assert_eq(a.st_nlink, 2);
	cr_assert_eq(rfs_backend_link(b, "f", "g"), -EEXIST);
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0755), 0);
	cr_assert_eq(rfs_backend_link(b, "d", "d2"), -EPERM);
	cr_assert_eq(rfs_backend_unlink(b, "f"), 0);
	cr_assert_eq(rfs_backend_stat(b, "g", &c), 0);
	cr_assert_eq(c.st_nlink, 1);
	cr_assert_eq(c.st_size, 5);
}
CONTRACT(hardlink)

static void ct_chmod_chown(struct rfs_backend *b)
{
	struct stat st;

	bk_put(b, "f", "x", 1);
	cr_assert_eq(rfs_backend_chmod(b, "f", 0600), 0);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert_eq(st.st_mode, S_IFREG | 0600);
	cr_assert_eq(rfs_backend_chmod(b, "f", 02755), 0);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert_eq(st.st_mode, S_IFREG | 02755);
	cr_assert_eq(rfs_backend_chmod(b, "missing", 0600), -ENOENT);
	cr_assert_eq(rfs_backend_symlink(b, "f", "l"), 0);
	cr_assert_eq(rfs_backend_chmod(b, "l", 0600), -EOPNOTSUPP);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert_eq(st.st_mode & 07777, 02755);

	cr_assert_eq(rfs_backend_chown(b, "f", geteuid(), (gid_t)-1), 0);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert_eq(st.st_uid, geteuid());
	cr_assert_eq(st.st_gid, getegid());
	cr_assert_eq(rfs_backend_chown(b, "l", (uid_t)-1, getegid()), 0);
}
CONTRACT(chmod_chown)

static void ct_utimens(struct rfs_backend *b)
{
	struct timespec ts[2] = { { 1000000000, 123456789 },
				  { 1500000000, 987654321 } };
	struct stat st;

	bk_put(b, "f", "x", 1);
	cr_assert_eq(rfs_backend_utimens(b, "f", ts), 0);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert_eq(st.st_atim.tv_sec, 1000000000);
	cr_assert_eq(st.st_atim.tv_nsec, 123456789);
	cr_assert_eq(st.st_mtim.tv_sec, 1500000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 987654321);

	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 1600000000;
	ts[1].tv_nsec = 5;
	cr_assert_eq(rfs_backend_utimens(b, "f", ts), 0);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert_eq(st.st_atim.tv_sec, 1000000000);
	cr_assert_eq(st.st_atim.tv_nsec, 123456789);
	cr_assert_eq(st.st_mtim.tv_sec, 1600000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 5);

	/* a symlink's own times, not its target's */
	cr_assert_eq(rfs_backend_symlink(b, "f", "l"), 0);
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 1234567890;
	ts[1].tv_nsec = 0;
	cr_assert_eq(rfs_backend_utimens(b, "l", ts), 0);
	cr_assert_eq(rfs_backend_stat(b, "l", &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 1234567890);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 1600000000);
	cr_assert_eq(rfs_backend_utimens(b, "missing", ts), -ENOENT);
}
CONTRACT(utimens)

static void ct_symlink(struct rfs_backend *b)
{
	char buf[64];
	struct rfs_file *f = NULL;
	struct stat st;

	cr_assert_eq(rfs_backend_symlink(b, "target/x", "l"), 0);
	cr_assert_eq(rfs_backend_readlink(b, "l", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "target/x");
	cr_assert_eq(rfs_backend_stat(b, "l", &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(st.st_size, 8);
	cr_assert_eq(rfs_backend_readlink(b, "l", buf, 4), 0);
	cr_assert_str_eq(buf, "tar");
	cr_assert_eq(rfs_backend_symlink(b, "y", "l"), -EEXIST);
	bk_put(b, "f", "x", 1);
	cr_assert_eq(rfs_backend_readlink(b, "f", buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(rfs_backend_readlink(b, "zz", buf, sizeof(buf)), -ENOENT);
	/* open does not follow */
	cr_assert_eq(rfs_backend_symlink(b, "f", "lf"), 0);
	cr_assert_eq(rfs_backend_open_file(b, "lf", O_RDONLY, 0, &f), -ELOOP);
	/* unlink removes the link only */
	cr_assert_eq(rfs_backend_unlink(b, "lf"), 0);
	cr_assert_eq(rfs_backend_stat(b, "f", &st), 0);
}
CONTRACT(symlink)

/* FIFOs, sockets and devices: made by mknod, listed and stated with their
 * type and device number, with metadata of their own, removed by unlink. */
static void ct_special(struct rfs_backend *b)
{
	struct timespec ts[2] = { { 1000000000, 5 }, { 1100000000, 7 } };
	struct stat st;

	if (!(want_caps & RFS_BACKEND_CAP_SPECIAL)) {
		cr_assert_not(rfs_backend_has(b, RFS_BACKEND_CAP_SPECIAL));
		cr_assert_eq(rfs_backend_mknod(b, "p", S_IFIFO | 0644, 0),
			     -ENOSYS);
		cr_assert_eq(rfs_backend_stat(b, "p", &st), -ENOENT);
		return;
	}
	cr_assert(rfs_backend_has(b, RFS_BACKEND_CAP_SPECIAL));
	cr_assert_eq(rfs_backend_mknod(b, "p", S_IFIFO | 0640, 0), 0);
	cr_assert_eq(rfs_backend_mknod(b, "s", S_IFSOCK | 0755, 0), 0);
	cr_assert_eq(rfs_backend_mknod(b, "c", S_IFCHR | 0620, makedev(1, 3)),
		     0);
	cr_assert_eq(rfs_backend_mknod(b, "k", S_IFBLK | 0600, makedev(7, 200)),
		     0);
	cr_assert_eq(rfs_backend_mknod(b, "p", S_IFIFO | 0640, 0), -EEXIST);
	cr_assert_eq(rfs_backend_mknod(b, "r", S_IFREG | 0640, 0), -EINVAL);
	cr_assert_eq(rfs_backend_stat(b, "p", &st), 0);
	cr_assert(S_ISFIFO(st.st_mode), "mode %o", st.st_mode);
	cr_assert_eq(st.st_size, 0);
	cr_assert_eq(rfs_backend_stat(b, "s", &st), 0);
	cr_assert(S_ISSOCK(st.st_mode), "mode %o", st.st_mode);
	cr_assert_eq(rfs_backend_stat(b, "c", &st), 0);
	cr_assert(S_ISCHR(st.st_mode), "mode %o", st.st_mode);
	cr_assert_eq(major(st.st_rdev), 1);
	cr_assert_eq(minor(st.st_rdev), 3);
	cr_assert_eq(rfs_backend_stat(b, "k", &st), 0);
	cr_assert(S_ISBLK(st.st_mode), "mode %o", st.st_mode);
	cr_assert_eq(st.st_rdev, makedev(7, 200));
	/* metadata of its own, without opening it */
	cr_assert_eq(rfs_backend_chmod(b, "p", 0604), 0);
	cr_assert_eq(rfs_backend_chown(b, "c", 1234, 5678), 0);
	cr_assert_eq(rfs_backend_utimens(b, "k", ts), 0);
	cr_assert_eq(rfs_backend_stat(b, "p", &st), 0);
	cr_assert_eq(st.st_mode, S_IFIFO | 0604);
	cr_assert_eq(rfs_backend_stat(b, "c", &st), 0);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 5678);
	cr_assert_eq(rfs_backend_stat(b, "k", &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 1100000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 7);
	cr_assert_eq(st.st_atim.tv_sec, 1000000000);
	cr_assert_eq(rfs_backend_unlink(b, "p"), 0);
	cr_assert_eq(rfs_backend_unlink(b, "s"), 0);
	cr_assert_eq(rfs_backend_unlink(b, "c"), 0);
	cr_assert_eq(rfs_backend_unlink(b, "k"), 0);
	cr_assert_eq(rfs_backend_stat(b, "k", &st), -ENOENT);
}
CONTRACT(special)

static void ct_xattr(struct rfs_backend *b)
{
	char buf[256];
	ssize_t n;

	bk_put(b, "f", "x", 1);
	if (!(want_caps & RFS_BACKEND_CAP_XATTR)) {
		/* not stored: every call says so, none pretends */
		cr_assert_not(rfs_backend_has(b, RFS_BACKEND_CAP_XATTR));
		cr_assert_eq(rfs_backend_setxattr(b, "f", "user.k", "v", 1, 0),
			     -ENOTSUP);
		cr_assert_eq(rfs_backend_getxattr(b, "f", "user.k", buf,
						  sizeof(buf)),
			     -ENOTSUP);
		cr_assert_eq(rfs_backend_listxattr(b, "f", buf, sizeof(buf)),
			     0);
		cr_assert_eq(rfs_backend_removexattr(b, "f", "user.k"),
			     -ENOTSUP);
		return;
	}
	cr_assert_eq(rfs_backend_getxattr(b, "f", "user.k", buf, sizeof(buf)),
		     -ENODATA);
	cr_assert_eq(rfs_backend_setxattr(b, "f", "user.k", "v1", 2, 0), 0);
	cr_assert_eq(rfs_backend_setxattr(b, "f", "user.two", "22", 2, 0), 0);
	cr_assert_eq(rfs_backend_getxattr(b, "f", "user.k", NULL, 0), 2);
	cr_assert_eq(rfs_backend_getxattr(b, "f", "user.k", buf, sizeof(buf)),
		     2);
	cr_assert_arr_eq(buf, "v1", 2);
	cr_assert_eq(rfs_backend_getxattr(b, "f", "user.k", buf, 1), -ERANGE);
	cr_assert_eq(
		rfs_backend_setxattr(b, "f", "user.k", "v", 1, XATTR_CREATE),
		-EEXIST);
	cr_assert_eq(
		rfs_backend_setxattr(b, "f", "user.new", "v", 1, XATTR_REPLACE),
		-ENODATA);
	cr_assert_eq(rfs_backend_setxattr(b, "f", "user.k", "v333", 4,
					  XATTR_REPLACE),
		     0);
	cr_assert_eq(rfs_backend_getxattr(b, "f", "user.k", buf, sizeof(buf)),
		     4);
	cr_assert_arr_eq(buf, "v333", 4);

	n = rfs_backend_listxattr(b, "f", NULL, 0);
	cr_assert_geq(n,
		      (ssize_t)sizeof("user.k") + (ssize_t)sizeof("user.two"));
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(rfs_backend_listxattr(b, "f", buf, sizeof(buf)), n);
	{
		int k = 0, two = 0;
		char *p;

		for (p = buf; p < buf + n; p += strlen(p) + 1) {
			k += !strcmp(p, "user.k");
			two += !strcmp(p, "user.two");
		}
		cr_assert(k == 1 && two == 1);
	}
	cr_assert_eq(rfs_backend_removexattr(b, "f", "user.k"), 0);
	cr_assert_eq(rfs_backend_getxattr(b, "f", "user.k", buf, sizeof(buf)),
		     -ENODATA);
	cr_assert_eq(rfs_backend_removexattr(b, "f", "user.k"), -ENODATA);
	cr_assert_eq(
		rfs_backend_getxattr(b, "missing", "user.k", buf, sizeof(buf)),
		-ENOENT);
	/* user attributes are for files and directories, not symlinks */
	cr_assert_eq(rfs_backend_symlink(b, "f", "l"), 0);
	cr_assert_eq(rfs_backend_setxattr(b, "l", "user.k", "v", 1, 0), -EPERM);
	cr_assert_eq(rfs_backend_getxattr(b, "l", "user.k", buf, sizeof(buf)),
		     -ENODATA);
	/* directories have them too, the root included */
	cr_assert_eq(rfs_backend_setxattr(b, "", "user.root", "r", 1, 0), 0);
	cr_assert_eq(rfs_backend_getxattr(b, "", "user.root", buf, sizeof(buf)),
		     1);
}
CONTRACT(xattr)

static void ct_statfs(struct rfs_backend *b)
{
	struct statvfs st;

	cr_assert_eq(rfs_backend_statfs(b, "", &st), 0);
	cr_assert_gt(st.f_bsize, 0);
	cr_assert_gt(st.f_blocks, 0);
	cr_assert_leq(st.f_bfree, st.f_blocks);
	cr_assert_geq(st.f_namemax, 255);
	bk_put(b, "f", "x", 1);
	cr_assert_eq(rfs_backend_statfs(b, "f", &st), 0);
	cr_assert_eq(rfs_backend_statfs(b, "missing", &st), -ENOENT);
}
CONTRACT(statfs)

static int count_entries(void *ctx, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	++*(int *)ctx;
	return 0;
}

static void ct_copy(struct rfs_backend *b)
{
	struct timespec ts[2] = { { 1100000000, 11 }, { 1200000000, 22 } };
	const size_t len = 300000;
	unsigned char *in = malloc(len), *out = malloc(len);
	struct stat before, st;
	char v[8];
	int entries = 0;

	cr_assert(in && out);
	bk_pattern(in, len, 3, 0);
	bk_put(b, "src", in, len);
	cr_assert_eq(rfs_backend_chmod(b, "src", 0640), 0);
	if (want_caps & RFS_BACKEND_CAP_XATTR)
		cr_assert_eq(rfs_backend_setxattr(b, "src", "user.origin", "t1",
						  2, 0),
			     0);
	cr_assert_eq(rfs_backend_utimens(b, "src", ts), 0);
	cr_assert_eq(rfs_backend_stat(b, "src", &before), 0);

	cr_assert_eq(rfs_backend_copy(b, "src", b, "dst", 0), 0);
	cr_assert_eq(bk_get(b, "dst", out, len), (ssize_t)len);
	cr_assert_arr_eq(in, out, len);
	cr_assert_eq(rfs_backend_stat(b, "dst", &st), 0);
	cr_assert_eq(st.st_mode, S_IFREG | 0640);
	cr_assert_eq(st.st_size, (off_t)len);
	cr_assert_eq(st.st_mtim.tv_sec, 1200000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 22);
	cr_assert_neq(st.st_ino, before.st_ino);
	if (want_caps & RFS_BACKEND_CAP_XATTR) {
		cr_assert_eq(rfs_backend_getxattr(b, "dst", "user.origin", v,
						  sizeof(v)),
			     2);
		cr_assert_arr_eq(v, "t1", 2);
	}

	/* NOREPLACE refuses, a plain copy replaces */
	bk_put(b, "other", "zz", 2);
	cr_assert_eq(rfs_backend_copy(b, "other", b, "dst",
				      RFS_BACKEND_COPY_NOREPLACE),
		     -EEXIST);
	cr_assert_eq(bk_get(b, "dst", out, len), (ssize_t)len);
	cr_assert_eq(rfs_backend_copy(b, "other", b, "dst", 0), 0);
	cr_assert_eq(bk_get(b, "dst", out, len), 2);

	/* the source is unchanged */
	cr_assert_eq(rfs_backend_stat(b, "src", &st), 0);
	cr_assert_eq(st.st_ino, before.st_ino);
	cr_assert_eq(st.st_size, before.st_size);
	cr_assert_eq(st.st_mtim.tv_sec, before.st_mtim.tv_sec);
	cr_assert_eq(st.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	cr_assert_eq(bk_get(b, "src", out, len), (ssize_t)len);
	cr_assert_arr_eq(in, out, len);

	cr_assert_eq(rfs_backend_copy(b, "missing", b, "x", 0), -ENOENT);
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0755), 0);
	cr_assert_eq(rfs_backend_copy(b, "d", b, "x", 0), -EISDIR);
	cr_assert_eq(rfs_backend_copy(b, "src", b, "d", 0), -EISDIR);
	cr_assert_eq(rfs_backend_copy(b, "src", b, "no/x", 0), -ENOENT);
	cr_assert_eq(rfs_backend_copy(b, "src", b, "d/copy", 0), 0);
	/* nothing but the names asked for is left behind */
	cr_assert_eq(rfs_backend_list(b, "", count_entries, &entries), 0);
	cr_assert_eq(entries, 4); /* src, dst, other, d */
	entries = 0;
	cr_assert_eq(rfs_backend_list(b, "d", count_entries, &entries), 0);
	cr_assert_eq(entries, 1);
	free(in);
	free(out);
}
CONTRACT(copy)

/* Expect an error that means "not reachable" for an escaping key. */
static void refused(int r, const char *what)
{
	cr_assert(r == -ELOOP || r == -EXDEV || r == -ENOENT || r == -ENOTDIR ||
			  r == -EACCES,
		  "%s: %d", what, r);
}

static void ct_confined(struct rfs_backend *b)
{
	struct rfs_file *f = NULL;
	struct stat st;
	char buf[16] = { 0 };
	int entries = 0;

	bk_put(OUT, "secret", "keep", 4);
	bk_put(b, "mine", "m", 1);
	cr_assert_eq(rfs_backend_symlink(b, "/", "abs"), 0);
	cr_assert_eq(rfs_backend_symlink(b, "../outside", "up"), 0);
	cr_assert_eq(rfs_backend_symlink(b, "../../../../..", "upup"), 0);
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0755), 0);
	cr_assert_eq(rfs_backend_symlink(b, "../..", "d/back"), 0);

	refused(rfs_backend_open_file(b, "abs/etc/passwd", O_RDONLY, 0, &f),
		"open abs/etc/passwd");
	refused(rfs_backend_open_file(b, "upup/etc/passwd", O_RDONLY, 0, &f),
		"open upup/etc/passwd");
	refused(rfs_backend_stat(b, "abs/x", &st), "stat abs/x");
	refused(rfs_backend_stat(b, "up/secret", &st), "stat up/secret");
	refused(rfs_backend_stat(b, "d/back/outside/secret", &st),
		"stat d/back/...");
	refused(rfs_backend_open_file(b, "up/new", O_CREAT | O_WRONLY, 0644,
				      &f),
		"create up/new");
	refused(rfs_backend_mkdir(b, "up/dir", 0755), "mkdir up/dir");
	refused(rfs_backend_rename(b, "mine", "up/mine", 0), "rename");
	refused(rfs_backend_link(b, "mine", "up/mine"), "link");
	refused(rfs_backend_unlink(b, "up/secret"), "unlink up/secret");
	refused(rfs_backend_truncate(b, "up/secret", 0), "truncate");
	refused(rfs_backend_chmod(b, "up/secret", 0777), "chmod");
	if (want_caps & RFS_BACKEND_CAP_XATTR)
		refused(rfs_backend_setxattr(b, "up/secret", "user.x", "1", 1,
					     0),
			"setxattr");
	refused(rfs_backend_list(b, "up", count_entries, &entries), "list up");
	refused(rfs_backend_list(b, "d/back", count_entries, &entries),
		"list d/back");
	refused(rfs_backend_copy(b, "up/secret", b, "stolen", 0), "copy out");
	refused(rfs_backend_copy(b, "mine", b, "up/planted", 0), "copy in");
	refused(rfs_backend_symlink(b, "x", "up/newlink"), "symlink");
	cr_assert_eq(entries, 0);

	/* the links themselves are ordinary entries */
	cr_assert_eq(rfs_backend_stat(b, "up", &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(rfs_backend_unlink(b, "up"), 0);

	/* nothing outside changed */
	cr_assert_eq(bk_get(OUT, "secret", buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "keep");
	cr_assert_eq(rfs_backend_stat(OUT, "secret", &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(rfs_backend_list(OUT, "", count_entries, &entries), 0);
	cr_assert_eq(entries, 1);
	cr_assert_eq(rfs_backend_stat(b, "stolen", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(b, "mine", &st), 0);
}
CONTRACT(confined)

static void ct_caps(struct rfs_backend *b)
{
	cr_assert(rfs_backend_has(b, want_caps));
	cr_assert_eq(b->ops->caps & ~(unsigned int)RFS_BACKEND_CAP_FD,
		     want_caps);
	cr_assert_not_null(b->uri);
	cr_assert(rfs_backend_scheme_supported(b->ops->scheme));
}
CONTRACT(caps)
