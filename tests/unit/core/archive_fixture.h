/**
 * @file archive_fixture.h
 * @brief Fixtures of the archive engine tests: an in-memory index with one
 *        memory storage, table, lifecycle and epoch; source trees with
 *        known contents, modes and times; and the checks every test makes
 *        (nothing lost, the archived layout, the manifest).
 *
 * Each Criterion test runs in its own process. A test may open several
 * fixtures one after the other (the fault loops do): each gets fresh
 * stores, named after the process and a counter, and its own directory.
 */
#ifndef RFS_TESTS_UNIT_CORE_ARCHIVE_FIXTURE_H
#define RFS_TESTS_UNIT_CORE_ARCHIVE_FIXTURE_H

#include "model/entry.h"
#include "core/jobs.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rfs_backend;
struct rfs_index;

#define AFX_TABLE "sales.orders"
#define AFX_LC	  "bronze"
#define AFX_EPOCH "2013-01-01..now"
/** The origin path of the fixture's epoch. */
#define AFX_E AFX_TABLE "/" AFX_LC "/" AFX_EPOCH

/** Where the fixture's recycle storage lives. */
enum afx_layout {
	/** The default bin, on the source's store: server-side copies. */
	AFX_SHARED,
	/** A bin on another store: copies are streamed. */
	AFX_SPLIT,
	/** A bin on another store that keeps no special files
	 * ("?special=no"), as an object store. */
	AFX_SPLIT_PLAIN,
};

/** One item created in the source, with what it must keep. */
struct afx_node {
	char path[128]; /**< under the epoch root; "" is the root */
	char type;	/**< an enum rfs_file_type */
	int64_t size;
	uint32_t mode;
	int64_t mtime_ns, atime_ns;
	char link[128]; /**< symlink target */
	char sha[RFS_SHA256_HEX_LEN];
	uint64_t rdev;	   /**< a device's number */
	uint32_t uid, gid; /**< special files: the owner given them */
};

/** A fixture: index, storage, epoch, backends and the nodes made. */
struct afx {
	char dir[64]; /**< scratch directory (hooks), "" until afx_scratch() */
	char db[128]; /**< the index: ":memory:<store>", shared in-process */
	char store[64], bin_store[64];
	char bin_uri[160];
	struct rfs_index *idx;
	struct rfs_backend *src; /**< the epoch root */
	struct rfs_backend *bin; /**< the bin root */
	struct afx_node *nodes;
	size_t n, cap;
	struct rfs_error err; /**< the last call's reason */
};

/**
 * Put the next fixtures' index in a file of the scratch directory (on
 * tmpfs when there is one) instead of in memory: for a test that reads
 * the index from a second connection while the job is inside a write
 * transaction. Only a file's write-ahead log lets that reader see the
 * last committed state at once; on the in-memory index a writer holds
 * every reader off until it commits.
 */
extern bool afx_index_on_file;

/** Open a fixture with a recorded epoch root ("" node, mode 0755). */
void afx_open(struct afx *f, enum afx_layout layout);

/** Free the fixture, reset its stores, remove its directory. */
void afx_close(struct afx *f);

/** Make a folder (and record it). */
void afx_dir(struct afx *f, const char *path, uint32_t mode);

/** Make a file of @p size pseudo-random bytes (seeded by its path). */
void afx_file(struct afx *f, const char *path, int64_t size, uint32_t mode);

/** Make a symlink. */
void afx_link(struct afx *f, const char *path, const char *target);

/** Make a special file (RFS_FILE_FIFO, _SOCK, _CHR, _BLK) owned by
 * @p uid and @p gid. */
void afx_special(struct afx *f, const char *path, char type, uint32_t mode,
		 uint64_t rdev, uint32_t uid, uint32_t gid);

/** Make one special file of each type under @p base (made by
 * afx_tree(): "sub" is below it). */
void afx_specials(struct afx *f, const char *base);

/** True when @p b holds node @p n (of any type) at @p key: the bytes of
 * a file, the target of a link, the type and device of a special file. */
