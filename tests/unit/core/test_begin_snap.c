/*
 * core/archive and core/restore planned on a catalog snapshot, as the
 * mount does (no catalog load under its index lock): the plan holds
 * while the catalog stays, and a change of the epoch in between gives
 * -ESTALE with a clear reason and writes nothing.
 */
#include "archive_fixture.h"

#include "core/archive.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/index.h"
#include "model/catalog.h"
#include "model/date.h"
#include "model/restore.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

TestSuite(core_begin_snap, .timeout = 60);

static struct afx f;

static struct rfs_catalog *snapshot(void)
{
	struct rfs_catalog *cat = NULL;

	cr_assert_eq(rfs_index_load_catalog(f.idx, &cat, &f.err), 0, "%s",
		     f.err.msg);
	return cat;
}

/* Re-point the fixture's epoch to another path. */
static void repoint(void)
{
	struct rfs_catalog *cat = snapshot();
	const struct rfs_epoch *ep =
		rfs_table_lifecycle(rfs_catalog_table(cat, AFX_TABLE), AFX_LC)
			->epochs[0];

	cr_assert_eq(rfs_index_epoch_update(f.idx, ep->id, ep->to,
					    ep->storage->id, "orders/b2",
					    &f.err),
		     0, "%s", f.err.msg);
	rfs_catalog_free(cat);
}

Test(core_begin_snap, an_archive_planned_on_a_snapshot_is_recorded)
{
	struct rfs_catalog *cat;
	struct rfs_archive_plan *p = NULL;
	struct rfs_entry e = { 0 };

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	cat = snapshot();
	cr_assert_eq(rfs_archive_plan(cat, AFX_E "/dt=1", &p, &f.err), 0, "%s",
		     f.err.msg);
	cr_assert_eq(rfs_archive_commit(f.idx, p, NULL, &e, &f.err), 0, "%s",
		     f.err.msg);
	cr_assert_str_eq(e.bin_path, AFX_E "/dt=1");
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	afx_check_archived_id(&f, e.id);
	rfs_entry_release(&e);
	rfs_archive_plan_free(p);
	rfs_catalog_free(cat);
	afx_close(&f);
}

Test(core_begin_snap, an_archive_planned_on_a_stale_snapshot_is_refused)
{
	struct rfs_catalog *cat;
	struct rfs_archive_plan *p = NULL;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	cat = snapshot();
	cr_assert_eq(rfs_archive_plan(cat, AFX_E "/dt=1", &p, &f.err), 0, "%s",
		     f.err.msg);
	repoint();
	cr_assert_eq(rfs_archive_commit(f.idx, p, NULL, NULL, &f.err), -ESTALE);
	cr_assert(strstr(f.err.msg, "the catalog changed"), "%s", f.err.msg);
	cr_assert_eq(afx_count_entries(&f), 0);
	afx_check_source(&f, "dt=1");
	rfs_archive_plan_free(p);
	rfs_catalog_free(cat);
	afx_close(&f);
}

Test(core_begin_snap, a_restore_planned_on_a_stale_snapshot_is_refused)
{
	struct rfs_restore_target to = { 0 };
	struct rfs_restore r = { 0 };
	struct rfs_catalog *cat;
	struct rfs_entry e = { 0 };

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	afx_archive(&f, "dt=1", &e);
	cat = snapshot();
	repoint();
	cr_assert_eq(rfs_restore_begin_cat(f.idx, cat,
					   ".recyclebin/" AFX_E "/dt=1", &to,
					   false, NULL, &r, &f.err),
		     -ESTALE);
	cr_assert(strstr(f.err.msg, "the catalog changed"), "%s", f.err.msg);
	rfs_catalog_free(cat);
	/* On a fresh snapshot it is recorded, to the epoch's new place. */
	cat = snapshot();
	cr_assert_eq(rfs_restore_begin_cat(f.idx, cat,
					   ".recyclebin/" AFX_E "/dt=1", &to,
					   false, NULL, &r, &f.err),
		     0, "%s", f.err.msg);
	cr_assert(strstr(r.target_uri, "orders/b2"), "%s", r.target_uri);
	rfs_restore_release(&r);
	rfs_catalog_free(cat);
	rfs_entry_release(&e);
	afx_close(&f);
}
