/*
 * The mount: options, checks, the FUSE session, catalog snapshots and the
 * cache of opened backends.
 */
#include "fs/fs.h"
#include "fs/internal.h"

#include "backends/backend.h"
#include "model/catalog.h"
#include "core/jobs.h"
#include "index/index.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/path.h"
#include "util/uri.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_log.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct fs_backend_slot *slot_find_locked(struct rfs_fs_state *st,
						const char *uri)
{
	size_t i = hash_str(uri) & (st->n_slots - 1);

	while (st->slots[i].uri && strcmp(st->slots[i].uri, uri))
		i = (i + 1) & (st->n_slots - 1);
	return &st->slots[i];
}

static int slots_grow_locked(struct rfs_fs_state *st)
{
	struct fs_backend_slot *old = st->slots;
	size_t n = st->n_slots, i;

	st->slots = calloc(n * 2, sizeof(*st->slots));
	if (!st->slots) {
		st->slots = old;
		return -ENOMEM;
	}
	st->n_slots = n * 2;
	for (i = 0; i < n; i++)
		if (old[i].uri)
			*slot_find_locked(st, old[i].uri) = old[i];
	free(old);
	return 0;
}

/* The debug line of a storage opened (its URI without its options, which
 * may hold keys). */
static void log_opened(const char *uri, int64_t since_ns)
{
	char *shown = rfs_uri_strip_query(uri);

	rfs_log(LOG_DEBUG, "opened the storage '%s' (%lld us)",
		shown ? shown : "?",
		(long long)(rfs_time_mono_ns() - since_ns) / 1000);
	free(shown);
}

int rfs_fs_epoch_backend(struct rfs_fs_state *st, const struct rfs_epoch *e,
			 struct rfs_backend **out)
{
	int r = rfs_fs_backend_for(st, e->uri, out);

	if (r == -EIO)
		rfs_log(LOG_ERR, "storage of epoch '%s/%s/%s' is unavailable",
			e->lifecycle->table->name, e->lifecycle->name, e->name);
	return r;
}

int rfs_fs_backend_for(struct rfs_fs_state *st, const char *uri,
		       struct rfs_backend **out)
{
	struct rfs_error err = { 0 };
	struct fs_backend_slot *slot;
	struct rfs_backend *b = NULL;
	int64_t now;
	int r = 0;

