/*
 * core/config: the table of known keys and the checks of their values.
 */
#include "core/config.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

Test(core_config, every_key_has_help_and_a_check)
{
	size_t n = 0;
	const struct rfs_config_key *k = rfs_config_keys(&n);

	cr_assert_geq(n, 4);
	for (size_t i = 0; i < n; i++) {
		cr_assert_not_null(k[i].key);
		cr_assert_not_null(k[i].help, "%s", k[i].key);
		cr_assert_gt(strlen(k[i].help), 0, "%s", k[i].key);
		cr_assert_not_null(k[i].check, "%s", k[i].key);
		/* A listed key (with a table for a pattern) is accepted. */
		if (strstr(k[i].key, ".*"))
			continue;
		cr_assert_eq(rfs_config_check(k[i].key, NULL, NULL), 0, "%s",
			     k[i].key);
	}
}

Test(core_config, unset_needs_only_a_known_key)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_config_check("jobs.workers", NULL, &err), 0);
	cr_assert_eq(
		rfs_config_check("metastore.hook.sales.orders", NULL, &err), 0);
	cr_assert_eq(rfs_config_check("jobs", NULL, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "unknown configuration key 'jobs' (see "
				  "'recyclefs config list')");
}

Test(core_config, per_table_hooks_take_only_valid_table_names)
{
	static const char *const ok[] = {
		"metastore.hook.sales.orders",
		"metastore.hook.raw",
		"metastore.hook.données",
	};
	static const char *const bad[] = {
		"metastore.hook.",     "metastore.hook..x",
		"metastore.hook.a/b",  "metastore.hook.a..b",
		"metastore.hook.x\ny", "metastore.hook.\xff",
		"metastore.hooks.x",   "metastore.hook*",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert_eq(rfs_config_check(ok[i], "/bin/hook", NULL), 0,
			     "%s", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rfs_error err = { 0 };

		cr_assert_eq(rfs_config_check(bad[i], "/bin/hook", &err),
			     -EINVAL, "%s", bad[i]);
		cr_assert_not_null(strstr(err.msg, "unknown configuration key"),
				   "%s", err.msg);
	}
}

Test(core_config, hook_values)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_config_check("metastore.hook", "/usr/bin/hook", &err),
		     0);
	cr_assert_eq(rfs_config_check("metastore.hook", "bin/hook", &err),
		     -EINVAL);
	cr_assert_not_null(strstr(err.msg, "'bin/hook' must be an absolute "
					   "path to an executable"),
			   "%s", err.msg);
	cr_assert_eq(rfs_config_check("metastore.hook", "", NULL), -EINVAL);
	cr_assert_eq(rfs_config_check("metastore.hook.t", "~/hook", NULL),
		     -EINVAL);
}

Test(core_config, worker_count_bounds)
{
	static const char *const ok[] = { "1", "2", "63", "64" };
	static const char *const bad[] = {
		"0",   "65", "-1", "", "x", "1x", "1 ", "9223372036854775808",
		"1.5",
	};
	struct rfs_error err = { 0 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(rfs_config_check("jobs.workers", ok[i], NULL), 0,
			     "%s", ok[i]);
		cr_assert_eq(
			rfs_config_check("jobs.parallel_files", ok[i], NULL), 0,
			"%s", ok[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(rfs_config_check("jobs.workers", bad[i], &err),
			     -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(rfs_config_check("jobs.workers", "65", &err), -EINVAL);
	cr_assert_str_eq(err.msg, "'65' is not a worker count (1 to 64)");
}
