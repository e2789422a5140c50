/*
 * test_vec.c — the SIMD row kernels (AVX-512, WebAssembly SIMD128; softmax,
 * GELU, layer norm, SiLU, RMS norm, dot, axpy) against the
 * portable ones and against libm, on random, extreme and odd-sized rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/vec.h"
#include "harness.h"

static float frand(unsigned *s, float lo, float hi) {
    *s = *s * 1103515245u + 12345u;
    return lo + (hi - lo) * (float)((*s >> 8) & 0xFFFFFF) / 16777216.0f;
}

static const int sizes[] = {1, 2, 15, 16, 17, 31, 33, 128, 255, 384, 1536};

IA_TEST(vec_gelu_matches_erf) {
    const ia_vec_ops *ops[3] = {ia_vec_ops_generic(), ia_vec_ops_avx512(), ia_vec_ops_wasm_simd128()};
    unsigned seed = 1;
    for (int v = 0; v < 3; v++) {
        double worst = 0;
        if (!ops[v]) continue;
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            int n = sizes[si];
            float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)(n + 1) * sizeof *y);
            for (int i = 0; i < n; i++) x[i] = frand(&seed, -12.0f, 12.0f);
            if (n > 2) { x[0] = 0.0f; x[1] = -1e-30f; x[2] = 1e30f; }
            y[n] = 12345.0f; /* guard */
            ops[v]->gelu(y, x, (size_t)n);
            for (int i = 0; i < n; i++) {
                double want = 0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0)));
                double err = fabs(y[i] - want) / (1.0 + fabs(want));
                worst = err > worst ? err : worst;
            }
            CHECK(y[n] == 12345.0f);
            free(x);
            free(y);
        }
        /* 1e-6: a few float ulps; the erf approximation is ~1e-7 absolute. */
        CHECK_MSG(worst < 1e-6, "%s gelu worst rel error %.3g", ops[v]->name, worst);
    }
}

IA_TEST(vec_softmax_matches_reference) {
    const ia_vec_ops *ops[3] = {ia_vec_ops_generic(), ia_vec_ops_avx512(), ia_vec_ops_wasm_simd128()};
    unsigned seed = 7;
    for (int v = 0; v < 3; v++) {
        if (!ops[v]) continue;
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            int n = sizes[si];
            float *x = malloc((size_t)(n + 1) * sizeof *x);
            double *want = malloc((size_t)n * sizeof *want), max = -INFINITY, sum = 0, worst = 0, total = 0;
            for (int i = 0; i < n; i++) x[i] = frand(&seed, -30.0f, 30.0f);
            if (n > 3) x[3] = -1e30f; /* a masked-like key */
            x[n] = 777.0f;
            for (int i = 0; i < n; i++) max = x[i] * 0.5 > max ? x[i] * 0.5 : max;
            for (int i = 0; i < n; i++) sum += (want[i] = exp(x[i] * 0.5 - max));
            ops[v]->softmax(x, n, 0.5f);
            for (int i = 0; i < n; i++) {
                double err = fabs(x[i] - want[i] / sum);
                worst = err > worst ? err : worst;
                total += x[i];
            }
            CHECK_MSG(worst < 1e-6, "%s softmax n=%d worst abs error %.3g", ops[v]->name, n, worst);
            CHECK_MSG(fabs(total - 1.0) < 1e-5, "%s softmax n=%d sums to %.7f", ops[v]->name, n, total);
            CHECK(x[n] == 777.0f);
            free(x);
            free(want);
        }
    }
}

