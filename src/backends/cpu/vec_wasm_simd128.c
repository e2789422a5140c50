/*
 * vec_wasm_simd128.c — WebAssembly SIMD128 row kernels (wasm32 built with
 * -msimd128): softmax with a polynomial exp, GELU with a rational erf, the
 * norms, dot and axpy, four lanes at a time; vec_avx512.c's formulas with
 * f32x4.mul + f32x4.add in place of FMA.
 *
 * Why: in the wasm module the portable GELU calls libm's erff once per
 * element, scalar (38 M calls for 32 texts of 128 tokens through MiniLM),
 * and softmax calls expf. Under node 20 (bench/wasm_kernels.sh with
 * IA_PROFILE=1, 32 texts) the "linear" op, which runs GELU as its
 * epilogue, took 2.07 s per batch with the portable kernels and 1.74 s
 * with these and the SIMD128 GEMM, of which the GEMM's share is ~0.13 s;
 * attention (softmax) went from 0.22 to 0.17 s.
 *
 * Row tails (n not a multiple of 4) go through a 4-float buffer padded with
 * a neutral value, so every element takes the same vector formula.
 * No global mutable state: safe on any number of threads at once.
 */
#include "backends/cpu/vec.h"

#if defined(__wasm_simd128__)
#include <math.h>
#include <string.h>
#include <wasm_simd128.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* e^x: n = round(x·log2 e), r = x − n·ln 2 (ln 2 split in two for
 * precision), e^r by the Cephes expf polynomial (rel. error < 2 ulp on
 * [−ln2/2, ln2/2]), times 2^n built in the exponent bits. x is clamped to
 * [−88, 88] so that n ∈ [−127, 127]: n = −127 gives the bit pattern of
 * 0.0, so e^x for x ≤ −88 is 0 (a masked softmax key; the true value,
 * < 6e-39, is subnormal), and 88 keeps e^x finite (1.65e38). */
static ALWAYS_INLINE v128_t exp4(v128_t x) {
    const v128_t log2e = wasm_f32x4_splat(1.44269504088896341f);
    const v128_t ln2_hi = wasm_f32x4_splat(0.693359375f), ln2_lo = wasm_f32x4_splat(-2.12194440e-4f);
    v128_t n, r, p, scale;
    x = wasm_f32x4_max(x, wasm_f32x4_splat(-88.0f));
    x = wasm_f32x4_min(x, wasm_f32x4_splat(88.0f));
    n = wasm_f32x4_nearest(wasm_f32x4_mul(x, log2e));
    r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, ln2_hi));
    r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, ln2_lo));
    p = wasm_f32x4_splat(1.9875691500e-4f);
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
    scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
    return wasm_f32x4_mul(p, scale);
}

/* erf(x) as a rational function of x on [−4, 4] (Eigen's
 * generic_fast_erf_float, as vec_avx512.c; max abs error about 1e-7
 * against erff; outside ±4, erf is ±1 in float). */
static ALWAYS_INLINE v128_t erf4(v128_t x) {
    v128_t x2, p, q;
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), wasm_f32x4_splat(c))
    x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-4.0f)), wasm_f32x4_splat(4.0f));
    x2 = wasm_f32x4_mul(x, x);
    p = MADD(x2, wasm_f32x4_splat(-2.72614225801306e-10f), 2.77068142495902e-08f);
    p = MADD(x2, p, -2.10102402082508e-06f);
    p = MADD(x2, p, -5.69250639462346e-05f);
    p = MADD(x2, p, -7.34990630326855e-04f);
    p = MADD(x2, p, -2.95459980854025e-03f);
    p = MADD(x2, p, -1.60960333262415e-02f);
    p = wasm_f32x4_mul(x, p);
    q = MADD(x2, wasm_f32x4_splat(-1.45660718464996e-05f), -2.13374055278905e-04f);
    q = MADD(x2, q, -1.68282697438203e-03f);
    q = MADD(x2, q, -7.37332916720468e-03f);
    q = MADD(x2, q, -1.42647390514189e-02f);
