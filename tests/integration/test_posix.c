/*
 * POSIX behaviour inside an epoch on file storage, through a real mount:
 * every change must land on the storage's directory with the same bytes,
 * modes, sizes and times, and what the mount reports must be the
 * storage's own.
 */

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/support/mount.h"

static struct rfs_test_mount m;

#define E RFS_TEST_EPOCH

static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_mount_epoch(&m), 0);
	cr_assert_eq(rfs_test_mount_start(&m, "allow_other"), 0);
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
}

TestSuite(posix, .init = setup, .fini = teardown);

/* A path in the epoch, through the mount and on the storage. */
#define MP(f) rfs_test_mnt(&m, E "/%s", f)
#define DP(f) rfs_test_data(&m, "e/%s", f)

static void write_all(const char *path, const void *buf, size_t n, int flags,
		      mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, mode);

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, buf, n), (ssize_t)n);
	cr_assert_eq(close(fd), 0);
}

static size_t read_all(const char *path, void *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t got, total = 0;

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	while ((got = read(fd, (char *)buf + total, n - (size_t)total)) > 0)
		total += got;
	cr_assert_geq(got, 0);
	close(fd);
	return (size_t)total;
}

static void expect_same_stat(const char *f)
{
	struct stat a, b;

	cr_assert_eq(lstat(MP(f), &a), 0, "%s: %s", f, strerror(errno));
	cr_assert_eq(lstat(DP(f), &b), 0, "%s: %s", f, strerror(errno));
	cr_expect_eq(a.st_mode, b.st_mode, "%s mode %o vs %o", f, a.st_mode,
		     b.st_mode);
	cr_expect_eq(a.st_size, b.st_size, "%s size", f);
	cr_expect_eq(a.st_uid, b.st_uid, "%s uid", f);
	cr_expect_eq(a.st_gid, b.st_gid, "%s gid", f);
	cr_expect_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec, "%s mtime", f);
	cr_expect_eq(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec, "%s mtime ns", f);
	cr_expect_eq(a.st_nlink, b.st_nlink, "%s nlink", f);
	cr_expect_eq(a.st_blocks, b.st_blocks, "%s blocks", f);
}

Test(posix, write_then_read_back_lands_on_storage)
{
	char buf[3 << 20], back[3 << 20];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + i / 4096);
	write_all(MP("f.bin"), buf, sizeof(buf), O_EXCL, 0640);
	cr_assert_eq(read_all(DP("f.bin"), back, sizeof(back)), sizeof(buf));
	cr_expect_eq(memcmp(buf, back, sizeof(buf)), 0);
	memset(back, 0, sizeof(back));
	cr_assert_eq(read_all(MP("f.bin"), back, sizeof(back)), sizeof(buf));
	cr_expect_eq(memcmp(buf, back, sizeof(buf)), 0);
	expect_same_stat("f.bin");
	struct stat st;
	cr_assert_eq(stat(DP("f.bin"), &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0640);
}

Test(posix, o_excl_and_enoent)
{
	write_all(MP("x"), "a", 1, O_EXCL, 0644);
	cr_expect_eq(open(MP("x"), O_CREAT | O_EXCL | O_WRONLY, 0644), -1);
	cr_expect_eq(errno, EEXIST);
	cr_expect_eq(open(MP("missing"), O_RDONLY), -1);
	cr_expect_eq(errno, ENOENT);
	cr_expect_eq(open(MP("missing/x"), O_CREAT | O_WRONLY, 0644), -1);
	cr_expect_eq(errno, ENOENT);
}

Test(posix, mkdir_rmdir_unlink)
{
	cr_assert_eq(mkdir(MP("d"), 0750), 0);
	expect_same_stat("d");
	write_all(MP("d/f"), "x", 1, 0, 0644);
	cr_expect_eq(rmdir(MP("d")), -1);
	cr_expect_eq(errno, ENOTEMPTY);
	cr_assert_eq(unlink(MP("d/f")), 0);
	cr_expect_eq(access(DP("d/f"), F_OK), -1);
	cr_assert_eq(rmdir(MP("d")), 0);
	cr_expect_eq(access(DP("d"), F_OK), -1);
}

Test(posix, rename_within_the_epoch)
{
	cr_assert_eq(mkdir(MP("a"), 0755), 0);
	write_all(MP("a/f"), "one", 3, 0, 0644);
	write_all(MP("g"), "two", 3, 0, 0644);
	cr_assert_eq(rename(MP("a/f"), MP("f2")), 0);
	cr_expect_eq(access(DP("f2"), F_OK), 0);
	cr_expect_eq(access(DP("a/f"), F_OK), -1);
	cr_assert_eq(rename(MP("a"), MP("b")), 0);
	cr_expect_eq(access(DP("b"), F_OK), 0);
	cr_expect_eq(renameat2(AT_FDCWD, MP("f2"), AT_FDCWD, MP("g"),
			       RENAME_NOREPLACE),
		     -1);
	cr_expect_eq(errno, EEXIST);
	cr_assert_eq(renameat2(AT_FDCWD, MP("f2"), AT_FDCWD, MP("g"),
			       RENAME_EXCHANGE),
		     0);
	char buf[8] = { 0 };
	read_all(DP("g"), buf, sizeof(buf) - 1);
	cr_expect_str_eq(buf, "one");
	/* Over an existing file, as mv does. */
	cr_assert_eq(rename(MP("f2"), MP("g")), 0);
	memset(buf, 0, sizeof(buf));
	read_all(DP("g"), buf, sizeof(buf) - 1);
	cr_expect_str_eq(buf, "two");
}

Test(posix, truncate_and_ftruncate)
{
	struct stat st;
	int fd;

	write_all(MP("t"), "0123456789", 10, 0, 0644);
	cr_assert_eq(truncate(MP("t"), 4), 0);
	cr_assert_eq(stat(DP("t"), &st), 0);
	cr_expect_eq(st.st_size, 4);
	cr_assert_eq(truncate(MP("t"), 100000), 0);
	cr_assert_eq(stat(DP("t"), &st), 0);
	cr_expect_eq(st.st_size, 100000);
	fd = open(MP("t"), O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 2), 0);
	close(fd);
	cr_assert_eq(stat(DP("t"), &st), 0);
	cr_expect_eq(st.st_size, 2);
	fd = open(MP("t"), O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(stat(DP("t"), &st), 0);
	cr_expect_eq(st.st_size, 0);
}

