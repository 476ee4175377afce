/**
 * @file rel.h
 * @brief The relational part of the storage port: the steps of archiving,
 *        restoring and purging one table, run by the storage itself.
 *
 * A storage of the relational family (PostgreSQL) keeps tables, not
 * files: copying one is a statement the server runs, and its "metastore"
 * is the partitioned parent. Such a backend sets
 * rfs_backend_ops::rel, and core/kind_rel.c runs these steps as the job
 * kinds archive, restore and purge on the engine (core/engine.h), with the
 * same leases, states and records as files. core/ calls them only through
 * rfs_backend_rel_step() and rfs_backend_rel_bin_uri().
 *
 * Every step is idempotent: run again after it succeeded it changes
 * nothing and returns 0; cut short (a lost connection, a restarted
 * server) it either finished or left nothing, returns -EIO, and running
 * it again completes it.
 */
#ifndef RFS_BACKENDS_REL_H
#define RFS_BACKENDS_REL_H

#include "backends/backend.h"

#include <stdint.h>
#include <stdlib.h>

/** One step of a relational job. */
enum rfs_rel_step {
	/** Archive 1: read the table's bound, DDL, rows and content hash;
	 * refuse (-EINVAL, the reason in the error) a table that cannot be
	 * archived. Changes nothing. */
	RFS_REL_SNAPSHOT,
	/** Archive 2: copy the table into the recycle location, with its
	 * manifest row, in one transaction. -ESTALE: the table changed. */
	RFS_REL_SYNC,
	/** Archive 3: the copy and the source both equal the snapshot. */
	RFS_REL_VERIFY,
	/** Archive 4: detach the partition from its parent. */
	RFS_REL_UNPUBLISH,
	/** Archive 5: drop the detached source (attached again and -ESTALE
	 * when it changed). */
	RFS_REL_DELETE,
	/** Archive 6: mark the manifest row archived. */
	RFS_REL_FINISH,
	/** Restore 1, before any row moves: the copy exists, the target is
	 * free and compatible. -EEXIST, -EINVAL, -EXDEV: refused. */
	RFS_REL_RESTORE_CHECK,
	/** Restore 2: copy back to the target table. */
	RFS_REL_RESTORE_COPY,
	/** Restore 3: the target holds the manifest's rows. */
	RFS_REL_RESTORE_VERIFY,
	/** Restore 4: attach the target to its parent with the saved bound. */
	RFS_REL_RESTORE_ATTACH,
	/** Purge: drop the copy and its manifest row; for an archive that
	 * never finished, attach the source again first (-EBUSY once the
	 * source is dropped and the archive not finished). */
	RFS_REL_PURGE,
	/** Read the manifest of the archive: fills the outputs, changes
	 * nothing. -ENOENT before RFS_REL_SYNC. */
	RFS_REL_DESCRIBE,
};

/** The table a step acts on. The caller fills the inputs; a step fills
 * the outputs it knows (release them with rfs_rel_item_release()). */
struct rfs_rel_item {
	/** The table's folder key in the backend: the source of an archive,
	 * the restored table of a restore; "" for none (purge). */
	const char *key;
	/** The recycle location (rfs_backend_rel_bin_uri()). */
	const char *bin_uri;
	/** What names the copy there: a unique id of the archive (the
	 * entry's uuid). */
	const char *id;
	/** The origin path "T/L/E/item": kept in the manifest, its last
	 * part names the copy. */
	const char *origin;
	int64_t rows;	/**< out: the table's row count */
	int64_t bytes;	/**< out: its size on the server, when known */
	char *relation; /**< out: "schema.name" of the table, malloc'ed */
	char *parent;	/**< out: "schema.name" of its parent, or NULL */
	char *bound;	/**< out: "FOR VALUES ...", or NULL */
	char *copy;	/**< out: "schema.name" of the recycle copy */
};

/** Free the outputs of @p it and zero them. */
static inline void rfs_rel_item_release(struct rfs_rel_item *it)
{
	free(it->relation);
	free(it->parent);
	free(it->bound);
	free(it->copy);
	it->relation = it->parent = it->bound = it->copy = NULL;
}

