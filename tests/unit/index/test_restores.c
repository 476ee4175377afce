/*
 * Restores in the index: every field round-trips, a restore needs its
 * entry and goes with it, updates, progress and leases, and walks by
 * state and entry (index/restores.h, core/restore.h).
 */
#include "index/restores.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/internal.h"
#include "model/entry.h"
#include "core/restore.h"
#include "util/error.h"

#include "entry_helpers.h"

#include <errno.h>

TestSuite(index_restores, .init = entries_setup, .fini = entries_teardown);

static void str_eq_or_null(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		cr_assert(a == b, "%s: %s != %s", what, a ? a : "NULL",
			  b ? b : "NULL");
	else
		cr_assert_str_eq(a, b, "%s", what);
}

static void assert_same(const struct rfs_restore *a,
			const struct rfs_restore *b)
{
	cr_assert_eq(a->id, b->id);
	cr_assert_eq(a->entry_id, b->entry_id);
	str_eq_or_null(a->sub, b->sub, "sub");
	str_eq_or_null(a->target_uri, b->target_uri, "target_uri");
	str_eq_or_null(a->target_key, b->target_key, "target_key");
	str_eq_or_null(a->target, b->target, "target");
	cr_assert_eq(a->target_epoch_id, b->target_epoch_id);
	str_eq_or_null(a->target_table, b->target_table, "target_table");
	str_eq_or_null(a->target_lifecycle, b->target_lifecycle,
		       "target_lifecycle");
	str_eq_or_null(a->target_epoch, b->target_epoch, "target_epoch");
	cr_assert_eq(a->overwrite, b->overwrite);
	cr_assert_eq(a->state, b->state);
	cr_assert_eq(a->failed_step, b->failed_step);
	str_eq_or_null(a->reason, b->reason, "reason");
	cr_assert_eq(a->files_total, b->files_total);
	cr_assert_eq(a->bytes_total, b->bytes_total);
	cr_assert_eq(a->files_done, b->files_done);
	cr_assert_eq(a->bytes_done, b->bytes_done);
	cr_assert_eq(a->created_ns, b->created_ns);
	cr_assert_eq(a->updated_ns, b->updated_ns);
	str_eq_or_null(a->lease_owner, b->lease_owner, "lease_owner");
	cr_assert_eq(a->lease_until_ns, b->lease_until_ns);
}

/* @return the integer @p sql returns, asked through the test's index */
static int64_t query(const char *sql)
{
	int64_t v = -1;

	cr_assert_eq(rfs_index_query_int(idx, sql, &v, NULL), 0, "%s", sql);
	return v;
}

/* Fill @p r: a restore of entry @p entry_id to a URI, in @p state. */
static void restore_init(struct rfs_restore *r, int64_t entry_id,
			 enum rfs_restore_state state)
{
	memset(r, 0, sizeof(*r));
	r->entry_id = entry_id;
	r->sub = xdup("");
	r->target_uri = xdup("s3://restored/orders");
	r->target_key = xdup("dt=2001-01-01");
	r->target = xdup("s3://restored/orders/dt=2001-01-01");
	r->state = state;
}

/* Insert a restore like restore_init()'s, each to its own target (one
 * target has at most one runnable restore). @return its id */
static int64_t add_restore(int64_t entry_id, enum rfs_restore_state state)
{
	static int n;
	struct rfs_error err = { 0 };
	struct rfs_restore r;
	int64_t id;

	restore_init(&r, entry_id, state);
	free(r.target_key);
	cr_assert_neq(asprintf(&r.target_key, "dt=2001-01-%02d", ++n), -1);
	cr_assert_eq(rfs_index_restore_insert(idx, &r, &err), 0, "%s", err.msg);
	id = r.id;
	rfs_restore_release(&r);
	return id;
}

/* Read restore @p id into @p r, which the caller releases. */
static void get_restore(int64_t id, struct rfs_restore *r)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_restore_get(idx, id, r, &err), 0, "%s", err.msg);
}

