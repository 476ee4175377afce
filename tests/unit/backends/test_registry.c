/*
 * The backend registry: schemes to adapters, and clear refusals for the
 * schemes this build cannot reach.
 */
#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "tests/unit/backends/helpers.h"
#include "util/error.h"

#include <criterion/criterion.h>
#include <string.h>

static void teardown(void)
{
	rfs_mem_reset(NULL);
}

TestSuite(backends_registry, .fini = teardown);

Test(backends_registry, opens_file_and_mem_by_scheme)
{
	struct rfs_backend *b = bk_open("file:///tmp");

	cr_assert_str_eq(b->ops->scheme, "file");
	cr_assert_str_eq(b->uri, "file:///tmp");
	cr_assert(rfs_backend_has(b, RFS_BACKEND_CAP_FD));
	rfs_backend_free(b);
	b = bk_open("mem://reg/some/prefix");
	cr_assert_str_eq(b->ops->scheme, "mem");
	cr_assert_not(rfs_backend_has(b, RFS_BACKEND_CAP_FD));
	rfs_backend_free(b);
	rfs_backend_free(NULL);
}

Test(backends_registry, scheme_supported)
{
	cr_assert(rfs_backend_scheme_supported("file"));
	cr_assert(rfs_backend_scheme_supported("mem"));
	cr_assert(rfs_backend_scheme_supported("postgres"));
	cr_assert(rfs_backend_scheme_supported("postgresql"));
	cr_assert_not(rfs_backend_scheme_supported("elasticsearch"));
	cr_assert_not(rfs_backend_scheme_supported("nosuch"));
	cr_assert_not(rfs_backend_scheme_supported(""));
}

Test(backends_registry, catalog_only_classes_have_no_data_path)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;

	cr_assert_eq(
		rfs_backend_open("elasticsearch://es.example/logs", &b, &err),
		-EPROTONOSUPPORT);
	cr_assert_null(b);
	cr_assert_eq(err.code, EPROTONOSUPPORT);
	cr_assert_str_eq(err.msg, "storage class 'elasticsearch' has no data "
				  "path in this build");
}

Test(backends_registry, postgres_uris_are_checked_without_a_server)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;

	/* a password is refused, without repeating it */
	cr_assert_eq(rfs_backend_open("postgres://db.example/sales/public?"
				      "password=s3cr3t",
				      &b, &err),
		     -EINVAL);
	cr_assert_null(b);
	cr_assert_str_eq(err.msg,
			 "storage 'postgres://db.example/sales/public': a "
			 "password may not be part of the URI (use "
			 "PGPASSWORD, ~/.pgpass or PGSERVICE)");
	rfs_error_clear(&err);
	cr_assert_eq(rfs_backend_check_uri("postgresql://db/x?sslmode=require&"
					   "user=lake",
					   &err),
		     0, "%s", err.msg);
	cr_assert_eq(rfs_backend_check_uri("postgres://db/x?nosuch=1", &err),
		     -EINVAL);
	cr_assert_neq(strstr(err.msg, "unknown option 'nosuch'"), NULL, "%s",
		      err.msg);
	rfs_error_clear(&err);
	cr_assert_eq(rfs_backend_check_uri("postgres://db/x/a.b.c", &err),
		     -EINVAL);
	cr_assert_neq(strstr(err.msg, "not a schema or schema.table"), NULL,
		      "%s", err.msg);
	rfs_error_clear(&err);
	cr_assert_eq(rfs_backend_check_uri("postgres://db/x/%22a.b%22.c", &err),
		     0, "%s", err.msg);
	/* nothing listens on port 1: one line naming the storage */
	cr_assert_eq(
		rfs_backend_open("postgres://127.0.0.1:1/x/public", &b, &err),
		-EIO);
	cr_assert_neq(strstr(err.msg, "storage 'postgres://127.0.0.1:1/x/"
				      "public': cannot connect: "),
		      NULL, "%s", err.msg);
	cr_assert_null(strchr(err.msg, '\n'));
}

Test(backends_registry, unknown_and_malformed_uris)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;

	cr_assert_eq(rfs_backend_open("gopher://x/y", &b, &err), -EINVAL);
	cr_assert_neq(strstr(err.msg, "gopher"), NULL, "%s", err.msg);
	rfs_error_clear(&err);
	cr_assert_eq(rfs_backend_open("not a uri", &b, &err), -EINVAL);
	rfs_error_clear(&err);
	cr_assert_eq(rfs_backend_open("file://host/x", &b, &err), -EINVAL);
	rfs_error_clear(&err);
	cr_assert_eq(rfs_backend_open("mem:///prefix", &b, &err), -EINVAL);
	cr_assert_neq(err.msg[0], '\0');
	cr_assert_null(b);
	/* a NULL err is allowed */
	cr_assert_eq(rfs_backend_open("gopher://x/y", &b, NULL), -EINVAL);
}
