/*
 * FUSE passthrough of opened local files, through a real mount: with a
 * build on libfuse >= 3.17 and a kernel that offers it (Linux >= 6.9), the
 * kernel reads and writes an opened file of a file:// epoch itself, from
 * the storage's file. The proof: with the daemon stopped (SIGSTOP), a read
 * of a file opened before still completes, which it cannot when it is a
 * request to the daemon (as with -o passthrough=off, or a
 * build without passthrough: there the same read waits for the daemon).
 */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rfs_config.h"
#include "tests/support/mount.h"

static struct rfs_test_mount m;
static bool stopped;

#define E     RFS_TEST_EPOCH
#define MP(f) rfs_test_mnt(&m, E "/%s", f)
#define DP(f) rfs_test_data(&m, "e/%s", f)
#define SIZE  (1 << 20)

static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_mount_epoch(&m), 0);
}

static void daemon_cont(void)
{
	if (stopped && m.pid > 0)
		kill(m.pid, SIGCONT);
	stopped = false;
}

static void teardown(void)
{
	daemon_cont();
	rfs_test_mount_cleanup(&m);
}

TestSuite(passthrough, .init = setup, .fini = teardown);

/* Stop the daemon and wait until every thread of it is stopped. */
static void daemon_stop(void)
{
	char path[64], buf[512], *p;
	FILE *f;

	cr_assert_gt(m.pid, 0);
	cr_assert_eq(kill(m.pid, SIGSTOP), 0);
	stopped = true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)m.pid);
	for (int i = 0; i < 500; i++) {
		f = fopen(path, "r");
		cr_assert(f);
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && p[1] == ' ' && p[2] == 'T')
			return;
		usleep(10 * 1000);
	}
	cr_assert_fail("the daemon did not stop");
}

/* The bytes of the test file at @p off. */
static char pattern(size_t off)
{
	return (char)(off * 13 + off / 4096 + 1);
}

static void make_file(const char *path)
{
	char *buf = malloc(SIZE);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert(buf);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < SIZE; i++)
		buf[i] = pattern(i);
	cr_assert_eq(write(fd, buf, SIZE), SIZE);
	cr_assert_eq(close(fd), 0);
	free(buf);
}

/* A child reading and writing a file opened through the mount. */
struct prober {
	pid_t pid; /**< the child */
	int from;  /**< its reports: 'y' or 'n', for its read then its write */
};

/*
 * In a child, read the whole of @p fd (checking its bytes), report, then
 * write "written while stopped" at its start and report. The reports come
 * through a pipe before the child exits (its exit closes @p fd, which
 * sends a flush only the daemon answers).
 */