Test(index_restores, state_names_round_trip)
{
	enum rfs_restore_state s, parsed;
	static const char *const names[] = {
		"check", "copy", "verify", "publish", "done", "failed",
	};

	cr_assert_eq(sizeof(names) / sizeof(names[0]), RFS_RESTORE_STATE_COUNT);
	for (s = 0; s < RFS_RESTORE_STATE_COUNT; s++) {
		cr_assert_str_eq(rfs_restore_state_name(s), names[s]);
		cr_assert_eq(rfs_restore_state_parse(names[s], &parsed), 0);
		cr_assert_eq(parsed, s);
	}
	parsed = RFS_RESTORE_FAILED;
	cr_assert_eq(rfs_restore_state_parse("restoring", &parsed), -EINVAL);
	cr_assert_eq(rfs_restore_state_parse("", &parsed), -EINVAL);
	cr_assert_eq(rfs_restore_state_parse("Copy", &parsed), -EINVAL);
	cr_assert_eq(rfs_restore_state_parse(NULL, &parsed), -EINVAL);
	cr_assert_eq(parsed, RFS_RESTORE_FAILED, "changed on failure");
	cr_assert_str_eq(rfs_restore_state_name(RFS_RESTORE_STATE_COUNT),
			 "unknown");
}

Test(index_restores, release_zeroes)
{
	struct rfs_restore r;

	restore_init(&r, 1, RFS_RESTORE_CHECK);
	r.reason = xdup("x");
	r.lease_owner = xdup("me");
	rfs_restore_release(&r);
	cr_assert_null(r.sub);
	cr_assert_null(r.reason);
	cr_assert_eq(r.entry_id, 0);
	rfs_restore_release(NULL);
}

Test(index_restores, every_field_round_trips)
{
	int64_t entry = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	struct rfs_error err = { 0 };
	struct rfs_restore r, got;

	restore_init(&r, entry, RFS_RESTORE_FAILED);
	free(r.sub);
	r.sub = xdup("dt=2001-01-01/part-0.parquet");
	r.target_epoch_id = 17;
	r.target_table = xdup("sales.orders");
	r.target_lifecycle = xdup("silver");
	r.target_epoch = xdup("2001-01-01..now");
	r.overwrite = true;
	r.failed_step = RFS_RESTORE_VERIFY;
	r.reason = xdup("checksum of 'a' differs");
	r.files_total = 10;
	r.bytes_total = 1LL << 40;
	r.files_done = 3;
	r.bytes_done = 12345;
	r.created_ns = 1000;
	r.updated_ns = 2000;
	r.lease_owner = xdup("host:1234");
	r.lease_until_ns = 5000;
	cr_assert_eq(rfs_index_restore_insert(idx, &r, &err), 0, "%s", err.msg);
	cr_assert_gt(r.id, 0);
	get_restore(r.id, &got);
	assert_same(&r, &got);
	rfs_restore_release(&got);
	rfs_restore_release(&r);
}

Test(index_restores, uri_target_keeps_catalog_fields_null)
{
	int64_t entry = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	struct rfs_restore r, got;

	restore_init(&r, entry, RFS_RESTORE_CHECK);
	cr_assert_eq(rfs_index_restore_insert(idx, &r, NULL), 0);
	cr_assert_gt(r.created_ns, 0, "zero created_ns is now");
	cr_assert_eq(r.updated_ns, r.created_ns);
	get_restore(r.id, &got);
	assert_same(&r, &got);
	cr_assert_eq(got.target_epoch_id, 0);
	cr_assert_null(got.target_table);
	cr_assert_null(got.target_lifecycle);
	cr_assert_null(got.target_epoch);
	cr_assert_null(got.reason);
	cr_assert_null(got.lease_owner);
	cr_assert_not(got.overwrite);
	rfs_restore_release(&got);
	rfs_restore_release(&r);
	cr_assert_eq(query("SELECT count(*) FROM restores WHERE"
			   " target_epoch_id IS NULL AND target_table"
			   " IS NULL AND target_epoch IS NULL"),
		     1);
}

Test(index_restores, missing_entry_or_restore_is_enoent)
{
	struct rfs_error err = { 0 };
	struct rfs_restore r, got;
	bool taken;

	restore_init(&r, 42, RFS_RESTORE_CHECK);
	cr_assert_eq(rfs_index_restore_insert(idx, &r, &err), -ENOENT);
	cr_assert_eq(err.code, ENOENT);
	cr_assert(strstr(err.msg, "no entry 42"), "%s", err.msg);
	cr_assert_eq(r.id, 0);
	rfs_restore_release(&r);

	cr_assert_eq(rfs_index_restore_get(idx, 7, &got, &err), -ENOENT);
	cr_assert(strstr(err.msg, "no restore 7"), "%s", err.msg);
	cr_assert_eq(rfs_index_restore_progress(idx, 7, 1, 1, NULL), -ENOENT);
	cr_assert_eq(
		rfs_index_restore_lease(idx, 7, NULL, "a", 1, &taken, NULL),
		-ENOENT);
	restore_init(&r, 1, RFS_RESTORE_COPY);
	r.id = 7;
	cr_assert_eq(rfs_index_restore_update(idx, &r, NULL), -ENOENT);
	rfs_restore_release(&r);
}

