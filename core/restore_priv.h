/**
 * @file restore_priv.h
 * @brief What the files of restore share (core/ only).
 */
#ifndef RFS_CORE_RESTORE_PRIV_H
#define RFS_CORE_RESTORE_PRIV_H

#include "core/engine.h"

struct rfs_entry;
struct rfs_error;
struct rfs_index;
struct rfs_restore;

/** The restore kind: check, copy, verify, publish, done. */
extern const struct rfs_engine_kind rfs_restore_kind;

/**
 * Add a history row @p action ("restore.begin", "restore.done") about
 * restore @p r of entry @p e.
 * @return 0, -ENOMEM, -EIO
 */
int rfs_restore_history(struct rfs_index *idx, const char *action,
			const struct rfs_entry *e, const struct rfs_restore *r,
			struct rfs_error *err);

#endif
