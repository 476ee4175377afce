/*
 * Special files through a real mount: a FIFO, a UNIX socket, a character
 * and a block device made inside an epoch through the mount (mkfifo,
 * mknod, bind), the folder moved into .recyclebin, then restored. Their
 * type, permission bits, owner, group, device number and times (in ns)
 * must be the same in the bin, after the restore, and through the mount;
 * a second restore changes nothing (same inode, same ctime). A recycle
 * storage on S3 (a private moto_server) refuses them at the archive's
 * snapshot, and a restore of them to S3 is refused up front.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/mount.h"
#include "tests/support/s3.h"

static struct rfs_test_mount m;
static struct rfs_test_out out;

#define EP   "sales.orders/bronze/2001-01-01..now"
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
	char line[4096], *s;
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

/* Made through the mount: a file, a FIFO, a socket (bind), a character
 * and a block device, foreign owners, odd modes, ns times set last. */
static const char make_py[] =
	"import os, socket, stat, sys\n"
	"r = sys.argv[1]\n"
	"os.mkdir(r)\n"
	"os.mkdir(r + '/sub')\n"
	"with open(r + '/part-0.parquet', 'wb') as f:\n"
	"    f.write(os.urandom(5000))\n"
	"os.mkfifo(r + '/queue', 0o640)\n"
	"os.mknod(r + '/sub/null', stat.S_IFCHR | 0o620, os.makedev(1, 3))\n"
	"os.mknod(r + '/loop', stat.S_IFBLK | 0o600, os.makedev(7, 200))\n"
	"here = os.getcwd()\n"
	"os.chdir(r)\n"
	"s = socket.socket(socket.AF_UNIX)\n"
	"s.bind('sock')\n"
	"s.close()\n"
	"os.chdir(here)\n"
	"os.chown(r + '/queue', 1234, 5678)\n"
	"os.chmod(r + '/queue', 0o640)\n"
	"os.chown(r + '/sock', 4321, 8765)\n"
	"os.chmod(r + '/sock', 0o751)\n"
	"os.chown(r + '/sub/null', 0, 5)\n"
	"os.chmod(r + '/sub/null', 0o620)\n"
	"os.chmod(r + '/loop', 0o1600)\n"
	"names = ['sub/null', 'queue', 'sock', 'loop', 'part-0.parquet',\n"
	"         'sub']\n"
	"for i, n in enumerate(names):\n"
	"    os.utime(r + '/' + n, ns=(1100000000123456789 + i,\n"
	"             1000000000987654321 + i), follow_symlinks=False)\n";

/* One line per entry below a folder: name, type, mode, owner, group,
 * device, mtime and atime in ns, size of a file; with "more", inode and
 * ctime too. */
static const char sig_py[] =
	"import os, stat, sys\n"
	"r = sys.argv[1]\n"
	"more = len(sys.argv) > 2\n"
	"rows = []\n"
	"def walk(rel):\n"
	"    # O_NOATIME: listing a folder must not change its atime\n"
	"    fd = os.open(os.path.join(r, rel), os.O_RDONLY | os.O_DIRECTORY\n"
	"                 | os.O_NOATIME | os.O_NOFOLLOW)\n"
	"    try:\n"
	"        kids = os.listdir(fd)\n"
	"    finally:\n"
	"        os.close(fd)\n"
	"    for n in kids:\n"
	"        q = os.path.join(rel, n)\n"
	"        st = os.lstat(os.path.join(r, q))\n"
	"        m = st.st_mode\n"
	"        dev = '-'\n"
	"        if stat.S_ISCHR(m) or stat.S_ISBLK(m):\n"
	"            dev = '%d:%d' % (os.major(st.st_rdev), "
	"os.minor(st.st_rdev))\n"
	"        row = '%s type=%o mode=%04o uid=%d gid=%d rdev=%s mtime=%d "
	"atime=%d size=%d' % (q, stat.S_IFMT(m), stat.S_IMODE(m),\n"
	"            st.st_uid, st.st_gid, dev, st.st_mtime_ns, st.st_atime_ns,\n"
	"            st.st_size if stat.S_ISREG(m) else 0)\n"
	"        if more:\n"
	"            row += ' ino=%d ctime=%d' % (st.st_ino, st.st_ctime_ns)\n"
	"        rows.append(row)\n"
	"        if stat.S_ISDIR(m):\n"
	"            walk(q)\n"
	"walk('')\n"
	"print('\\n'.join(sorted(rows)))\n";

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", m.dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
	umask(022);
	cr_assert_eq(rfs_test_mount_init(&m), 0);
	put("make.py", make_py);
	put("sig.py", sig_py);
	free(sh("mkdir -p data/orders/e1"));
	ok(RUN("table", "add", "sales.orders"), "table add");
	ok(RUN("lifecycle", "add", "sales.orders", "bronze"), "lifecycle");
	ok(RUN("epoch", "add", "sales.orders", "bronze", "--from", "2001-01-01",
	       "--storage", "local", "--path", "orders/e1"),
	   "epoch e1");
}

