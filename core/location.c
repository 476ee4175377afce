/*
 * Where catalog locations may lie: epochs against recycle storages and
 * against each other.
 */
#include "core/location.h"

#include "model/catalog.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>

/* The length of @p u before its options, trailing slashes dropped. */
static size_t base_len(const char *u)
{
	size_t n = strcspn(u, "?");

	while (n && u[n - 1] == '/')
		n--;
	return n;
}

/*
 * The one option that names another place: the server (endpoint=...).
 * Every other option (attrs, region, cache_ttl, part_size, ...) changes
 * how a place is read, not which place it is.
 * @return its value, @p n set to its length; "" when there is none
 */
static const char *endpoint_of(const char *u, size_t *n)
{
	const char *q = strchr(u, '?');

	*n = 0;
	for (q = q ? q + 1 : NULL; q && *q;
	     q += strcspn(q, "&") + !!q[strcspn(q, "&")]) {
		if (!strncmp(q, "endpoint=", 9)) {
			q += 9;
			*n = strcspn(q, "&");
			while (*n && q[*n - 1] == '/')
				(*n)--;
			return q;
		}
	}
	return "";
}

bool rfs_location_within(const char *a, const char *b)
{
	size_t la = base_len(a), lb = base_len(b), ea, eb;
	const char *pa = endpoint_of(a, &ea), *pb = endpoint_of(b, &eb);

	if (ea != eb || strncmp(pa, pb, ea))
		return false;
	if (la < lb || strncmp(a, b, lb))
		return false;
	/* "file:///" has lost its slashes: "file:" is followed by one. */
	return la == lb || a[lb] == '/';
}

static bool overlap(const char *a, const char *b)
{
	return rfs_location_within(a, b) || rfs_location_within(b, a);
}

/* Same location, options and trailing slashes aside. */
static bool same(const char *a, const char *b)
{
	return rfs_location_within(a, b) && rfs_location_within(b, a);
}

/* Call @p fn on each epoch of @p cat until it returns non-zero. */
static int each_epoch(const struct rfs_catalog *cat,
		      int (*fn)(const struct rfs_epoch *e, void *ctx),
		      void *ctx)
{
	size_t t, l, i;
	int r;

	for (t = 0; t < cat->n_tables; t++) {
		const struct rfs_table *tb = cat->tables[t];

		for (l = 0; l < tb->n_lifecycles; l++) {
			const struct rfs_lifecycle *lc = tb->lifecycles[l];

			for (i = 0; i < lc->n_epochs; i++) {
				r = fn(lc->epochs[i], ctx);
				if (r)
					return r;
			}
		}
	}
	return 0;
}

/* What one check compares each epoch with. */
struct against {
	const char *uri;
	int64_t self_id;
	struct rfs_error *err;
};

static int epoch_vs_epoch(const struct rfs_epoch *e, void *ctx)
{
	struct against *a = ctx;
	const char *how;

	if (e->id == a->self_id || !overlap(a->uri, e->uri))
		return 0;
	how = same(a->uri, e->uri)		    ? "is"
	      : rfs_location_within(a->uri, e->uri) ? "is inside"
						    : "contains";
	return rfs_error_set(a->err, EINVAL,
			     "epoch location '%s' %s the location of epoch "
			     "'%s/%s/%s' ('%s'): one folder cannot be two "
			     "epochs",
			     a->uri, how, e->lifecycle->table->name,
			     e->lifecycle->name, e->name, e->uri);
}

static int bin_vs_epoch(const struct rfs_epoch *e, void *ctx)
{
	struct against *a = ctx;

	if (rfs_location_within(e->uri, a->uri))
		return rfs_error_set(a->err, EINVAL,
				     "recycle location '%s' contains epoch "
				     "'%s/%s/%s' ('%s'): archived data and "
				     "live data must not share a folder",
				     a->uri, e->lifecycle->table->name,
				     e->lifecycle->name, e->name, e->uri);
	if (rfs_location_within(a->uri, e->uri) &&
	    !(e->storage->bin_uri && same(a->uri, e->storage->bin_uri)))
		return rfs_error_set(a->err, EINVAL,
				     "recycle location '%s' is inside epoch "
				     "'%s/%s/%s' ('%s'): the bin must not be "
				     "reachable through an epoch",
				     a->uri, e->lifecycle->table->name,
				     e->lifecycle->name, e->name, e->uri);
	return 0;
}

int rfs_location_check_epoch(const struct rfs_catalog *cat,
			     const struct rfs_storage *s, const char *uri,
			     int64_t self_id, struct rfs_error *err)
{
	struct against a = { uri, self_id, err };
	size_t i;

	for (i = 0; i < cat->n_storages; i++) {
		const struct rfs_storage *t = cat->storages[i];

		if (!t->bin_uri)
			continue;
		if (rfs_location_within(uri, t->bin_uri))
			return rfs_error_set(
				err, EINVAL,
				"epoch location '%s' is inside the recycle "
				"storage of '%s' ('%s'): the bin must not be "
				"reachable through an epoch",
				uri, t->name, t->bin_uri);
		if (rfs_location_within(t->bin_uri, uri) &&
		    !(s->bin_uri && same(t->bin_uri, s->bin_uri)))
			return rfs_error_set(
				err, EINVAL,
				"epoch location '%s' contains the recycle "
				"storage of '%s' ('%s'): the bin must not be "
				"reachable through an epoch",
				uri, t->name, t->bin_uri);
	}
	return each_epoch(cat, epoch_vs_epoch, &a);
}

int rfs_location_check_bin(const struct rfs_catalog *cat, const char *bin_uri,
			   struct rfs_error *err)
{
	struct against a = { bin_uri, 0, err };

	return each_epoch(cat, bin_vs_epoch, &a);
}
