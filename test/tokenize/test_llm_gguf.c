/*
 * test_llm_gguf.c — ia_tokenizer_from_gguf on GGUF files written here with
 * ia_gguf_writer: a tiny byte-level vocabulary that must merge as BPE
 * does, and metadata we must refuse (unknown model or pre type, missing
 * pre, tokens or merges, token types of the wrong length).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/gguf.h"
#include "harness.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"

/* Writes a GGUF with the given tokenizer keys (NULL: left out) and opens
 * it with ia_tokenizer_from_gguf; returns the status. */
static ia_status try_gguf(const char *model, const char *pre, const char *const *tokens, size_t nt,
                          const char *const *merges, size_t nm, ia_tokenizer **out) {
    char path[] = "/tmp/ia_tokgguf_XXXXXX";
    int fd = mkstemp(path);
    ia_gguf_writer *w = NULL;
    ia_gguf *f = NULL;
    ia_status st;
    *out = NULL;
    if (fd < 0) return IA_ERR_IO;
    close(fd);
    if ((st = ia_gguf_writer_create(&w)) != IA_OK) goto done;
    if (model && (st = ia_gguf_writer_set_str(w, "tokenizer.ggml.model", model)) != IA_OK) goto done;
    if (pre && (st = ia_gguf_writer_set_str(w, "tokenizer.ggml.pre", pre)) != IA_OK) goto done;
    if (tokens && (st = ia_gguf_writer_set_str_array(w, "tokenizer.ggml.tokens", tokens, nt)) != IA_OK)
        goto done;
    if (merges && (st = ia_gguf_writer_set_str_array(w, "tokenizer.ggml.merges", merges, nm)) != IA_OK)
        goto done;
    if ((st = ia_gguf_writer_finish(w, path)) != IA_OK) goto done;
    if ((st = ia_gguf_open(path, &f)) != IA_OK) goto done;
    st = ia_tokenizer_from_gguf(f, out);
done:
    ia_gguf_writer_free(w);
    ia_gguf_free(f);
    unlink(path);
    return st;
}

/* "Ġ" is GPT-2's space. */
static const char *const TOKENS[] = {"a", "b", "ab", "\xc4\xa0", "\xc4\xa0" "ab", "c"};
static const char *const MERGES[] = {"a b", "\xc4\xa0 ab"};

IA_TEST(llm_gguf_tiny_bpe) {
    ia_tokenizer *tok = NULL;
    CHECK_STATUS(try_gguf("gpt2", "gpt-2", TOKENS, 6, MERGES, 2, &tok), IA_OK);
    REQUIRE(tok);
    int32_t ids[16];
    size_t n = 0;
    /* "ab ab c" -> "ab" " ab" " c": Ġc is no token and Ġ+c has no merge */
    CHECK_STATUS(ia_tokenizer_tokenize(tok, "ab ab c", 7, 1, 1, ids, 16, &n), IA_OK);
    CHECK_MSG(n == 4 && ids[0] == 2 && ids[1] == 4 && ids[2] == 3 && ids[3] == 5,
              "%zu ids: %d %d %d %d", n, ids[0], ids[1], ids[2], ids[3]);
    CHECK(ia_tokenizer_vocab_size(tok) == 6);
    CHECK(ia_tokenizer_bos_id(tok) == -1 && ia_tokenizer_eos_id(tok) == -1);
    char buf[8];
    size_t len = 0;
    CHECK_STATUS(ia_tokenizer_piece(tok, 4, 0, buf, sizeof buf, &len), IA_OK);
    CHECK(len == 3 && memcmp(buf, " ab", 3) == 0);
    ia_tokenizer_free(tok);
}

IA_TEST(llm_gguf_refusals) {
    ia_tokenizer *tok = NULL;
    /* WordPiece ("bert") needs the token types to undo the phantom spaces */
    CHECK_STATUS(try_gguf("bert", NULL, TOKENS, 6, NULL, 0, &tok), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "token_type"));
    CHECK_STATUS(try_gguf("t5", NULL, TOKENS, 6, NULL, 0, &tok), IA_ERR_UNSUPPORTED);
    CHECK_STATUS(try_gguf("gpt2", "chameleon", TOKENS, 6, MERGES, 2, &tok), IA_ERR_UNSUPPORTED);
    CHECK(strstr(ia_last_error(), "chameleon"));
    CHECK_STATUS(try_gguf("gpt2", "kimi-k2", TOKENS, 6, MERGES, 2, &tok), IA_ERR_UNSUPPORTED);
    CHECK(strstr(ia_last_error(), "kimi-k2"));
    /* no pre type: llama.cpp's "default", as llama.cpp does */
    CHECK_STATUS(try_gguf("gpt2", NULL, TOKENS, 6, MERGES, 2, &tok), IA_OK);
    ia_tokenizer_free(tok);
    CHECK_STATUS(try_gguf("gpt2", "gpt-2", TOKENS, 6, NULL, 0, &tok), IA_ERR_NOT_FOUND);
    CHECK_STATUS(try_gguf("gpt2", "gpt-2", NULL, 0, MERGES, 2, &tok), IA_ERR_NOT_FOUND);
    CHECK_STATUS(try_gguf(NULL, NULL, TOKENS, 6, NULL, 0, &tok), IA_ERR_NOT_FOUND);
    CHECK_STATUS(try_gguf("gpt2", "gpt-2", TOKENS, 0, MERGES, 2, &tok), IA_ERR_FORMAT);
    CHECK(tok == NULL);
    /* an SPM vocabulary needs no merges; without scores every merge ties */
    CHECK_STATUS(try_gguf("llama", NULL, TOKENS, 6, NULL, 0, &tok), IA_OK);
    ia_tokenizer_free(tok);
}
