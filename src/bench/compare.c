/*
 * compare.c — ia_quant_compare: a reference model and its quantised
 * variants measured side by side (contract in ipfs_accelerate.h).
 *
 * Speed comes from the benchmark runner (the same synthetic texts and
 * statistics as every other benchmark row); accuracy from the STS-B dev
 * sentences: the task metric itself, and how far each variant's
 * embeddings moved from the reference's on the same 3,000 sentences.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench/runner.h"
#include "bench/store.h"
#include "eval/stsb.h"
#include "util/error.h"
#include "util/struct_size.h"

typedef struct model_acc {
    double spearman, cos_mean, cos_min;
} model_acc;

/* Every sentence of d (s1 of each pair, then s2) embedded with model_ref, and
 * the Spearman correlation of the pairs' cosines with the gold scores. */
static ia_status embed_all(const char *model_ref, int threads, const ia_stsb_data *d, float **out, int *dim,
                           double *spearman) {
    ia_hardware_profile p;
    ia_model *m = NULL;
    const char **texts = NULL;
    ia_status st;
    IA_HARDWARE_PROFILE_INIT(&p);
    p.backend = "cpu";
    p.threads = threads;
    *out = NULL;
    if ((st = ia_model_open_profile(model_ref, &p, &m)) != IA_OK) return st;
    *dim = ia_model_dim(m);
    texts = malloc(2 * d->n * sizeof *texts);
    *out = malloc(2 * d->n * (size_t)*dim * sizeof **out);
    if (!texts || !*out) {
        st = ia_error(IA_ERR_NOMEM, "compare: embeddings");
        goto done;
    }
    for (size_t i = 0; i < d->n; i++) {
        texts[i] = d->pairs[i].s1;
        texts[d->n + i] = d->pairs[i].s2;
    }
    for (size_t i = 0; i < 2 * d->n && st == IA_OK; i += 32) {
        size_t b = 2 * d->n - i < 32 ? 2 * d->n - i : 32;
        st = ia_model_embed(m, texts + i, b, *out + i * (size_t)*dim);
    }
    if (st == IA_OK) { /* the task metric from the same embeddings */
        double *cos = malloc(d->n * sizeof *cos), *gold = malloc(d->n * sizeof *gold);
        if (!cos || !gold) {
            st = ia_error(IA_ERR_NOMEM, "compare: cosines");
        } else {
            for (size_t i = 0; i < d->n; i++) {
                cos[i] = ia_cosine(*out + i * (size_t)*dim, *out + (d->n + i) * (size_t)*dim, *dim);
                gold[i] = d->pairs[i].score;
            }
            *spearman = ia_spearman(cos, gold, d->n);
        }
        free(cos);
        free(gold);
    }
done:
    if (st != IA_OK) {
        free(*out);
        *out = NULL;
    }
    free(texts);
    ia_model_free(m);
    return st;
}

void ia_quant_compare_config_init(ia_quant_compare_config *c, size_t struct_size) {
    ia_quant_compare_config d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    ia_struct_export(c, struct_size, &d, sizeof d);
}

