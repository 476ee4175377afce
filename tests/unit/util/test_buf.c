/*
 * util/: the growable buffer, errors with reasons, relative paths, clocks
 * and durations, and the log level parser and sink.
 */
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The content must be NUL-terminated right after len. */
static void assert_terminated(const struct rfs_buf *b)
{
	cr_assert_not_null(b->data);
	cr_assert_eq(b->data[b->len], '\0');
	cr_assert_eq(strlen(b->data), b->len);
}

Test(util_buf, init_is_empty_without_allocating)
{
	struct rfs_buf b;
	struct rfs_buf s = RFS_BUF_INIT;

	rfs_buf_init(&b, 0);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.cap, RFS_BUF_DEFAULT_CAP);
	cr_assert_str_eq(rfs_buf_str(&b), "");
	cr_assert_eq(s.cap, RFS_BUF_DEFAULT_CAP);
	cr_assert_str_eq(rfs_buf_str(&s), "");
	rfs_buf_init(&b, 10);
	cr_assert_eq(b.cap, 10);
}

Test(util_buf, add_addstr_addch_append_and_terminate)
{
	struct rfs_buf b = RFS_BUF_INIT;

	cr_assert_eq(rfs_buf_add(&b, "abcdef", 3), 0);
	assert_terminated(&b);
	cr_assert_str_eq(rfs_buf_str(&b), "abc");
	cr_assert_eq(rfs_buf_addstr(&b, "/de"), 0);
	cr_assert_eq(rfs_buf_addch(&b, 'f'), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "abc/def");
	cr_assert_eq(b.len, 7);
	assert_terminated(&b);
	rfs_buf_release(&b);
}

