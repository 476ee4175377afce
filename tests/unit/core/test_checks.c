/*
 * The safety checks of every job step, each with a test that fails when
 * the check is removed or weakened (docs/internals/checks.md lists them).
 *
 * Most of them change the world between two steps of a job: the memory
 * backend's call hook runs a test's action at the first backend call
 * made once the job's state in the index is the chosen one, that is just
 * before that step touches any storage.
 */
#include "archive_fixture.h"

#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/archive.h"
#include "core/copy.h"
#include "core/manifest.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/clock.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ITEM	"dt=1"
#define BIG	ITEM "/sub/a.bin"
#define PARQUET ITEM "/part-00000.parquet"

static const enum afx_layout layouts[] = { AFX_SHARED, AFX_SPLIT };
static const char *const layout_names[] = { "shared store", "split stores" };

/* ------------------------------------------------- the between-step hook */

/* An action run once, when job @p id first calls a backend in @p state. */
struct between {
	struct afx *f;
	struct rfs_index *idx; /* a connection of the hook's own */
	pthread_mutex_t lock;
	int64_t id;
	bool restore; /* id is a restore's, state an rfs_restore_state */
	int state;
	void (*act)(struct between *b);
	bool done;
	bool repeat;	/* act before every open in the state, not once */
	char path[256]; /* what act() works on */
	char sha[RFS_SHA256_HEX_LEN]; /* act() records here what it needs */
	bool manifest_ok;	      /* act_read_manifest: what it found */
	char why[1536];
};

static int job_state(struct between *b)
{
	struct rfs_error err = { 0 };
	int s = -1;

	if (b->restore) {
		struct rfs_restore r = { 0 };

		if (rfs_index_restore_get(b->idx, b->id, &r, &err) == 0)
			s = (int)r.state;
		rfs_restore_release(&r);
	} else {
		struct rfs_entry e = { 0 };

		if (rfs_index_entry_get(b->idx, b->id, &e, &err) == 0)
			s = (int)e.state;
		rfs_entry_release(&e);
	}
	return s;
}

static void on_call(void *ctx, const char *store, enum rfs_mem_op op)
{
	struct between *b = ctx;

	(void)store;
	pthread_mutex_lock(&b->lock);
	if (b->repeat ? op == RFS_MEM_OP_OPEN && job_state(b) == b->state
		      : !b->done && job_state(b) == b->state) {
		b->done = true;
		b->act(b);
	}
	pthread_mutex_unlock(&b->lock);
}

static void between_arm(struct between *b, struct afx *f, int64_t id,
			bool restore, int state, void (*act)(struct between *))
{
	struct rfs_error err = { 0 };

	memset(b, 0, sizeof(*b));
	b->f = f;
	b->id = id;
	b->restore = restore;
	b->state = state;
	b->act = act;
	pthread_mutex_init(&b->lock, NULL);
	cr_assert_eq(rfs_index_open(f->db, 0, &b->idx, &err), 0, "%s", err.msg);
	rfs_mem_set_hook(on_call, b);
}

static void between_disarm(struct between *b)
{
	rfs_mem_set_hook(NULL, NULL);
	rfs_index_free(b->idx);
	pthread_mutex_destroy(&b->lock);
}

/* ------------------------------------------------------------- helpers */

/* Overwrite @p key of @p be with @p size bytes of @p c. */
static void put_bytes(struct rfs_backend *be, const char *key, int64_t size,
		      char c)
{
	struct rfs_file *file = NULL;
	char *buf = malloc((size_t)size + 1);

	cr_assert_not_null(buf);
	memset(buf, c, (size_t)size);
	cr_assert_eq(rfs_backend_open_file(be, key,
					   O_CREAT | O_TRUNC | O_WRONLY, 0644,
					   &file),
		     0, "open %s", key);
	cr_assert_eq(rfs_file_write(file, buf, (size_t)size, 0), size);
	cr_assert_eq(rfs_file_close(file), 0);
	free(buf);
}

static void sha_of(struct rfs_backend *be, const char *key,
		   char out[RFS_SHA256_HEX_LEN])
{
	int r = afx_hash(be, key, out);

	cr_assert_eq(r, 0, "hash %s: %d", key, r);
}

/* The bin key of @p path (relative to the epoch) for entry @p e. */
static const char *bin_key(const struct rfs_entry *e, const char *path)
{
	static char out[512];
	size_t n = strlen(e->item_key);

	cr_assert_eq(strncmp(path, e->item_key, n), 0);
	snprintf(out, sizeof(out), "%s%s", e->bin_path, path + n);
	return out;
}

static enum rfs_file_state row_state(struct afx *f, int64_t id, const char *rel)
{
	struct rfs_entry_file row;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_file_get(f->idx, id, rel, &row, &err), 0,
		     "row '%s': %s", rel, err.msg);
	return row.state;
}

static enum rfs_entry_state afx_get_failed_step(struct afx *f, int64_t id)
{
	struct rfs_entry e = { 0 };
	enum rfs_entry_state s;

	afx_get(f, id, &e);
	s = e.failed_step;
	rfs_entry_release(&e);
	return s;
}

