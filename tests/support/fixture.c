#include "tests/support/fixture.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *rfs_test_sh_ok(struct rfs_test_mount *m, const char *fmt, ...)
{
	struct rfs_test_out o = { 0 };
	char line[8192], *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r = rfs_test_sh(m, &o, "%s", line);
	cr_assert_eq(r, 0, "'%s' exited %d: %s%s", line, r, o.out, o.err);
	s = strdup(o.out);
	rfs_test_out_release(&o);
	cr_assert_not_null(s);
	return s;
}

void rfs_test_ok(const struct rfs_test_out *out, int r, const char *what)
{
	cr_assert_eq(r, 0, "%s: status %d, stdout: %s, stderr: %s", what, r,
		     out->out ? out->out : "", out->err ? out->err : "");
}

void rfs_test_has(const char *text, const char *want)
{
	cr_assert_not_null(strstr(text, want), "want '%s' in: %s", want, text);
}

void rfs_test_new_index(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };
	char uri[160];

	free(rfs_test_sh_ok(m, "rm -f index.db index.db-wal index.db-shm"));
	rfs_test_ok(&out, rfs_test_cli(m, &out, "init"), "init");
	snprintf(uri, sizeof(uri), "file://%s", m->data);
	rfs_test_ok(&out, rfs_test_cli(m, &out, "storage", "add", "local", uri),
		    "storage add");
	rfs_test_out_release(&out);
}

void rfs_test_add_epoch_on(struct rfs_test_mount *m, const char *storage,
			   const char *uri, const char *table,
			   const char *lifecycle, const char *from,
			   const char *path)
{
	struct rfs_test_out out = { 0 };
	int r;

	r = rfs_test_cli(m, &out, "storage", "add", storage, uri);
	r = r ?: rfs_test_cli(m, &out, "table", "add", table);
	r = r ?: rfs_test_cli(m, &out, "lifecycle", "add", table, lifecycle);
	r = r
		    ?: rfs_test_cli(m, &out, "epoch", "add", table, lifecycle,
				    "--from", from, "--storage", storage,
				    "--path", path);
	rfs_test_ok(&out, r, "catalog setup");
	rfs_test_out_release(&out);
}

void rfs_test_add_bronze(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };

	free(rfs_test_sh_ok(m, "mkdir -p data/orders/b1 data/orders/b2"));
	rfs_test_ok(&out,
		    rfs_test_cli(m, &out, "lifecycle", "add", "sales.orders",
				 "bronze"),
		    "lifecycle bronze");
	rfs_test_ok(&out,
		    rfs_test_cli(m, &out, "epoch", "add", "sales.orders",
				 "bronze", "--from", "2001-01-01", "--to",
				 "2010-01-01", "--storage", "local", "--path",
				 "orders/b1"),
		    "epoch b1");
	rfs_test_ok(&out,
		    rfs_test_cli(m, &out, "epoch", "add", "sales.orders",
				 "bronze", "--from", "2010-01-01", "--storage",
				 "local", "--path", "orders/b2"),
		    "epoch b2");
	rfs_test_out_release(&out);
}
