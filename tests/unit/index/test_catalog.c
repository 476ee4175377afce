/*
 * The catalog in the index: inserts, unique names, changes, and the sealed
 * snapshot rfs_index_load_catalog() builds from the rows.
 */
#include "index/index.h"
#include "model/catalog.h"
#include "model/storage.h"
#include "util/clock.h"
#include "util/error.h"

#include "helpers.h"

#include <errno.h>

static struct rfs_index *idx;

static void setup(void)
{
	struct rfs_error err = { 0 };

	test_dir_setup();
	cr_assert_eq(rfs_index_open(test_db, RFS_INDEX_CREATE, &idx, &err), 0,
		     "%s", err.msg);
}

static void teardown(void)
{
	rfs_index_free(idx);
	test_dir_teardown();
}

TestSuite(index_catalog, .init = setup, .fini = teardown);

static int32_t day(int y, int m, int d)
{
	char s[16];
	int32_t days;

	snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, d);
	cr_assert_eq(rfs_date_parse("date", s, &days, NULL), 0);
	return days;
}

static struct rfs_catalog *load(void)
{
	struct rfs_catalog *cat = NULL;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_load_catalog(idx, &cat, &err), 0, "%s", err.msg);
	cr_assert_not_null(cat);
	return cat;
}

Test(index_catalog, empty_index_loads_an_empty_catalog)
{
	struct rfs_catalog *cat = load();

	cr_assert_eq(cat->n_storages, 0);
	cr_assert_eq(cat->n_tables, 0);
	cr_assert_eq(cat->n_classifications, 0);
	rfs_catalog_free(cat);
}

Test(index_catalog, names_are_unique)
{
	struct rfs_error err = { 0 };
	int64_t t1, t2, id = -1;

	cr_assert_eq(rfs_index_storage_insert(idx, "nfs", "file:///srv/nfs",
					      "file:///srv/nfs/.recyclebin",
					      "file", &id, NULL),
		     0);
	cr_assert_gt(id, 0);
	cr_assert_eq(rfs_index_storage_insert(idx, "nfs", "file:///other", NULL,
					      "file", NULL, &err),
		     -EEXIST);
	cr_assert_eq(err.code, EEXIST);
	cr_assert_str_eq(err.msg, "storage 'nfs' already exists");

	cr_assert_eq(rfs_index_table_insert(idx, "sales.orders", &t1, NULL), 0);
	rfs_error_clear(&err);
	cr_assert_eq(rfs_index_table_insert(idx, "sales.orders", NULL, &err),
		     -EEXIST);
	cr_assert_str_eq(err.msg, "table 'sales.orders' already exists");
	cr_assert_eq(rfs_index_table_insert(idx, "hr.people", &t2, NULL), 0);
	cr_assert_neq(t1, t2);

	cr_assert_eq(rfs_index_lifecycle_insert(idx, t1, "raw", 0, NULL, NULL),
		     0);
	rfs_error_clear(&err);
	cr_assert_eq(rfs_index_lifecycle_insert(idx, t1, "raw", 1, NULL, &err),
		     -EEXIST);
	cr_assert(strstr(err.msg, "lifecycle 'raw' already exists"), "%s",
		  err.msg);
	/* The same lifecycle name in another table is fine. */
	cr_assert_eq(rfs_index_lifecycle_insert(idx, t2, "raw", 0, NULL, NULL),
		     0);
}

Test(index_catalog, references_must_exist)
{
	int64_t t, s;

	cr_assert_eq(rfs_index_lifecycle_insert(idx, 999, "raw", 0, NULL, NULL),
		     -EIO);
	cr_assert_eq(rfs_index_classification_set(idx, 999, "pii", true, NULL),
		     -EIO);
	cr_assert_eq(rfs_index_table_insert(idx, "t", &t, NULL), 0);
	cr_assert_eq(rfs_index_storage_insert(idx, "s", "s3://b/p", NULL, "s3",
					      &s, NULL),
		     0);
	cr_assert_eq(rfs_index_epoch_insert(idx, 999, 0, 10, s, "", NULL, NULL),
		     -EIO);
}

