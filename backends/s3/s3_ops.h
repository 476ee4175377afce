/**
 * @file s3_ops.h
 * @brief What the backend-operation files of the S3 adapter share
 *        (s3.c, req.c, stat.c, dir.c, meta.c, io.c, transfer.c, cache.c,
 *        fresh.c, seen.c; backends/s3/ only).
 *
 * Keys are the backend's relative keys ("" is the storage's root) unless
 * a parameter is named "full": full keys are the object keys in the
 * bucket (the storage prefix, a slash, the relative key; the prefix for
 * the root). The caches and the list of open files are keyed by full
 * keys, being shared by the backends of one bucket. Every function may
 * be called from several threads at once unless it says otherwise.
 */
#ifndef RFS_BACKENDS_S3_OPS_H
#define RFS_BACKENDS_S3_OPS_H

#include "backends/backend.h"
#include "backends/s3/s3_priv.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct rfs_buf;
struct rfs_s3_cache;
struct rfs_s3_file;

/** The open files of the backends of one bucket (see io.c). */
struct rfs_s3_files {
	pthread_mutex_t lock;	  /**< taken before any file's lock */
	struct rfs_s3_file *head; /**< the files, linked */
};

/** S3 forbids single PUTs and CopyObject calls above 5 GiB. */
#define RFS_S3_MAX_SINGLE ((int64_t)5 << 30)
/** The most parts of a multipart upload. */
#define RFS_S3_MAX_PARTS 10000
/** The smallest part S3 accepts (the last part excepted). */
#define RFS_S3_MIN_PART ((size_t)5 << 20)
/** The longest symlink target stored. */
#define RFS_S3_LINK_MAX 4096

/** One opened S3 storage location. */
struct rfs_s3_backend {
	struct rfs_backend base;	/**< the port's part, first */
	struct rfs_s3_client *client;	/**< requests, keep-alive */
	const struct rfs_s3_conf *conf; /**< the client's, borrowed */
	const char *name;		/**< the client's, for messages */
	struct rfs_s3_cache *cache;	/**< attributes and listings */
	struct rfs_s3_files *files;	/**< the cache's, borrowed */
	struct rfs_s3_attrs *attrs;	/**< kept attributes, or NULL */
	int64_t opened_ns;		/**< the root's times */
	pthread_mutex_t fresh_lock;	/**< guards @p fresh */
	struct rfs_s3_fresh *fresh;	/**< the last refresh, or NULL */
	/** Does this storage state the SHA-256 of a copy's bytes
	 * (ChecksumSHA256 of CopyObject)? 0 not known yet, 1 yes (proven
	 * once against the bytes read), -1 no; atomic (attest.c) */
	int checksum_ok;
};

/** @return the S3 backend of @p b (which must be one). */
static inline struct rfs_s3_backend *rfs_s3_of(struct rfs_backend *b)
{
	return (struct rfs_s3_backend *)b;
}

/** The attributes an object carries in its x-amz-meta-* headers. */
struct rfs_s3_meta {
	mode_t mode;	  /**< with the file type bits */
	uid_t uid;	  /**< owner */
	gid_t gid;	  /**< group */
	int64_t mtime_ns; /**< modification time, ns since the epoch */
	int64_t atime_ns; /**< access time */
	int64_t ctime_ns; /**< Last-Modified */
	/** Last-Modified as the server reported it (HEAD, GET, listing);
	 * 0 when the metadata was made here and not read back */
	int64_t server_ns;
	int64_t size; /**< bytes */
	/** the mtime came from x-amz-meta-mtime (else Last-Modified) */
	bool has_mtime;
	char content_type[128]; /**< "" when unknown */
	char etag[72];		/**< without quotes; "" when unknown */
	/** The SHA-256 and MD5 (hex) of this version's bytes, when we read
	 * them (a copy_hashed() of it or to it); "" when unknown */
	char sha256[65];
	char md5[33]; /**< see sha256 */
	/** sha256 is the SHA-256 the server stated for this version's
	 * bytes when it made it (ChecksumSHA256 of the CopyObject, which
	 * was conditional on its source's ETag), not one computed here;
	 * md5 is then "" */
	bool sha256_server;
	/** The SHA-256 (hex) the server stated for a copy's bytes
	 * (ChecksumSHA256 of the CopyObject asked for it), "" when none */
	char server_sha256[65];
};

