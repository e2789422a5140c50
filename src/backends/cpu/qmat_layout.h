/*
 * qmat_layout.h — the packed layout of ia_qmat, private to backends/cpu/qmat.c and
 * the CPU qgemm kernels (qgemm*.c). Users see ia_qmat opaque
 * (qmat.h); only these files may depend on what follows.
 *
 * Channels (output rows n) are packed in blocks of 16, one 512-bit vector of
 * int32 lanes; the last block is padded with zero codes and zero scales.
 * Inside a block the k axis runs in "quads" of 4 consecutive inputs, one
 * vpdpbusd step: the bytes for (channel c, input 4t + i) sit at 4c + i of a
 * 64-byte unit, so a unit loaded into a zmm gives each int32 lane its
 * channel's 4 codes. Units per block, by bits:
 *
 *   8 bits: unit t holds quad t                       (k / 4 units)
 *   4 bits: unit t holds quad 2t in the low nibbles,
 *           quad 2t + 1 in the high nibbles           (k / 8 units)
 *   2 bits: unit t holds quad 4t + s in bits 2s..2s+1 (k / 16 units)
 *
 * so one block is 16 · k · bits / 8 bytes, read front to back as k grows.
 * AVX2 reads the same unit as two 32-byte halves (channels 0–7, 8–15).
 *
 * Scales: d and m as [block][group][16] floats, so one aligned 64-byte load
 * gives the 16 channels of a block for one group.
 *
 * Split codes (k-quants of 3, 5 and 6 bits; `hbits` 1 or 2): the low
 * `bits` (2 for Q3_K, 4 for Q5_K and Q6_K) of every code in the layout
 * above, and the high hbits in a second plane `hi` of 64-byte units, each
 * covering 32 / hbits inputs of a block's 16 channels: the bits of
 * (channel c, input p) sit in unit p / (32 / hbits), byte 4c + p % 4,
 * bits hbits·t .. hbits·t + hbits − 1 for t = (p % (32 / hbits)) / 4.
 * code = lo | hi << bits. A block's hi plane is hstride = 2 · k · hbits
 * bytes ([block][unit][64]); for Q5_K and Q6_K a unit is exactly one
 * group, for Q3_K two.
 *
 * Or, for ggml's k-quants (ia_qmat_pack_kquant; `super` > 0), as ggml
 * stores them: per group int8 sc and mn as [block][group][16] (16 bytes
 * per block and group), per super-block of `super` groups (256 inputs)
 * floats D and M as [block][group / super][16], and
 *     d = D · sc,   m = M · mn
 * formed by the kernels in registers (a float product that is exact, so
 * bit for bit the d and m of the float form). Per weight that is 16 bits
 * of scales per group (2 bits a weight at group 16) instead of 64 (4
 * bits), plus 64 bits per 256 inputs.
 */
#ifndef IA_BACKENDS_CPU_QMAT_LAYOUT_H
#define IA_BACKENDS_CPU_QMAT_LAYOUT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/cpu/qmat.h"

#define IA_QMAT_BLOCK 16 /* channels per packed block */
#define IA_QMAT_ALIGN 64 /* codes and scales start on a cache line */

/* Largest group whose int32 sums are exact: |Σ q·xq| ≤ 255 · 127 · group,
 * which is below 2^31 for group ≤ 65536. */
#define IA_QMAT_MAX_GROUP 65536

struct ia_qmat {
    int bits;
    int64_t n, k, group;
    int64_t groups;      /* k / group */
    int64_t blocks;      /* ceil(n / 16) */
    size_t block_bytes;  /* code bytes of one 16-channel block: 2 · k · bits */
    uint8_t *codes;      /* [blocks][block_bytes], 64-byte aligned */
    float *d, *m;        /* [blocks][groups][16], 64-byte aligned; NULL when super > 0.
                            m is also NULL for symmetric codes (Q8_0, Q4_0, Q5_0 and
                            our sym formats), whose every m is -zero · d: a GEMV then
                            reads 4 bytes less per 32 weights */
    float zero;          /* m == NULL, d != NULL: the code that means 0 */
    int super;           /* 0, or groups per super-block: then sc, mn, D, M hold the scales */
    int hbits;           /* 0, or 1 / 2: codes split, low `bits` in codes, high hbits in hi */
    size_t hstride;      /* hi bytes per block: 2 · k · hbits */
    uint8_t *hi;         /* [blocks][k · hbits / 32][64] when hbits */
    int8_t *sc, *mn;     /* [blocks][groups][16] */
    float *D, *M;        /* [blocks][groups / super][16], 64-byte aligned */
    size_t bytes;        /* codes + d + m as allocated */
    void *mem;           /* the one allocation the three live in */
};

/* d and m of channel c (of 16) of block b, group g, in either scale form. */
static inline void ia_qmat_scale(const struct ia_qmat *w, int64_t b, int64_t g, int c, float *d, float *m) {
    size_t i = ((size_t)b * (size_t)w->groups + (size_t)g) * IA_QMAT_BLOCK + (size_t)c;
    if (w->super) {
        size_t s = ((size_t)b * (size_t)(w->groups / w->super) + (size_t)(g / w->super)) * IA_QMAT_BLOCK + (size_t)c;
        *d = w->D[s] * (float)w->sc[i];
        *m = w->M[s] * (float)w->mn[i];
    } else {
        *d = w->d[i];
        *m = w->m ? w->m[i] : -w->zero * w->d[i];
    }
}

#endif