/* The ids of the rows inserted by fill(). */
struct ids {
	int64_t nfs, s3, orders, people, raw, bronze, old, cur;
};

static void fill(struct ids *ids)
{
	cr_assert_eq(rfs_index_storage_insert(idx, "zeta-s3", "s3://lake/o",
					      "s3://lake/.recyclebin", "s3",
					      &ids->s3, NULL),
		     0);
	cr_assert_eq(rfs_index_storage_insert(idx, "alpha-nfs",
					      "file:///srv/nfs", NULL, "file",
					      &ids->nfs, NULL),
		     0);
	cr_assert_eq(
		rfs_index_table_insert(idx, "sales.orders", &ids->orders, NULL),
		0);
	cr_assert_eq(
		rfs_index_table_insert(idx, "hr.people", &ids->people, NULL),
		0);
	cr_assert_eq(rfs_index_classification_set(idx, ids->orders, "pii", true,
						  NULL),
		     0);
	cr_assert_eq(rfs_index_classification_set(idx, ids->orders, "finance",
						  true, NULL),
		     0);
	cr_assert_eq(rfs_index_classification_set(idx, ids->people, "pii", true,
						  NULL),
		     0);
	cr_assert_eq(rfs_index_lifecycle_insert(idx, ids->orders, "bronze", 1,
						&ids->bronze, NULL),
		     0);
	cr_assert_eq(rfs_index_lifecycle_insert(idx, ids->orders, "raw", 0,
						&ids->raw, NULL),
		     0);
	/* Inserted newest first, so the order must come from the load. */
	cr_assert_eq(rfs_index_epoch_insert(idx, ids->bronze, day(2013, 1, 1),
					    RFS_DATE_NOW, ids->s3, "bronze",
					    &ids->cur, NULL),
		     0);
	cr_assert_eq(rfs_index_epoch_insert(idx, ids->bronze, day(2001, 1, 1),
					    day(2010, 1, 1), ids->nfs, NULL,
					    &ids->old, NULL),
		     0);
}

