/*
 * gguf_config.c — GGUF metadata as config.json, and tensor names both ways
 * (see gguf_config.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf_config.h"
#include "util/error.h"

/* Tensor stems (without ".weight"/".bias"), Hugging Face ↔ GGUF; one "%d"
 * stands for the layer. */
typedef struct name_pair {
    const char *hf, *gguf;
} name_pair;

static const name_pair llama_names[] = {
    {"model.embed_tokens", "token_embd"},
    {"model.norm", "output_norm"},
    {"lm_head", "output"},
    {"model.layers.%d.input_layernorm", "blk.%d.attn_norm"},
    {"model.layers.%d.self_attn.q_proj", "blk.%d.attn_q"},
    {"model.layers.%d.self_attn.k_proj", "blk.%d.attn_k"},
    {"model.layers.%d.self_attn.v_proj", "blk.%d.attn_v"},
    {"model.layers.%d.self_attn.o_proj", "blk.%d.attn_output"},
    {"model.layers.%d.post_attention_layernorm", "blk.%d.ffn_norm"},
    {"model.layers.%d.mlp.gate_proj", "blk.%d.ffn_gate"},
    {"model.layers.%d.mlp.up_proj", "blk.%d.ffn_up"},
    {"model.layers.%d.mlp.down_proj", "blk.%d.ffn_down"},
    {NULL, NULL},
};

static const name_pair bert_names[] = {
    {"embeddings.word_embeddings", "token_embd"},
    {"embeddings.position_embeddings", "position_embd"},
    {"embeddings.token_type_embeddings", "token_types"},
    {"embeddings.LayerNorm", "token_embd_norm"},
    {"encoder.layer.%d.attention.self.query", "blk.%d.attn_q"},
    {"encoder.layer.%d.attention.self.key", "blk.%d.attn_k"},
    {"encoder.layer.%d.attention.self.value", "blk.%d.attn_v"},
    {"encoder.layer.%d.attention.output.dense", "blk.%d.attn_output"},
    {"encoder.layer.%d.attention.output.LayerNorm", "blk.%d.attn_output_norm"},
    {"encoder.layer.%d.intermediate.dense", "blk.%d.ffn_up"},
    {"encoder.layer.%d.output.dense", "blk.%d.ffn_down"},
    {"encoder.layer.%d.output.LayerNorm", "blk.%d.layer_output_norm"},
    {NULL, NULL},
};

typedef struct arch_info {
    const char *arch;       /* general.architecture */
    const char *model_type; /* config.json's */
    int rope_interleaved;   /* llama.cpp's rope type NORM */
    const name_pair *names;
} arch_info;

static const arch_info archs[] = {
    {"llama", "llama", 1, llama_names},
    {"qwen2", "qwen2", 0, llama_names},
    {"bert", "bert", 0, bert_names},
    {NULL, NULL, 0, NULL},
};

static const arch_info *find_arch(const char *arch) {
    for (int i = 0; arch && archs[i].arch; i++)
        if (strcmp(archs[i].arch, arch) == 0) return &archs[i];
    return NULL;
}

int ia_gguf_arch_known(const char *arch) { return find_arch(arch) != NULL; }

/* Matches name against stem pattern pat (one optional "%d"): on success
 * *layer is the number (-1 without one) and *rest what follows the stem,
 * which must be empty or start with '.'. */
static int match_stem(const char *pat, const char *name, int *layer, const char **rest) {
    const char *d = strstr(pat, "%d");
    size_t pre = d ? (size_t)(d - pat) : strlen(pat);
    const char *p;
    if (strncmp(name, pat, pre) != 0) return 0;
    p = name + pre;
    *layer = -1;
    if (d) {
        long v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 7) v = v * 10 + (*p++ - '0'), digits++;
        if (!digits || (digits > 1 && name[pre] == '0')) return 0;
        *layer = (int)v;
        if (strncmp(p, d + 2, strlen(d + 2)) != 0) return 0;
        p += strlen(d + 2);
    }
    if (*p && *p != '.') return 0;
    *rest = p;
    return 1;
}

static int translate(const char *arch, const char *name, int to_gguf, char *buf, size_t cap) {
    const arch_info *a = find_arch(arch);
    for (int i = 0; a && a->names[i].hf; i++) {
        const char *from = to_gguf ? a->names[i].hf : a->names[i].gguf;
        const char *to = to_gguf ? a->names[i].gguf : a->names[i].hf;
        const char *rest, *d;
        int layer, n;
        if (!match_stem(from, name, &layer, &rest)) continue;
        d = strstr(to, "%d");
        n = d ? snprintf(buf, cap, "%.*s%d%s%s", (int)(d - to), to, layer, d + 2, rest)
              : snprintf(buf, cap, "%s%s", to, rest);
        return n > 0 && (size_t)n < cap;
    }
    return 0;
}

int ia_gguf_name_from_hf(const char *arch, const char *hf_name, char *buf, size_t cap) {
    return translate(arch, hf_name, 1, buf, cap);
}

