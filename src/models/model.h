/*
 * model.h — what every model family sees of a loaded model: its configs,
 * its mapped weights, its tokenizer, the backend that runs it; and the
 * interface (ia_family) each family file implements.
 */
#ifndef IA_MODELS_MODEL_H
#define IA_MODELS_MODEL_H

#include "backends/backend.h"
#include "formats/hf_config.h"
#include "formats/safetensors.h"
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
    ia_safetensors *st;
    _Atomic int refs;
} ia_weights_ref;

struct ia_model {
    char name[256];
    char dir[4096];
    char device_reason[512];     /* how the device was chosen */
    int64_t weight_bytes;        /* size of model.safetensors */
    ia_hf_config cfg;
    ia_st_config st_cfg;
    ia_safetensors *weights;     /* borrowed from wref */
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
};

/* Looks up weight `name` (with the model's prefix) and checks that it is
 * [shape...]; converts F16/BF16 to F32 once (the only copy of a weight the
 * core ever makes — F32 weights are used in place). Fills *t. */
ia_status ia_model_weight(ia_model *m, const char *name, int ndim, const int64_t *shape,
                          ia_tensor *t);

extern const ia_family ia_family_bert;

/* ia_model_open_profile, but when `share` is a model of the same directory
 * its weights mapping is reused instead of mapped again. */
ia_status ia_model_open_shared(const char *ref, const ia_hardware_profile *profile, ia_model *share,
                               ia_model **out);

/* The resolved directory of a model. Borrowed. */
static inline const char *ia_model_dir(const ia_model *m) { return m->dir; }

#endif
