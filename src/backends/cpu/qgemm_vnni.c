/*
 * qgemm_vnni.c — AVX-512 VNNI qgemm kernels: activation quantisation and
 * the vpdpbusd micro-tile for 8-, 4- and 2-bit codes.
 *
 * vpdpbusd multiplies unsigned bytes (our weight codes, 0..2^bits-1) by
 * signed bytes (activation codes, ±127) and adds each lane's 4 products to
 * an int32 lane without saturation, so no +128 compensation is needed and
 * the integer sums are exact (|Σ| ≤ 255·127·group < 2^31, qmat_layout.h).
 *
 * Micro-tile: MR rows × NV vectors of 16 channels. Per quad of 4 inputs:
 * NV code vectors (loaded once, unpacked once: and / shift+and per quad for
 * 4 and 2 bits) and MR activation broadcasts feed MR·NV vpdpbusd. 8-bit:
 * 6 × 4 = 24 int32 accumulators, enough to cover vpdpbusd's 5-cycle
 * latency on 2 ports, with loads (NV + MR per 24 vpdpbusd) well under the
 * 2/cycle the load ports give. 4- and 2-bit: 6 × 3, because the NV raw and
 * NV unpacked code vectors need registers too (6 × 4 spilled there).
 * Per group the int32 sums become floats:
 *     f += cvt(acc) · (d · sa) + m · sas
 * Single-group matrices (per-channel int8) do that once per output, and
 * their float totals never coexist with the accumulators; with several
 * groups the totals live in an L1 buffer (48 zmm do not fit in 32).
 * Measured (Sapphire Rapids, 72 rows, hot weights): the 8-bit per-channel
 * tile alone runs at ~720 of the ~733 G int8-op/s vpdpbusd peak; 8 × 3,
 * 7 × 4, 4 × 4 and 8 × 2 were within noise of 6 × 4 or below; for 4 and
 * 2 bits 6 × 3, 8 × 2 and 5 × 4 were within noise, 4 × 4 ~7 % slower, and
 * 6 × 4 spilled (a shared 2-vCPU machine: ±10 % run to run).
 *
 * ggml's k-quants (qmat_layout.h): d = D·sc and m = M·mn are formed in
 * registers from the int8 sub-block scales (exact products: the float
 * form's bits), and Q3_K/Q5_K/Q6_K codes from their 2-/4-bit plane OR'ed
 * with the high-bit plane shifted above it, per quad, in the 2-/4-bit
 * tile; so a GEMV reads 4.75 (Q4_K) / 7.25 (Q6_K) bits a weight. With many rows both are
 * expanded once per column tile instead (expand_scales / expand_split).
 * Groups of 16 (Q2_K, Q3_K, Q6_K) are quantised by quantize16.
 *
 * Loop order per call (the driver hands a chunk of ≤ CHUNK_ROWS rows): for
 * each column tile, for each row tile: the column tile's codes (NV · 16 · k
 * · bits / 8 bytes) are reused from L1/L2 by every row tile of the chunk,
 * the row tile's activations (MR · k bytes) are read from L1.
 */
#include "backends/cpu/qgemm_kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Tile shape per code width (rows × 16-channel vectors); overridable
 * with -D for the measurements in bench/qgemm_bench.c. */
#ifndef QGEMM_MR8
#define QGEMM_MR8 6
#endif
#ifndef QGEMM_NV8
#define QGEMM_NV8 4
#endif
#ifndef QGEMM_MR4
#define QGEMM_MR4 6
#endif
#ifndef QGEMM_NV4
#define QGEMM_NV4 3
#endif
#ifndef QGEMM_MR2
#define QGEMM_MR2 6
#endif
#ifndef QGEMM_NV2
#define QGEMM_NV2 3
#endif
#ifndef QGEMM_PF
#define QGEMM_PF 1536
#endif
#define MR_OF(B) ((B) == 8 ? QGEMM_MR8 : (B) == 4 ? QGEMM_MR4 : QGEMM_MR2)
#define NV_OF(B) ((B) == 8 ? QGEMM_NV8 : (B) == 4 ? QGEMM_NV4 : QGEMM_NV2)
#define MR 8 /* array bounds: the largest shape */
#define NV 4

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ---- activation quantisation ----------------------------------------- */

