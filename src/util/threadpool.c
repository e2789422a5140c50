/*
 * threadpool.c — one pool of persistent workers per process, shared by
 * concurrent callers through thread slots (see threadpool.h).
 *
 * A job lives on its caller's stack: (fn, ctx, n_tasks), a task counter and
 * `pending`, the workers posted and not yet checked out. The caller
 *   1. takes slots under the pool mutex: its own (0 if free, else an idle
 *      worker's, borrowed) and up to want-1 free worker slots, chained in
 *      link[] (callers wait here, first come first served, if none is free);
 *   2. posts the job into each chosen worker's mailbox and signals those
 *      that sleep; the others are not touched;
 *   3. claims tasks with the counter like every worker;
 *   4. retracts the job from mailboxes not yet emptied (a worker still
 *      waking up has nothing left to do: the caller does not wait for it);
 *   5. waits until `pending` is 0, then returns its slots.
 * A worker takes its mailbox with an atomic exchange and the caller retracts
 * with a compare-exchange, so each posting is resolved exactly once.
 *
 * Why slots and not one lock around whole jobs: a lock leaves cores idle
 * while a small job (2 threads) runs and another session waits; with slots
 * the second caller gets the idle ones, and the bound "never more than N
 * threads run tasks, on distinct indices" still holds, because a thread
 * runs tasks only while it holds a slot. pool_bench measures both.
 *
 * Sleeping without lost wake-ups (Dekker style, all seq_cst): a worker sets
 * `sleeping` then re-reads its mailbox under the mutex; a caller stores the
 * mailbox then reads `sleeping` and signals under the mutex. Likewise a
 * caller counts itself in done_sleepers before re-reading `pending`, and
 * the worker that brings `pending` to 0 reads done_sleepers after. The
 * worker never touches the job after its decrement: the caller may have
 * returned.
 */
#include "util/threadpool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#include "util/threads.h"
#if defined(IA_HAVE_PTHREADS)
#define IA_HAVE_THREADS 1
#include <pthread.h>
#include <time.h>
#endif

/* Default poll before sleeping. The ops of one transformer layer follow
 * each other within a few µs, so 50 µs keeps workers hot through a forward
 * pass; idle, a worker then costs nothing (ggml polls far longer and burns
 * cores between requests: ANCHORS.md §1, §3). */
#define IA_POOL_SPIN_US_DEFAULT 50
#define IA_POOL_SPIN_US_MAX 1000000

/* A whole decimal number in [lo, hi] with blanks around it → 1 and *out. */
static int parse_int(const char *s, int lo, int hi, int *out) {
    long v = 0;
    if (!s) return 0;
    while (*s == ' ' || *s == '\t') s++;
    if (*s < '0' || *s > '9') return 0;
    for (; *s >= '0' && *s <= '9'; s++)
        if ((v = v * 10 + (*s - '0')) > hi) return 0;
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (*s || v < lo) return 0;
    *out = (int)v;
    return 1;
}

int ia_pool_parse_threads(const char *text) {
    int n;
    return parse_int(text, 1, IA_POOL_MAX_THREADS, &n) ? n : 0;
}

#ifdef IA_HAVE_THREADS

typedef struct pool_job {
    ia_pool_fn fn;
    void *ctx;
    int n_tasks;
    atomic_int next_task;
    atomic_int pending; /* workers posted, not yet checked out or retracted */
} pool_job;

/* One per worker slot, on its own cache lines: the worker polls its
 * mailbox without sharing a line with its neighbours. */
typedef struct worker {
    _Alignas(64) _Atomic(pool_job *) mailbox;
    atomic_int sleeping; /* set and cleared under the pool mutex */
    pthread_cond_t cv;
    pthread_t thread;
    ia_pool *pool;
    int slot;
} worker;

struct ia_pool {
    int n_threads;
    int forked; /* set only in a fork() child, while it has one thread */
    atomic_int spin_us;
    atomic_int stop;
    atomic_int done_sleepers; /* callers asleep on done_cv */
    pthread_mutex_t mu;
    pthread_cond_t slot_cv; /* callers waiting for a free slot */
    pthread_cond_t done_cv; /* callers waiting for their workers */
    /* under mu (link[] entries of held slots are read by their holder) */
    unsigned char *busy;       /* [n_threads] slot held by a job */
    int *link;                 /* [n_threads] next slot of the same job, -1 ends */
    int n_free;
    int slot_waiters;
    unsigned long next_ticket, serving; /* FIFO among callers waiting for slots */
    /* set up at creation */
    worker *workers; /* [n_threads]; [0] has no thread */
    int n_cv;        /* worker condition variables initialised (1..n_cv) */
    int n_started;   /* worker threads started (slots 1..n_started) */
};

