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
 * Micro-tile: MR rows × 8 channels (half of a packed 16-channel block: a
 * 64-byte unit is read as two 32-byte halves). 16 ymm registers hold MR
 * int32 sums, MR (8-bit: 2·MR) int16 sums, the codes, the broadcast and
 * two constants; float totals of multi-group matrices live in L1.
 */
#include "backends/cpu/qgemm_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <string.h>

#define MR 4
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ---- activation quantisation ----------------------------------------- */

static void quantize(int m, int k, int group, const float *x, size_t ldx, int8_t *xq,
                     float *sa, float *sas) {
    const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    int groups = k / group;
    for (int r = 0; r < m; r++) {
        const float *xr = x + (size_t)r * ldx;
        int8_t *qr = xq + (size_t)r * (size_t)k;
        for (int g = 0; g < groups; g++) {
            const float *xg = xr + (size_t)g * group;
            __m256 amax = _mm256_setzero_ps();
            __m256i sum = _mm256_setzero_si256();
            __m128 m4;
            float s, inv, amaxf;
            int32_t part[8], total = 0;
            for (int p = 0; p < group; p += 8) /* NaN skipped, as fmaxf does */
                amax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(xg + p), absmask), amax);
            m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
            amaxf = _mm_cvtss_f32(m4);
            ia_qmat_act_scale(amaxf, &s, &inv);
            {
                __m256 vinv = _mm256_set1_ps(inv);
                for (int p = 0; p < group; p += 8) {
                    /* min first, then max: NaN → 127, as ia_qmat_act_code */
                    __m256 v = _mm256_min_ps(_mm256_mul_ps(_mm256_loadu_ps(xg + p), vinv), hi);
                    __m256i c = _mm256_cvtps_epi32(_mm256_max_ps(v, lo)); /* MXCSR: half-even */
                    __m128i c16 = _mm_packs_epi32(_mm256_castsi256_si128(c),
                                                  _mm256_extracti128_si256(c, 1));
                    sum = _mm256_add_epi32(sum, c);
                    _mm_storel_epi64((__m128i *)(qr + (size_t)g * group + p),
                                     _mm_packs_epi16(c16, c16));
                }
            }
            _mm256_storeu_si256((__m256i *)part, sum);
            for (int i = 0; i < 8; i++) total += part[i];
            sa[(size_t)r * groups + g] = s;
            sas[(size_t)r * groups + g] = s * (float)total;
        }
    }
}

/* ---- micro-tile -------------------------------------------------------- */

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

/* acc[r] (int32, 8 channels) = Σ over `chunks` chunks of 32 inputs. */
static ALWAYS_INLINE void dot_group(const int bits, const int mr, const uint8_t *wc, int h,
                                    const int8_t *x, size_t k, int chunks, __m256i acc[MR]) {
    const int per = 8 / bits;  /* quads per unit (8-bit: 1) */
    const int units = 8 / per; /* units per chunk of 32 inputs */
    const __m256i ones = _mm256_set1_epi16(1), sixteens = _mm256_set1_epi16(16);
    for (int r = 0; r < mr; r++) acc[r] = _mm256_setzero_si256();
    for (int c = 0; c < chunks; c++) {
        __m256i s16[MR], h16[MR];
        for (int r = 0; r < mr; r++) s16[r] = h16[r] = _mm256_setzero_si256();
        for (int u = 0; u < units; u++) {
            __m256i raw = _mm256_load_si256((const __m256i *)(wc + 64 * (size_t)u + 32 * h));
            if (bits == 8) {
                __m256i lo = quad(8, raw, 0), hi = quad(8, raw, 1);
                for (int r = 0; r < mr; r++) {
                    __m256i a = bcast4(x + r * k + 4 * u);
                    s16[r] = _mm256_add_epi16(s16[r], _mm256_maddubs_epi16(lo, a));
                    h16[r] = _mm256_add_epi16(h16[r], _mm256_maddubs_epi16(hi, a));
                }
            } else {
                for (int s = 0; s < per; s++) {
                    __m256i q = quad(bits, raw, s);
                    for (int r = 0; r < mr; r++) {
                        __m256i a = bcast4(x + r * k + 4 * (per * u + s));
                        s16[r] = _mm256_add_epi16(s16[r], _mm256_maddubs_epi16(q, a));
                    }
                }
            }
        }
        for (int r = 0; r < mr; r++) {
            __m256i t = _mm256_madd_epi16(s16[r], ones);
            if (bits == 8) t = _mm256_add_epi32(t, _mm256_madd_epi16(h16[r], sixteens));
            acc[r] = _mm256_add_epi32(acc[r], t);
        }
        wc += 64 * (size_t)units;
        x += 32;
    }
}

