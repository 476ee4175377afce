/*
 * The tables and manifest rows of a memrel store (rel_table.h): files of
 * the memory store read and written with its own calls, each change a
 * temporary renamed into place.
 */
#include "backends/memory/rel_table.h"

#include "util/error.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The files of a table that a copy keeps. */
static const char *const table_files[] = { "rows", "ddl", "parent", "bound" };

#define N_TABLE_FILES (sizeof(table_files) / sizeof(table_files[0]))

/* ------------------------------------------------------ files of the store */

/* Read the whole file @p key, NUL-terminated. @return 0, -ENOENT, -EIO */
int rfs_memrel_read(struct mr *m, const char *key, char **out, size_t *len)
{
	struct rfs_file *f;
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	int r = rfs_backend_open_file(rfs_memrel_root(m), key, O_RDONLY, 0, &f);

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
int rfs_memrel_write(struct mr *m, const char *key, const char *data,
		     size_t len)
{
	struct rfs_file *f;
	int r = rfs_backend_open_file(rfs_memrel_root(m), key,
				      O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
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
int rfs_memrel_put(struct mr *m, const char *dir, const char *name,
		   const char *data)
{
	char tmp[2048], key[2048];
	char dot[256];
	int r;

	snprintf(dot, sizeof(dot), ".%s.tmp", name);
	r = rfs_memrel_join(tmp, sizeof(tmp), dir, dot);
	if (r == 0)
		r = rfs_memrel_join(key, sizeof(key), dir, name);
	if (r == 0)
		r = rfs_memrel_write(m, tmp, data, strlen(data));
	return r < 0 ? r : rfs_backend_rename(rfs_memrel_root(m), tmp, key, 0);
}

/* @return 0 (a folder), -ENOENT, -EIO, ... */
int rfs_memrel_is_dir(struct mr *m, const char *key)
{
	struct stat st;
	int r = rfs_backend_stat(rfs_memrel_root(m), key, &st);

	return r < 0 ? r : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int rfs_memrel_collect(void *ctx, const char *name, const struct stat *st)
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

void rfs_memrel_names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Remove the folder @p key with its files (tables hold no subfolders);
 * gone already: 0. */
int rfs_memrel_remove(struct mr *m, const char *key)
{
	struct names l = { 0 };
	char sub[2048];
	int r = rfs_backend_list(rfs_memrel_root(m), key, rfs_memrel_collect,
				 &l);

	for (size_t i = 0; r == 0 && i < l.n; i++) {
		r = rfs_memrel_join(sub, sizeof(sub), key, l.v[i]);
		if (r == 0)
			r = rfs_backend_unlink(rfs_memrel_root(m), sub);
		if (r == -ENOENT)
			r = 0;
	}
	rfs_memrel_names_free(&l);
	if (r == 0)
		r = rfs_backend_rmdir(rfs_memrel_root(m), key);
	return r == -ENOENT ? 0 : r;
}

/* Copy the table files of folder @p from into the new folder @p to. */
int rfs_memrel_copy_table(struct mr *m, const char *from, const char *to)
{
	char src[2048], dst[2048];
	int r = rfs_backend_mkdir(rfs_memrel_root(m), to, 0755);

	for (size_t i = 0; r == 0 && i < N_TABLE_FILES; i++) {
		char *data = NULL;
		size_t len = 0;

		r = rfs_memrel_join(src, sizeof(src), from, table_files[i]);
		if (r == 0)
			r = rfs_memrel_join(dst, sizeof(dst), to,
					    table_files[i]);
		if (r == 0)
			r = rfs_memrel_read(m, src, &data, &len);
		if (r == -ENOENT && i >= 2) { /* no parent, no bound */
			r = 0;
			continue;
		}
		if (r == 0)
			r = rfs_memrel_write(m, dst, data, len);
		free(data);
	}
	return r;
}

/* ------------------------------------------------------------ the tables */

/* The SHA-256 of the rows of table folder @p dir and their count; the
 * size of the rows in @p bytes. */
int rfs_memrel_hash(struct mr *m, const char *dir, char hash[RFS_SHA256_HEX],
		    int64_t *rows, int64_t *bytes)
{
	char key[2048], *data = NULL;
	size_t len = 0;
	int r = rfs_memrel_join(key, sizeof(key), dir, "rows");

	if (r == 0)
		r = rfs_memrel_read(m, key, &data, &len);
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
int rfs_memrel_text(struct mr *m, const char *dir, const char *name, char **out)
{
	char key[2048];
	int r = rfs_memrel_join(key, sizeof(key), dir, name);

	*out = NULL;
	if (r == 0)
		r = rfs_memrel_read(m, key, out, NULL);
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
int rfs_memrel_source(struct mr *m, const char *key, char *out, size_t n)
{
	if (!key || !*key || strchr(key, '/') || *key == '.')
		return rfs_error_set(m->err, EINVAL, "'%s' names no table",
				     key ? key : "");
	return rfs_memrel_join(out, n, m->schema, key);
}

/* Attach table folder @p dir to its parent (when it has one). */
int rfs_memrel_attach(struct mr *m, const char *dir)
{
	char *parent = NULL, key[2048];
	int r = rfs_memrel_text(m, dir, "parent", &parent);

	if (r == 0 && parent) {
		r = rfs_memrel_join(key, sizeof(key), dir, "attached");
		if (r == 0)
			r = rfs_memrel_is_dir(m, key) == -ENOTDIR
				    ? 0
				    : rfs_memrel_put(m, dir, "attached",
						     parent);
	}
	free(parent);
	return r;
}

/* --------------------------------------------------------- the manifest */

static int manifest_key(struct mr *m, char *out, size_t n)
{
	char dir[1024];
	int r = rfs_memrel_join(dir, sizeof(dir), m->bin, m->copy);

	return r < 0 ? r : rfs_memrel_join(out, n, dir, "manifest");
}

/* Read the manifest row of the copy. @return 0, -ENOENT (no copy) */
int rfs_memrel_manifest_load(struct mr *m, struct mr_manifest *mf)
{
	char key[2048], *data = NULL, *line, *save = NULL;
	int r = manifest_key(m, key, sizeof(key));

	memset(mf, 0, sizeof(*mf));
	if (r == 0)
		r = rfs_memrel_read(m, key, &data, NULL);
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

void rfs_memrel_manifest_format(const struct mr_manifest *mf, char *out,
				size_t n)
{
	snprintf(out, n,
		 "state=%s\norigin=%s\nsource=%s\nhash=%s\nrows=%" PRId64
		 "\nbytes=%" PRId64 "\ncopied_ns=%" PRId64
		 "\narchived_ns=%" PRId64 "\n",
		 mf->state, mf->origin, mf->source, mf->hash, mf->rows,
		 mf->bytes, mf->copied_ns, mf->archived_ns);
}

/* Move the copy's manifest row to state @p state. */
int rfs_memrel_manifest_state(struct mr *m, struct mr_manifest *mf,
			      const char *state)
{
	char dir[1024], text[4096];
	int r = rfs_memrel_join(dir, sizeof(dir), m->bin, m->copy);

	snprintf(mf->state, sizeof(mf->state), "%s", state);
	if (!strcmp(state, "archived"))
		mf->archived_ns = rfs_memrel_now_ns();
	rfs_memrel_manifest_format(mf, text, sizeof(text));
	return r < 0 ? r : rfs_memrel_put(m, dir, "manifest", text);
}

/* The rank of a manifest state: copied 1 ... archived 5. */
int rfs_memrel_rank(const char *state)
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
int rfs_memrel_fill(struct mr *m, const struct mr_manifest *mf,
		    struct rfs_rel_item *it)
{
	char dir[1024];
	const char *name = strrchr(mf->source, '/');
	const char *bs = strrchr(m->bin, '/');
	int r = rfs_memrel_join(dir, sizeof(dir), m->bin, m->copy);

	rfs_rel_item_release(it);
	it->rows = mf->rows;
	it->bytes = mf->bytes;
	if (r == 0)
		r = rfs_memrel_text(m, dir, "parent", &it->parent);
	if (r == 0)
		r = rfs_memrel_text(m, dir, "bound", &it->bound);
	if (r < 0)
		return r;
	if (asprintf(&it->relation, "%s", name ? name + 1 : mf->source) < 0)
		it->relation = NULL;
	if (asprintf(&it->copy, "%s.%s", bs ? bs + 1 : m->bin, m->copy) < 0)
		it->copy = NULL;
	return it->relation && it->copy ? 0 : -ENOMEM;
}