/*
 * The manifest rows of recycle entries in the index: insert, update, get,
 * walks with their filters and orders, counts, deletion, and a large
 * manifest streamed in batches (index/entries.h).
 */
#include "index/entries.h"
#include "index/index.h"
#include "index/internal.h"
#include "model/entry.h"
#include "util/error.h"

#include "entry_helpers.h"

#include <errno.h>

TestSuite(index_entry_files, .init = entries_setup, .fini = entries_teardown);

/* A manifest row with metadata derived from its path. */
static struct rfs_entry_file file_row(const char *path, enum rfs_file_type t,
				      int64_t size)
{
	struct rfs_entry_file f = {
		.path = path,
		.type = t,
		.size = size,
		.mtime_ns = 1700000000123456789LL,
		.atime_ns = 1700000001000000000LL,
		.mode = t == RFS_FILE_DIR ? 0755 : 0640,
		.uid = 1000,
		.gid = 4294967294u,
		.link = t == RFS_FILE_LINK ? "../target" : NULL,
		.state = RFS_FILE_PENDING,
	};

	return f;
}

static void add_file(int64_t entry, const char *path, enum rfs_file_type t,
		     int64_t size)
{
	struct rfs_entry_file f = file_row(path, t, size);
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_file_insert(idx, entry, &f, &err), 0, "%s",
		     err.msg);
}

Test(index_entry_files, file_rows_round_trip)
{
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SNAPSHOT);
	struct rfs_entry_file f = file_row("dt=1/p.parquet", RFS_FILE_REG, 9),
			      got;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_file_insert(idx, id, &f, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(rfs_index_file_insert(idx, id, &f, &err), -EEXIST);
	cr_assert(strstr(err.msg, "already in the manifest"), "%s", err.msg);
	cr_assert_eq(rfs_index_file_insert(idx, 99, &f, NULL), -ENOENT);
	f.type = 'x';
	cr_assert_eq(rfs_index_file_insert(idx, id, &f, NULL), -EINVAL);
	add_file(id, "dt=1/link", RFS_FILE_LINK, 0);

	cr_assert_eq(rfs_index_file_get(idx, id, "dt=1/p.parquet", &got, &err),
		     0, "%s", err.msg);
	cr_assert_str_eq(got.path, "dt=1/p.parquet");
	cr_assert_eq(got.type, RFS_FILE_REG);
	cr_assert_eq(got.size, 9);
	cr_assert_eq(got.mtime_ns, 1700000000123456789LL);
	cr_assert_eq(got.atime_ns, 1700000001000000000LL);
	cr_assert_eq(got.mode, 0640);
	cr_assert_eq(got.uid, 1000);
	cr_assert_eq(got.gid, 4294967294u);
	cr_assert_null(got.link);
	cr_assert_str_eq(got.sha256, "");
	cr_assert_eq(got.state, RFS_FILE_PENDING);

	cr_assert_eq(rfs_index_file_get(idx, id, "dt=1/link", &got, NULL), 0);
	cr_assert_str_eq(got.link, "../target");
	cr_assert_eq(got.type, RFS_FILE_LINK);
	cr_assert_eq(rfs_index_file_get(idx, id, "nope", &got, NULL), -ENOENT);
	cr_assert_eq(rfs_index_file_get(idx, 99, "dt=1/link", &got, NULL),
		     -ENOENT);
}

Test(index_entry_files, file_update_records_checksum_and_state)
{
	static const char sha[] = "e3b0c44298fc1c149afbf4c8996fb924"
				  "27ae41e4649b934ca495991b7852b855";
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SYNC);
	struct rfs_entry_file got;

	add_file(id, "f", RFS_FILE_REG, 1);
	cr_assert_eq(
		rfs_index_file_update(idx, id, "f", sha, RFS_FILE_COPIED, NULL),
		0);
	cr_assert_eq(rfs_index_file_get(idx, id, "f", &got, NULL), 0);
	cr_assert_str_eq(got.sha256, sha);
	cr_assert_eq(got.state, RFS_FILE_COPIED);
	/* NULL keeps the checksum. */
	cr_assert_eq(rfs_index_file_update(idx, id, "f", NULL,
					   RFS_FILE_VERIFIED, NULL),
		     0);
	cr_assert_eq(rfs_index_file_get(idx, id, "f", &got, NULL), 0);
	cr_assert_str_eq(got.sha256, sha);
	cr_assert_eq(got.state, RFS_FILE_VERIFIED);
	cr_assert_eq(
		rfs_index_file_update(idx, id, "g", sha, RFS_FILE_COPIED, NULL),
		-ENOENT);
	cr_assert_eq(rfs_index_file_update(idx, id, "f", sha, 9, NULL),
		     -EINVAL);
}

