/*
 * util/uri: parsing storage URIs, refusing the malformed and those with
 * credentials, query lookups, joins and the canonical form.
 */
#include "util/uri.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rfs_uri parse_ok(const char *s)
{
	struct rfs_error err = { 0 };
	struct rfs_uri u;

	cr_assert_eq(rfs_uri_parse(s, &u, &err), 0, "'%s': %s", s, err.msg);
	return u;
}

/* Check that @p s is refused and the reason holds @p want. */
static void refused(const char *s, const char *want)
{
	struct rfs_error err = { 0 };
	struct rfs_uri u = { (char *)"sentinel", NULL, NULL, NULL };

	cr_assert_eq(rfs_uri_parse(s, &u, &err), -EINVAL, "'%s'", s);
	cr_assert_eq(err.code, EINVAL, "'%s'", s);
	cr_assert_not_null(strstr(err.msg, want), "'%s': %s", s, err.msg);
	/* On failure the output is untouched. */
	cr_assert_str_eq(u.scheme, "sentinel");
}

static char *format(const char *s)
{
	struct rfs_uri u = parse_ok(s);
	char *out = NULL;

	cr_assert_eq(rfs_uri_format(&u, &out), 0);
	rfs_uri_release(&u);
	return out;
}

static char *join(const char *uri, const char *rel)
{
	char *out = NULL;

	cr_assert_eq(rfs_uri_join(uri, rel, &out), 0);
	cr_assert_not_null(out);
	return out;
}

Test(util_uri, parses_a_file_uri)
{
	struct rfs_uri u = parse_ok("file:///srv/nfs/orders");

	cr_assert_str_eq(u.scheme, "file");
	cr_assert_str_eq(u.authority, "");
	cr_assert_str_eq(u.path, "srv/nfs/orders");
	cr_assert_str_eq(u.query, "");
	rfs_uri_release(&u);
	cr_assert_null(u.scheme);
	cr_assert_null(u.path);
}

Test(util_uri, parses_an_s3_uri_with_a_query)
{
	struct rfs_uri u = parse_ok("s3://bucket/prefix?region=us-east-1&"
				    "endpoint=http%3A%2F%2F127.0.0.1%3A7480");
	char *v = NULL;

	cr_assert_str_eq(u.scheme, "s3");
	cr_assert_str_eq(u.authority, "bucket");
	cr_assert_str_eq(u.path, "prefix");
	cr_assert_str_eq(u.query, "region=us-east-1&endpoint=http%3A%2F%2F"
				  "127.0.0.1%3A7480");
	cr_assert_eq(rfs_uri_query_get(&u, "region", &v), 1);
	cr_assert_str_eq(v, "us-east-1");
	free(v);
	cr_assert_eq(rfs_uri_query_get(&u, "endpoint", &v), 1);
	cr_assert_str_eq(v, "http://127.0.0.1:7480");
	free(v);
	v = (char *)"untouched";
	cr_assert_eq(rfs_uri_query_get(&u, "endpoin", &v), 0);
	cr_assert_eq(rfs_uri_query_get(&u, "regio", &v), 0);
	cr_assert_eq(rfs_uri_query_get(&u, "missing", &v), 0);
	cr_assert_str_eq(v, "untouched");
	rfs_uri_release(&u);
}

Test(util_uri, query_values_without_equals_plus_and_bad_escapes)
{
	struct rfs_uri u = parse_ok("s3://b/p?flag&k=a+b&e=&bad=%zz");
	char *v = NULL;

	cr_assert_eq(rfs_uri_query_get(&u, "flag", &v), 1);
	cr_assert_str_eq(v, "");
	free(v);
	cr_assert_eq(rfs_uri_query_get(&u, "k", &v), 1);
	cr_assert_str_eq(v, "a b");
	free(v);
	cr_assert_eq(rfs_uri_query_get(&u, "e", &v), 1);
	cr_assert_str_eq(v, "");
	free(v);
	cr_assert_eq(rfs_uri_query_get(&u, "bad", &v), -EINVAL);
	rfs_uri_release(&u);
}

Test(util_uri, bucket_without_a_path)
{
	struct rfs_uri u = parse_ok("gs://lake");

	cr_assert_str_eq(u.authority, "lake");
	cr_assert_str_eq(u.path, "");
	rfs_uri_release(&u);
	u = parse_ok("s3://lake?region=x");
	cr_assert_str_eq(u.authority, "lake");
	cr_assert_str_eq(u.path, "");
	cr_assert_str_eq(u.query, "region=x");
	rfs_uri_release(&u);
}

Test(util_uri, trailing_slashes_are_dropped)
{
	struct rfs_uri u = parse_ok("file:///srv/nfs/");

	cr_assert_str_eq(u.path, "srv/nfs");
	rfs_uri_release(&u);
	u = parse_ok("s3://b/p///?region=x");
	cr_assert_str_eq(u.path, "p");
	cr_assert_str_eq(u.query, "region=x");
	rfs_uri_release(&u);
	u = parse_ok("file:///");
	cr_assert_str_eq(u.path, "");
	rfs_uri_release(&u);
}

