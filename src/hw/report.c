/*
 * report.c — the hardware report: CPU and memory, the machine id, then
 * every backend name the seed spec promises (llama_cpp, qualcomm, apple,
 * cpu, gpu, cuda, openvino, optimum, webnn) plus rocm and opencl, each
 * available or absent with the reason, with measured figures where we
 * measured them.
 *
 * "available" means ipfs_accelerate can run models there now. A name with
 * a registered device kind (backends/registry.c) is reported from that
 * kind: its probe, its devices' properties, and GEMM GFLOP/s measured
 * through the backend interface (measure.c) — nothing here knows a kernel.
 * A name without one is reported from the (cached) hardware probe: a
 * probe that finds a working device lists it and says there is no backend
 * for it yet. The reference executor ("ref") is not an accelerator and is
 * not listed; kinds registered later under names the seed does not know
 * are appended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hw.h"
#include "hw/measure.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/threadpool.h"

static cJSON *backend_json(const char *name, int available, const char *reason, cJSON *devices,
                           double gflops, double gbps) {
    cJSON *b = cJSON_CreateObject();
    if (!b) {
        cJSON_Delete(devices);
        return NULL;
    }
    cJSON_AddStringToObject(b, "name", name);
    cJSON_AddBoolToObject(b, "available", available);
    cJSON_AddStringToObject(b, "reason", available ? "" : reason);
    cJSON_AddItemToObject(b, "devices", devices ? devices : cJSON_CreateArray());
    if (gflops > 0) cJSON_AddNumberToObject(b, "gflops", gflops);
    else cJSON_AddNullToObject(b, "gflops");
    if (gbps > 0) cJSON_AddNumberToObject(b, "gbps", gbps);
    else cJSON_AddNullToObject(b, "gbps");
    return b;
}

/* The name of a kind's kernels ("avx512"): an executor's own answer. */
static void kernel_of(const ia_backend_ops *kind, int device, char *buf, size_t cap) {
    ia_backend_config cfg;
    ia_backend *b = NULL;
    ia_backend_config_init(&cfg);
    cfg.device = device;
    buf[0] = '\0';
    if (kind->init(&cfg, &b) == IA_OK && b->iface->kernel_name) snprintf(buf, cap, "%s", b->iface->kernel_name(b));
    ia_backend_free(b);
    ia_error_clear();
}

typedef struct report_ctx {
    ia_hw_bench_mode mode;
    int threads;
    long long llc_bytes;
    double mem_gbps, mem_mib; /* host memory, measured once */
    int mem_done;
    double host_1thread;      /* FULL: one-thread GFLOP/s of the first host kind */
    int any_accelerator;      /* a usable kind with its own memory */
} report_ctx;

