/*
 * probe_rocm.c — AMD ROCm probe: loads the HIP runtime (libamdhip64) at run
 * time, lists devices by name and memory, and proves the device works with
 * an upload / hipMemset / download round trip. hipGetDeviceProperties is
 * left alone: its struct layout changed between HIP 5 and 6, and a wrong
 * layout would read garbage; the calls used here take only ints, sizes and
 * pointers (hip_runtime_api.h).
 */
#include <stdio.h>
#include <string.h>

#include "hw/dynlib.h"
#include "hw/hw.h"
#include "hw/probe_common.h"

typedef int hipError_t; /* 0 = hipSuccess */

typedef hipError_t (*hipGetDeviceCount_fn)(int *count);
typedef hipError_t (*hipDeviceGetName_fn)(char *name, int len, int dev);
typedef hipError_t (*hipDeviceTotalMem_fn)(size_t *bytes, int dev);
typedef hipError_t (*hipSetDevice_fn)(int dev);
typedef hipError_t (*hipMalloc_fn)(void **p, size_t bytes);
typedef hipError_t (*hipFree_fn)(void *p);
typedef hipError_t (*hipMemcpy_fn)(void *dst, const void *src, size_t bytes,
                                   int kind);
typedef hipError_t (*hipMemset_fn)(void *p, int value, size_t bytes);
typedef hipError_t (*hipDeviceSynchronize_fn)(void);
typedef hipError_t (*hipDriverGetVersion_fn)(int *version);
typedef const char *(*hipGetErrorName_fn)(hipError_t e);

/* hipMemcpyKind values. */
enum { HIP_MEMCPY_H2D = 1, HIP_MEMCPY_D2H = 2 };

typedef struct hip_api {
    hipGetDeviceCount_fn device_count;
    hipDeviceGetName_fn device_name;
    hipDeviceTotalMem_fn device_mem;
    hipSetDevice_fn set_device;
    hipMalloc_fn malloc_;
    hipFree_fn free_;
    hipMemcpy_fn memcpy_;
    hipMemset_fn memset_;
    hipDeviceSynchronize_fn sync;
    hipDriverGetVersion_fn driver_version; /* optional */
    hipGetErrorName_fn error_name;         /* optional */
} hip_api;

#define TEST_BYTES 1024

static const char *hip_err(const hip_api *a, hipError_t e, char *buf,
                           size_t cap) {
    const char *name = a->error_name ? a->error_name(e) : NULL;
    (void)snprintf(buf, cap, "%s (%d)", name ? name : "HIP error", e);
    return buf;
}

static const char *load_hip(ia_dynlib *lib, hip_api *a) {
    IA_DYNLIB_LOAD(lib, a->device_count, hipGetDeviceCount_fn, "hipGetDeviceCount");
    IA_DYNLIB_LOAD(lib, a->device_name, hipDeviceGetName_fn, "hipDeviceGetName");
    IA_DYNLIB_LOAD(lib, a->device_mem, hipDeviceTotalMem_fn, "hipDeviceTotalMem");
    IA_DYNLIB_LOAD(lib, a->set_device, hipSetDevice_fn, "hipSetDevice");
    IA_DYNLIB_LOAD(lib, a->malloc_, hipMalloc_fn, "hipMalloc");
    IA_DYNLIB_LOAD(lib, a->free_, hipFree_fn, "hipFree");
    IA_DYNLIB_LOAD(lib, a->memcpy_, hipMemcpy_fn, "hipMemcpy");
    IA_DYNLIB_LOAD(lib, a->memset_, hipMemset_fn, "hipMemset");
    IA_DYNLIB_LOAD(lib, a->sync, hipDeviceSynchronize_fn, "hipDeviceSynchronize");
    a->driver_version = (hipDriverGetVersion_fn)ia_dynlib_sym(lib, "hipDriverGetVersion");
    a->error_name = (hipGetErrorName_fn)ia_dynlib_sym(lib, "hipGetErrorName");
    return NULL;
}

/* Upload a pattern, hipMemset the second half to 0x5A on the device,
 * download, compare. A memset is a device operation here; a real kernel
 * would need hiprtc (run-time compilation) or a code object per GPU arch,
 * which this probe does not carry. Returns 1 on a match; else 0 with err. */
