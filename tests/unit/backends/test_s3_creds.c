/*
 * backends/s3/creds.c: where an S3 storage's endpoint, region and keys
 * come from. Each test runs in its own process (Criterion), with every
 * AWS_* variable unset and HOME a fresh directory, and sets what it needs.
 */
#include "backends/s3/s3_priv.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

#define SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define FSECRET "fileSecretDoNotShow0123456789abcdefghijk"

static char home[64];

static void clear_aws_env(void)
{
	char name[256];
	bool again = true;

	while (again) {
		again = false;
		for (char **e = environ; *e; e++) {
			size_t n = strcspn(*e, "=");

			if (!strncmp(*e, "AWS_", 4) && n < sizeof(name)) {
				memcpy(name, *e, n);
				name[n] = '\0';
				unsetenv(name);
				again = true;
				break;
			}
		}
	}
}

static void setup(void)
{
	char dir[128];

	clear_aws_env();
	strcpy(home, "/tmp/rfs-s3creds-XXXXXX");
	cr_assert_not_null(mkdtemp(home));
	snprintf(dir, sizeof(dir), "%s/.aws", home);
	cr_assert_eq(mkdir(dir, 0700), 0);
	setenv("HOME", home, 1);
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(s3_creds, .init = setup, .fini = teardown);

/* Write @p text to HOME/@p rel. */
static void put(const char *rel, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", home, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}

static void env_keys(void)
{
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
}

static int load(const char *scheme, const char *bucket, const char *path,
		const char *query, struct rfs_s3_conf *c, struct rfs_error *e)
{
	char uri[512];

	snprintf(uri, sizeof(uri), "%s://%s/%s%s%s", scheme, bucket, path,
		 *query ? "?" : "", query);
	memset(c, 0, sizeof(*c));
	return rfs_s3_conf_load(scheme, bucket, path, query, uri, c, e);
}

static void load_ok(const char *scheme, const char *bucket, const char *query,
		    struct rfs_s3_conf *c)
{
	struct rfs_error e = { 0 };
	int r = load(scheme, bucket, "", query, c, &e);

	cr_assert_eq(r, 0, "%d: %s", r, e.msg);
}

/* Expect @p err from loading, with a message holding no secret. */
static void load_fails(const char *bucket, const char *query, int err,
		       struct rfs_error *e)
{
	struct rfs_s3_conf c;

	memset(e, 0, sizeof(*e));
	cr_assert_eq(load("s3", bucket, "p", query, &c, e), -err, "%s", e->msg);
	cr_assert_eq(e->code, err);
	cr_assert_null(strstr(e->msg, SECRET));
	cr_assert_null(strstr(e->msg, FSECRET));
	cr_assert_null(strstr(e->msg, "AKIA"), "%s", e->msg);
	cr_assert_null(c.secret_key); /* untouched */
}

Test(s3_creds, environment_keys_and_defaults)
{
	struct rfs_s3_conf c;
	struct rfs_error e = { 0 };

	env_keys();
	cr_assert_eq(load("s3", "lake-bucket", "raw/orders", "", &c, &e), 0);
	cr_assert_str_eq(c.endpoint, "https://s3.us-east-1.amazonaws.com");
	cr_assert_str_eq(c.region, "us-east-1");
	cr_assert_str_eq(c.bucket, "lake-bucket");
	cr_assert_str_eq(c.prefix, "raw/orders");
	cr_assert_not(c.path_style);
	cr_assert_str_eq(c.access_key, "AKIAENVEXAMPLE");
	cr_assert_str_eq(c.secret_key, SECRET);
	cr_assert_null(c.session_token);
	cr_assert_null(c.ca_bundle);
	cr_assert_str_eq(c.profile, "default");
	cr_assert_eq(c.cache_ttl, 10);
	cr_assert_eq(c.part_size, (size_t)16 << 20);
	cr_assert_not(c.verify_etag);
	cr_assert_not(c.verify_full); /* attest is the default */
	cr_assert_not(c.attrs_listing);
	rfs_s3_conf_release(&c);
	cr_assert_null(c.secret_key);
	rfs_s3_conf_release(&c); /* twice: harmless */
	rfs_s3_conf_release(NULL);
}

Test(s3_creds, session_token_from_environment)
{
	struct rfs_s3_conf c;

	env_keys();
	setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzE", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.session_token, "FQoGZXIvYXdzE");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, uri_options_win)
{
	struct rfs_s3_conf c;

	env_keys();
	setenv("AWS_REGION", "eu-west-1", 1);
	setenv("AWS_ENDPOINT_URL", "https://env.example", 1);
	put(".aws/config", "[default]\nregion = ap-south-1\n");
	load_ok("s3", "bucket",
		"region=us-west-2&endpoint=http%3A%2F%2Fminio.local%3A9000%2F"
		"&cache_ttl=0&part_size=64&verify=etag&path_style=true"
		"&attrs=listing",
		&c);
	cr_assert_str_eq(c.region, "us-west-2");
	cr_assert_str_eq(c.endpoint, "http://minio.local:9000");
	cr_assert(c.path_style);
	cr_assert_eq(c.cache_ttl, 0);
	cr_assert_eq(c.part_size, (size_t)64 << 20);
	cr_assert(c.verify_etag);
	cr_assert(c.attrs_listing);
	rfs_s3_conf_release(&c);
}

Test(s3_creds, environment_wins_over_profile_files)
{
	struct rfs_s3_conf c;

	put(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\n"
				"aws_secret_access_key = " FSECRET "\n");
	put(".aws/config", "[default]\nregion = ap-south-1\n"
			   "endpoint_url = https://file.example\n"
			   "ca_bundle = /file/ca.pem\n");
	env_keys();
	setenv("AWS_DEFAULT_REGION", "eu-west-2", 1);
	setenv("AWS_ENDPOINT_URL", "https://env.example:8443", 1);
	setenv("AWS_CA_BUNDLE", "/env/ca.pem", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.access_key, "AKIAENVEXAMPLE");
	cr_assert_str_eq(c.secret_key, SECRET);
	cr_assert_str_eq(c.region, "eu-west-2");
	cr_assert_str_eq(c.endpoint, "https://env.example:8443");
	cr_assert_str_eq(c.ca_bundle, "/env/ca.pem");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, profile_files_win_over_defaults)
{
	struct rfs_s3_conf c;

	put(".aws/credentials",
	    "# keys\r\n[other]\r\naws_access_key_id=AKIAOTHER\r\n"
	    "aws_secret_access_key=x\r\n\r\n[default]\r\n"
	    "  aws_access_key_id  =  AKIAFILE  \r\n"
	    "; comment\r\naws_secret_access_key = " FSECRET "\r\n"
	    "aws_session_token = tok/en+=\r\n");
	put(".aws/config", "[default]\nregion = eu-central-1\n"
			   "ca_bundle = /file/ca.pem\n");
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.access_key, "AKIAFILE");
	cr_assert_str_eq(c.secret_key, FSECRET);
	cr_assert_str_eq(c.session_token, "tok/en+=");
	cr_assert_str_eq(c.region, "eu-central-1");
	cr_assert_str_eq(c.endpoint, "https://s3.eu-central-1.amazonaws.com");
	cr_assert_str_eq(c.ca_bundle, "/file/ca.pem");
	cr_assert_str_eq(c.profile, "default");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, aws_profile_with_nested_s3_endpoint)
{
	struct rfs_s3_conf c;

	put(".aws/credentials", "[default]\naws_access_key_id = AKIADEF\n"
				"aws_secret_access_key = d\n"
				"[prod]\naws_access_key_id = AKIAPROD\n"
				"aws_secret_access_key = " FSECRET "\n");
	put(".aws/config", "[default]\nregion = us-west-1\n"
			   "[profile prod]\nregion = eu-north-1\n"
			   "endpoint_url = https://global.example\n"
			   "s3 =\n"
			   "  endpoint_url = http://10.0.0.5:7480\n"
			   "  addressing_style = path\n"
			   "output = json\n");
	setenv("AWS_PROFILE", "prod", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.access_key, "AKIAPROD");
	cr_assert_str_eq(c.region, "eu-north-1");
	cr_assert_str_eq(c.endpoint, "http://10.0.0.5:7480");
	cr_assert(c.path_style); /* an IP address */
	cr_assert_str_eq(c.profile, "prod");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, global_endpoint_url_of_profile)
{
	struct rfs_s3_conf c;

	env_keys();
	put(".aws/config", "[profile default]\nendpoint_url = "
			   "https://objects.example/\n");
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.endpoint, "https://objects.example");
	cr_assert_not(c.path_style);
	rfs_s3_conf_release(&c);
}

Test(s3_creds, nested_block_keys_stay_in_their_block)
{
	struct rfs_s3_conf c;

	env_keys();
	put(".aws/config", "[default]\ns3 =\n  region = wrong-1\n"
			   "  endpoint_url = https://s3-only.example\n"
			   "region = right-1\n\n[profile x]\nregion = x-1\n");
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.region, "right-1");
	cr_assert_str_eq(c.endpoint, "https://s3-only.example");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, explicit_profile_skips_environment_keys)
{
	struct rfs_s3_conf c;

	env_keys();
	put(".aws/credentials", "[prod]\naws_access_key_id = AKIAPROD\n"
				"aws_secret_access_key = " FSECRET "\n");
	load_ok("s3", "bucket", "profile=prod", &c);
	cr_assert_str_eq(c.access_key, "AKIAPROD");
	cr_assert_str_eq(c.secret_key, FSECRET);
	rfs_s3_conf_release(&c);
	/* AWS_PROFILE is not explicit: the environment's keys win */
	setenv("AWS_PROFILE", "prod", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.access_key, "AKIAENVEXAMPLE");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, keys_in_config_file_and_file_variables)
{
	struct rfs_s3_conf c;
	char path[160];

	put("cfg", "[profile p]\naws_access_key_id = AKIACFG\n"
		   "aws_secret_access_key = " FSECRET "\n"
		   "aws_security_token = old-token\n");
	put("creds", "[p]\nregion = ignored-here\n");
	put(".aws/credentials", "[p]\naws_access_key_id = AKIAHOME\n"
				"aws_secret_access_key = h\n");
	snprintf(path, sizeof(path), "%s/cfg", home);
	setenv("AWS_CONFIG_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/creds", home);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	load_ok("s3", "bucket", "profile=p", &c);
	cr_assert_str_eq(c.access_key, "AKIACFG");
	cr_assert_str_eq(c.session_token, "old-token");
	cr_assert_str_eq(c.region, "us-east-1");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, endpoint_precedence)
{
	struct rfs_s3_conf c;

	env_keys();
	put(".aws/config", "[default]\nendpoint_url = https://cfg.example\n"
			   "s3 =\n    endpoint_url = https://cfg-s3.example\n");
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.endpoint, "https://cfg-s3.example");
	rfs_s3_conf_release(&c);
	setenv("AWS_ENDPOINT_URL", "https://global.example", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.endpoint, "https://global.example");
	rfs_s3_conf_release(&c);
	setenv("AWS_ENDPOINT_URL_S3", "HTTP://LOCALHOST:9000", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.endpoint, "http://LOCALHOST:9000");
	cr_assert(c.path_style);
	rfs_s3_conf_release(&c);
}