/* Activation quantisation, 16 (row, group) units at a time — the units of
 * all rows in row-major order, so sa/sas come out as [m][groups] vectors.
 *   pass 1: per unit a vector of partial max |x| (vrangeps), then one
 *           transposing reduction tree turns the 16 vectors into one vector
 *           of 16 amax; scales and inverse scales for all 16 in one divide;
 *   pass 2: per unit, x · inv converted (MXCSR rounding: half to even, as
 *           rintf), narrowed with saturating packs and one dword permute,
 *           summed by vpdpbusd against ones; a second tree gives the 16 S.
 * Per-unit horizontal reductions (shuffle chains, then a scalar divide)
 * made groups of 32 cost ~150 ns per 384-float row (now ~95), and their
 * latency kept even one-group rows from overlapping (63 ns per 384-float
 * row, now ~47; Sapphire Rapids, rows in L2).
 * No clamp is needed: |x| ≤ amax, so |x · 127/amax| ≤ 127 · (1 + 2^-23)^2
 * rounds to at most 127. NaN: vrangeps skips it, but x · inv is then NaN,
 * converts to INT32_MIN and packs to -128, a code no finite x gets — so a
 * -128 makes the unit's scale NaN, as ia_qact_amax_step does. */

#define QBATCH 16

/* Reduces v[0..15] so that element 4j + e of the result combines all of
 * v[4e + j] (OP = a vector combine, SH = 128-bit lane shuffle, LO/HI =
 * in-lane 32-bit unpacks, L64/H64 = in-lane 64-bit unpacks). */
#define REDUCE_TREE(T, OP, SH, LO, HI, L64, H64, v, out)                               \
    do {                                                                           \
        T w_[8], z_[4], t0_, t1_;                                                  \
        for (int i_ = 0; i_ < 8; i_++)                                             \
            w_[i_] = OP(SH(v[2 * i_], v[2 * i_ + 1], 0x44), SH(v[2 * i_], v[2 * i_ + 1], 0xEE)); \
        for (int i_ = 0; i_ < 4; i_++)                                             \
            z_[i_] = OP(SH(w_[2 * i_], w_[2 * i_ + 1], 0x88), SH(w_[2 * i_], w_[2 * i_ + 1], 0xDD)); \
        t0_ = OP(LO(z_[0], z_[1]), HI(z_[0], z_[1]));                              \
        t1_ = OP(LO(z_[2], z_[3]), HI(z_[2], z_[3]));                              \
        out = OP(L64(t0_, t1_), H64(t0_, t1_));                                    \
    } while (0)

static ALWAYS_INLINE __m512 fmax_mag(__m512 a, __m512 b) {
    return _mm512_range_ps(a, b, 0x0B); /* the larger magnitude, sign cleared */
}
static ALWAYS_INLINE __m512 lo64_ps(__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}
static ALWAYS_INLINE __m512 hi64_ps(__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}