/* A fixture with ITEM made and its archive recorded, not run. */
static void prepare(struct afx *f, enum afx_layout layout, struct rfs_entry *e)
{
	afx_open(f, layout);
	afx_tree(f, ITEM);
	afx_settle(f);
	afx_begin(f, ITEM, e);
}

/* ---------------------------------------------------------- the cases */

static struct rfs_entry *corrupt_entry;
static int64_t restore_begin(struct afx *f);
static int restore_run(struct afx *f, int64_t id);

/* One run of a case, in one layout, for the case's checks. */
struct run {
	struct afx f;
	struct rfs_entry e; /* ITEM's entry */
	struct between b;
	int64_t id;	    /* the job run: the entry's or a restore's */
	const char *layout; /* for messages */
	char big[RFS_SHA256_HEX_LEN]; /* BIG's checksum before the run */
	int r;			      /* what the run returned */
};

/* Any failure: the run must return < 0. */
#define ANY_FAILURE INT_MIN

/*
 * A check between two steps: the archive of ITEM (recorded, not run), or
 * a restore of it once archived, run in each layout with @p act done
 * just before step @p state touches any storage; the run must return
 * @p want and reach the step, then @p check asserts the rest.
 */
struct between_case {
	bool restore; /* a restore of the archived ITEM, else its archive */
	int state;    /* an rfs_entry_state, or an rfs_restore_state */
	void (*act)(struct between *b);
	const char *path; /* what act() works on, or NULL */
	bool repeat;	  /* act before every open in the step, not once */
	const struct rfs_job_opts *opts; /* the archive's, or NULL */
	int want;			 /* the run's result, or ANY_FAILURE */
	void (*check)(struct run *x);	 /* the case's own, or NULL */
};

/* Arm, run, disarm and check @p c in each layout. */
static void run_case(const struct between_case *c)
{
	/* on_call() reads the job's state while the job writes */
	afx_index_on_file = true;
	for (size_t l = 0; l < 2; l++) {
		struct run x = { .layout = layout_names[l] };

		afx_open(&x.f, layouts[l]);
		afx_tree(&x.f, ITEM);
		afx_settle(&x.f);
		memcpy(x.big, afx_node(&x.f, BIG)->sha, sizeof(x.big));
		if (c->restore) {
			afx_archive(&x.f, ITEM, &x.e);
			x.id = restore_begin(&x.f);
		} else {
			afx_begin(&x.f, ITEM, &x.e);
			x.id = x.e.id;
		}
		corrupt_entry = &x.e;
		between_arm(&x.b, &x.f, x.id, c->restore, c->state, c->act);
		x.b.repeat = c->repeat;
		if (c->path)
			snprintf(x.b.path, sizeof(x.b.path), "%s", c->path);
		x.r = c->restore ? restore_run(&x.f, x.id)
				 : afx_run(&x.f, x.id, c->opts);
		between_disarm(&x.b);
		if (c->want == ANY_FAILURE)
			cr_assert_lt(x.r, 0, "%s: the job succeeded", x.layout);
		else
			cr_assert_eq(x.r, c->want, "%s: %d: %s", x.layout, x.r,
				     x.f.err.msg);
		cr_assert(x.b.done, "%s: the step was never reached", x.layout);
		if (c->check)
			c->check(&x);
		corrupt_entry = NULL;
		rfs_entry_release(&x.e);
		afx_close(&x.f);
	}
}

/* --------------------------------------------------------------- delete */

static void act_rewrite_same_size(struct between *b)
{
	struct afx_node *n = afx_node(b->f, b->path);

	afx_rewrite(b->f, b->path, n->size);
}

/* Delete: a file written after verify with the same size and a new mtime
 * is kept in the source; the bin keeps the verified version. */
static void kept_rewritten(struct run *x)
{
	struct rfs_entry done = { 0 };
	char now[RFS_SHA256_HEX_LEN];

	afx_get(&x->f, x->id, &done);
	cr_assert_eq(done.state, RFS_ENTRY_ARCHIVED);
	cr_assert_not_null(done.reason, "%s: no word of the kept file",
			   x->layout);
	cr_assert_not_null(strstr(done.reason, "sub/a.bin"), "%s", done.reason);
	/* the source keeps the new bytes, the bin the verified ones */
	sha_of(x->f.src, BIG, now);
	cr_assert_str_eq(now, afx_node(&x->f, BIG)->sha,
			 "%s: the rewritten source file was lost", x->layout);
	sha_of(x->f.bin, bin_key(&x->e, BIG), now);
	cr_assert_str_eq(now, x->big, "%s", x->layout);
	cr_assert_eq(row_state(&x->f, x->id, "sub/a.bin"), RFS_FILE_VERIFIED);
	cr_assert_eq(row_state(&x->f, x->id, "part-00000.parquet"),
		     RFS_FILE_DELETED);
	rfs_entry_release(&done);
}

Test(core_checks, delete_keeps_a_file_rewritten_with_the_same_size)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_DELETE,
		.act = act_rewrite_same_size,
		.path = BIG,
		.want = 0,
		.check = kept_rewritten,
	});
}

