/*
 * The relational steps of the port (backends/rel.h) for PostgreSQL: the
 * job kinds of core/kind_rel.c call these; each maps a folder of the tree
 * to its table and runs one step of archive_steps.h on a connection of
 * its own.
 */
#include "backends/pg/steps_priv.h"
#include "backends/pg/copy_stream.h"

#include "backends/rel.h"
#include "util/uri.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Connections kept between the steps of a job (and between jobs) of one
 * backend: a step takes a connection out of the pool, so one connection
 * is used by one thread at a time, and gives it back when it is idle and
 * healthy (outside a transaction, CONNECTION_OK); anything else is
 * closed. A connection taken out is probed with an empty query first: one
 * the server dropped meanwhile (a restart, idle_session_timeout) is
 * closed and a new one made. A process forked since leaves them alone.
 */
#define POOL_MAX 8

struct pooled {
	const struct rfs_pg *owner; /* the backend, NULL: a free slot */
	char *key;		    /* the target's identity */
	pid_t pid;		    /* the process that connected */
	PGconn *c;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pooled pool[POOL_MAX];

/* Host, port, database and settings of @p t: equal keys, one server,
 * database and session. */
static char *target_key(const struct rfs_pg_target *t)
{
	struct rfs_buf b = RFS_BUF_INIT;
	char *out;

	rfs_buf_addf(&b, "%s\n%s\n%s", t->host ? t->host : "",
		     t->port ? t->port : "", t->db ? t->db : "");
	for (int i = 0; i < t->nkeys; i++)
		rfs_buf_addf(&b, "\n%s=%s", t->keys[i], t->values[i]);
	out = b.data ? strdup(rfs_buf_str(&b)) : NULL;
	rfs_buf_release(&b);
	return out;
}

static int pool_get(const struct rfs_pg *p, const struct rfs_pg_target *t,
		    PGconn **out, struct rfs_error *err)
{
	char *key = target_key(t);
	PGconn *c = NULL;

	if (!key)
		return -ENOMEM;
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		c = NULL;
		for (int i = 0; i < POOL_MAX && !c; i++) {
			if (pool[i].owner != p || strcmp(pool[i].key, key))
				continue;
			if (pool[i].pid == getpid())
				c = pool[i].c;
			free(pool[i].key);
			memset(&pool[i], 0, sizeof(pool[i]));
		}
		pthread_mutex_unlock(&pool_lock);
		if (!c)
			break;
		{
			PGresult *res = PQexec(c, "");

			if (res && PQresultStatus(res) == PGRES_EMPTY_QUERY &&
			    PQtransactionStatus(c) == PQTRANS_IDLE) {
				PQclear(res);
				free(key);
				*out = c;
				return 0;
			}
			PQclear(res);
			rfs_log(LOG_DEBUG,
				"%s: a kept connection failed its "
				"probe: closed",
				t->display);
			PQfinish(c);
		}
	}
	free(key);
	return rfs_pg_target_connect(t, out, err);
}

static void pool_put(const struct rfs_pg *p, const struct rfs_pg_target *t,
		     PGconn *c)
{
	char *key;

	if (!c)
		return;
	if (PQstatus(c) != CONNECTION_OK ||
	    PQtransactionStatus(c) != PQTRANS_IDLE || !(key = target_key(t))) {
		PQfinish(c);
		return;
	}
	pthread_mutex_lock(&pool_lock);
	for (int i = 0; i < POOL_MAX; i++)
		if (!pool[i].owner) {
			pool[i] = (struct pooled){ p, key, getpid(), c };
			c = NULL;
			break;
		}
	pthread_mutex_unlock(&pool_lock);
	if (c) { /* the pool is full */
		free(key);
		PQfinish(c);
	}
}

