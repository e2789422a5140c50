/*
 * test_report_html.c — the HTML report holds the numbers it was given:
 * one bar and error bar per measured row, one point per row on the
 * throughput chart, the comparison table pairs configurations of two runs,
 * skipped rows are listed but not drawn, and text is escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/report_html.h"
#include "harness.h"
#include "util/mapped_file.h"

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

IA_TEST(report_html_draws_every_measured_row) {
    const char *rows =
        "["
        "{\"run_id\":1,\"model\":\"m<1>\",\"backend\":\"cpu\",\"batch\":1,\"seq_len\":16,\"latency_ms_mean\":2.0,"
        "\"latency_ms_stddev\":0.1,\"latency_ms_p50\":2.0,\"latency_ms_p90\":2.2,\"latency_ms_p99\":2.4,\"items_per_s\":500},"
        "{\"run_id\":1,\"model\":\"m<1>\",\"backend\":\"cpu\",\"batch\":8,\"seq_len\":16,\"latency_ms_mean\":8.0,"
        "\"latency_ms_stddev\":0.4,\"latency_ms_p50\":8.0,\"latency_ms_p90\":8.5,\"latency_ms_p99\":9.0,\"items_per_s\":1000},"
        "{\"run_id\":1,\"model\":\"m<1>\",\"backend\":\"cuda\",\"batch\":1,\"seq_len\":16,"
        "\"skipped_reason\":\"libcuda.so.1 not found\"},"
        "{\"run_id\":2,\"model\":\"m<1>\",\"backend\":\"cpu\",\"batch\":1,\"seq_len\":16,\"latency_ms_mean\":1.0,"
        "\"latency_ms_stddev\":0.05,\"latency_ms_p50\":1.0,\"latency_ms_p90\":1.1,\"latency_ms_p99\":1.2,\"items_per_s\":1000}"
        "]";
    const long long cmp[2] = {1, 2};
    char path[] = "/tmp/ia_report_XXXXXX", *html = NULL;
    size_t len;
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK_STATUS(ia_bench_report_html(rows, cmp, path), IA_OK);
    REQUIRE(ia_read_text_file(path, 1 << 20, &html, &len) == IA_OK);
    CHECK(strstr(html, "<svg id='latency'") && strstr(html, "<svg id='throughput'"));
    CHECK_MSG(count(html, "class='bar'") == 3, "bars: %d", count(html, "class='bar'"));
    CHECK_MSG(count(html, "class='errbar'") == 3, "error bars: %d", count(html, "class='errbar'"));
    CHECK_MSG(count(html, "class='point'") == 3, "points: %d", count(html, "class='point'"));
    CHECK(strstr(html, "data-value='1000'") != NULL);
    /* the throughput chart's x axis: a labelled tick per batch size measured
     * (1 and 8, once each though two runs measured batch 1) */
    CHECK_MSG(count(html, "<text class='xtick'") == 2, "x ticks: %d", count(html, "<text class='xtick'"));
    CHECK(strstr(html, "text-anchor='middle'>1</text>") && strstr(html, "text-anchor='middle'>8</text>"));
    /* every axis titled with its unit */
    CHECK(strstr(html, "class='ylabel'") && strstr(html, ">latency (ms)</text>") && strstr(html, ">items/s</text>"));
    CHECK(strstr(html, ">run, device, batch size</text>") && strstr(html, ">batch size (log scale)</text>"));
    CHECK_MSG(count(html, "class='xlabel'") == 2 && count(html, "class='ylabel'") == 2, "axis titles: %d x, %d y",
              count(html, "class='xlabel'"), count(html, "class='ylabel'"));
    CHECK_MSG(count(html, "class='cmp'") == 1, "comparison rows: %d", count(html, "class='cmp'"));
    CHECK(strstr(html, "m&lt;1&gt;") != NULL && strstr(html, "m<1>") == NULL);
    CHECK(strstr(html, "libcuda.so.1 not found") != NULL);
    CHECK(strstr(html, "<script") == NULL && strstr(html, "http://") == strstr(html, "http://www.w3.org"));
    free(html);
    CHECK_STATUS(ia_bench_report_html("{\"not\":\"rows\"}", NULL, path), IA_ERR_FORMAT);
    CHECK_STATUS(ia_bench_report_html("[]", NULL, "/nonexistent/dir/r.html"), IA_ERR_IO);
    unlink(path);
}

/* Text generation rows get their own section: one table row each (a
 * skipped one too, with its reason), one bar per measured row on each of
 * the prompt, generation and TTFT charts holding its median, an error bar
 * with its stddev, axes with tick labels; they stay off the embedding
 * charts, and two runs' generation rows are compared. */
