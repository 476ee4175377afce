/**
 * @file json_name.h
 * @brief Names as JSON, byte for byte: a name may hold any byte but NUL
 *        and '/', and JSON strings hold only valid UTF-8.
 *
 * A name that is valid UTF-8 is a JSON string (control characters
 * escaped by JSON itself: "a\nb"). Any other name is the object
 * `{"hex": "<its bytes in lower-case hex>"}`. Manifests and the command
 * line's --json output use this form; readers turn such objects back into
 * the bytes.
 */
#ifndef RFS_CORE_JSON_NAME_H
#define RFS_CORE_JSON_NAME_H

#include <jansson.h>

/**
 * The JSON value of name @p s: a string, or {"hex": ...} when @p s is not
 * valid UTF-8.
 * @param s the name; NULL gives JSON null
 * @return a new reference, or NULL when out of memory
 */
json_t *rfs_json_name(const char *s);

/**
 * The JSON value of a message for people (a reason that may quote names):
 * a string, with the bytes of bad UTF-8 escaped as `\xHH` when needed.
 * @param s the text; NULL gives JSON null
 * @return a new reference, or NULL when out of memory
 */
json_t *rfs_json_text(const char *s);

/**
 * Replace, anywhere inside @p v, every object of the one member "hex"
 * (with an even number of hex digits) by a string of those bytes (which
 * may be bad UTF-8: jansson keeps it as given). A "hex" that encodes a NUL
 * byte is left as it is.
 * @return 0 or -ENOMEM
 */
int rfs_json_unwrap_names(json_t *v);

#endif
