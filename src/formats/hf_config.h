/*
 * hf_config.h — the parts of a Hugging Face model directory's JSON configs
 * that the core uses: config.json (architecture sizes) and the
 * sentence-transformers files (modules.json, the pooling config,
 * sentence_bert_config.json) that say how token vectors become one
 * embedding.
 */
#ifndef IA_FORMATS_HF_CONFIG_H
#define IA_FORMATS_HF_CONFIG_H

#include <cjson/cJSON.h>

#include "ipfs_accelerate.h"

typedef struct ia_hf_config {
    char model_type[32];      /* "bert", ... */
    char hidden_act[32];      /* "gelu", ... */
    int hidden_size;
    int num_hidden_layers;
    int num_attention_heads;
    int intermediate_size;
    int max_position_embeddings;
    int type_vocab_size;
    int vocab_size;
    float layer_norm_eps;
} ia_hf_config;

typedef enum ia_pooling {
    IA_POOLING_MEAN = 0,
    IA_POOLING_CLS,
} ia_pooling;

typedef struct ia_st_config {
    ia_pooling pooling;
    int normalize;      /* a sentence_transformers.models.Normalize module */
    int max_seq_length; /* 0 if the directory does not say */
} ia_st_config;

/* Reads dir/config.json. Missing file: IA_ERR_NOT_FOUND; a missing
 * required field (hidden_size, num_hidden_layers, num_attention_heads,
 * intermediate_size, vocab_size), a field of the wrong JSON type or out of
 * range: IA_ERR_FORMAT naming the file and the field. Optional fields and
 * their defaults when absent (or null, as transformers writes unset
 * options): model_type "", hidden_act "gelu", max_position_embeddings 512,
 * type_vocab_size 2, layer_norm_eps 1e-12. */
ia_status ia_hf_config_load(const char *dir, ia_hf_config *out);

/* The same from config.json already parsed (path names it in messages). */
ia_status ia_hf_config_parse(const char *path, const cJSON *json, ia_hf_config *out);

/* Reads modules.json and what it points to. A plain HF directory without
 * modules.json gets mean pooling, no normalisation (sentence-transformers'
 * own default for such a directory); without sentence_bert_config.json (or
 * with "max_seq_length": null) max_seq_length is 0. Pooling modes we do not
 * run (max, sqrt-length mean, weighted mean, last token, or CLS and mean
 * together) are IA_ERR_UNSUPPORTED; a file that is not JSON, or a key of
 * the wrong type, IA_ERR_FORMAT naming the file and the key. */
ia_status ia_st_config_load(const char *dir, ia_st_config *out);

#endif
