/*
 * Helpers shared by the `recyclefs` commands: option parsing with
 * consistent usage errors, the index location, one-line error reports,
 * JSON and column output.
 */
#include "tools/cli.h"

#include "core/archive.h"
#include "model/catalog.h"
#include "model/date.h"
#include "util/names.h"
#include "model/storage.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The index path given with --index, or NULL. */
static const char *index_opt;

void rfs_cli_set_index(const char *path)
{
	index_opt = path;
}

void rfs_cli_set_verbose(void)
{
	rfs_log_set_level(LOG_DEBUG);
}

/* Write @p s to stderr with control characters escaped, so a message
 * that quotes user input stays on one line. */
static void put_escaped(const char *s)
{
	struct rfs_buf b = RFS_BUF_INIT;

	if (rfs_buf_add_escaped(&b, s) == 0)
		fputs(rfs_buf_str(&b), stderr);
	else
		fputs(s, stderr);
	rfs_buf_release(&b);
}

const char *rfs_cli_esc(const char *s)
{
	static struct rfs_buf ring[8];
	static unsigned next;
	struct rfs_buf *b = &ring[next++ % 8];

	if (!s)
		return "";
	if (!b->cap)
		*b = (struct rfs_buf)RFS_BUF_INIT;
	rfs_buf_reset(b);
	if (rfs_buf_add_escaped(b, s) < 0)
		return "?";
	return rfs_buf_str(b);
}

static void vreport(const char *cmd, const char *fmt, va_list ap)
{
	char msg[RFS_ERROR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fputs("recyclefs: ", stderr);
	if (cmd) {
		put_escaped(cmd);
		fputs(": ", stderr);
	}
	put_escaped(msg);
	fputc('\n', stderr);
}

int rfs_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "see 'recyclefs %.*s --help'\n",
			(int)strcspn(cmd, " "), cmd);
	else
		fputs("see 'recyclefs --help'\n", stderr);
	return RFS_EXIT_USAGE;
}

int rfs_cli_failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(NULL, fmt, ap);
	va_end(ap);
	return RFS_EXIT_FAILURE;
}

int rfs_cli_fail(const struct rfs_error *err, int r)
{
	if (err && err->msg[0])
		return rfs_cli_failf("%s", err->msg);
	return rfs_cli_failf("%s", strerror(r < 0 ? -r : r));
}

/* The name of a long option as the user typed it, without "=value". */
static int typed_len(const char *arg)
{
	return (int)strcspn(arg, "=");
}

static int option_error(struct rfs_cli_getopt *g, int c, char **argv)
{
	const char *arg = argv[optind - 1];
	bool is_long = !strncmp(arg, "--", 2);

	if (c == ':' && !is_long)
		return rfs_cli_usage_error(g->cmd, "option '-%c' needs a value",
					   optopt);
	if (c == ':')
		return rfs_cli_usage_error(g->cmd, "option '%s' needs a value",
					   arg);
	if (!is_long)
		return rfs_cli_usage_error(g->cmd, "unknown option '-%c'",
					   optopt);
	if (optopt)
		return rfs_cli_usage_error(g->cmd,
					   "option '%.*s' takes no value",
					   typed_len(arg), arg);
	return rfs_cli_usage_error(g->cmd, "unknown option '%.*s'",
				   typed_len(arg), arg);
}

int rfs_cli_next(struct rfs_cli_getopt *g, int argc, char **argv)
{
	char shortopts[64];
	int c;

	if (!g->started) {
		optind = 0; /* GNU: start over, whatever parsed argv before */
		opterr = 0;
		g->started = true;
	}
	snprintf(shortopts, sizeof(shortopts), ":hv%s",
		 g->shortopts ? g->shortopts : "");
	for (;;) {
		c = getopt_long(argc, argv, shortopts, g->longopts, NULL);
		switch (c) {
		case RFS_CLI_OPT_INDEX:
			rfs_cli_set_index(optarg);
			continue;
		case 'v':
			rfs_cli_set_verbose();
			continue;
		case 'h':
			fputs(g->usage, stdout);
			g->status = rfs_cli_finish(RFS_EXIT_OK);
			return RFS_CLI_STOP;
		case '?':
		case ':':
			g->status = option_error(g, c, argv);
			return RFS_CLI_STOP;
		default:
			return c;
		}
	}
}

int rfs_cli_operands(const struct rfs_cli_getopt *g, int argc, char **argv,
		     int min, int max, const char *what)
{
	int n = argc - optind;

	if (n < min)
		return rfs_cli_usage_error(
			g->cmd, "missing operand (expects %s)", what);
	if (max >= 0 && n > max)
		return rfs_cli_usage_error(g->cmd, "unexpected operand '%s'",
					   argv[optind + max]);
	return RFS_EXIT_OK;
}

