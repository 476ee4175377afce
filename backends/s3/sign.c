/*
 * AWS Signature Version 4 for the "s3" service, over OpenSSL.
 *
 * The canonical request is built from the parts of a request as the
 * caller will send them: the path exactly as given (S3 does not
 * normalise or re-encode it), the query with every name and value
 * decoded and re-encoded in S3's canonical form and sorted, and the
 * headers with lower-case names and trimmed values, sorted.
 */
#include "backends/s3/s3_priv.h"

#include "util/buf.h"
#include "util/sha256.h"
#include "util/hex.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* The hash of an empty payload, used when the caller gives none. */
#define EMPTY_SHA256                                                           \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static int encode_bytes(struct rfs_buf *out, const char *s, size_t n,
			bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			r = rfs_buf_addch(out, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 0xf] };

			r = rfs_buf_add(out, e, sizeof(e));
		}
	}
	return r;
}

int rfs_s3_uri_encode(struct rfs_buf *out, const char *s, bool keep_slash)
{
	size_t len = out->len;
	int r = encode_bytes(out, s, strlen(s), keep_slash);

	if (r < 0)
		rfs_buf_truncate(out, len);
	return r;
}

/*
 * Re-encode s[0..n) canonically: %XX escapes are decoded first (a '%'
 * that starts no valid escape is a literal '%') and a literal '+' is a
 * space, as servers read a query (Ceph RGW refuses the signature of
 * "prefix=a+b" unless it was computed over "prefix=a%20b"); then every
 * byte that is not unreserved is encoded, '/' included.
 */
static int canon_component(struct rfs_buf *out, const char *s, size_t n)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		char c = s[i];
		int b = rfs_hex_pct(s + i, n - i);

		if (b >= 0) {
			c = (char)b;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		r = encode_bytes(out, &c, 1, false);
	}
	return r;
}

