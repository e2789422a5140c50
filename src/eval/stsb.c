/*
 * stsb.c — the STS Benchmark evaluation: a strict RFC 4180 reader for the
 * sentence1,sentence2,score file, Spearman's rank correlation with average
 * ranks for ties (what scipy.stats.spearmanr computes), and the evaluation
 * itself, which embeds through the public ia_model_embed so that it measures
 * exactly what a user of the library gets (any precision, any backend).
 *
 * The reader is strict because the number it feeds is used to judge
 * numerics: a silently mis-split row would move the correlation by less
 * than a quantisation change does, and nobody would notice.
 */
#include "eval/stsb.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cosine.h"
#include "util/error.h"
#include "util/mapped_file.h"

/* The STS-B dev split is 200 KB; 64 MiB is room for any STS-style set
 * while a wrong path (a weights file, say) is refused before it is read. */
#define STSB_MAX_BYTES (64u << 20)

/* ------------------------------------------------------------ CSV reader */

typedef struct csv_cursor {
    const char *p, *end;
    const char *path;
    size_t line; /* 1-based physical line of p */
} csv_cursor;

/* Record ends are "\n" or "\r\n"; a lone "\r" is an ordinary character. */
static int at_eol(const csv_cursor *c) {
    return c->p < c->end && (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n'));
}

static void skip_eol(csv_cursor *c) {
    if (*c->p == '\r') c->p++;
    c->p++;
    c->line++;
}

/* Reads the field at c->p into a new string (*out, caller frees) and leaves
 * c->p on what follows it: ',', a record end, or the end of the file. A
 * quoted field may hold commas, newlines and "" (one quote); after its
 * closing quote only a separator may follow. An unquoted field is taken
 * literally, quotes included, as Python's csv module does. */
static ia_status read_field(csv_cursor *c, char **out) {
    const char *p = c->p, *start;
    char *s, *w;
    *out = NULL;
    if (p < c->end && *p == '"') {
        size_t open_line = c->line;
        start = ++p;
        for (;;) {
            if (p == c->end)
                return ia_error(IA_ERR_FORMAT, "%s:%zu: unterminated quote", c->path, open_line);
            if (*p == '"') {
                if (p + 1 < c->end && p[1] == '"') {
                    p += 2;
                    continue;
                }
                break;
            }
            if (*p == '\n') c->line++;
            p++;
        }
        if (!(s = malloc((size_t)(p - start) + 1)))
            return ia_error(IA_ERR_NOMEM, "%s:%zu: out of memory", c->path, open_line);
        for (w = s; start < p; start++) {
            *w++ = *start;
            if (*start == '"') start++; /* the second quote of "" */
        }
        *w = '\0';
        c->p = p + 1;
        if (c->p < c->end && *c->p != ',' && !at_eol(c)) {
            free(s);
            return ia_error(IA_ERR_FORMAT, "%s:%zu: text after a closing quote", c->path, c->line);
        }
    } else {
        start = p;
        while (c->p < c->end && *c->p != ',' && !at_eol(c)) c->p++;
        if (!(s = malloc((size_t)(c->p - start) + 1)))
            return ia_error(IA_ERR_NOMEM, "%s:%zu: out of memory", c->path, c->line);
        memcpy(s, start, (size_t)(c->p - start));
        s[c->p - start] = '\0';
    }
    *out = s;
    return IA_OK;
}

/* A score is a finite decimal number, surrounding blanks allowed. strtod
 * also accepts "nan" and "inf"; those are refused here, since one of them
 * would make every correlation NaN. */
static ia_status parse_score(const csv_cursor *c, size_t line, const char *text, double *out) {
    char *e;
    double v = strtod(text, &e);
    while (*e == ' ' || *e == '\t') e++;
    if (e == text || *e != '\0' || !isfinite(v))
        return ia_error(IA_ERR_FORMAT, "%s:%zu: score '%.40s' is not a finite number", c->path, line, text);
    *out = v;
    return IA_OK;
}

/* Reads one record into *pair (its strings owned by pair). c->p is at the
 * start of a non-blank line. */
static ia_status read_record(csv_cursor *c, ia_stsb_pair *pair) {
    char *fields[3] = {NULL, NULL, NULL}, *extra = NULL;
    size_t nf = 0, line = c->line;
    ia_status st;
    for (;;) {
        st = read_field(c, nf < 3 ? &fields[nf] : &extra);
        free(extra); /* fields past the third are only counted */
        extra = NULL;
        if (st != IA_OK) goto fail;
        nf++;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        break;
    }
    if (c->p < c->end) skip_eol(c);
    if (nf != 3) {
        st = ia_error(IA_ERR_FORMAT, "%s:%zu: %zu fields, expected 3 (sentence1,sentence2,score)", c->path, line,
                      nf);
        goto fail;
    }
    if ((st = parse_score(c, line, fields[2], &pair->score)) != IA_OK) goto fail;
    free(fields[2]);
    pair->s1 = fields[0];
    pair->s2 = fields[1];
    return IA_OK;
fail:
    for (size_t i = 0; i < 3; i++) free(fields[i]);
    return st;
}

ia_status ia_stsb_load(const char *path, ia_stsb_data *out) {
    char *text = NULL;
    size_t len = 0, cap = 0;
    const char *nul;
    csv_cursor c;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_stsb_load: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return ia_error(IA_ERR_INVALID_ARG, "ia_stsb_load: path is NULL");
    /* A missing file is IA_ERR_NOT_FOUND, as for every file the library reads. */
    if ((st = ia_read_text_file(path, STSB_MAX_BYTES, &text, &len)) != IA_OK) return st;
    c.p = text;
    c.end = text + len;
    c.path = path;
    c.line = 1;
    /* Sentences go to ia_model_embed as C strings: a NUL would cut one short. */
    if ((nul = memchr(text, '\0', len))) {
        for (const char *q = text; q < nul; q++) c.line += *q == '\n';
        st = ia_error(IA_ERR_FORMAT, "%s:%zu: NUL byte", path, c.line);
        goto fail;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c.p += 3; /* UTF-8 BOM from spreadsheet exports */
    while (c.p < c.end) {
        /* Blank lines carry no pair (a trailing one is common); Python's csv
         * and pandas skip them too. */
        if (at_eol(&c)) {
            skip_eol(&c);
            continue;
        }
        if (out->n == cap) {
            size_t ncap = cap ? 2 * cap : 256;
            ia_stsb_pair *p = ncap <= SIZE_MAX / sizeof *p ? realloc(out->pairs, ncap * sizeof *p) : NULL;
            if (!p) {
                st = ia_error(IA_ERR_NOMEM, "%s: out of memory at line %zu", path, c.line);
                goto fail;
            }
            out->pairs = p;
            cap = ncap;
        }
        if ((st = read_record(&c, &out->pairs[out->n])) != IA_OK) goto fail;
        out->n++;
    }
    if (out->n == 0) {
        st = ia_error(IA_ERR_FORMAT, "%s: no sentence pairs (empty file)", path);
        goto fail;
    }
    free(text);
    return IA_OK;
fail:
    free(text);
    ia_stsb_free(out);
    return st;
}

void ia_stsb_free(ia_stsb_data *d) {
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->pairs[i].s1);
        free(d->pairs[i].s2);
    }
    free(d->pairs);
    d->pairs = NULL;
    d->n = 0;
}

