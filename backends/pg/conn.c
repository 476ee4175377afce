/*
 * Connections of the PostgreSQL adapter: what a postgres:// URI says,
 * connecting with libpq's own credential sources, running queries with
 * their errors mapped to errno in one place, and quoting identifiers.
 */
#include "backends/pg/pg_priv.h"

#include "util/uri.h"
#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The libpq settings a URI's query may carry. A password may not. */
static const char *const allowed_keys[] = {
	"user",
	"host",
	"sslmode",
	"sslrootcert",
	"sslcert",
	"sslkey",
	"sslcrl",
	"service",
	"connect_timeout",
	"application_name",
	"target_session_attrs",
	"passfile",
	"gssencmode",
	"krbsrvname",
	"channel_binding",
};

static bool key_allowed(const char *k)
{
	for (size_t i = 0; i < sizeof(allowed_keys) / sizeof(*allowed_keys);
	     i++)
		if (!strcmp(allowed_keys[i], k))
			return true;
	return false;
}

void rfs_pg_target_release(struct rfs_pg_target *t)
{
	for (int i = 0; i < t->nkeys; i++) {
		free(t->keys[i]);
		free(t->values[i]);
	}
	free(t->keys);
	free(t->values);
	free(t->host);
	free(t->port);
	free(t->db);
	free(t->where);
	free(t->display);
	free(t->table);
	free(t->schema);
	memset(t, 0, sizeof(*t));
}

