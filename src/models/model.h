/*
 * model.h — what every model family sees of a loaded model and of a
 * session, and the interface (ia_family) each family file implements.
 *
 * A model is shared and immutable while sessions run: configs, the mapped
 * weights file, the tokenizer, the family's weight tensors, and the
 * executor that prepared those weights for its device (repacked,
 * converted). A session is one request's state: its own executors (the
 * model's device first, then a fallback for ops the device lacks), the
 * scheduler, the graph it rebuilds per call, and for decoders the KV cache.
 */
#ifndef IA_MODELS_MODEL_H
#define IA_MODELS_MODEL_H

#include <cjson/cJSON.h>
#include <stdatomic.h>

#include "backends/backend.h"
#include "backends/sched.h"
#include "formats/gguf.h"
#include "formats/hf_config.h"
#include "formats/safetensors.h"
#include "tensor/graph.h"
#include "tensor/qweights.h"
#include "util/mutex.h"

/* Tokens per encoder graph run: at least IA_CHUNK_TOKENS, and
 * IA_CHUNK_PER_THREAD per thread the session runs with; see
 * ia_session_embed. */
#define IA_CHUNK_TOKENS 512
#define IA_CHUNK_PER_THREAD 128

typedef enum ia_family_kind {
    IA_FAMILY_ENCODER = 1,         /* bert, vit: inputs → hidden states → pooled */
    IA_FAMILY_DECODER = 2,         /* llama: tokens → logits, with a KV cache */
    IA_FAMILY_ENCODER_DECODER = 3, /* t5, whisper */
    IA_FAMILY_TWO_TOWER = 4,       /* clip, clap */
} ia_family_kind;

typedef struct ia_kv_cache ia_kv_cache;

typedef struct ia_family {
    const char *name;               /* "bert", "llama" */
    const char *const *model_types; /* config.json model_type values it runs */
    ia_family_kind kind;
    int needs_tokenizer;            /* tokenizer.json required at open */

    /* Reads the family's hyper-parameters, binds its weights into
     * m->family_state, cross-checks config against tensor shapes (before
     * any compute). */
    ia_status (*load)(ia_model *m);
    void (*free_state)(void *state);

    /* Encoders: pooled embeddings [n, dim] of packed token sequences
     * (ids [T], offsets [n+1]). */
    ia_status (*build_embed)(ia_session *s, ia_graph *g, ia_tensor *ids, ia_tensor *offs, ia_tensor **out);

    /* Decoders: the session's KV cache, then the forward pass over ids at
     * positions pos that appends them to the caches: with n_kv == 1 every
     * row of ids belongs to kv[0] (a prompt, or one token); with n_kv > 1
     * row i is the next token of sequence kv[i] (batched decoding: the
     * weights are read once for all of them). *logits gets [n, vocab]
     * (all_logits, or n_kv > 1) or [1, vocab] (the last row). */
    ia_status (*init_memory)(ia_session *s);
    ia_status (*build_decode)(ia_session *s, ia_graph *g, ia_tensor *ids, ia_tensor *pos, ia_kv_cache *const *kv,
                              int n_kv, int all_logits, ia_tensor **logits);

    /* Named graphs (ia_session_run). */
    ia_status (*run_named)(ia_session *s, const char *graph, const ia_io *in, size_t n_in, ia_io *out,
                           size_t n_out);
} ia_family;

/* A mapped weights file shared by every handle of one model (endpoints on
 * several devices, repeated loads in a ModelManager): the mapping is made
 * once and freed with its last user. */
typedef struct ia_prepared_cache ia_prepared_cache;

typedef struct ia_weights_ref {
    ia_safetensors *st; /* model.safetensors, or */
    ia_gguf *gguf;      /* model.gguf (a quantised model) */
    ia_prepared_cache *prepared; /* executors' copies of its weights */
    _Atomic int refs;
} ia_weights_ref;

/* ---- prepared weights shared by the handles of a mapping (prepared.c) ---- */

ia_status ia_prepared_cache_create(ia_prepared_cache **out);
void ia_prepared_cache_free(ia_prepared_cache *c); /* after every release */

/* t->extra ← b's prepared form of t: the one another handle made, or a new
 * one (b->iface->prepare_weight). */
ia_status ia_prepared_acquire(ia_prepared_cache *c, ia_backend *b, ia_tensor *t);

/* Drops t's reference; the last frees the form with b (same kind). */
void ia_prepared_release(ia_prepared_cache *c, ia_backend *b, ia_tensor *t);

/* A linear layer's weight as the family holds it: the quantisation engine
 * swaps the representation (ia_model_set_linear / _reset_linear). */
