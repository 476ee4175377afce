/*
 * The S3 adapter against Ceph RGW, which verifies every signature: big
 * listings, names that need encoding, metadata, objects written by other
 * tools, credentials and buckets that are wrong, open files that are
 * renamed or unlinked. Transfers and the HTTP layer are in test_s3_io.c.
 */
#include "backends/s3/s3.h"
#include "backends/s3/s3_ops.h"
#include "tests/support/cmd.h"
#include "tests/support/s3.h"
#include "tests/unit/backends/helpers.h"
#include "tests/unit/backends/s3_fixture.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/parallel.h"
#include "util/path.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(backends_s3, .init = s3fx_setup, .fini = s3fx_teardown,
	  .timeout = 300);

static int count_all(void *ctx, const char *name, const struct stat *st)
{
	(void)name;
	(void)st;
	++*(int *)ctx;
	return 0;
}

/* ------------------------------------------------------------ listing */

#define BIG_N 10050

/* Names that sort differently by byte than by other orders. */
static const char *const odd_names[] = { "A-upper",	    "Z-upper",
					 "_under",	    "~tilde",
					 "\xc3\xa9-accent", "0-digit",
					 "k05000.5" };
#define N_ODD (sizeof(odd_names) / sizeof(odd_names[0]))

struct filler {
	struct rfs_s3_backend *b;
	struct rfs_s3_meta m;
};

static int put_one(void *ctx, size_t i)
{
	struct filler *f = ctx;
	struct rfs_buf key = RFS_BUF_INIT;
	int r;

	if (i < BIG_N)
		r = rfs_buf_addf(&key, "t/big/k%05zu", i);
	else
		r = rfs_buf_addf(&key, "t/big/%s", odd_names[i - BIG_N]);
	if (!r)
		r = rfs_s3_put(f->b, rfs_buf_str(&key), "x", 1, &f->m, false);
	rfs_buf_release(&key);
	return r;
}

struct seen {
	char **names;
	size_t n;
	int files;
};

static int remember(void *ctx, const char *name, const struct stat *st)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, BIG_N + N_ODD + 1, "more entries than objects");
	s->names[s->n++] = strdup(name);
	s->files += S_ISREG(st->st_mode) && st->st_size == 1 &&
		    (st->st_mode & 07777) == 0640;
	return 0;
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(backends_s3, lists_10050_keys_once_in_s3_order)
{
	struct filler f = { rfs_s3_of(S3.b) };
	struct seen s = { calloc(BIG_N + N_ODD + 1, sizeof(char *)), 0, 0 };
	char **want = calloc(BIG_N + N_ODD, sizeof(char *));
	struct rfs_backend *fresh;
	size_t i;

	cr_assert(s.names && want);
	rfs_s3_meta_new(&f.m, S_IFREG | 0640);
	cr_assert_eq(rfs_parallel_try(16, BIG_N + N_ODD, put_one, &f), 0,
		     "filling: %s", rfs_s3_last_error());
	/* a backend with empty caches: every page comes from the server */
	fresh = s3fx_open("t", NULL);
	cr_assert_eq(rfs_backend_list(fresh, "big", remember, &s), 0, "%s",
		     rfs_s3_last_error());
	cr_assert_eq(s.n, BIG_N + N_ODD);
	cr_assert_eq(s.files, (int)(BIG_N + N_ODD));
	for (i = 0; i < BIG_N; i++)
		cr_assert(asprintf(&want[i], "k%05zu", i) > 0);
	for (i = 0; i < N_ODD; i++)
		want[BIG_N + i] = strdup(odd_names[i]);
	qsort(want, BIG_N + N_ODD, sizeof(*want), by_bytes);
	/* every name once, in S3's order (UTF-8 bytes) */
	for (i = 0; i < s.n; i++)
		cr_assert_str_eq(s.names[i], want[i], "entry %zu", i);
	cr_assert_str_eq(s.names[0], "0-digit");
	cr_assert_str_eq(s.names[s.n - 1], "\xc3\xa9-accent");
	for (i = 0; i < s.n; i++) {
		free(s.names[i]);
		free(want[i]);
	}
	free(s.names);
	free(want);
}

/* ------------------------------------------------------------- names */

