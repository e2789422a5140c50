/*
 * chat_template.h — renders a model's tokenizer.chat_template (a Jinja2
 * template) the way transformers' apply_chat_template(tokenize=False) does.
 *
 * A small interpreter for the subset of Jinja2 that real chat templates use,
 * with transformers' environment: trim_blocks and lstrip_blocks on, default
 * (lenient) Undefined, the loopcontrols extension, the globals
 * raise_exception / strftime_now / namespace / dict / range and transformers'
 * tojson (no HTML escaping, ensure_ascii=False). Constructs outside the subset
 * are refused at parse time with IA_ERR_UNSUPPORTED naming them, never
 * rendered differently. docs/chat_templates.md lists the subset.
 *
 * Files: chat_template_lex.c (source -> tokens, whitespace control),
 * chat_template_parse_expr.c and chat_template_parse.c (tokens -> tree:
 * expressions, statements), chat_template_value.c (values, str(), tojson,
 * equality), chat_template_eval.c (expressions), chat_template_render.c
 * (statements, entry points), chat_template_builtins.c (filters, tests,
 * globals), chat_template_strings.c (str and dict methods).
 */
#ifndef IA_TOKENIZE_CHAT_TEMPLATE_H
#define IA_TOKENIZE_CHAT_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

/* ia_chat_message (role, content) is the public header's; a NULL role or
 * content is a message without that key. */

typedef struct ia_chat_template ia_chat_template;

/* Parses template source (UTF-8, NUL-terminated). On success *out is a new
 * template (caller frees with ia_chat_template_free()). Errors:
 * IA_ERR_FORMAT with "line:column: expected ..., got ..." for syntax errors;
 * IA_ERR_UNSUPPORTED naming the construct for Jinja features outside the
 * subset; IA_ERR_INVALID_ARG for NULL arguments or a source over 16 MiB;
 * IA_ERR_NOMEM. *out is NULL on failure. The parsed template is immutable:
 * rendering it from several threads at once is safe. */
ia_status ia_chat_template_parse(const char *source, ia_chat_template **out);

/* Renders messages like transformers'
 * apply_chat_template(messages, tokenize=False, add_generation_prompt=...):
 * the template sees messages (a list of {role, content} dicts),
 * add_generation_prompt, bos_token and eos_token (NULL = undefined), tools
 * and documents (none, as transformers passes them without tools), plus
 * raise_exception(msg), strftime_now(fmt), namespace(), dict(), range().
 * *out is malloc'd and NUL-terminated (caller frees with free()).
 * Errors: IA_ERR_INVALID_ARG with the template's message when it calls
 * raise_exception(), and with the reason for errors Jinja raises at render
 * time (an undefined value's attribute, adding a string to a number, ...)
 * or when the render passes its limits (64 MiB of output, 10^7 steps);
 * IA_ERR_UNSUPPORTED for a method outside the subset reached at render
 * time; IA_ERR_NOMEM. *out is NULL on failure. */
ia_status ia_chat_template_render(const ia_chat_template *t, const ia_chat_message *msgs, size_t n,
                                  int add_generation_prompt, const char *bos_token, const char *eos_token,
                                  char **out);

/* Pins what strftime_now() sees to unix_seconds, shown as UTC (tests and
 * reproducible prompts); 0 restores the default, the local time at render as
 * Python's datetime.now(). Not thread-safe against a concurrent render of t. */
void ia_chat_template_set_clock(ia_chat_template *t, int64_t unix_seconds);

/* NULL-safe. */
void ia_chat_template_free(ia_chat_template *t);

#endif