static unsigned long fail_unlink_nth;

static void act_fail_unlink(struct between *b)
{
	rfs_mem_fail_nth(b->f->store, RFS_MEM_OP_UNLINK, fail_unlink_nth, EIO);
}

/* Partial failure: after one failed unlink in a batch, the index says
 * exactly which files are gone from the source, and the retry finishes. */
static void removed_recorded(struct run *x)
{
	struct afx *f = &x->f;
	int removed = 0, kept = 0;
	unsigned long nth = fail_unlink_nth;

	cr_assert_eq(afx_get_failed_step(f, x->id), RFS_ENTRY_DELETE, "%s",
		     f->err.msg);
	cr_assert_eq(afx_state(f, x->id), RFS_ENTRY_FAILED);
	for (size_t i = 0; i < f->n; i++) {
		struct afx_node *n = &f->nodes[i];
		struct stat st;
		const char *rel;
		enum rfs_file_state s;
		char have[RFS_SHA256_HEX_LEN];

		if (strncmp(n->path, ITEM "/", 5) || n->type == RFS_FILE_DIR)
			continue;
		rel = n->path + 5;
		s = row_state(f, x->id, rel);
		if (rfs_backend_stat(f->src, n->path, &st) == -ENOENT) {
			removed++;
			cr_assert_eq(s, RFS_FILE_DELETED,
				     "%s, unlink %lu failed: '%s' is gone but "
				     "the index says state %d",
				     x->layout, nth, rel, s);
		} else {
			kept++;
			cr_assert_eq(s, RFS_FILE_VERIFIED,
				     "%s, unlink %lu: '%s' is still there, "
				     "state %d",
				     x->layout, nth, rel, s);
		}
		/* the bin holds every file either way */
		if (n->type == RFS_FILE_REG) {
			sha_of(f->bin, bin_key(&x->e, n->path), have);
			cr_assert_str_eq(have, n->sha);
		}
	}
	/* the batch goes on past the failed file, which stays */
	cr_assert_gt(kept, 0, "%s: nothing left (%s)", x->layout, f->err.msg);
	cr_assert_gt(removed, 0);
	/* the bin holds the only copy of what was removed */
	cr_assert_eq(rfs_purge_begin(f->idx, x->id, &f->err), -EBUSY,
		     "%s: a purge could drop the only copy", x->layout);
	afx_finish(f, x->id);
	afx_check_archived_id(f, x->id);
}

Test(core_checks, failed_unlink_records_exactly_the_files_removed)
{
	static const struct rfs_job_opts one = { .parallel_files = 1 };

	for (fail_unlink_nth = 1; fail_unlink_nth <= 4; fail_unlink_nth++)
		run_case(&(const struct between_case){
			.state = RFS_ENTRY_DELETE,
			.act = act_fail_unlink,
			.opts = &one,
			.want = ANY_FAILURE,
			.check = removed_recorded,
		});
}

static void act_fail_source_sync(struct between *b)
{
	rfs_mem_fail_nth(b->f->store, RFS_MEM_OP_SYNC, 1, EIO);
}

/* Delete: the source is synced before a batch is recorded deleted; when
 * that sync fails, the files removed are recorded deleted all the same (a
 * purge must not drop their only copy), the job fails naming the sync, and
 * the retry finishes. */
static void sync_failed_removed_recorded(struct run *x)
{
	struct afx *f = &x->f;
	int removed = 0;

	cr_assert_eq(afx_state(f, x->id), RFS_ENTRY_FAILED);
	cr_assert_eq(afx_get_failed_step(f, x->id), RFS_ENTRY_DELETE, "%s",
		     f->err.msg);
	cr_assert_not_null(strstr(f->err.msg, "syncing the source"), "%s",
			   f->err.msg);
	for (size_t i = 0; i < f->n; i++) {
		struct afx_node *n = &f->nodes[i];
		struct stat st;

		if (strncmp(n->path, ITEM "/", 5) || n->type == RFS_FILE_DIR ||
		    rfs_backend_stat(f->src, n->path, &st) != -ENOENT)
			continue;
		removed++;
		cr_assert_eq(row_state(f, x->id, n->path + 5), RFS_FILE_DELETED,
			     "%s: '%s'", x->layout, n->path);
	}
	cr_assert_gt(removed, 0, "%s", x->layout);
	cr_assert_eq(rfs_purge_begin(f->idx, x->id, &f->err), -EBUSY,
		     "%s: a purge could drop the only copy", x->layout);
	afx_finish(f, x->id);
	afx_check_archived_id(f, x->id);
}

Test(core_checks, failed_source_sync_in_delete_fails_and_records_the_removed)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_DELETE,
		.act = act_fail_source_sync,
		.want = ANY_FAILURE,
		.check = sync_failed_removed_recorded,
	});
}

/* ----------------------------------------------------------------- sync */

/* Sync: copies are recorded only once the bin's sync made them durable;
 * a failed sync records nothing and the retry completes. */
