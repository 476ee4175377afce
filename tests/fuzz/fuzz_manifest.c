/*
 * Manifests read back from storage by `recyclefs reindex`
 * (core/manifest_read.c, with core/manifest.c's codecs): the input is
 * stored as a manifest on a memory backend and read with a row callback.
 * A manifest is checked whole before any row is handed out, so on
 * failure no row may have been seen.
 */
#include "backends/backend.h"
#include "model/entry.h"
#include "core/manifest.h"
#include "fuzz.h"
#include "util/error.h"

#include <assert.h>
#include <fcntl.h>

static struct rfs_backend *bin;
static const char *key = RFS_MANIFEST_DIR "/0123abcd.json";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rfs_error err = { 0 };

	(void)argc;
	(void)argv;
	if (rfs_backend_open("mem://fuzz-manifest/bin", &bin, &err) < 0)
		abort();
	rfs_backend_mkdir(bin, ".recyclefs", 0755);
	rfs_backend_mkdir(bin, RFS_MANIFEST_DIR, 0755);
	return 0;
}

static int row(void *ctx, const struct rfs_entry_file *f)
{
	(void)f;
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfs_entry e = { 0 };
	struct rfs_error err = { 0 };
	struct rfs_file *f;
	size_t rows = 0;
	int r;

	if (rfs_backend_open_file(bin, key, O_CREAT | O_TRUNC | O_WRONLY, 0644,
				  &f) < 0)
		abort();
	if (size && rfs_file_write(f, data, size, 0) != (ssize_t)size)
		abort();
	if (rfs_file_close(f) < 0)
		abort();
	r = rfs_manifest_read(bin, key, &e, row, &rows, &err);
	if (r < 0) {
		assert(rows == 0);
		assert(*err.msg);
	}
	rfs_entry_release(&e);
	return 0;
}
