/*
 * export.c — the quantised model directory (contract in export.h).
 *
 * Tensor names stay the Hugging Face names, so the same family code binds
 * them. A linear layer whose codes equal a ggml type is stored as that type
 * (q8_0 / q4_0 / q4_1: any GGUF reader dequantises it); other settings use
 * our packed codes: `name` I8 [n, k·bits/8] (LSB-first), `name.scale` and
 * `name.min` F32 [n, k/group], with ia.qbits.<name> and ia.qgroup.<name>.
 * The files beside the weights are written first and model.gguf last (and
 * atomically), so a directory with a model.gguf is complete.
 */
#include "quant/export.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/gguf.h"
#include "tensor/blocks.h"
#include "quant/policy.h"
#include "quant/quantize.h"
#include "tensor/fp16.h"
#include "util/error.h"

static ia_status make_dir(const char *path) {
    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof buf) return ia_error(IA_ERR_INVALID_ARG, "output path too long");
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return ia_error(IA_ERR_IO, "cannot create directory %s: %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return ia_error(IA_ERR_IO, "%s is not a directory", path);
    return IA_OK;
}

static ia_status copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = NULL;
    char buf[65536];
    size_t n;
    ia_status st = IA_OK;
    if (!in) return ia_error(IA_ERR_IO, "cannot read %s: %s", from, strerror(errno));
    if (!(out = fopen(to, "wb"))) {
        fclose(in);
        return ia_error(IA_ERR_IO, "cannot write %s: %s", to, strerror(errno));
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            st = ia_error(IA_ERR_IO, "writing %s: %s", to, strerror(errno));
            break;
        }
    if (st == IA_OK && ferror(in)) st = ia_error(IA_ERR_IO, "reading %s", from);
    fclose(in);
    if (fclose(out) != 0 && st == IA_OK) st = ia_error(IA_ERR_IO, "writing %s: %s", to, strerror(errno));
    return st;
}

static int is_weights_file(const char *name) {
    static const char *const ext[] = {".safetensors", ".bin", ".pt", ".pth", ".onnx", ".h5",
                                      ".msgpack", ".ot", ".gguf", ".tflite", NULL};
    size_t len = strlen(name);
    for (int i = 0; ext[i]; i++) {
        size_t e = strlen(ext[i]);
        if (len >= e && strcmp(name + len - e, ext[i]) == 0) return 1;
    }
    return 0;
}

/* Copies the regular non-weight files of `from` into `to`; `depth` 0 also
 * descends into sentence-transformers module folders ("1_Pooling", ...). */
static ia_status copy_aux(const char *from, const char *to, int depth) {
    DIR *d = opendir(from);
    struct dirent *e;
    ia_status st = IA_OK;
    if (!d) return ia_error(IA_ERR_IO, "cannot list %s: %s", from, strerror(errno));
    while (st == IA_OK && (e = readdir(d))) {
        char src[4200], dst[4200];
        struct stat sb;
        if (e->d_name[0] == '.') continue;
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        if (stat(src, &sb) != 0) continue;
        if (S_ISREG(sb.st_mode) && !is_weights_file(e->d_name)) {
            st = copy_file(src, dst);
        } else if (S_ISDIR(sb.st_mode) && depth == 0 && e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
                   strchr(e->d_name, '_')) {
            if ((st = make_dir(dst)) == IA_OK) st = copy_aux(src, dst, 1);
        }
    }
    closedir(d);
    return st;
}

/* Scales as F16 when every value is exactly a half (the quantiser rounds
 * them so), else F32. */
static ia_status add_scales(ia_gguf_writer *w, const char *name, const int64_t *shape, const float *v,
                            long long *bytes) {
    int64_t n = shape[0] * shape[1];
    uint16_t *h = malloc((size_t)n * sizeof *h);
    int exact = h != NULL;
    ia_status st;
    for (int64_t i = 0; exact && i < n; i++) {
        h[i] = ia_fp32_to_fp16(v[i]);
        exact = ia_fp16_to_fp32(h[i]) == v[i];
    }
    st = exact ? ia_gguf_writer_add_tensor(w, name, IA_GGML_F16, 2, shape, h, (size_t)n * sizeof *h)
               : ia_gguf_writer_add_tensor(w, name, IA_GGML_F32, 2, shape, v, (size_t)n * sizeof *v);
    *bytes += n * (exact ? 2 : 4);
    free(h);
    return st;
}

