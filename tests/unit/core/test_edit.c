/*
 * core/edit: the catalog use cases against a real index and real
 * directories as file:// storages. Every refused call must leave the
 * catalog, the configuration and the history exactly as they were.
 */
#include "model/catalog.h"
#include "model/date.h"
#include "core/edit.h"
#include "core/location.h"
#include "model/storage.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct rfs_index *idx;
static char dir[64];
static char nfs_uri[128];  /* file://<dir>/nfs, with 2001 and 2013 inside */
static char arch_uri[128]; /* file://<dir>/arch, with moved inside */

static void mkdir_in(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s", path);
}

static bool is_dir(const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &st) == 0;
}

static void setup(void)
{
	struct rfs_error err = { 0 };

	strcpy(dir, "/tmp/rfs-edit-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	mkdir_in("nfs");
	mkdir_in("nfs/2001");
	mkdir_in("nfs/2013");
	mkdir_in("arch");
	mkdir_in("arch/moved");
	snprintf(nfs_uri, sizeof(nfs_uri), "file://%s/nfs", dir);
	snprintf(arch_uri, sizeof(arch_uri), "file://%s/arch", dir);
	cr_assert_eq(rfs_index_open(":memory:", RFS_INDEX_CREATE, &idx, &err),
		     0, "%s", err.msg);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	rfs_index_free(idx);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(core_edit, .init = setup, .fini = teardown);

static int32_t day(const char *s)
{
	int32_t d;

	cr_assert_eq(rfs_date_parse("date", s, &d, NULL), 0, "%s", s);
	return d;
}

static struct rfs_catalog *load(void)
{
	struct rfs_catalog *cat = NULL;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_load_catalog(idx, &cat, &err), 0, "%s", err.msg);
	return cat;
}

/* History */

struct history {
	size_t n;
	char action[64][32];
	char subject[64][128];
	char detail[64][1024];
};

static int collect(const struct rfs_history_record *rec, void *ctx)
{
	struct history *h = ctx;

	cr_assert_lt(h->n, 64);
	snprintf(h->action[h->n], sizeof(h->action[0]), "%s", rec->action);
	snprintf(h->subject[h->n], sizeof(h->subject[0]), "%s", rec->subject);
	snprintf(h->detail[h->n], sizeof(h->detail[0]), "%s", rec->detail);
	h->n++;
	return 0;
}

static struct history *history(void)
{
	struct history *h = calloc(1, sizeof(*h));
	struct rfs_error err = { 0 };

	cr_assert_not_null(h);
	cr_assert_eq(rfs_index_history_list(idx, collect, h, &err), 0, "%s",
		     err.msg);
	return h;
}

/* Check the newest history record; @p detail is the expected JSON with
 * sorted keys, or NULL to skip it. */
static void last_history(const char *action, const char *subject,
			 const char *detail)
{
	struct history *h = history();

	cr_assert_gt(h->n, 0);
	cr_assert_str_eq(h->action[h->n - 1], action);
	cr_assert_str_eq(h->subject[h->n - 1], subject);
	if (detail)
		cr_assert_str_eq(h->detail[h->n - 1], detail);
	free(h);
}

/* The whole visible state: catalog rows, the configuration keys the tests
 * touch, and the history, as one string to compare. */
static char *dump(void)
{
	static const char *const keys[] = {
		"jobs.workers",
		"jobs.parallel_files",
		"metastore.hook",
		"metastore.hook.sales.orders",
	};
	struct rfs_buf b = RFS_BUF_INIT;
	struct rfs_catalog *cat = load();
	struct history *h = history();
	size_t i, j, k, l;

	for (i = 0; i < cat->n_storages; i++) {
		const struct rfs_storage *s = cat->storages[i];

		rfs_buf_addf(&b, "storage %s %s %s %s\n", s->name, s->uri,
			     s->bin_uri ? s->bin_uri : "-", s->cls->name);
	}
	for (i = 0; i < cat->n_tables; i++) {
		const struct rfs_table *t = cat->tables[i];

		rfs_buf_addf(&b, "table %s\n", t->name);
		for (j = 0; j < t->n_classifications; j++)
			rfs_buf_addf(&b, " class %s\n", t->classifications[j]);
		for (j = 0; j < t->n_lifecycles; j++) {
			const struct rfs_lifecycle *lc = t->lifecycles[j];

			rfs_buf_addf(&b, " lifecycle %s %d\n", lc->name,
				     lc->order);
			for (k = 0; k < lc->n_epochs; k++)
				rfs_buf_addf(&b, "  epoch %s %s '%s' %s\n",
					     lc->epochs[k]->name,
					     lc->epochs[k]->storage->name,
					     lc->epochs[k]->path,
					     lc->epochs[k]->uri);
		}
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = NULL;

		if (rfs_index_config_get(idx, keys[i], &v, NULL) == 0)
			rfs_buf_addf(&b, "config %s=%s\n", keys[i], v);
		free(v);
	}
	for (l = 0; l < h->n; l++)
		rfs_buf_addf(&b, "history %s %s %s\n", h->action[l],
			     h->subject[l], h->detail[l]);
	free(h);
	rfs_catalog_free(cat);
	return rfs_buf_detach(&b);
}

/*
 * Run @p call (which passes &err) and check it is refused with @p want_code,
 * a reason containing @p want, and that nothing visible changed.
 */
#define assert_refused(want_code, want, call)                                  \
	do {                                                                   \
		char *before_ = dump(), *after_;                               \
		struct rfs_error err = { 0 };                                  \
		int r_ = (call);                                               \
                                                                               \
		cr_assert_eq(r_, -(want_code), "%s: returned %d: %s", #call,   \
			     r_, err.msg);                                     \
		cr_assert_eq(err.code, (want_code), "%s", err.msg);            \
		cr_assert_not_null(strstr(err.msg, (want)), "%s", err.msg);    \
		after_ = dump();                                               \
		cr_assert_str_eq(before_, after_, "%s changed the index",      \
				 #call);                                       \
		free(before_);                                                 \
		free(after_);                                                  \
	} while (0)

#define assert_ok(call)                                                        \
	do {                                                                   \
		struct rfs_error err = { 0 };                                  \
		int r_ = (call);                                               \
                                                                               \
		cr_assert_eq(r_, 0, "%s: returned %d: %s", #call, r_,          \
			     err.msg);                                         \
	} while (0)

/* Fixtures built through the use cases themselves. */

static void add_storages(void)
{
	assert_ok(rfs_edit_storage_add(idx, "nfs", nfs_uri, NULL, &err));
	assert_ok(rfs_edit_storage_add(idx, "arch", arch_uri, NULL, &err));
}

/* sales.orders/bronze on nfs: 2001-01-01..2010-01-01 at "2001",
 * 2013-01-01..now at "2013". */
static void add_bronze(void)
{
	add_storages();
	assert_ok(rfs_edit_table_add(idx, "sales.orders", NULL, 0, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "sales.orders", "bronze", -1,
					 &err));
	assert_ok(rfs_edit_epoch_add(idx, "sales.orders", "bronze",
				     day("2001-01-01"), day("2010-01-01"),
				     "nfs", "2001", 0, &err));
	assert_ok(rfs_edit_epoch_add(idx, "sales.orders", "bronze",
				     day("2013-01-01"), RFS_DATE_NOW, "nfs",
				     "2013", 0, &err));
}

static const struct rfs_lifecycle *lifecycle(const struct rfs_catalog *cat,
					     const char *t, const char *l)
{
	const struct rfs_table *table = rfs_catalog_table(cat, t);

	cr_assert_not_null(table, "%s", t);
	cr_assert_not_null(rfs_table_lifecycle(table, l), "%s/%s", t, l);
	return rfs_table_lifecycle(table, l);
}

/* Storages */

Test(core_edit, storage_add_stores_the_canonical_uri_and_default_bin)
{
	char messy[160], want[160], bin[192], detail[512];
	struct rfs_catalog *cat;
	const struct rfs_storage *s;

	snprintf(messy, sizeof(messy), "FILE://%s//nfs/", dir);
	snprintf(want, sizeof(want), "file://%s/nfs", dir);
	/* "//" inside a path is an empty component: refused, not mended. */
	assert_refused(EINVAL, "empty path component",
		       rfs_edit_storage_add(idx, "nfs", messy, NULL, &err));
	snprintf(messy, sizeof(messy), "FILE://%s/nfs/", dir);
	assert_ok(rfs_edit_storage_add(idx, "nfs", messy, NULL, &err));
	cat = load();
	s = rfs_catalog_storage(cat, "nfs");
	cr_assert_not_null(s);
	cr_assert_str_eq(s->uri, want);
	snprintf(bin, sizeof(bin), "%s/.recyclebin", want);
	cr_assert_str_eq(s->bin_uri, bin);
	cr_assert_str_eq(s->cls->name, "file");
	rfs_catalog_free(cat);
	snprintf(detail, sizeof(detail),
		 "{\"bin\":\"%s\",\"class\":\"file\",\"uri\":\"%s\"}", bin,
		 want);
	last_history("storage.add", "nfs", detail);
}

Test(core_edit, storage_add_keeps_the_query_in_the_default_bin)
{
	struct rfs_catalog *cat;
	const struct rfs_storage *s;

	assert_ok(rfs_edit_storage_add(
		idx, "lake", "S3://lake/orders/?region=x", NULL, &err));
	cat = load();
	s = rfs_catalog_storage(cat, "lake");
	cr_assert_str_eq(s->uri, "s3://lake/orders?region=x");
	cr_assert_str_eq(s->bin_uri, "s3://lake/orders/.recyclebin?region=x");
	cr_assert_str_eq(s->cls->name, "s3");
	rfs_catalog_free(cat);
}

Test(core_edit, storage_add_with_a_bin_of_the_same_family)
{
	struct rfs_catalog *cat;

	assert_ok(rfs_edit_storage_add(idx, "nfs", nfs_uri, "s3a://bin/x/",
				       &err));
	cat = load();
	cr_assert_str_eq(rfs_catalog_storage(cat, "nfs")->bin_uri,
			 "s3a://bin/x");
	rfs_catalog_free(cat);
}

Test(core_edit, storage_add_refuses_a_bin_of_another_family)
{
	assert_refused(EINVAL, "one family",
		       rfs_edit_storage_add(idx, "nfs", nfs_uri,
					    "postgres://db/bin", &err));
	assert_refused(EINVAL, "relational",
		       rfs_edit_storage_add(idx, "nfs", nfs_uri,
					    "postgres://db/bin", &err));
	assert_refused(EINVAL, "'bin' is not a storage URI",
		       rfs_edit_storage_add(idx, "nfs", nfs_uri, "bin", &err));
}

Test(core_edit, storage_add_refuses_an_unknown_scheme_listing_the_known)
{
	struct rfs_error e = { 0 };

	assert_refused(
		EINVAL, "unknown scheme 'ftp'",
		rfs_edit_storage_add(idx, "x", "ftp://host/x", NULL, &err));
	rfs_edit_storage_add(idx, "x", "ftp://host/x", NULL, &e);
	cr_assert_not_null(strstr(e.msg, rfs_storage_schemes()), "%s", e.msg);
}

Test(core_edit, storage_add_refuses_bad_uris_and_names)
{
	assert_refused(EINVAL, "storage URI",
		       rfs_edit_storage_add(idx, "x", "no-scheme", NULL, &err));
	assert_refused(EINVAL, "needs an absolute path",
		       rfs_edit_storage_add(idx, "x", "file://", NULL, &err));
	assert_refused(EINVAL, "storage name",
		       rfs_edit_storage_add(idx, ".x", nfs_uri, NULL, &err));
	assert_refused(EINVAL, "storage name",
		       rfs_edit_storage_add(idx, "a/b", nfs_uri, NULL, &err));
	assert_refused(EINVAL, "storage name",
		       rfs_edit_storage_add(idx, "", nfs_uri, NULL, &err));
}

Test(core_edit, storage_add_refuses_credentials_and_does_not_keep_them)
{
	struct rfs_error e = { 0 };
	char *all;

	assert_refused(EINVAL, "credentials",
		       rfs_edit_storage_add(idx, "x", "s3://AKID:wJalrXUt@b/p",
					    NULL, &err));
	assert_refused(EINVAL, "credentials",
		       rfs_edit_storage_add(idx, "x", "s3://bkt/p",
					    "s3://AKID:wJalrXUt@b/bin", &err));
	rfs_edit_storage_add(idx, "x", "s3://AKID:wJalrXUt@b/p", NULL, &e);
	cr_assert_null(strstr(e.msg, "wJalrXUt"), "%s", e.msg);
	cr_assert_null(strstr(e.msg, "AKID"), "%s", e.msg);
	all = dump();
	cr_assert_null(strstr(all, "wJalrXUt"));
	free(all);
}

Test(core_edit, storage_add_refuses_a_missing_file_root)
{
	char uri[160];

	snprintf(uri, sizeof(uri), "file://%s/missing", dir);
	assert_refused(ENOENT, "does not exist",
		       rfs_edit_storage_add(idx, "x", uri, NULL, &err));
	cr_assert_not(exists("missing"));
}

Test(core_edit, storage_add_refuses_a_root_that_is_a_file)
{
	char uri[160], path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/plain", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(uri, sizeof(uri), "file://%s/plain", dir);
	assert_refused(ENOTDIR, "storage root",
		       rfs_edit_storage_add(idx, "x", uri, NULL, &err));
}

Test(core_edit, storage_add_refuses_a_taken_name)
{
	assert_ok(rfs_edit_storage_add(idx, "nfs", nfs_uri, NULL, &err));
	assert_refused(EEXIST, "storage 'nfs' already exists",
		       rfs_edit_storage_add(idx, "nfs", arch_uri, NULL, &err));
}

Test(core_edit, catalog_only_storage_has_no_bin)
{
	struct rfs_catalog *cat;
	const struct rfs_storage *s;

	assert_ok(rfs_edit_storage_add(idx, "pg",
				       "postgresql://db.example:5432/warehouse",
				       NULL, &err));
	cat = load();
	s = rfs_catalog_storage(cat, "pg");
	cr_assert_not_null(s);
	cr_assert_null(s->bin_uri);
	cr_assert_str_eq(s->cls->name, "postgres");
	cr_assert_str_eq(s->uri, "postgresql://db.example:5432/warehouse");
	rfs_catalog_free(cat);
	last_history("storage.add", "pg", NULL);
}

/* Tables and classifications */

Test(core_edit, table_add_with_classifications)
{
	static const char *const cls[] = { "pii", "finance" };
	struct rfs_catalog *cat;
	const struct rfs_table *t;

	assert_ok(rfs_edit_table_add(idx, "sales.orders", cls, 2, &err));
	assert_ok(rfs_edit_table_add(idx, "hr.people", NULL, 0, &err));
	cat = load();
	cr_assert_eq(cat->n_tables, 2);
	t = rfs_catalog_table(cat, "sales.orders");
	cr_assert_eq(t->n_classifications, 2);
	cr_assert_str_eq(t->classifications[0], "finance");
	cr_assert_str_eq(t->classifications[1], "pii");
	cr_assert_eq(rfs_catalog_classification(cat, "pii")->n_tables, 1);
	cr_assert_eq(rfs_catalog_table(cat, "hr.people")->n_classifications, 0);
	rfs_catalog_free(cat);
	last_history("table.add", "hr.people", "{\"classifications\":[]}");
}

Test(core_edit, table_add_history_lists_the_classifications)
{
	static const char *const cls[] = { "pii", "finance" };

	assert_ok(rfs_edit_table_add(idx, "sales.orders", cls, 2, &err));
	last_history("table.add", "sales.orders",
		     "{\"classifications\":[\"pii\",\"finance\"]}");
}

Test(core_edit, table_add_refusals)
{
	static const char *const bad_cls[] = { "pii", "a/b" };

	assert_ok(rfs_edit_table_add(idx, "sales.orders", NULL, 0, &err));
	assert_refused(EEXIST, "table 'sales.orders' already exists",
		       rfs_edit_table_add(idx, "sales.orders", NULL, 0, &err));
	assert_refused(EINVAL, "table name",
		       rfs_edit_table_add(idx, "a..b", NULL, 0, &err));
	assert_refused(EINVAL, "table name",
		       rfs_edit_table_add(idx, "x\ny", NULL, 0, &err));
	assert_refused(EINVAL, "classification name 'a/b'",
		       rfs_edit_table_add(idx, "web.clicks", bad_cls, 2, &err));
}

Test(core_edit, classify_and_unclassify_are_idempotent)
{
	static const char *const pii[] = { "pii" };
	static const char *const twice[] = { "pii", "pii", "finance" };
	struct rfs_catalog *cat;
	const struct rfs_table *t;
	char *before, *after;
	size_t n;

	assert_ok(rfs_edit_table_add(idx, "t", NULL, 0, &err));
	assert_ok(rfs_edit_table_classify(idx, "t", pii, 1, true, &err));
	last_history("table.classify", "t", "{\"classifications\":[\"pii\"]}");
	before = dump();
	assert_ok(rfs_edit_table_classify(idx, "t", pii, 1, true, &err));
	after = dump();
	/* Same catalog; only a history record more. */
	n = (size_t)(strstr(before, "history ") - before);
	cr_assert_eq(strncmp(before, after, n), 0, "%s\n%s", before, after);
	cr_assert_eq(strncmp(after + n, "history ", 8), 0);
	free(before);
	free(after);
	assert_ok(rfs_edit_table_classify(idx, "t", twice, 3, true, &err));
	cat = load();
	t = rfs_catalog_table(cat, "t");
	cr_assert_eq(t->n_classifications, 2);
	rfs_catalog_free(cat);

	assert_ok(rfs_edit_table_classify(idx, "t", pii, 1, false, &err));
	last_history("table.unclassify", "t",
		     "{\"classifications\":[\"pii\"]}");
	assert_ok(rfs_edit_table_classify(idx, "t", pii, 1, false, &err));
	cat = load();
	t = rfs_catalog_table(cat, "t");
	cr_assert_eq(t->n_classifications, 1);
	cr_assert_str_eq(t->classifications[0], "finance");
	cr_assert_null(rfs_catalog_classification(cat, "pii"));
	rfs_catalog_free(cat);
}

Test(core_edit, classify_refusals)
{
	static const char *const pii[] = { "pii" };
	static const char *const bad[] = { ".hidden" };

	assert_ok(rfs_edit_table_add(idx, "t", NULL, 0, &err));
	assert_refused(ENOENT, "no table 'u'",
		       rfs_edit_table_classify(idx, "u", pii, 1, true, &err));
	assert_refused(EINVAL, "classification name",
		       rfs_edit_table_classify(idx, "t", bad, 1, true, &err));
	assert_refused(EINVAL, "classification name",
		       rfs_edit_table_classify(idx, "t", bad, 1, false, &err));
}

/* Lifecycles */

Test(core_edit, lifecycle_order_defaults_to_last_plus_one)
{
	struct rfs_catalog *cat;
	const struct rfs_table *t;

	assert_ok(rfs_edit_table_add(idx, "t", NULL, 0, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "raw", -1, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "bronze", -1, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "gold", 10, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "silver", 5, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "archive", -1, &err));
	last_history("lifecycle.add", "t",
		     "{\"lifecycle\":\"archive\",\"order\":11}");
	cat = load();
	t = rfs_catalog_table(cat, "t");
	cr_assert_eq(t->n_lifecycles, 5);
	cr_assert_str_eq(t->lifecycles[0]->name, "raw");
	cr_assert_eq(t->lifecycles[0]->order, 0);
	cr_assert_str_eq(t->lifecycles[1]->name, "bronze");
	cr_assert_eq(t->lifecycles[1]->order, 1);
	cr_assert_str_eq(t->lifecycles[2]->name, "silver");
	cr_assert_eq(t->lifecycles[2]->order, 5);
	cr_assert_str_eq(t->lifecycles[3]->name, "gold");
	cr_assert_str_eq(t->lifecycles[4]->name, "archive");
	cr_assert_eq(t->lifecycles[4]->order, 11);
	rfs_catalog_free(cat);
}

Test(core_edit, lifecycle_add_refusals)
{
	assert_ok(rfs_edit_table_add(idx, "t", NULL, 0, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "raw", -1, &err));
	assert_refused(EEXIST, "table 't' already has lifecycle 'raw'",
		       rfs_edit_lifecycle_add(idx, "t", "raw", 3, &err));
	assert_refused(ENOENT, "no table 'u'",
		       rfs_edit_lifecycle_add(idx, "u", "raw", -1, &err));
	assert_refused(EINVAL, "lifecycle name",
		       rfs_edit_lifecycle_add(idx, "t", ".raw", -1, &err));
	assert_refused(EINVAL, "lifecycle name",
		       rfs_edit_lifecycle_add(idx, "t", "", -1, &err));
}

Test(core_edit, lifecycles_of_two_tables_are_independent)
{
	assert_ok(rfs_edit_table_add(idx, "t", NULL, 0, &err));
	assert_ok(rfs_edit_table_add(idx, "u", NULL, 0, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "raw", 7, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "u", "raw", -1, &err));
	last_history("lifecycle.add", "u",
		     "{\"lifecycle\":\"raw\",\"order\":0}");
}

/* Epochs */

Test(core_edit, epoch_add_normalises_the_path)
{
	struct rfs_catalog *cat;
	const struct rfs_lifecycle *lc;
	char want[192];

	add_storages();
	assert_ok(rfs_edit_table_add(idx, "sales.orders", NULL, 0, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "sales.orders", "bronze", -1,
					 &err));
	assert_ok(rfs_edit_epoch_add(idx, "sales.orders", "bronze",
				     day("2013-01-01"), RFS_DATE_NOW, "nfs",
				     "/2013//", 0, &err));
	last_history("epoch.add", "sales.orders",
		     "{\"epoch\":\"2013-01-01..now\",\"lifecycle\":\"bronze\","
		     "\"path\":\"2013\",\"storage\":\"nfs\"}");
	cat = load();
	lc = lifecycle(cat, "sales.orders", "bronze");
	cr_assert_eq(lc->n_epochs, 1);
	cr_assert_str_eq(lc->epochs[0]->path, "2013");
	snprintf(want, sizeof(want), "%s/2013", nfs_uri);
	cr_assert_str_eq(lc->epochs[0]->uri, want);
	cr_assert_str_eq(lc->epochs[0]->storage->name, "nfs");
	rfs_catalog_free(cat);
}

Test(core_edit, epoch_at_the_storage_root_hides_the_bin)
{
	struct rfs_catalog *cat;
	const struct rfs_lifecycle *lc;

	add_storages();
	assert_ok(rfs_edit_table_add(idx, "t", NULL, 0, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "t", "raw", -1, &err));
	assert_ok(rfs_edit_epoch_add(idx, "t", "raw", day("2001-01-01"),
				     RFS_DATE_NOW, "arch", NULL, 0, &err));
	cat = load();
	lc = lifecycle(cat, "t", "raw");
	cr_assert_str_eq(lc->epochs[0]->path, "");
	cr_assert_str_eq(lc->epochs[0]->uri, arch_uri);
	cr_assert_str_eq(lc->epochs[0]->bin_key, ".recyclebin");
	rfs_catalog_free(cat);
}

Test(core_edit, epoch_add_refuses_paths_that_escape)
{
	add_bronze();
	assert_refused(EINVAL, "escapes",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "../x", RFS_EDIT_EPOCH_CREATE,
					  &err));
	assert_refused(EINVAL, "escapes",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "a/../../x", 0, &err));
	assert_refused(EINVAL, "'.' component",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "./2001", 0, &err));
	assert_refused(EINVAL, "control character",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "a\nb", RFS_EDIT_EPOCH_CREATE,
					  &err));
	cr_assert_not(exists("x"));
	cr_assert_not(exists("nfs/a\nb"));
}

