/*
 * llama.c — the llama decoder family (llama, mistral-shaped, qwen2): a
 * pre-norm transformer with RMSNorm, rotary positions (neox layout, as
 * transformers' rotate_half), grouped-query attention over a KV cache and
 * a SwiGLU feed-forward, as HF LlamaForCausalLM / Qwen2ForCausalLM:
 *
 *   h = x + Wo · Attn(rope(Wq n(x)), rope(Wk n(x)), Wv n(x)),  n = RMSNorm
 *   x = h + Wdown · (silu(Wgate n(h)) ⊙ Wup n(h))
 *   logits = Wlm · n(x)
 *
 * Hyper-parameters come from config.json (safetensors directories); the
 * GGUF metadata path comes with the LLM issue.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/config_keys.h"
#include "models/model.h"
#include "util/error.h"

enum { W_ATTN_NORM, W_Q, W_QB, W_K, W_KB, W_V, W_VB, W_O, W_OB, W_FFN_NORM, W_GATE, W_UP, W_DOWN, W_PER_LAYER };

typedef struct llama_params {
    int n_layers, hidden, heads, kv_heads, head_dim, ffn, vocab;
    float eps, rope_base, rope_scale;
    int qkv_bias, o_bias, tied;
    int rope_interleaved; /* GGUF llama: Q/K rows permuted for adjacent-pair rotation */
} llama_params;

typedef struct llama_state {
    llama_params p;
    ia_tensor embed, norm, lm_head;
    ia_tensor *layers;  /* [n_layers][W_PER_LAYER] */
    unsigned char *has; /* bias present, per layer and slot */
} llama_state;

static void llama_free(void *ptr) {
    llama_state *s = ptr;
    if (!s) return;
    free(s->layers);
    free(s->has);
    free(s);
}

