/*
 * import_rows.c — an exported results file (CSV or JSON) read back into
 * rows of text cells, each checked against its column's type.
 *
 * The file is hostile until checked: its size is capped, every cell is
 * parsed whole (an integer in range, a number with nothing after it, a
 * timestamp that is a real date, UTF-8 text), and the first bad cell stops
 * the read with the line and the field named. Nothing here touches a
 * database: store_import.c inserts only rows that passed.
 *
 * CSV is read as DuckDB's COPY writes it (RFC 4180, header first): an
 * empty unquoted field is NULL, "" is the empty string. JSON is either the
 * array `ipfs-accelerate results --format json` prints or one object per
 * line (DuckDB's COPY ... (FORMAT JSON)); null is NULL, numbers stay
 * numbers (printed back with 17 digits, so a double keeps every bit).
 */
#include "bench/import_rows.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mapped_file.h"

/* The export's columns (store_query.c ALL_COLUMNS), with the DuckDB types
 * of store_schema.c. A test checks this list against a real export's
 * header, so the two cannot drift apart silently. */
const ia_export_col ia_export_columns[] = {
    {"id", IA_COL_BIGINT, 0},
    {"run_id", IA_COL_BIGINT, 1},
    {"started_at", IA_COL_TIMESTAMP, 1},
    {"version", IA_COL_VARCHAR, 1},
    {"git_commit", IA_COL_VARCHAR, 1},
    {"threads", IA_COL_INTEGER, 1},
    {"model", IA_COL_VARCHAR, 0},
    {"backend", IA_COL_VARCHAR, 0},
    {"precision", IA_COL_VARCHAR, 0},
    {"batch", IA_COL_INTEGER, 0},
    {"seq_len", IA_COL_INTEGER, 0},
    {"iterations", IA_COL_INTEGER, 0},
    {"warmup", IA_COL_INTEGER, 0},
    {"latency_ms_mean", IA_COL_DOUBLE, 0},
    {"latency_ms_stddev", IA_COL_DOUBLE, 0},
    {"latency_ms_p50", IA_COL_DOUBLE, 0},
    {"latency_ms_p90", IA_COL_DOUBLE, 0},
    {"latency_ms_p99", IA_COL_DOUBLE, 0},
    {"items_per_s", IA_COL_DOUBLE, 0},
    {"tokens_per_s", IA_COL_DOUBLE, 0},
    {"rss_delta_bytes", IA_COL_DOUBLE, 0},
    {"model_bytes", IA_COL_DOUBLE, 0},
    {"energy_j", IA_COL_DOUBLE, 0},
    {"power_w", IA_COL_DOUBLE, 0},
    {"power_reason", IA_COL_VARCHAR, 0},
    {"skipped_reason", IA_COL_VARCHAR, 0},
    {"run_status", IA_COL_VARCHAR, 1},
    {"model_fingerprint", IA_COL_VARCHAR, 0},
    {"machine_id", IA_COL_VARCHAR, 0},
    {"kind", IA_COL_VARCHAR, 0},
    {"threads_used", IA_COL_INTEGER, 0},
    {"gen_tokens", IA_COL_INTEGER, 0},
    {"n_ctx", IA_COL_INTEGER, 0},
    {"prompt_tokens_per_s", IA_COL_DOUBLE, 0},
    {"prompt_tokens_per_s_stddev", IA_COL_DOUBLE, 0},
    {"gen_tokens_per_s", IA_COL_DOUBLE, 0},
    {"gen_tokens_per_s_stddev", IA_COL_DOUBLE, 0},
    {"ttft_ms", IA_COL_DOUBLE, 0},
    {"ttft_ms_stddev", IA_COL_DOUBLE, 0},
    {"kv_cache_bytes", IA_COL_DOUBLE, 0},
};
const size_t ia_n_export_columns = sizeof ia_export_columns / sizeof ia_export_columns[0];
#define NCOL (sizeof ia_export_columns / sizeof ia_export_columns[0])

/* Larger than any benchmark database's export we have seen by far (a row
 * is ~600 bytes); a cap keeps a hostile file from taking the memory. */
#define MAX_FILE_BYTES ((size_t)256 << 20)

int ia_export_column_index(const char *name) {
    for (size_t i = 0; i < NCOL; i++)
        if (!strcmp(name, ia_export_columns[i].name)) return (int)i;
    return -1;
}

