/*
 * probe_opencl.c — OpenCL probe: loads the ICD loader (libOpenCL.so.1) at
 * run time and lists every platform's devices with name, type and global
 * memory. There is no ipfs_accelerate OpenCL executor yet, so it is never
 * "available". Types and enum values as CL/cl.h declares them (cl_int is
 * int32, cl_uint uint32, cl_device_type a 64-bit bitfield; CL_API_CALL is
 * empty on Linux).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hw/dynlib.h"
#include "hw/hw.h"
#include "hw/probe_common.h"

typedef int32_t cl_int;
typedef uint32_t cl_uint;
typedef uint64_t cl_ulong;
typedef void *cl_platform_id;
typedef void *cl_device_id;

typedef cl_int (*clGetPlatformIDs_fn)(cl_uint n, cl_platform_id *ids,
                                      cl_uint *count);
typedef cl_int (*clGetPlatformInfo_fn)(cl_platform_id id, cl_uint param,
                                       size_t size, void *value,
                                       size_t *size_ret);
typedef cl_int (*clGetDeviceIDs_fn)(cl_platform_id id, cl_ulong type,
                                    cl_uint n, cl_device_id *ids,
                                    cl_uint *count);
typedef cl_int (*clGetDeviceInfo_fn)(cl_device_id id, cl_uint param,
                                     size_t size, void *value,
                                     size_t *size_ret);

enum {
    CL_PLATFORM_NAME = 0x0902,
    CL_DEVICE_TYPE = 0x1000,
    CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F,
    CL_DEVICE_NAME = 0x102B,
    CL_PLATFORM_NOT_FOUND_KHR = -1001,
    CL_DEVICE_NOT_FOUND = -1
};
#define CL_DEVICE_TYPE_ALL 0xFFFFFFFFull

/* Bounds on what we list; a machine with more is still reported. */
#define MAX_PLATFORMS 16
#define MAX_DEVICES 64

static const char *type_name(cl_ulong t) {
    if (t & (1u << 2)) return "GPU";
    if (t & (1u << 1)) return "CPU";
    if (t & (1u << 3)) return "ACCELERATOR";
    if (t & (1u << 4)) return "CUSTOM";
    return "OTHER";
}

void ia_hw_probe_opencl(ia_hw_probe *p) {
    static const char *const names[] = {"libOpenCL.so.1", "libOpenCL.so"};
    cl_platform_id plats[MAX_PLATFORMS];
    cl_uint n_plat = 0;
    int n_dev = 0;
    cl_int e;

    if (!ia_hw_probe_begin(p)) return;
    ia_dynlib *lib = ia_dynlib_open(names, 2, p->reason, sizeof p->reason);
    if (!lib) return;
    clGetPlatformIDs_fn get_plats =
        (clGetPlatformIDs_fn)ia_dynlib_sym(lib, "clGetPlatformIDs");
    clGetPlatformInfo_fn plat_info =
        (clGetPlatformInfo_fn)ia_dynlib_sym(lib, "clGetPlatformInfo");
    clGetDeviceIDs_fn get_devs =
        (clGetDeviceIDs_fn)ia_dynlib_sym(lib, "clGetDeviceIDs");
    clGetDeviceInfo_fn dev_info =
        (clGetDeviceInfo_fn)ia_dynlib_sym(lib, "clGetDeviceInfo");
    if (!get_plats || !plat_info || !get_devs || !dev_info) {
        ia_hw_probe_reason(p, "%s lacks the clGet* entry points",
                           ia_dynlib_name(lib));
        goto done;
    }
    e = get_plats(MAX_PLATFORMS, plats, &n_plat);
    if (e == CL_PLATFORM_NOT_FOUND_KHR || (e == 0 && n_plat == 0)) {
        ia_hw_probe_reason(p, "no OpenCL platforms (%s loaded, no ICD "
                              "installed)", ia_dynlib_name(lib));
        goto done;
    }
    if (e != 0) {
        ia_hw_probe_reason(p, "clGetPlatformIDs failed (%d)", (int)e);
        goto done;
    }
    if (n_plat > MAX_PLATFORMS) n_plat = MAX_PLATFORMS;
    for (cl_uint pi = 0; pi < n_plat; pi++) {
        char pname[128] = "";
        cl_device_id devs[MAX_DEVICES];
        cl_uint nd = 0;
        if (plat_info(plats[pi], CL_PLATFORM_NAME, sizeof pname - 1, pname,
                      NULL) != 0)
            pname[0] = '\0';
        e = get_devs(plats[pi], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devs, &nd);
        if (e != 0) continue; /* CL_DEVICE_NOT_FOUND: an empty platform */
        if (nd > MAX_DEVICES) nd = MAX_DEVICES;
        for (cl_uint di = 0; di < nd; di++) {
            char dname[256] = "";
            cl_ulong mem = 0, type = 0;
            if (dev_info(devs[di], CL_DEVICE_NAME, sizeof dname - 1, dname,
                         NULL) != 0)
                dname[0] = '\0';
            if (dev_info(devs[di], CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem,
                         &mem, NULL) != 0)
                mem = 0;
            if (dev_info(devs[di], CL_DEVICE_TYPE, sizeof type, &type,
                         NULL) != 0)
                type = 0;
            cJSON *d = cJSON_CreateObject();
            int ok = d != NULL;
            ok = ok && cJSON_AddNumberToObject(d, "index", n_dev);
            ok = ok && cJSON_AddStringToObject(d, "platform", pname);
            ok = ok && cJSON_AddStringToObject(d, "name", dname);
            ok = ok && cJSON_AddStringToObject(d, "type", type_name(type));
            ok = ok && cJSON_AddNumberToObject(d, "memory_bytes", (double)mem);
            if (!ia_hw_probe_add_device(p, d, ok)) goto done;
            n_dev++;
        }
    }
    if (n_dev == 0)
        ia_hw_probe_reason(p, "OpenCL platforms found (%u), but no devices",
                           (unsigned)n_plat);
    else
        ia_hw_probe_reason(p, "OpenCL found (%d device%s); no ipfs_accelerate "
                              "OpenCL backend yet", n_dev, n_dev == 1 ? "" : "s");
done:
    ia_dynlib_close(lib);
}
