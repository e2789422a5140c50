/*
 * ipfs_accelerate.h — the one public C API of the ipfs_accelerate core.
 *
 * Conventions (see DESIGN.md):
 *   - every name has the ia_ prefix; handles are opaque pointers;
 *   - every fallible call returns ia_status; ia_last_error() gives the
 *     message of the last failure on the calling thread;
 *   - whoever creates frees, with the matching *_free(), which is NULL-safe;
 *   - memory the library hands out is freed by the library (ia_free()).
 */
#ifndef IPFS_ACCELERATE_H
#define IPFS_ACCELERATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define IA_API __declspec(dllexport)
#else
#define IA_API __attribute__((visibility("default")))
#endif

/* Status codes: one list, append-only (never renumber, never remove). */
#define IA_STATUS_MAP(X)                                                    \
    X(IA_OK, 0, "ok")                                                       \
    X(IA_ERR_INVALID_ARG, 1, "invalid argument")                            \
    X(IA_ERR_NOMEM, 2, "out of memory")                                     \
    X(IA_ERR_IO, 3, "i/o error")                                            \
    X(IA_ERR_FORMAT, 4, "malformed input file")                             \
    X(IA_ERR_NOT_FOUND, 5, "not found")                                     \
    X(IA_ERR_UNSUPPORTED, 6, "unsupported")                                 \
    X(IA_ERR_UNAVAILABLE, 7, "hardware or backend unavailable")             \
    X(IA_ERR_INTERNAL, 8, "internal error")

typedef enum ia_status {
#define IA_STATUS_ENUM(name, value, text) name = value,
    IA_STATUS_MAP(IA_STATUS_ENUM)
#undef IA_STATUS_ENUM
} ia_status;

/* Short constant text for a status code; never NULL. */
IA_API const char *ia_status_str(ia_status status);

/* Message of the last failing call on this thread ("" if none).
 * Borrowed; valid until the next failing call on this thread. */
IA_API const char *ia_last_error(void);

/* Library version, "MAJOR.MINOR.PATCH". */
IA_API const char *ia_version(void);

/* Frees memory that the library handed out with "caller frees with ia_free()". */
IA_API void ia_free(void *ptr);

/* ---------------------------------------------------------------- models */

/* Caller-filled structs open with struct_size = sizeof as the caller was
 * compiled; fill them with their IA_*_INIT macro (which passes that size),
 * then set what you need. The library reads only the fields that size
 * covers, so structs grow at the end without breaking older callers. */

typedef struct ia_model ia_model;

typedef struct ia_model_options {
    size_t struct_size;
    int threads;        /* worker threads; 0 = all the process may use     */
    const char *device; /* "cpu", "ref", "auto" or NULL (= "auto": see ia_select_device) */
} ia_model_options;

/* Defaults: threads = 0 (all), device = "cpu". */
IA_API void ia_model_options_init(ia_model_options *o, size_t struct_size);
#define IA_MODEL_OPTIONS_INIT(o) ia_model_options_init((o), sizeof *(o))

/* Resolves a model reference to a directory: an existing directory path is
 * used as is; otherwise `ref` is a cached name looked up under $IA_MODEL_DIR
 * (default ~/.cache/ipfs_accelerate/models/<name>). A CID ("Qm...",
 * "bafy...", "/ipfs/<cid>", "ipfs://<cid>") names a model in the block
 * store (ia_blockstore_default_dir): its DAG is verified block by block
 * and materialised once, as $IA_MODEL_DIR/by-cid/<cidv1>/ (a directory)
 * or by-cid/<cidv1>.gguf (a file starting "GGUF"); a missing block is
 * IA_ERR_NOT_FOUND naming it and how to get it (car import, add).
 * Writes a NUL-terminated path into buf (capacity cap). */
IA_API ia_status ia_model_resolve(const char *ref, char *buf, size_t cap);

/* Opens a model directory: config.json plus model.safetensors (Hugging
 * Face) or model.gguf (what `ipfs-accelerate quantize` writes), and
 * tokenizer.json when the family reads text (for sentence-transformers
 * also modules.json + the pooling config). Weights are memory-mapped and
 * used in place. A model is shared: any number of sessions
 * (ia_session_create) run on it at once.
 * On success *out owns the model; free with ia_model_free() after its
 * sessions. */
IA_API ia_status ia_model_open(const char *ref, const ia_model_options *opts,
                               ia_model **out);

/* NULL-safe. */
IA_API void ia_model_free(ia_model *model);

/* Embedding width (e.g. 384 for all-MiniLM-L6-v2); the hidden size for
 * other families. */
IA_API int ia_model_dim(const ia_model *model);

/* Model name (directory base name). Borrowed; valid until ia_model_free(). */
IA_API const char *ia_model_name(const ia_model *model);

/* The family that runs it ("bert", "llama"). Borrowed constant. */
IA_API const char *ia_model_family(const ia_model *model);

/* Device the model runs on ("cpu"). Borrowed; valid until ia_model_free(). */
IA_API const char *ia_model_device(const ia_model *model);

/* Name of the kernel variant the CPU dispatcher chose ("avx512", "avx2",
 * "generic"). Borrowed constant. */
IA_API const char *ia_model_kernel(const ia_model *model);

/* Threads the model's sessions run with. */
IA_API int ia_model_threads(const ia_model *model);

/* Maximum tokens per text (longer texts are truncated); for decoders the
 * context length. */
IA_API int ia_model_max_tokens(const ia_model *model);

/* Vocabulary size (rows of the logits of a decoder). */
IA_API int ia_model_vocab_size(const ia_model *model);

/* Tokens the model's tokenizer makes of text (UTF-8), special tokens
 * included, before any truncation to ia_model_max_tokens(): what a server
 * checks inputs against and counts as usage. IA_ERR_UNSUPPORTED for a
 * model without a tokenizer. */
IA_API ia_status ia_model_count_tokens(const ia_model *model, const char *text, size_t *n_tokens);

/* Embeds n texts (UTF-8, NUL-terminated) and writes n * ia_model_dim()
 * floats, row-major, into out. Texts are pooled and normalised as the
 * model's sentence-transformers config says. Uses the model's own
 * session: not thread-safe on one model; threads that embed at once each
 * use a session (ia_session_embed). */
IA_API ia_status ia_model_embed(ia_model *model, const char *const *texts,
                                size_t n, float *out);

/* -------------------------------------------------------------- sessions */

/* A session holds what one request needs — the KV cache of a decoder, the
 * scratch and activations of every run, the executors — while the model's
 * weights are shared. One session is used by one thread at a time;
 * sessions of one model run in parallel. */
typedef struct ia_session ia_session;

typedef struct ia_session_options {
    size_t struct_size;
    int n_ctx;          /* decoder context in tokens; 0 = the model's maximum,
                           at most 4096 */
    int threads;        /* 0 = the model's */
    const char *fallback; /* executor for ops the device lacks; NULL = "ref" */
} ia_session_options;

IA_API void ia_session_options_init(ia_session_options *o, size_t struct_size);
#define IA_SESSION_OPTIONS_INIT(o) ia_session_options_init((o), sizeof *(o))

/* opts may be NULL (defaults). Free with ia_session_free() before the
 * model. */
IA_API ia_status ia_session_create(ia_model *model, const ia_session_options *opts, ia_session **out);
IA_API void ia_session_free(ia_session *s); /* NULL-safe */

/* ia_model_embed on this session. */
IA_API ia_status ia_session_embed(ia_session *s, const char *const *texts, size_t n, float *out);

/* Decoders: appends n tokens to the session's sequence (the KV cache
 * grows by n; a prompt goes in one call) and writes the logits that
 * follow the last of them, ia_model_vocab_size() floats, into logits.
 * IA_ERR_INVALID_ARG when the context would overflow (nothing changes). */
IA_API ia_status ia_session_decode(ia_session *s, const int32_t *tokens, size_t n, float *logits);

/* Decoders, several sequences in one step (batched serving): session i
 * appends tokens[i] to its own sequence, and its next-token logits go to
 * logits + i * ia_model_vocab_size() (n rows). The sessions must be
 * distinct, of the same model and device, each with room for one more
 * token; the step runs as one graph on sessions[0]'s threads, so the
 * weights are read once for all n sequences instead of n times. On an
 * error no session changes. */
