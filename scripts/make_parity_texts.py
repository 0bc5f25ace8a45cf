#!/usr/bin/env python3
"""Writes Tests/Fixtures/texts/parity-texts.jsonl: the varied texts every tokenizer/embedding parity test uses.

One {"text": ...} per line (UTF-8, json.dumps(ensure_ascii=False)). Deterministic, no network, standard
library only. The reference outputs in Tests/Fixtures/minilm/ are computed from this file, so after changing
it run scripts/make_minilm_fixtures.py too.

Run: python3 scripts/make_parity_texts.py [OUTPUT]   (default Tests/Fixtures/texts/parity-texts.jsonl)

What is in it, in this order (indices are stable as long as the lists below are only appended to):
  EDGE_CASES        empty and whitespace-only strings, single characters, scripts, emoji, punctuation runs,
                    URLs, code, numbers, control characters, ligatures, full-width forms, special-token literals,
                    words longer than WordPiece's max_input_chars_per_word (100)
  SENTENCES         ordinary English of many lengths and topics (questions, news, reviews, instructions, chat)
  MULTILINGUAL      whole sentences in other languages and scripts, some mixed with English
  long_texts()      several texts past 256 WordPiece tokens (truncation bites) and one past 512
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Tests" / "Fixtures" / "texts" / "parity-texts.jsonl"

EDGE_CASES = [
    # Empty, whitespace-only, single characters.
    "", " ", "   ", "\t\n", "\n\n\n", "a", "A", ".", "!", "?",
    "Hello, world!", "The quick brown fox jumps over the lazy dog.",
    "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
    "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
    "I can't believe it's not butter!", "She said: \"don't go there\"—and left.", "It's 5 o'clock somewhere.",
    # Accented Latin, composed and decomposed (e + U+0301).
    "Café crème brûlée à la carte, naïve façade, jalapeño piñata.", "Über Größe: Straße, Fußgänger, schön.",
    "Tiếng Việt có nhiều dấu: Hà Nội, Thành phố Hồ Chí Minh.", "Ça va? Ñandú, smørrebrød, Ærø, Øresund.",
    "e\u0301te\u0301 (decomposed accents) vs été (composed).", "Ångström and résumé and coöperate.",
    # Scripts.
    "Ελληνικά: Καλημέρα κόσμε, ΣΊΣΥΦΟΣ.", "Русский текст: Привет, мир! Ёжик в тумане.",
    "العربية: مرحبا بالعالم", "עברית: שלום עולם", "हिन्दी: नमस्ते दुनिया, यह एक परीक्षण है।",
    "ภาษาไทย: สวัสดีชาวโลก", "中文：你好，世界！今天天气很好。", "日本語のテキスト：東京タワーは高いです。カタカナ、ひらがな。",
    "한국어: 안녕하세요 세계, 서울은 크다.", "Mixed 中文 and English text with 日本語 inside.", "𠀀𠀁 rare CJK extension B characters 𪜀",
    # Emoji: single, skin tones, ZWJ families, flags, variation selectors.
    "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️", "I ❤ NY 🗽", "🙂", "🤷‍♀️ shrug", "✓ done ✗ failed ★★★☆☆",
    # Punctuation runs, symbols, URLs, e-mail, paths, code, numbers.
    "!!!???...", "---", "«Bonjour»", "…", "((((nested))))", "$100 + €50 = £130?", "a-b_c/d\\e|f~g^h`i", "#hashtag @mention",
    "https://example.com/path?query=1&x=y#frag", "mail me at someone.name+tag@example.co.uk", "C:\\Program Files\\app.exe",
    "def f(x):\n    return x ** 2  # square", "for (int i = 0; i < n; ++i) { sum += a[i]; }", "<div class=\"x\">Hi</div>",
    "3.14159 2,718 1e-10 -42 +7 1/2 ½ ¾ 10%", "Call 555-0123 or +44 20 7946 0958.", "2024-01-31T12:00:00Z",
    # Case, Turkish i, sharp s, ligatures, full-width, title-case digraphs.
    "ALL CAPS SENTENCE ABOUT NOTHING", "MiXeD cAsE wOrDs", "İstanbul, ıspanak, İi Iı (Turkish dotted and dotless i)",
    "Straße ß ẞ", "ﬁne ﬂour ﬀ (ligatures)", "Ｆｕｌｌ－ｗｉｄｔｈ　ｔｅｘｔ　１２３", "ǅungla ǈ ǋ (title-case digraphs)",
    # Control and invisible characters.
    "nul\u0000byte", "zero\u200bwidth\u200bspace", "soft\u00adhyphen", "tab\there", "carriage\rreturn", "line\nbreak",
    "bell\u0007char", "replacement \ufffd char", "non\u00a0breaking\u00a0space", "ideographic\u3000space", "\u2028line separator",
    # Special tokens written literally.
    "[CLS] literal special tokens [SEP] and [MASK] and [PAD] and [UNK]", "[cls] lower-case lookalikes [sep]",
    # Long words around max_input_chars_per_word = 100.
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
    # More edge cases.
    "Z\u0351\u0368\u0315a\u0336\u0317l\u0350g\u0327\u034do\u0334\u0316 text with stacked combining marks",
    "n\u0303 a\u0308 o\u0302 u\u030a c\u0327 (base letters followed by combining marks)",
    "Zażółć gęślą jaźń; Příliš žluťoučký kůň; Þórður og Ðórhildur.",
    "Українська: Їжак, єнот і ґава п'ють чай.",
    "فارسی با نیم\u200cفاصله: می\u200cخواهم کتاب\u200cها را بخوانم.",
    "Keycaps 1️⃣2️⃣3️⃣, rainbow flag 🏳️‍🌈, pirate 🏴‍☠️, Scotland 🏴󠁧󠁢󠁳󠁣󠁴󠁿, woman technologist 👩🏿‍💻, handshake 🫱🏻‍🫲🏾",
    "👋🏻👋🏼👋🏽👋🏾👋🏿",
    "🎉🎉🎉 Congratulations!!! 🎉🎉🎉",
    "hello[MASK]world and [SEP][SEP][CLS]",
    "The answer is [MASK].",
    "\ufeffbyte order mark at the start",
    "left-to-right \u202eoverride\u202c and escape \u001b[31mred\u001b[0m and delete\u007f",
    "ZWJ alone \u200d and ZWNJ alone \u200c between words",
    "‘Curly quotes’ and “double curly quotes” and „German quotes“ and ‹single guillemets›",
    "em—dash, en–dash, minus − sign, and a figure ‒ dash",
    "....................................................................................",
    "?!?!?!?!?! ¿¡Qué!? ‽",
    "ＡＢＣ１２３！？ｱｲｳ (half-width katakana) ㈱ ㍿ ℡ №",
    "Ⅻ Ⅳ ⅷ roman numerals, ① ② ③ circled digits, ⁴²  superscripts, ₂₀ subscripts",
    "sha256: 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db53aa51172d142c89d9012cce15ae4d6c",
    "https://docs.example.org/en/latest/reference/api/very/deep/path/to/a/page/that/goes/on/and/on/index.html?utm_source=newsletter&utm_medium=email",
    "SELECT name, COUNT(*) FROM users WHERE created_at > '2023-01-01' GROUP BY name ORDER BY 2 DESC;",
    "{\"id\": 42, \"tags\": [\"a\", \"b\"], \"nested\": {\"ok\": true, \"value\": null}}",
    "let x: [Int: String] = [:] // Swift dictionary literal\nguard let y = x[0] else { return }",
    "$ sudo apt-get install -y build-essential && make -j$(nproc) 2>&1 | tee build.log",
    "Prices: ¥1,200 / ₹499 / ₩15,000 / ₽350 / 0.5 BTC / US$ 9.99 / 12,50 € TTC",
    "Temperatures ranged from −12.5 °C to 38 °F; humidity 85 %; wind 15 km/h NNW.",
    "Version 2.13.0+cpu, v1.0.0-rc.1, build #4521, PR #1337 merged into main@a1b2c3d.",
    "IPv4 192.168.0.1, IPv6 fe80::1ff:fe23:4567:890a, MAC 00:1A:2B:3C:4D:5E",
    "เชียงใหม่เป็นเมืองที่สวยงามมากและมีวัดเก่าแก่หลายแห่งที่นักท่องเที่ยวควรไปเยี่ยมชมอย่างน้อยหนึ่งครั้งในชีวิตของพวกเขาทุกคนที่มาเที่ยวประเทศไทย",
    "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft",
    "I",
    "é",
    "中",
    "😀",
    "\u00ad",
    "\u200b",
]

SENTENCES = [
    "Can you recommend a good book about the history of mathematics?",
    "The train to Edinburgh was delayed by forty minutes because of a signal failure near York.",
    "Preheat the oven to 200 degrees, then roast the vegetables for about twenty-five minutes.",
    "I bought these headphones last month and the left ear cup already stopped working.",
    "Scientists have discovered a new species of frog in the cloud forests of Ecuador.",
    "The meeting has been moved to Thursday at 3 pm; please update your calendars.",
    "Is it safe to take ibuprofen and paracetamol at the same time?",
    "Our team won the regional championship after a nail-biting penalty shootout.",
    "Water boils at a lower temperature at high altitude because the air pressure is lower.",
    "The contract may be terminated by either party with thirty days' written notice.",
    "My cat refuses to eat anything except one particular brand of salmon pâté.",
    "Global shipping costs fell sharply in the second half of the year as demand cooled.",
    "Remember to water the tomatoes every morning during the heat wave.",
    "What time does the pharmacy on Main Street close on Sundays?",
    "The novel follows three generations of a family living through the partition of India.",
    "Click the gear icon in the top right corner, then choose Settings and Privacy.",
    "The bridge was closed for repairs after inspectors found cracks in two of its supports.",
    "Honestly, the sequel was better than the original film, which almost never happens.",
    "She has been learning the cello for six years and just passed her grade eight exam.",
    "The city council voted seven to two to expand the bike lane network downtown.",
    "Why does my laptop battery drain so quickly even when it's asleep?",
    "Volcanic eruptions can cool the planet for a year or two by injecting sulfur into the stratosphere.",
    "Thanks so much for your help yesterday, I really appreciate it!",
    "The hotel room was clean and quiet, but the breakfast was disappointing.",
    "To install the package, run the installer and follow the instructions on screen.",
    "Interest rates on savings accounts have risen for the third consecutive quarter.",
    "A healthy adult needs between seven and nine hours of sleep per night.",
    "The museum's new wing houses a collection of Impressionist paintings donated by a local family.",
    "Our flight was cancelled, so we spent the night sleeping on the airport floor.",
    "How many cups of flour do I need for a dozen pancakes?",
    "The defendant pleaded not guilty to all charges and was released on bail.",
    "Researchers trained the model on millions of question-answer pairs scraped from forums.",
    "The river floods almost every spring when the snow in the mountains melts.",
    "I'm looking for a quiet café where I can work on my laptop for a few hours.",
    "The orchestra will perform Beethoven's Ninth Symphony on New Year's Eve.",
    "Customer support never replied to my email, so I filed a complaint.",
    "Bees communicate the location of flowers to each other through a waggle dance.",
    "The company announced it would cut 1,200 jobs as part of a restructuring plan.",
    "Please make sure all luggage is stowed in the overhead compartments before takeoff.",
    "He ran the marathon in just under three hours despite the heat.",
    "What is the difference between a virus and a bacterium?",
    "The app crashes every time I try to upload a photo larger than ten megabytes.",
    "Local farmers are struggling after the driest summer on record.",
    "Learning to ride a bicycle as an adult is harder than it looks, but entirely possible.",
    "The library is extending its opening hours during the exam period.",
    "Do you know whether the museum is free on the first Sunday of the month?",
    "The Great Wall of China is not visible from space with the naked eye.",
    "Our landlord finally agreed to fix the leaking roof after three months of complaints.",
    "The vaccine was approved for children aged five and older after a large clinical trial.",
    "Add a pinch of salt to the pasta water once it comes to a rolling boil.",
    "I think the meeting could have been an email.",
    "The spacecraft entered orbit around Mars after a seven-month journey.",
    "Stock markets in Asia opened lower following overnight losses on Wall Street.",
    "The kids spent the whole afternoon building a sandcastle with a moat.",
    "Where can I find the user manual for an older model of this washing machine?",
    "The restaurant earned its first Michelin star just two years after opening.",
    "Regular exercise reduces the risk of heart disease, diabetes and depression.",
    "The printer keeps saying it's out of paper even though the tray is full.",
    "Archaeologists uncovered a Roman mosaic beneath a car park in the town centre.",
    "She quit her job in finance to open a small bakery in her home town.",
    "The new law requires all new buildings to have solar panels on their roofs.",
    "Could you send me the slides from this morning's presentation?",
    "Elephants can recognise themselves in a mirror, a sign of self-awareness.",
    "Traffic on the motorway was backed up for miles after a lorry overturned.",
    "I've been trying to cut down on sugar, but chocolate is my weakness.",
    "The software update fixes several security vulnerabilities and improves battery life.",
    "The referee's decision to award a penalty sparked furious protests from the home fans.",
    "A good night's sleep before an exam is worth more than a night of cramming.",
    "The tenant must return the keys on or before the last day of the lease.",
    "Penguins huddle together in large groups to survive the Antarctic winter.",
    "My grandmother's recipe calls for buttermilk, but plain yoghurt works just as well.",
    "Which programming language should I learn first if I want to build websites?",
    "The storm knocked out power to more than fifty thousand homes overnight.",
    "The painting was sold at auction for a record price of 91 million dollars.",
    "We're out of milk, can you pick some up on your way home?",
    "The Amazon rainforest produces a significant share of the world's oxygen, though estimates vary.",
    "Battery electric vehicles accounted for almost a fifth of new car sales last year.",
    "The professor extended the deadline for the term paper by one week.",
    "I missed the bus again this morning, so I walked to work in the rain.",
    "Jupiter has at least ninety-five moons, the largest of which is Ganymede.",
    "The function returns null when the input list is empty, which breaks the caller.",
    "After years of decline, the town's population has started growing again.",
    "Is there a vegetarian option on the set menu?",
    "The documentary explores how social media has changed the way teenagers make friends.",
    "We hiked to the summit before sunrise and watched the clouds roll in below us.",
    "The central bank warned that inflation could remain above target well into next year.",
    "lol that's hilarious 😂 send me the link",
    "brb, grabbing coffee",
    "idk what u mean tbh",
    "New York Times best-selling author J. K. Rowling visited St. Andrews on Oct. 5th.",
    "Dr. Smith, Ph.D., works at the U.S. Dept. of Energy in Washington, D.C.",
    "The patient's blood pressure was 120/80 mmHg and her heart rate 72 bpm.",
    "Q: Is the Earth flat? A: No, it is an oblate spheroid.",
    "Step 1: Unplug the router. Step 2: Wait ten seconds. Step 3: Plug it back in.",
    "Terms and conditions apply. Offer valid while stocks last. See store for details.",
    "Error: could not open file 'config.yaml' (No such file or directory).",
    "The quick brown fox jumps over the lazy dog while the lazy dog sleeps under the old oak tree.",
    "Please reply STOP to unsubscribe from these messages.",
    "WARNING: DO NOT OPERATE HEAVY MACHINERY AFTER TAKING THIS MEDICATION.",
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.",
    "In 1969, Neil Armstrong and Buzz Aldrin became the first people to walk on the Moon.",
    "The recipe serves 4–6 people and takes about 1½ hours, including 20 min of preparation.",
    "Our Wi-Fi password is on the fridge; the guest network doesn't need one.",
    "Fun fact: octopuses have three hearts and blue blood.",
    "The jury deliberated for nine hours before returning a unanimous verdict.",
    "Gene editing tools such as CRISPR allow scientists to change DNA with remarkable precision.",
    "He said he'd be here by eight, but it's already half past nine.",
    "The farmers' market on Saturday sells fresh bread, local cheese and seasonal fruit.",
    "Keep this product out of reach of children and store below 25 °C.",
    "My flight lands at 6:45 a.m., so I'll probably need a taxi from the airport.",
    "Several countries have pledged to reach net-zero emissions by 2050.",
    "Haha, no way! Did he really say that?",
    "The algorithm runs in O(n log n) time and uses O(1) extra memory.",
    "The children's choir sang carols in the town square on Christmas Eve.",
]

MULTILINGUAL = [
    "Le gouvernement français a annoncé de nouvelles mesures pour soutenir les agriculteurs touchés par la sécheresse.",
    "Où se trouve la gare la plus proche, s'il vous plaît ?",
    "Die Bundesregierung plant, den Ausbau erneuerbarer Energien bis 2030 deutlich zu beschleunigen.",
    "Könnten Sie mir bitte sagen, wie spät es ist?",
    "El equipo celebró su victoria con miles de aficionados en la plaza mayor de la ciudad.",
    "¿Cuánto cuesta un billete de ida y vuelta a Barcelona?",
    "O tempo em Lisboa estará ensolarado durante todo o fim de semana, com máximas de 28 graus.",
    "La pizza napoletana è stata riconosciuta come patrimonio culturale immateriale dall'UNESCO.",
    "Tôi muốn đặt một bàn cho bốn người vào tối thứ Bảy.",
    "Türkiye'nin en kalabalık şehri İstanbul, iki kıtaya yayılmıştır.",
    "Het weer in Amsterdam is vandaag wisselvallig met af en toe een bui.",
    "Sztuczna inteligencja zmienia sposób, w jaki pracujemy i się uczymy.",
    "Η Ακρόπολη της Αθήνας είναι ένα από τα πιο γνωστά μνημεία του κόσμου.",
    "Москва является столицей и крупнейшим городом России.",
    "Сегодня я иду в магазин за хлебом и молоком.",
    "القاهرة هي عاصمة مصر وأكبر مدنها، ويبلغ عدد سكانها أكثر من عشرين مليون نسمة.",
    "תל אביב היא עיר שוכנת לחוף הים התיכון.",
    "भारत एक विशाल देश है जहाँ अनेक भाषाएँ बोली जाती हैं।",
    "मुझे 3 किलो आलू और 2 लीटर दूध चाहिए।",
    "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "我昨天在网上买了一台新的笔记本电脑，价格是5999元。",
    "機械学習は人工知能の一分野であり、データから学習するアルゴリズムを研究する。",
    "明日の会議は午後3時からです。よろしくお願いします。",
    "서울은 대한민국의 수도이며 인구가 약 천만 명이다.",
    "오늘 저녁에 뭐 먹을래? 치킨 어때?",
    "我们用PyTorch训练了一个BERT模型，在GLUE benchmark上取得了SOTA结果。",
    "iPhone 15のバッテリーは一日中持ちますか？",
    "이번 주말에 Netflix에서 새로 나온 드라마를 봤어요.",
    "The word 'café' comes from the Turkish 'kahve', via Italian 'caffè'.",
    "Ich habe gestern einen sehr interessanten Artikel über Quantencomputer gelesen, aber ehrlich gesagt nicht alles verstanden.",
    "Mon grand-père m'a appris à pêcher quand j'avais sept ans, au bord du lac d'Annecy.",
    "Hyvää huomenta! Miten voit tänään?",
    "Jag älskar att promenera i skogen på hösten när löven skiftar färg.",
    "Ik ga morgen met de fiets naar mijn werk als het niet regent.",
    "Dzień dobry, czy mogę prosić o rachunek?",
]

# Long passages written for this file; joined they run past 256 WordPiece tokens (and one past 512).
LONG_PARAGRAPHS = [
    "The history of the bicycle is a story of many small improvements rather than a single invention. The "
    "earliest two-wheeled machines, built in Germany in the early nineteenth century, had no pedals at all: riders "
    "pushed themselves along with their feet and coasted downhill. Pedals attached directly to the front wheel "
    "arrived decades later, and because each turn of the pedals moved the bicycle only as far as the circumference "
    "of that wheel, manufacturers built ever larger front wheels to go faster. The resulting high-wheelers were fast "
    "but dangerous, and a rider who hit a stone could be thrown head first over the handlebars. The so-called safety "
    "bicycle of the 1880s solved the problem with a chain drive to the rear wheel, two wheels of equal size, and soon "
    "afterwards pneumatic tyres. Its basic shape has barely changed since.",
    "Sourdough bread relies on a culture of wild yeast and lactic acid bacteria instead of commercial yeast. To keep "
    "a starter alive, bakers feed it regularly with equal weights of flour and water, discarding part of it each "
    "time so that it does not grow without limit. A healthy starter roughly doubles in volume within a few hours of "
    "feeding and smells pleasantly sour. The dough itself is usually mixed the evening before baking, folded several "
    "times during the first few hours, shaped, and then left to rise slowly in the refrigerator overnight. The long, "
    "cold fermentation develops flavour and makes the loaf easier to digest. Baking in a preheated cast-iron pot with "
    "the lid on traps steam during the first twenty minutes, which lets the crust stay soft long enough for the loaf "
    "to expand fully before it sets and browns.",
    "When the support team receives a ticket, the first step is to reproduce the problem on a clean installation. "
    "Many reports turn out to be caused by outdated drivers, conflicting browser extensions, or a corporate proxy "
    "that rewrites requests. If the problem can be reproduced, the engineer records the exact steps, the software "
    "version, and the operating system, and attaches any relevant log files before escalating the ticket to the "
    "development team. If it cannot be reproduced, the engineer asks the customer for a screen recording and the "
    "output of the diagnostics tool, which collects configuration details without including personal data. Tickets "
    "that receive no reply from the customer for fourteen days are closed automatically, but they can be reopened at "
    "any time simply by replying to the last message in the thread.",
    "Coral reefs cover less than one percent of the ocean floor, yet they are home to roughly a quarter of all marine "
    "species. The reefs are built by tiny animals called polyps, which live in colonies and secrete skeletons of "
    "calcium carbonate. Most reef-building corals depend on microscopic algae that live inside their tissues and "
    "provide them with food through photosynthesis; in return, the algae receive shelter and nutrients. When the "
    "water becomes too warm for too long, this partnership breaks down and the corals expel the algae, turning white "
    "in a process known as bleaching. Bleached corals are not dead, and they can recover if temperatures fall again "
    "quickly enough, but repeated bleaching events leave them weak, hungry and vulnerable to disease.",
]


def long_texts() -> list:
    """Texts past 256 WordPiece tokens, and one past 512."""
    paragraphs = LONG_PARAGRAPHS
    return [
        paragraphs[0] + " " + paragraphs[1],                        # ~330 tokens
        paragraphs[2] + "\n\n" + paragraphs[3],                      # ~310 tokens, with a blank line
        " ".join(paragraphs),                                        # ~650 tokens: past 512
        paragraphs[1] + " Café, naïve, 東京, 😀. " + paragraphs[3],  # long with mixed scripts
        "Ünïcödé " * 200,                                            # long, accent-heavy, a few distinct pieces
        " ".join(SENTENCES[:40]),                                    # a long run of unrelated sentences
    ]


def main() -> None:
    texts = EDGE_CASES + SENTENCES + MULTILINGUAL + long_texts()
    output = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="\n") as handle:
        for text in texts:
            handle.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    print(output, len(texts), "texts")


if __name__ == "__main__":
    main()
