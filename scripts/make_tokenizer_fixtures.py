#!/usr/bin/env python3
"""What Hugging Face `tokenizers` makes of tricky inputs, for ApusTokenizers' exact-equality tests.

Writes three files into Tests/Fixtures/tokenizers/:

  minilm-reference.jsonl   all-MiniLM-L6-v2's own tokenizer.json on every text of
                           Tests/Fixtures/texts/parity-texts.jsonl (file truncation and padding switched off):
                           ids and offsets (flattened: [start0, end0, start1, end1, ...]) and decode() for plain
                           encoding; the same for truncation to 256, stored only when it differs from plain; for every
                           PAIR_EVERY-th text the pair (text i, text i+1) truncated longest-first to 64, with type ids
                           and special-token masks; decode() with special tokens for every DECODE_WITH_SPECIAL_EVERY-th
                           text. (A single sequence's type ids are all 0 and its mask is [1, 0, ..., 0, 1]: added
                           tokens found in the text count as 0, so the tests check that shape.)
  wordpiece-variants.json  small tokenizer.json variants (BertNormalizer options, Sequence normalizers and
                           pre-tokenizers, added tokens with lstrip/rstrip/single_word/normalized, BertProcessing, no
                           post-processor, tiny max_input_chars_per_word, every truncation strategy and direction) with
                           the full tokenizer.json text and the outputs for each input; where tokenizers raises (a
                           truncation it cannot do) the case records `python_error` and the untruncated outputs.
  unicode-classes.json     for every Unicode scalar, how tokenizers classifies it: removed or made a space by
                           clean_text, isolated as punctuation or split on as whitespace by BertPreTokenizer, its
                           what the StripAccents normalizer removes, its lowercase, NFD and strip_accents forms where they differ from the scalar (Hangul syllables,
                           which decompose algorithmically, left out; each entry is [scalar, result scalars...]), and
                           whether regex `\\w` (single_word) matches it.

Run with the dev venv (only `tokenizers` is needed):
  APUS_MINILM_PATH=/path/to/all-MiniLM-L6-v2 /work/venv-dev/bin/python scripts/make_tokenizer_fixtures.py
The model directory defaults to .cache/models/all-MiniLM-L6-v2 (scripts/fetch-minilm.sh puts it there).
"""
import json
import os
import pathlib
import sys

import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizers"
TEXTS = ROOT / "Tests" / "Fixtures" / "texts" / "parity-texts.jsonl"
TRUNCATED_LENGTH = 256
PAIR_LENGTH = 64
PAIR_EVERY = 3
DECODE_WITH_SPECIAL_EVERY = 10


def record(encoding, tokens=True, masks=True):
    """What the Swift tests compare for one encoding; offsets flattened to [start0, end0, start1, end1, ...]."""
    entry = {"ids": encoding.ids}
    if tokens:
        entry["tokens"] = encoding.tokens
    entry["offsets"] = [bound for offset in encoding.offsets for bound in offset]
    if masks:
        entry["type_ids"] = encoding.type_ids
        entry["special_tokens_mask"] = encoding.special_tokens_mask
    return entry


# --- all-MiniLM-L6-v2 ------------------------------------------------------------------------------------------

def write_minilm_reference():
    model_dir = pathlib.Path(os.environ.get("APUS_MINILM_PATH", ROOT / ".cache" / "models" / "all-MiniLM-L6-v2"))
    tokenizer_file = model_dir / "tokenizer.json"
    if not tokenizer_file.exists():
        sys.exit(f"{tokenizer_file} not found: run scripts/fetch-minilm.sh or set APUS_MINILM_PATH")
    texts = [json.loads(line)["text"] for line in TEXTS.read_text(encoding="utf-8").split("\n") if line]
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()
    lines = []
    for index, text in enumerate(texts):
        tokenizer.no_truncation()
        plain = tokenizer.encode(text)
        entry = {"index": index, **record(plain, tokens=False, masks=False), "decoded": tokenizer.decode(plain.ids)}
        if index % DECODE_WITH_SPECIAL_EVERY == 0:
            entry["decoded_with_special"] = tokenizer.decode(plain.ids, skip_special_tokens=False)
        tokenizer.enable_truncation(TRUNCATED_LENGTH)
        truncated = tokenizer.encode(text)
        if truncated.ids != plain.ids:
            entry["truncated"] = record(truncated, tokens=False, masks=False)
        if index % PAIR_EVERY == 0 and index + 1 < len(texts):
            tokenizer.enable_truncation(PAIR_LENGTH, strategy="longest_first")
            entry["pair"] = {"with": index + 1, **record(tokenizer.encode(text, texts[index + 1]), tokens=False)}
        lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
    path = OUT / "minilm-reference.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, {"texts": len(texts), "truncated_length": TRUNCATED_LENGTH, "pair_length": PAIR_LENGTH}