/* A registered kind's entry: devices from device_props, measured figures. */
static ia_status add_kind(cJSON *list, const ia_backend_ops *kind, report_ctx *rc) {
    char reason[256], kernel[64], measure_error[512] = "";
    int available = kind->probe(reason, sizeof reason), n = available ? kind->device_count() : 0, host = 0;
    double gflops = 0.0, gbps = 0.0;
    cJSON *devs = cJSON_CreateArray();
    ia_status st;
    if (!devs) return ia_error(IA_ERR_NOMEM, "hardware report");
    for (int d = 0; d < n; d++) {
        ia_device_props p;
        cJSON *o = cJSON_CreateObject();
        memset(&p, 0, sizeof p);
        p.struct_size = sizeof p;
        if (!o || !cJSON_AddItemToArray(devs, o)) {
            cJSON_Delete(o);
            cJSON_Delete(devs);
            return ia_error(IA_ERR_NOMEM, "hardware report");
        }
        if (kind->device_props(d, &p) != IA_OK) {
            cJSON_AddStringToObject(o, "error", ia_last_error());
            ia_error_clear();
            continue;
        }
        kernel_of(kind, d, kernel, sizeof kernel);
        cJSON_AddNumberToObject(o, "index", d);
        cJSON_AddStringToObject(o, "name", p.name);
        if (p.memory_total > 0) cJSON_AddNumberToObject(o, "memory_bytes", (double)p.memory_total);
        if (p.max_threads > 0) cJSON_AddNumberToObject(o, "threads", p.max_threads);
        if (kernel[0]) cJSON_AddStringToObject(o, "kernel", kernel);
        {
            cJSON *prec = cJSON_AddArrayToObject(o, "precisions");
            for (int q = IA_PRECISION_FP32; prec && q <= IA_PRECISION_INT2; q++)
                if (p.precisions & (1u << q)) cJSON_AddItemToArray(prec, cJSON_CreateString(ia_precision_name((ia_precision)q)));
        }
        if (d == 0) host = p.host_memory;
        if (!p.host_memory) rc->any_accelerator = 1;
    }
    if (available && n > 0 && rc->mode != IA_HW_BENCH_NONE) {
        double min_s = rc->mode == IA_HW_BENCH_FULL ? 0.1 : 0.02;
        int reps = rc->mode == IA_HW_BENCH_FULL ? 7 : 3;
        st = ia_hw_measure_linear(kind, 0, rc->threads, IA_HW_GEMM_M, IA_HW_GEMM_N, IA_HW_GEMM_K, reps, min_s, &gflops);
        if (st == IA_OK && rc->mode == IA_HW_BENCH_FULL && host && rc->host_1thread == 0.0)
            st = ia_hw_measure_linear(kind, 0, 1, IA_HW_GEMM_M, IA_HW_GEMM_N, IA_HW_GEMM_K, reps, min_s,
                                      &rc->host_1thread);
        if (st == IA_OK && host) {
            if (!rc->mem_done) {
                st = ia_hw_measure_host_memory(rc->mode, rc->threads, rc->llc_bytes, &rc->mem_gbps, &rc->mem_mib);
                rc->mem_done = 1;
            }
            gbps = rc->mem_gbps;
        }
        if (st == IA_ERR_NOMEM) {
            cJSON_Delete(devs);
            return ia_error_prefix(st, "measuring %s", kind->name);
        }
        if (st != IA_OK) { /* a kind that cannot be measured is still reported, with why */
            snprintf(measure_error, sizeof measure_error, "%s", ia_last_error());
            ia_error_clear();
            gflops = gbps = 0.0;
        }
    }
    {
        cJSON *b = backend_json(kind->name, available, reason, devs, gflops, gbps);
        if (b && measure_error[0]) cJSON_AddStringToObject(b, "measure_error", measure_error);
        cJSON_AddItemToArray(list, b);
    }
    return IA_OK;
}

/* A name without a registered kind: the cached probe's answer. A probe's
 * "available" means a test computation ran on the device; the backend is
 * still absent, because we have no executor for it yet. */
static void add_probe(cJSON *list, const char *name) {
    char reason[sizeof ((ia_hw_probe *)0)->reason + 96];
    ia_hw_probe p;
    if (ia_hw_probe_cached(name, &p) != IA_OK) {
        cJSON_AddItemToArray(list, backend_json(name, 0, ia_last_error(), NULL, 0, 0));
        ia_error_clear();
        cJSON_Delete(p.devices);
        return;
    }
    if (p.available)
        snprintf(reason, sizeof reason, "device works (test computation passed), but ipfs_accelerate has no "
                 "%s backend yet", name);
    else
        snprintf(reason, sizeof reason, "%s", p.reason[0] ? p.reason : "unknown");
    cJSON_AddItemToArray(list, backend_json(name, 0, reason, p.devices, 0, 0));
}

static const struct {
    const char *name, *reason; /* reason: for names neither registered nor probed */
} seed_names[] = {
    {"llama_cpp", "no llama.cpp backend: ipfs_accelerate runs models with its own kernels"},
    {"qualcomm", NULL},
    {"apple", NULL},
    {"cpu", "no cpu backend in this build"},
    {"gpu", NULL},
    {"cuda", NULL},
    {"rocm", NULL},
    {"openvino", NULL},
    {"opencl", NULL},
    {"optimum", "Hugging Face Optimum is a Python library; the C core has no Optimum backend"},
    {"webnn", "WebNN exists only in browsers (the JavaScript SDK); this is a native build"},
};
#define N_SEED (sizeof seed_names / sizeof seed_names[0])

static int is_seed_name(const char *name) {
    for (size_t i = 0; i < N_SEED; i++)
        if (strcmp(name, seed_names[i].name) == 0) return 1;
    return 0;
}

