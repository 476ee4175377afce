/*
 * The notices queue: what the kernel must drop of what it keeps (names,
 * attributes, listings, pages), queued by anyone and sent by the watcher
 * thread (fs/snap.c) with no lock held, so that no request waits on a
 * folder lock its own system call holds.
 */
#include "fs/internal.h"

#include <stdlib.h>
#include <string.h>

static void queue(struct rfs_fs_state *st, fuse_ino_t parent, fuse_ino_t ino,
		  const char *name)
{
	size_t len = name ? strlen(name) : 0;
	struct fs_notice *n = malloc(sizeof(*n) + len + 1);

	if (!n)
		return; /* the timeouts still bound what the kernel keeps */
	n->parent = parent;
	n->ino = ino;
	memcpy(n->name, name ? name : "", len + 1);
	pthread_mutex_lock(&st->notice_lock);
	n->next = st->notices;
	st->notices = n;
	pthread_cond_signal(&st->notice_cond);
	pthread_mutex_unlock(&st->notice_lock);
}

void rfs_fs_notify_entry(struct rfs_fs_state *st, fuse_ino_t parent,
			 const char *name)
{
	queue(st, parent, 0, name);
}

void rfs_fs_notify_inode(struct rfs_fs_state *st, fuse_ino_t ino)
{
	queue(st, 0, ino, NULL);
}

void rfs_fs_notify_send(struct rfs_fs_state *st, struct fs_notice *n)
{
	struct fs_notice *next;

	for (; n; n = next) {
		next = n->next;
		if (n->parent)
			fuse_lowlevel_notify_inval_entry(
				st->se, n->parent, n->name, strlen(n->name));
		else
			fuse_lowlevel_notify_inval_inode(st->se, n->ino, 0, 0);
		free(n);
	}
}
