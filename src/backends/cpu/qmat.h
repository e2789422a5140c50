/*
 * qmat.h — the packed form of a quantised matrix that the CPU qgemm
 * kernels read (layout in qmat_layout.h, private to the CPU backend). The
 * arithmetic is tensor/qweights.h's; the CPU backend packs a weight of any
 * quantised dtype into this form once, when a model prepares its weights.
 */
#ifndef IA_BACKENDS_CPU_QMAT_H
#define IA_BACKENDS_CPU_QMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"
#include "tensor/qweights.h"

/* Shapes the kernels take: k a multiple of 32 and group 16 or a multiple
 * of 32 (or group == k with k a multiple of 32); anything else is
 * IA_ERR_UNSUPPORTED from ia_qmat_pack, and the backend runs that layer
 * from floats. */
typedef struct ia_qmat ia_qmat;

ia_status ia_qmat_pack(const ia_qweights *w, ia_qmat **out);

/* 5-bit codes (ggml's Q5_0 / Q5_1: w->bits 8, every code < 32, group 32)
 * packed as 4 low bits plus a 1-bit plane with float scales, the layout
 * Q5_K's codes use (qmat_layout.h): 5 bits a weight to read instead of 8.
 * A code ≥ 32 is IA_ERR_INVALID_ARG, another group IA_ERR_UNSUPPORTED. */
ia_status ia_qmat_pack_split5(const ia_qweights *w, ia_qmat **out);

/* n rows of k weights of a ggml k-quant dtype (tensor/kquants.h; k a
 * multiple of 256) packed with ggml's integer sub-block scales kept as
 * they are (qmat_layout.h): the same arithmetic as
 * ia_qmat_pack(ia_qweights_from_dtype(...)), 2–4 bits a weight fewer to
 * read. Non-finite super-block scales are IA_ERR_FORMAT. */
ia_status ia_qmat_pack_kquant(int dtype, const void *blocks, int64_t n, int64_t k, ia_qmat **out);
void ia_qmat_free(ia_qmat *q);

int ia_qmat_bits(const ia_qmat *q);
int64_t ia_qmat_rows(const ia_qmat *q);   /* n */
int64_t ia_qmat_cols(const ia_qmat *q);   /* k */
int64_t ia_qmat_group(const ia_qmat *q);
size_t ia_qmat_bytes(const ia_qmat *q);   /* resident bytes: codes + scales */

/* The plain form of a packed matrix (for tests and for saving). */
ia_status ia_qmat_unpack(const ia_qmat *q, ia_qweights *out);

#endif
