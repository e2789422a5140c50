/*
 * test_threadpool.c — every task runs exactly once, across many short jobs
 * (the pattern of a transformer forward pass) and various task counts.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "harness.h"
#include "util/threadpool.h"

typedef struct job {
    atomic_int *hits;
    int n_threads;
    atomic_int bad_thread;
} job;

static void count_task(void *ctx, int task, int thread) {
    job *j = ctx;
    atomic_fetch_add(&j->hits[task], 1);
    if (thread < 0 || thread >= j->n_threads) atomic_store(&j->bad_thread, 1);
}

IA_TEST(threadpool_runs_every_task_once) {
    for (int threads = 1; threads <= 4; threads++) {
        ia_pool *p = NULL;
        job j;
        CHECK_STATUS(ia_pool_create(threads, &p), IA_OK);
        REQUIRE(p && ia_pool_size(p) == threads);
        j.n_threads = threads;
        atomic_init(&j.bad_thread, 0);
        j.hits = calloc(1000, sizeof *j.hits);
        for (int round = 0; round < 300; round++) {
            int n = (round * 37) % 1000;
            for (int i = 0; i < n; i++) atomic_store(&j.hits[i], 0);
            ia_pool_run(p, n, count_task, &j);
            for (int i = 0; i < n; i++)
                if (atomic_load(&j.hits[i]) != 1) {
                    CHECK_MSG(0, "threads %d round %d task %d ran %d times", threads, round, i,
                              atomic_load(&j.hits[i]));
                    break;
                }
        }
        CHECK(atomic_load(&j.bad_thread) == 0);
        free(j.hits);
        ia_pool_free(p);
    }
    ia_pool_free(NULL);
}
