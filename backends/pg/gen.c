/*
 * The generated files of the read-only tree (schema.sql, data.csv): kept
 * a few seconds in memfds, so that the size stat gives is the size read
 * gives, and dropped at once when the mount says recyclefs changed the
 * storage (rfs_pg_gen_forget(), the port's forget).
 *
 * Every forget counts one more change (rfs_pg::changes); a file generated
 * by a request that began before the last change is handed to that
 * request but not kept, so no answer read before a job step outlives the
 * forget that followed the step.
 */
#include "backends/pg/pg_priv.h"

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rfs_pg_gen_find(struct rfs_pg *p, const char *key, int *fd, off_t *size,
		    uint64_t *changes)
{
	int64_t now = rfs_time_mono_ns();
	int r = -ENOENT;

	pthread_mutex_lock(&p->lock);
	*changes = p->changes;
	for (int i = 0; i < GEN_SLOTS; i++) {
		struct gen *s = &p->gens[i];

		if (s->key && !strcmp(s->key, key) &&
		    now - s->born < GEN_TTL_NS) {
			*fd = dup(s->fd);
			*size = s->size;
			r = *fd < 0 ? -errno : 0;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* Drop slot @p g. Called with the lock held. */
static void drop_locked(struct gen *g)
{
	if (!g->key)
		return;
	free(g->key);
	close(g->fd);
	g->key = NULL;
	g->fd = -1;
}

void rfs_pg_gen_keep_locked(struct rfs_pg *p, const char *key, int mfd,
			    off_t size, uint64_t changes)
{
	struct gen *g = &p->gens[0];
	char *k;

	if (changes != p->changes)
		return; /* made before a change the mount was told of */
	for (int i = 0; i < GEN_SLOTS; i++) {
		struct gen *s = &p->gens[i];

		if (s->key && !strcmp(s->key, key)) {
			g = s;
			break;
		}
		if (!s->key || (g->key && s->born < g->born))
			g = s;
	}
	k = strdup(key);
	mfd = k ? dup(mfd) : -1;
	if (mfd < 0) {
		free(k);
		return; /* not kept: generated again next time */
	}
	drop_locked(g);
	g->key = k;
	g->fd = mfd;
	g->size = size;
	g->born = rfs_time_mono_ns();
}

void rfs_pg_gen_forget(struct rfs_backend *b, const char *key)
{
	struct rfs_pg *p = (struct rfs_pg *)b;
	size_t n = key ? strlen(key) : 0;

	pthread_mutex_lock(&p->lock);
	p->changes++;
	for (int i = 0; i < GEN_SLOTS; i++) {
		struct gen *s = &p->gens[i];

		if (s->key && (!n || (!strncmp(s->key, key, n) &&
				      (!s->key[n] || s->key[n] == '/'))))
			drop_locked(s);
	}
	if (!n)
		p->shown_ns = rfs_time_now_ns();
	pthread_mutex_unlock(&p->lock);
}

void rfs_pg_gen_release(struct rfs_pg *p)
{
	for (int i = 0; i < GEN_SLOTS; i++)
		drop_locked(&p->gens[i]);
}

struct timespec rfs_pg_shown(struct rfs_pg *p, bool root)
{
	struct timespec ts;
	int64_t ns;

	pthread_mutex_lock(&p->lock);
	ns = p->shown_ns;
	if (root && p->listed_ns > ns)
		ns = p->listed_ns;
	pthread_mutex_unlock(&p->lock);
	ts.tv_sec = ns / RFS_NSEC_PER_SEC;
	ts.tv_nsec = ns % RFS_NSEC_PER_SEC;
	return ts;
}

int rfs_pg_gen_csv(struct rfs_pg *p, const char *oid, char kind, int fd)
{
	struct rfs_buf sql = RFS_BUF_INIT;
	PGresult *res = NULL;
	char *row;
	int r, n;

	r = rfs_buf_addstr(&sql, "COPY (SELECT * FROM ");
	if (r == 0 && kind != 'p')
		r = rfs_buf_addstr(&sql, "ONLY ");
	if (r == 0) {
		const char *par[] = { oid };

		r = rfs_pg_query(p->c, &res, &p->last,
				 "SELECT $1::oid::regclass::text", 1, par);
		if (r == 0)
			r = rfs_buf_addstr(&sql, PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (r == 0)
		r = rfs_buf_addstr(&sql, " t ORDER BY ");
	if (r == 0)
		r = rfs_pg_add_order(p->c, oid, &sql, &p->last);
	if (r == 0)
		r = rfs_buf_addstr(&sql,
				   ") TO STDOUT WITH (FORMAT csv, HEADER)");
	if (r < 0)
		goto out;
	res = PQexec(p->c, rfs_buf_str(&sql));
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		rfs_error_set(&p->last, EIO, "postgres: %s",
			      PQerrorMessage(p->c));
		PQclear(res);
		r = -EIO;
		goto out;
	}
	PQclear(res);
	while ((n = PQgetCopyData(p->c, &row, 0)) > 0) {
		if (r == 0 && write(fd, row, n) != n)
			r = -errno ? -errno : -EIO;
		PQfreemem(row);
	}
	if (n == -2)
		r = -EIO;
	while ((res = PQgetResult(p->c))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && r == 0)
			r = -EIO;
		PQclear(res);
	}
out:
	rfs_buf_release(&sql);
	return r;
}

void rfs_pg_note_listing(struct rfs_pg *p, const PGresult *res)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < PQntuples(res); i++)
		for (int c = 0; c < 2; c++)
			for (const char *v = PQgetvalue(res, i, c);; v++) {
				h = (h ^ (unsigned char)*v) * 1099511628211ULL;
				if (!*v)
					break;
			}
	pthread_mutex_lock(&p->lock);
	if (p->listed && h != p->list_print)
		p->listed_ns = rfs_time_now_ns();
	p->list_print = h;
	p->listed = true;
	pthread_mutex_unlock(&p->lock);
}
