/*
 * recyclefs restore: copy items out of the recycle bin, back to where they
 * were or into another epoch or location, as setfattr
 * user.recyclefs.restore does in a mount; unless --no-wait, run the
 * restore here until the data is verified at its target and its
 * partitions are added. `restore --status` lists the restores.
 */
#include "tools/cli.h"
#include "tools/cli_job.h"

#include "core/json_name.h"
#include "model/catalog.h"
#include "model/entry.h"
#include "core/jobs.h"
#include "core/namespace.h"
#include "core/restore.h"
#include "util/uri.h"
#include "index/entries.h"
#include "index/index.h"
#include "index/restores.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: recyclefs restore PATH... [--to T/L/E[/FOLDER] | --to-uri URI]\n"
	"                         [--overwrite] [--dry-run] [--no-wait] "
	"[--json]\n"
	"       recyclefs restore TABLE --lifecycle L [--to ...] [...]\n"
	"       recyclefs restore --status [PATH...] [--json]\n"
	"\n"
	"Copy each PATH out of the recycle bin: an entry (its bin path, with\n"
	"or without '.recyclebin/', its origin path, or either through a\n"
	"mount) or a folder or file below an entry's root (one partition of an\n"
	"archived epoch). The bin entry stays until it is purged. By default\n"
	"the item goes back to its original place, as today's catalog has it.\n"
	"The restore checks the recycle copy against its manifest and refuses\n"
	"files that differ at the target before copying anything; it then\n"
	"copies, verifies every checksum and adds the partitions through the\n"
	"metastore hook. It runs in this command, with a progress bar on a\n"
	"terminal; SIGINT or SIGTERM stops it at a safe point (exit 130), and\n"
	"it resumes in a mount or with 'recyclefs resume'. Rerunning a\n"
	"restore to the same target joins the one that runs or waits to\n"
	"resume (there is never a second): it waits for it, or runs it here.\n"
	"\n"
	"  --lifecycle L  PATH is a table: restore every archived item of its\n"
	"                 lifecycle L (a whole table is never restored at once)\n"
	"  --to T/L/E[/FOLDER]\n"
	"                 restore into that epoch (or a folder in it); with\n"
	"                 --lifecycle, an epoch name alone means T/L/EPOCH\n"
	"  --to-uri URI   restore into a location outside the catalog\n"
	"                 (file:///x, s3://bucket/prefix)\n"
	"  --overwrite    replace files that differ at the target (files that\n"
	"                 are not in the item are never deleted)\n"
	"  --dry-run      print what would be restored where; change nothing\n"
	"  --no-wait      only record the restore and leave it to a mount's\n"
	"                 workers ('recyclefs restore --status' follows it)\n"
	"  --json         print {\"restores\":[...]} instead (see docs/cli.md)\n"
	"  --status       list the restores (of the entries PATH names, or\n"
	"                 all): target, state, progress, reason\n"
	"\n"
	"Data is restored only into a storage of the same family (blob to\n"
	"blob: S3 to S3 or NFS; never into postgres). Exit status 1 when any\n"
	"PATH was refused or failed (the others still run). See\n"
	"docs/restore.md.\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

enum {
	OPT_LIFECYCLE = 'L',
	OPT_TO = 't',
	OPT_TO_URI = 'u',
	OPT_OVERWRITE = 'o',
	OPT_DRY_RUN = 'n',
	OPT_NO_WAIT = 'W',
	OPT_JSON = 'j',
	OPT_STATUS = 's',
};

/* What the command line asked for. */
struct opts {
	const char *lifecycle;
	struct rfs_restore_target to;
	bool dry_run, no_wait, json, status;
};

/* The state of one command run. */
struct run {
	struct rfs_index *idx;
	const struct opts *o;
	json_t *restores; /* the --json array, or NULL */
};

/* ------------------------------------------------------------- showing */

/* "N files, SIZE" of the part restored. */
static void files_and_size(const struct rfs_restore *r, char *out, size_t size)
{
	char sz[16];

	snprintf(out, size, "%" PRId64 " file%s, %s", r->files_total,
		 r->files_total == 1 ? "" : "s",
		 rfs_cli_size_format(r->bytes_total, sz, sizeof(sz)));
}

