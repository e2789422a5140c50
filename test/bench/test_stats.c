/*
 * test_stats.c — src/bench/stats.c against figures computed independently
 * with numpy 1.x/2.x (np.mean, np.std(ddof=1), np.percentile with its
 * default method "linear"), hard-coded below; and src/bench/power.c: RAPL
 * on this machine (energy > 0 or a reason), a fake powercap tree to check
 * the package-domain choice and the counter wrap-around, and RSS.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/power.h"
#include "bench/stats.h"
#include "harness.h"

/* Relative tolerance: the expectations are printed doubles (repr). */
static int close_to(double got, double want) {
    return fabs(got - want) <= 1e-12 * (fabs(want) > 1 ? fabs(want) : 1);
}

typedef struct {
    const char *name;
    double x[10];
    size_t n;
    double mean, sd, p50, p90, p99, p37_5;
} stats_case;

/* numpy: a = np.array(x); a.mean(), a.std(ddof=1), np.percentile(a, q). */
static const stats_case cases[] = {
    {"n=1", {4.25}, 1, 4.25, 0.0, 4.25, 4.25, 4.25, 4.25},
    {"n=2", {3.0, 1.0}, 2, 2.0, 1.4142135623730951, 2.0, 2.8, 2.98, 1.75},
    {"unsorted", {7.5, 1.25, 9.0, 3.5, 2.0, 8.75, 4.0}, 7,
     5.142857142857143, 3.2270250194552994, 4.0, 8.85, 8.985, 3.625},
    {"repeated", {2.0, 2.0, 5.0, 2.0, 5.0, 5.0, 2.0, 9.0}, 8,
     4.0, 2.5071326821120348, 3.5, 6.199999999999999, 8.719999999999999, 2.0},
    {"ten", {10, 1, 9, 2, 8, 3, 7, 4, 6, 5.5}, 10,
     5.55, 3.0226000580809744, 5.75, 9.1, 9.91, 4.5625},
};

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

IA_TEST(stats_against_numpy) {
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const stats_case *k = &cases[c];
        double copy[10];
        ia_bench_stats s;
        memcpy(copy, k->x, sizeof copy);
        CHECK_STATUS(ia_bench_stats_compute(k->x, k->n, &s), IA_OK);
        CHECK_MSG(!memcmp(copy, k->x, sizeof copy), "%s: input modified", k->name);
        CHECK(s.n == k->n);
        CHECK_MSG(close_to(s.mean, k->mean), "%s: mean %.17g want %.17g", k->name, s.mean, k->mean);
        CHECK_MSG(close_to(s.stddev, k->sd), "%s: sd %.17g want %.17g", k->name, s.stddev, k->sd);
        CHECK_MSG(close_to(s.p50, k->p50), "%s: p50 %.17g want %.17g", k->name, s.p50, k->p50);
        CHECK_MSG(close_to(s.p90, k->p90), "%s: p90 %.17g want %.17g", k->name, s.p90, k->p90);
        CHECK_MSG(close_to(s.p99, k->p99), "%s: p99 %.17g want %.17g", k->name, s.p99, k->p99);

        qsort(copy, k->n, sizeof copy[0], cmp_d);
        double p = ia_bench_percentile_sorted(copy, k->n, 37.5);
        CHECK_MSG(close_to(p, k->p37_5), "%s: p37.5 %.17g want %.17g", k->name, p, k->p37_5);
        CHECK(ia_bench_percentile_sorted(copy, k->n, 0) == copy[0]);
        CHECK(ia_bench_percentile_sorted(copy, k->n, 100) == copy[k->n - 1]);
        CHECK(s.min == copy[0] && s.max == copy[k->n - 1]);
    }
}

IA_TEST(stats_rejects_bad_input) {
    double bad[2] = {1.0, NAN}, neg[1] = {-1.0}, ok[1] = {1.0};
    ia_bench_stats s;
    CHECK_STATUS(ia_bench_stats_compute(ok, 0, &s), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_bench_stats_compute(bad, 2, &s), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_bench_stats_compute(neg, 1, &s), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_bench_stats_compute(NULL, 1, &s), IA_ERR_INVALID_ARG);
}

IA_TEST(stats_rates) {
    CHECK(close_to(ia_bench_rate(64, 0.5), 128.0));
    CHECK(close_to(ia_bench_rate(3, 1.5), 2.0));
    CHECK(isnan(ia_bench_rate(3, 0)));
    CHECK(isnan(ia_bench_rate(3, -1)));
    CHECK(isnan(ia_bench_rate(3, INFINITY)));
}

/* On this machine: either a positive energy, or unavailable with a reason.
 * (CI VMs have no /sys/class/powercap; a bare-metal root run measures.) */
