/*
 * probe_common.h — helpers the accelerator probes (probe_*.c) share: reset
 * an ia_hw_probe, write its reason, append a device object with every
 * cJSON allocation checked. Internal to src/hw.
 */
#ifndef IA_HW_PROBE_COMMON_H
#define IA_HW_PROBE_COMMON_H

#include "hw/hw.h"

/* Resets p (name kept): available = 0, reason = "", devices = a new empty
 * array. p->devices is overwritten, not freed: the caller deletes the
 * previous array (cJSON_Delete) before probing the same struct again.
 * Returns 1 if the probe should go on; 0 (reason written) if it must stop:
 * out of memory, or a build without dynamic loading. */
int ia_hw_probe_begin(ia_hw_probe *p);

/* printf into p->reason (truncated to its size). */
void ia_hw_probe_reason(ia_hw_probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends dev to p->devices and takes ownership. ok is the caller's
 * running "every cJSON_Add* returned non-NULL"; if dev is NULL or ok is 0
 * the device is deleted, the reason becomes "out of memory" and 0 is
 * returned. */
int ia_hw_probe_add_device(ia_hw_probe *p, cJSON *dev, int ok);

#endif
