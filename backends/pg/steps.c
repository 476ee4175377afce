/*
 * The archive steps of one PostgreSQL table or partition after its sync
 * (sync.c): verify, unpublish (DETACH), delete (DROP), manifest, and the
 * abort of an archive that dropped nothing. Each step reads the state the
 * manifest table and the catalogs show, so running it again is safe.
 */
#include "backends/pg/steps_priv.h"

#include "util/uri.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rfs_pg_connect(const char *uri, PGconn **out, struct rfs_error *err)
{
	struct rfs_pg_target t;
	struct rfs_uri u;
	int r = rfs_uri_parse(uri, &u, err);

	if (r < 0)
		return r;
	r = rfs_pg_target_parse(&u, uri, &t, err);
	rfs_uri_release(&u);
	if (r < 0)
		return r;
	r = rfs_pg_target_connect(&t, out, err);
	rfs_pg_target_release(&t);
	return r;
}

/* The source's oid; -ENOENT when it is gone. */
static int source_oid(PGconn *c, const struct rfs_pg_item *it, char oid[16],
		      struct rfs_error *err)
{
	char kind;

	return rfs_pg_lookup(c, it->schema, it->name, oid, &kind, err);
}

int rfs_pg_verify(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	return rfs_pg_verify2(c, NULL, it, err);
}

int rfs_pg_verify2(PGconn *c, PGconn *c2, struct rfs_pg_item *it,
		   struct rfs_error *err)
{
	struct rfs_pg_par par = { 0 };
	char oid[16], soid[16], kind;
	int r = rfs_pg_read_state(c, it, false, err);

	if (r < 0)
		return r;
	if (rfs_pg_state_rank(it->state) < 1)
		return rfs_error_set(err, EINVAL, "%s.%s is not copied yet",
				     it->schema, it->name);
	if (rfs_pg_state_rank(it->state) >= 2)
		return 0;
	r = rfs_pg_lookup(it->mc ? it->mc : c, it->bin_schema, it->bin_name,
			  oid, &kind, err);
	if (r == -ENOENT)
		r = rfs_error_set(err, ENOENT, "recycle copy %s.%s is missing",
				  it->bin_schema, it->bin_name);
	if (r == 0) {
		r = source_oid(c, it, soid, err);
		if (r == -ENOENT)
			r = rfs_error_set(err, ENOENT, "table %s.%s is gone",
					  it->schema, it->name);
	}
	/* the copy hashed on c, the source checked on c2 meanwhile */
	if (r == 0 && c2)
		rfs_pg_par_same(&par, c2, soid, it);
	if (r == 0)
		r = rfs_pg_same(it->mc ? it->mc : c, oid, it, "the copy of",
				err);
	if (par.c) {
		int r2 = rfs_pg_par_join(&par, r < 0 ? NULL : err);

		r = r < 0 ? r : r2;
	} else if (r == 0) {
		r = rfs_pg_source_same(c, soid, it, err);
	}
	return r < 0 ? r : rfs_pg_set_state(c, it, "verified", err);
}

/* Whether the source is attached to its parent, or pending detach. */
static int attachment(PGconn *c, const char *oid, bool *attached, bool *pending,
		      struct rfs_error *err)
{
	const char *p[] = { oid };
	PGresult *res;
	int r = rfs_pg_query(c, &res, err,
			     "SELECT h.inhdetachpending FROM pg_inherits h "
			     "JOIN pg_class c ON c.oid = h.inhrelid WHERE "
			     "h.inhrelid = $1::oid AND c.relispartition",
			     1, p);

	if (r < 0)
		return r;
	*attached = PQntuples(res) == 1;
	*pending = *attached && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return 0;
}

static int has_default(PGconn *c, const struct rfs_pg_item *it, bool *yes,
		       struct rfs_error *err)
{
	const char *p[] = { it->parent_schema, it->parent };
	PGresult *res;
	int r = rfs_pg_query(
		c, &res, err,
		"SELECT pt.partdefid <> 0 FROM pg_partitioned_table pt JOIN "
		"pg_class c ON c.oid = pt.partrelid JOIN pg_namespace n ON "
		"n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
		2, p);

