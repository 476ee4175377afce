/*
 * What the bin keeps is what `rsync -aHAX` keeps: an archive through a
 * real mount (mv into .recyclebin) and a restore, compared by a signature
 * of every file and folder (type, mode, owner, size, mtime and atime in
 * ns, every xattr, link count and shared inodes, SHA-256) taken before,
 * in the bin and after; holes of sparse files; and `cp -a` out of the bin
 * writing none of recyclefs's own attributes onto a storage.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/mount.h"

static struct rfs_test_mount m;
static struct rfs_test_out out;

#define EP   "sales.orders/bronze/2001-01-01..now"
#define EP2  "sales.orders/silver/2001-01-01..now"
#define ITEM EP "/dt=2024-01-01"
#define SRC  "data/orders/e1/dt=2024-01-01"
#define BIN  "data/.recyclebin/" ITEM

#define RUN(...) rfs_test_cli(&m, &out, __VA_ARGS__)

static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell line in the test's directory; it must exit 0. @return its
 * stdout (caller frees). */
static char *sh(const char *fmt, ...)
{
	struct rfs_test_out o = { 0 };
	char line[16384], *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r = rfs_test_sh(&m, &o, "%s", line);
	cr_assert_eq(r, 0, "'%s' exited %d: %s%s", line, r, o.out, o.err);
	s = strdup(o.out);
	rfs_test_out_release(&o);
	return s;
}

static void ok(int r, const char *what)
{
	cr_assert_eq(r, 0, "%s exited %d: %s%s", what, r, out.out, out.err);
}

/* The signature of the tree at @p dir (caller frees). */
static char *signature(const char *dir)
{
	return sh("python3 '%s/tree_signature.py' '%s'",
		  getenv("RFS_TEST_SCRIPTS"), dir);
}

/* Equal signatures, or the first line that differs. */
static void same(const char *want, const char *have, const char *where)
{
	const char *w = want, *h = have;

	while (*w && *h) {
		size_t wl = strcspn(w, "\n"), hl = strcspn(h, "\n");

		cr_assert(wl == hl && !memcmp(w, h, wl),
			  "signature %s differs:\nbefore: %.*s\nnow:    %.*s",
			  where, (int)wl, w, (int)hl, h);
		w += wl + (w[wl] == '\n');
		h += hl + (h[hl] == '\n');
	}
	cr_assert(!*w && !*h, "signature %s differs: before:\n%s\nnow:\n%s",
		  where, want, have);
}

/*
 * A partition with what rsync -aHAX keeps: xattrs on its root, a nested
 * folder and a file; a hard link pair across folders; a 64 MiB sparse
 * file with two 4 KiB extents; set-user-ID, set-group-ID and sticky
 * modes; a foreign owner; POSIX access and default ACLs; a symlink; and
 * distinct nanosecond atimes and mtimes on everything, set last.
 */
static const char make_tree[] =
	"import os, struct\n"
	"r = 'SRC'\n"
	"os.makedirs(r + '/sub/deeper')\n"
	"os.makedirs(r + '/shared')\n"
	"os.makedirs(r + '/acl')\n"
	"def put(p, data):\n"
	"    with open(r + '/' + p, 'wb') as f: f.write(data)\n"
	"put('part-0.parquet', os.urandom(100000))\n"
	"put('sub/deeper/c.bin', b'deep\\n')\n"
	"put('h1', os.urandom(5000))\n"
	"os.link(r + '/h1', r + '/sub/h2')\n"
	"with open(r + '/sparse', 'wb') as f:\n"
	"    f.truncate(64 << 20)\n"
	"    f.seek(0); f.write(b'a' * 4096)\n"
	"    f.seek(32 << 20); f.write(b'b' * 4096)\n"
	"put('suid', b'#!/bin/sh\\n')\n"
	"os.chmod(r + '/suid', 0o4755)\n"
	"put('sgid', b'x')\n"
	"os.chown(r + '/sgid', 1234, 5678)\n"
	"os.chmod(r + '/sgid', 0o2750)\n"
	"os.chown(r + '/shared', 1234, 5678)\n"
	"os.chmod(r + '/shared', 0o2775)\n"
	"os.chmod(r + '/sub/deeper', 0o1777)\n"
	"put('owned', b'theirs')\n"
	"os.chown(r + '/owned', 1234, 5678)\n"
	"os.chown(r + '/sub', 1234, 5678)\n"
	"os.symlink('part-0.parquet', r + '/latest')\n"
	"os.setxattr(r, 'user.top', b'top-value')\n"
	"os.setxattr(r + '/sub', 'user.sub', b'sub-value')\n"
	"os.setxattr(r + '/part-0.parquet', 'user.file', b'\\x00\\x01bin')\n"
	"def acl(entries):\n"
	"    return struct.pack('<I', 2) + b''.join(\n"
	"        struct.pack('<HHI', t, p, i) for t, p, i in entries)\n"
	"U = 0xffffffff\n"
	"put('acl/f', b'acl')\n"
	"os.setxattr(r + '/acl/f', 'system.posix_acl_access',\n"
	"    acl([(1, 6, U), (2, 4, 1001), (4, 4, U), (16, 4, U), (32, 0, U)]))\n"
	"os.setxattr(r + '/acl', 'system.posix_acl_default',\n"
	"    acl([(1, 7, U), (2, 7, 1001), (4, 5, U), (16, 7, U), (32, 5, U)]))\n"
	"paths = []\n"
	"for d, ds, fs in os.walk(r):\n"
	"    paths += [os.path.join(d, n) for n in ds + fs]\n"
	"paths.sort(key=len, reverse=True)\n"
	"for i, p in enumerate(paths + [r]):\n"
	"    a = 1000000000 * (1100000000 + i) + 123456789\n"
	"    mt = 1000000000 * (1000000000 + i) + 987654321\n"
	"    os.utime(p, ns=(a, mt), follow_symlinks=False)\n";