int rfs_cli_dispatch(const char *cmd, const char *usage,
		     const struct rfs_cli_command *verbs, int argc, char **argv)
{
	struct rfs_buf names = RFS_BUF_INIT;
	const struct rfs_cli_command *v;
	int status;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return rfs_cli_finish(RFS_EXIT_OK);
	}
	for (v = verbs; argc >= 2 && v->name; v++)
		if (!strcmp(v->name, argv[1]))
			return v->fn(argc - 1, argv + 1);
	for (v = verbs; v->name; v++)
		rfs_buf_addf(&names, "%s%s", v == verbs ? "" : ", ", v->name);
	if (argc < 2)
		status = rfs_cli_usage_error(cmd, "missing sub-command (%s)",
					     rfs_buf_str(&names));
	else
		status = rfs_cli_usage_error(cmd,
					     "unknown sub-command '%s' (%s)",
					     argv[1], rfs_buf_str(&names));
	rfs_buf_release(&names);
	return status;
}

int rfs_cli_index_path(char **out, struct rfs_error *err)
{
	struct rfs_buf b = RFS_BUF_INIT;
	const char *env;
	int r;

	if (index_opt) {
		r = rfs_buf_addstr(&b, index_opt);
	} else if ((env = getenv("RECYCLEFS_INDEX")) && *env) {
		r = rfs_buf_addstr(&b, env);
	} else if ((env = getenv("XDG_DATA_HOME")) && env[0] == '/') {
		r = rfs_buf_addf(&b, "%s/recyclefs/index.db", env);
	} else if ((env = getenv("HOME")) && *env) {
		r = rfs_buf_addf(&b, "%s/.local/share/recyclefs/index.db", env);
	} else {
		return rfs_error_set(err, ENOENT,
				     "cannot locate the index: pass --index "
				     "PATH or set RECYCLEFS_INDEX or HOME");
	}
	if (r < 0) {
		rfs_buf_release(&b);
		return rfs_error_set(err, -r, "cannot locate the index: %s",
				     strerror(-r));
	}
	*out = rfs_buf_detach(&b);
	return *out ? 0 : rfs_error_set(err, ENOMEM, "out of memory");
}

int rfs_cli_open_index(struct rfs_index **out)
{
	struct rfs_error err = { 0 };
	char *path = NULL;
	int r;

	r = rfs_cli_index_path(&path, &err);
	if (r == 0)
		r = rfs_index_open(path, 0, out, &err);
	free(path);
	return r < 0 ? rfs_cli_fail(&err, r) : RFS_EXIT_OK;
}

int rfs_cli_remove(int argc, char **argv, const char *noun, const char *usage,
		   const char *operands, int n, rfs_cli_remove_fn edit)
{
	static const struct option opts[] = {
		RFS_CLI_COMMON_OPTIONS,
	};
	char cmd[32];
	struct rfs_cli_getopt g = { .cmd = cmd,
				    .usage = usage,
				    .longopts = opts };
	struct rfs_error err = { 0 };
	struct rfs_index *idx;
	int c, r, status;

	snprintf(cmd, sizeof(cmd), "%s remove", noun);
	while ((c = rfs_cli_next(&g, argc, argv)) != -1)
		if (c == RFS_CLI_STOP)
			return g.status;
	status = rfs_cli_operands(&g, argc, argv, n, n, operands);
	if (status == RFS_EXIT_OK)
		status = rfs_cli_open_index(&idx);
	if (status)
		return status;
	r = edit(idx, argv + optind, &err);
	rfs_index_free(idx);
	if (r < 0)
		return rfs_cli_fail(&err, r);
	printf("removed %s '", noun);
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "/" : "", argv[optind + i]);
	printf("'\n");
	return RFS_EXIT_OK;
}

int rfs_cli_open_catalog(struct rfs_index **idx, struct rfs_catalog **cat)
{
	struct rfs_error err = { 0 };
	int r, status;

	status = rfs_cli_open_index(idx);
	if (status)
		return status;
	r = rfs_index_load_catalog(*idx, cat, &err);
	if (r < 0) {
		rfs_index_free(*idx);
		*idx = NULL;
		return rfs_cli_fail(&err, r);
	}
	return RFS_EXIT_OK;
}

int rfs_cli_parse_date(const char *what, const char *s, bool allow_now,
		       int32_t *days, struct rfs_error *err)
{
	if (allow_now && !strcmp(s, "now")) {
		*days = RFS_DATE_NOW;
		return 0;
	}
	return rfs_date_parse(what, s, days, err);
}

/* The component of @p p named @p name, or NULL. */
static char *find_component(char *p, const char *name)
{
	size_t n = strlen(name);

	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == n && !memcmp(p, name, n))
			return p;
		p += len + (p[len] == '/');
	}
	return NULL;
}

/* Through a mount: the rest of @p p from its first component that is a
 * table name, when the first one is not (only those are dropped). */
static const char *mount_reading(const struct rfs_catalog *cat, const char *p)
{
	char name[RFS_NAME_MAX + 1];
	bool first = true;

	while (*p) {
		size_t len = strcspn(p, "/");

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (len <= RFS_NAME_MAX && rfs_catalog_table(cat, name))
			return first ? NULL : p;
		first = false;
		p += len + (p[len] == '/');
	}
	return NULL;
}

