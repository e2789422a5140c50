/*
 * cpu_info_x86.c — x86 vendor, brand string and ISA flags for the hardware
 * report, from cpuid and XCR0.
 *
 * Rule for the flags: a flag is reported only when the CPU has it *and*
 * the OS saves its register state (XCR0, read with XGETBV): bits 1,2 for
 * AVX-class (avx, avx2, fma, f16c — all VEX/YMM encoded), bits 5,6,7 for
 * AVX-512, bits 17,18 for AMX. Linux does the same (it clears a feature
 * whose xstate the kernel did not enable, and its dependants, per
 * arch/x86/kernel/cpu/cpuid-deps.c), so the list matches /proc/cpuinfo.
 * Following those deps too: avx512_vnni and avx512_bf16 need avx512vl,
 * avx512_fp16 needs avx512bw, amx_tile needs XFD (CPUID.(0xD,1):EAX[4]),
 * amx_int8/amx_bf16 need amx_tile. On Linux a process must still ask for
 * AMX state with arch_prctl(ARCH_REQ_XCOMP_PERM) before using it; that is
 * the kernel's per-process gate (XFD) and not reported here.
 *
 * The GEMM dispatch has its own minimal copy (backends/cpu/cpu_features.c);
 * this one is descriptive and wider, and the tests check the two agree.
 */
#include "hw/cpu_info_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <string.h>

/* Inline asm, not _xgetbv(): that intrinsic needs -mxsave, and this file
 * is compiled without ISA flags. Only valid when CPUID.1:ECX.OSXSAVE. */
static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static int bit(unsigned reg, int n) { return (int)((reg >> n) & 1u); }

/* Copies the 48-byte brand string (leaves 0x80000002..4), trimmed at both
 * ends as /proc/cpuinfo shows it. */
static void brand_string(char *dst, size_t cap) {
    unsigned r[12];
    char raw[49];
    unsigned max_ext = __get_cpuid_max(0x80000000u, NULL);
    if (max_ext < 0x80000004u) return;
    for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002u + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2],
                    &r[4 * i + 3]);
    memcpy(raw, r, 48);
    raw[48] = '\0';
    char *s = raw;
    while (*s == ' ') s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

void ia_hw_cpu_detect_x86(ia_hw_cpu *cpu) {
    unsigned a = 0, b = 0, c = 0, d = 0, max_leaf = 0;
    unsigned l1c = 0, l7b = 0, l7c = 0, l7d = 0, l71a = 0, ldh1a = 0;
    unsigned long long xcr0 = 0;

    if (!__get_cpuid(0, &max_leaf, &b, &c, &d)) return;
    /* The vendor string is EBX, EDX, ECX in that order ("GenuineIntel"). */
    memcpy(cpu->vendor, &b, 4);
    memcpy(cpu->vendor + 4, &d, 4);
    memcpy(cpu->vendor + 8, &c, 4);
    cpu->vendor[12] = '\0';
    brand_string(cpu->model, sizeof cpu->model);

    if (max_leaf >= 1) __get_cpuid(1, &a, &b, &l1c, &d);
    if (max_leaf >= 7) {
        __get_cpuid_count(7, 0, &a, &l7b, &l7c, &l7d);
        if (a >= 1) __get_cpuid_count(7, 1, &l71a, &b, &c, &d);
    }
    if (max_leaf >= 0xD) __get_cpuid_count(0xD, 1, &ldh1a, &b, &c, &d);
    if (bit(l1c, 27)) xcr0 = xgetbv0(); /* OSXSAVE: XGETBV allowed */

    int os_ymm = (xcr0 & 0x6) == 0x6;
    int os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    int os_amx = (xcr0 & 0x60000ull) == 0x60000ull;

    int avx = os_ymm && bit(l1c, 28);
    int avx512f = avx && os_zmm && bit(l7b, 16);
    int avx512bw = avx512f && bit(l7b, 30);
    int avx512vl = avx512f && bit(l7b, 31);
    int amx_tile = os_amx && bit(ldh1a, 4) && bit(l7d, 24);

    if (bit(l1c, 20)) ia_hw_cpu_add_flag(cpu, "sse4_2");
    if (avx) ia_hw_cpu_add_flag(cpu, "avx");
    if (avx && bit(l7b, 5)) ia_hw_cpu_add_flag(cpu, "avx2");
    if (avx && bit(l1c, 12)) ia_hw_cpu_add_flag(cpu, "fma");
    if (avx && bit(l1c, 29)) ia_hw_cpu_add_flag(cpu, "f16c");
    if (avx512f) ia_hw_cpu_add_flag(cpu, "avx512f");
    if (avx512f && bit(l7b, 17)) ia_hw_cpu_add_flag(cpu, "avx512dq");
    if (avx512bw) ia_hw_cpu_add_flag(cpu, "avx512bw");
    if (avx512vl) ia_hw_cpu_add_flag(cpu, "avx512vl");
    if (avx512vl && bit(l7c, 11)) ia_hw_cpu_add_flag(cpu, "avx512_vnni");
    if (avx512vl && bit(l71a, 5)) ia_hw_cpu_add_flag(cpu, "avx512_bf16");
    if (avx512bw && bit(l7d, 23)) ia_hw_cpu_add_flag(cpu, "avx512_fp16");
    if (amx_tile) ia_hw_cpu_add_flag(cpu, "amx_tile");
    if (amx_tile && bit(l7d, 25)) ia_hw_cpu_add_flag(cpu, "amx_int8");
    if (amx_tile && bit(l7d, 22)) ia_hw_cpu_add_flag(cpu, "amx_bf16");
}

#else

void ia_hw_cpu_detect_x86(ia_hw_cpu *cpu) { (void)cpu; }

#endif
