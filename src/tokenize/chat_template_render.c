/*
 * chat_template_render.c — runs the statements of a parsed chat template,
 * writing to the output buffer, and the public entry points. Scoping
 * follows Jinja: each for-loop iteration and each macro call opens a frame,
 * so {% set %} inside a loop does not leak out (templates use namespace()
 * for that); if blocks open none.
 *
 * Limits keep a hostile template from running away (chat_template_impl.h):
 * CT_MAX_STEPS evaluations, CT_MAX_OUT bytes of output, CT_MAX_ARENA bytes
 * of values, macro calls nested CT_MAX_CALLS deep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/chat_template_impl.h"
#include "util/error.h"

ia_status ct_call_macro(ct_render *r, const ct_node *m, const ct_value *pv, size_t np, const char **kn,
                            const ct_value *kv, size_t nk, ct_value *res) {
    ct_frame *f = NULL;
    ia_status st;
    if (r->depth >= CT_MAX_CALLS)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: macro calls nested deeper than %d", CT_MAX_CALLS);
    if (np > m->n_names)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: macro '%s' takes not more than %zu argument(s)", m->name, m->n_names);
    if ((st = ct_new_frame(r, r->root, &f))) return st;
    for (size_t i = 0; i < m->n_names; i++) {
        ct_value v = ct_undef(m->names[i], strlen(m->names[i]));
        int got = 0;
        if (i < np) { v = pv[i]; got = 1; }
        for (size_t k = 0; k < nk; k++)
            if (!strcmp(kn[k], m->names[i])) { v = kv[k]; got = 1; }
        if (!got && m->orelse.v[i] && (st = ct_eval(r, m->orelse.v[i], f, &v))) return st;
        if ((st = ct_set_var(r, f, m->names[i], v))) return st;
    }
    for (size_t k = 0; k < nk; k++) {
        int known = 0;
        for (size_t i = 0; i < m->n_names; i++) known |= !strcmp(kn[k], m->names[i]);
        if (!known) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: macro '%s' takes no keyword argument '%s'", m->name, kn[k]);
    }
    ct_buf saved = r->out, mine = {.limit = CT_MAX_OUT};
    r->out = mine;
    r->depth++;
    st = ct_exec_body(r, &m->body, f);
    r->depth--;
    mine = r->out;
    r->out = saved;
    r->loop_ctl = 0;
    if (!st && mine.failed) st = ct_fail(r, IA_ERR_INVALID_ARG, "chat template: macro output over %u MiB", CT_MAX_OUT >> 20);
    if (!st) {
        char *s = ct_strdup(&r->arena, mine.p ? mine.p : "", mine.n);
        if (!s) st = ct_nomem(r);
        else *res = ct_str(s, mine.n);
    }
    free(mine.p);
    return st;
}

static ia_status assign_targets(ct_render *r, ct_frame *f, const char **names, size_t n, const ct_value *v) {
    if (n == 1) return ct_set_var(r, f, names[0], *v);
    ct_list *items;
    ia_status st = ct_iterable(r, v, &items);
    if (st) return st;
    if (items->n != n)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: cannot unpack %zu value(s) into %zu name(s)", items->n, n);
    for (size_t i = 0; i < n; i++)
        if ((st = ct_set_var(r, f, names[i], items->v[i]))) return st;
    return IA_OK;
}

/* The loop variable: one dict per loop updated in place each iteration, as
 * Jinja's LoopContext is one object. */
static ia_status loop_var(ct_render *r, ct_list *items, size_t i, ct_value *lv) {
    size_t len = items->n;
    if (lv->kind != CT_V_DICT) {
        lv->kind = CT_V_DICT;
        if (!(lv->u.dict = ct_dict_new(&r->arena, 12))) return ct_nomem(r);
    }
    ct_dict *d = lv->u.dict;
#define PUT(k, v) if (!ct_dict_set(&r->arena, d, ct_str(k, sizeof k - 1), (v))) return ct_nomem(r)
    PUT("index", ct_int((int64_t)i + 1));
    PUT("index0", ct_int((int64_t)i));
    PUT("revindex", ct_int((int64_t)(len - i)));
    PUT("revindex0", ct_int((int64_t)(len - i - 1)));
    PUT("first", ct_bool(i == 0));
    PUT("last", ct_bool(i + 1 == len));
    PUT("length", ct_int((int64_t)len));
    PUT("depth", ct_int(1));
    PUT("depth0", ct_int(0));
    PUT("previtem", i > 0 ? items->v[i - 1] : ct_undef("previtem", 8));
    PUT("nextitem", i + 1 < len ? items->v[i + 1] : ct_undef("nextitem", 8));
#undef PUT
    return IA_OK;
}

