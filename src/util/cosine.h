/*
 * cosine.h — cosine similarity of two float vectors, the one definition
 * used by STS-B evaluation, quantisation drift and the accuracy rows.
 */
#ifndef IA_UTIL_COSINE_H
#define IA_UTIL_COSINE_H

/* In double; 0 for a zero vector (sentence-transformers' pairwise_cos_sim
 * normalises with an epsilon, which gives 0 there too). */
double ia_cosine(const float *x, const float *y, int dim);

#endif
