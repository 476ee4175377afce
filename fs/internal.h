/**
 * @file internal.h
 * @brief What the FUSE entry point's files share (not a public API).
 *
 * The mount is written on libfuse's low-level API. The kernel names nodes
 * by node id: fs/inode.c keeps the table of nodes it was told about
 * (lookup counts, forget), each with its parent, its name and the table
 * of operations of its kind (struct fs_kind). A request takes the node,
 * builds its mount path, takes a reference on the current catalog
 * snapshot (rfs_fs_snap_get()) and resolves the path in it
 * (rfs_fs_req_begin()), then calls its kind's operation; the kinds reuse the
 * path-based internals (the namespace, the bin's view). Snapshots and backends
 * are shared by all FUSE threads; a watcher thread reloads the snapshot and
 * tells the kernel what changed (fs/snap.c), so no FUSE thread waits on a
 * reload or sends a notification.
 */
#ifndef RFS_FS_INTERNAL_H
#define RFS_FS_INTERNAL_H

/** The libfuse API this code is written for (3.12); set before fuse.h. */
#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "core/namespace.h"

struct rfs_backend;
struct rfs_catalog;
struct rfs_entry;
struct rfs_epoch;
struct rfs_file;
struct rfs_index;
struct rfs_jobs;
struct fs_kind;
struct fs_parts;
struct dirlist;

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
	char uuid[33];	    /**< the entry's uuid: names a relational copy */
};

/** A reference-counted snapshot of the catalog and the recycle bin. */
struct fs_snap {
	struct rfs_catalog *cat;  /**< the sealed catalog, shared by the
				   * snapshots derived from this one */
	int *cat_refs;		  /**< the snapshots sharing @p cat (atomic) */
	struct fs_bin_entry *bin; /**< live entries, by bin_path */
	size_t n_bin;		  /**< the number of @p bin entries */
	/** Entries whose origin the mount hides: archiving ones, and whole
	 * epochs in the bin (pointers into bin). */
	const struct fs_bin_entry **hide;
	size_t n_hide;	    /**< the number of @p hide pointers */
	uint64_t gen;	    /**< counts the snapshots of a mount, from 1 */
	uint64_t bin_print; /**< a hash of the entries' ids and states */
	int refs;	    /**< guarded by rfs_fs_state.snap_lock */
	/** A derived snapshot's own entry (0 for a loaded one): a reload
	 * that lacks it (with @p pin_gone: that still has it) is older than
	 * the change and is not swapped in before @p pin_until_ns. */
	int64_t pin_id;
	bool pin_gone; /**< @p pin_id was taken out (a purge), not added */
	int64_t pin_until_ns; /**< see @p pin_id (CLOCK_MONOTONIC ns) */
};

/** One request's view: the snapshot it holds and what its path names. */
struct req {
	struct rfs_fs_state *st; /**< the mount's state */
	struct fs_snap *snap;	 /**< the snapshot it holds a reference on */
	struct rfs_node node;	 /**< what its path names; borrows from snap */
	struct rfs_backend *b;	 /**< EPOCH: its backend, NULL if it has none */
	int berr;		 /**< EPOCH: why b is NULL */
	const char *path;	 /**< the mount path it resolved; borrowed */
	uid_t uid;		 /**< the caller */
	gid_t gid;		 /**< the caller's group */
	pid_t pid; /**< the caller's thread, for its other groups; 0
		      outside a FUSE request */
};

/** One opened backend, by URI. */
struct fs_backend_slot {
	char *uri;	       /**< the key; NULL for a free slot; owned */
	struct rfs_backend *b; /**< NULL when opening failed */
	int error;	       /**< the -errno opening gave */
	int64_t retry_ns;      /**< when to try opening again */
	bool opening;	       /**< a thread opens it now, without the lock */
};

/** What the watcher thread is asked to tell the kernel. */
struct fs_notice {
	struct fs_notice *next; /**< the next in the queue */
	fuse_ino_t parent;	/**< a name's folder, or 0 for a node */
	fuse_ino_t ino;		/**< the node (when parent is 0) */
	char name[];		/**< the name in @p parent */
};