static void teardown(void)
{
	rfs_test_out_release(&out);
	rfs_test_mount_cleanup(&m);
}

TestSuite(special, .init = setup, .fini = teardown, .timeout = 300);

static char *sig(const char *dir)
{
	return sh("python3 sig.py '%s'", dir);
}

static void same(const char *want, const char *have, const char *where)
{
	cr_assert_str_eq(have, want, "%s:\nwant:\n%s\nhave:\n%s", where, want,
			 have);
}

Test(special, archive_and_restore_keep_fifos_sockets_and_devices)
{
	char *before, *s, *one, *two;

	if (geteuid() != 0)
		cr_skip_test("device nodes need root");
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	free(sh("python3 make.py mnt/" ITEM));
	before = sig(SRC);
	/* what the mount made is on the storage, as asked */
	cr_assert(strstr(before, "queue type=10000 mode=0640 uid=1234 "
				 "gid=5678 rdev=- mtime=1000000000987654322"),
		  "%s", before);
	cr_assert(strstr(before, "sock type=140000 mode=0751 uid=4321 "
				 "gid=8765"),
		  "%s", before);
	cr_assert(strstr(before, "sub/null type=20000 mode=0620 uid=0 gid=5 "
				 "rdev=1:3 mtime=1000000000987654321 "
				 "atime=1100000000123456789"),
		  "%s", before);
	cr_assert(strstr(before, "loop type=60000 mode=1600 uid=0 gid=0 "
				 "rdev=7:200"),
		  "%s", before);

	free(sh("mv mnt/" ITEM " mnt/.recyclebin/" EP "/"));
	ok(RUN("wait", ITEM), "wait");
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	cr_assert_eq(rfs_test_sh(&m, NULL, "test -e " SRC), 1,
		     "the source is still there");
	s = sig(BIN);
	same(before, s, "in the bin");
	free(s);
	/* the manifest says what they are */
	s = sh("cat data/.recyclebin/.recyclefs/manifests/*.json");
	cr_assert(strstr(s, "\"version\":2,"), "%.200s", s);
	cr_assert(strstr(s, "{\"path\":\"queue\",\"type\":\"fifo\","), "%s", s);
	cr_assert(strstr(s, "{\"path\":\"sock\",\"type\":\"socket\","), "%s",
		  s);
	cr_assert(strstr(s, "\"type\":\"chardev\",") &&
			  strstr(s, "\"rdev\":{\"major\":1,\"minor\":3}}"),
		  "%s", s);
	cr_assert(strstr(s, "\"type\":\"blockdev\",") &&
			  strstr(s, "\"rdev\":{\"major\":7,\"minor\":200}}"),
		  "%s", s);
	free(s);

	ok(RUN("restore", ITEM), "restore");
	s = sig(SRC);
	same(before, s, "after the restore");
	free(s);
	/* a second restore finds everything in place and changes nothing */
	one = sh("python3 sig.py " SRC " more");
	ok(RUN("restore", ITEM), "second restore");
	two = sh("python3 sig.py " SRC " more");
	same(one, two, "after a second restore");
	free(one);
	free(two);
	/* and the mount shows them as the storage holds them */
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	s = sig("mnt/" ITEM);
	same(before, s, "through the mount");
	free(s);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	free(before);
}

/* ------------------------------------------------ an object store refuses */

#define OBJ_EP	 "t.obj/raw/2020-01-01..now"
#define OBJ_ITEM OBJ_EP "/dt=1"
#define OBJ_SRC	 "data/obj/p/dt=1"

static struct rfs_test_server moto;
static char *obj_bucket, *obj_bin;

/* Storage "obj": a local directory whose recycle storage is a bucket of
 * a private moto_server; epoch OBJ_EP on it, item OBJ_ITEM made by
 * make.py (a file, a FIFO, a socket, two devices). */
