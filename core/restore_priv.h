/**
 * @file restore_priv.h
 * @brief What the files of restore share (core/ only).
 */
#ifndef RFS_CORE_RESTORE_PRIV_H
#define RFS_CORE_RESTORE_PRIV_H

#include "core/engine.h"

#include <stdbool.h>
#include <stdint.h>

struct rfs_entry;
struct rfs_error;
struct rfs_index;
struct rfs_job_opts;
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

/** Run restore @p id of files as rfs_restore_run() does, with the
 * restore kind (core/kind_restore.c). */
int rfs_restore_files_run(struct rfs_index *idx, int64_t id,
			  const struct rfs_job_opts *o, struct rfs_error *err);

/** True when restore @p id restores a table of relational storage (its
 * entry's recycle copy is relational): rfs_rel_restore_run() runs it. */
bool rfs_rel_restore_wanted(struct rfs_index *idx, int64_t id);

/** Run restore @p id of a table as rfs_restore_run() does, with the
 * relational restore kind (core/kind_rel.c). */
int rfs_rel_restore_run(struct rfs_index *idx, int64_t id,
			const struct rfs_job_opts *o, struct rfs_error *err);

#endif
