/*
 * The declarative catalog: export to a document, plan and apply a
 * document (docs/catalog-file.md).
 */
#include "core/journal_file.h"

#include "model/catalog.h"
#include "model/date.h"
#include "core/edit.h"
#include "core/journal.h"
#include "core/journal_file_priv.h"
#include "index/index.h"
#include "index/journal.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum step_kind {
	STORAGE_ADD,
	TABLE_ADD,
	CLASSIFY,
	UNCLASSIFY,
	LIFECYCLE_ADD,
	EPOCH_CLOSE,
	EPOCH_REPOINT,
	EPOCH_ADD,
	CONFIG_SET,
	CONFIG_UNSET,
	EPOCH_REMOVE,
	LIFECYCLE_REMOVE,
	TABLE_REMOVE,
	STORAGE_REMOVE,
};

struct rfs_catalog_step {
	enum step_kind kind;
	char *a, *b, *c, *d, *e; /* names, URIs, values by kind */
	int32_t from, to;
	int order;
	char text[1024];
};

/* ------------------------------------------------------------- export */

int rfs_catalog_file_export(struct rfs_index *idx, json_t **out,
			    struct rfs_error *err)
{
	struct rfs_catalog *cat = NULL;
	json_t *dump = NULL, *doc, *st, *tb, *cfg, *row;
	char d1[RFS_DATE_STRLEN], d2[RFS_DATE_STRLEN];
	int64_t seq;
	size_t i, j, k;
	int r;

	r = rfs_index_load_catalog(idx, &cat, err);
	if (r == 0)
		r = rfs_index_journal_dump(idx, &dump, &seq, err);
	if (r < 0)
		goto out;
	doc = json_pack("{s:i, s:[], s:[], s:{}}", "recyclefs_catalog",
			RFS_CATALOG_FILE_VERSION, "storages", "tables",
			"config");
	if (!doc) {
		r = -ENOMEM;
		goto out;
	}
	st = json_object_get(doc, "storages");
	tb = json_object_get(doc, "tables");
	cfg = json_object_get(doc, "config");
	for (i = 0; i < cat->n_storages; i++) {
		const struct rfs_storage *s = cat->storages[i];

		r |= json_array_append_new(
			st, json_pack("{s:s, s:s, s:s?}", "name", s->name,
				      "uri", s->uri, "bin", s->bin_uri));
	}
	for (i = 0; i < cat->n_tables; i++) {
		const struct rfs_table *t = cat->tables[i];
		json_t *cls = json_array(), *lcs = json_array();

		for (j = 0; j < t->n_classifications; j++)
			r |= json_array_append_new(
				cls, json_string(t->classifications[j]));
		for (j = 0; j < t->n_lifecycles; j++) {
			const struct rfs_lifecycle *lc = t->lifecycles[j];
			json_t *eps = json_array();

			for (k = 0; k < lc->n_epochs; k++) {
				const struct rfs_epoch *e = lc->epochs[k];

				r |= json_array_append_new(
					eps,
					json_pack("{s:s, s:s, s:s, s:s}",
						  "from",
						  rfs_date_format(e->from, d1),
						  "to",
						  rfs_date_format(e->to, d2),
						  "storage", e->storage->name,
						  "path", e->path));
			}
			r |= json_array_append_new(
				lcs,
				json_pack("{s:s, s:i, s:o}", "name", lc->name,
					  "order", lc->order, "epochs", eps));
		}
		r |= json_array_append_new(tb,
					   json_pack("{s:s, s:o, s:o}", "name",
						     t->name, "classifications",
						     cls, "lifecycles", lcs));
	}
	json_array_foreach(json_object_get(dump, "config"), i, row) r |=
		json_object_set(cfg,
				json_string_value(json_object_get(row, "key")),
				json_object_get(row, "value"));
	if (r) {
		json_decref(doc);
		r = -ENOMEM;
		goto out;
	}
	*out = doc;
out:
	json_decref(dump);
	rfs_catalog_free(cat);
	return r;
}

/* ------------------------------------------------------------ planning */

