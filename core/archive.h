/**
 * @file archive.h
 * @brief The recycle bin's use cases: archive, retry, purge, reindex.
 *
 * Both entry points call these: the mount (a rename into .recyclebin, an
 * rm inside it) and the command line. Starting an archive only records
 * the intent in one index transaction; the job then runs through
 * rfs_job_run() (core/jobs.h), in a worker of the mount or in the command.
 * A handle is used by one thread at a time.
 */
#ifndef RFS_CORE_ARCHIVE_H
#define RFS_CORE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rfs_backend;
struct rfs_catalog;
struct rfs_entry;
struct rfs_error;
struct rfs_index;

/**
 * Record the archive of the item at @p origin ("T/L/E" or "T/L/E/sub"):
 * checks it, chooses its bin path (core/bin.h) and inserts the entry in
 * state snapshot, in one transaction.
 * @param idx    the index; this opens and commits its own transaction, so
 *               none may be open on @p idx
 * @param origin the item's catalog path; a leading slash is ignored and
 *               the path is normalised before it is checked
 * @param owner  when not NULL, the lease is taken for @p owner in the same
 *               transaction (the caller runs the job next)
 * @param out    filled with the new entry (or, with -EALREADY, the entry
 *               that already holds the item); release with
 *               rfs_entry_release(); may be NULL
 * @param err    receives the reason on failure; may be NULL
 * @return 0; -EALREADY when the item is gone from its epoch and a live
 *         entry holds it (already archived: not an error for scripts);
 *         -ENOENT (no such table, lifecycle, epoch or item); -EPERM (not
 *         under an epoch, catalog-only storage, a symlink leaving the
 *         storage, a part of a Delta, Iceberg or Hudi table: a folder
 *         above the item, up to the storage's root, is a table root, see
 *         core/tableformat.h; the whole root may be archived; an item
 *         that is a special file whose recycle storage keeps none, see
 *         RFS_BACKEND_CAP_SPECIAL: a folder's are refused by the job's
 *         snapshot step); -EBUSY (the item
 * or a folder around it is being archived, or a failed archive of it waits for
 * retry or purge); -EINVAL (a malformed path); -ENOMEM, -EIO, or the index's
 *         errors (index/index.h). The reason is in @p err.
 */
int rfs_archive_begin(struct rfs_index *idx, const char *origin,
		      const char *owner, struct rfs_entry *out,
		      struct rfs_error *err);

/** An archive planned on a catalog snapshot, not recorded yet. */
struct rfs_archive_plan;

/**
 * The first half of rfs_archive_begin(), without the index: resolve
 * @p origin in catalog snapshot @p cat (the mount's request holds one)
 * and check the item in its storage (it exists; not a part of a
 * transactional table). No lock on the index is needed meanwhile.
 * @param cat    a sealed catalog; it must outlive @p out
 * @param origin "T/L/E[/item]"
 * @param out    set to the plan; free it with rfs_archive_plan_free()
 * @param err    receives the reason on failure; may be NULL
 * @return 0; as rfs_archive_begin() (-ENOENT for an item that is gone,
 *         without the -EALREADY of one archived already)
 */
int rfs_archive_plan(const struct rfs_catalog *cat, const char *origin,
		     struct rfs_archive_plan **out, struct rfs_error *err);

/**
 * The second half: record the planned archive in one index transaction,
 * as rfs_archive_begin() does. Should the item's epoch have changed since
 * the snapshot the plan was made on (re-pointed, closed, removed),
 * nothing is written and -ESTALE is returned with "the catalog changed:
 * ...; try again", never an entry with an old source.
 * @return as rfs_archive_begin(), and -ESTALE
 */
int rfs_archive_commit(struct rfs_index *idx, const struct rfs_archive_plan *p,
		       const char *owner, struct rfs_entry *out,
		       struct rfs_error *err);

/** Free a plan; NULL does nothing. */
void rfs_archive_plan_free(struct rfs_archive_plan *p);

