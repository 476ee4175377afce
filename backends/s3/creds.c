/*
 * Where an S3 storage's endpoint, region and keys come from, following
 * the AWS conventions (botocore's order):
 *
 *  - the URI's options win over everything;
 *  - keys: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 *    unless the URI names a profile (an explicit profile skips the
 *    environment's keys, as botocore does); then the profile's section of
 *    the shared credentials file, then of the config file;
 *  - region: AWS_REGION, AWS_DEFAULT_REGION, the profile's "region";
 *  - endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
 *    "s3 =" block's endpoint_url, its endpoint_url;
 *  - CA bundle: AWS_CA_BUNDLE, the profile's "ca_bundle";
 *  - defaults: region us-east-1, endpoint https://s3.REGION.amazonaws.com.
 *
 * "gs" storages take region and endpoint from the URI or their defaults
 * (region "auto", https://storage.googleapis.com) and never from the AWS
 * settings, which name AWS; their HMAC keys come from the same places.
 *
 * The secret is read into memory that is wiped when freed. No message
 * holds a key: they name the storage and the places looked at.
 */
#include "backends/s3/s3_priv.h"

#include "util/uri.h"
#include "util/error.h"
#include "util/hex.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PART_MIB_DEFAULT  16
#define PART_MIB_MIN	  5
#define PART_MIB_MAX	  5120
#define CACHE_TTL_DEFAULT 10
#define CACHE_TTL_MAX	  (7 * 86400)
/* Reads: ranged GETs of read_part MiB, read_parallel in flight; their
 * product at most READ_WINDOW_MIB (the memory of one file's window). */
#define READ_PART_DEFAULT     2
#define READ_PART_MAX	      16
#define READ_PARALLEL_DEFAULT 4
#define READ_PARALLEL_MAX     16
#define READ_WINDOW_MIB	      64
/* HEADs of a first listing in flight: each on a kept-alive connection of
 * the client's pool (RFS_S3_POOL_MAX). */
#define HEAD_PARALLEL_DEFAULT 32
#define HEAD_PARALLEL_MAX     64
static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ------------------------------------------------------------- options */

/* The URI's options, %-decoded; NULL when absent. */
struct opts {
	char *region, *endpoint, *path_style, *profile, *cache_ttl;
	char *part_size, *verify, *attrs;
	char *read_part, *read_parallel, *head_parallel, *copy_max;
	char *checksum;
};

static void opts_release(struct opts *o)
{
	free(o->region);
	free(o->endpoint);
	free(o->path_style);
	free(o->profile);
	free(o->cache_ttl);
	free(o->part_size);
	free(o->verify);
	free(o->attrs);
	free(o->read_part);
	free(o->read_parallel);
	free(o->head_parallel);
	free(o->copy_max);
	free(o->checksum);
}

/* Decode a query value: %XX and '+' (a space). NULL: bad (errno set). */
static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *w = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*w++ = ' ';
		} else if (s[i] != '%') {
			*w++ = s[i];
		} else if (rfs_hex_pct(s + i, n - i) > 0) {
			*w++ = (char)rfs_hex_pct(s + i, n - i);
			i += 2;
		} else {
			free(out);
			errno = EINVAL;
			return NULL;
		}
	}
	*w = '\0';
	return out;
}

static char **opt_slot(struct opts *o, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{ "region", offsetof(struct opts, region) },
		{ "endpoint", offsetof(struct opts, endpoint) },
		{ "path_style", offsetof(struct opts, path_style) },
		{ "profile", offsetof(struct opts, profile) },
		{ "cache_ttl", offsetof(struct opts, cache_ttl) },
		{ "part_size", offsetof(struct opts, part_size) },
		{ "verify", offsetof(struct opts, verify) },
		{ "attrs", offsetof(struct opts, attrs) },
		{ "read_part", offsetof(struct opts, read_part) },
		{ "read_parallel", offsetof(struct opts, read_parallel) },
		{ "head_parallel", offsetof(struct opts, head_parallel) },
		{ "copy_max", offsetof(struct opts, copy_max) },
		{ "checksum", offsetof(struct opts, checksum) },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n &&
		    !memcmp(known[i].name, name, n))
			return (char **)((char *)o + known[i].off);
	return NULL;
}

