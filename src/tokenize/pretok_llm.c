/*
 * pretok_llm.c — the byte-level BPE pre-tokenizers (see pretok_llm.h).
 *
 * Every pass turns the piece lengths of the previous pass into finer ones:
 * a match and the text before it become separate pieces, as llama.cpp's
 * unicode_regex_split_stl does. The hand-written GPT-2 and llama3 passes
 * are line-by-line ports of llama.cpp's unicode_regex_split_custom_gpt2 and
 * _llama3 (src/unicode.cpp), quirks included (e.g. "\s+(?!\S)" is
 * decided by whether any code point follows in the piece).
 *
 * Character classes follow llama.cpp's std::regex set-up: code points are
 * classified by general category (\p{L} letters, \p{N} numbers, \p{P}
 * punctuation), a non-ASCII White_Space code point is seen only as "\s"
 * (llama.cpp replaces it by U+000B before running std::regex), and "\s"
 * is White_Space (for ASCII: tab, LF, VT, FF, CR, space, as C's isspace).
 */
#include "tokenize/pretok_llm.h"

#include <stdlib.h>
#include <string.h>

#include "tokenize/unicode_cat.h"
#include "util/error.h"

/* ------------------------------------------------------------ pre types */

/* The names and options of llama_vocab::impl::load (llama-vocab.cpp). */
static const struct {
    const char *name;
    ia_pre_type type;
    int ignore_merges, add_bos;
} names[] = {
    /* GPT-2's regex */
    {"gpt-2", IA_PRE_GPT2, 0, 0},          {"phi-2", IA_PRE_GPT2, 0, 0},
    {"jina-es", IA_PRE_GPT2, 0, 0},        {"jina-de", IA_PRE_GPT2, 0, 0},
    {"gigachat", IA_PRE_GPT2, 0, 0},       {"jina-v2-es", IA_PRE_GPT2, 0, 0},
    {"jina-v2-de", IA_PRE_GPT2, 0, 0},     {"a.x-4.0", IA_PRE_GPT2, 0, 0},
    {"mellum", IA_PRE_GPT2, 0, 0},         {"modern-bert", IA_PRE_GPT2, 0, 0},
    {"mpt", IA_PRE_GPT2, 0, 0},            {"olmo", IA_PRE_GPT2, 0, 0},
    {"jais", IA_PRE_GPT2, 0, 0},           {"exaone4", IA_PRE_GPT2, 0, 0},
    {"trillion", IA_PRE_GPT2, 0, 0},       {"granite-docling", IA_PRE_GPT2, 0, 0},
    /* llama3's regex, with ignore_merges and BOS */
    {"llama3", IA_PRE_LLAMA3, 1, 1},       {"llama-v3", IA_PRE_LLAMA3, 1, 1},
    {"llama-bpe", IA_PRE_LLAMA3, 1, 1},    {"falcon3", IA_PRE_LLAMA3, 1, 1},
    {"falcon-h1", IA_PRE_LLAMA3, 1, 1},    {"pixtral", IA_PRE_LLAMA3, 1, 1},
    {"midm-2.0", IA_PRE_LLAMA3, 1, 1},     {"lfm2", IA_PRE_LLAMA3, 1, 1},
    {"jina-v5-nano", IA_PRE_LLAMA3, 1, 1},
    /* llama3's regex without those options */
    {"dbrx", IA_PRE_LLAMA3, 0, 0},         {"smaug-bpe", IA_PRE_LLAMA3, 0, 0},
    {"chatglm-bpe", IA_PRE_LLAMA3, 0, 0},  {"glm4", IA_PRE_LLAMA3, 1, 0},
    {"glm5", IA_PRE_LLAMA3, 1, 0},
    /* qwen2's */
    {"qwen2", IA_PRE_QWEN2, 0, 0},         {"deepseek-r1-qwen", IA_PRE_QWEN2, 0, 0},
    {"kormo", IA_PRE_QWEN2, 0, 0},         {"f2llmv2", IA_PRE_QWEN2, 0, 0},
    {"stablelm2", IA_PRE_QWEN2, 0, 0},     {"megrez", IA_PRE_QWEN2, 0, 0},
    {"hunyuan", IA_PRE_QWEN2, 0, 0},       {"solar-open", IA_PRE_QWEN2, 0, 0},
    {"grok-2", IA_PRE_QWEN2, 0, 0},
    /* bailingmoe's regex is qwen2's written differently ('(?:[sSdDmMtT]|...),
     * \s*[\r\n] for \s*[\r\n]+: the same matches) */
    {"bailingmoe", IA_PRE_QWEN2, 0, 0},    {"bailingmoe2", IA_PRE_QWEN2, 0, 0},
    {"llada-moe", IA_PRE_QWEN2, 0, 0},
    {"qwen35", IA_PRE_QWEN35, 0, 0},       {"seed-coder", IA_PRE_SEED_CODER, 0, 0},
    {"ufakzeka", IA_PRE_UFAKZEKA, 0, 0},
    {"gpt-4o", IA_PRE_GPT4O, 0, 0},        {"llama4", IA_PRE_GPT4O, 0, 0},
    {"kanana2", IA_PRE_GPT4O, 0, 0},       {"talkie", IA_PRE_GPT4O, 0, 0},
    {"minimax-m2", IA_PRE_GPT4O, 0, 0},    {"tekken", IA_PRE_TEKKEN, 1, 1},
    {"gemma4", IA_PRE_GEMMA4, 0, 0},       {"granite-embed-multi-311m", IA_PRE_GEMMA4, 0, 0},
    {"deepseek-v3", IA_PRE_DEEPSEEK3, 0, 0}, {"hunyuan-dense", IA_PRE_DEEPSEEK3, 0, 0},
    {"hy_v4", IA_PRE_DEEPSEEK3, 0, 0},     {"joyai-llm", IA_PRE_DEEPSEEK3, 0, 0},
    {"bloom", IA_PRE_BLOOM, 0, 0},         {"poro-chat", IA_PRE_BLOOM, 0, 0},
    {"gpt3-finnish", IA_PRE_BLOOM, 0, 0},  {"viking", IA_PRE_VIKING, 0, 0},
    /* "\p{N}" then GPT-2's */
    {"starcoder", IA_PRE_STARCODER, 0, 0}, {"refact", IA_PRE_STARCODER, 0, 0},
    {"command-r", IA_PRE_STARCODER, 0, 0}, {"smollm", IA_PRE_STARCODER, 0, 0},
    {"codeshell", IA_PRE_STARCODER, 0, 0}, {"exaone", IA_PRE_STARCODER, 0, 0},
    {"minerva-7b", IA_PRE_STARCODER, 0, 0}, {"mellum2", IA_PRE_STARCODER, 0, 0},
    {"falcon", IA_PRE_FALCON, 0, 0},
    {"deepseek-llm", IA_PRE_DEEPSEEK_LLM, 0, 0},
    {"deepseek-coder", IA_PRE_DEEPSEEK_CODER, 0, 0},
    {"default", IA_PRE_DEFAULT, 0, 0},
};

