/*
 * The S3 adapter's backend: opening from a URI and the ops table. The
 * other files of backends/s3/ hold the operations (s3_priv.h lists
 * them), built on the request primitives of req.c and the attributes
 * through the caches of stat.c.
 *
 * Layout in the bucket: a key K of a storage with prefix P is the object
 * "P/K" (stat.c tells how directories are kept, req.c how attributes
 * travel).
 *
 * Not supported: extended attributes (no xattr methods: the port's
 * wrappers give -ENOTSUP), hard links (-EPERM), RENAME_EXCHANGE (-EINVAL:
 * S3 cannot swap two names atomically).
 */
#include "backends/s3/s3.h"
#include "backends/s3/s3_ops.h"

#include "util/uri.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s3_forget(struct rfs_backend *rb, const char *key)
{
	rfs_s3_invalidate(rfs_s3_of(rb), key);
}

static const char *s3_last_error(struct rfs_backend *rb, int err)
{
	(void)rb;
	return rfs_s3_last_error_for(err);
}
/* ----------------------------------------------------------- backend */

static int s3_stat(struct rfs_backend *rb, const char *key, struct stat *st)
{
	if (!rfs_path_is_clean(key))
		return -EINVAL;
	return rfs_s3_stat_key(rfs_s3_of(rb), key, st);
}

static int s3_statfs(struct rfs_backend *rb, const char *key,
		     struct statvfs *st)
{
	const fsblkcnt_t blocks = (fsblkcnt_t)1 << 40; /* 4 PiB of 4 KiB */
	struct stat s;
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	r = rfs_s3_stat_key(rfs_s3_of(rb), key, &s);
	if (r < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->f_bsize = st->f_frsize = 4096;
	st->f_blocks = st->f_bfree = st->f_bavail = blocks;
	st->f_files = st->f_ffree = st->f_favail = (fsfilcnt_t)1 << 40;
	st->f_namemax = 255;
	return 0;
}

static void s3_free(struct rfs_backend *rb)
{
	struct rfs_s3_backend *b = rfs_s3_of(rb);

	rfs_s3_cache_close(b->cache);
	rfs_s3_attrs_close(b->attrs);
	rfs_s3_fresh_free(b->fresh);
	pthread_mutex_destroy(&b->fresh_lock);
	rfs_s3_client_free(b->client);
	free(b->base.uri);
	free(b);
}

static const struct rfs_backend_ops s3_ops = {
	.scheme = "s3",
	/* list() HEADs what it has not cached: its attributes are exact */
	.caps = RFS_BACKEND_CAP_COPY | RFS_BACKEND_CAP_SYMLINK |
		RFS_BACKEND_CAP_RANDOM_WRITE | RFS_BACKEND_CAP_LIST_EXACT |
		RFS_BACKEND_CAP_REMOTE,
	.stat = s3_stat,
	.list = rfs_s3_list,
	.list_late = rfs_s3_list_late,
	.open = rfs_s3_open_file,
	.read = rfs_s3_file_read,
	.write = rfs_s3_file_write,
	.fstat = rfs_s3_file_fstat,
	.ftruncate = rfs_s3_file_ftruncate,
	.fsync = rfs_s3_file_fsync,
	.flush = rfs_s3_file_flush,
	.close = rfs_s3_file_close,
	.mkdir = rfs_s3_mkdir,
	.rmdir = rfs_s3_rmdir,
	.unlink = rfs_s3_unlink,
	.rename = rfs_s3_rename,
	.link = rfs_s3_link,
	.symlink = rfs_s3_symlink,
	.readlink = rfs_s3_readlink,
	.truncate = rfs_s3_truncate,
	.chmod = rfs_s3_chmod,
	.chown = rfs_s3_chown,
	.utimens = rfs_s3_utimens,
	.statfs = s3_statfs,
	.copy = rfs_s3_copy,
	.copy_hashed = rfs_s3_copy_hashed,
	.copy_hashed_stat = rfs_s3_copy_hashed_stat,
	.attest = rfs_s3_attest,
	.forget = s3_forget,
	.refresh = rfs_s3_refresh,
	.unlink_checked = rfs_s3_unlink_checked,
	.last_error = s3_last_error,
	.free = s3_free,
};

int rfs_s3_check_uri(const struct rfs_uri *u, const char *uri,
		     struct rfs_error *err)
{
	if (!rfs_path_is_clean(u->path))
		return rfs_error_set(err, EINVAL, "'%s' has an unclean path",
				     uri);
	return rfs_s3_conf_check(u->scheme, u->authority, u->query, uri, err);
}

int rfs_s3_open(const struct rfs_uri *u, const char *uri,
		struct rfs_backend **out, struct rfs_error *err)
{
	struct rfs_s3_conf conf = { 0 };
	struct rfs_s3_backend *b;
	char *name = NULL;
	int r;

	if (!rfs_path_is_clean(u->path))
		return rfs_error_set(err, EINVAL, "'%s' has an unclean path",
				     uri);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->base.ops = &s3_ops;
	pthread_mutex_init(&b->fresh_lock, NULL);
	r = rfs_s3_conf_load(u->scheme, u->authority, u->path, u->query, uri,
			     &conf, err);
	if (r < 0)
		goto fail;
	name = rfs_uri_strip_query(uri);
	b->base.uri = strdup(uri);
	if (!name || !b->base.uri) {
		r = -ENOMEM;
		goto fail;
	}
	r = rfs_s3_client_new(&conf, name, &b->client, err);
	if (r < 0)
		goto fail;
	b->conf = rfs_s3_client_conf(b->client);
	b->name = rfs_s3_client_name(b->client);
	free(name);
	name = NULL;
	/* storages share a cache when they see a bucket alike: the same
	 * server, keys and attribute source (the key id only hashed) */
	if (asprintf(&name, "%s %s %s %016llx", b->conf->endpoint,
		     b->conf->bucket,
		     b->conf->attrs_listing ? "listing" : "meta",
		     (unsigned long long)rfs_s3_fnv1a(b->conf->access_key)) <
	    0) {
		name = NULL;
		r = -ENOMEM;
		goto fail;
	}
	b->cache = rfs_s3_cache_open(name, b->conf->cache_ttl);
	if (!b->cache) {
		r = -ENOMEM;
		goto fail;
	}
	b->files = rfs_s3_cache_files(b->cache);
	/* attrs=listing reads no x-amz-meta-*: nothing to keep */
	if (!b->conf->attrs_listing)
		b->attrs = rfs_s3_attrs_open(name);
	b->opened_ns = rfs_time_now_ns();
	rfs_s3_conf_release(&conf);
	free(name);
	*out = &b->base;
	return 0;

fail:
	rfs_s3_conf_release(&conf);
	free(name);
	s3_free(&b->base);
	return r;
}
