#!/usr/bin/env python3
"""A tiny chat model in full Hub layout, for TextGenerator and `apus generate` / `apus chat` end to end.

Writes Tests/Fixtures/tiny-generation/:
  tokenizer.json, tokenizer_config.json   a byte-level BPE (GPT-2 style, 400 tokens) trained with `tokenizers` on
                                          Tests/Fixtures/texts/parity-texts.jsonl, with ChatML special tokens
                                          <|im_start|> / <|im_end|> / <|endoftext|> and a ChatML chat template
  config.json, model.safetensors          a random LlamaForCausalLM (hidden 32, 2 layers, GQA 4/2, std 0.3)
  generation_config.json                  eos_token_id [<|im_end|>, <|endoftext|>], no sampling
  reference.json                          for each case: the prompt (text, or messages), the prompt ids transformers
                                          makes (chat: apply_chat_template(add_generation_prompt=True)), greedy
                                          generate(do_sample=False, max_new_tokens=N) ids with transformers' own
                                          stopping (EOS ids from generation_config), the decoded continuation
                                          (`continuation`, skip_special_tokens=True), and the stop-string case: the text cut before
                                          the first occurrence of a stop string chosen from the greedy output.
Run: /work/venv-dev/bin/python scripts/make_tiny_generation_fixtures.py
"""
import json
import pathlib

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "tiny-generation"
TEXTS = ROOT / "Tests" / "Fixtures" / "texts" / "parity-texts.jsonl"
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
NEW_TOKENS = 24


def train_tokenizer() -> PreTrainedTokenizerFast:
    texts = [json.loads(line)["text"] for line in TEXTS.read_text(encoding="utf-8").split("\n") if line.strip()]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=None, eos_token="<|im_end|>", unk_token=None,
                                   pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    return fast


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer()
    tokenizer.save_pretrained(OUT)
    eos = [tokenizer.convert_tokens_to_ids("<|im_end|>"), tokenizer.convert_tokens_to_ids("<|endoftext|>")]
    torch.manual_seed(7)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, initializer_range=0.3,
                         tie_word_embeddings=True, bos_token_id=None, eos_token_id=eos, pad_token_id=eos[1])
    model = LlamaForCausalLM(config).eval()
    # Favour <|im_end|> a little so some generations end by EOS within the budget, as a chat model's do.
    with torch.no_grad():
        model.model.embed_tokens.weight[eos[0]] *= 1.6
    model.save_pretrained(OUT, safe_serialization=True)
    generation = GenerationConfig(eos_token_id=eos, pad_token_id=eos[1], do_sample=False)
    generation.save_pretrained(OUT)

    cases = []
    prompts = [
        {"text": "The quick brown fox"},
        {"text": "Ünïcödé and emoji 🎉 — "},
        {"messages": [{"role": "user", "content": "Hello, who are you?"}]},
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"},
                      {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3?"}]},
    ]
    for prompt in prompts:
        if "text" in prompt:
            ids = tokenizer(prompt["text"])["input_ids"]
        else:
            ids = tokenizer.apply_chat_template(prompt["messages"], add_generation_prompt=True, tokenize=True, return_dict=False)
            ids = list(ids["input_ids"] if isinstance(ids, dict) else ids)
        with torch.no_grad():
            output = model.generate(torch.tensor([ids]), do_sample=False, max_new_tokens=NEW_TOKENS,
                                    generation_config=generation)
        new = output[0, len(ids):].tolist()
        text = tokenizer.decode(new, skip_special_tokens=True)
        case = dict(prompt, prompt_ids=ids, new_ids=new, continuation=text,
                    stopped_by_eos=bool(new and new[-1] in eos))
        # A stop string from the middle of the greedy text: the output must end right before it.
        if len(text) >= 6:
            stop = text[len(text) // 2: len(text) // 2 + 3]
            case["stop_string"] = stop
            case["text_before_stop"] = text[: text.index(stop)]
        cases.append(case)
    (OUT / "reference.json").write_text(json.dumps({"made_by": "scripts/make_tiny_generation_fixtures.py",
                                                   "max_new_tokens": NEW_TOKENS, "eos_token_ids": eos, "cases": cases},
                                                  indent=1, ensure_ascii=False) + "\n")
    for path in sorted(OUT.iterdir()):
        print(path.name, path.stat().st_size)
    for case in cases:
        print(repr(case["continuation"]), case["stopped_by_eos"], len(case["new_ids"]))


if __name__ == "__main__":
    main()
