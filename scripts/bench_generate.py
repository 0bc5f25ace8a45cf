#!/usr/bin/env python3
"""Prompt and decode speed of Apus and transformers (PyTorch CPU, fp32) on the same decoder, side by side.

For a Hub-layout decoder folder (default .cache/models/smollm2-135m-instruct-hf, made by
scripts/make_smollm2_hub_folder.py), both engines get the same prompt token ids (PARAGRAPH below, tokenised
without special tokens by the folder's tokenizer, repeated to --prompt-tokens; the same text `apus bench generate`
uses — the ids Apus reports are checked against these) and run greedily for exactly --new-tokens one-token steps
(EOS cannot stop them). Each timed run is one fresh process; for each of --rounds rounds and each thread count,
every engine runs once, the order rotating by one each time, so both see the same machine conditions.

What is timed, inside each engine's process (never start-up, imports or loading):
  prompt   one forward pass over the whole prompt into an empty KV cache, the last position's logits only
             apus          `apus bench generate --threads T --repeats 1 --json` (after its own warm-up)
             transformers  model(ids, past_key_values=DynamicCache, use_cache=True, logits_to_keep=1) under
                           torch.inference_mode, torch.set_num_threads(T), OMP/MKL = T, after a warm-up run
  decode   --new-tokens forward passes of one token each against the cache, arg-max after each (what
           `generate(do_sample=False)` does per step, without its bookkeeping)
  GB/s     decode tokens/s × the bytes one step reads (Apus's estimate, `bytes_per_step` in its JSON: fp32
           weights incl. lm_head, plus the mean KV cache read) — the same bytes for both engines in fp32; the
           machine's bandwidth is Apus's streaming-read probe on the same thread count (first round only).

Prints a table: per engine and thread count the median prompt and decode tokens/s (with the range over rounds),
decode GB/s and its fraction of the machine's, and the Apus/transformers ratios (2.0 = Apus twice as fast); then
whether the first 32 greedy tokens agree. --json FILE writes every run and the summary.

Run (dev venv; Apus built with `swift build -c release`):
  /work/venv-dev/bin/python scripts/bench_generate.py [--model DIR] [--threads 1 2] [--rounds 3] [--json out.json]
This file is also its own worker: `bench_generate.py --worker ...` runs transformers once and prints one JSON object.
"""
import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Must equal BenchGenerateCommand.paragraph (Sources/ApusCLI/BenchGenerateCommand.swift).
PARAGRAPH = ("The history of the printing press is a story of many small improvements. Before movable type, books were "
             "copied by hand, which made them rare and expensive. When metal letters could be arranged, inked and "
             "pressed onto paper, a single workshop could produce hundreds of identical pages in a day. Scholars shared "
             "their work faster, prices fell, and more people learned to read.")
COMPARED_TOKENS = 32
WARMUP_STEPS = 8
ENGINES = ("apus", "transformers")


def prompt_ids(model_dir: pathlib.Path, count: int) -> list:
    """PARAGRAPH's ids (no special tokens) repeated and cut to `count`, from the folder's tokenizer.json."""
    from tokenizers import Tokenizer
    ids = Tokenizer.from_file(str(model_dir / "tokenizer.json")).encode(PARAGRAPH, add_special_tokens=False).ids
    return [ids[i % len(ids)] for i in range(count)]


