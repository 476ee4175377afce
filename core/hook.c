/*
 * The metastore hook: spawn the executable in its own process group, feed
 * the JSON document to its stdin, keep the tail of its stderr, and wait
 * for it with a deadline (SIGTERM to the group, then SIGKILL).
 *
 * Everything lives on the caller's stack, so calls from several threads
 * do not interfere. posix_spawn() is used rather than fork(): it does not
 * copy the daemon's page tables, runs only async-signal-safe code in the
 * child, and reports exec failures as its return value. Every descriptor
 * this file opens is close-on-exec from its creation, and the child closes
 * everything above stderr, so a hook never inherits the FUSE device, a
 * socket, or the stdin pipe of another thread's hook (which would keep
 * that hook from ever seeing end-of-file).
 */
#include "core/hook.h"

#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/** Bytes of the hook's stderr kept: the end of it. */
#define HOOK_STDERR_KEEP 4096
/** Longest stderr line quoted in a reason. */
#define HOOK_LINE_MAX 512
/** Time between SIGTERM and SIGKILL. */
#define HOOK_KILL_GRACE_NS (5 * RFS_NSEC_PER_SEC)
/** Longest wait in poll() before the child is checked again. */
#define HOOK_POLL_MS 100
/** Reads of stderr per loop turn, so a chatty hook cannot starve us. */
#define HOOK_READS_PER_TURN 16

/** The state of one run. */
struct hook_run {
	const char *hook;
	pid_t pid;
	int in_fd;  /**< write end of the hook's stdin; -1 once closed */
	int err_fd; /**< read end of its stderr; -1 at end-of-file */
	const char *json;
	size_t json_len, json_off;
	bool epipe;	/**< the hook closed stdin before reading it all */
	int write_err;	/**< a write error other than EPIPE, as -errno */
	bool timed_out; /**< SIGTERM sent for the deadline */
	bool killed;	/**< SIGKILL sent */
	char tail[HOOK_STDERR_KEEP];
	size_t tail_len;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * A pipe whose ends are close-on-exec and above stderr, so that the
 * child's dup2() onto 0 and 2 never meets one of them (a daemon may run
 * with stdin closed, and pipe2() then hands out descriptor 0).
 */
