/*
 * quantize.c — float weights → codes in qmat.h's arithmetic.
 *
 * Two ways to choose each group's (d, m):
 *  - plain min/max scaling with ggml's rules (clip_search = 0). At exactly
 *    the q8_0 / q4_0 / q4_1 settings (group 32, fp16 scales) ggml's own
 *    reference quantisers (blocks.c) choose the codes, so a file we write
 *    is byte-identical to llama.cpp's quantisation of the same weights;
 *  - a search (clip_search = 1) over how much of the group's range the
 *    codes cover, scored by Σ imp·(w − ŵ)², then a weighted least-squares
 *    refit of the scale given the chosen codes (as ggml's make_qkx does).
 *    The unclipped scale is the first candidate and a candidate replaces
 *    it only when strictly better, so the search never loses to plain
 *    scaling on that measure.
 *
 * With fp16 scales, d and m are rounded before the codes are chosen, so the
 * codes are the nearest levels of the scale actually stored.
 */
#include "quant/quantize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "tensor/fp16.h"
#include "util/error.h"

/* The code grid of one format: which codes exist and how a weight picks
 * the nearest one. */
typedef struct qgrid {
    int bits, asym, fp16;
    int qlo, qhi;  /* 8-bit symmetric leaves out code 0: s = q - 128 stays in [-127, 127] */
    float c;       /* symmetric: code of the zero point, m = -c·d (128, 8, 1.5) */
    int zero_code; /* what every weight of a d = 0 group gets (ŵ = m) */
} qgrid;

static qgrid make_grid(const ia_quant_params *p) {
    qgrid g;
    g.bits = p->bits;
    g.asym = p->scheme == IA_QUANT_ASYMMETRIC;
    g.fp16 = p->fp16_scales != 0;
    g.qhi = (1 << p->bits) - 1;
    g.qlo = !g.asym && p->bits == 8 ? 1 : 0;
    g.c = p->bits == 2 ? 1.5f : (float)(1 << (p->bits - 1));
    g.zero_code = g.asym ? 0 : p->bits == 2 ? 2 : 1 << (p->bits - 1);
    return g;
}

/* One candidate scale, ready for the inner loop. Codes are chosen as ggml's
 * q4_0 / q4_1 choose them, multiplying by the reciprocal and truncating
 * x + 0.5 once x is clamped non-negative ((int)(w·id + 8.5),
 * (int)((w − m)·id + 0.5)): the nearest level, ties up. (q8_0 rounds ties
 * away from zero instead; the q8_0 settings themselves run ggml's code.) */
typedef struct cand {
    float d, m, id, off; /* off: c + 1/2 (symmetric) or 1/2 (asymmetric) */
    int div;             /* 1/d overflows (float-subnormal d): divide instead */
} cand;

static cand make_cand(const qgrid *g, float d, float m) {
    cand c;
    c.d = d, c.m = m;
    c.id = d != 0.0f ? 1.0f / d : 0.0f;
    c.div = !isfinite(c.id);
    c.off = g->asym ? 0.5f : g->c + 0.5f;
    return c;
}

static inline int pick_code(const qgrid *g, const cand *c, float w) {
    float x = g->asym ? w - c->m : w, t;
    if (c->d == 0.0f) return g->zero_code;
    t = (c->div ? x / c->d : x * c->id) + c->off;
    if (!(t >= (float)g->qlo)) return g->qlo; /* also a NaN, which finite w and d never make */
    if (t > (float)g->qhi) return g->qhi;
    return (int)t;
}

/* Σ imp·(w − ŵ)² over a group, ŵ computed in float exactly as
 * ia_qweights_dequantize does; writes the codes when q is not NULL. */
