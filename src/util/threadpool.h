/*
 * threadpool.h — a fixed pool of worker threads that run parallel-for jobs.
 *
 * One job at a time: ia_pool_run() hands n_tasks task indices to the workers
 * and the calling thread, and returns when all are done. Workers spin a
 * little before sleeping, because a transformer layer issues dozens of short
 * jobs back to back and a futex wake per job costs more than the job.
 * Without threads (wasm32 builds, IA_NO_THREADS) the caller runs every task.
 */
#ifndef IA_UTIL_THREADPOOL_H
#define IA_UTIL_THREADPOOL_H

#include "ipfs_accelerate.h"

typedef struct ia_pool ia_pool;

/* task: index in [0, n_tasks); thread: index in [0, ia_pool_size()) of the
 * thread running it, for per-thread scratch buffers. */
typedef void (*ia_pool_fn)(void *ctx, int task, int thread);

/* n_threads counts the calling thread too; 0 = one per online CPU. */
ia_status ia_pool_create(int n_threads, ia_pool **out);
void ia_pool_free(ia_pool *pool);           /* NULL-safe */
int ia_pool_size(const ia_pool *pool);      /* threads including the caller */

/* Runs fn(ctx, t, thread) for every t in [0, n_tasks). Not reentrant:
 * a task must not call ia_pool_run on the same pool. */
void ia_pool_run(ia_pool *pool, int n_tasks, ia_pool_fn fn, void *ctx);

/* ia_pool_run on at most max_threads threads (0 = all). */
void ia_pool_run_n(ia_pool *pool, int n_tasks, int max_threads, ia_pool_fn fn, void *ctx);

/* The process-wide pool, created on first use. */
ia_pool *ia_pool_global(void);

/* Number of online CPUs (>= 1). */
int ia_cpu_count(void);

#endif
