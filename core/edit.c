#include "core/edit.h"
#include "core/journal.h"

#include "backends/backend.h"
#include "core/ports.h"
#include "model/catalog.h"
#include "core/config.h"
#include "core/location.h"
#include "util/names.h"
#include "model/storage.h"
#include "util/uri.h"
#include "index/index.h"
#include "util/error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Run the tail of a use case: record history, commit; roll back on error. */
static int finish(struct rfs_index *idx, int r, const char *action,
		  const char *subject, json_t *detail, struct rfs_error *err)
{
	char *text = NULL;

	if (r >= 0 && detail) {
		text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			r = -ENOMEM;
	}
	if (r >= 0)
		r = rfs_index_history_add(idx, action, subject, text, err);
	if (r >= 0)
		r = rfs_index_commit(idx, err);
	if (r < 0)
		rfs_index_rollback(idx);
	free(text);
	json_decref(detail);
	/* Committed: now into every storage's journal. A storage that cannot
	 * be written is logged; the change stands in the index. Inside a
	 * group (catalog apply) the group's end writes one snapshot. */
	if (r >= 0 && !rfs_index_in_group(idx))
		rfs_journal_write(idx, NULL);
	return r < 0 ? r : 0;
}

/* BEGIN IMMEDIATE, then load the catalog as it is inside the transaction. */
static int begin(struct rfs_index *idx, struct rfs_catalog **cat,
		 struct rfs_error *err)
{
	int r = rfs_index_begin(idx, err);

	if (r < 0)
		return r;
	r = rfs_index_load_catalog(idx, cat, err);
	if (r < 0)
		rfs_index_rollback(idx);
	return r;
}

/* Check that the location @p path under storage root @p root exists as a
 * directory, or create it (mkdir -p) with @p create. Only a class whose
 * locations are folders (rfs_storage_class::dirs) has them to check:
 * object stores create prefixes on write.
 * @p hint ends the message of a missing one ("" for none). */
static int check_location(const char *root, const char *path, bool create,
			  const char *what, const char *hint,
			  struct rfs_error *err)
{
	const struct rfs_storage_class *cls = rfs_storage_class_of_uri(root);
	struct rfs_backend *b;
	struct stat st;
	char *key;
	int r;

	if (!cls || !cls->dirs)
		return 0;
	r = rfs_ports_open(root, &b, err);
	if (r < 0)
		return r;
	key = strdup(path);
	if (!key) {
		rfs_backend_free(b);
		return -ENOMEM;
	}
	r = rfs_backend_stat(b, path, &st);
	if (r == -ENOENT && create) {
		/* Make each missing component, outermost first. */
		for (char *s = key;; s++) {
			if (*s != '/' && *s)
				continue;
			char c = *s;

			*s = '\0';
			r = rfs_backend_mkdir(b, key, 0755);
			*s = c;
			if (r < 0 && r != -EEXIST)
				break;
			r = 0;
			if (!c)
				break;
		}
		if (r == 0)
			r = rfs_backend_stat(b, path, &st);
	}
	if (r == -ENOENT)
		r = rfs_error_set(err, ENOENT, "%s '%s%s%s' does not exist%s",
				  what, root, *path ? "/" : "", path,
				  *path ? hint : "");
	else if (r < 0)
		r = rfs_error_set(err, -r, "%s '%s%s%s': %s", what, root,
				  *path ? "/" : "", path, strerror(-r));
	else if (!S_ISDIR(st.st_mode))
		r = rfs_error_set(err, ENOTDIR,
				  "%s '%s%s%s' is not a directory", what, root,
				  *path ? "/" : "", path);
	free(key);
	rfs_backend_free(b);
	return r;
}

/* Parse and canonicalise a storage URI; report its class. */
static int canonical_uri(const char *what, const char *in, char **out,
			 const struct rfs_storage_class **cls,
			 struct rfs_error *err)
{
	struct rfs_uri u;
	int r = rfs_uri_parse(in, &u, err);

