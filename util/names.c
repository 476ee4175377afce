#include "util/names.h"

#include "util/error.h"

#include <errno.h>
#include <string.h>

bool rfs_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		unsigned int cp;
		size_t len, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* C0 controls, DEL, and the C1 controls U+0080..U+009F (UTF-8 C2 80 to
 * C2 9F), among them U+0085 NEXT LINE. */
static bool has_control(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return true;
		if (c == 0xc2 && (unsigned char)s[1] >= 0x80 &&
		    (unsigned char)s[1] <= 0x9f)
			return true;
	}
	return false;
}

int rfs_name_check(const char *kind, const char *name, struct rfs_error *err)
{
	size_t n = strlen(name);

	if (n == 0)
		return rfs_error_set(err, EINVAL, "%s name is empty", kind);
	if (n > RFS_NAME_MAX)
		return rfs_error_set(err, EINVAL,
				     "%s name is longer than %d bytes", kind,
				     RFS_NAME_MAX);
	if (!rfs_utf8_valid(name, n))
		return rfs_error_set(err, EINVAL, "%s name is not valid UTF-8",
				     kind);
	if (has_control(name))
		return rfs_error_set(err, EINVAL,
				     "%s name contains a control character "
				     "(newline, tab, ...)",
				     kind);
	if (strchr(name, '/'))
		return rfs_error_set(err, EINVAL, "%s name '%s' contains '/'",
				     kind, name);
	if (strstr(name, ".."))
		return rfs_error_set(err, EINVAL, "%s name '%s' contains '..'",
				     kind, name);
	if (name[0] == '.')
		return rfs_error_set(err, EINVAL,
				     "%s name '%s' starts with '.' (reserved "
				     "for the mount's own directories)",
				     kind, name);
	return 0;
}

int rfs_relpath_check(const char *what, const char *path, struct rfs_error *err)
{
	size_t n = strlen(path);

	if (!rfs_utf8_valid(path, n))
		return rfs_error_set(err, EINVAL, "%s is not valid UTF-8",
				     what);
	if (has_control(path))
		return rfs_error_set(err, EINVAL,
				     "%s contains a control character", what);
	return rfs_datapath_check(what, path, err);
}

int rfs_datapath_check(const char *what, const char *path,
		       struct rfs_error *err)
{
	const char *c = path;
	size_t n = strlen(path);

	if (path[0] == '/')
		return rfs_error_set(err, EINVAL,
				     "%s '%s' must be relative to its root",
				     what, path);
	if (n == 0)
		return 0;
	for (;;) {
		size_t len = strcspn(c, "/");

		if (len == 0)
			return rfs_error_set(err, EINVAL,
					     "%s '%s' has an empty component",
					     what, path);
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return rfs_error_set(err, EINVAL,
					     "%s '%s' escapes its root ('..')",
					     what, path);
		if (len == 1 && c[0] == '.')
			return rfs_error_set(err, EINVAL,
					     "%s '%s' has a '.' component",
					     what, path);
		if (len > RFS_NAME_MAX)
			return rfs_error_set(err, EINVAL,
					     "%s '%s' has a component longer "
					     "than %d bytes",
					     what, path, RFS_NAME_MAX);
		if (c[len] == '\0')
			return 0;
		c += len + 1;
	}
}

char *rfs_relpath_normalize(char *path)
{
	char *r = path, *w = path;

	while (*r) {
		if (*r == '/' && (w == path || w[-1] == '/')) {
			r++;
			continue;
		}
		*w++ = *r++;
	}
	if (w > path && w[-1] == '/')
		w--;
	*w = '\0';
	return path;
}
