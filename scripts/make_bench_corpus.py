#!/usr/bin/env python3
"""Makes a real-text benchmark corpus: Debian package descriptions, one per line.

Downloads bookworm's main/i18n/Translation-en.xz from deb.debian.org (the Debian archive is reachable
where the project is built), joins each package's long description into one line, drops duplicates, and
writes the first N (default 5000) in archive order to .cache/bench/corpus.txt. The descriptions are real,
human-written English of varied length (a few words to several hundred tokens). Not committed.
Run: python3 scripts/make_bench_corpus.py [N]
"""
import lzma
import pathlib
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
URL = "http://deb.debian.org/debian/dists/bookworm/main/i18n/Translation-en.xz"


def descriptions(text: str):
    current = None
    for line in text.splitlines():
        if line.startswith("Description-en:"):
            current = [line[len("Description-en:"):].strip()]
        elif current is not None and line.startswith(" "):
            body = line.strip()
            if body != ".":
                current.append(body)
        elif current is not None:
            yield " ".join(current)
            current = None
    if current:
        yield " ".join(current)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    out = ROOT / ".cache" / "bench" / "corpus.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    archive = out.parent / "Translation-en.xz"
    if not archive.exists():
        urllib.request.urlretrieve(URL, archive)
    seen, texts = set(), []
    for description in descriptions(lzma.decompress(archive.read_bytes()).decode("utf-8", "replace")):
        if description not in seen:
            seen.add(description)
            texts.append(description)
        if len(texts) == count:
            break
    out.write_text("\n".join(texts) + "\n", encoding="utf-8")
    print(out, len(texts), "texts")


if __name__ == "__main__":
    main()
