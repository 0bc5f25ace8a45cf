#!/usr/bin/env python3
"""What Hugging Face `tokenizers` (which matches patterns with Oniguruma) makes of regexes, pre-tokenizers and
the Replace / ByteLevel normalizers, for ApusTokenizers' exact-equality tests.

Writes into Tests/Fixtures/tokenizers/pretokenizers/:

  regex-unicode-classes.json  for each class (every two-letter general category, \\p{L} \\p{M} \\p{N} \\p{P}
                              \\p{S} \\p{Z} \\p{C}, \\s \\w \\d \\h, \\p{Alpha}, .), the scalars it matches, as
                              [first, last] code point ranges: a Split pre-tokenizer with the pattern `X+` over one
                              string holding every scalar in order.
                              Also `digits_numeric`: the scalars the Digits pre-tokenizer treats as numeric.
  regex-matches.json          for each pattern in PATTERNS, the non-empty matches (flattened [start0, end0, ...] in
                              scalars; for the GPT-2 and Llama 3 patterns, whose matches tile the text, only the
                              ends) on the texts, or Oniguruma's error; for the nullable patterns Replace(pattern,
                              "<>") output, which shows where the empty matches fall.
  pretokenizers.json,         for each pre-tokenizer configuration in PRE_TOKENIZERS (byte-level ones in the second
  pretokenizers-bytelevel.json file), its tokenizer.json object and pre_tokenize_str's offsets (flattened) on the
                              texts, and its pieces when they are not simply the text at those offsets.
  normalizers.json            for each normalizer in NORMALIZERS, its tokenizer.json object, normalize_str's output
                              and the original offsets of every normalized scalar (one WordLevel [UNK] token per
                              scalar through a full tokenizer), flattened.

And Sources/ApusTokenizers/PreTokenizers/UnicodeScriptTable.swift: the script partition the UnicodeScripts
pre-tokenizer uses (tokenizers' own table, found by probing UnicodeScripts itself: which scalars never cause a split
(its `Script::Any`), which neighbouring scalars share a script, and which runs share one), as code point ranges with
an arbitrary script number. Run `... make_pretokenizer_fixtures.py script_table` to remake only it.

And Sources/ApusTokenizers/Regex/RegexScriptTable.swift: the scalars of each script in SCRIPTS as Oniguruma's
`\\p{Script}` matches them (`... regex_scripts` remakes only it).

Each file lists `extra_texts`; a case keyed "i" is text i of parity-texts.jsonl followed by the extra texts.

Texts: Tests/Fixtures/texts/parity-texts.jsonl, then EXTRA_TEXTS (runs of spaces, newlines and tabs, \\r\\n, numbers
of many lengths, upper-case contractions, ZWJ emoji, combining marks). Option variants use every SUBSET_EVERY-th
parity text plus EXTRA_TEXTS, to keep the files small.

Run with the dev venv (only `tokenizers` is needed):  /work/venv-dev/bin/python scripts/make_pretokenizer_fixtures.py
"""
import json
import pathlib
import sys

import tokenizers
from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordLevel

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizers" / "pretokenizers"
TEXTS = ROOT / "Tests" / "Fixtures" / "texts" / "parity-texts.jsonl"
SUBSET_EVERY = 5

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
          r"\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
         r"\s+(?!\S)|\s+")
# OpenAI o200k (GPT-4o) as Hugging Face conversions write it: not a fast path, a general-engine workout.
O200K = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# DeepSeek V3's three Splits (the third has literal CR and LF characters, as its tokenizer.json writes them), and
# other patterns real files use: Falcon's punctuation split, BLOOM's, a possessive Qwen-style variant.
DEEPSEEK_DIGITS = r"\p{N}{1,3}"
DEEPSEEK_CJK = "[一-龥\u3040-ゟ゠-ヿ]+"
DEEPSEEK_MAIN = ("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
                 " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")
FALCON_PUNCTUATION = r"[\p{P}\$\+<=>\^~\|`]+"
BLOOM = r" ?[^(\s|[.,!?…。，、।۔،])]+"
POSSESSIVE = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"

