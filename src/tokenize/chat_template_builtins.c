/*
 * chat_template_builtins.c — the filters, tests, string/dict methods and
 * global functions chat templates call, each with the semantics of Jinja 3.1
 * (jinja2/filters.py, jinja2/tests.py), Python's str/dict methods and
 * transformers' additions (raise_exception, strftime_now, tojson without
 * HTML escaping, namespace, dict). Lowercasing is Unicode's full mapping,
 * uppercasing (upper, title, capitalize) ASCII only.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenize/chat_template_impl.h"
#include "tokenize/unicode.h"
#include "tokenize/utf8.h"
#include "util/error.h"

static ia_status nomem(ct_render *r) {
    if (r->arena.over_limit)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: render needs over %u MiB of values", (unsigned)(r->arena.limit >> 20));
    return ct_fail(r, IA_ERR_NOMEM, "chat template: out of memory");
}

static const char *const FILTERS[] = {
    "trim", "length", "count", "upper", "lower", "title", "capitalize", "tojson", "default", "d", "first", "last",
    "join", "replace", "items", "selectattr", "rejectattr", "select", "reject", "map", "list", "string", "int",
    "float", "abs", "indent", "safe", "reverse", "dictsort", "unique", "sort", "sum", "min", "max", "round",
    "wordcount", "center", "truncate", "striptags", "batch", NULL};
/* the last ones are Jinja filters no chat template checked here needs: known
 * (so they are not a syntax error) but refused when reached */
#define FIRST_REFUSED_FILTER "unique"

static const char *const TESTS[] = {
    "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false", "mapping",
    "iterable", "sequence", "callable", "sameas", "eq", "equalto", "==", "ne", "!=", "lt", "<", "lessthan", "le",
    "<=", "gt", ">", "greaterthan", "ge", ">=", "in", "odd", "even", "divisibleby", "lower", "upper", NULL};

int ct_filter_known(const char *name) {
    for (int i = 0; FILTERS[i]; i++)
        if (!strcmp(FILTERS[i], name)) return 1;
    return 0;
}

int ct_test_known(const char *name) {
    for (int i = 0; TESTS[i]; i++)
        if (!strcmp(TESTS[i], name)) return 1;
    return 0;
}

/* ---- helpers */

static ia_status make_str(ct_render *r, ct_buf *b, ct_value *res) {
    char *s = ct_strdup(&r->arena, b->p ? b->p : "", b->n);
    int failed = b->failed;
    free(b->p);
    b->p = NULL;
    if (!s || failed) return nomem(r);
    *res = ct_str(s, b->n);
    return IA_OK;
}

static ct_value list_value(ct_list *l) {
    ct_value v = {.kind = CT_V_LIST};
    v.u.list = l;
    return v;
}

/* keyword argument by name, else positional index pos, else NULL */
static const ct_value *arg(const ct_value *pv, size_t np, const char **kn, const ct_value *kv, size_t nk, size_t pos,
                           const char *name) {
    for (size_t i = 0; i < nk; i++)
        if (name && !strcmp(kn[i], name)) return &kv[i];
    return pos < np ? &pv[pos] : NULL;
}

/* str.strip / lstrip / rstrip (which: 1 left, 2 right, 3 both): Unicode
 * whitespace without chars; with chars, bytes of chars, which is exact for
 * the ASCII chars templates pass. */
static ct_value strip(const ct_value *s, const ct_value *chars, int which) {
    size_t b = 0, e = s->u.str.n, w;
    const char *p = s->u.str.s;
    if (!chars || chars->kind == CT_V_NONE) {
        if (which & 1)
            while ((w = ct_space_at(p, e, b))) b += w;
        if (which & 2)
            while ((w = ct_space_before(p, b, e))) e -= w;
    } else {
        if (which & 1)
            while (b < e && memchr(chars->u.str.s, p[b], chars->u.str.n)) b++;
        if (which & 2)
            while (e > b && memchr(chars->u.str.s, p[e - 1], chars->u.str.n)) e--;
    }
    return ct_str(p + b, e - b);
}

static ia_status need_str(ct_render *r, const ct_value *v, const char *what) {
    if (v->kind == CT_V_STR) return IA_OK;
    return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: %s expects a string, got '%s'", what, ct_type_name(v));
}

/* One code point of s[i..n) (a stray byte stands for itself); sets *len. */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t i, size_t *len) {
    unsigned char c = s[i];
    size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (k == 0 || i + k > n) {
        *len = 1;
        return c;
    }
    uint32_t cp = k == 1 ? c : k == 2 ? (c & 0x1Fu) : k == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t j = 1; j < k; j++) {
        if ((s[i + j] & 0xC0) != 0x80) {
            *len = 1;
            return c;
        }
        cp = (cp << 6) | (s[i + j] & 0x3Fu);
    }
    *len = k;
    return cp;
}

/* mode 0 lower, 1 upper, 2 str.title, 3 capitalize, 4 Jinja's title filter
 * (a word starts after "-", whitespace, "(", "{", "[" or "<", not after
 * any non-letter as in str.title). Lowercasing is Unicode's
 * full mapping (tokenize/unicode.h); uppercasing is ASCII only (no table for
 * it here yet), so "é".upper() stays "é" where Python gives "É". */
