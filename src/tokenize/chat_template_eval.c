/*
 * chat_template_eval.c — evaluates the expressions of a chat template to
 * values in the render's arena (freed at once when the render ends), with
 * Python's semantics for the operators Jinja hands to Python: attribute and
 * item lookup (undefined when missing, an error on an undefined value),
 * slices, arithmetic, comparison, "in", calls of macros, methods and
 * globals. Statements are in chat_template_render.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/chat_template_impl.h"
#include "util/error.h"

ia_status ct_fail(ct_render *r, ia_status status, const char *fmt, ...) {
    if (r->status) return r->status; /* keep the first message */
    char msg[1024]; /* ia_last_error()'s size */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->status = status;
    return ia_error(status, "%s", msg);
}

ia_status ct_nomem(ct_render *r) {
    if (r->arena.over_limit)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: render needs over %u MiB of values", (unsigned)(r->arena.limit >> 20));
    return ct_fail(r, IA_ERR_NOMEM, "chat template: out of memory");
}


static const char *const GLOBALS[] = {"range", "namespace", "dict", "raise_exception", "strftime_now", NULL};

ct_value ct_lookup(const ct_frame *f, const char *name, size_t n) {
    for (; f; f = f->parent) {
        const ct_value *v = ct_dict_get(f->vars, name, n);
        if (v) return *v;
    }
    for (int i = 0; GLOBALS[i]; i++) {
        if (strlen(GLOBALS[i]) == n && memcmp(GLOBALS[i], name, n) == 0) {
            ct_value v = {.kind = CT_V_FUNC};
            v.u.str.s = GLOBALS[i];
            v.u.str.n = n;
            return v;
        }
    }
    return ct_undef(name, n);
}

ia_status ct_set_var(ct_render *r, ct_frame *f, const char *name, ct_value v) {
    if (!ct_dict_set(&r->arena, f->vars, ct_str(name, strlen(name)), v)) return ct_nomem(r);
    return IA_OK;
}

ia_status ct_new_frame(ct_render *r, ct_frame *parent, ct_frame **out) {
    ct_frame *f = ct_alloc(&r->arena, sizeof *f);
    if (!f || !(f->vars = ct_dict_new(&r->arena, 4))) return ct_nomem(r);
    f->parent = parent;
    *out = f;
    return IA_OK;
}

static ia_status undefined_error(ct_render *r, const ct_value *v) {
    if (v->u.str.s) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: '%.*s' is undefined", (int)v->u.str.n, v->u.str.s);
    return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: an undefined value was used");
}

ia_status ct_to_string(ct_render *r, const ct_value *v, ct_value *res) {
    if (v->kind == CT_V_STR) {
        *res = *v;
        return IA_OK;
    }
    ct_buf b = {0};
    ct_str_of(&b, v);
    if (b.failed) {
        free(b.p);
        return ct_nomem(r);
    }
    char *s = ct_strdup(&r->arena, b.p ? b.p : "", b.n);
    free(b.p);
    if (!s) return ct_nomem(r);
    *res = ct_str(s, b.n);
    return IA_OK;
}

ia_status ct_iterable(ct_render *r, const ct_value *v, ct_list **out) {
    ct_list *l;
    switch (v->kind) {
    case CT_V_LIST: *out = v->u.list; return IA_OK;
    case CT_V_UNDEF:
        if (!(*out = ct_list_new(&r->arena, 0))) return ct_nomem(r);
        return IA_OK;
    case CT_V_DICT:
    case CT_V_NS:
        if (!(l = ct_list_new(&r->arena, v->u.dict->n))) return ct_nomem(r);
        for (size_t i = 0; i < v->u.dict->n; i++) l->v[l->n++] = v->u.dict->keys[i];
        *out = l;
        return IA_OK;
    case CT_V_STR: {
        const char *s = v->u.str.s;
        size_t n = v->u.str.n;
        if (!(l = ct_list_new(&r->arena, ct_utf8_len(s, n)))) return ct_nomem(r);
        for (size_t i = 0; i < n;) {
            size_t j = i + 1;
            while (j < n && ((unsigned char)s[j] & 0xC0) == 0x80) j++;
            l->v[l->n++] = ct_str(s + i, j - i);
            i = j;
        }
        *out = l;
        return IA_OK;
    }
    default: return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: '%s' object is not iterable", ct_type_name(v));
    }
}