Test(index_catalog, load_returns_rows_sorted_and_linked)
{
	const struct rfs_classification *pii, *fin;
	const struct rfs_table *orders, *people;
	const struct rfs_lifecycle *bronze;
	const struct rfs_storage *nfs, *s3;
	struct rfs_catalog *cat;
	struct ids ids;

	fill(&ids);
	cat = load();

	cr_assert_eq(cat->n_storages, 2);
	nfs = cat->storages[0];
	s3 = cat->storages[1];
	cr_assert_str_eq(nfs->name, "alpha-nfs");
	cr_assert_eq(nfs->id, ids.nfs);
	cr_assert_str_eq(nfs->uri, "file:///srv/nfs");
	cr_assert_null(nfs->bin_uri);
	cr_assert_eq(nfs->cls, rfs_storage_class_by_name("file"));
	cr_assert_str_eq(s3->name, "zeta-s3");
	cr_assert_str_eq(s3->bin_uri, "s3://lake/.recyclebin");
	cr_assert_eq(s3->cls, rfs_storage_class_by_name("s3"));

	cr_assert_eq(cat->n_tables, 2);
	people = cat->tables[0];
	orders = cat->tables[1];
	cr_assert_str_eq(people->name, "hr.people");
	cr_assert_str_eq(orders->name, "sales.orders");
	cr_assert_eq(orders->id, ids.orders);
	cr_assert_eq(orders->n_classifications, 2);
	cr_assert_str_eq(orders->classifications[0], "finance");
	cr_assert_str_eq(orders->classifications[1], "pii");
	cr_assert_eq(people->n_lifecycles, 0);

	cr_assert_eq(orders->n_lifecycles, 2);
	cr_assert_str_eq(orders->lifecycles[0]->name, "raw");
	cr_assert_eq(orders->lifecycles[0]->id, ids.raw);
	cr_assert_eq(orders->lifecycles[0]->n_epochs, 0);
	bronze = orders->lifecycles[1];
	cr_assert_str_eq(bronze->name, "bronze");
	cr_assert_eq(bronze->order, 1);
	cr_assert_eq(bronze->table, orders);
	cr_assert_eq(orders->lifecycles[0]->table, orders);

	cr_assert_eq(bronze->n_epochs, 2);
	cr_assert_eq(bronze->epochs[0]->id, ids.old);
	cr_assert_str_eq(bronze->epochs[0]->name, "2001-01-01..2010-01-01");
	cr_assert_eq(bronze->epochs[0]->storage, nfs);
	cr_assert_str_eq(bronze->epochs[0]->path, "");
	cr_assert_eq(bronze->epochs[0]->lifecycle, bronze);
	cr_assert_eq(bronze->epochs[0]->lifecycle->table, orders);
	cr_assert_eq(bronze->epochs[1]->id, ids.cur);
	cr_assert_str_eq(bronze->epochs[1]->name, "2013-01-01..now");
	cr_assert_eq(bronze->epochs[1]->to, RFS_DATE_NOW);
	cr_assert_eq(bronze->epochs[1]->storage, s3);
	cr_assert_str_eq(bronze->epochs[1]->path, "bronze");
	cr_assert_eq(bronze->epochs[1]->lifecycle, bronze);
	cr_assert_eq(rfs_lifecycle_open_epoch(bronze), bronze->epochs[1]);

	cr_assert_eq(cat->n_classifications, 2);
	fin = cat->classifications[0];
	pii = cat->classifications[1];
	cr_assert_str_eq(fin->name, "finance");
	cr_assert_eq(fin->n_tables, 1);
	cr_assert_eq(fin->tables[0], orders);
	cr_assert_str_eq(pii->name, "pii");
	cr_assert_eq(pii->n_tables, 2);
	cr_assert_eq(pii->tables[0], people);
	cr_assert_eq(pii->tables[1], orders);
	rfs_catalog_free(cat);
}

Test(index_catalog, classification_set_is_idempotent)
{
	struct rfs_catalog *cat;
	int64_t t;

	cr_assert_eq(rfs_index_table_insert(idx, "t", &t, NULL), 0);
	cr_assert_eq(rfs_index_classification_set(idx, t, "pii", true, NULL),
		     0);
	cr_assert_eq(rfs_index_classification_set(idx, t, "pii", true, NULL),
		     0);
	cat = load();
	cr_assert_eq(cat->tables[0]->n_classifications, 1);
	cr_assert_eq(cat->n_classifications, 1);
	rfs_catalog_free(cat);

	cr_assert_eq(rfs_index_classification_set(idx, t, "pii", false, NULL),
		     0);
	cr_assert_eq(rfs_index_classification_set(idx, t, "pii", false, NULL),
		     0);
	cat = load();
	cr_assert_eq(cat->tables[0]->n_classifications, 0);
	cr_assert_eq(cat->n_classifications, 0);
	rfs_catalog_free(cat);
}