Test(posix, chmod_and_utimens_land_on_storage)
{
	struct timespec ts[2] = { { 1000000000, 123456789 },
				  { 1500000000, 987654321 } };
	struct stat st;

	write_all(MP("m"), "x", 1, 0, 0644);
	cr_assert_eq(chmod(MP("m"), 0600), 0);
	cr_assert_eq(stat(DP("m"), &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(utimensat(AT_FDCWD, MP("m"), ts, 0), 0);
	cr_assert_eq(stat(DP("m"), &st), 0);
	cr_expect_eq(st.st_mtim.tv_sec, 1500000000);
	cr_expect_eq(st.st_mtim.tv_nsec, 987654321);
	cr_expect_eq(st.st_atim.tv_sec, 1000000000);
	cr_expect_eq(st.st_atim.tv_nsec, 123456789);
	expect_same_stat("m");
}

Test(posix, times_set_on_storage_are_reported)
{
	struct stat st;

	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "echo x > data/e/old && touch -d "
				 "'2001-02-03 04:05:06.789' data/e/old"),
		     0);
	cr_assert_eq(stat(MP("old"), &st), 0);
	expect_same_stat("old");
	cr_expect_eq(st.st_mtim.tv_nsec, 789000000);
}

Test(posix, symlinks_and_hard_links)
{
	char buf[64];
	ssize_t n;
	struct stat st;

	write_all(MP("target"), "x", 1, 0, 0644);
	cr_assert_eq(symlink("target", MP("sl")), 0);
	n = readlink(DP("sl"), buf, sizeof(buf) - 1);
	cr_assert_eq(n, 6);
	buf[n] = '\0';
	cr_expect_str_eq(buf, "target");
	n = readlink(MP("sl"), buf, sizeof(buf) - 1);
	cr_assert_eq(n, 6);
	cr_assert_eq(lstat(MP("sl"), &st), 0);
	cr_expect(S_ISLNK(st.st_mode));
	cr_assert_eq(link(MP("target"), MP("hl")), 0);
	cr_assert_eq(stat(DP("target"), &st), 0);
	cr_expect_eq(st.st_nlink, 2);
	/* An absolute link is stored as written, not resolved. */
	cr_assert_eq(symlink("/etc/hostname", MP("abs")), 0);
	n = readlink(DP("abs"), buf, sizeof(buf) - 1);
	cr_assert_eq(n, 13);
}

Test(posix, fsync_fdatasync_and_statfs)
{
	struct statvfs a, b;
	int fd = open(MP("s"), O_CREAT | O_WRONLY, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "abc", 3), 3);
	cr_expect_eq(fsync(fd), 0);
	cr_expect_eq(fdatasync(fd), 0);
	close(fd);
	cr_assert_eq(statvfs(MP("s"), &a), 0);
	cr_assert_eq(statvfs(m.data, &b), 0);
	cr_expect_eq(a.f_blocks, b.f_blocks);
}

Test(posix, xattrs_pass_through)
{
	char buf[64], list[256];
	ssize_t n;

	write_all(MP("x"), "x", 1, 0, 0644);
	cr_assert_eq(setxattr(MP("x"), "user.color", "blue", 4, 0), 0);
	n = getxattr(DP("x"), "user.color", buf, sizeof(buf));
	cr_assert_eq(n, 4);
	cr_expect_eq(memcmp(buf, "blue", 4), 0);
	n = getxattr(MP("x"), "user.color", buf, sizeof(buf));
	cr_assert_eq(n, 4);
	n = listxattr(MP("x"), list, sizeof(list));
	cr_assert_gt(n, 0);
	cr_expect(memmem(list, (size_t)n, "user.color", 11) != NULL);
	cr_expect_eq(getxattr(MP("x"), "user.none", buf, sizeof(buf)), -1);
	cr_expect_eq(errno, ENODATA);
	cr_assert_eq(removexattr(MP("x"), "user.color"), 0);
	cr_expect_eq(getxattr(DP("x"), "user.color", buf, sizeof(buf)), -1);
}

Test(posix, large_sparse_file_beyond_4gib)
{
	const off_t off = (off_t)5 << 30;
	char buf[16] = { 0 }, zero[16] = { 0 };
	struct stat st;
	int fd = open(MP("big"), O_CREAT | O_RDWR, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, "tail-of-5gib", 12, off), 12);
	cr_assert_eq(pread(fd, buf, 12, off), 12);
	cr_expect_eq(memcmp(buf, "tail-of-5gib", 12), 0);
	cr_assert_eq(pread(fd, buf, 16, (off_t)1 << 32), 16);
	cr_expect_eq(memcmp(buf, zero, 16), 0);
	cr_expect_eq(lseek(fd, 0, SEEK_DATA), off - off % 4096);
	cr_expect_eq(lseek(fd, 0, SEEK_HOLE), 0);
	close(fd);
	cr_assert_eq(stat(DP("big"), &st), 0);
	cr_expect_eq(st.st_size, off + 12);
	cr_expect_lt(st.st_blocks, 1024, "file is not sparse on storage");
	expect_same_stat("big");
}

Test(posix, readdir_matches_storage_with_types)
{
	char *s;
	struct rfs_test_out out = { 0 };

	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "cd data/e && mkdir -p p/q && touch a b p/c && "
			    "ln -s a l"),
		0);
	cr_assert_eq(
		rfs_test_sh(&m, &out,
			    "cd mnt/" E " && find . -printf '%%y %%p %%s\\n' "
			    "| sort > /tmp/rfs-$$-m && cd %s/data/e && "
			    "find . -printf '%%y %%p %%s\\n' | sort | diff - "
			    "/tmp/rfs-$$-m; r=$?; rm -f /tmp/rfs-$$-m; "
			    "exit $r",
			    m.dir),
		0);
	(void)s;
	rfs_test_out_release(&out);
}

Test(posix, cp_a_keeps_mtimes_and_modes)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "mkdir -p src/d && echo hi > src/d/f && chmod "
			    "0604 src/d/f && touch -d '2005-05-05 05:05:05' "
			    "src/d/f src/d && cp -a src/d mnt/" E "/"),
		0);
	cr_assert_eq(rfs_test_sh(&m, &out,
				 "test \"$(stat -c '%%a %%Y' src/d/f)\" = "
				 "\"$(stat -c '%%a %%Y' data/e/d/f)\" && "
				 "test \"$(stat -c %%Y src/d)\" = "
				 "\"$(stat -c %%Y data/e/d)\""),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
}

Test(posix, unlinked_open_file_stays_readable)
{
	char buf[8] = { 0 };
	int fd;

	write_all(MP("u"), "alive", 5, 0, 0644);
	fd = open(MP("u"), O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(unlink(MP("u")), 0);
	cr_expect_eq(access(DP("u"), F_OK), -1);
	cr_expect_eq(pread(fd, buf, 5, 0), 5);
	cr_expect_str_eq(buf, "alive");
	close(fd);
}

Test(posix, append_and_concurrent_writers)
{
	char buf[64] = { 0 };
	int fd;

	write_all(MP("ap"), "a", 1, 0, 0644);
	fd = open(MP("ap"), O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "b", 1), 1);
	close(fd);
	read_all(DP("ap"), buf, sizeof(buf));
	cr_expect_str_eq(buf, "ab");
}