static double group_error(const qgrid *g, const float *w, const float *imp, int64_t len, float d,
                          float m, uint8_t *q) {
    cand c = make_cand(g, d, m);
    double e = 0.0;
    if (c.d == 0.0f || c.div || q) {
        for (int64_t i = 0; i < len; i++) {
            int k = pick_code(g, &c, w[i]);
            double r = (double)w[i] - (double)(d * (float)k + m);
            if (q) q[i] = (uint8_t)k;
            e += (double)imp[i] * r * r;
        }
        return e;
    }
    {
        /* the hot loop of the search: branch-free, 8 partial sums so the
         * compiler can keep several lanes in flight */
        const float lo = (float)g->qlo, hi = (float)g->qhi, sub = g->asym ? m : 0.0f;
        double acc[8] = {0};
        int64_t i = 0;
        for (; i + 8 <= len; i += 8)
            for (int j = 0; j < 8; j++) {
                float t = (w[i + j] - sub) * c.id + c.off;
                double r;
                t = t < lo ? lo : t;
                t = t > hi ? hi : t;
                r = (double)w[i + j] - (double)(d * (float)(int)t + m);
                acc[j] += (double)imp[i + j] * r * r;
            }
        for (; i < len; i++) {
            double r = (double)w[i] - (double)(d * (float)pick_code(g, &c, w[i]) + m);
            e += (double)imp[i] * r * r;
        }
        for (int j = 0; j < 8; j++) e += acc[j];
    }
    return e;
}

/* Rounds a candidate to what will be stored (fp16 if asked) and derives the
 * symmetric m; 0 when the stored scale would not be finite. */
static int finish_scale(const qgrid *g, float *d, float *m) {
    if (g->fp16) {
        *d = ia_fp16_to_fp32(ia_fp32_to_fp16(*d));
        if (g->asym) *m = ia_fp16_to_fp32(ia_fp32_to_fp16(*m));
    }
    if (!g->asym) *m = *d != 0.0f ? -g->c * *d : 0.0f;
    return isfinite(*d) && isfinite(*m);
}

/* Asymmetric candidate covering [lo, hi]. */
static void range_scale(const qgrid *g, double lo, double hi, float *d, float *m) {
    *d = (float)((hi - lo) / g->qhi);
    *m = (float)lo;
}

/* Weighted least squares for (d, m) given the codes q: symmetric fits d
 * alone (m stays -c·d), asymmetric fits both. 0 when degenerate. */
static int refit(const qgrid *g, const float *w, const float *imp, int64_t len, const uint8_t *q,
                 float *d, float *m) {
    double s0 = 0, s1 = 0, s2 = 0, sw = 0, sqw = 0, det, nd, nm;
    for (int64_t i = 0; i < len; i++) {
        double a = imp[i], x = g->asym ? (double)q[i] : (double)q[i] - g->c;
        s0 += a, s1 += a * x, s2 += a * x * x, sw += a * w[i], sqw += a * x * w[i];
    }
    if (!g->asym) {
        if (!(s2 > 0)) return 0;
        nd = sqw / s2, nm = 0;
    } else {
        det = s0 * s2 - s1 * s1;
        /* one code only (or one weighted input): the 2x2 system is singular */
        if (!(det > 1e-9 * s0 * s2)) return 0;
        nd = (s0 * sqw - s1 * sw) / det;
        nm = (s2 * sw - s1 * sqw) / det;
    }
    *d = (float)nd, *m = (float)nm;
    return isfinite(*d) && isfinite(*m);
}

/* What the candidates are built from. */
typedef struct gstats {
    float lo, hi, ext; /* min, max, q4_0's signed extreme (first of equal magnitudes) */
    double mu, hw;     /* importance-weighted mean; half-width of [lo, hi] around it */
} gstats;

/* Clip ratios tried, from 1 down: 8-bit steps are fine enough that little
 * clipping pays (to 0.85 by 0.01); 4-bit to 0.5 and 2-bit to 0.3 by 0.025
 * (a Gaussian group of 1536 wants about 0.8 of its amax at 4 bits and 0.45
 * at 2 bits; the refit then moves off the grid). */
static int clip_steps(int bits, double *step) {
    *step = bits == 8 ? 0.01 : 0.025;
    return bits == 8 ? 15 : bits == 4 ? 20 : 28;
}

