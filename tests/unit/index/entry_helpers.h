/**
 * @file entry_helpers.h
 * @brief Fixtures of the recycle entry tests (test_entries.c,
 *        test_entry_files.c): a fresh in-memory index and a temporary
 *        directory per test, and entries made to order.
 *
 * Each Criterion test runs in its own process, so the globals below are
 * private to one test.
 */
#ifndef RFS_TESTS_UNIT_INDEX_ENTRY_HELPERS_H
#define RFS_TESTS_UNIT_INDEX_ENTRY_HELPERS_H

#include "index/entries.h"
#include "index/index.h"
#include "model/entry.h"
#include "util/error.h"

#include "helpers.h"

#include <stdbool.h>
#include <stdint.h>

/** The test's index: ":memory:" unless the test opens another. */
static struct rfs_index *idx;

/** Open the test's index and make its directory. */
static inline void entries_setup(void)
{
	test_dir_setup();
	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
}

/** Close the test's index and remove its directory. */
static inline void entries_teardown(void)
{
	rfs_index_free(idx);
	test_dir_teardown();
}

/** @return a copy of @p s (NULL stays NULL) */
static inline char *xdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	cr_assert(!s || d);
	return d;
}

/** Fill @p e: entry @p n at @p bin_path, from @p origin (NULL: the same). */
static inline void entry_init(struct rfs_entry *e, int n, const char *bin_path,
			      const char *origin, enum rfs_entry_state state)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->uuid, sizeof(e->uuid), "%032x", n);
	e->bin_path = xdup(bin_path);
	e->origin_path = xdup(origin ? origin : bin_path);
	e->table = xdup("sales.orders");
	e->lifecycle = xdup("bronze");
	e->epoch = xdup("2001-01-01..2010-01-01");
	e->epoch_id = 3;
	e->item_key = xdup("dt=2001-01-01");
	e->storage = xdup("nfs");
	e->src_uri = xdup("file:///srv/nfs/orders");
	e->bin_root_uri = xdup("file:///srv/nfs/.recyclebin");
	e->is_dir = true;
	e->state = state;
}

/** Insert an entry like entry_init()'s. @return its id */
static inline int64_t add_entry(int n, const char *bin_path, const char *origin,
				enum rfs_entry_state state)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e;
	int64_t id;

	entry_init(&e, n, bin_path, origin, state);
	cr_assert_eq(rfs_index_entry_insert(idx, &e, &err), 0, "%s", err.msg);
	id = e.id;
	rfs_entry_release(&e);
	return id;
}

/** Read entry @p id into @p e, which the caller releases. */
static inline void get_entry(int64_t id, struct rfs_entry *e)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_entry_get(idx, id, e, &err), 0, "%s", err.msg);
}

#endif
