/*
 * Attributes the kernel keeps for a while (-o cache_timeout) that other
 * operations change: the link count of every name of a hard-linked file
 * when a name is added or removed through the mount.
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

