/*
 * recyclefs config set|get|unset|list: the configuration kept in the
 * index. Only the keys of core/config.h are accepted.
 */
#include "tools/cli.h"

#include "model/catalog.h"
#include "core/config.h"
#include "core/edit.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: recyclefs config set KEY VALUE\n"
	"       recyclefs config get KEY\n"
	"       recyclefs config unset KEY\n"
	"       recyclefs config list\n"
	"\n"
	"set    set KEY to VALUE; unknown keys and bad values are refused\n"
	"get    print the value of KEY (exit 1 when it is not set)\n"
	"unset  remove KEY (nothing happens when it is not set)\n"
	"list   show every known key, its value ('-' when not set) and what\n"
	"       it does\n"
	"\n"
	"Every sub-command also takes --index PATH, -v and -h.\n";

/* Parse the options of a verb that has none of its own, and check that
 * @p n operands follow. */
static int parse(struct rfs_cli_getopt *g, int argc, char **argv, int n,
		 const char *what)
{
	static const struct option opts[] = { RFS_CLI_COMMON_OPTIONS };
	int c;

	g->usage = usage;
	g->longopts = opts;
	while ((c = rfs_cli_next(g, argc, argv)) != -1)
		if (c == RFS_CLI_STOP)
			return g->status;
	return rfs_cli_operands(g, argc, argv, n, n, what);
}

static int set_value(const char *key, const char *value)
{
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	int r, status;

	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_edit_config_set(idx, key, value, &err);
	rfs_index_free(idx);
	return r < 0 ? rfs_cli_fail(&err, r) : RFS_EXIT_OK;
}

static int config_set(int argc, char **argv)
{
	struct rfs_cli_getopt g = { .cmd = "config set" };
	int status = parse(&g, argc, argv, 2, "KEY VALUE");

	return status ? status : set_value(argv[optind], argv[optind + 1]);
}

static int config_unset(int argc, char **argv)
{
	struct rfs_cli_getopt g = { .cmd = "config unset" };
	int status = parse(&g, argc, argv, 1, "KEY");

	return status ? status : set_value(argv[optind], NULL);
}

static int config_get(int argc, char **argv)
{
	struct rfs_cli_getopt g = { .cmd = "config get" };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	const char *key;
	char *value = NULL;
	int r, status;

	status = parse(&g, argc, argv, 1, "KEY");
	if (status)
		return status;
	key = argv[optind];
	r = rfs_config_check(key, NULL, &err);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_index_config_get(idx, key, &value, &err);
	rfs_index_free(idx);
	if (r == -ENOENT)
		return rfs_cli_failf("config key '%s' is not set", key);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	puts(value);
	free(value);
	return RFS_EXIT_OK;
}

/* Add the row of @p key to @p t, with its value when set.
 * @param always add the row even when the key is not set */
static int list_key(struct rfs_index *idx, struct rfs_cli_table *t,
		    const char *key, const char *help, bool always)
{
	struct rfs_error err = { 0 };
	char *value = NULL;
	int r = rfs_index_config_get(idx, key, &value, &err);

	if (r < 0 && r != -ENOENT)
		return rfs_cli_fail(&err, r);
	if (value || always) {
		const char *row[] = { key, value, help };

		rfs_cli_table_add(t, row);
	}
	free(value);
	return RFS_EXIT_OK;
}

/* The rows of a pattern key ("metastore.hook.*"): the pattern itself,
 * then the key of each table (each storage for "metastore.scheme.*")
 * that is set. */
static int list_pattern(struct rfs_index *idx, const struct rfs_catalog *cat,
			struct rfs_cli_table *t, const struct rfs_config_key *k)
{
	size_t plen = strlen(k->key) - 1; /* keep the '.' */
	struct rfs_buf key = RFS_BUF_INIT;
	int status = list_key(idx, t, k->key, k->help, true);
	bool storages = !strcmp(k->key, "metastore.scheme.*");
	size_t n = storages ? cat->n_storages : cat->n_tables;

	for (size_t i = 0; status == RFS_EXIT_OK && i < n; i++) {
		rfs_buf_reset(&key);
		if (rfs_buf_add(&key, k->key, plen) < 0 ||
		    rfs_buf_addstr(&key, storages ? cat->storages[i]->name
						  : cat->tables[i]->name) < 0) {
			status = rfs_cli_fail(NULL, -ENOMEM);
			break;
		}
		status = list_key(idx, t, rfs_buf_str(&key), "", false);
	}
	rfs_buf_release(&key);
	return status;
}

static int config_list(int argc, char **argv)
{
	static const char *const header[] = { "KEY", "VALUE", "DESCRIPTION" };
	struct rfs_cli_getopt g = { .cmd = "config list" };
	const struct rfs_config_key *keys;
	struct rfs_catalog *cat;
	struct rfs_index *idx;
	struct rfs_cli_table t;
	size_t n;
	int status;

	status = parse(&g, argc, argv, 0, "no operand");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_catalog(&idx, &cat);
	if (status)
		return status;
	keys = rfs_config_keys(&n);
	rfs_cli_table_init(&t, 3);
	rfs_cli_table_add(&t, header);
	for (size_t i = 0; status == RFS_EXIT_OK && i < n; i++) {
		size_t len = strlen(keys[i].key);

		if (len > 2 && !strcmp(keys[i].key + len - 2, ".*"))
			status = list_pattern(idx, cat, &t, &keys[i]);
		else
			status = list_key(idx, &t, keys[i].key, keys[i].help,
					  true);
	}
	if (status == RFS_EXIT_OK)
		status = rfs_cli_table_print(&t, stdout);
	rfs_cli_table_release(&t);
	rfs_catalog_free(cat);
	rfs_index_free(idx);
	return status;
}

int cmd_config(int argc, char **argv)
{
	static const struct rfs_cli_command verbs[] = {
		{ "set", config_set, "set a key" },
		{ "get", config_get, "print a key's value" },
		{ "unset", config_unset, "remove a key" },
		{ "list", config_list, "list the keys" },
		{ NULL, NULL, NULL },
	};

	return rfs_cli_dispatch("config", usage, verbs, argc, argv);
}