/* -------------------------------------------------------------- Spearman */

typedef struct keyed {
    double v;
    size_t i;
} keyed;

static int cmp_keyed(const void *x, const void *y) {
    const keyed *a = x, *b = y;
    return (a->v > b->v) - (a->v < b->v);
}

/* Average ranks (1-based) of v into r, as scipy.stats.rankdata's default
 * method: a run of ties shares the mean of the ranks it spans. 0 on a NaN
 * (scipy propagates it) or out of memory. */
static int average_ranks(const double *v, size_t n, keyed *tmp, double *r) {
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) return 0;
        tmp[i].v = v[i];
        tmp[i].i = i;
    }
    qsort(tmp, n, sizeof *tmp, cmp_keyed);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && tmp[j].v == tmp[i].v; j++) {}
        /* ranks i+1 .. j, mean (i+1+j)/2: exact in double (a half-integer) */
        for (size_t k = i; k < j; k++) r[tmp[k].i] = 0.5 * ((double)i + 1.0 + (double)j);
    }
    return 1;
}

/* Pearson correlation of the two rank vectors, as np.corrcoef computes it
 * inside spearmanr. The mean of any average-rank vector is (n+1)/2 exactly,
 * so centring loses nothing and a constant side gives exactly 0 variance. */
double ia_spearman(const double *a, const double *b, size_t n) {
    double *ra = NULL, *rb = NULL, sxy = 0, sxx = 0, syy = 0, mean, rho = NAN;
    keyed *tmp = NULL;
    if (!a || !b || n < 2) return NAN;
    ra = malloc(n * sizeof *ra);
    rb = malloc(n * sizeof *rb);
    tmp = n <= SIZE_MAX / sizeof *tmp ? malloc(n * sizeof *tmp) : NULL;
    if (!ra || !rb || !tmp || !average_ranks(a, n, tmp, ra) || !average_ranks(b, n, tmp, rb)) goto done;
    mean = 0.5 * ((double)n + 1.0);
    for (size_t i = 0; i < n; i++) {
        double x = ra[i] - mean, y = rb[i] - mean;
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
    }
    if (sxx == 0 || syy == 0) goto done; /* constant input: undefined, as scipy says */
    rho = sxy / sqrt(sxx * syy);
    if (rho > 1) rho = 1; /* rounding only; np.corrcoef clips the same way */
    if (rho < -1) rho = -1;
done:
    free(ra);
    free(rb);
    free(tmp);
    return rho;
}

