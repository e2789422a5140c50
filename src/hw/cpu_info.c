/*
 * cpu_info.c — the CPU and memory part of the hardware report: gathers
 * what the per-ISA and sysfs parts find (cpu_info_impl.h) into one
 * ia_hw_cpu and renders it as JSON.
 *
 * Everything is read from the running machine; nothing is looked up in a
 * table of known CPUs. A field that cannot be read stays 0/"" and the
 * JSON shows it so, rather than guessing.
 */
#include "hw/cpu_info_impl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

/* The architecture this library was compiled for (the process can only
 * run on that one, so it is also the machine's, bar emulation). */
static const char *build_arch(void) {
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__i386__)
    return "i686";
#elif defined(__aarch64__)
    return "aarch64";
#elif defined(__arm__)
    return "arm";
#elif defined(__wasm32__)
    return "wasm32";
#elif defined(__wasm64__)
    return "wasm64";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__powerpc64__)
    return "ppc64";
#elif defined(__s390x__)
    return "s390x";
#else
    return "unknown";
#endif
}

/* Copies src into dst (cap bytes) without leading/trailing white space. */
static void copy_trimmed(char *dst, size_t cap, const char *src) {
    while (*src == ' ' || *src == '\t') src++;
    size_t n = strlen(src);
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '\n'))
        n--;
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Fills vendor/model from the first "vendor_id"/"model name" lines of
 * /proc/cpuinfo when cpuid did not (non-x86, or no procfs: left ""). */
static void cpuinfo_fallback(ia_hw_cpu *cpu) {
    char line[512];
    FILE *f;
    if (cpu->vendor[0] && cpu->model[0]) return;
    f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    while (fgets(line, sizeof line, f) && !(cpu->vendor[0] && cpu->model[0])) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        size_t key = (size_t)(colon - line);
        while (key > 0 && (line[key - 1] == ' ' || line[key - 1] == '\t')) key--;
        if (!cpu->vendor[0] && key == 9 && strncmp(line, "vendor_id", 9) == 0)
            copy_trimmed(cpu->vendor, sizeof cpu->vendor, colon + 1);
        else if (!cpu->model[0] && key == 10 && strncmp(line, "model name", 10) == 0)
            copy_trimmed(cpu->model, sizeof cpu->model, colon + 1);
    }
    fclose(f);
}

ia_status ia_hw_cpu_detect(ia_hw_cpu *out) {
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_hw_cpu_detect: out is NULL");
    memset(out, 0, sizeof *out);
    snprintf(out->arch, sizeof out->arch, "%s", build_arch());

    ia_hw_cpu_detect_x86(out);
    ia_hw_cpu_detect_arm(out);
    cpuinfo_fallback(out);

    long online = sysconf(_SC_NPROCESSORS_ONLN);
    out->threads = online > 0 ? (int)online : 0;
    ia_status st = ia_hw_cpu_detect_topology(out);
    if (st != IA_OK) return st;
    /* Without sysfs, cores are unknown: report 0 rather than assuming no
     * SMT. Never more cores than threads (a partly offlined machine). */
    if (out->threads > 0 && out->cores > out->threads) out->cores = out->threads;
    ia_hw_cpu_detect_memory(out);
    return IA_OK;
}

/* cJSON_Add*ToObject return NULL on allocation failure; one check per call
 * through this macro keeps the builders flat. */
#define ADD_OR_FAIL(expr)              \
    do {                               \
        if ((expr) == NULL) goto fail; \
    } while (0)

cJSON *ia_hw_cpu_json(const ia_hw_cpu *cpu) {
    cJSON *o = NULL, *caches, *flags;
    if (!cpu) return NULL;
    o = cJSON_CreateObject();
    if (!o) goto fail;
    ADD_OR_FAIL(cJSON_AddStringToObject(o, "arch", cpu->arch));
    ADD_OR_FAIL(cJSON_AddStringToObject(o, "vendor", cpu->vendor));
    ADD_OR_FAIL(cJSON_AddStringToObject(o, "model", cpu->model));
    ADD_OR_FAIL(cJSON_AddNumberToObject(o, "sockets", cpu->sockets));
    ADD_OR_FAIL(cJSON_AddNumberToObject(o, "cores", cpu->cores));
    ADD_OR_FAIL(cJSON_AddNumberToObject(o, "threads", cpu->threads));
    ADD_OR_FAIL(cJSON_AddNumberToObject(o, "numa_nodes", cpu->numa_nodes));
    ADD_OR_FAIL(caches = cJSON_AddObjectToObject(o, "caches"));
    /* Byte counts stay far below 2^53, so a double holds them exactly. */
    ADD_OR_FAIL(cJSON_AddNumberToObject(caches, "l1d_bytes", (double)cpu->l1d_bytes));
    ADD_OR_FAIL(cJSON_AddNumberToObject(caches, "l2_bytes", (double)cpu->l2_bytes));
    ADD_OR_FAIL(cJSON_AddNumberToObject(caches, "l3_bytes", (double)cpu->l3_bytes));
    ADD_OR_FAIL(flags = cJSON_AddArrayToObject(o, "flags"));
    for (int i = 0; i < cpu->n_flags && cpu->flags[i]; i++) {
        cJSON *s = cJSON_CreateString(cpu->flags[i]);
        if (!s) goto fail;
        if (!cJSON_AddItemToArray(flags, s)) {
            cJSON_Delete(s);
            goto fail;
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    ia_error(IA_ERR_NOMEM, "ia_hw_cpu_json: out of memory");
    return NULL;
}

cJSON *ia_hw_memory_json(const ia_hw_cpu *cpu) {
    cJSON *o = NULL;
    if (!cpu) return NULL;
    o = cJSON_CreateObject();
    if (!o) goto fail;
    ADD_OR_FAIL(cJSON_AddNumberToObject(o, "total_bytes", (double)cpu->mem_total_bytes));
    ADD_OR_FAIL(cJSON_AddNumberToObject(o, "available_bytes",
                                        (double)cpu->mem_available_bytes));
    return o;
fail:
    cJSON_Delete(o);
    ia_error(IA_ERR_NOMEM, "ia_hw_memory_json: out of memory");
    return NULL;
}