def run_worker(args: argparse.Namespace) -> None:
    """transformers, one process: load, warm up, one timed prefill and decode; one JSON object on stdout."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.cache_utils import DynamicCache

    threads = args.threads[0]  # a worker gets one count
    torch.set_num_threads(threads)
    ids = json.loads(pathlib.Path(args.prompt_ids).read_text())
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).eval()
    load_seconds = time.perf_counter() - start
    prompt = torch.tensor([ids])

    def timed_run(steps: int):
        cache = DynamicCache(config=model.config)
        start = time.perf_counter()
        output = model(prompt, past_key_values=cache, use_cache=True, logits_to_keep=1)
        prefill_seconds = time.perf_counter() - start
        token = output.logits[:, -1:].argmax(-1)
        tokens = [int(token)]
        start = time.perf_counter()
        for _ in range(steps):
            output = model(token, past_key_values=output.past_key_values, use_cache=True)
            token = output.logits[:, -1:].argmax(-1)
            tokens.append(int(token))
        return prefill_seconds, time.perf_counter() - start, tokens[:COMPARED_TOKENS]

    with torch.inference_mode():
        timed_run(WARMUP_STEPS)
        prefill_seconds, decode_seconds, tokens = timed_run(args.new_tokens)
    print(json.dumps({"engine": "transformers", "torch": torch.__version__, "threads": threads,
                      "load_seconds": load_seconds, "prompt_seconds": prefill_seconds, "decode_seconds": decode_seconds,
                      "greedy_ids": tokens, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def thread_environment(threads: int) -> dict:
    """The environment for every engine's process: thread pools fixed before any library starts them."""
    environment = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        environment[variable] = str(threads)
    return environment


