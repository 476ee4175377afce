/**
 * @file mem_priv.h
 * @brief Internals of the memory backend, shared by its source files.
 *
 * A store is a tree of nodes guarded by one mutex (rfs_mem_store.lock).
 * Every function here that takes a store or a node expects that lock to be
 * held by the caller, unless it says otherwise. Nothing here is part of the
 * port: the rest of recyclefs sees only memory.h and backend.h.
 */
#ifndef RFS_BACKENDS_MEMORY_MEM_PRIV_H
#define RFS_BACKENDS_MEMORY_MEM_PRIV_H

#include "backends/backend.h"
#include "backends/memory/memory.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/** File contents are kept in chunks of this many bytes; holes have none. */
#define RFS_MEM_CHUNK ((size_t)64 << 10)

/** Largest file size a memory store accepts (as ext4: 16 TiB). */
#define RFS_MEM_MAX_SIZE ((off_t)1 << 44)

/** Largest extended attribute value, as Linux allows. */
#define RFS_MEM_XATTR_MAX ((size_t)64 << 10)

/** One present chunk of a file: bytes [idx * RFS_MEM_CHUNK, +RFS_MEM_CHUNK). */
struct rfs_mem_chunk {
	uint64_t idx;	      /**< offset / RFS_MEM_CHUNK */
	unsigned char *bytes; /**< RFS_MEM_CHUNK bytes */
};

/** One extended attribute. */
struct rfs_mem_xattr {
	char *name;  /**< with its namespace: "user.origin" */
	void *value; /**< size bytes */
	size_t size; /**< bytes of the value */
};

/** One slot of a directory's hash table; name NULL when free. */
struct rfs_mem_dirent {
	char *name;		   /**< the entry's name, owned */
	struct rfs_mem_node *node; /**< what it names */
};

/** A file, directory, symlink or special file of a store. */
struct rfs_mem_node {
	mode_t mode;	       /**< type and permission bits */
	uid_t uid;	       /**< owner */
	gid_t gid;	       /**< group */
	ino_t ino;	       /**< unique in the store */
	unsigned long links;   /**< directory entries naming this node */
	unsigned long opens;   /**< open files on this node */
	struct timespec atime; /**< last access (set by utimens only) */
	struct timespec mtime; /**< last change of the contents */
	struct timespec ctime; /**< last change of the node */

	off_t size; /**< regular files: bytes; chunk bytes past it are 0 */
	struct rfs_mem_chunk *chunks; /**< regular files: sorted by idx */
	size_t nchunks;		      /**< chunks in use */
	size_t chunks_alloc;	      /**< chunks allocated */

	char *target; /**< symlinks: what the link points at */
	dev_t rdev;   /**< character and block devices: the device number */

	/** directories: hash table, open addressing, linear probing */
	struct rfs_mem_dirent *slots;
	size_t nslots;	 /**< slots, a power of two (or 0) */
	size_t nents;	 /**< entries */
	size_t nsubdirs; /**< entries that are directories */

	struct rfs_mem_xattr *xattrs; /**< extended attributes */
	size_t nxattrs;		      /**< entries of xattrs */
};

/** A fault-injection rule: fail call number base + nth with -err. */
struct rfs_mem_rule {
	unsigned long nth;  /**< 0 when no rule */
	unsigned long base; /**< the call count when the rule was set */
	int err;	    /**< positive errno to fail with */
};

/** A named in-process store. */
struct rfs_mem_store {
	struct rfs_mem_store *next; /**< in the global list */
	char *name;		    /**< as in mem://NAME/ */
	unsigned long refs; /**< open backends; guarded by the list lock */
	dev_t dev;	    /**< st_dev of every node */

	pthread_mutex_t lock;	   /**< guards everything below */
	struct rfs_mem_node *root; /**< the tree */
	ino_t next_ino;		   /**< next inode number */
	uint64_t nodes;		   /**< live nodes, for statfs */
	uint64_t chunks;	   /**< live chunks, for statfs */
	/** calls per kind, and of every kind at RFS_MEM_OP_ANY */
	unsigned long calls[RFS_MEM_OP_COUNT + 1];
	/** failure rules per kind, and for any kind at RFS_MEM_OP_ANY */
	struct rfs_mem_rule rules[RFS_MEM_OP_COUNT + 1];
	bool crash_armed;	  /**< rfs_mem_crash_after() was called */
	bool crashed;		  /**< every call fails until recovery */
	unsigned long crash_left; /**< calls left before the crash */
	/** power-loss mode: what survives a power cut, or NULL (off) */
	struct rfs_mem_node *image;
};

