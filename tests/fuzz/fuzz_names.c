/*
 * Names, paths, dates and settings given by users or read back from
 * storage: catalog names and relative paths (util/names.c), epoch dates
 * and directory names (model/date.c), durations (util/clock.c), config
 * values (core/config.c) and the manifests' time and mode codecs
 * (core/manifest.c). The first byte picks the parser. Parsed values must
 * format back to what parses to the same value.
 */
#include "core/config.h"
#include "model/date.h"
#include "core/manifest_priv.h"
#include "util/names.h"
#include "fuzz.h"
#include "util/clock.h"
#include "util/error.h"

#include <assert.h>
#include <stdio.h>

static void dates(const char *s)
{
	struct rfs_error err = { 0 };
	char out[RFS_DATE_STRLEN], range[RFS_RANGE_STRLEN];
	int32_t d, from, to;

	if (rfs_date_parse("date", s, &d, &err) == 0)
		assert(!strcmp(rfs_date_format(d, out), s));
	if (rfs_epoch_range_parse(s, &from, &to) == 0) {
		assert(from < to);
		assert(!strcmp(rfs_epoch_range_format(from, to, range), s));
	}
	if (strlen(s) >= 4) { /* any day count formats (a tampered index) */
		memcpy(&d, s, 4);
		rfs_date_format(d, out);
		assert(strlen(out) == 10 || !strcmp(out, "now"));
	}
}

static void manifest_codecs(const char *s)
{
	char ns_text[RFS_MANIFEST_NS_LEN], iso[RFS_MANIFEST_ISO_LEN];
	char mode_text[RFS_MANIFEST_MODE_LEN];
	int64_t ns, back;
	uint32_t mode, mode_back;

	if (rfs_manifest_parse_ns(s, &ns) == 0) {
		rfs_manifest_format_ns(ns, ns_text);
		assert(rfs_manifest_parse_ns(ns_text, &back) == 0 &&
		       back == ns);
	}
	if (rfs_manifest_parse_iso(s, &ns) == 0) {
		rfs_manifest_format_iso(ns, iso);
		assert(rfs_manifest_parse_iso(iso, &back) == 0 && back == ns);
	}
	if (rfs_manifest_parse_mode(s, &mode) == 0) {
		rfs_manifest_format_mode(mode, mode_text);
		assert(rfs_manifest_parse_mode(mode_text, &mode_back) == 0 &&
		       mode_back == mode);
	}
}

static void config(const char *s)
{
	struct rfs_error err = { 0 };
	const struct rfs_config_key *keys;
	size_t n, i;

	keys = rfs_config_keys(&n);
	for (i = 0; i < n; i++) {
		char key[128];
		size_t kl = strlen(keys[i].key);

		snprintf(key, sizeof(key), "%s", keys[i].key);
		if (kl > 2 && !strcmp(key + kl - 2, ".*"))
			snprintf(key + kl - 1, sizeof(key) - kl + 1, "t");
		rfs_config_check(key, s, &err);
	}
	rfs_config_check(s, "x", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfs_error err = { 0 };
	int64_t ns;
	char *s;

	if (size < 1)
		return 0;
	s = fuzz_str(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 5) {
	case 0:
		rfs_utf8_valid(s, size - 1);
		if (rfs_name_check("table", s, &err) == 0)
			assert(rfs_utf8_valid(s, strlen(s)));
		rfs_relpath_check("path", rfs_relpath_normalize(s), &err);
		break;
	case 1:
		dates(s);
		break;
	case 2:
		if (rfs_time_parse_duration(s, &ns) == 0)
			assert(ns >= 0);
		break;
	case 3:
		manifest_codecs(s);
		break;
	default:
		config(s);
		break;
	}
	free(s);
	return 0;
}