static ia_status exec_for(ct_render *r, const ct_node *n, ct_frame *f) {
    ct_value it, lv = {.kind = CT_V_UNDEF};
    ct_list *items;
    ct_frame *lf = NULL;
    ia_status st;
    if ((st = ct_eval(r, n->a, f, &it))) return st;
    if (it.kind == CT_V_DICT || it.kind == CT_V_NS || it.kind == CT_V_STR || it.kind == CT_V_LIST ||
        it.kind == CT_V_UNDEF) {
        if ((st = ct_iterable(r, &it, &items))) return st;
    } else {
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: '%s' object is not iterable", ct_type_name(&it));
    }
    if (n->b) {
        if ((st = ct_new_frame(r, f, &lf))) return st;
        /* the loop filter runs before the loop, so loop.length counts what passes */
        ct_list *kept = ct_list_new(&r->arena, items->n);
        if (!kept) return ct_nomem(r);
        for (size_t i = 0; i < items->n; i++) {
            ct_value c;
            if ((st = assign_targets(r, lf, n->names, n->n_names, &items->v[i])) || (st = ct_eval(r, n->b, lf, &c))) return st;
            if (ct_truthy(&c)) kept->v[kept->n++] = items->v[i];
        }
        items = kept;
    }
    for (size_t i = 0; i < items->n; i++) {
        if (++r->steps > CT_MAX_STEPS)
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: render passed %u steps", CT_MAX_STEPS);
        /* a fresh frame each iteration: what the body sets does not carry to
         * the next one (Jinja's loop body locals start over) */
        if ((st = ct_new_frame(r, f, &lf))) return st;
        if ((st = assign_targets(r, lf, n->names, n->n_names, &items->v[i])) || (st = loop_var(r, items, i, &lv)) ||
            (st = ct_set_var(r, lf, "loop", lv)))
            return st;
        if ((st = ct_exec_body(r, &n->body, lf))) return st;
        if (r->loop_ctl == 1) {
            r->loop_ctl = 0;
            break;
        }
        r->loop_ctl = 0;
    }
    if (items->n == 0) return ct_exec_body(r, &n->orelse, f);
    return IA_OK;
}

static ia_status exec_stmt(ct_render *r, const ct_node *n, ct_frame *f) {
    ct_value v;
    ia_status st;
    if (++r->steps > CT_MAX_STEPS)
        return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: render passed %u steps", CT_MAX_STEPS);
    switch (n->kind) {
    case CT_N_TEXT: ct_buf_put(&r->out, n->name, n->name_len); break;
    case CT_N_OUTPUT:
        if ((st = ct_eval(r, n->a, f, &v))) return st;
        if (v.kind == CT_V_MACRO || v.kind == CT_V_FUNC || v.kind == CT_V_NS)
            return ct_fail(r, IA_ERR_UNSUPPORTED, "chat template %d:%d: printing a %s is outside the supported subset",
                           n->line, n->col, ct_type_name(&v));
        ct_str_of(&r->out, &v);
        break;
    case CT_N_IF:
        if ((st = ct_eval(r, n->a, f, &v))) return st;
        return ct_exec_body(r, ct_truthy(&v) ? &n->body : &n->orelse, f);
    case CT_N_FOR: return exec_for(r, n, f);
    case CT_N_SET:
        if ((st = ct_eval(r, n->a, f, &v))) return st;
        return assign_targets(r, f, n->names, n->n_names, &v);
    case CT_N_SET_ATTR: {
        ct_value ns = ct_lookup(f, n->name, n->name_len);
        if (ns.kind != CT_V_NS)
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template %d:%d: can only assign attributes of a namespace() object",
                           n->line, n->col);
        if (n->attr[0] == '_')
            return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: cannot store underscore-prefixed attributes on a namespace");
        if ((st = ct_eval(r, n->a, f, &v))) return st;
        if (!ct_dict_set(&r->arena, ns.u.dict, ct_str(n->attr, strlen(n->attr)), v)) return ct_nomem(r);
        break;
    }
    case CT_N_SET_BLOCK: {
        ct_buf saved = r->out, mine = {.limit = CT_MAX_OUT};
        r->out = mine;
        st = ct_exec_body(r, &n->body, f);
        mine = r->out;
        r->out = saved;
        if (!st) {
            char *s = ct_strdup(&r->arena, mine.p ? mine.p : "", mine.n);
            if (!s || mine.failed) st = ct_nomem(r);
            else st = ct_set_var(r, f, n->names[0], ct_str(s, mine.n));
        }
        free(mine.p);
        return st;
    }
    case CT_N_FILTER_BLOCK: {
        ct_buf saved = r->out, mine = {.limit = CT_MAX_OUT};
        ct_value *pv, *kv, x;
        r->out = mine;
        st = ct_exec_body(r, &n->body, f);
        mine = r->out;
        r->out = saved;
        if (!st) {
            char *s = ct_strdup(&r->arena, mine.p ? mine.p : "", mine.n);
            if (!s || mine.failed) st = ct_nomem(r);
            else x = ct_str(s, mine.n);
        }
        free(mine.p);
        if (!st) st = ct_eval_args(r, n->a, f, &pv, &kv);
        if (!st) st = ct_apply_filter(r, n->a, n->a->name, x, pv, n->a->body.n, n->a->names, kv, n->a->n_names, &v);
        if (st) return st;
        ct_str_of(&r->out, &v);
        break;
    }
    case CT_N_MACRO:
        v.kind = CT_V_MACRO;
        v.u.macro = n;
        return ct_set_var(r, f, n->name, v);
    case CT_N_BREAK: r->loop_ctl = 1; break;
    case CT_N_CONTINUE: r->loop_ctl = 2; break;
    case CT_N_BODY: return ct_exec_body(r, &n->body, f);
    default: return ct_fail(r, IA_ERR_INTERNAL, "chat template: expression node where a statement belongs");
    }
    if (r->out.failed) return ct_fail(r, IA_ERR_INVALID_ARG, "chat template: output over %u MiB or out of memory", CT_MAX_OUT >> 20);
    return IA_OK;
}