/** One directory entry of a listing. */
struct rfs_s3_entry {
	char *name;	/**< the entry's name, owned */
	struct stat st; /**< its attributes */
	/** @p st came from the attribute store (attrs.c): no HEAD needed */
	bool known;
};

/* ----------------------------------------------------------- attrs.c */

struct rfs_s3_attrs;

/**
 * The process's attribute store for the storages named @p id (endpoint,
 * bucket, attribute source, key id), read from its file at the first
 * open. Thread-safe.
 * @return the store (release with rfs_s3_attrs_close()), or NULL when
 *         there is none (out of memory): callers then HEAD as before
 */
struct rfs_s3_attrs *rfs_s3_attrs_open(const char *id);

/** Release a store from rfs_s3_attrs_open(); NULL does nothing. */
void rfs_s3_attrs_close(struct rfs_s3_attrs *a);

/**
 * The attributes kept for @p full, when the object a listing shows is
 * the one they were read from: the same ETag, size and Last-Modified (to
 * the second). Thread-safe.
 * @param a         the store, or NULL (a miss)
 * @param full      the object's full key
 * @param etag      the listing's ETag
 * @param size      the listing's size
 * @param listed_ns the listing's LastModified
 * @param m         filled on a hit
 * @return true on a hit
 */
bool rfs_s3_attrs_get(struct rfs_s3_attrs *a, const char *full,
		      const char *etag, int64_t size, int64_t listed_ns,
		      struct rfs_s3_meta *m);

/**
 * What the store keeps of @p full, whatever its version: the last answer
 * kept, with its ETag, size, Last-Modified and digests (sha256, md5) when
 * they are known. Thread-safe.
 * @return true and fill @p m when the store has @p full
 */
bool rfs_s3_attrs_find(struct rfs_s3_attrs *a, const char *full,
		       struct rfs_s3_meta *m);

/**
 * Keep what the server said of @p full (a HEAD's answer, a copy's): @p m
 * with its ETag and its Last-Modified as the server gave it
 * (server_ns); anything else (no ETag, server_ns 0, a directory) is not
 * kept. The digests of @p m are kept when they are known; when not, the
 * digests kept for the same ETag stay. Appended to the store's file.
 * Thread-safe.
 */
void rfs_s3_attrs_put(struct rfs_s3_attrs *a, const char *full,
		      const struct rfs_s3_meta *m);

/**
 * Pin the version @p m (with its ETag, size and digests) of @p full: the
 * version an archive read and copied. Kept apart from the answers about
 * the object, so that a later HEAD of a rewritten object never replaces
 * it; a later pin does. Thread-safe.
 */
void rfs_s3_attrs_pin(struct rfs_s3_attrs *a, const char *full,
		      const struct rfs_s3_meta *m);

/**
 * The version of @p full last pinned, with its digests.
 * @return true and fill @p m when there is one
 */
bool rfs_s3_attrs_pinned(struct rfs_s3_attrs *a, const char *full,
			 struct rfs_s3_meta *m);

/* ------------------------------------------------------------ req.c */

/**
 * The calling thread's last error, when it was @p err (a positive
 * errno), else "". @return a borrowed string, valid until the thread's
 * next request
 */
const char *rfs_s3_last_error_for(int err);

/** The 64-bit FNV-1a hash of @p s (NULL hashes as ""). */
uint64_t rfs_s3_fnv1a(const char *s);

/** Zero @p r and set the method, the full key and idempotence. */
void rfs_s3_req_init(struct rfs_s3_request *r, const char *method,
		     const char *full_key);

/**
 * Perform @p r with the backend's client; a failure's message becomes the
 * calling thread's last error (rfs_s3_last_error()).
 * @return as rfs_s3_perform()
 */
int rfs_s3_do(struct rfs_s3_backend *b, struct rfs_s3_request *r);

/** Record a message as the calling thread's last error. @return -code */
int rfs_s3_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Append the full key of @p key (the root gives the prefix). */
int rfs_s3_full_key(struct rfs_s3_backend *b, const char *key,
		    struct rfs_buf *out);

/** Append the listing prefix of the directory @p key ("" or "p/k/"). */
int rfs_s3_dir_prefix(struct rfs_s3_backend *b, const char *key,
		      struct rfs_buf *out);

