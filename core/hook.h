/**
 * @file hook.h
 * @brief The metastore hook: an executable that drops and adds partitions.
 *
 * Hive metastores, AWS Glue and the like are reached through a hook named
 * in the configuration (`metastore.hook`, or `metastore.hook.TABLE` for
 * one table). It is run with a JSON document on stdin:
 *
 * ```
 * {"action": "drop_partitions" | "add_partitions",
 *  "table": "sales.orders", "lifecycle": "bronze",
 *  "epoch": "2001-01-01..2010-01-01",
 *  "storage": "<storage name>", "storage_uri": "<the epoch's URI>",
 *  "location": "<the epoch root as a metastore stores it>",
 *  "item": "<the archived item under the epoch>",
 *  "partitions": [{"spec": "dt=2001-01-01", "name": "dt=2001-01-01",
 *                  "values": {"dt": "2001-01-01"},
 *                  "pairs": [{"key": "dt", "value": "2001-01-01"}],
 *                  "location": "<as a metastore stores it>",
 *                  "uri": "<the partition's storage URI>"}]}
 * ```
 *
 * (built by core/partitions.h; docs/metastore.md has every member)
 *
 * and must exit 0 once the metastore reflects the change (treating "not
 * found" on drop and "already exists" on add as success, so that retries
 * are harmless). A non-zero exit, a signal or the timeout stops the job
 * before any data is touched. Its stdout is ignored; the last line of its
 * stderr becomes part of the job's reason. Credentials the hook needs come
 * from its own environment, never from recyclefs. Thread-safe.
 */
#ifndef RFS_CORE_HOOK_H
#define RFS_CORE_HOOK_H

struct rfs_error;

/** Default time a hook may take, in seconds. */
#define RFS_HOOK_TIMEOUT_S 300

/**
 * Run @p hook with @p json on its stdin and wait for it.
 * @param hook    absolute path of an executable
 * @param json    the document, NUL-terminated
 * @param timeout seconds before the hook is killed (SIGTERM, then SIGKILL
 *                after 5 s); 0 for RFS_HOOK_TIMEOUT_S
 * @param err     "metastore hook '/x' exited with status 3: <last stderr
 *                line>" and the like
 * @return 0 when it exited 0; -ENOENT or -EACCES when it cannot be run;
 *         -EIO when it failed; -ETIMEDOUT when it was killed for taking
 *         too long
 */
int rfs_hook_run(const char *hook, const char *json, int timeout,
		 struct rfs_error *err);

#endif