/**
 * Make a failed entry runnable again: from a fresh snapshot when it
 * failed before its data was verified (copies already in the bin are
 * reused when size and checksum match), else from the step that failed.
 * @return 0; -ENOENT; -EINVAL when the entry is not failed
 */
int rfs_archive_retry(struct rfs_index *idx, int64_t id, struct rfs_error *err);

/** How rfs_purge_begin_flags() purges. */
enum rfs_purge_flags {
	/** Purge even when the entry's latest restore failed or waits to
	 * resume (never while a restore of it runs). */
	RFS_PURGE_FORCE = (1 << 0),
};

/**
 * Mark an entry for purging (its job then deletes the recycle copy and
 * the manifest for good; the entry stays in the history as purged).
 * Purging a purged entry succeeds and changes nothing. Same as
 * rfs_purge_begin_flags() with no flags.
 * @return 0; -ENOENT; -EBUSY when it is still archiving, being restored,
 *         or its latest restore failed or waits to resume (the reason
 *         says which)
 */
int rfs_purge_begin(struct rfs_index *idx, int64_t id, struct rfs_error *err);

/**
 * Mark an entry for purging, as rfs_purge_begin().
 * @param idx   the index; this opens and commits its own transaction
 * @param id    the entry
 * @param flags RFS_PURGE_FORCE: purge although its latest restore failed
 *              or waits to resume (those waiting are marked failed,
 *              "abandoned"); see rfs_restore_purge_check()
 * @param err   receives the reason on failure; may be NULL
 * @return 0; -ENOENT; -EBUSY (still archiving; a restore of it runs; its
 *         latest restore failed or is unfinished and @p flags has no
 *         RFS_PURGE_FORCE; a failed archive whose bin holds the only copy
 *         of some files)
 */
int rfs_purge_begin_flags(struct rfs_index *idx, int64_t id,
			  enum rfs_purge_flags flags, struct rfs_error *err);

/**
 * Find the entry a user means by @p path. A path through the bin
 * (".recyclebin/X", or "X.~2~" that no entry has as its origin) names
 * exactly one entry, the live one at that bin path; any other path is an
 * origin path and names the newest live (not purged) entry archived from
 * it (the latest archived, whatever its state), so that a command by
 * original path always acts on the latest version.
 * @param idx  the index to search
 * @param path a bin path or an origin path; a leading slash is ignored
 * @param out  filled on success; release with rfs_entry_release()
 * @param err  receives the reason on failure; may be NULL
 * @return 0, -ENOENT (with the reason), -EINVAL (a "." or ".."
 *         component), -EIO
 */
int rfs_entry_find(struct rfs_index *idx, const char *path,
		   struct rfs_entry *out, struct rfs_error *err);

/**
 * As rfs_entry_find(), for a path at or below an entry: the nearest of
 * @p path and its ancestors that names an entry, read first as origin
 * paths (the newest live version) unless @p path went through
 * ".recyclebin/", then as bin paths.
 * @param idx  the index to search
 * @param path a bin path or an origin path, possibly below an entry
 * @param out  filled on success; release with rfs_entry_release()
 * @param sub  on success, the part of @p path below the entry ("" for the
 *             entry itself); the caller frees it
 * @param err  receives the reason on failure; may be NULL
 * @return 0, -ENOENT, -EINVAL (a "." or ".." component), -ENOMEM, -EIO
 */
int rfs_entry_find_at(struct rfs_index *idx, const char *path,
		      struct rfs_entry *out, char **sub, struct rfs_error *err);

/**
 * Purge one file, symlink or empty folder of an archived entry for good
 * (`rm` or `rmdir` of a path inside a bin entry), keeping the entry
 * restorable and true: the manifest is rewritten without it (atomically,
 * before the data goes), then the copy is removed, then the index marks
 * its row purged and takes it out of the entry's file and byte counts.
 * A crash between the steps leaves at most a copy that nothing claims;
 * running it again finishes. A path the manifest does not list is only
 * removed from recycle storage.
 * @param idx the index (this thread's handle), with no transaction open
 * @param bin a backend on the entry's recycle root
 * @param id  the entry's row id
 * @param sub the path below the entry ("" is refused: purge the entry)
 * @param err receives the reason on failure; may be NULL
 * @return 0; -EBUSY (the entry is not archived), -ENOTEMPTY (a folder
 *         with something left in it), -ENOENT, the backend's or the
 *         index's error
 */
