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
#include "backends/memory/rel_table.h"

#include "util/error.h"
#include "util/uri.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- archive */

static int snapshot(struct mr *m, const char *src, struct rfs_rel_item *it)
{
	char hash[RFS_SHA256_HEX];
	int r = rfs_memrel_is_dir(m, src);

	/* what a failed run of this step filled in before (rel_call() runs
	 * it again with the same item) */
	free(it->parent);
	free(it->bound);
	free(it->relation);
	it->parent = it->bound = it->relation = NULL;
	if (r == -ENOENT || r == -ENOTDIR)
		return rfs_error_set(m->err, ENOENT, "no table %s", src);
	if (r == 0)
		r = rfs_memrel_hash(m, src, hash, &it->rows, &it->bytes);
	if (r == -ENOENT)
		return rfs_error_set(m->err, EINVAL,
				     "%s is no table (it has no rows)", src);
	if (r == 0)
		r = rfs_memrel_text(m, src, "parent", &it->parent);
	if (r == 0)
		r = rfs_memrel_text(m, src, "bound", &it->bound);
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
	int r = rfs_memrel_manifest_load(m, &mf);

	if (r == 0) {
		char now[RFS_SHA256_HEX];

		r = rfs_memrel_rank(mf.state) <= 2
			    ? rfs_memrel_hash(m, src, now, NULL, NULL)
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
	r = rfs_memrel_join(tmp, sizeof(tmp), m->bin, key);
	if (r == 0)
		r = rfs_memrel_join(dir, sizeof(dir), m->bin, m->copy);
	if (r == 0)
		r = rfs_backend_mkdir(rfs_memrel_root(m), m->bin, 0755);
	if (r == -EEXIST)
		r = 0;
	if (r == 0)
		r = rfs_memrel_remove(m, tmp); /* a run cut short */
	if (r == 0)
		r = rfs_memrel_copy_table(m, src, tmp);
	if (r == 0)
		r = rfs_memrel_hash(m, tmp, mf.hash, &mf.rows, &mf.bytes);
	if (r == 0) {
		snprintf(mf.state, sizeof(mf.state), "copied");
		snprintf(mf.origin, sizeof(mf.origin), "%s", it->origin);
		snprintf(mf.source, sizeof(mf.source), "%s", src);
		mf.copied_ns = rfs_memrel_now_ns();
		rfs_memrel_manifest_format(&mf, text, sizeof(text));
		r = rfs_memrel_join(key, sizeof(key), tmp, "manifest");
	}
	if (r == 0)
		r = rfs_memrel_write(m, key, text, strlen(text));
	if (r == 0)
		r = rfs_backend_rename(rfs_memrel_root(m), tmp, dir, 0);
	return r;
}

/* The copy holds the manifest's rows; before the source is dropped, the
 * source too. */
static int verify(struct mr *m, const char *src, struct mr_manifest *mf)
{
	char dir[1024], now[RFS_SHA256_HEX];
	int r = rfs_memrel_join(dir, sizeof(dir), m->bin, m->copy);

	if (r == 0)
		r = rfs_memrel_hash(m, dir, now, NULL, NULL);
	if (r == -ENOENT || (r == 0 && strcmp(now, mf->hash)))
		return rfs_error_set(m->err, EBADMSG,
				     "recycle copy %s does not hold the rows "
				     "copied",
				     dir);
	if (r == 0 && rfs_memrel_rank(mf->state) <= 2) {
		r = rfs_memrel_hash(m, src, now, NULL, NULL);
		if (r == -ENOENT || (r == 0 && strcmp(now, mf->hash)))
			return rfs_error_set(m->err, ESTALE,
					     "%s changed since it was copied",
					     src);
	}
	if (r == 0 && rfs_memrel_rank(mf->state) == 1)
		r = rfs_memrel_manifest_state(m, mf, "verified");
	return r;
}

static int unpublish(struct mr *m, const char *src, struct mr_manifest *mf)
{
	char key[2048];
	int r;

	if (rfs_memrel_rank(mf->state) < 2)
		return rfs_error_set(m->err, EINVAL, "%s is not verified",
				     m->copy);
	if (rfs_memrel_rank(mf->state) > 2)
		return 0;
	r = rfs_memrel_join(key, sizeof(key), src, "attached");
	if (r == 0)
		r = rfs_backend_unlink(rfs_memrel_root(m), key);
	if (r == 0 || r == -ENOENT)
		r = rfs_memrel_manifest_state(m, mf, "unpublished");
	return r;
}

/* Delete: the source renamed to ".drop-<copy>" in the recycle location
 * (gone at once), the manifest "deleted", then the dropped table freed.
 * A source that changed is attached again: -ESTALE. */
static int drop(struct mr *m, const char *src, struct mr_manifest *mf)
{
	char trash[1024], name[128], now[RFS_SHA256_HEX];
	int r;

	if (rfs_memrel_rank(mf->state) < 3)
		return rfs_error_set(m->err, EINVAL, "%s is not unpublished",
				     m->copy);
	snprintf(name, sizeof(name), ".drop-%s", m->copy);
	r = rfs_memrel_join(trash, sizeof(trash), m->bin, name);
	if (r == 0 && rfs_memrel_rank(mf->state) == 3) {
		r = rfs_memrel_hash(m, src, now, NULL, NULL);
		if (r == 0 && strcmp(now, mf->hash)) {
			r = rfs_memrel_attach(m, src);
			return r < 0 ? r
				     : rfs_error_set(m->err, ESTALE,
						     "%s changed since it was "
						     "copied; it is attached "
						     "again",
						     src);
		}
		if (r == 0)
			r = rfs_backend_rename(rfs_memrel_root(m), src, trash,
					       0);
		if (r == -ENOENT) /* dropped by a run cut short */
			r = 0;
		if (r == 0)
			r = rfs_memrel_manifest_state(m, mf, "deleted");
	}
	return r < 0 ? r : rfs_memrel_remove(m, trash);
}

static int archive_step(struct mr *m, enum rfs_rel_step step,
			struct rfs_rel_item *it)
{
	struct mr_manifest mf;
	char src[1024];
	int r = rfs_memrel_source(m, it->key, src, sizeof(src));

	if (r < 0)
		return r;
	if (step == RFS_REL_SNAPSHOT)
		return snapshot(m, src, it);
	if (step == RFS_REL_SYNC) {
		r = sync_copy(m, src, it);
		return r < 0 ? r : rfs_memrel_manifest_load(m, &mf) ?: rfs_memrel_fill(m, &mf, it);
	}
	r = rfs_memrel_manifest_load(m, &mf);
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
		if (rfs_memrel_rank(mf.state) < 4)
			r = rfs_error_set(m->err, EINVAL,
					  "%s: its source is not dropped",
					  m->copy);
		else if (rfs_memrel_rank(mf.state) == 4)
			r = rfs_memrel_manifest_state(m, &mf, "archived");
		break;
	default: /* RFS_REL_DESCRIBE */
		break;
	}
	return r < 0 ? r : rfs_memrel_fill(m, &mf, it);
}

