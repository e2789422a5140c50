/*
 * machine_id.c — an id for this machine, so benchmark rows measured here
 * are told apart from rows a copied database brought from elsewhere.
 *
 * It hashes what decides how fast a model runs and does not change across
 * reboots: the CPU (architecture, model string, physical cores, logical
 * CPUs), the installed memory rounded to a GiB (MemTotal moves by a few
 * MiB between kernels) and the GPUs the CUDA and ROCm probes find, by
 * name. Software that comes and goes (OpenVINO, OpenCL ICDs, QNN
 * libraries) is left out on purpose. The probes are the cached ones, so
 * the id costs one round of probing per process at most.
 */
#include <stdio.h>
#include <string.h>

#include "hw/hw.h"
#include "util/error.h"
#include "util/sha256.h"

#include "util/threads.h"
#if defined(IA_HAVE_PTHREADS)
#include <pthread.h>
static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCK() pthread_mutex_lock(&id_lock)
#define UNLOCK() pthread_mutex_unlock(&id_lock)
#else
#define LOCK() ((void)0)
#define UNLOCK() ((void)0)
#endif

static char cached_id[IA_MACHINE_ID_LEN + 1];
static char cached_text[1024];

/* Appends the names of the devices a probe found ("cuda NVIDIA H200"). */
static size_t add_devices(char *buf, size_t len, size_t cap, const char *kind) {
    ia_hw_probe p;
    const cJSON *d;
    if (ia_hw_probe_cached(kind, &p) != IA_OK) {
        ia_error_clear();
        return len;
    }
    cJSON_ArrayForEach(d, p.devices) {
        const cJSON *name = cJSON_GetObjectItem(d, "name");
        if (len < cap && cJSON_IsString(name))
            len += (size_t)snprintf(buf + len, cap - len, "|%s %s", kind, name->valuestring);
    }
    cJSON_Delete(p.devices);
    return len;
}

ia_status ia_hw_machine_id(char id[IA_MACHINE_ID_LEN + 1], char *text, size_t text_cap) {
    ia_status st = IA_OK;
    LOCK();
    if (!cached_id[0]) {
        ia_hw_cpu cpu;
        ia_sha256 h;
        uint8_t d[32];
        size_t len;
        long long gib;
        if ((st = ia_hw_cpu_detect(&cpu)) != IA_OK) goto done;
        gib = (cpu.mem_total_bytes + (1LL << 29)) >> 30;
        len = (size_t)snprintf(cached_text, sizeof cached_text, "%s|%s|cores %d|cpus %d|memory %lld GiB", cpu.arch,
                               cpu.model, cpu.cores, cpu.threads, gib);
        if (len < sizeof cached_text) len = add_devices(cached_text, len, sizeof cached_text, "cuda");
        if (len < sizeof cached_text) add_devices(cached_text, len, sizeof cached_text, "rocm");
        ia_sha256_init(&h);
        ia_sha256_update(&h, cached_text, strlen(cached_text));
        ia_sha256_final(&h, d);
        ia_sha256_hex(d, IA_MACHINE_ID_LEN / 2, cached_id);
    }
    if (id) snprintf(id, IA_MACHINE_ID_LEN + 1, "%s", cached_id);
    if (text && text_cap) snprintf(text, text_cap, "%s", cached_text);
done:
    UNLOCK();
    return st;
}
