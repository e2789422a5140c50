/*
 * cmd_registry.c — `ipfs-accelerate registry register|list|search|info|
 * recommend|remove`: the model registry (ia_registry_*) in the benchmark
 * database, on the public API only.
 *
 * Exit status: 0 done; 1 the registry said no (a model that is not
 * registered, a model that does not open, a database that cannot be
 * opened), with the core's message; 2 a usage error.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ipfs_accelerate.h"

#define MAX_LIST 32

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate registry <command> [options]\n"
            "\n"
            "The model registry: which models there are and how they run, kept in the\n"
            "benchmark database beside the measured rows (docs/registry.md).\n"
            "\n"
            "commands:\n"
            "  register [MODEL]  add a model: a directory, a GGUF file or a cached name.\n"
            "                    Family, parameters, precision, bytes and the content\n"
            "                    fingerprint are read from the model; the rest is declared.\n"
            "                    Without MODEL (with --id) the entry is declared only.\n"
            "  list              every registered model\n"
            "  search            models matching the filters below\n"
            "  info ID           one model: registered fields, declared hardware and the\n"
            "                    performance measured by `ipfs-accelerate bench`\n"
            "  recommend ID      how to deploy it on this machine: from measured rows of\n"
            "                    this model on this machine, else a heuristic labelled so\n"
            "  remove ID         remove an entry (its benchmark rows stay)\n"
            "\n"
            "every command:\n"
            "  --db PATH         database (default $IA_BENCH_DB, else\n"
            "                    ~/.cache/ipfs_accelerate/benchmark_db.duckdb)\n"
            "  --json            print JSON (the core's answer as is)\n"
            "  -h, --help        this help\n"
            "\n"
            "register:\n"
            "  --id ID           registry id (default: the model's name)\n"
            "  --task T          e.g. feature-extraction, text-generation\n"
            "  --family F        checked against the model's own family; declared without MODEL\n"
            "  --licence L       --source S (default: the model's directory)\n"
            "  --description D   --cid CID (IPFS CID text: Qm... or b...)\n"
            "  --metadata JSON   a JSON object kept as given\n"
            "  --hardware JSON   declared compatibility, e.g. '{\"cuda\": {\"supported\": true,\n"
            "                    \"performance_score\": 0.9, \"recommended_batch_size\": 32,\n"
            "                    \"recommended_precision\": \"fp16\"}}' (stored as declared,\n"
            "                    never taken for a measurement)\n"
            "  --parameters N    --precision P: only without MODEL (declared)\n"
            "  --replace         replace an entry with the same id\n"
            "\n"
            "search (every filter given must hold):\n"
            "  --task T          --family F[,F...]\n"
            "  --min-params N    --max-params N (N may end in K, M or B)\n"
            "  --hardware H[,H...] models measured on any of these device kinds (rows that\n"
            "                    ran, on any machine)\n"
            "  --declared        ... or declared supported on it\n"
            "  --min-score X     a declared performance_score >= X (on --hardware if given)\n"
            "\n"
            "recommend:\n"
            "  --latency MS      p50 latency per call to stay within\n"
            "  --hardware H[,H...] device kinds to consider (default: every one that runs\n"
            "                    here); those that do not run here are listed with the reason\n"
            "  --batch-min N     --batch-max N\n");
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "ipfs-accelerate: registry: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (ipfs-accelerate registry --help)\n");
    return 2;
}

/* Splits "a,b" in place; 0 after saying so when there are too many. */
static size_t split(char *s, const char **out) {
    size_t n = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (n == MAX_LIST) {
            fprintf(stderr, "ipfs-accelerate: registry: at most %d comma-separated values\n", MAX_LIST);
            return 0;
        }
        out[n++] = tok;
    }
    return n;
}

/* "110000000", "110M", "1.5B", "22k" -> a count; -1 when malformed. */
static int64_t parse_count(const char *s) {
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno || !(v >= 0)) return -1;
    if (*end == 'k' || *end == 'K') v *= 1e3, end++;
    else if (*end == 'm' || *end == 'M') v *= 1e6, end++;
    else if (*end == 'b' || *end == 'B' || *end == 'g' || *end == 'G') v *= 1e9, end++;
    if (*end || v > 9e18) return -1;
    return (int64_t)llround(v);
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* str() for printing: "?" when absent. */
static const char *sq(const cJSON *o, const char *k) {
    const char *v = str(o, k);
    return v ? v : "?";
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void join_strings(const cJSON *arr, char *buf, size_t cap) {
    const cJSON *v;
    size_t len = 0;
    buf[0] = '\0';
    cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? "," : "", v->valuestring);
}

