/*
 * The sync step of an archive: the copy of a table or partition made in
 * the recycle schema of its own database, its manifest row, and the
 * source's count, hash and stamp taken in the snapshot the copy reads.
 * The streamed sync commits the rows first ("loaded") and builds the
 * indexes in a second transaction ("copied") while a second connection
 * hashes the committed copy and checks the source, so the sync ends
 * verified when both agree.
 */
#include "backends/pg/steps_priv.h"
#include "backends/pg/copy_pump.h"

#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * made them, names and comments included), and the statements dropping
 * them in the same order: the copy gets its rows without them and builds
 * each once, over all its rows. Columns of @p mk: MK_ONE, what makes one
 * in one statement; MK_BUILD and MK_ADD, the same in two (see
 * build_indexes()); and the statement dropping it. */
enum { MK_ONE, MK_DROP, MK_BUILD, MK_ADD };

static int index_defs(PGconn *c, struct rfs_buf *dst, PGresult **mk,
		      struct rfs_error *err)
{
	static const char sql[] =
		"SELECT mk, rm, mk1, mk2 FROM (SELECT 0 AS o, k.conname::text "
		"AS n, format('ALTER TABLE %s ADD CONSTRAINT %I %s', "
		"$1::regclass, k.conname, pg_get_constraintdef(k.oid)) || cm "
		"AS mk, format('ALTER TABLE %s DROP CONSTRAINT %I', "
		"$1::regclass, k.conname) AS rm, CASE WHEN k.contype <> 'x' "
		"THEN pg_get_indexdef(k.conindid) END AS mk1, CASE WHEN "
		"k.contype = 'x' THEN format('ALTER TABLE %s ADD CONSTRAINT %I "
		"%s', $1::regclass, k.conname, pg_get_constraintdef(k.oid)) "
		"ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s USING INDEX "
		"%I', $1::regclass, k.conname, CASE k.contype WHEN 'p' THEN "
		"'PRIMARY KEY' ELSE 'UNIQUE' END, (SELECT relname FROM pg_class "
		"WHERE oid = k.conindid)) || CASE WHEN k.condeferrable THEN ' "
		"DEFERRABLE' ELSE '' END || CASE WHEN k.condeferred THEN ' "
		"INITIALLY DEFERRED' ELSE '' END END || cm AS mk2 FROM "
		"pg_constraint k, LATERAL (SELECT coalesce('; COMMENT ON "
		"CONSTRAINT ' || quote_ident(k.conname) || ' ON ' || "
		"$1::regclass || ' IS ' || quote_literal(obj_description(k.oid, "
		"'pg_constraint')), '') AS cm) x WHERE k.conrelid = "
		"$1::regclass AND k.contype IN ('p', 'u', 'x') "
		"UNION ALL SELECT 1, i.indexrelid::regclass::text, d, format("
		"'DROP INDEX %s', i.indexrelid::regclass), d, NULL FROM "
		"pg_index i, LATERAL (SELECT pg_get_indexdef(i.indexrelid) || "
		"coalesce('; COMMENT ON INDEX ' || i.indexrelid::regclass || ' "
		"IS ' || quote_literal(obj_description(i.indexrelid, "
		"'pg_class')), '') AS d) x WHERE i.indrelid = $1::regclass AND "
		"NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = "
		"i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN "
		"('p', 'u', 'x'))) s ORDER BY o, n";
	const char *p[] = { rfs_buf_str(dst) };
	int r = rfs_pg_query(c, mk, err, sql, 1, p);

	for (int i = 0; r == 0 && i < PQntuples(*mk); i++)
		r = rfs_pg_exec(c, err, PQgetvalue(*mk, i, MK_DROP));
	if (r < 0 && *mk) {
		PQclear(*mk);
		*mk = NULL;
	}
	return r;
}

