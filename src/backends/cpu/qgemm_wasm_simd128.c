/*
 * qgemm_wasm_simd128.c — WebAssembly SIMD128 qgemm kernels (wasm32 built
 * with -msimd128), for every layout of qmat_layout.h: 8-, 4- and 2-bit
 * codes, split codes (hbits), float and k-quant (super) scales, groups of
 * 16 or multiples of 32.
 *
 * The integer dot products use i32x4.dot_i16x8_s (pmaddwd on x86): eight
 * int16 products summed in pairs into four int32 lanes. Codes
 * (≤ 255) and activations (|x| ≤ 127) both fit int16 and every product
 * (≤ 32385) and pair sum is exact in int32, so — unlike AVX2's
 * vpmaddubsw — nothing saturates and every width takes the same path.
 * Relaxed SIMD's int8 dot is not used: the engines the SDK targets do not
 * all ship it.
 *
 * Per 16-channel block, group and slice of at most KC inputs, the codes are
 * first decoded once into `wp`, int16 pairs in the order the dot wants:
 * for inputs (2t, 2t + 1), four vectors of channels 4v..4v+3 as
 * [c0·x2t c0·x2t+1 c1·x2t ...] — so a dot with the activation pair splat
 * over the vector gives the four channels' int32 sums directly. Every
 * micro-tile of the row block then reads the decoded slice (KC × 16 × 2 B
 * = 8 KiB, in L1) instead of unpacking bits again.
 *
 * Micro-tile: MR rows × 16 channels, MR × 4 int32 accumulators; per input
 * pair, 4 decoded vectors and per row one 32-bit splat load of the
 * activation pair, then 4 dots and 4 adds — 20 instructions per 64
 * multiply-adds at MR = 2, against 44 for fp32 without FMA. The
 * activations are widened to int16 once per row block for that, into a
 * heap buffer (RB · k · 2 bytes, too much for a wasm stack: 144 KiB at
 * k = 1536); if it cannot be had, the tile widens each pair itself
 * (load16_splat + extend, ~8 % slower). Measured under node 20
 * (bench/wasm_kernels.sh, 8-bit groups of 128, MiniLM shapes, GOP/s):
 * 53–66 with the buffer, 53–60 without; -DQGEMM_WASM_MR=n, without the
 * buffer: MR = 1: 48–55, 2: 54–61, 3: 55–61, 4: 51–57, and with it 2 and 3
 * alike; -DQGEMM_WASM_RB = 36, 48, 72 alike.
 *
 * The int32 sums of a slice are added into iacc, and per group turned into
 * floats as the portable kernel does, f = (f + float(Σ) · (d · sa)) +
 * m · sas without FMA: the same sequence for every element however the
 * rows and columns are split, so the answer does not depend on the thread
 * count (and is the portable kernel's, bit for bit).
 *
 * Activation quantisation is vectorised too (with the portable, scalar one
 * the m = 4096, n = 384 shapes ran at 39–41 GOP/s instead of 54–56): amax
 * with f32x4.max (which propagates a NaN, as ia_qact_amax_step makes it
 * stick), codes by f32x4.nearest (round half to even, as rintf) of the
 * clamped product, sums in int32.
 *
 * No global mutable state: each call works in its arguments, its own
 * stack (wp 8 KiB, iacc and f 6 KiB; recent emscripten's default stack is
 * 64 KiB) and the buffer it allocates and frees, so threads may run it at
 * once (the emscripten pthread build).
 */
#include "backends/cpu/qgemm_kernels.h"

#if defined(__wasm_simd128__)
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wasm_simd128.h>

#ifndef QGEMM_WASM_MR
#define QGEMM_WASM_MR 2 /* rows per micro-tile */
#endif
#define MR QGEMM_WASM_MR
#define KC 256 /* inputs per decoded slice: 256 × 16 int16 = 8 KiB */
#ifndef QGEMM_WASM_RB
#define QGEMM_WASM_RB 48
#endif
#define RB QGEMM_WASM_RB /* rows per block: iacc and f are RB × 16 × 4 B each */

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ---- activation quantisation ----------------------------------------- */

