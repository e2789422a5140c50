/*
 * probe_qnn.c — Qualcomm QNN (AI Engine Direct) probe: looks for the HTP
 * (Hexagon NPU) and CPU backend libraries and their
 * QnnInterface_getProviders entry point. There is no ipfs_accelerate QNN
 * executor yet, so it is never "available"; each backend library found is
 * listed as a device.
 */
#include <stdio.h>
#include <string.h>

#include "hw/dynlib.h"
#include "hw/hw.h"
#include "hw/probe_common.h"

void ia_hw_probe_qnn(ia_hw_probe *p) {
    static const char *const names[] = {"libQnnHtp.so", "libQnnCpu.so"};
    static const char *const kinds[] = {"HTP", "CPU"};
    char lacks[128] = "";
    int found = 0;

    if (!ia_hw_probe_begin(p)) return;
    for (int i = 0; i < 2; i++) {
        ia_dynlib *lib = ia_dynlib_open(&names[i], 1, NULL, 0);
        if (!lib) continue;
        int has = ia_dynlib_sym(lib, "QnnInterface_getProviders") != NULL;
        ia_dynlib_close(lib);
        if (!has) {
            (void)snprintf(lacks, sizeof lacks,
                           "%s lacks QnnInterface_getProviders", names[i]);
            continue;
        }
        found++;
        cJSON *d = cJSON_CreateObject();
        int ok = d != NULL;
        ok = ok && cJSON_AddStringToObject(d, "name", kinds[i]);
        ok = ok && cJSON_AddStringToObject(d, "library", names[i]);
        if (!ia_hw_probe_add_device(p, d, ok)) return;
    }
    if (found)
        ia_hw_probe_reason(p, "QNN library found; no ipfs_accelerate QNN "
                              "backend yet");
    else if (lacks[0])
        ia_hw_probe_reason(p, "%s", lacks);
    else /* neither loads: open both again for the one standard message */
        ia_dynlib_close(ia_dynlib_open(names, 2, p->reason, sizeof p->reason));
    if (!p->reason[0]) /* the second open raced a library install */
        ia_hw_probe_reason(p, "QNN libraries changed while probing");
}
