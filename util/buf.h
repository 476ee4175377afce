/**
 * @file buf.h
 * @brief Growable byte buffer with a size cap, for paths, bodies and text.
 *
 * A buffer owns its bytes and always keeps them NUL-terminated, so
 * rfs_buf_str() can be passed to any C string function. A buffer is not
 * thread-safe: one thread uses it at a time.
 */
#ifndef RFS_UTIL_BUF_H
#define RFS_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

/** Default size cap: 64 MiB. */
#define RFS_BUF_DEFAULT_CAP ((size_t)64 << 20)

/** A growable buffer. Initialise with RFS_BUF_INIT or rfs_buf_init(). */
struct rfs_buf {
	char *data;   /**< the bytes, NUL-terminated; NULL until first add */
	size_t len;   /**< bytes in use, not counting the terminating NUL */
	size_t alloc; /**< bytes allocated */
	size_t cap;   /**< the most bytes the buffer may hold */
};

/** Static initialiser with the default cap. */
#define RFS_BUF_INIT                                                           \
	{                                                                      \
		NULL, 0, 0, RFS_BUF_DEFAULT_CAP                                \
	}

/**
 * Initialise @p b empty; allocates nothing.
 * @param b   the buffer
 * @param cap the most bytes it may hold; 0 means RFS_BUF_DEFAULT_CAP
 */
void rfs_buf_init(struct rfs_buf *b, size_t cap);

/**
 * Append @p len bytes.
 * @return 0, -ENOMEM when allocation fails, -E2BIG past the cap; on
 *         failure the buffer is unchanged
 */
int rfs_buf_add(struct rfs_buf *b, const void *data, size_t len);

/** Append a C string. @return as rfs_buf_add() */
int rfs_buf_addstr(struct rfs_buf *b, const char *s);

/** Append one byte. @return as rfs_buf_add() */
int rfs_buf_addch(struct rfs_buf *b, char c);

/** Append printf-style text. @return as rfs_buf_add() */
int rfs_buf_addf(struct rfs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** va_list form of rfs_buf_addf(). @return as rfs_buf_add() */
int rfs_buf_vaddf(struct rfs_buf *b, const char *fmt, va_list ap);

/** Drop the content after @p len bytes (no-op if already shorter). */
void rfs_buf_truncate(struct rfs_buf *b, size_t len);

/** Empty the buffer, keeping its allocation. */
void rfs_buf_reset(struct rfs_buf *b);

/**
 * The content as a C string.
 * @return borrowed pointer, valid until the next change; "" when empty
 */
const char *rfs_buf_str(const struct rfs_buf *b);

/**
 * Take the content and leave the buffer empty.
 * @return a malloc'ed, NUL-terminated string the caller frees, or NULL on
 *         out-of-memory
 */
char *rfs_buf_detach(struct rfs_buf *b);

/**
 * Append @p s as a human-readable report shows a name, on one line: a
 * newline as `\n`, a tab as `\t`, a carriage return as `\r`, any other
 * control character (C0, DEL, C1) and every byte that is not part of
 * valid UTF-8 as `\xHH`; everything else as it is.
 * @return as rfs_buf_add()
 */
int rfs_buf_add_escaped(struct rfs_buf *b, const char *s);

/** Free the content; the buffer may be reused after rfs_buf_init(). */
void rfs_buf_release(struct rfs_buf *b);

#endif