/* Families of candidates at clip ratio r (r = 1: plain min/max scaling):
 *  symmetric:  0  r × the plain scale (8-bit amax/127, 4-bit ext/-8,
 *                 2-bit amax/1.5);
 *              1  4-bit only: r·ext/7, the extreme on code 15 instead of 0
 *                 (q4_0's 16 codes are lopsided, -8..7; this side wins
 *                 some groups: 1 % lower error at group 32);
 *  asymmetric: 0  both ends in by the same amount, 1 top only, 2 bottom
 *                 only (one outlier on one side), 3 centred on the
 *                 weighted mean (per-channel groups, whose midrange sits
 *                 off the bulk).
 * Measured on Gaussian rows, each family lowers the error somewhere. */
static int families(const qgrid *g) { return g->asym ? 4 : g->bits == 4 ? 2 : 1; }

static void candidate(const qgrid *g, const gstats *s, int f, double r, float *d, float *m) {
    double range = (double)s->hi - s->lo;
    *m = 0.0f;
    if (!g->asym) {
        double amax = fmax(fabs(s->lo), fabs(s->hi));
        *d = (float)(r * (g->bits == 4 ? (f ? s->ext / 7.0 : s->ext / -8.0) : amax / (g->bits == 8 ? 127.0 : 1.5)));
    } else if (f == 0) {
        range_scale(g, s->lo + (1 - r) / 2 * range, s->hi - (1 - r) / 2 * range, d, m);
    } else if (f == 1) {
        range_scale(g, s->lo, s->lo + r * range, d, m);
    } else if (f == 2) {
        range_scale(g, s->hi - r * range, s->hi, d, m);
    } else {
        range_scale(g, s->mu - r * s->hw, s->mu + r * s->hw, d, m);
    }
}

/* Least-squares refits after the grid, each kept only while it lowers the
 * error; measured: rounds past the first still gain 0.5-1 % at 8 bits
 * (asymmetric, small groups) and at 2 bits, and the loop stops early. */
#define REFIT_ROUNDS 8

/* One group: chooses (d, m), writes the codes. 0 when even the unclipped
 * scale does not fit fp16. */
static int quantize_group(const qgrid *g, const float *w, const float *imp, int64_t len, int clip,
                          uint8_t *q, float *d_out, float *m_out) {
    gstats s = {w[0], w[0], w[0], 0.0, 0.0};
    float d, m;
    double best, step, wsum = 0.0;
    int steps;
    for (int64_t i = 1; i < len; i++) {
        s.lo = fminf(s.lo, w[i]), s.hi = fmaxf(s.hi, w[i]);
        if (fabsf(s.ext) < fabsf(w[i])) s.ext = w[i];
    }
    candidate(g, &s, 0, 1.0, &d, &m);
    if (!finish_scale(g, &d, &m)) return 0;
    best = group_error(g, w, imp, len, d, m, NULL);
    if (clip && best > 0.0) {
        for (int64_t i = 0; i < len; i++) wsum += imp[i], s.mu += (double)imp[i] * w[i];
        s.mu = wsum > 0.0 ? s.mu / wsum : 0.0;
        s.hw = fmax(s.hi - s.mu, s.mu - s.lo);
        steps = clip_steps(g->bits, &step);
        for (int i = 0; i <= steps; i++)
            for (int f = 0; f < families(g); f++) {
                float cd, cm;
                double e;
                /* at r = 1 only symmetric 1 and asymmetric 3 differ from
                 * the plain scale, already scored */
                if (i == 0 && f != (g->asym ? 3 : 1)) continue;
                candidate(g, &s, f, 1.0 - i * step, &cd, &cm);
                if (!finish_scale(g, &cd, &cm)) continue;
                e = group_error(g, w, imp, len, cd, cm, NULL);
                if (e < best) best = e, d = cd, m = cm;
            }
        for (int round = 0; round < REFIT_ROUNDS && best > 0.0; round++) {
            float cd, cm;
            double e;
            group_error(g, w, imp, len, d, m, q);
            if (!refit(g, w, imp, len, q, &cd, &cm) || !finish_scale(g, &cd, &cm)) break;
            e = group_error(g, w, imp, len, cd, cm, NULL);
            if (!(e < best)) break;
            best = e, d = cd, m = cm;
        }
    }
    group_error(g, w, imp, len, d, m, q);
    *d_out = d, *m_out = m;
    return 1;
}