static void join_keys(const cJSON *obj, char *buf, size_t cap) {
    const cJSON *v;
    size_t len = 0;
    buf[0] = '\0';
    cJSON_ArrayForEach(v, obj) if (len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? "," : "", v->string);
}

/* "22.7M", "1.50B"; "?" when unknown. */
static const char *params_text(double p, char *buf, size_t cap) {
    if (!(p > 0)) snprintf(buf, cap, "?");
    else if (p >= 1e9) snprintf(buf, cap, "%.2fB", p / 1e9);
    else snprintf(buf, cap, "%.1fM", p / 1e6);
    return buf;
}

static void print_table(const cJSON *models) {
    const cJSON *m;
    if (cJSON_GetArraySize(models) == 0) {
        printf("no models\n");
        return;
    }
    printf("%-32s %-8s %-20s %-11s %-10s %-16s %s\n", "model_id", "family", "task", "parameters", "precision",
           "measured on", "declared for");
    cJSON_ArrayForEach(m, models) {
        char measured[256], declared[256], ptext[32];
        const cJSON *meas = cJSON_GetObjectItemCaseSensitive(m, "measured");
        double p = num(m, "parameters");
        join_strings(cJSON_GetObjectItemCaseSensitive(meas, "hardware"), measured, sizeof measured);
        join_keys(cJSON_GetObjectItemCaseSensitive(m, "declared_hardware"), declared, sizeof declared);
        printf("%-32s %-8s %-20s %-11s %-10s %-16s %s\n", sq(m, "model_id"), str(m, "family") ? str(m, "family") : "?",
               str(m, "task") ? str(m, "task") : "-", params_text(p, ptext, sizeof ptext),
               str(m, "precision") ? str(m, "precision") : "?", measured[0] ? measured : "-",
               declared[0] ? declared : "-");
    }
}

static void print_info(const cJSON *e) {
    static const char *const fields[] = {"model_id", "family", "task", "parameters", "precision", "bytes", "licence",
                                         "source", "description", "cid", "registered_at", "model_fingerprint"};
    const cJSON *meas = cJSON_GetObjectItemCaseSensitive(e, "measured"), *g, *d;
    const cJSON *read = cJSON_GetObjectItemCaseSensitive(e, "read_from_model");
    char *meta;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, fields[i]);
        const cJSON *r;
        int from_model = 0;
        if (!v || cJSON_IsNull(v)) continue;
        cJSON_ArrayForEach(r, read) from_model |= cJSON_IsString(r) && strcmp(r->valuestring, fields[i]) == 0;
        if (cJSON_IsNumber(v)) printf("%-18s %.0f", fields[i], v->valuedouble);
        else printf("%-18s %s", fields[i], cJSON_IsString(v) ? v->valuestring : "");
        printf("%s\n", from_model ? "  (read from the model)" : "");
    }
    meta = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "metadata"));
    if (meta && strcmp(meta, "{}") != 0) printf("%-18s %s\n", "metadata", meta);
    free(meta);
    d = cJSON_GetObjectItemCaseSensitive(e, "declared_hardware");
    if (cJSON_GetArraySize(d) > 0) {
        printf("\ndeclared hardware (as registered; not measured):\n");
        cJSON_ArrayForEach(g, d) {
            char *o = cJSON_PrintUnformatted(g);
            printf("  %-10s %s\n", g->string, o ? o : "");
            free(o);
        }
    }
    printf("\nmeasured (benchmark rows; this machine is %s):\n", str(meas, "machine_id") ? str(meas, "machine_id") : "?");
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meas, "performance")) == 0) {
        printf("  nothing measured yet: ipfs-accelerate bench --model %s\n",
               str(e, "source") ? str(e, "source") : str(e, "model_id"));
    } else {
        printf("  %-10s %-8s %-9s %6s %6s %12s %10s %5s  %s\n", "device", "kind", "precision", "batch", "seq",
               "best rate", "p50 ms", "rows", "machine");
        cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(meas, "performance")) {
            int gen = str(g, "kind") && strcmp(str(g, "kind"), "generate") == 0;
            double rate = num(g, gen ? "best_gen_tokens_per_s" : "best_items_per_s");
            printf("  %-10s %-8s %-9s %6.0f %6.0f %9.1f %-2s %10.2f %5.0f  %s%s\n", sq(g, "device"), sq(g, "kind"),
                   sq(g, "precision"), num(g, "batch"), num(g, "seq_len"), rate, gen ? "t/s" : "/s",
                   num(g, "latency_ms_p50"), num(g, "rows"),
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "this_machine")) ? "this" : "other",
                   strcmp(str(g, "matched_by") ? str(g, "matched_by") : "", "name") == 0 ? " (matched by name)" : "");
        }
    }
    if (num(meas, "rows_other_content") > 0)
        printf("  %.0f row(s) under this name measured other weights (another fingerprint): not counted\n",
               num(meas, "rows_other_content"));
}