Test(core_checks, failed_bin_sync_records_no_copy)
{
	for (size_t l = 0; l < 2; l++) {
		struct afx f;
		struct rfs_entry e = { 0 };
		int64_t copied = -1;

		prepare(&f, layouts[l], &e);
		rfs_mem_fail_nth(*f.bin_store ? f.bin_store : f.store,
				 RFS_MEM_OP_SYNC, 1, EIO);
		cr_assert_lt(afx_run(&f, e.id, NULL), 0,
			     "%s: the job ignored a failed sync",
			     layout_names[l]);
		cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_FAILED);
		cr_assert_not_null(strstr(f.err.msg, "durable"), "%s",
				   f.err.msg);
		cr_assert_eq(rfs_index_file_count(f.idx, e.id, RFS_FILE_COPIED,
						  &copied, NULL, NULL),
			     0);
		cr_assert_eq(copied, 0, "%s: %lld rows copied, none durable",
			     layout_names[l], (long long)copied);
		afx_check_source(&f, ITEM);
		afx_finish(&f, e.id);
		afx_check_archived_id(&f, e.id);
		rfs_entry_release(&e);
		afx_close(&f);
	}
}

/* --------------------------------------------------------------- verify */

static void act_corrupt_bin_copy(struct between *b)
{
	struct afx_node *n = afx_node(b->f, b->path);

	put_bytes(b->f->bin, bin_key(corrupt_entry, b->path), n->size, 'x');
}

/* A corrupt bin copy failed the archive at verify (-EBADMSG): the reason
 * names the file, the source is kept whole. */
static void verify_failed(struct run *x)
{
	struct rfs_entry got = { 0 };

	afx_get(&x->f, x->id, &got);
	cr_assert_eq(got.state, RFS_ENTRY_FAILED, "%s: %s", x->layout,
		     rfs_entry_state_name(got.state));
	cr_assert_eq(got.failed_step, RFS_ENTRY_VERIFY, "%s", x->layout);
	cr_assert_not_null(got.reason, "%s", x->layout);
	cr_assert_not_null(strstr(got.reason, BIG), "%s: %s", x->layout,
			   got.reason);
	rfs_entry_release(&got);
	afx_check_source(&x->f, ITEM);
}

/* Verify: a bin copy corrupted after sync is caught by hashing the copy
 * (not the source): the job fails with the source intact, and a retry
 * copies again and ends with every copy equal to its source. */
static void verify_failed_then_retried(struct run *x)
{
	verify_failed(x);
	afx_finish(&x->f, x->id);
	cr_assert_eq(afx_state(&x->f, x->id), RFS_ENTRY_ARCHIVED);
	afx_check_no_loss(&x->f, ITEM, x->e.bin_path, x->layout);
}

Test(core_checks, verify_hashes_the_bin_copy)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_VERIFY,
		.act = act_corrupt_bin_copy,
		.path = BIG,
		.want = -EBADMSG,
		.check = verify_failed_then_retried,
	});
}

/* Verify: the copy a retry makes of a corrupt bin copy keeps the archived
 * metadata, its folder's times included. */
static void verify_failed_then_archived(struct run *x)
{
	verify_failed(x);
	afx_finish(&x->f, x->id);
	afx_check_archived_id(&x->f, x->id);
}

Test(core_checks, verify_recopy_keeps_folder_times)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_VERIFY,
		.act = act_corrupt_bin_copy,
		.path = BIG,
		.want = -EBADMSG,
		.check = verify_failed_then_archived,
	});
}

static void act_rewrite_source(struct between *b)
{
	afx_rewrite(b->f, b->path, afx_node(b->f, b->path)->size);
}

/* Verify: a source rewritten (same size, new mtime) after the snapshot
 * stops the job; nothing of the source is deleted. */
static void failed_on_change(struct run *x)
{
	cr_assert_eq(afx_state(&x->f, x->id), RFS_ENTRY_FAILED);
	cr_assert_not_null(strstr(x->f.err.msg, "changed"), "%s", x->f.err.msg);
	afx_check_source(&x->f, ITEM);
}

Test(core_checks, verify_stops_on_a_source_changed_since_snapshot)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_VERIFY,
		.act = act_rewrite_source,
		.path = PARQUET,
		.want = -EBUSY,
		.check = failed_on_change,
	});
}

/* Record the source's own mtime of @p path as the truth about it. */
static void take_mtime(struct afx *f, const char *path)
{
	struct afx_node *n = afx_node(f, path);
	struct stat st;

	cr_assert_eq(rfs_backend_stat(f->src, path, &st), 0);
	n->mtime_ns = st.st_mtim.tv_sec * RFS_NSEC_PER_SEC + st.st_mtim.tv_nsec;
}

static void act_resize_keep_mtime(struct between *b)
{
	struct afx_node *n = afx_node(b->f, b->path);
	int64_t mtime = n->mtime_ns;

	afx_rewrite(b->f, b->path, n->size + 1);
	afx_touch(b->f, b->path, mtime);
}

/* Verify: a source that changed size but kept its mtime stops the job. */
static void source_whole(struct run *x)
{
	afx_check_source(&x->f, ITEM);
}