/* ---------------------------------------------------------- cell checks */

static int utf8_valid(const unsigned char *s) {
    while (*s) {
        unsigned c = *s, n, cp;
        if (c < 0x80) { s++; continue; }
        if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07;
        else return 0;
        for (unsigned k = 1; k <= n; k++) {
            if ((s[k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[k] & 0x3f);
        }
        /* overlong forms, surrogates, past U+10FFFF */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

static int digits(const char *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int num2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* DuckDB's text form of a TIMESTAMP as it exports one: YYYY-MM-DD
 * HH:MM:SS with an optional fraction of 1-6 digits, and a real date. */
static int timestamp_valid(const char *s) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t len = strlen(s);
    int y, mo, d, leap;
    if (len < 19 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        s[10] != ' ' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return 0;
    if (len > 19 && (s[19] != '.' || len < 21 || len > 26 || !digits(s + 20, (int)(len - 20)))) return 0;
    y = num2(s) * 100 + num2(s + 2), mo = num2(s + 5), d = num2(s + 8);
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap)) return 0;
    return num2(s + 11) < 24 && num2(s + 14) < 60 && num2(s + 17) < 60;
}

/* NULL when text is a valid value of the type, else what it should be. */
static const char *check_text(ia_col_type t, const char *s) {
    char *end;
    switch (t) {
    case IA_COL_BIGINT:
    case IA_COL_INTEGER: {
        long long v;
        const char *q = s + (*s == '-');
        if (!*q || !digits(q, (int)strlen(q))) return "an integer";
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || *end) return "an integer in range";
        if (t == IA_COL_INTEGER && (v < INT32_MIN || v > INT32_MAX)) return "a 32-bit integer";
        return NULL;
    }
    case IA_COL_DOUBLE:
        /* strtod alone would take leading blanks and hexadecimal floats,
         * neither of which an export holds; inf and nan it does (DuckDB
         * writes a non-finite double so). */
        if (!*s || strchr(s, 'x') || strchr(s, 'X') || (*s != '-' && *s != '+' && *s != '.' && *s != 'i' &&
                                                         *s != 'n' && (*s < '0' || *s > '9')))
            return "a number";
        strtod(s, &end);
        return *end ? "a number" : NULL;
    case IA_COL_TIMESTAMP:
        return timestamp_valid(s) ? NULL : "a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])";
    case IA_COL_VARCHAR:
        return utf8_valid((const unsigned char *)s) ? NULL : "UTF-8 text";
    }
    return "a value";
}

/* ------------------------------------------------------------ row table */

typedef struct reader {
    const char *path;
    ia_import_rows *out;
    size_t cap;
} reader;

/* A new row of NULL cells, starting on `line`; NULL when out of memory. */
static char **new_row(reader *r, size_t line) {
    ia_import_rows *o = r->out;
    if (o->n_rows == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        char **cells = realloc(o->cells, cap * NCOL * sizeof *cells);
        if (!cells) return NULL;
        o->cells = cells;
        size_t *lines = realloc(o->line, cap * sizeof *lines);
        if (!lines) return NULL;
        o->line = lines;
        r->cap = cap;
    }
    char **row = o->cells + o->n_rows * NCOL;
    memset(row, 0, NCOL * sizeof *row);
    o->line[o->n_rows++] = line;
    return row;
}

static ia_status bad_cell(reader *r, size_t line, int col, const char *want, const char *got) {
    /* at most 40 bytes of the offending text: enough to recognise it */
    return ia_error(IA_ERR_FORMAT, "%s: line %zu, field %s: \"%.40s%s\" is not %s", r->path, line,
                    ia_export_columns[col].name, got, strlen(got) > 40 ? "..." : "", want);
}

/* The header or the JSON keys: known names, each once, model, backend and
 * precision among them. */
static ia_status check_columns(reader *r) {
    static const char *const required[] = {"model", "backend", "precision"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!r->out->present[ia_export_column_index(required[i])])
            return ia_error(IA_ERR_FORMAT, "%s: no %s column (an export of ipfs-accelerate results has one)", r->path,
                            required[i]);
    return IA_OK;
}

static ia_status add_column(reader *r, size_t line, const char *name, int *idx) {
    *idx = ia_export_column_index(name);
    if (*idx < 0)
        return ia_error(IA_ERR_FORMAT, "%s: line %zu: \"%.40s\" is not a column of a results export", r->path, line,
                        name);
    if (r->out->present[*idx])
        return ia_error(IA_ERR_FORMAT, "%s: line %zu: column %s appears twice", r->path, line, name);
    r->out->present[*idx] = 1;
    return IA_OK;
}

/* ------------------------------------------------------------------ CSV */

typedef struct sbuf { char *p; size_t n, cap; } sbuf;

static int sb_put(sbuf *b, char c) {
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char *q = realloc(b->p, cap);
        if (!q) return 0;
        b->p = q, b->cap = cap;
    }
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
    return 1;
}

typedef struct csv {
    const char *p, *end;
    size_t line;
} csv;

/* One field into b; *quoted says whether it was; *eor = 1 when the record
 * ended after it (newline or end of file). `name` names the field in
 * errors (its column, or its position in the header). */
static ia_status csv_field(reader *r, csv *c, sbuf *b, const char *name, int *quoted, int *eor) {
    size_t start = c->line;
    if (!b->p && !sb_put(b, 'x')) goto oom; /* an empty field is "", never a NULL pointer */
    b->n = 0;
    b->p[0] = '\0';
    *quoted = c->p < c->end && *c->p == '"';
    *eor = 0;
    if (*quoted) {
        for (c->p++;; c->p++) {
            if (c->p == c->end)
                return ia_error(IA_ERR_FORMAT, "%s: line %zu, field %s: a quoted field that never ends", r->path,
                                start, name);
            if (*c->p == '"') {
                if (c->p + 1 < c->end && c->p[1] == '"') {
                    c->p++;
                } else {
                    c->p++;
                    break;
                }
            } else if (*c->p == '\n') {
                c->line++;
            }
            if (!sb_put(b, *c->p)) goto oom;
        }
    } else {
        for (; c->p < c->end && *c->p != ',' && *c->p != '\n'; c->p++) {
            if (*c->p == '"')
                return ia_error(IA_ERR_FORMAT, "%s: line %zu, field %s: a quote inside an unquoted field", r->path,
                                c->line, name);
            if (*c->p == '\r' && !(c->p + 1 < c->end && c->p[1] == '\n'))
                return ia_error(IA_ERR_FORMAT, "%s: line %zu, field %s: a carriage return inside an unquoted field",
                                r->path, c->line, name);
            if (*c->p == '\r') continue; /* \r\n ends the record below */
            if (!sb_put(b, *c->p)) goto oom;
        }
    }
    if (c->p == c->end) {
        *eor = 1;
    } else if (*c->p == ',') {
        c->p++;
    } else if (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
        c->p += *c->p == '\r' ? 2 : 1;
        c->line++;
        *eor = 1;
    } else {
        return ia_error(IA_ERR_FORMAT, "%s: line %zu, field %s: text after a closing quote", r->path, c->line,
                        name);
    }
    return IA_OK;
oom:
    return ia_error(IA_ERR_NOMEM, "%s: out of memory reading the CSV", r->path);
}

static ia_status read_csv(reader *r, const char *text, size_t len) {
    csv c = {text, text + len, 1};
    sbuf b = {0};
    int map[NCOL], ncols = 0, quoted, eor = 0;
    ia_status st = IA_OK;

    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) c.p += 3; /* a byte-order mark from a spreadsheet */
    if (c.p == c.end) {
        st = ia_error(IA_ERR_FORMAT, "%s: empty file (a results CSV starts with its header)", r->path);
        goto done;
    }
    while (!eor) {
        if (ncols == (int)NCOL) {
            st = ia_error(IA_ERR_FORMAT, "%s: line 1: more than the %zu columns of a results export", r->path, NCOL);
            goto done;
        }
        char pos[24];
        snprintf(pos, sizeof pos, "%d", ncols + 1);
        if ((st = csv_field(r, &c, &b, pos, &quoted, &eor)) != IA_OK) goto done;
        if ((st = add_column(r, 1, b.p, &map[ncols])) != IA_OK) goto done;
        ncols++;
    }
    if ((st = check_columns(r)) != IA_OK) goto done;

    while (c.p < c.end) {
        size_t line = c.line;
        char **row = new_row(r, line);
        int n = 0;
        if (!row) goto oom;
        for (eor = 0; !eor; n++) {
            const char *name = n < ncols ? ia_export_columns[map[n]].name : "past the header's";
            if ((st = csv_field(r, &c, &b, name, &quoted, &eor)) != IA_OK) goto done;
            if (n >= ncols) continue; /* counted, reported below */
            int col = map[n];
            if (!quoted && b.n == 0) continue; /* NULL */
            const char *want = check_text(ia_export_columns[col].type, b.p);
            if (want) {
                st = bad_cell(r, line, col, want, b.p);
                goto done;
            }
            if (!(row[col] = strdup(b.p))) goto oom;
        }
        if (n != ncols) {
            st = ia_error(IA_ERR_FORMAT, "%s: line %zu: %d fields, the header has %d", r->path, line, n, ncols);
            goto done;
        }
    }
    goto done;
oom:
    st = ia_error(IA_ERR_NOMEM, "%s: out of memory reading the CSV", r->path);
done:
    free(b.p);
    return st;
}

