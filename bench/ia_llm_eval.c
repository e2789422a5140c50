/*
 * ia_llm_eval.c — our side of bench/llm_agreement: teacher-forced scoring
 * and greedy decoding on given token ids, with the same chunking and output
 * as bench/llamacpp_eval.c (see there).
 *
 *   ia_llm_eval MODEL score IDSFILE CTX BOS [-t THREADS]
 *   ia_llm_eval MODEL greedy N ID... [-t THREADS]
 *   ia_llm_eval MODEL ttft ID... [-t THREADS]   load (mmap) + session; prompt → first token
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "ipfs_accelerate.h"
#include "llm_eval_common.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(void) {
    fprintf(stderr, "ia_llm_eval: %s\n", ia_last_error());
    return 1;
}

int main(int argc, char **argv) {
    ia_hardware_profile prof;
    ia_model *m = NULL;
    ia_session *s = NULL;
    int threads = 2, n_vocab;
    if (argc >= 3 && strcmp(argv[argc - 2], "-t") == 0) {
        threads = atoi(argv[argc - 1]);
        argc -= 2;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: ia_llm_eval MODEL score IDS CTX BOS | greedy N ID... [-t T]\n");
        return 2;
    }
    double t_start = now();
    IA_HARDWARE_PROFILE_INIT(&prof);
    prof.backend = "cpu";
    prof.threads = threads;
    if (ia_model_open_profile(argv[1], &prof, &m) != IA_OK || ia_session_create(m, NULL, &s) != IA_OK) return fail();
    n_vocab = ia_model_vocab_size(m);

    if (strcmp(argv[2], "score") == 0 && argc >= 6) {
        int n, ctxn = atoi(argv[4]), first = ctxn / 2, scored = 0, keep_bos = atoi(argv[5]);
        int32_t *ids = read_ids(argv[3], &n), *chunk = malloc(sizeof *chunk * (size_t)ctxn);
        float *logits = malloc(sizeof *logits * (size_t)ctxn * (size_t)n_vocab);
        double nll = 0;
        if (!ids || !chunk || !logits) return 1;
        printf("{\"argmax\": [");
        for (int c = 0; (c + 1) * ctxn <= n; c++) {
            memcpy(chunk, ids + c * ctxn, sizeof *chunk * (size_t)ctxn);
            if (keep_bos) chunk[0] = ids[0];  /* the BOS, as llama-perplexity does */
            ia_io in = {"input_ids", IA_IO_I32, 1, {ctxn}, chunk, sizeof *chunk * (size_t)ctxn};
            ia_io out = {"logits", IA_IO_F32, 0, {0}, logits, sizeof *logits * (size_t)ctxn * (size_t)n_vocab};
            ia_session_reset(s);
            if (ia_session_run(s, "decoder", &in, 1, &out, 1) != IA_OK) return fail();
            for (int i = first; i < ctxn - 1; i++) {
                const float *lg = logits + (size_t)i * (size_t)n_vocab;
                nll += score_row(lg, n_vocab, ids[c * ctxn + i + 1], scored == 0);
                scored++;
            }
        }
        printf("], \"n\": %d, \"nll\": %.9f, \"ppl\": %.9f}\n", scored, nll / scored, exp(nll / scored));
        free(logits);
        free(chunk);
        free(ids);
    } else if (strcmp(argv[2], "logits") == 0 && argc >= 5) { /* logits OUTFILE ID...: last position, raw F32 */
        int n = argc - 4;
        int32_t *ids = malloc(sizeof *ids * (size_t)n);
        float *lg = malloc(sizeof *lg * (size_t)n_vocab);
        FILE *f = fopen(argv[3], "wb");
        for (int i = 0; i < n; i++) ids[i] = atoi(argv[4 + i]);
        if (!f || ia_session_decode(s, ids, (size_t)n, lg) != IA_OK) return fail();
        fwrite(lg, sizeof(float), (size_t)n_vocab, f);
        fclose(f);
        free(lg);
        free(ids);
    } else if (strcmp(argv[2], "ttft") == 0) {
        int n = argc - 3;
        int32_t *ids = malloc(sizeof *ids * (size_t)n);
        float *lg = malloc(sizeof *lg * (size_t)n_vocab);
        double t_load = now() - t_start, t0;
        for (int i = 0; i < n; i++) ids[i] = atoi(argv[3 + i]);
        t0 = now();
        if (ia_session_decode(s, ids, (size_t)n, lg) != IA_OK) return fail();
        printf("{\"load_s\": %.4f, \"ttft_ms\": %.3f, \"token\": %d}\n", t_load, 1e3 * (now() - t0),
               argmax(lg, n_vocab));
        free(lg);
        free(ids);
    } else if (strcmp(argv[2], "greedy") == 0) {
        int n_gen = atoi(argv[3]), n = argc - 4;
        int32_t *ids = malloc(sizeof *ids * (size_t)(n + 1));
        float *lg = malloc(sizeof *lg * (size_t)n_vocab);
        for (int i = 0; i < n; i++) ids[i] = atoi(argv[4 + i]);
        if (ia_session_decode(s, ids, (size_t)n, lg) != IA_OK) return fail();
        printf("[");
        for (int g = 0; g < n_gen; g++) {
            int32_t t = argmax(lg, n_vocab);
            printf("%s%d", g ? "," : "", t);
            if (ia_session_decode(s, &t, 1, lg) != IA_OK) return fail();
        }
        printf("]\n");
        free(lg);
        free(ids);
    } else {
        fprintf(stderr, "ia_llm_eval: unknown mode %s\n", argv[2]);
        return 2;
    }
    ia_session_free(s);
    ia_model_free(m);
    return 0;
}
