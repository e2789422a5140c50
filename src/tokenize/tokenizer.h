/*
 * tokenizer.h — internal interface of the tokenizers (the public
 * ia_tokenizer_* calls of ipfs_accelerate.h wrap it).
 *
 * Kinds: WordPiece (the BERT pipeline from tokenizer.json: BertNormalizer,
 * BertPreTokenizer, WordPiece, TemplateProcessing/BertProcessing; or the
 * same rebuilt from a BERT GGUF's metadata, tokenizer_gguf_wpm.c), and the
 * LLM tokenizers, byte-level BPE and SentencePiece BPE, loaded from GGUF
 * metadata (ia_tokenizer_from_gguf) or from a tokenizer.json whose model is
 * BPE. See docs/tokenizers.md for the pre-tokenizer types supported; any
 * other is refused with IA_ERR_UNSUPPORTED, naming it.
 *
 * A loaded tokenizer is immutable: all calls below may run concurrently on
 * one tokenizer (an ia_detok is per stream, not shared).
 */
#ifndef IA_TOKENIZE_TOKENIZER_H
#define IA_TOKENIZE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "formats/gguf.h"
#include "ipfs_accelerate.h"

/* Parses tokenizer.json text (len bytes, need not be NUL-terminated). */
ia_status ia_tokenizer_load_json(const char *json, size_t len, ia_tokenizer **out);

/* Id used for padding ([PAD] for BERT); from tokenizer.json's padding or
 * the vocabulary. */
int32_t ia_tokenizer_pad_id(const ia_tokenizer *tok);

/* Truncation max_length from tokenizer.json, or 0 if none is set. */
size_t ia_tokenizer_max_length(const ia_tokenizer *tok);

/* Vocabulary size (every kind). */
size_t ia_tokenizer_vocab_size(const ia_tokenizer *tok);

/* ------------------------------------------------------ LLM tokenizers */

/* Loads the tokenizer of a GGUF model from its tokenizer.ggml.* metadata
 * (model "gpt2": byte-level BPE; "llama": SentencePiece BPE). Copies what
 * it needs: f may be freed afterwards. IA_ERR_UNSUPPORTED, naming it, for
 * another model or a pre type not implemented; IA_ERR_FORMAT for missing
 * or mistyped keys. Free with ia_tokenizer_free(). */
ia_status ia_tokenizer_from_gguf(const ia_gguf *f, ia_tokenizer **out);

/* Tokens ia_tokenizer_encode makes of text[0..len) with no truncation
 * (special tokens included). */
ia_status ia_tokenizer_count(const ia_tokenizer *tok, const char *text, size_t len, size_t *n_out);

/* LLM-style encode of text[0..len) (any bytes). Byte-level BPE reads
 * invalid UTF-8 as U+FFFD per maximal ill-formed subpart, as Python's
 * decode(errors="replace") before Hugging Face (llama.cpp makes one U+FFFD
 * per bad byte); SentencePiece works on the bytes, so they reach the byte
 * fallback tokens as they are. add_special adds BOS (and EOS)
 * when the tokenizer's metadata says so; parse_special matches control
 * tokens' text (user-defined tokens are matched always, as llama.cpp).
 * Writes up to cap ids; *n_out is the count needed (call again with a
 * larger buffer when *n_out > cap). IA_ERR_UNSUPPORTED on WordPiece. */
ia_status ia_tokenizer_tokenize(const ia_tokenizer *tok, const char *text, size_t len,
                                int add_special, int parse_special, int32_t *ids, size_t cap,
                                size_t *n_out);

/* The bytes of one token (control/unknown tokens give their text only when
 * special != 0, else nothing). Writes up to cap bytes, no NUL; *len is the
 * length needed. IA_ERR_INVALID_ARG for an id out of range. */
ia_status ia_tokenizer_piece(const ia_tokenizer *tok, int32_t id, int special, char *buf,
                             size_t cap, size_t *len);

int32_t ia_tokenizer_bos_id(const ia_tokenizer *tok); /* -1 when none */
int32_t ia_tokenizer_eos_id(const ia_tokenizer *tok); /* -1 when none */

/* 1 for end-of-generation ids: eos, eot, and the texts llama.cpp treats as
 * EOG (<|im_end|>, <|eot_id|>, <|endoftext|>, <end_of_turn>, control </s>
 * ...) when present. */
int ia_tokenizer_is_eog(const ia_tokenizer *tok, int32_t id);

/* Raw vocabulary string of id (borrowed; valid until ia_tokenizer_free()),
 * or NULL (out of range, or a WordPiece tokenizer). */
const char *ia_tokenizer_token_text(const ia_tokenizer *tok, int32_t id);

/* Streaming detokenizer: one per output stream. push writes to out the
 * longest prefix of the text so far that ends on a complete UTF-8 code
 * point (ill-formed bytes become U+FFFD) and holds the rest; *len is the
 * bytes written, or needed when more than cap (then the excess is lost:
 * give cap >= the longest piece + 4). For SentencePiece with
 * add_space_prefix the first token's leading space is dropped, so
 * decoding an encode gives the text back. flush writes U+FFFD for an
 * incomplete sequence still held and returns its length (3, or 0 when
 * nothing was held; written only when cap >= 3). */
typedef struct ia_detok {
    const ia_tokenizer *tok;
    int special;
    int n_pushed;
    unsigned char hold[8];
    size_t n_hold;
} ia_detok;
void ia_detok_init(ia_detok *d, const ia_tokenizer *tok, int special);
ia_status ia_detok_push(ia_detok *d, int32_t id, char *out, size_t cap, size_t *len);
size_t ia_detok_flush(ia_detok *d, char *out, size_t cap);

#endif
