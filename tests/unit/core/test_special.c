/*
 * Special files (FIFOs, UNIX sockets, character and block devices)
 * through archive and restore on the memory backend: the manifest records
 * each one's type, mode, owner, times and device number; a bin that keeps
 * special files holds them as they were; one that keeps none (an object
 * store) refuses them at the snapshot, before any copy; a restore makes
 * them again (from the manifest's rows) where the target keeps them and
 * is refused up front where it keeps none.
 */
#include "archive_fixture.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/archive.h"
#include "core/manifest.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/restores.h"
#include "util/clock.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

TestSuite(core_special, .timeout = 120);

#define ITEM "dt=1"

static struct afx f;

/* A partition with files, links, folders and one special file of each
 * type, settled (known times). */
static void make_item(enum afx_layout layout)
{
	afx_open(&f, layout);
	afx_tree(&f, ITEM);
	afx_specials(&f, ITEM);
	afx_settle(&f);
}

static void archives(enum afx_layout layout)
{
	struct rfs_entry e = { 0 };

	make_item(layout);
	/* afx_archive() checks the bin (type, device, owner, mode, mtime of
	 * each), the manifest's rows (rdev, owner) and the source (gone) */
	afx_archive(&f, ITEM, &e);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_special, archives_fifos_sockets_and_devices_on_the_same_store)
{
	archives(AFX_SHARED);
}

Test(core_special, archives_fifos_sockets_and_devices_to_another_store)
{
	archives(AFX_SPLIT);
}

/* The manifest of such an entry is version 2 and names type and device;
 * one without special files stays version 1 (older builds read it). */
Test(core_special, the_manifest_records_type_and_device_as_version_2)
{
	struct rfs_entry e = { 0 }, plain = { 0 };
	struct rfs_file *file = NULL;
	char key[128], *text;
	ssize_t n;

	make_item(AFX_SPLIT);
	afx_dir(&f, "dt=2", 0755);
	afx_file(&f, "dt=2/x", 10, 0644);
	afx_settle(&f);
	afx_archive(&f, ITEM, &e);
	afx_archive(&f, "dt=2", &plain);
	text = calloc(1, 1 << 16);
	cr_assert_not_null(text);
	rfs_manifest_key(e.uuid, key, sizeof(key));
	cr_assert_eq(rfs_backend_open_file(f.bin, key, O_RDONLY, 0, &file), 0);
	n = rfs_file_read(file, text, (1 << 16) - 1, 0);
	rfs_file_close(file);
	cr_assert_gt(n, 0);
	cr_assert(strstr(text, "\"version\":2,"), "%.200s", text);
	cr_assert(strstr(text, "{\"path\":\"fifo\",\"type\":\"fifo\","), "%s",
		  text);
	cr_assert(strstr(text, "{\"path\":\"sock\",\"type\":\"socket\","), "%s",
		  text);
	cr_assert(strstr(text, "\"type\":\"chardev\","), "%s", text);
	cr_assert(strstr(text, "\"uid\":0,\"gid\":5,\"rdev\":{\"major\":4,"
			       "\"minor\":64}}"),
		  "%s", text);
	cr_assert(strstr(text, "\"type\":\"blockdev\","), "%s", text);
	cr_assert(strstr(text, "\"rdev\":{\"major\":7,\"minor\":300}}"), "%s",
		  text);
	cr_assert(strstr(text, "\"mode\":\"0640\",\"uid\":1001,\"gid\":2002}"),
		  "the FIFO's row: %s", text);
	memset(text, 0, 1 << 16);
	rfs_manifest_key(plain.uuid, key, sizeof(key));
	cr_assert_eq(rfs_backend_open_file(f.bin, key, O_RDONLY, 0, &file), 0);
	n = rfs_file_read(file, text, (1 << 16) - 1, 0);
	rfs_file_close(file);
	cr_assert_gt(n, 0);
	cr_assert(strstr(text, "\"version\":1,"), "%.200s", text);
	cr_assert_null(strstr(text, "rdev"));
	free(text);
	rfs_entry_release(&e);
	rfs_entry_release(&plain);
	afx_close(&f);
}

