/*
 * test_threadpool.c — the pool: every task runs exactly once over many
 * (pool size, n_tasks, max_threads) combinations, with polling and with
 * immediate sleep; at most max_threads distinct threads per job; several
 * application threads on one pool (the global one and a private one) with
 * the thread indices of concurrently running tasks distinct; nested calls
 * inline; the global pool; $IA_THREADS parsing; idle workers cost no CPU.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "util/threadpool.h"

#define MAX_SLOTS 64

/* What a job saw: hits per task, the slots used, bad slot indices, and
 * slots found in use by another running task (shared across jobs). */
typedef struct job {
    atomic_int *hits;
    int n_threads;
    atomic_int bad_thread;
    atomic_int used[MAX_SLOTS];
    atomic_int *in_use; /* [n_threads], shared by concurrent jobs, may be NULL */
    atomic_int *clash;
    int spin; /* busy iterations per task, to overlap tasks */
} job;

static void job_init(job *j, atomic_int *hits, int n_threads) {
    memset(j, 0, sizeof *j);
    j->hits = hits;
    j->n_threads = n_threads;
    atomic_init(&j->bad_thread, 0);
    for (int i = 0; i < MAX_SLOTS; i++) atomic_init(&j->used[i], 0);
}

static void count_task(void *ctx, int task, int thread) {
    job *j = ctx;
    atomic_fetch_add(&j->hits[task], 1);
    if (thread < 0 || thread >= j->n_threads || thread >= MAX_SLOTS) {
        atomic_store(&j->bad_thread, 1);
        return;
    }
    atomic_store(&j->used[thread], 1);
    if (j->in_use) {
        if (atomic_exchange(&j->in_use[thread], 1) != 0) atomic_fetch_add(j->clash, 1);
        for (volatile int i = 0; i < j->spin; i++) {}
        atomic_store(&j->in_use[thread], 0);
    }
}

static int n_used(job *j) {
    int n = 0;
    for (int i = 0; i < MAX_SLOTS; i++) n += atomic_load(&j->used[i]);
    return n;
}

/* Runs body(arg) on a helper thread and waits up to `seconds` for it: a
 * deadlocked pool fails the test instead of hanging the suite (the stuck
 * thread is left behind, detached). Returns 1 if body finished. */
typedef struct deadline_run {
    void (*body)(void *);
    void *arg;
    atomic_int done;
} deadline_run;

static void *deadline_main(void *p) {
    deadline_run *d = p;
    d->body(d->arg);
    atomic_store(&d->done, 1);
    return NULL;
}

static int run_with_deadline(void (*body)(void *), void *arg, int seconds) {
    deadline_run *d = malloc(sizeof *d);
    pthread_t th;
    struct timespec tick = {0, 10000000L};
    if (!d) return 0;
    d->body = body;
    d->arg = arg;
    atomic_init(&d->done, 0);
    if (pthread_create(&th, NULL, deadline_main, d) != 0) {
        free(d);
        return 0;
    }
    for (int i = 0; i < seconds * 100 && !atomic_load(&d->done); i++) nanosleep(&tick, NULL);
    if (!atomic_load(&d->done)) {
        pthread_detach(th); /* d stays with it */
        return 0;
    }
    pthread_join(th, NULL);
    free(d);
    return 1;
}

