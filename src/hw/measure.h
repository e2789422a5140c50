/*
 * measure.h — micro-benchmarks behind the hardware report's figures:
 * fp32 GEMM GFLOP/s at a model-like shape with our own kernels, and memory
 * bandwidth. Measured on every call, never looked up.
 */
#ifndef IA_HW_MEASURE_H
#define IA_HW_MEASURE_H

#include "ipfs_accelerate.h"

typedef enum ia_hw_bench_mode {
    IA_HW_BENCH_NONE = 0,  /* no measurement */
    IA_HW_BENCH_QUICK = 1, /* well under 2 s in all */
    IA_HW_BENCH_FULL = 2,  /* longer runs, bigger buffers, 1 and N threads */
} ia_hw_bench_mode;

typedef struct ia_hw_cpu_figures {
    double gemm_gflops;          /* all threads */
    double gemm_gflops_1thread;  /* FULL only (0 otherwise) */
    int gemm_m, gemm_n, gemm_k;  /* the shape measured */
    double mem_gbps;             /* bytes read + written per second, all threads */
    double mem_buffer_mib;       /* size of each buffer streamed */
    int threads;
    double seconds;              /* wall time of the measurement */
} ia_hw_cpu_figures;

/* Runs the CPU micro-benchmarks with `threads` threads (0 = the process's
 * pool, ia_pool_global: the CPUs it may use).
 * llc_bytes: the last-level cache size (0 = unknown); the bandwidth
 * buffers are made twice that (64–512 MiB each) so they stream from DRAM. */
ia_status ia_hw_measure_cpu(ia_hw_bench_mode mode, int threads, long long llc_bytes,
                            ia_hw_cpu_figures *out);

#endif
