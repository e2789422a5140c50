/*
 * vec_generic.c — portable row kernels: the reference for the SIMD ones and
 * the path on CPUs (and wasm32) without them.
 */
#include <math.h>

#include "backends/cpu/vec.h"

static void softmax_generic(float *x, int n, float scale) {
    float max = -INFINITY, sum = 0.0f;
    for (int i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    for (int i = 0; i < n; i++) {
        x[i] = expf(scale * (x[i] - max));
        sum += x[i];
    }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

static void gelu_generic(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * 0.5f * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

static void layer_norm_generic(float *y, const float *x, const float *r,
                               const float *g, const float *b, int n, float eps) {
    float mean = 0.0f, var = 0.0f, inv;
    for (int i = 0; i < n; i++) {
        float v = r ? x[i] + r[i] : x[i];
        y[i] = v;
        mean += v;
    }
    mean /= (float)n;
    for (int i = 0; i < n; i++) {
        float d = y[i] - mean;
        var += d * d;
    }
    inv = 1.0f / sqrtf(var / (float)n + eps);
    for (int i = 0; i < n; i++) y[i] = (y[i] - mean) * inv * g[i] + b[i];
}

static void silu_generic(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
}

static void rms_norm_generic(float *y, const float *x, const float *r, const float *g, int n, float eps) {
    float ss = 0.0f, inv;
    for (int i = 0; i < n; i++) {
        float v = r ? x[i] + r[i] : x[i];
        y[i] = v;
        ss += v * v;
    }
    inv = 1.0f / sqrtf(ss / (float)n + eps);
    for (int i = 0; i < n; i++) y[i] = g ? y[i] * inv * g[i] : y[i] * inv;
}

static float dot_generic(const float *a, const float *b, int n) {
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void axpy_generic(float *y, float a, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

static const ia_vec_ops generic_ops = {
    .name = "generic",
    .softmax = softmax_generic,
    .gelu = gelu_generic,
    .layer_norm = layer_norm_generic,
    .silu = silu_generic,
    .rms_norm = rms_norm_generic,
    .dot = dot_generic,
    .axpy = axpy_generic,
};

const ia_vec_ops *ia_vec_ops_generic(void) { return &generic_ops; }
