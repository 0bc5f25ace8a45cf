#!/usr/bin/env python3
"""Writes Tests/Fixtures/texts/parity-texts.jsonl: the varied texts every tokenizer/embedding parity test uses.

Deterministic, no network. Run: python3 scripts/make_parity_texts.py
"""
import json
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent

HAND_WRITTEN = [
    "", " ", "   ", "\t\n", "\n\n\n", "a", "A", ".", "!", "?",
    "Hello, world!", "The quick brown fox jumps over the lazy dog.",
    "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
    "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
    "I can't believe it's not butter!", "She said: \"don't go there\"—and left.", "It's 5 o'clock somewhere.",
    "Café crème brûlée à la carte, naïve façade, jalapeño piñata.", "Über Größe: Straße, Fußgänger, schön.",
    "Tiếng Việt có nhiều dấu: Hà Nội, Thành phố Hồ Chí Minh.", "Ça va? Ñandú, smørrebrød, Ærø, Øresund.",
    "e\u0301te\u0301 (decomposed accents) vs été (composed).", "Ångström and résumé and coöperate.",
    "Ελληνικά: Καλημέρα κόσμε, ΣΊΣΥΦΟΣ.", "Русский текст: Привет, мир! Ёжик в тумане.",
    "العربية: مرحبا بالعالم", "עברית: שלום עולם", "हिन्दी: नमस्ते दुनिया, यह एक परीक्षण है।",
    "ภาษาไทย: สวัสดีชาวโลก", "中文：你好，世界！今天天气很好。", "日本語のテキスト：東京タワーは高いです。カタカナ、ひらがな。",
    "한국어: 안녕하세요 세계, 서울은 크다.", "Mixed 中文 and English text with 日本語 inside.", "𠀀𠀁 rare CJK extension B characters 𪜀",
    "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️", "I ❤ NY 🗽", "🙂", "🤷‍♀️ shrug", "✓ done ✗ failed ★★★☆☆",
    "!!!???...", "---", "«Bonjour»", "…", "((((nested))))", "$100 + €50 = £130?", "a-b_c/d\\e|f~g^h`i", "#hashtag @mention",
    "https://example.com/path?query=1&x=y#frag", "mail me at someone.name+tag@example.co.uk", "C:\\Program Files\\app.exe",
    "def f(x):\n    return x ** 2  # square", "for (int i = 0; i < n; ++i) { sum += a[i]; }", "<div class=\"x\">Hi</div>",
    "3.14159 2,718 1e-10 -42 +7 1/2 ½ ¾ 10%", "Call 555-0123 or +44 20 7946 0958.", "2024-01-31T12:00:00Z",
    "ALL CAPS SENTENCE ABOUT NOTHING", "MiXeD cAsE wOrDs", "İstanbul, ıspanak, İi Iı (Turkish dotted and dotless i)",
    "Straße ß ẞ", "ﬁne ﬂour ﬀ (ligatures)", "Ｆｕｌｌ－ｗｉｄｔｈ　ｔｅｘｔ　１２３", "ǅungla ǈ ǋ (title-case digraphs)",
    "nul\u0000byte", "zero\u200bwidth\u200bspace", "soft\u00adhyphen", "tab\there", "carriage\rreturn", "line\nbreak",
    "bell\u0007char", "replacement \ufffd char", "non\u00a0breaking\u00a0space", "ideographic\u3000space", "\u2028line separator",
    "[CLS] literal special tokens [SEP] and [MASK] and [PAD] and [UNK]", "[cls] lower-case lookalikes [sep]",
    "word" * 30, "x" * 99, "y" * 100, "z" * 101, "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is a long word.", "a" * 150 + " short",
    "The the the the the the the the the the", "ok", "no.", "Yes!", "Why?",
    "  leading and trailing spaces  ", "\t tabs and spaces \t", "multiple     internal     spaces",
    "Semantic search ranks documents by meaning rather than keywords.",
    "Sentence embeddings map text to dense vectors.",
    "How do I reset my password if I no longer have access to my email?",
    "The Federal Reserve left interest rates unchanged on Wednesday.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The mitochondria is the powerhouse of the cell.",
    "Shakespeare wrote thirty-seven plays and over one hundred and fifty sonnets.",
    "Please turn off your phones before the performance begins.",
    "What's the best way to learn a new programming language?",
    "Our quarterly revenue grew by 12% year over year.",
]

TOPICS = ["the weather", "a football match", "a new smartphone", "the stock market", "a cooking recipe",
          "a trip to Japan", "quantum computing", "the history of Rome", "a jazz concert", "gardening in spring",
          "machine learning", "a mountain hike", "a court ruling", "electric cars", "a chess tournament",
          "the ocean tides", "a museum exhibition", "a software bug", "a birthday party", "climate policy"]
VERBS = ["talked about", "wrote a long essay on", "could not stop thinking about", "asked a question about",
         "published a report on", "made a short video about", "argued loudly over", "quietly researched"]
PEOPLE = ["My neighbour", "The professor", "A journalist", "Our team lead", "The children", "An old fisherman",
          "The committee", "A famous chef", "Two students", "The mayor"]

PARAGRAPH = (
    "Transformers process every token of a sentence in parallel, relating each position to all others through "
    "self-attention. Each layer mixes information across the sequence and then transforms every position with a "
    "small feed-forward network. Because the cost of attention grows with the square of the sequence length, "
    "practical systems truncate long inputs, batch texts of similar lengths together, and avoid spending work on "
    "padding. Sentence-embedding models add a pooling step that averages the token vectors, and often normalise "
    "the result to unit length so that a dot product equals the cosine similarity. "
)


def generated(rng: random.Random) -> list:
    texts = []
    for _ in range(110):
        sentence = f"{rng.choice(PEOPLE)} {rng.choice(VERBS)} {rng.choice(TOPICS)}"
        if rng.random() < 0.5:
            sentence += f" while {rng.choice(PEOPLE).lower()} {rng.choice(VERBS)} {rng.choice(TOPICS)}"
        texts.append(sentence + rng.choice([".", "!", "?", "...", ""]))
    # Long texts: past 256 WordPiece tokens so truncation bites, and one past 512.
    for repeat in (2, 3, 4):
        texts.append(PARAGRAPH * repeat)
    texts.append((PARAGRAPH + "Café, naïve, 東京, 😀. ") * 6)
    texts.append(" ".join(rng.choice(TOPICS) for _ in range(300)))
    texts.append("Ünïcödé " * 200)
    return texts


def main() -> None:
    texts = HAND_WRITTEN + generated(random.Random(20261123))
    out = ROOT / "Tests" / "Fixtures" / "texts" / "parity-texts.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for text in texts:
            handle.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    print(out, len(texts), "texts")


if __name__ == "__main__":
    main()
