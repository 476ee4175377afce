/*
 * Fixtures shared by the backend tests.
 */
#include "tests/unit/backends/helpers.h"

#include "util/error.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *bk_mkdtemp(const char *tag)
{
	char *path = NULL;

	cr_assert(asprintf(&path, "/tmp/rfs-%s-XXXXXX", tag) > 0);
	cr_assert_not_null(mkdtemp(path), "mkdtemp: %s", strerror(errno));
	return path;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void bk_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct rfs_backend *bk_open(const char *uri)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;
	int r = rfs_backend_open(uri, &b, &err);

	cr_assert_eq(r, 0, "open '%s': %d %s", uri, r, err.msg);
	cr_assert_not_null(b);
	return b;
}

struct rfs_backend *bk_open_local(const char *dir)
{
	struct rfs_backend *b;
	char *uri = NULL;

	cr_assert(asprintf(&uri, "file://%s", dir) > 0);
	b = bk_open(uri);
	free(uri);
	return b;
}

void bk_put(struct rfs_backend *b, const char *key, const void *data,
	    size_t len)
{
	struct rfs_file *f = NULL;
	int r = rfs_backend_open_file(b, key, O_CREAT | O_TRUNC | O_WRONLY,
				      0644, &f);

	cr_assert_eq(r, 0, "create '%s': %d", key, r);
	if (len)
		cr_assert_eq(rfs_file_write(f, data, len, 0), (ssize_t)len);
	cr_assert_eq(rfs_file_close(f), 0);
}

ssize_t bk_get(struct rfs_backend *b, const char *key, void *buf, size_t size)
{
	struct rfs_file *f = NULL;
	ssize_t n;
	int r = rfs_backend_open_file(b, key, O_RDONLY, 0, &f);

	if (r < 0)
		return r;
	n = rfs_file_read(f, buf, size, 0);
	cr_assert_eq(rfs_file_close(f), 0);
	return n;
}

void bk_pattern(void *buf, size_t len, unsigned int seed, off_t off)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned long long x = (unsigned long long)off + i;

		x = (x ^ (x >> 7) ^ (x >> 19)) * 2654435761u + seed;
		p[i] = (unsigned char)(x ^ (x >> 13));
	}
}

unsigned long long bk_checksum(struct rfs_backend *b, const char *key)
{
	const size_t piece = (size_t)1 << 20;
	unsigned long long h = 1469598103934665603ULL;
	unsigned char *buf = malloc(piece);
	struct rfs_file *f = NULL;
	off_t off = 0;
	ssize_t n, i;

	cr_assert_not_null(buf);
	cr_assert_eq(rfs_backend_open_file(b, key, O_RDONLY, 0, &f), 0);
	while ((n = rfs_file_read(f, buf, piece, off)) > 0) {
		for (i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 1099511628211ULL;
		}
		off += n;
	}
	cr_assert_geq(n, 0);
	rfs_file_close(f);
	free(buf);
	return h;
}
