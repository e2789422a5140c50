/*
 * devices.c — which registered device kinds count as devices to run models
 * on: every kind whose probe says it runs here, except the reference
 * executor. "ref" is the portable oracle (plain C, every op, no SIMD, no
 * threads): it exists to check the other kinds op by op and to take the
 * ops they lack, so it is never a default device, never chosen for speed
 * and never reported as an accelerator — only run when asked for by name.
 */
#include <string.h>

#include "hw/hw.h"

int ia_hw_kind_is_oracle(const ia_backend_ops *kind) { return kind && strcmp(kind->name, "ref") == 0; }

int ia_hw_usable_kinds(const ia_backend_ops **out, int cap) {
    const ia_backend_ops *const *list = ia_backend_list();
    char reason[256];
    int n = 0;
    for (int i = 0; list[i] && n < cap; i++)
        if (!ia_hw_kind_is_oracle(list[i]) && list[i]->probe(reason, sizeof reason)) out[n++] = list[i];
    return n;
}

int ia_hw_kind_usable(const char *name) {
    const ia_backend_ops *k = ia_backend_find(name);
    char reason[256];
    return k && !ia_hw_kind_is_oracle(k) && k->probe(reason, sizeof reason);
}
