/*
 * chat_template_impl.h — the types the chat-template files share: the arena
 * everything is allocated from, tokens, the syntax tree and run-time values.
 * Internal to src/tokenize/chat_template*.c.
 */
#ifndef IA_TOKENIZE_CHAT_TEMPLATE_IMPL_H
#define IA_TOKENIZE_CHAT_TEMPLATE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "tokenize/chat_template.h"

/* ---- arena: a parse (the tree) and a render (its values) each own one and
 * free it at once, so no value needs a reference count. */
typedef struct ct_arena_block ct_arena_block;
typedef struct ct_arena {
    ct_arena_block *head;
    size_t used_total; /* bytes handed out, checked against limit */
    size_t limit;      /* 0 = none */
    int over_limit;    /* an allocation was refused for the limit, not by malloc */
} ct_arena;

void *ct_alloc(ct_arena *a, size_t n); /* zeroed; NULL when out of memory or over limit */
char *ct_strdup(ct_arena *a, const char *s, size_t n); /* NUL-terminated copy */
void ct_arena_free(ct_arena *a);

/* ---- tokens */
typedef enum {
    CT_T_EOF,
    CT_T_TEXT,        /* template data, whitespace control already applied */
    CT_T_VAR_BEGIN,   /* {{ */
    CT_T_VAR_END,     /* }} */
    CT_T_BLOCK_BEGIN, /* {% */
    CT_T_BLOCK_END,   /* %} */
    CT_T_NAME,
    CT_T_STRING,      /* value with escapes decoded */
    CT_T_INT,
    CT_T_FLOAT,
    CT_T_OP           /* str holds the operator: + - * / // % ** ~ == != < <= > >= = . : | , ( ) [ ] { } */
} ct_tok_kind;

typedef struct ct_token {
    ct_tok_kind kind;
    int line, col;
    const char *str; /* arena copy: text, name, string value, operator */
    size_t len;
    int64_t ival;
    double fval;
} ct_token;

typedef struct ct_tokens {
    ct_token *v;
    size_t n, cap;
} ct_tokens;

/* Lexes source into toks (allocated with malloc: free(toks->v)); strings in
 * the arena. IA_ERR_FORMAT / IA_ERR_UNSUPPORTED with line:column. */
ia_status ct_lex(const char *source, size_t len, ct_arena *a, ct_tokens *toks);

/* ---- syntax tree */
typedef enum {
    /* statements */
    CT_N_TEXT, CT_N_OUTPUT, CT_N_IF, CT_N_FOR, CT_N_SET, CT_N_SET_ATTR, CT_N_SET_BLOCK, CT_N_MACRO,
    CT_N_BREAK, CT_N_CONTINUE, CT_N_BODY, CT_N_FILTER_BLOCK,
    /* expressions */
    CT_N_CONST, CT_N_LIST, CT_N_DICT, CT_N_NAME, CT_N_ATTR, CT_N_INDEX, CT_N_SLICE, CT_N_CALL,
    CT_N_FILTER, CT_N_TEST, CT_N_BINOP, CT_N_NEG, CT_N_POS, CT_N_NOT, CT_N_AND, CT_N_OR, CT_N_COND,
    CT_N_COMPARE
} ct_node_kind;

typedef struct ct_value ct_value;
typedef struct ct_node ct_node;

typedef struct ct_nodes {
    ct_node **v;
    size_t n;
} ct_nodes;

typedef enum { CT_V_UNDEF, CT_V_NONE, CT_V_BOOL, CT_V_INT, CT_V_FLOAT, CT_V_STR, CT_V_LIST, CT_V_DICT,
               CT_V_NS, CT_V_MACRO, CT_V_FUNC } ct_vkind;

typedef struct ct_list ct_list;
typedef struct ct_dict ct_dict;

struct ct_value {
    ct_vkind kind;
    union {
        int b;
        int64_t i;
        double f;
        struct { const char *s; size_t n; } str; /* also the name of an undefined value, or a function */
        ct_list *list;
        ct_dict *dict; /* CT_V_DICT and CT_V_NS (a namespace(): the only mutable one) */
        const ct_node *macro;
    } u;
};

struct ct_list {
    ct_value *v;
    size_t n, cap;
    int tuple; /* a Python tuple: shown as (a, b), never equal to a list */
};

struct ct_dict {
    ct_value *keys, *vals;
    size_t n, cap;
};

