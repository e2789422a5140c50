/*
 * select.c — the heuristic half of choosing a model's device (the seed's
 * get_optimal_hardware). Measured results from the benchmark store come
 * first (src/bench/choose.c owns ia_select_device); this is what decides
 * when there are none, and what ia_model_open uses for device "auto".
 *
 * It must stay cheap — it runs at every auto open — so it measures
 * nothing and probes only the registered device kinds (whose probes cache
 * themselves); hardware without a backend (the cuda, rocm, ... probes of
 * the hardware report) cannot be chosen, so it is not asked about.
 *
 * The candidates are every device of every kind that runs here, except
 * the ref oracle; what is known of each is device_props (memory, whether
 * it computes in host memory). The rule, in order:
 *
 *   1. an accelerator (a device with its own memory) must hold the weights
 *      with 20 % to spare (activations, a KV cache, allocator slack);
 *      host devices read mapped weights and always qualify;
 *   2. enough work — batch >= 8, or >= 256 MiB of weights (streamed once
 *      per call, so bandwidth-bound even at batch 1) — goes to the
 *      qualifying accelerator with the most memory (a proxy for the
 *      biggest device, the only size device_props gives);
 *   3. less work stays on the host device (first in preference order):
 *      an accelerator's upload and launch costs would eat its gain;
 *   4. with no host device either, the accelerator with the most memory.
 *
 * The thresholds are rules of thumb, not measurements: 8 texts is where a
 * batched GEMM starts to fill a GPU's tiles, and 256 MiB of weights takes
 * ~25 ms to stream from host DRAM but ~0.1 ms from HBM. That is why the
 * sentence says "heuristic" and names the rule; `ipfs-accelerate bench`
 * replaces it with measured rows.
 */
#include <stdio.h>
#include <string.h>

#include "hw/cpu_info_impl.h"
#include "hw/hw.h"
#include "util/error.h"

#define HEADROOM 1.2
#define BIG_BATCH 8
#define BIG_WEIGHTS (256LL << 20)

/* "90.9 MB" */
static void size_text(long long bytes, char *buf, size_t cap) {
    if (bytes >= 1000000000LL) snprintf(buf, cap, "%.1f GB", (double)bytes / 1e9);
    else snprintf(buf, cap, "%.1f MB", (double)bytes / 1e6);
}

static void device_text(const ia_hw_candidate *c, char *buf, size_t cap) {
    if (c->device == 0) snprintf(buf, cap, "%s", c->kind);
    else snprintf(buf, cap, "%s:%d", c->kind, c->device);
}

/* The qualifying accelerator with the most memory (unknown counts as 0;
 * ties go to the earlier one), or -1. */
static int biggest_accelerator(const ia_hw_candidate *c, int n, long long weight_bytes) {
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (c[i].host_memory) continue;
        if (c[i].memory_bytes > 0 && (double)c[i].memory_bytes < HEADROOM * (double)weight_bytes) continue;
        if (best < 0 || c[i].memory_bytes > c[best].memory_bytes) best = i;
    }
    return best;
}

