/*
 * Reading manifests: the file is read whole through the backend, parsed
 * with jansson, checked completely (header and every row), and only then
 * are the entry filled and the rows handed to the caller, so a corrupt
 * manifest never produces half an import.
 */
#include "core/manifest.h"

#include "core/json_name.h"
#include "core/manifest_priv.h"

#include "backends/backend.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <jansson.h>

/** Largest manifest read: about four million rows. */
#define MANIFEST_READ_MAX ((size_t)1 << 30)
/** Bytes read from storage per call. */
#define MANIFEST_READ_CHUNK (1 << 20)

/** What a check needs to report a problem. */
struct mreader {
	const char *key;
	struct rfs_error *err;
	size_t row; /**< 1-based row being checked, 0 for the header */
};

/* Report a corrupt manifest: -EBADMSG with "manifest 'K' is corrupt: ..." */
static int bad(const struct mreader *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(const struct mreader *m, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (m->row)
		return rfs_error_set(
			m->err, EBADMSG,
			"manifest '%s' is corrupt: file row %zu: %s", m->key,
			m->row, what);
	return rfs_error_set(m->err, EBADMSG, "manifest '%s' is corrupt: %s",
			     m->key, what);
}

/* Read all of @p key into @p out. @return 0 or -errno, with the reason */
static int load(struct rfs_backend *bin, const char *key, struct rfs_buf *out,
		struct rfs_error *err)
{
	struct rfs_file *f = NULL;
	char *chunk;
	off_t off = 0;
	ssize_t n;
	int r;

	r = rfs_backend_open_file(bin, key, O_RDONLY, 0, &f);
	if (r == -ENOENT)
		return rfs_error_set(err, ENOENT, "manifest '%s' not found",
				     key);
	if (r < 0)
		return rfs_error_set(err, -r, "cannot open manifest '%s': %s",
				     key, strerror(-r));
	chunk = malloc(MANIFEST_READ_CHUNK);
	if (!chunk) {
		rfs_file_close(f);
		return rfs_error_set(err, ENOMEM,
				     "cannot read manifest '%s': out of memory",
				     key);
	}
	while ((n = rfs_file_read(f, chunk, MANIFEST_READ_CHUNK, off)) > 0) {
		r = rfs_buf_add(out, chunk, (size_t)n);
		if (r < 0)
			break;
		off += n;
	}
	if (r == 0 && n < 0)
		r = (int)n;
	free(chunk);
	rfs_file_close(f); /* read-only: nothing to write back */
	if (r == -E2BIG)
		return rfs_error_set(err, EFBIG,
				     "manifest '%s' is larger than %zu MiB",
				     key, MANIFEST_READ_MAX >> 20);
	if (r < 0)
		return rfs_error_set(err, -r, "cannot read manifest '%s': %s",
				     key, strerror(-r));
	return 0;
}

/* A string member with no NUL inside. @return it, or NULL */
static const char *get_str(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	const char *s = json_string_value(v);

	if (!s || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* A required string member, else -EBADMSG naming @p what. */
static int need_str(const struct mreader *m, json_t *obj, const char *what,
		    const char *name, const char **out)
{
	*out = get_str(obj, name);
	if (!*out)
		return bad(m, "\"%s\" is missing or not a string", what);
	return 0;
}

/* A required integer member in [lo, hi], else -EBADMSG. */
static int need_int(const struct mreader *m, json_t *obj, const char *name,
		    json_int_t lo, json_int_t hi, json_int_t *out)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_integer(v))
		return bad(m, "\"%s\" is missing or not an integer", name);
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return bad(m, "\"%s\" is out of range", name);
	return 0;
}

/* Parse the ISO 8601 time @p s of member @p what. @return 0, -EBADMSG */
static int iso_time(const struct mreader *m, const char *what, const char *s,
		    int64_t *ns)
{
	int r = rfs_manifest_parse_iso(s, ns);

	if (r == -ERANGE)
		return bad(m,
			   "%s '%s' is outside the times recyclefs holds "
			   "(1677-09-21T00:12:44Z to 2262-04-11T23:47:15Z)",
			   what, s);
	if (r < 0)
		return bad(m, "%s '%s' is not an ISO 8601 time", what, s);
	return 0;
}

static bool is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* Check row @p o and describe it in @p f (strings borrowed from @p o). */
static int parse_row(const struct mreader *m, json_t *o,
		     struct rfs_entry_file *f)
{
	const char *type, *mtime, *atime, *mode, *sha;
	json_int_t size = 0, uid = 0, gid = 0;
	int r;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(o))
		return bad(m, "not an object");
	r = need_str(m, o, "path", "path", &f->path);
	if (!r && !rfs_path_is_clean(f->path))
		r = bad(m, "path '%s' is not a clean relative path", f->path);
	if (!r)
		r = need_str(m, o, "type", "type", &type);
	if (r < 0)
		return r;
	if (!strcmp(type, "file"))
		f->type = RFS_FILE_REG;
	else if (!strcmp(type, "dir"))
		f->type = RFS_FILE_DIR;
	else if (!strcmp(type, "symlink"))
		f->type = RFS_FILE_LINK;
	else if (!strcmp(type, "fifo"))
		f->type = RFS_FILE_FIFO;
	else if (!strcmp(type, "socket"))
		f->type = RFS_FILE_SOCK;
	else if (!strcmp(type, "chardev"))
		f->type = RFS_FILE_CHR;
	else if (!strcmp(type, "blockdev"))
		f->type = RFS_FILE_BLK;
	else
		return bad(m, "unknown type '%s'", type);
	r = need_int(m, o, "size", 0, INT64_MAX, &size);
	if (!r)
		r = need_str(m, o, "mtime", "mtime", &mtime);
	if (!r && rfs_manifest_parse_ns(mtime, &f->mtime_ns) < 0)
		r = bad(m, "mtime '%s' is not a time", mtime);
	if (!r)
		r = need_str(m, o, "atime", "atime", &atime);
	if (!r && rfs_manifest_parse_ns(atime, &f->atime_ns) < 0)
		r = bad(m, "atime '%s' is not a time", atime);
	if (!r)
		r = need_str(m, o, "mode", "mode", &mode);
	if (!r && rfs_manifest_parse_mode(mode, &f->mode) < 0)
		r = bad(m, "mode '%s' is not 4 octal digits", mode);
	if (!r)
		r = need_int(m, o, "uid", 0, UINT32_MAX, &uid);
	if (!r)
		r = need_int(m, o, "gid", 0, UINT32_MAX, &gid);
	if (r < 0)
		return r;
	f->size = (int64_t)size;
	f->uid = (uint32_t)uid;
	f->gid = (uint32_t)gid;
	if (json_object_get(o, "sha256")) {
		sha = get_str(o, "sha256");
		if (!sha || !is_hex64(sha))
			return bad(m, "sha256 is not 64 lower-case hex digits");
		memcpy(f->sha256, sha, RFS_SHA256_HEX_LEN);
	}
	if (f->type == RFS_FILE_LINK) {
		r = need_str(m, o, "target", "target", &f->link);
		if (!r && !f->link[0])
			r = bad(m, "symlink '%s' has an empty target", f->path);
	}
	if (f->type == RFS_FILE_CHR || f->type == RFS_FILE_BLK) {
		json_t *d = json_object_get(o, "rdev");
		json_int_t maj = 0, min = 0;

		if (!json_is_object(d))
			return bad(m, "device '%s' has no \"rdev\" object",
				   f->path);
		r = need_int(m, d, "major", 0, UINT32_MAX, &maj);
		if (!r)
			r = need_int(m, d, "minor", 0, UINT32_MAX, &min);
		if (!r)
			f->rdev = (uint64_t)makedev((unsigned int)maj,
						    (unsigned int)min);
	}
	return r;
}

