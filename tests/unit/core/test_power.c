/*
 * Simulated power loss, as SQLite's crash tests do: the memory stores
 * run in power-loss mode, the process "dies" after N backend calls, and
 * the power cut throws away every write not made durable by a sync. After
 * the "reboot", nothing the index calls copied, verified, deleted or
 * archived may be missing from the bin, and the resumed job ends archived.
 */
#include "archive_fixture.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/archive.h"
#include "core/copy.h"
#include "core/manifest.h"
#include "core/ports.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/clock.h"
#include "util/path.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ITEM "dt=1"

TestSuite(core_power, .timeout = 600);

/* Which stores lose power. */
struct target {
	enum afx_layout layout;
	const char *name;
};

static const struct target targets[] = {
	{ AFX_SHARED, "shared store" },
	{ AFX_SPLIT, "bin store" },
};

/* The store the crash counts calls of: the bin's. */
static const char *bin_store(const struct afx *f)
{
	return *f->bin_store ? f->bin_store : f->store;
}

struct rows {
	struct afx *f;
	const struct rfs_entry *e;
	const char *when;
	bool deletes_synced; /* no sync of the source failed in this run */
	int checked;
};

/* A row the index says is in the bin must be there, whole. */
static int check_row(const struct rfs_entry_file *row, void *ctx)
{
	struct rows *w = ctx;
	char key[512], have[RFS_SHA256_HEX_LEN], link[4096];
	int r;

	if (row->state == RFS_FILE_DELETED && row->type != RFS_FILE_DIR &&
	    w->deletes_synced) {
		struct stat st;

		/* a file recorded deleted does not come back */
		snprintf(key, sizeof(key), ITEM "%s%s", *row->path ? "/" : "",
			 row->path);
		r = rfs_backend_stat(w->f->src, key, &st);
		cr_assert_eq(r, -ENOENT,
			     "%s: the index says '%s' is deleted, but it is "
			     "back in the source after the power cut (%d)",
			     w->when, row->path, r);
	}
	if (row->state < RFS_FILE_COPIED || row->state == RFS_FILE_PURGED ||
	    row->type == RFS_FILE_DIR)
		return 0;
	snprintf(key, sizeof(key), "%s%s%s", w->e->bin_path,
		 *row->path ? "/" : "", row->path);
	if (rfs_file_type_special(row->type)) {
		struct stat st;

		/* a special file: its type and device number */
		r = rfs_backend_stat(w->f->bin, key, &st);
		cr_assert_eq(r, 0,
			     "%s: the index says '%s' is in state %d, but it "
			     "is not in the bin after the power cut (%d)",
			     w->when, row->path, row->state, r);
		cr_assert_eq(rfs_copy_special_type(st.st_mode), row->type,
			     "%s: '%s' is mode %o in the bin", w->when,
			     row->path, st.st_mode);
		cr_assert_eq((uint64_t)st.st_rdev, row->rdev);
	} else if (row->type == RFS_FILE_LINK) {
		r = rfs_backend_readlink(w->f->bin, key, link, sizeof(link));
		cr_assert_eq(r, 0,
			     "%s: the index says '%s' is %s, but its link is "
			     "not in the bin (%d)",
			     w->when, row->path,
			     row->state == RFS_FILE_COPIED ? "copied"
							   : "verified",
			     r);
		cr_assert_str_eq(link, row->link);
	} else {
		r = afx_hash(w->f->bin, key, have);
		cr_assert_eq(r, 0,
			     "%s: the index says '%s' is in state %d, but its "
			     "copy is not in the bin after the power cut (%d)",
			     w->when, row->path, row->state, r);
		cr_assert_str_eq(have, row->sha256,
				 "%s: the copy of '%s' lost its bytes", w->when,
				 row->path);
	}
	w->checked++;
	return 0;
}

/* What the index says, checked against the bin after the reboot. When
 * the source's sync after a batch of unlinks failed, the batch is recorded
 * deleted all the same (a purge must not drop the only copy), and those
 * files may come back: @p deletes_synced is false then. */
