/*
 * The snapshot of one PostgreSQL table or partition (step 1 of an
 * archive): the refusals before anything changes, the bound, the DDL,
 * and, for rfs_pg_snapshot(), the row count, content hash and stamp, all
 * in one REPEATABLE READ transaction.
 */
#include "backends/pg/steps_priv.h"

#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The relation's parent and bound; refusals before anything changes. */
static int snapshot_checks(PGconn *c, const char *oid, char kind,
			   const char *parent, struct rfs_pg_item *it,
			   struct rfs_error *err)
{
	static const char sql_parent[] =
		"SELECT pn.nspname, p.relname, pg_get_expr(c.relpartbound, "
		"c.oid) FROM pg_class c JOIN pg_inherits h ON h.inhrelid = "
		"c.oid JOIN pg_class p ON p.oid = h.inhparent JOIN "
		"pg_namespace pn ON pn.oid = p.relnamespace WHERE c.oid = "
		"$1::oid AND c.relispartition";
	/* the foreign key as its owner named it: a key referencing a
	 * partitioned table has one clone per partition, named after it */
	static const char sql_fk[] =
		"WITH RECURSIVE up AS (SELECT oid, conname, conparentid, "
		"conrelid FROM pg_constraint WHERE contype = 'f' AND confrelid = "
		"$1::oid UNION ALL SELECT k.oid, k.conname, k.conparentid, "
		"k.conrelid FROM pg_constraint k JOIN up ON k.oid = "
		"up.conparentid) SELECT up.conname, format('%I.%I', n.nspname, "
		"c.relname) FROM up JOIN pg_class c ON c.oid = up.conrelid JOIN "
		"pg_namespace n ON n.oid = c.relnamespace WHERE up.conparentid "
		"= 0 ORDER BY 1 LIMIT 1";
	const char *par[] = { oid };
	PGresult *res;
	int r;

	if (kind == 'p')
		return rfs_error_set(err, EINVAL,
				     "%s.%s is a partitioned table: archive "
				     "its partitions one by one",
				     it->schema, it->name);
	r = rfs_pg_query(c, &res, err, sql_parent, 1, par);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1) {
		it->parent_schema = rfs_pg_dup_or_null(res, 0, 0);
		it->parent = rfs_pg_dup_or_null(res, 0, 1);
		it->bound = rfs_pg_dup_or_null(res, 0, 2);
	}
	PQclear(res);
	if (parent) {
		char *ps, *pt;

		r = rfs_pg_split_path(parent, &ps, &pt, err);
		if (r < 0)
			return r;
		if (!it->parent || !pt || strcmp(ps, it->parent_schema) ||
		    strcmp(pt, it->parent))
			r = rfs_error_set(err, EINVAL,
					  "%s.%s is not a partition of %s",
					  it->schema, it->name, parent);
		free(ps);
		free(pt);
		if (r < 0)
			return r;
	}
	r = rfs_pg_query(c, &res, err, sql_fk, 1, par);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1)
		r = rfs_error_set(
			err, EINVAL,
			"%s.%s is referenced by foreign key \"%s\" of "
			"%s: archive refused",
			it->schema, it->name, PQgetvalue(res, 0, 0),
			PQgetvalue(res, 0, 1));
	PQclear(res);
	return r;
}

/* The snapshot; with @p hash false, without the rows' count, hash and
 * stamp (what a sync takes again in its own snapshot). */
static int snapshot(PGconn *c, const char *schema, const char *name,
		    const char *parent, const char *bin_schema,
		    const char *bin_name, const char *origin, bool hash,
		    struct rfs_pg_item *out, struct rfs_error *err)
{
	struct rfs_pg_item it = { 0 };
	char oid[16], kind;
	int r;

	if (!bin_name)
		bin_name = name;
	if (strlen(bin_name) > 63)
		return rfs_error_set(err, ENAMETOOLONG,
				     "recycle name '%s' is longer than 63 "
				     "bytes",
				     bin_name);
	it.schema = strdup(schema);
	it.name = strdup(name);
	it.bin_schema = strdup(bin_schema ? bin_schema : "recyclebin");
	it.bin_name = strdup(bin_name);
	it.origin = origin ? strdup(origin) : NULL;
	if (!it.schema || !it.name || !it.bin_schema || !it.bin_name ||
	    (origin && !it.origin)) {
		r = -ENOMEM;
		goto fail;
	}
	/* one snapshot for every read below */
	r = rfs_pg_exec(c, err,
			"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (r < 0)
		goto fail;
	r = rfs_pg_lookup(c, schema, name, oid, &kind, err);
	if (r == -ENOENT)
		r = rfs_error_set(err, ENOENT, "no table %s.%s", schema, name);
	if (r == 0)
		r = snapshot_checks(c, oid, kind, parent, &it, err);
	if (r == 0)
		r = rfs_pg_ddl(c, oid, &it.ddl, err);
	if (r == 0 && hash)
		r = rfs_pg_count_hash(c, oid, NULL, &it.rows, it.hash, err);
	if (r == 0 && hash) /* after the scan: under its lock */
		r = rfs_pg_stamp(c, oid, it.stamp, err);
	r = rfs_pg_end(c, r, err);
	if (r < 0)
		goto fail;
	*out = it;
	return 0;
fail:
	rfs_pg_item_release(&it);
	return r;
}

int rfs_pg_snapshot(PGconn *c, const char *schema, const char *name,
		    const char *parent, const char *bin_schema,
		    const char *bin_name, const char *origin,
		    struct rfs_pg_item *out, struct rfs_error *err)
{
	return snapshot(c, schema, name, parent, bin_schema, bin_name, origin,
			true, out, err);
}

int rfs_pg_precheck(PGconn *c, const char *schema, const char *name,
		    const char *parent, const char *bin_schema,
		    const char *bin_name, const char *origin,
		    struct rfs_pg_item *out, struct rfs_error *err)
{
	return snapshot(c, schema, name, parent, bin_schema, bin_name, origin,
			false, out, err);
}