bool afx_holds(struct rfs_backend *b, const char *key,
	       const struct afx_node *n);

/** Rewrite a made file with @p size new bytes (its node follows). */
void afx_rewrite(struct afx *f, const char *path, int64_t size);

/** Give every node its own known times (call after the last change). */
void afx_settle(struct afx *f);

/** Set one node's mtime in the source and in its record. */
void afx_touch(struct afx *f, const char *path, int64_t mtime_ns);

/**
 * The standard partition below @p base: files (one empty, one of several
 * memory chunks), nested folders, two empty folders and a symlink.
 * Call afx_settle() afterwards.
 */
void afx_tree(struct afx *f, const char *base);

/** The node at @p path, or NULL. */
struct afx_node *afx_node(struct afx *f, const char *path);

/** Nodes under @p item (item itself included), and their files/bytes. */
void afx_totals(const struct afx *f, const char *item, int64_t *nodes,
		int64_t *files, int64_t *bytes);

/** "T/L/E" joined with @p item ("" gives the epoch's origin). */
const char *afx_origin(const char *item);

/** rfs_archive_begin() with this process as owner; asserts success. */
void afx_begin(struct afx *f, const char *item, struct rfs_entry *e);

/** rfs_job_run(); the reason lands in f->err. */
int afx_run(struct afx *f, int64_t id, const struct rfs_job_opts *o);

/** Begin and run the archive of @p item, check it archived; @p out (may
 * be NULL) gets the entry, to release after. */
void afx_archive(struct afx *f, const char *item, struct rfs_entry *out);

/** Read entry @p id (asserts it exists); release it after. */
void afx_get(struct afx *f, int64_t id, struct rfs_entry *e);

/** The state of entry @p id. */
enum rfs_entry_state afx_state(struct afx *f, int64_t id);

/** Retry (if failed) and run entry @p id until it is archived (nothing
 * when it is archived already). */
void afx_finish(struct afx *f, int64_t id);

/** SHA-256 of @p key in @p b. @return 0 or -errno */
int afx_hash(struct rfs_backend *b, const char *key,
	     char out[RFS_SHA256_HEX_LEN]);

/**
 * The guarantee: every file and symlink under @p item exists with its
 * recorded content in the source or at @p bin_path in the bin (or both).
 * @p when names the moment, for the failure message.
 */
void afx_check_no_loss(struct afx *f, const char *item, const char *bin_path,
		       const char *when);

/** Every node under @p item is in the source as made (bytes, mode,
 * mtime, target). */
void afx_check_source(struct afx *f, const char *item);

/**
 * Read the manifest of entry @p e from @p f's bin (the read must work):
 * each row to @p row with @p ctx (may be NULL), its file and byte totals
 * into @p files and @p bytes (each may be NULL).
 */
void afx_manifest_rows(struct afx *f, const struct rfs_entry *e,
		       int (*row)(void *ctx, const struct rfs_entry_file *r),
		       void *ctx, int64_t *files, int64_t *bytes);

/**
 * The archived layout of entry @p e: totals, the source gone (an epoch's
 * root stays, empty), the bin copy identical (bytes, mode, mtime,
 * target, empty folders) and the manifest listing every node.
 */
void afx_check_archived(struct afx *f, const struct rfs_entry *e);

/** Same, by entry id, asserting the entry is archived first. */
void afx_check_archived_id(struct afx *f, int64_t id);

/** The number of entries in the index, purged ones included. */
int afx_count_entries(struct afx *f);

/** True when the history has a record @p action about @p subject. */
bool afx_history_has(struct afx *f, const char *action, const char *subject);

/** The scratch directory, made on first use. @return its path */
const char *afx_scratch(struct afx *f);

/** Write an executable /bin/sh script in the scratch directory; "$D" in
 * @p body is that directory. @return its path (static buffer). */
const char *afx_script(struct afx *f, const char *name, const char *body);

/** The content of a scratch file, malloc'ed, or NULL when missing. */
char *afx_slurp(struct afx *f, const char *name);

/** A lease owner of this host whose process is dead. */
const char *afx_dead_owner(void);

#endif
