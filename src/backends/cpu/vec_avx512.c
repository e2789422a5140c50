/*
 * vec_avx512.c — AVX-512 row kernels: softmax with a polynomial exp, GELU
 * with a rational erf, layer norm. Compiled with AVX-512 flags (CMake, by
 * file name); only called after the dispatcher has checked the CPU.
 */
#include <immintrin.h>
#include <math.h>

#include "backends/cpu/vec.h"

/* e^x for x in float range: n = round(x·log2 e), r = x − n·ln 2 (split in
 * two constants for precision), e^r by the Cephes expf polynomial (rel.
 * error < 2 ulp on [−ln2/2, ln2/2]), scaled by 2^n with vscalefps, which
 * also gives 0 for very negative x and +inf for overflow. */
static inline __m512 exp512(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 ln2_hi = _mm512_set1_ps(0.693359375f);
    const __m512 ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
    __m512 n, r, p;
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f)); /* below: e^x == 0 in float */
    x = _mm512_min_ps(x, _mm512_set1_ps(89.0f));
    n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm512_fnmadd_ps(n, ln2_hi, x);
    r = _mm512_fnmadd_ps(n, ln2_lo, r);
    p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* erf(x) as a rational function of x on [−4, 4] (Eigen's generic_fast_erf_float,
 * max abs error about 1e-7 against erff; outside ±4, erf is ±1 in float). */
static inline __m512 erf512(__m512 x) {
    __m512 x2, p, q;
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
    x2 = _mm512_mul_ps(x, x);
    p = _mm512_fmadd_ps(x2, _mm512_set1_ps(-2.72614225801306e-10f), _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.10102402082508e-06f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-5.69250639462346e-05f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-7.34990630326855e-04f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.95459980854025e-03f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-1.60960333262415e-02f));
    p = _mm512_mul_ps(x, p);
    q = _mm512_fmadd_ps(x2, _mm512_set1_ps(-1.45660718464996e-05f), _mm512_set1_ps(-2.13374055278905e-04f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.68282697438203e-03f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-7.37332916720468e-03f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.42647390514189e-02f));
    return _mm512_div_ps(p, q);
}

static inline __mmask16 tail_mask(int left) {
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}

static void softmax_avx512(float *x, int n, float scale) {
    __m512 vmax = _mm512_set1_ps(-INFINITY), vsum = _mm512_setzero_ps(), vs, vm, inv;
    float max, sum;
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, x + i));
    }
    max = _mm512_reduce_max_ps(vmax);
    vs = _mm512_set1_ps(scale);
    vm = _mm512_set1_ps(max);
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 e = exp512(_mm512_mul_ps(vs, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vm)));
        _mm512_mask_storeu_ps(x + i, m, e);
        vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
    }
    sum = _mm512_reduce_add_ps(vsum);
    inv = _mm512_set1_ps(1.0f / sum);
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
    }
}

static void gelu_avx512(float *y, const float *x, size_t n) {
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    const __m512 rsqrt2 = _mm512_set1_ps((float)M_SQRT1_2);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask((int)(n - i < 16 ? n - i : 16));
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        __m512 e = erf512(_mm512_mul_ps(v, rsqrt2));
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_mul_ps(v, half), _mm512_add_ps(one, e)));
    }
}

static void layer_norm_avx512(float *y, const float *x, const float *r,
                              const float *g, const float *b, int n, float eps) {
    __m512 acc = _mm512_setzero_ps(), vmean, vinv;
    float mean, var;
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + i));
        _mm512_mask_storeu_ps(y + i, m, v);
        acc = _mm512_add_ps(acc, v);
    }
    mean = _mm512_reduce_add_ps(acc) / (float)n;
    vmean = _mm512_set1_ps(mean);
    acc = _mm512_setzero_ps();
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, y + i), vmean);
        acc = _mm512_fmadd_ps(d, d, acc);
    }
    var = _mm512_reduce_add_ps(acc) / (float)n;
    vinv = _mm512_set1_ps(1.0f / sqrtf(var + eps));
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, y + i), vmean), vinv);
        __m512 o = _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(m, g + i), _mm512_maskz_loadu_ps(m, b + i));
        _mm512_mask_storeu_ps(y + i, m, o);
    }
}

static void silu_avx512(float *y, const float *x, size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask((int)(n - i < 16 ? n - i : 16));
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), v));
        _mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(v, _mm512_add_ps(one, e)));
    }
}

static void rms_norm_avx512(float *y, const float *x, const float *r, const float *g, int n, float eps) {
    __m512 acc = _mm512_setzero_ps(), vinv;
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + i));
        _mm512_mask_storeu_ps(y + i, m, v);
        acc = _mm512_fmadd_ps(v, v, acc);
    }
    vinv = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(acc) / (float)n + eps));
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), vinv);
        if (g) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, g + i));
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

static float dot_avx512(const float *a, const float *b, int n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

static void axpy_avx512(float *y, float a, const float *x, int n) {
    __m512 va = _mm512_set1_ps(a);
    int i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}

const ia_vec_ops ia_vec_ops_avx512_table = {
    .name = "avx512",
    .softmax = softmax_avx512,
    .gelu = gelu_avx512,
    .layer_norm = layer_norm_avx512,
    .silu = silu_avx512,
    .rms_norm = rms_norm_avx512,
    .dot = dot_avx512,
    .axpy = axpy_avx512,
};
