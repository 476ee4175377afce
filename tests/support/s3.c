/*
 * Test helpers for the S3 adapter: endpoints from the environment that
 * scripts/servers.sh prepares, buckets made and dropped with the
 * adapter's own signed requests, and the aws command line.
 */
#include "tests/support/s3.h"

#include "backends/s3/s3_priv.h"
#include "tests/support/cmd.h"
#include "util/buf.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *endpoint_of(const char *var, const char *why_var,
			       const char *what)
{
	const char *e = getenv(var), *why = getenv(why_var);

	if (!e || !*e)
		cr_assert_fail(
			"%s is not set: %s (scripts/servers.sh starts %s; "
			"`make test` runs it)",
			var, why && *why ? why : "no server was started", what);
	return e;
}

const char *rfs_test_s3_endpoint(void)
{
	return endpoint_of("RFS_TEST_S3_ENDPOINT", "RFS_TEST_S3_WHY",
			   "Ceph RGW");
}

const char *rfs_test_moto_endpoint(void)
{
	return endpoint_of("RFS_TEST_MOTO_ENDPOINT", "RFS_TEST_MOTO_WHY",
			   "moto");
}

char *rfs_test_s3_uri(const char *endpoint, const char *bucket,
		      const char *prefix, const char *extra)
{
	char *uri = NULL;

	cr_assert(asprintf(&uri,
			   "s3://%s%s%s?endpoint=%s&path_style=1&region="
			   "us-east-1%s%s",
			   bucket, prefix && *prefix ? "/" : "",
			   prefix ? prefix : "", endpoint, extra ? "&" : "",
			   extra ? extra : "") > 0);
	return uri;
}

/* A client for bucket-level requests on @p bucket. */
static struct rfs_s3_client *client_for(const char *endpoint,
					const char *bucket)
{
	struct rfs_error err = { 0 };
	struct rfs_s3_conf conf = { 0 };
	struct rfs_s3_client *c = NULL;
	char *uri = rfs_test_s3_uri(endpoint, bucket, NULL, NULL);
	char *query = strchr(uri, '?') + 1;
	int r;

	r = rfs_s3_conf_load("s3", bucket, "", query, uri, &conf, &err);
	cr_assert_eq(r, 0, "S3 settings for '%s': %s", uri, err.msg);
	r = rfs_s3_client_new(&conf, uri, &c, &err);
	cr_assert_eq(r, 0, "S3 client for '%s': %s", uri, err.msg);
	rfs_s3_conf_release(&conf);
	free(uri);
	return c;
}

char *rfs_test_s3_bucket_new(const char *endpoint)
{
	static unsigned int seq;
	struct rfs_error err = { 0 };
	struct rfs_s3_request r;
	struct rfs_s3_client *c;
	struct timespec now;
	char *name = NULL;
	int e;

	clock_gettime(CLOCK_REALTIME, &now);
	cr_assert(asprintf(&name, "rfs-test-%d-%u-%lx", (int)getpid(), seq++,
			   (unsigned long)now.tv_nsec) > 0);
	c = client_for(endpoint, name);
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.body_fd = -1;
	r.idempotent = true;
	e = rfs_s3_perform(c, &r, &err);
	rfs_s3_client_free(c);
	cr_assert_eq(e, 0, "creating bucket '%s' on %s: %s", name, endpoint,
		     err.msg);
	return name;
}

static int delete_key(struct rfs_s3_client *c, const char *key,
		      const char *query)
{
	struct rfs_s3_request r;

	memset(&r, 0, sizeof(r));
	r.method = "DELETE";
	r.key = key;
	r.query = query;
	r.body_fd = -1;
	r.idempotent = true;
	return rfs_s3_perform(c, &r, NULL);
}

static void xml_escape(struct rfs_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			rfs_buf_addstr(b, "&amp;");
			break;
		case '<':
			rfs_buf_addstr(b, "&lt;");
			break;
		case '>':
			rfs_buf_addstr(b, "&gt;");
			break;
		case '"':
			rfs_buf_addstr(b, "&quot;");
			break;
		default:
			rfs_buf_addch(b, *s);
		}
	}
}

/* DeleteObjects: up to 1000 keys in one request. */
static int delete_keys(struct rfs_s3_client *c, const struct rfs_s3_listing *l)
{
	struct rfs_buf xml = RFS_BUF_INIT;
	struct rfs_s3_request r;
	size_t i;
	int e;

	rfs_buf_addstr(&xml, "<Delete><Quiet>true</Quiet>");
	for (i = 0; i < l->n_objects; i++) {
		rfs_buf_addstr(&xml, "<Object><Key>");
		xml_escape(&xml, l->objects[i].key);
		rfs_buf_addstr(&xml, "</Key></Object>");
	}
	rfs_buf_addstr(&xml, "</Delete>");
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.query = "delete";
	r.body = xml.data;
	r.body_len = xml.len;
	r.body_fd = -1;
	r.idempotent = true;
	e = rfs_s3_perform(c, &r, NULL);
	rfs_buf_release(&xml);
	return e;
}