Test(util_buf, adding_nothing_to_an_empty_buffer_gives_an_empty_string)
{
	struct rfs_buf b = RFS_BUF_INIT;

	cr_assert_eq(rfs_buf_add(&b, NULL, 0), 0);
	assert_terminated(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(rfs_buf_addf(&b, "%s", ""), 0);
	assert_terminated(&b);
	cr_assert_str_eq(rfs_buf_str(&b), "");
	rfs_buf_release(&b);
}

Test(util_buf, addf_formats_and_grows_past_the_first_allocation)
{
	struct rfs_buf b = RFS_BUF_INIT;
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(rfs_buf_addf(&b, "%s=%d;", "n", 42), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "n=42;");
	cr_assert_eq(rfs_buf_addf(&b, "[%s]", big), 0);
	cr_assert_eq(b.len, 5 + 2 + 999);
	assert_terminated(&b);
	cr_assert_eq(memcmp(b.data, "n=42;[xxx", 9), 0);
	cr_assert_eq(b.data[b.len - 1], ']');
	cr_assert_geq(b.alloc, b.len + 1);
	rfs_buf_release(&b);
}

Test(util_buf, many_single_bytes_keep_their_order)
{
	struct rfs_buf b = RFS_BUF_INIT;
	size_t i;

	for (i = 0; i < 10000; i++)
		cr_assert_eq(rfs_buf_addch(&b, (char)('a' + i % 26)), 0);
	cr_assert_eq(b.len, 10000);
	assert_terminated(&b);
	for (i = 0; i < 10000; i++)
		cr_assert_eq(b.data[i], (char)('a' + i % 26), "byte %zu", i);
	rfs_buf_release(&b);
}

Test(util_buf, filling_exactly_to_the_cap_is_allowed)
{
	struct rfs_buf b;

	rfs_buf_init(&b, 8);
	cr_assert_eq(rfs_buf_addstr(&b, "1234"), 0);
	cr_assert_eq(rfs_buf_addf(&b, "%d", 5678), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "12345678");
	assert_terminated(&b);
	rfs_buf_release(&b);
}

Test(util_buf, past_the_cap_is_e2big_and_leaves_the_content)
{
	struct rfs_buf b;

	rfs_buf_init(&b, 8);
	cr_assert_eq(rfs_buf_addstr(&b, "12345678"), 0);
	cr_assert_eq(rfs_buf_addch(&b, '9'), -E2BIG);
	cr_assert_eq(rfs_buf_add(&b, "9", 1), -E2BIG);
	cr_assert_eq(rfs_buf_addstr(&b, "9"), -E2BIG);
	cr_assert_eq(rfs_buf_addf(&b, "%d", 9), -E2BIG);
	cr_assert_eq(b.len, 8);
	cr_assert_str_eq(rfs_buf_str(&b), "12345678");
	assert_terminated(&b);
	/* Adding nothing still works at the cap. */
	cr_assert_eq(rfs_buf_add(&b, "", 0), 0);
	rfs_buf_release(&b);
}

Test(util_buf, one_add_larger_than_the_cap_is_refused_whole)
{
	struct rfs_buf b;

	rfs_buf_init(&b, 4);
	cr_assert_eq(rfs_buf_addstr(&b, "ab"), 0);
	cr_assert_eq(rfs_buf_addstr(&b, "cde"), -E2BIG);
	cr_assert_eq(rfs_buf_addf(&b, "%s", "cde"), -E2BIG);
	cr_assert_str_eq(rfs_buf_str(&b), "ab");
	cr_assert_eq(rfs_buf_addstr(&b, "cd"), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "abcd");
	rfs_buf_release(&b);
}

Test(util_buf, huge_lengths_do_not_overflow_the_cap_check)
{
	struct rfs_buf b = RFS_BUF_INIT;

	cr_assert_eq(rfs_buf_addstr(&b, "x"), 0);
	cr_assert_eq(rfs_buf_add(&b, "", SIZE_MAX), -E2BIG);
	cr_assert_eq(rfs_buf_add(&b, "", SIZE_MAX - 1), -E2BIG);
	cr_assert_eq(rfs_buf_add(&b, "", RFS_BUF_DEFAULT_CAP), -E2BIG);
	cr_assert_str_eq(rfs_buf_str(&b), "x");
	rfs_buf_release(&b);
}

Test(util_buf, truncate_shortens_and_never_lengthens)
{
	struct rfs_buf b = RFS_BUF_INIT;

	rfs_buf_truncate(&b, 0); /* nothing allocated yet */
	cr_assert_str_eq(rfs_buf_str(&b), "");
	cr_assert_eq(rfs_buf_addstr(&b, "abcdef"), 0);
	rfs_buf_truncate(&b, 10);
	cr_assert_str_eq(rfs_buf_str(&b), "abcdef");
	rfs_buf_truncate(&b, 6);
	cr_assert_str_eq(rfs_buf_str(&b), "abcdef");
	rfs_buf_truncate(&b, 3);
	cr_assert_eq(b.len, 3);
	cr_assert_str_eq(rfs_buf_str(&b), "abc");
	assert_terminated(&b);
	cr_assert_eq(rfs_buf_addch(&b, 'Z'), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "abcZ");
	rfs_buf_release(&b);
}

Test(util_buf, reset_empties_and_keeps_the_allocation)
{
	struct rfs_buf b = RFS_BUF_INIT;
	size_t alloc;
	char *data;

	cr_assert_eq(rfs_buf_addstr(&b, "some text"), 0);
	alloc = b.alloc;
	data = b.data;
	rfs_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.alloc, alloc);
	cr_assert_eq(b.data, data);
	cr_assert_str_eq(rfs_buf_str(&b), "");
	rfs_buf_release(&b);
}

Test(util_buf, detach_hands_over_the_string_and_empties_the_buffer)
{
	struct rfs_buf b = RFS_BUF_INIT;
	char *s;

	cr_assert_eq(rfs_buf_addstr(&b, "hello"), 0);
	s = rfs_buf_detach(&b);
	cr_assert_str_eq(s, "hello");
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.alloc, 0);
	cr_assert_str_eq(rfs_buf_str(&b), "");
	/* The buffer is usable again and does not share the old bytes. */
	cr_assert_eq(rfs_buf_addstr(&b, "again"), 0);
	cr_assert_str_eq(s, "hello");
	cr_assert_str_eq(rfs_buf_str(&b), "again");
	free(s);
	rfs_buf_release(&b);
}