/* Adds one quantised linear layer; *bytes gets what it occupies in the file. */
static ia_status add_linear(ia_gguf_writer *w, const char *full, const ia_qweights *q, long long *bytes) {
    int dtype = ia_qweights_block_dtype(q);
    int64_t shape[2] = {q->n, q->k};
    ia_status st;
    if (dtype >= 0) {
        ia_ggml_type type = (ia_ggml_type)ia_ggml_type_of_dtype((ia_dtype)dtype);
        size_t nb = ia_ggml_nbytes(type, q->k, q->n * q->k);
        void *blocks = malloc(nb);
        if (!blocks) return ia_error(IA_ERR_NOMEM, "%s", full);
        st = ia_qweights_to_dtype(q, (ia_dtype)dtype, blocks);
        if (st == IA_OK) st = ia_gguf_writer_add_tensor(w, full, type, 2, shape, blocks, nb);
        free(blocks);
        *bytes = (long long)nb;
        return st;
    }
    {
        char key[400];
        size_t row = ia_qweights_packed_row_bytes(q->bits, q->k);
        int64_t cshape[2] = {q->n, (int64_t)row}, sshape[2] = {q->n, q->k / q->group};
        uint8_t *codes = malloc((size_t)q->n * row);
        if (!codes) return ia_error(IA_ERR_NOMEM, "%s", full);
        ia_qweights_pack_codes(q, codes);
        st = ia_gguf_writer_add_tensor(w, full, IA_GGML_I8, 2, cshape, codes, (size_t)q->n * row);
        free(codes);
        *bytes = (long long)((size_t)q->n * row);
        if (st != IA_OK) return st;
        snprintf(key, sizeof key, "%s.scale", full);
        if ((st = add_scales(w, key, sshape, q->d, bytes)) != IA_OK) return st;
        snprintf(key, sizeof key, "%s.min", full);
        if ((st = add_scales(w, key, sshape, q->m, bytes)) != IA_OK) return st;
        snprintf(key, sizeof key, "ia.qbits.%s", full);
        if ((st = ia_gguf_writer_set_u32(w, key, (uint32_t)q->bits)) != IA_OK) return st;
        snprintf(key, sizeof key, "ia.qgroup.%s", full);
        return ia_gguf_writer_set_i64(w, key, q->group);
    }
}

/* F16 / BF16 data as floats (malloc'd), NULL when out of memory. */
static float *widen(const ia_st_tensor *t, int64_t nel) {
    float *f = malloc((size_t)nel * sizeof *f);
    for (int64_t i = 0; f && i < nel; i++) {
        uint16_t v;
        memcpy(&v, (const uint16_t *)t->data + i, 2);
        if (t->dtype == IA_DTYPE_F16) {
            f[i] = ia_fp16_to_fp32(v);
        } else {
            uint32_t bits = (uint32_t)v << 16;
            memcpy(&f[i], &bits, 4);
        }
    }
    return f;
}

/* A tensor that is not a linear layer: q8_0 for the word embeddings, else
 * as stored (F32, F16) or widened to F32 (BF16). Others are left out. */
