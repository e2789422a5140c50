/*
 * cpu_attention.c — multi-head attention on the CPU: packed sequences
 * (encoders), causal with keys of any length (a decoder's KV cache),
 * grouped-query heads, additive masks.
 *
 * The work is cut into segments (one per packed sequence, or one for the
 * whole batch), and each task takes one (segment, head, block of up to
 * QBLOCK queries): S = Q_h K_hᵀ for the keys the block may see, scale and
 * mask, softmax row by row, O_h = P V_h written straight into the head's
 * columns of the output. Q, K, V are read in place through their row
 * strides, so no head is ever copied out; K/V heads are shared by
 * Hq / Hkv query heads.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/gemm.h"
#include "util/error.h"

/* Queries per task: bounds the score scratch (QBLOCK × keys floats per
 * thread) and gives long single sequences several tasks per head; 128
 * keeps a BERT sequence of up to 128 tokens in one GEMM per head (64 was
 * 20 % slower on MiniLM's 128-token batches). */
#define QBLOCK 128

typedef struct attn_job {
    ia_cpu_ctx *c;
    const float *q, *k, *v, *mask;
    float *out;
    const int32_t *offs; /* packed sequences, or NULL: one segment */
    int64_t tq, tk;      /* rows of Q and of K/V */
    int64_t ldq, ldk, ldv, ldo; /* row strides in floats */
    int hq, hkv, d, dv, causal, qblocks;
    int64_t mask_heads;  /* 0: no mask; 1 or hq */
    float scale;
} attn_job;

/* Query blocks of at most this many rows (a decoder's next token, a few
 * speculative ones) take the row path: a GEMM call per head would pack K
 * and V for one query, which cost 10x the arithmetic at decode. */
#define ROW_PATH_MAX 4

/* One query row against its keys: scores by dot products, softmax, the
 * output as the probability-weighted sum of V rows. */
static void attention_row(const attn_job *j, const float *q, const float *k, const float *v, const float *mrow,
                          int64_t seen, float *s, float *o) {
    const ia_vec_ops *vec = j->c->vec;
    for (int64_t t = 0; t < seen; t++) s[t] = vec->dot(q, k + t * j->ldk, j->d);
    if (mrow) {
        float mx = -INFINITY;
        for (int64_t t = 0; t < seen; t++) {
            s[t] = s[t] * j->scale + mrow[t];
            mx = s[t] > mx ? s[t] : mx;
        }
        if (mx == -INFINITY) seen = 0; /* a mask hid every key */
    }
    memset(o, 0, (size_t)j->dv * sizeof *o);
    if (seen == 0) return;
    vec->softmax(s, (int)seen, mrow ? 1.0f : j->scale);
    for (int64_t t = 0; t < seen; t++) vec->axpy(o, s[t], v + t * j->ldv, j->dv);
}

static void attention_task(void *ctx, int task, int thread) {
    attn_job *j = ctx;
    int per_seg = j->hq * j->qblocks, seg = task / per_seg, h = task % per_seg / j->qblocks;
    int blk = task % j->qblocks, hk = h / (j->hq / j->hkv);
    int64_t q0 = j->offs ? j->offs[seg] : 0, q1 = j->offs ? j->offs[seg + 1] : j->tq;
    int64_t k0 = j->offs ? q0 : 0, lenk = j->offs ? q1 - q0 : j->tk;
    int64_t a = q0 + (int64_t)blk * QBLOCK, b = a + QBLOCK < q1 ? a + QBLOCK : q1;
    /* causal: query row i (0-based in its segment) sees keys < i + 1 + shift */
    int64_t shift = j->offs ? 0 : j->tk - j->tq;
    float *scores = j->c->scratch[thread];
    if (a >= b) return;
    if (b - a <= ROW_PATH_MAX) {
        for (int64_t i = a; i < b; i++) {
            int64_t seen = lenk;
            if (j->causal) {
                seen = (i - q0) + 1 + shift;
                seen = seen < 0 ? 0 : seen > lenk ? lenk : seen;
            }
            attention_row(j, j->q + i * j->ldq + (int64_t)h * j->d, j->k + k0 * j->ldk + (int64_t)hk * j->d,
                          j->v + k0 * j->ldv + (int64_t)hk * j->dv,
                          j->mask ? j->mask + ((j->mask_heads > 1 ? h : 0) * j->tq + i) * j->tk : NULL, seen, scores,
                          j->out + i * j->ldo + (int64_t)h * j->dv);
        }
        return;
    }
    if (lenk > 0)
        ia_sgemm_with(j->c->gemm, NULL, 1, 1, (int)(b - a), (int)lenk, j->d, j->q + a * j->ldq + (int64_t)h * j->d,
                      (int)j->ldq, j->k + k0 * j->ldk + (int64_t)hk * j->d, (int)j->ldk, NULL, scores, (int)lenk, NULL);
    for (int64_t i = a; i < b; i++) {
        float *s = scores + (i - a) * lenk;
        int64_t seen = lenk;
        float *o = j->out + i * j->ldo + (int64_t)h * j->dv;
        if (j->causal) {
            seen = (i - q0) + 1 + shift;
            seen = seen < 0 ? 0 : seen > lenk ? lenk : seen;
        }
        if (j->mask) { /* scale first, then the additive mask */
            const float *mr = j->mask + ((j->mask_heads > 1 ? h : 0) * j->tq + i) * j->tk;
            for (int64_t t = 0; t < seen; t++) s[t] = s[t] * j->scale + mr[t];
        }
        if (j->mask && seen > 0) { /* only a mask can hide every key; the scan is a
                                     * serial max chain, so it is skipped without one */
            float mx = -INFINITY;
            for (int64_t t = 0; t < seen; t++) mx = s[t] > mx ? s[t] : mx;
            if (mx == -INFINITY) seen = 0;
        }
        if (seen == 0) {
            memset(o, 0, (size_t)j->dv * sizeof *o);
            memset(s, 0, (size_t)lenk * sizeof *s);
            continue;
        }
        j->c->vec->softmax(s, (int)seen, j->mask ? 1.0f : j->scale);
        if (seen < lenk) memset(s + seen, 0, (size_t)(lenk - seen) * sizeof *s);
    }
    if (lenk > 0)
        ia_sgemm_with(j->c->gemm, NULL, 1, 0, (int)(b - a), j->dv, (int)lenk, scores, (int)lenk,
                      j->v + k0 * j->ldv + (int64_t)hk * j->dv, (int)j->ldv, NULL,
                      j->out + a * j->ldo + (int64_t)h * j->dv, (int)j->ldo, NULL);
    else
        for (int64_t i = a; i < b; i++) memset(j->out + i * j->ldo + (int64_t)h * j->dv, 0, (size_t)j->dv * 4);
}

