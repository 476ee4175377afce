/**
 * @file journal.h
 * @brief Rows of the index as JSON, for the catalog journal
 *        (docs/catalog-journal.md) that core/journal.h writes into every
 *        storage's recycle area and `recyclefs reindex --from` reads back.
 *
 * A dump is one JSON object with one array per table of the index
 * ("storages", "tables", "classifications", "lifecycles", "epochs",
 * "history", "config", "entries", "restores"); each row is an object of
 * its columns, with SQL integers as JSON integers, text as strings and
 * NULL as null. Row ids are kept, so that a rebuilt index answers with the
 * same ids. The entries' manifest rows are not in it: they live in the
 * manifests. The same handle rules as index/index.h apply.
 */
#ifndef RFS_INDEX_JOURNAL_H
#define RFS_INDEX_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct rfs_index;
struct rfs_error;

/**
 * Dump the catalog, history, configuration, entries and restores in one
 * read transaction (so the dump is one consistent state). Must not be
 * called inside a transaction of @p idx.
 * @param idx the index
 * @param out set to a new JSON object the caller frees with json_decref()
 * @param seq set to the id of the newest history record (0 for none): the
 *            snapshot's sequence number
 * @param err receives the reason on failure; may be NULL
 * @return 0, -ENOMEM, -EBUSY, -EIO
 */
int rfs_index_journal_dump(struct rfs_index *idx, json_t **out, int64_t *seq,
			   struct rfs_error *err);

/**
 * @return true when the index holds no storage, table and history record
 *         (a fresh 'recyclefs init'); false otherwise or on a read error
 */
bool rfs_index_journal_empty(struct rfs_index *idx);

/**
 * Insert the catalog of a dump into the index: storages, tables,
 * classifications, lifecycles, epochs, history, configuration and the
 * purged entries (live entries come back from their manifests). Runs
 * inside the caller's transaction. Every row is checked before insertion:
 * only the known tables, only their columns, only integers, strings and
 * null (the index's STRICT tables check each column's type).
 * @param idx  the index, inside rfs_index_begin()
 * @param dump an object of rfs_index_journal_dump()
 * @param err  receives the reason on failure; may be NULL
 * @return 0; -EINVAL (an unknown table or column, a value of a wrong
 *         type: "catalog journal: ..."), -EEXIST (a row already there),
 *         -EIO
 */
int rfs_index_journal_load(struct rfs_index *idx, const json_t *dump,
			   struct rfs_error *err);

/**
 * Insert the restores of a dump whose entry is in the index with the same
 * row id and uuid as in the dump. Runs in the caller's transaction.
 * @param idx     the index, inside rfs_index_begin()
 * @param dump    an object of rfs_index_journal_dump()
 * @param skipped set to the number of restores left out (their entry is
 *                not in the index); may be NULL
 * @param err     receives the reason on failure; may be NULL
 * @return 0, -EINVAL, -EEXIST, -EIO
 */
int rfs_index_journal_load_restores(struct rfs_index *idx, const json_t *dump,
				    int *skipped, struct rfs_error *err);

/**
 * Give entry @p from the row id @p to, before any of its manifest rows or
 * restores are inserted (inside the transaction that inserted it).
 * @return 0, -EEXIST (@p to is taken), -EIO
 */
int rfs_index_journal_renumber_entry(struct rfs_index *idx, int64_t from,
				     int64_t to, struct rfs_error *err);

#endif