IA_API ia_status ia_session_decode_batch(ia_session *const *sessions, const int32_t *tokens, size_t n,
                                         float *logits);

/* Tokens in the session's sequence so far. */
IA_API int ia_session_position(const ia_session *s);

/* Forgets the sequence (the KV cache is reused). */
IA_API void ia_session_reset(ia_session *s);

/* Named tensors in caller memory, for ia_session_run. */
typedef enum ia_io_dtype { IA_IO_F32 = 0, IA_IO_I32 = 1 } ia_io_dtype;

typedef struct ia_io {
    const char *name;
    ia_io_dtype dtype;
    int ndim;
    int64_t shape[4];   /* outputs: written by the run */
    void *data;
    size_t capacity;    /* outputs: bytes at data */
} ia_io;

/* Runs one of the family's graphs on named inputs and fills the named
 * outputs the caller asks for (an output too small for its result is
 * IA_ERR_INVALID_ARG with the size it needs). Graphs:
 *   bert  "encoder": input_ids I32 [batch, seq], attention_mask I32
 *         [batch, seq] (optional; 1 = real token), token_type_ids (optional)
 *         → last_hidden_state F32 [batch, seq, hidden] (0 at masked
 *         positions), sentence_embedding F32 [batch, dim];
 *   llama "decoder": input_ids I32 [n] → logits F32 [n, vocab] (the
 *         session's KV cache advances by n). */
IA_API ia_status ia_session_run(ia_session *s, const char *graph, const ia_io *inputs, size_t n_inputs,
                                ia_io *outputs, size_t n_outputs);

/* ----------------------------------------------------------- generation */

/* The sampling chain, in llama.cpp's order: penalties over the last
 * penalty_last_n tokens (repetition as llama.cpp: a positive logit divided
 * by repeat_penalty, a negative one multiplied; then presence and
 * frequency subtracted, as OpenAI's API defines them) → top-k → top-p →
 * min-p → temperature → one draw from the rest. temperature 0 is greedy:
 * the highest logit after the penalties (the lowest id on a tie). */
typedef struct ia_sampling_options {
    size_t struct_size;
    float temperature;       /* 0.8; 0 = greedy */
    int top_k;               /* 40; 0 = the whole vocabulary */
    float top_p;             /* 0.95; 1 = off */
    float min_p;             /* 0.05; 0 = off */
    float repeat_penalty;    /* 1 = off */
    float presence_penalty;  /* 0 = off */
    float frequency_penalty; /* 0 = off */
    int penalty_last_n;      /* 64; -1 = the whole sequence */
    uint64_t seed;           /* IA_SEED_RANDOM (default) or any value: the same
                                seed, prompt and options give the same tokens */
} ia_sampling_options;

#define IA_SEED_RANDOM UINT64_MAX

IA_API void ia_sampling_options_init(ia_sampling_options *o, size_t struct_size);
#define IA_SAMPLING_OPTIONS_INIT(o) ia_sampling_options_init((o), sizeof *(o))

/* Called with each piece of generated text as soon as it is certain:
 * whole UTF-8 characters only, never a part of a stop string. token is the
 * id that completed the piece. Return nonzero to stop (finish reason
 * "cancelled"; the text so far is kept). */
typedef int (*ia_token_callback)(const char *piece, size_t len, int32_t token, void *user_data);

typedef struct ia_generate_options {
    size_t struct_size;
    int max_tokens;                /* 256; 0 = until EOS or the context is full */
    const char *const *stop;       /* stop strings (not part of the result) */
    size_t n_stop;
    int ignore_eos;                /* 0: end-of-generation tokens end the reply */
    int add_special;               /* 1: BOS/EOS as the tokenizer's metadata says */
    int parse_special;             /* 1: special tokens written in the prompt are tokens */
    const ia_sampling_options *sampling; /* NULL = defaults */
    ia_token_callback on_token;    /* NULL = none */
    void *user_data;
} ia_generate_options;

IA_API void ia_generate_options_init(ia_generate_options *o, size_t struct_size);
#define IA_GENERATE_OPTIONS_INIT(o) ia_generate_options_init((o), sizeof *(o))

typedef struct ia_generate_result {
    size_t struct_size;
    char *text;                 /* the generated text (ia_free) */
    int prompt_tokens;          /* tokens of the prompt */
    int cached_tokens;          /* of them, reused from the session's cache */
    int generated_tokens;
    double prompt_ms;           /* prefill of the tokens not cached */
    double generate_ms;         /* sampling + decoding after the first token */
    double first_token_ms;      /* from the call to the first token chosen */
    char finish_reason[16];     /* "stop" (EOS or a stop string), "length", "cancelled" */
} ia_generate_result;

IA_API void ia_generate_result_init(ia_generate_result *r, size_t struct_size);
#define IA_GENERATE_RESULT_INIT(r) ia_generate_result_init((r), sizeof *(r))

/* Generates a continuation of prompt (UTF-8) with a decoder model. The
 * session keeps the tokens of its sequence: the longest common prefix of
 * the new prompt with them is not computed again (a chat that resends its
 * history pays only for the new turn); the rest of the prompt is
 * prefilled, then tokens are sampled until EOS, a stop string,
 * max_tokens, the context's end or the callback's cancel. On success
 * result->text holds the reply (free with ia_free). */
IA_API ia_status ia_session_generate(ia_session *s, const char *prompt, const ia_generate_options *opts,
                                     ia_generate_result *result);

/* Generation one token at a time, for a server that decodes several
 * sequences together (continuous batching). ia_generation_start does what
 * ia_session_generate does before its first token (tokenize, reuse the
 * cached prefix, prefill); each ia_generation_step chooses one token for
 * every unfinished generation in the list (streaming it through its
 * on_token) and decodes the chosen tokens of all of them in one batched
 * step (ia_session_decode_batch; a lone sequence takes the path of
 * ia_session_generate, so the same seed gives the same tokens). The
 * generations of one step must use distinct sessions of one model and
 * device; finished ones in the list are skipped. The generation borrows
 * the session and the options' strings until ia_generation_end, which
 * fills result (NULL: discard), frees the generation and returns the
 * error that ended it, if any; ending an unfinished one cancels it
 * (finish reason "cancelled"). A step's error ends the generations that
 * were to be decoded in it. */
typedef struct ia_generation ia_generation;

IA_API ia_status ia_generation_start(ia_session *s, const char *prompt, const ia_generate_options *opts,
                                     ia_generation **out);
IA_API ia_status ia_generation_step(ia_generation *const *gens, size_t n);
IA_API int ia_generation_finished(const ia_generation *g); /* NULL counts as finished */
/* The text so far (not NUL-terminated past *len; stop strings cut). */
IA_API const char *ia_generation_text(const ia_generation *g, size_t *len);
IA_API ia_status ia_generation_end(ia_generation *g, ia_generate_result *result);

/* One turn of a conversation. */
typedef struct ia_chat_message {
    const char *role;    /* "system", "user", "assistant" */
    const char *content; /* UTF-8 */
} ia_chat_message;

/* Renders a conversation with the model's chat template (the GGUF's
 * tokenizer.chat_template, or tokenizer_config.json's chat_template) as
 * transformers' apply_chat_template(messages, tokenize=False,
 * add_generation_prompt=...) does. IA_ERR_UNSUPPORTED when the model has
 * no template; the template's own raise_exception() is IA_ERR_INVALID_ARG
 * with its message. *out: free with ia_free. */
IA_API ia_status ia_model_apply_chat_template(ia_model *model, const ia_chat_message *messages, size_t n,
                                              int add_generation_prompt, char **out);

/* Bytes the session's KV cache holds (0 for encoders). */
IA_API size_t ia_session_cache_bytes(const ia_session *s);

/* Context length of the session in tokens (0 for encoders). */
IA_API int ia_session_context(const ia_session *s);

/* ------------------------------------------------------------- hardware */

