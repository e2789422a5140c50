/*
 * cpu_info_arm.c — aarch64 ISA flags for the hardware report, from the
 * kernel's hwcaps (getauxval), named as /proc/cpuinfo's "Features" line
 * names them: asimd, asimddp, sve, i8mm. The kernel sets a hwcap only when
 * it also enables the feature for user space, so no further OS check is
 * needed (unlike XCR0 on x86). Vendor/model are left to the /proc/cpuinfo
 * fallback in cpu_info.c: aarch64 has no user-readable brand string.
 */
#include "hw/cpu_info_impl.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>

/* Bit numbers from the kernel's uapi asm/hwcap.h, spelled out so that an
 * old libc header without them still builds. */
#define IA_HWCAP_ASIMD (1ul << 1)
#define IA_HWCAP_ASIMDDP (1ul << 20)
#define IA_HWCAP_SVE (1ul << 22)
#define IA_HWCAP2_I8MM (1ul << 13)

void ia_hw_cpu_detect_arm(ia_hw_cpu *cpu) {
    unsigned long hw = getauxval(AT_HWCAP);
    unsigned long hw2 = getauxval(AT_HWCAP2);
    if (hw & IA_HWCAP_ASIMD) ia_hw_cpu_add_flag(cpu, "asimd");
    if (hw & IA_HWCAP_ASIMDDP) ia_hw_cpu_add_flag(cpu, "asimddp");
    if (hw & IA_HWCAP_SVE) ia_hw_cpu_add_flag(cpu, "sve");
    if (hw2 & IA_HWCAP2_I8MM) ia_hw_cpu_add_flag(cpu, "i8mm");
}

#else

void ia_hw_cpu_detect_arm(ia_hw_cpu *cpu) { (void)cpu; }

#endif
