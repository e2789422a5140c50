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
    /* filled in */
    const char *embeddings_format;    /* "Q8_0" or "F32" */
    long long file_bytes;             /* size of model.gguf */
} ia_export_info;

ia_status ia_export_quantised(const ia_model *m, ia_export_info *info, const char *out_dir);

#endif