/* ------------------------------------------------------------ evaluation */

static const char *text_of(const ia_stsb_data *d, size_t k) {
    return k < d->n ? d->pairs[k].s1 : d->pairs[k - d->n].s2;
}

static int cmp_len_then_index(const void *x, const void *y) {
    const keyed *a = x, *b = y;
    int c = cmp_keyed(a, b);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* All 2n sentences are embedded in order of length, so that each padded
 * batch holds texts of similar length (sentence-transformers' encode does
 * the same); the order changes results only by float rounding. Byte length
 * stands in for token count. The scores are the correlation's first
 * argument, as in EmbeddingSimilarityEvaluator (Spearman is symmetric).
 * A constant set of scores or cosines gives IA_OK and NAN. */
ia_status ia_stsb_evaluate(ia_model *model, const ia_stsb_data *d, int batch, double *spearman,
                           double *cosines) {
    keyed *order = NULL;
    float *emb = NULL, *tmp = NULL;
    const char **texts = NULL;
    double *cos = NULL, *gold = NULL;
    size_t n2, nb;
    int dim;
    ia_status st = IA_OK;
    if (!model || !d || !spearman || batch < 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_stsb_evaluate: model, data and spearman are required, batch >= 0");
    *spearman = NAN;
    if (d->n < 2 || !d->pairs) return ia_error(IA_ERR_INVALID_ARG, "ia_stsb_evaluate: %zu pairs, need 2", d->n);
    if ((dim = ia_model_dim(model)) <= 0) return ia_error(IA_ERR_INTERNAL, "ia_stsb_evaluate: model dim %d", dim);
    nb = batch ? (size_t)batch : 32;
    if (d->n > SIZE_MAX / 2 / (size_t)dim / sizeof(float))
        return ia_error(IA_ERR_NOMEM, "ia_stsb_evaluate: %zu pairs do not fit in memory", d->n);
    n2 = 2 * d->n;
    if (nb > n2) nb = n2;
    order = malloc(n2 * sizeof *order);
    emb = malloc(n2 * (size_t)dim * sizeof *emb);
    tmp = malloc(nb * (size_t)dim * sizeof *tmp);
    texts = malloc(nb * sizeof *texts);
    gold = malloc(d->n * sizeof *gold);
    cos = cosines ? cosines : malloc(d->n * sizeof *cos);
    if (!order || !emb || !tmp || !texts || !gold || !cos) {
        st = ia_error(IA_ERR_NOMEM, "ia_stsb_evaluate: out of memory for %zu pairs", d->n);
        goto done;
    }
    for (size_t k = 0; k < n2; k++) {
        const char *t = text_of(d, k);
        if (!t) {
            st = ia_error(IA_ERR_INVALID_ARG, "ia_stsb_evaluate: pair %zu has a NULL sentence", k % d->n);
            goto done;
        }
        order[k].v = (double)strlen(t);
        order[k].i = k;
    }
    /* Equal lengths keep file order (index as the second key), so a run is
     * reproducible batch for batch. */
    qsort(order, n2, sizeof *order, cmp_len_then_index);
    for (size_t k = 0; k < n2; k += nb) {
        size_t m = n2 - k < nb ? n2 - k : nb;
        for (size_t j = 0; j < m; j++) texts[j] = text_of(d, order[k + j].i);
        if ((st = ia_model_embed(model, texts, m, tmp)) != IA_OK) {
            ia_error_prefix(st, "STS-B: embedding sentences %zu..%zu of %zu (by length)", k, k + m - 1, n2);
            goto done;
        }
        for (size_t j = 0; j < m; j++)
            memcpy(emb + order[k + j].i * (size_t)dim, tmp + j * (size_t)dim, (size_t)dim * sizeof *tmp);
    }
    for (size_t i = 0; i < d->n; i++) {
        cos[i] = ia_cosine(emb + i * (size_t)dim, emb + (d->n + i) * (size_t)dim, dim);
        gold[i] = d->pairs[i].score;
    }
    *spearman = ia_spearman(gold, cos, d->n);
done:
    if (cos != cosines) free(cos);
    free(gold);
    free(texts);
    free(tmp);
    free(emb);
    free(order);
    return st;
}
