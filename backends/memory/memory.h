/**
 * @file memory.h
 * @brief The memory backend: in-process stores for tests and fault
 *        injection.
 *
 * `mem://STORE/prefix` opens a backend on the named in-process store
 * STORE (created on first use, shared by every backend opened on it, kept
 * until rfs_mem_reset()). It behaves like a POSIX directory tree (modes,
 * times, symlinks, special files, xattrs, sparse writes) and supports every
 * capability but RFS_BACKEND_CAP_FD. With the query "?special=no" the
 * backend keeps no special files (no mknod, no RFS_BACKEND_CAP_SPECIAL), as
 * an object store: tests of what jobs do then use it. Opening a special
 * file gives -ENXIO (it holds no bytes).
 *
 * Every call is counted per store and per kind. Tests can make the Nth
 * call of a kind fail with a chosen errno, or simulate a crash: after N
 * more calls, every call fails with -EIO until rfs_mem_recover(), the way
 * SQLite's test VFS simulates power loss. All functions are thread-safe.
 *
 * `memrel://STORE/schema` opens the same store as a storage of the
 * relational family (class memrel): its folders are tables, and
 * rfs_backend_ops::rel runs the relational steps (backends/rel.h) over
 * them with the store's own counted and failable calls (rel.c). Its
 * default recycle location is `memrel://STORE/recyclebin`.
 *
 * In power-loss mode (rfs_mem_power_loss_begin()) a store also keeps a
 * durable image: what a disk would hold after a power cut. The backend's
 * sync (the syncfs(2) of the memory backend) makes the whole store
 * durable, an fsync(2) of an open file makes that file's contents durable
 * (not its name: a new file needs the sync), and a copy made without
 * RFS_BACKEND_COPY_NOSYNC makes the store durable. rfs_mem_power_cut()
 * then throws away every write since: the store becomes its image.
 */
#ifndef RFS_BACKENDS_MEMORY_H
#define RFS_BACKENDS_MEMORY_H

struct rfs_backend;
struct rfs_error;
struct rfs_uri;

/** Kinds of calls counted and failed by the memory backend. */
enum rfs_mem_op {
	RFS_MEM_OP_STAT,
	RFS_MEM_OP_LIST,
	RFS_MEM_OP_OPEN,
	RFS_MEM_OP_READ,
	RFS_MEM_OP_WRITE,
	RFS_MEM_OP_CLOSE, /**< close, flush, fsync, ftruncate, fstat */
	RFS_MEM_OP_MKDIR,
	RFS_MEM_OP_RMDIR,
	RFS_MEM_OP_UNLINK,
	RFS_MEM_OP_RENAME,
	RFS_MEM_OP_META, /**< chmod, chown, utimens, truncate, xattrs, links */
	RFS_MEM_OP_COPY,
	RFS_MEM_OP_SYNC,  /**< the backend's sync (syncfs) */
	RFS_MEM_OP_COUNT, /**< number of kinds */
	RFS_MEM_OP_ANY =
		RFS_MEM_OP_COUNT, /**< every kind, for the calls below */
};

/**
 * Make the @p nth call of kind @p op on @p store, counted from now
 * (1 = the next one), fail with -@p err. One rule per kind; 0 clears it.
 */
void rfs_mem_fail_nth(const char *store, enum rfs_mem_op op, unsigned long nth,
		      int err);

/**
 * Simulate a crash: after @p n more calls of any kind succeed, every call
 * fails with -EIO (writes in flight do not land) until rfs_mem_recover().
 */
void rfs_mem_crash_after(const char *store, unsigned long n);

/** End a simulated crash and clear every failure rule of @p store. */
void rfs_mem_recover(const char *store);

/** @return the calls of kind @p op (or RFS_MEM_OP_ANY) made on @p store. */
unsigned long rfs_mem_calls(const char *store, enum rfs_mem_op op);

/**
 * Start power-loss mode on @p store: from now on, writes not followed by
 * a sync are lost at rfs_mem_power_cut(). The store as it is now is
 * taken as durable.
 * @return 0, or -ENOMEM (the mode is then off)
 */
int rfs_mem_power_loss_begin(const char *store);

/**
 * Simulate a power cut and a reboot of @p store in power-loss mode: the
 * store becomes what was last made durable, and every failure rule and
 * crash state is cleared (as rfs_mem_recover()). The mode stays on.
 * Files still open keep their old, lost contents.
 * @return 0, -ENOENT when the store is not in power-loss mode, -ENOMEM
 */
int rfs_mem_power_cut(const char *store);

/**
 * Called before every counted call of every memory store, from the
 * calling thread, with no store lock held: the call has done nothing yet.
 * Calls the hook makes itself do not call it again.
 * @param ctx   as given to rfs_mem_set_hook()
 * @param store the store's name
 * @param op    the kind of call
 */
typedef void (*rfs_mem_hook_fn)(void *ctx, const char *store,
				enum rfs_mem_op op);

/**
 * Set (or with NULL clear) the process's call hook, with which a test
 * changes the world at a chosen moment of a job (between two of its
 * steps). Not to be called while backend calls run on other threads.
 */
void rfs_mem_set_hook(rfs_mem_hook_fn fn, void *ctx);

/** Drop every file, counter and rule of @p store (NULL: of every store). */
void rfs_mem_reset(const char *store);

/**
 * Open a memory backend; the registry calls this for "mem://" URIs (use
 * rfs_backend_open()). The store is the URI's authority, the prefix its
 * path, created as with mkdir -p.
 * @param u   the parsed @p uri
 * @param uri the URI as given, kept as rfs_backend.uri
 * @param out set to the new backend on success
 * @param err the reason of a refusal; may be NULL
 * @return 0, -EINVAL (no store name), -ENOTDIR (a prefix component is
 *         not a directory), -ENOMEM
 */
int rfs_mem_open(const struct rfs_uri *u, const char *uri,
		 struct rfs_backend **out, struct rfs_error *err);

/**
 * The memory backend alone as an opener (backends/backend.h): it opens
 * "mem://" URIs and refuses every other scheme with -EPROTONOSUPPORT and
 * the reason. A unit test of core/ hands it to core with
 * rfs_ports_set_backends(), so that it links no other adapter.
 */
extern const struct rfs_backend_opener rfs_mem_opener;

#endif
