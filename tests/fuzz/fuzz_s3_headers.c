/*
 * Response headers and object metadata (backends/s3/http.c's header
 * callback, s3.c's x-amz-meta-* reading): the input is split into lines
 * at '\n' and fed to rfs_s3_take_header() as curl would, then read as a
 * file's and a directory's attributes. Times must be in range or the
 * object an error, never wrapped.
 */
#include "backends/s3/s3_ops.h"
#include "backends/s3/s3_priv.h"
#include "fuzz.h"
#include "util/timestamp.h"

#include <assert.h>
#include <errno.h>
#include <sys/stat.h>

static void in_range(int64_t ns)
{
	int64_t sec = ns / 1000000000 - (ns % 1000000000 < 0);

	assert(sec >= RFS_TIME_SEC_MIN && sec <= RFS_TIME_SEC_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfs_s3_request r;
	struct rfs_s3_meta m;
	const char *p = (const char *)data, *end = p + size;

	rfs_s3_req_init(&r, "HEAD", "fuzz/key");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		rfs_s3_take_header(&r, p, n);
		p += n;
	}
	for (int dir = 0; dir < 2; dir++) {
		int e = rfs_s3_meta_from(NULL, &r, dir, &m);

		assert(e == 0 || e == -EIO);
		if (e)
			continue;
		in_range(m.mtime_ns);
		in_range(m.atime_ns);
		in_range(m.ctime_ns);
		assert(m.size >= 0);
		assert(dir ? S_ISDIR(m.mode)
			   : S_ISREG(m.mode) || S_ISLNK(m.mode));
	}
	return 0;
}
