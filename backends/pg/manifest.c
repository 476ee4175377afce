/*
 * The manifest table of a PostgreSQL recycle location: made when missing,
 * its rows added, read (into an item) and moved along the archive's
 * states. Each step of steps.c and copy_stream.c reads the state here
 * before it acts, so a rerun knows how far the archive went.
 */
#include "backends/pg/steps_priv.h"

#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rfs_pg_item_release(struct rfs_pg_item *it)
{
	free(it->schema);
	free(it->name);
	free(it->parent_schema);
	free(it->parent);
	free(it->bound);
	free(it->ddl);
	free(it->bin_schema);
	free(it->bin_name);
	free(it->origin);
	free(it->state);
	memset(it, 0, sizeof(*it));
}

static const char manifest_cols[] =
	"origin_schema, origin_name, parent_schema, parent_name, bound, ddl, "
	"rows, hash, origin, state, stamp";

int rfs_pg_item_load(PGconn *c, const char *bin_schema, const char *bin_name,
		     struct rfs_pg_item *out, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	struct rfs_pg_item it = { 0 };
	PGresult *res;
	int r;

	/* a manifest table made before the stamp column has none */
	rfs_buf_addstr(&sql,
		       "SELECT origin_schema, origin_name, "
		       "parent_schema, parent_name, bound, ddl, rows, "
		       "hash, origin, state, to_jsonb(m)->>'stamp' FROM ");
	rfs_pg_add_qname(&sql, bin_schema, "rfs_manifest");
	rfs_buf_addstr(&sql, " m WHERE bin_name = $1");
	if (!sql.data)
		return -ENOMEM;
	{
		const char *p[] = { bin_name };

		r = rfs_pg_query(c, &res, err, rfs_buf_str(&sql), 1, p);
	}
	rfs_buf_release(&sql);
	if (r == -ENOENT || (r == 0 && PQntuples(res) != 1)) {
		if (r == 0)
			PQclear(res);
		return rfs_error_set(err, ENOENT, "no recycle copy %s.%s",
				     bin_schema, bin_name);
	}
	if (r < 0)
		return r;
	it.schema = rfs_pg_dup_or_null(res, 0, 0);
	it.name = rfs_pg_dup_or_null(res, 0, 1);
	it.parent_schema = rfs_pg_dup_or_null(res, 0, 2);
	it.parent = rfs_pg_dup_or_null(res, 0, 3);
	it.bound = rfs_pg_dup_or_null(res, 0, 4);
	it.ddl = rfs_pg_dup_or_null(res, 0, 5);
	it.rows = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
	snprintf(it.hash, sizeof(it.hash), "%s", PQgetvalue(res, 0, 7));
	it.origin = rfs_pg_dup_or_null(res, 0, 8);
	it.state = rfs_pg_dup_or_null(res, 0, 9);
	snprintf(it.stamp, sizeof(it.stamp), "%s", PQgetvalue(res, 0, 10));
	it.bin_schema = strdup(bin_schema);
	it.bin_name = strdup(bin_name);
	PQclear(res);
	if (!it.schema || !it.name || !it.ddl || !it.state || !it.bin_schema ||
	    !it.bin_name) {
		rfs_pg_item_release(&it);
		return -ENOMEM;
	}
	*out = it;
	return 0;
}

int rfs_pg_read_state(PGconn *c, struct rfs_pg_item *it, bool lock,
		      struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	const char *p[] = { it->bin_name };
	PGresult *res;
	int r;

	c = it->mc ? it->mc : c; /* the manifest's connection */
	rfs_buf_addstr(&sql, "SELECT state, origin_schema, origin_name, hash "
			     "FROM ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addstr(&sql, lock ? " WHERE bin_name = $1 FOR UPDATE"
				  : " WHERE bin_name = $1");
	if (!sql.data)
		return -ENOMEM;
	r = rfs_pg_query(c, &res, err, rfs_buf_str(&sql), 1, p);
	rfs_buf_release(&sql);
	free(it->state);
	it->state = NULL;
	if (r == -ENOENT) /* no manifest table yet */
		return 0;
	if (r < 0)
		return r;
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 1), it->schema) ||
		    strcmp(PQgetvalue(res, 0, 2), it->name) ||
		    (it->hash[0] && strcmp(PQgetvalue(res, 0, 3), it->hash)))
			r = rfs_error_set(err, EEXIST,
					  "recycle copy %s.%s already holds "
					  "another archive (of %s.%s)",
					  it->bin_schema, it->bin_name,
					  PQgetvalue(res, 0, 1),
					  PQgetvalue(res, 0, 2));
		else if (!(it->state = strdup(PQgetvalue(res, 0, 0))))
			r = -ENOMEM;
	}
	PQclear(res);
	return r;
}

