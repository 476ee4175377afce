/*
 * The declarative catalog: export to a document, plan and apply a
 * document (docs/catalog-file.md).
 */
#include "core/journal_file.h"

#include "backends/backend.h"
#include "model/catalog.h"
#include "core/config.h"
#include "model/date.h"
#include "core/edit.h"
#include "core/journal.h"
#include "util/names.h"
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

/* --------------------------------------------------------- validation */

/* Every key of @p o is one of @p keys (NULL-terminated), with the types
 * of @p types ('s' string, 'i' integer, 'a' array, 'o' object, '?' a
 * string or null), and the keys with an uppercase type are required. */
static int check_object(const json_t *o, const char *where,
			const char *const keys[], const char *types,
			struct rfs_error *err)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(o))
		return rfs_error_set(err, EINVAL, "%s: not an object", where);
	json_object_foreach((json_t *)o, key, v)
	{
		bool ok = false;

		for (i = 0; keys[i]; i++) {
			if (strcmp(key, keys[i]))
				continue;
			switch (types[i] | 0x20) {
			case 's':
				ok = json_is_string(v);
				break;
			case 'i':
				ok = json_is_integer(v);
				break;
			case 'a':
				ok = json_is_array(v);
				break;
			case 'o':
				ok = json_is_object(v);
				break;
			case '?' | 0x20:
				ok = json_is_string(v) || json_is_null(v);
				break;
			}
			if (!ok)
				return rfs_error_set(
					err, EINVAL,
					"%s: '%s' has the wrong type (want %s)",
					where, key,
					(types[i] | 0x20) == 's' ? "a string"
					: (types[i] | 0x20) == 'i'
						? "an integer"
					: (types[i] | 0x20) == 'a' ? "an array"
					: (types[i] | 0x20) == 'o'
						? "an object"
						: "a string or null");
			break;
		}
		if (!keys[i])
			return rfs_error_set(err, EINVAL,
					     "%s: unknown key '%s'", where,
					     key);
	}
	for (i = 0; keys[i]; i++)
		if (types[i] >= 'A' && types[i] <= 'Z' &&
		    !json_object_get(o, keys[i]))
			return rfs_error_set(err, EINVAL, "%s: '%s' is missing",
					     where, keys[i]);
	return 0;
}

/* Parse "YYYY-MM-DD" or (for @p open) "now". */
static int parse_day(const char *where, const char *s, bool open, int32_t *d,
		     struct rfs_error *err)
{
	if (open && !strcmp(s, "now")) {
		*d = RFS_DATE_NOW;
		return 0;
	}
	return rfs_date_parse(where, s, d, err);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
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
		if (!strcmp(key ? str(v, key) ?: "" : json_string_value(v) ?: "",
			    name))
			return true;
	return false;
}

static const json_t *find(const json_t *arr, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i,
			   v) if (!strcmp(str(v, "name"), name)) return v;
	return NULL;
}

/* Check a lifecycle's epochs in the file: dates, no overlap, one open. */
static int check_epochs(const json_t *eps, const char *where,
			const json_t *storages, struct rfs_error *err)
{
	static const char *const keys[] = { "from", "to", "storage", "path",
					    NULL };
	const json_t *a, *b;
	size_t i, j;
	int r, open = 0;

	json_array_foreach(eps, i, a)
	{
		int32_t f, t;

		r = check_object(a, where, keys, "SSSs", err);
		if (r == 0)
			r = parse_day("epoch 'from'", str(a, "from"), false, &f,
				      err);
		if (r == 0)
			r = parse_day("epoch 'to'", str(a, "to"), true, &t,
				      err);
		if (r < 0)
			return r;
		if (t <= f)
			return rfs_error_set(err, EINVAL,
					     "%s: epoch %s..%s ends before it "
					     "starts",
					     where, str(a, "from"),
					     str(a, "to"));
		open += t == RFS_DATE_NOW;
		if (!find(storages, str(a, "storage")))
			return rfs_error_set(err, EINVAL,
					     "%s: epoch %s..%s is on storage "
					     "'%s', which the file does not "
					     "have",
					     where, str(a, "from"),
					     str(a, "to"), str(a, "storage"));
		json_array_foreach(eps, j, b)
		{
			int32_t f2, t2;

			if (j <= i ||
			    parse_day("", str(b, "from"), false, &f2, NULL) ||
			    parse_day("", str(b, "to"), true, &t2, NULL))
				continue;
			if (f < t2 && f2 < t)
				return rfs_error_set(
					err, EINVAL,
					"%s: epochs %s..%s and %s..%s overlap",
					where, str(a, "from"), str(a, "to"),
					str(b, "from"), str(b, "to"));
		}
	}
	if (open > 1)
		return rfs_error_set(err, EINVAL,
				     "%s: %d open epochs; at most "
				     "one may end at 'now'",
				     where, open);
	return 0;
}

