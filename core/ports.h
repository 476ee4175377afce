/**
 * @file ports.h
 * @brief The storage port core receives: how its use cases open storages.
 *
 * core/ links no storage adapter. A program hands core the opener it was
 * built with, once, before any use case runs and before it starts
 * threads, as SQLite's VFSes are registered: `recyclefs` (the command
 * line and the mount) passes the registry of every adapter,
 * rfs_backend_registry; a unit test of core passes rfs_mem_opener and
 * links the memory backend alone. Every use case (archive, restore,
 * purge, catalog edits, the catalog journal, reindex) and the job engine
 * open their storages through it.
 *
 * The index is not a port in the same sense: core calls index/index.h's
 * functions, and the program links their one implementation, the SQLite
 * index (docs/internals/engine.md says where that line is drawn and why).
 *
 * After rfs_ports_set_backends() the functions may be called from any
 * thread.
 */
#ifndef RFS_CORE_PORTS_H
#define RFS_CORE_PORTS_H

#include <stdbool.h>

struct rfs_backend;
struct rfs_backend_opener;
struct rfs_error;

/**
 * Give core the opener its use cases open storages with.
 * @param o the opener, borrowed for the life of the process (a static
 *          table such as rfs_backend_registry); NULL takes it back
 */
void rfs_ports_set_backends(const struct rfs_backend_opener *o);

/**
 * Open the storage at @p uri through the opener core was given.
 * @param uri the storage URI; copied
 * @param out set to the new backend; free with rfs_backend_free()
 * @param err receives the reason on failure; may be NULL
 * @return 0, the opener's errors (-EINVAL, -EPROTONOSUPPORT, -ENOMEM,
 *         ...), or -ENOSYS when the program gave core no opener
 */
int rfs_ports_open(const char *uri, struct rfs_backend **out,
		   struct rfs_error *err);

/**
 * Check what @p uri says by itself, as the adapter that opens it will
 * (see rfs_backend_check_uri()).
 * @return 0, -EINVAL with the reason, -ENOMEM, or -ENOSYS when the
 *         program gave core no opener
 */
int rfs_ports_check_uri(const char *uri, struct rfs_error *err);

/** True when the opener core was given can open @p scheme (false when
 * it was given none). */
bool rfs_ports_supported(const char *scheme);

#endif
