/**
 * @file fixture.h
 * @brief What the integration tests of the command line share: shell
 *        lines that must succeed, checks of a command's status and
 *        output, and the catalog most of them start from.
 *
 * A test file keeps its fixture and the output of its last command in
 * two statics and names these helpers shortly:
 *
 * @code
 * static struct rfs_test_mount m;
 * static struct rfs_test_out out;
 * #define RUN(...)    rfs_test_cli(&m, &out, __VA_ARGS__)
 * #define sh(...)     rfs_test_sh_ok(&m, __VA_ARGS__)
 * #define ok(r, what) rfs_test_ok(&out, (r), (what))
 * #define has         rfs_test_has
 * @endcode
 *
 * Failures are Criterion assertions. Not thread-safe.
 */
#ifndef RFS_TESTS_SUPPORT_FIXTURE_H
#define RFS_TESTS_SUPPORT_FIXTURE_H

#include "tests/support/mount.h"

/**
 * Run a shell line, formatted, in the fixture's directory (as
 * rfs_test_sh()); it must exit 0.
 * @return its stdout, malloc'ed (the caller frees)
 */
char *rfs_test_sh_ok(struct rfs_test_mount *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * A command must have exited 0.
 * @param out  what it wrote, shown when it did not
 * @param r    its status
 * @param what names it in the message
 */
void rfs_test_ok(const struct rfs_test_out *out, int r, const char *what);

/** @p text must hold @p want. */
void rfs_test_has(const char *text, const char *want);

/**
 * Add lifecycle "bronze" to the table "sales.orders" (the caller adds
 * the table) with a closed epoch 2001-01-01..2010-01-01 on storage
 * "local" at orders/b1 and an open one from 2010-01-01 at orders/b2,
 * making both folders.
 */
void rfs_test_add_bronze(struct rfs_test_mount *m);

/**
 * Add the storage @p storage at @p uri, the table @p table, its
 * lifecycle @p lifecycle and an open epoch of it from @p from on that
 * storage at @p path; each command must succeed.
 */
void rfs_test_add_epoch_on(struct rfs_test_mount *m, const char *storage,
			   const char *uri, const char *table,
			   const char *lifecycle, const char *from,
			   const char *path);

/**
 * Lose the index: remove it and make a new one with storage "local" on
 * the fixture's data folder, as rfs_test_mount_init() did.
 */
void rfs_test_new_index(struct rfs_test_mount *m);

#endif
