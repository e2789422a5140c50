/*
 * eval_api.c — the public evaluation entry points over eval/stsb.h.
 */
#include "eval/stsb.h"
#include "util/error.h"

ia_status ia_eval_stsb(ia_model *model, const char *csv_path, double *spearman, size_t *pairs) {
    ia_stsb_data d;
    ia_status st;
    if (!model || !csv_path || !spearman) return ia_error(IA_ERR_INVALID_ARG, "ia_eval_stsb: NULL argument");
    if ((st = ia_stsb_load(csv_path, &d)) != IA_OK) return st;
    st = ia_stsb_evaluate(model, &d, 32, spearman, NULL);
    if (pairs) *pairs = d.n;
    ia_stsb_free(&d);
    return st;
}
