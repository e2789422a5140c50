/*
 * hw.h — hardware detection: what this machine has, measured, never from a
 * table. Each part fills a cJSON object (the report behind `ipfs-accelerate
 * hw --json`); absent hardware is reported with the exact reason.
 */
#ifndef IA_HW_HW_H
#define IA_HW_HW_H

#include <cjson/cJSON.h>

#include "backends/backend.h"
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

/* Probes one accelerator kind. Each fills p (name set by the caller).
 * These run the probe every time; everything outside the tests reads the
 * cached results (ia_hw_probe_cached) instead. */
void ia_hw_probe_cuda(ia_hw_probe *p);     /* libcuda.so.1 + NVML        */
void ia_hw_probe_rocm(ia_hw_probe *p);     /* libamdhip64.so             */
void ia_hw_probe_openvino(ia_hw_probe *p); /* libopenvino_c.so           */
void ia_hw_probe_qnn(ia_hw_probe *p);      /* libQnnHtp.so / libQnnCpu.so */
void ia_hw_probe_opencl(ia_hw_probe *p);   /* libOpenCL.so.1 ICD loader  */
void ia_hw_probe_mps(ia_hw_probe *p);      /* macOS only                 */

/* ---- the probes, once per process (probe_cache.c) ---- */

/* 1 when `name` is a probed kind: cuda, rocm, openvino, qualcomm, opencl,
 * apple, or an alias (gpu = cuda, qnn = qualcomm, mps = apple). */
int ia_hw_probe_known(const char *name);

/* The probe's result for `name`, run the first time any thread asks and
 * cached for the life of the process (thread-safe: concurrent first
 * callers wait for the one probe). *out gets a copy: out->name and reason
 * are the cache's, out->devices a duplicate the caller deletes
 * (cJSON_Delete). IA_ERR_NOT_FOUND for an unknown name. */
ia_status ia_hw_probe_cached(const char *name, ia_hw_probe *out);

/* How many probes have really run in this process (every probe_*.c entry
 * counts, cached or not): what tests assert to prove that a cpu open
 * probes nothing and that the cache probes each kind once. */
long ia_hw_probe_runs(void);

/* Forgets the cached results, so the next ask probes again. For tests
 * only; safe against concurrent askers. */
void ia_hw_probe_cache_clear(void);

/* Why `name` cannot run models here: the cached probe's reason for a
 * probed kind (or that its device works but has no backend yet), else
 * that no backend has that name, listing the kinds that can run. */
void ia_hw_absence_reason(const char *name, char *buf, size_t cap);

/* ---- device kinds that run models (devices.c) ---- */

/* 1 for the reference executor ("ref"): the portable oracle. It is never
 * a default device, never chosen for speed, never reported as an
 * accelerator; it runs only when asked for by name. */
int ia_hw_kind_is_oracle(const ia_backend_ops *kind);

/* The registered kinds whose probe says they run here, the oracle left
 * out, in the registry's preference order: every default list of devices
 * (Worker endpoints, benchmark devices, the heuristic's candidates).
 * Returns how many were written (at most cap). */
int ia_hw_usable_kinds(const ia_backend_ops **out, int cap);

/* 1 when `name` is one of ia_hw_usable_kinds. */
int ia_hw_kind_usable(const char *name);

/* ---- this machine (machine_id.c) ---- */

#define IA_MACHINE_ID_LEN 16 /* hex chars */

/* This machine's id: the first 8 bytes (16 hex chars) of SHA-256 over the
 * CPU (architecture, model string, cores, logical CPUs), the installed
 * memory rounded to a GiB and the names of the GPUs the cuda and rocm
 * probes find. Stable across reboots and processes; computed once per
 * process. text (may be NULL) receives what was hashed, for the report. */
ia_status ia_hw_machine_id(char id[IA_MACHINE_ID_LEN + 1], char *text, size_t text_cap);

/* ---- device choice (select.c) ---- */

typedef struct ia_hw_candidate {
    const char *kind;       /* registered kind ("cpu", "cuda") */
    int device;             /* index among the kind's devices */
    char name[128];         /* device_props name */
    int host_memory;        /* computes in host memory (a CPU) */
    long long memory_bytes; /* accelerator: free (else total) device memory;
                               host: available RAM; 0 = unknown */
} ia_hw_candidate;

/* Every device of every usable kind (the oracle left out) with its
 * properties. Returns how many were written (at most cap). */
int ia_hw_candidates(ia_hw_candidate *out, int cap);

/* The heuristic rule over candidates (select.c's header says it in full):
 * accelerators must hold the weights with 20 % to spare; batch >= 8 or
 * >= 256 MiB of weights goes to the qualifying accelerator with the most
 * memory, less work to the first host device. Returns the index chosen or
 * -1; `why` says "heuristic (rule: ...)" and which rule decided. */
int ia_hw_pick(const ia_hw_candidate *c, int n, int batch, long long weight_bytes, char *why, size_t cap);

/* The heuristic device choice over this machine's candidates (no
 * measured results consulted, nothing measured, no hardware probed but
 * the registered kinds): writes the device ("cpu", "cuda:1") and the
 * sentence. batch 0 counts as 1. IA_ERR_UNAVAILABLE when no device
 * qualifies. */
ia_status ia_hw_select_heuristic(const char *model_ref, const char *task, int batch, long long weight_bytes,
                                 char *device, size_t device_cap, char *why, size_t why_cap);

#endif
