/**
 * @file manifest_helpers.h
 * @brief Fixtures shared by the manifest tests: backends, a sample entry
 *        and rows, row sources and collectors, raw file access.
 */
#ifndef RFS_TESTS_UNIT_CORE_MANIFEST_HELPERS_H
#define RFS_TESTS_UNIT_CORE_MANIFEST_HELPERS_H

#include "model/entry.h"

#include <stdbool.h>
#include <stddef.h>

struct rfs_backend;

/** The uuid of the sample entry. */
#define MF_UUID "0123456789abcdef0123456789abcdef"

/** Rows of the sample entry. */
#define MF_N_SAMPLE 5

/** Rows to write, with their paths and targets. */
struct mf_rows {
	const struct rfs_entry_file *f;
	size_t n;
	int fail_at; /**< 1-based row after which rows() fails; 0: never */
};

/** Rows as read back: deep copies. */
struct mf_got {
	struct rfs_entry_file *f;
	size_t n, cap;
	struct rfs_entry *e; /**< the entry being read, or NULL */
	int fail_at;
	bool saw_entry;
};

/** The sample rows: a folder, files, a symlink; odd times and modes. */
extern const struct rfs_entry_file mf_sample_rows[MF_N_SAMPLE];

/** The scratch directory of mf_open_local(). */
extern char mf_tmpdir[64];

/** A memory backend on "mem://@p store/bin"; fails the test on error. */
struct rfs_backend *mf_open_mem(const char *store);

/** A local backend on a fresh scratch directory (mf_tmpdir). */
struct rfs_backend *mf_open_local(void);

/** Remove mf_tmpdir (a .fini of tests using mf_open_local()). */
void mf_remove_local(void);

/** Fill @p e with the sample entry (borrowed strings: do not release). */
void mf_sample_entry(struct rfs_entry *e);

/** An rfs_manifest_rows_fn emitting a struct mf_rows. */
int mf_rows_fn(void *ctx,
	       int (*emit)(void *wctx, const struct rfs_entry_file *f),
	       void *wctx);

/** An rfs_manifest_row_fn collecting into a struct mf_got. */
int mf_got_fn(void *ctx, const struct rfs_entry_file *f);

/** Free what mf_got_fn() collected. */
void mf_got_free(struct mf_got *g);

/** Assert that row @p b, as read back, equals row @p a as written. */
void mf_assert_row_eq(const struct rfs_entry_file *a,
		      const struct rfs_entry_file *b);

/** Assert that entry @p b, as read back, equals entry @p a as written. */
void mf_assert_entry_eq(const struct rfs_entry *a, const struct rfs_entry *b);

/** Write the manifest of @p e with the sample rows; fails the test else. */
void mf_write_sample(struct rfs_backend *b, const struct rfs_entry *e);

/** All of @p key in @p b as a malloc'ed string. */
char *mf_slurp(struct rfs_backend *b, const char *key);

/** Store @p text at @p key, creating the manifest folder. */
void mf_put(struct rfs_backend *b, const char *key, const char *text);

/** @return the number of files in the manifest folder of @p b. */
int mf_count_manifests(struct rfs_backend *b);

#endif