static void quantize_batch(const float *const xs[QBATCH], int8_t *const qs[QBATCH], int nb,
                           int group, float *sa, float *sas) {
    /* element 4j + e of a tree result belongs to unit 4e + j */
    const __m512i untree = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    /* packs interleave 128-bit lanes: dword t of the result must come from
     * dword (t % 4) * 4 + t / 4 of the packed vector (the same pattern) */
    const __m512i perm = untree;
    const __m512i ones = _mm512_set1_epi8(1), m128 = _mm512_set1_epi8(-128);
    __m512 v[QBATCH], amax, vsa, vinv;
    __m512i sums[QBATCH], vs;
    float inv[QBATCH] __attribute__((aligned(64)));
    __mmask16 nan = 0, live = (__mmask16)((1u << nb) - 1);

    for (int i = 0; i < QBATCH; i++) {
        __m512 a = _mm512_setzero_ps();
        if (i < nb)
            for (int p = 0; p < group; p += 32)
                a = fmax_mag(a, fmax_mag(_mm512_loadu_ps(xs[i] + p), _mm512_loadu_ps(xs[i] + p + 16)));
        v[i] = a;
    }
    REDUCE_TREE(__m512, fmax_mag, _mm512_shuffle_f32x4, _mm512_unpacklo_ps, _mm512_unpackhi_ps,
                lo64_ps, hi64_ps, v, amax);
    amax = _mm512_permutexvar_ps(untree, amax);
    /* ia_qact_scale, 16 at a time (IEEE division: the same values) */
    vsa = _mm512_div_ps(amax, _mm512_set1_ps(127.0f));
    vinv = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(amax, _mm512_setzero_ps(), _CMP_GT_OQ),
                               _mm512_set1_ps(127.0f), amax);
    _mm512_store_ps(inv, vinv);

    for (int i = 0; i < QBATCH; i++) {
        __m512i sum = _mm512_setzero_si512();
        if (i < nb) {
            const __m512 vi = _mm512_set1_ps(inv[i]);
            const float *xg = xs[i];
            int8_t *qg = qs[i];
            __mmask64 bad = 0;
            int p = 0;
            for (; p + 64 <= group; p += 64) {
                __m512i c0 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + p), vi));
                __m512i c1 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + p + 16), vi));
                __m512i c2 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + p + 32), vi));
                __m512i c3 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + p + 48), vi));
                __m512i b = _mm512_permutexvar_epi32(
                    perm, _mm512_packs_epi16(_mm512_packs_epi32(c0, c1), _mm512_packs_epi32(c2, c3)));
                _mm512_storeu_si512((void *)(qg + p), b);
                sum = _mm512_dpbusd_epi32(sum, ones, b);
                bad |= _mm512_cmpeq_epi8_mask(b, m128);
            }
            if (p < group) { /* the last 32: dwords 0..7 of the permuted result */
                __m512i c0 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + p), vi));
                __m512i c1 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xg + p + 16), vi));
                __m512i b = _mm512_permutexvar_epi32(
                    perm, _mm512_packs_epi16(_mm512_packs_epi32(c0, c1), _mm512_setzero_si512()));
                _mm256_storeu_si256((__m256i *)(qg + p), _mm512_castsi512_si256(b));
                sum = _mm512_dpbusd_epi32(sum, ones, b);
                bad |= _mm512_cmpeq_epi8_mask(b, m128);
            }
            if (bad) nan |= (__mmask16)(1u << i);
        }
        sums[i] = sum;
    }
    REDUCE_TREE(__m512i, _mm512_add_epi32, _mm512_shuffle_i32x4, _mm512_unpacklo_epi32,
                _mm512_unpackhi_epi32, _mm512_unpacklo_epi64, _mm512_unpackhi_epi64, sums, vs);
    vs = _mm512_permutexvar_epi32(untree, vs);
    vsa = _mm512_mask_mov_ps(vsa, nan, _mm512_set1_ps(NAN));
    _mm512_mask_storeu_ps(sa, live, vsa);
    _mm512_mask_storeu_ps(sas, live, _mm512_mul_ps(vsa, _mm512_cvtepi32_ps(vs)));
}

/* Groups of 16 (ggml's Q2_K, Q3_K, Q6_K sub-blocks): one zmm per unit,
 * horizontal max and sum per unit (a 16-float group has too little work
 * for the batched trees above to pay; this runs once per row and weight
 * matrix, beside k·n multiply-adds). Codes narrowed with vpmovsdb; the
 * NaN rule is ia_qact_amax_step's (an unordered compare makes it stick). */
static void quantize16(int m, int k, const float *x, size_t ldx, int8_t *xq, float *sa, float *sas) {
    const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    int groups = k / 16;
    for (int r = 0; r < m; r++)
        for (int g = 0; g < groups; g++) {
            __m512 v = _mm512_loadu_ps(x + (size_t)r * ldx + (size_t)g * 16);
            float amax = _mm512_reduce_max_ps(_mm512_and_ps(v, absmask)), s, inv;
            __m512i c;
            size_t u = (size_t)r * groups + g;
            if (_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q)) amax = NAN;
            ia_qact_scale(amax, &s, &inv);
            c = _mm512_cvtps_epi32(_mm512_mul_ps(v, _mm512_set1_ps(inv)));
            _mm_storeu_si128((__m128i *)(xq + (size_t)r * k + (size_t)g * 16), _mm512_cvtsepi32_epi8(c));
            sa[u] = s;
            sas[u] = s * (float)_mm512_reduce_add_epi32(c);
        }
}

