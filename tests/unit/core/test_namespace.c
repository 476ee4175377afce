/*
 * core/namespace: mount paths resolved to tables, lifecycles, epochs, the
 * recycle bin and the classification links.
 */
#include "core/namespace.h"
#include "model/catalog.h"
#include "model/date.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct rfs_catalog *cat;

/* T = sales.orders with lifecycles raw and bronze; bronze has
 * 2001-01-01..2010-01-01 and 2013-01-01..now; hr.people (no lifecycle);
 * classification pii on sales.orders only. */
static void setup(void)
{
	int32_t a, b, c;

	cr_assert_eq(rfs_date_parse("d", "2001-01-01", &a, NULL), 0);
	cr_assert_eq(rfs_date_parse("d", "2010-01-01", &b, NULL), 0);
	cr_assert_eq(rfs_date_parse("d", "2013-01-01", &c, NULL), 0);
	cat = rfs_catalog_new();
	cr_assert_not_null(cat);
	cr_assert_eq(rfs_catalog_add_storage(cat, 1, "nfs", "file:///srv/nfs",
					     "file:///srv/nfs/.recyclebin",
					     "file", 0),
		     0);
	cr_assert_eq(rfs_catalog_add_table(cat, 1, "sales.orders", 0), 0);
	cr_assert_eq(rfs_catalog_add_table(cat, 2, "hr.people", 0), 0);
	cr_assert_eq(rfs_catalog_add_classification(cat, 1, "pii"), 0);
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 1, 1, "raw", 0, 0), 0);
	cr_assert_eq(rfs_catalog_add_lifecycle(cat, 2, 1, "bronze", 1, 0), 0);
	cr_assert_eq(rfs_catalog_add_epoch(cat, 1, 2, a, b, 1, "old", 0), 0);
	cr_assert_eq(
		rfs_catalog_add_epoch(cat, 2, 2, c, RFS_DATE_NOW, 1, "", 0), 0);
	cr_assert_eq(rfs_catalog_seal(cat), 0);
}

static void teardown(void)
{
	rfs_catalog_free(cat);
}

TestSuite(core_namespace, .init = setup, .fini = teardown);

static struct rfs_node resolve(const char *path, enum rfs_node_kind kind)
{
	struct rfs_node n;

	cr_assert_eq(rfs_namespace_resolve(cat, path, &n), 0, "'%s'", path);
	cr_assert_eq(n.kind, kind, "'%s': kind %d", path, n.kind);
	cr_assert_not_null(n.rest);
	return n;
}

static void missing(const char *path)
{
	struct rfs_node n;

	cr_assert_eq(rfs_namespace_resolve(cat, path, &n), -ENOENT, "'%s'",
		     path);
}

Test(core_namespace, root)
{
	struct rfs_node n = resolve("/", RFS_NODE_ROOT);

	cr_assert_null(n.table);
	cr_assert_str_eq(n.rest, "");
	resolve("", RFS_NODE_ROOT);
	resolve("//", RFS_NODE_ROOT);
}

Test(core_namespace, table)
{
	struct rfs_node n = resolve("/sales.orders", RFS_NODE_TABLE);

	cr_assert_eq(n.table, rfs_catalog_table(cat, "sales.orders"));
	cr_assert_null(n.lifecycle);
	cr_assert_null(n.epoch);
	cr_assert_str_eq(n.rest, "");
	n = resolve("hr.people", RFS_NODE_TABLE);
	cr_assert_str_eq(n.table->name, "hr.people");
}

Test(core_namespace, lifecycle)
{
	struct rfs_node n = resolve("/sales.orders/bronze", RFS_NODE_LIFECYCLE);

	cr_assert_str_eq(n.table->name, "sales.orders");
	cr_assert_str_eq(n.lifecycle->name, "bronze");
	cr_assert_eq(n.lifecycle->table, n.table);
	cr_assert_null(n.epoch);
}

Test(core_namespace, epoch)
{
	struct rfs_node n =
		resolve("/sales.orders/bronze/2013-01-01..now", RFS_NODE_EPOCH);

	cr_assert_str_eq(n.lifecycle->name, "bronze");
	cr_assert_eq(n.epoch->id, 2);
	cr_assert_str_eq(n.rest, "");
	n = resolve("/sales.orders/bronze/2001-01-01..2010-01-01",
		    RFS_NODE_EPOCH);
	cr_assert_eq(n.epoch->id, 1);
}