Test(core_edit, epoch_add_refuses_a_missing_directory)
{
	add_bronze();
	assert_refused(ENOENT, "does not exist (create it, or pass --create)",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "2010/x", 0, &err));
	cr_assert_not(exists("nfs/2010"));
}

Test(core_edit, epoch_add_creates_a_missing_directory_when_asked)
{
	struct rfs_catalog *cat;

	add_bronze();
	assert_ok(rfs_edit_epoch_add(idx, "sales.orders", "bronze",
				     day("2010-01-01"), day("2013-01-01"),
				     "nfs", "2010/a/b", RFS_EDIT_EPOCH_CREATE,
				     &err));
	cr_assert(is_dir("nfs/2010/a/b"));
	cat = load();
	cr_assert_eq(lifecycle(cat, "sales.orders", "bronze")->n_epochs, 3);
	rfs_catalog_free(cat);
	/* An existing directory is fine with the flag too. */
	mkdir_in("nfs/1990");
	assert_ok(rfs_edit_epoch_add(
		idx, "sales.orders", "bronze", day("1990-01-01"),
		day("2001-01-01"), "nfs", "1990", RFS_EDIT_EPOCH_CREATE, &err));
}

Test(core_edit, epoch_add_refuses_a_path_that_is_a_file)
{
	char path[192];
	int fd;

	add_bronze();
	snprintf(path, sizeof(path), "%s/nfs/plain", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	assert_refused(ENOTDIR, "is not a directory",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "plain", 0, &err));
}

