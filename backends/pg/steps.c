/*
 * The archive steps of one PostgreSQL table or partition: snapshot, sync
 * into the recycle schema, verify, unpublish (DETACH), delete (DROP),
 * manifest. Each step reads the state the manifest table and the catalogs
 * show, so running it again is safe.
 */
#include "backends/pg/steps_priv.h"
#include "backends/pg/copy_pump.h"

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

/* The copy's column list: every column that is not generated; @p binary
 * (when not NULL): whether every column's type has a binary form. */
static int add_columns(PGconn *c, const char *oid, struct rfs_buf *b,
		       bool *binary, struct rfs_error *err)
{
	const char *p[] = { oid };
	PGresult *res;
	int r = rfs_pg_query(
		c, &res, err,
		"SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY "
		"a.attnum), coalesce(bool_and(t.typsend <> 0 AND t.typreceive "
		"<> 0), false) FROM pg_attribute a JOIN pg_type t ON t.oid = "
		"a.atttypid WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT "
		"a.attisdropped AND a.attgenerated = ''",
		1, p);

	if (r < 0)
		return r;
	r = rfs_buf_addstr(b, PQgetvalue(res, 0, 0));
	if (binary)
		*binary = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	return r;
}

/* The copy's index and constraint definitions (as CREATE TABLE ... LIKE
 * made them, names and comments included) in @p mk, and the statements
 * dropping them in the same order: the copy gets its rows without them
 * and builds each once, over all its rows. */
static int index_defs(PGconn *c, struct rfs_buf *dst, PGresult **mk,
		      struct rfs_error *err)
{
	static const char sql[] =
		"SELECT mk, rm FROM (SELECT 0 AS o, k.conname::text AS n, "
		"format('ALTER TABLE %s ADD CONSTRAINT %I %s', $1::regclass, "
		"k.conname, pg_get_constraintdef(k.oid)) || coalesce('; COMMENT "
		"ON CONSTRAINT ' || quote_ident(k.conname) || ' ON ' || "
		"$1::regclass || ' IS ' || quote_literal(obj_description(k.oid, "
		"'pg_constraint')), '') "
		"AS mk, format('ALTER TABLE %s DROP CONSTRAINT %I', "
		"$1::regclass, k.conname) AS rm FROM pg_constraint k WHERE "
		"k.conrelid = $1::regclass AND k.contype IN ('p', 'u', 'x') "
		"UNION ALL SELECT 1, i.indexrelid::regclass::text, "
		"pg_get_indexdef(i.indexrelid) || coalesce('; COMMENT ON INDEX ' "
		"|| i.indexrelid::regclass || ' IS ' || quote_literal("
		"obj_description(i.indexrelid, 'pg_class')), ''), format('DROP "
		"INDEX %s', "
		"i.indexrelid::regclass) FROM pg_index i WHERE i.indrelid = "
		"$1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
		"WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid "
		"AND k.contype IN ('p', 'u', 'x'))) s ORDER BY o, n";
	const char *p[] = { rfs_buf_str(dst) };
	int r = rfs_pg_query(c, mk, err, sql, 1, p);

	for (int i = 0; r == 0 && i < PQntuples(*mk); i++)
		r = rfs_pg_exec(c, err, PQgetvalue(*mk, i, 1));
	if (r < 0 && *mk) {
		PQclear(*mk);
		*mk = NULL;
	}
	return r;
}

/* CREATE TABLE @p dst (LIKE @p src INCLUDING ALL), its indexes and index
 * constraints then dropped and their definitions kept in @p mk
 * (index_defs()), to be made again after the rows. */
static int create_like(PGconn *c, struct rfs_buf *src, struct rfs_buf *dst,
		       PGresult **mk, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	int r;

	rfs_buf_addf(&sql, "CREATE TABLE %s (LIKE %s INCLUDING ALL)",
		     rfs_buf_str(dst), rfs_buf_str(src));
	r = rfs_pg_run(c, &sql, NULL, err);
	return r < 0 ? r : index_defs(c, dst, mk, err);
}

/* CREATE TABLE @p dst (LIKE @p src INCLUDING ALL) without its indexes;
 * INSERT ... SELECT; the indexes and index constraints made again. */
int rfs_pg_copy_table(PGconn *c, const char *src_oid, struct rfs_buf *src,
		      struct rfs_buf *dst, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT, cols = RFS_BUF_INIT;
	PGresult *mk = NULL;
	int r = add_columns(c, src_oid, &cols, NULL, err);

	if (r < 0)
		return r;
	r = create_like(c, src, dst, &mk, err);
	if (r == 0) {
		rfs_buf_addf(&sql,
			     "INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE "
			     "SELECT %s FROM ONLY %s",
			     rfs_buf_str(dst), rfs_buf_str(&cols),
			     rfs_buf_str(&cols), rfs_buf_str(src));
		r = rfs_pg_run(c, &sql, NULL, err);
	}
	for (int i = 0; r == 0 && i < PQntuples(mk); i++)
		r = rfs_pg_exec(c, err, PQgetvalue(mk, i, 0));
	PQclear(mk);
	rfs_buf_release(&cols);
	return r;
}