Test(index_catalog, epoch_update_changes_end_storage_and_path)
{
	const struct rfs_epoch *e;
	struct rfs_error err = { 0 };
	struct rfs_catalog *cat;
	struct ids ids;

	fill(&ids);
	cr_assert_eq(rfs_index_epoch_update(idx, ids.cur, day(2020, 1, 1),
					    ids.nfs, "moved", NULL),
		     0);
	cat = load();
	e = cat->tables[1]->lifecycles[1]->epochs[1];
	cr_assert_eq(e->id, ids.cur);
	cr_assert_str_eq(e->name, "2013-01-01..2020-01-01");
	cr_assert_str_eq(e->storage->name, "alpha-nfs");
	cr_assert_str_eq(e->path, "moved");
	rfs_catalog_free(cat);

	/* A NULL path keeps the current one. */
	cr_assert_eq(rfs_index_epoch_update(idx, ids.cur, RFS_DATE_NOW, ids.s3,
					    NULL, NULL),
		     0);
	cat = load();
	e = cat->tables[1]->lifecycles[1]->epochs[1];
	cr_assert_eq(e->to, RFS_DATE_NOW);
	cr_assert_str_eq(e->storage->name, "zeta-s3");
	cr_assert_str_eq(e->path, "moved");
	rfs_catalog_free(cat);

	cr_assert_eq(rfs_index_epoch_update(idx, 12345, RFS_DATE_NOW, ids.s3,
					    "", &err),
		     -ENOENT);
	cr_assert_str_eq(err.msg, "no epoch with id 12345");
}

Test(index_catalog, updated_ns_is_the_newest_change)
{
	struct rfs_catalog *cat;
	int64_t before, after, mid;
	struct ids ids;

	before = rfs_time_now_ns();
	fill(&ids);
	after = rfs_time_now_ns();
	cat = load();
	cr_assert_geq(cat->updated_ns, before);
	cr_assert_leq(cat->updated_ns, after);
	rfs_catalog_free(cat);

	/* An update, which adds no row, still moves the time. */
	mid = rfs_time_now_ns();
	cr_assert_eq(rfs_index_epoch_update(idx, ids.old, day(2009, 1, 1),
					    ids.nfs, NULL, NULL),
		     0);
	cat = load();
	cr_assert_geq(cat->updated_ns, mid);
	rfs_catalog_free(cat);
}

Test(index_catalog, load_inside_a_transaction_sees_its_writes)
{
	struct rfs_catalog *cat;

	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	cr_assert_eq(rfs_index_table_insert(idx, "t", NULL, NULL), 0);
	cat = load();
	cr_assert_eq(cat->n_tables, 1);
	rfs_catalog_free(cat);
	/* The load left the caller's transaction open. */
	rfs_index_rollback(idx);
	cat = load();
	cr_assert_eq(cat->n_tables, 0);
	rfs_catalog_free(cat);
}

Test(index_catalog, load_sees_commits_of_other_handles)
{
	struct rfs_index *other = NULL;
	struct rfs_catalog *cat;

	cr_assert_eq(rfs_index_open(test_db, 0, &other, NULL), 0);
	cat = load();
	cr_assert_eq(cat->n_tables, 0);
	rfs_catalog_free(cat);
	cr_assert_eq(rfs_index_table_insert(other, "t", NULL, NULL), 0);
	cat = load();
	cr_assert_eq(cat->n_tables, 1);
	rfs_catalog_free(cat);
	rfs_index_free(other);
}

Test(index_catalog, unknown_storage_class_fails_the_load)
{
	struct rfs_catalog *cat = (struct rfs_catalog *)&idx; /* a marker */
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_storage_insert(idx, "odd", "floppy://a", NULL,
					      "floppy", NULL, NULL),
		     0);
	cr_assert_eq(rfs_index_load_catalog(idx, &cat, &err), -EIO);
	cr_assert(strstr(err.msg, "storage 'odd' has unknown class 'floppy'"),
		  "%s", err.msg);
	cr_assert_eq(cat, (struct rfs_catalog *)&idx, "*out was changed");
}

Test(index_catalog, values_are_bound_not_formatted)
{
	static const char name[] = "it's'); DROP TABLE tables; --";
	struct rfs_catalog *cat;

	cr_assert_eq(rfs_index_table_insert(idx, name, NULL, NULL), 0);
	cat = load();
	cr_assert_eq(cat->n_tables, 1);
	cr_assert_str_eq(cat->tables[0]->name, name);
	rfs_catalog_free(cat);
}