static void quantize(int m, int k, int group, const float *x, size_t ldx, int8_t *xq,
                     float *sa, float *sas) {
    int groups = k / group, units = m * groups, r = 0, g = 0;
    if (group % 32) { /* qmat.h: then group is 16 */
        quantize16(m, k, x, ldx, xq, sa, sas);
        return;
    }
    for (int u0 = 0; u0 < units; u0 += QBATCH) {
        const float *xs[QBATCH];
        int8_t *qs[QBATCH];
        int nb = units - u0 < QBATCH ? units - u0 : QBATCH;
        for (int i = 0; i < nb; i++) { /* unit u0 + i is (row r, group g) */
            xs[i] = x + (size_t)r * ldx + (size_t)g * group;
            qs[i] = xq + (size_t)r * k + (size_t)g * group;
            if (++g == groups) g = 0, r++;
        }
        quantize_batch(xs, qs, nb, group, sa + u0, sas + u0);
    }
}

/* ---- micro-tile -------------------------------------------------------- */

typedef struct tile_args {
    const uint8_t *codes; /* the tile's first block */
    size_t block_bytes;
    const float *d, *m;   /* the tile's first block's scales, [block][group][16]; m NULL:
                             symmetric codes, m = negz · d */
    float negz;
    int super;            /* 0, or: d = D · sc, m = M · mn (qmat_layout.h) */
    const int8_t *sc, *mn;/* [block][group][16] */
    const float *D, *M;   /* [block][group / super][16] */
    const uint8_t *hi;    /* split codes: the first block's high-bit units (qmat_layout.h) */
    size_t hstride;       /* hi bytes per block */
    int groups, group;
    const int8_t *xq;     /* row 0 of the tile */
    size_t k;             /* xq row stride */
    const float *sa, *sas;/* row 0, stride groups */
    const float *bias;    /* at the tile's first channel, or NULL */
    float *y;
    size_t ldy;
    __mmask16 tail;       /* lanes of the last vector to store */
} tile_args;

/* Quad s of a loaded unit as 16 × 4 unsigned bytes. */
static ALWAYS_INLINE __m512i quad(const int bits, __m512i u, const int s) {
    if (bits == 8) return u;
    if (s > 0) u = _mm512_srli_epi16(u, s * bits); /* bytes never mix: masked below */
    return _mm512_and_si512(u, _mm512_set1_epi8((char)((1 << bits) - 1)));
}

/* vpdpbusd through asm with the accumulator tied in place: with the
 * intrinsic, gcc 12 copied every accumulator to a temporary and back
 * around each instruction and spilled them to the stack (40 → 89
 * instructions per 24 vpdpbusd; 150 → 530 GOP/s once fixed). */
static ALWAYS_INLINE __m512i dpbusd(__m512i acc, __m512i w, __m512i a) {
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(w), "v"(a));
    return acc;
}

static ALWAYS_INLINE __m512i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* acc[r][v] = Σ over one group's inputs of codes × activations. Every loop
 * over r and v is fully unrolled (the pragmas): a loop gcc leaves rolled
 * indexes acc with a variable, which forces the array into memory. */
static ALWAYS_INLINE void dot_group(const int bits, const int mr, const int nv, const int hb, const uint8_t *wc,
                                    size_t block_bytes, const uint8_t *hu, size_t hi_stride, int slot0,
                                    const int8_t *x, size_t k, int units, __m512i acc[MR][NV]) {
    const int per = 8 / bits; /* quads per 64-byte unit */
    #pragma GCC unroll 16
    for (int r = 0; r < mr; r++)
        #pragma GCC unroll 16
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_si512();
    for (int u = 0; u < units; u++) {
        __m512i raw[NV];
        #pragma GCC unroll 16
        for (int v = 0; v < nv; v++) {
            /* GEMV-sized tiles stream weights that are used once: a
             * software prefetch QGEMM_PF bytes ahead in each block's codes
             * (decode of a 4096² Q4_K/Q6_K, cold: ~5 % faster; 512–4096
             * within noise of each other, 1536 best) */
            if (mr <= 2) _mm_prefetch((const char *)(wc + (size_t)v * block_bytes + 64 * (size_t)u + QGEMM_PF), _MM_HINT_T0);
            raw[v] = _mm512_load_si512((const void *)(wc + (size_t)v * block_bytes + 64 * (size_t)u));
        }
        for (int s = 0; s < per; s++) {
            __m512i wq[NV];
            #pragma GCC unroll 16
            for (int v = 0; v < nv; v++) {
                wq[v] = quad(bits, raw[v], s);
                if (hb) { /* split codes: OR in the high bits, quad slot slot0 + per·u + s of the hi unit */
                    __m512i h = _mm512_srli_epi16(_mm512_load_si512((const void *)(hu + (size_t)v * hi_stride)),
                                                  hb * (slot0 + per * u + s));
                    h = _mm512_and_si512(h, _mm512_set1_epi8((char)((1 << hb) - 1)));
                    wq[v] = _mm512_or_si512(wq[v], _mm512_slli_epi16(h, bits)); /* ≤ 3 << 4: stays in its byte */
                }
            }
            #pragma GCC unroll 16
            for (int r = 0; r < mr; r++) {
                __m512i a = bcast4(x + r * k + 4 * (per * u + s));
                #pragma GCC unroll 16
                for (int v = 0; v < nv; v++) acc[r][v] = dpbusd(acc[r][v], wq[v], a);
            }
        }
    }
}

