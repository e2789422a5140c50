/*
 * ref.h — the portable reference executor: plain C, one thread, no SIMD,
 * every op of tensor/graph.h on any layout and any weight dtype. It is the
 * oracle every other executor is tested against, op by op and whole
 * graphs, and the scheduler's last resort for ops a device lacks. Each op
 * first gathers its inputs into contiguous float arrays (whatever their
 * strides and dtypes), computes in double where it sums, then writes the
 * output: slow and obviously right.
 */
#ifndef IA_BACKENDS_REF_REF_H
#define IA_BACKENDS_REF_REF_H

#include "backends/backend.h"
#include "tensor/qweights.h"

extern const ia_backend_ops ia_ref_backend;

/* Runs one node (its tensors placed in host memory). */
ia_status ia_ref_compute_node(ia_node *n);

/* y[r][j] = x[r] · dequant(w)[j] + bias[j] with the activations quantised
 * as tensor/qweights.h defines: the product every quantised kernel must
 * reproduce. y is [m][ldy]. */
void ia_qgemm_reference(const ia_qweights *w, int m, const float *x, int ldx, const float *bias, float *y, int ldy);

#endif
