/*
 * power.c — RAPL package energy (Linux powercap sysfs) and process RSS
 * (/proc/self/status); see power.h for why absence is a value.
 */
#include "bench/power.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/clock.h"

/* Reads one unsigned decimal from a sysfs file. 0, or the errno of the
 * failure (EACCES for a root-only energy_uj; EINVAL for garbage). */
static int read_u64(const char *path, uint64_t *out) {
    FILE *f = fopen(path, "r");
    if (!f) return errno ? errno : EIO;
    unsigned long long v;
    int ok = fscanf(f, "%llu", &v) == 1;
    /* Some kernels open energy_uj for everyone and refuse the read. */
    int err = ok ? 0 : (ferror(f) && errno ? errno : EINVAL);
    fclose(f);
    if (!ok) return err;
    *out = (uint64_t)v;
    return 0;
}

/* Whether /proc/cpuinfo lists the "hypervisor" flag (we run in a VM). */
static int in_vm(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int vm = 0;
    if (!f) return 0;
    while (!vm && fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5) && strstr(line, " hypervisor")) vm = 1;
    fclose(f);
    return vm;
}

/* Package domains are the top-level zones "intel-rapl:N" (one colon);
 * "intel-rapl:N:M" are their sub-domains (core, uncore, dram). */
static int is_package_zone(const char *name) {
    if (strncmp(name, "intel-rapl:", 11) != 0) return 0;
    const char *p = name + 11;
    if (!*p) return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

/* snprintf into buf; 0 if it fit, -1 if cut short. (vsnprintf: a path
 * that does not fit is reported, not silently truncated.) */
static int fmt_into(char *buf, size_t cap, const char *fmt, ...) IA_PRINTF(3, 4);
static int fmt_into(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static void set_reason(ia_bench_power *p, const char *fmt, ...) IA_PRINTF(2, 3);
static void set_reason(ia_bench_power *p, const char *fmt, ...) {
    va_list ap;
    p->available = 0;
    p->n_domains = 0;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
}

void ia_bench_power_start_at(ia_bench_power *p, const char *root) {
    DIR *d = NULL;
    struct dirent *e;
    char file[320];
    memset(p, 0, sizeof *p);
    p->t0 = ia_now_sec();
    d = opendir(root);
    if (!d) {
        if (errno == EACCES)
            set_reason(p, "RAPL not available: permission denied listing %s", root);
        else
            set_reason(p, "RAPL not available: no %s directory (%s)", root,
                       in_vm() ? "running in a VM: the hypervisor does not expose powercap"
                               : "kernel without powercap/intel_rapl, or not Linux");
        goto fail;
    }
    while ((e = readdir(d)) && p->n_domains < IA_BENCH_POWER_MAX_DOMAINS) {
        int i = p->n_domains, err;
        char name[64] = "";
        if (!is_package_zone(e->d_name)) continue;
        if (fmt_into(p->path[i], sizeof p->path[i], "%s/%s", root, e->d_name) ||
            fmt_into(file, sizeof file, "%s/name", p->path[i])) {
            set_reason(p, "RAPL not available: path under %s too long", root);
            goto fail;
        }
        FILE *f = fopen(file, "r");
        if (f) {
            if (!fgets(name, sizeof name, f)) name[0] = 0;
            fclose(f);
        }
        /* psys/platform zones also sit at the top level; count packages
         * only, or the same joules would be added twice. A zone without a
         * readable name is taken as a package (older kernels). */
        if (name[0] && strncmp(name, "package", 7) != 0) continue;
        fmt_into(file, sizeof file, "%s/energy_uj", p->path[i]); /* fits: path < 256 */
        if ((err = read_u64(file, &p->start_uj[i])) != 0) {
            if (err == EACCES || err == EPERM)
                set_reason(p, "RAPL not available: permission denied reading %s (root-only since "
                           "Linux 5.10; run as root or chmod it)", file);
            else
                set_reason(p, "RAPL not available: cannot read %s: %s", file, strerror(err));
            goto fail;
        }
        fmt_into(file, sizeof file, "%s/max_energy_range_uj", p->path[i]);
        if (read_u64(file, &p->max_uj[i]) != 0) p->max_uj[i] = 0; /* wrap then unhandled */
        p->n_domains++;
    }
    if (p->n_domains == 0) {
        set_reason(p, "RAPL not available: no intel-rapl package domain under %s (%s)", root,
                   in_vm() ? "running in a VM without RAPL" : "CPU or kernel without RAPL");
        goto fail;
    }
    p->available = 1;
    p->t0 = ia_now_sec();
fail:
    if (d) closedir(d);
}

void ia_bench_power_start(ia_bench_power *p) {
    ia_bench_power_start_at(p, "/sys/class/powercap");
}

ia_status ia_bench_power_stop(ia_bench_power *p, double *joules, double *watts) {
    ia_status st = IA_OK;
    char file[320];
    double uj = 0;
    *joules = NAN;
    *watts = NAN;
    if (!p->available) {
        st = ia_error(IA_ERR_UNAVAILABLE, "%s", p->reason);
        goto fail;
    }
    for (int i = 0; i < p->n_domains; i++) {
        uint64_t end;
        int err;
        fmt_into(file, sizeof file, "%s/energy_uj", p->path[i]);
        if ((err = read_u64(file, &end)) != 0) {
            set_reason(p, "RAPL not available: cannot read %s: %s", file, strerror(err));
            st = ia_error(IA_ERR_UNAVAILABLE, "%s", p->reason);
            goto fail;
        }
        if (end >= p->start_uj[i]) {
            uj += (double)(end - p->start_uj[i]);
        } else if (p->max_uj[i] > p->start_uj[i]) {
            /* The counter wrapped once: it counts 0..max_energy_range_uj. */
            uj += (double)(p->max_uj[i] - p->start_uj[i]) + (double)end;
        } else {
            set_reason(p, "RAPL not available: %s went backwards and max_energy_range_uj is "
                       "unknown", file);
            st = ia_error(IA_ERR_UNAVAILABLE, "%s", p->reason);
            goto fail;
        }
    }
    double dt = ia_now_sec() - p->t0;
    *joules = uj * 1e-6;
    *watts = dt > 0 ? *joules / dt : NAN;
fail:
    return st;
}

/* Value of "key:  N kB" in /proc/self/status, in bytes; -1 if absent. */
static int64_t status_kb(const char *text, const char *key) {
    const char *at = strstr(text, key);
    if (!at) return -1;
    long long kb;
    if (sscanf(at + strlen(key), " %lld", &kb) != 1) return -1;
    return (int64_t)kb * 1024;
}

ia_status ia_bench_rss(int64_t *rss, int64_t *hwm) {
    ia_status st = IA_OK;
    char buf[8192];
    size_t len;
    FILE *f = fopen("/proc/self/status", "r");
    if (rss) *rss = -1;
    if (hwm) *hwm = -1;
    if (!f) {
        st = ia_error(IA_ERR_UNAVAILABLE, "/proc/self/status: %s", strerror(errno));
        goto fail;
    }
    len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = 0;
    int64_t r = status_kb(buf, "\nVmRSS:"), h = status_kb(buf, "\nVmHWM:");
    if (r < 0 || h < 0) {
        st = ia_error(IA_ERR_UNAVAILABLE, "/proc/self/status has no VmRSS/VmHWM lines");
        goto fail;
    }
    if (rss) *rss = r;
    if (hwm) *hwm = h;
fail:
    if (f) fclose(f);
    return st;
}

int ia_bench_rss_reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}