/* ----------------------------------------------------------------- JSON */

/* The line of byte `at` in text (1-based). */
static size_t line_of(const char *text, const char *at) {
    size_t line = 1;
    for (const char *p = text; p < at; p++) line += *p == '\n';
    return line;
}

/* The lines on which the top-level array's elements start, so an error in
 * row k names where that row is (cJSON keeps no positions). */
static size_t *element_lines(const char *text, size_t len, size_t n) {
    size_t *lines = calloc(n ? n : 1, sizeof *lines), k = 0, line = 1;
    int depth = 0, in_str = 0;
    if (!lines) return NULL;
    for (size_t i = 0; i < len && k < n; i++) {
        char ch = text[i];
        if (ch == '\n') line++;
        if (in_str) {
            if (ch == '\\') i++;
            else if (ch == '"') in_str = 0;
            continue;
        }
        if (ch == '"') {
            in_str = 1;
            if (depth == 1) lines[k++] = line; /* a string element */
        } else if (ch == '[' || ch == '{') {
            if (depth++ == 1) lines[k++] = line;
        } else if (ch == ']' || ch == '}') {
            depth--;
        } else if (depth == 1 && ch != ',' && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
            lines[k++] = line; /* a number, true, false or null element */
            while (i + 1 < len && text[i + 1] != ',' && text[i + 1] != ']' && text[i + 1] != '\n') i++;
        }
    }
    return lines;
}