	pthread_mutex_lock(&st->lock);
	if (st->used_slots * 2 >= st->n_slots && slots_grow_locked(st) < 0) {
		pthread_mutex_unlock(&st->lock);
		return -ENOMEM;
	}
	slot = slot_find_locked(st, uri);
	/* another thread opens it (the mount's opening ahead, or a request):
	 * its answer is this one's */
	while (slot->uri && slot->opening) {
		pthread_cond_wait(&st->slot_cond, &st->lock);
		slot = slot_find_locked(st, uri);
	}
	if (slot->uri && slot->b) {
		*out = slot->b;
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
	now = rfs_time_mono_ns();
	if (slot->uri &&
	    (slot->error == -EPROTONOSUPPORT || now < slot->retry_ns)) {
		r = slot->error;
		pthread_mutex_unlock(&st->lock);
		return r;
	}
	if (!slot->uri) {
		slot->uri = strdup(uri);
		if (!slot->uri) {
			pthread_mutex_unlock(&st->lock);
			return -ENOMEM;
		}
		st->used_slots++;
	}
	/* opened without the lock: a slow storage holds up no other */
	slot->opening = true;
	pthread_mutex_unlock(&st->lock);
	r = rfs_backend_open(uri, &b, &err);
	if (r < 0 && r != -EPROTONOSUPPORT)
		rfs_log(LOG_ERR, "opening storage failed: %s", err.msg);
	if (r == 0)
		log_opened(uri, now);
	pthread_mutex_lock(&st->lock);
	slot = slot_find_locked(st, uri); /* the table may have grown */
	slot->opening = false;
	if (r == -EPROTONOSUPPORT) {
		slot->error = r;
	} else if (r < 0) {
		slot->error = r = -EIO;
		slot->retry_ns = now + RFS_NSEC_PER_SEC;
	} else {
		slot->b = b;
		*out = b;
	}
	pthread_cond_broadcast(&st->slot_cond);
	pthread_mutex_unlock(&st->lock);
	return r;
}

/*
 * The epochs' storages, opened when the mount starts: on a thread of its
 * own, one storage after the other, while the mount already serves. The
 * first request into an epoch then finds its storage open (its settings
 * and keys read, its kept attributes loaded) instead of paying for it.
 * A storage that cannot be opened is logged here and retried by the
 * first request that needs it, as without the opening ahead; a storage
 * whose server is down opens (opening sends no request) and its first
 * request fails.
 */
static bool stopping(struct rfs_fs_state *st)
{
	return __atomic_load_n(&st->ahead_stop, __ATOMIC_ACQUIRE);
}

static void *open_ahead(void *arg)
{
	struct rfs_fs_state *st = arg;
	struct fs_snap *snap = rfs_fs_snap_get(st);
	const struct rfs_catalog *cat = snap->cat;
	struct rfs_backend *b;
	size_t t, l, e;

	for (t = 0; t < cat->n_tables && !stopping(st); t++) {
		const struct rfs_table *tb = cat->tables[t];

		for (l = 0; l < tb->n_lifecycles && !stopping(st); l++) {
			const struct rfs_lifecycle *lc = tb->lifecycles[l];

			for (e = 0; e < lc->n_epochs && !stopping(st); e++)
				(void)rfs_fs_epoch_backend(st, lc->epochs[e],
							   &b);
		}
	}
	rfs_fs_snap_put(st, snap);
	return NULL;
}

void rfs_fs_open_ahead_start(struct rfs_fs_state *st)
{
	st->ahead_stop = false;
	st->ahead_on = pthread_create(&st->ahead, NULL, open_ahead, st) == 0;
	if (!st->ahead_on)
		rfs_log(LOG_INFO, "storages are opened on first use: no "
				  "thread to open them ahead");
}

void rfs_fs_open_ahead_stop(struct rfs_fs_state *st)
{
	if (!st->ahead_on)
		return;
	__atomic_store_n(&st->ahead_stop, true, __ATOMIC_RELEASE);
	pthread_join(st->ahead, NULL);
	st->ahead_on = false;
}

int rfs_fs_req_begin(struct req *q, struct rfs_fs_state *st, const char *path)
{
	int r;

	q->st = st;
	q->snap = rfs_fs_snap_get(q->st);
	q->b = NULL;
	q->berr = 0;
	q->path = path;
	q->pid = 0;
	r = rfs_namespace_resolve(q->snap->cat, path, &q->node);
	if (r == 0 && q->node.kind == RFS_NODE_EPOCH) {
		if (rfs_fs_key_hidden(q->node.epoch, q->node.rest) ||
		    rfs_fs_bin_hides(q->snap, q->node.epoch->id, q->node.rest))
			r = -ENOENT;
		else
			q->berr = rfs_fs_epoch_backend(q->st, q->node.epoch,
						       &q->b);
		if (q->b)
			rfs_fs_rel_check(q);
	}
	if (r < 0)
		rfs_fs_snap_put(q->st, q->snap);
	return r;
}

void rfs_fs_req_end(struct req *q)
{
	rfs_fs_snap_put(q->st, q->snap);
}

void rfs_fs_writer_add(struct rfs_fs_state *st, void *file, int64_t epoch_id,
		       const char *key, bool writing)
{
	struct fs_writer *w = calloc(1, sizeof(*w));

	if (!w || !(w->key = strdup(key))) {
		free(w);
		return;
	}
	w->file = file;
	w->epoch_id = epoch_id;
	w->writing = writing;
	pthread_mutex_lock(&st->lock);
	w->next = st->writers;
	st->writers = w;
	pthread_mutex_unlock(&st->lock);
}

void rfs_fs_writer_remove(struct rfs_fs_state *st, void *file)
{
	struct fs_writer **p, *w;

	pthread_mutex_lock(&st->lock);
	for (p = &st->writers; *p; p = &(*p)->next) {
		if ((*p)->file == file) {
			w = *p;
			*p = w->next;
			free(w->key);
			free(w);
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
}

void rfs_fs_dir_stat(struct rfs_fs_state *st, int64_t time_ns, struct stat *out)
{
	memset(out, 0, sizeof(*out));
	out->st_mode = S_IFDIR | 0755;
	out->st_nlink = 2;
	out->st_uid = st->uid;
	out->st_gid = st->gid;
	if (time_ns <= 0)
		time_ns = st->mounted_ns;
	out->st_mtim.tv_sec = time_ns / RFS_NSEC_PER_SEC;
	out->st_mtim.tv_nsec = time_ns % RFS_NSEC_PER_SEC;
	out->st_atim = out->st_mtim;
	out->st_ctim = out->st_mtim;
	out->st_blksize = 4096;
}

int rfs_fs_refuse(const char *op, const char *path, const char *why)
{
	rfs_log(LOG_WARNING, "%s of '%s' refused: %s", op, path, why);
	return -EPERM;
}

/* While fuse_new() parses the options, libfuse's messages (which come in
 * fragments: "unknown option(s): `", "-o ", "bogus'") are gathered here
 * to become one line; NULL otherwise. Only the starting thread uses it. */
static struct rfs_buf *fuse_gather;

static void fuse_log_to_rfs(enum fuse_log_level level, const char *fmt,
			    va_list ap)
{
	struct rfs_buf b = RFS_BUF_INIT;

	if (fuse_gather && level <= FUSE_LOG_ERR) {
		rfs_buf_vaddf(fuse_gather, fmt, ap);
		return;
	}
	if (!rfs_log_enabled((int)level))
		return;
	rfs_buf_vaddf(&b, fmt, ap);
	while (b.len && b.data[b.len - 1] == '\n')
		rfs_buf_truncate(&b, b.len - 1);
	rfs_log((int)level, "fuse: %s", rfs_buf_str(&b));
	rfs_buf_release(&b);
}

/* The mountpoint must be an existing directory that is not mounted on. */
static int check_mountpoint(const char *mnt)
{
	struct stat st, parent;
	char *up = NULL;
	int r;

	if (stat(mnt, &st) < 0) {
		if (errno == ENOTCONN)
			fprintf(stderr,
				"recyclefs: mountpoint '%s' is a dead mount; "
				"unmount it first (fusermount3 -u '%s')\n",
				mnt, mnt);
		else
			fprintf(stderr, "recyclefs: mountpoint '%s': %s\n", mnt,
				strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"recyclefs: mountpoint '%s' is not a directory\n", mnt);
		return -1;
	}
	if (asprintf(&up, "%s/..", mnt) < 0)
		return -1;
	r = stat(up, &parent);
	free(up);
	if (r < 0 || parent.st_dev != st.st_dev ||
	    (parent.st_ino == st.st_ino && strcmp(mnt, "/"))) {
		fprintf(stderr,
			"recyclefs: mountpoint '%s' is in use (something is "
			"mounted there); unmount it first\n",
			mnt);
		return -1;
	}
	return 0;
}

static int state_init(struct rfs_fs_state *st, const struct rfs_fs_options *o)
{
	struct rfs_error err = { 0 };

	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->wlock, NULL);
	pthread_mutex_init(&st->snap_lock, NULL);
	pthread_mutex_init(&st->reload_lock, NULL);
	pthread_mutex_init(&st->notice_lock, NULL);
	pthread_cond_init(&st->notice_cond, NULL);
	pthread_cond_init(&st->slot_cond, NULL);
	st->entry_timeout = st->attr_timeout = FS_DEFAULT_TIMEOUT;
	st->index_path = realpath(o->index_path, NULL);
	st->mountpoint = realpath(o->mountpoint, NULL);
	if (!st->index_path) {
		fprintf(stderr,
			"recyclefs: no recyclefs index at '%s'; run "
			"'recyclefs init'\n",
			o->index_path);
		return -1;
	}
	if (!st->mountpoint) {
		fprintf(stderr, "recyclefs: mountpoint '%s': %s\n",
			o->mountpoint, strerror(errno));
		return -1;
	}
	if (rfs_index_open(st->index_path, 0, &st->idx, &err) < 0 ||
	    rfs_index_data_version(st->idx, &st->data_version) < 0) {
		fprintf(stderr, "recyclefs: %s\n",
			err.msg[0] ? err.msg : "cannot read the index");
		return -1;
	}
	if (rfs_fs_snap_load(st, st->idx, &st->snap) < 0) {
		fprintf(stderr, "recyclefs: cannot read the index '%s'\n",
			st->index_path);
		return -1;
	}
	if (rfs_index_open(st->index_path, 0, &st->widx, &err) < 0) {
		fprintf(stderr, "recyclefs: %s\n", err.msg);
		return -1;
	}
	if (rfs_fs_parts_new(&st->parts) < 0 ||
	    rfs_fs_parts_load(st, st->widx) < 0) {
		fprintf(stderr,
			"recyclefs: cannot read the parts queued for "
			"purging in '%s'\n",
			st->index_path);
		return -1;
	}
	st->n_slots = 64;
	st->slots = calloc(st->n_slots, sizeof(*st->slots));
	if (!st->slots || rfs_fs_inodes_init(st) < 0 ||
	    rfs_fs_rel_init(st) < 0) {
		fprintf(stderr, "recyclefs: out of memory\n");
		return -1;
	}
	st->uid = getuid();
	st->gid = getgid();
	st->mounted_ns = rfs_time_now_ns();
	st->generation = (uint64_t)(st->mounted_ns / RFS_NSEC_PER_SEC);
	return 0;
}

/*
 * The index connections. SQLite's locks are POSIX record locks, which a
 * forked child does not inherit: a daemon must open its connections after
 * it forked, or another process closing the index would delete the WAL
 * under it.
 */
static void close_index(struct rfs_fs_state *st)
{
	rfs_index_free(st->idx);
	rfs_index_free(st->widx);
	st->idx = st->widx = NULL;
}

static int reopen_index(struct rfs_fs_state *st)
{
	struct rfs_error err = { 0 };

	if (rfs_index_open(st->index_path, 0, &st->idx, &err) < 0 ||
	    rfs_index_open(st->index_path, 0, &st->widx, &err) < 0) {
		rfs_log(LOG_ERR, "cannot open the index '%s': %s",
			st->index_path, err.msg);
		close_index(st);
		return -1;
	}
	st->data_version = -1; /* the watcher reloads at once */
	return 0;
}

static void state_release(struct rfs_fs_state *st)
{
	size_t i;

	for (i = 0; st->slots && i < st->n_slots; i++) {
		free(st->slots[i].uri);
		rfs_backend_free(st->slots[i].b);
	}
	free(st->slots);
	rfs_fs_parts_free(st->parts);
	if (st->snap)
		rfs_fs_snap_free(st->snap);
	while (st->writers) {
		struct fs_writer *w = st->writers;

		st->writers = w->next;
		free(w->key);
		free(w);
	}
	rfs_fs_inodes_release(st);
	rfs_fs_rel_release(st);
	rfs_index_free(st->idx);
	rfs_index_free(st->widx);
	free(st->index_path);
	free(st->mountpoint);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->wlock);
	pthread_mutex_destroy(&st->snap_lock);
	pthread_mutex_destroy(&st->reload_lock);
	pthread_mutex_destroy(&st->notice_lock);
	pthread_cond_destroy(&st->notice_cond);
	pthread_cond_destroy(&st->slot_cond);
}

/* A job ended: what the mount shows of the bin and of origins changed.
 * Reloaded here, on the worker's thread, so that the kernel is told
 * before the worker takes its next job. */
static void job_done(void *ctx, int64_t id)
{
	struct rfs_fs_state *st = ctx;

	if (id > 0) { /* an entry's job: its queued parts may be done */
		pthread_mutex_lock(&st->wlock);
		if (st->widx)
			rfs_fs_parts_prune(st, st->widx, id);
		pthread_mutex_unlock(&st->wlock);
	}
	rfs_fs_snap_invalidate(st);
}

/* The recycle job workers: after daemonizing, as threads do not survive
 * a fork. Unfinished jobs of a crashed daemon resume here. */
static int start_jobs(struct rfs_fs_state *st)
{
	struct rfs_error err = { 0 };
	char *v = NULL;
	int n = 2;

	if (rfs_index_config_get(st->widx, "jobs.workers", &v, &err) == 0)
		n = atoi(v);
	free(v);
	if (rfs_jobs_start(st->index_path, n > 0 ? n : 2, job_done, st,
			   &st->jobs, &err) < 0) {
		rfs_log(LOG_ERR, "cannot start recycle jobs: %s", err.msg);
		return -1;
	}
	return 0;
}

/* A number of seconds from 0 to 1e9 in @p v. @return 0 or -1 */
static int parse_seconds(const char *tok, const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (!*v || *end || errno || !(*out >= 0 && *out <= 1e9)) {
		fprintf(stderr,
			"recyclefs: bad mount option '%s': a number of seconds "
			"from 0 to 1e9 is needed\n",
			tok);
		return -1;
	}
	return 0;
}

/*
 * recyclefs's own -o options: cache_timeout=S is how long the kernel
 * keeps names and attributes (entry_timeout=S and attr_timeout=S one by
 * one); passthrough=off keeps the reads and writes of local files in the
 * daemon (auto, the default: passed through where the build and the
 * kernel allow). Others pass to the session (kernel mount options). @return 0
 * and set @p out (caller frees), or -1 with the reason printed
 */
static int rewrite_opts(struct rfs_fs_state *st, const char *in, char **out)
{
	char *copy = strdup(in), *tok, *save = NULL;
	struct rfs_buf b = RFS_BUF_INIT;
	double v;
	int r = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok && r == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "cache_timeout=", 14)) {
			r = parse_seconds(tok, tok + 14, &v);
			st->entry_timeout = st->attr_timeout = v;
		} else if (!strncmp(tok, "entry_timeout=", 14)) {
			r = parse_seconds(tok, tok + 14, &st->entry_timeout);
		} else if (!strncmp(tok, "attr_timeout=", 13)) {
			r = parse_seconds(tok, tok + 13, &st->attr_timeout);
		} else if (!strncmp(tok, "passthrough=", 12)) {
			st->passthrough_off = !strcmp(tok + 12, "off");
			if (!st->passthrough_off && strcmp(tok + 12, "auto")) {
				fprintf(stderr,
					"recyclefs: bad mount option '%s': "
					"passthrough=auto or passthrough=off\n",
					tok);
				r = -1;
			}
		} else {
			if (b.len)
				rfs_buf_addf(&b, ",");
			rfs_buf_addf(&b, "%s", tok);
		}
	}
	free(copy);
	*out = r == 0 ? strdup(rfs_buf_str(&b)) : NULL;
	rfs_buf_release(&b);
	return *out ? 0 : -1;
}