/* Paths seen by a manifest walk, in order. */
struct files_seen {
	int n;
	char paths[16][32];
};

static int collect_file(const struct rfs_entry_file *f, void *ctx)
{
	struct files_seen *s = ctx;

	cr_assert_lt(s->n, 16);
	snprintf(s->paths[s->n++], sizeof(s->paths[0]), "%s", f->path);
	return 0;
}

static void expect_files(int64_t id, struct rfs_index_file_query q,
			 const char *const *want, int n_want)
{
	struct rfs_error err = { 0 };
	struct files_seen s = { 0 };
	int i;

	cr_assert_eq(rfs_index_file_list(idx, id, &q, collect_file, &s, &err),
		     0, "%s", err.msg);
	cr_assert_eq(s.n, n_want, "%d rows, want %d", s.n, n_want);
	for (i = 0; i < n_want; i++)
		cr_assert_str_eq(s.paths[i], want[i]);
}

#define EXPECT_FILES(id, query, ...)                                           \
	do {                                                                   \
		static const char *const want_[] = { __VA_ARGS__ };            \
		struct rfs_index_file_query q_ = query;                        \
		expect_files(id, q_, want_, sizeof(want_) / sizeof(want_[0])); \
	} while (0)

/* A query on rows in @p st (-1: all); the compound keeps the commas of
 * its initialisers out of the macro arguments. */
#define QS(st, ...)                                                            \
	((struct rfs_index_file_query){ .state = (st), __VA_ARGS__ })
#define Q(...) QS(-1, __VA_ARGS__)

Test(index_entry_files, file_list_filters_and_orders)
{
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SYNC);
	int64_t other = add_entry(2, "t/l/f", NULL, RFS_ENTRY_SYNC);

	add_file(id, "", RFS_FILE_DIR, 0);
	add_file(id, "a", RFS_FILE_DIR, 0);
	add_file(id, "a/b", RFS_FILE_DIR, 0);
	add_file(id, "a/b/c", RFS_FILE_REG, 3);
	add_file(id, "a.x", RFS_FILE_REG, 5);
	add_file(id, "a/l", RFS_FILE_LINK, 0);
	add_file(other, "a/z", RFS_FILE_REG, 1);
	cr_assert_eq(rfs_index_file_update(idx, id, "a/b/c", "00",
					   RFS_FILE_COPIED, NULL),
		     0);

	EXPECT_FILES(id, Q(), "", "a", "a.x", "a/b", "a/b/c", "a/l");
	/* Descending: children before their parents. */
	EXPECT_FILES(id, Q(.desc = true), "a/l", "a/b/c", "a/b", "a.x", "a",
		     "");
	EXPECT_FILES(id, Q(.type = RFS_FILE_DIR, .desc = true), "a/b", "a", "");
	EXPECT_FILES(id, Q(.after = "a.x"), "a/b", "a/b/c", "a/l");
	EXPECT_FILES(id, Q(.after = "a/b", .desc = true), "a.x", "a", "");
	EXPECT_FILES(id, Q(.after = "", .limit = 2), "a", "a.x");
	EXPECT_FILES(id, Q(.type = RFS_FILE_REG), "a.x", "a/b/c");
	EXPECT_FILES(id, QS(RFS_FILE_COPIED), "a/b/c");
	EXPECT_FILES(id, QS(RFS_FILE_PENDING, .type = RFS_FILE_REG, .limit = 5),
		     "a.x");
	expect_files(id, Q(.after = "a/l"), NULL, 0);
	expect_files(99, Q(), NULL, 0);
	cr_assert_eq(rfs_index_file_list(idx, id, &Q(.type = 'q'), collect_file,
					 &(struct files_seen){ 0 }, NULL),
		     -EINVAL);
}

Test(index_entry_files, file_count_and_delete_all)
{
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SYNC);
	int64_t other = add_entry(2, "t/l/f", NULL, RFS_ENTRY_SYNC);
	int64_t files = -1, bytes = -1;

	add_file(id, "", RFS_FILE_DIR, 0);
	add_file(id, "x", RFS_FILE_REG, 100);
	add_file(id, "y", RFS_FILE_REG, 20);
	add_file(other, "z", RFS_FILE_REG, 7);
	cr_assert_eq(rfs_index_file_update(idx, id, "x", "aa", RFS_FILE_COPIED,
					   NULL),
		     0);
	cr_assert_eq(rfs_index_file_count(idx, id, -1, &files, &bytes, NULL),
		     0);
	cr_assert_eq(files, 3);
	cr_assert_eq(bytes, 120);
	cr_assert_eq(rfs_index_file_count(idx, id, RFS_FILE_COPIED, &files,
					  &bytes, NULL),
		     0);
	cr_assert_eq(files, 1);
	cr_assert_eq(bytes, 100);
	cr_assert_eq(rfs_index_file_count(idx, id, RFS_FILE_PURGED, &files,
					  NULL, NULL),
		     0);
	cr_assert_eq(files, 0);

	cr_assert_eq(rfs_index_file_delete_all(idx, id, NULL), 0);
	cr_assert_eq(rfs_index_file_count(idx, id, -1, &files, &bytes, NULL),
		     0);
	cr_assert_eq(files, 0);
	cr_assert_eq(bytes, 0);
	cr_assert_eq(rfs_index_file_count(idx, other, -1, &files, NULL, NULL),
		     0);
	cr_assert_eq(files, 1, "another entry's rows were deleted");
}