ia_status ct_exec_body(ct_render *r, const ct_nodes *body, ct_frame *f) {
    for (size_t i = 0; i < body->n; i++) {
        ia_status st = exec_stmt(r, body->v[i], f);
        if (st) return st;
        if (r->loop_ctl) return IA_OK; /* break/continue unwinds to its loop */
    }
    return IA_OK;
}

/* ---- the public entry points */

ia_status ia_chat_template_parse(const char *source, ia_chat_template **out) {
    ia_chat_template *t;
    ct_tokens toks = {0};
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_chat_template_parse: out is NULL");
    *out = NULL;
    if (!source) return ia_error(IA_ERR_INVALID_ARG, "ia_chat_template_parse: source is NULL");
    size_t len = strlen(source);
    if (len > (16u << 20)) return ia_error(IA_ERR_INVALID_ARG, "chat template: source of %zu bytes is over 16 MiB", len);
    if (!(t = calloc(1, sizeof *t))) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
    st = ct_lex(source, len, &t->arena, &toks);
    if (!st) st = ct_parse(&toks, &t->arena, &t->root);
    free(toks.v);
    if (st) {
        ia_chat_template_free(t);
        return st;
    }
    *out = t;
    return IA_OK;
}

void ia_chat_template_set_clock(ia_chat_template *t, int64_t unix_seconds) {
    if (t) t->clock = unix_seconds;
}

ia_status ia_chat_template_render(const ia_chat_template *t, const ia_chat_message *msgs, size_t n,
                                  int add_generation_prompt, const char *bos_token, const char *eos_token,
                                  char **out) {
    ct_render r = {0};
    ia_status st = IA_OK;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_chat_template_render: out is NULL");
    *out = NULL;
    if (!t || (n && !msgs)) return ia_error(IA_ERR_INVALID_ARG, "ia_chat_template_render: NULL template or messages");
    r.arena.limit = CT_MAX_ARENA;
    r.out.limit = CT_MAX_OUT;
    r.t = t;
    ct_list *ml = ct_list_new(&r.arena, n);
    if (!ml || ct_new_frame(&r, NULL, &r.root)) {
        st = ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        ct_dict *d = ct_dict_new(&r.arena, 2);
        if (!d) {
            st = ct_nomem(&r);
            goto done;
        }
        /* a NULL field is a missing key, as transformers drops None values */
        if (msgs[i].role) ct_dict_set(&r.arena, d, ct_str("role", 4), ct_str(msgs[i].role, strlen(msgs[i].role)));
        if (msgs[i].content)
            ct_dict_set(&r.arena, d, ct_str("content", 7), ct_str(msgs[i].content, strlen(msgs[i].content)));
        ml->v[ml->n].kind = CT_V_DICT;
        ml->v[ml->n++].u.dict = d;
    }
    ct_value mv = {.kind = CT_V_LIST}, none = {.kind = CT_V_NONE};
    mv.u.list = ml;
    if ((st = ct_set_var(&r, r.root, "messages", mv)) ||
        (st = ct_set_var(&r, r.root, "add_generation_prompt", ct_bool(add_generation_prompt))) ||
        (st = ct_set_var(&r, r.root, "tools", none)) || (st = ct_set_var(&r, r.root, "documents", none)))
        goto done;
    if (bos_token && (st = ct_set_var(&r, r.root, "bos_token", ct_str(bos_token, strlen(bos_token))))) goto done;
    if (eos_token && (st = ct_set_var(&r, r.root, "eos_token", ct_str(eos_token, strlen(eos_token))))) goto done;
    st = ct_exec_body(&r, &t->root, r.root);
    if (!st && r.out.failed) st = ct_fail(&r, IA_ERR_INVALID_ARG, "chat template: output over %u MiB or out of memory", CT_MAX_OUT >> 20);
    if (!st) {
        if (!r.out.p && !(r.out.p = calloc(1, 1))) st = ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        else {
            *out = r.out.p;
            r.out.p = NULL;
        }
    }
done:
    free(r.out.p);
    ct_arena_free(&r.arena);
    return st;
}

void ia_chat_template_free(ia_chat_template *t) {
    if (!t) return;
    ct_arena_free(&t->arena);
    free(t);
}
