/*
 * The history of catalog changes and the configuration keys.
 */
#include "index/index.h"
#include "util/clock.h"
#include "util/error.h"

#include "helpers.h"

#include <errno.h>

static struct rfs_index *idx;

static void setup(void)
{
	cr_assert_eq(rfs_index_open(":memory:", 0, &idx, NULL), 0);
}

static void teardown(void)
{
	rfs_index_free(idx);
}

TestSuite(index_history, .init = setup, .fini = teardown);

/* Records seen by collect(). */
struct seen {
	int n;
	int stop_at; /* return 7 on this record (1-based); 0: never */
	int64_t ids[8], at[8];
	char actions[8][32], subjects[8][64], details[8][64];
	int nested; /* records seen by a walk nested in the callback */
};

static int collect(const struct rfs_history_record *rec, void *ctx)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, 8);
	s->ids[s->n] = rec->id;
	s->at[s->n] = rec->at_ns;
	snprintf(s->actions[s->n], sizeof(s->actions[0]), "%s", rec->action);
	snprintf(s->subjects[s->n], sizeof(s->subjects[0]), "%s", rec->subject);
	snprintf(s->details[s->n], sizeof(s->details[0]), "%s", rec->detail);
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static void add(const char *action, const char *subject, const char *detail)
{
	struct rfs_error err = { 0 };

	cr_assert_eq(rfs_index_history_add(idx, action, subject, detail, &err),
		     0, "%s", err.msg);
}

Test(index_history, empty_history_calls_nothing)
{
	struct seen s = { 0 };

	cr_assert_eq(rfs_index_history_list(idx, collect, &s, NULL), 0);
	cr_assert_eq(s.n, 0);
}

Test(index_history, records_come_back_oldest_first)
{
	struct seen s = { 0 };
	int64_t before = rfs_time_now_ns(), after;

	add("storage.add", "nfs", "{\"uri\":\"file:///srv/nfs\"}");
	add("table.add", "sales.orders", NULL);
	add("epoch.close", "sales.orders/bronze/2001-01-01..now",
	    "{\"to\":\"2010-01-01\"}");
	after = rfs_time_now_ns();

	cr_assert_eq(rfs_index_history_list(idx, collect, &s, NULL), 0);
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.actions[0], "storage.add");
	cr_assert_str_eq(s.subjects[0], "nfs");
	cr_assert_str_eq(s.details[0], "{\"uri\":\"file:///srv/nfs\"}");
	cr_assert_str_eq(s.actions[1], "table.add");
	cr_assert_str_eq(s.details[1], "", "a NULL detail reads as \"\"");
	cr_assert_str_eq(s.actions[2], "epoch.close");
	cr_assert_str_eq(s.subjects[2], "sales.orders/bronze/2001-01-01..now");
	cr_assert_lt(s.ids[0], s.ids[1]);
	cr_assert_lt(s.ids[1], s.ids[2]);
	cr_assert_geq(s.at[0], before);
	cr_assert_leq(s.at[0], s.at[1]);
	cr_assert_leq(s.at[1], s.at[2]);
	cr_assert_leq(s.at[2], after);
}

Test(index_history, callback_can_stop_the_walk)
{
	struct seen s = { .stop_at = 2 };

	add("a", "1", NULL);
	add("b", "2", NULL);
	add("c", "3", NULL);
	cr_assert_eq(rfs_index_history_list(idx, collect, &s, NULL), 7);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.actions[1], "b");
}

static int nested(const struct rfs_history_record *rec, void *ctx)
{
	struct seen *s = ctx, inner = { 0 };

	(void)rec;
	cr_assert_eq(rfs_index_history_list(idx, collect, &inner, NULL), 0);
	s->nested += inner.n;
	s->n++;
	return 0;
}

Test(index_history, callback_may_use_the_handle)
{
	struct seen s = { 0 };

	add("a", "1", NULL);
	add("b", "2", NULL);
	cr_assert_eq(rfs_index_history_list(idx, nested, &s, NULL), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.nested, 4);
}

Test(index_history, rolled_back_records_are_gone)
{
	struct seen s = { 0 };

	add("kept", "1", NULL);
	cr_assert_eq(rfs_index_begin(idx, NULL), 0);
	add("dropped", "2", NULL);
	rfs_index_rollback(idx);
	cr_assert_eq(rfs_index_history_list(idx, collect, &s, NULL), 0);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.actions[0], "kept");
}

Test(index_history, config_get_set_unset)
{
	struct rfs_error err = { 0 };
	char *value = (char *)"untouched";

	cr_assert_eq(rfs_index_config_get(idx, "bin.keep", &value, &err),
		     -ENOENT);
	cr_assert_eq(err.code, ENOENT);
	cr_assert_str_eq(err.msg, "configuration key 'bin.keep' is not set");
	cr_assert_str_eq(value, "untouched");

	cr_assert_eq(rfs_index_config_set(idx, "bin.keep", "30d", NULL), 0);
	cr_assert_eq(rfs_index_config_set(idx, "hook", "/usr/bin/h", NULL), 0);
	cr_assert_eq(rfs_index_config_get(idx, "bin.keep", &value, NULL), 0);
	cr_assert_str_eq(value, "30d");
	free(value);

	cr_assert_eq(rfs_index_config_set(idx, "bin.keep", "7d", NULL), 0);
	cr_assert_eq(rfs_index_config_get(idx, "bin.keep", &value, NULL), 0);
	cr_assert_str_eq(value, "7d");
	free(value);

	cr_assert_eq(rfs_index_config_set(idx, "bin.keep", NULL, NULL), 0);
	cr_assert_eq(rfs_index_config_get(idx, "bin.keep", &value, NULL),
		     -ENOENT);
	/* Unsetting what is not set succeeds; other keys stay. */
	cr_assert_eq(rfs_index_config_set(idx, "bin.keep", NULL, NULL), 0);
	cr_assert_eq(rfs_index_config_get(idx, "hook", &value, NULL), 0);
	cr_assert_str_eq(value, "/usr/bin/h");
	free(value);
}

Test(index_history, config_values_keep_every_character)
{
	static const char v[] = "a'b\"c; DROP TABLE config; --\n\tz \xc3\xa9";
	char *value = NULL;

	cr_assert_eq(rfs_index_config_set(idx, "k'ey", v, NULL), 0);
	cr_assert_eq(rfs_index_config_get(idx, "k'ey", &value, NULL), 0);
	cr_assert_str_eq(value, v);
	free(value);
	cr_assert_eq(rfs_index_config_set(idx, "", "empty key", NULL), 0);
	cr_assert_eq(rfs_index_config_get(idx, "", &value, NULL), 0);
	cr_assert_str_eq(value, "empty key");
	free(value);
}
