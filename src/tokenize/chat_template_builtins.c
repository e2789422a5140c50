/*
 * chat_template_builtins.c — the filters, tests and global functions chat
 * templates call, each with the semantics of Jinja 3.1 (jinja2/filters.py,
 * jinja2/tests.py) and transformers' additions (raise_exception,
 * strftime_now, tojson without HTML escaping, namespace, dict).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenize/chat_template_impl.h"

/* The filters of the subset; any other name is refused at parse time (or,
 * inside an if or a conditional expression, when reached: see check_tree()
 * in chat_template_parse.c). */
static const char *const FILTERS[] = {
    "trim", "length", "count", "upper", "lower", "title", "capitalize", "tojson", "default", "d", "first", "last",
    "join", "replace", "items", "selectattr", "rejectattr", "select", "reject", "map", "list", "string", "int",
    "float", "abs", "indent", "safe", "reverse", "dictsort", NULL};

/* "==" and the like are reachable only as names in select("==", x). */
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
    ia_status st = ct_need_str(r, path, "attribute");
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
    if (!(out = ct_list_new(&r->arena, items->n))) return ct_nomem(r);
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
    *res = ct_list_value(out);
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
    return ct_make_str(r, &b, res);
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
    return ct_make_str(r, &b, res);
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
        ct_value t = ct_strip(v, NULL, 3);
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
    return ct_map_case(r, v, 0, key);
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

/* ---- filters */

ia_status ct_apply_filter(ct_render *r, const ct_node *n, const char *name, ct_value x, const ct_value *pv,
                          size_t np, const char **kn, const ct_value *kv, size_t nk, ct_value *res) {
    ia_status st;
    if (!ct_filter_known(name))
        return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template %d:%d: no filter named '%s' in the supported subset",
                       n->line, n->col, name);
    ct_value s;
