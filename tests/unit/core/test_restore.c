/*
 * core/restore on the memory backend, no mount: rfs_restore_begin() plans
 * and records a restore, rfs_restore_run() runs it on the job engine to
 * done, under its lease; what is at the target is checked byte for byte,
 * with modes and times.
 */
#include "archive_fixture.h"

#include "backends/backend.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/restores.h"
#include "util/clock.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

TestSuite(core_restore, .timeout = 120);

#define ITEM "dt=1"

/* A fixture with ITEM archived into @p e. */
static void prepare(struct afx *f, enum afx_layout layout, struct rfs_entry *e)
{
	afx_open(f, layout);
	afx_tree(f, ITEM);
	afx_settle(f);
	afx_archive(f, ITEM, e);
}

static int64_t begin(struct afx *f, const struct rfs_restore_target *to)
{
	struct rfs_restore r = { 0 };
	int64_t id;

	cr_assert_eq(rfs_restore_begin(f->idx, AFX_E "/" ITEM, to, false, NULL,
				       &r, &f->err),
		     0, "%s", f->err.msg);
	cr_assert_eq(r.state, RFS_RESTORE_CHECK);
	cr_assert_not(r.joined);
	id = r.id;
	rfs_restore_release(&r);
	return id;
}

static void get(struct afx *f, int64_t id, struct rfs_restore *r)
{
	cr_assert_eq(rfs_index_restore_get(f->idx, id, r, &f->err), 0, "%s",
		     f->err.msg);
}

static int run(struct afx *f, int64_t id, const struct rfs_job_opts *o)
{
	rfs_error_clear(&f->err);
	return rfs_restore_run(f->idx, id, o, &f->err);
}

static void restores_to_origin(enum afx_layout layout)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 }, now = { 0 };
	int64_t nodes, files, bytes, id;
	struct afx f;

	prepare(&f, layout, &e);
	id = begin(&f, NULL);
	cr_assert_eq(run(&f, id, NULL), 0, "%s", f.err.msg);
	get(&f, id, &r);
	cr_assert_eq(r.state, RFS_RESTORE_DONE);
	afx_totals(&f, ITEM, &nodes, &files, &bytes);
	cr_assert_eq(r.files_total, files);
	cr_assert_eq(r.files_done, files);
	cr_assert_eq(r.bytes_done, bytes);
	cr_assert_null(r.lease_owner, "the lease is released");
	/* bytes, modes, mtimes and link targets as archived */
	afx_check_source(&f, ITEM);
	/* the entry stays in the bin, and says where it was restored */
	afx_get(&f, e.id, &now);
	cr_assert_eq(now.state, RFS_ENTRY_ARCHIVED);
	cr_assert_str_eq(now.restored_to, r.target);
	cr_assert(afx_history_has(&f, "restore.done", afx_origin(ITEM)));
	rfs_entry_release(&now);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_restore, restores_to_the_origin_from_a_bin_on_the_same_store)
{
	restores_to_origin(AFX_SHARED);
}

Test(core_restore, restores_to_the_origin_from_a_bin_on_another_store)
{
	restores_to_origin(AFX_SPLIT);
}

