/*
 * core/archive + core/job: the archive engine end to end on memory
 * storage and a temporary index: happy paths, validation, changing
 * sources, parallel copies, the metastore hook and purge. Faults and
 * crashes: test_archive_faults.c; reindex: test_reindex.c.
 */
#include "archive_fixture.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/archive.h"
#include "model/date.h"
#include "core/edit.h"
#include "core/manifest.h"
#include "core/ports.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/clock.h"
#include "util/path.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(core_archive, .timeout = 60);

static struct afx f;

Test(core_archive, archives_a_partition_with_folders_links_and_empty_ones)
{
	struct rfs_entry e = { 0 };

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_dir(&f, "dt=2", 0755);
	afx_file(&f, "dt=2/part-00000.parquet", 4096, 0644);
	afx_settle(&f);
	afx_begin(&f, "dt=1", &e);
	cr_assert_eq(e.state, RFS_ENTRY_SNAPSHOT);
	cr_assert_str_eq(e.bin_path, AFX_E "/dt=1");
	cr_assert_str_eq(e.origin_path, AFX_E "/dt=1");
	cr_assert_str_eq(e.item_key, "dt=1");
	cr_assert(e.is_dir);
	cr_assert_str_eq(e.lease_owner, rfs_job_owner_self());
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	rfs_entry_release(&e);
	afx_get(&f, 1, &e);
	afx_check_archived(&f, &e);
	cr_assert_eq(e.files_done, e.files_total);
	cr_assert_eq(e.bytes_done, e.bytes_total);
	cr_assert_null(e.lease_owner, "the lease was not released");
	cr_assert_null(e.reason);
	cr_assert(afx_history_has(&f, "archive", AFX_E "/dt=1"));
	/* the sibling partition is untouched */
	afx_check_source(&f, "dt=2");
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive, streams_copies_to_a_bin_on_another_store)
{
	afx_open(&f, AFX_SPLIT);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	afx_archive(&f, "dt=1", NULL);
	cr_assert_eq(rfs_mem_calls(f.store, RFS_MEM_OP_COPY), 0);
	afx_close(&f);
}

Test(core_archive, archives_a_single_file)
{
	struct rfs_entry e = { 0 };

	afx_open(&f, AFX_SHARED);
	afx_dir(&f, "dt=1", 0755);
	afx_file(&f, "dt=1/part-00000.parquet", 300000, 0640);
	afx_file(&f, "dt=1/part-00001.parquet", 10, 0644);
	afx_settle(&f);
	afx_archive(&f, "dt=1/part-00000.parquet", &e);
	cr_assert_not(e.is_dir);
	cr_assert_str_eq(e.bin_path, AFX_E "/dt=1/part-00000.parquet");
	cr_assert_eq(e.files_total, 1);
	cr_assert_eq(e.bytes_total, 300000);
	/* its folder and its neighbour stay */
	afx_check_source(&f, "dt=1/part-00001.parquet");
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive, archives_a_whole_epoch_keeping_its_root)
{
	struct rfs_entry e = { 0 };

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_dir(&f, "dt=2", 0700);
	afx_file(&f, "dt=2/x.csv", 77777, 0600);
	afx_file(&f, "top.csv", 12, 0644);
	afx_settle(&f);
	afx_archive(&f, "", &e);
	cr_assert_str_eq(e.bin_path, AFX_E);
	cr_assert_str_eq(e.item_key, "");
	cr_assert(afx_history_has(&f, "archive", AFX_E));
	rfs_entry_release(&e);
	afx_close(&f);
}

/* begin() on @p origin fails with @p code and inserts nothing. */
static void refused(const char *origin, int code)
{
	struct rfs_entry e = { 0 };
	int before = afx_count_entries(&f);
	int r;

	rfs_error_clear(&f.err);
	r = rfs_archive_begin(f.idx, origin, rfs_job_owner_self(), &e, &f.err);
	cr_assert_eq(r, -code, "'%s': %d, not %d (%s)", origin, r, -code,
		     f.err.msg);
	cr_assert_neq(f.err.msg[0], '\0', "'%s': no reason", origin);
	cr_assert_eq(e.id, 0);
	cr_assert_eq(afx_count_entries(&f), before, "'%s' inserted", origin);
}

Test(core_archive, refuses_what_is_not_under_an_epoch)
{
	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	refused(AFX_TABLE, EPERM);
	refused(AFX_TABLE "/" AFX_LC, EPERM);
	refused(AFX_TABLE "/" AFX_LC "/", EPERM);
	refused("", EPERM);
	refused("/", EPERM);
	cr_assert_eq(afx_count_entries(&f), 0);
	afx_close(&f);
}

