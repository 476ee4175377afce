/*
 * core/ports: core opens storages only through the opener a program
 * hands it. This suite links core and the memory backend alone (no
 * registry, no other adapter), as every suite over the memory backend.
 */
#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/ports.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

static void teardown(void)
{
	rfs_mem_reset(NULL);
	rfs_ports_set_backends(&rfs_mem_opener);
}

TestSuite(core_ports, .fini = teardown);

Test(core_ports, the_memory_opener_opens_mem_uris)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };
	struct stat st;

	cr_assert_eq(rfs_ports_open("mem://ports/data", &b, &err), 0, "%s",
		     err.msg);
	cr_assert_str_eq(b->ops->scheme, "mem");
	cr_assert_eq(rfs_backend_mkdir(b, "dt=1", 0755), 0);
	cr_assert_eq(rfs_backend_stat(b, "dt=1", &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	rfs_backend_free(b);
	cr_assert(rfs_ports_supported("mem"));
	cr_assert_eq(rfs_ports_check_uri("mem://ports/x", &err), 0);
}

Test(core_ports, other_schemes_are_refused_with_the_reason)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_ports_open("file:///tmp", &b, &err), -EPROTONOSUPPORT);
	cr_assert_null(b);
	cr_assert(strstr(err.msg, "'file'") && strstr(err.msg, "only mem://"),
		  "%s", err.msg);
	cr_assert_not(rfs_ports_supported("file"));
	cr_assert_not(rfs_ports_supported("s3"));
	cr_assert_not(rfs_ports_supported(NULL));
}

Test(core_ports, a_malformed_uri_is_refused_before_any_adapter)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_ports_open("mem:/no-slashes", &b, &err), -EINVAL);
	cr_assert_null(b);
	cr_assert_eq(rfs_ports_check_uri("mem://s/a/../b", &err), -EINVAL);
}

Test(core_ports, without_an_opener_nothing_is_opened)
{
	struct rfs_backend *b = NULL;
	struct rfs_error err = { 0 };

	rfs_ports_set_backends(NULL);
	cr_assert_eq(rfs_ports_open("mem://ports/data", &b, &err), -ENOSYS);
	cr_assert_null(b);
	cr_assert(strstr(err.msg, "no storage adapters"), "%s", err.msg);
	cr_assert_eq(rfs_ports_check_uri("mem://ports/data", &err), -ENOSYS);
	cr_assert_not(rfs_ports_supported("mem"));
}
