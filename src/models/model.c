/*
 * model.c — opening a model: resolve a reference to a directory, read the
 * configs, map the weights, pick the family and the device, bind and
 * prepare the weights; the model's accessors; the family table.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/config_keys.h"
#include "formats/gguf_config.h"
#include "hw/hw.h"
#include "models/model.h"
#include "store/model_cid.h"
#include "tokenize/chat_template.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"
#include "util/struct_size.h"

static const ia_family *const families[] = {&ia_family_bert, &ia_family_llama, NULL};

const ia_family *ia_family_find(const char *model_type) {
    for (int i = 0; families[i]; i++)
        for (int k = 0; families[i]->model_types[k]; k++)
            if (strcmp(families[i]->model_types[k], model_type) == 0) return families[i];
    return NULL;
}

void ia_family_list(char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; families[i]; i++)
        for (int k = 0; families[i]->model_types[k] && len < cap; k++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", families[i]->model_types[k]);
}

static int has_tensor(const ia_model *m, const char *name) {
    return m->wref->gguf ? ia_gguf_find(m->wref->gguf, name) != NULL : ia_safetensors_find(m->weights, name) != NULL;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A GGUF file named directly: the model is that one file. */
static int is_gguf_file(const char *p) {
    struct stat st;
    size_t n = strlen(p);
    return n > 5 && strcmp(p + n - 5, ".gguf") == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void ia_model_options_init(ia_model_options *o, size_t struct_size) {
    ia_model_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.device = "cpu";
    ia_struct_export(o, struct_size, &d, sizeof d);
}

/* The model cache: $IA_MODEL_DIR, else ~/.cache/ipfs_accelerate/models. */
static ia_status model_cache(const char *ref, char *buf, size_t cap) {
    const char *env = getenv("IA_MODEL_DIR"), *home = getenv("HOME");
    int n;
    if (env && *env) n = snprintf(buf, cap, "%s", env);
    else if (home && *home) n = snprintf(buf, cap, "%s/.cache/ipfs_accelerate/models", home);
    else return ia_error(IA_ERR_NOT_FOUND, "model %s: no $IA_MODEL_DIR or $HOME for the model cache", ref);
    if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "model cache path too long");
    return IA_OK;
}

ia_status ia_model_resolve(const char *ref, char *buf, size_t cap) {
    const char *env = getenv("IA_MODEL_DIR"), *home = getenv("HOME");
    int n;
    if (!ref || !*ref || !buf || cap == 0) return ia_error(IA_ERR_INVALID_ARG, "model reference is empty");
    if (is_dir(ref) || is_gguf_file(ref)) {
        n = snprintf(buf, cap, "%s", ref);
    } else if (ia_store_cid_ref(ref)) {
        /* a CID: its DAG from the block store, materialised once */
        char cache[4096];
        ia_status st = model_cache(ref, cache, sizeof cache);
        return st != IA_OK ? st : ia_store_model_path(ref, cache, buf, cap);
    } else if (strchr(ref, '/')) {
        return ia_error(IA_ERR_NOT_FOUND, "model %s does not exist (a model is a directory or a .gguf file)", ref);
    } else if (env && *env) {
        n = snprintf(buf, cap, "%s/%s", env, ref);
    } else if (home && *home) {
        n = snprintf(buf, cap, "%s/.cache/ipfs_accelerate/models/%s", home, ref);
    } else {
        return ia_error(IA_ERR_NOT_FOUND, "model %s: no $IA_MODEL_DIR or $HOME for the model cache", ref);
    }
    if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "model path too long");
    if (!is_dir(buf) && !is_gguf_file(buf))
        return ia_error(IA_ERR_NOT_FOUND,
                        "model '%s' is neither a directory nor in the model cache (%s); "
                        "run scripts/fetch_model.sh %s", ref, buf, ref);
    return IA_OK;
}