/**
 * Fill @p st from @p m for the object @p full (its inode number). With
 * attrs=listing only what a listing shows counts: a file is S_IFREG|0644
 * owned by the process, its times its Last-Modified in whole seconds; a
 * directory is 0755 with the times of the moment the storage opened.
 * @return true when @p st is what the server would say (cache it);
 *         false for attrs=listing metadata not read from the server
 *         (a file just written: its Last-Modified is not known yet)
 */
bool rfs_s3_meta_to_stat(struct rfs_s3_backend *b, const char *full,
			 const struct rfs_s3_meta *m, struct stat *st);

/**
 * Read the metadata of a response to a HEAD or GET. Times go through the
 * checked conversion of util/timestamp.h: an x-amz-meta-mtime or -atime
 * that is not a number is ignored (the mtime is then Last-Modified, the
 * atime the mtime), but a time outside the range recyclefs holds
 * (Last-Modified in year 9999, x-amz-meta-mtime 1e40) is an error for the
 * object, never a wrapped value.
 * @param b   the backend, for the message (may be NULL)
 * @param r   the request answered, its key for the message
 * @param dir whether the object is a directory marker
 * @param m   filled
 * @return 0, or -EIO with the reason (the header and its value) in
 *         rfs_s3_last_error()
 */
int rfs_s3_meta_from(struct rfs_s3_backend *b, const struct rfs_s3_request *r,
		     bool dir, struct rfs_s3_meta *m);

/**
 * HEAD the object @p full.
 * @return 0, -ENOENT, ...
 */
int rfs_s3_head(struct rfs_s3_backend *b, const char *full,
		struct rfs_s3_meta *m);

/**
 * The metadata headers of an upload or a metadata replacement:
 * x-amz-meta-mtime ("SEC.NSEC", 9 digits), -atime, -mode (decimal
 * st_mode), -uid, -gid and Content-Type.
 * @param m      the attributes
 * @param store  room for the lines
 * @param lines  receives up to 6 "Name: value" strings, pointing into
 *               @p store
 * @return the number of lines
 */
size_t rfs_s3_meta_headers(const struct rfs_s3_meta *m, char store[6][160],
			   const char *lines[6]);

/** Metadata for a new object of @p mode owned by the caller, now. */
void rfs_s3_meta_new(struct rfs_s3_meta *m, mode_t mode);

/**
 * PUT a small object from memory.
 * @param b         the backend
 * @param full      the object's full key
 * @param data      the content (@p len bytes)
 * @param len       its length
 * @param m         its attributes (x-amz-meta-*)
 * @param exclusive send If-None-Match: * (then -EEXIST when it exists)
 * @return 0 or -errno
 */
int rfs_s3_put(struct rfs_s3_backend *b, const char *full, const void *data,
	       size_t len, const struct rfs_s3_meta *m, bool exclusive);

/** DELETE @p full (no error when it is missing). */
int rfs_s3_delete(struct rfs_s3_backend *b, const char *full);

/* ----------------------------------------------------------- stat.c */

/**
 * Attributes of @p key through the caches and the open files.
 * @return 0, -ENOENT, -EACCES, -EIO, ...
 */
int rfs_s3_stat_key(struct rfs_s3_backend *b, const char *key, struct stat *st);

/**
 * Check that the parent of @p key is a directory.
 * @return 0, -ENOENT, -ENOTDIR or a request's error
 */
int rfs_s3_check_parent(struct rfs_s3_backend *b, const char *key);

/** Forget what the caches know of @p key and of the listings above it. */
void rfs_s3_invalidate(struct rfs_s3_backend *b, const char *key);

/**
 * After a copy of ours wrote the object @p key (full key @p full) in a
 * folder that was a directory already: replace what the caches knew of
 * it by @p made, as rfs_s3_copy_object() gave it (its HEAD, its
 * attributes, its entry in the parent's cached listing, see
 * rfs_s3_cache_list_set()). With @p made NULL, without an ETag, or not
 * what the server would say, rfs_s3_invalidate() instead.
 */
void rfs_s3_cache_made(struct rfs_s3_backend *b, const char *key,
		       const char *full, const struct rfs_s3_meta *made);

/** rfs_s3_invalidate() by full key. */
void rfs_s3_invalidate_full(struct rfs_s3_backend *b, const char *full);

/**
 * After @p key was removed: keep its parent directory alive with a
 * marker when nothing else is left in it (best effort).
 */