#define IS(f) (!strcmp(name, f))
    if (IS("safe")) { *res = x; return IA_OK; }
    if (IS("default") || IS("d")) {
        const ct_value *def = ct_arg(pv, np, kn, kv, nk, 0, "default_value");
        const ct_value *boolean = ct_arg(pv, np, kn, kv, nk, 1, "boolean");
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
        *res = ct_strip(&s, ct_arg(pv, np, kn, kv, nk, 0, "chars"), 3);
        return IA_OK;
    }
    if (IS("upper")) return ct_map_case(r, &x, 1, res);
    if (IS("lower")) return ct_map_case(r, &x, 0, res);
    if (IS("title")) return ct_map_case(r, &x, 4, res);
    if (IS("capitalize")) return ct_map_case(r, &x, 3, res);
    if (IS("tojson")) {
        const ct_value *ind = ct_arg(pv, np, kn, kv, nk, 1, "indent");
        const ct_value *sk = ct_arg(pv, np, kn, kv, nk, 3, "sort_keys");
        const ct_value *sep = ct_arg(pv, np, kn, kv, nk, 2, "separators");
        const ct_value *ea = ct_arg(pv, np, kn, kv, nk, 0, "ensure_ascii");
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
        return ct_make_str(r, &b, res);
    }
    if (IS("first") || IS("last")) {
        ct_list *items;
        if ((st = ct_iterable(r, &x, &items))) return st;
        *res = items->n ? items->v[IS("first") ? 0 : items->n - 1] : ct_undef(NULL, 0);
        return IA_OK;
    }
    if (IS("join"))
        return join(r, x, ct_arg(pv, np, kn, kv, nk, 0, "d"), ct_arg(pv, np, kn, kv, nk, 1, "attribute"), res);
    if (IS("replace")) {
        const ct_value *old = ct_arg(pv, np, kn, kv, nk, 0, "old"), *rep = ct_arg(pv, np, kn, kv, nk, 1, "new"),
                       *cnt = ct_arg(pv, np, kn, kv, nk, 2, "count");
        if (!old || !rep) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: replace needs old and new");
        if ((st = ct_to_string(r, &x, &s))) return st;
        return ct_replace(r, &s, old, rep, cnt && cnt->kind == CT_V_INT ? cnt->u.i : -1, res);
    }
    if (IS("items")) {
        if (x.kind == CT_V_UNDEF) {
            ct_list *l = ct_list_new(&r->arena, 0);
            if (!l) return ct_nomem(r);
            *res = ct_list_value(l);
            return IA_OK;
        }
        if (x.kind != CT_V_DICT) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: items filter expects a mapping, got '%s'", ct_type_name(&x));
        return ct_call_method(r, x, "items", NULL, 0, NULL, NULL, 0, res);
    }
    if (IS("list")) {
        ct_list *items, *l;
        if ((st = ct_iterable(r, &x, &items))) return st;
        if (!(l = ct_list_new(&r->arena, items->n))) return ct_nomem(r);
        if (items->n) memcpy(l->v, items->v, items->n * sizeof *l->v);
        l->n = items->n;
        *res = ct_list_value(l);
        return IA_OK;
    }
    if (IS("reverse")) {
        if (x.kind == CT_V_STR) {
            ct_list *chars;
            ct_buf b = {0};
            if ((st = ct_iterable(r, &x, &chars))) return st;
            for (size_t i = chars->n; i-- > 0;) ct_buf_put(&b, chars->v[i].u.str.s, chars->v[i].u.str.n);
            return ct_make_str(r, &b, res);
        }
        ct_list *items, *l;
        if ((st = ct_iterable(r, &x, &items))) return st;
        if (!(l = ct_list_new(&r->arena, items->n))) return ct_nomem(r);
        for (size_t i = items->n; i-- > 0;) l->v[l->n++] = items->v[i];
        *res = ct_list_value(l);
        return IA_OK;
    }
    if (IS("dictsort")) {
        const ct_value *cs = ct_arg(pv, np, kn, kv, nk, 0, "case_sensitive"), *by = ct_arg(pv, np, kn, kv, nk, 1, "by"),
                       *rev = ct_arg(pv, np, kn, kv, nk, 2, "reverse");
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
        const ct_value *attr = ct_arg(pv, np, kn, kv, nk, (size_t)-1, "attribute");
        const ct_value *def = ct_arg(pv, np, kn, kv, nk, (size_t)-1, "default");
        ct_list *items, *l;
        if ((st = ct_iterable(r, &x, &items))) return st;
        if (!(l = ct_list_new(&r->arena, items->n))) return ct_nomem(r);
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
        *res = ct_list_value(l);
        return IA_OK;
    }
    if (IS("int")) return to_int(r, &x, ct_arg(pv, np, kn, kv, nk, 0, "default"), res);
    if (IS("float")) {
        ct_value v = {.kind = CT_V_FLOAT};
        if (x.kind == CT_V_FLOAT) v = x;
        else if (x.kind == CT_V_INT || x.kind == CT_V_BOOL) v.u.f = x.kind == CT_V_INT ? (double)x.u.i : x.u.b;
        else if (x.kind == CT_V_STR) {
            char buf[64], *end;
            ct_value t = ct_strip(&x, NULL, 3);
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
        const ct_value *w = ct_arg(pv, np, kn, kv, nk, 0, "width"), *first = ct_arg(pv, np, kn, kv, nk, 1, "first"),
                       *blank = ct_arg(pv, np, kn, kv, nk, 2, "blank");
        return indent(r, &x, w, first && ct_truthy(first), blank && ct_truthy(blank), res);
    }
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

/* ---- global functions */

ia_status ct_call_global(ct_render *r, const char *name, const ct_value *pv, size_t np, const char **kn,
                         const ct_value *kv, size_t nk, ct_value *res) {
#define IS(f) (!strcmp(name, f))
    if (IS("raise_exception")) {
        ct_value msg = np ? pv[0] : ct_str("", 0);
        ia_status st = ct_to_string(r, &msg, &msg);
        if (st) return st;
        return ct_fail(r, IA_ERR_INVALID_ARG, "%.*s", (int)(msg.u.str.n > 1000 ? 1000 : msg.u.str.n), msg.u.str.s);
    }
    if (IS("namespace") || IS("dict")) {
        ct_dict *d = ct_dict_new(&r->arena, nk + 2);
        if (!d) return ct_nomem(r);
        if (np > 1 || (np == 1 && pv[0].kind != CT_V_DICT))
            return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: %s() with positional arguments other than one dict", name);
        if (np == 1)
            for (size_t i = 0; i < pv[0].u.dict->n; i++)
                if (!ct_dict_set(&r->arena, d, pv[0].u.dict->keys[i], pv[0].u.dict->vals[i])) return ct_nomem(r);
        for (size_t i = 0; i < nk; i++) {
            if (IS("namespace") && kn[i][0] == '_')
                return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: cannot store underscore-prefixed attributes on a namespace");
            if (!ct_dict_set(&r->arena, d, ct_str(kn[i], strlen(kn[i])), kv[i])) return ct_nomem(r);
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
        if (!l) return ct_nomem(r);
        for (int64_t i = a[0]; a[2] > 0 ? i < a[1] : i > a[1]; i += a[2]) l->v[l->n++] = ct_int(i);
        *res = ct_list_value(l);
        return IA_OK;
    }
    if (IS("strftime_now")) {
        char out[256];
        struct tm tm;
        if (np != 1 || pv[0].kind != CT_V_STR) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: strftime_now expects a format string");
        char *fmt = ct_strdup(&r->arena, pv[0].u.str.s, pv[0].u.str.n);
        if (!fmt) return ct_nomem(r);
        time_t now = r->t->clock ? (time_t)r->t->clock : time(NULL);
        if (r->t->clock) gmtime_r(&now, &tm);
        else localtime_r(&now, &tm);
        size_t len = strftime(out, sizeof out, fmt, &tm);
        if (len == 0 && pv[0].u.str.n) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: strftime_now result too long");
        char *s = ct_strdup(&r->arena, out, len);
        if (!s) return ct_nomem(r);
        *res = ct_str(s, len);
        return IA_OK;
    }
    return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: the function '%s' is outside the supported subset", name);
#undef IS
}
