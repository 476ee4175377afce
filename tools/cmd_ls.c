/*
 * recyclefs ls: the catalog as a tree (tables, their lifecycles in order,
 * the epochs of each with their storage), or as one JSON document.
 */
#include "tools/cli.h"

#include "model/catalog.h"
#include "model/date.h"
#include "index/index.h"

static const char usage[] =
	"usage: recyclefs ls [--json]\n"
	"\n"
	"Show the catalog: every table with its classifications, its\n"
	"lifecycles in order and the epochs of each, with the storage and\n"
	"full URI of every epoch. --json prints {\"tables\":[...],\n"
	"\"storages\":[...]} (see docs/cli.md).\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

static json_t *epoch_json(const struct rfs_epoch *e)
{
	char from[RFS_DATE_STRLEN], to[RFS_DATE_STRLEN];

	rfs_date_format(e->from, from);
	rfs_date_format(e->to, to);
	return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s}", "name", e->name,
			 "from", from, "to", e->to == RFS_DATE_NOW ? NULL : to,
			 "storage", e->storage->name, "uri", e->uri, "path",
			 e->path);
}

static json_t *lifecycle_json(const struct rfs_lifecycle *lc)
{
	json_t *epochs = json_array();

	for (size_t i = 0; epochs && i < lc->n_epochs; i++) {
		if (json_array_append_new(epochs, epoch_json(lc->epochs[i])) <
		    0) {
			json_decref(epochs);
			return NULL;
		}
	}
	return json_pack("{s:s, s:i, s:o}", "name", lc->name, "order",
			 lc->order, "epochs", epochs);
}

static json_t *table_json(const struct rfs_table *t)
{
	json_t *o = rfs_cli_table_json(t), *lcs = json_array();

	if (!o || !lcs || json_object_set_new(o, "lifecycles", lcs) < 0) {
		json_decref(lcs);
		json_decref(o);
		return NULL;
	}
	for (size_t i = 0; i < t->n_lifecycles; i++) {
		if (json_array_append_new(
			    lcs, lifecycle_json(t->lifecycles[i])) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int ls_json(const struct rfs_catalog *cat)
{
	json_t *doc, *tables = json_array(), *storages = json_array();
	size_t i;
	int r = 0;

	for (i = 0; tables && r == 0 && i < cat->n_tables; i++)
		r = json_array_append_new(tables, table_json(cat->tables[i]));
	for (i = 0; storages && r == 0 && i < cat->n_storages; i++)
		r = json_array_append_new(
			storages, rfs_cli_storage_json(cat->storages[i]));
	if (r < 0 || !tables || !storages) {
		json_decref(tables);
		json_decref(storages);
		return rfs_cli_print_json(NULL);
	}
	doc = json_pack("{s:o, s:o}", "tables", tables, "storages", storages);
	return rfs_cli_print_json(doc);
}

/* "1 table", "2 tables" */
static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void ls_text(const struct rfs_catalog *cat)
{
	size_t n_lc = 0, n_ep = 0;

	for (size_t i = 0; i < cat->n_tables; i++) {
		const struct rfs_table *t = cat->tables[i];

		fputs(t->name, stdout);
		for (size_t k = 0; k < t->n_classifications; k++)
			printf("%s%s", k ? ", " : "  [", t->classifications[k]);
		puts(t->n_classifications ? "]" : "");
		for (size_t l = 0; l < t->n_lifecycles; l++) {
			const struct rfs_lifecycle *lc = t->lifecycles[l];
			bool last_lc = l + 1 == t->n_lifecycles;

			printf("%s %s  (order %d)\n", last_lc ? "└──" : "├──",
			       lc->name, lc->order);
			for (size_t e = 0; e < lc->n_epochs; e++) {
				const struct rfs_epoch *ep = lc->epochs[e];

				printf("%s   %s %s  %s  %s\n",
				       last_lc ? " " : "│",
				       e + 1 == lc->n_epochs ? "└──" : "├──",
				       ep->name, ep->storage->name, ep->uri);
			}
			n_ep += lc->n_epochs;
		}
		n_lc += t->n_lifecycles;
	}
	if (cat->n_tables)
		putchar('\n');
	printf("%zu table%s, %zu lifecycle%s, %zu epoch%s\n", cat->n_tables,
	       plural(cat->n_tables), n_lc, plural(n_lc), n_ep, plural(n_ep));
}

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		RFS_CLI_COMMON_OPTIONS,
	};
	struct rfs_cli_getopt g = { .cmd = "ls",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_catalog *cat;
	struct rfs_index *idx;
	bool json = false;
	int c, status = RFS_EXIT_OK;

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
	if (json)
		status = ls_json(cat);
	else
		ls_text(cat);
	rfs_catalog_free(cat);
	rfs_index_free(idx);
	return status;
}
