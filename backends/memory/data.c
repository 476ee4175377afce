/*
 * File contents of the memory backend: a sorted array of fixed-size
 * chunks, so that a write at 5 GiB costs one chunk and holes read as
 * zeros. Bytes of a chunk past the file size are always zero, so growing
 * a file never shows old data. Every function runs with the store's lock
 * held.
 */
#include "backends/memory/mem_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Index of the first chunk with idx >= @p idx. */
static size_t chunk_pos(const struct rfs_mem_node *n, uint64_t idx)
{
	size_t lo = 0, hi = n->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n->chunks[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static unsigned char *chunk_find(const struct rfs_mem_node *n, uint64_t idx)
{
	size_t i = chunk_pos(n, idx);

	if (i < n->nchunks && n->chunks[i].idx == idx)
		return n->chunks[i].bytes;
	return NULL;
}

static unsigned char *chunk_get(struct rfs_mem_store *s, struct rfs_mem_node *n,
				uint64_t idx)
{
	size_t i = chunk_pos(n, idx);
	unsigned char *bytes;

	if (i < n->nchunks && n->chunks[i].idx == idx)
		return n->chunks[i].bytes;
	if (n->nchunks == n->chunks_alloc) {
		size_t alloc = n->chunks_alloc ? n->chunks_alloc * 2 : 4;
		struct rfs_mem_chunk *c;

		c = realloc(n->chunks, alloc * sizeof(*c));
		if (!c)
			return NULL;
		n->chunks = c;
		n->chunks_alloc = alloc;
	}
	bytes = calloc(1, RFS_MEM_CHUNK);
	if (!bytes)
		return NULL;
	memmove(&n->chunks[i + 1], &n->chunks[i],
		(n->nchunks - i) * sizeof(*n->chunks));
	n->chunks[i].idx = idx;
	n->chunks[i].bytes = bytes;
	n->nchunks++;
	s->chunks++;
	return bytes;
}

/* Free the chunks [from, to) of the array. */
static void chunks_drop(struct rfs_mem_store *s, struct rfs_mem_node *n,
			size_t from, size_t to)
{
	size_t i;

	if (from == to)
		return;
	for (i = from; i < to; i++)
		free(n->chunks[i].bytes);
	memmove(&n->chunks[from], &n->chunks[to],
		(n->nchunks - to) * sizeof(*n->chunks));
	n->nchunks -= to - from;
	s->chunks -= to - from;
}

ssize_t rfs_mem_data_read(const struct rfs_mem_node *n, void *buf, size_t size,
			  off_t off)
{
	unsigned char *out = buf;
	size_t done = 0;

	if (off < 0)
		return -EINVAL;
	if (off >= n->size)
		return 0;
	if ((uint64_t)size > (uint64_t)(n->size - off))
		size = (size_t)(n->size - off);
	while (done < size) {
		uint64_t pos = (uint64_t)off + done;
		size_t in = (size_t)(pos % RFS_MEM_CHUNK);
		size_t len = RFS_MEM_CHUNK - in;
		const unsigned char *c = chunk_find(n, pos / RFS_MEM_CHUNK);

		if (len > size - done)
			len = size - done;
		if (c)
			memcpy(out + done, c + in, len);
		else
			memset(out + done, 0, len);
		done += len;
	}
	return (ssize_t)done;
}

ssize_t rfs_mem_data_write(struct rfs_mem_store *s, struct rfs_mem_node *n,
			   const void *buf, size_t size, off_t off)
{
	const unsigned char *in = buf;
	size_t done = 0;

	if (off < 0)
		return -EINVAL;
	if (off > RFS_MEM_MAX_SIZE || size > (size_t)(RFS_MEM_MAX_SIZE - off))
		return -EFBIG;
	/* get every chunk first, so that a failed write changes nothing
	 * visible: chunks it added hold zeros, as the holes they fill */
	while (done < size) {
		uint64_t pos = (uint64_t)off + done;
		size_t len = RFS_MEM_CHUNK - (size_t)(pos % RFS_MEM_CHUNK);

		if (!chunk_get(s, n, pos / RFS_MEM_CHUNK))
			return -ENOMEM;
		done += len;
	}
	for (done = 0; done < size;) {
		uint64_t pos = (uint64_t)off + done;
		size_t at = (size_t)(pos % RFS_MEM_CHUNK);
		size_t len = RFS_MEM_CHUNK - at;

		if (len > size - done)
			len = size - done;
		memcpy(chunk_find(n, pos / RFS_MEM_CHUNK) + at, in + done, len);
		done += len;
	}
	if (off + (off_t)size > n->size)
		n->size = off + (off_t)size;
	return (ssize_t)size;
}

int rfs_mem_data_truncate(struct rfs_mem_store *s, struct rfs_mem_node *n,
			  off_t size)
{
	if (size < 0)
		return -EINVAL;
	if (size > RFS_MEM_MAX_SIZE)
		return -EFBIG;
	if (size < n->size) {
		uint64_t first =
			((uint64_t)size + RFS_MEM_CHUNK - 1) / RFS_MEM_CHUNK;
		size_t at = (size_t)((uint64_t)size % RFS_MEM_CHUNK);
		unsigned char *c;

		chunks_drop(s, n, chunk_pos(n, first), n->nchunks);
		c = at ? chunk_find(n, (uint64_t)size / RFS_MEM_CHUNK) : NULL;
		if (c)
			memset(c + at, 0, RFS_MEM_CHUNK - at);
	}
	n->size = size;
	return 0;
}

int rfs_mem_data_punch(struct rfs_mem_store *s, struct rfs_mem_node *n,
		       off_t off, off_t len)
{
	uint64_t start, end, idx;

	if (off < 0 || len <= 0)
		return -EINVAL;
	if (off >= n->size)
		return 0;
	start = (uint64_t)off;
	end = (uint64_t)len > (uint64_t)(n->size - off) ? (uint64_t)n->size
							: start + (uint64_t)len;
	for (idx = start / RFS_MEM_CHUNK; idx * RFS_MEM_CHUNK < end; idx++) {
		uint64_t cs = idx * RFS_MEM_CHUNK, ce = cs + RFS_MEM_CHUNK;
		size_t i = chunk_pos(n, idx);

		if (i >= n->nchunks)
			break;
		if (n->chunks[i].idx != idx) {
			/* skip ahead to the next present chunk */
			idx = n->chunks[i].idx - 1;
			continue;
		}
		if (cs >= start && ce <= end) {
			chunks_drop(s, n, i, i + 1);
		} else {
			uint64_t a = cs > start ? cs : start;
			uint64_t b = ce < end ? ce : end;

			memset(n->chunks[i].bytes + (a - cs), 0, b - a);
		}
	}
	return 0;
}

int rfs_mem_data_copy(struct rfs_mem_store *s, struct rfs_mem_node *dst,
		      const struct rfs_mem_node *src)
{
	size_t i;

	if (src->nchunks) {
		dst->chunks = malloc(src->nchunks * sizeof(*dst->chunks));
		if (!dst->chunks)
			return -ENOMEM;
		dst->chunks_alloc = src->nchunks;
	}
	for (i = 0; i < src->nchunks; i++) {
		unsigned char *bytes = malloc(RFS_MEM_CHUNK);

		if (!bytes)
			return -ENOMEM;
		memcpy(bytes, src->chunks[i].bytes, RFS_MEM_CHUNK);
		dst->chunks[i].idx = src->chunks[i].idx;
		dst->chunks[i].bytes = bytes;
		dst->nchunks++;
		s->chunks++;
	}
	dst->size = src->size;
	return 0;
}

void rfs_mem_data_free(struct rfs_mem_store *s, struct rfs_mem_node *n)
{
	chunks_drop(s, n, 0, n->nchunks);
	free(n->chunks);
	n->chunks = NULL;
	n->chunks_alloc = 0;
	n->size = 0;
}
