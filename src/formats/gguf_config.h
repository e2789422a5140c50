/*
 * gguf_config.h — a GGUF file as a model directory: the config.json its
 * metadata stands for, and the Hugging Face name of each tensor under the
 * name llama.cpp gives it (blk.N.attn_q.weight ↔
 * model.layers.N.self_attn.q_proj.weight). Families keep binding weights
 * by their Hugging Face names; a GGUF file is read through this map, and
 * the GGUF writer uses it the other way so llama.cpp reads our files.
 *
 * The key mapping follows transformers' GGUF integration
 * (integrations/ggml.py, GGUF_CONFIG_MAPPING) and llama.cpp's
 * llama-arch.cpp; the tensor names are gguf-py's (constants.py,
 * TENSOR_NAMES).
 */
#ifndef IA_FORMATS_GGUF_CONFIG_H
#define IA_FORMATS_GGUF_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "formats/gguf.h"
#include "formats/hf_config.h"

/* The architectures whose metadata and tensor names we map. */
int ia_gguf_arch_known(const char *arch);

/* The config.json (a new cJSON object) of a GGUF file: model_type and the
 * sizes from "<arch>.*" keys, plus two keys of ours that HF configs never
 * need: "rope_interleaved" (true where llama.cpp's rope type for the
 * architecture is NORM: convert_hf_to_gguf.py permuted the rows of Q and
 * K so that adjacent pairs rotate, which is HF's rotate_half on the
 * original rows) and "gguf_architecture". IA_ERR_UNSUPPORTED naming the
 * architecture when it is not one we map; IA_ERR_FORMAT naming the key
 * when a required one is absent or of the wrong type. */
ia_status ia_gguf_config_json(const ia_gguf *f, cJSON **out);

/* How a BERT GGUF's token vectors become one embedding, in place of the
 * sentence-transformers files of a directory. Pooling from
 * "bert.pooling_type" (llama.cpp's enum: 1 MEAN, 2 CLS; absent or 0, NONE,
 * is mean, sentence-transformers' default for a plain encoder; LAST and
 * RANK are IA_ERR_UNSUPPORTED). normalize is 1: GGUF has no key for
 * sentence-transformers' Normalize module, the converter writes a pooling
 * type only for sentence-transformers models (which, as all-MiniLM-L6-v2,
 * nearly all end in Normalize), and llama.cpp's llama-embedding and
 * llama-server normalise by default (--embd-normalize 2), so unit vectors
 * are what users of the file get elsewhere; cosine similarity does not
 * change either way. max_seq_length is 0: the file does not carry
 * sentence_bert_config.json's, so the limit is bert.context_length. */
ia_status ia_gguf_st_config(const ia_gguf *f, ia_st_config *out);

/* The GGUF name of Hugging Face tensor hf_name for arch into buf; 0 when
 * the name has no GGUF counterpart (then the tensor is looked up as is). */
int ia_gguf_name_from_hf(const char *arch, const char *hf_name, char *buf, size_t cap);

/* The inverse: the Hugging Face name of GGUF tensor gguf_name; 0 when
 * unmapped. */
int ia_gguf_name_to_hf(const char *arch, const char *gguf_name, char *buf, size_t cap);

#endif
