/*
 * The catalog journal: versioned snapshots of the catalog in every
 * storage's recycle area (docs/catalog-journal.md).
 */
#include "core/journal.h"

#include "backends/backend.h"
#include "core/ports.h"
#include "model/catalog.h"
#include "model/storage.h"
#include "util/uri.h"
#include "index/index.h"
#include "index/journal.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Snapshots are at most this big when read back. */
#define JOURNAL_MAX_BYTES (1024L * 1024 * 1024)

/* "SEQ-NS-RAND.json": 20 + 1 + 20 + 1 + 8 + 5 */
#define NAME_LEN 56

/* The whole snapshot document as text, ending with a newline. */
static char *render(json_t *dump, int64_t seq)
{
	char *cat = json_dumps(dump, JSON_COMPACT | JSON_SORT_KEYS);
	char sha[RFS_SHA256_HEX];
	json_t *doc;
	char *text = NULL, *nl;

	if (!cat || rfs_sha256_buf(cat, strlen(cat), sha) < 0) {
		free(cat);
		return NULL;
	}
	free(cat);
	doc = json_pack("{s:s, s:i, s:I, s:I, s:i, s:s, s:O}", "kind",
			"recyclefs.catalog", "format", RFS_JOURNAL_FORMAT,
			"seq", (json_int_t)seq, "written_ns",
			(json_int_t)rfs_time_now_ns(), "index_schema",
			RFS_INDEX_SCHEMA_VERSION, "sha256", sha, "catalog",
			dump);
	if (doc)
		text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (text && (nl = realloc(text, strlen(text) + 2))) {
		strcat(nl, "\n");
		text = nl;
	}
	return text;
}

