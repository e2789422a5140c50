/*
 * threadpool.c — persistent workers for parallel-for, pthreads or serial.
 *
 * Protocol: the caller publishes (fn, ctx, n_tasks), bumps `generation` and
 * wakes sleepers; every thread (caller included) claims task indices with an
 * atomic counter until they run out, then counts itself done. The caller
 * waits until all workers have checked in for this generation.
 */
#include "util/threadpool.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "util/error.h"

#if !defined(IA_NO_THREADS) && !defined(__wasm__)
#define IA_HAVE_THREADS 1
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#endif

/* Iterations a worker polls for new work before sleeping; about 50–100 µs
 * on current x86, longer than the gap between two ops of one layer. */
#define IA_POOL_SPIN 20000

struct ia_pool {
    int n_threads;
#ifdef IA_HAVE_THREADS
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_cond_t done_cv;
    atomic_uint generation;
    atomic_int next_task;
    atomic_int n_done; /* workers finished with the current generation */
    atomic_int stop;
    int n_tasks;
    ia_pool_fn fn;
    void *ctx;
#endif
};

int ia_cpu_count(void) {
#ifdef IA_HAVE_THREADS
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
#else
    return 1;
#endif
}

#ifdef IA_HAVE_THREADS
typedef struct worker_arg {
    ia_pool *pool;
    int index;
} worker_arg;

static void drain(ia_pool *p, int thread) {
    int t;
    while ((t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed)) <
           p->n_tasks)
        p->fn(p->ctx, t, thread);
}

static void *worker_main(void *arg) {
    worker_arg *wa = arg;
    ia_pool *p = wa->pool;
    int index = wa->index;
    unsigned seen = 0;
    free(wa);
    for (;;) {
        unsigned gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen &&
               !atomic_load(&p->stop)) {
            if (++spins < IA_POOL_SPIN) continue;
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = gen;
        drain(p, index);
        if (atomic_fetch_add_explicit(&p->n_done, 1, memory_order_acq_rel) + 1 ==
            p->n_threads - 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}
#endif

ia_status ia_pool_create(int n_threads, ia_pool **out) {
    ia_pool *p;
    *out = NULL;
    if (n_threads < 0) return ia_error(IA_ERR_INVALID_ARG, "threads must be >= 0");
    if (n_threads == 0) n_threads = ia_cpu_count();
#ifndef IA_HAVE_THREADS
    n_threads = 1;
#endif
    p = calloc(1, sizeof *p);
    if (!p) return ia_error(IA_ERR_NOMEM, "thread pool");
    p->n_threads = n_threads;
#ifdef IA_HAVE_THREADS
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (n_threads > 1) {
        p->threads = calloc((size_t)n_threads - 1, sizeof *p->threads);
        if (!p->threads) {
            ia_pool_free(p);
            return ia_error(IA_ERR_NOMEM, "thread pool");
        }
        for (int i = 1; i < n_threads; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (wa) { /* filled before the thread starts: it frees wa at once */
                wa->pool = p;
                wa->index = i;
            }
            if (!wa || pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0) {
                free(wa);
                p->n_threads = i; /* only these exist; free joins them */
                ia_pool_free(p);
                return ia_error(IA_ERR_INTERNAL, "cannot start worker thread %d", i);
            }
        }
    }
#endif
    *out = p;
    return IA_OK;
}

void ia_pool_free(ia_pool *p) {
    if (!p) return;
#ifdef IA_HAVE_THREADS
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    if (p->threads)
        for (int i = 1; i < p->n_threads; i++) pthread_join(p->threads[i - 1], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done_cv);
#endif
    free(p);
}

int ia_pool_size(const ia_pool *p) { return p ? p->n_threads : 1; }

void ia_pool_run(ia_pool *p, int n_tasks, ia_pool_fn fn, void *ctx) {
    if (n_tasks <= 0) return;
#ifdef IA_HAVE_THREADS
    if (p && p->n_threads > 1 && n_tasks > 1) {
        int spins = 0;
        p->fn = fn;
        p->ctx = ctx;
        p->n_tasks = n_tasks;
        atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
        atomic_store_explicit(&p->n_done, 0, memory_order_relaxed);
        pthread_mutex_lock(&p->mu);
        atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
        drain(p, 0);
        while (atomic_load_explicit(&p->n_done, memory_order_acquire) < p->n_threads - 1) {
            if (++spins < IA_POOL_SPIN) continue;
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->n_done) < p->n_threads - 1)
                pthread_cond_wait(&p->done_cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        return;
    }
#endif
    (void)p;
    for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
}

/* Interim: the whole pool takes part whatever max_threads says. */
void ia_pool_run_n(ia_pool *p, int n_tasks, int max_threads, ia_pool_fn fn, void *ctx) {
    (void)max_threads;
    ia_pool_run(p, n_tasks, fn, ctx);
}

#ifdef IA_HAVE_THREADS
static ia_pool *global_pool;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void make_global(void) {
    if (ia_pool_create(0, &global_pool) != IA_OK) global_pool = NULL;
}
ia_pool *ia_pool_global(void) {
    pthread_once(&global_once, make_global);
    return global_pool;
}
#else
ia_pool *ia_pool_global(void) { return NULL; }
#endif