/* The mount's source in /proc/mounts, df and findmnt is the index, as
 * an fstab line names it. */
static int build_args(struct rfs_fs_state *st, struct fuse_args *args,
		      const struct rfs_fs_options *o)
{
	char *fsname = NULL, *opts = NULL;
	int r;

	if (asprintf(&fsname, "fsname=%s", o->index_path) < 0)
		return -1;
	r = fuse_opt_add_opt_escaped(&opts, fsname);
	free(fsname);
	r = r
		    ?: fuse_opt_add_opt(
			       &opts, "subtype=recyclefs,default_permissions");
	r = r ?: fuse_opt_add_arg(args, "recyclefs");
	r = r ?: fuse_opt_add_arg(args, "-o");
	r = r ?: fuse_opt_add_arg(args, opts);
	free(opts);
	if (r < 0)
		return -1;
	if (o->fuse_opts && *o->fuse_opts) {
		if (rewrite_opts(st, o->fuse_opts, &opts) < 0)
			return -2;
		r = *opts ? fuse_opt_add_arg(args, "-o")
				    ?: fuse_opt_add_arg(args, opts)
			  : 0;
		free(opts);
		if (r < 0)
			return -1;
	}
	if (o->debug && fuse_opt_add_arg(args, "-d") < 0)
		return -1;
	return 0;
}