/* strdup() into @p dst. @return 0 or -ENOMEM */
static int dup_into(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* The strings of an entry, by JSON object and member. */
struct str_field {
	const char *obj, *name;
	size_t off;
	bool path; /**< must be a clean relative path */
	bool nonempty;
};

#define ENTRY_STR(o, n, m, p, ne)                                              \
	{                                                                      \
		o, n, offsetof(struct rfs_entry, m), p, ne                     \
	}

static const struct str_field str_fields[] = {
	ENTRY_STR("origin", "path", origin_path, true, true),
	ENTRY_STR("origin", "table", table, false, false),
	ENTRY_STR("origin", "lifecycle", lifecycle, false, false),
	ENTRY_STR("origin", "epoch", epoch, false, false),
	ENTRY_STR("origin", "item", item_key, true, false),
	ENTRY_STR("origin", "storage", storage, false, false),
	ENTRY_STR("origin", "uri", src_uri, false, false),
	ENTRY_STR("bin", "path", bin_path, true, true),
	ENTRY_STR("bin", "root_uri", bin_root_uri, false, false),
};

/* Copy the "origin" and "bin" strings into @p e. */
static int parse_places(const struct mreader *m, json_t *root,
			struct rfs_entry *e)
{
	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]);
	     i++) {
		const struct str_field *sf = &str_fields[i];
		json_t *o = json_object_get(root, sf->obj);
		char what[32];
		const char *s;
		int r;

		snprintf(what, sizeof(what), "%s.%s", sf->obj, sf->name);
		if (!json_is_object(o))
			return bad(m, "\"%s\" is missing or not an object",
				   sf->obj);
		r = need_str(m, o, what, sf->name, &s);
		if (r < 0)
			return r;
		if ((sf->nonempty && !s[0]) ||
		    (sf->path && !rfs_path_is_clean(s)))
			return bad(m, "%s '%s' is not a clean relative path",
				   what, s);
		if (dup_into((char **)((char *)e + sf->off), s) < 0)
			return rfs_error_set(
				m->err, ENOMEM,
				"cannot read manifest '%s': out of memory",
				m->key);
	}
	return 0;
}

