/*
 * A recycle copy in another database: the copy's table made from the
 * source's columns, the rows streamed from COPY ... TO STDOUT on one
 * connection into COPY ... FROM STDIN on the other (libpq's
 * PQgetCopyData() and PQputCopyData()), in the text format, so the rows
 * read back as the same text and hash to the same value on both sides.
 */
#include "backends/pg/copy_stream.h"
#include "backends/pg/copy_pump.h"
#include "backends/pg/steps_priv.h"

#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The column definitions of @p oid (name, type, NOT NULL, then its
 * primary key) into @p def, the quoted names into @p cols. */
static int table_def(PGconn *c, const char *oid, struct rfs_buf *def,
		     struct rfs_buf *cols, struct rfs_error *err)
{
	static const char sql[] =
		"SELECT string_agg(format('%I %s%s', attname, "
		"format_type(atttypid, atttypmod), CASE WHEN attnotnull THEN "
		"' NOT NULL' ELSE '' END), ', ' ORDER BY attnum), "
		"string_agg(quote_ident(attname), ', ' ORDER BY attnum), (SELECT "
		"pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE "
		"k.conrelid = $1::oid AND k.contype = 'p') FROM pg_attribute "
		"WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped";
	const char *p[] = { oid };
	PGresult *res;
	int r = rfs_pg_query(c, &res, err, sql, 1, p);

	if (r < 0)
		return r;
	rfs_buf_addstr(def, PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 2))
		rfs_buf_addf(def, ", %s", PQgetvalue(res, 0, 2));
	rfs_buf_addstr(cols, PQgetvalue(res, 0, 1));
	PQclear(res);
	return def->data && cols->data ? 0 : -ENOMEM;
}

/* CREATE TABLE @p dst (columns of @p oid on @p c) on @p to, then the rows
 * of @p src on @p c streamed into it. Both names quoted. */
static int copy_across(PGconn *c, const char *oid, struct rfs_buf *src,
		       PGconn *to, struct rfs_buf *dst, struct rfs_error *err)
{
	struct rfs_buf def = RFS_BUF_INIT, cols = RFS_BUF_INIT,
		       sql = RFS_BUF_INIT, out = RFS_BUF_INIT;
	int r = table_def(c, oid, &def, &cols, err);

	if (r == 0) {
		rfs_buf_addf(&sql, "CREATE TABLE %s (%s)", rfs_buf_str(dst),
			     rfs_buf_str(&def));
		r = rfs_pg_run(to, &sql, NULL, err);
	}
	if (r == 0) {
		rfs_buf_addf(&out, "COPY (SELECT %s FROM ONLY %s) TO STDOUT",
			     rfs_buf_str(&cols), rfs_buf_str(src));
		rfs_buf_addf(&sql, "COPY %s (%s) FROM STDIN", rfs_buf_str(dst),
			     rfs_buf_str(&cols));
		r = out.data && sql.data
			    ? rfs_pg_copy_pump(c, rfs_buf_str(&out), to,
					       rfs_buf_str(&sql), err)
			    : -ENOMEM;
	}
	rfs_buf_release(&def);
	rfs_buf_release(&cols);
	rfs_buf_release(&sql);
	rfs_buf_release(&out);
	return r;
}

int rfs_pg_sync_stream(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	PGconn *m = it->mc;
	char oid[16], kind;
	int r = rfs_pg_ensure_bin(m, it, err);

	if (r < 0)
		return r;
	r = rfs_pg_exec(m, err, "BEGIN");
	if (r < 0)
		return r;
	r = rfs_pg_read_state(m, it, true, err);
	if (r < 0 || it->state)
		return rfs_pg_end(m, r, err); /* copied already */
	/* the source hashed and streamed in one snapshot: the copy holds
	 * the rows the hash was taken of */
	r = rfs_pg_exec(c, err, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (r < 0)
		return rfs_pg_end(m, r, err);
	r = rfs_pg_lookup(c, it->schema, it->name, oid, &kind, err);
	if (r == -ENOENT)
		r = rfs_error_set(err, ENOENT, "no table %s.%s", it->schema,
				  it->name);
	if (r == 0 && !it->hash[0])
		r = rfs_pg_source_hash(c, oid, it, err);
	rfs_pg_add_qname(&src, it->schema, it->name);
	rfs_pg_add_bin(&dst, it);
	if (r == 0 && (!src.data || !dst.data))
		r = -ENOMEM;
	if (r == 0)
		r = copy_across(c, oid, &src, m, &dst, err);
	if (r == -EEXIST)
		r = rfs_error_set(err, EEXIST,
				  "recycle copy %s.%s exists and is not in "
				  "the manifest: refused",
				  it->bin_schema, it->bin_name);
	if (r == 0)
		r = rfs_pg_manifest_add(m, it, err);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	r = rfs_pg_end(m, r, err);
	PQclear(PQexec(c, "ROLLBACK")); /* the source's side only read */
	if (r == 0) {
		free(it->state);
		it->state = strdup("copied");
		r = it->state ? 0 : -ENOMEM;
	}
	return r;
}

/* The CHECK constraints of parent @p pschema.@p parent added to the new
 * table @p dst, as ATTACH PARTITION requires. */
static int add_checks(PGconn *c, const char *pschema, const char *parent,
		      struct rfs_buf *dst, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	const char *p[] = { pschema, parent };
	PGresult *res = NULL;
	int r = rfs_pg_query(
		c, &res, err,
		"SELECT format('ADD CONSTRAINT %I %s', k.conname, "
		"pg_get_constraintdef(k.oid)) FROM pg_constraint k JOIN "
		"pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid "
		"= c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND "
		"k.contype = 'c' ORDER BY k.conname",
		2, p);

	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		rfs_buf_addf(&sql, "ALTER TABLE %s %s", rfs_buf_str(dst),
			     PQgetvalue(res, i, 0));
		r = rfs_pg_run(c, &sql, NULL, err);
	}
	PQclear(res);
	return r;
}

int rfs_pg_restore_stream(PGconn *c, const struct rfs_pg_item *it,
			  const char *schema, const char *name,
			  const char *pschema, const char *parent,
			  struct rfs_error *err)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	char oid[16], kind;
	int r = rfs_pg_lookup(it->mc, it->bin_schema, it->bin_name, oid, &kind,
			      err);

	if (r == -ENOENT)
		return rfs_error_set(err, ENOENT,
				     "recycle copy %s.%s is missing",
				     it->bin_schema, it->bin_name);
	rfs_pg_add_bin(&src, it);
	rfs_pg_add_qname(&dst, schema, name);
	if (r == 0 && (!src.data || !dst.data))
		r = -ENOMEM;
	if (r == 0)
		r = copy_across(it->mc, oid, &src, c, &dst, err);
	if (r == 0 && parent)
		r = add_checks(c, pschema, parent, &dst, err);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	return r;
}

int rfs_pg_column_arrays(PGconn *c, const char *oid, char **names, char **types,
			 struct rfs_error *err)
{
	const char *p[] = { oid };
	PGresult *res;
	int r = rfs_pg_query(
		c, &res, err,
		"SELECT array_agg(attname::text ORDER BY attnum), "
		"array_agg(format_type(atttypid, atttypmod) ORDER BY attnum) "
		"FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND "
		"NOT attisdropped",
		1, p);

	if (r < 0)
		return r;
	*names = strdup(PQgetvalue(res, 0, 0));
	*types = strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (*names && *types)
		return 0;
	free(*names);
	free(*types);
	*names = *types = NULL;
	return -ENOMEM;
}