static int check_doc(const json_t *doc, struct rfs_error *err)
{
	static const char *const top[] = { "recyclefs_catalog", "storages",
					   "tables", "config", NULL };
	static const char *const skeys[] = { "name", "uri", "bin", NULL };
	static const char *const tkeys[] = { "name", "classifications",
					     "lifecycles", NULL };
	static const char *const lkeys[] = { "name", "order", "epochs", NULL };
	const json_t *s, *t, *l, *c, *storages;
	const char *key;
	json_t *v;
	size_t i, j, k;
	char where[600];
	int r;

	r = check_object(doc, "catalog file", top, "IAAo", err);
	if (r < 0)
		return r;
	if (json_integer_value(json_object_get(doc, "recyclefs_catalog")) >
	    RFS_CATALOG_FILE_VERSION)
		return rfs_error_set(
			err, EPROTO,
			"catalog file has version %lld; this recyclefs reads up "
			"to %d: upgrade recyclefs",
			(long long)json_integer_value(
				json_object_get(doc, "recyclefs_catalog")),
			RFS_CATALOG_FILE_VERSION);
	storages = json_object_get(doc, "storages");
	json_array_foreach(storages, i, s)
	{
		snprintf(where, sizeof(where), "storages[%zu]", i);
		r = check_object(s, where, skeys, "SS?", err);
		if (r == 0)
			r = rfs_name_check("storage", str(s, "name"), err);
		if (r == 0)
			r = rfs_backend_check_uri(str(s, "uri"), err);
		if (r == 0 && str(s, "bin"))
			r = rfs_backend_check_uri(str(s, "bin"), err);
		if (r < 0)
			return r;
		json_array_foreach(storages, j, t) if (
			j > i &&
			!strcmp(str(s, "name"),
				str(t,
				    "name"))) return rfs_error_set(err, EINVAL,
								   "storage '%s' is listed "
								   "twice",
								   str(s,
								       "name"));
	}
	json_array_foreach(json_object_get(doc, "tables"), i, t)
	{
		snprintf(where, sizeof(where), "tables[%zu]", i);
		r = check_object(t, where, tkeys, "Saa", err);
		if (r == 0)
			r = rfs_name_check("table", str(t, "name"), err);
		json_array_foreach(json_object_get(t, "classifications"), j,
				   c) if (r == 0) r =
			json_is_string(c)
				? rfs_name_check("classification",
						 json_string_value(c), err)
				: rfs_error_set(err, EINVAL,
						"%s: a classification is "
						"not a string",
						where);
		if (r < 0)
			return r;
		json_array_foreach(json_object_get(t, "lifecycles"), j, l)
		{
			snprintf(where, sizeof(where),
				 "table '%s' lifecycles[%zu]", str(t, "name"),
				 j);
			r = check_object(l, where, lkeys, "Sia", err);
			if (r == 0)
				r = rfs_name_check("lifecycle", str(l, "name"),
						   err);
			if (r == 0 &&
			    json_integer_value(json_object_get(l, "order")) < 0)
				r = rfs_error_set(err, EINVAL,
						  "%s: 'order' is negative",
						  where);
			if (r == 0) {
				snprintf(where, sizeof(where),
					 "lifecycle '%s/%s'", str(t, "name"),
					 str(l, "name"));
				r = check_epochs(json_object_get(l, "epochs"),
						 where, storages, err);
			}
			if (r < 0)
				return r;
			(void)k;
		}
	}
	json_object_foreach(json_object_get((json_t *)doc, "config"), key, v)
	{
		if (!json_is_string(v))
			return rfs_error_set(err, EINVAL,
					     "config '%s' is not a string",
					     key);
		r = rfs_config_check(key, json_string_value(v), err);
		if (r < 0)
			return r;
	}
	return 0;
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

	json_array_foreach(eps, i, e) if (!parse_day("", str(e, "from"), false,
						     &f, NULL) &&
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
		parse_day("", str(fe, "to"), true, &to, NULL);
		if (phase == 1 && to != e->to) {
			if (e->to != RFS_DATE_NOW)
				return rfs_error_set(
					err, EINVAL,
					"epoch '%s/%s/%s' is closed: its end "
					"cannot change to %s (remove it and "
					"add it again)",
					t, l, e->name, str(fe, "to"));
			r = step(p, EPOCH_CLOSE, t, l, e->name, NULL, NULL);
			if (r == 0)
				LAST(p)->to = to;
		}
		if (phase == 2 &&
		    (strcmp(str(fe, "storage"), e->storage->name) ||
		     strcmp(str(fe, "path") ?: "", e->path))) {
			rfs_epoch_range_format(e->from, to, name);
			r = step(p, EPOCH_REPOINT, t, l, name,
				 str(fe, "storage"), str(fe, "path") ?: "");
		}
	}
	json_array_foreach(phase == 3 ? eps : NULL, i, fe)
	{
		int32_t from, to;

		parse_day("", str(fe, "from"), false, &from, NULL);
		parse_day("", str(fe, "to"), true, &to, NULL);
		if (epoch_from(lc, from))
			continue;
		r = step(p, EPOCH_ADD, t, l, str(fe, "storage"),
			 str(fe, "path") ?: "", NULL);
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

		ft = find(tables, t->name);
		for (j = 0; r == 0 && j < t->n_lifecycles; j++) {
			const struct rfs_lifecycle *lc = t->lifecycles[j];

			fl = ft ? find(json_object_get(ft, "lifecycles"),
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
		const struct rfs_table *t =
			rfs_catalog_table(cat, str(ft, "name"));

		if (!t && phase == -2) {
			r = step(p, TABLE_ADD, str(ft, "name"), NULL, NULL,
				 NULL, NULL);
			json_array_foreach(
				json_object_get(ft, "classifications"), j,
				c) if (r == 0) r =
				step(p, CLASSIFY, str(ft, "name"),
				     json_string_value(c), NULL, NULL, NULL);
		}
		json_array_foreach(json_object_get(ft, "lifecycles"), j, fl)
		{
			const struct rfs_lifecycle *lc =
				t ? rfs_table_lifecycle(t, str(fl, "name"))
				  : NULL;

			if (r == 0 && !lc && phase == -2) {
				r = step(p, LIFECYCLE_ADD, str(ft, "name"),
					 str(fl, "name"), NULL, NULL, NULL);
				if (r == 0)
					LAST(p)->order =
						(int)json_integer_value(
							json_object_get(
								fl, "order"));
			}
			if (r == 0 && !lc && phase == 3)
				r = plan_epochs(idx, p, str(ft, "name"),
						str(fl, "name"), NULL,
						json_object_get(fl, "epochs"),
						phase, err);
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

	r = check_doc(doc, err);
	if (r == 0)
		r = rfs_index_load_catalog(idx, &cat, err);
	if (r == 0)
		r = rfs_index_journal_dump(idx, &dump, &seq, err);
	if (r < 0)
		goto out;
	json_array_foreach(storages, i, fs)
	{
		const struct rfs_storage *s =
			rfs_catalog_storage(cat, str(fs, "name"));

		if (!s)
			r = step(&p, STORAGE_ADD, str(fs, "name"),
				 str(fs, "uri"), str(fs, "bin"), NULL, NULL);
		else if (strcmp(s->uri, str(fs, "uri")) ||
			 (str(fs, "bin") &&
			  strcmp(s->bin_uri ?: "", str(fs, "bin"))))
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
			!strcmp(str(row, "key"), key) &&
			!strcmp(str(row, "value"), json_string_value(v));
		if (!same && (r = step(&p, CONFIG_SET, key,
				       json_string_value(v), NULL, NULL, NULL)))
			goto out;
	}
	json_array_foreach(
		json_object_get(dump, "config"), i,
		row) if (!json_object_get(cfg, str(row, "key")) &&
			 (r = step(&p, CONFIG_UNSET, str(row, "key"), NULL,
				   NULL, NULL, NULL))) goto out;
	for (i = 0; i < cat->n_storages; i++) {
		if (find(storages, cat->storages[i]->name))
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
