/*
 * chat_template_parse.c — tokens to a syntax tree, following the grammar of
 * jinja2/parser.py (precedence from loosest: x if c else y, or, and, not,
 * comparisons / in, + -, ~, * / // %, **, unary - +, then postfix . [] ()
 * with | filters and "is" tests). Statements: if/elif/else, for (with
 * "if" filter and else), set (name, ns.attr, tuple, block form), macro,
 * break/continue (loopcontrols), generation (transformers' extension; its
 * body renders as is). Every other statement is refused by name.
 *
 * Recursion is bounded (CT_MAX_DEPTH) so a hostile template cannot exhaust
 * the stack: deep nesting is an error, not a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/chat_template_impl.h"
#include "util/error.h"

#define CT_MAX_DEPTH 200 /* Jinja itself hits Python's recursion limit near here */
/* Depth of the finished tree; real templates stay under 40. With the
 * evaluator's 16 nested macro calls this bounds its stack to a few MiB. */
#define CT_MAX_TREE_DEPTH 256

typedef struct parser {
    const ct_tokens *t;
    size_t i;
    ct_arena *a;
    int depth;
} parser;

static const ct_token *peek(parser *P) { return &P->t->v[P->i]; }
static const ct_token *peek2(parser *P) { return &P->t->v[P->i + (P->t->v[P->i].kind != CT_T_EOF)]; }
static const ct_token *next(parser *P) {
    const ct_token *t = &P->t->v[P->i];
    if (t->kind != CT_T_EOF) P->i++;
    return t;
}

