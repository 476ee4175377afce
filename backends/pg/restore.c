/*
 * Restore of a PostgreSQL recycle copy: check before any row moves, copy
 * back, verify, attach with the saved bound; and purge.
 */
#include "backends/pg/steps_priv.h"
#include "backends/pg/copy_stream.h"

#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* The target with the item's origin filled in. */
struct where {
	const char *schema, *name, *pschema, *parent;
};

static void resolve(const struct rfs_pg_item *it,
		    const struct rfs_pg_target_table *to, struct where *w)
{
	w->schema = to && to->schema ? to->schema : it->schema;
	w->name = to && to->name ? to->name : it->name;
	if (to && to->no_parent) {
		w->pschema = w->parent = NULL;
	} else if (to && to->parent) {
		w->pschema = to->parent_schema ? to->parent_schema : w->schema;
		w->parent = to->parent;
	} else {
		w->pschema = it->parent_schema;
		w->parent = it->parent;
	}
}

/* The first column that differs between relations @p a (the copy, on
 * @p m when it is another database) and @p b (on @p c). */
static int same_columns(PGconn *c, PGconn *m, const char *a, const char *b,
			const struct where *w, struct rfs_error *err)
{
	static const char sql[] =
		"WITH a AS (SELECT attname, format_type(atttypid, atttypmod) t "
		"FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND "
		"NOT attisdropped), b AS (SELECT attname, format_type(atttypid, "
		"atttypmod) t FROM pg_attribute WHERE attrelid = $2::oid AND "
		"attnum > 0 AND NOT attisdropped) SELECT coalesce(a.attname, "
		"b.attname), coalesce(a.t, 'no such column'), coalesce(b.t, "
		"'no such column') FROM a FULL JOIN b ON a.attname = b.attname "
		"WHERE a.t IS DISTINCT FROM b.t ORDER BY 1 LIMIT 1";
	static const char sql_across[] =
		"WITH a AS (SELECT * FROM unnest($1::text[], $3::text[]) AS "
		"a(attname, t)), b AS (SELECT attname::text, "
		"format_type(atttypid, atttypmod) t FROM pg_attribute WHERE "
		"attrelid = $2::oid AND attnum > 0 AND NOT attisdropped) SELECT "
		"coalesce(a.attname, b.attname), coalesce(a.t, 'no such "
		"column'), coalesce(b.t, 'no such column') FROM a FULL JOIN b "
		"ON a.attname = b.attname WHERE a.t IS DISTINCT FROM b.t ORDER "
		"BY 1 LIMIT 1";
	char *names = NULL, *types = NULL;
	const char *p[] = { a, b, NULL };
	PGresult *res;
	int r = 0;

	if (m)
		r = rfs_pg_column_arrays(m, a, &names, &types, err);
	p[0] = m ? names : a;
	p[2] = types;
	if (r == 0)
		r = rfs_pg_query(c, &res, err, m ? sql_across : sql, m ? 3 : 2,
				 p);
	free(names);
	free(types);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1)
		r = rfs_error_set(err, EINVAL,
				  "restore refused: column \"%s\" is %s in the "
				  "recycle copy but %s in %s.%s",
				  PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
				  PQgetvalue(res, 0, 2), w->pschema, w->parent);
	PQclear(res);
	return r;
}

