/*
 * core/hook: running the metastore hook with shell-script hooks written
 * to a scratch directory.
 */
#include "core/hook.h"

#include "util/clock.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rfs-hook-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(core_hook, .init = make_dir, .fini = remove_dir);

/* Write a file under the scratch directory. @return its path (static) */
static const char *put(const char *name, const char *body, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(body, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

/* A /bin/sh hook; "$D" in the body is the scratch directory. */
static const char *hook(const char *name, const char *body)
{
	char text[4096];

	snprintf(text, sizeof(text), "#!/bin/sh\nD='%s'\n%s\n", dir, body);
	return put(name, text, 0755);
}

/* The content of a scratch file, malloc'ed. */
static char *slurp(const char *name)
{
	char path[128];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc((size_t)n + 1);
	cr_assert_not_null(data);
	cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	return data;
}

/* True when process @p pid is gone (or a zombie no one reaped yet). */
static bool gone(pid_t pid)
{
	char path[64], stat[256];
	FILE *f;
	bool zombie = false;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(stat, sizeof(stat), f)) {
		const char *p = strrchr(stat, ')');

		zombie = p && p[1] == ' ' && p[2] == 'Z';
	}
	fclose(f);
	return zombie;
}

static bool gone_soon(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		if (gone(pid))
			return true;
		usleep(10000);
	}
	return false;
}

static pid_t read_pid(const char *name)
{
	char *s = slurp(name);
	pid_t pid = (pid_t)atoi(s);

	free(s);
	cr_assert_gt(pid, 0);
	return pid;
}

Test(core_hook, receives_exactly_the_json_on_stdin)
{
	const char *json = "{\"action\": \"drop_partitions\", \"table\": "
			   "\"sales.orders\", \"partitions\": [{\"spec\": "
			   "\"dt=2001-01-01\"}], \"note\": \"caf\xc3\xa9\"}";
	const char *h = hook("h", "cat > \"$D/got\"");
	struct rfs_error err = { 0 };
	char *got;

	cr_assert_eq(rfs_hook_run(h, json, 10, &err), 0, "%s", err.msg);
	got = slurp("got");
	cr_assert_str_eq(got, json);
	free(got);
}

Test(core_hook, a_large_document_arrives_whole)
{
	size_t n = 3 << 20;
	char *json = malloc(n + 1), *got;
	const char *h = hook("h", "cat > \"$D/got\"");
	struct rfs_error err = { 0 };

	cr_assert_not_null(json);
	for (size_t i = 0; i < n; i++)
		json[i] = (char)('a' + i % 26);
	json[n] = '\0';
	cr_assert_eq(rfs_hook_run(h, json, 30, &err), 0, "%s", err.msg);
	got = slurp("got");
	cr_assert_str_eq(got, json);
	free(got);
	free(json);
}

Test(core_hook, an_empty_document_gives_end_of_file)
{
	const char *h = hook("h", "cat > \"$D/got\"");
	char *got;

	cr_assert_eq(rfs_hook_run(h, "", 10, NULL), 0);
	got = slurp("got");
	cr_assert_str_eq(got, "");
	free(got);
}

Test(core_hook, exit_zero_succeeds_and_stdout_is_ignored)
{
	const char *h =
		hook("h", "cat >/dev/null\n"
			  "i=0; while [ $i -lt 2000 ]; do\n"
			  "  echo 'lots of output on stdout'; i=$((i+1))\n"
			  "done\nexit 0");
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), 0, "%s", err.msg);
	cr_assert_eq(err.code, 0);
}

Test(core_hook, non_zero_exit_is_eio_with_the_last_stderr_line)
{
	const char *h =
		hook("h", "cat >/dev/null\n"
			  "echo 'connecting' >&2\n"
			  "echo '  table sales.orders not found  ' >&2\n"
			  "echo '' >&2\n"
			  "exit 3");
	struct rfs_error err = { 0 };
	char want[256];

	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), -EIO);
	cr_assert_eq(err.code, EIO);
	snprintf(want, sizeof(want),
		 "metastore hook '%s' exited with status 3: "
		 "table sales.orders not found",
		 h);
	cr_assert_str_eq(err.msg, want);
}

Test(core_hook, non_zero_exit_without_stderr)
{
	const char *h = hook("h", "exit 1");
	struct rfs_error err = { 0 };
	char want[256];

	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), -EIO);
	snprintf(want, sizeof(want), "metastore hook '%s' exited with status 1",
		 h);
	cr_assert_str_eq(err.msg, want);
}