Test(core_archive, refuses_unknown_and_malformed_paths)
{
	struct stat st;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	refused("nope", ENOENT);
	refused(AFX_TABLE "/nope", ENOENT);
	refused(AFX_TABLE "/" AFX_LC "/nope", ENOENT);
	refused(AFX_E "/missing", ENOENT);
	refused(AFX_E "/dt=1/sub/missing", ENOENT);
	refused("../x", EINVAL);
	refused(AFX_E "/../x", EINVAL);
	refused(AFX_E "/dt=1/../../x", EINVAL);
	refused(AFX_E "/./dt=1", EINVAL);
	/* names are data: any byte but '/' and NUL; these are just not
	 * there */
	refused(AFX_E "/dt=1\nx", ENOENT);
	refused(AFX_E "/dt=\xff", ENOENT);
	cr_assert_eq(afx_count_entries(&f), 0);
	/* nothing was touched: no bin, the source as it was */
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_TABLE, &st), -ENOENT);
	afx_check_source(&f, "");
	afx_close(&f);
}

/* A lifecycle "raw" whose epoch is the root of storage "m2"
 * (mem://STORE/root), which holds that storage's default bin at
 * ".recyclebin" (with something in it) and a file. An epoch at the root
 * of "m" would contain the bronze epoch's folder: refused. */
#define RAW_E AFX_TABLE "/raw/2013-01-01..now"

static struct rfs_backend *root_bin;

static void add_root_epoch(void)
{
	struct rfs_backend *root;
	struct rfs_file *fh;
	char uri[128];
	int32_t from;

	snprintf(uri, sizeof(uri), "mem://%s/root", f.store);
	cr_assert_eq(rfs_edit_storage_add(f.idx, "m2", uri, NULL, &f.err), 0,
		     "%s", f.err.msg);
	cr_assert_eq(rfs_ports_open(uri, &root, &f.err), 0, "%s", f.err.msg);
	/* storage add made the bin already: its catalog journal is there */
	cr_assert_eq(rfs_backend_mkdir(root, ".recyclebin", 0755), -EEXIST);
	cr_assert_eq(rfs_backend_mkdir(root, ".recyclebin/old", 0755), 0);
	cr_assert_eq(rfs_backend_open_file(root, "x.parquet",
					   O_CREAT | O_WRONLY, 0644, &fh),
		     0);
	cr_assert_eq(rfs_file_write(fh, "xyz", 3, 0), 3);
	cr_assert_eq(rfs_file_close(fh), 0);
	rfs_backend_free(root);
	snprintf(uri, sizeof(uri), "mem://%s/root/.recyclebin", f.store);
	cr_assert_eq(rfs_ports_open(uri, &root_bin, &f.err), 0, "%s",
		     f.err.msg);
	cr_assert_eq(
		rfs_edit_lifecycle_add(f.idx, AFX_TABLE, "raw", -1, &f.err), 0,
		"%s", f.err.msg);
	cr_assert_eq(rfs_date_parse("from", "2013-01-01", &from, &f.err), 0);
	cr_assert_eq(rfs_edit_epoch_add(f.idx, AFX_TABLE, "raw", from,
					RFS_DATE_NOW, "m2", "", 0, &f.err),
		     0, "%s", f.err.msg);
}

Test(core_archive, refuses_the_storage_bin_inside_an_epoch)
{
	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	add_root_epoch();
	afx_archive(&f, "dt=1", NULL);
	refused(RAW_E "/.recyclebin", EPERM);
	refused(RAW_E "/.recyclebin/old", EPERM);
	rfs_backend_free(root_bin);
	afx_close(&f);
}

Test(core_archive, archives_an_epoch_that_holds_the_storage_bin)
{
	struct rfs_entry e1 = { 0 }, e2 = { 0 };
	struct stat st;
	int r;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	add_root_epoch();
	afx_archive(&f, "dt=1", &e1);
	cr_assert_eq(rfs_archive_begin(f.idx, RAW_E, rfs_job_owner_self(), &e2,
				       &f.err),
		     0, "%s", f.err.msg);
	r = afx_run(&f, e2.id, NULL);
	cr_assert_eq(r, 0, "%d %s", r, f.err.msg);
	/* the bin was neither archived into itself nor deleted */
	cr_assert_eq(rfs_backend_stat(root_bin, RAW_E "/.recyclebin", &st),
		     -ENOENT, "the bin was archived into itself");
	cr_assert_eq(rfs_backend_stat(root_bin, "old", &st), 0,
		     "the bin was deleted");
	cr_assert_eq(rfs_backend_stat(root_bin, RAW_E "/x.parquet", &st), 0);
	rfs_backend_free(root_bin);
	rfs_entry_release(&e1);
	afx_get(&f, 1, &e1);
	afx_check_archived(&f, &e1);
	rfs_entry_release(&e1);
	rfs_entry_release(&e2);
	afx_close(&f);
}