/* A bin that keeps no special files (an object store): the job fails at
 * its snapshot, before any copy, naming the first special file and the
 * bin; the source is untouched, the bin and the manifest hold nothing; a
 * retry fails the same way. */
Test(core_special, a_bin_without_special_files_refuses_them_at_snapshot)
{
	struct rfs_entry e = { 0 };
	int64_t rows = -1;
	struct stat st;

	make_item(AFX_SPLIT_PLAIN);
	cr_assert_not(rfs_backend_has(f.bin, RFS_BACKEND_CAP_SPECIAL));
	afx_begin(&f, ITEM, &e);
	for (int run = 0; run < 2; run++) {
		cr_assert_eq(afx_run(&f, e.id, NULL), -EPERM, "%s", f.err.msg);
		rfs_entry_release(&e);
		afx_get(&f, 1, &e);
		cr_assert_eq(e.state, RFS_ENTRY_FAILED);
		cr_assert_eq(e.failed_step, RFS_ENTRY_SNAPSHOT);
		cr_assert(e.reason, "no reason");
		cr_assert(strstr(e.reason, "'" AFX_E "/" ITEM "/") &&
				  (strstr(e.reason, "' is a FIFO: ") ||
				   strstr(e.reason, "' is a socket: ") ||
				   strstr(e.reason,
					  "' is a character device: ") ||
				   strstr(e.reason, "' is a block device: ")),
			  "reason: %s", e.reason);
		cr_assert(strstr(e.reason, ": the recycle storage 'mem://"),
			  "reason: %s", e.reason);
		cr_assert(strstr(e.reason, "/bin' keeps no special files"),
			  "the URI, without its query: %s", e.reason);
		cr_assert(strstr(e.reason, "; nothing was changed"), "%s",
			  e.reason);
		cr_assert_null(strchr(e.reason, '\n'), "one line: %s",
			       e.reason);
		/* nothing copied, nothing listed, the source as it was */
		cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/" ITEM, &st),
			     -ENOENT);
		cr_assert_eq(rfs_index_file_count(f.idx, e.id, -1, &rows, NULL,
						  &f.err),
			     0, "%s", f.err.msg);
		cr_assert_eq(rows, 0);
		afx_check_source(&f, ITEM);
		if (run == 0)
			cr_assert_eq(rfs_archive_retry(f.idx, e.id, &f.err), 0,
				     "%s", f.err.msg);
	}
	rfs_entry_release(&e);
	afx_close(&f);
}

