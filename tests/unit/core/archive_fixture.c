/*
 * Fixtures of the archive engine tests (archive_fixture.h).
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
#include "util/sha256.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static unsigned fixtures; /* fixtures opened by this process */

/* "a/b" from @p a and @p b, either possibly "". */
static const char *join(char *out, size_t size, const char *a, const char *b)
{
	snprintf(out, size, "%s%s%s", a, *a && *b ? "/" : "", b);
	return out;
}

/* @p path relative to @p item, which it is under. */
static const char *rel_to(const char *path, const char *item)
{
	size_t n = strlen(item);

	if (!n)
		return path;
	return path[n] == '/' ? path + n + 1 : path + n;
}

static struct rfs_backend *open_uri(const char *uri)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_ports_open(uri, &b, &err), 0, "%s: %s", uri, err.msg);
	return b;
}

static struct afx_node *add_node(struct afx *f, const char *path, char type,
				 uint32_t mode)
{
	struct afx_node *n;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->nodes = realloc(f->nodes, f->cap * sizeof(*f->nodes));
		cr_assert_not_null(f->nodes);
	}
	n = &f->nodes[f->n++];
	memset(n, 0, sizeof(*n));
	cr_assert_lt(strlen(path), sizeof(n->path));
	strcpy(n->path, path);
	n->type = type;
	n->mode = mode;
	return n;
}

bool afx_index_on_file;

void afx_open(struct afx *f, enum afx_layout layout)
{
	char uri[160];
	int32_t from;

	memset(f, 0, sizeof(*f));
	fixtures++;
	snprintf(f->store, sizeof(f->store), "arc%d-%u", (int)getpid(),
		 fixtures);
	if (layout == AFX_SPLIT || layout == AFX_SPLIT_PLAIN) {
		snprintf(f->bin_store, sizeof(f->bin_store), "arcbin%d-%u",
			 (int)getpid(), fixtures);
		snprintf(f->bin_uri, sizeof(f->bin_uri), "mem://%s/bin%s",
			 f->bin_store,
			 layout == AFX_SPLIT_PLAIN ? "?special=no" : "");
	} else {
		snprintf(f->bin_uri, sizeof(f->bin_uri),
			 "mem://%s/data/.recyclebin", f->store);
	}
	/* An index in memory, shared by this process's connections (the
	 * engine's heartbeat, a second runner): no file on disk. */
	if (afx_index_on_file)
		snprintf(f->db, sizeof(f->db), "%s/index.db", afx_scratch(f));
	else
		snprintf(f->db, sizeof(f->db), ":memory:%s", f->store);
	cr_assert_eq(rfs_index_open(f->db, RFS_INDEX_CREATE, &f->idx, &f->err),
		     0, "%s", f->err.msg);
	snprintf(uri, sizeof(uri), "mem://%s/data", f->store);
	cr_assert_eq(rfs_edit_storage_add(
			     f->idx, "m", uri,
			     layout != AFX_SHARED ? f->bin_uri : NULL, &f->err),
		     0, "%s", f->err.msg);
	cr_assert_eq(rfs_edit_table_add(f->idx, AFX_TABLE, NULL, 0, &f->err), 0,
		     "%s", f->err.msg);
	cr_assert_eq(
		rfs_edit_lifecycle_add(f->idx, AFX_TABLE, AFX_LC, -1, &f->err),
		0, "%s", f->err.msg);
	cr_assert_eq(rfs_date_parse("from", "2013-01-01", &from, &f->err), 0);
	cr_assert_eq(rfs_edit_epoch_add(f->idx, AFX_TABLE, AFX_LC, from,
					RFS_DATE_NOW, "m", "orders/b1", 0,
					&f->err),
		     0, "%s", f->err.msg);
	snprintf(uri, sizeof(uri), "mem://%s/data/orders/b1", f->store);
	f->src = open_uri(uri);
	f->bin = open_uri(f->bin_uri);
	add_node(f, "", RFS_FILE_DIR, 0755);
	cr_assert_eq(rfs_backend_chmod(f->src, "", 0755), 0);
}

/* Remove the scratch directory, which holds files only. No rm -rf: a
 * fork per fixture is slow under the sanitizers. */