Test(util_buf, detach_of_an_empty_buffer_is_an_allocated_empty_string)
{
	struct rfs_buf b = RFS_BUF_INIT;
	char *s = rfs_buf_detach(&b);

	cr_assert_not_null(s);
	cr_assert_str_eq(s, "");
	free(s);
}

Test(util_buf, release_is_repeatable_and_the_buffer_reusable)
{
	struct rfs_buf b = RFS_BUF_INIT;

	rfs_buf_release(&b);
	cr_assert_eq(rfs_buf_addstr(&b, "abc"), 0);
	rfs_buf_release(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	rfs_buf_release(&b);
	cr_assert_eq(rfs_buf_addstr(&b, "xyz"), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "xyz");
	rfs_buf_release(&b);
}

/* Errors */

Test(util_buf, error_set_records_code_and_reason)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_error_set(&err, ENOENT, "no table '%s'", "t"),
		     -ENOENT);
	cr_assert_eq(err.code, ENOENT);
	cr_assert_str_eq(err.msg, "no table 't'");
	cr_assert_eq(rfs_error_set(NULL, EINVAL, "ignored %d", 1), -EINVAL);
}

Test(util_buf, error_errno_uses_strerror_and_keeps_the_first_reason)
{
	struct rfs_error err = { 0 };
	char want[256];

	cr_assert_eq(rfs_error_errno(&err, EACCES, "open 'x'"), -EACCES);
	snprintf(want, sizeof(want), "open 'x': %s", strerror(EACCES));
	cr_assert_str_eq(err.msg, want);
	cr_assert_eq(err.code, EACCES);
	/* A negative code is accepted; the first reason wins. */
	cr_assert_eq(rfs_error_errno(&err, -EIO, "read 'y'"), -EIO);
	cr_assert_eq(err.code, EACCES);
	cr_assert_str_eq(err.msg, want);
	cr_assert_eq(rfs_error_errno(NULL, -EIO, "read"), -EIO);
}

Test(util_buf, error_prefix_puts_context_first)
{
	struct rfs_error err = { 0 };

	rfs_error_set(&err, EEXIST, "name taken");
	rfs_error_prefix(&err, "table '%s'", "t");
	cr_assert_str_eq(err.msg, "table 't': name taken");
	rfs_error_prefix(&err, "add");
	cr_assert_str_eq(err.msg, "add: table 't': name taken");
	cr_assert_eq(err.code, EEXIST);
}

Test(util_buf, error_prefix_without_an_error_does_nothing)
{
	struct rfs_error err = { 0 };

	rfs_error_prefix(&err, "context");
	cr_assert_eq(err.code, 0);
	cr_assert_str_eq(err.msg, "");
	rfs_error_prefix(NULL, "context");
	rfs_error_set(&err, EIO, "boom");
	rfs_error_clear(&err);
	rfs_error_prefix(&err, "context");
	cr_assert_eq(err.code, 0);
	cr_assert_str_eq(err.msg, "");
	rfs_error_clear(NULL);
}

Test(util_buf, long_reasons_are_truncated_and_terminated)
{
	struct rfs_error err;
	char *big = malloc(3 * RFS_ERROR_MSG_MAX);

	cr_assert_not_null(big);
	memset(big, 'r', 3 * RFS_ERROR_MSG_MAX - 1);
	big[3 * RFS_ERROR_MSG_MAX - 1] = '\0';
	memset(&err, 0x55, sizeof(err));
	rfs_error_set(&err, EINVAL, "%s", big);
	cr_assert_eq(strlen(err.msg), RFS_ERROR_MSG_MAX - 1);

	/* A prefix on a full reason keeps the prefix and the terminator. */
	rfs_error_prefix(&err, "ctx");
	cr_assert_eq(strlen(err.msg), RFS_ERROR_MSG_MAX - 1);
	cr_assert_eq(strncmp(err.msg, "ctx: rrr", 8), 0);

	/* A prefix longer than the whole message cannot overflow it. */
	rfs_error_set(&err, EINVAL, "short");
	rfs_error_prefix(&err, "%s", big);
	cr_assert_lt(strlen(err.msg), (size_t)RFS_ERROR_MSG_MAX);
	cr_assert_eq(err.code, EINVAL);
	free(big);
}