Test(index_restores, invalid_restores_are_refused)
{
	int64_t entry = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	struct rfs_error err = { 0 };
	struct rfs_restore r;

	restore_init(&r, entry, RFS_RESTORE_CHECK);
	free(r.target);
	r.target = NULL;
	cr_assert_eq(rfs_index_restore_insert(idx, &r, &err), -EINVAL);
	cr_assert(strstr(err.msg, "no target"), "%s", err.msg);
	r.target = xdup("x");
	free(r.sub);
	r.sub = NULL;
	cr_assert_eq(rfs_index_restore_insert(idx, &r, NULL), -EINVAL);
	r.sub = xdup("");
	r.state = RFS_RESTORE_STATE_COUNT;
	cr_assert_eq(rfs_index_restore_insert(idx, &r, NULL), -EINVAL);
	r.state = RFS_RESTORE_CHECK;
	r.failed_step = (enum rfs_restore_state) - 1;
	cr_assert_eq(rfs_index_restore_insert(idx, &r, NULL), -EINVAL);
	r.failed_step = RFS_RESTORE_CHECK;
	cr_assert_eq(rfs_index_restore_insert(idx, &r, NULL), 0);
	r.state = RFS_RESTORE_STATE_COUNT;
	cr_assert_eq(rfs_index_restore_update(idx, &r, NULL), -EINVAL);
	rfs_restore_release(&r);
	cr_assert_eq(query("SELECT count(*) FROM restores"), 1);
}

Test(index_restores, update_writes_the_mutable_fields)
{
	int64_t entry = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	struct rfs_error err = { 0 };
	struct rfs_restore r, got;
	int64_t id = add_restore(entry, RFS_RESTORE_CHECK);

	get_restore(id, &r);
	r.state = RFS_RESTORE_FAILED;
	r.failed_step = RFS_RESTORE_COPY;
	r.reason = xdup("target full");
	r.files_total = 7;
	r.bytes_total = 700;
	r.files_done = 3;
	r.bytes_done = 300;
	cr_assert_eq(rfs_index_restore_update(idx, &r, &err), 0, "%s", err.msg);
	get_restore(id, &got);
	cr_assert_gt(got.updated_ns, r.updated_ns);
	r.updated_ns = got.updated_ns;
	assert_same(&r, &got);
	rfs_restore_release(&got);

	/* NULL clears the reason; the immutable fields stay. */
	free(r.reason);
	r.reason = NULL;
	free(r.target);
	r.target = xdup("elsewhere");
	r.overwrite = true;
	r.state = RFS_RESTORE_CHECK;
	cr_assert_eq(rfs_index_restore_update(idx, &r, NULL), 0);
	get_restore(id, &got);
	cr_assert_null(got.reason);
	cr_assert_eq(got.state, RFS_RESTORE_CHECK);
	cr_assert_str_eq(got.target, "s3://restored/orders/dt=2001-01-01");
	cr_assert_not(got.overwrite);
	rfs_restore_release(&got);
	rfs_restore_release(&r);
}

Test(index_restores, progress_writes_the_counters_only)
{
	int64_t entry = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	int64_t id = add_restore(entry, RFS_RESTORE_COPY);
	struct rfs_restore before, got;

	get_restore(id, &before);
	cr_assert_eq(rfs_index_restore_progress(idx, id, 5, 5000, NULL), 0);
	get_restore(id, &got);
	cr_assert_eq(got.files_done, 5);
	cr_assert_eq(got.bytes_done, 5000);
	before.files_done = 5;
	before.bytes_done = 5000;
	assert_same(&before, &got);
	rfs_restore_release(&got);
	rfs_restore_release(&before);
}