static void quantize(int m, int k, int group, const float *x, size_t ldx, int8_t *xq, float *sa, float *sas) {
    int groups = k / group; /* group: 16 or a multiple of 32 (qmat.h) */
    const v128_t hi = wasm_f32x4_splat(127.0f), lo = wasm_f32x4_splat(-127.0f);
    for (int r = 0; r < m; r++) {
        const float *xr = x + (size_t)r * ldx;
        int8_t *qr = xq + (size_t)r * (size_t)k;
        for (int g = 0; g < groups; g++) {
            const float *xg = xr + (size_t)g * group;
            int8_t *qg = qr + (size_t)g * group;
            v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, vinv, sum = wasm_i32x4_splat(0);
            float amax, s, inv, lane[4];
            int32_t part[4];
            for (int p = 0; p < group; p += 8) {
                a0 = wasm_f32x4_max(a0, wasm_f32x4_abs(wasm_v128_load(xg + p)));
                a1 = wasm_f32x4_max(a1, wasm_f32x4_abs(wasm_v128_load(xg + p + 4)));
            }
            wasm_v128_store(lane, wasm_f32x4_max(a0, a1)); /* a NaN anywhere stays NaN */
            amax = 0.0f;
            for (int i = 0; i < 4; i++) amax = ia_qact_amax_step(amax, lane[i]);
            ia_qact_scale(amax, &s, &inv);
            vinv = wasm_f32x4_splat(inv);
            for (int p = 0; p < group; p += 16) {
                v128_t c[4];
                for (int i = 0; i < 4; i++) {
                    /* ia_qact_code: clamp, round half to even, convert */
                    v128_t v = wasm_f32x4_mul(wasm_v128_load(xg + p + 4 * i), vinv);
                    v = wasm_f32x4_max(wasm_f32x4_min(v, hi), lo);
                    c[i] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(v));
                    sum = wasm_i32x4_add(sum, c[i]);
                }
                wasm_v128_store(qg + p, wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(c[0], c[1]),
                                                                wasm_i16x8_narrow_i32x4(c[2], c[3])));
            }
            wasm_v128_store(part, sum);
            sa[(size_t)r * groups + g] = s;
            sas[(size_t)r * groups + g] = s * (float)(part[0] + part[1] + part[2] + part[3]);
        }
    }
}

/* ---- weight decoding -------------------------------------------------- */

/* The 64-byte unit of one quad (4 inputs × 16 channels, byte 4c + i) as
 * four vectors of 8-bit codes, then rearranged into the pair order and
 * widened: wp[(2q + h) · 32 + 8v ..] for the pair h of quad q, channels
 * 4v..4v+3. */
