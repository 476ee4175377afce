/**
 * @file internal.h
 * @brief What the FUSE entry point's files share (not a public API).
 *
 * Every FUSE operation takes a reference on the current catalog snapshot
 * (fs_snap_get()), resolves its path, acts, and drops the reference
 * (fs_snap_put()). Snapshots and backends are shared by all FUSE threads.
 */
#ifndef RFS_FS_INTERNAL_H
#define RFS_FS_INTERNAL_H

#define FUSE_USE_VERSION 312

#include <fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/namespace.h"

struct rfs_backend;
struct rfs_catalog;
struct rfs_epoch;
struct rfs_index;

/** A reference-counted catalog snapshot. */
struct fs_snap {
	struct rfs_catalog *cat;
	int refs; /**< guarded by rfs_fs_state.lock */
};

/** One opened backend, by URI. */
struct fs_backend_slot {
	char *uri;
	struct rfs_backend *b; /**< NULL when opening failed */
	int error;	       /**< the -errno opening gave */
	int64_t retry_ns;      /**< when to try opening again */
};

/** The state of one mount; fuse_get_context()->private_data. */
struct rfs_fs_state {
	char *index_path;
	char *mountpoint;
	struct rfs_index *idx; /**< guarded by lock; for catalog reloads */
	pthread_mutex_t lock;
	struct fs_snap *snap; /**< the current snapshot */
	int64_t data_version;
	int64_t next_check_ns; /**< monotonic time of the next index check */
	struct fs_backend_slot *slots; /**< open addressing, by URI hash */
	size_t n_slots, used_slots;
	uid_t uid; /**< owner shown on catalog directories */
	gid_t gid;
	int64_t mounted_ns;
	double attr_timeout;
};

/** How often, at most, the index is checked for catalog changes. */
#define FS_RELOAD_INTERVAL_NS (200 * 1000 * 1000LL)

/** @return the mount's state (from the FUSE context). */
struct rfs_fs_state *fs_state(void);

/**
 * Take a reference on the current snapshot, reloading it first when the
 * index changed. Never NULL after a successful mount.
 */
struct fs_snap *fs_snap_get(struct rfs_fs_state *st);

/** Drop a reference taken with fs_snap_get(). */
void fs_snap_put(struct rfs_fs_state *st, struct fs_snap *snap);

/**
 * The backend of an epoch, opened on first use and kept for the mount's
 * life (thread-safe).
 * @return 0 and set @p out (borrowed), -EPROTONOSUPPORT for catalog-only
 *         storage, or -EIO when it cannot be opened (logged)
 */
int fs_epoch_backend(struct rfs_fs_state *st, const struct rfs_epoch *e,
		     struct rfs_backend **out);

/** True when @p key inside epoch @p e is the storage's hidden bin. */
bool fs_key_hidden(const struct rfs_epoch *e, const char *key);

/** Attributes of a catalog-level directory. */
void fs_dir_stat(struct rfs_fs_state *st, int64_t time_ns, struct stat *out);

/** The FUSE operations. */
extern const struct fuse_operations rfs_fs_ops;

/** getxattr for catalog nodes and epoch roots: user.recyclefs.* values.
 * @return size, -ENODATA when @p name is not a recyclefs attribute */
int fs_node_getxattr(struct rfs_fs_state *st, const struct rfs_node *n,
		     const char *name, char *value, size_t size);

/** listxattr of the user.recyclefs.* names of a node (appended at @p list).
 * @return bytes needed/written, or -ERANGE */
int fs_node_listxattr(struct rfs_fs_state *st, const struct rfs_node *n,
		      char *list, size_t size);

/** Log and return -EPERM for a refused change at a catalog level. */
int fs_refuse(const char *op, const char *path, const char *why);

#endif
