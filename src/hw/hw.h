/*
 * hw.h — hardware detection: what this machine has, measured, never from a
 * table. Each part fills a cJSON object (the report behind `ipfs-accelerate
 * hw --json`); absent hardware is reported with the exact reason.
 */
#ifndef IA_HW_HW_H
#define IA_HW_HW_H

#include <cjson/cJSON.h>

#include "ipfs_accelerate.h"

/* ---- CPU and memory (cpu_info.c) ---- */

typedef struct ia_hw_cpu {
    char arch[16];      /* "x86_64", "aarch64", "wasm32", ... */
    char vendor[32];    /* cpuid vendor string or /proc/cpuinfo's */
    char model[128];    /* brand string */
    int sockets, cores, threads, numa_nodes;
    long long l1d_bytes, l2_bytes, l3_bytes; /* per instance; 0 = unknown */
    long long mem_total_bytes, mem_available_bytes;
    /* ISA features, by the names /proc/cpuinfo uses (sse4_2, avx, avx2,
     * fma, f16c, avx512f, avx512bw, avx512vl, avx512dq, avx512_vnni, avx512_bf16,
     * avx512_fp16, amx_tile, amx_int8, amx_bf16; asimd, asimddp, sve,
     * i8mm on ARM), NULL-terminated; borrowed constants. */
    const char *flags[48];
    int n_flags;
} ia_hw_cpu;

/* Detects the CPU (cpuid on x86, getauxval on ARM, sysfs and /proc for the
 * topology, caches and memory). Fields it cannot read stay 0/"". */
ia_status ia_hw_cpu_detect(ia_hw_cpu *out);

/* {"arch", "vendor", "model", "sockets", "cores", "threads", "numa_nodes",
 *  "caches": {"l1d_bytes", "l2_bytes", "l3_bytes"}, "flags": [...]} and separately
 * {"total_bytes", "available_bytes"} for memory. Caller deletes. */
cJSON *ia_hw_cpu_json(const ia_hw_cpu *cpu);
cJSON *ia_hw_memory_json(const ia_hw_cpu *cpu);

/* ---- accelerators (probe_*.c) ---- */

typedef struct ia_hw_probe {
    const char *name;    /* backend name as the seed spells it */
    int available;       /* 1 only if a test computation ran */
    char reason[256];    /* why not available (empty when available) */
    cJSON *devices;      /* array of device objects; owned, may be empty */
} ia_hw_probe;

/* Probes one accelerator kind. Each fills p (name set by the caller). */
void ia_hw_probe_cuda(ia_hw_probe *p);     /* libcuda.so.1 + NVML        */
void ia_hw_probe_rocm(ia_hw_probe *p);     /* libamdhip64.so             */
void ia_hw_probe_openvino(ia_hw_probe *p); /* libopenvino_c.so           */
void ia_hw_probe_qnn(ia_hw_probe *p);      /* libQnnHtp.so / libQnnCpu.so */
void ia_hw_probe_opencl(ia_hw_probe *p);   /* libOpenCL.so.1 ICD loader  */
void ia_hw_probe_mps(ia_hw_probe *p);      /* macOS only                 */

/* ---- device choice (select.c) ---- */

typedef struct ia_hw_candidate {
    const char *name;      /* backend name */
    int available;         /* can run models now */
    double gflops, gbps;   /* measured; 0 = not measured */
    long long memory_bytes;/* device memory; 0 = unknown (no check) */
} ia_hw_candidate;

/* The documented heuristic: among available candidates whose memory holds
 * the weights with 20 % to spare, batch >= 8 takes the highest GEMM
 * GFLOP/s (compute-bound), smaller batches the highest memory GB/s
 * (weights are streamed once per token: bandwidth-bound); unmeasured
 * figures count as 0, ties go to the earlier candidate. Returns the index
 * chosen, or -1 when none qualifies; `why` says which rule decided. */
int ia_hw_pick(const ia_hw_candidate *c, int n, int batch, long long weight_bytes, char *why, size_t cap);

/* The heuristic device choice (no measured results consulted): writes the
 * device and the sentence saying why. */
ia_status ia_hw_select_heuristic(const char *model_ref, const char *task, int batch, long long weight_bytes,
                                 char *device, size_t device_cap, char *why, size_t why_cap);

/* Why backend `name` cannot run models here: the matching probe's reason
 * (cuda, rocm, openvino, opencl, qualcomm, apple) or why the name has no
 * backend at all. */
void ia_hw_absence_reason(const char *name, char *buf, size_t cap);

#endif
