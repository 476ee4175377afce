/**
 * @file hex.h
 * @brief Hexadecimal digits and percent escapes, decoded and encoded once
 * for every module (URIs, S3 signing and listings, names, digests).
 */
#ifndef RFS_UTIL_HEX_H
#define RFS_UTIL_HEX_H

#include <stddef.h>

/**
 * The value of one hexadecimal digit, either case.
 * @return 0 to 15, or -1 when @p c is not a hexadecimal digit
 */
int rfs_hex_digit(char c);

/**
 * The byte a percent escape "%XX" at @p s stands for.
 * @param s    where the escape may start
 * @param left how many bytes are readable at @p s (the escape needs 3)
 * @return 0 to 255, or -1 when @p s does not start a whole escape (no '%',
 *         too short, or a digit that is not hexadecimal)
 */
int rfs_hex_pct(const char *s, size_t left);

/**
 * Write @p n bytes of @p data as 2 * @p n lower-case hexadecimal digits and
 * a NUL into @p out, which holds 2 * @p n + 1 bytes.
 */
void rfs_hex_encode(const void *data, size_t n, char *out);

#endif
