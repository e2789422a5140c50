/*
 * ia_bench_llm.c — prompt processing and generation speed of a decoder,
 * measured as llama-bench measures them: pp N = one decode of N tokens on
 * an empty context; tg N = N single-token decodes from an empty context.
 * Token ids are fixed pseudo-random values (no tokenizer in the timing).
 *
 *   ia_bench_llm MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [-b SEQS]
 *
 * -b SEQS (> 1) adds "tg N xSEQS": SEQS sequences generating N tokens each,
 * one ia_session_decode_batch step per token; tokens_per_s counts all of
 * them (batched serving's throughput).
 *
 * Prints one JSON line per repetition: {"test":"pp512","tokens_per_s":...}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipfs_accelerate.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int pp = 512, tg = 128, threads = 0, reps = 3, seqs = 1, vocab;
    ia_hardware_profile prof;
    ia_model *m = NULL;
    ia_session *s = NULL;
    int32_t *ids;
    float *lg;
    double t0, load;
    if (argc < 2) {
        fprintf(stderr, "usage: ia_bench_llm MODEL [-p N] [-n N] [-t THREADS] [-r REPS]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-p") == 0) pp = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-n") == 0) tg = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-t") == 0) threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-r") == 0) reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "-b") == 0) seqs = atoi(argv[i + 1]);
    }
    IA_HARDWARE_PROFILE_INIT(&prof);
    prof.backend = "cpu";
    prof.threads = threads;
    t0 = now();
    if (ia_model_open_profile(argv[1], &prof, &m) != IA_OK || ia_session_create(m, NULL, &s) != IA_OK) {
        fprintf(stderr, "ia_bench_llm: %s\n", ia_last_error());
        return 1;
    }
    load = now() - t0;
    vocab = ia_model_vocab_size(m);
    ids = malloc((size_t)(pp > 1 ? pp : 1) * sizeof *ids);
    lg = malloc((size_t)vocab * sizeof *lg);
    if (!ids || !lg) return 1;
    srand(1);
    for (int i = 0; i < (pp > 1 ? pp : 1); i++) ids[i] = 100 + rand() % (vocab - 200);
    printf("{\"test\":\"load\",\"seconds\":%.4f,\"precision\":\"%s\",\"threads\":%d}\n", load, ia_model_precision(m),
           ia_model_threads(m));
    /* one warm-up of each, as llama-bench does */
    ia_session_reset(s);
    if (pp && ia_session_decode(s, ids, (size_t)pp, lg) != IA_OK) return fprintf(stderr, "%s\n", ia_last_error()), 1;
    for (int r = 0; r < reps && pp; r++) {
        ia_session_reset(s);
        t0 = now();
        if (ia_session_decode(s, ids, (size_t)pp, lg) != IA_OK) return 1;
        printf("{\"test\":\"pp%d\",\"tokens_per_s\":%.2f}\n", pp, pp / (now() - t0));
        fflush(stdout);
    }
    for (int r = 0; r < reps && tg; r++) {
        int32_t tok = ids[0];
        ia_session_reset(s);
        t0 = now();
        for (int i = 0; i < tg; i++) {
            if (ia_session_decode(s, &tok, 1, lg) != IA_OK) return 1;
            tok = 100 + (tok * 7 + i) % (vocab - 200);
        }
        printf("{\"test\":\"tg%d\",\"tokens_per_s\":%.2f}\n", tg, tg / (now() - t0));
        fflush(stdout);
    }
    if (seqs > 1 && tg) {
        ia_session **ss = calloc((size_t)seqs, sizeof *ss);
        int32_t *toks = malloc((size_t)seqs * sizeof *toks);
        float *lgs = malloc((size_t)seqs * (size_t)vocab * sizeof *lgs);
        if (!ss || !toks || !lgs) return 1;
        ss[0] = s;
        for (int q = 1; q < seqs; q++)
            if (ia_session_create(m, NULL, &ss[q]) != IA_OK) return fprintf(stderr, "%s\n", ia_last_error()), 1;
        for (int r = 0; r < reps; r++) {
            for (int q = 0; q < seqs; q++) {
                ia_session_reset(ss[q]);
                toks[q] = ids[q % (pp > 0 ? pp : 1)];
            }
            t0 = now();
            for (int i = 0; i < tg; i++) {
                if (ia_session_decode_batch(ss, toks, (size_t)seqs, lgs) != IA_OK)
                    return fprintf(stderr, "%s\n", ia_last_error()), 1;
                for (int q = 0; q < seqs; q++) toks[q] = 100 + (toks[q] * 7 + i + q) % (vocab - 200);
            }
            printf("{\"test\":\"tg%d x%d\",\"tokens_per_s\":%.2f}\n", tg, seqs, (double)tg * seqs / (now() - t0));
            fflush(stdout);
        }
        for (int q = 1; q < seqs; q++) ia_session_free(ss[q]);
        free(ss);
        free(toks);
        free(lgs);
    }
    ia_session_free(s);
    ia_model_free(m);
    free(ids);
    free(lg);
    return 0;
}
