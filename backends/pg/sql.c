/*
 * Statement helpers every PostgreSQL step uses: run a built statement,
 * end a transaction by its result, compare a relation with an item's
 * count and hash.
 */
#include "backends/pg/sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rfs_pg_run(PGconn *c, struct rfs_buf *sql, PGresult **res,
	       struct rfs_error *err)
{
	int r = sql->data ? rfs_pg_query(c, res, err, rfs_buf_str(sql), 0, NULL)
			  : -ENOMEM;

	rfs_buf_release(sql);
	return r;
}

int rfs_pg_end(PGconn *c, int r, struct rfs_error *err)
{
	if (r < 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		return r;
	}
	return rfs_pg_exec(c, err, "COMMIT");
}

int rfs_pg_add_bin(struct rfs_buf *b, const struct rfs_pg_item *it)
{
	return rfs_pg_add_qname(b, it->bin_schema, it->bin_name);
}

int rfs_pg_same(PGconn *c, const char *oid, const struct rfs_pg_item *it,
		const char *what, struct rfs_error *err)
{
	char hash[RFS_PG_HASH_MAX];
	int64_t rows;
	int r = rfs_pg_count_hash(c, oid, it->hash, &rows, hash, err);

	if (r < 0)
		return r;
	if (rows == it->rows && !strcmp(hash, it->hash))
		return 0;
	return rfs_error_set(err, ESTALE,
			     "%s %s.%s changed since its snapshot (%lld rows, "
			     "hash %.15s; snapshot %lld rows, hash %.15s)",
			     what, it->schema, it->name, (long long)rows, hash,
			     (long long)it->rows, it->hash);
}

char *rfs_pg_dup_or_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL
					  : strdup(PQgetvalue(res, row, col));
}