static ia_status map_case(ct_render *r, const ct_value *v, int mode, ct_value *res) {
    ct_value s;
    ia_status st = ct_to_string(r, v, &s);
    if (st) return st;
    ct_buf b = {0};
    const unsigned char *p = (const unsigned char *)s.u.str.s;
    int prev_cased = 0, prev_delim = 1;
    for (size_t i = 0, len; i < s.u.str.n; i += len) {
        uint32_t cp = next_cp(p, s.u.str.n, i, &len);
        int up = mode == 1 || (mode == 2 && !prev_cased) || (mode == 3 && i == 0) || (mode == 4 && prev_delim);
        prev_delim = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || ct_space_at(s.u.str.s, s.u.str.n, i);
        if (cp < 0x80) {
            ct_buf_putc(&b, (char)(up ? toupper((int)cp) : tolower((int)cp)));
            prev_cased = isalpha((int)cp) != 0;
        } else if (up || len == 1) {
            ct_buf_put(&b, (const char *)p + i, len);
            prev_cased = len > 1;
        } else {
            uint32_t low[IA_UC_LOWER_MAX];
            size_t nl = ia_uc_lower(cp, low);
            for (size_t k = 0; k < nl; k++) {
                char u8[4];
                ct_buf_put(&b, u8, ia_utf8_put(low[k], u8));
            }
            prev_cased = 1;
        }
    }
    return make_str(r, &b, res);
}

static ia_status replace(ct_render *r, const ct_value *s, const ct_value *old, const ct_value *rep, int64_t count,
                         ct_value *res) {
    ia_status st;
    if ((st = need_str(r, s, "replace")) || (st = need_str(r, old, "replace")) || (st = need_str(r, rep, "replace")))
        return st;
    ct_buf b = {0};
    size_t i = 0, n = s->u.str.n, on = old->u.str.n;
    int64_t done = 0;
    if (on == 0) {
        /* Python inserts rep between every character */
        for (; i <= n; i++) {
            if (count < 0 || done < count) {
                ct_buf_put(&b, rep->u.str.s, rep->u.str.n);
                done++;
            }
            if (i < n) ct_buf_putc(&b, s->u.str.s[i]);
        }
        return make_str(r, &b, res);
    }
    while (i < n) {
        if ((count < 0 || done < count) && i + on <= n && !memcmp(s->u.str.s + i, old->u.str.s, on)) {
            ct_buf_put(&b, rep->u.str.s, rep->u.str.n);
            i += on;
            done++;
        } else {
            ct_buf_putc(&b, s->u.str.s[i++]);
        }
    }
    return make_str(r, &b, res);
}

static ia_status split(ct_render *r, const ct_value *s, const ct_value *sep, int64_t maxsplit, ct_value *res) {
    ct_list *l = ct_list_new(&r->arena, 0);
    const char *p = s->u.str.s;
    size_t n = s->u.str.n, i = 0;
    int64_t done = 0;
    if (!l) return nomem(r);
    if (!sep || sep->kind == CT_V_NONE) {
        /* runs of whitespace, no empty strings */
        size_t w;
        while (i < n) {
            while ((w = ct_space_at(p, n, i))) i += w;
            if (i >= n) break;
            size_t j = i;
            if (maxsplit >= 0 && done >= maxsplit) {
                size_t e = n;
                while ((w = ct_space_before(p, i, e))) e -= w;
                if (!ct_list_push(&r->arena, l, ct_str(p + i, e - i))) return nomem(r);
                break;
            }
            while (j < n && !ct_space_at(p, n, j)) j++;
            if (!ct_list_push(&r->arena, l, ct_str(p + i, j - i))) return nomem(r);
            done++;
            i = j;
        }
    } else {
        ia_status st = need_str(r, sep, "split");
        if (st) return st;
        size_t sn = sep->u.str.n;
        if (sn == 0) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: split: empty separator");
        size_t start = 0;
        for (i = 0; i + sn <= n;) {
            if ((maxsplit < 0 || done < maxsplit) && !memcmp(p + i, sep->u.str.s, sn)) {
                if (!ct_list_push(&r->arena, l, ct_str(p + start, i - start))) return nomem(r);
                i += sn;
                start = i;
                done++;
            } else {
                i++;
            }
        }
        if (!ct_list_push(&r->arena, l, ct_str(p + start, n - start))) return nomem(r);
    }
    *res = list_value(l);
    return IA_OK;
}

static ia_status affix(ct_render *r, const ct_value *s, const ct_value *what, int end, int *res) {
    ia_status st = need_str(r, s, end ? "endswith" : "startswith");
    if (st) return st;
    if (what->kind == CT_V_LIST) {
        *res = 0;
        for (size_t i = 0; i < what->u.list->n && !*res; i++)
            if ((st = affix(r, s, &what->u.list->v[i], end, res))) return st;
        return IA_OK;
    }
    if ((st = need_str(r, what, end ? "endswith" : "startswith"))) return st;
    size_t n = what->u.str.n;
    *res = n <= s->u.str.n && !memcmp(s->u.str.s + (end ? s->u.str.n - n : 0), what->u.str.s, n);
    return IA_OK;
}

