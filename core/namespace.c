#include "core/namespace.h"

#include "model/catalog.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Copy the first component of *p into name and advance *p past it.
 * @return false when the component is too long to be any name. */
static bool next(const char **p, char *name, size_t size)
{
	const char *rest;
	size_t n = rfs_path_first(*p, &rest);

	if (n >= size)
		return false;
	memcpy(name, *p, n);
	name[n] = '\0';
	*p = rest;
	return true;
}

static int resolve_classes(const struct rfs_catalog *cat, const char *p,
			   struct rfs_node *node)
{
	char name[256];

	node->kind = RFS_NODE_CLASSES;
	if (!*p)
		return 0;
	if (!next(&p, name, sizeof(name)))
		return -ENOENT;
	node->cls = rfs_catalog_classification(cat, name);
	if (!node->cls)
		return -ENOENT;
	node->kind = RFS_NODE_CLASS;
	if (!*p)
		return 0;
	if (!next(&p, name, sizeof(name)) || *p)
		return -ENOENT;
	for (size_t i = 0; i < node->cls->n_tables; i++) {
		if (!strcmp(node->cls->tables[i]->name, name)) {
			node->table = node->cls->tables[i];
			node->kind = RFS_NODE_CLASS_LINK;
			return 0;
		}
	}
	return -ENOENT;
}

int rfs_namespace_resolve(const struct rfs_catalog *cat, const char *path,
			  struct rfs_node *node)
{
	const char *p = rfs_path_skip_root(path);
	char name[256];

	memset(node, 0, sizeof(*node));
	node->rest = "";
	node->kind = RFS_NODE_ROOT;
	if (!*p)
		return 0;
	if (!next(&p, name, sizeof(name)))
		return -ENOENT;
	if (!strcmp(name, RFS_BIN_DIR)) {
		node->kind = RFS_NODE_BIN;
		node->rest = p;
		return 0;
	}
	if (!strcmp(name, RFS_CLASSES_DIR))
		return resolve_classes(cat, p, node);
	node->table = rfs_catalog_table(cat, name);
	if (!node->table)
		return -ENOENT;
	node->kind = RFS_NODE_TABLE;
	if (!*p)
		return 0;
	if (!next(&p, name, sizeof(name)))
		return -ENOENT;
	node->lifecycle = rfs_table_lifecycle(node->table, name);
	if (!node->lifecycle)
		return -ENOENT;
	node->kind = RFS_NODE_LIFECYCLE;
	if (!*p)
		return 0;
	if (!next(&p, name, sizeof(name)))
		return -ENOENT;
	node->epoch = rfs_lifecycle_epoch(node->lifecycle, name);
	if (!node->epoch)
		return -ENOENT;
	node->kind = RFS_NODE_EPOCH;
	node->rest = p;
	return 0;
}
