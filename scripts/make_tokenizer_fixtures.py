#!/usr/bin/env python3
"""Small tokenizer.json variants and what Hugging Face `tokenizers` makes of tricky inputs.

Writes Tests/Fixtures/tokenizers/wordpiece-variants.json: for each variant (BertNormalizer options, added tokens
with lstrip/rstrip/single_word/normalized, BertProcessing, a tiny max_input_chars_per_word) the full
tokenizer.json text and, per input, ids, tokens, offsets, type ids and decode output.
Run: scripts/setup-dev-venv.sh && .venv/bin/python scripts/make_tokenizer_fixtures.py
"""
import json
import pathlib

import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

ROOT = pathlib.Path(__file__).resolve().parent.parent
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "cafe", "café", "Café", "Hello", "the", "un",
         "##able", "##s", "##i", "a", "e", "i", "n", "s", "t", "##t", "##e", "!", ",", ".", "'", "?", "東", "京", "ş",
         "##ş", "don", "##'", "x", "##x", "ı", "i̇", "Σ", "σ", "ς", "ß", "ﬁ", "fi", "é", "[", "]", "<", ">", "-", "ー"]
TEXTS = ["Hello, world!", "hello world", "Café CAFÉ cafe", "unable unables", "東京 hello", "the  \t\n the",
         "xxxxxxxxxx", "xxxxx", "İı ΣΑΣ ß ﬁ", "don't", "soft\u00adhyphen zero\u200bwidth", "a<mask>b", "a <mask> b",
         "<mask>", "x<special>x", "x <special> x", "the[MASK]the", "[MASK]", "hello [SEP] world", "", "   ",
         "e\u0301", "CAFÉ!!!", "Straße", "ー-", "hello <special>world<special>"]
PAIRS = [("hello world", "the cafe"), ("Café", ""), ("unable unables unable", "hello")]


def base(lowercase, strip_accents, chinese=True, clean=True, max_chars=100):
    vocab = {token: index for index, token in enumerate(VOCAB)}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=max_chars))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=clean, handle_chinese_chars=chinese,
                                                      strip_accents=strip_accents, lowercase=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    tokenizer.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    return tokenizer


def variants():
    yield "uncased", base(lowercase=True, strip_accents=None)
    yield "cased-keep-accents", base(lowercase=False, strip_accents=False)
    yield "cased-strip-accents", base(lowercase=False, strip_accents=True)
    yield "lowercase-keep-accents", base(lowercase=True, strip_accents=False)
    yield "no-chinese-no-clean", base(lowercase=True, strip_accents=None, chinese=False, clean=False)
    yield "max-chars-6", base(lowercase=True, strip_accents=None, max_chars=6)
    tokenizer = base(lowercase=True, strip_accents=None)
    tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False)])
    tokenizer.add_tokens([AddedToken("<special>", single_word=True, normalized=True),
                          AddedToken("world", rstrip=True, normalized=False)])
    yield "added-tokens", tokenizer
    tokenizer = base(lowercase=True, strip_accents=None)
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    yield "bert-processing", tokenizer


def encoding_record(tokenizer, encoding):
    return {"ids": encoding.ids, "tokens": encoding.tokens, "offsets": encoding.offsets, "type_ids": encoding.type_ids,
            "special_tokens_mask": encoding.special_tokens_mask, "decoded": tokenizer.decode(encoding.ids),
            "decoded_with_special": tokenizer.decode(encoding.ids, skip_special_tokens=False)}


def main():
    out = ROOT / "Tests" / "Fixtures" / "tokenizers"
    out.mkdir(parents=True, exist_ok=True)
    result = {"made_by": "scripts/make_tokenizer_fixtures.py", "tokenizers": tokenizers.__version__, "variants": []}
    for name, tokenizer in variants():
        cases = [dict(text=text, **encoding_record(tokenizer, tokenizer.encode(text))) for text in TEXTS]
        cases += [dict(text=text, add_special_tokens=False, **encoding_record(tokenizer, tokenizer.encode(text, add_special_tokens=False)))
                  for text in TEXTS[:4]]
        cases += [dict(text=a, pair=b, **encoding_record(tokenizer, tokenizer.encode(a, b))) for a, b in PAIRS]
        tokenizer.enable_truncation(5)
        cases += [dict(text=a, pair=b, max_length=5, **encoding_record(tokenizer, tokenizer.encode(a, b))) for a, b in PAIRS]
        cases += [dict(text=text, max_length=5, **encoding_record(tokenizer, tokenizer.encode(text))) for text in TEXTS[:4]]
        tokenizer.no_truncation()
        result["variants"].append({"name": name, "tokenizer_json": tokenizer.to_str(), "cases": cases})
    (out / "wordpiece-variants.json").write_text(json.dumps(result, ensure_ascii=False))
    print(out / "wordpiece-variants.json", (out / "wordpiece-variants.json").stat().st_size, "bytes")


if __name__ == "__main__":
    main()