/* Measurement levels for ia_hw_report_json. */
#define IA_HW_NO_BENCH 0    /* detection only */
#define IA_HW_QUICK_BENCH 1 /* + quick measured figures (< 2 s) */
#define IA_HW_FULL_BENCH 2  /* + longer, steadier measurements */

/* Detects the hardware and writes a JSON report: {"machine_id",
 * "machine_id_basis", "cpu": {..., "flags": [...]}, "memory": {...},
 * "backends": [{"name", "available", "reason", "devices": [...], "gflops",
 * "gbps"}, ...]}. Every backend name the seed spec lists appears,
 * available or with the reason it is not; figures are measured (null when
 * not measured or not available), GFLOP/s through each device kind's own
 * executor. Accelerator probes run once per process and are reused.
 * threads: for the CPU measurements (0 = all). *json_out: caller frees
 * with ia_free(). */
IA_API ia_status ia_hw_report_json(int bench_level, int threads, char **json_out);

/* ---------------------------------------------------- hardware profiles */

typedef enum ia_precision {
    IA_PRECISION_FP32 = 0,
    IA_PRECISION_FP16,
    IA_PRECISION_BF16,
    IA_PRECISION_INT8,
    IA_PRECISION_INT4,
    IA_PRECISION_INT2,
} ia_precision;

/* What a model should run on and within which limits (the seed's
 * HardwareProfile). Enforced by ia_model_open_profile: a backend that is
 * absent, a precision the backend cannot run, or weights larger than the
 * memory limit are errors that say so, before anything is loaded. */
typedef struct ia_hardware_profile {
    size_t struct_size;
    const char *backend;        /* "cpu", "cuda", ... or "auto" (default) */
    int device_index;           /* for multi-device backends; 0 */
    ia_precision precision;     /* default fp32 */
    int64_t memory_limit_bytes; /* 0 = no limit */
    int threads;                /* 0 = one per CPU */
    int optimization_level;     /* 0 = portable kernels, 1 = at most AVX2,
                                   2 (default) and 3 = the best the CPU runs */
} ia_hardware_profile;

IA_API void ia_hardware_profile_init(ia_hardware_profile *p, size_t struct_size);
#define IA_HARDWARE_PROFILE_INIT(p) ia_hardware_profile_init((p), sizeof *(p))

/* "fp32", "fp16", "bf16", "int8", "int4", "int2" <-> ia_precision. */
IA_API ia_status ia_precision_parse(const char *name, ia_precision *out);
IA_API const char *ia_precision_name(ia_precision p);

/* Parses a size such as "4GB", "512MiB", "1.5G", "1000000" (bytes).
 * Decimal units (KB, MB, GB, TB) are powers of 1000, binary ones (KiB,
 * MiB, GiB, TiB; K, M, G, T) powers of 1024. */
IA_API ia_status ia_parse_memory_size(const char *text, int64_t *bytes);

/* Picks the device for a model: measured results first — rows of the
 * benchmark database (ia_benchmark_default_db: $IA_BENCH_DB, else
 * ~/.cache/ipfs_accelerate/benchmark_db.duckdb; never the working
 * directory) that measured this model (by content fingerprint, not by
 * name) on this machine (by machine id), ran, and did so on a device that
 * runs here now, nearest in batch size, highest items/s — otherwise a
 * heuristic over the device kinds that run here (never the ref oracle):
 * the weights file's size against each device's memory, and the batch.
 * Nothing is benchmarked. Writes the device name ("cpu", "cuda:1") and a
 * sentence saying which rule decided ("measured: ..." or "heuristic (rule:
 * ...)"). ia_model_open with device "auto" uses the heuristic alone. */
IA_API ia_status ia_select_device(const char *model_ref, const char *task, int batch,
                                  char *device, size_t device_cap, char *why, size_t why_cap);

/* Opens a model under a hardware profile (see ia_model_open). */
IA_API ia_status ia_model_open_profile(const char *ref, const ia_hardware_profile *profile,
                                       ia_model **out);

/* Bytes of the model's weights as stored (what a memory limit is compared
 * with). */
IA_API int64_t ia_model_weight_bytes(const ia_model *model);

/* Widths the model's linear layers run at: "fp32", "int8", "int4",
 * "int2+int4" (mixed), ... Borrowed; valid until ia_model_free(). */
IA_API const char *ia_model_precision(const ia_model *model);

/* How the model's device was chosen ("requested", or ia_select_device's
 * sentence). Borrowed; valid until ia_model_free(). */
IA_API const char *ia_model_device_reason(const ia_model *model);

/* Parameters of the model: the elements of the weights file's tensors that
 * hold weights (float or quantised; integer buffers such as BERT's
 * position_ids are not parameters), each counted at its logical shape, so
 * a quantised copy has its original's count. Tensors the family does not
 * run (a BERT pooler) count, as transformers' num_parameters() counts
 * them. 0 for NULL. */
IA_API int64_t ia_model_parameter_count(const ia_model *model);

/* -------------------------------------------------------- model manager */

/* The seed's ModelManager: loads models by name with automatic device
 * choice, keeps them, and moves them between backends. Loads of the same
 * model share one weights mapping. Not thread-safe; one per thread. */
typedef struct ia_model_manager ia_model_manager;

/* profile: defaults for every load (NULL = IA_HARDWARE_PROFILE_INIT's). */
IA_API ia_status ia_model_manager_create(const ia_hardware_profile *profile, ia_model_manager **out);
IA_API void ia_model_manager_free(ia_model_manager *mm); /* NULL-safe */

/* Loads `name` (directory or cached name) if it is not loaded yet.
 * *model (may be NULL): borrowed; valid until the manager is freed or the
 * model is switched. */
IA_API ia_status ia_model_manager_load(ia_model_manager *mm, const char *name, ia_model **model);

/* Embeds with a loaded model (loading it first if needed). */
IA_API ia_status ia_model_manager_embed(ia_model_manager *mm, const char *name, const char *const *texts,
                                        size_t n, float *out);

/* Reopens a loaded model on `backend` ("cpu", "cuda", "auto"). An absent
 * backend is IA_ERR_UNAVAILABLE with the reason, and the model stays
 * where it was. */
IA_API ia_status ia_model_manager_switch(ia_model_manager *mm, const char *name, const char *backend);

/* ---------------------------------------------------------------- worker */

/* The seed's Worker: init_hardware gives the hwtest map; init creates one
 * endpoint handler per model x device; endpoints of one model share its
 * weights mapping. Not thread-safe; one per thread. */
typedef struct ia_worker ia_worker;
typedef struct ia_endpoint ia_endpoint;

IA_API ia_status ia_worker_create(ia_worker **out);
IA_API void ia_worker_free(ia_worker *w); /* NULL-safe */

/* Detects the hardware: *hwtest_json = {"<backend>": {"available": bool,
 * "reason": "...", "devices": [...]}, ...} for every backend of the
 * hardware report. Caller frees with ia_free(). */
IA_API ia_status ia_worker_init_hardware(ia_worker *w, char **hwtest_json);

/* Creates endpoints for every model x device ("cpu", "cuda:0", ...;
 * NULL/0 devices = every available one). An absent device is
 * IA_ERR_UNAVAILABLE with the reason, and nothing is created.
 *
 * A device may also be a remote embedding server, "http://host:port[/prefix]"
 * or "https://...": the endpoint POSTs {url}/v1/embeddings (OpenAI's API:
 * {"model": <the model name as given>, "input": [...], "encoding_format":
 * "base64"}), or Text Embeddings Inference's {url}/embed {"inputs": [...]}
 * when the server answers 404 without an OpenAI error object; at most 32
 * texts a request. Creating it sends a one-text probe that learns the vector
 * width; a server that cannot be reached is IA_ERR_UNAVAILABLE, and every
 * message names the endpoint and the reason ("endpoint M on http://h:p:
 * connection refused after 5 tries", "http://h:p: HTTP 422: <the server's
 * message>"). "Authorization: Bearer" from $IA_REMOTE_API_KEY, else
 * $OPENAI_API_KEY; $IA_REMOTE_TIMEOUT_MS (120000; connecting: at most
 * 5000); 429, 503 and failures to connect are tried again, waiting 100 ms
 * doubling or the server's Retry-After (at most 10 s), $IA_REMOTE_RETRIES
 * times (4). The device is kept as given without its trailing slashes.
 * WebAssembly builds refuse such a device (IA_ERR_UNSUPPORTED).
 * docs/remote_endpoints.md has the details. */
