#!/usr/bin/env python3
"""Makes tiny random-weight RoBERTa, XLM-RoBERTa and DistilBERT checkpoints and their PyTorch reference hidden states.

Writes, under Tests/Fixtures/:
  tiny-roberta/       RobertaModel (bare weight names, with pooler), pad_token_id 1
  tiny-xlm-roberta/   XLMRobertaForSequenceClassification: model_type xlm-roberta, weights under the task
                      prefix `roberta.` next to a classifier head, so loading must strip the prefix and set the
                      head aside; the reference is the encoder's (`model.roberta`) last hidden state
  tiny-distilbert/    DistilBertModel
each with config.json, model.safetensors and reference.json: token-id sequences of several lengths (run one at a
time, fp32, no padding, no attention mask) and the last hidden states. The RoBERTa cases include ids equal to
pad_token_id in the middle of a sequence, which RoBERTa's position ids treat specially.

tiny-roberta and tiny-distilbert also get a tiny WordPiece tokenizer.json (+ tokenizer_config.json) (Apus reads WordPiece; the point is the
sentence pipeline's plumbing, not RoBERTa's real BPE) and, in reference.json, the sentence embeddings
`SentenceTransformer(directory).encode(texts)` returns for it (Transformer + mean pooling).

Run: scripts/setup-dev-venv.sh && .venv/bin/python scripts/make_tiny_encoder_fixtures.py
"""
import json
import pathlib

import torch
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import (DistilBertConfig, DistilBertModel, RobertaConfig, RobertaModel, XLMRobertaConfig,
                          XLMRobertaForSequenceClassification)

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"
SIZES = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             max_position_embeddings=40, layer_norm_eps=1e-12,
             # A large initializer makes wrong masking/normalisation visible (0.02 gives near-uniform outputs).
             initializer_range=0.3)


def randomise_norms(model: torch.nn.Module) -> None:
    """LayerNorm weights start at 1/0; randomise them so a swapped gamma/beta is caught."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "layernorm" in name.lower() or "layer_norm" in name:
                parameter.copy_(torch.randn_like(parameter) * 0.5 + (1.0 if name.endswith("weight") else 0.0))


def write(name: str, model: torch.nn.Module, encoder: torch.nn.Module, sequences: list[list[int]]) -> None:
    out = FIXTURES / name
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    cases = []
    for ids in sequences:
        with torch.no_grad():
            hidden = encoder(input_ids=torch.tensor([ids])).last_hidden_state[0]
        cases.append({
            "ids": ids,
            "type_ids": [0] * len(ids),
            "hidden_states": [[float(f"{v:.9g}") for v in row] for row in hidden.tolist()],
        })
    (out / "reference.json").write_text(json.dumps({
        "made_by": "scripts/make_tiny_encoder_fixtures.py",
        "torch": torch.__version__,
        "cases": cases,
    }))
    print(out, sum(f.stat().st_size for f in out.iterdir()), "bytes")


SENTENCES = ["The cat sat on the mat.", "Big red dogs running in the sun!", "zzz", "a"]


def add_sentence_pipeline(name: str, texts: list[str]) -> None:
    """Writes a 55-token WordPiece tokenizer.json (ids below the models' vocab of 64) and the sentence embeddings."""
    out = FIXTURES / name
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = ["the", "cat", "sat", "on", "mat", "dog", "is", "##s", "##ing", "run", "red", "blue", "big", "small",
             ".", ",", "!", "?", "##ed", "sun", "sky", "in", "and", "of"]
    vocab = list(dict.fromkeys(special + [chr(c) for c in range(ord("a"), ord("z") + 1)] + words))
    assert len(vocab) <= SIZES["vocab_size"]
    tokenizer = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", vocab.index("[SEP]")), ("[CLS]", vocab.index("[CLS]")))
    tokenizer.save(str(out / "tokenizer.json"))
    # Without a tokenizer_class, transformers 5 builds the model type's own tokenizer (RoBERTa: byte-level BPE)
    # instead of running tokenizer.json as written.
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "pad_token": "[PAD]", "unk_token": "[UNK]",
        "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}, indent=2) + "\n")
    embedder = SentenceTransformer(str(out), device="cpu")
    embeddings = embedder.encode(texts, convert_to_numpy=True)
    reference = json.loads((out / "reference.json").read_text())
    reference["sentences"] = [{"text": text, "ids": tokenizer.encode(text).ids,
                               "embedding": [float(f"{v:.9g}") for v in vector.tolist()]}
                              for text, vector in zip(texts, embeddings)]
    (out / "reference.json").write_text(json.dumps(reference))


def random_sequences(seed: int, lengths: tuple[int, ...], avoid: int | None) -> list[list[int]]:
    """Random ids; `avoid` (the pad id) is replaced so that only the cases built for it contain it."""
    generator = torch.Generator().manual_seed(seed)
    sequences = []
    for length in lengths:
        ids = torch.randint(0, SIZES["vocab_size"], (length,), generator=generator).tolist()
        sequences.append([2 if avoid is not None and i == avoid else i for i in ids])
    return sequences


def make_roberta(seed: int) -> None:
    torch.manual_seed(seed)
    config = RobertaConfig(**SIZES, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    model = RobertaModel(config).eval()
    randomise_norms(model)
    # Longest usable: max_position_embeddings - pad_token_id - 1 = 38, as positions start at pad_token_id + 1.
    sequences = random_sequences(seed + 1, (1, 2, 5, 17, 38), avoid=1)
    # Pad ids inside a sequence: they take position pad_token_id and do not advance the count for later tokens.
    sequences.append([0, 5, 1, 1, 9, 33, 1, 7, 2])
    sequences.append([1, 4, 8])
    write("tiny-roberta", model, model, sequences)
    add_sentence_pipeline("tiny-roberta", SENTENCES)


def make_xlm_roberta(seed: int) -> None:
    torch.manual_seed(seed)
    config = XLMRobertaConfig(**SIZES, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                              num_labels=3, hidden_act="gelu_new")
    model = XLMRobertaForSequenceClassification(config).eval()
    randomise_norms(model)
    sequences = random_sequences(seed + 1, (1, 3, 11, 38), avoid=1)
    sequences.append([0, 12, 1, 40, 2])
    write("tiny-xlm-roberta", model, model.roberta, sequences)


def make_distilbert(seed: int) -> None:
    torch.manual_seed(seed)
    config = DistilBertConfig(vocab_size=64, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=40,
                              activation="gelu", initializer_range=0.3, pad_token_id=0)
    model = DistilBertModel(config).eval()
    randomise_norms(model)
    write("tiny-distilbert", model, model, random_sequences(seed + 1, (1, 2, 5, 17, 40), avoid=None))
    # The last text is 49 tokens with [CLS]/[SEP]: sentence-transformers truncates it to max_position_embeddings (40).
    add_sentence_pipeline("tiny-distilbert", SENTENCES + [" ".join(["the big dog"] * 15 + ["sat"])])


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_roberta(seed=2345)
    make_xlm_roberta(seed=3456)
    make_distilbert(seed=4567)
