/*
 * cpu_info_impl.h — the parts behind ia_hw_cpu_detect(), one file each:
 * cpu_info_x86.c (cpuid), cpu_info_arm.c (getauxval), cpu_topology.c
 * (sysfs/procfs). Every part compiles on every target and does nothing
 * where it does not apply, so cpu_info.c calls them all without #ifdefs.
 */
#ifndef IA_HW_CPU_INFO_IMPL_H
#define IA_HW_CPU_INFO_IMPL_H

#include "hw/hw.h"

/* Appends a borrowed constant flag name; silently drops it when the array
 * is full (flags[] keeps one slot for the NULL terminator). */
static inline void ia_hw_cpu_add_flag(ia_hw_cpu *cpu, const char *name) {
    int cap = (int)(sizeof cpu->flags / sizeof cpu->flags[0]) - 1;
    if (cpu->n_flags >= cap) return;
    cpu->flags[cpu->n_flags++] = name;
    cpu->flags[cpu->n_flags] = NULL;
}

/* x86: vendor, brand string and ISA flags from cpuid + XCR0. No-op
 * elsewhere. */
void ia_hw_cpu_detect_x86(ia_hw_cpu *cpu);

/* aarch64 Linux: ISA flags from AT_HWCAP/AT_HWCAP2. No-op elsewhere. */
void ia_hw_cpu_detect_arm(ia_hw_cpu *cpu);

/* Linux sysfs: sockets, cores, numa_nodes and cpu0's caches. Missing files
 * leave fields 0. IA_ERR_NOMEM only if the core table cannot grow. */
ia_status ia_hw_cpu_detect_topology(ia_hw_cpu *cpu);

/* /proc/meminfo MemTotal/MemAvailable, else sysconf page counts. */
void ia_hw_cpu_detect_memory(ia_hw_cpu *cpu);

#endif
