/*
 * vec.c — picks the row-kernel variant for this CPU.
 */
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/vec.h"

#if defined(__x86_64__) || defined(__i386__)
extern const ia_vec_ops ia_vec_ops_avx512_table;
#endif

const ia_vec_ops *ia_vec_ops_avx512(void) {
#if defined(__x86_64__) || defined(__i386__)
    /* vec_avx512.c is compiled with the same ISA flags as gemm_avx512.c, so
     * it needs the same set (the compiler may use any of them). */
    ia_cpu_features f = ia_cpu_features_get();
    if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.fma && f.avx2 && f.f16c)
        return &ia_vec_ops_avx512_table;
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
