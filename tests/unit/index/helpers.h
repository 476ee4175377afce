/**
 * @file helpers.h
 * @brief Fixtures shared by the index unit tests: a fresh temporary
 *        directory per test, and raw SQLite access to build or inspect
 *        index files behind the API's back.
 *
 * Each Criterion test runs in its own process, so the globals below are
 * private to one test.
 */
#ifndef RFS_TESTS_UNIT_INDEX_HELPERS_H
#define RFS_TESTS_UNIT_INDEX_HELPERS_H

#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

/** The test's private directory and the index path inside it. */
static char test_dir[64];
static char test_db[128];

/** Create the test's directory; the index path is "<dir>/index.db". */
static inline void test_dir_setup(void)
{
	strcpy(test_dir, "/tmp/rfs-index-XXXXXX");
	cr_assert_not_null(mkdtemp(test_dir));
	snprintf(test_db, sizeof(test_db), "%s/index.db", test_dir);
}

/** Remove the test's directory and everything directly inside it. */
static inline void test_dir_teardown(void)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(test_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", test_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(test_dir);
}

/** Run SQL on @p path with a plain SQLite connection, creating the file. */
static inline void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

/** @return the integer @p sql returns on @p path, read with plain SQLite. */
static inline long long raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *db = NULL;
	long long v;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/**
 * Read a whole file.
 * @return a malloc'ed copy of its bytes; its size in @p len
 */
static inline char *read_all(const char *path, size_t *len)
{
	struct stat st;
	char *data;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "cannot open %s", path);
	cr_assert_eq(fstat(fd, &st), 0);
	data = malloc(st.st_size + 1);
	cr_assert_not_null(data);
	cr_assert_eq(read(fd, data, st.st_size), st.st_size);
	close(fd);
	*len = st.st_size;
	return data;
}

/** Write @p len bytes to a new file at @p path. */
static inline void write_all(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/** @return the permission bits of @p path */
static inline mode_t file_mode(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "cannot stat %s", path);
	return st.st_mode & 07777;
}

#endif