Test(core_edit, epoch_add_refuses_overlaps_and_a_second_open_epoch)
{
	add_bronze();
	assert_refused(EEXIST, "overlaps epoch 2001-01-01..2010-01-01",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2009-12-31"), day("2013-01-01"),
					  "nfs", "2001", 0, &err));
	assert_refused(EEXIST, "overlaps epoch 2013-01-01..now",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2012-01-01"), day("2013-01-02"),
					  "nfs", "2001", 0, &err));
	assert_refused(EEXIST, "already has an open epoch 2013-01-01..now",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2020-01-01"), RFS_DATE_NOW,
					  "nfs", "2001", 0, &err));
	assert_refused(EINVAL, "is not after its start",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2011-01-01"), day("2011-01-01"),
					  "nfs", "2001", 0, &err));
	assert_refused(EINVAL, "is not after its start",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2012-01-01"), day("2011-01-01"),
					  "nfs", "2001", 0, &err));
	/* Adjacent on both sides: accepted. */
	assert_ok(rfs_edit_epoch_add(
		idx, "sales.orders", "bronze", day("2010-01-01"),
		day("2013-01-01"), "nfs", "2010", RFS_EDIT_EPOCH_CREATE, &err));
}

Test(core_edit, a_refused_epoch_creates_no_directory)
{
	add_bronze();
	assert_refused(EEXIST, "overlaps",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2005-01-01"), day("2011-01-01"),
					  "nfs", "new", RFS_EDIT_EPOCH_CREATE,
					  &err));
	cr_assert_not(exists("nfs/new"));
	assert_refused(ENOENT, "no table 'nobody'",
		       rfs_edit_epoch_add(idx, "nobody", "bronze",
					  day("2010-01-01"), day("2011-01-01"),
					  "nfs", "new", RFS_EDIT_EPOCH_CREATE,
					  &err));
	cr_assert_not(exists("nfs/new"));
	assert_refused(EINVAL, "is not after its start",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2011-01-01"), day("2010-01-01"),
					  "nfs", "new", RFS_EDIT_EPOCH_CREATE,
					  &err));
	cr_assert_not(exists("nfs/new"));
}