Test(core_archive, refuses_an_item_or_its_relatives_while_archiving)
{
	struct rfs_entry e = { 0 }, e2 = { 0 };
	struct rfs_error err = { 0 };

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_dir(&f, "dt=2", 0755);
	afx_file(&f, "dt=2/y", 3, 0644);
	afx_settle(&f);
	afx_begin(&f, "dt=1", &e);
	refused(afx_origin("dt=1"), EBUSY);
	cr_assert(strstr(f.err.msg, "being archived"), "%s", f.err.msg);
	refused(afx_origin("dt=1/sub"), EBUSY);
	refused(afx_origin("dt=1/sub/deep/b.txt"), EBUSY);
	refused(afx_origin(""), EBUSY);
	/* a sibling is fine */
	afx_begin(&f, "dt=2", &e2);
	cr_assert_eq(afx_count_entries(&f), 2);
	/* a failed archive also holds its place until retried or purged */
	rfs_mem_fail_nth(f.store, RFS_MEM_OP_COPY, 1, EIO);
	cr_assert_lt(afx_run(&f, e.id, NULL), 0);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_FAILED);
	refused(afx_origin("dt=1"), EBUSY);
	/* purge refuses an entry still archiving */
	cr_assert_eq(rfs_purge_begin(f.idx, e2.id, &err), -EBUSY);
	cr_assert_eq(afx_state(&f, e2.id), RFS_ENTRY_SNAPSHOT);
	rfs_entry_release(&e);
	rfs_entry_release(&e2);
	afx_close(&f);
}

Test(core_archive, reports_an_archived_item_as_already_archived)
{
	struct rfs_entry e = { 0 }, again = { 0 };
	struct rfs_error err = { 0 };
	int r;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	afx_archive(&f, "dt=1", &e);
	r = rfs_archive_begin(f.idx, afx_origin("dt=1"), rfs_job_owner_self(),
			      &again, &err);
	cr_assert_eq(r, -EALREADY, "%d %s", r, err.msg);
	cr_assert_eq(again.id, e.id);
	cr_assert_eq(again.state, RFS_ENTRY_ARCHIVED);
	cr_assert_str_eq(again.bin_path, e.bin_path);
	cr_assert(strstr(err.msg, e.bin_path), "%s", err.msg);
	cr_assert_eq(afx_count_entries(&f), 1);
	rfs_entry_release(&e);
	rfs_entry_release(&again);
	afx_close(&f);
}

/* Forget the nodes under @p item (archived; the checks are done). */
static void forget(const char *item)
{
	size_t w = 0;

	for (size_t i = 0; i < f.n; i++)
		if (!rfs_path_is_under(f.nodes[i].path, item) ||
		    !*f.nodes[i].path)
			f.nodes[w++] = f.nodes[i];
	f.n = w;
}

Test(core_archive, numbers_a_second_archive_of_the_same_path)
{
	struct rfs_entry e1 = { 0 }, e2 = { 0 }, e3 = { 0 };
	char sha[RFS_SHA256_HEX_LEN], first[RFS_SHA256_HEX_LEN];

	afx_open(&f, AFX_SHARED);
	afx_dir(&f, "dt=1", 0755);
	afx_file(&f, "dt=1/p.parquet", 777, 0644);
	afx_settle(&f);
	strcpy(first, afx_node(&f, "dt=1/p.parquet")->sha);
	afx_archive(&f, "dt=1", &e1);
	cr_assert_str_eq(e1.bin_path, AFX_E "/dt=1");
	forget("dt=1");

	/* the same path again, other data */
	afx_dir(&f, "dt=1", 0755);
	afx_file(&f, "dt=1/q.parquet", 4321, 0644);
	afx_settle(&f);
	afx_archive(&f, "dt=1", &e2);
	cr_assert_str_eq(e2.bin_path, AFX_E "/dt=1.~2~");
	forget("dt=1");

	afx_dir(&f, "dt=1", 0755);
	afx_file(&f, "dt=1/r.parquet", 1, 0644);
	afx_settle(&f);
	afx_archive(&f, "dt=1", &e3);
	cr_assert_str_eq(e3.bin_path, AFX_E "/dt=1.~3~");

	/* every one stays archived and intact */
	cr_assert_eq(afx_state(&f, e1.id), RFS_ENTRY_ARCHIVED);
	cr_assert_eq(afx_state(&f, e2.id), RFS_ENTRY_ARCHIVED);
	cr_assert_eq(afx_hash(f.bin, AFX_E "/dt=1/p.parquet", sha), 0);
	cr_assert_str_eq(sha, first);
	cr_assert_eq(afx_hash(f.bin, AFX_E "/dt=1.~2~/q.parquet", sha), 0);
	/* the newest is what the origin path finds */
	{
		struct rfs_entry found = { 0 };
		struct rfs_error err = { 0 };

		/* an origin path names the newest version; the bin path
		 * of the first names the first */
		cr_assert_eq(
			rfs_entry_find(f.idx, afx_origin("dt=1"), &found, &err),
			0, "%s", err.msg);
		cr_assert_eq(found.id, e3.id);
		rfs_entry_release(&found);
		cr_assert_eq(rfs_entry_find(f.idx, ".recyclebin/" AFX_E "/dt=1",
					    &found, &err),
			     0, "%s", err.msg);
		cr_assert_eq(found.id, e1.id);
		rfs_entry_release(&found);
		cr_assert_eq(rfs_entry_find(f.idx,
					    ".recyclebin/" AFX_E "/dt=1.~2~",
					    &found, &err),
			     0, "%s", err.msg);
		cr_assert_eq(found.id, e2.id);
		rfs_entry_release(&found);
	}
	rfs_entry_release(&e1);
	rfs_entry_release(&e2);
	rfs_entry_release(&e3);
	afx_close(&f);
}