/* f + cvt(acc) · (d · sa) + m · sas, the per-group float step; the same
 * op sequence for every tile shape, so the result of an output does not
 * depend on which tile (or thread split) computed it. */
static ALWAYS_INLINE __m512 fstep(__m512i acc, __m512 dv, __m512 mv, float s, float ss, __m512 f) {
    f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), _mm512_mul_ps(dv, _mm512_set1_ps(s)), f);
    return _mm512_fmadd_ps(mv, _mm512_set1_ps(ss), f);
}

/* D · sc for 16 channels: an exact product, so the float form's d. */
static ALWAYS_INLINE __m512 int8_scale(const int8_t *s, const float *D) {
    return _mm512_mul_ps(_mm512_load_ps(D),
                         _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)s))));
}

static ALWAYS_INLINE void store(const int nv, const tile_args *t, int r, int v, __m512 f) {
    __mmask16 mk = v == nv - 1 ? t->tail : (__mmask16)0xFFFF;
    if (t->bias) f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(mk, t->bias + 16 * v));
    _mm512_mask_storeu_ps(t->y + (size_t)r * t->ldy + 16 * v, mk, f);
}

static ALWAYS_INLINE void tile(const int bits, const int mr, const int nv, const int hb, const tile_args *t) {
    const int per = 8 / bits;
    int units = t->group / 4 / per;
    size_t gstride = (size_t)t->groups * 16; /* floats of scales per block */
    if (t->groups == 1) {
        __m512i acc[MR][NV];
        dot_group(bits, mr, nv, 0, t->codes, t->block_bytes, NULL, 0, 0, t->xq, t->k, units, acc);
        #pragma GCC unroll 16
        for (int v = 0; v < nv; v++) {
            __m512 dv = _mm512_load_ps(t->d + v * gstride);
            __m512 mv = t->m ? _mm512_load_ps(t->m + v * gstride) : _mm512_mul_ps(dv, _mm512_set1_ps(t->negz));
            #pragma GCC unroll 16
            for (int r = 0; r < mr; r++)
                store(nv, t, r, v, fstep(acc[r][v], dv, mv, t->sa[r], t->sas[r], _mm512_setzero_ps()));
        }
    } else {
        /* float totals in L1: with the 24 accumulators live they would be
         * spilled anyway, and explicit loads/stores keep the compiler from
         * spilling accumulators instead */
        float fb[MR][NV][16] __attribute__((aligned(64)));
        const uint8_t *wc = t->codes;
        const int8_t *x = t->xq;
        #pragma GCC unroll 16
        for (int r = 0; r < mr; r++)
            #pragma GCC unroll 16
            for (int v = 0; v < nv; v++) _mm512_store_ps(fb[r][v], _mm512_setzero_ps());
        for (int g = 0; g < t->groups; g++) {
            __m512i acc[MR][NV];
            if (mr <= 2 && t->super) /* the slow side streams of a GEMV: int8 scales and high bits */
                #pragma GCC unroll 16
                for (int v = 0; v < nv; v++) {
                    _mm_prefetch((const char *)(t->sc + v * gstride + 16 * (size_t)(g + 16)), _MM_HINT_T0);
                    _mm_prefetch((const char *)(t->mn + v * gstride + 16 * (size_t)(g + 16)), _MM_HINT_T0);
                    if (hb)
                        _mm_prefetch((const char *)(t->hi + (size_t)v * t->hstride +
                                                    (size_t)(g * t->group / (32 / hb)) * 64 + 512),
                                     _MM_HINT_T0);
                }
            /* split codes: input g·group lies in hi unit g·group / (32 / hb), from quad slot (g·group % (32 / hb)) / 4 */
            dot_group(bits, mr, nv, hb, wc, t->block_bytes,
                      hb ? t->hi + (size_t)(g * t->group / (32 / (hb ? hb : 1))) * 64 : NULL, t->hstride,
                      hb ? (g * t->group % (32 / (hb ? hb : 1))) / 4 : 0, x, t->k, units, acc);
            wc += 64 * (size_t)units;
            x += t->group;
            #pragma GCC unroll 16
            for (int v = 0; v < nv; v++) {
                __m512 dv, mv;
                if (t->super) {
                    size_t fi = v * (gstride / t->super) + 16 * (g / t->super);
                    dv = int8_scale(t->sc + v * gstride + 16 * g, t->D + fi);
                    mv = int8_scale(t->mn + v * gstride + 16 * g, t->M + fi);
                } else {
                    dv = _mm512_load_ps(t->d + v * gstride + 16 * g);
                    mv = t->m ? _mm512_load_ps(t->m + v * gstride + 16 * g)
                              : _mm512_mul_ps(dv, _mm512_set1_ps(t->negz)); /* -z · d: exact */
                }
                #pragma GCC unroll 16
                for (int r = 0; r < mr; r++) {
                    size_t si = (size_t)r * t->groups + g;
                    __m512 f = fstep(acc[r][v], dv, mv, t->sa[si], t->sas[si], _mm512_load_ps(fb[r][v]));
                    if (g == t->groups - 1) store(nv, t, r, v, f);
                    else _mm512_store_ps(fb[r][v], f);
                }
            }
        }
    }
}

