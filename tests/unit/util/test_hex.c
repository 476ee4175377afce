/*
 * util/hex: digits of either case, whole percent escapes only, and the
 * encoding of every byte value.
 */
#include "util/hex.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

TestSuite(util_hex);

Test(util_hex, digits_of_either_case_and_nothing_else)
{
	cr_assert_eq(rfs_hex_digit('0'), 0);
	cr_assert_eq(rfs_hex_digit('9'), 9);
	cr_assert_eq(rfs_hex_digit('a'), 10);
	cr_assert_eq(rfs_hex_digit('F'), 15);
	cr_assert_eq(rfs_hex_digit('g'), -1);
	cr_assert_eq(rfs_hex_digit('G'), -1);
	cr_assert_eq(rfs_hex_digit('/'), -1);
	cr_assert_eq(rfs_hex_digit(':'), -1);
	cr_assert_eq(rfs_hex_digit('\0'), -1);
	cr_assert_eq(rfs_hex_digit((char)0xc3), -1);
}

Test(util_hex, a_percent_escape_is_whole_or_none)
{
	cr_assert_eq(rfs_hex_pct("%2F", 3), 0x2f);
	cr_assert_eq(rfs_hex_pct("%ff", 3), 0xff);
	cr_assert_eq(rfs_hex_pct("%00x", 4), 0);
	cr_assert_eq(rfs_hex_pct("%2F", 2), -1, "two bytes left");
	cr_assert_eq(rfs_hex_pct("%2", 2), -1);
	cr_assert_eq(rfs_hex_pct("%G0", 3), -1);
	cr_assert_eq(rfs_hex_pct("%0G", 3), -1);
	cr_assert_eq(rfs_hex_pct("x2F", 3), -1);
}

Test(util_hex, every_byte_encodes_and_decodes_back)
{
	unsigned char all[256];
	char hex[513], want[3];
	int i;

	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	rfs_hex_encode(all, sizeof(all), hex);
	cr_assert_eq(strlen(hex), 512);
	for (i = 0; i < 256; i++) {
		char esc[4] = { '%', hex[2 * i], hex[2 * i + 1], '\0' };

		snprintf(want, sizeof(want), "%02x", i);
		cr_assert(!memcmp(hex + 2 * i, want, 2), "byte %d", i);
		cr_assert_eq(rfs_hex_pct(esc, 3), i);
	}
	rfs_hex_encode("", 0, hex);
	cr_assert_str_eq(hex, "");
}