static int hip_test(const hip_api *a, int dev, char *err, size_t cap) {
    unsigned char in[TEST_BYTES], out[TEST_BYTES];
    void *d = NULL;
    const char *step;
    char name[64];
    hipError_t e;
    int ok = 0;

    for (int i = 0; i < TEST_BYTES; i++) {
        in[i] = (unsigned char)(i * 7 + 3);
        out[i] = 0;
    }
    step = "hipSetDevice";
    if ((e = a->set_device(dev)) != 0) goto fail;
    step = "hipMalloc";
    if ((e = a->malloc_(&d, TEST_BYTES)) != 0) goto fail;
    step = "hipMemcpy (host to device)";
    if ((e = a->memcpy_(d, in, TEST_BYTES, HIP_MEMCPY_H2D)) != 0) goto fail;
    step = "hipMemset";
    if ((e = a->memset_((unsigned char *)d + TEST_BYTES / 2, 0x5A,
                        TEST_BYTES / 2)) != 0)
        goto fail;
    step = "hipDeviceSynchronize";
    if ((e = a->sync()) != 0) goto fail;
    step = "hipMemcpy (device to host)";
    if ((e = a->memcpy_(out, d, TEST_BYTES, HIP_MEMCPY_D2H)) != 0) goto fail;
    ok = 1;
    for (int i = 0; i < TEST_BYTES; i++) {
        unsigned char want = i < TEST_BYTES / 2 ? in[i] : 0x5A;
        if (out[i] != want) {
            (void)snprintf(err, cap, "wrong result: byte %d = 0x%02x, want "
                           "0x%02x", i, out[i], want);
            ok = 0;
            break;
        }
    }
    goto done;
fail:
    (void)snprintf(err, cap, "%s failed: %s", step,
                   hip_err(a, e, name, sizeof name));
done:
    if (d) a->free_(d);
    return ok;
}

void ia_hw_probe_rocm(ia_hw_probe *p) {
    static const char *const names[] = {"libamdhip64.so", "libamdhip64.so.6",
                                        "libamdhip64.so.5"};
    char ename[64], first_err[160] = "";
    int count = 0, version = 0, passed = 0;
    hip_api a;
    hipError_t e;

    if (!ia_hw_probe_begin(p)) return;
    ia_dynlib *lib = ia_dynlib_open(names, 3, p->reason, sizeof p->reason);
    if (!lib) return;
    const char *missing = load_hip(lib, &a);
    if (missing) {
        ia_hw_probe_reason(p, "%s lacks %s", ia_dynlib_name(lib), missing);
        goto done;
    }
    if ((e = a.device_count(&count)) != 0) {
        ia_hw_probe_reason(p, "hipGetDeviceCount failed: %s",
                           hip_err(&a, e, ename, sizeof ename));
        goto done;
    }
    if (count <= 0) {
        ia_hw_probe_reason(p, "no ROCm devices (hipGetDeviceCount = 0)");
        goto done;
    }
    if (!a.driver_version || a.driver_version(&version) != 0) version = 0;
    for (int i = 0; i < count; i++) {
        char name[256] = "", err[160] = "";
        size_t mem = 0;
        if (a.device_name(name, (int)sizeof name, i) != 0) name[0] = '\0';
        if (a.device_mem(&mem, i) != 0) mem = 0;
        int ok_test = hip_test(&a, i, err, sizeof err);
        if (ok_test) passed++;
        else if (!first_err[0])
            (void)snprintf(first_err, sizeof first_err, "%s", err);

        cJSON *d = cJSON_CreateObject();
        int ok = d != NULL;
        ok = ok && cJSON_AddNumberToObject(d, "index", i);
        ok = ok && cJSON_AddStringToObject(d, "name", name);
        ok = ok && cJSON_AddNumberToObject(d, "memory_bytes", (double)mem);
        ok = ok && cJSON_AddNumberToObject(d, "driver_version", version);
        ok = ok && cJSON_AddBoolToObject(d, "test_passed", ok_test);
        if (!ok_test) ok = ok && cJSON_AddStringToObject(d, "test_error", err);
        if (!ia_hw_probe_add_device(p, d, ok)) goto done;
    }
    if (passed > 0) {
        p->available = 1;
        p->reason[0] = '\0';
    } else {
        ia_hw_probe_reason(p, "device found, but the test computation "
                              "failed: %s", first_err);
    }
done:
    ia_dynlib_close(lib);
}