	if (r < 0)
		return r;
	*yes = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return 0;
}

static int detach_sql(const struct rfs_pg_item *it, const char *how,
		      struct rfs_buf *sql)
{
	rfs_buf_addstr(sql, "ALTER TABLE ");
	rfs_pg_add_qname(sql, it->parent_schema, it->parent);
	rfs_buf_addstr(sql, " DETACH PARTITION ");
	rfs_pg_add_qname(sql, it->schema, it->name);
	return rfs_buf_addstr(sql, how);
}

int rfs_pg_unpublish(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	bool attached = false, pending = false, def = false;
	char oid[16];
	int r = rfs_pg_read_state(c, it, false, err);

	if (r < 0)
		return r;
	if (rfs_pg_state_rank(it->state) >= 3)
		return 0;
	if (rfs_pg_state_rank(it->state) < 2)
		return rfs_error_set(err, EINVAL, "%s.%s is not verified yet",
				     it->schema, it->name);
	if (!it->parent)
		return rfs_pg_set_state(c, it, "unpublished", err);
	r = source_oid(c, it, oid, err);
	if (r == 0)
		r = attachment(c, oid, &attached, &pending, err);
	if (r == 0)
		r = has_default(c, it, &def, err);
	if (r < 0)
		return r;
	if (pending) {
		/* an interrupted DETACH ... CONCURRENTLY */
		detach_sql(it, " FINALIZE", &sql);
		r = rfs_pg_run(c, &sql, NULL, err);
	} else if (attached && def) {
		/* CONCURRENTLY is not allowed with a default partition */
		r = rfs_pg_exec(c, err, "BEGIN");
		if (r < 0)
			return r;
		rfs_buf_addstr(&sql, "LOCK TABLE ");
		rfs_pg_add_qname(&sql, it->schema, it->name);
		rfs_buf_addstr(&sql, " IN SHARE MODE");
		r = rfs_pg_run(c, &sql, NULL, err);
		if (r == 0)
			r = rfs_pg_source_same(c, oid, it, err);
		if (r == 0) {
			detach_sql(it, "", &sql);
			r = rfs_pg_run(c, &sql, NULL, err);
		}
		r = rfs_pg_end(c, r, err);
	} else if (attached) {
		r = rfs_pg_source_same(c, oid, it, err);
		if (r == 0) {
			detach_sql(it, " CONCURRENTLY", &sql);
			r = rfs_pg_run(c, &sql, NULL, err);
		}
	}
	return r < 0 ? r : rfs_pg_set_state(c, it, "unpublished", err);
}

/* ALTER TABLE parent ATTACH PARTITION schema.name <bound>. */
int rfs_pg_attach(PGconn *c, const char *parent_schema, const char *parent,
		  const char *schema, const char *name, const char *bound,
		  struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;

	rfs_buf_addstr(&sql, "ALTER TABLE ");
	rfs_pg_add_qname(&sql, parent_schema, parent);
	rfs_buf_addstr(&sql, " ATTACH PARTITION ");
	rfs_pg_add_qname(&sql, schema, name);
	rfs_buf_addf(&sql, " %s", bound);
	return rfs_pg_run(c, &sql, NULL, err);
}