struct worker {
	int id;
	int errors;
};

static void *writer(void *arg)
{
	struct worker *w = arg;
	char name[32], buf[65536], back[65536];

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "w%d-%d", w->id, i);
		memset(buf, 'a' + w->id, sizeof(buf));
		int fd = open(MP(name), O_CREAT | O_RDWR | O_TRUNC, 0644);

		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) ||
		    pread(fd, back, sizeof(back), 0) != sizeof(back) ||
		    memcmp(buf, back, sizeof(buf)))
			w->errors++;
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

Test(posix, parallel_writers_do_not_interfere)
{
	pthread_t th[8];
	struct worker w[8];

	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ i, 0 };
		pthread_create(&th[i], NULL, writer, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(w[i].errors, 0, "writer %d", i);
	}
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test $(ls data/e | grep -c '^w') -eq 160"),
		     0);
}

Test(posix, files_created_by_another_user_belong_to_them)
{
	struct stat st;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(chmod(m.dir, 0711), 0);
	cr_assert_eq(chmod(DP(""), 0777), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "setpriv --reuid=65534 --regid=65534 "
				 "--clear-groups sh -c 'echo x > mnt/" E
				 "/nobody'"),
		     0);
	cr_assert_eq(stat(DP("nobody"), &st), 0);
	cr_expect_eq(st.st_uid, 65534);
	cr_expect_eq(st.st_gid, 65534);
}

Test(posix, permissions_are_enforced_for_other_users)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(chmod(m.dir, 0711), 0);
	write_all(MP("secret"), "x", 1, 0, 0600);
	write_all(MP("public"), "x", 1, 0, 0644);
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "setpriv --reuid=65534 --regid=65534 "
				 "--clear-groups cat mnt/" E "/public"),
		     0);
	cr_expect_neq(rfs_test_sh(&m, NULL,
				  "setpriv --reuid=65534 --regid=65534 "
				  "--clear-groups cat mnt/" E "/secret"),
		      0);
}

/* The mode on the storage of what @p f names. */
static mode_t data_mode(const char *f)
{
	struct stat st;

	cr_assert_eq(lstat(DP(f), &st), 0, "%s: %s", f, strerror(errno));
	return st.st_mode;
}

Test(posix, the_callers_umask_alone_applies)
{
	int fd;

	umask(0);
	cr_assert_eq(mkdir(MP("d777"), 0777), 0);
	cr_expect_eq(data_mode("d777") & 07777, 0777, "mkdir 0777: %o",
		     data_mode("d777") & 07777);
	fd = open(MP("f4777"), O_CREAT | O_EXCL | O_WRONLY, 04777);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	close(fd);
	cr_expect_eq(data_mode("f4777") & 07777, 04777, "open 04777: %o",
		     data_mode("f4777") & 07777);
	fd = open(MP("f620"), O_CREAT | O_EXCL | O_WRONLY, 0620);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_expect_eq(data_mode("f620") & 07777, 0620);
	cr_assert_eq(mkfifo(MP("p666"), 0666), 0, "%s", strerror(errno));
	cr_expect_eq(data_mode("p666") & 07777, 0666);
	umask(027);
	cr_assert_eq(mkdir(MP("d750"), 0777), 0);
	cr_expect_eq(data_mode("d750") & 07777, 0750);
	fd = open(MP("f640"), O_CREAT | O_EXCL | O_WRONLY, 0666);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_expect_eq(data_mode("f640") & 07777, 0640);
	expect_same_stat("d777");
	expect_same_stat("f4777");
	expect_same_stat("d750");
}

/* Bind a UNIX socket at @p name in the current directory. @return its fd */
static int bind_socket(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", name);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0,
		     "bind %s: %s", name, strerror(errno));
	return fd;
}

Test(posix, special_files_are_made_on_the_storage)
{
	char buf[8] = { 0 };
	struct stat a, b;
	pid_t pid;
	int fd, st;

	if (geteuid() != 0)
		cr_skip_test("device nodes need root");
	cr_assert_eq(mkfifo(MP("fifo"), 0640), 0, "%s", strerror(errno));
	cr_expect(S_ISFIFO(data_mode("fifo")));
	cr_assert_eq(mknod(MP("chr"), S_IFCHR | 0620, makedev(1, 3)), 0, "%s",
		     strerror(errno));
	cr_assert_eq(mknod(MP("blk"), S_IFBLK | 0600, makedev(7, 200)), 0, "%s",
		     strerror(errno));
	cr_assert_eq(mknod(MP("fifo2"), S_IFIFO | 0600, 0), 0);
	cr_assert_eq(chdir(MP("")), 0);
	close(bind_socket("sock"));
	cr_expect(S_ISSOCK(data_mode("sock")), "sock is %o", data_mode("sock"));
	cr_expect(S_ISCHR(data_mode("chr")));
	cr_expect(S_ISBLK(data_mode("blk")));
	const char *names[] = { "fifo", "fifo2", "chr", "blk", "sock" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		expect_same_stat(names[i]);
		cr_assert_eq(lstat(MP(names[i]), &a), 0);
		cr_assert_eq(lstat(DP(names[i]), &b), 0);
		cr_expect_eq(a.st_rdev, b.st_rdev, "%s rdev", names[i]);
	}
	/* A second mknod of a name is EEXIST, as on the storage. */
	cr_expect_eq(mkfifo(MP("chr"), 0600), -1);
	cr_expect_eq(errno, EEXIST);
	/* The FIFO carries bytes between two processes through the mount. */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int w = open(MP("fifo"), O_WRONLY);

		_exit(w >= 0 && write(w, "piped", 5) == 5 ? 0 : 1);
	}
	fd = open(MP("fifo"), O_RDONLY);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	cr_expect_eq(read(fd, buf, 5), 5);
	cr_expect_str_eq(buf, "piped");
	close(fd);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* (Opening a device node needs a mount with -o dev; FUSE mounts
	 * are nodev by default, so that is not asked here.) */
	/* A listing shows each with its type. */
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test \"$(cd mnt/" E " && find . -mindepth 1 "
				 "-printf '%%y %%p\\n' | sort)\" = "
				 "\"$(cd data/e && find . -mindepth 1 -printf "
				 "'%%y %%p\\n' | sort)\""),
		     0);
	/* Rename, chmod and unlink act on the storage's node. */
	cr_assert_eq(rename(MP("fifo2"), MP("fifo3")), 0);
	cr_expect(S_ISFIFO(data_mode("fifo3")));
	cr_assert_eq(chmod(MP("fifo3"), 0604), 0);
	cr_expect_eq(data_mode("fifo3") & 07777, 0604);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(names[i], "fifo2"))
			cr_expect_eq(unlink(MP(names[i])), 0, "%s", names[i]);
	cr_expect_eq(unlink(MP("fifo3")), 0);
	cr_expect_eq(rfs_test_sh(&m, NULL, "test -z \"$(ls -A data/e)\""), 0);
}

