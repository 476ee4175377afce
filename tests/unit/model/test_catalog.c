/*
 * model/catalog: building a snapshot in any order, sealing (sorting and
 * linking), lookups, and the range rules of a lifecycle's epochs.
 */
#include "model/catalog.h"
#include "model/date.h"
#include "model/storage.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int32_t day(const char *s)
{
	int32_t d;

	cr_assert_eq(rfs_date_parse("date", s, &d, NULL), 0, "%s", s);
	return d;
}

/*
 * Rows in a scrambled order, children before their parents:
 *
 *   storages  1 nfs (file), 2 hdfs, 3 s3-lake (s3, with a query)
 *   tables    10 hr.people, 20 sales.orders, 30 web.clicks
 *   sales.orders: raw(0) archive(1) bronze(1) silver(2)
 *     bronze: 2001..2010 nfs "", 2010..2013 hdfs "x/y", 2013..now s3 "bronze"
 *     archive: 2001..now s3-lake ""
 *   hr.people: raw(0), no epochs
 *   classifications: pii (sales.orders, hr.people), finance (sales.orders)
 */
static struct rfs_catalog *build(void)
{
	struct rfs_catalog *cat = rfs_catalog_new();

	cr_assert_not_null(cat);
	cr_assert_eq(rfs_catalog_add_epoch(cat, 1002, 102, day("2013-01-01"),
					   RFS_DATE_NOW, 3, "bronze", 500),
		     0);
	cr_assert_eq(rfs_catalog_add_classification(cat, 20, "pii"), 0);
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 100, 20, "silver", 2, 40),
		     0);
	cr_assert_eq(rfs_catalog_add_storage(
			     cat, 3, "s3-lake",
			     "s3://lake/orders?region=us-east-1",
			     "s3://lake/orders/.recyclebin?region=us-east-1",
			     "s3", 30),
		     0);
	cr_assert_eq(rfs_catalog_add_epoch(cat, 1000, 102, day("2001-01-01"),
					   day("2010-01-01"), 1, "", 300),
		     0);
	cr_assert_eq(rfs_catalog_add_table(cat, 30, "web.clicks", 3), 0);
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 101, 20, "raw", 0, 41), 0);
	cr_assert_eq(rfs_catalog_add_classification(cat, 10, "pii"), 0);
	cr_assert_eq(rfs_catalog_add_storage(cat, 1, "nfs", "file:///srv/nfs",
					     "file:///srv/nfs/.recyclebin",
					     "file", 10),
		     0);
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 103, 20, "archive", 1, 42),
		     0);
	cr_assert_eq(rfs_catalog_add_epoch(cat, 1001, 102, day("2010-01-01"),
					   day("2013-01-01"), 2, "x/y", 400),
		     0);
	cr_assert_eq(rfs_catalog_add_table(cat, 20, "sales.orders", 2), 0);
	cr_assert_eq(rfs_catalog_add_classification(cat, 20, "finance"), 0);
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 102, 20, "bronze", 1, 43),
		     0);
	cr_assert_eq(rfs_catalog_add_storage(cat, 2, "hdfs", "hdfs://nn/data",
					     NULL, "hdfs", 20),
		     0);
	cr_assert_eq(rfs_catalog_add_epoch(cat, 1003, 103, day("2001-01-01"),
					   RFS_DATE_NOW, 3, "", 600),
		     0);
	cr_assert_eq(rfs_catalog_add_table(cat, 10, "hr.people", 1), 0);
	cr_assert_eq(rfs_catalog_add_classification(cat, 20, "pii"), 0);
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 104, 10, "raw", 0, 44), 0);
	return cat;
}

static struct rfs_catalog *build_sealed(void)
{
	struct rfs_catalog *cat = build();

	cr_assert_eq(rfs_catalog_seal(cat), 0);
	return cat;
}