/* Check "format" and "version" first: a newer version may differ in all
 * else. */
static int check_version(const struct mreader *m, json_t *root)
{
	const char *format = get_str(root, "format");
	json_t *v = json_object_get(root, "version");

	if (!format || strcmp(format, RFS_MANIFEST_FORMAT) != 0)
		return rfs_error_set(
			m->err, EBADMSG,
			"'%s' is not a recyclefs manifest (no \"format\": \"%s\")",
			m->key, RFS_MANIFEST_FORMAT);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return bad(m,
			   "\"version\" is missing or not a positive integer");
	if (json_integer_value(v) > RFS_MANIFEST_VERSION)
		return rfs_error_set(
			m->err, EPROTO,
			"manifest '%s' has version %" JSON_INTEGER_FORMAT
			", newer than this recyclefs reads (%d): upgrade recyclefs",
			m->key, json_integer_value(v), RFS_MANIFEST_VERSION);
	return 0;
}

/* Fill @p e from the header fields of @p root. */
static int parse_header(const struct mreader *m, json_t *root,
			struct rfs_entry *e)
{
	const char *uuid = NULL, *state = NULL, *kind = NULL, *created,
		   *deleted;
	json_t *del = json_object_get(root, "deleted_at");
	json_int_t files = 0, bytes = 0;
	int r;

