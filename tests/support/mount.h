/**
 * @file mount.h
 * @brief Test fixture: a private index, a file storage and a real mount
 *        of `recyclefs` in the foreground.
 *
 * Each test gets a directory under /tmp holding `index.db`, `data/` (the
 * root of a file:// storage named "local") and `mnt/` (the mountpoint).
 * The daemon runs as `recyclefs --index INDEX mount MNT -f`, its stderr
 * (the log) going to `log.txt` there. Not thread-safe: one fixture per
 * test process, as Criterion runs them.
 */
#ifndef RFS_TESTS_SUPPORT_MOUNT_H
#define RFS_TESTS_SUPPORT_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tests/support/cmd.h"

/** One test's directory, index, storage and mount. */
struct rfs_test_mount {
	char dir[64];	/**< the test's private directory */
	char index[96]; /**< dir/index.db */
	char data[96];	/**< dir/data: root of storage "local" */
	char mnt[96];	/**< dir/mnt: the mountpoint */
	char log[96];	/**< dir/log.txt: the daemon's log */
	pid_t pid;	/**< the daemon, 0 when not mounted */
	bool verbose;	/**< start the daemon with -v (debug log) */
};

/**
 * Make the directory, `recyclefs init` the index and add storage "local"
 * (file://dir/data). Sets XDG_CACHE_HOME to dir/cache, so what the
 * program keeps in a cache folder stays with the test.
 * @return 0, or -1 after printing why to stderr
 */
int rfs_test_mount_init(struct rfs_test_mount *m);

/** The open epoch rfs_test_mount_epoch() adds, as the mount shows it. */
#define RFS_TEST_EPOCH "t/l/2020-01-01..now"

/**
 * Set the test process's umask to 022 and add table "t", its lifecycle
 * "l" and an open epoch of it from 2020-01-01 on storage "local" at "e"
 * (dir/data/e, created): RFS_TEST_EPOCH below the mountpoint.
 * @param m a fixture set up by rfs_test_mount_init()
 * @return 0, or -1 after printing why to stderr
 */
int rfs_test_mount_epoch(struct rfs_test_mount *m);

/**
 * Start the daemon and wait (up to 15 s) until the mount answers.
 * @param m    a fixture set up by rfs_test_mount_init(), not mounted; its
 *             pid is set to the daemon's
 * @param opts extra -o options, or NULL
 * @return 0, or -1 after printing why (the log is printed too)
 */
int rfs_test_mount_start(struct rfs_test_mount *m, const char *opts);

/**
 * Unmount (fusermount3 -u, lazily if busy) and reap the daemon, killing
 * it after 15 s.
 * @return the daemon's exit status, or -1 when it had to be killed
 */
int rfs_test_mount_stop(struct rfs_test_mount *m);

/** Stop the mount if it runs and remove the directory. */
void rfs_test_mount_cleanup(struct rfs_test_mount *m);

/**
 * Format a path below the mountpoint into a static buffer (one of four,
 * reused in turn, so up to four may be used in one expression).
 * @return the path, "MNT/<formatted>"
 */
const char *rfs_test_mnt(struct rfs_test_mount *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** As rfs_test_mnt(), below the storage root "data". */
const char *rfs_test_data(struct rfs_test_mount *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Run a shell command line (`/bin/sh -c`), formatted, with the fixture's
 * index in $RECYCLEFS_INDEX and `recyclefs` on the PATH.
 * @param m   the fixture whose index the command uses; the command runs
 *            in its directory
 * @param out what it wrote (caller releases); may be NULL to discard it
 * @param fmt printf-style command line; arguments are not quoted for the
 *            shell, so quote them in @p fmt
 * @return its exit status as rfs_test_run()
 */
int rfs_test_sh(struct rfs_test_mount *m, struct rfs_test_out *out,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * Wait up to @p seconds for the shell command to exit 0, trying every
 * 100 ms. The bound is when to give up, never a check of speed: keep it
 * generous (30 s), as the ASan build on a loaded machine runs several
 * times slower than a developer's.
 * @return true when it did
 */
bool rfs_test_sh_until(struct rfs_test_mount *m, double seconds,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Read the whole daemon log.
 * @return a malloc'ed string the caller frees ("" when empty)
 */
char *rfs_test_mount_log(struct rfs_test_mount *m);

/** Run `recyclefs --index INDEX ARGS...`, the arguments ended by NULL. */
#define rfs_test_cli(m, out, ...)                                              \
	rfs_test_run_recyclefs((out), (m)->index, __VA_ARGS__, NULL)

/**
 * Skip the calling test when the programs were built without the test
 * hooks (meson -Dtest_hooks=true): RECYCLEFS_TEST_KILL_AFTER does nothing
 * then.
 */
#ifdef RFS_TEST_HOOKS
#define RFS_TEST_NEEDS_HOOKS() ((void)0)
#else
#define RFS_TEST_NEEDS_HOOKS()                                                 \
	cr_skip_test("built without the test hooks: meson configure "          \
		     "-Dtest_hooks=true")
#endif

#endif