Test(core_namespace, inside_an_epoch)
{
	struct rfs_node n = resolve(
		"/sales.orders/bronze/2013-01-01..now/dt=2013-01-01/part-0",
		RFS_NODE_EPOCH);

	cr_assert_eq(n.epoch->id, 2);
	cr_assert_str_eq(n.rest, "dt=2013-01-01/part-0");
	n = resolve("/sales.orders/bronze/2013-01-01..now/a/b", RFS_NODE_EPOCH);
	cr_assert_str_eq(n.rest, "a/b");
}

Test(core_namespace, recycle_bin)
{
	struct rfs_node n = resolve("/.recyclebin", RFS_NODE_BIN);

	cr_assert_str_eq(n.rest, "");
	cr_assert_null(n.table);
	n = resolve("/.recyclebin/x/y", RFS_NODE_BIN);
	cr_assert_str_eq(n.rest, "x/y");
	n = resolve("/.recyclebin/sales.orders/bronze/2001-01-01..2010-01-01",
		    RFS_NODE_BIN);
	cr_assert_str_eq(n.rest, "sales.orders/bronze/2001-01-01..2010-01-01");
}

Test(core_namespace, classifications)
{
	struct rfs_node n = resolve("/.classifications", RFS_NODE_CLASSES);

	cr_assert_null(n.cls);
	n = resolve("/.classifications/pii", RFS_NODE_CLASS);
	cr_assert_str_eq(n.cls->name, "pii");
	cr_assert_null(n.table);
	n = resolve("/.classifications/pii/sales.orders", RFS_NODE_CLASS_LINK);
	cr_assert_str_eq(n.cls->name, "pii");
	cr_assert_eq(n.table, rfs_catalog_table(cat, "sales.orders"));
}

Test(core_namespace, a_table_not_in_the_classification_is_missing)
{
	missing("/.classifications/pii/hr.people");
	missing("/.classifications/pii/nobody");
	missing("/.classifications/finance");
	missing("/.classifications/finance/sales.orders");
	missing("/.classifications/pii/sales.orders/raw");
}

Test(core_namespace, unknown_names_at_each_level)
{
	missing("/nobody");
	missing("/sales.orders/gold");
	missing("/sales.orders/bronze/2010-01-01..2013-01-01");
	missing("/sales.orders/bronze/2013-01-01..now2");
	missing("/sales.orders/bronze/dt=2013-01-01");
	missing("/sales.orders/raw/2013-01-01..now");
	missing("/hr.people/raw");
	missing("/.recyclebinx");
	missing("/.classificationsx");
	missing("/Sales.orders");
	missing("/.");
	missing("/..");
	missing("/sales.orders/..");
}

Test(core_namespace, trailing_slashes_are_allowed)
{
	struct rfs_node n;

	resolve("/sales.orders/", RFS_NODE_TABLE);
	resolve("/sales.orders/bronze/", RFS_NODE_LIFECYCLE);
	n = resolve("/sales.orders/bronze/2013-01-01..now/", RFS_NODE_EPOCH);
	cr_assert_str_eq(n.rest, "");
	resolve("/.recyclebin/", RFS_NODE_BIN);
	resolve("/.classifications/", RFS_NODE_CLASSES);
	resolve("/.classifications/pii/", RFS_NODE_CLASS);
	resolve("/.classifications/pii/sales.orders/", RFS_NODE_CLASS_LINK);
}

Test(core_namespace, empty_components_do_not_match)
{
	missing("/sales.orders//bronze");
	missing("/sales.orders/bronze//2013-01-01..now");
	missing("/.classifications//pii");
}

Test(core_namespace, overlong_components_are_missing)
{
	char path[400] = "/";
	char comp[301];

	memset(comp, 'a', 300);
	comp[300] = '\0';
	strcat(path, comp);
	missing(path);
	snprintf(path, sizeof(path), "/sales.orders/%s", comp);
	missing(path);
	snprintf(path, sizeof(path), "/sales.orders/bronze/%s", comp);
	missing(path);
	snprintf(path, sizeof(path), "/.classifications/%s", comp);
	missing(path);
	snprintf(path, sizeof(path), "/.classifications/pii/%s", comp);
	missing(path);
	/* 255 bytes is a possible name, just not a known one. */
	comp[255] = '\0';
	snprintf(path, sizeof(path), "/%s", comp);
	missing(path);
}
