/*
 * The memory relational backend, "memrel://STORE/schema": the relational
 * steps of backends/rel.h over tables kept as folders of a memory store,
 * for the engine's fault and crash sweeps without a database server.
 *
 * A table is a folder of its schema (the backend's prefix) holding the
 * files "rows" (its rows, one a line), "ddl" (its definition), and, for a
 * partition, "parent" and "bound"; the file "attached" says it is
 * attached to its parent. A recycle location is another folder of the
 * same store ("memrel://STORE/recyclebin" by default): each copy is a
 * folder "<item>_<8 hex of the id>" holding the table's files and its
 * manifest row, the file "manifest".
 *
 * Every step reads and writes through the memory backend's own calls,
 * so every one is counted and can be failed or crashed (memory.h). Each
 * change is made by building a temporary (a folder or file whose name
 * starts with '.') and renaming it into place in one call: a step cut
 * short leaves either its result or a temporary the next run removes.
 * A table being dropped is first renamed to ".drop-<copy>" in the
 * recycle location, so it is never half gone.
 */
#include "backends/memory/mem_priv.h"
#include "backends/rel.h"

#include "util/error.h"
#include "util/sha256.h"
#include "util/uri.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The files of a table that a copy keeps. */
static const char *const table_files[] = { "rows", "ddl", "parent", "bound" };

#define N_TABLE_FILES (sizeof(table_files) / sizeof(table_files[0]))

/* One step's view of the store: the whole store ("root"), the schema of
 * the table and the recycle location, as folders of it. */
struct mr {
	struct rfs_mem_backend root; /* prefix "": keys are store paths */
	const char *schema;	     /* the backend's prefix */
	char *bin;		     /* the recycle location's folder */
	char copy[96];		     /* the copy's name there */
	struct rfs_error *err;
};

/* One manifest row, as kept in "<copy>/manifest". */
struct mr_manifest {
	char state[16];
	char origin[1024];
	char source[1024]; /* the source table's folder in the store */
	char hash[RFS_SHA256_HEX];
	int64_t rows, bytes, copied_ns, archived_ns;
};

static struct rfs_backend *R(struct mr *m)
{
	return &m->root.base;
}

