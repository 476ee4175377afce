/*
 * The declarative catalog: checking a catalog file document whole before
 * anything is planned (docs/catalog-file.md).
 */
#include "core/journal_file.h"

#include "core/ports.h"
#include "core/config.h"
#include "core/journal_file_priv.h"
#include "model/date.h"
#include "util/error.h"
#include "util/names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
int rfs_catalog_file_day(const char *where, const char *s, bool open,
			 int32_t *d, struct rfs_error *err)
{
	if (open && !strcmp(s, "now")) {
		*d = RFS_DATE_NOW;
		return 0;
	}
	return rfs_date_parse(where, s, d, err);
}

const char *rfs_catalog_file_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

const json_t *rfs_catalog_file_find(const json_t *arr, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(
		arr, i,
		v) if (!strcmp(rfs_catalog_file_str(v, "name"), name)) return v;
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
			r = rfs_catalog_file_day(
				"epoch 'from'", rfs_catalog_file_str(a, "from"),
				false, &f, err);
		if (r == 0)
			r = rfs_catalog_file_day("epoch 'to'",
						 rfs_catalog_file_str(a, "to"),
						 true, &t, err);
		if (r < 0)
			return r;
		if (t <= f)
			return rfs_error_set(err, EINVAL,
					     "%s: epoch %s..%s ends before it "
					     "starts",
					     where,
					     rfs_catalog_file_str(a, "from"),
					     rfs_catalog_file_str(a, "to"));
		open += t == RFS_DATE_NOW;
		if (!rfs_catalog_file_find(storages,
					   rfs_catalog_file_str(a, "storage")))
			return rfs_error_set(
				err, EINVAL,
				"%s: epoch %s..%s is on storage "
				"'%s', which the file does not "
				"have",
				where, rfs_catalog_file_str(a, "from"),
				rfs_catalog_file_str(a, "to"),
				rfs_catalog_file_str(a, "storage"));
		json_array_foreach(eps, j, b)
		{
			int32_t f2, t2;

			if (j <= i ||
			    rfs_catalog_file_day(
				    "", rfs_catalog_file_str(b, "from"), false,
				    &f2, NULL) ||
			    rfs_catalog_file_day("",
						 rfs_catalog_file_str(b, "to"),
						 true, &t2, NULL))
				continue;
			if (f < t2 && f2 < t)
				return rfs_error_set(
					err, EINVAL,
					"%s: epochs %s..%s and %s..%s overlap",
					where, rfs_catalog_file_str(a, "from"),
					rfs_catalog_file_str(a, "to"),
					rfs_catalog_file_str(b, "from"),
					rfs_catalog_file_str(b, "to"));
		}
	}
	if (open > 1)
		return rfs_error_set(err, EINVAL,
				     "%s: %d open epochs; at most "
				     "one may end at 'now'",
				     where, open);
	return 0;
}

int rfs_catalog_file_check(const json_t *doc, struct rfs_error *err)
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
			r = rfs_name_check("storage",
					   rfs_catalog_file_str(s, "name"),
					   err);
		if (r == 0)
			r = rfs_ports_check_uri(rfs_catalog_file_str(s, "uri"),
						err);
		if (r == 0 && rfs_catalog_file_str(s, "bin"))
			r = rfs_ports_check_uri(rfs_catalog_file_str(s, "bin"),
						err);
		if (r < 0)
			return r;
		json_array_foreach(storages, j, t) if (
			j > i &&
			!strcmp(rfs_catalog_file_str(s, "name"),
				rfs_catalog_file_str(
					t,
					"name"))) return rfs_error_set(err,
								       EINVAL,
								       "storage '%s' is listed "
								       "twice",
								       rfs_catalog_file_str(
									       s,
									       "name"));
	}
	json_array_foreach(json_object_get(doc, "tables"), i, t)
	{
		snprintf(where, sizeof(where), "tables[%zu]", i);
		r = check_object(t, where, tkeys, "Saa", err);
		if (r == 0)
			r = rfs_name_check(
				"table", rfs_catalog_file_str(t, "name"), err);
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
				 "table '%s' lifecycles[%zu]",
				 rfs_catalog_file_str(t, "name"), j);
			r = check_object(l, where, lkeys, "Sia", err);
			if (r == 0)
				r = rfs_name_check(
					"lifecycle",
					rfs_catalog_file_str(l, "name"), err);
			if (r == 0 &&
			    json_integer_value(json_object_get(l, "order")) < 0)
				r = rfs_error_set(err, EINVAL,
						  "%s: 'order' is negative",
						  where);
			if (r == 0) {
				snprintf(where, sizeof(where),
					 "lifecycle '%s/%s'",
					 rfs_catalog_file_str(t, "name"),
					 rfs_catalog_file_str(l, "name"));
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
