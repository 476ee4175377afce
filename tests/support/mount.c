#include "tests/support/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *bin(void)
{
	const char *b = getenv("RECYCLEFS_BIN");

	return b ? b : "recyclefs";
}

int rfs_test_mount_init(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };
	char uri[160];
	int r;

	memset(m, 0, sizeof(*m));
	if (rfs_test_tmpdir(m->dir, sizeof(m->dir)) < 0) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(m->index, sizeof(m->index), "%s/index.db", m->dir);
	snprintf(m->data, sizeof(m->data), "%s/data", m->dir);
	snprintf(m->mnt, sizeof(m->mnt), "%s/mnt", m->dir);
	snprintf(m->log, sizeof(m->log), "%s/log.txt", m->dir);
	if (mkdir(m->data, 0755) < 0 || mkdir(m->mnt, 0755) < 0) {
		perror("mkdir");
		return -1;
	}
	/* The S3 attribute store and anything else kept in a user's cache
	 * folder: the test's own, so a test shares nothing with the others
	 * or with the user who runs it. */
	snprintf(uri, sizeof(uri), "%s/cache", m->dir);
	setenv("XDG_CACHE_HOME", uri, 1);
	snprintf(uri, sizeof(uri), "file://%s", m->data);
	r = rfs_test_cli(m, &out, "init");
	if (r == 0)
		r = rfs_test_cli(m, &out, "storage", "add", "local", uri);
	if (r != 0)
		fprintf(stderr, "fixture setup failed (%d): %s\n", r, out.err);
	rfs_test_out_release(&out);
	return r == 0 ? 0 : -1;
}

int rfs_test_mount_epoch(struct rfs_test_mount *m)
{
	struct rfs_test_out out = { 0 };
	int r;

	umask(022);
	r = rfs_test_cli(m, &out, "table", "add", "t");
	if (r == 0)
		r = rfs_test_cli(m, &out, "lifecycle", "add", "t", "l");
	if (r == 0)
		r = rfs_test_cli(m, &out, "epoch", "add", "t", "l", "--from",
				 "2020-01-01", "--storage", "local", "--path",
				 "e", "--create");
	if (r != 0)
		fprintf(stderr, "epoch setup failed (%d): %s\n", r, out.err);
	rfs_test_out_release(&out);
	return r == 0 ? 0 : -1;
}

static bool mounted(const struct rfs_test_mount *m)
{
	struct stat a, b;

	return stat(m->mnt, &a) == 0 && stat(m->dir, &b) == 0 &&
	       a.st_dev != b.st_dev;
}

static void print_log(struct rfs_test_mount *m)
{
	char *log = rfs_test_mount_log(m);

	fprintf(stderr, "--- daemon log ---\n%s--- end ---\n", log);
	free(log);
}

int rfs_test_mount_start(struct rfs_test_mount *m, const char *opts)
{
	const char *argv[12];
	int i = 0, fd, status;

	argv[i++] = bin();
	argv[i++] = "--index";
	argv[i++] = m->index;
	if (m->verbose)
		argv[i++] = "-v";
	argv[i++] = "mount";
	argv[i++] = m->mnt;
	argv[i++] = "-f";
	if (opts) {
		argv[i++] = "-o";
		argv[i++] = opts;
	}
	argv[i] = NULL;
	m->pid = fork();
	if (m->pid < 0)
		return -1;
	if (m->pid == 0) {
		fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 150; i++) {
		if (mounted(m))
			return 0;
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			m->pid = 0;
			fprintf(stderr, "mount exited early (status %d)\n",
				status);
			print_log(m);
			return -1;
		}
		sleep_ms(100);
	}
	fprintf(stderr, "mount did not come up in 15 s\n");
	print_log(m);
	rfs_test_mount_stop(m);
	return -1;
}

