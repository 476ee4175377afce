/*
 * The history of a table's lifecycles as one JSON document, for the
 * command line and the mount.
 */
#include "core/history.h"

#include "index/index.h"
#include "util/clock.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Does @p s begin with @p prefix? */
static bool starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

int rfs_history_lc_record(const struct rfs_history_record *rec, void *ctx)
{
	struct rfs_history_lc *h = ctx;
	const char *lc, *ep, *now;
	json_t *d;
	char at[32];
	int r = 0;

	if (strcmp(rec->subject, h->table) ||
	    (!starts(rec->action, "epoch.") &&
	     !starts(rec->action, "lifecycle.")))
		return 0;
	d = json_loads(rec->detail ? rec->detail : "", 0, NULL);
	lc = json_string_value(json_object_get(d, "lifecycle"));
	ep = json_string_value(json_object_get(d, "epoch"));
	now = json_string_value(json_object_get(d, "now"));
	if (!strcmp(rec->action, "epoch.close"))
		ep = json_string_value(json_object_get(d, "was"));
	if (!lc || (h->lifecycle && strcmp(lc, h->lifecycle)) ||
	    (h->from && !starts(ep, h->from) && !starts(now, h->from))) {
		json_decref(d);
		return 0;
	}
	h->n++;
	if (h->arr) {
		json_t *o;

		rfs_time_format(rec->at_ns, at, sizeof(at));
		o = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:O?}", "id",
			      (json_int_t)rec->id, "at", at, "action",
			      rec->action, "lifecycle", lc, "epoch", ep,
			      "detail", d);
		r = json_array_append_new(h->arr, o) < 0 ? -ENOMEM : 0;
	}
	if (r == 0 && h->each)
		r = h->each(h->ctx, rec, lc, ep, d);
	json_decref(d);
	return r;
}

json_t *rfs_history_lc_doc(const struct rfs_history_lc *h, const char *epoch)
{
	return json_pack("{s:s, s:s?, s:s*, s:O}", "table", h->table,
			 "lifecycle", h->lifecycle, "epoch", epoch, "history",
			 h->arr);
}
