/**
 * @file memory.h
 * @brief The memory backend: in-process stores for tests and fault
 *        injection.
 *
 * `mem://STORE/prefix` opens a backend on the named in-process store
 * STORE (created on first use, shared by every backend opened on it, kept
 * until rfs_mem_reset()). It behaves like a POSIX directory tree (modes,
 * times, symlinks, xattrs, sparse writes) and supports every capability
 * but RFS_BACKEND_CAP_FD.
 *
 * Every call is counted per store and per kind. Tests can make the Nth
 * call of a kind fail with a chosen errno, or simulate a crash: after N
 * more calls, every call fails with -EIO until rfs_mem_recover(), the way
 * SQLite's test VFS simulates power loss. All functions are thread-safe.
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

#endif
