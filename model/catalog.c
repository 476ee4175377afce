#include "model/catalog.h"

#include "model/storage.h"
#include "util/uri.h"
#include "util/error.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Rows added before rfs_catalog_seal() links them by id. */
struct pending_lc {
	int64_t table_id;
	struct rfs_lifecycle *lc;
};

struct pending_epoch {
	int64_t lifecycle_id;
	int64_t storage_id;
	struct rfs_epoch *e;
};

struct pending_class {
	int64_t table_id;
	char *name;
};

struct catalog {
	struct rfs_catalog pub;
	struct rfs_lifecycle **lcs; /* every lifecycle, owned here */
	size_t n_lcs;
	struct pending_lc *plc;
	size_t n_plc;
	struct pending_epoch *pe;
	size_t n_pe;
	struct pending_class *pc;
	size_t n_pc;
	bool sealed;
};

#define CAT(c) ((struct catalog *)(c))

/* Grow an array of n elements of size sz when n is 0 or a power of two. */
static int push(void *arrp, size_t *n, size_t sz, const void *elem)
{
	char **arr = arrp;

	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 4;
		char *p = realloc(*arr, cap * sz);

		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	memcpy(*arr + *n * sz, elem, sz);
	(*n)++;
	return 0;
}

struct rfs_catalog *rfs_catalog_new(void)
{
	struct catalog *c = calloc(1, sizeof(*c));

	return c ? &c->pub : NULL;
}

int rfs_catalog_add_storage(struct rfs_catalog *cat, int64_t id,
			    const char *name, const char *uri,
			    const char *bin_uri, const char *class_name,
			    int64_t created_ns)
{
	const struct rfs_storage_class *cls =
		rfs_storage_class_by_name(class_name);
	struct rfs_storage *s;

	if (!cls)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = id;
	s->cls = cls;
	s->created_ns = created_ns;
	s->name = strdup(name);
	s->uri = strdup(uri);
	s->bin_uri = bin_uri ? strdup(bin_uri) : NULL;
	if (!s->name || !s->uri || (bin_uri && !s->bin_uri) ||
	    push(&cat->storages, &cat->n_storages, sizeof(s), &s) < 0) {
		free(s->name);
		free(s->uri);
		free(s->bin_uri);
		free(s);
		return -ENOMEM;
	}
	if (created_ns > cat->updated_ns)
		cat->updated_ns = created_ns;
	return 0;
}

int rfs_catalog_add_table(struct rfs_catalog *cat, int64_t id, const char *name,
			  int64_t created_ns)
{
	struct rfs_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->id = id;
	t->created_ns = created_ns;
	t->name = strdup(name);
	if (!t->name || push(&cat->tables, &cat->n_tables, sizeof(t), &t) < 0) {
		free(t->name);
		free(t);
		return -ENOMEM;
	}
	if (created_ns > cat->updated_ns)
		cat->updated_ns = created_ns;
	return 0;
}

int rfs_catalog_add_classification(struct rfs_catalog *cat, int64_t table_id,
				   const char *name)
{
	struct catalog *c = CAT(cat);
	struct pending_class pc = { table_id, strdup(name) };

	if (!pc.name || push(&c->pc, &c->n_pc, sizeof(pc), &pc) < 0) {
		free(pc.name);
		return -ENOMEM;
	}
	return 0;
}

int rfs_catalog_add_lifecycle(struct rfs_catalog *cat, int64_t id,
			      int64_t table_id, const char *name, int order,
			      int64_t created_ns)
{
	struct catalog *c = CAT(cat);
	struct rfs_lifecycle *lc = calloc(1, sizeof(*lc));
	struct pending_lc p = { table_id, lc };

	if (!lc)
		return -ENOMEM;
	lc->id = id;
	lc->order = order;
	lc->created_ns = created_ns;
	lc->name = strdup(name);
	if (!lc->name || push(&c->plc, &c->n_plc, sizeof(p), &p) < 0) {
		free(lc->name);
		free(lc);
		return -ENOMEM;
	}
	if (push(&c->lcs, &c->n_lcs, sizeof(lc), &lc) < 0) {
		c->n_plc--;
		free(lc->name);
		free(lc);
		return -ENOMEM;
	}
	if (created_ns > cat->updated_ns)
		cat->updated_ns = created_ns;
	return 0;
}