/* The source's count, hash and stamp in the sync's own snapshot: on
 * @p c2 at the exported snapshot while @p c copies (joined by the
 * caller), or on @p c before the copy. */
static int sync_hash(PGconn *c, PGconn *c2, const char *oid,
		     struct rfs_pg_item *it, char snap[64],
		     struct rfs_pg_par *par, struct rfs_error *err)
{
	PGresult *res;
	int r;

	if (!c2) {
		r = rfs_pg_count_hash(c, oid, NULL, &it->rows, it->hash, err);
		return r < 0 ? r : rfs_pg_stamp(c, oid, it->stamp, err);
	}
	r = rfs_pg_query(c, &res, err, "SELECT pg_export_snapshot()", 0, NULL);
	if (r < 0)
		return r;
	snprintf(snap, 64, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	rfs_pg_par_hash(par, c2, snap, oid);
	return 0;
}

/* The hash sync_hash() started, into @p it. */
static int sync_join(struct rfs_pg_par *par, struct rfs_pg_item *it, int r,
		     struct rfs_error *err)
{
	int r2 = rfs_pg_par_join(par, r < 0 ? NULL : err);

	if (r < 0 || r2 < 0)
		return r < 0 ? r : r2;
	it->rows = par->rows;
	memcpy(it->hash, par->hash, sizeof(it->hash));
	memcpy(it->stamp, par->stamp, sizeof(it->stamp));
	return 0;
}

int rfs_pg_sync(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	return rfs_pg_sync2(c, NULL, it, err);
}

/* The start of a sync: the recycle location made when missing, @p begin
 * run on @p c, the manifest row read and locked. @return 0 in the open
 * transaction; 1 when the copy was made already (the transaction ended);
 * or as rfs_pg_query() */
static int sync_begin(PGconn *c, struct rfs_pg_item *it, const char *begin,
		      struct rfs_error *err)
{
	int r = rfs_pg_ensure_bin(c, it, err);

	if (r < 0)
		return r;
	r = rfs_pg_exec(c, err, begin);
	if (r < 0)
		return r;
	r = rfs_pg_read_state(c, it, true, err);
	if (r < 0 || it->state) {
		r = rfs_pg_end(c, r, err);
		return r < 0 ? r : 1;
	}
	return 0;
}

int rfs_pg_sync2(PGconn *c, PGconn *c2, struct rfs_pg_item *it,
		 struct rfs_error *err)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	struct rfs_pg_par par = { 0 };
	bool hash = !it->hash[0];
	char oid[16], kind, snap[64];
	int r = sync_begin(c, it, "BEGIN ISOLATION LEVEL REPEATABLE READ", err);

	if (r != 0)
		return r < 0 ? r : 0; /* copied already */
	r = rfs_pg_lookup(c, it->schema, it->name, oid, &kind, err);
	if (r == -ENOENT)
		r = rfs_error_set(err, ENOENT, "no table %s.%s", it->schema,
				  it->name);
	/* an item of rfs_pg_snapshot() has its hash: verify proves the
	 * copy holds its rows; one of rfs_pg_precheck() is hashed here, in
	 * the snapshot the copy reads */
	if (r == 0 && hash)
		r = sync_hash(c, c2, oid, it, snap, &par, err);
	rfs_pg_add_qname(&src, it->schema, it->name);
	rfs_pg_add_bin(&dst, it);
	if (r == 0 && (!src.data || !dst.data))
		r = -ENOMEM;
	if (r == 0)
		r = rfs_pg_copy_table(c, oid, &src, &dst, err);
	if (r == -EEXIST)
		r = rfs_error_set(err, EEXIST,
				  "recycle copy %s.%s exists and is not in "
				  "the manifest: refused",
				  it->bin_schema, it->bin_name);
	if (hash && c2)
		r = sync_join(&par, it, r, err);
	if (r == 0)
		r = rfs_pg_manifest_add(c, it, err);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	r = rfs_pg_end(c, r, err);
	if (r == 0) {
		free(it->state);
		it->state = strdup("copied");
	}
	return r;
}

/* In @p c's transaction: CREATE TABLE @p dst (LIKE @p src INCLUDING ALL)
 * without its indexes, the rows of @p src streamed from COPY TO STDOUT
 * on @p rd (a transaction at the sync's snapshot) into COPY FROM STDIN
 * (FREEZE: the table is new in this transaction), then the indexes and
 * constraints built over all the rows. One server, one database: the
 * binary format when every column's type has one (no text to print and
 * parse), else the text format. */