static void lease(int64_t id, const char *expected, const char *owner,
		  int64_t until, bool want)
{
	struct rfs_error err = { 0 };
	bool taken = !want;

	cr_assert_eq(rfs_index_restore_lease(idx, id, expected, owner, until,
					     &taken, &err),
		     0, "%s", err.msg);
	cr_assert_eq(taken, want, "lease %s -> %s", expected, owner);
}

static void assert_lease(int64_t id, const char *owner, int64_t until)
{
	struct rfs_restore got;

	get_restore(id, &got);
	str_eq_or_null(got.lease_owner, owner, "lease_owner");
	cr_assert_eq(got.lease_until_ns, until);
	rfs_restore_release(&got);
}

Test(index_restores, lease_is_a_compare_and_swap)
{
	int64_t entry = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	int64_t id = add_restore(entry, RFS_RESTORE_CHECK);
	int64_t other = add_restore(entry, RFS_RESTORE_CHECK);

	lease(id, NULL, "a", 100, true); /* free -> taken */
	assert_lease(id, "a", 100);
	lease(id, NULL, "b", 200, false); /* taken by someone */
	lease(id, "c", "b", 200, false);  /* wrong expected owner */
	assert_lease(id, "a", 100);
	lease(id, "a", "a", 300, true); /* renewed by its owner */
	assert_lease(id, "a", 300);
	lease(id, "a", "b", 400, true); /* handed over (expired) */
	assert_lease(id, "b", 400);
	lease(id, "b", NULL, 0, true); /* released */
	assert_lease(id, NULL, 0);
	assert_lease(other, NULL, 0); /* the other one untouched */
}

/* Restore ids seen by a walk, in order. */
struct seen {
	int n;
	int stop_at; /* return 5 on this restore (1-based); 0: never */
	int64_t ids[16];
};

static int collect(const struct rfs_restore *r, void *ctx)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 16);
	cr_assert_not_null(r->target);
	s->ids[s->n++] = r->id;
	return s->n == s->stop_at ? 5 : 0;
}

/* Walk with @p filter and @p entry_id; check the ids, in order. */
static void expect_list(enum rfs_index_restore_filter filter, int64_t entry_id,
			const int64_t *want, int n_want)
{
	struct rfs_error err = { 0 };
	struct seen s = { 0 };
	int i;

	cr_assert_eq(rfs_index_restore_list(idx, filter, entry_id, collect, &s,
					    &err),
		     0, "%s", err.msg);
	cr_assert_eq(s.n, n_want, "entry %lld: %d restores, want %d",
		     (long long)entry_id, s.n, n_want);
	for (i = 0; i < n_want; i++)
		cr_assert_eq(s.ids[i], want[i], "entry %lld, row %d",
			     (long long)entry_id, i);
}

#define EXPECT_LIST(filter, entry_id, ...)                                     \
	do {                                                                   \
		const int64_t want_[] = { __VA_ARGS__ };                       \
		expect_list(filter, entry_id, want_,                           \
			    sizeof(want_) / sizeof(want_[0]));                 \
	} while (0)

Test(index_restores, list_filters_by_state_and_entry)
{
	int64_t e1 = add_entry(1, "t/l/a", NULL, RFS_ENTRY_ARCHIVED);
	int64_t e2 = add_entry(2, "t/l/b", NULL, RFS_ENTRY_ARCHIVED);
	int64_t e3 = add_entry(3, "t/l/c", NULL, RFS_ENTRY_ARCHIVED);
	int64_t r[6];
	struct seen s = { .stop_at = 2 };
	enum rfs_restore_state st;

	for (st = 0; st < RFS_RESTORE_STATE_COUNT; st++)
		r[st] = add_restore(st % 2 ? e2 : e1, st);
	EXPECT_LIST(RFS_INDEX_RESTORES_ALL, 0, r[0], r[1], r[2], r[3], r[4],
		    r[5]);
	EXPECT_LIST(RFS_INDEX_RESTORES_RUNNABLE, 0, r[0], r[1], r[2], r[3]);
	EXPECT_LIST(RFS_INDEX_RESTORES_ALL, e1, r[0], r[2], r[4]);
	EXPECT_LIST(RFS_INDEX_RESTORES_ALL, e2, r[1], r[3], r[5]);
	EXPECT_LIST(RFS_INDEX_RESTORES_RUNNABLE, e2, r[1], r[3]);
	expect_list(RFS_INDEX_RESTORES_ALL, e3, NULL, 0);
	expect_list(RFS_INDEX_RESTORES_ALL, 99, NULL, 0);

	/* A non-zero return stops the walk and is returned. */
	cr_assert_eq(rfs_index_restore_list(idx, RFS_INDEX_RESTORES_ALL, 0,
					    collect, &s, NULL),
		     5);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(rfs_index_restore_list(idx, 77, 0, collect, &s, NULL),
		     -EINVAL);
}