void rfs_pg_rel_forget(const struct rfs_pg *p)
{
	pthread_mutex_lock(&pool_lock);
	for (int i = 0; i < POOL_MAX; i++)
		if (pool[i].owner == p) {
			if (pool[i].pid == getpid())
				PQfinish(pool[i].c);
			free(pool[i].key);
			memset(&pool[i], 0, sizeof(pool[i]));
		}
	pthread_mutex_unlock(&pool_lock);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The query's value of libpq setting @p k, or NULL. */
static const char *setting(const struct rfs_pg_target *t, const char *k)
{
	for (int i = 0; i < t->nkeys; i++)
		if (!strcmp(t->keys[i], k))
			return t->values[i];
	return NULL;
}

/* One server and database: a copy inside it is a statement. */
static bool same_db(const struct rfs_pg_target *a,
		    const struct rfs_pg_target *b)
{
	return same_str(a->host, b->host) && same_str(a->port, b->port) &&
	       same_str(a->db, b->db) &&
	       same_str(setting(a, "host"), setting(b, "host")) &&
	       same_str(setting(a, "service"), setting(b, "service"));
}

/* The recycle location's settings and schema. */
static int bin_target(const char *bin_uri, struct rfs_pg_target *t,
		      char **schema, struct rfs_error *err)
{
	struct rfs_uri u;
	char *tb = NULL;
	int r;

	*schema = NULL;
	r = rfs_uri_parse(bin_uri, &u, err);
	if (r < 0)
		return r;
	r = rfs_pg_target_parse(&u, bin_uri, t, err);
	rfs_uri_release(&u);
	if (r < 0)
		return r;
	if (t->schema && *t->where)
		r = rfs_error_set(err, EINVAL,
				  "recycle location '%s' names its schema "
				  "twice (path and schema=)",
				  t->display);
	else if (t->schema && !(*schema = strdup(t->schema)))
		r = -ENOMEM;
	else if (t->schema)
		r = 0;
	else if (*t->where)
		r = rfs_pg_split_path(t->where, schema, &tb, err);
	else if (!(*schema = strdup("recyclebin")))
		r = -ENOMEM;
	if (r == 0 && tb)
		r = rfs_error_set(err, EINVAL,
				  "recycle location '%s' is a table, not a "
				  "schema",
				  t->display);
	free(tb);
	if (r < 0) {
		free(*schema);
		*schema = NULL;
		rfs_pg_target_release(t);
	}
	return r;
}

/* The schema of partition @p name of the epoch's table (a partition may
 * live in another schema than its parent), else the epoch's schema. */
static int table_schema(PGconn *c, struct rfs_pg *p, const char *name,
			char **out, struct rfs_error *err)
{
	static const char sql[] =
		"SELECT n.nspname FROM pg_inherits h JOIN pg_class c ON "
		"c.oid = h.inhrelid JOIN pg_namespace n ON n.oid = "
		"c.relnamespace JOIN pg_class pc ON pc.oid = h.inhparent JOIN "
		"pg_namespace pn ON pn.oid = pc.relnamespace WHERE pn.nspname "
		"= $1 AND pc.relname = $2 AND c.relname = $3 ORDER BY c.oid "
		"LIMIT 1";
	const char *par[] = { p->schema, p->table, name };
	PGresult *res = NULL;
	int r = 0;

	if (p->table)
		r = rfs_pg_query(c, &res, err, sql, 3, par);
	if (r < 0)
		return r;
	*out = strdup(res && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0)
						 : p->schema);
	PQclear(res);
	return *out ? 0 : -ENOMEM;
}

/* "schema"."table" of the epoch's table, as rfs_pg_split_path() reads. */
static int epoch_table(const struct rfs_pg *p, char **out)
{
	struct rfs_buf b = RFS_BUF_INIT;

	rfs_pg_add_qname(&b, p->schema, p->table);
	*out = b.data ? strdup(rfs_buf_str(&b)) : NULL;
	rfs_buf_release(&b);
	return *out ? 0 : -ENOMEM;
}

/* What the caller learns of the item. */
static int fill(struct rfs_rel_item *out, const struct rfs_pg_item *it)
{
	struct rfs_buf b = RFS_BUF_INIT;

	rfs_rel_item_release(out);
	out->rows = it->rows;
	if (asprintf(&out->relation, "%s.%s", it->schema, it->name) < 0)
		out->relation = NULL;
	if (it->parent &&
	    asprintf(&out->parent, "%s.%s", it->parent_schema, it->parent) < 0)
		out->parent = NULL;
	out->bound = it->bound ? strdup(it->bound) : NULL;
	rfs_pg_add_bin(&b, it);
	out->copy = b.data ? strdup(rfs_buf_str(&b)) : NULL;
	rfs_buf_release(&b);
	if (!out->relation || (it->parent && !out->parent) ||
	    (it->bound && !out->bound) || !out->copy)
		return -ENOMEM;
	return 0;
}

static int total_size(PGconn *c, const struct rfs_pg_item *it, int64_t *bytes,
		      struct rfs_error *err)
{
	struct rfs_buf q = RFS_BUF_INIT;
	PGresult *res;
	int r;