int rfs_catalog_add_epoch(struct rfs_catalog *cat, int64_t id,
			  int64_t lifecycle_id, int32_t from, int32_t to,
			  int64_t storage_id, const char *path,
			  int64_t created_ns)
{
	struct catalog *c = CAT(cat);
	struct rfs_epoch *e = calloc(1, sizeof(*e));
	struct pending_epoch p = { lifecycle_id, storage_id, e };

	if (!e)
		return -ENOMEM;
	e->id = id;
	e->from = from;
	e->to = to;
	e->created_ns = created_ns;
	e->path = strdup(path);
	rfs_epoch_range_format(from, to, e->name);
	if (!e->path || push(&c->pe, &c->n_pe, sizeof(p), &p) < 0) {
		free(e->path);
		free(e);
		return -ENOMEM;
	}
	if (created_ns > cat->updated_ns)
		cat->updated_ns = created_ns;
	return 0;
}

/* qsort(3) of n pointers; an empty array may be NULL, which qsort must
 * not be given. */
static void sort_ptrs(void *arr, size_t n,
		      int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(arr, n, sizeof(void *), cmp);
}

static int cmp_id_storage(const void *a, const void *b)
{
	int64_t x = (*(struct rfs_storage *const *)a)->id;
	int64_t y = (*(struct rfs_storage *const *)b)->id;

	return (x > y) - (x < y);
}

static int cmp_id_table(const void *a, const void *b)
{
	int64_t x = (*(struct rfs_table *const *)a)->id;
	int64_t y = (*(struct rfs_table *const *)b)->id;

	return (x > y) - (x < y);
}

static int cmp_id_lc(const void *a, const void *b)
{
	int64_t x = (*(struct rfs_lifecycle *const *)a)->id;
	int64_t y = (*(struct rfs_lifecycle *const *)b)->id;

	return (x > y) - (x < y);
}

static int cmp_name_storage(const void *a, const void *b)
{
	return strcmp((*(struct rfs_storage *const *)a)->name,
		      (*(struct rfs_storage *const *)b)->name);
}

static int cmp_name_table(const void *a, const void *b)
{
	return strcmp((*(struct rfs_table *const *)a)->name,
		      (*(struct rfs_table *const *)b)->name);
}