static ALWAYS_INLINE void put_quad(const v128_t u[4], int16_t *wp) {
    for (int v = 0; v < 4; v++) {
        /* [c0i0 c0i1 c1i0 c1i1 c2i0 c2i1 c3i0 c3i1 | c0i2 c0i3 c1i2 ...] */
        v128_t t = wasm_i8x16_shuffle(u[v], u[v], 0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
        wasm_v128_store(wp + 8 * v, wasm_u16x8_extend_low_u8x16(t));
        wasm_v128_store(wp + 32 + 8 * v, wasm_u16x8_extend_high_u8x16(t));
    }
}

/* Codes of block b, inputs [p0, p0 + kc) (p0, kc multiples of 16), into wp
 * (kc · 16 int16). */
static void decode_slice(const ia_qmat *w, int64_t b, int p0, int kc, int16_t *wp) {
    const int bits = w->bits, per = 8 / bits; /* quads per unit */
    const v128_t mask = wasm_i8x16_splat((int8_t)((1 << bits) - 1));
    const uint8_t *block = w->codes + (size_t)b * w->block_bytes;
    for (int q = 0; q < kc / 4; q++) {
        int quad = p0 / 4 + q, s = quad % per;
        const uint8_t *unit = block + (size_t)(quad / per) * 64;
        v128_t u[4];
        for (int v = 0; v < 4; v++) {
            u[v] = wasm_v128_load(unit + 16 * v);
            if (bits < 8) u[v] = wasm_v128_and(wasm_u8x16_shr(u[v], (uint32_t)(s * bits)), mask);
        }
        if (w->hbits) { /* split codes: code = lo | hi << bits (qmat_layout.h) */
            int p = 4 * quad, span = 32 / w->hbits, slot = (p % span) / 4;
            const uint8_t *hu = w->hi + (size_t)b * w->hstride + (size_t)(p / span) * 64;
            const v128_t hmask = wasm_i8x16_splat((int8_t)((1 << w->hbits) - 1));
            for (int v = 0; v < 4; v++) {
                v128_t h = wasm_u8x16_shr(wasm_v128_load(hu + 16 * v), (uint32_t)(slot * w->hbits));
                h = wasm_v128_and(h, hmask);
                u[v] = wasm_v128_or(u[v], wasm_i8x16_shl(h, (uint32_t)bits));
            }
        }
        put_quad(u, wp + (size_t)q * 64);
    }
}

/* ---- micro-tile --------------------------------------------------------- */

/* iacc[r][0..16) += Σ_{i<kc} x[r][i] · code(i, c) for r < mr, from the
 * decoded slice wp; x at the slice's first input of row 0, row stride k:
 * int16 activations when `wide` (widened once per row block, so a pair is
 * one 32-bit splat load), else the int8 codes, widened here. */
static ALWAYS_INLINE void tile(const int mr, const int wide, const void *x, size_t k, int kc, const int16_t *wp,
                               int32_t (*iacc)[16]) {
    const int16_t *x16 = x;
    const int8_t *x8 = x;
    v128_t acc[MR][4];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < 4; v++) acc[r][v] = wasm_i32x4_splat(0);
#pragma clang loop unroll(disable)
    for (int i = 0; i < kc; i += 2, wp += 32) {
        v128_t xa[MR];
        for (int r = 0; r < mr; r++) /* the pair (x_i, x_i+1) in every 32-bit lane, as int16 */
            xa[r] = wide ? wasm_v128_load32_splat(x16 + (size_t)r * k + i)
                         : wasm_i16x8_extend_low_i8x16(wasm_v128_load16_splat(x8 + (size_t)r * k + i));
        for (int v = 0; v < 4; v++) {
            v128_t wv = wasm_v128_load(wp + 8 * v);
            for (int r = 0; r < mr; r++) acc[r][v] = wasm_i32x4_add(acc[r][v], wasm_i32x4_dot_i16x8(wv, xa[r]));
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < 4; v++)
            wasm_v128_store(iacc[r] + 4 * v, wasm_i32x4_add(wasm_v128_load(iacc[r] + 4 * v), acc[r][v]));
}

/* One function per row count and activation width, so each inlined loop
 * has constants. */
#define TILE_FN(R)                                                                                          \
    static void tile_##R(const void *x, size_t k, int kc, const int16_t *wp, int32_t (*iacc)[16]) {      \
        tile(R, 1, x, k, kc, wp, iacc);                                                                     \
    }                                                                                                       \
    static void tile8_##R(const void *x, size_t k, int kc, const int16_t *wp, int32_t (*iacc)[16]) {     \
        tile(R, 0, x, k, kc, wp, iacc);                                                                     \
    }
TILE_FN(1)
#if MR > 1
TILE_FN(2)
#endif
#if MR > 2
TILE_FN(3)
#endif
#if MR > 3
TILE_FN(4)
#endif
#if MR > 4
#error "QGEMM_WASM_MR is at most 4"
#endif

typedef void (*tile_fn)(const void *, size_t, int, const int16_t *, int32_t (*)[16]);
static const tile_fn tiles[2][MR + 1] = {
    {NULL, tile8_1,
#if MR > 1
     tile8_2,
#endif
#if MR > 2
     tile8_3,
#endif
#if MR > 3
     tile8_4,
#endif
    },
    {NULL, tile_1,
#if MR > 1
     tile_2,
#endif
#if MR > 2
     tile_3,
#endif
#if MR > 3
     tile_4,
#endif
    },
};

/* ---- the product -------------------------------------------------------- */