static void check_index_true(struct afx *f, const struct rfs_entry *e,
			     const char *when, bool deletes_synced)
{
	struct rows w = { f, e, when, deletes_synced, 0 };
	struct rfs_entry got = { 0 }, m = { 0 };
	struct rfs_error err = { 0 };
	char key[256];

	cr_assert_eq(
		rfs_index_file_list(f->idx, e->id, NULL, check_row, &w, &err),
		0, "%s", err.msg);
	afx_get(f, e->id, &got);
	if (got.state >= RFS_ENTRY_UNPUBLISH &&
	    got.state <= RFS_ENTRY_ARCHIVED) {
		/* verified: the manifest with the checksums is durable */
		rfs_manifest_key(e->uuid, key, sizeof(key));
		cr_assert_eq(
			rfs_manifest_read(f->bin, key, &m, NULL, NULL, &err), 0,
			"%s: entry %s but its manifest is gone: %s", when,
			rfs_entry_state_name(got.state), err.msg);
		rfs_entry_release(&m);
	}
	rfs_entry_release(&got);
}

static void power_cut(struct afx *f)
{
	cr_assert_eq(rfs_mem_power_cut(f->store), 0);
	if (*f->bin_store)
		cr_assert_eq(rfs_mem_power_cut(f->bin_store), 0);
}

/* Crash after @p n calls on the bin's store, cut the power, reboot,
 * check, resume. @return true when the run ended before the crash */
static bool power_loss_at(const struct target *t, unsigned long n)
{
	struct rfs_entry e = { 0 }, got = { 0 };
	struct rfs_error err = { 0 };
	bool taken = false, clean, synced;
	char when[160];
	struct afx f;
	int r;

	snprintf(when, sizeof(when), "power cut after %lu calls on the %s", n,
		 t->name);
	afx_open(&f, t->layout);
	afx_tree(&f, ITEM);
	afx_specials(&f, ITEM);
	afx_settle(&f);
	afx_begin(&f, ITEM, &e);
	cr_assert_eq(rfs_mem_power_loss_begin(f.store), 0);
	if (*f.bin_store)
		cr_assert_eq(rfs_mem_power_loss_begin(f.bin_store), 0);
	rfs_mem_crash_after(bin_store(&f), n);
	r = afx_run(&f, e.id, NULL);
	clean = r == 0;
	power_cut(&f);
	afx_check_no_loss(&f, ITEM, e.bin_path, when);
	afx_get(&f, e.id, &got);
	synced = !(got.state == RFS_ENTRY_FAILED && got.reason &&
		   strstr(got.reason, "syncing the source"));
	rfs_entry_release(&got);
	check_index_true(&f, &e, when, synced);
	/* the process died: a dead owner's lease, then a worker resumes */
	cr_assert_eq(rfs_index_entry_lease(f.idx, e.id, NULL, afx_dead_owner(),
					   rfs_time_now_ns() + RFS_LEASE_TTL_NS,
					   &taken, &err),
		     0);
	afx_get(&f, e.id, &got);
	if (got.state == RFS_ENTRY_FAILED)
		cr_assert_eq(rfs_archive_retry(f.idx, e.id, &err), 0, "%s",
			     err.msg);
	rfs_entry_release(&got);
	afx_get(&f, e.id, &got);
	if (rfs_entry_state_runnable(got.state)) {
		r = afx_run(&f, e.id, NULL);
		cr_assert_eq(r, 0, "%s: resume %d %s", when, r, f.err.msg);
	}
	rfs_entry_release(&got);
	afx_get(&f, e.id, &got);
	cr_assert_eq(got.state, RFS_ENTRY_ARCHIVED, "%s: state %s", when,
		     rfs_entry_state_name(got.state));
	afx_check_no_loss(&f, ITEM, e.bin_path, when);
	check_index_true(&f, &e, when, synced);
	rfs_entry_release(&got);
	rfs_entry_release(&e);
	afx_close(&f);
	return clean;
}