/* Try the attach on an empty probe table, then roll it back. */
static int probe_bound(PGconn *c, const struct rfs_pg_item *it,
		       const struct where *w, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	char name[64];
	int r = rfs_pg_exec(c, err, "BEGIN");

	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "rfs_probe_%d", PQbackendPID(c));
	rfs_buf_addstr(&sql, "CREATE TABLE ");
	rfs_pg_add_qname(&sql, w->pschema, name);
	rfs_buf_addstr(&sql, " (LIKE ");
	rfs_pg_add_qname(&sql, w->pschema, w->parent);
	rfs_buf_addstr(&sql, " INCLUDING CONSTRAINTS INCLUDING DEFAULTS)");
	r = rfs_pg_run(c, &sql, NULL, err);
	if (r == 0)
		r = rfs_pg_attach(c, w->pschema, w->parent, w->pschema, name,
				  it->bound, err);
	PQclear(PQexec(c, "ROLLBACK"));
	if ((r == -EINVAL || r == -EEXIST) && err) {
		/* name the partition in the way, not the probe */
		const char *o = strstr(err->msg, "would overlap partition ");
		char why[RFS_ERROR_MSG_MAX];

		snprintf(why, sizeof(why), "%s",
			 o ? o
			   : err->msg + (strncmp(err->msg, "postgres: ", 10)
						 ? 0
						 : 10));
		rfs_error_set(err, EEXIST,
			      "restore refused: bound %s of %s.%s: %s",
			      it->bound, w->pschema, w->parent, why);
	}
	return r == -EINVAL ? -EEXIST : r;
}

/* The target's oid when it exists and holds exactly the item's rows. */
static int target_state(PGconn *c, const struct rfs_pg_item *it,
			const struct where *w, char oid[16],
			struct rfs_error *err)
{
	char kind;
	int r = rfs_pg_lookup(c, w->schema, w->name, oid, &kind, err);

	if (r < 0)
		return r;
	r = rfs_pg_same(c, oid, it, "restored table", err);
	if (r == -ESTALE)
		r = rfs_error_set(err, EEXIST,
				  "restore refused: %s.%s exists and holds "
				  "other rows",
				  w->schema, w->name);
	return r;
}

int rfs_pg_restore_check(PGconn *c, const struct rfs_pg_item *it,
			 const struct rfs_pg_target_table *to,
			 struct rfs_error *err)
{
	struct where w;
	char bin[16], poid[16], oid[16], kind;
	int r;

	resolve(it, to, &w);
	r = rfs_pg_lookup(it->mc ? it->mc : c, it->bin_schema, it->bin_name,
			  bin, &kind, err);
	if (r == -ENOENT)
		return rfs_error_set(err, ENOENT,
				     "recycle copy %s.%s is missing",
				     it->bin_schema, it->bin_name);
	if (r < 0)
		return r;
	r = target_state(c, it, &w, oid, err);
	if (r == 0)
		return 0; /* this restore's own copy, from an earlier run */
	if (r != -ENOENT)
		return r;
	if (!w.parent)
		return 0;
	r = rfs_pg_lookup(c, w.pschema, w.parent, poid, &kind, err);
	if (r == -ENOENT || (r == 0 && kind != 'p'))
		return rfs_error_set(err, r ? ENOENT : EINVAL,
				     "restore refused: %s.%s is %s", w.pschema,
				     w.parent,
				     r ? "missing" : "not a partitioned table");
	if (r < 0)
		return r;
	r = same_columns(c, it->mc, bin, poid, &w, err);
	if (r == 0 && it->bound)
		r = probe_bound(c, it, &w, err);
	return r;
}

int rfs_pg_restore_copy(PGconn *c, const struct rfs_pg_item *it,
			const struct rfs_pg_target_table *to,
			struct rfs_error *err)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	struct where w;
	char oid[16], bin[16], kind;
	int r;

	resolve(it, to, &w);
	r = rfs_pg_exec(c, err, "BEGIN");
	if (r < 0)
		return r;
	r = target_state(c, it, &w, oid, err);
	if (r == 0 || r != -ENOENT)
		return rfs_pg_end(c, r, err);
	if (it->mc) /* the copy in another database: streamed */
		return rfs_pg_end(c,
				  rfs_pg_restore_stream(c, it, w.schema, w.name,
							w.pschema, w.parent,
							err),
				  err);
	r = rfs_pg_lookup(c, it->bin_schema, it->bin_name, bin, &kind, err);
	rfs_pg_add_bin(&src, it);
	rfs_pg_add_qname(&dst, w.schema, w.name);
	if (r == 0)
		r = rfs_pg_copy_table(c, bin, &src, &dst, err);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	return rfs_pg_end(c, r, err);
}

int rfs_pg_restore_verify(PGconn *c, const struct rfs_pg_item *it,
			  const struct rfs_pg_target_table *to,
			  struct rfs_error *err)
{
	struct where w;
	char oid[16], kind;
	int r;