/* ".recyclebin/BIN[/SUB]": what a restore copies, for people. */
static char *what_of(const struct rfs_restore *r, const char *bin_path)
{
	char *s;

	if (asprintf(&s, ".recyclebin/%s%s%s", bin_path ? bin_path : "?",
		     r->sub && *r->sub ? "/" : "", r->sub ? r->sub : "") < 0)
		return NULL;
	return s;
}

/*
 * A restore as JSON: {"id", "entry", "sub", "target", "target_uri",
 * "state", "files_total", "bytes_total", "reason", "failed_step",
 * "files_done", "bytes_done", "created_at", "updated_at", "lease_owner"}.
 * @p r may be a dry run's plan (id 0: null) or NULL (a refusal: every
 * field null but state and reason). target_uri is where the item lands.
 */
static json_t *restore_json(const struct rfs_restore *r, const char *entry,
			    const char *state, const char *reason)
{
	static const struct rfs_restore none = { 0 };
	char created[40], updated[40], *uri = NULL;
	bool held;
	json_t *o;

	if (!r)
		r = &none;
	held = r->lease_owner && r->lease_until_ns >= rfs_time_now_ns() &&
	       rfs_job_owner_alive(r->lease_owner);
	if (r->target_uri &&
	    rfs_uri_join(r->target_uri, r->target_key ? r->target_key : "",
			 &uri) < 0)
		return NULL;
	rfs_time_format(r->created_ns, created, sizeof(created));
	rfs_time_format(r->updated_ns, updated, sizeof(updated));
	o = json_pack(
		"{s:o, s:o, s:o, s:o, s:o, s:s, s:I, s:I, s:o, "
		"s:s?, s:I, s:I, s:s?, s:s?, s:s?}",
		"id", r->id ? json_integer(r->id) : json_null(), "entry",
		rfs_json_name(entry), "sub", rfs_json_name(r->sub), "target",
		rfs_json_name(r->target), "target_uri", rfs_json_name(uri),
		"state", state ? state : rfs_restore_state_name(r->state),
		"files_total", (json_int_t)r->files_total, "bytes_total",
		(json_int_t)r->bytes_total, "reason",
		rfs_json_text(reason ? reason : r->reason), "failed_step",
		r->id && r->state == RFS_RESTORE_FAILED
			? rfs_restore_state_name(r->failed_step)
			: NULL,
		"files_done", (json_int_t)r->files_done, "bytes_done",
		(json_int_t)r->bytes_done, "created_at", r->id ? created : NULL,
		"updated_at", r->id ? updated : NULL, "lease_owner",
		held ? r->lease_owner : NULL);
	free(uri);
	return o;
}

/* Append one outcome to the --json array, with the operand as "path". */
static int result_add(struct run *run, const char *path,
		      const struct rfs_restore *r, const char *entry,
		      const char *state, const char *reason)
{
	json_t *o;

	if (!run->restores)
		return 0;
	o = restore_json(r, entry, state, reason);
	if (!o || json_object_set_new(o, "path", rfs_json_name(path)) < 0 ||
	    json_array_append_new(run->restores, o) < 0)
		return -ENOMEM;
	return 0;
}

/* ----------------------------------------------- progress on a terminal */

/* A thread that reads the restore's progress from its own connection and
 * draws a bar on stderr: rfs_restore_run() reports none itself. */
struct watch {
	struct rfs_index *idx; /* the watcher's own, read-only */
	pthread_t th;
	int64_t id;
	int done;
	bool started, drawn;
};