static void obj_setup(void)
{
	char src[512];

	rfs_test_moto_start(&moto);
	setenv("AWS_ACCESS_KEY_ID", "TESTAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "TESTSECRET", 1);
	obj_bucket = rfs_test_s3_bucket_new(moto.endpoint);
	obj_bin = rfs_test_s3_uri(moto.endpoint, obj_bucket, "bin", NULL);
	snprintf(src, sizeof(src), "file://%s/data/obj", m.dir);
	free(sh("mkdir -p data/obj/p && python3 make.py " OBJ_SRC));
	ok(RUN("storage", "add", "obj", src, "--bin", obj_bin), "storage");
	ok(RUN("table", "add", "t.obj"), "table");
	ok(RUN("lifecycle", "add", "t.obj", "raw"), "lifecycle");
	ok(RUN("epoch", "add", "t.obj", "raw", "--from", "2020-01-01",
	       "--storage", "obj", "--path", "p"),
	   "epoch");
}

static void obj_teardown(void)
{
	rfs_test_mount_stop(&m);
	rfs_test_server_stop(&moto);
	free(obj_bucket);
	free(obj_bin);
}

/* The keys of the bucket under "bin/" but the catalog's journal
 * (".recyclefs/"), tab-separated ("" when none). */
static char *bucket_keys(void)
{
	struct rfs_test_out o = { 0 };
	char *s;

	cr_assert_eq(rfs_test_aws(&o, moto.endpoint, "s3api", "list-objects-v2",
				  "--bucket", obj_bucket, "--prefix", "bin/",
				  "--query",
				  "Contents[?!contains(Key, '.recyclefs/')]"
				  ".Key",
				  "--output", "text", NULL),
		     0, "%s", o.err);
	s = strdup(strcmp(o.out, "None\n") ? o.out : "");
	rfs_test_out_release(&o);
	return s;
}

Test(special, an_object_store_bin_refuses_them_at_snapshot)
{
	char *before, *s, *log;
	int r;

	if (geteuid() != 0)
		cr_skip_test("device nodes need root");
	obj_setup();
	before = sig(OBJ_SRC);
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);

	/* a special file alone: the mv itself is refused, with the reason in
	 * the daemon's log */
	r = rfs_test_sh(&m, &out, "mv mnt/" OBJ_ITEM "/queue mnt/.recyclebin/");
	cr_assert_neq(r, 0, "mv of a FIFO into an S3 bin was accepted");
	cr_assert(strstr(out.err, "Operation not permitted"), "%s", out.err);
	log = rfs_test_mount_log(&m);
	cr_assert(strstr(log,
			 "archive of '" OBJ_ITEM "/queue' refused: '" OBJ_ITEM
			 "/queue' is a FIFO: the recycle storage 's3://"),
		  "%s", log);
	free(log);
	ok(RUN("status", "--all"), "status");
	cr_assert_null(strstr(out.out, "queue"), "an entry was made:\n%s",
		       out.out);

	/* a folder holding them: the mv is accepted at once, the job fails
	 * at its snapshot, before any copy */
	free(sh("mv mnt/" OBJ_ITEM " mnt/.recyclebin/" OBJ_EP "/"));
	r = RUN("wait", OBJ_ITEM);
	cr_assert_neq(r, 0, "wait says the archive ended well: %s%s", out.out,
		      out.err);
	s = out.err[0] ? out.err : out.out;
	cr_assert(strstr(s, "failed") && strstr(s, "snapshot"), "wait: %s%s",
		  out.out, out.err);
	cr_assert(strstr(s, "' is a ") &&
			  strstr(s, ": the recycle storage 's3://") &&
			  strstr(s, "keeps no special files") &&
			  strstr(s, "nothing was changed"),
		  "wait: %s%s", out.out, out.err);
	cr_assert_null(strstr(s, "TESTSECRET"));
	ok(RUN("status"), "status");
	cr_assert(strstr(out.out, "failed") &&
			  strstr(out.out, "keeps no special files"),
		  "status: %s%s", out.out, out.err);
	log = rfs_test_mount_log(&m);
	cr_assert(strstr(log, "keeps no special files"), "log: %s", log);
	free(log);
	/* the source untouched and shown at its place again; the bucket
	 * holds nothing */
	s = sig(OBJ_SRC);
	same(before, s, "the source after the refusal");
	free(s);
	s = sig("mnt/" OBJ_ITEM);
	same(before, s, "through the mount after the refusal");
	free(s);
	s = bucket_keys();
	cr_assert_str_eq(s, "", "the bucket holds:\n%s", s);
	free(s);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	free(before);
	obj_teardown();
}

