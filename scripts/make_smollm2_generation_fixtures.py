#!/usr/bin/env python3
"""What transformers generates with the real SmolLM2-135M-Instruct, for Apus's GGUF end-to-end test.

Reads the conversion scripts/make_smollm2_fixtures.py leaves in .cache/conversions/smollm2 (the GGUF's tensors
dequantised exactly, config.json, tokenizer.json with the chat template) and writes
Tests/Fixtures/gguf-smollm2/generation.json: for each prompt (raw completions and chat conversations rendered with
`apply_chat_template(add_generation_prompt=True)`):
  prompt_ids        the ids transformers' tokenizer gives (chat: the rendered template, no special tokens added)
  new_ids, text     greedy `generate(do_sample=False, max_new_tokens=NEW_TOKENS)` and its decode
                    (skip_special_tokens=True); EOS ids from the conversion's generation config
  logits_top        the 32 largest logits after the prompt (id, value), and logits_sampled: the logits at 64 fixed
                    ids, so the test can check the whole distribution at 1e-3 without committing 49152 floats.
Prompts avoid digits: for `tokenizer.ggml.pre = smollm` Apus splits digits one by one (as llama.cpp does) where
transformers' GGUF conversion keeps GPT-2's pattern (see GGUFTokenizer).

Run after scripts/fetch-smollm2.sh and scripts/make_smollm2_fixtures.py:
  /work/venv-dev/bin/python scripts/make_smollm2_generation_fixtures.py
"""
import json
import pathlib

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONVERSION = ROOT / ".cache" / "conversions" / "smollm2"
OUT = ROOT / "Tests" / "Fixtures" / "gguf-smollm2" / "generation.json"
NEW_TOKENS = 32
PROMPTS = [
    {"text": "The capital of France is"},
    {"text": "Once upon a time, in a small village,"},
    {"messages": [{"role": "user", "content": "What is the capital of France?"}]},
    {"messages": [{"role": "system", "content": "You are a helpful assistant who answers briefly."},
                  {"role": "user", "content": "Name a fruit that is yellow."}]},
]


def main() -> None:
    tokenizer = AutoTokenizer.from_pretrained(CONVERSION)
    model = AutoModelForCausalLM.from_pretrained(CONVERSION, torch_dtype=torch.float32).eval()
    eos = model.generation_config.eos_token_id
    sampled_ids = [int(i) for i in torch.linspace(0, model.config.vocab_size - 1, 64).round().long()]
    cases = []
    for prompt in PROMPTS:
        if "text" in prompt:
            ids = tokenizer(prompt["text"])["input_ids"]
        else:
            rendered = tokenizer.apply_chat_template(prompt["messages"], add_generation_prompt=True, tokenize=False)
            ids = tokenizer(rendered, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1]
            output = model.generate(torch.tensor([ids]), do_sample=False, max_new_tokens=NEW_TOKENS)
        new = output[0, len(ids):].tolist()
        top = torch.topk(logits, 32)
        cases.append(dict(prompt, prompt_ids=ids, new_ids=new, text=None,
                          continuation=tokenizer.decode(new, skip_special_tokens=True),
                          logits_top=[[int(i), float(v)] for v, i in zip(top.values, top.indices)],
                          logits_sampled=[float(logits[i]) for i in sampled_ids]) | ({"text": prompt["text"]} if "text" in prompt else {}))
        print(repr(cases[-1]["continuation"]))
    for case in cases:
        if case["text"] is None:
            del case["text"]
    OUT.write_text(json.dumps({"made_by": "scripts/make_smollm2_generation_fixtures.py", "max_new_tokens": NEW_TOKENS,
                               "eos_token_id": eos, "sampled_ids": sampled_ids, "cases": cases},
                              indent=1, ensure_ascii=False) + "\n")
    print(OUT, OUT.stat().st_size)


if __name__ == "__main__":
    main()