ia_status ct_getattr(ct_render *r, const ct_value *obj, const char *name, size_t n, ct_value *res) {
    if (obj->kind == CT_V_UNDEF) return undefined_error(r, obj);
    if (obj->kind == CT_V_DICT || obj->kind == CT_V_NS) {
        const ct_value *v = ct_dict_get(obj->u.dict, name, n);
        if (v) {
            *res = *v;
            return IA_OK;
        }
    }
    *res = ct_undef(name, n);
    return IA_OK;
}

/* Python index i into a sequence of length len: negative counts from the end;
 * returns 0 when out of range. */
static int py_index(int64_t i, size_t len, size_t *at) {
    if (i < 0) i += (int64_t)len;
    if (i < 0 || (uint64_t)i >= len) return 0;
    *at = (size_t)i;
    return 1;
}

static ia_status getitem(ct_render *r, const ct_value *obj, const ct_value *key, ct_value *res) {
    if (obj->kind == CT_V_UNDEF) return undefined_error(r, obj);
    if (obj->kind == CT_V_DICT || obj->kind == CT_V_NS) {
        const ct_value *v = ct_dict_getv(obj->u.dict, key);
        *res = v ? *v : key->kind == CT_V_STR ? ct_undef(key->u.str.s, key->u.str.n) : ct_undef(NULL, 0);
        return IA_OK;
    }
    if ((obj->kind == CT_V_LIST || obj->kind == CT_V_STR) && (key->kind == CT_V_INT || key->kind == CT_V_BOOL)) {
        int64_t i = key->kind == CT_V_INT ? key->u.i : key->u.b;
        size_t at;
        if (obj->kind == CT_V_LIST) {
            if (!py_index(i, obj->u.list->n, &at)) *res = ct_undef(NULL, 0);
            else *res = obj->u.list->v[at];
        } else {
            const char *s = obj->u.str.s;
            size_t n = obj->u.str.n;
            if (!py_index(i, ct_utf8_len(s, n), &at)) {
                *res = ct_undef(NULL, 0);
            } else {
                size_t b = ct_utf8_offset(s, n, at), e = b + 1;
                while (e < n && ((unsigned char)s[e] & 0xC0) == 0x80) e++;
                *res = ct_str(s + b, e - b);
            }
        }
        return IA_OK;
    }
    if (key->kind == CT_V_STR) return ct_getattr(r, obj, key->u.str.s, key->u.str.n, res);
    *res = ct_undef(NULL, 0);
    return IA_OK;
}

static ia_status slice_bound(ct_render *r, const ct_value *v, int64_t *out, int *given) {
    *given = 0;
    if (v->kind == CT_V_NONE || v->kind == CT_V_UNDEF) return IA_OK;
    if (v->kind != CT_V_INT && v->kind != CT_V_BOOL)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: slice indices must be integers, got '%s'", ct_type_name(v));
    *out = v->kind == CT_V_INT ? v->u.i : v->u.b;
    *given = 1;
    return IA_OK;
}

