#!/usr/bin/env python3
"""Tiny BPE and WordLevel tokenizers configured like real ones, and what Hugging Face `tokenizers` makes of them,
for ApusTokenizers' exact-equality tests (Tests/ApusTokenizersTests/BPEParityTests.swift).

Each tokenizer is trained offline with a `tokenizers` trainer on the texts of
Tests/Fixtures/texts/parity-texts.jsonl (small vocabularies, so the files stay small), then configured exactly like
the model family it stands for:

  gpt2            ByteLevel pre-tokenizer (no prefix space) + ByteLevel decoder + ByteLevel post-processor
                  (trim_offsets false), <|endoftext|> special — as GPT-2's tokenizer.json.
  roberta         ByteLevel + RobertaProcessing (<s> … </s></s> … </s>, trim_offsets), <mask> with lstrip.
  roberta-prefix  the same with add_prefix_space true (prefix space added and trimmed from offsets).
  llama2          SentencePiece-style BPE with byte_fallback and fuse_unk: normalizer Prepend("▁") + Replace(" ", "▁"),
                  no pre-tokenizer, decoder Replace + ByteFallback + Fuse + Strip, template "<s> $A" — as
                  transformers' LlamaConverter writes it. The <0x00>…<0xFF> tokens are added to the trained vocabulary.
  llama3          Split (Llama 3 regex, isolated) + ByteLevel(use_regex false), ignore_merges, post-processor
                  Sequence[ByteLevel, TemplateProcessing "<|begin_of_text|> $A"]; a single_word added token.
  qwen2           NFC normalizer, Split (Qwen2 regex) + ByteLevel(use_regex false), no BOS; an rstrip added token.
  wordlevel       WordLevel, Lowercase + WhitespaceSplit, no decoder (tokens joined by spaces); a normalized added token.
  bpe-affixes     BPE with continuing_subword_prefix "##", end_of_word_suffix "</w>", unk_token, limited alphabet
                  (unknown scalars), BertPreTokenizer, BPEDecoder, BertProcessing.
  ctc             a character vocabulary with the CTC decoder (pad <pad>, delimiter |), for decode cases.

For each, Tests/Fixtures/tokenizers/bpe/<name>/tokenizer.json and reference.json. reference.json holds, for every
parity text and the EXTRA_TEXTS edge cases (stored in the file, numbered after the parity texts): ids; offsets
(flattened [start0, end0, ...]) for every OFFSETS_EVERY-th text and every extra text; tokens for every
TOKENS_EVERY-th text and every extra text; the positions of special-mask 1s ("special") and the type ids when some
are not 0; decode() with skip_special_tokens true (only when it is not the text itself) and false (only when it
differs from true); the ids truncated to TRUNCATED_LENGTH when truncation changes them; for every PAIR_EVERY-th text
the pair (text i, text i+1) truncated longest-first to PAIR_LENGTH, with offsets; ids without special tokens for
every NO_SPECIAL_EVERY-th text; for every STRIDE_EVERY-th text (every second one paired with the next text),
truncation to TRUNCATED_LENGTH with stride STRIDE, its number of overflowing windows and the first STORED_WINDOWS of
them ("strided", when there are any); and
`decode_cases`: seeded random id lists (special and out-of-vocabulary ids included) with both decodes.

Run with the dev venv (only `tokenizers` is needed), from anywhere:
  /work/venv-dev/bin/python scripts/make_bpe_tokenizer_fixtures.py
With --bench, instead writes .cache/bench/gpt2-32k/tokenizer.json: a GPT-2-configured byte-level BPE trained to
32 000 tokens on .cache/bench/corpus.txt (scripts/make_bench_corpus.py), for scripts/bench_tokenizers.py (not
committed).
"""
import json
import pathlib
import random
import sys

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tokenizers" / "bpe"
TEXTS = ROOT / "Tests" / "Fixtures" / "texts" / "parity-texts.jsonl"
TRUNCATED_LENGTH = 24
PAIR_LENGTH = 40
PAIR_EVERY = 4
TOKENS_EVERY = 5
OFFSETS_EVERY = 2
NO_SPECIAL_EVERY = 7
STRIDE_EVERY = 10
STRIDE = 3
STORED_WINDOWS = 3
DECODE_CASES = 40

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")

