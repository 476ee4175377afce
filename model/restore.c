/*
 * Restores: the names of their job states, as the index stores them, and
 * releasing what a struct rfs_restore owns.
 */
#include "model/restore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by enum rfs_restore_state; these are the names the index stores. */
static const char *const state_names[RFS_RESTORE_STATE_COUNT] = {
	[RFS_RESTORE_CHECK] = "check",	 [RFS_RESTORE_COPY] = "copy",
	[RFS_RESTORE_VERIFY] = "verify", [RFS_RESTORE_PUBLISH] = "publish",
	[RFS_RESTORE_DONE] = "done",	 [RFS_RESTORE_FAILED] = "failed",
};

const char *rfs_restore_state_name(enum rfs_restore_state s)
{
	if ((unsigned)s >= RFS_RESTORE_STATE_COUNT)
		return "unknown";
	return state_names[s];
}

int rfs_restore_state_parse(const char *name, enum rfs_restore_state *s)
{
	int i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < RFS_RESTORE_STATE_COUNT; i++) {
		if (!strcmp(state_names[i], name)) {
			*s = (enum rfs_restore_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

void rfs_restore_release(struct rfs_restore *r)
{
	if (!r)
		return;
	free(r->sub);
	free(r->target_uri);
	free(r->target_key);
	free(r->target);
	free(r->target_table);
	free(r->target_lifecycle);
	free(r->target_epoch);
	free(r->reason);
	free(r->lease_owner);
	memset(r, 0, sizeof(*r));
}
