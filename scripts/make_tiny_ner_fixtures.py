#!/usr/bin/env python3
"""Makes a tiny random-weight BertForTokenClassification checkpoint and its PyTorch/transformers references.

Writes Tests/Fixtures/tiny-bert-ner/:
  config.json, model.safetensors   save_pretrained of a 2-layer, 32-wide BERT with 7 BIO labels
                                   (O, B-PER, I-PER, B-LOC, I-LOC, B-ORG, I-ORG)
  tokenizer.json, tokenizer_config.json
                                   a WordPiece tokenizer over a hand-written vocabulary whose "##" pieces split
                                   names into several tokens; model_max_length 40 so long texts are truncated
  reference.json                   for each text: the ids, tokens and character offsets the pipeline's tokenizer
                                   gives, the per-token logits of the model (fp32, one text at a time), and the
                                   output of transformers.pipeline("ner", aggregation_strategy=S) for
                                   S in none, simple, first, average, max (scores rounded to 6 digits)

The classifier is scaled and biased so that the random model predicts a mix of entity labels rather than all "O",
and so that B-/I- grouping, subword merging and each strategy's tie-breaking all have something to do.

Run: /work/venv-dev/bin/python scripts/make_tiny_ner_fixtures.py (torch, transformers, tokenizers)
"""
import json
import pathlib

import numpy
import torch
from tokenizers import BertWordPieceTokenizer
from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast, pipeline

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tiny-bert-ner"

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]

# Special tokens first; "##" pieces make names split ("johnson" → john ##son, "merkel" → mer ##kel).
VOCABULARY = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    ".", ",", "!", "?", "'", "-", ":",
    "john", "##son", "angela", "mer", "##kel", "jo", "##se", "mr", "smith",
    "new", "york", "paris", "berlin", "ber", "##lin", "zur", "##ich", "ca", "##fe", "de", "flore",
    "micro", "##soft", "apple", "un", "##ited", "nations", "google",
    "lives", "live", "##s", "in", "works", "work", "at", "for", "and", "the", "not", "visited", "to", "from",
    "is", "a", "city", "company", "met", "with", "##er", "##ly", "##ed", "today",
]
assert len(VOCABULARY) == 64 and len(set(VOCABULARY)) == 64

MAX_LENGTH = 40

TEXTS = [
    "John Johnson lives in New York.",
    "Angela Merkel visited Paris and Berlin!",
    "José works at Microsoft in Zürich, not Apple.",
    "",
    "Paris, Paris, PARIS: Berlin-Berlin.",
    "Xylophones met john smith at Google today",
    # A decomposed accent: "Cafe\u0301" normalises to "cafe" (4 characters) from 5, which the pipeline's
    # length test reads as a subword.
    "Cafe\u0301 de Flore is a company in Paris.",
    # Past model_max_length: the pipeline truncates to 40 tokens.
    " ".join(["John Smith works for the United Nations in New York and lives in Berlin."] * 4),
]

STRATEGIES = ["none", "simple", "first", "average", "max"]


def rounded(value):
    """JSON-friendly copies of pipeline values: numpy scalars to Python, floats to 6 digits."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    if isinstance(value, (float, numpy.floating)):
        return round(float(value), 6)
    if isinstance(value, numpy.integer):
        return int(value)
    return value


def main() -> None:
    torch.manual_seed(2468)
    torch.set_num_threads(1)
    config = BertConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=MAX_LENGTH, type_vocab_size=2,
        hidden_act="gelu", layer_norm_eps=1e-12,
        # A large initializer makes wrong masking/normalisation visible (0.02 gives near-uniform outputs).
        initializer_range=0.3,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={name: index for index, name in enumerate(LABELS)},
    )
    model = BertForTokenClassification(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            # LayerNorm weights start at 1/0; randomise them so a swapped gamma/beta is caught.
            if "LayerNorm" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            # transformers zeroes biases at init; random ones catch a head that drops them.
            elif name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.3)
        # A random classifier over these hidden states favours one label everywhere. Standardise each label's
        # logit over the fixture's tokens (zero mean, spread 2.5), so every label wins somewhere and the
        # strategies disagree; "O" gets a head start as in a trained model.
        probe = BertWordPieceTokenizer({token: index for index, token in enumerate(VOCABULARY)}, lowercase=True)
        hidden = torch.cat([model.bert(input_ids=torch.tensor([probe.encode(text).ids[:MAX_LENGTH]]))[0][0]
                            for text in TEXTS])  # [tokens, hidden]
        raw = hidden @ model.classifier.weight.T  # [tokens, labels]
        scale = 2.5 / raw.std(0)
        model.classifier.weight.mul_(scale[:, None])
        model.classifier.bias.copy_(-raw.mean(0) * scale + torch.tensor([1.0, 0, 0, 0, 0, 0, 0]))

    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT, safe_serialization=True)
    backend = BertWordPieceTokenizer({token: index for index, token in enumerate(VOCABULARY)}, lowercase=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend._tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=MAX_LENGTH)
    tokenizer.save_pretrained(OUT)
    for extra in ["special_tokens_map.json"]:
        (OUT / extra).unlink(missing_ok=True)

    ner = {strategy: pipeline("token-classification", model=str(OUT), tokenizer=str(OUT),
                              aggregation_strategy=strategy, device="cpu")
           for strategy in STRATEGIES}
    pipeline_tokenizer = ner["none"].tokenizer
    cases = []
    label_counts = {label: 0 for label in LABELS}
    for text in TEXTS:
        encoding = pipeline_tokenizer(text, truncation=True, return_offsets_mapping=True)
        ids = encoding["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        for row in logits.argmax(-1).tolist():
            label_counts[LABELS[row]] += 1
        cases.append({
            "text": text,
            "ids": ids,
            "tokens": pipeline_tokenizer.convert_ids_to_tokens(ids),
            "offsets": [list(pair) for pair in encoding["offset_mapping"]],
            "logits": [[float(f"{value:.7g}") for value in row] for row in logits.tolist()],
            "entities": {strategy: rounded(ner[strategy](text)) for strategy in STRATEGIES},
        })
    (OUT / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_ner_fixtures.py",
        "torch": torch.__version__,
        "labels": LABELS,
        "max_length": MAX_LENGTH,
        "cases": cases,
    }, indent=1, ensure_ascii=False) + "\n")
    print("argmax labels over all tokens:", label_counts)
    print(OUT, sum(f.stat().st_size for f in OUT.iterdir()), "bytes")


if __name__ == "__main__":
    main()