	rfs_buf_addstr(&q, "SELECT pg_total_relation_size('");
	rfs_pg_add_qname(&q, it->schema, it->name);
	rfs_buf_addstr(&q, "'::regclass)");
	r = rfs_pg_run(c, &q, &res, err);
	if (r == 0) {
		*bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	return r;
}

/* Archive steps: the source is folder it->key of this backend; @p c2 a
 * second connection to it for the sync and the verify, or NULL; @p rd a
 * third one, the sync's reader (rfs_pg_sync3()), or NULL; @p m the
 * connection to a recycle location in another database, or NULL. */
static int archive_step(PGconn *c, PGconn *c2, PGconn *rd, PGconn *m,
			struct rfs_pg *p, enum rfs_rel_step step,
			const char *bschema, const char *bname,
			struct rfs_rel_item *out, struct rfs_error *err)
{
	struct rfs_pg_item it = { 0 };
	char *name = NULL, *schema = NULL, *parent = NULL;
	int r;

	if (step != RFS_REL_SNAPSHOT) {
		r = rfs_pg_item_load(m ? m : c, bschema, bname, &it, err);
		if (step == RFS_REL_DESCRIBE) {
			if (r == 0)
				r = fill(out, &it);
			rfs_pg_item_release(&it);
			return r;
		}
		if (r == 0)
			goto loaded;
		if (r != -ENOENT || step != RFS_REL_SYNC)
			return r;
	}
	/* A fresh snapshot: the snapshot step, or a sync not yet done
	 * (which hashes the source in the snapshot it copies). */
	r = rfs_pg_name_decode(out->key, strlen(out->key), &name);
	if (r < 0)
		return rfs_error_set(err, ENOENT, "no table '%s' in '%s'",
				     out->key, p->t.display);
	r = table_schema(c, p, name, &schema, err);
	if (r == 0 && p->table && strcmp(name, p->table))
		r = epoch_table(p, &parent);
	if (r == 0)
		r = rfs_pg_precheck(c, schema, name, parent, bschema, bname,
				    out->origin, &it, err);
	free(name);
	free(schema);
	free(parent);
	if (r < 0)
		return r;
loaded:
	it.mc = m; /* the copy in another database, or NULL */
	switch (step) {
	case RFS_REL_SNAPSHOT:
		r = total_size(c, &it, &out->bytes, err);
		break;
	case RFS_REL_SYNC:
		r = m ? rfs_pg_sync_stream(c, &it, err)
		      : rfs_pg_sync3(c, c2, rd, &it, err);
		break;
	case RFS_REL_VERIFY:
		r = rfs_pg_verify2(c, c2, &it, err);
		break;
	case RFS_REL_UNPUBLISH:
		r = rfs_pg_unpublish(c, &it, err);
		break;
	case RFS_REL_DELETE:
		r = rfs_pg_delete(c, &it, err);
		break;
	case RFS_REL_FINISH:
		r = rfs_pg_manifest(c, &it, err);
		break;
	default:
		r = -EINVAL;
	}
	if (r == 0)
		r = fill(out, &it);
	rfs_pg_item_release(&it);
	return r;
}

/* Where a restore lands: folder it->key of this backend (the table of
 * the query's "table=schema.name" when given), attached to the epoch's
 * partitioned table unless the epoch is a schema or the table itself. */
static int restore_target(struct rfs_pg *p, const char *key,
			  struct rfs_pg_target_table *to, char **s, char **n,
			  struct rfs_error *err)
{
	int r;

	memset(to, 0, sizeof(*to));
	if (p->t.table) {
		r = rfs_pg_split_path(p->t.table, s, n, err);
		if (r == 0 && !*n)
			r = rfs_error_set(err, EINVAL,
					  "'%s': table=%s names no table "
					  "(schema.table)",
					  p->t.display, p->t.table);
		if (r < 0)
			return r;
	} else {
		r = rfs_pg_name_decode(key, strlen(key), n);
		if (r < 0)
			return rfs_error_set(err, EINVAL, "'%s' names no table",
					     key);
		*s = strdup(p->schema);
		if (!*s)
			return -ENOMEM;
	}
	to->schema = *s;
	to->name = *n;
	if (p->table && strcmp(*n, p->table)) {
		to->parent_schema = p->schema;
		to->parent = p->table;
	} else {
		to->no_parent = 1;
	}
	return 0;
}

static int restore_step(PGconn *c, PGconn *m, struct rfs_pg *p,
			enum rfs_rel_step step, const char *bschema,
			const char *bname, struct rfs_rel_item *out,
			struct rfs_error *err)
{
	struct rfs_pg_target_table to;
	struct rfs_pg_item it = { 0 };
	char *s = NULL, *n = NULL;
	int r;

