/*
 * Extended attributes of the memory backend, with the errnos of Linux:
 * -ENODATA for a missing name, -ERANGE for a short buffer, -EEXIST and
 * -ENODATA for XATTR_CREATE and XATTR_REPLACE, -EOPNOTSUPP for a name
 * outside the user., trusted., security. and system. namespaces, and
 * -EPERM for user. attributes on symlinks.
 */
#include "backends/memory/mem_priv.h"

#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

static int xattr_add(struct rfs_mem_node *n, const char *name,
		     const void *value, size_t size)
{
	struct rfs_mem_xattr *x, *a;

	a = realloc(n->xattrs, (n->nxattrs + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	n->xattrs = a;
	x = &a[n->nxattrs];
	x->name = strdup(name);
	x->value = malloc(size ? size : 1);
	if (!x->name || !x->value) {
		free(x->name);
		free(x->value);
		return -ENOMEM;
	}
	if (size)
		memcpy(x->value, value, size);
	x->size = size;
	n->nxattrs++;
	return 0;
}

int rfs_mem_xattr_copy(struct rfs_mem_node *dst, const struct rfs_mem_node *src)
{
	size_t i;
	int r;

	for (i = 0; i < src->nxattrs; i++) {
		r = xattr_add(dst, src->xattrs[i].name, src->xattrs[i].value,
			      src->xattrs[i].size);
		if (r < 0)
			return r;
	}
	return 0;
}

static struct rfs_mem_xattr *xattr_find(struct rfs_mem_node *n,
					const char *name)
{
	size_t i;

	for (i = 0; i < n->nxattrs; i++)
		if (!strcmp(n->xattrs[i].name, name))
			return &n->xattrs[i];
	return NULL;
}

static int check_name(const char *name)
{
	static const char *const spaces[] = { "user.", "trusted.", "security.",
					      "system." };
	size_t i, len = strlen(name);

	if (len == 0 || len > 255)
		return -ERANGE;
	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		size_t n = strlen(spaces[i]);

		if (!strncmp(name, spaces[i], n) && len > n)
			return 0;
	}
	return -EOPNOTSUPP;
}

/* Lock the store, count a META call and find @p key. On success the store
 * stays locked. */
static int xattr_enter(struct rfs_backend *b, const char *key,
		       struct rfs_mem_node **n)
{
	struct rfs_mem_backend *m = rfs_mem_of(b);
	int r;

	if (!rfs_path_is_clean(key))
		return -EINVAL;
	pthread_mutex_lock(&m->store->lock);
	r = rfs_mem_gate(m->store, RFS_MEM_OP_META);
	if (!r)
		r = rfs_mem_lookup(m->store, m->prefix, key, n);
	if (r < 0)
		pthread_mutex_unlock(&m->store->lock);
	return r;
}

ssize_t rfs_mem_getxattr(struct rfs_backend *b, const char *key,
			 const char *name, void *value, size_t size)
{
	struct rfs_mem_node *n;
	struct rfs_mem_xattr *x;
	ssize_t r = check_name(name);

	if (r < 0)
		return r;
	r = xattr_enter(b, key, &n);
	if (r < 0)
		return r;
	x = xattr_find(n, name);
	if (!x) {
		r = -ENODATA;
	} else if (size == 0) {
		r = (ssize_t)x->size;
	} else if (size < x->size) {
		r = -ERANGE;
	} else {
		memcpy(value, x->value, x->size);
		r = (ssize_t)x->size;
	}
	pthread_mutex_unlock(&rfs_mem_of(b)->store->lock);
	return r;
}

static int xattr_set(struct rfs_mem_node *n, const char *name,
		     const void *value, size_t size, int flags)
{
	struct rfs_mem_xattr *x = xattr_find(n, name);
	void *copy;

	/* as Linux: no user. names on symlinks and special files */
	if (!S_ISREG(n->mode) && !S_ISDIR(n->mode) &&
	    !strncmp(name, "user.", 5))
		return -EPERM;
	if (x && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!x && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (!x)
		return xattr_add(n, name, value, size);
	copy = malloc(size ? size : 1);
	if (!copy)
		return -ENOMEM;
	if (size)
		memcpy(copy, value, size);
	free(x->value);
	x->value = copy;
	x->size = size;
	return 0;
}

int rfs_mem_setxattr(struct rfs_backend *b, const char *key, const char *name,
		     const void *value, size_t size, int flags)
{
	struct rfs_mem_node *n;
	int r = check_name(name);

	if (r < 0)
		return r;
	if (size > RFS_MEM_XATTR_MAX)
		return -E2BIG;
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	r = xattr_enter(b, key, &n);
	if (r < 0)
		return r;
	r = xattr_set(n, name, value, size, flags);
	if (!r)
		n->ctime = rfs_mem_now();
	pthread_mutex_unlock(&rfs_mem_of(b)->store->lock);
	return r;
}

ssize_t rfs_mem_listxattr(struct rfs_backend *b, const char *key, char *list,
			  size_t size)
{
	struct rfs_mem_node *n;
	size_t i, total = 0;
	ssize_t r = xattr_enter(b, key, &n);

	if (r < 0)
		return r;
	for (i = 0; i < n->nxattrs; i++)
		total += strlen(n->xattrs[i].name) + 1;
	if (size && size < total) {
		r = -ERANGE;
	} else {
		if (size) {
			char *p = list;

			for (i = 0; i < n->nxattrs; i++) {
				size_t len = strlen(n->xattrs[i].name) + 1;

				memcpy(p, n->xattrs[i].name, len);
				p += len;
			}
		}
		r = (ssize_t)total;
	}
	pthread_mutex_unlock(&rfs_mem_of(b)->store->lock);
	return r;
}

int rfs_mem_removexattr(struct rfs_backend *b, const char *key,
			const char *name)
{
	struct rfs_mem_node *n;
	struct rfs_mem_xattr *x;
	int r = check_name(name);

	if (r < 0)
		return r;
	r = xattr_enter(b, key, &n);
	if (r < 0)
		return r;
	x = xattr_find(n, name);
	if (!x) {
		r = -ENODATA;
	} else {
		size_t i = (size_t)(x - n->xattrs);

		free(x->name);
		free(x->value);
		memmove(x, x + 1, (n->nxattrs - i - 1) * sizeof(*x));
		n->nxattrs--;
		n->ctime = rfs_mem_now();
	}
	pthread_mutex_unlock(&rfs_mem_of(b)->store->lock);
	return r;
}
