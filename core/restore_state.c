/*
 * Restores: the names of their job states, as the index stores them,
 * releasing what a struct rfs_restore owns, and their history records. The use
 * cases are in restore.c.
 */
#include "core/restore.h"

#include "core/entry.h"
#include "core/json_name.h"
#include "core/restore_priv.h"
#include "index/index.h"

#include <errno.h>
#include <jansson.h>
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

int rfs_restore_history(struct rfs_index *idx, const char *action,
			const struct rfs_entry *e, const struct rfs_restore *r,
			struct rfs_error *err)
{
	json_t *d = json_pack(
		"{s:o, s:o, s:o}", "entry", rfs_json_name(e->bin_path), "sub",
		rfs_json_name(r->sub), "target", rfs_json_name(r->target));
	char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	int rc;

	json_decref(d);
	if (!text)
		return -ENOMEM;
	rc = rfs_index_history_add(idx, action, e->origin_path, text, err);
	free(text);
	return rc;
}
