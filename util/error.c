#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rfs_error_set(struct rfs_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -code;
}

int rfs_error_errno(struct rfs_error *err, int code, const char *what)
{
	if (code < 0)
		code = -code;
	if (err && !err->code)
		rfs_error_set(err, code, "%s: %s", what, strerror(code));
	return -code;
}

void rfs_error_prefix(struct rfs_error *err, const char *fmt, ...)
{
	char tmp[RFS_ERROR_MSG_MAX];
	va_list ap;
	int n;

	if (!err || !err->code)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp) - 2)
		return;
	tmp[n++] = ':';
	tmp[n++] = ' ';
	memcpy(tmp + n, err->msg, sizeof(tmp) - (size_t)n - 1);
	tmp[sizeof(tmp) - 1] = '\0';
	memcpy(err->msg, tmp, sizeof(err->msg));
}

void rfs_error_clear(struct rfs_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