IA_API ia_status ia_worker_init(ia_worker *w, const char *const *models, size_t n_models,
                                const char *const *devices, size_t n_devices);

/* The endpoint for model x device, or NULL. Borrowed; valid until
 * ia_worker_free(). */
IA_API ia_endpoint *ia_worker_endpoint(ia_worker *w, const char *model, const char *device);

/* Embeds n texts into out[n * ia_endpoint_dim(e)] (unit vectors, as
 * ia_model_embed). */
IA_API ia_status ia_endpoint_embed(ia_endpoint *e, const char *const *texts, size_t n, float *out);
/* The endpoint's model (borrowed), or NULL for a remote endpoint, which has
 * no local model: use ia_endpoint_dim and ia_endpoint_device for both. */
IA_API ia_model *ia_endpoint_model(ia_endpoint *e);
/* Width of the endpoint's vectors (a remote one's, as its probe measured);
 * 0 for NULL. */
IA_API int ia_endpoint_dim(ia_endpoint *e);
/* The endpoint's device in its canonical spelling: "cpu", "cuda:1", or the
 * remote URL without trailing slashes. Borrowed; NULL for NULL. */
IA_API const char *ia_endpoint_device(ia_endpoint *e);

/* The seed's get_optimal_hardware (see ia_select_device). */
IA_API ia_status ia_worker_optimal_hardware(ia_worker *w, const char *model, const char *task, int batch,
                                            char *device, size_t device_cap, char *why, size_t why_cap);

/* ------------------------------------------------------------ benchmarks */

/* What to benchmark (the seed's BenchmarkConfig). Every model x hardware
 * entry x batch x seq_len runs `iterations` timed passes after `warmup`.
 * The hardware entries are every backend name (its default profile), then
 * every profile; with neither, every device kind that runs here (not the
 * ref oracle). A profile is a description, checked when its rows run:
 * absent hardware, a precision the device cannot run and a model that is
 * not here are rows skipped with the reason; an int8/int4/int2 profile
 * quantises an fp32 model at load. Each row records the precision and
 * device that really ran. */
typedef struct ia_benchmark_config {
    size_t struct_size;
    const char *const *models;   size_t n_models;
    const char *const *backends; size_t n_backends;
    const int *batches;          size_t n_batches;
    const int *seq_lens;         size_t n_seq_lens;
    int iterations, warmup, threads;
    int store_iterations;        /* 1: keep every iteration's latency */
    /* appended in core v2 (read only when struct_size covers them): */
    const ia_hardware_profile *profiles; /* each filled by IA_HARDWARE_PROFILE_INIT;
                                            its threads 0 = `threads` above */
    size_t n_profiles;
    /* appended for text generation (benchmark schema v5): a model whose
     * family generates text (llama) is measured as llama-bench's pp/tg
     * instead of over batches x seq_lens — one row of kind "generate" per
     * hardware entry, each repetition an ia_session_generate call from an
     * empty cache on a prompt of exactly prompt_tokens tokens that
     * generates gen_tokens more (greedy, EOS ignored); the row holds the
     * median and stddev of prompt tokens/s, generated tokens/s and time to
     * first token, the context and the KV-cache bytes. */
    int prompt_tokens;           /* pp; default 512 */
    int gen_tokens;              /* tg; default 128 */
    int gen_iterations;          /* timed repetitions; default 5 */
    int gen_warmup;              /* untimed repetitions first; default 1 */
} ia_benchmark_config;

IA_API void ia_benchmark_config_init(ia_benchmark_config *c, size_t struct_size);
#define IA_BENCHMARK_CONFIG_INIT(c) ia_benchmark_config_init((c), sizeof *(c))

/* Progress: done of total configurations, `what` names the current one.
 * A text generation configuration also reports each of its repetitions
 * (done unchanged, `what` naming the repetition). */
typedef void (*ia_progress_fn)(void *ctx, int done, int total, const char *what);

/* The default benchmark database: $IA_BENCH_DB if set, else
 * ~/.cache/ipfs_accelerate/benchmark_db.duckdb (whose missing parent
 * directories this creates, so a write there succeeds). What the CLI and
 * the Python package default to, and what ia_select_device reads. */
IA_API ia_status ia_benchmark_default_db(char *buf, size_t cap);

/* Runs the matrix, stores it in the DuckDB database at db_path (created if
 * needed; NULL = do not store) and returns the run id and the result rows
 * as a JSON array (caller frees with ia_free()). Rows carry
 * model_fingerprint and machine_id (schema v4), kind ("embed" or
 * "generate") and the generation figures (schema v5). */
IA_API ia_status ia_benchmark_run(const ia_benchmark_config *cfg, const char *db_path, ia_progress_fn progress,
                                  void *ctx, int64_t *run_id, char **results_json);

/* Result rows of the database as JSON (filters may be NULL/0; metrics NULL
 * = all; group_by NULL or "model", "backend", "batch", "kind"). Rows of
 * both kinds come back: embedding ("kind":"embed") and text generation
 * ("kind":"generate", with prompt_tokens_per_s, gen_tokens_per_s, ttft_ms,
 * kv_cache_bytes, n_ctx, threads_used; schema v5). Caller frees. */
IA_API ia_status ia_benchmark_query(const char *db_path, const char *const *models, size_t n_models,
                                    const char *const *backends, size_t n_backends,
                                    const char *const *metrics, size_t n_metrics, const char *group_by,
                                    char **json);

/* Writes the result rows to path as "csv" or "json". */
IA_API ia_status ia_benchmark_export(const char *db_path, const char *path, const char *format);

/* Appends the result rows of a file that ia_benchmark_export or
 * `ipfs-accelerate results --format csv|json` wrote (path ends in .csv or
 * .json; JSON as an array of rows or one row per line) to the database at
 * db_path (created if needed). Each run of the file becomes a new run with
 * a fresh id, each row a result with a fresh id; start time, version,
 * commit, threads, status and every figure are kept, so exporting again
 * gives the same rows, ids aside. The whole file is checked first and
 * inserted in one transaction: a malformed file is IA_ERR_FORMAT naming the
 * line and the field, and nothing is written (not even a new database). */
IA_API ia_status ia_benchmark_import(const char *db_path, const char *path);

/* Writes a self-contained HTML report (inline SVG); compare = two run ids
 * to set side by side, or NULL. */
IA_API ia_status ia_benchmark_report(const char *db_path, const long long *compare, const char *out_path);

/* ---------------------------------------------------------- quantisation */

/* How to quantise a model (the seed's quantization_config). */
typedef struct ia_quant_config {
    size_t struct_size;
    int bits;                       /* 8, 4 or 2 */
    int asymmetric;                 /* 0: symmetric levels (default), 1: min/max per group */
    int group;                      /* weights (and activations) per scale, a multiple of 32;
                                       0 = default: 128 at 8 bits, 32 at 4 and 2 bits;
                                       -1 = one scale per output channel */
    int mixed_precision;            /* 1: measure each layer's sensitivity on the calibration
                                       texts and keep the most sensitive at a higher width,
                                       within an average of bits + 1 bits per weight */
    const char *const *exclusions;  /* tensor-name patterns kept at full precision: a
                                       substring, or a glob when it has * ? [ */
    size_t n_exclusions;
    const char *const *calibration; /* calibration texts (the seed's CalibrationDataset):
                                       input statistics weight the scale search; NULL = none */
    size_t n_calibration;
    int clip_search;                /* 1 (default): search each group's clipping range */
    int threads;                    /* 0 = all cores */
    const char *type;               /* NULL: the settings above (encoders). Else a ggml
                                       recipe for a llama / qwen2 GGUF decoder, as
                                       llama-quantize: "q8_0", "q4_0", "q4_1", "q5_0",
                                       "q5_1", "q4_k_m" (its mixture), "q2_k" .. "q6_k"
                                       (one k-quant throughout, as --pure); the other
                                       settings but threads are then ignored */
} ia_quant_config;