/* The pool and slot this thread is running tasks for: a nested call on the
 * same pool runs inline on that slot instead of waiting for slots its own
 * job holds. */
static _Thread_local ia_pool *tls_pool;
static _Thread_local int tls_slot;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause(); /* spin-wait hint: frees the core's other hyperthread, saves power */
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Reading the clock costs ~20 ns; a pause 10–150 cycles: look every 32. */
#define SPIN_CLOCK_EVERY 32

static void drain(pool_job *j, int slot) {
    int t;
    while ((t = atomic_fetch_add_explicit(&j->next_task, 1, memory_order_relaxed)) < j->n_tasks)
        j->fn(j->ctx, t, slot);
}

/* Polls w's mailbox (and stop) for up to spin_ns; 1 if something came. */
static int poll_mailbox(ia_pool *p, worker *w, long long spin_ns) {
    long long deadline;
    if (atomic_load_explicit(&w->mailbox, memory_order_relaxed) ||
        atomic_load_explicit(&p->stop, memory_order_relaxed))
        return 1;
    if (spin_ns <= 0) return 0;
    deadline = now_ns() + spin_ns;
    for (unsigned i = 1;; i++) {
        cpu_relax();
        if (atomic_load_explicit(&w->mailbox, memory_order_relaxed) ||
            atomic_load_explicit(&p->stop, memory_order_relaxed))
            return 1;
        if (i % SPIN_CLOCK_EVERY == 0 && now_ns() >= deadline) return 0;
    }
}