/* One function per (bits, split high bits, rows); inside, full-width or
 * one-vector tiles. Split codes use their low plane's tile shape. */
#define TILE_FN(B, H, R)                                               \
    static void tile_##B##_##H##_##R(int full, const tile_args *t) {   \
        if (R > MR_OF(B)) return; /* never called: keeps acc in bounds */ \
        if (full) tile(B, R, NV_OF(B), H, t);                          \
        else tile(B, R, 1, H, t);                                      \
    }
#define TILE_ROWS(B, H)                                                                         \
    TILE_FN(B, H, 1) TILE_FN(B, H, 2) TILE_FN(B, H, 3) TILE_FN(B, H, 4) TILE_FN(B, H, 5)          \
    TILE_FN(B, H, 6) TILE_FN(B, H, 7) TILE_FN(B, H, 8)
TILE_ROWS(8, 0)
TILE_ROWS(4, 0)
TILE_ROWS(2, 0)
TILE_ROWS(4, 1)
TILE_ROWS(4, 2)
TILE_ROWS(2, 1)

_Static_assert(MR_OF(8) <= MR && MR_OF(4) <= MR && MR_OF(2) <= MR && NV_OF(8) <= NV &&
                   NV_OF(4) <= NV && NV_OF(2) <= NV,
               "tile tables list 8 row counts, arrays hold 4 vectors");

typedef void (*tile_fn)(int, const tile_args *);
#define TILE_TABLE(B, H) {NULL, tile_##B##_##H##_1, tile_##B##_##H##_2, tile_##B##_##H##_3, tile_##B##_##H##_4, \
                          tile_##B##_##H##_5, tile_##B##_##H##_6, tile_##B##_##H##_7, tile_##B##_##H##_8}
static const tile_fn tiles8[9] = TILE_TABLE(8, 0);
static const tile_fn tiles4[9] = TILE_TABLE(4, 0);
static const tile_fn tiles2[9] = TILE_TABLE(2, 0);
static const tile_fn tiles4h1[9] = TILE_TABLE(4, 1);
static const tile_fn tiles4h2[9] = TILE_TABLE(4, 2);
static const tile_fn tiles2h1[9] = TILE_TABLE(2, 1);

/* Integer scales with many rows: d and m are formed once per column
 * tile into a per-thread buffer (expand_scales). Split codes (Q3/5/6_K,
 * and Q5_0 / Q5_1 with float scales) too: the column tile's codes are
 * first expanded into 8-bit units (the 8-bit layout of qmat_layout.h) in
 * a per-thread buffer, then every row tile runs the 8-bit tile over them.
 * Decoding the planes once per column tile instead of once per row tile
 * makes the GEMM as fast as for 8-bit codes (measured, bench/kquant_bench:
 * Q6_K at m = 512 ~2× the in-register split path), while a single row
 * (decode) still reads only the split planes. From EXPAND_MIN_ROWS rows:
 * below, the expansion's extra write and read of 8 bits a weight cost
 * more than the row tiles' repeated decoding saves. */