	if (!json_is_object(root))
		return rfs_error_set(
			m->err, EBADMSG,
			"'%s' is not a recyclefs manifest (not a JSON object)",
			m->key);
	r = check_version(m, root);
	if (!r)
		r = need_str(m, root, "uuid", "uuid", &uuid);
	if (!r && !rfs_manifest_uuid_ok(uuid))
		r = bad(m, "uuid '%s' is not 1 to 32 hex digits", uuid);
	if (!r)
		r = need_str(m, root, "state", "state", &state);
	if (!r && strcmp(state, "archived") && strcmp(state, "verified"))
		r = bad(m, "unknown state '%s'", state);
	if (!r)
		r = need_str(m, root, "kind", "kind", &kind);
	if (!r && strcmp(kind, "dir") && strcmp(kind, "file"))
		r = bad(m, "unknown kind '%s'", kind);
	if (!r)
		r = need_str(m, root, "created_at", "created_at", &created);
	if (!r)
		r = iso_time(m, "created_at", created, &e->created_ns);
	if (!r && del && !json_is_null(del)) {
		deleted = get_str(root, "deleted_at");
		if (!deleted)
			r = bad(m, "deleted_at is neither null nor a time");
		else
			r = iso_time(m, "deleted_at", deleted, &e->deleted_ns);
	}
	if (!r)
		r = need_int(m, root, "files_total", 0, INT64_MAX, &files);
	if (!r)
		r = need_int(m, root, "bytes_total", 0, INT64_MAX, &bytes);
	if (!r && !json_is_array(json_object_get(root, "files")))
		r = bad(m, "\"files\" is missing or not an array");
	if (!r)
		r = parse_places(m, root, e);
	if (r < 0)
		return r;
	snprintf(e->uuid, sizeof(e->uuid), "%s", uuid);
	e->state = strcmp(state, "archived") ? RFS_ENTRY_VERIFY
					     : RFS_ENTRY_ARCHIVED;
	e->is_dir = !strcmp(kind, "dir");
	e->files_total = (int64_t)files;
	e->bytes_total = (int64_t)bytes;
	if (e->state == RFS_ENTRY_ARCHIVED) {
		e->files_done = e->files_total;
		e->bytes_done = e->bytes_total;
	}
	return 0;
}

/* Check every row, or hand each to @p fn when it is not NULL. */
static int walk_rows(struct mreader *m, json_t *files, bool archived,
		     rfs_manifest_row_fn fn, void *ctx)
{
	struct rfs_entry_file f;
	size_t i;
	json_t *o;
	int r;

	json_array_foreach(files, i, o)
	{
		m->row = i + 1;
		r = parse_row(m, o, &f);
		if (r < 0)
			return r;
		f.state = archived ? RFS_FILE_DELETED : RFS_FILE_VERIFIED;
		if (fn) {
			r = fn(ctx, &f);
			if (r != 0)
				return r;
		}
	}
	m->row = 0;
	return 0;
}

int rfs_manifest_read(struct rfs_backend *bin, const char *key,
		      struct rfs_entry *e, rfs_manifest_row_fn fn, void *ctx,
		      struct rfs_error *err)
{
	struct mreader m = { .key = key, .err = err };
	struct rfs_entry tmp = { 0 };
	struct rfs_buf text;
	json_error_t jerr;
	json_t *root, *files;
	int r;

	rfs_buf_init(&text, MANIFEST_READ_MAX);
	r = load(bin, key, &text, err);
	if (r < 0)
		goto out_text;
	root = json_loadb(rfs_buf_str(&text), text.len, JSON_REJECT_DUPLICATES,
			  &jerr);
	rfs_buf_release(&text); /* the tree holds all of it now */
	if (!root)
		return rfs_error_set(
			err, EBADMSG,
			"manifest '%s' is not valid JSON: %s (line %d)", key,
			jerr.text, jerr.line);
	/* Names that are not UTF-8 were written as {"hex": ...}. */
	r = rfs_json_unwrap_names(root);
	if (r < 0)
		r = rfs_error_set(err, ENOMEM,
				  "cannot read manifest '%s': out of memory",
				  key);
	if (r == 0)
		r = parse_header(&m, root, &tmp);
	files = json_object_get(root, "files");
	if (r == 0)
		r = walk_rows(&m, files, tmp.state == RFS_ENTRY_ARCHIVED, NULL,
			      NULL);
	if (r < 0) {
		rfs_entry_release(&tmp);
		goto out_root;
	}
	/* All checked: fill the entry, then hand out the rows. */
	*e = tmp;
	if (fn) {
		r = walk_rows(&m, files, e->state == RFS_ENTRY_ARCHIVED, fn,
			      ctx);
		if (r != 0)
			rfs_entry_release(e);
	}
out_root:
	json_decref(root);
	return r;
out_text:
	rfs_buf_release(&text);
	return r;
}