static int parse_opts(const char *query, struct opts *o, const char *shown,
		      struct rfs_error *err)
{
	const char *p = query ? query : "";

	while (*p) {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		size_t kn = eq ? (size_t)(eq - p) : n;
		char **slot = opt_slot(o, p, kn);

		if (n && !slot)
			return rfs_error_set(
				err, EINVAL,
				"storage '%s': unknown option "
				"'%.*s' (known: region, endpoint, "
				"path_style, profile, cache_ttl, "
				"part_size, verify, attrs, "
				"read_part, read_parallel, "
				"head_parallel, copy_max, checksum)",
				shown, (int)(kn > 64 ? 64 : kn), p);
		if (slot) {
			const char *v = eq ? eq + 1 : p + n;

			if (*slot)
				return rfs_error_set(err, EINVAL,
						     "storage '%s': option "
						     "'%.*s' is given twice",
						     shown, (int)kn, p);
			*slot = decode(v, (size_t)(p + n - v));
			if (!*slot && errno == ENOMEM)
				return -ENOMEM;
			if (!*slot)
				return rfs_error_set(err, EINVAL,
						     "storage '%s': option "
						     "'%.*s' has a bad "
						     "%%-escape",
						     shown, (int)kn, p);
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return 0;
}

static int parse_uint(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "1"/"true"/"yes" -> 1, "0"/"false"/"no" -> 0, else -EINVAL */
static int parse_bool(const char *s)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes"))
		return 1;
	if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no"))
		return 0;
	return -EINVAL;
}

/* ------------------------------------------------------ names and URLs */

static int check_bucket(const char *bucket, bool gs, const char *shown,
			struct rfs_error *err)
{
	size_t n = strlen(bucket), i;
	bool ok = n >= 3 && n <= 63 && isalnum((unsigned char)bucket[0]) &&
		  isalnum((unsigned char)bucket[n - 1]);

	for (i = 0; ok && i < n; i++) {
		unsigned char c = (unsigned char)bucket[i];

		ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '-' || (gs && c == '_');
	}
	if (ok && !strstr(bucket, ".."))
		return 0;
	return rfs_error_set(err, EINVAL,
			     "storage '%s': '%.80s' is not a valid bucket "
			     "name (3 to 63 lower-case letters, digits, '.' "
			     "and '-', starting and ending with a letter or "
			     "digit)",
			     shown, bucket);
}

/* Whether the host of endpoint @p host[0..n) is an IP address or localhost. */
static bool host_is_local(const char *host, size_t n)
{
	char buf[64];
	struct in_addr a;

	if (n && host[0] == '[')
		return true; /* an IPv6 literal */
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, host, n);
	buf[n] = '\0';
	return !strcasecmp(buf, "localhost") ||
	       inet_pton(AF_INET, buf, &a) == 1;
}

/*
 * Check @p url is "http(s)://host[:port][/]"; set *@p norm to it without
 * the trailing '/' and *@p local when its host is an IP address or
 * localhost. @return 0, -EINVAL, -ENOMEM
 */
static int check_endpoint(const char *url, const char *origin,
			  const char *shown, char **norm, bool *local,
			  struct rfs_error *err)
{
	size_t skip, n, hn;
	const char *host, *c;
	bool ok;