static int put_all(struct rfs_file *f, const char *text)
{
	size_t n = strlen(text), done = 0;

	while (done < n) {
		ssize_t w = rfs_file_write(f, text + done, n - done, done);

		if (w < 0)
			return (int)w;
		if (w == 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

struct names {
	char **v;
	size_t n, cap;
};

static bool snapshot_name(const char *name)
{
	size_t len = strlen(name);

	return len > 5 && len < NAME_LEN + 8 && name[0] != '.' &&
	       !strcmp(name + len - 5, ".json");
}

static int names_add(struct names *ns, const char *name)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		char **v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	if (!(ns->v[ns->n] = strdup(name)))
		return -ENOMEM;
	ns->n++;
	return 0;
}

static int collect(void *ctx, const char *name, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || !snapshot_name(name))
		return 0;
	return names_add(ctx, name);
}

/* A temporary ".NAME.json.tmp" a killed local write left behind: older
 * than RFS_JOURNAL_TMP_AGE_S, so no live writer still writes it. */
static int collect_stale(void *ctx, const char *name, const struct stat *st)
{
	size_t len = strlen(name);

	if (!S_ISREG(st->st_mode) || name[0] != '.' || len < 10 ||
	    len > NAME_LEN + 8 || strcmp(name + len - 9, ".json.tmp") ||
	    (int64_t)st->st_mtime * 1000000000LL >
		    rfs_time_now_ns() - RFS_JOURNAL_TMP_AGE_S * 1000000000LL)
		return 0;
	return names_add(ctx, name);
}

static int newest_first(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_release(struct names *ns)
{
	while (ns->n)
		free(ns->v[--ns->n]);
	free(ns->v);
}

/* Remove all but the newest RFS_JOURNAL_KEEP snapshots, and the stale
 * temporaries of killed writes; best effort. */
static void prune(struct rfs_backend *bin)
{
	struct names ns = { 0 }, stale = { 0 };
	char key[sizeof(RFS_JOURNAL_DIR) + NAME_LEN + 16];
	size_t i;

	if (rfs_backend_list(bin, RFS_JOURNAL_DIR, collect_stale, &stale) == 0)
		for (i = 0; i < stale.n; i++) {
			snprintf(key, sizeof(key), RFS_JOURNAL_DIR "/%s",
				 stale.v[i]);
			if (rfs_backend_unlink(bin, key) == 0)
				rfs_log(LOG_INFO,
					"catalog journal: removed '%s', left "
					"by a write that was stopped",
					key);
		}
	names_release(&stale);

	if (rfs_backend_list(bin, RFS_JOURNAL_DIR, collect, &ns) == 0) {
		qsort(ns.v, ns.n, sizeof(*ns.v), newest_first);
		for (i = RFS_JOURNAL_KEEP; i < ns.n; i++) {
			snprintf(key, sizeof(key), RFS_JOURNAL_DIR "/%s",
				 ns.v[i]);
			rfs_backend_unlink(bin, key);
		}
	}
	names_release(&ns);
}

/* Put @p text at @p name in @p bin's journal folder, atomically. */
static int put(struct rfs_backend *bin, const char *name, const char *text)
{
	char key[sizeof(RFS_JOURNAL_DIR) + NAME_LEN + 16];
	char tmp[sizeof(key) + 8];
	bool local = bin->ops->caps & RFS_BACKEND_CAP_FD;
	struct rfs_file *f;
	int r, rc;

	r = rfs_backend_mkdir(bin, "", 0755); /* the recycle root itself */
	if (r == 0 || r == -EEXIST)
		r = rfs_backend_mkdir(bin, ".recyclefs", 0755);
	if (r == 0 || r == -EEXIST)
		r = rfs_backend_mkdir(bin, RFS_JOURNAL_DIR, 0755);
	if (r < 0 && r != -EEXIST)
		return r;
	snprintf(key, sizeof(key), RFS_JOURNAL_DIR "/%s", name);
	/* Local: a hidden temporary renamed into place once durable. Object
	 * stores: one put of a new name (If-None-Match: *), all or nothing. */
	snprintf(tmp, sizeof(tmp), RFS_JOURNAL_DIR "/.%s.tmp", name);
	r = rfs_backend_open_file(bin, local ? tmp : key,
				  O_CREAT | O_EXCL | O_WRONLY, 0644, &f);
	if (r < 0)
		return r;
	r = put_all(f, text);
	if (r == 0)
		r = rfs_file_fsync(f, 0);
	rc = rfs_file_close(f);
	if (r == 0)
		r = rc;
	if (r == 0 && local) {
		r = rfs_backend_rename(bin, tmp, key, 0);
		if (r == 0)
			r = rfs_backend_sync(bin);
	}
	if (r < 0)
		rfs_backend_unlink(bin, local ? tmp : key);
	return r;
}

int rfs_journal_write(struct rfs_index *idx, struct rfs_error *err)
{
	struct rfs_catalog *cat = NULL;
	struct rfs_error why = { 0 };
	char name[NAME_LEN + 8];
	json_t *dump = NULL;
	char *text = NULL;
	uint32_t rnd = 0;
	int64_t seq = 0;
	size_t i;
	int r, first = 0;

	r = rfs_index_load_catalog(idx, &cat, err);
	if (r == 0)
		r = rfs_index_journal_dump(idx, &dump, &seq, err);
	if (r == 0 && !(text = render(dump, seq)))
		r = rfs_error_set(err, ENOMEM,
				  "catalog journal: out of memory");
	if (r < 0)
		goto out;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)rfs_time_now_ns();
	snprintf(name, sizeof(name),
		 "%020" PRId64 "-%020" PRId64 "-%08" PRIx32 ".json", seq,
		 rfs_time_now_ns(), rnd);
	for (i = 0; i < cat->n_storages; i++) {
		const struct rfs_storage *s = cat->storages[i];
		struct rfs_backend *bin = NULL;

		if (!s->bin_uri || !rfs_ports_supported(s->cls->schemes[0]) ||
		    s->cls->family == RFS_FAMILY_RELATIONAL) /* tables only */
			continue;
		rfs_error_clear(&why);
		r = rfs_ports_open(s->bin_uri, &bin, &why);
		if (r == 0)
			r = put(bin, name, text);
		if (r == 0)
			prune(bin);
		rfs_backend_free(bin);
		if (r < 0) {
			rfs_log(LOG_WARNING,
				"catalog journal: cannot write '%s' into the "
				"recycle area of storage '%s': %s",
				name, s->name,
				why.msg[0] ? why.msg : strerror(-r));
			if (!first)
				first = rfs_error_set(
					err, -r,
					"catalog journal: cannot write into "
					"the recycle area of storage '%s': %s",
					s->name,
					why.msg[0] ? why.msg : strerror(-r));
		}
	}
	r = first;
out:
	free(text);
	json_decref(dump);
	rfs_catalog_free(cat);
	return r;
}

/* Read @p key whole. */
static int slurp(struct rfs_backend *b, const char *key, char **out,
		 size_t *len)
{
	struct rfs_file *f = NULL;
	size_t cap = 64 * 1024, n = 0;
	char *buf;
	int r, rc;

	r = rfs_backend_open_file(b, key, O_RDONLY, 0, &f);
	if (r < 0)
		return r;
	buf = malloc(cap);
	if (!buf)
		r = -ENOMEM;
	while (r == 0) {
		ssize_t got;

		if (n == cap) {
			char *nb = NULL;

			if (cap >= JOURNAL_MAX_BYTES) {
				r = -EFBIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		got = rfs_file_read(f, buf + n, cap - n, n);
		if (got < 0)
			r = (int)got;
		else if (got == 0)
			break;
		else
			n += (size_t)got;
	}
	rc = rfs_file_close(f);
	if (r == 0)
		r = rc;
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/*
 * Check one snapshot. @return 0 and set @p out; -EPROTO for a newer
 * format; another -errno with @p why for a torn or corrupt one.
 */
static int check(const char *text, size_t len, json_t **out, char *why,
		 size_t size)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *cat;
	char sha[RFS_SHA256_HEX];
	const char *want;
	char *again;
	json_int_t fmt;

	if (!doc) {
		snprintf(why, size, "torn or not JSON (%s at byte %d)",
			 jerr.text, jerr.position);
		return -EBADMSG;
	}
	fmt = json_integer_value(json_object_get(doc, "format"));
	if (!json_is_object(doc) ||
	    strcmp(json_string_value(json_object_get(doc, "kind")) ?: "",
		   "recyclefs.catalog") ||
	    fmt < 1) {
		json_decref(doc);
		snprintf(why, size, "not a recyclefs catalog snapshot");
		return -EBADMSG;
	}
	if (fmt > RFS_JOURNAL_FORMAT) {
		json_decref(doc);
		snprintf(why, size,
			 "written by a newer recyclefs (format %lld; this one "
			 "reads up to %d)",
			 (long long)fmt, RFS_JOURNAL_FORMAT);
		return -EPROTO;
	}
	cat = json_object_get(doc, "catalog");
	want = json_string_value(json_object_get(doc, "sha256"));
	again = cat ? json_dumps(cat, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!again || !want || rfs_sha256_buf(again, strlen(again), sha) < 0 ||
	    strcmp(sha, want)) {
		free(again);
		json_decref(doc);
		snprintf(why, size, "its checksum does not match its content");
		return -EBADMSG;
	}
	free(again);
	*out = json_incref(cat);
	json_decref(doc);
	return 0;
}

/* Read the newest complete snapshot of @p b; -ENOENT when it has none. */
static int read_newest(struct rfs_backend *b, const char *uri, json_t **out,
		       char **where, rfs_journal_skip_fn skip, void *ctx,
		       struct rfs_error *err)
{
	struct names ns = { 0 };
	char key[sizeof(RFS_JOURNAL_DIR) + NAME_LEN + 16];
	char why[256];
	size_t i;
	int r;

	r = rfs_backend_list(b, RFS_JOURNAL_DIR, collect, &ns);
	if (r < 0) {
		names_release(&ns);
		return r;
	}
	qsort(ns.v, ns.n, sizeof(*ns.v), newest_first);
	r = -ENOENT;
	for (i = 0; i < ns.n; i++) {
		char *text = NULL;
		size_t len = 0;

		snprintf(key, sizeof(key), RFS_JOURNAL_DIR "/%s", ns.v[i]);
		r = slurp(b, key, &text, &len);
		if (r < 0)
			snprintf(why, sizeof(why), "cannot be read: %s",
				 strerror(-r));
		else
			r = check(text, len, out, why, sizeof(why));
		free(text);
		if (r == 0) {
			if (where && rfs_uri_join(uri, key, where) < 0)
				*where = NULL;
			break;
		}
		if (r == -EPROTO) {
			rfs_error_set(err, EPROTO,
				      "catalog snapshot '%s/%s' was %s", uri,
				      key, why);
			break;
		}
		rfs_log(LOG_WARNING,
			"catalog snapshot '%s/%s' skipped: %s; trying the one "
			"before it",
			uri, key, why);
		if (skip)
			skip(ctx, key, why);
		r = -ENOENT;
	}
	if (r == -ENOENT && ns.n)
		rfs_error_set(err, ENOENT,
			      "no complete catalog snapshot in '%s/%s' (%zu "
			      "skipped)",
			      uri, RFS_JOURNAL_DIR, ns.n);
	names_release(&ns);
	return r;
}

int rfs_journal_read(const char *uri, json_t **out, char **key,
		     rfs_journal_skip_fn skip, void *ctx, struct rfs_error *err)
{
	static const char *const where[] = { "", ".recyclebin" };
	size_t i;
	int r = -ENOENT;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		struct rfs_backend *b = NULL;
		struct rfs_error why = { 0 };
		char *u;

		if (rfs_uri_join(uri, where[i], &u) < 0)
			return -ENOMEM;
		r = rfs_ports_open(u, &b, &why);
		if (r == 0)
			r = read_newest(b, u, out, key, skip, ctx, err);
		else if (i == 0 && r != -ENOENT) {
			rfs_error_set(err, -r, "%s", why.msg);
			free(u);
			return r;
		}
		rfs_backend_free(b);
		free(u);
		if (r != -ENOENT || (err && err->code))
			return r;
	}
	return rfs_error_set(err, ENOENT,
			     "no recyclefs catalog at '%s' (looked for %s/ "
			     "there and under .recyclebin/)",
			     uri, RFS_JOURNAL_DIR);
}
