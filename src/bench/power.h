/*
 * power.h — the meters a benchmark run reads besides the clock: package
 * energy from Intel RAPL (Linux powercap) and the process's resident
 * memory from /proc/self/status.
 *
 * Why: the seed's benchmark reports energy and memory next to latency, and
 * a figure we cannot measure must say why instead of being 0. RAPL is very
 * often absent (VMs, containers, non-Linux) or root-only (energy_uj has
 * been 0400 since Linux 5.10, after the PLATYPUS side channel,
 * CVE-2020-8694), so "not available, because ..." is a normal result.
 *
 * GPU power (NVML nvmlDeviceGetTotalEnergyConsumption) is the CUDA
 * backend's to add: this file measures the CPU package only.
 */
#ifndef IA_BENCH_POWER_H
#define IA_BENCH_POWER_H

#include <stdint.h>

#include "ipfs_accelerate.h"

#define IA_BENCH_POWER_MAX_DOMAINS 8

/* A running energy measurement. Plain struct on the caller's stack; no
 * resources held between start and stop (the files are reopened). */
typedef struct ia_bench_power {
    int available;     /* 1: the package domains below are being read */
    char reason[320];  /* why not, when available == 0 */
    int n_domains;
    char path[IA_BENCH_POWER_MAX_DOMAINS][256];  /* .../intel-rapl:N */
    uint64_t start_uj[IA_BENCH_POWER_MAX_DOMAINS];
    uint64_t max_uj[IA_BENCH_POWER_MAX_DOMAINS]; /* max_energy_range_uj */
    double t0;         /* CLOCK_MONOTONIC seconds at start */
} ia_bench_power;

/* Starts measuring the energy of every RAPL package domain
 * (/sys/class/powercap/intel-rapl:N whose name is "package-*"; the
 * sub-domains core/uncore/dram are inside the package figure). Never
 * fails: when RAPL cannot be read, p->available = 0 and p->reason says
 * exactly why (no powercap directory; no package domain — a VM without
 * RAPL; permission denied). */
void ia_bench_power_start(ia_bench_power *p);

/* Same, with another powercap root (tests use a fake tree). */
void ia_bench_power_start_at(ia_bench_power *p, const char *powercap_root);

/* Ends the measurement: *joules and *watts (average over the wall time
 * since start) receive the energy of all package domains, one wrap-around
 * of each counter handled with max_energy_range_uj. When not available
 * they receive NaN and the status is IA_ERR_UNAVAILABLE with p->reason
 * (also as ia_last_error()). */
ia_status ia_bench_power_stop(ia_bench_power *p, double *joules, double *watts);

/* Resident memory of this process in bytes from /proc/self/status:
 * *rss = VmRSS, *hwm = VmHWM (the peak). Either may be NULL.
 * IA_ERR_UNAVAILABLE when /proc is not there (not Linux). */
ia_status ia_bench_rss(int64_t *rss, int64_t *hwm);

/* Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs,
 * Linux >= 4.0), so a later VmHWM is the peak of what follows. Returns 0
 * on success, -1 when the kernel does not allow it (then VmHWM stays the
 * lifetime peak). */
int ia_bench_rss_reset_peak(void);

#endif