Test(s3_creds, region_precedence)
{
	struct rfs_s3_conf c;

	env_keys();
	setenv("AWS_DEFAULT_REGION", "eu-west-2", 1);
	setenv("AWS_REGION", "eu-west-3", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.region, "eu-west-3");
	cr_assert_str_eq(c.endpoint, "https://s3.eu-west-3.amazonaws.com");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, missing_credentials_name_where_they_were_looked_for)
{
	struct rfs_error e;
	char want[200];

	put(".aws/credentials", "[other]\naws_access_key_id = AKIAOTHER\n"
				"aws_secret_access_key = " FSECRET "\n");
	load_fails("bucket", "", EACCES, &e);
	cr_assert_neq(strstr(e.msg, "s3://bucket/p"), NULL, "%s", e.msg);
	cr_assert_neq(strstr(e.msg, "profile 'default'"), NULL, "%s", e.msg);
	cr_assert_neq(strstr(e.msg, "AWS_ACCESS_KEY_ID"), NULL, "%s", e.msg);
	snprintf(want, sizeof(want), "'%s/.aws/credentials'", home);
	cr_assert_neq(strstr(e.msg, want), NULL, "%s", e.msg);
	snprintf(want, sizeof(want), "'%s/.aws/config'", home);
	cr_assert_neq(strstr(e.msg, want), NULL, "%s", e.msg);
	load_fails("bucket", "profile=nosuch", EACCES, &e);
	cr_assert_neq(strstr(e.msg, "profile 'nosuch'"), NULL, "%s", e.msg);
}