/* ---- ggml's reference rules, byte for byte ---- */

/* ggml's own scale for one block; the quantisers in blocks.c compute
 * 1/d, which overflows to inf for a float-subnormal d (all |x| below
 * ~2^-121) and then converts inf or NaN to an integer: undefined. Such a
 * block stores d = 0 whatever its codes, so it is zeroed first (codes at
 * the zero level). *fits is 0 when d (or q4_1's min) overflows fp16. */
static void ggml_block_check(int type, float *x, int *fits) {
    float amax = 0.0f, ext = 0.0f, lo = x[0], hi = x[0], d, m = 0.0f;
    for (int j = 0; j < IA_QK; j++) {
        if (amax < fabsf(x[j])) amax = fabsf(x[j]), ext = x[j];
        lo = fminf(lo, x[j]), hi = fmaxf(hi, x[j]);
    }
    d = type == IA_GGML_Q8_0 ? amax / 127.0f : type == IA_GGML_Q4_0 ? ext / -8.0f : (hi - lo) / 15.0f;
    if (type == IA_GGML_Q4_1) m = lo;
    *fits = isfinite(ia_fp16_to_fp32(ia_fp32_to_fp16(d))) && isfinite(ia_fp16_to_fp32(ia_fp32_to_fp16(m)));
    if (d != 0.0f && !isfinite(1.0f / d)) memset(x, 0, IA_QK * sizeof *x);
}

static ia_status quantize_ggml(int type, const float *w, int64_t n, int64_t k, ia_qweights *out) {
    size_t bsz = type == IA_GGML_Q8_0   ? sizeof(ia_block_q8_0)
                 : type == IA_GGML_Q4_0 ? sizeof(ia_block_q4_0)
                                        : sizeof(ia_block_q4_1);
    int64_t nb = k / IA_QK;
    unsigned char *blocks = malloc((size_t)(n * nb) * bsz);
    float *row = malloc((size_t)k * sizeof *row);
    ia_status st = IA_OK;
    if (!blocks || !row) {
        st = ia_error(IA_ERR_NOMEM, "quantise: %lld x %lld blocks", (long long)n, (long long)nb);
        goto done;
    }
    for (int64_t r = 0; r < n; r++) {
        void *dst = blocks + (size_t)(r * nb) * bsz;
        memcpy(row, w + r * k, (size_t)k * sizeof *row);
        for (int64_t b = 0; b < nb; b++) {
            int fits;
            ggml_block_check(type, row + b * IA_QK, &fits);
            if (!fits) {
                st = ia_error(IA_ERR_INVALID_ARG, "quantise: row %lld, block %lld: scale does not fit fp16",
                              (long long)r, (long long)b);
                goto done;
            }
        }
        st = type == IA_GGML_Q8_0   ? ia_quantize_q8_0(row, dst, k)
             : type == IA_GGML_Q4_0 ? ia_quantize_q4_0(row, dst, k)
                                    : ia_quantize_q4_1(row, dst, k);
        if (st != IA_OK) goto done;
    }
    st = ia_qweights_from_dtype((ia_dtype)ia_dtype_of_ggml_type((ia_ggml_type)type), 0, blocks, n, k, out);
done:
    free(blocks);
    free(row);
    return st;
}

/* ---- the entry points ---- */

