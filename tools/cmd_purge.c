/*
 * recyclefs purge: delete recycle entries for good, by path or by age,
 * running each purge job here.
 */
#include "tools/cli.h"
#include "tools/cli_job.h"

#include "core/archive.h"
#include "model/entry.h"
#include "core/restore.h"
#include "index/entries.h"
#include "index/index.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs purge PATH... [--force] [--dry-run] [--json]\n"
	"       recyclefs purge --older-than DURATION [--dry-run] [--json]\n"
	"\n"
	"Delete recycle entries for good: their copy in the recycle storage\n"
	"and their manifest. The entry stays in the index as purged\n"
	"('recyclefs status --all'). PATH is a bin path, an origin path or a\n"
	"path in a mount; an entry still being archived cannot be purged.\n"
	"--older-than purges every archived entry whose source was removed\n"
	"more than DURATION ago (30d, 12h, 90m, 45s, 2w); failed entries are\n"
	"never purged by age, only by path. An entry whose latest restore\n"
	"failed or waits to resume is refused (the bin may hold the only\n"
	"complete copy) unless --force; one being restored is always refused.\n"
	"\n"
	"  --force    purge although the latest restore failed or is\n"
	"             unfinished (that restore is then marked failed)\n"
	"  --dry-run  list what would be purged and change nothing\n"
	"  --json     print {\"dry_run\":...,\"results\":[...]} instead (see\n"
	"             docs/cli.md)\n"
	"\n"
	"Purging a purged entry succeeds and changes nothing.\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

enum {
	OPT_OLDER_THAN = 'o',
	OPT_DRY_RUN = 'n',
	OPT_JSON = 'j',
	OPT_FORCE = 'f',
};

struct opts {
	bool dry_run;
	bool force;		  /**< --force */
	json_t *results;	  /**< --json */
	struct rfs_cli_table *tb; /**< --dry-run text rows */
	int64_t bytes;		  /**< --dry-run total */
};

/* The newest purged entry at or from a path. */
struct purged {
	const char *path;
	struct rfs_entry found;
};

static int match_purged(const struct rfs_entry *e, void *ctx)
{
	struct purged *p = ctx;

	if (e->state != RFS_ENTRY_PURGED ||
	    (strcmp(e->bin_path, p->path) && strcmp(e->origin_path, p->path)))
		return 0;
	if (p->found.id && p->found.purged_ns > e->purged_ns)
		return 0;
	rfs_entry_release(&p->found);
	return rfs_entry_copy(&p->found, e);
}

struct find_purged {
	struct rfs_index *idx;
	struct rfs_entry *out;
};

static int find_purged_one(void *ctx, const char *path, struct rfs_error *err)
{
	struct find_purged *fp = ctx;
	struct purged p = { path, { 0 } };
	int r;

	if (rfs_path_is_under(path, ".recyclebin"))
		p.path = path + strlen(".recyclebin") + 1;
	r = rfs_index_entry_list(fp->idx, RFS_INDEX_ENTRIES_ALL, NULL,
				 match_purged, &p, err);
	if (r == 0 && !p.found.id)
		r = -ENOENT;
	if (r == 0)
		*fp->out = p.found;
	else
		rfs_entry_release(&p.found);
	return r;
}

/* A dry run: show what would go. */
static int would_purge(const char *path, const struct rfs_entry *e,
		       struct opts *o)
{
	char at[32], size[16];
	const char *row[] = { e->bin_path, e->deleted_ns ? at : NULL, size };

	o->bytes += e->bytes_total;
	if (o->results)
		return rfs_cli_result_add(o->results, path, "would_purge", NULL,
					  e);
	rfs_time_format(e->deleted_ns, at, sizeof(at));
	rfs_cli_size_format(e->bytes_total, size, sizeof(size));
	rfs_cli_table_add(o->tb, row);
	return 0;
}