static void sweep(const struct target *t)
{
	unsigned long n;

	for (n = 0; n < 2000; n++)
		if (power_loss_at(t, n))
			break;
	cr_log_info("%s: %lu power cuts", t->name, n);
	cr_assert_gt(n, 20, "%s: only %lu power cuts", t->name, n);
}

Test(core_power, archive_survives_a_power_cut_at_any_call)
{
	sweep(&targets[0]);
}

Test(core_power, archive_survives_a_power_cut_of_the_bin_store)
{
	sweep(&targets[1]);
}

/* ------------------------------------------------------------ restores */

/* Where a restore's power is cut: the target's store, shared with the
 * bin or its own. */
static const struct target restore_targets[] = {
	{ AFX_SHARED, "shared store" },
	{ AFX_SPLIT, "target store" },
};

/* Record a restore of ITEM to its original place. @return its id */
static int64_t restore_begin(struct afx *f)
{
	struct rfs_restore r = { 0 };
	int64_t id;

	cr_assert_eq(rfs_restore_begin(f->idx, AFX_E "/" ITEM, NULL, false,
				       NULL, &r, &f->err),
		     0, "%s", f->err.msg);
	id = r.id;
	rfs_restore_release(&r);
	return id;
}

/* Once the restore's copy step is committed (verify and on), every file
 * of ITEM is at the target with its bytes: the index calls it copied. */
static void check_restore_true(struct afx *f, int64_t id, const char *when)
{
	struct rfs_restore r = { 0 };
	char have[RFS_SHA256_HEX_LEN];
	int checked = 0;
	bool copied;

	cr_assert_eq(rfs_index_restore_get(f->idx, id, &r, &f->err), 0);
	copied = (r.state >= RFS_RESTORE_VERIFY &&
		  r.state <= RFS_RESTORE_DONE) ||
		 (r.state == RFS_RESTORE_FAILED &&
		  r.failed_step >= RFS_RESTORE_VERIFY);
	for (size_t i = 0; copied && i < f->n; i++) {
		const struct afx_node *n = &f->nodes[i];

		if (n->type != RFS_FILE_REG ||
		    !rfs_path_is_under(n->path, ITEM))
			continue;
		cr_assert_eq(afx_hash(f->src, n->path, have), 0,
			     "%s: the restore is %s but '%s' is not at the "
			     "target after the power cut",
			     when, rfs_restore_state_name(r.state), n->path);
		cr_assert_str_eq(have, n->sha, "%s: '%s' lost its bytes", when,
				 n->path);
		checked++;
	}
	cr_assert(!copied || checked > 0, "%s: no file checked", when);
	rfs_restore_release(&r);
}

/* Archive ITEM, then restore it with the power cut after @p n calls on
 * the target's store; reboot, check, resume. @return true when the
 * restore ended before the crash */
static bool restore_power_loss_at(const struct target *t, unsigned long n)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	struct rfs_error err = { 0 };
	bool taken = false, clean;
	char when[160];
	struct afx f;
	int64_t id;
	int rc;

	snprintf(when, sizeof(when),
		 "restore, power cut after %lu calls on the %s", n, t->name);
	afx_open(&f, t->layout);
	afx_tree(&f, ITEM);
	afx_specials(&f, ITEM);
	afx_settle(&f);
	afx_archive(&f, ITEM, &e);
	id = restore_begin(&f);
	cr_assert_eq(rfs_mem_power_loss_begin(f.store), 0);
	if (*f.bin_store)
		cr_assert_eq(rfs_mem_power_loss_begin(f.bin_store), 0);
	rfs_mem_crash_after(f.store, n);
	rfs_error_clear(&f.err);
	rc = rfs_restore_run(f.idx, id, NULL, &f.err);
	clean = rc == 0;
	power_cut(&f);
	check_restore_true(&f, id, when);
	/* the process died: a dead owner's lease, then it is run again */
	cr_assert_eq(
		rfs_index_restore_lease(f.idx, id, NULL, afx_dead_owner(),
					rfs_time_now_ns() + RFS_LEASE_TTL_NS,
					&taken, &err),
		0);
	cr_assert_eq(rfs_index_restore_get(f.idx, id, &r, &err), 0);
	if (r.state == RFS_RESTORE_FAILED)
		id = restore_begin(&f); /* a failed restore is begun anew */
	rfs_restore_release(&r);
	rfs_error_clear(&f.err);
	rc = rfs_restore_run(f.idx, id, NULL, &f.err);
	cr_assert(rc == 0 || rc == -ECANCELED, "%s: resume %d %s", when, rc,
		  f.err.msg);
	cr_assert_eq(rfs_index_restore_get(f.idx, id, &r, &err), 0);
	cr_assert_eq(r.state, RFS_RESTORE_DONE, "%s: state %s (%s)", when,
		     rfs_restore_state_name(r.state), r.reason ? r.reason : "");
	rfs_restore_release(&r);
	afx_check_source(&f, ITEM);
	rfs_entry_release(&e);
	afx_close(&f);
	return clean;
}