static void print_recommendation(const cJSON *r) {
    const cJSON *u;
    const char *basis = str(r, "basis");
    printf("basis      %s%s\n", basis ? basis : "?",
           basis && strcmp(basis, "heuristic") == 0 ? " (a guess: nothing measured for it on this machine)" : "");
    printf("device     %s\n", str(r, "device") ? str(r, "device") : "none");
    if (str(r, "device")) {
        printf("precision  %s (%s)\n", str(r, "precision") ? str(r, "precision") : "?",
               str(r, "precision_basis") ? str(r, "precision_basis") : "?");
        printf("batch      %.0f (%s)\n", num(r, "batch"), str(r, "batch_basis") ? str(r, "batch_basis") : "?");
        if (num(r, "expected_items_per_s") > 0)
            printf("expected   %.1f items/s, p50 %.2f ms per call\n", num(r, "expected_items_per_s"),
                   num(r, "expected_latency_ms_p50"));
        else if (num(r, "expected_gen_tokens_per_s") > 0)
            printf("expected   %.1f generated tokens/s, p50 %.2f ms per call\n", num(r, "expected_gen_tokens_per_s"),
                   num(r, "expected_latency_ms_p50"));
        else
            printf("expected   unknown (not measured here)\n");
    }
    printf("why        %s\n", str(r, "why") ? str(r, "why") : "");
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(r, "unusable"))
        printf("not here   %s: %s\n", sq(u, "hardware"), sq(u, "reason"));
}

/* Prints the core's JSON as is (--json), else through `human`. */
static int show(const char *json, int as_json, void (*human)(const cJSON *)) {
    cJSON *parsed;
    if (as_json) {
        printf("%s\n", json);
        return 0;
    }
    if (!(parsed = cJSON_Parse(json))) {
        fprintf(stderr, "ipfs-accelerate: registry: unreadable answer from the core\n");
        return 1;
    }
    human(parsed);
    cJSON_Delete(parsed);
    return 0;
}

