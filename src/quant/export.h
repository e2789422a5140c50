/*
 * export.h — writes a quantised model directory: model.gguf with every
 * tensor of the fp32 model (linear layers as given, the word embedding
 * table as q8_0 unless excluded, the rest F32/F16) and the settings as
 * metadata, plus copies of the config, tokenizer and sentence-transformers
 * module files.
 */
#ifndef IA_QUANT_EXPORT_H
#define IA_QUANT_EXPORT_H

#include "models/model.h"

typedef struct ia_export_info {
    const ia_quant_config *cfg;
    const ia_qweights *const *layers; /* [m->n_linears]: codes, or NULL = F32 */
    size_t n_calibration;
    long long *layer_bytes;           /* [m->n_linears], zeroed by the caller: bytes each
                                         quantised layer occupies in the file */
    /* filled in */
    const char *embeddings_format;    /* "Q8_0" or "F32" */
    long long file_bytes;             /* size of model.gguf */
} ia_export_info;

/* The checks on out_dir that can be made before any work: not the
 * model's own directory, no model.safetensors that would shadow the new
 * model. (ia_export_quantised makes them again.) */
ia_status ia_export_check_dir(const char *model_dir, const char *out_dir);

ia_status ia_export_quantised(const ia_model *m, ia_export_info *info, const char *out_dir);

#endif
