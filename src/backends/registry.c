/*
 * registry.c — the table of backends compiled into this build.
 * A new backend adds one line here; whether it can run is its probe's say.
 */
#include <string.h>

#include "backends/backend.h"

extern const ia_backend_ops ia_cpu_backend;

static const ia_backend_ops *const backends[] = {
    &ia_cpu_backend,
    NULL,
};

const ia_backend_ops *const *ia_backend_list(void) { return backends; }

const ia_backend_ops *ia_backend_find(const char *name) {
    for (int i = 0; backends[i]; i++)
        if (strcmp(backends[i]->name, name) == 0) return backends[i];
    return NULL;
}
