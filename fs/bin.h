/**
 * @file bin.h
 * @brief The recycle bin's view, shared by fs/bin.c and fs/bin_ops.c.
 */
#ifndef RFS_FS_BIN_H
#define RFS_FS_BIN_H

#include "fs/internal.h"

struct rfs_buf;

/** What a path below .recyclebin names. */
enum bin_kind {
	BIN_ROOT,  /* .recyclebin itself */
	BIN_DIR,   /* a mirrored folder above entries */
	BIN_ENTRY, /* an entry's root or something below it */
	BIN_GHOST, /* a catalog place with nothing in the bin: an empty
		    * folder, so that mv can name mirrored paths */
};

/** A path below .recyclebin, resolved. */
struct bin_node {
	enum bin_kind kind;	      /**< what the path names */
	const struct fs_bin_entry *e; /**< its entry, or NULL above entries */
	const char *sub;	      /**< the path below the entry root */
};

/**
 * Resolve the path of @p q (a bin node) in its snapshot.
 * @return 0 and fill @p bn, -ENOENT, -ENAMETOOLONG
 */
int rfs_fs_bin_resolve(struct req *q, struct bin_node *bn);

/**
 * Where the bytes of entry @p e (below it: @p sub) are now: its source
 * while it is being copied and checked, its recycle copy from then on.
 * @return 0 and set @p b (borrowed) and @p key, or -errno
 */
int rfs_fs_bin_location(struct req *q, const struct fs_bin_entry *e,
			const char *sub, struct rfs_backend **b,
			struct rfs_buf *key);

/** getattr of a bin node. */
int rfs_fs_bin_getattr(struct req *q, struct stat *st);

/** The listing of a bin folder. */
int rfs_fs_bin_list(struct req *q, struct dirlist *d);

/** readlink of a bin node. */
int rfs_fs_bin_readlink(struct req *q, char *buf, size_t size);

/** open of a file in the bin (read-only; else EPERM, logged). */
int rfs_fs_bin_open(struct req *q, int flags, struct rfs_file **out);

struct rfs_restore_target;

/**
 * May the caller of @p q (an entry, or a path below one) restore it to
 * @p to through the mount? Root and the mount's owner may, as the restore
 * itself decides; another user (who may write the entry: its owner, by
 * its mode) only to the entry's origin, without overwriting, and only
 * where that user (by user and primary group) may make files: write and
 * search on the origin when it is a folder, else on the nearest folder
 * above it that exists, up to the epoch's folder.
 * @param q    the request of the entry's path, with its caller
 * @param path the bin path, for the log
 * @param to   the restore's target, as parsed from the attribute
 * @return 0, or -EACCES with the reason logged; -errno when the entry
 *         cannot be read
 */
int rfs_fs_bin_restore_allowed(struct req *q, const char *path,
			       const struct rfs_restore_target *to);

#endif