static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *d;
	DIR *dh = opendir(dir);

	while (dh && (d = readdir(dh))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) < 0)
			cr_log_warn("could not remove %s", path);
	}
	if (dh)
		closedir(dh);
	if (rmdir(dir) < 0)
		cr_log_warn("could not remove %s", dir);
}

void afx_close(struct afx *f)
{
	rfs_backend_free(f->src);
	rfs_backend_free(f->bin);
	rfs_index_free(f->idx);
	rfs_mem_reset(f->store);
	if (*f->bin_store)
		rfs_mem_reset(f->bin_store);
	if (*f->dir)
		remove_dir(f->dir);
	free(f->nodes);
	memset(f, 0, sizeof(*f));
}

void afx_dir(struct afx *f, const char *path, uint32_t mode)
{
	cr_assert_eq(rfs_backend_mkdir(f->src, path, mode), 0, "mkdir %s",
		     path);
	add_node(f, path, RFS_FILE_DIR, mode);
}

/* Deterministic bytes: xorshift64 seeded by the path and a generation. */
static void fill(unsigned char *buf, size_t n, const char *path, int gen)
{
	uint64_t x = 1469598103934665603ULL ^ (uint64_t)gen;

	for (const char *c = path; *c; c++)
		x = (x ^ (unsigned char)*c) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
}

/* Write @p size fresh bytes to @p path (created or truncated). */
static void write_bytes(struct afx *f, struct afx_node *n, int flags, int gen)
{
	unsigned char *buf = malloc(n->size ? (size_t)n->size : 1);
	struct rfs_file *file = NULL;
	int64_t off = 0;
	ssize_t got;

	cr_assert_not_null(buf);
	fill(buf, (size_t)n->size, n->path, gen);
	cr_assert_eq(rfs_backend_open_file(f->src, n->path, flags | O_WRONLY,
					   n->mode, &file),
		     0, "create %s", n->path);
	while (off < n->size) {
		/* odd pieces, so that writes straddle memory chunks */
		size_t piece = (size_t)(n->size - off) < 40000
				       ? (size_t)(n->size - off)
				       : 40000;

		got = rfs_file_write(file, buf + off, piece, off);
		cr_assert_gt(got, 0);
		off += got;
	}
	cr_assert_eq(rfs_file_close(file), 0);
	cr_assert_eq(rfs_sha256_buf(buf, (size_t)n->size, n->sha), 0);
	free(buf);
}

void afx_file(struct afx *f, const char *path, int64_t size, uint32_t mode)
{
	struct afx_node *n = add_node(f, path, RFS_FILE_REG, mode);

	n->size = size;
	write_bytes(f, n, O_CREAT | O_EXCL, 0);
	cr_assert_eq(rfs_backend_chmod(f->src, path, mode), 0);
}

void afx_link(struct afx *f, const char *path, const char *target)
{
	struct afx_node *n = add_node(f, path, RFS_FILE_LINK, 0777);

	snprintf(n->link, sizeof(n->link), "%s", target);
	cr_assert_eq(rfs_backend_symlink(f->src, target, path), 0, "symlink %s",
		     path);
}

static mode_t ifmt_of(char type)
{
	switch (type) {
	case RFS_FILE_FIFO:
		return S_IFIFO;
	case RFS_FILE_SOCK:
		return S_IFSOCK;
	case RFS_FILE_CHR:
		return S_IFCHR;
	case RFS_FILE_BLK:
		return S_IFBLK;
	}
	return 0;
}

void afx_special(struct afx *f, const char *path, char type, uint32_t mode,
		 uint64_t rdev, uint32_t uid, uint32_t gid)
{
	struct afx_node *n = add_node(f, path, type, mode);

	n->rdev = rdev;
	n->uid = uid;
	n->gid = gid;
	cr_assert_eq(rfs_backend_mknod(f->src, path, ifmt_of(type) | mode,
				       (dev_t)rdev),
		     0, "mknod %s", path);
	cr_assert_eq(rfs_backend_chown(f->src, path, uid, gid), 0);
	cr_assert_eq(rfs_backend_chmod(f->src, path, mode), 0);
}