Test(s3_creds, incomplete_credentials)
{
	struct rfs_error e;

	setenv("AWS_ACCESS_KEY_ID", "AKIAONLYKEY", 1);
	load_fails("bucket", "", EACCES, &e);
	cr_assert_neq(strstr(e.msg, "AWS_SECRET_ACCESS_KEY"), NULL);
	unsetenv("AWS_ACCESS_KEY_ID");
	put(".aws/credentials", "[default]\n"
				"aws_secret_access_key = " FSECRET "\n");
	load_fails("bucket", "", EACCES, &e);
	cr_assert_neq(strstr(e.msg, "aws_access_key_id"), NULL, "%s", e.msg);
}

Test(s3_creds, gs_defaults)
{
	struct rfs_s3_conf c;

	env_keys();
	/* AWS settings name AWS: they do not apply to gs:// */
	setenv("AWS_REGION", "eu-west-1", 1);
	setenv("AWS_ENDPOINT_URL", "https://env.example", 1);
	load_ok("gs", "my_gcs-bucket", "", &c);
	cr_assert_str_eq(c.endpoint, "https://storage.googleapis.com");
	cr_assert_str_eq(c.region, "auto");
	cr_assert_not(c.path_style);
	cr_assert_str_eq(c.access_key, "AKIAENVEXAMPLE");
	rfs_s3_conf_release(&c);
	load_ok("gs", "bucket", "region=europe-west1", &c);
	cr_assert_str_eq(c.region, "europe-west1");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, bad_endpoints)
{
	static const char *const bad[] = {
		"endpoint=ftp%3A%2F%2Fhost",
		"endpoint=host.example",
		"endpoint=http%3A%2F%2F",
		"endpoint=http%3A%2F%2Fhost%2Fpath",
		"endpoint=http%3A%2F%2Fhost%3A99999",
		"endpoint=http%3A%2F%2Fhost%3A",
		"endpoint=https%3A%2F%2Fhost%3Fq%3D1",
		"endpoint=http%3A%2F%2Fh%20st",
	};
	struct rfs_error e;

	env_keys();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		load_fails("bucket", bad[i], EINVAL, &e);
		cr_assert_neq(strstr(e.msg, "endpoint"), NULL, "%s", e.msg);
	}
	load_fails("bucket", "endpoint=http%3A%2F%2Fuser%3Apw0rd%40host",
		   EINVAL, &e);
	cr_assert_null(strstr(e.msg, "pw0rd"), "%s", e.msg);
	setenv("AWS_ENDPOINT_URL", "s3.example.com", 1);
	load_fails("bucket", "", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "AWS_ENDPOINT_URL"), NULL, "%s", e.msg);
}

