/*
 * The S3 client: a copy of the configuration, the URL base and Host
 * header of the endpoint, and a pool of curl easy handles. Handles are
 * taken from a mutex-protected free list for one request and put back
 * after it, so connections stay open (keep-alive) between the requests
 * of any thread.
 */
#include "backends/s3/http_priv.h"

#include "util/buf.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* -------------------------------------------------------------- client */

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int conf_copy(struct rfs_s3_conf *d, const struct rfs_s3_conf *s)
{
	int r = 0;

	memset(d, 0, sizeof(*d));
	r |= dup_str(&d->endpoint, s->endpoint);
	r |= dup_str(&d->region, s->region);
	r |= dup_str(&d->bucket, s->bucket);
	r |= dup_str(&d->prefix, s->prefix ? s->prefix : "");
	r |= dup_str(&d->access_key, s->access_key);
	r |= dup_str(&d->secret_key, s->secret_key);
	r |= dup_str(&d->session_token, s->session_token);
	r |= dup_str(&d->ca_bundle, s->ca_bundle);
	r |= dup_str(&d->profile, s->profile);
	d->path_style = s->path_style;
	d->cache_ttl = s->cache_ttl;
	d->part_size = s->part_size;
	d->read_part = s->read_part;
	d->read_parallel = s->read_parallel;
	d->head_parallel = s->head_parallel;
	d->copy_max = s->copy_max;
	d->verify_etag = s->verify_etag;
	d->verify_full = s->verify_full;
	d->checksum_read = s->checksum_read;
	d->attrs_listing = s->attrs_listing;
	return r ? -ENOMEM : 0;
}

/* Split the endpoint into the URL base and the Host header value. */
static int parse_endpoint(struct rfs_s3_client *c, struct rfs_error *err)
{
	const char *e = c->conf.endpoint, *auth, *end;
	struct rfs_buf b = RFS_BUF_INIT;
	size_t scheme_len;
	int r;

	if (!e || (strncmp(e, "http://", 7) && strncmp(e, "https://", 8)))
		return rfs_error_set(err, EINVAL,
				     "storage '%s': endpoint '%s' is not an "
				     "http:// or https:// URL",
				     c->name, e ? e : "");
	auth = strstr(e, "://") + 3;
	scheme_len = (size_t)(auth - e);
	end = auth + strcspn(auth, "/?#");
	if (end == auth)
		return rfs_error_set(
			err, EINVAL,
			"storage '%s': endpoint '%s' names no host", c->name,
			e);
	if (!c->conf.bucket || !*c->conf.bucket)
		return rfs_error_set(err, EINVAL,
				     "storage '%s' names no bucket", c->name);
	if (c->conf.path_style) {
		r = rfs_buf_add(&b, auth, (size_t)(end - auth));
	} else {
		r = rfs_buf_addf(&b, "%s.", c->conf.bucket);
		if (!r)
			r = rfs_buf_add(&b, auth, (size_t)(end - auth));
	}
	if (!r && !(c->host = rfs_buf_detach(&b)))
		r = -ENOMEM;
	if (!r)
		r = rfs_buf_add(&b, e, scheme_len);
	if (!r)
		r = rfs_buf_addstr(&b, c->host);
	if (!r && !(c->base = rfs_buf_detach(&b)))
		r = -ENOMEM;
	if (!r && c->conf.path_style) {
		r = rfs_buf_addch(&b, '/');
		if (!r)
			r = rfs_s3_uri_encode(&b, c->conf.bucket, false);
		if (!r && !(c->path_root = rfs_buf_detach(&b)))
			r = -ENOMEM;
	} else if (!r) {
		r = dup_str(&c->path_root, "");
	}
	rfs_buf_release(&b);
	return r;
}

int rfs_s3_client_new(const struct rfs_s3_conf *conf, const char *name,
		      struct rfs_s3_client **out, struct rfs_error *err)
{
	struct rfs_s3_client *c;
	int r;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return rfs_error_set(err, EIO,
				     "storage '%s': libcurl failed "
				     "to start",
				     name);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = conf_copy(&c->conf, conf);
	if (!r)
		r = dup_str(&c->name, name ? name : "s3");
	if (!r)
		r = parse_endpoint(c, err);
	if (r < 0) {
		rfs_s3_client_free(c);
		return r;
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void rfs_s3_client_free(struct rfs_s3_client *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_pool; i++)
		curl_easy_cleanup(c->pool[i]);
	if (c->base) /* set once the lock is initialised too */
		pthread_mutex_destroy(&c->lock);
	rfs_s3_conf_release(&c->conf);
	free(c->name);
	free(c->base);
	free(c->host);
	free(c->path_root);
	free(c);
}

const struct rfs_s3_conf *rfs_s3_client_conf(const struct rfs_s3_client *c)
{
	return &c->conf;
}

const char *rfs_s3_client_name(const struct rfs_s3_client *c)
{
	return c->name;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

bool rfs_s3_client_same_account(const struct rfs_s3_client *a,
				const struct rfs_s3_client *b)
{
	const struct rfs_s3_conf *x = &a->conf, *y = &b->conf;

	return same_str(x->endpoint, y->endpoint) &&
	       same_str(x->region, y->region) &&
	       same_str(x->access_key, y->access_key) &&
	       same_str(x->secret_key, y->secret_key) &&
	       same_str(x->session_token, y->session_token);
}

CURL *rfs_s3_handle_get(struct rfs_s3_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->n_pool)
		h = c->pool[--c->n_pool];
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_reset(h);
	else
		h = curl_easy_init();
	return h;
}

void rfs_s3_handle_put(struct rfs_s3_client *c, CURL *h, bool keep)
{
	pthread_mutex_lock(&c->lock);
	if (keep && c->n_pool < RFS_S3_POOL_MAX) {
		c->pool[c->n_pool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}