Test(util_uri, escapes_in_the_path_are_decoded)
{
	struct rfs_uri u = parse_ok("file:///srv/my%20data/%C3%A9t%c3%a9");

	cr_assert_str_eq(u.path, "srv/my data/été");
	rfs_uri_release(&u);
	u = parse_ok("s3://b/a%3Fb%23c%25d");
	cr_assert_str_eq(u.path, "a?b#c%d");
	rfs_uri_release(&u);
}

Test(util_uri, scheme_is_lower_cased)
{
	struct rfs_uri u = parse_ok("FILE:///srv/X");

	cr_assert_str_eq(u.scheme, "file");
	cr_assert_str_eq(u.path, "srv/X");
	rfs_uri_release(&u);
	u = parse_ok("S3A://Bucket/Key");
	cr_assert_str_eq(u.scheme, "s3a");
	cr_assert_str_eq(u.authority, "Bucket");
	rfs_uri_release(&u);
}

Test(util_uri, file_localhost_is_the_local_file_system)
{
	struct rfs_uri u = parse_ok("file://localhost/srv");

	cr_assert_str_eq(u.authority, "");
	cr_assert_str_eq(u.path, "srv");
	rfs_uri_release(&u);
}

Test(util_uri, refuses_malformed_uris)
{
	refused("no-scheme", "not a storage URI");
	refused("", "not a storage URI");
	refused("://x", "not a storage URI");
	refused("1s3://b/x", "not a storage URI");
	refused("s3:/b/x", "not a storage URI");
	refused("s_3://b/x", "not a storage URI");
	refused("/srv/nfs", "not a storage URI");
}

Test(util_uri, refuses_file_uris_with_a_host_or_no_path)
{
	refused("file://host/x", "names host 'host'");
	refused("file://", "needs an absolute path");
	refused("file://?x=1", "needs an absolute path");
}

Test(util_uri, refuses_a_missing_bucket)
{
	refused("s3:///x", "names no bucket or host");
	refused("s3://", "names no bucket or host");
	refused("s3://?region=x", "names no bucket or host");
}

Test(util_uri, refuses_credentials_without_repeating_them)
{
	static const char *const bad[] = {
		"s3://AKID:wJalrXUt@bucket/x",
		"s3://AKID:wJalrXUt@bucket",
		"s3://AKID:wJalrXUt@bucket?region=x",
		"s3://AKID:wJalrXUt@bucket/x#frag",
		"s3://AKID:wJalrXUt@bucket/%zz",
		"s3://AKID:wJalrXUt@bucket/../x",
		"postgres://AKID:wJalrXUt@db:5432/warehouse",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rfs_error err = { 0 };
		struct rfs_uri u;

		cr_assert_eq(rfs_uri_parse(bad[i], &u, &err), -EINVAL, "'%s'",
			     bad[i]);
		cr_assert_not_null(strstr(err.msg, "credentials"), "%s",
				   err.msg);
		cr_assert_null(strstr(err.msg, "wJalrXUt"), "%s", err.msg);
		cr_assert_null(strstr(err.msg, "AKID"), "%s", err.msg);
	}
}

Test(util_uri, malformed_uris_with_credentials_are_not_repeated)
{
	static const char *const bad[] = {
		"s3:/AKID:wJalrXUt@bucket/x",	"s3//AKID:wJalrXUt@bucket/x",
		"AKID:wJalrXUt@bucket/x",	"s3://AKID:wJalrXUt@bucket/a b",
		"s3://AKID:wJalrXUt@bucket/\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rfs_error err = { 0 };
		struct rfs_uri u;

		cr_assert_eq(rfs_uri_parse(bad[i], &u, &err), -EINVAL, "'%s'",
			     bad[i]);
		cr_assert_null(strstr(err.msg, "wJalrXUt"), "%s", err.msg);
	}
}

Test(util_uri, an_at_sign_in_the_path_is_not_a_credential)
{
	struct rfs_uri u = parse_ok("s3://bucket/users/a@b.c");

	cr_assert_str_eq(u.path, "users/a@b.c");
	rfs_uri_release(&u);
}

Test(util_uri, refuses_paths_that_escape_or_hold_odd_bytes)
{
	refused("file:///srv/../etc", "escapes");
	refused("file:///srv/%2E%2E/etc", "escapes");
	refused("s3://b/a/./c", "'.' component");
	refused("s3://b/a//c", "empty path component");
	refused("s3://b/a%2F%2Fc", "empty path component");
	refused("file:///%2Fetc", "must be relative");
	refused("file:///srv/my data", "space or control character");
	refused("file:///srv/a\nb", "space or control character");
	refused("file:///srv/a\tb", "space or control character");
	refused("file:///srv/a\x7f", "space or control character");
	refused("file:///srv/a%0Ab", "control character");
	refused("file:///srv/\xff", "not UTF-8");
}

Test(util_uri, refuses_fragments)
{
	refused("s3://b/x#frag", "fragment");
	refused("s3://b#frag", "fragment");
	refused("s3://b/x?region=a#frag", "fragment");
}