/* Split the authority "host", "host:port", "[v6]:port" or "". */
static int parse_authority(const char *a, struct rfs_pg_target *t)
{
	const char *colon, *end = a + strlen(a);

	if (!*a)
		return 0;
	if (*a == '[') {
		const char *close = strchr(a, ']');

		if (!close)
			return -EINVAL;
		t->host = strndup(a + 1, close - a - 1);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(a, ':');
		t->host = strndup(a, colon ? (size_t)(colon - a)
					   : (size_t)(end - a));
	}
	if (!t->host)
		return -ENOMEM;
	if (colon) {
		if (!colon[1] ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return -EINVAL;
		t->port = strdup(colon + 1);
		if (!t->port)
			return -ENOMEM;
	}
	return 0;
}

/* Parse the query "k=v&k2=v2" into keyword/value pairs. */
static int parse_query(const struct rfs_uri *u, struct rfs_pg_target *t,
		       struct rfs_error *err)
{
	char *q = strdup(u->query), *save = NULL, *tok;
	int r = 0, n = 1;

	if (!q)
		return -ENOMEM;
	for (const char *s = q; *s; s++)
		n += *s == '&';
	t->keys = calloc(n, sizeof(char *));
	t->values = calloc(n, sizeof(char *));
	if (!t->keys || !t->values) {
		free(q);
		return -ENOMEM;
	}
	for (tok = strtok_r(q, "&", &save); tok && r == 0;
	     tok = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(tok, '=');

		if (eq)
			*eq = '\0';
		if (!strcmp(tok, "password")) {
			r = rfs_error_set(err, EINVAL,
					  "storage '%s': a password may not be "
					  "part of the URI (use PGPASSWORD, "
					  "~/.pgpass or PGSERVICE)",
					  t->display);
			break;
		}
		if (!strcmp(tok, "table") || !strcmp(tok, "schema")) {
			/* a restore's target table, a recycle location's
			 * schema: not libpq settings */
			char **v = tok[0] == 't' ? &t->table : &t->schema;

			free(*v);
			*v = NULL;
			r = rfs_uri_query_get(u, tok, v);
			r = r == 1 ? 0 : r < 0 ? r : -ENOENT;
			continue;
		}
		if (!key_allowed(tok)) {
			r = rfs_error_set(err, EINVAL,
					  "storage '%s': unknown option '%s'",
					  t->display, tok);
			break;
		}
		t->keys[t->nkeys] = strdup(tok);
		if (!t->keys[t->nkeys])
			r = -ENOMEM;
		else if ((r = rfs_uri_query_get(u, tok,
						&t->values[t->nkeys])) == 1)
			r = 0;
		else if (r == 0)
			r = -ENOENT;
		t->nkeys++;
	}
	free(q);
	return r < 0 ? r : 0;
}

int rfs_pg_target_parse(const struct rfs_uri *u, const char *uri,
			struct rfs_pg_target *t, struct rfs_error *err)
{
	const char *slash;
	int r;

	memset(t, 0, sizeof(*t));
	t->display = rfs_uri_strip_query(uri);
	if (!t->display)
		return -ENOMEM;
	r = parse_authority(u->authority, t);
	if (r == -EINVAL)
		r = rfs_error_set(err, EINVAL,
				  "storage '%s': malformed host or port",
				  t->display);
	if (r < 0)
		goto fail;
	slash = strchr(u->path, '/');
	if (*u->path) {
		t->db = slash ? strndup(u->path, slash - u->path)
			      : strdup(u->path);
		if (!t->db) {
			r = -ENOMEM;
			goto fail;
		}
	}
	t->where = strdup(slash ? slash + 1 : "");
	if (!t->where) {
		r = -ENOMEM;
		goto fail;
	}
	r = parse_query(u, t, err);
	if (r < 0)
		goto fail;
	return 0;
fail:
	rfs_pg_target_release(t);
	return r;
}

/* The last line of a libpq message, without its "FATAL:  " or "ERROR:  ". */
static void one_line(char *out, size_t size, const char *msg)
{
	const char *s = msg ? msg : "", *p;
	size_t n;

	while ((p = strchr(s, '\n')) && p[1])
		s = p + 1;
	for (const char *pre = NULL;
	     (pre = strstr(s, "FATAL:  ")) || (pre = strstr(s, "ERROR:  "));)
		s = pre + 8;
	n = strcspn(s, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int rfs_pg_target_connect(const struct rfs_pg_target *t, PGconn **out,
			  struct rfs_error *err)
{
	const char *keys[32], *vals[32];
	char line[512];
	PGconn *c;
	int n = 0, r;

	keys[n] = "options";
	vals[n++] = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c "
		    "IntervalStyle=postgres -c extra_float_digits=3 -c "
		    "bytea_output=hex -c client_min_messages=warning";
	keys[n] = "client_encoding";
	vals[n++] = "UTF8";
	keys[n] = "fallback_application_name";
	vals[n++] = "recyclefs";
	if (t->host) {
		keys[n] = "host";
		vals[n++] = t->host;
	}
	if (t->port) {
		keys[n] = "port";
		vals[n++] = t->port;
	}
	if (t->db) {
		keys[n] = "dbname";
		vals[n++] = t->db;
	}
	for (int i = 0; i < t->nkeys && n < 30; i++) {
		keys[n] = t->keys[i];
		vals[n++] = t->values[i];
	}
	keys[n] = NULL;
	vals[n] = NULL;
	c = PQconnectdbParams(keys, vals, 0);
	if (!c)
		return -ENOMEM;
	if (PQstatus(c) != CONNECTION_OK) {
		const char *m = PQerrorMessage(c);

		one_line(line, sizeof(line), m);
		r = strstr(m, "authentication failed") ||
				    strstr(m, "no password supplied") ||
				    strstr(m, "no pg_hba.conf entry")
			    ? EACCES
			    : EIO;
		rfs_error_set(err, r, "storage '%s': cannot connect: %s",
			      t->display, line);
		PQfinish(c);
		return -r;
	}
	*out = c;
	return 0;
}

/* One SQLSTATE to errno. */
static int state_errno(const char *st)
{
	if (!st)
		return EIO;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3) ||
	    !strncmp(st, "53", 2) || !strcmp(st, "XX000"))
		return EIO;
	if (!strcmp(st, "42P01") || !strcmp(st, "3F000") ||
	    !strcmp(st, "42704"))
		return ENOENT;
	if (!strcmp(st, "42P07") || !strcmp(st, "42710") ||
	    !strncmp(st, "23505", 5))
		return EEXIST;
	if (!strcmp(st, "55P03") || !strcmp(st, "40001") ||
	    !strcmp(st, "40P01") || !strcmp(st, "55006"))
		return EBUSY;
	if (!strcmp(st, "42501") || !strncmp(st, "28", 2))
		return EACCES;
	return EINVAL;
}

int rfs_pg_fail(PGconn *c, PGresult *pr, struct rfs_error *err)
{
	char line[512];
	int code;

	if (!pr && PQstatus(c) != CONNECTION_BAD)
		return -ENOMEM;
	code = PQstatus(c) == CONNECTION_BAD
		       ? EIO
		       : state_errno(PQresultErrorField(pr, PG_DIAG_SQLSTATE));
	if (pr && PQresultErrorField(pr, PG_DIAG_MESSAGE_PRIMARY))
		one_line(line, sizeof(line),
			 PQresultErrorField(pr, PG_DIAG_MESSAGE_PRIMARY));
	else
		one_line(line, sizeof(line), PQerrorMessage(c));
	rfs_error_set(err, code, "postgres: %s", line);
	PQclear(pr);
	return -code;
}

int rfs_pg_query(PGconn *c, PGresult **res, struct rfs_error *err,
		 const char *sql, int n, const char *const *params)
{
	/* without parameters, several statements may be sent at once */
	PGresult *pr = n ? PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0)
			 : PQexec(c, sql);
	ExecStatusType s = pr ? PQresultStatus(pr) : PGRES_FATAL_ERROR;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		if (res)
			*res = pr;
		else
			PQclear(pr);
		return 0;
	}
	return rfs_pg_fail(c, pr, err);
}