# Kimi K2 (tiktoken's pattern as its tokenization_kimi.py writes it): scripts inside class intersections.
KIMI = "|".join([
    r"[\p{Han}]+",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"\p{N}{1,3}", r" ?[^\s\p{L}\p{N}]+[\r\n]*", r"\s*[\r\n]+", r"\s+(?!\S)", r"\s+"])

EXTRA_TEXTS = [
    "", " ", "  ", "a  b", "a   b", "a \t b", "a\t\tb", "a\n\nb", "a \n b", "\r\n", "a\r\nb", "a\r\n\r\nb", " \r\n ",
    "x \n\n y", "end   ", "   start", "\t", "\u00a0\u00a0x", "x\u3000y", "a\u2028b", "a\u0085b",
    "1", "12", "123", "1234", "12345", "123456789", "3.14159", "1,000,000", "٣٤٥٦", "१२३४", "Ⅻ ½ ²",
    "I'M HERE", "YOU'RE", "WE'LL", "THEY'VE", "IT'S", "DON'T", "I'D", "'S", "'ſ", "'ll'LL'Ll",
    "don't you'd we've", "'hello'", "''", "' s", "rock'n'roll",
    "👨‍👩‍👧‍👦 family", "👍🏽 ok", "🏳️‍🌈", "e\u0301", "a\u0308\u0301b", " \u0301x", "\u0301", "x\u200dy",
    "hello!!! ??? ...", "a-b_c+d", "<|endoftext|>", "$100 & 50%", "tab\there", "mixed 中文 text",
    "CamelCaseWordsHere", "HTMLParser URLs", "x/y/z", "line1\nline2\n", "\n", " \n", "\n ",
]

PATTERNS = [
    GPT2, LLAMA3, QWEN2, O200K, DEEPSEEK_DIGITS, DEEPSEEK_CJK, DEEPSEEK_MAIN, FALCON_PUNCTUATION, BLOOM, POSSESSIVE,
    r"\s+", r" ", r"[\p{P}\p{S}]", r"\p{N}", r"\d+", r"\w+|[^\w\s]+", r"\p{L}+", r"[^\s\p{L}\p{N}]+",
    r"(?i:hello|the)", r"(?i)[a-c]+", r"\bthe\b", r"^\s*\w", r"\w+$", r"(?<=\s)\w+", r"(?<!\w)\d",
    r"a.c", r"\p{Lu}\p{Ll}+", r"[A-Za-z]{2,4}", r"\d{1,3}(?=(?:\d{3})+(?!\d))", r"\s+?x", r"(?>a+)b", r"a*+a",
    r"\p{N}{1,3}", r"[\u4e00-\u9fff]+", r"\x{1F600}|\u00e9", r"▁", r"(?:ab)*c", r"\h+",
    r"[^\p{L}&&[^\d]]", r"\P{L}+", r"\p{^N}+", r"[\w&&[^\d_]]+", r"\G\w", r"(a", r"a{2,1}", r"*a",
    r"[\p{Han}]+|\p{Hiragana}+|\p{Katakana}+", r"\p{Latin}+|\p{Cyrillic}+|\p{Greek}+|\p{Common}+", r"\p{Inherited}",
    r"\p{Arabic}+|\p{Hebrew}+|\p{Devanagari}+|\p{Thai}+|\p{Hangul}+", r"\p{Greek", r"\p{NoSuchScript}", KIMI,
]
# Patterns whose empty matches matter: Replace(pattern, "<>") shows them.
NULLABLE = [r"a*", r"\b", r"(?=\s)", r"x?", r"^", r"$", r""]


def texts():
    parity = [json.loads(line)["text"] for line in TEXTS.read_text(encoding="utf-8").split("\n") if line]
    return parity, EXTRA_TEXTS


def flat(offsets):
    return [bound for offset in offsets for bound in offset]


def ranges(code_points):
    merged = []
    for code_point in code_points:
        if merged and merged[-1][1] + 1 == code_point:
            merged[-1][1] = code_point
        else:
            merged.append([code_point, code_point])
    return merged


