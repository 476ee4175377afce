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

/* One line: "ETAG LASTMOD SIZE MODE UID GID MTIME ATIME HAS_MTIME KEY",
 * the key last with '%', CR and LF escaped as %XX. */
static int format_line(char *out, size_t size, const char *full,
		       const struct rfs_s3_meta *m)
{
	int n = snprintf(out, size, "%s %lld %lld %u %u %u %lld %lld %d ",
			 m->etag, (long long)to_sec(m->server_ns),
			 (long long)m->size, (unsigned int)m->mode,
			 (unsigned int)m->uid, (unsigned int)m->gid,
			 (long long)m->mtime_ns, (long long)m->atime_ns,
			 m->has_mtime ? 1 : 0);

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

static int unhex(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
				      : -1;
}

/* Parse one line into @p m and the decoded key (in place). */
static bool parse_line(char *line, struct rfs_s3_meta *m, char **full)
{
	long long lm, size, mt, at;
	unsigned int mode, uid, gid;
	int has, used = 0;
	char *k, *o;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%71s %lld %lld %u %u %u %lld %lld %d %n", m->etag,
		   &lm, &size, &mode, &uid, &gid, &mt, &at, &has, &used) != 9 ||
	    !used)
		return false;
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
		if (*k == '%' && unhex(k[1]) >= 0 && unhex(k[2]) >= 0) {
			*o++ = (char)(unhex(k[1]) * 16 + unhex(k[2]));
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
	    asprintf(&path, "%s/s3-attrs-%.24s", folder, sum) < 0) {
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
	    e->m.has_mtime != m->has_mtime) {
		set(a, full, m);
		n = format_line(line, sizeof(line), full, m);
		if (a->fd >= 0 && n > 0 && write(a->fd, line, (size_t)n) == n)
			a->lines++;
	}
	pthread_mutex_unlock(&a->lock);
}
