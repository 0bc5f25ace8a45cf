#!/usr/bin/env python3
"""transformers' logits processors on fixed logits, for the ApusPipelines generation tests.

Writes into Tests/Fixtures/generation/:

  logits.npy        [rows, VOCAB] float32 input logits: normal (scale 2), peaked (scale 6), many ties (values on a
                    0.5 grid), and one with -inf entries already removed.
  processed.npy     [cases, VOCAB] float32: each case's row after transformers' processor(s).
  cases.json        per case: its row, the token history (prompt + generated ids, some repeated, some beyond the
                    vocabulary), and either one processor with its arguments ("processor": "repetition_penalty",
                    "temperature", "top_k", "top_p", "min_p") or a whole generation config ("pipeline": the
                    kwargs) whose processor list comes from transformers' own `GenerationMixin._get_logits_processor`,
                    with `greedy` (the argmax transformers' greedy search takes) for do_sample=False.
  config-merge.json generation_config.json documents and caller overrides, with what transformers' merge
                    (`_prepare_generation_config`: overrides > file > global defaults) and
                    `_prepare_generated_length` make of them.

Run with the dev venv (torch, transformers):
  /work/venv-dev/bin/python scripts/make_generation_fixtures.py
"""
import json
import types
from pathlib import Path

import numpy as np
import torch
from transformers import GenerationConfig
from transformers.generation import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from transformers.generation.utils import GenerationMixin

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "generation"
VOCAB = 256


def input_rows() -> np.ndarray:
    generator = np.random.default_rng(7)
    normal = generator.normal(0, 2, VOCAB)
    peaked = generator.normal(0, 6, VOCAB)
    ties = np.round(generator.normal(0, 2, VOCAB) * 2) / 2
    masked = generator.normal(0, 3, VOCAB)
    masked[generator.choice(VOCAB, 100, replace=False)] = -np.inf
    return np.stack([normal, peaked, ties, masked]).astype(np.float32)


def histories(rows: int) -> list:
    generator = np.random.default_rng(11)
    result = []
    for _ in range(rows):
        ids = generator.integers(0, VOCAB, 40).tolist()
        ids += ids[:10]  # repeats: the penalty applies once per distinct id
        ids += [VOCAB, VOCAB + 5]  # beyond the logits (embedding larger than lm_head): ignored
        result.append(ids)
    return result


SINGLE = [
    ("repetition_penalty", {"penalty": 1.3}),
    ("repetition_penalty", {"penalty": 0.8}),
    ("temperature", {"temperature": 0.7}),
    ("temperature", {"temperature": 1.5}),
    ("top_k", {"top_k": 1}),
    ("top_k", {"top_k": 5}),
    ("top_k", {"top_k": 50}),
    ("top_k", {"top_k": 2, "min_tokens_to_keep": 4}),
    ("top_p", {"top_p": 0.9}),
    ("top_p", {"top_p": 0.5}),
    ("top_p", {"top_p": 0.0}),
    ("top_p", {"top_p": 0.3, "min_tokens_to_keep": 3}),
    ("min_p", {"min_p": 0.05}),
    ("min_p", {"min_p": 0.2}),
    ("min_p", {"min_p": 0.9, "min_tokens_to_keep": 3}),
]

PIPELINES = [
    {"do_sample": False},
    {"do_sample": False, "repetition_penalty": 1.2},
    {"do_sample": True},  # global defaults: top_k 50
    {"do_sample": True, "temperature": 0.6, "top_k": 20, "top_p": 0.95},
    {"do_sample": True, "temperature": 0.8, "top_k": 0, "top_p": 0.9, "min_p": 0.05, "repetition_penalty": 1.1},
    {"do_sample": True, "temperature": 1.3, "top_k": 0, "min_p": 0.1},
]

PROCESSORS = {
    "repetition_penalty": lambda a: RepetitionPenaltyLogitsProcessor(**a),
    "temperature": lambda a: TemperatureLogitsWarper(**a),
    "top_k": lambda a: TopKLogitsWarper(**a),
    "top_p": lambda a: TopPLogitsWarper(**a),
    "min_p": lambda a: MinPLogitsWarper(**a),
}