static ALWAYS_INLINE __m256 fstep(__m256i acc, __m256 dv, __m256 mv, float s, float ss, __m256 f) {
    f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), _mm256_mul_ps(dv, _mm256_set1_ps(s)), f);
    return _mm256_fmadd_ps(mv, _mm256_set1_ps(ss), f);
}

/* mr rows × channels [8h, 8h + width) of block b (width ≤ 8). */
static ALWAYS_INLINE void tile(const int bits, const int mr, const ia_qmat *w, int64_t b, int h,
                               const int8_t *xq, const float *sa, const float *sas,
                               const float *bias, float *y, size_t ldy, int width) {
    int groups = (int)w->groups, chunks = (int)w->group / 32;
    size_t k = (size_t)w->k;
    const uint8_t *wc = w->codes + (size_t)b * w->block_bytes;
    const float *d = w->d + (size_t)b * groups * 16 + 8 * h;
    const float *mm = w->m + (size_t)b * groups * 16 + 8 * h;
    __m256i acc[MR];
    __m256 f[MR];
    for (int r = 0; r < mr; r++) f[r] = _mm256_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m256 dv = _mm256_loadu_ps(d + 16 * g), mv = _mm256_loadu_ps(mm + 16 * g);
        dot_group(bits, mr, wc, h, xq + (size_t)g * w->group, k, chunks, acc);
        wc += w->group * 2 * bits; /* 16 channels × group × bits / 8 bytes */
        for (int r = 0; r < mr; r++)
            f[r] = fstep(acc[r], dv, mv, sa[(size_t)r * groups + g], sas[(size_t)r * groups + g],
                         f[r]);
    }
    for (int r = 0; r < mr; r++) {
        float out[8];
        float *yr = y + (size_t)r * ldy;
        if (width == 8) {
            __m256 v = f[r];
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
            _mm256_storeu_ps(yr, v);
            continue;
        }
        _mm256_storeu_ps(out, f[r]);
        for (int c = 0; c < width; c++) yr[c] = out[c] + (bias ? bias[c] : 0.0f);
    }
}

#define TILE_FN(B)                                                                        \
    static void tile_##B(int mr, const ia_qmat *w, int64_t b, int h, const int8_t *xq,    \
                         const float *sa, const float *sas, const float *bias, float *y,  \
                         size_t ldy, int width) {                                         \
        switch (mr) {                                                                     \
        case 4: tile(B, 4, w, b, h, xq, sa, sas, bias, y, ldy, width); break;             \
        case 3: tile(B, 3, w, b, h, xq, sa, sas, bias, y, ldy, width); break;             \
        case 2: tile(B, 2, w, b, h, xq, sa, sas, bias, y, ldy, width); break;             \
        default: tile(B, 1, w, b, h, xq, sa, sas, bias, y, ldy, width); break;            \
        }                                                                                 \
    }
TILE_FN(8)
TILE_FN(4)
TILE_FN(2)
_Static_assert(MR == 4, "tile_N switches list 4 row counts");

static void gemm(const ia_qmat *w, int m, const int8_t *xq, const float *sa, const float *sas,
                 int j0, int j1, const float *bias, float *y, size_t ldy) {
    int rgroups = (m + MR - 1) / MR;
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

static const ia_qgemm_impl impl = {"avx2", MR, quantize, gemm};

const ia_qgemm_impl *ia_qgemm_impl_avx2(void) { return &impl; }

#else

const ia_qgemm_impl *ia_qgemm_impl_avx2(void) { return NULL; }

#endif