/** A backend: a prefix of a store. */
struct rfs_mem_backend {
	struct rfs_backend base;     /**< what callers see */
	struct rfs_mem_store *store; /**< referenced while open */
	char *prefix; /**< clean path of the root within the store, "" */
};

/** An open file. */
struct rfs_mem_file {
	struct rfs_file base;	   /**< what callers see */
	struct rfs_mem_node *node; /**< counted in node->opens */
	int flags;		   /**< the open(2) access mode */
};

/* store.c */

/**
 * Find or create the store @p name and take a reference on it.
 * Takes the list lock itself. @return the store or NULL (out of memory)
 */
struct rfs_mem_store *rfs_mem_store_get(const char *name);

/** Drop a reference taken by rfs_mem_store_get(); the store stays listed
 * until rfs_mem_reset(). Takes the list lock itself. */
void rfs_mem_store_put(struct rfs_mem_store *s);

/**
 * Count a call of kind @p op and apply the failure rules and the crash
 * state. Call with the store locked, before touching anything.
 * @return 0 to go on, or the injected -errno
 */
int rfs_mem_gate(struct rfs_mem_store *s, enum rfs_mem_op op);

/** Clear every failure rule and the crash state of @p s. */
void rfs_mem_rules_clear(struct rfs_mem_store *s);

/* power.c */

/** Power-loss mode: make the whole store durable (its sync). @return 0
 * or -ENOMEM; nothing when the mode is off. */
int rfs_mem_power_durable(struct rfs_mem_store *s);

/** Power-loss mode: make the contents of the file @p n durable (fsync),
 * when its name is durable already. @return 0 or -ENOMEM */
int rfs_mem_power_fsync(struct rfs_mem_store *s, const struct rfs_mem_node *n);

/* tree.c */

/** Free the extended attributes of @p n (its node's end). */
void rfs_mem_xattr_free(struct rfs_mem_node *n);

/** @return the current CLOCK_REALTIME time. */
struct timespec rfs_mem_now(void);

/**
 * Make a node of type and mode @p mode owned by the caller's euid/egid,
 * with every time set to now and no links. @return the node or NULL
 */
struct rfs_mem_node *rfs_mem_node_new(struct rfs_mem_store *s, mode_t mode);

/** Free @p n when no entry names it and no file has it open. */
void rfs_mem_node_put(struct rfs_mem_store *s, struct rfs_mem_node *n);

/** Unlink every entry below the directory @p dir, recursively. */
void rfs_mem_dir_clear(struct rfs_mem_store *s, struct rfs_mem_node *dir);

/** @return the entry @p name (@p len bytes) of @p dir, or NULL. */
struct rfs_mem_node *rfs_mem_dir_find(const struct rfs_mem_node *dir,
				      const char *name, size_t len);

/**
 * Make room for one more entry in @p dir, so that the next
 * rfs_mem_dir_add() cannot fail. @return 0 or -ENOMEM
 */
int rfs_mem_dir_reserve(struct rfs_mem_node *dir);

/**
 * Add the entry @p name -> @p n to @p dir (which has no such entry and
 * room reserved), taking ownership of the malloc'ed @p name. Counts the
 * link and updates the directory's times.
 */
void rfs_mem_dir_add(struct rfs_mem_node *dir, char *name,
		     struct rfs_mem_node *n);

/**
 * Remove the entry @p name from @p dir and return its node with the link
 * dropped but not freed (the caller calls rfs_mem_node_put()).
 */
struct rfs_mem_node *rfs_mem_dir_del(struct rfs_mem_node *dir,
				     const char *name);

/** Point the existing entry @p name of @p dir at @p n instead; the link
 * counts of both nodes are the caller's business. */
void rfs_mem_dir_replace(struct rfs_mem_node *dir, const char *name,
			 struct rfs_mem_node *n);

/**
 * Resolve @p key below @p prefix. Intermediate components must be
 * directories: a symlink gives -ELOOP, anything else -ENOTDIR.
 * @return 0 and set @p out, or -ENOENT, -ENOTDIR, -ELOOP
 */
int rfs_mem_lookup(struct rfs_mem_store *s, const char *prefix, const char *key,
		   struct rfs_mem_node **out);

/**
 * Resolve the directory holding @p key (which must not be "").
 * @param s      the store, locked
 * @param prefix the backend's root within the store
 * @param key    the key
 * @param dir    set to the directory
 * @param name   set to the last component of @p key (borrowed)
 * @return as rfs_mem_lookup()
 */
