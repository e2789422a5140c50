/*
 * llm_options.h — the options `generate` and `chat` share: the model and
 * its profile, the session's context, the sampling chain, the stopping
 * rules; parsed in one place so both commands accept and document the
 * same flags.
 */
#ifndef IA_CLI_LLM_OPTIONS_H
#define IA_CLI_LLM_OPTIONS_H

#include <stdio.h>

#include "ipfs_accelerate.h"

#define IA_DEFAULT_LLM "smollm2"
#define IA_LLM_MAX_STOP 16

typedef struct ia_llm_cli {
    const char *model;
    ia_hardware_profile profile;
    ia_session_options session;
    ia_sampling_options sampling;
    ia_generate_options gen;
    const char *stop[IA_LLM_MAX_STOP];
    const char *system;     /* chat: system message */
    int quiet;              /* no timings on stderr */
} ia_llm_cli;

/* Defaults (for cmd: "generate" or "chat"). */
void ia_llm_cli_init(ia_llm_cli *o, const char *cmd);

/* Consumes argv[*i] (and its value) when it is a shared option: 1 when
 * taken, 0 when not one of them, -1 after reporting a bad value. */
int ia_llm_cli_parse(ia_llm_cli *o, int argc, char **argv, int *i);

/* The help text of the shared options. */
void ia_llm_cli_usage(FILE *f);

/* Opens the model and a session as the options say (errors reported). */
int ia_llm_cli_open(ia_llm_cli *o, const char *cmd, ia_model **m, ia_session **s);

/* "prompt 12 tokens (3 cached) 410.2 tok/s · 64 generated 48.1 tok/s ·
 * first token 31 ms · KV cache 12.0 MiB · stop" on stderr. */
void ia_llm_cli_timings(const ia_llm_cli *o, const ia_session *s, const ia_generate_result *r);

#endif
