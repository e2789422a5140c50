/*
 * chat_template_parser.h — the parser state and the small helpers the two
 * halves of the chat-template parser share (chat_template_parse_expr.c:
 * expressions; chat_template_parse.c: statements). Internal.
 */
#ifndef IA_TOKENIZE_CHAT_TEMPLATE_PARSER_H
#define IA_TOKENIZE_CHAT_TEMPLATE_PARSER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/chat_template_impl.h"
#include "util/error.h"

/* Recursion is bounded so a hostile template cannot exhaust the stack: deep
 * nesting is an error, not a crash. */
#define CT_MAX_DEPTH 200 /* Jinja itself hits Python's recursion limit near here */

typedef struct parser {
    const ct_tokens *t;
    size_t i;
    ct_arena *a;
    int depth;
} parser;

static inline const ct_token *peek(parser *P) { return &P->t->v[P->i]; }
static inline const ct_token *peek2(parser *P) { return &P->t->v[P->i + (P->t->v[P->i].kind != CT_T_EOF)]; }
static inline const ct_token *next(parser *P) {
    const ct_token *t = &P->t->v[P->i];
    if (t->kind != CT_T_EOF) P->i++;
    return t;
}

static inline void describe(const ct_token *t, char *out, size_t cap) {
    switch (t->kind) {
    case CT_T_EOF: snprintf(out, cap, "end of template"); break;
    case CT_T_TEXT: snprintf(out, cap, "template text"); break;
    case CT_T_VAR_BEGIN: snprintf(out, cap, "'{{'"); break;
    case CT_T_VAR_END: snprintf(out, cap, "'}}'"); break;
    case CT_T_BLOCK_BEGIN: snprintf(out, cap, "'{%%'"); break;
    case CT_T_BLOCK_END: snprintf(out, cap, "'%%}'"); break;
    case CT_T_STRING: snprintf(out, cap, "string literal"); break;
    case CT_T_INT:
    case CT_T_FLOAT: snprintf(out, cap, "number"); break;
    default: {
        char shown[40];
        snprintf(out, cap, "'%s'", ia_shown_name(t->str, shown, sizeof shown));
    }
    }
}

static inline ia_status expected(parser *P, const char *what) {
    const ct_token *t = peek(P);
    char got[64];
    describe(t, got, sizeof got);
    return ia_error(IA_ERR_FORMAT, "chat template %d:%d: expected %s, got %s", t->line, t->col, what, got);
}

static inline ia_status unsupported(const ct_token *t, const char *what) {
    return ia_error(IA_ERR_UNSUPPORTED, "chat template %d:%d: %s is outside the supported Jinja subset", t->line,
                    t->col, what);
}

static inline int is_op(const ct_token *t, const char *op) {
    return t->kind == CT_T_OP && strcmp(t->str, op) == 0;
}

static inline int is_name(const ct_token *t, const char *name) {
    return t->kind == CT_T_NAME && strcmp(t->str, name) == 0;
}

static inline ia_status expect_op(parser *P, const char *op) {
    if (!is_op(peek(P), op)) {
        char w[16];
        snprintf(w, sizeof w, "'%s'", op);
        return expected(P, w);
    }
    next(P);
    return IA_OK;
}

static inline ct_node *new_node(parser *P, ct_node_kind kind, const ct_token *at) {
    ct_node *n = ct_alloc(P->a, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->line = at->line;
    n->col = at->col;
    return n;
}

#define NEW(var, kind, at)                                                                  \
    do {                                                                                    \
        (var) = new_node(P, (kind), (at));                                                  \
        if (!(var)) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");          \
    } while (0)

/* Growable node list built during parsing (malloc'd scratch, copied into the
 * arena when complete). */
typedef struct vec {
    ct_node **v;
    const char **names;
    size_t n, cap;
} vec;

static inline ia_status vec_push(vec *x, ct_node *node, const char *name) {
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        ct_node **v = realloc(x->v, cap * sizeof *v);
        if (!v) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        x->v = v;
        const char **nm = realloc(x->names, cap * sizeof *nm);
        if (!nm) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        x->names = nm;
        x->cap = cap;
    }
    x->v[x->n] = node;
    x->names[x->n++] = name;
    return IA_OK;
}

static inline void vec_free(vec *x) {
    free(x->v);
    free(x->names);
}

static inline ia_status vec_nodes(parser *P, vec *x, ct_nodes *out) {
    out->n = x->n;
    out->v = NULL;
    if (x->n) {
        out->v = ct_alloc(P->a, x->n * sizeof *out->v);
        if (!out->v) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        memcpy(out->v, x->v, x->n * sizeof *out->v);
    }
    return IA_OK;
}

static inline ia_status vec_names(parser *P, vec *x, const char ***names, size_t *n) {
    *n = x->n;
    *names = NULL;
    if (x->n) {
        *names = ct_alloc(P->a, x->n * sizeof **names);
        if (!*names) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        memcpy(*names, x->names, x->n * sizeof **names);
    }
    return IA_OK;
}

static inline ia_status enter(parser *P) {
    if (++P->depth > CT_MAX_DEPTH) {
        const ct_token *t = peek(P);
        return ia_error(IA_ERR_UNSUPPORTED, "chat template %d:%d: nesting deeper than %d", t->line, t->col,
                        CT_MAX_DEPTH);
    }
    return IA_OK;
}


/* Expressions (chat_template_parse_expr.c). */
ia_status ct_parse_expr(parser *P, ct_node **out);
/* An expression without the trailing "x if c else y" (a for loop's iterable). */
ia_status ct_parse_or(parser *P, ct_node **out);
/* "( args )" after a callee or filter: positional into n->body, name=value
 * into n->names / n->orelse. */
ia_status ct_parse_args(parser *P, ct_node *n);

#endif