Test(core_archive, numbers_the_epoch_when_a_partition_is_in_the_bin)
{
	struct rfs_entry e1 = { 0 }, e2 = { 0 };
	char sha[RFS_SHA256_HEX_LEN];

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_dir(&f, "dt=2", 0755);
	afx_file(&f, "dt=2/x", 999, 0644);
	afx_settle(&f);
	afx_archive(&f, "dt=1", &e1);
	/* the epoch's entry holds only what was left: dt=2; the root's
	 * mtime moved when dt=1 left */
	forget("dt=1");
	afx_settle(&f);
	afx_begin(&f, "", &e2);
	cr_assert_str_eq(e2.bin_path, AFX_E ".~2~");
	cr_assert_eq(afx_run(&f, e2.id, NULL), 0, "%s", f.err.msg);
	afx_check_archived_id(&f, e2.id);
	cr_assert_eq(afx_state(&f, e1.id), RFS_ENTRY_ARCHIVED);
	cr_assert_eq(afx_hash(f.bin, AFX_E "/dt=1/sub/a.bin", sha), 0);
	cr_assert_eq(afx_hash(f.bin, AFX_E ".~2~/dt=2/x", sha), 0);
	rfs_entry_release(&e1);
	rfs_entry_release(&e2);
	afx_close(&f);
}

/* Source changes made from the progress callback, the first time it is
 * called while the job syncs (after the first batch was copied). */
enum change { GROW, TOUCH, APPEAR };

struct changer {
	enum change how;
	int done;
};

static void change_source(void *ctx, const struct rfs_entry *e)
{
	struct changer *c = ctx;

	if (c->done || e->state != RFS_ENTRY_SYNC)
		return;
	c->done = 1;
	switch (c->how) {
	case GROW:
		afx_rewrite(&f, "dt=1/sub/a.bin", 150001);
		break;
	case TOUCH:
		afx_touch(&f, "dt=1/sub/a.bin",
			  afx_node(&f, "dt=1/sub/a.bin")->mtime_ns + 1);
		break;
	case APPEAR:
		afx_file(&f, "dt=1/sub/late.parquet", 64, 0644);
		afx_settle(&f);
		break;
	}
}

static void changed_during_sync(enum change how, const char *what)
{
	struct changer c = { how, 0 };
	struct rfs_job_opts o = { .progress = change_source,
				  .progress_ctx = &c };
	struct rfs_entry e = { 0 };
	int r;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	afx_begin(&f, "dt=1", &e);
	r = afx_run(&f, e.id, &o);
	cr_assert_eq(c.done, 1, "the progress callback never ran in sync");
	cr_assert_lt(r, 0, "a changed source was archived");
	rfs_entry_release(&e);
	afx_get(&f, 1, &e);
	cr_assert_eq(e.state, RFS_ENTRY_FAILED);
	cr_assert_eq(e.failed_step, RFS_ENTRY_VERIFY, "failed at %s",
		     rfs_entry_state_name(e.failed_step));
	cr_assert_not_null(e.reason);
	cr_assert(strstr(e.reason, what), "reason: %s", e.reason);
	cr_assert(strstr(e.reason, how == APPEAR ? "appeared" : "changed"),
		  "reason: %s", e.reason);
	cr_assert_str_eq(f.err.msg, e.reason);
	/* the source is untouched, the change included */
	afx_check_source(&f, "dt=1");
	/* once the change is kept, a retry archives the new data */
	afx_finish(&f, e.id);
	afx_check_archived_id(&f, e.id);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive, fails_when_a_file_grows_during_sync)
{
	changed_during_sync(GROW, AFX_E "/dt=1/sub/a.bin");
}

Test(core_archive, fails_when_a_file_is_touched_during_sync)
{
	changed_during_sync(TOUCH, AFX_E "/dt=1/sub/a.bin");
}

Test(core_archive, fails_when_a_file_appears_during_sync)
{
	changed_during_sync(APPEAR, AFX_E "/dt=1/sub/late.parquet");
}

/* Stop the job at its first progress report. */
static void stop_at_progress(void *ctx, const struct rfs_entry *e)
{
	(void)e;
	*(volatile int *)ctx = 1;
}