int ia_cmd_registry(int argc, char **argv) {
    const char *cmd, *db = NULL, *target = NULL;
    const char *families[MAX_LIST], *hardware[MAX_LIST];
    int as_json = 0, rc, flags;
    ia_registry_entry e;
    ia_registry_query q;
    ia_registry_target t;
    ia_registry *reg = NULL;
    char *out = NULL;
    ia_status st;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "register") && strcmp(cmd, "list") && strcmp(cmd, "search") && strcmp(cmd, "info") &&
        strcmp(cmd, "recommend") && strcmp(cmd, "remove"))
        return usage_error("unknown command '%s'", cmd);
    IA_REGISTRY_ENTRY_INIT(&e);
    IA_REGISTRY_QUERY_INIT(&q);
    IA_REGISTRY_TARGET_INIT(&t);

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int reg_opt = !strcmp(cmd, "register"), search_opt = !strcmp(cmd, "search"), rec_opt = !strcmp(cmd, "recommend");
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            as_json = 1;
            continue;
        } else if (reg_opt && !strcmp(a, "--replace")) {
            e.replace = 1;
            continue;
        } else if (search_opt && !strcmp(a, "--declared")) {
            q.include_declared = 1;
            continue;
        } else if (a[0] != '-') {
            if (target) return usage_error("one model at a time ('%s' is one too many)", a);
            target = a;
            continue;
        } else if (!val) {
            return usage_error("%s needs a value (or is not an option of this command)", a);
        } else if (!strcmp(a, "--db")) {
            db = val;
        } else if (reg_opt && !strcmp(a, "--id")) {
            e.model_id = val;
        } else if (reg_opt && !strcmp(a, "--task")) {
            e.task = val;
        } else if (reg_opt && !strcmp(a, "--family")) {
            e.family = val;
        } else if (reg_opt && !strcmp(a, "--licence")) {
            e.licence = val;
        } else if (reg_opt && !strcmp(a, "--source")) {
            e.source = val;
        } else if (reg_opt && !strcmp(a, "--description")) {
            e.description = val;
        } else if (reg_opt && !strcmp(a, "--cid")) {
            e.cid = val;
        } else if (reg_opt && !strcmp(a, "--metadata")) {
            e.metadata_json = val;
        } else if (reg_opt && !strcmp(a, "--hardware")) {
            e.hardware_json = val;
        } else if (reg_opt && !strcmp(a, "--parameters")) {
            if ((e.parameters = parse_count(val)) < 0) return usage_error("--parameters: '%s' is not a count", val);
        } else if (reg_opt && !strcmp(a, "--precision")) {
            e.precision = val;
        } else if (search_opt && !strcmp(a, "--task")) {
            q.task = val;
        } else if (search_opt && !strcmp(a, "--family")) {
            if (!(q.n_families = split(val, families))) return 2;
            q.families = families;
        } else if (search_opt && !strcmp(a, "--min-params")) {
            if ((q.min_parameters = parse_count(val)) < 0) return usage_error("--min-params: '%s' is not a count", val);
        } else if (search_opt && !strcmp(a, "--max-params")) {
            if ((q.max_parameters = parse_count(val)) < 0) return usage_error("--max-params: '%s' is not a count", val);
        } else if (search_opt && !strcmp(a, "--min-score")) {
            char *end;
            q.min_performance_score = strtod(val, &end);
            if (end == val || *end || !(q.min_performance_score >= 0 && q.min_performance_score <= 1))
                return usage_error("--min-score: '%s' is not a number in [0, 1]", val);
        } else if ((search_opt || rec_opt) && !strcmp(a, "--hardware")) {
            size_t n = split(val, hardware);
            if (!n) return 2;
            q.hardware = t.hardware = hardware;
            q.n_hardware = t.n_hardware = n;
        } else if (rec_opt && !strcmp(a, "--latency")) {
            char *end;
            t.max_latency_ms = strtod(val, &end);
            if (end == val || *end || !(t.max_latency_ms > 0)) return usage_error("--latency: '%s' is not a positive number of ms", val);
        } else if (rec_opt && !strcmp(a, "--batch-min")) {
            if ((t.min_batch = ia_cli_parse_int(a, val, 1, 1 << 20)) < 0) return 2;
        } else if (rec_opt && !strcmp(a, "--batch-max")) {
            if ((t.max_batch = ia_cli_parse_int(a, val, 1, 1 << 20)) < 0) return 2;
        } else {
            fprintf(stderr, "ipfs-accelerate: registry %s: unknown option %s (ipfs-accelerate registry --help)\n", cmd, a);
            return 2;
        }
        i++; /* the option's value */
    }
    if (t.min_batch && t.max_batch && t.min_batch > t.max_batch)
        return usage_error("--batch-min is above --batch-max%s", "");
    if (!strcmp(cmd, "register")) {
        if (!target && !e.model_id) return usage_error("register needs a MODEL (or --id for a declared-only entry)%s", "");
        e.model_path = target;
    } else if (!strcmp(cmd, "list") || !strcmp(cmd, "search")) {
        if (target) return usage_error("%s takes no model name", cmd);
    } else if (!target) {
        return usage_error("%s needs a model id", cmd);
    }

    /* Only register creates a database; reading one that is not there
     * finds nothing. */
    flags = !strcmp(cmd, "register") ? 0 : IA_REGISTRY_OPEN_EXISTING;
    st = ia_registry_open(db, flags, &reg);
    if (st == IA_ERR_NOT_FOUND && (!strcmp(cmd, "list") || !strcmp(cmd, "search"))) {
        if (as_json) printf("[]\n");
        else printf("no models (%s)\n", ia_last_error());
        return 0;
    }
    if (st != IA_OK) {
        char what[64];
        snprintf(what, sizeof what, "registry %s", cmd);
        return ia_cli_fail(what);
    }
    if (!strcmp(cmd, "register")) st = ia_registry_register(reg, &e, &out);
    else if (!strcmp(cmd, "list")) st = ia_registry_search(reg, NULL, &out);
    else if (!strcmp(cmd, "search")) st = ia_registry_search(reg, &q, &out);
    else if (!strcmp(cmd, "info")) st = ia_registry_info(reg, target, &out);
    else if (!strcmp(cmd, "recommend")) st = ia_registry_recommend(reg, target, &t, &out);
    else st = ia_registry_remove(reg, target);
    ia_registry_close(reg);
    if (st != IA_OK) {
        char what[64];
        snprintf(what, sizeof what, "registry %s", cmd);
        return ia_cli_fail(what);
    }
    if (!strcmp(cmd, "remove")) {
        if (as_json) printf("{\"removed\":true}\n");
        else printf("removed %s\n", target);
        return 0;
    }
    if (!strcmp(cmd, "register") && !as_json) {
        cJSON *r = cJSON_Parse(out);
        printf("registered %s\n", str(r, "model_id") ? str(r, "model_id") : "?");
        cJSON_Delete(r);
        rc = show(out, 0, print_info);
    } else if (!strcmp(cmd, "info") || !strcmp(cmd, "register")) {
        rc = show(out, as_json, print_info);
    } else if (!strcmp(cmd, "recommend")) {
        rc = show(out, as_json, print_recommendation);
    } else {
        rc = show(out, as_json, print_table);
    }
    ia_free(out);
    return rc;
}
