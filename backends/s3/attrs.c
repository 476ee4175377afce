/*
 * The attribute store of the S3 adapter: what HEADs and our own copies
 * told of each object (x-amz-meta-mtime, -atime, -mode, -uid, -gid),
 * keyed by its full key and kept with the ETag, size and Last-Modified
 * (to the second) it had then, in a file that outlives the process. A
 * listing entry whose ETag, size and Last-Modified all match takes its
 * attributes from here instead of a HEAD, so a second mount lists like
 * attrs=listing while showing the kept times. Anything else is a miss:
 * an object rewritten (new ETag), or one whose metadata was replaced
 * (new Last-Modified), is asked for again.
 *
 * A version whose bytes recyclefs read (the source of an archive's copy,
 * the copy itself) is kept with their SHA-256 and MD5: the archive's
 * delete step deletes a source only while a listing shows it with the
 * ETag and size of the version whose SHA-256 the manifest holds, and the
 * verify step takes a copy's ETag in a listing as the server's word on
 * the bytes recorded here (fresh.c). A copy whose SHA-256 the server
 * stated (checksum=auto, attest.c) is kept with that SHA-256 and no MD5,
 * marked as the server's: its ETag in a listing says the object is still
 * the version the server made and stated it for.
 *
 * One file per endpoint, bucket, attribute source and key id, in
 * $RECYCLEFS_S3_ATTR_CACHE (a folder; "off" for none), else
 * $XDG_CACHE_HOME/recyclefs, else ~/.cache/recyclefs. Its first line is
 * that identity; then one line per answer, appended with O_APPEND (one
 * write(2) each, so processes sharing it never interleave a line); later
 * lines win. It is read once per process, and rewritten compactly when
 * most of its lines are out of date. A store that cannot be opened or read
 * is simply not used: it only saves requests.
 */
#include "backends/s3/s3_ops.h"

#include "util/clock.h"
#include "util/sha256.h"
#include "util/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUCKETS	    65536
#define MAX_ENTRIES 2000000

struct aentry {
	struct aentry *next;
	char *full;
	struct rfs_s3_meta m; /* with its etag, size and server_ns */
};

struct rfs_s3_attrs {
	struct rfs_s3_attrs *next; /* in the process's list */
	char *id;
	int refs;
	pthread_mutex_t lock;
	struct aentry **b;
	size_t count, lines;
	int fd; /* -1: not stored */
};

static pthread_mutex_t attrs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rfs_s3_attrs *attrs_list;

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h % BUCKETS);
}

static int64_t to_sec(int64_t ns)
{
	return ns >= 0 ? ns / RFS_NSEC_PER_SEC
		       : -((-ns + RFS_NSEC_PER_SEC - 1) / RFS_NSEC_PER_SEC);
}

static struct aentry *find(struct rfs_s3_attrs *a, const char *full)
{
	struct aentry *e;

	for (e = a->b[hash(full)]; e && strcmp(e->full, full); e = e->next)
		;
	return e;
}

static void set(struct rfs_s3_attrs *a, const char *full,
		const struct rfs_s3_meta *m)
{
	struct aentry *e = find(a, full);

	if (e && !*m->sha256 && *e->m.sha256 && !strcmp(e->m.etag, m->etag)) {
		/* the same version, seen again: its digests stay */
		char sha[65], md5[33];
		bool server = e->m.sha256_server;

		memcpy(sha, e->m.sha256, sizeof(sha));
		memcpy(md5, e->m.md5, sizeof(md5));
		e->m = *m;
		memcpy(e->m.sha256, sha, sizeof(sha));
		memcpy(e->m.md5, md5, sizeof(md5));
		e->m.sha256_server = server;
		return;
	}
	if (!e) {
		if (a->count >= MAX_ENTRIES)
			return;
		e = calloc(1, sizeof(*e));
		if (!e || !(e->full = strdup(full))) {
			free(e);
			return;
		}
		e->next = a->b[hash(full)];
		a->b[hash(full)] = e;
		a->count++;
	}
	e->m = *m;
}

/* Whether @p s is @p len hex digits. */
static bool is_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdefABCDEF") == len;
}

/* One line: "ETAG LASTMOD SIZE MODE UID GID MTIME ATIME HAS_MTIME SHA256
 * MD5 KEY" (a digest not known is "-"; MD5 is "S" for a SHA-256 the
 * server stated, sha256_server), the key last with '%', CR and LF
 * escaped as %XX. */