/* Python's slice.indices(len) and the selection it makes. */
static ia_status do_slice(ct_render *r, const ct_value *obj, const ct_value *lo, const ct_value *hi,
                          const ct_value *stepv, ct_value *res) {
    int64_t start = 0, stop = 0, step = 1;
    int gs, ge, gp;
    ia_status st;
    if (obj->kind == CT_V_UNDEF) return undefined_error(r, obj);
    if (obj->kind != CT_V_LIST && obj->kind != CT_V_STR)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: '%s' object is not subscriptable", ct_type_name(obj));
    if ((st = slice_bound(r, lo, &start, &gs)) || (st = slice_bound(r, hi, &stop, &ge)) ||
        (st = slice_bound(r, stepv, &step, &gp)))
        return st;
    if (!gp) step = 1;
    if (step == 0) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: slice step cannot be zero");
    int64_t len = obj->kind == CT_V_LIST ? (int64_t)obj->u.list->n : (int64_t)ct_utf8_len(obj->u.str.s, obj->u.str.n);
    if (!gs) start = step < 0 ? len - 1 : 0;
    else {
        if (start < 0) start += len;
        if (start < 0) start = step < 0 ? -1 : 0;
        if (start >= len) start = step < 0 ? len - 1 : len;
    }
    if (!ge) stop = step < 0 ? -1 : len;
    else {
        if (stop < 0) stop += len;
        if (stop < 0) stop = step < 0 ? -1 : 0;
        if (stop >= len) stop = step < 0 ? len - 1 : len;
    }
    if (obj->kind == CT_V_STR && step == 1) {
        const char *s = obj->u.str.s;
        size_t n = obj->u.str.n;
        if (stop <= start) *res = ct_str(s, 0);
        else {
            size_t b = ct_utf8_offset(s, n, (size_t)start), e = ct_utf8_offset(s, n, (size_t)stop);
            *res = ct_str(s + b, e - b);
        }
        return IA_OK;
    }
    ct_list *items, *l;
    if ((st = ct_iterable(r, obj, &items))) return st;
    if (!(l = ct_list_new(&r->arena, 0))) return ct_nomem(r);
    l->tuple = obj->kind == CT_V_LIST && obj->u.list->tuple;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
        if (!ct_list_push(&r->arena, l, items->v[i])) return ct_nomem(r);
    if (obj->kind == CT_V_LIST) {
        res->kind = CT_V_LIST;
        res->u.list = l;
        return IA_OK;
    }
    ct_buf b = {0};
    for (size_t i = 0; i < l->n; i++) ct_buf_put(&b, l->v[i].u.str.s, l->v[i].u.str.n);
    char *s = ct_strdup(&r->arena, b.p ? b.p : "", b.n);
    free(b.p);
    if (!s || b.failed) return ct_nomem(r);
    *res = ct_str(s, b.n);
    return IA_OK;
}

static int is_num(const ct_value *v) { return v->kind == CT_V_INT || v->kind == CT_V_FLOAT || v->kind == CT_V_BOOL; }
static int is_intlike(const ct_value *v) { return v->kind == CT_V_INT || v->kind == CT_V_BOOL; }
static int64_t as_i(const ct_value *v) { return v->kind == CT_V_INT ? v->u.i : v->u.b; }
static double as_f(const ct_value *v) { return v->kind == CT_V_FLOAT ? v->u.f : (double)as_i(v); }

static ct_value fval(double f) {
    ct_value v = {.kind = CT_V_FLOAT};
    v.u.f = f;
    return v;
}

static ia_status concat_str(ct_render *r, const ct_value *x, const ct_value *y, ct_value *res) {
    ct_buf b = {0};
    ct_str_of(&b, x);
    ct_str_of(&b, y);
    char *s = ct_strdup(&r->arena, b.p ? b.p : "", b.n);
    free(b.p);
    if (!s || b.failed) return ct_nomem(r);
    *res = ct_str(s, b.n);
    return IA_OK;
}

static const char *op_name(int op) {
    static const char *const names[] = {"?", "+", "-", "*", "/", "//", "%", "**", "~",
                                        "==", "!=", "<", "<=", ">", ">=", "in", "not in"};
    return names[op];
}