static const struct rfs_lifecycle *bronze(const struct rfs_catalog *cat)
{
	const struct rfs_table *t = rfs_catalog_table(cat, "sales.orders");
	const struct rfs_lifecycle *lc;

	cr_assert_not_null(t);
	lc = rfs_table_lifecycle(t, "bronze");
	cr_assert_not_null(lc);
	return lc;
}

Test(model_catalog, tables_are_sorted_by_name)
{
	struct rfs_catalog *cat = build_sealed();

	cr_assert_eq(cat->n_tables, 3);
	cr_assert_str_eq(cat->tables[0]->name, "hr.people");
	cr_assert_str_eq(cat->tables[1]->name, "sales.orders");
	cr_assert_str_eq(cat->tables[2]->name, "web.clicks");
	cr_assert_eq(cat->tables[1]->id, 20);
	cr_assert_eq(cat->tables[1]->created_ns, 2);
	rfs_catalog_free(cat);
}

Test(model_catalog, lifecycles_are_sorted_by_order_then_name)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_table *t = rfs_catalog_table(cat, "sales.orders");

	cr_assert_eq(t->n_lifecycles, 4);
	cr_assert_str_eq(t->lifecycles[0]->name, "raw");
	cr_assert_str_eq(t->lifecycles[1]->name, "archive");
	cr_assert_str_eq(t->lifecycles[2]->name, "bronze");
	cr_assert_str_eq(t->lifecycles[3]->name, "silver");
	cr_assert_eq(t->lifecycles[3]->order, 2);
	cr_assert_eq(cat->tables[0]->n_lifecycles, 1);
	cr_assert_eq(cat->tables[2]->n_lifecycles, 0);
	rfs_catalog_free(cat);
}

Test(model_catalog, epochs_are_sorted_by_start)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_lifecycle *lc = bronze(cat);

	cr_assert_eq(lc->n_epochs, 3);
	cr_assert_str_eq(lc->epochs[0]->name, "2001-01-01..2010-01-01");
	cr_assert_str_eq(lc->epochs[1]->name, "2010-01-01..2013-01-01");
	cr_assert_str_eq(lc->epochs[2]->name, "2013-01-01..now");
	cr_assert_eq(lc->epochs[2]->to, RFS_DATE_NOW);
	cr_assert_eq(lc->epochs[0]->id, 1000);
	rfs_catalog_free(cat);
}

Test(model_catalog, storages_are_sorted_by_name_with_their_class)
{
	struct rfs_catalog *cat = build_sealed();

	cr_assert_eq(cat->n_storages, 3);
	cr_assert_str_eq(cat->storages[0]->name, "hdfs");
	cr_assert_str_eq(cat->storages[1]->name, "nfs");
	cr_assert_str_eq(cat->storages[2]->name, "s3-lake");
	cr_assert_eq(cat->storages[0]->cls, rfs_storage_class_by_name("hdfs"));
	cr_assert_eq(cat->storages[2]->cls->family, RFS_FAMILY_BLOB);
	cr_assert_null(cat->storages[0]->bin_uri);
	cr_assert_str_eq(cat->storages[1]->bin_uri,
			 "file:///srv/nfs/.recyclebin");
	rfs_catalog_free(cat);
}

Test(model_catalog, classifications_are_sorted_and_deduplicated)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_table *so = rfs_catalog_table(cat, "sales.orders");
	const struct rfs_classification *pii;

	cr_assert_eq(cat->n_classifications, 2);
	cr_assert_str_eq(cat->classifications[0]->name, "finance");
	cr_assert_str_eq(cat->classifications[1]->name, "pii");
	cr_assert_eq(cat->classifications[0]->n_tables, 1);
	cr_assert_eq(cat->classifications[0]->tables[0], so);
	pii = rfs_catalog_classification(cat, "pii");
	cr_assert_eq(pii, cat->classifications[1]);
	cr_assert_eq(pii->n_tables, 2);
	cr_assert_str_eq(pii->tables[0]->name, "hr.people");
	cr_assert_str_eq(pii->tables[1]->name, "sales.orders");
	cr_assert_eq(so->n_classifications, 2);
	cr_assert_str_eq(so->classifications[0], "finance");
	cr_assert_str_eq(so->classifications[1], "pii");
	cr_assert_eq(rfs_catalog_table(cat, "web.clicks")->n_classifications,
		     0);
	cr_assert_null(rfs_catalog_classification(cat, "secret"));
	rfs_catalog_free(cat);
}