int rfs_pg_delete(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	bool attached, pending;
	char oid[16];
	int r = rfs_pg_read_state(c, it, false, err);

	if (r < 0)
		return r;
	if (rfs_pg_state_rank(it->state) >= 4)
		return 0;
	if (rfs_pg_state_rank(it->state) < 3)
		return rfs_error_set(err, EINVAL,
				     "%s.%s is not unpublished yet", it->schema,
				     it->name);
	r = rfs_pg_exec(c, err, "BEGIN");
	if (r < 0)
		return r;
	r = source_oid(c, it, oid, err);
	if (r == -ENOENT && it->mc) /* dropped: only the state was lost */
		return rfs_pg_end(c, rfs_pg_set_state(c, it, "deleted", err),
				  err);
	if (r == -ENOENT) /* dropped by a run whose state update was lost */
		r = rfs_pg_set_state(c, it, "deleted", err);
	else if (r == 0) {
		rfs_buf_addstr(&sql, "LOCK TABLE ");
		rfs_pg_add_qname(&sql, it->schema, it->name);
		rfs_buf_addstr(&sql, " IN ACCESS EXCLUSIVE MODE");
		r = rfs_pg_run(c, &sql, NULL, err);
		if (r == 0)
			r = attachment(c, oid, &attached, &pending, err);
		if (r == 0 && attached)
			r = rfs_error_set(err, EBUSY,
					  "%s.%s is still attached: not "
					  "dropped",
					  it->schema, it->name);
		if (r == 0)
			r = rfs_pg_source_same(c, oid, it, err);
		if (r == -ESTALE) {
			/* changed after the detach: publish it again */
			struct rfs_error why = *err;

			r = 0;
			if (it->parent)
				r = rfs_pg_attach(c, it->parent_schema,
						  it->parent, it->schema,
						  it->name, it->bound, err);
			if (r == 0)
				r = rfs_pg_set_state(c, it, "verified", err);
			if (r == 0)
				r = rfs_pg_exec(c, err, "COMMIT");
			if (r < 0)
				return rfs_pg_end(c, r, err);
			*err = why;
			rfs_error_prefix(err, "not dropped, attached again");
			return -ESTALE;
		}
		if (r == 0) {
			rfs_buf_addstr(&sql, "DROP TABLE ");
			rfs_pg_add_qname(&sql, it->schema, it->name);
			r = rfs_pg_run(c, &sql, NULL, err);
		}
		if (r == 0 && !it->mc)
			r = rfs_pg_set_state(c, it, "deleted", err);
	}
	r = rfs_pg_end(c, r, err);
	/* a manifest in another database: marked once the drop committed
	 * (cut between the two, the next run finds the source gone) */
	return r == 0 && it->mc ? rfs_pg_set_state(c, it, "deleted", err) : r;
}

int rfs_pg_manifest(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	int r = rfs_pg_read_state(c, it, false, err);

	if (r < 0)
		return r;
	if (rfs_pg_state_rank(it->state) >= 5)
		return 0;
	if (rfs_pg_state_rank(it->state) < 4)
		return rfs_error_set(err, EINVAL, "%s.%s is not deleted yet",
				     it->schema, it->name);
	return rfs_pg_set_state(c, it, "archived", err);
}

int rfs_pg_abort(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	bool attached = true, pending = false;
	char oid[16];
	int r = rfs_pg_read_state(c, it, false, err);

	if (r < 0)
		return r;
	if (rfs_pg_state_rank(it->state) >= 4)
		return rfs_error_set(err, EBUSY,
				     "%s.%s is deleted: its recycle copy is "
				     "the data now",
				     it->schema, it->name);
	r = source_oid(c, it, oid, err);
	if (r == 0)
		r = attachment(c, oid, &attached, &pending, err);
	if (r < 0)
		return r;
	if (pending) {
		detach_sql(it, " FINALIZE", &sql);
		r = rfs_pg_run(c, &sql, NULL, err);
		attached = false;
	}
	if (r == 0 && !attached && it->parent)
		r = rfs_pg_attach(c, it->parent_schema, it->parent, it->schema,
				  it->name, it->bound, err);
	if (r < 0 || !it->state)
		return r;
	c = it->mc ? it->mc : c; /* the copy and manifest's connection */
	r = rfs_pg_exec(c, err, "BEGIN");
	if (r < 0)
		return r;
	rfs_buf_addstr(&sql, "DROP TABLE IF EXISTS ");
	rfs_pg_add_bin(&sql, it);
	rfs_buf_addstr(&sql, "; DELETE FROM ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addstr(&sql, " WHERE bin_name = ");
	{
		char *lit =
			PQescapeLiteral(c, it->bin_name, strlen(it->bin_name));

		rfs_buf_addstr(&sql, lit ? lit : "NULL");
		PQfreemem(lit);
	}
	r = rfs_pg_run(c, &sql, NULL, err);
	return rfs_pg_end(c, r, err);
}