/* Reads the keys transformers' LlamaConfig / Qwen2Config define. */
static ia_status read_params(ia_model *m, llama_params *p) {
    const cJSON *c = m->config, *scaling;
    char act[32], rope_type[32];
    long long v;
    double f;
    ia_status st;
    memset(p, 0, sizeof *p);
    p->n_layers = m->cfg.num_hidden_layers;
    p->hidden = m->cfg.hidden_size;
    p->heads = m->cfg.num_attention_heads;
    p->ffn = m->cfg.intermediate_size;
    p->vocab = m->cfg.vocab_size;
    if ((st = ia_json_int("config.json", c, "num_key_value_heads", 0, 1, p->heads, p->heads, &v)) != IA_OK) return st;
    p->kv_heads = (int)v;
    if (p->heads % p->kv_heads)
        return ia_error(IA_ERR_FORMAT, "config.json: num_attention_heads %d is not a multiple of num_key_value_heads %d",
                        p->heads, p->kv_heads);
    if (p->hidden % p->heads && !cJSON_GetObjectItemCaseSensitive(c, "head_dim"))
        return ia_error(IA_ERR_FORMAT, "config.json: hidden_size %d is not a multiple of num_attention_heads %d",
                        p->hidden, p->heads);
    if ((st = ia_json_int("config.json", c, "head_dim", 0, 2, 1 << 12, p->hidden / p->heads, &v)) != IA_OK) return st;
    p->head_dim = (int)v;
    if (p->head_dim % 2) return ia_error(IA_ERR_FORMAT, "config.json: head_dim %d is odd (rotary needs pairs)", p->head_dim);
    if ((st = ia_json_float("config.json", c, "rms_norm_eps", 0, 1e-12, 1.0, 1e-6, &f)) != IA_OK) return st;
    p->eps = (float)f;
    /* RoPE: transformers 5 writes "rope_parameters" {rope_type, rope_theta,
     * factor}; checkpoints of transformers 4 have top-level "rope_theta" and
     * "rope_scaling" {rope_type or type, factor}. Both are read. */
    if ((st = ia_json_object("config.json", c, "rope_parameters", &scaling)) != IA_OK) return st;
    if (!scaling && (st = ia_json_object("config.json", c, "rope_scaling", &scaling)) != IA_OK) return st;
    if ((st = ia_json_float("config.json", c, "rope_theta", 0, 1.0, 1e12, 10000.0, &f)) != IA_OK) return st;
    if (scaling && (st = ia_json_float("config.json", scaling, "rope_theta", 0, 1.0, 1e12, f, &f)) != IA_OK) return st;
    p->rope_base = (float)f;
    p->rope_scale = 1.0f;
    if (scaling) {
        if ((st = ia_json_string("config.json", scaling, "rope_type", "", rope_type, sizeof rope_type)) != IA_OK) return st;
        if (!rope_type[0] && (st = ia_json_string("config.json", scaling, "type", "default", rope_type, sizeof rope_type)) != IA_OK)
            return st;
        if (strcmp(rope_type, "linear") == 0) {
            if ((st = ia_json_float("config.json", scaling, "factor", 1, 1e-3, 1e6, 1.0, &f)) != IA_OK) return st;
            p->rope_scale = (float)(1.0 / f); /* transformers divides the frequencies by factor */
        } else if (strcmp(rope_type, "default") != 0) {
            return ia_error(IA_ERR_UNSUPPORTED, "config.json: rope type \"%s\" is not supported yet (default and linear are)",
                            rope_type);
        }
    }
    if ((st = ia_json_string("config.json", c, "hidden_act", "silu", act, sizeof act)) != IA_OK) return st;
    if (strcmp(act, "silu") != 0)
        return ia_error(IA_ERR_UNSUPPORTED, "%s: hidden_act \"%s\" (the llama family runs silu)", m->cfg.model_type, act);
    {
        int bias, mlp_bias;
        if ((st = ia_json_bool("config.json", c, "attention_bias", 0, &bias)) != IA_OK) return st;
        if ((st = ia_json_bool("config.json", c, "mlp_bias", 0, &mlp_bias)) != IA_OK) return st;
        if (mlp_bias) return ia_error(IA_ERR_UNSUPPORTED, "config.json: mlp_bias is not supported yet");
        /* Qwen2 has biases on q, k and v by design, whatever the config says */
        p->qkv_bias = bias || strcmp(m->cfg.model_type, "qwen2") == 0;
        p->o_bias = bias;
    }
    /* transformers' default for both configs is untied (LlamaConfig,
     * Qwen2Config: tie_word_embeddings=False) */
    if ((st = ia_json_bool("config.json", c, "tie_word_embeddings", 0, &p->tied)) != IA_OK) return st;
    /* set by formats/gguf_config.c for llama.cpp's llama architecture */
    if ((st = ia_json_bool("config.json", c, "rope_interleaved", 0, &p->rope_interleaved)) != IA_OK) return st;
    return IA_OK;
}

