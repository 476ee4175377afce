/**
 * @file pg.h
 * @brief The PostgreSQL fixture of the integration tests: a private
 *        cluster of scripts/pg.sh for the runner (or the one
 *        RFS_TEST_PG_PORT names), a database per test copied from the
 *        filled template rfs_fixture, psql as the superuser, and a cluster
 *        of one test's own for tests that restart the server.
 *
 * A suite calls rfs_test_pg_start() from its PRE_ALL report hook,
 * rfs_test_pg_stop() from POST_ALL, and rfs_test_pg_setup() and
 * rfs_test_pg_teardown() as its init and fini. Each test runs in a process
 * of its own: the state here is per process.
 */
#ifndef RFS_TESTS_SUPPORT_PG_H
#define RFS_TESTS_SUPPORT_PG_H

#include "tests/support/cmd.h"

#include <libpq-fe.h>

/** This test's database, set by rfs_test_pg_setup(). */
extern char rfs_test_pg_db[32];

/** Run @p line in sh with scripts/pg.sh sourced; @p out may be NULL.
 * @return the exit status as rfs_test_run() */
int rfs_test_pg_sh(struct rfs_test_out *out, const char *line);

/** Start the suite's cluster and fill rfs_fixture, unless RFS_TEST_PG_PORT
 * names one; the environment then describes it (RFS_TEST_PG_*). Prints
 * why on failure, and the tests skip (or fail under CI=true). */
void rfs_test_pg_start(void);

/** Stop the cluster rfs_test_pg_start() started, if it did. */
void rfs_test_pg_stop(void);

/** Skip the test without a server (fail under CI=true); create the
 * database @p prefix and the pid from rfs_fixture; set PGUSER and
 * PGPASSWORD for the superuser, unset PGSERVICE. */
void rfs_test_pg_setup(const char *prefix);

/** Stop a cluster of the test's own (rfs_test_pg_private()), then drop
 * the test's database and the one named by it and "b", if any. */
void rfs_test_pg_teardown(void);

/** Move this test to a cluster of its own, filled as rfs_fixture under
 * the test's database name (for restarts that would cut the other tests);
 * rfs_test_pg_teardown() stops it. Asserts on failure. */
void rfs_test_pg_private(void);

/** psql as the superuser on the unix socket, database @p d; asserts the
 * statement ran. @return its output without the last newline, malloc'ed */
char *rfs_test_psql(const char *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** rfs_test_psql() on the test's database. */
#define PSQL(...) rfs_test_psql(rfs_test_pg_db, __VA_ARGS__)

/** "postgres://127.0.0.1:PORT/DB[/path]" of the test's database, in one of
 * four static buffers used in turn. */
const char *rfs_test_pg_uri(const char *path);

/** The rows of @p qname by the test's own query: the count and the md5
 * of every row's text in the C collation's order, malloc'ed. */
char *rfs_test_pg_content(const char *qname);

/** Open a session of the superuser on the test's database (the unix
 * socket) and run @p sql in it, which should begin a transaction and take
 * what the test holds (a lock, a snapshot); it is held when this returns.
 * Asserts on failure. @return the session: rfs_test_pg_release() ends it */
PGconn *rfs_test_pg_hold(const char *sql);

/** End a session of rfs_test_pg_hold() (NULL: nothing), releasing what it
 * held; a session the server cut already is only freed. */
void rfs_test_pg_release(PGconn *c);

/** Wait up to @p seconds for a backend of the test's database that runs
 * a statement LIKE @p like and waits for a lock session @p holder holds
 * (pg_blocking_pids()); with @p holder NULL, blocked by any session.
 * Asserts when none comes. @return its pid */
int rfs_test_pg_blocked(PGconn *holder, const char *like, double seconds);

#endif
