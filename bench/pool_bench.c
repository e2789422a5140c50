/*
 * pool_bench.c — the thread pool's own costs: latency of an empty job and of
 * a small row op (layer norm over 64 rows × 384 floats in 4 tasks of 16
 * rows, what cpu_ops.c issues for a 64-token batch), the first job after
 * idleness, and two application threads sharing one pool; the new pool
 * (util/threadpool.c) against the old one (main before the rewrite: one
 * pool per model, every worker woken for every job, 20 000 polls without a
 * pause), copied below as the baseline.
 *
 * Usage: pool_bench [N]   (N = pool size; default ia_cpu_available())
 * Every figure is the median of RUNS runs; a run times many jobs back to
 * back (ITERS) and reports the mean per job. Environment: IA_POOL_SPIN_US
 * applies to the new pool.
 *
 * Build: CMake target pool_bench, or from the repository root:
 *   gcc -std=c11 -O3 -D_DEFAULT_SOURCE -Iinclude -Isrc bench/pool_bench.c \
 *       src/util/threadpool.c src/util/cpu_quota.c src/util/error.c \
 *       src/util/clock.c -lpthread -lm -o pool_bench
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/error.h"
#include "util/threadpool.h"

#define RUNS 9

/* ---- the old pool (git show main:src/util/threadpool.c), renamed ---- */

/* Iterations a worker polls for new work before sleeping; about 50–100 µs
 * on current x86, longer than the gap between two ops of one layer. */
#define OLD_POOL_SPIN 20000

typedef struct old_pool old_pool;
static void old_pool_free(old_pool *p);

struct old_pool {
    int n_threads;
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
};

typedef struct old_worker_arg {
    old_pool *pool;
    int index;
} old_worker_arg;

static void old_drain(old_pool *p, int thread) {
    int t;
    while ((t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed)) <
           p->n_tasks)
        p->fn(p->ctx, t, thread);
}

