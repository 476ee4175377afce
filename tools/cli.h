/**
 * @file cli.h
 * @brief What the `recyclefs` commands share: exit codes, option parsing,
 *        the index location, error reporting and output helpers.
 *
 * Every command is `int cmd_VERB(int argc, char **argv)` in
 * tools/cmd_VERB.c, listed in the `commands[]` table of recyclefs.c.
 * @p argv[0] is the command's own name ("storage"); a command returns its
 * exit status. Options are parsed with rfs_cli_next(), which also handles
 * the options every command accepts (`--index PATH`, `-h/--help`,
 * `-v/--verbose`).
 *
 * Exit statuses: RFS_EXIT_OK on success; RFS_EXIT_FAILURE for a user or
 * runtime error, with exactly one line `recyclefs: <reason>` on stderr;
 * RFS_EXIT_USAGE for a usage error (unknown command or option, missing or
 * extra argument), with a one-line message and a pointer to `--help`.
 *
 * The command line is single-threaded; nothing here is thread-safe.
 */
#ifndef RFS_TOOLS_CLI_H
#define RFS_TOOLS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct rfs_catalog;
struct rfs_error;
struct rfs_index;
struct rfs_storage;
struct rfs_table;

/** The command worked. */
#define RFS_EXIT_OK 0
/** A user or runtime error; the reason is on stderr. */
#define RFS_EXIT_FAILURE 1
/** The command line itself is wrong; see the command's --help. */
#define RFS_EXIT_USAGE 2

/** getopt value of `--index` (long only). */
#define RFS_CLI_OPT_INDEX 0x100

/** rfs_cli_next() result: the command must return `g->status` now. */
#define RFS_CLI_STOP (-2)

/**
 * The options every command accepts; put it last in a command's
 * `struct option` array (it ends the array).
 */
/* clang-format off */
#define RFS_CLI_COMMON_OPTIONS						\
	{ "index", required_argument, NULL, RFS_CLI_OPT_INDEX },	\
	{ "help", no_argument, NULL, 'h' },				\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ NULL, 0, NULL, 0 }
/* clang-format on */

/** A command: one row of the `commands[]` table, or of a sub-verb table. */
struct rfs_cli_command {
	const char *name;		  /**< "storage", or "add" in a group */
	int (*fn)(int argc, char **argv); /**< returns the exit status */
	const char *summary;		  /**< one line for --help */
};

/** Option-parsing state of one command. Zero the fields not set. */
struct rfs_cli_getopt {
	const char *cmd;	       /**< "storage add", for messages */
	const char *usage;	       /**< printed to stdout by --help */
	const char *shortopts;	       /**< the command's own, e.g. "c:" */
	const struct option *longopts; /**< ends with RFS_CLI_COMMON_OPTIONS */
	int status;		       /**< exit status after RFS_CLI_STOP */
	bool started;		       /**< set by rfs_cli_next() */
};

/*
 * The commands, one per tools/cmd_VERB.c. Each takes the words from its
 * own name on (argv[0] is "storage") and returns the exit status.
 */
/** `recyclefs init`: create the index. @return an exit status */
int cmd_init(int argc, char **argv);
/** `recyclefs storage add|list`. @return an exit status */
int cmd_storage(int argc, char **argv);
/** `recyclefs table add|classify|unclassify|list`. @return an exit status */
int cmd_table(int argc, char **argv);
/** `recyclefs lifecycle add`. @return an exit status */
int cmd_lifecycle(int argc, char **argv);
/** `recyclefs epoch add|close|repoint`. @return an exit status */
int cmd_epoch(int argc, char **argv);
/** `recyclefs ls`: the catalog as a tree or JSON. @return an exit status */
int cmd_ls(int argc, char **argv);
/** `recyclefs config set|get|unset|list`. @return an exit status */
int cmd_config(int argc, char **argv);
/** `recyclefs history`: the change log. @return an exit status */
int cmd_history(int argc, char **argv);
/** `recyclefs catalog export|apply`: the catalog as a reviewed file.
 * @return an exit status */
