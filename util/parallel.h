/**
 * @file parallel.h
 * @brief A parallel-for over a bounded pool of threads.
 *
 * The calling thread works too; the other threads live only for the call.
 * Thread-safe: each call has its own pool.
 */
#ifndef RFS_UTIL_PARALLEL_H
#define RFS_UTIL_PARALLEL_H

#include <stddef.h>

/** The most threads one rfs_parallel_for() call uses. */
#define RFS_PARALLEL_MAX 64

/** One task of rfs_parallel_for(): index @p i of its range. */
typedef void (*rfs_parallel_fn)(void *ctx, int i);

/**
 * Run @p fn(ctx, i) for every i in [0, n), on up to @p threads threads
 * (at most RFS_PARALLEL_MAX and at most @p n), the calling thread one of
 * them. Returns when every task has returned. When no extra thread can be
 * started, the calling thread runs every task.
 * @param threads how many threads at most; less than 1 means 1
 * @param n       how many tasks; 0 runs none
 * @param fn      the task; records its own result (through @p ctx)
 * @param ctx     passed to @p fn
 * @return 0
 */
int rfs_parallel_for(int threads, int n, rfs_parallel_fn fn, void *ctx);

/** One task of rfs_parallel_try(): index @p i of its range; a negative
 * value is a failure that stops the handing out of tasks. */
typedef int (*rfs_parallel_try_fn)(void *ctx, size_t i);

/**
 * As rfs_parallel_for(), for tasks that fail: once a task returns a
 * negative value no new task starts (those running finish), so some
 * indexes may never run.
 * @param threads how many threads at most; less than 1 means 1
 * @param n       how many tasks; 0 runs none
 * @param fn      the task
 * @param ctx     passed to @p fn
 * @return 0 when no task failed, else the first negative value returned
 */
int rfs_parallel_try(int threads, size_t n, rfs_parallel_try_fn fn, void *ctx);

#endif
