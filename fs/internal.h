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

/** The libfuse API this code is written for (3.12); set before fuse.h. */
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
struct rfs_jobs;

/** A live recycle entry, as the mount needs it. */
struct fs_bin_entry {
	int64_t id;	    /**< the entry's index row id */
	char *bin_path;	    /**< where it shows under .recyclebin/ */
	int64_t epoch_id;   /**< the epoch it came from */
	char *item_key;	    /**< the item under that epoch's root */
	char *src_uri;	    /**< that epoch's root URI */
	char *bin_root_uri; /**< the storage's recycle URI */
	int state;	    /**< an enum rfs_entry_state */
	bool is_dir;	    /**< a folder (else a file or symlink) */
	bool restored;	    /**< restored since it was archived */
	int64_t created_ns; /**< when it was moved in; its folders' times */
};

/** A reference-counted snapshot of the catalog and the recycle bin. */
struct fs_snap {
	struct rfs_catalog *cat;  /**< the sealed catalog, owned */
	struct fs_bin_entry *bin; /**< live entries, by bin_path */
	size_t n_bin;		  /**< the number of @p bin entries */
	/** Entries whose origin the mount hides: archiving ones, and whole
	 * epochs in the bin (pointers into bin). */
	const struct fs_bin_entry **hide;
	size_t n_hide; /**< the number of @p hide pointers */
	int refs;      /**< guarded by rfs_fs_state.lock */
};

/** One request's view: the snapshot it holds and what its path names. */
struct req {
	struct rfs_fs_state *st; /**< the mount's state */
	struct fs_snap *snap;	 /**< the snapshot it holds a reference on */
	struct rfs_node node;	 /**< what its path names; borrows from snap */
	struct rfs_backend *b;	 /**< EPOCH: its backend, NULL if it has none */
	int berr;		 /**< EPOCH: why b is NULL */
};

/** One opened backend, by URI. */
struct fs_backend_slot {
	char *uri;	       /**< the key; NULL for a free slot; owned */
	struct rfs_backend *b; /**< NULL when opening failed */
	int error;	       /**< the -errno opening gave */
	int64_t retry_ns;      /**< when to try opening again */
};

/** The state of one mount; fuse_get_context()->private_data. */
struct rfs_fs_state {
	char *index_path;      /**< the index file, made absolute */
	char *mountpoint;      /**< the mountpoint, made absolute */
	struct rfs_index *idx; /**< guarded by lock; for catalog reloads */
	/** Guards idx, snap and the reference counts, data_version,
	 * next_check_ns, writers and the backend slots. */
	pthread_mutex_t lock;
	struct rfs_index *widx;	   /**< guarded by wlock; for changes */
	pthread_mutex_t wlock;	   /**< guards widx */
	struct rfs_jobs *jobs;	   /**< the recycle job workers */
	struct fs_writer *writers; /**< files open for writing; under lock */
	struct fs_hidden *hidden;  /**< unlinked open files; under lock */
	struct fs_snap *snap;	   /**< the current snapshot */
	/** The index's data version the snapshot was loaded at; -1 forces a
	 * reload. */
	int64_t data_version;
	int64_t next_check_ns; /**< monotonic time of the next index check */
	struct fs_backend_slot *slots; /**< open addressing, by URI hash */
	/** The number of @p slots, a power of two. */
	size_t n_slots, used_slots; /**< slots in use; at most half */
	uid_t uid;		    /**< owner shown on catalog directories */
	gid_t gid;		    /**< group shown on catalog directories */
	int64_t mounted_ns; /**< when it was mounted; the root's times */
};

/** A file open through the mount. */
struct fs_writer {
	struct fs_writer *next; /**< the next in rfs_fs_state::writers */
	void *file;		/**< its struct rfs_file */
	int64_t epoch_id; /**< the catalog id of its epoch; 0 in the bin */
	char *key;    /**< its key under the epoch root (in the bin: its mount
			 path) when opened, owned */
	bool writing; /**< open for writing */
};

/** An open file whose last name was removed (unlink, or a rename over
 * it) while open: libfuse renames it to a hidden name, and recyclefs keeps
 * a descriptor of its own so that fstat, fchmod, fchown and futimens go on
 * working until the last close, as on the storage itself. */