int ia_gguf_name_to_hf(const char *arch, const char *gguf_name, char *buf, size_t cap) {
    return translate(arch, gguf_name, 0, buf, cap);
}

/* ---- metadata → config.json ---- */

typedef struct key_map {
    const char *suffix; /* after "<arch>." */
    const char *hf;     /* config.json key */
    int is_float;
    int required;
} key_map;

static const key_map llama_keys[] = {
    {"block_count", "num_hidden_layers", 0, 1},
    {"embedding_length", "hidden_size", 0, 1},
    {"feed_forward_length", "intermediate_size", 0, 1},
    {"attention.head_count", "num_attention_heads", 0, 1},
    {"attention.head_count_kv", "num_key_value_heads", 0, 0},
    {"attention.key_length", "head_dim", 0, 0},
    {"attention.layer_norm_rms_epsilon", "rms_norm_eps", 1, 0},
    {"rope.freq_base", "rope_theta", 1, 0},
    {"context_length", "max_position_embeddings", 0, 0},
    {"vocab_size", "vocab_size", 0, 0},
    {NULL, NULL, 0, 0},
};

static const key_map bert_keys[] = {
    {"block_count", "num_hidden_layers", 0, 1},
    {"embedding_length", "hidden_size", 0, 1},
    {"feed_forward_length", "intermediate_size", 0, 1},
    {"attention.head_count", "num_attention_heads", 0, 1},
    {"attention.layer_norm_epsilon", "layer_norm_eps", 1, 0},
    {"context_length", "max_position_embeddings", 0, 0},
    {"vocab_size", "vocab_size", 0, 0},
    {"pooling_type", "gguf_pooling_type", 0, 0},
    {NULL, NULL, 0, 0},
};

/* Copies the mapped keys that are present; a required one missing is
 * IA_ERR_FORMAT. */
static ia_status copy_keys(const ia_gguf *f, const char *arch, const key_map *keys, cJSON *cfg) {
    char key[128];
    for (int i = 0; keys[i].suffix; i++) {
        ia_status st;
        snprintf(key, sizeof key, "%s.%s", arch, keys[i].suffix);
        if (keys[i].is_float) {
            float v;
            st = ia_gguf_get_f32(f, key, &v);
            if (st == IA_OK && !cJSON_AddNumberToObject(cfg, keys[i].hf, (double)v)) return IA_ERR_NOMEM;
        } else {
            int64_t v;
            st = ia_gguf_get_i64(f, key, &v);
            if (st == IA_OK && !cJSON_AddNumberToObject(cfg, keys[i].hf, (double)v)) return IA_ERR_NOMEM;
        }
        if (st == IA_ERR_NOT_FOUND) {
            ia_error_clear();
            if (keys[i].required) return ia_error(IA_ERR_FORMAT, "GGUF metadata: required key '%s' is missing", key);
        } else if (st != IA_OK) {
            return st;
        }
    }
    return IA_OK;
}

/* rope.scaling.type / .factor as transformers' rope_scaling. */
static ia_status copy_rope_scaling(const ia_gguf *f, const char *arch, cJSON *cfg) {
    char key[128];
    const char *type;
    float factor = 1.0f;
    cJSON *s;
    ia_status st;
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    if ((st = ia_gguf_get_str(f, key, &type)) == IA_ERR_NOT_FOUND) {
        ia_error_clear();
        return IA_OK;
    }
    if (st != IA_OK) return st;
    if (strcmp(type, "none") == 0) return IA_OK;
    snprintf(key, sizeof key, "%s.rope.scaling.factor", arch);
    if ((st = ia_gguf_get_f32(f, key, &factor)) == IA_ERR_NOT_FOUND) ia_error_clear();
    else if (st != IA_OK) return st;
    if (!(s = cJSON_AddObjectToObject(cfg, "rope_scaling")) || !cJSON_AddStringToObject(s, "rope_type", type) ||
        !cJSON_AddNumberToObject(s, "factor", (double)factor))
        return IA_ERR_NOMEM;
    return IA_OK;
}

/* vocab_size: "<arch>.vocab_size", else the tokenizer's token count, else
 * the embedding table's rows. */
static ia_status fill_vocab(const ia_gguf *f, cJSON *cfg) {
    size_t n;
    const char *const *tokens;
    const ia_gguf_tensor *t;
    ia_status st;
    if (cJSON_GetObjectItemCaseSensitive(cfg, "vocab_size")) return IA_OK;
    if ((st = ia_gguf_get_str_array(f, "tokenizer.ggml.tokens", &n, &tokens)) == IA_OK) {
    } else if (st == IA_ERR_NOT_FOUND && (t = ia_gguf_find(f, "token_embd.weight")) != NULL && t->ndim == 2) {
        ia_error_clear();
        n = (size_t)t->shape[0];
    } else {
        return st == IA_ERR_NOT_FOUND ? ia_error(IA_ERR_FORMAT, "GGUF: no vocab_size, tokenizer or token_embd.weight")
                                      : st;
    }
    return cJSON_AddNumberToObject(cfg, "vocab_size", (double)n) ? IA_OK : IA_ERR_NOMEM;
}

