/*
 * util/names: catalog names, users' relative paths and UTF-8 checks, with
 * the messages a user reads when a name is refused.
 */
#include "util/names.h"
#include "util/error.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

/* Check that @p name is refused as a @p kind and the reason holds @p want. */
static void refused(const char *kind, const char *name, const char *want)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_name_check(kind, name, &err), -EINVAL, "'%s'", name);
	cr_assert_eq(err.code, EINVAL);
	cr_assert_not_null(strstr(err.msg, kind), "'%s': %s", name, err.msg);
	cr_assert_not_null(strstr(err.msg, want), "'%s': %s", name, err.msg);
}

static void path_refused(const char *path, const char *want)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_relpath_check("epoch path", path, &err), -EINVAL,
		     "'%s'", path);
	cr_assert_eq(err.code, EINVAL);
	cr_assert_not_null(strstr(err.msg, "epoch path"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, want), "'%s': %s", path, err.msg);
}

Test(util_names, accepts_ordinary_names)
{
	static const char *const ok[] = {
		"sales.orders",	    "raw",   "données", "a",	  "x-1_2",
		"dt=2013",	    "a.b.c", "name.",	"日本語", "a b",
		"\xf0\x9f\x93\xa6",
	};
	struct rfs_error err = { 0 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(rfs_name_check("table", ok[i], &err), 0,
			     "'%s': %s", ok[i], err.msg);
		cr_assert_eq(err.code, 0);
	}
}

Test(util_names, refuses_empty_names)
{
	refused("table", "", "empty");
}

Test(util_names, refuses_slashes_and_dot_dot)
{
	refused("lifecycle", "a/b", "'/'");
	refused("lifecycle", "/", "'/'");
	refused("lifecycle", "..", "'..'");
	refused("lifecycle", "a..b", "'..'");
	refused("lifecycle", "a..", "'..'");
}

Test(util_names, refuses_a_leading_dot)
{
	refused("storage", ".hidden", "starts with '.'");
	refused("storage", ".", "starts with '.'");
	refused("storage", ".recyclebin", "reserved");
}

Test(util_names, refuses_control_characters)
{
	refused("table", "x\ny", "control character");
	refused("table", "tab\t", "control character");
	refused("table", "\x7f", "control character");
	refused("table", "\r", "control character");
	refused("table", "a\x1b[31m", "control character");
	/* C1 controls: U+0085 NEXT LINE is a newline too. */
	refused("table", "a\xc2\x85z", "control character");
	refused("table", "\xc2\x9f", "control character");
}

Test(util_names, refuses_names_longer_than_255_bytes)
{
	char name[RFS_NAME_MAX + 2];
	struct rfs_error err = { 0 };

	memset(name, 'n', sizeof(name) - 1);
	name[RFS_NAME_MAX] = '\0';
	cr_assert_eq(rfs_name_check("table", name, &err), 0, "%s", err.msg);
	name[RFS_NAME_MAX] = 'n';
	name[RFS_NAME_MAX + 1] = '\0';
	refused("table", name, "longer than 255 bytes");
}

Test(util_names, length_counts_bytes_not_characters)
{
	char name[RFS_NAME_MAX + 8] = "";

	/* 127 two-byte characters and one byte: 255 bytes. */
	for (int i = 0; i < 127; i++)
		strcat(name, "\xc3\xa9");
	strcat(name, "a");
	cr_assert_eq(strlen(name), RFS_NAME_MAX);
	cr_assert_eq(rfs_name_check("table", name, NULL), 0);
	strcat(name, "a");
	cr_assert_eq(rfs_name_check("table", name, NULL), -EINVAL);
}

Test(util_names, refuses_invalid_utf8)
{
	refused("table", "\xff", "not valid UTF-8");
	refused("table", "\xc0\xaf", "not valid UTF-8");
	refused("table", "\xed\xa0\x80", "not valid UTF-8");
	refused("table", "\xe2\x82", "not valid UTF-8");
	refused("table", "ok\x80", "not valid UTF-8");
}

Test(util_names, messages_quote_the_name_and_never_print_bad_bytes)
{
	struct rfs_error err = { 0 };

	rfs_name_check("classification", "a/b", &err);
	cr_assert_str_eq(err.msg, "classification name 'a/b' contains '/'");
	rfs_name_check("table", "x\ny", &err);
	cr_assert_null(strchr(err.msg, '\n'), "%s", err.msg);
	rfs_name_check("table", "bad\xff", &err);
	cr_assert_null(strchr(err.msg, '\xff'), "%s", err.msg);
}