static const char *const special[] = {
	"with space",
	"plus+sign",
	"eq=als",
	"amp&ersand",
	"per%25cent",
	"semi;colon,comma",
	"quote'd \"double\"",
	"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\xa6",
	"tilde~star*paren()",
	"hash#question?",
};

static int has_name(void *ctx, const char *name, const struct stat *st)
{
	const char *want = ctx;

	(void)st;
	return strcmp(name, want) ? 0 : 1;
}

static void round_trip(struct rfs_backend *b, const char *dir, const char *name)
{
	struct rfs_buf key = RFS_BUF_INIT;
	char buf[1024];
	struct stat st;

	cr_assert_eq(rfs_path_join(&key, dir, name), 0);
	bk_put(b, rfs_buf_str(&key), name, strlen(name));
	cr_assert_eq(rfs_backend_stat(b, rfs_buf_str(&key), &st), 0, "'%s'",
		     name);
	cr_assert_eq(st.st_size, (off_t)strlen(name));
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(bk_get(b, rfs_buf_str(&key), buf, sizeof(buf)),
		     (ssize_t)strlen(name), "'%s'", name);
	cr_assert_str_eq(buf, name);
	cr_assert_eq(rfs_backend_list(b, dir, has_name, (void *)name), 1,
		     "'%s' not listed in '%s'", name, dir);
	rfs_buf_release(&key);
}

Test(backends_s3, names_that_need_encoding_round_trip)
{
	char long_ascii[256], long_utf8[256], too_long[257];
	struct rfs_backend *fresh;
	struct rfs_file *f = NULL;
	size_t i;

	memset(long_ascii, 'n', 255);
	long_ascii[255] = '\0';
	for (i = 0; i < 85; i++) /* U+00E9 is 2 bytes, U+65E5 3 */
		memcpy(long_utf8 + 3 * i, "\xe6\x97\xa5", 3);
	long_utf8[255] = '\0';
	memset(too_long, 'x', 256);
	too_long[256] = '\0';
	cr_assert_eq(rfs_backend_mkdir(S3.b, "d i r+=&", 0755), 0);
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		round_trip(S3.b, "", special[i]);
		round_trip(S3.b, "d i r+=&", special[i]);
	}
	round_trip(S3.b, "", long_ascii);
	round_trip(S3.b, "d i r+=&", long_utf8);
	cr_assert_eq(rfs_backend_open_file(S3.b, too_long, O_CREAT | O_WRONLY,
					   0644, &f),
		     -ENAMETOOLONG);
	/* and from a backend with nothing cached */
	fresh = s3fx_open("t", NULL);
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		cr_assert_eq(rfs_backend_list(fresh, "d i r+=&", has_name,
					      (void *)special[i]),
			     1, "'%s'", special[i]);
	cr_assert_eq(rfs_backend_list(fresh, "", has_name, long_ascii), 1);
}

/* ---------------------------------------------------------- metadata */