int ia_hw_pick(const ia_hw_candidate *c, int n, int batch, long long weight_bytes, char *why, size_t cap) {
    int host = -1, accelerators = 0, acc, big = batch >= BIG_BATCH || weight_bytes >= BIG_WEIGHTS;
    char w[32], d[48], mem[32];
    for (int i = 0; i < n; i++) {
        if (c[i].host_memory && host < 0) host = i;
        accelerators += !c[i].host_memory;
    }
    size_text(weight_bytes, w, sizeof w);
    acc = biggest_accelerator(c, n, weight_bytes);
    if (n <= 0) {
        snprintf(why, cap, "heuristic: no device kind can run models here");
        return -1;
    }
    if (accelerators == 0) {
        device_text(&c[host], d, sizeof d);
        snprintf(why, cap, "heuristic (rule: no accelerator): %s is the first device that runs models here "
                 "(the ref oracle is never chosen); batch %d, %s of weights", d, batch, w);
        return host;
    }
    if (big && acc >= 0) {
        device_text(&c[acc], d, sizeof d);
        size_text(c[acc].memory_bytes, mem, sizeof mem);
        snprintf(why, cap, "heuristic (rule: enough work for an accelerator): batch %d and %s of weights reach "
                 "the threshold (batch >= %d or >= 256 MiB of weights); %s (%s) has the most memory (%s) of the "
                 "accelerators that hold the weights with 20 %% to spare", batch, w, BIG_BATCH, d, c[acc].name,
                 c[acc].memory_bytes > 0 ? mem : "unknown");
        return acc;
    }
    if (host >= 0) {
        device_text(&c[host], d, sizeof d);
        if (big)
            snprintf(why, cap, "heuristic (rule: weights must fit device memory): no accelerator holds %s of "
                     "weights with 20 %% to spare, so %s runs it", w, d);
        else
            snprintf(why, cap, "heuristic (rule: small work stays on the host): batch %d and %s of weights are "
                     "below the accelerator threshold (batch >= %d or >= 256 MiB of weights), so %s avoids the "
                     "copies and launches", batch, w, BIG_BATCH, d);
        return host;
    }
    if (acc >= 0) {
        device_text(&c[acc], d, sizeof d);
        snprintf(why, cap, "heuristic (rule: only accelerators): %s has the most memory of the devices that hold "
                 "%s of weights", d, w);
        return acc;
    }
    snprintf(why, cap, "heuristic (rule: weights must fit device memory): no device here holds %s of weights "
             "with 20 %% to spare", w);
    return -1;
}

int ia_hw_candidates(ia_hw_candidate *out, int cap) {
    const ia_backend_ops *kinds[16];
    int nk = ia_hw_usable_kinds(kinds, 16), n = 0;
    long long host_avail = -1;
    for (int k = 0; k < nk && n < cap; k++) {
        int count = kinds[k]->device_count();
        for (int d = 0; d < count && n < cap; d++) {
            ia_device_props p;
            ia_hw_candidate *c = &out[n];
            memset(&p, 0, sizeof p);
            p.struct_size = sizeof p;
            if (kinds[k]->device_props(d, &p) != IA_OK) { /* a device that cannot say what it is is skipped */
                ia_error_clear();
                continue;
            }
            memset(c, 0, sizeof *c);
            c->kind = kinds[k]->name;
            c->device = d;
            snprintf(c->name, sizeof c->name, "%s", p.name);
            c->host_memory = p.host_memory;
            if (p.host_memory) {
                if (host_avail < 0) {
                    ia_hw_cpu mem;
                    memset(&mem, 0, sizeof mem);
                    ia_hw_cpu_detect_memory(&mem);
                    host_avail = mem.mem_available_bytes;
                }
                c->memory_bytes = host_avail;
            } else {
                c->memory_bytes = p.memory_free > 0 ? p.memory_free : p.memory_total;
            }
            n++;
        }
    }
    return n;
}

ia_status ia_hw_select_heuristic(const char *model_ref, const char *task, int batch, long long weight_bytes,
                                 char *device, size_t device_cap, char *why, size_t why_cap) {
    ia_hw_candidate c[32];
    int n, i;
    if (!device || device_cap == 0 || !why || why_cap == 0 || batch < 0 || weight_bytes < 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_select_device: bad arguments");
    (void)model_ref, (void)task; /* every family runs the same op list: the rule needs sizes, not names */
    n = ia_hw_candidates(c, 32);
    i = ia_hw_pick(c, n, batch > 0 ? batch : 1, weight_bytes, why, why_cap);
    if (i < 0) return ia_error(IA_ERR_UNAVAILABLE, "no device for the model: %s", why);
    device_text(&c[i], device, device_cap);
    return IA_OK;
}
