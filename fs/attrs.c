/*
 * The user.recyclefs.* extended attributes of catalog nodes: what a
 * script reads with getfattr instead of calling the command line.
 */
#include "fs/internal.h"

#include "core/history.h"
#include "model/catalog.h"
#include "model/storage.h"
#include "index/index.h"
#include "rfs_config.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PFX "user.recyclefs."

/* Append "name\0" for each attribute a node has, or look one up. */
struct attr_walk {
	const char *want;     /* the name looked up, or NULL to list */
	struct rfs_buf names; /* listing: the names, NUL-separated */
	struct rfs_buf value; /* lookup: the value found */
	bool found;
};

static void attr(struct attr_walk *w, const char *name, const char *value)
{
	if (!w->want) {
		rfs_buf_addf(&w->names, PFX "%s", name);
		rfs_buf_addch(&w->names, '\0');
	} else if (!w->found && !strcmp(w->want + strlen(PFX), name)) {
		rfs_buf_addstr(&w->value, value);
		w->found = true;
	}
}

/* The value of user.recyclefs.history: compact JSON, the document of
 * `recyclefs history TABLE LIFECYCLE --json` (with "epoch" and only that
 * epoch's changes on an epoch). An empty array if the index cannot be
 * read (logged). */
static void history_attr(struct rfs_fs_state *st, struct attr_walk *w,
			 const struct rfs_table *t,
			 const struct rfs_lifecycle *lc,
			 const struct rfs_epoch *e)
{
	struct rfs_history_lc h = { t->name, lc->name, NULL, json_array() };
	char from[RFS_DATE_STRLEN + 2], *text = NULL;
	struct rfs_error err = { 0 };
	json_t *doc;
	int r;

	if (!w->want) {
		attr(w, "history", "");
		json_decref(h.arr);
		return;
	}
	if (strcmp(w->want + strlen(PFX), "history") || w->found) {
		json_decref(h.arr);
		return;
	}
	if (e) {
		rfs_date_format(e->from, from);
		strcat(from, "..");
		h.from = from;
	}
	pthread_mutex_lock(&st->lock);
	r = h.arr ? rfs_index_history_list(st->idx, rfs_history_lc_record, &h,
					   &err)
		  : -ENOMEM;
	pthread_mutex_unlock(&st->lock);
	if (r < 0)
		rfs_log(LOG_WARNING, "history of '%s/%s': %s", t->name,
			lc->name, err.msg[0] ? err.msg : strerror(-r));
	doc = rfs_history_lc_doc(&h, e ? e->name : NULL);
	if (doc)
		text = json_dumps(doc, JSON_COMPACT);
	attr(w, "history", text ? text : "");
	free(text);
	json_decref(doc);
	json_decref(h.arr);
}

static void join_list(struct rfs_buf *b, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			rfs_buf_addch(b, ',');
		rfs_buf_addstr(b, v[i]);
	}
}

static void table_attrs(struct attr_walk *w, const struct rfs_table *t)
{
	struct rfs_buf b = RFS_BUF_INIT;

	attr(w, "table", t->name);
	join_list(&b, t->classifications, t->n_classifications);
	attr(w, "classifications", rfs_buf_str(&b));
	rfs_buf_release(&b);
}

static void epoch_attrs(struct attr_walk *w, const struct rfs_epoch *e)
{
	const struct rfs_storage *s = e->storage;
	char d[RFS_DATE_STRLEN];

	attr(w, "lifecycle", e->lifecycle->name);
	attr(w, "epoch", e->name);
	attr(w, "from", rfs_date_format(e->from, d));
	attr(w, "to", rfs_date_format(e->to, d));
	attr(w, "storage", s->name);
	attr(w, "storage_uri", e->uri);
	attr(w, "storage_class", s->cls->name);
	attr(w, "storage_family", rfs_family_name(s->cls->family));
	attr(w, "path", e->path);
	attr(w, "bin_uri", s->bin_uri ? s->bin_uri : "");
}

static void node_attrs(struct rfs_fs_state *st, const struct rfs_node *n,
		       struct attr_walk *w)
{
	struct rfs_buf b = RFS_BUF_INIT;
	char order[16];
	size_t i;

	switch (n->kind) {
	case RFS_NODE_ROOT:
		attr(w, "kind", "root");
		attr(w, "index", st->index_path);
		attr(w, "version", RFS_VERSION);
		break;
	case RFS_NODE_TABLE:
		attr(w, "kind", "table");
		table_attrs(w, n->table);
		for (i = 0; i < n->table->n_lifecycles; i++) {
			if (i)
				rfs_buf_addch(&b, ',');
			rfs_buf_addstr(&b, n->table->lifecycles[i]->name);
		}
		attr(w, "lifecycles", rfs_buf_str(&b));
		break;
	case RFS_NODE_LIFECYCLE:
		attr(w, "kind", "lifecycle");
		table_attrs(w, n->table);
		attr(w, "lifecycle", n->lifecycle->name);
		snprintf(order, sizeof(order), "%d", n->lifecycle->order);
		attr(w, "order", order);
		history_attr(st, w, n->table, n->lifecycle, NULL);
		break;
	case RFS_NODE_EPOCH:
		attr(w, "kind", "epoch");
		table_attrs(w, n->table);
		epoch_attrs(w, n->epoch);
		history_attr(st, w, n->table, n->epoch->lifecycle, n->epoch);
		break;
	case RFS_NODE_BIN:
		attr(w, "kind", "recyclebin");
		break;
	case RFS_NODE_CLASSES:
		attr(w, "kind", "classifications");
		break;
	case RFS_NODE_CLASS:
		attr(w, "kind", "classification");
		attr(w, "classification", n->cls->name);
		for (i = 0; i < n->cls->n_tables; i++) {
			if (i)
				rfs_buf_addch(&b, ',');
			rfs_buf_addstr(&b, n->cls->tables[i]->name);
		}
		attr(w, "tables", rfs_buf_str(&b));
		break;
	case RFS_NODE_CLASS_LINK:
		break;
	}
	rfs_buf_release(&b);
}

static int copy_out(const struct rfs_buf *b, char *out, size_t size)
{
	if (b->len > (size_t)INT32_MAX)
		return -E2BIG;
	if (size == 0)
		return (int)b->len;
	if (size < b->len)
		return -ERANGE;
	memcpy(out, b->data, b->len);
	return (int)b->len;
}

int rfs_fs_node_getxattr(struct rfs_fs_state *st, const struct rfs_node *n,
			 const char *name, char *value, size_t size)
{
	struct attr_walk w = { name, RFS_BUF_INIT, RFS_BUF_INIT, false };
	int r;

	if (strncmp(name, PFX, strlen(PFX)))
		return -ENODATA;
	node_attrs(st, n, &w);
	r = w.found ? copy_out(&w.value, value, size) : -ENODATA;
	rfs_buf_release(&w.value);
	return r;
}

int rfs_fs_node_listxattr(struct rfs_fs_state *st, const struct rfs_node *n,
			  char *list, size_t size)
{
	struct attr_walk w = { NULL, RFS_BUF_INIT, RFS_BUF_INIT, false };
	int r;

	node_attrs(st, n, &w);
	r = copy_out(&w.names, list, size);
	rfs_buf_release(&w.names);
	return r;
}

int rfs_fs_unsupported(const char *op, const char *path, const char *name)
{
	rfs_log(LOG_DEBUG,
		"%s of '%s' on '%s': recyclefs's own attribute, not stored", op,
		name, path);
	return -ENOTSUP;
}