static void probe_start(struct prober *pr, int fd)
{
	int p[2];
	char r;

	cr_assert_eq(pipe(p), 0);
	pr->pid = fork();
	cr_assert_geq(pr->pid, 0);
	if (pr->pid == 0) {
		char *buf = malloc(SIZE);
		bool good = buf && pread(fd, buf, SIZE, 0) == SIZE;

		for (size_t i = 0; good && i < SIZE; i++)
			good = buf[i] == pattern(i);
		r = good ? 'y' : 'n';
		if (write(p[1], &r, 1) != 1)
			_exit(2);
		good = pwrite(fd, "written while stopped", 21, 0) == 21;
		r = good ? 'y' : 'n';
		if (write(p[1], &r, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	pr->from = p[0];
}

/* The child's next report within @p seconds: 'y', 'n', or 0 (none). */
static char probe_report(struct prober *pr, double seconds)
{
	struct pollfd pfd = { .fd = pr->from, .events = POLLIN };
	char r = 0;

	if (poll(&pfd, 1, (int)(seconds * 1000)) == 1 &&
	    read(pr->from, &r, 1) != 1)
		r = 0;
	return r;
}

/* Reap the child (the daemon runs again). */
static void probe_end(struct prober *pr)
{
	int status;

	close(pr->from);
	cr_assert_eq(waitpid(pr->pid, &status, 0), pr->pid);
}

/* Linux >= 6.9 has FUSE passthrough. */
static bool kernel_has_passthrough(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 9);
}

static bool log_says(const char *what)
{
	char *log = rfs_test_mount_log(&m);
	bool found = strstr(log, what) != NULL;

	free(log);
	return found;
}

/* Skip the calling test where passthrough cannot be on. */
static void need_passthrough(void)
{
#ifndef RFS_HAVE_PASSTHROUGH
	cr_skip_test("built without FUSE passthrough (libfuse < 3.17): "
		     "reads and writes go through the daemon; nothing to "
		     "prove here");
#endif
	if (!kernel_has_passthrough())
		cr_skip_test(
			"this kernel has no FUSE passthrough (Linux < 6.9)");
}

/*
 * A read of a file opened before the daemon stopped completes: the kernel
 * serves it from the storage's file. (A write needs the daemon still, for
 * the kernel's check of the file's security.capability attribute, which
 * every write through FUSE makes; its bytes then go to the storage's file
 * without the daemon.)
 */
Test(passthrough, reads_are_served_by_the_kernel)
{
	struct prober pr;
	char head[32] = { 0 };
	struct stat a, b;
	int fd;

	need_passthrough();
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_expect(log_says("passthrough of local files: on"));
	make_file(DP("big.bin"));
	fd = open(MP("big.bin"), O_RDWR);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	daemon_stop();
	probe_start(&pr, fd);
	cr_assert_eq(probe_report(&pr, 10), 'y',
		     "a read through the mount waited for the stopped daemon "
		     "(or read wrong bytes): passthrough is not in use");
	daemon_cont();
	cr_expect_eq(probe_report(&pr, 20), 'y', "the write failed");
	probe_end(&pr);
	/* the write is on the storage, and the mount shows its size and
	 * mtime */
	cr_assert_eq(close(fd), 0);
	fd = open(DP("big.bin"), O_RDONLY);
	cr_assert_eq(read(fd, head, 21), 21);
	close(fd);
	cr_expect_str_eq(head, "written while stopped");
	cr_assert_eq(stat(MP("big.bin"), &a), 0);
	cr_assert_eq(stat(DP("big.bin"), &b), 0);
	cr_expect_eq(a.st_size, SIZE);
	cr_expect_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	cr_expect_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
}

/* The same probe with -o passthrough=off (and on a build without
 * passthrough, by default): the read waits for the daemon, and completes
 * once it continues. */
Test(passthrough, off_by_option_the_daemon_serves_reads)
{
	struct prober pr;
	int fd;

	cr_assert_eq(rfs_test_mount_start(&m, "passthrough=off"), 0);
	cr_expect(log_says("passthrough of local files: off"));
	make_file(DP("big.bin"));
	fd = open(MP("big.bin"), O_RDWR);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	daemon_stop();
	probe_start(&pr, fd);
	cr_expect_eq(probe_report(&pr, 1.5), 0,
		     "a read completed while the daemon was stopped");
	daemon_cont();
	cr_expect_eq(probe_report(&pr, 20), 'y', "the read failed");
	cr_expect_eq(probe_report(&pr, 20), 'y', "the write failed");
	probe_end(&pr);
	close(fd);
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "printf 'written while stopped' | "
				 "cmp -n 21 - data/e/big.bin"),
		     0);
}

Test(passthrough, a_bad_value_is_refused)
{
	struct rfs_test_out out = { 0 };

	cr_expect_neq(rfs_test_sh(&m, &out,
				  "recyclefs mount mnt -o passthrough=maybe"),
		      0);
	cr_expect(strstr(out.err, "bad mount option 'passthrough=maybe'"), "%s",
		  out.err);
	cr_expect_eq(rfs_test_sh(&m, NULL, "! mountpoint -q mnt"), 0);
	rfs_test_out_release(&out);
}

/*
 * Several opens of one file at once (read-only, write-only, read-write,
 * a mapping), closed in any order and opened again, each see the bytes
 * the others wrote; a file created through the mount is written to the
 * storage, with the size and mtime the mount shows.
 */