IA_TEST(vec_layer_norm_matches_reference) {
    const ia_vec_ops *ops[3] = {ia_vec_ops_generic(), ia_vec_ops_avx512(), ia_vec_ops_wasm_simd128()};
    unsigned seed = 3;
    for (int v = 0; v < 3; v++) {
        if (!ops[v]) continue;
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            int n = sizes[si];
            float *x = malloc((size_t)n * 4), *r = malloc((size_t)n * 4), *g = malloc((size_t)n * 4),
                  *b = malloc((size_t)n * 4), *y = malloc((size_t)(n + 1) * 4);
            double mean = 0, var = 0, worst = 0;
            for (int i = 0; i < n; i++) {
                x[i] = frand(&seed, -3, 3) + 100.0f; /* an offset tests the two-pass variance */
                r[i] = frand(&seed, -1, 1);
                g[i] = frand(&seed, 0.5f, 1.5f);
                b[i] = frand(&seed, -0.1f, 0.1f);
            }
            y[n] = -5.0f;
            for (int i = 0; i < n; i++) mean += (double)x[i] + r[i];
            mean /= n;
            for (int i = 0; i < n; i++) var += ((double)x[i] + r[i] - mean) * ((double)x[i] + r[i] - mean);
            var /= n;
            ops[v]->layer_norm(y, x, r, g, b, n, 1e-12f);
            for (int i = 0; i < n; i++) {
                double want = ((double)x[i] + r[i] - mean) / sqrt(var + 1e-12) * g[i] + b[i];
                double err = fabs(y[i] - want);
                worst = err > worst ? err : worst;
            }
            /* n = 1: the row is its own mean, output is exactly b. */
            CHECK_MSG(worst < (n == 1 ? 1e-7 : 2e-4), "%s layer_norm n=%d worst %.3g", ops[v]->name, n, worst);
            CHECK(y[n] == -5.0f);
            free(x); free(r); free(g); free(b); free(y);
        }
    }
}

/* silu, rms_norm, dot and axpy of each SIMD variant against the portable
 * ones (which follow libm and the plain formulas), odd sizes included. */
IA_TEST(vec_simd_rest_matches_generic) {
    const ia_vec_ops *gen = ia_vec_ops_generic(), *ops[2] = {ia_vec_ops_avx512(), ia_vec_ops_wasm_simd128()};
    unsigned seed = 11;
    for (int v = 0; v < 2; v++) {
        double worst[4] = {0, 0, 0, 0}; /* silu, rms_norm, dot, axpy */
        if (!ops[v]) continue;
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            int n = sizes[si];
            float *x = malloc((size_t)n * 4), *r = malloc((size_t)n * 4), *g = malloc((size_t)n * 4);
            float *y0 = malloc((size_t)(n + 1) * 4), *y1 = malloc((size_t)(n + 1) * 4);
            double dref = 0, scale = 0;
            for (int i = 0; i < n; i++) {
                x[i] = frand(&seed, -20.0f, 20.0f);
                r[i] = frand(&seed, -1.0f, 1.0f);
                g[i] = frand(&seed, 0.5f, 1.5f);
            }
            y0[n] = y1[n] = 4321.0f;
            gen->silu(y0, x, (size_t)n);
            ops[v]->silu(y1, x, (size_t)n);
            for (int i = 0; i < n; i++) {
                double e = fabs(y1[i] - y0[i]) / (1.0 + fabs(y0[i]));
                worst[0] = e > worst[0] ? e : worst[0];
            }
            for (int variant = 0; variant < 4; variant++) { /* r and g each present or NULL */
                const float *rr = variant & 1 ? r : NULL, *gg = variant & 2 ? g : NULL;
                gen->rms_norm(y0, x, rr, gg, n, 1e-6f);
                ops[v]->rms_norm(y1, x, rr, gg, n, 1e-6f);
                for (int i = 0; i < n; i++) {
                    double e = fabs(y1[i] - y0[i]) / (1.0 + fabs(y0[i]));
                    worst[1] = e > worst[1] ? e : worst[1];
                }
            }
            for (int i = 0; i < n; i++) dref += (double)x[i] * r[i], scale += fabs((double)x[i] * r[i]);
            {
                double e = fabs(ops[v]->dot(x, r, n) - dref) / (1.0 + scale);
                worst[2] = e > worst[2] ? e : worst[2];
            }
            memcpy(y0, g, (size_t)n * 4);
            memcpy(y1, g, (size_t)n * 4);
            gen->axpy(y0, 0.37f, x, n);
            ops[v]->axpy(y1, 0.37f, x, n);
            for (int i = 0; i < n; i++) {
                double e = fabs(y1[i] - y0[i]) / (1.0 + fabs(y0[i]));
                worst[3] = e > worst[3] ? e : worst[3];
            }
            CHECK(y0[n] == 4321.0f && y1[n] == 4321.0f);
            free(x); free(r); free(g); free(y0); free(y1);
        }
        /* a few float ulps: polynomial exp against expf, and sums in another order */
        CHECK_MSG(worst[0] < 1e-6 && worst[1] < 1e-6 && worst[2] < 1e-6 && worst[3] < 1e-6,
                  "%s: silu %.3g rms_norm %.3g dot %.3g axpy %.3g", ops[v]->name, worst[0], worst[1], worst[2],
                  worst[3]);
    }
}