Test(core_edit, epoch_add_refuses_unknown_names)
{
	add_bronze();
	assert_refused(ENOENT, "no table 'nobody'",
		       rfs_edit_epoch_add(idx, "nobody", "bronze",
					  day("2010-01-01"), day("2011-01-01"),
					  "nfs", "2001", 0, &err));
	assert_refused(ENOENT, "table 'sales.orders' has no lifecycle 'gold'",
		       rfs_edit_epoch_add(idx, "sales.orders", "gold",
					  day("2010-01-01"), day("2011-01-01"),
					  "nfs", "2001", 0, &err));
	assert_refused(ENOENT, "no storage 'tape'",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2011-01-01"),
					  "tape", "2001", 0, &err));
}

Test(core_edit, close_then_the_next_epoch_starts_at_the_close_date)
{
	struct rfs_catalog *cat;
	const struct rfs_lifecycle *lc;

	add_bronze();
	assert_ok(rfs_edit_epoch_close(idx, "sales.orders", "bronze",
				       day("2020-01-01"), &err));
	last_history("epoch.close", "sales.orders",
		     "{\"lifecycle\":\"bronze\","
		     "\"now\":\"2013-01-01..2020-01-01\","
		     "\"was\":\"2013-01-01..now\"}");
	cat = load();
	lc = lifecycle(cat, "sales.orders", "bronze");
	cr_assert_null(rfs_lifecycle_open_epoch(lc));
	cr_assert_not_null(rfs_lifecycle_epoch(lc, "2013-01-01..2020-01-01"));
	cr_assert_str_eq(lc->epochs[1]->path, "2013");
	cr_assert_str_eq(lc->epochs[1]->storage->name, "nfs");
	rfs_catalog_free(cat);
	assert_ok(rfs_edit_epoch_add(idx, "sales.orders", "bronze",
				     day("2020-01-01"), RFS_DATE_NOW, "arch",
				     "", 0, &err));
	cat = load();
	lc = lifecycle(cat, "sales.orders", "bronze");
	cr_assert_eq(lc->n_epochs, 3);
	cr_assert_str_eq(lc->epochs[2]->name, "2020-01-01..now");
	cr_assert_str_eq(lc->epochs[2]->storage->name, "arch");
	rfs_catalog_free(cat);
}