/* One "name=value" parameter of the canonical query, re-encoded. */
struct qparam {
	char *name;
	char *value;
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static void qparams_free(struct qparam *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

static int canon_piece(const char *s, size_t n, char **out)
{
	struct rfs_buf b = RFS_BUF_INIT;
	int r = canon_component(&b, s, n);

	if (!r && !b.data)
		r = rfs_buf_addstr(&b, "");
	if (r < 0) {
		rfs_buf_release(&b);
		return -ENOMEM;
	}
	*out = rfs_buf_detach(&b);
	return *out ? 0 : -ENOMEM;
}

/* Split @p query on '&', re-encode each part and sort them. */
static int split_query(const char *query, struct qparam **out, size_t *n_out)
{
	struct qparam *p;
	size_t n = 1, i = 0;
	const char *c;
	int r = 0;

	for (c = query; *c; c++)
		n += *c == '&';
	p = calloc(n, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (c = query; *c && !r;) {
		size_t len = strcspn(c, "&");
		const char *eq = memchr(c, '=', len);
		size_t kn = eq ? (size_t)(eq - c) : len;

		if (len) {
			r = canon_piece(c, kn, &p[i].name);
			if (!r)
				r = eq ? canon_piece(eq + 1, len - kn - 1,
						     &p[i].value)
				       : canon_piece("", 0, &p[i].value);
			i++;
		}
		c += len;
		if (*c == '&')
			c++;
	}
	if (r < 0) {
		qparams_free(p, i);
		return r;
	}
	qsort(p, i, sizeof(*p), qparam_cmp);
	*out = p;
	*n_out = i;
	return 0;
}

static int add_canonical_query(struct rfs_buf *out, const char *query)
{
	struct qparam *p = NULL;
	size_t n = 0, i;
	int r;

	if (!query || !*query)
		return 0;
	r = split_query(query, &p, &n);
	for (i = 0; i < n && !r; i++)
		r = rfs_buf_addf(out, "%s%s=%s", i ? "&" : "", p[i].name,
				 p[i].value);
	qparams_free(p, n);
	return r;
}

/* One header of the canonical request: lower-case name, trimmed value. */
struct header {
	char name[128];
	char *value;
};

static int header_cmp(const void *a, const void *b)
{
	const struct header *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Trim @p v[0..n) and collapse inner runs of blanks into one space. */
static char *trim_value(const char *v, size_t n)
{
	char *out = malloc(n + 1), *w = out;
	bool blank = false;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (v[i] == ' ' || v[i] == '\t') {
			blank = w != out;
			continue;
		}
		if (blank)
			*w++ = ' ';
		blank = false;
		*w++ = v[i];
	}
	*w = '\0';
	return out;
}

static bool is_own_header(const char *name)
{
	return !strcmp(name, "host") || !strcmp(name, "x-amz-date") ||
	       !strcmp(name, "x-amz-content-sha256");
}

/*
 * Gather the headers to sign: ours (host, x-amz-content-sha256,
 * x-amz-date) and the caller's, whose names equal to ours are dropped.
 */
static int collect_headers(const struct rfs_s3_sigreq *r, const char *amzdate,
			   const char *payload, struct header **out,
			   size_t *n_out)
{
	size_t n = r->n_headers + 3, k = 0, i;
	struct header *h = calloc(n, sizeof(*h));

	if (!h)
		return -ENOMEM;
	strcpy(h[k].name, "host");
	h[k++].value = trim_value(r->host, strlen(r->host));
	strcpy(h[k].name, "x-amz-content-sha256");
	h[k++].value = trim_value(payload, strlen(payload));
	strcpy(h[k].name, "x-amz-date");
	h[k++].value = trim_value(amzdate, strlen(amzdate));
	for (i = 0; i < r->n_headers; i++) {
		const char *s = r->headers[i], *colon = strchr(s, ':');
		char name[sizeof(h->name)];
		size_t nn = 0, j;

		while (*s == ' ' || *s == '\t')
			s++;
		if (colon)
			nn = (size_t)(colon - s);
		while (nn && (s[nn - 1] == ' ' || s[nn - 1] == '\t'))
			nn--;
		if (nn == 0 || nn >= sizeof(name)) {
			/* unsigned, it would be refused: say so now */
			for (j = 0; j < k; j++)
				free(h[j].value);
			free(h);
			return -EINVAL;
		}
		for (j = 0; j < nn; j++)
			name[j] = (char)tolower((unsigned char)s[j]);
		name[nn] = '\0';
		if (is_own_header(name))
			continue;
		memcpy(h[k].name, name, nn + 1);
		h[k++].value = trim_value(colon + 1, strlen(colon + 1));
	}
	for (i = 0; i < k; i++) {
		if (!h[i].value) {
			for (i = 0; i < k; i++)
				free(h[i].value);
			free(h);
			return -ENOMEM;
		}
	}
	/* Stable for equal names: their values join in the given order. */
	for (i = 1; i < k; i++) {
		struct header t = h[i];
		size_t j = i;

		while (j > 0 && header_cmp(&h[j - 1], &t) > 0) {
			h[j] = h[j - 1];
			j--;
		}
		h[j] = t;
	}
	*out = h;
	*n_out = k;
	return 0;
}

static int add_headers(struct rfs_buf *canon, struct rfs_buf *signed_headers,
		       const struct header *h, size_t n)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		bool same = i > 0 && !strcmp(h[i - 1].name, h[i].name);
		bool last = i + 1 == n || strcmp(h[i + 1].name, h[i].name);

		if (same)
			r = rfs_buf_addf(canon, ",%s", h[i].value);
		else
			r = rfs_buf_addf(canon, "%s:%s", h[i].name, h[i].value);
		if (!r && last)
			r = rfs_buf_addch(canon, '\n');
		if (!r && !same)
			r = rfs_buf_addf(signed_headers, "%s%s", i ? ";" : "",
					 h[i].name);
	}
	return r;
}

int rfs_s3_canonical_request(const struct rfs_s3_sigreq *r, const char *amzdate,
			     struct rfs_buf *out,
			     struct rfs_buf *signed_headers)
{
	const char *payload =
		r->payload_sha256 ? r->payload_sha256 : EMPTY_SHA256;
	size_t len = out->len, slen = signed_headers->len;
	struct header *h = NULL;
	size_t n = 0, i;
	int e;