IA_TEST(report_html_draws_llm_rows) {
    const char *rows =
        "["
        "{\"run_id\":1,\"kind\":\"embed\",\"model\":\"minilm\",\"backend\":\"cpu\",\"batch\":2,\"seq_len\":16,"
        "\"latency_ms_mean\":4.0,\"latency_ms_stddev\":0.2,\"latency_ms_p50\":4.0,\"items_per_s\":500},"
        "{\"run_id\":1,\"kind\":\"generate\",\"model\":\"smollm2\",\"backend\":\"cpu\",\"precision\":\"int4+int8\","
        "\"batch\":1,\"seq_len\":512,\"gen_tokens\":128,\"n_ctx\":641,\"threads_used\":2,\"latency_ms_mean\":2500,"
        "\"latency_ms_stddev\":30,\"latency_ms_p50\":2490,\"prompt_tokens_per_s\":901.5,"
        "\"prompt_tokens_per_s_stddev\":12.5,\"gen_tokens_per_s\":70.25,\"gen_tokens_per_s_stddev\":1.5,"
        "\"ttft_ms\":570.5,\"ttft_ms_stddev\":8,\"kv_cache_bytes\":29532160},"
        "{\"run_id\":1,\"kind\":\"generate\",\"model\":\"smollm2\",\"backend\":\"cuda\",\"batch\":1,\"seq_len\":512,"
        "\"gen_tokens\":128,\"skipped_reason\":\"libcuda.so.1 not found\"},"
        "{\"run_id\":2,\"kind\":\"generate\",\"model\":\"smollm2\",\"backend\":\"cpu\",\"precision\":\"int4+int8\","
        "\"batch\":1,\"seq_len\":512,\"gen_tokens\":128,\"n_ctx\":641,\"threads_used\":2,\"latency_ms_mean\":2000,"
        "\"latency_ms_stddev\":20,\"latency_ms_p50\":1992,\"prompt_tokens_per_s\":1200,"
        "\"prompt_tokens_per_s_stddev\":20,\"gen_tokens_per_s\":80,\"gen_tokens_per_s_stddev\":2,"
        "\"ttft_ms\":430,\"ttft_ms_stddev\":5,\"kv_cache_bytes\":29532160}"
        "]";
    const long long cmp[2] = {1, 2};
    char path[] = "/tmp/ia_report_XXXXXX", *html = NULL;
    size_t len;
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK_STATUS(ia_bench_report_html(rows, cmp, path), IA_OK);
    REQUIRE(ia_read_text_file(path, 1 << 20, &html, &len) == IA_OK);
    CHECK(strstr(html, "<table id='llm'") && strstr(html, "<svg id='llm_prompt'") && strstr(html, "<svg id='llm_gen'") &&
          strstr(html, "<svg id='llm_ttft'"));
    CHECK_MSG(count(html, "class='llmrow'") == 3, "llm table rows: %d", count(html, "class='llmrow'"));
    CHECK_MSG(count(html, "class='llmbar'") == 6, "llm bars: %d", count(html, "class='llmbar'"));
    CHECK_MSG(count(html, "class='llmerr'") == 6, "llm error bars: %d", count(html, "class='llmerr'"));
    CHECK(strstr(html, "data-metric='prompt_tokens_per_s' data-value='901.5'") != NULL);
    CHECK(strstr(html, "data-metric='gen_tokens_per_s' data-value='70.25'") != NULL);
    CHECK(strstr(html, "data-metric='ttft_ms' data-value='570.5'") != NULL);
    CHECK(strstr(html, "class='llmerr' data-value='1.5'") != NULL);
    CHECK(strstr(html, "901.5 &#177; 12.5") && strstr(html, "70.2 &#177; 1.5") && strstr(html, "28.16"));
    CHECK(strstr(html, "tg128") && strstr(html, "pp512"));
    /* y ticks on every chart (0 and the top), batch ticks under the throughput chart */
    CHECK_MSG(count(html, "class='ytick'") == 5 * 5, "y ticks: %d", count(html, "class='ytick'"));
    CHECK(strstr(html, ">1000</text>") || strstr(html, ">2000</text>"));
    CHECK(strstr(html, "e+0") == NULL);
    CHECK_MSG(count(html, "<text class='xtick'") == 1, "x ticks: %d", count(html, "<text class='xtick'"));
    CHECK_MSG(count(html, ">run, device, test (llama-bench names)</text>") == 3, "generation charts' x titles");
    /* the embedding charts hold only the embedding row */
    CHECK_MSG(count(html, "class='bar'") == 1 && count(html, "class='point'") == 1, "bars %d points %d",
              count(html, "class='bar'"), count(html, "class='point'"));
    CHECK_MSG(count(html, "class='cmp'") == 1, "comparison rows: %d", count(html, "class='cmp'"));
    CHECK(strstr(html, "libcuda.so.1 not found") != NULL);
    free(html);
    /* no generation rows: no section */
    CHECK_STATUS(ia_bench_report_html("[]", NULL, path), IA_OK);
    REQUIRE(ia_read_text_file(path, 1 << 20, &html, &len) == IA_OK);
    CHECK(strstr(html, "id='llm") == NULL);
    free(html);
    unlink(path);
}