static void restore_sweep(const struct target *t)
{
	unsigned long n;

	for (n = 0; n < 2000; n++)
		if (restore_power_loss_at(t, n))
			break;
	cr_log_info("restore, %s: %lu power cuts", t->name, n);
	cr_assert_gt(n, 20, "%s: only %lu power cuts", t->name, n);
}

Test(core_power, restore_survives_a_power_cut_at_any_call)
{
	restore_sweep(&restore_targets[0]);
}

Test(core_power, restore_survives_a_power_cut_of_the_target_store)
{
	restore_sweep(&restore_targets[1]);
}

/* The power-loss mode itself: unsynced writes go, synced ones stay. */
Test(core_power, only_synced_writes_survive_a_power_cut)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };
	struct rfs_file *file = NULL;
	struct stat st;
	char store[64], uri[128];

	snprintf(store, sizeof(store), "power%d", (int)getpid());
	snprintf(uri, sizeof(uri), "mem://%s/x", store);
	cr_assert_eq(rfs_ports_open(uri, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(rfs_mem_power_loss_begin(store), 0);
	cr_assert_eq(rfs_backend_mkdir(b, "kept", 0755), 0);
	cr_assert_eq(rfs_backend_sync(b), 0);
	cr_assert_eq(rfs_backend_mkdir(b, "lost", 0755), 0);
	/* an fsync'ed file whose name was never synced is lost too */
	cr_assert_eq(rfs_backend_open_file(b, "kept/f", O_CREAT | O_WRONLY,
					   0644, &file),
		     0);
	cr_assert_eq(rfs_file_write(file, "abc", 3, 0), 3);
	cr_assert_eq(rfs_file_fsync(file, 0), 0);
	cr_assert_eq(rfs_file_close(file), 0);
	cr_assert_eq(rfs_mem_power_cut(store), 0);
	cr_assert_eq(rfs_backend_stat(b, "kept", &st), 0);
	cr_assert_eq(rfs_backend_stat(b, "lost", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(b, "kept/f", &st), -ENOENT);
	/* a synced name, then fsync'ed contents: both stay */
	cr_assert_eq(rfs_backend_open_file(b, "kept/f", O_CREAT | O_WRONLY,
					   0644, &file),
		     0);
	cr_assert_eq(rfs_backend_sync(b), 0);
	cr_assert_eq(rfs_file_write(file, "abcd", 4, 0), 4);
	cr_assert_eq(rfs_file_fsync(file, 0), 0);
	cr_assert_eq(rfs_file_write(file, "efgh", 4, 4), 4);
	cr_assert_eq(rfs_file_close(file), 0);
	cr_assert_eq(rfs_mem_power_cut(store), 0);
	cr_assert_eq(rfs_backend_stat(b, "kept/f", &st), 0);
	cr_assert_eq(st.st_size, 4, "size %lld", (long long)st.st_size);
	rfs_backend_free(b);
	rfs_mem_reset(store);
}
