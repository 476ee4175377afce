/*
 * Opening the index: a file (created with mode 0600, checked, in WAL
 * mode), a private in-memory index or one shared by name in this process;
 * then the schema check and the migrations (schema.c).
 */
#include "index/index.h"
#include "index/internal.h"

#include "util/error.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a statement waits for another process's lock, in ms. */
#define RFS_INDEX_BUSY_TIMEOUT_MS 10000

/* ":memory:" alone is a private in-memory index; ":memory:NAME" one that
 * every connection of this process opening NAME shares. */
static const char memory_path[] = ":memory:";
#define MEMORY_PREFIX_LEN (sizeof(memory_path) - 1)
/* The longest NAME of a shared in-memory index. */
#define MEMORY_NAME_MAX 128

/* Where the index lives, from the name it is opened with. */
enum place {
	PLACE_FILE,
	PLACE_PRIVATE, /* ":memory:" */
	PLACE_SHARED,  /* ":memory:NAME" */
};

static enum place place_of(const char *path)
{
	if (strncmp(path, memory_path, MEMORY_PREFIX_LEN) != 0)
		return PLACE_FILE;
	return path[MEMORY_PREFIX_LEN] ? PLACE_SHARED : PLACE_PRIVATE;
}

/* A shared name goes into a URI as it is: letters, digits, '.', '_', '-'. */
static bool shared_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n <= MEMORY_NAME_MAX && strspn(name, "abcdefghijklmnopqrstuvwxyz"
						    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						    "0123456789._-") == n;
}

/*
 * Create the index file with mode 0600 whatever the umask. An existing
 * file is left as it is: rfs_index_schema_check() decides whether it is
 * an index or an empty file to claim.
 */
/* An empty file (0 bytes, no write-ahead log with content) holds no
 * index: it is treated as no file at all, by init and by every other
 * command alike. */
static bool empty_file(const char *path)
{
	struct stat st;
	char *wal;
	bool empty;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size)
		return false;
	if (asprintf(&wal, "%s-wal", path) < 0)
		return false;
	empty = stat(wal, &st) < 0 || st.st_size == 0;
	free(wal);
	return empty;
}

static int create_file(struct rfs_index *idx, struct rfs_error *err)
{
	int fd, ret;

	fd = open(idx->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST && empty_file(idx->path)) {
			idx->created = true;
			return 0;
		}
		if (errno == EEXIST)
			return 0;
		ret = errno;
		return rfs_error_set(err, ret, "cannot create index '%s': %s",
				     idx->path, strerror(ret));
	}
	idx->created = true;
	if (fchmod(fd, 0600) < 0) {
		ret = errno;
		close(fd);
		return rfs_error_set(err, ret, "cannot create index '%s': %s",
				     idx->path, strerror(ret));
	}
	if (close(fd) < 0) {
		ret = errno;
		return rfs_error_set(err, ret, "cannot create index '%s': %s",
				     idx->path, strerror(ret));
	}
	return 0;
}

static int check_exists(const char *path, struct rfs_error *err)
{
	struct stat st;
	int ret;

	if (stat(path, &st) == 0 && empty_file(path))
		return rfs_error_set(err, ENOENT,
				     "no recyclefs index at '%s' (the file is "
				     "empty); run 'recyclefs init'",
				     path);
	if (stat(path, &st) == 0)
		return 0;
	ret = errno;
	if (ret == ENOENT)
		return rfs_error_set(
			err, ENOENT,
			"no recyclefs index at '%s'; run 'recyclefs init'",
			path);
	return rfs_error_set(err, ret, "cannot open index '%s': %s", path,
			     strerror(ret));
}

/*
 * SQLite takes names starting with "file:" as URIs; a relative path that
 * happens to start so is made explicit with "./". A shared in-memory
 * index is a database of SQLite's memdb VFS whose name starts with '/':
 * the connections of one process that open it share it, with the locks
 * (and busy waits) of a file, until the last one closes.
 */
static char *sqlite_name(const char *path, enum place place)
{
	char *name;
	size_t len;

	if (place == PLACE_SHARED) {
		if (asprintf(&name, "file:/rfs-index/%s?vfs=memdb",
			     path + MEMORY_PREFIX_LEN) < 0)
			return NULL;
		return name;
	}
	if (strncmp(path, "file:", 5) != 0)
		return strdup(path);
	len = strlen(path);
	name = malloc(len + 3);
	if (name) {
		memcpy(name, "./", 2);
		memcpy(name + 2, path, len + 1);
	}
	return name;
}

static int open_connection(struct rfs_index *idx, enum place place,
			   struct rfs_error *err)
{
	int oflags = SQLITE_OPEN_FULLMUTEX;
	char *name;
	int rc;