Test(core_edit, close_refusals)
{
	add_bronze();
	assert_refused(EINVAL, "is not after its start",
		       rfs_edit_epoch_close(idx, "sales.orders", "bronze",
					    day("2013-01-01"), &err));
	assert_refused(EINVAL, "is not after its start",
		       rfs_edit_epoch_close(idx, "sales.orders", "bronze",
					    day("2012-01-01"), &err));
	assert_refused(ENOENT, "no lifecycle 'gold'",
		       rfs_edit_epoch_close(idx, "sales.orders", "gold",
					    day("2020-01-01"), &err));
	assert_refused(ENOENT, "no table 'x'",
		       rfs_edit_epoch_close(idx, "x", "bronze",
					    day("2020-01-01"), &err));
	assert_ok(rfs_edit_epoch_close(idx, "sales.orders", "bronze",
				       day("2020-01-01"), &err));
	assert_refused(ENOENT,
		       "lifecycle 'sales.orders/bronze' has no open "
		       "epoch",
		       rfs_edit_epoch_close(idx, "sales.orders", "bronze",
					    day("2021-01-01"), &err));
}

Test(core_edit, repoint_moves_an_epoch_and_records_both_uris)
{
	struct rfs_catalog *cat;
	const struct rfs_epoch *e;
	char was[192], now[192], detail[512];

	add_bronze();
	assert_ok(rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					 "2001-01-01..2010-01-01", "arch",
					 "moved/", &err));
	cat = load();
	e = rfs_lifecycle_epoch(lifecycle(cat, "sales.orders", "bronze"),
				"2001-01-01..2010-01-01");
	cr_assert_not_null(e);
	cr_assert_str_eq(e->storage->name, "arch");
	cr_assert_str_eq(e->path, "moved");
	snprintf(now, sizeof(now), "%s/moved", arch_uri);
	cr_assert_str_eq(e->uri, now);
	rfs_catalog_free(cat);
	snprintf(was, sizeof(was), "%s/2001", nfs_uri);
	snprintf(detail, sizeof(detail),
		 "{\"epoch\":\"2001-01-01..2010-01-01\",\"lifecycle\":"
		 "\"bronze\",\"now\":\"%s\",\"was\":\"%s\"}",
		 now, was);
	last_history("epoch.repoint", "sales.orders", detail);
}

