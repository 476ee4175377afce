/**
 * @file local.h
 * @brief The local adapter: POSIX directories on local disks and NFS.
 *
 * `file:///abs/path` opens a backend rooted at that directory. Every key
 * is resolved below the root with openat2(2) and RESOLVE_BENEATH, refusing
 * symlinks on the way (-ELOOP), so no key reaches outside the root; the
 * last component is acted on with the *at() calls without following it.
 * The root may be missing when the backend is opened: operations then
 * return -ENOENT until it exists (mkdir of "" creates it).
 *
 * Capabilities: FD, XATTR, SYMLINK, COPY (reflink, copy_file_range or a
 * read/write loop, into a temporary name renamed into place), RANDOM_WRITE
 * and HARDLINK. Every operation may be called from several threads.
 */
#ifndef RFS_BACKENDS_LOCAL_LOCAL_H
#define RFS_BACKENDS_LOCAL_LOCAL_H

#include <stdbool.h>

struct rfs_backend;
struct rfs_error;
struct rfs_uri;

/**
 * Open a local backend; the registry calls this for "file://" URIs (use
 * rfs_backend_open()). The root need not exist yet.
 * @param u   the parsed @p uri; its path is the root, without the leading
 *            slash
 * @param uri the URI as given, kept as rfs_backend.uri
 * @param out set to the new backend on success
 * @param err the reason of a refusal; may be NULL
 * @return 0, -EINVAL (a host in the URI) or -ENOMEM
 */
int rfs_local_open(const struct rfs_uri *u, const char *uri,
		   struct rfs_backend **out, struct rfs_error *err);

/**
 * Make key resolution use the portable fallback (openat() one component
 * at a time with O_NOFOLLOW) instead of openat2(2), as on kernels before
 * 5.6. The fallback is chosen on its own when openat2 is missing; this
 * switch lets tests run both. Process-wide; thread-safe.
 * @param use true to force the fallback, false to try openat2 again
 */
void rfs_local_force_fallback(bool use);

#endif
