/**
 * @file cli_job.h
 * @brief What the recycle bin's commands share (archive, retry, resume,
 *        purge, wait, status): finding an entry from a user's path,
 *        running its job here with progress and interruption, showing
 *        entries.
 *
 * The command line is single-threaded; nothing here is thread-safe, and
 * rfs_cli_job_stop_flag() installs process-wide signal handlers.
 */
#ifndef RFS_TOOLS_CLI_JOB_H
#define RFS_TOOLS_CLI_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct rfs_entry;
struct rfs_error;
struct rfs_index;

/** Exit status after SIGINT or SIGTERM stopped a job (128 + SIGINT). */
#define RFS_EXIT_INTERRUPTED 130

/** Flags of rfs_cli_job_run(). */
enum rfs_cli_job_flags {
	/** Print nothing on stdout (the caller prints JSON). */
	RFS_CLI_JOB_QUIET = (1 << 0),
};

/**
 * Format a byte count for people, in binary units: "0 B", "12 B",
 * "1.5 KiB", "3.0 GiB".
 * @param bytes the count (>= 0)
 * @param out   receives the text; at least 16 bytes
 * @param size  bytes in @p out
 * @return @p out
 */
char *rfs_cli_size_format(int64_t bytes, char *out, size_t size);

/**
 * An entry as JSON, the object of `status --json`: {"bin_path", "origin",
 * "state", "failed_step", "reason", "files_total", "files_done",
 * "bytes_total", "bytes_done", "created_at", "deleted_at", "purged_at",
 * "uuid", "storage", "lease_owner"}, in that order; failed_step is null
 * unless the entry failed, lease_owner null unless a live process holds
 * the lease.
 * @return a new reference, or NULL on out-of-memory
 */
json_t *rfs_cli_entry_json(const struct rfs_entry *e);

/**
 * Append one outcome of a command acting on entries to the array of its
 * --json form: {"path", "result", "reason", "entry"}, in that order.
 * @param results the array, or NULL (text output: nothing to do)
 * @param path    the operand as the user gave it
 * @param result  "archived", "already_archived", "queued", "failed", ...
 * @param reason  why it failed or was refused, or NULL or "" (null)
 * @param e       the entry, shown as rfs_cli_entry_json() does, or NULL
 *                (null)
 * @return 0 or -ENOMEM
 */
int rfs_cli_result_add(json_t *results, const char *path, const char *result,
		       const char *reason, const struct rfs_entry *e);

/**
 * Find the live entry a user means by @p path: a bin path (with or
 * without ".recyclebin/"), an origin path, or either through a mount, as
 * rfs_cli_catalog_path() reads them, then rfs_entry_find().
 * @param idx  the index
 * @param path as the user typed it
 * @param out  filled on success; release with rfs_entry_release()
 * @param err  receives the reason of a failure; may be NULL
 * @return 0, -ENOENT ("nothing in the recycle bin at or from 'X'"), -EIO,
 *         -ENOMEM; the reason in @p err
 */
int rfs_cli_entry_find(struct rfs_index *idx, const char *path,
		       struct rfs_entry *out, struct rfs_error *err);

/**
 * Take the lease of @p e for this process, so that a mount daemon does
 * not start its job between a state change and rfs_cli_job_run().
 * @return 0 (taken, or held already), -EBUSY when another live process
 *         holds it (the reason in @p err), -EIO
 */
int rfs_cli_job_claim(struct rfs_index *idx, const struct rfs_entry *e,
		      struct rfs_error *err);

/**
 * Give up the lease this process holds on entry @p id, so that the job
 * is free for a mount daemon's workers (`--no-wait`).
 * @return 0 or -errno with the reason in @p err
 */
int rfs_cli_job_release(struct rfs_index *idx, int64_t id,
			struct rfs_error *err);

/**
 * The stop flag of jobs run by this command. The first call installs
 * SIGINT and SIGTERM handlers that set it: a running job then stops at
 * its next safe point, its state kept.
 * @return the flag, for struct rfs_job_opts.stop
 */
volatile int *rfs_cli_job_stop_flag(void);

/**
 * True once SIGINT or SIGTERM arrived (after rfs_cli_job_stop_flag()):
 * a command acting on several entries checks it before the next one.
 */
bool rfs_cli_job_interrupted(void);

/**
 * Run the job of entry @p id in this process until it is archived,
 * purged or failed, with a progress bar on stderr when stderr is a
 * terminal, and report the outcome: "archived 'X' to '.recyclebin/Y' (N
 * files, SIZE)" or "purged '.recyclebin/Y' (N files, SIZE)" on stdout
 * (unless RFS_CLI_JOB_QUIET), or one line on stderr for a failure or an
 * interruption. The entry must be runnable (not archived already: running
 * an archived entry's job rewrites its manifest).
 * @param idx   the index; this thread's handle
 * @param id    the entry's row id
 * @param flags enum rfs_cli_job_flags
 * @param out   filled with the entry as the job left it (may be NULL;
 *              release with rfs_entry_release()); zeroed when it could not
 *              be read
 * @param err   receives the reason of a failure (may be NULL)
 * @return RFS_EXIT_OK, RFS_EXIT_FAILURE, or RFS_EXIT_INTERRUPTED after
 *         SIGINT or SIGTERM
 */
int rfs_cli_job_run(struct rfs_index *idx, int64_t id, unsigned flags,
		    struct rfs_entry *out, struct rfs_error *err);

/** The one-line progress bar of a job, drawn on stderr when it is a
 * terminal (nothing otherwise). */
struct rfs_cli_progress {
	bool tty;   /**< stderr is a terminal */
	bool drawn; /**< a bar is on the screen */
};

/** Set up @p pg: draw only when stderr is a terminal. */
void rfs_cli_progress_init(struct rfs_cli_progress *pg);

/**
 * Draw (over the last one) the bar of @p e: its state, percent done and
 * files (and bytes while copying or verifying), as `archive` shows it.
 */
void rfs_cli_progress_draw(struct rfs_cli_progress *pg,
			   const struct rfs_entry *e);

/** Erase the bar, if one is drawn, so the next line starts clean. */
void rfs_cli_progress_clear(struct rfs_cli_progress *pg);

/**
 * Print the line of an entry that reached archived on stdout:
 * "archived 'X' to '.recyclebin/Y' (N files, SIZE)", and a note line when
 * the job left a warning (folders kept because they gained files).
 */
void rfs_cli_print_archived(const struct rfs_entry *e);

/**
 * Act on one PATH operand of a command run by rfs_cli_job_each().
 * @param idx     the index, open for the whole command
 * @param path    the operand as the user gave it
 * @param no_wait --no-wait: record the intent, leave the job to a mount
 * @param results the --json array to add to, or NULL
 * @return an RFS_EXIT_* status
 */
typedef int (*rfs_cli_job_one_fn)(struct rfs_index *idx, const char *path,
				  bool no_wait, json_t *results);

/**
 * The whole of a command of the form "CMD [--no-wait] [--json] PATH...":
 * parse the options, open the index, call @p one for each PATH in turn
 * (stopping at SIGINT or SIGTERM), and print {"results":[...]} with
 * --json.
 * @param cmd   the command's name, for messages
 * @param usage its usage text, for -h and for errors
 * @param argc  the command's argument count, its name included
 * @param argv  the command's arguments
 * @param one   what to do with each PATH
 * @return the worst RFS_EXIT_* status of the PATHs
 */
int rfs_cli_job_each(const char *cmd, const char *usage, int argc, char **argv,
		     rfs_cli_job_one_fn one);

#endif
