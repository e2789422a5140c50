/*
 * policy.h — from the user's quantisation config to per-layer parameters:
 * defaults per width, layer exclusions, and the mixed-precision ladder.
 */
#ifndef IA_QUANT_POLICY_H
#define IA_QUANT_POLICY_H

#include "ipfs_accelerate.h"
#include "quant/quantize.h"

/* Parameters for one layer of k inputs at `bits` under cfg (cfg NULL: the
 * defaults, which load-time quantisation uses): the group (0 → 128 at 8
 * bits (per channel when 128 does not divide k), 32 below), the scheme, clip search, and fp16 scales exactly
 * when the settings equal a ggml type (q8_0, q4_0, q4_1) so the layer is
 * stored in that type. importance may be NULL. */
ia_quant_params ia_quant_layer_params(const ia_quant_config *cfg, int bits, int64_t k, const float *importance);

/* Load-time defaults (precision int8/int4/int2 on an fp32 model). */
ia_quant_params ia_quant_params_for(int bits, int64_t k);

/* 1 when `name` matches one of cfg's exclusion patterns: a substring, or
 * an fnmatch glob when the pattern has * ? or [. */
int ia_quant_excluded(const ia_quant_config *cfg, const char *name);

/* The next width up in the mixed-precision ladder: 2 → 4 → 8 → 32 (fp32). */
int ia_quant_next_width(int bits);

/* The built-in calibration texts (calibration_texts.c): the default of
 * ia_quant_config_init at 2 bits. Static; *n gets their count. */
const char *const *ia_quant_builtin_calibration(size_t *n);

/* Checks a config: bits in {8,4,2}, group -1, 0 or a positive multiple of
 * 32, no NULL patterns or texts. */
ia_status ia_quant_config_check(const ia_quant_config *cfg);

#endif