Test(core_edit, repoint_without_a_path_keeps_the_sub_path)
{
	struct rfs_catalog *cat;
	const struct rfs_epoch *e;

	add_bronze();
	mkdir_in("arch/2013");
	assert_ok(rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					 "2013-01-01..now", "arch", NULL,
					 &err));
	cat = load();
	e = rfs_lifecycle_open_epoch(lifecycle(cat, "sales.orders", "bronze"));
	cr_assert_str_eq(e->storage->name, "arch");
	cr_assert_str_eq(e->path, "2013");
	cr_assert_eq(e->to, RFS_DATE_NOW);
	rfs_catalog_free(cat);
}

Test(core_edit, repoint_refusals)
{
	add_bronze();
	/* repoint has no --create: the hint says so */
	assert_refused(ENOENT, "does not exist (create it first)",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					      "2001-01-01..2010-01-01", "arch",
					      "nowhere", &err));
	cr_assert_not(exists("arch/nowhere"));
	assert_refused(ENOENT, "does not exist",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					      "2001-01-01..2010-01-01", "arch",
					      NULL, &err));
	assert_refused(ENOENT, "has no epoch '2002-01-01..2010-01-01'",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					      "2002-01-01..2010-01-01", "arch",
					      "moved", &err));
	assert_refused(ENOENT, "no storage 'tape'",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					      "2001-01-01..2010-01-01", "tape",
					      "moved", &err));
	assert_refused(EINVAL, "escapes",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					      "2001-01-01..2010-01-01", "arch",
					      "../nfs", &err));
	assert_refused(ENOENT, "no lifecycle 'gold'",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "gold",
					      "2001-01-01..2010-01-01", "arch",
					      "moved", &err));
}

