/*
 * test_gguf_config.c — GGUF metadata as config.json and tensor names both
 * ways (formats/gguf_config.c): every llama and bert stem round-trips,
 * unmapped names stay unmapped, a llama file's keys become the HF keys,
 * and missing or foreign metadata is refused with the key or the
 * architecture named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/gguf.h"
#include "formats/gguf_config.h"
#include "harness.h"
#include "util/error.h"

IA_TEST(gguf_names_llama_round_trip) {
    static const char *const pairs[][2] = {
        {"model.embed_tokens.weight", "token_embd.weight"},
        {"model.norm.weight", "output_norm.weight"},
        {"lm_head.weight", "output.weight"},
        {"model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"},
        {"model.layers.17.self_attn.q_proj.bias", "blk.17.attn_q.bias"},
        {"model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight"},
        {"model.layers.29.mlp.down_proj.weight", "blk.29.ffn_down.weight"},
        {"model.layers.2.post_attention_layernorm.weight", "blk.2.ffn_norm.weight"},
    };
    char buf[128];
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        CHECK(ia_gguf_name_from_hf("llama", pairs[i][0], buf, sizeof buf) && strcmp(buf, pairs[i][1]) == 0);
        CHECK(ia_gguf_name_to_hf("qwen2", pairs[i][1], buf, sizeof buf) && strcmp(buf, pairs[i][0]) == 0);
    }
    CHECK(!ia_gguf_name_from_hf("llama", "model.layers.x.mlp.up_proj.weight", buf, sizeof buf));
    CHECK(!ia_gguf_name_from_hf("llama", "model.layers.01.mlp.up_proj.weight", buf, sizeof buf));
    CHECK(!ia_gguf_name_from_hf("llama", "model.normal.weight", buf, sizeof buf));
    CHECK(!ia_gguf_name_to_hf("llama", "blk.0.attn_qkv.weight", buf, sizeof buf));
    CHECK(!ia_gguf_name_from_hf("gpt2", "model.norm.weight", buf, sizeof buf));
    CHECK(!ia_gguf_name_from_hf("llama", "model.layers.1234567.mlp.up_proj.weight", buf, 8)); /* too small */
}

IA_TEST(gguf_names_bert) {
    char buf[128];
    CHECK(ia_gguf_name_from_hf("bert", "encoder.layer.5.attention.output.LayerNorm.bias", buf, sizeof buf) &&
          strcmp(buf, "blk.5.attn_output_norm.bias") == 0);
    CHECK(ia_gguf_name_to_hf("bert", "blk.0.layer_output_norm.weight", buf, sizeof buf) &&
          strcmp(buf, "encoder.layer.0.output.LayerNorm.weight") == 0);
    CHECK(ia_gguf_name_to_hf("bert", "token_embd_norm.weight", buf, sizeof buf) &&
          strcmp(buf, "embeddings.LayerNorm.weight") == 0);
}

static char *write_gguf(const char *arch, int with_heads, int with_scaling) {
    static char path[256];
    ia_gguf_writer *w = NULL;
    float norm[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const int64_t shape[1] = {8};
    char key[64];
    snprintf(path, sizeof path, "/tmp/ia_test_gguf_config_%d.gguf", (int)getpid());
    if (ia_gguf_writer_create(&w) != IA_OK) return NULL;
    ia_gguf_writer_set_str(w, "general.architecture", arch);
#define KEY(k) (snprintf(key, sizeof key, "%s." k, arch), key)
    ia_gguf_writer_set_u32(w, KEY("block_count"), 2);
    ia_gguf_writer_set_u32(w, KEY("embedding_length"), 8);
    ia_gguf_writer_set_u32(w, KEY("feed_forward_length"), 16);
    if (with_heads) ia_gguf_writer_set_u32(w, KEY("attention.head_count"), 2);
    ia_gguf_writer_set_u32(w, KEY("attention.head_count_kv"), 1);
    ia_gguf_writer_set_f32(w, KEY("rope.freq_base"), 500000.0f);
    ia_gguf_writer_set_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    ia_gguf_writer_set_u32(w, KEY("context_length"), 64);
    ia_gguf_writer_set_u32(w, KEY("vocab_size"), 32);
    if (with_scaling) {
        ia_gguf_writer_set_str(w, KEY("rope.scaling.type"), "linear");
        ia_gguf_writer_set_f32(w, KEY("rope.scaling.factor"), 4.0f);
    }
#undef KEY
    ia_gguf_writer_add_tensor(w, "output_norm.weight", IA_GGML_F32, 1, shape, norm, sizeof norm);
    if (ia_gguf_writer_finish(w, path) != IA_OK) path[0] = '\0';
    ia_gguf_writer_free(w);
    return path[0] ? path : NULL;
}

static double num(const cJSON *c, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

IA_TEST(gguf_config_llama_keys) {
    char *path = write_gguf("llama", 1, 1);
    ia_gguf *f = NULL;
    cJSON *c = NULL;
    REQUIRE(path);
    CHECK_STATUS(ia_gguf_open(path, &f), IA_OK);
    CHECK_STATUS(ia_gguf_config_json(f, &c), IA_OK);
    if (c) {
        CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(c, "model_type")), "llama") == 0);
        CHECK(num(c, "num_hidden_layers") == 2 && num(c, "hidden_size") == 8 && num(c, "intermediate_size") == 16);
        CHECK(num(c, "num_attention_heads") == 2 && num(c, "num_key_value_heads") == 1);
        CHECK(num(c, "rope_theta") == 500000.0 && num(c, "max_position_embeddings") == 64 && num(c, "vocab_size") == 32);
        CHECK(fabs(num(c, "rms_norm_eps") - 1e-5) < 1e-10);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(c, "tie_word_embeddings"))); /* no output.weight */
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(c, "rope_interleaved")));
        CHECK(num(cJSON_GetObjectItem(c, "rope_scaling"), "factor") == 4.0);
    }
    cJSON_Delete(c);
    ia_gguf_free(f);
    unlink(path);
}

IA_TEST(gguf_config_refuses_missing_and_foreign) {
    char *path = write_gguf("llama", 0, 0);
    ia_gguf *f = NULL;
    cJSON *c = NULL;
    REQUIRE(path);
    CHECK_STATUS(ia_gguf_open(path, &f), IA_OK);
    CHECK_STATUS(ia_gguf_config_json(f, &c), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "llama.attention.head_count") != NULL);
    CHECK(c == NULL);
    ia_gguf_free(f);
    unlink(path);
    path = write_gguf("gpt2", 1, 0);
    REQUIRE(path);
    f = NULL;
    CHECK_STATUS(ia_gguf_open(path, &f), IA_OK);
    CHECK_STATUS(ia_gguf_config_json(f, &c), IA_ERR_UNSUPPORTED);
    CHECK(strstr(ia_last_error(), "\"gpt2\"") && strstr(ia_last_error(), "qwen2"));
    ia_gguf_free(f);
    unlink(path);
}
