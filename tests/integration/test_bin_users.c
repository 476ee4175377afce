/*
 * The recycle bin and users other than root, through a mount with
 * allow_other: the owner of a folder, who may delete it, archives it with
 * mv whoever made the bin's folders; a user who may not delete it is
 * refused (EACCES) and nothing moves; nobody but root creates anything in
 * .recyclebin; an entry's owner purges it with rm -rf, another user
 * cannot.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/support/cmd.h"
#include "tests/support/mount.h"

static struct rfs_test_mount m;

#define E    "sales.orders/bronze/2001-01-01..now"
#define ITEM E "/dt=2001-01-01"
/* the folder's owner (nobody) and a user who is not its owner */
#define OWNER 65534
#define OTHER 65533
/* a group OWNER is not in by its own group id */
#define GROUP 65531

/* What the child of rfs_test_as_user() acts on, as mount paths. */
static char from[4096], to[4096];

static void setup(void)
{
	struct rfs_test_out out = { 0 };
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root to become other users");
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	/* The epoch's folder and the partition are nobody's, 0755: nobody
	 * may delete the partition, OTHER may not. */
	cr_assert_eq(
		rfs_test_sh(&m, NULL,
			    "mkdir -p data/orders/e1/dt=2001-01-01/sub && "
			    "for i in 0 1; do head -c $((30000 + i * 999)) "
			    "/dev/urandom > data/orders/e1/dt=2001-01-01/"
			    "part-$i.parquet; done && echo x > "
			    "data/orders/e1/dt=2001-01-01/sub/nested && "
			    "chown -R %d:%d data/orders/e1 && chmod 0755 "
			    "data/orders/e1 && cd data/orders/e1 && find . "
			    "-type f -exec sha256sum {} + | sort -k2 > "
			    "../../../before.sum",
			    OWNER, OWNER),
		0);
	cr_assert_eq(chmod(m.dir, 0711), 0);
	r = rfs_test_cli(&m, &out, "table", "add", "sales.orders");
	r = r
		    ?: rfs_test_cli(&m, &out, "lifecycle", "add",
				    "sales.orders", "bronze");
	r = r
		    ?: rfs_test_cli(&m, &out, "epoch", "add", "sales.orders",
				    "bronze", "--from", "2001-01-01",
				    "--storage", "local", "--path",
				    "orders/e1");
	cr_assert_eq(r, 0, "%s", out.err);
	rfs_test_out_release(&out);
	cr_assert_eq(rfs_test_mount_start(&m, "allow_other"), 0);
	snprintf(from, sizeof(from), "%s", rfs_test_mnt(&m, ITEM));
	snprintf(to, sizeof(to), "%s", rfs_test_mnt(&m, ".recyclebin/"));
}

static void teardown(void)
{
	rfs_test_mount_cleanup(&m);
}

TestSuite(bin_users, .init = setup, .fini = teardown);

/* mv FROM TO/ (the item's own name in the bin): 0 or errno. */
static int mv_in(void)
{
	char dst[4096 + 64];

	snprintf(dst, sizeof(dst), "%sdt=2001-01-01", to);
	return rename(from, dst) == 0 ? 0 : errno;
}

/* Creating in folder TO: a file, a folder, a FIFO, a symlink, each must
 * be refused with EACCES; 0 when all were, else the first other answer
 * (1 when one was made). */
static int create_in(void)
{
	char p[4096 + 64];
	int fd;

	snprintf(p, sizeof(p), "%s/new", to);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno != EACCES)
		return errno;
	if (mkdir(p, 0755) == 0)
		return 1;
	if (errno != EACCES)
		return errno;
	if (mkfifo(p, 0644) == 0)
		return 1;
	if (errno != EACCES)
		return errno;
	if (symlink("x", p) == 0)
		return 1;
	return errno == EACCES ? 0 : errno;
}

static void wait_state(const char *bin_path, const char *state)
{
	cr_assert(rfs_test_sh_until(&m, 30,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.state 'mnt/.recyclebin/%s' "
				    "2>/dev/null)\" = %s",
				    bin_path, state),
		  "'%s' did not become %s", bin_path, state);
}

/* The recycle copy holds the bytes the folder had, and the manifest
 * records their SHA-256. */
static void expect_archived_bytes(void)
{
	struct rfs_test_out out = { 0 };
	int r = rfs_test_sh(
		&m, &out,
		"cd data/.recyclebin/" E " && find dt=2001-01-01 -type f "
		"-exec sha256sum {} + | sed 's|  |  ./|' | sort -k2 | diff "
		"$OLDPWD/before.sum - && cd $OLDPWD && for s in $(cut -d' ' "
		"-f1 before.sum); do grep -q \"$s\" "
		"data/.recyclebin/.recyclefs/manifests/*.json || { echo "
		"\"$s not in the manifest\"; exit 1; }; done");

	cr_assert_eq(r, 0, "%s%s", out.out, out.err);
	rfs_test_out_release(&out);
}

