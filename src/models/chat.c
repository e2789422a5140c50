/*
 * chat.c — a model's chat template: found at open (the GGUF's
 * tokenizer.chat_template; in a directory chat_template.jinja or
 * tokenizer_config.json's "chat_template", a string or the entry named
 * "default" of a list), parsed once, rendered per call with the
 * tokenizer's BOS and EOS texts as bos_token and eos_token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/config_keys.h"
#include "models/model.h"
#include "tokenize/chat_template.h"
#include "tokenize/tokenizer.h"
#include "util/error.h"
#include "util/mapped_file.h"

#define TEMPLATE_MAX (4 << 20)

/* tokenizer_config.json's chat_template: a string, or a list of {name,
 * template} of which "default" is the one apply_chat_template uses. */
static char *template_from_config(const char *dir) {
    char path[4200];
    cJSON *cfg = NULL;
    const cJSON *t;
    char *src = NULL;
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (ia_json_load(path, 0, &cfg) != IA_OK) {
        ia_error_clear();
        return NULL;
    }
    t = cJSON_GetObjectItemCaseSensitive(cfg, "chat_template");
    if (cJSON_IsString(t)) {
        src = strdup(t->valuestring);
    } else if (cJSON_IsArray(t)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, t) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
            const cJSON *body = cJSON_GetObjectItemCaseSensitive(e, "template");
            if (cJSON_IsString(name) && strcmp(name->valuestring, "default") == 0 && cJSON_IsString(body))
                src = strdup(body->valuestring);
        }
    }
    cJSON_Delete(cfg);
    return src;
}

ia_status ia_model_load_chat_template(ia_model *m) {
    char *src = NULL;
    ia_status st;
    if (m->wref && m->wref->gguf) {
        const char *t;
        if ((st = ia_gguf_get_str(m->wref->gguf, "tokenizer.chat_template", &t)) == IA_OK && !(src = strdup(t)))
            return ia_error(IA_ERR_NOMEM, "chat template");
        if (st != IA_OK) ia_error_clear();
    }
    if (!src) {
        struct stat sb;
        char path[4200];
        snprintf(path, sizeof path, "%s/chat_template.jinja", m->dir);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if ((st = ia_read_text_file(path, TEMPLATE_MAX, &src, NULL)) != IA_OK) return st;
        } else {
            src = template_from_config(m->dir);
        }
    }
    if (!src) return IA_OK; /* no template: apply_chat_template says so */
    /* A template outside the subset we render must not keep the model from
     * opening: the error is kept and given to whoever asks for a render. */
    if ((st = ia_chat_template_parse(src, &m->chat_template)) != IA_OK) {
        snprintf(m->chat_template_error, sizeof m->chat_template_error, "%s", ia_last_error());
        m->chat_template_status = st;
        ia_error_clear();
    }
    free(src);
    return IA_OK;
}

static const char *token_text(const ia_tokenizer *tok, int32_t id) {
    return tok && id >= 0 ? ia_tokenizer_token_text(tok, id) : NULL;
}

ia_status ia_model_apply_chat_template(ia_model *m, const ia_chat_message *msgs, size_t n, int add_generation_prompt,
                                       char **out) {
    if (!m || !out || (!msgs && n)) return ia_error(IA_ERR_INVALID_ARG, "apply_chat_template: NULL argument");
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].role || !msgs[i].content)
            return ia_error(IA_ERR_INVALID_ARG, "apply_chat_template: message %zu has no %s", i,
                            msgs[i].role ? "content" : "role");
    if (m->chat_template_status != IA_OK)
        return ia_error(m->chat_template_status, "%s: its chat template cannot be rendered: %s", m->name,
                        m->chat_template_error);
    if (!m->chat_template) return ia_error(IA_ERR_UNSUPPORTED, "%s has no chat template", m->name);
    return ia_chat_template_render(m->chat_template, msgs, n, add_generation_prompt,
                                   token_text(m->tok, ia_tokenizer_bos_id(m->tok)),
                                   token_text(m->tok, ia_tokenizer_eos_id(m->tok)), out);
}
