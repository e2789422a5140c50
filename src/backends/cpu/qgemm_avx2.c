/*
 * qgemm_avx2.c — AVX2 qgemm kernels (CPUs with AVX2 but no AVX-512 VNNI).
 *
 * vpmaddubsw multiplies unsigned code bytes by signed activation bytes and
 * adds adjacent pairs into int16 lanes WITH SATURATION, so every int16 sum
 * is kept provably below 2^15:
 *   - 4- and 2-bit codes: one pair ≤ 2 · 15 · 127 = 3810, and a chunk of
 *     32 inputs (8 quads) sums 8 pairs per lane: ≤ 30480;
 *   - 8-bit codes (255 · 127 · 2 would saturate) are split into nibbles,
 *     q = 16·hi + lo, each multiplied as a 4-bit code into its own int16
 *     sum; the chunk end combines them as madd(lo, 1) + madd(hi, 16) in
 *     int32, where nothing saturates.
 * After each 32-input chunk, vpmaddwd with ones widens the pairs to int32
 * (one lane per channel) and adds them to the group's int32 sums; the
 * float step per group is the VNNI kernel's (cvt, ·(d·sa), +m·sas, FMA).
 *
 * ggml's k-quants: groups of 16 run 16-input chunks; d and m are formed
 * from the int8 sub-block scales (D·sc, M·mn: exact); Q3_K/Q5_K/Q6_K split
 * codes multiply the 4-bit plane and the high bits as two int16 sums
 * (the 8-bit nibble scheme: 63 · 127 · 2 would saturate), MR as for 8 bits.
 *
 * Micro-tile: MR rows × 8 channels (half of a packed 16-channel block: a
 * 64-byte unit is read as two 32-byte halves); MR = 4, or 3 for 8-bit
 * codes, whose two int16 sums per row need more of the 16 ymm registers.
 * Float totals of multi-group matrices live in L1.
 *
 * Speed (Sapphire Rapids with IA_KERNEL=avx2, one core, against the AVX2
 * sgemm's ~85 GFLOP/s): 8-bit ~0.75–1.0× fp32 — two vpmaddubsw per 32
 * MACs for the nibbles is no cheaper than 4 FMAs — 4- and 2-bit 1.1–1.8×.
 * The hot loops still spill under gcc 12; this is the fallback path and
 * was not tuned further.
 */
#include "backends/cpu/qgemm_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define MR 4 /* array bounds: the largest tile */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ---- activation quantisation ----------------------------------------- */

/* Per (row, group): amax with 4 independent chains (plus a NaN flag:
 * vmaxps skips NaN, and a NaN must stick as in ia_qact_amax_step), then
 * 32 codes at a time through saturating packs and one dword permute, and
 * their sum through vpmaddubsw/vpmaddwd against ones. No clamp is needed
 * (|x| ≤ amax; see qgemm_vnni.c). */