Test(s3_creds, bad_buckets)
{
	static const char *const bad[] = {
		"ab",
		"Upper",
		"under_score",
		"-dash",
		"dash-",
		"a..b",
		"a b",
		"bucket:9000",
		"a123456789012345678901234567890123456789012345678901234567890123",
	};
	struct rfs_error e;

	env_keys();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		load_fails(bad[i], "", EINVAL, &e);
		cr_assert_neq(strstr(e.msg, "bucket"), NULL, "%s", e.msg);
	}
}

Test(s3_creds, part_size_and_other_bounds)
{
	struct rfs_s3_conf c;
	struct rfs_error e;

	env_keys();
	load_ok("s3", "bucket", "part_size=5", &c);
	cr_assert_eq(c.part_size, (size_t)5 << 20);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "part_size=5120&cache_ttl=604800", &c);
	cr_assert_eq(c.part_size, (size_t)5120 << 20);
	cr_assert_eq(c.cache_ttl, 604800);
	rfs_s3_conf_release(&c);
	load_fails("bucket", "part_size=4", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "part_size"), NULL);
	load_fails("bucket", "part_size=5121", EINVAL, &e);
	load_fails("bucket", "part_size=16M", EINVAL, &e);
	load_fails("bucket", "part_size=", EINVAL, &e);
	load_fails("bucket", "part_size=-5", EINVAL, &e);
	load_fails("bucket", "cache_ttl=-1", EINVAL, &e);
	load_fails("bucket", "cache_ttl=604801", EINVAL, &e);
	load_fails("bucket", "verify=md5", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "verify must be 'attest' or 'full'"), NULL,
		      "%s", e.msg);
	load_fails("bucket", "attrs=head", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "attrs must be 'meta' or 'listing'"), NULL,
		      "%s", e.msg);
	load_fails("bucket", "attrs=", EINVAL, &e);
	load_fails("bucket", "path_style=maybe", EINVAL, &e);
	load_fails("bucket", "region=a%2Fb", EINVAL, &e);
	load_fails("bucket", "profile=a%5Db", EINVAL, &e);
	load_fails("bucket", "colour=blue", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "'colour'"), NULL, "%s", e.msg);
	load_fails("bucket", "region=a&region=b", EINVAL, &e);
	load_fails("bucket", "region=%zz", EINVAL, &e);
	load_ok("s3", "bucket", "verify=download", &c);
	cr_assert_not(c.verify_etag);
	cr_assert(c.verify_full);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "verify=full", &c);
	cr_assert(c.verify_full);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "verify=attest", &c);
	cr_assert_not(c.verify_full);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "attrs=meta", &c);
	cr_assert_not(c.attrs_listing);
	rfs_s3_conf_release(&c);
}

