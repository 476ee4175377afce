/**
 * @file rel_table.h
 * @brief Internals of the memory relational backend (memrel://, rel.c):
 *        the tables and manifest rows of a store, read and written with
 *        the store's own counted and failable calls (rel_table.c).
 *
 * Nothing here is part of the port. Keys are paths of the whole store.
 * Every function returns 0 or a -errno of the store's calls (-EIO when
 * a call was failed or the store crashed), unless it says otherwise.
 */
#ifndef RFS_BACKENDS_MEMORY_REL_TABLE_H
#define RFS_BACKENDS_MEMORY_REL_TABLE_H

#include "backends/memory/mem_priv.h"
#include "backends/rel.h"
#include "util/sha256.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

/** One step's view of the store: the whole store ("root"), the schema
 * of the table and the recycle location, as folders of it. */
struct mr {
	struct rfs_mem_backend root; /**< prefix "": keys are store paths */
	const char *schema;	     /**< the backend's prefix */
	char *bin;		     /**< the recycle location's folder */
	char copy[96];		     /**< the copy's name there */
	struct rfs_error *err;	     /**< the reason of a refusal */
};

/** One manifest row, as kept in "<copy>/manifest". */
struct mr_manifest {
	char state[16];	   /**< copied, verified, ..., archived */
	char origin[1024]; /**< the origin path "T/L/E/item" */
	char source[1024]; /**< the source table's folder in the store */
	char hash[RFS_SHA256_HEX]; /**< SHA-256 of the rows copied */
	int64_t rows;		   /**< their count */
	int64_t bytes;		   /**< their size */
	int64_t copied_ns;	   /**< when they were copied */
	int64_t archived_ns;	   /**< when the archive ended, or 0 */
};

/** Names of a folder, from rfs_memrel_collect(). */
struct names {
	char **v; /**< malloc'ed names */
	size_t n; /**< how many */
};

/** @return the whole store as a backend */
static inline struct rfs_backend *rfs_memrel_root(struct mr *m)
{
	return &m->root.base;
}

/** "@p a/@p b" in @p out, or just @p b when @p a is "".
 * @return 0 or -ENAMETOOLONG */
static inline int rfs_memrel_join(char *out, size_t n, const char *a,
				  const char *b)
{
	int len = *a ? snprintf(out, n, "%s/%s", a, b)
		     : snprintf(out, n, "%s", b);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/** @return now, in ns since the epoch */
static inline int64_t rfs_memrel_now_ns(void)
{
	struct timespec t = rfs_mem_now();

	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/** Read the whole file @p key into @p out (malloc'ed, NUL-terminated),
 * its size in @p len (may be NULL). @return 0, -ENOENT, -EIO */
int rfs_memrel_read(struct mr *m, const char *key, char **out, size_t *len);

/** Write @p len bytes as the file @p key (replacing one left over). */
int rfs_memrel_write(struct mr *m, const char *key, const char *data,
		     size_t len);

/** Replace file @p name of folder @p dir at once: a temporary, renamed. */
int rfs_memrel_put(struct mr *m, const char *dir, const char *name,
		   const char *data);

/** @return 0 (a folder), -ENOTDIR, -ENOENT, -EIO */
int rfs_memrel_is_dir(struct mr *m, const char *key);

/** rfs_backend_list() callback adding each name to the struct names
 * @p ctx. */
int rfs_memrel_collect(void *ctx, const char *name, const struct stat *st);

/** Free the names of @p l. */
void rfs_memrel_names_free(struct names *l);

/** Remove the folder @p key with its files; gone already: 0. */
int rfs_memrel_remove(struct mr *m, const char *key);

/** Copy the table files of folder @p from into the new folder @p to. */
int rfs_memrel_copy_table(struct mr *m, const char *from, const char *to);

/** The SHA-256 of the rows of table folder @p dir, their count in
 * @p rows and size in @p bytes (both may be NULL). */
int rfs_memrel_hash(struct mr *m, const char *dir, char hash[RFS_SHA256_HEX],
		    int64_t *rows, int64_t *bytes);

/** The first line of file @p name of table folder @p dir (malloc'ed),
 * or NULL in @p out when there is none. */
int rfs_memrel_text(struct mr *m, const char *dir, const char *name,
		    char **out);

/** The folder of table @p key of the schema in @p out.
 * @return 0, -EINVAL (no table name, the reason in m->err) */
int rfs_memrel_source(struct mr *m, const char *key, char *out, size_t n);

/** Attach table folder @p dir to its parent, when it has one. */
int rfs_memrel_attach(struct mr *m, const char *dir);

/** Read the copy's manifest row. @return 0, -ENOENT (no copy), -EIO */
int rfs_memrel_manifest_load(struct mr *m, struct mr_manifest *mf);

/** @p mf as the text of a manifest file. */
void rfs_memrel_manifest_format(const struct mr_manifest *mf, char *out,
				size_t n);

/** Move the copy's manifest row to state @p state (at once). */
int rfs_memrel_manifest_state(struct mr *m, struct mr_manifest *mf,
			      const char *state);

/** @return the rank of a manifest state: copied 1 ... archived 5, or 0 */
int rfs_memrel_rank(const char *state);

/** Fill the outputs of @p it from the copy in the recycle location. */
int rfs_memrel_fill(struct mr *m, const struct mr_manifest *mf,
		    struct rfs_rel_item *it);

#endif
