/*
 * Leaf partitions among an entry's folders, as the metastore hook's JSON.
 * Rows come in byte order; sorting paths with '/' lowest makes every
 * folder's descendants follow it directly, so a partition is a leaf when
 * the next one is not below it.
 */
#include "core/partitions.h"

#include "core/bin.h"
#include "model/catalog.h"
#include "model/entry.h"
#include "util/uri.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/path.h"
#include "util/hex.h"

#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parts {
	const struct rfs_part_call *c;
	char **v;
	size_t n, cap;
	struct rfs_buf rel;
};

static int add_part(const struct rfs_entry_file *f, void *ctx)
{
	struct parts *p = ctx;
	const char *sub = p->c->sub, *rel, *name;
	size_t sl = strlen(sub);
	int r;

	if (!rfs_path_is_under(f->path, sub))
		return 0;
	rel = f->path + sl + (sl && f->path[sl] == '/');
	rfs_buf_reset(&p->rel);
	r = rfs_path_join(&p->rel, p->c->base, rel);
	if (r < 0)
		return r;
	name = rfs_path_basename(rfs_buf_str(&p->rel));
	if (!rfs_partition_name(name, strlen(name)))
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n] = strdup(rfs_buf_str(&p->rel));
	return p->v[p->n++] ? 0 : -ENOMEM;
}

static int cmp_tree(const void *a, const void *b)
{
	const unsigned char *x = *(const unsigned char *const *)a;
	const unsigned char *y = *(const unsigned char *const *)b;

	for (; *x && *x == *y; x++, y++)
		;
	return (*x == '/' ? 1 : *x) - (*y == '/' ? 1 : *y);
}

/* Hive's FileUtils.unescapePathName: "%XX" (two hex digits) is the
 * character U+00XX, anything else stands for itself. */
static int hive_unescape(struct rfs_buf *out, const char *s, size_t n)
{
	int r = 0;

	rfs_buf_reset(out);
	for (size_t i = 0; r == 0 && i < n; i++) {
		int b = rfs_hex_pct(s + i, n - i);
		unsigned int c;

		if (b < 0) {
			r = rfs_buf_addch(out, s[i]);
			continue;
		}
		c = (unsigned int)b;
		if (c < 0x80) {
			r = rfs_buf_addch(out, (char)c);
		} else { /* U+0080..U+00FF in UTF-8 */
			r = rfs_buf_addch(out, (char)(0xc0 | (c >> 6)));
			if (r == 0)
				r = rfs_buf_addch(out, (char)(0x80 | (c & 63)));
		}
		i += 2;
	}
	return r;
}

/* The characters Hive's FileUtils.escapePathName writes as "%XX". */
static bool hive_special(unsigned char c)
{
	return c < 0x20 || c == 0x7f || (c && strchr("\"#%'*/:=?\\{[]^", c));
}

/* Append @p s escaped as escapePathName does (an empty string is Hive's
 * default partition name); with @p lower, ASCII letters in lower case
 * (makePartName does so to column names). */
static int hive_escape(struct rfs_buf *out, const char *s, size_t n, bool lower)
{
	int r = 0;

	if (n == 0)
		return rfs_buf_addstr(out, "__HIVE_DEFAULT_PARTITION__");
	for (size_t i = 0; r == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (hive_special(c))
			r = rfs_buf_addf(out, "%%%02X", c);
		else
			r = rfs_buf_addch(out, lower && c >= 'A' && c <= 'Z'
						       ? (char)(c - 'A' + 'a')
						       : (char)c);
	}
	return r;
}

/* The partition of one folder path (its "key=value" folders): the values
 * by key, the ordered pairs and Hive's escaped name, all decoded as Hive
 * reads folder names. */
static int describe(const char *spec, json_t *p)
{
	struct rfs_buf k = RFS_BUF_INIT, v = RFS_BUF_INIT, name = RFS_BUF_INIT;
	json_t *vals = json_object(), *pairs = json_array();
	int r = vals && pairs ? 0 : -ENOMEM;

	for (const char *c = spec; r == 0 && *c;) {
		size_t len = strcspn(c, "/");
		const char *eq = memchr(c, '=', len);
		json_t *ks, *vs;

		r = hive_unescape(&k, c, (size_t)(eq - c));
		if (r == 0)
			r = hive_unescape(&v, eq + 1,
					  len - (size_t)(eq - c) - 1);
		if (r == 0 && name.len)
			r = rfs_buf_addch(&name, '/');
		if (r == 0)
			r = hive_escape(&name, k.data, k.len, true);
		if (r == 0)
			r = rfs_buf_addch(&name, '=');
		if (r == 0)
			r = hive_escape(&name, v.data, v.len, false);
		ks = r == 0 ? json_stringn(k.len ? k.data : "", k.len) : NULL;
		vs = r == 0 ? json_stringn(v.len ? v.data : "", v.len) : NULL;
		if (r == 0 && (!ks || !vs))
			r = -EILSEQ; /* not UTF-8: JSON cannot carry it */
		if (r == 0 && (json_object_set(vals, rfs_buf_str(&k), vs) < 0 ||
			       json_array_append_new(
				       pairs, json_pack("{s:O, s:O}", "key", ks,
							"value", vs)) < 0))
			r = -ENOMEM;
		json_decref(ks);
		json_decref(vs);
		c += len + (c[len] == '/');
	}
	if (r == 0 &&
	    (json_object_set_new(p, "name", json_string(rfs_buf_str(&name))) <
		     0 ||
	     json_object_set(p, "values", vals) < 0 ||
	     json_object_set(p, "pairs", pairs) < 0))
		r = -ENOMEM;
	json_decref(vals);
	json_decref(pairs);
	rfs_buf_release(&k);
	rfs_buf_release(&v);
	rfs_buf_release(&name);
	return r;
}

