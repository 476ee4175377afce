/*
 * The storage port core receives: the opener a program hands it once at
 * start (rfs_ports_set_backends()), which every use case opens storages
 * with.
 */
#include "core/ports.h"

#include "backends/backend.h"
#include "util/error.h"

#include <errno.h>
#include <stddef.h>

/* Set before the program starts threads; read-only after. */
static const struct rfs_backend_opener *opener;

void rfs_ports_set_backends(const struct rfs_backend_opener *o)
{
	opener = o;
}

static int no_opener(struct rfs_error *err)
{
	return rfs_error_set(err, ENOSYS,
			     "no storage adapters: this program gave core "
			     "none");
}

int rfs_ports_open(const char *uri, struct rfs_backend **out,
		   struct rfs_error *err)
{
	if (!opener)
		return no_opener(err);
	return opener->open(uri, out, err);
}

int rfs_ports_check_uri(const char *uri, struct rfs_error *err)
{
	if (!opener)
		return no_opener(err);
	return opener->check_uri(uri, err);
}

bool rfs_ports_supported(const char *scheme)
{
	return opener && opener->scheme_supported(scheme);
}