Test(model_catalog, epochs_link_to_lifecycle_table_and_storage)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_table *t = rfs_catalog_table(cat, "sales.orders");
	const struct rfs_lifecycle *lc = bronze(cat);

	cr_assert_eq(lc->table, t);
	for (size_t i = 0; i < lc->n_epochs; i++)
		cr_assert_eq(lc->epochs[i]->lifecycle, lc);
	cr_assert_eq(lc->epochs[0]->storage, rfs_catalog_storage(cat, "nfs"));
	cr_assert_eq(lc->epochs[1]->storage, rfs_catalog_storage(cat, "hdfs"));
	cr_assert_eq(lc->epochs[2]->storage,
		     rfs_catalog_storage(cat, "s3-lake"));
	cr_assert_eq(rfs_table_lifecycle(cat->tables[0], "raw")->table,
		     cat->tables[0]);
	rfs_catalog_free(cat);
}

Test(model_catalog, epoch_uri_joins_the_storage_uri_and_path)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_lifecycle *lc = bronze(cat);

	cr_assert_str_eq(lc->epochs[0]->path, "");
	cr_assert_str_eq(lc->epochs[0]->uri, "file:///srv/nfs");
	cr_assert_str_eq(lc->epochs[1]->uri, "hdfs://nn/data/x/y");
	cr_assert_str_eq(lc->epochs[2]->uri,
			 "s3://lake/orders/bronze?region=us-east-1");
	rfs_catalog_free(cat);
}

Test(model_catalog, bin_key_is_set_when_the_bin_lies_under_the_epoch)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_lifecycle *lc = bronze(cat);
	const struct rfs_lifecycle *ar =
		rfs_table_lifecycle(lc->table, "archive");

	/* file:///srv/nfs with its bin file:///srv/nfs/.recyclebin */
	cr_assert_str_eq(lc->epochs[0]->bin_key, ".recyclebin");
	/* no bin at all */
	cr_assert_null(lc->epochs[1]->bin_key);
	/* the bin is beside the epoch, not below it */
	cr_assert_null(lc->epochs[2]->bin_key);
	/* the query is the same on both sides and is not part of the key */
	cr_assert_str_eq(ar->epochs[0]->uri,
			 "s3://lake/orders?region=us-east-1");
	cr_assert_str_eq(ar->epochs[0]->bin_key, ".recyclebin");
	rfs_catalog_free(cat);
}