static ia_status length_of(ct_render *r, const ct_value *v, int64_t *n) {
    switch (v->kind) {
    case CT_V_STR: *n = (int64_t)ct_utf8_len(v->u.str.s, v->u.str.n); return IA_OK;
    case CT_V_LIST: *n = (int64_t)v->u.list->n; return IA_OK;
    case CT_V_DICT:
    case CT_V_NS: *n = (int64_t)v->u.dict->n; return IA_OK;
    case CT_V_UNDEF: *n = 0; return IA_OK;
    default: return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: object of type '%s' has no len()", ct_type_name(v));
    }
}

/* attribute path "a.b" (Jinja's make_attrgetter; digits index lists) */
static ia_status attr_path(ct_render *r, const ct_value *obj, const ct_value *path, ct_value *res) {
    ia_status st = need_str(r, path, "attribute");
    if (st) return st;
    ct_value cur = *obj;
    const char *p = path->u.str.s, *end = p + path->u.str.n;
    while (p <= end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        int digits = n > 0;
        for (size_t i = 0; i < n; i++) digits &= isdigit((unsigned char)p[i]) != 0;
        if (digits && cur.kind == CT_V_LIST) {
            size_t i = (size_t)strtoull(p, NULL, 10);
            cur = i < cur.u.list->n ? cur.u.list->v[i] : ct_undef(NULL, 0);
        } else if (cur.kind == CT_V_UNDEF) {
            break;
        } else if ((st = ct_getattr(r, &cur, p, n, &cur))) {
            return st;
        }
        if (!dot) break;
        p = dot + 1;
    }
    *res = cur;
    return IA_OK;
}

/* select/reject(attr): the test named by args[0] with args[1..] */
static ia_status select_filter(ct_render *r, ct_value seq, const ct_value *pv, size_t np, int by_attr, int keep,
                               ct_value *res) {
    ct_list *items, *out;
    ia_status st;
    size_t a0 = by_attr ? 1 : 0;
    if (by_attr && np < 1) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: selectattr/rejectattr need an attribute");
    if ((st = ct_iterable(r, &seq, &items))) return st;
    if (!(out = ct_list_new(&r->arena, items->n))) return nomem(r);
    for (size_t i = 0; i < items->n; i++) {
        ct_value v = items->v[i];
        int t;
        if (by_attr && (st = attr_path(r, &v, &pv[0], &v))) return st;
        if (np > a0) {
            if (pv[a0].kind != CT_V_STR || !ct_test_known(pv[a0].u.str.s))
                return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: select with a test outside the supported subset");
            if ((st = ct_apply_test(r, pv[a0].u.str.s, &v, pv + a0 + 1, np - a0 - 1, &t))) return st;
        } else {
            t = ct_truthy(&v);
        }
        if (t == keep) out->v[out->n++] = items->v[i];
    }
    *res = list_value(out);
    return IA_OK;
}

static ia_status join(ct_render *r, ct_value seq, const ct_value *sep, const ct_value *attr, ct_value *res) {
    ct_list *items;
    ia_status st;
    ct_buf b = {0};
    if ((st = ct_iterable(r, &seq, &items))) return st;
    for (size_t i = 0; i < items->n; i++) {
        ct_value v = items->v[i];
        if (i && sep) ct_str_of(&b, sep);
        if (attr && (st = attr_path(r, &v, attr, &v))) {
            free(b.p);
            return st;
        }
        ct_str_of(&b, &v);
    }
    return make_str(r, &b, res);
}

/* Jinja's indent filter (3.x): lines after the first get width spaces;
 * blank lines stay empty unless blank=True; first=True indents line one. */
static ia_status indent(ct_render *r, const ct_value *sv, const ct_value *width, int first, int blank, ct_value *res) {
    ct_value s;
    ia_status st = ct_to_string(r, sv, &s);
    if (st) return st;
    ct_buf pad = {0}, b = {0};
    if (!width || width->kind == CT_V_INT) {
        int64_t w = width ? width->u.i : 4;
        for (int64_t i = 0; i < w && i < 4096; i++) ct_buf_putc(&pad, ' ');
    } else if (width->kind == CT_V_STR) {
        ct_buf_put(&pad, width->u.str.s, width->u.str.n);
    } else {
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: indent width must be an int or a string");
    }
    /* s + "\n" split with str.splitlines() (ASCII line breaks) */
    const char *p = s.u.str.s;
    size_t n = s.u.str.n, i = 0, line = 0;
    if (first) ct_buf_put(&b, pad.p, pad.n);
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != '\n' && p[j] != '\r' && p[j] != '\v' && p[j] != '\f' &&
               !((unsigned char)p[j] >= 0x1c && (unsigned char)p[j] <= 0x1e))
            j++;
        if (line > 0) {
            ct_buf_putc(&b, '\n');
            if (blank || j > i) ct_buf_put(&b, pad.p, pad.n);
        }
        ct_buf_put(&b, p + i, j - i);
        line++;
        if (j >= n) break;
        i = j + 1 + (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n');
    }
    free(pad.p);
    return make_str(r, &b, res);
}