void rfs_s3_keep_parent(struct rfs_s3_backend *b, const char *key);

/* ------------------------------------------------------------ cache.c */

/**
 * The caches of the bucket @p id ("endpoint bucket"), shared with the
 * other backends of the process on it, used with a TTL of @p ttl seconds
 * (0: never read or filled, only invalidated).
 * @return a handle to close with rfs_s3_cache_close(), NULL on
 *         out-of-memory
 */
struct rfs_s3_cache *rfs_s3_cache_open(const char *id, int ttl);

/** Close a handle; the last one frees the shared state. NULL is fine. */
void rfs_s3_cache_close(struct rfs_s3_cache *c);

/** The open files of the bucket (borrowed, lives as long as @p c). */
struct rfs_s3_files *rfs_s3_cache_files(struct rfs_s3_cache *c);

/**
 * Look @p full up in the attribute cache.
 * @return 1 (known: @p st and @p marker filled), 0 (known to be absent:
 *         a fresh rfs_s3_cache_absent_put()), -1 (not known)
 */
int rfs_s3_cache_stat_find(struct rfs_s3_cache *c, const char *full,
			   struct stat *st, bool *marker);

/** Remember that nothing, neither object nor directory, is at @p full. */
void rfs_s3_cache_absent_put(struct rfs_s3_cache *c, const char *full);

/**
 * Drop the attributes of @p full unless they are a directory's, and its
 * listing: for the parent of a name just written, which stays a
 * directory if it was one (an implied one has just come, if anything).
 */
void rfs_s3_cache_drop_unless_dir(struct rfs_s3_cache *c, const char *full);

/** @return true and fill @p st (and @p marker) when @p full is known. */
bool rfs_s3_cache_stat_get(struct rfs_s3_cache *c, const char *full,
			   struct stat *st, bool *marker);

/** Remember the attributes of @p full (@p marker: a directory object). */
void rfs_s3_cache_stat_put(struct rfs_s3_cache *c, const char *full,
			   const struct stat *st, bool marker);

/**
 * What a fresh listing of the parent of @p full says about it.
 * @return 1 (listed, @p st filled), 0 (not listed), -1 (no listing)
 */
int rfs_s3_cache_lookup(struct rfs_s3_cache *c, const char *full,
			struct stat *st);

/**
 * A copy of the cached listing of the directory @p full, sorted by name.
 * @return 1 (found: free with rfs_s3_entries_free()), 0 (not cached),
 *         -ENOMEM
 */
int rfs_s3_cache_list_get(struct rfs_s3_cache *c, const char *full,
			  struct rfs_s3_entry **out, size_t *n);

/** Keep a copy of the listing of @p full (sorted by name). */
void rfs_s3_cache_list_put(struct rfs_s3_cache *c, const char *full,
			   const struct rfs_s3_entry *e, size_t n);

/**
 * Remember what a HEAD of the object @p full says (@p m, with its ETag),
 * so that opening it for reading needs no HEAD: such reads are
 * conditional on the ETag, and a changed object is looked at again
 * (io.c). Kept for the longer of cache_ttl and RFS_S3_HEAD_HINT_SEC,
 * dropped by our writes like the attributes. Nothing is kept without an
 * ETag, for a directory, or with a TTL of 0.
 */
void rfs_s3_cache_head_put(struct rfs_s3_cache *c, const char *full,
			   const struct rfs_s3_meta *m);

/**
 * What rfs_s3_cache_head_put() kept of @p full.
 * @return true and fill @p m when known
 */
bool rfs_s3_cache_head_get(struct rfs_s3_cache *c, const char *full,
			   struct rfs_s3_meta *m);

/**
 * Remember the version of the object @p full a listing without HEADs
 * showed (rfs_s3_list_late(): its size, ETag and Last-Modified in @p m,
 * its other attributes unknown), so that copy_hashed_stat() reads that
 * version, conditional on its ETag, without a HEAD. Kept and dropped as
 * rfs_s3_cache_head_put() keeps its answers.
 */
void rfs_s3_cache_listed_put(struct rfs_s3_cache *c, const char *full,
			     const struct rfs_s3_meta *m);

/**
 * What rfs_s3_cache_listed_put() kept of @p full.
 * @return true and fill @p m when known
 */