def write_unicode_classes():
    scalars = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    everything = "".join(map(chr, scalars))
    categories = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
                  "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cn"]
    classes = [f"\\p{{{c}}}" for c in categories] + [f"\\p{{{c}}}" for c in "LMNPSZC"]
    classes += [r"\s", r"\w", r"\d", r"\h", r"\p{Alpha}", r"."]
    result = {"made_by": "scripts/make_pretokenizer_fixtures.py", "tokenizers": tokenizers.__version__, "classes": {}}
    for pattern in classes:
        split = pre_tokenizers.Split(Regex(f"(?:{pattern})+"), "removed", invert=True)
        members = []
        for _, (start, end) in split.pre_tokenize_str(everything):
            members.extend(scalars[start:end])
        result["classes"][pattern] = ranges(members)
    # Rust's char::is_numeric, as the Digits pre-tokenizer sees it: its contiguous pieces alternate between runs of
    # non-numeric and numeric scalars, starting with U+0000 (not numeric).
    numeric = []
    for index, (_, (start, end)) in enumerate(pre_tokenizers.Digits(individual_digits=False).pre_tokenize_str(everything)):
        if index % 2 == 1:
            numeric.extend(scalars[start:end])
    result["digits_numeric"] = ranges(numeric)
    return write("regex-unicode-classes.json", result)


def write_matches():
    parity, extra = texts()
    every = parity + extra
    result = {"made_by": "scripts/make_pretokenizer_fixtures.py", "tokenizers": tokenizers.__version__,
              "extra_texts": extra, "patterns": [], "nullable": []}
    subset = list(range(0, len(parity), SUBSET_EVERY)) + list(range(len(parity), len(every)))
    for pattern in PATTERNS:
        try:
            split = pre_tokenizers.Split(Regex(pattern), "removed", invert=True)
        except Exception as error:  # Oniguruma rejects it: Apus must too
            result["patterns"].append({"pattern": pattern, "python_error": str(error)})
            continue
        if pattern in (GPT2, LLAMA3):
            ends = {str(i): [end for _, (_, end) in split.pre_tokenize_str(every[i])] for i in range(len(every))}
            result["patterns"].append({"pattern": pattern, "ends": ends})
        else:
            matches = {str(i): flat(o for _, o in split.pre_tokenize_str(every[i])) for i in subset}
            result["patterns"].append({"pattern": pattern, "matches": matches})
    for pattern in NULLABLE:
        normalizer = normalizers.Replace(Regex(pattern), "<>")
        result["nullable"].append({"pattern": pattern, "replaced": {
            str(i): normalizer.normalize_str(every[i]) for i in subset[::3]}})
    return write("regex-matches.json", result)


def stage_json(pre_tokenizer=None, normalizer=None):
    tokenizer = Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    if pre_tokenizer is not None:
        tokenizer.pre_tokenizer = pre_tokenizer
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    document = json.loads(tokenizer.to_str())
    return document["pre_tokenizer"] if pre_tokenizer is not None else document["normalizer"]