void ia_model_free(ia_model *m) {
    if (!m) return;
    ia_session_free(m->own_session);
    for (int i = 0; m->exec && m->wref && i < m->n_params; i++) ia_prepared_release(m->wref->prepared, m->exec, m->params[i]);
    for (int i = 0; i < m->n_linears; i++) free(m->linears[i].owned);
    if (m->family && m->family_state) m->family->free_state(m->family_state);
    ia_backend_free(m->exec);
    ia_tokenizer_free(m->tok);
    ia_chat_template_free(m->chat_template);
    cJSON_Delete(m->config);
    if (m->wref && atomic_fetch_sub(&m->wref->refs, 1) == 1) {
        ia_prepared_cache_free(m->wref->prepared);
        ia_safetensors_free(m->wref->st);
        ia_gguf_free(m->wref->gguf);
        free(m->wref);
    }
    for (int i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    free(m->params);
    free(m->linears);
    free(m);
}

static int weights_path(const char *dir, char *path, size_t cap, int64_t *bytes);

/* The device kind and why: the profile's, or the heuristic's for "auto"
 * (which may also set o->device_index). A named kind is checked with its
 * own probe only: opening on "cpu" probes no accelerator. */
static ia_status pick_device(const char *ref, ia_hardware_profile *o, const ia_backend_ops **out, char *why,
                             size_t why_cap) {
    char device[32], reason[512];
    const ia_backend_ops *kind;
    ia_device_props props;
    ia_status st;
    if (!o->backend || strcmp(o->backend, "auto") == 0) {
        /* Layering: models may not reach the benchmark store, so "auto" at
         * open is the heuristic; ia_select_device adds measured results.
         * The heuristic weighs the weights file's size (a stat, no read);
         * the batch is not known at open, so it is taken as 1. */
        char dir[4096], path[4200], *colon;
        int64_t bytes = 0;
        if (ia_model_resolve(ref, dir, sizeof dir) == IA_OK) weights_path(dir, path, sizeof path, &bytes);
        else ia_error_clear(); /* reported by the open itself */
        if ((st = ia_hw_select_heuristic(ref, NULL, 1, bytes, device, sizeof device, why, why_cap)) != IA_OK)
            return st;
        if ((colon = strchr(device, ':')) != NULL) {
            o->device_index = atoi(colon + 1);
            *colon = '\0';
        }
    } else {
        snprintf(device, sizeof device, "%.31s", o->backend);
        snprintf(why, why_cap, "requested");
    }
    if (!(kind = ia_backend_find(device))) {
        ia_hw_absence_reason(device, reason, sizeof reason);
        return ia_error(IA_ERR_UNAVAILABLE, "device '%s' is not available: %s", device, reason);
    }
    if (!kind->probe(reason, sizeof reason))
        return ia_error(IA_ERR_UNAVAILABLE, "device '%s' is not available: %s", device, reason);
    if (o->device_index < 0 || o->device_index >= kind->device_count())
        return ia_error(IA_ERR_UNAVAILABLE, "device '%s:%d' does not exist (the %s backend has %d device%s)", device,
                        o->device_index, device, kind->device_count(), kind->device_count() == 1 ? "" : "s");
    memset(&props, 0, sizeof props);
    props.struct_size = sizeof props;
    if ((st = kind->device_props(o->device_index, &props)) != IA_OK) return st;
    if (!(props.precisions & (1u << o->precision))) {
        char list[64] = "";
        size_t len = 0;
        for (int p = IA_PRECISION_FP32; p <= IA_PRECISION_INT2; p++)
            if (props.precisions & (1u << p))
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                                        ia_precision_name((ia_precision)p));
        return ia_error(IA_ERR_UNSUPPORTED, "the %s backend cannot run %s in this build (supported: %s)", kind->name,
                        ia_precision_name(o->precision), list);
    }
    *out = kind;
    return IA_OK;
}

/* model.safetensors, else model.gguf (or the .gguf file the model is);
 * the path and its size. */
static int weights_path(const char *dir, char *path, size_t cap, int64_t *bytes) {
    struct stat sb;
    int is_gguf = 0;
    if (is_gguf_file(dir)) {
        snprintf(path, cap, "%s", dir);
        *bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
        return 1;
    }
    snprintf(path, cap, "%s/model.safetensors", dir);
    if (stat(path, &sb) != 0) {
        snprintf(path, cap, "%s/model.gguf", dir);
        if (stat(path, &sb) != 0) snprintf(path, cap, "%s/model.safetensors", dir);
        else is_gguf = 1;
    }
    *bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
    return is_gguf;
}