typedef struct ia_model_linear {
    char name[160];      /* without the file's prefix */
    ia_tensor *slot;     /* inside the family's state */
    ia_tensor file;      /* the weight as the file has it */
    void *owned;         /* the codes ia_model_set_linear put in the slot */
    float *f32;          /* fp32 copy made on request (F16/BF16 files), or NULL */
} ia_model_linear;

struct ia_model {
    char name[256];
    char dir[4096];
    char device_reason[512];     /* how the device was chosen */
    int64_t weight_bytes;        /* size of the weights file */
    ia_hf_config cfg;
    ia_st_config st_cfg;
    cJSON *config;               /* config.json, for family-specific keys */
    ia_safetensors *weights;     /* borrowed from wref; NULL for model.gguf */
    ia_weights_ref *wref;
    const char *weight_prefix;   /* "" or "bert." as the file names them */
    char gguf_arch[32];          /* GGUF names (blk.N.*) for this architecture; "" for HF names */
    ia_tokenizer *tok;           /* NULL for families that take tokens */
    int max_tokens;
    int threads;
    const ia_family *family;
    void *family_state;
    /* executors */
    const ia_backend_ops *device;
    ia_backend_config exec_cfg;  /* what sessions create their executors with */
    ia_backend *exec;            /* the one that prepared the weights */
    /* every weight tensor the family bound, for preparing and releasing */
    ia_tensor **params;
    int n_params, cap_params;
    void **owned;                /* buffers this model allocated (converted weights) */
    int n_owned;
    ia_model_linear *linears;    /* every linear weight, in binding order */
    int n_linears;
    char precision[32];          /* "fp32", "int8", "int2+int4", ... */
    ia_session *own_session;     /* for ia_model_embed */
    struct ia_chat_template *chat_template; /* NULL: none, or not renderable */
    ia_status chat_template_status;          /* why not, with: */
    char chat_template_error[512];
};

struct ia_session {
    ia_model *m;
    ia_backend *exec[2];         /* the model's device, the fallback */
    int n_exec;
    ia_sched *sched;
    ia_graph *graph;
    int threads;
    /* encoder batches, reused between calls */
    int32_t *ids, *offs, *chunk_offs;
    size_t ids_cap, offs_cap, chunk_offs_cap;
    int chunk_tokens;            /* tokens per graph run (IA_CHUNK_TOKENS) */
    /* decoders */
    ia_kv_cache *kv;
    int n_ctx;
    int32_t *pos;                /* positions of the tokens being decoded */
    size_t pos_cap;
    int32_t *zeros;              /* ia_session_zeros */
    size_t zeros_cap;
    int32_t *hist;               /* decoders: the n_ctx tokens the KV cache holds */
};

/* ---- weights (weights.c) ---- */

/* Looks up weight `name` (with the model's prefix) and checks that it is
 * [shape...]; fills *t as a view of the file's data (any float dtype;
 * executors convert what they must), registers it for preparation. */
ia_status ia_model_weight(ia_model *m, const char *name, int ndim, const int64_t *shape, ia_tensor *t);

/* ia_model_weight that allows the tensor to be absent (*found = 0, *t
 * untouched). */
ia_status ia_model_weight_opt(ia_model *m, const char *name, int ndim, const int64_t *shape, ia_tensor *t,
                              int *found);

/* An embedding table [rows, cols]: any float or quantised dtype (gathers
 * convert rows). */
ia_status ia_model_table_weight(ia_model *m, const char *name, int64_t rows, int64_t cols, ia_tensor *t);

/* A linear layer's weight [n, k]: any float dtype, or quantised (ggml
 * blocks used in place, our packed layout converted to QA blocks).
 * Recorded in m->linears. */
ia_status ia_model_linear_weight(ia_model *m, const char *name, int64_t n, int64_t k, ia_tensor *t);

/* Prepares every bound weight on m->exec (after the family's load). */
ia_status ia_model_prepare_weights(ia_model *m);

/* Linear i runs from codes q (converted to a QA tensor this model owns,
 * prepared again); IA_ERR_* when the executor cannot take it. */
ia_status ia_model_set_linear(ia_model *m, int i, const ia_qweights *q);

/* Linear i back to the file's weights. */
ia_status ia_model_reset_linear(ia_model *m, int i);

/* The fp32 weights of linear i as the file has them (converted once from
 * F16/BF16), or NULL with an error when the file stores it quantised. */
const float *ia_model_linear_f32(ia_model *m, int i);

/* Every quantised linear layer runs from its weights dequantised to F32
 * (the file's values exactly, as gguf-py and transformers dequantise):
 * the reference forward pass of a quantised file. */
ia_status ia_model_dequantize_linears(ia_model *m);

/* Fills m->precision from the dtypes of the bound linear layers. */
void ia_model_update_precision(ia_model *m);

/* ---- chat templates (chat.c) ---- */

/* Finds and parses the model's chat template (none is no error). */
ia_status ia_model_load_chat_template(ia_model *m);

