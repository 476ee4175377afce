/*
 * Recycle entries in the index: every field round-trips, live bin paths
 * are unique, updates, progress and leases, and walks by bin path and
 * origin path (index/entries.h, model/entry.h).
 */
#include "index/entries.h"
#include "index/index.h"
#include "index/internal.h"
#include "model/entry.h"
#include "util/clock.h"
#include "util/error.h"

#include "entry_helpers.h"

#include <errno.h>

TestSuite(index_entries, .init = entries_setup, .fini = entries_teardown);

static void str_eq_or_null(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		cr_assert(a == b, "%s: %s != %s", what, a ? a : "NULL",
			  b ? b : "NULL");
	else
		cr_assert_str_eq(a, b, "%s", what);
}

static void assert_same(const struct rfs_entry *a, const struct rfs_entry *b)
{
	cr_assert_eq(a->id, b->id);
	cr_assert_str_eq(a->uuid, b->uuid);
	str_eq_or_null(a->bin_path, b->bin_path, "bin_path");
	str_eq_or_null(a->origin_path, b->origin_path, "origin_path");
	str_eq_or_null(a->table, b->table, "table");
	str_eq_or_null(a->lifecycle, b->lifecycle, "lifecycle");
	str_eq_or_null(a->epoch, b->epoch, "epoch");
	cr_assert_eq(a->epoch_id, b->epoch_id);
	str_eq_or_null(a->item_key, b->item_key, "item_key");
	str_eq_or_null(a->storage, b->storage, "storage");
	str_eq_or_null(a->src_uri, b->src_uri, "src_uri");
	str_eq_or_null(a->bin_root_uri, b->bin_root_uri, "bin_root_uri");
	cr_assert_eq(a->is_dir, b->is_dir);
	cr_assert_eq(a->state, b->state);
	cr_assert_eq(a->failed_step, b->failed_step);
	str_eq_or_null(a->reason, b->reason, "reason");
	cr_assert_eq(a->files_total, b->files_total);
	cr_assert_eq(a->bytes_total, b->bytes_total);
	cr_assert_eq(a->files_done, b->files_done);
	cr_assert_eq(a->bytes_done, b->bytes_done);
	cr_assert_eq(a->created_ns, b->created_ns);
	cr_assert_eq(a->updated_ns, b->updated_ns);
	cr_assert_eq(a->deleted_ns, b->deleted_ns);
	cr_assert_eq(a->purged_ns, b->purged_ns);
	str_eq_or_null(a->lease_owner, b->lease_owner, "lease_owner");
	cr_assert_eq(a->lease_until_ns, b->lease_until_ns);
	str_eq_or_null(a->restored_to, b->restored_to, "restored_to");
}

Test(index_entries, state_names_round_trip)
{
	enum rfs_entry_state s, parsed;
	static const char *const names[] = {
		"snapshot", "sync",   "verify",	 "unpublish", "delete",
		"archived", "failed", "purging", "purged",
	};

	for (s = 0; s < RFS_ENTRY_STATE_COUNT; s++) {
		cr_assert_str_eq(rfs_entry_state_name(s), names[s]);
		cr_assert_eq(rfs_entry_state_parse(names[s], &parsed), 0);
		cr_assert_eq(parsed, s);
	}
	parsed = RFS_ENTRY_FAILED;
	cr_assert_eq(rfs_entry_state_parse("archiving", &parsed), -EINVAL);
	cr_assert_eq(rfs_entry_state_parse("", &parsed), -EINVAL);
	cr_assert_eq(rfs_entry_state_parse("Sync", &parsed), -EINVAL);
	cr_assert_eq(rfs_entry_state_parse(NULL, &parsed), -EINVAL);
	cr_assert_eq(parsed, RFS_ENTRY_FAILED, "changed on failure");
	cr_assert_str_eq(rfs_entry_state_name(RFS_ENTRY_STATE_COUNT),
			 "unknown");
}