static ia_status to_int(ct_render *r, const ct_value *v, const ct_value *def, ct_value *res) {
    switch (v->kind) {
    case CT_V_INT: *res = *v; return IA_OK;
    case CT_V_BOOL: *res = ct_int(v->u.b); return IA_OK;
    case CT_V_FLOAT:
        if (isfinite(v->u.f) && fabs(v->u.f) < 9.2e18) { *res = ct_int((int64_t)v->u.f); return IA_OK; }
        break;
    case CT_V_STR: {
        char buf[64], *end;
        ct_value t = strip(v, NULL, 3);
        if (t.u.str.n > 0 && t.u.str.n < sizeof buf) {
            memcpy(buf, t.u.str.s, t.u.str.n);
            buf[t.u.str.n] = 0;
            long long x = strtoll(buf, &end, 10);
            if (*end == 0) { *res = ct_int(x); return IA_OK; }
            double d = strtod(buf, &end);
            if (*end == 0 && isfinite(d) && fabs(d) < 9.2e18) { *res = ct_int((int64_t)d); return IA_OK; }
        }
        break;
    }
    default: break;
    }
    (void)r;
    *res = def ? *def : ct_int(0);
    return IA_OK;
}

/* sort key of Jinja's dictsort: strings lowercased unless case_sensitive */
static ia_status sort_key(ct_render *r, const ct_value *v, int case_sensitive, ct_value *key) {
    if (v->kind != CT_V_STR || case_sensitive) {
        *key = *v;
        return IA_OK;
    }
    return map_case(r, v, 0, key);
}

/* Stable insertion sort of [key, value] pairs (dicts are small). */
static ia_status sort_pairs(ct_render *r, ct_list *pairs, int by_value, int case_sensitive, int reverse) {
    ia_status st;
    for (size_t i = 1; i < pairs->n; i++) {
        ct_value cur = pairs->v[i], ck;
        if ((st = sort_key(r, &cur.u.list->v[by_value], case_sensitive, &ck))) return st;
        size_t j = i;
        while (j > 0) {
            ct_value pk;
            int c;
            if ((st = sort_key(r, &pairs->v[j - 1].u.list->v[by_value], case_sensitive, &pk)) ||
                (st = ct_compare(r, &pk, &ck, &c)))
                return st;
            if (reverse ? c >= 0 : c <= 0) break;
            pairs->v[j] = pairs->v[j - 1];
            j--;
        }
        pairs->v[j] = cur;
    }
    return IA_OK;
}

/* Python's str.format with {} / {0} / {name} fields and {{ }} escapes;
 * format specs and conversions are refused. */
static ia_status str_format(ct_render *r, const ct_value *self, const ct_value *pv, size_t np, const char **kn,
                            const ct_value *kv, size_t nk, ct_value *res) {
    const char *p = self->u.str.s;
    size_t n = self->u.str.n, auto_i = 0;
    ct_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if ((p[i] == '{' || p[i] == '}') && i + 1 < n && p[i + 1] == p[i]) {
            ct_buf_putc(&b, p[i++]);
            continue;
        }
        if (p[i] == '}') {
            free(b.p);
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: Single '}' encountered in format string");
        }
        if (p[i] != '{') {
            ct_buf_putc(&b, p[i]);
            continue;
        }
        size_t j = i + 1;
        while (j < n && p[j] != '}') j++;
        if (j >= n) {
            free(b.p);
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: Single '{' encountered in format string");
        }
        const char *f = p + i + 1;
        size_t fl = j - i - 1;
        const ct_value *v = NULL;
        if (memchr(f, ':', fl) || memchr(f, '!', fl) || memchr(f, '.', fl) || memchr(f, '[', fl)) {
            free(b.p);
            return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: str.format with a format spec, conversion or field access is outside the supported subset");
        }
        if (fl == 0) {
            v = auto_i < np ? &pv[auto_i] : NULL;
            auto_i++;
        } else if (isdigit((unsigned char)f[0])) {
            size_t k = (size_t)strtoul(f, NULL, 10);
            v = k < np ? &pv[k] : NULL;
        } else {
            for (size_t k = 0; k < nk; k++)
                if (strlen(kn[k]) == fl && !memcmp(kn[k], f, fl)) v = &kv[k];
        }
        if (!v) {
            free(b.p);
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: str.format: no argument for field {%.*s}", (int)fl, f);
        }
        ct_str_of(&b, v);
        i = j;
    }
    return make_str(r, &b, res);
}

/* ---- filters */

ia_status ct_apply_filter(ct_render *r, const ct_node *n, const char *name, ct_value x, const ct_value *pv,
                          size_t np, const char **kn, const ct_value *kv, size_t nk, ct_value *res) {
    ia_status st;
    if (!ct_filter_known(name))
        return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template %d:%d: no filter named '%s' in the supported subset",
                       n->line, n->col, name);
    ct_value s;
    const ct_value *a0 = arg(pv, np, kn, kv, nk, 0, NULL);