Test(s3_creds, ca_bundle_from_environment)
{
	struct rfs_s3_conf c;

	env_keys();
	setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt", 1);
	load_ok("s3", "bucket", "", &c);
	cr_assert_str_eq(c.ca_bundle, "/etc/ssl/certs/ca-certificates.crt");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, path_style_rules)
{
	struct rfs_s3_conf c;

	env_keys();
	load_ok("s3", "bucket", "endpoint=http%3A%2F%2F127.0.0.1%3A7480", &c);
	cr_assert(c.path_style);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "endpoint=http%3A%2F%2F%5B%3A%3A1%5D%3A9000",
		&c);
	cr_assert(c.path_style);
	cr_assert_str_eq(c.endpoint, "http://[::1]:9000");
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "endpoint=http%3A%2F%2Flocalhost", &c);
	cr_assert(c.path_style);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "endpoint=https%3A%2F%2Fs3.example.com", &c);
	cr_assert_not(c.path_style);
	rfs_s3_conf_release(&c);
	load_ok("s3", "my.dotted.bucket", "", &c);
	cr_assert(c.path_style); /* TLS wildcards do not cover dots */
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "path_style=1", &c);
	cr_assert(c.path_style);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket",
		"path_style=0&endpoint=http%3A%2F%2F127.0.0.1%3A7480", &c);
	cr_assert_not(c.path_style);
	rfs_s3_conf_release(&c);
}

Test(s3_creds, prefix_loses_its_slashes)
{
	struct rfs_s3_conf c;
	struct rfs_error e = { 0 };

	env_keys();
	cr_assert_eq(rfs_s3_conf_load("s3", "bucket", "/a/b/", "",
				      "s3://bucket/a/b/", &c, &e),
		     0);
	cr_assert_str_eq(c.prefix, "a/b");
	rfs_s3_conf_release(&c);
	cr_assert_eq(rfs_s3_conf_load("s3", "bucket", NULL, NULL, "s3://bucket",
				      &c, &e),
		     0);
	cr_assert_str_eq(c.prefix, "");
	rfs_s3_conf_release(&c);
}

Test(s3_creds, unreadable_file_is_an_error)
{
	struct rfs_error e;

	if (geteuid() == 0) {
		/* root reads anything: use a directory instead */
		char path[160];

		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
		cr_assert_eq(mkdir(path, 0700), 0);
	} else {
		put(".aws/credentials", "[default]\n");
		char path[160];

		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
		cr_assert_eq(chmod(path, 0), 0);
	}
	load_fails("bucket", "", EACCES, &e);
	cr_assert_neq(strstr(e.msg, "credentials"), NULL, "%s", e.msg);
}

Test(s3_creds, read_part_and_read_parallel_bound_the_read_ahead)
{
	struct rfs_s3_conf c;
	struct rfs_error e;

	env_keys();
	load_ok("s3", "bucket", "", &c);
	cr_assert_eq(c.read_part, (size_t)2 << 20);
	cr_assert_eq(c.read_parallel, 4);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "read_part=8&read_parallel=8", &c);
	cr_assert_eq(c.read_part, (size_t)8 << 20);
	cr_assert_eq(c.read_parallel, 8);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "read_part=1&read_parallel=1", &c);
	rfs_s3_conf_release(&c);
	load_fails("bucket", "read_part=0", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "read_part must be 1 to 16"), NULL, "%s",
		      e.msg);
	load_fails("bucket", "read_part=17", EINVAL, &e);
	load_fails("bucket", "read_parallel=0", EINVAL, &e);
	load_fails("bucket", "read_parallel=17", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "read_parallel must be 1 to 16"), NULL,
		      "%s", e.msg);
	/* one file's window stays at most 64 MiB */
	load_fails("bucket", "read_part=16&read_parallel=8", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "at most 64"), NULL, "%s", e.msg);
}

Test(s3_creds, head_parallel_is_1_to_64)
{
	struct rfs_s3_conf c;
	struct rfs_error e;

	env_keys();
	load_ok("s3", "bucket", "", &c);
	cr_assert_eq(c.head_parallel, 32);
	rfs_s3_conf_release(&c);
	load_ok("s3", "bucket", "head_parallel=8", &c);
	cr_assert_eq(c.head_parallel, 8);
	rfs_s3_conf_release(&c);
	load_fails("bucket", "head_parallel=0", EINVAL, &e);
	load_ok("s3", "bucket", "head_parallel=64", &c);
	cr_assert_eq(c.head_parallel, 64);
	rfs_s3_conf_release(&c);
	load_fails("bucket", "head_parallel=65", EINVAL, &e);
	cr_assert_neq(strstr(e.msg, "head_parallel must be 1 to 64"), NULL,
		      "%s", e.msg);
}
