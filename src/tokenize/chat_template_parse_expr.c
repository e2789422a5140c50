/*
 * chat_template_parse_expr.c — Jinja expressions to syntax-tree nodes,
 * following jinja2/parser.py: precedence from loosest, x if c else y, or,
 * and, not, comparisons / in (chained as Python), + -, ~, * / // %, **,
 * unary - +, then postfix . [] () with | filters and "is" tests.
 */
#include "tokenize/chat_template_parser.h"

static ia_status parse_unary(parser *P, int with_filter, ct_node **out);

/* ( args ) after a callee, filter or test: positional then name=value. */
ia_status ct_parse_args(parser *P, ct_node *n) {
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
            if ((st = ct_parse_expr(P, &v)) || (st = vec_push(&kw, v, name))) goto done;
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
            if ((st = ct_parse_expr(P, &v)) || (st = vec_push(&pos, v, NULL))) goto done;
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
        if ((st = ct_parse_expr(P, &e))) return st;
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
                if (!(st = ct_parse_expr(P, &e))) st = vec_push(&items, e, NULL);
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
            if (!(st = ct_parse_expr(P, &e))) st = vec_push(&items, e, NULL);
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
            if ((st = ct_parse_expr(P, &k)) || (st = expect_op(P, ":")) || (st = ct_parse_expr(P, &v))) break;
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
            if ((st = ct_parse_expr(P, &parts[k]))) return st;
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
            if ((st = ct_parse_args(P, m))) return st;
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
            if (is_op(peek(P), "(") && (st = ct_parse_args(P, m))) return st;
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
                if ((st = ct_parse_args(P, m))) return st;
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

ia_status ct_parse_or(parser *P, ct_node **out) {
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
ia_status ct_parse_expr(parser *P, ct_node **out) {
    ct_node *l, *n;
    ia_status st;
    if ((st = enter(P))) return st;
    if ((st = ct_parse_or(P, &l))) return st;
    while (is_name(peek(P), "if")) {
        const ct_token *t = next(P);
        NEW(n, CT_N_COND, t);
        n->b = l;
        if ((st = ct_parse_or(P, &n->a))) return st;
        if (is_name(peek(P), "else")) {
            next(P);
            if ((st = ct_parse_expr(P, &n->c))) return st;
        }
        l = n;
    }
    P->depth--;
    *out = l;
    return IA_OK;
}