	resolve(it, to, &w);
	r = rfs_pg_lookup(c, w.schema, w.name, oid, &kind, err);
	if (r == -ENOENT)
		return rfs_error_set(err, ENOENT, "%s.%s is not restored",
				     w.schema, w.name);
	return r < 0 ? r : rfs_pg_same(c, oid, it, "restored table", err);
}

/* The length of the statement at @p s of a saved DDL: up to and with the
 * ';' that ends its line outside a quoted literal ('' doubled; E'' with
 * backslash escapes, as quote_literal() writes them) and outside a quoted
 * identifier ("" doubled). */
static size_t stmt_len(const char *s)
{
	size_t i = 0;

	while (s[i]) {
		if (s[i] == '\'') {
			bool e = i > 0 && s[i - 1] == 'E';

			for (i++; s[i]; i++) {
				if (e && s[i] == '\\' && s[i + 1])
					i++;
				else if (s[i] == '\'' && s[i + 1] == '\'')
					i++;
				else if (s[i] == '\'')
					break;
			}
			if (s[i])
				i++;
		} else if (s[i] == '"') {
			for (i++; s[i] && !(s[i] == '"' && s[i + 1] != '"');
			     i++)
				if (s[i] == '"')
					i++;
			if (s[i])
				i++;
		} else if (s[i] == ';' && (s[i + 1] == '\n' || !s[i + 1])) {
			return i + 1;
		} else {
			i++;
		}
	}
	return i;
}

/* @p st (@p n bytes) rewritten onto @p tq into @p out when it is one of
 * the saved owner, grant and comment statements of relation @p oq.
 * @return true when it is one */
static bool saved_grant(const char *st, size_t n, const char *oq,
			const char *tq, struct rfs_buf *out)
{
	static const char *const heads[] = { "ALTER TABLE ",
					     "COMMENT ON TABLE ",
					     "COMMENT ON COLUMN ", "GRANT " };
	static const char *const tails[] = { " OWNER TO ", " IS ", ".", NULL };
	size_t oql = strlen(oq);

	for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]); k++) {
		size_t h = strlen(heads[k]);
		const char *at = NULL;

		if (n < h || strncmp(st, heads[k], h))
			continue;
		if (tails[k]) {
			if (n >= h + oql && !strncmp(st + h, oq, oql) &&
			    !strncmp(st + h + oql, tails[k], strlen(tails[k])))
				at = st + h;
		} else { /* GRANT privilege ON oq TO role */
			for (const char *q = st + h; q + 4 + oql < st + n; q++)
				if (!strncmp(q, " ON ", 4) &&
				    !strncmp(q + 4, oq, oql) &&
				    !strncmp(q + 4 + oql, " TO ", 4)) {
					at = q + 4;
					break;
				}
		}
		if (!at)
			continue;
		rfs_buf_addf(out, "%.*s%s%.*s", (int)(at - st), st, tq,
			     (int)(n - (size_t)(at - st) - oql), at + oql);
		return true;
	}
	return false;
}

/* The owner, grants and comments that the saved DDL gives the origin
 * relation, applied to the restored one (each idempotent). A role that
 * no longer exists is skipped with a warning: the rows are back. */