Test(index_entry_files, deleting_an_entry_deletes_its_files)
{
	int64_t id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_ARCHIVED);
	int64_t other = add_entry(2, "t/l/f", NULL, RFS_ENTRY_ARCHIVED);
	int64_t n = -1;

	add_file(id, "a", RFS_FILE_REG, 1);
	add_file(id, "b", RFS_FILE_REG, 1);
	add_file(other, "a", RFS_FILE_REG, 1);
	cr_assert_eq(
		rfs_index_exec(idx, "DELETE FROM entries WHERE id = 1", NULL),
		0);
	cr_assert_eq(rfs_index_query_int(
			     idx, "SELECT count(*) FROM entry_files", &n, NULL),
		     0);
	cr_assert_eq(n, 1);
	cr_assert_eq(rfs_index_file_count(idx, other, -1, &n, NULL, NULL), 0);
	cr_assert_eq(n, 1);
}

/* The state of a batched walk over many rows. */
struct batch {
	struct rfs_index *other; /* a second handle, written to per row */
	unsigned char *seen;	 /* how often each row number was seen */
	int in_batch;
	char last[32];
};

static int count_row(const struct rfs_entry_file *f, void *ctx)
{
	struct batch *b = ctx;
	struct rfs_error err = { 0 };
	int n;

	cr_assert_eq(sscanf(f->path, "d/%d", &n), 1, "%s", f->path);
	cr_assert(n >= 0 && n < 20000);
	b->seen[n]++;
	b->in_batch++;
	snprintf(b->last, sizeof(b->last), "%s", f->path);
	/* The walk's own handle is busy; another one may write. */
	if (n % 1000 == 0)
		cr_assert_eq(rfs_index_file_update(b->other, 1, f->path, "ff",
						   RFS_FILE_COPIED, &err),
			     0, "%s", err.msg);
	return 0;
}

Test(index_entry_files, large_manifest_streams_in_batches)
{
	struct rfs_index *file_idx;
	struct rfs_error err = { 0 };
	struct batch b = { 0 };
	struct rfs_entry_file f = file_row(NULL, RFS_FILE_REG, 1);
	struct rfs_index_file_query q = { .state = -1, .limit = 1000 };
	char path[32];
	int64_t files, id;
	int i, batches = 0;

	cr_assert_eq(rfs_index_open(test_db, RFS_INDEX_CREATE, &file_idx, &err),
		     0, "%s", err.msg);
	rfs_index_free(idx);
	idx = file_idx;
	id = add_entry(1, "t/l/e", NULL, RFS_ENTRY_SYNC);
	cr_assert_eq(id, 1);
	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	for (i = 0; i < 20000; i++) {
		snprintf(path, sizeof(path), "d/%d", i);
		f.path = path;
		cr_assert_eq(rfs_index_file_insert(idx, id, &f, NULL), 0);
	}
	cr_assert_eq(rfs_index_commit(idx, NULL), 0);

	cr_assert_eq(rfs_index_open(test_db, 0, &b.other, &err), 0, "%s",
		     err.msg);
	b.seen = calloc(20000, 1);
	cr_assert_not_null(b.seen);
	do {
		b.in_batch = 0;
		cr_assert_eq(
			rfs_index_file_list(idx, id, &q, count_row, &b, &err),
			0, "%s", err.msg);
		cr_assert_leq(b.in_batch, 1000);
		q.after = b.last;
		batches += b.in_batch > 0;
	} while (b.in_batch == 1000);
	cr_assert_eq(batches, 20);
	for (i = 0; i < 20000; i++)
		cr_assert_eq(b.seen[i], 1, "row %d seen %d times", i,
			     b.seen[i]);
	cr_assert_eq(rfs_index_file_count(idx, id, RFS_FILE_COPIED, &files,
					  NULL, NULL),
		     0);
	cr_assert_eq(files, 20);
	free(b.seen);
	rfs_index_free(b.other);
}