static int imin3(int a, int b, int c) {
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/* Runs one job and checks it; returns 0 on a failure (already reported). */
static int run_and_check(ia_pool *p, atomic_int *hits, int n, int max_threads, int *ia_failed_) {
    job j;
    int size = ia_pool_size(p), cap = max_threads > 0 ? max_threads : size;
    job_init(&j, hits, size);
    for (int i = 0; i < n; i++) atomic_store(&hits[i], 0);
    ia_pool_run_n(p, n, max_threads, count_task, &j);
    for (int i = 0; i < n; i++)
        if (atomic_load(&hits[i]) != 1) {
            CHECK_MSG(0, "size %d n %d max %d: task %d ran %d times", size, n, max_threads, i,
                      atomic_load(&hits[i]));
            return 0;
        }
    CHECK_MSG(atomic_load(&j.bad_thread) == 0, "size %d n %d max %d: thread index out of range",
              size, n, max_threads);
    CHECK_MSG(n_used(&j) <= imin3(cap, n, size), "size %d n %d max %d: %d threads took part", size,
              n, max_threads, n_used(&j));
    return !*ia_failed_;
}

static void every_task_body(void *arg) {
    static const int tasks[] = {0, 1, 2, 3, 5, 7, 16, 64, 333, 1000};
    int *ia_failed_ = arg;
    atomic_int *hits = calloc(1000, sizeof *hits);
    REQUIRE(hits);
    for (int size = 1; size <= 5; size++) {
        ia_pool *p = NULL;
        CHECK_STATUS(ia_pool_create(size, &p), IA_OK);
        REQUIRE(p && ia_pool_size(p) == size);
        /* spin 0 exercises the sleep/wake path on every job */
        for (int spin = 0; spin < 2; spin++) {
            ia_pool_set_spin_us(p, spin ? 50 : 0);
            for (int max = -1; max <= size + 2; max++)
                for (size_t t = 0; t < sizeof tasks / sizeof *tasks; t++)
                    for (int rep = 0; rep < 4; rep++)
                        if (!run_and_check(p, hits, tasks[t], max, ia_failed_)) goto out;
        }
        /* many short jobs back to back, the pattern of a forward pass */
        for (int round = 0; round < 300; round++)
            if (!run_and_check(p, hits, (round * 37) % 1000, 0, ia_failed_)) goto out;
    out:
        ia_pool_free(p);
    }
    free(hits);
    ia_pool_free(NULL);
}

IA_TEST(threadpool_runs_every_task_once) {
    int *failed = calloc(1, sizeof *failed);
    REQUIRE(failed);
    if (!run_with_deadline(every_task_body, failed, 120)) {
        CHECK_MSG(0, "jobs still unfinished after 120 s: deadlock");
        return; /* failed stays with the stuck thread */
    }
    CHECK(*failed == 0);
    free(failed);
}

/* max_threads 1 on a big pool: the caller alone runs every task. */
static void record_self(void *ctx, int task, int thread) {
    pthread_t *who = ctx;
    who[task] = pthread_self();
    (void)thread;
}

IA_TEST(threadpool_max_threads_one_stays_on_caller) {
    ia_pool *p = NULL;
    pthread_t who[64];
    CHECK_STATUS(ia_pool_create(4, &p), IA_OK);
    REQUIRE(p);
    ia_pool_run_n(p, 64, 1, record_self, who);
    for (int i = 0; i < 64; i++) CHECK(pthread_equal(who[i], pthread_self()));
    ia_pool_free(p);
}

static void noop_task(void *ctx, int task, int thread);

/* ---- only the threads a job uses are woken ---- */

typedef struct roll_call {
    atomic_int arrived;
    int size;
    pthread_t who[MAX_SLOTS];
} roll_call;

/* Each of the pool's threads holds one task until all have arrived, so
 * every slot's thread is seen once. */
static void roll_call_task(void *ctx, int task, int thread) {
    roll_call *r = ctx;
    struct timespec tick = {0, 100000L};
    r->who[thread] = pthread_self();
    atomic_fetch_add(&r->arrived, 1);
    while (atomic_load(&r->arrived) < r->size) nanosleep(&tick, NULL);
    (void)task;
}

static double thread_cpu_ms(pthread_t th) {
    clockid_t clk;
    struct timespec ts;
    if (pthread_getcpuclockid(th, &clk) != 0 || clock_gettime(clk, &ts) != 0) return -1;
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

IA_TEST(threadpool_wakes_only_the_threads_it_uses) {
    enum { SIZE = 4 };
    ia_pool *p = NULL;
    roll_call r;
    double before[SIZE], after[SIZE];
    struct timespec settle = {0, 20000000L};
    CHECK_STATUS(ia_pool_create(SIZE, &p), IA_OK);
    REQUIRE(p);
    memset(&r, 0, sizeof r);
    atomic_init(&r.arrived, 0);
    r.size = SIZE;
    ia_pool_run(p, SIZE, roll_call_task, &r);
    REQUIRE(pthread_equal(r.who[0], pthread_self()));
    ia_pool_set_spin_us(p, 0); /* idle workers sleep at once: a wake-up is visible as CPU */
    nanosleep(&settle, NULL);
    for (int i = 1; i < SIZE; i++) before[i] = thread_cpu_ms(r.who[i]);
    for (int i = 0; i < 3000; i++) ia_pool_run_n(p, 64, 2, noop_task, NULL);
    for (int i = 1; i < SIZE; i++) after[i] = thread_cpu_ms(r.who[i]);
    /* slot 1 may be woken for each job; slots 2 and 3 never */
    for (int i = 2; i < SIZE; i++)
        CHECK_MSG(before[i] >= 0 && after[i] - before[i] < 1.0,
                  "worker %d, not needed by 3000 jobs of max_threads 2, used %.3f ms of CPU", i,
                  after[i] - before[i]);
    printf("  3000 jobs, max_threads 2: workers used %.3f, %.3f, %.3f ms CPU\n", after[1] - before[1],
           after[2] - before[2], after[3] - before[3]);
    ia_pool_free(p);
}

/* 300 jobs that each need every thread of the pool at once (a roll call
 * holds its task until all have arrived), workers asleep before each: a
 * lost wake-up would hang, not just slow down. */
static void roll_calls(void *arg) {
    ia_pool *p = arg;
    for (int round = 0; round < 300; round++) {
        roll_call r;
        memset(&r, 0, sizeof r);
        atomic_init(&r.arrived, 0);
        r.size = ia_pool_size(p);
        ia_pool_run(p, r.size, roll_call_task, &r);
    }
}

IA_TEST(threadpool_every_worker_comes_when_needed) {
    for (int size = 2; size <= 5; size++) {
        ia_pool *p = NULL;
        CHECK_STATUS(ia_pool_create(size, &p), IA_OK);
        REQUIRE(p);
        for (int spin = 0; spin < 2; spin++) {
            ia_pool_set_spin_us(p, spin ? 50 : 0);
            if (!run_with_deadline(roll_calls, p, 60)) {
                CHECK_MSG(0, "size %d spin %d: a worker never came", size, spin);
                return; /* the pool stays with the stuck threads */
            }
        }
        ia_pool_free(p);
    }
}

IA_TEST(threadpool_null_pool_and_bad_sizes) {
    ia_pool *p = (ia_pool *)1;
    atomic_int hits[8];
    job j;
    job_init(&j, hits, 1);
    for (int i = 0; i < 8; i++) atomic_init(&hits[i], 0);
    ia_pool_run_n(NULL, 8, 4, count_task, &j); /* serially, thread 0 */
    for (int i = 0; i < 8; i++) CHECK(atomic_load(&hits[i]) == 1);
    CHECK(atomic_load(&j.bad_thread) == 0 && n_used(&j) == 1);
    ia_pool_run_n(NULL, 0, 0, count_task, &j);
    ia_pool_run_n(NULL, -3, 0, count_task, &j);
    CHECK(atomic_load(&hits[0]) == 1);
    CHECK(ia_pool_size(NULL) == 1);
    CHECK_STATUS(ia_pool_create(-1, &p), IA_ERR_INVALID_ARG);
    CHECK(p == NULL);
    CHECK_STATUS(ia_pool_create(IA_POOL_MAX_THREADS + 1, &p), IA_ERR_INVALID_ARG);
    CHECK(p == NULL);
    CHECK_STATUS(ia_pool_create(0, &p), IA_OK);
    CHECK(p && ia_pool_size(p) == ia_cpu_available());
    ia_pool_free(p);
}

/* ---- several application threads on one pool ---- */

typedef struct hammer {
    ia_pool *pool;
    atomic_int *in_use;
    atomic_int clash;
    atomic_int failures;
    atomic_int over_cap;
    int seed;
} hammer;

typedef struct hammer_arg {
    hammer *h;
    int id;
} hammer_arg;

static void *hammer_main(void *arg) {
    hammer_arg *a = arg;
    hammer *h = a->h;
    int size = ia_pool_size(h->pool);
    unsigned x = 2463534242u + (unsigned)a->id * 7919u;
    atomic_int *hits = calloc(512, sizeof *hits);
    if (!hits) {
        atomic_fetch_add(&h->failures, 1);
        return NULL;
    }
    for (int round = 0; round < 1500; round++) {
        job j;
        int n, max, cap;
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        n = (int)(x % 300u);
        max = (int)((x >> 12) % (unsigned)(size + 2)); /* 0 = no cap, up to size + 1 */
        cap = imin3(max > 0 ? max : size, n, size);
        job_init(&j, hits, size);
        j.in_use = h->in_use;
        j.clash = &h->clash;
        j.spin = (int)((x >> 20) % 200u);
        for (int i = 0; i < n; i++) atomic_store(&hits[i], 0);
        ia_pool_run_n(h->pool, n, max, count_task, &j);
        for (int i = 0; i < n; i++)
            if (atomic_load(&hits[i]) != 1) {
                atomic_fetch_add(&h->failures, 1);
                break;
            }
        if (atomic_load(&j.bad_thread)) atomic_fetch_add(&h->failures, 1);
        if (n_used(&j) > cap) atomic_fetch_add(&h->over_cap, 1);
    }
    free(hits);
    return NULL;
}

typedef struct hammer_run {
    hammer h;
    hammer_arg args[8];
    int n_callers, started;
} hammer_run;

static void hammer_body(void *arg) {
    hammer_run *r = arg;
    pthread_t th[8];
    for (int i = 0; i < r->n_callers; i++) {
        r->args[i].h = &r->h;
        r->args[i].id = i;
        if (pthread_create(&th[i], NULL, hammer_main, &r->args[i]) != 0) break;
        r->started++;
    }
    for (int i = 0; i < r->started; i++) pthread_join(th[i], NULL);
}

static void hammer_pool(ia_pool *p, int n_callers, int *ia_failed_) {
    hammer_run *r = calloc(1, sizeof *r);
    REQUIRE(r && p && n_callers <= 8);
    r->n_callers = n_callers;
    r->h.pool = p;
    r->h.in_use = calloc((size_t)ia_pool_size(p), sizeof *r->h.in_use);
    REQUIRE(r->h.in_use);
    atomic_init(&r->h.clash, 0);
    atomic_init(&r->h.failures, 0);
    atomic_init(&r->h.over_cap, 0);
    /* left allocated if it hangs: the stuck threads still use it */
    REQUIRE(run_with_deadline(hammer_body, r, 120));
    CHECK(r->started == n_callers);
    CHECK_MSG(atomic_load(&r->h.failures) == 0, "%d jobs lost or repeated tasks",
              atomic_load(&r->h.failures));
    CHECK_MSG(atomic_load(&r->h.clash) == 0, "%d tasks ran on a thread index already running a task",
              atomic_load(&r->h.clash));
    CHECK_MSG(atomic_load(&r->h.over_cap) == 0, "%d jobs used more threads than allowed",
              atomic_load(&r->h.over_cap));
    free(r->h.in_use);
    free(r);
}

IA_TEST(threadpool_four_callers_on_the_global_pool) {
    hammer_pool(ia_pool_global(), 4, ia_failed_);
}

IA_TEST(threadpool_four_callers_on_a_private_pool) {
    /* more slots than cores and than callers: jobs share the slots */
    ia_pool *p = NULL;
    CHECK_STATUS(ia_pool_create(5, &p), IA_OK);
    hammer_pool(p, 4, ia_failed_);
    ia_pool_set_spin_us(p, 0); /* and again with every wait a sleep */
    hammer_pool(p, 4, ia_failed_);
    ia_pool_free(p);
}

/* ---- nested calls ---- */

typedef struct nest {
    ia_pool *pool;
    atomic_int sub_hits[64 * 16];
    atomic_int wrong_thread;
} nest;

typedef struct sub_ctx {
    nest *n;
    int outer, thread;
    pthread_t self;
} sub_ctx;

static void sub_task(void *ctx, int task, int thread) {
    sub_ctx *s = ctx;
    atomic_fetch_add(&s->n->sub_hits[s->outer * 16 + task], 1);
    if (thread != s->thread || !pthread_equal(pthread_self(), s->self))
        atomic_store(&s->n->wrong_thread, 1);
}

static void outer_task(void *ctx, int task, int thread) {
    nest *n = ctx;
    sub_ctx s = {n, task, thread, pthread_self()};
    ia_pool_run_n(n->pool, 16, 0, sub_task, &s); /* would wait for its own slots if not inline */
}

static void run_outer(void *arg) {
    nest *n = arg;
    ia_pool_run(n->pool, 64, outer_task, n);
}

IA_TEST(threadpool_nested_call_runs_inline) {
    nest *n = calloc(1, sizeof *n);
    REQUIRE(n);
    for (int size = 1; size <= 3; size++) {
        CHECK_STATUS(ia_pool_create(size, &n->pool), IA_OK);
        REQUIRE(n->pool);
        for (int i = 0; i < 64 * 16; i++) atomic_store(&n->sub_hits[i], 0);
        atomic_store(&n->wrong_thread, 0);
        if (!run_with_deadline(run_outer, n, 60)) {
            CHECK_MSG(0, "size %d: a nested call deadlocked", size);
            return; /* n and its pool stay with the stuck threads */
        }
        for (int i = 0; i < 64 * 16; i++)
            if (atomic_load(&n->sub_hits[i]) != 1) {
                CHECK_MSG(0, "size %d: sub-task %d/%d ran %d times", size, i / 16, i % 16,
                          atomic_load(&n->sub_hits[i]));
                break;
            }
        CHECK_MSG(atomic_load(&n->wrong_thread) == 0, "size %d: a sub-task left its thread", size);
        ia_pool_free(n->pool);
    }
    /* nesting into another pool is an ordinary call */
    {
        ia_pool *a = NULL;
        CHECK_STATUS(ia_pool_create(2, &a), IA_OK);
        CHECK_STATUS(ia_pool_create(2, &n->pool), IA_OK);
        for (int i = 0; i < 64 * 16; i++) atomic_store(&n->sub_hits[i], 0);
        ia_pool_run(a, 4, outer_task, n); /* sub-jobs on n->pool, not inline */
        for (int i = 0; i < 4 * 16; i++) CHECK(atomic_load(&n->sub_hits[i]) == 1);
        ia_pool_free(a);
        ia_pool_free(n->pool);
    }
    free(n);
}

/* ---- the global pool ---- */

static void *get_global(void *arg) {
    *(ia_pool **)arg = ia_pool_global();
    return NULL;
}

IA_TEST(threadpool_global_is_one_pool) {
    ia_pool *seen[4] = {0}, *g;
    pthread_t th[4];
    int want = ia_pool_parse_threads(getenv("IA_THREADS"));
    for (int i = 0; i < 4; i++) REQUIRE(pthread_create(&th[i], NULL, get_global, &seen[i]) == 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    g = ia_pool_global();
    REQUIRE(g);
    for (int i = 0; i < 4; i++) CHECK(seen[i] == g);
    CHECK(ia_pool_size(g) == (want ? want : ia_cpu_available()));
    ia_pool_free(g); /* a no-op: the global pool outlives every caller */
    CHECK(ia_pool_global() == g);
    {
        atomic_int hits[32];
        for (int i = 0; i < 32; i++) atomic_init(&hits[i], 0);
        run_and_check(g, hits, 32, 0, ia_failed_);
    }
}

IA_TEST(threadpool_parse_threads) {
    CHECK(ia_pool_parse_threads("4") == 4);
    CHECK(ia_pool_parse_threads(" 8\n") == 8);
    CHECK(ia_pool_parse_threads("1") == 1);
    CHECK(ia_pool_parse_threads("4096") == IA_POOL_MAX_THREADS);
    CHECK(ia_pool_parse_threads("4097") == 0);
    CHECK(ia_pool_parse_threads("99999999999999999999") == 0);
    CHECK(ia_pool_parse_threads("0") == 0);
    CHECK(ia_pool_parse_threads("-2") == 0);
    CHECK(ia_pool_parse_threads("+2") == 0);
    CHECK(ia_pool_parse_threads("4x") == 0);
    CHECK(ia_pool_parse_threads("4 4") == 0);
    CHECK(ia_pool_parse_threads("") == 0);
    CHECK(ia_pool_parse_threads("abc") == 0);
    CHECK(ia_pool_parse_threads(NULL) == 0);
}

/* ---- idle cost ---- */

static double process_cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

static void noop_task(void *ctx, int task, int thread) { (void)ctx, (void)task, (void)thread; }

/* CPU the whole process burns over 200 ms of idleness after a burst. */
static double idle_cpu_ms(ia_pool *p) {
    double t0;
    for (int i = 0; i < 3000; i++) ia_pool_run(p, 64, noop_task, NULL);
    t0 = process_cpu_ms();
    sleep_ms(200);
    return process_cpu_ms() - t0;
}

IA_TEST(threadpool_idle_workers_cost_no_cpu) {
    ia_pool *p = NULL;
    double idle, spinning;
    CHECK_STATUS(ia_pool_create(4, &p), IA_OK);
    REQUIRE(p);
    ia_pool_set_spin_us(p, 50);
    idle = idle_cpu_ms(p);
    /* 3 workers polling 50 µs each, then asleep: ~0.2 ms */
    CHECK_MSG(idle < 4.0, "200 ms idle cost %.2f ms of CPU", idle);
    /* The measurement can see spinning: workers that poll for 150 ms burn
     * well over 20 ms of CPU (3 of them, 2+ cores here). */
    ia_pool_set_spin_us(p, 150000);
    spinning = idle_cpu_ms(p);
    CHECK_MSG(spinning > 20.0, "150 ms of polling cost only %.2f ms of CPU", spinning);
    ia_pool_set_spin_us(p, 50);
    printf("  idle 200 ms: %.3f ms CPU (polling 150 ms: %.1f ms)\n", idle, spinning);
    ia_pool_free(p);
}
