/*
 * What no kind of node owns: the kind of a resolved path, and renames and
 * links, which take two paths that may lie in nodes of different kinds
 * (within an epoch, EXDEV between epochs, an archive into the bin, EPERM
 * elsewhere). The low-level entry points call them for every kind.
 */
#include "fs/internal.h"

#include "backends/backend.h"
#include "model/catalog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct fs_kind *rfs_fs_kind_of(const struct req *q)
{
	if (q->node.kind == RFS_NODE_BIN)
		return &rfs_fs_kind_bin;
	if (q->node.kind != RFS_NODE_EPOCH)
		return rfs_fs_kind_catalog(q);
	if (*q->node.rest)
		return &rfs_fs_kind_epoch_entry;
	return q->b ? &rfs_fs_kind_epoch_root : &rfs_fs_kind_epoch_none;
}

static bool in_epoch(const struct req *q)
{
	return q->node.kind == RFS_NODE_EPOCH && *q->node.rest && q->b;
}

/* Two paths in the same epoch: for rename and link. @return 0, 1 for an
 * archive (a rename from an epoch into the bin), or -errno (then both
 * requests are ended) */
static int two_in_epoch(struct rfs_fs_state *st, const char *op,
			const char *from, const char *to, struct req *a,
			struct req *b)
{
	int r = rfs_fs_req_begin(a, st, from);

	if (r < 0)
		return r;
	r = rfs_fs_req_begin_new(b, st, to, op);
	if (r < 0) {
		rfs_fs_req_end(a);
		return r;
	}
	if (b->node.kind == RFS_NODE_BIN && a->node.kind == RFS_NODE_EPOCH &&
	    a->b && !strcmp(op, "rename"))
		r = 1; /* archive: the caller hands it to the bin */
	else if (!in_epoch(a))
		r = rfs_fs_kind_refuse(a, op, from);
	else if (!in_epoch(b))
		r = rfs_fs_kind_refuse(b, op, to);
	else if (a->node.epoch != b->node.epoch)
		r = -EXDEV; /* mv then copies, which is right between epochs */
	if (r < 0) {
		rfs_fs_req_end(b);
		rfs_fs_req_end(a);
	}
	return r;
}

int rfs_fs_rename_paths(struct rfs_fs_state *st, const char *from,
			const char *to, unsigned int flags)
{
	struct req a, b;
	int r;

	r = two_in_epoch(st, "rename", from, to, &a, &b);
	if (r < 0)
		return r;
	if (r == 1) {
		r = flags & RENAME_EXCHANGE
			    ? rfs_fs_refuse("rename", to,
					    "the recycle bin cannot exchange "
					    "items")
			    : rfs_fs_bin_archive(&a, from, b.node.rest);
		if (r == 0)
			r = 1;
	} else {
		r = rfs_fs_storage_failed(a.b, "rename", from,
					  rfs_backend_rename(a.b, a.node.rest,
							     b.node.rest,
							     flags));
	}
	rfs_fs_req_end(&b);
	rfs_fs_req_end(&a);
	return r;
}

/* The rename of every kind: by path. */
int rfs_fs_kind_rename(struct req *q, const char *name, struct req *dst,
		       const char *newname, unsigned int flags)
{
	char from[4096 + 256], to[4096 + 256];

	if (rfs_fs_path_join(from, sizeof(from), q->path, name) < 0 ||
	    rfs_fs_path_join(to, sizeof(to), dst->path, newname) < 0)
		return -ENAMETOOLONG;
	return rfs_fs_rename_paths(q->st, from, to, flags);
}

/* The link of every kind: by path. */
int rfs_fs_kind_link(struct req *q, const char *name, struct req *src)
{
	char to[4096 + 256];
	struct req a, b;
	int r;

	if (rfs_fs_path_join(to, sizeof(to), q->path, name) < 0)
		return -ENAMETOOLONG;
	if (q->node.kind == RFS_NODE_BIN)
		return rfs_fs_bin_refuse_new(q, "link", to);
	r = two_in_epoch(q->st, "link", src->path, to, &a, &b);
	if (r < 0)
		return r;
	if (r == 1)
		r = rfs_fs_kind_refuse(&b, "link", to);
	else
		r = rfs_fs_storage_failed(
			a.b, "link", to,
			rfs_backend_link(a.b, a.node.rest, b.node.rest));
	rfs_fs_req_end(&b);
	rfs_fs_req_end(&a);
	return r;
}