Test(index_entries, archiving_and_runnable_states)
{
	enum rfs_entry_state s;

	for (s = 0; s < RFS_ENTRY_STATE_COUNT; s++) {
		cr_assert_eq(rfs_entry_state_archiving(s),
			     s <= RFS_ENTRY_DELETE, "%d", s);
		cr_assert_eq(rfs_entry_state_runnable(s),
			     s <= RFS_ENTRY_DELETE || s == RFS_ENTRY_PURGING,
			     "%d", s);
	}
}

Test(index_entries, copy_is_deep_and_release_zeroes)
{
	struct rfs_entry a, b;

	entry_init(&a, 1, "t/l/e", NULL, RFS_ENTRY_FAILED);
	a.reason = xdup("checksum mismatch");
	cr_assert_eq(rfs_entry_copy(&b, &a), 0);
	cr_assert_neq(a.bin_path, b.bin_path);
	cr_assert_neq(a.reason, b.reason);
	cr_assert_null(b.lease_owner);
	assert_same(&a, &b);
	rfs_entry_release(&a);
	cr_assert_null(a.bin_path);
	cr_assert_eq(a.uuid[0], '\0');
	cr_assert_str_eq(b.reason, "checksum mismatch");
	rfs_entry_release(&b);
	rfs_entry_release(NULL);
}

Test(index_entries, every_field_round_trips)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e, by_id, by_uuid, by_bin;

	entry_init(&e, 0xabc, "sales.orders/bronze/e/dt=1", "sales.orders/b/e",
		   RFS_ENTRY_FAILED);
	e.epoch_id = 42;
	e.is_dir = false;
	e.failed_step = RFS_ENTRY_VERIFY;
	e.reason = xdup("'x' changed since the snapshot");
	e.files_total = 10;
	e.bytes_total = 1LL << 40;
	e.files_done = 3;
	e.bytes_done = 12345;
	e.created_ns = 1000;
	e.updated_ns = 2000;
	e.deleted_ns = 3000;
	e.purged_ns = 4000;
	e.lease_owner = xdup("host:1234");
	e.lease_until_ns = 5000;
	e.restored_to = xdup("sales.orders/silver/e");
	cr_assert_eq(rfs_index_entry_insert(idx, &e, &err), 0, "%s", err.msg);
	cr_assert_gt(e.id, 0);

	get_entry(e.id, &by_id);
	assert_same(&e, &by_id);
	cr_assert_eq(rfs_index_entry_by_uuid(idx, e.uuid, &by_uuid, &err), 0);
	assert_same(&e, &by_uuid);
	cr_assert_eq(
		rfs_index_entry_by_bin_path(idx, e.bin_path, &by_bin, &err), 0);
	assert_same(&e, &by_bin);
	rfs_entry_release(&by_id);
	rfs_entry_release(&by_uuid);
	rfs_entry_release(&by_bin);
	rfs_entry_release(&e);
}

Test(index_entries, unset_fields_round_trip)
{
	struct rfs_entry e, got;
	int64_t before = rfs_time_now_ns();

	entry_init(&e, 1, "t/l/e", NULL, RFS_ENTRY_SNAPSHOT);
	free(e.item_key);
	e.item_key = NULL;
	cr_assert_eq(rfs_index_entry_insert(idx, &e, NULL), 0);
	/* Zero times are set to now, and reported back. */
	cr_assert_geq(e.created_ns, before);
	cr_assert_eq(e.updated_ns, e.created_ns);
	get_entry(e.id, &got);
	cr_assert_str_eq(got.item_key, "");
	cr_assert_null(got.reason);
	cr_assert_null(got.lease_owner);
	cr_assert_null(got.restored_to);
	cr_assert_eq(got.deleted_ns, 0);
	cr_assert_eq(got.purged_ns, 0);
	cr_assert_eq(got.created_ns, e.created_ns);
	rfs_entry_release(&got);
	rfs_entry_release(&e);
}

Test(index_entries, missing_entries_are_enoent)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e = { 0 };

	cr_assert_eq(rfs_index_entry_get(idx, 99, &e, &err), -ENOENT);
	cr_assert_str_eq(err.msg, "no entry 99");
	cr_assert_eq(rfs_index_entry_by_uuid(idx, "0123", &e, NULL), -ENOENT);
	cr_assert_eq(rfs_index_entry_by_bin_path(idx, "a", &e, NULL), -ENOENT);
	cr_assert_null(e.bin_path);
}