P = pre_tokenizers
BEHAVIOURS = ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]
PRE_TOKENIZERS = [
    # Real files: GPT-2 / RoBERTa, Llama 3, Qwen2, DeepSeek-style digit splitting.
    # (name, pre-tokenizer, on every text rather than the subset, byte-level)
    ("gpt2", P.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True), True),
    ("roberta", P.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True), False),
    ("llama3", P.Sequence([P.Split(Regex(LLAMA3), "isolated", invert=False),
                           P.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]), False),
    ("qwen2", P.Sequence([P.Split(Regex(QWEN2), "isolated", invert=False),
                          P.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]), False),
    ("deepseek-v3", P.Sequence([P.Split(Regex(DEEPSEEK_DIGITS), "isolated"), P.Split(Regex(DEEPSEEK_CJK), "isolated"),
                                P.Split(Regex(DEEPSEEK_MAIN), "isolated"),
                                P.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]), False),
    ("digits-then-bytelevel", P.Sequence([P.Digits(individual_digits=True),
                                          P.ByteLevel(add_prefix_space=False, use_regex=True)]), False),
    ("bytelevel-no-regex-prefix", P.ByteLevel(add_prefix_space=True, use_regex=False), False),
    ("whitespace", P.Whitespace(), False),
    ("whitespace-split", P.WhitespaceSplit(), False),
    ("punctuation", P.Punctuation(), False),
    ("digits", P.Digits(individual_digits=False), False),
    ("digits-individual", P.Digits(individual_digits=True), False),
    ("char-delimiter", P.CharDelimiterSplit("a"), False),
    ("unicode-scripts", P.UnicodeScripts(), False),
    ("split-string-space-removed", P.Split(" ", "removed"), False),
] + [(f"split-regex-{b}", P.Split(Regex(r"\s+|[\p{P}]"), b), False) for b in BEHAVIOURS] \
  + [(f"split-regex-{b}-invert", P.Split(Regex(r"\p{L}+"), b, invert=True), False) for b in BEHAVIOURS] \
  + [(f"punctuation-{b}", P.Punctuation(b), False) for b in BEHAVIOURS if b != "isolated"] \
  + [("split-string-merged-next", P.Split("ab", "merged_with_next"), False),
     ("split-string-contiguous-invert", P.Split("a", "contiguous", invert=True), False)]


def write_pre_tokenizers():
    parity, extra = texts()
    every = parity + extra
    subset = list(range(0, len(parity), SUBSET_EVERY)) + list(range(len(parity), len(every)))
    files = {False: [], True: []}
    for name, pre_tokenizer, everywhere in PRE_TOKENIZERS:
        cases = {}
        byte_level = False
        for index in (range(len(every)) if everywhere else subset):
            text = every[index]
            pieces = pre_tokenizer.pre_tokenize_str(text)
            case = {"offsets": flat(o for _, o in pieces)}
            if any(piece != text[start:end] for piece, (start, end) in pieces):
                case["pieces"] = [p for p, _ in pieces]
                byte_level = True
            cases[str(index)] = case
        files[byte_level].append({"name": name, "json": stage_json(pre_tokenizer=pre_tokenizer), "cases": cases})
    paths = []
    for byte_level, name in ((False, "pretokenizers.json"), (True, "pretokenizers-bytelevel.json")):
        result = {"made_by": "scripts/make_pretokenizer_fixtures.py", "tokenizers": tokenizers.__version__,
                  "extra_texts": extra, "pre_tokenizers": files[byte_level]}
        paths.append(write(name, result))
    return paths


N = normalizers
NORMALIZERS = [
    ("replace-string", N.Replace("  ", " ")),
    ("replace-string-longer", N.Replace("a", "xyz")),
    ("replace-string-delete", N.Replace("e", "")),
    ("replace-regex-spaces", N.Replace(Regex(r"\s+"), "▁")),
    ("replace-regex-digits", N.Replace(Regex(r"\d"), "0")),
    ("replace-space-metaspace", N.Replace(" ", "▁")),
    ("bytelevel", N.ByteLevel()),
    ("sequence-replace-bytelevel", N.Sequence([N.Replace(Regex(r"\s+"), " "), N.ByteLevel()])),
]


def write_normalizers():
    parity, extra = texts()
    every = parity + extra
    subset = list(range(0, len(parity), 2 * SUBSET_EVERY)) + list(range(len(parity), len(every)))
    result = {"made_by": "scripts/make_pretokenizer_fixtures.py", "tokenizers": tokenizers.__version__,
              "extra_texts": extra, "normalizers": []}
    probe = Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    probe.pre_tokenizer = P.Split(Regex(r"[\s\S]"), "isolated")
    for name, normalizer in NORMALIZERS:
        probe.normalizer = normalizer
        cases = {}
        for index in subset:
            text = every[index]
            cases[str(index)] = {"normalized": normalizer.normalize_str(text),
                                 "offsets": flat(probe.encode(text, add_special_tokens=False).offsets)}
        result["normalizers"].append({"name": name, "json": stage_json(normalizer=normalizer), "cases": cases})
    return write("normalizers.json", result)