Test(model_catalog, bin_key_of_single_storages)
{
	static const struct {
		const char *uri, *bin, *path, *key;
	} cases[] = {
		{ "file:///s", "file:///s/.recyclebin", "", ".recyclebin" },
		{ "file:///s", "file:///s/.recyclebin", "x", NULL },
		{ "file:///s", "file:///s/x/.bin", "x", ".bin" },
		{ "file:///s", "file:///s/.recyclebin/x", "", ".recyclebin/x" },
		{ "file:///s", "file:///sx/.recyclebin", "", NULL },
		{ "file:///s", "file:///other/.recyclebin", "", NULL },
		{ "file:///s", "file:///s", "", NULL },
		{ "file:///", "file:///.recyclebin", "", ".recyclebin" },
		{ "s3://b?region=x", "s3://b/.recyclebin?region=y", "", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rfs_catalog *cat = rfs_catalog_new();
		const struct rfs_epoch *e;

		cr_assert_eq(rfs_catalog_add_storage(cat, 1, "s", cases[i].uri,
						     cases[i].bin, "file", 0),
			     0);
		cr_assert_eq(rfs_catalog_add_table(cat, 1, "t", 0), 0);
		cr_assert_eq(rfs_catalog_add_lifecycle(cat, 1, 1, "l", 0, 0),
			     0);
		cr_assert_eq(rfs_catalog_add_epoch(cat, 1, 1, 0, RFS_DATE_NOW,
						   1, cases[i].path, 0),
			     0);
		cr_assert_eq(rfs_catalog_seal(cat), 0);
		e = cat->tables[0]->lifecycles[0]->epochs[0];
		if (cases[i].key)
			cr_assert_str_eq(e->bin_key, cases[i].key, "case %zu",
					 i);
		else
			cr_assert_null(e->bin_key, "case %zu: %s", i,
				       e->bin_key);
		rfs_catalog_free(cat);
	}
}

Test(model_catalog, lookups_by_name)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_table *t;
	const struct rfs_lifecycle *lc;
	const struct rfs_epoch *e;

	for (size_t i = 0; i < cat->n_tables; i++)
		cr_assert_eq(rfs_catalog_table(cat, cat->tables[i]->name),
			     cat->tables[i]);
	cr_assert_null(rfs_catalog_table(cat, "sales"));
	cr_assert_null(rfs_catalog_table(cat, "sales.orders2"));
	cr_assert_null(rfs_catalog_table(cat, ""));
	cr_assert_null(rfs_catalog_table(cat, "zzz"));
	t = rfs_catalog_table(cat, "sales.orders");
	lc = rfs_table_lifecycle(t, "bronze");
	cr_assert_str_eq(lc->name, "bronze");
	cr_assert_null(rfs_table_lifecycle(t, "gold"));
	e = rfs_lifecycle_epoch(lc, "2010-01-01..2013-01-01");
	cr_assert_not_null(e);
	cr_assert_eq(e->id, 1001);
	cr_assert_null(rfs_lifecycle_epoch(lc, "2010-01-01..2013-01-02"));
	cr_assert_null(rfs_lifecycle_epoch(lc, "2013-01-01"));
	cr_assert_eq(rfs_lifecycle_open_epoch(lc)->id, 1002);
	cr_assert_null(rfs_lifecycle_open_epoch(rfs_table_lifecycle(t, "raw")));
	cr_assert_str_eq(rfs_catalog_storage(cat, "hdfs")->uri,
			 "hdfs://nn/data");
	cr_assert_null(rfs_catalog_storage(cat, "gcs"));
	rfs_catalog_free(cat);
}

Test(model_catalog, updated_is_the_newest_row)
{
	struct rfs_catalog *cat = build_sealed();

	cr_assert_eq(cat->updated_ns, 600);
	rfs_catalog_free(cat);
}

Test(model_catalog, unknown_storage_class_is_refused)
{
	struct rfs_catalog *cat = rfs_catalog_new();

	cr_assert_eq(rfs_catalog_add_storage(cat, 1, "x", "ftp://h/x", NULL,
					     "ftp", 0),
		     -EINVAL);
	cr_assert_eq(
		rfs_catalog_add_storage(cat, 1, "x", "s3://b", NULL, "s3a", 0),
		-EINVAL);
	cr_assert_eq(cat->n_storages, 0);
	rfs_catalog_free(cat);
}

Test(model_catalog, seal_refuses_a_lifecycle_of_a_missing_table)
{
	struct rfs_catalog *cat = build();

	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 200, 99, "raw", 0, 0), 0);
	cr_assert_eq(rfs_catalog_seal(cat), -ENOENT);
	rfs_catalog_free(cat);
}

Test(model_catalog, seal_refuses_an_epoch_of_a_missing_lifecycle)
{
	struct rfs_catalog *cat = build();

	cr_assert_eq(rfs_catalog_add_epoch(cat, 2000, 999, 0, 10, 1, "", 0), 0);
	cr_assert_eq(rfs_catalog_seal(cat), -ENOENT);
	rfs_catalog_free(cat);
}