def pipeline_processors(kwargs: dict):
    """transformers' own processor list for a generation config, as generate() builds it for a decoder-only model."""
    config = GenerationConfig(**kwargs)
    config.update(**GenerationConfig._get_default_generation_params(), defaults_only=True)
    fake_model = types.SimpleNamespace(config=types.SimpleNamespace(is_encoder_decoder=False))
    fake_model._merge_criteria_processor_list = types.MethodType(GenerationMixin._merge_criteria_processor_list, fake_model)
    return GenerationMixin._get_logits_processor(fake_model, config, input_ids_seq_length=10, device="cpu")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = input_rows()
    history = histories(len(rows))
    cases, outputs = [], []
    for row_index, row in enumerate(rows):
        ids = torch.tensor([history[row_index]])
        for name, arguments in SINGLE:
            scores = torch.from_numpy(row.copy())[None, :]
            processed = PROCESSORS[name](arguments)(ids, scores)
            cases.append({"row": row_index, "history": history[row_index], "processor": name, "arguments": arguments})
            outputs.append(processed[0].numpy().copy())
        for kwargs in PIPELINES:
            scores = torch.from_numpy(row.copy())[None, :]
            processors = pipeline_processors(kwargs)
            processed = processors(ids, scores)
            case = {"row": row_index, "history": history[row_index], "pipeline": kwargs,
                    "processors": [type(p).__name__ for p in processors]}
            if not kwargs["do_sample"]:
                case["greedy"] = int(torch.argmax(processed, dim=-1)[0])
            cases.append(case)
            outputs.append(processed[0].numpy().copy())
    np.save(OUT / "logits.npy", rows)
    np.save(OUT / "processed.npy", np.stack(outputs).astype(np.float32))
    (OUT / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")

    merges = []
    documents = [
        {},
        {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0},
        {"bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "do_sample": True, "temperature": 0.6, "top_p": 0.9},
        {"eos_token_id": [151645, 151643], "pad_token_id": 151643, "do_sample": True, "temperature": 0.7, "top_k": 20,
         "top_p": 0.8, "repetition_penalty": 1.05, "max_new_tokens": 256, "transformers_version": "4.45.0"},
        {"max_length": 64, "min_p": 0.05, "top_k": None},
    ]
    overrides = [{}, {"temperature": 0.2, "max_new_tokens": 16}, {"do_sample": False}, {"top_k": 5, "max_length": 30}]
    for document in documents:
        for override in overrides:
            config = GenerationConfig()
            config.update(**GenerationConfig(**document).to_dict(), defaults_only=True, allow_custom_entries=True)
            config.update(**GenerationConfig._get_default_generation_params(), defaults_only=True)
            config.update(**override)
            prompt_length = 10
            # _prepare_generated_length without a model: max_new_tokens wins, else an explicit max_length, else 20 new.
            has_default_max_length = override.get("max_length") is None and document.get("max_length") is None
            if config.max_new_tokens is not None:
                max_length = config.max_new_tokens + prompt_length
            elif has_default_max_length:
                max_length = config.max_length + prompt_length
            else:
                max_length = config.max_length
            eos = config.eos_token_id
            merges.append({
                "document": document, "overrides": override, "prompt_length": prompt_length,
                "expected": {
                    "do_sample": config.do_sample, "temperature": config.temperature, "top_k": config.top_k,
                    "top_p": config.top_p, "min_p": config.min_p, "repetition_penalty": config.repetition_penalty,
                    "eos_token_ids": None if eos is None else (eos if isinstance(eos, list) else [eos]),
                    "max_new_tokens": max_length - prompt_length,
                },
            })
    (OUT / "config-merge.json").write_text(json.dumps(merges, indent=1) + "\n")
    print(f"{len(cases)} processor cases over {len(rows)} rows of {VOCAB} logits, {len(merges)} config merges -> {OUT}")


if __name__ == "__main__":
    main()