#undef MADD
    return wasm_f32x4_div(p, q);
}

/* The first `left` (< 4) floats of p in a vector, the other lanes `pad`. */
static ALWAYS_INLINE v128_t load_tail(const float *p, int left, float pad) {
    float t[4] = {pad, pad, pad, pad};
    memcpy(t, p, (size_t)left * sizeof *t);
    return wasm_v128_load(t);
}

static ALWAYS_INLINE void store_tail(float *p, int left, v128_t v) {
    float t[4];
    wasm_v128_store(t, v);
    memcpy(p, t, (size_t)left * sizeof *t);
}

static ALWAYS_INLINE float hsum(v128_t v) {
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
           (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

static ALWAYS_INLINE float hmax(v128_t v) {
    v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

static void softmax_simd(float *x, int n, float scale) {
    v128_t vmax = wasm_f32x4_splat(-INFINITY), vsum = wasm_f32x4_splat(0.0f), vs, vm, inv;
    int i, tail = n % 4, body = n - tail;
    for (i = 0; i < body; i += 4) vmax = wasm_f32x4_pmax(vmax, wasm_v128_load(x + i));
    if (tail) vmax = wasm_f32x4_pmax(vmax, load_tail(x + body, tail, -INFINITY));
    vs = wasm_f32x4_splat(scale);
    vm = wasm_f32x4_splat(hmax(vmax));
    for (i = 0; i < body; i += 4) {
        v128_t e = exp4(wasm_f32x4_mul(vs, wasm_f32x4_sub(wasm_v128_load(x + i), vm)));
        wasm_v128_store(x + i, e);
        vsum = wasm_f32x4_add(vsum, e);
    }
    if (tail) { /* padding: -inf − max → e^−88 → 0, adds nothing */
        v128_t e = exp4(wasm_f32x4_mul(vs, wasm_f32x4_sub(load_tail(x + body, tail, -INFINITY), vm)));
        store_tail(x + body, tail, e);
        vsum = wasm_f32x4_add(vsum, e);
    }
    inv = wasm_f32x4_splat(1.0f / hsum(vsum));
    for (i = 0; i < body; i += 4) wasm_v128_store(x + i, wasm_f32x4_mul(wasm_v128_load(x + i), inv));
    for (; i < n; i++) x[i] *= wasm_f32x4_extract_lane(inv, 0);
}

static ALWAYS_INLINE v128_t gelu4(v128_t v) {
    const v128_t half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f);
    v128_t e = erf4(wasm_f32x4_mul(v, wasm_f32x4_splat((float)M_SQRT1_2)));
    return wasm_f32x4_mul(wasm_f32x4_mul(v, half), wasm_f32x4_add(one, e));
}

static void gelu_simd(float *y, const float *x, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, gelu4(wasm_v128_load(x + i)));
    if (i < n) store_tail(y + i, (int)(n - i), gelu4(load_tail(x + i, (int)(n - i), 0.0f)));
}

static ALWAYS_INLINE v128_t silu4(v128_t v) {
    v128_t e = exp4(wasm_f32x4_neg(v));
    return wasm_f32x4_div(v, wasm_f32x4_add(wasm_f32x4_splat(1.0f), e));
}

static void silu_simd(float *y, const float *x, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, silu4(wasm_v128_load(x + i)));
    if (i < n) store_tail(y + i, (int)(n - i), silu4(load_tail(x + i, (int)(n - i), 0.0f)));
}

