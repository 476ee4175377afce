/*
 * recyclefs complete KIND: the names shell completion offers, one a line.
 */
#include "tools/cli.h"

#include "model/catalog.h"
#include "index/index.h"

#include <string.h>

static const char usage[] =
	"usage: recyclefs complete KIND\n"
	"\n"
	"Print the names of the catalog that shell completion offers, one\n"
	"a line: KIND is tables, lifecycles (TABLE/LIFECYCLE), epochs\n"
	"(TABLE/LIFECYCLE/EPOCH), paths (all three), storages,\n"
	"classifications or uris (each storage's URI and its recycle URI,\n"
	"what reindex --from takes). Prints nothing, with exit status 1,\n"
	"when there is\n"
	"no index. The bash completion installed with recyclefs uses it.\n"
	"\n"
	"Also takes --index PATH, -v and -h.\n";

enum {
	WANT_TABLES = 1 << 0,
	WANT_LIFECYCLES = 1 << 1,
	WANT_EPOCHS = 1 << 2,
	WANT_STORAGES = 1 << 3,
	WANT_CLASSES = 1 << 4,
	WANT_URIS = 1 << 5,
};

static const struct {
	const char *name;
	unsigned int want;
} kinds[] = {
	{ "tables", WANT_TABLES },
	{ "lifecycles", WANT_LIFECYCLES },
	{ "epochs", WANT_EPOCHS },
	{ "paths", WANT_TABLES | WANT_LIFECYCLES | WANT_EPOCHS },
	{ "storages", WANT_STORAGES },
	{ "classifications", WANT_CLASSES },
	{ "uris", WANT_URIS },
};

static void print_names(const struct rfs_catalog *cat, unsigned int want)
{
	for (size_t i = 0; i < cat->n_tables; i++) {
		const struct rfs_table *t = cat->tables[i];

		if (want & WANT_TABLES)
			puts(t->name);
		for (size_t l = 0; l < t->n_lifecycles; l++) {
			const struct rfs_lifecycle *lc = t->lifecycles[l];

			if (want & WANT_LIFECYCLES)
				printf("%s/%s\n", t->name, lc->name);
			for (size_t e = 0;
			     (want & WANT_EPOCHS) && e < lc->n_epochs; e++)
				printf("%s/%s/%s\n", t->name, lc->name,
				       lc->epochs[e]->name);
		}
	}
	for (size_t i = 0; (want & WANT_STORAGES) && i < cat->n_storages; i++)
		puts(cat->storages[i]->name);
	for (size_t i = 0; (want & WANT_URIS) && i < cat->n_storages; i++) {
		puts(cat->storages[i]->uri);
		if (cat->storages[i]->bin_uri)
			puts(cat->storages[i]->bin_uri);
	}
	for (size_t i = 0; (want & WANT_CLASSES) && i < cat->n_tables; i++) {
		const struct rfs_table *t = cat->tables[i];

		for (size_t k = 0; k < t->n_classifications; k++) {
			const char *c = t->classifications[k];
			bool seen = false;

			/* once each, at its first table */
			for (size_t j = 0; j < i && !seen; j++)
				for (size_t m = 0;
				     m < cat->tables[j]->n_classifications; m++)
					if (!strcmp(cat->tables[j]
							    ->classifications
								    [m],
						    c))
						seen = true;
			if (!seen)
				puts(c);
		}
	}
}

int cmd_complete(int argc, char **argv)
{
	static const struct option opts[] = { RFS_CLI_COMMON_OPTIONS };
	struct rfs_cli_getopt g = { .cmd = "complete",
				    .usage = usage,
				    .longopts = opts };
	struct rfs_catalog *cat;
	struct rfs_index *idx;
	unsigned int want = 0;
	int c, status;

	while ((c = rfs_cli_next(&g, argc, argv)) != -1)
		if (c == RFS_CLI_STOP)
			return g.status;
	status = rfs_cli_operands(&g, argc, argv, 1, 1, "KIND");
	if (status)
		return status;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[optind], kinds[i].name))
			want = kinds[i].want;
	if (!want)
		return rfs_cli_usage_error("complete", "unknown KIND '%s'",
					   argv[optind]);
	/* Completion runs at every TAB: no index is no names, silently. */
	if (!freopen("/dev/null", "w", stderr))
		return RFS_EXIT_FAILURE;
	status = rfs_cli_open_catalog(&idx, &cat);
	if (status)
		return status;
	print_names(cat, want);
	rfs_catalog_free(cat);
	rfs_index_free(idx);
	return RFS_EXIT_OK;
}