IA_TEST(stats_power_here) {
    ia_bench_power p;
    double j, w;
    ia_bench_power_start(&p);
    /* Busy ~50 ms so a real package counter moves (it ticks every ~1 ms). */
    volatile double acc = 0;
    for (long i = 0; i < 20000000 && acc < 1e300; i++) acc += (double)i * 1e-9;
    ia_status st = ia_bench_power_stop(&p, &j, &w);
    if (st == IA_OK) {
        CHECK_MSG(p.available && j > 0 && w > 0, "energy %g J, %g W", j, w);
    } else {
        CHECK_STATUS(st, IA_ERR_UNAVAILABLE);
        CHECK(!p.available);
        CHECK(isnan(j) && isnan(w));
        CHECK_MSG(strlen(p.reason) > 10 && strstr(p.reason, "RAPL"), "reason '%s'", p.reason);
        CHECK(!strcmp(ia_last_error(), p.reason));
    }
}

static int write_file(const char *dir, const char *name, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

static void rm_tree(const char *root) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", root);
}

/* A fake powercap tree: two packages (one wraps), one psys zone and one
 * sub-domain that must not be counted. */
IA_TEST(stats_power_fake_rapl_wraps) {
    char root[] = "/tmp/ia_rapl_XXXXXX", d[256];
    ia_bench_power p;
    double j, w;
    REQUIRE(mkdtemp(root));
    snprintf(d, sizeof d, "%s/intel-rapl:0", root);
    REQUIRE(mkdir(d, 0700) == 0);
    write_file(d, "name", "package-0\n");
    write_file(d, "energy_uj", "999000000\n");
    write_file(d, "max_energy_range_uj", "1000000000\n");
    snprintf(d, sizeof d, "%s/intel-rapl:1", root);
    REQUIRE(mkdir(d, 0700) == 0);
    write_file(d, "name", "package-1\n");
    write_file(d, "energy_uj", "5000000\n");
    write_file(d, "max_energy_range_uj", "1000000000\n");
    snprintf(d, sizeof d, "%s/intel-rapl:2", root);
    REQUIRE(mkdir(d, 0700) == 0);
    write_file(d, "name", "psys\n");
    write_file(d, "energy_uj", "1\n");
    snprintf(d, sizeof d, "%s/intel-rapl:0:0", root);
    REQUIRE(mkdir(d, 0700) == 0);
    write_file(d, "name", "core\n");
    write_file(d, "energy_uj", "1\n");

    ia_bench_power_start_at(&p, root);
    CHECK_MSG(p.available && p.n_domains == 2, "available %d domains %d: %s", p.available,
              p.n_domains, p.reason);
    /* package-0 wraps: 999 J -> 2 J of a 1000 J range = 3 J; package-1: +4 J. */
    snprintf(d, sizeof d, "%s/intel-rapl:0", root);
    write_file(d, "energy_uj", "2000000\n");
    snprintf(d, sizeof d, "%s/intel-rapl:1", root);
    write_file(d, "energy_uj", "9000000\n");
    snprintf(d, sizeof d, "%s/intel-rapl:2", root);
    write_file(d, "energy_uj", "900000000\n");
    CHECK_STATUS(ia_bench_power_stop(&p, &j, &w), IA_OK);
    CHECK_MSG(fabs(j - 7.0) < 1e-9, "joules %g want 7", j);
    CHECK(w > 0);

    char missing[640];
    snprintf(missing, sizeof missing, "%s/none", root);
    ia_bench_power_start_at(&p, missing);
    CHECK(!p.available && strstr(p.reason, "no ") && strstr(p.reason, missing));
    snprintf(d, sizeof d, "%s/empty", root);
    REQUIRE(mkdir(d, 0700) == 0);
    ia_bench_power_start_at(&p, d);
    CHECK_MSG(!p.available && strstr(p.reason, "no intel-rapl package domain"), "%s", p.reason);
    rm_tree(root);
}

IA_TEST(stats_rss) {
    int64_t rss, hwm;
    CHECK_STATUS(ia_bench_rss(&rss, &hwm), IA_OK);
    CHECK_MSG(rss > 1024 * 1024 && hwm >= rss, "rss %lld hwm %lld", (long long)rss, (long long)hwm);
    /* Touch 32 MiB of fresh pages (mmap: malloc may hand back heap pages
     * an earlier test already made resident): the RSS (and its peak) must
     * grow by about that much. */
    size_t big = 32u << 20;
    char *m = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(m != MAP_FAILED);
    memset(m, 1, big);
    int64_t rss2, hwm2;
    CHECK_STATUS(ia_bench_rss(&rss2, &hwm2), IA_OK);
    CHECK_MSG(rss2 - rss > (int64_t)(big / 2), "rss grew by %lld", (long long)(rss2 - rss));
    CHECK(hwm2 >= rss2);
    munmap(m, big);
}