static int step(struct rfs_catalog_plan *p, enum step_kind kind, const char *a,
		const char *b, const char *c, const char *d, const char *e)
{
	struct rfs_catalog_step *s, *v;

	v = realloc(p->steps, (p->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->steps = v;
	s = &v[p->n];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if ((a && !(s->a = strdup(a))) || (b && !(s->b = strdup(b))) ||
	    (c && !(s->c = strdup(c))) || (d && !(s->d = strdup(d))) ||
	    (e && !(s->e = strdup(e))))
		return -ENOMEM;
	p->n++;
	return 0;
}

#define LAST(p) (&(p)->steps[(p)->n - 1])

static bool in_array(const json_t *arr, const char *key, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (!strcmp(key ? rfs_catalog_file_str(v, key) ?: "" : json_string_value(v) ?: "",
			    name))
			return true;
	return false;
}

/* The epoch of @p lc starting on @p from, or NULL. */
static const struct rfs_epoch *epoch_from(const struct rfs_lifecycle *lc,
					  int32_t from)
{
	size_t i;

	for (i = 0; lc && i < lc->n_epochs; i++)
		if (lc->epochs[i]->from == from)
			return lc->epochs[i];
	return NULL;
}

/* The file's epoch of @p eps starting on @p from, or NULL. */
static const json_t *file_epoch(const json_t *eps, int32_t from)
{
	const json_t *e;
	size_t i;
	int32_t f;

	json_array_foreach(
		eps, i,
		e) if (!rfs_catalog_file_day("",
					     rfs_catalog_file_str(e, "from"),
					     false, &f, NULL) &&
		       f == from) return e;
	return NULL;
}

static int refuse_orphans(struct rfs_index *idx, const char *what,
			  const char *storage, const char *t, const char *l,
			  const char *e, int64_t eid, struct rfs_error *err)
{
	int64_t n = 0;
	int r = rfs_index_entries_depending(idx, storage, t, l, e, eid, &n,
					    err);

	if (r == 0 && n)
		r = rfs_error_set(err, EBUSY,
				  "the file removes %s, but %lld bin entr%s or "
				  "running restore%s depend on it: refused",
				  what, (long long)n, n == 1 ? "y" : "ies",
				  n == 1 ? "" : "s");
	return r;
}

/* Epoch steps of one lifecycle (@p lc may be NULL: new; @p eps NULL:
 * removed) for @p phase: 0 removes, 1 closes, 2 repoints, 3 adds. */
static int plan_epochs(struct rfs_index *idx, struct rfs_catalog_plan *p,
		       const char *t, const char *l,
		       const struct rfs_lifecycle *lc, const json_t *eps,
		       int phase, struct rfs_error *err)
{
	char name[RFS_RANGE_STRLEN], what[600];
	const json_t *fe;
	size_t i;
	int r = 0;

	for (i = 0; phase <= 2 && lc && r == 0 && i < lc->n_epochs; i++) {
		const struct rfs_epoch *e = lc->epochs[i];
		int32_t to;

		fe = eps ? file_epoch(eps, e->from) : NULL;
		if (!fe && phase == 0) {
			snprintf(what, sizeof(what), "epoch '%s/%s/%s'", t, l,
				 e->name);
			r = refuse_orphans(idx, what, NULL, t, l, e->name,
					   e->id, err);
			if (r == 0)
				r = step(p, EPOCH_REMOVE, t, l, e->name, NULL,
					 NULL);
			continue;
		}
		if (!fe)
			continue;
		rfs_catalog_file_day("", rfs_catalog_file_str(fe, "to"), true,
				     &to, NULL);
		if (phase == 1 && to != e->to) {
			if (e->to != RFS_DATE_NOW)
				return rfs_error_set(
					err, EINVAL,
					"epoch '%s/%s/%s' is closed: its end "
					"cannot change to %s (remove it and "
					"add it again)",
					t, l, e->name,
					rfs_catalog_file_str(fe, "to"));
			r = step(p, EPOCH_CLOSE, t, l, e->name, NULL, NULL);
			if (r == 0)
				LAST(p)->to = to;
		}
		if (phase == 2 &&
		    (strcmp(rfs_catalog_file_str(fe, "storage"),
			    e->storage->name) ||
		     strcmp(rfs_catalog_file_str(fe, "path") ?: "", e->path))) {
			rfs_epoch_range_format(e->from, to, name);
			r = step(p, EPOCH_REPOINT, t, l, name,
				 rfs_catalog_file_str(fe, "storage"),
				 rfs_catalog_file_str(fe, "path") ?: "");
		}
	}
	json_array_foreach(phase == 3 ? eps : NULL, i, fe)
	{
		int32_t from, to;

		rfs_catalog_file_day("", rfs_catalog_file_str(fe, "from"),
				     false, &from, NULL);
		rfs_catalog_file_day("", rfs_catalog_file_str(fe, "to"), true,
				     &to, NULL);
		if (epoch_from(lc, from))
			continue;
		r = step(p, EPOCH_ADD, t, l,
			 rfs_catalog_file_str(fe, "storage"),
			 rfs_catalog_file_str(fe, "path") ?: "", NULL);
		if (r < 0)
			return r;
		LAST(p)->from = from;
		LAST(p)->to = to;
	}
	return r;
}

static int plan_tables(struct rfs_index *idx, struct rfs_catalog_plan *p,
		       const struct rfs_catalog *cat, const json_t *doc,
		       int phase, struct rfs_error *err)
{
	const json_t *tables = json_object_get(doc, "tables"), *ft, *fl, *c;
	size_t i, j;
	int r = 0;

	/* lifecycles and tables of the index */
	for (i = 0; r == 0 && i < cat->n_tables; i++) {
		const struct rfs_table *t = cat->tables[i];

		ft = rfs_catalog_file_find(tables, t->name);
		for (j = 0; r == 0 && j < t->n_lifecycles; j++) {
			const struct rfs_lifecycle *lc = t->lifecycles[j];

			fl = ft ? rfs_catalog_file_find(
					  json_object_get(ft, "lifecycles"),
					  lc->name)
				: NULL;
			if (phase <= 3)
				r = plan_epochs(
					idx, p, t->name, lc->name, lc,
					fl ? json_object_get(fl, "epochs")
					   : NULL,
					phase, err);
			if (r == 0 && fl && phase == 3 &&
			    json_integer_value(json_object_get(fl, "order")) !=
				    lc->order)
				r = rfs_error_set(
					err, EINVAL,
					"lifecycle '%s/%s': its order cannot "
					"change (%d to %lld)",
					t->name, lc->name, lc->order,
					(long long)json_integer_value(
						json_object_get(fl, "order")));
			if (r == 0 && !fl && phase == 5)
				r = step(p, LIFECYCLE_REMOVE, t->name, lc->name,
					 NULL, NULL, NULL);
		}
		for (j = 0;
		     r == 0 && ft && phase == -1 && j < t->n_classifications;
		     j++)
			if (!in_array(json_object_get(ft, "classifications"),
				      NULL, t->classifications[j]))
				r = step(p, UNCLASSIFY, t->name,
					 t->classifications[j], NULL, NULL,
					 NULL);
		json_array_foreach(
			ft && phase == -1
				? json_object_get(ft, "classifications")
				: NULL,
			j, c)
		{
			size_t k;
			bool has = false;

			for (k = 0; k < t->n_classifications; k++)
				has |= !strcmp(t->classifications[k],
					       json_string_value(c));
			if (!has && r == 0)
				r = step(p, CLASSIFY, t->name,
					 json_string_value(c), NULL, NULL,
					 NULL);
		}
		if (r == 0 && !ft && phase == 0)
			r = refuse_orphans(idx, "a table", NULL, t->name, NULL,
					   NULL, 0, err);
		if (r == 0 && !ft && phase == 6)
			r = step(p, TABLE_REMOVE, t->name, NULL, NULL, NULL,
				 NULL);
	}
	/* tables and lifecycles of the file */
	json_array_foreach(tables, i, ft)
	{
		const struct rfs_table *t = rfs_catalog_table(
			cat, rfs_catalog_file_str(ft, "name"));

		if (!t && phase == -2) {
			r = step(p, TABLE_ADD, rfs_catalog_file_str(ft, "name"),
				 NULL, NULL, NULL, NULL);
			json_array_foreach(
				json_object_get(ft, "classifications"), j,
				c) if (r == 0) r =
				step(p, CLASSIFY,
				     rfs_catalog_file_str(ft, "name"),
				     json_string_value(c), NULL, NULL, NULL);
		}
		json_array_foreach(json_object_get(ft, "lifecycles"), j, fl)
		{
			const struct rfs_lifecycle *lc =
				t ? rfs_table_lifecycle(
					    t, rfs_catalog_file_str(fl, "name"))
				  : NULL;

			if (r == 0 && !lc && phase == -2) {
				r = step(p, LIFECYCLE_ADD,
					 rfs_catalog_file_str(ft, "name"),
					 rfs_catalog_file_str(fl, "name"), NULL,
					 NULL, NULL);
				if (r == 0)
					LAST(p)->order =
						(int)json_integer_value(
							json_object_get(
								fl, "order"));
			}
			if (r == 0 && !lc && phase == 3)
				r = plan_epochs(
					idx, p,
					rfs_catalog_file_str(ft, "name"),
					rfs_catalog_file_str(fl, "name"), NULL,
					json_object_get(fl, "epochs"), phase,
					err);
		}
		if (r < 0)
			return r;
	}
	return r;
}

int rfs_catalog_file_plan(struct rfs_index *idx, const json_t *doc,
			  struct rfs_catalog_plan *plan, struct rfs_error *err)
{
	struct rfs_catalog_plan p = { 0 };
	struct rfs_catalog *cat = NULL;
	const json_t *fs, *row, *storages = json_object_get(doc, "storages");
	json_t *dump = NULL, *cfg = json_object_get(doc, "config"), *v;
	const char *key;
	int64_t seq;
	size_t i;
	int r, phase;

	r = rfs_catalog_file_check(doc, err);
	if (r == 0)
		r = rfs_index_load_catalog(idx, &cat, err);
	if (r == 0)
		r = rfs_index_journal_dump(idx, &dump, &seq, err);
	if (r < 0)
		goto out;
	json_array_foreach(storages, i, fs)
	{
		const struct rfs_storage *s = rfs_catalog_storage(
			cat, rfs_catalog_file_str(fs, "name"));

		if (!s)
			r = step(&p, STORAGE_ADD,
				 rfs_catalog_file_str(fs, "name"),
				 rfs_catalog_file_str(fs, "uri"),
				 rfs_catalog_file_str(fs, "bin"), NULL, NULL);
		else if (strcmp(s->uri, rfs_catalog_file_str(fs, "uri")) ||
			 (rfs_catalog_file_str(fs, "bin") &&
			  strcmp(s->bin_uri ?: "",
				 rfs_catalog_file_str(fs, "bin"))))
			r = rfs_error_set(err, EINVAL,
					  "storage '%s': its URI or recycle "
					  "URI cannot change (add a storage of "
					  "another name)",
					  s->name);
		if (r < 0)
			goto out;
	}
	for (phase = -2; r == 0 && phase <= 6; phase++)
		r = plan_tables(idx, &p, cat, doc, phase, err);
	if (r < 0)
		goto out;
	json_object_foreach(cfg, key, v)
	{
		bool same = false;

		json_array_foreach(json_object_get(dump, "config"), i, row)
			same |=
			!strcmp(rfs_catalog_file_str(row, "key"), key) &&
			!strcmp(rfs_catalog_file_str(row, "value"),
				json_string_value(v));
		if (!same && (r = step(&p, CONFIG_SET, key,
				       json_string_value(v), NULL, NULL, NULL)))
			goto out;
	}
	json_array_foreach(
		json_object_get(dump, "config"), i,
		row) if (!json_object_get(cfg,
					  rfs_catalog_file_str(row, "key")) &&
			 (r = step(&p, CONFIG_UNSET,
				   rfs_catalog_file_str(row, "key"), NULL, NULL,
				   NULL, NULL))) goto out;
	for (i = 0; i < cat->n_storages; i++) {
		if (rfs_catalog_file_find(storages, cat->storages[i]->name))
			continue;
		r = refuse_orphans(idx, "a storage", cat->storages[i]->name,
				   NULL, NULL, NULL, 0, err);
		if (r == 0)
			r = step(&p, STORAGE_REMOVE, cat->storages[i]->name,
				 NULL, NULL, NULL, NULL);
		if (r < 0)
			goto out;
	}
out:
	json_decref(dump);
	rfs_catalog_free(cat);
	if (r < 0) {
		rfs_catalog_plan_release(&p);
		return r;
	}
	*plan = p;
	return 0;
}

const char *rfs_catalog_step_text(const struct rfs_catalog_plan *plan, size_t i)
{
	struct rfs_catalog_step *s = &plan->steps[i];
	char d1[RFS_RANGE_STRLEN], d2[RFS_DATE_STRLEN];

	switch (s->kind) {
	case STORAGE_ADD:
		snprintf(s->text, sizeof(s->text), "add storage '%s' %s", s->a,
			 s->b);
		break;
	case TABLE_ADD:
		snprintf(s->text, sizeof(s->text), "add table '%s'", s->a);
		break;
	case CLASSIFY:
		snprintf(s->text, sizeof(s->text), "classify '%s' as '%s'",
			 s->a, s->b);
		break;
	case UNCLASSIFY:
		snprintf(s->text, sizeof(s->text), "unclassify '%s' as '%s'",
			 s->a, s->b);
		break;
	case LIFECYCLE_ADD:
		snprintf(s->text, sizeof(s->text),
			 "add lifecycle '%s/%s' (order %d)", s->a, s->b,
			 s->order);
		break;
	case EPOCH_CLOSE:
		snprintf(s->text, sizeof(s->text),
			 "change epoch '%s/%s/%s': close at %s", s->a, s->b,
			 s->c, rfs_date_format(s->to, d2));
		break;
	case EPOCH_REPOINT:
		snprintf(s->text, sizeof(s->text),
			 "change epoch '%s/%s/%s': re-point to storage '%s' "
			 "path '%s'",
			 s->a, s->b, s->c, s->d, s->e);
		break;
	case EPOCH_ADD:
		snprintf(s->text, sizeof(s->text),
			 "add epoch '%s/%s/%s' on storage '%s' path '%s'", s->a,
			 s->b, rfs_epoch_range_format(s->from, s->to, d1), s->c,
			 s->d);
		break;
	case CONFIG_SET:
		snprintf(s->text, sizeof(s->text), "change config '%s' = '%s'",
			 s->a, s->b);
		break;
	case CONFIG_UNSET:
		snprintf(s->text, sizeof(s->text), "remove config '%s'", s->a);
		break;
	case EPOCH_REMOVE:
		snprintf(s->text, sizeof(s->text), "remove epoch '%s/%s/%s'",
			 s->a, s->b, s->c);
		break;
	case LIFECYCLE_REMOVE:
		snprintf(s->text, sizeof(s->text), "remove lifecycle '%s/%s'",
			 s->a, s->b);
		break;
	case TABLE_REMOVE:
		snprintf(s->text, sizeof(s->text), "remove table '%s'", s->a);
		break;
	case STORAGE_REMOVE:
		snprintf(s->text, sizeof(s->text), "remove storage '%s'", s->a);
		break;
	}
	return s->text;
}

int rfs_catalog_plan_apply(struct rfs_index *idx,
			   const struct rfs_catalog_plan *plan, size_t *done,
			   struct rfs_error *err)
{
	size_t i;
	int r;

	if (done)
		*done = 0;
	if (!plan->n)
		return 0;
	/* One transaction for the whole plan, one snapshot at its end: a
	 * failure or a kill leaves the old catalog, never a part of the
	 * plan. */
	r = rfs_index_group_begin(idx, err);
	for (i = 0; r == 0 && i < plan->n; i++) {
		const struct rfs_catalog_step *s = &plan->steps[i];
		const char *one[1] = { s->b };

		switch (s->kind) {
		case STORAGE_ADD:
			r = rfs_edit_storage_add(idx, s->a, s->b, s->c, err);
			break;
		case TABLE_ADD:
			r = rfs_edit_table_add(idx, s->a, NULL, 0, err);
			break;
		case CLASSIFY:
		case UNCLASSIFY:
			r = rfs_edit_table_classify(idx, s->a, one, 1,
						    s->kind == CLASSIFY, err);
			break;
		case LIFECYCLE_ADD:
			r = rfs_edit_lifecycle_add(idx, s->a, s->b, s->order,
						   err);
			break;
		case EPOCH_CLOSE:
			r = rfs_edit_epoch_close(idx, s->a, s->b, s->to, err);
			break;
		case EPOCH_REPOINT:
			r = rfs_edit_epoch_repoint(idx, s->a, s->b, s->c, s->d,
						   s->e, err);
			break;
		case EPOCH_ADD:
			r = rfs_edit_epoch_add(idx, s->a, s->b, s->from, s->to,
					       s->c, s->d, 0, err);
			break;
		case CONFIG_SET:
		case CONFIG_UNSET:
			r = rfs_edit_config_set(idx, s->a, s->b, err);
			break;
		case EPOCH_REMOVE:
			r = rfs_edit_epoch_remove(idx, s->a, s->b, s->c, err);
			break;
		case LIFECYCLE_REMOVE:
			r = rfs_edit_lifecycle_remove(idx, s->a, s->b, err);
			break;
		case TABLE_REMOVE:
			r = rfs_edit_table_remove(idx, s->a, err);
			break;
		case STORAGE_REMOVE:
			r = rfs_edit_storage_remove(idx, s->a, err);
			break;
		}
		if (r < 0)
			rfs_error_prefix(err, "step %zu (%s)", i + 1,
					 rfs_catalog_step_text(plan, i));
	}
	if (rfs_index_in_group(idx)) {
		int c = rfs_index_group_end(idx, r == 0, r == 0 ? err : NULL);

		if (r == 0)
			r = c;
	}
	if (r < 0)
		return r;
	if (done)
		*done = plan->n;
	/* Committed: now into every storage's journal (a storage that
	 * cannot be written is logged; the catalog stands in the index). */
	rfs_journal_write(idx, NULL);
	return 0;
}

void rfs_catalog_plan_release(struct rfs_catalog_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n; i++) {
		free(plan->steps[i].a);
		free(plan->steps[i].b);
		free(plan->steps[i].c);
		free(plan->steps[i].d);
		free(plan->steps[i].e);
	}
	free(plan->steps);
	plan->steps = NULL;
	plan->n = 0;
}