static ia_status open_weights(ia_model *m, ia_model *share, const char *path, int is_gguf) {
    if (share && share->wref && strcmp(share->dir, m->dir) == 0) {
        m->wref = share->wref;
        atomic_fetch_add(&m->wref->refs, 1);
    } else {
        ia_status st;
        if (!(m->wref = calloc(1, sizeof *m->wref))) return ia_error(IA_ERR_NOMEM, "model");
        atomic_init(&m->wref->refs, 1);
        if ((st = ia_prepared_cache_create(&m->wref->prepared)) != IA_OK) return st;
        st = is_gguf ? ia_gguf_open(path, &m->wref->gguf) : ia_safetensors_open(path, &m->wref->st);
        if (st != IA_OK) return st;
    }
    m->weights = m->wref->st;
    /* BertModel checkpoints name weights "embeddings...", BertFor*
     * checkpoints "bert.embeddings..."; quantised files keep the names. */
    m->weight_prefix = has_tensor(m, "bert.embeddings.word_embeddings.weight") ? "bert." : "";
    return IA_OK;
}

static ia_status open_tokenizer(ia_model *m) {
    char path[4200];
    size_t tok_max;
    ia_status st;
    struct stat sb;
    /* a GGUF described by its metadata carries its tokenizer there too */
    if (m->gguf_arch[0]) {
        const char *kind;
        m->max_tokens = m->cfg.max_position_embeddings;
        if ((st = ia_gguf_get_str(m->wref->gguf, "tokenizer.ggml.model", &kind)) == IA_ERR_NOT_FOUND) {
            ia_error_clear();
            if (m->family->needs_tokenizer)
                return ia_error(IA_ERR_FORMAT, "%s: the GGUF has no tokenizer (tokenizer.ggml.model)", m->name);
            return IA_OK;
        }
        if (st != IA_OK) return st;
        if ((st = ia_tokenizer_from_gguf(m->wref->gguf, &m->tok)) != IA_OK) return ia_error_prefix(st, "%s", m->name);
        return IA_OK;
    }
    snprintf(path, sizeof path, "%s/tokenizer.json", m->dir);
    if (!m->family->needs_tokenizer && stat(path, &sb) != 0) {
        m->max_tokens = m->cfg.max_position_embeddings;
        return IA_OK;
    }
    if ((st = ia_tokenizer_open(path, &m->tok)) != IA_OK) return st;
    /* sentence_bert_config.json, else tokenizer.json's truncation, never
     * more than the position table; clamped as size_t before narrowing (a
     * tokenizer may say 2^32 + 3). */
    tok_max = m->st_cfg.max_seq_length ? (size_t)m->st_cfg.max_seq_length : ia_tokenizer_max_length(m->tok);
    if (tok_max == 0 || tok_max > (size_t)m->cfg.max_position_embeddings)
        tok_max = (size_t)m->cfg.max_position_embeddings;
    m->max_tokens = (int)tok_max;
    return IA_OK;
}

