/*
 * recyclefs storage add|list: register the storages epochs live on, and
 * list them with their class, family and recycle storage.
 */
#include "tools/cli.h"

#include "model/catalog.h"
#include "core/edit.h"
#include "model/storage.h"
#include "index/index.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: recyclefs storage add NAME URI [--bin URI]\n"
	"       recyclefs storage list [--json]\n"
	"       recyclefs storage remove NAME\n"
	"\n"
	"add   register storage NAME rooted at URI (file:///srv/nfs/orders,\n"
	"      s3://lake/orders, postgres://host/db, ...). Its class comes\n"
	"      from the scheme. --bin names its recycle storage, which must\n"
	"      be of the same family; the default for files and objects is\n"
	"      URI/.recyclebin, and catalog-only classes (postgres, ...)\n"
	"      have none. The recycle location must not be inside or contain\n"
	"      an epoch's folder. A file:// root must exist.\n"
	"list  show every storage: name, class, family, URI and recycle URI;\n"
	"      --json prints {\"storages\":[...]} (see docs/cli.md).\n"
	"remove  remove storage NAME; refused while epochs use it or bin\n"
	"      entries that are not purged live in it (no data is deleted).\n"
	"\n"
	"Every sub-command also takes --index PATH, -v and -h.\n";

static int storage_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bin", required_argument, NULL, 'b' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "storage add",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	const char *bin = NULL;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'b')
			bin = optarg;
	}
	status = rfs_cli_operands(&g, argc, argv, 2, 2, "NAME URI");
	if (status)
		return status;
	status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_edit_storage_add(idx, argv[optind], argv[optind + 1], bin,
				 &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("added storage '%s'\n", argv[optind]);
	return RFS_EXIT_OK;
}

static int list_json(const struct rfs_catalog *cat)
{
	json_t *doc = json_object(), *arr = json_array();

	if (!doc || !arr || json_object_set_new(doc, "storages", arr) < 0) {
		json_decref(arr);
		json_decref(doc);
		return rfs_cli_print_json(NULL);
	}
	for (size_t i = 0; i < cat->n_storages; i++) {
		if (json_array_append_new(
			    arr, rfs_cli_storage_json(cat->storages[i])) < 0) {
			json_decref(doc);
			return rfs_cli_print_json(NULL);
		}
	}
	return rfs_cli_print_json(doc);
}

static int list_text(const struct rfs_catalog *cat)
{
	static const char *const header[] = { "NAME", "CLASS", "FAMILY", "URI",
					      "BIN" };
	struct rfs_cli_table t;
	int status;

	if (cat->n_storages == 0) {
		puts("no storages (add one with 'recyclefs storage add NAME "
		     "URI')");
		return RFS_EXIT_OK;
	}
	rfs_cli_table_init(&t, 5);
	rfs_cli_table_add(&t, header);
	for (size_t i = 0; i < cat->n_storages; i++) {
		const struct rfs_storage *s = cat->storages[i];
		const char *row[] = { s->name, s->cls->name,
				      rfs_family_name(s->cls->family), s->uri,
				      s->bin_uri };

		rfs_cli_table_add(&t, row);
	}
	status = rfs_cli_table_print(&t, stdout);
	rfs_cli_table_release(&t);
	return status;
}

static int storage_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "storage list",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_catalog *cat;
	struct rfs_index *idx;
	bool json = false;
	int c, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP)
			return g.status;
		if (c == 'j')
			json = true;
	}
	status = rfs_cli_operands(&g, argc, argv, 0, 0, "no operand");
	if (status)
		return status;
	status = rfs_cli_open_catalog(&idx, &cat);
	if (status)
		return status;
	status = json ? list_json(cat) : list_text(cat);
	rfs_catalog_free(cat);
	rfs_index_free(idx);
	return status;
}

static int storage_remove_edit(struct rfs_index *idx, char *const *names,
			       struct rfs_error *err)
{
	return rfs_edit_storage_remove(idx, names[0], err);
}

static int storage_remove(int argc, char **argv)
{
	return rfs_cli_remove(argc, argv, "storage", usage, "NAME", 1,
			      storage_remove_edit);
}

int cmd_storage(int argc, char **argv)
{
	static const struct rfs_cli_command verbs[] = {
		{ "add", storage_add, "register a storage" },
		{ "list", storage_list, "list the storages" },
		{ "remove", storage_remove, "remove a storage nothing uses" },
		{ NULL, NULL, NULL },
	};

	return rfs_cli_dispatch("storage", usage, verbs, argc, argv);
}