static void draw(struct watch *w, const struct rfs_restore *r)
{
	bool bytes =
		r->state == RFS_RESTORE_COPY || r->state == RFS_RESTORE_VERIFY;
	int64_t p = 0;
	char dn[16], tot[16], bar[21];

	if (bytes && r->bytes_total > 0)
		p = r->bytes_done * 100 / r->bytes_total;
	else if (r->files_total > 0)
		p = r->files_done * 100 / r->files_total;
	if (p > 100)
		p = 100;
	for (int i = 0; i < 20; i++)
		bar[i] = i < p / 5 ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\r\033[K%-9s [%s] %3d%% %" PRId64 "/%" PRId64 " files",
		rfs_restore_state_name(r->state), bar, (int)p, r->files_done,
		r->files_total);
	if (bytes)
		fprintf(stderr, ", %s/%s",
			rfs_cli_size_format(r->bytes_done, dn, sizeof(dn)),
			rfs_cli_size_format(r->bytes_total, tot, sizeof(tot)));
	fflush(stderr);
	w->drawn = true;
}

static void *watch_main(void *arg)
{
	const struct timespec tick = { 0, 200 * 1000 * 1000 };
	struct rfs_error ignore = { 0 };
	struct watch *w = arg;

	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		struct rfs_restore r = { 0 };

		if (rfs_index_restore_get(w->idx, w->id, &r, &ignore) == 0)
			draw(w, &r);
		rfs_restore_release(&r);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/* Start drawing when stderr is a terminal; without a bar otherwise. */
static void watch_start(struct watch *w, struct rfs_index *idx, int64_t id)
{
	struct rfs_error ignore = { 0 };

	memset(w, 0, sizeof(*w));
	w->id = id;
	if (isatty(STDERR_FILENO) != 1 ||
	    rfs_index_open(rfs_index_path(idx), RFS_INDEX_READONLY, &w->idx,
			   &ignore) < 0)
		return;
	w->started = pthread_create(&w->th, NULL, watch_main, w) == 0;
	if (!w->started) {
		rfs_index_free(w->idx);
		w->idx = NULL;
	}
}

static void watch_stop(struct watch *w)
{
	if (!w->started)
		return;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	pthread_join(w->th, NULL);
	if (w->drawn)
		fputs("\r\033[K", stderr);
	rfs_index_free(w->idx);
	w->idx = NULL;
	w->started = false;
}

/* ----------------------------------------------------------- restoring */

/* One rfs_restore_begin() of a reading of the user's path. */
struct begin {
	struct run *run;
	const struct rfs_catalog *cat;
	const struct rfs_restore_target *to;
	struct rfs_restore *out;
};

static int begin_one(void *ctx, const char *path, struct rfs_error *err)
{
	const struct opts *o;
	struct begin *b = ctx;
	struct rfs_node n;

	o = b->run->o;
	/* A table or lifecycle is no entry: say what to do instead. */
	if (!rfs_path_is_under(path, RFS_BIN_DIR) && b->cat &&
	    rfs_namespace_resolve(b->cat, path, &n) == 0) {
		if (n.kind == RFS_NODE_ROOT)
			return rfs_error_set(err, EINVAL,
					     "name an item in the recycle bin");
		if (n.kind == RFS_NODE_TABLE)
			return rfs_error_set(err, EISDIR,
					     "'%s' is a table: restoring a "
					     "whole table is rarely wanted; "
					     "pass --lifecycle to restore "
					     "every archived item of one "
					     "lifecycle",
					     path);
		if (n.kind == RFS_NODE_LIFECYCLE)
			return rfs_error_set(err, EISDIR,
					     "'%s' is a lifecycle: 'recyclefs "
					     "restore %s --lifecycle %s' "
					     "restores every archived item of "
					     "it",
					     path, n.table->name,
					     n.lifecycle->name);
	}
	return rfs_restore_begin(
		b->run->idx, path, b->to, o->dry_run,
		o->dry_run || o->no_wait ? NULL : rfs_job_owner_self(), b->out,
		err);
}

/* Report a refusal (nothing was recorded). */
static int refused(struct run *run, const char *path, int rc,
		   const struct rfs_error *err)
{
	const char *why = err->msg[0] ? err->msg : strerror(-rc);

	if (result_add(run, path, NULL, NULL, "refused", why) < 0)
		return rfs_cli_fail(NULL, -ENOMEM);
	if (!strncmp(why, "restore refused", 15))
		return rfs_cli_failf("%s", why);
	return rfs_cli_failf("cannot restore '%s': %s", path, why);
}

/* Run a recorded restore here and report its outcome. */
static int run_here(struct run *run, const char *path, struct rfs_restore *r,
		    const char *what, const char *entry)
{
	struct rfs_job_opts jo = { .stop = rfs_cli_job_stop_flag() };
	struct rfs_error err = { 0 }, ignore = { 0 };
	struct rfs_restore now = { 0 };
	const struct rfs_restore *shown = r;
	char size[64];
	struct watch w;
	int rc, status;

	if (r->joined && !run->restores)
		printf("joining restore %" PRId64 " of '%s' to '%s', already "
		       "%s\n",
		       r->id, what, r->target,
		       r->lease_owner &&
				       r->lease_until_ns >= rfs_time_now_ns() &&
				       rfs_job_owner_alive(r->lease_owner)
			       ? "running"
			       : "recorded: resuming it here");
	watch_start(&w, run->idx, r->id);
	/* Run it, or wait while another process does (and take over if
	 * that process dies). */
	rc = rfs_restore_attach(run->idx, r->id, &jo, &err);
	watch_stop(&w);
	if (rfs_index_restore_get(run->idx, r->id, &now, &ignore) == 0)
		shown = &now;
	files_and_size(shown, size, sizeof(size));
	if (rc == 0) {
		if (!run->restores)
			printf("restored '%s' to '%s' (%s)\n",
			       rfs_cli_esc(what), rfs_cli_esc(r->target), size);
		/* what the target could not take, one line per file */
		if (!run->restores && shown->reason)
			printf("note: %s\n", shown->reason);
		status = RFS_EXIT_OK;
	} else if (rc == -EINTR) {
		status = rfs_cli_failf("interrupted; the restore of '%s' to "
				       "'%s' stays in state %s and resumes in "
				       "a mount or with 'recyclefs resume'",
				       what, r->target,
				       rfs_restore_state_name(shown->state));
		status = RFS_EXIT_INTERRUPTED;
	} else if (shown->state == RFS_RESTORE_FAILED) {
		status = rfs_cli_failf(
			"restore of '%s' to '%s' failed at %s: %s", what,
			r->target, rfs_restore_state_name(shown->failed_step),
			shown->reason ? shown->reason : err.msg);
	} else {
		status = rfs_cli_failf("restore of '%s' to '%s': %s", what,
				       r->target,
				       err.msg[0] ? err.msg : strerror(-rc));
	}
	rc = result_add(run, path, shown, entry,
			rc == -EINTR ? "interrupted" : NULL,
			rc < 0 && !shown->reason ? err.msg : NULL);
	rfs_restore_release(&now);
	if (rc < 0 && status == RFS_EXIT_OK)
		status = rfs_cli_fail(NULL, rc);
	return status;
}

/* Restore what @p path names to @p to. */
static int restore_one(struct run *run, const struct rfs_catalog *cat,
		       const char *path, const struct rfs_restore_target *to)
{
	struct rfs_error err = { 0 }, ignore = { 0 };
	struct rfs_restore r = { 0 };
	struct rfs_entry e = { 0 };
	struct begin b = { run, cat, to, &r };
	char size[64], *what;
	int rc, status = RFS_EXIT_OK;

	rc = rfs_cli_catalog_path(run->idx, path, begin_one, &b, &err);
	if (rc < 0)
		return refused(run, path, rc, &err);
	rfs_index_entry_get(run->idx, r.entry_id, &e, &ignore);
	what = what_of(&r, e.bin_path);
	if (!what) {
		status = rfs_cli_fail(NULL, -ENOMEM);
		goto out;
	}
	files_and_size(&r, size, sizeof(size));
	if (run->o->dry_run) {
		if (!run->restores && r.joined)
			printf("would join restore %" PRId64 " of '%s' to '%s' "
			       "(%s), which runs or waits to resume\n",
			       r.id, rfs_cli_esc(what), rfs_cli_esc(r.target),
			       size);
		else if (!run->restores)
			printf("would restore '%s' to '%s' (%s)\n",
			       rfs_cli_esc(what), rfs_cli_esc(r.target), size);
		rc = result_add(run, path, &r, e.bin_path, "planned", NULL);
	} else if (run->o->no_wait) {
		if (!run->restores)
			printf("%s '%s' to '%s' (%s; 'recyclefs "
			       "restore --status' shows it)\n",
			       r.joined ? "already restoring" : "restoring",
			       rfs_cli_esc(what), rfs_cli_esc(r.target), size);
		rc = result_add(run, path, &r, e.bin_path, NULL, NULL);
	} else {
		status = run_here(run, path, &r, what, e.bin_path);
	}
	if (rc < 0)
		status = rfs_cli_fail(NULL, rc);
out:
	free(what);
	rfs_entry_release(&e);
	rfs_restore_release(&r);
	return status;
}

/* The archived entries of one table and lifecycle, as ".recyclebin/X". */
struct pick {
	const char *table, *lifecycle;
	char **paths;
	size_t n, cap;
};

static int pick_archived(const struct rfs_entry *e, void *ctx)
{
	struct pick *p = ctx;
	char *s;

	if (e->state != RFS_ENTRY_ARCHIVED || strcmp(e->table, p->table) ||
	    strcmp(e->lifecycle, p->lifecycle))
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		char **v = realloc(p->paths, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->paths = v;
		p->cap = cap;
	}
	if (asprintf(&s, RFS_BIN_DIR "/%s", e->bin_path) < 0)
		return -ENOMEM;
	p->paths[p->n++] = s;
	return 0;
}

/* Why there is nothing to restore in TABLE/L: an error when the catalog
 * does not know it either. */
static int nothing_archived(const struct run *run,
			    const struct rfs_catalog *cat, const char *table,
			    const char *lc)
{
	const struct rfs_table *t = cat ? rfs_catalog_table(cat, table) : NULL;

	if (!t)
		return rfs_cli_failf("no table '%s' in the catalog", table);
	if (!rfs_table_lifecycle(t, lc))
		return rfs_cli_failf("table '%s' has no lifecycle '%s'", table,
				     lc);
	if (!run->restores)
		printf("nothing to restore: no archived item of '%s/%s' in "
		       "the recycle bin\n",
		       table, lc);
	return RFS_EXIT_OK;
}

/* Every archived entry of TABLE's lifecycle, each to its own place. */
static int restore_lifecycle(struct run *run, const struct rfs_catalog *cat,
			     const char *table)
{
	struct pick p = { .table = table, .lifecycle = run->o->lifecycle };
	struct rfs_restore_target to = run->o->to;
	struct rfs_error err = { 0 };
	char *to_path = NULL;
	int r, s, status = RFS_EXIT_OK;

	if (strchr(table, '/'))
		return rfs_cli_failf("with --lifecycle, '%s' must be a table "
				     "name",
				     table);
	/* --to EPOCH: an epoch of that lifecycle. */
	if (to.to && !strchr(to.to, '/')) {
		if (asprintf(&to_path, "%s/%s/%s", table, p.lifecycle, to.to) <
		    0)
			return rfs_cli_fail(NULL, -ENOMEM);
		to.to = to_path;
	}
	r = rfs_index_entry_list(run->idx, RFS_INDEX_ENTRIES_LIVE, NULL,
				 pick_archived, &p, &err);
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	else if (p.n == 0)
		status = nothing_archived(run, cat, table, p.lifecycle);
	for (size_t i = 0; r == 0 && i < p.n; i++) {
		if (rfs_cli_job_interrupted()) {
			status = RFS_EXIT_INTERRUPTED;
			break;
		}
		s = restore_one(run, cat, p.paths[i], &to);
		if (s > status)
			status = s;
		if (s == RFS_EXIT_INTERRUPTED)
			break;
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.paths[i]);
	free(p.paths);
	free(to_path);
	return status;
}

/* -------------------------------------------------------------- status */

/* The restores to list, by id. */
struct ids {
	int64_t *v;
	size_t n, cap;
};

static int collect(const struct rfs_restore *r, void *ctx)
{
	struct ids *ids = ctx;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? 2 * ids->cap : 16;
		int64_t *v = realloc(ids->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = r->id;
	return 0;
}

/* One row of the text form; @return true when it waits for a process. */
static bool add_row(struct rfs_cli_table *tb, const struct rfs_restore *r,
		    const char *what)
{
	bool runnable =
		r->state != RFS_RESTORE_DONE && r->state != RFS_RESTORE_FAILED;
	bool waiting = runnable && !(r->lease_owner &&
				     r->lease_until_ns >= rfs_time_now_ns() &&
				     rfs_job_owner_alive(r->lease_owner));
	char id[24], state[48], progress[96], dn[16], tot[16];
	const char *row[] = { id, what, r->target, state, progress, r->reason };

	snprintf(id, sizeof(id), "%" PRId64, r->id);
	if (r->state == RFS_RESTORE_FAILED)
		snprintf(state, sizeof(state), "failed (%s)",
			 rfs_restore_state_name(r->failed_step));
	else
		snprintf(state, sizeof(state), "%s%s",
			 rfs_restore_state_name(r->state),
			 waiting ? " (waiting)" : "");
	rfs_cli_size_format(r->bytes_done, dn, sizeof(dn));
	rfs_cli_size_format(r->bytes_total, tot, sizeof(tot));
	if (runnable)
		snprintf(progress, sizeof(progress),
			 "%" PRId64 "/%" PRId64 " files, %s/%s", r->files_done,
			 r->files_total, dn, tot);
	else
		files_and_size(r, progress, sizeof(progress));
	rfs_cli_table_add(tb, row);
	return waiting;
}

/* List the restores of @p ids (text or JSON). */
static int print_status(struct rfs_index *idx, const struct ids *ids, bool json)
{
	static const char *const header[] = { "ID",    "ENTRY",	   "TARGET",
					      "STATE", "PROGRESS", "REASON" };
	struct rfs_error err = { 0 };
	json_t *arr = json ? json_array() : NULL;
	struct rfs_cli_table tb;
	size_t waiting = 0;
	int r = 0, status;

	if (json && !arr)
		return rfs_cli_fail(NULL, -ENOMEM);
	rfs_cli_table_init(&tb, 6);
	rfs_cli_table_add(&tb, header);
	for (size_t i = 0; r == 0 && i < ids->n; i++) {
		struct rfs_restore rs = { 0 };
		struct rfs_entry e = { 0 };
		char *what = NULL;

		r = rfs_index_restore_get(idx, ids->v[i], &rs, &err);
		if (r == 0)
			r = rfs_index_entry_get(idx, rs.entry_id, &e, &err);
		if (r == 0 && !(what = what_of(&rs, e.bin_path)))
			r = -ENOMEM;
		if (r == 0 && arr &&
		    json_array_append_new(
			    arr, restore_json(&rs, e.bin_path, NULL, NULL)) < 0)
			r = -ENOMEM;
		if (r == 0 && !arr)
			waiting += add_row(&tb, &rs, what);
		free(what);
		rfs_entry_release(&e);
		rfs_restore_release(&rs);
	}
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	else if (arr)
		status =
			rfs_cli_print_json(json_pack("{s:O}", "restores", arr));
	else if (ids->n == 0)
		status = (puts("no restores"), RFS_EXIT_OK);
	else
		status = rfs_cli_table_print(&tb, stdout);
	if (status == RFS_EXIT_OK && waiting)
		printf("%zu restore%s wait%s for a process: run 'recyclefs "
		       "resume' or mount the catalog\n",
		       waiting, waiting == 1 ? "" : "s",
		       waiting == 1 ? "s" : "");
	json_decref(arr);
	rfs_cli_table_release(&tb);
	return status;
}

/* `restore --status [PATH...]`: every restore, or those of the entries
 * named. */
static int show_status(struct rfs_index *idx, int argc, char **argv, bool json)
{
	struct rfs_error err = { 0 };
	struct ids ids = { 0 };
	int r = 0, status = RFS_EXIT_OK;

	if (optind == argc)
		r = rfs_index_restore_list(idx, RFS_INDEX_RESTORES_ALL, 0,
					   collect, &ids, &err);
	for (int i = optind; r == 0 && i < argc; i++) {
		struct rfs_entry e = { 0 };

		r = rfs_cli_entry_find(idx, argv[i], &e, &err);
		if (r == 0)
			r = rfs_index_restore_list(idx, RFS_INDEX_RESTORES_ALL,
						   e.id, collect, &ids, &err);
		rfs_entry_release(&e);
	}
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	else
		status = print_status(idx, &ids, json);
	free(ids.v);
	return status;
}

/* ------------------------------------------------------------- command */

/* @return RFS_EXIT_OK, RFS_EXIT_USAGE (reported), or RFS_CLI_STOP when
 * the command must return g->status (after --help). */
static int parse(struct rfs_cli_getopt *g, struct opts *o, int argc,
		 char **argv)
{
	int c;

	while ((c = rfs_cli_next(g, argc, argv)) != -1) {
		switch (c) {
		case RFS_CLI_STOP:
			return RFS_CLI_STOP;
		case OPT_LIFECYCLE:
			o->lifecycle = optarg;
			break;
		case OPT_TO:
			o->to.to = optarg;
			break;
		case OPT_TO_URI:
			o->to.to_uri = optarg;
			break;
		case OPT_OVERWRITE:
			o->to.overwrite = true;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_NO_WAIT:
			o->no_wait = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_STATUS:
			o->status = true;
			break;
		}
	}
	if (o->to.to && o->to.to_uri)
		return rfs_cli_usage_error(g->cmd, "--to and --to-uri cannot "
						   "both be given");
	if (o->dry_run && o->no_wait)
		return rfs_cli_usage_error(g->cmd, "--dry-run and --no-wait "
						   "cannot both be given");
	if (o->status && (o->lifecycle || o->to.to || o->to.to_uri ||
			  o->to.overwrite || o->dry_run || o->no_wait))
		return rfs_cli_usage_error(g->cmd, "--status takes only PATHs "
						   "and --json");
	if (o->status)
		return RFS_EXIT_OK;
	return rfs_cli_operands(g, argc, argv, 1, -1,
				o->lifecycle ? "TABLE" : "PATH...");
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lifecycle", required_argument, NULL, OPT_LIFECYCLE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "to-uri", required_argument, NULL, OPT_TO_URI },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "status", no_argument, NULL, OPT_STATUS },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "restore",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error ignore = { 0 };
	struct rfs_catalog *cat = NULL;
	struct opts o = { 0 };
	struct run run = { .o = &o };
	int i, s, status;

	status = parse(&g, &o, argc, argv);
	if (status == RFS_CLI_STOP)
		return g.status;
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&run.idx);
	if (status)
		return status;
	if (o.status) {
		status = show_status(run.idx, argc, argv, o.json);
		rfs_index_free(run.idx);
		return status;
	}
	if (rfs_index_load_catalog(run.idx, &cat, &ignore) < 0)
		cat = NULL; /* the core reports a catalog it cannot load */
	if (o.json && !(run.restores = json_array())) {
		status = rfs_cli_fail(NULL, -ENOMEM);
		goto out;
	}
	for (i = optind; i < argc; i++) {
		if (rfs_cli_job_interrupted()) {
			status = RFS_EXIT_INTERRUPTED;
			break;
		}
		if (o.lifecycle)
			s = restore_lifecycle(&run, cat, argv[i]);
		else
			s = restore_one(&run, cat, argv[i], &o.to);
		if (s > status)
			status = s;
		if (s == RFS_EXIT_INTERRUPTED)
			break;
	}
	if (o.json) {
		s = rfs_cli_print_json(
			json_pack("{s:O}", "restores", run.restores));
		if (status == RFS_EXIT_OK)
			status = s;
	}
out:
	json_decref(run.restores);
	rfs_catalog_free(cat);
	rfs_index_free(run.idx);
	return status;
}