Test(index_restores, restores_go_with_their_entry)
{
	int64_t e1 = add_entry(1, "t/l/a", NULL, RFS_ENTRY_ARCHIVED);
	int64_t e2 = add_entry(2, "t/l/b", NULL, RFS_ENTRY_ARCHIVED);
	int64_t keep = add_restore(e2, RFS_RESTORE_DONE);
	struct rfs_restore got;
	struct rfs_error err = { 0 };
	char sql[128];

	add_restore(e1, RFS_RESTORE_DONE);
	add_restore(e1, RFS_RESTORE_COPY);
	cr_assert_eq(query("SELECT count(*) FROM restores"), 3);
	snprintf(sql, sizeof(sql), "DELETE FROM entries WHERE id = %lld",
		 (long long)e1);
	cr_assert_eq(rfs_index_exec(idx, sql, &err), 0, "%s", err.msg);
	cr_assert_eq(query("SELECT count(*) FROM restores"), 1);
	get_restore(keep, &got);
	cr_assert_eq(got.entry_id, e2);
	rfs_restore_release(&got);
}

Test(index_restores, version_2_index_keeps_its_entries)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e;
	struct rfs_restore r;

	/* A version 2 index with one entry, opened by this build. */
	raw_exec(test_db, "PRAGMA application_id = 1380340529;");
	raw_exec(test_db, rfs_index_migrations[0].sql);
	raw_exec(test_db, rfs_index_migrations[1].sql);
	raw_exec(test_db,
		 "PRAGMA user_version = 2;"
		 "INSERT INTO entries (uuid, bin_path, origin_path,"
		 " table_name, lifecycle_name, epoch_name, storage_name,"
		 " src_uri, bin_root_uri, is_dir, state, failed_step,"
		 " reason, created_ns, updated_ns)"
		 " VALUES ('00000000000000000000000000000abc', 't/l/e/x',"
		 " 't/l/e/x', 't', 'l', 'e', 'nfs', 'file:///srv',"
		 " 'file:///srv/.bin', 1, 'archived', 'snapshot', 'kept',"
		 " 10, 20);");
	rfs_index_free(idx);
	cr_assert_eq(rfs_index_open(test_db, 0, &idx, &err), 0, "%s", err.msg);
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"),
		     RFS_INDEX_SCHEMA_VERSION);

	cr_assert_eq(rfs_index_entry_by_uuid(
			     idx, "00000000000000000000000000000abc", &e, &err),
		     0, "%s", err.msg);
	cr_assert_str_eq(e.bin_path, "t/l/e/x");
	cr_assert_eq(e.state, RFS_ENTRY_ARCHIVED);
	cr_assert_str_eq(e.reason, "kept");
	cr_assert_eq(e.created_ns, 10);
	cr_assert_eq(e.updated_ns, 20);
	restore_init(&r, e.id, RFS_RESTORE_CHECK);
	cr_assert_eq(rfs_index_restore_insert(idx, &r, &err), 0, "%s", err.msg);
	rfs_restore_release(&r);
	rfs_entry_release(&e);
}

/* One restore per entry and target may run or wait to resume: the index
 * refuses a second, whoever inserts it; a finished or failed one does not
 * count, and another target of the same entry may run beside it. */
