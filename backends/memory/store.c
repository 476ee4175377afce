/*
 * The named stores of the memory backend, their call counters, the
 * fault injection rules and the test's call hook (memory.h).
 *
 * Stores live in one global list guarded by stores_lock. A store is freed
 * only by rfs_mem_reset() when no backend has it open; a reset of a store
 * still in use empties it in place. Lock order: stores_lock, then a
 * store's own lock.
 */
#include "backends/memory/mem_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t stores_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rfs_mem_store *stores;
static dev_t next_dev = 1;

/* Call with stores_lock held. */
static struct rfs_mem_store *store_find(const char *name)
{
	struct rfs_mem_store *s;

	for (s = stores; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* Call with stores_lock held. */
static struct rfs_mem_store *store_create(const char *name)
{
	struct rfs_mem_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->name = strdup(name);
	if (!s->name)
		goto free_store;
	if (pthread_mutex_init(&s->lock, NULL))
		goto free_name;
	s->next_ino = 1;
	s->root = rfs_mem_node_new(s, S_IFDIR | 0755);
	if (!s->root)
		goto destroy_lock;
	s->root->links = 1;
	s->dev = (dev_t)0x6d656d00 + next_dev++;
	s->next = stores;
	stores = s;
	return s;

destroy_lock:
	pthread_mutex_destroy(&s->lock);
free_name:
	free(s->name);
free_store:
	free(s);
	return NULL;
}

struct rfs_mem_store *rfs_mem_store_get(const char *name)
{
	struct rfs_mem_store *s;

	pthread_mutex_lock(&stores_lock);
	s = store_find(name);
	if (!s)
		s = store_create(name);
	if (s)
		s->refs++;
	pthread_mutex_unlock(&stores_lock);
	return s;
}

void rfs_mem_store_put(struct rfs_mem_store *s)
{
	pthread_mutex_lock(&stores_lock);
	s->refs--;
	pthread_mutex_unlock(&stores_lock);
}

static bool rule_fires(struct rfs_mem_store *s, enum rfs_mem_op op, int *err)
{
	struct rfs_mem_rule *r = &s->rules[op];

	if (!r->nth || s->calls[op] - r->base != r->nth)
		return false;
	*err = r->err;
	r->nth = 0;
	return true;
}

/* ---------------------------------------------------------------- hook */

static rfs_mem_hook_fn hook_fn;
static void *hook_ctx;
static __thread bool in_hook;

void rfs_mem_set_hook(rfs_mem_hook_fn fn, void *ctx)
{
	__atomic_store_n(&hook_ctx, ctx, __ATOMIC_SEQ_CST);
	__atomic_store_n(&hook_fn, fn, __ATOMIC_SEQ_CST);
}

/* Run the test's call hook, if any, with the lock of @p s released for
 * the time of the call. */
static void call_hook(struct rfs_mem_store *s, enum rfs_mem_op op)
{
	rfs_mem_hook_fn fn = __atomic_load_n(&hook_fn, __ATOMIC_SEQ_CST);

	if (!fn || in_hook)
		return;
	pthread_mutex_unlock(&s->lock);
	in_hook = true;
	fn(__atomic_load_n(&hook_ctx, __ATOMIC_SEQ_CST), s->name, op);
	in_hook = false;
	pthread_mutex_lock(&s->lock);
}

int rfs_mem_gate(struct rfs_mem_store *s, enum rfs_mem_op op)
{
	int err;

	call_hook(s, op);
	s->calls[op]++;
	s->calls[RFS_MEM_OP_ANY]++;
	if (s->crashed)
		return -EIO;
	if (rule_fires(s, op, &err) || rule_fires(s, RFS_MEM_OP_ANY, &err))
		return -err;
	if (s->crash_armed) {
		if (!s->crash_left) {
			s->crashed = true;
			return -EIO;
		}
		s->crash_left--;
	}
	return 0;
}

/* Find or create @p name and return it locked, or NULL. */
static struct rfs_mem_store *store_lock_named(const char *name, bool create)
{
	struct rfs_mem_store *s;

	pthread_mutex_lock(&stores_lock);
	s = store_find(name);
	if (!s && create)
		s = store_create(name);
	if (s)
		pthread_mutex_lock(&s->lock);
	pthread_mutex_unlock(&stores_lock);
	return s;
}

void rfs_mem_fail_nth(const char *store, enum rfs_mem_op op, unsigned long nth,
		      int err)
{
	struct rfs_mem_store *s;

	if ((unsigned int)op > RFS_MEM_OP_ANY)
		return;
	s = store_lock_named(store, nth != 0);
	if (!s)
		return;
	s->rules[op].nth = nth;
	s->rules[op].base = s->calls[op];
	s->rules[op].err = err < 0 ? -err : err;
	pthread_mutex_unlock(&s->lock);
}

void rfs_mem_crash_after(const char *store, unsigned long n)
{
	struct rfs_mem_store *s = store_lock_named(store, true);

	if (!s)
		return;
	s->crash_armed = true;
	s->crash_left = n;
	pthread_mutex_unlock(&s->lock);
}

void rfs_mem_rules_clear(struct rfs_mem_store *s)
{
	memset(s->rules, 0, sizeof(s->rules));
	s->crash_armed = false;
	s->crashed = false;
	s->crash_left = 0;
}

void rfs_mem_recover(const char *store)
{
	struct rfs_mem_store *s = store_lock_named(store, false);

	if (!s)
		return;
	rfs_mem_rules_clear(s);
	pthread_mutex_unlock(&s->lock);
}

unsigned long rfs_mem_calls(const char *store, enum rfs_mem_op op)
{
	struct rfs_mem_store *s;
	unsigned long n;

	if ((unsigned int)op > RFS_MEM_OP_ANY)
		return 0;
	s = store_lock_named(store, false);
	if (!s)
		return 0;
	n = s->calls[op];
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * Empty @p s. Called with stores_lock held and @p s locked. A store no
 * backend uses is unlisted and freed (its lock released); otherwise it
 * gets a new empty root.
 * @return true when the store was freed
 */
static bool store_reset(struct rfs_mem_store **link)
{
	struct rfs_mem_store *s = *link;
	struct rfs_mem_node *fresh = NULL;

	if (s->image) { /* the power-loss image goes with the data */
		s->image->links = 0;
		rfs_mem_node_put(s, s->image);
		s->image = NULL;
	}
	rfs_mem_dir_clear(s, s->root);
	memset(s->calls, 0, sizeof(s->calls));
	rfs_mem_rules_clear(s);
	if (s->refs) {
		/* keep the old root when a new one cannot be made */
		fresh = rfs_mem_node_new(s, S_IFDIR | 0755);
		if (fresh) {
			s->root->links = 0;
			rfs_mem_node_put(s, s->root);
			fresh->links = 1;
			s->root = fresh;
		}
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	*link = s->next;
	s->root->links = 0;
	rfs_mem_node_put(s, s->root);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&s->lock);
	free(s->name);
	free(s);
	return true;
}

void rfs_mem_reset(const char *store)
{
	struct rfs_mem_store **link;

	pthread_mutex_lock(&stores_lock);
	link = &stores;
	while (*link) {
		struct rfs_mem_store *s = *link;

		if (store && strcmp(s->name, store)) {
			link = &s->next;
			continue;
		}
		pthread_mutex_lock(&s->lock);
		if (!store_reset(link))
			link = &s->next;
	}
	pthread_mutex_unlock(&stores_lock);
}
