#!/usr/bin/env python3
"""ONNX export of a BERT-family sentence-transformers model (all-MiniLM-L6-v2) for ONNX Runtime, verified.

Exports the model's BertModel (no pooling, no normalisation) with the legacy TorchScript exporter
(`torch.onnx.export(..., dynamo=False)`, opset 17): inputs input_ids, attention_mask, token_type_ids
(int64 [batch, sequence]), output last_hidden_state (float32 [batch, sequence, hidden]), batch and sequence
axes dynamic. Two traps with transformers 5.x are avoided (see shared/README.md, "Peer engines"):
  - its attention-mask utilities get traced with the dummy input's shape, so a small wrapper module builds the
    additive mask itself, (1 - mask) * finfo.min as [batch, 1, 1, sequence], which BertModel passes through;
  - the exporter can leave the module in training mode with dropout on, so .eval() is called before the export
    and again before the parity check.

The file is cached as <repo>/.cache/bench/onnx/<model folder name>-<key>/model.onnx, where the key hashes the
folder's absolute path and its model.safetensors size and modification time; it is exported only when missing
(or with --force), into a temporary name that is renamed into place once it passes the check. Every run checks
it: ONNX Runtime's last_hidden_state against PyTorch's BertModel (its own 2-D mask path) on real corpus texts in
batches of 1, 3 (mixed lengths, padded) and 2 (truncated to --max-length); a max |difference| above 1e-4 fails.

Prints the .onnx path as the last line of stdout; progress goes to stderr. scripts/bench_peers.py runs this.

Run: .venv/bin/python scripts/export_minilm_onnx.py [--model DIR] [--corpus FILE] [--max-length 256] [--force]
"""
import argparse
import hashlib
import os
import pathlib
import sys
import warnings

import numpy as np

from bench_peers import ROOT, load_tokenizer, read_corpus

OPSET = 17
PARITY_TOLERANCE = 1e-4  # max |ORT - PyTorch| over every last_hidden_state element, fp32 on both sides
ONNX_CACHE = ROOT / ".cache/bench/onnx"
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAME = "last_hidden_state"


def parse_arguments() -> argparse.Namespace:
    """Reads the command line."""
    parser = argparse.ArgumentParser(description="Export a BERT sentence-transformers model to ONNX and verify it.")
    parser.add_argument("--model", default=str(ROOT / ".cache/models/all-MiniLM-L6-v2"), help="Hub-layout model folder")
    parser.add_argument("--corpus", default=str(ROOT / ".cache/bench/corpus.txt"), help="texts for the parity check")
    parser.add_argument("--max-length", type=int, default=256, help="truncation length of the parity check's texts")
    parser.add_argument("--threads", type=int, default=2, help="torch and ONNX Runtime threads for the check")
    parser.add_argument("--force", action="store_true", help="export again even when the cached file exists")
    return parser.parse_args()


def cached_onnx_path(model_dir: pathlib.Path) -> pathlib.Path:
    """Where the export of `model_dir` lives: one folder per model folder and weights file version."""
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise SystemExit(f"export_minilm_onnx: {weights} not found (make the model with scripts/fetch-minilm.sh)")
    status = weights.stat()
    key = hashlib.sha256(f"{model_dir.resolve()}|{status.st_size}|{status.st_mtime_ns}".encode()).hexdigest()[:12]
    return ONNX_CACHE / f"{model_dir.name}-{key}" / "model.onnx"


def load_bert(model_dir: pathlib.Path):
    """The model folder's BertModel in eval mode, fp32, plain matmul-softmax attention (traces cleanly)."""
    from transformers import AutoModel
    from transformers.utils import logging

    logging.disable_progress_bar()

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", dtype="float32")
    if model.config.model_type != "bert":
        raise SystemExit(f"export_minilm_onnx: {model_dir} is a {model.config.model_type!r} model; "
                         "this export is written and checked for BERT only")
    return model.eval()


def additive_mask_wrapper(bert):
    """`bert` behind a module that turns the 0/1 attention mask into BertModel's additive 4-D mask itself."""
    import torch

    class BertWithAdditiveMask(torch.nn.Module):
        """input_ids, attention_mask, token_type_ids -> last_hidden_state, mask built without transformers."""

        def __init__(self, model):
            super().__init__()
            self.bert = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            dtype = self.bert.embeddings.word_embeddings.weight.dtype
            keep = attention_mask[:, None, None, :].to(dtype)  # [batch, 1, 1, sequence]
            additive = (1.0 - keep) * torch.finfo(dtype).min   # 0 where attended, most negative where padded
            output = self.bert(input_ids=input_ids, attention_mask=additive, token_type_ids=token_type_ids)
            return output.last_hidden_state                     # [batch, sequence, hidden]

    return BertWithAdditiveMask(bert).eval()