#define IS(f) (!strcmp(name, f))
    if (IS("safe")) { *res = x; return IA_OK; }
    if (IS("default") || IS("d")) {
        const ct_value *def = arg(pv, np, kn, kv, nk, 0, "default_value");
        const ct_value *boolean = arg(pv, np, kn, kv, nk, 1, "boolean");
        int use = x.kind == CT_V_UNDEF || (boolean && ct_truthy(boolean) && !ct_truthy(&x));
        *res = use ? (def ? *def : ct_str("", 0)) : x;
        return IA_OK;
    }
    if (IS("length") || IS("count")) {
        int64_t len = 0;
        if ((st = length_of(r, &x, &len))) return st;
        *res = ct_int(len);
        return IA_OK;
    }
    if (IS("string")) return ct_to_string(r, &x, res);
    if (IS("trim")) {
        if ((st = ct_to_string(r, &x, &s))) return st;
        *res = strip(&s, arg(pv, np, kn, kv, nk, 0, "chars"), 3);
        return IA_OK;
    }
    if (IS("upper")) return map_case(r, &x, 1, res);
    if (IS("lower")) return map_case(r, &x, 0, res);
    if (IS("title")) return map_case(r, &x, 4, res);
    if (IS("capitalize")) return map_case(r, &x, 3, res);
    if (IS("tojson")) {
        const ct_value *ind = arg(pv, np, kn, kv, nk, 1, "indent");
        const ct_value *sk = arg(pv, np, kn, kv, nk, 3, "sort_keys");
        const ct_value *sep = arg(pv, np, kn, kv, nk, 2, "separators");
        const ct_value *ea = arg(pv, np, kn, kv, nk, 0, "ensure_ascii");
        const char *bad = NULL;
        if ((sep && sep->kind != CT_V_NONE) || (ea && ct_truthy(ea)))
            return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: tojson with separators or ensure_ascii is outside the supported subset");
        if (ind && ind->kind != CT_V_NONE && ind->kind != CT_V_INT)
            return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: tojson indent must be an int");
        ct_buf b = {0};
        int ok = ct_tojson(&b, &x, ind && ind->kind == CT_V_INT ? (int)(ind->u.i < 0 ? 0 : ind->u.i > 64 ? 64 : ind->u.i) : -1,
                           sk && ct_truthy(sk), 0, &bad);
        if (!ok) {
            free(b.p);
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: Object of type %s is not JSON serializable", bad);
        }
        return make_str(r, &b, res);
    }
    if (IS("first") || IS("last")) {
        ct_list *items;
        if ((st = ct_iterable(r, &x, &items))) return st;
        *res = items->n ? items->v[IS("first") ? 0 : items->n - 1] : ct_undef(NULL, 0);
        return IA_OK;
    }
    if (IS("join"))
        return join(r, x, arg(pv, np, kn, kv, nk, 0, "d"), arg(pv, np, kn, kv, nk, 1, "attribute"), res);
    if (IS("replace")) {
        const ct_value *old = arg(pv, np, kn, kv, nk, 0, "old"), *rep = arg(pv, np, kn, kv, nk, 1, "new"),
                       *cnt = arg(pv, np, kn, kv, nk, 2, "count");
        if (!old || !rep) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: replace needs old and new");
        if ((st = ct_to_string(r, &x, &s))) return st;
        return replace(r, &s, old, rep, cnt && cnt->kind == CT_V_INT ? cnt->u.i : -1, res);
    }
    if (IS("items")) {
        if (x.kind == CT_V_UNDEF) {
            ct_list *l = ct_list_new(&r->arena, 0);
            if (!l) return nomem(r);
            *res = list_value(l);
            return IA_OK;
        }
        if (x.kind != CT_V_DICT) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: items filter expects a mapping, got '%s'", ct_type_name(&x));
        return ct_call_method(r, x, "items", NULL, 0, NULL, NULL, 0, res);
    }
    if (IS("list")) {
        ct_list *items, *l;
        if ((st = ct_iterable(r, &x, &items))) return st;
        if (!(l = ct_list_new(&r->arena, items->n))) return nomem(r);
        if (items->n) memcpy(l->v, items->v, items->n * sizeof *l->v);
        l->n = items->n;
        *res = list_value(l);
        return IA_OK;
    }
    if (IS("reverse")) {
        if (x.kind == CT_V_STR) {
            ct_list *chars;
            ct_buf b = {0};
            if ((st = ct_iterable(r, &x, &chars))) return st;
            for (size_t i = chars->n; i-- > 0;) ct_buf_put(&b, chars->v[i].u.str.s, chars->v[i].u.str.n);
            return make_str(r, &b, res);
        }
        ct_list *items, *l;
        if ((st = ct_iterable(r, &x, &items))) return st;
        if (!(l = ct_list_new(&r->arena, items->n))) return nomem(r);
        for (size_t i = items->n; i-- > 0;) l->v[l->n++] = items->v[i];
        *res = list_value(l);
        return IA_OK;
    }
    if (IS("dictsort")) {
        const ct_value *cs = arg(pv, np, kn, kv, nk, 0, "case_sensitive"), *by = arg(pv, np, kn, kv, nk, 1, "by"),
                       *rev = arg(pv, np, kn, kv, nk, 2, "reverse");
        int by_value = by && by->kind == CT_V_STR && by->u.str.n == 5 && !memcmp(by->u.str.s, "value", 5);
        if (x.kind != CT_V_DICT) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: dictsort expects a mapping, got '%s'", ct_type_name(&x));
        if ((st = ct_call_method(r, x, "items", NULL, 0, NULL, NULL, 0, res))) return st;
        return sort_pairs(r, res->u.list, by_value, cs && ct_truthy(cs), rev && ct_truthy(rev));
    }
    if (IS("selectattr")) return select_filter(r, x, pv, np, 1, 1, res);
    if (IS("rejectattr")) return select_filter(r, x, pv, np, 1, 0, res);
    if (IS("select")) return select_filter(r, x, pv, np, 0, 1, res);
    if (IS("reject")) return select_filter(r, x, pv, np, 0, 0, res);
    if (IS("map")) {
        const ct_value *attr = arg(pv, np, kn, kv, nk, (size_t)-1, "attribute");
        const ct_value *def = arg(pv, np, kn, kv, nk, (size_t)-1, "default");
        ct_list *items, *l;
        if ((st = ct_iterable(r, &x, &items))) return st;
        if (!(l = ct_list_new(&r->arena, items->n))) return nomem(r);
        for (size_t i = 0; i < items->n; i++) {
            ct_value v = items->v[i];
            if (attr) {
                if ((st = attr_path(r, &v, attr, &v))) return st;
                if (v.kind == CT_V_UNDEF && def) v = *def;
            } else if (np >= 1 && pv[0].kind == CT_V_STR && ct_filter_known(pv[0].u.str.s) &&
                       strcmp(pv[0].u.str.s, "map") != 0) {
                if ((st = ct_apply_filter(r, n, pv[0].u.str.s, v, pv + 1, np - 1, NULL, NULL, 0, &v))) return st;
            } else {
                return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: map needs attribute= or a supported filter name");
            }
            l->v[l->n++] = v;
        }
        *res = list_value(l);
        return IA_OK;
    }
    if (IS("int")) return to_int(r, &x, arg(pv, np, kn, kv, nk, 0, "default"), res);
    if (IS("float")) {
        ct_value v = {.kind = CT_V_FLOAT};
        if (x.kind == CT_V_FLOAT) v = x;
        else if (x.kind == CT_V_INT || x.kind == CT_V_BOOL) v.u.f = x.kind == CT_V_INT ? (double)x.u.i : x.u.b;
        else if (x.kind == CT_V_STR) {
            char buf[64], *end;
            ct_value t = strip(&x, NULL, 3);
            v.u.f = 0;
            if (t.u.str.n > 0 && t.u.str.n < sizeof buf) {
                memcpy(buf, t.u.str.s, t.u.str.n);
                buf[t.u.str.n] = 0;
                double d = strtod(buf, &end);
                if (*end == 0) v.u.f = d;
            }
        }
        *res = v;
        return IA_OK;
    }
    if (IS("abs")) {
        if (x.kind == CT_V_INT && x.u.i != INT64_MIN) *res = ct_int(x.u.i < 0 ? -x.u.i : x.u.i);
        else if (x.kind == CT_V_FLOAT) { *res = x; res->u.f = fabs(x.u.f); }
        else if (x.kind == CT_V_BOOL) *res = ct_int(x.u.b);
        else return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: bad operand type for abs(): '%s'", ct_type_name(&x));
        return IA_OK;
    }
    if (IS("indent")) {
        const ct_value *w = arg(pv, np, kn, kv, nk, 0, "width"), *first = arg(pv, np, kn, kv, nk, 1, "first"),
                       *blank = arg(pv, np, kn, kv, nk, 2, "blank");
        return indent(r, &x, w, first && ct_truthy(first), blank && ct_truthy(blank), res);
    }
    (void)a0;
    return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template %d:%d: the filter '%s' is outside the supported Jinja subset",
                   n->line, n->col, name);
