/*
 * tokenizer_json_bpe.c — loading a Hugging Face tokenizer.json whose model
 * is BPE as an LLM tokenizer (stub until the loader lands).
 */
#include "tokenize/tokenizer_impl.h"
#include "util/error.h"

ia_status ia_tokenizer_json_bpe(const void *root, ia_tokenizer *tok) {
    (void)root;
    (void)tok;
    return ia_error(IA_ERR_UNSUPPORTED, "tokenizer.json: model type \"BPE\" is not supported yet");
}