ia_status ia_model_load(const char *ref, const ia_hardware_profile *profile, ia_model *share, ia_model **out) {
    ia_hardware_profile o;
    ia_model *m = NULL;
    char path[4200], why[sizeof ((ia_model *)0)->device_reason], list[128];
    const char *base;
    const ia_backend_ops *kind = NULL;
    int is_gguf;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_model_open: out is NULL");
    *out = NULL;
    IA_HARDWARE_PROFILE_INIT(&o);
    if (profile && (st = ia_struct_import(&o, sizeof o, profile, "IA_HARDWARE_PROFILE_INIT")) != IA_OK) return st;
    if (o.threads < 0 || o.threads > 1024) return ia_error(IA_ERR_INVALID_ARG, "threads must be in [0, 1024]");
    if (o.optimization_level < 0 || o.optimization_level > 3)
        return ia_error(IA_ERR_INVALID_ARG, "optimization_level must be in [0, 3]");
    if (o.memory_limit_bytes < 0) return ia_error(IA_ERR_INVALID_ARG, "memory limit must be >= 0");
    if ((unsigned)o.precision > IA_PRECISION_INT2) return ia_error(IA_ERR_INVALID_ARG, "unknown precision %d", o.precision);
    if ((st = pick_device(ref, &o, &kind, why, sizeof why)) != IA_OK) return st;
    if (!(m = calloc(1, sizeof *m))) return ia_error(IA_ERR_NOMEM, "model");
    if ((st = ia_model_resolve(ref, m->dir, sizeof m->dir)) != IA_OK) goto fail;
    base = strrchr(m->dir, '/');
    base = base && base[1] ? base + 1 : m->dir;
    snprintf(m->name, sizeof m->name, "%.255s", base);
    if (is_gguf_file(m->dir)) m->name[strlen(m->name) - 5] = '\0'; /* "x.gguf" is model "x" */
    snprintf(m->device_reason, sizeof m->device_reason, "%s", why);

    /* The memory limit is checked against the weights file before anything
     * is read or mapped. */
    is_gguf = weights_path(m->dir, path, sizeof path, &m->weight_bytes);
    if (o.memory_limit_bytes > 0 && m->weight_bytes > o.memory_limit_bytes) {
        st = ia_error(IA_ERR_INVALID_ARG, "model %s needs %lld bytes of weights, more than the profile's memory "
                      "limit of %lld bytes", m->name, (long long)m->weight_bytes, (long long)o.memory_limit_bytes);
        goto fail;
    }
    /* A .gguf file, or a directory holding only model.gguf, is described
     * by its metadata (llama.cpp's files); a directory with config.json
     * beside model.gguf is one our quantiser wrote. */
    {
        char cfg_path[4300];
        struct stat sb;
        snprintf(cfg_path, sizeof cfg_path, "%s/config.json", m->dir);
        if (is_gguf && (is_gguf_file(m->dir) || stat(cfg_path, &sb) != 0)) {
            const cJSON *arch;
            if ((st = open_weights(m, share, path, is_gguf)) != IA_OK) goto fail;
            if ((st = ia_gguf_config_json(m->wref->gguf, &m->config)) != IA_OK) goto fail;
            arch = cJSON_GetObjectItemCaseSensitive(m->config, "gguf_architecture");
            snprintf(m->gguf_arch, sizeof m->gguf_arch, "%s", arch->valuestring);
            snprintf(cfg_path, sizeof cfg_path, "%.4200s (GGUF metadata)", path);
            if ((st = ia_hf_config_parse(cfg_path, m->config, &m->cfg)) != IA_OK) goto fail;
            memset(&m->st_cfg, 0, sizeof m->st_cfg);
            if (strcmp(m->gguf_arch, "bert") == 0 && (st = ia_gguf_st_config(m->wref->gguf, &m->st_cfg)) != IA_OK)
                goto fail;
        } else {
            if ((st = ia_config_json_load(m->dir, &m->config)) != IA_OK) goto fail;
            if ((st = ia_hf_config_parse(cfg_path, m->config, &m->cfg)) != IA_OK) goto fail;
            if ((st = ia_st_config_load(m->dir, &m->st_cfg)) != IA_OK) goto fail;
        }
    }
    if (!(m->family = ia_family_find(m->cfg.model_type))) {
        ia_family_list(list, sizeof list);
        st = ia_error(IA_ERR_UNSUPPORTED, "%s: model_type \"%s\" is not supported yet (supported: %s)", m->dir,
                      m->cfg.model_type, list);
        goto fail;
    }
    if (!m->wref && (st = open_weights(m, share, path, is_gguf)) != IA_OK) goto fail;
    if ((st = open_tokenizer(m)) != IA_OK) goto fail;
    if ((st = ia_model_load_chat_template(m)) != IA_OK) goto fail;
    if ((st = m->family->load(m)) != IA_OK) goto fail;
    ia_model_update_precision(m);
    /* A quantised file runs at its stored widths: a profile asking for
     * another integer precision cannot be honoured, and says so. */
    if (is_gguf && o.precision != IA_PRECISION_FP32 && strcmp(ia_precision_name(o.precision), m->precision) != 0) {
        st = ia_error(IA_ERR_UNSUPPORTED, "%s is quantised to %s; it cannot run at %s (open it with precision fp32 "
                      "or %s)", m->name, m->precision, ia_precision_name(o.precision), m->precision);
        goto fail;
    }
    m->device = kind;
    m->threads = o.threads;
    ia_backend_config_init(&m->exec_cfg);
    m->exec_cfg.device = o.device_index;
    m->exec_cfg.threads = o.threads;
    m->exec_cfg.precision = o.precision;
    /* optimization_level: 0 = portable kernels (the same results on every
     * CPU), 1 = at most AVX2, 2 and 3 = the best this CPU runs (3 has
     * nothing more to offer in this build). */
    m->exec_cfg.kernel = o.optimization_level == 0 ? "generic" : o.optimization_level == 1 ? "avx2" : NULL;
    if ((st = kind->init(&m->exec_cfg, &m->exec)) != IA_OK) goto fail;
    if ((st = ia_model_prepare_weights(m)) != IA_OK) goto fail;
    *out = m;
    return IA_OK;
fail:
    ia_model_free(m);
    return st;
}