/* One JSON object as a row; `line` is where it starts. The first object
 * fixes the columns; every later one must have the same keys (an export
 * writes them all, nulls included). */
static ia_status json_row(reader *r, const cJSON *obj, size_t line, int first) {
    const cJSON *v;
    char **row;
    char num[40];
    int seen[NCOL] = {0};
    ia_status st;
    if (!cJSON_IsObject(obj)) return ia_error(IA_ERR_FORMAT, "%s: line %zu: a row is not a JSON object", r->path, line);
    if (!(row = new_row(r, line))) return ia_error(IA_ERR_NOMEM, "%s: out of memory reading the JSON", r->path);
    cJSON_ArrayForEach(v, obj) {
        int col;
        const char *text, *want = NULL;
        if (first) {
            if ((st = add_column(r, line, v->string, &col)) != IA_OK) return st;
        } else if ((col = ia_export_column_index(v->string)) < 0 || !r->out->present[col]) {
            return ia_error(IA_ERR_FORMAT, "%s: line %zu: field \"%.40s\" is not in the first row", r->path, line,
                            v->string);
        }
        if (seen[col]++)
            return ia_error(IA_ERR_FORMAT, "%s: line %zu: field %s appears twice", r->path, line, v->string);
        if (cJSON_IsNull(v)) continue;
        switch (ia_export_columns[col].type) {
        case IA_COL_BIGINT:
        case IA_COL_INTEGER:
            /* integral and exactly representable: below 2^53 */
            if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 9007199254740992.0)
                want = "an integer";
            else
                snprintf(num, sizeof num, "%.0f", v->valuedouble);
            break;
        case IA_COL_DOUBLE:
            /* 17 significant digits give the double back bit for bit */
            if (!cJSON_IsNumber(v)) want = "a number";
            else snprintf(num, sizeof num, "%.17g", v->valuedouble);
            break;
        default:
            if (!cJSON_IsString(v)) want = "a string";
        }
        text = cJSON_IsString(v) ? v->valuestring : num;
        if (!want) want = check_text(ia_export_columns[col].type, text);
        if (want) {
            char *shown = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
            st = bad_cell(r, line, col, want, shown ? shown : text);
            cJSON_free(shown);
            return st;
        }
        if (!(row[col] = strdup(text))) return ia_error(IA_ERR_NOMEM, "%s: out of memory reading the JSON", r->path);
    }
    if (first) return check_columns(r);
    for (size_t c = 0; c < NCOL; c++)
        if (r->out->present[c] && !seen[c])
            return ia_error(IA_ERR_FORMAT, "%s: line %zu: field %s is missing (the first row has it)", r->path, line,
                            ia_export_columns[c].name);
    return IA_OK;
}