static void gemm(const ia_qmat *w, int m, const int8_t *xq, const float *sa, const float *sas, int j0, int j1,
                 const float *bias, float *y, size_t ldy) {
    const int groups = (int)w->groups, group = (int)w->group;
    const size_t k = (size_t)w->k;
    int16_t wp[KC * 16] __attribute__((aligned(16)));
    int32_t iacc[RB][16] __attribute__((aligned(16)));
    float f[RB][16] __attribute__((aligned(16)));
    /* the row block's activations as int16, once (RB · k · 2 bytes: 144 KiB
     * at k = 1536, too much for the stack); without it, widened in the tile */
    int16_t *xw = malloc((size_t)(m < RB ? m : RB) * k * sizeof *xw);
    const int wide = xw != NULL;
    for (int r0 = 0; r0 < m; r0 += RB) {
        int mb = m - r0 < RB ? m - r0 : RB, rgroups = (mb + MR - 1) / MR;
        const int8_t *x8 = xq + (size_t)r0 * k;
        if (wide)
            for (size_t i = 0; i < (size_t)mb * k; i += 16) { /* k is a multiple of 32 */
                v128_t v = wasm_v128_load(x8 + i);
                wasm_v128_store(xw + i, wasm_i16x8_extend_low_i8x16(v));
                wasm_v128_store(xw + i + 8, wasm_i16x8_extend_high_i8x16(v));
            }
        for (int j = j0; j < j1; j += IA_QMAT_BLOCK) {
            int64_t b = j / IA_QMAT_BLOCK;
            int width = j1 - j < IA_QMAT_BLOCK ? j1 - j : IA_QMAT_BLOCK;
            for (int g = 0; g < groups; g++) {
                float d[IA_QMAT_BLOCK], mm[IA_QMAT_BLOCK]; /* either scale form (qmat_layout.h) */
                memset(iacc, 0, sizeof(int32_t) * 16 * (size_t)mb);
                for (int p0 = g * group; p0 < (g + 1) * group; p0 += KC) {
                    int kc = (g + 1) * group - p0 < KC ? (g + 1) * group - p0 : KC, r = 0;
                    decode_slice(w, b, p0, kc, wp);
                    /* near-equal row groups of at most MR */
                    for (int t = 0; t < rgroups; t++) {
                        int mr = mb / rgroups + (t < mb % rgroups);
                        tiles[wide][mr](wide ? (const void *)(xw + (size_t)r * k + p0)
                                             : (const void *)(x8 + (size_t)r * k + p0),
                                        k, kc, wp, iacc + r);
                        r += mr;
                    }
                }
                for (int c = 0; c < IA_QMAT_BLOCK; c++) ia_qmat_scale(w, b, g, c, &d[c], &mm[c]);
                for (int r = 0; r < mb; r++) {
                    v128_t s = wasm_f32x4_splat(sa[(size_t)(r0 + r) * groups + g]);
                    v128_t ss = wasm_f32x4_splat(sas[(size_t)(r0 + r) * groups + g]);
                    for (int v = 0; v < 4; v++) {
                        v128_t fv = g ? wasm_v128_load(f[r] + 4 * v) : wasm_f32x4_splat(0.0f);
                        v128_t t = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_v128_load(iacc[r] + 4 * v)),
                                                  wasm_f32x4_mul(wasm_v128_load(d + 4 * v), s));
                        fv = wasm_f32x4_add(wasm_f32x4_add(fv, t), wasm_f32x4_mul(wasm_v128_load(mm + 4 * v), ss));
                        wasm_v128_store(f[r] + 4 * v, fv);
                    }
                }
            }
            for (int r = 0; r < mb; r++) {
                float *yr = y + (size_t)(r0 + r) * ldy + j;
                if (width == IA_QMAT_BLOCK)
                    for (int v = 0; v < 4; v++) {
                        v128_t o = wasm_v128_load(f[r] + 4 * v);
                        if (bias) o = wasm_f32x4_add(o, wasm_v128_load(bias + j + 4 * v));
                        wasm_v128_store(yr + 4 * v, o);
                    }
                else
                    for (int c = 0; c < width; c++) yr[c] = f[r][c] + (bias ? bias[j + c] : 0.0f);
            }
        }
    }
    free(xw);
}

static const ia_qgemm_impl impl = {"wasm_simd128", MR, quantize, gemm};

const ia_qgemm_impl *ia_qgemm_impl_wasm_simd128(void) { return &impl; }

#else

const ia_qgemm_impl *ia_qgemm_impl_wasm_simd128(void) { return NULL; }

#endif
