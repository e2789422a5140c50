/*
 * test_probes.c — the accelerator probes (src/hw/probe_*.c) and the dlopen
 * wrapper (src/hw/dynlib.c). CI machines have no GPU and none of the
 * vendor libraries, so there every probe must report "absent" with a reason
 * that names the library or platform; the checks for a found accelerator
 * (available => reason empty, devices listed) run only where one exists —
 * on a GPU machine the CUDA probe runs its PTX test kernel for real.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hw/dynlib.h"
#include "hw/hw.h"

typedef void (*probe_fn)(ia_hw_probe *p);

static const struct {
    const char *name;
    probe_fn fn;
    const char *lib;      /* the library it dlopens first, or NULL */
    const char *words[3]; /* one of these must be in an absent reason */
} k_probes[] = {
    {"cuda", ia_hw_probe_cuda, "libcuda.so.1", {"libcuda.so.1", "CUDA", "cu"}},
    {"rocm", ia_hw_probe_rocm, "libamdhip64.so", {"libamdhip64", "ROCm", "hip"}},
    {"openvino", ia_hw_probe_openvino, "libopenvino_c.so", {"openvino", "OpenVINO", NULL}},
    {"qnn", ia_hw_probe_qnn, NULL, {"libQnn", "QNN", NULL}},
    {"opencl", ia_hw_probe_opencl, "libOpenCL.so.1", {"OpenCL", NULL, NULL}},
    {"mps", ia_hw_probe_mps, NULL, {"macOS", "Metal", NULL}},
};
#define N_PROBES (sizeof k_probes / sizeof k_probes[0])

static int names_any(const char *reason, const char *const *words) {
    for (int i = 0; i < 3; i++)
        if (words[i] && strstr(reason, words[i])) return 1;
    return 0;
}

/* Every probe, twice (a second load/unload must work the same): a
 * consistent report either way. */
IA_TEST(probe_reports_are_consistent) {
    for (size_t i = 0; i < N_PROBES; i++) {
        for (int round = 0; round < 2; round++) {
            ia_hw_probe p;
            memset(&p, 0, sizeof p);
            p.name = k_probes[i].name;
            k_probes[i].fn(&p);
            CHECK_MSG(p.devices && cJSON_IsArray(p.devices),
                      "%s: devices is not a JSON array", p.name);
            CHECK_MSG(p.available == 0 || p.available == 1, "%s: available %d",
                      p.name, p.available);
            CHECK_MSG(strcmp(p.name, k_probes[i].name) == 0,
                      "probe changed its name");
            if (p.available) {
                CHECK_MSG(p.reason[0] == '\0', "%s: available with reason %s",
                          p.name, p.reason);
                CHECK_MSG(cJSON_GetArraySize(p.devices) > 0,
                          "%s: available without devices", p.name);
            } else {
                CHECK_MSG(p.reason[0] != '\0', "%s: absent without a reason",
                          p.name);
                /* Devices listed means something was found; then the
                 * reason says why it is not usable, in its own words. */
                if (cJSON_GetArraySize(p.devices) == 0)
                    CHECK_MSG(names_any(p.reason, k_probes[i].words),
                              "%s: reason names neither library nor "
                              "platform: %s", p.name, p.reason);
            }
            char *json = p.devices ? cJSON_PrintUnformatted(p.devices) : NULL;
            CHECK_MSG(json != NULL, "%s: devices do not print", p.name);
            if (round == 0 && json)
                printf("  %-8s available=%d reason=\"%s\" devices=%s\n",
                       p.name, p.available, p.reason, json);
            cJSON_free(json);
            cJSON_Delete(p.devices);
        }
    }
}

/* Where a probe's library does not load, its reason is exactly the
 * dlopen reason (which names the library and carries dlerror's text). */