static void *old_worker_main(void *arg) {
    old_worker_arg *wa = arg;
    old_pool *p = wa->pool;
    int index = wa->index;
    unsigned seen = 0;
    free(wa);
    for (;;) {
        unsigned gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen &&
               !atomic_load(&p->stop)) {
            if (++spins < OLD_POOL_SPIN) continue;
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = gen;
        old_drain(p, index);
        if (atomic_fetch_add_explicit(&p->n_done, 1, memory_order_acq_rel) + 1 ==
            p->n_threads - 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static ia_status old_pool_create(int n_threads, old_pool **out) {
    old_pool *p;
    *out = NULL;
    if (n_threads < 0) return ia_error(IA_ERR_INVALID_ARG, "threads must be >= 0");
    if (n_threads == 0) n_threads = ia_cpu_available();
    p = calloc(1, sizeof *p);
    if (!p) return ia_error(IA_ERR_NOMEM, "thread pool");
    p->n_threads = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    if (n_threads > 1) {
        p->threads = calloc((size_t)n_threads - 1, sizeof *p->threads);
        if (!p->threads) {
            old_pool_free(p);
            return ia_error(IA_ERR_NOMEM, "thread pool");
        }
        for (int i = 1; i < n_threads; i++) {
            old_worker_arg *wa = malloc(sizeof *wa);
            if (wa) { /* filled before the thread starts: it frees wa at once */
                wa->pool = p;
                wa->index = i;
            }
            if (!wa || pthread_create(&p->threads[i - 1], NULL, old_worker_main, wa) != 0) {
                free(wa);
                p->n_threads = i; /* only these exist; free joins them */
                old_pool_free(p);
                return ia_error(IA_ERR_INTERNAL, "cannot start worker thread %d", i);
            }
        }
    }
    *out = p;
    return IA_OK;
}

static void old_pool_free(old_pool *p) {
    if (!p) return;
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
    free(p);
}

static void old_pool_run(old_pool *p, int n_tasks, ia_pool_fn fn, void *ctx) {
    if (n_tasks <= 0) return;
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
        old_drain(p, 0);
        while (atomic_load_explicit(&p->n_done, memory_order_acquire) < p->n_threads - 1) {
            if (++spins < OLD_POOL_SPIN) continue;
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->n_done) < p->n_threads - 1)
                pthread_cond_wait(&p->done_cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        return;
    }
    for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
}

/* ---- jobs ---- */

static void noop_task(void *ctx, int task, int thread) { (void)ctx, (void)task, (void)thread; }

#define LN_ROWS 64
#define LN_COLS 384
#define LN_ROWS_PER_TASK 16 /* cpu_ops.c's ROWS_PER_TASK */

typedef struct ln_job {
    const float *x, *g, *b;
    float *y;
} ln_job;

static void ln_task(void *ctx, int task, int thread) {
    ln_job *j = ctx;
    (void)thread;
    for (int r = task * LN_ROWS_PER_TASK; r < (task + 1) * LN_ROWS_PER_TASK; r++) {
        const float *x = j->x + (size_t)r * LN_COLS;
        float *y = j->y + (size_t)r * LN_COLS, mean = 0, var = 0, inv;
        for (int c = 0; c < LN_COLS; c++) mean += x[c];
        mean /= LN_COLS;
        for (int c = 0; c < LN_COLS; c++) var += (x[c] - mean) * (x[c] - mean);
        inv = 1.0f / sqrtf(var / LN_COLS + 1e-12f);
        for (int c = 0; c < LN_COLS; c++) y[c] = (x[c] - mean) * inv * j->g[c] + j->b[c];
    }
}

/* ---- timing ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One pool of either kind behind one call. */
typedef struct target {
    old_pool *old;
    ia_pool *pool;
    int max_threads; /* new pool only */
} target;

static void run_job(const target *t, int n_tasks, ia_pool_fn fn, void *ctx) {
    if (t->old) old_pool_run(t->old, n_tasks, fn, ctx);
    else if (t->pool) ia_pool_run_n(t->pool, n_tasks, t->max_threads, fn, ctx);
    else for (int i = 0; i < n_tasks; i++) fn(ctx, i, 0);
}

/* Median over RUNS of the mean µs per job over iters back-to-back jobs. */
static double time_jobs(const target *t, int n_tasks, ia_pool_fn fn, void *ctx, int iters) {
    double runs[RUNS];
    for (int i = 0; i < 200; i++) run_job(t, n_tasks, fn, ctx); /* warm: workers polling */
    for (int r = 0; r < RUNS; r++) {
        double t0 = ia_now_sec();
        for (int i = 0; i < iters; i++) run_job(t, n_tasks, fn, ctx);
        runs[r] = (ia_now_sec() - t0) / iters * 1e6;
    }
    return median(runs, RUNS);
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Median µs of the first job after `idle_us` of nothing (workers asleep). */
static double time_after_idle(const target *t, int n_tasks, ia_pool_fn fn, void *ctx, long idle_us) {
    double v[31];
    for (int r = 0; r < 31; r++) {
        double t0;
        sleep_us(idle_us);
        t0 = ia_now_sec();
        run_job(t, n_tasks, fn, ctx);
        v[r] = (ia_now_sec() - t0) * 1e6;
    }
    return median(v, 31);
}

/* CPU ms the process burns over 100 ms of idleness right after a burst. */
static double idle_cpu_ms(const target *t) {
    struct timespec a, b;
    for (int i = 0; i < 2000; i++) run_job(t, 64, noop_task, NULL);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    sleep_us(100000);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    return 1e3 * (double)(b.tv_sec - a.tv_sec) + 1e-6 * (double)(b.tv_nsec - a.tv_nsec);
}

/* ---- application threads sharing one pool ---- */

typedef struct share {
    const target *t;
    pthread_mutex_t *serialize; /* the old pool cannot take two jobs at once */
    ln_job *jobs;
    int iters;
} share;

typedef struct share_arg {
    share *s;
    int id;
} share_arg;

static void *share_main(void *arg) {
    share_arg *a = arg;
    share *s = a->s;
    for (int i = 0; i < s->iters; i++) {
        if (s->serialize) pthread_mutex_lock(s->serialize);
        run_job(s->t, LN_ROWS / LN_ROWS_PER_TASK, ln_task, &s->jobs[a->id]);
        if (s->serialize) pthread_mutex_unlock(s->serialize);
    }
    return NULL;
}

/* Median µs per job (wall time / all jobs) of `callers` threads each
 * running iters layer-norm jobs on their own data through one pool. */
static double time_shared(const target *t, pthread_mutex_t *serialize, ln_job *jobs, int callers,
                          int iters) {
    double v[5];
    for (int r = 0; r < 5; r++) {
        share s = {t, serialize, jobs, iters};
        share_arg args[8];
        pthread_t th[8];
        double t0 = ia_now_sec();
        for (int i = 0; i < callers; i++) {
            args[i].s = &s;
            args[i].id = i;
            if (pthread_create(&th[i], NULL, share_main, &args[i]) != 0) exit(1);
        }
        for (int i = 0; i < callers; i++) pthread_join(th[i], NULL);
        v[r] = (ia_now_sec() - t0) / ((double)callers * iters) * 1e6;
    }
    return median(v, 5);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : ia_cpu_available();
    const int ln_tasks = LN_ROWS / LN_ROWS_PER_TASK, callers = 2;
    float *x, *y, *g, *b;
    ln_job ln, jobs[8];
    ia_pool *pool = NULL;
    target serial = {NULL, NULL, 0};
    if (n < 1 || n > 256) {
        fprintf(stderr, "pool size must be in [1, 256]\n");
        return 2;
    }
    x = malloc(sizeof(float) * LN_ROWS * LN_COLS * (callers + 1));
    y = malloc(sizeof(float) * LN_ROWS * LN_COLS * (callers + 1));
    g = malloc(sizeof(float) * LN_COLS);
    b = malloc(sizeof(float) * LN_COLS);
    if (!x || !y || !g || !b) return 1;
    for (int i = 0; i < LN_ROWS * LN_COLS * (callers + 1); i++) x[i] = (float)(i % 101) * 0.01f;
    for (int c = 0; c < LN_COLS; c++) g[c] = 1.0f, b[c] = 0.0f;
    ln = (ln_job){x, g, b, y};
    for (int i = 0; i < callers; i++)
        jobs[i] = (ln_job){x + (size_t)(i + 1) * LN_ROWS * LN_COLS, g, b, y + (size_t)(i + 1) * LN_ROWS * LN_COLS};
    if (ia_pool_create(n, &pool) != IA_OK) {
        fprintf(stderr, "%s\n", ia_last_error());
        return 1;
    }
    printf("pool_bench: pool of %d (ia_cpu_available() = %d), median of %d runs, µs per job\n", n,
           ia_cpu_available(), RUNS);

    printf("\nempty job of T tasks: old pool of %d (every worker takes part), old pool of T,\n"
           "new pool of %d with max_threads T\n", n, n);
    printf("%3s %12s %12s %12s\n", "T", "old (N)", "old (T)", "new");
    {
        old_pool *all = NULL;
        target oa;
        if (old_pool_create(n, &all) != IA_OK) return 1;
        oa = (target){all, NULL, 0};
        for (int t = 1; t <= n; t++) {
            old_pool *op = NULL;
            target o, nw = {NULL, pool, t};
            if (old_pool_create(t, &op) != IA_OK) return 1;
            o = (target){op, NULL, 0};
            printf("%3d %12.3f %12.3f %12.3f\n", t, time_jobs(&oa, t, noop_task, NULL, 20000),
                   time_jobs(&o, t, noop_task, NULL, 20000), time_jobs(&nw, t, noop_task, NULL, 20000));
            old_pool_free(op);
        }
        old_pool_free(all);
    }

    printf("\nlayer norm %d x %d in %d tasks (serial: %.3f µs)\n", LN_ROWS, LN_COLS, ln_tasks,
           time_jobs(&serial, ln_tasks, ln_task, &ln, 5000));
    {
        old_pool *op = NULL;
        target o;
        if (old_pool_create(n, &op) != IA_OK) return 1;
        o = (target){op, NULL, 0};
        printf("  old, all %d threads     %10.3f\n", n, time_jobs(&o, ln_tasks, ln_task, &ln, 5000));
        for (int t = 1; t <= ln_tasks && t <= n; t *= 2) {
            target nw = {NULL, pool, t};
            printf("  new, max_threads %-6d %10.3f\n", t, time_jobs(&nw, ln_tasks, ln_task, &ln, 5000));
        }
        {
            target nw = {NULL, pool, 0};
            printf("  new, max_threads 0 (all) %8.3f\n", time_jobs(&nw, ln_tasks, ln_task, &ln, 5000));
        }

        printf("\nfirst job after idleness (empty job on all %d threads)\n", n);
        printf("%10s %10s %10s\n", "idle", "old", "new");
        {
            long idles[] = {20, 200, 2000};
            target nw = {NULL, pool, 0};
            for (int i = 0; i < 3; i++)
                printf("%8ldus %10.2f %10.2f\n", idles[i], time_after_idle(&o, n, noop_task, NULL, idles[i]),
                       time_after_idle(&nw, n, noop_task, NULL, idles[i]));
        }

        {
            target nw = {NULL, pool, 0};
            printf("\nCPU burnt over 100 ms idle after a burst: old %.2f ms, new %.2f ms\n",
                   idle_cpu_ms(&o), idle_cpu_ms(&nw));
        }

        printf("\n%d application threads, layer-norm jobs on one pool (µs per job, wall / jobs)\n",
               callers);
        {
            pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
            target nw1 = {NULL, pool, 1}, nw0 = {NULL, pool, 0};
            printf("  old pool + a lock (jobs serialised)   %8.3f\n", time_shared(&o, &mu, jobs, callers, 5000));
            printf("  new pool, max_threads 1               %8.3f\n", time_shared(&nw1, NULL, jobs, callers, 5000));
            printf("  new pool, max_threads 0 (all)         %8.3f\n", time_shared(&nw0, NULL, jobs, callers, 5000));
            pthread_mutex_destroy(&mu);
        }
        old_pool_free(op);
    }
    ia_pool_free(pool);
    free(x), free(y), free(g), free(b);
    return 0;
}
