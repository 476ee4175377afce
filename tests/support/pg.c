/*
 * The PostgreSQL fixture of the integration tests (see pg.h).
 */
#include "tests/support/pg.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

char rfs_test_pg_db[32];

static bool started; /* this runner started the cluster */

/* A cluster of one test's own, stopped by teardown even after a failed
 * assertion: its pg_ctl line. */
static char private_stop[512];
static const char *const shared_keys[] = { "RFS_TEST_PG_PORT",
					   "RFS_TEST_PG_SOCKDIR",
					   "RFS_TEST_PG_DATA",
					   "RFS_TEST_PG_PASSWORD" };
static char *shared_env[4]; /* the shared cluster's, while away from it */

int rfs_test_pg_sh(struct rfs_test_out *out, const char *line)
{
	struct rfs_test_out mine = { 0 };
	char cmd[2048];
	const char *argv[] = { "sh", "-c", cmd, NULL };
	int r;

	snprintf(cmd, sizeof(cmd), ". '%s'; %s", getenv("RFS_TEST_PG_SH"),
		 line);
	r = rfs_test_run(out ? out : &mine, argv);
	rfs_test_out_release(&mine);
	return r;
}

/* Run @p line and take the RFS_TEST_PG_* lines it prints as the
 * environment. */
static int take_env(const char *line)
{
	struct rfs_test_out out = { 0 };
	char *l, *save = NULL;
	int r = rfs_test_pg_sh(&out, line);

	if (r != 0)
		fprintf(stderr, "%s", out.err);
	for (l = strtok_r(out.out, "\n", &save); r == 0 && l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');

		if (eq) {
			*eq = '\0';
			setenv(l, eq + 1, 1);
		}
	}
	rfs_test_out_release(&out);
	return r;
}

void rfs_test_pg_start(void)
{
	if (getenv("RFS_TEST_PG_PORT"))
		return;
	if (take_env("pg_start >&2 && pg_fixture rfs_fixture >&2 && env | "
		     "grep '^RFS_TEST_PG_'") != 0)
		return;
	setenv("RFS_TEST_PG_STARTED", "1", 1);
	started = true;
}

void rfs_test_pg_stop(void)
{
	if (started)
		rfs_test_pg_sh(NULL, "pg_stop");
}

char *rfs_test_psql(const char *d, const char *fmt, ...)
{
	struct rfs_test_out out = { 0 };
	char sql[4096], bin[512], *r;
	va_list ap;
	const char *argv[] = { bin,  "-X",
			       "-q", "-At",
			       "-v", "ON_ERROR_STOP=1",
			       "-h", getenv("RFS_TEST_PG_SOCKDIR"),
			       "-p", getenv("RFS_TEST_PG_PORT"),
			       "-U", "postgres",
			       "-d", d,
			       "-c", sql,
			       NULL };

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	snprintf(bin, sizeof(bin), "%s/psql", getenv("RFS_TEST_PG_BIN"));
	cr_assert_eq(rfs_test_run(&out, argv), 0, "psql: %s: %s", sql, out.err);
	r = strdup(out.out);
	if (r[0] && r[strlen(r) - 1] == '\n')
		r[strlen(r) - 1] = '\0';
	rfs_test_out_release(&out);
	return r;
}

void rfs_test_pg_setup(const char *prefix)
{
	if (!getenv("RFS_TEST_PG_PORT")) {
		if (getenv("CI"))
			cr_assert_fail("no PostgreSQL server: %s",
				       getenv("RFS_TEST_PG_WHY")
					       ? getenv("RFS_TEST_PG_WHY")
					       : "pg_start failed");
		cr_skip_test("PostgreSQL's binaries are missing "
			     "(scripts/deps.sh test installs postgresql)");
	}
	snprintf(rfs_test_pg_db, sizeof(rfs_test_pg_db), "%s%d", prefix,
		 (int)getpid());
	free(rfs_test_psql("postgres",
			   "CREATE DATABASE %s TEMPLATE rfs_fixture",
			   rfs_test_pg_db));
	setenv("PGUSER", "postgres", 1);
	setenv("PGPASSWORD", getenv("RFS_TEST_PG_PASSWORD"), 1);
	unsetenv("PGSERVICE");
}