/** One row of a recycle location's manifest (rfs_backend_rel_ops::
 * manifests). Strings are borrowed for the call. */
struct rfs_rel_manifest {
	const char *copy;    /**< the copy's name in the recycle location */
	const char *origin;  /**< the origin path "T/L/E/item" */
	const char *state;   /**< copied, verified, unpublished, deleted,
				  archived */
	int64_t rows;	     /**< the copy's row count */
	int64_t bytes;	     /**< the copy's size on the server */
	int64_t copied_ns;   /**< when it was copied, ns since the epoch */
	int64_t archived_ns; /**< when it was archived, or 0 */
};

/** Called per manifest row; non-zero stops the listing and is returned. */
typedef int (*rfs_rel_manifest_fn)(void *ctx, const struct rfs_rel_manifest *m);

/** What a relational backend adds to the port. */
struct rfs_backend_rel_ops {
	/**
	 * The default recycle location of this storage (for PostgreSQL the
	 * schema "recyclebin" of the same database), as a URI.
	 * @param out set to a malloc'ed URI
	 * @return 0 or -ENOMEM
	 */
	int (*bin_uri)(struct rfs_backend *b, char **out);
	/**
	 * Run step @p step on @p it. Thread-safe.
	 * @return 0; -EIO (connection lost: run it again), -ESTALE (the
	 *         source changed), -EEXIST, -EINVAL, -EXDEV (refused), -EBUSY,
	 *         -ENOENT, the reason in @p err, never a secret
	 */
	int (*step)(struct rfs_backend *b, enum rfs_rel_step step,
		    struct rfs_rel_item *it, struct rfs_error *err);
	/**
	 * List the manifest of recycle location @p bin_uri (in this
	 * storage's database), for `recyclefs reindex`.
	 * @return 0 (none: 0 too), the callback's value, -EXDEV (another
	 *         database), -EIO
	 */
	int (*manifests)(struct rfs_backend *b, const char *bin_uri,
			 rfs_rel_manifest_fn fn, void *ctx,
			 struct rfs_error *err);
	/**
	 * The folder that shows an archive's recycle copy in the tree of
	 * this backend when it is opened on the recycle location (what the
	 * mount's .recyclebin lists and reads for the entry). Computes the
	 * name; asks the server nothing. Thread-safe. May be NULL.
	 * @param item the archived folder's name in its epoch (the last part
	 *             of the origin)
	 * @param id   the archive's id (the entry's uuid)
	 * @param out  set to a malloc'ed key
	 * @return 0, -ENOENT (@p item names no table), -ENOMEM
	 */
	int (*bin_key)(struct rfs_backend *b, const char *item, const char *id,
		       char **out);
};

/** @see rfs_backend_rel_ops.bin_uri */
static inline int rfs_backend_rel_bin_uri(struct rfs_backend *b, char **out)
{
	return b->ops->rel && b->ops->rel->bin_uri
		       ? b->ops->rel->bin_uri(b, out)
		       : -ENOSYS;
}

/** @see rfs_backend_rel_ops.step */
static inline int rfs_backend_rel_step(struct rfs_backend *b,
				       enum rfs_rel_step step,
				       struct rfs_rel_item *it,
				       struct rfs_error *err)
{
	return b->ops->rel && b->ops->rel->step
		       ? b->ops->rel->step(b, step, it, err)
		       : -ENOSYS;
}

/** @see rfs_backend_rel_ops.manifests */
static inline int rfs_backend_rel_manifests(struct rfs_backend *b,
					    const char *bin_uri,
					    rfs_rel_manifest_fn fn, void *ctx,
					    struct rfs_error *err)
{
	return b->ops->rel && b->ops->rel->manifests
		       ? b->ops->rel->manifests(b, bin_uri, fn, ctx, err)
		       : -ENOSYS;
}

/** @see rfs_backend_rel_ops.bin_key */
static inline int rfs_backend_rel_bin_key(struct rfs_backend *b,
					  const char *item, const char *id,
					  char **out)
{
	return b->ops->rel && b->ops->rel->bin_key
		       ? b->ops->rel->bin_key(b, item, id, out)
		       : -ENOSYS;
}

#endif
