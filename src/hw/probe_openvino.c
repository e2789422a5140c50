/*
 * probe_openvino.c — Intel OpenVINO probe: loads the C API
 * (libopenvino_c) at run time and lists the devices the runtime offers
 * (CPU, GPU, NPU...). There is no ipfs_accelerate OpenVINO executor yet,
 * so it is never "available": the report says the runtime is there and
 * which devices it sees. Types as openvino/c/ov_core.h declares them.
 */
#include <stdio.h>
#include <string.h>

#include "hw/dynlib.h"
#include "hw/hw.h"
#include "hw/probe_common.h"

typedef int ov_status_e; /* 0 = OK */
typedef struct ov_core ov_core_t;
typedef struct ov_available_devices_t {
    char **devices;
    size_t size;
} ov_available_devices_t;

typedef ov_status_e (*ov_core_create_fn)(ov_core_t **core);
typedef void (*ov_core_free_fn)(ov_core_t *core);
typedef ov_status_e (*ov_core_get_available_devices_fn)(
    const ov_core_t *core, ov_available_devices_t *devices);
typedef void (*ov_available_devices_free_fn)(ov_available_devices_t *devs);

void ia_hw_probe_openvino(ia_hw_probe *p) {
    /* Unversioned name (dev package) first, then the SONAMEs of recent
     * releases (libopenvino_c.so.<year><minor>0, e.g. 2024.4 -> 2440). */
    static const char *const names[] = {
        "libopenvino_c.so",      "libopenvino_c.so.2500",
        "libopenvino_c.so.2460", "libopenvino_c.so.2450",
        "libopenvino_c.so.2440", "libopenvino_c.so.2430"};
    ov_core_t *core = NULL;
    ov_available_devices_t devs = {NULL, 0};
    int have_devs = 0;
    ov_status_e st;

    if (!ia_hw_probe_begin(p)) return;
    ia_dynlib *lib = ia_dynlib_open(names, sizeof names / sizeof names[0],
                                    p->reason, sizeof p->reason);
    if (!lib) return;
    ov_core_create_fn create =
        (ov_core_create_fn)ia_dynlib_sym(lib, "ov_core_create");
    ov_core_free_fn core_free =
        (ov_core_free_fn)ia_dynlib_sym(lib, "ov_core_free");
    ov_core_get_available_devices_fn get_devs =
        (ov_core_get_available_devices_fn)ia_dynlib_sym(
            lib, "ov_core_get_available_devices");
    ov_available_devices_free_fn devs_free =
        (ov_available_devices_free_fn)ia_dynlib_sym(
            lib, "ov_available_devices_free");
    if (!create || !core_free || !get_devs || !devs_free) {
        ia_hw_probe_reason(p, "%s lacks the ov_core_* entry points",
                           ia_dynlib_name(lib));
        goto done;
    }
    if ((st = create(&core)) != 0 || !core) {
        ia_hw_probe_reason(p, "ov_core_create failed (status %d)", st);
        core = NULL;
        goto done;
    }
    if ((st = get_devs(core, &devs)) != 0) {
        ia_hw_probe_reason(p, "ov_core_get_available_devices failed "
                              "(status %d)", st);
        goto done;
    }
    have_devs = 1;
    char list[160] = "";
    size_t len = 0;
    for (size_t i = 0; i < devs.size; i++) {
        const char *dn = devs.devices && devs.devices[i] ? devs.devices[i] : "";
        cJSON *d = cJSON_CreateObject();
        int ok = d != NULL;
        ok = ok && cJSON_AddNumberToObject(d, "index", (double)i);
        ok = ok && cJSON_AddStringToObject(d, "name", dn);
        if (!ia_hw_probe_add_device(p, d, ok)) goto done;
        if (len < sizeof list) {
            int w = snprintf(list + len, sizeof list - len, "%s%s",
                             i ? ", " : "", dn);
            if (w > 0) len += (size_t)w;
        }
    }
    ia_hw_probe_reason(p, "OpenVINO runtime found (devices: %s); no "
                          "ipfs_accelerate OpenVINO backend yet",
                       devs.size ? list : "none");
done:
    if (have_devs) devs_free(&devs);
    if (core) core_free(core);
    ia_dynlib_close(lib);
}