Test(posix, hard_links_show_one_inode_number)
{
	struct stat a, b, c, d;
	ino_t seen[2] = { 0, 0 };
	struct dirent *de;
	DIR *dir;

	write_all(MP("one"), "x", 1, 0, 0644);
	write_all(MP("other"), "y", 1, 0, 0644);
	cr_assert_eq(mkdir(MP("sub"), 0755), 0);
	cr_assert_eq(link(MP("one"), MP("sub/two")), 0);
	cr_assert_eq(stat(MP("one"), &a), 0);
	cr_assert_eq(stat(MP("sub/two"), &b), 0);
	cr_assert_eq(stat(MP("other"), &c), 0);
	cr_expect_eq(a.st_ino, b.st_ino, "%ju vs %ju", (uintmax_t)a.st_ino,
		     (uintmax_t)b.st_ino);
	cr_expect_eq(a.st_nlink, 2);
	cr_expect_neq(a.st_ino, c.st_ino);
	/* readdir gives the same number as stat. */
	dir = opendir(MP(""));
	cr_assert(dir);
	while ((de = readdir(dir)))
		if (!strcmp(de->d_name, "one"))
			seen[0] = de->d_ino;
	closedir(dir);
	dir = opendir(MP("sub"));
	cr_assert(dir);
	while ((de = readdir(dir)))
		if (!strcmp(de->d_name, "two"))
			seen[1] = de->d_ino;
	closedir(dir);
	cr_expect_eq(seen[0], a.st_ino);
	cr_expect_eq(seen[1], a.st_ino);
	/* Every catalog level and the epoch root have a number of their
	 * own, none 0. */
	cr_assert_eq(stat(MP(""), &d), 0);
	cr_expect_neq(d.st_ino, 0);
	cr_expect_neq(d.st_ino, a.st_ino);
	cr_assert_eq(stat(rfs_test_mnt(&m, "t"), &c), 0);
	cr_expect_neq(c.st_ino, 0);
	cr_assert_eq(stat(rfs_test_mnt(&m, "t/l"), &b), 0);
	cr_expect_neq(b.st_ino, c.st_ino);
	cr_expect_neq(b.st_ino, d.st_ino);
	/* tar and cp -a keep the link (they pair names by inode number). */
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "rm -rf cp && cp -a mnt/" E " cp && "
				 "test $(stat -c %%i cp/one) = "
				 "$(stat -c %%i cp/sub/two)"),
		     0);
}

static int nobody_makes_every_type(void)
{
	int fd;

	fd = open(MP("pub/reg"), O_CREAT | O_EXCL | O_WRONLY, 0666);
	if (fd < 0 || write(fd, "n", 1) != 1 || close(fd))
		return 1;
	if (mkdir(MP("pub/dir"), 0777))
		return 2;
	if (symlink("reg", MP("pub/lnk")))
		return 3;
	if (mkfifo(MP("pub/fifo"), 0666))
		return 4;
	if (chdir(MP("pub")))
		return 5;
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		strcpy(a.sun_path, "sock");
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)))
			return 6;
		close(s);
	}
	/* device nodes need CAP_MKNOD, as on the storage itself */
	if (mknod(MP("pub/chr"), S_IFCHR | 0666, makedev(1, 3)) == 0 ||
	    errno != EPERM)
		return 7;
	if (mknod(MP("pub/blk"), S_IFBLK | 0666, makedev(7, 200)) == 0 ||
	    errno != EPERM)
		return 8;
	if (link(MP("pub/reg"), MP("pub/hard")))
		return 9;
	return 0;
}

