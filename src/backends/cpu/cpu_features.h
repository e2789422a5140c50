/*
 * cpu_features.h — which x86 SIMD extensions this CPU *and* its OS support.
 *
 * The SIMD kernels live in files compiled with ISA flags (*_avx2.c,
 * *_avx512.c, *_vnni.c); the dispatchers consult this before calling any of them, so
 * the library runs on any x86-64 and on non-x86 targets (wasm32, arm64),
 * where every flag reads false.
 */
#ifndef IA_BACKENDS_CPU_CPU_FEATURES_H
#define IA_BACKENDS_CPU_CPU_FEATURES_H

#include <stdbool.h>

typedef struct ia_cpu_features {
    bool avx2;     /* AVX2, with YMM state enabled by the OS */
    bool fma;      /* FMA3 */
    bool f16c;
    bool avx512f;  /* AVX-512 Foundation, with opmask+ZMM state enabled */
    bool avx512bw;
    bool avx512vl;
    bool avx512dq;
    bool avx512vnni; /* vpdpbusd: int8 dot products (Cascade Lake and later) */
} ia_cpu_features;

/* Detected on the first call (cpuid + xgetbv) and cached; safe from any
 * thread. Later calls cost one atomic load. */
ia_cpu_features ia_cpu_features_get(void);

#endif
