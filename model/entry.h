/**
 * @file entry.h
 * @brief Recycle entries: one archived folder or file, its state and its
 *        manifest rows.
 *
 * An entry is created when something under an epoch is moved into the
 * recycle bin. Its job walks the states of the archive state machine
 * (DESIGN.md section 3), each committed in the index before the next:
 *
 * ```
 * snapshot -> sync -> verify -> unpublish -> delete -> archived
 *     \________\_________\___________\_________\-----> failed (retry)
 * archived | failed -> purging -> purged
 * ```
 *
 * The bin mirrors original paths: an entry's bin path is its origin path
 * ("sales.orders/bronze/2001-01-01..2010-01-01/dt=2001-01-01"), with a
 * numbered suffix on the first clashing component when another live entry
 * already holds that place (see core/bin.h).
 */
#ifndef RFS_MODEL_ENTRY_H
#define RFS_MODEL_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

/** Where an entry's job stands. Values are stored in the index by name. */
enum rfs_entry_state {
	RFS_ENTRY_SNAPSHOT,    /**< listing the source into the manifest */
	RFS_ENTRY_SYNC,	       /**< copying to recycle storage */
	RFS_ENTRY_VERIFY,      /**< checking every copy's SHA-256 */
	RFS_ENTRY_UNPUBLISH,   /**< dropping partitions from the metastore */
	RFS_ENTRY_DELETE,      /**< removing the verified source */
	RFS_ENTRY_ARCHIVED,    /**< done: the data lives in the bin only */
	RFS_ENTRY_FAILED,      /**< stopped; see reason and failed_step */
	RFS_ENTRY_PURGING,     /**< deleting the recycle copy for good */
	RFS_ENTRY_PURGED,      /**< gone; kept as history */
	RFS_ENTRY_STATE_COUNT, /**< the number of states; not a state */
};

/** @return the state's name: "snapshot", ..., "purged" (static). */
const char *rfs_entry_state_name(enum rfs_entry_state s);

/** Parse a state name. @return 0, or -EINVAL for an unknown name */
int rfs_entry_state_parse(const char *name, enum rfs_entry_state *s);

/** True for the states of a running archive (snapshot to delete). */
bool rfs_entry_state_archiving(enum rfs_entry_state s);

/** True for states a worker runs (archiving ones and purging). */
bool rfs_entry_state_runnable(enum rfs_entry_state s);

/** Length of an entry's id text, with the NUL: 32 hex digits. */
#define RFS_ENTRY_UUID_LEN 33

/** One recycle entry. Strings are owned; release with rfs_entry_release(). */
struct rfs_entry {
	int64_t id;		       /**< index row id */
	char uuid[RFS_ENTRY_UUID_LEN]; /**< stable id, also in the manifest */
	char *bin_path;		       /**< where it shows under .recyclebin/ */
	char *origin_path;	       /**< where it was: "T/L/E[/item]" */
	char *table;		       /**< table name at archive time */
	char *lifecycle;	       /**< lifecycle name at archive time */
	char *epoch;	    /**< epoch directory name at archive time */
	int64_t epoch_id;   /**< catalog id of that epoch (0 when unknown) */
	char *item_key;	    /**< the item under the epoch root; "" = all */
	char *storage;	    /**< storage name at archive time */
	char *src_uri;	    /**< the epoch's root URI (source backend) */
	char *bin_root_uri; /**< the storage's recycle URI (bin backend) */
	bool is_dir;	    /**< a folder (else a file or symlink) */
	enum rfs_entry_state state;	  /**< where its job stands */
	enum rfs_entry_state failed_step; /**< the step a failure stopped */
	char *reason; /**< why it failed, or a warning; NULL if none */
	/** Files and symlinks the snapshot listed (folders not counted). */
	int64_t files_total, bytes_total; /**< bytes the snapshot listed */
	/** Files the current step has finished so far. */
	int64_t files_done, bytes_done; /**< bytes of those files */
	int64_t created_ns;		/**< when it was moved in */
	int64_t updated_ns;		/**< last change */
	int64_t deleted_ns;	/**< when the source was removed (archived) */
	int64_t purged_ns;	/**< when it was purged */
	char *lease_owner;	/**< the process running it, or NULL */
	int64_t lease_until_ns; /**< until when that lease holds */
	char *restored_to;	/**< where it was last restored, or NULL */
};

/** Free what @p e owns and zero it. NULL does nothing. */
void rfs_entry_release(struct rfs_entry *e);

/**
 * Deep-copy @p src into @p dst.
 * @return 0 or -ENOMEM (then @p dst is zeroed)
 */
int rfs_entry_copy(struct rfs_entry *dst, const struct rfs_entry *src);

/** Kinds of manifest rows. */
enum rfs_file_type {
	RFS_FILE_REG = 'f',  /**< a regular file */
	RFS_FILE_DIR = 'd',  /**< a directory */
	RFS_FILE_LINK = 'l', /**< a symbolic link */
	RFS_FILE_FIFO = 'p', /**< a named pipe (FIFO) */
	RFS_FILE_SOCK = 's', /**< a UNIX socket */
	RFS_FILE_CHR = 'c',  /**< a character device */
	RFS_FILE_BLK = 'b',  /**< a block device */
};

/** True for the special files: FIFOs, sockets and devices. */
static inline bool rfs_file_type_special(enum rfs_file_type t)
{
	return t == RFS_FILE_FIFO || t == RFS_FILE_SOCK || t == RFS_FILE_CHR ||
	       t == RFS_FILE_BLK;
}

/** Progress of one manifest row through the job. */
enum rfs_file_state {
	RFS_FILE_PENDING = 0,  /**< listed, not copied yet */
	RFS_FILE_COPIED = 1,   /**< in recycle storage, checksum known */
	RFS_FILE_VERIFIED = 2, /**< the copy's checksum matched */
	RFS_FILE_DELETED = 3,  /**< removed from the source */
	RFS_FILE_PURGED = 4,   /**< removed from recycle storage */
};

/** Length of a SHA-256 in hex, with the NUL. */
#define RFS_SHA256_HEX_LEN 65

/** One manifest row: a file, folder or symlink of an entry. */
struct rfs_entry_file {
	const char *path; /**< relative to the item root; "" is the item */
	enum rfs_file_type type; /**< a file, folder or symlink */
	int64_t size;		 /**< bytes (regular files), else 0 */
	int64_t mtime_ns;	 /**< modification time, ns since the epoch */
	int64_t atime_ns;	 /**< access time, ns since the epoch */
	uint32_t mode;		 /**< permission bits (07777) */
	/** Owning user id, as listed from the source. */
	uint32_t uid, gid; /**< owning group id, as listed from the source */
	const char *link;  /**< symlink target, NULL otherwise */
	char sha256[RFS_SHA256_HEX_LEN]; /**< "" until known */
	enum rfs_file_state state; /**< how far the job has taken this row */
	/** The device number of a character or block device (as st_rdev),
	 * 0 for every other type. */
	uint64_t rdev;
};

#endif
