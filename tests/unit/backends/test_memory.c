/*
 * The memory backend beyond the contract: fault injection, counters,
 * crashes, resets, shared stores and concurrent use.
 */
#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "tests/unit/backends/helpers.h"
#include "util/error.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char store[32], uri[64];
static struct rfs_backend *B;

static void setup(void)
{
	snprintf(store, sizeof(store), "mem%d", (int)getpid());
	snprintf(uri, sizeof(uri), "mem://%s/data", store);
	B = bk_open(uri);
}

static void teardown(void)
{
	rfs_backend_free(B);
	rfs_mem_reset(NULL);
}

TestSuite(backends_memory, .init = setup, .fini = teardown);

Test(backends_memory, fail_nth_write_fails_exactly_the_nth)
{
	struct rfs_file *f = NULL;
	char buf[8] = { 0 };

	cr_assert_eq(rfs_backend_open_file(B, "f", O_CREAT | O_RDWR, 0644, &f),
		     0);
	rfs_mem_fail_nth(store, RFS_MEM_OP_WRITE, 3, EIO);
	cr_assert_eq(rfs_file_write(f, "a", 1, 0), 1);
	cr_assert_eq(rfs_file_write(f, "b", 1, 1), 1);
	cr_assert_eq(rfs_file_write(f, "c", 1, 2), -EIO);
	cr_assert_eq(rfs_file_write(f, "d", 1, 3), 1);
	cr_assert_eq(rfs_file_write(f, "e", 1, 4), 1);
	/* the failed write did not land: a hole is left at offset 2 */
	cr_assert_eq(rfs_file_read(f, buf, sizeof(buf), 0), 5);
	cr_assert_arr_eq(buf, "ab\0de", 5);
	/* other kinds were never affected */
	cr_assert_eq(rfs_file_close(f), 0);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_WRITE), 5);
}

Test(backends_memory, fail_nth_uses_the_errno_and_kind)
{
	struct stat st;

	rfs_mem_fail_nth(store, RFS_MEM_OP_MKDIR, 1, ENOSPC);
	cr_assert_eq(rfs_backend_stat(B, "", &st), 0);
	cr_assert_eq(rfs_backend_mkdir(B, "d", 0755), -ENOSPC);
	cr_assert_eq(rfs_backend_stat(B, "d", &st), -ENOENT);
	cr_assert_eq(rfs_backend_mkdir(B, "d", 0755), 0);

	/* a rule can be cleared before it fires */
	rfs_mem_fail_nth(store, RFS_MEM_OP_UNLINK, 1, EACCES);
	rfs_mem_fail_nth(store, RFS_MEM_OP_UNLINK, 0, 0);
	bk_put(B, "f", "x", 1);
	cr_assert_eq(rfs_backend_unlink(B, "f"), 0);

	/* RFS_MEM_OP_ANY counts every kind */
	rfs_mem_fail_nth(store, RFS_MEM_OP_ANY, 2, EROFS);
	cr_assert_eq(rfs_backend_stat(B, "d", &st), 0);
	cr_assert_eq(rfs_backend_rmdir(B, "d"), -EROFS);
	cr_assert_eq(rfs_backend_rmdir(B, "d"), 0);
}

Test(backends_memory, counters_count_each_kind)
{
	struct rfs_file *f = NULL;
	struct stat st;
	char c;
	unsigned long any;

	rfs_backend_stat(B, "", &st);
	rfs_backend_stat(B, "nope", &st);
	rfs_backend_stat(B, "", &st);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_STAT), 3);
	cr_assert_eq(rfs_backend_open_file(B, "f", O_CREAT | O_RDWR, 0644, &f),
		     0);
	rfs_file_write(f, "x", 1, 0);
	rfs_file_read(f, &c, 1, 0);
	rfs_file_read(f, &c, 1, 0);
	rfs_file_fsync(f, 0);
	rfs_file_close(f);
	rfs_backend_chmod(B, "f", 0600);
	rfs_backend_copy(B, "f", B, "g", 0);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_OPEN), 1);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_WRITE), 1);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_READ), 2);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_CLOSE), 2);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_META), 1);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_COPY), 1);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_LIST), 0);
	any = rfs_mem_calls(store, RFS_MEM_OP_ANY);
	cr_assert_eq(any, 3 + 1 + 1 + 2 + 2 + 1 + 1);
	cr_assert_eq(rfs_mem_calls("no-such-store", RFS_MEM_OP_ANY), 0);
}