/* An item with special files archived to a local bin, restored to S3:
 * refused before anything is written; a part without them goes. */
Test(special, a_restore_of_them_to_an_object_store_is_refused_up_front)
{
	struct rfs_test_out o = { 0 };
	char *to, *s, *log;
	int r;

	if (geteuid() != 0)
		cr_skip_test("device nodes need root");
	obj_setup();
	free(sh("python3 make.py data/orders/e1/dt=2024-01-01"));
	ok(RUN("archive", ITEM), "archive");
	to = rfs_test_s3_uri(moto.endpoint, obj_bucket, "bin/out", NULL);
	r = RUN("restore", ITEM, "--to-uri", to);
	cr_assert_neq(r, 0, "restore to S3 accepted: %s", out.out);
	cr_assert(strstr(out.err, "'" ITEM "/") &&
			  strstr(out.err, ": the restore target 's3://") &&
			  strstr(out.err, "keeps no special files"),
		  "%s", out.err);
	cr_assert_null(strstr(out.err, "TESTSECRET"));
	/* through the mount: setfattr fails with EPERM, the reason logged */
	cr_assert_eq(rfs_test_mount_start(&m, NULL), 0);
	r = rfs_test_sh(&m, &o,
			"setfattr -n user.recyclefs.restore -v '%s' "
			"mnt/.recyclebin/" ITEM,
			to);
	cr_assert_neq(r, 0, "setfattr accepted");
	cr_assert(strstr(o.err, "Operation not permitted"), "%s", o.err);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	log = rfs_test_mount_log(&m);
	cr_assert(strstr(log, ": the restore target 's3://") &&
			  strstr(log, "keeps no special files"),
		  "%s", log);
	free(log);
	s = bucket_keys();
	cr_assert_str_eq(s, "", "the bucket holds:\n%s", s);
	free(s);
	ok(RUN("restore", "--status", ITEM), "restore --status");
	cr_assert_null(strstr(out.out, "s3://"), "a restore was recorded: %s",
		       out.out);
	/* the file alone goes */
	ok(RUN("restore", ITEM "/part-0.parquet", "--to-uri", to), "restore");
	s = bucket_keys();
	cr_assert_str_eq(s, "bin/out/part-0.parquet\n", "%s", s);
	free(s);
	free(to);
	rfs_test_out_release(&o);
	obj_teardown();
}

/* ------------------------------------------------ a user not the owner */

#define NB_ITEM EP "/dt=2024-02-02"
#define NB_SRC	"data/orders/e1/dt=2024-02-02"
#define NB_BIN	"data/.recyclebin/" NB_ITEM
#define NB_DEV	EP "/dt=2024-03-03"

/* As nobody, through the mount: the item, a file, a FIFO and a socket,
 * ns times set last; a device node is refused. */
static const char nobody_py[] =
	"import os, socket, sys\n"
	"r = sys.argv[1]\n"
	"os.mkdir(r, 0o750)\n"
	"with open(r + '/part-0.parquet', 'wb') as f:\n"
	"    f.write(b'x' * 3000)\n"
	"os.mkfifo(r + '/queue', 0o604)\n"
	"here = os.getcwd()\n"
	"os.chdir(r)\n"
	"s = socket.socket(socket.AF_UNIX)\n"
	"s.bind('sock')\n"
	"s.close()\n"
	"os.chdir(here)\n"
	"os.chmod(r + '/sock', 0o711)\n"
	"try:\n"
	"    os.mknod(r + '/null', 0o20644, os.makedev(1, 3))\n"
	"    print('mknod of a device: made')\n"
	"except OSError as e:\n"
	"    print('mknod of a device: ' + os.strerror(e.errno))\n"
	"for i, n in enumerate(['queue', 'sock', 'part-0.parquet']):\n"
	"    os.utime(r + '/' + n, ns=(1200000000111111111 + i,\n"
	"             1100000000222222222 + i), follow_symlinks=False)\n";

/* As nobody (65534), without supplementary groups: "recyclefs --index
 * INDEX ..." or any command. */
#define AS_NOBODY "setpriv --reuid=65534 --regid=65534 --clear-groups "
#define NB_CLI	  AS_NOBODY "$RECYCLEFS_BIN --index index.db "

/* A user other than the owner of the mount (nobody) makes a FIFO and a
 * socket through the mount (a device it cannot: EPERM, as on the storage
 * itself), then archives and restores them with the command line, the
 * jobs running as nobody: type, mode, owner, group and times are kept. */
