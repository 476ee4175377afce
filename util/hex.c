/*
 * Hexadecimal digits and percent escapes.
 */
#include "util/hex.h"

int rfs_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rfs_hex_pct(const char *s, size_t left)
{
	int hi, lo;

	if (left < 3 || s[0] != '%')
		return -1;
	hi = rfs_hex_digit(s[1]);
	lo = hi < 0 ? -1 : rfs_hex_digit(s[2]);
	return lo < 0 ? -1 : hi << 4 | lo;
}

void rfs_hex_encode(const void *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}
