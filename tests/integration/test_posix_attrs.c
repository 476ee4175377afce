/*
 * Attributes the kernel keeps for a while (-o cache_timeout) that other
 * operations change: the link count of every name of a hard-linked file
 * when a name is added or removed through the mount, and the set-user-ID
 * and set-group-ID bits a write by someone other than the owner clears,
 * as on a local filesystem.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/mount.h"

static struct rfs_test_mount m;

#define E RFS_TEST_EPOCH

static void setup(void)
{
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	cr_assert_eq(rfs_test_mount_epoch(&m), 0);
	/* the kernel keeps names and attributes for a minute */
	cr_assert_eq(rfs_test_mount_start(&m, "allow_other,cache_timeout=60"),
		     0);
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
}

TestSuite(posix_attrs, .init = setup, .fini = teardown, .timeout = 120);

/* A path in the epoch, through the mount and on the storage. */
#define MP(f) rfs_test_mnt(&m, E "/%s", f)
#define DP(f) rfs_test_data(&m, "e/%s", f)

static nlink_t nlink_of(const char *name)
{
	struct stat st;

	cr_assert_eq(stat(MP(name), &st), 0, "stat %s: %s", name,
		     strerror(errno));
	return st.st_nlink;
}

static void touch(const char *name, const char *text)
{
	int fd = open(MP(name), O_CREAT | O_EXCL | O_WRONLY, 0644);

	cr_assert_geq(fd, 0, "create %s: %s", name, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(close(fd), 0);
}

/* Every name of a file shows its link count at once after a name is
 * removed, added or renamed over, although the kernel keeps attributes
 * for a minute: nothing waits for the timeout. */
Test(posix_attrs, every_name_of_a_file_shows_its_link_count_at_once)
{
	const char *names[] = { "a", "sub/b", "c" };

	cr_assert_eq(mkdir(MP("sub"), 0755), 0);
	touch("a", "linked");
	cr_assert_eq(link(MP("a"), MP("sub/b")), 0);
	cr_assert_eq(link(MP("a"), MP("c")), 0);
	/* the kernel now holds each name's attributes */
	for (size_t i = 0; i < 3; i++)
		cr_expect_eq(nlink_of(names[i]), 3, "%s", names[i]);

	/* one name removed */
	cr_assert_eq(unlink(MP("a")), 0);
	cr_expect_eq(nlink_of("sub/b"), 2, "sub/b after rm a");
	cr_expect_eq(nlink_of("c"), 2, "c after rm a");

	/* one name added */
	cr_assert_eq(link(MP("c"), MP("d")), 0);
	cr_expect_eq(nlink_of("sub/b"), 3, "sub/b after ln c d");
	cr_expect_eq(nlink_of("c"), 3, "c after ln c d");
	cr_expect_eq(nlink_of("d"), 3, "d after ln c d");

	/* one name replaced by another file */
	touch("x", "other");
	cr_assert_eq(rename(MP("x"), MP("d")), 0);
	cr_expect_eq(nlink_of("d"), 1, "d is the other file");
	cr_expect_eq(nlink_of("sub/b"), 2, "sub/b after mv x d");
	cr_expect_eq(nlink_of("c"), 2, "c after mv x d");

	/* as the storage says */
	{
		struct stat st;

		cr_assert_eq(stat(DP("c"), &st), 0);
		cr_expect_eq(st.st_nlink, 2);
	}
}

/* ------------------------------------------------ set-ID bits on write */

static int nobody_writes(void)
{
	int fd = open(MP("suid"), O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, "more", 4) != 4 || close(fd))
		return 1;
	return 0;
}

static int nobody_truncates(void)
{
	return truncate(MP("sgid"), 2) ? 1 : 0;
}

/* The set-ID bits a file keeps, through the mount and on the storage. */
static mode_t mode_of(const char *name)
{
	struct stat a, b;

	cr_assert_eq(stat(MP(name), &a), 0, "%s: %s", name, strerror(errno));
	cr_assert_eq(stat(DP(name), &b), 0, "%s: %s", name, strerror(errno));
	cr_expect_eq(a.st_mode, b.st_mode,
		     "%s: %o through the mount, %o on "
		     "the storage",
		     name, a.st_mode & 07777, b.st_mode & 07777);
	return a.st_mode & 07777;
}

/* A write or a truncate by a user other than the owner, and a change of
 * owner, clear the set-user-ID and set-group-ID bits, as on ext4: the
 * kernel clears them with a setattr of the mode (the daemon, which runs
 * as root, does not take FUSE_CAP_HANDLE_KILLPRIV). */
Test(posix_attrs, a_write_by_another_user_clears_the_set_id_bits)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to become another user");
	cr_assert_eq(chmod(m.dir, 0711), 0);
	touch("suid", "data");
	touch("sgid", "data");
	touch("owned", "data");
	cr_assert_eq(chmod(MP("suid"), 04777), 0);
	cr_assert_eq(chmod(MP("sgid"), 06777), 0);
	cr_assert_eq(chmod(MP("owned"), 06755), 0);
	cr_assert_eq(mode_of("suid"), 04777);
	cr_assert_eq(mode_of("sgid"), 06777);

	cr_assert_eq(rfs_test_as_nobody(nobody_writes, -1), 0);
	cr_expect_eq(mode_of("suid"), 0777, "after a write by nobody");
	cr_assert_eq(rfs_test_as_nobody(nobody_truncates, -1), 0);
	cr_expect_eq(mode_of("sgid"), 0777, "after a truncate by nobody");
	/* a change of owner, even by root */
	cr_assert_eq(chown(MP("owned"), 65534, 65534), 0);
	cr_expect_eq(mode_of("owned"), 0755, "after chown");
	/* a write by root (CAP_FSETID) keeps them */
	cr_assert_eq(chmod(MP("suid"), 04777), 0);
	{
		int fd = open(MP("suid"), O_WRONLY | O_APPEND);

		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, "root", 4), 4);
		cr_assert_eq(close(fd), 0);
	}
	cr_expect_eq(mode_of("suid"), 04777, "after a write by root");
}
