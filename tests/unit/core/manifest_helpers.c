/*
 * Fixtures shared by the manifest tests.
 */
#include "manifest_helpers.h"

#include "backends/backend.h"
#include "core/manifest.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rfs_backend *open_uri(const char *uri)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_backend_open(uri, &b, &err), 0, "%s: %s", uri,
		     err.msg);
	return b;
}

struct rfs_backend *mf_open_mem(const char *store)
{
	char uri[128];

	snprintf(uri, sizeof(uri), "mem://%s/bin", store);
	return open_uri(uri);
}

char mf_tmpdir[64];

/* A local backend on a fresh scratch directory. */
struct rfs_backend *mf_open_local(void)
{
	char uri[128];

	snprintf(mf_tmpdir, sizeof(mf_tmpdir), "/tmp/rfs-manifest-XXXXXX");
	cr_assert_not_null(mkdtemp(mf_tmpdir));
	snprintf(uri, sizeof(uri), "file://%s", mf_tmpdir);
	return open_uri(uri);
}

void mf_remove_local(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", mf_tmpdir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", mf_tmpdir);
}

void mf_sample_entry(struct rfs_entry *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->uuid, sizeof(e->uuid), "%s", MF_UUID);
	e->origin_path = "sales.orders/bronze/2001-01-01..2010-01-01/dt=2001";
	e->bin_path = "sales.orders/bronze/2001-01-01..2010-01-01/dt=2001";
	e->table = "sales.orders";
	e->lifecycle = "bronze";
	e->epoch = "2001-01-01..2010-01-01";
	e->item_key = "dt=2001";
	e->storage = "lake";
	e->src_uri = "s3://lake/sales/orders/bronze/2001-01-01..2010-01-01";
	e->bin_root_uri = "s3://lake-bin/recycle";
	e->is_dir = true;
	e->state = RFS_ENTRY_ARCHIVED;
	e->files_total = 4;
	e->bytes_total = 12345;
	e->created_ns = 1700000000123456789LL;
	e->deleted_ns = 1700000100000000001LL;
}

int mf_rows_fn(void *ctx,
	       int (*emit)(void *wctx, const struct rfs_entry_file *f),
	       void *wctx)
{
	struct mf_rows *r = ctx;

	for (size_t i = 0; i < r->n; i++) {
		int rc = emit(wctx, &r->f[i]);

		if (rc)
			return rc;
		if (r->fail_at && (size_t)r->fail_at == i + 1)
			return -EIO;
	}
	return 0;
}

const struct rfs_entry_file mf_sample_rows[MF_N_SAMPLE] = {
	{ .path = "",
	  .type = RFS_FILE_DIR,
	  .mode = 0755,
	  .uid = 1000,
	  .gid = 1000,
	  .mtime_ns = 1600000000000000000LL,
	  .atime_ns = 1600000000000000001LL },
	{ .path = "part-0001.parquet",
	  .type = RFS_FILE_REG,
	  .size = 12345,
	  .mtime_ns = 1700000000123456789LL,
	  .atime_ns = -1,
	  .mode = 0644,
	  .uid = 4000000000u,
	  .gid = 0,
	  .sha256 = "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad" },
	{ .path = "donn\xc3\xa9"
		  "es/\xe6\x97\xa5\xe6\x9c\xac.parquet",
	  .type = RFS_FILE_REG,
	  .size = 0,
	  .mtime_ns = -1500000000LL,
	  .atime_ns = INT64_MIN,
	  .mode = 07777,
	  .uid = 1,
	  .gid = 2 },
	{ .path = "latest",
	  .type = RFS_FILE_LINK,
	  .mode = 0777,
	  .link = "part-0001.parquet",
	  .mtime_ns = INT64_MAX,
	  .atime_ns = 0 },
	{ .path = "empty-dir",
	  .type = RFS_FILE_DIR,
	  .mode = 0,
	  .mtime_ns = -999999999LL,
	  .atime_ns = 999999999LL },
};

int mf_got_fn(void *ctx, const struct rfs_entry_file *f)
{
	struct mf_got *g = ctx;

	if (g->e && g->e->uuid[0])
		g->saw_entry = true;
	if (g->fail_at && g->n + 1 == (size_t)g->fail_at)
		return -ECANCELED;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->f = realloc(g->f, g->cap * sizeof(*g->f));
		cr_assert_not_null(g->f);
	}
	g->f[g->n] = *f;
	g->f[g->n].path = strdup(f->path);
	g->f[g->n].link = f->link ? strdup(f->link) : NULL;
	g->n++;
	return 0;
}

