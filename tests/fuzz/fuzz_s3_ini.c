/*
 * AWS shared config and credentials files (backends/s3/ini.c, creds.c):
 * the input is written to a memory file (memfd) that AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE both name (/proc/self/fd/N), read with
 * rfs_s3_ini_load() and then used by rfs_s3_conf_load() for an "s3" or a "gs"
 * URI or a named profile (by the input's length), as a mount would. No request
 * is sent.
 */
#include "backends/s3/s3_priv.h"
#include "fuzz.h"
#include "util/error.h"

#include <assert.h>
#include <sys/mman.h>
#include <stdio.h>
#include <unistd.h>

static char path[64];
static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_REGION",	     "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL",  "AWS_ENDPOINT_URL_S3",
		"AWS_CA_BUNDLE",
	};
	(void)argc;
	(void)argv;
	fd = memfd_create("aws-config", 0);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("AWS_CONFIG_FILE", path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	return 0;
}

static void load(const char *scheme, const char *query)
{
	struct rfs_s3_conf c = { 0 };
	struct rfs_error err = { 0 };

	if (rfs_s3_conf_load(scheme, "bucket", "a/b", query, "s3://bucket/a/b",
			     &c, &err) == 0) {
		assert(c.endpoint && c.region && c.bucket && c.access_key);
		rfs_s3_conf_release(&c);
	} else {
		assert(*err.msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfs_s3_ini f = { 0 };
	struct rfs_error err = { 0 };

	if (ftruncate(fd, 0) < 0 ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (rfs_s3_ini_load(&f, path, "s3://bucket", &err) == 0) {
		rfs_s3_ini_get(&f, "default", "aws_access_key_id");
		rfs_s3_ini_get(&f, "profile p", "s3.endpoint_url");
		for (size_t i = 0; i < f.n; i++)
			assert(f.e[i].section && f.e[i].key && f.e[i].value);
	}
	rfs_s3_ini_release(&f);
	/* one load per input: each reads both files into a 1 MiB buffer,
	 * which ASan makes slow */
	switch (size % 3) {
	case 0:
		load("s3", NULL);
		break;
	case 1:
		load("gs", NULL);
		break;
	default:
		load("s3", "profile=p");
		break;
	}
	return 0;
}