Test(core_archive, keeps_a_file_changed_after_its_verification)
{
	volatile int stop = 0;
	struct rfs_job_opts o = { .stop = &stop,
				  .progress = stop_at_progress,
				  .progress_ctx = (void *)&stop };
	struct afx_node before;
	struct rfs_entry e = { 0 };
	char sha[RFS_SHA256_HEX_LEN];
	int r;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	afx_begin(&f, "dt=1", &e);
	/* stopped after the copies, then after the verification */
	cr_assert_eq(afx_run(&f, e.id, &o), -EINTR, "%s", f.err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_SYNC);
	stop = 0;
	cr_assert_eq(afx_run(&f, e.id, &o), -EINTR, "%s", f.err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_VERIFY);
	/* a write lands between verify and delete */
	before = *afx_node(&f, "dt=1/_SUCCESS");
	afx_rewrite(&f, "dt=1/_SUCCESS", 10);
	r = afx_run(&f, e.id, NULL);
	cr_assert_eq(r, 0, "%s", f.err.msg);
	rfs_entry_release(&e);
	afx_get(&f, 1, &e);
	/* archived, the changed file kept with a warning */
	cr_assert_eq(e.state, RFS_ENTRY_ARCHIVED);
	cr_assert(e.reason && strstr(e.reason, "_SUCCESS") &&
			  strstr(e.reason, "written after"),
		  "reason: %s", e.reason ? e.reason : "(none)");
	/* the new data stays in place, the verified one is in the bin */
	afx_check_source(&f, "dt=1/_SUCCESS");
	cr_assert_eq(afx_hash(f.bin, AFX_E "/dt=1/_SUCCESS", sha), 0);
	cr_assert_str_eq(sha, before.sha);
	afx_check_no_loss(&f, "dt=1", e.bin_path, "after the delete");
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive, copies_300_files_on_8_threads)
{
	struct rfs_job_opts o = { .parallel_files = 8 };
	struct rfs_entry e = { 0 };
	unsigned long copies;
	char p[64];

	afx_open(&f, AFX_SHARED);
	afx_dir(&f, "dt=1", 0755);
	for (int d = 0; d < 10; d++) {
		snprintf(p, sizeof(p), "dt=1/h=%02d", d);
		afx_dir(&f, p, 0750);
		for (int i = 0; i < 30; i++) {
			snprintf(p, sizeof(p), "dt=1/h=%02d/part-%05d", d, i);
			afx_file(&f, p, (d * 30 + i) * 97 % 70001,
				 i % 2 ? 0644 : 0600);
		}
	}
	afx_settle(&f);
	afx_begin(&f, "dt=1", &e);
	copies = rfs_mem_calls(f.store, RFS_MEM_OP_COPY);
	cr_assert_eq(afx_run(&f, e.id, &o), 0, "%s", f.err.msg);
	/* every file copied once, none twice */
	cr_assert_eq(rfs_mem_calls(f.store, RFS_MEM_OP_COPY) - copies, 300);
	afx_check_archived_id(&f, e.id);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* Two threads start the same job; the one that runs waits in its first
 * progress report until the other has returned. */
struct racer {
	pthread_t th;
	int64_t id;
	int r;
	struct rfs_error err;
};

static pthread_mutex_t race_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t race_cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t race_start;
static int race_returned;

static void wait_for_other(void *ctx, const struct rfs_entry *e)
{
	struct timespec until;

	(void)ctx;
	(void)e;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&race_lock);
	while (!race_returned)
		if (pthread_cond_timedwait(&race_cond, &race_lock, &until))
			break;
	pthread_mutex_unlock(&race_lock);
}

static void *race(void *arg)
{
	struct racer *rc = arg;
	struct rfs_job_opts o = { .progress = wait_for_other };
	struct rfs_index *idx = NULL;

	cr_assert_eq(rfs_index_open(f.db, 0, &idx, &rc->err), 0);
	pthread_barrier_wait(&race_start);
	rc->r = rfs_job_run(idx, rc->id, &o, &rc->err);
	pthread_mutex_lock(&race_lock);
	race_returned++;
	pthread_cond_broadcast(&race_cond);
	pthread_mutex_unlock(&race_lock);
	rfs_index_free(idx);
	return NULL;
}

