/*
 * Running programs for the integration tests, with stdout and stderr read
 * through two pipes by a poll() loop, and temporary directories.
 */
#include "tests/support/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A growable capture buffer, always NUL-terminated once allocated. */
struct capture {
	char *data;
	size_t len;
	size_t alloc;
};

static int capture_read(struct capture *c, int fd)
{
	ssize_t n;

	if (c->alloc - c->len < 4097) {
		size_t alloc = c->alloc ? 2 * c->alloc : 8192;
		char *p = realloc(c->data, alloc);

		if (!p)
			return -ENOMEM;
		c->data = p;
		c->alloc = alloc;
	}
	do
		n = read(fd, c->data + c->len, c->alloc - c->len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->len += (size_t)n;
	c->data[c->len] = '\0';
	return (int)(n > 0);
}

static char *capture_detach(struct capture *c, size_t *len)
{
	char *s = c->data ? c->data : strdup("");

	*len = c->data ? c->len : 0;
	c->data = NULL;
	return s;
}

/* In the child: plumb the pipes and exec; never returns. */
static void child(const char *const argv[], int out_fd, int err_fd)
{
	int null_fd = open("/dev/null", O_RDONLY);

	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "cannot run '%s': %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* Read both pipes until both reach end of file. */
static int drain(int out_fd, int err_fd, struct capture *out,
		 struct capture *err)
{
	struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	struct capture *c[2] = { out, err };
	int open_fds = 2, r = 0;

	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			r = capture_read(c[i], p[i].fd);
			if (r < 0)
				return r;
			if (r == 0) {
				p[i].fd = -1; /* end of file */
				open_fds--;
			}
		}
	}
	return 0;
}

int rfs_test_run(struct rfs_test_out *out, const char *const argv[])
{
	struct capture cout = { 0 }, cerr = { 0 };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	int status, r = 0;
	pid_t pid;

	rfs_test_out_release(out);
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		r = -errno;
		goto close_pipes;
	}
	fflush(NULL); /* do not let the child flush our buffers twice */
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto close_pipes;
	}
	if (pid == 0)
		child(argv, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	r = drain(po[0], pe[0], &cout, &cerr);
	if (r < 0)
		kill(pid, SIGKILL); /* reap it below, whatever it was doing */
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = r < 0 ? r : -errno;
			goto close_pipes;
		}
	}
	if (r == 0)
		r = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	out->out = capture_detach(&cout, &out->out_len);
	out->err = capture_detach(&cerr, &out->err_len);
	free(cout.data);
	free(cerr.data);
	if (r >= 0 && (!out->out || !out->err))
		r = -ENOMEM;
	return r;
}

int rfs_test_run_recyclefs(struct rfs_test_out *out, const char *index_path,
			   ...)
{
	const char *bin = getenv("RECYCLEFS_BIN");
	const char **argv;
	va_list ap;
	size_t n = 0, i = 0;
	int r;

	if (!bin || !*bin)
		return -ENOENT;
	va_start(ap, index_path);
	while (va_arg(ap, const char *))
		n++;
	va_end(ap);
	argv = calloc(n + 4, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[i++] = bin;
	if (index_path) {
		argv[i++] = "--index";
		argv[i++] = index_path;
	}
	va_start(ap, index_path);
	for (const char *a; (a = va_arg(ap, const char *));)
		argv[i++] = a;
	va_end(ap);
	argv[i] = NULL;
	r = rfs_test_run(out, argv);
	free(argv);
	return r;
}

void rfs_test_out_release(struct rfs_test_out *out)
{
	free(out->out);
	free(out->err);
	memset(out, 0, sizeof(*out));
}

int rfs_test_tmpdir(char *buf, size_t size)
{
	static const char tmpl[] = "/tmp/rfs-test-XXXXXX";

	if (size < sizeof(tmpl))
		return -ERANGE;
	memcpy(buf, tmpl, sizeof(tmpl));
	return mkdtemp(buf) ? 0 : -errno;
}

/* nftw() has no context argument: the first error of the walk. */
static int rm_error;

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP || type == FTW_DNR) {
		if (rmdir(path) < 0 && !rm_error)
			rm_error = -errno;
	} else if (unlink(path) < 0 && errno != ENOENT && !rm_error) {
		rm_error = -errno;
	}
	return 0;
}

int rfs_test_rm_rf(const char *path)
{
	rm_error = 0;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return -errno;
	return rm_error;
}

int rfs_test_as_nobody(int (*fn)(void), int mask)
{
	return rfs_test_as_user(65534, 65534, fn, mask);
}

int rfs_test_as_user(uid_t uid, gid_t gid, int (*fn)(void), int mask)
{
	return rfs_test_as_user_in(uid, gid, 0, NULL, fn, mask);
}

int rfs_test_as_user_in(uid_t uid, gid_t gid, size_t n, const gid_t *groups,
			int (*fn)(void), int mask)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(n, groups) < 0 || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(100);
		if (mask >= 0)
			umask((mode_t)mask);
		_exit(fn());
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}