/* Stop the test's own cluster, if any, and point back at the shared one. */
static void private_end(void)
{
	if (private_stop[0])
		rfs_test_pg_sh(NULL, private_stop);
	private_stop[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (shared_env[i]) {
			setenv(shared_keys[i], shared_env[i], 1);
			free(shared_env[i]);
			shared_env[i] = NULL;
		}
}

void rfs_test_pg_teardown(void)
{
	private_end();
	if (!rfs_test_pg_db[0] || !getenv("RFS_TEST_PG_PORT"))
		return;
	free(rfs_test_psql("postgres",
			   "DROP DATABASE IF EXISTS %s WITH (FORCE)",
			   rfs_test_pg_db));
	free(rfs_test_psql("postgres",
			   "DROP DATABASE IF EXISTS %sb WITH (FORCE)",
			   rfs_test_pg_db));
}

void rfs_test_pg_private(void)
{
	char line[256];

	for (int i = 0; i < 4; i++)
		shared_env[i] = strdup(getenv(shared_keys[i]));
	snprintf(line, sizeof(line),
		 "unset RFS_TEST_PG_PORT; pg_start >&2 && pg_fixture %s >&2 "
		 "&& env | grep '^RFS_TEST_PG_'",
		 rfs_test_pg_db);
	cr_assert_eq(take_env(line), 0);
	snprintf(private_stop, sizeof(private_stop),
		 "RFS_TEST_PG_STARTED=1 RFS_TEST_PG_BIN='%s' "
		 "RFS_TEST_PG_DATA='%s' RFS_TEST_PG_SOCKDIR='%s'; pg_stop",
		 getenv("RFS_TEST_PG_BIN"), getenv("RFS_TEST_PG_DATA"),
		 getenv("RFS_TEST_PG_SOCKDIR"));
	setenv("PGPASSWORD", getenv("RFS_TEST_PG_PASSWORD"), 1);
}

const char *rfs_test_pg_uri(const char *path)
{
	static char buf[4][256];
	static int n;
	char *b = buf[n++ % 4];

	snprintf(b, 256, "postgres://127.0.0.1:%s/%s%s%s",
		 getenv("RFS_TEST_PG_PORT"), rfs_test_pg_db, *path ? "/" : "",
		 path);
	return b;
}

char *rfs_test_pg_content(const char *qname)
{
	return PSQL("SELECT count(*) || ' ' || md5(coalesce(string_agg("
		    "t::text, E'\\n' ORDER BY t::text COLLATE \"C\"), '')) "
		    "FROM ONLY %s t",
		    qname);
}

PGconn *rfs_test_pg_hold(const char *sql)
{
	const char *keys[] = { "host", "port", "user", "dbname", NULL };
	const char *vals[] = { getenv("RFS_TEST_PG_SOCKDIR"),
			       getenv("RFS_TEST_PG_PORT"), "postgres",
			       rfs_test_pg_db, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	PGresult *res;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "hold: %s", PQerrorMessage(c));
	res = PQexec(c, sql);
	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK ||
			  PQresultStatus(res) == PGRES_TUPLES_OK,
		  "hold: %s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	return c;
}

void rfs_test_pg_release(PGconn *c)
{
	if (c)
		PQfinish(c); /* the server rolls back what it held */
}

int rfs_test_pg_blocked(PGconn *holder, const char *like, double seconds)
{
	struct timespec t0, t;
	char by[32] = "";

	if (holder)
		snprintf(by, sizeof(by), "%d = ANY", PQbackendPID(holder));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *s = PSQL("SELECT coalesce(min(pid), 0) FROM "
			       "pg_stat_activity WHERE datname = "
			       "current_database() AND pid <> "
			       "pg_backend_pid() AND query LIKE '%s' AND "
			       "%s(pg_blocking_pids(pid))%s",
			       like, holder ? by : "cardinality",
			       holder ? "" : " > 0");
		int pid = atoi(s);

		free(s);
		if (pid)
			return pid;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 >
		    seconds)
			break;
		usleep(50000);
	}
	cr_assert_fail("no backend runs '%s' blocked%s within %.0f s", like,
		       holder ? " by the holding session" : "", seconds);
	return 0;
}