# --- small variants --------------------------------------------------------------------------------------------

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "cafe", "café", "Café", "Hello", "the", "un",
         "##able", "##s", "##i", "a", "b", "ab", "c", "##b", "##a", "e", "i", "n", "s", "t", "##t", "##e", "!", ",", ".",
         "'", "?", "東", "京", "ş", "##ş", "don", "##'", "x", "##x", "ı", "i̇", "Σ", "σ", "ς", "ß", "ﬁ", "fi", "é", "[",
         "]", "<", ">", "-", "ー", "e\u0301", "##\u0301", "\u1100", "##\u1161", "##\u11ab"]
TEXTS_FOR_VARIANTS = [
    "Hello, world!", "hello world", "Café CAFÉ cafe", "unable unables", "東京 hello", "the  \t\n the", "xxxxxxxxxx",
    "xxxxx", "İı ΣΑΣ ß ﬁ", "don't", "soft\u00adhyphen zero\u200bwidth", "the[MASK]the", "hello [SEP] world", "", "   ",
    "e\u0301", "CAFÉ!!!", "Straße", "ー-", "a\u0301\U0001E94A", "a\u0301\u0D3B", "\ufeffhello", "한",
    "a\u0000b\ufffdc\u0378d", "x\u2e5dy", "Ⅷ hello", "the\u00a0the\u3000the", "unknownword", "a-b",
]
# Only for the variants with extra added tokens (and "uncased", where they are plain text).
TEXTS_FOR_ADDED_TOKENS = [
    "a<mask>b", "a <mask> b", "<mask>", "x<special>x", "x <special> x", "hello <special>world<special>", "cxab", "xab",
    "cxabab", "ab xab", "a  world  b", "world world", "<Special>", "b  world b",
]
PAIRS = [("hello world", "the cafe"), ("Café", ""), ("unable unables unable", "hello"), ("a b c a b", "a"),
         ("a", "a b c a b c"), ("", "hello world the")]
POST_PROCESSOR_VARIANTS = ("uncased", "bert-processing", "template-b-before-a", "no-post-processor-no-decoder")
TRUNCATIONS = [(strategy, direction, length)
               for strategy in ("longest_first", "only_first", "only_second")
               for direction in ("right", "left")
               for length in (0, 1, 3, 5, 100)]


def base(lowercase=True, strip_accents=None, chinese=True, clean=True, max_chars=100, prefix="##"):
    vocab = {token: index for index, token in enumerate(VOCAB)}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=max_chars,
                                    continuing_subword_prefix=prefix))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=clean, handle_chinese_chars=chinese,
                                                      strip_accents=strip_accents, lowercase=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    tokenizer.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    return tokenizer


def variants():
    yield "uncased", base()
    yield "cased-keep-accents", base(lowercase=False, strip_accents=False)
    yield "cased-strip-accents", base(lowercase=False, strip_accents=True)
    yield "lowercase-keep-accents", base(lowercase=True, strip_accents=False)
    yield "no-chinese-no-clean", base(chinese=False, clean=False)
    yield "max-chars-6", base(max_chars=6)
    tokenizer = base()
    tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False)])
    tokenizer.add_tokens([AddedToken("<Special>", single_word=True, normalized=True),
                          AddedToken("world", rstrip=True, normalized=False),
                          AddedToken("xab", single_word=True, normalized=False), AddedToken("ab", normalized=False)])
    yield "added-tokens", tokenizer
    tokenizer = base()
    tokenizer.add_tokens([AddedToken(" world", lstrip=True, rstrip=True, normalized=False),
                          AddedToken("b", lstrip=True, normalized=False)])
    yield "added-tokens-overlapping-strip", tokenizer
    tokenizer = base()
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    yield "bert-processing", tokenizer
    tokenizer = base()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP] [SEP]", pair="[CLS] $B:1 [SEP] $A:0 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    yield "template-b-before-a", tokenizer
    tokenizer = base()
    tokenizer.post_processor = None
    tokenizer.decoder = None
    yield "no-post-processor-no-decoder", tokenizer
    tokenizer = base(lowercase=False, strip_accents=False)
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.BertPreTokenizer()])
    yield "sequences", tokenizer
    tokenizer = base()
    tokenizer.normalizer = normalizers.NFD()
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    yield "nfd-only", tokenizer
    tokenizer = base()
    tokenizer.normalizer = None
    tokenizer.pre_tokenizer = None
    yield "no-normalizer-no-pre-tokenizer", tokenizer


def case(tokenizer, text, pair=None, add_special_tokens=True, truncation=None):
    """One input and its outputs; truncation is (strategy, direction, max_length) or None."""
    entry = {"text": text}
    if pair is not None:
        entry["pair"] = pair
    if not add_special_tokens:
        entry["add_special_tokens"] = False
    if truncation:
        strategy, direction, length = truncation
        entry["truncation"] = {"strategy": strategy, "direction": direction, "max_length": length}
        tokenizer.enable_truncation(length, strategy=strategy, direction=direction)
    try:
        encoding = tokenizer.encode(text, pair, add_special_tokens=add_special_tokens)
    except Exception as error:  # tokenizers refuses this truncation; Apus leaves the sequences whole
        entry["python_error"] = str(error)
        tokenizer.no_truncation()
        encoding = tokenizer.encode(text, pair, add_special_tokens=add_special_tokens)
    tokenizer.no_truncation()
    entry.update(record(encoding))
    if not truncation:
        entry["decoded"] = tokenizer.decode(encoding.ids)
        entry["decoded_with_special"] = tokenizer.decode(encoding.ids, skip_special_tokens=False)
    return entry