ia_status ia_quant_compare(const ia_quant_compare_config *cfg, const char *db_path, ia_progress_fn progress,
                           void *ctx, int64_t *run_id, char **json) {
    ia_quant_compare_config full;
    ia_bench_config bc;
    ia_bench_store *store = NULL;
    ia_bench_result *res = NULL;
    size_t n_res = 0, n_models;
    const char **models = NULL;
    const char *backends[] = {"cpu"};
    int batch, seq_len, dim = 0, ref_dim = 0;
    float *ref = NULL;
    model_acc *acc = NULL;
    ia_stsb_data d = {0};
    int64_t rid = 0;
    ia_status st;
    cJSON *arr = NULL;
    if (json) *json = NULL;
    if (run_id) *run_id = 0;
    if (cfg) {
        IA_QUANT_COMPARE_CONFIG_INIT(&full);
        if ((st = ia_struct_import(&full, sizeof full, cfg, "IA_QUANT_COMPARE_CONFIG_INIT")) != IA_OK) return st;
        cfg = &full;
    }
    if (!cfg || !cfg->reference || (cfg->n_variants && !cfg->variants) || !cfg->stsb_csv)
        return ia_error(IA_ERR_INVALID_ARG, "compare: a reference model, variants and an STS-B file are required");
    for (size_t i = 0; i < cfg->n_variants; i++)
        if (!cfg->variants[i]) return ia_error(IA_ERR_INVALID_ARG, "compare: variant %zu is NULL", i);
    batch = cfg->batch > 0 ? cfg->batch : 32;
    seq_len = cfg->seq_len > 0 ? cfg->seq_len : 128;
    n_models = cfg->n_variants + 1;
    if ((st = ia_stsb_load(cfg->stsb_csv, &d)) != IA_OK) return st;
    models = malloc(n_models * sizeof *models);
    acc = calloc(n_models, sizeof *acc);
    if (!models || !acc) {
        st = ia_error(IA_ERR_NOMEM, "compare");
        goto done;
    }
    models[0] = cfg->reference;
    for (size_t i = 0; i < cfg->n_variants; i++) models[i + 1] = cfg->variants[i];

    /* Accuracy first: a variant that fails to load fails before minutes of timing. */
    for (size_t i = 0; i < n_models; i++) {
        float *e = NULL;
        if (progress) progress(ctx, (int)i, (int)(2 * n_models), "accuracy");
        if ((st = embed_all(models[i], cfg->threads, &d, &e, &dim, &acc[i].spearman)) != IA_OK) goto done;
        if (i == 0) {
            ref = e;
            ref_dim = dim;
            acc[0].cos_mean = acc[0].cos_min = 1.0;
            continue;
        }
        if (dim != ref_dim) {
            free(e);
            st = ia_error(IA_ERR_INVALID_ARG, "compare: %s embeds to %d dims, the reference to %d", models[i], dim,
                          ref_dim);
            goto done;
        }
        acc[i].cos_min = 1.0;
        for (size_t t = 0; t < 2 * d.n; t++) {
            double c = ia_cosine(e + t * (size_t)dim, ref + t * (size_t)dim, dim);
            acc[i].cos_mean += c;
            if (c < acc[i].cos_min) acc[i].cos_min = c;
        }
        acc[i].cos_mean /= (double)(2 * d.n);
        free(e);
    }

    memset(&bc, 0, sizeof bc);
    bc.models = models;
    bc.n_models = n_models;
    bc.backends = backends;
    bc.n_backends = 1;
    bc.batches = &batch;
    bc.n_batches = 1;
    bc.seq_lens = &seq_len;
    bc.n_seq_lens = 1;
    bc.iterations = cfg->iterations > 0 ? cfg->iterations : 10;
    bc.warmup = cfg->warmup > 0 ? cfg->warmup : 2;
    bc.threads = cfg->threads;
    if (db_path && (st = ia_bench_store_open(db_path, &store)) != IA_OK) goto done;
    if (progress) progress(ctx, (int)n_models, (int)(2 * n_models), "latency");
    if ((st = ia_bench_run(&bc, store, NULL, NULL, &rid, &res, &n_res)) != IA_OK) goto done;

    for (size_t i = 0; i < n_models; i++)
        if (res[i].skipped_reason) {
            st = ia_error(IA_ERR_INVALID_ARG, "compare: %s was not measured at batch %d x %d tokens: %s", models[i],
                          batch, seq_len, res[i].skipped_reason);
            goto done;
        }
    if (!(acc[0].spearman > 0)) {
        st = ia_error(IA_ERR_INVALID_ARG, "compare: the reference's STS-B Spearman is %g; relative losses would "
                      "mean nothing", acc[0].spearman);
        goto done;
    }
    arr = cJSON_CreateArray();
    for (size_t i = 0; i < n_models; i++) {
        const ia_bench_result *r = &res[i];
        double loss = acc[0].spearman != 0 ? (acc[0].spearman - acc[i].spearman) / acc[0].spearman : NAN;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", models[i]);
        cJSON_AddStringToObject(o, "precision", r->precision);
        cJSON_AddNumberToObject(o, "model_bytes", r->model_bytes);
        cJSON_AddNumberToObject(o, "rss_delta_bytes", r->rss_delta_bytes);
        cJSON_AddNumberToObject(o, "batch", batch);
        cJSON_AddNumberToObject(o, "seq_len", seq_len);
        cJSON_AddNumberToObject(o, "items_per_s", r->items_per_s);
        cJSON_AddNumberToObject(o, "latency_ms_p50", r->latency_ms_p50);
        cJSON_AddNumberToObject(o, "speedup", res[0].items_per_s > 0 ? r->items_per_s / res[0].items_per_s : 0);
        cJSON_AddNumberToObject(o, "stsb_spearman", acc[i].spearman * 100.0);
        cJSON_AddNumberToObject(o, "stsb_relative_loss", i ? loss : 0.0);
        cJSON_AddNumberToObject(o, "cosine_to_reference_mean", acc[i].cos_mean);
        cJSON_AddNumberToObject(o, "cosine_to_reference_min", acc[i].cos_min);
        cJSON_AddItemToArray(arr, o);
        if (store && r->id) {
            const char *ds = cfg->stsb_csv;
            if ((st = ia_bench_store_add_accuracy(store, r->id, "stsb_spearman", acc[i].spearman * 100.0,
                                                  NULL, ds)) != IA_OK)
                goto done;
            if (i && ((st = ia_bench_store_add_accuracy(store, r->id, "stsb_relative_loss", loss, models[0], ds)) != IA_OK ||
                      (st = ia_bench_store_add_accuracy(store, r->id, "cosine_to_reference_mean", acc[i].cos_mean,
                                                        models[0], ds)) != IA_OK ||
                      (st = ia_bench_store_add_accuracy(store, r->id, "cosine_to_reference_min", acc[i].cos_min,
                                                        models[0], ds)) != IA_OK))
                goto done;
        }
    }
    if (json && !(*json = cJSON_PrintUnformatted(arr))) st = ia_error(IA_ERR_NOMEM, "compare: json");
    if (run_id) *run_id = rid;
done:
    cJSON_Delete(arr);
    ia_bench_results_free(res, n_res);
    ia_bench_store_close(store);
    ia_stsb_free(&d);
    free(ref);
    free(acc);
    free(models);
    return st;
}