static ia_status check_params(const float *w, int64_t n, int64_t k, const ia_quant_params *p) {
    if (!w || !p) return ia_error(IA_ERR_INVALID_ARG, "quantise: NULL weights or params");
    if (p->bits != 8 && p->bits != 4 && p->bits != 2)
        return ia_error(IA_ERR_INVALID_ARG, "quantise: %d bits (8, 4 or 2)", p->bits);
    if (p->scheme != IA_QUANT_SYMMETRIC && p->scheme != IA_QUANT_ASYMMETRIC)
        return ia_error(IA_ERR_INVALID_ARG, "quantise: unknown scheme %d", (int)p->scheme);
    if (n < 1 || k < 1 || p->group < 1 || k % p->group)
        return ia_error(IA_ERR_INVALID_ARG, "quantise: %lld x %lld with group %lld", (long long)n, (long long)k,
                        (long long)p->group);
    for (int64_t j = 0; p->importance && j < k; j++)
        if (!(p->importance[j] >= 0.0f) || !isfinite(p->importance[j]))
            return ia_error(IA_ERR_INVALID_ARG, "quantise: importance[%lld] = %g (finite, >= 0)", (long long)j,
                            (double)p->importance[j]);
    for (int64_t r = 0; r < n; r++)
        for (int64_t j = 0; j < k; j++)
            if (!isfinite(w[r * k + j]))
                return ia_error(IA_ERR_INVALID_ARG, "quantise: row %lld, column %lld: weight %g is not finite",
                                (long long)r, (long long)j, (double)w[r * k + j]);
    return IA_OK;
}

ia_status ia_quantize_weights(const float *w, int64_t n, int64_t k, const ia_quant_params *p,
                              ia_qweights *out) {
    ia_status st;
    qgrid g;
    int64_t ng;
    const float *imp;
    float *ones = NULL;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "quantise: NULL output");
    memset(out, 0, sizeof *out);
    if ((st = check_params(w, n, k, p)) != IA_OK) return st;
    if (!p->clip_search && p->fp16_scales && p->group == IA_QK && (p->bits == 4 || p->scheme == IA_QUANT_SYMMETRIC)) {
        if (p->bits == 8) return quantize_ggml(IA_GGML_Q8_0, w, n, k, out);
        if (p->bits == 4)
            return quantize_ggml(p->scheme == IA_QUANT_SYMMETRIC ? IA_GGML_Q4_0 : IA_GGML_Q4_1, w, n, k, out);
    }
    imp = p->importance;
    if (!imp) { /* no calibration: every input weighs 1 */
        if (!(ones = malloc((size_t)k * sizeof *ones)))
            return ia_error(IA_ERR_NOMEM, "quantise: %lld importance weights", (long long)k);
        for (int64_t j = 0; j < k; j++) ones[j] = 1.0f;
        imp = ones;
    }
    if ((st = ia_qweights_alloc(out, p->bits, n, k, p->group)) != IA_OK) goto done;
    g = make_grid(p);
    ng = k / p->group;
    for (int64_t r = 0; r < n && st == IA_OK; r++)
        for (int64_t gi = 0; gi < ng; gi++) {
            int64_t off = gi * p->group;
            if (!quantize_group(&g, w + r * k + off, imp + off, p->group, p->clip_search, out->q + r * k + off,
                                out->d + r * ng + gi, out->m + r * ng + gi)) {
                ia_qweights_free(out);
                st = ia_error(IA_ERR_INVALID_ARG, "quantise: row %lld, group %lld: scale does not fit fp16",
                              (long long)r, (long long)gi);
                break;
            }
        }
done:
    free(ones);
    return st;
}

double ia_quant_error(const float *w, const ia_qweights *q, const float *importance) {
    double num = 0.0, den = 0.0;
    int64_t ng;
    if (!w || !q || !q->q || q->group < 1) return -1.0;
    ng = q->k / q->group;
    for (int64_t r = 0; r < q->n; r++)
        for (int64_t j = 0; j < q->k; j++) {
            int64_t s = r * ng + j / q->group;
            double a = importance ? (double)importance[j] : 1.0, x = w[r * q->k + j];
            double e = x - (double)(q->d[s] * (float)q->q[r * q->k + j] + q->m[s]);
            num += a * e * e, den += a * x * x;
        }
    if (num == 0.0) return 0.0;
    return den > 0.0 ? num / den : HUGE_VAL;
}
