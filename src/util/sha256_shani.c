/*
 * sha256_shani.c — SHA-256 compression with the x86 SHA extensions
 * (SHA256RNDS2, SHA256MSG1, SHA256MSG2), after Intel's "Intel SHA
 * Extensions" paper (2013, Gulley et al.), section 4.
 *
 * Why: hashing is nearly all the work of computing a UnixFS CID (every
 * byte of a file is hashed once, its blocks' headers again), and the
 * portable loop does ~250 MB/s where these instructions do ~1.5-2 GB/s.
 *
 * Only this function is compiled for the SHA ISA (target attribute), so the
 * library still loads on a CPU without it; sha256.c calls it only after
 * cpuid said yes. x86-64 only: the wasm32 build and other CPUs get the
 * portable loop.
 *
 * The state lives in two registers as the instructions want it: ABEF and
 * CDGH (each little-endian lanes, A in the top lane). Each step of the loop
 * runs four rounds (two SHA256RNDS2 of two rounds each) and advances the
 * message schedule held in w[0..3], sixteen words, four per register.
 */
#include "util/sha256_blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("sha,sse4.1"))) void ia_sha256_blocks_shani(uint32_t h[8], const uint8_t *p, size_t n) {
    /* big-endian words: reverse the bytes of each 32-bit lane */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&h[0]);  /* DCBA */
    __m128i st1 = _mm_loadu_si128((const __m128i *)&h[4]);  /* HGFE */
    __m128i st0;
    tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* CDAB */
    st1 = _mm_shuffle_epi32(st1, 0x1B);          /* EFGH */
    st0 = _mm_alignr_epi8(tmp, st1, 8);          /* ABEF */
    st1 = _mm_blend_epi16(st1, tmp, 0xF0);       /* CDGH */

    for (; n; n--, p += 64) {
        __m128i abef = st0, cdgh = st1, w[4], m;
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            if (i < 4) w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
            m = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&ia_sha256_k[4 * i]));
            st1 = _mm_sha256rnds2_epu32(st1, st0, m);
            /* words 4(i+1).. from the previous sixteen: MSG1 was applied
             * two steps ago, MSG2 finishes them now */
            if (i >= 3 && i <= 14) {
                __m128i t = _mm_alignr_epi8(w[i & 3], w[(i - 1) & 3], 4);
                w[(i + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(w[(i + 1) & 3], t), w[i & 3]);
            }
            st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(m, 0x0E));
            if (i >= 1 && i <= 12) w[(i - 1) & 3] = _mm_sha256msg1_epu32(w[(i - 1) & 3], w[i & 3]);
        }
        st0 = _mm_add_epi32(st0, abef);
        st1 = _mm_add_epi32(st1, cdgh);
    }

    tmp = _mm_shuffle_epi32(st0, 0x1B);          /* FEBA */
    st1 = _mm_shuffle_epi32(st1, 0xB1);          /* DCHG */
    st0 = _mm_blend_epi16(tmp, st1, 0xF0);       /* DCBA */
    st1 = _mm_alignr_epi8(st1, tmp, 8);          /* HGFE */
    _mm_storeu_si128((__m128i *)&h[0], st0);
    _mm_storeu_si128((__m128i *)&h[4], st1);
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int ia_sha256_shani_absent;
#endif