struct ct_node {
    ct_node_kind kind;
    int line, col;
    int op;              /* BINOP/COMPARE operator (CT_OP_*), TEST negation, LIST 1 for a tuple */
    const char *name;    /* NAME, ATTR, FILTER/TEST name, SET target, MACRO name */
    size_t name_len;
    const char *attr;    /* SET_ATTR attribute */
    ct_node *a, *b, *c;  /* children: operands, condition, iterable, slice bounds */
    ct_nodes body;       /* statements; CALL/FILTER/TEST positional args; LIST/DICT items */
    ct_nodes orelse;     /* else statements; DICT values; kwarg values */
    const char **names;  /* FOR targets, SET targets, MACRO params, kwarg names */
    size_t n_names;
    ct_value value;      /* CONST */
};

enum { CT_OP_ADD = 1, CT_OP_SUB, CT_OP_MUL, CT_OP_DIV, CT_OP_FLOORDIV, CT_OP_MOD, CT_OP_POW, CT_OP_CONCAT,
       CT_OP_EQ, CT_OP_NE, CT_OP_LT, CT_OP_LE, CT_OP_GT, CT_OP_GE, CT_OP_IN, CT_OP_NOTIN };

/* Parses tokens into a statement list (the root body). */
ia_status ct_parse(const ct_tokens *toks, ct_arena *a, ct_nodes *root);

struct ia_chat_template {
    ct_arena arena; /* the tree and its strings */
    ct_nodes root;
    int64_t clock;  /* 0 = local time at render */
};

/* ---- values (chat_template_value.c) */
typedef struct ct_buf {
    char *p;
    size_t n, cap;
    size_t limit; /* 0 = none */
    int failed;   /* out of memory or over limit; later appends are dropped */
} ct_buf;

void ct_buf_put(ct_buf *b, const char *s, size_t n);
void ct_buf_putc(ct_buf *b, char c);

ct_value ct_str(const char *s, size_t n);
ct_value ct_int(int64_t i);
ct_value ct_bool(int b);
ct_value ct_undef(const char *name, size_t n);
ct_list *ct_list_new(ct_arena *a, size_t cap);
int ct_list_push(ct_arena *a, ct_list *l, ct_value v);
ct_dict *ct_dict_new(ct_arena *a, size_t cap);
int ct_dict_set(ct_arena *a, ct_dict *d, ct_value key, ct_value v);
const ct_value *ct_dict_get(const ct_dict *d, const char *key, size_t n);
const ct_value *ct_dict_getv(const ct_dict *d, const ct_value *key);

int ct_truthy(const ct_value *v);
int ct_equal(const ct_value *x, const ct_value *y);
/* Python's str(v) appended to b (undefined shows as nothing, as Jinja's
 * Undefined; a macro or namespace as a placeholder). */
void ct_str_of(ct_buf *b, const ct_value *v);
/* Python's repr(): how items show inside a printed list or dict. */
void ct_repr(ct_buf *b, const ct_value *v);
/* json.dumps(v, ensure_ascii=False, indent=indent (<0: None), sort_keys);
 * returns 0 and names the offending type in *bad when v holds a value JSON
 * cannot show. */
int ct_tojson(ct_buf *b, const ct_value *v, int indent, int sort_keys, int depth, const char **bad);
const char *ct_type_name(const ct_value *v);
/* Byte length of the whitespace code point (Python's str.isspace(), which
 * strip(), split() and Jinja's whitespace control use) at s[i] / ending at
 * s[i] (not reaching before from); 0 when there is none. */
size_t ct_space_at(const char *s, size_t n, size_t i);
size_t ct_space_before(const char *s, size_t from, size_t i);
/* Number of code points in s[0..n) (UTF-8). */
size_t ct_utf8_len(const char *s, size_t n);
/* Byte offset of code point index cp (clamped to n). */
size_t ct_utf8_offset(const char *s, size_t n, size_t cp);

/* ---- render state (chat_template_eval.c, chat_template_render.c) shared
 * with the builtins */
#define CT_MAX_STEPS 10000000u /* ~1 s of work; real templates take < 10^5 */
#define CT_MAX_OUT (64u << 20) /* a prompt is far smaller */
#define CT_MAX_ARENA (256u << 20)
#define CT_MAX_CALLS 16 /* with the tree depth bound (parse.c) this bounds the stack */

/* A scope: variables set in it, then its parent's. */
typedef struct ct_frame ct_frame;
struct ct_frame {
    ct_frame *parent;
    ct_dict *vars;
};
typedef struct ct_render {
    ct_arena arena;
    ct_buf out;
    ct_frame *root;
    const ia_chat_template *t;
    uint64_t steps;
    int depth;
    ia_status status; /* first error; the message is in ia_last_error() */
    int loop_ctl;     /* 1 break, 2 continue pending */
} ct_render;