#undef IS
}

/* ---- tests */

ia_status ct_apply_test(ct_render *r, const char *name, const ct_value *v, const ct_value *pv, size_t np, int *res) {
    const ct_value *a = np ? &pv[0] : NULL;
    ia_status st;
    int c;
    if (!ct_test_known(name))
        return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: no test named '%s' in the supported subset", name);
#define IS(f) (!strcmp(name, f))
    if (IS("defined")) *res = v->kind != CT_V_UNDEF;
    else if (IS("undefined")) *res = v->kind == CT_V_UNDEF;
    else if (IS("none")) *res = v->kind == CT_V_NONE;
    else if (IS("string")) *res = v->kind == CT_V_STR;
    else if (IS("number")) *res = v->kind == CT_V_INT || v->kind == CT_V_FLOAT || v->kind == CT_V_BOOL;
    else if (IS("integer")) *res = v->kind == CT_V_INT;
    else if (IS("float")) *res = v->kind == CT_V_FLOAT;
    else if (IS("boolean")) *res = v->kind == CT_V_BOOL;
    else if (IS("true")) *res = v->kind == CT_V_BOOL && v->u.b;
    else if (IS("false")) *res = v->kind == CT_V_BOOL && !v->u.b;
    else if (IS("mapping")) *res = v->kind == CT_V_DICT;
    else if (IS("iterable"))
        *res = v->kind == CT_V_STR || v->kind == CT_V_LIST || v->kind == CT_V_DICT || v->kind == CT_V_UNDEF;
    else if (IS("sequence"))
        *res = v->kind == CT_V_STR || v->kind == CT_V_LIST || v->kind == CT_V_DICT || v->kind == CT_V_UNDEF;
    else if (IS("callable")) *res = v->kind == CT_V_MACRO || v->kind == CT_V_FUNC;
    else if (IS("lower") || IS("upper")) {
        /* str.islower(): has a cased character and none of the other case */
        int has = 0, bad = 0;
        if (v->kind != CT_V_STR) { *res = 0; return IA_OK; }
        for (size_t i = 0; i < v->u.str.n; i++) {
            unsigned char ch = (unsigned char)v->u.str.s[i];
            if (IS("lower") ? islower(ch) : isupper(ch)) has = 1;
            else if (IS("lower") ? isupper(ch) : islower(ch)) bad = 1;
        }
        *res = has && !bad;
    } else if (IS("odd") || IS("even") || IS("divisibleby")) {
        if (v->kind != CT_V_INT && v->kind != CT_V_BOOL)
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: test '%s' expects an integer", name);
        int64_t x = v->kind == CT_V_INT ? v->u.i : v->u.b;
        if (IS("divisibleby")) {
            if (!a || a->kind != CT_V_INT || a->u.i == 0)
                return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: divisibleby needs a non-zero integer");
            *res = a->u.i == -1 || x % a->u.i == 0;
        } else {
            *res = (x % 2 != 0) == IS("odd");
        }
    } else {
        if (!a) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: test '%s' needs an argument", name);
        if (IS("sameas")) {
            *res = v->kind == a->kind && (v->kind == CT_V_NONE || v->kind == CT_V_UNDEF ||
                                          (v->kind == CT_V_BOOL && v->u.b == a->u.b));
        } else if (IS("eq") || IS("equalto") || IS("==")) *res = ct_equal(v, a);
        else if (IS("ne") || IS("!=")) *res = !ct_equal(v, a);
        else if (IS("in")) {
            ct_list *items;
            if (a->kind == CT_V_STR) {
                if (v->kind != CT_V_STR) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: 'in <string>' requires a string");
                *res = 0;
                for (size_t i = 0; i + v->u.str.n <= a->u.str.n && !*res; i++)
                    *res = !memcmp(a->u.str.s + i, v->u.str.s, v->u.str.n);
                return IA_OK;
            }
            if (a->kind == CT_V_DICT) { *res = ct_dict_getv(a->u.dict, v) != NULL; return IA_OK; }
            if ((st = ct_iterable(r, a, &items))) return st;
            *res = 0;
            for (size_t i = 0; i < items->n && !*res; i++) *res = ct_equal(&items->v[i], v);
        } else {
            if ((st = ct_compare(r, v, a, &c))) return st;
            if (IS("lt") || IS("<") || IS("lessthan")) *res = c < 0;
            else if (IS("le") || IS("<=")) *res = c <= 0;
            else if (IS("gt") || IS(">") || IS("greaterthan")) *res = c > 0;
            else *res = c >= 0;
        }
    }
    return IA_OK;
#undef IS
}