def run_process(command: list, threads: int, what: str) -> dict:
    """Runs `command`, relays its stderr, returns the JSON object it prints; exits naming `what` if it fails."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=thread_environment(threads))
    noise = [line for line in result.stderr.split("\n") if line.strip() and "it/s]" not in line]
    if noise:
        print("\n".join(f"  [{what}] {line}" for line in noise), file=sys.stderr)
    if result.returncode != 0:
        raise SystemExit(f"bench_generate: {what} failed (exit {result.returncode}): {' '.join(command)}")
    return json.loads(result.stdout.strip().split("\n")[-1])


def one_run(engine: str, threads: int, args: argparse.Namespace, ids_path: str, probe: bool) -> dict:
    """One engine, one process: prompt and decode seconds (and Apus's bytes per step and bandwidth probe)."""
    if engine == "apus":
        command = [args.apus, "bench", "generate", "--model", str(args.model), "--threads", str(threads),
                   "--repeats", "1", "--prompt-tokens", str(args.prompt_tokens), "--new-tokens", str(args.new_tokens),
                   "--json"] + ([] if probe else ["--no-bandwidth-probe"])
        report = run_process(command, threads, f"apus {threads}t")
        result = report["results"][0]
        return {"engine": "apus", "threads": threads, "load_seconds": report["load_seconds"],
                "prompt_seconds": result["prompt_seconds"][0], "decode_seconds": result["decode_seconds"][0],
                "greedy_ids": report["greedy_ids"], "prompt_ids": report["prompt_ids"],
                "bytes_per_step": report["bytes_per_step"], "machine_gb_per_second": result["machine_gb_per_second"],
                "peak_rss_bytes": report["peak_rss_bytes"]}
    command = [sys.executable, __file__, "--worker", "--model", str(args.model), "--threads", str(threads),
               "--prompt-ids", ids_path, "--new-tokens", str(args.new_tokens)]
    return run_process(command, threads, f"transformers {threads}t")


def summarize(runs: list, args: argparse.Namespace) -> dict:
    """Medians per engine and thread count, GB/s, and Apus/transformers ratios."""
    bytes_per_step = next(run["bytes_per_step"] for run in runs if run["engine"] == "apus")
    summary = {}
    for threads in args.threads:
        machine = [run["machine_gb_per_second"] for run in runs
                   if run["engine"] == "apus" and run["threads"] == threads and run.get("machine_gb_per_second")]
        row = {"machine_gb_per_second": max(machine) if machine else None}
        for engine in ENGINES:
            mine = [run for run in runs if run["engine"] == engine and run["threads"] == threads]
            prompt = [args.prompt_tokens / run["prompt_seconds"] for run in mine]
            decode = [args.new_tokens / run["decode_seconds"] for run in mine]
            gigabytes = statistics.median(decode) * bytes_per_step / 1e9
            row[engine] = {"prompt_tokens_per_second": statistics.median(prompt), "prompt_range": [min(prompt), max(prompt)],
                           "decode_tokens_per_second": statistics.median(decode), "decode_range": [min(decode), max(decode)],
                           "decode_gb_per_second": gigabytes,
                           "bandwidth_fraction": gigabytes / row["machine_gb_per_second"] if row["machine_gb_per_second"] else None,
                           "load_seconds": statistics.median(run["load_seconds"] for run in mine),
                           "peak_rss_bytes": max(run["peak_rss_bytes"] for run in mine)}
        row["apus_vs_transformers"] = {
            "prompt": row["apus"]["prompt_tokens_per_second"] / row["transformers"]["prompt_tokens_per_second"],
            "decode": row["apus"]["decode_tokens_per_second"] / row["transformers"]["decode_tokens_per_second"]}
        summary[str(threads)] = row
    return summary


def print_table(summary: dict, agreement: dict, args: argparse.Namespace) -> None:
    print(f"{args.model.name}: prompt {args.prompt_tokens} tokens, {args.new_tokens} greedy steps, fp32, medians of "
          f"{args.rounds} rounds (range)")
    print("engine        threads   prompt tok/s              decode tok/s           decode GB/s  machine GB/s  fraction")
    for threads, row in summary.items():
        for engine in ENGINES:
            cell = row[engine]
            fraction = f"{100 * cell['bandwidth_fraction']:.0f}%" if cell["bandwidth_fraction"] else "-"
            machine = f"{row['machine_gb_per_second']:.2f}" if row["machine_gb_per_second"] else "-"
            prompt = f"{cell['prompt_tokens_per_second']:.0f} ({cell['prompt_range'][0]:.0f}–{cell['prompt_range'][1]:.0f})"
            decode = f"{cell['decode_tokens_per_second']:.1f} ({cell['decode_range'][0]:.1f}–{cell['decode_range'][1]:.1f})"
            print(f"{engine:<13} {threads:>7}   {prompt:<25} {decode:<22} {cell['decode_gb_per_second']:>11.2f}"
                  f"  {machine:>12}  {fraction:>8}")
        ratio = row["apus_vs_transformers"]
        print(f"{'apus/transf.':<13} {threads:>7}   {ratio['prompt']:.2f}×{'':<20} {ratio['decode']:.2f}×")
    print(f"greedy: first {agreement['compared']} tokens agree: {agreement['agree']} "
          f"(common prefix {agreement['common_prefix']}); prompt ids agree: {agreement['prompt_ids_agree']}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=pathlib.Path, default=ROOT / ".cache/models/smollm2-135m-instruct-hf")
    parser.add_argument("--apus", default=str(ROOT / ".build/release/apus"), help="the apus binary")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--json", type=pathlib.Path, help="write every run and the summary here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prompt-ids", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    if args.worker:
        run_worker(args)
        return
    ids = prompt_ids(args.model, args.prompt_tokens)
    runs = []
    with tempfile.TemporaryDirectory() as temporary:
        ids_path = str(pathlib.Path(temporary) / "prompt_ids.json")
        pathlib.Path(ids_path).write_text(json.dumps(ids))
        turn = 0
        for round_index in range(args.rounds):
            for threads in args.threads:
                order = ENGINES[turn % len(ENGINES):] + ENGINES[:turn % len(ENGINES)]
                turn += 1
                for engine in order:
                    run = one_run(engine, threads, args, ids_path, probe=round_index == 0)
                    run["round"] = round_index
                    runs.append(run)
                    print(f"round {round_index} {engine} {threads}t: prompt {args.prompt_tokens / run['prompt_seconds']:.0f} "
                          f"tok/s, decode {args.new_tokens / run['decode_seconds']:.1f} tok/s", file=sys.stderr)
    apus = next(run for run in runs if run["engine"] == "apus")
    reference = next(run for run in runs if run["engine"] == "transformers")
    compared = min(COMPARED_TOKENS, args.new_tokens + 1)
    ours, theirs = apus["greedy_ids"][:compared], reference["greedy_ids"][:compared]
    prefix = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    agreement = {"compared": compared, "agree": ours == theirs, "common_prefix": prefix,
                 "prompt_ids_agree": apus["prompt_ids"] == ids, "apus": ours, "transformers": theirs}
    summary = summarize(runs, args)
    print_table(summary, agreement, args)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "greedy": agreement, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