def export_onnx(model_dir: pathlib.Path, destination: pathlib.Path, tokenizer) -> None:
    """Writes the ONNX file of `model_dir`'s BertModel to `destination` (dynamic batch and sequence axes)."""
    import torch

    wrapper = additive_mask_wrapper(load_bert(model_dir))
    dummy = encode_batch(tokenizer, ["a dummy input to trace the graph", "short"])  # padded, batch 2
    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    dynamic_axes[OUTPUT_NAME] = {0: "batch", 1: "sequence"}
    # The legacy exporter is chosen on purpose (shared/README.md: it is what ORT 1.32 was measured with).
    warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export")
    with torch.no_grad():
        torch.onnx.export(wrapper, tuple(torch.from_numpy(dummy[name]) for name in INPUT_NAMES), str(destination),
                          dynamo=False, opset_version=OPSET, input_names=INPUT_NAMES, output_names=[OUTPUT_NAME],
                          dynamic_axes=dynamic_axes, do_constant_folding=True)
    wrapper.eval()


def encode_batch(tokenizer, texts: list) -> dict:
    """int64 input_ids / attention_mask / token_type_ids [batch, longest] for `texts` (tokenizer pads)."""
    encodings = tokenizer.encode_batch(texts)
    return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}


def parity_batches(texts: list) -> list:
    """Batches of real texts of different sizes and lengths: 1 short; 3 mixed (padding); 2 longest (truncation)."""
    by_length = sorted(set(texts), key=len)
    if len(by_length) < 6:
        raise SystemExit(f"export_minilm_onnx: the parity check needs at least 6 distinct texts, got {len(by_length)}")
    middle = len(by_length) // 2
    return [[by_length[0]], [by_length[1], by_length[-3], by_length[middle]], [by_length[-1], by_length[-2]]]


def verify_export(model_dir: pathlib.Path, onnx_path: pathlib.Path, tokenizer, texts: list, threads: int) -> float:
    """Max |ONNX Runtime - PyTorch| of last_hidden_state over the parity batches; exits if above the tolerance."""
    import onnxruntime
    import torch

    bert = load_bert(model_dir)  # eval mode: no dropout
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch in parity_batches(texts):
        inputs = encode_batch(tokenizer, batch)
        ours = session.run([OUTPUT_NAME], inputs)[0]
        with torch.no_grad():
            reference = bert(**{name: torch.from_numpy(value) for name, value in inputs.items()}).last_hidden_state
        if ours.shape != tuple(reference.shape):
            raise SystemExit(f"export_minilm_onnx: {onnx_path} gives last_hidden_state {ours.shape}, "
                             f"PyTorch {tuple(reference.shape)} (batch of {len(batch)})")
        difference = float(np.abs(ours.astype(np.float64) - reference.numpy().astype(np.float64)).max())
        print(f"export_minilm_onnx: batch {len(batch)} x {ours.shape[1]} tokens: max |ORT - PyTorch| = "
              f"{difference:.2e}", file=sys.stderr)
        worst = max(worst, difference)
    if not worst <= PARITY_TOLERANCE:  # also catches NaN
        raise SystemExit(f"export_minilm_onnx: {onnx_path} differs from PyTorch by {worst:.3e} "
                         f"(tolerance {PARITY_TOLERANCE:.0e}); export with --force after fixing the cause")
    return worst


def ensure_onnx_export(model_dir: pathlib.Path, texts: list, max_length: int, threads: int, force: bool) -> pathlib.Path:
    """The verified cached export of `model_dir`, exporting it first when missing (or when `force`)."""
    import torch

    torch.set_num_threads(threads)
    tokenizer = load_tokenizer(model_dir, max_length, pad_to_longest=True)
    destination = cached_onnx_path(model_dir)
    if force or not destination.is_file():
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(f"model.onnx.tmp-{os.getpid()}")
        print(f"export_minilm_onnx: exporting {model_dir} to {destination} (opset {OPSET})", file=sys.stderr)
        try:
            export_onnx(model_dir, temporary, tokenizer)
            verify_export(model_dir, temporary, tokenizer, texts, threads)
            temporary.replace(destination)
        finally:
            temporary.unlink(missing_ok=True)
    else:
        print(f"export_minilm_onnx: using cached {destination}", file=sys.stderr)
        verify_export(model_dir, destination, tokenizer, texts, threads)
    return destination


def main() -> None:
    """Exports (if needed) and verifies, then prints the .onnx path."""
    args = parse_arguments()
    texts = read_corpus(args.corpus, 200)
    path = ensure_onnx_export(pathlib.Path(args.model), texts, args.max_length, args.threads, args.force)
    print(path)


if __name__ == "__main__":
    main()