	e = collect_headers(r, amzdate, payload, &h, &n);
	if (e < 0)
		return e;
	e = rfs_buf_addf(out, "%s\n%s\n", r->method,
			 r->path && *r->path ? r->path : "/");
	if (!e)
		e = add_canonical_query(out, r->query);
	if (!e)
		e = rfs_buf_addch(out, '\n');
	if (!e)
		e = add_headers(out, signed_headers, h, n);
	if (!e)
		e = rfs_buf_addf(out, "\n%s\n%s", rfs_buf_str(signed_headers),
				 payload);
	for (i = 0; i < n; i++)
		free(h[i].value);
	free(h);
	if (e < 0) {
		rfs_buf_truncate(out, len);
		rfs_buf_truncate(signed_headers, slen);
		return -ENOMEM;
	}
	return 0;
}

static int hmac(const void *key, size_t key_len, const char *msg,
		unsigned char out[32])
{
	unsigned int len = 0;

	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg,
		  strlen(msg), out, &len) ||
	    len != 32)
		return -EIO;
	return 0;
}

/* The signing key: HMAC chain over the date, region, service, request. */
static int signing_key(const char *secret, const char *date, const char *region,
		       unsigned char key[32])
{
	size_t slen = strlen(secret);
	char *k0 = malloc(slen + 5);
	unsigned char a[32], b[32];
	int r;

	if (!k0)
		return -ENOMEM;
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, slen + 1);
	r = hmac(k0, slen + 4, date, a);
	if (!r)
		r = hmac(a, 32, region, b);
	if (!r)
		r = hmac(b, 32, "s3", a);
	if (!r)
		r = hmac(a, 32, "aws4_request", key);
	explicit_bzero(k0, slen + 5);
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	free(k0);
	return r;
}

static int format_amzdate(time_t when, char amzdate[17])
{
	struct tm tm;

	if (!gmtime_r(&when, &tm) ||
	    strftime(amzdate, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return -EINVAL;
	return 0;
}

int rfs_s3_sign(const struct rfs_s3_sigreq *r, const char *access_key,
		const char *secret_key, const char *region,
		struct rfs_buf *auth, char amzdate[17])
{
	struct rfs_buf canon = RFS_BUF_INIT, sh = RFS_BUF_INIT;
	struct rfs_buf sts = RFS_BUF_INIT;
	char hash[RFS_SHA256_HEX], date[9], sig[65];
	unsigned char key[32], mac[32];
	size_t len = auth->len;
	int e, i;

	e = format_amzdate(r->when, amzdate);
	if (e < 0)
		return e;
	memcpy(date, amzdate, 8);
	date[8] = '\0';
	e = rfs_s3_canonical_request(r, amzdate, &canon, &sh);
	if (!e)
		e = rfs_sha256_buf(canon.data, canon.len, hash);
	if (!e)
		e = rfs_buf_addf(
			&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s",
			amzdate, date, region, hash);
	if (!e)
		e = signing_key(secret_key, date, region, key);
	if (!e) {
		e = hmac(key, sizeof(key), rfs_buf_str(&sts), mac);
		explicit_bzero(key, sizeof(key));
	}
	if (!e) {
		for (i = 0; i < 32; i++)
			snprintf(sig + 2 * i, 3, "%02x", mac[i]);
		e = rfs_buf_addf(auth,
				 "AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/"
				 "aws4_request, SignedHeaders=%s, Signature=%s",
				 access_key, date, region, rfs_buf_str(&sh),
				 sig);
	}
	rfs_buf_release(&canon);
	rfs_buf_release(&sh);
	rfs_buf_release(&sts);
	if (e < 0) {
		rfs_buf_truncate(auth, len);
		return e == -EIO || e == -EINVAL ? e : -ENOMEM;
	}
	return 0;
}
