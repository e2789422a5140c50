/*
 * stsb.h — the STS Benchmark evaluation: Spearman correlation between the
 * cosine of two sentence embeddings and the gold similarity score, the
 * standard STS-B metric (as sentence-transformers' EmbeddingSimilarityEvaluator
 * reports it).
 */
#ifndef IA_EVAL_STSB_H
#define IA_EVAL_STSB_H

#include <stddef.h>

#include "ipfs_accelerate.h"
#include "util/cosine.h"

typedef struct ia_stsb_pair {
    char *s1, *s2;
    double score;
} ia_stsb_pair;

typedef struct ia_stsb_data {
    ia_stsb_pair *pairs;
    size_t n;
} ia_stsb_data;

/* Reads sentence1,sentence2,score rows (RFC 4180 CSV: quoted fields with ""
 * escapes and embedded commas/newlines; no header; \n or \r\n). Errors
 * name the line: wrong field count, a score that is not a finite number,
 * an unterminated quote, an empty file. */
ia_status ia_stsb_load(const char *path, ia_stsb_data *out);
void ia_stsb_free(ia_stsb_data *d);

/* Spearman rank correlation of a and b (n >= 2; ties get average ranks,
 * as scipy.stats.spearmanr). NAN when either side is constant. */
double ia_spearman(const double *a, const double *b, size_t n);


/* Embeds every sentence with `model` (batches of `batch`, 0 = 32), and
 * returns the Spearman correlation of cos(e1, e2) with the scores, in
 * [-1, 1]. `cosines` (may be NULL) receives the n cosines. */
ia_status ia_stsb_evaluate(ia_model *model, const ia_stsb_data *d, int batch, double *spearman,
                           double *cosines);

#endif
