/*
 * llm_eval_common.h — what bench/ia_llm_eval.c (ours) and
 * bench/llamacpp_eval.c (llama.h) share, so both sides read token ids and
 * score a logits row the same way: static functions, one header, no
 * library (the anchor is built outside CMake).
 */
#ifndef IA_BENCH_LLM_EVAL_COMMON_H
#define IA_BENCH_LLM_EVAL_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Whitespace-separated ids of a text file (caller frees); NULL if unreadable. */
static int32_t *read_ids(const char *path, int *n) {
    FILE *f = fopen(path, "r");
    int cap = 1024, v;
    int32_t *ids;
    *n = 0;
    if (!f) return NULL;
    ids = malloc(sizeof *ids * (size_t)cap);
    while (ids && fscanf(f, "%d", &v) == 1) {
        if (*n == cap) ids = realloc(ids, sizeof *ids * (size_t)(cap *= 2));
        if (ids) ids[(*n)++] = v;
    }
    fclose(f);
    return ids;
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* One scored position: returns -log p(next) under the row's softmax and
 * prints "[argmax,margin]" (margin: top logit minus the second), with a
 * comma before all but the first. */
static double score_row(const float *lg, int n_vocab, int32_t next, int first) {
    double mx = lg[0], sum = 0;
    int b = argmax(lg, n_vocab);
    float second = -INFINITY;
    for (int v = 1; v < n_vocab; v++) mx = lg[v] > mx ? lg[v] : mx;
    for (int v = 0; v < n_vocab; v++) sum += exp(lg[v] - mx);
    for (int v = 0; v < n_vocab; v++)
        if (v != b && lg[v] > second) second = lg[v];
    printf("%s[%d,%.5f]", first ? "" : ",", b, lg[b] - second);
    return -(lg[next] - mx - log(sum));
}

#endif