def write_variants():
    result = {"made_by": "scripts/make_tokenizer_fixtures.py", "tokenizers": tokenizers.__version__, "variants": []}
    for name, tokenizer in variants():
        cases = [case(tokenizer, text) for text in TEXTS_FOR_VARIANTS]
        if name.startswith("added-tokens") or name == "uncased":
            cases += [case(tokenizer, text) for text in TEXTS_FOR_ADDED_TOKENS]
        if name in POST_PROCESSOR_VARIANTS:
            cases += [case(tokenizer, text, add_special_tokens=False) for text in TEXTS_FOR_VARIANTS[:4]]
            cases += [case(tokenizer, a, b) for a, b in PAIRS]
            cases += [case(tokenizer, a, b, add_special_tokens=False) for a, b in PAIRS[:2]]
        if name in ("uncased", "no-post-processor-no-decoder"):
            cases += [case(tokenizer, a, b, truncation=t) for a, b in PAIRS[2:4] for t in TRUNCATIONS]
            cases += [case(tokenizer, "unable unables unable", truncation=t) for t in TRUNCATIONS]
            cases += [case(tokenizer, a, b, add_special_tokens=False, truncation=("longest_first", "right", 3))
                      for a, b in PAIRS[2:4]]
        result["variants"].append({"name": name, "tokenizer_json": tokenizer.to_str(), "cases": cases})
    path = OUT / "wordpiece-variants.json"
    path.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path, {"variants": len(result["variants"])}


# --- every scalar ----------------------------------------------------------------------------------------------

def ranges(code_points):
    merged = []
    for code_point in sorted(code_points):
        if merged and merged[-1][1] + 1 == code_point:
            merged[-1][1] = code_point
        else:
            merged.append([code_point, code_point])
    return merged


def write_unicode_classes():
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    nfd = normalizers.NFD()
    strip_marks = normalizers.StripAccents()
    bert = pre_tokenizers.BertPreTokenizer()
    removed, spaces, punctuation, whitespace, strip_removed, marks = [], [], [], [], [], []
    lowercase, decomposed, stripped = [], [], []
    scalars = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for code_point in scalars:
        character = chr(code_point)
        cleaned = clean.normalize_str(character)
        if cleaned == "":
            removed.append(code_point)
        elif cleaned == " " and character != " ":
            spaces.append(code_point)
        words = len(bert.pre_tokenize_str("a" + character + "a"))
        if words == 3:
            punctuation.append(code_point)
        elif words == 2:
            whitespace.append(code_point)
        if strip_marks.normalize_str(character) == "":
            marks.append(code_point)
        hangul = 0xAC00 <= code_point <= 0xD7A3
        lowered = lower.normalize_str(character)
        if lowered != character:
            lowercase.append([code_point, *map(ord, lowered)])
        decomposition = nfd.normalize_str(character)
        if decomposition != character and not hangul:
            decomposed.append([code_point, *map(ord, decomposition)])
        without_accents = strip.normalize_str(character)
        if without_accents == "":
            strip_removed.append(code_point)
        elif without_accents != character and not hangul:
            stripped.append([code_point, *map(ord, without_accents)])

    # regex `\w` as the single_word check of added tokens sees it: "Q" is rejected after a word character.
    probe = Tokenizer(WordPiece({"[UNK]": 0, "Q": 1}, unk_token="[UNK]"))
    probe.add_tokens([AddedToken("Q", single_word=True, normalized=False)])
    word_characters = []
    batch_size = 65536
    for start in range(0, len(scalars), batch_size):
        batch = scalars[start:start + batch_size]
        encodings = probe.encode_batch([chr(c) + "Q" for c in batch], add_special_tokens=False)
        word_characters += [c for c, e in zip(batch, encodings) if not any(len(t) == 1 and t == "Q" and o == (1, 2)
                                                                           for t, o in zip(e.tokens, e.offsets))]
    result = {
        "made_by": "scripts/make_tokenizer_fixtures.py", "tokenizers": tokenizers.__version__,
        "clean_text_removed": ranges(removed), "clean_text_space": spaces,
        "bert_punctuation": ranges(punctuation), "bert_whitespace": whitespace,
        "lowercase": lowercase, "nfd": decomposed,
        "strip_accents_removed": ranges(strip_removed), "strip_accents": stripped,
        "strip_accents_normalizer_removed": ranges(marks),
        "word_characters": ranges(word_characters),
    }
    path = OUT / "unicode-classes.json"
    path.write_text(json.dumps(result, separators=(",", ":")), encoding="utf-8")
    return path, {key: len(value) for key, value in result.items() if isinstance(value, list)}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for writer in (write_minilm_reference, write_variants, write_unicode_classes):
        path, summary = writer()
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes {summary}")


if __name__ == "__main__":
    main()