Test(core_hook, only_the_tail_of_a_long_stderr_is_kept)
{
	const char *h = hook("h", "i=0; while [ $i -lt 5000 ]; do\n"
				  "  echo \"noise line $i\" >&2; i=$((i+1))\n"
				  "done\n"
				  "printf 'bad\\033[31m red\\tx' >&2\nexit 2");
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_hook_run(h, "{}", 20, &err), -EIO);
	cr_assert_not_null(strstr(err.msg, "exited with status 2: bad?[31m "
					   "red?x"),
			   "%s", err.msg);
}

Test(core_hook, a_hook_that_does_not_read_stdin_may_still_succeed)
{
	size_t n = 1 << 20;
	char *json = malloc(n + 1);
	const char *h = hook("h", "exit 0");
	struct rfs_error err = { 0 };

	cr_assert_not_null(json);
	memset(json, ' ', n);
	json[0] = '{';
	json[n - 1] = '}';
	json[n] = '\0';
	signal(SIGPIPE, SIG_DFL); /* a stray SIGPIPE would kill the test */
	for (int i = 0; i < 5; i++)
		cr_assert_eq(rfs_hook_run(h, json, 10, &err), 0, "%s", err.msg);
	free(json);
}

Test(core_hook, a_hook_that_does_not_read_stdin_and_fails)
{
	size_t n = 1 << 20;
	char *json = malloc(n + 1);
	const char *h = hook("h", "echo 'refused' >&2; exit 4");
	struct rfs_error err = { 0 };

	cr_assert_not_null(json);
	memset(json, 'x', n);
	json[n] = '\0';
	signal(SIGPIPE, SIG_DFL);
	cr_assert_eq(rfs_hook_run(h, json, 10, &err), -EIO);
	cr_assert_not_null(strstr(err.msg, "status 4: refused"), "%s", err.msg);
	free(json);
}

Test(core_hook, timeout_kills_the_process_group)
{
	const char *h = hook("h", "echo $$ > \"$D/pid\"\n"
				  "sleep 30 &\n"
				  "echo $! > \"$D/child\"\n"
				  "wait");
	struct rfs_error err = { 0 };
	int64_t t0 = rfs_time_mono_ns(), took;
	char want[256];

	cr_assert_eq(rfs_hook_run(h, "{}", 1, &err), -ETIMEDOUT);
	took = rfs_time_mono_ns() - t0;
	cr_assert_lt(took, 10 * RFS_NSEC_PER_SEC);
	cr_assert_geq(took, RFS_NSEC_PER_SEC);
	cr_assert_eq(err.code, ETIMEDOUT);
	snprintf(want, sizeof(want), "metastore hook '%s' timed out after 1 s",
		 h);
	cr_assert_str_eq(err.msg, want);
	cr_assert(gone_soon(read_pid("pid")));
	cr_assert(gone_soon(read_pid("child")));
}

Test(core_hook, a_hook_that_ignores_sigterm_is_killed)
{
	const char *h = hook("h", "trap '' TERM\n"
				  "echo $$ > \"$D/pid\"\n"
				  "while :; do sleep 1; done");
	struct rfs_error err = { 0 };
	int64_t t0 = rfs_time_mono_ns(), took;

	cr_assert_eq(rfs_hook_run(h, "{}", 1, &err), -ETIMEDOUT);
	took = rfs_time_mono_ns() - t0;
	cr_assert_geq(took, 5 * RFS_NSEC_PER_SEC); /* the SIGTERM grace */
	cr_assert_lt(took, 10 * RFS_NSEC_PER_SEC);
	cr_assert(gone_soon(read_pid("pid")));
}

Test(core_hook, a_missing_hook_is_enoent)
{
	struct rfs_error err = { 0 };
	char path[128];

	snprintf(path, sizeof(path), "%s/nope", dir);
	cr_assert_eq(rfs_hook_run(path, "{}", 10, &err), -ENOENT);
	cr_assert_eq(err.code, ENOENT);
	cr_assert_not_null(strstr(err.msg, "not found"), "%s", err.msg);
}

Test(core_hook, a_missing_interpreter_is_enoent)
{
	const char *h = put("h", "#!/nonexistent/interpreter\nexit 0\n", 0755);
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), -ENOENT);
	cr_assert_not_null(strstr(err.msg, "interpreter"), "%s", err.msg);
}