int cmd_catalog(int argc, char **argv);
/** `recyclefs mount`: serve the catalog with FUSE. @return an exit status */
int cmd_mount(int argc, char **argv);
/** `recyclefs archive`: move items into the recycle bin. @return an exit
 * status */
int cmd_archive(int argc, char **argv);
/** `recyclefs resume`: run waiting recycle jobs here. @return an exit
 * status */
int cmd_resume(int argc, char **argv);
/** `recyclefs retry`: restart failed archives. @return an exit status */
int cmd_retry(int argc, char **argv);
/** `recyclefs status`: the recycle bin's entries. @return an exit status */
int cmd_status(int argc, char **argv);
/** `recyclefs wait`: follow recycle jobs to their end. @return an exit
 * status */
int cmd_wait(int argc, char **argv);
/** `recyclefs purge`: delete recycle entries for good. @return an exit
 * status */
int cmd_purge(int argc, char **argv);
/** `recyclefs reindex`: rebuild entries from the manifests. @return an
 * exit status */
int cmd_reindex(int argc, char **argv);
/** `recyclefs restore`: copy items out of the recycle bin. @return an
 * exit status */
int cmd_restore(int argc, char **argv);
/** `recyclefs complete`: names for shell completion. @return an exit
 * status */
int cmd_complete(int argc, char **argv);

/**
 * Next option of a command, as getopt_long() with GNU argument
 * permutation (options may follow the operands); the operands are
 * `argv[optind..argc)` once it returns -1. Handles `--index`, `-h/--help`
 * (prints g->usage to stdout) and `-v/--verbose` itself, and reports
 * unknown options and missing values.
 * @return the option's value; -1 when all options are read; RFS_CLI_STOP
 *         when the command must return g->status (RFS_EXIT_OK after
 *         --help, RFS_EXIT_USAGE after a usage error, already reported)
 */
int rfs_cli_next(struct rfs_cli_getopt *g, int argc, char **argv);

/**
 * Check the number of operands left after option parsing.
 * @param g    the command's parsing state, for messages
 * @param argc as given to the command
 * @param argv as given to the command
 * @param min  fewest operands
 * @param max  most operands, or -1 for no limit
 * @param what their names, for the message: "NAME URI"
 * @return RFS_EXIT_OK, or RFS_EXIT_USAGE after reporting the problem
 */
int rfs_cli_operands(const struct rfs_cli_getopt *g, int argc, char **argv,
		     int min, int max, const char *what);

/**
 * Run the sub-verb named by @p argv[1] from @p verbs, passing it
 * `argc - 1, argv + 1`. `-h/--help` in place of a verb prints @p usage.
 * @param cmd   the command's name, "storage"
 * @param usage the command's usage text, printed to stdout by --help
 * @param verbs the sub-verbs, ended by a row with a NULL name
 * @param argc  as given to the command
 * @param argv  as given to the command; argv[1] names the verb
 * @return the verb's exit status, RFS_EXIT_OK after --help, or
 *         RFS_EXIT_USAGE for a missing or unknown verb
 */
int rfs_cli_dispatch(const char *cmd, const char *usage,
		     const struct rfs_cli_command *verbs, int argc,
		     char **argv);

/**
 * Report a usage error: "recyclefs: <cmd>: <message>" and a line
 * "see 'recyclefs <first word of cmd> --help'" on stderr.
 * @param cmd the command, or NULL for the top level
 * @param fmt printf-style message
 * @return RFS_EXIT_USAGE
 */
int rfs_cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Report a failure as one line "recyclefs: <reason>" on stderr: the
 * reason in @p err, or strerror(-r) when it holds none. Control
 * characters are escaped so that the report stays on one line.
 * @param err may be NULL
 * @param r   the -errno the failing call returned
 * @return RFS_EXIT_FAILURE
 */
int rfs_cli_fail(const struct rfs_error *err, int r);

/**
 * Report a failure given as text, as rfs_cli_fail() does.
 * @return RFS_EXIT_FAILURE
 */