static ia_status build(const ia_gguf *f, const arch_info *a, cJSON *cfg) {
    ia_status st;
    if (!cJSON_AddStringToObject(cfg, "model_type", a->model_type) ||
        !cJSON_AddStringToObject(cfg, "gguf_architecture", a->arch))
        return IA_ERR_NOMEM;
    if (strcmp(a->arch, "bert") == 0) {
        const ia_gguf_tensor *t = ia_gguf_find(f, "token_types.weight");
        if ((st = copy_keys(f, a->arch, bert_keys, cfg)) != IA_OK) return st;
        if (!cJSON_AddStringToObject(cfg, "hidden_act", "gelu") ||
            (t && t->ndim == 2 && !cJSON_AddNumberToObject(cfg, "type_vocab_size", (double)t->shape[0])))
            return IA_ERR_NOMEM;
        return fill_vocab(f, cfg);
    }
    if ((st = copy_keys(f, a->arch, llama_keys, cfg)) != IA_OK) return st;
    if ((st = copy_rope_scaling(f, a->arch, cfg)) != IA_OK) return st;
    {
        /* Partial rotary (rope.dimension_count < head_dim) is another
         * family's (phi, stablelm); refused rather than run wrong. */
        char key[128];
        int64_t rope_dims, heads = (int64_t)cJSON_GetObjectItemCaseSensitive(cfg, "num_attention_heads")->valuedouble;
        int64_t hidden = (int64_t)cJSON_GetObjectItemCaseSensitive(cfg, "hidden_size")->valuedouble;
        const cJSON *hd = cJSON_GetObjectItemCaseSensitive(cfg, "head_dim");
        int64_t head_dim = hd ? (int64_t)hd->valuedouble : heads > 0 ? hidden / heads : 0;
        snprintf(key, sizeof key, "%s.rope.dimension_count", a->arch);
        if ((st = ia_gguf_get_i64(f, key, &rope_dims)) == IA_ERR_NOT_FOUND) {
            ia_error_clear();
        } else if (st != IA_OK) {
            return st;
        } else if (rope_dims != head_dim) {
            return ia_error(IA_ERR_UNSUPPORTED, "GGUF: %s = %lld but the head size is %lld (partial rotary embeddings "
                            "are not supported by the llama family)", key, (long long)rope_dims, (long long)head_dim);
        }
    }
    if (!cJSON_AddStringToObject(cfg, "hidden_act", "silu") ||
        !cJSON_AddBoolToObject(cfg, "tie_word_embeddings", ia_gguf_find(f, "output.weight") == NULL) ||
        !cJSON_AddBoolToObject(cfg, "rope_interleaved", a->rope_interleaved))
        return IA_ERR_NOMEM;
    return fill_vocab(f, cfg);
}

ia_status ia_gguf_st_config(const ia_gguf *f, ia_st_config *out) {
    int64_t v = 1;
    ia_status st = ia_gguf_get_i64(f, "bert.pooling_type", &v);
    memset(out, 0, sizeof *out);
    out->normalize = 1;
    if (st == IA_ERR_NOT_FOUND) {
        ia_error_clear();
        v = 1;
    } else if (st != IA_OK) {
        return st;
    }
    switch (v) {
    case 0: /* NONE: per-token output in llama.cpp; we embed sentences */
    case 1: out->pooling = IA_POOLING_MEAN; return IA_OK;
    case 2: out->pooling = IA_POOLING_CLS; return IA_OK;
    case 3: return ia_error(IA_ERR_UNSUPPORTED, "GGUF: bert.pooling_type 3 (last token) is not supported for bert");
    case 4: return ia_error(IA_ERR_UNSUPPORTED, "GGUF: bert.pooling_type 4 (rank, a reranker) is not supported yet");
    default: return ia_error(IA_ERR_FORMAT, "GGUF: bert.pooling_type %lld is not one of llama.cpp's", (long long)v);
    }
}

ia_status ia_gguf_config_json(const ia_gguf *f, cJSON **out) {
    const char *arch;
    const arch_info *a;
    cJSON *cfg;
    ia_status st;
    *out = NULL;
    if ((st = ia_gguf_get_str(f, "general.architecture", &arch)) != IA_OK)
        return st == IA_ERR_NOT_FOUND ? ia_error(IA_ERR_FORMAT, "GGUF metadata: general.architecture is missing") : st;
    if (!(a = find_arch(arch))) {
        char list[128] = "";
        size_t len = 0;
        for (int i = 0; archs[i].arch; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", archs[i].arch);
        return ia_error(IA_ERR_UNSUPPORTED, "GGUF architecture \"%s\" is not supported yet (supported: %s)", arch, list);
    }
    if (!(cfg = cJSON_CreateObject())) return ia_error(IA_ERR_NOMEM, "GGUF config");
    if ((st = build(f, a, cfg)) != IA_OK) {
        cJSON_Delete(cfg);
        return st == IA_ERR_NOMEM ? ia_error(IA_ERR_NOMEM, "GGUF config") : st;
    }
    *out = cfg;
    return IA_OK;
}
