#!/usr/bin/env python3
"""Reference outputs of sentence-transformers/all-MiniLM-L6-v2 for the Swift parity tests.

Reads Tests/Fixtures/texts/parity-texts.jsonl (scripts/make_parity_texts.py) and the model in Hub layout
(default <repo>/.cache/models/all-MiniLM-L6-v2, made by scripts/fetch-minilm.sh) and writes
Tests/Fixtures/minilm/:
  input_ids.jsonl              {"index", "ids"} per text: ids exactly as SentenceTransformer.tokenize feeds the
                               model (truncated to max_seq_length 256), padding removed
  embeddings.npy               float32 [n, 384]: SentenceTransformer.encode(batch_size=32), i.e.
                               Transformer -> Pooling(mean) -> Normalize
  embeddings-unnormalized.npy  float32 [n, 384]: the same model rebuilt from modules 0 and 1 only (no Normalize)
  hidden_states.npy            float32 [total tokens, 384]: module 0's token_embeddings (last hidden states) of a
                               subset of texts, each text run alone (no padding rows), rows concatenated
  hidden_states.json           {"indices": [...], "lengths": [...]}: which texts, and how many rows each
  pooling/<mode>.npy           float32 [subset, 384]: sentence-transformers' own Pooling module in each mode
                               (cls, max, mean, mean_sqrt_len, weightedmean, lasttoken) on those token
                               embeddings, unnormalised
  tokenizer.jsonl              Hugging Face `tokenizers` encodings of every text straight from tokenizer.json:
                               ids, type ids, offsets, special-token mask, truncated ids (256), decode, and
                               every third text paired with the next one (longest-first truncation to 64)
  versions.json                library versions, Python version, model weights sha256, text count
Deterministic: CPU, fp32, one torch thread, no dropout (eval mode), no randomness.

Run: scripts/setup-dev-venv.sh && .venv/bin/python scripts/make_minilm_fixtures.py [MODEL_DIR]
     (or /work/venv-dev/bin/python on the project's dev machines)
"""
import argparse
import hashlib
import json
import pathlib
import platform

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

try:  # sentence-transformers >= 6 moved the modules; older releases have them in sentence_transformers.models.
    from sentence_transformers.sentence_transformer.modules import Pooling
except ImportError:
    from sentence_transformers.models import Pooling

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEXTS = ROOT / "Tests" / "Fixtures" / "texts" / "parity-texts.jsonl"
OUT = ROOT / "Tests" / "Fixtures" / "minilm"
MAX_SEQ_LENGTH = 256
BATCH_SIZE = 32

# Texts whose last hidden states and pooled vectors are stored (looked up by content, so they survive
# reordering of the parity texts). The long one that gets truncated at 256 tokens is added in subset_indices.
HIDDEN_STATE_TEXTS = [
    "",                                                                     # empty: [CLS] [SEP] only
    "   ",                                                                  # whitespace only
    "Hello, world!",                                                        # short
    "中文：你好，世界！今天天气很好。",                                        # CJK, many [UNK]
    "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️",                                   # emoji -> [UNK]
    "Café crème brûlée à la carte, naïve façade, jalapeño piñata.",         # accents stripped by lower-casing
    "e\u0301te\u0301 (decomposed accents) vs été (composed).",              # combining marks
    "한국어: 안녕하세요 세계, 서울은 크다.",                                     # Hangul split into jamo
    "[CLS] literal special tokens [SEP] and [MASK] and [PAD] and [UNK]",    # special tokens written literally
    "我们用PyTorch训练了一个BERT模型，在GLUE benchmark上取得了SOTA结果。",   # CJK mixed with Latin
    "How do I reset my password if I no longer have access to my email?",   # medium
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.",
]
POOLING_MODES = {  # file name -> sentence-transformers pooling_mode
    "cls": "cls", "max": "max", "mean": "mean", "mean_sqrt_len": "mean_sqrt_len_tokens",
    "weightedmean": "weightedmean", "lasttoken": "lasttoken",
}


