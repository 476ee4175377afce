/*
 * Recycle entries: the names of the job states, which of them a worker
 * runs, and owning copies of an entry's strings.
 */
#include "model/entry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by enum rfs_entry_state; these are the names the index stores. */
static const char *const state_names[RFS_ENTRY_STATE_COUNT] = {
	[RFS_ENTRY_SNAPSHOT] = "snapshot", [RFS_ENTRY_SYNC] = "sync",
	[RFS_ENTRY_VERIFY] = "verify",	   [RFS_ENTRY_UNPUBLISH] = "unpublish",
	[RFS_ENTRY_DELETE] = "delete",	   [RFS_ENTRY_ARCHIVED] = "archived",
	[RFS_ENTRY_FAILED] = "failed",	   [RFS_ENTRY_PURGING] = "purging",
	[RFS_ENTRY_PURGED] = "purged",
};

const char *rfs_entry_state_name(enum rfs_entry_state s)
{
	if ((unsigned)s >= RFS_ENTRY_STATE_COUNT)
		return "unknown";
	return state_names[s];
}

int rfs_entry_state_parse(const char *name, enum rfs_entry_state *s)
{
	int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < RFS_ENTRY_STATE_COUNT; i++) {
		if (!strcmp(state_names[i], name)) {
			*s = (enum rfs_entry_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool rfs_entry_state_archiving(enum rfs_entry_state s)
{
	return s >= RFS_ENTRY_SNAPSHOT && s <= RFS_ENTRY_DELETE;
}

bool rfs_entry_state_runnable(enum rfs_entry_state s)
{
	return rfs_entry_state_archiving(s) || s == RFS_ENTRY_PURGING;
}

/* The owned strings of an entry, for release and copy to walk. */
#define ENTRY_STRINGS(X)                                                       \
	X(bin_path)                                                            \
	X(origin_path)                                                         \
	X(table)                                                               \
	X(lifecycle)                                                           \
	X(epoch)                                                               \
	X(item_key)                                                            \
	X(storage)                                                             \
	X(src_uri)                                                             \
	X(bin_root_uri)                                                        \
	X(reason)                                                              \
	X(lease_owner)                                                         \
	X(restored_to)

void rfs_entry_release(struct rfs_entry *e)
{
	if (!e)
		return;
#define FREE_STRING(f) free(e->f);
	ENTRY_STRINGS(FREE_STRING)
#undef FREE_STRING
	memset(e, 0, sizeof(*e));
}

/* Duplicate @p s, or keep NULL. @return false when out of memory. */
static bool dup_string(char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return true;
	*dst = strdup(s);
	return *dst != NULL;
}

int rfs_entry_copy(struct rfs_entry *dst, const struct rfs_entry *src)
{
	bool ok = true;

	/* The scalars and the uuid, then each string in its own copy. */
	*dst = *src;
#define COPY_STRING(f) ok = dup_string(&dst->f, src->f) && ok;
	ENTRY_STRINGS(COPY_STRING)
#undef COPY_STRING
	if (!ok) {
		rfs_entry_release(dst);
		return -ENOMEM;
	}
	return 0;
}