Test(posix, a_user_other_than_the_owner_makes_every_file_type)
{
	const char *names[] = { "reg", "dir", "lnk", "fifo", "sock", "hard" };
	struct stat a, b;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(chmod(m.dir, 0711), 0);
	cr_assert_eq(mkdir(MP("pub"), 0777), 0);
	cr_assert_eq(chmod(MP("pub"), 0777), 0);
	cr_assert_eq(rfs_test_as_nobody(nobody_makes_every_type, 022), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char n[32];

		snprintf(n, sizeof(n), "pub/%s", names[i]);
		cr_assert_eq(lstat(DP(n), &b), 0, "%s: %s", n, strerror(errno));
		cr_expect_eq(b.st_uid, 65534, "%s uid %u", n, b.st_uid);
		cr_expect_eq(b.st_gid, 65534, "%s gid %u", n, b.st_gid);
		if (!S_ISLNK(b.st_mode))
			cr_expect_eq(b.st_mode & 07777,
				     S_ISDIR(b.st_mode)	   ? 0755
				     : S_ISSOCK(b.st_mode) ? 0755
							   : 0644,
				     "%s mode %o", n, b.st_mode & 07777);
		expect_same_stat(n);
		cr_assert_eq(lstat(MP(n), &a), 0);
		cr_expect_eq(a.st_ino == 0, false);
	}
	cr_expect(S_ISFIFO(data_mode("pub/fifo")));
	cr_expect(S_ISSOCK(data_mode("pub/sock")));
	cr_expect_eq(access(DP("pub/chr"), F_OK), -1);
	cr_expect_eq(access(DP("pub/blk"), F_OK), -1);
	cr_assert_eq(lstat(MP("pub/hard"), &a), 0);
	cr_assert_eq(lstat(MP("pub/reg"), &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino);
}

Test(posix, fstat_and_fchmod_work_on_an_open_unlinked_file)
{
	struct stat st, before;
	struct timespec ts[2] = { { 1000000000, 0 }, { 1200000000, 5 } };
	char buf[8] = { 0 };
	DIR *d;
	struct dirent *de;
	int fd, n = 0;

	write_all(MP("gone"), "still", 5, 0, 0640);
	fd = open(MP("gone"), O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &before), 0);
	cr_assert_eq(unlink(MP("gone")), 0);
	/* gone from the storage and from every listing at once */
	cr_expect_eq(access(DP("gone"), F_OK), -1);
	cr_expect_eq(access(MP("gone"), F_OK), -1);
	d = opendir(MP(""));
	cr_assert(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || de->d_name[1] == 'f')
			n++;
	closedir(d);
	cr_expect_eq(n, 0, "the folder lists %d names", n);
	cr_expect_eq(rfs_test_sh(&m, NULL, "test -z \"$(ls -A data/e)\""), 0);
	/* fstat past the kernel's attribute cache, fchmod, fchown, futimens */
	sleep(2);
	cr_assert_eq(fstat(fd, &st), 0, "fstat: %s", strerror(errno));
	cr_expect_eq(st.st_size, 5);
	cr_expect_eq(st.st_nlink, 0);
	cr_expect_eq(st.st_ino, before.st_ino);
	cr_assert_eq(fchmod(fd, 0604), 0, "fchmod: %s", strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0604);
	cr_expect_eq(fchown(fd, 65534, 65534), 0, "fchown: %s",
		     strerror(errno));
	cr_expect_eq(futimens(fd, ts), 0, "futimens: %s", strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_expect_eq(st.st_uid, 65534);
	cr_expect_eq(st.st_mtim.tv_sec, 1200000000);
	cr_expect_eq(ftruncate(fd, 3), 0);
	cr_expect_eq(pwrite(fd, "ll", 2, 3), 2);
	cr_expect_eq(pread(fd, buf, 5, 0), 5);
	cr_expect_str_eq(buf, "still");
	cr_assert_eq(close(fd), 0);
	/* the folder can go once the file is closed, and even before */
	cr_assert_eq(mkdir(MP("dd"), 0755), 0);
	write_all(MP("dd/x"), "x", 1, 0, 0644);
	fd = open(MP("dd/x"), O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(unlink(MP("dd/x")), 0);
	cr_expect_eq(rmdir(MP("dd")), 0, "rmdir: %s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	cr_expect_eq(pread(fd, buf, 1, 0), 1);
	cr_expect_str_eq(buf, "x");
	/* with its folder gone too: fchmod and fstat still work */
	cr_expect_eq(fchmod(fd, 0600), 0, "fchmod: %s", strerror(errno));
	cr_expect_eq(fstat(fd, &st), 0, "fstat: %s", strerror(errno));
	cr_expect_eq(st.st_mode & 07777, 0600);
	close(fd);
	/* a rename over an open file: the old one stays readable */
	write_all(MP("old"), "old", 3, 0, 0644);
	write_all(MP("new"), "new", 3, 0, 0644);
	fd = open(MP("old"), O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(rename(MP("new"), MP("old")), 0);
	memset(buf, 0, sizeof(buf));
	cr_expect_eq(pread(fd, buf, 3, 0), 3);
	cr_expect_str_eq(buf, "old");
	sleep(2);
	cr_expect_eq(fstat(fd, &st), 0, "%s", strerror(errno));
	close(fd);
	memset(buf, 0, sizeof(buf));
	read_all(DP("old"), buf, sizeof(buf));
	cr_expect_str_eq(buf, "new");
	cr_expect_eq(rfs_test_sh(&m, NULL, "test \"$(ls -A data/e)\" = old"),
		     0);
	/* libfuse's hidden names are names like others for a file not open */
	cr_assert_eq(rename(MP("old"), MP(".fuse_hidden0000000a0000000b")), 0);
	memset(buf, 0, sizeof(buf));
	read_all(DP(".fuse_hidden0000000a0000000b"), buf, sizeof(buf));
	cr_expect_str_eq(buf, "new");
}

Test(posix, cache_timeout_sets_how_long_the_kernel_keeps_attributes)
{
	struct rfs_test_out out = { 0 };
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct stat a, b;

	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_expect_neq(rfs_test_sh(&m, &out,
				  "recyclefs mount mnt -o cache_timeout=soon"),
		      0);
	cr_expect(strstr(out.err, "bad mount option 'cache_timeout=soon'"),
		  "%s", out.err);
	cr_expect_eq(rfs_test_sh(&m, NULL, "! mountpoint -q mnt"), 0);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_mount_start(&m, "allow_other,cache_timeout=30"),
		     0);
	write_all(MP("kept"), "x", 1, 0, 0644);
	cr_assert_eq(stat(MP("kept"), &a), 0);
	/* changed behind the mount's back: the kernel keeps what it saw */
	cr_assert_eq(utimensat(AT_FDCWD, DP("kept"), old, 0), 0);
	sleep(2);
	cr_assert_eq(stat(MP("kept"), &b), 0);
	cr_expect_eq(b.st_mtim.tv_sec, a.st_mtim.tv_sec);
	/* a change through the mount is seen at once */
	cr_assert_eq(utimensat(AT_FDCWD, MP("kept"), old, 0), 0);
	cr_assert_eq(stat(MP("kept"), &b), 0);
	cr_expect_eq(b.st_mtim.tv_sec, 1000000000);
}

/*
 * The kernel keeps names, attributes, pages and listings (READDIRPLUS,
 * cache_readdir, keep_cache) for the entry and attribute timeouts, 60 s
 * by default. What recyclefs itself changes behind the kernel's back, it
 * tells the kernel at once: each check below would see the kernel's stale
 * copy for a minute without the notifications.
 */
static bool attr_is(const char *path, const char *name, const char *want)
{
	char v[256];
	ssize_t n = getxattr(path, name, v, sizeof(v) - 1);

	if (n < 0)
		return false;
	v[n] = '\0';
	return !strcmp(v, want);
}

/* Wait (a minute at most) for the state attribute of bin path @p bin to
 * say archived: the index's word on the job. */
static void wait_attr_archived(const char *bin)
{
	for (int i = 0;
	     i < 600 && !attr_is(bin, "user.recyclefs.state", "archived"); i++)
		usleep(100000);
	cr_assert(attr_is(bin, "user.recyclefs.state", "archived"),
		  "'%s' is not archived", bin);
}

/* Mount again with every reload of the catalog made @p ms milliseconds
 * late (the test hook RECYCLEFS_TEST_RELOAD_DELAY_MS). */
static void remount_reloading_late(const char *ms, const char *opts)
{
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	setenv("RECYCLEFS_TEST_RELOAD_DELAY_MS", ms, 1);
	cr_assert_eq(rfs_test_mount_start(&m, opts), 0);
	unsetenv("RECYCLEFS_TEST_RELOAD_DELAY_MS");
}

Test(posix, a_restore_over_a_file_is_seen_at_once_through_the_mount)
{
	char bin[4096], buf[16] = { 0 };
	struct stat st;
	int i;

	snprintf(bin, sizeof(bin), "%s",
		 rfs_test_mnt(&m, ".recyclebin/" E "/p"));

	cr_assert_eq(mkdir(MP("p"), 0755), 0);
	write_all(MP("p/a"), "archived", 8, 0, 0644);
	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/" E "/p mnt/.recyclebin/"),
		     0);
	wait_attr_archived(bin);
	/* A new file at the same place, its attributes and pages kept (the
	 * name is free once the mount's snapshot has the job's end). */
	for (i = 0; i < 300 && mkdir(MP("p"), 0755) < 0; i++)
		usleep(100000);
	cr_assert_eq(access(MP("p"), F_OK), 0);
	write_all(MP("p/a"), "new", 3, 0, 0644);
	cr_assert_eq(stat(MP("p/a"), &st), 0);
	cr_assert_eq(st.st_size, 3);
	read_all(MP("p/a"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "new");
	cr_assert_eq(stat(MP("p/a"), &st), 0); /* after the read's atime */
	cr_assert_eq(
		setxattr(bin, "user.recyclefs.restore_overwrite", "", 0, 0), 0,
		"%s", strerror(errno));
	for (i = 0;
	     i < 300 && !attr_is(bin, "user.recyclefs.restore_state", "done");
	     i++)
		usleep(100000);
	cr_assert(attr_is(bin, "user.recyclefs.restore_state", "done"));
	/* The restored bytes on the storage, and through the mount. */
	memset(buf, 0, sizeof(buf));
	read_all(DP("p/a"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "archived");
	for (i = 0; i < 20 && (stat(MP("p/a"), &st) || st.st_size != 8); i++)
		usleep(100000);
	cr_expect_eq(st.st_size, 8, "the mount shows size %lld",
		     (long long)st.st_size);
	memset(buf, 0, sizeof(buf));
	read_all(MP("p/a"), buf, sizeof(buf));
	cr_expect_str_eq(buf, "archived");
}

/* True when folder @p dir lists @p name. */
static bool lists(const char *dir, const char *name)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	cr_assert(d, "opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		found = found || !strcmp(de->d_name, name);
	closedir(d);
	return found;
}

Test(posix, an_archive_by_mv_is_seen_at_once_through_the_mount)
{
	char bin[4096], bdir[4096];
	struct stat st;

	snprintf(bin, sizeof(bin), "%s",
		 rfs_test_mnt(&m, ".recyclebin/" E "/q"));
	snprintf(bdir, sizeof(bdir), "%s", rfs_test_mnt(&m, ".recyclebin/" E));
	/* The mount's watcher reloads the catalog late: what the user sees
	 * of their own mv must not wait for it. */
	remount_reloading_late("1500", "allow_other");
	cr_assert_eq(mkdir(MP("q"), 0755), 0);
	write_all(MP("q/a"), "archived", 8, 0, 0644);
	/* The kernel holds the epoch's listing and the item's name. */
	cr_assert(lists(rfs_test_mnt(&m, E), "q"));
	cr_assert_eq(stat(MP("q/a"), &st), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/" E "/q mnt/.recyclebin/"),
		     0);
	/* At once, with no retry: gone from its origin, in the bin. */
	cr_expect_eq(stat(MP("q"), &st), -1, "the item still shows");
	cr_expect_eq(stat(MP("q/a"), &st), -1, "its file still shows");
	cr_expect(!lists(rfs_test_mnt(&m, E), "q"),
		  "the epoch's listing still has the item");
	cr_expect(lists(bdir, "q"), "the bin's listing lacks the item");
	cr_expect_eq(stat(bin, &st), 0, "%s", strerror(errno));
	cr_expect(S_ISDIR(st.st_mode));
}

Test(posix, a_catalog_change_is_seen_at_once_through_the_mount)
{
	struct rfs_test_out out = { 0 };
	struct stat st;
	DIR *d;
	struct dirent *de;
	bool old_listed = true, new_listed = false;
	int i;

	/* The kernel holds the epoch root's name and the lifecycle's
	 * listing. */
	cr_assert_eq(stat(rfs_test_mnt(&m, E), &st), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "ls mnt/t/l >/dev/null"), 0);
	cr_assert_eq(rfs_test_cli(&m, &out, "epoch", "close", "t", "l", "--at",
				  "2030-01-01"),
		     0, "%s", out.err);
	rfs_test_out_release(&out);
	for (i = 0; i < 20 && stat(rfs_test_mnt(&m, E), &st) == 0; i++)
		usleep(100000);
	cr_expect_eq(stat(rfs_test_mnt(&m, E), &st), -1,
		     "the closed epoch's old name still shows");
	cr_expect_eq(stat(rfs_test_mnt(&m, "t/l/2020-01-01..2030-01-01"), &st),
		     0);
	d = opendir(rfs_test_mnt(&m, "t/l"));
	cr_assert(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, "2020-01-01..now"))
			old_listed = true;
		if (!strcmp(de->d_name, "2020-01-01..2030-01-01"))
			new_listed = true;
	}
	closedir(d);
	(void)old_listed;
	cr_expect(new_listed, "the listing lacks the closed epoch");
}

Test(posix, the_kernel_keeps_listings_and_attributes_of_data_at_rest)
{
	struct stat a, b;

	write_all(MP("rest"), "x", 1, 0, 0644);
	cr_assert_eq(stat(MP("rest"), &a), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "ls mnt/" E " >/dev/null"), 0);
	/* Changed behind the mount's back: the default timeout (60 s)
	 * keeps what the kernel saw; a listing is kept across opens while
	 * the folder is unchanged. */
	cr_assert_eq(chmod(DP("rest"), 0600), 0);
	sleep(2);
	cr_assert_eq(stat(MP("rest"), &b), 0);
	cr_expect_eq(b.st_mode & 07777, 0644);
	/* A change through the mount is seen at once. */
	cr_assert_eq(chmod(MP("rest"), 0640), 0);
	cr_assert_eq(stat(MP("rest"), &b), 0);
	cr_expect_eq(b.st_mode & 07777, 0640);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(posix, a_purge_by_rm_is_seen_at_once_and_waits_on_no_reload)
{
	char bin[4096], bdir[4096];
	struct rfs_test_out out = { 0 };
	struct stat st;
	double t0, took;

	RFS_TEST_NEEDS_HOOKS();
	snprintf(bin, sizeof(bin), "%s",
		 rfs_test_mnt(&m, ".recyclebin/" E "/r"));
	snprintf(bdir, sizeof(bdir), "%s", rfs_test_mnt(&m, ".recyclebin/" E));
	/* Every reload of the catalog waits 3 s, on whatever thread: rm must
	 * wait on none. */
	remount_reloading_late("3000", "allow_other");
	cr_assert_eq(mkdir(MP("r"), 0755), 0);
	write_all(MP("r/a"), "purge me", 8, 0, 0644);
	write_all(MP("r/b"), "and me", 6, 0, 0644);
	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/" E "/r mnt/.recyclebin/"),
		     0);
	wait_attr_archived(bin);
	/* The attribute reads the index; the mount's snapshot has the job's
	 * end after the worker's (delayed) reload. */
	sleep(4);
	cr_assert_eq(
		rfs_test_sh(&m, NULL, "test -f data/.recyclebin/" E "/r/a"), 0);
	cr_assert(lists(bdir, "r"));
	t0 = now_s();
	cr_assert_eq(rfs_test_sh(&m, &out, "rm -r mnt/.recyclebin/" E "/r"), 0,
		     "%s", out.err);
	took = now_s() - t0;
	/* At once, with no retry: gone from the bin's listing and name. */
	cr_expect(!lists(bdir, "r"), "the bin's listing still has the entry");
	cr_expect_eq(stat(bin, &st), -1, "the entry still shows");
	cr_expect_lt(took, 2.0, "rm -r took %.1f s: it waited on a reload",
		     took);
	/* The workers finish the purge: the bin's copy goes, and the
	 * entry's state says so. */
	cr_expect(rfs_test_sh_until(&m, 60,
				    "recyclefs status --all --json | grep -q "
				    "'\"state\": \"purged\"'"));
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test ! -e data/.recyclebin/" E "/r && "
				 "test -z \"$(ls data/.recyclebin/.recyclefs/"
				 "manifests)\""),
		     0);
	cr_expect(!lists(bdir, "r"));
	rfs_test_out_release(&out);
}