/* Purge one live entry: claim its job, mark it, run it here. */
static int purge_entry(struct rfs_index *idx, const char *path,
		       const struct rfs_entry *e, struct opts *o)
{
	struct rfs_entry done = { 0 };
	struct rfs_error err = { 0 };
	const char *result;
	int r, status;

	if (rfs_entry_state_archiving(e->state) && o->dry_run) {
		r = rfs_error_set(&err, EBUSY,
				  "'.recyclebin/%s' is still being archived "
				  "(state %s); it can be purged once it is "
				  "archived or failed",
				  e->bin_path, rfs_entry_state_name(e->state));
	} else if (rfs_entry_state_archiving(e->state)) {
		/* Refused with the reason, changing nothing. */
		r = rfs_purge_begin(idx, e->id, &err);
	} else if (o->dry_run) {
		/* Say now what the purge would refuse; change nothing. */
		r = rfs_index_begin(idx, &err);
		if (r == 0)
			r = rfs_restore_purge_check(idx, e->id, e->bin_path,
						    o->force, &err);
		rfs_index_rollback(idx);
	} else {
		/* Hold the lease first: a mount's worker must not start
		 * the purge before this command runs it. */
		r = rfs_cli_job_claim(idx, e, &err);
		if (r == 0)
			r = rfs_purge_begin_flags(
				idx, e->id, o->force ? RFS_PURGE_FORCE : 0,
				&err);
		if (r < 0)
			rfs_cli_job_release(idx, e->id,
					    &(struct rfs_error){ 0 });
	}
	if (r < 0) {
		rfs_cli_result_add(o->results, path, "refused", err.msg, e);
		return rfs_cli_fail(&err, r);
	}
	if (o->dry_run)
		return would_purge(path, e, o) < 0 ? rfs_cli_fail(NULL, -ENOMEM)
						   : RFS_EXIT_OK;
	status = rfs_cli_job_run(idx, e->id, o->results ? RFS_CLI_JOB_QUIET : 0,
				 &done, &err);
	result = status == RFS_EXIT_OK		  ? "purged"
		 : status == RFS_EXIT_INTERRUPTED ? "interrupted"
						  : "failed";
	r = rfs_cli_result_add(o->results, path, result,
			       status == RFS_EXIT_OK ? NULL : err.msg,
			       done.id ? &done : e);
	rfs_entry_release(&done);
	if (r < 0 && status == RFS_EXIT_OK)
		status = rfs_cli_fail(NULL, r);
	return status;
}

static int purge_path(struct rfs_index *idx, const char *path, struct opts *o)
{
	struct find_purged fp = { idx, NULL };
	struct rfs_error err = { 0 }, ignore = { 0 };
	struct rfs_entry e = { 0 };
	int r, status;

	r = rfs_cli_entry_find(idx, path, &e, &err);
	if (r == -ENOENT) {
		fp.out = &e;
		if (rfs_cli_catalog_path(idx, path, find_purged_one, &fp,
					 &ignore) == 0) {
			if (!o->results)
				printf("'.recyclebin/%s' is already purged\n",
				       rfs_cli_esc(e.bin_path));
			r = rfs_cli_result_add(o->results, path,
					       "already_purged", NULL, &e);
			rfs_entry_release(&e);
			return r < 0 ? rfs_cli_fail(NULL, r) : RFS_EXIT_OK;
		}
	}
	if (r < 0) {
		rfs_cli_result_add(o->results, path, "refused", err.msg, NULL);
		return rfs_cli_fail(&err, r);
	}
	status = purge_entry(idx, path, &e, o);
	rfs_entry_release(&e);
	return status;
}

/* Archived entries older than a cutoff, collected before purging. */
struct old {
	int64_t cutoff;
	struct rfs_entry *v;
	size_t n, cap;
};

