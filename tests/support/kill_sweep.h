/**
 * @file kill_sweep.h
 * @brief Test harness: kill a `recyclefs` command line (SIGKILL) at each
 *        of its backend calls in turn, run it again, and check every
 *        checksum and the end state.
 *
 * Run N (N = 1, 2, ...) starts from the state @p reset makes, runs
 * @p command with RECYCLEFS_TEST_KILL_AFTER=N (the process kills itself
 * at its Nth backend call; the programs must be built with
 * -Dtest_hooks=true, else the test is skipped), checks what the kill
 * left, runs @p rerun (what a user or a script does after a crash) and
 * checks the end state. The sweep ends with the first run the kill no
 * longer reaches: the command then needs fewer calls, so every point was
 * killed; that run's end state is checked too.
 *
 * Checksums, when @p sums is set: a file in `sha256sum` format (paths
 * relative to the folder it describes, as `find . -type f -exec
 * sha256sum {} +` writes them). After each kill, every regular file at
 * @p sums_at is one of them with its bytes (never a partial or foreign
 * file under a final name; our temporaries `.rfs-tmp.*` aside) and, with
 * @p sums_from, every file of the list is at @p sums_from or at
 * @p sums_at with its bytes, and unchanged where it is at @p sums_from
 * (nothing lost). After the rerun, every file of the list is at
 * @p sums_at with its bytes, nothing else and no temporary is there.
 *
 * A new job kind (a PostgreSQL archive, say) sets @p reset, @p command,
 * @p rerun and the callbacks @p killed and @p done with its own checks
 * (rows and their hashes), and @p sums when it moves files.
 *
 * Not thread-safe; call it from a Criterion test (failures are
 * cr_assert()s naming the kill point).
 */
#ifndef RFS_TESTS_SUPPORT_KILL_SWEEP_H
#define RFS_TESTS_SUPPORT_KILL_SWEEP_H

#include "tests/support/mount.h"

/**
 * A check of the sweep: fails the test (cr_assert) when the state is
 * wrong.
 * @param ctx  as set in struct rfs_test_kill_sweep
 * @param when names the point for messages: "archive killed at call 7",
 *             or "archive, the run that completed"
 */
typedef void (*rfs_test_kill_sweep_fn)(void *ctx, const char *when);

/** One sweep. Zero the members not used. */
struct rfs_test_kill_sweep {
	struct rfs_test_mount *m;      /**< the fixture; commands run in its dir
					    with its index */
	const char *what;	       /**< "archive", for messages */
	const char *command;	       /**< the shell line killed, "recyclefs
					    archive T/L/E" (every process it
					    starts has the kill point) */
	const char *rerun;	       /**< the shell line run after each kill,
					    which must exit 0, or NULL for none */
	rfs_test_kill_sweep_fn reset;  /**< back to the start state before
					    each run (mandatory) */
	rfs_test_kill_sweep_fn killed; /**< checks right after a kill (before
					    the rerun), or NULL */
	rfs_test_kill_sweep_fn done;   /**< checks of the end state, after
					    the rerun and after the run that
					    completed, or NULL */
	void *ctx;		       /**< passed to the callbacks */
	const char *sums;	       /**< the checksums file, relative to the
					    fixture's dir, or NULL (read after
					    @p reset: it may write it) */
	const char *sums_at;   /**< with @p sums: the folder (relative to
				    the fixture's dir) where the files end */
	const char *sums_from; /**< with @p sums: the folder they come from,
				    or NULL */
	long dense;	       /**< kill at every call up to this one, then
				    every @p step th; 0: every call */
	long step;	       /**< 0 counts as 1 */
	long max_calls;	       /**< fail when a run still dies past this
				    call; 0: 5000 */
	int min_points;	       /**< fail when fewer runs were killed */
};

/**
 * Run a sweep (see the file's description).
 * @return the number of kill points: the runs that were killed
 */
int rfs_test_kill_sweep_run(const struct rfs_test_kill_sweep *s);

/**
 * Check a folder against a checksums file, as the sweep does.
 * @param m        the fixture; @p sums and @p at are relative to its dir
 * @param sums     the checksums file
 * @param at       the folder the files are (to be) in
 * @param from     the folder they come from, or NULL
 * @param complete true: every file of @p sums is at @p at and no
 *                 temporary is; false: those at @p at are whole and
 *                 each is at @p from or @p at
 * @param when     for messages
 */
void rfs_test_sums_check(struct rfs_test_mount *m, const char *sums,
			 const char *at, const char *from, bool complete,
			 const char *when);

#endif
