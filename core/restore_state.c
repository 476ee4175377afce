/*
 * Restores: their history records. The use cases are in restore.c; the
 * record and the names of its states in model/restore.c.
 */
#include "core/restore.h"

#include "model/entry.h"
#include "core/json_name.h"
#include "core/restore_priv.h"
#include "index/index.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