/* Configuration */

static char *config(const char *key)
{
	char *v = NULL;
	int r = rfs_index_config_get(idx, key, &v, NULL);

	cr_assert(r == 0 || r == -ENOENT);
	return r == 0 ? v : NULL;
}

Test(core_edit, config_set_and_unset)
{
	char *v;

	assert_ok(rfs_edit_config_set(idx, "jobs.workers", "4", &err));
	v = config("jobs.workers");
	cr_assert_str_eq(v, "4");
	free(v);
	last_history("config.set", "jobs.workers", "{\"value\":\"4\"}");
	assert_ok(rfs_edit_config_set(idx, "jobs.workers", NULL, &err));
	cr_assert_null(config("jobs.workers"));
	last_history("config.unset", "jobs.workers", "");
}

Test(core_edit, config_hooks_need_an_absolute_path)
{
	char *v;

	assert_refused(
		EINVAL, "must be an absolute path",
		rfs_edit_config_set(idx, "metastore.hook", "hook.sh", &err));
	assert_refused(EINVAL, "must be an absolute path",
		       rfs_edit_config_set(idx, "metastore.hook", "", &err));
	assert_ok(rfs_edit_config_set(idx, "metastore.hook",
				      "/usr/libexec/hive-hook", &err));
	assert_ok(rfs_edit_config_set(idx, "metastore.hook.sales.orders",
				      "/opt/glue-hook", &err));
	v = config("metastore.hook.sales.orders");
	cr_assert_str_eq(v, "/opt/glue-hook");
	free(v);
	last_history("config.set", "metastore.hook.sales.orders",
		     "{\"value\":\"/opt/glue-hook\"}");
	assert_refused(EINVAL, "must be an absolute path",
		       rfs_edit_config_set(idx, "metastore.hook.sales.orders",
					   "./hook", &err));
}

Test(core_edit, config_refuses_unknown_keys)
{
	assert_refused(EINVAL, "unknown configuration key 'jobs.wrokers'",
		       rfs_edit_config_set(idx, "jobs.wrokers", "4", &err));
	assert_refused(EINVAL, "unknown configuration key",
		       rfs_edit_config_set(idx, "metastore.hook.", "/x", &err));
	assert_refused(
		EINVAL, "unknown configuration key",
		rfs_edit_config_set(idx, "metastore.hook.a/b", "/x", &err));
	assert_refused(
		EINVAL, "unknown configuration key",
		rfs_edit_config_set(idx, "metastore.hook..x", "/x", &err));
	assert_refused(EINVAL, "unknown configuration key",
		       rfs_edit_config_set(idx, "metastore.hookx", "/x", &err));
	assert_refused(EINVAL, "unknown configuration key",
		       rfs_edit_config_set(idx, "", "1", &err));
	assert_refused(EINVAL, "unknown configuration key",
		       rfs_edit_config_set(idx, "nothing", NULL, &err));
}

Test(core_edit, config_worker_counts_are_1_to_64)
{
	static const char *const bad[] = {
		"0", "65", "-1", "", "abc", "4x", "4 ", "99999999999999999999",
	};
	char *v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(
			EINVAL, "is not a worker count (1 to 64)",
			rfs_edit_config_set(idx, "jobs.workers", bad[i], &err));
	assert_ok(rfs_edit_config_set(idx, "jobs.workers", "1", &err));
	assert_ok(rfs_edit_config_set(idx, "jobs.parallel_files", "64", &err));
	v = config("jobs.parallel_files");
	cr_assert_str_eq(v, "64");
	free(v);
	assert_refused(
		EINVAL, "is not a worker count",
		rfs_edit_config_set(idx, "jobs.parallel_files", "65", &err));
}

/* History as a whole */

