/*
 * chat_template_strings.c — Python's str and dict methods as chat templates
 * call them (strip, split, startswith, replace, format, get, items, ...; the
 * ones Jinja's sandbox allows), and the string helpers the filters share.
 * Lowercasing is Unicode's full mapping, uppercasing ASCII only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/chat_template_impl.h"
#include "tokenize/unicode.h"
#include "tokenize/utf8.h"

ia_status ct_make_str(ct_render *r, ct_buf *b, ct_value *res) {
    char *s = ct_strdup(&r->arena, b->p ? b->p : "", b->n);
    int failed = b->failed;
    free(b->p);
    b->p = NULL;
    if (!s || failed) return ct_nomem(r);
    *res = ct_str(s, b->n);
    return IA_OK;
}

ct_value ct_list_value(ct_list *l) {
    ct_value v = {.kind = CT_V_LIST};
    v.u.list = l;
    return v;
}

/* keyword argument by name, else positional index pos, else NULL */
const ct_value *ct_arg(const ct_value *pv, size_t np, const char **kn, const ct_value *kv, size_t nk, size_t pos,
                           const char *name) {
    for (size_t i = 0; i < nk; i++)
        if (name && !strcmp(kn[i], name)) return &kv[i];
    return pos < np ? &pv[pos] : NULL;
}

/* str.strip / lstrip / rstrip (which: 1 left, 2 right, 3 both): Unicode
 * whitespace without chars; with chars, bytes of chars, which is exact for
 * the ASCII chars templates pass. */
ct_value ct_strip(const ct_value *s, const ct_value *chars, int which) {
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

ia_status ct_need_str(ct_render *r, const ct_value *v, const char *what) {
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
ia_status ct_map_case(ct_render *r, const ct_value *v, int mode, ct_value *res) {
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
    return ct_make_str(r, &b, res);
}

ia_status ct_replace(ct_render *r, const ct_value *s, const ct_value *old, const ct_value *rep, int64_t count,
                         ct_value *res) {
    ia_status st;
    if ((st = ct_need_str(r, s, "replace")) || (st = ct_need_str(r, old, "replace")) || (st = ct_need_str(r, rep, "replace")))
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
        return ct_make_str(r, &b, res);
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
    return ct_make_str(r, &b, res);
}

static ia_status split(ct_render *r, const ct_value *s, const ct_value *sep, int64_t maxsplit, ct_value *res) {
    ct_list *l = ct_list_new(&r->arena, 0);
    const char *p = s->u.str.s;
    size_t n = s->u.str.n, i = 0;
    int64_t done = 0;
    if (!l) return ct_nomem(r);
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
                if (!ct_list_push(&r->arena, l, ct_str(p + i, e - i))) return ct_nomem(r);
                break;
            }
            while (j < n && !ct_space_at(p, n, j)) j++;
            if (!ct_list_push(&r->arena, l, ct_str(p + i, j - i))) return ct_nomem(r);
            done++;
            i = j;
        }
    } else {
        ia_status st = ct_need_str(r, sep, "split");
        if (st) return st;
        size_t sn = sep->u.str.n;
        if (sn == 0) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: split: empty separator");
        size_t start = 0;
        for (i = 0; i + sn <= n;) {
            if ((maxsplit < 0 || done < maxsplit) && !memcmp(p + i, sep->u.str.s, sn)) {
                if (!ct_list_push(&r->arena, l, ct_str(p + start, i - start))) return ct_nomem(r);
                i += sn;
                start = i;
                done++;
            } else {
                i++;
            }
        }
        if (!ct_list_push(&r->arena, l, ct_str(p + start, n - start))) return ct_nomem(r);
    }
    *res = ct_list_value(l);
    return IA_OK;
}

static ia_status affix(ct_render *r, const ct_value *s, const ct_value *what, int end, int *res) {
    ia_status st = ct_need_str(r, s, end ? "endswith" : "startswith");
    if (st) return st;
    if (what->kind == CT_V_LIST) {
        *res = 0;
        for (size_t i = 0; i < what->u.list->n && !*res; i++)
            if ((st = affix(r, s, &what->u.list->v[i], end, res))) return st;
        return IA_OK;
    }
    if ((st = ct_need_str(r, what, end ? "endswith" : "startswith"))) return st;
    size_t n = what->u.str.n;
    *res = n <= s->u.str.n && !memcmp(s->u.str.s + (end ? s->u.str.n - n : 0), what->u.str.s, n);
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
    return ct_make_str(r, &b, res);
}

static int in_list(const char *name, const char *const *list) {
    for (; *list; list++)
        if (!strcmp(name, *list)) return 1;
    return 0;
}

/* A method the subset lacks: what Jinja's sandbox would do with it. A
 * mutating list/dict method is its SecurityError, a name the type does not
 * have its UndefinedError (both render-time errors: IA_ERR_INVALID_ARG); a
 * real Python method outside the subset is refused (IA_ERR_UNSUPPORTED). */