int rfs_cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Set the index path given with `--index` (the last one given wins).
 * @param path borrowed; must live as long as the command runs
 */
void rfs_cli_set_index(const char *path);

/** Make the log verbose (debug level) for `-v/--verbose`. */
void rfs_cli_set_verbose(void);

/**
 * Where the index is: `--index`, else $RECYCLEFS_INDEX, else
 * $XDG_DATA_HOME/recyclefs/index.db, else
 * $HOME/.local/share/recyclefs/index.db (empty or relative XDG_DATA_HOME
 * and empty variables are ignored).
 * @param out set to a malloc'ed path the caller frees
 * @param err receives the reason of a failure; may be NULL
 * @return 0, -ENOENT (no HOME to fall back on, reason in @p err), -ENOMEM
 */
int rfs_cli_index_path(char **out, struct rfs_error *err);

/**
 * Open the existing index (never creates it), reporting failures.
 * @param out set to the handle on success; free with rfs_index_free()
 * @return RFS_EXIT_OK, or RFS_EXIT_FAILURE after reporting the reason
 */
int rfs_cli_open_index(struct rfs_index **out);

/**
 * The edit behind a `NOUN remove` command.
 * @param idx   the open index
 * @param names the command's operands, as many as rfs_cli_remove() was
 *              told ("TABLE LIFECYCLE EPOCH" gives three)
 * @param err   receives the reason of a refusal
 * @return 0, or -errno with the reason in @p err
 */
typedef int (*rfs_cli_remove_fn)(struct rfs_index *idx, char *const *names,
				 struct rfs_error *err);

/**
 * Run a `NOUN remove OPERANDS` command: parse the common options, take
 * exactly @p n operands, open the index, call @p edit and print
 * "removed NOUN 'A/B/C'" (the operands joined by '/') on success.
 * @param argc     as given to the verb
 * @param argv     as given to the verb
 * @param noun     "storage", "table", "lifecycle" or "epoch"
 * @param usage    the command's usage text, printed by --help
 * @param operands their names, for messages: "TABLE NAME"
 * @param n        how many operands (1 to 3)
 * @param edit     removes the object the operands name
 * @return RFS_EXIT_OK; RFS_EXIT_USAGE; RFS_EXIT_FAILURE after reporting
 *         the reason on one line
 */
int rfs_cli_remove(int argc, char **argv, const char *noun, const char *usage,
		   const char *operands, int n, rfs_cli_remove_fn edit);

/**
 * Open the index and load its catalog, reporting failures. On success
 * both belong to the caller.
 * @return RFS_EXIT_OK or RFS_EXIT_FAILURE
 */
int rfs_cli_open_catalog(struct rfs_index **idx, struct rfs_catalog **cat);

/**
 * Parse a date option ("YYYY-MM-DD"; "now" too when @p allow_now).
 * @param what      the option, for the message: "--from"
 * @param s         the text given
 * @param allow_now accept "now" (RFS_DATE_NOW)
 * @param days      set to the day count on success
 * @param err       receives the reason of a failure; may be NULL
 * @return 0, or -EINVAL with the reason in @p err
 */
int rfs_cli_parse_date(const char *what, const char *s, bool allow_now,
		       int32_t *days, struct rfs_error *err);

/**
 * Called by rfs_cli_catalog_path() with one reading of a path.
 * @param ctx  as given to rfs_cli_catalog_path()
 * @param path a catalog path, "T/L/E[/item]" (an origin, or a bin path
 *             without its prefix), or ".recyclebin/BIN" when the user's
 *             path went through the recycle bin
 * @param err  receives the reason when it does not resolve
 * @return 0 when @p path resolved; -ENOENT to let the next reading be
 *         tried; any other -errno ends the search with that error
 */
typedef int (*rfs_cli_path_fn)(void *ctx, const char *path,
			       struct rfs_error *err);

/**
 * A name or path as a human-readable report shows it: on one line, its
 * control characters and bytes of bad UTF-8 escaped as
 * rfs_buf_add_escaped() does ("a\\nb" for a newline).
 * @param s the name; NULL gives ""
 * @return a string valid until 8 more calls (a ring of buffers); not
 *         thread-safe (the command line runs one thread)
 */