int rfs_pg_set_state(PGconn *c, struct rfs_pg_item *it, const char *state,
		     struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	const char *p[] = { state, it->bin_name };
	int r;

	c = it->mc ? it->mc : c; /* the manifest's connection */
	rfs_buf_addstr(&sql, "UPDATE ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addf(&sql, " SET state = $1%s WHERE bin_name = $2",
		     strcmp(state, "archived") ? "" : ", archived_at = now()");
	if (!sql.data)
		return -ENOMEM;
	r = rfs_pg_query(c, NULL, err, rfs_buf_str(&sql), 2, p);
	rfs_buf_release(&sql);
	if (r == 0) {
		free(it->state);
		it->state = strdup(state);
		r = it->state ? 0 : -ENOMEM;
	}
	return r;
}

int rfs_pg_state_rank(const char *s)
{
	static const char *const order[] = { "copied", "verified",
					     "unpublished", "deleted",
					     "archived" };

	for (int i = 0; s && i < 5; i++)
		if (!strcmp(s, order[i]))
			return i + 1;
	return 0;
}

int rfs_pg_ensure_bin(PGconn *c, const struct rfs_pg_item *it,
		      struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	PGresult *res;
	bool has;
	int r;

	rfs_buf_addstr(&sql, "CREATE SCHEMA IF NOT EXISTS ");
	rfs_pg_add_ident(&sql, it->bin_schema);
	rfs_buf_addstr(&sql, "; CREATE TABLE IF NOT EXISTS ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addstr(
		&sql,
		" (bin_name text PRIMARY KEY, origin_schema text NOT NULL, "
		"origin_name text NOT NULL, parent_schema text, parent_name "
		"text, bound text, ddl text NOT NULL, rows bigint NOT NULL, "
		"hash text NOT NULL, origin text, state text NOT NULL, "
		"copied_at timestamptz NOT NULL DEFAULT now(), archived_at "
		"timestamptz, stamp text)");
	r = rfs_pg_run(c, &sql, NULL, err);
	if (r < 0)
		return r;
	/* a manifest table made before the stamp column: add it (only
	 * then: ALTER TABLE locks the table) */
	rfs_buf_addstr(&sql, "SELECT 1 FROM pg_attribute WHERE attrelid = '");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addstr(&sql, "'::regclass AND attname = 'stamp'");
	r = rfs_pg_run(c, &sql, &res, err);
	if (r < 0)
		return r;
	has = PQntuples(res) == 1;
	PQclear(res);
	if (has)
		return 0;
	rfs_buf_addstr(&sql, "ALTER TABLE ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addstr(&sql, " ADD COLUMN IF NOT EXISTS stamp text");
	return rfs_pg_run(c, &sql, NULL, err);
}

int rfs_pg_manifest_add(PGconn *c, struct rfs_pg_item *it,
			struct rfs_error *err)
{
	return rfs_pg_manifest_add_as(c, it, "copied", err);
}

int rfs_pg_manifest_add_as(PGconn *c, struct rfs_pg_item *it, const char *state,
			   struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	const char *p[] = { it->bin_name,
			    it->schema,
			    it->name,
			    it->parent_schema,
			    it->parent,
			    it->bound,
			    it->ddl,
			    NULL,
			    it->hash,
			    it->origin,
			    it->stamp[0] ? it->stamp : NULL,
			    state };
	char rows[24];
	int r;

	snprintf(rows, sizeof(rows), "%lld", (long long)it->rows);
	p[7] = rows;
	rfs_buf_addstr(&sql, "INSERT INTO ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addf(&sql,
		     " (bin_name, %s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
		     "$9, $10, $12, $11)",
		     manifest_cols);
	r = sql.data ? rfs_pg_query(c, NULL, err, rfs_buf_str(&sql), 12, p)
		     : -ENOMEM;
	rfs_buf_release(&sql);
	return r;
}
