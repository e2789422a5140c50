/*
 * cpu_features.c — cpuid/xgetbv feature detection (see cpu_features.h).
 *
 * A CPUID bit only says the silicon has an extension; the OS must also save
 * the wider register state on context switches, which XCR0 (read with
 * XGETBV, allowed only when CPUID.1:ECX.OSXSAVE is set) reports. A kernel
 * that booted with AVX-512 disabled, or a hypervisor that hides ZMM state,
 * leaves the CPUID bits on but XCR0 bits off — then AVX-512 code would
 * fault, so both are required.
 *
 * Compiled without ISA flags, so cpuid/xgetbv are issued as inline asm
 * rather than through <cpuid.h>/_xgetbv (the latter needs -mxsave).
 */
#include "backends/cpu/cpu_features.h"

#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static ia_cpu_features detect(void) {
    ia_cpu_features f = {0};
    unsigned r[4], max_leaf;
    unsigned long long xcr0;
    bool os_ymm, os_zmm;

    cpuid(0, 0, r);
    max_leaf = r[0];
    if (max_leaf < 1) return f;
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 27))) return f; /* OSXSAVE off: no XGETBV, no AVX */
    bool avx = (r[2] >> 28) & 1;
    bool fma = (r[2] >> 12) & 1;
    bool f16c = (r[2] >> 29) & 1;
    xcr0 = xgetbv0();
    /* XCR0 bit 1 SSE, bit 2 AVX (upper YMM); bits 5..7 opmask, ZMM0-15
     * upper halves, ZMM16-31 (Intel SDM vol. 1, 13.3). */
    os_ymm = (xcr0 & 0x6) == 0x6;
    os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    if (!avx || !os_ymm) return f;
    f.fma = fma;
    f.f16c = f16c;
    if (max_leaf < 7) return f;
    cpuid(7, 0, r);
    f.avx2 = (r[1] >> 5) & 1;
    if (os_zmm) {
        f.avx512f = (r[1] >> 16) & 1;
        f.avx512dq = f.avx512f && ((r[1] >> 17) & 1);
        f.avx512bw = f.avx512f && ((r[1] >> 30) & 1);
        f.avx512vl = f.avx512f && ((r[1] >> 31) & 1);
        f.avx512vnni = f.avx512f && ((r[2] >> 11) & 1); /* leaf 7 ECX bit 11 */
    }
    return f;
}
#else
static ia_cpu_features detect(void) {
    ia_cpu_features f = {0};
    return f;
}
#endif

/* The result is cached as a bit set in one atomic word (bit 31 = valid), so
 * threads racing through the first call just store the same value twice. */
static atomic_uint cached_bits;

ia_cpu_features ia_cpu_features_get(void) {
    unsigned bits = atomic_load_explicit(&cached_bits, memory_order_relaxed);
    ia_cpu_features f;
    if (!(bits >> 31)) {
        f = detect();
        bits = 1u << 31 | (unsigned)f.avx2 | (unsigned)f.fma << 1 | (unsigned)f.f16c << 2 |
               (unsigned)f.avx512f << 3 | (unsigned)f.avx512bw << 4 |
               (unsigned)f.avx512vl << 5 | (unsigned)f.avx512dq << 6 |
               (unsigned)f.avx512vnni << 7;
        atomic_store_explicit(&cached_bits, bits, memory_order_relaxed);
        return f;
    }
    f.avx2 = bits & 1;
    f.fma = bits >> 1 & 1;
    f.f16c = bits >> 2 & 1;
    f.avx512f = bits >> 3 & 1;
    f.avx512bw = bits >> 4 & 1;
    f.avx512vl = bits >> 5 & 1;
    f.avx512dq = bits >> 6 & 1;
    f.avx512vnni = bits >> 7 & 1;
    return f;
}