EXTRA_TEXTS = [
    "", " ", "  leading spaces", "trailing spaces   ", "a    b     c", "\n\n\nthree newlines\n\n", " \n \n ",
    "def f(x):\n\treturn x  # tab\n\t\tdeeper\r\n", "if (a&&b) { return c->d[0]; }",
    "12345678901234567890 3.14159265358979 1,000,000", "👨‍👩‍👧‍👦 family 🏳️‍🌈 flag 👍🏽", "e\u0301 vs é", "\u00a0nbsp\u3000ideographic",
    "\ufeffbom", "\u200b\u200czero width", "\U0001F600\U0001F600\U0001F600", "中文字符和日本語のテキスト", "한국어 텍스트",
    "العربية والفارسی", "<s>", "</s> tail", "<mask>", "a <mask> b", "x<mask>y", "<|endoftext|>", "hi<|endoftext|>there",
    "<|begin_of_text|>twice<|begin_of_text|>", "special_word", "a special_word b", "xspecial_word", "The END.  ",
    "it's they're I'M we'LL", "\x00\x01\x7f", "\ud7ff\ue000\U0010FFFD", "Ġ Ċ ĉ", "▁already▁marked", "<0x41> bytes",
    "ℌ𝔢𝔩𝔩𝔬 ﬁ ① Ⅳ", "...!!!???", "   \t   ",
]


def parity_texts():
    return [json.loads(line)["text"] for line in TEXTS.read_text(encoding="utf-8").split("\n") if line]


def byte_level_bpe(texts, vocab_size, special_tokens, pre_tokenizer):
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def gpt2(texts, vocab_size=1000):
    tokenizer = byte_level_bpe(texts, vocab_size, [AddedToken("<|endoftext|>", special=True, normalized=False)],
                               pre_tokenizers.ByteLevel(add_prefix_space=False))
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer


def roberta(texts, add_prefix_space):
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tokenizer = byte_level_bpe(texts, 1000, specials, pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space))
    tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False)])
    tokenizer.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True,
                                                            add_prefix_space=add_prefix_space)
    return tokenizer


def llama2(texts):
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=800, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=120,
                                  show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    # Llama's vocabulary holds the 256 byte tokens as ordinary entries; the trainer cannot make them, so they are
    # appended to the trained vocabulary.
    state = json.loads(tokenizer.to_str())
    vocab = state["model"]["vocab"]
    for byte in range(256):
        vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
    tokenizer = Tokenizer.from_str(json.dumps(state))
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                           decoders.Strip(" ", 1, 0)])
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s>:1 $B:1",
                                                             special_tokens=[("<s>", 1)])
    return tokenizer


def llama3(texts):
    split = pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False)
    tokenizer = byte_level_bpe(texts, 1000, ["<|begin_of_text|>", "<|end_of_text|>"], pre_tokenizers.Sequence(
        [split, pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]))
    state = json.loads(tokenizer.to_str())
    state["model"]["ignore_merges"] = True
    tokenizer = Tokenizer.from_str(json.dumps(state))
    tokenizer.add_tokens([AddedToken("special_word", single_word=True, normalized=False)])
    tokenizer.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", 0)])])
    return tokenizer


