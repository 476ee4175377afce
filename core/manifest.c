/*
 * Manifests: writing (streamed through the backend, one row at a time),
 * removal, and the codecs for times and modes that reading shares.
 * The format is documented in docs/manifest.md.
 */
#include "core/manifest.h"

#include "core/json_name.h"
#include "core/manifest_priv.h"

#include "backends/backend.h"
#include "util/error.h"
#include "util/path.h"
#include "util/timestamp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <jansson.h>

/** Bytes gathered before each write to storage. */
#define MANIFEST_CHUNK (64 << 10)

#define NS ((uint64_t)1000000000)

char *rfs_manifest_key(const char *uuid, char *out, size_t size)
{
	snprintf(out, size, "%s/%s.json", RFS_MANIFEST_DIR, uuid);
	return out;
}

bool rfs_manifest_uuid_ok(const char *uuid)
{
	size_t n = strlen(uuid);

	return n > 0 && n < RFS_ENTRY_UUID_LEN &&
	       strspn(uuid, "0123456789abcdefABCDEF") == n;
}

char *rfs_manifest_format_ns(int64_t ns, char out[RFS_MANIFEST_NS_LEN])
{
	uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	snprintf(out, RFS_MANIFEST_NS_LEN, "%s%" PRIu64 ".%09" PRIu64,
		 ns < 0 ? "-" : "", mag / NS, mag % NS);
	return out;
}

/* Digits of a decimal number: @return how many, 0 when none. */
static size_t digits(const char *s)
{
	return strspn(s, "0123456789");
}

int rfs_manifest_parse_ns(const char *s, int64_t *ns)
{
	bool neg = *s == '-';
	uint64_t sec = 0, frac = 0, limit;
	size_t n, i;

	s += neg;
	n = digits(s);
	if (n == 0 || n > 19)
		return -EINVAL;
	for (i = 0; i < n; i++)
		sec = sec * 10 + (uint64_t)(s[i] - '0');
	s += n;
	if (*s == '.') {
		s++;
		n = digits(s);
		if (n == 0 || n > 9)
			return -EINVAL;
		for (i = 0; i < 9; i++)
			frac = frac * 10 + (i < n ? (uint64_t)(s[i] - '0') : 0);
		s += n;
	}
	if (*s)
		return -EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (sec > (limit - frac) / NS)
		return -ERANGE;
	sec = sec * NS + frac;
	if (!neg)
		*ns = (int64_t)sec;
	else
		*ns = sec > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)sec;
	return 0;
}

char *rfs_manifest_format_iso(int64_t ns, char out[RFS_MANIFEST_ISO_LEN])
{
	int64_t sec = ns / (int64_t)NS, rem = ns % (int64_t)NS;
	time_t t;
	struct tm tm;

	if (rem < 0) { /* round down, not toward zero */
		rem += (int64_t)NS;
		sec--;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(out, RFS_MANIFEST_ISO_LEN,
		 "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId64 "Z",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, rem);
	return out;
}

int rfs_manifest_parse_iso(const char *s, int64_t *ns)
{
	int y, mo, d, h, mi, se, end = 0;
	int64_t frac = 0;
	size_t n;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se,
		   &end) != 6 ||
	    end != 19)
		return -EINVAL;
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
		return -EINVAL;
	s += end;
	if (*s == '.') {
		s++;
		n = digits(s);
		if (n == 0 || n > 9)
			return -EINVAL;
		for (size_t i = 0; i < 9; i++)
			frac = frac * 10 + (i < n ? s[i] - '0' : 0);
		s += n;
	}
	if (strcmp(s, "Z") != 0)
		return -EINVAL;
	/* -EINVAL for a field out of its range, -ERANGE for a year such as
	 * 9999 that int64_t nanoseconds cannot hold */
	return rfs_time_from_civil(y, mo, d, h, mi, se, frac, 0, ns);
}

char *rfs_manifest_format_mode(uint32_t mode, char out[RFS_MANIFEST_MODE_LEN])
{
	snprintf(out, RFS_MANIFEST_MODE_LEN, "%04o", mode & 07777);
	return out;
}

int rfs_manifest_parse_mode(const char *s, uint32_t *mode)
{
	size_t n = strspn(s, "01234567");

	if (n == 0 || n > 4 || s[n])
		return -EINVAL;
	*mode = (uint32_t)strtoul(s, NULL, 8);
	return 0;
}

const char *rfs_manifest_type_name(enum rfs_file_type t)
{
	switch (t) {
	case RFS_FILE_REG:
		return "file";
	case RFS_FILE_DIR:
		return "dir";
	case RFS_FILE_LINK:
		return "symlink";
	case RFS_FILE_FIFO:
		return "fifo";
	case RFS_FILE_SOCK:
		return "socket";
	case RFS_FILE_CHR:
		return "chardev";
	case RFS_FILE_BLK:
		return "blockdev";
	}
	return NULL;
}

