/*
 * util/sha256: NIST vectors, streaming in odd pieces, release semantics.
 */
#include "util/sha256.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void assert_digest(const char *msg, const char *hex)
{
	char out[RFS_SHA256_HEX];

	cr_assert_eq(rfs_sha256_buf(msg, strlen(msg), out), 0);
	cr_assert_str_eq(out, hex, "sha256(\"%s\")", msg);
}

Test(util_sha256, empty_input)
{
	assert_digest("", "e3b0c44298fc1c149afbf4c8996fb924"
			  "27ae41e4649b934ca495991b7852b855");
}

Test(util_sha256, abc)
{
	assert_digest("abc", "ba7816bf8f01cfea414140de5dae2223"
			     "b00361a396177a9cb410ff61f20015ad");
}

Test(util_sha256, two_block_448_bit_message)
{
	assert_digest(
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039"
		"a33ce45964ff2167f6ecedd419db06c1");
}

Test(util_sha256, one_million_a)
{
	static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67"
				   "f1809a48a497200e046d39ccc7112cd0";
	size_t n = 1000000;
	char *a = malloc(n);
	char out[RFS_SHA256_HEX];
	struct rfs_sha256 h;

	cr_assert_not_null(a);
	memset(a, 'a', n);
	cr_assert_eq(rfs_sha256_buf(a, n, out), 0);
	cr_assert_str_eq(out, want);

	/* The same, fed one 1000-byte piece at a time. */
	cr_assert_eq(rfs_sha256_init(&h), 0);
	for (size_t i = 0; i < 1000; i++)
		cr_assert_eq(rfs_sha256_update(&h, a + i * 1000, 1000), 0);
	cr_assert_eq(rfs_sha256_final(&h, out), 0);
	cr_assert_str_eq(out, want);
	free(a);
}

Test(util_sha256, streaming_in_odd_pieces_equals_one_shot)
{
	static const size_t pieces[] = { 1, 3, 7, 63, 64, 65, 127, 1000, 4097 };
	size_t n = 300001;
	unsigned char *data = malloc(n);
	char one[RFS_SHA256_HEX], streamed[RFS_SHA256_HEX];

	cr_assert_not_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	cr_assert_eq(rfs_sha256_buf(data, n, one), 0);
	for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
		struct rfs_sha256 h;
		size_t off = 0;

		cr_assert_eq(rfs_sha256_init(&h), 0);
		while (off < n) {
			size_t k = pieces[(p + off) % 9] + p;

			if (k > n - off)
				k = n - off;
			cr_assert_eq(rfs_sha256_update(&h, data + off, k), 0);
			cr_assert_eq(rfs_sha256_update(&h, data + off, 0), 0);
			off += k;
		}
		cr_assert_eq(rfs_sha256_final(&h, streamed), 0);
		cr_assert_str_eq(streamed, one, "pieces from %zu", pieces[p]);
	}
	free(data);
}

Test(util_sha256, output_is_lower_case_hex)
{
	char out[RFS_SHA256_HEX];

	cr_assert_eq(rfs_sha256_buf("x", 1, out), 0);
	cr_assert_eq(strlen(out), 64);
	cr_assert_eq(strspn(out, "0123456789abcdef"), 64);
}

Test(util_sha256, release_after_final_and_twice_is_safe)
{
	struct rfs_sha256 h;
	char out[RFS_SHA256_HEX];

	cr_assert_eq(rfs_sha256_init(&h), 0);
	cr_assert_eq(rfs_sha256_update(&h, "abc", 3), 0);
	cr_assert_eq(rfs_sha256_final(&h, out), 0);
	cr_assert_null(h.ctx);
	rfs_sha256_release(&h);
	rfs_sha256_release(&h);

	/* Using a finished hash is an error, not a crash. */
	cr_assert_eq(rfs_sha256_update(&h, "abc", 3), -EIO);
	cr_assert_eq(rfs_sha256_final(&h, out), -EIO);
}

Test(util_sha256, release_of_an_unfinished_hash)
{
	struct rfs_sha256 h;

	cr_assert_eq(rfs_sha256_init(&h), 0);
	cr_assert_eq(rfs_sha256_update(&h, "abc", 3), 0);
	rfs_sha256_release(&h);
	cr_assert_null(h.ctx);
	rfs_sha256_release(&h);
}