static ia_status method_missing(ct_render *r, const ct_value *self, const char *name) {
    static const char *const str_methods[] = {
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format",
        "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower",
        "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
        "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill", NULL};
    static const char *const list_unsafe[] = {"append", "clear", "extend", "insert", "pop", "remove", "reverse",
                                              "sort", NULL};
    static const char *const list_methods[] = {"copy", "count", "index", NULL};
    static const char *const dict_unsafe[] = {"clear", "pop", "popitem", "setdefault", "update", NULL};
    static const char *const dict_methods[] = {"copy", "fromkeys", NULL};
    const char *type = ct_type_name(self);
    if ((self->kind == CT_V_LIST && in_list(name, list_unsafe)) || (self->kind == CT_V_DICT && in_list(name, dict_unsafe)))
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: access to attribute '%s' of '%s' object is unsafe", name, type);
    if ((self->kind == CT_V_STR && in_list(name, str_methods)) || (self->kind == CT_V_LIST && in_list(name, list_methods)) ||
        (self->kind == CT_V_DICT && in_list(name, dict_methods)))
        return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: the method '%s' of '%s' is outside the supported subset",
                       name, type);
    return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: '%s' object has no attribute '%s'", type, name);
}

/* ---- methods of str and dict (what Jinja's sandbox lets templates call) */

ia_status ct_call_method(ct_render *r, ct_value self, const char *name, const ct_value *pv, size_t np,
                         const char **kn, const ct_value *kv, size_t nk, ct_value *res) {
    ia_status st;
    int b;
#define IS(f) (!strcmp(name, f))
    if (self.kind == CT_V_STR) {
        if (IS("strip") || IS("lstrip") || IS("rstrip")) {
            const ct_value *chars = ct_arg(pv, np, kn, kv, nk, 0, "chars");
            if (chars && chars->kind != CT_V_NONE && (st = ct_need_str(r, chars, name))) return st;
            *res = ct_strip(&self, chars, IS("strip") ? 3 : IS("lstrip") ? 1 : 2);
            return IA_OK;
        }
        if (IS("startswith") || IS("endswith")) {
            const ct_value *w = ct_arg(pv, np, kn, kv, nk, 0, NULL);
            if (!w) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: %s needs an argument", name);
            if ((st = affix(r, &self, w, IS("endswith"), &b))) return st;
            *res = ct_bool(b);
            return IA_OK;
        }
        if (IS("split") || IS("rsplit")) {
            const ct_value *sep = ct_arg(pv, np, kn, kv, nk, 0, "sep"), *mx = ct_arg(pv, np, kn, kv, nk, 1, "maxsplit");
            int64_t m = mx && mx->kind == CT_V_INT ? mx->u.i : -1;
            if (IS("rsplit") && m >= 0)
                return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template: rsplit with maxsplit is outside the supported subset");
            return split(r, &self, sep, m, res);
        }
        if (IS("upper")) return ct_map_case(r, &self, 1, res);
        if (IS("lower")) return ct_map_case(r, &self, 0, res);
        if (IS("title")) return ct_map_case(r, &self, 2, res);
        if (IS("capitalize")) return ct_map_case(r, &self, 3, res);
        if (IS("replace")) {
            const ct_value *old = ct_arg(pv, np, kn, kv, nk, 0, NULL), *rep = ct_arg(pv, np, kn, kv, nk, 1, NULL),
                           *cnt = ct_arg(pv, np, kn, kv, nk, 2, "count");
            if (!old || !rep) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: replace needs two arguments");
            return ct_replace(r, &self, old, rep, cnt && cnt->kind == CT_V_INT ? cnt->u.i : -1, res);
        }
        if (IS("format")) return str_format(r, &self, pv, np, kn, kv, nk, res);
        if (IS("find") || IS("count")) {
            const ct_value *w = ct_arg(pv, np, kn, kv, nk, 0, NULL);
            if (!w || (st = ct_need_str(r, w, name))) return w ? st : ct_fail(r, IA_ERR_INVALID_ARG, "chat template: %s needs an argument", name);
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
            const ct_value *k = ct_arg(pv, np, kn, kv, nk, 0, NULL), *def = ct_arg(pv, np, kn, kv, nk, 1, NULL);
            if (!k) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: get needs a key");
            const ct_value *v = ct_dict_getv(self.u.dict, k);
            *res = v ? *v : def ? *def : (ct_value){.kind = CT_V_NONE};
            return IA_OK;
        }
        if (IS("items") || IS("keys") || IS("values")) {
            const ct_dict *d = self.u.dict;
            ct_list *l = ct_list_new(&r->arena, d->n);
            if (!l) return ct_nomem(r);
            for (size_t i = 0; i < d->n; i++) {
                if (IS("keys")) l->v[i] = d->keys[i];
                else if (IS("values")) l->v[i] = d->vals[i];
                else {
                    ct_list *pair = ct_list_new(&r->arena, 2);
                    if (!pair) return ct_nomem(r);
                    pair->tuple = 1;
                    pair->v[0] = d->keys[i];
                    pair->v[1] = d->vals[i];
                    pair->n = 2;
                    l->v[i] = ct_list_value(pair);
                }
            }
            l->n = d->n;
            *res = ct_list_value(l);
            return IA_OK;
        }
    }
    return method_missing(r, &self, name);
#undef IS
}