static void setup(void)
{
	char *py, *p;

	cr_assert_eq(rfs_test_mount_init(&m), 0);
	py = strdup(make_tree);
	p = strstr(py, "'SRC'");
	cr_assert_not_null(p);
	free(sh("mkdir -p data/orders/e1 data/orders/e2"));
	{
		FILE *f;
		char path[160];

		snprintf(path, sizeof(path), "%s/make_tree.py", m.dir);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fprintf(f, "%.*s'%s'%s", (int)(p - py), py, SRC,
			p + strlen("'SRC'"));
		cr_assert_eq(fclose(f), 0);
	}
	free(py);
	free(sh("python3 make_tree.py"));
	ok(RUN("table", "add", "sales.orders"), "table add");
	ok(RUN("lifecycle", "add", "sales.orders", "bronze"), "lifecycle");
	ok(RUN("lifecycle", "add", "sales.orders", "silver"), "lifecycle");
	ok(RUN("epoch", "add", "sales.orders", "bronze", "--from", "2001-01-01",
	       "--storage", "local", "--path", "orders/e1"),
	   "epoch e1");
	ok(RUN("epoch", "add", "sales.orders", "silver", "--from", "2001-01-01",
	       "--storage", "local", "--path", "orders/e2"),
	   "epoch e2");
}

static void teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

TestSuite(metadata, .init = setup, .fini = teardown, .timeout = 300);

/* Blocks allocated to a file, in 512-byte units. */
static long blocks(const char *path)
{
	char *s = sh("stat -c %%b '%s'", path);
	long n = atol(s);

	free(s);
	return n;
}

Test(metadata, archive_and_restore_keep_what_rsync_aHAX_keeps)
{
	char *before, *bin, *after, *s;

	before = signature(SRC);
	cr_assert(strstr(before, "xattrs=[user.top="), "%s", before);
	cr_assert(strstr(before, "system.posix_acl_default="), "%s", before);
	cr_assert_lt(blocks(SRC "/sparse"), 64, "the source is not sparse");

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	free(sh("mv mnt/" ITEM " mnt/.recyclebin/" EP "/"));
	ok(RUN("wait", ITEM), "wait");
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "test -e " SRC), 1, "not archived");

	bin = signature(BIN);
	same(before, bin, "in the bin");
	cr_assert_lt(blocks(BIN "/sparse"), 64, "the bin copy lost its holes");

	ok(RUN("restore", ITEM), "restore");
	after = signature(SRC);
	same(before, after, "after the restore");
	cr_assert_lt(blocks(SRC "/sparse"), 64, "the restore lost the holes");
	s = sh("stat -c %%i " SRC "/h1 " SRC "/sub/h2 | uniq | wc -l");
	cr_assert_str_eq(s, "1\n", "h1 and sub/h2 are not one file");
	free(s);

	/* The bin is read, never changed, by a restore. */
	s = signature(BIN);
	same(before, s, "in the bin after the restore");
	free(s);
	free(before);
	free(bin);
	free(after);
}

Test(metadata, cp_a_out_of_the_bin_writes_no_recyclefs_attribute)
{
	char *s;

	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	free(sh("mv mnt/" ITEM " mnt/.recyclebin/" EP "/"));
	ok(RUN("wait", ITEM), "wait");
	s = sh("getfattr --only-values -n user.recyclefs.state "
	       "mnt/.recyclebin/" ITEM);
	cr_assert_str_eq(s, "archived");
	free(s);
	/* cp -a copies the entry's user.recyclefs.* names too: the mount
	 * answers ENOTSUP, which cp ignores, and stores none of them. */
	free(sh("cp -a mnt/.recyclebin/" ITEM " mnt/" EP2 "/"));
	s = sh("getfattr -R -h -d -m - data/orders/e2 2>&1 | "
	       "grep -c recyclefs || true");
	cr_assert_str_eq(s, "0\n", "recyclefs attributes reached storage");
	free(s);
	s = sh("cmp mnt/.recyclebin/" ITEM "/part-0.parquet "
	       "data/orders/e2/dt=2024-01-01/part-0.parquet && echo same");
	cr_assert_str_eq(s, "same\n");
	free(s);
	/* Set by hand: the same answer, with nothing stored. */
	cr_assert_neq(rfs_test_sh(&m, &out,
				  "setfattr -n user.recyclefs.state -v x "
				  "mnt/" EP2 "/dt=2024-01-01/h1"),
		      0);
	cr_assert(strstr(out.err, "not supported"), "%s", out.err);
	cr_assert_neq(rfs_test_sh(&m, NULL,
				  "getfattr -n user.recyclefs.state "
				  "data/orders/e2/dt=2024-01-01/h1"),
		      0);
	/* The epoch's root is storage too. */
	cr_assert_neq(rfs_test_sh(&m, &out,
				  "setfattr -n user.recyclefs.uuid -v x "
				  "mnt/" EP2),
		      0);
	cr_assert(strstr(out.err, "not supported"), "%s", out.err);
	s = sh("getfattr -d -m - data/orders/e2 2>&1 | grep -c recyclefs "
	       "|| true");
	cr_assert_str_eq(s, "0\n");
	free(s);
	/* Other names still reach the storage. */
	free(sh("setfattr -n user.mine -v 1 mnt/" EP2 "/dt=2024-01-01/h1"));
	s = sh("getfattr --only-values -n user.mine "
	       "data/orders/e2/dt=2024-01-01/h1");
	cr_assert_str_eq(s, "1");
	free(s);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
}