/*
 * Go to the background, staying in the caller's session (fuse_daemonize()
 * calls setsid()). With the scheduler's autogroups (Linux, the default),
 * a session is a group that shares the CPU with the others as one: a
 * daemon in a session of its own waits, for every request, until the
 * scheduler reaches its group, which on a busy machine made an untar of
 * small files through the mount 20-40 times slower than in the caller's
 * session. The daemon takes a process group of its own instead (a
 * terminal's Ctrl-C or Ctrl-Z does not reach it), ignores SIGHUP (the
 * hangup of the caller's terminal: unmount with fusermount3 -u or
 * umount), works in "/" and sends its output to /dev/null. Under systemd
 * (a service or an fstab mount) the daemon is in a cgroup of its own and
 * autogroups do not apply. The parent returns once the child is set up.
 * @return 0 in the child; the parent exits; -1 when fork fails
 */
static int daemonize(void)
{
	int waiter[2], fd;
	char c = 0;

	if (pipe(waiter) < 0)
		return -1;
	switch (fork()) {
	case -1:
		close(waiter[0]);
		close(waiter[1]);
		return -1;
	case 0:
		break;
	default:
		_exit(read(waiter[0], &c, 1) == 1 ? 0 : 1);
	}
	close(waiter[0]);
	if (setpgid(0, 0) < 0)
		rfs_log(LOG_WARNING, "setpgid: %s", strerror(errno));
	if (chdir("/") < 0)
		rfs_log(LOG_WARNING, "chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (write(waiter[1], &c, 1) != 1)
		rfs_log(LOG_WARNING, "telling the caller the daemon runs: %s",
			strerror(errno));
	close(waiter[1]);
	return 0;
}

static int serve(struct fuse_session *se, const struct rfs_fs_options *o)
{
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	int r;

	if (!cfg)
		return -1;
	fuse_loop_cfg_set_max_threads(cfg, o->threads > 0 ? o->threads : 16);
	fuse_loop_cfg_set_idle_threads(cfg, 4);
	r = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}

/* libfuse's reason why the options were refused, as one line (without
 * its newlines and its "fuse: " prefixes), on stderr. */
static void bad_options(const struct rfs_fs_options *o, struct rfs_buf *g)
{
	char *s = g->len ? g->data : NULL, *w = s;

	for (char *c = s; c && *c; c++) {
		if (!strncmp(c, "fuse: ", 6)) {
			c += 5;
			continue;
		}
		*w++ = *c == '\n' ? ' ' : *c;
	}
	while (w && w > s && w[-1] == ' ')
		w--;
	if (w)
		*w = '\0';
	fprintf(stderr, "recyclefs: bad mount options '%s'%s%s\n",
		o->fuse_opts ? o->fuse_opts : "", s && *s ? ": " : "",
		s ? s : "");
}

int rfs_fs_main(const struct rfs_fs_options *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct rfs_buf gathered = RFS_BUF_INIT;
	struct fuse_session *se = NULL;
	struct rfs_fs_state st;
	int r = 1;

	if (o->debug)
		rfs_log_set_level(LOG_DEBUG);
	if (check_mountpoint(o->mountpoint) < 0)
		return 1;
	if (state_init(&st, o) < 0)
		goto out;
	fuse_set_log_func(fuse_log_to_rfs);
	if (build_args(&st, &args, o) < 0)
		goto out;
	fuse_gather = &gathered;
	se = fuse_session_new(&args, &rfs_fs_ll_ops, sizeof(rfs_fs_ll_ops),
			      &st);
	fuse_gather = NULL;
	if (!se) {
		bad_options(o, &gathered);
		rfs_buf_release(&gathered);
		goto out;
	}
	if (gathered.len)
		rfs_log(LOG_ERR, "fuse: %s", rfs_buf_str(&gathered));
	rfs_buf_release(&gathered);
	if (fuse_session_mount(se, st.mountpoint) < 0) {
		fprintf(stderr, "recyclefs: mounting on '%s' failed\n",
			st.mountpoint);
		goto out_destroy;
	}
	if (!o->foreground) {
		if (o->log_file) {
			if (rfs_log_to_file(o->log_file) < 0) {
				fprintf(stderr,
					"recyclefs: cannot open log file '%s'\n",
					o->log_file);
				goto out_unmount;
			}
		} else {
			rfs_log_to_syslog();
		}
		close_index(&st);
		if (daemonize() < 0 || reopen_index(&st) < 0)
			goto out_unmount;
	}
	if (fuse_set_signal_handlers(se) < 0)
		goto out_unmount;
	if (!o->foreground)
		signal(SIGHUP, SIG_IGN); /* the caller's terminal's hangup */
	/* What is created through the mount gets the mode the caller asked
	 * for with the caller's umask applied (by the kernel), and nothing
	 * more: the daemon's own umask applies to no file. */
	umask(0);
	st.se = se;
	if (rfs_fs_watch_start(&st) < 0 || start_jobs(&st) < 0)
		goto out_signals;
	rfs_fs_open_ahead_start(&st);
	rfs_log(LOG_INFO, "mounted '%s' on '%s'", st.index_path, st.mountpoint);
	r = serve(se, o) >= 0 ? 0 : 1;
	rfs_jobs_stop(st.jobs);
	st.jobs = NULL;
out_signals:
	rfs_fs_open_ahead_stop(&st);
	rfs_fs_watch_stop(&st);
	fuse_remove_signal_handlers(se);
	rfs_log(LOG_INFO, "unmounted '%s'", st.mountpoint);
out_unmount:
	fuse_session_unmount(se);
out_destroy:
	fuse_session_destroy(se);
out:
	fuse_opt_free_args(&args);
	state_release(&st);
	return r;
}