static ia_status llama_load(ia_model *m) {
    llama_state *s;
    llama_params p;
    int64_t h, q_dim, kv_dim;
    int found;
    ia_status st;
    if ((st = read_params(m, &p)) != IA_OK) return st;
    h = p.hidden;
    q_dim = (int64_t)p.heads * p.head_dim;
    kv_dim = (int64_t)p.kv_heads * p.head_dim;
    if (!(s = calloc(1, sizeof *s)) || !(s->layers = calloc((size_t)p.n_layers * W_PER_LAYER, sizeof *s->layers)) ||
        !(s->has = calloc((size_t)p.n_layers * W_PER_LAYER, 1))) {
        llama_free(s);
        return ia_error(IA_ERR_NOMEM, "llama weights");
    }
    s->p = p;
    if ((st = ia_model_table_weight(m, "model.embed_tokens.weight", p.vocab, h, &s->embed)) != IA_OK) goto fail;
    {
        const int64_t shn[1] = {h};
        if ((st = ia_model_weight(m, "model.norm.weight", 1, shn, &s->norm)) != IA_OK) goto fail;
    }
    for (int l = 0; l < p.n_layers; l++) {
        ia_tensor *t = &s->layers[l * W_PER_LAYER];
        unsigned char *has = &s->has[l * W_PER_LAYER];
        char nm[200];
        const int64_t shh[1] = {h}, shq[1] = {q_dim}, shkv[1] = {kv_dim};
#define NAME(suffix) (snprintf(nm, sizeof nm, "model.layers.%d.%s", l, suffix), nm)
#define LIN(slot, suffix, rows, cols) \
        if ((st = ia_model_linear_weight(m, NAME(suffix), rows, cols, &t[slot])) != IA_OK) goto fail
#define VEC(slot, suffix, shape) \
        if ((st = ia_model_weight(m, NAME(suffix), 1, shape, &t[slot])) != IA_OK) goto fail
        VEC(W_ATTN_NORM, "input_layernorm.weight", shh);
        LIN(W_Q, "self_attn.q_proj.weight", q_dim, h);
        LIN(W_K, "self_attn.k_proj.weight", kv_dim, h);
        LIN(W_V, "self_attn.v_proj.weight", kv_dim, h);
        LIN(W_O, "self_attn.o_proj.weight", h, q_dim);
        if (p.qkv_bias) {
            VEC(W_QB, "self_attn.q_proj.bias", shq);
            VEC(W_KB, "self_attn.k_proj.bias", shkv);
            VEC(W_VB, "self_attn.v_proj.bias", shkv);
            has[W_QB] = has[W_KB] = has[W_VB] = 1;
        }
        if (p.o_bias) {
            VEC(W_OB, "self_attn.o_proj.bias", shh);
            has[W_OB] = 1;
        }
        VEC(W_FFN_NORM, "post_attention_layernorm.weight", shh);
        LIN(W_GATE, "mlp.gate_proj.weight", p.ffn, h);
        LIN(W_UP, "mlp.up_proj.weight", p.ffn, h);
        LIN(W_DOWN, "mlp.down_proj.weight", h, p.ffn);
#undef NAME
#undef LIN
#undef VEC
    }
    /* lm_head: its own matrix, or the embedding table when tied (or when
     * the file has none, which is how tied checkpoints are saved) */
    {
        const int64_t shl[2] = {p.vocab, h};
        if (p.tied) {
            found = 0;
        } else if ((st = ia_model_weight_opt(m, "lm_head.weight", 2, shl, &s->lm_head, &found)) != IA_OK) {
            goto fail;
        }
        if (found) {
            /* bound as a plain weight above to learn whether it exists;
             * rebind as a linear so it is prepared for the GEMM */
            m->n_params--;
            if ((st = ia_model_linear_weight(m, "lm_head.weight", p.vocab, h, &s->lm_head)) != IA_OK) goto fail;
        } else {
            s->lm_head = s->embed;
            s->lm_head.use = IA_USE_MATMUL;
            if ((st = ia_model_linear_weight(m, "model.embed_tokens.weight", p.vocab, h, &s->lm_head)) != IA_OK)
                goto fail;
        }
    }
    m->family_state = s;
    return IA_OK;
fail:
    llama_free(s);
    return st;
}

static ia_status llama_init_memory(ia_session *ss) {
    llama_state *s = ss->m->family_state;
    return ia_kv_cache_create(ss, s->p.n_layers, ss->n_ctx, (int64_t)s->p.kv_heads * s->p.head_dim,
                              (int64_t)s->p.kv_heads * s->p.head_dim, &ss->kv);
}

#define OP(dst, op, shape, a, b, c, d)                                                             \
    do {                                                                                           \
        if (!((dst) = ia_graph_op(g, op, 2, shape, a, b, c, d))) return IA_ERR_NOMEM;             \
    } while (0)

static ia_status rope(ia_graph *g, const llama_params *p, ia_tensor *x, ia_tensor *pos, ia_tensor **out) {
    int64_t sh[2] = {ia_tensor_rows(x), ia_tensor_cols(x)};
    ia_node *n;
    OP(*out, IA_OP_ROPE, sh, x, pos, NULL, NULL);
    n = ia_graph_last(g);
    n->iparam[0] = p->rope_interleaved ? IA_ROPE_NORMAL : IA_ROPE_NEOX;
    n->iparam[1] = p->head_dim;
    n->iparam[2] = p->head_dim;
    n->fparam[0] = p->rope_base;
    n->fparam[1] = p->rope_scale;
    return IA_OK;
}