	if (r < 0)
		return r;
	*cls = rfs_storage_class_by_scheme(u.scheme);
	if (!*cls)
		r = rfs_error_set(err, EINVAL,
				  "%s '%s' has unknown scheme '%s' (known: %s)",
				  what, in, u.scheme, rfs_storage_schemes());
	else
		r = rfs_uri_format(&u, out);
	rfs_uri_release(&u);
	if (r == 0) {
		/* the options and names the adapter will read: a bad one is
		 * refused now, not at the first mount */
		r = rfs_ports_check_uri(*out, err);
		if (r < 0) {
			free(*out);
			*out = NULL;
		}
	}
	return r;
}

int rfs_edit_storage_add(struct rfs_index *idx, const char *name,
			 const char *uri, const char *bin_uri,
			 struct rfs_error *err)
{
	const struct rfs_storage_class *cls, *bcls;
	struct rfs_catalog *cat = NULL;
	char *curi = NULL, *cbin = NULL;
	int r;

	r = rfs_name_check("storage", name, err);
	if (r < 0)
		return r;
	r = canonical_uri("storage URI", uri, &curi, &cls, err);
	if (r < 0)
		return r;
	if (bin_uri) {
		r = canonical_uri("recycle URI", bin_uri, &cbin, &bcls, err);
		if (r == 0 && bcls->family != cls->family)
			r = rfs_error_set(
				err, EINVAL,
				"recycle storage '%s' is %s (%s) but storage "
				"'%s' is %s (%s): they must be of one family",
				cbin, rfs_family_name(bcls->family), bcls->name,
				name, rfs_family_name(cls->family), cls->name);
	} else if (cls->family == RFS_FAMILY_BLOB) {
		r = rfs_uri_join(curi, ".recyclebin", &cbin);
	}
	if (r < 0)
		goto out;
	r = check_location(curi, "", false, "storage root", "", err);
	if (r < 0)
		goto out;
	r = begin(idx, &cat, err);
	if (r < 0)
		goto out;
	if (rfs_catalog_storage(cat, name))
		r = rfs_error_set(err, EEXIST, "storage '%s' already exists",
				  name);
	else if (cbin)
		r = rfs_location_check_bin(cat, cbin, err);
	if (r == 0)
		r = rfs_index_storage_insert(idx, name, curi, cbin, cls->name,
					     NULL, err);
	r = finish(idx, r, "storage.add", name,
		   json_pack("{s:s, s:s?, s:s}", "uri", curi, "bin", cbin,
			     "class", cls->name),
		   err);
out:
	rfs_catalog_free(cat);
	free(curi);
	free(cbin);
	return r;
}

static int check_classes(const char *const *classes, int n,
			 struct rfs_error *err)
{
	for (int i = 0; i < n; i++) {
		int r = rfs_name_check("classification", classes[i], err);

		if (r < 0)
			return r;
	}
	return 0;
}