void afx_specials(struct afx *f, const char *base)
{
	char p[128];

	afx_special(f, join(p, sizeof(p), base, "fifo"), RFS_FILE_FIFO, 0640, 0,
		    1001, 2002);
	afx_special(f, join(p, sizeof(p), base, "sock"), RFS_FILE_SOCK, 0755, 0,
		    1003, 2004);
	afx_special(f, join(p, sizeof(p), base, "sub/tty"), RFS_FILE_CHR, 0620,
		    makedev(4, 64), 0, 5);
	afx_special(f, join(p, sizeof(p), base, "loop7"), RFS_FILE_BLK, 0660,
		    makedev(7, 300), 0, 6);
}

void afx_rewrite(struct afx *f, const char *path, int64_t size)
{
	struct afx_node *n = afx_node(f, path);
	struct timespec ts[2];

	cr_assert(n && n->type == RFS_FILE_REG, "no file %s", path);
	n->size = size;
	write_bytes(f, n, O_TRUNC, 1);
	/* a later, known mtime */
	n->mtime_ns += 5 * RFS_NSEC_PER_SEC;
	ts[0].tv_sec = ts[1].tv_sec = n->mtime_ns / RFS_NSEC_PER_SEC;
	ts[0].tv_nsec = ts[1].tv_nsec = n->mtime_ns % RFS_NSEC_PER_SEC;
	n->atime_ns = n->mtime_ns;
	cr_assert_eq(rfs_backend_utimens(f->src, path, ts), 0);
}

static void set_times(struct afx *f, struct afx_node *n)
{
	struct timespec ts[2];

	ts[0].tv_sec = n->atime_ns / RFS_NSEC_PER_SEC;
	ts[0].tv_nsec = n->atime_ns % RFS_NSEC_PER_SEC;
	ts[1].tv_sec = n->mtime_ns / RFS_NSEC_PER_SEC;
	ts[1].tv_nsec = n->mtime_ns % RFS_NSEC_PER_SEC;
	cr_assert_eq(rfs_backend_utimens(f->src, n->path, ts), 0, "utimens %s",
		     n->path);
}

void afx_settle(struct afx *f)
{
	for (size_t i = f->n; i-- > 0;) {
		struct afx_node *n = &f->nodes[i];

		if (!n->mtime_ns) {
			n->mtime_ns = (1500000000LL + 3600LL * (int64_t)i) *
					      RFS_NSEC_PER_SEC +
				      ((int64_t)i * 7919 + 123) % 1000000000;
			n->atime_ns = n->mtime_ns + 17 * RFS_NSEC_PER_SEC;
		}
		set_times(f, n);
	}
}

void afx_touch(struct afx *f, const char *path, int64_t mtime_ns)
{
	struct afx_node *n = afx_node(f, path);

	cr_assert_not_null(n, "no node %s", path);
	n->mtime_ns = mtime_ns;
	set_times(f, n);
}

void afx_tree(struct afx *f, const char *base)
{
	char p[128];

	afx_dir(f, base, 0755);
	afx_file(f, join(p, sizeof(p), base, "part-00000.parquet"), 5000, 0644);
	afx_file(f, join(p, sizeof(p), base, "_SUCCESS"), 0, 0600);
	afx_dir(f, join(p, sizeof(p), base, "sub"), 0750);
	afx_file(f, join(p, sizeof(p), base, "sub/a.bin"), 150000, 0640);
	afx_dir(f, join(p, sizeof(p), base, "sub/deep"), 0711);
	afx_file(f, join(p, sizeof(p), base, "sub/deep/b.txt"), 123, 0444);
	afx_dir(f, join(p, sizeof(p), base, "sub/deep/empty"), 0700);
	afx_dir(f, join(p, sizeof(p), base, "empty"), 0755);
	afx_link(f, join(p, sizeof(p), base, "latest"), "part-00000.parquet");
	afx_link(f, join(p, sizeof(p), base, "sub/up"), "../_SUCCESS");
}

struct afx_node *afx_node(struct afx *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->nodes[i].path, path))
			return &f->nodes[i];
	return NULL;
}

void afx_totals(const struct afx *f, const char *item, int64_t *nodes,
		int64_t *files, int64_t *bytes)
{
	*nodes = *files = *bytes = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct afx_node *n = &f->nodes[i];

		if (!rfs_path_is_under(n->path, item))
			continue;
		++*nodes;
		*files += n->type != RFS_FILE_DIR;
		*bytes += n->size;
	}
}

const char *afx_origin(const char *item)
{
	static char out[256];

	return join(out, sizeof(out), AFX_E, item);
}

