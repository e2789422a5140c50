/*
 * cpuid.c — the CPUID/XCR0 decoder and reader (see cpuid.h).
 *
 * The decoder is a table: each flag names its register and bit (Intel SDM
 * vol. 2A, CPUID, tables 3-8 and 3-10, "Structured Extended Feature
 * Flags"), the XCR0 state it needs and the flag it depends on. A flag is
 * on when its bit is, its state is enabled and its dependency is on; the
 * table lists every dependency before its dependants, so one pass settles
 * all of them.
 *
 * Compiled without ISA flags, so cpuid/xgetbv are issued as inline asm
 * rather than through <cpuid.h> helpers for xgetbv (_xgetbv needs -mxsave).
 */
#include "util/cpuid.h"

#include <string.h>

/* XCR0 bits (Intel SDM vol. 1, 13.1): 1 SSE, 2 AVX (upper YMM), 5 opmask,
 * 6 ZMM0-15 upper halves, 7 ZMM16-31, 17 XTILECFG, 18 XTILEDATA. */
#define XCR0_YMM ((1ull << 1) | (1ull << 2))
#define XCR0_ZMM (XCR0_YMM | (1ull << 5) | (1ull << 6) | (1ull << 7))
#define XCR0_AMX ((1ull << 17) | (1ull << 18))

#define LEAF1_OSXSAVE 27 /* ECX: the OS set CR4.OSXSAVE; XGETBV may run */
#define LEAFD1_XFD 4     /* EAX of 0xD.1: extended feature disable */

enum reg { L1_ECX, L1_EDX, L7_EBX, L7_ECX, L7_EDX, L71_EAX };

#define NONE IA_CPU_FLAG_COUNT /* no dependency */

static const struct {
    const char *name; /* /proc/cpuinfo's */
    enum reg reg;
    int bit;
    uint64_t xcr0;    /* state the OS must save, 0 if none */
    ia_cpu_flag dep;  /* must be on too (listed earlier), or NONE */
} flag_table[IA_CPU_FLAG_COUNT] = {
    [IA_CPU_SSE2] = {"sse2", L1_EDX, 26, 0, NONE},
    [IA_CPU_SSSE3] = {"ssse3", L1_ECX, 9, 0, NONE},
    [IA_CPU_SSE4_1] = {"sse4_1", L1_ECX, 19, 0, NONE},
    [IA_CPU_SSE4_2] = {"sse4_2", L1_ECX, 20, 0, NONE},
    [IA_CPU_AVX] = {"avx", L1_ECX, 28, XCR0_YMM, NONE},
    [IA_CPU_FMA] = {"fma", L1_ECX, 12, XCR0_YMM, IA_CPU_AVX},
    [IA_CPU_F16C] = {"f16c", L1_ECX, 29, XCR0_YMM, IA_CPU_AVX},
    [IA_CPU_AVX2] = {"avx2", L7_EBX, 5, XCR0_YMM, IA_CPU_AVX},
    [IA_CPU_AVX512F] = {"avx512f", L7_EBX, 16, XCR0_ZMM, IA_CPU_AVX},
    [IA_CPU_AVX512DQ] = {"avx512dq", L7_EBX, 17, XCR0_ZMM, IA_CPU_AVX512F},
    [IA_CPU_AVX512IFMA] = {"avx512ifma", L7_EBX, 21, XCR0_ZMM, IA_CPU_AVX512F},
    [IA_CPU_AVX512CD] = {"avx512cd", L7_EBX, 28, XCR0_ZMM, IA_CPU_AVX512F},
    [IA_CPU_AVX512BW] = {"avx512bw", L7_EBX, 30, XCR0_ZMM, IA_CPU_AVX512F},
    [IA_CPU_AVX512VL] = {"avx512vl", L7_EBX, 31, XCR0_ZMM, IA_CPU_AVX512F},
    [IA_CPU_AVX512VBMI] = {"avx512vbmi", L7_ECX, 1, XCR0_ZMM, IA_CPU_AVX512F},
    [IA_CPU_AVX512_VBMI2] = {"avx512_vbmi2", L7_ECX, 6, XCR0_ZMM, IA_CPU_AVX512VL},
    [IA_CPU_AVX512_VNNI] = {"avx512_vnni", L7_ECX, 11, XCR0_ZMM, IA_CPU_AVX512VL},
    [IA_CPU_AVX512_BITALG] = {"avx512_bitalg", L7_ECX, 12, XCR0_ZMM, IA_CPU_AVX512VL},
    [IA_CPU_AVX512_VPOPCNTDQ] = {"avx512_vpopcntdq", L7_ECX, 14, XCR0_ZMM, IA_CPU_AVX512F},
    [IA_CPU_AVX512_FP16] = {"avx512_fp16", L7_EDX, 23, XCR0_ZMM, IA_CPU_AVX512BW},
    [IA_CPU_AVX_VNNI] = {"avx_vnni", L71_EAX, 4, XCR0_YMM, IA_CPU_AVX2},
    [IA_CPU_AVX512_BF16] = {"avx512_bf16", L71_EAX, 5, XCR0_ZMM, IA_CPU_AVX512VL},
    [IA_CPU_AMX_TILE] = {"amx_tile", L7_EDX, 24, XCR0_AMX, NONE},
    [IA_CPU_AMX_INT8] = {"amx_int8", L7_EDX, 25, XCR0_AMX, IA_CPU_AMX_TILE},
    [IA_CPU_AMX_BF16] = {"amx_bf16", L7_EDX, 22, XCR0_AMX, IA_CPU_AMX_TILE},
    [IA_CPU_SHA_NI] = {"sha_ni", L7_EBX, 29, 0, IA_CPU_SSE2},
};