static ia_status binop(ct_render *r, int op, const ct_value *x, const ct_value *y, ct_value *res) {
    if (op == CT_OP_CONCAT) return concat_str(r, x, y, res);
    if (x->kind == CT_V_UNDEF) return undefined_error(r, x);
    if (y->kind == CT_V_UNDEF) return undefined_error(r, y);
    if (is_num(x) && is_num(y)) {
        int ints = is_intlike(x) && is_intlike(y);
        int64_t a = ints ? as_i(x) : 0, b = ints ? as_i(y) : 0, c;
        double fa = as_f(x), fb = as_f(y);
        switch (op) {
        case CT_OP_ADD:
            if (ints && !__builtin_add_overflow(a, b, &c)) { *res = ct_int(c); return IA_OK; }
            if (ints) break;
            *res = fval(fa + fb);
            return IA_OK;
        case CT_OP_SUB:
            if (ints && !__builtin_sub_overflow(a, b, &c)) { *res = ct_int(c); return IA_OK; }
            if (ints) break;
            *res = fval(fa - fb);
            return IA_OK;
        case CT_OP_MUL:
            if (ints && !__builtin_mul_overflow(a, b, &c)) { *res = ct_int(c); return IA_OK; }
            if (ints) break;
            *res = fval(fa * fb);
            return IA_OK;
        case CT_OP_DIV:
            if (fb == 0) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: division by zero");
            *res = fval(fa / fb);
            return IA_OK;
        case CT_OP_FLOORDIV:
        case CT_OP_MOD:
            if (ints) {
                if (b == 0) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: integer division or modulo by zero");
                if (a == INT64_MIN && b == -1) break;
                int64_t q = a / b, m = a % b;
                if (m != 0 && ((m < 0) != (b < 0))) { q--; m += b; }
                *res = ct_int(op == CT_OP_FLOORDIV ? q : m);
                return IA_OK;
            }
            if (fb == 0) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: float division or modulo by zero");
            {
                double q = __builtin_floor(fa / fb);
                *res = fval(op == CT_OP_FLOORDIV ? q : fa - q * fb);
            }
            return IA_OK;
        case CT_OP_POW:
            if (ints && b >= 0) {
                int64_t p = 1;
                int ovf = 0;
                for (int64_t i = 0; i < b && !ovf; i++) ovf = __builtin_mul_overflow(p, a, &p);
                if (!ovf) { *res = ct_int(p); return IA_OK; }
                break;
            }
            *res = fval(__builtin_pow(fa, fb));
            return IA_OK;
        }
        return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: integer result beyond 64 bits");
    }
    if (op == CT_OP_ADD && x->kind == CT_V_STR && y->kind == CT_V_STR) return concat_str(r, x, y, res);
    if (op == CT_OP_ADD && x->kind == CT_V_LIST && y->kind == CT_V_LIST && x->u.list->tuple == y->u.list->tuple) {
        ct_list *l = ct_list_new(&r->arena, x->u.list->n + y->u.list->n);
        if (!l) return ct_nomem(r);
        l->tuple = x->u.list->tuple;
        for (size_t i = 0; i < x->u.list->n; i++) l->v[l->n++] = x->u.list->v[i];
        for (size_t i = 0; i < y->u.list->n; i++) l->v[l->n++] = y->u.list->v[i];
        res->kind = CT_V_LIST;
        res->u.list = l;
        return IA_OK;
    }
    if (op == CT_OP_MUL && ((x->kind == CT_V_STR && is_intlike(y)) || (y->kind == CT_V_STR && is_intlike(x)))) {
        const ct_value *s = x->kind == CT_V_STR ? x : y;
        int64_t k = x->kind == CT_V_STR ? as_i(y) : as_i(x);
        if (k <= 0) { *res = ct_str("", 0); return IA_OK; }
        if ((uint64_t)k > CT_MAX_OUT / (s->u.str.n + 1)) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: string repetition too large");
        char *p = ct_alloc(&r->arena, s->u.str.n * (size_t)k + 1);
        if (!p) return ct_nomem(r);
        for (int64_t i = 0; i < k; i++) memcpy(p + (size_t)i * s->u.str.n, s->u.str.s, s->u.str.n);
        *res = ct_str(p, s->u.str.n * (size_t)k);
        return IA_OK;
    }
    if (op == CT_OP_MUL && ((x->kind == CT_V_LIST && is_intlike(y)) || (y->kind == CT_V_LIST && is_intlike(x)))) {
        const ct_list *src = x->kind == CT_V_LIST ? x->u.list : y->u.list;
        int64_t k = x->kind == CT_V_LIST ? as_i(y) : as_i(x);
        if (k < 0) k = 0;
        if (src->n && (uint64_t)k > (CT_MAX_OUT / 16) / src->n)
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: list repetition too large");
        ct_list *l = ct_list_new(&r->arena, src->n * (size_t)k);
        if (!l) return ct_nomem(r);
        l->tuple = src->tuple;
        for (int64_t i = 0; i < k; i++)
            for (size_t j = 0; j < src->n; j++) l->v[l->n++] = src->v[j];
        res->kind = CT_V_LIST;
        res->u.list = l;
        return IA_OK;
    }
    if (op == CT_OP_MOD && x->kind == CT_V_STR)
        return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: printf-style string formatting ('%%' on a string) is outside the supported Jinja subset");
    return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: unsupported operand type(s) for %s: '%s' and '%s'",
                   op_name(op), ct_type_name(x), ct_type_name(y));
}