Test(model_catalog, seal_refuses_an_epoch_on_a_missing_storage)
{
	struct rfs_catalog *cat = build();

	cr_assert_eq(rfs_catalog_add_epoch(cat, 2000, 104, 0, 10, 9, "", 0), 0);
	cr_assert_eq(rfs_catalog_seal(cat), -ENOENT);
	rfs_catalog_free(cat);
}

Test(model_catalog, seal_refuses_a_classification_of_a_missing_table)
{
	struct rfs_catalog *cat = build();

	cr_assert_eq(rfs_catalog_add_classification(cat, 77, "pii"), 0);
	cr_assert_eq(rfs_catalog_seal(cat), -ENOENT);
	rfs_catalog_free(cat);
}

Test(model_catalog, an_unsealed_catalog_frees_cleanly)
{
	rfs_catalog_free(build());
	rfs_catalog_free(NULL);
}

Test(model_catalog, an_empty_catalog_seals_and_frees)
{
	struct rfs_catalog *cat = rfs_catalog_new();

	cr_assert_not_null(cat);
	cr_assert_eq(rfs_catalog_seal(cat), 0);
	cr_assert_eq(cat->n_tables, 0);
	cr_assert_eq(cat->n_storages, 0);
	cr_assert_eq(cat->n_classifications, 0);
	cr_assert_eq(cat->updated_ns, 0);
	cr_assert_null(rfs_catalog_table(cat, "x"));
	cr_assert_null(rfs_catalog_storage(cat, "x"));
	cr_assert_null(rfs_catalog_classification(cat, "x"));
	rfs_catalog_free(cat);
}

Test(model_catalog, many_rows_grow_past_the_first_allocations)
{
	struct rfs_catalog *cat = rfs_catalog_new();
	char name[32];

	cr_assert_eq(rfs_catalog_add_storage(cat, 1, "s", "file:///s", NULL,
					     "file", 0),
		     0);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "t%03d", 99 - i);
		cr_assert_eq(rfs_catalog_add_table(cat, i + 1, name, 0), 0);
		cr_assert_eq(rfs_catalog_add_classification(cat, i + 1, "c"),
			     0);
	}
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 1, 1, "l", 0, 0), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(rfs_catalog_add_epoch(cat, i + 1, 1, 100 - i,
						   101 - i, 1, "", 0),
			     0);
	cr_assert_eq(rfs_catalog_seal(cat), 0);
	cr_assert_eq(cat->n_tables, 100);
	cr_assert_str_eq(cat->tables[0]->name, "t000");
	cr_assert_str_eq(cat->tables[99]->name, "t099");
	cr_assert_eq(rfs_catalog_classification(cat, "c")->n_tables, 100);
	cr_assert_eq(rfs_catalog_table(cat, "t099")->lifecycles[0]->n_epochs,
		     100);
	for (int i = 0; i < 100; i++)
		cr_assert_str_eq(
			rfs_catalog_classification(cat, "c")->tables[i]->name,
			cat->tables[i]->name);
	rfs_catalog_free(cat);
}

Test(model_catalog, range_overlapping_an_epoch_names_it)
{
	struct rfs_catalog *cat = build_sealed();
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_lifecycle_check_range(bronze(cat), day("2011-01-01"),
					       day("2012-01-01"), 0, &err),
		     -EEXIST);
	cr_assert_eq(err.code, EEXIST);
	cr_assert_str_eq(err.msg, "epoch 2011-01-01..2012-01-01 overlaps "
				  "epoch 2010-01-01..2013-01-01 of "
				  "'sales.orders/bronze'");
	rfs_catalog_free(cat);
}