#define EXPAND_MIN_ROWS 12

/* The buffer: one per thread, grown as needed and kept for the thread's
 * life (as the pool's threads are kept); NULL when it cannot be grown,
 * and the caller then runs the split tiles directly. */
static uint8_t *expand_buffer(size_t bytes) {
    static _Thread_local uint8_t *buf;
    static _Thread_local size_t cap;
    if (bytes > cap) {
        uint8_t *nb = aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (!nb) return NULL;
        free(buf);
        buf = nb, cap = bytes;
    }
    return buf;
}

/* Blocks [b, b + nv) of a split-code matrix → 8-bit units at out (block
 * stride 16 · k bytes): code = low bits | high bits << bits, as dot_group
 * forms them, quad by quad (quad t: low unit t / per at slot t % per, high
 * unit t / (8 / hbits) at slot t % (8 / hbits); qmat_layout.h). */
static ALWAYS_INLINE void expand_split_t(const int bits, const int hb, const ia_qmat *w, int64_t b, int nv,
                                         uint8_t *out) {
    const int per = 8 / bits, hper = 8 / hb; /* quads per low unit, per high unit */
    const __m512i ml = _mm512_set1_epi8((char)((1 << bits) - 1)), mh = _mm512_set1_epi8((char)((1 << hb) - 1));
    for (int v = 0; v < nv; v++) {
        const uint8_t *lo = w->codes + (size_t)(b + v) * w->block_bytes;
        const uint8_t *hi = w->hi + (size_t)(b + v) * w->hstride;
        uint8_t *o = out + (size_t)v * 16 * (size_t)w->k;
        for (int64_t t0 = 0; t0 < w->k / 4; t0 += hper) { /* hper ≥ per: whole low units */
            __m512i h = _mm512_load_si512((const void *)(hi + 64 * (t0 / hper)));
            #pragma GCC unroll 8
            for (int j = 0; j < hper; j++) {
                __m512i l = _mm512_load_si512((const void *)(lo + 64 * ((t0 + j) / per)));
                __m512i q = _mm512_and_si512(_mm512_srli_epi16(l, bits * (j % per)), ml);
                __m512i hq = _mm512_and_si512(_mm512_srli_epi16(h, hb * j), mh);
                _mm512_store_si512((void *)(o + 64 * (t0 + j)), _mm512_or_si512(q, _mm512_slli_epi16(hq, bits)));
            }
        }
    }
}

static void expand_split(const ia_qmat *w, int64_t b, int nv, uint8_t *out) {
    if (w->bits == 4 && w->hbits == 2) expand_split_t(4, 2, w, b, nv, out);      /* Q6_K */
    else if (w->bits == 4 && w->hbits == 1) expand_split_t(4, 1, w, b, nv, out); /* Q5_K */
    else expand_split_t(2, 1, w, b, nv, out);                                    /* Q3_K */
}

/* Blocks [b, b + nv) of a matrix with integer scales → float d and m,
 * [v][group][16] (the float form's layout, so the plain tiles read them):
 * int8_scale's exact products, formed once per column tile instead of once
 * per row tile (bench/kquant_bench, m = 512: Q4_K from ~150 GFLOP/s to
 * the float form's ~350). */
static void expand_scales(const ia_qmat *w, int64_t b, int nv, float *d, float *m) {
    size_t gs = (size_t)w->groups * 16, fs = (size_t)(w->groups / w->super) * 16;
    for (int v = 0; v < nv; v++)
        for (int64_t g = 0; g < w->groups; g++) {
            size_t i = (size_t)(b + v) * gs + 16 * (size_t)g, f = (size_t)(b + v) * fs + 16 * (size_t)(g / w->super);
            _mm512_store_ps(d + (size_t)v * gs + 16 * (size_t)g, int8_scale(w->sc + i, w->D + f));
            _mm512_store_ps(m + (size_t)v * gs + 16 * (size_t)g, int8_scale(w->mn + i, w->M + f));
        }
}