/*
 * A script that removes from the bin right after `recyclefs wait` (or the
 * state attribute) says archived: the mount's snapshot still says the
 * entry is being archived until its next reload, here 5 s late. rm of a
 * part and rm -r of the entry must not be refused (EBUSY) then.
 */
Test(posix, rm_in_the_bin_right_after_it_says_archived_is_not_refused)
{
	struct rfs_test_out out = { 0 };
	char bin[4096];

	RFS_TEST_NEEDS_HOOKS();
	snprintf(bin, sizeof(bin), "%s",
		 rfs_test_mnt(&m, ".recyclebin/" E "/s"));
	remount_reloading_late("5000", NULL);
	cr_assert_eq(mkdir(MP("s"), 0755), 0);
	write_all(MP("s/a"), "first", 5, 0, 0644);
	write_all(MP("s/b"), "second", 6, 0, 0644);
	cr_assert_eq(rfs_test_sh(&m, NULL, "mv mnt/" E "/s mnt/.recyclebin/"),
		     0);
	wait_attr_archived(bin);
	cr_expect_eq(rfs_test_sh(&m, &out, "rm mnt/.recyclebin/" E "/s/a"), 0,
		     "rm of a part: %s", out.err);
	cr_expect_eq(rfs_test_sh(&m, &out, "rm -r mnt/.recyclebin/" E "/s"), 0,
		     "rm -r of the entry: %s", out.err);
	cr_expect(rfs_test_sh_until(&m, 60,
				    "recyclefs status --all --json | grep -q "
				    "'\"state\": \"purged\"'"));
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test ! -e data/.recyclebin/" E "/s && test ! "
				 "-e data/e/s"),
		     0);
	rfs_test_out_release(&out);
}