ia_status ct_compare(ct_render *r, const ct_value *x, const ct_value *y, int *cmp) {
    if (is_num(x) && is_num(y)) {
        if (is_intlike(x) && is_intlike(y)) *cmp = (as_i(x) > as_i(y)) - (as_i(x) < as_i(y));
        else *cmp = (as_f(x) > as_f(y)) - (as_f(x) < as_f(y));
        return IA_OK;
    }
    if (x->kind == CT_V_STR && y->kind == CT_V_STR) {
        /* UTF-8 byte order is code point order, which Python compares */
        size_t n = x->u.str.n < y->u.str.n ? x->u.str.n : y->u.str.n;
        int c = memcmp(x->u.str.s, y->u.str.s, n);
        *cmp = c ? (c > 0) - (c < 0) : (x->u.str.n > y->u.str.n) - (x->u.str.n < y->u.str.n);
        return IA_OK;
    }
    if (x->kind == CT_V_LIST && y->kind == CT_V_LIST) {
        size_t n = x->u.list->n < y->u.list->n ? x->u.list->n : y->u.list->n;
        for (size_t i = 0; i < n; i++) {
            if (ct_equal(&x->u.list->v[i], &y->u.list->v[i])) continue;
            return ct_compare(r, &x->u.list->v[i], &y->u.list->v[i], cmp);
        }
        *cmp = (x->u.list->n > y->u.list->n) - (x->u.list->n < y->u.list->n);
        return IA_OK;
    }
    if (x->kind == CT_V_UNDEF) return undefined_error(r, x);
    if (y->kind == CT_V_UNDEF) return undefined_error(r, y);
    return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: '<' not supported between instances of '%s' and '%s'",
                   ct_type_name(x), ct_type_name(y));
}

static ia_status contains(ct_render *r, const ct_value *item, const ct_value *in, int *res) {
    switch (in->kind) {
    case CT_V_STR:
        if (item->kind != CT_V_STR)
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: 'in <string>' requires string as left operand, not %s", ct_type_name(item));
        if (item->u.str.n == 0) { *res = 1; return IA_OK; }
        *res = 0;
        for (size_t i = 0; i + item->u.str.n <= in->u.str.n && !*res; i++)
            *res = memcmp(in->u.str.s + i, item->u.str.s, item->u.str.n) == 0;
        return IA_OK;
    case CT_V_LIST:
        *res = 0;
        for (size_t i = 0; i < in->u.list->n && !*res; i++) *res = ct_equal(&in->u.list->v[i], item);
        return IA_OK;
    case CT_V_DICT:
    case CT_V_NS: *res = ct_dict_getv(in->u.dict, item) != NULL; return IA_OK;
    case CT_V_UNDEF: *res = 0; return IA_OK;
    default: return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: argument of type '%s' is not iterable", ct_type_name(in));
    }
}