int ia_pre_type_from_name(const char *name, ia_pre_type *type, int *ignore_merges,
                          int *add_bos) {
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *type = names[i].type;
            *ignore_merges = names[i].ignore_merges;
            *add_bos = names[i].add_bos;
            return 1;
        }
    }
    return 0;
}

size_t ia_pre_type_count(void) { return sizeof names / sizeof names[0]; }

const char *ia_pre_type_name_at(size_t i) {
    return i < sizeof names / sizeof names[0] ? names[i].name : NULL;
}

/* ---------------------------------------------------------------- lengths */

void ia_lens_free(ia_lens *l) {
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static ia_status push(ia_lens *l, size_t len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof *l->v) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        size_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = len;
    return IA_OK;
}

/* ----------------------------------------------------- hand-written passes */

#define OOR 0xFFFFFFFFu /* "no code point here" (past the piece) */

/* One piece s[ini..end) being split; tokens are added by their end. */
typedef struct span {
    const uint32_t *s;
    size_t ini, end, prev;
    ia_lens *out;
    ia_status st;
} span;

static uint32_t cp_at(const span *p, size_t pos) { return pos < p->end ? p->s[pos] : OOR; }
static int in(const span *p, size_t pos) { return pos < p->end; }
static int letter(const span *p, size_t pos) {
    return in(p, pos) && ia_uc_cat(p->s[pos]) == IA_CAT_LETTER;
}
static int number(const span *p, size_t pos) {
    return in(p, pos) && ia_uc_cat(p->s[pos]) == IA_CAT_NUMBER;
}
static int space(const span *p, size_t pos) { return in(p, pos) && ia_uc_is_space(p->s[pos]); }
/* [^\s\p{L}\p{N}] within the piece */
static int other(const span *p, size_t pos) {
    return in(p, pos) && !space(p, pos) && !letter(p, pos) && !number(p, pos);
}