/*
 * When the reply to an open fails (the request was interrupted), the
 * kernel never saw the handle and sends no release: the daemon closes it
 * at once. Here the test hook makes the replies to opens of "lost" fail;
 * a handle left behind would count the file as open for writing, and the
 * archive of its folder would be refused (EBUSY) until unmount.
 */
Test(posix, an_open_whose_reply_fails_leaves_no_handle_behind)
{
	char bin[4096];
	int fd, i;

	RFS_TEST_NEEDS_HOOKS();
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	setenv("RECYCLEFS_TEST_OPEN_REPLY_FAILS", "lost", 1);
	cr_assert_eq(rfs_test_mount_start(&m, "allow_other"), 0);
	unsetenv("RECYCLEFS_TEST_OPEN_REPLY_FAILS");
	/* create */
	cr_assert_eq(mkdir(MP("w1"), 0755), 0);
	write_all(MP("w1/kept"), "kept", 4, 0, 0644);
	fd = open(MP("w1/lost"), O_CREAT | O_EXCL | O_WRONLY, 0644);
	cr_assert_eq(fd, -1, "the hook did not fail the create's reply");
	cr_expect_eq(errno, EINTR, "%s", strerror(errno));
	cr_expect_eq(access(DP("w1/lost"), F_OK), 0);
	/* open of a file that exists */
	cr_assert_eq(mkdir(MP("w2"), 0755), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "echo x > data/e/w2/lost"), 0);
	fd = open(MP("w2/lost"), O_WRONLY);
	cr_assert_eq(fd, -1, "the hook did not fail the open's reply");
	cr_expect_eq(errno, EINTR, "%s", strerror(errno));
	/* Neither file is open for writing: both folders archive. */
	for (i = 1; i <= 2; i++) {
		struct rfs_test_out out = { 0 };

		cr_expect_eq(
			rfs_test_sh(&m, &out,
				    "mv mnt/" E "/w%d mnt/.recyclebin/", i),
			0, "the archive of w%d was refused: %s", i, out.err);
		rfs_test_out_release(&out);
		snprintf(bin, sizeof(bin), "%s",
			 rfs_test_mnt(&m, ".recyclebin/" E "/w%d", i));
		cr_expect(rfs_test_sh_until(&m, 30,
					    "test \"$(getfattr --only-values "
					    "-n user.recyclefs.state '%s')\" = "
					    "archived",
					    bin),
			  "w%d was not archived", i);
	}
	cr_expect_eq(access(DP("w1"), F_OK), -1);
	cr_expect_eq(access(DP("w2"), F_OK), -1);
}

/*
 * Every file type, made through the mount by root and by another user:
 * the caller's umask alone sets its mode, what the mount shows is the
 * storage's own, a hard link shows one inode number, and a node unlinked
 * while open keeps answering fstat (and fchmod where the descriptor
 * allows it). Run in a forked child (as nobody for the second user), so
 * each check reports its own failure on stderr and the child's exit
 * status is the number of the failing line (0: all passed).
 */
enum ftype { T_REG, T_DIR, T_LNK, T_FIFO, T_SOCK, T_CHR, T_BLK, T_N };
static const char *const tname[T_N] = { "regular",     "directory",
					"symlink",     "FIFO",
					"socket",      "char device",
					"block device" };

#define CHECK(c, ...)                                                          \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "line %d: ", __LINE__);                \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, " (%s)\n", strerror(errno));           \
			return __LINE__;                                       \
		}                                                              \
	} while (0)

/* Make a node of type @p t at @p p with the widest mode its maker takes. */
static int make_type(enum ftype t, const char *p)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	switch (t) {
	case T_REG:
		fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0666);
		return fd < 0 ? -1 : close(fd);
	case T_DIR:
		return mkdir(p, 0777);
	case T_LNK:
		return symlink("elsewhere", p);
	case T_FIFO:
		return mkfifo(p, 0666);
	case T_SOCK:
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || strlen(p) >= sizeof(a.sun_path))
			return -1;
		strcpy(a.sun_path, p);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(fd);
			return -1;
		}
		return close(fd);
	case T_CHR:
		return mknod(p, S_IFCHR | 0666, makedev(1, 3));
	case T_BLK:
		return mknod(p, S_IFBLK | 0666, makedev(7, 200));
	default:
		return -1;
	}
}