static ia_status add_other(ia_gguf_writer *w, const ia_model *m, const ia_st_tensor *t, ia_export_info *info) {
    char word[320];
    int64_t nel = 1;
    ia_status st;
    for (int i = 0; i < t->ndim; i++) nel *= t->shape[i];
    snprintf(word, sizeof word, "%sembeddings.word_embeddings.weight", m->weight_prefix);
    if (strcmp(t->name, word) == 0 && t->ndim == 2 && t->shape[1] % IA_QK == 0 &&
        (t->dtype == IA_DTYPE_F32 || t->dtype == IA_DTYPE_F16 || t->dtype == IA_DTYPE_BF16) &&
        !ia_quant_excluded(info->cfg, "embeddings.word_embeddings.weight")) {
        size_t nb = (size_t)(nel / IA_QK) * sizeof(ia_block_q8_0);
        void *blocks = malloc(nb);
        float *f = t->dtype == IA_DTYPE_F32 ? NULL : widen(t, nel);
        if (!blocks || (t->dtype != IA_DTYPE_F32 && !f)) {
            free(blocks);
            free(f);
            return ia_error(IA_ERR_NOMEM, "%s", t->name);
        }
        st = ia_quantize_q8_0(f ? f : t->data, blocks, nel);
        free(f);
        if (st == IA_OK) st = ia_gguf_writer_add_tensor(w, t->name, IA_GGML_Q8_0, 2, t->shape, blocks, nb);
        free(blocks);
        info->embeddings_format = "Q8_0";
        return st;
    }
    if (t->dtype == IA_DTYPE_F32) return ia_gguf_writer_add_tensor(w, t->name, IA_GGML_F32, t->ndim, t->shape, t->data, t->nbytes);
    if (t->dtype == IA_DTYPE_F16) return ia_gguf_writer_add_tensor(w, t->name, IA_GGML_F16, t->ndim, t->shape, t->data, t->nbytes);
    if (t->dtype == IA_DTYPE_BF16) {
        float *f = widen(t, nel);
        if (!f) return ia_error(IA_ERR_NOMEM, "%s", t->name);
        st = ia_gguf_writer_add_tensor(w, t->name, IA_GGML_F32, t->ndim, t->shape, f, (size_t)nel * sizeof *f);
        free(f);
        return st;
    }
    return IA_OK; /* integer buffers (position_ids): the model does not read them */
}

static ia_status set_metadata(ia_gguf_writer *w, const ia_model *m, const ia_export_info *info) {
    const ia_quant_config *c = info->cfg;
    ia_status st;
    if ((st = ia_gguf_writer_set_str(w, "general.architecture", "ipfs_accelerate")) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_str(w, "general.name", m->name)) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_u32(w, "ia.format_version", 1)) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_str(w, "ia.source.model_type", m->cfg.model_type)) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_u32(w, "ia.quant.bits", (uint32_t)c->bits)) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_str(w, "ia.quant.scheme", c->asymmetric ? "asymmetric" : "symmetric")) != IA_OK)
        return st;
    if ((st = ia_gguf_writer_set_i64(w, "ia.quant.group", c->group)) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_u32(w, "ia.quant.mixed_precision", (uint32_t)c->mixed_precision)) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_u32(w, "ia.quant.clip_search", (uint32_t)c->clip_search)) != IA_OK) return st;
    if ((st = ia_gguf_writer_set_u32(w, "ia.quant.calibration_texts", (uint32_t)info->n_calibration)) != IA_OK)
        return st;
    return ia_gguf_writer_set_str_array(w, "ia.quant.exclusions", c->exclusions, c->n_exclusions);
}

/* Same directory by identity (device + inode), whatever the spelling. */
/* Same directory by identity (device + inode), whatever the spelling. */
static int same_dir(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

ia_status ia_export_check_dir(const char *model_dir, const char *out_dir) {
    char path[4200];
    struct stat sb;
    if (stat(out_dir, &sb) != 0) return IA_OK; /* created later */
    if (!S_ISDIR(sb.st_mode)) return ia_error(IA_ERR_INVALID_ARG, "%s exists and is not a directory", out_dir);
    if (same_dir(out_dir, model_dir))
        return ia_error(IA_ERR_INVALID_ARG, "output directory %s is the model's own directory", out_dir);
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    if (stat(path, &sb) == 0) /* the loader prefers it: the new model would be shadowed */
        return ia_error(IA_ERR_INVALID_ARG, "%s already holds a model.safetensors; choose an empty directory", out_dir);
    return IA_OK;
}

/* Removes a staging tree (files and one level of folders). */
static void remove_tree(const char *dir, int depth) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[4200];
        struct stat sb;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < 2) remove_tree(p, depth + 1);
        else unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Moves every staged file into place (rename: atomic per file), folders
 * merged, model.gguf last so a directory holding it is complete. */