Test(core_archive, runs_a_job_once_when_two_threads_start_it)
{
	struct racer rc[2] = { 0 };
	struct rfs_entry e = { 0 };
	unsigned long copies;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	afx_begin(&f, "dt=1", &e);
	copies = rfs_mem_calls(f.store, RFS_MEM_OP_COPY);
	pthread_barrier_init(&race_start, NULL, 2);
	for (int i = 0; i < 2; i++) {
		rc[i].id = e.id;
		cr_assert_eq(pthread_create(&rc[i].th, NULL, race, &rc[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(rc[i].th, NULL);
	cr_assert((rc[0].r == 0 && rc[1].r == -EBUSY) ||
			  (rc[0].r == -EBUSY && rc[1].r == 0),
		  "results %d (%s) and %d (%s)", rc[0].r, rc[0].err.msg,
		  rc[1].r, rc[1].err.msg);
	cr_assert_eq(rfs_mem_calls(f.store, RFS_MEM_OP_COPY) - copies, 4,
		     "the files were copied more than once");
	afx_check_archived_id(&f, e.id);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive, purges_an_archived_entry_for_good)
{
	struct rfs_entry e = { 0 };
	struct rfs_error err = { 0 };
	char key[128];
	struct stat st;

	afx_open(&f, AFX_SHARED);
	afx_tree(&f, "dt=1");
	afx_settle(&f);
	afx_archive(&f, "dt=1", &e);
	cr_assert_eq(rfs_purge_begin(f.idx, e.id, &err), 0, "%s", err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_PURGING);
	cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_PURGED);
	cr_assert_eq(rfs_backend_stat(f.bin, e.bin_path, &st), -ENOENT);
	rfs_manifest_key(e.uuid, key, sizeof(key));
	cr_assert_eq(rfs_backend_stat(f.bin, key, &st), -ENOENT);
	/* the emptied mirror folders went too */
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_TABLE, &st), -ENOENT);
	cr_assert(afx_history_has(&f, "purge", AFX_E "/dt=1"));
	/* purging again changes nothing */
	cr_assert_eq(rfs_purge_begin(f.idx, e.id, &err), 0, "%s", err.msg);
	cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_PURGED);
	cr_assert_eq(afx_run(&f, e.id, NULL), -ECANCELED);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* The metastore hook. */
static void partitioned_epoch(void)
{
	afx_dir(&f, "dt=1", 0755);
	afx_dir(&f, "dt=1/hour=01", 0755);
	afx_file(&f, "dt=1/hour=01/part-0", 100, 0644);
	afx_dir(&f, "dt=1/hour=02", 0755);
	afx_file(&f, "dt=1/hour=02/part-0", 200, 0644);
	afx_dir(&f, "dt=2", 0755);
	afx_file(&f, "dt=2/part-0", 300, 0644);
	afx_dir(&f, "misc", 0755);
	afx_file(&f, "misc/notes.txt", 5, 0644);
	afx_settle(&f);
}

static void set_config(const char *key, const char *value)
{
	cr_assert_eq(rfs_edit_config_set(f.idx, key, value, &f.err), 0, "%s",
		     f.err.msg);
}

/* The partition of @p doc with @p spec, asserted present once. */
static json_t *partition(json_t *doc, const char *spec)
{
	json_t *parts = json_object_get(doc, "partitions"), *p, *found = NULL;
	size_t i;

	json_array_foreach(parts, i, p)
	{
		const char *s = json_string_value(json_object_get(p, "spec"));

		if (s && !strcmp(s, spec)) {
			cr_assert_null(found, "'%s' listed twice", spec);
			found = p;
		}
	}
	cr_assert_not_null(found, "no partition '%s'", spec);
	return found;
}

static void check_partition(json_t *doc, const char *src_uri, const char *spec,
			    const char *k1, const char *v1, const char *k2,
			    const char *v2)
{
	json_t *p = partition(doc, spec), *vals = json_object_get(p, "values");
	char loc[512];

	cr_assert(json_is_object(vals));
	cr_assert_eq(json_object_size(vals), k2 ? 2 : 1, "values of %s", spec);
	cr_assert_str_eq(json_string_value(json_object_get(vals, k1)), v1);
	if (k2)
		cr_assert_str_eq(json_string_value(json_object_get(vals, k2)),
				 v2);
	snprintf(loc, sizeof(loc), "%s/%s", src_uri, spec);
	cr_assert_str_eq(json_string_value(json_object_get(p, "location")),
			 loc);
}

Test(core_archive, hook_drops_the_leaf_partitions_of_an_epoch)
{
	struct rfs_entry e = { 0 };
	json_error_t jerr;
	json_t *doc;
	char *text;

	afx_open(&f, AFX_SHARED);
	partitioned_epoch();
	set_config("metastore.hook",
		   afx_script(&f, "hook", "cat > \"$D/in.json\""));
	afx_archive(&f, "", &e);
	text = afx_slurp(&f, "in.json");
	cr_assert_not_null(text, "the hook was not called");
	doc = json_loads(text, 0, &jerr);
	cr_assert_not_null(doc, "%s: %s", jerr.text, text);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "action")),
			 "drop_partitions");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "table")),
			 AFX_TABLE);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "lifecycle")),
			 AFX_LC);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "epoch")),
			 AFX_EPOCH);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "location")),
			 e.src_uri);
	cr_assert_eq(json_array_size(json_object_get(doc, "partitions")), 3,
		     "%s", text);
	check_partition(doc, e.src_uri, "dt=1/hour=01", "dt", "1", "hour",
			"01");
	check_partition(doc, e.src_uri, "dt=1/hour=02", "dt", "1", "hour",
			"02");
	check_partition(doc, e.src_uri, "dt=2", "dt", "2", NULL, NULL);
	json_decref(doc);
	free(text);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive, hook_failure_stops_the_job_before_any_delete)
{
	struct rfs_entry e = { 0 };
	char *text;

	afx_open(&f, AFX_SHARED);
	partitioned_epoch();
	set_config("metastore.hook",
		   afx_script(&f, "hook",
			      "cat > \"$D/in.json\"\n"
			      "echo 'glue: access denied to sales' >&2\n"
			      "exit 1"));
	afx_begin(&f, "dt=1", &e);
	cr_assert_lt(afx_run(&f, e.id, NULL), 0);
	rfs_entry_release(&e);
	afx_get(&f, 1, &e);
	cr_assert_eq(e.state, RFS_ENTRY_FAILED);
	cr_assert_eq(e.failed_step, RFS_ENTRY_UNPUBLISH);
	cr_assert(strstr(e.reason, "glue: access denied to sales"), "%s",
		  e.reason);
	afx_check_source(&f, "");
	text = afx_slurp(&f, "in.json");
	cr_assert(text && strstr(text, "dt=1/hour=02"));
	free(text);
	/* once the metastore agrees, the retry goes on from unpublish */
	afx_script(&f, "hook", "cat > \"$D/in2.json\"");
	afx_finish(&f, e.id);
	afx_check_archived_id(&f, e.id);
	text = afx_slurp(&f, "in2.json");
	cr_assert(text && strstr(text, "dt=1/hour=01"));
	free(text);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_archive, no_hook_configured_means_no_call)
{
	char *text;

	afx_open(&f, AFX_SHARED);
	partitioned_epoch();
	afx_script(&f, "hook", "cat > \"$D/in.json\"");
	afx_archive(&f, "dt=1", NULL);
	text = afx_slurp(&f, "in.json");
	cr_assert_null(text, "an unconfigured hook was called");
	afx_close(&f);
}

