/*
 * llm_options.c — parsing and help of the options `generate` and `chat`
 * share (see llm_options.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "llm_options.h"

void ia_llm_cli_init(ia_llm_cli *o, const char *cmd) {
    memset(o, 0, sizeof *o);
    o->model = IA_DEFAULT_LLM;
    IA_HARDWARE_PROFILE_INIT(&o->profile);
    o->profile.backend = "cpu";
    IA_SESSION_OPTIONS_INIT(&o->session);
    IA_SAMPLING_OPTIONS_INIT(&o->sampling);
    IA_GENERATE_OPTIONS_INIT(&o->gen);
    o->gen.sampling = &o->sampling;
    o->gen.stop = o->stop;
    (void)cmd;
}

void ia_llm_cli_usage(FILE *f) {
    fprintf(f,
            "model:\n"
            "  --model M          a GGUF file, a model directory, or a cached name\n"
            "                     (default " IA_DEFAULT_LLM ": SmolLM2-135M-Instruct Q4_1),\n"
            "                     or a CID of one in the block store (docs/store.md)\n"
            "  --device D         cpu (default) or auto\n"
            "  --threads N        worker threads (default: one per CPU)\n"
            "  --ctx N            context length in tokens (default: the model's, at most\n"
            "                     4096); the KV cache is allocated for all of it\n"
            "sampling (llama.cpp's chain and defaults):\n"
            "  --temp T           temperature (0.8); 0 = greedy\n"
            "  --top-k K          keep the K most likely tokens (40); 0 = all\n"
            "  --top-p P          keep the smallest set reaching probability P (0.95)\n"
            "  --min-p P          drop tokens below P x the most likely one (0.05)\n"
            "  --repeat-penalty R penalise tokens of the last --repeat-last-n (1.0 = off)\n"
            "  --repeat-last-n N  window of the penalties (64; -1 = everything)\n"
            "  --presence-penalty X, --frequency-penalty X   OpenAI's penalties (0)\n"
            "  --seed S           the same seed, prompt and options give the same text\n"
            "                     (default: random)\n"
            "stopping:\n"
            "  -n, --max-tokens N stop after N tokens (default 256; 0 = until EOS or the\n"
            "                     context is full)\n"
            "  --stop S           stop before text S (repeatable, up to 16)\n"
            "  --ignore-eos       keep going past end-of-generation tokens\n"
            "  --quiet            no timings on stderr\n");
}

static int parse_float(const char *opt, const char *val, float lo, float hi, float *out) {
    char *end;
    double v;
    if (!val) {
        fprintf(stderr, "ipfs-accelerate: %s needs a value\n", opt);
        return -1;
    }
    v = strtod(val, &end);
    if (*val == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "ipfs-accelerate: %s must be a number in [%g, %g], not '%s'\n", opt, lo, hi, val);
        return -1;
    }
    *out = (float)v;
    return 1;
}

int ia_llm_cli_parse(ia_llm_cli *o, int argc, char **argv, int *i) {
    const char *a = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    int v;
#define TAKE_INT(field, lo, hi)                                             \
    do {                                                                    \
        if ((v = ia_cli_parse_int(a, val, lo, hi)) < 0) return -1;          \
        field = v;                                                          \
        (*i)++;                                                             \
        return 1;                                                           \
    } while (0)
#define TAKE_FLOAT(field, lo, hi)                                           \
    do {                                                                    \
        if (parse_float(a, val, lo, hi, &field) < 0) return -1;             \
        (*i)++;                                                             \
        return 1;                                                           \
    } while (0)
    if (strcmp(a, "--model") == 0 || strcmp(a, "-m") == 0) {
        if (!val) return fprintf(stderr, "ipfs-accelerate: %s needs a value\n", a), -1;
        o->model = val;
        (*i)++;
        return 1;
    }
    if (strcmp(a, "--device") == 0) {
        if (!val) return fprintf(stderr, "ipfs-accelerate: --device needs a value\n"), -1;
        o->profile.backend = val;
        (*i)++;
        return 1;
    }
    if (strcmp(a, "--threads") == 0) TAKE_INT(o->profile.threads, 1, 1024);
    if (strcmp(a, "--ctx") == 0) TAKE_INT(o->session.n_ctx, 1, 1 << 22);
    if (strcmp(a, "--temp") == 0) TAKE_FLOAT(o->sampling.temperature, 0.0f, 100.0f);
    if (strcmp(a, "--top-k") == 0) TAKE_INT(o->sampling.top_k, 0, 1 << 30);
    if (strcmp(a, "--top-p") == 0) TAKE_FLOAT(o->sampling.top_p, 1e-6f, 1.0f);
    if (strcmp(a, "--min-p") == 0) TAKE_FLOAT(o->sampling.min_p, 0.0f, 1.0f);
    if (strcmp(a, "--repeat-penalty") == 0) TAKE_FLOAT(o->sampling.repeat_penalty, 1e-3f, 100.0f);
    if (strcmp(a, "--presence-penalty") == 0) TAKE_FLOAT(o->sampling.presence_penalty, -100.0f, 100.0f);
    if (strcmp(a, "--frequency-penalty") == 0) TAKE_FLOAT(o->sampling.frequency_penalty, -100.0f, 100.0f);
    if (strcmp(a, "--repeat-last-n") == 0) {
        if (val && strcmp(val, "-1") == 0) {
            o->sampling.penalty_last_n = -1;
            (*i)++;
            return 1;
        }
        TAKE_INT(o->sampling.penalty_last_n, 0, 1 << 22);
    }
    if (strcmp(a, "--seed") == 0) {
        char *end;
        unsigned long long s;
        if (!val || !*val || (s = strtoull(val, &end, 10), *end) || val[0] == '-')
            return fprintf(stderr, "ipfs-accelerate: --seed must be a non-negative integer\n"), -1;
        o->sampling.seed = (uint64_t)s;
        (*i)++;
        return 1;
    }
    if (strcmp(a, "--max-tokens") == 0 || strcmp(a, "-n") == 0) TAKE_INT(o->gen.max_tokens, 0, 1 << 22);
    if (strcmp(a, "--stop") == 0) {
        if (!val || !*val) return fprintf(stderr, "ipfs-accelerate: --stop needs a non-empty string\n"), -1;
        if (o->gen.n_stop == IA_LLM_MAX_STOP)
            return fprintf(stderr, "ipfs-accelerate: at most %d --stop strings\n", IA_LLM_MAX_STOP), -1;
        o->stop[o->gen.n_stop++] = val;
        (*i)++;
        return 1;
    }
    if (strcmp(a, "--ignore-eos") == 0) return o->gen.ignore_eos = 1, 1;
    if (strcmp(a, "--quiet") == 0) return o->quiet = 1, 1;
#undef TAKE_INT
#undef TAKE_FLOAT
    return 0;
}

int ia_llm_cli_open(ia_llm_cli *o, const char *cmd, ia_model **m, ia_session **s) {
    char what[64];
    snprintf(what, sizeof what, "%s", cmd);
    *m = NULL;
    *s = NULL;
    if (ia_model_open_profile(o->model, &o->profile, m) != IA_OK) return ia_cli_fail(what);
    if (ia_session_create(*m, &o->session, s) != IA_OK) {
        ia_model_free(*m);
        *m = NULL;
        return ia_cli_fail(what);
    }
    return 0;
}

void ia_llm_cli_timings(const ia_llm_cli *o, const ia_session *s, const ia_generate_result *r) {
    int fresh = r->prompt_tokens - r->cached_tokens;
    int after_first = r->generated_tokens > 1 ? r->generated_tokens - 1 : 0;
    if (o->quiet) return;
    fprintf(stderr, "\n[prompt %d tokens", r->prompt_tokens);
    if (r->cached_tokens) fprintf(stderr, " (%d cached)", r->cached_tokens);
    if (fresh > 0 && r->prompt_ms > 0) fprintf(stderr, " %.1f tok/s", 1000.0 * fresh / r->prompt_ms);
    fprintf(stderr, " | %d generated", r->generated_tokens);
    if (after_first && r->generate_ms > 0) fprintf(stderr, " %.1f tok/s", 1000.0 * after_first / r->generate_ms);
    fprintf(stderr, " | first token %.0f ms | KV cache %.1f MiB for %d tokens | %s]\n", r->first_token_ms,
            (double)ia_session_cache_bytes(s) / (1 << 20), ia_session_context(s), r->finish_reason);
}