Test(backends_memory, crash_after_fails_everything_until_recover)
{
	struct rfs_file *f = NULL;
	char buf[8] = { 0 };
	struct stat st;

	bk_put(B, "f", "old", 3);
	cr_assert_eq(rfs_backend_open_file(B, "f", O_RDWR, 0, &f), 0);
	rfs_mem_crash_after(store, 2);
	cr_assert_eq(rfs_backend_stat(B, "f", &st), 0);
	cr_assert_eq(rfs_file_read(f, buf, 3, 0), 3);
	/* the third call hits the crash: the write must not land */
	cr_assert_eq(rfs_file_write(f, "NEW", 3, 0), -EIO);
	cr_assert_eq(rfs_backend_stat(B, "f", &st), -EIO);
	cr_assert_eq(rfs_backend_mkdir(B, "d", 0755), -EIO);
	cr_assert_eq(rfs_file_read(f, buf, 3, 0), -EIO);
	rfs_mem_recover(store);
	cr_assert_eq(rfs_file_read(f, buf, 3, 0), 3);
	cr_assert_arr_eq(buf, "old", 3);
	cr_assert_eq(rfs_backend_stat(B, "d", &st), -ENOENT);
	cr_assert_eq(rfs_file_close(f), 0);
	cr_assert_eq(rfs_backend_mkdir(B, "d", 0755), 0);
}

Test(backends_memory, crash_after_zero_and_close_frees)
{
	struct rfs_file *f = NULL;
	struct stat st;

	cr_assert_eq(rfs_backend_open_file(B, "f", O_CREAT | O_RDWR, 0644, &f),
		     0);
	rfs_mem_crash_after(store, 0);
	/* a failing close still frees the file (checked under ASan) */
	cr_assert_eq(rfs_file_close(f), -EIO);
	rfs_mem_recover(store);
	cr_assert_eq(rfs_backend_stat(B, "f", &st), 0);
	/* recover also clears the rules */
	rfs_mem_fail_nth(store, RFS_MEM_OP_STAT, 1, EIO);
	rfs_mem_recover(store);
	cr_assert_eq(rfs_backend_stat(B, "f", &st), 0);
}

Test(backends_memory, reset_drops_files_counters_and_rules)
{
	struct stat st;

	bk_put(B, "f", "x", 1);
	rfs_mem_fail_nth(store, RFS_MEM_OP_STAT, 5, EIO);
	rfs_mem_reset(store);
	cr_assert_eq(rfs_mem_calls(store, RFS_MEM_OP_ANY), 0);
	/* the prefix went with the rest */
	cr_assert_eq(rfs_backend_stat(B, "f", &st), -ENOENT);
	cr_assert_eq(rfs_backend_stat(B, "", &st), -ENOENT);
	rfs_backend_free(B);
	B = bk_open(uri);
	cr_assert_eq(rfs_backend_stat(B, "", &st), 0);
	cr_assert_eq(rfs_backend_stat(B, "f", &st), -ENOENT);
}