static ia_status attention(ia_graph *g, const llama_params *p, ia_tensor *q, ia_tensor *k_all, ia_tensor *v_all,
                           ia_tensor **out) {
    int64_t sh[2] = {ia_tensor_rows(q), ia_tensor_cols(q)};
    ia_node *node;
    OP(*out, IA_OP_ATTENTION, sh, q, k_all, v_all, NULL);
    node = ia_graph_last(g);
    node->iparam[0] = p->heads;
    node->iparam[1] = p->kv_heads;
    node->iparam[2] = IA_ATTN_CAUSAL;
    node->fparam[0] = 1.0f / sqrtf((float)p->head_dim);
    return IA_OK;
}

/* Appends the step's K and V rows to the caches and attends: one sequence
 * (n_kv == 1) in one node; several, one row each, in a node per sequence
 * against its own cache, the rows joined again. */
static ia_status attend(ia_graph *g, const llama_params *p, ia_kv_cache *const *kv, int n_kv, int layer,
                        ia_tensor *q, ia_tensor *k, ia_tensor *v, ia_tensor **out) {
    ia_tensor *k_all, *v_all, *qi, *ki, *vi, *ai, *acc = NULL;
    ia_status st;
    if (n_kv == 1) {
        if ((st = ia_kv_cache_store(kv[0], g, layer, k, v, &k_all, &v_all)) != IA_OK) return st;
        return attention(g, p, q, k_all, v_all, out);
    }
    for (int i = 0; i < n_kv; i++) {
        if (!(qi = ia_graph_slice(g, q, 0, i, 1)) || !(ki = ia_graph_slice(g, k, 0, i, 1)) ||
            !(vi = ia_graph_slice(g, v, 0, i, 1)))
            return IA_ERR_INTERNAL;
        if ((st = ia_kv_cache_store(kv[i], g, layer, ki, vi, &k_all, &v_all)) != IA_OK ||
            (st = attention(g, p, qi, k_all, v_all, &ai)) != IA_OK)
            return st;
        if (acc) {
            int64_t sh[2] = {i + 1, ia_tensor_cols(q)};
            OP(acc, IA_OP_CONCAT, sh, acc, ai, NULL, NULL);
            ia_graph_last(g)->iparam[0] = 0;
        } else {
            acc = ai;
        }
    }
    *out = acc;
    return IA_OK;
}