Test(core_archive, table_hook_wins_over_the_global_one)
{
	char *text, path[160];

	afx_open(&f, AFX_SHARED);
	partitioned_epoch();
	set_config("metastore.hook",
		   afx_script(&f, "global", "cat > \"$D/global.json\""));
	snprintf(path, sizeof(path), "%s",
		 afx_script(&f, "table", "cat > \"$D/table.json\""));
	set_config("metastore.hook." AFX_TABLE, path);
	afx_archive(&f, "dt=2", NULL);
	cr_assert_null(afx_slurp(&f, "global.json"));
	text = afx_slurp(&f, "table.json");
	cr_assert(text && strstr(text, "\"dt=2\""), "%s", text ? text : "");
	free(text);
	afx_close(&f);
}

/* ------------------------------------------------------ partial purge */

/* What the manifest of @p e lists: its rows' paths, sorted, joined by
 * ' ', and its totals. */
struct listed {
	char paths[256];
	int64_t files, bytes;
};

static int add_listed(void *ctx, const struct rfs_entry_file *row)
{
	struct listed *l = ctx;

	if (*row->path) {
		strcat(l->paths, " ");
		strcat(l->paths, row->path);
	}
	return 0;
}

static void manifest_of(const struct rfs_entry *e, struct listed *l)
{
	memset(l, 0, sizeof(*l));
	afx_manifest_rows(&f, e, add_listed, l, &l->files, &l->bytes);
}

/* dt=1 with a (100 B), b (200 B) and an empty folder e, archived on a
 * bin of its own store (for its faults). */
static void archived_abe(struct rfs_entry *e)
{
	afx_open(&f, AFX_SPLIT);
	afx_dir(&f, "dt=1", 0755);
	afx_file(&f, "dt=1/a", 100, 0644);
	afx_file(&f, "dt=1/b", 200, 0644);
	afx_dir(&f, "dt=1/e", 0755);
	afx_settle(&f);
	afx_archive(&f, "dt=1", e);
	cr_assert_eq(e->files_total, 2);
}

