/*
 * cpu_info_x86.c — x86 vendor, brand string and ISA flags for the hardware
 * report.
 *
 * The flags are util/cpuid.h's decoding of CPUID and XCR0, the same
 * decoder the kernel dispatch uses (backends/cpu/cpu_features.c): a flag
 * is reported only when the CPU has it *and* the OS saves its register
 * state, following Linux's dependencies, so the list matches /proc/cpuinfo
 * for the names both know. On Linux a process must still ask for AMX state
 * with arch_prctl(ARCH_REQ_XCOMP_PERM) before using it; that is the
 * kernel's per-process gate (XFD) and not reported here.
 */
#include "hw/cpu_info_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <string.h>

#include "util/cpuid.h"

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
    unsigned b = 0, c = 0, d = 0, max_leaf = 0;
    ia_cpuid_regs regs;
    ia_cpu_flags flags;

    if (!__get_cpuid(0, &max_leaf, &b, &c, &d)) return;
    /* The vendor string is EBX, EDX, ECX in that order ("GenuineIntel"). */
    memcpy(cpu->vendor, &b, 4);
    memcpy(cpu->vendor + 4, &d, 4);
    memcpy(cpu->vendor + 8, &c, 4);
    cpu->vendor[12] = '\0';
    brand_string(cpu->model, sizeof cpu->model);

    ia_cpuid_read(&regs);
    flags = ia_cpuid_decode(&regs);
    for (int f = 0; f < IA_CPU_FLAG_COUNT; f++)
        if (ia_cpu_flags_has(flags, (ia_cpu_flag)f)) ia_hw_cpu_add_flag(cpu, ia_cpu_flag_name((ia_cpu_flag)f));
}

#else

void ia_hw_cpu_detect_x86(ia_hw_cpu *cpu) { (void)cpu; }

#endif