int rfs_cli_catalog_path(struct rfs_index *idx, const char *path,
			 rfs_cli_path_fn fn, void *ctx, struct rfs_error *err)
{
	struct rfs_error ignore = { 0 };
	struct rfs_catalog *cat = NULL;
	const char *rest;
	char *p, *bin;
	int r;

	p = strdup(path);
	if (!p)
		return rfs_error_set(err, ENOMEM, "out of memory");
	rfs_relpath_normalize(p);
	bin = find_component(p, ".recyclebin");
	if (bin) {
		memmove(p, bin, strlen(bin) + 1);
		if (!strcmp(p, ".recyclebin"))
			r = rfs_error_set(err, ENOENT,
					  "'%s' is the recycle bin itself: "
					  "name an entry in it",
					  path);
		else
			r = fn(ctx, p, err);
		free(p);
		return r;
	}
	rfs_error_clear(err);
	r = fn(ctx, p, err);
	/* "../mnt/T/L/E/x": the ".." is the mount's, not the catalog's. */
	if ((r == -ENOENT ||
	     (r == -EINVAL && rfs_entry_path_check(p, NULL) < 0)) &&
	    rfs_index_load_catalog(idx, &cat, &ignore) == 0 &&
	    (rest = mount_reading(cat, p)) &&
	    (r == -ENOENT || rfs_entry_path_check(rest, NULL) == 0)) {
		rfs_error_clear(err);
		r = fn(ctx, rest, err);
	}
	rfs_catalog_free(cat);
	free(p);
	return r;
}

json_t *rfs_cli_storage_json(const struct rfs_storage *s)
{
	return json_pack("{s:s, s:s, s:s?, s:s, s:s}", "name", s->name, "uri",
			 s->uri, "bin_uri", s->bin_uri, "class", s->cls->name,
			 "family", rfs_family_name(s->cls->family));
}

json_t *rfs_cli_table_json(const struct rfs_table *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->n_classifications; i++) {
		if (json_array_append_new(a,
					  json_string(t->classifications[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return json_pack("{s:s, s:o}", "name", t->name, "classifications", a);
}

int rfs_cli_print_json(json_t *doc)
{
	int r;

	if (!doc)
		return rfs_cli_fail(NULL, -ENOMEM);
	r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (r < 0)
		return rfs_cli_failf("cannot write to standard output");
	fputc('\n', stdout);
	return RFS_EXIT_OK;
}

void rfs_cli_table_init(struct rfs_cli_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void rfs_cli_table_add(struct rfs_cli_table *t, const char *const *cells)
{
	size_t i;

	if (t->oom)
		return;
	if (t->ncells + t->ncols > t->alloc) {
		size_t n = t->alloc ? 2 * t->alloc : 16 * t->ncols;
		char **p = realloc(t->cells, n * sizeof(*p));

		if (!p) {
			t->oom = true;
			return;
		}
		t->cells = p;
		t->alloc = n;
	}
	for (i = 0; i < t->ncols; i++) {
		/* A cell is one line: names are escaped. */
		t->cells[t->ncells + i] =
			strdup(cells[i] ? rfs_cli_esc(cells[i]) : "-");
		if (!t->cells[t->ncells + i]) {
			while (i--)
				free(t->cells[t->ncells + i]);
			t->oom = true;
			return;
		}
	}
	t->ncells += t->ncols;
}

/* Width of a UTF-8 string in characters (continuation bytes skipped). */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int rfs_cli_table_print(struct rfs_cli_table *t, FILE *f)
{
	struct rfs_buf line = RFS_BUF_INIT;
	size_t *w, i, c;
	int r = 0;

	if (t->oom)
		return rfs_cli_fail(NULL, -ENOMEM);
	w = calloc(t->ncols, sizeof(*w));
	if (!w)
		return rfs_cli_fail(NULL, -ENOMEM);
	for (i = 0; i < t->ncells; i++) {
		size_t n = width(t->cells[i]);

		if (n > w[i % t->ncols])
			w[i % t->ncols] = n;
	}
	for (i = 0; r == 0 && i < t->ncells; i += t->ncols) {
		rfs_buf_reset(&line);
		for (c = 0; r == 0 && c < t->ncols; c++) {
			const char *cell = t->cells[i + c];
			bool last = c + 1 == t->ncols;

			r = rfs_buf_addf(
				&line, "%s%*s", cell,
				last ? 0 : (int)(w[c] - width(cell) + 2), "");
		}
		/* An empty last cell leaves padding behind: drop it. */
		while (line.len && line.data[line.len - 1] == ' ')
			rfs_buf_truncate(&line, line.len - 1);
		if (r == 0)
			fprintf(f, "%s\n", rfs_buf_str(&line));
	}
	rfs_buf_release(&line);
	free(w);
	return r < 0 ? rfs_cli_fail(NULL, r) : RFS_EXIT_OK;
}

void rfs_cli_table_release(struct rfs_cli_table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	rfs_cli_table_init(t, t->ncols);
}

int rfs_cli_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return status ? status
			      : rfs_cli_failf("cannot write to standard "
					      "output: %s",
					      strerror(errno));
	return status;
}
