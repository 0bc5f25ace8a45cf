#!/usr/bin/env python3
"""Tokenizer throughput, Apus against Hugging Face `tokenizers` (Rust), on the same texts and tokenizer.json, one thread.

For each tokenizer (WordPiece: the real all-MiniLM-L6-v2 tokenizer.json; byte-level BPE: a GPT-2-configured 32k
tokenizer trained by `scripts/make_bpe_tokenizer_fixtures.py --bench`), the texts of --input are repeated until they
hold at least --min-megabytes of UTF-8 (as `apus bench tokenize` does), then, --repeats rounds interleaved:
  rust-loop   `tokenizer.encode(text, add_special_tokens=False)` for each text (Python call overhead included),
  rust-batch  `tokenizer.encode_batch(texts, add_special_tokens=False)` with RAYON_NUM_THREADS=1,
  apus        `apus bench tokenize --repeats 1 --json` (one warm-up and one timed pass per round, in its own process).
Every engine gets a warm-up pass first (BPE word caches filled). Medians of the rounds are printed with tokens/s,
MB/s and Apus's speed relative to each Rust way; token counts are checked to agree.

Run (release build first):
  swift build -c release --product apus
  python3 scripts/make_bench_corpus.py 40000        # or any text file, one text per line
  /work/venv-dev/bin/python scripts/make_bpe_tokenizer_fixtures.py --bench
  /work/venv-dev/bin/python scripts/bench_tokenizers.py [--input .cache/bench/corpus.txt] [--repeats 5] [--json]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

# One thread for tokenizers' rayon pool; must be set before the library starts it.
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import Tokenizer  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOKENIZERS = {
    "wordpiece (all-MiniLM-L6-v2)": ROOT / ".cache" / "models" / "all-MiniLM-L6-v2" / "tokenizer.json",
    "byte-level BPE (GPT-2 config, 32k)": ROOT / ".cache" / "bench" / "gpt2-32k" / "tokenizer.json",
}


def read_texts(path, min_megabytes):
    lines = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if lines and lines[-1] == "":
        lines.pop()
    texts = list(lines)
    while sum(len(text.encode("utf-8")) for text in texts) < min_megabytes * 1e6:
        texts += lines
    return texts


def time_rust(tokenizer, texts, batch):
    """Seconds of the encode calls alone (tokens are counted after the clock stops: reading `ids` builds Python lists)."""
    start = time.perf_counter()
    if batch:
        encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
    else:
        encodings = [tokenizer.encode(text, add_special_tokens=False) for text in texts]
    elapsed = time.perf_counter() - start
    return elapsed, sum(len(encoding) for encoding in encodings)


def time_apus(apus, tokenizer_path, arguments):
    process = subprocess.run([str(apus), "bench", "tokenize", "--tokenizer", str(tokenizer_path), "--input", arguments.input,
                              "--min-megabytes", str(arguments.min_megabytes), "--repeats", "1", "--json"],
                             capture_output=True, text=True)
    if process.returncode != 0:
        raise RuntimeError(f"apus bench tokenize failed: {process.stderr.strip()}")
    report = json.loads(process.stdout)
    return report["median_seconds"], report["tokens"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", default=str(ROOT / ".cache" / "bench" / "corpus.txt"))
    parser.add_argument("--min-megabytes", type=float, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--apus", default=str(ROOT / ".build" / "release" / "apus"))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args()
    apus = pathlib.Path(arguments.apus)
    if not apus.exists():
        sys.exit(f"{apus} not found: swift build -c release --product apus (or pass --apus)")
    texts = read_texts(arguments.input, arguments.min_megabytes)
    megabytes = sum(len(text.encode("utf-8")) for text in texts) / 1e6
    results = {}
    for name, path in TOKENIZERS.items():
        if not path.exists():
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        try:
            time_apus(apus, path, arguments)  # warm-up, and a check that Apus reads this tokenizer.json
        except RuntimeError as error:
            print(f"skipping {name}: {error}", file=sys.stderr)
            continue
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        time_rust(tokenizer, texts, batch=True)  # warm-up
        seconds = {"rust-loop": [], "rust-batch": [], "apus": []}
        counts = {}
        for _ in range(arguments.repeats):
            for engine in seconds:
                if engine == "apus":
                    elapsed, tokens = time_apus(apus, path, arguments)
                else:
                    elapsed, tokens = time_rust(tokenizer, texts, batch=engine == "rust-batch")
                seconds[engine].append(elapsed)
                counts[engine] = tokens
        if len(set(counts.values())) != 1:
            print(f"warning: {name}: token counts differ {counts}", file=sys.stderr)
        medians = {engine: statistics.median(values) for engine, values in seconds.items()}
        results[name] = {
            "tokens": counts["rust-batch"], "megabytes": megabytes, "texts": len(texts),
            **{engine: {"median_seconds": median, "tokens_per_second": counts[engine] / median,
                        "megabytes_per_second": megabytes / median, "runs_seconds": seconds[engine]}
               for engine, median in medians.items()},
            "apus_speed_vs_rust_loop": medians["rust-loop"] / medians["apus"],
            "apus_speed_vs_rust_batch": medians["rust-batch"] / medians["apus"],
        }
    if arguments.json:
        print(json.dumps(results, indent=1))
        return
    for name, result in results.items():
        print(f"{name}: {result['texts']} texts, {result['megabytes']:.2f} MB, {result['tokens']} tokens, 1 thread, "
              f"medians of {arguments.repeats}")
        for engine in ("rust-loop", "rust-batch", "apus"):
            print(f"  {engine:<11} {result[engine]['median_seconds']:7.3f} s  {result[engine]['tokens_per_second']:>11,.0f} tokens/s"
                  f"  {result[engine]['megabytes_per_second']:6.2f} MB/s")
        print(f"  apus speed: {result['apus_speed_vs_rust_loop']:.2f}x rust-loop, {result['apus_speed_vs_rust_batch']:.2f}x rust-batch")


if __name__ == "__main__":
    main()
