/*
 * llm_quant.c — a llama / qwen2 GGUF in, a GGUF of ggml types out, as
 * llama-quantize makes it (contract in llm_quant.h).
 *
 * The per-tensor rule is llama.cpp's (src/llama-quant.cpp), restricted to
 * what our types and these architectures reach:
 *   - quantised at all: 2-D tensors whose name ends in "weight" and not in
 *     "_norm.weight" (tensor_allows_quantization); others are copied;
 *   - the mixture (llama_tensor_get_type_impl), for a dense model:
 *       output.weight, and token_embd.weight when there is no output
 *       (tied embeddings): Q8_0 when the row is not whole blocks of the
 *       default type, else Q6_K unless the default is Q8_0;
 *       Q4_K_M: attn_v and ffn_down of the layers use_more_bits picks
 *       (the first and last eighth, and every third between) → Q6_K;
 *   - the fallback for rows that are not whole blocks of the chosen type
 *     (tensor_type_fallback): Q2_K/Q3_K → Q4_0, Q4_K → Q5_0, Q5_K → Q5_1,
 *     Q6_K → Q8_0, and F16 when even that does not divide the row.
 * A tensor whose type does not change is copied byte for byte (llama.cpp
 * does the same); the others are dequantised to f32 (ia_dtype_row_to_f32,
 * ggml's dequantisers bit for bit) and quantised with ggml's reference
 * quantisers, which is what llama.cpp runs without an imatrix.
 */
#include "quant/llm_quant.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "formats/gguf.h"
#include "tensor/dtype.h"
#include "util/error.h"
#include "util/threadpool.h"

/* llama_ftype numbers (llama.h) and ggml type ids (gguf.md). */
enum { FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8, FT_Q5_1 = 9, FT_Q2_K = 10, FT_Q3_K_S = 11,
       FT_Q4_K_S = 14, FT_Q4_K_M = 15, FT_Q5_K_S = 16, FT_Q6_K = 18 };

static const ia_llm_qtype QTYPES[] = {
    /* llama-quantize TYPE: its mixture for dense models */
    {"q8_0", FT_Q8_0, IA_GGML_Q8_0, 1},
    {"q4_0", FT_Q4_0, IA_GGML_Q4_0, 1},
    {"q4_1", FT_Q4_1, IA_GGML_Q4_1, 1},
    {"q5_0", FT_Q5_0, IA_GGML_Q5_0, 1},
    {"q5_1", FT_Q5_1, IA_GGML_Q5_1, 1},
    /* one k-quant everywhere: llama-quantize --pure with the _S (or Q2_K,
     * Q6_K) file type of that width */
    {"q2_k", FT_Q2_K, IA_GGML_Q2_K, 0},
    {"q3_k", FT_Q3_K_S, IA_GGML_Q3_K, 0},
    {"q4_k", FT_Q4_K_S, IA_GGML_Q4_K, 0},
    {"q5_k", FT_Q5_K_S, IA_GGML_Q5_K, 0},
    {"q6_k", FT_Q6_K, IA_GGML_Q6_K, 0},
    /* llama-quantize Q4_K_M */
    {"q4_k_m", FT_Q4_K_M, IA_GGML_Q4_K, 1},
};
#define N_QTYPES (sizeof QTYPES / sizeof QTYPES[0])

/* ggml's GGML_QNT_VERSION: the block layouts of the current ggml. */
#define QNT_VERSION 2

const ia_llm_qtype *ia_llm_qtype_find(const char *name) {
    for (size_t i = 0; name && i < N_QTYPES; i++) {
        size_t j = 0;
        while (name[j] && tolower((unsigned char)name[j]) == QTYPES[i].name[j]) j++;
        if (!name[j] && !QTYPES[i].name[j]) return &QTYPES[i];
    }
    return NULL;
}

const char *ia_llm_qtype_names(void) { return "q8_0|q4_0|q4_1|q5_0|q5_1|q2_k|q3_k|q4_k|q5_k|q6_k|q4_k_m"; }

