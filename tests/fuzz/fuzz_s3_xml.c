/*
 * The XML bodies of S3 replies (backends/s3/xml.c): ListObjectsV2 pages,
 * error bodies, single values (UploadId of multipart uploads, ETags of
 * parts) and CopyObject results. The first byte picks the parser; the
 * rest is the body. Checks what the parsers promise: a listing's objects
 * have keys, and a time out of range is never a wrapped value.
 */
#include "backends/s3/s3_priv.h"
#include "fuzz.h"
#include "util/timestamp.h"

#include <assert.h>

static void listing(const char *xml, size_t n)
{
	struct rfs_s3_listing l;
	size_t i;

	if (rfs_s3_parse_listing(xml, n, &l) < 0)
		return;
	for (i = 0; i < l.n_objects; i++) {
		assert(l.objects[i].key);
		assert(!l.objects[i].time_out_of_range ||
		       l.objects[i].mtime_ns == 0);
		assert(l.objects[i].mtime_ns / 1000000000 >= RFS_TIME_SEC_MIN);
		assert(l.objects[i].size >= 0);
	}
	for (i = 0; i < l.n_prefixes; i++)
		assert(l.prefixes[i]);
	rfs_s3_listing_release(&l);
}

static void value(const char *xml, size_t n, const char *name)
{
	char *v = NULL;

	if (rfs_s3_parse_value(xml, n, name, &v) == 0)
		assert(v);
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char code[64], message[256], etag[72];
	int64_t t;
	char *xml;

	if (size < 1)
		return 0;
	xml = fuzz_str(data + 1, size - 1);
	if (!xml)
		return 0;
	switch (data[0] % 5) {
	case 0:
		listing(xml, size - 1);
		break;
	case 1:
		if (rfs_s3_parse_error(xml, size - 1, code, sizeof(code),
				       message, sizeof(message)) == 0)
			assert(strlen(code) < sizeof(code));
		break;
	case 2:
		value(xml, size - 1, "UploadId");
		break;
	case 3:
		value(xml, size - 1, "ETag");
		break;
	default:
		rfs_s3_parse_copy_result(xml, size - 1, etag, sizeof(etag), &t);
		break;
	}
	free(xml);
	return 0;
}
