/*
 * vec.c — picks the row-kernel variant for this CPU.
 */
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/vec.h"

#if defined(__x86_64__) || defined(__i386__)
extern const ia_vec_ops ia_vec_ops_avx512_table;
#endif

const ia_vec_ops *ia_vec_ops_avx512(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return &ia_vec_ops_avx512_table;
#endif
    return NULL;
}

const ia_vec_ops *ia_vec_ops_get(void) {
    /* Cheap (cpuid + getenv); the CPU backend calls it once per context. */
    const char *force = getenv("IA_KERNEL");
    const ia_vec_ops *best = ia_vec_ops_avx512();
    if (!best || (force && (strcmp(force, "generic") == 0 || strcmp(force, "avx2") == 0)))
        best = ia_vec_ops_generic();
    return best;
}