/* ---- methods of str and dict (what Jinja's sandbox lets templates call) */

ia_status ct_call_method(ct_render *r, ct_value self, const char *name, const ct_value *pv, size_t np,
                         const char **kn, const ct_value *kv, size_t nk, ct_value *res) {
    ia_status st;
    int b;
#define IS(f) (!strcmp(name, f))
    if (self.kind == CT_V_STR) {
        if (IS("strip") || IS("lstrip") || IS("rstrip")) {
            const ct_value *chars = arg(pv, np, kn, kv, nk, 0, "chars");
            if (chars && chars->kind != CT_V_NONE && (st = need_str(r, chars, name))) return st;
            *res = strip(&self, chars, IS("strip") ? 3 : IS("lstrip") ? 1 : 2);
            return IA_OK;
        }
        if (IS("startswith") || IS("endswith")) {
            const ct_value *w = arg(pv, np, kn, kv, nk, 0, NULL);
            if (!w) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: %s needs an argument", name);
            if ((st = affix(r, &self, w, IS("endswith"), &b))) return st;
            *res = ct_bool(b);
            return IA_OK;
        }
        if (IS("split") || IS("rsplit")) {
            const ct_value *sep = arg(pv, np, kn, kv, nk, 0, "sep"), *mx = arg(pv, np, kn, kv, nk, 1, "maxsplit");
            int64_t m = mx && mx->kind == CT_V_INT ? mx->u.i : -1;
            if (IS("rsplit") && m >= 0)
                return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: rsplit with maxsplit is outside the supported subset");
            return split(r, &self, sep, m, res);
        }
        if (IS("upper")) return map_case(r, &self, 1, res);
        if (IS("lower")) return map_case(r, &self, 0, res);
        if (IS("title")) return map_case(r, &self, 2, res);
        if (IS("capitalize")) return map_case(r, &self, 3, res);
        if (IS("replace")) {
            const ct_value *old = arg(pv, np, kn, kv, nk, 0, NULL), *rep = arg(pv, np, kn, kv, nk, 1, NULL),
                           *cnt = arg(pv, np, kn, kv, nk, 2, "count");
            if (!old || !rep) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: replace needs two arguments");
            return replace(r, &self, old, rep, cnt && cnt->kind == CT_V_INT ? cnt->u.i : -1, res);
        }
        if (IS("format")) return str_format(r, &self, pv, np, kn, kv, nk, res);
        if (IS("find") || IS("count")) {
            const ct_value *w = arg(pv, np, kn, kv, nk, 0, NULL);
            if (!w || (st = need_str(r, w, name))) return w ? st : ct_fail(r, IA_ERR_INVALID_ARG, "chat template: %s needs an argument", name);
            int64_t found = -1, count = 0;
            for (size_t i = 0; i + w->u.str.n <= self.u.str.n; i++) {
                if (memcmp(self.u.str.s + i, w->u.str.s, w->u.str.n)) continue;
                if (found < 0) found = (int64_t)ct_utf8_len(self.u.str.s, i);
                count++;
                if (w->u.str.n) i += w->u.str.n - 1;
            }
            *res = ct_int(IS("find") ? found : count);
            return IA_OK;
        }
    } else if (self.kind == CT_V_DICT) {
        if (IS("get")) {
            const ct_value *k = arg(pv, np, kn, kv, nk, 0, NULL), *def = arg(pv, np, kn, kv, nk, 1, NULL);
            if (!k) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: get needs a key");
            const ct_value *v = ct_dict_getv(self.u.dict, k);
            *res = v ? *v : def ? *def : (ct_value){.kind = CT_V_NONE};
            return IA_OK;
        }
        if (IS("items") || IS("keys") || IS("values")) {
            const ct_dict *d = self.u.dict;
            ct_list *l = ct_list_new(&r->arena, d->n);
            if (!l) return nomem(r);
            for (size_t i = 0; i < d->n; i++) {
                if (IS("keys")) l->v[i] = d->keys[i];
                else if (IS("values")) l->v[i] = d->vals[i];
                else {
                    ct_list *pair = ct_list_new(&r->arena, 2);
                    if (!pair) return nomem(r);
                    pair->tuple = 1;
                    pair->v[0] = d->keys[i];
                    pair->v[1] = d->vals[i];
                    pair->n = 2;
                    l->v[i] = list_value(pair);
                }
            }
            l->n = d->n;
            *res = list_value(l);
            return IA_OK;
        }
    }
    return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: the method '%s' of '%s' is outside the supported subset",
                   name, ct_type_name(&self));