Test(util_uri, refuses_bad_escapes)
{
	refused("file:///srv/%zz", "%-escape");
	refused("file:///srv/%00", "%-escape");
	refused("file:///srv/%2", "%-escape");
	refused("file:///srv/%", "%-escape");
	refused("file:///srv/a%g1", "%-escape");
}

Test(util_uri, join_appends_and_keeps_the_query)
{
	char *s;

	s = join("s3://b/p?region=x", "a/b");
	cr_assert_str_eq(s, "s3://b/p/a/b?region=x");
	free(s);
	s = join("s3://b/p/?region=x", "a");
	cr_assert_str_eq(s, "s3://b/p/a?region=x");
	free(s);
	s = join("s3://b", "x");
	cr_assert_str_eq(s, "s3://b/x");
	free(s);
	s = join("s3://b/", "x");
	cr_assert_str_eq(s, "s3://b/x");
	free(s);
	s = join("file:///srv/nfs", "2013");
	cr_assert_str_eq(s, "file:///srv/nfs/2013");
	free(s);
}

Test(util_uri, join_onto_the_file_root)
{
	char *s = join("file:///", "a");

	cr_assert_str_eq(s, "file:///a");
	free(s);
	s = join("file:///", "");
	cr_assert_str_eq(s, "file:///");
	free(s);
}

Test(util_uri, join_of_nothing_only_drops_trailing_slashes)
{
	char *s = join("s3://b/p/?region=x", "");

	cr_assert_str_eq(s, "s3://b/p?region=x");
	free(s);
	s = join("file:///srv/", "");
	cr_assert_str_eq(s, "file:///srv");
	free(s);
}

Test(util_uri, join_encodes_what_would_end_the_path)
{
	char *s = join("s3://b/p?region=x", "a?b#c%d");

	cr_assert_str_eq(s, "s3://b/p/a%3Fb%23c%25d?region=x");
	free(s);
}

Test(util_uri, joined_uris_parse_back_to_the_joined_path)
{
	static const char *const rels[] = {
		"a?b#c%d", "my data/x", "été/dt=2013-01-01", "a+b", "a@b",
	};

	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
		char *s = join("s3://b/p?region=x", rels[i]), want[64];
		struct rfs_uri u = parse_ok(s);

		snprintf(want, sizeof(want), "p/%s", rels[i]);
		cr_assert_str_eq(u.path, want, "%s", s);
		cr_assert_str_eq(u.query, "region=x");
		rfs_uri_release(&u);
		free(s);
	}
}

Test(util_uri, format_is_canonical)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "file:///srv/nfs/orders", "file:///srv/nfs/orders" },
		{ "FILE:///srv/nfs/", "file:///srv/nfs" },
		{ "file://localhost/srv", "file:///srv" },
		{ "file:///", "file:///" },
		{ "S3://Bucket/p/?region=x", "s3://Bucket/p?region=x" },
		{ "s3://b", "s3://b" },
		{ "s3://b/", "s3://b" },
		{ "s3://b?region=x", "s3://b?region=x" },
		{ "s3://b/a%3fb", "s3://b/a%3Fb" },
		{ "s3://b/%61", "s3://b/a" },
		{ "file:///srv/my%20data", "file:///srv/my%20data" },
		{ "postgres://db.example:5432/warehouse",
		  "postgres://db.example:5432/warehouse" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = format(cases[i].in);

		cr_assert_str_eq(out, cases[i].out, "'%s'", cases[i].in);
		free(out);
	}
}

Test(util_uri, format_output_parses_to_the_same_uri)
{
	static const char *const uris[] = {
		"file:///srv/my%20data/%C3%A9t%C3%A9",
		"s3://b/a%3Fb%23c%25d?region=x",
		"gs://lake/p/q",
		"file:///",
	};

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct rfs_uri a = parse_ok(uris[i]), b;
		char *out = NULL, *again = NULL;

		cr_assert_eq(rfs_uri_format(&a, &out), 0);
		b = parse_ok(out);
		cr_assert_str_eq(a.scheme, b.scheme);
		cr_assert_str_eq(a.authority, b.authority);
		cr_assert_str_eq(a.path, b.path, "%s", out);
		cr_assert_str_eq(a.query, b.query);
		cr_assert_eq(rfs_uri_format(&b, &again), 0);
		cr_assert_str_eq(out, again);
		rfs_uri_release(&a);
		rfs_uri_release(&b);
		free(out);
		free(again);
	}
}

Test(util_uri, a_released_uri_can_be_parsed_into_again)
{
	struct rfs_uri u = parse_ok("s3://b/p?x=1");

	rfs_uri_release(&u);
	rfs_uri_release(&u);
	u = parse_ok("file:///a");
	cr_assert_str_eq(u.path, "a");
	rfs_uri_release(&u);
}

Test(util_uri, strip_query)
{
	char *s = rfs_uri_strip_query("s3://b/p?region=x&endpoint=y");

	cr_assert_str_eq(s, "s3://b/p");
	free(s);
	s = rfs_uri_strip_query("file:///srv");
	cr_assert_str_eq(s, "file:///srv");
	free(s);
}