int rfs_pg_exec(PGconn *c, struct rfs_error *err, const char *sql)
{
	return rfs_pg_query(c, NULL, err, sql, 0, NULL);
}

int rfs_pg_add_ident(struct rfs_buf *b, const char *id)
{
	int r = rfs_buf_addch(b, '"');

	for (const char *s = id; r == 0 && *s; s++)
		r = *s == '"' ? rfs_buf_addstr(b, "\"\"")
			      : rfs_buf_addch(b, *s);
	return r ? r : rfs_buf_addch(b, '"');
}

int rfs_pg_add_qname(struct rfs_buf *b, const char *schema, const char *name)
{
	int r = rfs_pg_add_ident(b, schema);

	if (r == 0)
		r = rfs_buf_addch(b, '.');
	return r ? r : rfs_pg_add_ident(b, name);
}

/* Read one part of a path at *s: quoted or up to the next dot. */
static int path_part(const char **s, char **out)
{
	struct rfs_buf b = RFS_BUF_INIT;
	const char *p = *s;
	int r = 0;

	if (*p == '"') {
		for (p++;; p++) {
			if (!*p) {
				rfs_buf_release(&b);
				return -EINVAL;
			}
			if (*p == '"' && p[1] == '"') {
				r = rfs_buf_addch(&b, '"');
				p++;
			} else if (*p == '"') {
				p++;
				break;
			} else {
				r = rfs_buf_addch(&b, *p);
			}
			if (r < 0)
				break;
		}
	} else {
		size_t n = strcspn(p, ".\"");

		if (p[n] == '"') {
			rfs_buf_release(&b);
			return -EINVAL;
		}
		r = rfs_buf_add(&b, p, n);
		p += n;
	}
	if (r == 0 && b.len == 0)
		r = -EINVAL;
	if (r < 0) {
		rfs_buf_release(&b);
		return r;
	}
	*out = rfs_buf_detach(&b);
	*s = p;
	return *out ? 0 : -ENOMEM;
}

int rfs_pg_split_path(const char *path, char **schema, char **table,
		      struct rfs_error *err)
{
	const char *s = path;
	char *a = NULL, *b = NULL;
	int r = path_part(&s, &a);

	if (r == 0 && *s == '.') {
		s++;
		r = path_part(&s, &b);
	}
	if (r == 0 && *s)
		r = -EINVAL;
	if (r == -EINVAL)
		r = rfs_error_set(err, EINVAL,
				  "'%s' is not a schema or schema.table (quote "
				  "a name holding a dot: \"a.b\")",
				  path);
	if (r < 0) {
		free(a);
		free(b);
		return r;
	}
	*schema = a;
	*table = b;
	return 0;
}