Test(core_edit, every_successful_call_is_recorded_in_order)
{
	static const char *const want[][2] = {
		{ "storage.add", "nfs" },
		{ "storage.add", "arch" },
		{ "table.add", "sales.orders" },
		{ "lifecycle.add", "sales.orders" },
		{ "epoch.add", "sales.orders" },
		{ "epoch.add", "sales.orders" },
		{ "epoch.close", "sales.orders" },
		{ "epoch.repoint", "sales.orders" },
		{ "config.set", "jobs.workers" },
	};
	struct history *h;

	add_bronze();
	assert_ok(rfs_edit_epoch_close(idx, "sales.orders", "bronze",
				       day("2014-01-01"), &err));
	assert_refused(ENOENT, "no open epoch",
		       rfs_edit_epoch_close(idx, "sales.orders", "bronze",
					    day("2015-01-01"), &err));
	assert_ok(rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					 "2001-01-01..2010-01-01", "arch",
					 "moved", &err));
	assert_ok(rfs_edit_config_set(idx, "jobs.workers", "8", &err));
	h = history();
	cr_assert_eq(h->n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < h->n; i++) {
		cr_assert_str_eq(h->action[i], want[i][0], "record %zu", i);
		cr_assert_str_eq(h->subject[i], want[i][1], "record %zu", i);
	}
	free(h);
}

/* The bin is never reachable through an epoch, and one folder is never
 * two epochs: refused on add, repoint and storage add, nothing recorded
 * and no folder made. */
Test(core_edit, epoch_locations_never_reach_a_bin_or_another_epoch)
{
	char bin[192];

	add_bronze();
	/* storage add made nfs/.recyclebin/.recyclefs for its catalog
	 * journal (docs/catalog-journal.md) */
	cr_assert(is_dir("nfs/.recyclebin/.recyclefs/catalog"));
	mkdir_in("nfs/2013/sub");
	assert_refused(EINVAL, "is inside the recycle storage of 'nfs'",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", ".recyclebin", 0, &err));
	assert_refused(EINVAL, "is inside the recycle storage of 'nfs'",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", ".recyclebin/.recyclefs/new",
					  RFS_EDIT_EPOCH_CREATE, &err));
	cr_assert_not(exists("nfs/.recyclebin/.recyclefs/new"));
	/* arch's bin lives in arch/.recyclebin: an epoch at nfs's root on
	 * a storage whose root holds it would show it. */
	snprintf(bin, sizeof(bin), "%s/2013/sub/bin", nfs_uri);
	assert_refused(EINVAL,
		       "is inside epoch 'sales.orders/bronze/"
		       "2013-01-01..now'",
		       rfs_edit_storage_add(idx, "tape", arch_uri, bin, &err));
	assert_refused(
		EINVAL,
		"contains epoch 'sales.orders/bronze/"
		"2001-01-01..2010-01-01'",
		rfs_edit_storage_add(idx, "tape", arch_uri, nfs_uri, &err));
	/* Inside, or containing, another epoch's folder. */
	assert_refused(EINVAL,
		       "is inside the location of epoch "
		       "'sales.orders/bronze/2013-01-01..now'",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "2013/sub", 0, &err));
	assert_refused(EINVAL, "contains the location of epoch",
		       rfs_edit_epoch_add(idx, "sales.orders", "bronze",
					  day("2010-01-01"), day("2013-01-01"),
					  "nfs", "", 0, &err));
	assert_refused(EINVAL,
		       "is the location of epoch "
		       "'sales.orders/bronze/2013-01-01..now'",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					      "2001-01-01..2010-01-01", "nfs",
					      "2013", &err));
	assert_refused(EINVAL, "is inside the recycle storage of 'nfs'",
		       rfs_edit_epoch_repoint(idx, "sales.orders", "bronze",
					      "2001-01-01..2010-01-01", "nfs",
					      ".recyclebin", &err));
	/* Re-pointing an epoch to a folder below its own is fine once no
	 * other epoch is there; "2001x" is not below "2001". */
	mkdir_in("nfs/2001x");
	assert_ok(rfs_edit_epoch_add(idx, "sales.orders", "bronze",
				     day("2010-01-01"), day("2013-01-01"),
				     "nfs", "2001x", 0, &err));
	/* A storage's own bin below an epoch at its root is hidden by the
	 * mount: allowed. */
	assert_ok(rfs_edit_table_add(idx, "web.logs", NULL, 0, &err));
	assert_ok(rfs_edit_lifecycle_add(idx, "web.logs", "raw", -1, &err));
	assert_ok(rfs_edit_epoch_add(idx, "web.logs", "raw", day("2001-01-01"),
				     RFS_DATE_NOW, "arch", "", 0, &err));
}

Test(core_edit, location_within_compares_folders_not_prefixes)
{
	cr_assert(rfs_location_within("file:///srv/a/b", "file:///srv/a"));
	cr_assert(rfs_location_within("file:///srv/a/", "file:///srv/a"));
	cr_assert(rfs_location_within("file:///srv/a", "file:///"));
	cr_assert_not(rfs_location_within("file:///srv/ab", "file:///srv/a"));
	cr_assert_not(rfs_location_within("file:///srv", "file:///srv/a"));
	cr_assert(rfs_location_within("s3://lake/x/y?endpoint=http://h:1",
				      "s3://lake/x?endpoint=http://h:1"));
	/* other options: another endpoint, another place */
	cr_assert_not(rfs_location_within("s3://lake/x/y?endpoint=http://h:1",
					  "s3://lake/x?endpoint=http://h:2"));
	cr_assert_not(rfs_location_within("s3://lake2", "s3://lake"));
	/* options that only change how a place is read: the same place */
	cr_assert(rfs_location_within("s3://lake/x?attrs=listing",
				      "s3://lake/x"));
	cr_assert(rfs_location_within(
		"s3://lake/x/y?region=eu-west-1&endpoint=http://h:1/",
		"s3://lake/x?endpoint=http://h:1&attrs=listing"));
	cr_assert_not(rfs_location_within("s3://lake/x?attrs=listing",
					  "s3://lake/x?endpoint=http://h:1"));
}