ia_status ia_hw_report_json(int bench_level, int threads, char **json_out) {
    ia_hw_cpu cpu;
    report_ctx rc;
    cJSON *root = NULL, *list, *meas;
    const ia_backend_ops *const *kinds = ia_backend_list();
    char id[IA_MACHINE_ID_LEN + 1], basis[1024];
    double t0 = ia_now_sec();
    ia_status st;
    if (!json_out) return ia_error(IA_ERR_INVALID_ARG, "ia_hw_report_json: json_out is NULL");
    *json_out = NULL;
    if (bench_level < IA_HW_NO_BENCH || bench_level > IA_HW_FULL_BENCH || threads < 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_hw_report_json: bench level %d / threads %d", bench_level, threads);
    if ((st = ia_hw_cpu_detect(&cpu)) != IA_OK) return st;
    if ((st = ia_hw_machine_id(id, basis, sizeof basis)) != IA_OK) return st;
    memset(&rc, 0, sizeof rc);
    rc.mode = (ia_hw_bench_mode)bench_level;
    rc.threads = threads;
    rc.llc_bytes = cpu.l3_bytes ? cpu.l3_bytes : cpu.l2_bytes;

    root = cJSON_CreateObject();
    if (!root) return ia_error(IA_ERR_NOMEM, "hardware report");
    cJSON_AddStringToObject(root, "version", ia_version());
    cJSON_AddStringToObject(root, "machine_id", id);
    cJSON_AddStringToObject(root, "machine_id_basis", basis);
    cJSON_AddItemToObject(root, "cpu", ia_hw_cpu_json(&cpu));
    cJSON_AddItemToObject(root, "memory", ia_hw_memory_json(&cpu));
    meas = cJSON_AddObjectToObject(root, "measurement");
    list = cJSON_AddArrayToObject(root, "backends");
    if (!meas || !list) {
        cJSON_Delete(root);
        return ia_error(IA_ERR_NOMEM, "hardware report");
    }

    for (size_t i = 0; i < N_SEED; i++) {
        const char *name = seed_names[i].name;
        const ia_backend_ops *kind = ia_backend_find(name);
        if (kind && !ia_hw_kind_is_oracle(kind)) {
            if ((st = add_kind(list, kind, &rc)) != IA_OK) goto fail;
        } else if (strcmp(name, "gpu") == 0) {
            continue; /* after every kind is known, below */
        } else if (ia_hw_probe_known(name)) {
            add_probe(list, name);
        } else {
            cJSON_AddItemToArray(list, backend_json(name, 0, seed_names[i].reason, NULL, 0, 0));
        }
    }
    for (int k = 0; kinds[k]; k++) /* kinds the seed does not name */
        if (!ia_hw_kind_is_oracle(kinds[k]) && !is_seed_name(kinds[k]->name) && (st = add_kind(list, kinds[k], &rc)) != IA_OK)
            goto fail;
    /* "gpu" is the seed's alias for the first kind with its own memory. */
    cJSON_AddItemToArray(list, backend_json("gpu", rc.any_accelerator,
                                            "no GPU backend is available (see cuda and rocm)", NULL, 0, 0));

    cJSON_AddStringToObject(meas, "mode", bench_level == IA_HW_FULL_BENCH ? "full"
                                          : bench_level == IA_HW_QUICK_BENCH ? "quick" : "none");
    if (bench_level != IA_HW_NO_BENCH) {
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%dx%d", IA_HW_GEMM_M, IA_HW_GEMM_N, IA_HW_GEMM_K);
        cJSON_AddStringToObject(meas, "gemm_shape", shape);
        cJSON_AddStringToObject(meas, "gemm_how", "one LINEAR node through each kind's executor and the scheduler");
        cJSON_AddNumberToObject(meas, "threads", threads ? threads : ia_pool_size(ia_pool_global()));
        if (rc.host_1thread > 0) cJSON_AddNumberToObject(meas, "gemm_gflops_1thread", rc.host_1thread);
        if (rc.mem_mib > 0) cJSON_AddNumberToObject(meas, "memory_buffer_mib", rc.mem_mib);
        cJSON_AddNumberToObject(meas, "seconds", ia_now_sec() - t0);
    }
    *json_out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    /* cJSON allocates with malloc, so ia_free() (free) releases it. */
    return *json_out ? IA_OK : ia_error(IA_ERR_NOMEM, "hardware report");
fail:
    cJSON_Delete(root);
    return st;
}