const char *ia_cpu_flag_name(ia_cpu_flag f) {
    return (unsigned)f < IA_CPU_FLAG_COUNT ? flag_table[f].name : "?";
}

ia_cpu_flags ia_cpuid_decode(const ia_cpuid_regs *r) {
    uint32_t regs[6] = {0};
    uint64_t xcr0;
    ia_cpu_flags out = 0;
    if (!r || r->max_leaf < 1) return 0;
    regs[L1_ECX] = r->leaf1_ecx;
    regs[L1_EDX] = r->leaf1_edx;
    if (r->max_leaf >= 7) {
        regs[L7_EBX] = r->leaf7_ebx;
        regs[L7_ECX] = r->leaf7_ecx;
        regs[L7_EDX] = r->leaf7_edx;
        if (r->leaf7_max_subleaf >= 1) regs[L71_EAX] = r->leaf7_1_eax;
    }
    /* Without OSXSAVE no XGETBV: whatever xcr0 holds, no state is enabled. */
    xcr0 = (r->leaf1_ecx >> LEAF1_OSXSAVE) & 1u ? r->xcr0 : 0;
    for (int f = 0; f < IA_CPU_FLAG_COUNT; f++) {
        int on = (regs[flag_table[f].reg] >> flag_table[f].bit) & 1u;
        on = on && (xcr0 & flag_table[f].xcr0) == flag_table[f].xcr0;
        if (flag_table[f].dep != NONE) on = on && ia_cpu_flags_has(out, flag_table[f].dep);
        /* AMX state is also gated per process through XFD (Linux asks for
         * it with arch_prctl); Linux hides amx_tile without XFD. */
        if (f == IA_CPU_AMX_TILE)
            on = on && r->max_leaf >= 0xD && ((r->leafd_1_eax >> LEAFD1_XFD) & 1u);
        if (on) out |= 1u << f;
    }
    return out;
}

#if defined(__x86_64__) || defined(__i386__)
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

void ia_cpuid_read(ia_cpuid_regs *out) {
    uint32_t r[4];
    memset(out, 0, sizeof *out);
    cpuid(0, 0, r);
    out->max_leaf = r[0];
    if (out->max_leaf < 1) return;
    cpuid(1, 0, r);
    out->leaf1_ecx = r[2];
    out->leaf1_edx = r[3];
    if (out->max_leaf >= 7) {
        cpuid(7, 0, r);
        out->leaf7_max_subleaf = r[0];
        out->leaf7_ebx = r[1];
        out->leaf7_ecx = r[2];
        out->leaf7_edx = r[3];
        if (out->leaf7_max_subleaf >= 1) {
            cpuid(7, 1, r);
            out->leaf7_1_eax = r[0];
        }
    }
    if (out->max_leaf >= 0xD) {
        cpuid(0xD, 1, r);
        out->leafd_1_eax = r[0];
    }
    if ((out->leaf1_ecx >> LEAF1_OSXSAVE) & 1u) out->xcr0 = xgetbv0();
}
#else
void ia_cpuid_read(ia_cpuid_regs *out) { memset(out, 0, sizeof *out); }
#endif
