/*
 * select.c — choosing a model's device (the seed's get_optimal_hardware).
 *
 * This file is the heuristic half; measured results from the benchmark
 * store come first (src/bench/choose.c, which owns ia_select_device). In this build only the cpu backend can run models, so the
 * heuristic is "the only backend that can"; ia_hw_pick holds the rule over
 * measured figures that decides once a second backend registers (tested on
 * given figures). The sentence returned says which rule decided and why
 * the alternatives were not taken.
 */
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "hw/hw.h"
#include "util/error.h"

int ia_hw_pick(const ia_hw_candidate *c, int n, int batch, long long weight_bytes, char *why, size_t cap) {
    int best = -1, by_flops = batch >= 8;
    for (int i = 0; i < n; i++) {
        double score, best_score;
        if (!c[i].available) continue;
        if (c[i].memory_bytes > 0 && (double)c[i].memory_bytes < 1.2 * (double)weight_bytes) continue;
        if (best < 0) {
            best = i;
            continue;
        }
        score = by_flops ? c[i].gflops : c[i].gbps;
        best_score = by_flops ? c[best].gflops : c[best].gbps;
        if (score > best_score) best = i;
    }
    if (best < 0)
        snprintf(why, cap, "heuristic: no available device holds %lld bytes of weights", weight_bytes);
    else if (by_flops)
        snprintf(why, cap, "heuristic: %s has the highest measured GEMM throughput (%.1f GFLOP/s) of the available "
                 "devices, which decides for batch %d", c[best].name, c[best].gflops, batch);
    else
        snprintf(why, cap, "heuristic: %s has the highest measured memory bandwidth (%.1f GB/s) of the available "
                 "devices, which decides for batch %d", c[best].name, c[best].gbps, batch);
    return best;
}

ia_status ia_hw_select_heuristic(const char *model_ref, const char *task, int batch, long long weight_bytes,
                                 char *device, size_t device_cap, char *why, size_t why_cap) {
    const ia_backend_ops *const *list = ia_backend_list();
    const ia_backend_ops *best = NULL;
    ia_hw_probe cuda;
    char reason[256];
    if (!device || device_cap == 0 || !why || why_cap == 0 || batch < 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_select_device: bad arguments");
    (void)model_ref, (void)task, (void)weight_bytes;
    /* Accelerators first (none is registered in this build), CPU last; the
     * ref oracle is never chosen for speed. */
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i]->name, "cpu") != 0 && strcmp(list[i]->name, "ref") != 0 && list[i]->probe(reason, sizeof reason))
            best = list[i];
    if (!best) best = ia_backend_find("cpu");
    snprintf(device, device_cap, "%s", best->name);
    /* Say why no GPU was taken: the probe's exact reason. */
    memset(&cuda, 0, sizeof cuda);
    cuda.name = "cuda";
    ia_hw_probe_cuda(&cuda);
    snprintf(why, why_cap,
             "heuristic (no measured results stored): %s is the only backend that can run models here; "
             "cuda: %s",
             best->name, cuda.available ? "GPU works, but there is no CUDA backend yet" : cuda.reason);
    cJSON_Delete(cuda.devices);
    return IA_OK;
}

void ia_hw_absence_reason(const char *name, char *buf, size_t cap) {
    static const struct {
        const char *name;
        void (*probe)(ia_hw_probe *);
    } probes[] = {{"cuda", ia_hw_probe_cuda},         {"gpu", ia_hw_probe_cuda},
                  {"rocm", ia_hw_probe_rocm},         {"openvino", ia_hw_probe_openvino},
                  {"opencl", ia_hw_probe_opencl},     {"qualcomm", ia_hw_probe_qnn},
                  {"qnn", ia_hw_probe_qnn},           {"apple", ia_hw_probe_mps},
                  {"mps", ia_hw_probe_mps}};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++)
        if (strcmp(name, probes[i].name) == 0) {
            ia_hw_probe p;
            memset(&p, 0, sizeof p);
            p.name = name;
            probes[i].probe(&p);
            snprintf(buf, cap, "%s", p.available ? "the device works, but ipfs_accelerate has no backend for it yet"
                                                 : p.reason);
            cJSON_Delete(p.devices);
            return;
        }
    snprintf(buf, cap, "no backend named '%s' in this build (backends that can run: cpu)", name);
}
