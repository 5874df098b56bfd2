#!/bin/sh
# `make run`: the development server and, beside it, the worker that runs background tasks
# (imports); Ctrl-C, or the server stopping, stops both.
# Usage: scripts/serve-with-worker.sh PYTHON PORT
set -eu
python="$1"
port="$2"
"$python" manage.py db_worker --interval 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
"$python" manage.py runserver "127.0.0.1:$port"
