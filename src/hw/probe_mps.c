/*
 * probe_mps.c — Apple Metal Performance Shaders probe. MPS exists only on
 * macOS, and there is no ipfs_accelerate Metal backend yet, so this never
 * reports "available"; it does not link Metal (that needs Objective-C).
 */
#include "hw/hw.h"
#include "hw/probe_common.h"

void ia_hw_probe_mps(ia_hw_probe *p) {
    if (!ia_hw_probe_begin(p)) return; /* no dynamic loading (wasm32) */
#if defined(__APPLE__)
    ia_hw_probe_reason(p, "no ipfs_accelerate Metal backend yet");
#else
    ia_hw_probe_reason(p, "Apple MPS exists only on macOS");
#endif
}