Test(passthrough, opens_of_one_file_share_it)
{
	char buf[64] = { 0 }, *map;
	int r, w, rw, again;
	struct stat a, b;

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	make_file(DP("f"));
	r = open(MP("f"), O_RDONLY);
	w = open(MP("f"), O_WRONLY);
	cr_assert_geq(r, 0, "%s", strerror(errno));
	cr_assert_geq(w, 0, "%s", strerror(errno));
	cr_assert_eq(pwrite(w, "one", 3, 0), 3);
	cr_assert_eq(pread(r, buf, 3, 0), 3);
	cr_expect_str_eq(buf, "one");
	cr_assert_eq(close(r), 0);
	rw = open(MP("f"), O_RDWR);
	cr_assert_geq(rw, 0, "%s", strerror(errno));
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rw, 0);
	cr_assert_neq(map, MAP_FAILED, "%s", strerror(errno));
	cr_assert_eq(pwrite(rw, "two", 3, 3), 3);
	cr_expect_eq(memcmp(map, "onetwo", 6), 0);
	cr_assert_eq(munmap(map, 4096), 0);
	cr_assert_eq(close(w), 0);
	cr_assert_eq(close(rw), 0);
	again = open(MP("f"), O_RDONLY);
	cr_assert_geq(again, 0, "%s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(pread(again, buf, 6, 0), 6);
	cr_expect_str_eq(buf, "onetwo");
	cr_assert_eq(close(again), 0);

	w = open(MP("new"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(w, 0, "%s", strerror(errno));
	cr_assert_eq(write(w, "created", 7), 7);
	cr_assert_eq(fstat(w, &a), 0);
	cr_expect_eq(a.st_size, 7);
	cr_assert_eq(ftruncate(w, 5), 0);
	cr_assert_eq(close(w), 0);
	cr_assert_eq(stat(MP("new"), &a), 0);
	cr_assert_eq(stat(DP("new"), &b), 0);
	cr_expect_eq(a.st_size, 5);
	cr_expect_eq(b.st_size, 5);
	cr_expect_eq(a.st_mode, b.st_mode);
	cr_expect_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	cr_expect_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	cr_expect_eq(rfs_test_sh(&m, NULL, "printf creat | cmp - data/e/new"),
		     0);
}

/* A file open for writing through passthrough still holds its folder
 * back from an archive (the daemon notes it at open). */
Test(passthrough, a_file_open_for_writing_blocks_an_archive)
{
	int fd;

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "mkdir -p data/e/dt=1"), 0);
	make_file(DP("dt=1/part"));
	fd = open(MP("dt=1/part"), O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	cr_assert_eq(write(fd, "more", 4), 4);
	cr_expect_eq(rename(MP("dt=1"), rfs_test_mnt(&m, ".recyclebin/dt=1")),
		     -1);
	cr_expect_eq(errno, EBUSY);
	cr_assert_eq(close(fd), 0);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test $(stat -c %%s data/e/dt=1/part) "
				 "= %d",
				 SIZE + 4),
		     0);
}

/*
 * A file replaced on the storage behind the mount's back while it is open
 * through the mount: a new open of its name works (with passthrough it
 * reads the file the open one has: the kernel keeps one backing file per
 * node), and once both are closed an open reads the new file.
 */
Test(passthrough, a_file_replaced_on_the_storage_while_open)
{
	char buf[16] = { 0 };
	int old, now;

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "printf old-bytes > data/e/f"), 0);
	old = open(MP("f"), O_RDONLY);
	cr_assert_geq(old, 0, "%s", strerror(errno));
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "printf new-bytes > data/e/f.tmp && "
				 "mv data/e/f.tmp data/e/f"),
		     0);
	now = open(MP("f"), O_RDONLY);
	cr_assert_geq(now, 0, "%s", strerror(errno));
	cr_expect_eq(pread(now, buf, 9, 0), 9);
	cr_expect_eq(pread(old, buf, 9, 0), 9);
	cr_assert_eq(close(now), 0);
	cr_assert_eq(close(old), 0);
	now = open(MP("f"), O_RDONLY);
	cr_assert_geq(now, 0, "%s", strerror(errno));
	cr_assert_eq(pread(now, buf, 9, 0), 9);
	cr_expect_str_eq(buf, "new-bytes");
	cr_assert_eq(close(now), 0);
}