/* The worker's next job, or NULL when the pool stops. */
static pool_job *next_job(ia_pool *p, worker *w) {
    for (;;) {
        pool_job *j;
        long long spin_ns = 1000LL * atomic_load_explicit(&p->spin_us, memory_order_relaxed);
        if (!poll_mailbox(p, w, spin_ns)) {
            pthread_mutex_lock(&p->mu);
            atomic_store(&w->sleeping, 1);
            while (!atomic_load(&w->mailbox) && !atomic_load(&p->stop))
                pthread_cond_wait(&w->cv, &p->mu);
            atomic_store(&w->sleeping, 0);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL; /* no job runs while a pool stops */
        if ((j = atomic_exchange(&w->mailbox, NULL))) return j;
        /* empty: the caller retracted the job before we came; wait again */
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    ia_pool *p = w->pool;
    pool_job *j;
    tls_pool = p;
    tls_slot = w->slot;
    while ((j = next_job(p, w))) {
        drain(j, w->slot);
        /* j may be gone once pending is 0: only pool memory after this */
        if (atomic_fetch_sub(&j->pending, 1) == 1 && atomic_load(&p->done_sleepers) > 0) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

/* Takes the caller's slot (returned) and up to want-1 worker slots, linked
 * from it; *n_workers = how many workers. Waits, in arrival order, while
 * every slot is held. */
static int take_slots(ia_pool *p, int want, int *n_workers) {
    int n = p->n_threads, slot, tail, got = 1;
    unsigned long ticket;
    pthread_mutex_lock(&p->mu);
    ticket = p->next_ticket++;
    while (ticket != p->serving || p->n_free == 0) {
        p->slot_waiters++;
        pthread_cond_wait(&p->slot_cv, &p->mu);
        p->slot_waiters--;
    }
    p->serving++;
    /* The caller takes slot 0 (no worker lives there) or borrows the
     * highest idle worker's; workers are taken from the lowest, which
     * are the ones most recently busy, so most likely still polling. */
    slot = 0;
    if (p->busy[0])
        for (slot = n - 1; p->busy[slot]; slot--) {}
    p->busy[slot] = 1;
    tail = slot;
    for (int s = 1; s < n && got < want; s++)
        if (!p->busy[s]) {
            p->busy[s] = 1;
            p->link[tail] = s;
            tail = s;
            got++;
        }
    p->link[tail] = -1;
    p->n_free -= got;
    /* the next in line may proceed if something is left */
    if (p->slot_waiters > 0 && p->n_free > 0) pthread_cond_broadcast(&p->slot_cv);
    pthread_mutex_unlock(&p->mu);
    *n_workers = got - 1;
    return slot;
}

static void return_slots(ia_pool *p, int slot) {
    pthread_mutex_lock(&p->mu);
    for (int s = slot; s >= 0; s = p->link[s]) {
        p->busy[s] = 0;
        p->n_free++;
    }
    if (p->slot_waiters > 0) pthread_cond_broadcast(&p->slot_cv);
    pthread_mutex_unlock(&p->mu);
}

static void post(ia_pool *p, pool_job *j, int slot) {
    int sleepers = 0;
    for (int s = p->link[slot]; s >= 0; s = p->link[s]) atomic_store(&p->workers[s].mailbox, j);
    for (int s = p->link[slot]; s >= 0; s = p->link[s])
        sleepers += atomic_load(&p->workers[s].sleeping);
    if (!sleepers) return;
    pthread_mutex_lock(&p->mu);
    for (int s = p->link[slot]; s >= 0; s = p->link[s])
        if (atomic_load(&p->workers[s].sleeping)) pthread_cond_signal(&p->workers[s].cv);
    pthread_mutex_unlock(&p->mu);
}

/* Every task is claimed: postings not yet taken are withdrawn. */
static void retract(ia_pool *p, pool_job *j, int slot) {
    for (int s = p->link[slot]; s >= 0; s = p->link[s]) {
        pool_job *expect = j;
        if (atomic_compare_exchange_strong(&p->workers[s].mailbox, &expect, NULL))
            atomic_fetch_sub(&j->pending, 1);
    }
}

static void wait_done(ia_pool *p, pool_job *j) {
    long long spin_ns = 1000LL * atomic_load_explicit(&p->spin_us, memory_order_relaxed), deadline;
    if (atomic_load_explicit(&j->pending, memory_order_acquire) == 0) return;
    if (spin_ns > 0) {
        deadline = now_ns() + spin_ns;
        for (unsigned i = 1;; i++) {
            cpu_relax();
            if (atomic_load_explicit(&j->pending, memory_order_acquire) == 0) return;
            if (i % SPIN_CLOCK_EVERY == 0 && now_ns() >= deadline) break;
        }
    }
    atomic_fetch_add(&p->done_sleepers, 1);
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&j->pending) != 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    atomic_fetch_sub(&p->done_sleepers, 1);
}

static int env_spin_us(void) {
    int us;
    return parse_int(getenv("IA_POOL_SPIN_US"), 0, IA_POOL_SPIN_US_MAX, &us) ? us
                                                                              : IA_POOL_SPIN_US_DEFAULT;
}

#else /* no threads */

struct ia_pool {
    int n_threads;
};

#endif

ia_status ia_pool_create(int n_threads, ia_pool **out) {
    ia_pool *p;
    *out = NULL;
    if (n_threads < 0 || n_threads > IA_POOL_MAX_THREADS)
        return ia_error(IA_ERR_INVALID_ARG, "threads must be in [0, %d], not %d", IA_POOL_MAX_THREADS,
                        n_threads);
    if (n_threads == 0) n_threads = ia_cpu_available();
#ifndef IA_HAVE_THREADS
    n_threads = 1;
#endif
    p = calloc(1, sizeof *p);
    if (!p) return ia_error(IA_ERR_NOMEM, "thread pool");
    p->n_threads = n_threads;
#ifdef IA_HAVE_THREADS
    {
        /* sizeof(worker) is a multiple of its 64-byte alignment */
        size_t wbytes = (size_t)n_threads * sizeof(worker);
        p->busy = calloc((size_t)n_threads, 1);
        p->link = malloc((size_t)n_threads * sizeof *p->link);
        p->workers = aligned_alloc(_Alignof(worker), wbytes);
        if (!p->busy || !p->link || !p->workers) {
            free(p->busy);
            free(p->link);
            free(p->workers);
            free(p);
            return ia_error(IA_ERR_NOMEM, "thread pool of %d", n_threads);
        }
        memset(p->workers, 0, wbytes);
    }
    p->n_free = n_threads;
    atomic_init(&p->spin_us, env_spin_us());
    atomic_init(&p->stop, 0);
    atomic_init(&p->done_sleepers, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->slot_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    for (int i = 1; i < n_threads; i++) {
        worker *w = &p->workers[i];
        atomic_init(&w->mailbox, NULL);
        atomic_init(&w->sleeping, 0);
        w->pool = p;
        w->slot = i;
        if (pthread_cond_init(&w->cv, NULL) != 0) {
            ia_pool_free(p);
            return ia_error(IA_ERR_NOMEM, "thread pool: condition variable %d", i);
        }
        p->n_cv = i;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            ia_pool_free(p); /* joins the ones started */
            return ia_error(IA_ERR_INTERNAL, "cannot start worker thread %d of %d", i, n_threads - 1);
        }
        p->n_started = i;
    }
#endif
    *out = p;
    return IA_OK;
}

#ifdef IA_HAVE_THREADS
static _Atomic(ia_pool *) global_pool;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

/* In a fork() child only the forking thread exists: the workers are gone
 * and the pool mutex may be held by a thread that vanished. */
static void global_after_fork_child(void) {
    ia_pool *p = atomic_load(&global_pool);
    if (p) p->forked = 1;
}

static void global_init(void) {
    ia_pool *p = NULL;
    int n = ia_pool_parse_threads(getenv("IA_THREADS"));
    if (n == 0) n = ia_cpu_available();
    if (ia_pool_create(n, &p) != IA_OK && ia_pool_create(1, &p) != IA_OK) p = NULL;
    atomic_store(&global_pool, p);
    pthread_atfork(NULL, NULL, global_after_fork_child);
}

ia_pool *ia_pool_global(void) {
    pthread_once(&global_once, global_init);
    return atomic_load_explicit(&global_pool, memory_order_acquire);
}
#else
static ia_pool serial_pool = {1};
ia_pool *ia_pool_global(void) { return &serial_pool; }
#endif

void ia_pool_free(ia_pool *p) {
#ifdef IA_HAVE_THREADS
    if (!p || p == atomic_load(&global_pool)) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    for (int i = 1; i <= p->n_started; i++) pthread_cond_signal(&p->workers[i].cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i <= p->n_started; i++) pthread_join(p->workers[i].thread, NULL);
    for (int i = 1; i <= p->n_cv; i++) pthread_cond_destroy(&p->workers[i].cv);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->slot_cv);
    pthread_cond_destroy(&p->done_cv);
    free(p->busy);
    free(p->link);
    free(p->workers);
#else
    if (!p || p == &serial_pool) return;
#endif
    free(p);
}

int ia_pool_size(const ia_pool *p) { return p ? p->n_threads : 1; }

void ia_pool_set_spin_us(ia_pool *p, int us) {
#ifdef IA_HAVE_THREADS
    if (!p) return;
    if (us < 0) us = 0;
    if (us > IA_POOL_SPIN_US_MAX) us = IA_POOL_SPIN_US_MAX;
    atomic_store(&p->spin_us, us);
#else
    (void)p, (void)us;
#endif
}

void ia_pool_run_n(ia_pool *p, int n_tasks, int max_threads, ia_pool_fn fn, void *ctx) {
    int thread = 0;
    if (n_tasks <= 0) return;
#ifdef IA_HAVE_THREADS
    if (p && !p->forked) {
        pool_job j;
        ia_pool *outer_pool = tls_pool;
        int want = p->n_threads, slot, n_workers, outer_slot = tls_slot;
        if (outer_pool == p) { /* nested in one of this pool's tasks */
            for (int t = 0; t < n_tasks; t++) fn(ctx, t, outer_slot);
            return;
        }
        if (max_threads > 0 && max_threads < want) want = max_threads;
        if (n_tasks < want) want = n_tasks;
        j.fn = fn;
        j.ctx = ctx;
        j.n_tasks = n_tasks;
        atomic_init(&j.next_task, 0);
        slot = take_slots(p, want, &n_workers);
        atomic_init(&j.pending, n_workers); /* published by post's seq_cst stores */
        if (n_workers > 0) post(p, &j, slot);
        tls_pool = p;
        tls_slot = slot;
        drain(&j, slot);
        tls_pool = outer_pool;
        tls_slot = outer_slot;
        if (n_workers > 0) {
            retract(p, &j, slot);
            wait_done(p, &j);
        }
        return_slots(p, slot);
        return;
    }
#endif
    (void)p, (void)max_threads;
    for (int t = 0; t < n_tasks; t++) fn(ctx, t, thread);
}

void ia_pool_run(ia_pool *p, int n_tasks, ia_pool_fn fn, void *ctx) {
    ia_pool_run_n(p, n_tasks, 0, fn, ctx);
}