/* y = x (+ r), returning Σ y (sq = 0) or Σ y² (sq = 1). */
static ALWAYS_INLINE float add_rows(float *y, const float *x, const float *r, int n, const int sq) {
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    int i = 0, tail = n % 4;
    for (; i + 8 <= n; i += 8) {
        v128_t a = wasm_v128_load(x + i), b = wasm_v128_load(x + i + 4);
        if (r) a = wasm_f32x4_add(a, wasm_v128_load(r + i)), b = wasm_f32x4_add(b, wasm_v128_load(r + i + 4));
        wasm_v128_store(y + i, a);
        wasm_v128_store(y + i + 4, b);
        acc0 = wasm_f32x4_add(acc0, sq ? wasm_f32x4_mul(a, a) : a);
        acc1 = wasm_f32x4_add(acc1, sq ? wasm_f32x4_mul(b, b) : b);
    }
    for (; i + 4 <= n; i += 4) {
        v128_t a = wasm_v128_load(x + i);
        if (r) a = wasm_f32x4_add(a, wasm_v128_load(r + i));
        wasm_v128_store(y + i, a);
        acc0 = wasm_f32x4_add(acc0, sq ? wasm_f32x4_mul(a, a) : a);
    }
    if (tail) {
        v128_t a = load_tail(x + i, tail, 0.0f);
        if (r) a = wasm_f32x4_add(a, load_tail(r + i, tail, 0.0f));
        store_tail(y + i, tail, a);
        acc0 = wasm_f32x4_add(acc0, sq ? wasm_f32x4_mul(a, a) : a);
    }
    return hsum(wasm_f32x4_add(acc0, acc1));
}

static void layer_norm_simd(float *y, const float *x, const float *r, const float *g, const float *b, int n,
                            float eps) {
    float mean = add_rows(y, x, r, n, 0) / (float)n, var;
    v128_t vmean = wasm_f32x4_splat(mean), acc = wasm_f32x4_splat(0.0f), vinv;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t d = wasm_f32x4_sub(wasm_v128_load(y + i), vmean);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, d));
    }
    var = hsum(acc);
    for (; i < n; i++) var += (y[i] - mean) * (y[i] - mean);
    vinv = wasm_f32x4_splat(1.0f / sqrtf(var / (float)n + eps));
    for (i = 0; i + 4 <= n; i += 4) {
        v128_t d = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(y + i), vmean), vinv);
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_f32x4_mul(d, wasm_v128_load(g + i)), wasm_v128_load(b + i)));
    }
    for (; i < n; i++) y[i] = (y[i] - mean) * wasm_f32x4_extract_lane(vinv, 0) * g[i] + b[i];
}

static void rms_norm_simd(float *y, const float *x, const float *r, const float *g, int n, float eps) {
    float inv = 1.0f / sqrtf(add_rows(y, x, r, n, 1) / (float)n + eps);
    v128_t vinv = wasm_f32x4_splat(inv);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t v = wasm_f32x4_mul(wasm_v128_load(y + i), vinv);
        if (g) v = wasm_f32x4_mul(v, wasm_v128_load(g + i));
        wasm_v128_store(y + i, v);
    }
    for (; i < n; i++) y[i] = g ? y[i] * inv * g[i] : y[i] * inv;
}

static float dot_simd(const float *a, const float *b, int n) {
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    int i = 0;
    float s;
    for (; i + 8 <= n; i += 8) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
    }
    for (; i + 4 <= n; i += 4)
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    s = hsum(wasm_f32x4_add(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static void axpy_simd(float *y, float a, const float *x, int n) {
    v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
    for (; i < n; i++) y[i] += a * x[i];
}

static const ia_vec_ops ops = {
    .name = "wasm_simd128",
    .softmax = softmax_simd,
    .gelu = gelu_simd,
    .layer_norm = layer_norm_simd,
    .silu = silu_simd,
    .rms_norm = rms_norm_simd,
    .dot = dot_simd,
    .axpy = axpy_simd,
};

const ia_vec_ops *ia_vec_ops_wasm_simd128(void) { return &ops; }

#else
const ia_vec_ops *ia_vec_ops_wasm_simd128(void) { return NULL; }
#endif
