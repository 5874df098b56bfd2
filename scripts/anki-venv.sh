#!/usr/bin/env bash
# Puts Anki's own engine (PyPI `anki`) in .cache/anki-venv for the round-trip tests (marker
# `anki`). A virtualenv of its own: `anki` pins protobuf and others that the app must not share.
# Idempotent: a second run with the same version returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

version="26.9.3"
venv=".cache/anki-venv"
stamp="$venv/.anki-$version"
[[ -f "$stamp" ]] && exit 0

python="${ANKI_PYTHON:-python3}"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "anki==$version"
touch "$stamp"
echo "Installed anki $version in $venv"