void afx_begin(struct afx *f, const char *item, struct rfs_entry *e)
{
	int r;

	rfs_error_clear(&f->err);
	r = rfs_archive_begin(f->idx, afx_origin(item), rfs_job_owner_self(), e,
			      &f->err);
	cr_assert_eq(r, 0, "begin '%s': %d %s", item, r, f->err.msg);
}

int afx_run(struct afx *f, int64_t id, const struct rfs_job_opts *o)
{
	rfs_error_clear(&f->err);
	return rfs_job_run(f->idx, id, o, &f->err);
}

void afx_archive(struct afx *f, const char *item, struct rfs_entry *out)
{
	struct rfs_entry e = { 0 };
	int r;

	afx_begin(f, item, &e);
	r = afx_run(f, e.id, NULL);
	cr_assert_eq(r, 0, "run '%s': %d %s", item, r, f->err.msg);
	afx_check_archived_id(f, e.id);
	if (out)
		afx_get(f, e.id, out);
	rfs_entry_release(&e);
}

void afx_get(struct afx *f, int64_t id, struct rfs_entry *e)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_entry_get(f->idx, id, e, &err), 0, "%s",
		     err.msg);
}

enum rfs_entry_state afx_state(struct afx *f, int64_t id)
{
	struct rfs_entry e = { 0 };
	enum rfs_entry_state s;

	afx_get(f, id, &e);
	s = e.state;
	rfs_entry_release(&e);
	return s;
}

void afx_finish(struct afx *f, int64_t id)
{
	struct rfs_error err = { 0 };
	int r;

	if (afx_state(f, id) == RFS_ENTRY_ARCHIVED)
		return;
	if (afx_state(f, id) == RFS_ENTRY_FAILED)
		cr_assert_eq(rfs_archive_retry(f->idx, id, &err), 0, "%s",
			     err.msg);
	r = afx_run(f, id, NULL);
	cr_assert_eq(r, 0, "resume from %s: %d %s",
		     rfs_entry_state_name(afx_state(f, id)), r, f->err.msg);
	cr_assert_eq(afx_state(f, id), RFS_ENTRY_ARCHIVED);
}

int afx_hash(struct rfs_backend *b, const char *key,
	     char out[RFS_SHA256_HEX_LEN])
{
	char *buf = malloc(1 << 16);
	struct rfs_sha256 h;
	struct rfs_file *file;
	int64_t off = 0;
	ssize_t n;
	int r;

	cr_assert_not_null(buf);
	r = rfs_backend_open_file(b, key, O_RDONLY, 0, &file);
	if (r < 0) {
		free(buf);
		return r;
	}
	cr_assert_eq(rfs_sha256_init(&h), 0);
	while ((n = rfs_file_read(file, buf, 1 << 16, off)) > 0) {
		rfs_sha256_update(&h, buf, (size_t)n);
		off += n;
	}
	r = n < 0 ? (int)n : rfs_sha256_final(&h, out);
	rfs_sha256_release(&h);
	rfs_file_close(file);
	free(buf);
	return r;
}

/* True when @p key in @p b holds node @p n's content or target. */
static bool holds(struct rfs_backend *b, const char *key,
		  const struct afx_node *n)
{
	char sha[RFS_SHA256_HEX_LEN], link[256];
	struct stat st;

	if (ifmt_of(n->type))
		return rfs_backend_stat(b, key, &st) == 0 &&
		       (st.st_mode & S_IFMT) == ifmt_of(n->type) &&
		       (uint64_t)st.st_rdev == n->rdev;

	if (n->type == RFS_FILE_REG)
		return afx_hash(b, key, sha) == 0 && !strcmp(sha, n->sha);
	if (n->type == RFS_FILE_LINK)
		return rfs_backend_readlink(b, key, link, sizeof(link)) == 0 &&
		       !strcmp(link, n->link);
	return true;
}

bool afx_holds(struct rfs_backend *b, const char *key, const struct afx_node *n)
{
	return holds(b, key, n);
}