IA_TEST(probe_absent_library_reason_is_dlopens) {
    for (size_t i = 0; i < N_PROBES; i++) {
        if (!k_probes[i].lib) continue;
        char want[256];
        const char *one[1] = {k_probes[i].lib};
        ia_dynlib *lib = ia_dynlib_open(one, 1, want, sizeof want);
        if (lib) { /* present on this machine: nothing to compare */
            ia_dynlib_close(lib);
            continue;
        }
        ia_hw_probe p;
        memset(&p, 0, sizeof p);
        p.name = k_probes[i].name;
        k_probes[i].fn(&p);
        CHECK_MSG(!p.available, "%s available without its library", p.name);
        /* The probe may list more names (versioned ones) than we did: its
         * reason starts with our first name and has the same dlerror. */
        const char *err = strstr(want, "(dlopen: ");
        CHECK_MSG(strncmp(p.reason, k_probes[i].lib,
                          strlen(k_probes[i].lib)) == 0,
                  "%s: reason %s", p.name, p.reason);
        CHECK_MSG(err && strstr(p.reason, err), "%s: reason %s, want %s",
                  p.name, p.reason, want);
        CHECK(cJSON_GetArraySize(p.devices) == 0);
        cJSON_Delete(p.devices);
    }
}

IA_TEST(probe_mps_platform_reason) {
    ia_hw_probe p;
    memset(&p, 0, sizeof p);
    p.name = "mps";
    ia_hw_probe_mps(&p);
    CHECK(p.available == 0);
#if defined(__APPLE__)
    CHECK(strcmp(p.reason, "no ipfs_accelerate Metal backend yet") == 0);
#else
    CHECK_MSG(strcmp(p.reason, "Apple MPS exists only on macOS") == 0, "%s",
              p.reason);
#endif
    cJSON_Delete(p.devices);
}

typedef double (*cos_fn)(double);

IA_TEST(probe_dynlib_loads_libm) {
    static const char *const names[] = {"libia_no_such_lib.so.0", "libm.so.6"};
    char reason[256] = "x";
    REQUIRE(ia_dynlib_supported());
    ia_dynlib *lib = ia_dynlib_open(names, 2, reason, sizeof reason);
    REQUIRE(lib != NULL);
    CHECK(reason[0] == '\0');
    CHECK(strcmp(ia_dynlib_name(lib), "libm.so.6") == 0);
    cos_fn c = (cos_fn)ia_dynlib_sym(lib, "cos");
    CHECK(c != NULL);
    if (c) CHECK(c(0.5) == cos(0.5));
    CHECK(ia_dynlib_sym(lib, "ia_no_such_symbol") == NULL);
    ia_dynlib_close(lib);
    ia_dynlib_close(NULL); /* NULL-safe */
}

IA_TEST(probe_dynlib_missing_library_reason) {
    static const char *const names[] = {"libia_no_such_lib.so.0",
                                        "libia_no_such_lib2.so"};
    char reason[256] = "";
    ia_dynlib *lib = ia_dynlib_open(names, 2, reason, sizeof reason);
    CHECK(lib == NULL);
    ia_dynlib_close(lib);
    static const char want[] = "libia_no_such_lib.so.0, libia_no_such_lib2.so "
                               "not found (dlopen: libia_no_such_lib.so.0";
    CHECK_MSG(strncmp(reason, want, sizeof want - 1) == 0, "%s", reason);
    CHECK_MSG(strstr(reason, "No such file") != NULL, "%s", reason);
    /* A tiny buffer is truncated, never overrun. */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    CHECK(ia_dynlib_open(names, 2, tiny, sizeof tiny) == NULL);
    CHECK(memchr(tiny, '\0', sizeof tiny) != NULL);
    CHECK(ia_dynlib_open(names, 2, NULL, 0) == NULL);
}

/* On a machine with an NVIDIA GPU and driver, the CUDA probe must find it,
 * run its test kernel and report name, memory and compute capability.
 * Elsewhere (CI has no GPU) it says that it skipped, and why. */
IA_TEST(probe_cuda_on_a_gpu_machine) {
    ia_hw_probe p;
    const cJSON *d;
    memset(&p, 0, sizeof p);
    p.name = "cuda";
    ia_hw_probe_cuda(&p);
    if (!p.available && cJSON_GetArraySize(p.devices) == 0) {
        printf("  skipped: no NVIDIA GPU here (%s)\n", p.reason);
        cJSON_Delete(p.devices);
        return;
    }
    CHECK_MSG(p.available, "GPU found but the test kernel failed: %s", p.reason);
    d = cJSON_GetArrayItem(p.devices, 0);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(d, "name")));
    CHECK(cJSON_GetObjectItem(d, "memory_bytes") && cJSON_GetObjectItem(d, "memory_bytes")->valuedouble > 0);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(d, "compute_capability")));
    cJSON_Delete(p.devices);
}