/* Defaults for `bits` (8, 4 or 2): the settings measured best at that
 * width on STS-B (docs/quantization.md). 8 and 4: symmetric, groups of 128
 * / 32, no calibration. 2: asymmetric, mixed precision, and built-in
 * calibration texts (static; replace or set n_calibration = 0). */
IA_API void ia_quant_config_init(ia_quant_config *c, size_t struct_size, int bits);
#define IA_QUANT_CONFIG_INIT(c, bits) ia_quant_config_init((c), sizeof *(c), (bits))

/* Quantises the model `model_ref` (a directory with model.safetensors) into
 * out_dir, or — with cfg->type — a GGUF decoder into one GGUF file with
 * llama.cpp's tensor names, types and metadata: out_dir is then that file
 * when it ends in ".gguf", else a directory that gets model.gguf.
 *
 * Without cfg->type: into
 * out_dir: model.gguf (q8_0 / q4_0 / q4_1 blocks where the settings equal a
 * ggml type, our packed codes otherwise; the settings as metadata) plus the
 * config and tokenizer files, so out_dir opens like any model. out_dir is
 * created if needed; an existing model.gguf is replaced only when the new
 * one is complete. report_json (may be NULL; caller frees with ia_free())
 * lists every tensor's width, group, error and measured sensitivity. */
IA_API ia_status ia_quantize_model(const char *model_ref, const ia_quant_config *cfg, const char *out_dir,
                                   ia_progress_fn progress, void *ctx, char **report_json);

/* The seed's benchmark_comparison: latency, memory and accuracy of a
 * reference model and its quantised variants, side by side. */
typedef struct ia_quant_compare_config {
    size_t struct_size;
    const char *reference;            /* the fp32 model */
    const char *const *variants;      /* quantised model directories */
    size_t n_variants;
    int batch, seq_len;               /* throughput measured at these (0: 32 and 128) */
    int iterations, warmup, threads;  /* 0: 10, 2, all cores */
    const char *stsb_csv;             /* STS-B pairs for accuracy (required) */
} ia_quant_compare_config;

IA_API void ia_quant_compare_config_init(ia_quant_compare_config *c, size_t struct_size);
#define IA_QUANT_COMPARE_CONFIG_INIT(c) ia_quant_compare_config_init((c), sizeof *(c))

/* Measures every model with the benchmark runner (one run; results rows
 * with the model's real precision), then embeds every STS-B sentence with
 * each model and records, per model, the Spearman x100 and — for the
 * variants — its relative loss against the reference and the mean and
 * minimum cosine of its embeddings to the reference's, as accuracy rows in
 * the DuckDB database at db_path (NULL: not stored). *json (caller frees):
 * one object per model with those figures and speedup = items/s over the
 * reference's. */
IA_API ia_status ia_quant_compare(const ia_quant_compare_config *cfg, const char *db_path, ia_progress_fn progress,
                                  void *ctx, int64_t *run_id, char **json);

/* ------------------------------------------------------------ evaluation */

/* STS Benchmark: Spearman correlation (in [-1, 1]) between the cosine of
 * each pair's embeddings and the gold score, over a CSV of
 * sentence1,sentence2,score rows (no header). *pairs gets the row count. */
IA_API ia_status ia_eval_stsb(ia_model *model, const char *csv_path, double *spearman, size_t *pairs);

/* --------------------------------------------------------------- server */

/* An HTTP server over models (src/serve/): Text Embeddings Inference's
 * routes (POST /embed, POST /v1/embeddings, GET /health, /info, /metrics)
 * for encoder models, OpenAI's (POST /v1/chat/completions, /v1/completions
 * with server-sent events when "stream" is true, GET /v1/models) for
 * decoders. Concurrent embedding requests are merged into batches;
 * generations of several requests are decoded together, one token of each
 * per step (ia_generation_step). docs/serving.md has the routes, their
 * JSON and their status codes. */
typedef struct ia_server ia_server;

typedef struct ia_server_options {
    size_t struct_size;
    const char *host;              /* "127.0.0.1" (loopback unless told) */
    int port;                      /* 8080; 0 = any free port (ia_server_port) */
    const char *const *models;     /* model references, as ia_model_open */
    size_t n_models;
    const ia_hardware_profile *profile; /* NULL = defaults */
    int max_batch_tokens;          /* 16384: tokens of one embedding batch */
    int max_batch_requests;        /* 0 = no limit: requests merged into one batch */
    int max_client_batch_size;     /* 32: inputs of one embedding request */
    int max_concurrent_requests;   /* 512: requests queued or running; more are 429 */
    int batch_wait_us;             /* 0: how long a batch waits to fill */
    size_t max_body_bytes;         /* 2 MB: larger bodies are 413 */
    int request_timeout_ms;        /* 60000: to receive a body and to wait in a queue */
    int parallel;                  /* 8: sequences a decoder model generates at once */
    int n_ctx;                     /* 2048: context of each of them */
    int max_connections;           /* 1024 */
    int quiet;                     /* 0: one line per request on stderr */
    int prompt_cache;              /* 0: each generation starts from an empty
                                      cache, so a seed gives what a fresh
                                      ia_session_generate gives; 1: a slot
                                      reuses the prefix it holds (faster
                                      multi-turn chats; the numbers of a
                                      split prefill differ slightly, and so
                                      may sampled tokens) */
    const char *gateway_dir;       /* NULL: no /ipfs/ routes; "" the default
                                      block store (ia_blockstore_default_dir);
                                      else that store's directory: GET
                                      /ipfs/{cid}?format=raw|car answered
                                      from it as a trustless gateway. With a
                                      gateway, n_models may be 0 */
} ia_server_options;

IA_API void ia_server_options_init(ia_server_options *o, size_t struct_size);
#define IA_SERVER_OPTIONS_INIT(o) ia_server_options_init((o), sizeof *(o))

/* Binds the address and starts answering at once (GET /health is 503
 * until every model is loaded); the models load on a thread of their own.
 * Fails when the address cannot be bound or an option is out of range. */
IA_API ia_status ia_server_start(const ia_server_options *opts, ia_server **out);

/* The port the server listens on (the one chosen when opts->port was 0). */
IA_API int ia_server_port(const ia_server *srv);

/* 1 once every model is loaded, -1 when one failed to load (the server
 * keeps answering /health with 503 and the reason), 0 while loading. */
IA_API int ia_server_ready(const ia_server *srv);

/* The load error when ia_server_ready() is -1 ("" otherwise). */
IA_API const char *ia_server_load_error(const ia_server *srv);

/* Stops accepting connections, lets the requests already received finish
 * (at most drain_ms; 0 = no limit), then frees everything. NULL-safe. */
IA_API void ia_server_shutdown(ia_server *srv, int drain_ms);

/* --------------------------------------------------------------- unixfs */

/* Content identifiers of files and directories exactly as kubo's
 * `ipfs add -r` computes them (src/store/): fixed-size chunks, a balanced
 * DAG of UnixFS dag-pb nodes, directories with their links sorted by name
 * and HAMT-sharded (murmur3-x64-64, fanout 256) once their estimated block
 * passes 256 KiB. Profiles are IPIP-0499's:
 *   "unixfs-v0-2015" (the default, = kubo's default `ipfs add`): CIDv0,
 *       262144-byte chunks, 174 links per node, leaves are dag-pb UnixFS
 *       File nodes, HAMT threshold estimated from link names + CIDs;
 *   "unixfs-v1-2025": CIDv1, raw leaves, 1 MiB chunks, 1024 links, HAMT
 *       threshold from the exact directory block size.
 * cid_version = 1 on the default profile is kubo's `--cid-version 1`
 * (raw leaves, otherwise kubo's defaults). Hidden entries (names starting
 * with '.') are skipped unless `hidden` is set, symlinks are stored as
 * UnixFS symlinks (not followed), empty directories are kept: as kubo.
 *
 * Files are read in chunk-sized pieces and hashed as they stream: memory is
 * one chunk plus one pending node per level of the file's DAG, whatever its
 * size. Every block is handed to on_block when set (a block store plugs in
 * there); with no on_block the blocks are only hashed (--only-hash). */