void afx_check_no_loss(struct afx *f, const char *item, const char *bin_path,
		       const char *when)
{
	char key[512];

	for (size_t i = 0; i < f->n; i++) {
		const struct afx_node *n = &f->nodes[i];

		if (n->type == RFS_FILE_DIR ||
		    !rfs_path_is_under(n->path, item))
			continue;
		/* a bin without special files: the manifest keeps them */
		if (ifmt_of(n->type) &&
		    !rfs_backend_has(f->bin, RFS_BACKEND_CAP_SPECIAL))
			continue;
		if (holds(f->src, n->path, n))
			continue;
		join(key, sizeof(key), bin_path, rel_to(n->path, item));
		cr_assert(holds(f->bin, key, n),
			  "%s: '%s' is lost: neither in the source nor at "
			  "'%s' in the bin",
			  when, n->path, key);
	}
}

/* Node @p n as stored at @p key of @p b: type, mode, mtime, content. */
static void check_copy(struct rfs_backend *b, const char *key,
		       const struct afx_node *n, const char *where)
{
	struct stat st;
	int r = rfs_backend_stat(b, key, &st);

	cr_assert_eq(r, 0, "%s: '%s' missing (%d)", where, key, r);
	switch (n->type) {
	case RFS_FILE_DIR:
		cr_assert(S_ISDIR(st.st_mode), "%s: '%s' not a folder", where,
			  key);
		break;
	case RFS_FILE_LINK:
		cr_assert(S_ISLNK(st.st_mode), "%s: '%s' not a link", where,
			  key);
		break;
	case RFS_FILE_FIFO:
	case RFS_FILE_SOCK:
	case RFS_FILE_CHR:
	case RFS_FILE_BLK:
		cr_assert_eq(st.st_mode & S_IFMT, ifmt_of(n->type),
			     "%s: '%s' is mode %o, not a '%c'", where, key,
			     st.st_mode, n->type);
		cr_assert_eq((uint64_t)st.st_rdev, n->rdev,
			     "%s: '%s' device number", where, key);
		cr_assert_eq(st.st_uid, n->uid, "%s: '%s' owner", where, key);
		cr_assert_eq(st.st_gid, n->gid, "%s: '%s' group", where, key);
		break;
	default:
		cr_assert(S_ISREG(st.st_mode), "%s: '%s' not a file", where,
			  key);
		cr_assert_eq(st.st_size, n->size, "%s: '%s' size", where, key);
	}
	if (n->type != RFS_FILE_LINK)
		cr_assert_eq(st.st_mode & 07777, n->mode,
			     "%s: '%s' mode %o, not %o", where, key,
			     st.st_mode & 07777, n->mode);
	cr_assert_eq(st.st_mtim.tv_sec * RFS_NSEC_PER_SEC + st.st_mtim.tv_nsec,
		     n->mtime_ns, "%s: '%s' mtime", where, key);
	cr_assert(holds(b, key, n), "%s: '%s' content or target differs", where,
		  key);
}

void afx_check_source(struct afx *f, const char *item)
{
	for (size_t i = 0; i < f->n; i++)
		if (rfs_path_is_under(f->nodes[i].path, item))
			check_copy(f->src, f->nodes[i].path, &f->nodes[i],
				   "source");
}

/* Count the entries below @p key, recursively. */
struct counter {
	struct rfs_backend *b;
	const char *dir;
	int n;
	char odd[256]; /* a name that is no node's */
};

static int count_one(void *ctx, const char *name, const struct stat *st)
{
	struct counter *c = ctx;
	char key[512];

	c->n++;
	if (!strncmp(name, ".rfs-tmp", 8) && !*c->odd)
		snprintf(c->odd, sizeof(c->odd), "%s/%s", c->dir, name);
	if (S_ISDIR(st->st_mode)) {
		struct counter sub = { c->b, key, 0, "" };

		join(key, sizeof(key), c->dir, name);
		cr_assert_eq(rfs_backend_list(c->b, key, count_one, &sub), 0);
		c->n += sub.n;
		if (!*c->odd)
			memcpy(c->odd, sub.odd, sizeof(c->odd));
	}
	return 0;
}

static int count_tree(struct rfs_backend *b, const char *key, char *odd)
{
	struct counter c = { b, key, 0, "" };

	cr_assert_eq(rfs_backend_list(b, key, count_one, &c), 0, "list %s",
		     key);
	strcpy(odd, c.odd);
	return c.n;
}

/* Manifest rows, checked against the nodes as they are read. */
struct rows_check {
	struct afx *f;
	const char *item;
	int n;
};

