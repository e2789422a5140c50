/*
 * threadpool.h — the process's worker threads, and the CPUs it may use.
 *
 * One pool per process (ia_pool_global), sized from the CPUs the process
 * may use (affinity and cgroup quota: ia_cpu_available), shared by every
 * model and session: M models no longer start M × ncpu threads. A job is a
 * parallel-for: ia_pool_run_n(pool, n_tasks, max_threads, fn, ctx) runs
 * fn(ctx, task, thread) for every task with at most max_threads threads,
 * and only those are woken, so a small op (a layer norm over 64 rows) pays
 * for two threads' synchronisation, not sixteen.
 *
 * Thread slots. A pool of N has N slots: slot 0 for a calling thread and
 * slots 1..N-1 each with a worker thread. A job takes a slot for its caller
 * and some free worker slots, and the `thread` passed to fn is its slot, so
 * at any moment the threads running tasks of a pool — of one job or of
 * several — hold distinct indices in [0, N): callers index per-thread
 * scratch with it. Application threads may call ia_pool_run_n on one pool
 * at once (several sessions): each job gets the slots that are free (its
 * caller may borrow an idle worker's slot), a caller that finds none
 * sleeps until one is returned (first come, first served), so tasks never
 * run on more than N threads at once: never oversubscribed.
 *
 * Waiting: an idle worker polls its mailbox for a bounded time (50 µs, or
 * $IA_POOL_SPIN_US; 0 = sleep at once) with a pause instruction, then
 * sleeps on a condition variable; the caller waits for its workers the
 * same way. A transformer layer issues ops microseconds apart, so workers
 * stay hot inside a forward pass and cost nothing between requests.
 *
 * Without threads (wasm32 builds, IA_NO_THREADS) every pool has one slot
 * and the caller runs every task.
 */
#ifndef IA_UTIL_THREADPOOL_H
#define IA_UTIL_THREADPOOL_H

#include "ipfs_accelerate.h"

typedef struct ia_pool ia_pool;

/* task: index in [0, n_tasks); thread: the slot in [0, ia_pool_size()) of
 * the thread running it, distinct among tasks running at the same time. */
typedef void (*ia_pool_fn)(void *ctx, int task, int thread);

/* Largest pool (slots). */
#define IA_POOL_MAX_THREADS 4096

/* A private pool (tests, standalone tools): n_threads counts the calling
 * thread's slot too; 0 = ia_cpu_available(). Caller frees with
 * ia_pool_free(). IA_ERR_INVALID_ARG outside [0, IA_POOL_MAX_THREADS],
 * IA_ERR_INTERNAL if a thread cannot start (none is left running). */
ia_status ia_pool_create(int n_threads, ia_pool **out);

/* Stops and joins the workers and frees the pool. NULL-safe; no job may be
 * running. The global pool is never freed: passing it is a no-op. */
void ia_pool_free(ia_pool *pool);

/* Slots (threads including a caller's); 1 for NULL. Thread-safe. */
int ia_pool_size(const ia_pool *pool);

/* The process-wide pool, created on first use (thread-safe) with
 * $IA_THREADS slots if that is a whole number in [1, IA_POOL_MAX_THREADS],
 * else ia_cpu_available(). Borrowed: valid until the process exits (a
 * still-reachable global, which LeakSanitizer does not report). NULL only
 * if even a one-slot pool could not be allocated; every function here
 * takes NULL as a one-thread pool. In the child of a fork() it runs every
 * job on the calling thread (the workers did not survive the fork). */
ia_pool *ia_pool_global(void);

/* Runs fn(ctx, t, thread) for every t in [0, n_tasks), each exactly once,
 * and returns when all are done. At most min(max_threads, n_tasks, size)
 * threads take part, the caller included (max_threads <= 0: no cap), fewer
 * if other jobs hold slots; only the workers chosen are woken. Thread-safe:
 * concurrent callers share the slots as described above. A task calling
 * ia_pool_run_n on the same pool (nested) gets its sub-tasks run inline on
 * its own thread with its own slot. Nesting through another pool back into
 * this one is not detected and may wait for slots its own callers hold. */
void ia_pool_run_n(ia_pool *pool, int n_tasks, int max_threads, ia_pool_fn fn, void *ctx);

/* ia_pool_run_n with no thread cap. */
void ia_pool_run(ia_pool *pool, int n_tasks, ia_pool_fn fn, void *ctx);

/* Microseconds a waiting thread of this pool polls before sleeping
 * (default $IA_POOL_SPIN_US, else 50; 0 = sleep at once); takes effect
 * from each thread's next wait. For benchmarks and tests. */
void ia_pool_set_spin_us(ia_pool *pool, int us);

/* Parses a thread count such as $IA_THREADS: a whole decimal number in
 * [1, IA_POOL_MAX_THREADS] (blanks around it allowed) → it; else 0. */
int ia_pool_parse_threads(const char *text);

/* CPUs this process may use: its affinity mask's count, capped by the
 * cgroup CPU quota (v2 or v1, this cgroup and its ancestors) rounded up;
 * at least 1, and 1 without threads. Reads /proc and /sys on each call. */
int ia_cpu_available(void);

/* The same as ia_cpu_available() (kept for existing callers: "how many
 * threads to use" was always the question; the online count answered it
 * wrongly under affinity masks and quotas). */
int ia_cpu_count(void);

#endif
