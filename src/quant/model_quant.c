/*
 * model_quant.c — ia_quantize_model: an fp32 model directory in, a
 * quantised one out (model.gguf + the config and tokenizer files).
 *
 *   1. open the fp32 model; its linear layers are listed in m->linears
 *   2. calibration texts (if any) → mean x_k^2 of every layer's inputs,
 *      which weights each layer's scale search (quantize.h)
 *   3. mixed precision: each layer alone at the target width → drift of
 *      the embeddings (1 − mean cosine to fp32) on the calibration texts;
 *      the layers with the largest drift per promoted bit move one step up
 *      the ladder 2 → 4 → 8 → fp32 while the average stays within
 *      bits + 1 bits per weight
 *   4. quantise every layer at its width; measure the whole model's drift
 *   5. write model.gguf (export.c) and the report
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "models/model.h"
#include "quant/calibrate.h"
#include "quant/export.h"
#include "quant/llm_quant.h"
#include "quant/policy.h"
#include "util/error.h"
#include "util/struct_size.h"

typedef struct layer_plan {
    int width;          /* 8, 4, 2, or 32 = kept fp32 */
    int excluded;
    double sensitivity; /* drift with only this layer quantised; NAN = not measured */
    double error;       /* importance-weighted relative error of the final codes */
    ia_qweights q;      /* final codes (width < 32) */
} layer_plan;

static void progress_at(ia_progress_fn fn, void *ctx, int done, int total, const char *what) {
    if (fn) fn(ctx, done, total, what);
}

/* Puts layer i back to its fp32 weights and frees the trial codes. */
static ia_status restore(ia_model *m, int i) { return ia_model_reset_linear(m, i); }

static ia_status quantise_layer(ia_model *m, int i, const ia_quant_config *cfg, int width, const ia_calib *cal,
                                ia_qweights *q) {
    const ia_tensor *t = m->linears[i].slot;
    int64_t n = ia_tensor_rows(t), k = ia_tensor_cols(t);
    ia_quant_params p = ia_quant_layer_params(cfg, width, k, cal->importance ? cal->importance[i] : NULL);
    ia_status st;
    if (cfg->group > 0 && k % cfg->group != 0)
        return ia_error(IA_ERR_INVALID_ARG, "group %d does not divide the %lld inputs of %s (use a divisor, or "
                        "channel)", cfg->group, (long long)k, m->linears[i].name);
    const float *w = ia_model_linear_f32(m, i);
    if (!w) return ia_error_prefix(IA_ERR_INVALID_ARG, "%s", m->linears[i].name);
    st = ia_quantize_weights(w, n, k, &p, q);
    return st == IA_OK ? IA_OK : ia_error_prefix(st, "%s", m->linears[i].name);
}

/* Step 3: per-layer drift, then promotion within the bit budget. */
static ia_status plan_mixed(ia_model *m, const ia_quant_config *cfg, const ia_calib *cal, const char *const *texts,
                            size_t n_texts, const float *ref, layer_plan *plan, ia_progress_fn progress, void *ctx) {
    int n = m->n_linears, *order = NULL;
    double budget = 0, used = 0;
    ia_status st = IA_OK;
    for (int i = 0; i < n && st == IA_OK; i++) {
        ia_qweights q = {0};
        if (plan[i].excluded) continue;
        progress_at(progress, ctx, i, n, m->linears[i].name);
        if ((st = quantise_layer(m, i, cfg, cfg->bits, cal, &q)) != IA_OK) break;
        st = ia_model_set_linear(m, i, &q);
        ia_qweights_free(&q);
        if (st == IA_OK) st = ia_calib_drift(m, texts, n_texts, ref, &plan[i].sensitivity);
        if (st == IA_OK) st = restore(m, i);
    }
    if (st != IA_OK) return st;
    /* Budget: bits + 1 bits per weight on average over the quantised layers. */
    for (int i = 0; i < n; i++) {
        double params = (double)ia_tensor_nelem(m->linears[i].slot);
        if (plan[i].excluded || plan[i].width == 32) continue;
        budget += params * (cfg->bits + 1);
        used += params * cfg->bits;
    }
    if (!(order = malloc((size_t)n * sizeof *order))) return ia_error(IA_ERR_NOMEM, "mixed precision");
    for (int i = 0; i < n; i++) order[i] = i;
    /* Most drift per extra bit first (insertion sort: a few dozen layers). */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0; b--) {
            int x = order[b - 1], y = order[b];
            double px = (double)ia_tensor_nelem(m->linears[x].slot), py = (double)ia_tensor_nelem(m->linears[y].slot);
            double sx = isnan(plan[x].sensitivity) ? -1 : plan[x].sensitivity / px;
            double sy = isnan(plan[y].sensitivity) ? -1 : plan[y].sensitivity / py;
            if (sy <= sx) break;
            order[b - 1] = y;
            order[b] = x;
        }
    for (int a = 0; a < n; a++) {
        int i = order[a], up = ia_quant_next_width(cfg->bits);
        double extra = (double)ia_tensor_nelem(m->linears[i].slot) * (up - cfg->bits);
        if (isnan(plan[i].sensitivity) || plan[i].sensitivity <= 0) continue;
        if (used + extra > budget) continue;
        plan[i].width = up;
        used += extra;
    }
    free(order);
    return IA_OK;
}

