/*
 * The backend registry: a URI's scheme chooses the adapter from one static
 * table. Adding an adapter is adding a row.
 */
#include "backends/backend.h"

#ifdef RFS_TEST_HOOKS
#include "backends/fault.h"
#endif
#include "backends/local/local.h"
#include "backends/memory/memory.h"
#include "backends/pg/pg.h"
#include "backends/s3/s3.h"
#include "model/storage.h"
#include "util/uri.h"
#include "util/error.h"

#include <string.h>

/** Opens a backend of one adapter from a parsed URI. */
typedef int (*rfs_backend_open_fn)(const struct rfs_uri *u, const char *uri,
				   struct rfs_backend **out,
				   struct rfs_error *err);

/** One adapter of this build. */
typedef int (*rfs_backend_check_fn)(const struct rfs_uri *u, const char *uri,
				    struct rfs_error *err);

struct rfs_backend_adapter {
	const char *scheme;
	rfs_backend_open_fn open;
	rfs_backend_check_fn check; /* the URI's own settings; or NULL */
};

static const struct rfs_backend_adapter adapters[] = {
	{ .scheme = "file", .open = rfs_local_open },
	{ .scheme = "mem", .open = rfs_mem_open },
	{ .scheme = "memrel", .open = rfs_mem_open },
	{ .scheme = "s3", .open = rfs_s3_open, .check = rfs_s3_check_uri },
	{ .scheme = "s3a", .open = rfs_s3_open, .check = rfs_s3_check_uri },
	{ .scheme = "gs", .open = rfs_s3_open, .check = rfs_s3_check_uri },
	{ .scheme = "postgres",
	  .open = rfs_pg_open,
	  .check = rfs_pg_check_uri },
	{ .scheme = "postgresql",
	  .open = rfs_pg_open,
	  .check = rfs_pg_check_uri },
};

static const struct rfs_backend_adapter *adapter_find(const char *scheme)
{
	size_t i;

	for (i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++)
		if (!strcmp(adapters[i].scheme, scheme))
			return &adapters[i];
	return NULL;
}

bool rfs_backend_scheme_supported(const char *scheme)
{
	return scheme && adapter_find(scheme) != NULL;
}

int rfs_backend_check_uri(const char *uri, struct rfs_error *err)
{
	const struct rfs_backend_adapter *a;
	struct rfs_uri u;
	int r;

	r = rfs_uri_parse(uri, &u, err);
	if (r < 0)
		return r;
	a = adapter_find(u.scheme);
	if (a && a->check)
		r = a->check(&u, uri, err);
	rfs_uri_release(&u);
	return r;
}

int rfs_backend_open(const char *uri, struct rfs_backend **out,
		     struct rfs_error *err)
{
	const struct rfs_backend_adapter *a;
	const struct rfs_storage_class *cls;
	struct rfs_uri u;
	int r;

	r = rfs_uri_parse(uri, &u, err);
	if (r < 0)
		return r;
	a = adapter_find(u.scheme);
	if (a) {
		r = a->open(&u, uri, out, err);
#ifdef RFS_TEST_HOOKS
		if (r == 0 && !(*out = rfs_fault_wrap(*out)))
			r = -ENOMEM;
#endif
	} else {
		cls = rfs_storage_class_by_scheme(u.scheme);
		if (cls)
			r = rfs_error_set(err, EPROTONOSUPPORT,
					  "storage class '%s' has no data path "
					  "in this build",
					  cls->name);
		else
			r = rfs_error_set(err, EINVAL,
					  "unknown storage scheme '%s' (known: "
					  "%s)",
					  u.scheme, rfs_storage_schemes());
	}
	rfs_uri_release(&u);
	return r;
}

const struct rfs_backend_opener rfs_backend_registry = {
	.open = rfs_backend_open,
	.check_uri = rfs_backend_check_uri,
	.scheme_supported = rfs_backend_scheme_supported,
};
