/*
 * The attributes of the S3 adapter's keys through its caches: stat() of a
 * key (an open file's staged size, the last refresh's listing, the stat
 * and listing caches, else a HEAD, else a directory when objects lie
 * below), the check of a parent, and what our own writes drop from the
 * caches or keep (a copy's answer, an implied parent's marker).
 *
 * A directory is a "P/K/" marker object (written by mkdir, with its mode
 * in x-amz-meta-mode, as s3fs writes them) or only implied by objects
 * below "P/K/" (as other tools leave them); an implied directory has
 * mode 0755 and the times of the moment the storage was opened.
 */
#include "backends/s3/s3_file.h"
#include "backends/s3/s3_ops.h"

#include "util/buf.h"
#include "util/log.h"
#include "util/path.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void root_stat(struct rfs_s3_backend *b, struct stat *st)
{
	struct rfs_s3_meta m;

	rfs_s3_meta_new(&m, S_IFDIR | 0755);
	m.mtime_ns = m.atime_ns = m.ctime_ns = b->opened_ns;
	rfs_s3_meta_to_stat(b, b->conf->prefix, &m, st);
}

/* @p key (object @p full) is no object: is it a directory (a marker or
 * objects below)? */
static int stat_dir(struct rfs_s3_backend *b, const char *key, const char *full,
		    struct stat *st)
{
	struct rfs_buf dir = RFS_BUF_INIT;
	struct rfs_s3_meta m;
	bool marker = false;
	int r = rfs_s3_dir_has_children(b, key, &marker);

	if (r == 0 && !marker) {
		/* neither object nor directory: remembered until a write of
		 * ours drops it, or cache_ttl */
		rfs_s3_cache_absent_put(b->cache, full);
		r = -ENOENT;
	}
	if (r < 0)
		goto out;
	if (marker) {
		r = rfs_buf_addf(&dir, "%s/", full);
		if (!r)
			r = rfs_s3_head(b, rfs_buf_str(&dir), &m);
		if (r == -ENOENT) /* deleted in between: still implied? */
			marker = false;
		else if (r < 0)
			goto out;
	}
	if (!marker) {
		rfs_s3_meta_new(&m, S_IFDIR | 0755);
		m.mtime_ns = m.atime_ns = m.ctime_ns = b->opened_ns;
	}
	r = 0;
	if (rfs_s3_meta_to_stat(b, full, &m, st))
		rfs_s3_cache_stat_put(b->cache, full, st, marker);
out:
	rfs_buf_release(&dir);
	return r;
}

int rfs_s3_stat_key(struct rfs_s3_backend *b, const char *key, struct stat *st)
{
	struct rfs_buf full = RFS_BUF_INIT;
	struct rfs_s3_meta m;
	const char *f;
	int r;

	if (!*key) {
		root_stat(b, st);
		return 0;
	}
	r = rfs_s3_full_key(b, key, &full);
	if (r < 0)
		return r;
	f = rfs_buf_str(&full);
	if (rfs_s3_files_stat(b, f, st) || rfs_s3_fresh_stat(b, f, st))
		goto out;
	r = rfs_s3_cache_stat_find(b->cache, f, st, NULL);
	if (r >= 0) {
		r = r ? 0 : -ENOENT;
		goto out;
	}
	r = rfs_s3_cache_lookup(b->cache, f, st);
	if (r >= 0) {
		r = r ? 0 : -ENOENT;
		goto out;
	}
	r = rfs_s3_head(b, f, &m);
	if (!r) {
		if (rfs_s3_meta_to_stat(b, f, &m, st))
			rfs_s3_cache_stat_put(b->cache, f, st, false);
	} else if (r == -ENOENT) {
		r = stat_dir(b, key, f, st);
	}
out:
	rfs_buf_release(&full);
	return r;
}

