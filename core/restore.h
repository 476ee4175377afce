/**
 * @file restore.h
 * @brief Restore: a copy back out of the recycle bin, to the original
 *        place or a chosen one, with family checks and metastore re-add.
 *
 * A restore is a job like an archive (DESIGN.md section 4), persisted in
 * the index and resumable after a crash:
 *
 * ```
 * check -> copy -> verify -> publish -> done
 *    \______\________\_________\------> failed (retry)
 * ```
 *
 * - check: every recycle copy still matches its manifest checksum (else
 *   nothing is restored: the bin is corrupt), and no file exists at the
 *   target (else nothing is restored, unless overwrite);
 * - copy: recycle -> target with the cheapest safe primitive, keeping
 *   modes and times; files already there with the right checksum are
 *   skipped, so a re-run redoes little; extra files at the target are
 *   never deleted;
 * - verify: every restored file's checksum equals the manifest's;
 * - publish: the metastore hook's add_partitions for the restored
 *   partitions, once the data is in place (catalog targets only);
 * - done: the entry records where it was restored; it stays in the bin
 *   until purged.
 *
 * Data is restored only into a storage of the same family (blob to blob:
 * S3 to S3 or S3 to NFS; never blob to relational). A handle is used by
 * one thread at a time.
 */
#ifndef RFS_CORE_RESTORE_H
#define RFS_CORE_RESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/restore.h"

struct rfs_catalog;
struct rfs_error;
struct rfs_index;
struct rfs_job_opts;

/** Where to restore to: at most one of @p to and @p to_uri. */
struct rfs_restore_target {
	/** A catalog path "T/L/E[/folder]" to restore into, or NULL. */
	const char *to;
	/** A location outside the catalog, "s3://b/p", "file:///x", or NULL */
	const char *to_uri;
	bool overwrite; /**< replace existing files (never deletes others) */
};

/**
 * Plan a restore of what @p path names in the bin (an entry's bin path or
 * origin, or a path below an entry root), check it (the entry archived,
 * the target resolvable, families compatible) and, unless @p dry_run,
 * record it in state check.
 *
 * At most one restore of an entry to one target (target URI and key)
 * runs or waits to resume at a time: when one is in check, copy, verify
 * or publish, it is returned with rfs_restore::joined set and nothing is
 * recorded (the index's unique index makes this hold between processes
 * too). Its own --overwrite stays as it was recorded. A restore of the
 * same entry to another target is recorded beside it.
 * @param idx     the index; with no transaction open unless @p dry_run
 * @param path    a bin path (with or without ".recyclebin/"), a path below
 *                an entry's bin path, or an entry's origin path
 * @param to      where to restore to; NULL (or both members NULL) for the
 *                entry's origin
 * @param dry_run plan and check only; write nothing
 * @param owner   when not NULL, the lease is taken for @p owner
 * @param out     the restore planned (id 0 on a dry run); release with
 *                rfs_restore_release(); may be NULL
 * @param err     receives the reason on failure; may be NULL
 * @return 0; -ENOENT (nothing in the bin there; an unknown target);
 *         -EBUSY (still archiving); -EINVAL (a purged or failed entry, a
 *         --to that is not an epoch path, an unknown scheme); -EXDEV
 *         ("restore refused: ... is blob data (s3) and cannot be restored
 *         into relational storage 'pg-main'"); -EPERM (the part restored
 *         holds a special file and the target keeps none, see
 *         RFS_BACKEND_CAP_SPECIAL). Nothing is written on error.
 */
int rfs_restore_begin(struct rfs_index *idx, const char *path,
		      const struct rfs_restore_target *to, bool dry_run,
		      const char *owner, struct rfs_restore *out,
		      struct rfs_error *err);

/**
 * As rfs_restore_begin(), planning the target on catalog snapshot
 * @p snap instead of loading the catalog (the mount's request holds
 * one): the catalog is not read under the caller's lock on @p idx. Should
 * the target epoch have changed since @p snap was loaded, nothing is
 * written and -ESTALE is returned ("the catalog changed: ...; try
 * again"), never a restore to an old target.
 * @param idx  the index, as for rfs_restore_begin()
 * @param snap a sealed catalog, or NULL to load the index's
 * @param path the bin path, as for rfs_restore_begin()
 * @param to, dry_run, owner, out, err as for rfs_restore_begin()
 * @return as rfs_restore_begin(), and -ESTALE
 */
int rfs_restore_begin_cat(struct rfs_index *idx, const struct rfs_catalog *snap,
			  const char *path, const struct rfs_restore_target *to,
			  bool dry_run, const char *owner,
			  struct rfs_restore *out, struct rfs_error *err);

/**
 * Run a restore in this thread until done or failed, under its lease.
 * @return 0 when done; -EBUSY (another process runs it); -EINTR (stopped
 *         through @p o->stop); -ECANCELED (not runnable); otherwise the
 *         failure, recorded with its reason
 */
int rfs_restore_run(struct rfs_index *idx, int64_t id,
		    const struct rfs_job_opts *o, struct rfs_error *err);

/**
 * Run a restore, or attach to it when another process runs it: wait until
 * that process ends it, and take it over (run it here) when that process
 * dies or stops holding its lease. This is what a rerun of the same
 * restore does after rfs_restore_begin() joined it.
 * @param idx the index; no transaction open
 * @param id  the restore's row id
 * @param o   the stop flag and options, as rfs_restore_run(); may be NULL
 * @param err receives the reason on failure; may be NULL
 * @return 0 when the restore is done (here or by the other process);
 *         -EINTR (stopped through @p o->stop; the restore goes on where
 *         it runs); -EIO or the failure's errno when it failed (reason in
 *         @p err: the restore's recorded reason); -ENOENT
 */
int rfs_restore_attach(struct rfs_index *idx, int64_t id,
		       const struct rfs_job_opts *o, struct rfs_error *err);

/**
 * Check that the recycle copy of entry @p entry_id may be purged as far as
 * restores go: no restore of it runs, and its newest restore did not fail
 * and is not waiting to resume (the bin may then hold the only complete
 * copy of the data). With @p force, a failed or resumable newest restore
 * does not stop the purge; restores waiting to resume are then marked
 * failed ("abandoned: the entry was purged").
 * @param idx      the index, inside the caller's transaction
 * @param entry_id the entry to purge
 * @param bin_path the entry's bin path, for the reason
 * @param force    purge despite a failed or unfinished restore
 * @param err      receives the reason; may be NULL
 * @return 0; -EBUSY with the reason ("'.recyclebin/X' is not purged: its
 *         latest restore, to 'T/L/E/x', failed at copy ..."); -EIO
 */
int rfs_restore_purge_check(struct rfs_index *idx, int64_t entry_id,
			    const char *bin_path, bool force,
			    struct rfs_error *err);

#endif
