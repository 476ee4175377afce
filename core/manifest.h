/**
 * @file manifest.h
 * @brief The manifest of a recycle entry, written beside its data in
 *        recycle storage so that the index can be rebuilt from the
 *        storages alone (`recyclefs reindex`).
 *
 * A manifest is JSON (format documented in docs/manifest.md):
 *
 * ```
 * {"format": "recyclefs-manifest", "version": 1,
 *  "uuid": "...", "state": "verified" | "archived",
 *  "origin": {"path", "table", "lifecycle", "epoch", "item", "storage",
 *             "uri"},
 *  "bin": {"path", "root_uri"},
 *  "kind": "dir" | "file",
 *  "created_at": "<ISO 8601>", "deleted_at": "<ISO 8601>" | null,
 *  "files_total": N, "bytes_total": N,
 *  "files": [{"path", "type": "file"|"dir"|"symlink"|"fifo"|"socket"|
 *                     "chardev"|"blockdev", "size",
 *             "mtime": "1700000000.123456789", "atime": "...",
 *             "mode": "0644", "uid", "gid", "sha256", "target",
 *             "rdev": {"major", "minor"}}]}
 * ```
 *
 * Manifests live at `<bin root>/.recyclefs/manifests/<uuid>.json`. They are
 * written and read in a streaming fashion: memory does not grow with the
 * number of files. They never contain credentials (storage URIs carry
 * none). Thread-safe: no shared state.
 */
#ifndef RFS_CORE_MANIFEST_H
#define RFS_CORE_MANIFEST_H

#include <stddef.h>

#include "model/entry.h"

struct rfs_backend;
struct rfs_error;

/** The newest manifest format version this build reads and writes. */
#define RFS_MANIFEST_VERSION 2

/** The version of a manifest holding a special file (a "fifo", "socket",
 * "chardev" or "blockdev" row, with "rdev" on devices); one without says
 * version 1, so that older builds still read it. */
#define RFS_MANIFEST_VERSION_SPECIAL 2

/** Directory of manifests under a bin root. */
#define RFS_MANIFEST_DIR ".recyclefs/manifests"

/**
 * Called by the writer to obtain the rows: it must call @p emit once per
 * row, in any order, and return 0 or a -errno.
 */
typedef int (*rfs_manifest_rows_fn)(void *ctx,
				    int (*emit)(void *wctx,
						const struct rfs_entry_file *f),
				    void *wctx);

/**
 * Write the manifest of @p e into @p bin (a backend on the entry's bin
 * root) at `RFS_MANIFEST_DIR/<uuid>.json`, atomically: to a temporary
 * name, synced, then renamed over the old one. The manifest directory is
 * created when missing. @p rows is called twice: a first pass finds the
 * lowest version that holds every row (1, or RFS_MANIFEST_VERSION_SPECIAL
 * when a row is a special file), the second writes them; both passes must
 * give the same rows.
 * @param bin  a backend on the entry's bin root
 * @param e    the entry; its uuid names the manifest
 * @param rows a function producing the rows (streamed from the index)
 * @param ctx  passed to @p rows
 * @param err  receives the reason on failure; may be NULL
 * @return 0 or -errno with the reason in @p err: -EINVAL (a uuid that is
 *         not 1 to 32 hex digits), -ENOMEM, the error of @p rows, or the
 *         backend's error (-ENOSPC, -EIO, ...)
 */
int rfs_manifest_write(struct rfs_backend *bin, const struct rfs_entry *e,
		       rfs_manifest_rows_fn rows, void *ctx,
		       struct rfs_error *err);

/** Called per row while reading; strings valid during the call only. */
typedef int (*rfs_manifest_row_fn)(void *ctx, const struct rfs_entry_file *f);

/**
 * Read a manifest. The whole manifest is checked before @p e is filled
 * and before @p fn sees the first row.
 * @param bin a backend on the bin root holding the manifest
 * @param key the manifest's key in @p bin
 * @param e   filled with the entry (id 0; state ARCHIVED when the manifest
 *            says "archived", else VERIFY); release with rfs_entry_release()
 * @param fn  called per file row (may be NULL); a non-zero return stops
 *            the walk, is returned, and leaves @p e released
 * @param ctx passed to @p fn
 * @param err receives the reason on failure; may be NULL
 * @return 0; -EBADMSG (not a recyclefs manifest, corrupt, missing fields,
 *         with the reason), -EPROTO (a newer version), -ENOENT, -EIO, or
 *         the non-zero value of @p fn
 */
int rfs_manifest_read(struct rfs_backend *bin, const char *key,
		      struct rfs_entry *e, rfs_manifest_row_fn fn, void *ctx,
		      struct rfs_error *err);

/**
 * Remove the manifest of entry @p uuid from @p bin (a missing one is fine).
 * @return 0 or -errno
 */
int rfs_manifest_remove(struct rfs_backend *bin, const char *uuid,
			struct rfs_error *err);

/**
 * The key of entry @p uuid's manifest: `RFS_MANIFEST_DIR "/<uuid>.json"`.
 * @param uuid the entry's uuid (32 hex digits); not checked here
 * @param out  receives the NUL-terminated key; at least 96 bytes
 * @param size size of @p out in bytes; the key is truncated to fit
 * @return @p out
 */
char *rfs_manifest_key(const char *uuid, char *out, size_t size);

#endif
