/*
 * model_open.c — the public model-opening entries (contracts in the public
 * header and model_open.h): open with the models layer, then quantise the
 * fp32 linear layers when the profile asks for an integer precision.
 */
#include "quant/model_open.h"

#include <string.h>

#include "quant/policy.h"
#include "quant/quantize.h"
#include "util/error.h"
#include "util/struct_size.h"

static int bits_of(ia_precision p) {
    return p == IA_PRECISION_INT8 ? 8 : p == IA_PRECISION_INT4 ? 4 : p == IA_PRECISION_INT2 ? 2 : 0;
}

/* Quantises every fp32 linear layer of m to `bits` with the load-time
 * defaults (no calibration). */
static ia_status quantise_at_load(ia_model *m, int bits) {
    for (int i = 0; i < m->n_linears; i++) {
        const ia_tensor *t = &m->linears[i].file;
        const float *w;
        ia_quant_params p;
        ia_qweights q;
        ia_status st;
        if (ia_dtype_is_quantized(t->dtype)) continue; /* stored quantised: runs as stored */
        if (!(w = ia_model_linear_f32(m, i))) return IA_ERR_INVALID_ARG;
        p = ia_quant_params_for(bits, t->shape[1]);
        if ((st = ia_quantize_weights(w, t->shape[0], t->shape[1], &p, &q)) != IA_OK)
            return ia_error_prefix(st, "%s", m->linears[i].name);
        st = ia_model_set_linear(m, i, &q);
        ia_qweights_free(&q);
        if (st != IA_OK) return ia_error_prefix(st, "%s", m->linears[i].name);
    }
    ia_model_update_precision(m);
    return IA_OK;
}

ia_status ia_model_open_shared(const char *ref, const ia_hardware_profile *profile, ia_model *share,
                               ia_model **out) {
    ia_hardware_profile o;
    ia_model *m = NULL;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_model_open: out is NULL");
    *out = NULL;
    IA_HARDWARE_PROFILE_INIT(&o);
    if (profile && (st = ia_struct_import(&o, sizeof o, profile, "IA_HARDWARE_PROFILE_INIT")) != IA_OK) return st;
    if ((st = ia_model_load(ref, &o, share, &m)) != IA_OK) return st;
    if (bits_of(o.precision) && strcmp(m->precision, "fp32") == 0 && (st = quantise_at_load(m, bits_of(o.precision))) != IA_OK) {
        ia_model_free(m);
        return st;
    }
    *out = m;
    return IA_OK;
}

ia_status ia_model_open_profile(const char *ref, const ia_hardware_profile *profile, ia_model **out) {
    return ia_model_open_shared(ref, profile, NULL, out);
}

ia_status ia_model_open(const char *ref, const ia_model_options *opts, ia_model **out) {
    ia_model_options mo;
    ia_hardware_profile p;
    ia_status st;
    IA_MODEL_OPTIONS_INIT(&mo);
    if (opts && (st = ia_struct_import(&mo, sizeof mo, opts, "IA_MODEL_OPTIONS_INIT")) != IA_OK) return st;
    IA_HARDWARE_PROFILE_INIT(&p);
    p.backend = mo.device ? mo.device : "auto";
    p.threads = mo.threads;
    return ia_model_open_shared(ref, &p, NULL, out);
}