static int64_t block_of(int ggml_type) {
    ia_dtype d = (ia_dtype)ia_dtype_of_ggml_type((ia_ggml_type)ggml_type);
    return ia_dtype_block_elems(d, 0);
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers and
 * every third one between. */
static int use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

static int fallback(int t, int64_t ncols) {
    int r = t;
    if (ncols % block_of(t) == 0) return t;
    switch (t) {
    case IA_GGML_Q2_K:
    case IA_GGML_Q3_K: r = IA_GGML_Q4_0; break;
    case IA_GGML_Q4_K: r = IA_GGML_Q5_0; break;
    case IA_GGML_Q5_K: r = IA_GGML_Q5_1; break;
    case IA_GGML_Q6_K: r = IA_GGML_Q8_0; break;
    default: break; /* a block of 32 already */
    }
    return ncols % block_of(r) ? IA_GGML_F16 : r;
}

int ia_llm_tensor_type(const ia_llm_qtype *t, const char *name, int ndim, int64_t ncols, int src_type, int n_layer,
                       int n_attn_v, int tied) {
    int type = t->ggml_type, layer = -1;
    if (ndim < 2 || !ends_with(name, "weight") || strstr(name, "_norm.weight") || strstr(name, "ffn_gate_inp.weight"))
        return src_type;
    if (sscanf(name, "blk.%d.", &layer) != 1) layer = -1;
    if (t->mixture) {
        int output = strcmp(name, "output.weight") == 0, embd = strcmp(name, "token_embd.weight") == 0;
        if (output || (tied && embd)) {
            if (ncols % block_of(type)) type = IA_GGML_Q8_0;
            else if (type != IA_GGML_Q8_0) type = IA_GGML_Q6_K;
        } else if (embd) {
            /* untied token table: the default type */
        } else if (strstr(name, "attn_v.weight") || strstr(name, "attn_qkv.weight")) {
            /* llama.cpp counts attn_v tensors in layer order: the layer */
            if (t->ftype == FT_Q4_K_M && layer >= 0 && use_more_bits(layer, n_attn_v)) type = IA_GGML_Q6_K;
        } else if (strstr(name, "ffn_down")) {
            if (t->ftype == FT_Q4_K_M && layer >= 0 && use_more_bits(layer, n_layer)) type = IA_GGML_Q6_K;
        }
    }
    return fallback(type, ncols);
}

/* ---- the file ---------------------------------------------------------- */

typedef struct job {
    const ia_gguf_tensor *t;
    ia_dtype src, dst;
    int64_t rows, cols;
    size_t src_row, dst_row;
    unsigned char *out;
    int tasks;
    ia_status st[64]; /* per task; tasks ≤ 64 */
} job;

/* Rows [r0, r1) of a task: dequantise, quantise. */
static void quant_task(void *ctx, int task, int thread) {
    job *j = ctx;
    int64_t r0 = j->rows * task / j->tasks, r1 = j->rows * (task + 1) / j->tasks;
    float *f = malloc((size_t)j->cols * sizeof *f);
    (void)thread;
    j->st[task] = IA_OK;
    if (!f) {
        j->st[task] = IA_ERR_NOMEM;
        return;
    }
    for (int64_t r = r0; r < r1 && j->st[task] == IA_OK; r++) {
        ia_dtype_row_to_f32(j->src, 0, (const unsigned char *)j->t->data + (size_t)r * j->src_row, f, j->cols);
        j->st[task] = ia_dtype_from_f32(j->dst, f, j->out + (size_t)r * j->dst_row, j->cols);
    }
    free(f);
}

/* The output path: `out` itself when it ends in .gguf, else out/model.gguf
 * (out created). */
static ia_status out_path(const char *out, char *buf, size_t cap) {
    struct stat sb;
    int n;
    if (!out || !*out) return ia_error(IA_ERR_INVALID_ARG, "output path is empty");
    if (ends_with(out, ".gguf")) {
        n = snprintf(buf, cap, "%s", out);
    } else {
        if (stat(out, &sb) != 0 && mkdir(out, 0777) != 0 && errno != EEXIST)
            return ia_error(IA_ERR_IO, "cannot create %s: %s", out, strerror(errno));
        n = snprintf(buf, cap, "%s/model.gguf", out);
    }
    return n > 0 && (size_t)n < cap ? IA_OK : ia_error(IA_ERR_INVALID_ARG, "output path too long");
}

static ia_status copy_metadata(const ia_gguf *f, ia_gguf_writer *w, const ia_llm_qtype *qt) {
    ia_status st = IA_OK;
    for (size_t i = 0; st == IA_OK && i < ia_gguf_kv_count(f); i++) {
        const char *key = ia_gguf_kv_key(f, i);
        ia_gguf_vtype vt;
        void *raw = NULL;
        size_t len;
        if (!strcmp(key, "general.alignment") || !strcmp(key, "general.file_type") ||
            !strcmp(key, "general.quantization_version") || !strncmp(key, "split.", 6))
            continue;
        if ((st = ia_gguf_kv_raw(f, key, &vt, &raw, &len)) == IA_OK) st = ia_gguf_writer_set_raw(w, key, vt, raw, len);
        free(raw);
    }
    if (st == IA_OK) st = ia_gguf_writer_set_u32(w, "general.quantization_version", QNT_VERSION);
    if (st == IA_OK) st = ia_gguf_writer_set_u32(w, "general.file_type", (uint32_t)qt->ftype);
    return st;
}

ia_status ia_quantize_llm(const char *src, const char *type, const char *out, int threads, ia_progress_fn progress,
                          void *ctx, char **report_json) {
    char dir[4096], path[4200], dst[4200], key[128];
    const ia_llm_qtype *qt = ia_llm_qtype_find(type);
    ia_gguf *f = NULL;
    ia_gguf_writer *w = NULL;
    ia_pool *pool = NULL;
    cJSON *rep = NULL, *list;
    const char *arch;
    int64_t n_layer = 0;
    int n_attn_v = 0, tied;
    size_t n;
    double weights = 0, qbits = 0;
    struct stat sb;
    ia_status st;
    if (report_json) *report_json = NULL;
    if (!qt)
        return ia_error(IA_ERR_INVALID_ARG, "type '%s' is not one of %s", type ? type : "(null)", ia_llm_qtype_names());
    if ((st = ia_model_resolve(src, dir, sizeof dir)) != IA_OK) return st;
    if (ends_with(dir, ".gguf")) snprintf(path, sizeof path, "%s", dir);
    else snprintf(path, sizeof path, "%s/model.gguf", dir);
    if (stat(path, &sb) != 0)
        return ia_error(IA_ERR_UNSUPPORTED,
                        "%s: no model.gguf; --type reads a GGUF model (from Hugging Face safetensors, convert "
                        "with llama.cpp's convert_hf_to_gguf.py first)", dir);
    if ((st = out_path(out, dst, sizeof dst)) != IA_OK) return st;
    {   /* never overwrite the source */
        struct stat so;
        if (stat(dst, &so) == 0 && so.st_ino == sb.st_ino && so.st_dev == sb.st_dev)
            return ia_error(IA_ERR_INVALID_ARG, "output %s is the source model", dst);
    }
    if ((st = ia_gguf_open(path, &f)) != IA_OK) return st;
    if ((st = ia_gguf_get_str(f, "general.architecture", &arch)) != IA_OK) goto done;
    if (strcmp(arch, "llama") && strcmp(arch, "qwen2")) {
        st = ia_error(IA_ERR_UNSUPPORTED, "%s: architecture %s (--type takes llama and qwen2 decoders)", path, arch);
        goto done;
    }
    snprintf(key, sizeof key, "%s.block_count", arch);
    if ((st = ia_gguf_get_i64(f, key, &n_layer)) != IA_OK) goto done;
    n = ia_gguf_tensor_count(f);
    tied = ia_gguf_find(f, "output.weight") == NULL;
    for (size_t i = 0; i < n; i++) n_attn_v += strstr(ia_gguf_tensor_at(f, i)->name, "attn_v.weight") != NULL;
    if ((st = ia_gguf_writer_create(&w)) != IA_OK) goto done;
    if ((st = copy_metadata(f, w, qt)) != IA_OK) goto done;
    if (threads > 0 && (st = ia_pool_create(threads, &pool)) != IA_OK) goto done;
    if (!(rep = cJSON_CreateObject()) || !(list = cJSON_AddArrayToObject(rep, "tensors"))) {
        st = ia_error(IA_ERR_NOMEM, "quantize: report");
        goto done;
    }
    for (size_t i = 0; i < n && st == IA_OK; i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(f, i);
        int64_t cols = t->shape[t->ndim - 1], rows = 1;
        int to = ia_llm_tensor_type(qt, t->name, t->ndim, cols, (int)t->type, (int)n_layer, n_attn_v, tied);
        cJSON *e = cJSON_CreateObject();
        for (int d = 0; d < t->ndim - 1; d++) rows *= t->shape[d];
        if (progress) progress(ctx, (int)i, (int)n, t->name);
        if (to == (int)t->type) {
            st = ia_gguf_writer_add_tensor(w, t->name, t->type, t->ndim, t->shape, t->data, t->nbytes);
        } else {
            job j;
            memset(&j, 0, sizeof j);
            j.t = t;
            j.src = (ia_dtype)ia_dtype_of_ggml_type(t->type);
            j.dst = (ia_dtype)ia_dtype_of_ggml_type((ia_ggml_type)to);
            j.rows = rows, j.cols = cols;
            j.src_row = t->nbytes / (size_t)rows;
            j.dst_row = ia_dtype_row_bytes(j.dst, 0, cols);
            j.tasks = rows < 64 ? (int)rows : 64;
            if (!(j.out = malloc(j.dst_row * (size_t)rows))) {
                st = ia_error(IA_ERR_NOMEM, "%s: %zu bytes", t->name, j.dst_row * (size_t)rows);
            } else {
                ia_pool_run(pool ? pool : ia_pool_global(), j.tasks, quant_task, &j);
                for (int k = 0; k < j.tasks && st == IA_OK; k++)
                    if (j.st[k] != IA_OK) st = ia_error(j.st[k], "%s: cannot quantise to %s", t->name,
                                                        ia_ggml_type_name((ia_ggml_type)to));
                if (st == IA_OK)
                    st = ia_gguf_writer_add_tensor(w, t->name, (ia_ggml_type)to, t->ndim, t->shape, j.out,
                                                   j.dst_row * (size_t)rows);
                free(j.out);
            }
        }
        if (e) {
            cJSON *shape = cJSON_AddArrayToObject(e, "shape");
            cJSON_AddStringToObject(e, "name", t->name);
            cJSON_AddStringToObject(e, "source_type", ia_ggml_type_name(t->type));
            cJSON_AddStringToObject(e, "type", ia_ggml_type_name((ia_ggml_type)to));
            for (int d = 0; shape && d < t->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
            cJSON_AddItemToArray(list, e);
        }
        if (t->ndim >= 2) {
            weights += (double)(rows * cols);
            qbits += 8.0 * (double)ia_ggml_nbytes((ia_ggml_type)to, cols, rows * cols);
        }
    }
    if (st == IA_OK) st = ia_gguf_writer_finish(w, dst);
    if (st == IA_OK) {
        cJSON_AddStringToObject(rep, "type", qt->name);
        cJSON_AddNumberToObject(rep, "file_type", qt->ftype);
        cJSON_AddStringToObject(rep, "source", path);
        cJSON_AddStringToObject(rep, "output", dst);
        cJSON_AddNumberToObject(rep, "file_bytes", stat(dst, &sb) == 0 ? (double)sb.st_size : 0);
        cJSON_AddNumberToObject(rep, "matrix_bits_per_weight", weights > 0 ? qbits / weights : 0);
        if (report_json && !(*report_json = cJSON_PrintUnformatted(rep)))
            st = ia_error(IA_ERR_NOMEM, "quantize: report");
    }
done:
    cJSON_Delete(rep);
    ia_pool_free(pool);
    ia_gguf_writer_free(w);
    ia_gguf_free(f);
    return st;
}