static void quantize(int m, int k, int group, const float *x, size_t ldx, int8_t *xq,
                     float *sa, float *sas) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7); /* undo the lane split */
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    int groups = k / group;
    if (group % 32) { /* groups of 16 (qmat.h): the contract's scalar steps, as the generic kernel */
        for (int r = 0; r < m; r++)
            for (int g = 0; g < groups; g++) {
                const float *xg = x + (size_t)r * ldx + (size_t)g * group;
                int8_t *qg = xq + (size_t)r * (size_t)k + (size_t)g * group;
                float amax = 0.0f, s, inv;
                int sum = 0;
                for (int p = 0; p < group; p++) amax = ia_qact_amax_step(amax, xg[p]);
                ia_qact_scale(amax, &s, &inv);
                for (int p = 0; p < group; p++) sum += qg[p] = (int8_t)ia_qact_code(xg[p], inv);
                sa[(size_t)r * groups + g] = s;
                sas[(size_t)r * groups + g] = s * (float)sum;
            }
        return;
    }
    for (int r = 0; r < m; r++) {
        const float *xr = x + (size_t)r * ldx;
        int8_t *qr = xq + (size_t)r * (size_t)k;
        for (int g = 0; g < groups; g++) {
            const float *xg = xr + (size_t)g * group;
            int8_t *qg = qr + (size_t)g * group;
            __m256 a[4], nan = _mm256_setzero_ps(), vinv;
            __m256i sum = _mm256_setzero_si256();
            __m128 m4;
            float s, inv, amax;
            int32_t part[8], total = 0;
            for (int i = 0; i < 4; i++) a[i] = _mm256_setzero_ps();
            for (int p = 0; p < group; p += 32)
                for (int i = 0; i < 4; i++) {
                    __m256 v = _mm256_loadu_ps(xg + p + 8 * i);
                    a[i] = _mm256_max_ps(_mm256_and_ps(v, absmask), a[i]);
                    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                }
            a[0] = _mm256_max_ps(_mm256_max_ps(a[0], a[1]), _mm256_max_ps(a[2], a[3]));
            m4 = _mm_max_ps(_mm256_castps256_ps128(a[0]), _mm256_extractf128_ps(a[0], 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
            amax = _mm256_movemask_ps(nan) ? NAN : _mm_cvtss_f32(m4);
            ia_qact_scale(amax, &s, &inv);
            vinv = _mm256_set1_ps(inv);
            for (int p = 0; p < group; p += 32) {
                __m256i c[4], b;
                for (int i = 0; i < 4; i++) /* MXCSR rounding: half to even; |v| <= 127 */
                    c[i] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xg + p + 8 * i), vinv));
                b = _mm256_permutevar8x32_epi32(
                    _mm256_packs_epi16(_mm256_packs_epi32(c[0], c[1]), _mm256_packs_epi32(c[2], c[3])),
                    perm);
                _mm256_storeu_si256((__m256i *)(qg + p), b);
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, b), ones16));
            }
            _mm256_storeu_si256((__m256i *)part, sum);
            for (int i = 0; i < 8; i++) total += part[i];
            sa[(size_t)r * groups + g] = s;
            sas[(size_t)r * groups + g] = s * (float)total;
        }
    }
}

/* ---- micro-tile -------------------------------------------------------- */

/* Rows per tile by code width: 8-bit codes keep two int16 sums per row
 * (nibbles), so fewer rows fit the 16 ymm registers without spills. */
#ifndef QGEMM_AVX2_MR8
#define QGEMM_AVX2_MR8 3
#endif
#ifndef QGEMM_AVX2_MR4
#define QGEMM_AVX2_MR4 4
#endif
#define MR_OF(B) ((B) == 8 ? QGEMM_AVX2_MR8 : QGEMM_AVX2_MR4)

static ALWAYS_INLINE __m256i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* Quad s of a loaded half-unit as 8 × 4 unsigned bytes; for 8-bit codes,
 * the low (s = 0) or high (s = 1) nibbles of the one quad it holds. */
static ALWAYS_INLINE __m256i quad(const int bits, __m256i u, const int s) {
    const int width = bits == 8 ? 4 : bits;
    if (s > 0) u = _mm256_srli_epi16(u, s * width);
    return _mm256_and_si256(u, _mm256_set1_epi8((char)((1 << width) - 1)));
}

/* One chunk of cin inputs (32, or 16 for groups of 16: ggml's Q2_K, Q3_K
 * and Q6_K sub-blocks; a 16-input chunk is whole units for every width):
 * t[r] = Σ codes · activations as int32 lanes (8 channels); wc at the
 * chunk's first unit (this half), x at its inputs. */
