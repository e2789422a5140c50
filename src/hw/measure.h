/*
 * measure.h — micro-benchmarks behind the hardware report's figures,
 * measured on every call, never looked up:
 *
 *   - fp32 GEMM GFLOP/s of any device kind, through the backend interface
 *     (a one-node LINEAR graph on an executor of that kind, run by the
 *     scheduler), so the same code measures the CPU today and a GPU
 *     backend when one registers;
 *   - host memory bandwidth (GB/s), for kinds that compute in host memory.
 */
#ifndef IA_HW_MEASURE_H
#define IA_HW_MEASURE_H

#include "backends/backend.h"
#include "ipfs_accelerate.h"

typedef enum ia_hw_bench_mode {
    IA_HW_BENCH_NONE = 0,  /* no measurement */
    IA_HW_BENCH_QUICK = 1, /* well under 2 s in all */
    IA_HW_BENCH_FULL = 2,  /* longer runs, bigger buffers, 1 and N threads */
} ia_hw_bench_mode;

/* The shape the report measures: all-MiniLM's FFN up-projection over one
 * 512-token chunk (x [512, 384] · W [1536, 384]ᵀ) — what the model runs. */
#define IA_HW_GEMM_M 512
#define IA_HW_GEMM_N 1536
#define IA_HW_GEMM_K 384

/* Best GFLOP/s of out = x·Wᵀ + b (x [m, k], W [n, k], fp32) on an executor
 * of `kind` (device index, threads per op: 0 = all), over `reps` timed
 * runs of at least min_s seconds each after one warm-up. The weight is
 * prepared as a model's weights are (prepare_weight) and the graph is
 * placed by the scheduler on that executor alone, so only the kind's own
 * kernels are timed (plus its input upload, as a model would pay).
 * Before timing, a sample of the output is compared with a host
 * computation: IA_ERR_INTERNAL if the kind computed something else;
 * IA_ERR_UNSUPPORTED if it does not run LINEAR at all. */
ia_status ia_hw_measure_linear(const ia_backend_ops *kind, int device, int threads, int m, int n, int k, int reps,
                               double min_s, double *gflops);

/* Host memory bandwidth: a copy between two buffers of twice the
 * last-level cache each (64–512 MiB; llc_bytes 0 = unknown) on `threads`
 * threads (0 = the process's pool, ia_pool_global), counted as bytes read
 * + written per second; best of the mode's repetitions.
 * *buffer_mib receives the size of each buffer. */
ia_status ia_hw_measure_host_memory(ia_hw_bench_mode mode, int threads, long long llc_bytes, double *gbps,
                                    double *buffer_mib);

#endif