def load_texts(path: pathlib.Path) -> list:
    with path.open(encoding="utf-8", newline="\n") as handle:
        return [json.loads(line)["text"] for line in handle.read().split("\n") if line]


def sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def features_of(model: SentenceTransformer, text: str) -> dict:
    """The model's input features for one text, as encode() makes them (`tokenize` was renamed `preprocess` in 6.x)."""
    preprocess = getattr(model, "preprocess", None) or model.tokenize
    return preprocess([text])


def unpadded_ids(model: SentenceTransformer, text: str) -> list:
    features = features_of(model, text)
    return features["input_ids"][0][features["attention_mask"][0] == 1].tolist()


def subset_indices(texts: list, ids: list) -> list:
    missing = [text for text in HIDDEN_STATE_TEXTS if text not in texts]
    if missing:
        raise SystemExit(f"hidden-state texts missing from the parity texts: {missing!r}")
    indices = [texts.index(text) for text in HIDDEN_STATE_TEXTS]
    truncated = [i for i, row in enumerate(ids) if len(row) == MAX_SEQ_LENGTH]
    if not truncated:
        raise SystemExit(f"no parity text reaches {MAX_SEQ_LENGTH} tokens")
    indices.append(truncated[0])
    return indices


def write_input_ids(out: pathlib.Path, ids: list) -> None:
    with (out / "input_ids.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for index, row in enumerate(ids):
            handle.write(json.dumps({"index": index, "ids": row}) + "\n")


def write_hidden_states_and_pooling(out: pathlib.Path, model: SentenceTransformer, texts: list, subset: list) -> int:
    rows, lengths, per_text = [], [], []
    pooled = {name: [] for name in POOLING_MODES}
    poolers = {name: Pooling(384, pooling_mode=mode) for name, mode in POOLING_MODES.items()}
    with torch.inference_mode():
        for index in subset:
            features = features_of(model, texts[index])
            output = model[0](dict(features))
            token_embeddings = output["token_embeddings"][0]
            per_text.append(token_embeddings)
            rows.append(token_embeddings.numpy())
            lengths.append(int(token_embeddings.shape[0]))
            for name, pooler in poolers.items():
                pooled[name].append(pooler(dict(output))["sentence_embedding"][0].numpy())

        # Sanity check of the reference itself: the same Pooling modules on one right-padded batch of these
        # token embeddings (padding rows filled with a large value that must be masked out) agree.
        width = max(lengths)
        batch = torch.full((len(subset), width, 384), 1e4)
        mask = torch.zeros((len(subset), width), dtype=torch.int64)
        for row, embeddings in enumerate(per_text):
            batch[row, : embeddings.shape[0]] = embeddings
            mask[row, : embeddings.shape[0]] = 1
        for name, pooler in poolers.items():
            padded = pooler({"token_embeddings": batch, "attention_mask": mask})["sentence_embedding"].numpy()
            difference = float(np.abs(padded - np.stack(pooled[name])).max())
            if difference > 1e-5:
                raise SystemExit(f"pooling {name}: padded batch differs from per-text pooling by {difference}")

    np.save(out / "hidden_states.npy", np.concatenate(rows).astype(np.float32))
    (out / "hidden_states.json").write_text(json.dumps({"indices": subset, "lengths": lengths}) + "\n")
    (out / "pooling").mkdir(exist_ok=True)
    for name, vectors in pooled.items():
        np.save(out / "pooling" / f"{name}.npy", np.stack(vectors).astype(np.float32))
    return sum(lengths)


def write_tokenizer_reference(out: pathlib.Path, model_dir: pathlib.Path, texts: list) -> None:
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    with (out / "tokenizer.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for index, text in enumerate(texts):
            tokenizer.no_truncation()
            plain = tokenizer.encode(text)
            tokenizer.enable_truncation(MAX_SEQ_LENGTH)
            truncated = tokenizer.encode(text)
            record = {"index": index, "ids": plain.ids, "type_ids": plain.type_ids, "offsets": plain.offsets,
                      "special_tokens_mask": plain.special_tokens_mask, "truncated_ids": truncated.ids,
                      "decoded": tokenizer.decode(plain.ids)}
            if index + 1 < len(texts) and index % 3 == 0:
                tokenizer.enable_truncation(64)
                pair = tokenizer.encode(text, texts[index + 1])
                record["pair"] = {"with": index + 1, "ids": pair.ids, "type_ids": pair.type_ids, "offsets": pair.offsets}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def report_tokenization(model_dir: pathlib.Path, texts: list, ids: list) -> None:
    """Prints what is worth knowing about how the texts tokenise: truncation, and any text where
    sentence-transformers' ids differ from tokenizers' own encoding truncated to 256."""
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    for index, text in enumerate(texts):
        full = tokenizer.encode(text).ids
        if len(full) > MAX_SEQ_LENGTH:
            print(f"  text {index}: {len(full)} tokens, truncated to {len(ids[index])}")
        expected = full[: MAX_SEQ_LENGTH - 1] + [full[-1]] if len(full) > MAX_SEQ_LENGTH else full
        if ids[index] != expected:
            print(f"  text {index} {text[:40]!r}: sentence-transformers ids differ from tokenizers' own")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model_dir", nargs="?", default=str(ROOT / ".cache" / "models" / "all-MiniLM-L6-v2"))
    parser.add_argument("--texts", default=str(TEXTS), help="parity texts (default: %(default)s)")
    parser.add_argument("--out", default=str(OUT), help="output folder (default: %(default)s)")
    args = parser.parse_args()
    model_dir, out = pathlib.Path(args.model_dir), pathlib.Path(args.out)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    texts = load_texts(pathlib.Path(args.texts))
    out.mkdir(parents=True, exist_ok=True)

    model = SentenceTransformer(str(model_dir), device="cpu")
    model.eval()
    if model.max_seq_length != MAX_SEQ_LENGTH:
        raise SystemExit(f"{model_dir}: max_seq_length is {model.max_seq_length}, expected {MAX_SEQ_LENGTH}")
    if [type(module).__name__ for module in model] != ["Transformer", "Pooling", "Normalize"]:
        raise SystemExit(f"{model_dir}: unexpected modules {[type(module).__name__ for module in model]}")

    ids = [unpadded_ids(model, text) for text in texts]
    write_input_ids(out, ids)

    embeddings = model.encode(texts, batch_size=BATCH_SIZE, convert_to_numpy=True)
    np.save(out / "embeddings.npy", embeddings.astype(np.float32))
    unnormalized_model = SentenceTransformer(modules=[model[0], model[1]], device="cpu")
    unnormalized = unnormalized_model.encode(texts, batch_size=BATCH_SIZE, convert_to_numpy=True)
    np.save(out / "embeddings-unnormalized.npy", unnormalized.astype(np.float32))
    norms = np.linalg.norm(unnormalized, axis=1, keepdims=True)
    if float(np.abs(unnormalized / np.maximum(norms, 1e-12) - embeddings).max()) > 1e-6:
        raise SystemExit("normalised and unnormalised embeddings disagree: the Normalize module is not the last step")

    subset = subset_indices(texts, ids)
    rows = write_hidden_states_and_pooling(out, model, texts, subset)
    write_tokenizer_reference(out, model_dir, texts)

    (out / "versions.json").write_text(json.dumps({
        "sentence_transformers": sentence_transformers.__version__, "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__, "torch": torch.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "model": "sentence-transformers/all-MiniLM-L6-v2",
        "model_safetensors_sha256": sha256(model_dir / "model.safetensors"), "texts": len(texts),
    }, indent=2) + "\n")

    print(f"texts: {len(texts)}; hidden-state rows: {rows}; subset: {subset}")
    report_tokenization(model_dir, texts, ids)
    total = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(f"{out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
