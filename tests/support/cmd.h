/**
 * @file cmd.h
 * @brief Test helpers: run a program with its output captured, and make
 *        and remove temporary directories.
 *
 * For integration tests that drive the `recyclefs` program (the command
 * line, or a mount in the foreground). The program's stdout and stderr are
 * read through pipes into memory as it runs, so a program that writes a
 * lot never blocks; its stdin is /dev/null. These helpers fork: call them
 * from a test's own thread, not from several threads at once.
 */
#ifndef RFS_TESTS_SUPPORT_CMD_H
#define RFS_TESTS_SUPPORT_CMD_H

#include <stddef.h>
#include <sys/types.h>

/** What a program wrote. Zero-initialise; free with rfs_test_out_release(). */
struct rfs_test_out {
	char *out;	/**< stdout, NUL-terminated ("" when nothing) */
	size_t out_len; /**< bytes in @p out, without the NUL */
	char *err;	/**< stderr, NUL-terminated ("" when nothing) */
	size_t err_len; /**< bytes in @p err, without the NUL */
};

/**
 * Run a program and wait for it.
 * @param out  filled with what it wrote; its previous content is released
 *             first. Owned by the caller (rfs_test_out_release()).
 * @param argv the program (looked up in PATH when it has no '/') and its
 *             arguments, NULL-terminated
 * @return its exit status (0..255), 128 + the signal that killed it, or
 *         -errno when it could not be started (fork, pipe, out-of-memory;
 *         a failed exec gives status 127 with the reason on stderr)
 */
int rfs_test_run(struct rfs_test_out *out, const char *const argv[]);

/**
 * Run the `recyclefs` program named by $RECYCLEFS_BIN (the build sets it
 * for integration tests) as `recyclefs --index INDEX ARGS...`.
 * @param out        as for rfs_test_run()
 * @param index_path passed with --index; NULL passes none (the program
 *                   then uses its environment)
 * @param ...        the arguments, each a `const char *`, ended by NULL
 * @return as rfs_test_run(); -ENOENT when RECYCLEFS_BIN is not set
 */
int rfs_test_run_recyclefs(struct rfs_test_out *out, const char *index_path,
			   ...);

/** Free what @p out holds and zero it. */
void rfs_test_out_release(struct rfs_test_out *out);

/**
 * Make a new private directory under /tmp ("/tmp/rfs-test-XXXXXX").
 * @param buf  receives its path
 * @param size bytes in @p buf (at least 22)
 * @return 0, -ERANGE (buffer too small) or -errno from mkdtemp()
 */
int rfs_test_tmpdir(char *buf, size_t size);

/**
 * Remove @p path and everything below it, as `rm -rf`, never following
 * symbolic links. A missing @p path is not an error.
 * @return 0 or the -errno of the first failure (it goes on regardless)
 */
int rfs_test_rm_rf(const char *path);

/**
 * Run @p fn in a forked child as nobody (uid and gid 65534, no
 * supplementary groups), with umask @p mask, or the caller's when
 * @p mask is negative.
 * @return the child's exit status (100: it could not become nobody; 200:
 *         it did not exit), or -1 when it could not be forked or waited for
 */
int rfs_test_as_nobody(int (*fn)(void), int mask);

/**
 * Run @p fn in a forked child as user @p uid and group @p gid (real,
 * effective and saved), without supplementary groups, with umask
 * @p mask, or the caller's when @p mask is negative.
 * @return as rfs_test_as_nobody()
 */
int rfs_test_as_user(uid_t uid, gid_t gid, int (*fn)(void), int mask);

/**
 * rfs_test_as_user() with the @p n supplementary groups @p groups.
 * @return as rfs_test_as_nobody()
 */
int rfs_test_as_user_in(uid_t uid, gid_t gid, size_t n, const gid_t *groups,
			int (*fn)(void), int mask);

#endif