Test(core_hook, a_non_executable_hook_is_eacces)
{
	const char *h = put("h", "#!/bin/sh\nexit 0\n", 0644);
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), -EACCES);
	cr_assert_not_null(strstr(err.msg, "not executable"), "%s", err.msg);
}

Test(core_hook, a_directory_is_eacces)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_hook_run(dir, "{}", 10, &err), -EACCES);
	cr_assert_not_null(strstr(err.msg, "not a regular file"), "%s",
			   err.msg);
}

Test(core_hook, a_file_that_is_no_program_is_eacces)
{
	const char *h = put("h",
			    "\x7f"
			    "ELF garbage",
			    0755);
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), -EACCES);
	cr_assert_not_null(strstr(err.msg, "cannot be run"), "%s", err.msg);
}

Test(core_hook, a_relative_path_is_refused)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_hook_run("bin/hook", "{}", 10, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "absolute"), "%s", err.msg);
}

Test(core_hook, a_hook_killed_by_a_signal_is_eio)
{
	const char *h = hook("h", "cat >/dev/null\n"
				  "echo 'about to die' >&2\n"
				  "kill -USR1 $$\nsleep 5\nexit 0");
	struct rfs_error err = { 0 };
	char want[256];

	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), -EIO);
	snprintf(want, sizeof(want),
		 "metastore hook '%s' was killed by signal %d (SIGUSR1): "
		 "about to die",
		 h, SIGUSR1);
	cr_assert_str_eq(err.msg, want);
}

Test(core_hook, the_hook_inherits_no_other_descriptor)
{
	const char *h = hook("h", "cat >/dev/null\n"
				  "for fd in 3 4 5 50; do\n"
				  "  if [ -e /proc/$$/fd/$fd ]; then\n"
				  "    echo \"fd $fd is open\" >&2; exit 9\n"
				  "  fi\n"
				  "done\nexit 0");
	int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	struct rfs_error err = { 0 };

	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, 50), 50);
	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), 0, "%s", err.msg);
	close(50);
	close(fd);
}

Test(core_hook, signal_mask_and_ignored_signals_are_not_inherited)
{
	const char *h =
		/* The mask is read by the shell itself, before it runs any
		 * child: a shell waiting for a child may block every signal
		 * for a moment, which a child reading it would see. */
		hook("h", "while read -r k v; do\n"
			  "  case $k in SigBlk:) case $v in *[!0]*)\n"
			  "    echo \"blocked $v\" >&2; exit 5;; esac;; esac\n"
			  "done < /proc/$$/status\n"
			  "cat >/dev/null\n"
			  "kill -TERM $$\nsleep 5\nexit 0");
	struct rfs_error err = { 0 };
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGTERM, SIG_IGN);
	cr_assert_eq(rfs_hook_run(h, "{}", 10, &err), -EIO);
	cr_assert_not_null(strstr(err.msg, "killed by signal"), "%s", err.msg);
	signal(SIGTERM, SIG_DFL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct worker {
	const char *hook;
	int n, failures;
	char msg[RFS_ERROR_MSG_MAX];
};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	size_t big = 256 << 10;
	char *json = malloc(big + 64);

	if (!json) {
		w->failures++;
		return NULL;
	}
	for (int i = 0; i < 6; i++) {
		struct rfs_error err = { 0 };
		char want[64];
		int len = snprintf(json, 64, "{\"thread\": %d, \"run\": %d}",
				   w->n, i);

		/* Every other run, a large document that fills the pipe. */
		if (i % 2) {
			memset(json + len, ' ', big);
			json[len + big] = '\0';
		}
		snprintf(want, sizeof(want), "{\"thread\": %d, \"run\": %d}",
			 w->n, i);
		if (rfs_hook_run(w->hook, json, 20, &err) != -EIO ||
		    !strstr(err.msg, want)) {
			w->failures++;
			snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
		}
	}
	free(json);
	return NULL;
}

Test(core_hook, concurrent_calls_from_four_threads)
{
	/* The hook echoes its first stdin line back as its reason. */
	const char *h = hook("h", "line=$(head -c 64 | head -n 1 | "
				  "sed 's/ *$//')\n"
				  "cat >/dev/null\n"
				  "echo \"$line\" >&2\nexit 7");
	struct worker w[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .hook = h, .n = i };
		cr_assert_eq(pthread_create(&t[i], NULL, run_worker, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(pthread_join(t[i], NULL), 0);
		cr_assert_eq(w[i].failures, 0, "thread %d: %s", i, w[i].msg);
	}
}