Test(model_catalog, range_overlap_by_one_day_is_refused)
{
	struct rfs_catalog *cat = build_sealed();

	cr_assert_eq(rfs_lifecycle_check_range(bronze(cat), day("1990-01-01"),
					       day("2001-01-02"), 0, NULL),
		     -EEXIST);
	cr_assert_eq(rfs_lifecycle_check_range(bronze(cat), day("2012-12-31"),
					       day("2013-01-01"), 0, NULL),
		     -EEXIST);
	rfs_catalog_free(cat);
}

Test(model_catalog, a_second_open_epoch_is_refused)
{
	struct rfs_catalog *cat = build_sealed();
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_lifecycle_check_range(bronze(cat), day("2020-01-01"),
					       RFS_DATE_NOW, 0, &err),
		     -EEXIST);
	cr_assert_str_eq(err.msg, "lifecycle 'sales.orders/bronze' already has "
				  "an open epoch 2013-01-01..now; close it "
				  "first (recyclefs epoch close)");
	rfs_catalog_free(cat);
}

Test(model_catalog, range_must_end_after_it_starts)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_lifecycle *raw =
		rfs_table_lifecycle(rfs_catalog_table(cat, "hr.people"), "raw");
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_lifecycle_check_range(raw, day("2020-01-01"),
					       day("2020-01-01"), 0, &err),
		     -EINVAL);
	cr_assert_str_eq(err.msg, "epoch end 2020-01-01 is not after its start "
				  "2020-01-01");
	cr_assert_eq(rfs_lifecycle_check_range(raw, day("2020-01-02"),
					       day("2020-01-01"), 0, &err),
		     -EINVAL);
	cr_assert_eq(rfs_lifecycle_check_range(raw, RFS_DATE_NOW, RFS_DATE_NOW,
					       0, NULL),
		     -EINVAL);
	rfs_catalog_free(cat);
}

Test(model_catalog, adjacent_ranges_are_allowed)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_lifecycle *lc = bronze(cat);
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_lifecycle_check_range(lc, day("1990-01-01"),
					       day("2001-01-01"), 0, &err),
		     0, "%s", err.msg);
	cr_assert_eq(rfs_lifecycle_check_range(lc, day("2000-12-31"),
					       day("2001-01-01"), 0, &err),
		     0, "%s", err.msg);
	cr_assert_eq(err.code, 0);
	rfs_catalog_free(cat);
}

Test(model_catalog, an_empty_lifecycle_takes_any_range)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_lifecycle *raw =
		rfs_table_lifecycle(rfs_catalog_table(cat, "hr.people"), "raw");

	cr_assert_eq(rfs_lifecycle_check_range(raw, day("2001-01-01"),
					       RFS_DATE_NOW, 0, NULL),
		     0);
	rfs_catalog_free(cat);
}

Test(model_catalog, ignore_id_leaves_out_the_epoch_being_changed)
{
	struct rfs_catalog *cat = build_sealed();
	const struct rfs_lifecycle *lc = bronze(cat);

	/* Closing the open epoch: it may not clash with itself. */
	cr_assert_eq(rfs_lifecycle_check_range(lc, day("2013-01-01"),
					       day("2020-01-01"), 1002, NULL),
		     0);
	cr_assert_eq(rfs_lifecycle_check_range(lc, day("2013-01-01"),
					       day("2020-01-01"), 0, NULL),
		     -EEXIST);
	cr_assert_eq(rfs_lifecycle_check_range(lc, day("2013-01-01"),
					       RFS_DATE_NOW, 1002, NULL),
		     0);
	/* The others still count. */
	cr_assert_eq(rfs_lifecycle_check_range(lc, day("2012-01-01"),
					       day("2020-01-01"), 1002, NULL),
		     -EEXIST);
	cr_assert_eq(rfs_lifecycle_check_range(lc, day("2009-01-01"),
					       day("2011-01-01"), 1001, NULL),
		     -EEXIST);
	cr_assert_eq(rfs_lifecycle_check_range(lc, day("2010-01-01"),
					       day("2013-01-01"), 1001, NULL),
		     0);
	rfs_catalog_free(cat);
}