bool rfs_s3_cache_listed_get(struct rfs_s3_cache *c, const char *full,
			     struct rfs_s3_meta *m);

/** How long a HEAD's answer is kept for opening, at least (seconds). */
#define RFS_S3_HEAD_HINT_SEC 600

/**
 * Put @p full with attributes @p st into the cached listing of its
 * parent, when there is one: for a name our own write just made or
 * changed, whose parent is a directory already (so that no listing above
 * it changes). Failing (out of memory), the parent's listing is
 * dropped.
 * @return true when a listing was updated
 */
bool rfs_s3_cache_list_set(struct rfs_s3_cache *c, const char *full,
			   const struct stat *st);

/** Forget @p full's attributes and listing. */
void rfs_s3_cache_drop(struct rfs_s3_cache *c, const char *full);

/** Forget the listing of the directory @p full only. */
void rfs_s3_cache_drop_list(struct rfs_s3_cache *c, const char *full);

/** Forget everything at or below @p full. */
void rfs_s3_cache_drop_tree(struct rfs_s3_cache *c, const char *full);

/** Free @p n entries and the array. */
void rfs_s3_entries_free(struct rfs_s3_entry *e, size_t n);

/* ------------------------------------------------------------- list.c */

/**
 * One page of ListObjectsV2 below @p prefix.
 * @param b           the backend
 * @param prefix      the full prefix listed
 * @param delim       group what is below a "/" (CommonPrefixes)
 * @param max_keys    at most this many keys, or 0 for the server's 1,000
 * @param start_after list only keys after this one, or NULL
 * @param token       the continuation token of the page before, or NULL
 * @param out         the page; release with rfs_s3_listing_release()
 * @return 0, -EIO (not a listing, or one cut short), a request's error
 */
int rfs_s3_list_page(struct rfs_s3_backend *b, const char *prefix, bool delim,
		     int max_keys, const char *start_after, const char *token,
		     struct rfs_s3_listing *out);

/** The backend's list(). */
int rfs_s3_list(struct rfs_backend *b, const char *key, rfs_backend_list_fn fn,
		void *ctx);

/** The backend's list_late(): list() without a HEAD per object; each
 * object's listed version is kept (rfs_s3_cache_listed_put()). */
int rfs_s3_list_late(struct rfs_backend *b, const char *key,
		     rfs_backend_list_fn fn, void *ctx);

/**
 * Is anything stored below the directory @p key (its own marker aside)?
 * @param b      the backend
 * @param key    the directory
 * @param marker set to whether @p key has a marker object (may be NULL)
 * @return 1 (yes), 0 (no), -errno
 */
int rfs_s3_dir_has_children(struct rfs_s3_backend *b, const char *key,
			    bool *marker);

/**
 * Call @p fn with every full key below the directory @p key (no
 * delimiter), its own marker included, and the object's size.
 * @return 0, the callback's non-zero value, -errno
 */
int rfs_s3_walk(struct rfs_s3_backend *b, const char *key,
		int (*fn)(void *ctx, const char *full, int64_t size),
		void *ctx);

/* -------------------------------------------------------------- dir.c */

/** The backend's mkdir(). */
int rfs_s3_mkdir(struct rfs_backend *b, const char *key, mode_t mode);
/** The backend's rmdir(). */
int rfs_s3_rmdir(struct rfs_backend *b, const char *key);
/** The backend's unlink(). */
int rfs_s3_unlink(struct rfs_backend *b, const char *key);
/** The backend's rename(). */
int rfs_s3_rename(struct rfs_backend *b, const char *from, const char *to,
		  unsigned int flags);
/** The backend's link(): -EPERM once the names are checked. */
int rfs_s3_link(struct rfs_backend *b, const char *from, const char *to);

/* ------------------------------------------------------------- meta.c */

/** The backend's symlink(). */
int rfs_s3_symlink(struct rfs_backend *b, const char *target, const char *key);
/** The backend's readlink(). */
int rfs_s3_readlink(struct rfs_backend *b, const char *key, char *buf,
		    size_t size);
/** The backend's truncate(). */
int rfs_s3_truncate(struct rfs_backend *b, const char *key, off_t size);
/** The backend's chmod(). */
int rfs_s3_chmod(struct rfs_backend *b, const char *key, mode_t mode);
/** The backend's chown(). */
int rfs_s3_chown(struct rfs_backend *b, const char *key, uid_t uid, gid_t gid);
/** The backend's utimens(). */
int rfs_s3_utimens(struct rfs_backend *b, const char *key,
		   const struct timespec ts[2]);