static json_t *string_array(const char *const *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int rfs_edit_table_add(struct rfs_index *idx, const char *name,
		       const char *const *classifications, int n,
		       struct rfs_error *err)
{
	struct rfs_catalog *cat = NULL;
	int64_t id = 0;
	int r;

	r = rfs_name_check("table", name, err);
	if (r == 0)
		r = check_classes(classifications, n, err);
	if (r == 0)
		r = begin(idx, &cat, err);
	if (r < 0)
		return r;
	if (rfs_catalog_table(cat, name))
		r = rfs_error_set(err, EEXIST, "table '%s' already exists",
				  name);
	else
		r = rfs_index_table_insert(idx, name, &id, err);
	for (int i = 0; r == 0 && i < n; i++)
		r = rfs_index_classification_set(idx, id, classifications[i],
						 true, err);
	r = finish(idx, r, "table.add", name,
		   json_pack("{s:o}", "classifications",
			     string_array(classifications, n)),
		   err);
	rfs_catalog_free(cat);
	return r;
}

int rfs_edit_table_classify(struct rfs_index *idx, const char *table,
			    const char *const *classifications, int n, bool on,
			    struct rfs_error *err)
{
	struct rfs_catalog *cat = NULL;
	const struct rfs_table *t;
	int r;

	r = check_classes(classifications, n, err);
	if (r == 0)
		r = begin(idx, &cat, err);
	if (r < 0)
		return r;
	t = rfs_catalog_table(cat, table);
	if (!t)
		r = rfs_error_set(err, ENOENT, "no table '%s'", table);
	for (int i = 0; r == 0 && i < n; i++)
		r = rfs_index_classification_set(idx, t->id, classifications[i],
						 on, err);
	r = finish(idx, r, on ? "table.classify" : "table.unclassify", table,
		   json_pack("{s:o}", "classifications",
			     string_array(classifications, n)),
		   err);
	rfs_catalog_free(cat);
	return r;
}

int rfs_edit_lifecycle_add(struct rfs_index *idx, const char *table,
			   const char *name, int order, struct rfs_error *err)
{
	struct rfs_catalog *cat = NULL;
	const struct rfs_table *t;
	int r;

	r = rfs_name_check("lifecycle", name, err);
	if (r == 0)
		r = begin(idx, &cat, err);
	if (r < 0)
		return r;
	t = rfs_catalog_table(cat, table);
	if (!t) {
		r = rfs_error_set(err, ENOENT, "no table '%s'", table);
	} else if (rfs_table_lifecycle(t, name)) {
		r = rfs_error_set(err, EEXIST,
				  "table '%s' already has lifecycle '%s'",
				  table, name);
	} else {
		if (order < 0) {
			order = 0;
			for (size_t i = 0; i < t->n_lifecycles; i++)
				if (t->lifecycles[i]->order >= order)
					order = t->lifecycles[i]->order + 1;
		}
		r = rfs_index_lifecycle_insert(idx, t->id, name, order, NULL,
					       err);
	}
	r = finish(idx, r, "lifecycle.add", table,
		   json_pack("{s:s, s:i}", "lifecycle", name, "order", order),
		   err);
	rfs_catalog_free(cat);
	return r;
}

/* Find table/lifecycle in cat, with messages. */
static int find_lifecycle(const struct rfs_catalog *cat, const char *table,
			  const char *lifecycle,
			  const struct rfs_lifecycle **out,
			  struct rfs_error *err)
{
	const struct rfs_table *t = rfs_catalog_table(cat, table);

	if (!t)
		return rfs_error_set(err, ENOENT, "no table '%s'", table);
	*out = rfs_table_lifecycle(t, lifecycle);
	if (!*out)
		return rfs_error_set(err, ENOENT,
				     "table '%s' has no lifecycle '%s'", table,
				     lifecycle);
	return 0;
}

/* Normalise and check an epoch sub-path; *out is malloc'ed. */
static int epoch_path(const char *path, char **out, struct rfs_error *err)
{
	int r;

	*out = strdup(path ? path : "");
	if (!*out)
		return -ENOMEM;
	rfs_relpath_normalize(*out);
	r = rfs_relpath_check("epoch path", *out, err);
	if (r < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* Where an epoch at @p path of @p s would lie must reach no bin and no
 * other epoch (@p self_id: the epoch re-pointed, else 0). */
static int epoch_location(const struct rfs_catalog *cat,
			  const struct rfs_storage *s, const char *path,
			  int64_t self_id, struct rfs_error *err)
{
	char *uri;
	int r;

	if (rfs_uri_join(s->uri, path, &uri) < 0)
		return -ENOMEM;
	r = rfs_location_check_epoch(cat, s, uri, self_id, err);
	free(uri);
	return r;
}

/* The root URI of the storage named @p storage, from a catalog loaded
 * outside any transaction (for checks that do I/O). The epoch's rules are
 * checked here too, before check_location() may create directories, so a
 * refused epoch leaves nothing behind; the transaction checks them again. */
static int epoch_precheck(struct rfs_index *idx, const char *table,
			  const char *lifecycle, int32_t from, int32_t to,
			  const char *storage, const char *path, char **uri,
			  struct rfs_error *err)
{
	const struct rfs_lifecycle *lc = NULL;
	struct rfs_catalog *cat;
	const struct rfs_storage *s;
	int r;

	r = rfs_index_load_catalog(idx, &cat, err);
	if (r < 0)
		return r;
	r = find_lifecycle(cat, table, lifecycle, &lc, err);
	s = rfs_catalog_storage(cat, storage);
	if (r == 0 && !s)
		r = rfs_error_set(err, ENOENT, "no storage '%s'", storage);
	if (r == 0)
		r = rfs_lifecycle_check_range(lc, from, to, 0, err);
	if (r == 0)
		r = epoch_location(cat, s, path, 0, err);
	if (r == 0)
		r = (*uri = strdup(s->uri)) ? 0 : -ENOMEM;
	rfs_catalog_free(cat);
	return r;
}

int rfs_edit_epoch_add(struct rfs_index *idx, const char *table,
		       const char *lifecycle, int32_t from, int32_t to,
		       const char *storage, const char *path, unsigned flags,
		       struct rfs_error *err)
{
	const struct rfs_lifecycle *lc = NULL;
	const struct rfs_storage *s;
	struct rfs_catalog *cat = NULL;
	char *p = NULL, *uri = NULL, name[RFS_RANGE_STRLEN];
	int r;

	r = epoch_path(path, &p, err);
	if (r == 0)
		r = epoch_precheck(idx, table, lifecycle, from, to, storage, p,
				   &uri, err);
	if (r == 0)
		r = check_location(uri, p, flags & RFS_EDIT_EPOCH_CREATE,
				   "epoch path",
				   " (create it, or pass --create)", err);
	if (r == 0)
		r = begin(idx, &cat, err);
	if (r < 0)
		goto out;
	r = find_lifecycle(cat, table, lifecycle, &lc, err);
	s = rfs_catalog_storage(cat, storage);
	if (r == 0 && !s)
		r = rfs_error_set(err, ENOENT, "no storage '%s'", storage);
	if (r == 0)
		r = rfs_lifecycle_check_range(lc, from, to, 0, err);
	if (r == 0)
		r = epoch_location(cat, s, p, 0, err);
	if (r == 0)
		r = rfs_index_epoch_insert(idx, lc->id, from, to, s->id, p,
					   NULL, err);
	rfs_epoch_range_format(from, to, name);
	r = finish(idx, r, "epoch.add", table,
		   json_pack("{s:s, s:s, s:s, s:s}", "lifecycle", lifecycle,
			     "epoch", name, "storage", storage, "path", p),
		   err);
out:
	rfs_catalog_free(cat);
	free(p);
	free(uri);
	return r;
}

int rfs_edit_epoch_close(struct rfs_index *idx, const char *table,
			 const char *lifecycle, int32_t at,
			 struct rfs_error *err)
{
	const struct rfs_lifecycle *lc = NULL;
	const struct rfs_epoch *e = NULL;
	struct rfs_catalog *cat = NULL;
	char old[RFS_RANGE_STRLEN] = "", now[RFS_RANGE_STRLEN] = "";
	int r;

	r = begin(idx, &cat, err);
	if (r < 0)
		return r;
	r = find_lifecycle(cat, table, lifecycle, &lc, err);
	if (r == 0) {
		e = rfs_lifecycle_open_epoch(lc);
		if (!e)
			r = rfs_error_set(err, ENOENT,
					  "lifecycle '%s/%s' has no open epoch",
					  table, lifecycle);
	}
	if (r == 0)
		r = rfs_lifecycle_check_range(lc, e->from, at, e->id, err);
	if (r == 0) {
		memcpy(old, e->name, sizeof(old));
		rfs_epoch_range_format(e->from, at, now);
		r = rfs_index_epoch_update(idx, e->id, at, e->storage->id,
					   e->path, err);
	}
	r = finish(idx, r, "epoch.close", table,
		   json_pack("{s:s, s:s, s:s}", "lifecycle", lifecycle, "was",
			     old, "now", now),
		   err);
	rfs_catalog_free(cat);
	return r;
}

int rfs_edit_epoch_repoint(struct rfs_index *idx, const char *table,
			   const char *lifecycle, const char *epoch,
			   const char *storage, const char *path,
			   struct rfs_error *err)
{
	const struct rfs_lifecycle *lc = NULL;
	const struct rfs_epoch *e = NULL;
	const struct rfs_storage *s;
	struct rfs_catalog *cat = NULL;
	char *p = NULL, *uri = NULL, *old_uri = NULL;
	int r;

	r = begin(idx, &cat, err);
	if (r < 0)
		return r;
	r = find_lifecycle(cat, table, lifecycle, &lc, err);
	if (r == 0) {
		e = rfs_lifecycle_epoch(lc, epoch);
		if (!e)
			r = rfs_error_set(err, ENOENT,
					  "lifecycle '%s/%s' has no epoch '%s'",
					  table, lifecycle, epoch);
	}
	if (r == 0)
		r = epoch_path(path ? path : e->path, &p, err);
	s = rfs_catalog_storage(cat, storage);
	if (r == 0 && !s)
		r = rfs_error_set(err, ENOENT, "no storage '%s'", storage);
	if (r == 0) {
		old_uri = strdup(e->uri);
		r = rfs_uri_join(s->uri, p, &uri);
	}
	if (r == 0)
		r = epoch_location(cat, s, p, e->id, err);
	rfs_index_rollback(idx);
	if (r == 0)
		r = check_location(s->uri, p, false, "epoch path",
				   " (create it first)", err);
	rfs_catalog_free(cat);
	cat = NULL;
	if (r < 0)
		goto out;
	/* Again inside a transaction: the catalog may have moved meanwhile. */
	r = begin(idx, &cat, err);
	if (r < 0)
		goto out;
	r = find_lifecycle(cat, table, lifecycle, &lc, err);
	e = r == 0 ? rfs_lifecycle_epoch(lc, epoch) : NULL;
	s = rfs_catalog_storage(cat, storage);
	if (r == 0 && (!e || !s))
		r = rfs_error_set(err, ENOENT,
				  "epoch '%s' or storage '%s' vanished", epoch,
				  storage);
	if (r == 0)
		r = epoch_location(cat, s, p, e->id, err);
	if (r == 0)
		r = rfs_index_epoch_update(idx, e->id, e->to, s->id, p, err);
	r = finish(idx, r, "epoch.repoint", table,
		   json_pack("{s:s, s:s, s:s?, s:s?}", "lifecycle", lifecycle,
			     "epoch", epoch, "was", old_uri, "now", uri),
		   err);
out:
	rfs_catalog_free(cat);
	free(p);
	free(uri);
	free(old_uri);
	return r;
}

int rfs_edit_config_set(struct rfs_index *idx, const char *key,
			const char *value, struct rfs_error *err)
{
	int r = rfs_config_check(key, value, err);

	if (r < 0)
		return r;
	r = rfs_index_begin(idx, err);
	if (r < 0)
		return r;
	r = rfs_index_config_set(idx, key, value, err);
	return finish(idx, r, value ? "config.set" : "config.unset", key,
		      value ? json_pack("{s:s}", "value", value) : NULL, err);
}

/* ------------------------------------------------------------- remove */

struct holds {
	const char *skip; /* the storage's bin inside the epoch, or NULL */
	char first[256];  /* the first name found */
};

static int first_name(void *ctx, const char *name, const struct stat *st)
{
	struct holds *h = ctx;
	size_t n = h->skip ? strcspn(h->skip, "/") : 0;

	(void)st;
	if (n && strlen(name) == n && !strncmp(name, h->skip, n))
		return 0;
	snprintf(h->first, sizeof(h->first), "%s", name);
	return 1;
}

/* -ENOTEMPTY when the epoch's location holds anything but its storage's
 * bin; a location this build cannot open or that is gone is empty. */
static int epoch_holds_data(const struct rfs_epoch *e, struct rfs_error *err)
{
	struct holds h = { .skip = e->bin_key };
	struct rfs_backend *b = NULL;
	struct rfs_error ignore = { 0 };
	int r;

	if (!rfs_ports_supported(e->storage->cls->schemes[0]) ||
	    !e->storage->bin_uri)
		return 0;
	r = rfs_ports_open(e->uri, &b, &ignore);
	if (r == 0)
		r = rfs_backend_list(b, "", first_name, &h);
	rfs_backend_free(b);
	if (r == 1)
		return rfs_error_set(
			err, ENOTEMPTY,
			"epoch '%s' still holds data at '%s' ('%s', ...): "
			"archive or move it first",
			e->name, e->uri, h.first);
	if (r == -ENOENT || r == -ENOSYS)
		return 0;
	if (r < 0)
		return rfs_error_set(err, -r,
				     "cannot list epoch '%s' at '%s': %s",
				     e->name, e->uri, strerror(-r));
	return 0;
}

/* -EBUSY with the count when bin entries (or restores) depend on it. */
static int depending(struct rfs_index *idx, const char *what,
		     const char *storage, const char *table,
		     const char *lifecycle, const char *epoch, int64_t epoch_id,
		     struct rfs_error *err)
{
	int64_t n = 0;
	int r = rfs_index_entries_depending(idx, storage, table, lifecycle,
					    epoch, epoch_id, &n, err);

	if (r == 0 && n)
		r = rfs_error_set(err, EBUSY,
				  "%s: %" PRId64 " bin entr%s or running "
				  "restore%s depend%s on it; purge or finish "
				  "them first",
				  what, n, n == 1 ? "y" : "ies",
				  n == 1 ? "" : "s", n == 1 ? "s" : "");
	return r;
}

int rfs_edit_epoch_remove(struct rfs_index *idx, const char *table,
			  const char *lifecycle, const char *epoch,
			  struct rfs_error *err)
{
	const struct rfs_lifecycle *lc = NULL;
	const struct rfs_epoch *e = NULL;
	struct rfs_catalog *cat = NULL;
	char what[512], *uri = NULL;
	int r, pass;

	/* Pass 0 looks at the storage outside the transaction; pass 1
	 * checks again under the lock and removes. */
	for (pass = 0; pass < 2; pass++) {
		r = begin(idx, &cat, err);
		if (r < 0)
			break;
		r = find_lifecycle(cat, table, lifecycle, &lc, err);
		if (r == 0 && !(e = rfs_lifecycle_epoch(lc, epoch)))
			r = rfs_error_set(err, ENOENT,
					  "lifecycle '%s/%s' has no epoch '%s'",
					  table, lifecycle, epoch);
		snprintf(what, sizeof(what), "cannot remove epoch '%s/%s/%s'",
			 table, lifecycle, epoch);
		if (r == 0)
			r = depending(idx, what, NULL, table, lifecycle, epoch,
				      e->id, err);
		if (pass == 0) {
			rfs_index_rollback(idx);
			if (r == 0)
				r = epoch_holds_data(e, err);
			if (r == 0 && !(uri = strdup(e->uri)))
				r = -ENOMEM;
			rfs_catalog_free(cat);
			cat = NULL;
			if (r < 0)
				break;
			continue;
		}
		if (r == 0)
			r = rfs_index_epoch_delete(idx, e->id, err);
		r = finish(idx, r, "epoch.remove", table,
			   json_pack("{s:s, s:s, s:s?}", "lifecycle", lifecycle,
				     "epoch", epoch, "was", uri),
			   err);
	}
	rfs_catalog_free(cat);
	free(uri);
	return r;
}

int rfs_edit_lifecycle_remove(struct rfs_index *idx, const char *table,
			      const char *lifecycle, struct rfs_error *err)
{
	const struct rfs_lifecycle *lc = NULL;
	struct rfs_catalog *cat;
	int r = begin(idx, &cat, err);

	if (r < 0)
		return r;
	r = find_lifecycle(cat, table, lifecycle, &lc, err);
	if (r == 0 && lc->n_epochs)
		r = rfs_error_set(err, ENOTEMPTY,
				  "cannot remove lifecycle '%s/%s': it has "
				  "%zu epoch%s; remove them first",
				  table, lifecycle, lc->n_epochs,
				  lc->n_epochs == 1 ? "" : "s");
	if (r == 0)
		r = depending(idx, "cannot remove lifecycle", NULL, table,
			      lifecycle, NULL, 0, err);
	if (r == 0)
		r = rfs_index_lifecycle_delete(idx, lc->id, err);
	r = finish(idx, r, "lifecycle.remove", table,
		   json_pack("{s:s}", "lifecycle", lifecycle), err);
	rfs_catalog_free(cat);
	return r;
}

int rfs_edit_table_remove(struct rfs_index *idx, const char *table,
			  struct rfs_error *err)
{
	const struct rfs_table *t;
	struct rfs_catalog *cat;
	int r = begin(idx, &cat, err);

	if (r < 0)
		return r;
	t = rfs_catalog_table(cat, table);
	if (!t)
		r = rfs_error_set(err, ENOENT, "no table '%s'", table);
	else if (t->n_lifecycles)
		r = rfs_error_set(err, ENOTEMPTY,
				  "cannot remove table '%s': it has %zu "
				  "lifecycle%s; remove them first",
				  table, t->n_lifecycles,
				  t->n_lifecycles == 1 ? "" : "s");
	if (r == 0)
		r = depending(idx, "cannot remove table", NULL, table, NULL,
			      NULL, 0, err);
	if (r == 0)
		r = rfs_index_table_delete(idx, t->id, err);
	r = finish(idx, r, "table.remove", table, NULL, err);
	rfs_catalog_free(cat);
	return r;
}

int rfs_edit_storage_remove(struct rfs_index *idx, const char *name,
			    struct rfs_error *err)
{
	const struct rfs_storage *s;
	struct rfs_catalog *cat;
	size_t i, j, k, n = 0;
	int r = begin(idx, &cat, err);

	if (r < 0)
		return r;
	s = rfs_catalog_storage(cat, name);
	if (!s)
		r = rfs_error_set(err, ENOENT, "no storage '%s'", name);
	for (i = 0; r == 0 && i < cat->n_tables; i++)
		for (j = 0; j < cat->tables[i]->n_lifecycles; j++) {
			const struct rfs_lifecycle *lc =
				cat->tables[i]->lifecycles[j];

			for (k = 0; k < lc->n_epochs; k++)
				n += lc->epochs[k]->storage == s;
		}
	if (r == 0 && n)
		r = rfs_error_set(err, EBUSY,
				  "cannot remove storage '%s': %zu epoch%s "
				  "%s it; remove or re-point them first",
				  name, n, n == 1 ? "" : "s",
				  n == 1 ? "uses" : "use");
	if (r == 0)
		r = depending(idx, "cannot remove storage", name, NULL, NULL,
			      NULL, 0, err);
	if (r == 0)
		r = rfs_index_storage_delete(idx, s->id, err);
	r = finish(idx, r, "storage.remove", name, NULL, err);
	rfs_catalog_free(cat);
	return r;
}