Test(index_entries, invalid_entries_are_refused)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e;

	entry_init(&e, 1, "t/l/e", NULL, RFS_ENTRY_SNAPSHOT);
	strcpy(e.uuid, "not-hex");
	cr_assert_eq(rfs_index_entry_insert(idx, &e, &err), -EINVAL);
	cr_assert(strstr(err.msg, "hex digits"), "%s", err.msg);
	snprintf(e.uuid, sizeof(e.uuid), "%032x", 1);
	e.state = RFS_ENTRY_STATE_COUNT;
	cr_assert_eq(rfs_index_entry_insert(idx, &e, NULL), -EINVAL);
	e.state = RFS_ENTRY_SYNC;
	free(e.src_uri);
	e.src_uri = NULL;
	cr_assert_eq(rfs_index_entry_insert(idx, &e, NULL), -EINVAL);
	rfs_entry_release(&e);
}

Test(index_entries, uuid_and_live_bin_path_are_unique)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e, got;
	int64_t first;

	first = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	entry_init(&e, 1, "t/l/other", NULL, RFS_ENTRY_SNAPSHOT);
	cr_assert_eq(rfs_index_entry_insert(idx, &e, &err), -EEXIST);
	cr_assert(strstr(err.msg, "already exists"), "%s", err.msg);
	rfs_entry_release(&e);

	entry_init(&e, 2, "t/l/e", NULL, RFS_ENTRY_SNAPSHOT);
	cr_assert_eq(rfs_index_entry_insert(idx, &e, &err), -EEXIST);
	cr_assert(strstr(err.msg, "already in the recycle bin"), "%s", err.msg);

	/* Once purged, the first one gives its place up. */
	get_entry(first, &got);
	got.state = RFS_ENTRY_PURGED;
	cr_assert_eq(rfs_index_entry_update(idx, &got, NULL), 0);
	cr_assert_eq(rfs_index_entry_insert(idx, &e, &err), 0, "%s", err.msg);
	rfs_entry_release(&got);
	cr_assert_eq(rfs_index_entry_by_bin_path(idx, "t/l/e", &got, NULL), 0);
	cr_assert_eq(got.id, e.id);

	/* And cannot come back to life while another holds the place. */
	rfs_entry_release(&got);
	get_entry(first, &got);
	got.state = RFS_ENTRY_ARCHIVED;
	cr_assert_eq(rfs_index_entry_update(idx, &got, NULL), -EEXIST);
	rfs_entry_release(&got);
	rfs_entry_release(&e);
}

Test(index_entries, update_writes_the_mutable_fields)
{
	struct rfs_error err = { 0 };
	struct rfs_entry e, got;
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SNAPSHOT);

	get_entry(id, &e);
	e.state = RFS_ENTRY_FAILED;
	e.failed_step = RFS_ENTRY_SYNC;
	e.reason = xdup("storage full");
	e.files_total = 7;
	e.bytes_total = 700;
	e.files_done = 3;
	e.bytes_done = 300;
	e.deleted_ns = 11;
	e.purged_ns = 12;
	e.restored_to = xdup("t/l/f");
	cr_assert_eq(rfs_index_entry_update(idx, &e, &err), 0, "%s", err.msg);
	get_entry(id, &got);
	cr_assert_gt(got.updated_ns, e.updated_ns);
	e.updated_ns = got.updated_ns;
	assert_same(&e, &got);
	rfs_entry_release(&got);

	/* NULLs clear, and the immutable fields stay. */
	free(e.reason);
	e.reason = NULL;
	free(e.bin_path);
	e.bin_path = xdup("elsewhere");
	e.deleted_ns = 0;
	cr_assert_eq(rfs_index_entry_update(idx, &e, NULL), 0);
	get_entry(id, &got);
	cr_assert_null(got.reason);
	cr_assert_eq(got.deleted_ns, 0);
	cr_assert_str_eq(got.bin_path, "t/l/e");
	rfs_entry_release(&got);

	e.id = 999;
	cr_assert_eq(rfs_index_entry_update(idx, &e, NULL), -ENOENT);
	rfs_entry_release(&e);
}