/* Evaluates args: positional into pv, keyword into kv (caller-sized). */
ia_status ct_eval_args(ct_render *r, const ct_node *n, ct_frame *f, ct_value **pv, ct_value **kv) {
    ia_status st;
    *pv = ct_alloc(&r->arena, (n->body.n + 1) * sizeof **pv);
    *kv = ct_alloc(&r->arena, (n->orelse.n + 1) * sizeof **kv);
    if (!*pv || !*kv) return ct_nomem(r);
    for (size_t i = 0; i < n->body.n; i++)
        if ((st = ct_eval(r, n->body.v[i], f, &(*pv)[i]))) return st;
    for (size_t i = 0; i < n->orelse.n; i++)
        if ((st = ct_eval(r, n->orelse.v[i], f, &(*kv)[i]))) return st;
    return IA_OK;
}

static ia_status eval_call(ct_render *r, const ct_node *n, ct_frame *f, ct_value *res) {
    ct_value *pv, *kv, callee;
    ia_status st;
    if (n->a->kind == CT_N_ATTR) {
        ct_value self;
        if ((st = ct_eval(r, n->a->a, f, &self))) return st;
        if (self.kind == CT_V_UNDEF) return undefined_error(r, &self);
        const ct_value *member = (self.kind == CT_V_DICT || self.kind == CT_V_NS)
                                     ? ct_dict_get(self.u.dict, n->a->name, n->a->name_len) : NULL;
        if (!member || (member->kind != CT_V_MACRO && member->kind != CT_V_FUNC)) {
            if ((st = ct_eval_args(r, n, f, &pv, &kv))) return st;
            return ct_call_method(r, self, n->a->name, pv, n->body.n, n->names, kv, n->n_names, res);
        }
        callee = *member;
    } else if ((st = ct_eval(r, n->a, f, &callee))) {
        return st;
    }
    if (callee.kind == CT_V_UNDEF) return undefined_error(r, &callee);
    if (callee.kind != CT_V_MACRO && callee.kind != CT_V_FUNC)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: '%s' object is not callable", ct_type_name(&callee));
    if ((st = ct_eval_args(r, n, f, &pv, &kv))) return st;
    if (callee.kind == CT_V_MACRO) return ct_call_macro(r, callee.u.macro, pv, n->body.n, n->names, kv, n->n_names, res);
    return ct_call_global(r, callee.u.str.s, pv, n->body.n, n->names, kv, n->n_names, res);
}