/* Paths */

Test(util_buf, path_is_clean_accepts_relative_component_paths)
{
	cr_assert(rfs_path_is_clean(""));
	cr_assert(rfs_path_is_clean("a"));
	cr_assert(rfs_path_is_clean("a/b"));
	cr_assert(rfs_path_is_clean("dt=2013-01-01/part-0.parquet"));
	cr_assert(rfs_path_is_clean(".hidden/..x/x.."));
}

Test(util_buf, path_is_clean_refuses_roots_empties_and_dots)
{
	static const char *const bad[] = {
		"/",   "/a",   "a/",   "a//b",	 ".",	  "..", "./a",
		"a/.", "a/..", "../a", "a/../b", "a/./b", "//", "a/b/",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(rfs_path_is_clean(bad[i]), "'%s'", bad[i]);
}

Test(util_buf, path_join_leaves_out_the_slash_next_to_an_empty_part)
{
	struct rfs_buf b = RFS_BUF_INIT;

	cr_assert_eq(rfs_path_join(&b, "a/b", "c"), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "a/b/c");
	rfs_buf_reset(&b);
	cr_assert_eq(rfs_path_join(&b, "", "c"), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "c");
	rfs_buf_reset(&b);
	cr_assert_eq(rfs_path_join(&b, "a", ""), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "a");
	rfs_buf_reset(&b);
	cr_assert_eq(rfs_path_join(&b, "", ""), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "");
	rfs_buf_release(&b);
}

Test(util_buf, path_join_appends_to_what_the_buffer_holds)
{
	struct rfs_buf b = RFS_BUF_INIT;

	cr_assert_eq(rfs_buf_addstr(&b, "key: "), 0);
	cr_assert_eq(rfs_path_join(&b, "a", "b"), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "key: a/b");
	rfs_buf_release(&b);
}

Test(util_buf, path_join_past_the_cap_leaves_the_buffer_unchanged)
{
	struct rfs_buf b;

	rfs_buf_init(&b, 6);
	cr_assert_eq(rfs_buf_addstr(&b, "x"), 0);
	cr_assert_eq(rfs_path_join(&b, "ab", "cdef"), -E2BIG);
	cr_assert_str_eq(rfs_buf_str(&b), "x");
	cr_assert_eq(b.len, 1);
	cr_assert_eq(rfs_path_join(&b, "ab", "c"), 0);
	cr_assert_str_eq(rfs_buf_str(&b), "xab/c");
	rfs_buf_release(&b);
}

Test(util_buf, path_first_splits_off_one_component)
{
	const char *rest = NULL;
	const char *p = "abc";

	cr_assert_eq(rfs_path_first("a/b/c", &rest), 1);
	cr_assert_str_eq(rest, "b/c");
	cr_assert_eq(rfs_path_first(p, &rest), 3);
	cr_assert_str_eq(rest, "");
	cr_assert_eq(rest, p + 3);
	cr_assert_eq(rfs_path_first("", &rest), 0);
	cr_assert_str_eq(rest, "");
	cr_assert_eq(rfs_path_first("ab/", &rest), 2);
	cr_assert_str_eq(rest, "");
	cr_assert_eq(rfs_path_first("/x", &rest), 0);
	cr_assert_str_eq(rest, "x");
}

Test(util_buf, path_basename_dirlen_and_skip_root)
{
	const char *p = "a/bc/def";

	cr_assert_str_eq(rfs_path_basename(p), "def");
	cr_assert_eq(rfs_path_basename(p), p + 5);
	cr_assert_str_eq(rfs_path_basename("c"), "c");
	cr_assert_str_eq(rfs_path_basename(""), "");
	cr_assert_eq(rfs_path_dirlen(p), 4);
	cr_assert_eq(rfs_path_dirlen("a/b/c"), 3);
	cr_assert_eq(rfs_path_dirlen("a"), 0);
	cr_assert_eq(rfs_path_dirlen(""), 0);
	cr_assert_str_eq(rfs_path_skip_root("///a/b"), "a/b");
	cr_assert_str_eq(rfs_path_skip_root("a/b"), "a/b");
	cr_assert_str_eq(rfs_path_skip_root("/"), "");
}

Test(util_buf, path_is_under_compares_whole_components)
{
	cr_assert(rfs_path_is_under("a/b", "a"));
	cr_assert(rfs_path_is_under("a/b/c", "a/b"));
	cr_assert(rfs_path_is_under("a", "a"));
	cr_assert(rfs_path_is_under("a/b", ""));
	cr_assert(rfs_path_is_under("", ""));
	cr_assert_not(rfs_path_is_under("a/b", "a/bc"));
	cr_assert_not(rfs_path_is_under("a/bc", "a/b"));
	cr_assert_not(rfs_path_is_under("ab", "a"));
	cr_assert_not(rfs_path_is_under("a", "a/b"));
	cr_assert_not(rfs_path_is_under("", "a"));
	cr_assert_not(rfs_path_is_under("b/a", "a"));
}

/* Time */

Test(util_buf, durations_of_every_unit)
{
	static const struct {
		const char *s;
		int64_t sec;
	} ok[] = {
		{ "30d", 30LL * 86400 },
		{ "12h", 12LL * 3600 },
		{ "90m", 90LL * 60 },
		{ "45s", 45 },
		{ "2w", 14LL * 86400 },
		{ "0s", 0 },
		{ "106751d", 106751LL * 86400 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ns = -1;

		cr_assert_eq(rfs_time_parse_duration(ok[i].s, &ns), 0, "'%s'",
			     ok[i].s);
		cr_assert_eq(ns, ok[i].sec * RFS_NSEC_PER_SEC, "'%s'", ok[i].s);
	}
}

Test(util_buf, bad_durations_are_refused_and_leave_the_result)
{
	static const char *const bad[] = {
		"",
		"d",
		"-1d",
		"3x",
		"1dd",
		"1",
		"1 d",
		" 1d",
		"+1d",
		"-0d",
		"1.5h",
		"d1",
		"1D",
		"106752d",
		"15251w",
		"9223372036854775807s",
		"99999999999999999999d",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ns = 777;

		cr_assert_eq(rfs_time_parse_duration(bad[i], &ns), -EINVAL,
			     "'%s'", bad[i]);
		cr_assert_eq(ns, 777, "'%s'", bad[i]);
	}
}

Test(util_buf, time_format_is_utc_iso8601_with_milliseconds)
{
	char out[32];

	cr_assert_str_eq(rfs_time_format(0, out, sizeof(out)),
			 "1970-01-01T00:00:00.000Z");
	cr_assert_eq(rfs_time_format(0, out, sizeof(out)), out);
	cr_assert_str_eq(
		rfs_time_format(1234567890123456789LL, out, sizeof(out)),
		"2009-02-13T23:31:30.123Z");
	cr_assert_str_eq(
		rfs_time_format(951782400999999999LL, out, sizeof(out)),
		"2000-02-29T00:00:00.999Z");
}

Test(util_buf, time_format_rounds_times_before_1970_down)
{
	char out[32];

	cr_assert_str_eq(rfs_time_format(-1000000, out, sizeof(out)),
			 "1969-12-31T23:59:59.999Z");
	cr_assert_str_eq(rfs_time_format(-1500000000LL, out, sizeof(out)),
			 "1969-12-31T23:59:58.500Z");
	cr_assert_str_eq(rfs_time_format(-1, out, sizeof(out)),
			 "1969-12-31T23:59:59.999Z");
	cr_assert_str_eq(rfs_time_format(-RFS_NSEC_PER_SEC, out, sizeof(out)),
			 "1969-12-31T23:59:59.000Z");
}

Test(util_buf, time_format_truncates_to_a_short_buffer)
{
	char out[8];

	memset(out, 'z', sizeof(out));
	rfs_time_format(0, out, 5);
	cr_assert_str_eq(out, "1970");
	cr_assert_eq(out[5], 'z');
}

Test(util_buf, clocks_move_forward)
{
	int64_t m1 = rfs_time_mono_ns(), m2;
	int64_t now = rfs_time_now_ns();

	cr_assert_gt(now, 1600000000LL * RFS_NSEC_PER_SEC);
	m2 = rfs_time_mono_ns();
	cr_assert_geq(m2, m1);
}

/* Logging */

static char last_msg[256];
static int last_level = -1;
static int n_msgs;

static void capture(int level, const char *msg, void *ctx)
{
	cr_assert_eq(ctx, &n_msgs);
	last_level = level;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
	n_msgs++;
}

Test(util_buf, log_sink_gets_messages_at_or_above_the_level)
{
	rfs_log_set_sink(capture, &n_msgs);
	rfs_log_set_level(LOG_INFO);
	cr_assert(rfs_log_enabled(LOG_ERR));
	cr_assert(rfs_log_enabled(LOG_INFO));
	cr_assert_not(rfs_log_enabled(LOG_DEBUG));
	rfs_log(LOG_DEBUG, "dropped %d", 1);
	cr_assert_eq(n_msgs, 0);
	rfs_log(LOG_WARNING, "archive of '%s' failed", "t/l");
	cr_assert_eq(n_msgs, 1);
	cr_assert_eq(last_level, LOG_WARNING);
	cr_assert_str_eq(last_msg, "archive of 't/l' failed");
	rfs_log_set_level(LOG_DEBUG);
	rfs_log(LOG_DEBUG, "kept");
	cr_assert_eq(n_msgs, 2);
	cr_assert_str_eq(last_msg, "kept");
	rfs_log_set_sink(NULL, NULL);
}

Test(util_buf, log_level_names_parse)
{
	cr_assert_eq(rfs_log_level_parse("err"), LOG_ERR);
	cr_assert_eq(rfs_log_level_parse("error"), LOG_ERR);
	cr_assert_eq(rfs_log_level_parse("warning"), LOG_WARNING);
	cr_assert_eq(rfs_log_level_parse("info"), LOG_INFO);
	cr_assert_eq(rfs_log_level_parse("debug"), LOG_DEBUG);
	cr_assert_eq(rfs_log_level_parse("verbose"), -1);
	cr_assert_eq(rfs_log_level_parse(""), -1);
	cr_assert_eq(rfs_log_level_parse("INFO"), -1);
}

static void escaped_is(const char *in, const char *want)
{
	struct rfs_buf b = RFS_BUF_INIT;

	cr_assert_eq(rfs_buf_add_escaped(&b, in), 0);
	cr_assert_str_eq(rfs_buf_str(&b), want);
	rfs_buf_release(&b);
}

/* A name in a report is one line: control characters and bad UTF-8 are
 * escaped, everything else kept. */
Test(util_buf, escaped_names_stay_one_line)
{
	escaped_is("dt=2001-01-01", "dt=2001-01-01");
	escaped_is("a\nb\tc\rd", "a\\nb\\tc\\rd");
	escaped_is("\033[31mred", "\\x1b[31mred");
	escaped_is("del\x7f", "del\\x7f");
	escaped_is("bad\xff\xfe", "bad\\xff\\xfe");
	escaped_is("caf\xc3\xa9 \xe6\x97\xa5", "caf\xc3\xa9 \xe6\x97\xa5");
	/* U+0085 NEXT LINE, a C1 control, is both bytes escaped. */
	escaped_is("x\xc2\x85y", "x\\xc2\\x85y");
	/* A truncated sequence. */
	escaped_is("\xe6\x97", "\\xe6\\x97");
}

/* The log never gets a line broken by a name. */
Test(util_buf, log_lines_escape_names)
{
	rfs_log_set_sink(capture, &n_msgs);
	rfs_log_set_level(LOG_INFO);
	rfs_log(LOG_ERR, "archive of '%s' failed", "dt=a\nb");
	cr_assert_str_eq(last_msg, "archive of 'dt=a\\nb' failed");
	rfs_log_set_sink(NULL, NULL);
}