	r = rfs_pg_item_load(m ? m : c, bschema, bname, &it, err);
	it.mc = m;
	if (r == -ENOENT)
		return rfs_error_set(err, ENOENT,
				     "restore refused: recycle copy %s.%s is "
				     "missing",
				     bschema, bname);
	if (r == 0 && strcmp(it.state, "archived"))
		r = rfs_error_set(err, EBUSY,
				  "restore refused: recycle copy %s.%s is not "
				  "archived (%s)",
				  bschema, bname, it.state);
	if (r == 0)
		r = restore_target(p, out->key, &to, &s, &n, err);
	if (r == 0) {
		switch (step) {
		case RFS_REL_RESTORE_CHECK:
			r = rfs_pg_restore_check(c, &it, &to, err);
			break;
		case RFS_REL_RESTORE_COPY:
			r = rfs_pg_restore_copy(c, &it, &to, err);
			break;
		case RFS_REL_RESTORE_VERIFY:
			r = rfs_pg_restore_verify(c, &it, &to, err);
			break;
		default:
			r = rfs_pg_restore_attach(c, &it, &to, err);
		}
	}
	if (r == 0)
		r = fill(out, &it);
	if (r == 0) {
		/* the restored table's name and parent, not the origin's */
		free(out->relation);
		free(out->parent);
		out->parent = NULL;
		if (asprintf(&out->relation, "%s.%s", to.schema, to.name) < 0)
			out->relation = NULL;
		if (to.parent && asprintf(&out->parent, "%s.%s",
					  to.parent_schema, to.parent) < 0)
			out->parent = NULL;
		if (!out->relation || (to.parent && !out->parent))
			r = -ENOMEM;
	}
	free(s);
	free(n);
	rfs_pg_item_release(&it);
	return r;
}

/* Purge: an archive that finished drops its copy; one that did not is
 * undone first (the source attached again), unless its source is gone. */
static int purge_step(PGconn *c, PGconn *m, const char *bschema,
		      const char *bname, struct rfs_rel_item *out,
		      struct rfs_error *err)
{
	struct rfs_pg_item it = { 0 };
	int r = rfs_pg_item_load(m ? m : c, bschema, bname, &it, err);

	if (r == -ENOENT)
		return 0; /* purged already, or never copied */
	if (r < 0)
		return r;
	it.mc = m;
	r = fill(out, &it);
	if (r == 0)
		r = strcmp(it.state, "archived")
			    ? rfs_pg_abort(c, &it, err)
			    : rfs_pg_purge(m ? m : c, &it, err);
	rfs_pg_item_release(&it);
	return r;
}

static int pg_rel_step(struct rfs_backend *b, enum rfs_rel_step step,
		       struct rfs_rel_item *out, struct rfs_error *err)
{
	struct rfs_pg *p = (struct rfs_pg *)b;
	struct rfs_pg_target bt;
	char *bschema = NULL, bname[64];
	PGconn *c = NULL, *c2 = NULL, *rd = NULL, *m = NULL;
	int64_t t0 = rfs_time_mono_ns(), t1 = t0;
	bool other = false;
	int r;

