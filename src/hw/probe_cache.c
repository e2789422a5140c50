/*
 * probe_cache.c — every accelerator probe runs at most once per process.
 *
 * A probe can cost a lot: the CUDA one loads the driver, creates a context
 * on every GPU and runs a test kernel (0.17–0.5 s on a machine with an
 * NVIDIA GPU). Its answer does not change while the process runs, so the
 * hardware report, the absence reasons and the machine id all read one
 * cached result per kind, taken under a lock the first time any of them
 * asks. wasm32 builds have no threads (and no dynamic loading: each probe
 * answers at once), so there the lock is a no-op.
 */
#include <stdio.h>
#include <string.h>

#include "hw/hw.h"
#include "util/error.h"

#include "util/threads.h"
#if defined(IA_HAVE_PTHREADS)
#include <pthread.h>
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCK() pthread_mutex_lock(&cache_lock)
#define UNLOCK() pthread_mutex_unlock(&cache_lock)
#else
#define LOCK() ((void)0)
#define UNLOCK() ((void)0)
#endif

/* The probes by the names the hardware report uses, and the other names
 * users give them ("gpu" is the seed's alias for the first GPU backend). */
static const struct {
    const char *name;
    void (*probe)(ia_hw_probe *p);
} kinds[] = {
    {"cuda", ia_hw_probe_cuda},       {"rocm", ia_hw_probe_rocm},     {"openvino", ia_hw_probe_openvino},
    {"qualcomm", ia_hw_probe_qnn},    {"opencl", ia_hw_probe_opencl}, {"apple", ia_hw_probe_mps},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static const struct {
    const char *alias, *name;
} aliases[] = {{"gpu", "cuda"}, {"qnn", "qualcomm"}, {"mps", "apple"}};

static struct {
    int done;
    ia_hw_probe p;
} cache[N_KINDS];

static int kind_index(const char *name) {
    for (size_t i = 0; name && i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0) name = aliases[i].name;
    for (size_t i = 0; name && i < N_KINDS; i++)
        if (strcmp(name, kinds[i].name) == 0) return (int)i;
    return -1;
}

int ia_hw_probe_known(const char *name) { return kind_index(name) >= 0; }

ia_status ia_hw_probe_cached(const char *name, ia_hw_probe *out) {
    int i = kind_index(name);
    ia_status st = IA_OK;
    memset(out, 0, sizeof *out);
    if (i < 0) return ia_error(IA_ERR_NOT_FOUND, "no hardware probe named '%s'", name ? name : "(null)");
    LOCK();
    if (!cache[i].done) {
        cache[i].p.name = kinds[i].name;
        kinds[i].probe(&cache[i].p);
        cache[i].done = 1;
    }
    *out = cache[i].p;
    out->devices = cJSON_Duplicate(cache[i].p.devices, 1);
    if (cache[i].p.devices && !out->devices) st = ia_error(IA_ERR_NOMEM, "probe result of %s", kinds[i].name);
    UNLOCK();
    if (!out->devices) out->devices = cJSON_CreateArray();
    return st;
}

void ia_hw_probe_cache_clear(void) {
    LOCK();
    for (size_t i = 0; i < N_KINDS; i++) {
        cJSON_Delete(cache[i].p.devices);
        memset(&cache[i], 0, sizeof cache[i]);
    }
    UNLOCK();
}

void ia_hw_absence_reason(const char *name, char *buf, size_t cap) {
    const ia_backend_ops *usable[16];
    int n = ia_hw_usable_kinds(usable, 16);
    size_t len;
    ia_hw_probe p;
    if (ia_hw_probe_known(name) && ia_hw_probe_cached(name, &p) == IA_OK) {
        snprintf(buf, cap, "%s", p.available ? "the device works, but ipfs_accelerate has no backend for it yet"
                                             : p.reason[0] ? p.reason : "unknown");
        cJSON_Delete(p.devices);
        return;
    }
    ia_error_clear();
    len = (size_t)snprintf(buf, cap, "no backend named '%s' in this build (device kinds that can run here:", name);
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s %s", i ? "," : "", usable[i]->name);
    if (len < cap) snprintf(buf + len, cap - len, ")");
}
