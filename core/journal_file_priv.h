/**
 * @file journal_file_priv.h
 * @brief What the catalog file's check (journal_check.c) shares with its
 *        export, planning and apply (journal_file.c). Not for other
 *        modules.
 */
#ifndef RFS_CORE_JOURNAL_FILE_PRIV_H
#define RFS_CORE_JOURNAL_FILE_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct rfs_error;

/**
 * Check a catalog file document whole: its version, every key and type,
 * names, URIs, dates, epochs that overlap, settings. Nothing is changed.
 * @return 0; -EINVAL or -EPROTO with the reason in @p err
 */
int rfs_catalog_file_check(const json_t *doc, struct rfs_error *err);

/**
 * Parse a day of the file: "YYYY-MM-DD", or "now" when @p open.
 * @param where what the day is, for the message
 * @param s     the text
 * @param open  "now" is allowed (an epoch's end)
 * @param d     set to the day, or RFS_DATE_NOW
 * @param err   receives the reason; may be NULL
 * @return 0 or -EINVAL
 */
int rfs_catalog_file_day(const char *where, const char *s, bool open,
			 int32_t *d, struct rfs_error *err);

/** @return the string member @p k of object @p o, or NULL (borrowed) */
const char *rfs_catalog_file_str(const json_t *o, const char *k);

/** @return the object of array @p arr whose "name" is @p name, or NULL
 *          (borrowed) */
const json_t *rfs_catalog_file_find(const json_t *arr, const char *name);

#endif
