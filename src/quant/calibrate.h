/*
 * calibrate.h — what the quantisation engine measures on a model: input
 * statistics of every linear layer over calibration texts, and how much
 * the embeddings move when one layer (or a whole assignment) is quantised.
 */
#ifndef IA_QUANT_CALIBRATE_H
#define IA_QUANT_CALIBRATE_H

#include <stddef.h>

#include "models/model.h"

/* importance[i][k] = mean over calibration rows of x_k^2 for the input of
 * linear i (m->linears order). Caller frees with ia_calib_free. */
typedef struct ia_calib {
    float **importance; /* [n_linears][k_i] */
    int n_linears;
    long long rows;     /* activation rows seen per layer */
} ia_calib;

ia_status ia_calibrate(ia_model *m, const char *const *texts, size_t n, ia_calib *out);
void ia_calib_free(ia_calib *c);

/* Embeds texts (batch 32) into out [n, dim]. */
ia_status ia_calib_embed(ia_model *m, const char *const *texts, size_t n, float *out);

/* 1 − mean cosine between the model's current embeddings of texts and
 * ref [n, dim] (the fp32 ones): 0 when identical. */
ia_status ia_calib_drift(ia_model *m, const char *const *texts, size_t n, const float *ref, double *drift);

#endif
