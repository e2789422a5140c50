/*
 * policy.c — defaults, exclusions, and the mixed-precision ladder
 * (contracts in policy.h).
 */
#include "quant/policy.h"

#include <fnmatch.h>
#include <string.h>

#include "util/error.h"
#include "util/struct_size.h"

void ia_quant_config_init(ia_quant_config *c, size_t struct_size, int bits) {
    ia_quant_config d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.bits = bits;
    d.clip_search = 1;
    /* The measured best at each width (docs/quantization.md, STS-B dev):
     * 8 and 4 bits symmetric (q4_0 loses -0.02 %, q4_1 0.19 %); 2 bits
     * asymmetric with mixed precision on the built-in calibration texts
     * (0.53 % at 3 bits per weight on average), where plain symmetric 2-bit
     * loses several per cent. */
    if (bits == 2) {
        d.asymmetric = 1;
        d.mixed_precision = 1;
        d.calibration = ia_quant_builtin_calibration(&d.n_calibration);
    }
    ia_struct_export(c, struct_size, &d, sizeof d);
}

ia_status ia_quant_config_check(const ia_quant_config *cfg) {
    if (!cfg) return ia_error(IA_ERR_INVALID_ARG, "quantisation config is NULL");
    if (cfg->bits != 8 && cfg->bits != 4 && cfg->bits != 2)
        return ia_error(IA_ERR_INVALID_ARG, "bits must be 8, 4 or 2 (got %d)", cfg->bits);
    if (cfg->group < -1 || (cfg->group > 0 && cfg->group % 32 != 0))
        return ia_error(IA_ERR_INVALID_ARG, "group must be a positive multiple of 32, 0 (default) or -1 "
                        "(per channel) (got %d)", cfg->group);
    if (cfg->n_exclusions && !cfg->exclusions) return ia_error(IA_ERR_INVALID_ARG, "exclusions is NULL");
    for (size_t i = 0; i < cfg->n_exclusions; i++)
        if (!cfg->exclusions[i] || !*cfg->exclusions[i])
            return ia_error(IA_ERR_INVALID_ARG, "exclusion pattern %zu is empty", i);
    if (cfg->n_calibration && !cfg->calibration) return ia_error(IA_ERR_INVALID_ARG, "calibration is NULL");
    for (size_t i = 0; i < cfg->n_calibration; i++)
        if (!cfg->calibration[i]) return ia_error(IA_ERR_INVALID_ARG, "calibration text %zu is NULL", i);
    if (cfg->threads < 0) return ia_error(IA_ERR_INVALID_ARG, "threads must be >= 0");
    return IA_OK;
}

ia_quant_params ia_quant_layer_params(const ia_quant_config *cfg, int bits, int64_t k, const float *importance) {
    ia_quant_params p;
    int group = cfg ? cfg->group : 0;
    memset(&p, 0, sizeof p);
    p.bits = bits;
    p.scheme = cfg && cfg->asymmetric ? IA_QUANT_ASYMMETRIC : IA_QUANT_SYMMETRIC;
    p.clip_search = cfg ? cfg->clip_search : 1;
    p.importance = importance;
    /* Defaults, measured on all-MiniLM-L6-v2 / STS-B dev (docs/quantization.md):
     * 8 bits in groups of 128 — the activations are quantised per group too,
     * and per-row activation scales (group = k) lose 0.1 % to BERT's outlier
     * features while groups of 128 lose nothing and cost a float step per 128
     * inputs; 4 and 2 bits in groups of 32. */
    if (group == 0) p.group = bits == 8 ? (k % 128 == 0 ? 128 : k) : 32;
    else if (group < 0) p.group = k;
    else p.group = group;
    if (p.group > k || k % p.group != 0) p.group = k;
    /* Scales in fp16 always: the ggml types store them so (and the layer is
     * then byte-compatible), and our packed layout stores fp16-exact scales
     * as F16 too — at 2 bits in groups of 32 that is 3 bits per weight
     * stored instead of 4, for a rounding the codes are chosen after. */
    p.fp16_scales = 1;
    return p;
}

ia_quant_params ia_quant_params_for(int bits, int64_t k) {
    ia_quant_config c;
    IA_QUANT_CONFIG_INIT(&c, bits);
    return ia_quant_layer_params(&c, bits, k, NULL);
}

int ia_quant_excluded(const ia_quant_config *cfg, const char *name) {
    for (size_t i = 0; cfg && i < cfg->n_exclusions; i++) {
        const char *pat = cfg->exclusions[i];
        if (strpbrk(pat, "*?[") ? fnmatch(pat, name, 0) == 0 : strstr(name, pat) != NULL) return 1;
    }
    return 0;
}

int ia_quant_next_width(int bits) { return bits == 2 ? 4 : bits == 4 ? 8 : 32; }