/* The writer: a small buffer in front of one temporary file. */
struct mwriter {
	struct rfs_backend *bin;
	struct rfs_file *f;
	const char *uuid;
	char *buf;
	size_t len;
	off_t off;
	bool first_row;
	int failed; /**< the first error of emit(), which rows() may drop */
	struct rfs_error *err;
};

static int mw_flush(struct mwriter *w)
{
	size_t done = 0;

	while (done < w->len) {
		ssize_t n = rfs_file_write(w->f, w->buf + done, w->len - done,
					   w->off);

		if (n == 0)
			n = -EIO;
		if (n < 0)
			return rfs_error_set(
				w->err, (int)-n,
				"cannot write the manifest of entry %s: %s",
				w->uuid, strerror((int)-n));
		done += (size_t)n;
		w->off += n;
	}
	w->len = 0;
	return 0;
}

static int mw_add(struct mwriter *w, const char *data, size_t n)
{
	while (n > 0) {
		size_t k = MANIFEST_CHUNK - w->len;
		int r;

		if (k > n)
			k = n;
		memcpy(w->buf + w->len, data, k);
		w->len += k;
		data += k;
		n -= k;
		if (w->len == MANIFEST_CHUNK) {
			r = mw_flush(w);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Dump @p v compactly and append it. */
static int mw_add_json(struct mwriter *w, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int r;

	if (!s)
		return rfs_error_set(
			w->err, ENOMEM,
			"cannot write the manifest of entry %s: out of memory",
			w->uuid);
	r = mw_add(w, s, strlen(s));
	free(s);
	return r;
}

/*
 * Set @p key of @p obj to the string @p s (NULL is written as "").
 * @return 0, -EILSEQ (not UTF-8, which JSON cannot carry), -ENOMEM
 */
static int set_str(json_t *obj, const char *key, const char *s)
{
	/* A name that is not UTF-8 is kept as {"hex": ...}. */
	json_t *v = rfs_json_name(s ? s : "");

	if (!v)
		return -ENOMEM;
	return json_object_set_new(obj, key, v) < 0 ? -ENOMEM : 0;
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0 ? 0 : -ENOMEM;
}

/* One row as a JSON object. @return 0 and set @p out, or -errno */
static int row_json(const struct rfs_entry_file *f, json_t **out)
{
	const char *type = rfs_manifest_type_name(f->type);
	char t[RFS_MANIFEST_NS_LEN], m[RFS_MANIFEST_MODE_LEN];
	json_t *o;
	int r;

	if (!type || !f->path || !rfs_path_is_clean(f->path) ||
	    (f->type == RFS_FILE_LINK && !f->link) || f->size < 0)
		return -EINVAL;
	o = json_object();
	if (!o)
		return -ENOMEM;
	r = set_str(o, "path", f->path);
	if (!r)
		r = set_str(o, "type", type);
	if (!r)
		r = set_new(o, "size", json_integer(f->size));
	if (!r)
		r = set_str(o, "mtime", rfs_manifest_format_ns(f->mtime_ns, t));
	if (!r)
		r = set_str(o, "atime", rfs_manifest_format_ns(f->atime_ns, t));
	if (!r)
		r = set_str(o, "mode", rfs_manifest_format_mode(f->mode, m));
	if (!r)
		r = set_new(o, "uid", json_integer(f->uid));
	if (!r)
		r = set_new(o, "gid", json_integer(f->gid));
	if (!r && f->sha256[0])
		r = set_str(o, "sha256", f->sha256);
	if (!r && f->type == RFS_FILE_LINK)
		r = set_str(o, "target", f->link);
	if (!r && (f->type == RFS_FILE_CHR || f->type == RFS_FILE_BLK)) {
		json_t *d = json_object();

		r = d ? 0 : -ENOMEM;
		if (!r)
			r = set_new(d, "major",
				    json_integer(major((dev_t)f->rdev)));
		if (!r)
			r = set_new(d, "minor",
				    json_integer(minor((dev_t)f->rdev)));
		if (!r)
			r = set_new(o, "rdev", json_incref(d));
		json_decref(d);
	}
	if (r < 0) {
		json_decref(o);
		return r;
	}
	*out = o;
	return 0;
}

/* The emit() given to the rows callback. */
static int emit_row(void *wctx, const struct rfs_entry_file *f)
{
	struct mwriter *w = wctx;
	json_t *o = NULL;
	int r;

	if (w->failed)
		return w->failed;
	r = row_json(f, &o);
	if (r == -EINVAL)
		r = rfs_error_set(
			w->err, EINVAL,
			"manifest of entry %s: file '%s' cannot be recorded (bad path, type or size)",
			w->uuid, f->path ? f->path : "");
	else if (r == -EILSEQ)
		r = rfs_error_set(
			w->err, EILSEQ,
			"manifest of entry %s: a name or link target is not valid UTF-8",
			w->uuid);
	else if (r < 0)
		r = rfs_error_set(w->err, -r,
				  "manifest of entry %s: out of memory",
				  w->uuid);
	if (r == 0)
		r = mw_add(w, w->first_row ? "\n" : ",\n",
			   w->first_row ? 1 : 2);
	if (r == 0)
		r = mw_add_json(w, o);
	json_decref(o);
	w->first_row = false;
	if (r < 0)
		w->failed = r;
	return r;
}

/* The fields before "files", as one object, saying @p version.
 * @return it, or NULL */
static json_t *header_json(const struct rfs_entry *e, int version, int *r)
{
	char created[RFS_MANIFEST_ISO_LEN], deleted[RFS_MANIFEST_ISO_LEN];
	bool archived = e->state == RFS_ENTRY_ARCHIVED ||
			e->state == RFS_ENTRY_PURGING ||
			e->state == RFS_ENTRY_PURGED;
	json_t *h = json_object(), *origin = json_object(),
	       *bin = json_object();

	*r = h && origin && bin ? 0 : -ENOMEM;
	if (!*r)
		*r = set_str(h, "format", RFS_MANIFEST_FORMAT);
	if (!*r)
		*r = set_new(h, "version", json_integer(version));
	if (!*r)
		*r = set_str(h, "uuid", e->uuid);
	if (!*r)
		*r = set_str(h, "state", archived ? "archived" : "verified");
	if (!*r)
		*r = set_str(origin, "path", e->origin_path);
	if (!*r)
		*r = set_str(origin, "table", e->table);
	if (!*r)
		*r = set_str(origin, "lifecycle", e->lifecycle);
	if (!*r)
		*r = set_str(origin, "epoch", e->epoch);
	if (!*r)
		*r = set_str(origin, "item", e->item_key);
	if (!*r)
		*r = set_str(origin, "storage", e->storage);
	if (!*r)
		*r = set_str(origin, "uri", e->src_uri);
	if (!*r)
		*r = set_new(h, "origin", json_incref(origin));
	if (!*r)
		*r = set_str(bin, "path", e->bin_path);
	if (!*r)
		*r = set_str(bin, "root_uri", e->bin_root_uri);
	if (!*r)
		*r = set_new(h, "bin", json_incref(bin));
	if (!*r)
		*r = set_str(h, "kind", e->is_dir ? "dir" : "file");
	if (!*r)
		*r = set_str(h, "created_at",
			     rfs_manifest_format_iso(e->created_ns, created));
	if (!*r)
		*r = set_new(h, "deleted_at",
			     e->deleted_ns
				     ? json_string(rfs_manifest_format_iso(
					       e->deleted_ns, deleted))
				     : json_null());
	if (!*r)
		*r = set_new(h, "files_total", json_integer(e->files_total));
	if (!*r)
		*r = set_new(h, "bytes_total", json_integer(e->bytes_total));
	json_decref(origin);
	json_decref(bin);
	if (*r < 0) {
		json_decref(h);
		return NULL;
	}
	return h;
}

/* The first pass over the rows: is one a special file? */
static int probe_row(void *wctx, const struct rfs_entry_file *f)
{
	bool *special = wctx;

	if (rfs_file_type_special(f->type))
		*special = true;
	return 0;
}

/* The lowest version that holds every row: 1, or 2 with a special file
 * (FIFO, socket, device), which an older reader does not know. */
static int pick_version(struct mwriter *w, const struct rfs_entry *e,
			rfs_manifest_rows_fn rows, void *ctx, int *version)
{
	bool special = false;
	int r = rows ? rows(ctx, probe_row, &special) : 0;

	if (r < 0) {
		if (!w->err || !w->err->code)
			rfs_error_set(
				w->err, -r,
				"manifest of entry %s: listing its files failed: %s",
				e->uuid, strerror(-r));
		return r;
	}
	*version = special ? RFS_MANIFEST_VERSION_SPECIAL : 1;
	return 0;
}

/* Write the header, the rows and the end into the open temporary. */
static int write_body(struct mwriter *w, const struct rfs_entry *e,
		      rfs_manifest_rows_fn rows, void *ctx)
{
	int version = 1;
	json_t *h;
	char *s;
	size_t n;
	int r;

	r = pick_version(w, e, rows, ctx, &version);
	if (r < 0)
		return r;
	h = header_json(e, version, &r);
	if (!h)
		return rfs_error_set(
			w->err, -r, "manifest of entry %s: %s", e->uuid,
			r == -EILSEQ ? "a name or URI is not valid UTF-8"
				     : strerror(-r));
	s = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(h);
	if (!s)
		return rfs_error_set(w->err, ENOMEM,
				     "manifest of entry %s: out of memory",
				     e->uuid);
	/* "{...}" -> "{...,"files":[" */
	n = strlen(s);
	r = mw_add(w, s, n - 1);
	free(s);
	if (r == 0)
		r = mw_add(w, ",\"files\":[", 10);
	if (r < 0)
		return r;
	if (rows) {
		r = rows(ctx, emit_row, w);
		if (w->failed)
			r = w->failed;
		if (r < 0) {
			if (!w->err || !w->err->code)
				rfs_error_set(
					w->err, -r,
					"manifest of entry %s: listing its files failed: %s",
					e->uuid, strerror(-r));
			return r;
		}
	}
	r = mw_add(w, "\n]}\n", 4);
	if (r == 0)
		r = mw_flush(w);
	return r;
}

/* mkdir that finds an existing folder fine. */
static int ensure_dir(struct rfs_backend *bin, const char *key,
		      struct rfs_error *err)
{
	int r = rfs_backend_mkdir(bin, key, 0755);

	if (r == 0 || r == -EEXIST)
		return 0;
	return rfs_error_set(err, -r,
			     "cannot create '%s' in recycle storage: %s", key,
			     strerror(-r));
}

int rfs_manifest_write(struct rfs_backend *bin, const struct rfs_entry *e,
		       rfs_manifest_rows_fn rows, void *ctx,
		       struct rfs_error *err)
{
	struct mwriter w = {
		.bin = bin, .uuid = e->uuid, .first_row = true, .err = err
	};
	char tmp[RFS_MANIFEST_KEY_LEN], key[RFS_MANIFEST_KEY_LEN];
	int r, rc;

	if (!rfs_manifest_uuid_ok(e->uuid))
		return rfs_error_set(
			err, EINVAL,
			"cannot write a manifest for entry id '%s': not 1 to 32 hex digits",
			e->uuid);
	rfs_manifest_key(e->uuid, key, sizeof(key));
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", RFS_MANIFEST_DIR,
		 e->uuid);
	r = ensure_dir(bin, ".recyclefs", err);
	if (r == 0)
		r = ensure_dir(bin, RFS_MANIFEST_DIR, err);
	if (r < 0)
		return r;
	w.buf = malloc(MANIFEST_CHUNK);
	if (!w.buf)
		return rfs_error_set(err, ENOMEM,
				     "manifest of entry %s: out of memory",
				     e->uuid);
	r = rfs_backend_open_file(bin, tmp, O_CREAT | O_TRUNC | O_WRONLY, 0644,
				  &w.f);
	if (r < 0) {
		rfs_error_set(err, -r,
			      "cannot create '%s' in recycle storage: %s", tmp,
			      strerror(-r));
		goto out_free;
	}
	r = write_body(&w, e, rows, ctx);
	if (r == 0) {
		r = rfs_file_fsync(w.f, 0);
		if (r < 0)
			rfs_error_set(
				err, -r,
				"cannot write the manifest of entry %s: %s",
				e->uuid, strerror(-r));
	}
	rc = rfs_file_close(w.f);
	if (r == 0 && rc < 0)
		r = rfs_error_set(err, -rc,
				  "cannot write the manifest of entry %s: %s",
				  e->uuid, strerror(-rc));
	if (r == 0) {
		r = rfs_backend_rename(bin, tmp, key, 0);
		if (r < 0)
			rfs_error_set(
				err, -r,
				"cannot put the manifest of entry %s in place: %s",
				e->uuid, strerror(-r));
	}
	if (r == 0) {
		/* The new name is durable only once its folder is: an
		 * entry recorded verified or archived must find its
		 * manifest after a power cut. */
		r = rfs_backend_sync(bin);
		if (r < 0)
			rfs_error_set(err, -r,
				      "cannot make the manifest of entry %s "
				      "durable: %s",
				      e->uuid, strerror(-r));
	}
	if (r < 0)
		rfs_backend_unlink(bin, tmp); /* best effort */
out_free:
	free(w.buf);
	return r;
}

int rfs_manifest_remove(struct rfs_backend *bin, const char *uuid,
			struct rfs_error *err)
{
	char key[RFS_MANIFEST_KEY_LEN];
	int r;

	if (!rfs_manifest_uuid_ok(uuid))
		return rfs_error_set(
			err, EINVAL,
			"cannot remove the manifest of entry id '%s': not 1 to 32 hex digits",
			uuid);
	r = rfs_backend_unlink(bin, rfs_manifest_key(uuid, key, sizeof(key)));
	if (r == 0 || r == -ENOENT)
		return 0;
	return rfs_error_set(err, -r,
			     "cannot remove the manifest of entry %s: %s", uuid,
			     strerror(-r));
}