static ia_status move_tree(const char *from, const char *to, int depth) {
    DIR *d = opendir(from);
    struct dirent *e;
    ia_status st = IA_OK;
    if (!d) return ia_error(IA_ERR_IO, "cannot list %s: %s", from, strerror(errno));
    while (st == IA_OK && (e = readdir(d))) {
        char src[4200], dst[4200];
        struct stat sb;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (depth == 0 && strcmp(e->d_name, "model.gguf") == 0) continue;
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        if (stat(src, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if ((st = make_dir(dst)) == IA_OK) st = move_tree(src, dst, depth + 1);
        } else if (rename(src, dst) != 0) {
            st = ia_error(IA_ERR_IO, "moving %s into place: %s", dst, strerror(errno));
        }
    }
    closedir(d);
    if (st == IA_OK && depth == 0) {
        char src[4200], dst[4200];
        snprintf(src, sizeof src, "%s/model.gguf", from);
        snprintf(dst, sizeof dst, "%s/model.gguf", to);
        if (rename(src, dst) != 0) st = ia_error(IA_ERR_IO, "moving %s into place: %s", dst, strerror(errno));
    }
    return st;
}

/* Everything is written into a staging folder inside out_dir first and
 * moved into place only once complete: a failure (disk full, a bad tensor)
 * leaves out_dir as it was, never new tokenizer files beside old weights. */
ia_status ia_export_quantised(const ia_model *m, ia_export_info *info, const char *out_dir) {
    ia_gguf_writer *w = NULL;
    char path[4400], stage[4200];
    struct stat sb;
    ia_status st;
    info->embeddings_format = "F32";
    if ((st = ia_export_check_dir(m->dir, out_dir)) != IA_OK) return st;
    if ((st = make_dir(out_dir)) != IA_OK) return st;
    if (strlen(out_dir) > 4000) return ia_error(IA_ERR_INVALID_ARG, "output path too long");
    /* mkdir fails on an existing name, so a staging folder is never shared
     * (mkdtemp would do, but wasm32-wasi has no mkdtemp). */
    for (int attempt = 0;; attempt++) {
        snprintf(stage, sizeof stage, "%s/.ia-staging-%lld-%d", out_dir, (long long)time(NULL), attempt);
        if (mkdir(stage, 0777) == 0) break;
        if (errno != EEXIST || attempt == 1000)
            return ia_error(IA_ERR_IO, "cannot create a staging folder in %s: %s", out_dir, strerror(errno));
    }
    if ((st = copy_aux(m->dir, stage, 0)) != IA_OK) goto done;
    if ((st = ia_gguf_writer_create(&w)) != IA_OK) goto done;
    if ((st = set_metadata(w, m, info)) != IA_OK) goto done;
    for (size_t i = 0; i < ia_safetensors_count(m->weights); i++) {
        const ia_st_tensor *t = ia_safetensors_at(m->weights, i);
        int linear = -1;
        for (int j = 0; j < m->n_linears; j++) {
            size_t plen = strlen(m->weight_prefix);
            if (strncmp(t->name, m->weight_prefix, plen) == 0 && strcmp(t->name + plen, m->linears[j].name) == 0)
                linear = j;
        }
        if (linear >= 0 && info->layers[linear])
            st = add_linear(w, t->name, info->layers[linear], &info->layer_bytes[linear]);
        else
            st = add_other(w, m, t, info);
        if (st != IA_OK) goto done;
    }
    snprintf(path, sizeof path, "%s/model.gguf", stage);
    if ((st = ia_gguf_writer_finish(w, path)) != IA_OK) goto done;
    info->file_bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
    st = move_tree(stage, out_dir, 0);
done:
    ia_gguf_writer_free(w);
    remove_tree(stage, 0);
    return st;
}
