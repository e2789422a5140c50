/*
 * chat_template_value.c — the run-time values of the chat-template
 * interpreter and how Python shows them: the arena they live in, str() and
 * repr() (what Jinja prints), json.dumps() as transformers' tojson filter
 * calls it, truthiness and equality with Python's rules (1 == 1.0 == True).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/chat_template_impl.h"

/* ---- arena */
struct ct_arena_block {
    ct_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

#define CT_BLOCK 65536 /* most renders fit in one or two blocks */

void *ct_alloc(ct_arena *a, size_t n) {
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0) n = sizeof(max_align_t);
    if (a->limit && (n > a->limit || a->used_total > a->limit - n)) {
        a->over_limit = 1;
        return NULL;
    }
    ct_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > CT_BLOCK ? n : CT_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->used = 0;
        b->cap = cap;
        if (n > CT_BLOCK && a->head) {
            /* a big one-off goes behind the current block, which keeps its room */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    a->used_total += n;
    memset(p, 0, n);
    return p;
}

char *ct_strdup(ct_arena *a, const char *s, size_t n) {
    char *p = ct_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void ct_arena_free(ct_arena *a) {
    ct_arena_block *b = a->head;
    while (b) {
        ct_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

/* ---- growable byte buffer (malloc'd: the render output) */
void ct_buf_put(ct_buf *b, const char *s, size_t n) {
    if (b->failed || n == 0) return;
    if (b->limit && (n > b->limit || b->n > b->limit - n)) {
        b->failed = 1;
        return;
    }
    if (b->cap - b->n < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void ct_buf_putc(ct_buf *b, char c) { ct_buf_put(b, &c, 1); }

/* ---- constructors */
ct_value ct_str(const char *s, size_t n) {
    ct_value v = {.kind = CT_V_STR};
    v.u.str.s = s;
    v.u.str.n = n;
    return v;
}

ct_value ct_int(int64_t i) {
    ct_value v = {.kind = CT_V_INT};
    v.u.i = i;
    return v;
}

ct_value ct_bool(int b) {
    ct_value v = {.kind = CT_V_BOOL};
    v.u.b = !!b;
    return v;
}

ct_value ct_undef(const char *name, size_t n) {
    ct_value v = {.kind = CT_V_UNDEF};
    v.u.str.s = name;
    v.u.str.n = n;
    return v;
}

ct_list *ct_list_new(ct_arena *a, size_t cap) {
    ct_list *l = ct_alloc(a, sizeof *l);
    if (!l) return NULL;
    if (cap) {
        l->v = ct_alloc(a, cap * sizeof *l->v);
        if (!l->v) return NULL;
        l->cap = cap;
    }
    return l;
}

int ct_list_push(ct_arena *a, ct_list *l, ct_value v) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        ct_value *nv = ct_alloc(a, cap * sizeof *nv);
        if (!nv) return 0;
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return 1;
}

ct_dict *ct_dict_new(ct_arena *a, size_t cap) {
    ct_dict *d = ct_alloc(a, sizeof *d);
    if (!d) return NULL;
    if (cap) {
        d->keys = ct_alloc(a, cap * sizeof *d->keys);
        d->vals = ct_alloc(a, cap * sizeof *d->vals);
        if (!d->keys || !d->vals) return NULL;
        d->cap = cap;
    }
    return d;
}

/* Dicts are small (a message, a namespace): linear search keeps insertion
 * order, which Python dicts (and so tojson, items()) show. */
static const ct_value *find(const ct_dict *d, const ct_value *key, size_t *at) {
    for (size_t i = 0; i < d->n; i++) {
        if (ct_equal(&d->keys[i], key)) {
            if (at) *at = i;
            return &d->vals[i];
        }
    }
    return NULL;
}

int ct_dict_set(ct_arena *a, ct_dict *d, ct_value key, ct_value v) {
    size_t at;
    if (find(d, &key, &at)) {
        d->vals[at] = v;
        return 1;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        ct_value *k = ct_alloc(a, cap * sizeof *k), *vv = ct_alloc(a, cap * sizeof *vv);
        if (!k || !vv) return 0;
        if (d->n) {
            memcpy(k, d->keys, d->n * sizeof *k);
            memcpy(vv, d->vals, d->n * sizeof *vv);
        }
        d->keys = k;
        d->vals = vv;
        d->cap = cap;
    }
    d->keys[d->n] = key;
    d->vals[d->n++] = v;
    return 1;
}

const ct_value *ct_dict_getv(const ct_dict *d, const ct_value *key) { return find(d, key, NULL); }

const ct_value *ct_dict_get(const ct_dict *d, const char *key, size_t n) {
    ct_value k = ct_str(key, n);
    return find(d, &k, NULL);
}

/* ---- Python semantics */
int ct_truthy(const ct_value *v) {
    switch (v->kind) {
    case CT_V_UNDEF:
    case CT_V_NONE: return 0;
    case CT_V_BOOL: return v->u.b;
    case CT_V_INT: return v->u.i != 0;
    case CT_V_FLOAT: return v->u.f != 0.0;
    case CT_V_STR: return v->u.str.n != 0;
    case CT_V_LIST: return v->u.list->n != 0;
    case CT_V_DICT: return v->u.dict->n != 0;
    default: return 1;
    }
}

static int is_num(const ct_value *v) { return v->kind == CT_V_BOOL || v->kind == CT_V_INT || v->kind == CT_V_FLOAT; }

static double num(const ct_value *v) {
    return v->kind == CT_V_FLOAT ? v->u.f : v->kind == CT_V_INT ? (double)v->u.i : (double)v->u.b;
}

int ct_equal(const ct_value *x, const ct_value *y) {
    if (is_num(x) && is_num(y)) {
        if (x->kind != CT_V_FLOAT && y->kind != CT_V_FLOAT) {
            int64_t a = x->kind == CT_V_INT ? x->u.i : x->u.b, b = y->kind == CT_V_INT ? y->u.i : y->u.b;
            return a == b;
        }
        return num(x) == num(y);
    }
    if (x->kind != y->kind) return 0;
    switch (x->kind) {
    case CT_V_UNDEF:
    case CT_V_NONE: return 1; /* Undefined == Undefined is True in Jinja */
    case CT_V_STR: return x->u.str.n == y->u.str.n && memcmp(x->u.str.s, y->u.str.s, x->u.str.n) == 0;
    case CT_V_LIST:
        if (x->u.list->n != y->u.list->n || x->u.list->tuple != y->u.list->tuple) return 0;
        for (size_t i = 0; i < x->u.list->n; i++)
            if (!ct_equal(&x->u.list->v[i], &y->u.list->v[i])) return 0;
        return 1;
    case CT_V_DICT:
        if (x->u.dict->n != y->u.dict->n) return 0;
        for (size_t i = 0; i < x->u.dict->n; i++) {
            const ct_value *o = ct_dict_getv(y->u.dict, &x->u.dict->keys[i]);
            if (!o || !ct_equal(&x->u.dict->vals[i], o)) return 0;
        }
        return 1;
    case CT_V_NS: return x->u.dict == y->u.dict;
    case CT_V_MACRO: return x->u.macro == y->u.macro;
    case CT_V_FUNC: return x->u.str.s == y->u.str.s;
    default: return 0;
    }
}

const char *ct_type_name(const ct_value *v) {
    static const char *const names[] = {"Undefined", "NoneType", "bool", "int", "float", "str", "list", "dict",
                                        "Namespace", "Macro", "function"};
    return names[v->kind];
}

/* Python's repr(float): the shortest digits that read back the same, in
 * fixed notation for exponents -4..15 and scientific otherwise. */
static void put_float(ct_buf *b, double f) {
    char s[64], t[64];
    if (isnan(f)) { ct_buf_put(b, "nan", 3); return; }
    if (isinf(f)) { ct_buf_put(b, f < 0 ? "-inf" : "inf", f < 0 ? 4 : 3); return; }
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(s, sizeof s, "%.*e", p - 1, f);
        if (strtod(s, NULL) == f) break;
    }
    /* s is d.ddde[+-]XX with p significant digits */
    char digits[32];
    size_t nd = 0;
    const char *q = s;
    int neg = 0;
    if (*q == '-') { neg = 1; q++; }
    for (; *q && *q != 'e'; q++)
        if (*q != '.') digits[nd++] = *q;
    int exp10 = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    size_t k = 0;
    if (neg) t[k++] = '-';
    if (exp10 >= -5 + 1 && exp10 < 16) {
        if (exp10 < 0) {
            t[k++] = '0';
            t[k++] = '.';
            for (int i = 0; i < -exp10 - 1; i++) t[k++] = '0';
            for (size_t i = 0; i < nd; i++) t[k++] = digits[i];
        } else {
            for (int i = 0; i <= exp10; i++) t[k++] = (size_t)i < nd ? digits[i] : '0';
            t[k++] = '.';
            if ((size_t)exp10 + 1 < nd) {
                for (size_t i = (size_t)exp10 + 1; i < nd; i++) t[k++] = digits[i];
            } else {
                t[k++] = '0';
            }
        }
    } else {
        t[k++] = digits[0];
        if (nd > 1) {
            t[k++] = '.';
            for (size_t i = 1; i < nd; i++) t[k++] = digits[i];
        }
        k += (size_t)snprintf(t + k, sizeof t - k, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    ct_buf_put(b, t, k);
}

static void put_int(ct_buf *b, int64_t i) {
    char s[32];
    int n = snprintf(s, sizeof s, "%lld", (long long)i);
    ct_buf_put(b, s, (size_t)n);
}

void ct_repr(ct_buf *b, const ct_value *v) {
    if (v->kind != CT_V_STR) {
        ct_str_of(b, v);
        return;
    }
    const char *s = v->u.str.s;
    size_t n = v->u.str.n;
    int has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    ct_buf_putc(b, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        if (c == (unsigned char)q || c == '\\') { ct_buf_putc(b, '\\'); ct_buf_putc(b, (char)c); }
        else if (c == '\n') ct_buf_put(b, "\\n", 2);
        else if (c == '\r') ct_buf_put(b, "\\r", 2);
        else if (c == '\t') ct_buf_put(b, "\\t", 2);
        else if (c < 0x20 || c == 0x7f) { snprintf(e, sizeof e, "\\x%02x", c); ct_buf_put(b, e, 4); }
        else ct_buf_putc(b, (char)c);
    }
    ct_buf_putc(b, q);
}

void ct_str_of(ct_buf *b, const ct_value *v) {
    switch (v->kind) {
    case CT_V_UNDEF: return;
    case CT_V_NONE: ct_buf_put(b, "None", 4); return;
    case CT_V_BOOL: ct_buf_put(b, v->u.b ? "True" : "False", v->u.b ? 4 : 5); return;
    case CT_V_INT: put_int(b, v->u.i); return;
    case CT_V_FLOAT: put_float(b, v->u.f); return;
    case CT_V_STR: ct_buf_put(b, v->u.str.s, v->u.str.n); return;
    case CT_V_LIST: {
        int tup = v->u.list->tuple;
        ct_buf_putc(b, tup ? '(' : '[');
        for (size_t i = 0; i < v->u.list->n; i++) {
            if (i) ct_buf_put(b, ", ", 2);
            ct_repr(b, &v->u.list->v[i]);
        }
        if (tup && v->u.list->n == 1) ct_buf_putc(b, ',');
        ct_buf_putc(b, tup ? ')' : ']');
        return;
    }
    case CT_V_DICT:
        ct_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.dict->n; i++) {
            if (i) ct_buf_put(b, ", ", 2);
            ct_repr(b, &v->u.dict->keys[i]);
            ct_buf_put(b, ": ", 2);
            ct_repr(b, &v->u.dict->vals[i]);
        }
        ct_buf_putc(b, '}');
        return;
    case CT_V_NS: ct_buf_put(b, "<Namespace>", 11); return;
    case CT_V_MACRO: ct_buf_put(b, "<Macro>", 7); return;
    case CT_V_FUNC: ct_buf_put(b, "<function>", 10); return;
    }
}

static void json_string(ct_buf *b, const char *s, size_t n) {
    ct_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        switch (c) {
        case '"': ct_buf_put(b, "\\\"", 2); break;
        case '\\': ct_buf_put(b, "\\\\", 2); break;
        case '\n': ct_buf_put(b, "\\n", 2); break;
        case '\r': ct_buf_put(b, "\\r", 2); break;
        case '\t': ct_buf_put(b, "\\t", 2); break;
        case '\b': ct_buf_put(b, "\\b", 2); break;
        case '\f': ct_buf_put(b, "\\f", 2); break;
        default:
            if (c < 0x20) {
                snprintf(e, sizeof e, "\\u%04x", c);
                ct_buf_put(b, e, 6);
            } else {
                ct_buf_putc(b, (char)c);
            }
        }
    }
    ct_buf_putc(b, '"');
}

static void newline_indent(ct_buf *b, int indent, int level) {
    ct_buf_putc(b, '\n');
    for (int i = 0; i < indent * level; i++) ct_buf_putc(b, ' ');
}

static int key_cmp(const void *x, const void *y) {
    const ct_value *a = *(const ct_value *const *)x, *c = *(const ct_value *const *)y;
    size_t n = a->u.str.n < c->u.str.n ? a->u.str.n : c->u.str.n;
    int r = memcmp(a->u.str.s, c->u.str.s, n);
    return r ? r : (a->u.str.n > c->u.str.n) - (a->u.str.n < c->u.str.n);
}

int ct_tojson(ct_buf *b, const ct_value *v, int indent, int sort_keys, int depth, const char **bad) {
    if (depth > 200) {
        *bad = "nesting deeper than 200";
        return 0;
    }
    /* json.dumps separators: (', ', ': ') without indent, (',', ': ') with */
    const char *item_sep = indent >= 0 ? "," : ", ";
    switch (v->kind) {
    case CT_V_NONE: ct_buf_put(b, "null", 4); return 1;
    case CT_V_BOOL: ct_buf_put(b, v->u.b ? "true" : "false", v->u.b ? 4 : 5); return 1;
    case CT_V_INT: put_int(b, v->u.i); return 1;
    case CT_V_FLOAT:
        if (isnan(v->u.f)) ct_buf_put(b, "NaN", 3);
        else if (isinf(v->u.f)) ct_buf_put(b, v->u.f < 0 ? "-Infinity" : "Infinity", v->u.f < 0 ? 9 : 8);
        else put_float(b, v->u.f);
        return 1;
    case CT_V_STR: json_string(b, v->u.str.s, v->u.str.n); return 1;
    case CT_V_LIST:
        if (v->u.list->n == 0) { ct_buf_put(b, "[]", 2); return 1; }
        ct_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.list->n; i++) {
            if (i) ct_buf_put(b, item_sep, strlen(item_sep));
            if (indent >= 0) newline_indent(b, indent, depth + 1);
            if (!ct_tojson(b, &v->u.list->v[i], indent, sort_keys, depth + 1, bad)) return 0;
        }
        if (indent >= 0) newline_indent(b, indent, depth);
        ct_buf_putc(b, ']');
        return 1;
    case CT_V_DICT: {
        const ct_dict *d = v->u.dict;
        if (d->n == 0) { ct_buf_put(b, "{}", 2); return 1; }
        const ct_value **order = malloc(d->n * sizeof *order);
        if (!order) { b->failed = 1; return 1; }
        for (size_t i = 0; i < d->n; i++) {
            order[i] = &d->keys[i];
            if (d->keys[i].kind != CT_V_STR) {
                free(order);
                *bad = "dict key that is not a string";
                return 0;
            }
        }
        if (sort_keys) qsort(order, d->n, sizeof *order, key_cmp);
        ct_buf_putc(b, '{');
        for (size_t i = 0; i < d->n; i++) {
            if (i) ct_buf_put(b, item_sep, strlen(item_sep));
            if (indent >= 0) newline_indent(b, indent, depth + 1);
            json_string(b, order[i]->u.str.s, order[i]->u.str.n);
            ct_buf_put(b, ": ", 2);
            if (!ct_tojson(b, &d->vals[order[i] - d->keys], indent, sort_keys, depth + 1, bad)) {
                free(order);
                return 0;
            }
        }
        free(order);
        if (indent >= 0) newline_indent(b, indent, depth);
        ct_buf_putc(b, '}');
        return 1;
    }
    default: *bad = ct_type_name(v); return 0;
    }
}

size_t ct_utf8_len(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

size_t ct_utf8_offset(const char *s, size_t n, size_t cp) {
    size_t i = 0, c = 0;
    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == cp) return i;
            c++;
        }
        i++;
    }
    return n;
}

/* Python's str.isspace() / re's \s for one code point in UTF-8: ASCII
 * \t..\r, \x1c..\x1f and space, and U+0085, U+00A0, U+1680, U+2000..U+200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000. */
static size_t space_len(const unsigned char *p, size_t avail) {
    if (avail == 0) return 0;
    unsigned char c = p[0];
    if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return 1;
    if (c == 0xC2 && avail >= 2 && (p[1] == 0x85 || p[1] == 0xA0)) return 2;
    if (avail < 3) return 0;
    if (c == 0xE1 && p[1] == 0x9A && p[2] == 0x80) return 3;
    if (c == 0xE2 && p[1] == 0x80 && (p[2] <= 0x8A || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF) && p[2] >= 0x80) return 3;
    if (c == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) return 3;
    if (c == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return 3;
    return 0;
}

size_t ct_space_at(const char *s, size_t n, size_t i) {
    return i < n ? space_len((const unsigned char *)s + i, n - i) : 0;
}

size_t ct_space_before(const char *s, size_t from, size_t i) {
    for (size_t k = 1; k <= 3 && k <= i - from; k++) {
        size_t len = space_len((const unsigned char *)s + i - k, k);
        if (len == k) return k;
    }
    return 0;
}
