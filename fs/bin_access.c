/*
 * Who may do what in the bin, beside the kernel's checks of the modes it
 * shows (default_permissions): the bin's own folders are open to moves in
 * (the right to archive is the right to delete the source) and to
 * nothing else made in them, and a restore asked by a user other than
 * root goes only where that user may make files.
 */
#include "fs/bin.h"

#include "backends/backend.h"
#include "core/namespace.h"
#include "core/restore.h"
#include "index/entries.h"
#include "model/entry.h"
#include "util/log.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int rfs_fs_bin_refuse_new(struct req *q, const char *op, const char *path)
{
	struct bin_node bn;
	int r = rfs_fs_kind_refuse(q, op, path);

	if (q->uid != 0 && q->uid != q->st->uid &&
	    rfs_fs_bin_resolve(q, &bn) == 0 && bn.kind != BIN_ENTRY)
		r = -EACCES;
	return r;
}

/* Is the caller of @p who in group @p gid: its own group, or one of its
 * supplementary groups (as the kernel's own checks count them), read
 * from the "Groups:" line of its thread's /proc status? */
static bool in_group(const struct req *who, gid_t gid)
{
	char name[64], *line = NULL, *p, *end;
	bool in = gid == who->gid;
	size_t size = 0;
	FILE *f;

	if (in || who->pid <= 0)
		return in;
	snprintf(name, sizeof(name), "/proc/%ld/status", (long)who->pid);
	f = fopen(name, "re");
	if (!f)
		return false;
	while (!in && getline(&line, &size, f) > 0) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			in = g == (unsigned long)gid;
			if (in)
				break;
		}
		break;
	}
	free(line);
	fclose(f);
	return in;
}

/* Does the caller of @p who pass the mode @p sb shows for @p need (bits
 * of 07, as for others): the owner's bits when it owns it, else the
 * group's when it is in its group, else the others'? */
static bool mode_allows(const struct req *who, const struct stat *sb,
			mode_t need)
{
	if (sb->st_uid == who->uid)
		need <<= 6;
	else if (in_group(who, sb->st_gid))
		need <<= 3;
	return (sb->st_mode & need) == need;
}

/* May the caller of @p who make files at catalog path @p path (under an
 * epoch): write and search on it when it is a folder, else on the
 * nearest folder above it that exists, up to the epoch's root (what
 * mkdir -p there would need)? Asked of the epoch's storage, whose modes
 * the mount shows. */
static bool may_create_at(const struct req *who, const char *path)
{
	char rest[4096 + 256];
	struct rfs_backend *b;
	struct rfs_node n;
	struct stat sb;
	int r;

	if (rfs_namespace_resolve(who->snap->cat, path, &n) < 0 ||
	    n.kind != RFS_NODE_EPOCH ||
	    rfs_fs_epoch_backend(who->st, n.epoch, &b) < 0 ||
	    snprintf(rest, sizeof(rest), "%s", n.rest) >= (int)sizeof(rest))
		return false;
	for (;;) {
		r = rfs_backend_stat(b, rest, &sb);
		if (r != -ENOENT || !*rest)
			break;
		rest[rfs_path_dirlen(rest)] = '\0';
	}
	return r == 0 && S_ISDIR(sb.st_mode) && mode_allows(who, &sb, 03);
}

int rfs_fs_bin_restore_allowed(struct req *q, const char *path,
			       const struct rfs_restore_target *to)
{
	char origin[4096 + 256];
	struct rfs_entry e = { 0 };
	const char *why = NULL;
	struct bin_node bn;
	int r;

	if (q->uid == 0 || q->uid == q->st->uid)
		return 0;
	r = rfs_fs_bin_resolve(q, &bn);
	if (r < 0 || bn.kind != BIN_ENTRY)
		return r; /* refused as for anyone */
	pthread_mutex_lock(&q->st->wlock);
	r = rfs_index_entry_get(q->st->widx, bn.e->id, &e, NULL);
	pthread_mutex_unlock(&q->st->wlock);
	if (r < 0)
		return r;
	if (to->to || to->to_uri || to->overwrite)
		why = "a user other than root restores to the entry's origin "
		      "only, without overwriting ('origin')";
	else if (snprintf(origin, sizeof(origin), "%s%s%s", e.origin_path,
			  *bn.sub ? "/" : "", bn.sub) >= (int)sizeof(origin) ||
		 !may_create_at(q, origin))
		why = "its user may not make files at its origin";
	rfs_entry_release(&e);
	if (!why)
		return 0;
	rfs_log(LOG_WARNING, "restore of '%s' refused: %s", path, why);
	return -EACCES;
}