static ALWAYS_INLINE void dot_chunk(const int bits, const int mr, const int cin, const int hb, const uint8_t *wc,
                                    const uint8_t *hu, int slot0, const int8_t *x, size_t k, __m256i t[MR]) {
    const int per = 8 / bits;         /* quads per unit (8-bit: 1) */
    const int units = cin / 4 / per;  /* units per chunk */
    __m256i lo[MR], hi[MR];
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) lo[r] = hi[r] = _mm256_setzero_si256();
    for (int u = 0; u < units; u++) {
        __m256i raw = _mm256_load_si256((const __m256i *)(wc + 64 * (size_t)u));
        if (bits == 8) {
            __m256i ql = quad(8, raw, 0), qh = quad(8, raw, 1);
#pragma GCC unroll 8
            for (int r = 0; r < mr; r++) {
                __m256i a = bcast4(x + r * k + 4 * u);
                lo[r] = _mm256_add_epi16(lo[r], _mm256_maddubs_epi16(ql, a));
                hi[r] = _mm256_add_epi16(hi[r], _mm256_maddubs_epi16(qh, a));
            }
        } else if (hb) {
            /* split codes (qmat_layout.h): the low nibble and the high bits
             * (of this chunk's one hi unit) multiplied separately, as the
             * 8-bit nibbles are: 2 · 63 · 127 would saturate an int16 pair */
            const __m256i hraw = _mm256_load_si256((const __m256i *)hu);
#pragma GCC unroll 4
            for (int s = 0; s < per; s++) {
                __m256i q = quad(bits, raw, s);
                __m256i hq = _mm256_and_si256(_mm256_srli_epi16(hraw, hb * (slot0 + per * u + s)),
                                              _mm256_set1_epi8((char)((1 << hb) - 1)));
#pragma GCC unroll 8
                for (int r = 0; r < mr; r++) {
                    __m256i a = bcast4(x + r * k + 4 * (per * u + s));
                    lo[r] = _mm256_add_epi16(lo[r], _mm256_maddubs_epi16(q, a));
                    hi[r] = _mm256_add_epi16(hi[r], _mm256_maddubs_epi16(hq, a));
                }
            }
        } else {
#pragma GCC unroll 4
            for (int s = 0; s < per; s++) {
                __m256i q = quad(bits, raw, s);
#pragma GCC unroll 8
                for (int r = 0; r < mr; r++)
                    lo[r] = _mm256_add_epi16(
                        lo[r], _mm256_maddubs_epi16(q, bcast4(x + r * k + 4 * (per * u + s))));
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        t[r] = _mm256_madd_epi16(lo[r], _mm256_set1_epi16(1));
        if (bits == 8 || hb) /* 8 bits: q = 16·hi + lo; split: q = lo + hi << bits */
            t[r] = _mm256_add_epi32(t[r], _mm256_madd_epi16(hi[r], _mm256_set1_epi16(bits == 8 ? 16 : 1 << bits)));
    }
}

/* mr rows × channels [8h, 8h + width) of block b (width ≤ 8). Per group
 * the int32 sums become floats, f += cvt(acc) · (d · sa) + m · sas, the
 * VNNI kernel's sequence; the float totals wait in L1 between groups. */
static ALWAYS_INLINE void tile(const int bits, const int mr, const int cin, const int hb, const ia_qmat *w, int64_t b,
                               int h, const int8_t *xq, const float *sa, const float *sas,
                               const float *bias, float *y, size_t ldy, int width) {
    int groups = (int)w->groups, chunks = (int)w->group / cin;
    size_t k = (size_t)w->k, chunk_bytes = 2 * (size_t)cin * (size_t)bits; /* 16 ch × cin × bits / 8 */
    const uint8_t *wc = w->codes + (size_t)b * w->block_bytes + 32 * h;
    const int8_t *x = xq;
    float fb[MR][8] __attribute__((aligned(32)));
    for (int g = 0; g < groups; g++) {
        __m256i acc[MR];
        __m256 dv, mv;
        if (w->super) { /* d = D · sc, m = M · mn: exact, the float form's bits (qmat_layout.h) */
            size_t si = ((size_t)b * groups + g) * 16 + 8 * h;
            size_t fi = ((size_t)b * (groups / w->super) + g / w->super) * 16 + 8 * h;
            dv = _mm256_mul_ps(_mm256_loadu_ps(w->D + fi),
                               _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w->sc + si)))));
            mv = _mm256_mul_ps(_mm256_loadu_ps(w->M + fi),
                               _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w->mn + si)))));
        } else {
            dv = _mm256_loadu_ps(w->d + ((size_t)b * groups + g) * 16 + 8 * h);
            mv = w->m ? _mm256_loadu_ps(w->m + ((size_t)b * groups + g) * 16 + 8 * h)
                      : _mm256_mul_ps(dv, _mm256_set1_ps(-w->zero)); /* symmetric: -z · d, exact */
        }
        /* split codes: cin == group, one chunk per group, inside hi unit
         * p / (32 / hb) from quad slot (p % (32 / hb)) / 4, p = g · cin */
        const int p = g * cin, span = hb ? 32 / hb : 32;
        const uint8_t *hu = hb ? w->hi + (size_t)b * w->hstride + (size_t)(p / span) * 64 + 32 * h : NULL;
        dot_chunk(bits, mr, cin, hb, wc, hu, (p % span) / 4, x, k, acc);
        wc += chunk_bytes, x += cin;
        for (int c = 1; c < chunks; c++, wc += chunk_bytes, x += cin) {
            __m256i t[MR];
            dot_chunk(bits, mr, cin, hb, wc, hu, 0, x, k, t); /* not reached for split codes */
#pragma GCC unroll 8
            for (int r = 0; r < mr; r++) acc[r] = _mm256_add_epi32(acc[r], t[r]);
        }
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            size_t si = (size_t)r * groups + g;
            __m256 f = g ? _mm256_load_ps(fb[r]) : _mm256_setzero_ps();
            f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r]), _mm256_mul_ps(dv, _mm256_set1_ps(sa[si])), f);
            f = _mm256_fmadd_ps(mv, _mm256_set1_ps(sas[si]), f);
            _mm256_store_ps(fb[r], f);
        }
    }
    for (int r = 0; r < mr; r++) {
        float *yr = y + (size_t)r * ldy;
        for (int c = 0; c < width; c++) yr[c] = fb[r][c] + (bias ? bias[c] : 0.0f);
    }
}

