/*
 * cpuid.h — x86 ISA flags from CPUID and XCR0, as a pure function of the
 * register values.
 *
 * Why a pure decoder: which bit means what (and which XCR0 state each
 * extension needs) is the part that is easy to get wrong and impossible to
 * test on one machine — a CPU that has both of two neighbouring bits hides
 * a decoder that reads the wrong one. So reading the registers
 * (ia_cpuid_read, a few instructions) is kept apart from decoding them
 * (ia_cpuid_decode, tested on synthetic registers bit by bit), and both the
 * kernel dispatch (backends/cpu/cpu_features.c) and the hardware report
 * (hw/cpu_info_x86.c) use this one decoder.
 *
 * A flag is set only when the CPU has the extension *and* the OS saves its
 * register state: CPUID.1:ECX.OSXSAVE and XCR0 bits 1|2 (SSE, AVX upper
 * halves) for the VEX-encoded AVX class, also bits 5|6|7 (opmask, ZMM0-15
 * upper halves, ZMM16-31) for AVX-512, bits 17|18 (XTILECFG, XTILEDATA)
 * for AMX (Intel SDM vol. 1, 13.3). Flags also follow Linux's dependency
 * table (arch/x86/kernel/cpu/cpuid-deps.c), so that the set equals what
 * /proc/cpuinfo shows for the same names.
 */
#ifndef IA_UTIL_CPUID_H
#define IA_UTIL_CPUID_H

#include <stdint.h>

/* The CPUID leaves and XCR0 the decoder reads. Registers of a leaf above
 * max_leaf (or a sub-leaf above leaf7_max_subleaf) are ignored: CPUID
 * answers such leaves with another leaf's data, not zeros. */
typedef struct ia_cpuid_regs {
    uint32_t max_leaf;          /* leaf 0 EAX */
    uint32_t leaf1_ecx;         /* leaf 1 */
    uint32_t leaf1_edx;
    uint32_t leaf7_max_subleaf; /* leaf 7.0 EAX */
    uint32_t leaf7_ebx;         /* leaf 7.0 */
    uint32_t leaf7_ecx;
    uint32_t leaf7_edx;
    uint32_t leaf7_1_eax;       /* leaf 7.1 */
    uint32_t leafd_1_eax;       /* leaf 0xD.1 (bit 4: XFD, which AMX needs) */
    uint64_t xcr0;              /* XGETBV(0); meaningful only with OSXSAVE */
} ia_cpuid_regs;

/* One bit per flag in ia_cpu_flags; names are /proc/cpuinfo's. Append only. */
typedef enum ia_cpu_flag {
    IA_CPU_SSE2 = 0,     /* leaf 1 EDX 26 */
    IA_CPU_SSSE3,        /* leaf 1 ECX 9 */
    IA_CPU_SSE4_1,       /* leaf 1 ECX 19 */
    IA_CPU_SSE4_2,       /* leaf 1 ECX 20 */
    IA_CPU_AVX,          /* leaf 1 ECX 28, + OSXSAVE (ECX 27) and XCR0 1|2 */
    IA_CPU_FMA,          /* leaf 1 ECX 12, needs avx */
    IA_CPU_F16C,         /* leaf 1 ECX 29, needs avx (VEX-encoded) */
    IA_CPU_AVX2,         /* leaf 7.0 EBX 5, needs avx */
    IA_CPU_AVX512F,      /* leaf 7.0 EBX 16, needs avx and XCR0 5|6|7 */
    IA_CPU_AVX512DQ,     /* leaf 7.0 EBX 17, needs avx512f */
    IA_CPU_AVX512IFMA,   /* leaf 7.0 EBX 21, needs avx512f */
    IA_CPU_AVX512CD,     /* leaf 7.0 EBX 28, needs avx512f */
    IA_CPU_AVX512BW,     /* leaf 7.0 EBX 30, needs avx512f */
    IA_CPU_AVX512VL,     /* leaf 7.0 EBX 31, needs avx512f */
    IA_CPU_AVX512VBMI,   /* leaf 7.0 ECX 1, needs avx512f */
    IA_CPU_AVX512_VBMI2, /* leaf 7.0 ECX 6, needs avx512vl */
    IA_CPU_AVX512_VNNI,  /* leaf 7.0 ECX 11, needs avx512vl */
    IA_CPU_AVX512_BITALG, /* leaf 7.0 ECX 12, needs avx512vl */
    IA_CPU_AVX512_VPOPCNTDQ, /* leaf 7.0 ECX 14, needs avx512f */
    IA_CPU_AVX512_FP16,  /* leaf 7.0 EDX 23, needs avx512bw */
    IA_CPU_AVX_VNNI,     /* leaf 7.1 EAX 4, needs avx2 */
    IA_CPU_AVX512_BF16,  /* leaf 7.1 EAX 5, needs avx512vl */
    IA_CPU_AMX_TILE,     /* leaf 7.0 EDX 24, + XFD (0xD.1 EAX 4) and XCR0 17|18 */
    IA_CPU_AMX_INT8,     /* leaf 7.0 EDX 25, needs amx_tile */
    IA_CPU_AMX_BF16,     /* leaf 7.0 EDX 22, needs amx_tile */
    IA_CPU_SHA_NI,       /* leaf 7.0 EBX 29, needs sse2 (SHA-256 rounds: util/sha256_shani.c) */
    IA_CPU_FLAG_COUNT
} ia_cpu_flag;

typedef uint32_t ia_cpu_flags; /* bit (1u << ia_cpu_flag) per flag */

/* The flags the registers describe. Pure: no CPU access, any input. */
ia_cpu_flags ia_cpuid_decode(const ia_cpuid_regs *r);

/* The /proc/cpuinfo name of a flag ("avx512_vnni"); "?" out of range. */
const char *ia_cpu_flag_name(ia_cpu_flag f);

/* 1 if flag f is in flags. */
static inline int ia_cpu_flags_has(ia_cpu_flags flags, ia_cpu_flag f) {
    return (int)((flags >> f) & 1u);
}

/* Reads this CPU's registers into *r (XCR0 only when OSXSAVE says XGETBV
 * may run). All zero off x86, so every flag decodes false there. Safe from
 * any thread; costs a few CPUID instructions, each a trap to the
 * hypervisor in a VM, so callers that ask often cache the decoded flags. */
void ia_cpuid_read(ia_cpuid_regs *r);

#endif
