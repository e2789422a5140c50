/*
 * probe_cuda.c — NVIDIA CUDA probe: loads the driver API (libcuda.so.1) at
 * run time, lists every device (name, memory, compute capability, SMs,
 * power through NVML when libnvidia-ml.so.1 is there) and runs a tiny PTX
 * kernel on each, so "available" means a kernel really ran and gave the
 * right answer. No CUDA SDK at build time: the few entry points are
 * declared below with their C ABI types spelled out (cuda.h, CUDA 12).
 */
#include <stdio.h>
#include <string.h>

#include "hw/dynlib.h"
#include "hw/hw.h"
#include "hw/probe_common.h"

/* ---- the driver API, as cuda.h declares it (64-bit) ---- */

typedef int CUresult; /* enum cudaError_enum; 0 = CUDA_SUCCESS */
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
typedef unsigned long long CUdeviceptr;

typedef CUresult (*cuInit_fn)(unsigned int flags);
typedef CUresult (*cuDriverGetVersion_fn)(int *version);
typedef CUresult (*cuDeviceGetCount_fn)(int *count);
typedef CUresult (*cuDeviceGet_fn)(CUdevice *dev, int ordinal);
typedef CUresult (*cuDeviceGetName_fn)(char *name, int len, CUdevice dev);
typedef CUresult (*cuDeviceTotalMem_fn)(size_t *bytes, CUdevice dev);
typedef CUresult (*cuDeviceGetAttribute_fn)(int *v, int attrib, CUdevice dev);
typedef CUresult (*cuDeviceGetPCIBusId_fn)(char *id, int len, CUdevice dev);
typedef CUresult (*cuCtxCreate_fn)(CUcontext *ctx, unsigned int flags,
                                   CUdevice dev);
typedef CUresult (*cuCtxDestroy_fn)(CUcontext ctx);
typedef CUresult (*cuCtxSynchronize_fn)(void);
typedef CUresult (*cuModuleLoadData_fn)(CUmodule *mod, const void *image);
typedef CUresult (*cuModuleUnload_fn)(CUmodule mod);
typedef CUresult (*cuModuleGetFunction_fn)(CUfunction *fn, CUmodule mod,
                                           const char *name);
typedef CUresult (*cuMemAlloc_fn)(CUdeviceptr *p, size_t bytes);
typedef CUresult (*cuMemFree_fn)(CUdeviceptr p);
typedef CUresult (*cuMemcpyHtoD_fn)(CUdeviceptr dst, const void *src,
                                    size_t bytes);
typedef CUresult (*cuMemcpyDtoH_fn)(void *dst, CUdeviceptr src, size_t bytes);
typedef CUresult (*cuLaunchKernel_fn)(CUfunction fn, unsigned int gx,
                                      unsigned int gy, unsigned int gz,
                                      unsigned int bx, unsigned int by,
                                      unsigned int bz, unsigned int shmem,
                                      CUstream stream, void **params,
                                      void **extra);
typedef CUresult (*cuGetErrorName_fn)(CUresult r, const char **name);

/* CUdevice_attribute values (cuda.h). */
enum {
    CU_ATTR_MULTIPROCESSOR_COUNT = 16,
    CU_ATTR_CC_MAJOR = 75,
    CU_ATTR_CC_MINOR = 76
};

/* ---- NVML (nvml.h), for power only ---- */

