/*
 * test_sessions.c — one model, several sessions at once: two application
 * threads embed with their own sessions on one shared model (one weights
 * mapping, one set of prepared weights, the process's one thread pool) and
 * get exactly what one session gets alone; a decoder's sessions keep
 * separate KV caches. Run under ThreadSanitizer too (run_tests.sh).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"

static const char *const TEXTS[] = {
    "The quick brown fox jumps over the lazy dog.",
    "Sessions share the weights of one model and nothing else.",
    "Ein kurzer deutscher Satz.",
    "A much longer sentence that has quite a few more tokens than the others, so the batch has very different "
    "lengths in it.",
};
#define N_TEXTS 4
#define ROUNDS 3

typedef struct job {
    ia_session *s;
    float *out;
    ia_status st;
} job;

static void *embed_rounds(void *arg) {
    job *j = arg;
    for (int r = 0; r < ROUNDS && j->st == IA_OK; r++) j->st = ia_session_embed(j->s, TEXTS, N_TEXTS, j->out);
    return NULL;
}

IA_TEST(sessions_embed_in_parallel_on_one_model) {
    ia_model_options o;
    ia_model *m = NULL;
    ia_session *s[2] = {NULL, NULL};
    float *alone = NULL;
    job jobs[2];
    pthread_t th[2];
    int dim;
    IA_MODEL_OPTIONS_INIT(&o);
    o.threads = 2;
    REQUIRE(ia_test_model_dir());
    CHECK_STATUS(ia_model_open(ia_test_model_dir(), &o, &m), IA_OK);
    REQUIRE(m);
    dim = ia_model_dim(m);
    alone = malloc((size_t)N_TEXTS * (size_t)dim * sizeof *alone);
    CHECK_STATUS(ia_model_embed(m, TEXTS, N_TEXTS, alone), IA_OK);
    for (int i = 0; i < 2; i++) {
        CHECK_STATUS(ia_session_create(m, NULL, &s[i]), IA_OK);
        jobs[i] = (job){s[i], malloc((size_t)N_TEXTS * (size_t)dim * sizeof(float)), IA_OK};
    }
    if (s[0] && s[1] && alone && jobs[0].out && jobs[1].out) {
        for (int i = 0; i < 2; i++) CHECK(pthread_create(&th[i], NULL, embed_rounds, &jobs[i]) == 0);
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        for (int i = 0; i < 2; i++) {
            CHECK_STATUS(jobs[i].st, IA_OK);
            /* the same kernels on the same data in the same order: bit for bit */
            CHECK_MSG(memcmp(jobs[i].out, alone, (size_t)N_TEXTS * (size_t)dim * sizeof(float)) == 0,
                      "session %d differs from the model's own session", i);
        }
    }
    for (int i = 0; i < 2; i++) {
        ia_session_free(s[i]);
        free(jobs[i].out);
    }
    free(alone);
    ia_model_free(m);
}