Test(core_checks, verify_stops_on_a_source_resized_with_its_old_mtime)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_VERIFY,
		.act = act_resize_keep_mtime,
		.path = PARQUET,
		.want = -EBUSY,
		.check = source_whole,
	});
}

static void act_add_file(struct between *b)
{
	char parent[256];

	afx_file(b->f, b->path, 10, 0644);
	snprintf(parent, sizeof(parent), "%.*s",
		 (int)(strrchr(b->path, '/') - b->path), b->path);
	take_mtime(b->f, b->path);
	take_mtime(b->f, parent); /* the folder changed with it */
}

/* Verify: a file that appeared in the item after the snapshot stops the
 * job; nothing of the source is deleted. */
static void failed_on_appeared(struct run *x)
{
	cr_assert_not_null(strstr(x->f.err.msg, "appeared"), "%s",
			   x->f.err.msg);
	afx_check_source(&x->f, ITEM);
}

Test(core_checks, verify_stops_on_a_file_that_appeared)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_VERIFY,
		.act = act_add_file,
		.path = ITEM "/sub/late.bin",
		.want = -EBUSY,
		.check = failed_on_appeared,
	});
}

/* What the manifest in the bin lists, seen from act_read_manifest. */
struct listed {
	struct between *b;
	int files;
};

static int manifest_row(void *ctx, const struct rfs_entry_file *row)
{
	struct listed *l = ctx;
	char path[256];
	struct afx_node *n;

	if (row->type != RFS_FILE_REG)
		return 0;
	snprintf(path, sizeof(path), "%s%s%s", ITEM, *row->path ? "/" : "",
		 row->path);
	n = afx_node(l->b->f, path);
	if (!n || strcmp(row->sha256, n->sha)) {
		snprintf(l->b->why, sizeof(l->b->why),
			 "manifest row '%s' has checksum '%s'", row->path,
			 row->sha256);
		return -EBADMSG;
	}
	l->files++;
	return 0;
}

static void act_read_manifest(struct between *b)
{
	struct listed l = { b, 0 };
	struct rfs_entry m = { 0 };
	struct rfs_error err = { 0 };
	char key[256];
	int r;

	rfs_manifest_key(corrupt_entry->uuid, key, sizeof(key));
	r = rfs_manifest_read(b->f->bin, key, &m, manifest_row, &l, &err);
	if (r < 0 && !*b->why)
		snprintf(b->why, sizeof(b->why), "read: %d %s", r, err.msg);
	b->manifest_ok = r == 0 && l.files == 4;
	if (r == 0 && l.files != 4)
		snprintf(b->why, sizeof(b->why), "%d files listed", l.files);
	rfs_entry_release(&m);
}

/* Verify: when delete starts, the bin holds a manifest listing every
 * file with its verified checksum (the index may be lost from then on). */
static void manifest_was_complete(struct run *x)
{
	cr_assert(x->b.manifest_ok, "%s: %s", x->layout, x->b.why);
}

Test(core_checks, verified_manifest_is_in_the_bin_before_delete)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_DELETE,
		.act = act_read_manifest,
		.want = 0,
		.check = manifest_was_complete,
	});
}

/* -------------------------------------------------------------- restore */

/* Record a restore of ITEM to its original place. @return its id */
static int64_t restore_begin(struct afx *f)
{
	struct rfs_restore r = { 0 };
	int64_t id;

	cr_assert_eq(rfs_restore_begin(f->idx, afx_origin(ITEM), NULL, false,
				       NULL, &r, &f->err),
		     0, "%s", f->err.msg);
	id = r.id;
	rfs_restore_release(&r);
	return id;
}

static int restore_run(struct afx *f, int64_t id)
{
	rfs_error_clear(&f->err);
	return rfs_restore_run(f->idx, id, NULL, &f->err);
}

static void act_put_intruder(struct between *b)
{
	int r = rfs_backend_mkdir(b->f->src, ITEM, 0755);

	cr_assert(r == 0 || r == -EEXIST);
	put_bytes(b->f->src, b->path, 77, 'i');
	sha_of(b->f->src, b->path, b->sha);
}

/* Restore's copy: a file that appeared at the target after the check is
 * left alone and the restore fails naming it. */
static void intruder_kept(struct run *x)
{
	char have[RFS_SHA256_HEX_LEN];

	cr_assert_not_null(strstr(x->f.err.msg, "appeared"), "%s",
			   x->f.err.msg);
	sha_of(x->f.src, PARQUET, have);
	cr_assert_str_eq(have, x->b.sha,
			 "%s: the file that arrived was overwritten",
			 x->layout);
}

Test(core_checks, restore_copy_leaves_a_file_that_appeared_after_check)
{
	run_case(&(const struct between_case){
		.restore = true,
		.state = RFS_RESTORE_COPY,
		.act = act_put_intruder,
		.path = PARQUET,
		.want = -EEXIST,
		.check = intruder_kept,
	});
}

static void act_tamper_restored(struct between *b)
{
	struct afx_node *n = afx_node(b->f, b->path);

	put_bytes(b->f->src, b->path, n->size, 't');
}

