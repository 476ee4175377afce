#include "tests/support/kill_sweep.h"

#include "util/sha256.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One line of a checksums file. */
struct sum {
	char hex[RFS_SHA256_HEX];
	char *path; /* relative, without "./" */
};

struct sums {
	struct sum *v;
	size_t n;
};

static int hash_file(const char *path, char out[RFS_SHA256_HEX])
{
	char buf[65536];
	struct rfs_sha256 h;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	rfs_sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		rfs_sha256_update(&h, buf, (size_t)n);
	close(fd);
	return n < 0 ? -EIO : rfs_sha256_final(&h, out);
}

static void sums_read(struct sums *s, const char *path)
{
	char line[4096];
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "no checksums file %s", path);
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		char *p = line + RFS_SHA256_HEX - 1;
		struct sum *e;

		line[strcspn(line, "\n")] = '\0';
		cr_assert(strlen(line) > RFS_SHA256_HEX + 1 && p[0] == ' ',
			  "%s: not a sha256sum line: %s", path, line);
		p += 2; /* "  " or " *" */
		if (!strncmp(p, "./", 2))
			p += 2;
		s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
		cr_assert_not_null(s->v);
		e = &s->v[s->n++];
		memcpy(e->hex, line, RFS_SHA256_HEX - 1);
		e->hex[RFS_SHA256_HEX - 1] = '\0';
		e->path = strdup(p);
	}
	fclose(f);
	cr_assert_gt(s->n, 0, "%s lists no file", path);
}

static void sums_release(struct sums *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
}

static const struct sum *sums_find(const struct sums *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].path, path))
			return &s->v[i];
	return NULL;
}

/* The walk of a folder (nftw takes no context). */
static struct {
	const struct sums *sums;
	size_t root_len;
	bool complete;
	const char *when;
} walk;

static int walk_one(const char *fpath, const struct stat *st, int type,
		    struct FTW *ftw)
{
	const char *rel = fpath + walk.root_len + 1;
	const char *base = fpath + ftw->base;
	const struct sum *e;
	char have[RFS_SHA256_HEX];

	(void)st;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (!strncmp(base, ".rfs-tmp.", 9)) {
		cr_assert(!walk.complete, "%s: temporary %s left", walk.when,
			  rel);
		return 0;
	}
	e = sums_find(walk.sums, rel);
	cr_assert_not_null(e, "%s: foreign file %s", walk.when, rel);
	cr_assert_eq(hash_file(fpath, have), 0, "%s: cannot read %s", walk.when,
		     rel);
	cr_assert_str_eq(have, e->hex, "%s: %s is partial or corrupt",
			 walk.when, rel);
	return 0;
}

void rfs_test_sums_check(struct rfs_test_mount *m, const char *sums,
			 const char *at, const char *from, bool complete,
			 const char *when)
{
	char path[4096], root[4096], have[RFS_SHA256_HEX];
	struct sums s;

	snprintf(path, sizeof(path), "%s/%s", m->dir, sums);
	sums_read(&s, path);
	snprintf(root, sizeof(root), "%s/%s", m->dir, at);
	walk.sums = &s;
	walk.root_len = strlen(root);
	walk.complete = complete;
	walk.when = when;
	if (access(root, F_OK) == 0)
		cr_assert_eq(nftw(root, walk_one, 16, FTW_PHYS), 0,
			     "%s: cannot walk %s", when, root);
	for (size_t i = 0; i < s.n; i++) {
		const struct sum *e = &s.v[i];
		bool found = false;

		snprintf(path, sizeof(path), "%s/%s", root, e->path);
		if (hash_file(path, have) == 0)
			found = true; /* its bytes checked by the walk */
		if (from && !complete) {
			snprintf(path, sizeof(path), "%s/%s/%s", m->dir, from,
				 e->path);
			if (hash_file(path, have) == 0) {
				cr_assert_str_eq(have, e->hex,
						 "%s: source %s changed", when,
						 e->path);
				found = true;
			}
		}
		cr_assert(found || (!complete && !from), "%s: %s is %s", when,
			  e->path, complete ? "not at its place" : "lost");
	}
	sums_release(&s);
}

/* Run the command killed at call @p n. @return true when the kill came */
static bool killed_at(const struct rfs_test_kill_sweep *s, long n,
		      const char *when)
{
	struct rfs_test_out o = { 0 };
	int r;

	r = rfs_test_sh(s->m, &o,
			"RECYCLEFS_TEST_KILL_AFTER=%ld; "
			"export RECYCLEFS_TEST_KILL_AFTER; %s",
			n, s->command);
	cr_assert(r == 0 || r == 128 + SIGKILL, "%s: status %d: %s%s", when, r,
		  o.out, o.err);
	rfs_test_out_release(&o);
	return r != 0;
}

static void check_end(const struct rfs_test_kill_sweep *s, const char *when)
{
	if (s->sums)
		rfs_test_sums_check(s->m, s->sums, s->sums_at, NULL, true,
				    when);
	if (s->done)
		s->done(s->ctx, when);
}

int rfs_test_kill_sweep_run(const struct rfs_test_kill_sweep *s)
{
	long max = s->max_calls ? s->max_calls : 5000;
	long step = s->step > 0 ? s->step : 1;
	char when[160];
	int points = 0;
	long n;

	RFS_TEST_NEEDS_HOOKS();
	cr_assert(s->m && s->command && s->reset && s->what);
	for (n = 1; n < max; n += n < s->dense ? 1 : step) {
		s->reset(s->ctx, s->what);
		snprintf(when, sizeof(when), "%s killed at call %ld", s->what,
			 n);
		if (!killed_at(s, n, when))
			break; /* it needs fewer calls: every point done */
		points++;
		if (s->sums)
			rfs_test_sums_check(s->m, s->sums, s->sums_at,
					    s->sums_from, false, when);
		if (s->killed)
			s->killed(s->ctx, when);
		if (s->rerun) {
			struct rfs_test_out o = { 0 };
			int r = rfs_test_sh(s->m, &o, "%s", s->rerun);

			cr_assert_eq(r, 0, "%s: the rerun failed (%d): %s%s",
				     when, r, o.out, o.err);
			rfs_test_out_release(&o);
			check_end(s, when);
		}
	}
	cr_assert_lt(n, max, "%s: still killed at call %ld", s->what, max);
	snprintf(when, sizeof(when), "%s, the run that completed", s->what);
	check_end(s, when);
	cr_expect_geq(points, s->min_points, "%s: only %d kill points", s->what,
		      points);
	cr_log_info("%s: %d kill points", s->what, points);
	return points;
}