/** The backend's copy(). */
int rfs_s3_copy(struct rfs_backend *src, const char *src_key,
		struct rfs_backend *dst, const char *dst_key,
		unsigned int flags);

/* --------------------------------------------------------- transfer.c */

/**
 * The largest object copied with one CopyObject; larger ones go through
 * UploadPartCopy. 5 GiB (RFS_S3_MAX_SINGLE); tests lower it to reach the
 * multipart path with small objects.
 */
extern int64_t rfs_s3_single_copy_max;

/**
 * The largest object copied into @p db with one CopyObject: its
 * storage's copy_max, at most rfs_s3_single_copy_max.
 */
int64_t rfs_s3_copy_max(const struct rfs_s3_backend *db);

/**
 * The part size of a multipart upload or copy of @p size bytes into
 * @p b: its part_size (5 MiB at least), doubled until the parts are at
 * most 10,000.
 */
size_t rfs_s3_part_size_for(const struct rfs_s3_backend *b, int64_t size);

/**
 * Copy the object @p src_full of @p sb to @p dst_full of @p db on the
 * server: CopyObject up to 5 GiB, UploadPartCopy above.
 * @param sb       the source's backend
 * @param src_full the source's full key
 * @param db       the destination's backend (same account as @p sb)
 * @param dst_full the destination's full key
 * @param src      the source's metadata (size, content type)
 * @param replace  new metadata (metadata directive REPLACE), or NULL to
 *                 keep the source's
 * @param made     receives the copy's attributes as a HEAD would give
 *                 them, from the answer of a CopyObject; its ETag is ""
 *                 when they are not known (a multipart copy, an answer
 *                 without them). May be NULL.
 * @return 0 or -errno
 */
int rfs_s3_copy_object(struct rfs_s3_backend *sb, const char *src_full,
		       struct rfs_s3_backend *db, const char *dst_full,
		       const struct rfs_s3_meta *src,
		       const struct rfs_s3_meta *replace,
		       struct rfs_s3_meta *made);

/** The most extra header lines rfs_s3_copy_object_with() takes. */
#define RFS_S3_COPY_EXTRA_MAX 4

/**
 * rfs_s3_copy_object() with up to RFS_S3_COPY_EXTRA_MAX more header
 * lines ("x-amz-meta-...: value") sent with the metadata of @p replace,
 * which must then be given.
 * Above rfs_s3_copy_max() the lines go with the multipart upload's
 * creation, and @p made is the copy's HEAD (its multipart ETag).
 * @return as rfs_s3_copy_object(); -EINVAL (too many lines, or lines
 *         without @p replace)
 */
int rfs_s3_copy_object_with(struct rfs_s3_backend *sb, const char *src_full,
			    struct rfs_s3_backend *db, const char *dst_full,
			    const struct rfs_s3_meta *src,
			    const struct rfs_s3_meta *replace,
			    const char *const *extra, size_t n_extra,
			    struct rfs_s3_meta *made);

/* ----------------------------------------------------------- fresh.c */

/** Fresh answers of one refresh (fresh.c), kept by the backend. */
struct rfs_s3_fresh;

/** @see rfs_backend_ops.refresh */
void rfs_s3_refresh(struct rfs_backend *b, const char *const *keys, size_t n);

/** @see rfs_backend_ops.unlink_checked */
int rfs_s3_unlink_checked(struct rfs_backend *b, struct rfs_backend_unlink *u,
			  size_t n);

/* ------------------------------------------------------------ seen.c */

/**
 * The attributes of @p full from the last refresh, when it listed the
 * object seconds ago and the attribute store knows that version.
 * @return true and fill @p st
 */
bool rfs_s3_fresh_stat(struct rfs_s3_backend *b, const char *full,
		       struct stat *st);

/**
 * Whether the last refresh, seconds ago, listed @p full with the ETag of
 * the copy recorded as holding the bytes of SHA-256 @p sha (a single-part
 * ETag, the MD5 of those bytes).
 */
bool rfs_s3_fresh_attest(struct rfs_s3_backend *b, const char *full,
			 const char *sha);

