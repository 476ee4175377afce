/*
 * RECYCLEFS_TEST_KILL_AFTER: a wrapper around any backend that counts the
 * calls of the whole process and kills it at the chosen one.
 */
#include "backends/fault.h"

#include "backends/backend.h"
#include "backends/rel.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long kill_after;
static long calls;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
	const char *v = getenv("RECYCLEFS_TEST_KILL_AFTER");

	kill_after = v ? strtol(v, NULL, 10) : 0;
}

/* Count one call; the chosen one never returns. */
static void tick(void)
{
	if (__atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST) == kill_after) {
		raise(SIGKILL);
		pause();
	}
}

struct fb {
	struct rfs_backend base;
	struct rfs_backend *in;
};

struct ff {
	struct rfs_file base;
	struct rfs_file *in;
};

#define IN(b)  (((struct fb *)(b))->in)
#define FIN(f) (((struct ff *)(f))->in)

static int f_stat(struct rfs_backend *b, const char *k, struct stat *st)
{
	tick();
	return rfs_backend_stat(IN(b), k, st);
}

static int f_list(struct rfs_backend *b, const char *k, rfs_backend_list_fn fn,
		  void *ctx)
{
	tick();
	return rfs_backend_list(IN(b), k, fn, ctx);
}

static int f_open(struct rfs_backend *b, const char *k, int flags, mode_t mode,
		  struct rfs_file **out)
{
	struct ff *f;
	int r;

	tick();
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	r = rfs_backend_open_file(IN(b), k, flags, mode, &f->in);
	if (r < 0) {
		free(f);
		return r;
	}
	f->base.backend = b;
	*out = &f->base;
	return 0;
}

static ssize_t f_read(struct rfs_file *f, void *buf, size_t n, off_t off)
{
	tick();
	return rfs_file_read(FIN(f), buf, n, off);
}

static ssize_t f_write(struct rfs_file *f, const void *buf, size_t n, off_t off)
{
	tick();
	return rfs_file_write(FIN(f), buf, n, off);
}

static int f_fstat(struct rfs_file *f, struct stat *st)
{
	return rfs_file_stat(FIN(f), st);
}

static int f_ftruncate(struct rfs_file *f, off_t size)
{
	tick();
	return rfs_file_truncate(FIN(f), size);
}

static int f_fsync(struct rfs_file *f, int datasync)
{
	tick();
	return rfs_file_fsync(FIN(f), datasync);
}

static int f_flush(struct rfs_file *f)
{
	return rfs_file_flush(FIN(f));
}

static int f_fallocate(struct rfs_file *f, int mode, off_t off, off_t len)
{
	return rfs_file_fallocate(FIN(f), mode, off, len);
}

static int f_file_fd(struct rfs_file *f)
{
	return rfs_file_fd(FIN(f));
}

static int f_close(struct rfs_file *f)
{
	int r;

	tick();
	r = rfs_file_close(FIN(f));
	free(f);
	return r;
}

static int f_mkdir(struct rfs_backend *b, const char *k, mode_t mode)
{
	tick();
	return rfs_backend_mkdir(IN(b), k, mode);
}

static int f_rmdir(struct rfs_backend *b, const char *k)
{
	tick();
	return rfs_backend_rmdir(IN(b), k);
}

static int f_unlink(struct rfs_backend *b, const char *k)
{
	tick();
	return rfs_backend_unlink(IN(b), k);
}

static int f_rename(struct rfs_backend *b, const char *from, const char *to,
		    unsigned int flags)
{
	tick();
	return rfs_backend_rename(IN(b), from, to, flags);
}

static int f_link(struct rfs_backend *b, const char *from, const char *to)
{
	tick();
	return rfs_backend_link(IN(b), from, to);
}

static int f_symlink(struct rfs_backend *b, const char *target, const char *k)
{
	tick();
	return rfs_backend_symlink(IN(b), target, k);
}

static int f_readlink(struct rfs_backend *b, const char *k, char *buf,
		      size_t size)
{
	tick();
	return rfs_backend_readlink(IN(b), k, buf, size);
}

static int f_truncate(struct rfs_backend *b, const char *k, off_t size)
{
	tick();
	return rfs_backend_truncate(IN(b), k, size);
}

static int f_chmod(struct rfs_backend *b, const char *k, mode_t mode)
{
	tick();
	return rfs_backend_chmod(IN(b), k, mode);
}

static int f_chown(struct rfs_backend *b, const char *k, uid_t uid, gid_t gid)
{
	tick();
	return rfs_backend_chown(IN(b), k, uid, gid);
}

static int f_utimens(struct rfs_backend *b, const char *k,
		     const struct timespec ts[2])
{
	tick();
	return rfs_backend_utimens(IN(b), k, ts);
}

static int f_statfs(struct rfs_backend *b, const char *k, struct statvfs *st)
{
	return rfs_backend_statfs(IN(b), k, st);
}

