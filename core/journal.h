/**
 * @file journal.h
 * @brief The catalog journal: the whole catalog, its history, the
 *        configuration, the purged entries and the restores, written as a
 *        versioned snapshot into every storage's recycle area after each
 *        change, so that any one storage can rebuild a lost index
 *        (docs/catalog-journal.md).
 *
 * A snapshot is `.recyclefs/catalog/SEQ-NS-RAND.json` under a storage's
 * recycle URI, written whole with an atomic put (local: a temporary file,
 * fsync, rename, syncfs; object stores: a put with If-None-Match: * of a
 * name never used before). The newest complete snapshot wins; a torn or
 * corrupt one is skipped with a warning. Calls may come from any thread,
 * each with its own index handle.
 */
#ifndef RFS_CORE_JOURNAL_H
#define RFS_CORE_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct rfs_index;
struct rfs_error;
struct rfs_reindex_report;

/** Called once per manifest found (see core/archive.h). */
typedef void (*rfs_reindex_fn)(void *ctx, const struct rfs_reindex_report *r);

/** The folder of the snapshots under a recycle URI. */
#define RFS_JOURNAL_DIR ".recyclefs/catalog"

/** The snapshot format this build writes and reads up to. */
#define RFS_JOURNAL_FORMAT 1

/** How many snapshots each storage keeps (older ones are removed). */
#define RFS_JOURNAL_KEEP 8

/**
 * A local write's temporary (`.NAME.json.tmp`) older than this many
 * seconds was left by a killed writer: the next successful write removes
 * it. A live write keeps its temporary for well under a second.
 */
#define RFS_JOURNAL_TMP_AGE_S 600

/**
 * Write the index's current state as a new snapshot into the recycle area
 * of every storage that has one. Call it after a change was committed;
 * never inside a transaction. A storage that cannot be written is logged
 * (warning) and the others are still written.
 * @param idx the index
 * @param err receives the reason of the first failure; may be NULL
 * @return 0 when every storage has the snapshot, else the first -errno
 *         (the index is not changed either way)
 */
int rfs_journal_write(struct rfs_index *idx, struct rfs_error *err);

/** Told about each snapshot that was skipped while reading. */
typedef void (*rfs_journal_skip_fn)(void *ctx, const char *key,
				    const char *reason);

/**
 * Find and read the newest complete snapshot under @p uri: its
 * `.recyclefs/catalog/`, else that of `<uri>/.recyclebin` (a storage URI
 * whose recycle area is the default one). Torn or corrupt snapshots are
 * skipped (logged at warning, and told to @p skip).
 * @param uri   a storage or recycle URI
 * @param out   set to the snapshot's "catalog" object (a dump of
 *              index/journal.h), owned by the caller (json_decref())
 * @param key   set to the URI of the snapshot read, malloc'ed; may be NULL
 * @param skip  called for each skipped snapshot; may be NULL
 * @param ctx   passed to @p skip
 * @param err   receives the reason on failure; may be NULL
 * @return 0; -ENOENT (no recyclefs catalog there, or no complete
 *         snapshot), -EPROTO (the newest snapshot has a newer format),
 *         -EINVAL (a bad URI), the backend's errors
 */
int rfs_journal_read(const char *uri, json_t **out, char **key,
		     rfs_journal_skip_fn skip, void *ctx,
		     struct rfs_error *err);

/** What rfs_reindex_from() did, besides its per-manifest reports. */
struct rfs_reindex_from_report {
	char *snapshot;	      /**< URI of the snapshot read; caller frees */
	bool catalog_loaded;  /**< false: the index had a catalog already */
	int added;	      /**< entries added from manifests */
	int restores_skipped; /**< restores whose entry did not come back */
};

/**
 * Rebuild a lost index from one storage or recycle URI: read the newest
 * complete catalog snapshot there (rfs_journal_read()); into an index
 * without catalog (fresh from 'recyclefs init'), insert its storages,
 * tables, classifications, lifecycles, epochs, history, configuration and
 * purged entries in one transaction; then read the manifests of every
 * storage (as rfs_reindex(), entries keep the row ids the snapshot
 * gives); then the restores whose entry came back; then write a new
 * snapshot. An index that already has a catalog keeps it: only entries
 * are added. Nothing is written when no snapshot is found.
 * @param idx  the index, no transaction open
 * @param uri  any storage or recycle URI recyclefs wrote to
 * @param fn   per manifest, as rfs_reindex(); may be NULL
 * @param skip per skipped (torn) snapshot; may be NULL
 * @param ctx  passed to @p fn and @p skip
 * @param rep  filled in; may be NULL (then the snapshot URI is freed)
 * @param err  receives the reason on failure; may be NULL
 * @return 0; the errors of rfs_journal_read() (nothing written then);
 *         -EINVAL or -EEXIST for a snapshot the index refuses (nothing
 *         written); the index's errors
 */
int rfs_reindex_from(struct rfs_index *idx, const char *uri, rfs_reindex_fn fn,
		     rfs_journal_skip_fn skip, void *ctx,
		     struct rfs_reindex_from_report *rep,
		     struct rfs_error *err);

#endif
