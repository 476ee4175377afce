/**
 * @file fs.h
 * @brief The FUSE entry point: mounts the catalog and serves it.
 *
 * The mount shows every table, its lifecycles and their storage epochs as
 * directories (see core/namespace.h). Inside an epoch, operations go to the
 * epoch's backend. Catalog levels are read-only (EPERM with a logged
 * reason); a rename between two epochs gives EXDEV.
 */
#ifndef RFS_FS_FS_H
#define RFS_FS_FS_H

#include <stdbool.h>

/** How to mount. */
struct rfs_fs_options {
	const char *index_path; /**< the index file */
	const char *mountpoint; /**< an existing, empty, unmounted directory */
	bool foreground;	/**< stay in the foreground (logs to stderr) */
	bool debug;		/**< FUSE debug output and debug logging */
	const char *log_file;	/**< log here when daemonized; NULL: syslog */
	const char *fuse_opts;	/**< comma-separated -o options, or NULL */
	int threads;		/**< FUSE worker threads; 0 for the default */
};

/**
 * Check the mountpoint and the index, mount, and serve until unmounted
 * (fusermount3 -u) or signalled. Daemonizes unless @p opts->foreground,
 * after the mount is in place, so the caller's exit status tells whether
 * mounting worked.
 * @return 0 after a clean unmount; 1 when the mount could not be made
 *         (the reason was printed to stderr)
 */
int rfs_fs_main(const struct rfs_fs_options *opts);

#endif
