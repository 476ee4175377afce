/**
 * @file fault.h
 * @brief Crash injection for tests: kill the process at the Nth backend
 *        call.
 *
 * When the environment variable RECYCLEFS_TEST_KILL_AFTER=N is set, every
 * backend the registry opens is wrapped so that the Nth backend call of
 * the process (counted over all backends and threads, opens, reads and
 * writes included) raises SIGKILL before it runs: a power cut at a chosen
 * point of an archive, restore or purge, for the crash-safety tests. The
 * variable is read once; production runs never set it.
 */
#ifndef RFS_BACKENDS_FAULT_H
#define RFS_BACKENDS_FAULT_H

struct rfs_backend;

/**
 * Wrap @p inner when crash injection is on.
 * @return @p inner itself when it is off; otherwise a wrapper that owns
 *         @p inner, or NULL on out-of-memory (then @p inner is freed)
 */
struct rfs_backend *rfs_fault_wrap(struct rfs_backend *inner);

#endif