/* ---- opening (model.c) ---- */

/* Opens a model with a resolved profile; when `share` is a model of the
 * same directory its weights mapping is reused. No quantisation at load:
 * that is the quantisation engine's (quant/model_open.c), which the
 * public ia_model_open* entries go through. */
ia_status ia_model_load(const char *ref, const ia_hardware_profile *profile, ia_model *share, ia_model **out);

/* The session ia_model_embed uses (made on first use). */
ia_status ia_model_own_session(ia_model *m, ia_session **out);

/* The resolved directory of a model. Borrowed. */
static inline const char *ia_model_dir(const ia_model *m) { return m->dir; }

/* ---- sessions (session.c) ---- */

/* The graph observer of the session's runs (calibration). */
void ia_session_set_observer(ia_session *s, ia_graph_observer fn, void *ud);

/* n zeros (I32) that stay valid until the session grows them again:
 * token types of texts that have none. NULL (error set) on failure. */
int32_t *ia_session_zeros(ia_session *s, size_t n);

/* Runs the session's graph (built by the caller) and returns. */
ia_status ia_session_compute(ia_session *s);

/* Decoders: how many of ids[0..n) the session's cache already holds (the
 * common prefix), and forgetting all but the first n cached tokens. */
size_t ia_session_common_prefix(const ia_session *s, const int32_t *ids, size_t n);
void ia_session_truncate(ia_session *s, int n);

/* Reads a contiguous F32 output of the last run into dst. */
ia_status ia_session_read(ia_session *s, const ia_tensor *t, float *dst, size_t n);

/* Decodes tokens (appending them to the KV cache) and leaves the logits
 * tensor of the run in *logits: [n, vocab] (all_logits) or [1, vocab]. */
ia_status ia_session_decode_tensor(ia_session *s, const int32_t *tokens, size_t n, int all_logits,
                                   ia_tensor **logits);

/* ---- named inputs and outputs (io.c) ---- */

/* The input called name, or NULL. */
const ia_io *ia_io_find(const ia_io *in, size_t n, const char *name);

/* Checks an input: dtype, rank; IA_ERR_INVALID_ARG naming it otherwise. */
ia_status ia_io_check(const ia_io *io, ia_io_dtype dtype, int ndim);

/* Copies a run's F32 output t into the caller's output called name (when
 * asked for): shape, capacity check, download. */
ia_status ia_io_put(ia_session *s, ia_io *out, size_t n_out, const char *name, const ia_tensor *t, int ndim,
                    const int64_t *shape);

/* IA_ERR_INVALID_ARG when an output name is not one of names (NULL-ended). */
ia_status ia_io_known(const ia_io *out, size_t n_out, const char *const *names, const char *graph);

/* ---- the KV cache (kv_cache.c) ---- */

/* One K and one V matrix [n_ctx, k_dim / v_dim] per layer in one state
 * buffer of the session's device. */
ia_status ia_kv_cache_create(ia_session *s, int n_layers, int n_ctx, int64_t k_dim, int64_t v_dim,
                             ia_kv_cache **out);
void ia_kv_cache_free(ia_kv_cache *kv);

/* Tokens held. */
int ia_kv_cache_used(const ia_kv_cache *kv);
void ia_kv_cache_clear(ia_kv_cache *kv);
void ia_kv_cache_truncate(ia_kv_cache *kv, int n); /* keeps the first n rows */
size_t ia_kv_cache_bytes(const ia_kv_cache *kv);
int ia_kv_cache_capacity(const ia_kv_cache *kv);

/* Appends WRITEs of k_new/v_new [n, dim] at rows [used, used + n) of layer
 * l to g and returns views of rows [0, used + n) for attention. The cache
 * counts the rows as used only after ia_kv_cache_commit. */
ia_status ia_kv_cache_store(ia_kv_cache *kv, ia_graph *g, int layer, ia_tensor *k_new, ia_tensor *v_new,
                            ia_tensor **k_all, ia_tensor **v_all);
void ia_kv_cache_commit(ia_kv_cache *kv, int n);

/* ---- families ---- */

extern const ia_family ia_family_bert;
extern const ia_family ia_family_llama;

/* The family for config.json's model_type, or NULL. */
const ia_family *ia_family_find(const char *model_type);

/* "bert, llama, ..." for messages. */
void ia_family_list(char *buf, size_t cap);

/* The family that would run model ref (config.json's model_type, or a
 * GGUF's metadata, read as ia_model_open reads them), without mapping
 * the weights for compute, binding them or choosing a device: what the
 * benchmark runner asks to pick the kind of measurement. *out is NULL
 * (and IA_OK) when the model_type is one no family runs; a missing model
 * or config is the error ia_model_open would report first. */
ia_status ia_model_peek_family(const char *ref, const ia_family **out);

#endif