int rfs_s3_check_parent(struct rfs_s3_backend *b, const char *key)
{
	size_t dl = rfs_path_dirlen(key);
	struct stat st;
	char *parent;
	int r;

	if (!dl)
		return 0;
	parent = strndup(key, dl);
	if (!parent)
		return -ENOMEM;
	r = rfs_s3_stat_key(b, parent, &st);
	if (!r && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	free(parent);
	return r;
}

void rfs_s3_invalidate_full(struct rfs_s3_backend *b, const char *full)
{
	char *dir = strdup(full);
	size_t dl;

	rfs_s3_fresh_drop(b, full);
	rfs_s3_cache_drop(b->cache, full);
	if (!dir) { /* cannot tell the ancestors: forget everything */
		rfs_s3_cache_drop_tree(b->cache, "");
		return;
	}
	for (;;) {
		dl = rfs_path_dirlen(dir);
		dir[dl] = '\0';
		rfs_s3_cache_drop_list(b->cache, dir);
		if (!dl)
			break;
	}
	/* An implied parent may have come: drop what was known of it,
	 * unless it was a directory already. It does not go when its last
	 * entry does: unlink, rmdir and rename give it a marker
	 * (rfs_s3_keep_parent()). */
	dl = rfs_path_dirlen(full);
	memcpy(dir, full, dl);
	dir[dl] = '\0';
	if (dl)
		rfs_s3_cache_drop_unless_dir(b->cache, dir);
	free(dir);
}

void rfs_s3_cache_made(struct rfs_s3_backend *b, const char *key,
		       const char *full, const struct rfs_s3_meta *made)
{
	struct stat st;

	if (!made || !*made->etag || !rfs_s3_meta_to_stat(b, full, made, &st)) {
		rfs_s3_invalidate(b, key);
		return;
	}
	rfs_s3_cache_drop(b->cache, full);
	rfs_s3_cache_head_put(b->cache, full, made);
	rfs_s3_attrs_put(b->attrs, full, made);
	rfs_s3_cache_stat_put(b->cache, full, &st, false);
	rfs_s3_cache_list_set(b->cache, full, &st);
}

void rfs_s3_invalidate(struct rfs_s3_backend *b, const char *key)
{
	struct rfs_buf full = RFS_BUF_INIT;

	if (rfs_s3_full_key(b, key, &full) == 0)
		rfs_s3_invalidate_full(b, rfs_buf_str(&full));
	else
		rfs_s3_cache_drop_tree(b->cache, "");
	rfs_buf_release(&full);
}

void rfs_s3_keep_parent(struct rfs_s3_backend *b, const char *key)
{
	struct rfs_buf marker = RFS_BUF_INIT;
	size_t dl = rfs_path_dirlen(key);
	struct rfs_s3_meta m;
	struct stat st;
	bool has_marker = false;
	char *parent;
	int r;

	if (!dl)
		return;
	parent = strndup(key, dl);
	if (!parent)
		return;
	r = rfs_s3_dir_prefix(b, parent, &marker);
	if (r < 0)
		goto out;
	rfs_buf_truncate(&marker, marker.len - 1); /* the directory's key */
	if (rfs_s3_cache_stat_get(b->cache, rfs_buf_str(&marker), &st,
				  &has_marker) &&
	    has_marker)
		goto out;
	rfs_buf_reset(&marker);
	r = rfs_s3_dir_has_children(b, parent, &has_marker);
	if (r != 0 || has_marker)
		goto out;
	/* the directory was only implied by what was just removed */
	rfs_s3_meta_new(&m, S_IFDIR | 0755);
	r = rfs_s3_dir_prefix(b, parent, &marker);
	if (!r)
		r = rfs_s3_put(b, rfs_buf_str(&marker), "", 0, &m, false);
	if (r < 0)
		rfs_log(LOG_DEBUG, "s3 '%s': cannot keep directory '%s': %s",
			b->name, parent, strerror(-r));
	rfs_s3_invalidate(b, parent);
out:
	rfs_buf_release(&marker);
	free(parent);
}

bool rfs_s3_files_stat(struct rfs_s3_backend *b, const char *full,
		       struct stat *st)
{
	struct rfs_s3_file *f;
	bool found = false;

	pthread_mutex_lock(&b->files->lock);
	for (f = b->files->head; f && !found; f = f->next) {
		struct rfs_s3_meta m;
		struct stat staged;

		/* full and unlinked change under the list's lock too: only
		 * the file asked for waits for its own lock */
		if (f->unlinked || strcmp(f->full, full))
			continue;
		pthread_mutex_lock(&f->lock);
		if (f->dirty && fstat(f->fd, &staged) == 0) {
			m = f->meta;
			m.size = staged.st_size;
			rfs_s3_meta_to_stat(b, full, &m, st);
			found = true;
		}
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&b->files->lock);
	return found;
}