static cJSON *report_layer(const ia_model *m, int i, const layer_plan *p, const ia_quant_config *cfg) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", m->linears[i].name);
    cJSON_AddNumberToObject(o, "params", (double)ia_tensor_nelem(m->linears[i].slot));
    cJSON_AddNumberToObject(o, "bits", p->width);
    if (p->width < 32) {
        int type = ia_qweights_block_dtype(&p->q);
        cJSON_AddNumberToObject(o, "group", (double)p->q.group);
        cJSON_AddStringToObject(o, "scheme", cfg->asymmetric ? "asymmetric" : "symmetric");
        cJSON_AddStringToObject(o, "format", type >= 0 ? ia_ggml_type_name(ia_ggml_type_of_dtype((ia_dtype)type)) : "ia_packed");
        cJSON_AddNumberToObject(o, "rel_error", p->error);
    } else {
        cJSON_AddStringToObject(o, "format", "F32");
        cJSON_AddStringToObject(o, "why", p->excluded ? "excluded" : "mixed precision or unsupported shape");
    }
    if (!isnan(p->sensitivity)) cJSON_AddNumberToObject(o, "sensitivity", p->sensitivity);
    return o;
}

ia_status ia_quantize_model(const char *model_ref, const ia_quant_config *cfg, const char *out_dir,
                            ia_progress_fn progress, void *ctx, char **report_json) {
    ia_hardware_profile prof;
    ia_quant_config full;
    ia_model *m = NULL;
    ia_calib cal = {0};
    layer_plan *plan = NULL;
    float *ref = NULL;
    long long *layer_bytes = NULL;
    const char *const *texts;
    size_t n_texts;
    double drift = NAN;
    ia_export_info info;
    ia_status st;
    if (report_json) *report_json = NULL;
    if (!cfg) return ia_error(IA_ERR_INVALID_ARG, "quantisation config is NULL");
    IA_QUANT_CONFIG_INIT(&full, 8);
    if ((st = ia_struct_import(&full, sizeof full, cfg, "IA_QUANT_CONFIG_INIT")) != IA_OK) return st;
    cfg = &full;
    if (cfg->type) /* a decoder into ggml types, as llama-quantize */
        return ia_quantize_llm(model_ref, cfg->type, out_dir, cfg->threads, progress, ctx, report_json);
    if ((st = ia_quant_config_check(cfg)) != IA_OK) return st;
    if (!out_dir || !*out_dir) return ia_error(IA_ERR_INVALID_ARG, "output directory is empty");
    IA_HARDWARE_PROFILE_INIT(&prof);
    prof.backend = "cpu";
    prof.threads = cfg->threads;
    if ((st = ia_model_load(model_ref, &prof, NULL, &m)) != IA_OK) return st;
    if ((st = ia_export_check_dir(m->dir, out_dir)) != IA_OK) goto done; /* before minutes of work */
    if (!m->weights) {
        st = ia_error(IA_ERR_INVALID_ARG, "%s holds model.gguf, already quantised: quantise the fp32 model", m->dir);
        goto done;
    }
    /* mixed precision asked without calibration texts measures sensitivity
     * on the built-in ones (varied: short and long, plain and technical) */
    if (cfg->n_calibration) {
        texts = cfg->calibration;
        n_texts = cfg->n_calibration;
    } else if (cfg->mixed_precision) {
        texts = ia_quant_builtin_calibration(&n_texts);
    } else {
        texts = NULL;
        n_texts = 0;
    }
    if (!(plan = calloc((size_t)m->n_linears, sizeof *plan)) ||
        !(layer_bytes = calloc((size_t)m->n_linears, sizeof *layer_bytes))) {
        st = ia_error(IA_ERR_NOMEM, "quantisation plan");
        goto done;
    }
    for (int i = 0; i < m->n_linears; i++) {
        plan[i].excluded = ia_quant_excluded(cfg, m->linears[i].name);
        plan[i].width = plan[i].excluded ? 32 : cfg->bits;
        plan[i].sensitivity = NAN;
        if (!ia_model_linear_f32(m, i)) goto done_err;
    }
    if (cfg->n_calibration) {
        progress_at(progress, ctx, 0, 1, "calibrating");
        if ((st = ia_calibrate(m, texts, n_texts, &cal)) != IA_OK) goto done;
    }
    if (n_texts) {
        if (!(ref = malloc(n_texts * (size_t)ia_model_dim(m) * sizeof *ref))) {
            st = ia_error(IA_ERR_NOMEM, "reference embeddings");
            goto done;
        }
        if ((st = ia_calib_embed(m, texts, n_texts, ref)) != IA_OK) goto done;
    }
    if (cfg->mixed_precision &&
        (st = plan_mixed(m, cfg, &cal, texts, n_texts, ref, plan, progress, ctx)) != IA_OK)
        goto done;
    for (int i = 0; i < m->n_linears; i++) {
        if (plan[i].width == 32) continue;
        progress_at(progress, ctx, i, m->n_linears, "quantising");
        if ((st = quantise_layer(m, i, cfg, plan[i].width, &cal, &plan[i].q)) != IA_OK) goto done;
        plan[i].error = ia_quant_error(ia_model_linear_f32(m, i), &plan[i].q, cal.importance ? cal.importance[i] : NULL);
        if ((st = ia_model_set_linear(m, i, &plan[i].q)) != IA_OK) goto done;
    }
    if (n_texts && (st = ia_calib_drift(m, texts, n_texts, ref, &drift)) != IA_OK) goto done;

    progress_at(progress, ctx, 0, 1, "writing model.gguf");
    memset(&info, 0, sizeof info);
    info.cfg = cfg;
    info.n_calibration = cfg->n_calibration;
    {
        const ia_qweights **qs = calloc((size_t)m->n_linears, sizeof *qs);
        if (!qs) {
            st = ia_error(IA_ERR_NOMEM, "export");
            goto done;
        }
        for (int i = 0; i < m->n_linears; i++) qs[i] = plan[i].width < 32 ? &plan[i].q : NULL;
        info.layers = qs;
        info.layer_bytes = layer_bytes;
        st = ia_export_quantised(m, &info, out_dir);
        free(qs);
        if (st != IA_OK) goto done;
    }
    if (report_json) {
        cJSON *r = cJSON_CreateObject(), *layers = cJSON_AddArrayToObject(r, "layers");
        double bits_sum = 0, params = 0, stored = 0;
        cJSON_AddStringToObject(r, "model", m->name);
        cJSON_AddStringToObject(r, "out_dir", out_dir);
        cJSON_AddNumberToObject(r, "bits", cfg->bits);
        cJSON_AddStringToObject(r, "scheme", cfg->asymmetric ? "asymmetric" : "symmetric");
        cJSON_AddBoolToObject(r, "mixed_precision", cfg->mixed_precision);
        cJSON_AddNumberToObject(r, "calibration_texts", (double)cfg->n_calibration);
        cJSON_AddStringToObject(r, "embeddings", info.embeddings_format);
        cJSON_AddNumberToObject(r, "file_bytes", (double)info.file_bytes);
        for (int i = 0; i < m->n_linears; i++) {
            double p = (double)ia_tensor_nelem(m->linears[i].slot);
            cJSON_AddItemToArray(layers, report_layer(m, i, &plan[i], cfg));
            bits_sum += p * plan[i].width;
            stored += plan[i].width == 32 ? 32 * p : 8.0 * (double)layer_bytes[i];
            params += p;
        }
        cJSON_AddNumberToObject(r, "linear_bits_per_weight", params > 0 ? bits_sum / params : 0);
        cJSON_AddNumberToObject(r, "linear_stored_bits_per_weight", params > 0 ? stored / params : 0);
        if (!isnan(drift)) {
            cJSON_AddNumberToObject(r, "drift_texts", (double)n_texts);
            cJSON_AddNumberToObject(r, "mean_cosine_to_fp32", 1.0 - drift);
        }
        *report_json = cJSON_PrintUnformatted(r);
        cJSON_Delete(r);
        if (!*report_json) st = ia_error(IA_ERR_NOMEM, "report");
    }
    goto done;
done_err:
    st = ia_error_prefix(IA_ERR_INVALID_ARG, "quantise");
done:
    if (plan)
        for (int i = 0; i < (m ? m->n_linears : 0); i++) ia_qweights_free(&plan[i].q);
    free(plan);
    free(layer_bytes);
    free(ref);
    ia_calib_free(&cal);
    ia_model_free(m);
    return st;
}