#define TILE_MR(B, C, H)                                                                  \
    switch (mr) {                                                                         \
    case 4: tile(B, 4, C, H, w, b, h, xq, sa, sas, bias, y, ldy, width); break;           \
    case 3: tile(B, 3, C, H, w, b, h, xq, sa, sas, bias, y, ldy, width); break;           \
    case 2: tile(B, 2, C, H, w, b, h, xq, sa, sas, bias, y, ldy, width); break;           \
    default: tile(B, 1, C, H, w, b, h, xq, sa, sas, bias, y, ldy, width); break;          \
    }
#define TILE_FN(B)                                                                        \
    static void tile_##B(int mr, const ia_qmat *w, int64_t b, int h, const int8_t *xq,    \
                         const float *sa, const float *sas, const float *bias, float *y,  \
                         size_t ldy, int width) {                                         \
        if (B == 4 && w->hbits == 2) TILE_MR(B, 16, 2)  /* Q6_K */                          \
        else if (B == 4 && w->hbits == 1) TILE_MR(B, 32, 1) /* Q5_K */                      \
        else if (B == 2 && w->hbits == 1) TILE_MR(B, 16, 1) /* Q3_K */                      \
        else if (w->group % 32) TILE_MR(B, 16, 0) else TILE_MR(B, 32, 0)                  \
    }
TILE_FN(8)
TILE_FN(4)
TILE_FN(2)
_Static_assert(MR_OF(8) <= MR && MR_OF(4) <= MR, "tile_N switches list 4 row counts");

static void gemm(const ia_qmat *w, int m, const int8_t *xq, const float *sa, const float *sas,
                 int j0, int j1, const float *bias, float *y, size_t ldy) {
    int mr_max = w->hbits ? MR_OF(8) : MR_OF(w->bits), rgroups = (m + mr_max - 1) / mr_max; /* split: two sums */
    for (int j = j0; j < j1; j += 8) {
        int width = j1 - j < 8 ? j1 - j : 8, r0 = 0;
        for (int g = 0; g < rgroups; g++) {
            int mr = m / rgroups + (g < m % rgroups);
            const int8_t *x = xq + (size_t)r0 * (size_t)w->k;
            const float *s = sa + (size_t)r0 * (size_t)w->groups;
            const float *ss = sas + (size_t)r0 * (size_t)w->groups;
            const float *bb = bias ? bias + j : NULL;
            float *yy = y + (size_t)r0 * ldy + j;
            int h = (j / 8) & 1;
            switch (w->bits) {
            case 8: tile_8(mr, w, j / 16, h, x, s, ss, bb, yy, ldy, width); break;
            case 4: tile_4(mr, w, j / 16, h, x, s, ss, bb, yy, ldy, width); break;
            default: tile_2(mr, w, j / 16, h, x, s, ss, bb, yy, ldy, width); break;
            }
            r0 += mr;
        }
    }
}

static const ia_qgemm_impl impl = {"avx2", QGEMM_AVX2_MR4, quantize, gemm};

const ia_qgemm_impl *ia_qgemm_impl_avx2(void) { return &impl; }

#else

const ia_qgemm_impl *ia_qgemm_impl_avx2(void) { return NULL; }

#endif