/* Restore's verify: a restored file that does not match its manifest
 * checksum is copied again; the restore ends with the archived bytes. */
static void repaired(struct run *x)
{
	struct rfs_restore r = { 0 };
	char have[RFS_SHA256_HEX_LEN];

	cr_assert_eq(rfs_index_restore_get(x->f.idx, x->id, &r, &x->f.err), 0);
	cr_assert_eq(r.state, RFS_RESTORE_DONE);
	rfs_restore_release(&r);
	sha_of(x->f.src, BIG, have);
	cr_assert_str_eq(have, x->big,
			 "%s: a corrupt restored file was reported restored",
			 x->layout);
}

Test(core_checks, restore_verify_repairs_a_tampered_file)
{
	run_case(&(const struct between_case){
		.restore = true,
		.state = RFS_RESTORE_VERIFY,
		.act = act_tamper_restored,
		.path = BIG,
		.want = 0,
		.check = repaired,
	});
}

static void act_corrupt_bin_for_restore(struct between *b)
{
	struct afx_node *n = afx_node(b->f, b->path);

	put_bytes(b->f->bin, bin_key(corrupt_entry, b->path), n->size, 'c');
}

/* Restore's check: a bin copy that no longer matches its manifest stops
 * the restore before anything is written to the target. */
static void nothing_written(struct run *x)
{
	struct stat st;

	cr_assert_not_null(strstr(x->f.err.msg, "corrupt"), "%s", x->f.err.msg);
	cr_assert_eq(rfs_backend_stat(x->f.src, ITEM, &st), -ENOENT,
		     "%s: the restore wrote to the target", x->layout);
}

Test(core_checks, restore_check_refuses_a_corrupt_bin_copy)
{
	run_case(&(const struct between_case){
		.restore = true,
		.state = RFS_RESTORE_CHECK,
		.act = act_corrupt_bin_for_restore,
		.path = PARQUET,
		.want = -EBADMSG,
		.check = nothing_written,
	});
}

/* --------------------------------------------------------------- finding */

static void forget(struct afx *f, const char *item)
{
	size_t n = strlen(item), k = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strncmp(f->nodes[i].path, item, n) ||
		    (f->nodes[i].path[n] && f->nodes[i].path[n] != '/'))
			f->nodes[k++] = f->nodes[i];
	f->n = k;
}

/* A path with several archived versions names the newest, through an
 * origin path and through a path inside the item; a bin path names its
 * own version. */
Test(core_checks, a_path_with_versions_names_the_newest)
{
	struct afx f;
	struct rfs_entry v[3] = { 0 }, found = { 0 };
	const char *file[3] = { "p", "q", "r" };
	char path[128], *sub = NULL;

	afx_open(&f, AFX_SHARED);
	for (int i = 0; i < 3; i++) {
		afx_dir(&f, ITEM, 0755);
		snprintf(path, sizeof(path), ITEM "/%s", file[i]);
		afx_file(&f, path, 100 + i, 0644);
		afx_settle(&f);
		afx_archive(&f, ITEM, &v[i]);
		forget(&f, ITEM);
	}
	cr_assert_eq(rfs_entry_find(f.idx, afx_origin(ITEM), &found, &f.err), 0,
		     "%s", f.err.msg);
	cr_assert_eq(found.id, v[2].id, "the origin found version %lld",
		     (long long)found.id);
	rfs_entry_release(&found);
	cr_assert_eq(rfs_entry_find_at(f.idx, afx_origin(ITEM "/r"), &found,
				       &sub, &f.err),
		     0, "%s", f.err.msg);
	cr_assert_eq(found.id, v[2].id, "a path inside found version %lld",
		     (long long)found.id);
	cr_assert_str_eq(sub, "r");
	free(sub);
	rfs_entry_release(&found);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), ".recyclebin/%s/%s", v[i].bin_path,
			 file[i]);
		cr_assert_eq(
			rfs_entry_find_at(f.idx, path, &found, &sub, &f.err), 0,
			"%s", f.err.msg);
		cr_assert_eq(found.id, v[i].id, "%s found %lld", path,
			     (long long)found.id);
		cr_assert_str_eq(sub, file[i]);
		free(sub);
		rfs_entry_release(&found);
	}
	for (int i = 0; i < 3; i++)
		rfs_entry_release(&v[i]);
	afx_close(&f);
}

/* ------------------------------------------------------ local metadata */

/* A copy on local storage keeps every mode bit (setuid, setgid, sticky
 * included), a distinct owner and group and nanosecond times: through
 * the backend's own copy and through rfs_copy_reg() streaming it. */