	if (!strncasecmp(url, "https://", 8))
		skip = 8;
	else if (!strncasecmp(url, "http://", 7))
		skip = 7;
	else
		skip = 0;
	host = url + skip;
	n = strlen(host);
	if (n && host[n - 1] == '/')
		n--;
	ok = skip && n;
	for (c = host; ok && c < host + n; c++)
		ok = isalnum((unsigned char)*c) || strchr(".-:[]_", *c);
	hn = strcspn(host, host[0] == '[' ? "]" : ":/");
	if (ok && host[0] == '[')
		hn += host[hn] == ']';
	if (ok && hn < n) {
		long port;
		char digits[8];

		ok = host[hn] == ':' && n - hn - 1 < sizeof(digits);
		if (ok) {
			memcpy(digits, host + hn + 1, n - hn - 1);
			digits[n - hn - 1] = '\0';
			ok = !parse_uint(digits, 1, 65535, &port);
		}
	}
	if (!ok) {
		/* A URL with '@' may hold user:secret: never quote it. */
		if (strchr(url, '@'))
			return rfs_error_set(err, EINVAL,
					     "storage '%s': the endpoint from "
					     "%s must be http(s)://host[:port] "
					     "without user information",
					     shown, origin);
		return rfs_error_set(err, EINVAL,
				     "storage '%s': endpoint '%.200s' from %s "
				     "is not an http:// or https:// URL of "
				     "the form http(s)://host[:port]",
				     shown, url, origin);
	}
	*norm = malloc(skip + n + 1);
	if (!*norm)
		return -ENOMEM;
	for (size_t i = 0; i < skip; i++)
		(*norm)[i] = (char)tolower((unsigned char)url[i]);
	memcpy(*norm + skip, host, n);
	(*norm)[skip + n] = '\0';
	*local = host_is_local(host, hn);
	return 0;
}

/* -------------------------------------------------------------- loading */

/* An environment variable, NULL when unset or empty. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static char *home_file(const char *var, const char *rel)
{
	const char *home = env("HOME");
	struct passwd pw, *found = NULL;
	char buf[1024], *out;

	if (env(var))
		return strdup(env(var));
	if (!home) {
		if (!getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) &&
		    found && found->pw_dir)
			home = found->pw_dir;
		else
			home = "/";
	}
	if (asprintf(&out, "%s/%s", home, rel) < 0)
		return NULL;
	return out;
}

/* Where the settings of one profile are. */
struct sources {
	struct rfs_s3_ini cred, cfg;
	char *cred_path, *cfg_path;
	char *cfg_section; /* "default" or "profile NAME" */
	const char *profile;
	bool explicit_profile;
};

static void sources_release(struct sources *s)
{
	rfs_s3_ini_release(&s->cred);
	rfs_s3_ini_release(&s->cfg);
	free(s->cred_path);
	free(s->cfg_path);
	free(s->cfg_section);
}

/* A setting of the profile in the config file ("[profile default]" is
 * also read for the default profile). */
static const char *cfg_get(const struct sources *s, const char *key)
{
	const char *v = rfs_s3_ini_get(&s->cfg, s->cfg_section, key);

	if (!v && !strcmp(s->profile, "default"))
		v = rfs_s3_ini_get(&s->cfg, "profile default", key);
	return v;
}

static int dup_to(char **dst, const char *src)
{
	if (!src) {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int load_keys(struct rfs_s3_conf *c, const struct sources *s,
		     const char *shown, struct rfs_error *err)
{
	const char *ak = NULL, *sk = NULL, *tok = NULL, *where = NULL;
	int r;

	if (!s->explicit_profile &&
	    (env("AWS_ACCESS_KEY_ID") || env("AWS_SECRET_ACCESS_KEY"))) {
		ak = env("AWS_ACCESS_KEY_ID");
		sk = env("AWS_SECRET_ACCESS_KEY");
		tok = env("AWS_SESSION_TOKEN");
		where = "the environment";
	} else if (rfs_s3_ini_get(&s->cred, s->profile, "aws_access_key_id") ||
		   rfs_s3_ini_get(&s->cred, s->profile,
				  "aws_secret_access_key")) {
		ak = rfs_s3_ini_get(&s->cred, s->profile, "aws_access_key_id");
		sk = rfs_s3_ini_get(&s->cred, s->profile,
				    "aws_secret_access_key");
		tok = rfs_s3_ini_get(&s->cred, s->profile, "aws_session_token");
		if (!tok)
			tok = rfs_s3_ini_get(&s->cred, s->profile,
					     "aws_security_token");
		where = s->cred_path;
	} else if (cfg_get(s, "aws_access_key_id") ||
		   cfg_get(s, "aws_secret_access_key")) {
		ak = cfg_get(s, "aws_access_key_id");
		sk = cfg_get(s, "aws_secret_access_key");
		tok = cfg_get(s, "aws_session_token");
		if (!tok)
			tok = cfg_get(s, "aws_security_token");
		where = s->cfg_path;
	}
	if (where && (!ak || !sk) && !strcmp(where, "the environment"))
		return rfs_error_set(err, EACCES,
				     "storage '%s': AWS_ACCESS_KEY_ID and "
				     "AWS_SECRET_ACCESS_KEY must be set "
				     "together",
				     shown);
	if (where && (!ak || !sk))
		return rfs_error_set(err, EACCES,
				     "storage '%s': profile '%s' in '%s' needs "
				     "both aws_access_key_id and "
				     "aws_secret_access_key",
				     shown, s->profile, where);
	if (!where)
		return rfs_error_set(
			err, EACCES,
			"storage '%s': no credentials found: %sprofile '%s' "
			"has no aws_access_key_id and aws_secret_access_key "
			"in '%s' or '%s'",
			shown,
			s->explicit_profile
				? ""
				: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are "
				  "not set and ",
			s->profile, s->cred_path, s->cfg_path);
	r = dup_to(&c->access_key, ak);
	if (!r)
		r = dup_to(&c->secret_key, sk);
	if (!r)
		r = dup_to(&c->session_token, tok);
	return r;
}

static int check_profile(const char *profile, const char *shown,
			 struct rfs_error *err)
{
	if (!*profile || strpbrk(profile, "[]\n\r"))
		return rfs_error_set(err, EINVAL,
				     "storage '%s': profile name '%.64s' is "
				     "not valid",
				     shown, profile);
	return 0;
}

static int open_sources(struct sources *s, const struct opts *o,
			const char *shown, struct rfs_error *err)
{
	int r;

	s->explicit_profile = o->profile != NULL;
	s->profile = o->profile		  ? o->profile
		     : env("AWS_PROFILE") ? env("AWS_PROFILE")
					  : "default";
	r = check_profile(s->profile, shown, err);
	if (r < 0)
		return r;
	s->cred_path =
		home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	s->cfg_path = home_file("AWS_CONFIG_FILE", ".aws/config");
	if (!strcmp(s->profile, "default"))
		s->cfg_section = strdup("default");
	else if (asprintf(&s->cfg_section, "profile %s", s->profile) < 0)
		s->cfg_section = NULL;
	if (!s->cred_path || !s->cfg_path || !s->cfg_section)
		return -ENOMEM;
	r = rfs_s3_ini_load(&s->cred, s->cred_path, shown, err);
	if (!r)
		r = rfs_s3_ini_load(&s->cfg, s->cfg_path, shown, err);
	return r;
}

static const char *first(const char *a, const char *b)
{
	return a ? a : b;
}

static int check_region(const char *region, const char *shown,
			struct rfs_error *err)
{
	if (!*region || strlen(region) > 64 || strpbrk(region, "/ \n\r\t"))
		return rfs_error_set(err, EINVAL,
				     "storage '%s': region '%.64s' is not "
				     "valid",
				     shown, region);
	return 0;
}

/* @return 1 or 0 as path_style=VALUE says, or -EINVAL */
static int check_path_style(const char *value, const char *shown,
			    struct rfs_error *err)
{
	int b = parse_bool(value);

	if (b < 0)
		return rfs_error_set(err, EINVAL,
				     "storage '%s': path_style must be 1 or 0",
				     shown);
	return b;
}

/* Region and endpoint, from the URI, the environment, the config file
 * or the defaults. */
static int load_location(struct rfs_s3_conf *c, const struct opts *o,
			 const struct sources *s, bool gs, const char *shown,
			 struct rfs_error *err)
{
	const char *region = o->region, *ep = o->endpoint, *origin = "the URI";
	char *def = NULL;
	bool local = false;
	int r, b;

	if (!gs) {
		region = first(region, env("AWS_REGION"));
		region = first(region, env("AWS_DEFAULT_REGION"));
		region = first(region, cfg_get(s, "region"));
	}
	region = first(region, gs ? "auto" : "us-east-1");
	r = check_region(region, shown, err);
	if (r < 0)
		return r;
	if (!ep && !gs) {
		static const char *const vars[] = { "AWS_ENDPOINT_URL_S3",
						    "AWS_ENDPOINT_URL" };

		for (size_t i = 0; !ep && i < 2; i++)
			if ((ep = env(vars[i])))
				origin = vars[i];
		if (!ep && (ep = cfg_get(s, "s3.endpoint_url")))
			origin = s->cfg_path;
		if (!ep && (ep = cfg_get(s, "endpoint_url")))
			origin = s->cfg_path;
	}
	if (!ep && gs)
		ep = "https://storage.googleapis.com";
	if (!ep) {
		if (asprintf(&def, "https://s3.%s.amazonaws.com", region) < 0)
			return -ENOMEM;
		ep = def;
		origin = "the region";
	}
	r = check_endpoint(ep, origin, shown, &c->endpoint, &local, err);
	free(def);
	if (r < 0)
		return r;
	r = dup_to(&c->region, region);
	if (r < 0)
		return r;
	c->path_style = local || strchr(c->bucket, '.');
	if (o->path_style) {
		b = check_path_style(o->path_style, shown, err);
		if (b < 0)
			return b;
		c->path_style = b;
	}
	return 0;
}

static int load_tuning(struct rfs_s3_conf *c, const struct opts *o,
		       const char *shown, struct rfs_error *err)
{
	long v;

	c->cache_ttl = CACHE_TTL_DEFAULT;
	if (o->cache_ttl) {
		if (parse_uint(o->cache_ttl, 0, CACHE_TTL_MAX, &v) < 0)
			return rfs_error_set(err, EINVAL,
					     "storage '%s': cache_ttl must be "
					     "0 to %d seconds",
					     shown, CACHE_TTL_MAX);
		c->cache_ttl = (int)v;
	}
	c->part_size = (size_t)PART_MIB_DEFAULT << 20;
	if (o->part_size) {
		if (parse_uint(o->part_size, PART_MIB_MIN, PART_MIB_MAX, &v) <
		    0)
			return rfs_error_set(err, EINVAL,
					     "storage '%s': part_size must be "
					     "%d to %d (MiB)",
					     shown, PART_MIB_MIN, PART_MIB_MAX);
		c->part_size = (size_t)v << 20;
	}
	c->read_part = (size_t)READ_PART_DEFAULT << 20;
	if (o->read_part) {
		if (parse_uint(o->read_part, 1, READ_PART_MAX, &v) < 0)
			return rfs_error_set(err, EINVAL,
					     "storage '%s': read_part must be "
					     "1 to %d (MiB)",
					     shown, READ_PART_MAX);
		c->read_part = (size_t)v << 20;
	}
	c->read_parallel = READ_PARALLEL_DEFAULT;
	if (o->read_parallel) {
		if (parse_uint(o->read_parallel, 1, READ_PARALLEL_MAX, &v) < 0)
			return rfs_error_set(err, EINVAL,
					     "storage '%s': read_parallel must "
					     "be 1 to %d",
					     shown, READ_PARALLEL_MAX);
		c->read_parallel = (unsigned int)v;
	}
	c->copy_max = (size_t)PART_MIB_MAX << 20;
	if (o->copy_max) {
		if (parse_uint(o->copy_max, PART_MIB_MIN, PART_MIB_MAX, &v) < 0)
			return rfs_error_set(err, EINVAL,
					     "storage '%s': copy_max must be "
					     "%d to %d (MiB)",
					     shown, PART_MIB_MIN, PART_MIB_MAX);
		c->copy_max = (size_t)v << 20;
	}
	c->head_parallel = HEAD_PARALLEL_DEFAULT;
	if (o->head_parallel) {
		if (parse_uint(o->head_parallel, 1, HEAD_PARALLEL_MAX, &v) < 0)
			return rfs_error_set(err, EINVAL,
					     "storage '%s': head_parallel must "
					     "be 1 to %d",
					     shown, HEAD_PARALLEL_MAX);
		c->head_parallel = (unsigned int)v;
	}
	if ((c->read_part >> 20) * c->read_parallel > READ_WINDOW_MIB)
		return rfs_error_set(err, EINVAL,
				     "storage '%s': read_part times "
				     "read_parallel must be at most %d (MiB "
				     "a file reads ahead)",
				     shown, READ_WINDOW_MIB);
	if (o->verify && strcmp(o->verify, "attest") &&
	    strcmp(o->verify, "full") && strcmp(o->verify, "download") &&
	    strcmp(o->verify, "etag"))
		return rfs_error_set(err, EINVAL,
				     "storage '%s': verify must be 'attest' "
				     "or 'full'",
				     shown);
	/* "download" and "etag" are the older names of full and attest */
	c->verify_etag = o->verify && !strcmp(o->verify, "etag");
	c->verify_full = o->verify && (!strcmp(o->verify, "full") ||
				       !strcmp(o->verify, "download"));
	if (o->attrs && strcmp(o->attrs, "meta") && strcmp(o->attrs, "listing"))
		return rfs_error_set(err, EINVAL,
				     "storage '%s': attrs must be 'meta' or "
				     "'listing'",
				     shown);
	c->attrs_listing = o->attrs && !strcmp(o->attrs, "listing");
	if (o->checksum && strcmp(o->checksum, "auto") &&
	    strcmp(o->checksum, "read"))
		return rfs_error_set(err, EINVAL,
				     "storage '%s': checksum must be 'auto' "
				     "or 'read'",
				     shown);
	c->checksum_read = o->checksum && !strcmp(o->checksum, "read");
	return 0;
}

static int load_all(struct rfs_s3_conf *c, const char *scheme, const char *path,
		    const char *query, const char *shown, struct rfs_error *err)
{
	bool gs = !strcmp(scheme, "gs");
	struct sources s = { 0 };
	struct opts o = { 0 };
	size_t n;
	int r;

	r = parse_opts(query, &o, shown, err);
	if (!r)
		r = check_bucket(c->bucket, gs, shown, err);
	if (!r)
		r = load_tuning(c, &o, shown, err);
	if (!r)
		r = open_sources(&s, &o, shown, err);
	if (!r)
		r = load_location(c, &o, &s, gs, shown, err);
	if (!r)
		r = load_keys(c, &s, shown, err);
	if (!r)
		r = dup_to(&c->profile, s.profile);
	if (!r)
		r = dup_to(&c->ca_bundle, first(env("AWS_CA_BUNDLE"),
						cfg_get(&s, "ca_bundle")));
	if (!r) {
		while (path && *path == '/')
			path++;
		n = path ? strlen(path) : 0;
		while (n && path[n - 1] == '/')
			n--;
		c->prefix = strndup(path ? path : "", n);
		if (!c->prefix)
			r = -ENOMEM;
	}
	sources_release(&s);
	opts_release(&o);
	return r;
}

int rfs_s3_conf_load(const char *scheme, const char *bucket, const char *path,
		     const char *query, const char *uri,
		     struct rfs_s3_conf *out, struct rfs_error *err)
{
	struct rfs_s3_conf c = { 0 };
	char *shown = rfs_uri_strip_query(uri);
	int r;

	c.bucket = strdup(bucket);
	if (!shown || !c.bucket) {
		r = -ENOMEM;
		goto out;
	}
	r = load_all(&c, scheme, path, query, shown, err);
out:
	if (r < 0) {
		if (r == -ENOMEM)
			rfs_error_errno(err, ENOMEM, "loading S3 settings");
		rfs_s3_conf_release(&c);
	} else {
		*out = c;
	}
	free(shown);
	return r;
}

int rfs_s3_conf_check(const char *scheme, const char *bucket, const char *query,
		      const char *uri, struct rfs_error *err)
{
	struct rfs_s3_conf c = { 0 };
	char *shown = rfs_uri_strip_query(uri), *ep = NULL;
	struct opts o = { 0 };
	bool local;
	int r = shown ? 0 : -ENOMEM;

	if (!r)
		r = parse_opts(query, &o, shown, err);
	if (!r)
		r = check_bucket(bucket, !strcmp(scheme, "gs"), shown, err);
	if (!r)
		r = load_tuning(&c, &o, shown, err);
	if (!r && o.region)
		r = check_region(o.region, shown, err);
	if (!r && o.endpoint)
		r = check_endpoint(o.endpoint, "the URI", shown, &ep, &local,
				   err);
	if (!r && o.path_style)
		r = check_path_style(o.path_style, shown, err);
	if (!r && o.profile)
		r = check_profile(o.profile, shown, err);
	if (r == -ENOMEM)
		rfs_error_errno(err, ENOMEM, "checking S3 settings");
	free(ep);
	opts_release(&o);
	free(shown);
	return r < 0 ? r : 0;
}

void rfs_s3_conf_release(struct rfs_s3_conf *c)
{
	if (!c)
		return;
	free(c->endpoint);
	free(c->region);
	free(c->bucket);
	free(c->prefix);
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	free(c->ca_bundle);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}