typedef int nvmlReturn_t; /* 0 = NVML_SUCCESS */
typedef void *nvmlDevice_t;
typedef nvmlReturn_t (*nvmlInit_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef nvmlReturn_t (*nvmlByIndex_fn)(unsigned int i, nvmlDevice_t *d);
typedef nvmlReturn_t (*nvmlByPci_fn)(const char *bus_id, nvmlDevice_t *d);
typedef nvmlReturn_t (*nvmlPower_fn)(nvmlDevice_t d, unsigned int *mw);
typedef const char *(*nvmlErrorString_fn)(nvmlReturn_t r);

typedef struct cuda_api {
    cuInit_fn init;
    cuDriverGetVersion_fn driver_version;
    cuDeviceGetCount_fn device_count;
    cuDeviceGet_fn device_get;
    cuDeviceGetName_fn device_name;
    cuDeviceTotalMem_fn device_mem;
    cuDeviceGetAttribute_fn device_attr;
    cuCtxCreate_fn ctx_create;
    cuCtxDestroy_fn ctx_destroy;
    cuCtxSynchronize_fn ctx_sync;
    cuModuleLoadData_fn module_load;
    cuModuleUnload_fn module_unload;
    cuModuleGetFunction_fn module_function;
    cuMemAlloc_fn mem_alloc;
    cuMemFree_fn mem_free;
    cuMemcpyHtoD_fn htod;
    cuMemcpyDtoH_fn dtoh;
    cuLaunchKernel_fn launch;
    cuDeviceGetPCIBusId_fn pci_bus_id; /* optional */
    cuGetErrorName_fn error_name;      /* optional */
} cuda_api;

typedef struct nvml_api {
    ia_dynlib *lib;     /* NULL if NVML is absent or failed to start */
    char reason[160];   /* why power is unknown when lib is NULL */
    nvmlShutdown_fn shutdown;
    nvmlByIndex_fn by_index;
    nvmlByPci_fn by_pci; /* optional */
    nvmlPower_fn power;
} nvml_api;

/* The test kernel: y[i] = 2 * x[i] + 1 for i < n. PTX 6.0 for sm_50, which
 * the driver JIT-compiles for any newer GPU. Written by hand (what nvcc
 * emits for the same kernel, registers renamed). */
static const char k_ptx[] =
    ".version 6.0\n"
    ".target sm_50\n"
    ".address_size 64\n"
    "\n"
    ".visible .entry ia_probe_axpb(\n"
    "    .param .u64 ia_x,\n"
    "    .param .u64 ia_y,\n"
    "    .param .u32 ia_n\n"
    ")\n"
    "{\n"
    "    .reg .pred %p<2>;\n"
    "    .reg .b32 %r<6>;\n"
    "    .reg .f32 %f<3>;\n"
    "    .reg .b64 %rd<8>;\n"
    "\n"
    "    ld.param.u64 %rd1, [ia_x];\n"
    "    ld.param.u64 %rd2, [ia_y];\n"
    "    ld.param.u32 %r1, [ia_n];\n"
    "    mov.u32 %r2, %ctaid.x;\n"
    "    mov.u32 %r3, %ntid.x;\n"
    "    mov.u32 %r4, %tid.x;\n"
    "    mad.lo.s32 %r5, %r2, %r3, %r4;\n"
    "    setp.ge.u32 %p1, %r5, %r1;\n"
    "    @%p1 bra DONE;\n"
    "    cvta.to.global.u64 %rd3, %rd1;\n"
    "    cvta.to.global.u64 %rd4, %rd2;\n"
    "    mul.wide.u32 %rd5, %r5, 4;\n"
    "    add.s64 %rd6, %rd3, %rd5;\n"
    "    ld.global.f32 %f1, [%rd6];\n"
    "    fma.rn.f32 %f2, %f1, 0f40000000, 0f3F800000;\n" /* 2.0f, 1.0f */
    "    add.s64 %rd7, %rd4, %rd5;\n"
    "    st.global.f32 [%rd7], %f2;\n"
    "DONE:\n"
    "    ret;\n"
    "}\n";

#define TEST_N 256

/* "CUDA_ERROR_NO_DEVICE (100)" into buf. */
static const char *cu_err(const cuda_api *a, CUresult r, char *buf,
                          size_t cap) {
    const char *name = NULL;
    if (!a->error_name || a->error_name(r, &name) != 0 || !name)
        name = "CUDA error";
    (void)snprintf(buf, cap, "%s (%d)", name, r);
    return buf;
}

/* Resolves every entry point; on a missing one returns its name. */
static const char *load_cuda(ia_dynlib *lib, cuda_api *a) {
    IA_DYNLIB_LOAD(lib, a->init, cuInit_fn, "cuInit");
    IA_DYNLIB_LOAD(lib, a->driver_version, cuDriverGetVersion_fn, "cuDriverGetVersion");
    IA_DYNLIB_LOAD(lib, a->device_count, cuDeviceGetCount_fn, "cuDeviceGetCount");
    IA_DYNLIB_LOAD(lib, a->device_get, cuDeviceGet_fn, "cuDeviceGet");
    IA_DYNLIB_LOAD(lib, a->device_name, cuDeviceGetName_fn, "cuDeviceGetName");
    IA_DYNLIB_LOAD(lib, a->device_mem, cuDeviceTotalMem_fn, "cuDeviceTotalMem_v2");
    IA_DYNLIB_LOAD(lib, a->device_attr, cuDeviceGetAttribute_fn, "cuDeviceGetAttribute");
    IA_DYNLIB_LOAD(lib, a->ctx_create, cuCtxCreate_fn, "cuCtxCreate_v2");
    IA_DYNLIB_LOAD(lib, a->ctx_destroy, cuCtxDestroy_fn, "cuCtxDestroy_v2");
    IA_DYNLIB_LOAD(lib, a->ctx_sync, cuCtxSynchronize_fn, "cuCtxSynchronize");
    IA_DYNLIB_LOAD(lib, a->module_load, cuModuleLoadData_fn, "cuModuleLoadData");
    IA_DYNLIB_LOAD(lib, a->module_unload, cuModuleUnload_fn, "cuModuleUnload");
    IA_DYNLIB_LOAD(lib, a->module_function, cuModuleGetFunction_fn, "cuModuleGetFunction");
    IA_DYNLIB_LOAD(lib, a->mem_alloc, cuMemAlloc_fn, "cuMemAlloc_v2");
    IA_DYNLIB_LOAD(lib, a->mem_free, cuMemFree_fn, "cuMemFree_v2");
    IA_DYNLIB_LOAD(lib, a->htod, cuMemcpyHtoD_fn, "cuMemcpyHtoD_v2");
    IA_DYNLIB_LOAD(lib, a->dtoh, cuMemcpyDtoH_fn, "cuMemcpyDtoH_v2");
    IA_DYNLIB_LOAD(lib, a->launch, cuLaunchKernel_fn, "cuLaunchKernel");
    a->pci_bus_id = (cuDeviceGetPCIBusId_fn)ia_dynlib_sym(lib, "cuDeviceGetPCIBusId");
    a->error_name = (cuGetErrorName_fn)ia_dynlib_sym(lib, "cuGetErrorName");
    return NULL;
}

/* Runs the test kernel on dev in a context of its own. Returns 1 if every
 * output matched; else 0 with the failing step in err. Frees all it took. */
static int cuda_test(const cuda_api *a, CUdevice dev, char *err, size_t cap) {
    float x[TEST_N], y[TEST_N]; /* 2 KiB; static would race two probes */
    CUcontext ctx = NULL;
    CUmodule mod = NULL;
    CUfunction fn = NULL;
    CUdeviceptr dx = 0, dy = 0;
    unsigned int n = TEST_N;
    void *args[3] = {&dx, &dy, &n};
    const char *step;
    char name[64];
    CUresult r;
    int ok = 0;

    for (int i = 0; i < TEST_N; i++) {
        x[i] = (float)i;
        y[i] = -1.0f;
    }
    step = "cuCtxCreate_v2";
    if ((r = a->ctx_create(&ctx, 0, dev)) != 0) goto fail;
    step = "cuModuleLoadData";
    if ((r = a->module_load(&mod, k_ptx)) != 0) goto fail;
    step = "cuModuleGetFunction";
    if ((r = a->module_function(&fn, mod, "ia_probe_axpb")) != 0) goto fail;
    step = "cuMemAlloc_v2";
    if ((r = a->mem_alloc(&dx, sizeof x)) != 0) goto fail;
    if ((r = a->mem_alloc(&dy, sizeof y)) != 0) goto fail;
    step = "cuMemcpyHtoD_v2";
    if ((r = a->htod(dx, x, sizeof x)) != 0) goto fail;
    step = "cuLaunchKernel";
    if ((r = a->launch(fn, 1, 1, 1, TEST_N, 1, 1, 0, NULL, args, NULL)) != 0)
        goto fail;
    step = "cuCtxSynchronize";
    if ((r = a->ctx_sync()) != 0) goto fail;
    step = "cuMemcpyDtoH_v2";
    if ((r = a->dtoh(y, dy, sizeof y)) != 0) goto fail;
    ok = 1;
    /* Exact compare: 2*i+1 for i < 256 is exact in float. */
    for (int i = 0; i < TEST_N; i++) {
        if (y[i] != 2.0f * (float)i + 1.0f) {
            (void)snprintf(err, cap, "wrong result: y[%d] = %g, want %g", i,
                           (double)y[i], 2.0 * i + 1.0);
            ok = 0;
            break;
        }
    }
    goto done;
fail:
    (void)snprintf(err, cap, "%s failed: %s", step,
                   cu_err(a, r, name, sizeof name));
done:
    if (dy) a->mem_free(dy);
    if (dx) a->mem_free(dx);
    if (mod) a->module_unload(mod);
    if (ctx) a->ctx_destroy(ctx);
    return ok;
}

/* Starts NVML if present; nv->lib stays NULL (reason set) otherwise. */
static void nvml_open(nvml_api *nv) {
    static const char *const names[] = {"libnvidia-ml.so.1"};
    memset(nv, 0, sizeof *nv);
    ia_dynlib *lib = ia_dynlib_open(names, 1, nv->reason, sizeof nv->reason);
    if (!lib) return;
    nvmlInit_fn init = (nvmlInit_fn)ia_dynlib_sym(lib, "nvmlInit_v2");
    nvmlErrorString_fn estr =
        (nvmlErrorString_fn)ia_dynlib_sym(lib, "nvmlErrorString");
    nv->shutdown = (nvmlShutdown_fn)ia_dynlib_sym(lib, "nvmlShutdown");
    nv->by_index = (nvmlByIndex_fn)ia_dynlib_sym(lib, "nvmlDeviceGetHandleByIndex_v2");
    nv->by_pci = (nvmlByPci_fn)ia_dynlib_sym(lib, "nvmlDeviceGetHandleByPciBusId_v2");
    nv->power = (nvmlPower_fn)ia_dynlib_sym(lib, "nvmlDeviceGetPowerUsage");
    if (!init || !nv->shutdown || !nv->by_index || !nv->power) {
        (void)snprintf(nv->reason, sizeof nv->reason,
                       "libnvidia-ml.so.1 lacks an entry point it needs");
        ia_dynlib_close(lib);
        return;
    }
    nvmlReturn_t r = init();
    if (r != 0) {
        const char *s = estr ? estr(r) : NULL;
        (void)snprintf(nv->reason, sizeof nv->reason,
                       "nvmlInit_v2 failed: %s (%d)", s ? s : "NVML error", r);
        ia_dynlib_close(lib);
        return;
    }
    nv->lib = lib;
}

static void nvml_close(nvml_api *nv) {
    if (!nv->lib) return;
    nv->shutdown();
    ia_dynlib_close(nv->lib);
    nv->lib = NULL;
}

/* Adds "power_watts" (number or null) and, when null, "power_reason".
 * NVML numbers its devices in PCI order while CUDA puts the fastest first,
 * so the device is matched by PCI bus id when the driver gives one. */
static int add_power(const nvml_api *nv, cJSON *dev, int index,
                     const char *bus_id) {
    char why[160];
    nvmlDevice_t h = NULL;
    unsigned int mw = 0;
    nvmlReturn_t r;

    if (!nv->lib) {
        (void)snprintf(why, sizeof why, "%s", nv->reason);
    } else if ((r = (bus_id[0] && nv->by_pci) ? nv->by_pci(bus_id, &h)
                                             : nv->by_index((unsigned)index, &h)) != 0) {
        (void)snprintf(why, sizeof why, "NVML has no handle for it (%d)", r);
    } else if ((r = nv->power(h, &mw)) != 0) {
        (void)snprintf(why, sizeof why,
                       "nvmlDeviceGetPowerUsage failed (%d)", r);
    } else {
        return cJSON_AddNumberToObject(dev, "power_watts", mw / 1000.0) != NULL;
    }
    return cJSON_AddNullToObject(dev, "power_watts") != NULL &&
           cJSON_AddStringToObject(dev, "power_reason", why) != NULL;
}

/* libcuda is dlclosed at the end as the rule asks (after every context is
 * destroyed); the driver keeps itself resident if it must. */
void ia_hw_probe_cuda(ia_hw_probe *p) {
    static const char *const names[] = {"libcuda.so.1"};
    ia_dynlib *lib = NULL;
    nvml_api nv = {0};
    cuda_api a;
    char ename[64], first_err[160] = "", ver[32];
    int version = 0, count = 0, passed = 0;
    CUresult r;

    if (!ia_hw_probe_begin(p)) return;
    lib = ia_dynlib_open(names, 1, p->reason, sizeof p->reason);
    if (!lib) return;
    const char *missing = load_cuda(lib, &a);
    if (missing) {
        ia_hw_probe_reason(p, "libcuda.so.1 lacks %s (driver too old?)",
                           missing);
        goto done;
    }
    memset(ename, 0, sizeof ename);
    if ((r = a.init(0)) != 0) {
        ia_hw_probe_reason(p, "cuInit failed: %s",
                           cu_err(&a, r, ename, sizeof ename));
        goto done;
    }
    if (a.driver_version(&version) != 0) version = 0;
    (void)snprintf(ver, sizeof ver, "%d.%d", version / 1000,
                   (version % 1000) / 10);
    if ((r = a.device_count(&count)) != 0) {
        ia_hw_probe_reason(p, "cuDeviceGetCount failed: %s",
                           cu_err(&a, r, ename, sizeof ename));
        goto done;
    }
    if (count <= 0) {
        ia_hw_probe_reason(p, "no CUDA devices (cuDeviceGetCount = 0)");
        goto done;
    }
    nvml_open(&nv);
    for (int i = 0; i < count; i++) {
        CUdevice dev = 0;
        char name[256] = "", bus[32] = "", err[160] = "";
        size_t mem = 0;
        int major = 0, minor = 0, sms = 0;
        if ((r = a.device_get(&dev, i)) != 0) {
            (void)snprintf(err, sizeof err, "cuDeviceGet failed: %s",
                           cu_err(&a, r, ename, sizeof ename));
        } else {
            if (a.device_name(name, (int)sizeof name, dev) != 0) name[0] = '\0';
            if (a.device_mem(&mem, dev) != 0) mem = 0;
            if (a.device_attr(&major, CU_ATTR_CC_MAJOR, dev) != 0) major = 0;
            if (a.device_attr(&minor, CU_ATTR_CC_MINOR, dev) != 0) minor = 0;
            if (a.device_attr(&sms, CU_ATTR_MULTIPROCESSOR_COUNT, dev) != 0)
                sms = 0;
            if (!a.pci_bus_id || a.pci_bus_id(bus, (int)sizeof bus, dev) != 0)
                bus[0] = '\0';
        }
        int ok_test = !err[0] && cuda_test(&a, dev, err, sizeof err);
        if (ok_test) passed++;
        else if (!first_err[0])
            (void)snprintf(first_err, sizeof first_err, "%s", err);

        char cc[24];
        (void)snprintf(cc, sizeof cc, "%d.%d", major, minor);
        cJSON *d = cJSON_CreateObject();
        int ok = d != NULL;
        ok = ok && cJSON_AddNumberToObject(d, "index", i);
        ok = ok && cJSON_AddStringToObject(d, "name", name);
        ok = ok && cJSON_AddNumberToObject(d, "memory_bytes", (double)mem);
        ok = ok && cJSON_AddStringToObject(d, "compute_capability", cc);
        ok = ok && cJSON_AddNumberToObject(d, "multiprocessors", sms);
        ok = ok && cJSON_AddStringToObject(d, "pci_bus_id", bus);
        ok = ok && cJSON_AddStringToObject(d, "driver_version", ver);
        ok = ok && add_power(&nv, d, i, bus);
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
    nvml_close(&nv);
    ia_dynlib_close(lib);
}