	r = bin_target(out->bin_uri, &bt, &bschema, err);
	if (r < 0)
		return r;
	r = rfs_pg_copy_name(out->origin, out->id, bname, err);
	if (r == 0)
		r = pool_get(p, &p->t, &c, err);
	/* a recycle location in another database: a second connection,
	 * the rows streamed with COPY (copy_stream.h) */
	other = !same_db(&p->t, &bt);
	if (r == 0 && other)
		r = pool_get(p, &bt, &m, err);
	if (r == 0) {
		if (step == RFS_REL_PURGE)
			r = purge_step(c, m, bschema, bname, out, err);
		else if (step >= RFS_REL_RESTORE_CHECK &&
			 step <= RFS_REL_RESTORE_ATTACH)
			r = restore_step(c, m, p, step, bschema, bname, out,
					 err);
		else {
			struct rfs_error ignore = { 0 };

			/* work in parallel; without it, serially (a stream
			 * to another database reads on one connection) */
			if ((step == RFS_REL_VERIFY ||
			     (step == RFS_REL_SYNC && !m)) &&
			    pool_get(p, &p->t, &c2, &ignore) < 0)
				c2 = NULL;
			/* the sync's reader: rows streamed with COPY */
			if (step == RFS_REL_SYNC && !m &&
			    pool_get(p, &p->t, &rd, &ignore) < 0)
				rd = NULL;
			t1 = rfs_time_mono_ns();
			r = archive_step(c, c2, rd, m, p, step, bschema, bname,
					 out, err);
		}
	}
	rfs_log(LOG_DEBUG,
		"%s: step %d of %s: %d after %.3f s (connections %.3f s)",
		p->t.display, (int)step, bname, r,
		(rfs_time_mono_ns() - t0) / 1e9,
		(t1 == t0 ? 0 : t1 - t0) / 1e9);
	pool_put(p, &p->t, rd);
	pool_put(p, &p->t, c2);
	pool_put(p, &bt, m);
	pool_put(p, &p->t, c);
	free(bschema);
	rfs_pg_target_release(&bt);
	return r;
}

/* postgres://host:port/db/recyclebin, with the storage's settings. */
static int pg_rel_bin_uri(struct rfs_backend *b, char **out)
{
	const char *uri = b->uri, *auth = strstr(uri, "://");
	const char *path = auth ? strchr(auth + 3, '/') : NULL;
	const char *q = strchr(uri, '?');
	size_t dblen;

	if (!path || (q && path > q))
		return asprintf(out, "%.*s/recyclebin%s",
				(int)(q ? (size_t)(q - uri) : strlen(uri)), uri,
				q ? q : "") < 0
			       ? -ENOMEM
			       : 0;
	dblen = strcspn(path + 1, "/?");
	return asprintf(out, "%.*s/recyclebin%s", (int)(path + 1 + dblen - uri),
			uri, q ? q : "") < 0
		       ? -ENOMEM
		       : 0;
}

static int pg_rel_manifests(struct rfs_backend *b, const char *bin_uri,
			    rfs_rel_manifest_fn fn, void *ctx,
			    struct rfs_error *err)
{
	struct rfs_pg *p = (struct rfs_pg *)b;
	struct rfs_buf sql = RFS_BUF_INIT;
	struct rfs_pg_target bt;
	char *bschema = NULL;
	PGresult *res = NULL;
	PGconn *c = NULL;
	int r;

	r = bin_target(bin_uri, &bt, &bschema, err);
	if (r < 0)
		return r;
	/* the manifest table is where the copies are */
	r = pool_get(p, same_db(&p->t, &bt) ? &p->t : &bt, &c, err);
	if (r == 0) {
		rfs_buf_addstr(&sql, "SELECT m.bin_name, m.origin, m.state, "
				     "m.rows, coalesce(pg_total_relation_size("
				     "to_regclass(format('%I.%I', $1::text, "
				     "m.bin_name))), 0), (extract(epoch FROM "
				     "m.copied_at) * 1e9)::bigint, coalesce(("
				     "extract(epoch FROM m.archived_at) * "
				     "1e9)::bigint, 0) FROM ");
		rfs_pg_add_qname(&sql, bschema, "rfs_manifest");
		rfs_buf_addstr(&sql, " m ORDER BY m.copied_at, m.bin_name");
		if (!sql.data) {
			r = -ENOMEM;
		} else {
			const char *par[] = { bschema };

			r = rfs_pg_query(c, &res, err, rfs_buf_str(&sql), 1,
					 par);
		}
		if (r == -ENOENT) /* no manifest table: nothing archived */
			r = 0;
	}
	for (int i = 0; r == 0 && res && i < PQntuples(res); i++) {
		struct rfs_rel_manifest m = {
			.copy = PQgetvalue(res, i, 0),
			.origin = PQgetisnull(res, i, 1)
					  ? NULL
					  : PQgetvalue(res, i, 1),
			.state = PQgetvalue(res, i, 2),
			.rows = strtoll(PQgetvalue(res, i, 3), NULL, 10),
			.bytes = strtoll(PQgetvalue(res, i, 4), NULL, 10),
			.copied_ns = strtoll(PQgetvalue(res, i, 5), NULL, 10),
			.archived_ns = strtoll(PQgetvalue(res, i, 6), NULL, 10),
		};

		r = fn(ctx, &m);
	}
	PQclear(res);
	rfs_buf_release(&sql);
	pool_put(p, same_db(&p->t, &bt) ? &p->t : &bt, c);
	free(bschema);
	rfs_pg_target_release(&bt);
	return r;
}

const struct rfs_backend_rel_ops rfs_pg_rel_ops = {
	.bin_uri = pg_rel_bin_uri,
	.step = pg_rel_step,
	.manifests = pg_rel_manifests,
	.bin_key = rfs_pg_bin_key,
};