static ia_status llama_build_decode(ia_session *ss, ia_graph *g, ia_tensor *ids, ia_tensor *pos,
                                    ia_kv_cache *const *kv, int n_kv, int all_logits, ia_tensor **logits) {
    llama_state *s = ss->m->family_state;
    const llama_params *p = &s->p;
    int64_t n = ia_tensor_nelem(ids), q_dim = (int64_t)p->heads * p->head_dim, kv_dim = (int64_t)p->kv_heads * p->head_dim;
    int64_t sh[2] = {n, p->hidden}, shq[2] = {n, q_dim}, shkv[2] = {n, kv_dim}, shf[2] = {n, p->ffn};
    ia_tensor *x, *xn, *q, *k, *v, *a, *gate, *up;
    ia_status st;
    if (n_kv > 1 && n_kv != n) return ia_error(IA_ERR_INTERNAL, "decode: %d sequences for %lld rows", n_kv, (long long)n);
    OP(x, IA_OP_GET_ROWS, sh, &s->embed, ids, NULL, NULL);
    for (int l = 0; l < p->n_layers; l++) {
        ia_tensor *w = &s->layers[l * W_PER_LAYER];
        const unsigned char *has = &s->has[l * W_PER_LAYER];
        OP(xn, IA_OP_RMS_NORM, sh, x, &w[W_ATTN_NORM], NULL, NULL);
        ia_graph_last(g)->fparam[0] = p->eps;
        OP(q, IA_OP_LINEAR, shq, xn, &w[W_Q], has[W_QB] ? &w[W_QB] : NULL, NULL);
        OP(k, IA_OP_LINEAR, shkv, xn, &w[W_K], has[W_KB] ? &w[W_KB] : NULL, NULL);
        OP(v, IA_OP_LINEAR, shkv, xn, &w[W_V], has[W_VB] ? &w[W_VB] : NULL, NULL);
        if ((st = rope(g, p, q, pos, &q)) != IA_OK || (st = rope(g, p, k, pos, &k)) != IA_OK) return st;
        if ((st = attend(g, p, kv, n_kv, l, q, k, v, &a)) != IA_OK) return st;
        OP(a, IA_OP_LINEAR, sh, a, &w[W_O], has[W_OB] ? &w[W_OB] : NULL, NULL);
        OP(x, IA_OP_ADD, sh, x, a, NULL, NULL);
        OP(xn, IA_OP_RMS_NORM, sh, x, &w[W_FFN_NORM], NULL, NULL);
        ia_graph_last(g)->fparam[0] = p->eps;
        OP(gate, IA_OP_LINEAR, shf, xn, &w[W_GATE], NULL, NULL);
        OP(up, IA_OP_LINEAR, shf, xn, &w[W_UP], NULL, NULL);
        OP(gate, IA_OP_SWIGLU, shf, gate, up, NULL, NULL);
        OP(a, IA_OP_LINEAR, sh, gate, &w[W_DOWN], NULL, NULL);
        OP(x, IA_OP_ADD, sh, x, a, NULL, NULL);
    }
    if (!all_logits && n_kv == 1 && n > 1) { /* only the last position's logits are asked for */
        if (!(x = ia_graph_slice(g, x, 0, n - 1, 1))) return IA_ERR_INTERNAL;
        sh[0] = 1;
    }
    OP(xn, IA_OP_RMS_NORM, sh, x, &s->norm, NULL, NULL);
    ia_graph_last(g)->fparam[0] = p->eps;
    {
        int64_t shl[2] = {sh[0], p->vocab};
        OP(*logits, IA_OP_LINEAR, shl, xn, &s->lm_head, NULL, NULL);
    }
    return IA_OK;
}

static ia_status llama_run_named(ia_session *ss, const char *graph, const ia_io *in, size_t n_in, ia_io *out,
                                 size_t n_out) {
    static const char *const outputs[] = {"logits", NULL};
    const ia_io *ids = ia_io_find(in, n_in, "input_ids");
    ia_tensor *logits;
    int64_t shape[2];
    ia_status st;
    if (strcmp(graph, "decoder") != 0)
        return ia_error(IA_ERR_NOT_FOUND, "%s has one graph, \"decoder\", not \"%s\"", ss->m->family->name, graph);
    if ((st = ia_io_known(out, n_out, outputs, graph)) != IA_OK) return st;
    if (!ids) return ia_error(IA_ERR_INVALID_ARG, "decoder: input_ids is required");
    if ((st = ia_io_check(ids, IA_IO_I32, 1)) != IA_OK) return st;
    shape[0] = ids->shape[0];
    shape[1] = ss->m->cfg.vocab_size;
    for (size_t i = 0; i < n_out; i++) /* capacity first: a refused call must not advance the cache */
        if (!out[i].data || out[i].capacity < (size_t)(shape[0] * shape[1]) * sizeof(float))
            return ia_error(IA_ERR_INVALID_ARG, "output logits needs %zu bytes (capacity %zu)",
                            (size_t)(shape[0] * shape[1]) * sizeof(float), out[i].capacity);
    if ((st = ia_session_decode_tensor(ss, ids->data, (size_t)ids->shape[0], 1, &logits)) != IA_OK) return st;
    return ia_io_put(ss, out, n_out, "logits", logits, 2, shape);
}

static const char *const llama_types[] = {"llama", "mistral", "qwen2", NULL};

const ia_family ia_family_llama = {
    .name = "llama",
    .model_types = llama_types,
    .kind = IA_FAMILY_DECODER,
    .needs_tokenizer = 0,
    .load = llama_load,
    .free_state = llama_free,
    .init_memory = llama_init_memory,
    .build_decode = llama_build_decode,
    .run_named = llama_run_named,
};