int rfs_test_mount_stop(struct rfs_test_mount *m)
{
	const char *um[] = { "fusermount3", "-u", m->mnt, NULL };
	const char *lazy[] = { "fusermount3", "-uz", m->mnt, NULL };
	struct rfs_test_out out = { 0 };
	int status, i;

	if (!m->pid)
		return 0;
	if (rfs_test_run(&out, um) != 0)
		rfs_test_run(&out, lazy);
	rfs_test_out_release(&out);
	for (i = 0; i < 150; i++) {
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			m->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status)
						 : 128 + WTERMSIG(status);
		}
		sleep_ms(100);
	}
	kill(m->pid, SIGKILL);
	waitpid(m->pid, &status, 0);
	m->pid = 0;
	rfs_test_run(&out, lazy);
	rfs_test_out_release(&out);
	return -1;
}

void rfs_test_mount_cleanup(struct rfs_test_mount *m)
{
	if (!m->dir[0])
		return;
	rfs_test_mount_stop(m);
	rfs_test_rm_rf(m->dir);
	m->dir[0] = '\0';
}

static const char *vpath(const char *root, const char *fmt, va_list ap)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4];
	int n = snprintf(b, sizeof(bufs[0]), "%s/", root);

	vsnprintf(b + n, sizeof(bufs[0]) - (size_t)n, fmt, ap);
	return b;
}

const char *rfs_test_mnt(struct rfs_test_mount *m, const char *fmt, ...)
{
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	p = vpath(m->mnt, fmt, ap);
	va_end(ap);
	return p;
}

const char *rfs_test_data(struct rfs_test_mount *m, const char *fmt, ...)
{
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	p = vpath(m->data, fmt, ap);
	va_end(ap);
	return p;
}

static int vsh(struct rfs_test_mount *m, struct rfs_test_out *out,
	       const char *fmt, va_list ap)
{
	struct rfs_test_out scratch = { 0 };
	char line[8192], script[9000], *dir, *slash;
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	int r;

	vsnprintf(line, sizeof(line), fmt, ap);
	dir = strdup(bin());
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	snprintf(script, sizeof(script),
		 "export RECYCLEFS_INDEX='%s' PATH='%s':$PATH; cd '%s' && %s",
		 m->index, slash ? dir : ".", m->dir, line);
	free(dir);
	r = rfs_test_run(out ? out : &scratch, argv);
	rfs_test_out_release(&scratch);
	return r;
}

int rfs_test_sh(struct rfs_test_mount *m, struct rfs_test_out *out,
		const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsh(m, out, fmt, ap);
	va_end(ap);
	return r;
}

/* Say on stderr what a wait gave up on, with what the index and the
 * daemon's log say, for the test's report. */
static void gave_up(struct rfs_test_mount *m, double seconds, const char *fmt,
		    va_list ap)
{
	struct rfs_test_out out = { 0 };
	char cmd[1024];

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	rfs_test_sh(m, &out,
		    "%s --index index.db status --all 2>&1 | tail -n 20; "
		    "echo '-- the end of the daemon log:'; tail -n 30 %s",
		    bin(), m->log);
	fprintf(stderr, "gave up after %g s waiting for: %s\n%s\n", seconds,
		cmd, out.out);
	rfs_test_out_release(&out);
}

bool rfs_test_sh_until(struct rfs_test_mount *m, double seconds,
		       const char *fmt, ...)
{
	int tries = (int)(seconds * 10) + 1;
	va_list ap;

	while (tries-- > 0) {
		va_start(ap, fmt);
		if (vsh(m, NULL, fmt, ap) == 0) {
			va_end(ap);
			return true;
		}
		va_end(ap);
		sleep_ms(100);
	}
	va_start(ap, fmt);
	gave_up(m, seconds, fmt, ap);
	va_end(ap);
	return false;
}

char *rfs_test_mount_log(struct rfs_test_mount *m)
{
	FILE *f = fopen(m->log, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return strdup("");
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = strdup("");
	}
	fclose(f);
	return s;
}