static int copy_streamed(PGconn *c, PGconn *rd, const char *oid,
			 struct rfs_buf *src, struct rfs_buf *dst,
			 struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT, out = RFS_BUF_INIT,
		       cols = RFS_BUF_INIT;
	PGresult *mk = NULL;
	bool binary = false;
	int r = add_columns(rd, oid, &cols, &binary, err);

	if (r == 0)
		r = create_like(c, src, dst, &mk, err);
	if (r == 0) {
		rfs_buf_addf(&out, "COPY (SELECT %s FROM ONLY %s) TO STDOUT%s",
			     rfs_buf_str(&cols), rfs_buf_str(src),
			     binary ? " (FORMAT binary)" : "");
		rfs_buf_addf(&sql, "COPY %s (%s) FROM STDIN (%sFREEZE)",
			     rfs_buf_str(dst), rfs_buf_str(&cols),
			     binary ? "FORMAT binary, " : "");
		r = out.data && sql.data
			    ? rfs_pg_copy_pump(rd, rfs_buf_str(&out), c,
					       rfs_buf_str(&sql), err)
			    : -ENOMEM;
	}
	for (int i = 0; r == 0 && i < PQntuples(mk); i++)
		r = rfs_pg_exec(c, err, PQgetvalue(mk, i, 0));
	PQclear(mk);
	rfs_buf_release(&sql);
	rfs_buf_release(&out);
	rfs_buf_release(&cols);
	return r;
}

/* rfs_pg_sync3() with a reader: @p rd holds the sync's snapshot (REPEATABLE
 * READ, exported), the source is hashed at it on @p c2 (or on @p rd first)
 * and streamed from it into the copy, which @p c writes in one
 * transaction with the manifest row. */
static int sync_streamed(PGconn *c, PGconn *c2, PGconn *rd,
			 struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	struct rfs_pg_par par = { 0 };
	bool hash = !it->hash[0], started = false;
	char oid[16], kind, snap[64];
	PGresult *res;
	int r = sync_begin(c, it, "BEGIN", err);

	if (r != 0)
		return r < 0 ? r : 0; /* copied already */
	r = rfs_pg_exec(rd, err,
			"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (r < 0)
		return rfs_pg_end(c, r, err);
	r = rfs_pg_lookup(rd, it->schema, it->name, oid, &kind, err);
	if (r == -ENOENT)
		r = rfs_error_set(err, ENOENT, "no table %s.%s", it->schema,
				  it->name);
	if (r == 0 && hash && c2) {
		r = rfs_pg_query(rd, &res, err, "SELECT pg_export_snapshot()",
				 0, NULL);
		if (r == 0) {
			snprintf(snap, sizeof(snap), "%s",
				 PQgetvalue(res, 0, 0));
			PQclear(res);
			rfs_pg_par_hash(&par, c2, snap, oid);
			started = true;
		}
	} else if (r == 0 && hash) {
		r = rfs_pg_count_hash(rd, oid, NULL, &it->rows, it->hash, err);
		if (r == 0)
			r = rfs_pg_stamp(rd, oid, it->stamp, err);
	}
	rfs_pg_add_qname(&src, it->schema, it->name);
	rfs_pg_add_bin(&dst, it);
	if (r == 0 && (!src.data || !dst.data))
		r = -ENOMEM;
	if (r == 0)
		r = copy_streamed(c, rd, oid, &src, &dst, err);
	if (r == -EEXIST)
		r = rfs_error_set(err, EEXIST,
				  "recycle copy %s.%s exists and is not in "
				  "the manifest: refused",
				  it->bin_schema, it->bin_name);
	if (started) /* before the snapshot's transaction ends */
		r = sync_join(&par, it, r, err);
	if (r == 0)
		r = rfs_pg_manifest_add(c, it, err);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	r = rfs_pg_end(c, r, err);
	PQclear(PQexec(rd, "ROLLBACK")); /* the reader only read */
	if (r == 0) {
		free(it->state);
		it->state = strdup("copied");
		r = it->state ? 0 : -ENOMEM;
	}
	return r;
}

int rfs_pg_sync3(PGconn *c, PGconn *c2, PGconn *rd, struct rfs_pg_item *it,
		 struct rfs_error *err)
{
	return rd ? sync_streamed(c, c2, rd, it, err)
		  : rfs_pg_sync2(c, c2, it, err);
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

int rfs_pg_source_hash(PGconn *c, const char *oid, struct rfs_pg_item *it,
		       struct rfs_error *err)
{
	return sync_hash(c, NULL, oid, it, NULL, NULL, err);
}