static int apply_saved(PGconn *c, const struct rfs_pg_item *it,
		       const struct where *w, struct rfs_error *err)
{
	const char *p[] = { it->schema, it->name, w->schema, w->name };
	struct rfs_buf st = RFS_BUF_INIT;
	PGresult *res;
	char *oq, *tq;
	int r = rfs_pg_query(c, &res, err,
			     "SELECT format('%I.%I', $1::text, $2::text), "
			     "format('%I.%I', $3::text, $4::text)",
			     4, p);

	if (r < 0)
		return r;
	oq = strdup(PQgetvalue(res, 0, 0));
	tq = strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	r = oq && tq ? rfs_pg_exec(c, err, "BEGIN") : -ENOMEM;
	for (const char *s = it->ddl; r == 0 && s && *s;) {
		size_t n;

		while (*s == '\n' || *s == ' ')
			s++;
		n = stmt_len(s);
		if (n && saved_grant(s, n, oq, tq, &st)) {
			PGresult *g;

			r = rfs_pg_exec(c, err, "SAVEPOINT rfs_grant");
			g = r == 0 && st.data ? PQexec(c, rfs_buf_str(&st))
					      : NULL;
			if (r == 0 && PQresultStatus(g) != PGRES_COMMAND_OK &&
			    PQresultErrorField(g, PG_DIAG_SQLSTATE) &&
			    !strcmp(PQresultErrorField(g, PG_DIAG_SQLSTATE),
				    "42704")) { /* undefined_object: a role */
				rfs_log(LOG_WARNING,
					"restore of %s: skipped %s: %s", tq,
					rfs_buf_str(&st),
					PQresultErrorField(
						g, PG_DIAG_MESSAGE_PRIMARY));
				PQclear(g);
				r = rfs_pg_exec(
					c, err,
					"ROLLBACK TO SAVEPOINT rfs_grant");
			} else if (r == 0 && (!g || PQresultStatus(g) !=
							    PGRES_COMMAND_OK)) {
				r = rfs_pg_fail(c, g, err);
			} else if (r == 0) {
				PQclear(g);
			}
			rfs_buf_release(&st);
		}
		s += n;
	}
	free(oq);
	free(tq);
	return rfs_pg_end(c, r, err);
}

int rfs_pg_restore_attach(PGconn *c, const struct rfs_pg_item *it,
			  const struct rfs_pg_target_table *to,
			  struct rfs_error *err)
{
	const char *p[2];
	struct where w;
	PGresult *res;
	int r;

	resolve(it, to, &w);
	if (w.parent && it->bound) {
		p[0] = w.schema;
		p[1] = w.name;
		r = rfs_pg_query(c, &res, err,
				 "SELECT 1 FROM pg_class c JOIN pg_namespace n "
				 "ON n.oid = c.relnamespace WHERE n.nspname = "
				 "$1 AND c.relname = $2 AND c.relispartition",
				 2, p);
		if (r < 0)
			return r;
		r = PQntuples(res);
		PQclear(res);
		r = r ? 0
		      : rfs_pg_attach(c, w.pschema, w.parent, w.schema, w.name,
				      it->bound, err);
		if (r < 0)
			return r;
	}
	return apply_saved(c, it, &w, err);
}

int rfs_pg_purge(PGconn *c, const struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	const char *p[] = { it->bin_name };
	PGresult *res;
	int r;

	r = rfs_pg_exec(c, err, "BEGIN");
	if (r < 0)
		return r;
	rfs_buf_addstr(&sql, "SELECT state FROM ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addstr(&sql, " WHERE bin_name = $1 FOR UPDATE");
	r = sql.data ? rfs_pg_query(c, &res, err, rfs_buf_str(&sql), 1, p)
		     : -ENOMEM;
	rfs_buf_release(&sql);
	if (r == -ENOENT)
		return rfs_pg_end(c, 0, err);
	if (r < 0)
		return rfs_pg_end(c, r, err);
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "archived"))
		r = rfs_error_set(err, EBUSY,
				  "recycle copy %s.%s is still archiving (%s)",
				  it->bin_schema, it->bin_name,
				  PQgetvalue(res, 0, 0));
	PQclear(res);
	if (r == 0) {
		rfs_buf_addstr(&sql, "DROP TABLE IF EXISTS ");
		rfs_pg_add_bin(&sql, it);
		r = rfs_pg_run(c, &sql, NULL, err);
	}
	if (r == 0) {
		rfs_buf_addstr(&sql, "DELETE FROM ");
		rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
		rfs_buf_addstr(&sql, " WHERE bin_name = $1");
		r = sql.data ? rfs_pg_query(c, NULL, err, rfs_buf_str(&sql), 1,
					    p)
			     : -ENOMEM;
		rfs_buf_release(&sql);
	}
	return rfs_pg_end(c, r, err);
}