#undef IS
}

/* ---- global functions */

ia_status ct_call_global(ct_render *r, const char *name, const ct_value *pv, size_t np, const char **kn,
                         const ct_value *kv, size_t nk, ct_value *res) {
#define IS(f) (!strcmp(name, f))
    if (IS("raise_exception")) {
        ct_value msg = np ? pv[0] : ct_str("", 0);
        ia_status st = ct_to_string(r, &msg, &msg);
        if (st) return st;
        return ct_fail(r, IA_ERR_INVALID_ARG, "%.*s", (int)(msg.u.str.n > 400 ? 400 : msg.u.str.n), msg.u.str.s);
    }
    if (IS("namespace") || IS("dict")) {
        ct_dict *d = ct_dict_new(&r->arena, nk + 2);
        if (!d) return nomem(r);
        if (np > 1 || (np == 1 && pv[0].kind != CT_V_DICT))
            return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: %s() with positional arguments other than one dict", name);
        if (np == 1)
            for (size_t i = 0; i < pv[0].u.dict->n; i++)
                if (!ct_dict_set(&r->arena, d, pv[0].u.dict->keys[i], pv[0].u.dict->vals[i])) return nomem(r);
        for (size_t i = 0; i < nk; i++) {
            if (IS("namespace") && kn[i][0] == '_')
                return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: cannot store underscore-prefixed attributes on a namespace");
            if (!ct_dict_set(&r->arena, d, ct_str(kn[i], strlen(kn[i])), kv[i])) return nomem(r);
        }
        res->kind = IS("namespace") ? CT_V_NS : CT_V_DICT;
        res->u.dict = d;
        return IA_OK;
    }
    if (IS("range")) {
        int64_t a[3] = {0, 0, 1};
        if (np < 1 || np > 3 || nk) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: range expects 1 to 3 integers");
        for (size_t i = 0; i < np; i++) {
            if (pv[i].kind != CT_V_INT && pv[i].kind != CT_V_BOOL)
                return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: range expects integers, got '%s'", ct_type_name(&pv[i]));
            a[np == 1 ? 1 : i] = pv[i].kind == CT_V_INT ? pv[i].u.i : pv[i].u.b;
        }
        if (a[2] == 0) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: range() arg 3 must not be zero");
        /* Jinja's sandbox caps ranges at MAX_RANGE = 100000 items */
        double count = ceil(((double)a[1] - (double)a[0]) / (double)a[2]);
        if (count > 100000) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: range too big (over 100000 items)");
        ct_list *l = ct_list_new(&r->arena, count > 0 ? (size_t)count : 0);
        if (!l) return nomem(r);
        for (int64_t i = a[0]; a[2] > 0 ? i < a[1] : i > a[1]; i += a[2]) l->v[l->n++] = ct_int(i);
        *res = list_value(l);
        return IA_OK;
    }
    if (IS("strftime_now")) {
        char out[256];
        struct tm tm;
        if (np != 1 || pv[0].kind != CT_V_STR) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: strftime_now expects a format string");
        char *fmt = ct_strdup(&r->arena, pv[0].u.str.s, pv[0].u.str.n);
        if (!fmt) return nomem(r);
        time_t now = r->t->clock ? (time_t)r->t->clock : time(NULL);
        if (r->t->clock) gmtime_r(&now, &tm);
        else localtime_r(&now, &tm);
        size_t len = strftime(out, sizeof out, fmt, &tm);
        if (len == 0 && pv[0].u.str.n) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: strftime_now result too long");
        char *s = ct_strdup(&r->arena, out, len);
        if (!s) return nomem(r);
        *res = ct_str(s, len);
        return IA_OK;
    }
    return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: the function '%s' is outside the supported subset", name);
#undef IS
}