static int pipe_high(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		int fd;

		if (fds[i] > STDERR_FILENO)
			continue;
		fd = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		if (fd < 0) {
			int r = -errno;

			close(fds[0]);
			close(fds[1]);
			return r;
		}
		close(fds[i]);
		fds[i] = fd;
	}
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Refuse, with a reason, what cannot be run at all. */
static int check_hook(const char *hook, struct rfs_error *err)
{
	struct stat st;

	if (!hook || hook[0] != '/')
		return rfs_error_set(
			err, EINVAL,
			"metastore hook '%s' is not an absolute path",
			hook ? hook : "");
	if (stat(hook, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return rfs_error_set(err, ENOENT,
					     "metastore hook '%s' not found",
					     hook);
		if (errno == EACCES)
			return rfs_error_set(
				err, EACCES,
				"metastore hook '%s' cannot be reached: permission denied",
				hook);
		return rfs_error_set(err, errno, "metastore hook '%s': %s",
				     hook, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return rfs_error_set(
			err, EACCES,
			"metastore hook '%s' is not a regular file", hook);
	if (access(hook, X_OK) < 0)
		return rfs_error_set(err, EACCES,
				     "metastore hook '%s' is not executable",
				     hook);
	return 0;
}

/* Map a posix_spawn() failure, exec errors included. */
static int spawn_error(const char *hook, int e, struct rfs_error *err)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		/* The file was checked: most likely its interpreter. */
		return rfs_error_set(
			err, ENOENT,
			"metastore hook '%s' cannot be run: %s (is its interpreter installed?)",
			hook, strerror(e));
	case EACCES:
	case EPERM:
	case ENOEXEC:
	case EISDIR:
		return rfs_error_set(err, EACCES,
				     "metastore hook '%s' cannot be run: %s",
				     hook, strerror(e));
	case ENOMEM:
	case EAGAIN:
		return rfs_error_set(
			err, e, "metastore hook '%s' cannot be started: %s",
			hook, strerror(e));
	default:
		return rfs_error_set(
			err, EIO, "metastore hook '%s' cannot be started: %s",
			hook, strerror(e));
	}
}

/*
 * Start the hook: stdin from @p in_r, stdout to /dev/null, stderr to
 * @p err_w, nothing else open, default signal dispositions, an empty
 * signal mask, and a process group of its own.
 */
static int spawn_hook(struct hook_run *run, int in_r, int err_w,
		      struct rfs_error *err)
{
	char *argv[] = { (char *)run->hook, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int e;

	e = posix_spawn_file_actions_init(&fa);
	if (e)
		return spawn_error(run->hook, e, err);
	e = posix_spawnattr_init(&attr);
	if (e) {
		posix_spawn_file_actions_destroy(&fa);
		return spawn_error(run->hook, e, err);
	}
	sigemptyset(&none);
	sigfillset(&all);
	e = posix_spawn_file_actions_adddup2(&fa, in_r, STDIN_FILENO);
	if (!e)
		e = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
						     "/dev/null", O_WRONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO);
	if (!e)
		e = posix_spawn_file_actions_addclosefrom_np(&fa,
							     STDERR_FILENO + 1);
	if (!e)
		e = posix_spawnattr_setflags(
			&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				       POSIX_SPAWN_SETSIGDEF);
	if (!e)
		e = posix_spawnattr_setpgroup(&attr, 0);
	if (!e)
		e = posix_spawnattr_setsigmask(&attr, &none);
	if (!e)
		e = posix_spawnattr_setsigdefault(&attr, &all);
	if (!e)
		e = posix_spawn(&run->pid, run->hook, &fa, &attr, argv,
				environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return e ? spawn_error(run->hook, e, err) : 0;
}

/* Keep the last HOOK_STDERR_KEEP bytes of what the hook wrote. */
static void keep_tail(struct hook_run *run, const char *data, size_t n)
{
	if (n >= HOOK_STDERR_KEEP) {
		memcpy(run->tail, data + n - HOOK_STDERR_KEEP,
		       HOOK_STDERR_KEEP);
		run->tail_len = HOOK_STDERR_KEEP;
		return;
	}
	if (run->tail_len + n > HOOK_STDERR_KEEP) {
		size_t drop = run->tail_len + n - HOOK_STDERR_KEEP;

		memmove(run->tail, run->tail + drop, run->tail_len - drop);
		run->tail_len -= drop;
	}
	memcpy(run->tail + run->tail_len, data, n);
	run->tail_len += n;
}

/* Read what stderr holds now, without blocking. */
static void drain_stderr(struct hook_run *run)
{
	char buf[4096];

	for (int i = 0; run->err_fd >= 0 && i < HOOK_READS_PER_TURN; i++) {
		ssize_t n = read(run->err_fd, buf, sizeof(buf));

		if (n > 0) {
			keep_tail(run, buf, (size_t)n);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else { /* end-of-file, or an error: stop listening */
			close_fd(&run->err_fd);
		}
	}
}

/*
 * Write what the pipe takes now. A hook that exits without reading its
 * stdin makes the write fail with EPIPE: that is no failure by itself,
 * its exit status decides. SIGPIPE is blocked in this thread meanwhile.
 */
static void feed_stdin(struct hook_run *run)
{
	while (run->in_fd >= 0 && run->json_off < run->json_len) {
		size_t n = run->json_len - run->json_off;
		ssize_t w;

		w = write(run->in_fd, run->json + run->json_off,
			  n > 65536 ? 65536 : n);
		if (w >= 0) {
			run->json_off += (size_t)w;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN) {
			return;
		} else if (errno == EPIPE) {
			run->epipe = true;
			close_fd(&run->in_fd);
		} else {
			run->write_err = -errno;
			close_fd(&run->in_fd);
		}
	}
	close_fd(&run->in_fd); /* all written: end-of-file for the hook */
}

/* Milliseconds until @p at, clamped to [0, HOOK_POLL_MS]. */
static int ms_until(int64_t at, int64_t now)
{
	int64_t ms;

	if (at <= now)
		return 0;
	ms = (at - now + 999999) / 1000000;
	return ms > HOOK_POLL_MS ? HOOK_POLL_MS : (int)ms;
}

/* True once the hook has exited; it stays a zombie until reaped. */
static bool hook_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR; /* ECHILD: nothing left to wait for */
	return si.si_pid == pid;
}

/*
 * Feed stdin, read stderr and watch the deadline until the hook exits.
 * The hook is left a zombie, so its pid (and process group id) cannot be
 * reused before the caller reaps it.
 */
static void supervise(struct hook_run *run, int64_t timeout_ns)
{
	int64_t now = rfs_time_mono_ns();
	int64_t deadline = now + timeout_ns, kill_at = 0;

	feed_stdin(run);
	while (!hook_exited(run->pid)) {
		struct pollfd fds[2];
		nfds_t n = 0;
		int wait_ms;

		now = rfs_time_mono_ns();
		if (!run->timed_out && now >= deadline) {
			kill(-run->pid, SIGTERM);
			run->timed_out = true;
			kill_at = now + HOOK_KILL_GRACE_NS;
			close_fd(&run->in_fd);
		}
		if ((run->timed_out && !run->killed && now >= kill_at) ||
		    (run->write_err && !run->killed)) {
			kill(-run->pid, SIGKILL);
			run->killed = true;
		}
		wait_ms = ms_until(run->timed_out ? kill_at : deadline, now);
		if (run->killed)
			wait_ms = 10;
		if (run->in_fd >= 0)
			fds[n++] = (struct pollfd){ .fd = run->in_fd,
						    .events = POLLOUT };
		if (run->err_fd >= 0)
			fds[n++] = (struct pollfd){ .fd = run->err_fd,
						    .events = POLLIN };
		if (n == 0 && wait_ms > 10)
			wait_ms = 10; /* only the exit is left to notice */
		if (poll(fds, n, wait_ms) <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			if (!fds[i].revents)
				continue;
			if (fds[i].fd == run->in_fd)
				feed_stdin(run);
			else if (fds[i].fd == run->err_fd)
				drain_stderr(run);
		}
	}
	drain_stderr(run);
	/* After a timeout, take the whole group down: children it left. */
	if (run->timed_out || run->write_err)
		kill(-run->pid, SIGKILL);
}

/* Collect the exit status of @p pid. @return 0 or -errno (ECHILD) */
static int reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * The last non-empty line of the hook's stderr, trimmed, with control
 * characters replaced, into @p out ("" when there is none).
 */
static void last_line(const struct hook_run *run, char *out, size_t size)
{
	const char *t = run->tail;
	size_t end = run->tail_len, start, o = 0;

	/* Trailing blanks and empty lines go; then the line's own start. */
	while (end > 0 && (t[end - 1] == '\n' || t[end - 1] == '\r' ||
			   t[end - 1] == ' ' || t[end - 1] == '\t'))
		end--;
	start = end;
	while (start > 0 && t[start - 1] != '\n')
		start--;
	while (start < end && (t[start] == ' ' || t[start] == '\t'))
		start++;
	for (size_t i = start; i < end && o + 1 < size; i++) {
		unsigned char c = (unsigned char)t[i];

		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
}

/* Turn how the hook ended into the result and its reason. */
static int hook_result(const struct hook_run *run, int status, int timeout,
		       struct rfs_error *err)
{
	char line[HOOK_LINE_MAX];
	const char *sep;

	last_line(run, line, sizeof(line));
	sep = line[0] ? ": " : "";
	if (run->write_err)
		return rfs_error_set(
			err, EIO, "could not write to metastore hook '%s': %s",
			run->hook, strerror(-run->write_err));
	if (run->timed_out)
		return rfs_error_set(err, ETIMEDOUT,
				     "metastore hook '%s' timed out after %d s",
				     run->hook, timeout);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return rfs_error_set(
			err, EIO,
			"metastore hook '%s' exited with status %d%s%s",
			run->hook, WEXITSTATUS(status), sep, line);
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		if (!abbrev)
			return rfs_error_set(
				err, EIO,
				"metastore hook '%s' was killed by signal %d%s%s",
				run->hook, WTERMSIG(status), sep, line);
		return rfs_error_set(
			err, EIO,
			"metastore hook '%s' was killed by signal %d (SIG%s)%s%s",
			run->hook, WTERMSIG(status), abbrev, sep, line);
	}
	return rfs_error_set(err, EIO, "metastore hook '%s' ended oddly",
			     run->hook);
}

int rfs_hook_run(const char *hook, const char *json, int timeout,
		 struct rfs_error *err)
{
	struct hook_run run = { .hook = hook, .in_fd = -1, .err_fd = -1 };
	int in[2] = { -1, -1 }, errp[2] = { -1, -1 };
	sigset_t sigpipe, old, pending;
	bool pipe_was_pending;
	int status = 0, r;

	if (timeout <= 0)
		timeout = RFS_HOOK_TIMEOUT_S;
	r = check_hook(hook, err);
	if (r < 0)
		return r;
	run.json = json ? json : "";
	run.json_len = strlen(run.json);

	r = pipe_high(in);
	if (r == 0)
		r = pipe_high(errp);
	if (r == 0)
		r = set_nonblock(in[1]);
	if (r == 0)
		r = set_nonblock(errp[0]);
	if (r < 0) {
		rfs_error_set(err, -r,
			      "metastore hook '%s': cannot make pipes: %s",
			      hook, strerror(-r));
		goto out_close;
	}
	r = spawn_hook(&run, in[0], errp[1], err);
	if (r < 0)
		goto out_close;
	close_fd(&in[0]);
	close_fd(&errp[1]);
	run.in_fd = in[1];
	run.err_fd = errp[0];
	in[1] = errp[0] = -1;

	sigemptyset(&sigpipe);
	sigaddset(&sigpipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigpipe, &old);
	sigpending(&pending);
	pipe_was_pending = sigismember(&pending, SIGPIPE);

	supervise(&run, (int64_t)timeout * RFS_NSEC_PER_SEC);

	if (run.epipe && !pipe_was_pending) {
		/* Consume our own SIGPIPE before it is unblocked. */
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&sigpipe, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	r = reap(run.pid, &status);
	if (r < 0)
		rfs_error_set(
			err, -r,
			"cannot wait for metastore hook '%s': %s (is SIGCHLD ignored?)",
			hook, strerror(-r));
	else
		r = hook_result(&run, status, timeout, err);

out_close:
	close_fd(&run.in_fd);
	close_fd(&run.err_fd);
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	return r;
}