/* The mode @p t gets with umask @p um (a socket's bind uses 0777). */
static mode_t want_mode(enum ftype t, mode_t um)
{
	if (t == T_LNK)
		return 0777;
	return (t == T_DIR || t == T_SOCK ? 0777 : 0666) & ~um;
}

/* What the mount shows of @p f is what the storage has. */
static int same_node(const char *f)
{
	struct stat a, b;

	CHECK(lstat(MP(f), &a) == 0, "lstat %s through the mount", f);
	CHECK(lstat(DP(f), &b) == 0, "lstat %s on the storage", f);
	CHECK(a.st_mode == b.st_mode, "%s mode %o, storage %o", f, a.st_mode,
	      b.st_mode);
	CHECK(a.st_uid == b.st_uid && a.st_gid == b.st_gid, "%s owner", f);
	CHECK(a.st_rdev == b.st_rdev, "%s device number", f);
	CHECK(a.st_nlink == b.st_nlink, "%s nlink %ju, storage %ju", f,
	      (uintmax_t)a.st_nlink, (uintmax_t)b.st_nlink);
	CHECK(a.st_size == b.st_size, "%s size", f);
	return 0;
}

static int one_type(const char *dir, enum ftype t, uid_t uid, bool devices)
{
	char f[64], hl[64];
	struct stat a, b, before;
	const mode_t um = 027;
	int fd, r;

	snprintf(f, sizeof(f), "%s/t%d", dir, (int)t);
	snprintf(hl, sizeof(hl), "%s/t%d.hl", dir, (int)t);
	umask(um);
	r = make_type(t, MP(f));
	if ((t == T_CHR || t == T_BLK) && !devices) {
		/* CAP_MKNOD, as on the storage itself */
		CHECK(r < 0 && errno == EPERM, "%s made without CAP_MKNOD",
		      tname[t]);
		CHECK(lstat(DP(f), &a) < 0, "%s on the storage", tname[t]);
		return 0;
	}
	CHECK(r == 0, "make a %s", tname[t]);
	/* umask */
	CHECK(lstat(DP(f), &b) == 0, "%s on the storage", tname[t]);
	CHECK((b.st_mode & 07777) == want_mode(t, um), "%s mode %o, not %o",
	      tname[t], b.st_mode & 07777, want_mode(t, um));
	CHECK(b.st_uid == uid, "%s owner %u", tname[t], b.st_uid);
	if ((r = same_node(f)))
		return r;
	/* hard links */
	if (t == T_DIR) {
		CHECK(link(MP(f), MP(hl)) < 0 && errno == EPERM,
		      "a hard link to a directory");
	} else {
		CHECK(link(MP(f), MP(hl)) == 0, "link a %s", tname[t]);
		/* The old name's count, kept by the kernel, is renewed by a
		 * notification the mount sends right after the link. */
		for (int i = 0; i < 20; i++)
			if (lstat(MP(f), &a) == 0 && a.st_nlink == 2)
				break;
			else
				usleep(50000);
		CHECK(lstat(MP(f), &a) == 0 && lstat(MP(hl), &b) == 0,
		      "lstat the %s's two names", tname[t]);
		CHECK(a.st_ino == b.st_ino, "%s's names: inodes %ju and %ju",
		      tname[t], (uintmax_t)a.st_ino, (uintmax_t)b.st_ino);
		CHECK(a.st_nlink == 2, "%s nlink %ju", tname[t],
		      (uintmax_t)a.st_nlink);
		if ((r = same_node(hl)))
			return r;
	}
	/* open, then unlinked */
	switch (t) {
	case T_REG:
		fd = open(MP(f), O_RDWR);
		break;
	case T_DIR:
		fd = open(MP(f), O_RDONLY | O_DIRECTORY);
		break;
	case T_FIFO:
		fd = open(MP(f), O_RDWR | O_NONBLOCK);
		break;
	default: /* open() itself is not theirs to answer: a path fd */
		fd = open(MP(f), O_PATH | O_NOFOLLOW);
		break;
	}
	CHECK(fd >= 0, "open the %s", tname[t]);
	CHECK(fstat(fd, &before) == 0, "fstat the open %s", tname[t]);
	if (t == T_DIR) {
		CHECK(rmdir(MP(f)) == 0, "rmdir the open directory");
	} else {
		CHECK(unlink(MP(f)) == 0 && unlink(MP(hl)) == 0,
		      "unlink the open %s", tname[t]);
	}
	CHECK(lstat(DP(f), &b) < 0 && errno == ENOENT, "%s left on storage",
	      tname[t]);
	CHECK(fstat(fd, &a) == 0, "fstat of the unlinked %s", tname[t]);
	CHECK(a.st_ino == before.st_ino, "the unlinked %s's inode changed",
	      tname[t]);
	CHECK((a.st_mode & S_IFMT) == (before.st_mode & S_IFMT),
	      "the unlinked %s's type changed", tname[t]);
	if (t == T_REG || t == T_DIR || t == T_FIFO) {
		CHECK(fchmod(fd, 0700) == 0, "fchmod of the unlinked %s",
		      tname[t]);
		CHECK(fstat(fd, &a) == 0 && (a.st_mode & 07777) == 0700,
		      "the unlinked %s's mode after fchmod: %o", tname[t],
		      a.st_mode & 07777);
	}
	close(fd);
	return 0;
}

static int every_type_in(const char *dir, uid_t uid, bool devices)
{
	int r;

	for (int t = 0; t < T_N; t++)
		if ((r = one_type(dir, (enum ftype)t, uid, devices)))
			return r;
	return 0;
}

static int every_type_as_root(void)
{
	return every_type_in("root", 0, true);
}

static int every_type_as_nobody(void)
{
	return every_type_in("pub", 65534, false);
}

/* Run @p fn in a forked child, as nobody when @p nobody. @return its
 * exit status */
static int in_child(int (*fn)(void), bool nobody)
{
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (nobody &&
		    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) ||
		     setresuid(65534, 65534, 65534)))
			_exit(1);
		_exit(fn() ? 2 : 0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

Test(posix, every_file_type_keeps_umask_links_and_unlinked_opens_as_root)
{
	if (geteuid() != 0)
		cr_skip_test("device nodes need root");
	cr_assert_eq(mkdir(MP("root"), 0755), 0);
	cr_expect_eq(in_child(every_type_as_root, false), 0,
		     "see the child's line on stderr");
}

Test(posix, every_file_type_keeps_umask_links_and_unlinked_opens_as_nobody)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to become another user");
	cr_assert_eq(chmod(m.dir, 0711), 0);
	cr_assert_eq(mkdir(MP("pub"), 0777), 0);
	cr_assert_eq(chmod(MP("pub"), 0777), 0);
	cr_expect_eq(in_child(every_type_as_nobody, true), 0,
		     "see the child's line on stderr");
}