# Scripts a pattern can name (`\p{Han}`); their Oniguruma ranges go into Sources/…/Regex/RegexScriptTable.swift.
SCRIPTS = ["Arabic", "Armenian", "Bengali", "Common", "Cyrillic", "Devanagari", "Ethiopic", "Georgian", "Greek",
           "Gujarati", "Gurmukhi", "Han", "Hangul", "Hebrew", "Hiragana", "Inherited", "Kannada", "Katakana", "Khmer",
           "Lao", "Latin", "Malayalam", "Myanmar", "Sinhala", "Tamil", "Telugu", "Thai", "Tibetan"]


def write_regex_scripts():
    scalars = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    everything = "".join(map(chr, scalars))
    lines = []
    for script in SCRIPTS:
        split = pre_tokenizers.Split(Regex(f"\\p{{{script}}}+"), "removed", invert=True)
        members = []
        for _, (start, end) in split.pre_tokenize_str(everything):
            members.extend(scalars[start:end])
        flat_ranges = ", ".join(f"{first:#x}, {last:#x}" for first, last in ranges(members))
        lines.append(f'        "{script.lower()}": [{flat_ranges}],')
    source = f"""// Generated by scripts/make_pretokenizer_fixtures.py from tokenizers {tokenizers.__version__}'s Oniguruma; do not edit.

extension RegexUnicodeData {{
    /// Script name (lowercased) → the scalars Oniguruma's `\\p{{Script}}` matches, as sorted [first, last] pairs.
    static let scriptRanges: [String: [UInt32]] = [
{chr(10).join(lines)}
    ]
}}
"""
    path = ROOT / "Sources" / "ApusTokenizers" / "Regex" / "RegexScriptTable.swift"
    path.write_text(source, encoding="utf-8")
    return path


def write_script_table():
    probe = pre_tokenizers.UnicodeScripts()

    def same_script(a, b):
        return len(probe.pre_tokenize_str(a + b)) == 1

    scalars = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    # Script::Any never splits: no split after a Latin nor after a Cyrillic letter.
    transparent = {c for c in scalars if same_script("a", chr(c)) and same_script("\u0436", chr(c))}
    runs = []  # [first, last, representative]
    for c in scalars:
        if c in transparent:
            continue
        if runs and runs[-1][1] + 1 == c and same_script(chr(runs[-1][1]), chr(c)):
            runs[-1][1] = c
        else:
            runs.append([c, c, c])
    representatives = []
    table = []
    for first, last, representative in runs:
        for number, other in enumerate(representatives):
            if same_script(chr(other), chr(representative)):
                break
        else:
            representatives.append(representative)
            number = len(representatives) - 1
        if table and table[-1][1] + 1 == first and table[-1][2] == number + 1:
            table[-1][1] = last
        else:
            table.append([first, last, number + 1])
    entries = [f"{first:#x}, {last:#x}, {number}," for first, last, number in table]
    lines = ["        " + " ".join(entries[i:i + 6]) for i in range(0, len(entries), 6)]
    source = f"""// Generated by scripts/make_pretokenizer_fixtures.py from tokenizers {tokenizers.__version__}; do not edit.

extension UnicodeScripts {{
    /// The script partition of tokenizers' UnicodeScripts pre-tokenizer: [first, last, script] code point ranges,
    /// sorted; a scalar in no range is `Script::Any` (never splits). Script numbers are arbitrary but distinct;
    /// Hiragana, Katakana and U+30FC are already Han, as tokenizers' `fixed_script` makes them.
    static let scriptRanges: [UInt32] = [
{chr(10).join(lines)}
    ]
}}
"""
    path = ROOT / "Sources" / "ApusTokenizers" / "PreTokenizers" / "UnicodeScriptTable.swift"
    path.write_text(source, encoding="utf-8")
    return path


def write(name, result):
    path = OUT / name
    path.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    writers = (write_unicode_classes, write_matches, write_pre_tokenizers, write_normalizers, write_script_table,
               write_regex_scripts)
    only = sys.argv[1:]  # e.g. `matches normalizers` to remake only those files
    for writer in writers:
        if only and writer.__name__.removeprefix("write_") not in only:
            continue
        written = writer()
        for path in written if isinstance(written, list) else [written]:
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