static int cmp_lc_order(const void *a, const void *b)
{
	const struct rfs_lifecycle *x = *(struct rfs_lifecycle *const *)a;
	const struct rfs_lifecycle *y = *(struct rfs_lifecycle *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_epoch_from(const void *a, const void *b)
{
	int32_t x = (*(struct rfs_epoch *const *)a)->from;
	int32_t y = (*(struct rfs_epoch *const *)b)->from;

	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_pending_class(const void *a, const void *b)
{
	const struct pending_class *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r
		 : (x->table_id > y->table_id) - (x->table_id < y->table_id);
}

/* Storages, tables and lifecycles all start with their int64_t id. */
_Static_assert(offsetof(struct rfs_storage, id) == 0, "id first");
_Static_assert(offsetof(struct rfs_table, id) == 0, "id first");
_Static_assert(offsetof(struct rfs_lifecycle, id) == 0, "id first");

/* Binary search of an array of pointers sorted by id. */
static void *find_by_id(void *arrp, size_t n, int64_t id)
{
	void **arr = arrp;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t v = *(const int64_t *)arr[mid];

		if (v == id)
			return arr[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int link_lifecycles(struct catalog *c)
{
	struct rfs_catalog *cat = &c->pub;
	size_t i;

	for (i = 0; i < c->n_plc; i++) {
		struct rfs_table *t = find_by_id(cat->tables, cat->n_tables,
						 c->plc[i].table_id);

		if (!t)
			return -ENOENT;
		c->plc[i].lc->table = t;
		if (push(&t->lifecycles, &t->n_lifecycles, sizeof(void *),
			 &c->plc[i].lc) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Where the storage's bin lies below the epoch's root, if it does. Both
 * URIs carry the storage's query, so compare them without it. */
static int bin_key_of(struct rfs_epoch *e, const struct rfs_storage *s)
{
	size_t elen = strcspn(e->uri, "?");
	size_t blen = s->bin_uri ? strcspn(s->bin_uri, "?") : 0;
	/* "file:///" already ends with the slash before its children. */
	size_t sep = elen && e->uri[elen - 1] == '/' ? 0 : 1;

	if (!s->bin_uri || blen <= elen + sep ||
	    strncmp(e->uri, s->bin_uri, elen) ||
	    (sep && s->bin_uri[elen] != '/') ||
	    strcmp(e->uri + elen, s->bin_uri + blen))
		return 0;
	e->bin_key = strndup(s->bin_uri + elen + sep, blen - elen - sep);
	return e->bin_key ? 0 : -ENOMEM;
}

static int link_epochs(struct catalog *c)
{
	struct rfs_catalog *cat = &c->pub;
	size_t i;

	for (i = 0; i < c->n_pe; i++) {
		struct pending_epoch *p = &c->pe[i];
		struct rfs_lifecycle *lc =
			find_by_id(c->lcs, c->n_lcs, p->lifecycle_id);
		struct rfs_storage *s = find_by_id(
			cat->storages, cat->n_storages, p->storage_id);

		if (!lc || !s)
			return -ENOENT;
		p->e->lifecycle = lc;
		p->e->storage = s;
		if (rfs_uri_join(s->uri, p->e->path, &p->e->uri) < 0 ||
		    bin_key_of(p->e, s) < 0)
			return -ENOMEM;
		if (push(&lc->epochs, &lc->n_epochs, sizeof(void *), &p->e) < 0)
			return -ENOMEM;
		p->e = NULL; /* owned by its lifecycle now */
	}
	return 0;
}

static int link_classifications(struct catalog *c)
{
	struct rfs_catalog *cat = &c->pub;
	struct rfs_classification *cl = NULL;
	size_t i;

	if (c->n_pc > 1)
		qsort(c->pc, c->n_pc, sizeof(*c->pc), cmp_pending_class);
	for (i = 0; i < c->n_pc; i++) {
		struct pending_class *p = &c->pc[i];
		struct rfs_table *t =
			find_by_id(cat->tables, cat->n_tables, p->table_id);
		char *name;

		if (!t)
			return -ENOENT;
		if (i > 0 && !strcmp(p->name, c->pc[i - 1].name) &&
		    p->table_id == c->pc[i - 1].table_id)
			continue;
		name = strdup(p->name);
		if (!name || push(&t->classifications, &t->n_classifications,
				  sizeof(name), &name) < 0) {
			free(name);
			return -ENOMEM;
		}
		if (!cl || strcmp(cl->name, p->name)) {
			cl = calloc(1, sizeof(*cl));
			if (!cl)
				return -ENOMEM;
			cl->name = strdup(p->name);
			if (!cl->name ||
			    push(&cat->classifications, &cat->n_classifications,
				 sizeof(cl), &cl) < 0) {
				free(cl->name);
				free(cl);
				return -ENOMEM;
			}
		}
		if (push(&cl->tables, &cl->n_tables, sizeof(void *), &t) < 0)
			return -ENOMEM;
	}
	return 0;
}

int rfs_catalog_seal(struct rfs_catalog *cat)
{
	struct catalog *c = CAT(cat);
	size_t i, j;
	int r;

	sort_ptrs(cat->storages, cat->n_storages, cmp_id_storage);
	sort_ptrs(cat->tables, cat->n_tables, cmp_id_table);
	sort_ptrs(c->lcs, c->n_lcs, cmp_id_lc);
	r = link_lifecycles(c);
	if (!r)
		r = link_epochs(c);
	if (!r)
		r = link_classifications(c);
	if (r < 0)
		return r;
	sort_ptrs(cat->storages, cat->n_storages, cmp_name_storage);
	sort_ptrs(cat->tables, cat->n_tables, cmp_name_table);
	for (i = 0; i < cat->n_tables; i++) {
		struct rfs_table *t = cat->tables[i];

		sort_ptrs(t->classifications, t->n_classifications, cmp_str);
		sort_ptrs(t->lifecycles, t->n_lifecycles, cmp_lc_order);
		for (j = 0; j < t->n_lifecycles; j++)
			sort_ptrs(t->lifecycles[j]->epochs,
				  t->lifecycles[j]->n_epochs, cmp_epoch_from);
	}
	for (i = 0; i < cat->n_classifications; i++)
		sort_ptrs(cat->classifications[i]->tables,
			  cat->classifications[i]->n_tables, cmp_name_table);
	c->sealed = true;
	return 0;
}

static void free_epoch(struct rfs_epoch *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->uri);
	free(e->bin_key);
	free(e);
}

void rfs_catalog_free(struct rfs_catalog *cat)
{
	struct catalog *c = CAT(cat);
	size_t i, j;

	if (!cat)
		return;
	for (i = 0; i < c->n_lcs; i++) {
		struct rfs_lifecycle *lc = c->lcs[i];

		for (j = 0; j < lc->n_epochs; j++)
			free_epoch(lc->epochs[j]);
		free(lc->epochs);
		free(lc->name);
		free(lc);
	}
	for (i = 0; i < c->n_pe; i++)
		free_epoch(c->pe[i].e);
	for (i = 0; i < c->n_pc; i++)
		free(c->pc[i].name);
	for (i = 0; i < cat->n_tables; i++) {
		struct rfs_table *t = cat->tables[i];

		for (j = 0; j < t->n_classifications; j++)
			free(t->classifications[j]);
		free(t->classifications);
		free(t->lifecycles);
		free(t->name);
		free(t);
	}
	for (i = 0; i < cat->n_storages; i++) {
		free(cat->storages[i]->name);
		free(cat->storages[i]->uri);
		free(cat->storages[i]->bin_uri);
		free(cat->storages[i]);
	}
	for (i = 0; i < cat->n_classifications; i++) {
		free(cat->classifications[i]->name);
		free(cat->classifications[i]->tables);
		free(cat->classifications[i]);
	}
	free(cat->classifications);
	free(cat->storages);
	free(cat->tables);
	free(c->lcs);
	free(c->plc);
	free(c->pe);
	free(c->pc);
	free(c);
}

const struct rfs_table *rfs_catalog_table(const struct rfs_catalog *cat,
					  const char *name)
{
	size_t lo = 0, hi = cat->n_tables;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, cat->tables[mid]->name);

		if (r == 0)
			return cat->tables[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct rfs_lifecycle *rfs_table_lifecycle(const struct rfs_table *t,
						const char *name)
{
	size_t i;

	for (i = 0; i < t->n_lifecycles; i++)
		if (!strcmp(t->lifecycles[i]->name, name))
			return t->lifecycles[i];
	return NULL;
}

const struct rfs_epoch *rfs_lifecycle_epoch(const struct rfs_lifecycle *lc,
					    const char *name)
{
	size_t i;

	for (i = 0; i < lc->n_epochs; i++)
		if (!strcmp(lc->epochs[i]->name, name))
			return lc->epochs[i];
	return NULL;
}

const struct rfs_epoch *rfs_lifecycle_open_epoch(const struct rfs_lifecycle *lc)
{
	size_t i;

	for (i = 0; i < lc->n_epochs; i++)
		if (lc->epochs[i]->to == RFS_DATE_NOW)
			return lc->epochs[i];
	return NULL;
}

const struct rfs_storage *rfs_catalog_storage(const struct rfs_catalog *cat,
					      const char *name)
{
	size_t i;

	for (i = 0; i < cat->n_storages; i++)
		if (!strcmp(cat->storages[i]->name, name))
			return cat->storages[i];
	return NULL;
}

const struct rfs_classification *
rfs_catalog_classification(const struct rfs_catalog *cat, const char *name)
{
	size_t i;

	for (i = 0; i < cat->n_classifications; i++)
		if (!strcmp(cat->classifications[i]->name, name))
			return cat->classifications[i];
	return NULL;
}

int rfs_lifecycle_check_range(const struct rfs_lifecycle *lc, int32_t from,
			      int32_t to, int64_t ignore_id,
			      struct rfs_error *err)
{
	char a[RFS_DATE_STRLEN], b[RFS_DATE_STRLEN];
	size_t i;

	if (to <= from)
		return rfs_error_set(
			err, EINVAL, "epoch end %s is not after its start %s",
			rfs_date_format(to, a), rfs_date_format(from, b));
	for (i = 0; i < lc->n_epochs; i++) {
		const struct rfs_epoch *e = lc->epochs[i];

		if (e->id == ignore_id)
			continue;
		if (to == RFS_DATE_NOW && e->to == RFS_DATE_NOW)
			return rfs_error_set(
				err, EEXIST,
				"lifecycle '%s/%s' already has an open epoch "
				"%s; close it first (recyclefs epoch close)",
				lc->table->name, lc->name, e->name);
		if (rfs_date_ranges_overlap(from, to, e->from, e->to))
			return rfs_error_set(
				err, EEXIST,
				"epoch %s..%s overlaps epoch %s of '%s/%s'",
				rfs_date_format(from, a),
				rfs_date_format(to, b), e->name,
				lc->table->name, lc->name);
	}
	return 0;
}