static void gemm(const ia_qmat *w, int m, const int8_t *xq, const float *sa, const float *sas,
                 int j0, int j1, const float *bias, float *y, size_t ldy) {
    /* with many rows, integer scales (and split codes) are expanded per
     * column tile: codes [NV][16 k] bytes (split only), then d and m
     * [NV][groups][16] floats */
    size_t code_bytes = w->hbits ? (size_t)NV * 16 * (size_t)w->k : 0;
    size_t scale_floats = w->super ? (size_t)NV * (size_t)w->groups * 16 : 0; /* float scales: read in place */
    uint8_t *ebuf = (w->super || w->hbits) && m >= EXPAND_MIN_ROWS
                        ? expand_buffer(code_bytes + 2 * scale_floats * sizeof(float))
                        : NULL;
    uint8_t *xbuf = ebuf && w->hbits ? ebuf : NULL;
    float *dbuf = ebuf && w->super ? (float *)(ebuf + code_bytes) : NULL, *mbuf = dbuf ? dbuf + scale_floats : NULL;
    const tile_fn *tiles = xbuf             ? tiles8
                           : w->hbits == 2 ? tiles4h2
                           : w->hbits == 1 ? (w->bits == 2 ? tiles2h1 : tiles4h1)
                           : w->bits == 8  ? tiles8
                           : w->bits == 4  ? tiles4
                                           : tiles2;
    int b0 = j0 / 16, b1 = (j1 + 15) / 16;
    /* rows in near-equal groups of ≤ MR (13 rows: 5+4+4, not 6+6+1), so
     * no group runs a starved tile */
    int bits = xbuf ? 8 : w->bits;
    int mr_max = MR_OF(bits), nv_max = NV_OF(bits);
    int rgroups = (m + mr_max - 1) / mr_max;
    tile_args t;
    t.block_bytes = xbuf ? 16 * (size_t)w->k : w->block_bytes;
    t.groups = (int)w->groups;
    t.group = (int)w->group;
    t.k = (size_t)w->k;
    t.ldy = ldy;
    t.d = t.m = t.D = t.M = NULL;
    t.negz = 0;
    t.sc = t.mn = NULL;
    t.hi = NULL;
    t.hstride = w->hstride;
    for (int b = b0; b < b1;) {
        int nv = b1 - b >= nv_max ? nv_max : 1;
        int last = j1 - (b + nv - 1) * 16; /* channels of the last vector */
        int r0 = 0;
        if (xbuf) expand_split(w, b, nv, xbuf);
        if (dbuf) expand_scales(w, b, nv, dbuf, mbuf);
        t.codes = xbuf ? xbuf : w->codes + (size_t)b * w->block_bytes;
        t.super = dbuf ? 0 : w->super;
        if (dbuf) {
            t.d = dbuf, t.m = mbuf;
        } else if (w->super) {
            t.sc = w->sc + (size_t)b * w->groups * 16;
            t.mn = w->mn + (size_t)b * w->groups * 16;
            t.D = w->D + (size_t)b * (w->groups / w->super) * 16;
            t.M = w->M + (size_t)b * (w->groups / w->super) * 16;
            t.hi = w->hi && !xbuf ? w->hi + (size_t)b * w->hstride : NULL;
        } else { /* float scales; split codes (Q5_0, Q5_1) read hi unless expanded */
            t.d = w->d + (size_t)b * w->groups * 16;
            t.m = w->m ? w->m + (size_t)b * w->groups * 16 : NULL;
            t.negz = -w->zero;
            t.hi = w->hi && !xbuf ? w->hi + (size_t)b * w->hstride : NULL;
        }
        t.tail = (__mmask16)(last >= 16 ? 0xFFFF : (1u << last) - 1);
        for (int g = 0; g < rgroups; g++) {
            int mr = m / rgroups + (g < m % rgroups);
            t.xq = xq + (size_t)r0 * t.k;
            t.sa = sa + (size_t)r0 * t.groups;
            t.sas = sas + (size_t)r0 * t.groups;
            t.bias = bias ? bias + (size_t)b * 16 : NULL;
            t.y = y + (size_t)r0 * ldy + (size_t)b * 16;
            tiles[mr](nv == nv_max, &t);
            r0 += mr;
        }
        b += nv;
    }
}

static const ia_qgemm_impl impl = {"avx512-vnni", QGEMM_MR8, quantize, gemm};

const ia_qgemm_impl *ia_qgemm_impl_vnni(void) { return &impl; }

#else

const ia_qgemm_impl *ia_qgemm_impl_vnni(void) { return NULL; }

#endif
