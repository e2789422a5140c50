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
    CHECK_MSG(count(html, "class='cmp'") == 1, "comparison rows: %d", count(html, "class='cmp'"));
    CHECK(strstr(html, "m&lt;1&gt;") != NULL && strstr(html, "m<1>") == NULL);
    CHECK(strstr(html, "libcuda.so.1 not found") != NULL);
    CHECK(strstr(html, "<script") == NULL && strstr(html, "http://") == strstr(html, "http://www.w3.org"));
    free(html);
    CHECK_STATUS(ia_bench_report_html("{\"not\":\"rows\"}", NULL, path), IA_ERR_FORMAT);
    CHECK_STATUS(ia_bench_report_html("[]", NULL, "/nonexistent/dir/r.html"), IA_ERR_IO);
    unlink(path);
}
