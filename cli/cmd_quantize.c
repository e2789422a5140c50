/*
 * cmd_quantize.c — `ipfs-accelerate quantize`: an fp32 encoder directory in,
 * an 8, 4 or 2-bit model directory (model.gguf) out; or (--type) a GGUF
 * decoder in, a GGUF of ggml types out as llama-quantize makes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "ipfs_accelerate.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate quantize --type T --out FILE.gguf|DIR [--model M]\n"
            "       ipfs-accelerate quantize --bits 8|4|2 --out DIR [options]\n"
            "\n"
            "--type: a llama or qwen2 GGUF decoder (a .gguf file, a directory holding\n"
            "model.gguf, or a cached name) into one GGUF of ggml types, as llama-quantize\n"
            "makes it: the same type per tensor, the same bytes (ggml's reference\n"
            "quantisers, no importance matrix), the source's metadata (tokenizer, chat\n"
            "template) with general.file_type set. llama.cpp and `generate --model` read\n"
            "the result. Tensors are dequantised to f32 first, so any GGUF type is a\n"
            "valid source. T is one of:\n"
            "  q8_0 q4_0 q4_1 q5_0 q5_1  llama-quantize's Q8_0 .. Q5_1: every matrix that\n"
            "                    type; output.weight (or a tied token_embd) Q6_K, or Q8_0\n"
            "                    when its rows are not whole 256-blocks\n"
            "  q4_k_m            llama-quantize's Q4_K_M: Q4_K, with Q6_K for output and\n"
            "                    for attn_v / ffn_down of the first and last eighth of the\n"
            "                    layers and every third between\n"
            "  q2_k q3_k q4_k q5_k q6_k  that k-quant for every matrix (llama-quantize\n"
            "                    --pure with Q2_K, Q3_K_S, Q4_K_S, Q5_K_S, Q6_K)\n"
            "Rows that are not whole blocks of 256 fall back as llama.cpp does: Q4_K to\n"
            "Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, Q2_K/Q3_K to Q4_0. --out FILE.gguf writes\n"
            "that file; --out DIR writes DIR/model.gguf. Hugging Face safetensors are\n"
            "not read by --type yet (convert_hf_to_gguf.py first).\n"
            "\n"
            "--bits: an fp32 encoder (BERT family) directory into DIR/model.gguf (plus the\n"
            "config and tokenizer files), which `embed --model DIR` and `eval` load.\n"
            "Layers whose settings equal a ggml type are stored as that type (q8_0:\n"
            "8 bits symmetric group 32; q4_0 / q4_1: 4 bits symmetric / asymmetric\n"
            "group 32); the word embedding table is stored as q8_0 unless excluded.\n"
            "\n"
            "options:\n"
            "  --model M         the model: a directory, a .gguf file (--type) or a cached\n"
            "                    name (default " IA_DEFAULT_MODEL ")\n"
            "  --type T          ggml recipe for a GGUF decoder (above)\n"
            "  --bits B          8, 4 or 2 (encoders; required without --type)\n"
            "  --out PATH        output: DIR, created if needed, or FILE.gguf with --type\n"
            "                    (required)\n"
            "  --group N|channel weights per scale, a multiple of 32 (activations are\n"
            "                    quantised in the same groups), or one scale per output\n"
            "                    channel (default: 128 at 8 bits, 32 below)\n"
            "  --scheme S        sym or asym (a minimum per group); default sym at 8 and\n"
            "                    4 bits, asym at 2\n"
            "  --exclude PAT     keep tensors matching PAT at full precision (substring,\n"
            "                    or glob with * ? [); repeatable\n"
            "  --calibration F   calibration texts, one per line, instead of the built-in\n"
            "                    ones: input statistics weight the scale search, and mixed\n"
            "                    precision measures on them (default at 2 bits: 64\n"
            "                    built-in general English sentences; none at 8 and 4)\n"
            "  --no-calibration  no calibration texts\n"
            "  --mixed-precision measure each layer's sensitivity; keep the most sensitive\n"
            "                    one step higher (2->4->8->fp32) within bits+1 bits/weight\n"
            "                    (default at 2 bits)\n"
            "  --no-mixed-precision  every layer at --bits\n"
            "  --no-clip-search  plain min/max scales (ggml's reference quantisers)\n"
            "  --threads N       worker threads (default: one per CPU)\n"
            "  --json            print the full report as JSON\n"
            "  -h, --help        this help\n"
            "(--group, --scheme, --exclude and the calibration, mixed-precision and\n"
            "clip-search switches are for --bits only.)\n"
            "\n"
            "The defaults are the settings measured best at each width on STS-B dev\n"
            "(all-MiniLM-L6-v2, Spearman loss vs fp32; docs/quantization.md):\n"
            "  --bits 8   sym, groups of 128                 -0.01 %%  24.9 MB\n"
            "  --bits 4   sym, groups of 32 (q4_0)           -0.02 %%  19.9 MB\n"
            "  --bits 2   asym, mixed precision, built-in     0.53 %%  19.3 MB\n"
            "             calibration (3 bits/weight average)\n"
            "  --bits 2 --no-mixed-precision (2 bits/weight)  1.15 %%  18.0 MB\n"
            "  --bits 2 --scheme sym --no-mixed-precision --no-calibration\n"
            "                                                 3.67 %%  18.6 MB\n");
}

static void on_progress(void *ctx, int done, int total, const char *what) {
    (void)ctx;
    if (isatty(2)) fprintf(stderr, "\r\033[K%s %d/%d", what, done + 1, total);
}

static void print_llm_report(cJSON *r) {
    cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(r, "tensors")) {
        printf("%-36s %-5s -> %s\n", cJSON_GetObjectItem(t, "name")->valuestring,
               cJSON_GetObjectItem(t, "source_type")->valuestring, cJSON_GetObjectItem(t, "type")->valuestring);
    }
    printf("%s (file_type %d): %.0f bytes, %.2f bits per matrix weight\n", cJSON_GetObjectItem(r, "output")->valuestring,
           cJSON_GetObjectItem(r, "file_type")->valueint, cJSON_GetObjectItem(r, "file_bytes")->valuedouble,
           cJSON_GetObjectItem(r, "matrix_bits_per_weight")->valuedouble);
}

static void print_report(const char *json) {
    cJSON *r = cJSON_Parse(json), *layers, *l;
    if (!r) {
        puts(json);
        return;
    }
    if (cJSON_GetObjectItem(r, "file_type")) {
        print_llm_report(r);
        cJSON_Delete(r);
        return;
    }
    layers = cJSON_GetObjectItem(r, "layers");
    printf("%-48s %4s %6s %-10s %10s %11s\n", "layer", "bits", "group", "format", "rel_error", "sensitivity");
    cJSON_ArrayForEach(l, layers) {
        cJSON *g = cJSON_GetObjectItem(l, "group"), *e = cJSON_GetObjectItem(l, "rel_error"),
              *s = cJSON_GetObjectItem(l, "sensitivity");
        char gs[16] = "-", es[24] = "-", ss[24] = "-";
        if (g) snprintf(gs, sizeof gs, "%d", g->valueint);
        if (e) snprintf(es, sizeof es, "%.2e", e->valuedouble);
        if (s) snprintf(ss, sizeof ss, "%.2e", s->valuedouble);
        printf("%-48s %4d %6s %-10s %10s %11s\n", cJSON_GetObjectItem(l, "name")->valuestring,
               cJSON_GetObjectItem(l, "bits")->valueint, gs, cJSON_GetObjectItem(l, "format")->valuestring, es, ss);
    }
    printf("embeddings: %s\n", cJSON_GetObjectItem(r, "embeddings")->valuestring);
    printf("linear weights: %.2f bits per weight (%.2f stored, scales included)\n",
           cJSON_GetObjectItem(r, "linear_bits_per_weight")->valuedouble,
           cJSON_GetObjectItem(r, "linear_stored_bits_per_weight")->valuedouble);
    printf("model.gguf: %.0f bytes\n", cJSON_GetObjectItem(r, "file_bytes")->valuedouble);
    if (cJSON_GetObjectItem(r, "mean_cosine_to_fp32"))
        printf("mean cosine to fp32 on %d texts: %.6f\n", cJSON_GetObjectItem(r, "drift_texts")->valueint,
               cJSON_GetObjectItem(r, "mean_cosine_to_fp32")->valuedouble);
    cJSON_Delete(r);
}

int ia_cmd_quantize(int argc, char **argv) {
    ia_quant_config cfg;
    const char *model = IA_DEFAULT_MODEL, *out = NULL, *calib = NULL;
    const char **excl = NULL;
    char **texts = NULL, *report = NULL;
    size_t n_excl = 0, n_texts = 0;
    /* Options as given (-1: not given), applied over the defaults of the
     * width once --bits is known. */
    int json = 0, rc = 1, bits = 0, scheme = -1, mixed = -1, no_calib = 0, clip = -1, group = 0, threads = 0;
    const char *type = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(excl);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--mixed-precision") == 0) {
            mixed = 1;
        } else if (strcmp(a, "--no-mixed-precision") == 0) {
            mixed = 0;
        } else if (strcmp(a, "--no-calibration") == 0) {
            no_calib = 1;
        } else if (strcmp(a, "--no-clip-search") == 0) {
            clip = 0;
        } else if (!val) {
            fprintf(stderr, "ipfs-accelerate: quantize: %s needs a value (or is unknown; see --help)\n", a);
            goto bad_usage;
        } else if (strcmp(a, "--model") == 0) {
            model = val, i++;
        } else if (strcmp(a, "--type") == 0) {
            type = val, i++;
        } else if (strcmp(a, "--out") == 0) {
            out = val, i++;
        } else if (strcmp(a, "--calibration") == 0) {
            calib = val, i++;
        } else if (strcmp(a, "--bits") == 0) {
            if ((bits = ia_cli_parse_int("--bits", val, 2, 8)) < 0) goto bad_usage;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if ((threads = ia_cli_parse_int("--threads", val, 0, 1024)) < 0) goto bad_usage;
            i++;
        } else if (strcmp(a, "--group") == 0) {
            if (strcmp(val, "channel") == 0) group = -1;
            else if ((group = ia_cli_parse_int("--group", val, 32, 1 << 20)) < 0) goto bad_usage;
            i++;
        } else if (strcmp(a, "--scheme") == 0) {
            if (strcmp(val, "sym") == 0 || strcmp(val, "symmetric") == 0) scheme = 0;
            else if (strcmp(val, "asym") == 0 || strcmp(val, "asymmetric") == 0) scheme = 1;
            else {
                fprintf(stderr, "ipfs-accelerate: quantize: --scheme must be sym or asym, not '%s'\n", val);
                goto bad_usage;
            }
            i++;
        } else if (strcmp(a, "--exclude") == 0) {
            const char **e = realloc(excl, (n_excl + 1) * sizeof *e);
            if (!e) goto done;
            excl = e;
            excl[n_excl++] = val;
            i++;
        } else {
            fprintf(stderr, "ipfs-accelerate: quantize: unknown option %s (see --help)\n", a);
            goto bad_usage;
        }
    }
    IA_QUANT_CONFIG_INIT(&cfg, bits);
    cfg.type = type;
    cfg.threads = threads;
    cfg.group = group;
    if (scheme >= 0) cfg.asymmetric = scheme;
    if (mixed >= 0) cfg.mixed_precision = mixed;
    if (clip >= 0) cfg.clip_search = clip;
    if (calib && no_calib) {
        fprintf(stderr, "ipfs-accelerate: quantize: --calibration and --no-calibration exclude each other\n");
        goto bad_usage;
    }
    if (no_calib) cfg.calibration = NULL, cfg.n_calibration = 0;
    if (cfg.type && cfg.bits) {
        fprintf(stderr, "ipfs-accelerate: quantize: --type and --bits exclude each other\n");
        goto bad_usage;
    }
    if (cfg.type && (n_excl || calib || no_calib || mixed >= 0 || clip >= 0 || group || scheme >= 0)) {
        fprintf(stderr, "ipfs-accelerate: quantize: --type takes only --model, --out, --threads and --json\n");
        goto bad_usage;
    }
    if (cfg.type && !strcmp(model, IA_DEFAULT_MODEL)) {
        fprintf(stderr, "ipfs-accelerate: quantize: --type needs --model (a GGUF decoder)\n");
        goto bad_usage;
    }
    if (!cfg.type && cfg.bits != 8 && cfg.bits != 4 && cfg.bits != 2) {
        fprintf(stderr, "ipfs-accelerate: quantize: --bits 8, 4 or 2 (or --type) is required\n");
        goto bad_usage;
    }
    if (!out) {
        fprintf(stderr, "ipfs-accelerate: quantize: --out DIR is required\n");
        goto bad_usage;
    }
    if (calib) {
        if (ia_cli_read_lines("quantize", calib, &texts, &n_texts)) goto done;
        if (n_texts == 0) {
            fprintf(stderr, "ipfs-accelerate: quantize: %s has no calibration texts\n", calib);
            goto bad_usage;
        }
    }
    cfg.exclusions = excl;
    cfg.n_exclusions = n_excl;
    if (calib) {
        cfg.calibration = (const char *const *)texts;
        cfg.n_calibration = n_texts;
    }
    if (ia_quantize_model(model, &cfg, out, on_progress, NULL, &report) != IA_OK) {
        if (isatty(2)) fputc('\n', stderr);
        rc = ia_cli_fail("quantize");
        goto done;
    }
    if (isatty(2)) fputc('\n', stderr);
    if (json) puts(report);
    else print_report(report);
    rc = 0;
    goto done;
bad_usage:
    rc = 2;
done:
    ia_free(report);
    for (size_t i = 0; i < n_texts; i++) free(texts[i]);
    free(texts);
    free(excl);
    return rc;
}