/* Ends the current token at `end`; returns its length (0 adds nothing). */
static size_t add(span *p, size_t end) {
    size_t len = end - p->prev;
    if (len > 0 && p->st == IA_OK) p->st = push(p->out, len);
    p->prev = end;
    return len;
}

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 's 't 're 've 'm 'll 'd at pos (case-folded when fold): the length, or 0. */
static size_t contraction(const span *p, size_t pos, int fold) {
    if (cp_at(p, pos) != '\'' || pos + 1 >= p->end) return 0;
    uint32_t a = cp_at(p, pos + 1), b;
    if (fold) a = ascii_lower(a);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (pos + 2 >= p->end) return 0;
    b = cp_at(p, pos + 2);
    if (fold) b = ascii_lower(b);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static void split_gpt2(span *p) {
    for (size_t pos = p->ini; pos < p->end;) {
        uint32_t c = p->s[pos];
        size_t k = contraction(p, pos, 0);
        if (k) {
            pos += add(p, pos + k);
            continue;
        }
        size_t p2 = c == ' ' ? pos + 1 : pos;
        if (letter(p, p2)) {
            for (pos = p2; letter(p, pos); pos++) {}
            add(p, pos);
            continue;
        }
        if (number(p, p2)) {
            for (pos = p2; number(p, pos); pos++) {}
            add(p, pos);
            continue;
        }
        if (other(p, p2)) {
            for (pos = p2; other(p, pos); pos++) {}
            add(p, pos);
            continue;
        }
        size_t nws = 0;
        while (space(p, pos + nws)) nws++;
        if (nws > 1 && in(p, pos + nws)) { /* \s+(?!\S): leave one for the next token */
            pos += nws - 1;
            add(p, pos);
            continue;
        }
        if (nws > 0) {
            pos += nws;
            add(p, pos);
            continue;
        }
        add(p, ++pos);
    }
}

/* The llama3 family of patterns, one routine with switches:
 *   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *           ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *   qwen2: \p{N} for \p{N}{1,3}; qwen35: also [\p{L}\p{M}]+ for \p{L}+ (and
 *   \p{M} out of the punctuation class); seed-coder: no [\r\n]* after
 *   punctuation; ufakzeka: no contractions. */
typedef struct l3cfg {
    size_t max_digits;
    int contractions, marks, rn_tail;
} l3cfg;

/* \p{L}, or [\p{L}\p{M}] with marks */
static int word(const span *p, size_t pos, int marks) {
    if (!in(p, pos)) return 0;
    ia_cat c = ia_uc_cat(p->s[pos]);
    return c == IA_CAT_LETTER || (marks && c == IA_CAT_MARK);
}

static void split_llama3(span *p, const l3cfg *cfg) {
    for (size_t pos = p->ini; pos < p->end;) {
        uint32_t c = p->s[pos];
        size_t k = cfg->contractions ? contraction(p, pos, 1) : 0;
        if (k) {
            pos += add(p, pos + k);
            continue;
        }
        if (!(c == '\r' || c == '\n' || number(p, pos))) {
            if (word(p, pos, cfg->marks) || word(p, pos + 1, cfg->marks)) {
                for (pos++; word(p, pos, cfg->marks); pos++) {}
                add(p, pos);
                continue;
            }
        }
        if (number(p, pos)) {
            size_t ini = pos;
            while (number(p, pos)) {
                if (++pos - ini >= cfg->max_digits) {
                    add(p, pos);
                    ini = pos;
                }
            }
            add(p, pos);
            continue;
        }
        size_t p2 = c == ' ' ? pos + 1 : pos;
        if (!space(p, p2) && !word(p, p2, cfg->marks) && !number(p, p2)) {
            for (pos = p2; in(p, pos) && !space(p, pos) && !word(p, pos, cfg->marks) && !number(p, pos);
                 pos++) {}
            if (cfg->rn_tail)
                while (cp_at(p, pos) == '\r' || cp_at(p, pos) == '\n') pos++;
            add(p, pos);
            continue;
        }
        size_t nws = 0, last_rn = 0;
        while (space(p, pos + nws)) {
            uint32_t c2 = p->s[pos + nws];
            if (c2 == '\r' || c2 == '\n') last_rn = pos + nws + 1;
            nws++;
        }
        if (last_rn > 0) { /* \s*[\r\n]+ */
            pos = last_rn;
            add(p, pos);
            continue;
        }
        if (nws > 1 && in(p, pos + nws)) {
            pos += nws - 1;
            add(p, pos);
            continue;
        }
        if (nws > 0) {
            pos += nws;
            add(p, pos);
            continue;
        }
        add(p, ++pos);
    }
}

/* The gpt-4o / tekken patterns, as llama.cpp writes them for std::regex:
 *   [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+C?|
 *   [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*C?|
 *   \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * with C the contractions (tekken: none, and \p{N}). "Upper" is a letter
 * that is not a-z, "lower" a letter that is not A-Z: only ASCII has case
 * here (llama.cpp's std::regex sees every other letter as one symbol), so
 * a non-ASCII letter is both. The two word alternatives are resolved as
 * the backtracking engine would: the first takes the longest run of
 * uppers, then backs off to the last position where a lower can start. */
static int upper(const span *p, size_t pos) {
    return letter(p, pos) && !(p->s[pos] >= 'a' && p->s[pos] <= 'z');
}
static int lower(const span *p, size_t pos) {
    return letter(p, pos) && !(p->s[pos] >= 'A' && p->s[pos] <= 'Z');
}
static int pre_char(const span *p, size_t pos) { /* [^\r\n\p{L}\p{N}] */
    return in(p, pos) && p->s[pos] != '\r' && p->s[pos] != '\n' && !letter(p, pos) && !number(p, pos);
}

/* The end of a word match at pos (either alternative), or 0. */
static size_t case_word(const span *p, size_t pos, int contractions) {
    size_t q = pos + (pre_char(p, pos) ? 1 : 0), m = q, e = 0;
    while (upper(p, m)) m++;
    for (size_t k = m;; k--) { /* upper* lower+ */
        if (lower(p, k)) {
            for (e = k; lower(p, e); e++) {}
            break;
        }
        if (k == q) break;
    }
    if (!e && m > q) /* upper+ lower* */
        for (e = m; lower(p, e); e++) {}
    if (!e) return 0;
    return e + (contractions ? contraction(p, e, 1) : 0); /* '[sS] ...: ASCII case folded */
}

static void split_case(span *p, size_t max_digits, int contractions) {
    for (size_t pos = p->ini; pos < p->end;) {
        size_t e = case_word(p, pos, contractions);
        if (e) {
            pos = e;
            add(p, pos);
            continue;
        }
        if (number(p, pos)) {
            for (e = pos; number(p, e) && e - pos < max_digits; e++) {}
            pos = e;
            add(p, pos);
            continue;
        }
        size_t p2 = p->s[pos] == ' ' ? pos + 1 : pos;
        if (other(p, p2)) {
            for (pos = p2; other(p, pos); pos++) {}
            while (cp_at(p, pos) == '\r' || cp_at(p, pos) == '\n' || cp_at(p, pos) == '/') pos++;
            add(p, pos);
            continue;
        }
        size_t nws = 0, last_rn = 0;
        while (space(p, pos + nws)) {
            uint32_t c2 = p->s[pos + nws];
            if (c2 == '\r' || c2 == '\n') last_rn = pos + nws + 1;
            nws++;
        }
        if (last_rn > 0) {
            pos = last_rn;
        } else if (nws > 1 && in(p, pos + nws)) {
            pos += nws - 1;
        } else if (nws > 0) {
            pos += nws;
        } else {
            pos++; /* cannot happen: every code point matches one alternative */
        }
        add(p, pos);
    }
}

/* gemma4: [^\n]+|[\n]+ (llama.cpp's unicode_regex_split_custom_newlines) */
static void split_newlines(span *p) {
    for (size_t pos = p->ini; pos < p->end;) {
        int nl = p->s[pos] == '\n';
        while (pos < p->end && (p->s[pos] == '\n') == nl) pos++;
        add(p, pos);
    }
}

/* deepseek-v3's third regex (after \p{N}{1,3} and the CJK/kana runs):
 *   [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|
 *   [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|
 *   \s*[\r\n]+|\s+(?!\S)|\s+
 * Unlike the other hand-written splitters, code points no alternative
 * matches (digits left by the first regex, format characters) are not
 * tokens of their own: as with std::regex, they join the text between
 * matches. */
static int ascii_alpha(const span *p, size_t pos) {
    return in(p, pos) && ((p->s[pos] | 0x20) >= 'a' && (p->s[pos] | 0x20) <= 'z');
}
static int ascii_punct(const span *p, size_t pos) {
    uint32_t c = in(p, pos) ? p->s[pos] : 0;
    return c > 0x20 && c < 0x7F && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9');
}
static int letter_mark(const span *p, size_t pos) {
    if (!in(p, pos)) return 0;
    ia_cat c = ia_uc_cat(p->s[pos]);
    return c == IA_CAT_LETTER || c == IA_CAT_MARK;
}
static int punct_symbol(const span *p, size_t pos) {
    if (!in(p, pos)) return 0;
    ia_cat c = ia_uc_cat(p->s[pos]);
    return c == IA_CAT_PUNCT || c == IA_CAT_SYMBOL;
}

/* The end of the match starting at pos, or pos when none does. */
static size_t ds3_match(const span *p, size_t pos) {
    size_t e;
    if (ascii_punct(p, pos) && ascii_alpha(p, pos + 1)) {
        for (e = pos + 1; ascii_alpha(p, e); e++) {}
        return e;
    }
    uint32_t c = p->s[pos];
    int pre = c != '\r' && c != '\n' && !letter(p, pos) && !punct_symbol(p, pos);
    if ((pre && letter_mark(p, pos + 1)) || letter_mark(p, pos)) {
        for (e = pos + 1; letter_mark(p, e); e++) {}
        return e;
    }
    size_t p2 = c == ' ' && punct_symbol(p, pos + 1) ? pos + 1 : pos;
    if (punct_symbol(p, p2)) {
        for (e = p2; punct_symbol(p, e); e++) {}
        while (cp_at(p, e) == '\r' || cp_at(p, e) == '\n') e++;
        return e;
    }
    size_t nws = 0, last_rn = 0;
    while (space(p, pos + nws)) {
        if (p->s[pos + nws] == '\r' || p->s[pos + nws] == '\n') last_rn = pos + nws + 1;
        nws++;
    }
    if (last_rn) return last_rn;
    if (nws > 1 && in(p, pos + nws)) return pos + nws - 1;
    return pos + nws;
}

static void split_ds3(span *p) {
    size_t pos = p->ini;
    while (pos < p->end) {
        size_t e = ds3_match(p, pos);
        if (e == pos) { /* no match here: part of the gap */
            pos++;
            continue;
        }
        add(p, pos); /* the gap before the match, if any */
        add(p, e);
        pos = e;
    }
    add(p, p->end);
}

/* ------------------------------------------------- single-class patterns */

typedef struct range { uint32_t lo, hi; } range;

static int in_ranges(const range *r, size_t n, uint32_t c) {
    for (size_t i = 0; i < n; i++)
        if (c >= r[i].lo && c <= r[i].hi) return 1;
    return 0;
}

static int c_rn(uint32_t c) { return c == '\r' || c == '\n'; }
static int c_letter(uint32_t c) { return ia_uc_cat(c) == IA_CAT_LETTER; }
static int c_punct(uint32_t c) { return ia_uc_cat(c) == IA_CAT_PUNCT; }
static int c_number(uint32_t c) { return ia_uc_cat(c) == IA_CAT_NUMBER; }
static int c_digit(uint32_t c) { return c >= '0' && c <= '9'; }

/* falcon: [\p{P}\$\+<=>\^~\|`] */
static int c_falcon_punct(uint32_t c) {
    return c_punct(c) || (c < 128 && c && strchr("$+<=>^~|`", (int)c) != NULL);
}

/* default: [\p{P}\$\+<=>\^~\|] (falcon's without the backtick) */
static int c_default_punct(uint32_t c) {
    return c_punct(c) || (c < 128 && c && strchr("$+<=>^~|", (int)c) != NULL);
}

/* deepseek: [一-龥ࠀ-一가-퟿] (a wregex: White_Space never matches). */
static int c_cjk(uint32_t c) {
    static const range r[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};
    return !ia_uc_is_space(c) && in_ranges(r, sizeof r / sizeof r[0], c);
}

/* deepseek-llm's letter class, transcribed from the regex literal of
 * llama-vocab.cpp ([A-Za-zµÀ-ÖØ-öø-ƺ...𞤀-𞥃]). */
static int c_ds_latin(uint32_t c) {
    static const range r[] = {
        {0x41,0x5A},{0x61,0x7A},{0xB5,0xB5},{0xC0,0xD6},{0xD8,0xF6},{0xF8,0x1BA},{0x1BC,0x1BF},
        {0x1C4,0x293},{0x295,0x2AF},{0x370,0x373},{0x376,0x377},{0x37B,0x37D},{0x37F,0x37F},
        {0x386,0x386},{0x388,0x38A},{0x38C,0x38C},{0x38E,0x3A1},{0x3A3,0x3F5},{0x3F7,0x481},
        {0x48A,0x52F},{0x531,0x556},{0x10A0,0x10C5},{0x13A0,0x13F5},{0x13F8,0x13FD},
        {0x1C90,0x1CBA},{0x1CBD,0x1CBF},{0x1D00,0x1D2B},{0x1D6B,0x1D77},{0x1D79,0x1D9A},
        {0x1E00,0x1F15},{0x1F18,0x1F1D},{0x1F20,0x1F45},{0x1F48,0x1F4D},{0x1F50,0x1F57},
        {0x1F59,0x1F59},{0x1F5B,0x1F5B},{0x1F5D,0x1F5D},{0x1F5F,0x1F7D},{0x1F80,0x1FB4},
        {0x1FB6,0x1FBC},{0x1FBE,0x1FBE},{0x1FC2,0x1FC4},{0x1FC6,0x1FCC},{0x1FD0,0x1FD3},
        {0x1FD6,0x1FDB},{0x1FE0,0x1FEC},{0x1FF2,0x1FF4},{0x1FF6,0x1FFC},{0x2102,0x2102},
        {0x2107,0x2107},{0x210A,0x2113},{0x2115,0x2115},{0x2119,0x211D},{0x2124,0x2124},
        {0x2126,0x2126},{0x2128,0x2128},{0x212A,0x212D},{0x212F,0x2134},{0x2139,0x2139},
        {0x213C,0x213F},{0x2145,0x2149},{0x214E,0x214E},{0x2183,0x2184},{0x2C00,0x2C7B},
        {0x2C7E,0x2CE4},{0x2CEB,0x2CEE},{0x2CF2,0x2CF3},{0xA640,0xA66D},{0xA680,0xA69B},
        {0xA722,0xA76F},{0xA771,0xA787},{0xA78B,0xA78E},{0xAB70,0xABBF},{0xFB00,0xFB06},
        {0xFB13,0xFB17},{0xFF21,0xFF3A},{0xFF41,0xFF5A},{0x10400,0x1044F},{0x104B0,0x104D3},
        {0x104D8,0x104FB},{0x10C80,0x10CB2},{0x10CC0,0x10CF2},{0x118A0,0x118DF},
        {0x1E900,0x1E943},
    };
    return !ia_uc_is_space(c) && in_ranges(r, sizeof r / sizeof r[0], c);
}

/* deepseek-llm: [!-/:-~！-／：-～‘-‟　-。] */
static int c_ds_punct(uint32_t c) {
    static const range r[] = {{0x21, 0x2F}, {0x3A, 0x7E}, {0xFF01, 0xFF0F},
                              {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002}};
    return !ia_uc_is_space(c) && in_ranges(r, sizeof r / sizeof r[0], c);
}

/* bloom: [^(\s|.,!?…。，、।۔،)] */
static int c_bloom(uint32_t c) {
    static const uint32_t no[] = {'(', '|', '.', ',', '!', '?', 0x2026, 0x3002, 0xFF0C, 0x3001,
                                  0x0964, 0x06D4, 0x060C, ')'};
    if (ia_uc_is_space(c)) return 0;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (c == no[i]) return 0;
    return 1;
}

/* deepseek-v3: [一-龥぀-ゟ゠-ヿ] (a wregex: White_Space never matches) */
static int c_cjk_kana(uint32_t c) {
    static const range r[] = {{0x4E00, 0x9FA5}, {0x3040, 0x309F}, {0x30A0, 0x30FF}};
    return !ia_uc_is_space(c) && in_ranges(r, sizeof r / sizeof r[0], c);
}

enum { ONE = 1, PLUS = 2, THREE = 3, UPTO3 = 4 };

/* A pattern "\s?C+" (ws_prefix 1), " ?C+" (ws_prefix 2), "C+", "C" or
 * "CCC" of one class C. */
typedef struct pattern {
    int (*cls)(uint32_t);
    int ws_prefix;
    int quant;
} pattern;

/* The end of the leftmost-first match at pos, or pos when none starts there. */
static size_t match_at(const pattern *m, const uint32_t *s, size_t pos, size_t end) {
    size_t q = pos;
    int prefix = m->ws_prefix == 1 ? ia_uc_is_space(s[pos]) : m->ws_prefix == 2 && s[pos] == ' ';
    if (prefix && pos + 1 < end && m->cls(s[pos + 1]))
        q = pos + 1;
    else if (!m->cls(s[pos]))
        return pos;
    switch (m->quant) {
    case ONE: return q + 1;
    case THREE:
        return q + 2 < end && m->cls(s[q + 1]) && m->cls(s[q + 2]) ? q + 3 : pos;
    case UPTO3: /* C{1,3} */
        for (size_t k = 1; k < 3 && q + 1 < end && m->cls(s[q + 1]); k++) q++;
        return q + 1;
    default:
        while (q < end && m->cls(s[q])) q++;
        return q;
    }
}

static ia_status split_pattern(const pattern *m, const uint32_t *s, size_t ini, size_t end,
                               ia_lens *out) {
    size_t prev = ini, pos = ini;
    ia_status st;
    while (pos < end) {
        size_t q = match_at(m, s, pos, end);
        if (q == pos) {
            pos++;
            continue;
        }
        if (pos > prev && (st = push(out, pos - prev)) != IA_OK) return st;
        if ((st = push(out, q - pos)) != IA_OK) return st;
        prev = pos = q;
    }
    return prev < end ? push(out, end - prev) : IA_OK;
}

/* \s+$ : the trailing White_Space of the piece. */
static ia_status split_trailing_space(const uint32_t *s, size_t ini, size_t end, ia_lens *out) {
    size_t q = end;
    ia_status st;
    while (q > ini && ia_uc_is_space(s[q - 1])) q--;
    if (q == end || q == ini) return push(out, end - ini);
    if ((st = push(out, q - ini)) != IA_OK) return st;
    return push(out, end - q);
}

/* ------------------------------------------------------------- the passes */

typedef enum pass_kind {
    P_GPT2, P_LLAMA3, P_PATTERN, P_TRAILING_SPACE, P_GPT4O, P_TEKKEN, P_NEWLINES, P_DS3
} pass_kind;

typedef struct pass {
    pass_kind kind;
    pattern pat; /* P_PATTERN */
    l3cfg l3;    /* P_LLAMA3 */
} pass;

static ia_status run_pass(const pass *ps, const uint32_t *s, const ia_lens *in_l, ia_lens *out) {
    size_t start = 0;
    out->n = 0;
    for (size_t i = 0; i < in_l->n; i++) {
        size_t end = start + in_l->v[i];
        ia_status st = IA_OK;
        span p = {s, start, end, start, out, IA_OK};
        switch (ps->kind) {
        case P_GPT2: split_gpt2(&p); st = p.st; break;
        case P_LLAMA3: split_llama3(&p, &ps->l3); st = p.st; break;
        case P_GPT4O: split_case(&p, 3, 1); st = p.st; break;
        case P_TEKKEN: split_case(&p, 1, 0); st = p.st; break;
        case P_NEWLINES: split_newlines(&p); st = p.st; break;
        case P_DS3: split_ds3(&p); st = p.st; break;
        case P_PATTERN: st = split_pattern(&ps->pat, s, start, end, out); break;
        case P_TRAILING_SPACE: st = split_trailing_space(s, start, end, out); break;
        }
        if (st != IA_OK) return st;
        start = end;
    }
    return IA_OK;
}

#define PAT(cls, prefix, quant) ((pass){P_PATTERN, {cls, prefix, quant}, {0, 0, 0, 0}})
#define L3(cfg) ((pass){P_LLAMA3, {NULL, 0, 0}, cfg})

/* The regex lists of llama_vocab's llm_tokenizer_bpe constructor. */
static size_t passes_of(ia_pre_type type, pass out[6]) {
    static const pass gpt2 = {P_GPT2, {NULL, 0, 0}, {0, 0, 0, 0}};
    /* max_digits, contractions, marks, rn_tail */
    static const l3cfg llama3 = {3, 1, 0, 1}, qwen2 = {1, 1, 0, 1}, qwen35 = {1, 1, 1, 1},
                       seed_coder = {1, 1, 0, 0}, ufakzeka = {1, 0, 0, 1};
    switch (type) {
    case IA_PRE_GPT2: out[0] = gpt2; return 1;
    case IA_PRE_LLAMA3: out[0] = L3(llama3); return 1;
    case IA_PRE_QWEN2: out[0] = L3(qwen2); return 1;
    case IA_PRE_QWEN35: out[0] = L3(qwen35); return 1;
    case IA_PRE_SEED_CODER: out[0] = L3(seed_coder); return 1;
    case IA_PRE_UFAKZEKA: out[0] = L3(ufakzeka); return 1;
    case IA_PRE_GPT4O: out[0] = (pass){P_GPT4O, {NULL, 0, 0}, {0, 0, 0, 0}}; return 1;
    case IA_PRE_TEKKEN: out[0] = (pass){P_TEKKEN, {NULL, 0, 0}, {0, 0, 0, 0}}; return 1;
    case IA_PRE_GEMMA4: out[0] = (pass){P_NEWLINES, {NULL, 0, 0}, {0, 0, 0, 0}}; return 1;
    case IA_PRE_DEEPSEEK3: /* "\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", the rest by hand */
        out[0] = PAT(c_number, 0, UPTO3);
        out[1] = PAT(c_cjk_kana, 0, PLUS);
        out[2] = (pass){P_DS3, {NULL, 0, 0}, {0, 0, 0, 0}};
        return 3;
    case IA_PRE_BLOOM: /* " ?[^(\s|.,!?…。，、।۔،)]+" */
        out[0] = PAT(c_bloom, 2, PLUS);
        return 1;
    case IA_PRE_VIKING: /* bloom's, then "\p{N}" */
        out[0] = PAT(c_bloom, 2, PLUS);
        out[1] = PAT(c_number, 0, ONE);
        return 2;
    case IA_PRE_STARCODER: /* "\p{N}", then GPT-2's */
        out[0] = PAT(c_number, 0, ONE);
        out[1] = gpt2;
        return 2;
    case IA_PRE_FALCON: /* "[\p{P}\$\+<=>\^~\|`]+", GPT-2's, "[0-9][0-9][0-9]" */
        out[0] = PAT(c_falcon_punct, 0, PLUS);
        out[1] = gpt2;
        out[2] = PAT(c_digit, 0, THREE);
        return 3;
    case IA_PRE_DEEPSEEK_CODER: /* "[\r\n]", "\s?\p{L}+", "\s?\p{P}+", CJK+, "\p{N}" */
        out[0] = PAT(c_rn, 0, ONE);
        out[1] = PAT(c_letter, 1, PLUS);
        out[2] = PAT(c_punct, 1, PLUS);
        out[3] = PAT(c_cjk, 0, PLUS);
        out[4] = PAT(c_number, 0, ONE);
        return 5;
    case IA_PRE_DEEPSEEK_LLM: /* "[\r\n]", "\s?[latin]+", "\s?[punct]+", "\s+$", CJK+, "\p{N}+" */
        out[0] = PAT(c_rn, 0, ONE);
        out[1] = PAT(c_ds_latin, 1, PLUS);
        out[2] = PAT(c_ds_punct, 1, PLUS);
        out[3] = (pass){P_TRAILING_SPACE, {NULL, 0, 0}, {0, 0, 0, 0}};
        out[4] = PAT(c_cjk, 0, PLUS);
        out[5] = PAT(c_number, 0, PLUS);
        return 6;
    case IA_PRE_DEFAULT: /* "[\p{P}\$\+<=>\^~\|]+", GPT-2's, "\p{N}+", "[0-9][0-9][0-9]" */
        out[0] = PAT(c_default_punct, 0, PLUS);
        out[1] = gpt2;
        out[2] = PAT(c_number, 0, PLUS);
        out[3] = PAT(c_digit, 0, THREE);
        return 4;
    case IA_PRE_NONE: break;
    }
    return 0;
}

ia_status ia_pretok_split(ia_pre_type type, const uint32_t *s, size_t n, ia_lens *out,
                          ia_lens *scratch) {
    pass ps[6];
    size_t np = passes_of(type, ps);
    ia_status st;
    out->n = 0;
    if (n == 0) return IA_OK;
    if ((st = push(out, n)) != IA_OK) return st;
    for (size_t i = 0; i < np; i++) {
        ia_lens t;
        if ((st = run_pass(&ps[i], s, out, scratch)) != IA_OK) return st;
        t = *out; /* the pass's output becomes the next pass's input */
        *out = *scratch;
        *scratch = t;
    }
    return IA_OK;
}