static int format_line(char *out, size_t size, const char *full,
		       const struct rfs_s3_meta *m)
{
	bool server = m->sha256_server && is_hex(m->sha256, 64);
	bool sums = server || (is_hex(m->sha256, 64) && is_hex(m->md5, 32));
	int n = snprintf(out, size, "%s %lld %lld %u %u %u %lld %lld %d %s %s ",
			 m->etag, (long long)to_sec(m->server_ns),
			 (long long)m->size, (unsigned int)m->mode,
			 (unsigned int)m->uid, (unsigned int)m->gid,
			 (long long)m->mtime_ns, (long long)m->atime_ns,
			 m->has_mtime ? 1 : 0, sums ? m->sha256 : "-",
			 server ? "S"
			 : sums ? m->md5
				: "-");

	if (n < 0 || (size_t)n >= size)
		return -1;
	for (; *full; full++) {
		if ((size_t)n + 4 >= size)
			return -1;
		if (*full == '%' || *full == '\n' || *full == '\r')
			n += snprintf(out + n, size - (size_t)n, "%%%02X",
				      (unsigned char)*full);
		else
			out[n++] = *full;
	}
	out[n++] = '\n';
	return n;
}

/* Parse one line into @p m and the decoded key (in place). */
static bool parse_line(char *line, struct rfs_s3_meta *m, char **full)
{
	long long lm, size, mt, at;
	unsigned int mode, uid, gid;
	int has, used = 0;
	char *k, *o;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%71s %lld %lld %u %u %u %lld %lld %d %64s %32s %n",
		   m->etag, &lm, &size, &mode, &uid, &gid, &mt, &at, &has,
		   m->sha256, m->md5, &used) != 11 ||
	    !used)
		return false;
	m->sha256_server = !strcmp(m->md5, "S") && is_hex(m->sha256, 64);
	if (m->sha256_server)
		m->md5[0] = '\0';
	else if (!is_hex(m->sha256, 64) || !is_hex(m->md5, 32))
		m->sha256[0] = m->md5[0] = '\0';
	m->server_ns = m->ctime_ns = lm * RFS_NSEC_PER_SEC;
	m->size = size;
	m->mode = mode;
	m->uid = uid;
	m->gid = gid;
	m->mtime_ns = mt;
	m->atime_ns = at;
	m->has_mtime = has != 0;
	if (!S_ISREG(m->mode) && !S_ISLNK(m->mode))
		return false;
	for (k = o = line + used; *k && *k != '\n'; k++) {
		/* k[2] is read only after a hex digit at k[1] */
		int b = rfs_hex_pct(k, 3);

		if (b >= 0) {
			*o++ = (char)b;
			k += 2;
		} else {
			*o++ = *k;
		}
	}
	*o = '\0';
	*full = line + used;
	return **full != '\0';
}

/* Write every entry anew, beside the file, and rename it over. */
static void compact(struct rfs_s3_attrs *a, const char *path)
{
	char *tmp = NULL, line[4096 + 256];
	FILE *f;
	size_t i;
	int fd;

	if (asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		free(tmp);
		return;
	}
	fprintf(f, "%s\n", a->id);
	for (i = 0; i < BUCKETS; i++)
		for (struct aentry *e = a->b[i]; e; e = e->next)
			if (format_line(line, sizeof(line), e->full, &e->m) > 0)
				fputs(line, f);
	if (fclose(f) == 0 && rename(tmp, path) == 0)
		a->lines = a->count;
	else
		unlink(tmp);
	free(tmp);
}

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* The store's file: its folder made, its lines read. */
static void load(struct rfs_s3_attrs *a)
{
	const char *dir = getenv("RECYCLEFS_S3_ATTR_CACHE");
	char *folder = NULL, *path = NULL, *line = NULL, sum[RFS_SHA256_HEX];
	size_t cap = 0;
	bool first = true, ours = true;
	FILE *f;
	int fd;

	if (dir && !strcmp(dir, "off"))
		return;
	if (dir && *dir)
		folder = strdup(dir);
	else if (getenv("XDG_CACHE_HOME") && *getenv("XDG_CACHE_HOME"))
		(void)!asprintf(&folder, "%s/recyclefs",
				getenv("XDG_CACHE_HOME"));
	else if (getenv("HOME") && *getenv("HOME"))
		(void)!asprintf(&folder, "%s/.cache/recyclefs", getenv("HOME"));
	if (!folder || mkdirs(folder) < 0 ||
	    rfs_sha256_buf(a->id, strlen(a->id), sum) < 0 ||
	    asprintf(&path, "%s/s3-attrs2-%.24s", folder, sum) < 0) {
		free(folder);
		return;
	}
	free(folder);
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(dup(fd), "r") : NULL;
	while (f && getline(&line, &cap, f) > 0) {
		struct rfs_s3_meta m;
		char *full;

		if (first) {
			ours = !strncmp(line, a->id, strlen(a->id)) &&
			       line[strlen(a->id)] == '\n';
			first = false;
			if (!ours)
				break;
			continue;
		}
		a->lines++;
		if (parse_line(line, &m, &full))
			set(a, full, &m);
	}
	if (f)
		fclose(f);
	free(line);
	if (fd >= 0 && first &&
	    (size_t)write(fd, a->id, strlen(a->id)) != strlen(a->id))
		ours = false;
	if (fd >= 0 && first && ours && write(fd, "\n", 1) != 1)
		ours = false;
	if (fd >= 0 && ours) {
		a->fd = fd;
		if (a->lines > 2 * a->count + 10000) {
			compact(a, path);
			close(a->fd);
			a->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		}
	} else if (fd >= 0) {
		close(fd); /* another bucket's file of the same name */
	}
	free(path);
}