/** One node the kernel knows by node id (see fs/inode.c). */
struct fs_inode {
	fuse_ino_t id; /**< the node id; FUSE_ROOT_ID for the root */
	const struct fs_kind *kind; /**< its operations; set at lookup */
	struct fs_inode *parent;    /**< its folder (a reference); NULL for the
				     * root and for nodes without a name */
	char *name;	  /**< its name in @p parent; NULL once removed */
	uint64_t nlookup; /**< the kernel's lookups; under the table lock */
	unsigned refs;	  /**< named children and running requests */
	struct fs_inode *next_id; /**< in the table's hash by id */
	struct fs_inode
		*next_name;   /**< in the table's hash by (parent, name) */
	pthread_mutex_t lock; /**< guards what follows */
	struct fs_fh *opens;  /**< its open files */
	bool seen;	      /**< size, mtime and gen below are set */
	off_t size;	      /**< its size at the last open */
	struct timespec mtim; /**< its mtime at the last open */
	uint64_t snap_gen;    /**< the snapshot of its last opendir */
	/** Its attributes when its last name went (a node of local storage
	 * the kernel held then), for a descriptor still open on it: fstat
	 * answers them, fchmod, fchown and futimens change them; NULL
	 * otherwise. */
	struct stat *gone;
	/** The storage's inode number (st_ino as the mount shows it) of a
	 * node that is not a folder, 0 when unknown: hard links share it;
	 * under the table lock, as the next two. */
	uint64_t st_ino;
	nlink_t nlink; /**< its link count the kernel was last given */
	struct fs_inode *next_ino; /**< in the table's hash by st_ino */
};

/** An open file: fuse_file_info::fh. */
struct fs_fh {
	struct fs_fh *next;   /**< the next open file of the same node */
	struct rfs_file *f;   /**< the storage's file, owned */
	struct fs_inode *ino; /**< the node (a reference) */
	/** The kernel's passthrough backing id (fuse_passthrough_open()),
	 * shared by every open of the node that has one; 0 when reads and
	 * writes come to the daemon. */
	int backing_id;
};

