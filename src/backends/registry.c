/*
 * registry.c — the table of device kinds compiled into this build, in
 * preference order: accelerators first, then cpu, then ref (the portable
 * oracle, which supports every op and is the scheduler's last resort).
 * A new backend adds one line here; whether it can run is its probe's say.
 */
#include <string.h>

#include "backends/backend.h"

extern const ia_backend_ops ia_cpu_backend;
extern const ia_backend_ops ia_ref_backend;

static const ia_backend_ops *const backends[] = {
    &ia_cpu_backend,
    &ia_ref_backend,
    NULL,
};

const ia_backend_ops *const *ia_backend_list(void) { return backends; }

const ia_backend_ops *ia_backend_find(const char *name) {
    if (!name) return NULL;
    for (int i = 0; backends[i]; i++)
        if (strcmp(backends[i]->name, name) == 0) return backends[i];
    return NULL;
}

int ia_backend_op_listed(const char *list, ia_op op) {
    const char *name = ia_op_name(op), *p = list;
    size_t len = strlen(name);
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && *p == ' ') p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (n == len && strncmp(p, name, len) == 0) return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}