/** Drop what the backend's last refresh said of @p full. */
void rfs_s3_fresh_drop(struct rfs_s3_backend *b, const char *full);

/** Free the backend's fresh answers; NULL does nothing. */
void rfs_s3_fresh_free(struct rfs_s3_fresh *f);

/* ---------------------------------------------------------- attest.c */

/** @see rfs_backend_ops.copy_hashed */
int rfs_s3_copy_hashed(struct rfs_backend *src, const char *src_key,
		       struct rfs_backend *dst, const char *dst_key,
		       char sha[65]);

/** @see rfs_backend_ops.copy_hashed_stat */
int rfs_s3_copy_hashed_stat(struct rfs_backend *src, const char *src_key,
			    struct rfs_backend *dst, const char *dst_key,
			    char sha[65], struct stat *st);

/** @see rfs_backend_ops.attest */
int rfs_s3_attest(struct rfs_backend *b, const char *key, const char *sha);

/**
 * Upload @p size bytes of @p fd as @p full with metadata @p m: one PUT
 * below the part size, else a multipart upload with parts sent in
 * parallel (aborted on failure).
 * @param b    the backend
 * @param full the object's full key
 * @param fd   the data, read with pread()
 * @param size the bytes to send from offset 0
 * @param m    the object's attributes
 * @param etag receives the new ETag (may be NULL)
 * @return 0 or -errno
 */
int rfs_s3_upload_fd(struct rfs_s3_backend *b, const char *full, int fd,
		     int64_t size, const struct rfs_s3_meta *m, char etag[72]);

/**
 * Download the first @p size bytes of @p full into @p fd with ranged
 * GETs in parallel.
 * @param b    the backend
 * @param full the object's full key
 * @param etag when not "", the object must still have this ETag
 *             (-ESTALE otherwise)
 * @param fd   written with pwrite() at the object's offsets
 * @param size the bytes to fetch
 * @return 0 or -errno
 */
int rfs_s3_download_fd(struct rfs_s3_backend *b, const char *full,
		       const char *etag, int fd, int64_t size);

/**
 * Make an unlinked temporary file in $TMPDIR (default /tmp).
 * @return the descriptor or -errno
 */
int rfs_s3_tmpfile(void);

/* --------------------------------------------------------------- io.c */

/** The backend's open(). */
int rfs_s3_open_file(struct rfs_backend *b, const char *key, int flags,
		     mode_t mode, struct rfs_file **out);
/** The backend's read(). */
ssize_t rfs_s3_file_read(struct rfs_file *f, void *buf, size_t size, off_t off);
/** The backend's write(). */
ssize_t rfs_s3_file_write(struct rfs_file *f, const void *buf, size_t size,
			  off_t off);
/** The backend's fstat(). */
int rfs_s3_file_fstat(struct rfs_file *f, struct stat *st);
/** The backend's ftruncate(). */
int rfs_s3_file_ftruncate(struct rfs_file *f, off_t size);
/** The backend's fsync(). */
int rfs_s3_file_fsync(struct rfs_file *f, int datasync);
/** The backend's flush(). */
int rfs_s3_file_flush(struct rfs_file *f);
/** The backend's close(). */
int rfs_s3_file_close(struct rfs_file *f);

/**
 * The attributes of @p full as an open, modified file of this process
 * holds them (its staged size and times; stat.c).
 * @return true when such a file is open
 */
bool rfs_s3_files_stat(struct rfs_s3_backend *b, const char *full,
		       struct stat *st);

/**
 * Before @p key is deleted or renamed away: readers of it fetch what
 * they have not read yet, so they can go on reading; writers forget
 * the name (@p to NULL: their data is not uploaded on close) or take
 * the new name @p to.
 * @return 0 or the error of a fetch
 */
int rfs_s3_files_moving(struct rfs_s3_backend *b, const char *key,
			const char *to);

/**
 * Apply an attribute change to every open file of @p key, so that their
 * uploads carry it.
 * @param b     the backend
 * @param key   the file
 * @param apply called on each file's attributes, under its lock
 * @param arg   passed to @p apply
 * @return true when one of them has changes not uploaded yet (its upload
 *         on close will carry the change: nothing else is needed)
 */
bool rfs_s3_files_update(struct rfs_s3_backend *b, const char *key,
			 void (*apply)(struct rfs_s3_meta *m, const void *arg),
			 const void *arg);

#endif
