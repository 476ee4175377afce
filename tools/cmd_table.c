/*
 * recyclefs table add|classify|unclassify|list: the tables of the catalog
 * and their classifications.
 */
#include "tools/cli.h"

#include "model/catalog.h"
#include "core/edit.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>

static const char usage[] =
	"usage: recyclefs table add NAME [-c|--classification C]...\n"
	"       recyclefs table classify NAME C...\n"
	"       recyclefs table unclassify NAME C...\n"
	"       recyclefs table list [--json]\n"
	"       recyclefs table remove NAME\n"
	"\n"
	"add         add table NAME, tagged with each classification given\n"
	"classify    tag table NAME with classifications C... (tagging twice\n"
	"            changes nothing)\n"
	"unclassify  remove classifications C... from table NAME\n"
	"list        show every table with its classifications; --json\n"
	"            prints {\"tables\":[...]} (see docs/cli.md)\n"
	"remove      remove table NAME; refused while it has lifecycles or\n"
	"            bin entries that are not purged\n"
	"\n"
	"Names are UTF-8 without '/', '..', control characters or a leading\n"
	"'.'. Every sub-command also takes --index PATH, -v and -h.\n";

static int table_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "classification", required_argument, NULL, 'c' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "table add",
				    .usage = usage,
				    .shortopts = "c:",
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	const char **classes;
	int n = 0, c, r, status;

	/* No more classifications than words on the line. */
	classes = calloc((size_t)argc + 1, sizeof(*classes));
	if (!classes)
		return rfs_cli_fail(NULL, -ENOMEM);
	while ((c = rfs_cli_next(&g, argc, argv)) != -1) {
		if (c == RFS_CLI_STOP) {
			free(classes);
			return g.status;
		}
		if (c == 'c')
			classes[n++] = optarg;
	}
	status = rfs_cli_operands(&g, argc, argv, 1, 1, "NAME");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status) {
		free(classes);
		return status;
	}
	r = rfs_edit_table_add(idx, argv[optind], classes, n, &err);
	rfs_index_free(idx);
	free(classes);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("added table '%s'\n", argv[optind]);
	return RFS_EXIT_OK;
}

static int classify(int argc, char **argv, bool on)
{
	static const struct option opts[] = { RFS_CLI_COMMON_OPTIONS };
	struct rfs_cli_getopt g = { .cmd = on ? "table classify"
					      : "table unclassify",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	int c, r, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1)
		if (c == RFS_CLI_STOP)
			return g.status;
	status = rfs_cli_operands(&g, argc, argv, 2, -1, "NAME C...");
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = rfs_edit_table_classify(idx, argv[optind],
				    (const char *const *)argv + optind + 1,
				    argc - optind - 1, on, &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("%s table '%s'\n", on ? "classified" : "unclassified",
	       argv[optind]);
	return RFS_EXIT_OK;
}

static int table_classify(int argc, char **argv)
{
	return classify(argc, argv, true);
}

static int table_unclassify(int argc, char **argv)
{
	return classify(argc, argv, false);
}

static int list_json(const struct rfs_catalog *cat)
{
	json_t *doc = json_object(), *arr = json_array();

	if (!doc || !arr || json_object_set_new(doc, "tables", arr) < 0) {
		json_decref(arr);
		json_decref(doc);
		return rfs_cli_print_json(NULL);
	}
	for (size_t i = 0; i < cat->n_tables; i++) {
		json_t *o = rfs_cli_table_json(cat->tables[i]);

		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(doc);
			return rfs_cli_print_json(NULL);
		}
	}
	return rfs_cli_print_json(doc);
}

static int list_text(const struct rfs_catalog *cat)
{
	static const char *const header[] = { "NAME", "CLASSIFICATIONS" };
	struct rfs_buf b = RFS_BUF_INIT;
	struct rfs_cli_table t;
	int status;

	if (cat->n_tables == 0) {
		puts("no tables (add one with 'recyclefs table add NAME')");
		return RFS_EXIT_OK;
	}
	rfs_cli_table_init(&t, 2);
	rfs_cli_table_add(&t, header);
	for (size_t i = 0; i < cat->n_tables; i++) {
		const struct rfs_table *tb = cat->tables[i];
		const char *row[2] = { tb->name, NULL };

		rfs_buf_reset(&b);
		for (size_t k = 0; k < tb->n_classifications; k++)
			if (rfs_buf_addf(&b, "%s%s", k ? "," : "",
					 tb->classifications[k]) < 0)
				t.oom = true;
		if (b.len)
			row[1] = rfs_buf_str(&b);
		rfs_cli_table_add(&t, row);
	}
	status = rfs_cli_table_print(&t, stdout);
	rfs_cli_table_release(&t);
	rfs_buf_release(&b);
	return status;
}

static int table_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "table list",
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
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_catalog(&idx, &cat);
	if (status)
		return status;
	status = json ? list_json(cat) : list_text(cat);
	rfs_catalog_free(cat);
	rfs_index_free(idx);
	return status;
}

static int table_remove_edit(struct rfs_index *idx, char *const *names,
			     struct rfs_error *err)
{
	return rfs_edit_table_remove(idx, names[0], err);
}

static int table_remove(int argc, char **argv)
{
	return rfs_cli_remove(argc, argv, "table", usage, "NAME", 1,
			      table_remove_edit);
}

int cmd_table(int argc, char **argv)
{
	static const struct rfs_cli_command verbs[] = {
		{ "add", table_add, "add a table" },
		{ "classify", table_classify, "tag a table" },
		{ "unclassify", table_unclassify, "untag a table" },
		{ "list", table_list, "list the tables" },
		{ "remove", table_remove, "remove a table without lifecycles" },
		{ NULL, NULL, NULL },
	};

	return rfs_cli_dispatch("table", usage, verbs, argc, argv);
}