def qwen2(texts):
    split = pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False)
    tokenizer = byte_level_bpe(texts, 1000, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], pre_tokenizers.Sequence(
        [split, pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.add_tokens([AddedToken("<mask>", rstrip=True, normalized=False)])
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    return tokenizer


def wordlevel(texts):
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.train_from_iterator(texts, trainers.WordLevelTrainer(vocab_size=400, special_tokens=["[UNK]", "[SEP]"],
                                                                    show_progress=False))
    tokenizer.add_tokens([AddedToken("Special_Word", normalized=True)])
    tokenizer.add_special_tokens([AddedToken("[SEP]", normalized=False)])
    return tokenizer


def bpe_affixes(texts):
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.BpeTrainer(vocab_size=900, special_tokens=["[UNK]", "[CLS]", "[SEP]"], limit_alphabet=60,
                                  continuing_subword_prefix="##", end_of_word_suffix="</w>", show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.decoder = decoders.BPEDecoder(suffix="</w>")
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
    return tokenizer


def ctc(texts):
    characters = sorted({c for text in texts for c in text.lower() if c.isalpha() or c == "'"})[:60]
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4}
    for character in characters:
        vocab.setdefault(character, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.add_special_tokens(["<pad>", "<s>", "</s>", "<unk>"])
    tokenizer.decoder = decoders.CTC(pad_token="<pad>", word_delimiter_token="|", cleanup=True)
    return tokenizer


TOKENIZERS = {
    "gpt2": gpt2, "roberta": lambda texts: roberta(texts, False), "roberta-prefix": lambda texts: roberta(texts, True),
    "llama2": llama2, "llama3": llama3, "qwen2": qwen2, "wordlevel": wordlevel, "bpe-affixes": bpe_affixes, "ctc": ctc,
}


def positions(values):
    return [index for index, value in enumerate(values) if value]


def record(encoding, tokens, offsets=True):
    entry = {"ids": encoding.ids}
    if offsets:
        entry["offsets"] = [bound for offset in encoding.offsets for bound in offset]
    if tokens:
        entry["tokens"] = encoding.tokens
    if any(encoding.special_tokens_mask):
        entry["special"] = positions(encoding.special_tokens_mask)
    if any(encoding.type_ids):
        entry["type_ids"] = encoding.type_ids
    return entry


def references(tokenizer, texts, parity_count):
    tokenizer.no_padding()
    records = []
    for index, text in enumerate(texts):
        tokenizer.no_truncation()
        plain = tokenizer.encode(text)
        extra = index >= parity_count
        entry = {"i": index, **record(plain, tokens=index % TOKENS_EVERY == 0 or extra, offsets=index % OFFSETS_EVERY == 0 or extra)}
        decoded = tokenizer.decode(plain.ids)
        if decoded != text:
            entry["decoded"] = decoded
        with_special = tokenizer.decode(plain.ids, skip_special_tokens=False)
        if with_special != decoded:
            entry["decoded_with_special"] = with_special
        if index % NO_SPECIAL_EVERY == 0:
            entry["ids_without_special"] = tokenizer.encode(text, add_special_tokens=False).ids
        tokenizer.enable_truncation(TRUNCATED_LENGTH)
        truncated = tokenizer.encode(text)
        if truncated.ids != plain.ids:
            entry["truncated"] = record(truncated, tokens=False, offsets=False)
        if index % STRIDE_EVERY == 0:
            tokenizer.enable_truncation(TRUNCATED_LENGTH, stride=STRIDE)
            strided = tokenizer.encode(text) if index % (2 * STRIDE_EVERY) else tokenizer.encode(text, texts[index + 1])
            if strided.overflowing:
                entry["strided"] = {**record(strided, tokens=False), "windows": len(strided.overflowing),
                                    "overflowing": [record(window, tokens=False)
                                                    for window in strided.overflowing[:STORED_WINDOWS]]}
                if index % (2 * STRIDE_EVERY) == 0:
                    entry["strided"]["with"] = index + 1
        if index % PAIR_EVERY == 0 and index + 1 < len(texts):
            tokenizer.enable_truncation(PAIR_LENGTH, strategy="longest_first")
            entry["pair"] = {"with": index + 1, **record(tokenizer.encode(text, texts[index + 1]), tokens=False)}
        records.append(entry)
    tokenizer.no_truncation()
    generator = random.Random(8)
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    decode_cases = []
    for _ in range(DECODE_CASES):
        ids = [generator.randrange(size + 2) for _ in range(generator.randrange(1, 14))]
        if generator.random() < 0.3:  # runs of one id: the CTC decoder collapses them
            ids = [id for id in ids for _ in range(generator.randrange(1, 4))]
        decode_cases.append({"ids": ids, "decoded": tokenizer.decode(ids),
                             "decoded_with_special": tokenizer.decode(ids, skip_special_tokens=False)})
    return records, decode_cases


def write_fixtures():
    parity = parity_texts()
    texts = parity + EXTRA_TEXTS
    for name, make in TOKENIZERS.items():
        tokenizer = make(parity)
        directory = OUT / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "tokenizer.json").write_text(tokenizer.to_str(), encoding="utf-8")
        records, decode_cases = references(tokenizer, texts, len(parity))
        result = {"made_by": "scripts/make_bpe_tokenizer_fixtures.py", "tokenizers": tokenizers.__version__,
                  "parity_texts": len(parity), "extra_texts": EXTRA_TEXTS, "truncated_length": TRUNCATED_LENGTH,
                  "stride": STRIDE, "pair_length": PAIR_LENGTH, "records": records, "decode_cases": decode_cases}
        path = directory / "reference.json"
        path.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        sizes = [(directory / file).stat().st_size for file in ("tokenizer.json", "reference.json")]
        print(f"{directory.relative_to(ROOT)}: tokenizer.json {sizes[0]} bytes, reference.json {sizes[1]} bytes")


def write_bench_tokenizer():
    corpus = ROOT / ".cache" / "bench" / "corpus.txt"
    if not corpus.exists():
        sys.exit(f"{corpus} not found: run scripts/make_bench_corpus.py")
    lines = corpus.read_text(encoding="utf-8").split("\n")
    tokenizer = gpt2(lines, vocab_size=32000)
    directory = ROOT / ".cache" / "bench" / "gpt2-32k"
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    print(f"{directory / 'tokenizer.json'}: vocabulary {tokenizer.get_vocab_size()}")


if __name__ == "__main__":
    write_bench_tokenizer() if "--bench" in sys.argv else write_fixtures()