struct rfs_s3_attrs *rfs_s3_attrs_open(const char *id)
{
	struct rfs_s3_attrs *a;

	pthread_mutex_lock(&attrs_lock);
	for (a = attrs_list; a && strcmp(a->id, id); a = a->next)
		;
	if (!a && (a = calloc(1, sizeof(*a)))) {
		a->id = strdup(id);
		a->b = calloc(BUCKETS, sizeof(*a->b));
		if (!a->id || !a->b || strchr(id, '\n')) {
			free(a->id);
			free(a->b);
			free(a);
			a = NULL;
		} else {
			a->fd = -1;
			pthread_mutex_init(&a->lock, NULL);
			load(a);
			a->next = attrs_list;
			attrs_list = a;
		}
	}
	if (a)
		a->refs++;
	pthread_mutex_unlock(&attrs_lock);
	return a;
}

void rfs_s3_attrs_close(struct rfs_s3_attrs *a)
{
	struct rfs_s3_attrs **p;

	if (!a)
		return;
	pthread_mutex_lock(&attrs_lock);
	if (--a->refs > 0) {
		pthread_mutex_unlock(&attrs_lock);
		return;
	}
	for (p = &attrs_list; *p != a; p = &(*p)->next)
		;
	*p = a->next;
	pthread_mutex_unlock(&attrs_lock);
	for (size_t i = 0; i < BUCKETS; i++) {
		struct aentry *e = a->b[i], *n;

		for (; e; e = n) {
			n = e->next;
			free(e->full);
			free(e);
		}
	}
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a->b);
	free(a->id);
	free(a);
}

bool rfs_s3_attrs_find(struct rfs_s3_attrs *a, const char *full,
		       struct rfs_s3_meta *m)
{
	struct aentry *e;

	if (!a)
		return false;
	pthread_mutex_lock(&a->lock);
	e = find(a, full);
	if (e)
		*m = e->m;
	pthread_mutex_unlock(&a->lock);
	return e != NULL;
}

bool rfs_s3_attrs_get(struct rfs_s3_attrs *a, const char *full,
		      const char *etag, int64_t size, int64_t listed_ns,
		      struct rfs_s3_meta *m)
{
	struct aentry *e;
	bool hit = false;

	if (!a || !*etag)
		return false;
	pthread_mutex_lock(&a->lock);
	e = find(a, full);
	if (e && !strcmp(e->m.etag, etag) && e->m.size == size &&
	    to_sec(e->m.server_ns) == to_sec(listed_ns)) {
		*m = e->m;
		hit = true;
	}
	pthread_mutex_unlock(&a->lock);
	return hit;
}

void rfs_s3_attrs_put(struct rfs_s3_attrs *a, const char *full,
		      const struct rfs_s3_meta *m)
{
	char line[4096 + 256];
	struct aentry *e;
	int n;

	if (!a || !*m->etag || !m->server_ns || strpbrk(m->etag, " \n\r") ||
	    (!S_ISREG(m->mode) && !S_ISLNK(m->mode)))
		return;
	pthread_mutex_lock(&a->lock);
	e = find(a, full);
	if (!e || strcmp(e->m.etag, m->etag) ||
	    e->m.server_ns != m->server_ns || e->m.size != m->size ||
	    e->m.mode != m->mode || e->m.uid != m->uid || e->m.gid != m->gid ||
	    e->m.mtime_ns != m->mtime_ns || e->m.atime_ns != m->atime_ns ||
	    e->m.has_mtime != m->has_mtime ||
	    (*m->sha256 && (strcmp(e->m.sha256, m->sha256) ||
			    e->m.sha256_server != m->sha256_server))) {
		set(a, full, m);
		e = find(a, full); /* with the digests it kept */
		n = format_line(line, sizeof(line), full, e ? &e->m : m);
		if (a->fd >= 0 && n > 0 && write(a->fd, line, (size_t)n) == n)
			a->lines++;
	}
	pthread_mutex_unlock(&a->lock);
}

/* A pin is kept under "/" and the full key: no object's full key starts
 * with a slash, so no answer about the object itself replaces it. */
void rfs_s3_attrs_pin(struct rfs_s3_attrs *a, const char *full,
		      const struct rfs_s3_meta *m)
{
	char *k;

	if (!a || asprintf(&k, "/%s", full) < 0)
		return;
	rfs_s3_attrs_put(a, k, m);
	free(k);
}

bool rfs_s3_attrs_pinned(struct rfs_s3_attrs *a, const char *full,
			 struct rfs_s3_meta *m)
{
	char *k;
	bool hit;

	if (!a || asprintf(&k, "/%s", full) < 0)
		return false;
	hit = rfs_s3_attrs_find(a, k, m) && *m->sha256;
	free(k);
	return hit;
}