static void describe(const ct_token *t, char *out, size_t cap) {
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

static ia_status expected(parser *P, const char *what) {
    const ct_token *t = peek(P);
    char got[64];
    describe(t, got, sizeof got);
    return ia_error(IA_ERR_FORMAT, "chat template %d:%d: expected %s, got %s", t->line, t->col, what, got);
}

static ia_status unsupported(const ct_token *t, const char *what) {
    return ia_error(IA_ERR_UNSUPPORTED, "chat template %d:%d: %s is outside the supported Jinja subset", t->line,
                    t->col, what);
}

static int is_op(const ct_token *t, const char *op) {
    return t->kind == CT_T_OP && strcmp(t->str, op) == 0;
}

static int is_name(const ct_token *t, const char *name) {
    return t->kind == CT_T_NAME && strcmp(t->str, name) == 0;
}

static ia_status expect_op(parser *P, const char *op) {
    if (!is_op(peek(P), op)) {
        char w[16];
        snprintf(w, sizeof w, "'%s'", op);
        return expected(P, w);
    }
    next(P);
    return IA_OK;
}

static ct_node *new_node(parser *P, ct_node_kind kind, const ct_token *at) {
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

static ia_status vec_push(vec *x, ct_node *node, const char *name) {
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

static void vec_free(vec *x) {
    free(x->v);
    free(x->names);
}

static ia_status vec_nodes(parser *P, vec *x, ct_nodes *out) {
    out->n = x->n;
    out->v = NULL;
    if (x->n) {
        out->v = ct_alloc(P->a, x->n * sizeof *out->v);
        if (!out->v) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        memcpy(out->v, x->v, x->n * sizeof *out->v);
    }
    return IA_OK;
}

static ia_status vec_names(parser *P, vec *x, const char ***names, size_t *n) {
    *n = x->n;
    *names = NULL;
    if (x->n) {
        *names = ct_alloc(P->a, x->n * sizeof **names);
        if (!*names) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        memcpy(*names, x->names, x->n * sizeof **names);
    }
    return IA_OK;
}

static ia_status parse_expr(parser *P, ct_node **out);
static ia_status parse_or(parser *P, ct_node **out);
static ia_status parse_unary(parser *P, int with_filter, ct_node **out);

static ia_status enter(parser *P) {
    if (++P->depth > CT_MAX_DEPTH) {
        const ct_token *t = peek(P);
        return ia_error(IA_ERR_UNSUPPORTED, "chat template %d:%d: nesting deeper than %d", t->line, t->col,
                        CT_MAX_DEPTH);
    }
    return IA_OK;
}

/* ( args ) after a callee, filter or test: positional then name=value. */
static ia_status parse_args(parser *P, ct_node *n) {
    vec pos = {0}, kw = {0};
    ia_status st = IA_OK;
    next(P); /* ( */
    while (!is_op(peek(P), ")")) {
        if (pos.n + kw.n && (st = expect_op(P, ","))) goto done;
        if (is_op(peek(P), ")")) break;
        if (peek(P)->kind == CT_T_NAME && is_op(peek2(P), "=")) {
            const char *name = next(P)->str;
            ct_node *v;
            next(P);
            if ((st = parse_expr(P, &v)) || (st = vec_push(&kw, v, name))) goto done;
        } else {
            ct_node *v;
            if (is_op(peek(P), "*") || is_op(peek(P), "**")) {
                st = unsupported(peek(P), "*args / **kwargs in a call");
                goto done;
            }
            if (kw.n) {
                st = expected(P, "a keyword argument (positional after keyword)");
                goto done;
            }
            if ((st = parse_expr(P, &v)) || (st = vec_push(&pos, v, NULL))) goto done;
        }
    }
    next(P); /* ) */
    if ((st = vec_nodes(P, &pos, &n->body)) || (st = vec_nodes(P, &kw, &n->orelse)) ||
        (st = vec_names(P, &kw, &n->names, &n->n_names)))
        goto done;
done:
    vec_free(&pos);
    vec_free(&kw);
    return st;
}

static ia_status parse_primary(parser *P, ct_node **out) {
    const ct_token *t = peek(P);
    ct_node *n;
    ia_status st;
    if (t->kind == CT_T_NAME) {
        next(P);
        NEW(n, CT_N_CONST, t);
        if (!strcmp(t->str, "true") || !strcmp(t->str, "True")) n->value = ct_bool(1);
        else if (!strcmp(t->str, "false") || !strcmp(t->str, "False")) n->value = ct_bool(0);
        else if (!strcmp(t->str, "none") || !strcmp(t->str, "None")) n->value.kind = CT_V_NONE;
        else {
            n->kind = CT_N_NAME;
            n->name = t->str;
            n->name_len = t->len;
        }
        *out = n;
        return IA_OK;
    }
    if (t->kind == CT_T_STRING) {
        /* adjacent literals concatenate, as in Python */
        size_t len = 0, j = P->i;
        while (P->t->v[j].kind == CT_T_STRING) len += P->t->v[j++].len;
        char *s = ct_alloc(P->a, len + 1);
        if (!s) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        len = 0;
        while (peek(P)->kind == CT_T_STRING) {
            const ct_token *k = next(P);
            memcpy(s + len, k->str, k->len);
            len += k->len;
        }
        NEW(n, CT_N_CONST, t);
        n->value = ct_str(s, len);
        *out = n;
        return IA_OK;
    }
    if (t->kind == CT_T_INT || t->kind == CT_T_FLOAT) {
        next(P);
        NEW(n, CT_N_CONST, t);
        if (t->kind == CT_T_INT) n->value = ct_int(t->ival);
        else {
            n->value.kind = CT_V_FLOAT;
            n->value.u.f = t->fval;
        }
        *out = n;
        return IA_OK;
    }
    if (is_op(t, "(")) {
        next(P);
        ct_node *e;
        if (is_op(peek(P), ")")) return unsupported(t, "the empty tuple ()");
        if ((st = parse_expr(P, &e))) return st;
        if (is_op(peek(P), ",")) {
            /* a tuple: a list that prints like one is close enough for the
             * uses templates make of tuples (startswith(("a", "b")), in) */
            vec items = {0};
            NEW(n, CT_N_LIST, t);
            n->op = 1;
            st = vec_push(&items, e, NULL);
            while (!st && is_op(peek(P), ",")) {
                next(P);
                if (is_op(peek(P), ")")) break;
                if (!(st = parse_expr(P, &e))) st = vec_push(&items, e, NULL);
            }
            if (!st) st = vec_nodes(P, &items, &n->body);
            vec_free(&items);
            if (st) return st;
            e = n;
        }
        if ((st = expect_op(P, ")"))) return st;
        *out = e;
        return IA_OK;
    }
    if (is_op(t, "[")) {
        vec items = {0};
        next(P);
        NEW(n, CT_N_LIST, t);
        st = IA_OK;
        while (!st && !is_op(peek(P), "]")) {
            ct_node *e;
            if (items.n && (st = expect_op(P, ","))) break;
            if (is_op(peek(P), "]")) break;
            if (!(st = parse_expr(P, &e))) st = vec_push(&items, e, NULL);
        }
        if (!st) st = expect_op(P, "]");
        if (!st) st = vec_nodes(P, &items, &n->body);
        vec_free(&items);
        *out = n;
        return st;
    }
    if (is_op(t, "{")) {
        vec keys = {0}, vals = {0};
        next(P);
        NEW(n, CT_N_DICT, t);
        st = IA_OK;
        while (!st && !is_op(peek(P), "}")) {
            ct_node *k, *v;
            if (keys.n && (st = expect_op(P, ","))) break;
            if (is_op(peek(P), "}")) break;
            if ((st = parse_expr(P, &k)) || (st = expect_op(P, ":")) || (st = parse_expr(P, &v))) break;
            if (!(st = vec_push(&keys, k, NULL))) st = vec_push(&vals, v, NULL);
        }
        if (!st) st = expect_op(P, "}");
        if (!st) st = vec_nodes(P, &keys, &n->body);
        if (!st) st = vec_nodes(P, &vals, &n->orelse);
        vec_free(&keys);
        vec_free(&vals);
        *out = n;
        return st;
    }
    return expected(P, "an expression");
}

/* [a:b:c] or [x] after a value */
static ia_status parse_subscript(parser *P, ct_node *obj, ct_node **out) {
    const ct_token *t = next(P); /* [ */
    ct_node *n, *parts[3] = {NULL, NULL, NULL};
    int k = 0, is_slice = 0;
    ia_status st;
    for (;;) {
        if (!is_op(peek(P), ":") && !is_op(peek(P), "]")) {
            if ((st = parse_expr(P, &parts[k]))) return st;
        }
        if (is_op(peek(P), ":") && k < 2) {
            next(P);
            is_slice = 1;
            k++;
            continue;
        }
        break;
    }
    if ((st = expect_op(P, "]"))) return st;
    if (!is_slice) {
        if (!parts[0]) return ia_error(IA_ERR_FORMAT, "chat template %d:%d: expected a subscript", t->line, t->col);
        NEW(n, CT_N_INDEX, t);
        n->a = obj;
        n->b = parts[0];
    } else {
        NEW(n, CT_N_SLICE, t);
        n->a = obj;
        n->b = parts[0];
        n->c = parts[1];
        if (parts[2]) {
            vec s = {0};
            st = vec_push(&s, parts[2], NULL);
            if (!st) st = vec_nodes(P, &s, &n->body);
            vec_free(&s);
            if (st) return st;
        }
    }
    *out = n;
    return IA_OK;
}

static ia_status parse_postfix(parser *P, ct_node *n, ct_node **out) {
    ia_status st;
    for (;;) {
        const ct_token *t = peek(P);
        if (is_op(t, ".")) {
            next(P);
            const ct_token *name = next(P);
            ct_node *m;
            NEW(m, CT_N_ATTR, t);
            m->a = n;
            if (name->kind == CT_T_NAME) {
                m->name = name->str;
                m->name_len = name->len;
            } else if (name->kind == CT_T_INT) {
                /* x.0 is x[0] */
                ct_node *c;
                NEW(c, CT_N_CONST, name);
                c->value = ct_int(name->ival);
                m->kind = CT_N_INDEX;
                m->b = c;
            } else {
                P->i--;
                return expected(P, "an attribute name after '.'");
            }
            n = m;
        } else if (is_op(t, "[")) {
            if ((st = parse_subscript(P, n, &n))) return st;
        } else if (is_op(t, "(")) {
            ct_node *m;
            NEW(m, CT_N_CALL, t);
            m->a = n;
            if ((st = parse_args(P, m))) return st;
            n = m;
        } else {
            *out = n;
            return IA_OK;
        }
    }
}

static ia_status parse_filters_tests(parser *P, ct_node *n, ct_node **out) {
    ia_status st;
    for (;;) {
        const ct_token *t = peek(P);
        if (is_op(t, "|")) {
            next(P);
            const ct_token *name = peek(P);
            if (name->kind != CT_T_NAME) return expected(P, "a filter name after '|'");
            next(P);
            ct_node *m;
            NEW(m, CT_N_FILTER, name); /* an unknown name is checked by check_tree() */
            m->a = n;
            m->name = name->str;
            m->name_len = name->len;
            if (is_op(peek(P), "(") && (st = parse_args(P, m))) return st;
            n = m;
        } else if (is_name(t, "is")) {
            next(P);
            int neg = 0;
            if (is_name(peek(P), "not")) {
                next(P);
                neg = 1;
            }
            const ct_token *name = peek(P);
            ct_node *m;
            /* a name, as Jinja's parser wants ("is ==" is a syntax error there too);
             * "none", "true", "false" are tests here, not constants */
            if (name->kind != CT_T_NAME) return expected(P, "a test name after 'is'");
            next(P);
            NEW(m, CT_N_TEST, name);
            m->a = n;
            m->name = name->str;
            m->name_len = name->len;
            m->op = neg;
            const ct_token *nt = peek(P);
            if (is_op(nt, "(")) {
                if ((st = parse_args(P, m))) return st;
            } else if ((nt->kind == CT_T_NAME && !is_name(nt, "else") && !is_name(nt, "or") && !is_name(nt, "and") &&
                        !is_name(nt, "if") && !is_name(nt, "is") && !is_name(nt, "in") && !is_name(nt, "not")) ||
                       nt->kind == CT_T_STRING || nt->kind == CT_T_INT || nt->kind == CT_T_FLOAT || is_op(nt, "[") ||
                       is_op(nt, "{")) {
                /* one argument without parentheses: "is divisibleby 3" */
                ct_node *arg;
                vec v = {0};
                if ((st = parse_primary(P, &arg)) || (st = parse_postfix(P, arg, &arg))) return st;
                st = vec_push(&v, arg, NULL);
                if (!st) st = vec_nodes(P, &v, &m->body);
                vec_free(&v);
                if (st) return st;
            }
            n = m;
        } else {
            *out = n;
            return IA_OK;
        }
    }
}

static ia_status parse_unary(parser *P, int with_filter, ct_node **out) {
    const ct_token *t = peek(P);
    ct_node *n;
    ia_status st;
    if ((st = enter(P))) return st;
    if (is_op(t, "-") || is_op(t, "+")) {
        next(P);
        NEW(n, is_op(t, "-") ? CT_N_NEG : CT_N_POS, t);
        if ((st = parse_unary(P, 0, &n->a))) return st;
    } else {
        if ((st = parse_primary(P, &n))) return st;
    }
    if ((st = parse_postfix(P, n, &n))) return st;
    if (with_filter && (st = parse_filters_tests(P, n, &n))) return st;
    P->depth--;
    *out = n;
    return IA_OK;
}

static ia_status binop(parser *P, const ct_token *t, int op, ct_node *l, ct_node *r, ct_node **out) {
    ct_node *n;
    NEW(n, CT_N_BINOP, t);
    n->op = op;
    n->a = l;
    n->b = r;
    *out = n;
    return IA_OK;
}

static ia_status parse_pow(parser *P, ct_node **out) {
    ct_node *l = NULL, *r = NULL;
    ia_status st = parse_unary(P, 1, &l);
    while (!st && is_op(peek(P), "**")) {
        const ct_token *t = next(P);
        if (!(st = parse_unary(P, 1, &r))) st = binop(P, t, CT_OP_POW, l, r, &l);
    }
    *out = l;
    return st;
}

static ia_status parse_math2(parser *P, ct_node **out) {
    ct_node *l = NULL, *r = NULL;
    ia_status st = parse_pow(P, &l);
    for (;;) {
        const ct_token *t = peek(P);
        int op = is_op(t, "*") ? CT_OP_MUL : is_op(t, "/") ? CT_OP_DIV : is_op(t, "//") ? CT_OP_FLOORDIV
               : is_op(t, "%") ? CT_OP_MOD : 0;
        if (st || !op) break;
        next(P);
        if (!(st = parse_pow(P, &r))) st = binop(P, t, op, l, r, &l);
    }
    *out = l;
    return st;
}

static ia_status parse_concat(parser *P, ct_node **out) {
    ct_node *l = NULL, *r = NULL;
    ia_status st = parse_math2(P, &l);
    while (!st && is_op(peek(P), "~")) {
        const ct_token *t = next(P);
        if (!(st = parse_math2(P, &r))) st = binop(P, t, CT_OP_CONCAT, l, r, &l);
    }
    *out = l;
    return st;
}

static ia_status parse_math1(parser *P, ct_node **out) {
    ct_node *l = NULL, *r = NULL;
    ia_status st = parse_concat(P, &l);
    for (;;) {
        const ct_token *t = peek(P);
        int op = is_op(t, "+") ? CT_OP_ADD : is_op(t, "-") ? CT_OP_SUB : 0;
        if (st || !op) break;
        next(P);
        if (!(st = parse_concat(P, &r))) st = binop(P, t, op, l, r, &l);
    }
    *out = l;
    return st;
}

/* a < b <= c is (a < b) and (b <= c), as Python (b evaluated twice: the
 * expressions are pure but for raise_exception, which ends the render) */
static ia_status parse_compare(parser *P, ct_node **out) {
    ct_node *l = NULL, *r = NULL, *chain = NULL, *prev_right = NULL;
    ia_status st = parse_math1(P, &l);
    for (;;) {
        const ct_token *t = peek(P);
        int op = is_op(t, "==") ? CT_OP_EQ : is_op(t, "!=") ? CT_OP_NE : is_op(t, "<") ? CT_OP_LT
               : is_op(t, "<=") ? CT_OP_LE : is_op(t, ">") ? CT_OP_GT : is_op(t, ">=") ? CT_OP_GE
               : is_name(t, "in") ? CT_OP_IN
               : (is_name(t, "not") && is_name(peek2(P), "in")) ? CT_OP_NOTIN : 0;
        if (st || !op) break;
        next(P);
        if (op == CT_OP_NOTIN) next(P);
        if ((st = parse_math1(P, &r))) break;
        ct_node *cmp = NULL;
        if ((st = binop(P, t, op, prev_right ? prev_right : l, r, &cmp))) break;
        cmp->kind = CT_N_COMPARE;
        if (!chain) {
            chain = cmp;
        } else {
            ct_node *both;
            NEW(both, CT_N_AND, t);
            both->a = chain;
            both->b = cmp;
            chain = both;
        }
        prev_right = r;
    }
    *out = chain ? chain : l;
    return st;
}

static ia_status parse_not(parser *P, ct_node **out) {
    const ct_token *t = peek(P);
    ia_status st;
    if (is_name(t, "not")) {
        ct_node *n;
        next(P);
        if ((st = enter(P))) return st;
        NEW(n, CT_N_NOT, t);
        if ((st = parse_not(P, &n->a))) return st;
        P->depth--;
        *out = n;
        return IA_OK;
    }
    return parse_compare(P, out);
}

static ia_status parse_and(parser *P, ct_node **out) {
    ct_node *l = NULL, *r = NULL, *n;
    ia_status st = parse_not(P, &l);
    while (!st && is_name(peek(P), "and")) {
        const ct_token *t = next(P);
        if ((st = parse_not(P, &r))) break;
        NEW(n, CT_N_AND, t);
        n->a = l;
        n->b = r;
        l = n;
    }
    *out = l;
    return st;
}

static ia_status parse_or(parser *P, ct_node **out) {
    ct_node *l = NULL, *r = NULL, *n;
    ia_status st = parse_and(P, &l);
    while (!st && is_name(peek(P), "or")) {
        const ct_token *t = next(P);
        if ((st = parse_and(P, &r))) break;
        NEW(n, CT_N_OR, t);
        n->a = l;
        n->b = r;
        l = n;
    }
    *out = l;
    return st;
}

/* x if c else y (else optional: undefined then) */
static ia_status parse_expr(parser *P, ct_node **out) {
    ct_node *l, *n;
    ia_status st;
    if ((st = enter(P))) return st;
    if ((st = parse_or(P, &l))) return st;
    while (is_name(peek(P), "if")) {
        const ct_token *t = next(P);
        NEW(n, CT_N_COND, t);
        n->b = l;
        if ((st = parse_or(P, &n->a))) return st;
        if (is_name(peek(P), "else")) {
            next(P);
            if ((st = parse_expr(P, &n->c))) return st;
        }
        l = n;
    }
    P->depth--;
    *out = l;
    return IA_OK;
}

/* ---- statements */

static ia_status parse_body(parser *P, ct_nodes *out, const char *const *ends, const char **end_found,
                            const ct_token *opened, const char *opener);

static ia_status block_end(parser *P) {
    if (peek(P)->kind != CT_T_BLOCK_END) return expected(P, "'%}' (end of statement)");
    next(P);
    return IA_OK;
}

/* target names: a or a, b */
static ia_status parse_targets(parser *P, ct_node *n) {
    vec names = {0};
    ia_status st = IA_OK;
    for (;;) {
        const ct_token *t = peek(P);
        if (t->kind != CT_T_NAME) {
            st = expected(P, "a variable name");
            break;
        }
        next(P);
        if ((st = vec_push(&names, NULL, t->str))) break;
        if (!is_op(peek(P), ",")) break;
        next(P);
    }
    if (!st) st = vec_names(P, &names, &n->names, &n->n_names);
    vec_free(&names);
    return st;
}

static ia_status parse_if(parser *P, const ct_token *t, ct_node **out) {
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    ct_node *n;
    const char *end;
    ia_status st;
    NEW(n, CT_N_IF, t);
    if ((st = parse_expr(P, &n->a)) || (st = block_end(P))) return st;
    if ((st = parse_body(P, &n->body, ends, &end, t, "if"))) return st;
    *out = n;
    if (!strcmp(end, "elif")) {
        /* elif is an if nested in else */
        ct_node *m;
        vec v = {0};
        const ct_token *et = &P->t->v[P->i - 1];
        if ((st = parse_if(P, et, &m))) return st;
        st = vec_push(&v, m, NULL);
        if (!st) st = vec_nodes(P, &v, &n->orelse);
        vec_free(&v);
        return st;
    }
    if (!strcmp(end, "else")) {
        static const char *const ends2[] = {"endif", NULL};
        if ((st = block_end(P)) || (st = parse_body(P, &n->orelse, ends2, &end, t, "if"))) return st;
    }
    return block_end(P);
}

static ia_status parse_for(parser *P, const ct_token *t, ct_node **out) {
    static const char *const ends[] = {"else", "endfor", NULL};
    ct_node *n;
    const char *end;
    ia_status st;
    NEW(n, CT_N_FOR, t);
    if ((st = parse_targets(P, n))) return st;
    if (!is_name(peek(P), "in")) return expected(P, "'in'");
    next(P);
    /* the iterable stops before "if" (the loop filter) */
    if ((st = parse_or(P, &n->a))) return st;
    if (is_name(peek(P), "if")) {
        next(P);
        if ((st = parse_expr(P, &n->b))) return st;
    }
    if (is_name(peek(P), "recursive")) return unsupported(peek(P), "a recursive for loop");
    if ((st = block_end(P))) return st;
    if ((st = parse_body(P, &n->body, ends, &end, t, "for"))) return st;
    if (!strcmp(end, "else")) {
        static const char *const ends2[] = {"endfor", NULL};
        if ((st = block_end(P)) || (st = parse_body(P, &n->orelse, ends2, &end, t, "for"))) return st;
    }
    *out = n;
    return block_end(P);
}

static ia_status parse_set(parser *P, const ct_token *t, ct_node **out) {
    ct_node *n;
    ia_status st;
    const ct_token *name = peek(P);
    if (name->kind != CT_T_NAME) return expected(P, "a variable name after 'set'");
    if (is_op(peek2(P), ".")) {
        /* ns.attr = value */
        next(P);
        next(P);
        const ct_token *attr = peek(P);
        if (attr->kind != CT_T_NAME) return expected(P, "an attribute name");
        next(P);
        NEW(n, CT_N_SET_ATTR, t);
        n->name = name->str;
        n->name_len = name->len;
        n->attr = attr->str;
        if ((st = expect_op(P, "=")) || (st = parse_expr(P, &n->a))) return st;
        *out = n;
        return block_end(P);
    }
    NEW(n, CT_N_SET, t);
    if ((st = parse_targets(P, n))) return st;
    if (peek(P)->kind == CT_T_BLOCK_END && n->n_names == 1) {
        /* {% set x %}...{% endset %} */
        static const char *const ends[] = {"endset", NULL};
        const char *end;
        next(P);
        n->kind = CT_N_SET_BLOCK;
        if ((st = parse_body(P, &n->body, ends, &end, t, "set"))) return st;
        *out = n;
        return block_end(P);
    }
    if (is_op(peek(P), "|")) return unsupported(peek(P), "a filtered block set");
    if ((st = expect_op(P, "="))) return st;
    if ((st = parse_expr(P, &n->a))) return st;
    if (is_op(peek(P), ",")) {
        /* set a, b = x, y: the right side is a tuple */
        vec items = {0};
        ct_node *l, *e = n->a;
        NEW(l, CT_N_LIST, t);
        l->op = 1;
        st = vec_push(&items, e, NULL);
        while (!st && is_op(peek(P), ",")) {
            next(P);
            if (!(st = parse_expr(P, &e))) st = vec_push(&items, e, NULL);
        }
        if (!st) st = vec_nodes(P, &items, &l->body);
        vec_free(&items);
        if (st) return st;
        n->a = l;
    }
    *out = n;
    return block_end(P);
}

static ia_status parse_macro(parser *P, const ct_token *t, ct_node **out) {
    static const char *const ends[] = {"endmacro", NULL};
    ct_node *n;
    const char *end;
    vec params = {0}, defaults = {0};
    ia_status st = IA_OK;
    const ct_token *name = peek(P);
    if (name->kind != CT_T_NAME) return expected(P, "a macro name");
    next(P);
    NEW(n, CT_N_MACRO, t);
    n->name = name->str;
    n->name_len = name->len;
    if ((st = expect_op(P, "("))) return st;
    while (!st && !is_op(peek(P), ")")) {
        if (params.n && (st = expect_op(P, ","))) break;
        const ct_token *p = peek(P);
        if (p->kind != CT_T_NAME) {
            st = expected(P, "a parameter name");
            break;
        }
        next(P);
        ct_node *def = NULL;
        if (is_op(peek(P), "=")) {
            next(P);
            if ((st = parse_expr(P, &def))) break;
        }
        if (!(st = vec_push(&params, NULL, p->str))) st = vec_push(&defaults, def, NULL);
    }
    if (!st) st = expect_op(P, ")");
    if (!st) st = vec_names(P, &params, &n->names, &n->n_names);
    if (!st) st = vec_nodes(P, &defaults, &n->orelse);
    vec_free(&params);
    vec_free(&defaults);
    if (st || (st = block_end(P))) return st;
    if ((st = parse_body(P, &n->body, ends, &end, t, "macro"))) return st;
    if (peek(P)->kind == CT_T_NAME) next(P); /* {% endmacro name %} */
    *out = n;
    return block_end(P);
}

static ia_status parse_statement(parser *P, ct_node **out) {
    const ct_token *t = peek(P);
    ct_node *n;
    ia_status st;
    if (t->kind != CT_T_NAME) return expected(P, "a statement name");
    next(P);
    if ((st = enter(P))) return st;
    const char *s = t->str;
    if (!strcmp(s, "if")) st = parse_if(P, t, out);
    else if (!strcmp(s, "for")) st = parse_for(P, t, out);
    else if (!strcmp(s, "set")) st = parse_set(P, t, out);
    else if (!strcmp(s, "macro")) st = parse_macro(P, t, out);
    else if (!strcmp(s, "break") || !strcmp(s, "continue")) {
        NEW(n, !strcmp(s, "break") ? CT_N_BREAK : CT_N_CONTINUE, t);
        *out = n;
        st = block_end(P);
    } else if (!strcmp(s, "generation")) {
        static const char *const ends[] = {"endgeneration", NULL};
        const char *end;
        NEW(n, CT_N_BODY, t);
        if (!(st = block_end(P)) && !(st = parse_body(P, &n->body, ends, &end, t, "generation"))) st = block_end(P);
        *out = n;
    } else if (!strcmp(s, "filter")) {
        /* {% filter name(args) %}body{% endfilter %}: a = the filter, its subject the body */
        static const char *const ends[] = {"endfilter", NULL};
        const char *end;
        const ct_token *name = peek(P);
        ct_node *fl;
        if (name->kind != CT_T_NAME) return expected(P, "a filter name");
        next(P);
        if (!ct_filter_known(name->str)) {
            char what[96], shown[40];
            snprintf(what, sizeof what, "the filter '%s'", ia_shown_name(name->str, shown, sizeof shown));
            return unsupported(name, what);
        }
        NEW(n, CT_N_FILTER_BLOCK, t);
        NEW(fl, CT_N_FILTER, name);
        fl->name = name->str;
        fl->name_len = name->len;
        if (is_op(peek(P), "(") && (st = parse_args(P, fl))) return st;
        if (is_op(peek(P), "|")) return unsupported(peek(P), "a chain of filters in a filter block");
        n->a = fl;
        if (!(st = block_end(P)) && !(st = parse_body(P, &n->body, ends, &end, t, "filter"))) st = block_end(P);
        *out = n;
    } else if (!strcmp(s, "include") || !strcmp(s, "extends") || !strcmp(s, "import") || !strcmp(s, "from") ||
               !strcmp(s, "block") || !strcmp(s, "call") || !strcmp(s, "with") ||
               !strcmp(s, "autoescape") || !strcmp(s, "do") || !strcmp(s, "trans") || !strcmp(s, "raw")) {
        char what[64];
        snprintf(what, sizeof what, "the '%s' statement", s);
        return unsupported(t, what);
    } else {
        char w[96], shown[40];
        P->i--;
        snprintf(w, sizeof w, "a statement name (unknown tag '%s')", ia_shown_name(s, shown, sizeof shown));
        return expected(P, w);
    }
    if (!st) P->depth--;
    return st;
}

/* Statements until {% <one of ends> %}; *end_found names it, the parser stands
 * after the name. ends NULL: the root, which runs to the end of the template. */
static ia_status parse_body(parser *P, ct_nodes *out, const char *const *ends, const char **end_found,
                            const ct_token *opened, const char *opener) {
    vec body = {0};
    ia_status st = IA_OK;
    for (;;) {
        const ct_token *t = peek(P);
        ct_node *n = NULL;
        if (t->kind == CT_T_EOF) {
            if (ends) {
                int last = 0;
                while (ends[last + 1]) last++; /* the closing tag is listed last */
                st = ia_error(IA_ERR_FORMAT, "chat template %d:%d: expected '{%% %s %%}' to close the '%s' opened at %d:%d, got end of template",
                              t->line, t->col, ends[last], opener, opened->line, opened->col);
            }
            break;
        }
        if (t->kind == CT_T_TEXT) {
            next(P);
            n = new_node(P, CT_N_TEXT, t);
            if (!n) { st = ia_error(IA_ERR_NOMEM, "chat template: out of memory"); break; }
            n->name = t->str;
            n->name_len = t->len;
        } else if (t->kind == CT_T_VAR_BEGIN) {
            next(P);
            n = new_node(P, CT_N_OUTPUT, t);
            if (!n) { st = ia_error(IA_ERR_NOMEM, "chat template: out of memory"); break; }
            if ((st = parse_expr(P, &n->a))) break;
            if (peek(P)->kind != CT_T_VAR_END) { st = expected(P, "'}}' (end of expression)"); break; }
            next(P);
        } else if (t->kind == CT_T_BLOCK_BEGIN) {
            const ct_token *name = peek2(P);
            int is_end = 0;
            if (ends && name->kind == CT_T_NAME)
                for (int i = 0; ends[i]; i++)
                    if (!strcmp(name->str, ends[i])) {
                        *end_found = ends[i];
                        is_end = 1;
                    }
            if (is_end) {
                next(P);
                next(P);
                break;
            }
            if (name->kind == CT_T_NAME && (!strncmp(name->str, "end", 3) || !strcmp(name->str, "elif") ||
                                            !strcmp(name->str, "else"))) {
                char shown[40];
                st = ia_error(IA_ERR_FORMAT, "chat template %d:%d: unexpected '%s'%s%s%s", name->line, name->col,
                              ia_shown_name(name->str, shown, sizeof shown), opener ? " inside '" : "",
                              opener ? opener : "", opener ? "'" : " outside any block");
                break;
            }
            next(P);
            if ((st = parse_statement(P, &n))) break;
        } else {
            st = expected(P, "template text, '{{' or '{%'");
            break;
        }
        if ((st = vec_push(&body, n, NULL))) break;
    }
    if (!st) st = vec_nodes(P, &body, out);
    vec_free(&body);
    return st;
}

static ia_status check_list(const ct_nodes *l, int soft, int depth);

/* After parsing: bounds the depth of the tree (chains like a.b.c... or
 * 1+1+1... are built by loops, not recursion, so the parser's own bound does
 * not cover them, and the evaluator recurses on the tree), and refuses
 * filters and tests outside the subset — except inside an if statement or a
 * conditional expression, where Jinja too only fails if they run
 * (compiler.py's "soft" frames); for loop and macro bodies are not soft. */
static ia_status check_tree(const ct_node *n, int soft, int depth) {
    ia_status st;
    if (!n) return IA_OK;
    if (depth > CT_MAX_TREE_DEPTH)
        return ia_error(IA_ERR_UNSUPPORTED, "chat template %d:%d: expression or block nesting deeper than %d", n->line,
                        n->col, CT_MAX_TREE_DEPTH);
    if (!soft && ((n->kind == CT_N_FILTER && !ct_filter_known(n->name)) || (n->kind == CT_N_TEST && !ct_test_known(n->name)))) {
        char shown[40];
        return ia_error(IA_ERR_UNSUPPORTED, "chat template %d:%d: the %s '%s' is outside the supported Jinja subset",
                        n->line, n->col, n->kind == CT_N_FILTER ? "filter" : "test",
                        ia_shown_name(n->name, shown, sizeof shown));
    }
    int inner = soft;
    if (n->kind == CT_N_IF || n->kind == CT_N_COND) inner = 1;
    if (n->kind == CT_N_FOR) {
        if ((st = check_tree(n->a, soft, depth + 1)) || (st = check_tree(n->b, 0, depth + 1)) ||
            (st = check_list(&n->body, 0, depth + 1)))
            return st;
        return check_list(&n->orelse, soft, depth + 1);
    }
    if (n->kind == CT_N_MACRO) {
        if ((st = check_list(&n->orelse, soft, depth + 1))) return st;
        return check_list(&n->body, 0, depth + 1);
    }
    if ((st = check_tree(n->a, inner, depth + 1)) || (st = check_tree(n->b, inner, depth + 1)) ||
        (st = check_tree(n->c, inner, depth + 1)) || (st = check_list(&n->body, inner, depth + 1)))
        return st;
    return check_list(&n->orelse, inner, depth + 1);
}

static ia_status check_list(const ct_nodes *l, int soft, int depth) {
    for (size_t i = 0; i < l->n; i++) {
        ia_status st = check_tree(l->v[i], soft, depth);
        if (st) return st;
    }
    return IA_OK;
}

ia_status ct_parse(const ct_tokens *toks, ct_arena *a, ct_nodes *root) {
    parser P = {.t = toks, .a = a};
    const char *end = NULL;
    ia_status st = parse_body(&P, root, NULL, &end, NULL, NULL);
    if (!st) st = check_list(root, 0, 0);
    return st;
}