Test(index_restores, one_runnable_restore_per_target)
{
	int64_t entry = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	struct rfs_error err = { 0 };
	struct rfs_restore a, b, c, found = { 0 };

	restore_init(&a, entry, RFS_RESTORE_COPY);
	cr_assert_eq(rfs_index_restore_insert(idx, &a, &err), 0, "%s", err.msg);
	restore_init(&b, entry, RFS_RESTORE_CHECK);
	cr_assert_eq(rfs_index_restore_insert(idx, &b, &err), -EEXIST);
	cr_assert_not_null(strstr(err.msg, "already running or resumable"),
			   "%s", err.msg);
	cr_assert_eq(query("SELECT count(*) FROM restores"), 1);

	/* The one there is found by its target. */
	cr_assert_eq(rfs_index_restore_active(idx, entry, a.target_uri,
					      a.target_key, &found, &err),
		     0, "%s", err.msg);
	cr_assert_eq(found.id, a.id);
	rfs_restore_release(&found);

	/* Another target of the same entry runs beside it. */
	restore_init(&c, entry, RFS_RESTORE_CHECK);
	free(c.target_key);
	c.target_key = xdup("elsewhere");
	cr_assert_eq(rfs_index_restore_insert(idx, &c, &err), 0, "%s", err.msg);

	/* Once the first failed, the same target may be restored again... */
	a.state = RFS_RESTORE_FAILED;
	cr_assert_eq(rfs_index_restore_update(idx, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(rfs_index_restore_active(idx, entry, a.target_uri,
					      a.target_key, &found, &err),
		     -ENOENT);
	cr_assert_eq(rfs_index_restore_insert(idx, &b, &err), 0, "%s", err.msg);
	/* ...and the failed one cannot be made runnable beside it. */
	a.state = RFS_RESTORE_CHECK;
	cr_assert_eq(rfs_index_restore_update(idx, &a, &err), -EEXIST);

	/* The newest restore of the entry. */
	cr_assert_eq(rfs_index_restore_latest(idx, entry, &found, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(found.id, b.id);
	rfs_restore_release(&found);
	cr_assert_eq(rfs_index_restore_latest(idx, entry + 1, &found, &err),
		     -ENOENT);
	rfs_restore_release(&a);
	rfs_restore_release(&b);
	rfs_restore_release(&c);
}

/* An index written by a build that let one target be restored twice at
 * once: opening it keeps the oldest runnable restore of the pair, fails
 * the others with the reason, and leaves other targets alone. */
Test(index_restores, version_3_index_with_two_restores_of_one_target)
{
	struct rfs_error err = { 0 };
	struct rfs_restore r = { 0 };

	raw_exec(test_db, "PRAGMA application_id = 1380340529;");
	raw_exec(test_db, rfs_index_migrations[0].sql);
	raw_exec(test_db, rfs_index_migrations[1].sql);
	raw_exec(test_db, rfs_index_migrations[2].sql);
	raw_exec(
		test_db,
		"PRAGMA user_version = 3;"
		"INSERT INTO entries (id, uuid, bin_path, origin_path,"
		" table_name, lifecycle_name, epoch_name, storage_name,"
		" src_uri, bin_root_uri, is_dir, state, created_ns,"
		" updated_ns)"
		" VALUES (7, '00000000000000000000000000000abc', 't/l/e/x',"
		" 't/l/e/x', 't', 'l', 'e', 'nfs', 'file:///srv',"
		" 'file:///srv/.bin', 1, 'archived', 10, 20);"
		"INSERT INTO restores (id, entry_id, sub, target_uri,"
		" target_key, target, overwrite, state, created_ns,"
		" updated_ns) VALUES"
		" (1, 7, '', 'file:///srv', 'x', 't/l/e/x', 0, 'copy', 1, 1),"
		" (2, 7, '', 'file:///srv', 'x', 't/l/e/x', 0, 'check', 2, 2),"
		" (3, 7, '', 'file:///srv', 'y', 't/l/e/y', 0, 'check', 3, 3),"
		" (4, 7, '', 'file:///srv', 'x', 't/l/e/x', 0, 'failed', 4, 4);");
	rfs_index_free(idx);
	cr_assert_eq(rfs_index_open(test_db, 0, &idx, &err), 0, "%s", err.msg);
	cr_assert_eq(raw_int(test_db, "PRAGMA user_version"),
		     RFS_INDEX_SCHEMA_VERSION);
	get_restore(1, &r);
	cr_assert_eq(r.state, RFS_RESTORE_COPY);
	rfs_restore_release(&r);
	get_restore(2, &r);
	cr_assert_eq(r.state, RFS_RESTORE_FAILED);
	cr_assert_eq(r.failed_step, RFS_RESTORE_CHECK);
	cr_assert_not_null(strstr(r.reason, "restore 1) carries on"), "%s",
			   r.reason);
	rfs_restore_release(&r);
	get_restore(3, &r);
	cr_assert_eq(r.state, RFS_RESTORE_CHECK);
	rfs_restore_release(&r);
}