	if (idx->readonly)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	if (place == PLACE_PRIVATE)
		oflags |= SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY;
	if (place == PLACE_SHARED) /* the memdb VFS makes it, empty */
		oflags |= SQLITE_OPEN_URI |
			  (idx->readonly ? 0 : SQLITE_OPEN_CREATE);
	name = sqlite_name(idx->path, place);
	if (!name)
		return rfs_error_set(err, ENOMEM, "cannot open index '%s': %s",
				     idx->path, strerror(ENOMEM));
	rc = sqlite3_open_v2(name, &idx->db, oflags, NULL);
	free(name);
	if (!idx->db)
		return rfs_error_set(err, ENOMEM, "cannot open index '%s': %s",
				     idx->path, strerror(ENOMEM));
	if (rc != SQLITE_OK)
		return rfs_index_fail(idx, rc, err, "cannot open index '%s'",
				      idx->path);
	sqlite3_extended_result_codes(idx->db, 1);
	sqlite3_busy_timeout(idx->db, RFS_INDEX_BUSY_TIMEOUT_MS);
	return rfs_index_exec(idx, "PRAGMA foreign_keys = ON", err);
}

/* Settings that need a file known to be a recyclefs index. */
static int configure(struct rfs_index *idx, bool memory, struct rfs_error *err)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!memory && !idx->readonly) {
		rc = sqlite3_prepare_v3(idx->db, "PRAGMA journal_mode = WAL",
					-1, 0, &st, NULL);
		if (rc != SQLITE_OK)
			return rfs_index_fail(idx, rc, err,
					      "index '%s': cannot set WAL mode",
					      idx->path);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *mode = sqlite3_column_text(st, 0);

			/* Some file systems cannot hold the WAL index. */
			if (mode && strcmp((const char *)mode, "wal") != 0)
				rfs_log(LOG_DEBUG,
					"index '%s': journal mode stays '%s'",
					idx->path, (const char *)mode);
			rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK && rc != SQLITE_DONE) {
			ret = rfs_index_fail(idx, rc, err,
					     "index '%s': cannot set WAL mode",
					     idx->path);
			sqlite3_finalize(st);
			return ret;
		}
		sqlite3_finalize(st);
	}
	return rfs_index_exec(idx, "PRAGMA synchronous = NORMAL", err);
}

int rfs_index_open(const char *path, unsigned flags, struct rfs_index **out,
		   struct rfs_error *err)
{
	enum place place = place_of(path);
	bool memory = place != PLACE_FILE;
	bool create = flags & RFS_INDEX_CREATE;
	struct rfs_index *idx;
	int ret = 0;

	if ((flags & RFS_INDEX_READONLY) && (create || place == PLACE_PRIVATE))
		return rfs_error_set(
			err, EINVAL,
			"cannot open index '%s': a read-only index must exist already",
			path);
	if (place == PLACE_SHARED && !shared_name_ok(path + MEMORY_PREFIX_LEN))
		return rfs_error_set(
			err, EINVAL,
			"cannot open index '%s': the name of an in-memory "
			"index is at most %d letters, digits, '.', '_' or '-'",
			path, MEMORY_NAME_MAX);
	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return rfs_error_set(err, ENOMEM, "cannot open index '%s': %s",
				     path, strerror(ENOMEM));
	idx->path = strdup(path);
	if (!idx->path) {
		free(idx);
		return rfs_error_set(err, ENOMEM, "cannot open index '%s': %s",
				     path, strerror(ENOMEM));
	}
	idx->readonly = flags & RFS_INDEX_READONLY;

	if (place == PLACE_PRIVATE)
		idx->created = true;
	else if (place == PLACE_FILE && create)
		ret = create_file(idx, err);
	else if (place == PLACE_FILE)
		ret = check_exists(path, err);
	if (ret < 0)
		goto fail;

	ret = open_connection(idx, place, err);
	if (ret < 0)
		goto fail;
	/* A shared index is made by an open with RFS_INDEX_CREATE; the
	 * others find it (-ENOENT when no connection holds it). */
	ret = rfs_index_schema_check(idx, create || place == PLACE_PRIVATE,
				     err);
	if (ret < 0)
		goto fail;
	ret = configure(idx, memory, err);
	if (ret < 0)
		goto fail;
	if (!idx->readonly) {
		ret = rfs_index_migrate(idx, rfs_index_migrations,
					RFS_INDEX_SCHEMA_VERSION, err);
		if (ret < 0)
			goto fail;
	}
	*out = idx;
	return 0;

fail:
	/* Leave no half-made index behind for the next open to trip on. */
	if (idx->created && !memory) {
		sqlite3_close_v2(idx->db);
		idx->db = NULL;
		unlink(path);
	}
	rfs_index_free(idx);
	return ret;
}
