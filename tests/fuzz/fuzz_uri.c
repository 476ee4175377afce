/*
 * URIs given by users (util/uri.c), and what an "s3"/"gs" URI says by
 * itself (backends/s3/creds.c rfs_s3_conf_check: options and bucket).
 * A parsed URI must format to a URI that parses to the same parts.
 */
#include "backends/s3/s3_priv.h"
#include "util/uri.h"
#include "fuzz.h"
#include "util/error.h"

#include <assert.h>

static void same(const struct rfs_uri *a, const struct rfs_uri *b)
{
	assert(!strcmp(a->scheme, b->scheme));
	assert(!strcmp(a->authority, b->authority));
	assert(!strcmp(a->path, b->path));
	assert(!strcmp(a->query, b->query));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "region", "endpoint", "profile",
					    "attrs", "" };
	struct rfs_error err = { 0 };
	struct rfs_uri u = { 0 }, again = { 0 };
	char *s = fuzz_str(data, size), *f = NULL, *j = NULL, *q;

	if (!s)
		return 0;
	free(rfs_uri_strip_query(s));
	if (rfs_uri_join(s, "a b/c%d?#", &j) == 0)
		free(j);
	if (rfs_uri_parse(s, &u, &err) == 0) {
		if (rfs_uri_format(&u, &f) == 0) {
			struct rfs_error e2 = { 0 };

			assert(rfs_uri_parse(f, &again, &e2) == 0);
			same(&u, &again);
			rfs_uri_release(&again);
			free(f);
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			q = NULL;
			if (rfs_uri_query_get(&u, keys[i], &q) == 1)
				free(q);
		}
		if (!strcmp(u.scheme, "s3") || !strcmp(u.scheme, "gs"))
			rfs_s3_conf_check(u.scheme, u.authority, u.query, s,
					  &err);
		rfs_uri_release(&u);
	} else {
		assert(err.code && *err.msg);
	}
	free(s);
	return 0;
}
