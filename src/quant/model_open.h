/*
 * model_open.h — opening a model at a precision: the public entries
 * ia_model_open and ia_model_open_profile live here, one layer above the
 * models, because a profile asking int8/int4/int2 of an fp32 model means
 * quantising its linear layers at load with the engine's defaults
 * (quant/policy.h), and the models layer knows nothing of quantisers.
 */
#ifndef IA_QUANT_MODEL_OPEN_H
#define IA_QUANT_MODEL_OPEN_H

#include "models/model.h"

/* ia_model_open_profile, but when `share` is a model of the same directory
 * its weights mapping is reused instead of mapped again. */
ia_status ia_model_open_shared(const char *ref, const ia_hardware_profile *profile, ia_model *share,
                               ia_model **out);

#endif
