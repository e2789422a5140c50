/*
 * backend.h — the interface every executor implements, in three parts
 * (after ggml-backend, ONNX Runtime's execution providers and SQLite's
 * VFS):
 *
 *   ia_backend_ops   a device kind, registered at start-up ("cpu", "ref",
 *                    "cuda"): probe, devices and their properties, init;
 *   ia_backend       an executor on one device (a stream): what ops it
 *                    supports, which buffers it can read, buffers, weight
 *                    preparation, asynchronous compute and synchronize;
 *   ia_buffer        memory a backend owns (host, a mapped file, device
 *                    memory): upload, download, clear.
 *
 * Every table opens with abi_version and struct_size and only grows at the
 * end; a caller reads an entry only when struct_size covers it, so a
 * backend built against an older header keeps working. A device kind that
 * cannot run here says so through probe() with the exact reason, and is
 * then never offered — absence is a value, not a fake.
 */
#ifndef IA_BACKENDS_BACKEND_H
#define IA_BACKENDS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"
#include "tensor/graph.h"

#define IA_BACKEND_ABI 2

typedef struct ia_backend ia_backend;
typedef struct ia_backend_ops ia_backend_ops;

/* ---- buffers ---- */

typedef enum ia_buffer_usage {
    IA_BUFFER_COMPUTE = 0, /* activations of a graph run                  */
    IA_BUFFER_WEIGHTS = 1, /* a model's weights (read-only during runs)   */
    IA_BUFFER_STATE = 2,   /* a session's state (KV cache)                */
} ia_buffer_usage;

typedef struct ia_buffer_iface {
    uint32_t abi_version, struct_size;
    void (*free)(ia_buffer *b);
    /* bytes [off, off + n) of t's data (t lives in b, contiguous) */
    ia_status (*set)(ia_buffer *b, ia_tensor *t, const void *src, size_t off, size_t n); /* upload   */
    ia_status (*get)(ia_buffer *b, const ia_tensor *t, void *dst, size_t off, size_t n); /* download */
    ia_status (*clear)(ia_buffer *b, int value);                                         /* all bytes */
} ia_buffer_iface;

struct ia_buffer {
    const ia_buffer_iface *iface;
    const ia_backend_ops *kind; /* the device kind that made it */
    int device;
    ia_buffer_usage usage;
    int host;                   /* base is a host address */
    void *base;
    size_t size;
    void *ctx;                  /* the implementation's */
};

/* NULL-safe. */
void ia_buffer_free(ia_buffer *b);

/* A buffer of host memory (aligned to 64 bytes) that any backend whose
 * can_read accepts host memory reads in place: for sessions' inputs and
 * for kinds that have no memory of their own. */
ia_status ia_host_buffer_alloc(size_t size, ia_buffer_usage usage, ia_buffer **out);

/* Bytes of t (a contiguous tensor placed in a buffer, or borrowing host
 * data) → dst, and src → t. */
ia_status ia_tensor_download(const ia_tensor *t, void *dst, size_t n);
ia_status ia_tensor_upload(ia_tensor *t, const void *src, size_t n);

/* ---- devices ---- */

typedef struct ia_device_props {
    uint32_t struct_size;
    char name[128];           /* "Intel Xeon ...", "NVIDIA H200" */
    int64_t memory_total;     /* bytes; 0 = unknown */
    int64_t memory_free;
    int async;                /* compute may return before it finishes */
    int host_memory;          /* its buffers are host memory */
    uint32_t precisions;      /* bit (1 << ia_precision) for each precision
                                 its linear layers run at */
    int max_threads;          /* CPU threads it may use (0: not a CPU) */
} ia_device_props;

typedef struct ia_backend_config {
    uint32_t struct_size;
    int device;               /* index among the kind's devices */
    int threads;              /* per op at most; 0 = all the process may use */
    const char *kernel;       /* highest kernel family ("generic", "avx2",
                                 "avx512"), NULL = the best there is */
    ia_precision precision;   /* what linear layers run at (weights are
                                 prepared to it when the file is fp32) */
    const char *disabled_ops; /* comma-separated op names to refuse (tests
                                 force graph splits with it); NULL = none */
} ia_backend_config;

void ia_backend_config_init(ia_backend_config *c);

struct ia_backend_ops {
    uint32_t abi_version, struct_size;
    const char *name; /* "cpu", "ref", "cuda", ... */

    /* 1 if usable here; otherwise 0 and a reason in reason[0..cap). Cheap
     * after the first call (kinds cache what they probe). */
    int (*probe)(char *reason, size_t cap);
    int (*device_count)(void);
    ia_status (*device_props)(int device, ia_device_props *out);

    /* An executor on cfg->device. */
    ia_status (*init)(const ia_backend_config *cfg, ia_backend **out);
};

/* ---- executors ---- */

typedef struct ia_backend_iface {
    uint32_t abi_version, struct_size;
    void (*free)(ia_backend *b);
    const char *(*kernel_name)(ia_backend *b);

    /* 1 when this executor computes node n as it is (dtypes, layouts,
     * parameters). Exact and cheap: the scheduler asks for every node. */
    int (*supports_op)(ia_backend *b, const ia_node *n);

    /* 1 when tensors in buf can be read in place by this executor's ops;
     * buf NULL means borrowed host memory (graph inputs). */
    int (*can_read)(ia_backend *b, const ia_buffer *buf);

    ia_status (*buffer_alloc)(ia_backend *b, size_t size, ia_buffer_usage usage, ia_buffer **out);

    /* Readies a weight (host data in the file's layout) for this device's
     * kernels: a repacked matrix, a converted copy, an upload; the result
     * goes in w->extra and is freed by release_weight. NULL entry or
     * nothing to do: the weight is read as it is. `use` is IA_USE_*. */
    ia_status (*prepare_weight)(ia_backend *b, ia_tensor *w);
    void (*release_weight)(ia_backend *b, ia_tensor *w);

    /* Runs nodes[0..n) of g in order (their tensors placed, inputs
     * readable); may return before the work is done. */
    ia_status (*compute)(ia_backend *b, ia_graph *g, ia_node *const *nodes, int n);
    ia_status (*synchronize)(ia_backend *b);
} ia_backend_iface;

/* Every backend's prepared form of a weight (tensor->extra) starts with
 * this, so an executor recognises forms its kind made (any executor of
 * that kind may use them: weights are prepared once per model, sessions
 * each have their own executors). */
typedef struct ia_weight_extra {
    const ia_backend_ops *kind;
} ia_weight_extra;

/* 1 when w->extra was prepared by an executor of `kind`. */
static inline int ia_weight_prepared_by(const ia_tensor *w, const ia_backend_ops *kind) {
    return w->extra && ((const ia_weight_extra *)w->extra)->kind == kind;
}

struct ia_backend {
    const ia_backend_iface *iface;
    const ia_backend_ops *kind;
    int device;
    ia_precision precision; /* from the config */
    void *ctx;
};

/* NULL-safe. */
void ia_backend_free(ia_backend *b);

/* Registered device kinds, by name; NULL when the name is unknown. */
const ia_backend_ops *ia_backend_find(const char *name);

/* Every registered kind (NULL-terminated), preferred first: accelerators,
 * then cpu, then ref (the portable oracle, always last). */
const ia_backend_ops *const *ia_backend_list(void);

/* 1 when the comma-separated list contains op's name (disabled_ops). */
int ia_backend_op_listed(const char *list, ia_op op);

#endif