int rfs_mem_lookup_parent(struct rfs_mem_store *s, const char *prefix,
			  const char *key, struct rfs_mem_node **dir,
			  const char **name);

/** Fill @p st from @p n as stat(2) would. */
void rfs_mem_fill_stat(const struct rfs_mem_store *s,
		       const struct rfs_mem_node *n, struct stat *st);

/* data.c */

/** Read file bytes; holes and bytes past the end read as zeros.
 * @return bytes read, 0 at or past the end */
ssize_t rfs_mem_data_read(const struct rfs_mem_node *n, void *buf, size_t size,
			  off_t off);

/** Write file bytes, growing the file.
 * @return @p size, or -ENOMEM, -EFBIG, -EINVAL (nothing written then) */
ssize_t rfs_mem_data_write(struct rfs_mem_store *s, struct rfs_mem_node *n,
			   const void *buf, size_t size, off_t off);

/** Set the size, dropping or zero-filling. @return 0, -EINVAL, -EFBIG */
int rfs_mem_data_truncate(struct rfs_mem_store *s, struct rfs_mem_node *n,
			  off_t size);

/** Zero [off, off+len) without changing the size, freeing whole chunks.
 * @return 0 or -ENOMEM */
int rfs_mem_data_punch(struct rfs_mem_store *s, struct rfs_mem_node *n,
		       off_t off, off_t len);

/** Give @p dst (an empty new file) the contents of @p src.
 * @return 0 or -ENOMEM (dst then holds part of them) */
int rfs_mem_data_copy(struct rfs_mem_store *s, struct rfs_mem_node *dst,
		      const struct rfs_mem_node *src);

/** Free the contents of @p n. */
void rfs_mem_data_free(struct rfs_mem_store *s, struct rfs_mem_node *n);

/* xattr.c */

/** Copy every extended attribute of @p src to @p dst (which has none).
 * @return 0 or -ENOMEM */
int rfs_mem_xattr_copy(struct rfs_mem_node *dst,
		       const struct rfs_mem_node *src);

/** The xattr operations of the memory backend (see backend.h). */
ssize_t rfs_mem_getxattr(struct rfs_backend *b, const char *key,
			 const char *name, void *value, size_t size);
/** @see rfs_mem_getxattr */
int rfs_mem_setxattr(struct rfs_backend *b, const char *key, const char *name,
		     const void *value, size_t size, int flags);
/** @see rfs_mem_getxattr */
ssize_t rfs_mem_listxattr(struct rfs_backend *b, const char *key, char *list,
			  size_t size);
/** @see rfs_mem_getxattr */
int rfs_mem_removexattr(struct rfs_backend *b, const char *key,
			const char *name);

/* file.c */

/** The open-file and copy operations of the memory backend. */
int rfs_mem_open_file(struct rfs_backend *b, const char *key, int flags,
		      mode_t mode, struct rfs_file **out);
/** @see rfs_mem_open_file */
int rfs_mem_copy(struct rfs_backend *src, const char *src_key,
		 struct rfs_backend *dst, const char *dst_key,
		 unsigned int flags);
/** @see rfs_mem_open_file */
ssize_t rfs_mem_file_read(struct rfs_file *f, void *buf, size_t size,
			  off_t off);
/** @see rfs_mem_open_file */
ssize_t rfs_mem_file_write(struct rfs_file *f, const void *buf, size_t size,
			   off_t off);
/** @see rfs_mem_open_file */
int rfs_mem_file_fstat(struct rfs_file *f, struct stat *st);
/** @see rfs_mem_open_file */
int rfs_mem_file_ftruncate(struct rfs_file *f, off_t size);
/** @see rfs_mem_open_file */
int rfs_mem_file_fsync(struct rfs_file *f, int datasync);
/** @see rfs_mem_open_file */
int rfs_mem_file_flush(struct rfs_file *f);
/** @see rfs_mem_open_file */
int rfs_mem_file_fallocate(struct rfs_file *f, int mode, off_t off, off_t len);
/** @see rfs_mem_open_file */
int rfs_mem_file_close(struct rfs_file *f);

/* rel.c */

/**
 * The operations of "memrel://STORE/schema" backends: those of @p mem
 * (the memory backend's) with the scheme "memrel", no special files, no
 * server-side copy, and the relational steps (backends/rel.h).
 * @return static operations, made on the first call
 */
const struct rfs_backend_ops *rfs_memrel_ops(const struct rfs_backend_ops *mem);

/** @return the memory backend behind @p b. */
static inline struct rfs_mem_backend *rfs_mem_of(struct rfs_backend *b)
{
	return (struct rfs_mem_backend *)b;
}

#endif