int rfs_purge_part(struct rfs_index *idx, struct rfs_backend *bin, int64_t id,
		   const char *sub, struct rfs_error *err);

/**
 * Purge several files, symlinks or empty folders of one archived entry
 * for good, as rfs_purge_part() does one, with the manifest rewritten once
 * for all of them (so purging n parts costs n removals and one manifest,
 * not n manifests): the manifest without them first, then the copies
 * (files, then folders deepest first, so that a folder whose content is
 * in @p subs too is empty by then), then one index transaction marks the
 * rows purged and takes them out of the entry's counts. A part that
 * cannot be removed (a folder with something else left in it, a backend
 * error) stays: the manifest is written again with it, its row and counts
 * stay, the others go, and the first error is returned.
 * @param idx  the index (this thread's handle), with no transaction open
 * @param bin  a backend on the entry's recycle root
 * @param id   the entry's row id
 * @param subs paths below the entry, each once ("" is refused)
 * @param n    how many
 * @param err  receives the reason of the first failure; may be NULL
 * @return 0; -EBUSY (the entry is not archived), -ENOTEMPTY, -ENOENT (a
 *         path neither listed nor in recycle storage), the backend's or
 *         the index's error
 */
int rfs_purge_parts(struct rfs_index *idx, struct rfs_backend *bin, int64_t id,
		    const char *const *subs, size_t n, struct rfs_error *err);

/**
 * As rfs_purge_parts(), for the queue of parts (core/part_job.h): with
 * @p dequeue, a path neither listed nor in recycle storage is done (not
 * an error), and the queue rows of the parts that went are dropped in
 * the same index transaction that marks their manifest rows purged, so
 * that a crash leaves either both or neither (and a rerun finishes).
 * @return as rfs_purge_parts()
 */
int rfs_purge_parts_queued(struct rfs_index *idx, struct rfs_backend *bin,
			   int64_t id, const char *const *subs, size_t n,
			   bool dequeue, struct rfs_error *err);

/**
 * Refuse a path with a "." or ".." component, which names nothing in the
 * catalog or the bin.
 * @param path a path as the user typed it
 * @param err  receives "path 'P' has a '.' or '..' component: ..."
 * @return 0 or -EINVAL
 */
int rfs_entry_path_check(const char *path, struct rfs_error *err);

/** What rfs_reindex() did with one manifest. */
struct rfs_reindex_report {
	const char *storage;  /**< storage whose bin holds it */
	const char *manifest; /**< its key in that bin */
	const char *bin_path; /**< the entry's bin path, or NULL */
	int result; /**< 0 added, -EEXIST already indexed, else skipped */
	const char *reason; /**< why it was skipped, or NULL */
};

/** Called once per manifest found. */
typedef void (*rfs_reindex_fn)(void *ctx, const struct rfs_reindex_report *r);

/**
 * Rebuild the index's bin entries from the manifests in every storage's
 * recycle location. Entries already indexed (same uuid) are left alone;
 * corrupt manifests or manifests of a newer format are reported and
 * skipped, and nothing else is lost. Storages without a recycle location
 * or without a data path in this build are skipped silently.
 * @param idx   the index to add the entries to
 * @param fn    called once per manifest found, and once per storage whose
 *              manifests could not be listed; may be NULL
 * @param ctx   passed to @p fn
 * @param added set to the number of entries added (may be NULL)
 * @param err   receives the reason when the catalog cannot be loaded; may
 *              be NULL (per-manifest reasons go to @p fn instead)
 * @return 0 (even when some manifests were skipped), or -errno when the
 *         index could not be read or written
 */
int rfs_reindex(struct rfs_index *idx, rfs_reindex_fn fn, void *ctx, int *added,
		struct rfs_error *err);

#endif