Test(index_entries, progress_writes_the_counters)
{
	struct rfs_entry got;
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SYNC), updated;

	get_entry(id, &got);
	updated = got.updated_ns;
	rfs_entry_release(&got);
	cr_assert_eq(rfs_index_entry_progress(idx, id, 5, 5000, NULL), 0);
	get_entry(id, &got);
	cr_assert_eq(got.files_done, 5);
	cr_assert_eq(got.bytes_done, 5000);
	cr_assert_gt(got.updated_ns, updated);
	cr_assert_eq(got.state, RFS_ENTRY_SYNC);
	rfs_entry_release(&got);
	cr_assert_eq(rfs_index_entry_progress(idx, 77, 1, 1, NULL), -ENOENT);
}

static void lease(int64_t id, const char *expected, const char *owner,
		  int64_t until, bool want)
{
	struct rfs_error err = { 0 };
	bool taken = !want;

	cr_assert_eq(rfs_index_entry_lease(idx, id, expected, owner, until,
					   &taken, &err),
		     0, "%s", err.msg);
	cr_assert_eq(taken, want, "lease %s -> %s", expected, owner);
}

static void assert_lease(int64_t id, const char *owner, int64_t until)
{
	struct rfs_entry got;

	get_entry(id, &got);
	str_eq_or_null(got.lease_owner, owner, "lease_owner");
	cr_assert_eq(got.lease_until_ns, until);
	rfs_entry_release(&got);
}

Test(index_entries, lease_is_a_compare_and_swap)
{
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SNAPSHOT);
	bool taken = true;

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
	cr_assert_eq(rfs_index_entry_lease(idx, 42, NULL, "a", 1, &taken, NULL),
		     -ENOENT);
}

Test(index_entries, renew_all_renews_one_owner)
{
	int64_t a = add_entry(1, "a", NULL, RFS_ENTRY_SYNC);
	int64_t b = add_entry(2, "b", NULL, RFS_ENTRY_SYNC);
	int64_t c = add_entry(3, "c", NULL, RFS_ENTRY_SYNC);

	lease(a, NULL, "me", 10, true);
	lease(b, NULL, "me", 10, true);
	lease(c, NULL, "other", 10, true);
	cr_assert_eq(rfs_index_entry_renew_all(idx, "me", 99, NULL), 2);
	assert_lease(a, "me", 99);
	assert_lease(b, "me", 99);
	assert_lease(c, "other", 10);
	cr_assert_eq(rfs_index_entry_renew_all(idx, "nobody", 99, NULL), 0);
}

/* Bin paths seen by a walk, in order. */
struct seen {
	int n;
	int stop_at; /* return 5 on this entry (1-based); 0: never */
	char paths[16][64];
	int64_t ids[16];
};

static int collect(const struct rfs_entry *e, void *ctx)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 16);
	snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", e->bin_path);
	s->ids[s->n] = e->id;
	s->n++;
	return s->n == s->stop_at ? 5 : 0;
}

/* Walk with @p filter and @p prefix; check the bin paths, in order. */
static void expect_list(enum rfs_index_entry_filter filter, const char *prefix,
			const char *const *want, int n_want)
{
	struct rfs_error err = { 0 };
	struct seen s = { 0 };
	int i;

	cr_assert_eq(
		rfs_index_entry_list(idx, filter, prefix, collect, &s, &err), 0,
		"%s", err.msg);
	cr_assert_eq(s.n, n_want, "prefix %s: %d entries, want %d",
		     prefix ? prefix : "NULL", s.n, n_want);
	for (i = 0; i < n_want; i++)
		cr_assert_str_eq(s.paths[i], want[i], "prefix %s",
				 prefix ? prefix : "NULL");
}

#define EXPECT_LIST(filter, prefix, ...)                                       \
	do {                                                                   \
		static const char *const want_[] = { __VA_ARGS__ };            \
		expect_list(filter, prefix, want_,                             \
			    sizeof(want_) / sizeof(want_[0]));                 \
	} while (0)

