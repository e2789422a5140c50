/*
 * report_html.h — one self-contained HTML file (inline SVG, no scripts, no
 * network) drawn from benchmark result rows: latency by hardware with error
 * bars, throughput against batch size, the text generation rows (a table
 * and bar charts of prompt tokens/s, generated tokens/s and time to first
 * token with their stddev), and a comparison table of two runs.
 */
#ifndef IA_BENCH_REPORT_HTML_H
#define IA_BENCH_REPORT_HTML_H

#include "ipfs_accelerate.h"

/* rows_json: a JSON array of result objects as ia_bench_store_query_json
 * returns them (fields used: run_id, model, backend, batch, seq_len,
 * latency_ms_mean, latency_ms_stddev, latency_ms_p50, items_per_s,
 * skipped_reason; for kind "generate" also gen_tokens, n_ctx, threads_used,
 * prompt_tokens_per_s, gen_tokens_per_s, ttft_ms and their _stddev,
 * kv_cache_bytes, precision). compare: two run ids to tabulate side by side, or
 * NULL. Writes path. */
ia_status ia_bench_report_html(const char *rows_json, const long long *compare, const char *path);

#endif