/* Parses text[0, len) as one JSON value; a syntax error names its line
 * (counted from base, the start of the file). */
static ia_status parse_json(reader *r, const char *text, size_t len, const char *base, cJSON **out) {
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!*out)
        return ia_error(IA_ERR_FORMAT, "%s: line %zu: not valid JSON", r->path,
                        line_of(base, end && end >= text && end <= text + len ? end : text));
    return IA_OK;
}

static ia_status read_json(reader *r, const char *text, size_t len) {
    const char *p = text, *end = text + len;
    ia_status st = IA_OK;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    if (p == end) return IA_OK; /* DuckDB's JSON export of no rows is an empty file */
    if (*p == '[') {
        cJSON *arr = NULL, *el;
        size_t *lines, k = 0;
        if ((st = parse_json(r, text, len, text, &arr)) != IA_OK) return st;
        if (!cJSON_IsArray(arr)) {
            cJSON_Delete(arr);
            return ia_error(IA_ERR_FORMAT, "%s: line 1: not a JSON array of rows", r->path);
        }
        if (!(lines = element_lines(text, len, (size_t)cJSON_GetArraySize(arr)))) {
            cJSON_Delete(arr);
            return ia_error(IA_ERR_NOMEM, "%s: out of memory reading the JSON", r->path);
        }
        cJSON_ArrayForEach(el, arr) {
            if ((st = json_row(r, el, lines[k], k == 0)) != IA_OK) break;
            k++;
        }
        free(lines);
        cJSON_Delete(arr);
        return st;
    }
    if (*p != '{') return ia_error(IA_ERR_FORMAT, "%s: line %zu: not JSON rows (an array, or one object per line)",
                                   r->path, line_of(text, p));
    /* one object per line */
    for (size_t line = 1, k = 0; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;
        const char *stop = nl ? nl : end;
        while (q < stop && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        if (q < stop) {
            cJSON *obj = NULL;
            if ((st = parse_json(r, q, (size_t)(stop - q), text, &obj)) != IA_OK) return st;
            st = json_row(r, obj, line, k++ == 0);
            cJSON_Delete(obj);
            if (st != IA_OK) return st;
        }
        p = nl ? nl + 1 : end;
    }
    return IA_OK;
}

/* ------------------------------------------------------------ row rules */

static int same(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static int col(const char *name) { return ia_export_column_index(name); }

/* Which run of the file each row belongs to: group[i] = the index of the
 * first row of row i's run. Rows without a run_id column are one run. The
 * rows of a run must agree on the run's columns. */
static ia_status group_runs(const ia_import_rows *r, const char *path, size_t *group) {
    int c_run = col("run_id");
    for (size_t i = 0; i < r->n_rows; i++) {
        const char *id = ia_import_cell(r, i, c_run);
        group[i] = i;
        if (r->present[c_run] && !id)
            return ia_error(IA_ERR_FORMAT, "%s: line %zu, field run_id: empty (every row belongs to a run)", path,
                            r->line[i]);
        /* rows of a run are usually together: try the previous row first */
        if (i > 0 && same(id, ia_import_cell(r, i - 1, c_run))) {
            group[i] = group[i - 1];
        } else {
            for (size_t j = 0; j < i; j++)
                if (group[j] == j && same(id, ia_import_cell(r, j, c_run))) {
                    group[i] = j;
                    break;
                }
        }
        for (size_t c = 0; c < NCOL; c++)
            if (ia_export_columns[c].of_run && !same(ia_import_cell(r, i, (int)c), ia_import_cell(r, group[i], (int)c)))
                return ia_error(IA_ERR_FORMAT, "%s: line %zu, field %s: differs from line %zu's, which is of the "
                                "same run", path, r->line[i], ia_export_columns[c].name, r->line[group[i]]);
    }
    return IA_OK;
}

int ia_bench_kind_known(const char *kind) {
    return kind && (!strcmp(kind, "embed") || !strcmp(kind, "generate") || !strcmp(kind, "serve"));
}

/* The checks the schema's constraints would make, made first so the
 * message names the line: model, backend and precision are NOT NULL, kind
 * and the run's status come from fixed lists, started_at is NOT NULL. */
static ia_status check_row(const ia_import_rows *r, size_t i, const char *path) {
    static const char *const required[] = {"model", "backend", "precision"};
    const char *kind = ia_import_cell(r, i, col("kind")), *status = ia_import_cell(r, i, col("run_status"));
    for (size_t k = 0; k < sizeof required / sizeof *required; k++)
        if (!ia_import_cell(r, i, col(required[k])))
            return ia_error(IA_ERR_FORMAT, "%s: line %zu, field %s: empty (a result names its %s)", path, r->line[i],
                            required[k], required[k]);
    if (kind && !ia_bench_kind_known(kind))
        return ia_error(IA_ERR_FORMAT, "%s: line %zu, field kind: \"%.40s\" is not embed, generate or serve", path,
                        r->line[i], kind);
    if (status && strcmp(status, "running") && strcmp(status, "complete") && strcmp(status, "failed") &&
        strcmp(status, "unknown"))
        return ia_error(IA_ERR_FORMAT, "%s: line %zu, field run_status: \"%.40s\" is not running, complete, failed "
                        "or unknown", path, r->line[i], status);
    if (r->present[col("started_at")] && !ia_import_cell(r, i, col("started_at")))
        return ia_error(IA_ERR_FORMAT, "%s: line %zu, field started_at: empty (a run has a start time)", path,
                        r->line[i]);
    return IA_OK;
}

ia_status ia_import_rows_check(ia_import_rows *r, const char *path) {
    ia_status st;
    free(r->run_of);
    r->run_of = NULL;
    if (r->n_rows == 0) return IA_OK;
    if (!(r->run_of = malloc(r->n_rows * sizeof *r->run_of))) return ia_error(IA_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < r->n_rows; i++)
        if ((st = check_row(r, i, path)) != IA_OK) return st;
    return group_runs(r, path, r->run_of);
}

/* ------------------------------------------------------------------ API */

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

ia_status ia_import_rows_read(const char *path, ia_import_rows *out) {
    reader r = {path, out, 0};
    char *text = NULL;
    size_t len = 0;
    ia_status st;
    int is_csv;

    if (!out) return ia_error(IA_ERR_INVALID_ARG, "import: no output");
    memset(out, 0, sizeof *out);
    if (!path || !*path) return ia_error(IA_ERR_INVALID_ARG, "import: no file named");
    if (!ends_with(path, ".csv") && !ends_with(path, ".json"))
        return ia_error(IA_ERR_INVALID_ARG, "%s: import reads .csv or .json files (as results --format csv|json "
                        "writes them)", path);
    is_csv = ends_with(path, ".csv");
    if (!(out->present = calloc(NCOL, sizeof *out->present)))
        return ia_error(IA_ERR_NOMEM, "%s: out of memory", path);
    if ((st = ia_read_text_file(path, MAX_FILE_BYTES, &text, &len)) != IA_OK) goto fail;
    if (memchr(text, '\0', len)) {
        st = ia_error(IA_ERR_FORMAT, "%s: line %zu: a NUL byte (not a text file)", path,
                      line_of(text, memchr(text, '\0', len)));
        goto fail;
    }
    st = is_csv ? read_csv(&r, text, len) : read_json(&r, text, len);
    if (st == IA_OK) st = ia_import_rows_check(out, path);
    if (st != IA_OK) goto fail;
    free(text);
    return IA_OK;
fail:
    free(text);
    ia_import_rows_free(out);
    return st;
}

void ia_import_rows_free(ia_import_rows *r) {
    if (!r) return;
    for (size_t i = 0; r->cells && i < r->n_rows * NCOL; i++) free(r->cells[i]);
    free(r->cells);
    free(r->line);
    free(r->present);
    free(r->run_of);
    memset(r, 0, sizeof *r);
}
