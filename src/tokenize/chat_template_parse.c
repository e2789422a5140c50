/*
 * chat_template_parse.c — the statements of a chat template to a syntax
 * tree: if/elif/else, for (with an "if" filter and else), set (name,
 * ns.attr, tuple, block form), macro, filter blocks, break/continue
 * (loopcontrols), generation (transformers' extension; its body renders as
 * is). Every other statement is refused by name. Expressions are in
 * chat_template_parse_expr.c.
 */
#include "tokenize/chat_template_parser.h"

/* Depth of the finished tree; real templates stay under 40. With the
 * evaluator's 16 nested macro calls this bounds its stack to a few MiB. */
#define CT_MAX_TREE_DEPTH 256

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
    if ((st = ct_parse_expr(P, &n->a)) || (st = block_end(P))) return st;
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
    if ((st = ct_parse_or(P, &n->a))) return st;
    if (is_name(peek(P), "if")) {
        next(P);
        if ((st = ct_parse_expr(P, &n->b))) return st;
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
        if ((st = expect_op(P, "=")) || (st = ct_parse_expr(P, &n->a))) return st;
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
    if ((st = ct_parse_expr(P, &n->a))) return st;
    if (is_op(peek(P), ",")) {
        /* set a, b = x, y: the right side is a tuple */
        vec items = {0};
        ct_node *l, *e = n->a;
        NEW(l, CT_N_LIST, t);
        l->op = 1;
        st = vec_push(&items, e, NULL);
        while (!st && is_op(peek(P), ",")) {
            next(P);
            if (!(st = ct_parse_expr(P, &e))) st = vec_push(&items, e, NULL);
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
            if ((st = ct_parse_expr(P, &def))) break;
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
        if (is_op(peek(P), "(") && (st = ct_parse_args(P, fl))) return st;
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
            if ((st = ct_parse_expr(P, &n->a))) break;
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