#define IA_CID_TEXT_MAX 160 /* any CID text this library writes, with its NUL */

/* Each file, symlink and directory as it is done, as `ipfs add -r` prints
 * them: files in walk order (names sorted by byte), then the directories,
 * children before parents, the root last. path is relative to the added
 * path's parent ("dir/sub/file", "dir"); size is the cumulative size of the
 * entry's DAG (kubo's Size). A status other than IA_OK stops the add and is
 * returned by it. */
typedef ia_status (*ia_unixfs_entry_fn)(void *ctx, const char *path, const char *cid, uint64_t size);

/* Every block (cid: its binary CID; block: its bytes), children before the
 * nodes that link to them. Both pointers are valid during the call only. */
typedef ia_status (*ia_unixfs_block_fn)(void *ctx, const uint8_t *cid, size_t cid_len, const uint8_t *block,
                                        size_t block_len);

/* Bytes of the current file read so far, out of total (after each chunk). */
typedef void (*ia_unixfs_progress_fn)(void *ctx, const char *path, uint64_t done, uint64_t total);

typedef struct ia_unixfs_options {
    size_t struct_size;
    const char *profile;        /* NULL = "unixfs-v0-2015"; or "unixfs-v1-2025" */
    int cid_version;            /* -1: the profile's; 0 or 1 */
    int raw_leaves;             /* -1: the profile's, and 1 whenever cid_version is 1 (kubo) */
    size_t chunk_size;          /* 0: the profile's (262144 or 1048576); 1..2096896 (kubo's limit) */
    int max_links;              /* 0: the profile's (174 or 1024); >= 2 */
    size_t hamt_threshold;      /* 0: 262144 (kubo's Import.UnixFSHAMTDirectorySizeThreshold) */
    int hidden;                 /* 1: include names starting with '.' (ipfs add --hidden) */
    ia_unixfs_entry_fn on_entry;
    void *entry_ctx;
    ia_unixfs_block_fn on_block; /* NULL: hash only */
    void *block_ctx;
    ia_unixfs_progress_fn on_progress;
    void *progress_ctx;
} ia_unixfs_options;

/* Defaults: the unixfs-v0-2015 profile, hash only, no callbacks. */
IA_API void ia_unixfs_options_init(ia_unixfs_options *o, size_t struct_size);
#define IA_UNIXFS_OPTIONS_INIT(o) ia_unixfs_options_init((o), sizeof *(o))

/* Adds the file, symlink or directory (recursively) at path; the root CID
 * goes to cid_out (cap bytes; IA_CID_TEXT_MAX always fits). opt NULL =
 * defaults. Errors: IA_ERR_NOT_FOUND / IA_ERR_IO naming the path,
 * IA_ERR_UNSUPPORTED for a device, socket or FIFO, IA_ERR_INVALID_ARG for
 * an unknown profile or an option out of range; or the status a callback
 * returned. Thread-safe: separate calls share nothing. */
IA_API ia_status ia_unixfs_add_path(const char *path, const ia_unixfs_options *opt, char *cid_out, size_t cap);

/* The CID of n bytes as one file (what `ipfs add` gives for them on stdin).
 * on_entry, if set, sees it with an empty path. */
IA_API ia_status ia_unixfs_add_bytes(const void *data, size_t n, const ia_unixfs_options *opt, char *cid_out,
                                     size_t cap);

/* The SHA-256 implementation the library runs: "sha-ni" (x86 SHA
 * extensions) or "portable". */
IA_API const char *ia_sha256_implementation(void);

/* ---------------------------------------------------------- block store */

/* The local block store (src/store/, docs/store.md): content-addressed
 * blocks as files named by their multihash, so a CIDv0 and a CIDv1 of the
 * same dag-pb block are one file (the codec lives in the CID a caller
 * reads with, not in the store). Layout: <dir>/<XX>/<KEY>.data, KEY the
 * base32 multihash (upper case, as kubo's flatfs names blocks), XX its
 * next-to-last two characters. Every block is hashed before it is kept: a
 * block whose bytes do not hash to its CID is refused, naming the CID.
 * Writes are atomic (a temporary file, fsync, rename), so a block file is
 * whole or absent. Only sha2-256 CIDs are stored (identity CIDs need no
 * store: their bytes are in the CID).
 *
 * A handle holds only the directory and the options: any thread may use
 * it, and several processes may share one directory. */
typedef struct ia_blockstore ia_blockstore;

typedef struct ia_blockstore_options {
    size_t struct_size;
    const char *dir;   /* NULL = ia_blockstore_default_dir() */
    int verify_on_get; /* 1 (default): every read block is hashed again and
                          refused when it no longer matches its CID */
    int fsync;         /* 1 (default): each block file is fsynced before it
                          is renamed into place; 0 for scratch stores */
} ia_blockstore_options;

IA_API void ia_blockstore_options_init(ia_blockstore_options *o, size_t struct_size);
#define IA_BLOCKSTORE_OPTIONS_INIT(o) ia_blockstore_options_init((o), sizeof *(o))

/* The default store directory: $IA_BLOCK_DIR; else "blocks" beside the
 * model cache ($IA_MODEL_DIR/../blocks); else
 * ~/.cache/ipfs_accelerate/blocks. */
IA_API ia_status ia_blockstore_default_dir(char *buf, size_t cap);

/* Opens (and creates, with its parents) the store directory. Free with
 * ia_blockstore_close(), NULL-safe. */
IA_API ia_status ia_blockstore_open(const ia_blockstore_options *o, ia_blockstore **out);
IA_API void ia_blockstore_close(ia_blockstore *bs);

/* The store's directory. Borrowed; valid until ia_blockstore_close(). */
IA_API const char *ia_blockstore_dir(const ia_blockstore *bs);

/* *has = 1 when the block of cid (text) is in the store. */
IA_API ia_status ia_blockstore_has(ia_blockstore *bs, const char *cid, int *has);

/* The block's bytes: *data (caller frees with ia_free()) and *n.
 * IA_ERR_NOT_FOUND naming the CID when it is not there; IA_ERR_FORMAT when
 * verify_on_get finds its bytes changed on disk. */
IA_API ia_status ia_blockstore_get(ia_blockstore *bs, const char *cid, uint8_t **data, size_t *n);

/* Stores data[0..n) as the block of cid (text) after hashing it:
 * IA_ERR_FORMAT naming the CID when the bytes do not hash to it. A block
 * already there is not written again. */
IA_API ia_status ia_blockstore_put(ia_blockstore *bs, const char *cid, const void *data, size_t n);

/* The same as an ia_unixfs_block_fn (ctx = the ia_blockstore *): set
 * ia_unixfs_options.on_block to it to store what an add imports. */
IA_API ia_status ia_blockstore_put_block(void *bs, const uint8_t *cid, size_t cid_len, const uint8_t *block,
                                         size_t n);

/* Reading a UnixFS DAG back from the store: files (dag-pb File nodes with
 * their blocksizes over raw or dag-pb leaves), directories, HAMT-sharded
 * directories and symlinks. Every block is hashed (whatever
 * verify_on_get says), every node checked against its parent (blocksizes,
 * file sizes, HAMT slots, unique names that are single path components),
 * and the walk refuses cycles and stops at the limits below, so a small
 * hostile DAG cannot expand into an unbounded tree. */
typedef struct ia_unixfs_get_options {
    size_t struct_size;
    uint64_t max_bytes;   /* file bytes written; 0 = the free space of the
                             destination's file system (cat: 1 TiB) */
    uint64_t max_entries; /* files, directories and symlinks; 0 = 1000000 */
    uint64_t max_blocks;  /* block reads; 0 = 16777216 */
    int max_depth;        /* nested directories plus file-DAG levels; 0 = 256 */
} ia_unixfs_get_options;

IA_API void ia_unixfs_get_options_init(ia_unixfs_get_options *o, size_t struct_size);
#define IA_UNIXFS_GET_OPTIONS_INIT(o) ia_unixfs_get_options_init((o), sizeof *(o))