static ssize_t f_getxattr(struct rfs_backend *b, const char *k,
			  const char *name, void *value, size_t size)
{
	return rfs_backend_getxattr(IN(b), k, name, value, size);
}

static int f_setxattr(struct rfs_backend *b, const char *k, const char *name,
		      const void *value, size_t size, int flags)
{
	tick();
	return rfs_backend_setxattr(IN(b), k, name, value, size, flags);
}

static ssize_t f_listxattr(struct rfs_backend *b, const char *k, char *list,
			   size_t size)
{
	return rfs_backend_listxattr(IN(b), k, list, size);
}

static int f_removexattr(struct rfs_backend *b, const char *k, const char *name)
{
	tick();
	return rfs_backend_removexattr(IN(b), k, name);
}

static int f_copy(struct rfs_backend *src, const char *sk,
		  struct rfs_backend *dst, const char *dk, unsigned int flags)
{
	tick();
	return rfs_backend_copy(IN(src), sk, IN(dst), dk, flags);
}

static int f_copy_hashed(struct rfs_backend *src, const char *sk,
			 struct rfs_backend *dst, const char *dk, char sha[65])
{
	tick();
	return rfs_backend_copy_hashed(IN(src), sk, IN(dst), dk, sha);
}

static int f_attest(struct rfs_backend *b, const char *k, const char *sha)
{
	tick();
	return rfs_backend_attest(IN(b), k, sha);
}

static int f_sync(struct rfs_backend *b)
{
	tick();
	return rfs_backend_sync(IN(b));
}

static void f_forget(struct rfs_backend *b, const char *key)
{
	rfs_backend_forget(IN(b), key);
}

static const char *f_last_error(struct rfs_backend *b, int err)
{
	return rfs_backend_last_error(IN(b), err);
}

static void f_free(struct rfs_backend *b)
{
	IN(b)->ops->free(IN(b)); /* the wrapper never needs the registry */
	free(b);
}

/* A relational step is one storage call: a kill sweep stops the process
 * before or after each. */
static int f_rel_bin_uri(struct rfs_backend *b, char **out)
{
	return rfs_backend_rel_bin_uri(IN(b), out);
}

static int f_rel_step(struct rfs_backend *b, enum rfs_rel_step step,
		      struct rfs_rel_item *it, struct rfs_error *err)
{
	int r;

	tick();
	r = rfs_backend_rel_step(IN(b), step, it, err);
	tick();
	return r;
}

static int f_rel_manifests(struct rfs_backend *b, const char *bin_uri,
			   rfs_rel_manifest_fn fn, void *ctx,
			   struct rfs_error *err)
{
	tick();
	return rfs_backend_rel_manifests(IN(b), bin_uri, fn, ctx, err);
}

static const struct rfs_backend_rel_ops fault_rel_ops = {
	.bin_uri = f_rel_bin_uri,
	.step = f_rel_step,
	.manifests = f_rel_manifests,
};

static const struct rfs_backend_ops fault_ops = {
	.scheme = "fault",
	/* What the crash tests' local storage does; the wrapper forwards. */
	.caps = RFS_BACKEND_CAP_LIST_EXACT,
	.stat = f_stat,
	.list = f_list,
	.open = f_open,
	.read = f_read,
	.write = f_write,
	.fstat = f_fstat,
	.ftruncate = f_ftruncate,
	.fsync = f_fsync,
	.flush = f_flush,
	.fallocate = f_fallocate,
	.file_fd = f_file_fd,
	.close = f_close,
	.mkdir = f_mkdir,
	.rmdir = f_rmdir,
	.unlink = f_unlink,
	.rename = f_rename,
	.link = f_link,
	.symlink = f_symlink,
	.readlink = f_readlink,
	.truncate = f_truncate,
	.chmod = f_chmod,
	.chown = f_chown,
	.utimens = f_utimens,
	.statfs = f_statfs,
	.getxattr = f_getxattr,
	.setxattr = f_setxattr,
	.listxattr = f_listxattr,
	.removexattr = f_removexattr,
	.copy = f_copy,
	.copy_hashed = f_copy_hashed,
	.attest = f_attest,
	.rel = &fault_rel_ops,
	.sync = f_sync,
	.forget = f_forget,
	.last_error = f_last_error,
	.free = f_free,
};

struct rfs_backend *rfs_fault_wrap(struct rfs_backend *inner)
{
	struct fb *b;

	pthread_once(&once, read_env);
	if (kill_after <= 0)
		return inner;
	b = calloc(1, sizeof(*b));
	if (!b) {
		inner->ops->free(inner);
		return NULL;
	}
	/* Only the capabilities; every method forwards. */
	b->base.ops = &fault_ops;
	b->base.uri = inner->uri;
	b->in = inner;
	return &b->base;
}