Test(core_checks, local_copies_keep_every_mode_bit_owner_and_times)
{
	char dir[] = "/tmp/rfs-checks-XXXXXX", uri[128], path[256];
	struct rfs_backend *b = NULL, *mem = NULL;
	struct rfs_error err = { 0 };
	struct timespec ts[2] = { { 1000000000, 123456789 },
				  { 1500000000, 987654321 } };
	struct rfs_entry_file row = { 0 };
	char sha[RFS_SHA256_HEX_LEN];
	const char *dests[] = { "copy", "streamed" };
	struct stat st;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "payload", 7), 7);
	cr_assert_eq(fchown(fd, 1234, 5678), 0);
	cr_assert_eq(fchmod(fd, 07755), 0);
	cr_assert_eq(futimens(fd, ts), 0);
	close(fd);
	snprintf(uri, sizeof(uri), "file://%s", dir);
	cr_assert_eq(rfs_backend_open(uri, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(rfs_backend_copy(b, "f", b, "copy", 0), 0);
	/* a stream through another backend and back */
	snprintf(uri, sizeof(uri), "mem://checks%d/x", (int)getpid());
	cr_assert_eq(rfs_backend_open(uri, &mem, &err), 0, "%s", err.msg);
	row.path = "f";
	row.type = RFS_FILE_REG;
	row.size = 7;
	row.mode = 07755;
	row.uid = 1234;
	row.gid = 5678;
	row.atime_ns = 1000000000LL * RFS_NSEC_PER_SEC + 123456789;
	row.mtime_ns = 1500000000LL * RFS_NSEC_PER_SEC + 987654321;
	cr_assert_eq(rfs_copy_reg(b, "f", mem, "f", &row, NULL, sha), 0);
	cr_assert_eq(rfs_copy_reg(mem, "f", b, "streamed", &row, NULL, sha), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dests[i]);
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq(st.st_mode & 07777, 07755, "%s: mode %o", dests[i],
			     st.st_mode & 07777);
		cr_assert_eq(st.st_uid, 1234, "%s", dests[i]);
		cr_assert_eq(st.st_gid, 5678, "%s", dests[i]);
		cr_assert_eq(st.st_mtim.tv_sec, 1500000000, "%s", dests[i]);
		cr_assert_eq(st.st_mtim.tv_nsec, 987654321, "%s", dests[i]);
		unlink(path);
	}
	/* a folder's sticky and setgid bits */
	cr_assert_eq(rfs_backend_mkdir(b, "d", 0700), 0);
	row.path = "d";
	row.type = RFS_FILE_DIR;
	row.size = 0;
	row.mode = 03777;
	cr_assert_eq(rfs_copy_meta(b, "d", &row), 0);
	snprintf(path, sizeof(path), "%s/d", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 03777, "folder mode %o",
		     st.st_mode & 07777);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	rmdir(dir);
	rfs_backend_free(b);
	rfs_backend_free(mem);
}

/* Verify: a bin copy corrupted again on every verify stops the job each
 * time; the source is not deleted. */
Test(core_checks, verify_fails_when_the_second_copy_is_corrupt_too)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_VERIFY,
		.act = act_corrupt_bin_copy,
		.path = BIG,
		.repeat = true,
		.want = -EBADMSG,
		.check = source_whole,
	});
}

/* Restore's verify: a restored file that stays wrong after the second
 * copy fails the restore. */
Test(core_checks, restore_verify_fails_when_the_second_copy_is_wrong_too)
{
	run_case(&(const struct between_case){
		.restore = true,
		.state = RFS_RESTORE_VERIFY,
		.act = act_tamper_restored,
		.path = BIG,
		.repeat = true,
		.want = -EBADMSG,
	});
}

static void act_relink(struct between *b)
{
	const char *key = bin_key(corrupt_entry, b->path);

	cr_assert_eq(rfs_backend_unlink(b->f->bin, key), 0);
	cr_assert_eq(rfs_backend_symlink(b->f->bin, "elsewhere", key), 0);
}

/* Verify: a symlink whose target in the bin differs from the snapshot's
 * stops the job; the source is not deleted. */
Test(core_checks, verify_checks_symlink_targets)
{
	run_case(&(const struct between_case){
		.state = RFS_ENTRY_VERIFY,
		.act = act_relink,
		.path = ITEM "/latest",
		.want = ANY_FAILURE,
		.check = source_whole,
	});
}

/* Restore's check: a different file at the target refuses the whole
 * restore before any byte is written. */
Test(core_checks, restore_check_refuses_before_writing_anything)
{
	for (size_t l = 0; l < 2; l++) {
		struct afx f;
		struct between b = { .f = &f };
		char have[RFS_SHA256_HEX_LEN];
		struct stat st;
		int64_t id;

		afx_open(&f, layouts[l]);
		afx_tree(&f, ITEM);
		afx_settle(&f);
		afx_archive(&f, ITEM, NULL);
		snprintf(b.path, sizeof(b.path), "%s", PARQUET);
		act_put_intruder(&b);
		id = restore_begin(&f);
		cr_assert_eq(restore_run(&f, id), -EEXIST, "%s: %s",
			     layout_names[l], f.err.msg);
		cr_assert_not_null(strstr(f.err.msg, "nothing was restored"),
				   "%s", f.err.msg);
		cr_assert_eq(rfs_backend_stat(f.src, BIG, &st), -ENOENT,
			     "%s: files were restored beside the conflict",
			     layout_names[l]);
		sha_of(f.src, PARQUET, have);
		cr_assert_str_eq(have, b.sha);
		afx_close(&f);
	}
}