Test(backends_memory, prefixes_share_one_store)
{
	char bin_uri[96], buf[8] = { 0 };
	struct rfs_backend *bin, *other;
	struct stat st;

	snprintf(bin_uri, sizeof(bin_uri), "mem://%s/data/.recyclebin/t",
		 store);
	bin = bk_open(bin_uri);
	cr_assert_eq(rfs_backend_stat(B, ".recyclebin/t", &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	bk_put(B, ".recyclebin/t/f", "abc", 3);
	cr_assert_eq(bk_get(bin, "f", buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "abc");

	/* copies within one store work across prefixes... */
	bk_put(B, "orig", "12345", 5);
	cr_assert_eq(rfs_backend_copy(B, "orig", bin, "copy", 0), 0);
	cr_assert_eq(rfs_backend_stat(B, ".recyclebin/t/copy", &st), 0);
	cr_assert_eq(st.st_size, 5);
	/* ...and not across stores */
	other = bk_open("mem://another-store/x");
	cr_assert_eq(rfs_backend_copy(B, "orig", other, "copy", 0), -EXDEV);
	rfs_backend_free(other);
	rfs_backend_free(bin);
}

Test(backends_memory, open_refuses_a_file_in_the_prefix)
{
	struct rfs_error err = { 0 };
	struct rfs_backend *b = NULL;
	char bad[96];

	bk_put(B, "file", "x", 1);
	snprintf(bad, sizeof(bad), "mem://%s/data/file/sub", store);
	cr_assert_eq(rfs_backend_open(bad, &b, &err), -ENOTDIR);
	cr_assert_null(b);
	cr_assert_neq(strstr(err.msg, "not a directory"), NULL, "%s", err.msg);
	cr_assert_eq(rfs_backend_open("mem:///nostore", &b, &err), -EINVAL);
}

Test(backends_memory, owner_times_and_blocks)
{
	struct timespec t0, t1;
	struct stat st;

	clock_gettime(CLOCK_REALTIME, &t0);
	bk_put(B, "f", "x", 1);
	clock_gettime(CLOCK_REALTIME, &t1);
	cr_assert_eq(rfs_backend_stat(B, "f", &st), 0);
	cr_assert_eq(st.st_uid, geteuid());
	cr_assert_eq(st.st_gid, getegid());
	cr_assert(st.st_mtim.tv_sec > t0.tv_sec ||
		  (st.st_mtim.tv_sec == t0.tv_sec &&
		   st.st_mtim.tv_nsec >= t0.tv_nsec));
	cr_assert(st.st_mtim.tv_sec < t1.tv_sec ||
		  (st.st_mtim.tv_sec == t1.tv_sec &&
		   st.st_mtim.tv_nsec <= t1.tv_nsec));
	cr_assert_gt(st.st_blocks, 0);
	/* the parent's mtime moves with its entries */
	cr_assert_eq(rfs_backend_stat(B, "", &st), 0);
	cr_assert(st.st_mtim.tv_sec >= t0.tv_sec);
	cr_assert_eq(st.st_nlink, 2);
	cr_assert_eq(rfs_backend_mkdir(B, "d", 0755), 0);
	cr_assert_eq(rfs_backend_stat(B, "", &st), 0);
	cr_assert_eq(st.st_nlink, 3);
}

Test(backends_memory, fallocate_and_punch)
{
	struct rfs_file *f = NULL;
	char buf[8];
	struct stat st;

	cr_assert_eq(rfs_backend_open_file(B, "f", O_CREAT | O_RDWR, 0644, &f),
		     0);
	cr_assert_eq(rfs_file_write(f, "abcdefgh", 8, 0), 8);
	cr_assert_eq(rfs_file_fallocate(f, 0, 0, 100), 0);
	cr_assert_eq(rfs_file_stat(f, &st), 0);
	cr_assert_eq(st.st_size, 100);
	cr_assert_eq(
		rfs_file_fallocate(
			f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3),
		0);
	cr_assert_eq(rfs_file_read(f, buf, 8, 0), 8);
	cr_assert_arr_eq(buf, "ab\0\0\0fgh", 8);
	cr_assert_eq(rfs_file_fd(f), -ENOSYS);
	cr_assert_eq(rfs_file_close(f), 0);
}

Test(backends_memory, rename_flags_are_checked)
{
	bk_put(B, "a", "1", 1);
	bk_put(B, "b", "2", 1);
	cr_assert_eq(rfs_backend_rename(B, "a", "b",
					RENAME_NOREPLACE | RENAME_EXCHANGE),
		     -EINVAL);
	cr_assert_eq(rfs_backend_rename(B, "a", "b", 1u << 10), -EINVAL);
	cr_assert_eq(rfs_backend_rename(B, "a", "a", RENAME_NOREPLACE),
		     -EEXIST);
	cr_assert_eq(rfs_backend_rename(B, "a", "a", 0), 0);
}

Test(backends_memory, many_entries_in_one_directory)
{
	struct stat st;
	char key[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		bk_put(B, key, key, strlen(key));
	}
	for (i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof(key), "f%d", i);
		cr_assert_eq(rfs_backend_unlink(B, key), 0);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		cr_assert_eq(rfs_backend_stat(B, key, &st), i % 2 ? 0 : -ENOENT,
			     "%s", key);
		if (i % 2)
			cr_assert_eq(st.st_size, (off_t)strlen(key));
	}
}

/* One writer thread: its own file, many small writes. */
static void *writer(void *arg)
{
	long id = (long)arg;
	struct rfs_file *f = NULL;
	char key[32];
	int i;

	snprintf(key, sizeof(key), "t%ld", id);
	if (rfs_backend_open_file(B, key, O_CREAT | O_RDWR, 0644, &f) < 0)
		return (void *)1;
	for (i = 0; i < 2000; i++) {
		unsigned char c = (unsigned char)(id + i);

		if (rfs_file_write(f, &c, 1, i) != 1)
			return (void *)1;
	}
	rfs_file_close(f);
	return NULL;
}

Test(backends_memory, concurrent_writers)
{
	pthread_t t[4];
	unsigned char buf[2000];
	char key[32];
	void *res;
	long i;
	int j;

	for (i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, writer, (void *)i), 0);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(pthread_join(t[i], &res), 0);
		cr_assert_null(res);
	}
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "t%ld", i);
		cr_assert_eq(bk_get(B, key, buf, sizeof(buf)), 2000);
		for (j = 0; j < 2000; j++)
			cr_assert_eq(buf[j], (unsigned char)(i + j));
	}
}