/* Where a metastore finds @p rel below the root @p u: the scheme it
 * uses, the authority, the decoded path, no query. */
static char *meta_location(const struct rfs_uri *u, const char *scheme,
			   const char *rel)
{
	char *out = NULL;

	if (asprintf(&out, "%s://%s%s%s%s%s", scheme, u->authority,
		     *u->path || *rel ? "/" : "", u->path,
		     *u->path && *rel ? "/" : "", rel) < 0)
		return NULL;
	return out;
}

struct where {
	const struct rfs_part_call *c;
	struct rfs_uri root; /* the location, parsed */
	const char *scheme;  /* what the metastore calls it */
};

static json_t *leaves(const struct parts *p, const struct where *w)
{
	json_t *list = json_array(), *part;
	struct rfs_buf spec = RFS_BUF_INIT;
	char *uri, *loc;
	size_t i;

	for (i = 0; list && i < p->n; i++) {
		if (i + 1 < p->n && rfs_path_is_under(p->v[i + 1], p->v[i]))
			continue; /* not a leaf */
		if (rfs_partition_spec(p->v[i], &spec) < 0)
			break;
		if (rfs_uri_join(w->c->location, p->v[i], &uri) < 0)
			uri = NULL;
		loc = meta_location(&w->root, w->scheme, p->v[i]);
		part = json_pack("{s:s, s:s?, s:s?}", "spec",
				 rfs_buf_str(&spec), "location", loc, "uri",
				 uri);
		free(uri);
		free(loc);
		if (!part || describe(rfs_buf_str(&spec), part) < 0 ||
		    json_array_append_new(list, part) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	rfs_buf_release(&spec);
	return list;
}

/* The storage holding the epoch named in @p c, from the catalog, or
 * NULL (caller frees). */
static char *storage_of(struct rfs_index *idx, const struct rfs_part_call *c)
{
	struct rfs_error ignore = { 0 };
	struct rfs_catalog *cat = NULL;
	const struct rfs_table *t;
	const struct rfs_lifecycle *lc = NULL;
	const struct rfs_epoch *ep = NULL;
	char *name = NULL;

	if (rfs_index_load_catalog(idx, &cat, &ignore) < 0)
		return NULL;
	t = rfs_catalog_table(cat, c->table);
	if (t)
		lc = rfs_table_lifecycle(t, c->lifecycle);
	if (lc)
		ep = rfs_lifecycle_epoch(lc, c->epoch);
	if (ep)
		name = strdup(ep->storage->name);
	rfs_catalog_free(cat);
	return name;
}

int rfs_partitions_json(struct rfs_index *idx, int64_t entry_id,
			const struct rfs_part_call *c, char **json)
{
	struct rfs_index_file_query q = { .type = RFS_FILE_DIR, .state = -1 };
	struct parts p = { .c = c, .rel = RFS_BUF_INIT };
	struct where w = { .c = c };
	struct rfs_error err = { 0 };
	char *storage = NULL, *scheme = NULL, *loc = NULL;
	json_t *list = NULL, *doc;
	int r;

	*json = NULL;
	r = rfs_uri_parse(c->location, &w.root, NULL);
	if (r == 0)
		storage = c->storage ? strdup(c->storage) : storage_of(idx, c);
	if (r == 0 && storage) {
		char key[300];

		snprintf(key, sizeof(key), "metastore.scheme.%s", storage);
		if (rfs_index_config_get(idx, key, &scheme, &err) < 0)
			scheme = NULL;
	}
	w.scheme = scheme ? scheme : w.root.scheme;
	if (r == 0)
		r = rfs_index_file_list(idx, entry_id, &q, add_part, &p, &err);
	if (r == 0 && p.n > 1)
		qsort(p.v, p.n, sizeof(*p.v), cmp_tree);
	if (r == 0)
		list = leaves(&p, &w);
	if (r == 0)
		loc = meta_location(&w.root, w.scheme, "");
	if (r == 0 && (!list || !loc))
		r = -ENOMEM;
	if (r == 0 && json_array_size(list) > 0) {
		doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}",
				"action", c->action, "table", c->table,
				"lifecycle", c->lifecycle, "epoch", c->epoch,
				"storage", storage ? storage : "",
				"storage_uri", c->location, "location", loc,
				"item", c->base, "partitions", list);
		*json = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
		json_decref(doc);
		if (!*json)
			r = -ENOMEM;
	}
	json_decref(list);
	while (p.n)
		free(p.v[--p.n]);
	free(p.v);
	free(storage);
	free(scheme);
	free(loc);
	rfs_uri_release(&w.root);
	rfs_buf_release(&p.rel);
	return r;
}

int rfs_hook_find(struct rfs_index *idx, const char *table, char **hook)
{
	struct rfs_error ignore = { 0 };
	char key[300];
	int r;

	snprintf(key, sizeof(key), "metastore.hook.%s", table);
	r = rfs_index_config_get(idx, key, hook, &ignore);
	if (r == -ENOENT)
		r = rfs_index_config_get(idx, "metastore.hook", hook, &ignore);
	return r;
}