ia_status ia_model_peek_family(const char *ref, const ia_family **out) {
    char dir[4096], path[4200], cfg_path[4300];
    int64_t bytes = 0;
    cJSON *cfg = NULL;
    ia_gguf *g = NULL;
    const cJSON *type;
    struct stat sb;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_model_peek_family: out is NULL");
    *out = NULL;
    if ((st = ia_model_resolve(ref, dir, sizeof dir)) != IA_OK) return st;
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
    /* the same choice as ia_model_load: a GGUF without config.json beside
     * it is described by its metadata */
    if (weights_path(dir, path, sizeof path, &bytes) && (is_gguf_file(dir) || stat(cfg_path, &sb) != 0)) {
        if ((st = ia_gguf_open(path, &g)) == IA_OK) st = ia_gguf_config_json(g, &cfg);
        ia_gguf_free(g);
    } else {
        st = ia_config_json_load(dir, &cfg);
    }
    if (st != IA_OK) return st;
    type = cJSON_GetObjectItemCaseSensitive(cfg, "model_type");
    if (cJSON_IsString(type)) *out = ia_family_find(type->valuestring);
    cJSON_Delete(cfg);
    return IA_OK;
}

ia_status ia_model_own_session(ia_model *m, ia_session **out) {
    ia_status st = IA_OK;
    if (!m->own_session) st = ia_session_create(m, NULL, &m->own_session);
    *out = m->own_session;
    return st;
}

int ia_model_dim(const ia_model *m) { return m ? m->cfg.hidden_size : 0; }
const char *ia_model_name(const ia_model *m) { return m ? m->name : ""; }
const char *ia_model_family(const ia_model *m) { return m && m->family ? m->family->name : ""; }
const char *ia_model_device(const ia_model *m) { return m && m->device ? m->device->name : ""; }
int64_t ia_model_weight_bytes(const ia_model *m) { return m ? m->weight_bytes : 0; }
const char *ia_model_precision(const ia_model *m) { return m ? m->precision : ""; }
const char *ia_model_device_reason(const ia_model *m) { return m ? m->device_reason : ""; }
ia_status ia_model_count_tokens(const ia_model *m, const char *text, size_t *n) {
    if (!m || !text || !n) return ia_error(IA_ERR_INVALID_ARG, "count_tokens: NULL argument");
    *n = 0;
    if (!m->tok) return ia_error(IA_ERR_UNSUPPORTED, "%s has no tokenizer", m->name);
    return ia_tokenizer_count(m->tok, text, strlen(text), n);
}

int ia_model_max_tokens(const ia_model *m) { return m ? m->max_tokens : 0; }
int ia_model_vocab_size(const ia_model *m) { return m ? m->cfg.vocab_size : 0; }
const char *ia_model_kernel(const ia_model *m) { return m && m->exec ? m->exec->iface->kernel_name(m->exec) : ""; }

int ia_model_threads(const ia_model *m) {
    ia_device_props p;
    if (!m) return 0;
    if (m->threads) return m->threads;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    return m->device->device_props(m->exec_cfg.device, &p) == IA_OK && p.max_threads ? p.max_threads : 1;
}

ia_status ia_model_embed(ia_model *m, const char *const *texts, size_t n, float *out) {
    ia_session *s;
    ia_status st;
    if (!m) return ia_error(IA_ERR_INVALID_ARG, "ia_model_embed: NULL model");
    if ((st = ia_model_own_session(m, &s)) != IA_OK) return st;
    return ia_session_embed(s, texts, n, out);
}