Test(bin_users, the_owner_who_may_delete_a_folder_archives_it_with_mv)
{
	int r = rfs_test_as_user(OWNER, OWNER, mv_in, -1);

	cr_assert_eq(r, 0, "mv by the folder's owner: %s", strerror(r));
	wait_state(ITEM, "archived");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test ! -e data/orders/e1/"
				 "dt=2001-01-01"),
		     0, "the source is deleted");
	expect_archived_bytes();
	/* The bin takes moves in, nothing else: in its root, in a mirrored
	 * folder, as the owner and as another user. */
	cr_expect_eq(rfs_test_as_user(OWNER, OWNER, create_in, -1), 0,
		     "create in .recyclebin by the owner");
	snprintf(to, sizeof(to), "%s", rfs_test_mnt(&m, ".recyclebin/" E));
	cr_expect_eq(rfs_test_as_user(OWNER, OWNER, create_in, -1), 0,
		     "create in a mirrored folder by the owner");
	cr_expect_eq(rfs_test_as_user(OTHER, OTHER, create_in, -1), 0,
		     "create in a mirrored folder by another user");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "test -z \"$(ls -A data/.recyclebin/" E
				 " | grep -v '^dt=2001-01-01$')\" && test "
				 "\"$(ls -A mnt/.recyclebin/" E
				 ")\" = dt=2001-01-01"),
		     0, "something was made in the bin");
}

Test(bin_users, a_user_who_may_not_delete_the_folder_is_refused)
{
	struct rfs_test_out out = { 0 };
	int r = rfs_test_as_user(OTHER, OTHER, mv_in, -1);

	cr_assert_eq(r, EACCES,
		     "mv by a user without write access to its parent: %s",
		     strerror(r));
	/* Nothing changed: the source in place with its bytes, no entry. */
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "cd data/orders/e1 && find . -type f -exec "
				 "sha256sum {} + | sort -k2 | diff "
				 "../../../before.sum - && test -z \"$(ls -A "
				 "../../../mnt/.recyclebin)\" && test -d "
				 "../../../mnt/" ITEM),
		     0, "%s%s", out.out, out.err);
	cr_expect_eq(rfs_test_cli(&m, &out, "status", "--json"), 0);
	cr_expect(!strstr(out.out, "dt=2001-01-01"), "%s", out.out);
	rfs_test_out_release(&out);
	/* The owner still may. */
	r = rfs_test_as_user(OWNER, OWNER, mv_in, -1);
	cr_assert_eq(r, 0, "mv by the owner after the refusal: %s",
		     strerror(r));
	wait_state(ITEM, "archived");
	expect_archived_bytes();
}

/* rm -rf TO (an entry) as the caller: 0 or the first errno. */
static int rm_entry(void)
{
	char cmd[4096 + 64];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' 2>/dev/null", to);
	return system(cmd) == 0 ? 0 : 1;
}

Test(bin_users, only_the_owner_of_an_entry_purges_it)
{
	cr_assert_eq(rfs_test_as_user(OWNER, OWNER, mv_in, -1), 0);
	wait_state(ITEM, "archived");
	snprintf(to, sizeof(to), "%s", rfs_test_mnt(&m, ".recyclebin/" ITEM));
	cr_expect_eq(rfs_test_as_user(OTHER, OTHER, rm_entry, -1), 1,
		     "rm -rf by another user");
	wait_state(ITEM, "archived");
	expect_archived_bytes();
	cr_expect_eq(rfs_test_as_user(OWNER, OWNER, rm_entry, -1), 0,
		     "rm -rf by the entry's owner");
	cr_expect(rfs_test_sh_until(&m, 30,
				    "$RECYCLEFS_BIN --index index.db status "
				    "--all | grep -q purged && test ! -e "
				    "data/.recyclebin/" ITEM),
		  "the entry was not purged");
}

/* setfattr -n NAME -v VALUE TO: 0 or errno. */
static const char *xname, *xvalue;

static int set_attr(void)
{
	return setxattr(to, xname, xvalue, strlen(xvalue), 0) == 0 ? 0 : errno;
}

static int restore_as(uid_t uid, const char *name, const char *value)
{
	xname = name;
	xvalue = value;
	return rfs_test_as_user(uid, uid, set_attr, -1);
}