void rfs_test_s3_bucket_drop(const char *endpoint, const char *bucket)
{
	struct rfs_s3_client *c = client_for(endpoint, bucket);
	struct rfs_buf body = RFS_BUF_INIT;
	struct rfs_s3_listing l;
	struct rfs_s3_request r;
	size_t i;
	int e, rounds = 0;

	do {
		memset(&r, 0, sizeof(r));
		memset(&l, 0, sizeof(l));
		rfs_buf_reset(&body);
		r.method = "GET";
		r.query = "list-type=2&encoding-type=url";
		r.body_fd = -1;
		r.idempotent = true;
		r.out = &body;
		e = rfs_s3_perform(c, &r, NULL);
		if (!e)
			e = rfs_s3_parse_listing(body.data ? body.data : "",
						 body.len, &l);
		if (!e && l.n_objects && delete_keys(c, &l) < 0)
			for (i = 0; i < l.n_objects; i++)
				delete_key(c, l.objects[i].key, NULL);
		e = e ? e : (int)l.n_objects;
		rfs_s3_listing_release(&l);
	} while (e > 0 && ++rounds < 1000);
	delete_key(c, NULL, NULL);
	rfs_buf_release(&body);
	rfs_s3_client_free(c);
}

/* The aws command line with the test keys, before its endpoint. */
static const char *const aws_words[] = {
	"env",
	"-u",
	"AWS_CA_BUNDLE",
	"AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
	"AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
	"AWS_ACCESS_KEY_ID=TESTAK",
	"AWS_SECRET_ACCESS_KEY=TESTSECRET",
	"AWS_DEFAULT_REGION=us-east-1",
	"aws",
	"--endpoint-url",
};
#define AWS_WORDS (sizeof(aws_words) / sizeof(aws_words[0]))

int rfs_test_aws(struct rfs_test_out *out, const char *endpoint, ...)
{
	const char *argv[64];
	size_t n;
	va_list ap;
	const char *a;

	for (n = 0; n < AWS_WORDS; n++)
		argv[n] = aws_words[n];
	argv[n++] = endpoint;
	va_start(ap, endpoint);
	while ((a = va_arg(ap, const char *)) && n < 63)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return rfs_test_run(out, argv);
}

void rfs_test_aws_env(const char *var, const char *endpoint)
{
	char v[1024];
	size_t n, len = 0;

	for (n = 0; n < AWS_WORDS; n++)
		len += (size_t)snprintf(v + len, sizeof(v) - len, "%s ",
					aws_words[n]);
	cr_assert_lt(len, sizeof(v));
	snprintf(v + len, sizeof(v) - len, "%s", endpoint);
	setenv(var, v, 1);
}

/* A port of 127.0.0.1 that was free a moment ago. */
static int free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert_geq(fd, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool answers(int port)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Fork and exec @p argv with stdout to @p out_fd (or /dev/null). */
static pid_t spawn(const char *const argv[], int out_fd)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

void rfs_test_moto_start(struct rfs_test_server *s)
{
	int port = free_port(), i, status;
	char p[16];
	const char *argv[] = {
		"moto_server", "-H", "127.0.0.1", "-p", p, NULL
	};

	snprintf(p, sizeof(p), "%d", port);
	s->pid = spawn(argv, -1);
	for (i = 0; i < 400 && !answers(port); i++) {
		cr_assert_eq(waitpid(s->pid, &status, WNOHANG), 0,
			     "moto_server exited at once (is it installed? "
			     "pip install 'moto[server]')");
		usleep(50000);
	}
	cr_assert_lt(i, 400, "moto_server does not answer on port %d", port);
	snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%d", port);
}

void rfs_test_flaky_start(struct rfs_test_server *s)
{
	const char *dir = getenv("RFS_TEST_SUPPORT_DIR");
	char script[512], line[32] = "";
	const char *argv[] = { "python3", script, NULL };
	struct pollfd pfd;
	int fds[2];
	ssize_t n;

	cr_assert(dir && *dir, "RFS_TEST_SUPPORT_DIR is not set (meson sets "
			       "it for the tests)");
	snprintf(script, sizeof(script), "%s/flaky_s3.py", dir);
	cr_assert_eq(pipe(fds), 0);
	s->pid = spawn(argv, fds[1]);
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	cr_assert_eq(poll(&pfd, 1, 20000), 1, "%s did not start", script);
	n = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	cr_assert_gt(n, 0, "%s printed no port", script);
	line[n] = '\0';
	snprintf(s->endpoint, sizeof(s->endpoint), "http://127.0.0.1:%d",
		 atoi(line));
}

void rfs_test_server_stop(struct rfs_test_server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}