static int check_row(void *ctx, const struct rfs_entry_file *row)
{
	struct rows_check *rc = ctx;
	char path[512];
	const struct afx_node *n;

	join(path, sizeof(path), rc->item, row->path);
	n = afx_node(rc->f, path);
	cr_assert_not_null(n, "manifest row '%s' is no node", row->path);
	cr_assert_eq(row->type, n->type, "row '%s' type", row->path);
	cr_assert_eq(row->size, n->size, "row '%s' size", row->path);
	cr_assert_eq(row->mtime_ns, n->mtime_ns, "row '%s' mtime", row->path);
	if (n->type != RFS_FILE_LINK)
		cr_assert_eq(row->mode, n->mode, "row '%s' mode", row->path);
	if (n->type == RFS_FILE_REG)
		cr_assert_str_eq(row->sha256, n->sha, "row '%s' sha256",
				 row->path);
	if (n->type == RFS_FILE_LINK)
		cr_assert_str_eq(row->link, n->link, "row '%s' target",
				 row->path);
	cr_assert_eq(row->rdev, n->rdev, "row '%s' rdev", row->path);
	if (ifmt_of(n->type)) {
		cr_assert_eq(row->uid, n->uid, "row '%s' uid", row->path);
		cr_assert_eq(row->gid, n->gid, "row '%s' gid", row->path);
	}
	rc->n++;
	return 0;
}

static void check_manifest(struct afx *f, const struct rfs_entry *e,
			   int64_t nodes)
{
	struct rows_check rc = { f, e->item_key, 0 };
	struct rfs_entry me = { 0 };
	struct rfs_error err = { 0 };
	char key[128], odd[256];
	int r;

	rfs_manifest_key(e->uuid, key, sizeof(key));
	cr_assert(!strncmp(key, ".recyclefs/manifests/", 21) &&
			  !strcmp(key + 21 + 32, ".json"),
		  "manifest key %s", key);
	r = rfs_manifest_read(f->bin, key, &me, check_row, &rc, &err);
	cr_assert_eq(r, 0, "manifest of %s: %d %s", e->bin_path, r, err.msg);
	cr_assert_eq(me.state, RFS_ENTRY_ARCHIVED, "manifest state %s",
		     rfs_entry_state_name(me.state));
	cr_assert_str_eq(me.uuid, e->uuid);
	cr_assert_str_eq(me.bin_path, e->bin_path);
	cr_assert_str_eq(me.origin_path, e->origin_path);
	cr_assert_eq(me.files_total, e->files_total);
	cr_assert_eq(me.bytes_total, e->bytes_total);
	cr_assert_eq(rc.n, nodes, "manifest has %d rows, not %lld", rc.n,
		     (long long)nodes);
	rfs_entry_release(&me);
	count_tree(f->bin, RFS_MANIFEST_DIR, odd);
	cr_assert_eq(*odd, '\0', "left over: %s", odd);
}

void afx_check_archived(struct afx *f, const struct rfs_entry *e)
{
	int64_t nodes, files, bytes, unkept = 0;
	char key[512], odd[256];
	struct stat st;

	cr_assert_eq(e->state, RFS_ENTRY_ARCHIVED, "state %s: %s",
		     rfs_entry_state_name(e->state),
		     e->reason ? e->reason : "");
	cr_assert_str_eq(e->bin_root_uri, f->bin_uri);
	afx_totals(f, e->item_key, &nodes, &files, &bytes);
	cr_assert_eq(e->files_total, files);
	cr_assert_eq(e->bytes_total, bytes);
	cr_assert_gt(e->deleted_ns, 0);
	for (size_t i = 0; i < f->n; i++) {
		const struct afx_node *n = &f->nodes[i];

		if (!rfs_path_is_under(n->path, e->item_key))
			continue;
		if (!*n->path) {
			/* an epoch's root stays, empty */
			cr_assert_eq(rfs_backend_stat(f->src, "", &st), 0);
			cr_assert_eq(count_tree(f->src, "", odd), 0,
				     "the epoch root is not empty");
		} else {
			cr_assert_eq(rfs_backend_stat(f->src, n->path, &st),
				     -ENOENT, "'%s' is still in the source",
				     n->path);
		}
		join(key, sizeof(key), e->bin_path,
		     rel_to(n->path, e->item_key));
		if (ifmt_of(n->type) &&
		    !rfs_backend_has(f->bin, RFS_BACKEND_CAP_SPECIAL)) {
			/* a bin without special files: the manifest alone
			 * keeps it (check_manifest) */
			cr_assert_eq(rfs_backend_stat(f->bin, key, &st),
				     -ENOENT, "'%s' in a plain bin", key);
			unkept++;
			continue;
		}
		check_copy(f->bin, key, n, "bin");
	}
	if (e->is_dir) {
		/* nothing more in the bin copy than what was archived */
		cr_assert_eq(count_tree(f->bin, e->bin_path, odd),
			     nodes - 1 - unkept,
			     "the bin copy of %s has extra entries (%s)",
			     e->bin_path, odd);
	}
	check_manifest(f, e, nodes);
}

