/*
 * The AWS shared files (~/.aws/credentials, ~/.aws/config), read as
 * botocore reads them: "[section]" lines, "key = value" lines, whole-line
 * comments ('#' or ';'), and indented "key = value" lines under a
 * "key =" with no value (a nested block such as "s3 =", whose keys are
 * kept as "s3.key"). Values may be secrets: they are wiped when freed,
 * and so is the file's text once parsed.
 */
#include "backends/s3/s3_priv.h"

#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Larger AWS files than this are not credential files. */
#define INI_MAX ((size_t)1 << 20)

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void rfs_s3_ini_release(struct rfs_s3_ini *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->e[i].section);
		free(f->e[i].key);
		wipe_free(f->e[i].value);
	}
	free(f->e);
	memset(f, 0, sizeof(*f));
}

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

static int ini_add(struct rfs_s3_ini *f, const char *section,
		   const char *parent, const char *key, size_t kn,
		   const char *value, size_t vn)
{
	struct rfs_s3_ini_entry *e;
	char *k = trimmed(key, kn);

	if (!k)
		return -ENOMEM;
	if (f->n == f->alloc) {
		size_t n = f->alloc ? 2 * f->alloc : 16;

		e = reallocarray(f->e, n, sizeof(*e));
		if (!e) {
			free(k);
			return -ENOMEM;
		}
		f->e = e;
		f->alloc = n;
	}
	e = &f->e[f->n];
	e->section = strdup(section);
	e->value = trimmed(value, vn);
	if (parent && k && e->section) {
		size_t len = strlen(parent) + strlen(k) + 2;
		char *full = malloc(len);

		if (full)
			snprintf(full, len, "%s.%s", parent, k);
		free(k);
		k = full;
	}
	e->key = k;
	if (!e->section || !e->value || !e->key) {
		free(e->section);
		free(e->key);
		wipe_free(e->value);
		return -ENOMEM;
	}
	f->n++;
	return 0;
}

/*
 * Parse INI text as botocore does: "[section]" lines, "key = value" lines,
 * whole-line comments ('#' or ';'), and indented "key = value" lines
 * under a "key =" with no value (a nested block such as "s3 =").
 */
static int ini_parse(struct rfs_s3_ini *f, const char *text)
{
	char section[256] = "", parent[64] = "";
	const char *line = text;
	int r = 0;

	while (*line && !r) {
		size_t n = strcspn(line, "\n");
		const char *s = line, *eq;
		bool indented = *s == ' ' || *s == '\t';
		size_t len = n;

		line += n + (line[n] == '\n');
		while (len && isspace((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (!len || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *name = s[len - 1] == ']' ? trimmed(s + 1, len - 2)
						       : NULL;

			parent[0] = '\0';
			if (name && strlen(name) < sizeof(section))
				strcpy(section, name);
			else
				section[0] = '\0'; /* ignore its keys */
			free(name);
			continue;
		}
		eq = memchr(s, '=', len);
		if (!eq || !*section)
			continue;
		if (!indented)
			parent[0] = '\0';
		if (indented && *parent) {
			r = ini_add(f, section, parent, s, (size_t)(eq - s),
				    eq + 1, len - (size_t)(eq + 1 - s));
			continue;
		}
		if (eq + 1 == s + len && (size_t)(eq - s) < sizeof(parent)) {
			/* "s3 =": the indented lines below belong to it */
			char *p = trimmed(s, (size_t)(eq - s));

			if (!p)
				return -ENOMEM;
			strcpy(parent, p);
			free(p);
			continue;
		}
		r = ini_add(f, section, NULL, s, (size_t)(eq - s), eq + 1,
			    len - (size_t)(eq + 1 - s));
	}
	return r;
}

int rfs_s3_ini_load(struct rfs_s3_ini *f, const char *path, const char *shown,
		    struct rfs_error *err)
{
	char *text;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return rfs_error_set(err, EACCES,
				     "storage '%s': cannot read '%s': %s",
				     shown, path, strerror(errno));
	}
	text = malloc(INI_MAX + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	while (len < INI_MAX &&
	       (n = read(fd, text + len, INI_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = rfs_error_set(err, EACCES,
					  "storage '%s': cannot read '%s': %s",
					  shown, path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	text[len] = '\0';
	r = ini_parse(f, text);
out:
	explicit_bzero(text, len);
	free(text);
	close(fd);
	return r;
}

const char *rfs_s3_ini_get(const struct rfs_s3_ini *f, const char *section,
			   const char *key)
{
	const char *v = NULL;

	if (!section)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->e[i].section, section) &&
		    !strcmp(f->e[i].key, key))
			v = f->e[i].value; /* the last one wins */
	return v && *v ? v : NULL;
}