Test(special, a_user_other_than_the_owner_archives_and_restores_them)
{
	char *before, *s;

	if (geteuid() != 0)
		cr_skip_test("needs root to become another user");
	put("nobody.py", nobody_py);
	cr_assert_eq(chmod(m.dir, 0711), 0);
	free(sh("chmod 0777 data/orders/e1"));
	cr_assert_eq(rfs_test_mount_start(&m, "allow_other"), 0);
	s = sh(AS_NOBODY "/usr/bin/python3 nobody.py mnt/" NB_ITEM);
	same("mknod of a device: Operation not permitted\n", s,
	     "a device made by nobody");
	free(s);
	cr_assert_eq(rfs_test_mount_stop(&m), 0);
	before = sig(NB_SRC);
	cr_assert(strstr(before, "queue type=10000 mode=0604 uid=65534 "
				 "gid=65534 rdev=- mtime=1100000000222222222 "
				 "atime=1200000000111111111"),
		  "%s", before);
	cr_assert(strstr(before, "sock type=140000 mode=0711 uid=65534 "
				 "gid=65534 rdev=- mtime=1100000000222222223"),
		  "%s", before);
	/* the index, its folder and the bin are nobody's to write */
	free(sh("chown -R 65534:65534 data/.recyclebin && chown 65534:65534 . "
		"index.db*"));
	s = sh(NB_CLI "archive " NB_ITEM);
	cr_assert(strstr(s, "archived '" NB_ITEM "'"), "%s", s);
	free(s);
	free(sh("test ! -e " NB_SRC));
	s = sig(NB_BIN);
	same(before, s, "in the bin, archived by nobody");
	free(s);
	s = sh(NB_CLI "restore " NB_ITEM);
	free(s);
	s = sig(NB_SRC);
	same(before, s, "restored by nobody");
	free(s);
	free(before);
}

/* A device node in an item archived by nobody: the bin cannot make it
 * (mknod needs CAP_MKNOD), so the job fails at sync naming it, and the
 * source is left as it was. */
Test(special, an_archive_by_a_user_other_than_the_owner_cannot_make_devices)
{
	struct rfs_test_out o = { 0 };
	char *before, *s;
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root to become another user");
	free(sh("mkdir -p data/orders/e1/dt=2024-03-03 && head -c 4000 "
		"/dev/urandom > data/orders/e1/dt=2024-03-03/part-0.parquet && "
		"mkfifo data/orders/e1/dt=2024-03-03/queue && mknod "
		"data/orders/e1/dt=2024-03-03/null c 1 3 && chown -R "
		"65534:65534 data/orders/e1/dt=2024-03-03 data/.recyclebin && "
		"chown 65534:65534 . index.db*"));
	free(sh("chmod 0777 data/orders/e1"));
	before = sig("data/orders/e1/dt=2024-03-03");
	r = rfs_test_sh(&m, &o, NB_CLI "archive " NB_DEV);
	cr_assert_eq(r, 1, "archive by nobody: %s%s", o.out, o.err);
	cr_assert(strstr(o.err, "failed at sync: copy of '" NB_DEV "/null' "
				"failed: Operation not permitted: making a "
				"character device needs the privilege to "
				"(CAP_MKNOD): run the archive as root"),
		  "%s", o.err);
	ok(RUN("status"), "status");
	cr_assert(strstr(out.out, "failed (sync)"), "%s", out.out);
	s = sig("data/orders/e1/dt=2024-03-03");
	same(before, s, "the source after the failure");
	free(s);
	free(sh("test ! -e data/.recyclebin/" NB_DEV "/null"));
	/* root's retry archives it; nobody's restore cannot make the device
	 * either, and says so; root's finishes it */
	ok(RUN("retry", NB_DEV), "retry by root");
	free(sh("test ! -e data/orders/e1/dt=2024-03-03"));
	r = rfs_test_sh(&m, &o, NB_CLI "restore " NB_DEV);
	cr_assert_neq(r, 0, "restore by nobody: %s%s", o.out, o.err);
	cr_assert(strstr(o.err, "'dt=2024-03-03/null' failed: Operation not "
				"permitted: making a character device needs "
				"the privilege to (CAP_MKNOD): run the "
				"restore as root"),
		  "%s", o.err);
	ok(RUN("restore", NB_DEV), "restore by root");
	s = sig("data/orders/e1/dt=2024-03-03");
	same(before, s, "restored by root");
	free(s);
	free(before);
	rfs_test_out_release(&o);
}