/* ------------------------------------------------------------- metadata */

/* What every node of the matrix must keep. */
struct meta {
	const char *path; /* under the epoch root */
	bool dir;
	uint32_t mode;
};

static const struct meta matrix[] = {
	{ "m=1", true, 02775 },		 { "m=1/sticky", true, 01777 },
	{ "m=1/suid", false, 04755 },	 { "m=1/sgid", false, 02750 },
	{ "m=1/all", false, 07777 },	 { "m=1/none", false, 0 },
	{ "m=1/sticky/f", false, 0640 },
};
#define N_MATRIX (sizeof(matrix) / sizeof(matrix[0]))

/* Nanosecond times of node @p i: atime, mtime. */
static void matrix_times(size_t i, struct timespec ts[2])
{
	ts[0] = (struct timespec){ 1100000000 + (time_t)i, 123456789 };
	ts[1] = (struct timespec){ 1000000000 + (time_t)i,
				   987654321 - (long)i };
}

/* Node @p i at @p key of @p b has its mode, owner, group, times and
 * xattr. */
static void matrix_check(struct rfs_backend *b, const char *key, size_t i,
			 const char *where)
{
	struct timespec ts[2];
	char value[256];
	struct stat st;
	ssize_t n;

	matrix_times(i, ts);
	cr_assert_eq(rfs_backend_stat(b, key, &st), 0, "%s: %s", where, key);
	cr_assert_eq(st.st_mode & 07777, matrix[i].mode, "%s: %s mode %o",
		     where, key, st.st_mode & 07777);
	cr_assert_eq(st.st_uid, 1234, "%s: %s owner %d", where, key,
		     (int)st.st_uid);
	cr_assert_eq(st.st_gid, 5678, "%s: %s group %d", where, key,
		     (int)st.st_gid);
	cr_assert_eq(st.st_mtim.tv_sec, ts[1].tv_sec, "%s: %s", where, key);
	cr_assert_eq(st.st_mtim.tv_nsec, ts[1].tv_nsec, "%s: %s mtime ns",
		     where, key);
	n = rfs_backend_getxattr(b, key, "user.matrix", value,
				 sizeof(value) - 1);
	cr_assert_eq(n, (ssize_t)strlen(matrix[i].path), "%s: %s xattr (%zd)",
		     where, key, n);
	value[n] = '\0';
	cr_assert_str_eq(value, matrix[i].path, "%s: %s", where, key);
}

/* Every mode bit (setuid, setgid, sticky included), an owner and group
 * distinct from each other and from root, nanosecond times and xattrs on
 * files and folders: kept in the bin by an archive and at the target by a
 * restore, on the memory backend (one store, or the bin on its own). */
Test(core_checks, metadata_matrix_through_archive_and_restore)
{
	for (size_t l = 0; l < 2; l++) {
		struct rfs_restore r = { 0 };
		struct rfs_entry e = { 0 };
		struct timespec ts[2];
		char key[256];
		struct afx f;

		afx_open(&f, layouts[l]);
		for (size_t i = 0; i < N_MATRIX; i++) {
			if (matrix[i].dir)
				afx_dir(&f, matrix[i].path, 0755);
			else
				afx_file(&f, matrix[i].path, 1000 + (int)i,
					 0644);
		}
		afx_settle(&f);
		/* owner first, then the mode, the xattr, times last and
		 * deepest first */
		for (size_t i = N_MATRIX; i-- > 0;) {
			const char *p = matrix[i].path;

			matrix_times(i, ts);
			cr_assert_eq(rfs_backend_chown(f.src, p, 1234, 5678),
				     0);
			cr_assert_eq(
				rfs_backend_chmod(f.src, p, matrix[i].mode), 0);
			cr_assert_eq(rfs_backend_setxattr(f.src, p,
							  "user.matrix", p,
							  strlen(p), 0),
				     0);
			cr_assert_eq(rfs_backend_utimens(f.src, p, ts), 0);
			matrix_check(f.src, p, i, "made");
		}
		/* the fixture's records know not these attributes: run the
		 * archive and check it here */
		afx_begin(&f, "m=1", &e);
		cr_assert_eq(afx_run(&f, e.id, NULL), 0, "%s", f.err.msg);
		cr_assert_eq(afx_state(&f, e.id), RFS_ENTRY_ARCHIVED);
		for (size_t i = 0; i < N_MATRIX; i++) {
			snprintf(key, sizeof(key), "%s%s", e.bin_path,
				 matrix[i].path + 3);
			matrix_check(f.bin, key, i, layout_names[l]);
		}
		cr_assert_eq(rfs_restore_begin(f.idx, AFX_E "/m=1", NULL, false,
					       NULL, &r, &f.err),
			     0, "%s", f.err.msg);
		cr_assert_eq(rfs_restore_run(f.idx, r.id, NULL, &f.err), 0,
			     "%s", f.err.msg);
		for (size_t i = 0; i < N_MATRIX; i++)
			matrix_check(f.src, matrix[i].path, i, "restored");
		rfs_restore_release(&r);
		rfs_entry_release(&e);
		afx_close(&f);
	}
}