/* "@p a/@p b" in @p out, or just @p b when @p a is "". */
static int join(char *out, size_t n, const char *a, const char *b)
{
	int len = *a ? snprintf(out, n, "%s/%s", a, b)
		     : snprintf(out, n, "%s", b);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static int64_t now_ns(void)
{
	struct timespec t = rfs_mem_now();

	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ------------------------------------------------------ files of the store */

/* Read the whole file @p key, NUL-terminated. @return 0, -ENOENT, -EIO */
static int slurp(struct mr *m, const char *key, char **out, size_t *len)
{
	struct rfs_file *f;
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	int r = rfs_backend_open_file(R(m), key, O_RDONLY, 0, &f);

	if (r < 0)
		return r;
	r = rfs_file_stat(f, &st);
	if (r == 0 && !(buf = malloc((size_t)st.st_size + 1)))
		r = -ENOMEM;
	while (r == 0 && got < st.st_size) {
		ssize_t n = rfs_file_read(f, buf + got,
					  (size_t)(st.st_size - got), got);

		if (n <= 0)
			r = n < 0 ? (int)n : -EIO;
		else
			got += n;
	}
	if (rfs_file_close(f) < 0 && r == 0)
		r = -EIO;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[got] = '\0';
	*out = buf;
	if (len)
		*len = (size_t)got;
	return 0;
}

/* Write @p len bytes as the new file @p key (replacing one left over). */
static int spill(struct mr *m, const char *key, const char *data, size_t len)
{
	struct rfs_file *f;
	int r = rfs_backend_open_file(R(m), key, O_WRONLY | O_CREAT | O_TRUNC,
				      0644, &f);
	ssize_t n;

	if (r < 0)
		return r;
	n = len ? rfs_file_write(f, data, len, 0) : 0;
	if (n >= 0 && (size_t)n != len)
		n = -EIO;
	r = rfs_file_close(f);
	return n < 0 ? (int)n : r;
}

/* Replace file @p name of folder @p dir at once: a temporary, renamed. */
static int put(struct mr *m, const char *dir, const char *name,
	       const char *data)
{
	char tmp[2048], key[2048];
	char dot[256];
	int r;

	snprintf(dot, sizeof(dot), ".%s.tmp", name);
	r = join(tmp, sizeof(tmp), dir, dot);
	if (r == 0)
		r = join(key, sizeof(key), dir, name);
	if (r == 0)
		r = spill(m, tmp, data, strlen(data));
	return r < 0 ? r : rfs_backend_rename(R(m), tmp, key, 0);
}

/* @return 0 (a folder), -ENOENT, -EIO, ... */
static int is_dir(struct mr *m, const char *key)
{
	struct stat st;
	int r = rfs_backend_stat(R(m), key, &st);

	return r < 0 ? r : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

struct names {
	char **v;
	size_t n;
};

static int collect(void *ctx, const char *name, const struct stat *st)
{
	struct names *l = ctx;
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	(void)st;
	if (!v)
		return -ENOMEM;
	l->v = v;
	if (!(v[l->n] = strdup(name)))
		return -ENOMEM;
	l->n++;
	return 0;
}

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Remove the folder @p key with its files (tables hold no subfolders);
 * gone already: 0. */
static int remove_dir(struct mr *m, const char *key)
{
	struct names l = { 0 };
	char sub[2048];
	int r = rfs_backend_list(R(m), key, collect, &l);

	for (size_t i = 0; r == 0 && i < l.n; i++) {
		r = join(sub, sizeof(sub), key, l.v[i]);
		if (r == 0)
			r = rfs_backend_unlink(R(m), sub);
		if (r == -ENOENT)
			r = 0;
	}
	names_free(&l);
	if (r == 0)
		r = rfs_backend_rmdir(R(m), key);
	return r == -ENOENT ? 0 : r;
}

/* Copy the table files of folder @p from into the new folder @p to. */
static int copy_table(struct mr *m, const char *from, const char *to)
{
	char src[2048], dst[2048];
	int r = rfs_backend_mkdir(R(m), to, 0755);

	for (size_t i = 0; r == 0 && i < N_TABLE_FILES; i++) {
		char *data = NULL;
		size_t len = 0;

		r = join(src, sizeof(src), from, table_files[i]);
		if (r == 0)
			r = join(dst, sizeof(dst), to, table_files[i]);
		if (r == 0)
			r = slurp(m, src, &data, &len);
		if (r == -ENOENT && i >= 2) { /* no parent, no bound */
			r = 0;
			continue;
		}
		if (r == 0)
			r = spill(m, dst, data, len);
		free(data);
	}
	return r;
}

/* ------------------------------------------------------------ the tables */

/* The SHA-256 of the rows of table folder @p dir and their count; the
 * size of the rows in @p bytes. */
static int table_hash(struct mr *m, const char *dir, char hash[RFS_SHA256_HEX],
		      int64_t *rows, int64_t *bytes)
{
	char key[2048], *data = NULL;
	size_t len = 0;
	int r = join(key, sizeof(key), dir, "rows");

	if (r == 0)
		r = slurp(m, key, &data, &len);
	if (r == 0)
		r = rfs_sha256_buf(data, len, hash);
	if (r == 0 && rows) {
		*rows = 0;
		for (size_t i = 0; i < len; i++)
			*rows += data[i] == '\n';
	}
	if (bytes)
		*bytes = (int64_t)len;
	free(data);
	return r;
}

/* File @p name of table folder @p dir, or NULL in @p out when absent. */
static int table_text(struct mr *m, const char *dir, const char *name,
		      char **out)
{
	char key[2048];
	int r = join(key, sizeof(key), dir, name);

	*out = NULL;
	if (r == 0)
		r = slurp(m, key, out, NULL);
	if (r == 0) {
		(*out)[strcspn(*out, "\n")] = '\0';
		if (!**out) {
			free(*out);
			*out = NULL;
		}
	}
	return r == -ENOENT ? 0 : r;
}

/* The source table's folder: @p key of the schema. */
static int source_dir(struct mr *m, const char *key, char *out, size_t n)
{
	if (!key || !*key || strchr(key, '/') || *key == '.')
		return rfs_error_set(m->err, EINVAL, "'%s' names no table",
				     key ? key : "");
	return join(out, n, m->schema, key);
}

/* Attach table folder @p dir to its parent (when it has one). */
static int attach(struct mr *m, const char *dir)
{
	char *parent = NULL, key[2048];
	int r = table_text(m, dir, "parent", &parent);

	if (r == 0 && parent) {
		r = join(key, sizeof(key), dir, "attached");
		if (r == 0)
			r = is_dir(m, key) == -ENOTDIR
				    ? 0
				    : put(m, dir, "attached", parent);
	}
	free(parent);
	return r;
}

/* --------------------------------------------------------- the manifest */

static int manifest_key(struct mr *m, char *out, size_t n)
{
	char dir[1024];
	int r = join(dir, sizeof(dir), m->bin, m->copy);

	return r < 0 ? r : join(out, n, dir, "manifest");
}

/* Read the manifest row of the copy. @return 0, -ENOENT (no copy) */
static int manifest_load(struct mr *m, struct mr_manifest *mf)
{
	char key[2048], *data = NULL, *line, *save = NULL;
	int r = manifest_key(m, key, sizeof(key));

	memset(mf, 0, sizeof(*mf));
	if (r == 0)
		r = slurp(m, key, &data, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(line, "state"))
			snprintf(mf->state, sizeof(mf->state), "%s", v);
		else if (!strcmp(line, "origin"))
			snprintf(mf->origin, sizeof(mf->origin), "%s", v);
		else if (!strcmp(line, "source"))
			snprintf(mf->source, sizeof(mf->source), "%s", v);
		else if (!strcmp(line, "hash"))
			snprintf(mf->hash, sizeof(mf->hash), "%s", v);
		else if (!strcmp(line, "rows"))
			mf->rows = strtoll(v, NULL, 10);
		else if (!strcmp(line, "bytes"))
			mf->bytes = strtoll(v, NULL, 10);
		else if (!strcmp(line, "copied_ns"))
			mf->copied_ns = strtoll(v, NULL, 10);
		else if (!strcmp(line, "archived_ns"))
			mf->archived_ns = strtoll(v, NULL, 10);
	}
	free(data);
	if (!*mf->state || !*mf->hash)
		return rfs_error_set(m->err, EIO,
				     "the manifest of %s/%s is "
				     "damaged",
				     m->bin, m->copy);
	return 0;
}

static void manifest_format(const struct mr_manifest *mf, char *out, size_t n)
{
	snprintf(out, n,
		 "state=%s\norigin=%s\nsource=%s\nhash=%s\nrows=%" PRId64
		 "\nbytes=%" PRId64 "\ncopied_ns=%" PRId64
		 "\narchived_ns=%" PRId64 "\n",
		 mf->state, mf->origin, mf->source, mf->hash, mf->rows,
		 mf->bytes, mf->copied_ns, mf->archived_ns);
}

/* Move the copy's manifest row to state @p state. */
static int manifest_state(struct mr *m, struct mr_manifest *mf,
			  const char *state)
{
	char dir[1024], text[4096];
	int r = join(dir, sizeof(dir), m->bin, m->copy);

	snprintf(mf->state, sizeof(mf->state), "%s", state);
	if (!strcmp(state, "archived"))
		mf->archived_ns = now_ns();
	manifest_format(mf, text, sizeof(text));
	return r < 0 ? r : put(m, dir, "manifest", text);
}

/* The rank of a manifest state: copied 1 ... archived 5. */
static int rank(const char *state)
{
	static const char *const order[] = { "copied", "verified",
					     "unpublished", "deleted",
					     "archived" };

	for (int i = 0; i < 5; i++)
		if (!strcmp(state, order[i]))
			return i + 1;
	return 0;
}

/* Fill the outputs of @p it from the copy in the recycle location. */
static int fill(struct mr *m, const struct mr_manifest *mf,
		struct rfs_rel_item *it)
{
	char dir[1024];
	const char *name = strrchr(mf->source, '/');
	const char *bs = strrchr(m->bin, '/');
	int r = join(dir, sizeof(dir), m->bin, m->copy);

	rfs_rel_item_release(it);
	it->rows = mf->rows;
	it->bytes = mf->bytes;
	if (r == 0)
		r = table_text(m, dir, "parent", &it->parent);
	if (r == 0)
		r = table_text(m, dir, "bound", &it->bound);
	if (r < 0)
		return r;
	if (asprintf(&it->relation, "%s", name ? name + 1 : mf->source) < 0)
		it->relation = NULL;
	if (asprintf(&it->copy, "%s.%s", bs ? bs + 1 : m->bin, m->copy) < 0)
		it->copy = NULL;
	return it->relation && it->copy ? 0 : -ENOMEM;
}

/* --------------------------------------------------------------- archive */

static int snapshot(struct mr *m, const char *src, struct rfs_rel_item *it)
{
	char hash[RFS_SHA256_HEX];
	int r = is_dir(m, src);

	if (r == -ENOENT || r == -ENOTDIR)
		return rfs_error_set(m->err, ENOENT, "no table %s", src);
	if (r == 0)
		r = table_hash(m, src, hash, &it->rows, &it->bytes);
	if (r == -ENOENT)
		return rfs_error_set(m->err, EINVAL,
				     "%s is no table (it has no rows)", src);
	if (r == 0)
		r = table_text(m, src, "parent", &it->parent);
	if (r == 0)
		r = table_text(m, src, "bound", &it->bound);
	if (r == 0 && !(it->relation = strdup(src)))
		r = -ENOMEM;
	return r;
}

/* Sync: the copy and its manifest row "copied", built in ".tmp-<copy>"
 * and renamed into place; done already when the copy exists (and the
 * source, while it is there, still holds the rows copied). */
static int sync_copy(struct mr *m, const char *src, struct rfs_rel_item *it)
{
	struct mr_manifest mf = { 0 };
	char tmp[1024], dir[1024], key[2048], text[4096];
	int r = manifest_load(m, &mf);

	if (r == 0) {
		char now[RFS_SHA256_HEX];

		r = rank(mf.state) <= 2 ? table_hash(m, src, now, NULL, NULL)
					: -ENOENT;
		if (r == 0 && strcmp(now, mf.hash))
			return rfs_error_set(m->err, ESTALE,
					     "%s changed since it was copied",
					     src);
		return r == -ENOENT ? 0 : r;
	}
	if (r != -ENOENT)
		return r;
	snprintf(key, sizeof(key), ".tmp-%s", m->copy);
	r = join(tmp, sizeof(tmp), m->bin, key);
	if (r == 0)
		r = join(dir, sizeof(dir), m->bin, m->copy);
	if (r == 0)
		r = rfs_backend_mkdir(R(m), m->bin, 0755);
	if (r == -EEXIST)
		r = 0;
	if (r == 0)
		r = remove_dir(m, tmp); /* a run cut short */
	if (r == 0)
		r = copy_table(m, src, tmp);
	if (r == 0)
		r = table_hash(m, tmp, mf.hash, &mf.rows, &mf.bytes);
	if (r == 0) {
		snprintf(mf.state, sizeof(mf.state), "copied");
		snprintf(mf.origin, sizeof(mf.origin), "%s", it->origin);
		snprintf(mf.source, sizeof(mf.source), "%s", src);
		mf.copied_ns = now_ns();
		manifest_format(&mf, text, sizeof(text));
		r = join(key, sizeof(key), tmp, "manifest");
	}
	if (r == 0)
		r = spill(m, key, text, strlen(text));
	if (r == 0)
		r = rfs_backend_rename(R(m), tmp, dir, 0);
	return r;
}

/* The copy holds the manifest's rows; before the source is dropped, the
 * source too. */
static int verify(struct mr *m, const char *src, struct mr_manifest *mf)
{
	char dir[1024], now[RFS_SHA256_HEX];
	int r = join(dir, sizeof(dir), m->bin, m->copy);

	if (r == 0)
		r = table_hash(m, dir, now, NULL, NULL);
	if (r == -ENOENT || (r == 0 && strcmp(now, mf->hash)))
		return rfs_error_set(m->err, EBADMSG,
				     "recycle copy %s does not hold the rows "
				     "copied",
				     dir);
	if (r == 0 && rank(mf->state) <= 2) {
		r = table_hash(m, src, now, NULL, NULL);
		if (r == -ENOENT || (r == 0 && strcmp(now, mf->hash)))
			return rfs_error_set(m->err, ESTALE,
					     "%s changed since it was copied",
					     src);
	}
	if (r == 0 && rank(mf->state) == 1)
		r = manifest_state(m, mf, "verified");
	return r;
}

static int unpublish(struct mr *m, const char *src, struct mr_manifest *mf)
{
	char key[2048];
	int r;

	if (rank(mf->state) < 2)
		return rfs_error_set(m->err, EINVAL, "%s is not verified",
				     m->copy);
	if (rank(mf->state) > 2)
		return 0;
	r = join(key, sizeof(key), src, "attached");
	if (r == 0)
		r = rfs_backend_unlink(R(m), key);
	if (r == 0 || r == -ENOENT)
		r = manifest_state(m, mf, "unpublished");
	return r;
}

/* Delete: the source renamed to ".drop-<copy>" in the recycle location
 * (gone at once), the manifest "deleted", then the dropped table freed.
 * A source that changed is attached again: -ESTALE. */
static int drop(struct mr *m, const char *src, struct mr_manifest *mf)
{
	char trash[1024], name[128], now[RFS_SHA256_HEX];
	int r;

	if (rank(mf->state) < 3)
		return rfs_error_set(m->err, EINVAL, "%s is not unpublished",
				     m->copy);
	snprintf(name, sizeof(name), ".drop-%s", m->copy);
	r = join(trash, sizeof(trash), m->bin, name);
	if (r == 0 && rank(mf->state) == 3) {
		r = table_hash(m, src, now, NULL, NULL);
		if (r == 0 && strcmp(now, mf->hash)) {
			r = attach(m, src);
			return r < 0 ? r
				     : rfs_error_set(m->err, ESTALE,
						     "%s changed since it was "
						     "copied; it is attached "
						     "again",
						     src);
		}
		if (r == 0)
			r = rfs_backend_rename(R(m), src, trash, 0);
		if (r == -ENOENT) /* dropped by a run cut short */
			r = 0;
		if (r == 0)
			r = manifest_state(m, mf, "deleted");
	}
	return r < 0 ? r : remove_dir(m, trash);
}

static int archive_step(struct mr *m, enum rfs_rel_step step,
			struct rfs_rel_item *it)
{
	struct mr_manifest mf;
	char src[1024];
	int r = source_dir(m, it->key, src, sizeof(src));

	if (r < 0)
		return r;
	if (step == RFS_REL_SNAPSHOT)
		return snapshot(m, src, it);
	if (step == RFS_REL_SYNC) {
		r = sync_copy(m, src, it);
		return r < 0 ? r : manifest_load(m, &mf) ?: fill(m, &mf, it);
	}
	r = manifest_load(m, &mf);
	if (r == -ENOENT)
		return rfs_error_set(m->err, ENOENT, "no recycle copy %s/%s",
				     m->bin, m->copy);
	if (r < 0)
		return r;
	switch (step) {
	case RFS_REL_VERIFY:
		r = verify(m, src, &mf);
		break;
	case RFS_REL_UNPUBLISH:
		r = unpublish(m, src, &mf);
		break;
	case RFS_REL_DELETE:
		r = drop(m, src, &mf);
		break;
	case RFS_REL_FINISH:
		if (rank(mf.state) < 4)
			r = rfs_error_set(m->err, EINVAL,
					  "%s: its source is not dropped",
					  m->copy);
		else if (rank(mf.state) == 4)
			r = manifest_state(m, &mf, "archived");
		break;
	default: /* RFS_REL_DESCRIBE */
		break;
	}
	return r < 0 ? r : fill(m, &mf, it);
}

/* --------------------------------------------------------------- restore */

/* 0: @p dst holds the copy's rows; -ENOENT: no table there; -EEXIST. */
static int target_state(struct mr *m, const char *dst,
			const struct mr_manifest *mf)
{
	char now[RFS_SHA256_HEX];
	int r = is_dir(m, dst);

	if (r == 0)
		r = table_hash(m, dst, now, NULL, NULL);
	if (r == 0 && strcmp(now, mf->hash))
		r = rfs_error_set(m->err, EEXIST,
				  "restore refused: %s exists and holds other "
				  "rows",
				  dst);
	if (r == -ENOTDIR)
		r = rfs_error_set(m->err, EEXIST, "restore refused: %s exists",
				  dst);
	return r;
}

static int restore_step(struct mr *m, enum rfs_rel_step step,
			struct rfs_rel_item *it)
{
	struct mr_manifest mf;
	char dst[1024], dir[1024], tmp[1024], name[128];
	int r = source_dir(m, it->key, dst, sizeof(dst));

	if (r == 0)
		r = manifest_load(m, &mf);
	if (r == -ENOENT)
		return rfs_error_set(m->err, ENOENT,
				     "restore refused: recycle copy %s/%s is "
				     "missing",
				     m->bin, m->copy);
	if (r == 0 && rank(mf.state) != 5)
		return rfs_error_set(m->err, EBUSY,
				     "restore refused: recycle copy %s/%s is "
				     "not archived (%s)",
				     m->bin, m->copy, mf.state);
	if (r < 0)
		return r;
	r = target_state(m, dst, &mf);
	switch (step) {
	case RFS_REL_RESTORE_CHECK:
		r = r == -ENOENT ? 0 : r;
		break;
	case RFS_REL_RESTORE_COPY:
		if (r != -ENOENT)
			break;
		snprintf(name, sizeof(name), ".restore-%s", m->copy);
		r = join(tmp, sizeof(tmp), m->bin, name);
		if (r == 0)
			r = join(dir, sizeof(dir), m->bin, m->copy);
		if (r == 0)
			r = remove_dir(m, tmp);
		if (r == 0)
			r = copy_table(m, dir, tmp);
		if (r == 0)
			r = rfs_backend_rename(R(m), tmp, dst, 0);
		break;
	case RFS_REL_RESTORE_VERIFY:
		if (r == -ENOENT)
			r = rfs_error_set(m->err, ENOENT, "%s is not restored",
					  dst);
		break;
	default: /* RFS_REL_RESTORE_ATTACH */
		if (r == 0)
			r = attach(m, dst);
	}
	if (r == 0)
		r = fill(m, &mf, it);
	if (r == 0) {
		free(it->relation);
		it->relation = strdup(dst);
		r = it->relation ? 0 : -ENOMEM;
	}
	return r;
}

/* ----------------------------------------------------------------- purge */

/* Purge: the copy renamed to ".purge-<copy>" and freed. An archive that
 * did not finish is undone first: its source, dropped or not, back in
 * its schema and attached. */
static int purge(struct mr *m, struct rfs_rel_item *it)
{
	struct mr_manifest mf;
	char dir[1024], trash[1024], name[128];
	int r = manifest_load(m, &mf);

	snprintf(name, sizeof(name), ".purge-%s", m->copy);
	if (join(trash, sizeof(trash), m->bin, name) < 0 ||
	    join(dir, sizeof(dir), m->bin, m->copy) < 0)
		return -ENAMETOOLONG;
	if (r == -ENOENT) /* purged already, or never copied */
		return remove_dir(m, trash);
	if (r < 0)
		return r;
	r = fill(m, &mf, it);
	if (r == 0 && rank(mf.state) < 5) {
		char drop[1024];

		snprintf(name, sizeof(name), ".drop-%s", m->copy);
		r = join(drop, sizeof(drop), m->bin, name);
		if (r == 0 && rank(mf.state) == 4)
			return rfs_error_set(m->err, EBUSY,
					     "recycle copy %s is still "
					     "archiving (%s): its source is "
					     "dropped",
					     dir, mf.state);
		if (r == 0 && rank(mf.state) == 3) { /* a drop cut short */
			r = rfs_backend_rename(R(m), drop, mf.source, 0);
			r = r == -ENOENT ? 0 : r;
		}
		if (r == 0)
			r = attach(m, mf.source);
	}
	if (r == 0)
		r = rfs_backend_rename(R(m), dir, trash, 0);
	return r < 0 ? r : remove_dir(m, trash);
}

/* ------------------------------------------------------------- the port */

/* The recycle location's folder (of this backend's store) and the copy's
 * name, "<last part of the origin>_<first 8 of the id>". */
static int mr_open(struct rfs_mem_backend *self, struct rfs_rel_item *it,
		   struct mr *m, struct rfs_error *err)
{
	const char *base = it->origin ? strrchr(it->origin, '/') : NULL;
	struct rfs_uri u;
	int r;

	memset(m, 0, sizeof(*m));
	m->root.base = self->base;
	m->root.store = self->store;
	m->root.prefix = (char *)"";
	m->schema = self->prefix;
	m->err = err;
	if (!it->bin_uri || !it->id || strlen(it->id) < 8 || !it->origin)
		return rfs_error_set(err, EINVAL,
				     "a relational step needs a recycle "
				     "location, an id and an origin");
	r = rfs_uri_parse(it->bin_uri, &u, err);
	if (r < 0)
		return r;
	if (strcmp(u.scheme, "memrel") ||
	    strcmp(u.authority, self->store->name))
		r = rfs_error_set(err, EXDEV,
				  "recycle location '%s' is not in store '%s'",
				  it->bin_uri, self->store->name);
	else if (!*u.path)
		r = rfs_error_set(err, EINVAL,
				  "recycle location '%s' names no folder",
				  it->bin_uri);
	else if (!(m->bin = strdup(u.path)))
		r = -ENOMEM;
	rfs_uri_release(&u);
	base = base ? base + 1 : it->origin;
	if (r == 0 && (!*base || strlen(base) > 80))
		r = rfs_error_set(err, EINVAL, "origin '%s' names no table",
				  it->origin);
	if (r == 0)
		snprintf(m->copy, sizeof(m->copy), "%s_%.8s", base, it->id);
	return r;
}

static int memrel_step(struct rfs_backend *b, enum rfs_rel_step step,
		       struct rfs_rel_item *it, struct rfs_error *err)
{
	struct mr m;
	int r = mr_open(rfs_mem_of(b), it, &m, err);

	if (r == 0) {
		if (step == RFS_REL_PURGE)
			r = purge(&m, it);
		else if (step >= RFS_REL_RESTORE_CHECK &&
			 step <= RFS_REL_RESTORE_ATTACH)
			r = restore_step(&m, step, it);
		else
			r = archive_step(&m, step, it);
	}
	if (r < 0 && err && !err->code)
		rfs_error_set(err, -r, "relational step %d on '%s': %s",
			      (int)step, b->uri, strerror(-r));
	free(m.bin);
	return r;
}

static int memrel_bin_uri(struct rfs_backend *b, char **out)
{
	return asprintf(out, "memrel://%s/recyclebin",
			rfs_mem_of(b)->store->name) < 0
		       ? -ENOMEM
		       : 0;
}

static int memrel_manifests(struct rfs_backend *b, const char *bin_uri,
			    rfs_rel_manifest_fn fn, void *ctx,
			    struct rfs_error *err)
{
	struct rfs_rel_item it = { .bin_uri = bin_uri,
				   .id = "00000000",
				   .origin = "x" };
	struct names l = { 0 };
	struct mr m;
	int r = mr_open(rfs_mem_of(b), &it, &m, err);

	if (r == 0)
		r = rfs_backend_list(R(&m), m.bin, collect, &l);
	if (r == -ENOENT)
		r = 0; /* nothing archived yet */
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		struct mr_manifest mf;
		struct rfs_rel_manifest row;

		if (l.v[i][0] == '.')
			continue;
		snprintf(m.copy, sizeof(m.copy), "%s", l.v[i]);
		r = manifest_load(&m, &mf);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		row = (struct rfs_rel_manifest){ .copy = l.v[i],
						 .origin = mf.origin,
						 .state = mf.state,
						 .rows = mf.rows,
						 .bytes = mf.bytes,
						 .copied_ns = mf.copied_ns,
						 .archived_ns =
							 mf.archived_ns };
		r = fn(ctx, &row);
	}
	names_free(&l);
	free(m.bin);
	return r;
}

const struct rfs_backend_rel_ops rfs_memrel_rel_ops = {
	.bin_uri = memrel_bin_uri,
	.step = memrel_step,
	.manifests = memrel_manifests,
};
