/*
 * probe_common.c — shared bookkeeping for the accelerator probes; see
 * probe_common.h.
 */
#include "hw/probe_common.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "hw/dynlib.h"

/* Every probe starts here, so this counts the probes that really ran
 * (tests check that a cpu open runs none and the cache runs each once). */
static atomic_long probe_runs;

long ia_hw_probe_runs(void) { return atomic_load(&probe_runs); }

int ia_hw_probe_begin(ia_hw_probe *p) {
    atomic_fetch_add(&probe_runs, 1);
    p->available = 0;
    p->reason[0] = '\0';
    p->devices = cJSON_CreateArray();
    if (!p->devices) {
        ia_hw_probe_reason(p, "out of memory");
        return 0;
    }
    if (!ia_dynlib_supported()) {
        ia_hw_probe_reason(p, "%s", IA_DYNLIB_NONE_REASON);
        return 0;
    }
    return 1;
}

void ia_hw_probe_reason(ia_hw_probe *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
}

int ia_hw_probe_add_device(ia_hw_probe *p, cJSON *dev, int ok) {
    if (dev && ok && p->devices && cJSON_AddItemToArray(p->devices, dev))
        return 1;
    cJSON_Delete(dev);
    p->available = 0;
    ia_hw_probe_reason(p, "out of memory");
    return 0;
}
