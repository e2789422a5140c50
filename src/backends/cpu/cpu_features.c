/*
 * cpu_features.c — the kernel dispatch's view of the CPU (see
 * cpu_features.h): the flags util/cpuid.h decodes from CPUID and XCR0,
 * which already require both the silicon and the OS (a kernel that booted
 * with AVX-512 disabled, or a hypervisor that hides ZMM state, leaves the
 * CPUID bits on but XCR0 bits off — then AVX-512 code would fault). The
 * hardware report (hw/cpu_info_x86.c) uses the same decoder, so the two
 * cannot disagree.
 */
#include "backends/cpu/cpu_features.h"

#include <stdatomic.h>

#include "util/cpuid.h"

static ia_cpu_features detect(void) {
    ia_cpuid_regs r;
    ia_cpu_flags fl;
    ia_cpu_features f;
    ia_cpuid_read(&r); /* all zero off x86: every flag false */
    fl = ia_cpuid_decode(&r);
    f.avx2 = ia_cpu_flags_has(fl, IA_CPU_AVX2);
    f.fma = ia_cpu_flags_has(fl, IA_CPU_FMA);
    f.f16c = ia_cpu_flags_has(fl, IA_CPU_F16C);
    f.avx512f = ia_cpu_flags_has(fl, IA_CPU_AVX512F);
    f.avx512bw = ia_cpu_flags_has(fl, IA_CPU_AVX512BW);
    f.avx512vl = ia_cpu_flags_has(fl, IA_CPU_AVX512VL);
    f.avx512dq = ia_cpu_flags_has(fl, IA_CPU_AVX512DQ);
    f.avx512vnni = ia_cpu_flags_has(fl, IA_CPU_AVX512_VNNI);
    return f;
}

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
