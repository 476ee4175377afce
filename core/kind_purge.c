/*
 * The purge kind of job (core/engine.h): delete an entry's recycle copy
 * and its manifest for good, then mark the entry purged.
 */
#include "core/job_priv.h"

#include "backends/backend.h"
#include "core/manifest.h"
#include "index/entries.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Purge: remove everything below the entry's bin path, then the path,
 * then the folders above it that it leaves empty. */
struct purge {
	struct job *j;
	struct rfs_buf key;
	char **dirs;
	size_t n_dirs, cap;
	int64_t files;
};

static int purge_entry(void *ctx, const char *rel, const struct stat *st)
{
	struct purge *p = ctx;
	struct job *j = p->j;
	int r;

	r = rfs_job_bin_key(j, rel, &p->key);
	if (r < 0)
		return r;
	if (S_ISDIR(st->st_mode)) {
		if (p->n_dirs == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;
			char **d = realloc(p->dirs, cap * sizeof(*d));

			if (!d)
				return -ENOMEM;
			p->dirs = d;
			p->cap = cap;
		}
		p->dirs[p->n_dirs] = strdup(rfs_buf_str(&p->key));
		return p->dirs[p->n_dirs++] ? 0 : -ENOMEM;
	}
	r = rfs_backend_unlink(j->bin, rfs_buf_str(&p->key));
	if (r == -ENOENT)
		r = 0;
	if (r == 0 && ++p->files % 100 == 0)
		rfs_job_progress(j, p->files, 0, false);
	return r;
}

static int purge_run(struct rfs_engine_job *b)
{
	struct job *j = (struct job *)b;
	struct purge p = { .j = j, .key = RFS_BUF_INIT };
	struct stat st;
	size_t len;
	char *up;
	int r;

	r = rfs_backend_stat(j->bin, j->e.bin_path, &st);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = rfs_engine_walk(j->bin, j->e.bin_path, purge_entry, &p);
	/* Folders were found parents first: remove them in reverse. */
	while (r == 0 && p.n_dirs) {
		char *dir = p.dirs[--p.n_dirs];

		r = rfs_backend_rmdir(j->bin, dir);
		free(dir);
		if (r == -ENOENT)
			r = 0;
	}
	if (r == 0)
		r = S_ISDIR(st.st_mode)
			    ? rfs_backend_rmdir(j->bin, j->e.bin_path)
			    : rfs_backend_unlink(j->bin, j->e.bin_path);
	if (r == -ENOENT)
		r = 0;
	while (p.n_dirs)
		free(p.dirs[--p.n_dirs]);
	free(p.dirs);
	rfs_buf_release(&p.key);
	if (r == 0)
		r = rfs_manifest_remove(j->bin, j->e.uuid, j->base.err);
	if (r < 0) {
		if (!j->base.err->code)
			rfs_error_set(j->base.err, -r,
				      "purging '%s' failed: %s", j->e.bin_path,
				      strerror(-r));
		return r;
	}
	/* Tidy the mirrored folders above it; a busy one stays. */
	up = strdup(j->e.bin_path);
	while (up && (len = rfs_path_dirlen(up)) > 0) {
		up[len] = '\0';
		if (rfs_backend_rmdir(j->bin, up) < 0)
			break;
	}
	free(up);
	j->e.purged_ns = rfs_time_now_ns();
	return 0;
}

static const struct rfs_engine_step purge_steps[] = {
	{ RFS_ENTRY_PURGING, "purge", purge_run, RFS_ENTRY_PURGED,
	  RFS_ENTRY_PURGING },
	{ RFS_ENTRY_PURGED, "purged", NULL, RFS_ENGINE_END, RFS_ENTRY_PURGED },
};

const struct rfs_engine_kind rfs_job_kind_purge = {
	.name = "purge",
	.steps = purge_steps,
	.n_steps = sizeof(purge_steps) / sizeof(purge_steps[0]),
	.fail = rfs_job_entry_fail_purge,
	JOB_ENTRY_KIND_OPS,
};