/* Materialises the DAG of cid (text) at dest, which must not exist: built
 * in a temporary name beside dest (its parents are created), files
 * fsynced, then renamed to dest, so dest appears whole or not at all; on
 * any failure nothing is left behind. A block that is not in the store is
 * IA_ERR_NOT_FOUND naming its CID. o NULL = defaults. */
IA_API ia_status ia_unixfs_get(ia_blockstore *bs, const char *cid, const char *dest,
                               const ia_unixfs_get_options *o);

/* Receives bytes in order; a status other than IA_OK stops the caller. */
typedef ia_status (*ia_write_fn)(void *ctx, const void *data, size_t n);

/* The bytes of the file cid (text) through fn, as they are verified
 * (IA_ERR_INVALID_ARG when it is a directory or symlink). A failure part
 * way leaves what was already written with fn. */
IA_API ia_status ia_unixfs_cat(ia_blockstore *bs, const char *cid, const ia_unixfs_get_options *o, ia_write_fn fn,
                               void *ctx);

/* CAR v1 (docs/store.md). Export writes the header (root = cid, as
 * written) and every block of the DAG under cid once, in kubo's order
 * (`ipfs dag export`: depth first, a node before its children, links in
 * order, a block already written skipped), each block verified as it is
 * read. A missing block is IA_ERR_NOT_FOUND naming it, after the sections
 * before it were written. */
IA_API ia_status ia_car_export(ia_blockstore *bs, const char *cid, ia_write_fn fn, void *ctx);

/* Part of the DAG, as a trustless gateway's parameters ask: dag_scope
 * "all" (NULL: ia_car_export), "block" (the CID's block alone) or
 * "entity" (a file's blocks — with entity_bytes "from:to" or "from:*",
 * inclusive, only those that hold bytes of that range, with the nodes
 * above them — a directory's node, a HAMT's shard nodes, a symlink's
 * block). IA_ERR_INVALID_ARG for another scope or a malformed range
 * (offsets from the end are not supported). Same order as ia_car_export. */
IA_API ia_status ia_car_export_scope(ia_blockstore *bs, const char *cid, const char *dag_scope,
                                     const char *entity_bytes, ia_write_fn fn, void *ctx);

typedef struct ia_car_import_result {
    size_t struct_size;
    uint64_t blocks;     /* sections read */
    uint64_t new_blocks; /* of them, blocks the store did not have */
    uint64_t bytes;      /* block bytes read */
    char *roots;         /* the header's roots, "cid\n" each (ia_free) */
} ia_car_import_result;

IA_API void ia_car_import_result_init(ia_car_import_result *r, size_t struct_size);
#define IA_CAR_IMPORT_RESULT_INIT(r) ia_car_import_result_init((r), sizeof *(r))

/* Imports the CAR v1 file at path ("-": standard input). Every block is
 * hashed against its CID as it is read and staged beside the store; only
 * when the whole file has been read and verified are the staged blocks
 * renamed into the store. A tampered block, a truncated file, a malformed
 * varint, header or CID, a section over the size limit, an unsupported
 * hash is IA_ERR_FORMAT (IA_ERR_UNSUPPORTED for CARv2) naming the CID
 * and/or byte offset, and the store is left as it was. r may be NULL. */
IA_API ia_status ia_car_import(ia_blockstore *bs, const char *path, ia_car_import_result *r);

/* ------------------------------------------------------------ tokenizer */

typedef struct ia_tokenizer ia_tokenizer;

/* Loads a Hugging Face tokenizer.json: WordPiece (the BERT pipeline) or
 * BPE (byte-level: ByteLevel, or Split with the llama3/qwen2 regex, or
 * Digits + ByteLevel; SentencePiece-like with byte_fallback: Metaspace or
 * llama-2's Prepend/Replace normalizer). Other kinds are IA_ERR_UNSUPPORTED,
 * naming the component (docs/tokenizers.md). Free with ia_tokenizer_free(). */
IA_API ia_status ia_tokenizer_open(const char *tokenizer_json_path,
                                   ia_tokenizer **out);

IA_API void ia_tokenizer_free(ia_tokenizer *tok);

/* Encodes one text with the special tokens of its post-processor ([CLS] …
 * [SEP] for BERT, BOS for llama-style BPE; added tokens' text is matched)
 * and truncation to max_tokens (0 = the tokenizer's own limit). Writes up to cap ids and the
 * full count into *n_out; if *n_out > cap the ids were cut short. */
IA_API ia_status ia_tokenizer_encode(ia_tokenizer *tok, const char *text,
                                     size_t max_tokens, int32_t *ids,
                                     size_t cap, size_t *n_out);

/* Encodes n texts as one batch padded to the longest, as HF tokenizers'
 * encode_batch with padding="longest" does: ids and attention_mask are
 * written row-major with row stride *seq_len (pad id and mask 0 on the
 * right). Each buffer must hold n * max_tokens values; max_tokens > 0 is
 * the truncation length. (The model itself packs sequences instead, so
 * this is for front ends and tools that want HF's tensors.) */
IA_API ia_status ia_tokenizer_encode_batch(ia_tokenizer *tok, const char *const *texts,
                                           size_t n, size_t max_tokens, int32_t *ids,
                                           int32_t *attention_mask, size_t *seq_len);

/* -------------------------------------------------------- model registry */

/* The model registry (src/registry/, docs/registry.md): which models there
 * are — family, task, size, licence, where they came from — and how they
 * run, in tables of the benchmark's DuckDB file, so that what a model is
 * and what was measured of it are one join apart. Three kinds of figures
 * are kept apart and labelled in every answer:
 *   - read from the model when it was registered: family, parameters,
 *     precision, bytes and the content fingerprint ("read_from_model");
 *   - declared by whoever registered it: task, licence, source, metadata
 *     and hardware compatibility entries ("declared_hardware": supported,
 *     performance_score, recommended batch and precision — nobody measured
 *     them);
 *   - measured: the benchmark rows of the model (`ipfs-accelerate bench`),
 *     matched by content fingerprint (or, for rows and entries that have
 *     none, by name).
 * A handle is one DuckDB connection: use it from one thread at a time. */
typedef struct ia_registry ia_registry;

/* ia_registry_open flags */
#define IA_REGISTRY_OPEN_EXISTING 1 /* the file must exist (IA_ERR_NOT_FOUND) */

/* Opens the registry in the DuckDB file db_path (NULL = ia_benchmark_default_db:
 * $IA_BENCH_DB, else ~/.cache/ipfs_accelerate/benchmark_db.duckdb),
 * created unless IA_REGISTRY_OPEN_EXISTING; an older benchmark schema is
 * migrated (its rows kept). DuckDB lets one process write a file at a
 * time: another process that holds it open makes this IA_ERR_IO. Free with
 * ia_registry_close(), also after a failed open. */
IA_API ia_status ia_registry_open(const char *db_path, int flags, ia_registry **out);
IA_API void ia_registry_close(ia_registry *reg); /* NULL-safe */

/* What to register. Strings are borrowed for the call; NULL = none. */
typedef struct ia_registry_entry {
    size_t struct_size;
    const char *model_path;    /* a model directory, a GGUF file or a cached name: opened
                                  (on the CPU) to read family, parameters, precision, bytes
                                  and fingerprint; NULL registers a declared entry only */
    const char *model_id;      /* the registry's key; NULL = the model's name */
    const char *task;          /* "feature-extraction", "text-generation", ... */
    const char *family;        /* with a model: must agree with the model's own family */
    const char *licence;
    const char *source;        /* where it came from (path, URL, hub id); NULL = model_path */
    const char *description;
    const char *cid;           /* IPFS CID text: Qm... (CIDv0) or b... (CIDv1, base32) */
    const char *metadata_json; /* a JSON object; its "description" and "license"/"licence"
                                  fill those fields when they are NULL */
    const char *hardware_json; /* declared compatibility: {"cuda": {"supported": true,
                                  "performance_score": 0.95, "recommended_batch_size": 32,
                                  "recommended_precision": "fp16"}, ...} */
    int64_t parameters;        /* without a model only (declared); 0 = unknown */
    const char *precision;     /* without a model only (declared) */
    int replace;               /* 1: replace an entry with the same model_id; 0: that is
                                  IA_ERR_INVALID_ARG */
} ia_registry_entry;