Test(util_names, null_error_is_allowed)
{
	cr_assert_eq(rfs_name_check("table", "", NULL), -EINVAL);
	cr_assert_eq(rfs_relpath_check("path", "..", NULL), -EINVAL);
}

Test(util_names, utf8_boundaries)
{
	/* U+007F, U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF,
	 * U+10000, U+10FFFF. */
	static const char *const ok[] = {
		"\x7f",
		"\xc2\x80",
		"\xdf\xbf",
		"\xe0\xa0\x80",
		"\xed\x9f\xbf",
		"\xee\x80\x80",
		"\xef\xbf\xbf",
		"\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf",
		"",
	};
	/* Above U+10FFFF, 5-byte forms, overlongs of every length, the
	 * surrogates, stray and missing continuation bytes. */
	static const char *const bad[] = {
		"\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80",
		"\xf7\xbf\xbf\xbf",
		"\xf8\x88\x80\x80\x80",
		"\xc1\xbf",
		"\xe0\x9f\xbf",
		"\xf0\x8f\xbf\xbf",
		"\xed\xa0\x80",
		"\xed\xbf\xbf",
		"\x80",
		"\xbf",
		"\xc3",
		"\xe2\x82",
		"\xf0\x90\x80",
		"\xc3\x28",
		"\xe2\x28\xa1",
		"\xfe",
		"\xff",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert(rfs_utf8_valid(ok[i], strlen(ok[i])), "ok %zu", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(rfs_utf8_valid(bad[i], strlen(bad[i])), "bad %zu",
			      i);
}

Test(util_names, utf8_reads_only_n_bytes)
{
	/* A sequence cut by n is invalid even if the bytes follow. */
	cr_assert_not(rfs_utf8_valid("\xc3\xa9", 1));
	cr_assert(rfs_utf8_valid("\xc3\xa9\xff", 2));
	cr_assert(rfs_utf8_valid("a\0b", 3));
	cr_assert(rfs_utf8_valid(NULL, 0));
}

Test(util_names, relpath_accepts_the_root_and_plain_paths)
{
	static const char *const ok[] = {
		"",	     "a",      "a/b",	      "dt=2013-01-01/x",
		".hidden/x", "a..b/c", "données/été", "a b/c",
	};
	struct rfs_error err = { 0 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert_eq(rfs_relpath_check("epoch path", ok[i], &err), 0,
			     "'%s': %s", ok[i], err.msg);
}

Test(util_names, relpath_refuses_escapes_and_odd_components)
{
	char longc[RFS_NAME_MAX + 8];

	path_refused("../x", "escapes");
	path_refused("a/../b", "escapes");
	path_refused("a/..", "escapes");
	path_refused("..", "escapes");
	path_refused("/a", "must be relative");
	path_refused("a//b", "empty component");
	path_refused("a/", "empty component");
	path_refused("a/./b", "'.' component");
	path_refused(".", "'.' component");
	path_refused("x\ny", "control character");
	path_refused("a\xc2\x85", "control character");
	path_refused("\xff/a", "UTF-8");
	memset(longc, 'c', RFS_NAME_MAX + 1);
	longc[RFS_NAME_MAX + 1] = '\0';
	path_refused(longc, "longer than 255 bytes");
	longc[RFS_NAME_MAX] = '\0';
	cr_assert_eq(rfs_relpath_check("epoch path", longc, NULL), 0);
}

Test(util_names, relpath_escape_message_names_the_path)
{
	struct rfs_error err = { 0 };

	rfs_relpath_check("epoch path", "../x", &err);
	cr_assert_str_eq(err.msg, "epoch path '../x' escapes its root ('..')");
}

Test(util_names, normalize_drops_extra_slashes)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/a//b/", "a/b" }, { "", "" },
		{ "/", "" },	     { "///", "" },
		{ "a", "a" },	     { "a/b", "a/b" },
		{ "//a", "a" },	     { "a///b//c", "a/b/c" },
		{ "a/", "a" },	     { "../x", "../x" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];

		strcpy(buf, cases[i].in);
		cr_assert_eq(rfs_relpath_normalize(buf), buf);
		cr_assert_str_eq(buf, cases[i].out, "'%s'", cases[i].in);
	}
}

Test(util_names, normalize_then_check_still_refuses_escapes)
{
	char buf[] = "//a/../../b/";

	rfs_relpath_normalize(buf);
	cr_assert_str_eq(buf, "a/../../b");
	cr_assert_eq(rfs_relpath_check("path", buf, NULL), -EINVAL);
}
