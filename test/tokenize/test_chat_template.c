/*
 * test_chat_template.c — chat templates render byte-identical to
 * transformers' apply_chat_template (fixture test/fixtures/
 * chat_template_reference.json from scripts/make_chat_template_reference.py:
 * real templates x conversations x add_generation_prompt, with the error
 * where transformers raised), syntax errors name line:column, and hostile
 * templates (unclosed blocks, bad tokens, deep nesting, 1 MB) fail cleanly.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "tokenize/chat_template.h"

/* Templates of the fixture this interpreter refuses, with the reason; each
 * must fail to parse with IA_ERR_UNSUPPORTED (none at present). */
static const struct {
    const char *name, *why;
} REFUSED[] = {{NULL, NULL}};

static int refused(const char *name) {
    for (int i = 0; REFUSED[i].name; i++)
        if (!strcmp(REFUSED[i].name, name)) return 1;
    return 0;
}

static const char *str_or_null(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Shows where two renders part: offset and a few bytes of each. */
static void show_diff(const char *name, int conv, int agp, const char *got, const char *want) {
    size_t i = 0;
    while (got[i] && got[i] == want[i]) i++;
    fprintf(stderr, "  %s conv %d agp %d: differs at byte %zu\n    got:  %.60s\n    want: %.60s\n", name, conv, agp, i,
            got + (i > 20 ? i - 20 : 0), want + (i > 20 ? i - 20 : 0));
}

IA_TEST(chat_template_matches_transformers) {
    size_t len;
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/chat_template_reference.json"), &len);
    REQUIRE(text);
    cJSON *doc = cJSON_ParseWithLength(text, len);
    free(text);
    REQUIRE(doc);
    const cJSON *templates = cJSON_GetObjectItem(doc, "templates"), *convs = cJSON_GetObjectItem(doc, "conversations"),
                *cases = cJSON_GetObjectItem(doc, "cases"), *outputs = cJSON_GetObjectItem(doc, "outputs"),
                *errs = cJSON_GetObjectItem(doc, "errors");
    REQUIRE(cJSON_IsArray(templates) && cJSON_IsArray(convs) && cJSON_IsArray(cases) && cJSON_IsArray(outputs) &&
            cJSON_IsArray(errs));
    int nt = cJSON_GetArraySize(templates), nc = cJSON_GetArraySize(convs);
    ia_chat_template **parsed = calloc((size_t)nt, sizeof *parsed);
    REQUIRE(parsed);
    int n_refused = 0, pass = 0, total = 0, errors_matched = 0;
    for (int i = 0; i < nt; i++) {
        const cJSON *t = cJSON_GetArrayItem(templates, i);
        const char *name = str_or_null(t, "name");
        ia_status st = ia_chat_template_parse(str_or_null(t, "source"), &parsed[i]);
        if (refused(name)) {
            CHECK_MSG(st == IA_ERR_UNSUPPORTED, "%s: listed as refused but parse gave %d", name, (int)st);
            n_refused++;
        } else {
            CHECK_MSG(st == IA_OK, "%s: parse failed: %s", name, ia_last_error());
        }
        ia_chat_template_set_clock(parsed[i], 1785067200); /* 2026-07-26 12:00:00 UTC, the fixture's "now" */
    }
    /* messages per conversation */
    ia_chat_message **msgs = calloc((size_t)nc, sizeof *msgs);
    size_t *nmsg = calloc((size_t)nc, sizeof *nmsg);
    REQUIRE(msgs && nmsg);
    for (int c = 0; c < nc; c++) {
        const cJSON *m = cJSON_GetObjectItem(cJSON_GetArrayItem(convs, c), "messages");
        nmsg[c] = (size_t)cJSON_GetArraySize(m);
        msgs[c] = calloc(nmsg[c] + 1, sizeof **msgs);
        REQUIRE(msgs[c]);
        for (size_t k = 0; k < nmsg[c]; k++) {
            msgs[c][k].role = str_or_null(cJSON_GetArrayItem(m, (int)k), "role");
            msgs[c][k].content = str_or_null(cJSON_GetArrayItem(m, (int)k), "content");
        }
    }
    const cJSON *cs;
    cJSON_ArrayForEach(cs, cases) {
        /* {"t": template, "c": conversation, "g": add_generation_prompt, "o": output | "e": error} */
        int ti = cJSON_GetObjectItem(cs, "t")->valueint, ci = cJSON_GetObjectItem(cs, "c")->valueint;
        int agp = cJSON_GetObjectItem(cs, "g")->valueint;
        const cJSON *o = cJSON_GetObjectItem(cs, "o"), *e = cJSON_GetObjectItem(cs, "e");
        const cJSON *t = cJSON_GetArrayItem(templates, ti);
        const char *name = str_or_null(t, "name");
        if (!parsed[ti]) continue;
        char *out = NULL;
        total++;
        ia_status st = ia_chat_template_render(parsed[ti], msgs[ci], nmsg[ci], agp, str_or_null(t, "bos_token"),
                                               str_or_null(t, "eos_token"), &out);
        const char *want = o ? cJSON_GetArrayItem(outputs, o->valueint)->valuestring : NULL;
        const cJSON *err = e ? cJSON_GetArrayItem(errs, e->valueint) : NULL;
        if (want) {
            if (st != IA_OK) CHECK_MSG(0, "%s conv %d agp %d: %s", name, ci, agp, ia_last_error());
            else if (strcmp(out, want) != 0) { show_diff(name, ci, agp, out, want); *ia_failed_ = 1; }
            else pass++;
        } else {
            const char *type = str_or_null(err, "type"), *msg = str_or_null(err, "message");
            int ok = st != IA_OK && out == NULL;
            /* raise_exception() carries the template's message; Jinja's own
             * render-time errors (UndefinedError, TypeError, ...) are
             * IA_ERR_INVALID_ARG too, with our wording */
            if (ok && type && !strcmp(type, "raise_exception"))
                ok = st == IA_ERR_INVALID_ARG && msg && strstr(ia_last_error(), msg) != NULL;
            else if (ok)
                ok = st == IA_ERR_INVALID_ARG;
            CHECK_MSG(ok, "%s conv %d agp %d: want error %s (%s), got %d: %s", name, ci, agp, type, msg, (int)st,
                      st ? ia_last_error() : out);
            pass += ok;
            errors_matched += ok;
        }
        free(out);
    }
    fprintf(stderr, "  chat templates: %d/%d template x case checks pass (%d expected errors), %d of %d templates refused\n",
            pass, total, errors_matched, n_refused, nt);
    CHECK(total >= 600);
    for (int c = 0; c < nc; c++) free(msgs[c]);
    free(msgs);
    free(nmsg);
    for (int i = 0; i < nt; i++) ia_chat_template_free(parsed[i]);
    free(parsed);
    cJSON_Delete(doc);
}

/* renders src with one user message "hi"; returns malloc'd output or NULL */
static char *render1(const char *src, ia_status *st) {
    ia_chat_template *t = NULL;
    ia_chat_message m = {"user", "hi"};
    char *out = NULL;
    *st = ia_chat_template_parse(src, &t);
    if (*st == IA_OK) *st = ia_chat_template_render(t, &m, 1, 1, "<s>", NULL, &out);
    ia_chat_template_free(t);
    return out;
}

/* The fixture's snippets: small templates on the corners of the subset,
 * each rendered by transformers with one user message "hi", bos "<s>". */
IA_TEST(chat_template_snippets_match_transformers) {
    size_t len;
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/chat_template_reference.json"), &len);
    REQUIRE(text);
    cJSON *doc = cJSON_ParseWithLength(text, len);
    free(text);
    REQUIRE(doc);
    const cJSON *snippets = cJSON_GetObjectItem(doc, "snippets"), *sn;
    REQUIRE(cJSON_IsArray(snippets));
    int pass = 0, total = 0;
    cJSON_ArrayForEach(sn, snippets) {
        const char *src = str_or_null(sn, "source"), *want = str_or_null(sn, "expected");
        const cJSON *err = cJSON_GetObjectItem(sn, "error");
        const char *type = str_or_null(err, "type"), *msg = str_or_null(err, "message");
        ia_chat_template *t = NULL;
        ia_chat_message m = {"user", "hi"};
        char *out = NULL;
        ia_status st = ia_chat_template_parse(src, &t);
        total++;
        if (st == IA_OK) {
            ia_chat_template_set_clock(t, 1785067200);
            st = ia_chat_template_render(t, &m, 1, 1, "<s>", NULL, &out);
        }
        if (want) {
            CHECK_MSG(st == IA_OK && !strcmp(out, want), "snippet [%s]: got [%s] (%s), want [%s]", src,
                      out ? out : "(null)", st ? ia_last_error() : "ok", want);
            pass += st == IA_OK && !strcmp(out, want);
        } else {
            int ok = st != IA_OK && !out;
            if (ok && !strcmp(type, "raise_exception")) ok = st == IA_ERR_INVALID_ARG && strstr(ia_last_error(), msg);
            /* Jinja's syntax errors are IA_ERR_FORMAT, its render-time errors IA_ERR_INVALID_ARG */
            else if (ok && !strcmp(type, "TemplateSyntaxError")) ok = st == IA_ERR_FORMAT;
            else if (ok) ok = st == IA_ERR_INVALID_ARG;
            CHECK_MSG(ok, "snippet [%s]: want %s (%s), got %d [%s]", src, type, msg, (int)st, st ? ia_last_error() : out);
            pass += ok;
        }
        free(out);
        ia_chat_template_free(t);
    }
    fprintf(stderr, "  chat template snippets: %d/%d match\n", pass, total);
    cJSON_Delete(doc);
}

IA_TEST(chat_template_errors) {
    ia_status st;
    char *out;
    /* raise_exception gives IA_ERR_INVALID_ARG with the message */
    out = render1("{{ raise_exception('Bad role: ' + messages[0].role) }}", &st);
    CHECK(st == IA_ERR_INVALID_ARG && out == NULL);
    CHECK_MSG(strstr(ia_last_error(), "Bad role: user") != NULL, "%s", ia_last_error());
    /* errors Jinja raises at render time */
    out = render1("{{ nope.attr }}", &st);
    CHECK(st == IA_ERR_INVALID_ARG && !out);
    out = render1("{{ 'a' + 1 }}", &st);
    CHECK(st == IA_ERR_INVALID_ARG && !out);
}

IA_TEST(chat_template_syntax_errors_name_line_and_column) {
    static const struct {
        const char *src, *where, *what;
        ia_status st;
    } cases[] = {
        {"{% if x %}\nunclosed", "2:9", "endif", IA_ERR_FORMAT},
        {"a\n  {% for m in messages %}{% if m %}\n{% endfor %}", "3:4", "endfor", IA_ERR_FORMAT},
        {"{{ 'unterminated }}", "1:4", "unterminated string", IA_ERR_FORMAT},
        {"{{ x + }}", "1:8", "expected an expression", IA_ERR_FORMAT},
        {"line1\n{{ x ) }}", "2:6", "unexpected ')'", IA_ERR_FORMAT},
        {"{{ x $ y }}", "1:6", "unexpected character '$'", IA_ERR_FORMAT},
        {"{% endif %}", "1:4", "unexpected 'endif'", IA_ERR_FORMAT},
        {"{# no end", "1:1", "comment", IA_ERR_FORMAT},
        {"{{ x", "1:1", "'}}'", IA_ERR_FORMAT},
        {"{% frobnicate %}", "1:4", "unknown tag 'frobnicate'", IA_ERR_FORMAT},
        {"{% for x in y %}{% endif %}", "1:20", "unexpected 'endif'", IA_ERR_FORMAT},
        {"{% include 'x.jinja' %}", "1:4", "'include'", IA_ERR_UNSUPPORTED},
        {"{% raw %}{{ x }}{% endraw %}", "1:1", "raw", IA_ERR_UNSUPPORTED},
        {"{{ x | wordwrap }}", "1:8", "'wordwrap'", IA_ERR_UNSUPPORTED},
        {"{% for x in y recursive %}{% endfor %}", "1:15", "recursive", IA_ERR_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ia_chat_template *t = (ia_chat_template *)&t; /* must come back NULL */
        ia_status st = ia_chat_template_parse(cases[i].src, &t);
        const char *msg = ia_last_error();
        CHECK_MSG(st == cases[i].st && t == NULL, "case %zu: status %d, want %d", i, (int)st, (int)cases[i].st);
        CHECK_MSG(strstr(msg, cases[i].where) && strstr(msg, cases[i].what), "case %zu: message [%s] lacks %s / %s", i,
                  msg, cases[i].where, cases[i].what);
    }
    ia_chat_template *t = NULL;
    CHECK_STATUS(ia_chat_template_parse(NULL, &t), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_chat_template_render(NULL, NULL, 0, 0, NULL, NULL, NULL), IA_ERR_INVALID_ARG);
    ia_chat_template_free(NULL);
}

IA_TEST(chat_template_hostile_input_fails_cleanly) {
    const size_t big = 1u << 20;
    char *s = malloc(big + 64);
    ia_chat_template *t = NULL;
    ia_status st;
    char *out;
    REQUIRE(s);
    /* deep nesting: brackets, parentheses, not, blocks */
    static const char *const unit[] = {"(", "[", "not ", "-", "{% if x %}", "{% for x in y %}"};
    for (size_t u = 0; u < sizeof unit / sizeof unit[0]; u++) {
        size_t k = 0, ul = strlen(unit[u]);
        k += (size_t)snprintf(s, 8, "{{ ");
        if (u >= 4) k = 0;
        while (k + ul < 200000) {
            memcpy(s + k, unit[u], ul);
            k += ul;
        }
        s[k] = 0;
        st = ia_chat_template_parse(s, &t);
        CHECK_MSG(st != IA_OK && t == NULL, "nesting %s: %d", unit[u], (int)st);
    }
    /* 1 MB of plain text renders as itself; 1 MB of tags parses and renders */
    memset(s, 'a', big);
    s[big] = 0;
    out = render1(s, &st);
    CHECK(st == IA_OK && out && strlen(out) == big);
    free(out);
    size_t k = 0;
    while (k + 16 < big) k += (size_t)sprintf(s + k, "{{ 'x' ~ 1 }}\n");
    s[k] = 0;
    out = render1(s, &st);
    CHECK_MSG(st == IA_OK && out, "%s", ia_last_error());
    free(out);
    /* 1 MB that opens a block and never closes it; of stray bytes; of "{{" */
    k = (size_t)sprintf(s, "{%% for m in messages %%}");
    memset(s + k, 'b', big - k);
    s[big] = 0;
    CHECK_STATUS(ia_chat_template_parse(s, &t), IA_ERR_FORMAT);
    for (size_t i = 0; i < big; i++) s[i] = (char)(1 + (i * 2654435761u >> 13) % 255);
    s[big] = 0;
    st = ia_chat_template_parse(s, &t);
    if (st == IA_OK) {
        ia_chat_template_free(t);
        t = NULL;
    }
    for (size_t i = 0; i + 2 <= big; i += 2) memcpy(s + i, "{{", 2);
    s[big] = 0;
    CHECK(ia_chat_template_parse(s, &t) != IA_OK && t == NULL);
    /* run-away renders stop at the limits */
    out = render1("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", &st);
    CHECK_MSG(st == IA_ERR_INVALID_ARG && !out, "%d %s", (int)st, ia_last_error());
    out = render1("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", &st);
    CHECK(st == IA_ERR_INVALID_ARG && !out);
    out = render1("{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for a in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", &st);
    CHECK(st != IA_OK && !out);
    free(s);
}