/* The indexes and index constraints of @p mk made again in @p c's
 * transaction: in one statement each (MK_ONE), or, @p split, every index
 * built first under a SHARE lock, which lets other sessions read the
 * table meanwhile (MK_BUILD: CREATE [UNIQUE] INDEX), then each index
 * constraint made over its built index (MK_ADD: ADD CONSTRAINT ...
 * USING INDEX, which waits for those readers; an EXCLUDE constraint,
 * which has no such form, is built there). The same names, definitions
 * and comments either way. */
static int build_indexes(PGconn *c, PGresult *mk, bool split,
			 struct rfs_error *err)
{
	int r = 0;

	for (int i = 0; r == 0 && !split && i < PQntuples(mk); i++)
		r = rfs_pg_exec(c, err, PQgetvalue(mk, i, MK_ONE));
	for (int i = 0; r == 0 && split && i < PQntuples(mk); i++)
		if (!PQgetisnull(mk, i, MK_BUILD))
			r = rfs_pg_exec(c, err, PQgetvalue(mk, i, MK_BUILD));
	for (int i = 0; r == 0 && split && i < PQntuples(mk); i++)
		if (!PQgetisnull(mk, i, MK_ADD))
			r = rfs_pg_exec(c, err, PQgetvalue(mk, i, MK_ADD));
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
	if (r == 0)
		r = build_indexes(c, mk, false, err);
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

/* A sync cut between its two transactions left the rows without their
 * indexes ("loaded"): in the sync's transaction, that copy and its
 * manifest row are dropped, and the sync runs again from the start, at a
 * new snapshot; an item keeping the manifest's hash and stamp (the rows
 * of the first snapshot) is proven against those, as an item of
 * rfs_pg_snapshot() is. */
static int drop_loaded(PGconn *c, struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	const char *p[] = { it->bin_name };
	int r;

	rfs_buf_addstr(&sql, "DROP TABLE IF EXISTS ");
	rfs_pg_add_bin(&sql, it);
	r = rfs_pg_run(c, &sql, NULL, err);
	if (r < 0)
		return r;
	rfs_buf_addstr(&sql, "DELETE FROM ");
	rfs_pg_add_qname(&sql, it->bin_schema, "rfs_manifest");
	rfs_buf_addstr(&sql, " WHERE bin_name = $1");
	r = sql.data ? rfs_pg_query(c, NULL, err, rfs_buf_str(&sql), 1, p)
		     : -ENOMEM;
	rfs_buf_release(&sql);
	free(it->state);
	it->state = NULL;
	return r;
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
	if (r == 0 && it->state && !strcmp(it->state, "loaded"))
		r = drop_loaded(c, it, err);
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
 * without its indexes (their definitions in @p mk, index_defs()), the
 * rows of @p src streamed from COPY TO STDOUT on @p rd (a transaction at
 * the sync's snapshot) into COPY FROM STDIN (FREEZE: the table is new in
 * this transaction). One server, one database: the binary format when
 * every column's type has one (no text to print and parse), else the
 * text format. */
static int copy_streamed(PGconn *c, PGconn *rd, const char *oid,
			 struct rfs_buf *src, struct rfs_buf *dst,
			 PGresult **mk, struct rfs_error *err)
{
	struct rfs_buf sql = RFS_BUF_INIT, out = RFS_BUF_INIT,
		       cols = RFS_BUF_INIT;
	bool binary = false;
	int r = add_columns(rd, oid, &cols, &binary, err);

	if (r == 0)
		r = create_like(c, src, dst, mk, err);
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
	rfs_buf_release(&sql);
	rfs_buf_release(&out);
	rfs_buf_release(&cols);
	return r;
}

/* The second transaction of a streamed sync, after its rows committed
 * ("loaded"): the indexes of @p mk built on @p c and the state "copied",
 * in one transaction, while @p c2 hashes the committed copy and checks
 * the source against the item (what verify does); both agreeing, the
 * state is "verified". A check that fails here leaves "copied": the
 * verify step checks again, and fails the job with its reason. */
static int sync_index(PGconn *c, PGconn *c2, struct rfs_pg_item *it,
		      const char *soid, PGresult *mk, struct rfs_error *err)
{
	struct rfs_pg_par par = { 0 };
	struct rfs_error why = { 0 };
	char coid[16], kind;
	int r, r2;

#ifdef RFS_TEST_HOOKS
	/* RECYCLEFS_TEST_PG_SYNC_CUT (test builds only): the sync cut
	 * between its two transactions, as a kill there would */
	if (getenv("RECYCLEFS_TEST_PG_SYNC_CUT"))
		return rfs_error_set(err, EIO,
				     "sync of %s.%s cut after its rows "
				     "(RECYCLEFS_TEST_PG_SYNC_CUT)",
				     it->schema, it->name);
#endif
	r = rfs_pg_lookup(c, it->bin_schema, it->bin_name, coid, &kind, err);
	if (r < 0)
		return r;
	rfs_pg_par_check(&par, c2, coid, soid, it);
	r = rfs_pg_exec(c, err, "BEGIN");
	if (r == 0)
		r = build_indexes(c, mk, true, err);
	if (r == 0)
		r = rfs_pg_set_state(c, it, "copied", err);
	r = rfs_pg_end(c, r, err);
	r2 = rfs_pg_par_join(&par, &why);
	if (r == 0 && r2 == 0)
		return rfs_pg_set_state(c, it, "verified", err);
	if (r == 0)
		rfs_log(LOG_DEBUG,
			"%s.%s: not verified in its sync (%s): "
			"verify checks again",
			it->schema, it->name, why.msg);
	return r;
}

/* rfs_pg_sync3() with a reader: @p rd holds the sync's snapshot (REPEATABLE
 * READ, exported), the source is hashed at it on @p c2 (or on @p rd first)
 * and streamed from it into the copy. With @p c2, the rows and the
 * manifest row ("loaded") commit in one transaction on @p c, the indexes
 * in a second one (sync_index()); without, everything in one ("copied"). */
static int sync_streamed(PGconn *c, PGconn *c2, PGconn *rd,
			 struct rfs_pg_item *it, struct rfs_error *err)
{
	struct rfs_buf src = RFS_BUF_INIT, dst = RFS_BUF_INIT;
	struct rfs_pg_par par = { 0 };
	bool hash = !it->hash[0], started = false;
	char oid[16], kind, snap[64];
	PGresult *res, *mk = NULL;
	int r = sync_begin(c, it, "BEGIN", err);

	if (r != 0)
		return r < 0 ? r : 0; /* copied already */
	hash = !it->hash[0];
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
		r = copy_streamed(c, rd, oid, &src, &dst, &mk, err);
	if (r == -EEXIST)
		r = rfs_error_set(err, EEXIST,
				  "recycle copy %s.%s exists and is not in "
				  "the manifest: refused",
				  it->bin_schema, it->bin_name);
	if (started) /* before the snapshot's transaction ends */
		r = sync_join(&par, it, r, err);
	if (r == 0 && !c2)
		r = build_indexes(c, mk, false, err);
	if (r == 0)
		r = rfs_pg_manifest_add_as(c, it, c2 ? "loaded" : "copied",
					   err);
	rfs_buf_release(&src);
	rfs_buf_release(&dst);
	r = rfs_pg_end(c, r, err);
	PQclear(PQexec(rd, "ROLLBACK")); /* the reader only read */
	if (r == 0) {
		free(it->state);
		it->state = strdup(c2 ? "loaded" : "copied");
		r = it->state ? 0 : -ENOMEM;
	}
	if (r == 0 && c2)
		r = sync_index(c, c2, it, oid, mk, err);
	PQclear(mk);
	return r;
}

int rfs_pg_sync3(PGconn *c, PGconn *c2, PGconn *rd, struct rfs_pg_item *it,
		 struct rfs_error *err)
{
	return rd ? sync_streamed(c, c2, rd, it, err)
		  : rfs_pg_sync2(c, c2, it, err);
}

int rfs_pg_source_hash(PGconn *c, const char *oid, struct rfs_pg_item *it,
		       struct rfs_error *err)
{
	return sync_hash(c, NULL, oid, it, NULL, NULL, err);
}