/* --------------------------------------------------------------- restore */

/* 0: @p dst holds the copy's rows; -ENOENT: no table there; -EEXIST. */
static int target_state(struct mr *m, const char *dst,
			const struct mr_manifest *mf)
{
	char now[RFS_SHA256_HEX];
	int r = rfs_memrel_is_dir(m, dst);

	if (r == 0)
		r = rfs_memrel_hash(m, dst, now, NULL, NULL);
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
	int r = rfs_memrel_source(m, it->key, dst, sizeof(dst));

	if (r == 0)
		r = rfs_memrel_manifest_load(m, &mf);
	if (r == -ENOENT)
		return rfs_error_set(m->err, ENOENT,
				     "restore refused: recycle copy %s/%s is "
				     "missing",
				     m->bin, m->copy);
	if (r == 0 && rfs_memrel_rank(mf.state) != 5)
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
		r = rfs_memrel_join(tmp, sizeof(tmp), m->bin, name);
		if (r == 0)
			r = rfs_memrel_join(dir, sizeof(dir), m->bin, m->copy);
		if (r == 0)
			r = rfs_memrel_remove(m, tmp);
		if (r == 0)
			r = rfs_memrel_copy_table(m, dir, tmp);
		if (r == 0)
			r = rfs_backend_rename(rfs_memrel_root(m), tmp, dst, 0);
		break;
	case RFS_REL_RESTORE_VERIFY:
		if (r == -ENOENT)
			r = rfs_error_set(m->err, ENOENT, "%s is not restored",
					  dst);
		break;
	default: /* RFS_REL_RESTORE_ATTACH */
		if (r == 0)
			r = rfs_memrel_attach(m, dst);
	}
	if (r == 0)
		r = rfs_memrel_fill(m, &mf, it);
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
	int r = rfs_memrel_manifest_load(m, &mf);

	snprintf(name, sizeof(name), ".purge-%s", m->copy);
	if (rfs_memrel_join(trash, sizeof(trash), m->bin, name) < 0 ||
	    rfs_memrel_join(dir, sizeof(dir), m->bin, m->copy) < 0)
		return -ENAMETOOLONG;
	if (r == -ENOENT) /* purged already, or never copied */
		return rfs_memrel_remove(m, trash);
	if (r < 0)
		return r;
	r = rfs_memrel_fill(m, &mf, it);
	if (r == 0 && rfs_memrel_rank(mf.state) < 5) {
		char drop[1024];

		snprintf(name, sizeof(name), ".drop-%s", m->copy);
		r = rfs_memrel_join(drop, sizeof(drop), m->bin, name);
		if (r == 0 && rfs_memrel_rank(mf.state) == 4)
			return rfs_error_set(m->err, EBUSY,
					     "recycle copy %s is still "
					     "archiving (%s): its source is "
					     "dropped",
					     dir, mf.state);
		if (r == 0 &&
		    rfs_memrel_rank(mf.state) == 3) { /* a drop cut short */
			r = rfs_backend_rename(rfs_memrel_root(m), drop,
					       mf.source, 0);
			r = r == -ENOENT ? 0 : r;
		}
		if (r == 0)
			r = rfs_memrel_attach(m, mf.source);
	}
	if (r == 0)
		r = rfs_backend_rename(rfs_memrel_root(m), dir, trash, 0);
	return r < 0 ? r : rfs_memrel_remove(m, trash);
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
		r = rfs_backend_list(rfs_memrel_root(&m), m.bin,
				     rfs_memrel_collect, &l);
	if (r == -ENOENT)
		r = 0; /* nothing archived yet */
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		struct mr_manifest mf;
		struct rfs_rel_manifest row;

		if (l.v[i][0] == '.')
			continue;
		snprintf(m.copy, sizeof(m.copy), "%s", l.v[i]);
		r = rfs_memrel_manifest_load(&m, &mf);
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
	rfs_memrel_names_free(&l);
	free(m.bin);
	return r;
}

static const struct rfs_backend_rel_ops memrel_rel_ops = {
	.bin_uri = memrel_bin_uri,
	.step = memrel_step,
	.manifests = memrel_manifests,
};

static struct rfs_backend_ops memrel_ops;
static const struct rfs_backend_ops *memrel_base;
static pthread_once_t memrel_once = PTHREAD_ONCE_INIT;

static void memrel_init(void)
{
	memrel_ops = *memrel_base;
	memrel_ops.scheme = "memrel";
	memrel_ops.caps &=
		~(unsigned int)(RFS_BACKEND_CAP_SPECIAL | RFS_BACKEND_CAP_COPY);
	memrel_ops.mknod = NULL;
	memrel_ops.copy = NULL;
	memrel_ops.rel = &memrel_rel_ops;
}

const struct rfs_backend_ops *rfs_memrel_ops(const struct rfs_backend_ops *mem)
{
	memrel_base = mem; /* always the same */
	pthread_once(&memrel_once, memrel_init);
	return &memrel_ops;
}
