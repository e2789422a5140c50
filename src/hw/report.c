/*
 * report.c — the hardware report: CPU and memory, then every backend name
 * the seed spec promises (llama_cpp, qualcomm, apple, cpu, gpu, cuda,
 * openvino, optimum, webnn) plus rocm and opencl, each available or absent
 * with the reason, with measured figures where we measured them.
 *
 * "available" means ipfs_accelerate can run models there now: the cpu
 * backend is; a probe that finds hardware without a backend of ours lists
 * the devices and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/gemm.h"
#include "hw/hw.h"
#include "hw/measure.h"
#include "util/error.h"

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

/* Probes, then adds the backend `name`. A probe's "available" means a test
 * computation ran on the device; the backend is available only if we also
 * have an executor for it, and none of these has one yet — so a usable
 * device is listed with a reason that says exactly that. The caller
 * deletes out->devices. */
static void add_probe(cJSON *list, const char *name, void (*probe)(ia_hw_probe *), ia_hw_probe *out) {
    char reason[sizeof out->reason + 96];
    memset(out, 0, sizeof *out);
    out->name = name;
    probe(out);
    if (out->available)
        snprintf(reason, sizeof reason, "device works (test computation passed), but ipfs_accelerate has no "
                 "%s backend yet", name);
    else
        snprintf(reason, sizeof reason, "%s", out->reason[0] ? out->reason : "unknown");
    cJSON_AddItemToArray(list, backend_json(name, 0, reason, cJSON_Duplicate(out->devices, 1), 0, 0));
}

ia_status ia_hw_report_json(int bench_level, int threads, char **json_out) {
    ia_hw_cpu cpu;
    ia_hw_cpu_figures fig;
    ia_hw_probe cuda, rocm, ov, qnn, ocl, mps;
    cJSON *root = NULL, *list, *dev, *meas;
    ia_status st;
    char reason[256];
    if (!json_out) return ia_error(IA_ERR_INVALID_ARG, "ia_hw_report_json: json_out is NULL");
    *json_out = NULL;
    if (bench_level < IA_HW_NO_BENCH || bench_level > IA_HW_FULL_BENCH || threads < 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_hw_report_json: bench level %d / threads %d", bench_level, threads);
    if ((st = ia_hw_cpu_detect(&cpu)) != IA_OK) return st;
    if ((st = ia_hw_measure_cpu((ia_hw_bench_mode)bench_level, threads, cpu.l3_bytes ? cpu.l3_bytes : cpu.l2_bytes, &fig)) != IA_OK) return st;

    root = cJSON_CreateObject();
    if (!root) return ia_error(IA_ERR_NOMEM, "hardware report");
    cJSON_AddStringToObject(root, "version", ia_version());
    cJSON_AddItemToObject(root, "cpu", ia_hw_cpu_json(&cpu));
    cJSON_AddItemToObject(root, "memory", ia_hw_memory_json(&cpu));
    meas = cJSON_AddObjectToObject(root, "measurement");
    cJSON_AddStringToObject(meas, "mode", bench_level == IA_HW_FULL_BENCH ? "full"
                                          : bench_level == IA_HW_QUICK_BENCH ? "quick" : "none");
    if (bench_level != IA_HW_NO_BENCH) {
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%dx%d", fig.gemm_m, fig.gemm_n, fig.gemm_k);
        cJSON_AddStringToObject(meas, "gemm_shape", shape);
        cJSON_AddNumberToObject(meas, "threads", fig.threads);
        if (fig.gemm_gflops_1thread > 0) cJSON_AddNumberToObject(meas, "gemm_gflops_1thread", fig.gemm_gflops_1thread);
        cJSON_AddNumberToObject(meas, "memory_buffer_mib", fig.mem_buffer_mib);
        cJSON_AddNumberToObject(meas, "seconds", fig.seconds);
    }
    list = cJSON_AddArrayToObject(root, "backends");

    cJSON_AddItemToArray(list, backend_json("llama_cpp", 0,
        "no llama.cpp backend: ipfs_accelerate runs models with its own kernels", NULL, 0, 0));
    add_probe(list, "qualcomm", ia_hw_probe_qnn, &qnn);
    add_probe(list, "apple", ia_hw_probe_mps, &mps);

    dev = cJSON_CreateArray();
    {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "name", cpu.model[0] ? cpu.model : cpu.arch);
        cJSON_AddNumberToObject(d, "threads", cpu.threads);
        cJSON_AddStringToObject(d, "kernel", ia_sgemm_kernel_name());
        cJSON_AddItemToArray(dev, d);
    }
    cJSON_AddItemToArray(list, backend_json("cpu", 1, "", dev, fig.gemm_gflops, fig.mem_gbps));

    add_probe(list, "cuda", ia_hw_probe_cuda, &cuda);
    add_probe(list, "rocm", ia_hw_probe_rocm, &rocm);
    /* "gpu" is the seed's alias for the first GPU backend that can run. */
    snprintf(reason, sizeof reason, "no GPU backend is available (see cuda and rocm)");
    cJSON_AddItemToArray(list, backend_json("gpu", 0, reason, NULL, 0, 0));
    add_probe(list, "openvino", ia_hw_probe_openvino, &ov);
    add_probe(list, "opencl", ia_hw_probe_opencl, &ocl);
    cJSON_AddItemToArray(list, backend_json("optimum", 0,
        "Hugging Face Optimum is a Python library; the C core has no Optimum backend", NULL, 0, 0));
    cJSON_AddItemToArray(list, backend_json("webnn", 0,
        "WebNN exists only in browsers (the JavaScript SDK); this is a native build", NULL, 0, 0));

    cJSON_Delete(cuda.devices);
    cJSON_Delete(rocm.devices);
    cJSON_Delete(ov.devices);
    cJSON_Delete(qnn.devices);
    cJSON_Delete(ocl.devices);
    cJSON_Delete(mps.devices);
    *json_out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    /* cJSON allocates with malloc, so ia_free() (free) releases it. */
    return *json_out ? IA_OK : ia_error(IA_ERR_NOMEM, "hardware report");
}
