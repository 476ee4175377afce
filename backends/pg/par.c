/*
 * Work on a second connection while the first one copies or hashes: a
 * thread runs one statement sequence on its own connection (libpq allows
 * one thread per connection), the caller joins it. When the thread cannot
 * start, the work runs in the caller's thread instead, so a result never
 * depends on it.
 */
#include "backends/pg/par.h"
#include "backends/pg/sql.h"
#include "backends/pg/stamp.h"

#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The hash of the source at the exported snapshot, and its stamp. */
static int par_hash(struct rfs_pg_par *p)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	char *lit;
	int r = rfs_pg_exec(p->c, &p->err,
			    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");

	if (r < 0)
		return r;
	lit = PQescapeLiteral(p->c, p->snap, strlen(p->snap));
	rfs_buf_addf(&sql, "SET TRANSACTION SNAPSHOT %s", lit ? lit : "NULL");
	PQfreemem(lit);
	r = rfs_pg_run(p->c, &sql, NULL, &p->err);
	if (r == 0)
		r = rfs_pg_count_hash(p->c, p->oid, NULL, &p->rows, p->hash,
				      &p->err);
	if (r == 0)
		r = rfs_pg_stamp(p->c, p->oid, p->stamp, &p->err);
	return rfs_pg_end(p->c, r, &p->err);
}

static void *par_main(void *arg)
{
	struct rfs_pg_par *p = arg;

	if (p->snap)
		p->r = par_hash(p);
	else if (p->copy[0])
		p->r = rfs_pg_same(p->c, p->copy, p->it, "the copy of",
				   &p->err);
	if (!p->snap && p->r == 0)
		p->r = rfs_pg_source_same(p->c, p->oid, p->it, &p->err);
	return NULL;
}

static void par_start(struct rfs_pg_par *p)
{
	p->r = 0;
	rfs_error_clear(&p->err);
	p->running = pthread_create(&p->th, NULL, par_main, p) == 0;
	if (!p->running)
		par_main(p);
}

void rfs_pg_par_hash(struct rfs_pg_par *p, PGconn *c, const char *snap,
		     const char *oid)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->snap = snap;
	snprintf(p->oid, sizeof(p->oid), "%s", oid);
	par_start(p);
}

void rfs_pg_par_same(struct rfs_pg_par *p, PGconn *c, const char *oid,
		     const struct rfs_pg_item *it)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->it = it;
	snprintf(p->oid, sizeof(p->oid), "%s", oid);
	par_start(p);
}

void rfs_pg_par_check(struct rfs_pg_par *p, PGconn *c, const char *copy,
		      const char *oid, const struct rfs_pg_item *it)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->it = it;
	snprintf(p->copy, sizeof(p->copy), "%s", copy);
	snprintf(p->oid, sizeof(p->oid), "%s", oid);
	par_start(p);
}

int rfs_pg_par_join(struct rfs_pg_par *p, struct rfs_error *err)
{
	if (p->running)
		pthread_join(p->th, NULL);
	p->running = false;
	if (p->r < 0 && err)
		*err = p->err;
	return p->r;
}