/* Wait until the restore of the entry ITEM is done. */
static void wait_restored(void)
{
	cr_assert(rfs_test_sh_until(&m, 60,
				    "test \"$(getfattr --only-values -n "
				    "user.recyclefs.restore_state "
				    "'mnt/.recyclebin/" ITEM "' 2>/dev/null)\" "
				    "= done"),
		  "the restore did not end");
}

Test(bin_users, the_owner_restores_an_entry_to_its_origin_only)
{
	struct rfs_test_out out = { 0 };
	char uri[4096 + 32];

	cr_assert_eq(rfs_test_as_user(OWNER, OWNER, mv_in, -1), 0);
	wait_state(ITEM, "archived");
	snprintf(to, sizeof(to), "%s", rfs_test_mnt(&m, ".recyclebin/" ITEM));
	/* Another user cannot write the entry; its owner restores only
	 * to its origin, without overwriting, where the owner may make
	 * files. */
	cr_expect_eq(restore_as(OTHER, "user.recyclefs.restore", "origin"),
		     EACCES, "restore by another user");
	snprintf(uri, sizeof(uri), "file://%s/elsewhere", m.dir);
	cr_expect_eq(restore_as(OWNER, "user.recyclefs.restore", uri), EACCES,
		     "restore by the owner to a URI");
	cr_expect_eq(restore_as(OWNER, "user.recyclefs.restore", E), EACCES,
		     "restore by the owner to another place");
	cr_expect_eq(
		restore_as(OWNER, "user.recyclefs.restore_overwrite", "origin"),
		EACCES, "restore by the owner with overwrite");
	cr_assert_eq(rfs_test_sh(&m, NULL, "chown 0:0 data/orders/e1"), 0);
	cr_expect_eq(restore_as(OWNER, "user.recyclefs.restore", "origin"),
		     EACCES, "restore into a folder the owner may not write");
	cr_expect_eq(rfs_test_sh(&m, NULL,
				 "! getfattr -n user.recyclefs.restore_state "
				 "'mnt/.recyclebin/" ITEM "' 2>/dev/null && "
				 "test ! -e data/orders/e1/dt=2001-01-01"),
		     0, "a refused restore was recorded");
	cr_assert_eq(rfs_test_sh(&m, NULL, "chown %d:%d data/orders/e1", OWNER,
				 OWNER),
		     0);
	cr_assert_eq(restore_as(OWNER, "user.recyclefs.restore", "origin"), 0,
		     "restore by the owner to its origin");
	wait_restored();
	cr_expect_eq(
		rfs_test_sh(&m, &out,
			    "cd data/orders/e1 && find . -type f -exec "
			    "sha256sum {} + | sort -k2 | diff "
			    "../../../before.sum - && test \"$(stat -c %%u "
			    "dt=2001-01-01/part-0.parquet)\" = %d",
			    OWNER),
		0, "%s%s", out.out, out.err);
	rfs_test_out_release(&out);
}

/* setfattr as @p uid (its own group) with the supplementary group
 * @p group: 0 or errno. */
static int restore_in_group(uid_t uid, gid_t group, const char *value)
{
	xname = "user.recyclefs.restore";
	xvalue = value;
	return rfs_test_as_user_in(uid, uid, 1, &group, set_attr, -1);
}

Test(bin_users, a_restore_goes_where_a_group_of_the_owner_may_write)
{
	struct rfs_test_out out = { 0 };

	cr_assert_eq(rfs_test_as_user(OWNER, OWNER, mv_in, -1), 0);
	wait_state(ITEM, "archived");
	snprintf(to, sizeof(to), "%s", rfs_test_mnt(&m, ".recyclebin/" ITEM));
	/* The origin's folder is root's, writable by group GROUP only: the
	 * owner may make files there through a supplementary group, as
	 * the kernel counts groups, and not without it. */
	cr_assert_eq(rfs_test_sh(&m, NULL,
				 "chown 0:%d data/orders/e1 && chmod 0775 "
				 "data/orders/e1",
				 GROUP),
		     0);
	cr_expect_eq(restore_as(OWNER, "user.recyclefs.restore", "origin"),
		     EACCES, "restore without the group");
	cr_assert_eq(restore_in_group(OWNER, GROUP, "origin"), 0,
		     "restore in the folder's group");
	wait_restored();
	cr_expect_eq(rfs_test_sh(&m, &out,
				 "cd data/orders/e1 && find . -type f -exec "
				 "sha256sum {} + | sort -k2 | diff "
				 "../../../before.sum -"),
		     0, "%s%s", out.out, out.err);
	rfs_test_out_release(&out);
}
