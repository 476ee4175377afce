/*
 * What the libFuzzer harnesses share: a NUL-terminated copy of the input
 * and a way to split it into parts. docs/untrusted-input.md says how to
 * run them.
 */
#ifndef RFS_TESTS_FUZZ_H
#define RFS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/** A malloc'ed NUL-terminated copy of @p n bytes (NULs inside kept). */
static inline char *fuzz_str(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, data, n);
		s[n] = '\0';
	}
	return s;
}

/**
 * Take the next part of the input, up to the next NUL byte (or the end):
 * @return a malloc'ed NUL-terminated part, or NULL at the end
 */
static inline char *fuzz_next(const uint8_t **data, size_t *size)
{
	const uint8_t *z;
	size_t n;
	char *s;

	if (!*size)
		return NULL;
	z = memchr(*data, '\0', *size);
	n = z ? (size_t)(z - *data) : *size;
	s = fuzz_str(*data, n);
	*data += n + (z != NULL);
	*size -= n + (z != NULL);
	return s;
}

#endif