Test(core_restore, a_second_run_of_a_done_restore_changes_nothing)
{
	struct rfs_entry e = { 0 };
	struct afx f;
	int64_t id;

	prepare(&f, AFX_SHARED, &e);
	id = begin(&f, NULL);
	cr_assert_eq(run(&f, id, NULL), 0, "%s", f.err.msg);
	cr_assert_eq(run(&f, id, NULL), -ECANCELED);
	afx_check_source(&f, ITEM);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_restore, refuses_a_target_where_another_file_exists)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	char have[RFS_SHA256_HEX_LEN], before[RFS_SHA256_HEX_LEN];
	struct afx_node *n = NULL;
	struct afx f;
	int64_t id;

	prepare(&f, AFX_SHARED, &e);
	id = begin(&f, NULL);
	/* a file of the item comes back with other bytes before the run */
	for (size_t i = 0; i < f.n && !n; i++)
		if (f.nodes[i].type == RFS_FILE_REG && f.nodes[i].size > 0 &&
		    !strncmp(f.nodes[i].path, ITEM "/", strlen(ITEM) + 1))
			n = &f.nodes[i];
	cr_assert_not_null(n);
	/* mkdir -p of its folders, then other bytes under its name */
	for (char *s = n->path; (s = strchr(s, '/')); s++) {
		*s = '\0';
		rfs_backend_mkdir(f.src, n->path, 0755);
		*s = '/';
	}
	{
		struct rfs_file *fh;

		cr_assert_eq(rfs_backend_open_file(f.src, n->path,
						   O_CREAT | O_WRONLY, 0644,
						   &fh),
			     0);
		cr_assert_eq(rfs_file_write(fh, "other bytes", 11, 0), 11);
		cr_assert_eq(rfs_file_close(fh), 0);
	}
	cr_assert_eq(afx_hash(f.src, n->path, before), 0);
	cr_assert_eq(run(&f, id, NULL), -EEXIST);
	cr_assert_not_null(strstr(f.err.msg, "--overwrite"), "%s", f.err.msg);
	get(&f, id, &r);
	cr_assert_eq(r.state, RFS_RESTORE_FAILED);
	cr_assert_eq(r.failed_step, RFS_RESTORE_CHECK);
	cr_assert_null(r.lease_owner);
	/* the file found there is left as it was */
	cr_assert_eq(afx_hash(f.src, n->path, have), 0);
	cr_assert_str_eq(have, before);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_restore, is_busy_while_a_live_process_holds_its_lease)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	char other[300];
	bool taken = false;
	struct afx f;
	int64_t id;

	prepare(&f, AFX_SHARED, &e);
	id = begin(&f, NULL);
	/* another host's lease: it holds until it expires */
	snprintf(other, sizeof(other), "elsewhere.invalid:1:1");
	cr_assert_eq(
		rfs_index_restore_lease(f.idx, id, NULL, other,
					rfs_time_now_ns() + RFS_LEASE_TTL_NS,
					&taken, &f.err),
		0);
	cr_assert(taken);
	cr_assert_eq(run(&f, id, NULL), -EBUSY);
	cr_assert_not_null(strstr(f.err.msg, "is being run by another process"),
			   "%s", f.err.msg);
	get(&f, id, &r);
	cr_assert_eq(r.state, RFS_RESTORE_CHECK, "nothing ran");
	cr_assert_str_eq(r.lease_owner, other, "the lease is not touched");
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_restore, takes_over_the_lease_of_a_dead_process)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	bool taken = false;
	struct afx f;
	int64_t id;

	prepare(&f, AFX_SHARED, &e);
	id = begin(&f, NULL);
	cr_assert_eq(
		rfs_index_restore_lease(f.idx, id, NULL, afx_dead_owner(),
					rfs_time_now_ns() + RFS_LEASE_TTL_NS,
					&taken, &f.err),
		0);
	cr_assert(taken);
	cr_assert_eq(run(&f, id, NULL), 0, "%s", f.err.msg);
	get(&f, id, &r);
	cr_assert_eq(r.state, RFS_RESTORE_DONE);
	afx_check_source(&f, ITEM);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_restore, a_stop_request_leaves_it_to_resume)
{
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	volatile int stop = 1;
	struct rfs_job_opts o = { .stop = &stop };
	struct afx f;
	int64_t id;

	prepare(&f, AFX_SHARED, &e);
	id = begin(&f, NULL);
	cr_assert_eq(run(&f, id, &o), -EINTR);
	get(&f, id, &r);
	cr_assert_eq(r.state, RFS_RESTORE_CHECK, "not failed: resumable");
	cr_assert_null(r.lease_owner);
	rfs_restore_release(&r);
	/* the next run finishes it */
	cr_assert_eq(run(&f, id, NULL), 0, "%s", f.err.msg);
	afx_check_source(&f, ITEM);
	rfs_entry_release(&e);
	afx_close(&f);
}

Test(core_restore, restores_to_another_epoch_folder)
{
	struct rfs_restore_target to = { .to = AFX_E "/elsewhere" };
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	char have[RFS_SHA256_HEX_LEN], key[512];
	struct afx f;
	int64_t id;
	int checked = 0;

	prepare(&f, AFX_SPLIT, &e);
	id = begin(&f, &to);
	cr_assert_eq(run(&f, id, NULL), 0, "%s", f.err.msg);
	get(&f, id, &r);
	cr_assert_eq(r.state, RFS_RESTORE_DONE);
	for (size_t i = 0; i < f.n; i++) {
		const struct afx_node *n = &f.nodes[i];

		if (n->type != RFS_FILE_REG ||
		    strncmp(n->path, ITEM "/", strlen(ITEM) + 1))
			continue;
		snprintf(key, sizeof(key), "elsewhere/%s", n->path);
		cr_assert_eq(afx_hash(f.src, key, have), 0, "%s", key);
		cr_assert_str_eq(have, n->sha, "%s", key);
		checked++;
	}
	cr_assert_gt(checked, 1);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
	afx_close(&f);
}