ia_status ct_eval(ct_render *r, const ct_node *n, ct_frame *f, ct_value *res) {
    ia_status st;
    ct_value x, y;
    if (++r->steps > CT_MAX_STEPS)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: render passed %u steps", CT_MAX_STEPS);
    switch (n->kind) {
    case CT_N_CONST: *res = n->value; return IA_OK;
    case CT_N_NAME: *res = ct_lookup(f, n->name, n->name_len); return IA_OK;
    case CT_N_LIST: {
        ct_list *l = ct_list_new(&r->arena, n->body.n);
        if (!l) return ct_nomem(r);
        l->tuple = n->op;
        for (size_t i = 0; i < n->body.n; i++)
            if ((st = ct_eval(r, n->body.v[i], f, &l->v[l->n++]))) return st;
        res->kind = CT_V_LIST;
        res->u.list = l;
        return IA_OK;
    }
    case CT_N_DICT: {
        ct_dict *d = ct_dict_new(&r->arena, n->body.n);
        if (!d) return ct_nomem(r);
        for (size_t i = 0; i < n->body.n; i++) {
            if ((st = ct_eval(r, n->body.v[i], f, &x)) || (st = ct_eval(r, n->orelse.v[i], f, &y))) return st;
            if (!ct_dict_set(&r->arena, d, x, y)) return ct_nomem(r);
        }
        res->kind = CT_V_DICT;
        res->u.dict = d;
        return IA_OK;
    }
    case CT_N_ATTR:
        if ((st = ct_eval(r, n->a, f, &x))) return st;
        return ct_getattr(r, &x, n->name, n->name_len, res);
    case CT_N_INDEX:
        if ((st = ct_eval(r, n->a, f, &x)) || (st = ct_eval(r, n->b, f, &y))) return st;
        return getitem(r, &x, &y, res);
    case CT_N_SLICE: {
        ct_value lo = {.kind = CT_V_NONE}, hi = {.kind = CT_V_NONE}, step = {.kind = CT_V_NONE};
        if ((st = ct_eval(r, n->a, f, &x))) return st;
        if (n->b && (st = ct_eval(r, n->b, f, &lo))) return st;
        if (n->c && (st = ct_eval(r, n->c, f, &hi))) return st;
        if (n->body.n && (st = ct_eval(r, n->body.v[0], f, &step))) return st;
        return do_slice(r, &x, &lo, &hi, &step, res);
    }
    case CT_N_CALL: return eval_call(r, n, f, res);
    case CT_N_FILTER: {
        ct_value *pv, *kv;
        if ((st = ct_eval(r, n->a, f, &x)) || (st = ct_eval_args(r, n, f, &pv, &kv))) return st;
        return ct_apply_filter(r, n, n->name, x, pv, n->body.n, n->names, kv, n->n_names, res);
    }
    case CT_N_TEST: {
        ct_value *pv, *kv;
        int t;
        if ((st = ct_eval(r, n->a, f, &x)) || (st = ct_eval_args(r, n, f, &pv, &kv))) return st;
        if ((st = ct_apply_test(r, n->name, &x, pv, n->body.n, &t))) return st;
        *res = ct_bool(n->op ? !t : t);
        return IA_OK;
    }
    case CT_N_BINOP:
        if ((st = ct_eval(r, n->a, f, &x)) || (st = ct_eval(r, n->b, f, &y))) return st;
        return binop(r, n->op, &x, &y, res);
    case CT_N_COMPARE: {
        int c = 0;
        if ((st = ct_eval(r, n->a, f, &x)) || (st = ct_eval(r, n->b, f, &y))) return st;
        switch (n->op) {
        case CT_OP_EQ: *res = ct_bool(ct_equal(&x, &y)); return IA_OK;
        case CT_OP_NE: *res = ct_bool(!ct_equal(&x, &y)); return IA_OK;
        case CT_OP_IN:
        case CT_OP_NOTIN:
            if ((st = contains(r, &x, &y, &c))) return st;
            *res = ct_bool(n->op == CT_OP_IN ? c : !c);
            return IA_OK;
        default:
            if ((st = ct_compare(r, &x, &y, &c))) return st;
            *res = ct_bool(n->op == CT_OP_LT ? c < 0 : n->op == CT_OP_LE ? c <= 0 : n->op == CT_OP_GT ? c > 0 : c >= 0);
            return IA_OK;
        }
    }
    case CT_N_NEG:
    case CT_N_POS:
        if ((st = ct_eval(r, n->a, f, &x))) return st;
        if (!is_num(&x))
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: bad operand type for unary %s: '%s'",
                           n->kind == CT_N_NEG ? "-" : "+", ct_type_name(&x));
        if (n->kind == CT_N_POS) *res = x.kind == CT_V_BOOL ? ct_int(x.u.b) : x;
        else if (x.kind == CT_V_FLOAT) *res = fval(-x.u.f);
        else if (as_i(&x) == INT64_MIN) return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: integer result beyond 64 bits");
        else *res = ct_int(-as_i(&x));
        return IA_OK;
    case CT_N_NOT:
        if ((st = ct_eval(r, n->a, f, &x))) return st;
        *res = ct_bool(!ct_truthy(&x));
        return IA_OK;
    case CT_N_AND:
    case CT_N_OR:
        /* Python returns the deciding operand, not a bool */
        if ((st = ct_eval(r, n->a, f, &x))) return st;
        if (ct_truthy(&x) == (n->kind == CT_N_OR)) {
            *res = x;
            return IA_OK;
        }
        return ct_eval(r, n->b, f, res);
    case CT_N_COND:
        if ((st = ct_eval(r, n->a, f, &x))) return st;
        if (ct_truthy(&x)) return ct_eval(r, n->b, f, res);
        if (n->c) return ct_eval(r, n->c, f, res);
        *res = ct_undef(NULL, 0);
        return IA_OK;
    default: return ct_fail(r, IA_ERR_INTERNAL, "chat template: statement node where an expression belongs");
    }
}
