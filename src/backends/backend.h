/*
 * backend.h — the one interface every executor implements (ggml-backend,
 * SQLite's VFS): a versioned table of function pointers plus a context.
 *
 * The table only grows at the end; `version` tells which slots a backend
 * fills. A backend that cannot run here says so through probe() with the
 * exact reason, and is then never offered — absence is a value, not a fake.
 */
#ifndef IA_BACKENDS_BACKEND_H
#define IA_BACKENDS_BACKEND_H

#include <stddef.h>

#include "ipfs_accelerate.h"
#include "tensor/graph.h"

#define IA_BACKEND_OPS_VERSION 1

typedef struct ia_backend_config {
    int threads;        /* 0 = one per online CPU */
    const char *kernel; /* highest kernel variant allowed ("generic", "avx2",
                           "avx512"), NULL = the best this device runs */
} ia_backend_config;

typedef struct ia_backend_ops {
    int version;
    const char *name; /* "cpu", "cuda", ... */

    /* 1 if usable here; otherwise 0 and a reason in reason[0..cap). */
    int (*probe)(char *reason, size_t cap);

    /* Creates an executor context. */
    ia_status (*create)(const ia_backend_config *cfg, void **ctx);
    void (*destroy)(void *ctx); /* NULL-safe */

    /* Runs a planned graph. */
    ia_status (*compute)(void *ctx, ia_graph *g);

    /* Kernel variant in use ("avx512", ...), for reports. */
    const char *(*kernel_name)(void *ctx);
} ia_backend_ops;

/* Registered backends, by name; NULL when the name is unknown. */
const ia_backend_ops *ia_backend_find(const char *name);

/* Every registered backend (NULL-terminated). */
const ia_backend_ops *const *ia_backend_list(void);

#endif
