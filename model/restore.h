/**
 * @file restore.h
 * @brief A restore's record: its state, target and progress, as the index
 *        keeps it, and the names of its states.
 *
 * The use cases that plan and run restores are in core/restore.h; this is
 * the plain record they and the index share. All functions are pure and
 * thread-safe.
 */
#ifndef RFS_MODEL_RESTORE_H
#define RFS_MODEL_RESTORE_H

#include <stdbool.h>
#include <stdint.h>

/** Where a restore stands. Stored in the index by name. */
enum rfs_restore_state {
	RFS_RESTORE_CHECK,	 /**< checking the bin copy and the target */
	RFS_RESTORE_COPY,	 /**< copying to the target */
	RFS_RESTORE_VERIFY,	 /**< checking every restored checksum */
	RFS_RESTORE_PUBLISH,	 /**< adding partitions to the metastore */
	RFS_RESTORE_DONE,	 /**< finished */
	RFS_RESTORE_FAILED,	 /**< stopped; see reason and failed_step */
	RFS_RESTORE_STATE_COUNT, /**< the number of states; not a state */
};

/** @return the state's name: "check", ..., "failed" (static). */
const char *rfs_restore_state_name(enum rfs_restore_state s);

/** Parse a state name. @return 0, or -EINVAL */
int rfs_restore_state_parse(const char *name, enum rfs_restore_state *s);

/** One restore. Strings are owned; release with rfs_restore_release(). */
struct rfs_restore {
	int64_t id;		 /**< index row id; 0 until recorded */
	int64_t entry_id;	 /**< the bin entry restored from */
	char *sub;		 /**< the part of the entry: "" for all of it */
	char *target_uri;	 /**< root URI of the target location */
	char *target_key;	 /**< where the item lands under that root */
	char *target;		 /**< for people: "T/L/E/x" or a URI */
	int64_t target_epoch_id; /**< the catalog epoch, or 0 for a URI */
	char *target_table;	 /**< for the metastore hook, or NULL */
	char *target_lifecycle;	 /**< likewise */
	char *target_epoch;	 /**< likewise */
	bool overwrite;		 /**< replace existing files */
	enum rfs_restore_state state;	    /**< where it stands */
	enum rfs_restore_state failed_step; /**< the step a failure stopped */
	char *reason;			    /**< why it failed, or NULL */
	/**
	 * @var rfs_restore::files_total
	 * Files and symlinks to restore (folders and purged rows not counted).
	 * @var rfs_restore::bytes_total
	 * Bytes of those files.
	 * @var rfs_restore::files_done
	 * Files the current step has finished so far.
	 * @var rfs_restore::bytes_done
	 * Bytes of those files.
	 */
	int64_t files_total, bytes_total, files_done, bytes_done;
	/** When it was planned, ns since the Unix epoch. */
	int64_t created_ns, updated_ns; /**< last change, ns since the epoch */
	char *lease_owner;		/**< the process running it, or NULL */
	int64_t lease_until_ns;		/**< until when that lease holds */
	/**
	 * Set by rfs_restore_begin() when the same restore (same entry and
	 * target) was already running or resumable and was joined instead
	 * of a second one being recorded. Not stored.
	 */
	bool joined;
};

/** Free what @p r owns and zero it. NULL does nothing. */
void rfs_restore_release(struct rfs_restore *r);

#endif