/** The state of one mount; fuse_req_userdata(). */
struct rfs_fs_state {
	char *index_path;	     /**< the index file, made absolute */
	char *mountpoint;	     /**< the mountpoint, made absolute */
	struct rfs_index *idx;	     /**< the watcher's, for catalog reloads */
	pthread_mutex_t reload_lock; /**< guards idx and data_version */
	pthread_mutex_t snap_lock;   /**< guards snap and the snapshots'
				      * reference counts */
	/** Guards writers and the backend slots. */
	pthread_mutex_t lock;
	/** Signalled (under lock) when a slot's opening ends. */
	pthread_cond_t slot_cond;
	/* The opening of the epochs' storages at mount start (fs/fs.c). */
	pthread_t ahead;	/**< the thread that opens them */
	bool ahead_on;		/**< @p ahead runs (joined at unmount) */
	bool ahead_stop;	/**< atomic: the unmount began, open no more */
	struct rfs_index *widx; /**< guarded by wlock; for changes */
	pthread_mutex_t wlock;	/**< guards widx */
	struct rfs_jobs *jobs;	/**< the recycle job workers */
	struct fs_writer *writers; /**< files open for writing; under lock */
	struct fs_snap *snap;	   /**< the current snapshot */
	/** The index's data version the snapshot was loaded at; -1 forces a
	 * reload. */
	int64_t data_version;
	/** Under reload_lock: a reload was refused (fs/snap.c), the next
	 * check reloads whatever the data version. */
	bool reload_force;
	struct fs_backend_slot *slots; /**< open addressing, by URI hash */
	/** The number of @p slots, a power of two. */
	size_t n_slots, used_slots; /**< slots in use; at most half */
	uid_t uid;		    /**< owner shown on catalog directories */
	gid_t gid;		    /**< group shown on catalog directories */
	int64_t mounted_ns;	 /**< when it was mounted; the root's times */
	double timeout;		 /**< entry and attribute timeout (seconds) */
	double entry_timeout;	 /**< names kept by the kernel (seconds) */
	double attr_timeout;	 /**< attributes kept by the kernel (seconds) */
	uint64_t generation;	 /**< the generation of every node id */
	struct fuse_session *se; /**< the FUSE session */
	bool passthrough_off;	 /**< -o passthrough=off */
	/** Opened local files are passed through to the kernel: set at init
	 * when the kernel offers it, cleared (atomically) when the kernel
	 * refuses a backing file. */
	int passthrough;
	/* The inode table (fs/inode.c). */
	pthread_mutex_t table_lock; /**< guards the table and the nodes'
				     * parent, name, nlookup and refs */
	struct fs_inode **by_id;    /**< hash by node id */
	struct fs_inode **by_name;  /**< hash by (parent, name) */
	struct fs_inode **by_ino;   /**< hash by st_ino (hard links) */
	size_t n_buckets;	    /**< of each hash, a power of two */
	size_t n_inodes;	    /**< in the table */
	fuse_ino_t next_id;	    /**< the next node id given out */
	struct fs_inode *root;	    /**< the root node */
	/* The watcher thread (fs/snap.c). */
	pthread_t watcher;	     /**< reloads and notifies */
	bool watching;		     /**< the watcher runs */
	bool stop;		     /**< under notice_lock: stop the watcher */
	pthread_mutex_t notice_lock; /**< guards notices and stop */
	pthread_cond_t notice_cond;  /**< signals notices and stop */
	struct fs_notice *notices;   /**< what to tell the kernel */
	bool reload_wanted;	     /**< under notice_lock */
	/** The relational epochs' generations (fs/rel.c). */
	struct fs_rel *rel;
	/** Parts of bin entries queued for purging (fs/snap_parts.c). */
	struct fs_parts *parts;
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

/** How often the watcher checks the index for catalog changes. */
#define FS_RELOAD_INTERVAL_NS (200 * 1000 * 1000LL)

/** The default entry and attribute timeout (-o cache_timeout), seconds. */
#define FS_DEFAULT_TIMEOUT 60.0

/** Take a reference on the current snapshot (never waits on a reload). */
struct fs_snap *rfs_fs_snap_get(struct rfs_fs_state *st);

/** Drop a reference taken with rfs_fs_snap_get(). */
void rfs_fs_snap_put(struct rfs_fs_state *st, struct fs_snap *snap);

/** Reload the snapshot now, after a change of our own (a job that ended),
 * and have the watcher tell the kernel what changed. Not for FUSE threads:
 * they use rfs_fs_snap_add_entry(), rfs_fs_snap_drop_entry() or
 * rfs_fs_snap_changed(). */
void rfs_fs_snap_invalidate(struct rfs_fs_state *st);

/**
 * A recycle entry the mount itself just recorded (an archive): swap in at
 * once a snapshot with it (no reload: the catalog is shared with the
 * current snapshot), and have the watcher reload from the index and tell
 * the kernel what changed. For FUSE threads: never waits on a reload.
 */
void rfs_fs_snap_add_entry(struct rfs_fs_state *st, const struct rfs_entry *e);

/**
 * A recycle entry the mount itself just marked for purging (rm in the
 * bin): swap in at once a snapshot without it, and have the watcher reload
 * from the index and tell the kernel what changed. For FUSE threads: never
 * waits on a reload.
 */
void rfs_fs_snap_drop_entry(struct rfs_fs_state *st, int64_t id);

/**
 * Something the mount shows changed in the index by the mount's own hand
 * (a part of a bin entry purged): have the watcher reload and tell the
 * kernel. For FUSE threads: returns at once.
 */
void rfs_fs_snap_changed(struct rfs_fs_state *st);

/**
 * A snapshot like @p base without the recycle entry @p id (sharing its
 * catalog), pinned until @p pin_until_ns (see fs_snap::pin_id).
 * @return 0 and set @p out (one reference, the caller's), -ENOENT when
 *         @p base lacks the entry already, or -ENOMEM
 */
int rfs_fs_snap_without_entry(struct fs_snap *base, int64_t id,
			      int64_t pin_until_ns, struct fs_snap **out);

/** A new, empty set of queued parts. @return 0 or -ENOMEM */
int rfs_fs_parts_new(struct fs_parts **out);

/** Free a set of queued parts; NULL does nothing. */
void rfs_fs_parts_free(struct fs_parts *p);

/**
 * Part @p path of bin entry @p id was queued for purging (the index
 * committed it): from now on the mount shows it gone. Thread-safe.
 * @return 0 or -ENOMEM
 */
int rfs_fs_parts_add(struct rfs_fs_state *st, int64_t id, const char *path);

/**
 * True when @p sub of bin entry @p id, or a folder above it inside the
 * entry, is queued for purging: the mount shows it gone. Thread-safe;
 * never touches the index.
 */
bool rfs_fs_parts_hidden(struct rfs_fs_state *st, int64_t id, const char *sub);

/**
 * Forget the parts of entry @p id the index no longer queues (their batch
 * ended), keeping those added since the call began. For a job worker's
 * thread, with @p idx its own or under its lock.
 */
void rfs_fs_parts_prune(struct rfs_fs_state *st, struct rfs_index *idx,
			int64_t id);

/**
 * Add every part the index queues (a daemon stopped before its workers
 * purged them). @return 0 or -errno
 */
int rfs_fs_parts_load(struct rfs_fs_state *st, struct rfs_index *idx);

/** True when snapshot @p s has the recycle entry @p id. */
bool rfs_fs_snap_has_entry(const struct fs_snap *s, int64_t id);

/**
 * A snapshot like @p base with the recycle entry @p e added (sharing its
 * catalog), pinned until @p pin_until_ns (see fs_snap::pin_id).
 * @return 0 and set @p out (one reference, the caller's), -EEXIST when
 *         @p base has the entry already, or -ENOMEM
 */
int rfs_fs_snap_with_entry(struct fs_snap *base, const struct rfs_entry *e,
			   int64_t pin_until_ns, struct fs_snap **out);

/** Free a snapshot no one holds (its last reference). */
void rfs_fs_snap_free(struct fs_snap *s);

/**
 * Load a snapshot from @p idx.
 * @return 0 and set @p out, or -errno with the reason logged
 */
int rfs_fs_snap_load(struct rfs_fs_state *st, struct rfs_index *idx,
		     struct fs_snap **out);

/* The relational epochs (fs/rel.c). */

/** Set up what fs/rel.c keeps. @return 0 or -ENOMEM */
int rfs_fs_rel_init(struct rfs_fs_state *st);

/** Free what fs/rel.c keeps (NULL state fields are ignored). */
void rfs_fs_rel_release(struct rfs_fs_state *st);

/**
 * Before request @p q answers on a node of a relational epoch (a storage
 * with relational steps; anything else is ignored): when a job changed
 * the epoch since the last request (its generation in the index), the
 * storage forgets what it generated, so the answer is taken from the
 * storage again. For FUSE threads: one index read, no reload, no notice.
 */
void rfs_fs_rel_check(struct req *q);

/**
 * For the watcher, after it loaded a new snapshot (the index changed): for
 * every relational epoch whose generation changed, the storage forgets what
 * it generated and the kernel is told to drop the epoch's nodes (queued
 * notices). Called with reload_lock held (it reads st->idx).
 */
void rfs_fs_rel_sweep(struct rfs_fs_state *st);

/** Start the watcher thread. @return 0 or -errno */
int rfs_fs_watch_start(struct rfs_fs_state *st);

/** Stop the watcher thread (it sends what is queued first). */
void rfs_fs_watch_stop(struct rfs_fs_state *st);

/** Queue a notice: the kernel drops name @p name of @p parent. */
void rfs_fs_notify_entry(struct rfs_fs_state *st, fuse_ino_t parent,
			 const char *name);

/** Queue a notice: the kernel drops what it keeps of node @p ino. */
void rfs_fs_notify_inode(struct rfs_fs_state *st, fuse_ino_t ino);

/**
 * Send the notices @p n (a list taken off rfs_fs_state::notices) to the
 * kernel and free them. Called by the watcher thread only, with no lock
 * held.
 */
void rfs_fs_notify_send(struct rfs_fs_state *st, struct fs_notice *n);

/**
 * Start a request: take a snapshot and resolve @p path.
 * @return 0, or -ENOENT (the snapshot is then released)
 */
int rfs_fs_req_begin(struct req *q, struct rfs_fs_state *st, const char *path);

/** End a request started with rfs_fs_req_begin(). */
void rfs_fs_req_end(struct req *q);

/**
 * The backend of a URI, opened on first use and kept for the mount's life
 * (thread-safe).
 * @return 0 and set @p out (borrowed), -EPROTONOSUPPORT, or -EIO (logged)
 */
int rfs_fs_backend_for(struct rfs_fs_state *st, const char *uri,
		       struct rfs_backend **out);

/** True when the origin @p key of epoch @p epoch_id is hidden because it
 * is in the recycle bin (being archived, or a whole archived epoch). */
bool rfs_fs_bin_hides(const struct fs_snap *s, int64_t epoch_id,
		      const char *key);

/** Load the live entries into @p s. */
int rfs_fs_bin_load(struct rfs_index *idx, struct fs_snap *s);

/** Free the entries of @p s. */
void rfs_fs_bin_release(struct fs_snap *s);

/** Note an opened file (for archive's EBUSY check when @p writing). */
void rfs_fs_writer_add(struct rfs_fs_state *st, void *file, int64_t epoch_id,
		       const char *key, bool writing);

/** Forget a file noted with rfs_fs_writer_add(); unknown files are ignored. */
void rfs_fs_writer_remove(struct rfs_fs_state *st, void *file);

/**
 * Open the storages of every epoch of the current snapshot on a thread
 * of their own, so that the first request into an epoch does not pay for
 * it. A storage that cannot be opened is logged and left to the first
 * request, as without this. Never fails the mount: without a thread, the
 * storages are opened on first use.
 */
void rfs_fs_open_ahead_start(struct rfs_fs_state *st);

/** Stop opening ahead (between two storages) and join the thread; safe
 * when rfs_fs_open_ahead_start() was not called or started nothing. */
void rfs_fs_open_ahead_stop(struct rfs_fs_state *st);

/**
 * The backend of an epoch, opened on first use and kept for the mount's
 * life (thread-safe).
 * @return 0 and set @p out (borrowed), -EPROTONOSUPPORT for catalog-only
 *         storage, or -EIO when it cannot be opened (logged)
 */
int rfs_fs_epoch_backend(struct rfs_fs_state *st, const struct rfs_epoch *e,
			 struct rfs_backend **out);

/** True when @p key inside epoch @p e is the storage's hidden bin. */
bool rfs_fs_key_hidden(const struct rfs_epoch *e, const char *key);

/** Attributes of a catalog-level directory. */
void rfs_fs_dir_stat(struct rfs_fs_state *st, int64_t time_ns,
		     struct stat *out);

/**
 * Give @p st the inode number the mount shows: the storage's own (mixed
 * with its device so two filesystems' numbers do not meet), or, where the
 * storage has none (st_ino 0), a hash of the mount path @p dir + "/" +
 * @p name (@p name may be NULL; nothing is set when @p dir is NULL).
 */
void rfs_fs_set_ino(struct stat *st, const char *dir, const char *name);

/** getxattr for catalog nodes and epoch roots: user.recyclefs.* values.
 * @return size, -ENODATA when @p name is not a recyclefs attribute */
int rfs_fs_node_getxattr(struct rfs_fs_state *st, const struct rfs_node *n,
			 const char *name, char *value, size_t size);

/** listxattr of the user.recyclefs.* names of a node (appended at @p list).
 * @return bytes needed/written, or -ERANGE */
int rfs_fs_node_listxattr(struct rfs_fs_state *st, const struct rfs_node *n,
			  char *list, size_t size);

/** Log (at debug) and return -ENOTSUP for a setxattr of one of
 * recyclefs's own names (those starting "user.recyclefs.") outside the
 * bin: `cp -a` out of the bin copies them, and ignores ENOTSUP silently. */
int rfs_fs_unsupported(const char *op, const char *path, const char *name);

/** Log and return -EPERM for a refused change at a catalog level. */
int rfs_fs_refuse(const char *op, const char *path, const char *why);

/* The listing of a directory (fs/dir.c). */

/** One entry of a listing. */
struct dent {
	char *name;		    /**< owned */
	struct stat st;		    /**< its attributes (st_mode at least) */
	bool plus;		    /**< @p st holds all its attributes */
	const struct fs_kind *kind; /**< its kind when @p plus */
};

/** A directory's listing, taken at opendir: fuse_file_info::fh. */
struct dirlist {
	struct dent *v;		    /**< the entries */
	size_t n;		    /**< the number of entries */
	size_t cap;		    /**< allocated */
	bool oom;		    /**< an entry could not be added */
	char *path;		    /**< the directory's mount path, owned */
	const struct fs_kind *kind; /**< the directory's kind */
	bool listed;		    /**< the entries are taken */
};

/** Add an entry to @p d (@p st may be NULL: a name only; with @p kind,
 * @p st holds every attribute of a node of that kind). @return 0, or 1
 * when out of memory */
int rfs_fs_dir_add(struct dirlist *d, const char *name, const struct stat *st,
		   const struct fs_kind *kind);

/** Free a listing (NULL is ignored). */
void rfs_fs_dir_free(struct dirlist *d);

/* The kinds of node. */

/**
 * The operations of one kind of node. Every member is set: a kind that
 * refuses an operation says so with its own function. @p q is the node's
 * own request (for operations on a name in a folder: the folder's).
 */
struct fs_kind {
	const char *what; /**< "a table", for messages */
	bool live;	  /**< the kernel keeps nothing of it (timeouts 0) */
	/** stat. */
	int (*getattr)(struct req *q, struct stat *st);
	/** chmod, chown, truncate, utimens (FUSE_SET_ATTR_* in @p to_set). */
	int (*setattr)(struct req *q, const struct stat *attr, int to_set);
	/** readlink. */
	int (*readlink)(struct req *q, char *buf, size_t size);
	/** The whole listing of a directory. */
	int (*list)(struct req *q, struct dirlist *d);
	/** open of the node (flags as open(2)). */
	int (*open)(struct req *q, int flags, struct rfs_file **f);
	/** create of @p name in the folder. */
	int (*create)(struct req *q, const char *name, mode_t mode, int flags,
		      struct rfs_file **f);
	/** mknod of @p name in the folder. */
	int (*mknod)(struct req *q, const char *name, mode_t mode, dev_t rdev);
	/** mkdir of @p name in the folder. */
	int (*mkdir)(struct req *q, const char *name, mode_t mode);
	/** symlink @p name -> @p target in the folder. */
	int (*symlink)(struct req *q, const char *target, const char *name);
	/** unlink of @p name in the folder. */
	int (*unlink)(struct req *q, const char *name);
	/** rmdir of @p name in the folder. */
	int (*rmdir)(struct req *q, const char *name);
	/** getxattr. @return size, or -errno */
	int (*getxattr)(struct req *q, const char *name, char *value,
			size_t size);
	/** listxattr. @return size, or -errno */
	int (*listxattr)(struct req *q, char *list, size_t size);
	/** setxattr. */
	int (*setxattr)(struct req *q, const char *name, const char *value,
			size_t size, int flags);
	/** removexattr. */
	int (*removexattr)(struct req *q, const char *name);
	/** statfs. */
	int (*statfs)(struct req *q, struct statvfs *out);
};

/** The kinds (fs/kinds.c, fs/epoch.c, fs/bin.c). */
extern const struct fs_kind rfs_fs_kind_root, rfs_fs_kind_table,
	rfs_fs_kind_lifecycle, rfs_fs_kind_classes, rfs_fs_kind_class,
	rfs_fs_kind_class_link, rfs_fs_kind_epoch_root, rfs_fs_kind_epoch_none,
	rfs_fs_kind_epoch_entry, rfs_fs_kind_bin;

/** The kind of what @p q resolved to (fs/rename.c). */
const struct fs_kind *rfs_fs_kind_of(const struct req *q);

/** The kind of a catalog node @p q resolved to (root, table, lifecycle,
 * classifications; fs/kinds.c). */
const struct fs_kind *rfs_fs_kind_catalog(const struct req *q);

/** A refusal for operations a kind never allows: logs, -EPERM. */
int rfs_fs_kind_refuse(const struct req *q, const char *op, const char *path);

/* Shared by the kinds. */

/** Log a failure of the storage itself, with the adapter's reason.
 * @return @p r */
int rfs_fs_storage_failed(struct rfs_backend *b, const char *op,
			  const char *path, int r);

/** chmod, chown, utimens refused by the storage (-ENOSYS) become EPERM
 * with the reason logged; other failures as rfs_fs_storage_failed(). */
int rfs_fs_attr_failed(struct rfs_backend *b, const char *op, const char *path,
		       int r);

/** Give a new file to the caller of @p q when the daemon runs as root
 * for someone else. */
void rfs_fs_own_by_caller(const struct req *q, struct rfs_backend *b,
			  const char *key);

/** Apply the FUSE_SET_ATTR_* of @p to_set to the open file @p f.
 * @return 0 or -errno */
int rfs_fs_file_setattr(struct rfs_file *f, const struct stat *attr,
			int to_set);

/** rename of two mount paths (the path-based rules: within an epoch,
 * EXDEV between epochs, an archive into the bin, EPERM elsewhere). */
int rfs_fs_rename_paths(struct rfs_fs_state *st, const char *from,
			const char *to, unsigned int flags);

/** "." and ".." of a listing (the folder's attributes in ".", from the
 * getattr of @p d's kind). */
int rfs_fs_kind_dir_begin(struct req *q, struct dirlist *d);

/** The rename of @p name in @p q to @p newname in @p dst, for every kind,
 * by path (rfs_fs_rename_paths(); fs/rename.c); 1 for an archive. */
int rfs_fs_kind_rename(struct req *q, const char *name, struct req *dst,
		       const char *newname, unsigned int flags);

/** The link of @p src as @p name in @p q, for every kind, by path
 * (fs/rename.c). */
int rfs_fs_kind_link(struct req *q, const char *name, struct req *src);

/** create, mknod, mkdir, symlink of a kind that takes no new names:
 * rfs_fs_kind_refuse() (logged, -EPERM). */
int rfs_fs_refuse_create(struct req *q, const char *name, mode_t mode,
			 int flags, struct rfs_file **f);
/** See rfs_fs_refuse_create(). */
int rfs_fs_refuse_mknod(struct req *q, const char *name, mode_t mode,
			dev_t rdev);
/** See rfs_fs_refuse_create(). */
int rfs_fs_refuse_mkdir(struct req *q, const char *name, mode_t mode);
/** See rfs_fs_refuse_create(). */
int rfs_fs_refuse_symlink(struct req *q, const char *target, const char *name);

/** getxattr of a node with only recyclefs's own attributes
 * (rfs_fs_node_getxattr()). */
int rfs_fs_own_getxattr(struct req *q, const char *name, char *value,
			size_t size);

/** listxattr of a node with only recyclefs's own attributes. */
int rfs_fs_own_listxattr(struct req *q, char *list, size_t size);

/** removexattr where nothing may be removed: -EPERM with the reason
 * logged (read-only user.recyclefs.* names, or the kind's refusal). */
int rfs_fs_refuse_removexattr(struct req *q, const char *name);

/** readlink of what is not a symlink: -EINVAL. */
int rfs_fs_no_readlink(struct req *q, char *buf, size_t size);

/** statfs of the index's filesystem. */
int rfs_fs_index_statfs(struct req *q, struct statvfs *out);

/** True for recyclefs's own attribute names (user.recyclefs.*). */
bool rfs_fs_is_rfs_attr(const char *name);

/** rfs_fs_req_begin() for a new name: a name the mount reserves (being
 * archived, the storage's bin, a catalog level) is refused with the
 * reason logged (-EBUSY, -EPERM); -ENOENT otherwise. */
int rfs_fs_req_begin_new(struct req *q, struct rfs_fs_state *st,
			 const char *path, const char *op);

/** A mount path @p dir + "/" + @p name, in @p buf (of @p size).
 * @return 0 or -ENAMETOOLONG */
int rfs_fs_path_join(char *buf, size_t size, const char *dir, const char *name);

/* The bin's path-based operations (fs/bin_ops.c, fs/bin_access.c). */

/**
 * A rename of the item @p src into the bin at @p dst_rest: archive it.
 * @return 0 once the archive is recorded (it runs in the background),
 *         or -errno with the reason logged
 */
int rfs_fs_bin_archive(struct req *src, const char *from, const char *dst_rest);

/**
 * Refuse a new name @p op (create, mkdir, link, ...) made at @p path in
 * bin folder @p q other than by a move in, the reason logged.
 * @return -EACCES for a caller other than root and the mount's owner in
 *         the bin's own folders (which show writable by all only so that
 *         moves in pass the kernel's check), -EPERM otherwise
 */
int rfs_fs_bin_refuse_new(struct req *q, const char *op, const char *path);

/* The inode table (fs/inode.c). */

/** Set up the table with its root node. @return 0 or -ENOMEM */
int rfs_fs_inodes_init(struct rfs_fs_state *st);

/** Free the table and every node. */
void rfs_fs_inodes_release(struct rfs_fs_state *st);

/** The node @p id with a reference taken (release with rfs_fs_inode_put()),
 * or NULL when the table has no such node. */
struct fs_inode *rfs_fs_inode_get(struct rfs_fs_state *st, fuse_ino_t id);

/** Drop a reference taken with rfs_fs_inode_get() or rfs_fs_inode_lookup(). */
void rfs_fs_inode_put(struct rfs_fs_state *st, struct fs_inode *n);

/**
 * The node of @p name in @p parent, made when new or when its kind
 * changed, with one more lookup counted and a reference taken.
 * @param st     the mount
 * @param parent the folder's node
 * @param name   the name in it
 * @param kind   the node's kind (its table of operations)
 * @param attr the attributes the kernel is given with it (st_ino as the
 *             mount shows it), or NULL: a file's inode number and link
 *             count are kept, and the other names of the same file whose
 *             link count the kernel holds differently are invalidated
 *             (a name added with link(), see rfs_fs_inode_unlink())
 * @return the node, or NULL when out of memory
 */
struct fs_inode *rfs_fs_inode_lookup(struct rfs_fs_state *st,
				     struct fs_inode *parent, const char *name,
				     const struct fs_kind *kind,
				     const struct stat *attr);

/** The kernel forgets @p n lookups of node @p id. */
void rfs_fs_inode_forget(struct rfs_fs_state *st, fuse_ino_t id, uint64_t n);

/** @p name in @p parent was removed: its node loses its name, and the
 * kernel is told to drop the attributes of the other names of the same
 * file (their link count changed), before this returns. */
void rfs_fs_inode_unlink(struct rfs_fs_state *st, struct fs_inode *parent,
			 const char *name);

/** The kind of the node of @p name in @p parent, or NULL when the kernel
 * holds no node of that name. */
const struct fs_kind *rfs_fs_inode_known(struct rfs_fs_state *st,
					 struct fs_inode *parent,
					 const char *name);

/** Keep @p last as the attributes of the node of @p name in @p parent,
 * about to lose its name (see fs_inode::gone). */
void rfs_fs_inode_set_gone(struct rfs_fs_state *st, struct fs_inode *parent,
			   const char *name, const struct stat *last);

/** @p name in @p parent is now @p newname in @p newparent (a node
 * already there loses its name, as with rfs_fs_inode_unlink()). */
void rfs_fs_inode_rename(struct rfs_fs_state *st, struct fs_inode *parent,
			 const char *name, struct fs_inode *newparent,
			 const char *newname);

/**
 * The mount path of @p n (malloc'ed: the caller frees it).
 * @return the path, or NULL when the node has no name any more (or out
 *         of memory: @p err tells which: -ENOENT or -ENOMEM)
 */
char *rfs_fs_inode_path(struct rfs_fs_state *st, struct fs_inode *n, int *err);

/** Call @p fn for every node of the table with a name (under the table
 * lock: @p fn must not take it, nor block). */
void rfs_fs_inodes_each(struct rfs_fs_state *st,
			void (*fn)(struct fs_inode *n, const char *path,
				   void *ctx),
			void *ctx);

/** The low-level operations (fs/ll.c). */
extern const struct fuse_lowlevel_ops rfs_fs_ll_ops;

#endif