Test(core_archive, a_partial_purge_rewrites_manifest_and_counts)
{
	struct rfs_entry e = { 0 }, now = { 0 };
	struct listed l;
	struct stat st;

	archived_abe(&e);
	manifest_of(&e, &l);
	cr_assert_str_eq(l.paths, " a b e");
	cr_assert_eq(rfs_purge_part(f.idx, f.bin, e.id, "b", &f.err), 0, "%s",
		     f.err.msg);
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/b", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/a", &st), 0);
	manifest_of(&e, &l);
	cr_assert_str_eq(l.paths, " a e");
	cr_assert_eq(l.files, 1);
	cr_assert_eq(l.bytes, 100);
	afx_get(&f, e.id, &now);
	cr_assert_eq(now.files_total, 1);
	cr_assert_eq(now.bytes_total, 100);
	cr_assert_eq(now.state, RFS_ENTRY_ARCHIVED);
	rfs_entry_release(&now);
	/* An empty folder goes the same way; counts stay (folders are not
	 * counted). */
	cr_assert_eq(rfs_purge_part(f.idx, f.bin, e.id, "e", &f.err), 0, "%s",
		     f.err.msg);
	manifest_of(&e, &l);
	cr_assert_str_eq(l.paths, " a");
	cr_assert_eq(l.files, 1);
	/* Again: nothing left to do, and nothing changes. */
	cr_assert_eq(rfs_purge_part(f.idx, f.bin, e.id, "b", &f.err), -ENOENT);
	afx_get(&f, e.id, &now);
	cr_assert_eq(now.files_total, 1);
	rfs_entry_release(&now);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* A manifest that cannot be written, or a copy that cannot be removed,
 * leaves the entry as it was: data, manifest and counts. */
Test(core_archive, a_failed_partial_purge_changes_nothing)
{
	enum rfs_mem_op ops[] = { RFS_MEM_OP_OPEN, RFS_MEM_OP_WRITE,
				  RFS_MEM_OP_RENAME, RFS_MEM_OP_UNLINK };
	struct rfs_entry e = { 0 }, now = { 0 };
	struct listed l;
	struct stat st;

	archived_abe(&e);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		rfs_mem_fail_nth(f.bin_store, ops[i], 1, EIO);
		cr_assert_lt(rfs_purge_part(f.idx, f.bin, e.id, "b", &f.err), 0,
			     "op %d", (int)ops[i]);
		cr_assert_neq(f.err.msg[0], '\0');
		rfs_mem_recover(f.bin_store);
		cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/b", &st), 0,
			     "op %d", (int)ops[i]);
		manifest_of(&e, &l);
		cr_assert_str_eq(l.paths, " a b e", "op %d", (int)ops[i]);
		cr_assert_eq(l.files, 2);
		afx_get(&f, e.id, &now);
		cr_assert_eq(now.files_total, 2);
		cr_assert_eq(now.bytes_total, 300);
		rfs_entry_release(&now);
	}
	rfs_entry_release(&e);
	afx_close(&f);
}

/* rm -r of a folder of an entry: its files and the folder go in one call
 * that writes the manifest once (a second manifest rename would fail),
 * with the counts of every file taken out in one transaction. */
Test(core_archive, a_batched_partial_purge_writes_the_manifest_once)
{
	const char *subs[] = { "e", "a", "b" };
	struct rfs_entry e = { 0 }, now = { 0 };
	struct listed l;
	struct stat st;

	archived_abe(&e);
	rfs_mem_fail_nth(f.bin_store, RFS_MEM_OP_RENAME, 2, EIO);
	cr_assert_eq(rfs_purge_parts(f.idx, f.bin, e.id, subs, 3, &f.err), 0,
		     "%s", f.err.msg);
	rfs_mem_recover(f.bin_store);
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/a", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/b", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/e", &st), -ENOENT);
	manifest_of(&e, &l);
	cr_assert_str_eq(l.paths, "");
	cr_assert_eq(l.files, 0);
	cr_assert_eq(l.bytes, 0);
	afx_get(&f, e.id, &now);
	cr_assert_eq(now.files_total, 0);
	cr_assert_eq(now.bytes_total, 0);
	cr_assert_eq(now.state, RFS_ENTRY_ARCHIVED);
	rfs_entry_release(&now);
	rfs_entry_release(&e);
	afx_close(&f);
}

/* A batch where one copy cannot be removed: the others go, the one that
 * stays is listed and counted again, and the first error is returned. */
Test(core_archive, a_batched_partial_purge_keeps_what_it_cannot_remove)
{
	const char *subs[] = { "a", "b" };
	struct rfs_entry e = { 0 }, now = { 0 };
	struct listed l;
	struct stat st;

	archived_abe(&e);
	/* a is removed first (sorted), b's unlink fails. */
	rfs_mem_fail_nth(f.bin_store, RFS_MEM_OP_UNLINK, 2, EIO);
	cr_assert_eq(rfs_purge_parts(f.idx, f.bin, e.id, subs, 2, &f.err),
		     -EIO);
	cr_assert_neq(f.err.msg[0], '\0');
	rfs_mem_recover(f.bin_store);
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/a", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(f.bin, AFX_E "/dt=1/b", &st), 0);
	manifest_of(&e, &l);
	cr_assert_str_eq(l.paths, " b e");
	cr_assert_eq(l.files, 1);
	cr_assert_eq(l.bytes, 200);
	afx_get(&f, e.id, &now);
	cr_assert_eq(now.files_total, 1);
	cr_assert_eq(now.bytes_total, 200);
	rfs_entry_release(&now);
	rfs_entry_release(&e);
	afx_close(&f);
}
