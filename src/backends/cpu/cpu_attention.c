/*
 * cpu_attention.c — bidirectional multi-head attention over packed
 * sequences (BERT-style encoders).
 *
 * One task per (sequence, head): S = Q_h K_h^T (len × len), softmax(scale·S)
 * row by row, O_h = P V_h written straight into the head's columns of the
 * output. Q, K, V are read in place with a row stride of `hidden`, so no
 * head is ever copied out. Only the sequence's own tokens take part, which
 * is what HF's padded batch computes for the real tokens (masked keys get
 * weight 0 there).
 */
#include <stdint.h>

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/gemm.h"
#include "util/error.h"

typedef struct attn_job {
    ia_cpu_ctx *c;
    const float *q, *k, *v;
    float *out;
    const int32_t *offs;
    int heads, head_dim, hidden;
    float scale;
} attn_job;

static void attention_task(void *ctx, int task, int thread) {
    attn_job *j = ctx;
    int s = task / j->heads, h = task % j->heads;
    int start = j->offs[s], len = j->offs[s + 1] - start;
    int64_t base = (int64_t)start * j->hidden + (int64_t)h * j->head_dim;
    float *scores = j->c->scratch[thread];
    if (len == 0) return;
    ia_sgemm_with(j->c->gemm, NULL, 1, len, len, j->head_dim, j->q + base, j->hidden, j->k + base,
                  j->hidden, NULL, scores, len, NULL);
    for (int i = 0; i < len; i++) j->c->vec->softmax(scores + (int64_t)i * len, len, j->scale);
    ia_sgemm_with(j->c->gemm, NULL, 0, len, j->head_dim, len, scores, len, j->v + base, j->hidden,
                  NULL, j->out + base, j->hidden, NULL);
}

ia_status ia_cpu_attention(ia_cpu_ctx *c, ia_node *n) {
    const ia_tensor *q = n->src[0], *k = n->src[1], *v = n->src[2], *offs = n->src[3];
    int64_t rows = ia_tensor_rows(q), hidden = ia_tensor_cols(q);
    int heads = n->iparam[0], nseq = (int)ia_tensor_nelem(offs) - 1, max_len = 0;
    attn_job j;
    ia_status st = ia_cpu_check_offsets(offs, rows);
    if (st != IA_OK) return st;
    if (heads <= 0 || hidden % heads != 0 || ia_tensor_rows(k) != rows || ia_tensor_rows(v) != rows)
        return ia_error(IA_ERR_INTERNAL, "attention: bad shapes or head count");
    if ((int64_t)nseq * heads > INT32_MAX)
        return ia_error(IA_ERR_INVALID_ARG, "attention: %d sequences x %d heads is too many tasks", nseq, heads);
    for (int s = 0; s < nseq; s++) {
        int len = ((const int32_t *)offs->data)[s + 1] - ((const int32_t *)offs->data)[s];
        max_len = len > max_len ? len : max_len;
    }
    if ((size_t)max_len * (size_t)max_len > c->scratch_elems)
        return ia_error(IA_ERR_INTERNAL, "attention: scratch for %d tokens not reserved", max_len);
    j = (attn_job){c, q->data, k->data, v->data, n->out->data, offs->data,
                   heads, (int)(hidden / heads), (int)hidden, n->fparam[0]};
    ia_pool_run(c->pool, nseq * heads, attention_task, &j);
    return IA_OK;
}
