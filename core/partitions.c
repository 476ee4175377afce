/*
 * Leaf partitions among an entry's folders, as the metastore hook's JSON.
 * Rows come in byte order; sorting paths with '/' lowest makes every
 * folder's descendants follow it directly, so a partition is a leaf when
 * the next one is not below it.
 */
#include "core/partitions.h"

#include "core/bin.h"
#include "core/entry.h"
#include "core/uri.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
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

static json_t *values_of(const char *spec)
{
	json_t *vals = json_object();
	const char *c;

	for (c = spec; vals && *c;) {
		size_t len = strcspn(c, "/");
		const char *eq = memchr(c, '=', len);
		char *k = strndup(c, (size_t)(eq - c));

		if (k)
			json_object_set_new(
				vals, k,
				json_stringn(eq + 1,
					     len - (size_t)(eq - c) - 1));
		free(k);
		c += len + (c[len] == '/');
	}
	return vals;
}

static json_t *leaves(const struct parts *p)
{
	json_t *list = json_array();
	struct rfs_buf spec = RFS_BUF_INIT;
	char *loc;
	size_t i;

	for (i = 0; list && i < p->n; i++) {
		if (i + 1 < p->n && rfs_path_is_under(p->v[i + 1], p->v[i]))
			continue; /* not a leaf */
		if (rfs_partition_spec(p->v[i], &spec) < 0)
			break;
		if (rfs_uri_join(p->c->location, p->v[i], &loc) < 0)
			loc = NULL;
		json_array_append_new(list,
				      json_pack("{s:s, s:o, s:s?}", "spec",
						rfs_buf_str(&spec), "values",
						values_of(rfs_buf_str(&spec)),
						"location", loc));
		free(loc);
	}
	rfs_buf_release(&spec);
	return list;
}

int rfs_partitions_json(struct rfs_index *idx, int64_t entry_id,
			const struct rfs_part_call *c, char **json)
{
	struct rfs_index_file_query q = { .type = RFS_FILE_DIR, .state = -1 };
	struct parts p = { .c = c, .rel = RFS_BUF_INIT };
	struct rfs_error err = { 0 };
	json_t *list = NULL, *doc;
	int r;

	*json = NULL;
	r = rfs_index_file_list(idx, entry_id, &q, add_part, &p, &err);
	if (r == 0 && p.n > 1)
		qsort(p.v, p.n, sizeof(*p.v), cmp_tree);
	if (r == 0)
		list = leaves(&p);
	if (r == 0 && !list)
		r = -ENOMEM;
	if (r == 0 && json_array_size(list) > 0) {
		doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "action",
				c->action, "table", c->table, "lifecycle",
				c->lifecycle, "epoch", c->epoch, "location",
				c->location, "item", c->base, "partitions",
				list);
		*json = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
		json_decref(doc);
		if (!*json)
			r = -ENOMEM;
	}
	json_decref(list);
	while (p.n)
		free(p.v[--p.n]);
	free(p.v);
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
