"""Writes Tests/Fixtures/gguf-smollm2/: what transformers 5.x makes of the real SmolLM2-135M-Instruct Q4_1 GGUF
(scripts/fetch-smollm2.sh puts it at .cache/models/smollm2/), small enough to commit:

  config.json         the config transformers derives from the GGUF metadata, as `save_pretrained` writes it.
  tensors.json        for a handful of tensors (the Q8_0 embedding, q_proj and k_proj — which llama.cpp permuted —,
                      v_proj, o_proj, down_proj, the norms): Hub name, shape, the float64 sum and sum of squares
                      of the fp32 values, and 32 sampled values at fixed flat indices.
  tokenizer.json.summary.json   the tokenizer.json transformers writes, with the 49152-token vocabulary and the
                      48900 merges replaced by their counts and FNV-1a 64-bit hashes (vocabulary: "token\\tid\\n" in
                      id order; merges: "left right\\n" in rank order), everything else verbatim.

The full conversion (config.json, model.safetensors, tokenizer.json) goes to .cache/conversions/smollm2 and is
not committed. Run from the repository root, after scripts/fetch-smollm2.sh:

    /work/venv-dev/bin/python scripts/make_smollm2_fixtures.py
"""

import json
import os
import sys

import numpy as np

GGUF_DIRECTORY = os.path.join(".cache", "models", "smollm2")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONVERSION = os.path.join(".cache", "conversions", "smollm2")
OUT = os.path.join("Tests", "Fixtures", "gguf-smollm2")
SAMPLES = 32
TENSORS = [
    "model.embed_tokens.weight",
    "model.layers.0.self_attn.q_proj.weight",
    "model.layers.0.self_attn.k_proj.weight",
    "model.layers.0.self_attn.v_proj.weight",
    "model.layers.0.self_attn.o_proj.weight",
    "model.layers.0.mlp.down_proj.weight",
    "model.layers.0.input_layernorm.weight",
    "model.layers.17.self_attn.k_proj.weight",
    "model.layers.29.mlp.gate_proj.weight",
    "model.layers.29.post_attention_layernorm.weight",
    "model.norm.weight",
]


def fnv1a64(lines):
    value = 0xCBF29CE484222325
    for line in lines:
        for byte in line.encode("utf-8"):
            value ^= byte
            value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def convert():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(GGUF_DIRECTORY, gguf_file=GGUF_NAME)
    model = AutoModelForCausalLM.from_pretrained(GGUF_DIRECTORY, gguf_file=GGUF_NAME, dtype=torch.float32)
    fresh = AutoModelForCausalLM.from_config(model.config, dtype=torch.float32)
    fresh.load_state_dict(model.state_dict())
    fresh.save_pretrained(CONVERSION)
    tokenizer.save_pretrained(CONVERSION)


def main():
    if not os.path.isfile(os.path.join(CONVERSION, "model.safetensors")):
        convert()
    from safetensors.numpy import load_file

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(CONVERSION, "config.json")) as source, open(os.path.join(OUT, "config.json"), "w") as out:
        out.write(source.read())

    state = load_file(os.path.join(CONVERSION, "model.safetensors"))
    rng = np.random.default_rng(7)
    entries = []
    for name in TENSORS:
        values = state[name].astype(np.float32)
        flat = values.reshape(-1)
        indices = sorted(set([0, flat.size - 1] + rng.integers(0, flat.size, SAMPLES - 2).tolist()))
        entries.append({
            "name": name,
            "shape": list(values.shape),
            "sum": float(flat.astype(np.float64).sum()),
            "sum_of_squares": float((flat.astype(np.float64) ** 2).sum()),
            "indices": indices,
            "values": [float(flat[i]) for i in indices],
        })
    with open(os.path.join(OUT, "tensors.json"), "w") as out:
        json.dump({"tensor_count": len(state), "tensors": entries}, out, indent=1)
        out.write("\n")

    with open(os.path.join(CONVERSION, "tokenizer.json")) as source:
        tokenizer = json.load(source)
    model = tokenizer["model"]
    vocabulary = sorted(model.pop("vocab").items(), key=lambda item: item[1])
    merges = model.pop("merges")
    model["vocab_count"] = len(vocabulary)
    model["vocab_fnv1a64"] = fnv1a64(f"{token}\t{index}\n" for token, index in vocabulary)
    model["merges_count"] = len(merges)
    model["merges_fnv1a64"] = fnv1a64(f"{left} {right}\n" for left, right in merges)
    with open(os.path.join(OUT, "tokenizer.json.summary.json"), "w") as out:
        json.dump(tokenizer, out, indent=1, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    sys.exit(main())