void mf_got_free(struct mf_got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free((char *)g->f[i].path);
		free((char *)g->f[i].link);
	}
	free(g->f);
}

void mf_assert_row_eq(const struct rfs_entry_file *a,
		      const struct rfs_entry_file *b)
{
	cr_assert_str_eq(a->path, b->path);
	cr_assert_eq(a->type, b->type, "%s", b->path);
	cr_assert_eq(a->size, b->size, "%s", b->path);
	cr_assert_eq(a->mtime_ns, b->mtime_ns, "%s", b->path);
	cr_assert_eq(a->atime_ns, b->atime_ns, "%s", b->path);
	cr_assert_eq(a->mode, b->mode, "%s", b->path);
	cr_assert_eq(a->uid, b->uid, "%s", b->path);
	cr_assert_eq(a->gid, b->gid, "%s", b->path);
	cr_assert_str_eq(a->sha256, b->sha256, "%s", b->path);
	cr_assert_eq(a->rdev, b->rdev, "%s", b->path);
	if (a->type == RFS_FILE_LINK)
		cr_assert_str_eq(a->link, b->link, "%s", b->path);
	else
		cr_assert_null(b->link, "%s", b->path);
}

void mf_assert_entry_eq(const struct rfs_entry *a, const struct rfs_entry *b)
{
	cr_assert_eq(b->id, 0);
	cr_assert_str_eq(a->uuid, b->uuid);
	cr_assert_str_eq(a->origin_path, b->origin_path);
	cr_assert_str_eq(a->bin_path, b->bin_path);
	cr_assert_str_eq(a->table, b->table);
	cr_assert_str_eq(a->lifecycle, b->lifecycle);
	cr_assert_str_eq(a->epoch, b->epoch);
	cr_assert_str_eq(a->item_key, b->item_key);
	cr_assert_str_eq(a->storage, b->storage);
	cr_assert_str_eq(a->src_uri, b->src_uri);
	cr_assert_str_eq(a->bin_root_uri, b->bin_root_uri);
	cr_assert_eq(a->is_dir, b->is_dir);
	cr_assert_eq(a->files_total, b->files_total);
	cr_assert_eq(a->bytes_total, b->bytes_total);
	cr_assert_eq(a->created_ns, b->created_ns);
	cr_assert_eq(a->deleted_ns, b->deleted_ns);
}

void mf_write_sample(struct rfs_backend *b, const struct rfs_entry *e)
{
	struct mf_rows r = { mf_sample_rows, MF_N_SAMPLE, 0 };
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_manifest_write(b, e, mf_rows_fn, &r, &err), 0, "%s",
		     err.msg);
}

/* Read a whole backend file into a malloc'ed string. */
char *mf_slurp(struct rfs_backend *b, const char *key)
{
	struct rfs_file *f;
	size_t cap = 1 << 16, len = 0;
	char *data = malloc(cap);
	ssize_t n;

	cr_assert_not_null(data);
	cr_assert_eq(rfs_backend_open_file(b, key, O_RDONLY, 0, &f), 0, "%s",
		     key);
	while ((n = rfs_file_read(f, data + len, cap - len - 1, (off_t)len)) >
	       0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			data = realloc(data, cap);
			cr_assert_not_null(data);
		}
	}
	cr_assert_geq(n, 0);
	rfs_file_close(f);
	data[len] = '\0';
	return data;
}

void mf_put(struct rfs_backend *b, const char *key, const char *text)
{
	struct rfs_file *f;
	size_t len = strlen(text);

	rfs_backend_mkdir(b, ".recyclefs", 0755);
	rfs_backend_mkdir(b, RFS_MANIFEST_DIR, 0755);
	cr_assert_eq(rfs_backend_open_file(b, key, O_CREAT | O_TRUNC | O_WRONLY,
					   0644, &f),
		     0);
	cr_assert_eq(rfs_file_write(f, text, len, 0), (ssize_t)len);
	cr_assert_eq(rfs_file_close(f), 0);
}

static int count_fn(void *ctx, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	(*(int *)ctx)++;
	return 0;
}

/* Files in the manifest folder. */
int mf_count_manifests(struct rfs_backend *b)
{
	int n = 0;

	if (rfs_backend_list(b, RFS_MANIFEST_DIR, count_fn, &n) == -ENOENT)
		return 0;
	return n;
}
