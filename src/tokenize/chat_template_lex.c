/*
 * chat_template_lex.c — Jinja2 template source to tokens, with the
 * whitespace control of transformers' environment applied to the text tokens
 * here, as jinja2/lexer.py does: "{%-" / "-%}" strip all whitespace before /
 * after the tag; trim_blocks drops the first newline after a block or comment
 * tag; lstrip_blocks drops the spaces and tabs between the start of a line
 * and a block or comment tag ("{%+" keeps them); keep_trailing_newline is
 * off, so one newline at the end of the source is dropped. Newlines are
 * normalised to "\n" as Jinja's newline_sequence.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/chat_template_impl.h"
#include "util/error.h"

typedef struct lexer {
    const char *s;
    size_t n, pos;
    int line;
    size_t cur;        /* where() cursor: offset, its line, its line's start */
    size_t line_start;
    ct_arena *a;
    ct_tokens *out;
    int depth; /* open ( [ { inside the current tag */
} lexer;

/* Line and column (from 1, columns in bytes) of offset at. Tokens come in
 * order, so a cursor moves forward from the last answer: linear overall. */
static void where(lexer *L, size_t at, int *line, int *col) {
    if (at < L->cur) {
        L->cur = 0;
        L->line = 1;
        L->line_start = 0;
    }
    for (; L->cur < at; L->cur++) {
        if (L->s[L->cur] == '\n') {
            L->line++;
            L->line_start = L->cur + 1;
        }
    }
    *line = L->line;
    *col = (int)(at - L->line_start) + 1;
}

static ia_status fail_at(lexer *L, size_t at, ia_status st, const char *what) {
    int line, col;
    where(L, at, &line, &col);
    return ia_error(st, "chat template %d:%d: %s", line, col, what);
}