void afx_check_archived_id(struct afx *f, int64_t id)
{
	struct rfs_entry e = { 0 };

	afx_get(f, id, &e);
	afx_check_archived(f, &e);
	rfs_entry_release(&e);
}

static int count_entry(const struct rfs_entry *e, void *ctx)
{
	(void)e;
	++*(int *)ctx;
	return 0;
}

int afx_count_entries(struct afx *f)
{
	struct rfs_error err = { 0 };
	int n = 0;

	cr_assert_eq(rfs_index_entry_list(f->idx, RFS_INDEX_ENTRIES_ALL, NULL,
					  count_entry, &n, &err),
		     0, "%s", err.msg);
	return n;
}

struct hist {
	const char *action, *subject;
	bool found;
};

static int match_history(const struct rfs_history_record *rec, void *ctx)
{
	struct hist *h = ctx;

	if (!strcmp(rec->action, h->action) &&
	    !strcmp(rec->subject, h->subject))
		h->found = true;
	return 0;
}

bool afx_history_has(struct afx *f, const char *action, const char *subject)
{
	struct hist h = { action, subject, false };
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_history_list(f->idx, match_history, &h, &err),
		     0);
	return h.found;
}

const char *afx_scratch(struct afx *f)
{
	if (*f->dir)
		return f->dir;
	/* in memory when possible: the fault loops open many fixtures */
	strcpy(f->dir, "/dev/shm/rfs-archive-XXXXXX");
	if (!mkdtemp(f->dir)) {
		strcpy(f->dir, "/tmp/rfs-archive-XXXXXX");
		cr_assert_not_null(mkdtemp(f->dir));
	}
	return f->dir;
}

const char *afx_script(struct afx *f, const char *name, const char *body)
{
	static char path[128];
	FILE *out;

	afx_scratch(f);
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	out = fopen(path, "w");
	cr_assert_not_null(out, "%s", path);
	fprintf(out, "#!/bin/sh\nD='%s'\n%s\n", f->dir, body);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(chmod(path, 0755), 0);
	return path;
}

char *afx_slurp(struct afx *f, const char *name)
{
	char path[128], *data;
	FILE *in;
	long n;

	if (!*f->dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	in = fopen(path, "r");
	if (!in)
		return NULL;
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	data = calloc(1, (size_t)n + 1);
	cr_assert_not_null(data);
	cr_assert_eq(fread(data, 1, (size_t)n, in), (size_t)n);
	fclose(in);
	return data;
}

const char *afx_dead_owner(void)
{
	static char owner[320];
	char host[256] = "localhost";

	gethostname(host, sizeof(host) - 1);
	/* no process has this pid: pid_max is at most 2^22 */
	snprintf(owner, sizeof(owner), "%s:%d:12345", host, 0x7ffffff0);
	return owner;
}

void afx_manifest_rows(struct afx *f, const struct rfs_entry *e,
		       int (*row)(void *ctx, const struct rfs_entry_file *r),
		       void *ctx, int64_t *files, int64_t *bytes)
{
	struct rfs_entry m = { 0 };
	struct rfs_error err = { 0 };
	char key[96];

	rfs_manifest_key(e->uuid, key, sizeof(key));
	cr_assert_eq(rfs_manifest_read(f->bin, key, &m, row, ctx, &err), 0,
		     "%s", err.msg);
	if (files)
		*files = m.files_total;
	if (bytes)
		*bytes = m.bytes_total;
	rfs_entry_release(&m);
}
