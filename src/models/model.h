/*
 * model.h — what every model family sees of a loaded model: its configs,
 * its mapped weights, its tokenizer, the backend that runs it; and the
 * interface (ia_family) each family file implements.
 */
#ifndef IA_MODELS_MODEL_H
#define IA_MODELS_MODEL_H

#include "backends/backend.h"
#include "formats/hf_config.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "quant/qmat.h"
#include "tensor/graph.h"

/* Tokens per graph run; see ia_model_embed. */
#define IA_CHUNK_TOKENS 512

typedef struct ia_family {
    const char *model_type; /* config.json "model_type" */
    /* Binds the family's weights (m->family_state). */
    ia_status (*load)(ia_model *m);
    /* Appends the forward pass over packed token ids [T] with sequence
     * offsets [n+1]; returns the pooled embeddings [n, dim] tensor. */
    ia_status (*build)(ia_model *m, ia_graph *g, ia_tensor *ids, ia_tensor *offs,
                       ia_tensor **out);
    void (*free_state)(void *state);
} ia_family;

/* A mapped weights file shared by every handle of one model (endpoints on
 * several devices, repeated loads in a ModelManager): the mapping is made
 * once and freed with its last user. */
typedef struct ia_weights_ref {
    ia_safetensors *st; /* model.safetensors, or */
    ia_gguf *gguf;      /* model.gguf (a quantised model) */
    _Atomic int refs;
} ia_weights_ref;

/* A linear layer's weight as the family holds it: the quantisation engine
 * swaps the representation in *slot (F32 <-> QMAT). */
typedef struct ia_model_linear {
    char name[160];     /* without the file's prefix */
    ia_tensor *slot;    /* inside the family's state */
    const float *f32;   /* the fp32 weights, NULL when the file has none */
} ia_model_linear;

struct ia_model {
    char name[256];
    char dir[4096];
    char device_reason[512];     /* how the device was chosen */
    int64_t weight_bytes;        /* size of model.safetensors */
    ia_hf_config cfg;
    ia_st_config st_cfg;
    ia_safetensors *weights;     /* borrowed from wref; NULL for model.gguf */
    ia_weights_ref *wref;
    const char *weight_prefix;   /* "" or "bert." as the file names them */
    ia_tokenizer *tok;
    int max_tokens;
    int threads;
    const ia_backend_ops *backend;
    void *backend_ctx;
    const ia_family *family;
    void *family_state;
    ia_graph *graph;
    int32_t *ids, *offs;         /* packed batch, reused between calls */
    size_t ids_cap, offs_cap;
    int32_t *chunk_offs;         /* offsets of the chunk being run */
    size_t chunk_offs_cap;
    int chunk_tokens;            /* tokens per graph run (IA_CHUNK_TOKENS) */
    void **converted;            /* weights converted from F16/BF16 */
    int n_converted;
    ia_model_linear *linears;    /* every linear weight, in binding order */
    int n_linears;
    ia_qmat **qmats;             /* packed quantised weights this handle owns */
    int n_qmats;
    int load_bits;               /* 8/4/2: quantise fp32 linears at load; 0: no */
    char precision[32];          /* "fp32", "int8", "int2+int4", ... (set at open) */
};

/* Fills m->precision from the widths of the bound linear layers. */
void ia_model_update_precision(ia_model *m);

/* Looks up weight `name` (with the model's prefix) and checks that it is
 * [shape...]; converts F16/BF16 to F32 once (F32 weights are used in place
 * from the mapping). Fills *t. (weights.c) */
ia_status ia_model_weight(ia_model *m, const char *name, int ndim, const int64_t *shape,
                          ia_tensor *t);

/* An embedding table [rows, cols]: F32 as ia_model_weight, or Q8_0 rows
 * used in place when model.gguf stores it so (gathers dequantise). */
ia_status ia_model_table_weight(ia_model *m, const char *name, int64_t rows, int64_t cols, ia_tensor *t);

/* A linear layer's weight [n, k]: F32, or QMAT when the file stores it
 * quantised or the model was opened at an integer precision. Recorded in
 * m->linears. */
ia_status ia_model_linear_weight(ia_model *m, const char *name, int64_t n, int64_t k, ia_tensor *t);

/* Frees the packing *t points to (a QMAT tensor of this model); the caller
 * points *t at other weights before the next run. */
void ia_model_release_linear_qmat(ia_model *m, ia_tensor *t);

/* Packs q and makes *t a QMAT tensor over it (the model owns the packing). */
ia_status ia_model_set_linear_qmat(ia_model *m, ia_tensor *t, const ia_qweights *q);

extern const ia_family ia_family_bert;

/* ia_model_open_profile, but when `share` is a model of the same directory
 * its weights mapping is reused instead of mapped again. */
ia_status ia_model_open_shared(const char *ref, const ia_hardware_profile *profile, ia_model *share,
                               ia_model **out);

/* The resolved directory of a model. Borrowed. */
static inline const char *ia_model_dir(const ia_model *m) { return m->dir; }

#endif
