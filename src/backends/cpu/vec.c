/*
 * vec.c — whether this CPU runs the AVX-512 row kernels. The CPU backend
 * pairs them with its GEMM variant (cpu_backend.c), which also honours
 * IA_KERNEL.
 */
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
