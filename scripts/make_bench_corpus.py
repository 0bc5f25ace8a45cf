#!/usr/bin/env python3
"""Makes the benchmark corpus <repo>/.cache/bench/corpus.txt: real, human-written English, one text per line.

Source: the English package descriptions of Debian 12 "bookworm" (main), i.e. the archive file
dists/bookworm/main/i18n/Translation-en.xz from deb.debian.org (the Debian archive is one of the two places the
project's machines reach; no other network is needed). Each package's short and long description are joined
into one line ("." paragraph separators dropped), exact duplicates are dropped, and the first N (default 5000)
in archive order are written. The file is checked against the SHA256 listed in the suite's InRelease file
before use (integrity only: this script does not verify the archive's GPG signature; apt does that for
installs). Descriptions are written by Debian maintainers and are licensed with their packages; the corpus is
for local benchmarking only and is not committed (.cache/ is gitignored).

With the default N the corpus has short texts (a dozen tokens) up to texts of well over 256 WordPiece tokens:
of the first 2000 lines, about 2% exceed 256 tokens (mean ~95 tokens).

Standard library only; runs with the system python3. Idempotent: reuses the downloaded archive file.
Run: python3 scripts/make_bench_corpus.py [N]     (prints the corpus path and the number of texts)
"""
import hashlib
import lzma
import pathlib
import re
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITE_URL = "http://deb.debian.org/debian/dists/bookworm"
MEMBER = "main/i18n/Translation-en.xz"
BENCH = ROOT / ".cache" / "bench"
# Every character str.splitlines() treats as a line break, so that the corpus has exactly one text per "\n"
# whichever way a reader splits it.
LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def expected_sha256() -> str:
    """The SHA256 of MEMBER as listed in the suite's InRelease file."""
    release = download(f"{SUITE_URL}/InRelease").decode("utf-8", "replace")
    section = release.split("SHA256:", 1)[1] if "SHA256:" in release else ""
    for line in section.splitlines()[1:]:
        if not line.startswith(" "):
            break
        digest, _size, name = line.split()
        if name == MEMBER:
            return digest
    raise SystemExit(f"{SUITE_URL}/InRelease lists no SHA256 for {MEMBER}")


def fetch_archive() -> bytes:
    path = BENCH / "Translation-en.xz"
    if path.exists():
        return path.read_bytes()
    data = download(f"{SUITE_URL}/{MEMBER}")
    expected = expected_sha256()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise SystemExit(f"{SUITE_URL}/{MEMBER}: sha256 {actual}, InRelease says {expected}")
    path.write_bytes(data)
    return data


def descriptions(text: str):
    """Yields every Description-en field (short description plus long description) as one line."""
    current = None
    for line in text.split("\n"):
        if line.startswith("Description-en:"):
            if current:
                yield " ".join(current)
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
    BENCH.mkdir(parents=True, exist_ok=True)
    archive = fetch_archive()
    seen, texts = set(), []
    for description in descriptions(lzma.decompress(archive).decode("utf-8", "replace")):
        line = " ".join(LINE_BREAKS.sub(" ", description).split())
        if line and line not in seen:
            seen.add(line)
            texts.append(line)
        if len(texts) == count:
            break
    out = BENCH / "corpus.txt"
    partial = out.with_suffix(".txt.partial")
    partial.write_text("\n".join(texts) + "\n", encoding="utf-8", newline="\n")
    partial.replace(out)
    print(out, len(texts), "texts")


if __name__ == "__main__":
    main()