/* An item that is itself a special file is refused at once: no entry. */
Test(core_special, a_special_file_alone_is_refused_at_once_by_such_a_bin)
{
	struct rfs_entry e = { 0 };
	int r;

	make_item(AFX_SPLIT_PLAIN);
	r = rfs_archive_begin(f.idx, AFX_E "/" ITEM "/fifo", NULL, &e, &f.err);
	cr_assert_eq(r, -EPERM, "%d %s", r, f.err.msg);
	cr_assert(strstr(f.err.msg, "'" AFX_E "/" ITEM "/fifo' is a FIFO: "
				    "the recycle storage 'mem://"),
		  "%s", f.err.msg);
	cr_assert_eq(afx_count_entries(&f), 0);
	afx_check_source(&f, ITEM);
	/* a bin that keeps them takes it */
	afx_close(&f);
	make_item(AFX_SPLIT);
	afx_begin(&f, ITEM "/fifo", &e);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* ------------------------------------------------------------ restores */

static int64_t begin(const struct rfs_restore_target *to)
{
	struct rfs_restore r = { 0 };
	int64_t id;

	cr_assert_eq(rfs_restore_begin(f.idx, AFX_E "/" ITEM, to, false, NULL,
				       &r, &f.err),
		     0, "%s", f.err.msg);
	id = r.id;
	rfs_restore_release(&r);
	return id;
}

static int run(int64_t id)
{
	rfs_error_clear(&f.err);
	return rfs_restore_run(f.idx, id, NULL, &f.err);
}

/* ctime and inode of each special node of the item, to see a rerun change
 * nothing. */
struct seen {
	struct timespec ctime[16];
	ino_t ino[16];
};

static void look(struct rfs_backend *b, struct seen *s)
{
	struct stat st;
	int k = 0;

	for (size_t i = 0; i < f.n && k < 16; i++) {
		if (f.nodes[i].type != RFS_FILE_FIFO &&
		    f.nodes[i].type != RFS_FILE_SOCK &&
		    f.nodes[i].type != RFS_FILE_CHR &&
		    f.nodes[i].type != RFS_FILE_BLK)
			continue;
		cr_assert_eq(rfs_backend_stat(b, f.nodes[i].path, &st), 0);
		s->ctime[k] = st.st_ctim;
		s->ino[k++] = st.st_ino;
	}
	cr_assert_eq(k, 4);
}

/* Remove the special files from the bin, as an archive made into a bin
 * that keeps none (by a build before such bins refused them) left it: the
 * manifest alone keeps them. */
static void drop_from_bin(void)
{
	char key[256];

	for (size_t i = 0; i < f.n; i++) {
		if (!rfs_file_type_special(f.nodes[i].type))
			continue;
		snprintf(key, sizeof(key), AFX_E "/%s", f.nodes[i].path);
		cr_assert_eq(rfs_backend_unlink(f.bin, key), 0, "%s", key);
	}
}

static void restores_from(enum afx_layout layout, bool manifest_only)
{
	struct rfs_restore_target again = { .overwrite = false };
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	struct seen one, two;
	int64_t id;

	make_item(layout);
	afx_archive(&f, ITEM, &e);
	if (manifest_only)
		drop_from_bin();
	id = begin(NULL);
	cr_assert_eq(run(id), 0, "%s", f.err.msg);
	cr_assert_eq(rfs_index_restore_get(f.idx, id, &r, &f.err), 0);
	cr_assert_eq(r.state, RFS_RESTORE_DONE);
	cr_assert_null(r.reason, "%s", r.reason);
	rfs_restore_release(&r);
	/* type, device, owner, mode and mtime of each, as archived */
	afx_check_source(&f, ITEM);
	look(f.src, &one);
	/* a second restore to the same place finds everything there */
	usleep(20000);
	id = begin(&again);
	cr_assert_eq(run(id), 0, "%s", f.err.msg);
	afx_check_source(&f, ITEM);
	look(f.src, &two);
	for (int k = 0; k < 4; k++) {
		cr_assert_eq(one.ino[k], two.ino[k],
			     "special file %d made again", k);
		cr_assert_eq(one.ctime[k].tv_sec, two.ctime[k].tv_sec);
		cr_assert_eq(one.ctime[k].tv_nsec, two.ctime[k].tv_nsec,
			     "special file %d changed by the rerun", k);
	}
	rfs_entry_release(&e);
	afx_close(&f);
}

static void restores(enum afx_layout layout)
{
	restores_from(layout, false);
}

Test(core_special, restores_them_with_mode_owner_times_and_device)
{
	restores(AFX_SPLIT);
}

Test(core_special, restores_them_from_a_bin_on_the_same_store)
{
	restores(AFX_SHARED);
}

/* From a bin that does not hold them, the manifest's rows make them
 * again. */
Test(core_special, restores_them_from_the_manifest_alone)
{
	restores_from(AFX_SPLIT, true);
}

/* A target that keeps no special files (an object store): a restore of
 * a part that holds some is refused up front, naming the first one and
 * the target, and records nothing; a part without any is restored. */
Test(core_special, a_restore_to_a_target_without_them_refuses_up_front)
{
	char uri[160], out[96];
	struct rfs_restore_target to = { .to_uri = uri };
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	struct rfs_backend *dst = NULL;
	struct stat st;
	char sha[RFS_SHA256_HEX_LEN];
	int rc;

	make_item(AFX_SPLIT);
	afx_archive(&f, ITEM, &e);
	snprintf(out, sizeof(out), "rfsout%d", (int)getpid());
	snprintf(uri, sizeof(uri), "mem://%s/out?special=no", out);
	for (int dry = 0; dry < 2; dry++) {
		rfs_error_clear(&f.err);
		rc = rfs_restore_begin(f.idx, AFX_E "/" ITEM, &to, dry, NULL,
				       &r, &f.err);
		cr_assert_eq(rc, -EPERM, "%d %s", rc, f.err.msg);
		cr_assert(strstr(f.err.msg, "'" AFX_E "/" ITEM "/") &&
				  strstr(f.err.msg, ": the restore target "
						    "'mem://rfsout") &&
				  strstr(f.err.msg, "/out' keeps no special "
						    "files") &&
				  strstr(f.err.msg, "nothing was changed"),
			  "%s", f.err.msg);
	}
	/* nothing recorded, nothing written */
	cr_assert_eq(rfs_index_restore_get(f.idx, 1, &r, &f.err), -ENOENT);
	cr_assert_eq(rfs_backend_open(uri, &dst, NULL), 0);
	cr_assert_eq(rfs_backend_stat(dst, "dt=1", &st), -ENOENT);
	/* a part without special files goes there */
	rfs_error_clear(&f.err);
	cr_assert_eq(rfs_restore_begin(f.idx, AFX_E "/" ITEM "/sub/a.bin", &to,
				       false, NULL, &r, &f.err),
		     0, "%s", f.err.msg);
	cr_assert_eq(run(r.id), 0, "%s", f.err.msg);
	rfs_restore_release(&r);
	cr_assert_eq(afx_hash(dst, "a.bin", sha), 0);
	cr_assert_str_eq(sha, afx_node(&f, ITEM "/sub/a.bin")->sha);
	rfs_backend_free(dst);
	rfs_mem_reset(out);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* ------------------------------------------------- changes to the source */

/* The FIFO becomes a socket while the job syncs: verify stops it, the
 * source keeps the socket. */
static void swap_fifo(void *ctx, const struct rfs_entry *e)
{
	int *done = ctx;
	struct afx_node *n = afx_node(&f, ITEM "/fifo");

	if (*done || e->state != RFS_ENTRY_SYNC)
		return;
	*done = 1;
	cr_assert_eq(rfs_backend_unlink(f.src, n->path), 0);
	cr_assert_eq(rfs_backend_mknod(f.src, n->path, S_IFSOCK | 0640, 0), 0);
	cr_assert_eq(rfs_backend_chown(f.src, n->path, n->uid, n->gid), 0);
	n->type = RFS_FILE_SOCK;
	afx_settle(&f);
}

Test(core_special, fails_when_a_special_file_changes_type_during_sync)
{
	int done = 0;
	struct rfs_job_opts o = { .progress = swap_fifo,
				  .progress_ctx = &done };
	struct rfs_entry e = { 0 };

	make_item(AFX_SHARED);
	afx_begin(&f, ITEM, &e);
	cr_assert_lt(afx_run(&f, e.id, &o), 0, "a changed source was archived");
	cr_assert_eq(done, 1);
	rfs_entry_release(&e);
	afx_get(&f, 1, &e);
	cr_assert_eq(e.state, RFS_ENTRY_FAILED);
	cr_assert_eq(e.failed_step, RFS_ENTRY_VERIFY);
	cr_assert(e.reason && strstr(e.reason, AFX_E "/" ITEM "/fifo") &&
			  strstr(e.reason, "changed since the snapshot"),
		  "reason: %s", e.reason);
	afx_check_source(&f, ITEM);
	/* a retry archives the socket */
	afx_finish(&f, e.id);
	afx_check_archived_id(&f, e.id);
	rfs_entry_release(&e);
	afx_close(&f);
}

static void stop_at_progress(void *ctx, const struct rfs_entry *e)
{
	(void)e;
	*(volatile int *)ctx = 1;
}

/* Between verify and delete another file takes a FIFO's name: the
 * delete keeps it and says so; the bin holds the FIFO. */
Test(core_special, keeps_what_replaced_a_special_file_after_verification)
{
	volatile int stop = 0;
	struct rfs_job_opts o = { .stop = &stop,
				  .progress = stop_at_progress,
				  .progress_ctx = (void *)&stop };
	struct rfs_entry e = { 0 };
	struct afx_node fifo;
	struct stat st;

	make_item(AFX_SHARED);
	afx_begin(&f, ITEM, &e);
	cr_assert_eq(afx_run(&f, e.id, &o), -EINTR, "%s", f.err.msg);
	stop = 0;
	cr_assert_eq(afx_run(&f, e.id, &o), -EINTR, "%s", f.err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_VERIFY);
	fifo = *afx_node(&f, ITEM "/fifo");
	cr_assert_eq(rfs_backend_unlink(f.src, fifo.path), 0);
	cr_assert_eq(rfs_backend_mknod(f.src, fifo.path, S_IFCHR | 0600,
				       makedev(1, 3)),
		     0);
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	rfs_entry_release(&e);
	afx_get(&f, 1, &e);
	cr_assert_eq(e.state, RFS_ENTRY_ARCHIVED);
	cr_assert(e.reason && strstr(e.reason, "'fifo'"), "reason: %s",
		  e.reason ? e.reason : "(none)");
	/* the device stays in the source, the FIFO is in the bin */
	cr_assert_eq(rfs_backend_stat(f.src, fifo.path, &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
	cr_assert(afx_holds(f.bin, AFX_E "/" ITEM "/fifo", &fifo));
	rfs_entry_release(&e);
	afx_close(&f);
}

/* Between sync and verify the bin's copy of a device becomes another
 * file: verify stops the job, the source untouched; a retry copies again
 * and the archive ends with the device in the bin. */
Test(core_special, verify_refuses_a_bin_copy_of_another_type)
{
	volatile int stop = 0;
	struct rfs_job_opts o = { .stop = &stop,
				  .progress = stop_at_progress,
				  .progress_ctx = (void *)&stop };
	struct rfs_entry e = { 0 };
	struct rfs_file *file = NULL;
	const char *key = AFX_E "/" ITEM "/sub/tty";

	make_item(AFX_SPLIT);
	afx_begin(&f, ITEM, &e);
	cr_assert_eq(afx_run(&f, e.id, &o), -EINTR, "%s", f.err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_SYNC);
	cr_assert(afx_holds(f.bin, key, afx_node(&f, ITEM "/sub/tty")));
	cr_assert_eq(rfs_backend_unlink(f.bin, key), 0);
	cr_assert_eq(rfs_backend_open_file(f.bin, key, O_CREAT | O_WRONLY, 0644,
					   &file),
		     0);
	cr_assert_eq(rfs_file_close(file), 0);
	cr_assert_eq(afx_run(&f, e.id, NULL), -EBADMSG, "%s", f.err.msg);
	cr_assert(strstr(f.err.msg, "the copy of '" AFX_E "/" ITEM
				    "/sub/tty' is not the character device "
				    "of its source"),
		  "%s", f.err.msg);
	afx_check_source(&f, ITEM);
	afx_finish(&f, e.id);
	afx_check_archived_id(&f, e.id);
	rfs_entry_release(&e);
	afx_close(&f);
}