struct fs_hidden {
	struct fs_hidden *next; /**< the next in rfs_fs_state::hidden */
	char *path;		/**< libfuse's hidden path, owned */
	int fd;			/**< the file, read-only; owned */
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

/** Make the next fs_snap_get() reload, after a change of our own. */
void fs_snap_invalidate(struct rfs_fs_state *st);

/**
 * Start a request: take a snapshot and resolve @p path.
 * @return 0, or -ENOENT (the snapshot is then released)
 */
int fs_req_begin(struct req *q, const char *path);

/** End a request started with fs_req_begin(). */
void fs_req_end(struct req *q);

/**
 * The backend of a URI, opened on first use and kept for the mount's life
 * (thread-safe).
 * @return 0 and set @p out (borrowed), -EPROTONOSUPPORT, or -EIO (logged)
 */
int fs_backend_for(struct rfs_fs_state *st, const char *uri,
		   struct rfs_backend **out);

/** True when the origin @p key of epoch @p epoch_id is hidden because it
 * is in the recycle bin (being archived, or a whole archived epoch). */
bool fs_bin_hides(const struct fs_snap *s, int64_t epoch_id, const char *key);

/** Load the live entries into @p s (called under the state's lock). */
int fs_bin_load(struct rfs_index *idx, struct fs_snap *s);

/** Free the entries of @p s. */
void fs_bin_release(struct fs_snap *s);

/** getattr of a path under .recyclebin. */
int fs_bin_getattr(struct req *q, struct stat *st);

/** readdir of a path under .recyclebin. */
int fs_bin_readdir(struct req *q, void *buf, fuse_fill_dir_t filler,
		   enum fuse_fill_dir_flags plus);

/** readlink of a path under .recyclebin. */
int fs_bin_readlink(struct req *q, char *buf, size_t size);

/** open (read-only) of a file under .recyclebin. */
int fs_bin_open(struct req *q, struct fuse_file_info *fi);

/** unlink under .recyclebin: deletes recycle data for good. */
int fs_bin_unlink(struct req *q, const char *path);

/** rmdir under .recyclebin: an emptied entry root purges the entry. */
int fs_bin_rmdir(struct req *q, const char *path);

/** getxattr of a path under .recyclebin (user.recyclefs.*). */
int fs_bin_getxattr(struct req *q, const char *name, char *value, size_t size);

/** listxattr of a path under .recyclebin. */
int fs_bin_listxattr(struct req *q, char *list, size_t size);

/**
 * A rename of the item @p src into the bin at @p dst_rest: archive it.
 * @return 0 once the archive is recorded (it runs in the background),
 *         or -errno with the reason logged
 */
int fs_bin_archive(struct req *src, const char *from, const char *dst_rest);

/**
 * setxattr user.recyclefs.restore[_overwrite]=TARGET on a bin path: start a
 * restore to TARGET (a catalog path, a URI, or "" for the original place).
 * @return 0 once recorded (it runs in the background), or -errno with
 *         the reason logged
 */
int fs_bin_restore(struct req *q, const char *path, const char *value,
		   size_t size, bool overwrite);

/** Note an opened file (for archive's EBUSY check when @p writing, and
 * to tell libfuse's hiding of an open file from a user's rename). */
void fs_writer_add(struct rfs_fs_state *st, void *file, int64_t epoch_id,
		   const char *key, bool writing);

/** True when a file opened under @p key of epoch @p epoch_id (0 and the
 * mount path in the bin) is still open. */
bool fs_is_open(struct rfs_fs_state *st, int64_t epoch_id, const char *key);

/** Forget a file noted with fs_writer_add(); unknown files are ignored. */
void fs_writer_remove(struct rfs_fs_state *st, void *file);

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

/**
 * Give @p st the inode number the mount shows: the storage's own (mixed
 * with its device so two filesystems' numbers do not meet), or, where the
 * storage has none (st_ino 0), a hash of the mount path @p dir + "/" +
 * @p name (@p name may be NULL; nothing is set when @p dir is NULL).
 */
void fs_set_ino(struct stat *st, const char *dir, const char *name);

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

/** Log (at debug) and return -ENOTSUP for a setxattr of one of
 * recyclefs's own names (those starting "user.recyclefs.") outside the
 * bin: `cp -a` out of the bin copies them, and ignores ENOTSUP silently. */
int fs_unsupported(const char *op, const char *path, const char *name);

/** Log and return -EPERM for a refused change at a catalog level. */
int fs_refuse(const char *op, const char *path, const char *why);

#endif