/* Per-thread score scratch of at least `need` floats. */
static ia_status reserve_scratch(ia_cpu_ctx *c, size_t need) {
    if (need <= c->scratch_elems) return IA_OK;
    /* Geometric growth: a decoder's keys grow by one per step, and a
     * reallocation per step (per thread, past malloc's mmap threshold a
     * fresh mapping and its page faults) cost more than the attention. */
    if (need < 2 * c->scratch_elems) need = 2 * c->scratch_elems;
    for (int i = 0; i < c->n_scratch; i++) {
        free(c->scratch[i]);
        c->scratch[i] = malloc(need * sizeof(float));
        if (!c->scratch[i]) {
            c->scratch_elems = 0;
            return ia_error(IA_ERR_NOMEM, "attention scratch (%zu floats)", need);
        }
    }
    c->scratch_elems = need;
    return IA_OK;
}

ia_status ia_cpu_attention(ia_cpu_ctx *c, ia_node *n) {
    const ia_tensor *q = n->src[0], *k = n->src[1], *v = n->src[2], *m = n->src[3];
    attn_job j;
    int64_t max_len = 0, nseg = 1, tasks;
    ia_status st;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.tq = ia_tensor_rows(q);
    j.tk = ia_tensor_rows(k);
    j.hq = n->iparam[0];
    j.hkv = n->iparam[1];
    j.causal = n->iparam[2] & IA_ATTN_CAUSAL;
    j.scale = n->fparam[0];
    if (j.hq < 1 || j.hkv < 1 || j.hq % j.hkv || ia_tensor_cols(q) % j.hq || ia_tensor_cols(v) % j.hkv ||
        ia_tensor_rows(v) != j.tk)
        return ia_error(IA_ERR_INTERNAL, "attention: bad shapes or head counts");
    j.d = (int)(ia_tensor_cols(q) / j.hq);
    j.dv = (int)(ia_tensor_cols(v) / j.hkv);
    if (ia_tensor_cols(k) != (int64_t)j.hkv * j.d || ia_tensor_cols(n->out) != (int64_t)j.hq * j.dv)
        return ia_error(IA_ERR_INTERNAL, "attention: head sizes of Q, K, V and the output differ");
    if (m && m->dtype == IA_DTYPE_I32) {
        if ((st = ia_cpu_check_offsets(m, j.tq)) != IA_OK) return st;
        if (j.tq != j.tk) return ia_error(IA_ERR_INTERNAL, "attention: packed sequences need Tq == Tk");
        j.offs = m->data;
        nseg = ia_tensor_nelem(m) - 1;
        for (int64_t s = 0; s < nseg; s++) max_len = j.offs[s + 1] - j.offs[s] > max_len ? j.offs[s + 1] - j.offs[s] : max_len;
    } else {
        max_len = j.tq;
        if (m) {
            j.mask = m->data;
            j.mask_heads = j.tq > 0 && j.tk > 0 ? ia_tensor_nelem(m) / (j.tq * j.tk) : 1;
            if (ia_tensor_cols(m) != j.tk || (j.mask_heads != 1 && j.mask_heads != j.hq))
                return ia_error(IA_ERR_INTERNAL, "attention: mask shape");
        }
    }
    j.qblocks = (int)((max_len + QBLOCK - 1) / QBLOCK);
    if (j.qblocks < 1) return IA_OK; /* no queries */
    tasks = nseg * j.hq * j.qblocks;
    if (tasks > INT32_MAX) return ia_error(IA_ERR_INVALID_ARG, "attention: too many tasks");
    /* scores of one query block: at most QBLOCK rows (one for a decoder's step) */
    if ((st = reserve_scratch(c, (size_t)(max_len < QBLOCK ? max_len : QBLOCK) * (size_t)(j.offs ? max_len : j.tk))) !=
        IA_OK)
        return st;
    j.q = q->data, j.k = k->data, j.v = v->data, j.out = n->out->data;
    j.ldq = ia_tensor_row_stride(q) / 4;
    j.ldk = ia_tensor_row_stride(k) / 4;
    j.ldv = ia_tensor_row_stride(v) / 4;
    j.ldo = ia_tensor_cols(n->out);
    {   /* A decoder's step (a few queries against a short cache) is less
         * work than waking the other threads costs: one thread below
         * ~256k multiply-adds. */
        double macs = (double)j.tq * (double)j.hq * (double)j.tk * (double)(j.d + j.dv);
        ia_cpu_run(c, (int)tasks, macs < 262144.0 ? 1 : c->threads, attention_task, &j);
    }
    return IA_OK;
}
