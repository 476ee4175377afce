/**
 * @file tableformat.h
 * @brief Transactional table formats (Delta Lake, Apache Iceberg, Apache
 *        Hudi): finding the table root an item belongs to.
 *
 * Such a table is read through its own log, which names its data files:
 * archiving one of its folders alone leaves the log pointing at missing
 * files and breaks every reader. The archive use case therefore refuses a
 * part of a table and allows its whole root (core/archive.h). A table
 * root is a folder holding:
 *
 * | format  | marker                                   |
 * | ------- | ---------------------------------------- |
 * | Delta   | a folder `_delta_log/`                   |
 * | Iceberg | `metadata/` with a `*.metadata.json` file |
 * | Hudi    | a folder `.hoodie/`                      |
 *
 * The functions only read through the backend given; they may be called
 * from several threads with backends of their own.
 */
#ifndef RFS_CORE_TABLEFORMAT_H
#define RFS_CORE_TABLEFORMAT_H

#include <stddef.h>

struct rfs_backend;

/** A transactional table format, or none. */
enum rfs_table_format {
	RFS_TABLE_FORMAT_NONE,	  /**< a plain folder */
	RFS_TABLE_FORMAT_DELTA,	  /**< Delta Lake: `_delta_log/` */
	RFS_TABLE_FORMAT_ICEBERG, /**< Apache Iceberg: `metadata/` */
	RFS_TABLE_FORMAT_HUDI,	  /**< Apache Hudi: `.hoodie/` */
};

/** @return "Delta", "Iceberg", "Hudi", or "plain" (static) */
const char *rfs_table_format_name(enum rfs_table_format f);

/** @return the marker of the format, "_delta_log/", "metadata/",
 *  ".hoodie/", or "" (static) */
const char *rfs_table_format_marker(enum rfs_table_format f);

/**
 * Which table format has its root at the folder @p key.
 * @param b   the storage
 * @param key the folder, "" for @p b's root
 * @param out set to the format, RFS_TABLE_FORMAT_NONE for a plain folder
 * @return 0; or the backend's -errno when a marker cannot be read (other
 *         than -ENOENT and -ENOTDIR, which mean "not there")
 */
int rfs_table_format_at(struct rfs_backend *b, const char *key,
			enum rfs_table_format *out);

/**
 * The nearest table root strictly above @p key: the folders from @p key's
 * parent up to @p b's root are looked at, nearest first.
 * @param b        the storage
 * @param key      the item, not empty
 * @param fmt      set to the format found, or RFS_TABLE_FORMAT_NONE
 * @param root_len set to the length of the root's key in @p key (0 for
 *                 @p b's root); untouched when none is found
 * @return 0, or the -errno of a read that failed (see rfs_table_format_at())
 */
int rfs_table_format_above(struct rfs_backend *b, const char *key,
			   enum rfs_table_format *fmt, size_t *root_len);

#endif