static ia_status push(lexer *L, ct_tok_kind kind, size_t at, const char *str, size_t len, ct_token **tok) {
    if (L->out->n == L->out->cap) {
        size_t cap = L->out->cap ? L->out->cap * 2 : 256;
        ct_token *v = realloc(L->out->v, cap * sizeof *v);
        if (!v) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        L->out->v = v;
        L->out->cap = cap;
    }
    ct_token *t = &L->out->v[L->out->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    where(L, at, &t->line, &t->col);
    if (str) {
        t->str = ct_strdup(L->a, str, len);
        if (!t->str) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
        t->len = len;
    }
    if (tok) *tok = t;
    return IA_OK;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Appends one UTF-8 encoded code point. */
static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A string literal: Jinja decodes it with Python's unicode-escape, so the
 * Python escapes apply and an unknown escape keeps its backslash. */
static ia_status lex_string(lexer *L) {
    size_t start = L->pos;
    char q = L->s[L->pos++];
    size_t body = L->pos;
    while (L->pos < L->n && L->s[L->pos] != q) L->pos += (L->s[L->pos] == '\\' && L->pos + 1 < L->n) ? 2 : 1;
    if (L->pos >= L->n) return fail_at(L, start, IA_ERR_FORMAT, "unterminated string literal");
    size_t end = L->pos++;
    char *o = malloc(end - body + 1);
    size_t k = 0;
    if (!o) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
    for (size_t i = body; i < end; i++) {
        char c = L->s[i];
        if (c != '\\' || i + 1 >= end) { o[k++] = c; continue; }
        char e = L->s[++i];
        int digits = 0;
        switch (e) {
        case 'n': o[k++] = '\n'; break;
        case 't': o[k++] = '\t'; break;
        case 'r': o[k++] = '\r'; break;
        case '\\': o[k++] = '\\'; break;
        case '\'': o[k++] = '\''; break;
        case '"': o[k++] = '"'; break;
        case 'a': o[k++] = '\a'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'v': o[k++] = '\v'; break;
        case '\n': break; /* line continuation */
        case 'x': digits = 2; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = 0;
                int m = 0;
                while (m < 3 && i < end && L->s[i] >= '0' && L->s[i] <= '7') cp = cp * 8 + (uint32_t)(L->s[i++] - '0'), m++;
                i--;
                k += put_utf8(o + k, cp);
            } else {
                o[k++] = '\\';
                o[k++] = e;
            }
        }
        if (digits) {
            uint32_t cp = 0;
            if (i + (size_t)digits >= end) {
                free(o);
                return fail_at(L, i, IA_ERR_FORMAT, "truncated \\x, \\u or \\U escape in string literal");
            }
            for (int d = 1; d <= digits; d++) {
                int h = hexval(L->s[i + (size_t)d]);
                if (h < 0) {
                    free(o);
                    return fail_at(L, i, IA_ERR_FORMAT, "bad hex digit in \\x, \\u or \\U escape");
                }
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                free(o);
                return fail_at(L, i, IA_ERR_UNSUPPORTED, "escape outside Unicode scalar values");
            }
            i += (size_t)digits;
            k += put_utf8(o + k, cp); /* each escape is at least as long as its UTF-8 */
        }
    }
    ia_status st = push(L, CT_T_STRING, start, o, k, NULL);
    free(o);
    return st;
}

static ia_status lex_number(lexer *L) {
    size_t start = L->pos, j = L->pos;
    int is_float = 0;
    char buf[64];
    size_t k = 0;
    while (j < L->n && (isdigit((unsigned char)L->s[j]) || L->s[j] == '_')) j++;
    if (j + 1 < L->n && L->s[j] == '.' && isdigit((unsigned char)L->s[j + 1])) {
        is_float = 1;
        j++;
        while (j < L->n && (isdigit((unsigned char)L->s[j]) || L->s[j] == '_')) j++;
    }
    if (j < L->n && (L->s[j] == 'e' || L->s[j] == 'E')) {
        size_t e = j + 1;
        if (e < L->n && (L->s[e] == '+' || L->s[e] == '-')) e++;
        if (e < L->n && isdigit((unsigned char)L->s[e])) {
            is_float = 1;
            j = e;
            while (j < L->n && (isdigit((unsigned char)L->s[j]) || L->s[j] == '_')) j++;
        }
    }
    for (size_t i = start; i < j; i++) {
        if (L->s[i] == '_') continue;
        if (k + 1 >= sizeof buf) return fail_at(L, start, IA_ERR_UNSUPPORTED, "number literal too long");
        buf[k++] = L->s[i];
    }
    buf[k] = 0;
    ct_token *t;
    ia_status st = push(L, is_float ? CT_T_FLOAT : CT_T_INT, start, NULL, 0, &t);
    if (st) return st;
    if (is_float) {
        t->fval = strtod(buf, NULL);
    } else {
        int64_t v = 0;
        for (size_t i = 0; i < k; i++) {
            if (v > (INT64_MAX - 9) / 10) return fail_at(L, start, IA_ERR_UNSUPPORTED, "integer literal beyond 64 bits");
            v = v * 10 + (buf[i] - '0');
        }
        t->ival = v;
    }
    L->pos = j;
    return IA_OK;
}

static const char *const OPS[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                                  "=", ".", ":", "|", ",", "(", ")", "[", "]", "{", "}", NULL};

/* Lexes the inside of a {{ }} or {% %} tag up to and including its end;
 * block: 1 for {% %}. Sets *strip_after / *trim_nl from the end marker. */
static ia_status lex_tag(lexer *L, int block, size_t tag_at, int *strip_after, int *trim_nl) {
    const char end0 = block ? '%' : '}';
    L->depth = 0;
    for (;;) {
        for (size_t w; (w = ct_space_at(L->s, L->n, L->pos));) L->pos += w;
        if (L->pos >= L->n)
            return fail_at(L, tag_at, IA_ERR_FORMAT,
                           block ? "expected '%}' to close the block tag, got end of template"
                                 : "expected '}}' to close the expression, got end of template");
        const char *p = L->s + L->pos;
        size_t left = L->n - L->pos;
        if (L->depth == 0) {
            /* the end marker, optionally with - or + */
            if (left >= 3 && (p[0] == '-' || p[0] == '+') && p[1] == end0 && p[2] == '}') {
                if (!block && p[0] == '+') goto ops; /* "+}}" is an operator then the end for {{ }} */
                *strip_after = p[0] == '-';
                *trim_nl = 0;
                L->pos += 3;
                return push(L, block ? CT_T_BLOCK_END : CT_T_VAR_END, L->pos - 3, NULL, 0, NULL);
            }
            if (left >= 2 && p[0] == end0 && p[1] == '}') {
                *strip_after = 0;
                *trim_nl = block;
                L->pos += 2;
                return push(L, block ? CT_T_BLOCK_END : CT_T_VAR_END, L->pos - 2, NULL, 0, NULL);
            }
        }
        if (p[0] == '\'' || p[0] == '"') {
            ia_status st = lex_string(L);
            if (st) return st;
            continue;
        }
        if (isdigit((unsigned char)p[0])) {
            ia_status st = lex_number(L);
            if (st) return st;
            continue;
        }
        if (isalpha((unsigned char)p[0]) || p[0] == '_') {
            size_t j = 1;
            while (j < left && (isalnum((unsigned char)p[j]) || p[j] == '_')) j++;
            ia_status st = push(L, CT_T_NAME, L->pos, p, j, NULL);
            if (st) return st;
            L->pos += j;
            continue;
        }
    ops:
        for (int i = 0; OPS[i]; i++) {
            size_t ol = strlen(OPS[i]);
            if (left >= ol && memcmp(p, OPS[i], ol) == 0) {
                char c = OPS[i][0];
                if (ol == 1 && (c == '(' || c == '[' || c == '{')) {
                    if (++L->depth > 256) return fail_at(L, L->pos, IA_ERR_UNSUPPORTED, "brackets nested deeper than 256");
                } else if (ol == 1 && (c == ')' || c == ']' || c == '}')) {
                    if (L->depth == 0) {
                        char msg[64];
                        snprintf(msg, sizeof msg, "unexpected '%c'", c);
                        return fail_at(L, L->pos, IA_ERR_FORMAT, msg);
                    }
                    L->depth--;
                }
                ia_status st = push(L, CT_T_OP, L->pos, OPS[i], ol, NULL);
                if (st) return st;
                L->pos += ol;
                goto next;
            }
        }
        {
            char msg[64];
            unsigned char c = (unsigned char)p[0];
            if (c >= 0x20 && c < 0x7f) snprintf(msg, sizeof msg, "unexpected character '%c'", c);
            else snprintf(msg, sizeof msg, "unexpected byte 0x%02x", c);
            return fail_at(L, L->pos, IA_ERR_FORMAT, msg);
        }
    next:;
    }
}

/* Emits text s[from..to) with the pending strips; lstrip applies when the
 * next tag is a block or comment. */
static ia_status emit_text(lexer *L, size_t from, size_t to, int strip_before, int lstrip, int line_starting) {
    if (strip_before) {
        for (size_t w; (w = ct_space_before(L->s, from, to));) to -= w;
    } else if (lstrip) {
        size_t l = to;
        while (l > from && L->s[l - 1] != '\n') l--;
        if (l > from || line_starting) {
            size_t k = l;
            for (size_t w; k < to && (w = ct_space_at(L->s, to, k));) k += w;
            if (k == to && to > l) to = l;
        }
    }
    if (to == from) return IA_OK;
    return push(L, CT_T_TEXT, from, L->s + from, to - from, NULL);
}

ia_status ct_lex(const char *source, size_t len, ct_arena *a, ct_tokens *toks) {
    lexer L = {0};
    char *norm = malloc(len + 1);
    size_t k = 0;
    ia_status st = IA_OK;
    if (!norm) return ia_error(IA_ERR_NOMEM, "chat template: out of memory");
    /* newlines to "\n"; then keep_trailing_newline=False drops one at the end */
    for (size_t i = 0; i < len; i++) {
        if (source[i] == '\r') {
            norm[k++] = '\n';
            if (i + 1 < len && source[i + 1] == '\n') i++;
        } else {
            norm[k++] = source[i];
        }
    }
    if (k > 0 && norm[k - 1] == '\n') k--;
    norm[k] = 0;
    L.s = norm;
    L.n = k;
    L.a = a;
    L.out = toks;
    L.line = 1;
    int line_starting = 1;
    while (L.pos < L.n) {
        const char *hit = NULL;
        for (size_t i = L.pos; i + 1 < L.n; i++) {
            if (L.s[i] == '{' && (L.s[i + 1] == '{' || L.s[i + 1] == '%' || L.s[i + 1] == '#')) {
                hit = L.s + i;
                break;
            }
        }
        if (!hit) {
            st = emit_text(&L, L.pos, L.n, 0, 0, line_starting);
            break;
        }
        size_t at = (size_t)(hit - L.s);
        char kind = hit[1];
        char sign = at + 2 < L.n ? hit[2] : 0;
        int has_sign = sign == '-' || sign == '+';
        st = emit_text(&L, L.pos, at, sign == '-', kind != '{' && sign != '+', line_starting);
        if (st) break;
        L.pos = at + 2 + (has_sign ? 1 : 0);
        int strip_after = 0, trim_nl = 0;
        if (kind == '#') {
            size_t j = L.pos;
            while (j + 1 < L.n && !(L.s[j] == '#' && L.s[j + 1] == '}')) j++;
            if (j + 1 >= L.n) {
                st = fail_at(&L, at, IA_ERR_FORMAT, "missing end of comment tag '#}'");
                break;
            }
            /* "-#}" strips, "+#}" keeps, "#}" trims one newline */
            strip_after = j > L.pos && L.s[j - 1] == '-';
            trim_nl = !(j > L.pos && (L.s[j - 1] == '-' || L.s[j - 1] == '+'));
            L.pos = j + 2;
        } else {
            if (kind == '%') {
                /* {% raw %} would need a lexer mode of its own; refuse it */
                size_t j = L.pos;
                while (j < L.n && is_ws(L.s[j])) j++;
                if (L.n - j >= 3 && memcmp(L.s + j, "raw", 3) == 0 &&
                    (j + 3 >= L.n || !(isalnum((unsigned char)L.s[j + 3]) || L.s[j + 3] == '_'))) {
                    st = fail_at(&L, at, IA_ERR_UNSUPPORTED, "{% raw %} blocks are outside the supported Jinja subset");
                    break;
                }
            }
            st = push(&L, kind == '%' ? CT_T_BLOCK_BEGIN : CT_T_VAR_BEGIN, at, NULL, 0, NULL);
            if (st) break;
            st = lex_tag(&L, kind == '%', at, &strip_after, &trim_nl);
            if (st) break;
        }
        if (strip_after) {
            for (size_t w; (w = ct_space_at(L.s, L.n, L.pos));) L.pos += w;
        } else if (trim_nl && L.pos < L.n && L.s[L.pos] == '\n') {
            L.pos++;
        }
        line_starting = L.pos > 0 && L.s[L.pos - 1] == '\n';
    }
    if (!st) st = push(&L, CT_T_EOF, L.n, NULL, 0, NULL);
    free(norm);
    return st;
}