Test(index_entries, list_filters_by_state)
{
	struct seen s = { .stop_at = 2 };

	add_entry(1, "e-snapshot", NULL, RFS_ENTRY_SNAPSHOT);
	add_entry(2, "d-delete", NULL, RFS_ENTRY_DELETE);
	add_entry(3, "c-archived", NULL, RFS_ENTRY_PURGED);
	add_entry(4, "c-archived", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(5, "b-failed", NULL, RFS_ENTRY_FAILED);
	add_entry(6, "a-purging", NULL, RFS_ENTRY_PURGING);

	EXPECT_LIST(RFS_INDEX_ENTRIES_LIVE, NULL, "a-purging", "b-failed",
		    "c-archived", "d-delete", "e-snapshot");
	EXPECT_LIST(RFS_INDEX_ENTRIES_ALL, NULL, "a-purging", "b-failed",
		    "c-archived", "c-archived", "d-delete", "e-snapshot");
	EXPECT_LIST(RFS_INDEX_ENTRIES_RUNNABLE, "", "a-purging", "d-delete",
		    "e-snapshot");
	/* A non-zero return stops the walk and is returned. */
	cr_assert_eq(rfs_index_entry_list(idx, RFS_INDEX_ENTRIES_ALL, NULL,
					  collect, &s, NULL),
		     5);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(rfs_index_entry_list(idx, 42, NULL, collect, &s, NULL),
		     -EINVAL);
}

Test(index_entries, list_prefix_is_component_wise)
{
	add_entry(1, "a", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(2, "a/b", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(3, "a/b/c", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(4, "a/bc", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(5, "ab", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(6, "a.b", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(7, "a%/x", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(8, "a_/x", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(9, "a_b/x", NULL, RFS_ENTRY_ARCHIVED);
	add_entry(10, "b", NULL, RFS_ENTRY_ARCHIVED);

	EXPECT_LIST(RFS_INDEX_ENTRIES_LIVE, "a", "a", "a/b", "a/b/c", "a/bc");
	EXPECT_LIST(RFS_INDEX_ENTRIES_LIVE, "a/", "a", "a/b", "a/b/c", "a/bc");
	EXPECT_LIST(RFS_INDEX_ENTRIES_LIVE, "a/b", "a/b", "a/b/c");
	EXPECT_LIST(RFS_INDEX_ENTRIES_LIVE, "a/b/c", "a/b/c");
	/* '%' and '_' are plain characters, not patterns. */
	EXPECT_LIST(RFS_INDEX_ENTRIES_LIVE, "a%", "a%/x");
	EXPECT_LIST(RFS_INDEX_ENTRIES_LIVE, "a_", "a_/x");
	expect_list(RFS_INDEX_ENTRIES_LIVE, "a/x", NULL, 0);
	expect_list(RFS_INDEX_ENTRIES_LIVE, "c", NULL, 0);
	EXPECT_LIST(RFS_INDEX_ENTRIES_ALL, NULL, "a", "a%/x", "a.b", "a/b",
		    "a/b/c", "a/bc", "a_/x", "a_b/x", "ab", "b");
}

/* Walk the entries overlapping @p origin; check their origins, in order. */
static void expect_overlapping(const char *origin, const char *const *want,
			       int n_want)
{
	struct rfs_error err = { 0 };
	struct seen s = { 0 };
	struct rfs_entry e;
	int i;

	cr_assert_eq(rfs_index_entry_list_overlapping(idx, origin, collect, &s,
						      &err),
		     0, "%s", err.msg);
	cr_assert_eq(s.n, n_want, "origin %s: %d entries, want %d", origin, s.n,
		     n_want);
	for (i = 0; i < n_want; i++) {
		get_entry(s.ids[i], &e);
		cr_assert_str_eq(e.origin_path, want[i], "origin %s", origin);
		rfs_entry_release(&e);
	}
}

#define EXPECT_OVERLAPPING(origin, ...)                                        \
	do {                                                                   \
		static const char *const want_[] = { __VA_ARGS__ };            \
		expect_overlapping(origin, want_,                              \
				   sizeof(want_) / sizeof(want_[0]));          \
	} while (0)

Test(index_entries, list_overlapping_finds_equal_above_and_below)
{
	/* Bin paths sort as their numbers, so the walk order is known. */
	add_entry(1, "1", "t/l/e", RFS_ENTRY_ARCHIVED);
	add_entry(2, "2", "t/l/e/dt=1", RFS_ENTRY_SYNC);
	add_entry(3, "3", "t/l/e/dt=1/part-0", RFS_ENTRY_FAILED);
	add_entry(4, "4", "t/l/e/dt=10", RFS_ENTRY_ARCHIVED);
	add_entry(5, "5", "t/l/e2", RFS_ENTRY_ARCHIVED);
	add_entry(6, "6", "t/l/e/dt=1", RFS_ENTRY_PURGED);
	add_entry(7, "7", "t/l/f/dt=1", RFS_ENTRY_ARCHIVED);

	EXPECT_OVERLAPPING("t/l/e/dt=1", "t/l/e", "t/l/e/dt=1",
			   "t/l/e/dt=1/part-0");
	EXPECT_OVERLAPPING("t/l/e", "t/l/e", "t/l/e/dt=1", "t/l/e/dt=1/part-0",
			   "t/l/e/dt=10");
	EXPECT_OVERLAPPING("t/l/e/dt=1/part-0/x", "t/l/e", "t/l/e/dt=1",
			   "t/l/e/dt=1/part-0");
	EXPECT_OVERLAPPING("t/l", "t/l/e", "t/l/e/dt=1", "t/l/e/dt=1/part-0",
			   "t/l/e/dt=10", "t/l/e2", "t/l/f/dt=1");
	EXPECT_OVERLAPPING("t/l/f", "t/l/f/dt=1");
	expect_overlapping("t/l/g", NULL, 0);
	expect_overlapping("t/l/e3/dt=1", NULL, 0);
}

static int64_t epoch_gen(int64_t epoch_id)
{
	int64_t gen = -1;

	cr_assert_eq(rfs_index_epoch_gen(idx, epoch_id, &gen), 0);
	return gen;
}

/* The epoch's generation (what a mount compares before it answers from
 * files it generated) grows with every change of an entry's state or
 * restore target, and with its removal; progress and leases leave it. */
Test(index_entries, epoch_generation_follows_every_state_change)
{
	struct rfs_entry e;
	int64_t id, g;
	bool taken;

	cr_assert_eq(epoch_gen(3), 0, "no job yet");
	id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SNAPSHOT);
	g = epoch_gen(3);
	cr_assert_gt(g, 0, "an archive recorded");
	cr_assert_eq(epoch_gen(4), 0, "another epoch");

	cr_assert_eq(rfs_index_entry_progress(idx, id, 5, 5000, NULL), 0);
	cr_assert_eq(
		rfs_index_entry_lease(idx, id, NULL, "me", 1000, &taken, NULL),
		0);
	cr_assert_eq(epoch_gen(3), g, "progress and leases change nothing");

	get_entry(id, &e);
	e.state = RFS_ENTRY_DELETE;
	cr_assert_eq(rfs_index_entry_update(idx, &e, NULL), 0);
	cr_assert_gt(epoch_gen(3), g, "a step");
	g = epoch_gen(3);
	cr_assert_eq(rfs_index_entry_update(idx, &e, NULL), 0);
	cr_assert_eq(epoch_gen(3), g, "the same state again");
	e.restored_to = xdup("t/l/e");
	cr_assert_eq(rfs_index_entry_update(idx, &e, NULL), 0);
	cr_assert_gt(epoch_gen(3), g, "restored");
	g = epoch_gen(3);
	/* (no API removes an entry: a reindex's rebuild might) */
	cr_assert_eq(rfs_index_exec(idx, "DELETE FROM entries", NULL), 0);
	cr_assert_gt(epoch_gen(3), g, "removed");
	rfs_entry_release(&e);
}