const char *rfs_cli_esc(const char *s);

/**
 * Resolve a path as a user typed it into the catalog path it names, and
 * act on it through @p fn, which decides what "resolves" means
 * (rfs_entry_find(), rfs_archive_begin(), ...). The readings, in order:
 *
 * 1. A path with a `.recyclebin` component names a bin entry: everything
 *    up to that component is dropped ("/mnt/x/.recyclebin/T/L/E/dt=1"
 *    gives ".recyclebin/T/L/E/dt=1"), and that is the only reading.
 * 2. Otherwise the path itself, leading, trailing and doubled slashes
 *    dropped: a catalog path "T/L/E/dt=1" (origin or bin path).
 * 3. When that does not resolve (-ENOENT) and its first component is not
 *    a table name, a path through a mount whose mountpoint cannot be
 *    known: leading components are dropped, up to the first component
 *    that is a table name ("/mnt/x/T/L/E/dt=1" gives "T/L/E/dt=1"). A
 *    table name is never dropped.
 *
 * When nothing resolves, the error is that of the last reading tried
 * (for a mount path, the one starting at the table name: the most
 * specific reason).
 * @param idx  the index, whose catalog gives the table names
 * @param path as the user typed it
 * @param fn   tries one reading
 * @param ctx  passed to @p fn
 * @param err  receives the reason of a failure; may be NULL
 * @return @p fn's 0 or error, -ENOENT when the path names nothing (with
 *         the reason), -ENOMEM, or the error loading the catalog
 */
int rfs_cli_catalog_path(struct rfs_index *idx, const char *path,
			 rfs_cli_path_fn fn, void *ctx, struct rfs_error *err);

/**
 * A storage as JSON: {"name","uri","bin_uri","class","family"}, in that
 * order, bin_uri null when it has none.
 * @return a new reference, or NULL on out-of-memory
 */
json_t *rfs_cli_storage_json(const struct rfs_storage *s);

/**
 * A table as JSON: {"name","classifications":[...]}, in that order.
 * @return a new reference, or NULL on out-of-memory
 */
json_t *rfs_cli_table_json(const struct rfs_table *t);

/**
 * Print @p doc to stdout pretty-printed with a 2-space indent, keys in
 * insertion order, and a final newline; steals the reference.
 * @return RFS_EXIT_OK, or RFS_EXIT_FAILURE (NULL @p doc means
 *         out-of-memory; or a write error), reported
 */
int rfs_cli_print_json(json_t *doc);

/** Text columns for the human form of the listings. */
struct rfs_cli_table {
	size_t ncols;  /**< cells in a row */
	char **cells;  /**< rows one after the other, owned */
	size_t ncells; /**< cells in use */
	size_t alloc;  /**< cells allocated */
	bool oom;      /**< an add failed; printing reports it */
};

/** Start a table of @p ncols columns; allocates nothing. */
void rfs_cli_table_init(struct rfs_cli_table *t, size_t ncols);

/**
 * Add a row of `t->ncols` cells (copied; NULL cells print as "-").
 * Failures are remembered and reported by rfs_cli_table_print().
 */
void rfs_cli_table_add(struct rfs_cli_table *t, const char *const *cells);

/**
 * Print the rows to @p f, columns aligned (by UTF-8 characters), separated
 * by two spaces, the last column unpadded.
 * @return RFS_EXIT_OK, or RFS_EXIT_FAILURE after out-of-memory (reported)
 */
int rfs_cli_table_print(struct rfs_cli_table *t, FILE *f);

/** Free the rows; the table may then be initialised again. */
void rfs_cli_table_release(struct rfs_cli_table *t);

/**
 * Flush stdout and report a write error (a full disk, a closed pipe).
 * @param status the command's status so far
 * @return @p status, or RFS_EXIT_FAILURE when stdout could not be written
 */
int rfs_cli_finish(int status);

#endif
