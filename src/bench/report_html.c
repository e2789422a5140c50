/*
 * report_html.c — the HTML/SVG benchmark report.
 *
 * Charts are drawn as static SVG so the file renders anywhere (and in the
 * headless-Chromium test) without JavaScript or fonts from the network.
 * Every drawn mark carries a class (bar, errbar, point; llmbar, llmerr on
 * the text generation charts) and data-* values, so a test can check that
 * the charts hold the numbers, not just shapes. Embedding rows, text
 * generation rows (kind "generate", schema v5) and serving-load rows (kind
 * "serve": a server under concurrent clients, bench/serve_load) are drawn
 * apart: their figures measure different things.
 */
#include "bench/report_html.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

#define W 720
#define H 320
#define ML 70 /* left margin: axis labels */
#define MB 60 /* bottom margin: bar labels */
#define MT 30

static const char *const palette[] = {"#3b6ea8", "#d1793a", "#4c9a5a", "#a84b6e", "#7a62b3", "#8a7a3a"};

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Writes s with &, <, >, " escaped. */
static void esc(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A table cell: "-" where the value was not measured. */
static void cell(FILE *f, double v, int prec) {
    if (isfinite(v)) fprintf(f, "<td>%.*f</td>", prec, v);
    else fputs("<td>-</td>", f);
}

/* A text generation row (schema v5 kind "generate"); rows without a kind
 * are embedding rows. */
static int is_generate(const cJSON *r) { return !strcmp(str(r, "kind"), "generate"); }

/* A serving-load row: backend is the server, batch the concurrency,
 * items_per_s its requests/s. */
static int is_serve(const cJSON *r) { return !strcmp(str(r, "kind"), "serve"); }

/* An embedding row with figures (the latency and throughput charts). */
static int measured(const cJSON *r) {
    return !is_generate(r) && !is_serve(r) && !str(r, "skipped_reason")[0] && isfinite(num(r, "latency_ms_mean"));
}

/* A text generation row with figures. */
static int measured_gen(const cJSON *r) {
    return is_generate(r) && !str(r, "skipped_reason")[0] && isfinite(num(r, "gen_tokens_per_s"));
}

/* A "nice" axis maximum: 1, 2 or 5 times a power of ten above v. */
static double nice_max(double v) {
    double p = pow(10.0, floor(log10(v > 0 ? v : 1.0)));
    return v <= p ? p : v <= 2 * p ? 2 * p : v <= 5 * p ? 5 * p : 10 * p;
}

/* The axes, the y ticks (labelled, with gridlines) and both axis titles,
 * each with its unit. */
static void axis(FILE *f, double ymax, const char *label, const char *xlabel) {
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#333'/>", ML, MT, ML, H - MB);
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#333'/>", ML, H - MB, W - 10, H - MB);
    for (int i = 0; i <= 4; i++) {
        double v = ymax * i / 4, y = (H - MB) - (H - MB - MT) * i / 4.0;
        /* %.3g would write 1000 as 1e+03 */
        if (v >= 1000) fprintf(f, "<text class='ytick' x='%d' y='%.1f' font-size='11' text-anchor='end'>%.0f</text>",
                               ML - 6, y + 4, v);
        else fprintf(f, "<text class='ytick' x='%d' y='%.1f' font-size='11' text-anchor='end'>%.3g</text>", ML - 6,
                     y + 4, v);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>", ML, y, W - 10, y);
    }
    fprintf(f, "<text class='ylabel' x='14' y='%d' font-size='12' transform='rotate(-90 14 %d)' text-anchor='middle'>",
            H / 2, H / 2);
    esc(f, label);
    fprintf(f, "</text><text class='xlabel' x='%d' y='%d' font-size='12' text-anchor='middle'>", (W + ML) / 2, H - 8);
    esc(f, xlabel);
    fputs("</text>", f);
}

/* Latency (mean ± stddev) per measured row, one bar each. */
static void latency_chart(FILE *f, const cJSON *rows) {
    const cJSON *r;
    double ymax = 0;
    int n = 0, i = 0;
    cJSON_ArrayForEach(r, rows) if (measured(r)) {
        double top = num(r, "latency_ms_mean") + (isfinite(num(r, "latency_ms_stddev")) ? num(r, "latency_ms_stddev") : 0);
        ymax = top > ymax ? top : ymax;
        n++;
    }
    fputs("<h2>Latency by hardware (embedding models: mean ± stddev, ms per batch)</h2>\n", f);
    fprintf(f, "<svg id='latency' class='chart' width='%d' height='%d' xmlns='http://www.w3.org/2000/svg'>", W, H);
    if (n == 0) {
        fputs("<text x='20' y='40'>no measured rows</text></svg>\n", f);
        return;
    }
    ymax = nice_max(ymax);
    axis(f, ymax, "latency (ms)", "run, device, batch size");
    cJSON_ArrayForEach(r, rows) if (measured(r)) {
        double slot = (double)(W - ML - 20) / n, x = ML + 10 + slot * i, bw = slot * 0.6;
        double mean = num(r, "latency_ms_mean"), sd = num(r, "latency_ms_stddev");
        double y = (H - MB) - (H - MB - MT) * mean / ymax;
        fprintf(f, "<rect class='bar' data-value='%.6g' x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'>",
                mean, x, y, bw, (H - MB) - y, palette[i % 6]);
        fputs("<title>", f);
        esc(f, str(r, "model"));
        fputc(' ', f);
        esc(f, str(r, "backend"));
        fprintf(f, " batch %.0f: %.3f ms</title></rect>", num(r, "batch"), mean);
        if (isfinite(sd) && sd > 0) {
            double y0 = (H - MB) - (H - MB - MT) * (mean - sd) / ymax, y1 = (H - MB) - (H - MB - MT) * (mean + sd) / ymax;
            fprintf(f, "<line class='errbar' data-value='%.6g' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#000'/>",
                    sd, x + bw / 2, y0, x + bw / 2, y1);
        }
        fprintf(f, "<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>", x + bw / 2, H - MB + 14);
        fprintf(f, "r%.0f ", num(r, "run_id"));
        esc(f, str(r, "backend"));
        fprintf(f, " b%.0f</text>", num(r, "batch"));
        i++;
    }
    fputs("</svg>\n", f);
}

/* Rows a and b belong to one throughput series: same run, model, backend
 * and sequence length. */
static int same_series(const cJSON *a, const cJSON *b) {
    return num(a, "run_id") == num(b, "run_id") && !strcmp(str(a, "model"), str(b, "model")) &&
           !strcmp(str(a, "backend"), str(b, "backend")) && num(a, "seq_len") == num(b, "seq_len");
}

/* Items/s against batch size, one line per (run, model, backend, seq_len). */
static void throughput_chart(FILE *f, const cJSON *rows) {
    const cJSON *r, *s;
    double xmax = 0, ymax = 0;
    int series = 0;
    cJSON_ArrayForEach(r, rows) if (measured(r)) {
        xmax = num(r, "batch") > xmax ? num(r, "batch") : xmax;
        ymax = num(r, "items_per_s") > ymax ? num(r, "items_per_s") : ymax;
    }
    fputs("<h2>Throughput against batch size (items/s)</h2>\n", f);
    fprintf(f, "<svg id='throughput' class='chart' width='%d' height='%d' xmlns='http://www.w3.org/2000/svg'>", W, H);
    if (ymax <= 0) {
        fputs("<text x='20' y='40'>no measured rows</text></svg>\n", f);
        return;
    }
    ymax = nice_max(ymax);
    axis(f, ymax, "items/s", "batch size (log scale)");
    /* x ticks: one per batch size measured, labelled with it */
    cJSON_ArrayForEach(r, rows) {
        const cJSON *prev;
        int seen = 0;
        if (!measured(r)) continue;
        cJSON_ArrayForEach(prev, rows) {
            if (prev == r) break;
            if (measured(prev) && num(prev, "batch") == num(r, "batch")) seen = 1;
        }
        if (seen) continue;
        double x = ML + 10 + (W - ML - 30) * (xmax > 1 ? log(num(r, "batch")) / log(xmax) : 0.5);
        fprintf(f, "<line class='xtick' x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#333'/>", x, H - MB, x, H - MB + 5);
        fprintf(f, "<text class='xtick' x='%.1f' y='%d' font-size='11' text-anchor='middle'>%.0f</text>", x,
                H - MB + 18, num(r, "batch"));
    }
    /* Series: the first row of each new (model, backend, seq_len) starts one. */
    cJSON_ArrayForEach(s, rows) {
        const cJSON *prev;
        int first = 1;
        if (!measured(s)) continue;
        cJSON_ArrayForEach(prev, rows) {
            if (prev == s) break;
            if (measured(prev) && same_series(prev, s)) first = 0;
        }
        if (!first) continue;
        fprintf(f, "<polyline class='series' fill='none' stroke='%s' points='", palette[series % 6]);
        cJSON_ArrayForEach(r, rows) if (measured(r) && same_series(r, s)) {
            double x = ML + 10 + (W - ML - 30) * (xmax > 1 ? log(num(r, "batch")) / log(xmax) : 0.5);
            double y = (H - MB) - (H - MB - MT) * num(r, "items_per_s") / ymax;
            fprintf(f, "%.1f,%.1f ", x, y);
        }
        fputs("'/>", f);
        cJSON_ArrayForEach(r, rows) if (measured(r) && same_series(r, s)) {
            double x = ML + 10 + (W - ML - 30) * (xmax > 1 ? log(num(r, "batch")) / log(xmax) : 0.5);
            double y = (H - MB) - (H - MB - MT) * num(r, "items_per_s") / ymax;
            fprintf(f, "<circle class='point' data-value='%.6g' data-batch='%.0f' cx='%.1f' cy='%.1f' r='4' fill='%s'/>",
                    num(r, "items_per_s"), num(r, "batch"), x, y, palette[series % 6]);
        }
        fprintf(f, "<text x='%d' y='%d' font-size='11' fill='%s'>run %.0f: ", W - 230, MT + 14 * series,
                palette[series % 6], num(s, "run_id"));
        esc(f, str(s, "model"));
        fputs(" / ", f);
        esc(f, str(s, "backend"));
        fprintf(f, " / seq %.0f</text>", num(s, "seq_len"));
        series++;
    }
    fputs("</svg>\n", f);
}

/* One bar per measured generation row: the median of `key` with its
 * stddev as an error bar, the y axis labelled in ticks, each bar named
 * below (run, model, device, test as llama-bench names it: pp512, tg128). */
static void gen_chart(FILE *f, const cJSON *rows, const char *id, const char *title, const char *key,
                      const char *sd_key, const char *ylabel, const char *test, const char *size_key) {
    const cJSON *r;
    double ymax = 0;
    int n = 0, i = 0;
    cJSON_ArrayForEach(r, rows) if (measured_gen(r) && isfinite(num(r, key))) {
        double top = num(r, key) + (isfinite(num(r, sd_key)) ? num(r, sd_key) : 0);
        ymax = top > ymax ? top : ymax;
        n++;
    }
    fprintf(f, "<h3>%s</h3>\n", title);
    fprintf(f, "<svg id='%s' class='chart' width='%d' height='%d' xmlns='http://www.w3.org/2000/svg'>", id, W, H);
    if (n == 0) {
        fputs("<text x='20' y='40'>no measured rows</text></svg>\n", f);
        return;
    }
    ymax = nice_max(ymax);
    axis(f, ymax, ylabel, "run, device, test (llama-bench names)");
    cJSON_ArrayForEach(r, rows) if (measured_gen(r) && isfinite(num(r, key))) {
        double slot = (double)(W - ML - 20) / n, bw = slot * 0.6, x = ML + 10 + slot * i + (slot - bw) / 2;
        double v = num(r, key), sd = num(r, sd_key), y = (H - MB) - (H - MB - MT) * v / ymax;
        fprintf(f, "<rect class='llmbar' data-metric='%s' data-value='%.6g' x='%.1f' y='%.1f' width='%.1f' "
                   "height='%.1f' fill='%s'><title>", key, v, x, y, bw, (H - MB) - y, palette[i % 6]);
        esc(f, str(r, "model"));
        fputc(' ', f);
        esc(f, str(r, "backend"));
        fprintf(f, " %s%.0f: %.1f %s</title></rect>", test, num(r, size_key), v, ylabel);
        if (isfinite(sd) && sd > 0) {
            double y0 = (H - MB) - (H - MB - MT) * (v - sd > 0 ? v - sd : 0) / ymax;
            double y1 = (H - MB) - (H - MB - MT) * (v + sd) / ymax;
            fprintf(f, "<line class='llmerr' data-value='%.6g' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#000'/>",
                    sd, x + bw / 2, y0, x + bw / 2, y1);
        }
        fprintf(f, "<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>r%.0f ", x + bw / 2, H - MB + 14,
                num(r, "run_id"));
        esc(f, str(r, "backend"));
        fprintf(f, " %s%.0f</text>", test, num(r, size_key));
        fprintf(f, "<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>", x + bw / 2, H - MB + 28);
        esc(f, str(r, "model"));
        fputs("</text>", f);
        i++;
    }
    fputs("</svg>\n", f);
}

/* A table row's first cells: run, model, backend, weights. */
static void row_head(FILE *f, const cJSON *r, const char *cls) {
    fprintf(f, "<tr class='%s'><td>%.0f</td><td>", cls, num(r, "run_id"));
    esc(f, str(r, "model"));
    fputs("</td><td>", f);
    esc(f, str(r, "backend"));
    fputs("</td><td>", f);
    esc(f, str(r, "precision"));
    fputs("</td>", f);
}

/* The text generation section: the table of every generation row, then
 * the prompt and generation rates drawn. Nothing when there are none. */
static void gen_section(FILE *f, const cJSON *rows) {
    const cJSON *r;
    int n = 0;
    cJSON_ArrayForEach(r, rows) n += is_generate(r);
    if (!n) return;
    fputs("<h2>Text generation (LLMs: median &#177; stddev over the repetitions)</h2>\n"
          "<table id='llm'><tr><th>run</th><th>model</th><th>backend</th><th>weights</th><th>threads</th>"
          "<th>prompt</th><th>gen</th><th>context</th><th>prompt tok/s</th><th>gen tok/s</th>"
          "<th>TTFT ms</th><th>KV cache MiB</th><th>note</th></tr>\n", f);
    cJSON_ArrayForEach(r, rows) {
        if (!is_generate(r)) continue;
        row_head(f, r, "llmrow");
        cell(f, num(r, "threads_used"), 0);
        cell(f, num(r, "seq_len"), 0);
        cell(f, num(r, "gen_tokens"), 0);
        cell(f, num(r, "n_ctx"), 0);
        if (isfinite(num(r, "prompt_tokens_per_s")))
            fprintf(f, "<td>%.1f &#177; %.1f</td>", num(r, "prompt_tokens_per_s"), num(r, "prompt_tokens_per_s_stddev"));
        else
            fputs("<td>-</td>", f);
        if (isfinite(num(r, "gen_tokens_per_s")))
            fprintf(f, "<td>%.1f &#177; %.1f</td>", num(r, "gen_tokens_per_s"), num(r, "gen_tokens_per_s_stddev"));
        else
            fputs("<td>-</td>", f);
        cell(f, num(r, "ttft_ms"), 1);
        cell(f, num(r, "kv_cache_bytes") / (1024.0 * 1024.0), 2);
        fputs("<td>", f);
        esc(f, str(r, "skipped_reason"));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    gen_chart(f, rows, "llm_prompt", "Prompt processing (tokens/s)", "prompt_tokens_per_s",
              "prompt_tokens_per_s_stddev", "prompt tokens/s", "pp", "seq_len");
    gen_chart(f, rows, "llm_gen", "Generation (tokens/s)", "gen_tokens_per_s", "gen_tokens_per_s_stddev",
              "generated tokens/s", "tg", "gen_tokens");
    gen_chart(f, rows, "llm_ttft", "Time to first token (ms)", "ttft_ms", "ttft_ms_stddev", "ms", "pp", "seq_len");
}

/* Requests/s of every serving-load row, one bar each (class servebar). */
static void serve_chart(FILE *f, const cJSON *rows, int n) {
    const cJSON *r;
    double ymax = 0;
    int i = 0;
    cJSON_ArrayForEach(r, rows) if (is_serve(r) && isfinite(num(r, "items_per_s"))) {
        ymax = num(r, "items_per_s") > ymax ? num(r, "items_per_s") : ymax;
    }
    fprintf(f, "<svg id='serve' class='chart' width='%d' height='%d' xmlns='http://www.w3.org/2000/svg'>", W, H);
    ymax = nice_max(ymax);
    axis(f, ymax, "requests/s", "server, concurrency, input tokens");
    cJSON_ArrayForEach(r, rows) if (is_serve(r) && isfinite(num(r, "items_per_s"))) {
        double slot = (double)(W - ML - 20) / n, x = ML + 10 + slot * i, bw = slot * 0.6;
        double v = num(r, "items_per_s"), y = (H - MB) - (H - MB - MT) * v / ymax;
        int color = strcmp(str(r, "backend"), "llama-server") == 0;
        fprintf(f, "<rect class='servebar' data-rps='%.3f' data-concurrency='%.0f' x='%.1f' y='%.1f' width='%.1f' "
                   "height='%.1f' fill='%s'><title>",
                v, num(r, "batch"), x, y, bw, (H - MB) - y, palette[color]);
        esc(f, str(r, "backend"));
        fprintf(f, ": %.1f req/s at concurrency %.0f</title></rect>", v, num(r, "batch"));
        fprintf(f, "<text x='%.1f' y='%d' font-size='9' text-anchor='middle'>c%.0f/%.0f</text>", x + bw / 2,
                H - MB + 14, num(r, "batch"), num(r, "seq_len"));
        i++;
    }
    fputs("</svg>\n", f);
}

/* The serving-load section: a table of every serve row and their
 * requests/s drawn. Nothing when there are none. */
static void serve_section(FILE *f, const cJSON *rows) {
    const cJSON *r;
    int n = 0;
    cJSON_ArrayForEach(r, rows) n += is_serve(r) && isfinite(num(r, "items_per_s"));
    if (!n) return;
    fputs("<h2>Serving under load (HTTP, concurrent clients)</h2>\n"
          "<table id='servetable'><tr><th>run</th><th>model</th><th>server</th><th>weights</th><th>clients</th>"
          "<th>input tokens</th><th>requests/s</th><th>p50 ms</th><th>p99 ms</th><th>generated tok/s</th></tr>\n", f);
    cJSON_ArrayForEach(r, rows) {
        if (!is_serve(r)) continue;
        row_head(f, r, "serverow");
        cell(f, num(r, "batch"), 0);
        cell(f, num(r, "seq_len"), 0);
        cell(f, num(r, "items_per_s"), 1);
        cell(f, num(r, "latency_ms_p50"), 1);
        cell(f, num(r, "latency_ms_p99"), 1);
        cell(f, num(r, "gen_tokens_per_s"), 1);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    serve_chart(f, rows, n);
}

/* Side-by-side p50 of two runs for each configuration both measured. */
static void compare_table(FILE *f, const cJSON *rows, const long long *ids) {
    const cJSON *a, *b;
    fprintf(f, "<h2>Run %lld against run %lld (p50 latency, ms)</h2>\n<table id='compare'>", ids[0], ids[1]);
    fputs("<tr><th>model</th><th>backend</th><th>batch</th><th>seq</th>", f);
    fprintf(f, "<th>run %lld</th><th>run %lld</th><th>ratio</th></tr>", ids[0], ids[1]);
    cJSON_ArrayForEach(a, rows) {
        if (num(a, "run_id") != (double)ids[0] || !(measured(a) || measured_gen(a))) continue;
        cJSON_ArrayForEach(b, rows) {
            /* the same configuration: for generation rows also the same
             * kind and number of generated tokens (p50 = a whole call) */
            if (num(b, "run_id") != (double)ids[1] || !(measured(b) || measured_gen(b)) ||
                strcmp(str(a, "model"), str(b, "model")) || strcmp(str(a, "backend"), str(b, "backend")) ||
                num(a, "batch") != num(b, "batch") || num(a, "seq_len") != num(b, "seq_len") ||
                is_generate(a) != is_generate(b) ||
                (is_generate(a) && num(a, "gen_tokens") != num(b, "gen_tokens")))
                continue;
            fputs("<tr class='cmp'><td>", f);
            esc(f, str(a, "model"));
            fputs("</td><td>", f);
            esc(f, str(a, "backend"));
            fprintf(f, "</td><td>%.0f</td><td>%.0f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>",
                    num(a, "batch"), num(a, "seq_len"), num(a, "latency_ms_p50"),
                    num(b, "latency_ms_p50"), num(b, "latency_ms_p50") / num(a, "latency_ms_p50"));
        }
    }
    fputs("</table>\n", f);
}

ia_status ia_bench_report_html(const char *rows_json, const long long *compare, const char *path) {
    cJSON *rows;
    const cJSON *r;
    FILE *f;
    char tmp[4096];
    if (!rows_json || !path) return ia_error(IA_ERR_INVALID_ARG, "ia_bench_report_html: NULL argument");
    rows = cJSON_Parse(rows_json);
    if (!cJSON_IsArray(rows)) {
        cJSON_Delete(rows);
        return ia_error(IA_ERR_FORMAT, "benchmark rows are not a JSON array");
    }
    /* Written beside the target and renamed at the end: a failed write
     * never leaves a truncated report in its place. */
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp || !(f = fopen(tmp, "w"))) {
        cJSON_Delete(rows);
        return ia_error(IA_ERR_IO, "%s: cannot write the report", path);
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>ipfs_accelerate benchmark report</title>\n"
          "<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}th{background:#f0f0f0}</style>"
          "</head><body>\n<h1>ipfs_accelerate benchmark report</h1>\n", f);
    fprintf(f, "<p>%d result rows; generated by ipfs_accelerate %s.</p>\n", cJSON_GetArraySize(rows), ia_version());
    latency_chart(f, rows);
    throughput_chart(f, rows);
    gen_section(f, rows);
    serve_section(f, rows);
    if (compare) compare_table(f, rows, compare);
    fputs("<h2>All rows</h2>\n<table id='rows'><tr><th>run</th><th>kind</th><th>model</th><th>backend</th>"
          "<th>batch</th><th>seq</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>items/s</th><th>note</th></tr>\n", f);
    cJSON_ArrayForEach(r, rows) {
        fprintf(f, "<tr><td>%.0f</td><td>%s</td><td>", num(r, "run_id"),
                is_generate(r) ? "generate" : is_serve(r) ? "serve" : "embed");
        esc(f, str(r, "model"));
        fputs("</td><td>", f);
        esc(f, str(r, "backend"));
        fprintf(f, "</td><td>%.0f</td><td>%.0f</td>", num(r, "batch"), num(r, "seq_len"));
        cell(f, num(r, "latency_ms_p50"), 3);
        cell(f, num(r, "latency_ms_p90"), 3);
        cell(f, num(r, "latency_ms_p99"), 3);
        cell(f, num(r, "items_per_s"), 2);
        fputs("<td>", f);
        esc(f, str(r, "skipped_reason"));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</body></html>\n", f);
    cJSON_Delete(rows);
    if (ferror(f) | fclose(f) || rename(tmp, path) != 0) {
        remove(tmp);
        return ia_error(IA_ERR_IO, "%s: write failed", path);
    }
    return IA_OK;
}
