#include "util/uri.h"

#include "util/names.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hex.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Decode %XX escapes of s[0..n) into a new string; NULL on a bad escape
 * (errno EINVAL) or out of memory. */
static char *decode(const char *s, size_t n, bool plus_is_space)
{
	char *out = malloc(n + 1), *w = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n) {
				free(out);
				errno = EINVAL;
				return NULL;
			}
			hi = rfs_hex_digit(s[i + 1]);
			lo = rfs_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				errno = EINVAL;
				return NULL;
			}
			*w++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus_is_space && s[i] == '+') {
			*w++ = ' ';
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return out;
}

void rfs_uri_release(struct rfs_uri *u)
{
	free(u->scheme);
	free(u->authority);
	free(u->path);
	free(u->query);
	memset(u, 0, sizeof(*u));
}

static int parse_scheme(const char *s, struct rfs_uri *u, const char **rest,
			struct rfs_error *err)
{
	size_t n = 0, i;

	while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' ||
	       s[n] == '.')
		n++;
	if (n == 0 || !isalpha((unsigned char)s[0]) ||
	    strncmp(s + n, "://", 3)) {
		/* Not quoted when it may hold user:secret@. */
		if (strchr(s, '@'))
			return rfs_error_set(err, EINVAL,
					     "the URI given is not a storage "
					     "URI (scheme://location/path)");
		return rfs_error_set(err, EINVAL,
				     "'%s' is not a storage URI "
				     "(scheme://location/path)",
				     s);
	}
	u->scheme = strndup(s, n);
	if (!u->scheme)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		u->scheme[i] = (char)tolower((unsigned char)u->scheme[i]);
	*rest = s + n + 3;
	return 0;
}

int rfs_uri_parse(const char *s, struct rfs_uri *out, struct rfs_error *err)
{
	struct rfs_uri u = { 0 };
	const char *p, *slash, *q;
	size_t alen, plen;
	int r;

	if (!rfs_utf8_valid(s, strlen(s)))
		return rfs_error_set(err, EINVAL, "storage URI is not UTF-8");
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ')
			return rfs_error_set(err, EINVAL,
					     "storage URI contains a space or "
					     "control character");
	r = parse_scheme(s, &u, &p, err);
	if (r < 0)
		goto fail;
	q = strchr(p, '?');
	slash = strchr(p, '/');
	if (q && (!slash || q < slash))
		slash = NULL;
	alen = slash ? (size_t)(slash - p) : q ? (size_t)(q - p) : strlen(p);
	/* Before any message that quotes the URI, which must not show them. */
	if (memchr(p, '@', alen)) {
		r = rfs_error_set(err, EINVAL,
				  "storage URI must not hold credentials "
				  "(user:secret@); use the environment or "
				  "credential files");
		goto fail;
	}
	/* A '#' anywhere, in the query too, starts a fragment. */
	if (strchr(p, '#')) {
		r = rfs_error_set(err, EINVAL,
				  "storage URI '%s' has a fragment ('#')", s);
		goto fail;
	}
	u.authority = strndup(p, alen);
	p += alen;
	plen = q ? (size_t)(q - p) : strlen(p);
	while (plen && *p == '/') {
		p++;
		plen--;
	}
	while (plen && p[plen - 1] == '/')
		plen--;
	u.path = decode(p, plen, false);
	u.query = strdup(q ? q + 1 : "");
	if (!u.authority || !u.query || (!u.path && errno == ENOMEM)) {
		r = -ENOMEM;
		goto fail;
	}
	if (!u.path) {
		r = rfs_error_set(err, EINVAL,
				  "storage URI '%s' has a bad %%-escape", s);
		goto fail;
	}
	if (strstr(u.path, "//")) {
		r = rfs_error_set(err, EINVAL,
				  "storage URI '%s' has an empty path "
				  "component",
				  s);
		goto fail;
	}
	r = rfs_relpath_check("storage URI path", u.path, err);
	if (r < 0)
		goto fail;
	if (!strcmp(u.scheme, "file")) {
		if (*u.authority && strcmp(u.authority, "localhost")) {
			r = rfs_error_set(err, EINVAL,
					  "file URI '%s' names host '%s'; "
					  "mount remote shares and use "
					  "file:///path",
					  s, u.authority);
			goto fail;
		}
		if (!slash) {
			r = rfs_error_set(err, EINVAL,
					  "file URI '%s' needs an absolute "
					  "path (file:///srv/data)",
					  s);
			goto fail;
		}
		u.authority[0] = '\0';
	} else if (!*u.authority) {
		r = rfs_error_set(err, EINVAL,
				  "storage URI '%s' names no bucket or host",
				  s);
		goto fail;
	}
	*out = u;
	return 0;
fail:
	rfs_uri_release(&u);
	return r;
}

int rfs_uri_query_get(const struct rfs_uri *u, const char *key, char **value)
{
	const char *p = u->query;
	size_t klen = strlen(key);

	while (*p) {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		size_t kn = eq ? (size_t)(eq - p) : n;

		if (kn == klen && !strncmp(p, key, klen)) {
			const char *v = eq ? eq + 1 : p + n;
			size_t vn = (size_t)(p + n - v);

			*value = decode(v, vn, true);
			if (!*value)
				return errno == ENOMEM ? -ENOMEM : -EINVAL;
			return 1;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
}

int rfs_uri_join(const char *uri, const char *relpath, char **out)
{
	struct rfs_buf b = RFS_BUF_INIT;
	const char *q = strchr(uri, '?');
	const char *sep = strstr(uri, "://");
	size_t base = q ? (size_t)(q - uri) : strlen(uri);
	size_t min = sep ? (size_t)(sep - uri) + 3 : 0;
	const char *c;
	int r;

	if (sep && sep[3] == '/')
		min++; /* file:/// keeps the slash of its root */
	while (base > min && uri[base - 1] == '/')
		base--;
	r = rfs_buf_add(&b, uri, base);
	if (!r && *relpath && base && uri[base - 1] != '/')
		r = rfs_buf_addch(&b, '/');
	for (c = relpath; !r && *c; c++) {
		if (*c == '%' || *c == '?' || *c == '#' || *c == ' ')
			r = rfs_buf_addf(&b, "%%%02X", (unsigned char)*c);
		else
			r = rfs_buf_addch(&b, *c);
	}
	if (!r && q)
		r = rfs_buf_addstr(&b, q);
	if (r < 0) {
		rfs_buf_release(&b);
		return -ENOMEM;
	}
	*out = rfs_buf_detach(&b);
	return *out ? 0 : -ENOMEM;
}

int rfs_uri_format(const struct rfs_uri *u, char **out)
{
	struct rfs_buf b = RFS_BUF_INIT;
	char *base = NULL, *joined = NULL;
	int r;

	r = rfs_buf_addf(&b, "%s://%s/", u->scheme, u->authority);
	if (r < 0)
		return -ENOMEM;
	base = rfs_buf_detach(&b);
	if (!base || rfs_uri_join(base, u->path, &joined) < 0) {
		free(base);
		return -ENOMEM;
	}
	free(base);
	if (*u->query) {
		r = rfs_buf_addf(&b, "%s?%s", joined, u->query);
		free(joined);
		if (r < 0)
			return -ENOMEM;
		joined = rfs_buf_detach(&b);
		if (!joined)
			return -ENOMEM;
	}
	*out = joined;
	return 0;
}

char *rfs_uri_strip_query(const char *uri)
{
	return strndup(uri, strcspn(uri, "?"));
}