static int collect_old(const struct rfs_entry *e, void *ctx)
{
	struct old *old = ctx;

	if (e->state != RFS_ENTRY_ARCHIVED || e->deleted_ns >= old->cutoff)
		return 0;
	if (old->n == old->cap) {
		size_t cap = old->cap ? 2 * old->cap : 16;
		struct rfs_entry *v = realloc(old->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		old->v = v;
		old->cap = cap;
	}
	return rfs_entry_copy(&old->v[old->n++], e);
}

static int purge_older(struct rfs_index *idx, int64_t age, struct opts *o)
{
	struct old old = { .cutoff = rfs_time_now_ns() - age };
	struct rfs_error err = { 0 };
	char path[4096], at[32];
	int status = RFS_EXIT_OK, s, r;
	size_t i;

	r = rfs_index_entry_list(idx, RFS_INDEX_ENTRIES_LIVE, NULL, collect_old,
				 &old, &err);
	if (r < 0)
		status = rfs_cli_fail(&err, r);
	if (r == 0 && old.n == 0 && !o->results)
		printf("nothing archived before %s\n",
		       rfs_time_format(old.cutoff, at, sizeof(at)));
	for (i = 0; r == 0 && i < old.n; i++) {
		snprintf(path, sizeof(path), ".recyclebin/%s",
			 old.v[i].bin_path);
		if (rfs_cli_job_interrupted()) {
			status = RFS_EXIT_INTERRUPTED;
			break;
		}
		s = purge_entry(idx, path, &old.v[i], o);
		if (s > status)
			status = s;
		if (s == RFS_EXIT_INTERRUPTED)
			break;
	}
	for (i = 0; i < old.n; i++)
		rfs_entry_release(&old.v[i]);
	free(old.v);
	return status;
}

static int finish(struct opts *o, int status)
{
	size_t n = o->tb->ncells / o->tb->ncols;
	char size[16];
	int s;

	if (o->results) {
		s = rfs_cli_print_json(json_pack("{s:b, s:O}", "dry_run",
						 o->dry_run, "results",
						 o->results));
		return status ? status : s;
	}
	n = n ? n - 1 : 0; /* the header */
	if (!o->dry_run || n == 0)
		return status;
	s = rfs_cli_table_print(o->tb, stdout);
	printf("%zu entr%s, %s would be purged (dry run: nothing changed)\n", n,
	       n == 1 ? "y" : "ies",
	       rfs_cli_size_format(o->bytes, size, sizeof(size)));
	return status ? status : s;
}

int cmd_purge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "force", no_argument, NULL, OPT_FORCE },
		RFS_CLI_COMMON_OPTIONS,
	};
	static const char *const header[] = { "BIN PATH", "ARCHIVED AT",
					      "SIZE" };
	struct rfs_cli_getopt g = { .cmd = "purge",
				    .usage = usage,
				    .longopts = opts };
	const char *older = NULL;
	struct rfs_cli_table tb;
	struct opts o = { .tb = &tb };
	struct rfs_index *idx;
	bool json = false;
	int64_t age = 0;
	int c, i, s, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == OPT_OLDER_THAN)
			older = optarg;
		else if (c == OPT_DRY_RUN)
			o.dry_run = true;
		else if (c == OPT_JSON)
			json = true;
		else if (c == OPT_FORCE)
			o.force = true;
	}
	if (older && optind < argc)
		return rfs_cli_usage_error(g.cmd, "give PATHs or --older-than, "
						  "not both");
	if (!older && optind == argc)
		return rfs_cli_usage_error(g.cmd, "missing operand (expects "
						  "PATH... or --older-than "
						  "DURATION)");
	if (older && rfs_time_parse_duration(older, &age) < 0)
		return rfs_cli_usage_error(g.cmd,
					   "--older-than wants a duration "
					   "such as 30d, 12h, 90m, 45s or 2w, "
					   "not '%s'",
					   older);
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	if (json && !(o.results = json_array())) {
		rfs_index_free(idx);
		return rfs_cli_fail(NULL, -ENOMEM);
	}
	rfs_cli_table_init(&tb, 3);
	rfs_cli_table_add(&tb, header);
	if (older)
		status = purge_older(idx, age, &o);
	for (i = optind; !older && i < argc; i++) {
		if (rfs_cli_job_interrupted()) {
			status = RFS_EXIT_INTERRUPTED;
			break;
		}
		s = purge_path(idx, argv[i], &o);
		if (s > status)
			status = s;
		if (s == RFS_EXIT_INTERRUPTED)
			break;
	}
	rfs_index_free(idx);
	status = finish(&o, status);
	json_decref(o.results);
	rfs_cli_table_release(&tb);
	return status;
}