Test(backends_s3, mtime_round_trips_with_nine_digits)
{
	struct timespec ts[2] = { { 1600000000, 5 },
				  { 1700000000, 123456789 } };
	struct rfs_test_out out = { 0 };
	struct rfs_backend *fresh;
	char key[128];
	struct stat st;

	bk_put(S3.b, "m", "meta", 4);
	cr_assert_eq(rfs_backend_chmod(S3.b, "m", 0640), 0);
	cr_assert_eq(rfs_backend_utimens(S3.b, "m", ts), 0);
	fresh = s3fx_open("t", NULL);
	cr_assert_eq(rfs_backend_stat(fresh, "m", &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 1700000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 123456789);
	cr_assert_eq(st.st_atim.tv_sec, 1600000000);
	cr_assert_eq(st.st_atim.tv_nsec, 5);
	cr_assert_eq(st.st_mode, S_IFREG | 0640);
	cr_assert_eq(st.st_uid, geteuid());
	cr_assert_eq(st.st_size, 4);
	/* what other tools read: s3fs and rclone conventions */
	snprintf(key, sizeof(key), "t/m");
	cr_assert_eq(rfs_test_aws(&out, S3.endpoint, "s3api", "head-object",
				  "--bucket", S3.bucket, "--key", key, NULL),
		     0, "aws: %s", out.err);
	cr_assert_not_null(
		strstr(out.out, "\"mtime\": \"1700000000.123456789\""), "%s",
		out.out);
	cr_assert_not_null(
		strstr(out.out, "\"atime\": \"1600000000.000000005\""), "%s",
		out.out);
	cr_assert_not_null(strstr(out.out, "\"mode\": \"33184\""), "%s",
			   out.out);
	rfs_test_out_release(&out);
}

static int find_entry(void *ctx, const char *name, const struct stat *st)
{
	struct stat *want = ctx;

	if (strcmp(name, "a.txt"))
		return 0;
	*want = *st;
	return 1;
}

Test(backends_s3, reads_what_aws_cp_wrote)
{
	char dir[] = "/tmp/rfs-s3-awscp-XXXXXX", path[256], dst[256];
	struct rfs_test_out out = { 0 };
	struct stat st, listed;
	char buf[64] = { 0 };
	FILE *fp;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.txt", dir);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fputs("written by aws", fp);
	fclose(fp);
	snprintf(dst, sizeof(dst), "s3://%s/t/ext/a.txt", S3.bucket);
	cr_assert_eq(
		rfs_test_aws(&out, S3.endpoint, "s3", "cp", path, dst, NULL), 0,
		"aws: %s", out.err);
	snprintf(dst, sizeof(dst), "s3://%s/t/ext/deep/er/b.txt", S3.bucket);
	cr_assert_eq(
		rfs_test_aws(&out, S3.endpoint, "s3", "cp", path, dst, NULL), 0,
		"aws: %s", out.err);
	unlink(path);
	rmdir(dir);
	rfs_test_out_release(&out);

	/* no x-amz-meta-*: a 0644 file of the caller, at Last-Modified */
	cr_assert_eq(rfs_backend_stat(S3.b, "ext/a.txt", &st), 0);
	cr_assert_eq(st.st_mode, S_IFREG | 0644);
	cr_assert_eq(st.st_size, 14);
	cr_assert_eq(st.st_uid, geteuid());
	cr_assert_leq(labs((long)(st.st_mtim.tv_sec - time(NULL))), 300);
	cr_assert_eq(bk_get(S3.b, "ext/a.txt", buf, sizeof(buf)), 14);
	cr_assert_str_eq(buf, "written by aws");
	/* the listing says the same */
	cr_assert_eq(rfs_backend_list(S3.b, "ext", find_entry, &listed), 1);
	cr_assert_eq(listed.st_mode, st.st_mode);
	cr_assert_eq(listed.st_mtim.tv_sec, st.st_mtim.tv_sec);
	/* directories implied by keys, without markers */
	cr_assert_eq(rfs_backend_stat(S3.b, "ext/deep", &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0755);
	cr_assert_eq(rfs_backend_rmdir(S3.b, "ext/deep"), -ENOTEMPTY);
	/* removing the only file keeps its directory, as POSIX does */
	cr_assert_eq(rfs_backend_unlink(S3.b, "ext/deep/er/b.txt"), 0);
	cr_assert_eq(rfs_backend_stat(S3.b, "ext/deep/er", &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(rfs_backend_rmdir(S3.b, "ext/deep/er"), 0);
	cr_assert_eq(rfs_backend_stat(S3.b, "ext/deep", &st), 0);
	cr_assert_eq(rfs_backend_rmdir(S3.b, "ext/deep"), 0);
	cr_assert_eq(rfs_backend_stat(S3.b, "ext/deep", &st), -ENOENT);
}

/* -------------------------------------------------- errors, messages */

Test(backends_s3, wrong_credentials_are_eacces_without_the_secret)
{
	const char *secret = "Wr0ngS3cretThatMustNeverShow";
	struct rfs_backend *b;
	struct stat st;
	int seen = 0;

	setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
	b = s3fx_open("t", NULL);
	cr_assert_eq(rfs_backend_stat(b, "x", &st), -EACCES);
	cr_assert_eq(rfs_backend_list(b, "", count_all, &seen), -EACCES);
	cr_assert_not_null(strstr(rfs_s3_last_error(), "access denied"), "%s",
			   rfs_s3_last_error());
	cr_assert_not_null(strstr(rfs_s3_last_error(), "SignatureDoesNotMatch"),
			   "%s", rfs_s3_last_error());
	cr_assert_not_null(strstr(rfs_s3_last_error(), S3.bucket), "%s",
			   rfs_s3_last_error());
	cr_assert_null(strstr(rfs_s3_last_error(), secret));
	cr_assert_null(strstr(rfs_s3_last_error(), "TESTSECRET"));

	setenv("AWS_ACCESS_KEY_ID", "NOSUCHKEY", 1);
	b = s3fx_open("t", NULL);
	cr_assert_eq(rfs_backend_list(b, "", count_all, &seen), -EACCES);
	cr_assert_not_null(strstr(rfs_s3_last_error(), "InvalidAccessKeyId"),
			   "%s", rfs_s3_last_error());
	cr_assert_null(strstr(rfs_s3_last_error(), secret));
	cr_assert_eq(seen, 0);
}

Test(backends_s3, unknown_bucket_is_enoent_and_says_so)
{
	char *uri = rfs_test_s3_uri(S3.endpoint, "rfs-no-such-bucket-here", "p",
				    NULL);
	struct rfs_backend *b = bk_open(uri);
	struct rfs_file *f = NULL;
	struct stat st;
	int seen = 0;

	cr_assert_eq(rfs_backend_stat(b, "x", &st), -ENOENT);
	cr_assert_not_null(strstr(rfs_s3_last_error(),
				  "bucket 'rfs-no-such-bucket-here' does not "
				  "exist"),
			   "%s", rfs_s3_last_error());
	cr_assert_eq(rfs_backend_list(b, "", count_all, &seen), -ENOENT);
	cr_assert_eq(
		rfs_backend_open_file(b, "x", O_CREAT | O_WRONLY, 0644, &f),
		-ENOENT);
	cr_assert_not_null(strstr(rfs_s3_last_error(), "does not exist"));
	rfs_backend_free(b);
	free(uri);
}

Test(backends_s3, gs_uris_open_the_same_adapter)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;
	char *uri = NULL;
	struct stat st;

	cr_assert(asprintf(&uri, "gs://%s/t?endpoint=%s&path_style=1",
			   S3.bucket, S3.endpoint) > 0);
	cr_assert_eq(rfs_backend_open(uri, &b, &err), 0, "%s", err.msg);
	cr_assert(rfs_backend_has(b, RFS_BACKEND_CAP_COPY));
	cr_assert_eq(rfs_backend_stat(b, "", &st), 0);
	rfs_backend_free(b);
	free(uri);
}

/* --------------------------------------------------------- open files */

Test(backends_s3, attributes_set_while_open_survive_the_upload)
{
	struct timespec ts[2] = { { 1500000000, 1 }, { 1500000000, 2 } };
	struct rfs_file *f = NULL;
	struct stat st;

	/* as `cp -p` does: write, set times and mode, then close */
	cr_assert_eq(
		rfs_backend_open_file(S3.b, "cp", O_CREAT | O_WRONLY, 0600, &f),
		0);
	cr_assert_eq(rfs_file_write(f, "copied", 6, 0), 6);
	cr_assert_eq(rfs_backend_utimens(S3.b, "cp", ts), 0);
	cr_assert_eq(rfs_backend_chmod(S3.b, "cp", 0751), 0);
	/* stat sees the open file's state */
	cr_assert_eq(rfs_backend_stat(S3.b, "cp", &st), 0);
	cr_assert_eq(st.st_size, 6);
	cr_assert_eq(rfs_file_close(f), 0);
	cr_assert_eq(rfs_backend_stat(s3fx_open("t", NULL), "cp", &st), 0);
	cr_assert_eq(st.st_mtim.tv_sec, 1500000000);
	cr_assert_eq(st.st_mtim.tv_nsec, 2);
	cr_assert_eq(st.st_mode, S_IFREG | 0751);
	cr_assert_eq(st.st_size, 6);
}

Test(backends_s3, renamed_or_unlinked_open_files)
{
	struct rfs_file *w = NULL, *gone = NULL;
	char buf[16] = { 0 };
	struct stat st;

	cr_assert_eq(
		rfs_backend_open_file(S3.b, "a", O_CREAT | O_RDWR, 0644, &w),
		0);
	cr_assert_eq(rfs_file_write(w, "moved", 5, 0), 5);
	cr_assert_eq(rfs_backend_rename(S3.b, "a", "b", 0), 0);
	cr_assert_eq(rfs_file_close(w), 0);
	cr_assert_eq(rfs_backend_stat(S3.b, "a", &st), -ENOENT);
	cr_assert_eq(bk_get(S3.b, "b", buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "moved");

	/* written after its name went: never uploaded */
	cr_assert_eq(
		rfs_backend_open_file(S3.b, "c", O_CREAT | O_RDWR, 0644, &gone),
		0);
	cr_assert_eq(rfs_backend_unlink(S3.b, "c"), 0);
	cr_assert_eq(rfs_file_write(gone, "ghost", 5, 0), 5);
	cr_assert_eq(rfs_file_close(gone), 0);
	cr_assert_eq(rfs_backend_stat(S3.b, "c", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(s3fx_open("t", NULL), "c", &st), -ENOENT);
}

Test(backends_s3, directory_rename_moves_every_object)
{
	struct timespec ts[2] = { { 1400000000, 0 }, { 1400000000, 7 } };
	char key[64], buf[64];
	struct stat st;
	int i, n = 0;

	cr_assert_eq(rfs_backend_mkdir(S3.b, "src", 0750), 0);
	cr_assert_eq(rfs_backend_mkdir(S3.b, "src/sub", 0755), 0);
	for (i = 0; i < 30; i++) {
		snprintf(key, sizeof(key), "src/%sf%02d", i % 2 ? "sub/" : "",
			 i);
		bk_put(S3.b, key, key, strlen(key));
	}
	cr_assert_eq(rfs_backend_utimens(S3.b, "src/f00", ts), 0);
	cr_assert_eq(rfs_backend_rename(S3.b, "src", "dst", RENAME_NOREPLACE),
		     0);
	cr_assert_eq(rfs_backend_stat(S3.b, "src", &st), -ENOENT);
	for (i = 0; i < 30; i++) {
		snprintf(key, sizeof(key), "dst/%sf%02d", i % 2 ? "sub/" : "",
			 i);
		memset(buf, 0, sizeof(buf));
		cr_assert_eq(bk_get(S3.b, key, buf, sizeof(buf)),
			     (ssize_t)strlen(key));
		cr_assert_eq(memcmp(buf, "src", 3), 0);
	}
	cr_assert_eq(rfs_backend_stat(S3.b, "dst", &st), 0);
	cr_assert_eq(st.st_mode, S_IFDIR | 0750);
	cr_assert_eq(rfs_backend_stat(S3.b, "dst/f00", &st), 0);
	cr_assert_eq(st.st_mtim.tv_nsec, 7);
	cr_assert_eq(rfs_backend_list(s3fx_open("t", NULL), "", count_all, &n),
		     0);
	cr_assert_eq(n, 1);
}

Test(backends_s3, backends_of_one_bucket_see_each_others_writes)
{
	struct rfs_backend *other = s3fx_open("t", NULL);
	struct rfs_backend *root = s3fx_open("", NULL);
	struct rfs_file *f = NULL;
	char buf[8] = { 0 };
	struct stat st;
	int n = 0;

	/* what one backend lists and caches... */
	cr_assert_eq(rfs_backend_mkdir(S3.b, "d", 0755), 0);
	cr_assert_eq(rfs_backend_list(other, "d", count_all, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(rfs_backend_stat(other, "d/f", &st), -ENOENT);
	/* ...another's writes update at once, whatever its prefix */
	bk_put(S3.b, "d/f", "1", 1);
	cr_assert_eq(rfs_backend_list(other, "d", count_all, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(rfs_backend_stat(other, "d/f", &st), 0);
	cr_assert_eq(rfs_backend_stat(root, "t/d/f", &st), 0);
	cr_assert_eq(rfs_backend_unlink(root, "t/d/f"), 0);
	cr_assert_eq(rfs_backend_stat(S3.b, "d/f", &st), -ENOENT);
	n = 0;
	cr_assert_eq(rfs_backend_list(other, "d", count_all, &n), 0);
	cr_assert_eq(n, 0);
	/* a file open through one stays readable when another unlinks it */
	bk_put(S3.b, "g", "data", 4);
	cr_assert_eq(rfs_backend_open_file(other, "g", O_RDONLY, 0, &f), 0);
	cr_assert_eq(rfs_backend_unlink(root, "t/g"), 0);
	cr_assert_eq(rfs_file_read(f, buf, sizeof(buf), 0), 4);
	cr_assert_str_eq(buf, "data");
	cr_assert_eq(rfs_file_close(f), 0);
}