/* Records the first error (formatted like ia_error) and returns status. */
ia_status ct_fail(ct_render *r, ia_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Out of memory, or over the render's CT_MAX_ARENA (then IA_ERR_INVALID_ARG). */
ia_status ct_nomem(ct_render *r);
/* A variable through the frames, then the globals; undefined when absent. */
ct_value ct_lookup(const ct_frame *f, const char *name, size_t n);
ia_status ct_set_var(ct_render *r, ct_frame *f, const char *name, ct_value v);
ia_status ct_new_frame(ct_render *r, ct_frame *parent, ct_frame **out);
ia_status ct_eval(ct_render *r, const ct_node *n, ct_frame *f, ct_value *res);
/* Evaluates n's arguments: positional into *pv, keyword into *kv (arena). */
ia_status ct_eval_args(ct_render *r, const ct_node *n, ct_frame *f, ct_value **pv, ct_value **kv);
/* Statements (chat_template_render.c). */
ia_status ct_exec_body(ct_render *r, const ct_nodes *body, ct_frame *f);
/* Renders macro m's body with its arguments bound; *res is the text. */
ia_status ct_call_macro(ct_render *r, const ct_node *m, const ct_value *pv, size_t np, const char **kn,
                        const ct_value *kv, size_t nk, ct_value *res);

/* String helpers (chat_template_strings.c). */
/* b's bytes as a string value in the arena; frees b. */
ia_status ct_make_str(ct_render *r, ct_buf *b, ct_value *res);
ct_value ct_list_value(ct_list *l);
/* Keyword argument name, else positional argument pos, else NULL. */
const ct_value *ct_arg(const ct_value *pv, size_t np, const char **kn, const ct_value *kv, size_t nk, size_t pos,
                       const char *name);
/* str.strip (which 3), lstrip (1), rstrip (2); chars NULL or none: whitespace. */
ct_value ct_strip(const ct_value *s, const ct_value *chars, int which);
/* An error naming what unless v is a string. */
ia_status ct_need_str(ct_render *r, const ct_value *v, const char *what);
/* Case mapping of str(v): 0 lower, 1 upper, 2 str.title, 3 capitalize, 4 Jinja's title filter. */
ia_status ct_map_case(ct_render *r, const ct_value *v, int mode, ct_value *res);
/* str.replace(old, rep, count) (count < 0: all). */
ia_status ct_replace(ct_render *r, const ct_value *s, const ct_value *old, const ct_value *rep, int64_t count,
                     ct_value *res);

/* Filters, tests, methods and global functions (chat_template_builtins.c;
 * methods in chat_template_strings.c).
 * Each returns IA_OK and sets *res, or an error through ct_fail. */
int ct_filter_known(const char *name);
int ct_test_known(const char *name);
ia_status ct_apply_filter(ct_render *r, const ct_node *n, const char *name, ct_value subject, const ct_value *args,
                          size_t nargs, const char **kwn, const ct_value *kwv, size_t nkw, ct_value *res);
ia_status ct_apply_test(ct_render *r, const char *name, const ct_value *subject, const ct_value *args,
                        size_t nargs, int *res);
ia_status ct_call_method(ct_render *r, ct_value self, const char *name, const ct_value *args, size_t nargs,
                         const char **kwn, const ct_value *kwv, size_t nkw, ct_value *res);
ia_status ct_call_global(ct_render *r, const char *name, const ct_value *args, size_t nargs, const char **kwn,
                         const ct_value *kwv, size_t nkw, ct_value *res);
/* Python-ordering comparison for < <= > >=: sets *cmp (-1, 0, 1); error for
 * types Python cannot order. */
ia_status ct_compare(ct_render *r, const ct_value *x, const ct_value *y, int *cmp);
/* str(v) as a string value in the render arena. */
ia_status ct_to_string(ct_render *r, const ct_value *v, ct_value *res);
/* Iteration view: list items, dict keys, string characters; undefined is
 * empty. Error for other types. */
ia_status ct_iterable(ct_render *r, const ct_value *v, ct_list **out);
/* Attribute/item lookup as Jinja's getattr/getitem (undefined when missing). */
ia_status ct_getattr(ct_render *r, const ct_value *obj, const char *name, size_t n, ct_value *res);

#endif