IA_API void ia_registry_entry_init(ia_registry_entry *e, size_t struct_size);
#define IA_REGISTRY_ENTRY_INIT(e) ia_registry_entry_init((e), sizeof *(e))

/* Registers e in one transaction. A model that does not open, a family
 * that contradicts the model's, malformed JSON, a CID that is not one, an
 * unknown precision or hardware key are errors naming what was wrong, and
 * nothing is written. *json (may be NULL; caller frees with ia_free()):
 * the entry as ia_registry_info gives it. */
IA_API ia_status ia_registry_register(ia_registry *reg, const ia_registry_entry *e, char **json);

/* Removes a model's entry and its declared hardware (its benchmark rows
 * stay). IA_ERR_NOT_FOUND when it is not registered. */
IA_API ia_status ia_registry_remove(ia_registry *reg, const char *model_id);

/* A search; every filter that is set must hold. */
typedef struct ia_registry_query {
    size_t struct_size;
    const char *task;                /* NULL = any (case-insensitive) */
    const char *const *families;     /* any of these (case-insensitive); NULL/0 = any */
    size_t n_families;
    int64_t min_parameters;          /* 0 = no bound; a bound excludes unknown counts */
    int64_t max_parameters;          /* 0 = no bound */
    const char *const *hardware;     /* any of these device kinds ("cpu", "cuda", ...): the
                                        model has measured rows that ran on it, on any
                                        machine; NULL/0 = any */
    size_t n_hardware;
    int include_declared;            /* 1: a declared "supported": true entry for the
                                        hardware also matches (labelled as declared) */
    double min_performance_score;    /* < 0 (default) = none; else a declared entry (on one
                                        of `hardware`, or any) with a score >= this */
} ia_registry_query;

IA_API void ia_registry_query_init(ia_registry_query *q, size_t struct_size);
#define IA_REGISTRY_QUERY_INIT(q) ia_registry_query_init((q), sizeof *(q))

/* The matching models as a JSON array (q NULL = every model, by id), each
 * entry as ia_registry_info gives it plus "matched": how the filters held
 * ({"hardware": {"cuda": "measured" | "declared"}, "performance_score":
 * {"hardware", "score", "basis": "declared"}}). *json: caller frees with
 * ia_free(). */
IA_API ia_status ia_registry_search(ia_registry *reg, const ia_registry_query *q, char **json);

/* One model as JSON: its registered fields, "read_from_model" (which of
 * them were read from the model), "declared_hardware", and "measured":
 * {"machine_id": this machine's, "rows", "hardware" (device kinds with rows
 * that ran, on any machine), "measured_here" (of them, those measured on
 * this machine that run here now),
 * "performance": one object per machine x device x kind x precision x
 * batch x seq_len with "rows", "best_items_per_s" (for kind "generate":
 * "best_gen_tokens_per_s"), "latency_ms_p50" of that best row,
 * "run_id"/"result_id" of it, "this_machine", "usable_here", "matched_by"},
 * "rows_other_content": rows under its name whose fingerprint is another
 * model's (not used)}. IA_ERR_NOT_FOUND for a model that is not
 * registered. *json: caller frees with ia_free(). */
IA_API ia_status ia_registry_info(ia_registry *reg, const char *model_id, char **json);

/* What a deployment should aim at (all optional). */
typedef struct ia_registry_target {
    size_t struct_size;
    double max_latency_ms;           /* per call (one batch); 0 = none */
    const char *const *hardware;     /* device kinds to consider; NULL/0 = every kind that runs here */
    size_t n_hardware;
    int min_batch, max_batch;        /* 0 = no bound */
} ia_registry_target;

IA_API void ia_registry_target_init(ia_registry_target *t, size_t struct_size);
#define IA_REGISTRY_TARGET_INIT(t) ia_registry_target_init((t), sizeof *(t))

/* Deployment advice for this machine as JSON: "basis" is "measured" when
 * rows of this model (by fingerprint) on this machine (by machine id) on a
 * device that runs here decide — the configuration with the most items/s
 * (generated tokens/s for decoders) whose p50 latency meets the target, or
 * the lowest latency when none does ("meets_latency_target": false) — with
 * "expected_items_per_s" ("expected_gen_tokens_per_s" for decoders) and
 * "expected_latency_ms_p50" from that row and "options" listing every
 * measured configuration considered, best first. Otherwise "heuristic":
 * the device from the hardware heuristic, precision and batch from the
 * declared entry for that device ("precision_basis"/"batch_basis":
 * "declared"), else the model's own precision ("registered") and a rule
 * of thumb for the batch ("heuristic"), and no expected figures (null:
 * nothing was measured here). "none" when no requested hardware runs here. Requested hardware
 * that does not run here is listed in "unusable" with the reason, never
 * recommended. "why" says it in a sentence. IA_ERR_NOT_FOUND for a model
 * that is not registered. *json: caller frees with ia_free(). */
IA_API ia_status ia_registry_recommend(ia_registry *reg, const char *model_id, const ia_registry_target *t,
                                       char **json);

/* ------------------------------------------------------- gateway fetch */

/* Fetching a DAG from trustless HTTP gateways (src/store/gateway_fetch.c):
 * from the root CID down, every block not in the store is asked of the
 * gateways, in the order given, as GET {gateway}/ipfs/{cid}?format=raw
 * (Accept: application/vnd.ipld.raw), several at once, and hashed before
 * it is stored or its links are read. A gateway that answers bytes that do
 * not hash to the CID is dropped for the rest of the fetch (a liar); one
 * that lacks a block (404) or fails is passed over for the next. Blocks
 * already in the store are not asked for again, so a fetch that was
 * interrupted resumes where it stopped. `ipfs-accelerate serve` answers
 * these routes from its own store (docs/serving.md). */
typedef void (*ia_gateway_progress_fn)(void *ctx, uint64_t blocks_fetched, uint64_t bytes_fetched);

typedef struct ia_gateway_fetch_options {
    size_t struct_size;
    const char *const *gateways; /* base URLs: "http://127.0.0.1:8080", "https://gw.example" */
    size_t n_gateways;           /* 1..16 */
    long timeout_ms;             /* per request (default 30000) */
    int parallel;                /* blocks in flight (default 8; 1..64) */
    ia_gateway_progress_fn on_progress;
    void *progress_ctx;
    int car;                     /* 1: first ask for the whole DAG as one CAR
                                    (?format=car&dag-scope=all), every block
                                    hashed and kept as it streams in; then the
                                    block walk asks for whatever is missing
                                    (a broken or lying stream, a partial CAR).
                                    Sets SIGPIPE to ignored. 0 (default): blocks */
} ia_gateway_fetch_options;

IA_API void ia_gateway_fetch_options_init(ia_gateway_fetch_options *o, size_t struct_size);
#define IA_GATEWAY_FETCH_OPTIONS_INIT(o) ia_gateway_fetch_options_init((o), sizeof *(o))

typedef struct ia_gateway_fetch_stats {
    size_t struct_size;      /* caller sets: sizeof(ia_gateway_fetch_stats) */
    uint64_t blocks_fetched, bytes_fetched; /* asked of gateways, verified, stored */
    uint64_t blocks_present, bytes_present; /* already in the store */
    uint64_t rejected_blocks;               /* answers that did not hash to their CID */
    int liars;                              /* gateways dropped for them */
    double seconds;
} ia_gateway_fetch_stats;

/* Fetches the whole DAG under cid into bs. stats (may be NULL) is filled
 * also on failure. IA_ERR_NOT_FOUND naming the block and each gateway's
 * last answer when no gateway gives a block; IA_ERR_INVALID_ARG for bad
 * options or CID; IA_ERR_FORMAT for a verified block that is not valid
 * dag-pb. */
IA_API ia_status ia_gateway_fetch(ia_blockstore *bs, const char *cid, const ia_gateway_fetch_options *o,
                                  ia_gateway_fetch_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* IPFS_ACCELERATE_H */
